#pragma once
// The s390x compressed kernel (arch/s390/boot/): the boot loader's image,
// `objcopy -O binary` of the decompressor linked with the compressed
// vmlinux.bin. Its layout (arch/s390/boot/vmlinux.lds.S):
//   0x00000  IPL data (PSW and CCWs)
//   0x10008  "S390EP", the entry-point table (EP_OFFSET and EP_STRING in
//            arch/s390/include/asm/setup.h; s390 kernel ABI)
//   ...      the decompressor's text, read-only data and data
//   .rodata.compressed  the compressed vmlinux.bin (_compressed_start,
//            8-aligned), followed by its decompressed size as a LE32 for
//            every codec but gzip (arch/s390/boot/Makefile: *_with_size)
//   zeros up to a 4 KiB boundary, whose last 32 bytes are the Secure Boot
//            trailer (.sb.trailer: three zero quads, then 0x000000207a49504c,
//            " zIPL" big-endian)
// Nothing records where the stream starts, so it is found by scanning from
// the entry-point table, checked so that the xz magic in the decompressor's
// read-only data does not count (Debian's 6.1 s390x image: a false one at
// 0x18ac6, the stream at 0x2e818, its footer ending at 0x4d4dd0, then the
// size, zeros and the trailer at 0x4d4fe0). Its end shows for xz (the
// footer) and zstd (the blocks); for other codecs the payload runs to the
// trailer, not exact.

#include <cstdint>

#include "ksym/core/errc.hpp"
#include "ksym/core/result.hpp"
#include "ksym/image/container_info.hpp"
#include "ksym/image/detail/bytes.hpp"
#include "ksym/image/detail/scanned_payload.hpp"
#include "ksym/image/detail/stream_end.hpp"

namespace ksym::detail {

inline constexpr std::uint64_t s390_ep_offset = 0x10008, s390_trailer_size = 32;

[[nodiscard]] constexpr bool is_s390_image(file_bytes f) noexcept { return magic_at(f, s390_ep_offset, "S390EP"); }

[[nodiscard]] constexpr result<container_info> parse_s390_image(file_bytes f) noexcept {
    std::uint64_t limit = f.size();
    if (limit >= s390_ep_offset + s390_trailer_size &&
        magic_at(f, limit - 8, std::string_view("\0\0\0\x20\x7a\x49\x50\x4c", 8)))
        limit -= s390_trailer_size;
    const std::uint64_t from = s390_ep_offset + 8;
    auto stream = find_stream(f, from, limit);
    if (!stream) return status{errc::unsupported, from};
    container_info info = scanned_payload(f, container_kind::s390_image, *stream, limit);
    info.arch = arch_id::s390x;
    return info;
}

}  // namespace ksym::detail
