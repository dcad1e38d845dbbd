// The ksym tool (and the demo example) end to end, run as a user would. Every
// line a command prints is compared whole with a line made from the
// encoder's symbol list; bad input is one line on stderr and exit 2.
#include <doctest/doctest.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "image_builder.hpp"
#include "ksym/arch/targets.hpp"
#include "ksym/core/errc.hpp"
#include "ksym/elf/elf_file.hpp"
#include "ksym/elf/writer.hpp"
#include "ksym/kallsyms/encoder.hpp"
#include "ksym/kallsyms/resolve.hpp"
#include "ksym/kallsyms/table.hpp"
#include "ksym/memory/buffer_reader.hpp"
#include "ksym/memory/file_reader.hpp"
#include "ksym/symbols/nm_type.hpp"
#include "ksym/symbols/st_info.hpp"
#include "ksym/symbols/symbol_attrs.hpp"
#include "synthetic.hpp"

namespace {

using symbol_list = std::vector<ksym::encoder_symbol>;

struct run_result {
    int code = -1;
    std::string out;
    std::string err;
};

run_result run_program(const std::string& program, const std::string& args) {
    char errpath[] = "/tmp/ksym-cli-err-XXXXXX";
    const int fd = ::mkstemp(errpath);
    REQUIRE(fd >= 0);
    ::close(fd);
    const std::string cmd = program + " " + args + " 2>" + errpath;
    run_result r;
    std::FILE* p = ::popen(cmd.c_str(), "r");
    REQUIRE(p != nullptr);
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
    const int st = ::pclose(p);
    r.code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    std::FILE* e = std::fopen(errpath, "r");
    while (e && (n = std::fread(buf, 1, sizeof buf, e)) > 0) r.err.append(buf, n);
    if (e) std::fclose(e);
    std::remove(errpath);
    return r;
}

run_result run(const std::string& args) { return run_program(KSYM_CLI, args); }

struct files {
    std::string dir;
    files() {
        char t[] = "/tmp/ksym-cli-XXXXXX";
        REQUIRE(::mkdtemp(t) != nullptr);
        dir = t;
    }
    ~files() { REQUIRE(std::system(("rm -rf " + dir).c_str()) == 0); }
    std::string write(const std::string& name, const std::vector<std::byte>& b) const {
        const std::string p = dir + "/" + name;
        REQUIRE(ksym_test::write_file(p, b));
        return p;
    }
    std::string write(const std::string& name, const std::string& s) const {
        return write(name, std::vector<std::byte>(reinterpret_cast<const std::byte*>(s.data()),
                                                  reinterpret_cast<const std::byte*>(s.data()) + s.size()));
    }
};

std::vector<std::string> split_lines(const std::string& s) {
    std::vector<std::string> v;
    std::size_t at = 0;
    while (at < s.size()) {
        const std::size_t nl = s.find('\n', at);
        const std::size_t end = nl == std::string::npos ? s.size() : nl + 1;
        v.push_back(s.substr(at, end - at));  // with its '\n', so a missing last newline shows
        at = end;
    }
    return v;
}

// Every line of `out` equals the line of `want` at the same place, and there
// are as many. Reports the first line that differs, not two huge strings.
void check_lines(const std::string& out, const std::string& want) {
    const auto o = split_lines(out), w = split_lines(want);
    CHECK(o.size() == w.size());
    for (std::size_t i = 0; i < std::min(o.size(), w.size()); ++i) {
        if (o[i] == w[i]) continue;
        CAPTURE(i);
        CHECK(o[i] == w[i]);
        break;
    }
}

// One line on stderr that names `file`, exit status 2, nothing on stdout.
void expect_bad(const run_result& r, const std::string& file) {
    CAPTURE(r.err);
    CHECK(r.code == 2);
    CHECK(r.out.empty());
    CHECK(r.err.find(file) != std::string::npos);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
}

std::string hex(std::uint64_t v, int digits = 0) {
    char b[32];
    std::snprintf(b, sizeof b, "%0*llx", digits, static_cast<unsigned long long>(v));
    return b;
}

// /proc/kallsyms format.
std::string dump_lines(const symbol_list& v, int digits) {
    std::string s;
    for (const auto& e : v) s += hex(e.address, digits) + " " + e.type + " " + e.name + "\n";
    return s;
}

// Distance to the next higher address, 0 for the last: the kernel's size.
std::uint64_t size_of(const symbol_list& v, std::size_t i) {
    for (std::size_t j = i + 1; j < v.size(); ++j)
        if (v[j].address > v[i].address) return v[j].address - v[i].address;
    return 0;
}

// ADDR TYPE NAME+0xOFF/0xSIZE for symbol i.
std::string lookup_line(const symbol_list& v, std::size_t i, std::uint64_t offset, int digits) {
    return hex(v[i].address, digits) + " " + v[i].type + " " + v[i].name + "+0x" + hex(offset) + "/0x" +
           hex(size_of(v, i)) + "\n";
}

// What `lookup NAME` prints: the first symbol of that name in table order
// (the lowest address, as the kernel picks), at offset 0.
std::string by_name(const symbol_list& v, const std::string& name, int digits) {
    const auto it = std::find_if(v.begin(), v.end(), [&](const auto& e) { return e.name == name; });
    REQUIRE(it != v.end());
    return lookup_line(v, static_cast<std::size_t>(it - v.begin()), 0, digits);
}

// What `lookup 0xADDR` prints: the last symbol at or below it, back to the
// first of its aliases.
std::string by_address(const symbol_list& v, std::uint64_t addr, int digits) {
    std::size_t i = v.size();
    while (i > 0 && v[i - 1].address > addr) --i;
    REQUIRE(i > 0);
    --i;
    while (i > 0 && v[i - 1].address == v[i].address) --i;
    return lookup_line(v, i, addr - v[i].address, digits);
}

std::string lookup_args(const std::string& img, const std::string& map, const std::string& q) {
    return "lookup " + img + " --system-map " + map + " " + q;
}

// Runs `lookup` for each query and compares its whole output.
void check_lookups(const std::string& img, const std::string& map, const symbol_list& v, int digits,
                   const std::vector<std::string>& names, const std::vector<std::uint64_t>& addrs) {
    for (const auto& n : names) {
        CAPTURE(n);
        const auto r = run(lookup_args(img, map, n));
        CHECK(r.code == 0);
        CHECK(r.err.empty());
        CHECK(r.out == by_name(v, n, digits));
    }
    for (auto a : addrs) {
        const std::string q = "0x" + hex(a);
        CAPTURE(q);
        const auto r = run(lookup_args(img, map, q));
        CHECK(r.code == 0);
        CHECK(r.err.empty());
        CHECK(r.out == by_address(v, a, digits));
    }
}

// The arrays `ksym info` lists, in its order, at their addresses.
std::string layout_lines(const ksym::kallsyms_layout& l) {
    std::string out;
    const auto add = [&](const char* name, std::optional<std::uint64_t> at) {
        if (at) out += std::string(name) + ": 0x" + hex(*at) + "\n";
    };
    add("kallsyms_num_syms", l.num_syms);
    add("kallsyms_names", l.names);
    add("kallsyms_markers", l.markers);
    add("kallsyms_token_table", l.token_table);
    add("kallsyms_token_index", l.token_index);
    add("kallsyms_addresses", l.addresses);
    add("kallsyms_offsets", l.offsets);
    add("kallsyms_relative_base", l.relative_base);
    add("kallsyms_seqs_of_names", l.seqs_of_names);
    return out;
}

ksym::kallsyms_layout no_markers(ksym::kallsyms_layout l) {
    l.markers.reset();
    return l;
}

std::string info_args(const std::string& img, const std::string& map) {
    return "info " + img + " --system-map " + map;
}

std::string dump_args(const std::string& img, const std::string& map) {
    return "dump " + img + " --system-map " + map;
}

// A name that occurs more than once, an alias (a second symbol at one
// address) and a symbol with room for an offset, from the list.
struct interesting {
    std::string duplicate_name;
    std::size_t alias = 0;
    std::size_t roomy = 0;
};

interesting find_interesting(const symbol_list& v) {
    interesting r;
    for (std::size_t i = 1; i < v.size(); ++i) {
        if (r.alias == 0 && v[i].address == v[i - 1].address) r.alias = i;
        if (r.duplicate_name.empty() &&
            std::count_if(v.begin(), v.end(), [&](const auto& e) { return e.name == v[i].name; }) > 1)
            r.duplicate_name = v[i].name;
        if (r.roomy == 0 && i > v.size() / 3 && size_of(v, i) > 2) r.roomy = i;
    }
    REQUIRE(r.alias != 0);
    REQUIRE(!r.duplicate_name.empty());
    REQUIRE(r.roomy != 0);
    return r;
}

// The map without one symbol's line.
std::string without(std::string map, const std::string& name) {
    const auto at = map.find(" " + name + "\n");
    REQUIRE(at != std::string::npos);
    const auto start = map.rfind('\n', at);
    const auto from = start == std::string::npos ? 0 : start + 1;
    map.erase(from, at + name.size() + 2 - from);
    return map;
}

}  // namespace

TEST_CASE("ksym dump, lookup and info on an x86-64 ELF vmlinux") {
    files f;
    ksym_test::synth_options so;
    so.count = 600;
    ksym::encoder_options eo;
    eo.base = 0xffffffff82000000ull;
    auto t = ksym::encode_kallsyms(ksym_test::make_symbols(so), eo);
    REQUIRE(t);
    const auto& v = t->symbols;
    const auto img = f.write("vmlinux", ksym_test::elf_file(*t, true, std::endian::little, 62, false));
    const auto map = f.write("System.map", ksym_test::system_map(*t, {}));

    auto r = run(dump_args(img, map));
    CHECK(r.code == 0);
    CHECK(r.err.empty());
    check_lines(r.out, dump_lines(v, 16));

    const auto x = find_interesting(v);
    // Names: the first, a middle one, the last, an alias (the named symbol,
    // not the first at its address), a name that occurs twice.
    check_lookups(img, map, v, 16, {v.front().name, v[123].name, v.back().name, v[x.alias].name, x.duplicate_name},
                  {// Addresses: exact, inside a symbol, an alias's (the first alias answers),
                   // past the last symbol (size 0).
                   v.front().address, v[x.roomy].address + 1, v[x.roomy].address + size_of(v, x.roomy) - 1,
                   v[x.alias].address, v.back().address + 0x1234});

    // Nothing there: exit 1, nothing on stdout, one line saying so.
    const std::string below = "0x" + hex(v.front().address - 1);
    for (const std::string& q : {std::string("no_such_symbol"), below, std::string("0xnothex")}) {
        CAPTURE(q);
        r = run(lookup_args(img, map, q));
        CHECK(r.code == 1);
        CHECK(r.out.empty());
        CHECK(r.err == "ksym: " + img + ": no symbol " + q + "\n");
    }

    r = run(info_args(img, map));
    CHECK(r.code == 0);
    CHECK(r.err.empty());
    check_lines(r.out, "format: elf\n"
                       "arch: x86_64\n"
                       "located: System.map\n" + layout_lines(t->layout) +
                       "symbols: 600\n"
                       "encoding: base-relative\n"
                       "relative_base: 0x" + hex(t->format.relative_base) + " (stored)\n"
                       "markers: 4 bytes\n"
                       "seqs_of_names: yes\n");

    // The same file with no map: the scanner finds the table, the program
    // headers place it, and every line is the same.
    r = run("dump " + img);
    CHECK(r.code == 0);
    CHECK(r.err.empty());
    check_lines(r.out, dump_lines(v, 16));
    r = run("info " + img);
    CHECK(r.code == 0);
    check_lines(r.out, "format: elf\n"
                       "arch: x86_64\n"
                       "located: by scanning (no map); checks held: token-table names-count names-end markers "
                       "type-letters addresses-sorted base-lowest seqs-permutation seqs-sorted\n"
                       "placed_by: elf-segments\n" +
                           layout_lines(t->layout) +
                           "symbols: 600\n"
                           "encoding: base-relative\n"
                           "relative_base: 0x" + hex(t->format.relative_base) + " (stored)\n"
                           "markers: 4 bytes\n"
                           "seqs_of_names: yes\n");
    // Random bytes hold no table: a clear error, exit 2.
    std::string noise(1 << 16, '\0');
    for (std::size_t k = 0; k < noise.size(); ++k) noise[k] = static_cast<char>((k * 2654435761u) >> 13);
    const auto junk = f.write("junk", noise);
    r = run("dump " + junk + " --arch x86_64");
    CHECK(r.code == 2);
    CHECK(r.err == "ksym: " + junk + ": no kallsyms table found\n");
}

TEST_CASE("ksym on other table shapes: absolute-percpu, absolute without markers or seqs, 32-bit") {
    files f;
    ksym_test::synth_options so;
    so.count = 700;

    SUBCASE("absolute-percpu, as x86-64 before 6.15") {
        so.percpu = 40;
        ksym::encoder_options eo;
        eo.encoding = ksym::address_encoding::absolute_percpu;
        eo.base = 0xffffffff82000000ull;
        auto t = ksym::encode_kallsyms(ksym_test::make_symbols(so), eo);
        REQUIRE(t);
        const auto& v = t->symbols;
        const auto img = f.write("vmlinux", ksym_test::elf_file(*t, true, std::endian::little, 62, false));
        const auto map = f.write("System.map", ksym_test::system_map(*t, {}));
        auto r = run(dump_args(img, map));
        CHECK(r.code == 0);
        check_lines(r.out, dump_lines(v, 16));
        check_lookups(img, map, v, 16, {v[3].name, v[300].name}, {v[3].address + 1, v[300].address + 1});
        r = run(info_args(img, map));
        CHECK(r.code == 0);
        check_lines(r.out, "format: elf\n"
                           "arch: x86_64\n"
                           "located: System.map\n" + layout_lines(t->layout) +
                           "symbols: 700\n"
                           "encoding: absolute-percpu\n"
                           "relative_base: 0x" + hex(t->format.relative_base) + " (stored)\n"
                           "markers: 4 bytes\n"
                           "seqs_of_names: yes\n");
    }

    SUBCASE("absolute addresses, no kallsyms_seqs_of_names, markers not in the map") {
        ksym::encoder_options eo;
        eo.encoding = ksym::address_encoding::absolute;
        eo.seqs_of_names = false;
        eo.base = 0xffffffff82000000ull;
        auto t = ksym::encode_kallsyms(ksym_test::make_symbols(so), eo);
        REQUIRE(t);
        const auto& v = t->symbols;
        const auto img = f.write("vmlinux", ksym_test::elf_file(*t, true, std::endian::little, 62, false));
        const auto map = f.write("System.map", without(ksym_test::system_map(*t, {}), "kallsyms_markers"));
        auto r = run(dump_args(img, map));
        CHECK(r.code == 0);
        check_lines(r.out, dump_lines(v, 16));
        const auto x = find_interesting(v);
        check_lookups(img, map, v, 16, {v[500].name, x.duplicate_name}, {v[500].address + 1});
        r = run(info_args(img, map));
        CHECK(r.code == 0);
        check_lines(r.out, "format: elf\n"
                           "arch: x86_64\n"
                           "located: System.map\n" + layout_lines(no_markers(t->layout)) +
                           "symbols: 700\n"
                           "encoding: absolute\n"
                           "markers: derived\n"
                           "seqs_of_names: no\n");
    }

    SUBCASE("32-bit i386: addresses in 8 digits") {
        so.start = 0xc1000000;
        ksym::encoder_options eo;
        eo.word_bytes = 4;
        eo.base = 0xc2000000;
        auto t = ksym::encode_kallsyms(ksym_test::make_symbols(so), eo);
        REQUIRE(t);
        const auto& v = t->symbols;
        const auto img = f.write("vmlinux32", ksym_test::elf_file(*t, false, std::endian::little, 3, false));
        const auto map = f.write("System.map32", ksym_test::system_map(*t, {}, 8));
        auto r = run(dump_args(img, map));
        CHECK(r.code == 0);
        check_lines(r.out, dump_lines(v, 8));
        check_lookups(img, map, v, 8, {v[10].name, v.back().name}, {v[10].address + 1, v.back().address + 5});
        r = run(info_args(img, map));
        CHECK(r.code == 0);
        check_lines(r.out, "format: elf\n"
                           "arch: i386\n"
                           "located: System.map\n" + layout_lines(t->layout) +
                           "symbols: 700\n"
                           "encoding: base-relative\n"
                           "relative_base: 0x" + hex(t->format.relative_base) + " (stored)\n"
                           "markers: 4 bytes\n"
                           "seqs_of_names: yes\n");
    }
}

TEST_CASE("ksym on a raw arm64 Image: the base comes from its relocation") {
    files f;
    ksym_test::synth_options so;
    so.count = 900;
    so.start = 0xffff800080010000ull;
    ksym::encoder_options eo;
    const std::uint64_t load = 0xffff800080000000ull;
    eo.base = 0xffff800080800000ull;
    auto t = ksym::encode_kallsyms(ksym_test::make_symbols(so), eo);
    REQUIRE(t);
    const auto& v = t->symbols;
    const auto img = f.write("Image", ksym_test::arm64_image(*t, load, true));
    const auto map = f.write("System.map", ksym_test::system_map(*t, {{load, 'T', "_text"}}));

    auto r = run(dump_args(img, map));
    CHECK(r.code == 0);
    check_lines(r.out, dump_lines(v, 16));
    check_lookups(img, map, v, 16, {v[0].name, v[450].name}, {v[450].address + 1, v.back().address});
    r = run(info_args(img, map));
    CHECK(r.code == 0);
    check_lines(r.out, "format: raw-arm64\n"
                       "arch: arm64\n"
                       "located: System.map\n" + layout_lines(t->layout) +
                       "symbols: 900\n"
                       "encoding: base-relative\n"
                       "relative_base: 0x" + hex(t->format.relative_base) + " (relocation)\n"
                       "markers: 4 bytes\n"
                       "seqs_of_names: yes\n");
}

TEST_CASE("ksym elf: the image's memory and every symbol, in an ELF file") {
    files f;
    ksym_test::synth_options so;
    so.count = 900;
    so.start = 0xffff800080010000ull;
    ksym::encoder_options eo;
    const std::uint64_t load = 0xffff800080000000ull;
    eo.base = 0xffff800080800000ull;
    // _end lies past the file, after bss; the header's image_size is 0, so
    // the load must reach it anyway.
    auto input = ksym_test::make_symbols(so);
    const std::uint64_t end = eo.base + 0x100000;
    input.push_back({end, 'B', "_end"});
    auto t = ksym::encode_kallsyms(input, eo);
    REQUIRE(t);
    const auto& v = t->symbols;
    const auto image_bytes = ksym_test::arm64_image(*t, load, true);
    REQUIRE(image_bytes.size() < end - load);
    const auto img = f.write("Image", image_bytes);
    const auto map = f.write("System.map", ksym_test::system_map(*t, {{load, 'T', "_text"}}));
    const std::string out = f.dir + "/Image.elf";

    auto r = run("elf " + img + " --system-map " + map + " -o " + out);
    CHECK(r.code == 0);
    CHECK(r.out.empty());
    CHECK(r.err.empty());
    auto file = ksym::file_reader::open(out.c_str());
    REQUIRE(file);
    auto h = ksym::elf::read_header(*file);
    REQUIRE(h);
    CHECK(h->machine == 183);  // EM_AARCH64
    CHECK(h->entry == load);
    // One load: the Image at the map's _text, its bytes as they are in the file.
    REQUIRE(h->phnum == 1);
    auto seg = ksym::elf::read_segment(*file, *h, 0);
    REQUIRE(seg);
    CHECK(seg->vaddr == load);
    CHECK(seg->memsz == end - load);
    REQUIRE(seg->filesz >= image_bytes.size());
    std::vector<std::byte> held(image_bytes.size());
    REQUIRE(file->read(seg->offset, held).ok());
    CHECK(held == image_bytes);
    // Every symbol, by name and address, as many times as the table has it.
    std::vector<std::pair<std::string, std::uint64_t>> want, got;
    for (const auto& e : v) want.emplace_back(e.name, e.address);
    std::uint16_t end_section = 0;
    REQUIRE(ksym::elf::for_each_symbol<512>(*file, *h, [&](const ksym::elf::symbol& s, std::string_view name) {
        if (!name.empty()) got.emplace_back(std::string(name), s.value);
        if (name == "_end") end_section = s.shndx;
    }).ok());
    auto end_sc = ksym::elf::read_section(*file, *h, end_section);
    REQUIRE(end_sc);
    CHECK(end_sc->type == ksym::elf::sht_nobits);
    std::sort(want.begin(), want.end());
    std::sort(got.begin(), got.end());
    CHECK(got == want);

    // No -o: usage. An output that cannot be created: one line naming it,
    // and no file left behind. A crash dump: not what this command takes.
    r = run("elf " + img + " --system-map " + map);
    CHECK(r.code == 2);
    CHECK(r.err.rfind("usage: ", 0) == 0);
    const std::string nowhere = f.dir + "/missing/Image.elf";
    expect_bad(run("elf " + img + " --system-map " + map + " -o " + nowhere), nowhere);
    auto core = image_bytes;
    core.assign(64, std::byte{0});
    for (int i = 0; i < 4; ++i) core[static_cast<std::size_t>(i)] = static_cast<std::byte>("\x7f" "ELF"[i]);
    core[4] = std::byte{2};
    core[5] = std::byte{1};
    core[16] = std::byte{4};  // ET_CORE
    const auto vmcore = f.write("vmcore", core);
    r = run("elf " + vmcore + " -o " + out);
    expect_bad(r, vmcore);
    CHECK(r.err.find("not a crash dump") != std::string::npos);
}

TEST_CASE("ksym nm-type and st-info") {
    const auto attrs = [](const ksym::symbol_attrs& a) {
        return "binding=" + std::string(to_string(a.binding)) + " kind=" + std::string(to_string(a.kind)) +
               " section=" + std::string(to_string(a.section)) + "\n";
    };
    CHECK(attrs(ksym::from_nm_type('t')) == "binding=local kind=func section=text\n");
    for (const char c : std::string("TtDdBbRrWwVvAaUu")) {
        const auto r = run("nm-type " + std::string(1, c));
        CAPTURE(c);
        CHECK(r.code == 0);
        CHECK(r.out == attrs(ksym::from_nm_type(c)));
    }
    for (const unsigned b : {0x00u, 0x01u, 0x02u, 0x11u, 0x12u, 0x22u, 0xa6u, 0xffu}) {
        const auto r = run("st-info " + std::to_string(b));
        CAPTURE(b);
        CHECK(r.code == 0);
        CHECK(r.out == attrs(ksym::from_st_info(static_cast<std::uint8_t>(b))));
    }
    CHECK(run("st-info 0x12").out == "binding=global kind=func section=unknown\n");
    CHECK(run("st-info 256").code == 2);
    CHECK(run("nm-type tt").code == 2);
}

TEST_CASE("ksym: every bad input is one line and exit 2") {
    files f;
    ksym_test::synth_options so;
    so.count = 600;
    ksym::encoder_options eo;
    eo.base = 0xffffffff82000000ull;
    auto t = ksym::encode_kallsyms(ksym_test::make_symbols(so), eo);
    REQUIRE(t);
    const auto good_elf = ksym_test::elf_file(*t, true, std::endian::little, 62, false);
    const auto img = f.write("vmlinux", good_elf);
    const auto map = f.write("System.map", ksym_test::system_map(*t, {}));

    const std::string enoent = std::strerror(ENOENT);
    auto r = run(dump_args(f.dir + "/missing", map));
    expect_bad(r, f.dir + "/missing");
    CHECK(r.err == "ksym: " + f.dir + "/missing: " + enoent + "\n");
    r = run(dump_args(img, f.dir + "/nomap"));
    expect_bad(r, f.dir + "/nomap");
    CHECK(r.err == "ksym: " + f.dir + "/nomap: " + enoent + "\n");
    const auto junk = f.write("junk", std::string(8192, 'x'));
    expect_bad(run(dump_args(junk, map)), junk);
    const auto empty = f.write("empty", std::string());
    expect_bad(run(dump_args(empty, map)), empty);
    const auto nokallsyms = f.write("nokallsyms.map", std::string("ffffffff81000000 T _text\n"));
    expect_bad(run(dump_args(img, nokallsyms)), nokallsyms);
    const auto badmap = f.write("bad.map", std::string("this is not a map\n"));
    expect_bad(run(dump_args(img, badmap)), badmap);

    // Truncated image: the table runs past the end of the file.
    auto cut = good_elf;
    cut.resize(cut.size() / 2);
    const auto truncated = f.write("truncated", cut);
    expect_bad(run(dump_args(truncated, map)), truncated);

    // The map places the arrays outside the image.
    std::string far = ksym_test::system_map(*t, {});
    for (std::size_t at = far.find("ffffffff82"); at != std::string::npos; at = far.find("ffffffff82", at + 1))
        far[at + 8] = '9';
    const auto farmap = f.write("far.map", far);
    expect_bad(run(dump_args(img, farmap)), img);

    // Corrupt names: zero-length records in the middle of the table.
    auto corrupt = good_elf;
    const std::size_t names_off = 0x1000 + static_cast<std::size_t>(t->layout.names - t->base);
    for (std::size_t k = 2000; k < 2400; ++k) corrupt[names_off + k] = std::byte{0};
    const auto bad_names = f.write("badnames", corrupt);
    expect_bad(run(dump_args(bad_names, map)), bad_names);

    // A token table with no terminator in sight.
    auto tok = good_elf;
    const std::size_t tt_off = 0x1000 + static_cast<std::size_t>(t->layout.token_index - t->base);
    for (std::size_t k = 0; k < 512; ++k) tok[tt_off + k] = std::byte{0xff};
    const auto bad_tokens = f.write("badtokens", tok);
    expect_bad(run(dump_args(bad_tokens, map)), bad_tokens);
    expect_bad(run(info_args(bad_tokens, map)), bad_tokens);
    expect_bad(run(lookup_args(bad_tokens, map, "vfs_read")), bad_tokens);

    // Usage errors: the usage text, nothing on stdout. `demo` is an example
    // program now, not a command.
    const std::string usage =
        "usage: ksym lookup [--kallsyms FILE] NAME|module:NAME|NAME+0xOFF|0xADDR...\n"
        "       ksym dump [--kallsyms FILE] | ksym info [--kallsyms FILE]\n"
        "       ksym dump IMAGE [--system-map MAP] | ksym dump VMCORE\n"
        "       ksym lookup IMAGE [--system-map MAP] NAME|0xADDR | ksym lookup VMCORE NAME|module:NAME|0xADDR\n"
        "       ksym modules VMCORE\n"
        "       ksym elf IMAGE [--system-map MAP] -o OUT\n"
        "       ksym info IMAGE [--system-map MAP] | ksym info VMCORE\n"
        "       (IMAGE options: --arch arm|s390x|... for a headerless raw image, --base 0xADDR)\n"
        "       ksym translate VMCORE 0xVADDR | ksym read VMCORE 0xVADDR LEN\n"
        "       ksym unpack VMLINUZ -o OUT\n"
        "       ksym nm-type LETTER | ksym st-info BYTE\n";
    // A name for --arch that is no architecture: one line.
    r = run("dump " + img + " --arch vax");
    CHECK(r.code == 2);
    CHECK(r.out.empty());
    CHECK(r.err == "ksym: vax: unknown architecture (x86_64, i386, arm64, arm, riscv64, ppc64le, s390x)\n");
    for (const std::string& args : {std::string(), "lookup " + img + " --system-map " + map,
                                   "info " + img + " " + img + " --system-map " + map, std::string("frobnicate"),
                                   std::string("demo"), "unpack " + img, "unpack " + img + " -x out"}) {
        CAPTURE(args);
        r = run(args);
        CHECK(r.code == 2);
        CHECK(r.out.empty());
        CHECK(r.err == usage);
    }
}

#ifdef KSYM_DEMO
TEST_CASE("the demo example prints its bundled table, two lookups and its reader calls") {
    // The table demo.cpp encodes, and the same calls on it, for the count.
    const symbol_list syms = {
        {0xffffffff81000000ull, 'T', "_stext"},          {0xffffffff81000000ull, 'T', "_text"},
        {0xffffffff81001000ull, 'T', "do_one_initcall"}, {0xffffffff81001400ull, 't', "run_init_process"},
        {0xffffffff81002000ull, 'T', "schedule"},        {0xffffffff81002600ull, 'T', "vfs_read"},
        {0xffffffff81002900ull, 'T', "vfs_write"},       {0xffffffff82000000ull, 'D', "init_task"},
        {0xffffffff82100000ull, 'B', "jiffies_64"},      {0xffffffff82200000ull, 'R', "linux_banner"},
    };
    ksym::encoder_options eo;
    eo.encoding = ksym::address_encoding::base_relative;
    eo.base = 0xffffffff82400000ull;
    auto enc = ksym::encode_kallsyms(syms, eo);
    REQUIRE(enc);
    ksym::buffer_reader mem(enc->blob, enc->base);
    auto fmt = ksym::resolve_format<ksym::arch::x86_64>(mem, enc->layout);
    REQUIRE(fmt);
    static ksym::kallsyms_table<ksym::buffer_reader, ksym::arch::x86_64> table;
    REQUIRE(table.open(mem, *fmt).ok());
    ksym::name_buffer name;
    REQUIRE(table.for_each(std::span(name), [](const ksym::symbol&) {}).ok());
    REQUIRE(table.find_by_name("vfs_read", std::span(name)));
    REQUIRE(table.find_by_address(0xffffffff81002123ull, std::span(name)));

    const auto r = run_program(KSYM_DEMO, "");
    CHECK(r.code == 0);
    CHECK(r.err.empty());
    const auto& v = enc->symbols;
    check_lines(r.out, "# bundled synthetic table (encoded by this program, not read from a kernel): "
                       "10 symbols, base-relative addresses\n" +
                           dump_lines(v, 16) +
                           "# lookup vfs_read\n" + by_name(v, "vfs_read", 16) +
                           "# lookup 0xffffffff81002123\n" + by_address(v, 0xffffffff81002123ull, 16) +
                           "# " + std::to_string(table.reader_calls()) + " reader calls in all\n");
    // The same lines written out, so the helpers are checked too.
    CHECK(by_name(v, "vfs_read", 16) == "ffffffff81002600 T vfs_read+0x0/0x300\n");
    CHECK(by_address(v, 0xffffffff81002123ull, 16) == "ffffffff81002000 T schedule+0x123/0x600\n");
}
#endif
