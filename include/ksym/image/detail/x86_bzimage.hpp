#pragma once
// The x86 bzImage: a real-mode setup of (setup_sects + 1) sectors, then the
// protected-mode decompressor holding the compressed vmlinux. The setup
// header names the payload (Documentation/arch/x86/boot.rst; the fields are
// laid out in arch/x86/boot/header.S):
//   0x1f1  setup_sects (u8; 0 means 4)
//   0x202  "HdrS"
//   0x206  boot protocol version (u16); payload_offset/length from 2.08
//   0x236  xloadflags (u16, 2.12+): bit 0 XLF_KERNEL_64, a 64-bit kernel
//   0x248  payload_offset (u32), from the start of the protected-mode code
//   0x24c  payload_length (u32)
// The payload is what arch/x86/boot/compressed/Makefile builds: a gzip
// member, or a bzip2/lzma/xz/lzo/lz4/zstd stream followed by the
// decompressed size as a LE32 (the *_with_size rules of
// scripts/Makefile.lib); mkpiggy.c reads those last four bytes as
// z_output_len either way, gzip's ISIZE included.

#include <cstdint>

#include "ksym/core/errc.hpp"
#include "ksym/core/result.hpp"
#include "ksym/image/container_info.hpp"
#include "ksym/image/detail/bytes.hpp"

namespace ksym::detail {

inline constexpr std::uint64_t bzimage_header_end = 0x250;

[[nodiscard]] constexpr bool is_bzimage(file_bytes f) noexcept { return magic_at(f, 0x202, "HdrS"); }

[[nodiscard]] constexpr result<container_info> parse_bzimage(file_bytes f) noexcept {
    if (!fits(f, 0, bzimage_header_end)) return status{errc::truncated, f.size()};
    if (le16_at(f, 0x206) < 0x208) return status{errc::unsupported, 0x206};  // no payload fields before 2.08
    const std::uint64_t sects = u8_at(f, 0x1f1) == 0 ? 4 : u8_at(f, 0x1f1);
    const std::uint64_t start = (sects + 1) * 512 + le32_at(f, 0x248);
    const std::uint64_t length = le32_at(f, 0x24c);
    if (length == 0) return status{errc::corrupt, 0x24c};
    if (!fits(f, start, length)) return status{errc::truncated, start};

    container_info info;
    info.kind = container_kind::x86_bzimage;
    info.payload_offset = start;
    info.payload_exact = true;
    if (le16_at(f, 0x206) >= 0x20c) info.arch = (le16_at(f, 0x236) & 1) ? arch_id::x86_64 : arch_id::i386;
    const auto payload = f.subspan(static_cast<std::size_t>(start), static_cast<std::size_t>(length));
    info.codec = sniff_compression(payload);
    if (info.codec == compression::none) {
        // An uncompressed payload is the ELF vmlinux itself.
        if (!magic_at(payload, 0, "\x7f" "ELF")) return status{errc::unsupported, start};
        info.payload_size = length;
        return info;
    }
    // Every stream header sniff_compression accepts is longer than the four size bytes.
    info.decompressed_size = le32_at(f, start + length - 4);
    info.payload_size = info.codec == compression::gzip ? length : length - 4;
    return info;
}

}  // namespace ksym::detail
