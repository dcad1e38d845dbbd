#!/usr/bin/env bash
# The no-map corpus test: every corpus kernel decoded from the file its
# package ships (tests/corpus/fetch.sh keeps it as `vmlinuz`: a bzImage, a
# zImage, an s390x image, a raw Image, an ELF), with no System.map and no
# option, must print exactly the lines ksym prints for the decompressed
# image with its map: whole outputs, every symbol. The map-based decode is
# itself checked symbol by symbol against the -dbg ground truth by
# ksym_corpus (test_corpus.cpp); `ksym info` must also name the base's
# evidence for raw images.
#
#   tests/check_nomap.sh KSYM_BINARY
#
# Skipped (exit 77) without the corpus unless CI=true or KSYM_REQUIRE_CORPUS=1.
set -euo pipefail
ksym=$1
. "$(dirname "$0")/corpus_env.sh"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
checked=0
failed=0
for dir in "$root"/*/; do
  [ -f "$dir/vmlinuz" ] && [ -f "$dir/image" ] && [ -f "$dir/System.map" ] || continue
  id=$(basename "$dir")
  arch=$(awk '$1 == "arch" { print $2 }' "$dir/meta")
  # The map-based reference needs a headerless raw image's target named.
  opt=()
  case $arch in armhf) opt=(--arch arm) ;; s390x) opt=(--arch s390x) ;; esac
  checked=$((checked + 1))
  if ! "$ksym" dump "$dir/vmlinuz" > "$scratch/nomap" 2> "$scratch/err"; then
    echo "$id: ksym dump vmlinuz failed: $(cat "$scratch/err")"
    failed=$((failed + 1))
    continue
  fi
  "$ksym" dump "$dir/image" --system-map "$dir/System.map" "${opt[@]}" > "$scratch/map"
  if ! cmp -s "$scratch/nomap" "$scratch/map"; then
    echo "$id: no-map dump differs from the map-based one:"
    diff "$scratch/map" "$scratch/nomap" | head -5
    failed=$((failed + 1))
    continue
  fi
  "$ksym" info "$dir/vmlinuz" > "$scratch/info"
  placed=$(sed -n 's/^base: \(0x[0-9a-f]*\) (\([a-z_-]*\).*/at \1 by \2/p; s/^placed_by: /by /p' "$scratch/info")
  [ -n "$placed" ] || { echo "$id: ksym info names no placement"; failed=$((failed + 1)); continue; }
  echo "$id: $(wc -l < "$scratch/nomap") lines identical; placed $placed"
done
if [ "$checked" = 0 ]; then
  [ "$required" = 1 ] && { echo "no corpus kernel with a vmlinuz under $root (run tests/corpus/fetch.sh)"; exit 1; }
  echo "no corpus under $root (skipped)"
  exit 77
fi
[ "$failed" = 0 ]
