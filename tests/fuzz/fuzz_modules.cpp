// libFuzzer target: module symbols over arbitrary memory and layouts, with a
// differential check of every lookup against the walk of the tables.
//
// Input: a header choosing the target (word size, byte order), where the
// letters live and a whole module_layout, then memory served at a fixed base
// (tests/fuzz/modules_input.hpp). On it the target runs walk_modules,
// loaded_modules (open, for_each, find_by_name, find_by_address),
// module_symbols::load with room and without, and find_modules_head over
// the memory. Every call must return a value or a typed error (the
// sanitizers catch the rest), and no read may ask for more bytes than the
// buffer it fills (a reader in front of the memory traps if one does).
//
// The differential rules, for the modules whose tables loaded:
//   loaded_modules::for_each yields exactly each module's own for_each, in
//   list order;
//   every symbol it yields is found by find_by_name(module, name) as the
//   first symbol of that name in the first module of that name, and by
//   find_by_name("", name) as the first of that name overall;
//   find_by_address(a) at each yielded address, and at the header's probe,
//   gives what the yielded symbols imply: in the module whose memory holds a,
//   the highest symbol at or below a that is not absolute or undefined (the
//   first in table order among equals), or not_found when there is none or
//   no module holds a.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ksym/arch/targets.hpp"
#include "ksym/memory/buffer_reader.hpp"
#include "ksym/modules/discover.hpp"
#include "ksym/modules/loaded.hpp"
#include "ksym/modules/symbols.hpp"
#include "ksym/modules/walk.hpp"
#include "modules_input.hpp"

namespace {

[[noreturn]] void mismatch() { __builtin_trap(); }

// Caps on what the target lends, so that one input stays fast.
constexpr std::size_t max_storage = 1u << 20;
constexpr std::size_t max_infos = 64;
constexpr std::size_t max_checked = 64;  // symbols whose lookups are checked

// Serves the memory; traps on a read larger than the buffer the caller
// said it fills at this stage.
struct checked_reader {
    const ksym::buffer_reader* inner;
    std::size_t max_read = 0;
    ksym::status read(std::uint64_t addr, std::span<std::byte> out) const {
        if (out.size() > max_read) mismatch();
        return inner->read(addr, out);
    }
};

struct seen_symbol {
    std::size_t module = 0;  // index in modules()
    std::string name;
    std::uint64_t address = 0, size = 0;
    char type = 0;
    std::uint32_t index = 0;
    bool operator==(const seen_symbol&) const = default;
};

seen_symbol seen(std::size_t module, const ksym::symbol& s) {
    return {module, std::string(s.name), s.address, s.size, s.type, s.index};
}
bool same(const seen_symbol& a, const ksym::symbol& s) {
    return a.name == s.name && a.address == s.address && a.size == s.size && a.type == s.type && a.index == s.index;
}

template <class Arch>
void run(const ksym_fuzz::modules_input& in) {
    using table_t = ksym::module_symbols<checked_reader, Arch>;
    const ksym::module_layout& L = in.L;
    const std::uint64_t base = ksym_fuzz::modules_base(Arch::pointer_bytes);
    const ksym::buffer_reader mem(in.memory, base);
    checked_reader reader{&mem, L.module_size};
    std::vector<std::byte> work(L.module_size);
    const std::uint64_t head = base + in.head % (in.memory.size() + 64);
    reader.max_read = std::max<std::size_t>({L.module_size, 64, 2 * Arch::pointer_bytes});

    // The walk on its own, bounded.
    std::size_t walked = 0;
    (void)ksym::walk_modules<Arch>(reader, L, head, work, [&](const ksym::module_info&) { ++walked; }, 64);

    // The list head by a scan of the first page (as locate_modules_head does
    // after the BTF), whatever the list.
    {
        std::vector<std::byte> chunk(4096);
        checked_reader scan{&mem, std::max<std::size_t>(chunk.size(), reader.max_read)};
        const auto h = ksym::find_modules_head<Arch>(scan, L, base, std::min<std::uint64_t>(in.memory.size(), 4096), chunk, work);
        if (h && (*h < base || *h - base >= 4096)) mismatch();
    }

    std::vector<ksym::module_info> infos(max_infos);
    ksym::loaded_modules<checked_reader, Arch> mods;
    if (!mods.open(reader, L, head, {6, 12, 0}, infos, work)) return;
    const auto modules = mods.modules();

    // Each module's table on its own, with the storage it asks for (capped),
    // then with too little.
    std::uint64_t most = 0;
    for (const auto& m : modules) most = std::max(most, mods.table_storage(m));
    std::vector<std::byte> storage(static_cast<std::size_t>(std::min<std::uint64_t>(most, max_storage)));
    reader.max_read = std::max(reader.max_read, storage.size());
    std::vector<seen_symbol> own;
    std::size_t complete = 0;  // modules whose tables loaded and walked without error
    for (std::size_t i = 0; i < modules.size(); ++i) {
        table_t t;
        const ksym::status loaded = t.load(reader, L, modules[i], mods.letters(), storage);
        if (!loaded) break;
        if (t.size() != modules[i].num_symtab) mismatch();
        const ksym::status walked_table = t.for_each([&](const ksym::symbol& s) { own.push_back(seen(i, s)); });
        if (!walked_table) break;
        ++complete;
        std::vector<std::byte> half(storage.size() / 2);
        checked_reader small{&mem, half.size()};
        table_t u;
        (void)u.load(small, L, modules[i], mods.letters(), half);
    }

    // The whole list through loaded_modules: the same symbols, in the same order.
    std::vector<seen_symbol> all;
    std::vector<std::string> all_modules;
    const ksym::status each = mods.for_each(storage, [&](const ksym::symbol& s) {
        all.push_back(seen(0, s));
        all_modules.emplace_back(s.module);
    });
    if (each.ok() != (complete == modules.size())) mismatch();
    if (all.size() != own.size()) mismatch();
    for (std::size_t i = 0; i < all.size(); ++i) {
        all[i].module = own[i].module;
        if (!(all[i] == own[i]) || all_modules[i] != modules[own[i].module].name()) mismatch();
    }

    // Lookups by name, against the symbols of the complete modules.
    table_t t;
    std::size_t checked = 0;
    for (const seen_symbol& s : own) {
        if (s.module >= complete || ++checked > max_checked) break;
        const std::string_view module = modules[s.module].name();
        // The first module of that name; in it, the first symbol of that name.
        std::size_t first_module = 0;
        while (modules[first_module].name() != module) ++first_module;
        const seen_symbol* want = nullptr;
        for (const auto& o : own)
            if (o.module == first_module && o.name == s.name) {
                want = &o;
                break;
            }
        const auto in_module = mods.find_by_name(module, s.name, storage, t);
        if (!module.empty()) {  // an empty module name asks every module: checked below
            if (want ? !(in_module && same(*want, *in_module)) : in_module.error() != ksym::errc::not_found) mismatch();
        }
        const seen_symbol* first = nullptr;
        for (const auto& o : own)
            if (o.name == s.name) {
                first = &o;
                break;
            }
        const auto anywhere = mods.find_by_name("", s.name, storage, t);
        if (!anywhere || !same(*first, *anywhere) || anywhere->module != modules[first->module].name()) mismatch();
    }

    // Lookups by address, when every table loaded: the symbol the yielded ones imply.
    if (complete != modules.size()) return;
    std::vector<std::uint64_t> probes{base + in.probe % (in.memory.size() + 64)};
    for (const auto& s : own) {
        if (probes.size() > 2 * max_checked) break;
        probes.push_back(s.address);
        probes.push_back(s.address + 1);
    }
    for (const std::uint64_t a : probes) {
        const ksym::module_info* m = mods.module_at(a);
        const seen_symbol* want = nullptr;
        if (m) {
            const auto mi = static_cast<std::size_t>(m - modules.data());
            for (const auto& o : own) {
                if (o.module != mi || o.address > a) continue;
                if (o.type == 'a' || o.type == 'A' || o.type == 'u' || o.type == 'U') continue;
                if (!want || o.address > want->address) want = &o;
            }
        }
        const auto got = mods.find_by_address(a, storage, t);
        if (!want) {
            if (got || got.error() != ksym::errc::not_found) mismatch();
            continue;
        }
        if (!got || !same(*want, got->sym) || got->offset != a - want->address) mismatch();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto in = ksym_fuzz::parse_modules_input(std::span(reinterpret_cast<const std::byte*>(data), size));
    if (!in) return 0;
    switch (in->arch) {
    case 0: run<ksym::arch::x86_64>(*in); break;
    case 1: run<ksym::arch::s390x>(*in); break;
    case 2: run<ksym::arch::i386>(*in); break;
    default: run<ksym::arch::generic<4, std::endian::big>>(*in); break;
    }
    return 0;
}
