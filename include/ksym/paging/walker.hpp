#pragma once
// What a page-table walk answers, and the concept a walker satisfies. Kept
// apart from ArchTraits so that kallsyms users who never translate pay
// nothing for it.

#include <concepts>
#include <cstdint>

#include "ksym/core/errc.hpp"
#include "ksym/core/result.hpp"
#include "ksym/memory/reader.hpp"

namespace ksym {

/// Where a virtual address lands.
struct translation {
    std::uint64_t physical = 0;
    std::uint64_t page_size = 0;  ///< of the mapping that holds it: 4K, 2M, 1G, or a granule's block size
    std::uint8_t level = 0;       ///< table level of the leaf: 0 = last level (PTE), 1 = one above, ...
    bool direct = false;          ///< computed without a walk (kernel image mapping)

    friend constexpr bool operator==(const translation&, const translation&) noexcept = default;
};

/// A page-table walker over physical memory read through `P`: translate()
/// gives the physical address of a virtual one, `unmapped` (at the virtual
/// address) when the tables do not map it, or the physical reader's error.
/// A walk is bounded by the walker's level count, so a table that points at
/// itself cannot make it loop.
template <class W, class P>
concept PageWalker = MemoryReader<P> && requires(const W& w, P& phys, std::uint64_t va) {
    { w.translate(phys, va) } -> std::same_as<result<translation>>;
};

}  // namespace ksym
