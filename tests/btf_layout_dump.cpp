// Prints the module layout ksym reads from a BTF file, as lines
//   struct NAME MEMBER[.MEMBER][[]] VALUE   (byte offset; [] = array length; sizeof)
//   enum ENUMERATOR VALUE
// for tests/check_btf_bpftool.sh to compare with bpftool's own reading.
//   btf_layout_dump [FILE]   (default /sys/kernel/btf/vmlinux)
#include <cstdio>
#include <fstream>
#include <iterator>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ksym/btf/btf.hpp"
#include "ksym/btf/query.hpp"
#include "ksym/modules/layout.hpp"

int main(int argc, char** argv) {
    const char* path = argc > 1 ? argv[1] : "/sys/kernel/btf/vmlinux";
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        std::fprintf(stderr, "cannot read %s\n", path);
        return 2;
    }
    const std::vector<char> raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::span<const std::byte> blob(reinterpret_cast<const std::byte*>(raw.data()), raw.size());
    ksym::btf b;
    if (const auto s = b.open_any_order(blob, sizeof(void*)); !s) {
        std::fprintf(stderr, "%s: %s at %llu\n", path, ksym::to_string(s.code()).data(),
                     static_cast<unsigned long long>(s.address()));
        return 1;
    }
    const auto r = ksym::module_layout_from_btf(b);
    if (!r) {
        std::fprintf(stderr, "%s: no module layout: %s\n", path, ksym::to_string(r.error().code()).data());
        return 1;
    }
    const ksym::module_layout& L = *r;
    auto out = [](const char* s, const char* m, std::int64_t v) { std::printf("struct %s %s %lld\n", s, m, static_cast<long long>(v)); };
    auto opt = [&](const char* s, const char* m, const std::optional<std::uint32_t>& v) {
        if (v) out(s, m, *v);
    };
    auto en = [](const char* e, std::int64_t v) { std::printf("enum %s %lld\n", e, static_cast<long long>(v)); };
    std::printf("# era %s\n", ksym::to_string(L.era).data());
    out("module", "sizeof", L.module_size);
    out("module", "state", L.state);
    out("module", "list", L.list);
    out("module", "name", L.name);
    out("module", "name[]", L.name_len);
    out("module", "syms", L.syms);
    out("module", "num_syms", L.num_syms);
    opt("module", "gpl_syms", L.gpl_syms);
    opt("module", "num_gpl_syms", L.num_gpl_syms);
    opt("module", "kallsyms", L.kallsyms);
    opt("module", "core_kallsyms", L.core_kallsyms);
    switch (L.era) {
    case ksym::module_layout_era::mem_array:
        out("module", "mem", L.mem.offset);
        out("module", "mem[]", L.mem.count);
        out("module_memory", "sizeof", L.mem.stride);
        out("module_memory", "base", L.mem.base);
        out("module_memory", "size", L.mem.size);
        if (L.mem.types_from_btf) {
            const auto& t = L.mem.types;
            en("MOD_TEXT", t.text), en("MOD_DATA", t.data), en("MOD_RODATA", t.rodata);
            en("MOD_RO_AFTER_INIT", t.ro_after_init), en("MOD_INIT_TEXT", t.init_text);
            en("MOD_INIT_DATA", t.init_data), en("MOD_INIT_RODATA", t.init_rodata), en("MOD_MEM_NUM_TYPES", t.num_types);
        }
        break;
    case ksym::module_layout_era::core_layout:
        out("module", "core_layout.base", L.core.base), out("module", "core_layout.size", L.core.size);
        out("module", "init_layout.base", L.init.base), out("module", "init_layout.size", L.init.size);
        if (L.data) out("module", "data_layout.base", L.data->base), out("module", "data_layout.size", L.data->size);
        break;
    case ksym::module_layout_era::module_core:
        out("module", "module_core", L.core.base), out("module", "core_size", L.core.size);
        out("module", "module_init", L.init.base), out("module", "init_size", L.init.size);
        break;
    }
    const char* ks = L.kallsyms ? "mod_kallsyms" : "module";
    out(ks, "symtab", L.symbols.symtab);
    out(ks, "num_symtab", L.symbols.num_symtab);
    out(ks, "strtab", L.symbols.strtab);
    opt(ks, "typetab", L.symbols.typetab);
    if (L.kallsyms) out(ks, "sizeof", L.symbols.size);
    const char* sym = L.pointer_bytes == 4 ? "elf32_sym" : "elf64_sym";
    if (ksym::find_struct(b, sym)) {
        const auto& e = L.elf_sym;
        out(sym, "sizeof", e.size), out(sym, "st_name", e.st_name), out(sym, "st_info", e.st_info);
        out(sym, "st_other", e.st_other), out(sym, "st_shndx", e.st_shndx), out(sym, "st_value", e.st_value);
        out(sym, "st_size", e.st_size);
    }
    const auto& k = L.kernel_symbol;
    std::printf("# kernel_symbol %s\n", ksym::to_string(k.form).data());
    if (k.form != ksym::kernel_symbol_form::unknown) {
        const bool rel = k.form == ksym::kernel_symbol_form::prel32;
        out("kernel_symbol", "sizeof", k.size);
        out("kernel_symbol", rel ? "value_offset" : "value", k.value);
        out("kernel_symbol", rel ? "name_offset" : "name", k.name);
        opt("kernel_symbol", rel ? "namespace_offset" : "namespace", k.namespace_);
    }
    out("list_head", "next", L.list_head.next);
    out("list_head", "prev", L.list_head.prev);
    en("MODULE_STATE_LIVE", L.states.live), en("MODULE_STATE_COMING", L.states.coming);
    en("MODULE_STATE_GOING", L.states.going), en("MODULE_STATE_UNFORMED", L.states.unformed);
    return 0;
}
