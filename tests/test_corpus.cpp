// Conformance on real Debian kernels (fetched by tests/corpus/fetch.sh):
// each image is decoded through the same kernel_image path the CLI uses and
// compared with `llvm-nm -n` of the kernel's unstripped -dbg vmlinux.
//
// The corpus lives in $KSYM_CORPUS, else $KSYM_CACHE/corpus, else
// $HOME/.cache/ksym/corpus. Without it the program exits 77 (ctest: skipped),
// unless KSYM_REQUIRE_CORPUS=1 or CI=true, where a missing kernel fails.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "bulk_check.hpp"
#include "ksym/kallsyms/index.hpp"
#include "ksym/kallsyms/resolve.hpp"
#include "ksym/pipeline/kernel_image.hpp"

namespace {

// The kernels fetch.sh provides, by directory name.
const char* const corpus_ids[] = {"amd64-6.1", "amd64-6.12", "amd64-7",   "arm64-6.1", "arm64-7",
                                  "i386-6.1",  "armhf-6.1",  "s390x-6.1", "ppc64el-6.1", "riscv64-7"};

// What the image file is, and the target a headerless raw image needs named.
ksym::image_format expected_format(const std::string& arch) {
    if (arch == "arm64") return ksym::image_format::raw_arm64;
    if (arch == "riscv64") return ksym::image_format::raw_riscv64;
    if (arch == "armhf" || arch == "s390x") return ksym::image_format::unknown;
    return ksym::image_format::elf;
}
ksym::image_options options_for(const std::string& arch) {
    ksym::image_options o;
    if (arch == "armhf") o.arch = ksym::arch_id::arm;
    if (arch == "s390x") o.arch = ksym::arch_id::s390x;
    return o;
}

std::string corpus_root() {
    if (const char* d = std::getenv("KSYM_CORPUS")) return d;
    if (const char* c = std::getenv("KSYM_CACHE")) return std::string(c) + "/corpus";
    if (const char* h = std::getenv("HOME")) return std::string(h) + "/.cache/ksym/corpus";
    return {};
}

bool corpus_required() {
    const char* r = std::getenv("KSYM_REQUIRE_CORPUS");
    const char* ci = std::getenv("CI");
    return (r && std::string_view(r) == "1") || (ci && std::string_view(ci) == "true");
}

bool slurp(const std::string& path, std::string& out) {
    std::ifstream f(path, std::ios::binary);
    if (!f) return false;
    std::ostringstream ss;
    ss << f.rdbuf();
    out = std::move(ss).str();
    return true;
}

bool present(const std::string& id) {
    std::string probe;
    const std::string dir = corpus_root() + "/" + id;
    return slurp(dir + "/meta", probe) && std::ifstream(dir + "/truth.nm").good() &&
           std::ifstream(dir + "/image").good() && std::ifstream(dir + "/System.map").good();
}

// Ground truth: name -> every (address, type) the unstripped vmlinux has for it.
struct truth_entry {
    std::uint64_t address;
    char type;
};
using truth_map = std::unordered_map<std::string, std::vector<truth_entry>>;

// llvm-nm -n lines are "ADDRESS TYPE NAME"; undefined symbols have no address.
// Parsed here independently of ksym's own System.map parser.
truth_map parse_truth(const std::string& text) {
    truth_map m;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t eol = text.find('\n', pos);
        if (eol == std::string::npos) eol = text.size();
        const std::string_view line(text.data() + pos, eol - pos);
        pos = eol + 1;
        const std::size_t sp1 = line.find(' ');
        if (sp1 == 0 || sp1 == std::string_view::npos || sp1 + 3 > line.size() || line[sp1 + 2] != ' ') continue;
        std::uint64_t addr = 0;
        const auto [p, ec] = std::from_chars(line.data(), line.data() + sp1, addr, 16);
        if (ec != std::errc{} || p != line.data() + sp1) continue;
        m[std::string(line.substr(sp1 + 3))].push_back({addr, line[sp1 + 1]});
    }
    return m;
}

std::string meta_value(const std::string& meta, std::string_view key) {
    std::istringstream in(meta);
    std::string k, v;
    while (in >> k && std::getline(in, v))
        if (k == key) return v.substr(v.find_first_not_of(' '));
    return {};
}

// Type letters that legitimately differ between kallsyms and nm of the
// vmlinux, by the build tool's design: scripts/kallsyms up to 6.14 forces 'A'
// on x86-64 per-CPU symbols when it makes them absolute (--absolute-percpu).
bool type_difference_documented(const std::string& arch, ksym::address_encoding enc, char decoded, char truth) {
    if (arch == "amd64" && enc == ksym::address_encoding::absolute_percpu && decoded == 'A')
        return truth == 'D' || truth == 'd' || truth == 'B' || truth == 'b' || truth == 'V' || truth == 'v';
    return false;
}

struct decoded_symbol {
    std::uint64_t address;
    std::uint64_t size;
    char type;
    std::string name;
};

bool same(const ksym::symbol& got, const std::vector<decoded_symbol>& syms, std::uint32_t i) {
    const auto& w = syms[i];
    return got.index == i && got.address == w.address && got.size == w.size && got.type == w.type &&
           got.name == w.name && got.module.empty();
}

// Every lookup of `t` (a table or an index) against the decoded list: by
// index, by name (the lowest-address symbol of that name) and by address
// (the first alias, at the start and at the last byte).
template <class T>
void check_lookups(T& t, const std::vector<decoded_symbol>& syms, const char* how, bool by_name = true) {
    INFO(how);
    std::unordered_map<std::string_view, std::uint32_t> first_by_name;
    for (std::uint32_t i = 0; i < syms.size(); ++i) first_by_name.try_emplace(syms[i].name, i);
    ksym::name_buffer buf;
    std::size_t index_bad = 0, name_bad = 0, addr_bad = 0;
    std::uint32_t first_alias = 0;
    for (std::uint32_t i = 0; i < syms.size(); ++i) {
        if (i == 0 || syms[i].address != syms[i - 1].address) first_alias = i;
        auto got = t.at(i, buf);
        if (!got || !same(*got, syms, i))
            if (++index_bad <= 5) MESSAGE("at ", i, " ", syms[i].name);
        if (by_name) {
            auto named = t.find_by_name(syms[i].name, buf);
            if (!named || !same(*named, syms, first_by_name.at(syms[i].name)))
                if (++name_bad <= 5) MESSAGE("find_by_name ", syms[i].name);
        }
        for (const std::uint64_t probe : {syms[i].address, syms[i].address + (syms[i].size ? syms[i].size - 1 : 0)}) {
            auto m = t.find_by_address(probe, buf);
            if (!m || !same(m->sym, syms, first_alias) || m->offset != probe - syms[i].address)
                if (++addr_bad <= 5) MESSAGE("find_by_address ", syms[i].name, " + ", probe - syms[i].address);
        }
    }
    CHECK(index_bad == 0);
    CHECK(name_bad == 0);
    CHECK(addr_bad == 0);
}

template <class Table>
std::vector<decoded_symbol> check_table(Table& table, const ksym::kernel_image& img, const std::string& arch,
                                        const truth_map& truth) {
    const ksym::kallsyms_layout& layout = img.kallsyms().layout;
    // kallsyms_num_syms as the image stores it, read independently of the table.
    {
        const std::size_t width = 4;  // an int since 4.20; every corpus kernel is newer
        std::array<std::byte, 8> raw{};
        REQUIRE(img.reader().read(layout.num_syms, std::span(raw).first(width)).ok());
        const auto order = arch == "s390x" ? std::endian::big : std::endian::little;
        CHECK(table.size() == ksym::load_n(raw.data(), width, order));
    }

    // Decode everything in table order.
    std::vector<decoded_symbol> syms;
    syms.reserve(table.size());
    ksym::name_buffer buf;
    REQUIRE(table.for_each(buf, [&](const ksym::symbol& s) {
        syms.push_back({s.address, s.size, s.type, std::string(s.name)});
    }).ok());
    REQUIRE(syms.size() == table.size());
    // Sizes, computed here: the distance to the next higher address.
    for (std::size_t i = 0, next = 0; i < syms.size(); ++i) {
        next = std::max(next, i + 1);
        while (next < syms.size() && syms[next].address <= syms[i].address) ++next;
        const std::uint64_t size = next < syms.size() ? syms[next].address - syms[i].address : 0;
        if (syms[i].size != size) FAIL_CHECK("size of ", syms[i].name, ": ", syms[i].size, " want ", size);
    }
    // The names stream, walked here record by record, holds exactly
    // num_syms records and ends where kallsyms_markers begins (up to alignment).
    {
        REQUIRE(layout.markers);
        REQUIRE(*layout.markers > layout.names);
        std::vector<std::byte> names(*layout.markers - layout.names);
        REQUIRE(img.reader().read(layout.names, names).ok());
        std::size_t off = 0;
        for (std::size_t i = 0; i < syms.size() && off < names.size(); ++i) {
            std::size_t len = static_cast<std::uint8_t>(names[off]);
            std::size_t hlen = 1;
            if (len & 0x80) {
                len = (len & 0x7f) | (std::size_t{static_cast<std::uint8_t>(names[off + 1])} << 7);
                hlen = 2;
            }
            off += hlen + len;
        }
        CHECK(off <= names.size());
        CHECK(names.size() - off < 8);
    }

    // Every (address, name) is in the ground truth, with the same type
    // letter unless the difference is a documented one.
    std::size_t missing = 0, type_diff = 0, documented = 0;
    for (const auto& s : syms) {
        auto it = truth.find(s.name);
        const truth_entry* hit = nullptr;
        if (it != truth.end())
            for (const auto& e : it->second)
                if (e.address == s.address && (!hit || e.type == s.type)) hit = &e;
        if (!hit) {
            if (++missing <= 5) MESSAGE("not in truth: ", s.name, " @ ", s.address);
            continue;
        }
        if (hit->type != s.type) {
            if (type_difference_documented(arch, table.format().encoding, s.type, hit->type)) {
                ++documented;
            } else if (++type_diff <= 5) {
                MESSAGE("type differs: ", s.name, " kallsyms ", s.type, " nm ", hit->type);
            }
        }
    }
    CHECK(missing == 0);
    CHECK(type_diff == 0);
    MESSAGE(syms.size(), " symbols; ", documented, " documented type differences");

    ksym_test::check_bulk(table);
    check_lookups(table, syms, "table as the CLI opens it");
    ksym::kallsyms_index<typename Table::reader_type, typename Table::arch_type> index;
    std::vector<std::uint64_t> storage(index.words_for(table));
    REQUIRE(index.build(table, storage).ok());
    check_lookups(index, syms, "through an index");
    return syms;
}

// The same image with no map: the scanner must find the arrays System.map
// names, the image must land where the map puts it, and the whole decoded
// table must equal the map-based one (checked against the truth above).
void check_without_map(const std::string& image, const std::string& arch, const ksym::kernel_image& with_map,
                       const std::vector<decoded_symbol>& syms) {
    static ksym::kernel_image img;
    const ksym::status opened = img.open(image.c_str(), options_for(arch));
    INFO("open without a map: ", ksym::to_string(opened.code()), " at ", opened.address());
    REQUIRE(opened.ok());
    REQUIRE(img.scan() != nullptr);
    std::string checks;
    for (std::uint16_t b = 1; b != 0; b = static_cast<std::uint16_t>(b << 1))
        if (img.scan()->passed(static_cast<ksym::scan_check>(b)))
            checks.append(1, ' ').append(ksym::to_string(static_cast<ksym::scan_check>(b)));
    MESSAGE("no map: ", ksym::to_string(img.kallsyms().encoding), ", base from ",
            ksym::to_string(img.placement().evidence), "; checks:", checks);
    // The same format; the base's source may differ (a map's anchors, or
    // the placement's evidence).
    ksym::kallsyms_format got = img.kallsyms();
    got.base_from = with_map.kallsyms().base_from;
    CHECK(got == with_map.kallsyms());
    if (with_map.format() != ksym::image_format::elf) {
        const auto first = arch == "riscv64" ? with_map.location().anchor("_start") : with_map.location().anchor("_text");
        CHECK(img.placement().base == first);
    }
    const ksym::status s = img.with_table([&](auto& table) -> ksym::status {
        REQUIRE(table.size() == syms.size());
        ksym::name_buffer buf;
        std::size_t i = 0, bad = 0;
        REQUIRE(table.for_each(buf, [&](const ksym::symbol& sym) {
            if (!same(sym, syms, static_cast<std::uint32_t>(i++))) ++bad;
        }).ok());
        CHECK(bad == 0);
        return {};
    });
    CHECK(s.ok());
}

void check_kernel(const std::string& id) {
    const std::string dir = corpus_root() + "/" + id;
    std::string meta, map, truth_text;
    REQUIRE(slurp(dir + "/meta", meta));
    REQUIRE(slurp(dir + "/System.map", map));
    REQUIRE(slurp(dir + "/truth.nm", truth_text));
    const std::string arch = meta_value(meta, "arch");
    INFO(id, " (", meta_value(meta, "release"), ")");
    const truth_map truth = parse_truth(truth_text);
    REQUIRE(truth.size() > 10000);

    static ksym::kernel_image img;  // pinned and large
    const std::string image = dir + "/image";
    const ksym::status opened = img.open(image.c_str(), map, options_for(arch));
    INFO("open: ", ksym::to_string(opened.code()), " at ", opened.address());
    REQUIRE(opened.ok());
    const ksym::kallsyms_format& fmt = img.kallsyms();
    MESSAGE(id, ": ", ksym::to_string(img.format()), ", ", ksym::to_string(fmt.encoding), ", relative_base from ",
            ksym::to_string(fmt.base_from));
    CHECK(img.format() == expected_format(arch));
    const ksym::status s = img.with_table([&](auto& table) -> ksym::status {
        const auto syms = check_table(table, img, arch, truth);

        // The same kernel from what VMCOREINFO exports: no markers, no
        // seqs_of_names, and SYMBOL(_stext) as the only known symbol.
        using table_t = std::remove_reference_t<decltype(table)>;
        using arch_t = typename table_t::arch_type;
        ksym::kallsyms_layout bare = fmt.layout;
        bare.markers.reset();
        bare.seqs_of_names.reset();
        const ksym::known_symbol stext{"_stext", img.location().anchor("_stext").value_or(0)};
        ksym::resolve_hints hints;
        hints.known = std::span(&stext, 1);
        if (img.format() != ksym::image_format::elf && fmt.base_from != ksym::base_source::none) {
            hints.relative_base = fmt.relative_base;  // a dump holds it relocated
        }
        auto v = std::make_unique<table_t>();
        ksym::reader_ref r = img.reader();
        auto vf = ksym::resolve_format<arch_t>(r, bare, hints, *v);
        REQUIRE(vf);
        CHECK(vf->encoding == fmt.encoding);
        CHECK(vf->relative_base == fmt.relative_base);
        CHECK(vf->marker_bytes == 0);
        CHECK(vf->seq_bytes == 0);
        REQUIRE(v->open(r, *vf).ok());
        REQUIRE(v->size() == syms.size());
        ksym::name_buffer buf;
        std::size_t i = 0, bad = 0;
        REQUIRE(v->for_each(buf, [&](const ksym::symbol& sym) {
            if (!same(sym, syms, static_cast<std::uint32_t>(i++))) ++bad;
        }).ok());
        CHECK(bad == 0);
        ksym_test::check_bulk(*v);
        // Name lookup without seqs_of_names is a scan: every name through an
        // index, a sample through the table itself.
        check_lookups(*v, syms, "VMCOREINFO-style table", false);
        ksym::kallsyms_index<ksym::reader_ref, arch_t> index;
        std::vector<std::uint64_t> storage(index.words_for(*v));
        REQUIRE(index.build(*v, storage).ok());
        check_lookups(index, syms, "VMCOREINFO-style index");
        std::unordered_map<std::string_view, std::uint32_t> first_by_name;
        for (std::uint32_t k = 0; k < syms.size(); ++k) first_by_name.try_emplace(syms[k].name, k);
        for (std::size_t k = 0; k < syms.size(); k += syms.size() / 16) {
            auto named = v->find_by_name(syms[k].name, buf);
            CHECK((named && same(*named, syms, first_by_name.at(syms[k].name))));
        }
        check_without_map(image, arch, img, syms);
        return {};
    });
    CHECK(s.ok());
}

}  // namespace

TEST_CASE("real Debian kernels decode exactly") {
    for (const char* id : corpus_ids) {
        SUBCASE(id) {
            if (!present(id)) {
                if (corpus_required()) FAIL("corpus kernel missing: ", std::string(id), " (run tests/corpus/fetch.sh)");
                MESSAGE("skipped, not fetched: ", std::string(id));
                return;
            }
            check_kernel(id);
        }
    }
}

int main(int argc, char** argv) {
    bool any = false;
    for (const char* id : corpus_ids) any = any || present(id);
    if (!any && !corpus_required()) {
        std::printf("no corpus under %s: run tests/corpus/fetch.sh (skipped)\n", corpus_root().c_str());
        return 77;
    }
    doctest::Context ctx(argc, argv);
    return ctx.run();
}
