#!/usr/bin/env bash
# Runs the bare-metal example under QEMU on a real Debian arm64 kernel from
# the corpus and compares everything it prints with the kernel's -dbg
# symbol table (truth.nm), computed here with awk, independently of ksym.
#
#   run.sh FIRMWARE_ELF KERNEL [QEMU]     KERNEL: arm64-6.1, arm64-7
#
# The corpus is $KSYM_CORPUS, else $KSYM_CACHE/corpus, else
# $HOME/.cache/ksym/corpus. Exit 77 (ctest: skipped) when QEMU, the firmware
# (no cross compiler) or the kernel is missing; a missing kernel fails
# instead under CI=true or KSYM_REQUIRE_CORPUS=1.
set -euo pipefail

fw=$1
kernel=$2
qemu=${3:-qemu-system-aarch64}
root=${KSYM_CORPUS:-${KSYM_CACHE:-$HOME/.cache/ksym}/corpus}
dir=$root/$kernel

skip() {
  echo "run.sh: $*: skipped" >&2
  exit 77
}
command -v "$qemu" >/dev/null || skip "no $qemu"
[ -f "$fw" ] || skip "no $fw (aarch64-linux-gnu-g++ missing when configured?)"
need() {  # a corpus file: skip without it, unless the corpus is required
  [ -f "$1" ] && return
  if [ "${CI:-}" = true ] || [ "${KSYM_REQUIRE_CORPUS:-}" = 1 ]; then
    echo "run.sh: $1 missing (tests/corpus/fetch.sh fetches it)" >&2
    exit 1
  fi
  skip "no $1"
}
# The pinned address (main.cpp) comes from the arm64 7.2 kernel's table.
pinned_from=$root/arm64-7/truth.nm
for f in "$dir/image" "$dir/System.map" "$dir/truth.nm" "$pinned_from"; do need "$f"; done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Where QEMU puts things in the guest's RAM (handoff.hpp, link.ld).
handoff_addr=0x40800000
image_addr=0x41000000

map_addr() {  # the System.map address of $1, as hex without 0x
  local a
  a=$(awk -v n="$1" '$3 == n { print $1; exit }' "$dir/System.map")
  [ -n "$a" ] || { echo "run.sh: $1 not in $dir/System.map" >&2; exit 1; }
  echo "$a"
}

# The handoff block: little-endian u64s (handoff.hpp), written byte by byte.
le64() {
  local v=$(($1)) i
  for i in 0 1 2 3 4 5 6 7; do printf "\\$(printf %03o $(((v >> (8 * i)) & 255)))"; done
}
# Addresses to look up: offsets into symbols, resolved from the map. Each
# must be unambiguous in truth.nm (checked below), so that "the symbol
# containing it" has one answer.
queries=(schedule:0x10 vfs_read:0x4 start_kernel:0x20 kallsyms_lookup_name:0x8 panic:0x40 _printk:0x1c)
query_addrs=()
for q in "${queries[@]}"; do
  query_addrs+=("$(printf %016x $((0x$(map_addr "${q%%:*}") + ${q#*:})))")
done
query_addrs+=("$(printf %016x $((0x$(map_addr _text) - 0x1000)))")  # below the table: not found
image_size=$(stat -c %s "$dir/image")
{
  printf ksymfw02
  le64 "$image_addr"
  le64 "$image_size"
  le64 "0x$(map_addr _text)"
  le64 "${#query_addrs[@]}"
  for a in "${query_addrs[@]}"; do le64 "0x$a"; done
} >"$work/handoff.bin"

# The expected output, from truth.nm alone. The names are the program's
# fixed list (main.cpp), all text symbols, which every kallsyms table has
# (truth.nm also has the data symbols that a kernel built without
# CONFIG_KALLSYMS_ALL leaves out); a name's line is its first (lowest) one
# in truth.nm, printed as llvm-nm printed it.
names=(_stext start_kernel schedule vfs_read do_sys_openat2 kallsyms_lookup_name panic _printk memcpy
       __arm64_sys_read no_such_symbol)
{
  echo "ksym firmware"
  for n in "${names[@]}"; do
    awk -v n="$n" '$3 == n && NF == 3 { print; f = 1; exit } END { if (!f) print n ": not found" }' "$dir/truth.nm"
  done
  for a in "${query_addrs[@]}"; do
    # The symbol containing the address: the last at or below it. The table
    # starts at _text, so an address below _text has none.
    awk -v a="$a" -v text="$(map_addr _text)" '
      # The low 12 hex digits: exact in a double, and the two addresses are close.
      function low(h,   i, v) { v = 0; for (i = 5; i <= 16; i++) v = v * 16 + index("0123456789abcdef", substr(h, i, 1)) - 1; return v }
      # Addresses compare as strings (all 16 digits, lower case): as numbers they would lose bits.
      NF == 3 && ($1 "") <= (a "") { best = $1; name = $3; count = ($1 == prev_at) ? count + 1 : 1; prev_at = $1 }
      NF == 3 && ($1 "") > (a "") { exit }
      END {
        if ((a "") < (text "")) { print a ": not found"; exit }
        if (count != 1) { print "run.sh: " a " is ambiguous in truth.nm" > "/dev/stderr"; exit 1 }
        printf "%s %s+0x%x\n", a, name, low(a) - low(best)
      }' "$dir/truth.nm"
  done
  pinned=$(awk '$3 == "_stext" { print $1; exit }' "$pinned_from")
  this=$(awk '$3 == "_stext" { print $1; exit }' "$dir/truth.nm")
  if [ "$pinned" = "$this" ]; then
    echo "pinned _stext $pinned: the same in this kernel"
  else
    echo "pinned _stext $pinned: not this kernel's"
  fi
} >"$work/expected"

start=$(date +%s.%N)
timeout 600 "$qemu" -M virt -cpu max -m 256M -nographic -monitor none -serial stdio \
  -kernel "$fw" \
  -device loader,file="$work/handoff.bin",addr=$handoff_addr,force-raw=on \
  -device loader,file="$dir/image",addr=$image_addr,force-raw=on \
  </dev/null >"$work/output"
end=$(date +%s.%N)

echo "run.sh: $kernel under QEMU in $(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.2f", e - s }') s; it printed:"
cat "$work/output"
# Every line is checked: the budget lines against the budget, all others
# against the expected text, whole.
status=0
stack=$(awk '/^stack / { print $2 }' "$work/output")
if [ -z "$stack" ] || grep -q OVERFLOW "$work/output" || [ "$stack" -gt 8192 ]; then
  echo "run.sh: the stack budget (8192 bytes) is exceeded, or not reported" >&2
  status=1
fi
grep -v -e '^stack [0-9]* of [0-9]* bytes$' -e '^storage [0-9]* bytes$' "$work/output" >"$work/lookups"
if ! diff -u "$work/expected" "$work/lookups"; then
  echo "run.sh: the output differs from truth.nm (- expected, + printed)" >&2
  status=1
fi
exit $status
