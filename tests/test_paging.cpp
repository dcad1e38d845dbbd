// x86-64 page-table walks over synthetic tables, and the translating reader.
#include <doctest/doctest.h>

#include <array>
#include <string_view>

#include "ksym/paging/translating_reader.hpp"
#include "ksym/paging/x86_64.hpp"
#include "ksym/vmcoreinfo/vmcoreinfo.hpp"
#include "page_tables.hpp"

using ksym::errc;
using ksym::translation;

namespace {

ksym::x86_64_paging paging_for(const ksym_test::x86_tables& t, std::uint64_t sme = 0) {
    ksym::x86_64_paging p;
    p.levels = static_cast<std::uint8_t>(t.levels);
    p.root = t.root;
    p.sme_mask = sme;
    return p;
}

}  // namespace

TEST_CASE("x86-64 walks: 4 and 5 levels, 4K, 2M and 1G leaves, with and without the SME C-bit") {
    for (int levels : {4, 5}) {
        for (std::uint64_t sme : {std::uint64_t{0}, std::uint64_t{1} << 47, std::uint64_t{1} << 51}) {
            CAPTURE(levels);
            CAPTURE(sme);
            ksym_test::x86_tables t(levels);
            t.sme = sme;
            const std::uint64_t base = levels == 5 ? 0xff11000000000000ull : 0xffff888000000000ull;
            t.map(base + 0x1000, 0x12345000, 0);
            t.map(base + 0x40200000, 0x80200000, 1);
            t.map(base + 0x80000000, 0x140000000, 2);
            auto mem = t.reader();
            const auto p = paging_for(t, sme);
            CHECK(p.translate(mem, base + 0x1abc).value() == translation{0x12345abc, 4096, 0, false});
            CHECK(p.translate(mem, base + 0x40312345).value() == translation{0x80312345, 2ull << 20, 1, false});
            CHECK(p.translate(mem, base + 0x80000000 + 0x3456789).value() ==
                  translation{0x143456789, 1ull << 30, 2, false});
            // Unmapped: neighbours of the mappings, and non-canonical addresses.
            CHECK(p.translate(mem, base + 0x2000).error() == ksym::status{errc::unmapped, base + 0x2000});
            CHECK(p.translate(mem, base + 0x40400000).error() == errc::unmapped);
            const std::uint64_t hole = levels == 5 ? 0x0100000000000000ull : 0x0000800000000000ull;
            CHECK(p.translate(mem, hole).error() == ksym::status{errc::unmapped, hole});
            CHECK(p.translate(mem, ~hole + 1 - 0x1000).error() == errc::unmapped);
            if (sme != 0) {
                // The same tables read without the mask point into the void.
                auto raw = paging_for(t, 0).translate(mem, base + 0x1abc);
                CHECK((!raw || raw->physical != 0x12345abc));
            }
        }
    }
}

TEST_CASE("x86-64 walks over hostile tables end with a typed error") {
    ksym_test::x86_tables t(4);
    const std::uint64_t va = 0xffffc90000001000ull;
    t.map(va, 0x5000, 0);
    auto mem = t.reader();
    const auto p = paging_for(t);
    // A PGD entry that points back at the PGD: the walk goes down the same
    // page four times and stops at the fixed depth.
    t.set(t.root, ksym_test::x86_tables::index(va, 3), t.root | 0x63);
    auto r = p.translate(mem, va);
    CHECK((r || r.error() == errc::unmapped));
    // A cycle between two tables.
    ksym_test::x86_tables c(5);
    c.map(va, 0x5000, 0);
    const std::uint64_t l3 = c.slot(va, 3) & ~std::uint64_t{4095};
    c.set(l3, ksym_test::x86_tables::index(va, 3), c.root | 0x63);
    auto cm = c.reader();
    auto rc = paging_for(c).translate(cm, va);
    CHECK((rc || rc.error() == errc::unmapped || rc.error() == errc::corrupt));
    // PSE above the PUD is reserved.
    ksym_test::x86_tables big(4);
    big.set(big.root, ksym_test::x86_tables::index(va, 3), 0x80000000ull | 0xe3);
    auto bm = big.reader();
    CHECK(paging_for(big).translate(bm, va).error() == errc::corrupt);
    // A table outside physical memory: the physical reader's fault.
    ksym_test::x86_tables far(4);
    far.set(far.root, ksym_test::x86_tables::index(va, 3), 0x7ffff000ull | 0x63);
    auto fm = far.reader();
    CHECK(paging_for(far).translate(fm, va).error() == ksym::status{errc::fault, 0x7ffff000ull + 8 * ksym_test::x86_tables::index(va, 2)});
    // A root that is not a page-table address at all.
    auto bad = p;
    bad.root = ~std::uint64_t{0} - 100;
    CHECK_FALSE(bad.translate(mem, va).has_value());
}

TEST_CASE("kernel-image addresses translate without a walk") {
    ksym_test::x86_tables t(4);
    auto mem = t.reader();
    auto p = paging_for(t);
    p.phys_base = 0x1000000;
    CHECK(p.translate(mem, 0xffffffff81000123ull).value() == translation{0x2000123, 4096, 0, true});
    // Past the image (modules): walked, and unmapped here.
    CHECK(p.translate(mem, 0xffffffffc0001000ull).error() == errc::unmapped);
    p.image_size = 1ull << 30;
    CHECK(p.translate(mem, 0xffffffffbfff0000ull).value().direct);
}

TEST_CASE("the translating reader splits at pages and caches translations") {
    ksym_test::x86_tables t(4);
    const std::uint64_t va = 0xffffc90000010000ull;
    t.map(va, 0x30000, 0);
    t.map(va + 0x1000, 0x10000, 0);  // the next virtual page lies below in physical memory
    t.mem.resize(0x40000);
    for (std::size_t i = 0; i < 4096; ++i) {
        t.mem[0x30000 + i] = std::byte{0xaa};
        t.mem[0x10000 + i] = std::byte{0xbb};
    }
    auto mem = t.reader();
    ksym::translating_reader<ksym::buffer_reader, ksym::x86_64_paging> r(mem, paging_for(t));
    std::array<std::byte, 16> out{};
    REQUIRE(r.read(va + 4096 - 8, out).ok());
    for (std::size_t i = 0; i < 16; ++i) CHECK(out[i] == (i < 8 ? std::byte{0xaa} : std::byte{0xbb}));
    CHECK(r.walks() == 2);
    REQUIRE(r.read(va + 100, std::span(out).first(8)).ok());
    CHECK(r.walks() == 2);  // cached
    CHECK(r.read(va + 0x2000 - 4, out) == ksym::status{errc::unmapped, va + 0x2000});
    CHECK(r.read(~std::uint64_t{0} - 4, out) == errc::fault);
}

TEST_CASE("VMCOREINFO numbers: signed decimal, 0x hex, and the facts a dump needs") {
    static_assert(ksym::parse_vmcoreinfo_number("-2147483648") == 0xffffffff80000000ull);
    static_assert(ksym::parse_vmcoreinfo_number("0xffff800008000000") == 0xffff800008000000ull);
    static_assert(ksym::parse_vmcoreinfo_number("18446744073709551615") == ~0ull);
    static_assert(!ksym::parse_vmcoreinfo_number("18446744073709551616"));
    static_assert(!ksym::parse_vmcoreinfo_number("12a"));
    static_assert(!ksym::parse_vmcoreinfo_number(""));
    constexpr std::string_view text =
        "OSRELEASE=6.1.0-37-amd64\nPAGESIZE=4096\nSYMBOL(swapper_pg_dir)=ffffffff9a60a000\n"
        "SYMBOL(_stext)=ffffffff99000000\nNUMBER(phys_base)=-1006632960\nNUMBER(pgtable_l5_enabled)=0\n"
        "NUMBER(sme_mask)=0\nNUMBER(KERNEL_IMAGE_SIZE)=1073741824\nKERNELOFFSET=18000000\n"
        "NUMBER(VA_BITS)=48\nNUMBER(kimage_voffset)=0xffff7fff88000000\nNUMBER(TCR_EL1_T1SZ)=0x10\n"
        "NUMBER(KERNELPACMASK)=0xff80000000000000\n";
    constexpr auto f = ksym::parse_vmcoreinfo(text);
    static_assert(f.osrelease == "6.1.0-37-amd64");
    static_assert(f.page_size == 4096);
    static_assert(f.swapper_pg_dir == 0xffffffff9a60a000ull);
    static_assert(f.stext == 0xffffffff99000000ull);
    static_assert(f.phys_base == static_cast<std::uint64_t>(-1006632960ll));
    static_assert(f.pgtable_l5_enabled == 0);
    static_assert(f.kernel_image_size == 1ull << 30);
    static_assert(f.kernel_offset == 0x18000000);
    static_assert(f.va_bits == 48);
    static_assert(f.kimage_voffset == 0xffff7fff88000000ull);
    static_assert(f.tcr_el1_t1sz == 16);
    static_assert(f.kernel_pac_mask == 0xff80000000000000ull);
    CHECK(f.osrelease == "6.1.0-37-amd64");
}

#include "ksym/paging/arm64.hpp"

TEST_CASE("arm64 walks: every granule and VA size, blocks, LPA and LPA2 address bits, tags") {
    struct mode {
        unsigned page_shift, va_bits, levels;
        std::uint64_t top_entries;
    };
    // (granule, VA) -> (levels, top-table entries), as the kernel and drgn compute them.
    const mode modes[] = {{12, 39, 3, 512}, {12, 48, 4, 512}, {12, 52, 5, 16}, {14, 36, 2, 2048},
                          {14, 47, 3, 2048}, {14, 48, 4, 2}, {14, 52, 4, 32}, {16, 42, 2, 8192},
                          {16, 48, 3, 64}, {16, 52, 3, 1024}};
    for (const mode& m : modes) {
        CAPTURE(m.page_shift);
        CAPTURE(m.va_bits);
        ksym_test::arm64_tables t(m.page_shift, m.va_bits);
        ksym::arm64_paging p;
        p.page_shift = static_cast<std::uint8_t>(m.page_shift);
        p.va_bits = static_cast<std::uint8_t>(m.va_bits);
        p.root = t.root;
        CHECK(p.levels() == m.levels);
        CHECK(p.top_entries() == m.top_entries);
        REQUIRE(t.levels() == m.levels);
        const std::uint64_t page = std::uint64_t{1} << m.page_shift;
        const std::uint64_t base = ~std::uint64_t{0} << m.va_bits;  // the start of TTBR1's range
        // A page whose physical address needs bits above 47 where the mode has them.
        const bool high_pa = m.va_bits == 52;
        const std::uint64_t pa = (high_pa ? 0x000f800000000000ull : 0x0000008000000000ull) + 5 * page;
        const std::uint64_t va = base + 0x123 * page;
        t.map(va, pa, 0);
        auto mem = t.reader();
        CHECK(p.translate(mem, va + 0x18).value() == translation{pa + 0x18, page, 0, false});
        // The same address with a tag in the top byte (TBI; bit 55 picks the half).
        CHECK(p.translate(mem, (va & 0x00ffffffffffffffull) | 0x3a00000000000000ull).value().physical == pa);
        // And with a pointer-authentication signature in the bits above the VA.
        if (m.va_bits < 52) {
            auto signed_p = p;
            signed_p.pac_mask = 0x00ff000000000000ull & ~(~std::uint64_t{0} << 55) & (~std::uint64_t{0} << m.va_bits);
            const std::uint64_t signed_va = va & ~(signed_p.pac_mask & 0x0005000000000000ull);
            CHECK(signed_p.translate(mem, signed_va).value().physical == pa);
            CHECK(p.translate(mem, signed_va).error() == errc::unmapped);
        }
        // A block one level up.
        const std::uint64_t block = std::uint64_t{1} << (m.page_shift + (m.page_shift - 3));
        const std::uint64_t bva = base + 7 * block;
        if (m.levels > 1 && (7 * block >> (m.page_shift + (m.page_shift - 3) * (m.levels - 1))) == 0) {
            t.map(bva, 0x40000000ull * 4, 1);
            auto mem2 = t.reader();
            auto b = p.translate(mem2, bva + 0x1234);
            REQUIRE(b);
            CHECK(b->physical == 0x100000000ull + 0x1234);
            CHECK(b->page_size == block);
            CHECK(b->level == 1);
        }
        // Outside TTBR1, and an unmapped neighbour.
        CHECK(p.translate(mem, 0x0000000012345000ull).error() == errc::unmapped);
        CHECK(p.translate(mem, va + page).error() == errc::unmapped);
    }
}

TEST_CASE("arm64 hostile descriptors: reserved types, illegal blocks, self-references") {
    ksym_test::arm64_tables t(12, 48);
    ksym::arm64_paging p;
    p.root = t.root;
    const std::uint64_t va = 0xffff800008000000ull;
    t.map(va, 0x80000000ull, 0);
    // A block at the top level of 4K/48 (512 GiB) is illegal without LPA2.
    ksym_test::arm64_tables b(12, 48);
    b.set(b.root, b.index(va, 3), 0x8000000000ull | 1 | 0x400);
    auto bm = b.reader();
    ksym::arm64_paging pb;
    pb.root = b.root;
    CHECK(pb.translate(bm, va).error() == errc::corrupt);
    // A top-level table entry pointing at the root itself: bounded by the depth.
    t.set(t.root, t.index(va, 3), t.root | 3);
    auto m = t.reader();
    auto r = p.translate(m, va);
    CHECK((r || r.error() == errc::unmapped || r.error() == errc::corrupt));
    // Type 0b10 is invalid at every level.
    ksym_test::arm64_tables z(12, 48);
    z.set(z.root, z.index(va, 3), 0x2000 | 2);
    auto zm = z.reader();
    ksym::arm64_paging pz;
    pz.root = z.root;
    CHECK(pz.translate(zm, va).error() == ksym::status{errc::unmapped, va});
    // A bad configuration is the caller's error.
    ksym::arm64_paging bad;
    bad.page_shift = 13;
    CHECK(bad.translate(m, va).error() == errc::invalid_argument);
}

TEST_CASE("arm64 large blocks: 1 GiB (4K), 64 GiB (16K, LPA2), 4 TiB (64K, 52-bit) and 512 GiB (4K, LPA2)") {
    struct big {
        unsigned page_shift, va_bits, level;
    };
    for (const big b : {big{12, 48, 2}, big{12, 52, 2}, big{12, 52, 3}, big{14, 52, 2}, big{16, 52, 2}}) {
        CAPTURE(b.page_shift);
        CAPTURE(b.va_bits);
        CAPTURE(b.level);
        ksym_test::arm64_tables t(b.page_shift, b.va_bits);
        ksym::arm64_paging p;
        p.page_shift = static_cast<std::uint8_t>(b.page_shift);
        p.va_bits = static_cast<std::uint8_t>(b.va_bits);
        p.root = t.root;
        const std::uint64_t size = std::uint64_t{1} << (b.page_shift + (b.page_shift - 3) * b.level);
        const std::uint64_t va = (~std::uint64_t{0} << b.va_bits) + size;  // the second block of TTBR1
        const std::uint64_t pa = 3 * size;  // aligned, and above 48 bits for the largest
        t.map(va, pa, b.level);
        auto mem = t.reader();
        auto r = p.translate(mem, va + 0x123456);
        REQUIRE(r);
        CHECK(*r == translation{pa + 0x123456, size, static_cast<std::uint8_t>(b.level), false});
        // The same block one level too high for the mode is refused.
        if (b.page_shift == 12 && b.va_bits == 48) {
            ksym_test::arm64_tables u(12, 48);
            u.map(va, 0, 3);
            auto um = u.reader();
            ksym::arm64_paging pu = p;
            pu.root = u.root;
            CHECK(pu.translate(um, va).error() == errc::corrupt);
        }
    }
}
