#!/usr/bin/env bash
# The `dumps` test: for every real crash dump tests/dumps/make.sh made, the
# tool's `ksym dump` of the ELF core, of the compressed kdump and of its
# flattened stream (read in place) must equal the guest's own /proc/kallsyms
# line for line: the built-in symbols, then every loaded module's, letter
# case included. `ksym modules` must list the guest's /proc/modules (name,
# size, state, address), and `ksym info` must report the paging the guest
# ran with.
#
#   tests/check_dumps.sh KSYM_BINARY
#
# Dumps live in $KSYM_DUMPS, else $HOME/.cache/ksym/dumps. Without any, the
# test is skipped (exit 77) unless CI=true or KSYM_REQUIRE_DUMPS=1.
set -euo pipefail
ksym=$1
root=${KSYM_DUMPS:-${HOME:-/root}/.cache/ksym/dumps}
required=0
[ "${CI:-}" = true ] || [ "${KSYM_REQUIRE_DUMPS:-}" = 1 ] && required=1
cases=(amd64-6.1 amd64-6.12 amd64-7 arm64-6.1 arm64-6.12 arm64-7 arm64-16k-7)

present=0
for c in "${cases[@]}"; do [ -f "$root/$c/kallsyms" ] && present=$((present + 1)); done
if [ "$present" -eq 0 ] && [ "$required" -eq 0 ]; then
  echo "no dumps under $root: run tests/dumps/make.sh (skipped)"
  exit 77
fi

failed=0
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for c in "${cases[@]}"; do
  dir=$root/$c
  if [ ! -f "$dir/kallsyms" ]; then
    echo "FAIL $c: no dump (run tests/dumps/make.sh --case $c)"
    failed=1
    continue
  fi
  for f in vmcore.elf vmcore.kdump vmcore.kdump-flat; do
    if ! "$ksym" dump "$dir/$f" > "$scratch/got" 2> "$scratch/err"; then
      echo "FAIL $c/$f: $(cat "$scratch/err")"
      failed=1
      continue
    fi
    if cmp -s "$dir/kallsyms" "$scratch/got"; then
      echo "ok   $c/$f: $(wc -l < "$scratch/got") symbols ($(grep -c $'\t\\[' "$scratch/got") in modules) equal the guest's /proc/kallsyms"
    else
      echo "FAIL $c/$f: differs from the guest's /proc/kallsyms:"
      diff "$dir/kallsyms" "$scratch/got" | head -5
      failed=1
    fi
  done
  # The modules, as /proc/modules names them: name, size, state, address.
  awk '{ print $1, $2, $5, $6 }' "$dir/modules" > "$scratch/want-modules"
  if "$ksym" modules "$dir/vmcore.kdump" > "$scratch/modules" 2> "$scratch/err" &&
    grep -v '^#' "$scratch/modules" | awk '{ print $1, $2, $3, $4 }' > "$scratch/got-modules" &&
    cmp -s "$scratch/want-modules" "$scratch/got-modules"; then
    echo "ok   $c: $(wc -l < "$scratch/got-modules") modules equal the guest's /proc/modules ($(grep '^# list head' "$scratch/modules" | sed 's/.*(//; s/)//'))"
  else
    echo "FAIL $c: ksym modules differs from the guest's /proc/modules: $(cat "$scratch/err")"
    diff "$scratch/want-modules" "$scratch/got-modules" | head -5
    failed=1
  fi
  # The paging the guest ran with (its meta file records what it saw).
  levels=$(awk '$1 == "page_table_levels" {print $2}' "$dir/meta")
  va=$(awk '$1 == "va_bits_actual" {print $2}' "$dir/meta")
  info=$("$ksym" info "$dir/vmcore.elf" || true)
  if [ -n "$levels" ]; then
    if grep -q "^paging: $levels levels" <<< "$info"; then
      echo "ok   $c: $levels-level paging reported"
    else
      echo "FAIL $c: ksym info does not report $levels levels"
      failed=1
    fi
  fi
  if [ -n "$va" ]; then
    if grep -q "^paging: .*, $va-bit VA" <<< "$info"; then
      echo "ok   $c: $va-bit VA reported"
    else
      echo "FAIL $c: ksym info does not report a $va-bit VA"
      failed=1
    fi
  fi
done
exit "$failed"
