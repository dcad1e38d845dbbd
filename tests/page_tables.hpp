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
