// Finding the table: System.map, VMCOREINFO, ELF .symtab, ELF and raw images.
#include <doctest/doctest.h>

#include <array>
#include <cstdio>
#include <memory>
#include <string>
#include <unistd.h>

#include "image_builder.hpp"
#include "ksym/kallsyms/locate.hpp"
#include "ksym/pipeline/kernel_image.hpp"
#include "ksym/text/nm_text.hpp"
#include "ksym/vmcoreinfo/vmcoreinfo.hpp"
#include "synthetic.hpp"

using ksym::errc;

static_assert(ksym::parse_nm_line("ffffffff81000000 T _text")->address == 0xffffffff81000000ull);
static_assert(ksym::parse_nm_line("                 U printk")->type == 'U');
static_assert(ksym::parse_nm_line("ffffffffc0a01000 t foo\t[ext4]")->module == "ext4");
static_assert(!ksym::parse_nm_line("zz T foo"));
static_assert(!ksym::parse_nm_line("1000 TT foo"));
static_assert(!ksym::parse_nm_line("1000 T"));
static_assert(!ksym::parse_nm_line("11112222333344445 T too_many_digits"));

TEST_CASE("nm text: lines, blank lines, CRLF, malformed lines report their offset") {
    const std::string_view text = "0000000000001000 T a\r\n\n0000000000002000 d b\n0000000000003000 t c [mod]\n";
    int n = 0;
    CHECK(ksym::for_each_nm_line(text, [&](const ksym::nm_line&) { ++n; }).ok());
    CHECK(n == 3);
    const std::string_view bad = "0000000000001000 T a\nnot a line at all\n";
    auto s = ksym::for_each_nm_line(bad, [](const ksym::nm_line&) {});
    CHECK(s == errc::corrupt);
    CHECK(s.address() == 21);
}

TEST_CASE("layout from System.map, and what is missing") {
    const std::string map =
        "ffffffff82000000 R kallsyms_offsets\n"
        "ffffffff82100000 R kallsyms_relative_base\n"
        "ffffffff82100008 R kallsyms_num_syms\n"
        "ffffffff82100010 R kallsyms_names\n"
        "ffffffff82300000 R kallsyms_markers\n"
        "ffffffff82300800 R kallsyms_token_table\n"
        "ffffffff82301000 R kallsyms_token_index\n";
    auto loc = ksym::locate_in_system_map(map + "ffffffff81000000 T _stext\nffffffff81000000 T _text\n");
    REQUIRE(loc);
    ksym::kallsyms_layout want;
    want.offsets = 0xffffffff82000000ull;
    want.relative_base = 0xffffffff82100000ull;
    want.num_syms = 0xffffffff82100008ull;
    want.names = 0xffffffff82100010ull;
    want.markers = 0xffffffff82300000ull;
    want.token_table = 0xffffffff82300800ull;
    want.token_index = 0xffffffff82301000ull;
    CHECK(loc->layout == want);
    // Anchors come back in anchor_names order, whatever the map's order.
    REQUIRE(loc->anchors().size() == 2);
    CHECK(loc->anchors()[0].name == "_text");
    CHECK(loc->anchors()[1].name == "_stext");
    CHECK(loc->anchor("_stext") == 0xffffffff81000000ull);
    CHECK(!loc->anchor("vfs_read"));
    // VMCOREINFO's set is enough: no markers, no seqs_of_names.
    auto bare = ksym::locate_in_system_map(
        "1 R kallsyms_num_syms\n2 R kallsyms_names\n3 R kallsyms_token_table\n4 R kallsyms_token_index\n"
        "5 R kallsyms_offsets\n");
    REQUIRE(bare);
    CHECK(!bare->layout.markers);
    CHECK(ksym::locate_in_system_map("ffffffff81000000 T _text\n").error() == errc::not_found);
    CHECK(ksym::locate_in_system_map("garbage\n").error() == errc::corrupt);
}

TEST_CASE("layout from VMCOREINFO") {
    const std::string vmci =
        "OSRELEASE=6.1.0-37-amd64\nPAGESIZE=4096\n"
        "SYMBOL(kallsyms_names)=ffffffff82a8e6b8\nSYMBOL(kallsyms_num_syms)=ffffffff82a8e6b0\n"
        "SYMBOL(kallsyms_token_table)=ffffffff82c2c4f8\nSYMBOL(kallsyms_token_index)=ffffffff82c2c888\n"
        "SYMBOL(kallsyms_markers)=ffffffff82c2bd28\nSYMBOL(kallsyms_offsets)=ffffffff82a2a5c0\n"
        "SYMBOL(kallsyms_relative_base)=ffffffff82a8e6a8\nKERNELOFFSET=1c000000\n";
    CHECK(ksym::vmcoreinfo_value(vmci, "OSRELEASE") == "6.1.0-37-amd64");
    CHECK(ksym::vmcoreinfo_value(vmci, "KERNELOFFSET") == "1c000000");
    CHECK(!ksym::vmcoreinfo_value(vmci, "OSREL"));
    auto l = ksym::locate_in_vmcoreinfo(vmci + std::string("SYMBOL(_stext)=ffffffff81000000\n"));
    REQUIRE(l);
    CHECK(l->layout.names == 0xffffffff82a8e6b8ull);
    CHECK(l->layout.relative_base == 0xffffffff82a8e6a8ull);
    CHECK(l->layout.markers == 0xffffffff82c2bd28ull);
    CHECK(!l->layout.seqs_of_names);
    CHECK(l->anchor("_stext") == 0xffffffff81000000ull);
}

namespace {
struct temp_path {
    std::string path;
    temp_path() {
        char t[] = "/tmp/ksym-img-XXXXXX";
        const int fd = ::mkstemp(t);
        REQUIRE(fd >= 0);
        ::close(fd);
        path = t;
    }
    ~temp_path() { std::remove(path.c_str()); }
};

template <class Check>
void with_image(const std::vector<std::byte>& file, const std::string& map, Check&& check) {
    temp_path p;
    REQUIRE(ksym_test::write_file(p.path, file));
    auto img = std::make_unique<ksym::kernel_image>();  // pinned and large: on the heap
    check(*img, img->open(p.path.c_str(), map));
}

// Decodes through kernel_image and compares with the encoder's input.
void expect_table(ksym::kernel_image& img, const ksym::encoded_table& t) {
    ksym::name_buffer buf;
    const auto s = img.with_table([&](auto& table) -> ksym::status {
        REQUIRE(table.size() == t.symbols.size());
        std::size_t i = 0;
        return table.for_each(buf, [&](const ksym::symbol& sym) {
            CHECK(sym.address == t.symbols[i].address);
            CHECK(sym.name == t.symbols[i].name);
            ++i;
        });
    });
    CHECK(s.ok());
}
}  // namespace

TEST_CASE("ELF images: 64-bit little-endian and 32-bit big-endian, with and without .symtab") {
    ksym_test::synth_options so;
    so.count = 700;
    ksym::encoder_options eo;
    eo.base = 0xffffffff82000000ull;
    auto t = ksym::encode_kallsyms(ksym_test::make_symbols(so), eo);
    REQUIRE(t);
    const auto map = ksym_test::system_map(*t, {});
    with_image(ksym_test::elf_file(*t, true, std::endian::little, 62, true), map, [&](ksym::kernel_image& img, ksym::status s) {
        REQUIRE(s.ok());
        CHECK(img.arch() == ksym::arch_id::x86_64);
        CHECK(img.format() == ksym::image_format::elf);
        CHECK(img.kallsyms() == t->format);
        expect_table(img, *t);
    });

    // The .symtab gives the same layout as the map.
    temp_path p;
    REQUIRE(ksym_test::write_file(p.path, ksym_test::elf_file(*t, true, std::endian::little, 62, true)));
    ksym::elf_image elf;
    REQUIRE(elf.open(p.path.c_str()).ok());
    auto l = ksym::locate_in_elf_symtab(elf.file(), elf.header());
    REQUIRE(l);
    CHECK(l->layout == t->layout);
    ksym::elf_image stripped;
    temp_path q;
    REQUIRE(ksym_test::write_file(q.path, ksym_test::elf_file(*t, true, std::endian::little, 62, false)));
    REQUIRE(stripped.open(q.path.c_str()).ok());
    CHECK(ksym::locate_in_elf_symtab(stripped.file(), stripped.header()).error() == errc::not_found);

    // 32-bit big-endian (an unknown machine: generic traits).
    so.start = 0xc0000000;
    ksym::encoder_options eb;
    eb.word_bytes = 4;
    eb.byte_order = std::endian::big;
    eb.encoding = ksym::address_encoding::absolute;
    eb.base = 0xc1000000;
    auto tb = ksym::encode_kallsyms(ksym_test::make_symbols(so), eb);
    REQUIRE(tb);
    with_image(ksym_test::elf_file(*tb, false, std::endian::big, 20, true), ksym_test::system_map(*tb, {}, 8),
               [&](ksym::kernel_image& img, ksym::status s) {
                   REQUIRE(s.ok());
                   CHECK(img.arch() == ksym::arch_id::generic32be);
                   expect_table(img, *tb);
               });
    temp_path r;
    REQUIRE(ksym_test::write_file(r.path, ksym_test::elf_file(*tb, false, std::endian::big, 20, true)));
    ksym::elf_image elf32;
    REQUIRE(elf32.open(r.path.c_str()).ok());
    auto l32 = ksym::locate_in_elf_symtab(elf32.file(), elf32.header());
    REQUIRE(l32);
    CHECK(l32->layout == tb->layout);
}

TEST_CASE("raw arm64 Image: relative_base from .rela.dyn, else solved from the map's anchors") {
    ksym_test::synth_options so;
    so.count = 900;
    so.start = 0xffff800080010000ull;
    ksym::encoder_options eo;
    const std::uint64_t load = 0xffff800080000000ull;
    eo.base = 0xffff800080800000ull;
    auto syms = ksym_test::make_symbols(so);
    // Symbols every kernel has, which a map also names.
    syms.push_back({load, 'T', "_text"});
    syms.push_back({load + 0x10000, 'T', "_stext"});
    syms.push_back({syms[300].address + 1, 'T', "start_kernel"});
    syms.push_back({syms[600].address + 1, 'T', "schedule"});
    auto t = ksym::encode_kallsyms(syms, eo);
    REQUIRE(t);
    const auto map = ksym_test::system_map(*t, t->symbols);

    with_image(ksym_test::arm64_image(*t, load, true), map, [&](ksym::kernel_image& img, ksym::status s) {
        REQUIRE(s.ok());
        CHECK(img.format() == ksym::image_format::raw_arm64);
        CHECK(img.arch() == ksym::arch_id::arm64);
        auto want = t->format;
        want.base_from = ksym::base_source::relocation;
        CHECK(img.kallsyms() == want);
        expect_table(img, *t);
    });
    with_image(ksym_test::arm64_image(*t, load, false), map, [&](ksym::kernel_image& img, ksym::status s) {
        REQUIRE(s.ok());
        auto want = t->format;
        want.base_from = ksym::base_source::anchor;
        CHECK(img.kallsyms() == want);
        expect_table(img, *t);
    });
    // Without the relocation, one anchor is not enough to trust a base.
    with_image(ksym_test::arm64_image(*t, load, false), ksym_test::system_map(*t, {{load, 'T', "_text"}}),
               [&](ksym::kernel_image& img, ksym::status s) {
                   CHECK(s == errc::not_found);
                   CHECK(img.failed_stage() == ksym::image_stage::kallsyms);
               });
}

TEST_CASE("kernel_image refuses what is not a kernel") {
    std::vector<std::byte> junk(4096, std::byte{0x5a});
    with_image(junk, "ffffffff81000000 T _text\n", [&](ksym::kernel_image& img, ksym::status s) {
        CHECK(s == errc::unsupported);
        CHECK(img.failed_stage() == ksym::image_stage::image);
    });
    std::vector<std::byte> tiny(10, std::byte{0});
    with_image(tiny, "", [&](ksym::kernel_image& img, ksym::status s) {
        CHECK_FALSE(s.ok());
        CHECK(img.failed_stage() == ksym::image_stage::image);
    });
}
