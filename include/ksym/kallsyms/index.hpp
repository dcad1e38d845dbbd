#pragma once
// An index over an open kallsyms table, in storage the caller lends: O(1)
// access by position, in-memory address search, hashed name lookup.

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "ksym/arch/traits.hpp"
#include "ksym/core/endian.hpp"
#include "ksym/core/errc.hpp"
#include "ksym/core/result.hpp"
#include "ksym/kallsyms/detail/addresses.hpp"
#include "ksym/kallsyms/detail/expand.hpp"
#include "ksym/kallsyms/detail/names_stream.hpp"
#include "ksym/kallsyms/table.hpp"
#include "ksym/memory/reader.hpp"
#include "ksym/symbols/symbol.hpp"

namespace ksym {

/// Every symbol's address, name offset and name order, and a hash of the
/// names, decoded once from a table into storage the caller owns (about 26
/// bytes a symbol; ksym never allocates it).
///
/// Lookups are const and touch neither the table's window nor its caches:
/// they read name records straight through the table's reader into stack
/// buffers. Any number of threads may look up at once, provided the
/// reader's read() may be called concurrently (buffer_reader and
/// file_reader may). The table and the storage must outlive the index, and
/// the table must not be reopened while it is in use. Answers are the ones
/// the table gives.
template <MemoryReader R, ArchTraits Arch>
class kallsyms_index {
public:
    using table_type = kallsyms_table<R, Arch>;

    /// 64-bit words of storage build() needs for `table`.
    [[nodiscard]] static constexpr std::size_t words_for(const table_type& table) noexcept {
        return 2 * std::size_t{table.size()} + hash_slots(table) / 2;
    }

    /// Decodes `table` into `storage` (at least words_for(table) words) in
    /// one sequential pass over its addresses and names.
    constexpr status build(table_type& table, std::span<std::uint64_t> storage) {
        t_ = nullptr;
        const std::uint32_t n = table.size();
        if (n == 0) return {errc::invalid_argument};
        if (storage.size() < words_for(table)) return {errc::capacity};
        const auto addr = storage.first(n);
        const auto aux = storage.subspan(n, n);
        const auto hash = storage.subspan(2 * std::size_t{n}, hash_slots(table) / 2);
        if (status s = table.addresses(0, addr); !s) return s;
        // One sequential pass over the names, through the table's window.
        std::uint64_t off = 0;
        for (std::uint32_t i = 0; i < n; ++i) {
            if (off > 0xffffffffu) return {errc::unsupported, table.format().layout.names};
            aux[i] = off;
            auto h = table.names_.header(table.br_, off, table_type::names::sequential);
            if (!h) return h.error();
            off += h->size();
        }
        if (status s = read_seqs(table, aux); !s) return s;
        t_ = &table;
        addr_ = addr;
        aux_ = aux;
        hash_ = hash;
        if (status s = build_hash(table); !s) {
            t_ = nullptr;
            return s;
        }
        return {};
    }

    /// Number of symbols indexed (0 before a successful build()).
    [[nodiscard]] constexpr std::uint32_t size() const noexcept {
        return t_ ? static_cast<std::uint32_t>(addr_.size()) : 0;
    }

    /// Symbol `i`, as table.at(i) gives it.
    constexpr result<symbol> at(std::uint32_t i, std::span<char> buf) const {
        if (i >= size()) return status{errc::invalid_argument};
        symbol sym;
        sym.index = i;
        sym.address = addr_[i];
        sym.size = size_at(i);
        if (status s = expand(i, buf, sym); !s) return s;
        return sym;
    }

    /// The symbol named `name`, as table.find_by_name gives it: a hash probe
    /// and one name comparison for exact names; the table's algorithms over
    /// the indexed offsets under a suffix rule.
    constexpr result<symbol> find_by_name(std::string_view name, std::span<char> buf) const {
        if (name.empty() || size() == 0) return status{errc::not_found};
        if (buf.size() < 2) return status{errc::capacity};
        const std::size_t slots = 2 * hash_.size();
        if (slots != 0) {
            const std::uint64_t h = name_hash(name);
            const auto tag = static_cast<std::uint32_t>(h >> 56);
            for (std::size_t probes = 0, k = h & (slots - 1); probes < slots; ++probes, k = (k + 1) & (slots - 1)) {
                const std::uint32_t v = slot(k);
                if (v == 0) break;
                if ((v >> 24) != tag) continue;
                const std::uint32_t i = (v & 0xffffffu) - 1;
                record_bytes rec;  // filled by fetch before use
                auto body = fetch(i, rec);
                if (!body) return body.error();
                const int c = detail::compare(t_->tokens(), *body, name);
                if (c < -1) return status{errc::corrupt, t_->format().layout.names + (aux_[i] & 0xffffffffu)};
                if (c == 0) return symbol_from(i, *body, buf);
            }
            return status{errc::not_found};
        }
        return find_by_name_rule(name, buf);
    }

    /// The symbol containing `addr`, as table.find_by_address gives it: a
    /// search in memory, then the name (skipped when `buf` is empty).
    constexpr result<address_match> find_by_address(std::uint64_t addr, std::span<char> buf) const {
        if (size() == 0 || addr < addr_[0]) return status{errc::not_found};
        std::size_t j = detail::last_at_or_below(addr_, addr);
        while (j > 0 && addr_[j - 1] == addr_[j]) --j;
        address_match m;
        m.sym.index = static_cast<std::uint32_t>(j);
        m.sym.address = addr_[j];
        m.sym.size = size_at(m.sym.index);
        m.offset = addr - m.sym.address;
        if (!buf.empty()) {
            if (status s = expand(m.sym.index, buf, m.sym); !s) return s;
        }
        return m;
    }

private:
    using record_bytes = std::array<std::byte, detail::max_record + 2>;

    // The hash: open addressing, linear probing, at most half full. Each
    // 32-bit slot holds an 8-bit tag from the hash and index + 1 (24 bits;
    // 0 = empty); two slots share a word. Only for exact names: suffix rules
    // make several spellings equal.
    static constexpr std::size_t hash_slots(const table_type& t) noexcept {
        const std::uint32_t n = t.size();
        if (n == 0 || n >= (1u << 24) - 1 || t.format().suffix_rule != name_suffix_rule::exact) return 0;
        return std::bit_ceil(2 * std::size_t{n});
    }
    static constexpr std::uint64_t name_hash(std::string_view name) noexcept {
        std::uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a
        for (const char c : name) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
        return h ^ (h >> 29);
    }
    constexpr std::uint32_t slot(std::size_t k) const noexcept {
        return static_cast<std::uint32_t>(hash_[k / 2] >> (32 * (k & 1)));
    }

    // Inserts every name in table order; a name already present keeps its
    // first (lowest-address) symbol, which is the kernel's answer.
    constexpr status build_hash(table_type& table) {
        std::fill(hash_.begin(), hash_.end(), 0);
        const std::size_t slots = 2 * hash_.size();
        name_buffer buf;
        for (std::uint32_t i = 0; slots != 0 && i < addr_.size(); ++i) {
            symbol sym;
            detail::record r;
            const std::uint64_t off = aux_[i] & 0xffffffffu;
            auto body = table.names_.body(table.br_, off, table_type::names::sequential, r);
            if (!body) return body.error();
            auto len = detail::expand(table.tokens(), *body, buf, sym.type, table.format().layout.names + off);
            if (!len) return len.error();
            sym.name = std::string_view(buf.data(), *len);
            const std::uint64_t h = name_hash(sym.name);
            const auto tag = static_cast<std::uint32_t>(h >> 56);
            std::size_t k = h & (slots - 1);
            bool present = false;
            for (std::size_t probes = 0; probes < slots; ++probes, k = (k + 1) & (slots - 1)) {
                const std::uint32_t v = slot(k);
                if (v == 0) break;
                if ((v >> 24) != tag) continue;
                auto c = compare(v & 0xffffffu, sym.name);
                if (!c) return c.error();
                if ((present = *c == 0)) break;
            }
            if (present) continue;
            const unsigned shift = 32 * static_cast<unsigned>(k & 1);
            hash_[k / 2] |= std::uint64_t{(tag << 24) | (i + 1)} << shift;
        }
        return {};
    }

    // Reads record i into `rec` straight through the reader: header, then body.
    constexpr result<std::span<const std::byte>> fetch(std::uint32_t i, record_bytes& rec) const {
        const std::uint64_t names = t_->format().layout.names;
        const std::uint64_t off = aux_[i] & 0xffffffffu;
        if (off > UINT64_MAX - names - rec.size()) return status{errc::corrupt, names};
        R& reader = t_->br_.reader();
        detail::record r;
        // Most records fit in one small read (the table's random prefetch);
        // near unreadable memory, exactly the header and then the body.
        constexpr std::size_t guess = 64;
        std::size_t have = guess;
        if (!reader.read(names + off, std::span(rec).first(guess)).ok()) {
            have = 2;
            if (!reader.read(names + off, std::span(rec).first(2)).ok()) {
                have = 1;  // the stream may end one byte in
                if (status s = reader.read(names + off, std::span(rec).first(1)); !s) return s;
            }
        }
        if (detail::parse_record(rec.data(), have, r) != detail::parse_state::ok)
            return status{errc::corrupt, names + off};
        if (r.size() > have) {
            if (status s = reader.read(names + off + have, std::span(rec).subspan(have, r.size() - have)); !s)
                return s;
        }
        return std::span<const std::byte>(rec.data() + r.hdr, r.len);
    }

    // Symbol i from its record, already fetched.
    constexpr result<symbol> symbol_from(std::uint32_t i, std::span<const std::byte> body,
                                         std::span<char> buf) const {
        symbol sym;
        sym.index = i;
        sym.address = addr_[i];
        sym.size = size_at(i);
        auto n = detail::expand(t_->tokens(), body, buf, sym.type, t_->format().layout.names + (aux_[i] & 0xffffffffu));
        if (!n) return n.error();
        sym.name = std::string_view(buf.data(), *n);
        return sym;
    }

    // kallsyms_seqs_of_names into the high halves of `aux`, 256 entries a read.
    static constexpr status read_seqs(table_type& table, std::span<std::uint64_t> aux) {
        const kallsyms_format& f = table.format();
        if (f.seq_bytes == 0) return {};
        const auto n = static_cast<std::uint32_t>(aux.size());
        std::array<std::byte, 4 * 256> raw;  // filled by each read before use
        for (std::uint32_t first = 0; first < n; first += 256) {
            const std::uint32_t c = std::min<std::uint32_t>(256, n - first);
            const std::uint64_t at = *f.layout.seqs_of_names + std::uint64_t{first} * f.seq_bytes;
            if (status s = table.br_.read_bytes(at, std::span(raw).first(std::size_t{c} * f.seq_bytes)); !s) return s;
            for (std::uint32_t k = 0; k < c; ++k) {
                const std::uint64_t v = f.seq_bytes == 3 ? load_n(raw.data() + 3 * k, 3, std::endian::big)
                                                         : load_n(raw.data() + 4 * k, 4, f.byte_order);
                if (v >= n) return {errc::corrupt, at + std::uint64_t{k} * f.seq_bytes};
                aux[first + k] |= v << 32;
            }
        }
        return {};
    }

    constexpr status expand(std::uint32_t i, std::span<char> buf, symbol& sym) const {
        record_bytes rec;  // filled by fetch before use
        auto body = fetch(i, rec);
        if (!body) return body.error();
        auto n = detail::expand(t_->tokens(), *body, buf, sym.type,
                                t_->format().layout.names + (aux_[i] & 0xffffffffu));
        if (!n) return n.error();
        sym.name = std::string_view(buf.data(), *n);
        return {};
    }

    // strcmp-like comparison of slot value v's record (index v - 1) with `name`.
    constexpr result<int> compare(std::uint32_t v, std::string_view name) const {
        record_bytes rec;  // filled by fetch before use
        auto body = fetch(v - 1, rec);
        if (!body) return body.error();
        const int c = detail::compare(t_->tokens(), *body, name);
        if (c < -1) return status{errc::corrupt, t_->format().layout.names + (aux_[v - 1] & 0xffffffffu)};
        return c;
    }

    // Distance to the next higher address, by the table's rule.
    constexpr std::uint64_t size_at(std::uint32_t i) const noexcept {
        for (std::size_t j = i + 1; j < addr_.size(); ++j)
            if (addr_[j] > addr_[i]) return addr_[j] - addr_[i];
        return 0;
    }

    // Name lookup under a suffix rule (no hash): the table's two algorithms.
    constexpr result<symbol> find_by_name_rule(std::string_view name, std::span<char> buf) const {
        const name_suffix_rule rule = t_->format().suffix_rule;
        const auto n = static_cast<std::uint32_t>(addr_.size());
        symbol sym;
        if (t_->format().seq_bytes != 0) {
            std::uint32_t lo = 0, hi = n;
            while (lo < hi) {
                const std::uint32_t mid = lo + (hi - lo) / 2;
                if (status s = expand(static_cast<std::uint32_t>(aux_[mid] >> 32), buf, sym); !s) return s;
                if (detail::cleanup(sym.name, rule) < name) lo = mid + 1;
                else hi = mid;
            }
            if (lo >= n) return status{errc::not_found};
            auto found = at(static_cast<std::uint32_t>(aux_[lo] >> 32), buf);
            if (!found) return found.error();
            if (detail::cleanup(found->name, rule) != name) return status{errc::not_found};
            return found;
        }
        std::uint32_t stripped = n;
        for (std::uint32_t i = 0; i < n; ++i) {
            if (status s = expand(i, buf, sym); !s) return s;
            if (sym.name == name) return at(i, buf);
            if (stripped == n && detail::cleanup(sym.name, rule) == name) stripped = i;
        }
        if (stripped < n) return at(stripped, buf);
        return status{errc::not_found};
    }

    const table_type* t_ = nullptr;
    std::span<const std::uint64_t> addr_{};
    std::span<const std::uint64_t> aux_{};  // name offset (low 32) | name order (high 32)
    std::span<std::uint64_t> hash_{};
};

}  // namespace ksym
