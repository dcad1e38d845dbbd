#pragma once
// Byte-order aware integer loads and stores over byte spans, usable at compile time.

#include <bit>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>

namespace ksym {

/// Reads an unsigned integer of sizeof(T) bytes stored in `order` at the start of `b`.
/// Precondition: b.size() >= sizeof(T).
template <std::unsigned_integral T>
[[nodiscard]] constexpr T load(const std::byte* b, std::endian order) noexcept {
    T v = 0;
    if (order == std::endian::little) {
        for (std::size_t i = sizeof(T); i-- > 0;) v = static_cast<T>((v << 8) | static_cast<T>(b[i]));
    } else {
        for (std::size_t i = 0; i < sizeof(T); ++i) v = static_cast<T>((v << 8) | static_cast<T>(b[i]));
    }
    return v;
}

/// Reads an unsigned little/big-endian integer `width` bytes wide (1..8) into a u64.
[[nodiscard]] constexpr std::uint64_t load_n(const std::byte* b, std::size_t width,
                                             std::endian order) noexcept {
    std::uint64_t v = 0;
    if (order == std::endian::little) {
        for (std::size_t i = width; i-- > 0;) v = (v << 8) | static_cast<std::uint64_t>(b[i]);
    } else {
        for (std::size_t i = 0; i < width; ++i) v = (v << 8) | static_cast<std::uint64_t>(b[i]);
    }
    return v;
}

/// Writes `v` as sizeof(T) bytes in `order`.
template <std::unsigned_integral T>
constexpr void store(std::byte* b, T v, std::endian order) noexcept {
    for (std::size_t i = 0; i < sizeof(T); ++i) {
        const std::size_t at = order == std::endian::little ? i : sizeof(T) - 1 - i;
        b[at] = static_cast<std::byte>(v & 0xffu);
        v = static_cast<T>(v >> 7 >> 1);  // two shifts: valid for 8-bit T too
    }
}

/// Writes the low `width` bytes of `v` in `order`.
constexpr void store_n(std::byte* b, std::uint64_t v, std::size_t width, std::endian order) noexcept {
    for (std::size_t i = 0; i < width; ++i) {
        const std::size_t at = order == std::endian::little ? i : width - 1 - i;
        b[at] = static_cast<std::byte>(v & 0xffu);
        v >>= 8;
    }
}

/// Reverses the bytes of `v` (std::byteswap is C++23; the builtins are constexpr on g++ and clang++).
template <std::unsigned_integral T>
[[nodiscard]] constexpr T byteswap(T v) noexcept {
    if constexpr (sizeof(T) == 1) return v;
    else if constexpr (sizeof(T) == 2) return __builtin_bswap16(v);
    else if constexpr (sizeof(T) == 4) return __builtin_bswap32(v);
    else return __builtin_bswap64(v);
}

/// Converts `v`, just read as host-order bytes, from `order` to the host's order.
template <std::unsigned_integral T>
[[nodiscard]] constexpr T from_order(T v, std::endian order) noexcept {
    return order == std::endian::native ? v : byteswap(v);
}

}  // namespace ksym
