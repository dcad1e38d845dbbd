#pragma once
// A MemoryReader over virtual addresses: a page-table walker in front of a
// reader of physical memory, with a small fixed translation cache.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "ksym/core/errc.hpp"
#include "ksym/core/result.hpp"
#include "ksym/memory/reader.hpp"
#include "ksym/paging/walker.hpp"

namespace ksym {

/// Reads virtual addresses by translating each page through `W` and reading
/// the physical reader `P` there. Reads are split at 4 KiB boundaries (the
/// smallest page of every supported mode). The last `CacheEntries`
/// translations (direct-mapped by page number) are kept, so a sequential
/// read walks once per page and a hot page not at all. Nothing allocates;
/// read() is not const, because of the cache.
template <MemoryReader P, class W, std::size_t CacheEntries = 64>
    requires PageWalker<W, P>
class translating_reader {
    static_assert(CacheEntries > 0 && (CacheEntries & (CacheEntries - 1)) == 0, "a power of two");

public:
    static constexpr std::uint64_t page = 4096;

    constexpr translating_reader(P& phys, const W& walker) noexcept : phys_(&phys), walker_(walker) {}

    constexpr status read(std::uint64_t addr, std::span<std::byte> out) {
        if (!range_fits(addr, out.size())) return status::fault(addr);
        std::size_t done = 0;
        while (done < out.size()) {
            const std::uint64_t va = addr + done;
            const std::size_t chunk = static_cast<std::size_t>(std::min<std::uint64_t>(page - (va & (page - 1)), out.size() - done));
            auto pa = physical(va);
            if (!pa) return pa.error();
            if (status s = phys_->read(*pa, out.subspan(done, chunk)); !s) return s;
            done += chunk;
        }
        return {};
    }

    /// The full translation of `va` (no cache).
    constexpr result<translation> translate(std::uint64_t va) { return walker_.translate(*phys_, va); }

    [[nodiscard]] constexpr const W& walker() const noexcept { return walker_; }
    /// Walks made so far (cache misses), for tests and benchmarks.
    [[nodiscard]] constexpr std::size_t walks() const noexcept { return walks_; }

private:
    constexpr result<std::uint64_t> physical(std::uint64_t va) {
        const std::uint64_t vpn = va / page;
        entry& e = cache_[vpn & (CacheEntries - 1)];
        if (e.valid && e.vpn == vpn) return e.base + (va & (page - 1));
        ++walks_;
        // The translation of the page's first byte is kept whole, not as a
        // frame number: a hostile mapping need not be page-aligned, and the
        // cache must answer exactly as the walker does.
        auto t = walker_.translate(*phys_, va & ~(page - 1));
        if (!t) return t.error().code() == errc::unmapped ? status{errc::unmapped, va} : t.error();
        e = {vpn, t->physical, true};
        return t->physical + (va & (page - 1));
    }

    struct entry {
        std::uint64_t vpn = 0;
        std::uint64_t base = 0;  // physical address of the page's first byte
        bool valid = false;
    };
    P* phys_;
    W walker_;
    std::array<entry, CacheEntries> cache_{};
    std::size_t walks_ = 0;
};

}  // namespace ksym
