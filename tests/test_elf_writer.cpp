// elf/writer.hpp: an ELF written from a synthetic kallsyms table and memory,
// read back with elf/elf_file.hpp, for both classes and byte orders.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "ksym/arch/targets.hpp"
#include "ksym/elf/elf_file.hpp"
#include "ksym/elf/writer.hpp"
#include "ksym/kallsyms/encoder.hpp"
#include "ksym/kallsyms/table.hpp"
#include "ksym/memory/buffer_reader.hpp"

using ksym::errc;
namespace elf = ksym::elf;

namespace {

struct vector_sink {
    std::vector<std::byte> bytes;
    ksym::status write(std::span<const std::byte> b) {
        bytes.insert(bytes.end(), b.begin(), b.end());
        return {};
    }
};

// The letter llvm-nm prints for an ELF symbol (its getNMTypeChar for ELF):
// weak by type, absolute, else from the flags of the symbol's section, upper
// case for non-local bindings. Written here from the rules, not from ksym.
char nm_letter(const elf::symbol& s, const std::vector<elf::section>& secs) {
    const unsigned bind = s.info >> 4, type = s.info & 0xf;
    if (bind == 2) return type == 1 ? 'V' : 'W';
    char c = '?';
    if (s.shndx == 0xfff1) {
        c = 'a';
    } else if (s.shndx < secs.size()) {
        const elf::section& sc = secs[s.shndx];
        if (sc.flags & 4) c = 't';
        else if (sc.type == 8) c = 'b';
        else if (sc.flags & 2) c = (sc.flags & 1) ? 'd' : 'r';
    }
    return bind == 0 ? c : static_cast<char>(c - 'a' + 'A');
}

// st_info for the letters below, from the gABI: binding << 4 | type.
std::uint8_t expected_info(char c) {
    switch (c) {
    case 'T': return 0x12;
    case 't': return 0x02;
    case 'D': case 'R': case 'B': return 0x11;
    case 'd': case 'r': case 'b': return 0x01;
    case 'W': return 0x20;
    case 'V': return 0x21;
    case 'A': return 0x10;
    default: return 0x00;  // 'a'
    }
}

// A kernel in miniature: two loads with a gap, text then rodata in the
// first; data, a boundary where three kinds meet, data running past the
// file-backed part, then bss, in the second; absolute symbols, weak ones,
// aliases, and symbols in the gap.
struct fixture {
    std::uint64_t base;
    std::vector<elf::segment> loads;
    std::vector<std::byte> memory;  // [base, base + memory.size())
    std::vector<ksym::encoder_symbol> symbols;

    explicit fixture(std::uint64_t b) : base(b) {
        elf::segment a;
        a.type = elf::pt_load;
        a.flags = elf::pf_r | elf::pf_x;
        a.vaddr = b;
        a.paddr = 0x1000000;
        a.filesz = a.memsz = 0x30000;
        a.align = 0x200000;
        elf::segment d = a;
        d.flags = elf::pf_r | elf::pf_w;
        d.vaddr = b + 0x40000;
        d.paddr = 0x1040000;
        d.filesz = 0x12000;
        d.memsz = 0x20000;
        loads = {a, d};
        memory.resize(0x60000);
        for (std::size_t i = 0; i < memory.size(); ++i) memory[i] = static_cast<std::byte>((i * 7 + 3) ^ (i >> 9));
        auto add = [&](std::uint64_t off, char type, std::string name) {
            symbols.push_back({off == ~0ull ? 0 : b + off, type, std::move(name)});
        };
        add(~0ull, 'A', "abs_zero");
        symbols.push_back({0x40, 'a', "abs_local"});
        add(0x0, 'T', "_text");
        add(0x0, 't', "startup");
        for (int i = 0; i < 40; ++i) add(0x100 + 0x400 * std::uint64_t(i), "tTW"[i % 3], "fn_" + std::to_string(i));
        add(0x10100, 'T', "fn_late");
        add(0x18000, 'T', "_etext");    // ends text where rodata starts
        add(0x18000, 'r', "first_ro");
        for (int i = 0; i < 20; ++i) add(0x18010 + 0x100 * std::uint64_t(i), i % 2 ? 'R' : 'r', "ro_" + std::to_string(i));
        add(0x30000, 'R', "__end_ro");  // at the end of the first load
        add(0x34000, 'R', "gap_ro");    // between the loads: beside rodata
        add(0x38000, 'T', "gap_text");  // between the loads: beside nothing of its kind
        add(0x40000, 'D', "_sdata");
        for (int i = 0; i < 30; ++i) add(0x40100 + 0x80 * std::uint64_t(i), "dDV"[i % 3], "var_" + std::to_string(i));
        add(0x48000, 'd', "__stop_table");  // three kinds at one address
        add(0x48000, 'r', "ro_in_data");
        add(0x48000, 'b', "zeros_at_start");
        add(0x48010, 'b', "zeros_1");
        add(0x48800, 'd', "more_data");
        add(0x51f00, 'd', "data_near_file_end");
        add(0x52400, 'D', "data_past_file_end");  // zeros in the file
        add(0x53000, 'B', "__bss_start");
        for (int i = 0; i < 10; ++i) add(0x53000 + 0x200 * std::uint64_t(i), i % 2 ? 'B' : 'b', "bss_" + std::to_string(i));
        add(0x60000, 'B', "_end");  // at the end of the second load
    }
};

template <class Arch>
void check_roundtrip(std::uint64_t base) {
    constexpr bool is64 = Arch::pointer_bytes == 8;
    constexpr std::endian order = Arch::byte_order;
    INFO(Arch::name);
    fixture fx(base);

    // The table as a kernel would hold it, somewhere else in memory.
    ksym::encoder_options eo;
    eo.encoding = ksym::address_encoding::absolute;
    eo.word_bytes = Arch::pointer_bytes;
    eo.byte_order = order;
    eo.base = base + 0x100000;
    auto enc = ksym::encode_kallsyms(fx.symbols, eo);
    REQUIRE(enc);
    ksym::buffer_reader table_mem(enc->blob, enc->base);
    auto table = std::make_unique<ksym::kallsyms_table<ksym::buffer_reader, Arch>>();
    REQUIRE(table->open(table_mem, enc->format).ok());

    elf::header target;
    target.is64 = is64;
    target.order = order;
    target.machine = Arch::elf_machine;
    target.flags = 0x5000000;
    target.entry = base + 0x100;
    ksym::buffer_reader memory(fx.memory, base);
    ksym::name_buffer name;
    auto symbols = [&](auto&& visit) { return table->for_each(name, visit); };
    std::vector<elf::planned_section> planned(64);
    vector_sink sink;
    REQUIRE(elf::write_image(target, fx.loads, memory, symbols, sink, std::span(planned)).ok());

    // Read back: header.
    ksym::buffer_reader file(sink.bytes);
    auto h = elf::read_header(file);
    REQUIRE(h);
    CHECK(h->is64 == is64);
    CHECK(h->order == order);
    CHECK(h->type == elf::et_exec);
    CHECK(h->machine == Arch::elf_machine);
    CHECK(h->flags == 0x5000000);
    CHECK(h->entry == base + 0x100);

    // Program headers: the loads, each holding the memory's bytes.
    auto bytes_at = [&](std::uint64_t off, std::uint64_t len) {
        std::vector<std::byte> v(len);
        CHECK(file.read(off, v).ok());
        return v;
    };
    auto memory_at = [&](std::uint64_t addr, std::uint64_t len, std::uint64_t file_end) {
        std::vector<std::byte> v(len);
        for (std::uint64_t i = 0; i < len; ++i)
            if (addr + i < file_end) v[i] = fx.memory[addr + i - base];
        return v;
    };
    REQUIRE(h->phnum == 2);
    for (std::uint16_t i = 0; i < 2; ++i) {
        auto sg = elf::read_segment(file, *h, i);
        REQUIRE(sg);
        const elf::segment& l = fx.loads[i];
        CHECK(sg->type == elf::pt_load);
        CHECK(sg->vaddr == l.vaddr);
        CHECK(sg->paddr == l.paddr);
        CHECK(sg->memsz == l.memsz);
        CHECK(sg->flags == l.flags);
        CHECK(sg->offset % sg->align == sg->vaddr % sg->align);
        // The second load is written past its file-backed part up to the
        // data that lies there, as zeros.
        CHECK(sg->filesz == (i == 0 ? l.filesz : 0x13000));
        CHECK(bytes_at(sg->offset, sg->filesz) == memory_at(l.vaddr, sg->filesz, l.vaddr + l.filesz));
    }

    // Section headers: the planned ones cover the loads in order, without
    // overlap, and hold the loads' bytes; then .symtab, .strtab, .shstrtab.
    std::vector<elf::section> secs;
    for (std::uint16_t i = 0; i < h->shnum; ++i) {
        auto sc = elf::read_section(file, *h, i);
        REQUIRE(sc);
        secs.push_back(*sc);
    }
    REQUIRE(secs.size() >= 5);
    const std::size_t n = secs.size() - 4;
    auto shstr = [&](std::uint32_t off) {
        const elf::section& t = secs[h->shstrndx];
        std::string s;
        for (std::uint64_t i = t.offset + off; i < t.offset + t.size && sink.bytes[i] != std::byte{0}; ++i)
            s += static_cast<char>(sink.bytes[i]);
        return s;
    };
    CHECK(h->shstrndx == n + 3);
    std::vector<std::tuple<std::string, std::uint64_t, std::uint64_t, std::uint64_t, std::uint32_t>> layout;
    for (std::size_t i = 1; i <= n; ++i) {
        const elf::section& sc = secs[i];
        layout.emplace_back(shstr(sc.name), sc.addr - base, sc.size, sc.flags, sc.type);
        if (sc.type == elf::sht_progbits) {
            const elf::segment& l = fx.loads[sc.addr >= fx.loads[1].vaddr ? 1 : 0];
            CHECK(bytes_at(sc.offset, sc.size) == memory_at(sc.addr, sc.size, l.vaddr + l.filesz));
        }
    }
    constexpr std::uint64_t ax = 6, a = 2, wa = 3;
    constexpr std::uint32_t pb = elf::sht_progbits, nb = elf::sht_nobits;
    const decltype(layout) want_layout = {
        {".text", 0x0, 0x18000, ax, pb},          {".rodata", 0x18000, 0x18000, a, pb},
        {".data", 0x40000, 0x8000, wa, pb},       {".rodata.1", 0x48000, 0x0, a, pb},
        {".bss", 0x48000, 0x800, wa, nb},         {".data.1", 0x48800, 0xa800, wa, pb},
        {".bss.1", 0x53000, 0xd000, wa, nb},
    };
    CHECK(layout == want_layout);
    const elf::section& symtab = secs[n + 1];
    CHECK(shstr(symtab.name) == ".symtab");
    CHECK(symtab.type == elf::sht_symtab);
    CHECK(symtab.link == n + 2);
    CHECK(symtab.entsize == (is64 ? 24u : 16u));
    CHECK(shstr(secs[n + 2].name) == ".strtab");
    CHECK(shstr(secs[n + 3].name) == ".shstrtab");

    // The whole symbol list: the null symbol, then the table's locals, then
    // its globals, each with its address, size (to the next higher address;
    // 0 when absolute), st_info, and a section that gives back its letter.
    struct entry {
        std::string name;
        std::uint64_t value, size;
        std::uint8_t info;
        char letter;
        std::string section;
        bool operator==(const entry&) const = default;
    };
    std::vector<entry> got;
    REQUIRE(elf::for_each_symbol<512>(file, *h, [&](const elf::symbol& s, std::string_view nm) {
        const bool in_section = s.shndx != 0 && s.shndx < secs.size();
        got.push_back({std::string(nm), s.value, s.size, s.info, nm_letter(s, secs),
                       in_section ? shstr(secs[s.shndx].name) : s.shndx == 0xfff1 ? "ABS" : "?"});
    }).ok());
    const auto& in = enc->symbols;  // table order
    std::vector<entry> want{{"", 0, 0, 0, 'a', "?"}};
    std::size_t locals = 0;
    for (const bool local : {true, false}) {
        for (std::size_t k = 0; k < in.size(); ++k) {
            const char c = in[k].type;
            if ((c >= 'a' && c <= 'z') != local) continue;
            locals += local;
            std::uint64_t size = 0;
            for (std::size_t j = k + 1; j < in.size() && c != 'A' && c != 'a'; ++j)
                if (in[j].address > in[k].address) {
                    size = in[j].address - in[k].address;
                    break;
                }
            // Where each symbol should land, by name for the interesting ones.
            const std::uint64_t off = in[k].address - base;
            std::string sec;
            if (c == 'A' || c == 'a' || in[k].name == "gap_text") sec = "ABS";
            else if (in[k].name == "gap_ro" || in[k].name == "__end_ro") sec = ".rodata";
            else if (in[k].name == "__stop_table") sec = ".data";
            else if (in[k].name == "ro_in_data") sec = ".rodata.1";
            else if (off < 0x18000 || in[k].name == "_etext") sec = ".text";
            else if (off < 0x30000) sec = ".rodata";
            else if (off < 0x48000) sec = ".data";
            else if (off < 0x48800) sec = ".bss";
            else if (off < 0x53000) sec = ".data.1";
            else sec = ".bss.1";
            // gap_text keeps no section of its kind, so nm calls it absolute.
            const char letter = in[k].name == "gap_text" ? 'A' : c;
            want.push_back({in[k].name, in[k].address, size, expected_info(c), letter, sec});
        }
    }
    want.front().letter = nm_letter(elf::symbol{}, secs);
    CHECK(symtab.info == 1 + locals);
    REQUIRE(got.size() == want.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        INFO(i, " ", want[i].name);
        CHECK(got[i].name == want[i].name);
        CHECK(got[i].value == want[i].value);
        CHECK(got[i].size == want[i].size);
        CHECK(int(got[i].info) == int(want[i].info));
        CHECK(got[i].letter == want[i].letter);
        CHECK(got[i].section == want[i].section);
    }
    CHECK(got == want);

    // Too little room to plan the sections.
    vector_sink small;
    CHECK(elf::write_image(target, fx.loads, memory, symbols, small, std::span(planned).first(3)) == errc::capacity);
}

}  // namespace

TEST_CASE("write_image: ELF64 little-endian (x86-64)") { check_roundtrip<ksym::arch::x86_64>(0xffffffff81000000); }
TEST_CASE("write_image: ELF64 big-endian (s390x)") { check_roundtrip<ksym::arch::s390x>(0x100000); }
TEST_CASE("write_image: ELF32 little-endian (i386)") { check_roundtrip<ksym::arch::i386>(0xc1000000); }
TEST_CASE("write_image: ELF32 big-endian") {
    check_roundtrip<ksym::arch::generic<4, std::endian::big>>(0xc0000000);
}

TEST_CASE("write_image refuses what it cannot write") {
    fixture fx(0xc1000000);
    std::vector<ksym::symbol> syms{{0, 0xc1000100, 0x10, 'T', "f", {}}};
    auto symbols = [&](auto&& visit) {
        for (const auto& s : syms) visit(s);
        return ksym::status{};
    };
    ksym::buffer_reader memory(fx.memory, fx.base);
    std::vector<elf::planned_section> planned(16);
    elf::header target;
    target.is64 = false;
    target.machine = 3;
    vector_sink sink;
    // Loads out of order or overlapping.
    std::vector<elf::segment> swapped{fx.loads[1], fx.loads[0]};
    CHECK(elf::write_image(target, swapped, memory, symbols, sink, std::span(planned)) == errc::invalid_argument);
    // An address beyond 32 bits in an ELF32.
    syms.push_back({1, 0x100000000, 0, 'T', "far", {}});
    CHECK(elf::write_image(target, fx.loads, memory, symbols, sink, std::span(planned)) == errc::invalid_argument);
    syms.pop_back();
    // Symbols out of address order.
    syms.push_back({1, 0xc1000000, 0, 't', "before", {}});
    CHECK(elf::write_image(target, fx.loads, memory, symbols, sink, std::span(planned)) == errc::invalid_argument);
    syms.pop_back();
    // A sink that fails passes its failure on.
    struct full_sink {
        ksym::status write(std::span<const std::byte>) { return {errc::io_error, 28}; }
    } full;
    CHECK(elf::write_image(target, fx.loads, memory, symbols, full, std::span(planned)) == errc::io_error);
    // Memory that cannot be read.
    ksym::buffer_reader none;
    CHECK(elf::write_image(target, fx.loads, none, symbols, sink, std::span(planned)) == errc::fault);
    // And with all that fixed, it writes.
    sink.bytes.clear();
    CHECK(elf::write_image(target, fx.loads, memory, symbols, sink, std::span(planned)).ok());
}
