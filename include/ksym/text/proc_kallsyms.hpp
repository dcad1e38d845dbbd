#pragma once
// /proc/kallsyms text, read in place: the kernel's own listing of its
// symbols and its modules' (kernel/kallsyms.c s_show), parsed zero-copy over
// the caller's buffer and indexed by address and by name in storage the
// caller lends.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "ksym/core/errc.hpp"
#include "ksym/core/result.hpp"
#include "ksym/symbols/symbol.hpp"
#include "ksym/text/nm_text.hpp"

namespace ksym {

/// One line of /proc/kallsyms: "ADDR T name" or "ADDR t name\t[module]",
/// the address in exactly 8 or 16 hex digits (the kernel prints %px).
/// Views point into the text.
struct kallsyms_line {
    std::uint64_t address = 0;
    char type = '?';
    std::string_view name;
    std::string_view module;  ///< empty for the kernel image
    std::uint8_t digits = 0;  ///< 8 or 16
};

/// Parses one line (no newline; a trailing CR is tolerated). Anything the
/// kernel does not print gives nullopt: names are 1..511 bytes without
/// blanks or control characters, the type one letter or symbol character.
[[nodiscard]] constexpr std::optional<kallsyms_line> parse_kallsyms_line(std::string_view line) noexcept {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    kallsyms_line l;
    // %px prints 16 digits on 64-bit kernels, 8 on 32-bit ones.
    const std::size_t sp = line.size() > 16 && line[16] == ' ' ? 16 : line.size() > 8 && line[8] == ' ' ? 8 : 0;
    if (sp == 0 || line.size() < sp + 4 || line[sp + 2] != ' ') return std::nullopt;
    std::uint64_t a = 0;
    for (std::size_t i = 0; i < sp; ++i) {
        const auto c = static_cast<unsigned char>(line[i]);
        const unsigned d = c >= '0' && c <= '9' ? c - '0' : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10 : 16u;
        if (d > 15) return std::nullopt;
        a = a << 4 | d;
    }
    l.address = a;
    l.digits = static_cast<std::uint8_t>(sp);
    l.type = line[sp + 1];
    if (l.type <= ' ' || l.type > '~') return std::nullopt;
    const std::string_view rest = line.substr(sp + 3);
    // The name runs to a tab (a module tag follows) or the end; the kernel
    // prints no blanks or control characters in it.
    std::size_t n = 0;
    for (; n < rest.size(); ++n) {
        const auto c = static_cast<unsigned char>(rest[n]);
        if (c <= ' ' || c == 0x7f) break;
    }
    l.name = rest.substr(0, n);
    if (n < rest.size()) {
        if (rest[n] != '\t') return std::nullopt;
        const std::string_view tag = rest.substr(n + 1);
        if (tag.size() < 3 || tag.front() != '[' || tag.back() != ']') return std::nullopt;
        l.module = tag.substr(1, tag.size() - 2);
        if (l.module.find_first_of(" \t[]") != std::string_view::npos) return std::nullopt;
    }
    if (l.name.empty() || l.name.size() >= name_buffer_size) return std::nullopt;
    return l;
}

/// A whole /proc/kallsyms text: checked once, then looked up through an
/// index in lent storage. The text must outlive this object. Nothing
/// allocates. Lookups are const and may run concurrently.
class proc_kallsyms {
public:
    /// Checks every line. A malformed one gives `corrupt` at its byte
    /// offset; mixed address widths likewise. An empty text gives `not_found`.
    constexpr status open(std::string_view text) {
        text_ = text;
        lines_ = 0;
        hidden_ = true;
        words_ = {};
        std::uint8_t digits = 0;
        std::size_t pos = 0;
        while (pos < text.size()) {
            std::size_t end = text.find('\n', pos);
            if (end == std::string_view::npos) end = text.size();
            if (end > pos) {
                auto l = parse_kallsyms_line(text.substr(pos, end - pos));
                if (!l || (digits != 0 && l->digits != digits)) return {errc::corrupt, pos};
                digits = l->digits;
                if (l->address != 0) hidden_ = false;
                if (pos > 0xffffffffu - 32) return {errc::unsupported, pos};  // offsets are 32-bit in the index
                ++lines_;
            }
            pos = end + 1;
        }
        digits_ = digits;
        if (lines_ == 0) return {errc::not_found};
        return {};
    }

    /// Lines (symbols) in the text.
    [[nodiscard]] constexpr std::size_t size() const noexcept { return lines_; }
    /// True when every address is 0: kptr_restrict hid them from this
    /// reader. Address lookups then find nothing and name lookups refuse.
    [[nodiscard]] constexpr bool addresses_hidden() const noexcept { return hidden_; }
    /// Hex digits of an address: 16 on 64-bit kernels, 8 on 32-bit ones.
    [[nodiscard]] constexpr unsigned address_digits() const noexcept { return digits_; }

    /// 64-bit words build() needs: three per symbol.
    [[nodiscard]] constexpr std::size_t index_words() const noexcept { return 3 * lines_; }

    /// Builds the address and name indexes in `storage` (index_words()).
    constexpr status build(std::span<std::uint64_t> storage) {
        if (storage.size() < index_words()) return {errc::capacity};
        by_addr_ = storage.first(2 * lines_);
        by_name_ = storage.subspan(2 * lines_, lines_);
        std::size_t k = 0;
        // Each line's module name hash rides with its offset, so "same
        // module" is one compare (and a check of the name on a match).
        bool sorted = true;
        for_each_line([&](std::size_t off, const kallsyms_line& l) {
            by_addr_[2 * k] = l.address;
            by_addr_[2 * k + 1] = (std::uint64_t{name_hash(l.module)} << 32) | off;
            if (k > 0 && l.address < by_addr_[2 * k - 2]) sorted = false;
            by_name_[k] = name_key(off + digits_ + 3, l.name);
            ++k;
        });
        // Address order (line order among equals): most listings are in
        // address order already; others are sorted in place.
        if (!sorted) sort_pairs(by_addr_);
        // By name hash, then listing order: integer keys, no string
        // comparisons while sorting (lookups compare the names in the run).
        std::sort(by_name_.begin(), by_name_.end());
        words_ = storage.first(index_words());
        return {};
    }

    /// The symbol named `name`: the kernel image's before any module's, then
    /// in listing order. "module:name" looks in that module only. `index`
    /// in the answer is the symbol's position in address order.
    [[nodiscard]] constexpr result<symbol> find_by_name(std::string_view name) const {
        if (words_.empty()) return status{errc::invalid_argument};
        if (hidden_) return status{errc::unsupported};
        std::string_view module;
        if (const std::size_t colon = name.find(':'); colon != std::string_view::npos && !has_name(name)) {
            module = name.substr(0, colon);
            name = name.substr(colon + 1);
        }
        const auto run = find_exact(name);
        for (int pass = module.empty() ? 0 : 1; pass < 2; ++pass) {
            for (const std::uint64_t key : run) {
                if (key_name(key) != name) continue;
                const kallsyms_line l = line_at(key_line(key));
                const bool match = pass == 0 ? l.module.empty() : module.empty() || l.module == module;
                if (match) return symbol_at(key_line(key), l);
            }
        }
        return status{errc::not_found};
    }

    /// Calls `visit(const symbol&)` for every symbol named `name`, kernel first.
    template <class Visit>
    constexpr status for_each_named(std::string_view name, Visit&& visit) const {
        if (words_.empty()) return {errc::invalid_argument};
        const auto run = find_exact(name);
        for (int pass = 0; pass < 2; ++pass) {
            for (const std::uint64_t key : run) {
                if (key_name(key) != name) continue;
                const kallsyms_line l = line_at(key_line(key));
                if (l.module.empty() != (pass == 0)) continue;
                auto s = symbol_at(key_line(key), l);
                if (!s) return s.error();
                visit(*s);
            }
        }
        return {};
    }

    /// The symbol containing `addr`: the last at or below it (the first
    /// listed among several at one address), its size the gap to the next
    /// higher address in the same module, as drgn computes it.
    [[nodiscard]] constexpr result<address_match> find_by_address(std::uint64_t addr) const {
        if (words_.empty()) return status{errc::invalid_argument};
        if (hidden_) return status{errc::not_found};
        const std::size_t n = lines_;
        std::size_t lo = 0, hi = n;  // first entry above addr
        while (lo < hi) {
            const std::size_t mid = lo + (hi - lo) / 2;
            if (by_addr_[2 * mid] <= addr) lo = mid + 1;
            else hi = mid;
        }
        if (lo == 0) return status{errc::not_found};
        std::size_t j = lo - 1;
        while (j > 0 && by_addr_[2 * (j - 1)] == by_addr_[2 * j]) --j;
        const kallsyms_line l = line_at(line_of(by_addr_[2 * j + 1]));
        symbol s = symbol_of(l);
        s.index = static_cast<std::uint32_t>(j);
        s.size = size_after(lo, l, by_addr_[2 * j + 1] >> 32);
        return address_match{s, addr - s.address};
    }

    /// Calls `visit(const kallsyms_line&)` for every line in listing order.
    template <class Visit>
    constexpr void for_each(Visit&& visit) const {
        for_each_line([&](std::size_t, const kallsyms_line& l) { visit(l); });
    }

private:
    template <class F>
    constexpr void for_each_line(F&& f) const {
        std::size_t pos = 0;
        while (pos < text_.size()) {
            std::size_t end = text_.find('\n', pos);
            if (end == std::string_view::npos) end = text_.size();
            if (end > pos) f(pos, *parse_kallsyms_line(text_.substr(pos, end - pos)));
            pos = end + 1;
        }
    }

    // The line at byte offset `off` (checked by open()).
    constexpr kallsyms_line line_at(std::uint64_t off) const {
        const auto o = static_cast<std::size_t>(off);
        std::size_t end = text_.find('\n', o);
        if (end == std::string_view::npos) end = text_.size();
        return *parse_kallsyms_line(text_.substr(o, end - o));
    }

    // A name-index entry: the name's hash (high 32 bits) and byte offset
    // (low 32), so the index sorts as plain integers and a run of equal
    // hashes keeps listing order.
    static constexpr std::uint32_t name_hash(std::string_view name) noexcept {
        std::uint32_t h = 2166136261u;  // FNV-1a
        for (const char c : name) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
        return h;
    }
    static constexpr std::uint64_t name_key(std::uint64_t name_off, std::string_view name) noexcept {
        return (std::uint64_t{name_hash(name)} << 32) | name_off;
    }
    // The name a key points at: up to the tab before a module tag or the
    // line's end (open() checked the line).
    constexpr std::string_view key_name(std::uint64_t key) const noexcept {
        const auto off = static_cast<std::size_t>(key & 0xffffffffu);
        std::size_t end = off;
        while (end < text_.size() && text_[end] != '\t' && text_[end] != '\n' && text_[end] != '\r') ++end;
        return text_.substr(off, end - off);
    }
    constexpr std::uint64_t key_line(std::uint64_t key) const noexcept { return (key & 0xffffffffu) - digits_ - 3; }

    // The name index's run of keys whose hash is that of `name`, in listing
    // order; callers compare the names.
    constexpr std::span<const std::uint64_t> find_exact(std::string_view name) const {
        const std::uint64_t h = std::uint64_t{name_hash(name)} << 32;
        const auto* first = std::lower_bound(by_name_.data(), by_name_.data() + lines_, h);
        const auto* last = first;
        while (last != by_name_.data() + lines_ && (*last & ~std::uint64_t{0xffffffffu}) == h) ++last;
        return {first, static_cast<std::size_t>(last - first)};
    }
    constexpr bool has_name(std::string_view name) const {
        for (const std::uint64_t key : find_exact(name))
            if (key_name(key) == name) return true;
        return false;
    }

    // A line's offset, from an address-index word (module name hash above).
    static constexpr std::uint64_t line_of(std::uint64_t word) noexcept { return word & 0xffffffffu; }

    static constexpr symbol symbol_of(const kallsyms_line& l) noexcept {
        symbol s;
        s.address = l.address;
        s.type = l.type;
        s.name = l.name;
        s.module = l.module;
        return s;
    }

    // The gap from `l` to the next higher address of the same module (whose
    // name hashes to `module_hash`), looking from address-index entry
    // `from` on; 0 when none is.
    constexpr std::uint64_t size_after(std::size_t from, const kallsyms_line& l, std::uint64_t module_hash) const {
        for (std::size_t j = from; j < lines_; ++j) {
            if (by_addr_[2 * j] <= l.address || (by_addr_[2 * j + 1] >> 32) != module_hash) continue;
            if (line_at(line_of(by_addr_[2 * j + 1])).module != l.module) continue;  // another module, same hash
            return by_addr_[2 * j] - l.address;
        }
        return 0;
    }

    // The symbol for a line, with its index and size from the address index.
    constexpr result<symbol> symbol_at(std::uint64_t off, const kallsyms_line& l) const {
        symbol s = symbol_of(l);
        // Its place in address order (line order among equal addresses).
        std::size_t lo = 0, hi = lines_;
        while (lo < hi) {
            const std::size_t mid = lo + (hi - lo) / 2;
            const bool before = by_addr_[2 * mid] < l.address ||
                                (by_addr_[2 * mid] == l.address && line_of(by_addr_[2 * mid + 1]) < off);
            if (before) lo = mid + 1;
            else hi = mid;
        }
        s.index = static_cast<std::uint32_t>(lo);
        if (lo < lines_) s.size = size_after(lo + 1, l, by_addr_[2 * lo + 1] >> 32);
        return s;
    }

    // Sorts (address, offset) pairs held as consecutive words, by address
    // then offset: an in-place heap sort, so nothing allocates.
    static constexpr void sort_pairs(std::span<std::uint64_t> w) {
        const std::size_t n = w.size() / 2;
        // Ties by line offset, the low half of the second word.
        auto less = [&](std::size_t a, std::size_t b) {
            return w[2 * a] != w[2 * b] ? w[2 * a] < w[2 * b] : line_of(w[2 * a + 1]) < line_of(w[2 * b + 1]);
        };
        auto swap = [&](std::size_t a, std::size_t b) {
            std::swap(w[2 * a], w[2 * b]);
            std::swap(w[2 * a + 1], w[2 * b + 1]);
        };
        auto sift = [&](std::size_t root, std::size_t end) {
            while (2 * root + 1 < end) {
                std::size_t child = 2 * root + 1;
                if (child + 1 < end && less(child, child + 1)) ++child;
                if (!less(root, child)) return;
                swap(root, child);
                root = child;
            }
        };
        for (std::size_t i = n / 2; i-- > 0;) sift(i, n);
        for (std::size_t end = n; end-- > 1;) {
            swap(0, end);
            sift(0, end);
        }
    }

    std::string_view text_;
    std::size_t lines_ = 0;
    bool hidden_ = true;
    unsigned digits_ = 0;
    std::span<std::uint64_t> by_addr_{};
    std::span<std::uint64_t> by_name_{};
    std::span<std::uint64_t> words_{};
};

}  // namespace ksym
