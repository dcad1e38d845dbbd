#!/usr/bin/env bash
# The `unpack` corpus test: for every corpus kernel kept with the vmlinuz its
# package ships (tests/corpus/fetch.sh), `ksym unpack vmlinuz` must give the
# kernel image the corpus holds, byte for byte: the bzImage's ELF payload,
# the arm64 Image as shipped, and so on.
#
#   tests/check_unpack.sh KSYM_BINARY
#
# The corpus lives in $KSYM_CORPUS, else $KSYM_CACHE/corpus, else
# $HOME/.cache/ksym/corpus; a kernel is checked where its directory holds
# both `vmlinuz` and `image`. Without any such kernel the test is skipped
# (exit 77) unless CI=true or KSYM_REQUIRE_CORPUS=1.
set -euo pipefail
ksym=$1
. "$(dirname "$0")/corpus_env.sh"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
checked=0
failed=0
for dir in "$root"/*/; do
  [ -f "$dir/vmlinuz" ] && [ -f "$dir/image" ] || continue
  id=$(basename "$dir")
  checked=$((checked + 1))
  if ! "$ksym" unpack "$dir/vmlinuz" -o "$scratch/kernel" 2> "$scratch/err"; then
    echo "FAIL $id: $(cat "$scratch/err")"
    failed=1
    continue
  fi
  # One line: the outermost container and its payload, from the description.
  what=$(awk '/^container:/ && !c { c = $0; sub(/^container: /, "", c) }
              /^payload:/ && !p { p = $0; sub(/^payload: /, "", p) }
              END { print (c == "" ? "no container" : c "; " p) }' "$scratch/err")
  if cmp -s "$dir/image" "$scratch/kernel"; then
    echo "ok   $id: $what; equals the corpus image ($(stat -c %s "$scratch/kernel") bytes)"
  else
    echo "FAIL $id: $what; differs from the corpus image: $(cmp "$dir/image" "$scratch/kernel" 2>&1 | head -n1)"
    failed=1
  fi
done

if [ "$checked" -eq 0 ]; then
  if [ "$required" -eq 1 ]; then
    echo "FAIL: no corpus kernel under $root has both vmlinuz and image (run tests/corpus/fetch.sh)"
    exit 1
  fi
  echo "no corpus kernel with its vmlinuz under $root: run tests/corpus/fetch.sh (skipped)"
  exit 77
fi
exit "$failed"
