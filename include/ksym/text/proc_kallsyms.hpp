#pragma once
// /proc/kallsyms text, read in place: the kernel's own listing of its
// symbols and its modules' (kernel/kallsyms.c s_show), parsed zero-copy over
// the caller's buffer and indexed by address and by name in storage the
// caller lends.

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>
#include <utility>

#include "ksym/core/errc.hpp"
#include "ksym/core/result.hpp"
#include "ksym/symbols/symbol.hpp"
#include "ksym/text/detail/words.hpp"

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

namespace detail {

// What the parser learns of one line beyond kallsyms_line.
struct line_scan {
    std::size_t next = 0;            // offset just past the line's newline
    std::uint32_t name_hash = 0;     // detail::name_hash(name)
    std::uint32_t module_hash = 0;   // detail::name_hash(module), when there is one
};

// Parses the line at `pos` of `text`, whose address has `digits` (8 or 16)
// hex digits. The kernel's format exactly: a name of 1..511 bytes with no
// blank, control byte or DEL, an optional "\t[module]", then a newline, a
// CRLF or the end of the text. Returns false on anything else.
KSYM_DETAIL_INLINE constexpr bool scan_kallsyms_line(std::string_view text, std::size_t pos, unsigned digits, kallsyms_line& l,
                                  line_scan& s) noexcept {
    const std::size_t name_at = pos + digits + 3;
    if (name_at >= text.size()) return false;
    const char* p = text.data() + pos;
    if (p[digits] != ' ' || p[digits + 2] != ' ') return false;
    const char type = p[digits + 1];
    if (type <= ' ' || type > '~') return false;
    const auto hi = detail::hex8(detail::load_word(p));
    if (!hi) return false;
    std::uint64_t address = *hi;
    if (digits == 16) {
        const auto lo = detail::hex8(detail::load_word(p + 8));
        if (!lo) return false;
        address = address << 32 | *lo;
    }
    const std::size_t name_end = detail::scan_hash<detail::name_stops>(text, name_at, s.name_hash);
    if (name_end == name_at || name_end - name_at >= name_buffer_size) return false;
    std::size_t end = name_end;  // where the line's content ends
    l.module = {};
    s.module_hash = 0;
    if (end < text.size() && text[end] == '\t') {
        const std::size_t mod_at = end + 2;
        if (mod_at >= text.size() || text[end + 1] != '[') return false;
        end = detail::scan_hash<detail::module_stops>(text, mod_at, s.module_hash);
        if (end == mod_at || end - mod_at >= name_buffer_size || end == text.size() || text[end] != ']') return false;
        l.module = text.substr(mod_at, end - mod_at);
        ++end;
    }
    if (end == text.size()) s.next = end;
    else if (text[end] == '\n') s.next = end + 1;
    else if (text[end] == '\r' && (end + 1 == text.size() || text[end + 1] == '\n')) s.next = end + 2;
    else return false;
    if (s.next > text.size()) s.next = text.size();
    l.address = address;
    l.type = type;
    l.name = text.substr(name_at, name_end - name_at);
    l.digits = static_cast<std::uint8_t>(digits);
    return true;
}

// The address width of the line at `pos`: 16 digits on 64-bit kernels, 8
// on 32-bit ones; 0 if neither. Only the first line's is read this way.
constexpr unsigned kallsyms_digits(std::string_view text, std::size_t pos) noexcept {
    std::string_view line = text.substr(pos, text.find('\n', pos) - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > 16 && line[16] == ' ') return 16;
    if (line.size() > 8 && line[8] == ' ') return 8;
    return 0;
}

// Newlines in `text`, plus one for a last line without its own.
constexpr std::size_t count_lines(std::string_view text) noexcept {
    std::size_t n = 0, i = 0;
    while (i + 8 <= text.size()) {
        // A byte lane a word: each counts its newlines for up to 255 words.
        std::uint64_t lanes = 0;
        for (std::size_t k = 0; k < 255 && i + 8 <= text.size(); ++k, i += 8) {
            const std::uint64_t w = detail::load_word(text.data() + i) ^ (detail::ones * '\n');
            // High bit set where w's byte is zero (exact: no borrows).
            const std::uint64_t zero = ~((((w & ~detail::highs) + ~detail::highs) | w)) & detail::highs;
            lanes += zero >> 7;
        }
        const std::uint64_t pairs = (lanes & 0x00ff00ff00ff00ffull) + (lanes >> 8 & 0x00ff00ff00ff00ffull);
        n += static_cast<std::size_t>((pairs * 0x0001000100010001ull) >> 48);
    }
    for (; i < text.size(); ++i) n += text[i] == '\n';
    return n + (!text.empty() && text.back() != '\n');
}

}  // namespace detail

/// Parses one line (no newline; a trailing CR is tolerated). Anything the
/// kernel does not print gives nullopt: names are 1..511 bytes without
/// blanks or control characters, the type one letter or symbol character.
[[nodiscard]] constexpr std::optional<kallsyms_line> parse_kallsyms_line(std::string_view line) noexcept {
    const unsigned digits = detail::kallsyms_digits(line, 0);
    kallsyms_line l;
    detail::line_scan s;
    if (digits == 0 || line.find('\n') != std::string_view::npos ||
        !detail::scan_kallsyms_line(line, 0, digits, l, s))
        return std::nullopt;
    return l;
}

/// A whole /proc/kallsyms text: checked once, then looked up through an
/// index in lent storage. The text must outlive this object. Nothing
/// allocates. Lookups are const and may run concurrently.
class proc_kallsyms {
public:
    /// Checks every line. A malformed one gives `corrupt` at its byte
    /// offset; mixed address widths likewise. An empty text gives `not_found`.
    constexpr status open(std::string_view text) { return parse(text, {}, 0, false); }

    /// 64-bit words open(text, storage) needs for `text`: about 4.25 a line.
    [[nodiscard]] static constexpr std::size_t storage_words(std::string_view text) noexcept {
        return words_for(detail::count_lines(text));
    }

    /// open(text) and build() in one pass over the text. `storage` holds
    /// storage_words(text) words, or more; fewer give `capacity` (at the
    /// first line that does not fit). The text is not counted again here.
    constexpr status open(std::string_view text, std::span<std::uint64_t> storage) {
        return parse(text, storage, lines_for(storage.size()), true);
    }

    /// Lines (symbols) in the text.
    [[nodiscard]] constexpr std::size_t size() const noexcept { return lines_; }
    /// True when every address is 0: kptr_restrict hid them from this
    /// reader. Address lookups then find nothing and name lookups refuse.
    [[nodiscard]] constexpr bool addresses_hidden() const noexcept { return hidden_; }
    /// Hex digits of an address: 16 on 64-bit kernels, 8 on 32-bit ones.
    [[nodiscard]] constexpr unsigned address_digits() const noexcept { return digits_; }

    /// 64-bit words build() needs after open(text): about 4.25 a symbol.
    [[nodiscard]] constexpr std::size_t index_words() const noexcept { return words_for(lines_); }

    /// Builds the address and name indexes in `storage` (index_words()),
    /// parsing the text opened by open(text) again.
    constexpr status build(std::span<std::uint64_t> storage) {
        if (storage.size() < index_words()) return {errc::capacity};
        return parse(text_, storage, lines_, true);
    }

    /// The symbol named `name`: the kernel image's before any module's, then
    /// in listing order. "module:name" looks in that module only. `index`
    /// in the answer is the symbol's position in address order.
    [[nodiscard]] constexpr result<symbol> find_by_name(std::string_view name) const {
        if (!indexed_) return status{errc::invalid_argument};
        if (hidden_) return status{errc::unsupported};
        std::string_view module;
        if (const std::size_t colon = name.find(':'); colon != std::string_view::npos && !has_name(name)) {
            module = name.substr(0, colon);
            name = name.substr(colon + 1);
        }
        const std::uint64_t h = detail::name_hash(name);
        const auto bucket = bucket_of(h);
        for (int pass = module.empty() ? 0 : 1; pass < 2; ++pass) {
            for (const std::uint64_t key : bucket) {
                if ((key >> 32) != h || key_name(key) != name) continue;
                const std::size_t line = key_line(key);
                const auto l = line_at(line);
                const bool match = pass == 0 ? l.module.empty() : module.empty() || l.module == module;
                if (match) return symbol_at(line, l);
            }
        }
        return status{errc::not_found};
    }

    /// Calls `visit(const symbol&)` for every symbol named `name`, kernel first.
    template <class Visit>
    constexpr status for_each_named(std::string_view name, Visit&& visit) const {
        if (!indexed_) return {errc::invalid_argument};
        const std::uint64_t h = detail::name_hash(name);
        const auto bucket = bucket_of(h);
        for (int pass = 0; pass < 2; ++pass) {
            for (const std::uint64_t key : bucket) {
                if ((key >> 32) != h || key_name(key) != name) continue;
                const std::size_t line = key_line(key);
                const auto l = line_at(line);
                if (l.module.empty() != (pass == 0)) continue;
                visit(symbol_at(line, l));
            }
        }
        return {};
    }

    /// The symbol containing `addr`: the last at or below it (the first
    /// listed among several at one address), its size the gap to the next
    /// higher address in the same module, as drgn computes it.
    [[nodiscard]] constexpr result<address_match> find_by_address(std::uint64_t addr) const {
        if (!indexed_) return status{errc::invalid_argument};
        if (hidden_) return status{errc::not_found};
        // Two branch-free searches: the sample of every 16th address (small
        // enough to stay cached between lookups), then its block of 16 (two
        // cache lines, fetched together). No mispredicted branch waits on a load.
        const std::size_t blocks = (lines_ + sample_every - 1) / sample_every;
        const std::size_t b = upper_bound(sample_, blocks, addr);
        if (b == 0) return status{errc::not_found};
        const std::size_t first = (b - 1) * sample_every;
        const std::size_t above = first + upper_bound(addr_ + first, std::min(sample_every, lines_ - first), addr);
        if (above == 0) return status{errc::not_found};
        std::size_t j = above - 1;
        while (j > 0 && addr_[j - 1] == addr_[j]) --j;
        // The line word holds what a kernel symbol's answer needs; only a
        // module's name is read from the text.
        const std::uint64_t w = info_[j];
        symbol s;
        s.index = static_cast<std::uint32_t>(j);
        s.address = addr_[j];
        s.type = static_cast<char>(w >> 41 & 0x7f);
        const std::size_t name_at = offset_of(w) + digits_ + 3;
        s.name = text_.substr(name_at, w >> 32 & 0x1ff);
        if (w >> 48) {
            const std::size_t mod_at = name_at + s.name.size() + 2;  // past "\t["
            s.module = text_.substr(mod_at, detail::find_stop<detail::module_stops>(text_, mod_at) - mod_at);
        }
        s.size = size_after(above, s.address, w >> 48, s.module);
        return address_match{s, addr - s.address};
    }

    /// Calls `visit(const kallsyms_line&)` for every line in listing order.
    template <class Visit>
    constexpr void for_each(Visit&& visit) const {
        std::size_t pos = 0;
        kallsyms_line l;
        detail::line_scan s;
        while (pos < text_.size()) {
            if (text_[pos] == '\n') {
                ++pos;
                continue;
            }
            detail::scan_kallsyms_line(text_, pos, digits_, l, s);  // open() checked it
            visit(static_cast<const kallsyms_line&>(l));
            pos = s.next;
        }
    }

private:
    static constexpr std::size_t sample_every = 16;

    // The name index's buckets: a power of two between an eighth and a
    // quarter of the lines, so a bucket holds 4-8 keys (one cache line).
    static constexpr unsigned bucket_bits(std::size_t cap) noexcept {
        const auto w = static_cast<unsigned>(std::bit_width(cap));
        return w > 3 ? w - 2 : 1;
    }
    // The most lines `words` of storage index (words_for is monotonic).
    static constexpr std::size_t lines_for(std::size_t words) noexcept {
        std::size_t lo = 0, hi = words / 4;
        while (lo < hi) {
            const std::size_t mid = lo + (hi - lo + 1) / 2;
            if (words_for(mid) <= words) lo = mid;
            else hi = mid - 1;
        }
        return lo;
    }
    // Addresses, line words and name keys, one each a line; a scratch line
    // for the sorts (then the address sample); the name buckets' ends.
    static constexpr std::size_t words_for(std::size_t cap) noexcept {
        return cap == 0 ? 0 : 4 * cap + (std::size_t{1} << bucket_bits(cap));
    }

    // One pass over the text: every line checked; with storage, the index
    // built as well (storage holds 4 * cap words, cap >= the lines).
    constexpr status parse(std::string_view text, std::span<std::uint64_t> storage, std::size_t cap, bool index) {
        text_ = text;
        lines_ = 0;
        hidden_ = true;
        indexed_ = false;
        digits_ = 0;
        std::uint64_t* addr = index ? storage.data() : nullptr;
        std::uint64_t* info = index ? storage.data() + cap : nullptr;
        std::uint64_t* keys = index ? storage.data() + 2 * cap : nullptr;
        std::uint64_t* scratch = index ? storage.data() + 3 * cap : nullptr;
        // Keys a name bucket holds, counted as the lines are read.
        const unsigned bits = bucket_bits(cap);
        const std::size_t buckets = std::size_t{1} << bits;
        std::uint64_t* ends = index ? storage.data() + 4 * cap : nullptr;
        if (index && cap != 0) std::fill(ends, ends + buckets, std::uint64_t{0});
        std::size_t first_descent = 0;  // 0: in address order so far
        std::size_t n = 0;
        std::size_t pos = 0;
        unsigned digits = 0;
        kallsyms_line l;
        detail::line_scan s;
        while (pos < text.size()) {
            if (text[pos] == '\n') {
                ++pos;
                continue;
            }
            if (digits == 0 && (digits = detail::kallsyms_digits(text, pos)) == 0) return {errc::corrupt, pos};
            if (!detail::scan_kallsyms_line(text, pos, digits, l, s)) return {errc::corrupt, pos};
            if (pos > 0xffffffffu - 32) return {errc::unsupported, pos};  // offsets are 32-bit in the index
            if (l.address != 0) hidden_ = false;
            if (index) {
                if (n == cap) return {errc::capacity, pos};
                addr[n] = l.address;
                info[n] = line_word(pos, l, s.module_hash);
                keys[n] = std::uint64_t{s.name_hash} << 32 | (pos + digits + 3);
                ++ends[s.name_hash >> (32 - bits)];
                if (first_descent == 0 && n > 0 && l.address < addr[n - 1]) first_descent = n;
            }
            ++n;
            pos = s.next;
        }
        lines_ = n;
        digits_ = digits;
        if (n == 0) return {errc::not_found};
        if (!index) return {};
        addr_ = addr;
        info_ = info;
        if (first_descent != 0) sort_addresses(addr, info, n, first_descent, scratch);
        // Name keys grouped by their hash's top bits, stably (listing order
        // within a bucket): one counting-sort pass, whatever the names.
        std::uint64_t at = 0;
        for (std::size_t b = 0; b < buckets; ++b) {
            const std::uint64_t k = ends[b];
            ends[b] = at;
            at += k;
        }
        for (std::size_t i = 0; i < n; ++i) scratch[ends[keys[i] >> (64 - bits)]++] = keys[i];
        by_name_ = scratch;
        ends_ = ends;
        bits_ = bits;
        // The address sample goes where the keys were.
        for (std::size_t i = 0; i < n; i += sample_every) keys[i / sample_every] = addr[i];
        sample_ = keys;
        indexed_ = true;
        return {};
    }

    // (address, line offset) order over the parallel arrays. The listing is
    // sorted up to `first_descent` (the kernel image's part); the rest (the
    // modules') is sorted on its own, then the two merged through `scratch`.
    static constexpr bool pair_less(const std::uint64_t* addr, const std::uint64_t* info, std::size_t a,
                                    std::size_t b) noexcept {
        return addr[a] != addr[b] ? addr[a] < addr[b] : offset_of(info[a]) < offset_of(info[b]);
    }
    static constexpr void sort_addresses(std::uint64_t* addr, std::uint64_t* info, std::size_t n, std::size_t p,
                                         std::uint64_t* scratch) {
        heap_sort(addr + p, info + p, n - p);
        if (addr[p - 1] <= addr[p]) return;  // the tail starts above the head (ties: the head's lines came first)
        // Merge, holding the shorter run in scratch (two words an entry: it
        // holds n / 2 entries at least).
        const std::size_t t = n - p;
        if (t <= p) {
            for (std::size_t i = 0; i < t; ++i) scratch[2 * i] = addr[p + i], scratch[2 * i + 1] = info[p + i];
            std::size_t i = p, j = t, out = n;
            while (j > 0) {
                // From the back: the head's entry goes last only if strictly
                // above the tail's (equal addresses: the tail's lines are later).
                if (i > 0 && addr[i - 1] > scratch[2 * (j - 1)]) {
                    --out, --i;
                    addr[out] = addr[i], info[out] = info[i];
                } else {
                    --out, --j;
                    addr[out] = scratch[2 * j], info[out] = scratch[2 * j + 1];
                }
            }
        } else {
            for (std::size_t i = 0; i < p; ++i) scratch[2 * i] = addr[i], scratch[2 * i + 1] = info[i];
            std::size_t i = 0, j = p, out = 0;
            while (i < p) {
                if (j == n || scratch[2 * i] <= addr[j]) {
                    addr[out] = scratch[2 * i], info[out] = scratch[2 * i + 1];
                    ++i;
                } else {
                    addr[out] = addr[j], info[out] = info[j];
                    ++j;
                }
                ++out;
            }
        }
    }
    // In place, so nothing allocates; O(n log n) whatever the order.
    static constexpr void heap_sort(std::uint64_t* addr, std::uint64_t* info, std::size_t n) {
        auto swap = [&](std::size_t a, std::size_t b) {
            std::swap(addr[a], addr[b]);
            std::swap(info[a], info[b]);
        };
        auto sift = [&](std::size_t root, std::size_t end) {
            while (2 * root + 1 < end) {
                std::size_t child = 2 * root + 1;
                if (child + 1 < end && pair_less(addr, info, child, child + 1)) ++child;
                if (!pair_less(addr, info, root, child)) return;
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

    // Entries of a[0..n) (n >= 1, ascending) at or below `x`.
    static constexpr std::size_t upper_bound(const std::uint64_t* a, std::size_t n, std::uint64_t x) noexcept {
        const std::uint64_t* base = a;
        while (n > 1) {
            const std::size_t half = n / 2;
            if (!std::is_constant_evaluated()) {
                // Both places the next probe can land.
                __builtin_prefetch(base + half / 2);
                __builtin_prefetch(base + half + half / 2);
            }
            base = base[half] <= x ? base + half : base;
            n -= half;
        }
        return static_cast<std::size_t>(base - a) + (*base <= x);
    }

    // A line's word beside its address: its offset (bits 0-31), name length
    // (32-40), type (41-47) and 16 bits of its module name's hash (48-63; 0
    // for the kernel image, never 0 for a module).
    static constexpr std::uint64_t line_word(std::size_t pos, const kallsyms_line& l, std::uint32_t module_hash) noexcept {
        const std::uint64_t module = l.module.empty() ? 0 : (module_hash >> 16 | 1);
        return module << 48 | std::uint64_t{static_cast<unsigned char>(l.type) & 0x7fu} << 41 |
               std::uint64_t{l.name.size()} << 32 | pos;
    }
    // A line's offset, from its word.
    static constexpr std::size_t offset_of(std::uint64_t word) noexcept { return word & 0xffffffffu; }

    // The line at byte offset `off` (open() checked it).
    constexpr kallsyms_line line_at(std::size_t off) const noexcept {
        kallsyms_line l;
        detail::line_scan s;
        detail::scan_kallsyms_line(text_, off, digits_, l, s);
        return l;
    }

    // The name a key points at, up to its first stop byte.
    constexpr std::string_view key_name(std::uint64_t key) const noexcept {
        const std::size_t off = offset_of(key);
        return text_.substr(off, detail::find_stop<detail::name_stops>(text_, off) - off);
    }
    constexpr std::size_t key_line(std::uint64_t key) const noexcept { return offset_of(key) - digits_ - 3; }

    // The name index's bucket for hash `h`, in listing order; callers
    // compare the hashes, then the names.
    constexpr std::span<const std::uint64_t> bucket_of(std::uint64_t h) const noexcept {
        const std::size_t b = static_cast<std::size_t>(h >> (32 - bits_));
        const std::size_t first = b == 0 ? 0 : static_cast<std::size_t>(ends_[b - 1]);
        return {by_name_ + first, static_cast<std::size_t>(ends_[b]) - first};
    }
    constexpr bool has_name(std::string_view name) const noexcept {
        const std::uint64_t h = detail::name_hash(name);
        for (const std::uint64_t key : bucket_of(h))
            if ((key >> 32) == h && key_name(key) == name) return true;
        return false;
    }

    static constexpr symbol symbol_of(const kallsyms_line& l) noexcept {
        symbol s;
        s.address = l.address;
        s.type = l.type;
        s.name = l.name;
        s.module = l.module;
        return s;
    }

    // The gap from `address` to the next higher address of `module` (whose
    // line words carry `module_hash`, 0 for the kernel image), looking from
    // address-index entry `from` on; 0 when none is.
    constexpr std::uint64_t size_after(std::size_t from, std::uint64_t address, std::uint64_t module_hash,
                                       std::string_view module) const noexcept {
        for (std::size_t j = from; j < lines_; ++j) {
            if (addr_[j] <= address || (info_[j] >> 48) != module_hash) continue;
            if (module_hash != 0 && line_at(offset_of(info_[j])).module != module) continue;  // same hash only
            return addr_[j] - address;
        }
        return 0;
    }

    // The symbol for the line at `off`, with its index and size.
    constexpr symbol symbol_at(std::size_t off, const kallsyms_line& l) const noexcept {
        symbol s = symbol_of(l);
        // Its place in address order: the first of its address, then line order.
        std::size_t lo = 0, hi = lines_;
        while (lo < hi) {
            const std::size_t mid = lo + (hi - lo) / 2;
            if (addr_[mid] < l.address) lo = mid + 1;
            else hi = mid;
        }
        while (lo < lines_ && offset_of(info_[lo]) != off) ++lo;
        s.index = static_cast<std::uint32_t>(lo);
        if (lo < lines_) s.size = size_after(lo + 1, l.address, info_[lo] >> 48, l.module);
        return s;
    }

    std::string_view text_;
    std::size_t lines_ = 0;
    bool hidden_ = true;
    bool indexed_ = false;
    unsigned digits_ = 0;
    const std::uint64_t* addr_ = nullptr;     // addresses, ascending
    const std::uint64_t* info_ = nullptr;     // line_word()s, beside addr_
    const std::uint64_t* by_name_ = nullptr;  // name hash << 32 | name offset, by bucket
    const std::uint64_t* ends_ = nullptr;     // each name bucket's end in by_name_
    unsigned bits_ = 1;                       // name buckets: the hash's top bits_ bits
    const std::uint64_t* sample_ = nullptr;   // every sample_every-th of addr_
};

}  // namespace ksym
