#!/usr/bin/env bash
# The `btf_bpftool` test: the module layout ksym reads from BTF
# (tests/btf_layout_dump.cpp) must agree, line for line, with what bpftool's
# own BTF reader (`bpftool btf dump file F format raw`), an independent
# implementation, says about the same structs and enums. Read: the running
# kernel's /sys/kernel/btf/vmlinux, and synthetic BTF of every struct module
# era that tests/btf_samples.cpp writes.
#
#   tests/check_btf_bpftool.sh BTF_LAYOUT_DUMP BTF_SAMPLES
#
# Skipped (exit 77) without bpftool (Debian package bpftool); the running
# kernel's part is skipped where it exposes no /sys/kernel/btf/vmlinux, and
# the synthetic part still runs.
set -euo pipefail
dump=$1
samples=$2
live=/sys/kernel/btf/vmlinux
# bpftool lives in /usr/sbin, which a user's PATH may lack; $KSYM_BPFTOOL overrides.
bpftool=${KSYM_BPFTOOL:-$(command -v bpftool || echo /usr/sbin/bpftool)}
if [ ! -x "$bpftool" ]; then echo "no bpftool (Debian package bpftool) (skipped)"; exit 77; fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
files=()
if [ -r "$live" ]; then files+=("$live"); else echo "no readable $live: synthetic BTF only"; fi
while IFS= read -r f; do files+=("$f"); done < <("$samples" "$scratch")

# Answers every line of ksym's output for FILE from bpftool's dump alone.
# Paths are struct member names joined by '.', each resolved through
# typedefs, qualifiers and arrays; a trailing [] asks for the array's
# length; members of anonymous structs and unions are found as the compiler
# would.
check() {
  "$dump" "$1" > "$scratch/ksym" || return 1
  "$bpftool" btf dump file "$1" format raw > "$scratch/raw" || return 1
  awk -v KSYM="$scratch/ksym" '
function strip(s) { gsub(/^\x27|\x27$/, "", s); return s }
function field(line, key,    i, n, parts) {
  n = split(line, parts, " ")
  for (i = 1; i <= n; i++) if (index(parts[i], key "=") == 1) return substr(parts[i], length(key) + 2)
  return ""
}
function resolve(t) {
  while (t in kind && (kind[t] == "TYPEDEF" || kind[t] == "CONST" || kind[t] == "VOLATILE" || \
         kind[t] == "RESTRICT" || kind[t] == "TYPE_TAG" || kind[t] == "ARRAY")) t = ref[t]
  return t
}
# Bit offset of member m in struct s, searching anonymous members; -1 if absent.
function member(s, m,    i, r) {
  for (i = 1; i <= nmem[s]; i++) if (mname[s, i] == m) { mtype_found = mtype[s, i]; return moff[s, i] }
  for (i = 1; i <= nmem[s]; i++)
    if (mname[s, i] == "(anon)") { r = member(resolve(mtype[s, i]), m); if (r >= 0) return moff[s, i] + r }
  return -1
}
/^\[[0-9]+\] / {
  id = substr($1, 2, length($1) - 2); kind[id] = $2; name = strip($3)
  sz = field($0, "size"); if (sz != "") size[id] = sz
  tid = field($0, "type_id"); if (tid != "") ref[id] = tid
  ne = field($0, "nr_elems"); if (ne != "") nelems[id] = ne
  if ((kind[id] == "STRUCT" || kind[id] == "UNION") && !(name in sid)) sid[name] = id
  cur = id; nmem[id] = 0; next
}
/^\t\x27/ {
  n = strip($1)
  if (kind[cur] == "STRUCT" || kind[cur] == "UNION") {
    nmem[cur]++; mname[cur, nmem[cur]] = n
    mtype[cur, nmem[cur]] = field($0, "type_id"); moff[cur, nmem[cur]] = field($0, "bits_offset")
  } else if ((kind[cur] == "ENUM" || kind[cur] == "ENUM64") && !(n in enumval)) {
    v = field($0, "val"); sub(/U?LL$/, "", v); enumval[n] = v  # ENUM64 values print with a C suffix
  }
  next
}
END {
  checked = 0; bad = 0
  while ((getline line < KSYM) > 0) {
    if (line ~ /^#/) { print line; continue }
    split(line, f, " ")
    got = f[4]; what = f[1] " " f[2] " " f[3]
    if (f[1] == "enum") {
      got = f[3]; what = f[1] " " f[2]
      want = (f[2] in enumval) ? enumval[f[2]] : "absent"
    } else if (!(f[2] in sid)) {
      want = "absent"
    } else if (f[3] == "sizeof") {
      want = size[sid[f[2]]]
    } else {
      path = f[3]; count = sub(/\[\]$/, "", path)
      np = split(path, parts, "."); s = sid[f[2]]; bits = 0
      for (i = 1; i <= np; i++) {
        r = member(s, parts[i])
        if (r < 0) { bits = -1; break }
        bits += r; last = mtype_found; s = resolve(last)
      }
      if (bits < 0) want = "absent"
      else if (count) { t = last; while (kind[t] != "ARRAY" && t in ref) t = ref[t]; want = nelems[t] }
      else want = bits / 8
    }
    checked++
    if (want "" != got "") { bad++; printf "FAIL %s: ksym %s, bpftool %s\n", what, got, want }
  }
  printf "%d values compared, %d differ\n", checked, bad
  if (checked < 25) { print "FAIL: too few values to mean anything"; exit 1 }
  exit bad ? 1 : 0
}' "$scratch/raw"
}

failed=0
for file in "${files[@]}"; do
  echo "== $file"
  if check "$file"; then :; else failed=1; fi
done
exit $failed
