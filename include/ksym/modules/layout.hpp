#pragma once
// Where a module walker finds things in struct module and the structures it
// points to, as one plain value; and how to read that value from BTF.
//
// struct module is __randomize_layout: its member offsets differ between
// builds of one release, so they are never assumed, only read (from BTF
// here, or from DWARF by a caller who fills the value by hand). Facts in
// shared/research/modules-btf.md section 2.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "ksym/btf/btf.hpp"
#include "ksym/btf/detail/fields.hpp"
#include "ksym/btf/query.hpp"
#include "ksym/core/errc.hpp"
#include "ksym/core/result.hpp"

namespace ksym {

/// How struct module describes the module's memory.
enum class module_layout_era : std::uint8_t {
    module_core,  ///< before 4.5: module_core/core_size, module_init/init_size
    core_layout,  ///< 4.5 to 6.3: core_layout/init_layout (and data_layout) of struct module_layout
    mem_array,    ///< 6.4 onward: mem[MOD_MEM_NUM_TYPES] of struct module_memory
};

[[nodiscard]] constexpr std::string_view to_string(module_layout_era e) noexcept {
    switch (e) {
    case module_layout_era::module_core: return "module_core";
    case module_layout_era::core_layout: return "core_layout";
    case module_layout_era::mem_array: return "mem[]";
    }
    return "?";
}

/// How struct kernel_symbol (a module's exported symbols, mod->syms) stores
/// its value and name.
enum class kernel_symbol_form : std::uint8_t {
    unknown,   ///< not in the BTF (often only a FWD declaration is): the caller decides
    absolute,  ///< unsigned long value; const char *name (and *namespace)
    prel32,    ///< int value_offset, name_offset (and namespace_offset), each relative to itself
};

[[nodiscard]] constexpr std::string_view to_string(kernel_symbol_form f) noexcept {
    switch (f) {
    case kernel_symbol_form::unknown: return "unknown";
    case kernel_symbol_form::absolute: return "absolute";
    case kernel_symbol_form::prel32: return "prel32";
    }
    return "?";
}

/// Byte offsets of an address range's start pointer and its 32-bit size.
struct module_range_fields {
    std::uint32_t base = 0;
    std::uint32_t size = 0;
    friend constexpr bool operator==(const module_range_fields&, const module_range_fields&) noexcept = default;
};

/// enum mod_mem_type: which mem[] entry holds what (upstream values as defaults).
struct mod_mem_type_values {
    std::int64_t text = 0, data = 1, rodata = 2, ro_after_init = 3;
    std::int64_t init_text = 4, init_data = 5, init_rodata = 6;
    std::int64_t num_types = 7;  ///< MOD_MEM_NUM_TYPES
    friend constexpr bool operator==(const mod_mem_type_values&, const mod_mem_type_values&) noexcept = default;
};

/// mem[] of struct module (6.4+). Entry i is at `offset + i * stride`.
struct module_mem_fields {
    std::uint32_t offset = 0;  ///< of mem[0] in struct module
    std::uint32_t count = 0;   ///< array length
    std::uint32_t stride = 0;  ///< sizeof(struct module_memory)
    std::uint32_t base = 0;    ///< void *base, within struct module_memory
    std::uint32_t size = 0;    ///< unsigned int size, within struct module_memory
    mod_mem_type_values types{};
    bool types_from_btf = false;  ///< false: enum mod_mem_type was not in the BTF, `types` are upstream's
    friend constexpr bool operator==(const module_mem_fields&, const module_mem_fields&) noexcept = default;
};

/// struct mod_kallsyms (or, before 4.5, the same members of struct module).
struct mod_kallsyms_fields {
    std::uint32_t symtab = 0;      ///< Elf_Sym *
    std::uint32_t num_symtab = 0;  ///< unsigned int
    std::uint32_t strtab = 0;      ///< char *
    std::optional<std::uint32_t> typetab;  ///< char *, one nm letter per symbol; 5.2 onward
    std::uint32_t size = 0;        ///< sizeof(struct mod_kallsyms); 0 before 4.5
    friend constexpr bool operator==(const mod_kallsyms_fields&, const mod_kallsyms_fields&) noexcept = default;
};

/// Elf32_Sym / Elf64_Sym as the kernel declares them.
struct elf_sym_fields {
    std::uint32_t size = 0;
    std::uint32_t st_name = 0, st_info = 0, st_other = 0, st_shndx = 0, st_value = 0, st_size = 0;
    friend constexpr bool operator==(const elf_sym_fields&, const elf_sym_fields&) noexcept = default;
};

/// The ELF gABI layout of a symbol for a 4- or 8-byte target.
[[nodiscard]] constexpr elf_sym_fields elf_sym_fields_for(std::size_t pointer_bytes) noexcept {
    if (pointer_bytes == 4) return {16, 0, 12, 13, 14, 4, 8};
    return {24, 0, 4, 5, 6, 8, 16};
}

/// struct kernel_symbol. For prel32, `value` and `name` are the offsets of
/// value_offset and name_offset.
struct kernel_symbol_fields {
    kernel_symbol_form form = kernel_symbol_form::unknown;
    std::uint32_t size = 0;
    std::uint32_t value = 0;
    std::uint32_t name = 0;
    std::optional<std::uint32_t> namespace_;  ///< 5.4 onward
    friend constexpr bool operator==(const kernel_symbol_fields&, const kernel_symbol_fields&) noexcept = default;
};

/// struct kernel_symbol as upstream declares it, for callers whose BTF
/// lacks it: prel32 on architectures with PREL32 relocations (4.19+).
[[nodiscard]] constexpr kernel_symbol_fields kernel_symbol_fields_for(kernel_symbol_form form, std::size_t pointer_bytes,
                                                                      bool with_namespace) noexcept {
    if (form == kernel_symbol_form::unknown) return {};
    const auto w = static_cast<std::uint32_t>(form == kernel_symbol_form::prel32 ? 4 : pointer_bytes);
    kernel_symbol_fields k{form, with_namespace ? 3 * w : 2 * w, 0, w, std::nullopt};
    if (with_namespace) k.namespace_ = 2 * w;
    return k;
}

/// struct list_head.
struct list_head_fields {
    std::uint32_t next = 0;
    std::uint32_t prev = 0;
    friend constexpr bool operator==(const list_head_fields&, const list_head_fields&) noexcept = default;
};

/// enum module_state (upstream values as defaults).
struct module_state_values {
    std::int64_t live = 0, coming = 1, going = 2, unformed = 3;
    friend constexpr bool operator==(const module_state_values&, const module_state_values&) noexcept = default;
};

/// Everything a module walker reads, all in bytes. A plain aggregate: fill
/// it from BTF with module_layout_from_btf, or by hand from DWARF (every
/// offset is a member's offset in its own struct unless said otherwise).
///
/// Every count and size the kernel keeps here (state, num_syms,
/// num_gpl_syms, num_symtab, the range sizes) is 32 bits wide in every
/// kernel, and every pointer pointer_bytes wide; module_layout_from_btf
/// checks both.
struct module_layout {
    module_layout_era era = module_layout_era::mem_array;
    std::uint8_t pointer_bytes = 8;

    // struct module
    std::uint32_t module_size = 0;  ///< sizeof(struct module): one read fetches it whole
    std::uint32_t state = 0;        ///< enum module_state
    std::uint32_t list = 0;         ///< struct list_head on the `modules` list
    std::uint32_t name = 0;         ///< char name[name_len], NUL-terminated
    std::uint32_t name_len = 0;     ///< MODULE_NAME_LEN
    std::optional<std::uint32_t> kallsyms;       ///< struct mod_kallsyms *; absent before 4.5
    std::optional<std::uint32_t> core_kallsyms;  ///< struct mod_kallsyms; absent before 4.5
    /// Within *kallsyms; before 4.5 (no `kallsyms`), within struct module.
    mod_kallsyms_fields symbols{};
    std::uint32_t syms = 0;         ///< const struct kernel_symbol *: exported symbols
    std::uint32_t num_syms = 0;
    std::optional<std::uint32_t> gpl_syms;      ///< GPL-only exports, where kept apart
    std::optional<std::uint32_t> num_gpl_syms;

    // Memory, by era.
    module_mem_fields mem{};           ///< mem_array era; zero otherwise
    /// Other eras, offsets from the start of struct module: core_layout.base
    /// and core_layout.size (4.5-6.3), or module_core and core_size (before 4.5).
    module_range_fields core{};
    module_range_fields init{};
    std::optional<module_range_fields> data;  ///< data_layout, where the kernel has it

    elf_sym_fields elf_sym{};
    kernel_symbol_fields kernel_symbol{};
    list_head_fields list_head{};
    module_state_values states{};

    friend constexpr bool operator==(const module_layout&, const module_layout&) noexcept = default;
};

namespace detail::module_btf {

using namespace detail::btf_fields;

enum member : std::size_t {
    m_state, m_list, m_name, m_kallsyms, m_core_kallsyms, m_syms, m_num_syms, m_gpl_syms, m_num_gpl_syms,
    m_mem, m_core_layout, m_init_layout, m_data_layout, m_module_core, m_core_size, m_module_init,
    m_init_size, m_symtab, m_num_symtab, m_strtab, m_count
};
inline constexpr std::array<std::string_view, m_count> member_names = {
    "state", "list", "name", "kallsyms", "core_kallsyms", "syms", "num_syms", "gpl_syms", "num_gpl_syms",
    "mem", "core_layout", "init_layout", "data_layout", "module_core", "core_size", "module_init",
    "init_size", "symtab", "num_symtab", "strtab"};

// A {base, size} pair: base pointer-wide, size 32-bit, both in the struct `id`.
constexpr status range_in(const btf& b, std::uint32_t id, std::uint32_t at, module_range_fields& out) noexcept {
    std::array<btf_member_lookup, 2> m{};
    steps get;
    get(members<2>(b, id, {"base", "size"}, m));
    get(out.base, sized(b, m[0].found, b.pointer_bytes()));
    get(out.size, sized(b, m[1].found, 4));
    if (at > UINT32_MAX - std::max(out.base, out.size)) get(status{errc::corrupt, id});
    out.base += at;
    out.size += at;
    return get.st;
}

constexpr status elf_sym_from(const btf& b, std::uint32_t id, elf_sym_fields& out) noexcept {
    std::array<btf_member_lookup, 6> m{};
    steps get;
    get(members<6>(b, id, {"st_name", "st_info", "st_other", "st_shndx", "st_value", "st_size"}, m));
    get(out.size, size32(b, id));
    get(out.st_name, bytes(m[0].found));
    get(out.st_info, bytes(m[1].found));
    get(out.st_other, bytes(m[2].found));
    get(out.st_shndx, bytes(m[3].found));
    get(out.st_value, bytes(m[4].found));
    get(out.st_size, bytes(m[5].found));
    return get.st;
}

// PREL32 or absolute by which members exist and how wide they are;
// `unknown` when neither pair fits.
constexpr status kernel_symbol_from(const btf& b, std::uint32_t id, kernel_symbol_fields& out) noexcept {
    std::array<btf_member_lookup, 6> m{};
    steps get;
    get(members<6>(b, id, {"value_offset", "name_offset", "namespace_offset", "value", "name", "namespace"}, m));
    get(out.size, size32(b, id));
    if (!get.ok()) return get.st;
    for (const auto form : {kernel_symbol_form::prel32, kernel_symbol_form::absolute}) {
        const std::size_t first = form == kernel_symbol_form::prel32 ? 0 : 3;
        const std::uint64_t width = form == kernel_symbol_form::prel32 ? 4 : b.pointer_bytes();
        const auto value = sized(b, m[first].found, width), name = sized(b, m[first + 1].found, width);
        if (!value || !name) continue;
        out = {form, out.size, *value, *name, maybe_bytes(m[first + 2].found)};
        return {};
    }
    out = {};
    return {};
}

using found_members = std::array<btf_member_lookup, m_count>;

// State, list linkage, name, and the enums and structs those lead to.
constexpr status identity(const btf& b, const found_members& f, module_layout& L) noexcept {
    const auto ptr = b.pointer_bytes();
    steps get;
    get(L.state, sized(b, f[m_state].found, 4));
    get(L.list, bytes(f[m_list].found));
    get(L.name, bytes(f[m_name].found));
    if (!get.ok()) return get.st;
    btf_array_info name{};
    std::uint64_t char_size = 0;
    btf_type state{};
    get(name, array_info(b, f[m_name].found->type));
    get(char_size, type_size(b, name.element_type));
    get(state, resolve_type(b, f[m_state].found->type));
    if (!get.ok()) return get.st;
    if (char_size != 1) return {errc::unsupported, name.element_type};
    L.name_len = name.count;
    get(L.states.live, enum_value(b, state.id, "MODULE_STATE_LIVE"));
    get(L.states.coming, enum_value(b, state.id, "MODULE_STATE_COMING"));
    get(L.states.going, enum_value(b, state.id, "MODULE_STATE_GOING"));
    get(L.states.unformed, enum_value(b, state.id, "MODULE_STATE_UNFORMED"));
    std::array<btf_member_lookup, 2> lh{};
    get(members<2>(b, f[m_list].found->type, {"next", "prev"}, lh));
    if (!get.ok()) return get.st;
    get(L.list_head.next, sized(b, lh[0].found, ptr));
    get(L.list_head.prev, sized(b, lh[1].found, ptr));
    // Exported symbols; GPL-only ones apart on older kernels.
    get(L.syms, sized(b, f[m_syms].found, ptr));
    get(L.num_syms, sized(b, f[m_num_syms].found, 4));
    if (f[m_gpl_syms].found && f[m_num_gpl_syms].found) {
        get(L.gpl_syms, sized(b, f[m_gpl_syms].found, ptr));
        get(L.num_gpl_syms, sized(b, f[m_num_gpl_syms].found, 4));
    }
    return get.st;
}

// mem[] (6.4+), core_layout/init_layout (4.5-6.3) or module_core (before 4.5).
constexpr status memory(const btf& b, const found_members& f, std::uint32_t mem_type_enum, module_layout& L) noexcept {
    steps get;
    if (f[m_mem].found) {
        L.era = module_layout_era::mem_array;
        btf_array_info arr{};
        module_range_fields r{};
        get(L.mem.offset, bytes(f[m_mem].found));
        get(arr, array_info(b, f[m_mem].found->type));
        if (!get.ok()) return get.st;
        get(L.mem.stride, size32(b, arr.element_type));
        get(range_in(b, arr.element_type, 0, r));
        L.mem.count = arr.count;
        L.mem.base = r.base;
        L.mem.size = r.size;
        auto& t = L.mem.types;
        if (mem_type_enum != 0) {
            get(t.text, enum_value(b, mem_type_enum, "MOD_TEXT"));
            get(t.data, enum_value(b, mem_type_enum, "MOD_DATA"));
            get(t.rodata, enum_value(b, mem_type_enum, "MOD_RODATA"));
            get(t.ro_after_init, enum_value(b, mem_type_enum, "MOD_RO_AFTER_INIT"));
            get(t.init_text, enum_value(b, mem_type_enum, "MOD_INIT_TEXT"));
            get(t.init_data, enum_value(b, mem_type_enum, "MOD_INIT_DATA"));
            get(t.init_rodata, enum_value(b, mem_type_enum, "MOD_INIT_RODATA"));
            get(t.num_types, enum_value(b, mem_type_enum, "MOD_MEM_NUM_TYPES"));
            L.mem.types_from_btf = true;
        }
        if (!get.ok()) return get.st;
        // A walker indexes mem[] with these: they must lie inside it.
        for (const std::int64_t v : {t.text, t.data, t.rodata, t.ro_after_init, t.init_text, t.init_data, t.init_rodata})
            if (v < 0 || v >= std::int64_t{L.mem.count}) return {errc::corrupt, mem_type_enum};
        return {};
    }
    if (f[m_core_layout].found) {
        L.era = module_layout_era::core_layout;
        std::uint32_t core = 0, init = 0, data = 0;
        get(core, bytes(f[m_core_layout].found));
        get(init, bytes(f[m_init_layout].found));
        if (!get.ok()) return get.st;
        get(range_in(b, f[m_core_layout].found->type, core, L.core));
        get(range_in(b, f[m_init_layout].found->type, init, L.init));
        if (f[m_data_layout].found) {
            module_range_fields r{};
            get(data, bytes(f[m_data_layout].found));
            if (!get.ok()) return get.st;
            get(range_in(b, f[m_data_layout].found->type, data, r));
            L.data = r;
        }
        return get.st;
    }
    if (f[m_module_core].found) {
        L.era = module_layout_era::module_core;
        get(L.core.base, sized(b, f[m_module_core].found, b.pointer_bytes()));
        get(L.core.size, sized(b, f[m_core_size].found, 4));
        get(L.init.base, sized(b, f[m_module_init].found, b.pointer_bytes()));
        get(L.init.size, sized(b, f[m_init_size].found, 4));
        return get.st;
    }
    return errc::not_found;
}

// The symbol table, behind mod->kallsyms from 4.5 and in struct module
// before; then Elf_Sym through its pointer, else by name, else the gABI's.
constexpr status symbols(const btf& b, const found_members& f, std::uint32_t kallsyms_struct, std::uint32_t elf_sym_struct,
                         module_layout& L) noexcept {
    const auto ptr = b.pointer_bytes();
    steps get;
    std::optional<btf_member_info> symtab = f[m_symtab].found;
    if (f[m_kallsyms].found) {
        get(L.kallsyms, sized(b, f[m_kallsyms].found, ptr));
        L.core_kallsyms = maybe_bytes(f[m_core_kallsyms].found);
        if (const auto p = pointee(b, f[m_kallsyms].found->type)) kallsyms_struct = *p;
        std::array<btf_member_lookup, 4> k{};
        get(members<4>(b, kallsyms_struct, {"symtab", "num_symtab", "strtab", "typetab"}, k));
        get(L.symbols.size, size32(b, kallsyms_struct));
        if (!get.ok()) return get.st;
        symtab = k[0].found;
        get(L.symbols.num_symtab, sized(b, k[1].found, 4));
        get(L.symbols.strtab, sized(b, k[2].found, ptr));
        if (k[3].found) get(L.symbols.typetab, sized(b, k[3].found, ptr));
    } else {
        get(L.symbols.num_symtab, sized(b, f[m_num_symtab].found, 4));
        get(L.symbols.strtab, sized(b, f[m_strtab].found, ptr));
    }
    get(L.symbols.symtab, sized(b, symtab, ptr));
    if (!get.ok()) return get.st;
    L.elf_sym = elf_sym_fields_for(ptr);
    if (const auto p = pointee(b, symtab->type))
        if (const auto r = resolve_type(b, *p); r && r->kind == btf_kind::struct_) elf_sym_struct = r->id;
    if (elf_sym_struct != 0) get(elf_sym_from(b, elf_sym_struct, L.elf_sym));
    return get.st;
}

}  // namespace detail::module_btf

/// Reads a module_layout from vmlinux BTF: one pass over the types finds
/// the named structs and enums, one pass over struct module's members finds
/// its members, and the rest follows type references. A missing required
/// member gives not_found, a member of an unexpected width unsupported,
/// bad BTF corrupt. kernel_symbol stays `unknown` when the BTF has only a
/// declaration of it (6.x vmlinux BTF typically does).
/// Usable in constant expressions; module_layout_from_btf is the same
/// returning a result. On error `L` holds what was read before it.
constexpr status read_module_layout(const btf& b, module_layout& L) noexcept {
    using namespace detail::module_btf;
    enum { l_module, l_kallsyms, l_ksym, l_elf_sym, l_mem_type, l_count };
    std::array<btf_lookup, l_count> look = {{
        {"module", btf_kinds(btf_kind::struct_), 0},
        {"mod_kallsyms", btf_kinds(btf_kind::struct_), 0},
        {"kernel_symbol", btf_kinds(btf_kind::struct_), 0},
        {b.pointer_bytes() == 4 ? "elf32_sym" : "elf64_sym", btf_kinds(btf_kind::struct_), 0},
        {"mod_mem_type", btf_kinds(btf_kind::enum_, btf_kind::enum64), 0},
    }};
    find_types(b, look);
    if (look[l_module].id == 0) return errc::not_found;

    L = module_layout{};
    L.pointer_bytes = static_cast<std::uint8_t>(b.pointer_bytes());
    steps get;
    found_members found{};
    get(L.module_size, size32(b, look[l_module].id));
    get(members(b, look[l_module].id, member_names, found));
    if (!get.ok()) return get.st;
    if (status s = identity(b, found, L); !s) return s;
    if (status s = memory(b, found, look[l_mem_type].id, L); !s) return s;
    if (status s = symbols(b, found, look[l_kallsyms].id, look[l_elf_sym].id, L); !s) return s;
    if (look[l_ksym].id != 0) get(kernel_symbol_from(b, look[l_ksym].id, L.kernel_symbol));
    return get.st;
}

[[nodiscard]] inline result<module_layout> module_layout_from_btf(const btf& b) noexcept {
    module_layout L;
    if (status s = read_module_layout(b, L); !s) return s;
    return L;
}

}  // namespace ksym

