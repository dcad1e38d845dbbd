#pragma once
// The payload of a container that does not say where its stream starts or
// ends (arm zImage without its table, s390): from a scanned stream header to
// the stream's end where its framing shows it.

#include <cstdint>
#include <optional>

#include "ksym/image/container_info.hpp"
#include "ksym/image/detail/bytes.hpp"
#include "ksym/image/detail/stream_end.hpp"

namespace ksym::detail {

/// The payload from `stream` (which the caller found below `limit`): up to
/// the stream's end where xz's footer or zstd's blocks show it, then with
/// the LE32 size the build appends (when it fits below `limit`); else up to
/// `limit`, not exact.
[[nodiscard]] constexpr container_info scanned_payload(file_bytes f, container_kind kind, stream_at stream,
                                                  std::uint64_t limit) noexcept {
    container_info info;
    info.kind = kind;
    info.codec = stream.codec;
    info.payload_offset = stream.offset;
    const auto s = f.subspan(static_cast<std::size_t>(stream.offset), static_cast<std::size_t>(limit - stream.offset));
    std::optional<std::uint64_t> end;
    if (stream.codec == compression::xz) {
        end = xz_stream_end(s);
    } else if (stream.codec == compression::zstd) {
        if (auto z = zstd_frame(s)) end = z->end;
    }
    if (end) {
        info.payload_size = *end;
        info.payload_exact = true;
        // The build appends the size after every stream but gzip.
        if (fits(s, *end, 4)) info.decompressed_size = le32_at(s, *end);
    } else {
        info.payload_size = limit - stream.offset;
    }
    return info;
}

}  // namespace ksym::detail
