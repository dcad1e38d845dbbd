// Every reader, the batch reader and the translator run without touching the heap.
#include <doctest/doctest.h>

#include <array>
#include <vector>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <span>
#include <string>
#include <unistd.h>
#include <new>

#include "alloc_counter.hpp"
#include "ksym.hpp"
#include "module_btf.hpp"

using ksym_test::alloc_scope;

TEST_CASE("the counter sees allocations") {
    // Guard against a counter that cannot fail: a real allocation must register.
    // (A new-expression may be elided; a direct call to operator new may not.)
    alloc_scope scope;
    void* p = ::operator new(16);
    const std::size_t one = scope.count();
    ::operator delete(p);
    void* q = ::operator new[](64, std::nothrow);
    const std::size_t two = scope.count();
    ::operator delete[](q);
    CHECK(one == 1);
    CHECK(two == 2);
}

namespace {
std::array<std::byte, 4096> make_memory() {
    std::array<std::byte, 4096> m{};
    for (std::size_t i = 0; i < m.size(); ++i) m[i] = static_cast<std::byte>(i * 7 + 1);
    m[1000] = std::byte{0};
    return m;
}
bool cb(void* ctx, std::uint64_t addr, std::byte* out, std::size_t len, std::uint64_t*) {
    const auto* m = static_cast<const std::array<std::byte, 4096>*>(ctx);
    if (addr + len > m->size()) return false;
    for (std::size_t i = 0; i < len; ++i) out[i] = (*m)[addr + i];
    return true;
}
}  // namespace

TEST_CASE("readers and batch reads allocate nothing") {
    const auto mem = make_memory();
    // Set up the file outside the measured region: paths and files are the caller's business.
    char tmpl[] = "/tmp/ksym-noalloc-XXXXXX";
    const int fd = ::mkstemp(tmpl);
    REQUIRE(fd >= 0);
    REQUIRE(::write(fd, mem.data(), mem.size()) == static_cast<ssize_t>(mem.size()));

    std::size_t allocs = 0;
    bool all_ok = true;
    {
        alloc_scope scope;
        ksym::buffer_reader br(mem, 0x1000);
        ksym::file_reader fr(fd, 0x2000, 0, mem.size());
        ksym::callback_reader cr(&cb, const_cast<std::array<std::byte, 4096>*>(&mem));
        ksym::segment_map<16> map;
        all_ok &= map.add(0x1000, 0x1000, br).ok();
        all_ok &= map.add(0x1800, 0x1000, fr, 0x2000).ok();
        all_ok &= map.add(0x8000, 0x1000, cr, 0).ok();
        std::array<std::byte, 64> out{};
        all_ok &= br.read(0x1010, out).ok();
        all_ok &= fr.read(0x2010, out).ok();
        all_ok &= cr.read(0x10, out).ok();
        all_ok &= map.read(0x17f0, out).ok();
        all_ok &= !map.read(0x2800, out).ok();

        ksym::batch_reader<ksym::segment_map<16>, ksym::arch::x86_64> batch(map);
        std::array<std::uint32_t, 32> u32{};
        all_ok &= batch.read_array(0x1000, std::span(u32)).ok();
        std::array<std::uint64_t, 8> window{};
        std::uint64_t sum = 0;
        all_ok &= batch
                      .for_each_window(0x8000, 300, std::span(window),
                                       [&](std::uint64_t, std::span<const std::uint64_t> c) {
                                           for (auto v : c) sum += v;
                                           return ksym::status{};
                                       })
                      .ok();
        std::array<char, 1024> str{};
        all_ok &= batch.read_string(0x1000 + 990, str).has_value();
        all_ok &= sum != 0;

        ksym::batch_reader<ksym::buffer_reader, ksym::arch::s390x> be(br);
        all_ok &= be.read_array(0x1000, std::span(u32)).ok();
        allocs = scope.count();
    }
    ::close(fd);
    std::remove(tmpl);
    CHECK(all_ok);
    CHECK(allocs == 0);
}

TEST_CASE("the translator allocates nothing") {
    alloc_scope scope;
    unsigned mix = 0;
    for (int v = 0; v < 256; ++v) {
        const auto a = ksym::from_nm_type(static_cast<char>(v));
        mix += static_cast<unsigned>(ksym::to_nm_type(a));
        const auto e = ksym::from_st_info(static_cast<std::uint8_t>(v));
        if (auto b = ksym::to_st_info(e.binding, e.kind)) mix += *b;
        mix += static_cast<unsigned>(ksym::module_symbol_type(ksym::module_type_era::typetab, {0, 0, 'T'}));
    }
    const std::size_t allocs = scope.count();
    CHECK(mix != 0);
    CHECK(allocs == 0);
}

#include "ksym/kallsyms/encoder.hpp"
#include "ksym/kallsyms/index.hpp"
#include "ksym/kallsyms/resolve.hpp"
#include "ksym/kallsyms/table.hpp"
#include "synthetic.hpp"

namespace {
// Static, as a small-stack user would keep it: the table is not on the stack.
ksym::kallsyms_table<ksym::buffer_reader, ksym::arch::x86_64> no_alloc_table;
}  // namespace

TEST_CASE("the kallsyms pipeline allocates nothing: resolve, open, iterate, index, find by name and address") {
    for (auto enc : {ksym::address_encoding::absolute, ksym::address_encoding::base_relative,
                     ksym::address_encoding::absolute_percpu, ksym::address_encoding::place_relative}) {
      for (bool vmcoreinfo_style : {false, true}) {
        CAPTURE(static_cast<int>(enc));
        CAPTURE(vmcoreinfo_style);
        ksym_test::synth_options so;
        so.count = 3000;
        so.percpu = enc == ksym::address_encoding::absolute_percpu ? 20 : 0;
        so.long_names = 3;
        ksym::encoder_options eo;
        eo.encoding = enc;
        eo.base = 0xffffffff82000000ull;
        auto t = ksym::encode_kallsyms(ksym_test::make_symbols(so), eo);  // the encoder may allocate
        REQUIRE(t);
        ksym::kallsyms_layout layout = t->layout;
        if (vmcoreinfo_style) {
            layout.markers.reset();  // derived markers, linear name search
            layout.seqs_of_names.reset();
        }
        const std::string probe_name = t->symbols[1234].name;
        const std::uint64_t probe_addr = t->symbols[2345].address + 1;

        bool ok = true;
        std::size_t seen = 0;
        std::size_t allocs = 0;
        std::vector<std::uint64_t> index_storage(2 * 3000 + 8192);  // the caller's; sized before counting
        {
            alloc_scope scope;
            ksym::buffer_reader mem(t->blob, t->base);
            auto fmt = ksym::resolve_format<ksym::arch::x86_64>(mem, layout);
            ok &= fmt.has_value();
            auto& table = no_alloc_table;
            if (fmt && table.open(mem, *fmt).ok()) {
                ksym::name_buffer buf;
                ok &= table.for_each(buf, [&](const ksym::symbol&) { ++seen; }).ok();
                ok &= table.at(2999, buf).has_value();
                ok &= table.find_by_name(probe_name, buf).has_value();
                ok &= table.find_by_name_linear(probe_name, buf).has_value();
                ok &= table.find_by_address(probe_addr, buf).has_value();
                ok &= !table.find_by_name("missing", buf).has_value();
                // The same lookups through an index (hash of names, addresses in memory).
                ksym::kallsyms_index<ksym::buffer_reader, ksym::arch::x86_64> index;
                ok &= index.words_for(table) <= index_storage.size();
                ok &= index.build(table, index_storage).ok();
                ok &= index.at(2999, buf).has_value();
                ok &= index.find_by_name(probe_name, buf).has_value();
                ok &= index.find_by_address(probe_addr, buf).has_value();
                ok &= !index.find_by_name("missing", buf).has_value();
            } else {
                ok = false;
            }
            allocs = scope.count();
        }
        CHECK(ok);
        CHECK(seen == 3000);
        CHECK(allocs == 0);
      }
    }
}

namespace {
// A reader that cannot lend: the decoder copies through its window.
struct copying_reader {
    ksym::buffer_reader inner;
    ksym::status read(std::uint64_t addr, std::span<std::byte> out) const { return inner.read(addr, out); }
};
}  // namespace

TEST_CASE("the bulk decode allocates nothing: names_bytes, decode_all, decode_range, lending or not") {
    ksym_test::synth_options so;
    so.count = 3000;
    so.long_names = 3;
    ksym::encoder_options eo;
    eo.encoding = ksym::address_encoding::place_relative;
    eo.base = 0xffffffff82000000ull;
    auto t = ksym::encode_kallsyms(ksym_test::make_symbols(so), eo);  // the encoder may allocate
    REQUIRE(t);
    // The caller's output, sized before counting.
    std::vector<char> names(3000 * ksym::name_buffer_size), types(3000);
    std::vector<std::uint64_t> addrs(3000);
    static ksym::kallsyms_table<ksym::segment_map<4>, ksym::arch::x86_64> lent_table;
    static ksym::kallsyms_table<copying_reader, ksym::arch::x86_64> copied_table;
    bool ok = true;
    std::size_t allocs = 0;
    {
        alloc_scope scope;
        ksym::buffer_reader mem(t->blob, t->base);
        // Through a segment map (the reader stack a dump user has), which
        // lends its memory; then through a reader that only copies.
        ksym::segment_map<4> map;
        ok &= map.add(t->base, t->blob.size(), mem).ok();
        copying_reader copier{mem};
        auto fmt = ksym::resolve_format<ksym::arch::x86_64>(map, t->layout);
        ok &= fmt.has_value();
        const auto bulk = [&](auto& table, auto& reader) {
            if (!fmt || !table.open(reader, *fmt).ok()) return false;
            auto need = table.names_bytes();
            auto got = table.decode_all(names, addrs, types);
            return need.has_value() && *need <= names.size() && got.has_value() && *got == *need &&
                   table.decode_range(100, 2900, names, addrs).has_value() &&
                   table.decode_all(std::span(names).first(10), addrs).error() == ksym::errc::capacity;
        };
        ok &= bulk(lent_table, map);
        ok &= bulk(copied_table, copier);
        allocs = scope.count();
    }
    CHECK(ok);
    CHECK(allocs == 0);
}

TEST_CASE("BTF open, queries and module layouts allocate nothing") {
    // Blobs are made (synthetic) or read (the running kernel's) outside the measured region.
    std::vector<std::vector<std::byte>> blobs;
    blobs.push_back(ksym_test::make_module_btf({.layout_header = true, .unknown_kind = true, .anonymous = true, .seed = 4}).bytes);
    blobs.push_back(ksym_test::make_module_btf({.era = ksym::module_layout_era::core_layout, .seed = 5}).bytes);
    blobs.push_back(ksym_test::make_module_btf({.era = ksym::module_layout_era::module_core, .seed = 6}).bytes);
    if (std::ifstream in("/sys/kernel/btf/vmlinux", std::ios::binary); in) {
        const std::vector<char> raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        blobs.emplace_back(reinterpret_cast<const std::byte*>(raw.data()), reinterpret_cast<const std::byte*>(raw.data()) + raw.size());
    }
    std::vector<std::uint32_t> storage(1u << 20);
    for (const auto& blob : blobs) {
        bool ok = true;
        std::size_t allocs = 0;
        {
            alloc_scope scope;
            ksym::btf b;
            ok &= b.open_any_order(blob, sizeof(void*)).ok();  // synthetic blobs are 8-byte; so are hosts that run this
            const auto plain = ksym::module_layout_from_btf(b);
            ok &= plain.has_value();
            ok &= ksym::find_struct(b, "list_head").has_value();
            ok &= ksym::find_enum_value(b, "MODULE_STATE_UNFORMED").has_value();
            ok &= b.build_index(storage).ok();
            ksym::module_layout L;
            ok &= ksym::read_module_layout(b, L).ok();
            ok &= plain && L == *plain;
            allocs = scope.count();
        }
        CHECK(ok);
        CHECK(allocs == 0);
    }
}

#include "ksym/modules/discover.hpp"
#include "ksym/modules/loaded.hpp"
#include "module_image.hpp"

TEST_CASE("module symbols allocate nothing: walk, load, iterate, find by name and address, find the list head") {
    using ksym::arch::x86_64;
    using reader_t = ksym_test::image_reader;
    // The image, the storage and the expected answers are made before counting.
    ksym_test::image_spec sp;
    sp.L = ksym_test::hand_layout(ksym::module_layout_era::mem_array, 8, true, false, false, ksym::kernel_symbol_form::prel32);
    sp.data_base = ksym_test::data_base_for(8);
    sp.mods_base = ksym_test::mods_base_for(8);
    sp.modules = ksym_test::sample_modules(sp.L.states);
    const ksym_test::module_image img(sp);
    const auto& L = sp.L;
    reader_t mem(img);
    std::vector<std::byte> work(L.module_size), chunk(4096), storage(1 << 16);
    std::vector<ksym::module_info> infos(16);
    const auto probe = img.symbols.at(3);
    static ksym::loaded_modules<reader_t, x86_64> mods;  // static, as a small-stack user keeps it

    bool ok = true;
    std::size_t walked = 0, symbols = 0, allocs = 0;
    {
        ksym_test::alloc_scope scope;
        ok &= ksym::walk_modules<x86_64>(mem, L, img.head, work, [&](const ksym::module_info&) { ++walked; }).ok();
        ok &= mods.open(mem, L, img.head, {6, 12, 0}, infos, work).ok();
        ok &= mods.for_each(storage, [&](const ksym::symbol&) { ++symbols; }).ok();
        ksym::module_symbols<reader_t, x86_64> t;
        for (const auto& m : mods.modules()) {
            ok &= mods.table_storage(m) <= storage.size();
            ok &= mods.table(m, storage, t).ok();
            ok &= t.for_each([](const ksym::symbol&) {}).ok();
        }
        const auto by_name = mods.find_by_name(probe.module, probe.name, storage, t);
        ok &= by_name && by_name->address == probe.address;
        ok &= mods.find_by_name("", probe.name, storage, t).has_value();
        ok &= !mods.find_by_name("", "no_such_symbol", storage, t).has_value();
        const auto by_address = mods.find_by_address(probe.address + 1, storage, t);
        ok &= by_address && by_address->sym.name == probe.name;
        ok &= !mods.find_by_address(img.data_base, storage, t).has_value();
        const auto head = ksym::find_modules_head<x86_64>(mem, L, img.data_base, img.data.size(), chunk, work);
        ok &= head && *head == img.head;
        allocs = scope.count();
    }
    CHECK(ok);
    CHECK(walked == img.modules.size());
    CHECK(symbols == img.symbols.size());
    CHECK(allocs == 0);
}

TEST_CASE("the map-free scan and a raw image's placement allocate nothing") {
    // A table in noise, with self-pointers (words holding base + their own
    // offset) after it: the scan, then placement by self-pointers.
    ksym_test::synth_options so;
    so.count = 3000;
    so.start = 0xffff800080010000ull;
    ksym::encoder_options eo;
    eo.encoding = ksym::address_encoding::place_relative;
    const std::uint64_t base = 0xffff800080000000ull, at = 0x4000;
    eo.base = base + at;
    auto t = ksym::encode_kallsyms(ksym_test::make_symbols(so), eo);  // the encoder may allocate
    REQUIRE(t);
    std::vector<std::byte> image(at + t->blob.size() + 0x4000);
    for (std::size_t i = 0; i < image.size(); ++i) image[i] = static_cast<std::byte>((i * 131) >> 5);
    std::copy(t->blob.begin(), t->blob.end(), image.begin() + static_cast<std::ptrdiff_t>(at));
    for (std::uint64_t off = at + t->blob.size() + 64; off + 8 <= image.size(); off += 256)
        ksym::store<std::uint64_t>(image.data() + off, base + off, std::endian::little);
    static ksym::kallsyms_table<ksym::buffer_reader, ksym::arch::arm64> workspace;
    std::uint64_t placed = 0;
    std::uint32_t count = 0;
    std::size_t allocs = 0;
    {
        alloc_scope scope;
        auto sc = ksym::scan_kallsyms(image);
        if (sc) {
            count = sc->count;
            auto a = ksym::recover_load_address<ksym::arch::arm64>(image, *sc, ksym::r_aarch64_relative, workspace);
            if (a) placed = a->base;
        }
        allocs = scope.count();
    }
    CHECK(count == 3000);
    CHECK(placed == base);
    CHECK(allocs == 0);
}

TEST_CASE("/proc/kallsyms: parse, index in one pass or two, iterate and look up allocate nothing") {
    // A listing with modules out of address order, so the sort and merge run too.
    std::string text;
    for (unsigned i = 0; i < 3000; ++i) {
        char line[80];
        std::snprintf(line, sizeof line, "%016llx %c sym_%u\n", 0xffffffff81000000ull + 16ull * i, i % 3 ? 't' : 'T', i);
        text += line;
    }
    for (unsigned i = 0; i < 500; ++i) {
        char line[80];
        std::snprintf(line, sizeof line, "%016llx t msym_%u\t[mod%u]\n", 0xffffffffc0100000ull - 32ull * i, i, i % 7);
        text += line;
    }
    std::vector<std::uint64_t> storage(ksym::proc_kallsyms::storage_words(text));
    std::vector<std::uint64_t> storage2(storage.size());
    ksym::proc_kallsyms one, two;
    bool ok = true;
    std::size_t lines = 0, found = 0;
    {
        alloc_scope scope;
        ok &= one.open(text, storage).ok();
        ok &= two.open(text).ok() && two.build(storage2).ok();
        one.for_each([&](const ksym::kallsyms_line&) { ++lines; });
        for (unsigned i = 0; i < 3000; i += 7) {
            char name[32];
            std::snprintf(name, sizeof name, "sym_%u", i);
            found += bool(one.find_by_name(name)) && bool(two.find_by_address(0xffffffff81000000ull + 16ull * i + 3));
        }
        found += bool(one.find_by_name("mod3:msym_3"));
        ok &= one.for_each_named("msym_4", [&](const ksym::symbol&) { ++found; }).ok();
        CHECK(scope.count() == 0);
    }
    CHECK(ok);
    CHECK(lines == 3500);
    CHECK(found == 3000 / 7 + 1 + 1 + 1);
}
