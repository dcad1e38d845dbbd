#pragma once
// Synthetic kernel memory around a `modules` list: a data segment holding the
// list head, and a module segment holding each struct module (laid out by a
// module_layout, the bytes it does not describe filled with junk), its memory
// ranges, its symbol tables (Elf_Sym array, strings, type letters) and its
// exported symbols (struct kernel_symbol, PREL32 or absolute), for any word
// size and byte order.
//
// The lines /proc/kallsyms would print are computed here from the spec, by
// the kernel's rules (shared/research/modules-btf.md section 2), never by
// the library under test: the module's table in list order, UNFORMED modules
// skipped, a COMING module's init table; unnamed entries skipped; the letter
// from its era's place, upper case when mod->syms holds the name with the
// same value and lower case otherwise; the size from st_size except in the
// st_size era, where the letter overwrote it.

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ksym/core/endian.hpp"
#include "ksym/memory/buffer_reader.hpp"
#include "ksym/memory/segment_map.hpp"
#include "ksym/modules/layout.hpp"
#include "ksym/modules/symbols.hpp"
#include "ksym/modules/walk.hpp"

namespace ksym_test {

/// Where a symbol's value lies in its module.
enum class area : std::uint8_t { text, rodata, data, init_text, init_data, absolute, undefined };
/// Whether and how mod->syms (or mod->gpl_syms) names a symbol.
enum class exported : std::uint8_t {
    no,
    yes,          ///< in mod->syms with the symbol's value: upper case
    other_value,  ///< in mod->syms by name with another value: lower case
    gpl,          ///< in mod->gpl_syms where the layout keeps it apart (lower case), else in mod->syms
};

struct sym_spec {
    std::string name{};  ///< "" gives st_name 0: an unnamed entry
    area where = area::text;
    std::uint64_t offset = 0;  ///< from the area's start; the value itself for `absolute`
    char letter = 't';         ///< as the kernel stores it (elf_type: lower case but 'U')
    std::uint64_t size = 0;
    exported exp = exported::no;
};

struct module_spec {
    std::string name{};
    std::int64_t state = 0;       ///< as the layout's enum module_state says
    std::vector<sym_spec> core{};   ///< the core table, after its null entry 0
    std::vector<sym_spec> init{};   ///< nonempty: mod->kallsyms points at this init table (COMING)
    std::vector<std::string> export_only{};  ///< exports with no symbol in the table
    bool null_kallsyms = false;   ///< mod->kallsyms still NULL (UNFORMED, before add_kallsyms)
    bool init_memory = false;     ///< init ranges nonempty
};

struct image_spec {
    ksym::module_layout L;
    std::endian order = std::endian::little;
    ksym::module_letters letters = ksym::module_letters::typetab;
    std::uint64_t data_base = 0;  ///< the kernel's data, where the list head lives
    std::uint64_t mods_base = 0;  ///< module memory: one region of 16 areas a module
    /// Bytes of each of a module's text, rodata, data, init_text and
    /// init_data; struct module takes the first area, the tables the last ten.
    std::uint64_t area = 0x1000;
    std::uint32_t head_offset = 0x100;
    std::vector<module_spec> modules;  ///< in list order
    std::uint64_t seed = 1;            ///< junk in the bytes no field describes
};

struct expected_symbol {
    std::string module, name;
    std::uint64_t address = 0, size = 0;
    char type = '?';
    std::uint32_t index = 0;
    friend bool operator==(const expected_symbol&, const expected_symbol&) = default;
};

struct expected_module {
    std::string name{};
    std::int64_t state = 0;
    std::uint64_t address = 0;
    std::vector<ksym::module_range> ranges;
    bool init_table = false;
    std::uint64_t symtab = 0, strtab = 0, typetab = 0;
    std::uint32_t num_symtab = 0;
    std::uint64_t syms = 0;
    std::uint32_t num_syms = 0;
};

inline constexpr std::uint32_t data_bytes = 0x1000;     ///< the data segment

/// Kernel-like addresses for a word size.
inline std::uint64_t data_base_for(std::size_t word) { return word == 8 ? 0xffffffff82a00000ull : 0xc1a00000ull; }
inline std::uint64_t mods_base_for(std::size_t word) { return word == 8 ? 0xffffffffc0000000ull : 0xf8000000ull; }

/// The image and what a reader of it must find.
class module_image {
public:
    std::vector<std::byte> data, mods;
    std::uint64_t data_base = 0, mods_base = 0, head = 0;
    std::vector<std::uint64_t> module_address;  ///< struct module of every spec module, list order
    std::vector<expected_module> modules;       ///< those a walk visits (not UNFORMED), list order
    std::vector<expected_symbol> symbols;       ///< /proc/kallsyms' module lines, in its order
    /// For spec module k: where its tables went (hostile tests poke them).
    struct placed {
        std::uint64_t symtab = 0, strtab = 0, typetab = 0, syms = 0, export_strings = 0, kallsyms_struct = 0;
        std::uint64_t export_strings_end = 0;  ///< one past the last export name's NUL
        std::uint32_t num_symtab = 0, strtab_bytes = 0;
    };
    std::vector<placed> tables;

    explicit module_image(const image_spec& sp) : spec_(sp) { build(); }

    [[nodiscard]] std::size_t word() const noexcept { return spec_.L.pointer_bytes; }
    [[nodiscard]] const image_spec& spec() const noexcept { return spec_; }

    /// Writes `w` bytes of `v` at target address `addr` (in either segment).
    void write(std::uint64_t addr, std::uint64_t v, std::size_t w) { ksym::store_n(at(addr, w), v, w, spec_.order); }
    [[nodiscard]] std::uint64_t read(std::uint64_t addr, std::size_t w) { return ksym::load_n(at(addr, w), w, spec_.order); }
    void write_bytes(std::uint64_t addr, std::string_view s) {
        std::byte* p = at(addr, s.size());
        for (char c : s) *p++ = static_cast<std::byte>(c);
    }
    /// The address of field `off` of spec module k's struct module.
    [[nodiscard]] std::uint64_t field(std::size_t k, std::uint64_t off) const { return module_address.at(k) + off; }

    /// The data segment then the module segment as one buffer, when the
    /// module segment starts right after the data (mods_base == data_base + data_bytes).
    [[nodiscard]] std::vector<std::byte> flat() const {
        std::vector<std::byte> out(data);
        out.insert(out.end(), mods.begin(), mods.end());
        return out;
    }

    /// The symbol the kernel's lookup would give for `addr` (the module
    /// whose memory holds it; there the highest named defined symbol at or
    /// below it, the first in table order among equals), skipping what
    /// module_symbols::find_by_address skips (absolute symbols).
    [[nodiscard]] std::optional<expected_symbol> at_address(std::uint64_t addr) const {
        const expected_module* m = nullptr;
        for (const auto& em : modules)
            if (std::any_of(em.ranges.begin(), em.ranges.end(), [&](const ksym::module_range& r) { return r.contains(addr); })) {
                m = &em;
                break;
            }
        if (m == nullptr) return std::nullopt;
        std::optional<expected_symbol> best;
        for (const auto& s : symbols) {
            if (s.module != m->name || s.address > addr) continue;
            const char t = s.type;
            if (t == 'a' || t == 'A' || t == 'u' || t == 'U') continue;
            if (!best || s.address > best->address) best = s;
        }
        return best;
    }
    /// The first symbol of that name (in `module`, or anywhere when empty).
    [[nodiscard]] std::optional<expected_symbol> by_name(std::string_view module, std::string_view name) const {
        for (const auto& s : symbols)
            if (s.name == name && (module.empty() || s.module == module)) return s;
        return std::nullopt;
    }

private:
    std::byte* at(std::uint64_t addr, std::size_t w) {
        for (auto [base, seg] : {std::pair{data_base, &data}, std::pair{mods_base, &mods}})
            if (addr >= base && addr - base <= seg->size() && w <= seg->size() - (addr - base))
                return seg->data() + (addr - base);
        __builtin_trap();  // a test wrote outside its own image
    }

    struct area_bases {
        std::uint64_t text, rodata, data, init_text, init_data;
    };
    struct export_entry {
        std::string name;
        std::uint64_t value;
    };

    std::uint64_t value_of(const sym_spec& s, const area_bases& a) const {
        switch (s.where) {
        case area::text: return a.text + s.offset;
        case area::rodata: return a.rodata + s.offset;
        case area::data: return a.data + s.offset;
        case area::init_text: return a.init_text + s.offset;
        case area::init_data: return a.init_data + s.offset;
        case area::absolute: return s.offset;
        case area::undefined: return 0;
        }
        return 0;
    }

    // A bump allocator over a module's tables area.
    struct bump {
        std::uint64_t next, end;
        std::uint64_t take(std::uint64_t n, std::uint64_t align) {
            next = (next + align - 1) / align * align;
            const std::uint64_t a = next;
            next += n;
            if (next > end) __builtin_trap();
            return a;
        }
    };

    // One symbol table: Elf_Sym array, strings, letters. Returns where.
    placed write_table(const std::vector<sym_spec>& syms, const area_bases& a, bump& b) {
        const auto& L = spec_.L;
        const auto& e = L.elf_sym;
        const std::size_t w = word();
        placed p;
        p.num_symtab = static_cast<std::uint32_t>(syms.size() + 1);
        std::string strtab(1, '\0');
        std::vector<std::uint32_t> name_off;
        for (const auto& s : syms) {
            if (s.name.empty()) {
                name_off.push_back(0);
                continue;
            }
            name_off.push_back(static_cast<std::uint32_t>(strtab.size()));
            strtab += s.name;
            strtab.push_back('\0');
        }
        p.strtab_bytes = static_cast<std::uint32_t>(strtab.size());
        p.symtab = b.take(std::uint64_t{p.num_symtab} * e.size, w);
        p.strtab = b.take(strtab.size(), 1);
        b.take(16, 1);  // junk after the strings: a test may unmap it
        if (spec_.letters == ksym::module_letters::typetab) p.typetab = b.take(p.num_symtab, 1);
        write_bytes(p.strtab, strtab);
        for (std::uint32_t i = 0; i < p.num_symtab; ++i) {
            const std::uint64_t at = p.symtab + std::uint64_t{i} * e.size;
            for (std::uint32_t k = 0; k < e.size; ++k) write(at + k, 0, 1);
            char letter = 'U';
            if (i > 0) {
                const sym_spec& s = syms[i - 1];
                letter = s.letter;
                const bool undef = s.where == area::undefined;
                const std::uint8_t real_info = letter == 'd' || letter == 'b' || letter == 'r' ? 0x11 : 0x12;
                write(at + e.st_name, name_off[i - 1], 4);
                write(at + e.st_value, value_of(s, a), w);
                write(at + e.st_shndx, undef ? 0 : s.where == area::absolute ? 0xfff1 : 2, 2);
                write(at + e.st_info, spec_.letters == ksym::module_letters::st_info ? static_cast<std::uint8_t>(letter) : real_info, 1);
                write(at + e.st_size, spec_.letters == ksym::module_letters::st_size ? static_cast<std::uint8_t>(letter) : s.size, w);
            } else if (spec_.letters == ksym::module_letters::st_size) {
                write(at + e.st_size, 'U', w);
            } else if (spec_.letters == ksym::module_letters::st_info) {
                write(at + e.st_info, 'U', 1);
            }
            if (p.typetab) write(p.typetab + i, static_cast<std::uint8_t>(letter), 1);
        }
        return p;
    }

    // A kernel_symbol array of `list` (sorted by name) at b; names go to `strings`.
    std::uint64_t write_exports(std::vector<export_entry> list, bump& b, std::uint64_t& strings_at) {
        const auto& k = spec_.L.kernel_symbol;
        const std::size_t w = word();
        std::sort(list.begin(), list.end(), [](const export_entry& x, const export_entry& y) { return x.name < y.name; });
        const std::uint64_t arr = b.take(list.size() * k.size, w);
        for (std::size_t i = 0; i < list.size(); ++i) {
            const std::uint64_t name_at = b.take(list[i].name.size() + 1, 1);
            if (i == 0) strings_at = name_at;
            write_bytes(name_at, list[i].name);
            write(name_at + list[i].name.size(), 0, 1);
            const std::uint64_t el = arr + i * k.size;
            for (std::uint32_t j = 0; j < k.size; ++j) write(el + j, 0, 1);
            if (k.form == ksym::kernel_symbol_form::prel32) {
                write(el + k.value, static_cast<std::uint32_t>(list[i].value - (el + k.value)), 4);
                write(el + k.name, static_cast<std::uint32_t>(name_at - (el + k.name)), 4);
            } else {
                write(el + k.value, list[i].value, w);
                write(el + k.name, name_at, w);
            }
        }
        return arr;
    }

    void build() {
        const auto& L = spec_.L;
        const std::size_t w = word();
        const auto wmask = w == 8 ? ~std::uint64_t{0} : 0xffffffffull;
        data_base = spec_.data_base;
        mods_base = spec_.mods_base;
        data.assign(data_bytes, std::byte{0});
        const std::uint64_t area_bytes = spec_.area, region_bytes = 16 * spec_.area;
        mods.assign(spec_.modules.size() * region_bytes, std::byte{0});
        std::uint64_t rng = spec_.seed * 0x9e3779b97f4a7c15ull + 1;
        auto junk = [&]() {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            return rng;
        };
        for (auto& b : mods) b = static_cast<std::byte>(junk());
        head = data_base + spec_.head_offset;
        const std::size_t n = spec_.modules.size();
        auto list_of = [&](std::size_t k) { return k == n ? head : mods_base + k * region_bytes + L.list; };
        // The head: next is the first module, prev the last.
        write(head + L.list_head.next, list_of(n == 0 ? n : 0), w);
        write(head + L.list_head.prev, list_of(n == 0 ? n : n - 1), w);

        for (std::size_t k = 0; k < n; ++k) {
            const module_spec& ms = spec_.modules[k];
            const std::uint64_t mod = mods_base + k * region_bytes;
            module_address.push_back(mod);
            const area_bases a{mod + 1 * area_bytes, mod + 2 * area_bytes, mod + 3 * area_bytes, mod + 4 * area_bytes,
                               mod + 5 * area_bytes};
            bump b{mod + 6 * area_bytes, mod + region_bytes};
            // struct module: links, state, name.
            write(mod + L.list + L.list_head.next, list_of(k + 1 == n ? n : k + 1), w);
            write(mod + L.list + L.list_head.prev, list_of(k == 0 ? n : k - 1), w);
            write(mod + L.state, static_cast<std::uint32_t>(ms.state), 4);
            for (std::uint32_t i = 0; i < L.name_len; ++i) write(mod + L.name + i, 0, 1);
            write_bytes(mod + L.name, ms.name.substr(0, L.name_len - 1));

            // Memory ranges, as the era describes them.
            expected_module em;
            em.name = ms.name;
            em.state = ms.state;
            em.address = mod;
            const std::uint64_t init_size = ms.init_memory ? area_bytes : 0;
            if (L.era == ksym::module_layout_era::mem_array) {
                const auto& t = L.mem.types;
                std::vector<ksym::module_range> by_index(L.mem.count);
                auto set = [&](std::int64_t type, std::uint64_t base, std::uint64_t size) {
                    by_index.at(static_cast<std::size_t>(type)) = {base, size};
                };
                set(t.text, a.text, area_bytes);
                set(t.rodata, a.rodata, area_bytes);
                set(t.data, a.data, area_bytes);
                set(t.ro_after_init, junk() & wmask, 0);  // empty: its base is never looked at
                set(t.init_text, ms.init_memory ? a.init_text : 0, init_size);
                set(t.init_data, ms.init_memory ? a.init_data : 0, init_size);
                set(t.init_rodata, 0, 0);
                for (std::uint32_t i = 0; i < L.mem.count; ++i) {
                    const std::uint64_t e = mod + L.mem.offset + std::uint64_t{i} * L.mem.stride;
                    write(e + L.mem.base, by_index[i].base, w);
                    write(e + L.mem.size, by_index[i].size, 4);
                    if (by_index[i].size != 0) em.ranges.push_back(by_index[i]);
                }
            } else {
                const bool apart = L.data.has_value();
                const ksym::module_range core{a.text, apart ? 2 * area_bytes : 3 * area_bytes};
                const ksym::module_range init{ms.init_memory ? a.init_text : 0, 2 * init_size};
                write(mod + L.core.base, core.base, w);
                write(mod + L.core.size, core.size, 4);
                write(mod + L.init.base, init.base, w);
                write(mod + L.init.size, init.size, 4);
                em.ranges.push_back(core);
                if (init.size != 0) em.ranges.push_back(init);
                if (apart) {
                    write(mod + L.data->base, a.data, w);
                    write(mod + L.data->size, area_bytes, 4);
                    em.ranges.push_back({a.data, area_bytes});
                }
            }

            // Exports: mod->syms (and mod->gpl_syms where apart).
            std::vector<export_entry> syms_list, gpl_list;
            const bool gpl_apart = L.gpl_syms.has_value();
            for (const auto* table : {&ms.core, &ms.init})
                for (const auto& s : *table) {
                    const std::uint64_t v = value_of(s, a);
                    const bool seen = std::any_of(syms_list.begin(), syms_list.end(), [&](const export_entry& x) { return x.name == s.name; }) ||
                                      std::any_of(gpl_list.begin(), gpl_list.end(), [&](const export_entry& x) { return x.name == s.name; });
                    if (seen || s.name.empty()) continue;
                    if (s.exp == exported::yes) syms_list.push_back({s.name, v});
                    if (s.exp == exported::other_value) syms_list.push_back({s.name, v + 0x10});
                    if (s.exp == exported::gpl) (gpl_apart ? gpl_list : syms_list).push_back({s.name, v});
                }
            for (std::size_t i = 0; i < ms.export_only.size(); ++i) syms_list.push_back({ms.export_only[i], a.data + 0x800 + 8 * i});
            std::uint64_t strings_at = 0;
            const std::uint64_t syms = syms_list.empty() ? 0 : write_exports(syms_list, b, strings_at);
            const std::uint64_t strings_end = b.next;
            b.take(16, 1);  // junk after the export names: a test may unmap it
            write(mod + L.syms, syms, w);
            write(mod + L.num_syms, syms_list.size(), 4);
            if (gpl_apart) {
                std::uint64_t gpl_strings = 0;
                write(mod + *L.gpl_syms, gpl_list.empty() ? 0 : write_exports(gpl_list, b, gpl_strings), w);
                write(mod + *L.num_gpl_syms, gpl_list.size(), 4);
            }
            em.syms = syms;
            em.num_syms = static_cast<std::uint32_t>(syms_list.size());

            // Symbol tables: the core one, and the init one a COMING module reads.
            placed core = write_table(ms.core, a, b);
            placed now = core;
            if (!ms.init.empty()) now = write_table(ms.init, a, b);
            now.syms = syms;
            now.export_strings = strings_at;
            now.export_strings_end = syms_list.empty() ? 0 : strings_end;
            auto put_table = [&](std::uint64_t at, const placed& t) {
                write(at + L.symbols.symtab, t.symtab, w);
                write(at + L.symbols.num_symtab, t.num_symtab, 4);
                write(at + L.symbols.strtab, t.strtab, w);
                if (L.symbols.typetab) write(at + *L.symbols.typetab, t.typetab, w);
            };
            if (L.kallsyms) {
                const std::uint64_t core_at = mod + *L.core_kallsyms;
                put_table(core_at, core);
                std::uint64_t ks = core_at;
                if (!ms.init.empty()) {
                    ks = b.take(L.symbols.size, w);
                    for (std::uint32_t i = 0; i < L.symbols.size; ++i) write(ks + i, 0, 1);
                    put_table(ks, now);
                }
                if (ms.null_kallsyms) ks = 0;
                write(mod + *L.kallsyms, ks, w);
                now.kallsyms_struct = ks;
                em.init_table = ks != core_at;
            } else {
                put_table(mod, now);  // before 4.5 the fields are struct module's own
            }
            em.symtab = now.symtab;
            em.num_symtab = now.num_symtab;
            em.strtab = now.strtab;
            em.typetab = now.typetab;
            tables.push_back(now);

            if (ms.state == L.states.unformed) continue;
            modules.push_back(em);
            // What /proc/kallsyms prints for it.
            const auto& table = ms.init.empty() ? ms.core : ms.init;
            for (std::size_t i = 0; i < table.size(); ++i) {
                const sym_spec& s = table[i];
                if (s.name.empty()) continue;
                const std::uint64_t v = value_of(s, a);
                const bool up = std::any_of(syms_list.begin(), syms_list.end(),
                                            [&](const export_entry& x) { return x.name == s.name && x.value == v; });
                char t = s.letter;
                if (up && t >= 'a' && t <= 'z') t = static_cast<char>(t - 'a' + 'A');
                if (!up && t >= 'A' && t <= 'Z') t = static_cast<char>(t - 'A' + 'a');
                const std::uint64_t size = spec_.letters == ksym::module_letters::st_size ? 0 : s.size;
                symbols.push_back({ms.name, s.name, v, size, t, static_cast<std::uint32_t>(i + 1)});
            }
        }
    }

    image_spec spec_;
};

/// Both segments at their addresses, through a segment_map of buffer readers.
struct image_reader {
    ksym::buffer_reader data, mods;
    ksym::segment_map<4> map;
    explicit image_reader(const module_image& m) : data(m.data, m.data_base), mods(m.mods, m.mods_base) {
        if (!map.add(m.data_base, m.data.size(), data).ok()) __builtin_trap();
        if (!m.mods.empty() && !map.add(m.mods_base, m.mods.size(), mods).ok()) __builtin_trap();
    }
    image_reader(const image_reader&) = delete;
    image_reader& operator=(const image_reader&) = delete;
    ksym::status read(std::uint64_t addr, std::span<std::byte> out) const { return map.read(addr, out); }
};

/// A reader that counts calls and remembers the largest request (a walk or
/// a table load must never ask for more than its storage holds).
template <class R>
struct counting_reader {
    R* inner;
    mutable std::size_t calls = 0;
    mutable std::size_t largest = 0;
    ksym::status read(std::uint64_t addr, std::span<std::byte> out) const {
        ++calls;
        largest = std::max(largest, out.size());
        return inner->read(addr, out);
    }
};

/// A module set that exercises every rule: exported and not, exported with
/// another value, GPL-only, unnamed entries, aliases, absolute symbols, a
/// name two modules share; a GOING module, a COMING one reading its init
/// table (undefined symbols and init code included), and an UNFORMED one
/// whose mod->kallsyms is still NULL. `states` names the layout's values.
inline std::vector<module_spec> sample_modules(const ksym::module_state_values& st) {
    using A = area;
    using X = exported;
    std::vector<module_spec> v;
    v.push_back({.name = "alpha",
                 .state = st.live,
                 .core = {{"alpha_init", A::text, 0x10, 't', 0x40, X::yes},
                          {"alpha_helper", A::text, 0x50, 't', 0x30, X::no},
                          {"", A::text, 0x60, 't', 0, X::no},
                          {"alpha_alias", A::text, 0x50, 't', 0x30, X::no},
                          {"alpha_table", A::data, 0x0, 'd', 0x100, X::yes},
                          {"alpha_ro", A::rodata, 0x20, 'r', 0x10, X::other_value},
                          {"alpha_bss", A::data, 0x200, 'b', 0x80, X::no},
                          {"alpha_gpl", A::text, 0x100, 't', 0x20, X::gpl},
                          {"shared_name", A::text, 0x200, 't', 0x8, X::no},
                          {"alpha_weak", A::text, 0x300, 'w', 0x4, X::yes},
                          {"alpha_percpu", A::absolute, 0x40, 'a', 0, X::no}},
                 .export_only = {"alpha_only_exported"}});
    v.push_back({.name = "beta_unformed",
                 .state = st.unformed,
                 .core = {{"beta_x", A::text, 0x10, 't', 4, X::no}},
                 .null_kallsyms = true});
    v.push_back({.name = "gamma",
                 .state = st.live,
                 .core = {{"shared_name", A::text, 0x20, 't', 0x10, X::yes},
                          {"gamma_data", A::data, 0x40, 'd', 0x8, X::no},
                          {"gamma_rodata", A::rodata, 0x0, 'r', 0x8, X::yes}}});
    v.push_back({.name = "delta_going",
                 .state = st.going,
                 .core = {{"delta_exit", A::text, 0x0, 't', 0x10, X::yes}, {"", A::data, 0, 'd', 0, X::no}}});
    v.push_back({.name = "epsilon_coming",
                 .state = st.coming,
                 .core = {{"epsilon_fn", A::text, 0x40, 't', 0x10, X::yes}},
                 .init = {{"printk", A::undefined, 0, 'U', 0, X::no},
                          {"epsilon_fn", A::text, 0x40, 't', 0x10, X::yes},
                          {"epsilon_init", A::init_text, 0x0, 't', 0x80, X::no},
                          {"epsilon_initdata", A::init_data, 0x10, 'd', 0x20, X::no},
                          {"epsilon_local", A::text, 0x80, 't', 0x10, X::no}},
                 .init_memory = true});
    v.push_back({.name = "zeta_no_exports", .state = st.live, .core = {{"zeta_fn", A::text, 0x0, 't', 0x10, X::no}}});
    return v;
}

/// A struct module layout packed by hand for an era (not from BTF): the
/// members in an order of this file's own, naturally aligned.
inline ksym::module_layout hand_layout(ksym::module_layout_era era, std::uint32_t p, bool typetab, bool data_layout,
                                       bool gpl, ksym::kernel_symbol_form form) {
    using E = ksym::module_layout_era;
    ksym::module_layout L;
    L.era = era;
    L.pointer_bytes = static_cast<std::uint8_t>(p);
    std::uint32_t at = 0;
    auto place = [&](std::uint32_t size, std::uint32_t align) {
        at = (at + align - 1) / align * align;
        const std::uint32_t here = at;
        at += size;
        return here;
    };
    L.list = place(2 * p, p);
    L.list_head = {0, p};
    L.syms = place(p, p);
    L.state = place(4, 4);
    L.num_syms = place(4, 4);
    L.name_len = 64 - p;
    L.name = place(L.name_len, 1);
    if (gpl) {
        L.num_gpl_syms = place(4, 4);
        L.gpl_syms = place(p, p);
    }
    if (era == E::mem_array) {
        // struct module_memory { void *base; void *rw_copy; bool is_rox; unsigned int size; }
        L.mem = {0, 7, 3 * p + (p == 8 ? 0 : 4), 0, 2 * p + 4, {}, true};
        L.mem.offset = place(7 * L.mem.stride, p);
    } else if (era == E::core_layout) {
        // struct module_layout { void *base; unsigned int size, text_size, ro_size, ro_after_init_size; }
        const std::uint32_t ml = p + 16;
        const std::uint32_t core = place(ml, p), init = place(ml, p);
        L.core = {core, core + p};
        L.init = {init, init + p};
        if (data_layout) {
            const std::uint32_t d = place(ml, p);
            L.data = ksym::module_range_fields{d, d + p};
        }
    } else {
        const std::uint32_t init_size = place(4, 4), core_size = place(4, 4);
        const std::uint32_t module_init = place(p, p), module_core = place(p, p);
        L.core = {module_core, core_size};
        L.init = {module_init, init_size};
    }
    if (era == E::module_core) {
        const std::uint32_t num = place(4, 4);
        const std::uint32_t strtab = place(p, p), symtab = place(p, p);
        L.symbols = {symtab, num, strtab, std::nullopt, 0};
    } else {
        // struct mod_kallsyms { Elf_Sym *symtab; unsigned int num_symtab; char *strtab; char *typetab; }
        L.symbols = {0, p, 2 * p, std::nullopt, 3 * p};
        if (typetab) {
            L.symbols.typetab = 3 * p;
            L.symbols.size = 4 * p;
        }
        L.core_kallsyms = place(L.symbols.size, p);
        L.kallsyms = place(p, p);
    }
    L.module_size = (at + p - 1) / p * p + 3 * p;  // members this walker does not read follow
    L.elf_sym = ksym::elf_sym_fields_for(p);
    L.kernel_symbol = ksym::kernel_symbol_fields_for(form, p, true);
    return L;
}

}  // namespace ksym_test
