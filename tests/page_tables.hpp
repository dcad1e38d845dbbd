#pragma once
// Builds x86-64 page tables in a buffer that stands for physical memory, for
// every mode the walker must handle: 4 and 5 levels, 4 KiB / 2 MiB / 1 GiB
// leaves, the SME C-bit, and hostile shapes (self-references, cycles).

#include <cstdint>
#include <map>
#include <vector>

#include "ksym/core/endian.hpp"
#include "ksym/memory/buffer_reader.hpp"

namespace ksym_test {

struct x86_tables {
    std::vector<std::byte> mem = std::vector<std::byte>(64 * 4096);  // physical memory from 0
    std::uint64_t next_table = 4096;                                  // page 0 stays empty
    std::uint64_t sme = 0;                                            // OR-ed into every entry written
    std::uint64_t root;
    int levels;

    explicit x86_tables(int lv) : root(alloc()), levels(lv) {}

    std::uint64_t alloc() {
        const std::uint64_t at = next_table;
        next_table += 4096;
        if (mem.size() < next_table) mem.resize(next_table);
        return at;
    }
    std::uint64_t entry(std::uint64_t table, unsigned index) const {
        return ksym::load<std::uint64_t>(mem.data() + table + 8 * index, std::endian::little);
    }
    void set(std::uint64_t table, unsigned index, std::uint64_t value) {
        ksym::store_n(mem.data() + table + 8 * index, value | sme, 8, std::endian::little);
    }
    static unsigned index(std::uint64_t va, int level) { return (va >> (12 + 9 * level)) & 511; }

    /// Maps `va` to `pa` with a leaf at `leaf_level` (0: 4K, 1: 2M, 2: 1G).
    void map(std::uint64_t va, std::uint64_t pa, int leaf_level) {
        std::uint64_t table = root;
        for (int level = levels - 1; level > leaf_level; --level) {
            std::uint64_t e = entry(table, index(va, level)) & ~sme;
            if (!(e & 1)) {
                e = alloc() | 0x63;  // present, rw, accessed, dirty
                set(table, index(va, level), e);
            }
            table = e & 0x000ffffffffff000ull;
        }
        set(table, index(va, leaf_level), pa | 0x63 | (leaf_level > 0 ? 0x80 : 0) | (1ull << 63));
    }
    /// The physical address of the table entry that maps `va` at `level`.
    std::uint64_t slot(std::uint64_t va, int level) const {
        std::uint64_t table = root;
        for (int l = levels - 1; l > level; --l) table = (entry(table, index(va, l)) & ~sme) & 0x000ffffffffff000ull;
        return table + 8 * index(va, level);
    }
    ksym::buffer_reader reader() const { return ksym::buffer_reader(mem, 0); }
};

}  // namespace ksym_test

namespace ksym_test {

/// arm64 TTBR1 tables for one granule and VA size, built like x86_tables.
struct arm64_tables {
    unsigned page_shift, va_bits;
    std::vector<std::byte> mem;
    std::uint64_t next_table;
    std::uint64_t root;

    arm64_tables(unsigned ps, unsigned vb) : page_shift(ps), va_bits(vb), mem(8u << ps), next_table(1u << ps), root(alloc()) {}

    unsigned bits() const { return page_shift - 3; }
    unsigned levels() const { return (va_bits - page_shift + bits() - 1) / bits(); }
    std::uint64_t alloc() {
        const std::uint64_t at = next_table;
        next_table += std::uint64_t{1} << page_shift;
        if (mem.size() < next_table) mem.resize(next_table);
        return at;
    }
    unsigned index(std::uint64_t va, unsigned level) const {
        const unsigned shift = page_shift + bits() * level;
        const std::uint64_t entries = level + 1 == levels() ? std::uint64_t{1} << ((va_bits - page_shift - 1) % bits() + 1)
                                                            : std::uint64_t{1} << bits();
        return static_cast<unsigned>((va >> shift) & (entries - 1));
    }
    std::uint64_t get(std::uint64_t table, unsigned i) const {
        return ksym::load<std::uint64_t>(mem.data() + table + 8 * i, std::endian::little);
    }
    void set(std::uint64_t table, unsigned i, std::uint64_t v) {
        ksym::store_n(mem.data() + table + 8 * i, v, 8, std::endian::little);
    }
    /// A descriptor's address field for `pa` in this mode (the inverse of
    /// arm64_paging::output_address).
    std::uint64_t encode(std::uint64_t pa) const {
        const std::uint64_t low = 0x0000ffffffffffffull & ~((std::uint64_t{1} << page_shift) - 1);
        if (page_shift == 16) return (pa & low) | ((pa >> 36) & 0xf000);
        if (va_bits == 52) return (pa & (low | 0x0003000000000000ull)) | ((pa >> 42) & 0x300);
        return pa & low;
    }
    /// Maps `va` to `pa` with a leaf `leaf_level` tables above the last.
    /// Tables are kept in low memory, so their addresses need no high bits.
    void map(std::uint64_t va, std::uint64_t pa, unsigned leaf_level) {
        std::uint64_t table = root;
        for (unsigned level = levels() - 1; level > leaf_level; --level) {
            std::uint64_t d = get(table, index(va, level));
            if ((d & 3) != 3) {
                d = alloc() | 3;
                set(table, index(va, level), d);
            }
            table = d & 0x0000fffffffff000ull & ~((std::uint64_t{1} << page_shift) - 1);
        }
        set(table, index(va, leaf_level), encode(pa) | (leaf_level == 0 ? 3u : 1u) | 0x400 /* AF */);
    }
    ksym::buffer_reader reader() const { return ksym::buffer_reader(mem, 0); }
};

}  // namespace ksym_test
