#pragma once
// Stage 1 without a map: find a kallsyms table in an image's bytes alone.
//
// Nothing is assumed about where the arrays sit relative to each other
// (their order changed across kernel versions); each is found by what it
// must hold and checked against the others:
// 1. kallsyms_token_index: 256 ascending u16 offsets from 0, read in either
//    byte order, with kallsyms_token_table within 16 KiB of it: printable
//    tokens whose every start the index names, just after a NUL.
// 2. kallsyms_markers: a run of at least four ascending offsets (u32, or
//    words on 64-bit kernels before 4.20) from 0, anywhere in the image.
//    For each, kallsyms_num_syms is a count N before it whose names stream,
//    decoded from just after the count, gives exactly N records, each
//    starting with an nm type letter, the 256k-th at marker k, and ends in
//    zero padding where the markers begin. Tables of 768 symbols or fewer
//    (too few markers to scan for) are searched for within 256 KiB before
//    the token table, by the same checks.
// 3. The addresses: N entries at an edge of an array found so far, sorted
//    under one of the four encodings; base-relative offsets start at 0 (the
//    base is the lowest address), absolute-percpu ones at a per-CPU run then
//    -1. A relative base is the word after them.
// 4. kallsyms_seqs_of_names (optional): N entries at an edge, a permutation
//    of 0..N-1 by range, sum and xor, ordering a sample of names.
// The search is bounded: at most `max_candidates` token indexes and marker
// runs are examined, each check reads only inside the image, and random
// data ends in `not_found`.

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "ksym/core/errc.hpp"
#include "ksym/core/result.hpp"
#include "ksym/kallsyms/detail/scan_arrays.hpp"
#include "ksym/kallsyms/layout.hpp"

namespace ksym {

/// One consistency check a scan result passed.
enum class scan_check : std::uint16_t {
    token_table = 1u << 0,       ///< the token index names every token start in a printable token table
    names_count = 1u << 1,       ///< the names stream holds exactly num_syms records
    names_end = 1u << 2,         ///< ... and ends (zero padding aside) where the markers begin
    markers = 1u << 3,           ///< every marker is the offset of record 256k
    type_letters = 1u << 4,      ///< every name starts with an nm type letter
    addresses_sorted = 1u << 5,  ///< the addresses ascend under the encoding found
    base_lowest = 1u << 6,       ///< the first relative entry is the base (offset 0, or -1 after per-CPU ones)
    seqs_permutation = 1u << 7,  ///< seqs_of_names is a permutation of 0..num_syms-1 (range, sum, xor)
    seqs_sorted = 1u << 8,       ///< names taken in seqs order ascend (every pair up to 4097 symbols, else 64)
};

/// Short name of a check, for reports.
[[nodiscard]] constexpr std::string_view to_string(scan_check c) noexcept {
    switch (c) {
    case scan_check::token_table: return "token-table";
    case scan_check::names_count: return "names-count";
    case scan_check::names_end: return "names-end";
    case scan_check::markers: return "markers";
    case scan_check::type_letters: return "type-letters";
    case scan_check::addresses_sorted: return "addresses-sorted";
    case scan_check::base_lowest: return "base-lowest";
    case scan_check::seqs_permutation: return "seqs-permutation";
    case scan_check::seqs_sorted: return "seqs-sorted";
    }
    return "?";
}

/// What a scan found. The layout holds offsets into the scanned bytes, not
/// addresses: the caller knows how the bytes map to the kernel's addresses.
struct kallsyms_scan {
    kallsyms_layout layout;
    std::uint32_t count = 0;                       ///< kallsyms_num_syms
    std::endian byte_order = std::endian::little;  ///< as the token index reads
    address_encoding encoding = address_encoding::absolute;
    std::uint8_t word_bytes = 8;                   ///< of the relative base or absolute addresses, as scanned
    std::uint8_t marker_bytes = 4;
    std::uint8_t seq_bytes = 0;                    ///< 0 without seqs_of_names
    std::uint64_t stored_relative_base = 0;        ///< the value in the bytes (0 in raw arm64 Images)
    std::uint16_t checks = 0;                      ///< scan_check bits that held

    [[nodiscard]] constexpr bool passed(scan_check c) const noexcept {
        return (checks & static_cast<std::uint16_t>(c)) != 0;
    }
    friend constexpr bool operator==(const kallsyms_scan&, const kallsyms_scan&) noexcept = default;
};

/// What the caller knows about the image; each unknown is searched for.
struct scan_options {
    /// The kernel's pointer width (4 or 8); 0 when unknown, which scans as
    /// 64-bit (a relative base is read as a word of 8 bytes).
    std::uint8_t word_bytes = 0;
    std::optional<std::endian> byte_order;  ///< the kernel's byte order, when known
    std::uint32_t max_candidates = 64;      ///< token indexes and marker runs examined at most
};

namespace detail {

class scanner {
public:
    constexpr scanner(scan_bytes img, const scan_options& o) noexcept : img_(img), opt_(o) {}

    constexpr result<kallsyms_scan> run() {
        std::uint32_t tried = 0;
        for (std::uint64_t at = 0; at + 512 <= img_.size(); at += 4) {
            // index[0] == 0 and index[1] a first token's length + 1, in either order.
            const std::uint32_t w = le32(img_, at);
            if ((w & 0xffff) != 0) continue;
            const std::uint32_t le1 = w >> 16, be1 = __builtin_bswap16(static_cast<std::uint16_t>(le1));
            if (le1 - 2 >= 256 && be1 - 2 >= 256) continue;
            for (std::endian order : {std::endian::little, std::endian::big}) {
                if (opt_.byte_order && *opt_.byte_order != order) continue;
                if ((order == std::endian::little ? le1 : be1) - 2 >= 256) continue;
                std::array<std::uint16_t, 256> idx{};
                if (!token_index_at(img_, at, order, idx)) continue;
                if (++tried > opt_.max_candidates) return status{errc::not_found};
                if (!find_token_table(at, order, idx)) continue;
                if (auto r = from_tokens(); r) return r;
            }
        }
        return status{errc::not_found};
    }

private:
    // The table within 16 KiB either side of its index, nearest first.
    constexpr bool find_token_table(std::uint64_t index, std::endian order, const std::array<std::uint16_t, 256>& idx) {
        constexpr std::uint64_t reach = 16384 + 8;
        for (std::uint64_t d = 0; d <= reach; d += 4) {
            for (int side = 0; side < 2; ++side) {
                if (side == 0 && d > index) continue;
                const std::uint64_t t = side == 0 ? index - d : index + 512 + d;
                std::uint64_t size = 0;
                if (!token_table_at(img_, t, idx, size)) continue;
                if (t < index + 512 && index < t + size) continue;  // overlapping its own index
                tok_ = {};
                tok_.table = t;
                tok_.index = index;
                tok_.table_size = size;
                tok_.order = order;
                for (std::size_t k = 0; k < 256; ++k) tok_.starts_typed[k] = is_type_letter(img_[t + idx[k]]);
                idx_ = idx;
                return true;
            }
        }
        return false;
    }

    constexpr result<kallsyms_scan> from_tokens() {
        if (!find_names()) return status{errc::not_found};
        res_ = {};
        res_.byte_order = tok_.order;
        res_.layout.token_table = tok_.table;
        res_.layout.token_index = tok_.index;
        res_.layout.num_syms = names_.num_syms;
        res_.layout.names = names_.names;
        res_.layout.markers = names_.markers;
        res_.count = names_.count;
        res_.marker_bytes = names_.marker_bytes;
        res_.checks = bit(scan_check::token_table) | bit(scan_check::names_count) | bit(scan_check::names_end) |
                      bit(scan_check::markers) | bit(scan_check::type_letters);
        if (!find_addresses()) return status{errc::not_found};
        find_seqs();
        return res_;
    }

    static constexpr std::uint16_t bit(scan_check c) noexcept { return static_cast<std::uint16_t>(c); }

    // --- names, count and markers --------------------------------------

    // The whole image is searched, outward from the token table: every
    // kernel so far puts the markers just before it, so the search usually
    // ends there, but no order is assumed.
    constexpr bool find_names() {
        std::uint32_t tried = 0;
        for (std::uint8_t mw : {std::uint8_t{4}, std::uint8_t{8}}) {
            const std::uint64_t from = std::min<std::uint64_t>(tok_.table, img_.size()) / mw * mw;
            const auto try_at = [&](std::uint64_t a) -> int {
                // Marker 0 is 0 and marker 1 below 2^18: its top byte is 0.
                if (a + 4ull * mw > img_.size() || le32(img_, a) != 0) return 0;
                const std::uint32_t m1 = le32(img_, a + mw);
                if (mw == 4 && (m1 & 0xff000000u) != 0 && (m1 & 0xffu) != 0) return 0;
                const std::uint32_t run = marker_run(a, mw);
                if (run < 4) return 0;
                if (++tried > opt_.max_candidates) return -1;
                return names_before_markers(a, mw, run) ? 1 : 0;
            };
            for (std::uint64_t a = from; a >= mw;) {
                a -= mw;
                if (const int r = try_at(a)) return r > 0;
            }
            for (std::uint64_t a = from; a + 4ull * mw <= img_.size(); a += mw)
                if (const int r = try_at(a)) return r > 0;
        }
        return small_table();
    }

    // Entries of an ascending marker run at `a`: from 0, each step one block
    // of 256 records (at least 2 bytes each, at most a long name each).
    constexpr std::uint32_t marker_run(std::uint64_t a, std::uint8_t mw) const {
        constexpr std::uint64_t lo = 256 * 2, hi = 256 * (max_record + 2);
        if (le32(img_, a) != 0) return 0;  // marker 0 is 0, whatever its width and order
        if (mw == 8 && le32(img_, a + 4) != 0) return 0;
        std::uint64_t prev = 0;
        std::uint32_t k = 1;
        while (inside(img_, a + std::uint64_t{mw} * k, mw)) {
            const std::uint64_t v = get(img_, a + std::uint64_t{mw} * k, mw, tok_.order);
            if (v < prev + lo || v > prev + hi) break;
            prev = v;
            ++k;
        }
        return k;
    }

    // num_syms sits before the stream; try every count whose marker total
    // fits the run and whose last block ends just before the markers.
    constexpr bool names_before_markers(std::uint64_t a, std::uint8_t mw, std::uint32_t run) {
        const auto marker = [&](std::uint32_t k) { return get(img_, a + std::uint64_t{mw} * k, mw, tok_.order); };
        constexpr std::uint64_t tail_max = 256 * (max_record + 2);
        const std::uint64_t span = marker(run - 1) + tail_max + 16;
        const std::uint64_t lo = a > span ? (a - span) & ~std::uint64_t{3} : 0;
        for (std::uint64_t p = lo; p + 4 <= a; p += 4) {
            const auto n = static_cast<std::uint32_t>(get(img_, p, 4, tok_.order));
            const std::uint32_t blocks = (n + 255) / 256;
            if (n == 0 || blocks > run || blocks < 2) continue;
            for (std::uint64_t s : {p + 4, p + 8}) {
                const std::uint64_t last = s + marker(blocks - 1);
                if (last >= a || a - last > tail_max) continue;
                if (try_names(p, s, n, a, mw)) return true;
            }
        }
        return false;
    }

    // Tables too small for a marker run: the stream within 256 KiB before
    // the token table, its markers right after it.
    constexpr bool small_table() {
        constexpr std::uint64_t reach = 256 * 1024;
        const std::uint64_t lo = tok_.table > reach ? (tok_.table - reach) & ~std::uint64_t{3} : 0;
        for (std::uint64_t p = lo; p + 4 <= tok_.table; p += 4) {
            const auto n = static_cast<std::uint32_t>(get(img_, p, 4, tok_.order));
            if (n == 0 || n > 768) continue;
            for (std::uint64_t s : {p + 4, p + 8}) {
                std::uint64_t off = s;
                for (std::uint32_t i = 0; i < n && off < tok_.table; ++i) {
                    record r;
                    if (parse_record(img_.data() + off, static_cast<std::size_t>(tok_.table - off), r) !=
                        parse_state::ok)
                        break;
                    off += r.size();
                }
                if (off > tok_.table) continue;
                // One marker (0) reads the same at either alignment and
                // width: the kernel's own alignment (its word) first.
                const std::uint64_t wa = opt_.word_bytes == 4 ? 4 : 8;
                for (std::uint8_t mw : {std::uint8_t{4}, std::uint8_t{8}})
                    for (std::uint64_t a : {align_up(off, wa), align_up(off, 12 - wa)})
                        if (a % mw == 0 && try_names(p, s, n, a, mw)) return true;
            }
        }
        return false;
    }

    constexpr bool try_names(std::uint64_t p, std::uint64_t s, std::uint32_t n, std::uint64_t a, std::uint8_t mw) {
        std::uint64_t end = 0;
        if (!names_at(img_, tok_, s, n, a, mw, tok_.order, end)) return false;
        names_ = {};
        // A big-endian word count keeps the value in its second half.
        const bool be_word = tok_.order == std::endian::big && p >= 4 && p % 8 == 4 && get(img_, p - 4, 4, tok_.order) == 0;
        names_.num_syms = be_word ? p - 4 : p;
        names_.names = s;
        names_.names_end = end;
        names_.markers = a;
        names_.count = n;
        names_.marker_bytes = mw;
        return true;
    }

    // --- addresses -------------------------------------------------------

    // Edges of the arrays found so far: where another array may start or end.
    constexpr std::uint64_t markers_end() const {
        return names_.markers + std::uint64_t{names_.marker_bytes} * ((std::uint64_t{names_.count} + 255) / 256);
    }

    constexpr std::size_t edges(std::array<std::uint64_t, 12>& e) const {
        std::size_t k = 0;
        for (std::uint64_t v : {names_.num_syms, names_.names_end, names_.markers, markers_end(), tok_.table,
                                tok_.table + tok_.table_size, tok_.index, tok_.index + 512})
            e[k++] = v;
        return k;
    }

    constexpr bool overlaps_found(std::uint64_t at, std::uint64_t len) const {
        const std::array<std::array<std::uint64_t, 2>, 3> found{{{names_.num_syms, markers_end()},
                                                                 {tok_.table, tok_.table + tok_.table_size},
                                                                 {tok_.index, tok_.index + 512}}};
        for (const auto& f : found)
            if (at < f[1] && f[0] < at + len) return true;
        return false;
    }

    // Every candidate start is classified and the strongest kind wins:
    // base-relative and absolute-percpu carry their own evidence (the first
    // offset), absolute words only their order, place-relative offsets the
    // weakest order test. A neighbouring slice of the right array (one entry
    // off, the relative base taken for an address) can pass a weaker test.
    constexpr bool find_addresses() {
        std::array<std::uint64_t, 12> e{};
        const std::size_t ne = edges(e);
        const std::uint32_t n = names_.count;
        std::array<std::uint8_t, 2> words{8, 4};
        std::size_t nw = 2;
        if (opt_.word_bytes == 4 || opt_.word_bytes == 8) words[0] = opt_.word_bytes, nw = 1;
        std::uint64_t best_at = 0;
        std::uint8_t best_word = 0;
        address_kind best = address_kind::none;
        int best_rank = 0;
        const auto rank = [](address_kind k) {
            switch (k) {
            case address_kind::base_relative:
            case address_kind::absolute_percpu: return 4;
            case address_kind::absolute: return 3;
            case address_kind::place_relative: return 2;
            case address_kind::none: break;
            }
            return 0;
        };
        // Starts at an edge, or ends (a relative base and padding aside) at one.
        for (std::size_t i = 0; i < ne; ++i) {
            for (std::uint8_t w : std::span(words).first(nw)) {
                for (std::uint64_t el : {std::uint64_t{4}, std::uint64_t{w}}) {
                    const std::uint64_t len = el * n;
                    std::array<std::uint64_t, 8> starts{align_up(e[i], 4), align_up(e[i], 8)};
                    std::size_t ns = 2;
                    for (std::uint64_t d = 0; d <= 2 * w && e[i] >= len + d; d += 4) starts[ns++] = e[i] - len - d;
                    for (std::uint64_t at : std::span(starts).first(ns)) {
                        if (overlaps_found(at, len) || !inside(img_, at, len)) continue;
                        const address_kind k = classify(at, el, w);
                        if (rank(k) > best_rank) best_rank = rank(k), best = k, best_at = at, best_word = w;
                    }
                }
            }
        }
        if (best == address_kind::none) return false;
        accept(best_at, best, best_word);
        return true;
    }

    // What the entries at `at` are: u32 offsets (or 32-bit absolute
    // addresses) when el is 4, absolute words of 8 bytes otherwise. Relative
    // kinds need their base word free after them.
    constexpr address_kind classify(std::uint64_t at, std::uint64_t el, std::uint8_t w) const {
        if (el != 4) return w == 8 ? (addresses_at(img_, at, names_.count, 8, tok_.order) == address_kind::absolute
                                          ? address_kind::absolute
                                          : address_kind::none)
                                   : address_kind::none;
        const address_kind k = addresses_at(img_, at, names_.count, w == 4 ? 4 : 0, tok_.order);
        if (k == address_kind::base_relative || k == address_kind::absolute_percpu) {
            const std::uint64_t rb = align_up(at + 4ull * names_.count, w);
            if (!inside(img_, rb, w) || overlaps_found(rb, w)) return address_kind::none;
        }
        return k;
    }

    constexpr void accept(std::uint64_t at, address_kind k, std::uint8_t w) {
        res_.word_bytes = w;
        res_.checks |= bit(scan_check::addresses_sorted);
        switch (k) {
        case address_kind::absolute:
            res_.layout.addresses = at;
            res_.encoding = address_encoding::absolute;
            return;
        case address_kind::place_relative:
            res_.layout.offsets = at;
            res_.encoding = address_encoding::place_relative;
            return;
        default: break;
        }
        res_.layout.offsets = at;
        const std::uint64_t rb = align_up(at + 4ull * names_.count, w);
        res_.encoding = k == address_kind::base_relative ? address_encoding::base_relative
                                                           : address_encoding::absolute_percpu;
        res_.layout.relative_base = rb;
        res_.stored_relative_base = get(img_, rb, w, tok_.order);
        res_.checks |= bit(scan_check::base_lowest);
    }

    // --- seqs_of_names -----------------------------------------------------

    constexpr void find_seqs() {
        std::array<std::uint64_t, 12> e{};
        std::size_t ne = edges(e);
        const std::uint64_t addr_at = res_.layout.offsets ? *res_.layout.offsets : *res_.layout.addresses;
        const std::uint64_t addr_len =
            (res_.layout.offsets ? 4ull : std::uint64_t{res_.word_bytes}) * names_.count;
        e[ne++] = addr_at;
        e[ne++] = res_.layout.relative_base ? *res_.layout.relative_base + res_.word_bytes : addr_at + addr_len;
        const std::uint32_t n = names_.count;
        for (std::size_t i = 0; i < ne; ++i) {
            for (std::uint8_t width : {std::uint8_t{3}, std::uint8_t{4}}) {
                const std::uint64_t len = std::uint64_t{width} * n;
                std::array<std::uint64_t, 6> starts{align_up(e[i], 4), align_up(e[i], 8)};
                std::size_t ns = 2;
                for (std::uint64_t d = 0; d < 8 && e[i] >= len + d; d += 4) starts[ns++] = e[i] - len - d;
                for (std::uint64_t at : std::span(starts).first(ns)) {
                    if (overlaps_found(at, len) || (at < addr_at + addr_len && addr_at < at + len)) continue;
                    // Name lookup binary-searches through it: a
                    // permutation that does not sort is no seqs_of_names.
                    if (!seqs_at(img_, at, n, width, tok_.order) || !seqs_sorted(at, width)) continue;
                    res_.layout.seqs_of_names = at;
                    res_.seq_bytes = width;
                    res_.checks |= bit(scan_check::seqs_permutation);
                    res_.checks |= bit(scan_check::seqs_sorted);
                    return;
                }
            }
        }
    }

    // Offset of record `i` in the stream: from its block's marker.
    constexpr std::uint64_t record_at(std::uint32_t i) const {
        std::uint64_t off = names_.names + get(img_, names_.markers + std::uint64_t{names_.marker_bytes} * (i >> 8),
                                               names_.marker_bytes, tok_.order);
        for (std::uint32_t k = 0; k < (i & 0xff); ++k) {
            record r;
            (void)parse_record(img_.data() + off, static_cast<std::size_t>(names_.names_end - off), r);
            off += r.size();
        }
        return off;
    }

    // Record i's name without its type letter, into `out`; returns its length.
    constexpr std::size_t expand(std::uint32_t i, std::array<char, 2 * name_buffer_size>& out) const {
        const std::uint64_t off = record_at(i);
        record r;
        (void)parse_record(img_.data() + off, static_cast<std::size_t>(names_.names_end - off), r);
        std::size_t n = 0;
        for (std::size_t k = 0; k < r.len; ++k) {
            const auto t = static_cast<std::uint8_t>(img_[off + r.hdr + k]);
            for (std::uint64_t c = tok_.table + idx_[t]; img_[c] != std::byte{0} && n < out.size(); ++c)
                out[n++] = static_cast<char>(img_[c]);
        }
        return n;
    }

    // Names in seqs order ascend.
    constexpr bool seqs_sorted(std::uint64_t at, std::uint8_t width) const {
        const std::uint32_t n = names_.count;
        const std::endian o = width == 3 ? std::endian::big : tok_.order;
        // Every pair of a small table (what lookups would trip on), a spread
        // sample of 64 in a large one (a full check of 200k names would cost
        // more than the scan).
        const std::uint32_t pairs = n - 1 <= 4096 ? n - 1 : 64;
        std::array<char, 2 * name_buffer_size> a{}, b{};
        for (std::uint32_t k = 0; k < pairs; ++k) {
            const std::uint32_t j = static_cast<std::uint32_t>(std::uint64_t{n - 1} * k / pairs);
            const auto x = static_cast<std::uint32_t>(get(img_, at + std::uint64_t{width} * j, width, o));
            const auto y = static_cast<std::uint32_t>(get(img_, at + std::uint64_t{width} * (j + 1), width, o));
            const std::size_t la = expand(x, a), lb = expand(y, b);
            const std::string_view sa(a.data() + (la > 0 ? 1 : 0), la > 0 ? la - 1 : 0);
            const std::string_view sb(b.data() + (lb > 0 ? 1 : 0), lb > 0 ? lb - 1 : 0);
            if (sb < sa) return false;
        }
        return true;
    }

    scan_bytes img_;
    scan_options opt_;
    token_arrays tok_{};
    std::array<std::uint16_t, 256> idx_{};
    names_arrays names_{};
    kallsyms_scan res_{};
};

}  // namespace detail

/// Finds the kallsyms arrays in `image` (an ELF file's bytes, a raw Image,
/// or any memory holding a kernel) by the checks above, without allocating.
/// `not_found` when no consistent table is there. The result's layout is in
/// offsets from `image.data()`.
[[nodiscard]] constexpr result<kallsyms_scan> scan_kallsyms(std::span<const std::byte> image,
                                                            const scan_options& options = {}) {
    detail::scanner s(image, options);
    return s.run();
}

}  // namespace ksym
