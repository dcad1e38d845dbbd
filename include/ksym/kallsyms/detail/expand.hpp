#pragma once
// Token expansion: a record's token bytes into a name, or compared with one.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "ksym/core/errc.hpp"
#include "ksym/core/result.hpp"
#include "ksym/kallsyms/format.hpp"
#include "ksym/kallsyms/token_table.hpp"

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

/// strcmp-like comparison of the name `rec` spells (type letter dropped)
/// with `name`: -1, 0 or 1, or -2 when no token has text. Stops at the first
/// difference, so a search reads only as many tokens as it must.
constexpr int compare(const token_table& tokens, std::span<const std::byte> rec, std::string_view name) noexcept {
    std::size_t pos = 0;
    bool have_type = false;
    for (const std::byte b : rec) {
        const auto t = static_cast<std::uint8_t>(b);
        const char* tok = tokens.data(t);
        std::size_t tl = tokens.length(t);
        if (!have_type) {
            if (tl == 0) continue;
            have_type = true;
            ++tok;
            --tl;
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
