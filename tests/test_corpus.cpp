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
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "ksym/image/kernel_image.hpp"

namespace {

// The kernels fetch.sh provides, by directory name.
const char* const corpus_ids[] = {"amd64-6.1", "amd64-6.12", "amd64-7", "arm64-6.1", "arm64-7", "i386-6.1"};

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
    char type;
    std::string name;
};

template <class Table>
void check_table(Table& table, const ksym::kernel_image& img, const std::string& arch, const truth_map& truth) {
    // kallsyms_num_syms as the image stores it, read independently of the table.
    {
        const std::size_t width = 4;  // an int since 4.20; every corpus kernel is newer
        std::array<std::byte, 8> raw{};
        REQUIRE(img.reader().read(img.layout().num_syms, std::span(raw).first(width)).ok());
        const auto order = (arch == "amd64" || arch == "arm64" || arch == "i386") ? std::endian::little
                                                                                   : std::endian::big;
        CHECK(table.size() == ksym::load_n(raw.data(), width, order));
    }

    // Decode everything in table order: the count, and that the names stream
    // ends where kallsyms_markers (the next array) begins, up to alignment.
    std::vector<decoded_symbol> syms;
    syms.reserve(table.size());
    std::array<char, ksym::ksym_name_len> buf{};
    REQUIRE(table.for_each(std::span(buf), [&](const ksym::kallsyms_symbol& s) {
        syms.push_back({s.address, s.type, std::string(s.name)});
    }).ok());
    REQUIRE(syms.size() == table.size());
    {
        auto last = table.name_offset(table.size() - 1);
        REQUIRE(last);
        std::array<std::byte, 2> hdr{};
        REQUIRE(img.reader().read(img.layout().names + *last, hdr).ok());
        std::uint64_t len = static_cast<std::uint8_t>(hdr[0]);
        std::uint64_t hlen = 1;
        if (len & 0x80) {
            len = (len & 0x7f) | (std::uint64_t{static_cast<std::uint8_t>(hdr[1])} << 7);
            hlen = 2;
        }
        const std::uint64_t end = img.layout().names + *last + hlen + len;
        CHECK(end <= img.layout().markers);
        CHECK(img.layout().markers - end < 8);
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
            if (type_difference_documented(arch, table.encoding(), s.type, hit->type)) {
                ++documented;
            } else if (++type_diff <= 5) {
                MESSAGE("type differs: ", s.name, " kallsyms ", s.type, " nm ", hit->type);
            }
        }
    }
    CHECK(missing == 0);
    CHECK(type_diff == 0);
    MESSAGE(syms.size(), " symbols; ", documented, " documented type differences");

    // Reference answers computed here from the decoded list: the first
    // index of every address (the kernel's choice among aliases) and, for
    // every name, the lowest-address symbol carrying it (the kernel sorts
    // seqs_of_names by name, then address, and returns the first match).
    std::unordered_map<std::string, std::uint32_t> first_by_name;
    for (std::uint32_t i = 0; i < syms.size(); ++i) {
        auto [it, fresh] = first_by_name.emplace(syms[i].name, i);
        if (!fresh && syms[i].address < syms[it->second].address) it->second = i;
    }

    auto check_lookups = [&](const char* how) {
        INFO(how);
        std::size_t name_bad = 0, addr_bad = 0;
        std::uint32_t first_alias = 0;
        for (std::uint32_t i = 0; i < syms.size(); ++i) {
            if (i == 0 || syms[i].address != syms[i - 1].address) first_alias = i;
            // Size: distance to the next higher address.
            std::uint32_t next = i + 1;
            while (next < syms.size() && syms[next].address == syms[i].address) ++next;
            const std::uint64_t size = next < syms.size() ? syms[next].address - syms[i].address : 0;

            auto byname = table.find_by_name(syms[i].name, std::span(buf));
            const std::uint32_t want = first_by_name.at(syms[i].name);
            if (!byname || byname->address != syms[want].address || byname->name != syms[i].name) {
                if (++name_bad <= 5) MESSAGE("find_by_name ", syms[i].name);
            }
            for (const std::uint64_t probe : {syms[i].address, syms[i].address + (size ? size - 1 : 0)}) {
                auto m = table.find_by_address(probe);
                if (!m || m->index != first_alias || m->address != syms[i].address ||
                    m->offset != probe - syms[i].address || m->size != size) {
                    if (++addr_bad <= 5) MESSAGE("find_by_address ", syms[i].name, " + ", probe - syms[i].address);
                }
            }
        }
        CHECK(name_bad == 0);
        CHECK(addr_bad == 0);
    };
    check_lookups("table as the CLI opens it");
    std::vector<std::uint64_t> index(table.index_words());
    REQUIRE(table.attach_index(index).ok());
    check_lookups("with a lent index");
    table.detach_index();
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
    const ksym::status opened = img.open(image.c_str(), map);
    INFO("open: ", ksym::to_string(opened.code()), " at ", opened.address());
    REQUIRE(opened.ok());
    MESSAGE(id, ": ", img.format(), ", relative_base from ", ksym::to_string(img.relative_base_source()));
    if (arch == "arm64") CHECK(img.format() == std::string_view("image"));  // the raw Image
    else CHECK(img.format() == std::string_view("elf"));
    const ksym::status s = img.with_table([&](auto& table) -> ksym::status {
        check_table(table, img, arch, truth);
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
