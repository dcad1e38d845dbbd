#pragma once
// Name lookup over an open kallsyms_table: the kernel's two algorithms.

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "ksym/core/endian.hpp"
#include "ksym/core/errc.hpp"
#include "ksym/core/result.hpp"
#include "ksym/kallsyms/detail/expand.hpp"
#include "ksym/kallsyms/detail/names_stream.hpp"
#include "ksym/kallsyms/format.hpp"
#include "ksym/symbols/symbol.hpp"

namespace ksym::detail {

/// The table's name searches, kept apart from its decoding. A friend of
/// kallsyms_table: it uses the table's seek, window and caches.
struct name_search {
    /// Entry k of kallsyms_seqs_of_names: the table index of the k-th name
    /// in sorted order (3 bytes big-endian, or a u32 in the target's order).
    template <class Table>
    static constexpr result<std::uint32_t> seq_at(Table& t, std::uint32_t k) {
        const kallsyms_format& f = t.fmt_;
        const std::uint8_t width = Table::format_policy::seq_bytes(f);
        std::array<std::byte, 4> raw{};
        const std::uint64_t at = *f.layout.seqs_of_names + std::uint64_t{k} * width;
        const std::byte* p = raw.data();
        if ((std::size_t{k} + 1) * width <= t.lent_seqs_.size()) p = t.lent_seqs_.data() + std::size_t{k} * width;
        else if (status s = t.br_.read_bytes(at, std::span(raw).first(width)); !s) return s;
        const std::uint64_t v = width == 3 ? load_n(p, 3, std::endian::big)
                                           : load_n(p, 4, Table::arch_type::byte_order);
        if (v >= t.n_) return status{errc::corrupt, at};
        return static_cast<std::uint32_t>(v);
    }

    /// The kernel's pre-6.2 kallsyms_lookup_name: the first symbol in table
    /// order whose name is `name`, else the first whose cleaned name is.
    template <class Table>
    static constexpr result<symbol> linear(Table& t, std::string_view name, std::span<char> buf) {
        symbol found;
        bool exact = false;
        std::uint32_t stripped = t.n_;
        const name_suffix_rule rule = Table::format_policy::suffix_rule(t.fmt_);
        const status s = t.for_each(buf, [&](const symbol& sym) {
            if (sym.name == name) {
                found = sym;
                exact = true;
                return false;
            }
            if (stripped == t.n_ && cleanup(sym.name, rule) == name) stripped = sym.index;
            return true;
        });
        if (!s) return s;
        if (exact) return found;
        if (stripped < t.n_) return t.at(stripped, buf);
        return status{errc::not_found};
    }

    /// Binary search over kallsyms_seqs_of_names for the first entry whose
    /// (cleaned) name is >= `name`, as kallsyms_lookup_names does. Every
    /// search starts down the same probes, so with markers in memory the
    /// name offsets of the first probe_levels levels of that implicit tree
    /// are kept in the table's aux_: those probes then cost one record read
    /// instead of a seq read, a marker read and up to 255 record skips.
    template <class Table>
    static constexpr result<symbol> sorted(Table& t, std::string_view name, std::span<char> buf) {
        constexpr std::size_t probe_levels = 11;
        static_assert((std::size_t{1} << probe_levels) - 1 <= Table::aux_entries);
        const bool cache = Table::format_policy::marker_bytes(t.fmt_) != 0;  // otherwise aux_ holds derived markers
        std::uint32_t lo = 0, hi = t.n_;
        std::size_t node = 0;  // the probe's place in the tree: children 2k+1 (left), 2k+2 (right)
        // The record of the last probe that set hi: the answer's, when
        // there is one (lo ends at that hi), so it needs no second seek.
        std::uint64_t hit = 0;
        while (lo < hi) {
            const std::uint32_t mid = lo + (hi - lo) / 2;
            const bool cached = cache && node + 1 < (std::size_t{1} << probe_levels);
            std::uint64_t off = 0;
            if (cached && t.aux_[node] != 0) {
                off = t.aux_[node] - 1;
            } else {
                auto seq = seq_at(t, mid);
                if (!seq) return seq.error();
                auto o = t.seek(*seq);
                if (!o) return o.error();
                off = *o;
                if (cached && off < 0xffffffffu) t.aux_[node] = static_cast<std::uint32_t>(off + 1);
            }
            auto c = compare_at(t, off, name, buf);
            if (!c) return c.error();
            if (*c < 0) {
                lo = mid + 1;
                node = 2 * node + 2;
            } else {
                hi = mid;
                hit = off;
                node = 2 * node + 1;
            }
        }
        if (lo >= t.n_) return status{errc::not_found};
        auto seq = seq_at(t, lo);
        if (!seq) return seq.error();
        auto sym = t.at_offset(*seq, hit, buf);
        if (!sym) return sym.error();
        if (cleanup(sym->name, Table::format_policy::suffix_rule(t.fmt_)) != name) return status{errc::not_found};
        return sym;
    }

private:
    // Compares the (cleaned) name of the record at `off` with `name`. Exact
    // names are compared token by token as read; suffix rules need the whole
    // name, expanded into `scratch`.
    template <class Table>
    static constexpr result<int> compare_at(Table& t, std::uint64_t off, std::string_view name,
                                            std::span<char> scratch) {
        constexpr std::size_t random = Table::names::random;
        const name_suffix_rule rule = Table::format_policy::suffix_rule(t.fmt_);
        if (rule != name_suffix_rule::exact) {
            symbol sym;
            if (status s = t.expand_at(off, scratch, sym, random); !s) return s;
            const std::string_view have = cleanup(sym.name, rule);
            return have < name ? -1 : have == name ? 0 : 1;
        }
        record r;
        auto rec = t.names_.body(t.br_, off, random, r);
        if (!rec) return rec.error();
        const int c = compare(t.tokens_, *rec, name);
        if (c < -1) return status{errc::corrupt, t.fmt_.layout.names + off};
        return c;
    }
};

}  // namespace ksym::detail
