#!/usr/bin/env bash
# Make real crash dumps: boot Debian kernels under QEMU (TCG) with a tiny
# busybox initramfs, record what the guest itself says (its /proc/kallsyms,
# /proc/modules, VMCOREINFO, ...), then have QEMU dump the guest's memory.
#
#   tests/dumps/make.sh                  every case whose outputs are missing
#   tests/dumps/make.sh --case NAME      one case (may be repeated)
#   tests/dumps/make.sh --list           print the cases, make nothing
#   tests/dumps/make.sh --force ...      remake even when cached
#
# Each case lands in $KSYM_CACHE/dumps/<case>/ (KSYM_CACHE defaults to
# $HOME/.cache/ksym):
#   vmcore.elf         dump-guest-memory, ELF, paging=false (has the
#                      VMCOREINFO note the guest published to -device vmcoreinfo)
#   vmcore.kdump-flat  dump-guest-memory, format kdump-zlib (makedumpfile's
#                      flattened format, as QEMU writes it)
#   vmcore.kdump       the same, reassembled by `makedumpfile -R`
#   kallsyms           the guest's /proc/kallsyms, read as root (real addresses),
#                      built-in symbols and those of the modules it loaded
#   modules            the guest's /proc/modules
#   btf                the guest's /sys/kernel/btf/vmlinux (when it has one)
#   vmcoreinfo         the guest's VMCOREINFO text, from the note in /proc/kcore
#   vmcoreinfo.sysfs   the guest's /sys/kernel/vmcoreinfo (paddr size)
#   dmesg cpuinfo iomem console.log config   guest logs, the kernel's config
#   meta               "key value" lines: arch, release, QEMU cpu, page size,
#                      la57 / VA bits as seen in the guest, KASLR offset, the
#                      modules loaded, the recipe that made the case, date
# A case whose directory holds all of these, made by the current recipe, is
# not made again. Scratch files go to /tmp/dumps-* and are removed on success
# (kept, and named, on failure).
#
# Besides the modules the dump itself needs (the virtio disk, qemu_fw_cfg),
# every guest loads a few more of its kernel's own modules, so that the
# dumps hold real module symbol tables: dependency chains, exported symbols
# (upper-case letters in /proc/kallsyms) and data, bss, rodata and per-CPU
# symbols, not only text. See extra_modules below.
#
# Kernels come from Debian's archive through the private apt configuration
# shared with tests/corpus/fetch.sh (never the machine's sources); when the
# corpus already holds a case's kernel, the same build is used. Host tools
# (qemu-system-*, cpio, makedumpfile, socat, ...) are installed with apt-get
# when missing, through sudo when not root.
#
# Environment: KSYM_CACHE, KSYM_DUMP_TIMEOUT (seconds for a boot, default 600).
set -euo pipefail

cache=${KSYM_CACHE:-$HOME/.cache/ksym}
dumps=$cache/dumps
aptdir=$cache/apt
boot_timeout=${KSYM_DUMP_TIMEOUT:-600}
memory_mib=512
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# case  arch  -dbg package pattern (as the corpus: extended regex, whole name)  QEMU cpu
# 6.1 lays a module out in core_layout/init_layout, 6.12 and 7.x in mem[].
# The 6.12 kernels can do 5-level (amd64) and 52-bit VA (arm64) but run on
# plain CPUs here, so 4-level / 48-bit paging meets the mem[] layout too.
cases=(
  "amd64-6.1    amd64 linux-image-6\.1\.0-[0-9]+-amd64-dbg                    qemu64"
  "arm64-6.1    arm64 linux-image-6\.1\.0-[0-9]+-arm64-dbg                    cortex-a57"
  "amd64-6.12   amd64 linux-image-6\.12\.[0-9]+\+deb[0-9]+-amd64-dbg         qemu64"
  "arm64-6.12   arm64 linux-image-6\.12\.[0-9]+\+deb[0-9]+-arm64-dbg         cortex-a57"
  "amd64-7      amd64 linux-image-7\.[0-9]+\.[0-9]+\+deb[0-9]+-amd64-dbg      max"
  "arm64-7      arm64 linux-image-7\.[0-9]+\.[0-9]+\+deb[0-9]+-arm64-dbg      max,pauth-impdef=on"
  "arm64-16k-7  arm64 linux-image-7\.[0-9]+\.[0-9]+\+deb[0-9]+-arm64-16k-dbg  max,pauth-impdef=on"
)
outputs=(vmcore.elf vmcore.kdump-flat vmcore.kdump kallsyms modules meta)

# Bump when what a guest loads or records changes: CI keeps the cache between
# runs, and a case made by another recipe is made again (meta: "recipe N").
# 1: the virtio disk and qemu_fw_cfg only. 2: extra_modules, btf.
recipe=2

# The guest's own modules beyond those the dump needs, loaded deps first (a
# name that is built in, or absent from a kernel, is skipped). All are
# loadable on Debian's amd64 and arm64 6.1, 6.12 and 7.x kernels:
#   br_netfilter  chain br_netfilter -> bridge -> stp -> llc; a per-CPU
#                 variable (brnf_frag_data_storage)
#   nf_conntrack  -> nf_defrag_ipv4, nf_defrag_ipv6 (and libcrc32c before
#                 7.x); big, many data symbols, exported data
#   crc32c_generic  for libcrc32c, whose init asks the crypto API for crc32c:
#                 a softdep, not in depends=, and the guest has no modprobe to
#                 load it on demand (gone in 7.x, as is libcrc32c)
#   llc           (via bridge) EXPORT_SYMBOL of text and of data (llc_sap_list)
#   crc_itu_t     an exported rodata table (crc_itu_t_table)
#   soundcore     an exported variable, in .bss before 6.12 (sound_class)
#   tun veth dummy loop   plain drivers: more text, data, rodata and bss
# Before 7.x only EXPORT_SYMBOL (not _GPL) symbols are upper case in a
# module's kallsyms lines; from 7.x both are. A kernel without
# CONFIG_KALLSYMS_ALL (Debian's arm64 6.1) lists only a module's text.
extra_modules=(br_netfilter crc32c_generic nf_conntrack crc_itu_t soundcore tun veth dummy loop)

die() { echo "make.sh: $*" >&2; exit 1; }
say() { echo "make.sh: $*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then
    "$@"
  else
    command -v sudo >/dev/null || die "not root and no sudo: cannot run $*"
    sudo "$@"
  fi
}

# --- host tools -----------------------------------------------------------------

apt_updated=0
need_packages() { # package...
  local p missing=()
  for p in "$@"; do
    dpkg-query -W -f '${Status}\n' "$p" 2>/dev/null | grep -q ' installed$' || missing+=("$p")
  done
  [ "${#missing[@]}" = 0 ] && return
  say "installing ${missing[*]}"
  if [ "$apt_updated" = 0 ]; then
    as_root apt-get -q update >/dev/null || die "apt-get update failed"
    apt_updated=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null ||
    die "apt-get install ${missing[*]} failed"
}

# --- small binary helpers -------------------------------------------------------

le_u() { od -An -tu"$3" --endian=little -j "$2" -N "$3" "$1" | tr -d ' '; } # file offset bytes
magic() { od -An -tx1 -j "${2:-0}" -N "${3:-4}" "$1" | tr -d ' \n'; }        # file [offset [bytes]]

# The text of the first VMCOREINFO note of a little-endian ELF64 file (a
# vmcore, or the head of /proc/kcore): walk the PT_NOTE segments.
elf_vmcoreinfo() { # file
  local f=$1 phoff phentsize phnum i ph off end pos namesz descsz name desc
  [ "$(magic "$f" 0 6)" = 7f454c460201 ] || return 1
  phoff=$(le_u "$f" 32 8); phentsize=$(le_u "$f" 54 2); phnum=$(le_u "$f" 56 2)
  for ((i = 0; i < phnum; i++)); do
    ph=$((phoff + i * phentsize))
    [ "$(le_u "$f" "$ph" 4)" = 4 ] || continue
    off=$(le_u "$f" $((ph + 8)) 8)
    end=$((off + $(le_u "$f" $((ph + 32)) 8)))
    pos=$off
    while ((pos + 12 <= end)); do
      namesz=$(le_u "$f" "$pos" 4); descsz=$(le_u "$f" $((pos + 4)) 4)
      [ -n "$namesz" ] && [ -n "$descsz" ] || return 1
      name=$(dd if="$f" iflag=skip_bytes,count_bytes skip=$((pos + 12)) count="$namesz" status=none | tr -d '\0')
      desc=$((pos + 12 + (namesz + 3) / 4 * 4))
      if [ "$name" = VMCOREINFO ]; then
        dd if="$f" iflag=skip_bytes,count_bytes skip="$desc" count="$descsz" bs=64k status=none | tr -d '\0'
        return 0
      fi
      pos=$((desc + (descsz + 3) / 4 * 4))
    done
  done
  return 1
}

vmci() { sed -n "s/^$2=//p" "$1" | head -n1; } # vmcoreinfo-file key -> value

# --- the guest ------------------------------------------------------------------

# /init of the initramfs: load the modules, record what the guest says, write
# it as a tar archive to the raw virtio disk, say so on the console, idle.
write_init() { # file
  cat > "$1" <<'EOF'
#!/bin/busybox sh
/bin/busybox mkdir -p /proc /sys /dev /tmp /out /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
idle() { while :; do sleep 3600; done; }
fail() { echo "KSYM-DUMP-FAILED: $*"; idle; }
echo "ksym-init: $(uname -r) $(uname -m)"

for m in $(cat /etc/ksym-modules); do
  insmod "/lib/ksym/$m.ko" || { echo "ksym-init: insmod $m failed"; echo "$m" >> /out/insmod.failed; }
done
i=0
while [ ! -b /dev/vda ]; do
  i=$((i + 1)); [ "$i" -le 120 ] || fail "no /dev/vda"
  sleep 1
done

# Root sees real addresses unless kptr_restrict is 2; make it 0 regardless.
kptr=$(cat /proc/sys/kernel/kptr_restrict)
echo 0 > /proc/sys/kernel/kptr_restrict

cd /out || fail "no /out"
cat /proc/kallsyms > kallsyms
cat /proc/modules > modules
cat /sys/kernel/btf/vmlinux > btf 2>/dev/null || rm -f btf
cat /sys/kernel/vmcoreinfo > vmcoreinfo.sysfs 2>/dev/null || :
# The ELF header of /proc/kcore carries a VMCOREINFO note (4.19+).
dd if=/proc/kcore of=kcore.head bs=65536 count=1 2>/dev/null || :
dmesg > dmesg
cat /proc/cpuinfo > cpuinfo
cat /proc/iomem > iomem
{
  echo "guest_release $(uname -r)"
  echo "guest_machine $(uname -m)"
  echo "page_size $(( $(awk '/^KernelPageSize:/ { print $2; exit }' /proc/self/smaps) * 1024 ))"
  if grep -qw la57 /proc/cpuinfo; then echo "la57 1"; else echo "la57 0"; fi
  echo "kptr_restrict_was $kptr"
  if [ -e /sys/firmware/qemu_fw_cfg/by_name/etc/vmcoreinfo ]; then echo "fw_cfg_vmcoreinfo 1"; else echo "fw_cfg_vmcoreinfo 0"; fi
  echo "guest_cmdline $(cat /proc/cmdline)"
} > guest.meta
[ -s kallsyms ] || fail "empty /proc/kallsyms"

tar -cf /dev/vda . || fail "tar to /dev/vda"
sync
blockdev --flushbufs /dev/vda 2>/dev/null || :
echo "KSYM-DUMP-READY"
idle
EOF
}

# modules.dep is made at install time and not shipped: follow the
# "depends=" of each module's .modinfo instead, deps first.
declare -A mod_path mod_done mod_builtin
mod_order=() mod_skipped=()
index_modules() { # tree
  local f n
  mod_path=(); mod_done=(); mod_builtin=(); mod_order=(); mod_skipped=()
  while IFS= read -r f; do
    n=${f##*/}; n=${n%%.ko*}; n=${n//-/_}
    mod_path[$n]=$f
  done < <(find "$1" -type f -name '*.ko*')
  # modules.builtin names what is built in, to tell it from what is absent.
  while IFS= read -r f; do
    n=${f##*/}; n=${n%%.ko*}; n=${n//-/_}
    mod_builtin[$n]=1
  done < <(find "$1" -type f -name modules.builtin -exec cat {} + 2>/dev/null)
}
plain_ko() { # module -> uncompressed .ko on stdout
  case $1 in
    *.ko) cat "$1" ;;
    *.ko.xz) xz -dc "$1" ;;
    *.ko.zst) zstd -dcq "$1" ;;
    *.ko.gz) gzip -dc "$1" ;;
    *) die "unknown module compression: $1" ;;
  esac
}
add_module() { # name destdir
  local n=${1//-/_} dest=$2 deps d
  [ -z "${mod_done[$n]:-}" ] || return 0
  mod_done[$n]=1
  if [ -z "${mod_path[$n]:-}" ]; then # built in, or absent: nothing to load
    mod_skipped+=("$n:$([ -n "${mod_builtin[$n]:-}" ] && echo builtin || echo absent)")
    return 0
  fi
  plain_ko "${mod_path[$n]}" > "$dest/$n.ko"
  deps=$(tr '\0' '\n' < "$dest/$n.ko" | sed -n 's/^depends=//p' | head -n1)
  for d in ${deps//,/ }; do add_module "$d" "$dest"; done
  mod_order+=("$n")
}

# --- QMP ------------------------------------------------------------------------

qmp_in='' qmp_out=''
qmp_cmd() { # json [timeout] -> 0 on "return"
  local line
  printf '%s\n' "$1" >&"$qmp_out"
  while IFS= read -r -t "${2:-60}" line <&"$qmp_in"; do
    case $line in
      *'"event"'*) echo "  qmp event: $line" ;;
      *'"return"'*) return 0 ;;
      *'"error"'*) echo "  qmp: $line" >&2; return 1 ;;
    esac
  done
  echo "  qmp: no answer to $1" >&2
  return 1
}

# --- one case -------------------------------------------------------------------

case_recipe() { # dir -> the recipe that made it (0: none recorded)
  if [ -s "$1/meta" ]; then awk '$1 == "recipe" { r = $2 } END { print r + 0 }' "$1/meta"; else echo 0; fi
}
case_done() { # dir
  local o
  for o in "${outputs[@]}"; do [ -s "$1/$o" ] || return 1; done
  [ "$(case_recipe "$1")" = "$recipe" ]
}

tmp='' qemu_pid='' socat_pid=''
cleanup() {
  [ -z "$socat_pid" ] || { kill "$socat_pid" 2>/dev/null; wait "$socat_pid" 2>/dev/null; } || :
  [ -z "$qemu_pid" ] || { kill "$qemu_pid" 2>/dev/null; wait "$qemu_pid" 2>/dev/null; } || :
  qemu_pid='' socat_pid=''
}
trap cleanup EXIT

# Which build: the corpus's, when it has this case and the archive still
# serves it; else the newest, chosen as the corpus chooses it.
resolve_kernel() { # case arch pattern -> sets release version image_pkg
  local id=$1 arch=$2 pattern=$3 meta=$cache/corpus/$1/meta
  release='' version='' image_pkg=''
  if [ -s "$meta" ]; then
    release=$(awk '$1 == "release" { print $2 }' "$meta")
    version=$(awk '$1 == "version" { print $2 }' "$meta")
    image_pkg=$(awk '$1 == "image_package" { print $2 }' "$meta")
    if [ -n "$image_pkg" ] && [ "$(candidate_version "$image_pkg" "$arch")" = "$version" ]; then
      return 0
    fi
    say "$id: the corpus's $release $version is no longer served; taking the newest"
  fi
  newest_kernel "$id" "$pattern" "$arch"
}

make_case() { # case arch pattern cpu
  local id=$1 arch=$2 pattern=$3 cpu=$4 dir=$dumps/$1
  if [ "$force" = 0 ] && case_done "$dir"; then
    say "$id: cached ($(awk '$1 == "release" { print $2 }' "$dir/meta"))"
    return 0
  fi
  local t0=$SECONDS dbg release version image_pkg
  resolve_kernel "$id" "$arch" "$pattern"

  tmp=$(mktemp -d /tmp/dumps-"$id".XXXXXX)
  say "$id: $release $version ($arch), scratch $tmp"

  # The packages: image, modules (7.x splits them out), base (7.x: config),
  # and busybox for the guest's architecture.
  local pkgs=("$image_pkg:$arch=$version") p
  for p in "linux-modules-$release" "linux-base-$release"; do
    [ "$(candidate_version "$p" "$arch")" = "$version" ] && pkgs+=("$p:$arch=$version")
  done
  pkgs+=("busybox-static:$arch")
  mkdir -p "$tmp/deb" "$tmp/root"
  (cd "$tmp/deb" && apt-get "${apt_opts[@]}" -q download "${pkgs[@]}" >/dev/null) ||
    die "$id: apt-get download ${pkgs[*]} failed"
  local deb
  for deb in "$tmp"/deb/*.deb; do
    case ${deb##*/} in
      busybox-static_*) dpkg-deb -x "$deb" "$tmp/busybox" ;;
      *) dpkg-deb -x "$deb" "$tmp/root" ;;
    esac
  done
  rm -rf "$tmp/deb"

  local vmlinuz config kernel=$tmp/kernel
  vmlinuz=$(find "$tmp/root" -type f \( -name "vmlinuz-$release" -o -name 'vmlinuz.unsigned' -o -name 'vmlinuz' \) | head -n1)
  [ -n "$vmlinuz" ] || die "$id: no vmlinuz in $image_pkg"
  config=$(find "$tmp/root" -type f \( -name "config-$release" -o -path "*/modules/$release/config" \) | head -n1)
  case $arch in
    amd64) cp "$vmlinuz" "$kernel" ;; # QEMU loads the bzImage itself
    arm64)
      # QEMU's -kernel wants the raw Image; Debian's vmlinuz is it, gzipped.
      case $(magic "$vmlinuz" 0 2) in
        1f8b) gzip -dc "$vmlinuz" > "$kernel" ;;
        *) cp "$vmlinuz" "$kernel" ;;
      esac
      [ "$(magic "$kernel" 56 4)" = 41524d64 ] || die "$id: $vmlinuz is not an arm64 Image (EFI zboot?)"
      ;;
  esac

  # The initramfs: busybox, /init, the modules that publish VMCOREINFO
  # (qemu_fw_cfg) and give the disk (virtio_pci, virtio_blk), then
  # extra_modules, all with their deps.
  local initrd=$tmp/initrd
  mkdir -p "$initrd/bin" "$initrd/lib/ksym" "$initrd/etc"
  cp "$tmp/busybox/bin/busybox" "$initrd/bin/busybox"
  write_init "$initrd/init"
  chmod 755 "$initrd/init" "$initrd/bin/busybox"
  index_modules "$tmp/root"
  local m
  for m in pci_host_generic virtio_pci virtio_blk qemu_fw_cfg "${extra_modules[@]}"; do add_module "$m" "$initrd/lib/ksym"; done
  [ -n "${mod_path[qemu_fw_cfg]:-}" ] || grep -qs '^CONFIG_FW_CFG_SYSFS=y' "$config" ||
    die "$id: no qemu_fw_cfg module, nor built in"
  printf '%s\n' "${mod_order[@]}" > "$initrd/etc/ksym-modules"
  say "$id: initramfs modules: ${mod_order[*]}"
  [ "${#mod_skipped[@]}" = 0 ] || say "$id: not loadable: ${mod_skipped[*]}"
  (cd "$initrd" && find . -print0 | LC_ALL=C sort -z | cpio -o -0 -H newc -R 0:0 --quiet) | gzip -9 > "$tmp/initrd.cpio.gz"
  [ -z "$config" ] || cp "$config" "$tmp/config"
  rm -rf "$tmp/root" "$tmp/busybox"

  # Boot.
  local qemu machine console
  case $arch in
    amd64) qemu=qemu-system-x86_64 machine=pc console=ttyS0 ;;
    arm64) qemu=qemu-system-aarch64 machine=virt console=ttyAMA0 ;;
  esac
  # No display device: its video memory would be dumped as a 16 MiB segment.
  local extra=()
  [ "$arch" != amd64 ] || extra=(-vga none)
  local append="console=$console panic=-1"
  truncate -s 256M "$tmp/disk.img"
  # shellcheck disable=SC2054  # commas belong to QEMU options
  local qemu_args=(
    -machine "$machine" -accel tcg -cpu "$cpu" -m "$memory_mib" -smp 1
    -kernel "$kernel" -initrd "$tmp/initrd.cpio.gz" -append "$append"
    -drive "file=$tmp/disk.img,format=raw,if=none,id=out"
    -device virtio-blk-pci,drive=out
    -device vmcoreinfo
    -nic none -nographic -no-reboot
    -qmp "unix:$tmp/qmp.sock,server=on,wait=off"
    "${extra[@]}"
  )
  say "$id: booting $qemu -cpu $cpu (timeout ${boot_timeout}s)"
  local tb=$SECONDS
  : > "$tmp/console.log"
  "$qemu" "${qemu_args[@]}" </dev/null >"$tmp/console.log" 2>"$tmp/qemu.err" &
  qemu_pid=$!
  local state=''
  while :; do
    if grep -aq 'KSYM-DUMP-READY' "$tmp/console.log"; then state=ready; break; fi
    if grep -aq 'KSYM-DUMP-FAILED' "$tmp/console.log"; then state=$(grep -a 'KSYM-DUMP-FAILED' "$tmp/console.log" | head -n1); break; fi
    if grep -aq 'Kernel panic' "$tmp/console.log"; then state='kernel panic'; break; fi
    kill -0 "$qemu_pid" 2>/dev/null || { state="QEMU exited: $(head -c 500 "$tmp/qemu.err")"; break; }
    ((SECONDS - tb < boot_timeout)) || { state="no ready marker after ${boot_timeout}s"; break; }
    sleep 1
  done
  local boot_s=$((SECONDS - tb))
  if [ "$state" != ready ]; then
    tail -n 30 "$tmp/console.log" | tr -d '\r' | sed 's/^/  console: /' >&2
    cleanup
    die "$id: $state (scratch kept in $tmp)"
  fi
  say "$id: guest ready after ${boot_s}s; dumping"

  # Dump over QMP: stop the guest so both dumps see the same memory.
  local td=$SECONDS
  coproc QMPC { exec socat - "UNIX-CONNECT:$tmp/qmp.sock"; }
  socat_pid=$QMPC_PID
  qmp_in=${QMPC[0]} qmp_out=${QMPC[1]}
  local greeting
  IFS= read -r -t 30 greeting <&"$qmp_in" || die "$id: no QMP greeting"
  case $greeting in *'"QMP"'*) ;; *) die "$id: not a QMP greeting: $greeting" ;; esac
  qmp_cmd '{"execute":"qmp_capabilities"}' || die "$id: qmp_capabilities failed"
  qmp_cmd '{"execute":"stop"}' || die "$id: stop failed"
  qmp_cmd '{"execute":"dump-guest-memory","arguments":{"paging":false,"protocol":"file:'"$tmp"'/vmcore.elf"}}' 600 ||
    die "$id: ELF dump failed (scratch kept in $tmp)"
  qmp_cmd '{"execute":"dump-guest-memory","arguments":{"paging":false,"format":"kdump-zlib","protocol":"file:'"$tmp"'/vmcore.kdump-flat"}}' 900 ||
    die "$id: kdump-zlib dump failed (scratch kept in $tmp)"
  qmp_cmd '{"execute":"quit"}' || :
  local i
  for ((i = 0; i < 30; i++)); do kill -0 "$qemu_pid" 2>/dev/null || break; sleep 1; done
  wait "$qemu_pid" 2>/dev/null || :
  cleanup
  local dump_s=$((SECONDS - td))

  makedumpfile -R "$tmp/vmcore.kdump" < "$tmp/vmcore.kdump-flat" >"$tmp/makedumpfile.log" 2>&1 ||
    die "$id: makedumpfile -R failed: $(tail -n3 "$tmp/makedumpfile.log")"
  [ "$(magic "$tmp/vmcore.kdump" 0 8)" = 4b44554d50202020 ] || die "$id: vmcore.kdump is not a kdump file"

  # What the guest wrote.
  mkdir -p "$tmp/guest"
  tar -xf "$tmp/disk.img" -C "$tmp/guest" || die "$id: no tar archive on the guest's disk"
  local g=$tmp/guest f
  for f in kallsyms modules guest.meta dmesg; do [ -e "$g/$f" ] || die "$id: the guest wrote no $f"; done
  [ -s "$g/kallsyms" ] || die "$id: empty kallsyms"
  if awk '{ if ($1 !~ /^0+$/) exit 1 }' "$g/kallsyms"; then die "$id: kallsyms addresses are all zero"; fi
  # Every module meant to load did: the case claims their symbols.
  [ ! -s "$g/insmod.failed" ] ||
    die "$id: insmod failed in the guest: $(paste -sd ' ' "$g/insmod.failed") (scratch kept in $tmp)"
  for m in "${mod_order[@]}"; do
    awk -v m="$m" '$1 == m { f = 1 } END { exit !f }' "$g/modules" ||
      die "$id: $m is not in the guest's /proc/modules (scratch kept in $tmp)"
  done
  [ ! -s "$g/kcore.head" ] || elf_vmcoreinfo "$g/kcore.head" > "$tmp/vmcoreinfo" || rm -f "$tmp/vmcoreinfo"
  elf_vmcoreinfo "$tmp/vmcore.elf" > "$tmp/vmcoreinfo.elf" || rm -f "$tmp/vmcoreinfo.elf"
  [ -s "$tmp/vmcoreinfo.elf" ] || die "$id: vmcore.elf has no VMCOREINFO note (was qemu_fw_cfg loaded?)"
  local vi=$tmp/vmcoreinfo
  [ -s "$vi" ] || vi=$tmp/vmcoreinfo.elf
  local gm=$g/guest.meta
  gv() { awk -v k="$1" '$1 == k { sub(/^[^ ]* /, ""); print; exit }' "$gm"; }
  [ "$(gv guest_release)" = "$release" ] || die "$id: the guest runs $(gv guest_release), not $release"

  local lpa2_lines va_bits t1sz page_size
  page_size=$(gv page_size)
  va_bits=$(vmci "$vi" 'NUMBER(VA_BITS)')
  t1sz=$(vmci "$vi" 'NUMBER(TCR_EL1_T1SZ)')
  lpa2_lines=$(grep -aiE 'LPA2|52-bit|5-level' "$g/dmesg" | sed 's/^\[[^]]*\] *//' | paste -sd ';' - || :)
  {
    echo "case $id"
    echo "arch $arch"
    echo "release $release"
    echo "version $version"
    echo "image_package $image_pkg"
    echo "qemu $qemu $($qemu --version | head -n1 | sed 's/^QEMU emulator version //')"
    echo "qemu_machine $machine"
    echo "qemu_cpu $cpu"
    echo "memory_mib $memory_mib"
    echo "kernel_cmdline $append"
    echo "guest_machine $(gv guest_machine)"
    echo "page_size $page_size"
    echo "vmcoreinfo_pagesize $(vmci "$vi" PAGESIZE)"
    echo "kerneloffset $(vmci "$vi" KERNELOFFSET)"
    case $arch in
      amd64)
        echo "la57 $(gv la57)"
        echo "pgtable_l5_enabled $(vmci "$vi" 'NUMBER(pgtable_l5_enabled)')"
        echo "page_table_levels $([ "$(gv la57)" = 1 ] && echo 5 || echo 4)"
        echo "phys_base $(vmci "$vi" 'NUMBER(phys_base)')"
        ;;
      arm64)
        echo "va_bits $va_bits"
        echo "tcr_el1_t1sz $t1sz"
        echo "va_bits_actual $([ -z "$t1sz" ] || echo $((64 - t1sz)))"
        # 52-bit VA with 4K or 16K pages is LPA2 (64K pages use FEAT_LVA).
        echo "lpa2 $([ -n "$t1sz" ] && [ $((t1sz)) = 12 ] && [ "$page_size" != 65536 ] && echo 1 || echo 0)"
        echo "kimage_voffset $(vmci "$vi" 'NUMBER(kimage_voffset)')"
        echo "phys_offset $(vmci "$vi" 'NUMBER(PHYS_OFFSET)')"
        ;;
    esac
    echo "dmesg_paging ${lpa2_lines:-none}"
    # QEMU's own kdump header: its block size (64 KiB on arm64 whatever the
    # guest's page size) and the sub-header's phys_base, which QEMU 7.2 parses
    # from VMCOREINFO's decimal NUMBER(phys_base) as hex on x86 (so wrong when
    # the physical base is randomized): trust VMCOREINFO, not this field.
    echo "kdump_block_size $(le_u "$tmp/vmcore.kdump" 428 4)"
    echo "kdump_phys_base 0x$(od -An -tx8 --endian=little -j "$(le_u "$tmp/vmcore.kdump" 428 4)" -N 8 "$tmp/vmcore.kdump" | tr -d ' ')"
    echo "elf_vmcoreinfo_note 1"
    echo "kptr_restrict_was $(gv kptr_restrict_was)"
    echo "fw_cfg_vmcoreinfo $(gv fw_cfg_vmcoreinfo)"
    echo "vmcoreinfo_from $([ "$vi" = "$tmp/vmcoreinfo" ] && echo /proc/kcore || echo vmcore.elf)"
    echo "recipe $recipe"
    echo "modules_loaded ${mod_order[*]:-none}"
    # Asked for (or a dependency) but built into this kernel, or not in it.
    echo "modules_skipped ${mod_skipped[*]:-none}"
    # The built-in list head of loaded modules, as /proc/kallsyms names it
    # (absent without CONFIG_KALLSYMS_ALL; its letter is not always d or D).
    echo "modules_symbol $(grep -qE '^[0-9a-f]+ [A-Za-z] modules$' "$g/kallsyms" && echo 1 || echo 0)"
    echo "modules_symbol_type $(awk '$3 == "modules" && NF == 3 { print $2; exit }' "$g/kallsyms")"
    echo "module_kallsyms_lines $(grep -c $'\t\\[' "$g/kallsyms" || :)"
    echo "module_kallsyms_types $(grep $'\t\\[' "$g/kallsyms" | awk '{ print $2 }' | LC_ALL=C sort -u | paste -sd '' -)"
    echo "btf $([ -s "$g/btf" ] && echo 1 || echo 0)"
    echo "kallsyms_lines $(wc -l < "$g/kallsyms")"
    echo "boot_seconds $boot_s"
    echo "dump_seconds $dump_s"
    echo "date $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  } > "$tmp/meta"

  # Into the cache, outputs last, so a partial directory never looks done.
  rm -rf "$dir"; mkdir -p "$dir"
  for f in dmesg cpuinfo iomem vmcoreinfo.sysfs btf; do [ ! -e "$g/$f" ] || mv "$g/$f" "$dir/$f"; done
  [ ! -s "$tmp/vmcoreinfo" ] || mv "$tmp/vmcoreinfo" "$dir/vmcoreinfo"
  [ ! -s "$tmp/config" ] || mv "$tmp/config" "$dir/config"
  tr -d '\r' < "$tmp/console.log" > "$dir/console.log"
  chmod 644 "$tmp"/vmcore.*
  # Most of a small idle guest's memory is zero: keep the ELF dump sparse.
  fallocate --dig-holes "$tmp/vmcore.elf" 2>/dev/null || :
  mv "$g/kallsyms" "$g/modules" "$tmp/vmcore.elf" "$tmp/vmcore.kdump-flat" "$tmp/vmcore.kdump" "$dir/"
  mv "$tmp/meta" "$dir/meta"
  rm -rf "$tmp"; tmp=''
  say "$id: done in $((SECONDS - t0))s (boot ${boot_s}s, dumps ${dump_s}s): $(du -sh "$dir" | cut -f1) in $dir"
}

# --- main -----------------------------------------------------------------------

force=0 list=0 want=()
while [ $# -gt 0 ]; do
  case $1 in
    --case) [ $# -ge 2 ] || die "--case needs a name"; want+=("$2"); shift 2 ;;
    --case=*) want+=("${1#--case=}"); shift ;;
    --force) force=1; shift ;;
    --list) list=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done

selected=()
for c in "${cases[@]}"; do
  read -r id _ <<<"$c"
  if [ "${#want[@]}" = 0 ]; then selected+=("$c"); continue; fi
  for w in "${want[@]}"; do [ "$w" = "$id" ] && selected+=("$c"); done
done
for w in "${want[@]}"; do
  printf '%s\n' "${cases[@]}" | awk -v w="$w" '$1 == w { f = 1 } END { exit !f }' ||
    die "no case $w (cases: $(printf '%s\n' "${cases[@]}" | awk '{ print $1 }' | paste -sd ' ' -))"
done

if [ "$list" = 1 ]; then
  for c in "${selected[@]}"; do
    read -r id arch _ cpu <<<"$c"
    if case_done "$dumps/$id"; then state=cached
    elif [ -s "$dumps/$id/meta" ]; then state="stale (recipe $(case_recipe "$dumps/$id"), now $recipe)"
    else state=missing; fi
    echo "$id $arch -cpu $cpu $state"
  done
  exit 0
fi

todo=()
for c in "${selected[@]}"; do
  read -r id _ <<<"$c"
  if [ "$force" = 1 ] || ! case_done "$dumps/$id"; then todo+=("$c"); else say "$id: cached"; fi
done
[ "${#todo[@]}" -gt 0 ] || exit 0

host_pkgs=(tar gzip xz-utils zstd cpio makedumpfile socat)
for c in "${todo[@]}"; do
  read -r _ arch _ <<<"$c"
  case $arch in
    amd64) host_pkgs+=(qemu-system-x86) ;;
    arm64) host_pkgs+=(qemu-system-arm) ;;
  esac
done
need_packages "${host_pkgs[@]}"

# shellcheck source=tests/corpus/private-apt.sh
. "$here/../corpus/private-apt.sh"
setup_apt
apt_update

t_all=$SECONDS
for c in "${todo[@]}"; do
  # shellcheck disable=SC2086
  make_case $c
done
say "all done in $((SECONDS - t_all))s; $(du -sh "$dumps" | cut -f1) in $dumps"
