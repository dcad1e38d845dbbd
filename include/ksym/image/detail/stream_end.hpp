#pragma once
// Where a compressed stream starts and ends inside a container that does not
// say: a forward scan for a checked stream header, and, for the codecs whose
// framing tells without decompressing, the stream's exact end.

#include <cstdint>
#include <optional>

#include "ksym/image/compression.hpp"
#include "ksym/image/detail/bytes.hpp"

namespace ksym::detail {

struct stream_at {
    std::uint64_t offset = 0;
    compression codec = compression::none;
};

/// The first offset in [from, to) where a stream header (sniff_compression)
/// starts, the stream allowed to extend to `to`. One pass; the header
/// checks run only where the first byte could start one.
[[nodiscard]] constexpr std::optional<stream_at> find_stream(file_bytes f, std::uint64_t from,
                                                            std::uint64_t to) noexcept {
    if (to > f.size()) to = f.size();
    for (std::uint64_t p = from; p < to; ++p) {
        switch (u8_at(f, p)) {
        case 0x1f: case 0xfd: case 0x28: case 'B': case 0x89: case 0x02: case 0x5d: break;
        default: continue;
        }
        const auto c = sniff_compression(f.subspan(static_cast<std::size_t>(p), static_cast<std::size_t>(to - p)));
        if (c != compression::none) return stream_at{p, c};
    }
    return std::nullopt;
}

/// The end (offset past the last byte, from the stream's start) of the xz
/// stream at the start of `s`, found from its footer: the last position
/// where "YZ" is preceded by the header's stream flags and a backward size
/// whose CRC32 matches, and the index that backward size points at starts
/// with its zero indicator byte (the .xz file format, 2.1.2 and 4.1).
/// The caller checked xz_header(s).
[[nodiscard]] constexpr std::optional<std::uint64_t> xz_stream_end(file_bytes s) noexcept {
    constexpr std::uint64_t header = 12, footer = 12;
    if (!fits(s, 0, header)) return std::nullopt;
    for (std::uint64_t end = s.size(); end >= header + footer + 1; --end) {
        if (u8_at(s, end - 1) != 'Z' || u8_at(s, end - 2) != 'Y') continue;
        if (u8_at(s, end - 4) != u8_at(s, 6) || u8_at(s, end - 3) != u8_at(s, 7)) continue;
        const std::uint64_t foot = end - footer;
        if (crc32_at(s, foot + 4, 6) != le32_at(s, foot)) continue;
        const std::uint64_t index_size = (std::uint64_t{le32_at(s, foot + 4)} + 1) * 4;
        if (index_size > foot - header) continue;
        if (u8_at(s, foot - index_size) == 0) return end;
    }
    return std::nullopt;
}

struct zstd_frame_facts {
    std::uint64_t end = 0;                       ///< offset past the frame (and its checksum)
    std::optional<std::uint64_t> content_size;   ///< Frame_Content_Size, when the header has one
};

/// Walks the zstd frame at the start of `s` block by block (RFC 8878, 3.1.1):
/// its end and declared content size, or nothing when the frame runs past
/// `s` or uses a reserved block type. The caller checked zstd_header(s).
[[nodiscard]] constexpr std::optional<zstd_frame_facts> zstd_frame(file_bytes s) noexcept {
    if (!fits(s, 0, 5)) return std::nullopt;
    const unsigned fhd = u8_at(s, 4);
    const unsigned fcs_flag = fhd >> 6, single_segment = (fhd >> 5) & 1, checksum = (fhd >> 2) & 1;
    constexpr unsigned dict_id_bytes[] = {0, 1, 2, 4};
    const unsigned fcs_bytes = fcs_flag == 0 ? single_segment : 1u << fcs_flag;
    std::uint64_t p = 5 + (single_segment ? 0 : 1) + dict_id_bytes[fhd & 3];
    if (!fits(s, p, fcs_bytes)) return std::nullopt;
    zstd_frame_facts facts;
    if (fcs_bytes != 0) facts.content_size = le_at(s, p, fcs_bytes) + (fcs_bytes == 2 ? 256 : 0);
    p += fcs_bytes;
    // Every block header is three bytes, so this ends within size/3 rounds.
    for (;;) {
        if (!fits(s, p, 3)) return std::nullopt;
        const auto block = static_cast<std::uint32_t>(le_at(s, p, 3));
        p += 3;
        const unsigned type = (block >> 1) & 3;
        if (type == 3) return std::nullopt;
        const std::uint64_t size = type == 1 ? 1 : block >> 3;  // an RLE block stores one byte
        if (!fits(s, p, size)) return std::nullopt;
        p += size;
        if (block & 1) break;
    }
    if (checksum) {
        if (!fits(s, p, 4)) return std::nullopt;
        p += 4;
    }
    facts.end = p;
    return facts;
}

}  // namespace ksym::detail
