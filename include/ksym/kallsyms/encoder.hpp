#pragma once
// Builds kallsyms tables the way scripts/kallsyms does, for any era, word size
// and byte order. This is a build-time tool (tests, synthetic images, tools
// that emit tables), so unlike the decoder it allocates freely.

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <string>
#include <string_view>
#include <vector>

#include "ksym/core/endian.hpp"
#include "ksym/core/errc.hpp"
#include "ksym/core/result.hpp"
#include "ksym/kallsyms/format.hpp"
#include "ksym/kallsyms/layout.hpp"

namespace ksym {

/// One symbol to encode.
struct encoder_symbol {
    std::uint64_t address = 0;
    char type = 'T';
    std::string name;
};

/// What kind of table to build.
struct encoder_options {
    address_encoding encoding = address_encoding::base_relative;
    std::size_t word_bytes = 8;                  ///< 4 or 8
    std::endian byte_order = std::endian::little;
    std::uint64_t base = 0;                      ///< address of the first byte of the blob
    bool long_names = true;                      ///< 2-byte record lengths allowed (6.1+)
    std::uint8_t marker_bytes = 4;               ///< 4 (4.20+) or the word size (before)
    bool num_syms_word = false;                  ///< kallsyms_num_syms as a word (before 4.20)
    bool seqs_of_names = true;                   ///< emit kallsyms_seqs_of_names (6.2+)
    std::uint8_t seq_bytes = 3;
    /// For base-relative / absolute-percpu: the base; when unset, the lowest
    /// address of the symbols that are not absolute ('A'/'a').
    std::optional<std::uint64_t> relative_base;
    /// Keep the caller's order instead of sorting by address as the kernel does.
    bool keep_order = false;
    /// Emit the arrays in the order kernels before 6.4 used (addresses and
    /// relative base first, seqs_of_names before the token table) instead
    /// of today's (num_syms, names, markers, tokens, addresses, base, seqs).
    bool legacy_order = false;
};

/// A built table: the bytes, where they go, and where each array sits.
struct encoded_table {
    std::vector<std::byte> blob;
    std::uint64_t base = 0;
    kallsyms_layout layout;
    /// What resolve_format should find: every fact the encoder chose.
    kallsyms_format format;
    std::vector<encoder_symbol> symbols;  ///< in table order
    std::array<std::string, 256> tokens;
};

namespace detail {

// The pair-merging compressor. Bytes that occur in some symbol stand for
// themselves; every byte value that never occurs is a free slot, filled (from
// 255 down) with the currently most frequent adjacent token pair, after which
// every occurrence of the pair is replaced. Pair counts are kept up to date
// per symbol, so each round only touches the symbols that change.
class token_compressor {
public:
    explicit token_compressor(std::vector<std::vector<std::uint8_t>>& syms) : syms_(syms), count_(65536, 0) {
        for (const auto& s : syms_)
            for (auto c : s) tokens_[c] = std::string(1, static_cast<char>(c));
        for (const auto& s : syms_) learn(s, +1);
    }

    std::array<std::string, 256> run() {
        for (int slot = 255; slot >= 0; --slot) {
            if (!tokens_[static_cast<std::size_t>(slot)].empty()) continue;
            std::size_t best = 0;
            for (std::size_t p = 1; p < count_.size(); ++p)
                if (count_[p] > count_[best]) best = p;
            if (count_[best] <= 0) break;
            const auto a = static_cast<std::uint8_t>(best >> 8);
            const auto b = static_cast<std::uint8_t>(best & 0xff);
            tokens_[static_cast<std::size_t>(slot)] = tokens_[a] + tokens_[b];
            replace(a, b, static_cast<std::uint8_t>(slot));
        }
        return tokens_;
    }

private:
    void learn(const std::vector<std::uint8_t>& s, std::int64_t d) {
        for (std::size_t i = 0; i + 1 < s.size(); ++i) count_[(std::size_t{s[i]} << 8) | s[i + 1]] += d;
    }
    void replace(std::uint8_t a, std::uint8_t b, std::uint8_t t) {
        for (auto& s : syms_) {
            bool has = false;
            for (std::size_t i = 0; i + 1 < s.size() && !has; ++i) has = s[i] == a && s[i + 1] == b;
            if (!has) continue;
            learn(s, -1);
            std::size_t w = 0;
            for (std::size_t r = 0; r < s.size();) {
                if (r + 1 < s.size() && s[r] == a && s[r + 1] == b) {
                    s[w++] = t;
                    r += 2;
                } else {
                    s[w++] = s[r++];
                }
            }
            s.resize(w);
            learn(s, +1);
        }
    }

    std::vector<std::vector<std::uint8_t>>& syms_;
    std::vector<std::int64_t> count_;
    std::array<std::string, 256> tokens_{};
};

inline void put(std::vector<std::byte>& out, std::uint64_t v, std::size_t width, std::endian order) {
    const std::size_t at = out.size();
    out.resize(at + width);
    store_n(out.data() + at, v, width, order);
}

inline void align(std::vector<std::byte>& out, std::size_t a) {
    while (out.size() % a) out.push_back(std::byte{0});
}

}  // namespace detail

/// Encodes `symbols` into a kallsyms table. Fails with `invalid_argument` for
/// options that do not fit together, `unsupported` for a symbol the chosen
/// era cannot represent (a name too long for 1-byte lengths, an address out
/// of range of its offset encoding).
inline result<encoded_table> encode_kallsyms(std::vector<encoder_symbol> symbols, const encoder_options& o) {
    if (o.word_bytes != 4 && o.word_bytes != 8) return status{errc::invalid_argument};
    if (o.marker_bytes != 4 && o.marker_bytes != o.word_bytes) return status{errc::invalid_argument};
    if (o.seq_bytes != 3 && o.seq_bytes != 4) return status{errc::invalid_argument};
    if (symbols.empty()) return status{errc::invalid_argument};
    const std::uint64_t word_mask = o.word_bytes == 8 ? ~0ull : 0xffffffffull;
    for (const auto& s : symbols)
        if (s.name.empty() || s.name.size() + 1 >= 512 || s.name.find('\0') != std::string::npos ||
            (s.address & ~word_mask) != 0)
            return status{errc::invalid_argument};
    if (!o.keep_order)
        std::stable_sort(symbols.begin(), symbols.end(),
                         [](const encoder_symbol& a, const encoder_symbol& b) { return a.address < b.address; });

    encoded_table t;
    t.base = o.base;
    const std::size_t n = symbols.size();
    std::vector<std::vector<std::uint8_t>> comp(n);
    for (std::size_t i = 0; i < n; ++i) {
        comp[i].push_back(static_cast<std::uint8_t>(symbols[i].type));
        for (char c : symbols[i].name) comp[i].push_back(static_cast<std::uint8_t>(c));
    }
    t.tokens = detail::token_compressor(comp).run();

    std::vector<std::byte>& out = t.blob;
    const std::size_t al = o.word_bytes;
    const std::endian bo = o.byte_order;
    kallsyms_layout& L = t.layout;

    std::uint64_t rb = 0;
    if (o.encoding == address_encoding::base_relative || o.encoding == address_encoding::absolute_percpu) {
        if (o.relative_base) {
            rb = *o.relative_base;
        } else {
            rb = ~0ull;
            for (const auto& s : symbols)
                if (s.type != 'A' && s.type != 'a') rb = std::min(rb, s.address);
            if (rb == ~0ull) rb = 0;
        }
    }

    // Each group of arrays, emitted at the current end of the blob; the
    // decoder finds arrays by address, never by adjacency.
    const auto names_and_markers = [&]() -> status {
        L.num_syms = o.base + out.size();
        detail::put(out, n, o.num_syms_word ? o.word_bytes : 4, bo);
        detail::align(out, al);

        L.names = o.base + out.size();
        std::vector<std::uint64_t> markers;
        const std::size_t names_start = out.size();
        for (std::size_t i = 0; i < n; ++i) {
            if (i % 256 == 0) markers.push_back(out.size() - names_start);
            const std::size_t len = comp[i].size();
            if (len > 0x7f) {
                if (!o.long_names || len > 0x3fff) return status{errc::unsupported};
                out.push_back(static_cast<std::byte>((len & 0x7f) | 0x80));
                out.push_back(static_cast<std::byte>(len >> 7));
            } else {
                out.push_back(static_cast<std::byte>(len));
            }
            for (auto c : comp[i]) out.push_back(static_cast<std::byte>(c));
        }
        detail::align(out, al);

        L.markers = o.base + out.size();
        for (auto m : markers) detail::put(out, m, o.marker_bytes, bo);
        detail::align(out, al);

        return {};
    };
    const auto tokens = [&] {
        L.token_table = o.base + out.size();
        std::array<std::uint16_t, 256> index{};
        const std::size_t tt_start = out.size();
        for (std::size_t i = 0; i < 256; ++i) {
            index[i] = static_cast<std::uint16_t>(out.size() - tt_start);
            for (char c : t.tokens[i]) out.push_back(static_cast<std::byte>(c));
            out.push_back(std::byte{0});
        }
        detail::align(out, al);

        L.token_index = o.base + out.size();
        for (auto v : index) detail::put(out, v, 2, bo);
        detail::align(out, al);

    };
    const auto addresses = [&]() -> status {
        if (o.encoding == address_encoding::absolute) {
            L.addresses = o.base + out.size();
            for (const auto& s : symbols) detail::put(out, s.address, o.word_bytes, bo);
        } else {
            L.offsets = o.base + out.size();
            for (std::size_t i = 0; i < n; ++i) {
                const std::uint64_t a = symbols[i].address;
                std::int64_t v = 0;
                switch (o.encoding) {
                case address_encoding::base_relative:
                    if (a < rb || a - rb > 0xffffffffull) return status{errc::unsupported};
                    v = static_cast<std::int64_t>(a - rb);
                    break;
                case address_encoding::absolute_percpu:
                    if (a < rb) {
                        // Stored as itself: must be a non-negative s32.
                        if (a > 0x7fffffffull) return status{errc::unsupported};
                        v = static_cast<std::int64_t>(a);
                    } else {
                        // rb - 1 - v == a  =>  v = rb - 1 - a, which must be a negative s32.
                        const std::uint64_t d = a - rb;  // v = -1 - d
                        if (d > 0x7fffffffull) return status{errc::unsupported};
                        v = -1 - static_cast<std::int64_t>(d);
                    }
                    break;
                case address_encoding::place_relative: {
                    const std::uint64_t place = o.base + out.size();
                    const std::int64_t d = static_cast<std::int64_t>((a - place) & word_mask) << (64 - 8 * o.word_bytes) >>
                                           (64 - 8 * o.word_bytes);
                    if (d < INT32_MIN || d > INT32_MAX) return status{errc::unsupported};
                    v = d;
                    break;
                }
                case address_encoding::absolute: break;
                }
                detail::put(out, static_cast<std::uint64_t>(v) & 0xffffffffull, 4, bo);
            }
        }
        detail::align(out, al);

        if (o.encoding == address_encoding::base_relative || o.encoding == address_encoding::absolute_percpu) {
            L.relative_base = o.base + out.size();
            detail::put(out, rb, o.word_bytes, bo);
            detail::align(out, al);
        }

        return {};
    };
    const auto seqs = [&] {
        if (o.seqs_of_names) {
            std::vector<std::uint32_t> seq(n);
            std::iota(seq.begin(), seq.end(), 0u);
            std::stable_sort(seq.begin(), seq.end(), [&](std::uint32_t a, std::uint32_t b) {
                if (symbols[a].name != symbols[b].name) return symbols[a].name < symbols[b].name;
                return symbols[a].address < symbols[b].address;
            });
            L.seqs_of_names = o.base + out.size();
            for (auto s : seq) {
                if (o.seq_bytes == 3) detail::put(out, s, 3, std::endian::big);
                else detail::put(out, s, 4, bo);
            }
            detail::align(out, al);
        }
    };
    if (o.legacy_order) {
        if (status st = addresses(); !st) return st;
        if (status st = names_and_markers(); !st) return st;
        seqs();
        tokens();
    } else {
        if (status st = names_and_markers(); !st) return st;
        tokens();
        if (status st = addresses(); !st) return st;
        seqs();
    }
    kallsyms_format& F = t.format;
    F.layout = L;
    F.count = static_cast<std::uint32_t>(n);
    F.count_bytes = o.num_syms_word ? static_cast<std::uint8_t>(o.word_bytes) : 4;
    F.marker_bytes = o.marker_bytes;
    F.seq_bytes = o.seqs_of_names ? o.seq_bytes : 0;
    F.encoding = o.encoding;
    const bool relative = o.encoding == address_encoding::base_relative ||
                          o.encoding == address_encoding::absolute_percpu;
    F.relative_base = relative ? rb : 0;
    F.base_from = relative ? base_source::stored : base_source::none;
    F.word_bytes = static_cast<std::uint8_t>(o.word_bytes);
    F.byte_order = bo;
    t.symbols = std::move(symbols);
    return t;
}

}  // namespace ksym
