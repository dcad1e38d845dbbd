// Module symbols on synthetic kernel memory (tests/module_image.hpp): every
// era of struct module and of the letters' place, both byte orders, 4- and
// 8-byte words, layouts written by hand and read from synthetic BTF with a
// randomized member order. The whole list of module symbols must equal the
// /proc/kallsyms lines the image's spec implies; lookups must agree with it;
// hostile memory must give typed errors, bounded reads and no crash.
#include <doctest/doctest.h>

#include <algorithm>
#include <bit>
#include <cinttypes>
#include <cstdio>
#include <string>
#include <vector>

#include "ksym/arch/targets.hpp"
#include "ksym/btf/btf.hpp"
#include "ksym/core/kernel_version.hpp"
#include "ksym/modules/discover.hpp"
#include "ksym/modules/layout.hpp"
#include "ksym/modules/loaded.hpp"
#include "ksym/modules/symbols.hpp"
#include "ksym/modules/walk.hpp"
#include "module_btf.hpp"
#include "module_image.hpp"

using ksym::errc;
using ksym::module_layout_era;
using ksym::module_letters;
using ksym_test::counting_reader;
using ksym_test::expected_symbol;
using ksym_test::image_reader;
using ksym_test::image_spec;
using ksym_test::module_image;

namespace {

using be32 = ksym::arch::generic<4, std::endian::big>;
using reader_t = counting_reader<image_reader>;

std::string line(const expected_symbol& s) {
    char b[768];
    std::snprintf(b, sizeof b, "%016" PRIx64 " %c %s\t[%s] size %" PRIu64 " index %u", s.address, s.type, s.name.c_str(),
                  s.module.c_str(), s.size, s.index);
    return b;
}
expected_symbol from(const ksym::symbol& s) {
    return {std::string(s.module), std::string(s.name), s.address, s.size, s.type, s.index};
}

// The whole lists, line by line, so that a difference names its line.
void check_same(const std::vector<expected_symbol>& got, const std::vector<expected_symbol>& want) {
    CHECK(got.size() == want.size());
    for (std::size_t i = 0; i < std::min(got.size(), want.size()); ++i) {
        if (got[i] == want[i]) continue;
        CAPTURE(i);
        CHECK(line(got[i]) == line(want[i]));
        return;
    }
}

// The version that puts the letters where `letters` says, for a layout
// without typetab.
ksym::kernel_version version_for(module_letters l) {
    switch (l) {
    case module_letters::typetab: return {6, 12, 0};
    case module_letters::st_size: return {5, 1, 0};
    case module_letters::st_info: return {4, 19, 0};
    }
    return {};
}

template <class Arch>
image_spec spec_for(const ksym::module_layout& L, module_letters letters, std::uint64_t seed = 1) {
    image_spec sp;
    sp.L = L;
    sp.order = Arch::byte_order;
    sp.letters = letters;
    sp.data_base = ksym_test::data_base_for(Arch::pointer_bytes);
    sp.mods_base = ksym_test::mods_base_for(Arch::pointer_bytes);
    sp.modules = ksym_test::sample_modules(L.states);
    sp.seed = seed;
    return sp;
}

// Everything a reader of the image can ask, against what its spec implies.
template <class Arch>
void check_image(const image_spec& sp) {
    const module_image img(sp);
    image_reader mem(img);
    reader_t reader{&mem};
    const ksym::module_layout& L = sp.L;
    CHECK(ksym::module_letters_for(L, version_for(sp.letters)) == sp.letters);

    // The walk: every module but the UNFORMED one, in list order, one read each
    // (and one more for the init table header of a COMING module).
    std::vector<std::byte> work(L.module_size);
    std::vector<ksym::module_info> walked;
    reader.calls = 0;
    REQUIRE(ksym::walk_modules<Arch>(reader, L, img.head, work, [&](const ksym::module_info& m) { walked.push_back(m); }).ok());
    const std::size_t init_tables = static_cast<std::size_t>(
        std::count_if(img.modules.begin(), img.modules.end(), [](const auto& m) { return m.init_table; }));
    CHECK(reader.calls == 1 + img.module_address.size() + init_tables);
    REQUIRE(walked.size() == img.modules.size());
    for (std::size_t i = 0; i < walked.size(); ++i) {
        const auto& got = walked[i];
        const auto& want = img.modules[i];
        CAPTURE(want.name);
        CHECK(got.name() == want.name);
        CHECK(got.state == want.state);
        CHECK(got.address == want.address);
        CHECK(std::vector<ksym::module_range>(got.memory().begin(), got.memory().end()) == want.ranges);
        CHECK(got.init_table == want.init_table);
        CHECK(got.symtab == want.symtab);
        CHECK(got.num_symtab == want.num_symtab);
        CHECK(got.strtab == want.strtab);
        CHECK(got.typetab == want.typetab);
        CHECK(got.syms == want.syms);
        CHECK(got.num_syms == want.num_syms);
        for (const auto& r : want.ranges) {
            CHECK(got.contains(r.base));
            CHECK(got.contains(r.base + r.size - 1));
        }
    }
    // A visitor returning false stops the walk.
    std::size_t seen = 0;
    CHECK(ksym::walk_modules<Arch>(reader, L, img.head, work, [&](const ksym::module_info&) { return ++seen < 2; }).ok());
    CHECK(seen == std::min<std::size_t>(2, walked.size()));

    // loaded_modules: the same modules; every module symbol in /proc/kallsyms order.
    std::vector<ksym::module_info> infos(16);
    ksym::loaded_modules<reader_t, Arch> mods;
    REQUIRE(mods.open(reader, L, img.head, version_for(sp.letters), infos, work).ok());
    CHECK(mods.letters() == sp.letters);
    REQUIRE(mods.modules().size() == walked.size());
    std::uint64_t most = 0;
    for (const auto& m : mods.modules()) most = std::max(most, mods.table_storage(m));
    std::vector<std::byte> storage(static_cast<std::size_t>(most));
    std::vector<expected_symbol> all;
    reader.largest = 0;
    REQUIRE(mods.for_each(storage, [&](const ksym::symbol& s) { all.push_back(from(s)); }).ok());
    check_same(all, img.symbols);
    CHECK(reader.largest <= storage.size());
    // Stopping early: a bool visitor, then a status one.
    std::size_t count = 0;
    CHECK(mods.for_each(storage, [&](const ksym::symbol&) { return ++count < 3; }).ok());
    CHECK(count == 3);
    CHECK(mods.for_each(storage, [&](const ksym::symbol&) { return ksym::status{errc::io_error, 7}; }) ==
          ksym::status{errc::io_error, 7});

    // Each module's table on its own: at, for_each, size.
    for (const auto& m : mods.modules()) {
        CAPTURE(std::string(m.name()));
        ksym::module_symbols<reader_t, Arch> t;
        reader.calls = 0;
        REQUIRE(mods.table(m, storage, t).ok());
        // Elf_Sym array, letters (typetab era) and strings: one read where
        // they lie in a row as the kernel lays a core table out, else one
        // each; then the exports and their names.
        const bool in_a_row = sp.letters == module_letters::typetab && m.num_symtab != 0 && m.symtab < m.strtab &&
                              m.strtab < m.typetab && m.typetab - m.symtab <= storage.size() &&
                              storage.size() >= mods.table_storage(m);
        const unsigned tables = in_a_row ? 1u : 2u + (sp.letters == module_letters::typetab ? 1u : 0u);
        CHECK(reader.calls == tables + (m.num_syms == 0 ? 0u : 2u));
        CHECK(t.size() == m.num_symtab);
        CHECK(&t.module() == &m);
        CHECK(t.at(t.size()).error() == errc::invalid_argument);
        CHECK(t.at(0).error() == errc::not_found);  // the null entry
        std::vector<expected_symbol> own;
        CHECK(t.for_each([&](const ksym::symbol& s) { own.push_back(from(s)); }).ok());
        std::vector<expected_symbol> want;
        for (const auto& s : img.symbols)
            if (s.module == m.name()) want.push_back(s);
        check_same(own, want);
        for (const auto& s : want) {
            const auto at = t.at(s.index);
            REQUIRE(at.has_value());
            CHECK(line(from(*at)) == line(s));
        }
        CHECK(t.find_by_name("no_such_symbol").error() == errc::not_found);
    }

    // By name: in a module, and in the first module that has it.
    ksym::module_symbols<reader_t, Arch> t;
    for (const auto& s : img.symbols) {
        CAPTURE(line(s));
        const auto in = mods.find_by_name(s.module, s.name, storage, t);
        REQUIRE(in.has_value());
        CHECK(line(from(*in)) == line(*img.by_name(s.module, s.name)));
        const auto any = mods.find_by_name("", s.name, storage, t);
        REQUIRE(any.has_value());
        CHECK(line(from(*any)) == line(*img.by_name("", s.name)));
    }
    CHECK(mods.find_by_name("", "no_such_symbol", storage, t).error() == errc::not_found);
    CHECK(mods.find_by_name("no_such_module", "alpha_init", storage, t).error() == errc::not_found);
    CHECK(mods.find_by_name("gamma", "alpha_init", storage, t).error() == errc::not_found);
    CHECK(mods.find_by_name("beta_unformed", "beta_x", storage, t).error() == errc::not_found);
    CHECK(mods.find_module("beta_unformed") == nullptr);
    REQUIRE(mods.find_module("gamma") != nullptr);
    CHECK(mods.find_module("gamma")->name() == "gamma");

    // By address: at each symbol, just past it, at each range's ends; and
    // outside every module.
    std::vector<std::uint64_t> probes;
    for (const auto& s : img.symbols) {
        probes.push_back(s.address);
        probes.push_back(s.address + 1);
    }
    for (const auto& m : img.modules)
        for (const auto& r : m.ranges) {
            probes.push_back(r.base);  // below every defined symbol of the module's text
            probes.push_back(r.base + r.size - 1);
            probes.push_back(r.base + 0x100);
        }
    for (const std::uint64_t a : probes) {
        CAPTURE(a);
        const auto want = img.at_address(a);
        const auto got = mods.find_by_address(a, storage, t);
        if (!want) {
            // In a module, below its defined symbols (undefined and
            // absolute ones do not count), or outside every module.
            CHECK(got.error() == errc::not_found);
            continue;
        }
        REQUIRE(got.has_value());
        CHECK(line(from(got->sym)) == line(*want));
        CHECK(got->offset == a - want->address);
        CHECK(mods.module_at(a) != nullptr);
    }
    const std::uint64_t word_mask = Arch::pointer_bytes == 8 ? ~std::uint64_t{0} : 0xffffffffull;
    for (const std::uint64_t a : {img.data_base, img.mods_base + 0x800, img.module_address[1] + 0x1000,
                                  img.mods_base + img.mods.size() + 0x1000, std::uint64_t{0}, word_mask}) {
        CAPTURE(a);
        CHECK(mods.module_at(a) == nullptr);
        CHECK(mods.find_by_address(a, storage, t).error() == errc::not_found);
    }
}

template <class Arch>
void check_hand(module_layout_era era, module_letters letters, bool data_layout, bool gpl, ksym::kernel_symbol_form form) {
    const auto L = ksym_test::hand_layout(era, Arch::pointer_bytes, letters == module_letters::typetab, data_layout, gpl, form);
    check_image<Arch>(spec_for<Arch>(L, letters));
}

// A layout read from synthetic BTF, for the Arch its spec describes.
template <class Arch>
void check_btf(ksym_test::module_btf_spec bs, module_letters letters) {
    bs.pointer_bytes = Arch::pointer_bytes;
    bs.order = Arch::byte_order;
    const auto m = ksym_test::make_module_btf(bs);
    ksym::btf b;
    REQUIRE(b.open(m.bytes, bs.order, bs.pointer_bytes).ok());
    auto L = ksym::module_layout_from_btf(b);
    REQUIRE(L.has_value());
    CHECK(*L == m.expected);
    if (L->kernel_symbol.form == ksym::kernel_symbol_form::unknown)
        L->kernel_symbol = ksym::kernel_symbol_fields_for(ksym::kernel_symbol_form::prel32, Arch::pointer_bytes, true);
    check_image<Arch>(spec_for<Arch>(*L, letters, bs.seed + 1));
}

}  // namespace

TEST_CASE("module symbols, layouts by hand: every era of struct module and of the letters' place") {
    using E = module_layout_era;
    using M = module_letters;
    using F = ksym::kernel_symbol_form;
    SUBCASE("mem[] (6.4+), typetab, PREL32") {
        check_hand<ksym::arch::x86_64>(E::mem_array, M::typetab, false, false, F::prel32);
        check_hand<ksym::arch::s390x>(E::mem_array, M::typetab, false, false, F::prel32);
        check_hand<ksym::arch::i386>(E::mem_array, M::typetab, false, false, F::absolute);
        check_hand<be32>(E::mem_array, M::typetab, false, false, F::absolute);
    }
    SUBCASE("core_layout with data_layout (6.0-6.3 on some architectures), typetab") {
        check_hand<ksym::arch::x86_64>(E::core_layout, M::typetab, true, false, F::prel32);
        check_hand<ksym::arch::s390x>(E::core_layout, M::typetab, true, false, F::absolute);
        check_hand<ksym::arch::i386>(E::core_layout, M::typetab, true, false, F::absolute);
    }
    SUBCASE("core_layout without data_layout (5.2-6.3), typetab; GPL exports apart (before 5.13)") {
        check_hand<ksym::arch::x86_64>(E::core_layout, M::typetab, false, true, F::prel32);
        check_hand<be32>(E::core_layout, M::typetab, false, true, F::absolute);
    }
    SUBCASE("core_layout, letters in st_size (5.0-5.1)") {
        check_hand<ksym::arch::x86_64>(E::core_layout, M::st_size, false, true, F::prel32);
        check_hand<ksym::arch::s390x>(E::core_layout, M::st_size, false, true, F::prel32);
        check_hand<ksym::arch::i386>(E::core_layout, M::st_size, false, true, F::absolute);
        check_hand<be32>(E::core_layout, M::st_size, false, true, F::absolute);
    }
    SUBCASE("core_layout, letters in st_info (4.5-4.20)") {
        check_hand<ksym::arch::x86_64>(E::core_layout, M::st_info, false, true, F::prel32);
        check_hand<ksym::arch::s390x>(E::core_layout, M::st_info, false, true, F::absolute);
        check_hand<ksym::arch::i386>(E::core_layout, M::st_info, false, true, F::absolute);
        check_hand<be32>(E::core_layout, M::st_info, false, true, F::absolute);
    }
    SUBCASE("module_core (before 4.5): the symbol table fields in struct module, letters in st_info") {
        check_hand<ksym::arch::x86_64>(E::module_core, M::st_info, false, true, F::absolute);
        check_hand<ksym::arch::s390x>(E::module_core, M::st_info, false, true, F::absolute);
        check_hand<ksym::arch::i386>(E::module_core, M::st_info, false, true, F::absolute);
        check_hand<be32>(E::module_core, M::st_info, false, true, F::absolute);
    }
}

TEST_CASE("module symbols, layouts from synthetic BTF with a randomized member order") {
    using E = module_layout_era;
    using M = module_letters;
    using F = ksym::kernel_symbol_form;
    for (std::uint64_t seed = 1; seed <= 48; ++seed) {
        ksym_test::module_btf_spec bs;
        bs.era = static_cast<E>(seed % 3);
        bs.seed = seed;
        bs.typetab = bs.era != E::module_core && seed % 4 != 1;
        bs.gpl_syms = seed % 5 < 2;
        bs.data_layout = bs.era == E::core_layout && seed % 2 == 0;
        bs.kernel_symbol = static_cast<F>(seed % 3);
        bs.anonymous = seed % 7 < 3;
        bs.odd_values = seed % 3 != 1;  // states 10..13, a wider Elf_Sym, mem[] types reversed
        bs.elf_sym = seed % 11 != 0;
        bs.mem_type_enum = seed % 13 != 0;
        const M letters = bs.typetab ? M::typetab : (seed / 4) % 2 == 0 ? M::st_size : M::st_info;
        if (!bs.mem_type_enum) bs.odd_values = false;  // without the enum, mem[] types are upstream's
        CAPTURE(seed);
        CAPTURE(ksym::to_string(bs.era));
        CAPTURE(ksym::to_string(letters));
        switch (seed % 4) {
        case 0: check_btf<ksym::arch::x86_64>(bs, letters); break;
        case 1: check_btf<ksym::arch::s390x>(bs, letters); break;
        case 2: check_btf<ksym::arch::i386>(bs, letters); break;
        default: check_btf<be32>(bs, letters); break;
        }
    }
}

TEST_CASE("module symbols: an empty list, and a list of UNFORMED modules only") {
    const auto L = ksym_test::hand_layout(module_layout_era::mem_array, 8, true, false, false, ksym::kernel_symbol_form::prel32);
    for (bool unformed_only : {false, true}) {
        CAPTURE(unformed_only);
        auto sp = spec_for<ksym::arch::x86_64>(L, module_letters::typetab);
        const auto unformed = sp.modules.at(1);
        sp.modules.clear();
        if (unformed_only) sp.modules = {unformed, unformed};
        const module_image img(sp);
        image_reader mem(img);
        reader_t reader{&mem};
        std::vector<std::byte> work(L.module_size);
        std::vector<ksym::module_info> infos(4);
        ksym::loaded_modules<reader_t, ksym::arch::x86_64> mods;
        REQUIRE(mods.open(reader, L, img.head, {6, 12, 0}, infos, work).ok());
        CHECK(mods.modules().empty());
        std::vector<std::byte> storage(64);
        std::size_t n = 0;
        CHECK(mods.for_each(storage, [&](const ksym::symbol&) { ++n; }).ok());
        CHECK(n == 0);
        ksym::module_symbols<reader_t, ksym::arch::x86_64> t;
        CHECK(mods.find_by_name("", "beta_x", storage, t).error() == errc::not_found);
        CHECK(mods.find_by_address(img.mods_base + 0x1010, storage, t).error() == errc::not_found);
    }
}

// ---------------------------------------------------------------------------
// Hostile memory: typed errors, bounded reads, no crash or hang.

namespace {

using x64 = ksym::arch::x86_64;

// The sample modules on x86-64 with a mem[] layout.
struct hostile {
    ksym::module_layout L = ksym_test::hand_layout(module_layout_era::mem_array, 8, true, false, false, ksym::kernel_symbol_form::prel32);
    module_image img;
    explicit hostile(module_letters letters = module_letters::typetab)
        : img([&] {
              auto l = L;
              if (letters != module_letters::typetab) l = ksym_test::hand_layout(module_layout_era::core_layout, 8, false, false, false,
                                                                                  ksym::kernel_symbol_form::prel32);
              return spec_for<x64>(l, letters);
          }()) {
        L = img.spec().L;
    }
    // Walks into `out`; the status of the walk.
    ksym::status walk(std::vector<ksym::module_info>* out = nullptr, std::uint32_t limit = ksym::max_modules) {
        image_reader mem(img);
        reader_t reader{&mem};
        std::vector<std::byte> work(L.module_size);
        return ksym::walk_modules<x64>(reader, L, img.head, work, [&](const ksym::module_info& m) {
            if (out) out->push_back(m);
        }, limit);
    }
    // The walked module named `name`.
    ksym::module_info module(std::string_view name) {
        std::vector<ksym::module_info> all;
        REQUIRE(walk(&all).ok());
        for (const auto& m : all)
            if (m.name() == name) return m;
        FAIL("no module " << std::string(name));
        return {};
    }
    // Loads the table of `m` into storage_for bytes (or `bytes`); the
    // status, with the largest read and the number of reads.
    struct loaded {
        ksym::status st;
        std::size_t largest = 0, calls = 0, storage = 0;
    };
    loaded load(const ksym::module_info& m, std::optional<std::size_t> bytes = std::nullopt) {
        image_reader mem(img);
        reader_t reader{&mem};
        using table_t = ksym::module_symbols<reader_t, x64>;
        const std::uint64_t want = table_t::storage_for(L, m);
        std::vector<std::byte> storage(bytes.value_or(static_cast<std::size_t>(std::min<std::uint64_t>(want, 64u << 20))));
        table_t t;
        loaded r;
        r.st = t.load(reader, L, m, img.spec().letters, storage);
        if (r.st) r.st = t.for_each([](const ksym::symbol&) {});
        r.largest = reader.largest;
        r.calls = reader.calls;
        r.storage = storage.size();
        return r;
    }
};

// A reader standing for a kernel that changes the list while it is read:
// every struct module it serves links back to the node the walker came
// from, so only the bound can stop a cycle that misses the head.
struct racing_reader {
    const image_reader* inner;
    const ksym::module_layout* L;
    std::uint64_t last_list = 0;
    std::size_t calls = 0;
    ksym::status read(std::uint64_t addr, std::span<std::byte> out) {
        ++calls;
        if (ksym::status s = inner->read(addr, out); !s) return s;
        if (out.size() == L->module_size) {
            ksym::store_n(out.data() + L->list + L->list_head.prev, last_list, 8, std::endian::little);
            last_list = addr + L->list;
        }
        return {};
    }
};

}  // namespace

TEST_CASE("hostile module lists: cycles, broken links, unknown states, names without a NUL") {
    SUBCASE("a cycle that misses the head stops at the bound, corrupt") {
        hostile h;
        // alpha -> beta_unformed -> alpha -> ...; the reader keeps every prev link consistent.
        h.img.write(h.img.field(1, h.L.list + h.L.list_head.next), h.img.field(0, h.L.list), 8);
        image_reader mem(h.img);
        for (std::uint32_t limit : {5u, ksym::max_modules}) {
            CAPTURE(limit);
            racing_reader reader{&mem, &h.L, h.img.head};
            std::vector<std::byte> work(h.L.module_size);
            std::size_t visited = 0;
            const auto s = ksym::walk_modules<x64>(reader, h.L, h.img.head, work, [&](const ksym::module_info&) { ++visited; }, limit);
            CHECK(s.code() == errc::corrupt);
            CHECK((s.address() == h.img.field(0, h.L.list) || s.address() == h.img.field(1, h.L.list)));
            CHECK(reader.calls == 1 + limit);
            CHECK(visited == (limit + 1) / 2);  // the UNFORMED one is not visited
        }
    }
    SUBCASE("an UNFORMED module is skipped before its symbol table is looked at") {
        // Its mod->kallsyms is NULL until the loader lays out its symbols
        // (the sample's beta_unformed); pointing nowhere, it is not read either.
        hostile h;
        CHECK(h.img.read(h.img.field(1, *h.L.kallsyms), 8) == 0);
        std::vector<ksym::module_info> got;
        CHECK(h.walk(&got).ok());
        CHECK(got.size() == h.img.modules.size());
        h.img.write(h.img.field(1, *h.L.kallsyms), 0xffff888000002000ull, 8);
        CHECK(h.walk().ok());
    }
    SUBCASE("a bound below the list's length") {
        hostile h;
        std::vector<ksym::module_info> got;
        const auto s = h.walk(&got, 2);
        CHECK(s == ksym::status{errc::corrupt, h.img.field(2, h.L.list)});
        CHECK(got.size() == 1);
    }
    SUBCASE("a next whose prev does not point back") {
        hostile h;
        h.img.write(h.img.field(2, h.L.list + h.L.list_head.prev), h.img.field(0, h.L.list) + 8, 8);
        CHECK(h.walk() == ksym::status{errc::corrupt, h.img.field(2, h.L.list)});
        // A module whose next is itself: its prev is the module before it, not itself.
        hostile self;
        self.img.write(self.img.field(0, self.L.list + self.L.list_head.next), self.img.field(0, self.L.list), 8);
        CHECK(self.walk() == ksym::status{errc::corrupt, self.img.field(0, self.L.list)});
    }
    SUBCASE("an unknown state") {
        hostile h;
        h.img.write(h.img.field(2, h.L.state), 4, 4);
        CHECK(h.walk() == ksym::status{errc::corrupt, h.img.field(2, h.L.state)});
        h.img.write(h.img.field(2, h.L.state), 0xffffffff, 4);
        CHECK(h.walk() == ksym::status{errc::corrupt, h.img.field(2, h.L.state)});
    }
    SUBCASE("a module name without a NUL") {
        hostile h;
        for (std::uint32_t i = 0; i < h.L.name_len; ++i) h.img.write(h.img.field(3, h.L.name + i), 'x', 1);
        CHECK(h.walk() == ksym::status{errc::corrupt, h.img.field(3, h.L.name)});
    }
    SUBCASE("unreadable links: the head, a next, a COMING module's init table header") {
        hostile h;
        image_reader mem(h.img);
        reader_t reader{&mem};
        std::vector<std::byte> work(h.L.module_size);
        auto nop = [](const ksym::module_info&) {};
        CHECK(ksym::walk_modules<x64>(reader, h.L, 0x1000, work, nop).code() == errc::fault);
        h.img.write(h.img.field(2, h.L.list + h.L.list_head.next), 0xffff888000000000ull, 8);
        CHECK(h.walk().code() == errc::fault);
        hostile c;
        c.img.write(c.img.field(4, *c.L.kallsyms), 0xffff888000001000ull, 8);  // epsilon_coming
        CHECK(c.walk() == ksym::status::fault(0xffff888000001000ull));
    }
    SUBCASE("storage and layouts the caller got wrong") {
        hostile h;
        image_reader mem(h.img);
        reader_t reader{&mem};
        std::vector<std::byte> work(h.L.module_size - 1);
        auto nop = [](const ksym::module_info&) {};
        CHECK(ksym::walk_modules<x64>(reader, h.L, h.img.head, work, nop) == ksym::status{errc::capacity, h.L.module_size});
        work.resize(h.L.module_size);
        auto bad = h.L;
        bad.module_size = bad.name;  // the name no longer fits
        CHECK(ksym::walk_modules<x64>(reader, bad, h.img.head, work, nop).code() == errc::invalid_argument);
        bad = h.L;
        bad.pointer_bytes = 4;
        CHECK(ksym::walk_modules<x64>(reader, bad, h.img.head, work, nop).code() == errc::invalid_argument);
        bad = h.L;
        bad.mem.count = 9;
        CHECK(ksym::walk_modules<x64>(reader, bad, h.img.head, work, nop).code() == errc::invalid_argument);
        // struct list_head is two pointers: a link offset past them would be
        // read beyond the head the walk reads (or the scan's chunk).
        for (const auto& links : {std::pair{16u, 8u}, std::pair{0u, 12u}}) {
            CAPTURE(links.first);
            bad = h.L;
            bad.list_head = {links.first, links.second};
            CHECK(ksym::walk_modules<x64>(reader, bad, h.img.head, work, nop).code() == errc::invalid_argument);
            std::vector<std::byte> chunk(4096);
            CHECK(ksym::find_modules_head<x64>(reader, bad, h.img.data_base, 4096, chunk, work).error() == errc::invalid_argument);
        }
        // loaded_modules keeps as many modules as the caller lent room for.
        std::vector<ksym::module_info> infos(2);
        ksym::loaded_modules<reader_t, x64> mods;
        CHECK(mods.open(reader, h.L, h.img.head, {6, 12, 0}, infos, work) == ksym::status{errc::capacity, h.img.module_address[3]});
    }
}

TEST_CASE("hostile module symbol tables: counts, strings, pointers, storage") {
    SUBCASE("num_symtab beyond max_module_symbols: corrupt, nothing read") {
        hostile h;
        auto m = h.module("gamma");
        m.num_symtab = ksym::max_module_symbols + 1;
        const auto r = h.load(m);
        CHECK(r.st == ksym::status{errc::corrupt, m.address});
        CHECK(r.calls == 0);
        m.num_symtab = 0xffffffffu;
        CHECK(h.load(m).st == ksym::status{errc::corrupt, m.address});
        // Through the walk: the count read from memory.
        h.img.write(h.img.tables[2].symtab, 0, 1);
        h.img.write(h.img.field(2, *h.L.core_kallsyms + h.L.symbols.num_symtab), 0x7fffffff, 4);
        const auto w = h.load(h.module("gamma"));
        CHECK(w.st == ksym::status{errc::corrupt, h.img.module_address[2]});
        CHECK(w.calls == 0);
        CHECK(w.storage < (1u << 30));  // storage_for caps the count it sizes for
    }
    SUBCASE("num_syms beyond max_module_symbols: corrupt") {
        hostile h;
        auto m = h.module("gamma");
        m.num_syms = ksym::max_module_symbols + 1;
        CHECK(h.load(m).st == ksym::status{errc::corrupt, m.address + h.L.num_syms});
    }
    SUBCASE("a name offset past the strings") {
        hostile h;
        const auto& t = h.img.tables[5];  // zeta_no_exports, the last module: its strings end the image
        const std::uint64_t entry1 = t.symtab + h.L.elf_sym.size;
        for (std::uint32_t off : {0x10000u, 0x7fffffffu, 0xffffffffu}) {
            CAPTURE(off);
            h.img.write(entry1 + h.L.elf_sym.st_name, off, 4);
            const auto r = h.load(h.module("zeta_no_exports"));
            CHECK((r.st.code() == errc::fault || r.st.code() == errc::capacity));
            CHECK(r.largest <= r.storage);
        }
    }
    SUBCASE("a name without a NUL within a name's length") {
        hostile h;
        const auto& t = h.img.tables[5];
        for (std::uint32_t i = 1; i < 600 && t.strtab + i < h.img.mods_base + h.img.mods.size(); ++i) h.img.write(t.strtab + i, 'n', 1);
        const auto r = h.load(h.module("zeta_no_exports"));
        CHECK(r.st == ksym::status{errc::corrupt, t.strtab + 1});
        CHECK(r.largest <= r.storage);
    }
    SUBCASE("unreadable symtab, typetab, strtab, exports") {
        hostile h;
        const auto m = h.module("gamma");
        const std::uint64_t nowhere = 0xffff888012345000ull;
        for (auto which : {0, 1, 2, 3}) {
            CAPTURE(which);
            auto bad = m;
            if (which == 0) bad.symtab = nowhere;
            if (which == 1) bad.typetab = nowhere;
            if (which == 2) bad.strtab = nowhere;
            if (which == 3) bad.syms = nowhere;
            CHECK(h.load(bad).st == ksym::status::fault(nowhere));
        }
        auto wrap = m;
        wrap.symtab = ~std::uint64_t{0} - 8;
        CHECK(h.load(wrap).st.code() == errc::fault);
        auto no_types = m;
        no_types.typetab = 0;
        CHECK(h.load(no_types).st == ksym::status{errc::corrupt, m.address});
    }
    SUBCASE("storage too small: capacity naming storage_for") {
        hostile h;
        for (const char* name : {"alpha", "gamma", "zeta_no_exports", "epsilon_coming"}) {
            CAPTURE(name);
            const auto m = h.module(name);
            const std::uint64_t need = ksym::module_symbols<reader_t, x64>::storage_for(h.L, m);
            CHECK(h.load(m).st.ok());
            for (std::size_t bytes : {std::size_t{0}, std::size_t{16}, std::size_t{m.num_symtab} * h.L.elf_sym.size + m.num_symtab,
                                      std::size_t{m.num_symtab} * (h.L.elf_sym.size + 1) + 100}) {
                CAPTURE(bytes);
                const auto r = h.load(m, bytes);
                CHECK(r.st == ksym::status{errc::capacity, need});
                CHECK(r.largest <= bytes);
            }
        }
    }
    SUBCASE("exports the layout cannot read") {
        hostile h;
        auto m = h.module("gamma");
        h.L.kernel_symbol = {};
        CHECK(h.load(m).st.code() == errc::invalid_argument);
        h.L.kernel_symbol = ksym::kernel_symbol_fields_for(ksym::kernel_symbol_form::prel32, 8, true);
        h.L.kernel_symbol.value = 10;  // past its 12 bytes
        CHECK(h.load(m).st.code() == errc::invalid_argument);
        h.L.kernel_symbol = ksym::kernel_symbol_fields_for(ksym::kernel_symbol_form::prel32, 8, true);
        h.L.elf_sym.size = 8;
        CHECK(h.load(m).st.code() == errc::invalid_argument);
    }
    SUBCASE("export names spread over the whole address space: no huge read") {
        // Name addresses from 0x10 to 2^64 - 16: the stretch between them,
        // plus a name's room, wraps around 2^64.
        for (const auto form : {ksym::kernel_symbol_form::prel32, ksym::kernel_symbol_form::absolute}) {
            CAPTURE(ksym::to_string(form));
            hostile h;
            if (form == ksym::kernel_symbol_form::absolute) {
                h.L.kernel_symbol = ksym::kernel_symbol_fields_for(form, 8, true);
                auto sp = h.img.spec();
                sp.L = h.L;
                h.img = module_image(sp);
            }
            const auto& k = h.L.kernel_symbol;
            const std::uint64_t arr = h.img.tables[2].syms;  // gamma: two exports
            const std::uint64_t names[] = {0x10, ~std::uint64_t{0} - 15};
            for (std::uint64_t i = 0; i < 2; ++i) {
                const std::uint64_t field = arr + i * k.size + k.name;
                if (form == ksym::kernel_symbol_form::prel32) h.img.write(field, static_cast<std::uint32_t>(names[i] - field), 4);
                else h.img.write(field, names[i], 8);
            }
            const auto r = h.load(h.module("gamma"));
            CHECK(r.st.code() == errc::capacity);
            CHECK(r.largest <= r.storage);
        }
    }
    SUBCASE("export names without a NUL: never exported, no error") {
        hostile h;
        const auto& t = h.img.tables[2];  // gamma: exports shared_name, gamma_rodata
        for (std::uint64_t a = t.export_strings; a < t.export_strings + 24; ++a) h.img.write(a, 'e', 1);
        const auto r = h.load(h.module("gamma"));
        CHECK(r.st.ok());
        CHECK(r.largest <= r.storage);
    }
}

namespace {

// Reads that touch [hole, hole + 16) fail: the memory after a module's
// strings, unmapped (a table that ends a page before a hole in the dump).
struct holey_reader {
    const image_reader* inner;
    std::vector<std::uint64_t> holes;
    std::size_t calls = 0, largest = 0;
    ksym::status read(std::uint64_t addr, std::span<std::byte> out) {
        ++calls;
        largest = std::max(largest, out.size());
        for (const std::uint64_t h : holes)
            if (h != 0 && addr < h + 16 && h - addr < out.size()) return ksym::status::fault(std::max(addr, h));
        return inner->read(addr, out);
    }
};

template <class Arch>
void check_strings_before_a_hole(const ksym::module_layout& L, module_letters letters) {
    const module_image img(spec_for<Arch>(L, letters));
    image_reader mem(img);
    std::vector<std::byte> work(L.module_size);
    std::vector<ksym::module_info> walked;
    REQUIRE(ksym::walk_modules<Arch>(mem, L, img.head, work, [&](const ksym::module_info& m) { walked.push_back(m); }).ok());
    for (const auto& m : walked) {
        CAPTURE(std::string(m.name()));
        const auto k = static_cast<std::size_t>(std::find(img.module_address.begin(), img.module_address.end(), m.address) -
                                                img.module_address.begin());
        const auto& t = img.tables.at(k);
        holey_reader reader{&mem, {t.strtab + t.strtab_bytes, t.export_strings_end}};
        using table_t = ksym::module_symbols<holey_reader, Arch>;
        std::vector<std::byte> storage(static_cast<std::size_t>(table_t::storage_for(L, m)));
        table_t table;
        REQUIRE(table.load(reader, L, m, letters, storage).ok());
        std::vector<expected_symbol> got, want;
        CHECK(table.for_each([&](const ksym::symbol& s) { got.push_back(from(s)); }).ok());
        for (const auto& s : img.symbols)
            if (s.module == m.name()) want.push_back(s);
        check_same(got, want);  // the letters' case too: the export names were read
        CHECK(reader.largest <= storage.size());
    }
}

}  // namespace

TEST_CASE("module symbols: strings and export names that end just before unreadable memory") {
    using F = ksym::kernel_symbol_form;
    check_strings_before_a_hole<ksym::arch::x86_64>(
        ksym_test::hand_layout(module_layout_era::mem_array, 8, true, false, false, F::prel32), module_letters::typetab);
    check_strings_before_a_hole<be32>(ksym_test::hand_layout(module_layout_era::module_core, 4, false, false, false, F::absolute),
                                      module_letters::st_info);
}

// ---------------------------------------------------------------------------
// Discovery: the `modules` list head and the vmlinux BTF, by checked scans.

namespace {

// The sample image of Arch with a decoy list_head before the real one: its
// next is a struct module that links back to it, but the list from there
// does not close on it (the module's next is alpha, whose prev is the head).
template <class Arch>
module_image decoy_image(bool with_real_list) {
    const std::uint32_t p = Arch::pointer_bytes;
    const auto L = ksym_test::hand_layout(module_layout_era::mem_array, p, true, false, false, ksym::kernel_symbol_form::absolute);
    auto sp = spec_for<Arch>(L, module_letters::typetab);
    sp.modules.push_back(sp.modules.front());  // region of the decoy's module, unlinked below
    sp.modules.back().name = "decoy";
    module_image img(sp);
    const std::size_t last = sp.modules.size() - 1;
    const std::uint64_t decoy = img.data_base + 0x40;
    // Unlink the last module: the list closes on the one before it.
    img.write(img.field(last - 1, L.list + L.list_head.next), img.head, p);
    img.write(img.head + L.list_head.prev, img.field(last - 1, L.list), p);
    // The decoy head and its module.
    img.write(decoy + L.list_head.next, img.field(last, L.list), p);
    img.write(decoy + L.list_head.prev, img.field(last, L.list), p);
    img.write(img.field(last, L.list + L.list_head.prev), decoy, p);
    img.write(img.field(last, L.list + L.list_head.next), img.field(0, L.list), p);
    // Kernel-looking pointers that lead nowhere, and a next whose module does not link back.
    img.write(img.data_base + 0x10, img.mods_base + 0x123 * p, p);
    img.write(img.data_base + 0x10 + p, img.mods_base + 0x456 * p, p);
    img.write(img.data_base + 0x80, img.field(2, L.list), p);
    img.write(img.data_base + 0x80 + p, img.field(2, L.list), p);
    if (!with_real_list) {
        img.write(img.head, 0, p);
        img.write(img.head + p, 0, p);
    }
    return img;
}

template <class Arch>
void check_find_head() {
    for (bool real : {true, false}) {
        CAPTURE(real);
        const auto img = decoy_image<Arch>(real);
        const auto& L = img.spec().L;
        image_reader mem(img);
        reader_t reader{&mem};
        std::vector<std::byte> chunk(4096), work(L.module_size);
        const auto h = ksym::find_modules_head<Arch>(reader, L, img.data_base, img.data.size(), chunk, work);
        if (real) {
            REQUIRE(h.has_value());
            CHECK(*h == img.head);
        } else {
            CHECK(h.error() == errc::not_found);
        }
        CHECK(reader.largest <= chunk.size());
        // Outside the scanned range, or with no room, it finds nothing.
        CHECK(ksym::find_modules_head<Arch>(reader, L, img.data_base, 0x40, chunk, work).error() == errc::not_found);
        std::vector<std::byte> small(L.module_size - 1);
        CHECK(ksym::find_modules_head<Arch>(reader, L, img.data_base, img.data.size(), chunk, small).error() == errc::capacity);
    }
    // No module loaded: an empty list looks like any other pair of pointers.
    const auto L = ksym_test::hand_layout(module_layout_era::core_layout, Arch::pointer_bytes, true, false, false, ksym::kernel_symbol_form::absolute);
    auto sp = spec_for<Arch>(L, module_letters::typetab);
    sp.modules.clear();
    const module_image empty(sp);
    image_reader mem(empty);
    std::vector<std::byte> chunk(8192), work(L.module_size);
    CHECK(ksym::find_modules_head<Arch>(mem, L, empty.data_base, empty.data.size(), chunk, work).error() == errc::not_found);
}

}  // namespace

TEST_CASE("find_modules_head: the list that closes, not the decoy that does not") {
    check_find_head<ksym::arch::x86_64>();
    check_find_head<ksym::arch::s390x>();
    check_find_head<ksym::arch::i386>();
    check_find_head<be32>();
}

namespace {

template <class Arch>
void check_find_btf(bool layout_header) {
    constexpr std::uint64_t base = Arch::pointer_bytes == 8 ? 0xffffffff82000000ull : 0xc2000000ull;
    const auto blob = ksym_test::make_module_btf({.pointer_bytes = static_cast<std::uint32_t>(Arch::pointer_bytes),
                                                  .order = Arch::byte_order,
                                                  .layout_header = layout_header})
                          .bytes;
    std::vector<std::byte> mem(3 * 4096 + blob.size());
    std::uint64_t rng = 77;
    for (auto& b : mem) {
        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
        b = static_cast<std::byte>(rng);
    }
    // Decoys: the magic and version with a header the build never writes.
    auto header = [&](std::size_t at, std::uint32_t hdr, std::uint32_t type_off, std::uint32_t type_len, std::uint32_t str_off,
                      std::uint32_t str_len) {
        ksym::store<std::uint16_t>(mem.data() + at, ksym::btf_magic, Arch::byte_order);
        mem[at + 2] = std::byte{1};
        const std::uint32_t f[] = {hdr, type_off, type_len, str_off, str_len};
        for (std::size_t i = 0; i < 5; ++i) ksym::store<std::uint32_t>(mem.data() + at + 4 + 4 * i, f[i], Arch::byte_order);
    };
    header(0x100, 40, 0, 64, 64, 10);                 // header length
    header(0x200, 24, 4, 64, 68, 10);                 // types not first
    header(0x300, 24, 0, 64, 80, 10);                 // a gap before the strings
    header(0x400, 24, 0, 64, 64, 0);                  // no strings
    header(0x500, 24, 0, 0x4000000, 0x4000000, 64);   // larger than any vmlinux BTF
    header(0x602, 24, 0, 64, 64, 10);                 // not 4-byte aligned
    const std::size_t at = 4096 - 4;                  // across the scan's first chunk boundary
    std::copy(blob.begin(), blob.end(), mem.begin() + static_cast<std::ptrdiff_t>(at));
    ksym::buffer_reader r(mem, base);
    std::vector<std::byte> chunk(4096);
    const auto found = ksym::find_btf_in_memory<Arch>(r, base, mem.size(), chunk);
    REQUIRE(found.has_value());
    CHECK(found->address == base + at);
    CHECK(found->size == blob.size());
    // What it found opens as BTF and holds struct module.
    std::vector<std::byte> got(static_cast<std::size_t>(found->size));
    REQUIRE(r.read(found->address, got).ok());
    ksym::btf b;
    REQUIRE(b.open(got, Arch::byte_order, Arch::pointer_bytes).ok());
    CHECK(ksym::module_layout_from_btf(b).has_value());
    // Before it, nothing.
    CHECK(ksym::find_btf_in_memory<Arch>(r, base, at, chunk).error() == errc::not_found);
    // A chunk too small to scan with finds nothing, and reads nothing.
    counting_reader<ksym::buffer_reader> counted{&r};
    std::vector<std::byte> tiny(32);
    CHECK(ksym::find_btf_in_memory<Arch>(counted, base, mem.size(), tiny).error() == errc::not_found);
    CHECK(counted.calls == 0);
}

}  // namespace

TEST_CASE("find_btf_in_memory: the blob where it was planted, past decoys, across a chunk boundary") {
    check_find_btf<ksym::arch::x86_64>(false);
    check_find_btf<ksym::arch::s390x>(false);
    check_find_btf<ksym::arch::i386>(false);
    check_find_btf<be32>(false);
    // A 32-byte header: the layout section after the strings is part of the blob.
    check_find_btf<ksym::arch::x86_64>(true);
    check_find_btf<ksym::arch::s390x>(true);
}
