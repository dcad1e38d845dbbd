// ELF core files as kernel memory: notes, the physical and virtual views,
// overlapping and partly excluded segments, each producer's quirks.
#include <doctest/doctest.h>

#include <array>
#include <cstdio>
#include <string>
#include <unistd.h>
#include <vector>

#include "image_builder.hpp"
#include "ksym/dump/elf_core.hpp"

using ksym::errc;

namespace {

struct load_spec {
    std::uint64_t vaddr, paddr, filesz, memsz;
    std::byte fill;
};

struct note_spec {
    std::string name;
    std::uint32_t type;
    std::vector<std::byte> desc;
};

// An ELF64 little-endian x86-64 core: one PT_NOTE, then the PT_LOADs, each
// segment's file bytes filled with its `fill` byte.
std::vector<std::byte> core_file(const std::vector<note_spec>& notes, const std::vector<load_spec>& loads) {
    using ksym_test::put;
    constexpr auto le = std::endian::little;
    std::vector<std::byte> f(64);
    const std::size_t phnum = 1 + loads.size();
    f[0] = std::byte{0x7f};
    f[1] = std::byte{'E'};
    f[2] = std::byte{'L'};
    f[3] = std::byte{'F'};
    f[4] = std::byte{2};
    f[5] = std::byte{1};
    f[6] = std::byte{1};
    put(f, 16, 4, 2, le);   // ET_CORE
    put(f, 18, 62, 2, le);  // x86-64
    put(f, 32, 64, 8, le);
    put(f, 54, 56, 2, le);
    put(f, 56, phnum, 2, le);
    f.resize(64 + 56 * phnum);
    std::vector<std::byte> nb;
    for (const auto& n : notes) {
        std::vector<std::byte> h(12);
        put(h, 0, n.name.size() + 1, 4, le);
        put(h, 4, n.desc.size(), 4, le);
        put(h, 8, n.type, 4, le);
        nb.insert(nb.end(), h.begin(), h.end());
        for (char c : n.name) nb.push_back(static_cast<std::byte>(c));
        nb.push_back(std::byte{0});
        while (nb.size() % 4) nb.push_back(std::byte{0});
        nb.insert(nb.end(), n.desc.begin(), n.desc.end());
        while (nb.size() % 4) nb.push_back(std::byte{0});
    }
    const std::size_t note_off = f.size();
    f.insert(f.end(), nb.begin(), nb.end());
    put(f, 64, 4, 4, le);
    put(f, 64 + 8, note_off, 8, le);
    put(f, 64 + 32, nb.size(), 8, le);
    for (std::size_t i = 0; i < loads.size(); ++i) {
        while (f.size() % 4096) f.push_back(std::byte{0});
        const std::size_t off = f.size();
        f.resize(off + loads[i].filesz, loads[i].fill);
        const std::size_t ph = 64 + 56 * (i + 1);
        put(f, ph, 1, 4, le);
        put(f, ph + 8, off, 8, le);
        put(f, ph + 16, loads[i].vaddr, 8, le);
        put(f, ph + 24, loads[i].paddr, 8, le);
        put(f, ph + 32, loads[i].filesz, 8, le);
        put(f, ph + 40, loads[i].memsz, 8, le);
    }
    return f;
}

std::vector<std::byte> bytes(std::string_view s) {
    std::vector<std::byte> v;
    for (char c : s) v.push_back(static_cast<std::byte>(c));
    return v;
}

struct temp_core {
    std::string path;
    explicit temp_core(const std::vector<std::byte>& f) {
        char t[] = "/tmp/ksym-core-XXXXXX";
        const int fd = ::mkstemp(t);
        REQUIRE(fd >= 0);
        ::close(fd);
        path = t;
        REQUIRE(ksym_test::write_file(path, f));
    }
    ~temp_core() { std::remove(path.c_str()); }
};

std::byte at(const ksym::elf_core& c, std::uint64_t pa) {
    std::array<std::byte, 1> b{};
    REQUIRE(c.read(pa, b).ok());
    return b[0];
}

}  // namespace

TEST_CASE("a QEMU core: VMCOREINFO, CPUs, CR3/CR4, physical view only, later segments win, zero tails") {
    std::vector<std::byte> qemu_state(8 + 18 * 8 + 10 * 24 + 5 * 8 + 8);
    ksym_test::put(qemu_state, 8 + 18 * 8 + 10 * 24 + 24, 0x1c0a000, 8, std::endian::little);
    ksym_test::put(qemu_state, 8 + 18 * 8 + 10 * 24 + 32, 0x3506f0, 8, std::endian::little);  // LA57 (bit 12) off
    const std::string vmci = "OSRELEASE=6.1.0-37-amd64\nSYMBOL(_stext)=ffffffff81000000\n";
    std::vector<std::byte> prstatus(336);
    ksym_test::put(prstatus, 32, 4242, 4, std::endian::little);  // pr_pid
    ksym_test::put(prstatus, 112, 0xdeadbeef, 8, std::endian::little);  // pr_reg[0] (r15)
    const auto f = core_file({{"CORE", 1, prstatus},
                              {"CORE", 1, std::vector<std::byte>(336)},
                              {"QEMU", 0, qemu_state},
                              {"VMCOREINFO", 0, bytes(vmci)}},
                             {{0x0, 0x0, 0x3000, 0x3000, std::byte{1}},
                              {0x1000, 0x1000, 0x1000, 0x1000, std::byte{2}},  // replaces the middle page
                              {0x100000, 0x100000, 0x800, 0x2000, std::byte{3}}});
    temp_core t(f);
    static ksym::elf_core c;
    REQUIRE(c.open(t.path.c_str()).ok());
    CHECK(c.producer() == ksym::core_producer::qemu);
    CHECK(c.vmcoreinfo() == vmci);
    CHECK(c.cpus() == 2);
    REQUIRE(c.cpu_states().size() == 2);
    CHECK(c.cpu_states()[0].pid == 4242);
    CHECK(c.cpu_states()[1].pid == 0);
    CHECK(c.cpu_states()[0].regs_size == 336 - 112);
    std::array<std::byte, 8> r15{};
    REQUIRE(c.file().read(c.cpu_states()[0].regs_offset, r15).ok());
    CHECK(ksym::load<std::uint64_t>(r15.data(), std::endian::little) == 0xdeadbeef);
    CHECK(c.cr3() == 0x1c0a000u);
    CHECK(c.cr4() == 0x3506f0u);
    CHECK(at(c, 0x0fff) == std::byte{1});
    CHECK(at(c, 0x1000) == std::byte{2});
    CHECK(at(c, 0x2000) == std::byte{1});
    CHECK(at(c, 0x1007ff) == std::byte{3});
    CHECK(c.excluded_reads() == 0);
    CHECK(at(c, 0x100800) == std::byte{0});  // p_filesz < p_memsz: zeros, and counted
    CHECK(c.excluded_reads() == 1);
    std::array<std::byte, 2> two{};
    CHECK(c.read(0x101fff, two) == ksym::status{errc::fault, 0x102000});
    CHECK(c.virtual_view().size() == 0);  // QEMU's p_vaddr is not a kernel address
}

TEST_CASE("a kdump core trusts p_vaddr; kcore skips p_paddr -1") {
    const auto kdump = core_file({{"VMCOREINFO", 0, bytes("OSRELEASE=6.1\n")}},
                                 {{0xffffffff81000000ull, 0x1000000, 0x1000, 0x1000, std::byte{7}},
                                  {0xffff888000000000ull, 0x0, 0x2000000, 0x2000000, std::byte{8}}});
    temp_core t(kdump);
    static ksym::elf_core c;
    REQUIRE(c.open(t.path.c_str()).ok());
    CHECK(c.producer() == ksym::core_producer::kdump);
    CHECK(at(c, 0x1000000) == std::byte{8});  // RAM, listed after the text segment, replaces it
    std::array<std::byte, 1> b{};
    REQUIRE(c.virtual_view().read(0xffffffff81000000ull, b).ok());
    CHECK(b[0] == std::byte{7});

    const auto kcore = core_file({{"CORE", ksym::elf::nt_taskstruct, std::vector<std::byte>(16)}},
                                 {{0xffffc90000000000ull, ~0ull, 0x1000, 0x1000, std::byte{9}},
                                  {0xffff888000000000ull, 0x0, 0x1000, 0x1000, std::byte{5}}});
    temp_core k(kcore);
    static ksym::elf_core kc;
    REQUIRE(kc.open(k.path.c_str()).ok());
    CHECK(kc.producer() == ksym::core_producer::kcore);
    CHECK(kc.physical().size() == 1);
    REQUIRE(kc.virtual_view().read(0xffffc90000000000ull, b).ok());
    CHECK(b[0] == std::byte{9});
}

TEST_CASE("bad cores give typed errors") {
    static ksym::elf_core c;
    // Not a core.
    auto exec = core_file({}, {});
    ksym_test::put(exec, 16, 2, 2, std::endian::little);
    temp_core e(exec);
    CHECK(c.open(e.path.c_str()) == ksym::status{errc::unsupported, 16});
    // A note that runs past its segment.
    auto f = core_file({{"VMCOREINFO", 0, bytes("OSRELEASE=6.1\n")}}, {});
    ksym_test::put(f, 64 + 56 + 4, 0x7fffffff, 4, std::endian::little);  // descsz of the first note
    temp_core n(f);
    CHECK(c.open(n.path.c_str()).code() == errc::corrupt);
    // p_filesz > p_memsz.
    auto g = core_file({}, {{0, 0x1000, 0x2000, 0x1000, std::byte{1}}});
    temp_core l(g);
    CHECK(c.open(l.path.c_str()).code() == errc::corrupt);
    // Truncated: the segment's bytes are not all there.
    auto h = core_file({{"VMCOREINFO", 0, bytes("X=1\n")}}, {{0, 0x1000, 0x2000, 0x2000, std::byte{1}}});
    h.resize(h.size() - 0x1000);
    temp_core tr(h);
    REQUIRE(c.open(tr.path.c_str()).ok());
    std::array<std::byte, 1> b{};
    CHECK_FALSE(c.read(0x2fff, b).ok());
}

#include "ksym/dump/flattened.hpp"

TEST_CASE("a flattened stream reads as the file it encodes: records in any order, gaps as zeros") {
    auto stream = [](const std::vector<std::pair<std::uint64_t, std::string>>& recs, bool end = true) {
        std::vector<std::byte> f(4096);
        const std::string sig = "makedumpfile";
        for (std::size_t i = 0; i < sig.size(); ++i) f[i] = static_cast<std::byte>(sig[i]);
        ksym_test::put(f, 16, 1, 8, std::endian::big);
        ksym_test::put(f, 24, 1, 8, std::endian::big);
        for (const auto& [off, data] : recs) {
            const std::size_t at = f.size();
            ksym_test::put(f, at, off, 8, std::endian::big);
            ksym_test::put(f, at + 8, data.size(), 8, std::endian::big);
            for (char c : data) f.push_back(static_cast<std::byte>(c));
        }
        if (end) {
            const std::size_t at = f.size();
            ksym_test::put(f, at, ~0ull, 8, std::endian::big);
            ksym_test::put(f, at + 8, 0, 8, std::endian::big);
        }
        return f;
    };
    temp_core t(stream({{100, "world"}, {0, "hello"}, {5, ", "}}));
    auto file = ksym::file_reader::open(t.path.c_str());
    REQUIRE(file);
    REQUIRE(ksym::flattened_reader::is_flattened(*file));
    auto n = ksym::flattened_reader::count(*file);
    REQUIRE(n);
    CHECK(*n == 3);
    std::vector<ksym::flat_record> recs(*n);
    ksym::flattened_reader flat;
    REQUIRE(flat.open(std::move(*file), recs).ok());
    CHECK(flat.size() == 105);
    std::array<char, 105> all{};
    REQUIRE(flat.read(0, std::as_writable_bytes(std::span(all))).ok());
    std::string want = "hello, ";
    want.resize(100, '\0');
    want += "world";
    CHECK(std::string(all.data(), all.size()) == want);
    std::array<std::byte, 2> past{};
    CHECK(flat.read(104, past) == errc::fault);

    // Overlapping records: reassembly needed.
    temp_core o(stream({{0, "abcd"}, {2, "xy"}}));
    auto of = ksym::file_reader::open(o.path.c_str());
    std::vector<ksym::flat_record> orecs(2);
    ksym::flattened_reader oflat;
    CHECK(oflat.open(std::move(*of), orecs).code() == errc::unsupported);
    // No end marker: truncated. A record longer than the stream: corrupt.
    temp_core u(stream({{0, "abcd"}}, false));
    auto uf = ksym::file_reader::open(u.path.c_str());
    CHECK(ksym::flattened_reader::count(*uf).error().code() == errc::truncated);
    auto bad = stream({{0, "abcd"}});
    ksym_test::put(bad, 4096 + 8, 1ull << 40, 8, std::endian::big);
    temp_core b(bad);
    auto bf = ksym::file_reader::open(b.path.c_str());
    CHECK(ksym::flattened_reader::count(*bf).error() == ksym::status{errc::corrupt, 4096});
}
