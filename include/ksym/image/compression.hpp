#pragma once
// The compression codecs kernel images are packed with, and which one a
// stream starting at a given byte uses.

#include <cstdint>
#include <span>
#include <string_view>

#include "ksym/image/detail/stream_headers.hpp"

namespace ksym {

/// A codec the kernel's build can compress its image with (the
/// CONFIG_KERNEL_* choices), as the stream format the build writes.
enum class compression : std::uint8_t {
    none,   ///< not compressed
    gzip,   ///< gzip member (RFC 1952)
    bzip2,  ///< bzip2 stream
    lzma,   ///< LZMA "alone" (.lzma) stream
    xz,     ///< xz stream (BCJ filters included)
    lzo,    ///< lzop file
    lz4,    ///< LZ4 legacy format (`lz4 -l`)
    zstd,   ///< zstd frame
};

/// Short, stable name of a codec ("gzip", "xz", ...).
[[nodiscard]] constexpr std::string_view to_string(compression c) noexcept {
    switch (c) {
    case compression::none: return "none";
    case compression::gzip: return "gzip";
    case compression::bzip2: return "bzip2";
    case compression::lzma: return "lzma";
    case compression::xz: return "xz";
    case compression::lzo: return "lzo";
    case compression::lz4: return "lz4";
    case compression::zstd: return "zstd";
    }
    return "?";
}

/// The codec of the stream that starts at the first byte of `stream` (which
/// extends as far as the stream may), or `none` when no stream header is
/// there. Checks more than the magic where the header allows (xz's header
/// CRC, gzip's flags, bzip2's block magic, LZMA's first range-coder byte),
/// so a scan does not stop at a decompressor's copy of a magic number.
/// Reads only inside `stream`.
[[nodiscard]] constexpr compression sniff_compression(std::span<const std::byte> stream) noexcept {
    if (detail::gzip_header(stream)) return compression::gzip;
    if (detail::xz_header(stream)) return compression::xz;
    if (detail::zstd_header(stream)) return compression::zstd;
    if (detail::bzip2_header(stream)) return compression::bzip2;
    if (detail::lzo_header(stream)) return compression::lzo;
    if (detail::lz4_header(stream)) return compression::lz4;
    if (detail::lzma_header(stream)) return compression::lzma;
    return compression::none;
}

}  // namespace ksym
