#pragma once
// Synthetic vmlinux BTF around struct module, for each era of its memory
// description, with the module_layout a reader must find in it. Member
// order and padding of struct module come from a seed (the struct is
// __randomize_layout); the expected layout is taken from where the builder
// put each member, never from the reader under test.

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "btf_writer.hpp"
#include "ksym/modules/layout.hpp"

namespace ksym_test {

struct xorshift_btf {
    std::uint64_t s;
    std::uint64_t below(std::uint64_t n) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        return s % n;
    }
};

struct module_btf_spec {
    ksym::module_layout_era era = ksym::module_layout_era::mem_array;
    std::uint32_t pointer_bytes = 8;
    std::endian order = std::endian::little;
    bool layout_header = false;  ///< 32-byte header with a layout section
    bool unknown_kind = false;   ///< a record of a kind newer than the reader (needs layout_header)
    bool typetab = true;         ///< mod_kallsyms.typetab (5.2+)
    bool gpl_syms = false;       ///< gpl_syms/num_gpl_syms (before 5.13)
    bool data_layout = false;    ///< data_layout (6.0-6.3 on some architectures)
    ksym::kernel_symbol_form kernel_symbol = ksym::kernel_symbol_form::prel32;  ///< unknown: a FWD only
    bool symbol_namespace = true;
    bool elf_sym = true;         ///< struct elfN_sym in the BTF (else symtab is a void *)
    bool mem_type_enum = true;   ///< enum mod_mem_type in the BTF
    bool mem_type_enum64 = false;
    bool anonymous = false;      ///< some members inside an anonymous union of an anonymous struct
    bool odd_values = false;     ///< non-upstream enum values and Elf_Sym layout: proves they are read
    std::uint64_t seed = 0;      ///< 0: declaration order, no padding
};

struct module_btf {
    std::vector<std::byte> bytes;
    ksym::module_layout expected;
};

inline module_btf make_module_btf(const module_btf_spec& sp) {
    using E = ksym::module_layout_era;
    using F = ksym::kernel_symbol_form;
    const std::uint32_t p = sp.pointer_bytes;
    btf_writer w;
    ksym::module_layout L;
    L.era = sp.era;
    L.pointer_bytes = static_cast<std::uint8_t>(p);

    const auto int_t = w.add_int("int", 4, true);
    const auto uint_t = w.add_int("unsigned int", 4);
    const auto ulong_t = w.add_int("long unsigned int", p);
    const auto char_t = w.add_int("char", 1, true);
    const auto u8_t = w.add_int("unsigned char", 1);
    const auto u16_t = w.add_int("short unsigned int", 2);
    const auto u64_t = w.add_int("long long unsigned int", 8);
    const auto bool_t = w.add_int("_Bool", 1);
    const auto void_ptr = w.add_ptr(0);
    const auto char_ptr = w.add_ptr(char_t);
    const auto cchar_ptr = w.add_ptr(w.add_const(char_t));
    w.add_fwd("module");  // a declaration before the definition: never the answer
    w.add_float("double", 8);
    if (sp.unknown_kind) {
        w.describe_kind(25, 4, 8);
        w.add_unknown(25, 3, 4, 8, int_t);
    }

    // struct list_head { struct list_head *next, *prev; }
    const auto lh_ptr = w.add_ptr(w.last_id() + 2);
    const auto lh = w.add_struct("list_head", 2 * p, {{"next", lh_ptr, 0}, {"prev", lh_ptr, 8 * p}});
    L.list_head = {0, p};

    // enum module_state
    const std::int64_t sb = sp.odd_values ? 10 : 0;
    L.states = {sb, sb + 1, sb + 2, sb + 3};
    const auto state_t = w.add_enum("module_state", 4, {{"MODULE_STATE_LIVE", sb}, {"MODULE_STATE_COMING", sb + 1},
                                                        {"MODULE_STATE_GOING", sb + 2}, {"MODULE_STATE_UNFORMED", sb + 3}});

    // Elf_Sym, reached from symtab through a typedef.
    std::uint32_t symtab_t = void_ptr;
    L.elf_sym = ksym::elf_sym_fields_for(p);
    if (sp.elf_sym) {
        if (sp.odd_values) L.elf_sym = p == 8 ? ksym::elf_sym_fields{32, 0, 4, 5, 6, 16, 24} : ksym::elf_sym_fields{20, 0, 16, 17, 18, 8, 12};
        const auto& e = L.elf_sym;
        const auto word_t = p == 8 ? u64_t : uint_t;
        const auto s = w.add_struct(p == 8 ? "elf64_sym" : "elf32_sym", e.size,
                                    {{"st_name", uint_t, 8 * e.st_name}, {"st_info", u8_t, 8 * e.st_info},
                                     {"st_other", u8_t, 8 * e.st_other}, {"st_shndx", u16_t, 8 * e.st_shndx},
                                     {"st_value", word_t, 8 * e.st_value}, {"st_size", word_t, 8 * e.st_size}});
        symtab_t = w.add_ptr(w.add_typedef(p == 8 ? "Elf64_Sym" : "Elf32_Sym", s));
    }

    // struct mod_kallsyms, reached through an __rcu (type tag) pointer.
    std::uint32_t kallsyms_ptr = 0, kallsyms_t = 0;
    if (sp.era != E::module_core) {
        std::vector<btf_writer::member> ms = {{"symtab", symtab_t, 0}, {"num_symtab", uint_t, 8 * p}, {"strtab", char_ptr, 16 * p}};
        L.symbols = {0, p, 2 * p, std::nullopt, 3 * p};
        if (sp.typetab) {
            ms.push_back({"typetab", char_ptr, 24 * p});
            L.symbols.typetab = 3 * p;
            L.symbols.size = 4 * p;
        }
        kallsyms_t = w.add_struct("mod_kallsyms", L.symbols.size, ms);
        kallsyms_ptr = w.add_ptr(w.add_type_tag("rcu", kallsyms_t));
    }

    // struct kernel_symbol
    std::uint32_t ksym_t = 0;
    const std::uint32_t kw = sp.kernel_symbol == F::prel32 ? 4 : p;
    if (sp.kernel_symbol == F::unknown) {
        ksym_t = w.add_fwd("kernel_symbol");
    } else {
        const bool rel = sp.kernel_symbol == F::prel32;
        std::vector<btf_writer::member> ms = {{rel ? "value_offset" : "value", rel ? int_t : ulong_t, 0},
                                              {rel ? "name_offset" : "name", rel ? int_t : cchar_ptr, 8 * kw}};
        if (sp.symbol_namespace) ms.push_back({rel ? "namespace_offset" : "namespace", rel ? int_t : cchar_ptr, 16 * kw});
        L.kernel_symbol = ksym::kernel_symbol_fields_for(sp.kernel_symbol, p, sp.symbol_namespace);
        ksym_t = w.add_struct("kernel_symbol", L.kernel_symbol.size, ms);
    }
    const auto syms_t = w.add_ptr(w.add_const(ksym_t));

    // What struct module holds, as (name, type, size, align); placed below.
    struct slot {
        std::string name;
        std::uint32_t type, size, align;
        std::uint32_t bitfield = 0;
        std::uint32_t at = 0;
    };
    std::vector<slot> slots = {{"state", state_t, 4, 4},        {"list", lh, 2 * p, p},
                               {"name", w.add_array(char_t, int_t, 64 - p), 64 - p, 1},
                               {"version", char_ptr, p, p},     {"syms", syms_t, p, p},
                               {"crcs", void_ptr, p, p},        {"num_syms", uint_t, 4, 4},
                               {"args", char_ptr, p, p},        {"percpu", void_ptr, p, p},
                               {"percpu_size", uint_t, 4, 4},   {"taints", ulong_t, p, p}};
    if (sp.gpl_syms) {
        slots.push_back({"gpl_syms", syms_t, p, p});
        slots.push_back({"num_gpl_syms", uint_t, 4, 4});
    }
    if (sp.seed % 2 == 1) {  // bitfields: struct module's kind_flag set
        slots.push_back({"sig_ok", bool_t, 1, 1, 1});
        slots.push_back({"async_probe_requested", bool_t, 1, 1, 1});
    }
    if (sp.era == E::mem_array) {
        const std::uint32_t stride = p + 8;
        const auto mm = w.add_struct("module_memory", stride, {{"base", void_ptr, 0}, {"is_rox", bool_t, 8 * p}, {"size", uint_t, 8 * (p + 4)}});
        slots.push_back({"mem", w.add_array(mm, int_t, 7), 7 * stride, p});
        L.mem = {0, 7, stride, 0, p + 4, {}, sp.mem_type_enum};
        if (sp.odd_values) L.mem.types = {6, 5, 4, 3, 2, 1, 0, 7};
        const auto& t = L.mem.types;
        const std::vector<btf_writer::enumerator> vals = {
            {"MOD_TEXT", t.text}, {"MOD_DATA", t.data}, {"MOD_RODATA", t.rodata}, {"MOD_RO_AFTER_INIT", t.ro_after_init},
            {"MOD_INIT_TEXT", t.init_text}, {"MOD_INIT_DATA", t.init_data}, {"MOD_INIT_RODATA", t.init_rodata},
            {"MOD_MEM_NUM_TYPES", t.num_types}, {"MOD_INVALID", -1}};
        if (sp.mem_type_enum && sp.mem_type_enum64) w.add_enum64("mod_mem_type", 8, vals, true);
        else if (sp.mem_type_enum) w.add_enum("mod_mem_type", 4, vals, true);
    } else if (sp.era == E::core_layout) {
        const std::uint32_t size = p + 16;
        const auto ml = w.add_struct("module_layout", size, {{"base", void_ptr, 0}, {"size", uint_t, 8 * p},
                                     {"text_size", uint_t, 8 * (p + 4)}, {"ro_size", uint_t, 8 * (p + 8)},
                                     {"ro_after_init_size", uint_t, 8 * (p + 12)}});
        slots.push_back({"core_layout", ml, size, p});
        slots.push_back({"init_layout", ml, size, p});
        if (sp.data_layout) slots.push_back({"data_layout", ml, size, p});
    } else {
        slots.push_back({"module_init", void_ptr, p, p});
        slots.push_back({"module_core", void_ptr, p, p});
        slots.push_back({"init_size", uint_t, 4, 4});
        slots.push_back({"core_size", uint_t, 4, 4});
    }
    if (sp.era == E::module_core) {
        slots.push_back({"symtab", symtab_t, p, p});
        slots.push_back({"core_symtab", symtab_t, p, p});
        slots.push_back({"num_symtab", uint_t, 4, 4});
        slots.push_back({"core_num_syms", uint_t, 4, 4});
        slots.push_back({"strtab", char_ptr, p, p});
        slots.push_back({"core_strtab", char_ptr, p, p});
    } else {
        slots.push_back({"kallsyms", kallsyms_ptr, p, p});
        slots.push_back({"core_kallsyms", kallsyms_t, L.symbols.size, p});
    }

    // Shuffle, then place with alignment and seeded padding.
    xorshift_btf rng{sp.seed * 0x9e3779b97f4a7c15ull + 7};
    if (sp.seed != 0)
        for (std::size_t i = slots.size(); i > 1; --i) std::swap(slots[i - 1], slots[rng.below(i)]);
    // Optionally move "syms", "num_syms" and "list" into struct { ... } inside union { ...; long alt; }.
    std::vector<slot> inner;
    for (std::size_t i = 0; sp.anonymous && i < slots.size();) {
        if (slots[i].name == "syms" || slots[i].name == "num_syms" || slots[i].name == "list") {
            inner.push_back(slots[i]);
            slots.erase(slots.begin() + static_cast<std::ptrdiff_t>(i));
        } else {
            ++i;
        }
    }
    auto place = [&](std::vector<slot>& v, bool pad) {
        std::uint32_t at = 0, align = 1;
        for (auto& s : v) {
            at = (at + s.align - 1) / s.align * s.align;
            if (pad && sp.seed != 0) at += s.align * static_cast<std::uint32_t>(rng.below(3));
            s.at = at;
            at += s.size;
            align = std::max(align, s.align);
        }
        return std::pair{(at + align - 1) / align * align, align};
    };
    auto members_of = [](const std::vector<slot>& v, std::uint32_t bit_base) {
        std::vector<btf_writer::member> ms;
        for (const auto& s : v) ms.push_back({s.name, s.type, bit_base + 8 * s.at, s.bitfield});
        return ms;
    };
    if (!inner.empty()) {
        const auto [size, align] = place(inner, false);
        const auto st = w.add_struct("", size, members_of(inner, 0));
        const auto un = w.add_struct("", size, {{"", st, 0}, {"alt", ulong_t, 0}}, true);
        slots.push_back({"", un, size, align});
    }
    const auto [module_size, module_align] = place(slots, true);
    (void)module_align;
    auto offset_of = [&](std::string_view n) -> std::uint32_t {
        for (const auto& s : slots)
            if (s.name == n) return s.at;
        for (const auto& s : inner)
            if (s.name == n) return slots.back().at + s.at;  // the anonymous union went in last
        return 0xffffffffu;
    };
    const auto module_t = w.add_struct("module", module_size, members_of(slots, 0));
    w.add_decl_tag("tagged", module_t, 1);
    const auto proto = w.add_func_proto(int_t, {{"mod", w.add_ptr(module_t)}});
    w.add_func("load_module", proto);
    const auto var = w.add_var("modules", lh);
    w.add_datasec(".data", 4096, {{var, 0, 2 * p}});
    w.add_volatile(w.add_restrict(void_ptr));
    if (!sp.mem_type_enum64) w.add_enum64("big", 8, {{"BIG_ONE", 1ll << 40}});

    L.module_size = module_size;
    L.state = offset_of("state");
    L.list = offset_of("list");
    L.name = offset_of("name");
    L.name_len = 64 - p;
    L.syms = offset_of("syms");
    L.num_syms = offset_of("num_syms");
    if (sp.gpl_syms) {
        L.gpl_syms = offset_of("gpl_syms");
        L.num_gpl_syms = offset_of("num_gpl_syms");
    }
    if (sp.era == E::mem_array) L.mem.offset = offset_of("mem");
    if (sp.era == E::core_layout) {
        L.core = {offset_of("core_layout"), offset_of("core_layout") + p};
        L.init = {offset_of("init_layout"), offset_of("init_layout") + p};
        if (sp.data_layout) L.data = ksym::module_range_fields{offset_of("data_layout"), offset_of("data_layout") + p};
    }
    if (sp.era == E::module_core) {
        L.core = {offset_of("module_core"), offset_of("core_size")};
        L.init = {offset_of("module_init"), offset_of("init_size")};
        L.symbols = {offset_of("symtab"), offset_of("num_symtab"), offset_of("strtab"), std::nullopt, 0};
    } else {
        L.kallsyms = offset_of("kallsyms");
        L.core_kallsyms = offset_of("core_kallsyms");
    }
    return {w.bytes(sp.order, sp.layout_header), L};
}

}  // namespace ksym_test
