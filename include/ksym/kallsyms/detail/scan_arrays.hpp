#pragma once
// The scanner's per-array tests (see ../scan.hpp). Each takes the image
// bytes and a candidate position and says whether the array is there; none
// reads outside the span, whatever the candidate.

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>

#include "ksym/core/endian.hpp"
#include "ksym/kallsyms/detail/names_stream.hpp"
#include "ksym/kallsyms/layout.hpp"

namespace ksym::detail {

using scan_bytes = std::span<const std::byte>;

constexpr std::uint64_t align_up(std::uint64_t v, std::uint64_t a) noexcept { return (v + a - 1) / a * a; }

// True when [off, off + len) lies inside the image; never overflows.
constexpr bool inside(scan_bytes img, std::uint64_t off, std::uint64_t len) noexcept {
    return off <= img.size() && len <= img.size() - off;
}

// The 4 bytes at `off` as a little-endian u32: the scan loops' one load per
// position (a plain load at run time, bytes in a constant expression).
constexpr std::uint32_t le32(scan_bytes img, std::uint64_t off) noexcept {
    if (std::is_constant_evaluated()) return static_cast<std::uint32_t>(load_n(img.data() + off, 4, std::endian::little));
    std::uint32_t v = 0;
    __builtin_memcpy(&v, img.data() + off, 4);
    if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap32(v);
    return v;
}

constexpr std::uint64_t get(scan_bytes img, std::uint64_t off, std::size_t width, std::endian order) noexcept {
    if (width == 4) {
        const std::uint32_t v = le32(img, off);
        return order == std::endian::little ? v : __builtin_bswap32(v);
    }
    return load_n(img.data() + off, width, order);
}

// nm type letters kallsyms emits as a name's first character.
constexpr bool is_type_letter(std::byte b) noexcept {
    const auto c = static_cast<unsigned char>(b);
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '?';
}

// Characters a token may hold: symbol names are printable ASCII.
constexpr bool is_token_char(std::byte b) noexcept {
    const auto c = static_cast<unsigned char>(b);
    return c > 0x20 && c < 0x7f;
}

/// The token arrays: where each token starts (offsets from the table) and
/// where the table is.
struct token_arrays {
    std::uint64_t table = 0;
    std::uint64_t index = 0;
    std::uint64_t table_size = 0;
    std::endian order = std::endian::little;
    /// Whether token t's first character is an nm type letter (a name's
    /// first token carries its type there).
    std::array<bool, 256> starts_typed{};
};

// 256 u16 offsets at `at`, the first 0, each next at least 2 more (a token
// has one character and its NUL) and within a token's reach.
constexpr bool token_index_at(scan_bytes img, std::uint64_t at, std::endian order,
                              std::array<std::uint16_t, 256>& idx) noexcept {
    if (!inside(img, at, 512)) return false;
    std::uint64_t prev = 0;
    for (std::size_t i = 0; i < 256; ++i) {
        const auto v = static_cast<std::uint16_t>(get(img, at + 2 * i, 2, order));
        if (i == 0 ? v != 0 : v < prev + 2 || v > prev + 257) return false;
        idx[i] = v;
        prev = v;
    }
    return true;
}

// Is the token table at `t` for this index: NUL just before every token
// start, nothing else NUL, every other byte a name character?
constexpr bool token_table_at(scan_bytes img, std::uint64_t t, const std::array<std::uint16_t, 256>& idx,
                              std::uint64_t& size) noexcept {
    const std::uint64_t last = idx[255];
    if (!inside(img, t, last + 2)) return false;
    // Cheap rejections first: a few token boundaries.
    for (std::size_t i : {std::size_t{1}, std::size_t{128}, std::size_t{255}})
        if (img[t + idx[i] - 1] != std::byte{0} || img[t + idx[i]] == std::byte{0}) return false;
    std::size_t next = 1;
    for (std::uint64_t k = 0; k < last; ++k) {
        const std::byte b = img[t + k];
        if (next < 256 && k + 1 == idx[next]) {
            if (b != std::byte{0}) return false;
            ++next;
        } else if (!is_token_char(b)) {
            return false;
        }
    }
    std::uint64_t k = last;
    while (k < last + 256 && inside(img, t + k, 1) && is_token_char(img[t + k])) ++k;
    if (k == last || !inside(img, t + k, 1) || img[t + k] != std::byte{0}) return false;
    size = k + 1;
    return true;
}

/// kallsyms_names, num_syms and the markers, as one consistent set.
struct names_arrays {
    std::uint64_t num_syms = 0;   ///< where the count is (a word's start on big-endian 64-bit)
    std::uint64_t names = 0;
    std::uint64_t names_end = 0;  ///< one past the last record
    std::uint64_t markers = 0;
    std::uint32_t count = 0;
    std::uint8_t marker_bytes = 4;
};

// Hops `count` records from `names`; every 256th must sit where the markers
// say, every name must start with a type letter, and the stream must end
// within alignment padding (zeros) before the markers. `limit` bounds the
// stream's end.
constexpr bool names_at(scan_bytes img, const token_arrays& tok, std::uint64_t names, std::uint32_t count,
                        std::uint64_t markers, std::uint8_t marker_bytes, std::endian order,
                        std::uint64_t& end) noexcept {
    if (!inside(img, markers, std::uint64_t{marker_bytes} * ((std::uint64_t{count} + 255) / 256))) return false;
    std::uint64_t off = names;
    for (std::uint32_t i = 0; i < count; ++i) {
        if (off >= markers) return false;
        if ((i & 0xff) == 0 && get(img, markers + std::uint64_t{marker_bytes} * (i >> 8), marker_bytes, order) !=
                                   off - names)
            return false;
        record r;
        if (parse_record(img.data() + off, static_cast<std::size_t>(markers - off), r) != parse_state::ok)
            return false;
        if (r.size() > markers - off || !tok.starts_typed[static_cast<std::uint8_t>(img[off + r.hdr])]) return false;
        off += r.size();
    }
    if (markers - off >= 8) return false;
    for (std::uint64_t k = off; k < markers; ++k)
        if (img[k] != std::byte{0}) return false;
    end = off;
    return true;
}

/// Which address array a candidate holds, or none.
enum class address_kind : std::uint8_t { none, absolute, base_relative, absolute_percpu, place_relative };

// Classifies the `count` entries at `at`: u32 offsets (or, on 32-bit
// targets, absolute addresses of the same width), or absolute words of 8
// bytes. Base-relative tables start at offset 0 (the base is the lowest
// address); absolute-percpu ones hold non-negative per-CPU offsets, then
// negative ones whose first is -1 (the lowest address is the base). On
// 32-bit targets, ascending nonzero words are absolute addresses rather
// than place-relative offsets: real place-relative tables have aliases,
// whose offsets step back by 4.
constexpr address_kind addresses_at(scan_bytes img, std::uint64_t at, std::uint32_t count, std::uint8_t word,
                                    std::endian order) noexcept {
    if (count < 2) return address_kind::none;
    if (at % 4 == 0 && inside(img, at, 4ull * count)) {
        bool ascending = true, nonzero = true, percpu = true, place = true, negative = false;
        std::uint32_t prev_u = 0;
        std::int32_t prev_s = 0;
        std::int64_t prev_place = 0;
        for (std::uint32_t i = 0; i < count && (ascending || percpu || place); ++i) {
            const auto u = static_cast<std::uint32_t>(get(img, at + 4ull * i, 4, order));
            const auto s = static_cast<std::int32_t>(u);
            ascending = ascending && u >= prev_u;
            nonzero = nonzero && u != 0;
            if (s < 0) {
                percpu = percpu && (negative ? s <= prev_s : s == -1);
                negative = true;
            } else {
                percpu = percpu && !negative && s >= prev_s;
            }
            const std::int64_t p = static_cast<std::int64_t>(4ull * i) + s;
            place = place && (i == 0 || p >= prev_place);
            prev_u = u, prev_s = s, prev_place = p;
        }
        const bool zero_first = get(img, at, 4, order) == 0;
        if (ascending && zero_first) return address_kind::base_relative;
        if (percpu && negative) return address_kind::absolute_percpu;
        if (word == 4 && ascending && nonzero) return address_kind::absolute;
        if (place) return address_kind::place_relative;
    }
    if (word == 8 && at % 8 == 0 && inside(img, at, 8ull * count)) {
        std::uint64_t prev = 0;
        for (std::uint32_t i = 0; i < count; ++i) {
            const std::uint64_t v = get(img, at + 8ull * i, 8, order);
            if (v < prev || v == 0) return address_kind::none;
            prev = v;
        }
        return address_kind::absolute;
    }
    return address_kind::none;
}

// seqs_of_names: `count` entries of `width` bytes (3, big-endian, or 4 in
// the target order), each below count, summing and xoring to what a
// permutation of 0..count-1 does.
constexpr bool seqs_at(scan_bytes img, std::uint64_t at, std::uint32_t count, std::uint8_t width,
                       std::endian order) noexcept {
    if (!inside(img, at, std::uint64_t{width} * count)) return false;
    std::uint64_t sum = 0, x = 0;
    for (std::uint32_t i = 0; i < count; ++i) {
        const std::uint64_t v = get(img, at + std::uint64_t{width} * i, width, width == 3 ? std::endian::big : order);
        if (v >= count) return false;
        sum += v;
        x ^= v;
    }
    const std::uint64_t n = count;
    const std::uint64_t last = n - 1;  // xor of 0..last has a closed form
    const std::uint64_t want_x = last % 4 == 0 ? last : last % 4 == 1 ? 1 : last % 4 == 2 ? last + 1 : 0;
    return sum == n * (n - 1) / 2 && x == want_x;
}

}  // namespace ksym::detail
