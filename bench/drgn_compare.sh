#!/bin/sh
# ksym against drgn's in-process kallsyms loaders on the same table (issue 12).
# Not part of CI; results go in bench/RESULTS.md by hand.
#
# usage: bench/drgn_compare.sh [options]
#   --drgn DIR       directory to put on PYTHONPATH so that `import drgn, _drgn`
#                    finds a drgn with the C kallsyms loaders (>= 0.0.27); e.g.
#                    a source tree built in place (see --build-drgn).  Without
#                    it, the python's own drgn is tried.  No usable drgn: the
#                    script says so and exits 0.
#   --build-drgn     first build DIR in place: `python3 setup.py build_ext -i -j1`
#                    (needs python3-dev libelf-dev libdw-dev autoconf automake
#                    libtool pkg-config gcc make; libkdumpfile-dev optional)
#   --python PY      interpreter drgn was built for (default: python3)
#   --corpus DIR     holds image and System.map (default:
#                    ~/.cache/ksym/corpus/amd64-6.12)
#   --ksym BIN       ksym tool to time (default: build examples/ksym in
#                    --build-dir with CMake, Release)
#   --build-dir DIR  (default: ${TMPDIR:-/tmp}/ksym-drgncmp-build)
#   --work DIR       scratch for the kallsyms text, the core copy of the image
#                    and hyperfine's JSON (default: ${TMPDIR:-/tmp}/ksym-drgncmp)
#   --runs N         hyperfine runs for each ksym command (default 30)
#   --drgn-runs N    timed calls of each drgn loader (default 50, after 3 untimed)
#
# What is timed:
#   drgn proc     _drgn._linux_helper_load_proc_kallsyms(filename=TEXT), in
#                 process, time.perf_counter() around the one call; TEXT is
#                 `ksym dump IMAGE --system-map MAP` output (/proc/kallsyms
#                 format, same symbols).
#   drgn builtin  _drgn._linux_helper_load_builtin_kallsyms(prog, ...) on a
#                 Program whose memory is the image (a copy with e_type set to
#                 ET_CORE, opened with Program.set_core_dump), kallsyms_*
#                 addresses and _stext from System.map.
#   ksym          whole processes under hyperfine -N --warmup 3.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
drgn=
build_drgn=0
python=python3
corpus=$HOME/.cache/ksym/corpus/amd64-6.12
ksym=
build_dir=${TMPDIR:-/tmp}/ksym-drgncmp-build
work=${TMPDIR:-/tmp}/ksym-drgncmp
runs=30
drgn_runs=50

while [ $# -gt 0 ]; do
    case $1 in
    --drgn) drgn=$2; shift 2 ;;
    --build-drgn) build_drgn=1; shift ;;
    --python) python=$2; shift 2 ;;
    --corpus) corpus=$2; shift 2 ;;
    --ksym) ksym=$2; shift 2 ;;
    --build-dir) build_dir=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --drgn-runs) drgn_runs=$2; shift 2 ;;
    -h|--help) sed -n '2,34p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "drgn_compare.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done

skip() { echo "drgn_compare.sh: skipped: $*"; exit 0; }

# 1. drgn
if [ "$build_drgn" = 1 ]; then
    [ -n "$drgn" ] || { echo "--build-drgn needs --drgn SRCDIR" >&2; exit 2; }
    [ -f "$drgn/setup.py" ] || skip "no drgn source tree at $drgn"
    (cd "$drgn" && nice "$python" setup.py build_ext -i -j1)
fi
if [ -n "$drgn" ]; then
    [ -d "$drgn" ] || skip "no drgn at $drgn"
    PYTHONPATH=$drgn${PYTHONPATH:+:$PYTHONPATH}
    export PYTHONPATH
fi
command -v "$python" >/dev/null 2>&1 || skip "no $python"
if ! "$python" -c 'import _drgn; _drgn._linux_helper_load_proc_kallsyms' 2>/dev/null; then
    skip "no drgn with the kallsyms loaders importable by $python${drgn:+ from $drgn}"
fi
drgn_version=$("$python" -c 'import drgn; print(drgn.__version__)')
drgn_where=$("$python" -c 'import drgn, os; print(os.path.dirname(os.path.dirname(drgn.__file__)))')
drgn_commit=$(git -C "$drgn_where" rev-parse HEAD 2>/dev/null || echo "unknown (not a git checkout)")
command -v hyperfine >/dev/null 2>&1 || skip "no hyperfine"

image=$corpus/image
map=$corpus/System.map
[ -f "$image" ] && [ -f "$map" ] || skip "no $image or $map"

if [ -z "$ksym" ]; then
    cmake -S "$src" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
    nice cmake --build "$build_dir" -j1 --target ksym >/dev/null
    ksym=$build_dir/examples/ksym
fi

# 2. inputs: the table as /proc/kallsyms text, the image as an ELF core
mkdir -p "$work"
text=$work/kallsyms.txt
core=$work/image.core
"$ksym" dump "$image" --system-map "$map" >"$text"
"$python" - "$image" "$core" <<'EOF'
import shutil, sys
src, dst = sys.argv[1:]
with open(src, "rb") as f:
    head = f.read(18)
if head[:4] != b"\x7fELF":
    sys.exit(0)  # raw image: no core, builtin loader skipped below
shutil.copyfile(src, dst)
order = "little" if head[5] == 1 else "big"
with open(dst, "r+b") as f:
    f.seek(16)
    f.write((4).to_bytes(2, order))  # e_type = ET_CORE
EOF

echo "drgn $drgn_version ($drgn_where, commit $drgn_commit), $python $("$python" -c 'import platform; print(platform.python_version())')"
echo "ksym $ksym ($(git -C "$src" rev-parse --short HEAD))"
echo "table: $(wc -l <"$text") symbols, $image + $map"
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo

"$python" "$here/drgn_compare.py" proc "$text" --runs "$drgn_runs" | tee "$work/drgn-proc.txt"
if [ -f "$core" ]; then
    "$python" "$here/drgn_compare.py" builtin "$core" "$map" --runs "$drgn_runs" | tee "$work/drgn-builtin.txt"
else
    echo "loader=builtin skipped: $image is not ELF" | tee "$work/drgn-builtin.txt"
fi
echo

# 3. ksym, whole process
hf() {
    name=$1; shift
    hyperfine -N --warmup 3 --runs "$runs" --output=null --style basic \
        --export-json "$work/ksym-$name.json" -n "$name" "$*"
}
hf dump-image "$ksym dump $image --system-map $map"
hf lookup-image "$ksym lookup $image --system-map $map vfs_read"
hf info-image "$ksym info $image --system-map $map"
hf dump-text "$ksym dump --kallsyms $text"
hf lookup-text "$ksym lookup --kallsyms $text vfs_read"

"$python" - "$work" <<'EOF'
import json, os, sys
work = sys.argv[1]
def drgn(name):
    line = open(os.path.join(work, f"drgn-{name}.txt")).read().split()
    kv = dict(x.split("=", 1) for x in line if "=" in x)
    return (float(kv["min_ms"]), float(kv["median_ms"])) if "min_ms" in kv else None
def ksym(name):
    r = json.load(open(os.path.join(work, f"ksym-{name}.json")))["results"][0]
    return r["mean"] * 1e3, r["stddev"] * 1e3, r["min"] * 1e3
print()
print("| drgn loader, in-process | min ms | median ms |")
print("|---|---|---|")
loaders = {name: drgn(name) for name in ("builtin", "proc")}
for name, dm in loaders.items():
    print(f"| {name} | {dm[0]:.1f} | {dm[1]:.1f} |" if dm else f"| {name} | skipped | |")
print()
print("| ksym, whole process | mean ± σ ms | min ms | builtin min / mean | builtin median / mean | builtin min / min | proc min / mean | proc median / mean | proc min / min |")
print("|---|---|---|---|---|---|---|---|---|")
for k in ("dump-image", "lookup-image", "info-image", "dump-text", "lookup-text"):
    km, ks, kmin = ksym(k)
    cells = []
    for name in ("builtin", "proc"):
        dm = loaders[name]
        cells += [f"{dm[0]/km:.1f}×", f"{dm[1]/km:.1f}×", f"{dm[0]/kmin:.1f}×"] if dm else ["", "", ""]
    print(f"| {k} | {km:.1f} ± {ks:.1f} | {kmin:.1f} | " + " | ".join(cells) + " |")
EOF
