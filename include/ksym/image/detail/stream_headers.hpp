#pragma once
// Whether a compressed stream of each codec the kernel's build uses starts at
// the first byte of a span: the magic plus whatever else its header fixes,
// so that a scan through a decompressor's code and data (which hold the same
// magic in their tables) stops only at the real stream.

#include <bit>
#include <cstdint>

#include "ksym/image/detail/bytes.hpp"

namespace ksym::detail {

// gzip (RFC 1952): ID1 ID2 CM=8 (deflate), FLG with bits 5..7 clear, MTIME,
// XFL (0, 2 or 4), OS (0..13, or 255 unknown); a member holds at least its
// 10-byte header and 8-byte trailer.
[[nodiscard]] constexpr bool gzip_header(file_bytes s) noexcept {
    if (!fits(s, 0, 18) || !magic_at(s, 0, "\x1f\x8b\x08")) return false;
    const auto xfl = u8_at(s, 8), os = u8_at(s, 9);
    return (u8_at(s, 3) & 0xe0) == 0 && (xfl == 0 || xfl == 2 || xfl == 4) && (os <= 13 || os == 255);
}

// bzip2: "BZh", the block size '1'..'9', then the first block's magic
// (the BCD digits of pi) or, for empty input, the end-of-stream magic
// (those of sqrt(pi)).
[[nodiscard]] constexpr bool bzip2_header(file_bytes s) noexcept {
    if (!fits(s, 0, 10) || !magic_at(s, 0, "BZh")) return false;
    const auto level = u8_at(s, 3);
    return level >= '1' && level <= '9' &&
           (magic_at(s, 4, "\x31\x41\x59\x26\x53\x59") || magic_at(s, 4, "\x17\x72\x45\x38\x50\x90"));
}

// LZMA "alone" (.lzma, what `lzma -9` writes for the kernel's cmd_lzma in
// scripts/Makefile.lib): properties byte, dictionary size (LE32),
// uncompressed size (LE64, all ones when streamed from a pipe, as the build
// does), then the range coder's data, whose first byte is always 0.
// The kernel's images use the default properties lc=3 lp=0 pb=2 (0x5d);
// demanding them keeps a scan from stopping in arbitrary data.
[[nodiscard]] constexpr bool lzma_header(file_bytes s) noexcept {
    if (!fits(s, 0, 14) || u8_at(s, 0) != 0x5d || u8_at(s, 13) != 0) return false;
    const std::uint32_t dict = le32_at(s, 1);
    // xz-utils writes 2^n or 2^n + 2^(n-1), at least 4 KiB.
    const int bits = std::popcount(dict);
    const bool dict_ok = dict >= 4096 && (bits == 1 || (bits == 2 && (dict & (dict >> 1)) != 0));
    const std::uint64_t size = le_at(s, 5, 8);
    return dict_ok && (size == ~std::uint64_t{0} || size < (std::uint64_t{1} << 40));
}

// xz (the .xz file format, section 2.1.1): magic FD 37 7A 58 5A 00, stream
// flags (a zero byte, then the check type in the low nibble) and the CRC32
// of those two bytes.
[[nodiscard]] constexpr bool xz_header(file_bytes s) noexcept {
    if (!fits(s, 0, 12) || !magic_at(s, 0, "\xfd\x37\x7a\x58\x5a\x00")) return false;
    return u8_at(s, 6) == 0 && (u8_at(s, 7) & 0xf0) == 0 && crc32_at(s, 6, 2) == le32_at(s, 8);
}

// lzop (what the kernel's cmd_lzo writes and lib/decompress_unlzo.c reads):
// a nine-byte magic, then a header of at least 24 more bytes.
[[nodiscard]] constexpr bool lzo_header(file_bytes s) noexcept {
    return fits(s, 0, 9 + 24) && magic_at(s, 0, "\x89\x4c\x5a\x4f\x00\x0d\x0a\x1a\x0a");
}

/// The largest compressed chunk of the LZ4 legacy format: LZ4_compressBound
/// of its 8 MiB of input (lib/decompress_unlz4.c).
inline constexpr std::uint32_t lz4_legacy_max_chunk = (8u << 20) + (8u << 20) / 255 + 16;

// LZ4 legacy (`lz4 -l`, lib/decompress_unlz4.c): magic 0x184C2102 (LE), then
// chunks, each a LE32 compressed size and that many bytes.
[[nodiscard]] constexpr bool lz4_header(file_bytes s) noexcept {
    if (!fits(s, 0, 8) || le32_at(s, 0) != 0x184c2102u) return false;
    const std::uint32_t chunk = le32_at(s, 4);
    return chunk > 0 && chunk <= lz4_legacy_max_chunk;
}

// zstd (RFC 8878, 3.1.1): magic 0xFD2FB528 (LE), then the frame header
// descriptor, whose reserved bit 3 is zero.
[[nodiscard]] constexpr bool zstd_header(file_bytes s) noexcept {
    return fits(s, 0, 6) && le32_at(s, 0) == 0xfd2fb528u && (u8_at(s, 4) & 0x08) == 0;
}

}  // namespace ksym::detail
