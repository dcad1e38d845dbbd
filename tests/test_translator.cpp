#include <doctest/doctest.h>

#include <cstdint>
#include <string_view>

#include "ksym/symbols/module_era.hpp"
#include "ksym/symbols/nm_type.hpp"
#include "ksym/symbols/st_info.hpp"

using ksym::section_class;
using ksym::symbol_attrs;
using ksym::symbol_binding;
using ksym::symbol_kind;

// A representative set, checked by the compiler.
static_assert(ksym::from_nm_type('T') == symbol_attrs{symbol_binding::global, symbol_kind::func, section_class::text});
static_assert(ksym::from_nm_type('t').binding == symbol_binding::local);
static_assert(ksym::from_nm_type('b') == symbol_attrs{symbol_binding::local, symbol_kind::object, section_class::bss});
static_assert(ksym::from_nm_type('A').section == section_class::absolute);
static_assert(ksym::from_nm_type('W').binding == symbol_binding::weak);
static_assert(ksym::from_nm_type('u').binding == symbol_binding::unique);
static_assert(ksym::from_nm_type('i').kind == symbol_kind::ifunc);
static_assert(ksym::from_nm_type('x') == symbol_attrs{});
static_assert(ksym::to_nm_type({symbol_binding::local, symbol_kind::func, section_class::text}) == 't');
static_assert(ksym::to_nm_type({symbol_binding::weak, symbol_kind::object, section_class::data}) == 'V');
static_assert(ksym::to_nm_type({symbol_binding::global, symbol_kind::unknown, section_class::undefined}) == 'U');
static_assert(ksym::to_nm_type({symbol_binding::global, symbol_kind::func, section_class::unknown}) == 'T');
static_assert(ksym::to_nm_type({}) == '?');
static_assert(ksym::binding_from_st_info(0x12) == symbol_binding::global);
static_assert(ksym::kind_from_st_info(0x12) == symbol_kind::func);
static_assert(ksym::binding_from_st_info(0xa1) == symbol_binding::unique);
static_assert(ksym::kind_from_st_info(0x1a) == symbol_kind::ifunc);
static_assert(ksym::binding_from_st_info(0x30) == symbol_binding::unknown);
static_assert(ksym::kind_from_st_info(0x07) == symbol_kind::unknown);
static_assert(ksym::to_st_info(symbol_binding::weak, symbol_kind::object).value() == 0x21);
static_assert(ksym::module_era_for({4, 19, 0}) == ksym::module_type_era::type_in_st_info);
static_assert(ksym::module_era_for({5, 1, 21}) == ksym::module_type_era::type_in_st_size);
static_assert(ksym::module_era_for({5, 2, 0}) == ksym::module_type_era::typetab);

namespace {
// The letters and their meaning, written out independently of the translator.
struct letter {
    char c;
    symbol_binding b;
    symbol_kind k;
    section_class s;
};
constexpr letter letters[] = {
    {'A', symbol_binding::global, symbol_kind::unknown, section_class::absolute},
    {'a', symbol_binding::local, symbol_kind::unknown, section_class::absolute},
    {'B', symbol_binding::global, symbol_kind::object, section_class::bss},
    {'b', symbol_binding::local, symbol_kind::object, section_class::bss},
    {'C', symbol_binding::global, symbol_kind::common, section_class::common},
    {'c', symbol_binding::local, symbol_kind::common, section_class::common},
    {'D', symbol_binding::global, symbol_kind::object, section_class::data},
    {'d', symbol_binding::local, symbol_kind::object, section_class::data},
    {'G', symbol_binding::global, symbol_kind::object, section_class::small_data},
    {'g', symbol_binding::local, symbol_kind::object, section_class::small_data},
    {'I', symbol_binding::unknown, symbol_kind::unknown, section_class::indirect},
    {'i', symbol_binding::unknown, symbol_kind::ifunc, section_class::text},
    {'N', symbol_binding::unknown, symbol_kind::unknown, section_class::debug},
    {'n', symbol_binding::local, symbol_kind::unknown, section_class::debug},
    {'p', symbol_binding::unknown, symbol_kind::unknown, section_class::stack_unwind},
    {'R', symbol_binding::global, symbol_kind::object, section_class::rodata},
    {'r', symbol_binding::local, symbol_kind::object, section_class::rodata},
    {'S', symbol_binding::global, symbol_kind::object, section_class::small_bss},
    {'s', symbol_binding::local, symbol_kind::object, section_class::small_bss},
    {'T', symbol_binding::global, symbol_kind::func, section_class::text},
    {'t', symbol_binding::local, symbol_kind::func, section_class::text},
    {'U', symbol_binding::global, symbol_kind::unknown, section_class::undefined},
    {'u', symbol_binding::unique, symbol_kind::object, section_class::data},
    {'V', symbol_binding::weak, symbol_kind::object, section_class::unknown},
    {'v', symbol_binding::weak, symbol_kind::object, section_class::undefined},
    {'W', symbol_binding::weak, symbol_kind::unknown, section_class::unknown},
    {'w', symbol_binding::weak, symbol_kind::unknown, section_class::undefined},
};

const letter* find_letter(char c) {
    for (const auto& l : letters)
        if (l.c == c) return &l;
    return nullptr;
}
}  // namespace

TEST_CASE("nm letters: all 256 char values") {
    int known = 0;
    for (int v = 0; v < 256; ++v) {
        const char c = static_cast<char>(v);
        CAPTURE(v);
        const symbol_attrs a = ksym::from_nm_type(c);
        if (const letter* l = find_letter(c)) {
            ++known;
            CHECK(a.binding == l->b);
            CHECK(a.kind == l->k);
            CHECK(a.section == l->s);
            // Every letter survives the trip to attributes and back.
            CHECK(ksym::to_nm_type(a) == c);
            CHECK(ksym::is_nm_type(c));
        } else {
            CHECK(a == symbol_attrs{});
            CHECK(ksym::is_nm_type(c) == (c == '?' || c == '-'));
        }
    }
    CHECK(known == static_cast<int>(std::size(letters)));
}

TEST_CASE("nm letters from attributes: binding picks the case, section the letter") {
    using b = symbol_binding;
    using k = symbol_kind;
    using s = section_class;
    CHECK(ksym::to_nm_type({b::global, k::object, s::rodata}) == 'R');
    CHECK(ksym::to_nm_type({b::local, k::tls, s::unknown}) == 'd');
    CHECK(ksym::to_nm_type({b::global, k::common, s::unknown}) == 'C');
    CHECK(ksym::to_nm_type({b::local, k::section, s::unknown}) == '?');
    CHECK(ksym::to_nm_type({b::weak, k::func, s::text}) == 'W');
    CHECK(ksym::to_nm_type({b::weak, k::func, s::undefined}) == 'w');
    CHECK(ksym::to_nm_type({b::unique, k::object, s::bss}) == 'u');
    CHECK(ksym::to_nm_type({b::global, k::ifunc, s::text}) == 'i');
    CHECK(ksym::to_nm_type({b::local, k::unknown, s::undefined}) == 'U');
}

TEST_CASE("st_info: all 256 values") {
    for (int v = 0; v < 256; ++v) {
        CAPTURE(v);
        const auto info = static_cast<std::uint8_t>(v);
        const int bind = v >> 4, type = v & 15;
        const symbol_binding eb = bind == 0    ? symbol_binding::local
                                  : bind == 1  ? symbol_binding::global
                                  : bind == 2  ? symbol_binding::weak
                                  : bind == 10 ? symbol_binding::unique
                                               : symbol_binding::unknown;
        constexpr symbol_kind kinds[16] = {
            symbol_kind::unknown, symbol_kind::object,  symbol_kind::func,    symbol_kind::section,
            symbol_kind::file,    symbol_kind::common,  symbol_kind::tls,     symbol_kind::unknown,
            symbol_kind::unknown, symbol_kind::unknown, symbol_kind::ifunc,   symbol_kind::unknown,
            symbol_kind::unknown, symbol_kind::unknown, symbol_kind::unknown, symbol_kind::unknown};
        const symbol_kind ek = kinds[type];
        CHECK(ksym::binding_from_st_info(info) == eb);
        CHECK(ksym::kind_from_st_info(info) == ek);
        const symbol_attrs a = ksym::from_st_info(info);
        CHECK(a.section == section_class::unknown);

        const auto back = ksym::to_st_info(a.binding, a.kind);
        if (eb == symbol_binding::unknown) {
            CHECK_FALSE(back);
        } else {
            REQUIRE(back);
            // Only values ELF assigns come back unchanged; the rest become STT_NOTYPE.
            CHECK(*back == (ek == symbol_kind::unknown ? (v & 0xf0) : v));
        }
    }
}

TEST_CASE("module symbol types in each kernel era") {
    using ksym::module_symbol_fields;
    using ksym::module_type_era;
    // A global function 'T': st_info = GLOBAL|FUNC = 0x12.
    // Before 5.0 the loader overwrote st_info with the letter.
    const module_symbol_fields old{static_cast<std::uint8_t>('t'), 0x40, 0};
    CHECK(ksym::module_symbol_type(module_type_era::type_in_st_info, old) == 't');
    CHECK_FALSE(ksym::module_st_info_valid(module_type_era::type_in_st_info));
    CHECK(ksym::module_symbol_attrs(module_type_era::type_in_st_info, old) ==
          symbol_attrs{symbol_binding::local, symbol_kind::func, section_class::text});

    // 5.0 and 5.1: st_info real, st_size holds the letter.
    const module_symbol_fields mid{0x22, 'w', 0};
    CHECK(ksym::module_symbol_type(module_type_era::type_in_st_size, mid) == 'w');
    CHECK_FALSE(ksym::module_st_size_valid(module_type_era::type_in_st_size));
    // st_info refines the letter: a weak function.
    CHECK(ksym::module_symbol_attrs(module_type_era::type_in_st_size, mid) ==
          symbol_attrs{symbol_binding::weak, symbol_kind::func, section_class::undefined});

    // 5.2+: typetab.
    const module_symbol_fields now{0x11, 0x100, 'D'};
    CHECK(ksym::module_symbol_type(module_type_era::typetab, now) == 'D');
    CHECK(ksym::module_st_size_valid(module_type_era::typetab));
    CHECK(ksym::module_symbol_attrs(module_type_era::typetab, now) ==
          symbol_attrs{symbol_binding::global, symbol_kind::object, section_class::data});
}
