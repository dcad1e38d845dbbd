// /proc/kallsyms text: the kernel's exact format, kptr_restrict, modules,
// duplicates, and the running kernel's own listing where it is readable.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "ksym/text/proc_kallsyms.hpp"

using ksym::errc;

static_assert(ksym::parse_kallsyms_line("ffffffff81000000 T _text")->address == 0xffffffff81000000ull);
static_assert(ksym::parse_kallsyms_line("c1000000 t startup_32")->digits == 8);
static_assert(ksym::parse_kallsyms_line("ffffffffc0a01000 t ext4_fill_super\t[ext4]")->module == "ext4");
static_assert(!ksym::parse_kallsyms_line("ffffffff81000000 T"));
static_assert(!ksym::parse_kallsyms_line("ffffffff8100000 T short_address"));
static_assert(!ksym::parse_kallsyms_line("ffffffff81000000 T two words"));
static_assert(!ksym::parse_kallsyms_line("ffffffff81000000 T bad_module\t[ext4"));
static_assert(!ksym::parse_kallsyms_line("ffffffff81000000  T double_space"));

namespace {
const std::string listing =
    "ffffffff81000000 T _text\n"
    "ffffffff81000000 T _stext\n"
    "ffffffff81001000 T schedule\n"
    "ffffffff81001400 t helper\n"
    "ffffffff81002000 T vfs_read\n"
    "ffffffff82000000 D init_task\n"
    "ffffffffc0002000 t helper\t[ext4]\n"
    "ffffffffc0001000 t ext4_fill_super\t[ext4]\n"
    "ffffffffc0005000 T xfs_init\t[xfs]\n"
    "ffffffffc0006000 t xfs_end\t[xfs]\n";
}  // namespace

TEST_CASE("/proc/kallsyms: lookups by name (module:name too) and address, sizes within a module") {
    ksym::proc_kallsyms k;
    REQUIRE(k.open(listing).ok());
    CHECK(k.size() == 10);
    CHECK(k.address_digits() == 16);
    CHECK_FALSE(k.addresses_hidden());
    std::vector<std::uint64_t> storage(k.index_words());
    CHECK(k.build(std::span(storage).first(storage.size() - 1)) == errc::capacity);
    REQUIRE(k.build(storage).ok());

    auto s = k.find_by_name("schedule");
    REQUIRE(s);
    CHECK(s->address == 0xffffffff81001000ull);
    CHECK(s->size == 0x400);
    CHECK(s->type == 'T');
    CHECK(s->module.empty());
    // The kernel's "helper" first; ext4's by module:name; all of them in order.
    CHECK(k.find_by_name("helper")->address == 0xffffffff81001400ull);
    auto m = k.find_by_name("ext4:helper");
    REQUIRE(m);
    CHECK(m->address == 0xffffffffc0002000ull);
    CHECK(m->module == "ext4");
    CHECK(m->size == 0);  // the last of ext4's symbols: xfs's next address does not count
    std::vector<std::uint64_t> all;
    REQUIRE(k.for_each_named("helper", [&](const ksym::symbol& x) { all.push_back(x.address); }).ok());
    CHECK(all == std::vector<std::uint64_t>{0xffffffff81001400ull, 0xffffffffc0002000ull});
    CHECK(k.find_by_name("ext4_fill_super")->size == 0x1000);
    CHECK(k.find_by_name("xfs:helper").error() == errc::not_found);
    CHECK(k.find_by_name("nothing").error() == errc::not_found);

    auto a = k.find_by_address(0xffffffff81000010ull);
    REQUIRE(a);
    CHECK(a->sym.name == "_text");  // the first listed among aliases
    CHECK(a->offset == 0x10);
    CHECK(a->sym.size == 0x1000);
    auto b = k.find_by_address(0xffffffffc0001234ull);
    REQUIRE(b);
    CHECK(b->sym.name == "ext4_fill_super");
    CHECK(b->sym.module == "ext4");
    CHECK(k.find_by_address(0xffffffff80000000ull).error() == errc::not_found);
}

namespace {

// Every answer of the index, checked against a plain model of the lines:
// by name the kernel's first, else the first listed; by address the first
// listed of the highest address at or below; `index` the rank in (address,
// line) order; size the gap to the next higher address of the same module.
void check_against_model(const ksym::proc_kallsyms& k, const std::vector<ksym::kallsyms_line>& lines) {
    REQUIRE(k.size() == lines.size());
    std::vector<std::size_t> order(lines.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return lines[a].address < lines[b].address; });
    std::vector<std::size_t> rank(lines.size());
    for (std::size_t r = 0; r < order.size(); ++r) rank[order[r]] = r;
    auto size_of = [&](std::size_t i) {
        std::uint64_t best = 0;
        for (const auto& m : lines)
            if (m.module == lines[i].module && m.address > lines[i].address && (best == 0 || m.address - lines[i].address < best))
                best = m.address - lines[i].address;
        return best;
    };
    auto want = [&](std::size_t i) {
        ksym::symbol s;
        s.index = static_cast<std::uint32_t>(rank[i]);
        s.address = lines[i].address;
        s.size = size_of(i);
        s.type = lines[i].type;
        s.name = lines[i].name;
        s.module = lines[i].module;
        return s;
    };
    std::size_t bad = 0;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        std::size_t by_name = lines.size();
        for (std::size_t j = 0; j < lines.size() && by_name == lines.size(); ++j)
            if (lines[j].name == lines[i].name && lines[j].module.empty()) by_name = j;
        for (std::size_t j = 0; j < lines.size() && by_name == lines.size(); ++j)
            if (lines[j].name == lines[i].name) by_name = j;
        auto n = k.find_by_name(lines[i].name);
        if (!n || !(*n == want(by_name))) ++bad;
        std::size_t at = order[0];
        for (const std::size_t j : order)
            if (lines[j].address <= lines[i].address && lines[j].address > lines[at].address) at = j;
        auto a = k.find_by_address(lines[i].address + 1);
        const bool next_is_same = a && a->sym.address == lines[i].address + 1;  // a symbol one byte on
        if (!a || (!next_is_same && (!(a->sym == want(at)) || a->offset != 1))) ++bad;
    }
    CHECK(bad == 0);
}

std::vector<ksym::kallsyms_line> lines_of(const ksym::proc_kallsyms& k) {
    std::vector<ksym::kallsyms_line> out;
    k.for_each([&](const ksym::kallsyms_line& l) { out.push_back(l); });
    return out;
}

}  // namespace

TEST_CASE("/proc/kallsyms listings out of address order: modules above, below and among the kernel's") {
    const std::string kernel =
        "ffff800080000000 T _text\n"
        "ffff800080001000 T schedule\n"
        "ffff800080001000 T schedule_alias\n"
        "ffff800080002000 T vfs_read\n"
        "ffff800080009000 T _etext\n";
    // arm64 puts modules below the image (the merge prepends them), x86-64
    // above (it appends); others land among the kernel's addresses, and a
    // module symbol may share an address with a kernel one.
    const std::string below = "ffff800078002000 t helper\t[ext4]\nffff800078001000 t ext4_fill_super\t[ext4]\n"
                              "ffff800078000000 T xfs_init\t[xfs]\n";
    const std::string above = "ffff800090002000 t helper\t[ext4]\nffff800090001000 t ext4_fill_super\t[ext4]\n";
    const std::string among = "ffff800080001800 t helper\t[ext4]\nffff800080001000 t ext4_fill_super\t[ext4]\n"
                              "ffff800080000000 t first_too\t[ext4]\nffff8000a0000000 t far\t[xfs]\n";
    std::string reversed;
    for (std::size_t end = kernel.size() - 1; end != std::string::npos;) {
        const std::size_t start = kernel.rfind('\n', end - 1);
        const std::size_t from = start == std::string::npos ? 0 : start + 1;
        reversed += kernel.substr(from, end + 1 - from);
        end = start;
    }
    const std::string small_head = "ffff800080002000 T late\n" + kernel;  // the merge holds the head; a tie
    for (const std::string& text : {kernel + below, kernel + above, kernel + among, reversed, small_head,
                                    below + kernel + above}) {
        CAPTURE(text);
        ksym::proc_kallsyms k;
        REQUIRE(k.open(text).ok());
        std::vector<std::uint64_t> storage(k.index_words());
        REQUIRE(k.build(storage).ok());
        check_against_model(k, lines_of(k));
        // The one-pass open gives the same index.
        ksym::proc_kallsyms one;
        std::vector<std::uint64_t> storage1(ksym::proc_kallsyms::storage_words(text));
        CHECK(one.open(text, std::span(storage1).first(storage1.size() - 1)) == errc::capacity);
        REQUIRE(one.open(text, storage1).ok());
        check_against_model(one, lines_of(k));
    }
}

TEST_CASE("/proc/kallsyms of a 32-bit kernel, and odd but valid text") {
    const std::string text = "c1000000 T _text\r\nc1000100 t x\r\n\n\nc1000200 T y\t[m]\r\nc10002A0 D Upper";
    ksym::proc_kallsyms k;
    std::vector<std::uint64_t> storage(ksym::proc_kallsyms::storage_words(text));
    REQUIRE(k.open(text, storage).ok());
    CHECK(k.address_digits() == 8);
    const auto lines = lines_of(k);
    REQUIRE(lines.size() == 4);
    CHECK(lines[2].module == "m");
    CHECK(lines[3].address == 0xc10002a0u);
    CHECK(lines[3].name == "Upper");
    check_against_model(k, lines);
}

TEST_CASE("/proc/kallsyms under kptr_restrict, and malformed text") {
    ksym::proc_kallsyms k;
    REQUIRE(k.open("0000000000000000 T _text\n0000000000000000 T schedule\n").ok());
    CHECK(k.addresses_hidden());
    std::vector<std::uint64_t> storage(k.index_words());
    REQUIRE(k.build(storage).ok());
    CHECK(k.find_by_name("schedule").error() == errc::unsupported);
    CHECK(k.find_by_address(0).error() == errc::not_found);

    CHECK(k.open("ffffffff81000000 T a\ngarbage\n") == ksym::status{errc::corrupt, 21});
    CHECK(k.open("ffffffff81000000 T a\nc1000000 T b\n") == ksym::status{errc::corrupt, 21});
    CHECK(k.open("ffffffff81000000 T " + std::string(600, 'x') + "\n").code() == errc::corrupt);
    CHECK(k.open(std::string("ffffffff81000000 T a\0b\n", 23)).code() == errc::corrupt);
    CHECK(k.open("") == errc::not_found);
    CHECK(k.open("\n\n") == errc::not_found);
    // Names of 511 bytes are the kernel's longest; 512 are not its.
    CHECK(k.open("ffffffff81000000 T " + std::string(511, 'x') + "\n").ok());
    CHECK(k.open("ffffffff81000000 T " + std::string(512, 'x') + "\n") == ksym::status{errc::corrupt, 0});
    // Control bytes, DEL and brackets have no place in a module name; a
    // lone CR none in a line.
    CHECK(k.open("ffffffff81000000 T a\t[e\x01xt4]\n").code() == errc::corrupt);
    CHECK(k.open("ffffffff81000000 T a\t[e\x7fxt4]\n").code() == errc::corrupt);
    CHECK(k.open("ffffffff81000000 T a\t[e[xt4]\n").code() == errc::corrupt);
    CHECK(k.open("ffffffff81000000 T a\t[]\n").code() == errc::corrupt);
    CHECK(k.open("ffffffff81000000 T a\rb\n").code() == errc::corrupt);
    CHECK(k.open("ffffffff81000000 T a\t[ext4]x\n").code() == errc::corrupt);
    CHECK(k.open("ffffffff8100000g T a\n").code() == errc::corrupt);
    CHECK(k.open("ffffffff81000000 \x01 a\n").code() == errc::corrupt);
    // A missing final newline and CRLF line ends are read as the kernel's lines.
    REQUIRE(k.open("ffffffff81000000 T a\r\nffffffff81000010 T b").ok());
    CHECK(k.size() == 2);
}

TEST_CASE("the running kernel: every symbol of /proc/kallsyms found by name and by address") {
    std::ifstream in("/proc/kallsyms");
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    ksym::proc_kallsyms k;
    if (text.empty() || !k.open(text).ok() || k.addresses_hidden()) {
        MESSAGE("skipped: /proc/kallsyms unreadable or its addresses hidden");
        return;
    }
    std::vector<std::uint64_t> storage(k.index_words());
    REQUIRE(k.build(storage).ok());
    // Independent reference: the first line of each (module, name), the
    // first line at each address.
    std::map<std::pair<std::string, std::string>, std::uint64_t> by_name;
    std::map<std::uint64_t, std::string> first_at;
    std::istringstream lines(text);
    std::string line;
    std::size_t n = 0;
    while (std::getline(lines, line)) {
        auto l = ksym::parse_kallsyms_line(line);
        REQUIRE(l);
        by_name.emplace(std::pair{std::string(l->module), std::string(l->name)}, l->address);
        first_at.emplace(l->address, std::string(l->name));
        ++n;
    }
    CHECK(n == k.size());
    std::size_t name_bad = 0, addr_bad = 0;
    for (const auto& [key, address] : by_name) {
        const std::string q = key.first.empty() ? key.second : key.first + ":" + key.second;
        auto s = k.find_by_name(q);
        if (!s || (key.first.empty() && s->address != address) || s->name != key.second)
            if (++name_bad <= 5) MESSAGE("by name: ", q);
        if (!key.first.empty() && s && s->module != key.first)
            if (++name_bad <= 5) MESSAGE("module of ", q);
    }
    for (const auto& [address, name] : first_at) {
        auto m = k.find_by_address(address);
        if (!m || m->sym.address != address || m->offset != 0 || m->sym.name != name)
            if (++addr_bad <= 5) MESSAGE("by address: ", name);
    }
    MESSAGE(n, " symbols of the running kernel checked");
    CHECK(name_bad == 0);
    CHECK(addr_bad == 0);
}

TEST_CASE("/proc/kallsyms: one-pass open with more storage than counted, or too little") {
    const std::string text = "ffffffff81000000 T _text\nffffffff81001000 T schedule\nffffffffc0001000 t f\t[m]\n";
    ksym::proc_kallsyms k;
    CHECK(k.open(text, {}) == ksym::status{errc::capacity, 0});
    std::vector<std::uint64_t> storage(ksym::proc_kallsyms::storage_words(text) + 1000);
    REQUIRE(k.open(text, storage).ok());
    check_against_model(k, lines_of(k));
    std::vector<std::uint64_t> small(ksym::proc_kallsyms::storage_words(text) - 1);
    CHECK(k.open(text, small) == ksym::status{errc::capacity, 53});  // the third line
    CHECK(k.open("", small) == errc::not_found);
}
