#!/usr/bin/env bash
# The `elf` corpus test: `ksym elf` of real Debian kernels, read back by ELF
# readers that share no code with ksym. Two kernels: amd64 7.x (an ELF
# vmlinux) and arm64 7.x (a raw Image). For each, OUT is
# `ksym elf image --system-map System.map -o OUT`, and:
#
# 1. nm. `llvm-nm -n OUT` must equal, whole, the kallsyms part of truth.nm
#    (`llvm-nm -n` of the kernel's unstripped -dbg vmlinux). The kallsyms
#    part is the lines of truth.nm that are kallsyms symbols, each as many
#    times as the table holds it: `ksym dump` turned into nm's format
#    ("ADDRESS LETTER NAME"), every line of which must be a line of truth.nm
#    (multiplicity counted), sorted as `llvm-nm -n` sorts (by address, then
#    by name). So every symbol must come back with its address, name and
#    type letter, which llvm-nm works out from st_info, st_shndx and the
#    flags of the section, and nothing else may appear.
# 2. gdb. `info symbol ADDR` (gdb-multiarch, else gdb for x86-64) must
#    name the function and offset for the first byte and the middle byte of
#    20 functions spread over the table (functions alone at their address,
#    16 bytes or longer, so the answer is unique), with demangling off: gdb
#    would show f.cold as f[cold], a__b as a.b (Ada) and Rust names decoded.
# 3. objdump. `llvm-objdump -d` over `schedule` and `vfs_read` must print
#    the function's label at its address, disassemble more than 5
#    instructions, and show exactly the bytes the image holds there.
# 4. No map. `ksym elf image -o OUT2`, which finds and places the table by
#    itself, must write the same file byte for byte.
#
#   tests/check_elf_out.sh KSYM_BINARY
#
# The corpus lives in $KSYM_CORPUS, else $KSYM_CACHE/corpus, else
# $HOME/.cache/ksym/corpus (tests/corpus/fetch.sh fetches it). Without it
# the test is skipped (exit 77) unless CI=true or KSYM_REQUIRE_CORPUS=1.
set -euo pipefail
ksym=$1
. "$(dirname "$0")/corpus_env.sh"
cases=(amd64-7 arm64-7)

present=0
for c in "${cases[@]}"; do [ -f "$root/$c/truth.nm" ] && present=$((present + 1)); done
if [ "$present" -eq 0 ] && [ "$required" -eq 0 ]; then
  echo "no corpus under $root: run tests/corpus/fetch.sh (skipped)"
  exit 77
fi
for tool in llvm-nm llvm-objdump od; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is missing (tests/run.sh --deps-only installs it)"; exit 1; }
done

export LC_ALL=C
failed=0
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# The image's bytes at a virtual address, as "hh hh ..." (od -tx1), from its
# ELF program headers or, for a raw Image, from its load address (_text).
image_bytes() {
  local dir=$1 addr=$2 len=$3 off
  if [ "$(head -c 4 "$dir/image" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then
    # Bash arithmetic: awk's numbers are doubles, too narrow for addresses.
    off=
    while read -r _ o v _ f _; do
      if [ $((addr - v)) -ge 0 ] && [ $((addr - v)) -lt $((f)) ]; then off=$((addr - v + o)); break; fi
    done < <(llvm-readelf -lW "$dir/image" | awk '$1 == "LOAD"')
  else
    off=$(( addr - 0x$(awk '$3 == "_text" { print $1; exit }' "$dir/System.map") ))
  fi
  [ -n "$off" ] || return 1
  od -An -tx1 -v -j "$off" -N "$len" "$dir/image" | tr -s ' \n' ' ' | sed 's/^ //; s/ $//'
}

for c in "${cases[@]}"; do
  dir=$root/$c
  if [ ! -f "$dir/truth.nm" ]; then
    echo "FAIL $c: not in the corpus (run tests/corpus/fetch.sh)"
    failed=1
    continue
  fi
  out=$scratch/$c.elf
  if ! "$ksym" elf "$dir/image" --system-map "$dir/System.map" -o "$out" 2> "$scratch/err"; then
    echo "FAIL $c: ksym elf: $(cat "$scratch/err")"
    failed=1
    continue
  fi

  # 1. nm.
  "$ksym" dump "$dir/image" --system-map "$dir/System.map" | awk '{ print $1, $2, $3 }' |
    sort -k1,1 -k3,3 > "$scratch/want"
  sort "$scratch/want" > "$scratch/want.sorted"
  sort "$dir/truth.nm" > "$scratch/truth.sorted"
  comm -23 "$scratch/want.sorted" "$scratch/truth.sorted" > "$scratch/not-in-truth"
  llvm-nm -n "$out" > "$scratch/got"
  if [ -s "$scratch/not-in-truth" ]; then
    echo "FAIL $c: $(wc -l < "$scratch/not-in-truth") kallsyms symbols are not in truth.nm, e.g.:"
    head -3 "$scratch/not-in-truth"
    failed=1
  elif cmp -s "$scratch/want" "$scratch/got"; then
    echo "ok   $c: llvm-nm -n prints the $(wc -l < "$scratch/got") kallsyms symbols of truth.nm ($(wc -l < "$dir/truth.nm") lines), letters included"
  else
    echo "FAIL $c: llvm-nm -n differs from the kallsyms part of truth.nm:"
    diff "$scratch/want" "$scratch/got" | head -5
    failed=1
  fi

  # 2. gdb. Functions alone at their address, 16 bytes or longer, sizes
  # from the neighbours in the nm listing; 20 spread evenly.
  gdb=gdb-multiarch
  if ! command -v gdb-multiarch >/dev/null; then
    if [ "$c" = amd64-7 ] && command -v gdb >/dev/null; then gdb=gdb
    else
      echo "FAIL $c: gdb-multiarch is missing (tests/run.sh --deps-only installs it)"
      failed=1
      continue
    fi
  fi
  # awk's numbers are doubles: sizes come from the low 32 bits of the
  # addresses (neighbours are closer than 4 GiB), middles from bash.
  awk 'function lo(h,  v, i) { h = substr(h, length(h) - 7); v = 0
                              for (i = 1; i <= 8; ++i) v = v * 16 + index("0123456789abcdef", substr(h, i, 1)) - 1
                              return v }
       { addr[NR] = $1; type[NR] = $2; name[NR] = $3 }
       END {
         for (i = 2; i < NR; ++i) {
           if (type[i] !~ /^[tT]$/ || addr[i] == addr[i - 1] || addr[i] == addr[i + 1]) continue
           size = (lo(addr[i + 1]) - lo(addr[i]) + 4294967296) % 4294967296
           if (size >= 16) { n++; a[n] = addr[i]; s[n] = size; m[n] = name[i] }
         }
         for (k = 1; k <= 20; ++k) {
           j = int((k - 0.5) * n / 20) + 1
           printf "%s %s %d\n", a[j], m[j], int(s[j] / 2)
         }
       }' "$scratch/want" | while read -r a name half; do
    printf '0x%s %s 0\n0x%x %s %d\n' "$a" "$name" $((0x$a + half)) "$name" "$half"
  done > "$scratch/probes"
  args=(-ex 'set print demangle off')
  while read -r addr _ _; do args+=(-ex "info symbol $addr"); done < "$scratch/probes"
  "$gdb" -nx -batch "${args[@]}" "$out" 2> /dev/null > "$scratch/gdb" || true
  paste -d ' ' "$scratch/probes" "$scratch/gdb" | awk '
    { want = ($3 == 0) ? $2 " in section" : $2 " + " $3 " in section"
      got = $4; for (i = 5; i <= NF && $i != "section"; ++i) got = got " " $i; got = got " section"
      if (got != want) { bad++; if (bad <= 3) print "  " $1 ": want " want ", gdb says " got } }
    END { exit bad > 0 }' > "$scratch/gdb-bad" && gdb_ok=1 || gdb_ok=0
  probes=$(wc -l < "$scratch/probes")
  if [ "$gdb_ok" = 1 ] && [ "$probes" -eq 40 ] && [ "$(wc -l < "$scratch/gdb")" -eq 40 ]; then
    echo "ok   $c: $gdb info symbol names the function and offset at all $probes addresses"
  else
    echo "FAIL $c: $gdb info symbol answers wrongly ($probes probes, $(wc -l < "$scratch/gdb") answers):"
    cat "$scratch/gdb-bad"
    failed=1
  fi

  # 3. objdump.
  for fn in schedule vfs_read; do
    line=$(awk -v f="$fn" '$3 == f && $2 ~ /^[tT]$/ { print NR; exit }' "$scratch/want")
    if [ -z "$line" ]; then
      echo "FAIL $c: no function $fn"
      failed=1
      continue
    fi
    start=$(sed -n "${line}p" "$scratch/want" | cut -d' ' -f1)
    stop=$(awk -v s="$start" '$1 > s { print $1; exit }' "$scratch/want")
    len=$(( 0x$stop - 0x$start ))
    llvm-objdump -d --start-address="0x$start" --stop-address="0x$stop" "$out" > "$scratch/dis"
    insns=$(grep -cE '^ *[0-9a-f]+:' "$scratch/dis" || true)
    got=$(grep -E '^ *[0-9a-f]+:' "$scratch/dis" | cut -d: -f2- | cut -f1 | tr -s ' ' ' ' | sed 's/^ //; s/ $//' |
          tr '\n' ' ' | sed 's/ $//')
    want_bytes=$(image_bytes "$dir" "0x$start" "$len" || true)
    if grep -q "^$start <$fn>:" "$scratch/dis" && [ "$insns" -gt 5 ] && [ "$got" = "$want_bytes" ]; then
      echo "ok   $c: llvm-objdump -d shows <$fn> at $start: $insns instructions, the image's $len bytes"
    else
      echo "FAIL $c: llvm-objdump -d of $fn ($start..$stop): label, $insns instructions, bytes:"
      echo "  got  ${got:0:80}"
      echo "  want ${want_bytes:0:80}"
      head -8 "$scratch/dis"
      failed=1
    fi
  done

  # 4. No map.
  if ! "$ksym" elf "$dir/image" -o "$scratch/$c.nomap.elf" 2> "$scratch/err"; then
    echo "FAIL $c: ksym elf without a map: $(cat "$scratch/err")"
    failed=1
  elif cmp -s "$out" "$scratch/$c.nomap.elf"; then
    echo "ok   $c: without --system-map the same $(wc -c < "$out") bytes"
  else
    echo "FAIL $c: without --system-map the file differs: $(cmp "$out" "$scratch/$c.nomap.elf" | head -1)"
    failed=1
  fi
done
exit "$failed"
