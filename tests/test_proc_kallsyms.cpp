// /proc/kallsyms text: the kernel's exact format, kptr_restrict, modules,
// duplicates, and the running kernel's own listing where it is readable.
#include <doctest/doctest.h>

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
