#pragma once
// x86-64 page tables: 4 or 5 levels of 512 eight-byte entries.

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "ksym/paging/walker.hpp"
#include "ksym/core/endian.hpp"
#include "ksym/core/errc.hpp"
#include "ksym/core/result.hpp"
#include "ksym/memory/reader.hpp"

namespace ksym {

/// Start of the kernel image mapping (__START_KERNEL_map).
inline constexpr std::uint64_t x86_64_start_kernel_map = 0xffffffff80000000ull;

/// The walk rules for one x86-64 kernel, with the run-time facts they need.
struct x86_64_paging {
    static constexpr std::uint64_t present = 1u << 0;
    static constexpr std::uint64_t pse = 1u << 7;                   ///< a 2 MiB (PMD) or 1 GiB (PUD) leaf
    static constexpr std::uint64_t address_mask = 0x000ffffffffff000ull;  ///< bits 12..51

    /// 4, or 5 when the kernel runs with LA57 (NUMBER(pgtable_l5_enabled),
    /// else CR4 bit 12 in QEMU's CPU note): a run-time choice of one build.
    std::uint8_t levels = 4;
    /// Physical address of the top table (swapper_pg_dir / init_top_pgt).
    std::uint64_t root = 0;
    /// AMD SME/SEV C-bit (NUMBER(sme_mask)): set in every entry that maps
    /// encrypted memory, and not part of the address.
    std::uint64_t sme_mask = 0;
    /// phys_base, when known: kernel-image addresses below
    /// x86_64_start_kernel_map + image_size then translate without a walk.
    std::optional<std::uint64_t> phys_base;
    std::uint64_t image_size = 512ull << 20;  ///< NUMBER(KERNEL_IMAGE_SIZE); 512 MiB, the smallest, by default

    /// The physical address of the top table for `swapper_pg_dir` (a
    /// kernel-image virtual address) given phys_base.
    [[nodiscard]] static constexpr std::uint64_t image_to_physical(std::uint64_t va, std::uint64_t phys_base) noexcept {
        return va - x86_64_start_kernel_map + phys_base;
    }

    template <MemoryReader P>
    constexpr result<translation> translate(P& phys, std::uint64_t va) const {
        if (phys_base && va >= x86_64_start_kernel_map && va - x86_64_start_kernel_map < image_size)
            return translation{image_to_physical(va, *phys_base), 4096, 0, true};
        if (levels != 4 && levels != 5) return status{errc::invalid_argument};
        // Canonical: the bits above the top one the tables index copy it.
        const unsigned va_bits = 12 + 9 * unsigned{levels};
        const auto top = static_cast<std::int64_t>(va) >> (va_bits - 1);
        if (top != 0 && top != -1) return status{errc::unmapped, va};
        std::uint64_t table = root;
        for (int level = levels - 1; level >= 0; --level) {
            const unsigned shift = 12 + 9 * static_cast<unsigned>(level);
            const std::uint64_t at = table + 8 * ((va >> shift) & 511);
            std::array<std::byte, 8> raw{};
            if (status s = phys.read(at, std::span(raw)); !s) return s;
            const std::uint64_t entry = load<std::uint64_t>(raw.data(), std::endian::little) & ~sme_mask;
            if (!(entry & present)) return status{errc::unmapped, va};
            if (level == 0 || (entry & pse)) {
                if (level > 2) return status{errc::corrupt, at};  // PSE is reserved above the PUD
                const std::uint64_t size = std::uint64_t{1} << shift;
                return translation{(entry & address_mask & ~(size - 1)) | (va & (size - 1)), size,
                                   static_cast<std::uint8_t>(level), false};
            }
            table = entry & address_mask;
        }
        return status{errc::unmapped, va};  // not reached: level 0 always returns
    }
};

}  // namespace ksym
