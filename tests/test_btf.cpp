// BTF: the reader's queries on hand-built types, struct module layouts of
// every era read back from synthetic BTF, hostile blobs, and the running
// kernel's /sys/kernel/btf/vmlinux where there is one.
#include <doctest/doctest.h>

#include <array>
#include <cstdio>
#include <deque>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "btf_writer.hpp"
#include "ksym/arch/targets.hpp"
#include "ksym/btf/btf.hpp"
#include "ksym/btf/query.hpp"
#include "ksym/modules/layout.hpp"
#include "module_btf.hpp"

using ksym::btf;
using ksym::btf_kind;
using ksym::errc;
using ksym_test::btf_writer;

namespace doctest {
template <>
struct StringMaker<ksym::module_layout> {
    static String convert(const ksym::module_layout& L) {
        std::ostringstream o;
        auto opt = [](const std::optional<std::uint32_t>& v) { return v ? std::to_string(*v) : std::string("-"); };
        o << "{era " << ksym::to_string(L.era) << " ptr " << int{L.pointer_bytes} << " size " << L.module_size
          << " state " << L.state << " list " << L.list << " name " << L.name << "/" << L.name_len << " kallsyms "
          << opt(L.kallsyms) << " core_kallsyms " << opt(L.core_kallsyms) << " symbols " << L.symbols.symtab << ","
          << L.symbols.num_symtab << "," << L.symbols.strtab << "," << opt(L.symbols.typetab) << "/" << L.symbols.size
          << " syms " << L.syms << "," << L.num_syms << " gpl " << opt(L.gpl_syms) << "," << opt(L.num_gpl_syms)
          << " mem " << L.mem.offset << "x" << L.mem.count << "/" << L.mem.stride << " " << L.mem.base << ","
          << L.mem.size << " types " << L.mem.types.text << ".." << L.mem.types.num_types << (L.mem.types_from_btf ? "*" : "")
          << " core " << L.core.base << "," << L.core.size << " init " << L.init.base << "," << L.init.size << " data "
          << (L.data ? std::to_string(L.data->base) + "," + std::to_string(L.data->size) : "-") << " elf_sym "
          << L.elf_sym.size << ":" << L.elf_sym.st_info << "," << L.elf_sym.st_value << "," << L.elf_sym.st_size
          << " ksym " << ksym::to_string(L.kernel_symbol.form) << " " << L.kernel_symbol.size << ":" << L.kernel_symbol.value
          << "," << L.kernel_symbol.name << "," << opt(L.kernel_symbol.namespace_) << " list_head " << L.list_head.next
          << "," << L.list_head.prev << " states " << L.states.live << ".." << L.states.unformed << "}";
        return o.str().c_str();
    }
};
}  // namespace doctest

namespace {

// A tiny BTF built in a constant expression: int, and struct s { int a; int b; }.
// `type_len` other than 52 cuts or pads the type section.
constexpr std::array<std::byte, 87> tiny_btf(std::uint32_t type_len = 52) {
    std::array<std::byte, 87> b{};
    auto put = [&](std::size_t at, std::uint32_t v) { ksym::store<std::uint32_t>(b.data() + at, v, std::endian::little); };
    ksym::store<std::uint16_t>(b.data(), ksym::btf_magic, std::endian::little);
    b[2] = std::byte{1};
    const std::uint32_t header[] = {24, 0, type_len, 52, 11};
    for (std::size_t i = 0; i < 5; ++i) put(4 + 4 * i, header[i]);
    const std::uint32_t types[] = {1, 1u << 24, 4, 32,                        // [1] INT "int", 32 bits
                                   5, (4u << 24) | 2, 8, 7, 1, 0, 9, 1, 32};  // [2] STRUCT "s": a@0, b@32 bits
    for (std::size_t i = 0; i < 13; ++i) put(24 + 4 * i, types[i]);
    const char strs[] = "\0int\0s\0a\0b";
    for (std::size_t i = 0; i < 11; ++i) b[76 + i] = static_cast<std::byte>(strs[i]);
    return b;
}
constexpr auto tiny = tiny_btf();
constexpr auto tiny_cut = tiny_btf(48);
template <const auto& Blob>
constexpr btf open_at_compile_time() {
    btf b;
    (void)b.open(Blob, std::endian::little, 8);
    return b;
}
constexpr btf tiny_parsed = open_at_compile_time<tiny>();
static_assert(tiny_parsed.type_count() == 2);
static_assert(*ksym::find_struct(tiny_parsed, "s") == 2);
static_assert(ksym::find_member(tiny_parsed, 2, "b")->byte_offset() == 4);
static_assert(*ksym::type_size(tiny_parsed, 2) == 8);
static_assert(ksym::find_member(tiny_parsed, 2, "c").error() == errc::not_found);
static_assert(open_at_compile_time<tiny_cut>().type_count() == 0);  // refused: left empty
static_assert([] {
    btf b;
    return b.open(tiny_cut, std::endian::little, 8).code();
}() == errc::truncated);

// A btf views its blob: the blobs of these tests live until the program ends.
std::deque<std::vector<std::byte>> blobs;

const btf& parse_ok(std::vector<std::byte> bytes, std::endian order = std::endian::little, std::size_t ptr = 8) {
    static std::deque<btf> opened;
    blobs.push_back(std::move(bytes));
    opened.emplace_back();
    const ksym::status s = opened.back().open(blobs.back(), order, ptr);
    REQUIRE_MESSAGE(s.ok(), ksym::to_string(s.code()));
    return opened.back();
}

// "s42" without operator+ on strings, which g++ 12 -O3 warns about wrongly (-Wrestrict).
std::string numbered(const char* prefix, std::uint32_t n) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%s%u", prefix, n);
    return buf;
}

errc parse_err(const std::vector<std::byte>& bytes, std::endian order = std::endian::little, std::size_t ptr = 8) {
    btf b;
    return b.open(bytes, order, ptr).code();
}

}  // namespace

TEST_CASE("btf: lookups by name skip declarations; kinds filter") {
    btf_writer w;
    const auto i = w.add_int("int", 4, true);
    w.add_fwd("thing");
    const auto u = w.add_struct("thing", 4, {{"x", i, 0}}, true);  // a union named like the struct below
    const auto s = w.add_struct("thing", 8, {{"x", i, 0}, {"y", i, 32}});
    const auto e = w.add_enum("thing", 4, {{"A", 1}});
    const auto b = parse_ok(w.bytes(std::endian::little));
    CHECK(*ksym::find_struct(b, "thing") == u);
    CHECK(*ksym::find_type(b, "thing", ksym::btf_kinds(btf_kind::struct_)) == s);
    CHECK(*ksym::find_type(b, "thing", ksym::btf_kinds(btf_kind::enum_)) == e);
    CHECK(*ksym::find_type(b, "thing", ksym::btf_kinds(btf_kind::fwd)) == 2);
    CHECK(ksym::find_struct(b, "thin").error() == errc::not_found);
    CHECK(ksym::find_struct(b, "things").error() == errc::not_found);
    CHECK(ksym::find_struct(b, "").error() == errc::not_found);  // anonymous types have no name to find
    std::array<ksym::btf_lookup, 3> many = {{{"int", ksym::btf_kinds(btf_kind::int_), 0},
                                             {"thing", ksym::btf_kinds(btf_kind::enum_), 0},
                                             {"nothing", ksym::btf_kinds(btf_kind::struct_), 0}}};
    ksym::find_types(b, many);
    CHECK(many[0].id == i);
    CHECK(many[1].id == e);
    CHECK(many[2].id == 0);
    CHECK(*b.string_at(b.type(s)->name_off) == "thing");
    CHECK(*b.name(*b.type(i)) == "int");
}

TEST_CASE("btf: member offsets through anonymous members and bitfields of both encodings") {
    btf_writer w;
    const auto i = w.add_int("int", 4, true);
    const auto u8 = w.add_int("unsigned char", 1);
    const auto bits3 = w.add_int_bits("unsigned int", 4, 2, 3);  // kind_flag 0: the INT carries offset and width
    // struct inner { int p; int q; } nested anonymously twice: union { struct { int p; int q; }; int alt; }
    const auto inner = w.add_struct("", 8, {{"p", i, 0}, {"q", i, 32}});
    const auto un = w.add_struct("", 8, {{"", inner, 0}, {"alt", i, 0}}, true);
    const auto cu = w.add_const(un);  // anonymous members may come through qualifiers
    const auto outer = w.add_struct("outer", 32, {{"a", i, 0}, {"", cu, 64}, {"flags", u8, 160, 3}, {"more", u8, 163, 5}});
    const auto old = w.add_struct("old", 8, {{"head", i, 0}, {"field", bits3, 32}});
    const auto b = parse_ok(w.bytes(std::endian::big), std::endian::big);

    CHECK(*ksym::find_member(b, outer, "a") == ksym::btf_member_info{i, 0, 0});
    CHECK(*ksym::find_member(b, outer, "p") == ksym::btf_member_info{i, 64, 0});
    CHECK(*ksym::find_member(b, outer, "q") == ksym::btf_member_info{i, 96, 0});
    CHECK(ksym::find_member(b, outer, "q")->byte_offset() == 12);
    CHECK(*ksym::find_member(b, outer, "alt") == ksym::btf_member_info{i, 64, 0});
    CHECK(*ksym::find_member(b, outer, "flags") == ksym::btf_member_info{u8, 160, 3});
    CHECK(*ksym::find_member(b, outer, "more") == ksym::btf_member_info{u8, 163, 5});
    CHECK(*ksym::find_member(b, old, "field") == ksym::btf_member_info{bits3, 34, 3});
    CHECK(ksym::find_member(b, outer, "").error() == errc::not_found);
    CHECK(ksym::find_member(b, i, "a").error() == errc::invalid_argument);  // not a struct

    std::array<ksym::btf_member_lookup, 3> many = {{{"q", {}}, {"more", {}}, {"none", {}}}};
    REQUIRE(ksym::find_members(b, outer, many).ok());
    CHECK(many[0].found->bit_offset == 96);
    CHECK(many[1].found->bitfield_bits == 5);
    CHECK(!many[2].found);
}

TEST_CASE("btf: sizes through every reference kind, arrays, pointers of both widths") {
    btf_writer w;
    const auto i = w.add_int("int", 4, true);
    const auto td = w.add_typedef("int_t", i);
    const auto chain = w.add_decl_tag("tag", w.add_type_tag("tt", w.add_restrict(w.add_volatile(w.add_const(td)))), -1);
    const auto ptr = w.add_ptr(chain);
    const auto arr2 = w.add_array(w.add_array(chain, i, 3), i, 5);  // int[5][3] as pahole would not, but may
    const auto s = w.add_struct("s", 24, {{"v", chain, 0}});
    const auto var = w.add_var("var", arr2);
    const auto fwd = w.add_fwd("f");
    const auto proto = w.add_func_proto(i, {{"x", i}});
    const auto fn = w.add_func("fn", proto);
    const auto fl = w.add_float("double", 8);
    const auto e64 = w.add_enum64("e64", 8, {{"E", 1}});
    const auto ds = w.add_datasec(".data", 64, {{var, 0, 60}});
    const auto zero = w.add_array(s, i, 0);
    for (const std::size_t ptr_bytes : {4u, 8u}) {
        const auto& b = parse_ok(w.bytes(std::endian::little), std::endian::little, ptr_bytes);
        CHECK(*ksym::type_size(b, chain) == 4);
        CHECK(*ksym::type_size(b, ptr) == ptr_bytes);
        CHECK(*ksym::type_size(b, arr2) == 60);
        CHECK(*ksym::type_size(b, s) == 24);
        CHECK(*ksym::type_size(b, var) == 60);
        CHECK(*ksym::type_size(b, fl) == 8);
        CHECK(*ksym::type_size(b, e64) == 8);
        CHECK(*ksym::type_size(b, ds) == 64);
        CHECK(*ksym::type_size(b, zero) == 0);
        CHECK(ksym::type_size(b, 0).error() == errc::invalid_argument);
        CHECK(ksym::type_size(b, fwd).error() == errc::invalid_argument);
        CHECK(ksym::type_size(b, fn).error() == errc::invalid_argument);
        CHECK(ksym::type_size(b, proto).error() == errc::invalid_argument);
        CHECK(ksym::resolve_type(b, chain)->id == i);
        CHECK(*ksym::pointee(b, ptr) == chain);
        CHECK(ksym::pointee(b, chain).error() == errc::invalid_argument);
        CHECK(ksym::array_info(b, arr2)->count == 5);
        CHECK(ksym::array_info(b, s).error() == errc::invalid_argument);
    }
}

TEST_CASE("btf: enumerators, signed, unsigned and 64-bit") {
    btf_writer w;
    const auto e = w.add_enum("mod_mem_type", 4, {{"MOD_TEXT", 0}, {"MOD_INVALID", -1}}, true);
    const auto u = w.add_enum("flags", 4, {{"HIGH", 0xffffffffll}});
    const auto e64 = w.add_enum64("wide", 8, {{"WIDE", -5}, {"BIG", 0x123456789all}}, true);
    w.add_enum("", 4, {{"ANON_CONST", 77}});
    const auto b = parse_ok(w.bytes(std::endian::big), std::endian::big);
    CHECK(*ksym::enum_value(b, e, "MOD_TEXT") == 0);
    CHECK(*ksym::enum_value(b, e, "MOD_INVALID") == -1);
    CHECK(*ksym::enum_value(b, u, "HIGH") == 0xffffffffll);
    CHECK(*ksym::enum_value(b, e64, "WIDE") == -5);
    CHECK(*ksym::enum_value(b, e64, "BIG") == 0x123456789all);
    CHECK(ksym::enum_value(b, e, "MOD_DATA").error() == errc::not_found);
    CHECK(*ksym::find_enum_value(b, "ANON_CONST") == 77);
    CHECK(*ksym::find_enum_value(b, "BIG") == 0x123456789all);
    CHECK(ksym::find_enum_value(b, "NOPE").error() == errc::not_found);
}

TEST_CASE("btf: every kind walked; ids by checkpoints, by index and in order agree") {
    btf_writer w;
    const auto i = w.add_int("int", 4);
    std::vector<btf_kind> kinds = {btf_kind::int_};
    for (std::uint32_t n = 0; n < 3000; ++n) {  // many records: the checkpoint table fills and halves
        const btf_kind k = static_cast<btf_kind>(1 + n % 19);
        switch (k) {
        case btf_kind::int_: w.add_int(numbered("i", n), 8); break;
        case btf_kind::ptr: w.add_ptr(i); break;
        case btf_kind::array: w.add_array(i, i, n); break;
        case btf_kind::struct_: w.add_struct(numbered("s", n), 8, {{"a", i, 0}, {"b", i, 32}}); break;
        case btf_kind::union_: w.add_struct("u", 4, {{"a", i, 0}}, true); break;
        case btf_kind::enum_: w.add_enum("e", 4, {{numbered("E", n), n}}); break;
        case btf_kind::fwd: w.add_fwd("f"); break;
        case btf_kind::typedef_: w.add_typedef("t", i); break;
        case btf_kind::volatile_: w.add_volatile(i); break;
        case btf_kind::const_: w.add_const(i); break;
        case btf_kind::restrict_: w.add_restrict(i); break;
        case btf_kind::func: w.add_func("fn", i); break;
        case btf_kind::func_proto: w.add_func_proto(i, {{"a", i}, {"b", i}, {"c", i}}); break;
        case btf_kind::var: w.add_var("v", i); break;
        case btf_kind::datasec: w.add_datasec(".bss", 8, {{i, 0, 4}}); break;
        case btf_kind::float_: w.add_float("float", 4); break;
        case btf_kind::decl_tag: w.add_decl_tag("d", i, 0); break;
        case btf_kind::type_tag: w.add_type_tag("tt", i); break;
        case btf_kind::enum64: w.add_enum64("e64", 8, {{"X", n}, {"Y", -1}}); break;
        default: break;
        }
        kinds.push_back(k);
    }
    for (const bool layout : {false, true}) {
        const auto bytes = w.bytes(std::endian::little, layout);
        auto b = parse_ok(bytes);  // a copy: build_index below changes it
        CHECK(b.header().hdr_len == (layout ? 32u : 24u));
        REQUIRE(b.type_count() == kinds.size());
        std::vector<ksym::btf_type> seen;
        b.for_each_type([&](const ksym::btf_type& t) {
            seen.push_back(t);
            return true;
        });
        REQUIRE(seen.size() == kinds.size());
        bool kinds_ok = true, by_id_ok = true;
        for (std::size_t n = 0; n < seen.size(); ++n) {
            kinds_ok &= seen[n].kind == kinds[n] && seen[n].id == n + 1;
            by_id_ok &= *b.type(static_cast<std::uint32_t>(n + 1)) == seen[n];
        }
        CHECK(kinds_ok);
        CHECK(by_id_ok);
        std::vector<std::uint32_t> storage(b.index_words() - 1);
        CHECK(b.build_index(storage) == errc::capacity);
        storage.resize(b.index_words());
        REQUIRE(b.build_index(storage).ok());
        CHECK(b.indexed());
        bool indexed_ok = true;
        for (std::size_t n = 0; n < seen.size(); ++n) indexed_ok &= *b.type(static_cast<std::uint32_t>(n + 1)) == seen[n];
        CHECK(indexed_ok);
        CHECK(b.type(b.type_count() + 1).error() == errc::corrupt);
        CHECK(b.type(0)->kind == btf_kind::void_);
        CHECK(*ksym::find_enum_value(b, "E2988") == 2988);  // 2988 % 19 + 1 is ENUM
    }
}

TEST_CASE("btf: hostile headers and sections give typed errors") {
    btf_writer w;
    const auto i = w.add_int("int", 4);
    w.add_struct("s", 4, {{"a", i, 0}});
    const auto good = w.bytes(std::endian::little);
    auto patched = [&](std::size_t at, std::uint32_t v) {
        auto c = good;
        ksym::store<std::uint32_t>(c.data() + at, v, std::endian::little);
        return c;
    };
    auto err = [](const std::vector<std::byte>& bytes, std::endian order = std::endian::little) {
        return parse_err(bytes, order);
    };
    CHECK(err({}) == errc::truncated);
    CHECK(err(std::vector<std::byte>(good.begin(), good.begin() + 23)) == errc::truncated);
    CHECK(err(good, std::endian::big) == errc::invalid_argument);  // right magic, other byte order
    btf any;
    REQUIRE(any.open_any_order(good, 8).ok());
    CHECK(*any.type(i) == *parse_ok(good).type(i));
    const auto good_be = w.bytes(std::endian::big);
    REQUIRE(any.open_any_order(good_be, 8).ok());
    CHECK(any.order() == std::endian::big);
    CHECK(*any.type(i) == *parse_ok(good).type(i));
    REQUIRE(any.open_for<ksym::arch::s390x>(good_be).ok());
    CHECK(any.open_for<ksym::arch::x86_64>(good_be) == errc::invalid_argument);
    CHECK(any.type_count() == 0);  // a failed open leaves it empty
    CHECK(parse_err(good, std::endian::little, 5) == errc::invalid_argument);
    auto bad_magic = good;
    bad_magic[0] = std::byte{0x9e};
    CHECK(err(bad_magic) == errc::corrupt);
    auto version = good;
    version[2] = std::byte{2};
    CHECK(err(version) == errc::unsupported);
    CHECK(err(patched(4, 16)) == errc::corrupt);                   // hdr_len below 24
    CHECK(err(patched(4, static_cast<std::uint32_t>(good.size() + 1))) == errc::truncated);
    CHECK(err(patched(8, 2)) == errc::corrupt);                    // type_off not a multiple of 4
    CHECK(err(patched(12, 0xfffffff0u)) == errc::truncated);       // type section past the end
    CHECK(err(patched(16, 0xffffffffu)) == errc::truncated);       // string section past the end (no wrap)
    CHECK(err(patched(20, 0)) == errc::corrupt);                   // no strings at all
    auto unterminated = good;
    unterminated.back() = std::byte{'x'};
    CHECK(err(unterminated) == errc::corrupt);
    auto not_empty_first = good;
    not_empty_first[24 + 16 + 24] = std::byte{'x'};  // first string byte, after two records of 16 and 24
    CHECK(err(not_empty_first) == errc::corrupt);
    // The same blob with a 32-byte header whose layout section lies outside it.
    auto with_layout = w.bytes(std::endian::little, true);
    ksym::store<std::uint32_t>(with_layout.data() + 28, 0x10000, std::endian::little);
    CHECK(err(with_layout) == errc::truncated);
    // A 28-byte header: longer than 24, too short for layout fields, honoured.
    auto hdr28 = good;
    hdr28.insert(hdr28.begin() + 24, 4, std::byte{0});
    ksym::store<std::uint32_t>(hdr28.data() + 4, 28, std::endian::little);
    CHECK(parse_ok(hdr28).type_count() == 2);
    // Every prefix of a real-sized blob fails cleanly or parses.
    const auto mod = ksym_test::make_module_btf({.layout_header = true, .unknown_kind = true, .seed = 5}).bytes;
    std::size_t failures = 0;
    for (std::size_t n = 0; n < mod.size(); ++n) {
        std::vector<std::byte> cut(mod.begin(), mod.begin() + static_cast<std::ptrdiff_t>(n));
        failures += parse_err(cut) != errc::ok ? 1u : 0u;
    }
    CHECK(failures == mod.size());  // the layout section is last: every cut loses part of something
}

TEST_CASE("btf: hostile records give typed errors") {
    auto records_err = [](const btf_writer& w, bool layout = false) { return parse_err(w.bytes(std::endian::little, layout)); };
    {
        btf_writer w;
        w.add_int("int", 4);
        w.add_raw({1, 0, 0, 0, 0, 0, 0, 1});  // 8 bytes of a 12-byte head
        CHECK(records_err(w) == errc::truncated);
    }
    {
        btf_writer w;
        w.add_raw({0, 0, 0, 0, 200, 0, 0, 4, 0, 0, 0, 0});  // STRUCT with 200 members and no room for them
        CHECK(records_err(w) == errc::truncated);
    }
    {
        btf_writer w;
        w.add_raw({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});  // kind 0
        CHECK(records_err(w) == errc::corrupt);
    }
    {
        btf_writer w;
        const auto i = w.add_int("int", 4);
        w.add_unknown(40, 2, 4, 4);
        const auto after = w.add_struct("after", 4, {{"x", i, 0}});
        CHECK(records_err(w) == errc::unsupported);  // no layout section: cannot step over kind 40
        w.describe_kind(40, 4, 4);
        const auto b = parse_ok(w.bytes(std::endian::little, true));
        CHECK(*ksym::find_struct(b, "after") == after);
        CHECK(static_cast<int>(b.type(2)->kind) == 40);
        CHECK(ksym::type_size(b, 2).error() == errc::invalid_argument);
        btf_writer v;
        v.add_unknown(40, 1, 0, 0);
        CHECK(records_err(v, true) == errc::unsupported);  // the layout section stops at kind 19
    }
}

TEST_CASE("btf: reference cycles, fan-out and dangling ids end in errors, quickly") {
    btf_writer w;
    const auto i = w.add_int("int", 4);
    const auto t1 = w.add_typedef("a", w.last_id() + 2);  // a -> b -> a
    const auto t2 = w.add_typedef("b", t1);
    const auto self_array = w.add_array(w.last_id() + 1, i, 2);
    const auto dangling = w.add_typedef("d", 999);
    const auto self_anon = w.add_struct("self", 8, {{"", w.last_id() + 1, 0}});
    // Fan-out: each level has 16 anonymous members of the next; 16^6 paths.
    std::uint32_t level = w.add_struct("", 4, {{"leaf", i, 0}});
    for (int d = 0; d < 6; ++d) {
        std::vector<btf_writer::member> ms(16, {"", level, 0});
        level = w.add_struct("", 4, ms);
    }
    const auto bomb = level;
    const auto bad_member = w.add_struct("bad", 4, {{"x", 999, 0}});
    const auto bad_name = w.add_struct("", 4, {{"x", i, 0}});
    auto bytes = w.bytes(std::endian::little);
    // Point bad_name's member name past the string section.
    const auto rec = parse_ok(bytes).type(bad_name)->offset;
    ksym::store<std::uint32_t>(bytes.data() + 24 + rec + 12, 0x7fffffff, std::endian::little);
    const btf& b = parse_ok(bytes);

    CHECK(ksym::type_size(b, t2).error() == errc::corrupt);
    CHECK(ksym::resolve_type(b, t1).error() == errc::corrupt);
    CHECK(ksym::type_size(b, self_array).error() == errc::corrupt);
    CHECK(ksym::type_size(b, dangling).error() == errc::corrupt);
    CHECK(ksym::find_member(b, self_anon, "x").error() == errc::corrupt);
    CHECK(ksym::find_member(b, bomb, "nothing").error() == errc::corrupt);
    CHECK(ksym::find_member(b, bomb, "leaf")->bit_offset == 0);  // found before the budget runs out
    CHECK(ksym::find_member(b, bad_member, "x").error() == errc::corrupt);
    CHECK(ksym::find_member(b, bad_name, "x").error() == errc::not_found);
    CHECK(b.string_at(0x7fffffff).error() == errc::corrupt);
    CHECK(ksym::module_layout_from_btf(b).error() == errc::not_found);
}

TEST_CASE("module layouts: every era read back whole, whatever the member order") {
    using E = ksym::module_layout_era;
    using F = ksym::kernel_symbol_form;
    std::vector<ksym_test::module_btf_spec> specs = {
        {},                                                                           // 6.4+, as written
        {.era = E::core_layout},                                                      // 5.2-6.3
        {.era = E::core_layout, .typetab = false, .gpl_syms = true},                  // 4.5-5.1
        {.era = E::core_layout, .data_layout = true, .seed = 3},                      // 6.0-6.3 with data_layout
        {.era = E::module_core, .gpl_syms = true, .kernel_symbol = F::absolute,
         .symbol_namespace = false},                                                  // before 4.5
        {.kernel_symbol = F::absolute, .seed = 11},
        {.kernel_symbol = F::unknown, .seed = 12},                                   // only a FWD, like 6.18
        {.elf_sym = false, .mem_type_enum = false, .seed = 13},                       // fallbacks
        {.mem_type_enum64 = true, .odd_values = true, .seed = 14},
        {.layout_header = true, .unknown_kind = true, .anonymous = true, .seed = 15},
        {.era = E::module_core, .pointer_bytes = 4, .order = std::endian::big, .kernel_symbol = F::absolute},
        {.era = E::core_layout, .pointer_bytes = 4, .anonymous = true, .odd_values = true, .seed = 17},
    };
    for (std::uint64_t seed = 100; seed < 140; ++seed) {  // randomized order, both orders, both widths, all eras
        ksym_test::module_btf_spec s;
        s.era = static_cast<E>(seed % 3);
        s.pointer_bytes = seed % 4 < 2 ? 8 : 4;
        s.order = seed % 5 < 2 ? std::endian::big : std::endian::little;
        s.anonymous = seed % 7 < 3;
        s.odd_values = seed % 2 == 0;
        s.kernel_symbol = static_cast<F>(seed % 3);
        s.layout_header = s.unknown_kind = seed % 6 == 0;
        s.seed = seed;
        specs.push_back(s);
    }
    for (const auto& sp : specs) {
        CAPTURE(sp.seed);
        CAPTURE(ksym::to_string(sp.era));
        const auto m = ksym_test::make_module_btf(sp);
        const btf* b = &parse_ok(m.bytes, sp.order, sp.pointer_bytes);
        const auto got = ksym::module_layout_from_btf(*b);
        REQUIRE_MESSAGE(got.has_value(), ksym::to_string(got.error().code()));
        CHECK(*got == m.expected);
        CHECK(got->era == sp.era);
        // The same answer through the index.
        std::vector<std::uint32_t> storage(b->index_words());
        auto indexed = *b;
        REQUIRE(indexed.build_index(storage).ok());
        CHECK(*ksym::module_layout_from_btf(indexed) == m.expected);
    }
}

TEST_CASE("module layouts: what is missing or of the wrong width is refused") {
    auto layout_err = [](btf_writer& w) {
        return ksym::module_layout_from_btf(parse_ok(w.bytes(std::endian::little))).error().code();
    };
    btf_writer w;
    const auto u = w.add_int("unsigned int", 4);
    const auto ul = w.add_int("long unsigned int", 8);
    const auto c = w.add_int("char", 1);
    const auto st = w.add_enum("module_state", 4, {{"MODULE_STATE_LIVE", 0}, {"MODULE_STATE_COMING", 1},
                                                   {"MODULE_STATE_GOING", 2}, {"MODULE_STATE_UNFORMED", 3}});
    const auto lh_ptr = w.add_ptr(w.last_id() + 2);
    const auto lh = w.add_struct("list_head", 16, {{"next", lh_ptr, 0}, {"prev", lh_ptr, 64}});
    const auto name = w.add_array(c, u, 56);
    const auto p = w.add_ptr(0);
    std::vector<btf_writer::member> base = {{"state", st, 0}, {"list", lh, 64}, {"name", name, 192}, {"syms", p, 640}};
    {
        btf_writer v = w;
        v.add_struct("module", 800, base);  // no num_syms, no memory, no symbols
        CHECK(layout_err(v) == errc::not_found);
    }
    {
        btf_writer v = w;
        auto ms = base;
        ms.push_back({"num_syms", ul, 704});  // 8 bytes wide: not the unsigned int it always was
        ms.push_back({"module_core", p, 768});
        v.add_struct("module", 800, ms);
        CHECK(layout_err(v) == errc::unsupported);
    }
    {
        btf_writer v = w;
        auto ms = base;
        ms.push_back({"num_syms", u, 704});
        ms[0].bit_offset = 3;  // state not on a byte boundary
        v.add_struct("module", 800, ms);
        CHECK(layout_err(v) == errc::unsupported);
    }
    {
        btf_writer v = w;
        auto ms = base;
        ms.push_back({"num_syms", u, 704});
        const auto mm = v.add_struct("module_memory", 16, {{"base", p, 0}, {"size", u, 64}});
        ms.push_back({"mem", v.add_array(mm, u, 3), 768});  // mem[3], but MOD_INIT_RODATA is 6
        v.add_enum("mod_mem_type", 4, {{"MOD_TEXT", 0}, {"MOD_DATA", 1}, {"MOD_RODATA", 2}, {"MOD_RO_AFTER_INIT", 3},
                                       {"MOD_INIT_TEXT", 4}, {"MOD_INIT_DATA", 5}, {"MOD_INIT_RODATA", 6},
                                       {"MOD_MEM_NUM_TYPES", 7}});
        v.add_struct("module", 1000, ms);
        CHECK(layout_err(v) == errc::corrupt);
    }
    CHECK(ksym::module_layout_from_btf(btf{}).error() == errc::not_found);
}

TEST_CASE("module layouts: by hand, as a DWARF reader would fill them") {
    ksym::module_layout L{};
    L.era = ksym::module_layout_era::core_layout;
    L.core = {0x140, 0x148};
    L.symbols = {0, 8, 16, std::nullopt, 24};
    L.elf_sym = ksym::elf_sym_fields_for(8);
    L.kernel_symbol = ksym::kernel_symbol_fields_for(ksym::kernel_symbol_form::prel32, 8, true);
    CHECK(L.kernel_symbol == ksym::kernel_symbol_fields{ksym::kernel_symbol_form::prel32, 12, 0, 4, 8});
    CHECK(ksym::kernel_symbol_fields_for(ksym::kernel_symbol_form::absolute, 4, false) ==
          ksym::kernel_symbol_fields{ksym::kernel_symbol_form::absolute, 8, 0, 4, std::nullopt});
    CHECK(ksym::elf_sym_fields_for(4) == ksym::elf_sym_fields{16, 0, 12, 13, 14, 4, 8});
    CHECK(L != ksym::module_layout{});
    CHECK(ksym::to_string(L.era) == "core_layout");
    CHECK(ksym::to_string(ksym::module_layout_era::mem_array) == "mem[]");
    CHECK(ksym::to_string(ksym::kernel_symbol_form::prel32) == "prel32");
    CHECK(ksym::to_string(btf_kind::enum64) == "ENUM64");
    CHECK(ksym::to_string(static_cast<btf_kind>(77)) == "?");
}

TEST_CASE("btf: the running kernel's /sys/kernel/btf/vmlinux") {
    std::ifstream in("/sys/kernel/btf/vmlinux", std::ios::binary);
    if (!in) {
        MESSAGE("no /sys/kernel/btf/vmlinux here: skipped");
        return;
    }
    const std::vector<char> raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::span<const std::byte> blob(reinterpret_cast<const std::byte*>(raw.data()), raw.size());
    btf opened;
    REQUIRE(opened.open(blob, std::endian::native, sizeof(void*)).ok());
    const btf* b = &opened;
    CHECK(b->type_count() > 10000);
    const auto L = ksym::module_layout_from_btf(*b);
    REQUIRE_MESSAGE(L.has_value(), ksym::to_string(L.error().code()));
    CHECK(L->name_len == 64 - sizeof(void*));  // MODULE_NAME_LEN
    CHECK(L->list_head == ksym::list_head_fields{0, static_cast<std::uint32_t>(sizeof(void*))});
    CHECK(L->elf_sym == ksym::elf_sym_fields_for(sizeof(void*)));
    CHECK(L->states == ksym::module_state_values{});
    CHECK(L->kallsyms.has_value());
    // Lookups by id agree with and without the index on every 97th type.
    std::vector<std::uint32_t> storage(b->index_words());
    auto indexed = *b;
    REQUIRE(indexed.build_index(storage).ok());
    bool same = true;
    for (std::uint32_t id = 1; id <= b->type_count(); id += 97) same &= *b->type(id) == *indexed.type(id);
    CHECK(same);
    CHECK(*ksym::module_layout_from_btf(indexed) == *L);
}
