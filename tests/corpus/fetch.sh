#!/usr/bin/env bash
# Fetch the conformance corpus: real Debian kernels and the symbol tables of
# their unstripped vmlinux, which are the ground truth the corpus test checks
# ksym against.
#
#   tests/corpus/fetch.sh            fetch every kernel not yet in the cache
#   tests/corpus/fetch.sh --list     print what would be fetched, fetch nothing
#
# Each kernel lands in $KSYM_CACHE/corpus/<id>/ (KSYM_CACHE defaults to
# $HOME/.cache/ksym) as:
#   image       what the bootloader loads, made readable: the ELF vmlinux from
#               the x86 bzImage payload, or the arm64 raw Image
#   System.map  the map shipped for that kernel (the layout comes from it)
#   truth.nm    `llvm-nm -n` of the -dbg vmlinux (the ground truth)
#   meta        arch, kernel release, package versions
# The .debs and the debug vmlinux are deleted afterwards; a kernel whose
# directory is complete is not fetched again.
#
# apt runs with a private configuration under the cache: the machine's own
# Debian source entries are copied, with the suites and architectures the
# corpus needs added, so nothing on the system (sources, pins, dpkg
# architectures) changes and no root is needed.
set -euo pipefail

cache=${KSYM_CACHE:-$HOME/.cache/ksym}
corpus=$cache/corpus
aptdir=$cache/apt
work=$cache/work

# id  arch  dbg-package pattern (extended regex, whole name)
kernels=(
  "amd64-6.1   amd64 linux-image-6\.1\.0-[0-9]+-amd64-dbg"
  "amd64-6.12  amd64 linux-image-6\.12\.[0-9]+\+deb[0-9]+-amd64-dbg"
  "amd64-7     amd64 linux-image-7\.[0-9]+\.[0-9]+\+deb[0-9]+-amd64-dbg"
  "arm64-6.1   arm64 linux-image-6\.1\.0-[0-9]+-arm64-dbg"
  "arm64-7     arm64 linux-image-7\.[0-9]+\.[0-9]+\+deb[0-9]+-arm64-dbg"
  "i386-6.1    i386  linux-image-6\.1\.0-[0-9]+-686-pae-dbg"
)

die() { echo "fetch.sh: $*" >&2; exit 1; }

for tool in apt-get apt-cache dpkg-deb tar xz zstd gzip llvm-nm od dd; do
  command -v "$tool" >/dev/null || die "needs $tool (apt-get install apt dpkg xz-utils zstd gzip llvm coreutils)"
done

# --- private apt configuration ----------------------------------------------

# Shared with tests/dumps/make.sh: apt_opts, setup_apt, apt_update, newest,
# candidate_version (needs $aptdir and die).
# shellcheck source=tests/corpus/private-apt.sh
. "$(dirname "${BASH_SOURCE[0]}")/private-apt.sh"

# --- image extraction ---------------------------------------------------------

u8_at()  { od -An -tu1 -j "$2" -N1 "$1" | tr -d ' '; }
u32_at() { od -An -tu4 --endian=little -j "$2" -N4 "$1" | tr -d ' '; }

# The x86 boot protocol (2.08+) names the compressed payload in the setup
# header: payload_offset at 0x248 and payload_length at 0x24c, both relative
# to the protected-mode code, which starts after (setup_sects + 1) sectors.
unpack_bzimage() { # bzImage out
  local magic sects pm off len
  magic=$(dd if="$1" bs=1 skip=$((0x202)) count=4 status=none)
  [ "$magic" = "HdrS" ] || die "$1: not a bzImage"
  sects=$(u8_at "$1" $((0x1f1)))
  [ "$sects" = 0 ] && sects=4
  pm=$(((sects + 1) * 512))
  off=$(u32_at "$1" $((0x248)))
  len=$(u32_at "$1" $((0x24c)))
  local payload=$work/payload
  dd if="$1" of="$payload" bs=1M iflag=skip_bytes,count_bytes skip=$((pm + off)) count="$len" status=none
  case "$(od -An -tx1 -N4 "$payload" | tr -d ' ')" in
    fd377a58) xz -dc --single-stream "$payload" > "$2" ;;
    # The build appends the decompressed size (4 bytes) after the frame.
    28b52ffd) head -c $((len - 4)) "$payload" | zstd -dcq > "$2" ;;
    1f8b*)    gzip -dc "$payload" > "$2" 2>/dev/null || true ;;
    *) die "$1: unknown payload compression" ;;
  esac
  rm -f "$payload"
  [ "$(od -An -tx1 -N4 "$2" | tr -d ' ')" = 7f454c46 ] || die "$1: payload is not an ELF vmlinux"
}

unpack_image() { # vmlinuz out
  case "$(od -An -tx1 -N2 "$1" | tr -d ' ')" in
    1f8b) gzip -dc "$1" > "$2" ;;
    *) if [ "$(dd if="$1" bs=1 skip=$((0x202)) count=4 status=none)" = HdrS ]; then
         unpack_bzimage "$1" "$2"
       else
         cp "$1" "$2"
       fi ;;
  esac
}

# Extract the named members from a .deb, stopping once all were seen (the
# debug vmlinux sits near the front of a 1 GB archive).
deb_extract() { # deb dest member...
  local deb=$1 dest=$2; shift 2
  mkdir -p "$dest"
  dpkg-deb --fsys-tarfile "$deb" 2>/dev/null | tar -x -C "$dest" --occurrence=1 "$@" 2>/dev/null || true
}

fetch_one() { # id arch pattern
  local id=$1 arch=$2 pattern=$3 dir=$corpus/$1
  if [ -s "$dir/truth.nm" ] && [ -s "$dir/image" ] && [ -s "$dir/System.map" ] && [ -s "$dir/meta" ]; then
    echo "$id: cached ($(awk '/^release/ { print $2 }' "$dir/meta"))"
    return
  fi
  local release version image_pkg
  newest_kernel "$id" "$pattern" "$arch"
  if [ "${list_only:-0}" = 1 ]; then
    echo "$id: $dbg $image_pkg $version ($arch)"
    return
  fi
  echo "$id: fetching $release $version ($arch)"
  rm -rf "$work" "$dir"; mkdir -p "$work" "$dir"
  (cd "$work" && apt-get "${apt_opts[@]}" -q download "$image_pkg:$arch=$version" "$dbg:$arch=$version" >/dev/null)
  local ideb ddeb
  ideb=$(find "$work" -maxdepth 1 -name "${image_pkg}_*.deb" | head -n1)
  ddeb=$(find "$work" -maxdepth 1 -name "${dbg}_*.deb" | head -n1)
  [ -n "$ideb" ] && [ -n "$ddeb" ] || die "$id: apt-get download left no .deb"

  mkdir -p "$work/img"
  dpkg-deb -x "$ideb" "$work/img"
  local vmlinuz map
  vmlinuz=$(find "$work/img" -type f \( -name "vmlinuz-$release" -o -name 'vmlinuz.unsigned' -o -name 'vmlinuz' \) | head -n1)
  [ -n "$vmlinuz" ] || die "$id: no vmlinuz in $image_pkg"
  unpack_image "$vmlinuz" "$dir/image"

  # 6.x keeps the debug vmlinux and System.map in /usr/lib/debug/boot, 7.x
  # in /usr/lib/debug/lib/modules/<release>; both sit near the archive's front.
  local members
  members=$(dpkg-deb --fsys-tarfile "$ddeb" 2>/dev/null | tar -t 2>/dev/null |
    awk '/\/vmlinux(-[^\/]*)?$/ && !v { v = 1; print } /\/System\.map(-[^\/]*)?$/ && !m { m = 1; print } v && m { exit }') || true
  # shellcheck disable=SC2086
  [ -n "$members" ] && deb_extract "$ddeb" "$work/dbg" $members
  local vmlinux dbgmap
  vmlinux=$(find "$work/dbg" -type f -name 'vmlinux*' | head -n1)
  dbgmap=$(find "$work/dbg" -type f -name 'System.map*' | head -n1)
  [ -n "$vmlinux" ] && [ -s "$vmlinux" ] || die "$id: no vmlinux in $dbg"

  # Prefer the map the image package ships; from 7.x it is a placeholder that
  # points at the -dbg package, which ships the real one.
  map=$(find "$work/img" -type f -name "System.map*" -size +1k | head -n1)
  [ -n "$map" ] || map=$dbgmap
  [ -n "$map" ] && [ -s "$map" ] || die "$id: no System.map for $release"
  cp "$map" "$dir/System.map"

  llvm-nm -n "$vmlinux" > "$dir/truth.nm"
  {
    echo "id $id"
    echo "arch $arch"
    echo "release $release"
    echo "version $version"
    echo "image_package $image_pkg"
    echo "dbg_package $dbg"
    echo "vmlinuz $(basename "$vmlinuz")"
    echo "map_from $([ "${map#"$work/img"}" != "$map" ] && echo "$image_pkg" || echo "$dbg")"
  } > "$dir/meta"
  rm -rf "$work"
  echo "$id: $(wc -l < "$dir/truth.nm") truth symbols, image $(stat -c %s "$dir/image") bytes"
}

list_only=0
[ "${1:-}" = --list ] && list_only=1

setup_apt
apt_update
for k in "${kernels[@]}"; do
  # shellcheck disable=SC2086
  fetch_one $k
done
