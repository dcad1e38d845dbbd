#pragma once
// A reader that routes address ranges to other readers.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "ksym/core/errc.hpp"
#include "ksym/memory/reader.hpp"

namespace ksym {

/// Routes reads by address to up to `Capacity` non-overlapping pieces, each
/// backed by another reader. Adding a segment that overlaps earlier ones
/// replaces exactly the overlapped part of them and nothing else (the rule a
/// core file's later PT_LOAD or a debugger's later mapping expects). Lookup is
/// a binary search; storage is inline, so the map never allocates.
///
/// A request that spans several pieces is split across their readers; a gap
/// faults at its first address.
template <std::size_t Capacity>
class segment_map {
    static_assert(Capacity > 0);

public:
    /// One contiguous range and where its bytes come from.
    struct piece {
        std::uint64_t start = 0;
        std::uint64_t last = 0;    ///< inclusive, so a piece may end at 2^64-1
        std::uint64_t target = 0;  ///< address passed to `reader` for `start`
        reader_ref reader{};
    };

    constexpr segment_map() noexcept = default;

    /// Maps [start, start + size) to `r`, which is read at the same addresses.
    constexpr status add(std::uint64_t start, std::uint64_t size, reader_ref r) noexcept {
        return add(start, size, r, start);
    }

    /// Maps [start, start + size) to `r`, which is read at
    /// [target, target + size). Fails with `invalid_argument` for an empty or
    /// wrapping range, `capacity` when the split pieces would not fit (the map
    /// is then unchanged).
    constexpr status add(std::uint64_t start, std::uint64_t size, reader_ref r, std::uint64_t target) noexcept {
        if (size == 0 || !range_fits(start, size) || !range_fits(target, size)) return {errc::invalid_argument};
        const std::uint64_t last = start + (size - 1);
        // Pieces [i, j) overlap the new range; only pieces[i] can keep a left
        // part and only pieces[j-1] a right part, because pieces are disjoint.
        std::size_t i = 0;
        while (i < n_ && pieces_[i].last < start) ++i;
        std::size_t j = i;
        while (j < n_ && pieces_[j].start <= last) ++j;
        const bool left = i < j && pieces_[i].start < start;
        const bool right = i < j && pieces_[j - 1].last > last;
        const std::size_t new_n = n_ - (j - i) + 1 + (left ? 1u : 0u) + (right ? 1u : 0u);
        if (new_n > Capacity) return {errc::capacity};

        piece lp{}, rp{};
        if (left) {
            lp = pieces_[i];
            lp.last = start - 1;
        }
        if (right) {
            rp = pieces_[j - 1];
            rp.target += last + 1 - rp.start;
            rp.start = last + 1;
        }
        const std::size_t insert = std::size_t{1} + (left ? 1u : 0u) + (right ? 1u : 0u);
        move_tail(j, i + insert);
        std::size_t k = i;
        if (left) pieces_[k++] = lp;
        pieces_[k++] = piece{start, last, target, r};
        if (right) pieces_[k++] = rp;
        n_ = new_n;
        return {};
    }

    /// Reads across pieces; faults at the first address no piece covers.
    constexpr status read(std::uint64_t addr, std::span<std::byte> out) const {
        if (!range_fits(addr, out.size())) return status::fault(addr);
        std::size_t done = 0;
        while (done < out.size()) {
            const piece* p = find(addr);
            if (p == nullptr) return status::fault(addr);
            const std::uint64_t avail = p->last - addr;  // bytes after addr in this piece
            std::size_t chunk = out.size() - done;
            if (avail < chunk - 1) chunk = static_cast<std::size_t>(avail) + 1;
            if (status s = p->reader.read(p->target + (addr - p->start), out.subspan(done, chunk)); !s) return s;
            done += chunk;
            addr += chunk;
        }
        return {};
    }

    /// The lending view of the piece holding `addr`, clipped to the piece,
    /// when it holds `len` bytes; a range across pieces is not lent.
    [[nodiscard]] constexpr std::span<const std::byte> view(std::uint64_t addr, std::size_t len) const {
        const piece* p = find(addr);
        if (p == nullptr || (len > 0 && p->last - addr < len - 1)) return {};
        auto v = p->reader.view(p->target + (addr - p->start), len);
        if (v.empty()) return {};
        const std::uint64_t in_piece = p->last - addr;  // bytes after addr, minus one
        if (v.size() - 1 > in_piece) v = v.first(static_cast<std::size_t>(in_piece) + 1);
        return v.size() >= len ? v : std::span<const std::byte>{};
    }

    /// The piece containing `addr`, or nullptr. O(log n).
    [[nodiscard]] constexpr const piece* find(std::uint64_t addr) const noexcept {
        std::size_t lo = 0, hi = n_;  // first piece with start > addr
        while (lo < hi) {
            const std::size_t mid = lo + (hi - lo) / 2;
            if (pieces_[mid].start <= addr) lo = mid + 1;
            else hi = mid;
        }
        if (lo == 0) return nullptr;
        const piece& p = pieces_[lo - 1];
        return addr <= p.last ? &p : nullptr;
    }

    /// The current pieces, sorted by address.
    [[nodiscard]] constexpr std::span<const piece> pieces() const noexcept { return {pieces_.data(), n_}; }
    [[nodiscard]] constexpr std::size_t size() const noexcept { return n_; }
    [[nodiscard]] static constexpr std::size_t capacity() noexcept { return Capacity; }

private:
    // Moves pieces_[from, n_) so they start at `to` (either direction).
    constexpr void move_tail(std::size_t from, std::size_t to) noexcept {
        const std::size_t count = n_ - from;
        if (to > from) {
            for (std::size_t k = count; k-- > 0;) pieces_[to + k] = pieces_[from + k];
        } else if (to < from) {
            for (std::size_t k = 0; k < count; ++k) pieces_[to + k] = pieces_[from + k];
        }
    }

    std::array<piece, Capacity> pieces_{};
    std::size_t n_ = 0;
};

static_assert(LendingReader<segment_map<4>>);

}  // namespace ksym
