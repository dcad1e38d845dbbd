#pragma once
// Token expansion: a record's token bytes into a name, or compared with one.

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <type_traits>

#include "ksym/core/errc.hpp"
#include "ksym/core/result.hpp"
#include "ksym/kallsyms/format.hpp"
#include "ksym/kallsyms/token_table.hpp"
#include "ksym/symbols/symbol.hpp"

namespace ksym::detail {

/// Expands the token bytes `rec` into `out`, NUL-terminated, and returns the
/// name's length; the expansion's first character, the nm type, goes to
/// `type`. A token short enough for its padded slot is copied with one
/// fixed-width move when the buffer has the slack (the bytes past its
/// length are overwritten next or ignored); others are copied exactly.
/// Errors name `where`: `capacity` when `out` is too small, `corrupt` when no
/// token has text. Hostile tables may have empty tokens: the type letter is
/// the first character of the first token with any.
constexpr result<std::size_t> expand(const token_table& tokens, std::span<const std::byte> rec, std::span<char> out,
                                     char& type, std::uint64_t where) noexcept {
    if (out.empty()) return status{errc::capacity, where};
    constexpr std::size_t pad = token_table::pad;
    const std::size_t cap = out.size() - 1;  // room for the NUL
    char* o = out.data();
    std::size_t n = 0, k = 0;
    for (; k < rec.size(); ++k) {
        const auto t = static_cast<std::uint8_t>(rec[k]);
        const std::size_t tl = tokens.length(t);
        if (tl == 0) continue;
        type = tokens.data(t)[0];
        if (tl - 1 <= pad && pad <= cap) std::copy_n(tokens.padded_tail(t).data(), pad, o);
        else if (tl - 1 <= cap) std::copy_n(tokens.data(t) + 1, tl - 1, o);
        else return status{errc::capacity, where};
        n = tl - 1;
        break;
    }
    if (k == rec.size()) return status{errc::corrupt, where};
    for (++k; k < rec.size(); ++k) {
        const auto t = static_cast<std::uint8_t>(rec[k]);
        const std::size_t tl = tokens.length(t);
        if (tl <= pad && n + pad <= cap) {
            std::copy_n(tokens.padded(t).data(), pad, o + n);
        } else {
            if (tl > cap - n) return status{errc::capacity, where};
            std::copy_n(tokens.data(t), tl, o + n);
        }
        n += tl;
    }
    o[n] = '\0';
    return n;
}

/// expand() for the common record: every token fits its padded slot, so
/// each is one fixed-width copy. The tokens are taken in runs short enough
/// that a full slot per token fits the buffer, so the bound is checked once
/// a run (once a name, for real names) rather than once a token; when the
/// table's longest token fits a slot, the length check goes too. Returns the
/// name's length, or npos when the record does not qualify (an empty or long
/// first token, a long later token, a name near the buffer's end): expand()
/// then gives the answer or the error. Same output as expand() otherwise.
inline constexpr std::size_t expand_npos = static_cast<std::size_t>(-1);
[[gnu::always_inline]] constexpr std::size_t expand_padded(const token_table& tokens, const std::byte* rec, std::size_t len, char* out,
                                    std::size_t out_size, char& type) noexcept {
    constexpr std::size_t pad = token_table::pad;
    if (len == 0 || out_size <= pad) return expand_npos;
    const std::size_t cap = out_size - 1;  // room for the NUL
    const auto t0 = static_cast<std::uint8_t>(rec[0]);
    const std::size_t tl0 = tokens.length(t0);
    if (tl0 == 0 || tl0 > pad) return expand_npos;
    std::copy_n(tokens.padded_tail(t0).data(), pad, out);
    std::size_t n = tl0 - 1;
    const bool all_fit = tokens.max_length() <= pad;
    for (std::size_t k = 1; k < len;) {
        // Each token adds at most pad and writes pad bytes from n on.
        const std::size_t run = std::min(len - k, (cap - n) / pad);
        if (run == 0) return expand_npos;
        const std::size_t end = k + run;
        if (all_fit) {
            for (; k < end; ++k) {
                // The length is loaded before the copy: a store through
                // `out` could alias the table, and would order the load.
                const auto t = static_cast<std::uint8_t>(rec[k]);
                const std::size_t tl = tokens.length(t);
                std::copy_n(tokens.padded(t).data(), pad, out + n);
                n += tl;
            }
        } else {
            for (; k < end; ++k) {
                const auto t = static_cast<std::uint8_t>(rec[k]);
                const std::size_t tl = tokens.length(t);
                if (tl > pad) return expand_npos;
                std::copy_n(tokens.padded(t).data(), pad, out + n);
                n += tl;
            }
        }
    }
    out[n] = '\0';
    type = tokens.padded(t0)[0];
    return n;
}

/// Sum of the lengths of the tokens the `n` bytes at `p` name. Eight bytes
/// are assembled into one word (one load) and looked up from it, into four
/// sums: g++ 12 vectorised the plain byte loop into slower shuffles
/// through the stack, and the loads, not a chain of adds, should bound it.
constexpr std::size_t token_bytes(const token_table& tokens, const std::byte* p, std::size_t n) noexcept {
    std::size_t s0 = 0, s1 = 0, s2 = 0, s3 = 0, k = 0;
    const auto len = [&](std::uint64_t w, unsigned byte) {
        return std::size_t{tokens.length(static_cast<std::uint8_t>(w >> (8 * byte)))};
    };
    for (; k + 8 <= n; k += 8) {
        std::uint64_t w = 0;
        for (unsigned b = 0; b < 8; ++b) w |= std::uint64_t{static_cast<std::uint8_t>(p[k + b])} << (8 * b);
        s0 += len(w, 0) + len(w, 4);
        s1 += len(w, 1) + len(w, 5);
        s2 += len(w, 2) + len(w, 6);
        s3 += len(w, 3) + len(w, 7);
    }
    for (; k < n; ++k) s0 += tokens.length(static_cast<std::uint8_t>(p[k]));
    return s0 + s1 + s2 + s3;
}

/// What expand_records did: records expanded, stream bytes consumed,
/// output bytes written (names and their NULs).
struct bulk_step {
    std::uint32_t records = 0;
    std::size_t in = 0;
    std::size_t out = 0;
};

/// The bulk decoder's loop: expands up to `count` whole records from the
/// stream bytes [in, in + avail) into `out` (out_size bytes), each name
/// followed by its NUL and its type letter into types[k] (when not null).
/// For tables where every token has text and fits its slot (the caller
/// checks): each token is one fixed 16-byte copy, and a record costs one
/// header check, one bound check (for `in` and `out` at once) and one
/// name-length check. Stops before the first record that is not wholly in
/// `in`, has a two-byte or bad header, might not fit with its slot slack,
/// or names more than name_buffer_size - 1 characters: the caller's checked
/// path decides those.
[[gnu::always_inline]] constexpr bulk_step expand_records(const token_table& tokens, const std::byte* in,
                                                         std::size_t avail, std::uint32_t count, char* out,
                                                         std::size_t out_size, char* types) noexcept {
    constexpr std::size_t pad = token_table::pad;
    bulk_step st;
    std::size_t i = 0, o = 0;
    std::uint32_t k = 0;
    // In stretches of the stream whose every byte, were it a token, would
    // still fit its slot in the output: a record then needs one bound
    // check, which also keeps it inside `in` (lim < avail, so in[i] with
    // i <= lim is readable, and a record ends at lim at the latest).
    while (k < count && avail > 1) {
        const std::size_t room = out_size - o;
        const std::size_t lim = std::min(avail - 1, i + (room == 0 ? 0 : (room - 1) / pad));
        const std::uint32_t k0 = k;
        for (; k < count; ++k) {
            const auto len = static_cast<std::uint8_t>(in[i]);
            // A two-byte header has bit 7 set and 0 is corrupt: both (one
            // compare) to the checked path, as is a record past lim.
            if (static_cast<std::uint8_t>(len - 1) >= 0x7f || len >= lim - i) break;
            const std::byte* rec = in + i + 1;
            char* name = out + o;
            const auto t0 = static_cast<std::uint8_t>(rec[0]);
            std::copy_n(tokens.padded_tail(t0).data(), pad, name);
            std::size_t n = tokens.length(t0) - std::size_t{1};
            // Tried on amd64 7.2, each slower than this loop: a fixed group of
            // 8 tokens a trip with those past the record counted as empty, so
            // that the loop's exit is predictable (+25 %); two tokens a trip
            // with an odd last one masked (+12 %); 8-byte copies with a second
            // for tokens over 8 bytes, to split fewer stores across cache lines
            // (+20 %). The work a token, not the mispredicted exit, bounds it.
            for (std::size_t j = 1; j < len; ++j) {
                // The length is loaded before the copy: a store through `name`
                // could alias the table, and would order the load.
                const auto t = static_cast<std::uint8_t>(rec[j]);
                const std::size_t tl = tokens.length(t);
                std::copy_n(tokens.padded(t).data(), pad, name + n);
                n += tl;
            }
            if (n >= name_buffer_size) break;
            name[n] = '\0';
            if (types) types[k] = tokens.padded(t0)[0];
            i += std::size_t{len} + 1;
            o += n + 1;
        }
        if (k == k0) break;  // no progress: the caller's checked path
    }
    st.records = k;
    st.in = i;
    st.out = o;
    return st;
}

/// Index of the first of the 16 bytes at `a` and `b` that differ, 16 when
/// none does: two 8-byte words compared, the first difference found by
/// counting zero bits from the end that holds the lower address.
inline std::size_t first_difference16(const char* a, const char* b) noexcept {
    for (std::size_t half = 0; half < 16; half += 8) {
        std::uint64_t x = 0, y = 0;
        std::memcpy(&x, a + half, 8);
        std::memcpy(&y, b + half, 8);
        if (const std::uint64_t d = x ^ y; d != 0) {
            const int bit = std::endian::native == std::endian::little ? std::countr_zero(d) : std::countl_zero(d);
            return half + static_cast<std::size_t>(bit) / 8;
        }
    }
    return 16;
}

/// strcmp-like comparison of the name `rec` spells (type letter dropped)
/// with `name`: -1, 0 or 1, or -2 when no token has text. Stops at the first
/// difference, so a search reads only as many tokens as it must. Deep in a
/// name search the names share long prefixes, so a token with 16 bytes of
/// `name` left is compared from its padded slot 16 bytes at once.
constexpr int compare(const token_table& tokens, std::span<const std::byte> rec, std::string_view name) noexcept {
    constexpr std::size_t pad = token_table::pad;
    std::size_t pos = 0;
    bool have_type = false;
    for (const std::byte b : rec) {
        const auto t = static_cast<std::uint8_t>(b);
        const char* tok = tokens.data(t);
        std::size_t tl = tokens.length(t);
        const char* slot = tokens.padded(t).data();
        if (!have_type) {
            if (tl == 0) continue;
            have_type = true;
            ++tok;
            --tl;
            slot = tokens.padded_tail(t).data();
        }
        if (!std::is_constant_evaluated() && tl <= pad && name.size() - pos >= pad) {
            const std::size_t d = first_difference16(slot, name.data() + pos);
            if (d < tl) return static_cast<unsigned char>(slot[d]) < static_cast<unsigned char>(name[pos + d]) ? -1 : 1;
            pos += tl;
            continue;
        }
        for (std::size_t j = 0; j < tl; ++j, ++pos) {
            if (pos == name.size()) return 1;  // the table's name is longer
            const auto a = static_cast<unsigned char>(tok[j]);
            const auto q = static_cast<unsigned char>(name[pos]);
            if (a != q) return a < q ? -1 : 1;
        }
    }
    if (!have_type) return -2;
    return pos < name.size() ? -1 : 0;
}

/// `name` as lookups under `rule` see it (kernel/kallsyms.c cleanup_symbol_name).
constexpr std::string_view cleanup(std::string_view name, name_suffix_rule rule) noexcept {
    std::size_t cut = std::string_view::npos;
    if (rule == name_suffix_rule::strip_from_first_dot) cut = name.find('.');
    else if (rule == name_suffix_rule::strip_llvm) cut = name.find(".llvm.");
    return cut == std::string_view::npos ? name : name.substr(0, cut);
}

}  // namespace ksym::detail
