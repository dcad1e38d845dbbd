#pragma once
// The 32-bit arm zImage: a position-independent decompressor with the
// compressed Image ("piggy") behind its code and read-only data.
// arch/arm/boot/compressed/head.S puts at the start:
//   0x24  0x016f2818, the zImage magic
//   0x28  _start and 0x2c _edata: load address and end, so the zImage
//         proper is the first (_edata - _start) bytes (a DTB may follow)
//   0x30  0x04030201 as a native word: reads LE on a little-endian kernel
//   0x34  0x45454545 ("EEEE"), then 0x38 the offset of a table
//         (vmlinux.lds.S `.table`, 3.17+): a word count, 0x5a534c4b
//         ("KLSZ"), the offset of the piggy's last four bytes (the
//         decompressed size), the BSS size, ... (the lds swaps the values
//         on BE8 builds, so they read LE in either byte order).
// The piggy (piggy.S, `.piggydata`) is the Image compressed, a gzip member
// or a stream followed by the decompressed size as a LE32 (the Makefile's
// *_with_size rules), its last four bytes that size either way. Where it
// starts is written nowhere a loader can read, so the stream header is
// found by scanning forward from the table, checked so that the copy of the
// xz magic in the decompressor's own data does not count.
// Debian's armmp 6.1 zImage is xz (checked: table at 0xd4f0, a false xz
// magic at 0xd928, the stream at 0xe6a5 up to the size at 0x531871).

#include <cstdint>

#include "ksym/core/errc.hpp"
#include "ksym/core/result.hpp"
#include "ksym/image/container_info.hpp"
#include "ksym/image/detail/bytes.hpp"
#include "ksym/image/detail/scanned_payload.hpp"
#include "ksym/image/detail/stream_end.hpp"

namespace ksym::detail {

inline constexpr std::uint32_t zimage_magic = 0x016f2818, zimage_ext_magic = 0x45454545,
                               zimage_table_magic = 0x5a534c4b;

[[nodiscard]] constexpr bool is_arm_zimage(file_bytes f) noexcept {
    return fits(f, 0x24, 4) && le32_at(f, 0x24) == zimage_magic;
}

[[nodiscard]] constexpr result<container_info> parse_arm_zimage(file_bytes f) noexcept {
    if (!fits(f, 0, 0x30)) return status{errc::truncated, f.size()};
    const std::uint32_t start = le32_at(f, 0x28), end = le32_at(f, 0x2c);
    if (end <= start) return status{errc::corrupt, 0x2c};
    const std::uint64_t image = end - start;
    if (image > f.size()) return status{errc::truncated, image};
    std::optional<arch_id> arch;
    if (fits(f, 0x30, 4) && le32_at(f, 0x30) == 0x04030201u) arch = arch_id::arm;  // little-endian

    if (!fits(f, 0x34, 8) || le32_at(f, 0x34) != zimage_ext_magic) {
        // Before the table: the stream lies somewhere behind the header.
        auto stream = find_stream(f, 0x30, image);
        if (!stream) return status{errc::unsupported, 0x30};
        container_info info = scanned_payload(f, container_kind::arm_zimage, *stream, image);
        info.arch = arch;
        return info;
    }
    const std::uint64_t table = le32_at(f, 0x38);
    if (!fits(f, table, 12) || table + 12 > image) return status{errc::truncated, table};
    if (le32_at(f, table + 4) != zimage_table_magic || le32_at(f, table) < 2) return status{errc::corrupt, table};
    const std::uint64_t size_at = le32_at(f, table + 8);
    if (size_at < table + 12 || size_at + 4 > image) return status{errc::corrupt, table + 8};
    auto stream = find_stream(f, table + 12, size_at + 4);
    if (!stream) return status{errc::unsupported, table + 12};

    container_info info;
    info.kind = container_kind::arm_zimage;
    info.codec = stream->codec;
    info.payload_offset = stream->offset;
    info.payload_size = size_at + (stream->codec == compression::gzip ? 4 : 0) - stream->offset;
    info.payload_exact = true;
    info.decompressed_size = le32_at(f, size_at);
    info.arch = arch;
    return info;
}

}  // namespace ksym::detail
