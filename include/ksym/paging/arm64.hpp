#pragma once
// arm64 kernel page tables (TTBR1): 4K, 16K or 64K granules, 36- to 52-bit
// virtual addresses, FEAT_LPA (64K) and FEAT_LPA2 (4K/16K) address bits.

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>

#include "ksym/core/endian.hpp"
#include "ksym/core/errc.hpp"
#include "ksym/core/result.hpp"
#include "ksym/memory/reader.hpp"
#include "ksym/paging/walker.hpp"

namespace ksym {

/// The walk rules for one arm64 kernel, with its run-time facts.
struct arm64_paging {
    /// 12, 14 or 16 (PAGESIZE 4K, 16K, 64K).
    std::uint8_t page_shift = 12;
    /// The VA size the tables are built for: with 64K pages NUMBER(VA_BITS)
    /// (a 52->48 fallback keeps 52-bit tables), otherwise 64 - TCR_EL1_T1SZ
    /// (an LPA2 fallback folds a level away), falling back to VA_BITS.
    std::uint8_t va_bits = 48;
    /// Physical address of swapper_pg_dir (its address minus kimage_voffset).
    std::uint64_t root = 0;
    /// NUMBER(KERNELPACMASK): the bits pointer authentication signs into a
    /// pointer; cleaned off (set, for kernel addresses) before the walk.
    std::uint64_t pac_mask = 0;

    [[nodiscard]] constexpr unsigned bits_per_level() const noexcept { return page_shift - 3u; }
    /// ceil((va_bits - page_shift) / bits_per_level)
    [[nodiscard]] constexpr unsigned levels() const noexcept {
        return (va_bits - page_shift + bits_per_level() - 1) / bits_per_level();
    }
    /// Entries of the top table, which covers the bits the others leave.
    [[nodiscard]] constexpr std::uint64_t top_entries() const noexcept {
        return std::uint64_t{1} << ((va_bits - page_shift - 1u) % bits_per_level() + 1u);
    }
    /// 52-bit VA with 4K or 16K pages runs with LPA2 descriptors.
    [[nodiscard]] constexpr bool lpa2() const noexcept { return page_shift != 16 && va_bits == 52; }

    /// The output address a descriptor holds: bits [47:page_shift] always;
    /// with 64K pages PA[51:48] from bits [15:12]; with LPA2 PA[49:48] in
    /// place and PA[51:50] from bits [9:8].
    [[nodiscard]] constexpr std::uint64_t output_address(std::uint64_t desc) const noexcept {
        std::uint64_t low = 0x0000ffffffffffffull & ~((std::uint64_t{1} << page_shift) - 1);
        if (page_shift == 16) return (desc & low) | ((desc & 0xf000u) << 36);
        if (lpa2()) return (desc & (low | 0x0003000000000000ull)) | ((desc & 0x300u) << 42);
        return desc & low;
    }

    /// Whether a block descriptor is legal `level` tables above the last.
    [[nodiscard]] constexpr bool block_allowed(unsigned level) const noexcept {
        if (level == 1) return true;                                    // 2M, 32M, 512M
        if (level == 2) return page_shift == 12 || lpa2() || (page_shift == 16 && va_bits == 52);  // 1G, 64G, 4T
        return level == 3 && page_shift == 12 && lpa2();               // 512G
    }

    template <MemoryReader P>
    constexpr result<translation> translate(P& phys, std::uint64_t va) const {
        if ((page_shift != 12 && page_shift != 14 && page_shift != 16) || va_bits <= page_shift || va_bits > 52)
            return status{errc::invalid_argument};
        // Top-byte ignore and PAC: bit 55 says which half, whatever the tag
        // and signature bits above the VA hold.
        const std::uint64_t high = 0xff00000000000000ull | pac_mask;
        va = (va & (std::uint64_t{1} << 55)) ? va | high : va & ~high;
        if ((va >> va_bits) != (~std::uint64_t{0} >> va_bits)) return status{errc::unmapped, va};  // not TTBR1
        std::uint64_t table = root;
        for (unsigned level = levels(); level-- > 0;) {
            const unsigned shift = page_shift + bits_per_level() * level;
            const std::uint64_t entries = level + 1 == levels() ? top_entries() : std::uint64_t{1} << bits_per_level();
            const std::uint64_t at = table + 8 * ((va >> shift) & (entries - 1));
            std::array<std::byte, 8> raw{};
            if (status s = phys.read(at, std::span(raw)); !s) return s;
            const std::uint64_t desc = load<std::uint64_t>(raw.data(), std::endian::little);
            const unsigned type = desc & 3u;
            if (type == 0 || type == 2 || (type == 1 && level == 0)) return status{errc::unmapped, va};
            if (level == 0 || type == 1) {
                if (level != 0 && !block_allowed(level)) return status{errc::corrupt, at};
                const std::uint64_t size = std::uint64_t{1} << shift;
                return translation{(output_address(desc) & ~(size - 1)) | (va & (size - 1)), size,
                                   static_cast<std::uint8_t>(level), false};
            }
            table = output_address(desc);
        }
        return status{errc::unmapped, va};  // not reached
    }
};

}  // namespace ksym
