#pragma once
// The kernel's built-in kallsyms table, decoded from kernel memory.

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>

#include "ksym/arch/traits.hpp"
#include "ksym/batch/batch_reader.hpp"
#include "ksym/core/errc.hpp"
#include "ksym/core/result.hpp"
#include "ksym/kallsyms/layout.hpp"
#include "ksym/kallsyms/token_table.hpp"
#include "ksym/memory/reader.hpp"

namespace ksym {

/// Longest symbol name the kernel keeps, terminating NUL included (6.1+; 128 before).
inline constexpr std::size_t ksym_name_len = 512;

/// One decoded symbol. `name` points into the buffer the caller passed.
struct kallsyms_symbol {
    std::uint32_t index = 0;  ///< position in the table (address order)
    std::uint64_t address = 0;
    char type = '?';          ///< nm letter
    std::string_view name;
};

/// The symbol containing an address.
struct address_match {
    std::uint32_t index = 0;    ///< first of the symbols at `address` (the kernel's choice among aliases)
    std::uint64_t address = 0;  ///< where the symbol starts
    std::uint64_t offset = 0;   ///< looked-up address minus `address`
    std::uint64_t size = 0;     ///< distance to the next higher address; 0 for the last symbol
};

/// Which compiler suffixes name lookup ignores, as kernels built with
/// CONFIG_LTO_CLANG did (see cleanup_symbol_name in kernel/kallsyms.c).
enum class name_suffix_rule : std::uint8_t {
    exact,                 ///< plain comparison: GCC-built kernels, and every kernel since 6.11
    strip_from_first_dot,  ///< 5.16 - 6.4 with clang LTO: "foo.llvm.123" and "foo.cfi_jt" match "foo"
    strip_llvm,            ///< 6.5 - 6.10 with clang LTO: only a ".llvm." suffix is ignored
};

/// Options for opening a table. Everything defaults to detection.
struct kallsyms_options {
    /// Force an address encoding instead of inferring it.
    std::optional<address_encoding> encoding;
    name_suffix_rule suffix_rule = name_suffix_rule::exact;
    /// Bytes per kallsyms_seqs_of_names entry: 3 (6.2+), 4 (the first 6.2-cycle
    /// form, in some 6.1.y stable kernels); 0 = detect.
    std::uint8_t seq_bytes = 0;
};

/// A kallsyms table in target memory, decoded on demand.
///
/// Open it with the array addresses (a kallsyms_layout); then iterate in table
/// order, fetch by index, look up by name or by address. Every read goes
/// through the batch reader in windows, the token table is read once into a
/// fixed buffer, and nothing allocates. All input is treated as hostile:
/// counts, offsets and lengths are checked before use, loops are bounded by
/// the symbol count, and bad data yields `corrupt` (or the reader's `fault`).
template <MemoryReader R, ArchTraits Arch>
class kallsyms_table {
public:
    using word = typename Arch::word;
    /// More symbols than any kernel has (allyesconfig x86-64 has ~1.5M); a
    /// larger count is taken as corruption.
    static constexpr std::uint32_t max_symbols = 1u << 24;
    /// Bytes of the names stream the decoder holds at once.
    static constexpr std::size_t names_window = 4096;
    /// Longest compressed name record accepted (token bytes, type included):
    /// every token expands to at least one character and a name has at most
    /// ksym_name_len of them, so anything longer is corrupt.
    static constexpr std::size_t max_record = 2 * ksym_name_len;
    static_assert(max_record + 2 <= names_window);

    /// Opens the table at `layout` in `reader`. The reader must outlive the table.
    [[nodiscard]] static constexpr result<kallsyms_table> open(R& reader, const kallsyms_layout& layout,
                                                               const kallsyms_options& opts = {}) {
        kallsyms_table t(reader, layout, opts);
        if (status s = t.init(); !s) return s;
        return t;
    }

    /// Number of symbols.
    [[nodiscard]] constexpr std::uint32_t size() const noexcept { return n_; }
    [[nodiscard]] constexpr address_encoding encoding() const noexcept { return enc_; }
    /// The base added to offsets (0 for absolute and place-relative tables).
    [[nodiscard]] constexpr std::uint64_t relative_base() const noexcept { return rb_; }
    [[nodiscard]] constexpr std::uint8_t marker_bytes() const noexcept { return marker_bytes_; }
    [[nodiscard]] constexpr std::uint8_t seq_bytes() const noexcept { return seq_bytes_; }
    [[nodiscard]] constexpr const kallsyms_layout& layout() const noexcept { return layout_; }
    [[nodiscard]] constexpr const token_table& tokens() const noexcept { return tokens_; }
    /// Reader calls made so far (for tests and benchmarks).
    [[nodiscard]] constexpr std::size_t reader_calls() const noexcept { return br_.calls(); }

    /// Words of storage attach_index() needs for this table: about 26 bytes a
    /// symbol (16 for addresses and name offsets, the rest a hash of names).
    [[nodiscard]] constexpr std::size_t index_words() const noexcept {
        return 2 * std::size_t{n_} + hash_slots() / 2;
    }

    /// Lends the table `storage` (at least index_words() elements) to hold
    /// every symbol's address, name offset and name order, and a hash of the
    /// names, all decoded once now (one sequential pass). Afterwards at() and
    /// address_at() are O(1), find_by_address is a search in memory, and
    /// find_by_name is a hash probe and one name comparison (kernels without
    /// kallsyms_seqs_of_names included). Results are identical with or
    /// without it. The storage must outlive the table or the next
    /// detach_index(); ksym never allocates it.
    constexpr status attach_index(std::span<std::uint64_t> storage) {
        detach_index();
        if (storage.size() < index_words()) return {errc::capacity};
        const auto addr = storage.first(n_);
        const auto aux = storage.subspan(n_, n_);
        const auto hash = storage.subspan(2 * std::size_t{n_}, hash_slots() / 2);
        if (status s = addresses(0, addr); !s) return s;
        std::uint64_t off = 0;
        for (std::uint32_t i = 0; i < n_; ++i) {
            if (off > 0xffffffffu) return {errc::unsupported, layout_.names};
            aux[i] = off;
            auto len = record_length(off, sequential);
            if (!len) return len.error();
            off += *len;
        }
        if (layout_.seqs_of_names) {
            std::array<std::byte, 4 * 256> raw;  // filled by each read before use
            for (std::uint32_t first = 0; first < n_; first += 256) {
                const std::uint32_t c = std::min<std::uint32_t>(256, n_ - first);
                const std::uint64_t at = *layout_.seqs_of_names + std::uint64_t{first} * seq_bytes_;
                if (status s = br_.read_bytes(at, std::span(raw).first(std::size_t{c} * seq_bytes_)); !s) return s;
                for (std::uint32_t k = 0; k < c; ++k) {
                    const std::uint64_t v = seq_bytes_ == 3 ? load_n(raw.data() + 3 * k, 3, std::endian::big)
                                                            : load_n(raw.data() + 4 * k, 4, Arch::byte_order);
                    if (v >= n_) return {errc::corrupt, at + std::uint64_t{k} * seq_bytes_};
                    aux[first + k] |= v << 32;
                }
            }
        }
        index_addr_ = addr;
        index_aux_ = aux;
        if (status s = build_name_hash(hash); !s) {
            detach_index();
            return s;
        }
        return {};
    }

    /// Stops using the lent storage.
    constexpr void detach_index() noexcept {
        index_addr_ = {};
        index_aux_ = {};
        index_hash_ = {};
    }
    [[nodiscard]] constexpr bool has_index() const noexcept { return !index_aux_.empty(); }

    /// Address of symbol `i`: one read.
    constexpr result<std::uint64_t> address_at(std::uint32_t i) {
        if (i >= n_) return status{errc::invalid_argument};
        if (!index_addr_.empty()) return index_addr_[i];
        if (enc_ == address_encoding::absolute) {
            auto w = br_.template read_one<word>(*layout_.addresses + std::uint64_t{i} * sizeof(word));
            if (!w) return w.error();
            return std::uint64_t{*w};
        }
        const std::uint64_t at = *layout_.offsets + std::uint64_t{i} * 4;
        auto v = br_.template read_one<std::int32_t>(at);
        if (!v) return v.error();
        return decode_offset(*v, at);
    }

    /// Symbol `i` with its name written into `name_buf` (ksym_name_len bytes
    /// are always enough): one marker read, then at most 255 name records
    /// skipped inside one window.
    constexpr result<kallsyms_symbol> at(std::uint32_t i, std::span<char> name_buf) {
        if (i >= n_) return status{errc::invalid_argument};
        auto off = name_offset(i);
        if (!off) return off.error();
        kallsyms_symbol sym;
        sym.index = i;
        if (auto used = expand(*off, name_buf, sym); !used) return used.error();
        auto a = address_at(i);
        if (!a) return a.error();
        sym.address = *a;
        return sym;
    }

    /// Byte offset of symbol `i`'s record in kallsyms_names.
    constexpr result<std::uint64_t> name_offset(std::uint32_t i) {
        if (i >= n_) return status{errc::invalid_argument};
        if (!index_aux_.empty()) return index_aux_[i] & 0xffffffffu;
        std::uint64_t off = 0;
        if (status s = read_marker(i >> 8, off); !s) return s;
        std::uint32_t left = i & 0xffu;
        while (left > 0) {
            // One read for the whole stretch (records average about a dozen
            // bytes), then skip inside the window while both possible length
            // bytes are in it; a record header at the window's edge takes the
            // checked one-record step.
            const std::size_t guess = std::min<std::size_t>(names_window, 16 * std::size_t{left} + 64);
            auto step = record_length(off, guess);
            if (!step) return step.error();
            off += *step;
            --left;
            if (off < win_off_ || off - win_off_ >= win_len_) continue;  // past the window: checked step
            std::size_t pos = static_cast<std::size_t>(off - win_off_);
            while (left > 0 && pos < win_len_ && win_len_ - pos >= 2) {
                const record r = parse_header(win_.data() + pos);
                pos += r.hdr + r.len;
                --left;
            }
            off = win_off_ + pos;
        }
        return off;
    }

    /// Calls `visit(const kallsyms_symbol&)` for every symbol in table order.
    /// `visit` returns void, bool (false stops) or status (non-ok stops and is
    /// returned). Names are expanded into `name_buf`, valid during the call.
    template <class Visit>
    constexpr status for_each(std::span<char> name_buf, Visit&& visit) {
        return for_each_in(0, n_, name_buf, visit);
    }

    /// Like for_each, over symbols [first, last).
    template <class Visit>
    constexpr status for_each_in(std::uint32_t first, std::uint32_t last, std::span<char> name_buf, Visit&& visit) {
        if (first > last || last > n_) return {errc::invalid_argument};
        if (first == last) return {};
        auto start = name_offset(first);
        if (!start) return start.error();
        std::uint64_t off = *start;
        constexpr std::uint32_t block = 512;
        std::array<std::uint64_t, block> addrs{};
        for (std::uint32_t base = first; base < last; base += block) {
            const std::uint32_t count = std::min<std::uint32_t>(block, last - base);
            if (status s = addresses(base, std::span(addrs).first(count)); !s) return s;
            for (std::uint32_t k = 0; k < count; ++k) {
                kallsyms_symbol sym;
                sym.index = base + k;
                sym.address = addrs[k];
                std::size_t used = expand_in_window(off, name_buf, sym);
                if (used == 0) {
                    auto checked = expand(off, name_buf, sym, sequential);
                    if (!checked) return checked.error();
                    used = static_cast<std::size_t>(*checked);
                }
                off += used;
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

    /// The symbol named `name` (without its type letter). With
    /// kallsyms_seqs_of_names present this is a binary search (the kernel's
    /// kallsyms_lookup_names); otherwise a linear scan in table order (the
    /// kernel's pre-6.2 kallsyms_lookup_name). Among equal names the one with
    /// the lowest address wins, as in the kernel. `name_buf` receives the
    /// table's spelling of the name (which may carry an ignored suffix).
    constexpr result<kallsyms_symbol> find_by_name(std::string_view name, std::span<char> name_buf) {
        if (name.empty()) return status{errc::not_found};
        if (name_buf.size() < 2) return status{errc::capacity};
        if (!index_hash_.empty()) return find_by_name_hashed(name, name_buf);
        if (layout_.seqs_of_names) return find_by_name_sorted(name, name_buf);
        return find_by_name_linear(name, name_buf);
    }

    /// The linear search, regardless of kallsyms_seqs_of_names (the
    /// kernel's pre-6.2 algorithm; a cross-check for the sorted one).
    constexpr result<kallsyms_symbol> find_by_name_linear(std::string_view name, std::span<char> name_buf) {
        std::optional<kallsyms_symbol> found;
        std::size_t found_len = 0;
        // Exact matches win over suffix-stripped ones, as the kernel tried
        // strcmp first and the cleaned-up name second.
        std::optional<std::uint32_t> stripped;
        const status s = for_each(name_buf, [&](const kallsyms_symbol& sym) {
            if (sym.name == name) {
                found = sym;
                found_len = sym.name.size();
                return false;
            }
            if (!stripped && cleanup(sym.name) == name) stripped = sym.index;
            return true;
        });
        if (!s) return s;
        if (found) {
            found->name = std::string_view(name_buf.data(), found_len);
            return *found;
        }
        if (stripped) return at(*stripped, name_buf);
        return status{errc::not_found};
    }

    /// The symbol containing `addr`: the last symbol whose address is <= addr,
    /// then back to the first of its aliases (same address), with the size up
    /// to the next higher address.
    ///
    /// Without a lent index, the first call samples 1024 evenly spaced
    /// addresses into the table object (1024 small reads); every call then
    /// narrows to one block with that in-memory sample, reads the block in
    /// one call and finishes in memory: two or three reads a lookup.
    constexpr result<address_match> find_by_address(std::uint64_t addr) {
        if (n_ == 0) return status{errc::not_found};
        if (!index_addr_.empty()) return find_by_address_in(index_addr_, 0, addr);
        if (sample_stride_ == 0) {
            if (status s = build_address_sample(); !s) return s;
        }
        if (addr < sample_[0]) return status{errc::not_found};
        // Last sample <= addr; the answer lies in its stretch of the table.
        const auto k = static_cast<std::uint32_t>(
                           last_at_or_below(std::span<const std::uint64_t>(sample_).first(sample_count_), addr)) +
                       1;
        std::uint32_t lo = (k - 1) * sample_stride_;
        std::uint32_t hi = k < sample_count_ ? k * sample_stride_ + 1 : n_;  // one past: the next stretch's first
        hi = std::min(hi, n_);
        // Stretches longer than a block (tables over 256k symbols) narrow with single reads.
        while (hi - lo > address_block + 1) {
            const std::uint32_t mid = lo + (hi - lo) / 2;
            auto am = address_at(mid);
            if (!am) return am.error();
            if (*am <= addr) lo = mid;
            else hi = mid;
        }
        // The block is read raw and only the probed entries are decoded
        // (about ten of up to 257).
        std::array<std::byte, (address_block + 1) * 8> raw;  // filled by the read before use
        const std::size_t width = enc_ == address_encoding::absolute ? sizeof(word) : 4;
        const std::uint64_t from =
            (enc_ == address_encoding::absolute ? *layout_.addresses : *layout_.offsets) + std::uint64_t{lo} * width;
        if (status s = br_.read_bytes(from, std::span(raw).first((hi - lo) * width)); !s) return s;
        const auto entry = [&](std::size_t j) {
            const std::uint64_t v = load_n(raw.data() + j * width, width, Arch::byte_order);
            if (enc_ == address_encoding::absolute) return v;
            return decode_offset(static_cast<std::int32_t>(static_cast<std::uint32_t>(v)), from + 4 * j);
        };
        const std::size_t count = hi - lo;
        if (addr < entry(0)) return status{errc::not_found};
        return match_from(entry, count, last_at_or_below(count, entry, addr), lo, addr);
    }

    /// Decodes the addresses of symbols [first, first + out.size()) into out,
    /// one read.
    constexpr status addresses(std::uint32_t first, std::span<std::uint64_t> out) {
        if (out.empty()) return {};
        if (first >= n_ || out.size() > n_ - first) return {errc::invalid_argument};
        if (enc_ == address_encoding::absolute) {
            constexpr std::size_t chunk = 256;
            std::array<word, chunk> raw;  // filled by the read before use
            for (std::size_t k = 0; k < out.size(); k += chunk) {
                const std::size_t c = std::min(chunk, out.size() - k);
                if (status s = br_.read_array(*layout_.addresses + (first + k) * sizeof(word), std::span(raw).first(c)); !s)
                    return s;
                for (std::size_t j = 0; j < c; ++j) out[k + j] = raw[j];
            }
            return {};
        }
        constexpr std::size_t chunk = 512;
        std::array<std::int32_t, chunk> raw;  // filled by the read before use
        for (std::size_t k = 0; k < out.size(); k += chunk) {
            const std::size_t c = std::min(chunk, out.size() - k);
            const std::uint64_t at = *layout_.offsets + (first + k) * 4;
            if (status s = br_.read_array(at, std::span(raw).first(c)); !s) return s;
            for (std::size_t j = 0; j < c; ++j) out[k + j] = decode_offset(raw[j], at + 4 * j);
        }
        return {};
    }

    /// Decides between base-relative and absolute-percpu from the offsets:
    /// an absolute-percpu table stores every ordinary symbol as a negative
    /// offset (only per-CPU symbols are >= 0), while a base-relative table
    /// never has bit 31 set (that would need a kernel over 2 GiB). So: more
    /// than half negative means absolute-percpu. vmlinux-to-elf uses the same
    /// majority rule; a table whose offsets are all zero stays base-relative.
    constexpr result<address_encoding> infer_relative_encoding() {
        std::array<std::int32_t, 1024> window{};
        std::uint64_t negative = 0;
        if (status s = br_.for_each_window(*layout_.offsets, n_, std::span(window),
                                           [&](std::uint64_t, std::span<const std::int32_t> c) {
                                               for (auto v : c) negative += v < 0 ? 1u : 0u;
                                               return status{};
                                           });
            !s)
            return s;
        return negative * 2 > n_ ? address_encoding::absolute_percpu : address_encoding::base_relative;
    }

private:
    constexpr kallsyms_table(R& reader, const kallsyms_layout& layout, const kallsyms_options& opts) noexcept
        : br_(reader), layout_(layout), opts_(opts) {}

    constexpr status init() {
        // kallsyms_num_syms is a u32 since 4.20 and a target word before; on a
        // big-endian 64-bit target the word's low half is the second u32.
        auto n32 = br_.template read_one<std::uint32_t>(layout_.num_syms);
        if (!n32) return n32.error();
        std::uint64_t n = *n32;
        if (n == 0 && sizeof(word) == 8 && Arch::byte_order == std::endian::big) {
            auto n64 = br_.template read_one<std::uint64_t>(layout_.num_syms);
            if (!n64) return n64.error();
            n = *n64;
        }
        if (n == 0 || n > max_symbols) return {errc::corrupt, layout_.num_syms};
        n_ = static_cast<std::uint32_t>(n);

        if (!layout_.addresses && !layout_.offsets) return {errc::invalid_argument};
        if (status s = tokens_.load(br_, layout_.token_table, layout_.token_index); !s) return s;

        if (status s = init_markers(); !s) return s;

        if (opts_.encoding) {
            enc_ = *opts_.encoding;
        } else {
            enc_ = encoding_from_layout(layout_);
        }
        if (enc_ == address_encoding::absolute && !layout_.addresses) return {errc::invalid_argument};
        if (enc_ != address_encoding::absolute && !layout_.offsets) return {errc::invalid_argument};
        if (enc_ == address_encoding::base_relative || enc_ == address_encoding::absolute_percpu) {
            if (layout_.relative_base_value) {
                rb_ = *layout_.relative_base_value;
            } else if (layout_.relative_base) {
                auto rb = br_.template read_one<word>(*layout_.relative_base);
                if (!rb) return rb.error();
                rb_ = *rb;
            } else {
                return {errc::invalid_argument};
            }
            if (!opts_.encoding) {
                auto e = infer_relative_encoding();
                if (!e) return e.error();
                enc_ = *e;
            }
        }

        if (layout_.seqs_of_names) {
            if (status s = init_seqs(); !s) return s;
        }

        // Decode the first symbol as a sanity check: garbage layouts fail here
        // rather than on first use.
        std::array<char, ksym_name_len> buf{};
        kallsyms_symbol first;
        auto used = expand(0, std::span(buf), first);
        if (!used) return used.error();
        return {};
    }

    constexpr status init_markers() {
        const std::uint32_t markers = (n_ + 255) / 256;
        marker_bytes_ = layout_.marker_bytes;
        if (marker_bytes_ == 0) {
            // u32 since 4.20, a target word before. marker[0] is always 0; as
            // u32s, a word-sized table reads 0, 0 where a u32 table reads 0,
            // offset-of-symbol-256 (never 0).
            marker_bytes_ = 4;
            if (sizeof(word) == 8 && markers > 1) {
                std::array<std::uint32_t, 2> head{};
                if (status s = br_.read_array(layout_.markers, std::span(head)); !s) return s;
                if (head[0] == 0 && head[1] == 0) marker_bytes_ = 8;
            }
        }
        if (marker_bytes_ != 4 && marker_bytes_ != 8) return {errc::invalid_argument};
        std::uint64_t m0 = 0;
        if (status s = read_marker(0, m0); !s) return s;
        if (m0 != 0) return {errc::corrupt, layout_.markers};
        return {};
    }

    constexpr status init_seqs() {
        seq_bytes_ = opts_.seq_bytes;
        if (seq_bytes_ == 0) {
            // Both forms are permutations of [0, n): the form under which a
            // sample of entries stays below n is the real one; 3 wins ties.
            auto valid = [&](std::uint8_t width) -> result<bool> {
                const std::uint32_t sample = std::min<std::uint32_t>(n_, 64);
                std::array<std::byte, 64 * 4> raw{};
                if (status s = br_.read_bytes(*layout_.seqs_of_names, std::span(raw).first(sample * width)); !s)
                    return s;
                for (std::uint32_t k = 0; k < sample; ++k) {
                    const std::uint64_t v = width == 3 ? load_n(raw.data() + 3 * k, 3, std::endian::big)
                                                       : load_n(raw.data() + 4 * k, 4, Arch::byte_order);
                    if (v >= n_) return false;
                }
                return true;
            };
            auto three = valid(3);
            if (!three) return three.error();
            seq_bytes_ = 3;
            if (!*three) {
                auto four = valid(4);
                if (!four) return four.error();
                if (*four) seq_bytes_ = 4;
                else return {errc::corrupt, *layout_.seqs_of_names};
            }
        }
        if (seq_bytes_ != 3 && seq_bytes_ != 4) return {errc::invalid_argument};
        return {};
    }

    constexpr status read_marker(std::uint32_t m, std::uint64_t& off) {
        if (marker_bytes_ == 8) {
            auto v = br_.template read_one<std::uint64_t>(layout_.markers + std::uint64_t{m} * 8);
            if (!v) return v.error();
            off = *v;
        } else {
            auto v = br_.template read_one<std::uint32_t>(layout_.markers + std::uint64_t{m} * 4);
            if (!v) return v.error();
            off = *v;
        }
        return {};
    }

    constexpr result<std::uint32_t> seq_at(std::uint32_t k) {
        if (!index_aux_.empty()) return static_cast<std::uint32_t>(index_aux_[k] >> 32);
        std::array<std::byte, 4> raw{};
        const std::uint64_t at = *layout_.seqs_of_names + std::uint64_t{k} * seq_bytes_;
        if (status s = br_.read_bytes(at, std::span(raw).first(seq_bytes_)); !s) return s;
        const std::uint64_t v = seq_bytes_ == 3 ? load_n(raw.data(), 3, std::endian::big)
                                                : load_n(raw.data(), 4, Arch::byte_order);
        if (v >= n_) return status{errc::corrupt, at};
        return static_cast<std::uint32_t>(v);
    }

    constexpr std::uint64_t decode_offset(std::int32_t v, std::uint64_t where) const noexcept {
        const std::uint64_t u = static_cast<std::uint32_t>(v);
        const std::uint64_t sx = static_cast<std::uint64_t>(static_cast<std::int64_t>(v));
        std::uint64_t a = 0;
        switch (enc_) {
        case address_encoding::base_relative: a = rb_ + u; break;
        case address_encoding::absolute_percpu: a = v >= 0 ? u : rb_ - 1 - sx; break;
        case address_encoding::place_relative: a = where + sx; break;
        case address_encoding::absolute: a = u; break;
        }
        return static_cast<word>(a);  // the kernel computes in unsigned long
    }

    // Makes [off, off + need) of the names stream available in the window and
    // returns a pointer to it. On a miss, `prefetch` bytes are read (a whole
    // window when walking in order, a few dozen for a random access); if that
    // runs into unreadable memory, exactly what is needed.
    constexpr result<const std::byte*> names_at(std::uint64_t off, std::size_t need, std::size_t prefetch) {
        // Written so that no sum can wrap: `off` may come from hostile markers.
        if (off >= win_off_ && off - win_off_ < win_len_ && need <= win_len_ - (off - win_off_))
            return win_.data() + (off - win_off_);
        if (need > win_.size() || off > UINT64_MAX - layout_.names || !range_fits(layout_.names + off, need))
            return status{errc::corrupt, layout_.names};
        win_len_ = 0;
        const std::uint64_t at = layout_.names + off;
        const std::size_t want = std::min(win_.size(), std::max(need, prefetch));
        if (br_.read_bytes(at, std::span(win_).first(want)).ok()) {
            win_len_ = want;
        } else {
            if (status s = br_.read_bytes(at, std::span(win_).first(need)); !s) return s;
            win_len_ = need;
        }
        win_off_ = off;
        return win_.data();
    }

    // Window sizes for the three access patterns.
    static constexpr std::size_t sequential = names_window;
    static constexpr std::size_t random = 64;

    struct record {
        std::uint8_t hdr;  // 1 or 2 length bytes
        std::size_t len;   // token bytes after the header
    };

    // The length header at `p`: one byte, or two when the first has bit 7
    // set (long names, 6.1+). p[1] is read only in the second case.
    static constexpr record parse_header(const std::byte* p) noexcept {
        const auto b0 = static_cast<std::uint8_t>(p[0]);
        if (!(b0 & 0x80)) return record{1, b0};
        return record{2, std::size_t{b0 & 0x7fu} | (std::size_t{static_cast<std::uint8_t>(p[1])} << 7)};
    }

    // The length header of the record at `off`, checked.
    constexpr result<record> read_record(std::uint64_t off, std::size_t prefetch) {
        auto p = names_at(off, 1, prefetch);
        if (!p) return p.error();
        if (static_cast<std::uint8_t>((*p)[0]) & 0x80) {
            p = names_at(off, 2, prefetch);
            if (!p) return p.error();
        }
        const record r = parse_header(*p);
        if (r.len == 0 || r.len > max_record) return status{errc::corrupt, layout_.names + off};
        return r;
    }

    // Header + body size of the record at `off`.
    constexpr result<std::uint64_t> record_length(std::uint64_t off, std::size_t prefetch) {
        auto r = read_record(off, prefetch);
        if (!r) return r.error();
        return std::uint64_t{r->hdr} + r->len;
    }

    // Expands the record at `off` into name_buf (NUL-terminated) and fills
    // sym.type / sym.name. Returns the record's size.
    constexpr result<std::uint64_t> expand(std::uint64_t off, std::span<char> name_buf, kallsyms_symbol& sym,
                                           std::size_t prefetch = random) {
        auto r = read_record(off, prefetch);
        if (!r) return r.error();
        const std::size_t hdr = r->hdr;
        const std::size_t len = r->len;
        auto p = names_at(off, hdr + len, prefetch);
        if (!p) return p.error();
        const std::byte* rec = *p + hdr;
        if (name_buf.empty()) return status{errc::capacity};
        const std::size_t cap = name_buf.size() - 1;  // room for the NUL
        char* out = name_buf.data();
        std::size_t n = 0;
        std::size_t k = 0;
        // The first character of the expansion is the type letter. Tokens
        // may be empty in hostile tables, so skip until one has text.
        bool have_type = false;
        for (; k < len && !have_type; ++k) {
            const auto t = static_cast<std::uint8_t>(rec[k]);
            const std::size_t tl = tokens_.length(t);
            if (tl == 0) continue;
            sym.type = tokens_.data(t)[0];
            if (tl - 1 > cap) return status{errc::capacity, layout_.names + off};
            std::copy_n(tokens_.data(t) + 1, tl - 1, out);
            n = tl - 1;
            have_type = true;
        }
        if (!have_type) return status{errc::corrupt, layout_.names + off};
        for (; k < len; ++k) {
            const auto t = static_cast<std::uint8_t>(rec[k]);
            const std::size_t tl = tokens_.length(t);
            if (tl <= token_table::pad && n + token_table::pad <= cap) {
                // Fast path: one fixed-width copy; the bytes past tl are overwritten later or ignored.
                const auto& slot = tokens_.padded(t);
                std::copy_n(slot.data(), token_table::pad, out + n);
            } else {
                if (tl > cap - n) return status{errc::capacity, layout_.names + off};
                std::copy_n(tokens_.data(t), tl, out + n);
            }
            n += tl;
        }
        name_buf[n] = '\0';
        sym.name = std::string_view(name_buf.data(), n);
        return std::uint64_t{hdr} + len;
    }

    // The in-order walk's fast path: a record wholly inside the names window
    // whose tokens all fit their padded slots, expanded with one fixed-width
    // copy per token and no per-token bounds check (len * pad <= capacity
    // bounds every copy). Returns the record size, or 0 when the checked
    // expand() must handle it (window edge, long tokens, empty first token,
    // small buffer, corrupt header) - it then redoes the record from scratch.
    constexpr std::size_t expand_in_window(std::uint64_t off, std::span<char> name_buf,
                                           kallsyms_symbol& sym) const noexcept {
        if (off < win_off_ || off - win_off_ >= win_len_) return 0;
        const auto pos = static_cast<std::size_t>(off - win_off_);
        const std::size_t left = win_len_ - pos;
        if (left < 2 || name_buf.empty()) return 0;
        const std::byte* p = win_.data() + pos;
        const auto [hdr, len] = parse_header(p);
        if (len == 0 || hdr + len > left || len * token_table::pad > name_buf.size() - 1) return 0;
        const std::byte* rec = p + hdr;
        char* out = name_buf.data();
        const auto t0 = static_cast<std::uint8_t>(rec[0]);
        const std::size_t tl0 = tokens_.length(t0);
        if (tl0 == 0 || tl0 > token_table::pad) return 0;
        std::copy_n(tokens_.padded_tail(t0).data(), token_table::pad, out);
        std::size_t n = tl0 - 1;
        for (std::size_t k = 1; k < len; ++k) {
            const auto t = static_cast<std::uint8_t>(rec[k]);
            const std::size_t tl = tokens_.length(t);
            if (tl > token_table::pad) return 0;
            std::copy_n(tokens_.padded(t).data(), token_table::pad, out + n);
            n += tl;
        }
        out[n] = '\0';
        sym.type = tokens_.padded(t0)[0];
        sym.name = std::string_view(out, n);
        return hdr + len;
    }

    // Entries of the address sample, and the most a block read covers.
    static constexpr std::uint32_t address_samples = 1024;
    static constexpr std::uint32_t address_block = 256;

    constexpr status build_address_sample() {
        const std::uint32_t stride = (n_ + address_samples - 1) / address_samples;
        std::uint32_t count = 0;
        for (std::uint64_t i = 0; i < n_; i += stride) {
            auto a = address_at(static_cast<std::uint32_t>(i));
            if (!a) return a.error();
            sample_[count++] = *a;
        }
        sample_stride_ = stride;
        sample_count_ = count;
        return {};
    }

    // Index of the last element <= addr in sorted `a` (a[0] <= addr). The
    // halving is branch-free (the compiler emits a conditional move): a
    // random address defeats any branch predictor, and a mispredicted probe
    // costs more than the probe. The four candidates two probes ahead are
    // prefetched, so that on tables larger than the cache the memory
    // latencies of successive probes overlap instead of adding up.
    // `entry(j)` gives element j of count; `memory`, when the elements sit
    // in memory as they are, is where to prefetch.
    template <class Entry>
    static constexpr std::size_t last_at_or_below(std::size_t count, Entry&& entry, std::uint64_t addr,
                                                  const std::uint64_t* memory = nullptr) noexcept {
        std::size_t base = 0;
        for (std::size_t len = count; len > 1;) {
            const std::size_t half = len / 2;
            if (memory && !std::is_constant_evaluated()) {
                const std::size_t h2 = (len - half) / 2, h3 = (len - half - h2) / 2;
                __builtin_prefetch(memory + base + h2 + h3);
                __builtin_prefetch(memory + base + half + h2 + h3);
                __builtin_prefetch(memory + base + h3);
                __builtin_prefetch(memory + base + half + h3);
            }
            base += entry(base + half) <= addr ? half : 0;
            len -= half;
        }
        return base;
    }
    static constexpr std::size_t last_at_or_below(std::span<const std::uint64_t> a, std::uint64_t addr) noexcept {
        return last_at_or_below(a.size(), [a](std::size_t j) { return a[j]; }, addr, a.data());
    }

    // find_by_address over decoded addresses (the lent index).
    constexpr result<address_match> find_by_address_in(std::span<const std::uint64_t> addrs, std::uint32_t first,
                                                       std::uint64_t addr) {
        if (addrs.empty() || addr < addrs[0]) return status{errc::not_found};
        return match_from([&](std::size_t j) { return addrs[j]; }, addrs.size(), last_at_or_below(addrs, addr), first,
                          addr);
    }

    // The match once entry `lo` of a stretch is known to be the last address
    // <= addr: `entry(j)` gives the addresses of symbols [first, first +
    // count). The first alias and the next higher address may lie outside the
    // stretch; those are read one at a time, bounded by the table size.
    template <class Entry>
    constexpr result<address_match> match_from(Entry&& entry, std::size_t count, std::size_t lo, std::uint32_t first,
                                               std::uint64_t addr) {
        const std::uint64_t at = entry(lo);
        address_match m{first + static_cast<std::uint32_t>(lo), at, addr - at, 0};
        std::size_t a = lo;
        while (a > 0 && entry(a - 1) == at) --a;
        m.index = first + static_cast<std::uint32_t>(a);
        if (a == 0) {
            while (m.index > 0) {
                auto prev = address_at(m.index - 1);
                if (!prev) return prev.error();
                if (*prev != at) break;
                --m.index;
            }
        }
        std::size_t j = lo + 1;
        while (j < count && entry(j) <= at) ++j;
        if (j < count) {
            m.size = entry(j) - at;
        } else {
            for (std::uint64_t g = std::uint64_t{first} + j; g < n_; ++g) {
                auto next = address_at(static_cast<std::uint32_t>(g));
                if (!next) return next.error();
                if (*next > at) {
                    m.size = *next - at;
                    break;
                }
            }
        }
        return m;
    }

    constexpr std::string_view cleanup(std::string_view name) const noexcept {
        switch (opts_.suffix_rule) {
        case name_suffix_rule::exact: return name;
        case name_suffix_rule::strip_from_first_dot: {
            const auto dot = name.find('.');
            return dot == std::string_view::npos ? name : name.substr(0, dot);
        }
        case name_suffix_rule::strip_llvm: {
            const auto at = name.find(".llvm.");
            return at == std::string_view::npos ? name : name.substr(0, at);
        }
        }
        return name;
    }

    // Compares the (cleaned) name of the record at `off` with `name`:
    // negative, zero or positive like strcmp. With exact names the tokens are
    // compared as they are read and the walk stops at the first difference;
    // suffix rules need the whole name, expanded into `scratch`.
    constexpr result<int> compare_name(std::uint64_t off, std::string_view name, std::span<char> scratch) {
        if (opts_.suffix_rule != name_suffix_rule::exact) {
            kallsyms_symbol sym;
            if (auto used = expand(off, scratch, sym); !used) return used.error();
            const std::string_view have = cleanup(sym.name);
            return have < name ? -1 : have == name ? 0 : 1;
        }
        auto r = read_record(off, random);
        if (!r) return r.error();
        auto p = names_at(off, r->hdr + r->len, random);
        if (!p) return p.error();
        const int c = compare_tokens(std::span<const std::byte>(*p + r->hdr, r->len), name);
        if (c < -1) return status{errc::corrupt, layout_.names + off};
        return c;
    }

    // strcmp-like comparison of the name a record's token bytes spell (type
    // letter dropped) with `name`: -1, 0 or 1; -2 when no token has text.
    constexpr int compare_tokens(std::span<const std::byte> rec, std::string_view name) const noexcept {
        std::size_t pos = 0;
        bool have_type = false;
        for (const std::byte b : rec) {
            const auto t = static_cast<std::uint8_t>(b);
            const char* tok = tokens_.data(t);
            std::size_t tl = tokens_.length(t);
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

    // The name hash: open addressing, linear probing, at most half full.
    // Each 32-bit slot holds an 8-bit tag from the hash and index + 1 (24
    // bits; 0 = empty); two slots share a word of the lent storage. Only for
    // exact names: suffix rules make several spellings equal.
    [[nodiscard]] constexpr std::size_t hash_slots() const noexcept {
        if (n_ == 0 || n_ >= (1u << 24) - 1 || opts_.suffix_rule != name_suffix_rule::exact) return 0;
        return std::bit_ceil(2 * std::size_t{n_});
    }
    static constexpr std::uint64_t name_hash(std::string_view name) noexcept {
        std::uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a
        for (const char c : name) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
        return h ^ (h >> 29);
    }
    static constexpr std::uint32_t slot_get(std::span<const std::uint64_t> w, std::size_t k) noexcept {
        return static_cast<std::uint32_t>(w[k / 2] >> (32 * (k & 1)));
    }
    static constexpr void slot_set(std::span<std::uint64_t> w, std::size_t k, std::uint32_t v) noexcept {
        const unsigned shift = 32 * static_cast<unsigned>(k & 1);
        w[k / 2] = (w[k / 2] & ~(std::uint64_t{0xffffffffu} << shift)) | (std::uint64_t{v} << shift);
    }

    // Inserts every name in table order; a name already present keeps its
    // first (lowest-address) symbol, which is the kernel's answer.
    constexpr status build_name_hash(std::span<std::uint64_t> words) {
        if (words.empty()) return {};
        std::fill(words.begin(), words.end(), 0);
        const std::size_t mask = hash_slots() - 1;
        std::array<char, ksym_name_len> buf{};
        std::uint64_t off = 0;
        for (std::uint32_t i = 0; i < n_; ++i) {
            kallsyms_symbol sym;
            auto used = expand(off, std::span(buf), sym, sequential);
            if (!used) return used.error();
            const std::uint64_t next_off = off + *used;
            const std::uint64_t h = name_hash(sym.name);
            const auto tag = static_cast<std::uint32_t>(h >> 56);
            const std::string_view name = sym.name;
            bool present = false;
            std::size_t k = static_cast<std::size_t>(h) & mask;
            for (std::size_t probes = 0; probes <= mask; ++probes, k = (k + 1) & mask) {
                const std::uint32_t v = slot_get(words, k);
                if (v == 0) break;
                if ((v >> 24) != tag) continue;
                // Expanded outside the names window, which keeps serving this
                // sequential pass: moving it here would cost a refill per probe.
                const std::uint64_t other = index_aux_[(v & 0xffffffu) - 1] & 0xffffffffu;
                std::array<std::byte, max_record + 2> rec;  // filled by the reads before use
                if (status s = br_.read_bytes(layout_.names + other, std::span(rec).first(1)); !s) return s;
                if (static_cast<std::uint8_t>(rec[0]) & 0x80) {
                    if (status s = br_.read_bytes(layout_.names + other + 1, std::span(rec).subspan(1, 1)); !s) return s;
                }
                const auto [hdr, len] = parse_header(rec.data());
                if (len > max_record) return {errc::corrupt, layout_.names + other};
                if (status s = br_.read_bytes(layout_.names + other + hdr, std::span(rec).subspan(hdr, len)); !s)
                    return s;
                auto c = compare_tokens(std::span<const std::byte>(rec).subspan(hdr, len), name);
                if (c < -1) return {errc::corrupt, layout_.names + other};
                if (c == 0) {
                    present = true;
                    break;
                }
            }
            if (!present) slot_set(words, k, (tag << 24) | (i + 1));
            off = next_off;
        }
        index_hash_ = words;
        return {};
    }

    constexpr result<kallsyms_symbol> find_by_name_hashed(std::string_view name, std::span<char> name_buf) {
        const std::size_t mask = hash_slots() - 1;
        const std::uint64_t h = name_hash(name);
        const auto tag = static_cast<std::uint32_t>(h >> 56);
        std::size_t k = static_cast<std::size_t>(h) & mask;
        for (std::size_t probes = 0; probes <= mask; ++probes, k = (k + 1) & mask) {
            const std::uint32_t v = slot_get(index_hash_, k);
            if (v == 0) break;
            if ((v >> 24) != tag) continue;
            const std::uint32_t i = (v & 0xffffffu) - 1;
            auto c = compare_name(index_aux_[i] & 0xffffffffu, name, name_buf);
            if (!c) return c.error();
            if (*c == 0) return at(i, name_buf);
        }
        return status{errc::not_found};
    }

    // Binary search over kallsyms_seqs_of_names for the first entry whose
    // (cleaned) name is >= `name`, as kallsyms_lookup_names does.
    //
    // Every search starts down the same few probes, so the name offsets of
    // the first probe_levels levels of that implicit tree are kept in the
    // table object as searches find them: those probes then cost one record
    // read instead of a seq read, a marker seek and up to 255 record skips.
    constexpr result<kallsyms_symbol> find_by_name_sorted(std::string_view name, std::span<char> name_buf) {
        std::uint32_t lo = 0, hi = n_;
        std::size_t node = 0;  // the probe's place in the tree: children 2k+1 (left), 2k+2 (right)
        while (lo < hi) {
            const std::uint32_t mid = lo + (hi - lo) / 2;
            std::uint64_t off = 0;
            if (node < probe_cache_.size() && probe_cache_[node] != 0) {
                off = probe_cache_[node] - 1;
            } else {
                auto seq = seq_at(mid);
                if (!seq) return seq.error();
                auto o = name_offset(*seq);
                if (!o) return o.error();
                off = *o;
                if (node < probe_cache_.size() && off < 0xffffffffu) probe_cache_[node] = static_cast<std::uint32_t>(off + 1);
            }
            auto c = compare_name(off, name, name_buf);
            if (!c) return c.error();
            if (*c < 0) {
                lo = mid + 1;
                node = 2 * node + 2;
            } else {
                hi = mid;
                node = 2 * node + 1;
            }
        }
        if (lo >= n_) return status{errc::not_found};
        auto seq = seq_at(lo);
        if (!seq) return seq.error();
        auto sym = at(*seq, name_buf);
        if (!sym) return sym.error();
        if (cleanup(sym->name) != name) return status{errc::not_found};
        return sym;
    }

    batch_reader<R, Arch> br_;
    kallsyms_layout layout_;
    kallsyms_options opts_;
    token_table tokens_{};
    std::uint32_t n_ = 0;
    address_encoding enc_ = address_encoding::absolute;
    std::uint64_t rb_ = 0;
    std::uint8_t marker_bytes_ = 4;
    std::uint8_t seq_bytes_ = 3;
    std::span<std::uint64_t> index_addr_{};  // caller-lent: decoded addresses
    std::span<std::uint64_t> index_aux_{};   // caller-lent: name offset (low 32) | name order (high 32)
    std::span<std::uint64_t> index_hash_{};  // caller-lent: name hash slots (see build_name_hash)
    std::array<std::uint64_t, address_samples> sample_{};  // address of every sample_stride_-th symbol
    std::uint32_t sample_stride_ = 0;                      // 0: not sampled yet
    std::uint32_t sample_count_ = 0;
    // Name offset + 1 (0: not yet known) of the first probes of the sorted
    // name search, in tree order (see find_by_name_sorted).
    static constexpr std::size_t probe_levels = 11;
    std::array<std::uint32_t, (std::size_t{1} << probe_levels) - 1> probe_cache_{};
    std::array<std::byte, names_window> win_{};
    std::uint64_t win_off_ = 0;
    std::size_t win_len_ = 0;
};

}  // namespace ksym
