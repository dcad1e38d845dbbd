#pragma once
// Eight text bytes at a time: the /proc/kallsyms parser's inner loops look
// for a line's stop bytes, decode its hex address and hash its names a word
// per step instead of a byte per step. At compile time the same functions
// assemble words from bytes, so constexpr and runtime answers agree.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>
#include <type_traits>

namespace ksym::detail {

inline constexpr std::uint64_t ones = 0x0101010101010101ull;
inline constexpr std::uint64_t highs = 0x8080808080808080ull;

// The parser's per-line steps are small and hot: inlined into its loop, the
// compiler keeps their constants in registers across lines.
#define KSYM_DETAIL_INLINE [[gnu::always_inline]] inline

// Bytes p[0..n) (n <= 8) as a little-endian word, zeros above.
KSYM_DETAIL_INLINE constexpr std::uint64_t load_word(const char* p, std::size_t n = 8) noexcept {
    if (!std::is_constant_evaluated() && n == 8) {
        std::uint64_t v;
        std::memcpy(&v, p, 8);
        if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
        return v;
    }
    std::uint64_t v = 0;
    for (std::size_t i = n; i-- > 0;) v = v << 8 | static_cast<unsigned char>(p[i]);
    return v;
}

// High bit set in each byte of `w` that ends a name: a blank or control
// byte, or DEL. Exact for the lowest flagged byte, which is all callers use
// (a borrow only carries out of a byte that already matched).
KSYM_DETAIL_INLINE constexpr std::uint64_t name_stops(std::uint64_t w) noexcept {
    const std::uint64_t below = (w - ones * 0x21) & ~w & highs;
    const std::uint64_t del = w ^ (ones * 0x7f);
    return below | ((del - ones) & ~del & highs);
}

// As name_stops, plus the brackets a module name may not hold.
KSYM_DETAIL_INLINE constexpr std::uint64_t module_stops(std::uint64_t w) noexcept {
    const std::uint64_t open = w ^ (ones * '[');
    const std::uint64_t close = w ^ (ones * ']');
    return name_stops(w) | ((open - ones) & ~open & highs) | ((close - ones) & ~close & highs);
}

// The first byte at or after `from` for which Stops flags, or s.size().
template <std::uint64_t (*Stops)(std::uint64_t)>
constexpr std::size_t find_stop(std::string_view s, std::size_t from) noexcept {
    std::size_t i = from;
    for (; i + 8 <= s.size(); i += 8)
        if (const std::uint64_t m = Stops(load_word(s.data() + i))) return i + static_cast<std::size_t>(std::countr_zero(m)) / 8;
    if (i < s.size())
        if (const std::uint64_t m = Stops(load_word(s.data() + i, s.size() - i)) & ((~0ull) >> (8 * (8 - (s.size() - i)))))
            return i + static_cast<std::size_t>(std::countr_zero(m)) / 8;
    return s.size();
}

// Eight hex digits (most significant first, loaded little-endian) to their
// value, or nullopt if any byte is not 0-9, a-f or A-F.
KSYM_DETAIL_INLINE constexpr std::optional<std::uint32_t> hex8(std::uint64_t w) noexcept {
    if (w & highs) return std::nullopt;  // below 0x80 every byte: no carries between bytes below
    const std::uint64_t digit = (w + ones * (0x80 - '0')) & ~(w + ones * (0x7f - '9')) & highs;
    const std::uint64_t l = w | ones * 0x20;
    const std::uint64_t letter = (l + ones * (0x80 - 'a')) & ~(l + ones * (0x7f - 'f')) & highs;
    if ((digit | letter) != highs) return std::nullopt;
    std::uint64_t v = (w & ones * 0x0f) + (letter >> 7) * 9;  // a nibble a byte
    v = (v & 0x000f000f000f000full) << 4 | (v >> 8 & 0x000f000f000f000full);  // two digits a 16-bit lane
    v = (v & 0x000000ff000000ffull) << 8 | (v >> 16 & 0x000000ff000000ffull);  // four a 32-bit lane
    return static_cast<std::uint32_t>((v & 0xffff) << 16 | (v >> 32 & 0xffff));
}

// One step of the name hash: a word of name bytes (zeros above the name's end).
// A multiply a word keeps the chain through a name short; the final mix
// brings the high bits (where a multiply leaves late bytes' effect) down.
KSYM_DETAIL_INLINE constexpr std::uint64_t hash_step(std::uint64_t h, std::uint64_t w) noexcept {
    return (h ^ w) * 0x9e3779b97f4a7c15ull;
}
inline constexpr std::uint64_t hash_seed = 0x243f6a8885a308d3ull;
KSYM_DETAIL_INLINE constexpr std::uint32_t hash_final(std::uint64_t h) noexcept {
    h ^= h >> 32;
    h *= 0xbf58476d1ce4e5b9ull;
    return static_cast<std::uint32_t>(h >> 32);
}

// The hash of a name, word by word: the same value the parser computes
// while it finds the name's end.
constexpr std::uint32_t name_hash(std::string_view s) noexcept {
    std::uint64_t h = hash_seed;
    std::size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) h = hash_step(h, load_word(s.data() + i));
    if (i < s.size()) h = hash_step(h, load_word(s.data() + i, s.size() - i));
    return hash_final(h);
}

// Finds the end of the name starting at `from` (the first byte name_stops
// flags, or s.size()) and hashes the name on the way, as name_hash would.
template <std::uint64_t (*Stops)(std::uint64_t)>
KSYM_DETAIL_INLINE constexpr std::size_t scan_hash(std::string_view s, std::size_t from, std::uint32_t& hash) noexcept {
    std::uint64_t h = hash_seed;
    std::size_t i = from;
    for (; i + 8 <= s.size(); i += 8) {
        const std::uint64_t w = load_word(s.data() + i);
        if (const std::uint64_t m = Stops(w)) {
            const auto k = static_cast<unsigned>(std::countr_zero(m)) / 8;
            if (k > 0) h = hash_step(h, w & ((~0ull) >> (64 - 8 * k)));
            hash = hash_final(h);
            return i + k;
        }
        h = hash_step(h, w);
    }
    std::size_t end = s.size();
    if (i < s.size()) {
        const std::uint64_t w = load_word(s.data() + i, s.size() - i);
        const std::uint64_t m = Stops(w) & ((~0ull) >> (8 * (8 - (s.size() - i))));
        const std::size_t k = m ? static_cast<std::size_t>(std::countr_zero(m)) / 8 : s.size() - i;
        if (k > 0) h = hash_step(h, w & ((~0ull) >> (64 - 8 * k)));
        end = i + k;
    }
    hash = hash_final(h);
    return end;
}

}  // namespace ksym::detail
