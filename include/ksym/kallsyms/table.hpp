#pragma once
// Stage 3: the kernel's built-in kallsyms table, opened from a resolved
// format and decoded on demand.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>

#include "ksym/arch/traits.hpp"
#include "ksym/batch/batch_reader.hpp"
#include "ksym/core/endian.hpp"
#include "ksym/core/errc.hpp"
#include "ksym/core/result.hpp"
#include "ksym/kallsyms/detail/addresses.hpp"
#include "ksym/kallsyms/detail/expand.hpp"
#include "ksym/kallsyms/detail/name_search.hpp"
#include "ksym/kallsyms/detail/names_stream.hpp"
#include "ksym/kallsyms/format.hpp"
#include "ksym/kallsyms/token_table.hpp"
#include "ksym/memory/reader.hpp"
#include "ksym/symbols/symbol.hpp"

namespace ksym {

template <MemoryReader R, ArchTraits Arch>
class kallsyms_index;

/// A kallsyms table in target memory, decoded on demand.
///
/// Construct it where it will live (it is about 80 KiB and never moves:
/// give it static storage where stacks are small), then open() it from a
/// kallsyms_format. It reads through a window and keeps caches, so its
/// lookups are not const and one table serves one thread at a time; for
/// concurrent lookups build a kallsyms_index, whose lookups are const.
/// `SeekHints` 16-bit entries, 32 KiB of the object by default, are seek
/// hints (see seek()): they take a name search without an index from ~3.7
/// to ~1 µs on a 200k-symbol kernel. Where memory is dearer than that
/// (firmware), 0 leaves them out.
///
/// When the reader lends its memory (LendingReader), open() keeps views of
/// the address array, kallsyms_markers and kallsyms_seqs_of_names, and
/// lookups read them in place: reopen the table after changing the reader.
///
/// All input is hostile: counts, offsets and lengths are checked before use,
/// loops are bounded by the symbol count, and bad data gives `corrupt` (or
/// the reader's `fault`). Nothing allocates. Names go into the caller's
/// buffer (name_buffer_size bytes always suffice).
///
/// `Format` says which format facts are read at run time: runtime_format
/// (the default) decodes any table of the target; a fixed_format compiles
/// the code of one configuration only (see format.hpp).
template <MemoryReader R, ArchTraits Arch, kallsyms_format_policy Format = runtime_format,
          std::size_t SeekHints = 16384>
class kallsyms_table {
public:
    using word = typename Arch::word;
    using reader_type = R;
    using arch_type = Arch;
    using format_policy = Format;
    /// More symbols than any kernel has (allyesconfig x86-64 has ~1.5M).
    static constexpr std::uint32_t max_symbols = 1u << 24;

    constexpr kallsyms_table() noexcept = default;
    kallsyms_table(const kallsyms_table&) = delete;
    kallsyms_table& operator=(const kallsyms_table&) = delete;

    /// Opens the table `fmt` describes, reading through `reader` (which must
    /// outlive the table). Checks the format against Arch, reads the token
    /// table, derives markers when the format has none (one pass over the
    /// names), and decodes the first record. Reopening discards all state.
    constexpr status open(R& reader, const kallsyms_format& fmt) {
        // Reset field by field: a fresh object would put a second table on
        // the stack, which small-stack users cannot afford.
        br_ = batch_reader<R, Arch>(reader);
        fmt_ = fmt;
        n_ = 0;
        marker_stride_ = 256;
        sample_stride_ = 0;
        sample_count_ = 0;
        lent_addresses_ = lent_markers_ = lent_seqs_ = {};
        std::fill(aux_.begin(), aux_.end(), 0u);
        std::fill(seek_hints_.begin(), seek_hints_.end(), std::uint16_t{0});
        hint_shift_ = 0;
        const kallsyms_layout& l = fmt.layout;
        if (fmt.word_bytes != sizeof(word) || fmt.byte_order != Arch::byte_order || !Format::accepts(fmt))
            return {errc::invalid_argument};
        if (fmt.count == 0 || fmt.count > max_symbols) return {errc::corrupt, l.num_syms};
        // Through the policy from here on (accepts() made them agree), so
        // that a fixed one folds these checks away.
        const bool absolute = Format::encoding(fmt) == address_encoding::absolute;
        const std::uint8_t marker_bytes = Format::marker_bytes(fmt), seq_bytes = Format::seq_bytes(fmt);
        if (absolute ? !l.addresses : !l.offsets) return {errc::invalid_argument};
        if ((marker_bytes != 0 && marker_bytes != 4 && marker_bytes != 8) || (marker_bytes != 0 && !l.markers) ||
            (seq_bytes != 0 && !l.seqs_of_names) || (seq_bytes != 0 && seq_bytes != 3 && seq_bytes != 4))
            return {errc::invalid_argument};
        names_.reset(l.names);
        if (status s = tokens_.load(br_, l.token_table, l.token_index); !s) return s;
        if (marker_bytes == 0) {
            if (status s = derive_markers(); !s) return s;
        } else {
            auto m0 = marker(0);
            if (!m0) return m0.error();
            if (*m0 != 0) return {errc::corrupt, *l.markers};
        }
        // Decode the first record: a garbage format fails here, not on first use.
        name_buffer buf;
        char type = 0;
        detail::record r;
        auto rec = names_.body(br_, 0, detail::names_stream<R, Arch>::random, r);
        if (!rec) return rec.error();
        if (auto e = detail::expand(tokens_, *rec, buf, type, l.names); !e) return e.error();
        // The arrays lookups probe at random, lent once here when the reader
        // lends its memory: each probe is then a load, not a reader call
        // and a copy.
        const std::size_t width = detail::address_entry_bytes<Format>(fmt_);
        lent_addresses_ = br_.view(detail::address_array<Format>(fmt_), std::size_t{fmt.count} * width);
        if (marker_bytes != 0)
            lent_markers_ = br_.view(*l.markers, std::size_t{(fmt.count + 255) / 256} * marker_bytes);
        if (seq_bytes != 0) lent_seqs_ = br_.view(*l.seqs_of_names, std::size_t{fmt.count} * seq_bytes);
        if (hint_entries != 0 && marker_stride_ == 256) {
            const std::size_t blocks = (fmt.count + 255) / 256;
            for (std::uint8_t shift = 4; shift < 8 && hint_shift_ == 0; ++shift)
                if (blocks * ((256u >> shift) - 1) <= hint_entries) hint_shift_ = shift;
        }
        n_ = fmt.count;
        return {};
    }

    /// With a fixed Format only: opens the table at `layout` without
    /// resolving anything, as firmware built for one kernel configuration
    /// does. The format is the policy's and the target's; the count is read
    /// from kallsyms_num_syms (a u32, or a word where the policy's markers
    /// are words: the two changed together in 4.20); an encoding with a
    /// relative base takes `relative_base`, else the word stored at
    /// layout.relative_base (a raw arm64 Image stores 0 there and relocates
    /// it at boot: pass the relocated value).
    constexpr status open(R& reader, const kallsyms_layout& layout, std::optional<std::uint64_t> relative_base = {})
        requires(Format::fixed)
    {
        kallsyms_format f;
        f.layout = layout;
        f.encoding = Format::encoding(f);
        f.marker_bytes = Format::marker_bytes(f);
        f.seq_bytes = Format::seq_bytes(f);
        f.suffix_rule = Format::suffix_rule(f);
        f.word_bytes = sizeof(word);
        f.byte_order = Arch::byte_order;
        f.count_bytes = f.marker_bytes == 8 ? 8 : 4;
        br_ = batch_reader<R, Arch>(reader);
        n_ = 0;
        if (f.count_bytes == 8) {
            auto n = br_.template read_one<std::uint64_t>(layout.num_syms);
            if (!n) return n.error();
            if (*n > max_symbols) return {errc::corrupt, layout.num_syms};
            f.count = static_cast<std::uint32_t>(*n);
        } else {
            auto n = br_.template read_one<std::uint32_t>(layout.num_syms);
            if (!n) return n.error();
            f.count = *n;
        }
        if (f.encoding == address_encoding::base_relative || f.encoding == address_encoding::absolute_percpu) {
            if (relative_base) {
                f.relative_base = *relative_base;
                f.base_from = base_source::given;
            } else {
                if (!layout.relative_base) return {errc::invalid_argument};
                auto b = br_.template read_one<word>(*layout.relative_base);
                if (!b) return b.error();
                f.relative_base = *b;
                f.base_from = base_source::stored;
            }
        }
        return open(reader, f);
    }

    /// Number of symbols (0 until opened).
    [[nodiscard]] constexpr std::uint32_t size() const noexcept { return n_; }
    [[nodiscard]] constexpr const kallsyms_format& format() const noexcept { return fmt_; }
    [[nodiscard]] constexpr const token_table& tokens() const noexcept { return tokens_; }
    /// Reader calls made so far (for tests and benchmarks).
    [[nodiscard]] constexpr std::size_t reader_calls() const noexcept { return br_.calls(); }

    /// Address of symbol `i`: one read.
    constexpr result<std::uint64_t> address_at(std::uint32_t i) {
        if (i >= n_) return status{errc::invalid_argument};
        if (!lent_addresses_.empty()) return lent_address(i);
        std::uint64_t a = 0;
        if (status s = detail::read_addresses<Format>(br_, fmt_, i, std::span(&a, 1)); !s) return s;
        return a;
    }

    /// Decodes the addresses of symbols [first, first + out.size()): one
    /// read per 256.
    constexpr status addresses(std::uint32_t first, std::span<std::uint64_t> out) {
        if (first > n_ || out.size() > n_ - first) return {errc::invalid_argument};
        return detail::read_addresses<Format>(br_, fmt_, first, out);
    }

    /// Symbol `i`: a marker read, the records before it in its block skipped
    /// (fewer than 16 once seek() has hints there, else up to 255), the
    /// record expanded into `name`, its address and the next higher one.
    constexpr result<symbol> at(std::uint32_t i, std::span<char> name) {
        if (i >= n_) return status{errc::invalid_argument};
        auto off = seek(i);
        if (!off) return off.error();
        return at_offset(i, *off, name);
    }

    /// Calls `visit(const symbol&)` for every symbol in table order. `visit`
    /// returns void, bool (false stops) or status (non-ok stops and is
    /// returned). Names land in `name`, valid during the call. This walk is
    /// the reference every lookup agrees with: an address lower than the one
    /// before it, or a marker that disagrees with the names stream, makes
    /// the table `corrupt` there (the kernel sorts addresses, and sizes and
    /// seeks depend on both).
    template <class Visit>
    constexpr status for_each(std::span<char> name, Visit&& visit) {
        return for_each_in(0, n_, name, visit);
    }

    /// Like for_each, over symbols [first, last).
    template <class Visit>
    constexpr status for_each_in(std::uint32_t first, std::uint32_t last, std::span<char> name, Visit&& visit) {
        if (first > last || last > n_) return {errc::invalid_argument};
        if (first == last) return {};
        auto start = seek(first);
        if (!start) return start.error();
        std::uint64_t off = *start;
        // Addresses are decoded 63 at a time, with the entry after them,
        // from raw entries read 1 KiB at a time (four blocks a read for
        // 4-byte entries): small buffers for small stacks, few reader calls.
        constexpr std::uint32_t block = 63;
        std::array<std::uint64_t, block + 1> a;  // decoded before use
        std::array<std::byte, 1024> raw;         // entries [raw_first, raw_first + raw_count)
        std::uint32_t raw_first = 0, raw_count = 0;
        const std::byte* src = raw.data();  // raw, or the reader's own memory
        const std::size_t width = detail::address_entry_bytes<Format>(fmt_);
        const auto entry_at = [&](std::uint32_t i) {
            return detail::address_array<Format>(fmt_) + std::uint64_t{i} * width;
        };
        std::uint64_t prev = 0;
        // The next index a marker starts (a comparison per symbol, not a
        // division), and stored markers read 16 at a time.
        std::uint32_t next_marker = (first / marker_stride_ + 1) * marker_stride_;
        marker_run run;
        symbol sym;  // every field but module is set for each symbol
        for (std::uint32_t base = first; base < last; base += block) {
            const std::uint32_t count = std::min(block, last - base);
            // One entry past the block, when the table has it: the size of
            // the block's last symbol then needs no read of its own.
            std::uint32_t have = std::min(count + 1, n_ - base);
            if (base + have > raw_first + raw_count) {
                raw_first = base;
                raw_count = std::min(static_cast<std::uint32_t>(raw.size() / width), n_ - base);
                // A reader that lends its memory lends the rest of the array.
                if (auto v = br_.view(entry_at(base), std::size_t{have} * width); !v.empty()) {
                    src = v.data();
                    raw_count = static_cast<std::uint32_t>(std::min<std::size_t>(v.size() / width, n_ - base));
                } else {
                    src = raw.data();
                    // A run into unreadable memory: the block and the entry
                    // past it, else the block alone (next_higher reports the rest).
                    for (const std::uint32_t want : {raw_count, have, count}) {
                        raw_count = want;
                        const status s = br_.read_bytes(entry_at(base), std::span(raw).first(want * width));
                        if (s) break;
                        if (want == count) return s;
                    }
                }
                have = std::min(have, raw_count);
            }
            detail::decode_addresses<Arch, Format>(fmt_, src + std::size_t{base - raw_first} * width, entry_at(base),
                                           std::span(a).first(have));
            std::uint32_t j = 0;  // first entry above a[k]; monotone because the addresses are
            for (std::uint32_t k = 0; k < count; ++k) {
                sym.index = base + k;
                sym.address = a[k];
                if (a[k] < prev)
                    return {errc::corrupt, detail::address_array<Format>(fmt_) + std::uint64_t{sym.index} * width};
                prev = a[k];
                j = std::max(j, k + 1);
                while (j < have && a[j] <= a[k]) ++j;
                if (j < have) {
                    sym.size = a[j] - a[k];
                } else {
                    auto next = next_higher(base + have, a[k]);
                    if (!next) return next.error();
                    sym.size = *next;
                }
                if (sym.index == next_marker) {
                    next_marker += marker_stride_;
                    // The walk is the reference: markers that disagree with
                    // it would send at() to another record.
                    auto m = run.get(*this, sym.index / marker_stride_);
                    if (!m) return m.error();
                    if (*m != off) return {errc::corrupt, fmt_.layout.markers.value_or(fmt_.layout.names)};
                }
                const std::size_t used = expand_in_order(off, name, sym);
                if (used == 0) {
                    if (status s = expand_at(off, name, sym, detail::names_stream<R, Arch>::sequential); !s) return s;
                    off += record_size_;
                } else {
                    off += used;
                }
                if constexpr (std::is_same_v<decltype(visit(sym)), bool>) {
                    if (!visit(sym)) return {};
                } else if constexpr (std::is_same_v<decltype(visit(sym)), status>) {
                    if (status s = visit(sym); !s) return s;
                } else {
                    visit(sym);
                }
            }
        }
        return {};
    }

    /// Bytes decode_range(first, last, ...) writes into `names_out`: every
    /// name of symbols [first, last) with its NUL, which is the sum of the
    /// lengths of their tokens (the type letter stands in for the NUL). A
    /// pass over the names stream that copies no text, so a caller can
    /// size the output exactly, as ZSTD_getFrameContentSize sizes a
    /// frame's. Exact for every range decode_range accepts; `corrupt` for a
    /// malformed record header (a name decode_range rejects for its length
    /// or for having no text may be counted here all the same).
    constexpr result<std::size_t> names_bytes(std::uint32_t first, std::uint32_t last) {
        if (first > last || last > n_) return status{errc::invalid_argument};
        if (first == last) return std::size_t{0};
        auto start = seek(first);
        if (!start) return start.error();
        std::uint64_t off = *start;
        std::size_t total = 0;
        for (std::uint32_t i = first; i < last;) {
            // Records wholly in the window: the token lengths of every byte
            // of the stretch, less those of the header bytes, so that the
            // only serial walk is over headers (no loop a record whose exit
            // the branch predictor cannot learn).
            const std::size_t avail = names_.available(off);
            const std::byte* p = avail != 0 ? names_.data_at(off) : nullptr;
            std::size_t pos = 0, headers = 0;
            while (i < last && pos < avail) {
                detail::record r;
                if (detail::parse_record(p + pos, avail - pos, r) != detail::parse_state::ok || r.size() > avail - pos)
                    break;
                headers += tokens_.length(static_cast<std::uint8_t>(p[pos]));
                if (r.hdr == 2) headers += tokens_.length(static_cast<std::uint8_t>(p[pos + 1]));
                pos += r.size();
                ++i;
            }
            total += detail::token_bytes(tokens_, p, pos) - headers;
            off += pos;
            if (i < last) {
                // A record at the window's edge, or a bad one: the checked path.
                detail::record r;
                auto rec = names_.body(br_, off, names::sequential, r);
                if (!rec) return rec.error();
                total += detail::token_bytes(tokens_, rec->data(), rec->size());
                off += r.size();
                ++i;
            }
        }
        return total;
    }
    /// names_bytes over the whole table.
    constexpr result<std::size_t> names_bytes() { return names_bytes(0, n_); }

    /// Bulk decode of symbols [first, last): the names, NUL-terminated and
    /// packed one after the other in table order, into `names_out`; symbol
    /// first + k's address into addresses[k] and, when `types` is not
    /// empty, its nm type into types[k]. Returns the bytes of `names_out` used
    /// (names_bytes(first, last)); bytes after them may have been
    /// overwritten. Gives for each symbol exactly the name, type and address
    /// for_each does, and fails where for_each fails (the same address-order
    /// and marker checks, `corrupt` for a name longer than
    /// name_buffer_size - 1 where for_each's name buffer gives `capacity`).
    ///
    /// No per-symbol buffer, visitor or size: each record is expanded
    /// straight into `names_out` with one 16-byte copy per token, and addresses
    /// are decoded in one pass (in place when the reader lends its memory).
    /// `capacity` when `addresses` or a non-empty `types` holds fewer than
    /// last - first entries or `names_out` fewer than the names need; nothing is
    /// ever written outside the spans.
    constexpr result<std::size_t> decode_range(std::uint32_t first, std::uint32_t last, std::span<char> names_out,
                                               std::span<std::uint64_t> addresses, std::span<char> types = {}) {
        if (first > last || last > n_) return status{errc::invalid_argument};
        const std::uint32_t count = last - first;
        if (addresses.size() < count || (!types.empty() && types.size() < count)) return status{errc::capacity};
        if (count == 0) return std::size_t{0};
        if (status s = bulk_addresses(first, addresses.first(count)); !s) return s;
        return bulk_names(first, last, names_out, types.empty() ? nullptr : types.data());
    }
    /// decode_range over the whole table.
    constexpr result<std::size_t> decode_all(std::span<char> names_out, std::span<std::uint64_t> addresses,
                                             std::span<char> types = {}) {
        return decode_range(0, n_, names_out, addresses, types);
    }

    /// The symbol named `name` (without its type letter). With
    /// kallsyms_seqs_of_names this is a binary search (the kernel's
    /// kallsyms_lookup_names); without, a scan in table order (its pre-6.2
    /// kallsyms_lookup_name). Among equal names the lowest address wins, as
    /// in the kernel; an exact match beats a suffix-stripped one. `buf`
    /// receives the table's spelling of the name.
    constexpr result<symbol> find_by_name(std::string_view name, std::span<char> buf) {
        if (name.empty() || n_ == 0) return status{errc::not_found};
        if (buf.size() < 2) return status{errc::capacity};
        if (Format::seq_bytes(fmt_) != 0) return detail::name_search::sorted(*this, name, buf);
        return detail::name_search::linear(*this, name, buf);
    }

    /// The scan, regardless of kallsyms_seqs_of_names: the kernel's pre-6.2
    /// algorithm, and a cross-check for the sorted one.
    constexpr result<symbol> find_by_name_linear(std::string_view name, std::span<char> buf) {
        return detail::name_search::linear(*this, name, buf);
    }

    /// The symbol containing `addr`: the last one at or below it, then back
    /// to the first of its aliases, with the offset into it. The name and
    /// type are expanded into `buf`; an empty `buf` skips them (name empty,
    /// type '?') for callers that need only the address and size.
    ///
    /// The first call samples 1024 evenly spaced addresses into the table
    /// (one read per 256 symbols); every call then narrows to one stretch
    /// with the sample, reads it in one call and decodes only the entries
    /// the search probes.
    constexpr result<address_match> find_by_address(std::uint64_t addr, std::span<char> buf) {
        if (n_ == 0) return status{errc::not_found};
        if (sample_stride_ == 0) {
            if (status s = build_address_sample(); !s) return s;
        }
        if (addr < sample_[0]) return status{errc::not_found};
        const auto k = static_cast<std::uint32_t>(
            detail::last_at_or_below(std::span<const std::uint64_t>(sample_).first(sample_count_), addr));
        std::uint32_t lo = k * sample_stride_;
        std::uint32_t hi = std::min(n_, k + 1 < sample_count_ ? (k + 1) * sample_stride_ + 1 : n_);
        while (hi - lo > address_block + 1) {  // stretches over a block (tables over 256k symbols)
            const std::uint32_t mid = lo + (hi - lo) / 2;
            auto am = address_at(mid);
            if (!am) return am.error();
            (*am <= addr ? lo : hi) = mid;
        }
        const std::size_t width = detail::address_entry_bytes<Format>(fmt_);
        std::array<std::byte, (address_block + 1) * 8> raw;  // filled by the read before use
        const std::uint64_t from = detail::address_array<Format>(fmt_) + std::uint64_t{lo} * width;
        const std::byte* src = raw.data();  // raw, or the reader's own memory
        if (!lent_addresses_.empty()) {
            src = lent_addresses_.data() + std::size_t{lo} * width;
            // The stretch is a dozen cache lines that the ~8 probes below
            // would miss one after another: ask for them all at once.
            if (!std::is_constant_evaluated())
                for (std::size_t b = 0; b < (hi - lo) * width; b += 64) __builtin_prefetch(src + b);
        } else if (status s = br_.read_bytes(from, std::span(raw).first((hi - lo) * width)); !s) {
            return s;
        }
        const auto entry = [&](std::size_t j) {
            return detail::decode_entry<word, Format>(fmt_, load_n(src + j * width, width, Arch::byte_order),
                                              from + j * width);
        };
        if (addr < entry(0)) return status{errc::not_found};
        std::size_t j = detail::last_at_or_below(hi - lo, entry, addr);
        const std::uint64_t at_addr = entry(j);
        // The next higher address, from the stretch already read when it is there.
        std::size_t up = j + 1;
        while (up < hi - lo && entry(up) <= at_addr) ++up;
        while (j > 0 && entry(j - 1) == at_addr) --j;
        address_match m;
        m.sym.index = lo + static_cast<std::uint32_t>(j);
        if (j == 0) {
            while (m.sym.index > 0) {  // aliases before the stretch: bounded by the table
                auto prev = address_at(m.sym.index - 1);
                if (!prev) return prev.error();
                if (*prev != at_addr) break;
                --m.sym.index;
            }
        }
        m.sym.address = at_addr;
        m.offset = addr - at_addr;
        if (up < hi - lo) {
            m.sym.size = entry(up) - at_addr;
        } else {
            auto next = next_higher(lo + static_cast<std::uint32_t>(up), at_addr);
            if (!next) return next.error();
            m.sym.size = *next;
        }
        if (!buf.empty()) {
            auto off = seek(m.sym.index);
            if (!off) return off.error();
            if (status s = expand_at(*off, buf, m.sym, detail::names_stream<R, Arch>::random); !s) return s;
        }
        return m;
    }

private:
    friend class kallsyms_index<R, Arch>;
    friend struct detail::name_search;
    using names = detail::names_stream<R, Arch>;

    // Entries of the address sample, and the most a block read covers.
    static constexpr std::uint32_t address_samples = 1024;
    static constexpr std::uint32_t address_block = 256;
    // Name offsets kept in aux_: derived markers, or the sorted search's
    // first probes (see detail::name_search).
    static constexpr std::size_t aux_entries = 2048;
    // Seek hints: the offsets (past the block's marker) of every
    // 2^hint_shift_-th record of each marker block, filled as seeks pass
    // them, so that a seek skips fewer than 2^hint_shift_ records rather
    // than up to 255. A random seek (a name search probe) walks records one
    // dependent load at a time, so without hints that walk is most of a
    // search. The stride is the finest of 16, 32, 64, 128 whose hints fit
    // hint_entries (16 for tables up to 280k symbols).
    static constexpr std::size_t hint_entries = SeekHints;

    // Stored markers for an in-order walk, read a run at a time.
    struct marker_run {
        std::array<std::uint64_t, 16> v;  // filled by each read before use
        std::uint32_t first = 0, count = 0;
        constexpr result<std::uint64_t> get(kallsyms_table& t, std::uint32_t m) {
            if (Format::marker_bytes(t.fmt_) == 0 || !t.lent_markers_.empty()) return t.marker(m);
            if (m - first >= count) {
                const std::uint32_t total = (t.n_ + t.marker_stride_ - 1) / t.marker_stride_;
                if (m >= total) return t.marker(m);
                first = m;
                count = std::min<std::uint32_t>(static_cast<std::uint32_t>(v.size()), total - m);
                const std::uint64_t at = *t.fmt_.layout.markers + std::uint64_t{m} * Format::marker_bytes(t.fmt_);
                status s;
                if (Format::marker_bytes(t.fmt_) == 8) {
                    s = t.br_.read_array(at, std::span(v).first(count));
                } else {
                    std::array<std::uint32_t, 16> w;  // filled by the read before use
                    s = t.br_.read_array(at, std::span(w).first(count));
                    for (std::uint32_t i = 0; s.ok() && i < count; ++i) v[i] = w[i];
                }
                if (!s) {
                    count = 0;
                    return t.marker(m);  // the run reaches unreadable memory: this one alone
                }
            }
            return v[m - first];
        }
    };

    constexpr result<std::uint64_t> marker(std::uint32_t m) {
        if (Format::marker_bytes(fmt_) == 0) return std::uint64_t{aux_[m]};
        if ((std::size_t{m} + 1) * Format::marker_bytes(fmt_) <= lent_markers_.size())
            return load_n(lent_markers_.data() + std::size_t{m} * Format::marker_bytes(fmt_), Format::marker_bytes(fmt_),
                          Arch::byte_order);
        const std::uint64_t at = *fmt_.layout.markers + std::uint64_t{m} * Format::marker_bytes(fmt_);
        if (Format::marker_bytes(fmt_) == 8) return br_.template read_one<std::uint64_t>(at);
        auto v = br_.template read_one<std::uint32_t>(at);
        if (!v) return v.error();
        return std::uint64_t{*v};
    }

    // One pass over the names stream, keeping the offset of every
    // marker_stride_-th record: 256 as the kernel does, coarser for tables
    // over half a million symbols so the offsets fit aux_.
    constexpr status derive_markers() {
        const std::uint32_t groups = (fmt_.count + 255) / 256;
        marker_stride_ = 256 * static_cast<std::uint32_t>((groups + aux_entries - 1) / aux_entries);
        std::uint64_t off = 0;
        for (std::uint32_t i = 0, m = 0; i < fmt_.count; i += marker_stride_, ++m) {
            if (off > 0xffffffffu) return {errc::unsupported, fmt_.layout.names};
            aux_[m] = static_cast<std::uint32_t>(off);
            auto next = names_.skip(br_, off, std::min(marker_stride_, fmt_.count - i));
            if (!next) return next.error();
            off = *next;
        }
        return {};
    }

    // Offset in kallsyms_names of record i.
    constexpr result<std::uint64_t> seek(std::uint32_t i) {
        auto m = marker(i / marker_stride_);
        if (!m) return m.error();
        const std::uint32_t block = i / marker_stride_, r = i % marker_stride_;
        const std::uint32_t hint_stride = std::uint32_t{1} << hint_shift_;
        if (hint_shift_ == 0 || r < hint_stride) return names_.skip(br_, *m, r);
        // From the furthest hint known at or below record i: a skip is the
        // composition of shorter skips, so the offset is the one the full
        // skip from the marker gives, and a record the full skip would stop
        // at stops this one too.
        std::uint16_t* h = seek_hints_.data() + std::size_t{block} * (256 / hint_stride - 1);
        const std::uint32_t k = r / hint_stride;  // hint k - 1 is record k * hint_stride's offset past the marker
        std::uint32_t known = k;
        while (known > 0 && h[known - 1] == 0) --known;
        std::uint64_t off = *m + (known > 0 ? h[known - 1] : 0u);
        for (std::uint32_t j = known; j < k; ++j) {
            auto next = names_.skip(br_, off, hint_stride);
            if (!next) return next.error();
            off = *next;
            // 0 stays "unknown": no record is 0 bytes past a marker but the first.
            if (off - *m <= 0xffffu) h[j] = static_cast<std::uint16_t>(off - *m);
        }
        return names_.skip(br_, off, r % hint_stride);
    }

    // at() for a record whose offset the caller has found.
    constexpr result<symbol> at_offset(std::uint32_t i, std::uint64_t off, std::span<char> name) {
        symbol sym;
        sym.index = i;
        if (status s = expand_at(off, name, sym, detail::names_stream<R, Arch>::random); !s) return s;
        auto a = address_at(i);
        if (!a) return a.error();
        sym.address = *a;
        auto next = next_higher(i + 1, *a);
        if (!next) return next.error();
        sym.size = *next;
        return sym;
    }

    // Expands the record at `off` into sym (type, name) through the checked
    // path; record_size_ receives its size.
    constexpr status expand_at(std::uint64_t off, std::span<char> buf, symbol& sym, std::size_t prefetch) {
        detail::record r;
        auto rec = names_.body(br_, off, prefetch, r);
        if (!rec) return rec.error();
        auto n = detail::expand(tokens_, *rec, buf, sym.type, fmt_.layout.names + off);
        if (!n) return n.error();
        sym.name = std::string_view(buf.data(), *n);
        record_size_ = r.size();
        return {};
    }

    // The in-order walk's fast path: a record already wholly in the window
    // is expanded in place, parsed by the same parser. Returns its size, or
    // 0 to send it down the checked path (window edge, bad header, error).
    constexpr std::size_t expand_in_order(std::uint64_t off, std::span<char> buf, symbol& sym) {
        const std::size_t avail = names_.available(off);
        detail::record r;
        if (avail == 0) return 0;
        if (detail::parse_record(names_.data_at(off), avail, r) != detail::parse_state::ok || r.size() > avail)
            return 0;
        const std::byte* rec = names_.data_at(off) + r.hdr;
        std::size_t n = detail::expand_padded(tokens_, rec, r.len, buf.data(), buf.size(), sym.type);
        if (n == detail::expand_npos) {
            auto e = detail::expand(tokens_, std::span(rec, r.len), buf, sym.type, fmt_.layout.names + off);
            if (!e) return 0;
            n = *e;
        }
        sym.name = std::string_view(buf.data(), n);
        return r.size();
    }

    // decode_range's addresses: decoded in one pass, from the reader's own
    // memory when it lends it, else read 128 entries at a time; then the
    // order check for_each makes.
    constexpr status bulk_addresses(std::uint32_t first, std::span<std::uint64_t> out) {
        const std::size_t width = detail::address_entry_bytes<Format>(fmt_);
        const std::uint64_t at = detail::address_array<Format>(fmt_) + std::uint64_t{first} * width;
        if (auto v = br_.view(at, out.size() * width); !v.empty()) {
            detail::decode_addresses<Arch, Format>(fmt_, v.data(), at, out);
        } else if (status s = detail::read_addresses<Format>(br_, fmt_, first, out); !s) {
            return s;
        }
        // An or-reduction, not an early exit: no branch per entry to mispredict.
        bool unsorted = false;
        for (std::size_t k = 1; k < out.size(); ++k) unsorted |= out[k] < out[k - 1];
        if (unsorted) {
            for (std::size_t k = 1; k < out.size(); ++k)
                if (out[k] < out[k - 1]) return {errc::corrupt, at + k * width};
        }
        return {};
    }

    // decode_range's names. Records wholly inside the names window (all of
    // them, when the reader lends its memory) are parsed in place; the
    // others take the checked path, which refills the window.
    constexpr result<std::size_t> bulk_names(std::uint32_t first, std::uint32_t last, std::span<char> out,
                                             char* types) {
        auto start = seek(first);
        if (!start) return start.error();
        std::uint64_t off = *start;
        std::size_t pos = 0;  // bytes of `out` used
        // Real tables: every token has text and fits its slot, so a record
        // is one slot copy per token with no per-token check.
        bool all_fit = tokens_.max_length() <= token_table::pad;
        for (std::size_t t = 0; all_fit && t < 256; ++t) all_fit = tokens_.length(static_cast<std::uint8_t>(t)) != 0;
        std::uint32_t next_marker = (first / marker_stride_ + 1) * marker_stride_;
        marker_run run;
        for (std::uint32_t i = first; i < last;) {
            const std::uint32_t stop = std::min(last, next_marker);
            if (const std::size_t avail = names_.available(off); all_fit && avail != 0) {
                const detail::bulk_step st = detail::expand_records(tokens_, names_.data_at(off), avail, stop - i,
                                                                    out.data() + pos, out.size() - pos,
                                                                    types ? types + (i - first) : nullptr);
                off += st.in;
                pos += st.out;
                i += st.records;
            }
            if (i < stop) {
                // One record through the checked path: a window edge, a
                // record the fast loop declined, or the output's end.
                char type = 0;
                detail::record r;
                auto rec = names_.body(br_, off, names::sequential, r);
                if (!rec) return rec.error();
                const std::size_t room = std::min(out.size() - pos, name_buffer_size);
                auto n = detail::expand(tokens_, *rec, out.subspan(pos, room), type, fmt_.layout.names + off);
                if (!n) {
                    // A name that outgrew name_buffer_size, not the output.
                    if (n.error().code() == errc::capacity && room == name_buffer_size)
                        return status{errc::corrupt, fmt_.layout.names + off};
                    return n.error();
                }
                if (types) types[i - first] = type;
                pos += *n + 1;
                off += r.size();
                ++i;
            }
            if (i == next_marker && i < last) {
                next_marker += marker_stride_;
                auto m = run.get(*this, i / marker_stride_);
                if (!m) return m.error();
                if (*m != off) return status{errc::corrupt, fmt_.layout.markers.value_or(fmt_.layout.names)};
            }
        }
        return pos;
    }

    // Distance from `at` to the first address above it among symbols
    // [j, n), read 16 at a time; 0 when none is.
    constexpr result<std::uint64_t> next_higher(std::uint32_t j, std::uint64_t at) {
        constexpr std::size_t chunk = 16;
        std::array<std::uint64_t, chunk> a;                       // decoded before use
        std::array<std::byte, chunk * sizeof(word)> raw;          // filled by each read before use
        const std::size_t width = detail::address_entry_bytes<Format>(fmt_);
        for (; j < n_; j += static_cast<std::uint32_t>(chunk)) {
            const std::size_t c = std::min<std::size_t>(chunk, n_ - j);
            const std::uint64_t where = detail::address_array<Format>(fmt_) + std::uint64_t{j} * width;
            const std::byte* src = raw.data();
            if (!lent_addresses_.empty()) src = lent_addresses_.data() + std::size_t{j} * width;
            else if (status s = br_.read_bytes(where, std::span(raw).first(c * width)); !s) return s;
            detail::decode_addresses<Arch, Format>(fmt_, src, where, std::span(a).first(c));
            for (std::size_t k = 0; k < c; ++k)
                if (a[k] > at) return a[k] - at;
        }
        return std::uint64_t{0};
    }

    // Address of symbol i (< n_) from the lent address array.
    constexpr std::uint64_t lent_address(std::uint32_t i) const noexcept {
        const std::size_t width = detail::address_entry_bytes<Format>(fmt_);
        const std::size_t at = std::size_t{i} * width;
        return detail::decode_entry<word, Format>(fmt_, load_n(lent_addresses_.data() + at, width, Arch::byte_order),
                                                  detail::address_array<Format>(fmt_) + at);
    }

    constexpr status build_address_sample() {
        const std::uint32_t stride = (n_ + address_samples - 1) / address_samples;
        std::array<std::uint64_t, 256> a;  // filled by each read before use
        std::uint32_t count = 0;
        for (std::uint32_t first = 0; first < n_; first += static_cast<std::uint32_t>(a.size())) {
            const std::size_t c = std::min<std::size_t>(a.size(), n_ - first);
            if (status s = detail::read_addresses<Format>(br_, fmt_, first, std::span(a).first(c)); !s) return s;
            for (std::size_t k = 0; k < c; ++k)
                if ((first + k) % stride == 0) sample_[count++] = a[k];
        }
        sample_stride_ = stride;
        sample_count_ = count;
        return {};
    }

    batch_reader<R, Arch> br_{};
    kallsyms_format fmt_{};
    token_table tokens_{};
    names names_{};
    std::uint32_t n_ = 0;
    std::uint32_t marker_stride_ = 256;
    std::size_t record_size_ = 0;                          // size of the record expand_at last read
    std::array<std::uint64_t, address_samples> sample_{};  // address of every sample_stride_-th symbol
    std::uint32_t sample_stride_ = 0;                      // 0: not sampled yet
    std::uint32_t sample_count_ = 0;
    std::array<std::uint32_t, aux_entries> aux_{};
    std::array<std::uint16_t, hint_entries> seek_hints_{};  // 0: not known yet
    std::uint8_t hint_shift_ = 0;                            // 0: no hints
    // The whole address array, markers and seqs_of_names as the reader
    // lends them (empty when it does not).
    std::span<const std::byte> lent_addresses_{}, lent_markers_{}, lent_seqs_{};
};

}  // namespace ksym
