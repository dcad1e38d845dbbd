// README's main snippet, built and run: the three stages on a table this
// program encodes, with the System.map text a kernel build would write.
// [readme:pipeline]
#include <ksym.hpp>

#include <cstdio>

// The symbol at `addr`, from the kernel memory `mem` and its System.map text.
int show(ksym::buffer_reader& mem, std::string_view system_map, std::uint64_t addr) {
    using table_type = ksym::kallsyms_table<ksym::buffer_reader, ksym::arch::x86_64>;
    auto where = ksym::locate_in_system_map(system_map);              // 1. where the arrays are
    if (!where) return 1;
    auto format = ksym::resolve_format<ksym::arch::x86_64>(mem, where->layout);  // 2. how to read them
    if (!format) return 1;
    static table_type table;                                          // ~80 KiB: opened in place
    if (!table.open(mem, *format)) return 1;                          // 3. the table
    ksym::name_buffer name;                                           // names land here; nothing allocates
    auto hit = table.find_by_address(addr, name);                     // ->sym {address, size, type, name}, ->offset
    if (!hit) return 1;
    std::printf("%s+%#llx/%#llx\n", hit->sym.name.data(), (unsigned long long)hit->offset,
                (unsigned long long)hit->sym.size);
    auto sym = table.find_by_name("vfs_read", name);                  // the same symbol type
    return sym && sym->type == 'T' ? 0 : 1;
}
// [/readme:pipeline]

int main() {
    const std::vector<ksym::encoder_symbol> syms = {
        {0xffffffff81000000ull, 'T', "_text"}, {0xffffffff81002600ull, 'T', "vfs_read"},
        {0xffffffff81002900ull, 'T', "vfs_write"}, {0xffffffff82000000ull, 'D', "init_task"}};
    ksym::encoder_options eo;
    eo.base = 0xffffffff82400000ull;
    auto enc = ksym::encode_kallsyms(syms, eo);
    if (!enc) return 2;
    ksym::buffer_reader mem(enc->blob, enc->base);
    // The System.map lines of the arrays, as the kernel's build writes them.
    std::string map;
    auto line = [&](std::uint64_t a, const char* n) {
        char buf[128];
        std::snprintf(buf, sizeof buf, "%016llx R %s\n", (unsigned long long)a, n);
        map += buf;
    };
    const auto& l = enc->layout;
    line(*l.offsets, "kallsyms_offsets");
    line(*l.relative_base, "kallsyms_relative_base");
    line(l.num_syms, "kallsyms_num_syms");
    line(l.names, "kallsyms_names");
    line(*l.markers, "kallsyms_markers");
    line(l.token_table, "kallsyms_token_table");
    line(l.token_index, "kallsyms_token_index");
    line(*l.seqs_of_names, "kallsyms_seqs_of_names");
    return show(mem, map, 0xffffffff81002642ull);
}
