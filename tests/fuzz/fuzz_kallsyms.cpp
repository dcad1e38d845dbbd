// libFuzzer target: the kallsyms decoder over arbitrary memory, layout and
// format, with a differential check of every lookup against the in-order walk.
//
// Input: an 88-byte header (below), then the memory itself, served by a
// buffer_reader at a fixed base. Each input is decoded twice: with the
// format resolve_format finds from the layout (stage 2, with hints and
// optional anchors from the header), and with a format written by hand from
// the header bits (what firmware configured at build time would do). Every
// operation must return a value or a typed error (the sanitizers catch the
// rest), and every lookup that succeeds must agree with for_each:
//
//   for_each yields symbols 0, 1, ... until it ends, fails or reaches the cap;
//   for each probed index i it yielded, at(i), find_by_name(name_i) and
//   find_by_address(addr_i), on the table and through a kallsyms_index built
//   on it, must give exactly the symbol for_each gave at the index they
//   return (find_by_name may return another symbol of the same name, and
//   find_by_address the first alias at that address). Indices for_each did
//   not reach are unconstrained. A mismatch traps.
//
// The bulk decode answers for the same symbols: decode_range over the
// symbols for_each yielded, into spans of exactly names_bytes() (heap
// blocks of that size, so that AddressSanitizer sees a write one past),
// must succeed and give each one's name, type and address; decode_all must
// succeed when the walk covered the table and fail when the walk failed;
// one byte less of names gives `capacity`.
//
// Two paths answer from the same bytes: buffer_reader lends its memory, so
// the decoder reads it in place; a reader that cannot lend makes it copy
// through its windows. Every table is also opened through such a reader, and
// its open, walk, lookups and bulk decode must give exactly what the lending
// path gives.
//
// Beyond the walk, one rule needs no decoder: a record whose length byte is
// invalid (0, or longer than any name) cannot be skipped. The target walks
// the names stream itself from its start to the first such record; symbols
// after it in the same 256-symbol block, whose stored marker agrees with that
// walk, can only be reached across it, so at() and every lookup must fail
// for them (the decoder used to skip a zero length as a one-byte record and
// decode the bytes after it as other symbols).
//
// Header (little-endian):
//    0 u32 flags (see below)
//    4 u32 x 8 array positions: num_syms, names, markers, token_table,
//          token_index, addresses|offsets, relative_base, seqs_of_names
//          (each base + value % (memory size + 64))
//   36 u32 count                  hand-made format
//   40 u64 probe                  an index / address to look up
//   48 u64 relative base          hand-made format; resolve hint when flag 13
//   56 u32 x 2 anchor names       offsets of NUL-terminated names in memory
//   64 u64 x 2 anchor addresses   (resolve hints.known, when flag 21)
//   80 u32 reserved
//   84 u32 reserved
// Flags:
//    0 kallsyms_addresses (else kallsyms_offsets)    1 relative_base in layout
//    2 seqs_of_names in layout                       3 NO markers in layout (VMCOREINFO)
//  4-5 hand-made marker_bytes: 0, 4, 8, 12 (invalid)
//  6-7 hand-made seq_bytes: 0, 3, 4, 5 (invalid)
//    8 resolve hint: force the encoding           9-10 encoding (hint and hand-made)
// 11-12 suffix rule (% 3)                            13 resolve hint: relative base given
// 14-15 resolve hint marker_bytes: 0, 4, 8, 0    16-17 arch: x86_64, i386, s390x, arm64
//   18 resolve hint: force seq_bytes, 19: 3 or 4    20 hand-made word size/byte order wrong
//   21 resolve with anchors (and a workspace table)
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "ksym/arch/targets.hpp"
#include "ksym/core/endian.hpp"
#include "ksym/kallsyms/index.hpp"
#include "ksym/kallsyms/resolve.hpp"
#include "ksym/kallsyms/table.hpp"
#include "ksym/memory/buffer_reader.hpp"

namespace {

constexpr std::uint64_t base = 0xffffffff81000000ull;
constexpr std::size_t header_bytes = 88;
constexpr std::uint32_t walk_cap = 4096;

[[noreturn]] void mismatch() { __builtin_trap(); }

// What for_each yielded for one index.
struct walked {
    std::uint64_t address = 0;
    std::uint64_t size = 0;
    char type = 0;
    std::string name;
};

bool same(const ksym::symbol& s, std::uint32_t i, const walked& w) {
    return s.index == i && s.address == w.address && s.size == w.size && s.type == w.type && s.name == w.name &&
           s.module.empty();
}

// A name must lie at the start of the buffer it was written to, NUL-terminated.
void check_name(const ksym::symbol& s, std::span<const char> buf) {
    if (s.name.empty()) return;
    if (s.name.data() != buf.data() || s.name.size() >= buf.size() || buf[s.name.size()] != '\0') mismatch();
}

struct input {
    std::span<const std::byte> mem;
    std::uint32_t flags = 0;
    ksym::kallsyms_layout layout;
    ksym::kallsyms_format hand;  // everything but word_bytes/byte_order, which depend on Arch
    ksym::resolve_hints hints;
    std::array<ksym::known_symbol, 2> known{};
    std::uint64_t probe = 0;
};

template <class Arch>
class checker {
public:
    using table_t = ksym::kallsyms_table<ksym::buffer_reader, Arch>;
    using index_t = ksym::kallsyms_index<ksym::buffer_reader, Arch>;

    checker(table_t& t, const input& in) : t_(t), in_(in) {}

    void run() {
        walk();
        const std::uint32_t n = t_.size();
        const auto m = static_cast<std::uint32_t>(w_.size());
        find_bad_record(n);
        if (m > bad_) mismatch();  // the walk decoded past a record it cannot parse
        // Deriving markers walks every record: it cannot have opened past one.
        if (t_.format().marker_bytes == 0 && bad_ < n) mismatch();
        probe_table(n, m);
        check_bulk(n, m);

        // Again through an index, on tables small enough for a fixed buffer:
        // it is built from the same hostile bytes and must fail or answer as
        // for_each did.
        static std::array<std::uint64_t, 1u << 16> storage;
        static index_t idx;
        if (index_t::words_for(t_) <= storage.size() && idx.build(t_, storage).ok()) {
            if (idx.size() != n || bad_ < n) mismatch();  // the build parses every record
            probe_index(idx, n, m);
        }
    }

private:
    // Reference: every symbol for_each yields, in order, until it stops.
    void walk() {
        ksym::name_buffer buf;
        walk_ok_ = t_.for_each(std::span(buf), [&](const ksym::symbol& s) {
            if (s.index != w_.size()) mismatch();
            check_name(s, buf);
            w_.push_back({s.address, s.size, s.type, std::string(s.name)});
            return w_.size() < walk_cap;
        }).ok();
        complete_ = walk_ok_ && w_.size() == t_.size();
    }

    // decode_range(first, last) into exactly sized heap blocks, against the
    // walk; its status (ok when it matched).
    ksym::errc bulk_range(std::uint32_t first, std::uint32_t last) {
        auto need = t_.names_bytes(first, last);
        if (!need) return need.error().code();
        if (*need > (std::size_t{1} << 24)) return ksym::errc::capacity;  // beyond any table the walk covers
        const std::size_t count = last - first;
        std::vector<char> names(*need), types(count);
        std::vector<std::uint64_t> addrs(count);
        auto got = t_.decode_range(first, last, names, addrs, types);
        if (!got) return got.error().code();
        if (*got != *need) mismatch();
        std::size_t p = 0;
        for (std::uint32_t i = first; i < last && i < w_.size(); ++i) {
            const walked& w = w_[i];
            if (p + w.name.size() >= names.size() || std::string_view(names.data() + p, w.name.size()) != w.name ||
                names[p + w.name.size()] != '\0' || addrs[i - first] != w.address || types[i - first] != w.type)
                mismatch();
            p += w.name.size() + 1;
        }
        if (last <= w_.size() && p != *got) mismatch();
        if (*need > 0) {
            std::vector<char> short_names(*need - 1);
            if (t_.decode_range(first, last, short_names, addrs).error().code() != ksym::errc::capacity) mismatch();
        }
        return ksym::errc::ok;
    }

    void check_bulk(std::uint32_t n, std::uint32_t m) {
        // Every symbol the walk yielded decodes in bulk, in one range and
        // in two.
        if (m > 0) {
            if (bulk_range(0, m) != ksym::errc::ok) mismatch();
            const auto cut = static_cast<std::uint32_t>(in_.probe % (m + 1));
            if (bulk_range(0, cut) != ksym::errc::ok || bulk_range(cut, m) != ksym::errc::ok) mismatch();
        }
        // The whole table: where the walk failed, so does the bulk decode.
        if (complete_ || !walk_ok_) {
            const ksym::errc e = bulk_range(0, n);
            if (complete_ != (e == ksym::errc::ok)) mismatch();
        }
    }

    // The names stream walked without the decoder: the first record whose
    // length header is invalid (bad_), and the offset of every 256th record
    // before it.
    void find_bad_record(std::uint32_t n) {
        const ksym::kallsyms_format& f = t_.format();
        const std::uint64_t names = f.layout.names;
        if (names < base || names - base >= in_.mem.size()) return;
        const std::byte* p = in_.mem.data() + (names - base);
        const std::size_t avail = in_.mem.size() - static_cast<std::size_t>(names - base);
        std::size_t off = 0;
        for (std::uint32_t i = 0; i < n && i < 8 * walk_cap; ++i) {
            if (i % 256 == 0) block_start_.push_back(off);
            if (off >= avail) return;
            std::size_t hdr = 1, len = static_cast<std::uint8_t>(p[off]);
            if (len & 0x80) {
                if (off + 1 >= avail) return;
                hdr = 2;
                len = (len & 0x7f) | (std::size_t{static_cast<std::uint8_t>(p[off + 1])} << 7);
            }
            if (len == 0 || len > 2 * ksym::name_buffer_size) {
                bad_ = i;
                return;
            }
            off += hdr + len;
        }
    }

    // Whether symbol i can only be reached across the bad record.
    // Stored markers only: derived ones come from a walk that fails there.
    bool behind_bad_record(std::uint32_t i) const {
        const ksym::kallsyms_format& f = t_.format();
        if (f.marker_bytes == 0 || i <= bad_ || i / 256 != bad_ / 256) return false;
        const std::uint64_t at = *f.layout.markers + std::uint64_t{i / 256} * f.marker_bytes;
        if (at < base || at - base > in_.mem.size() || in_.mem.size() - (at - base) < f.marker_bytes) return false;
        const std::uint64_t marker = ksym::load_n(in_.mem.data() + (at - base), f.marker_bytes, Arch::byte_order);
        return marker == block_start_[i / 256];
    }

    // The indices to probe: the input's, the ends, and every one walked if few.
    std::vector<std::uint32_t> probes(std::uint32_t n, std::uint32_t m) const {
        std::vector<std::uint32_t> p{static_cast<std::uint32_t>(in_.probe % n), 0, n - 1,
                                     static_cast<std::uint32_t>((in_.probe >> 32) % n)};
        if (bad_ < n) {
            for (std::uint32_t d : {1u, 2u, 3u}) p.push_back(std::min(n - 1, bad_ + d));
            p.push_back(std::min(n - 1, bad_ / 256 * 256 + 255));
        }
        if (m <= 64) {
            for (std::uint32_t i = 0; i < m; ++i) p.push_back(i);
        } else {
            for (std::uint32_t k = 0; k < 16; ++k) p.push_back(static_cast<std::uint32_t>((in_.probe >> (k * 4)) % m));
            p.push_back(m - 1);
        }
        std::sort(p.begin(), p.end());
        p.erase(std::unique(p.begin(), p.end()), p.end());
        return p;
    }

    // A symbol some lookup returned: if for_each reached its index, it must
    // be what for_each gave there.
    void agree(const ksym::symbol& s, std::span<const char> buf) const {
        check_name(s, buf);
        if (behind_bad_record(s.index)) mismatch();
        if (s.index < w_.size() && !same(s, s.index, w_[s.index])) mismatch();
    }

    // find_by_name's answer for a name for_each gave at index i.
    void agree_name(const ksym::result<ksym::symbol>& r, std::uint32_t i, std::span<const char> buf,
                    bool must_find_first) const {
        const std::string& q = w_[i].name;
        if (!r) {
            // With every symbol walked, a hash or a scan cannot miss a name.
            if (must_find_first && r.error().code() == ksym::errc::not_found) mismatch();
            return;
        }
        agree(*r, buf);
        const ksym::name_suffix_rule rule = t_.format().suffix_rule;
        if (r->name != q && ksym::detail::cleanup(r->name, rule) != q) mismatch();
        if (must_find_first) {
            // The first (lowest-address) symbol of that exact name.
            std::uint32_t first = 0;
            while (w_[first].name != q) ++first;
            if (r->index != first) mismatch();
        }
    }

    // find_by_address's answer for address `a`.
    void agree_address(const ksym::result<ksym::address_match>& r, std::uint64_t a, std::span<const char> buf) const {
        if (!r) {
            if (complete_ && !w_.empty() && a >= w_[0].address) mismatch();  // inside a sorted, fully walked table
            return;
        }
        const ksym::symbol& s = r->sym;
        if (s.address > a || r->offset != a - s.address) mismatch();
        if (buf.empty()) {
            if (!s.name.empty() || s.type != '?') mismatch();
            if (s.index < w_.size()) {
                const walked& w = w_[s.index];
                if (s.address != w.address || s.size != w.size) mismatch();
            }
        } else {
            agree(s, buf);
        }
        if (complete_) {
            // The walk checked the order, so the answer is known: the last
            // symbol at or below `a`, back to the first of its aliases.
            std::size_t j = w_.size();
            while (j > 0 && w_[j - 1].address > a) --j;
            if (j == 0) mismatch();
            --j;
            while (j > 0 && w_[j - 1].address == w_[j].address) --j;
            if (s.index != j) mismatch();
        }
    }

    void probe_table(std::uint32_t n, std::uint32_t m) {
        ksym::name_buffer buf;
        for (const std::uint32_t i : probes(n, m)) {
            auto s = t_.at(i, std::span(buf));
            if (s) {
                if (s->index != i || behind_bad_record(i)) mismatch();
                agree(*s, buf);
            }
            if (i >= m) continue;
            if (!w_[i].name.empty()) {
                agree_name(t_.find_by_name(w_[i].name, std::span(buf)), i, buf,
                           complete_ && t_.format().seq_bytes == 0);
                if (n <= walk_cap) agree_name(t_.find_by_name_linear(w_[i].name, std::span(buf)), i, buf, complete_);
            }
            agree_address(t_.find_by_address(w_[i].address, std::span(buf)), w_[i].address, buf);
            agree_address(t_.find_by_address(w_[i].address, {}), w_[i].address, {});
        }
        // Arbitrary addresses and names.
        agree_address(t_.find_by_address(in_.probe, std::span(buf)), in_.probe, buf);
        agree_address(t_.find_by_address(base + (in_.probe & 0xffff), {}), base + (in_.probe & 0xffff), {});
        if (auto r = t_.find_by_name("vfs_read", std::span(buf))) agree(*r, buf);
        std::array<char, 4> small{};
        if (auto r = t_.at(0, std::span(small))) {
            check_name(*r, small);
            if (m > 0 && r->name != std::string_view(w_[0].name)) mismatch();
        }
        std::array<char, 1> tiny{};
        (void)t_.find_by_name("a", std::span(tiny));
    }

    void probe_index(const index_t& idx, std::uint32_t n, std::uint32_t m) const {
        ksym::name_buffer buf;
        const bool exact = t_.format().suffix_rule == ksym::name_suffix_rule::exact;
        for (const std::uint32_t i : probes(n, m)) {
            auto s = idx.at(i, std::span(buf));
            if (s) {
                if (s->index != i) mismatch();
                agree(*s, buf);
            }
            if (i >= m) continue;
            if (!w_[i].name.empty())
                agree_name(idx.find_by_name(w_[i].name, std::span(buf)), i, buf,
                           complete_ && (exact || t_.format().seq_bytes == 0));
            agree_address(idx.find_by_address(w_[i].address, std::span(buf)), w_[i].address, buf);
            agree_address(idx.find_by_address(w_[i].address, {}), w_[i].address, {});
        }
        agree_address(idx.find_by_address(in_.probe, std::span(buf)), in_.probe, buf);
        agree_address(idx.find_by_address(base + (in_.probe & 0xffff), {}), base + (in_.probe & 0xffff), {});
        if (auto r = idx.find_by_name("vfs_read", std::span(buf))) agree(*r, buf);
    }

    table_t& t_;
    const input& in_;
    std::vector<walked> w_;
    bool complete_ = false;
    bool walk_ok_ = false;                    // for_each returned ok (stopped at walk_cap or the end)
    std::uint32_t bad_ = UINT32_MAX;          // first record with an invalid length header
    std::vector<std::size_t> block_start_;    // offset of records 0, 256, ... before it
};

// buffer_reader without its view(): every read is a copy.
struct copying_reader {
    ksym::buffer_reader inner;
    ksym::status read(std::uint64_t addr, std::span<std::byte> out) const { return inner.read(addr, out); }
};
static_assert(!ksym::LendingReader<copying_reader>);

// What one path makes of a table: open, the walk, and lookups of the probe.
struct path_result {
    ksym::errc open = ksym::errc::ok;
    ksym::errc walk = ksym::errc::ok;
    std::vector<walked> symbols;
    std::vector<std::string> lookups;  // each lookup's symbol (index, address, size, type, name) or error code
};

template <class Table, class Reader>
path_result run_path(Table& t, Reader& r, const ksym::kallsyms_format& f, std::uint64_t probe) {
    path_result out;
    out.open = t.open(r, f).code();
    if (out.open != ksym::errc::ok) return out;
    ksym::name_buffer buf;
    out.walk = t.for_each(std::span(buf), [&](const ksym::symbol& s) {
                    out.symbols.push_back({s.address, s.size, s.type, std::string(s.name)});
                    return out.symbols.size() < walk_cap;
                }).code();
    auto note = [&](const auto& res) {
        if (!res) {
            out.lookups.push_back("error " + std::to_string(static_cast<int>(res.error().code())));
            return;
        }
        const ksym::symbol& s = [&]() -> const ksym::symbol& {
            if constexpr (std::is_same_v<std::decay_t<decltype(*res)>, ksym::address_match>) return res->sym;
            else return *res;
        }();
        out.lookups.push_back(std::to_string(s.index) + " " + std::to_string(s.address) + " " +
                              std::to_string(s.size) + " " + s.type + " " + std::string(s.name));
    };
    const std::uint32_t n = t.size();
    note(t.at(static_cast<std::uint32_t>(probe % n), std::span(buf)));
    note(t.at(n - 1, std::span(buf)));
    note(t.find_by_address(probe, std::span(buf)));
    note(t.find_by_address(base + (probe & 0xffff), std::span(buf)));
    // The bulk decode of the first symbols: status, names and addresses.
    const std::uint32_t last = std::min(n, walk_cap);
    if (auto need = t.names_bytes(0, last); need && *need <= (std::size_t{1} << 22)) {
        std::string names(*need, '\0');
        std::vector<std::uint64_t> addrs(last);
        auto got = t.decode_range(0, last, std::span(names.data(), names.size()), addrs);
        out.lookups.push_back(got ? "bulk " + names : "bulk error " + std::to_string(static_cast<int>(got.error().code())));
        if (got)
            for (const std::uint64_t a : addrs) out.lookups.push_back(std::to_string(a));
    } else {
        out.lookups.push_back(need ? "bulk too big" : "bulk error " + std::to_string(static_cast<int>(need.error().code())));
    }
    if (!out.symbols.empty()) {
        const std::string name = out.symbols[static_cast<std::size_t>(probe % out.symbols.size())].name;
        note(t.find_by_name(name, std::span(buf)));
        note(t.find_by_name_linear(name, std::span(buf)));
    }
    return out;
}

// The lending path against the copying one, for format f.
template <class Arch>
void compare_paths(const input& in, const ksym::kallsyms_format& f) {
    static ksym::kallsyms_table<ksym::buffer_reader, Arch> lent;
    static ksym::kallsyms_table<copying_reader, Arch> copied;
    ksym::buffer_reader r(in.mem, base);
    copying_reader c{r};
    const path_result a = run_path(lent, r, f, in.probe);
    const path_result b = run_path(copied, c, f, in.probe);
    if (a.open != b.open || a.walk != b.walk || a.lookups != b.lookups || a.symbols.size() != b.symbols.size())
        mismatch();
    for (std::size_t i = 0; i < a.symbols.size(); ++i) {
        const walked &x = a.symbols[i], &y = b.symbols[i];
        if (x.address != y.address || x.size != y.size || x.type != y.type || x.name != y.name) mismatch();
    }
}

template <class Arch>
void exercise(const input& in) {
    using table_t = ksym::kallsyms_table<ksym::buffer_reader, Arch>;
    static table_t table;  // about 80 KiB, reopened for every format below
    ksym::buffer_reader r(in.mem, base);

    // Stage 2 from the layout, as a map or VMCOREINFO would give it.
    ksym::result<ksym::kallsyms_format> resolved = ksym::status{ksym::errc::not_found};
    if (in.flags & (1u << 21)) {
        ksym::resolve_hints h = in.hints;
        h.known = in.known;
        resolved = ksym::resolve_format<Arch>(r, in.layout, h, table);
    } else {
        resolved = ksym::resolve_format<Arch>(r, in.layout, in.hints);
    }
    if (resolved) {
        if (resolved->layout != in.layout || resolved->count == 0) mismatch();
        if (table.open(r, *resolved).ok()) checker<Arch>(table, in).run();
        compare_paths<Arch>(in, *resolved);
    }

    // The same memory through a format written by hand.
    ksym::kallsyms_format f = in.hand;
    f.word_bytes = sizeof(typename Arch::word);
    f.byte_order = Arch::byte_order;
    if (in.flags & (1u << 20)) {
        f.word_bytes = static_cast<std::uint8_t>(12 - f.word_bytes);
        f.byte_order = f.byte_order == std::endian::little ? std::endian::big : std::endian::little;
    }
    const ksym::status s = table.open(r, f);
    if ((in.flags & (1u << 20)) && s.ok()) mismatch();
    if (s.ok()) checker<Arch>(table, in).run();
    compare_paths<Arch>(in, f);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < header_bytes) return 0;
    const auto* bytes = reinterpret_cast<const std::byte*>(data);
    auto u32 = [&](std::size_t at) { return ksym::load<std::uint32_t>(bytes + at, std::endian::little); };
    auto u64 = [&](std::size_t at) { return ksym::load<std::uint64_t>(bytes + at, std::endian::little); };
    input in;
    in.mem = std::span<const std::byte>(bytes + header_bytes, size - header_bytes);
    auto field = [&](std::size_t i) { return base + u32(4 + 4 * i) % (in.mem.size() + 64); };
    const std::uint32_t flags = in.flags = u32(0);

    ksym::kallsyms_layout& l = in.layout;
    l.num_syms = field(0);
    l.names = field(1);
    if (!(flags & 8)) l.markers = field(2);
    l.token_table = field(3);
    l.token_index = field(4);
    if (flags & 1) l.addresses = field(5);
    else l.offsets = field(5);
    if (flags & 2) l.relative_base = field(6);
    if (flags & 4) l.seqs_of_names = field(7);

    const auto encoding = static_cast<ksym::address_encoding>((flags >> 9) & 3);
    const auto rule = static_cast<ksym::name_suffix_rule>(((flags >> 11) & 3) % 3);
    const std::uint64_t relative_base = u64(48);

    ksym::resolve_hints& h = in.hints;
    if (flags & 0x100) h.encoding = encoding;
    if (flags & (1u << 13)) h.relative_base = relative_base;
    h.marker_bytes = static_cast<std::uint8_t>(std::array{0, 4, 8, 0}[(flags >> 14) & 3]);
    if (flags & (1u << 18)) h.seq_bytes = (flags & (1u << 19)) ? 4 : 3;
    h.suffix_rule = rule;

    ksym::kallsyms_format& f = in.hand;
    f.layout = l;
    f.count = u32(36);
    f.marker_bytes = static_cast<std::uint8_t>(4 * ((flags >> 4) & 3));
    f.seq_bytes = static_cast<std::uint8_t>(std::array{0, 3, 4, 5}[(flags >> 6) & 3]);
    f.encoding = encoding;
    f.relative_base = relative_base;
    f.suffix_rule = rule;

    // Anchor names: NUL-terminated strings in the memory, at most 64 bytes.
    for (std::size_t k = 0; k < in.known.size(); ++k) {
        std::string_view name;
        if (!in.mem.empty()) {
            const std::size_t at = u32(56 + 4 * k) % in.mem.size();
            const char* p = reinterpret_cast<const char*>(in.mem.data()) + at;
            const std::size_t max = std::min<std::size_t>(64, in.mem.size() - at);
            name = std::string_view(p, max);
            name = name.substr(0, name.find('\0'));
        }
        in.known[k] = {name, u64(64 + 8 * k)};
    }
    in.probe = u64(40);

    switch ((flags >> 16) & 3) {
    case 0: exercise<ksym::arch::x86_64>(in); break;
    case 1: exercise<ksym::arch::i386>(in); break;
    case 2: exercise<ksym::arch::s390x>(in); break;
    default: exercise<ksym::arch::arm64>(in); break;
    }
    return 0;
}
