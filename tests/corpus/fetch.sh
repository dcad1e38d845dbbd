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
#   vmlinuz     the boot file exactly as the image package ships it: x86
#               bzImage, arm64 and riscv64 raw Image, armhf zImage, the s390x
#               compressed image, the ppc64el vmlinux ELF
#   image       what the bootloader loads, made readable: the ELF vmlinux from
#               the x86 bzImage payload; the raw Image (arm64, riscv64; armhf
#               from the zImage payload; s390x from the compressed image's
#               payload), whose first byte is the lowest loaded address; the
#               ppc64el ELF as shipped
#   System.map  the map shipped for that kernel (the layout comes from it)
#   truth.nm    `llvm-nm -n` of the -dbg vmlinux (the ground truth)
#   meta        arch, kernel release, package versions, vmlinuz_sha256
# The .debs and the debug vmlinux are deleted afterwards; a kernel whose
# directory is complete is not fetched again, and one that lacks only
# vmlinuz gets it from the image package alone (never the -dbg again).
# With KSYM_KEEP_DEBUG=1 a kernel fetched whole also keeps vmlinux.nodebug:
# the -dbg vmlinux without its DWARF (all sections, symbol table), for
# studying its layout; nothing reads it.
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
  "amd64-6.1    amd64   linux-image-6\.1\.0-[0-9]+-amd64-dbg"
  "amd64-6.12   amd64   linux-image-6\.12\.[0-9]+\+deb[0-9]+-amd64-dbg"
  "amd64-7      amd64   linux-image-7\.[0-9]+\.[0-9]+\+deb[0-9]+-amd64-dbg"
  "arm64-6.1    arm64   linux-image-6\.1\.0-[0-9]+-arm64-dbg"
  "arm64-7      arm64   linux-image-7\.[0-9]+\.[0-9]+\+deb[0-9]+-arm64-dbg"
  "i386-6.1     i386    linux-image-6\.1\.0-[0-9]+-686-pae-dbg"
  "s390x-6.1    s390x   linux-image-6\.1\.0-[0-9]+-s390x-dbg"
  "armhf-6.1    armhf   linux-image-6\.1\.0-[0-9]+-armmp-dbg"
  "ppc64el-6.1  ppc64el linux-image-6\.1\.0-[0-9]+-powerpc64le-dbg"
  # riscv64: sid (7.x) has the newest kernel with a -dbg package (trixie: 6.12).
  "riscv64-7    riscv64 linux-image-7\.[0-9]+\.[0-9]+\+deb[0-9]+-riscv64-dbg"
)
# The architectures apt indexes (private-apt.sh reads this when sourced).
apt_archs="amd64 arm64 i386 s390x armhf ppc64el riscv64"

die() { echo "fetch.sh: $*" >&2; exit 1; }

for tool in apt-get apt-cache dpkg-deb tar xz zstd gzip llvm-nm llvm-objcopy od dd grep sha256sum; do
  command -v "$tool" >/dev/null || die "needs $tool (apt-get install apt dpkg xz-utils zstd gzip llvm coreutils grep)"
done

# --- private apt configuration ----------------------------------------------

# Shared with tests/dumps/make.sh: apt_opts, setup_apt, apt_update, newest,
# candidate_version (needs $aptdir and die).
# shellcheck source=tests/corpus/private-apt.sh
. "$(dirname "${BASH_SOURCE[0]}")/private-apt.sh"

# --- image extraction ---------------------------------------------------------

u8_at()  { od -An -tu1 -j "$2" -N1 "$1" | tr -d ' '; }
u32_at() { od -An -tu4 --endian=little -j "$2" -N4 "$1" | tr -d ' '; }
hex_at() { od -An -tx1 -j "$2" -N "$3" "$1" | tr -d ' \n'; }

# Decompress one stream of the given kind from a file: from offset $3, $4
# bytes long (to the end of the file when empty; xz then stops at the end of
# its first stream, the others take what they find).
decompress_at() { # file kind offset length out
  local src=$1 kind=$2 off=$3 len=$4 out=$5
  {
    # The decompressor may stop reading early: a broken pipe here is fine.
    if [ -n "$len" ]; then
      dd if="$src" bs=1M iflag=skip_bytes,count_bytes skip="$off" count="$len" status=none || true
    else
      tail -c +$((off + 1)) "$src" || true
    fi
  } 2>/dev/null | case $kind in
    xz)   xz -dcq --single-stream ;;
    # gzip says 2 (a warning) for bytes after the stream.
    gzip) gzip -dcq || [ $? -le 2 ] ;;
    zstd) zstd -dcq ;;
    *)    false ;;
  esac > "$out" 2>/dev/null
}

# Offsets (ascending, from $2 on) where a compressed stream may start, as
# "offset kind": an xz stream header (magic, then flags 00 and the check
# type: none, CRC32 or CRC64), a gzip member header (1f 8b 08) or a zstd frame
# (28 b5 2f fd). Decompressors keep their own format's magic among their
# constants, so a candidate counts only once it decompresses.
stream_candidates() { # file from
  local kind pattern
  for kind in xz gzip zstd; do
    case $kind in
      xz)   pattern='\xfd7zXZ\x00\x00[\x00\x01\x04]' ;;
      gzip) pattern='\x1f\x8b\x08' ;;
      zstd) pattern='\x28\xb5\x2f\xfd' ;;
    esac
    LC_ALL=C grep -obUaP "$pattern" "$1" | cut -d: -f1 | awk -v k="$kind" -v from="$2" '$1 >= from { print $1, k }'
  done | sort -n
}

# Decompress the first candidate stream from offset $2 on that decompresses
# whole, ending before offset $3 when that is given; prints "offset kind".
first_stream() { # file from end out
  local off kind len=
  while read -r off kind; do
    if [ -n "$3" ]; then
      len=$(($3 - off))
      if [ "$len" -le 0 ]; then break; fi
    fi
    if decompress_at "$1" "$kind" "$off" "$len" "$4" && [ -s "$4" ]; then
      echo "$off $kind"; return 0
    fi
  done < <(stream_candidates "$1" "$2")
  return 1
}

# x86 (arch/x86/boot/header.S): the boot protocol (2.08+) names the compressed
# payload in the setup header: payload_offset at 0x248 and payload_length at
# 0x24c, both relative to the protected-mode code, which starts after
# (setup_sects + 1) sectors. The payload is the ELF vmlinux.
unpack_bzimage() { # bzImage out
  local sects pm off len
  sects=$(u8_at "$1" $((0x1f1)))
  [ "$sects" = 0 ] && sects=4
  pm=$(((sects + 1) * 512))
  off=$(u32_at "$1" $((0x248)))
  len=$(u32_at "$1" $((0x24c)))
  case "$(hex_at "$1" $((pm + off)) 4)" in
    fd377a58) decompress_at "$1" xz $((pm + off)) "$len" "$2" ;;
    # The build appends the decompressed size (4 bytes) after the frame.
    28b52ffd) decompress_at "$1" zstd $((pm + off)) $((len - 4)) "$2" ;;
    1f8b*)    decompress_at "$1" gzip $((pm + off)) "$len" "$2" ;;
    *) die "$1: unknown bzImage payload compression" ;;
  esac || die "$1: the bzImage payload does not decompress"
  [ "$(hex_at "$2" 0 4)" = 7f454c46 ] || die "$1: the bzImage payload is not an ELF vmlinux"
}

# armhf zImage (arch/arm/boot/compressed/head.S, vmlinux.lds.S): magic
# 0x016f2818 at 0x24, the load/run start and end at 0x28 and 0x2c, the
# endianness flag 0x04030201 at 0x30, 0x45454545 at 0x34 and at 0x38 the
# offset of a table of tagged entries (a word count, then the tag). The
# "KLSZ" entry's first value is the offset of the decompressed size: the
# 4 bytes the build appends to the compressed Image (piggy_data), which
# therefore ends there. It starts after the table, past the decompressor's
# read-only data.
unpack_zimage() { # zImage out
  [ "$(hex_at "$1" $((0x30)) 4)" = 01020304 ] || die "$1: not a little-endian zImage"
  local table n tag sizeoff="" size
  size=$(stat -c %s "$1")
  table=$(u32_at "$1" $((0x38)))
  while [ "$table" -lt "$size" ] && n=$(u32_at "$1" "$table") && [ -n "$n" ] && [ "$n" != 0 ]; do
    tag=$(u32_at "$1" $((table + 4)))
    if [ "$tag" = $((0x5a534c4b)) ]; then sizeoff=$(u32_at "$1" $((table + 8))); break; fi
    table=$((table + 4 * n))
  done
  [ -n "$sizeoff" ] || die "$1: no KLSZ entry in the zImage table"
  first_stream "$1" "$table" "$sizeoff" "$2" >/dev/null || die "$1: no compressed Image in the zImage"
  [ "$(stat -c %s "$2")" = "$(u32_at "$1" "$sizeoff")" ] ||
    die "$1: the Image is not the size the zImage states"
}

# s390x compressed image (arch/s390/boot/head.S, vmlinux.lds.S): the
# decompressor, linked at 0 ("S390EP" at 0x10008), with the compressed
# vmlinux.bin between _compressed_start and _compressed_end, which no header
# names: the first stream that decompresses whole is it.
unpack_s390() { # image out
  first_stream "$1" $((0x10000)) "" "$2" >/dev/null || die "$1: no compressed kernel in the s390x image"
}

# EFI zboot (drivers/firmware/efi/libstub/zboot-header.S): "zimg" at 4, the
# payload's offset at 8 and size at 12, the compression's name at 24. No
# corpus kernel ships one yet (Debian's arm64 and riscv64 vmlinuz are raw).
unpack_zboot() { # vmlinuz out
  local off len kind
  off=$(u32_at "$1" 8); len=$(u32_at "$1" 12)
  kind=$(dd if="$1" bs=1 skip=24 count=8 status=none | tr -d '\0')
  decompress_at "$1" "$kind" "$off" "$len" "$2" || die "$1: zboot payload ($kind) does not decompress"
}

unpack_image() { # vmlinuz out
  if [ "$(hex_at "$1" 0 4)" = 7f454c46 ]; then
    cp "$1" "$2"                                            # ppc64el vmlinux
  elif [ "$(hex_at "$1" 0 2)" = 1f8b ]; then
    gzip -dc "$1" > "$2"                                    # Image.gz
  elif [ "$(hex_at "$1" $((0x202)) 4)" = 48647253 ]; then   # "HdrS"
    unpack_bzimage "$1" "$2"
  elif [ "$(hex_at "$1" 0 2)" = 4d5a ] && [ "$(hex_at "$1" 4 4)" = 7a696d67 ]; then  # "MZ" "zimg"
    unpack_zboot "$1" "$2"
  elif [ "$(hex_at "$1" $((0x24)) 4)" = 18286f01 ]; then
    unpack_zimage "$1" "$2"
  elif [ "$(hex_at "$1" $((0x10008)) 6)" = 533339304550 ]; then  # "S390EP"
    unpack_s390 "$1" "$2"
  elif [ "$(hex_at "$1" $((0x38)) 4)" = 41524d64 ] ||       # arm64 Image "ARM\x64"
       [ "$(hex_at "$1" $((0x38)) 4)" = 52534305 ]; then    # riscv64 Image "RSC\x05"
    cp "$1" "$2"
  else
    die "$1: unknown kernel image format"
  fi
}

# Extract the named members from a .deb, stopping once all were seen (the
# debug vmlinux sits near the front of a 1 GB archive).
deb_extract() { # deb dest member...
  local deb=$1 dest=$2; shift 2
  mkdir -p "$dest"
  dpkg-deb --fsys-tarfile "$deb" 2>/dev/null | tar -x -C "$dest" --occurrence=1 "$@" 2>/dev/null || true
}

# The boot file in an extracted image package: /boot/vmlinuz-<release> (x86,
# arm64, armhf, s390x in 6.x), /boot/vmlinux-<release> (ppc64el), or from 7.x
# /usr/lib/modules/<release>/vmlinuz(.unsigned).
find_vmlinuz() { # dir release
  find "$1" -type f \( -name "vmlinuz-$2" -o -name "vmlinux-$2" -o -name 'vmlinuz.unsigned' -o -name 'vmlinuz' \) | head -n1
}

# Only the boot file and the map from an image package, not its modules (7.x
# packages hold no map: tar then says so, and that is fine).
image_extract() { # deb dest
  mkdir -p "$2"
  dpkg-deb --fsys-tarfile "$1" | tar -x -C "$2" --wildcards --no-anchored 'vmlinu[xz]*' 'System.map*' 2>/dev/null || true
}

set_meta() { # dir key value: replace or add one "key value" line
  { grep -v "^$2 " "$1/meta" || true; echo "$2 $3"; } > "$1/meta.new"
  mv "$1/meta.new" "$1/meta"
}

meta_get() { awk -v k="$2" '$1 == k { print $2 }' "$1/meta"; }

# A kernel fetched before vmlinuz was kept: fetch its image package again (at
# the version it was taken from), keep the boot file, and check that it
# unpacks to the image already there.
add_vmlinuz() { # id dir
  local id=$1 dir=$2 arch release version image_pkg
  arch=$(meta_get "$dir" arch); release=$(meta_get "$dir" release)
  version=$(meta_get "$dir" version); image_pkg=$(meta_get "$dir" image_package)
  if [ -z "$arch" ] || [ -z "$version" ] || [ -z "$image_pkg" ]; then die "$id: $dir/meta lacks arch, version or image_package"; fi
  if [ "${list_only:-0}" = 1 ]; then
    echo "$id: vmlinuz from $image_pkg $version ($arch)"
    return
  fi
  [ "$(candidate_version "$image_pkg" "$arch")" = "$version" ] ||
    die "$id: the archive no longer serves $image_pkg $version; remove $dir to fetch the kernel whole"
  echo "$id: fetching vmlinuz from $image_pkg $version ($arch)"
  rm -rf "$work"; mkdir -p "$work"
  (cd "$work" && apt-get "${apt_opts[@]}" -q download "$image_pkg:$arch=$version" >/dev/null)
  local ideb vmlinuz
  ideb=$(find "$work" -maxdepth 1 -name "${image_pkg}_*.deb" | head -n1)
  [ -n "$ideb" ] || die "$id: apt-get download left no .deb"
  image_extract "$ideb" "$work/img"
  vmlinuz=$(find_vmlinuz "$work/img" "$release")
  [ -n "$vmlinuz" ] || die "$id: no vmlinuz in $image_pkg"
  unpack_image "$vmlinuz" "$work/image"
  cmp -s "$work/image" "$dir/image" || die "$id: $(basename "$vmlinuz") does not unpack to the cached image"
  cp "$vmlinuz" "$dir/vmlinuz"
  set_meta "$dir" vmlinuz "$(basename "$vmlinuz")"
  set_meta "$dir" vmlinuz_sha256 "$(sha256sum < "$dir/vmlinuz" | cut -d' ' -f1)"
  rm -rf "$work"
  echo "$id: vmlinuz $(stat -c %s "$dir/vmlinuz") bytes"
}

complete() { # dir
  local f
  for f in truth.nm image System.map meta vmlinuz; do [ -s "$1/$f" ] || return 1; done
  grep -q '^vmlinuz_sha256 ' "$1/meta"
}

fetch_one() { # id arch pattern
  local id=$1 arch=$2 pattern=$3 dir=$corpus/$1
  if complete "$dir"; then
    echo "$id: cached ($(meta_get "$dir" release))"
    return
  fi
  if [ -s "$dir/truth.nm" ] && [ -s "$dir/image" ] && [ -s "$dir/System.map" ] && [ -s "$dir/meta" ]; then
    add_vmlinuz "$id" "$dir"
    return
  fi
  local dbg release version image_pkg
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

  image_extract "$ideb" "$work/img"
  rm -f "$ideb"
  local vmlinuz map
  vmlinuz=$(find_vmlinuz "$work/img" "$release")
  [ -n "$vmlinuz" ] || die "$id: no vmlinuz in $image_pkg"
  unpack_image "$vmlinuz" "$dir/image"
  cp "$vmlinuz" "$dir/vmlinuz"

  # 6.x keeps the debug vmlinux and System.map in /usr/lib/debug/boot, 7.x
  # in /usr/lib/debug/lib/modules/<release>; both sit near the archive's front.
  local members
  members=$(dpkg-deb --fsys-tarfile "$ddeb" 2>/dev/null | tar -t 2>/dev/null |
    awk '/\/vmlinux(-[^\/]*)?$/ && !v { v = 1; print } /\/System\.map(-[^\/]*)?$/ && !m { m = 1; print } v && m { exit }') || true
  # shellcheck disable=SC2086
  [ -n "$members" ] && deb_extract "$ddeb" "$work/dbg" $members
  rm -f "$ddeb"
  local vmlinux dbgmap
  vmlinux=$(find "$work/dbg" -type f -name 'vmlinux*' | head -n1)
  dbgmap=$(find "$work/dbg" -type f -name 'System.map*' | head -n1)
  [ -n "$vmlinux" ] && [ -s "$vmlinux" ] || die "$id: no vmlinux in $dbg"

  # Prefer the map the image package ships; 6.1 on some architectures and
  # 7.x ship a placeholder that points at the -dbg package, which has the
  # real one.
  map=$(find "$work/img" -type f -name "System.map*" -size +1k | head -n1)
  [ -n "$map" ] || map=$dbgmap
  [ -n "$map" ] && [ -s "$map" ] || die "$id: no System.map for $release"
  cp "$map" "$dir/System.map"

  llvm-nm -n "$vmlinux" > "$dir/truth.nm"
  if [ "${KSYM_KEEP_DEBUG:-0}" = 1 ]; then
    llvm-objcopy --strip-debug "$vmlinux" "$dir/vmlinux.nodebug"
  fi
  {
    echo "id $id"
    echo "arch $arch"
    echo "release $release"
    echo "version $version"
    echo "image_package $image_pkg"
    echo "dbg_package $dbg"
    echo "vmlinuz $(basename "$vmlinuz")"
    echo "vmlinuz_sha256 $(sha256sum < "$dir/vmlinuz" | cut -d' ' -f1)"
    echo "map_from $([ "${map#"$work/img"}" != "$map" ] && echo "$image_pkg" || echo "$dbg")"
  } > "$dir/meta"
  rm -rf "$work"
  echo "$id: $(wc -l < "$dir/truth.nm") truth symbols, image $(stat -c %s "$dir/image") bytes, vmlinuz $(stat -c %s "$dir/vmlinuz") bytes"
}

list_only=0
[ "${1:-}" = --list ] && list_only=1

# apt is needed only when some kernel is missing or incomplete.
need_apt=$list_only
for k in "${kernels[@]}"; do
  complete "$corpus/${k%% *}" || need_apt=1
done
if [ "$need_apt" = 1 ]; then
  setup_apt
  apt_update
fi
for k in "${kernels[@]}"; do
  # shellcheck disable=SC2086
  fetch_one $k
done
