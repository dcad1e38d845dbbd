#pragma once
// Bounds-checked little/big-endian loads from a file held in a span, for the
// container parsers: every read goes through `fits` first.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace ksym::detail {

using file_bytes = std::span<const std::byte>;

/// Whether [at, at + n) lies inside `f`, without overflowing.
[[nodiscard]] constexpr bool fits(file_bytes f, std::uint64_t at, std::uint64_t n) noexcept {
    return at <= f.size() && n <= f.size() - at;
}

[[nodiscard]] constexpr std::uint8_t u8_at(file_bytes f, std::uint64_t at) noexcept {
    return static_cast<std::uint8_t>(f[static_cast<std::size_t>(at)]);
}

/// Little-endian `width`-byte load at `at`; the caller checked `fits(f, at, width)`.
[[nodiscard]] constexpr std::uint64_t le_at(file_bytes f, std::uint64_t at, unsigned width) noexcept {
    std::uint64_t v = 0;
    for (unsigned i = width; i-- > 0;) v = (v << 8) | u8_at(f, at + i);
    return v;
}
[[nodiscard]] constexpr std::uint32_t le16_at(file_bytes f, std::uint64_t at) noexcept {
    return static_cast<std::uint32_t>(le_at(f, at, 2));
}
[[nodiscard]] constexpr std::uint32_t le32_at(file_bytes f, std::uint64_t at) noexcept {
    return static_cast<std::uint32_t>(le_at(f, at, 4));
}
[[nodiscard]] constexpr std::uint32_t be16_at(file_bytes f, std::uint64_t at) noexcept {
    return (std::uint32_t{u8_at(f, at)} << 8) | u8_at(f, at + 1);
}
/// Whether the bytes at `at` spell `m` (false when they would run past the end).
[[nodiscard]] constexpr bool magic_at(file_bytes f, std::uint64_t at, std::string_view m) noexcept {
    if (!fits(f, at, m.size())) return false;
    for (std::size_t i = 0; i < m.size(); ++i)
        if (u8_at(f, at + i) != static_cast<unsigned char>(m[i])) return false;
    return true;
}

/// CRC-32 (IEEE 802.3, reflected, as xz and gzip use) of [at, at + n), which
/// the caller checked fits. Bitwise: it only ever covers a few header bytes.
[[nodiscard]] constexpr std::uint32_t crc32_at(file_bytes f, std::uint64_t at, std::uint64_t n) noexcept {
    std::uint32_t c = 0xffffffffu;
    for (std::uint64_t i = 0; i < n; ++i) {
        c ^= u8_at(f, at + i);
        for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
    }
    return ~c;
}

}  // namespace ksym::detail
