#pragma once
// Stage 2, resolve: every fact about a table that the layout alone does not
// give, read from the memory once, over any MemoryReader.
//
// The rules, in order:
// - count: kallsyms_num_syms as a u32 (since 4.20); a big-endian 64-bit
//   target whose u32 reads 0 holds it in a word (before 4.20).
// - markers: absent -> derived by the table; else u32 unless a 64-bit
//   target's first two u32 are both 0 (marker 0 is always 0, marker 1 never
//   is, so that is a word-sized table).
// - seqs_of_names: absent -> linear name search; else 3-byte big-endian
//   unless a sample of entries only stays below the count read as 4-byte.
// - encoding: kallsyms_addresses -> absolute; offsets without a relative
//   base -> place-relative; with one, absolute-percpu when most offsets are
//   negative (only per-CPU symbols are >= 0 there), else base-relative.
//   Known symbols (a map's or VMCOREINFO's SYMBOL(_stext)) then check that
//   choice when the base is known.
// - relative base: given by the caller; else the stored value when not 0;
//   else the addend of the RELATIVE relocation for its address (raw arm64
//   and riscv Images store 0 and relocate at boot); else solved from known
//   symbols decoded with base 0 (needs a workspace table).

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "ksym/arch/traits.hpp"
#include "ksym/batch/batch_reader.hpp"
#include "ksym/core/endian.hpp"
#include "ksym/core/errc.hpp"
#include "ksym/core/result.hpp"
#include "ksym/elf/relocation.hpp"
#include "ksym/kallsyms/format.hpp"
#include "ksym/kallsyms/layout.hpp"
#include "ksym/kallsyms/locate.hpp"
#include "ksym/kallsyms/table.hpp"
#include "ksym/memory/reader.hpp"

namespace ksym {

/// What the caller knows beyond the layout. Everything defaults to detection.
struct resolve_hints {
    std::optional<address_encoding> encoding;     ///< force the encoding
    std::optional<std::uint64_t> relative_base;   ///< force the base (base_source::given)
    std::uint8_t marker_bytes = 0;                ///< force 4 or 8
    std::uint8_t seq_bytes = 0;                   ///< force 3 or 4
    name_suffix_rule suffix_rule = name_suffix_rule::exact;
    /// Symbols whose addresses another source gives (kallsyms_location::anchors()).
    std::span<const known_symbol> known{};
    /// Bytes holding Elf64_Rela entries (a raw Image file, addressed by
    /// offset from 0), searched for the relocation of kallsyms_relative_base.
    reader_ref relocations{};
    std::uint64_t relocations_size = 0;
    std::uint32_t relocation_type = 0;            ///< r_aarch64_relative, r_riscv_relative
};

namespace detail {

template <MemoryReader R, ArchTraits Arch>
constexpr status resolve_widths(batch_reader<R, Arch>& br, const resolve_hints& h, kallsyms_format& f) {
    using word = typename Arch::word;
    const kallsyms_layout& l = f.layout;
    auto n32 = br.template read_one<std::uint32_t>(l.num_syms);
    if (!n32) return n32.error();
    std::uint64_t n = *n32;
    f.count_bytes = 4;
    if (n == 0 && sizeof(word) == 8 && Arch::byte_order == std::endian::big) {
        auto n64 = br.template read_one<std::uint64_t>(l.num_syms);
        if (!n64) return n64.error();
        n = *n64;
        f.count_bytes = 8;
    }
    if (n == 0 || n > kallsyms_table<R, Arch>::max_symbols) return {errc::corrupt, l.num_syms};
    f.count = static_cast<std::uint32_t>(n);

    f.marker_bytes = 0;
    if (l.markers) {
        f.marker_bytes = h.marker_bytes != 0 ? h.marker_bytes : 4;
        if (h.marker_bytes == 0 && sizeof(word) == 8 && f.count > 256) {
            std::array<std::uint32_t, 2> head{};
            if (status s = br.read_array(*l.markers, std::span(head)); !s) return s;
            if (head[0] == 0 && head[1] == 0) f.marker_bytes = 8;
        }
    }

    f.seq_bytes = 0;
    if (l.seqs_of_names) {
        f.seq_bytes = h.seq_bytes;
        for (std::uint8_t width : {std::uint8_t{3}, std::uint8_t{4}}) {
            if (f.seq_bytes != 0) break;
            const std::uint32_t sample = std::min<std::uint32_t>(f.count, 64);
            std::array<std::byte, 64 * 4> raw{};
            if (status s = br.read_bytes(*l.seqs_of_names, std::span(raw).first(sample * width)); !s) return s;
            bool fits = true;
            for (std::uint32_t k = 0; k < sample; ++k) {
                const std::uint64_t v = width == 3 ? load_n(raw.data() + 3 * k, 3, std::endian::big)
                                                   : load_n(raw.data() + 4 * k, 4, Arch::byte_order);
                fits = fits && v < f.count;
            }
            if (fits) f.seq_bytes = width;
        }
        if (f.seq_bytes == 0) return {errc::corrupt, *l.seqs_of_names};
    }
    return {};
}

// The encoding and base from the data alone; base_from stays `none` when a
// relative base is needed and nothing here finds it.
template <MemoryReader R, ArchTraits Arch>
constexpr status resolve_addresses(batch_reader<R, Arch>& br, const resolve_hints& h, kallsyms_format& f) {
    const kallsyms_layout& l = f.layout;
    f.base_from = base_source::none;
    f.relative_base = 0;
    if (h.encoding) f.encoding = *h.encoding;
    else if (l.addresses) f.encoding = address_encoding::absolute;
    else if (!l.relative_base && !h.relative_base) f.encoding = address_encoding::place_relative;
    else f.encoding = address_encoding::base_relative;
    if (f.encoding == address_encoding::absolute ? !l.addresses : !l.offsets) return {errc::invalid_argument};
    if (f.encoding == address_encoding::absolute || f.encoding == address_encoding::place_relative) return {};

    if (!h.encoding) {
        std::array<std::int32_t, 256> window{};
        std::uint64_t negative = 0;
        if (status s = br.for_each_window(*l.offsets, f.count, std::span(window),
                                          [&](std::uint64_t, std::span<const std::int32_t> c) {
                                              for (auto v : c) negative += v < 0 ? 1u : 0u;
                                              return status{};
                                          });
            !s)
            return s;
        if (negative * 2 > f.count) f.encoding = address_encoding::absolute_percpu;
    }
    if (h.relative_base) {
        f.relative_base = *h.relative_base;
        f.base_from = base_source::given;
        return {};
    }
    if (!l.relative_base) return {errc::invalid_argument};
    auto stored = br.template read_one<typename Arch::word>(*l.relative_base);
    if (!stored) return stored.error();
    if (*stored != 0) {
        f.relative_base = *stored;
        f.base_from = base_source::stored;
        return {};
    }
    if (h.relocations_size != 0) {
        auto addend = find_rela_addend(h.relocations, h.relocations_size, Arch::byte_order, *l.relative_base,
                                       h.relocation_type);
        if (addend) {
            f.relative_base = *addend;
            f.base_from = base_source::relocation;
        } else if (addend.error().code() != errc::not_found) {
            return addend.error();
        }
    }
    return {};
}

// The base each encoding implies for symbol `raw` being at `addr`.
constexpr std::optional<std::uint64_t> implied_base(address_encoding e, std::int32_t raw, std::uint64_t addr) {
    if (e == address_encoding::base_relative) return addr - static_cast<std::uint32_t>(raw);
    if (raw < 0) return addr + 1 + static_cast<std::uint64_t>(std::int64_t{raw});
    return std::nullopt;  // a per-CPU entry says nothing about the base
}

}  // namespace detail

/// Resolves `layout` in `reader` by the rules above, without decoding any
/// name. A relative base that only known symbols could give is `not_found`
/// at kallsyms_relative_base: use the overload with a workspace.
template <ArchTraits Arch, MemoryReader R>
[[nodiscard]] constexpr result<kallsyms_format> resolve_format(R& reader, const kallsyms_layout& layout,
                                                               const resolve_hints& hints = {}) {
    kallsyms_format f;
    f.layout = layout;
    f.word_bytes = sizeof(typename Arch::word);
    f.byte_order = Arch::byte_order;
    f.suffix_rule = hints.suffix_rule;
    batch_reader<R, Arch> br(reader);
    if (status s = detail::resolve_widths(br, hints, f); !s) return s;
    if (status s = detail::resolve_addresses(br, hints, f); !s) return s;
    const bool relative = f.encoding == address_encoding::base_relative ||
                          f.encoding == address_encoding::absolute_percpu;
    if (relative && f.base_from == base_source::none) return status{errc::not_found, layout.relative_base.value_or(0)};
    return f;
}

/// Resolves as above, then uses the known symbols, decoded through
/// `workspace` (the table about to be opened, so no second table lands on
/// the stack): to solve a relative base nothing else gave (two anchors must
/// agree, and a majority must), and, when the encoding was inferred, to
/// check absolute-percpu against base-relative. Anchors that contradict
/// both give `corrupt`. The workspace is left open on a provisional format:
/// open it again with the result.
template <ArchTraits Arch, MemoryReader R>
[[nodiscard]] constexpr result<kallsyms_format> resolve_format(R& reader, const kallsyms_layout& layout,
                                                               const resolve_hints& hints,
                                                               kallsyms_table<R, Arch>& workspace) {
    auto first = resolve_format<Arch>(reader, layout, hints);
    const bool need_base = !first && first.error().code() == errc::not_found && layout.relative_base;
    if (!first && !need_base) return first;
    if (hints.known.empty()) return first;
    kallsyms_format f;
    if (first) {
        f = *first;
        if (hints.encoding || (f.encoding != address_encoding::base_relative &&
                               f.encoding != address_encoding::absolute_percpu))
            return f;
    } else {
        // Same facts with a provisional base, to decode names with.
        resolve_hints h = hints;
        h.relative_base = 0;
        auto p = resolve_format<Arch>(reader, layout, h);
        if (!p) return p.error();
        f = *p;
    }
    // Table index and raw offset of each known symbol, in one pass.
    constexpr std::size_t max_known = std::size(anchor_names);
    std::array<std::int32_t, max_known> raw{};
    std::array<bool, max_known> seen{};
    const std::size_t nk = std::min(hints.known.size(), max_known);
    if (status s = workspace.open(reader, f); !s) return s;
    batch_reader<R, Arch> br(reader);
    name_buffer buf;
    status inner;
    const auto note = [&](const symbol& sym) {
        for (std::size_t k = 0; k < nk; ++k) {
            if (seen[k] || sym.name != hints.known[k].name) continue;
            auto v = br.template read_one<std::int32_t>(*layout.offsets + 4 * std::uint64_t{sym.index});
            if (!v) return inner = v.error(), false;
            raw[k] = *v;
            seen[k] = true;
        }
        return true;
    };
    if (f.seq_bytes != 0) {
        // Names in sorted order: a binary search each, not a walk of the
        // table (the first of equal names is the lowest index either way).
        for (std::size_t k = 0; k < nk && inner.ok(); ++k) {
            auto sym = workspace.find_by_name(hints.known[k].name, buf);
            if (sym) {
                (void)note(*sym);
            } else if (sym.error() != errc::not_found) {
                return sym.error();
            }
        }
    } else {
        const status walk = workspace.for_each(buf, note);
        if (!walk) return walk;
    }
    if (!inner) return inner;
    using word = typename Arch::word;
    if (!first) {
        // Vote: the candidate most anchors agree on, if at least two do.
        std::size_t best = 0;
        for (std::size_t a = 0; a < nk; ++a) {
            const auto ca = seen[a] ? detail::implied_base(f.encoding, raw[a], hints.known[a].address) : std::nullopt;
            if (!ca) continue;
            std::size_t votes = 0;
            for (std::size_t b = 0; b < nk; ++b) {
                const auto cb = seen[b] ? detail::implied_base(f.encoding, raw[b], hints.known[b].address) : std::nullopt;
                votes += cb && static_cast<word>(*cb) == static_cast<word>(*ca) ? 1u : 0u;
            }
            if (votes > best) {
                best = votes;
                f.relative_base = static_cast<word>(*ca);
            }
        }
        if (best < 2) return status{errc::not_found, *layout.relative_base};
        f.base_from = base_source::anchor;
        return f;
    }
    // Base known: which encoding puts the anchors where the source says?
    std::size_t hits[2] = {0, 0};
    for (std::size_t k = 0; k < nk; ++k) {
        if (!seen[k]) continue;
        kallsyms_format g = f;
        for (int e = 0; e < 2; ++e) {
            g.encoding = e == 0 ? address_encoding::base_relative : address_encoding::absolute_percpu;
            const auto u = static_cast<std::uint64_t>(static_cast<std::uint32_t>(raw[k]));
            hits[e] += detail::decode_entry<word>(g, u, 0) == static_cast<word>(hints.known[k].address) ? 1u : 0u;
        }
    }
    if (hits[0] == 0 && hits[1] == 0) {
        for (bool s : seen)
            if (s) return status{errc::corrupt, *layout.offsets};
        return f;  // no anchor is in the table: nothing to check against
    }
    f.encoding = hits[1] > hits[0] ? address_encoding::absolute_percpu : address_encoding::base_relative;
    return f;
}

}  // namespace ksym
