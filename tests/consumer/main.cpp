// A downstream program: encodes a small table, then runs the whole pipeline
// on it (resolve, open in place, iterate, look up by name and address) and
// checks every answer, so an installed copy that cannot decode fails here.
#include <ksym.hpp>

#include <cstdio>
#include <string_view>
#include <vector>

int main() {
    const std::vector<ksym::encoder_symbol> syms = {{0xffff800080000000ull, 'T', "_text"},
                                                    {0xffff800080001000ull, 't', "do_thing"},
                                                    {0xffff800080001800ull, 'T', "vfs_read"},
                                                    {0xffff800080400000ull, 'D', "init_task"}};
    ksym::encoder_options eo;
    eo.base = 0xffff800081000000ull;
    auto enc = ksym::encode_kallsyms(syms, eo);
    if (!enc) return 1;
    ksym::buffer_reader mem(enc->blob, enc->base);
    auto fmt = ksym::resolve_format<ksym::arch::arm64>(mem, enc->layout);
    if (!fmt || !(*fmt == enc->format)) return 2;
    static ksym::kallsyms_table<ksym::buffer_reader, ksym::arch::arm64> table;
    if (!table.open(mem, *fmt)) return 3;
    ksym::name_buffer name;
    std::size_t i = 0;
    bool same = true;
    if (!table.for_each(name, [&](const ksym::symbol& s) {
            same = same && s.address == syms[i].address && s.type == syms[i].type && s.name == syms[i].name;
            ++i;
        }))
        return 4;
    auto by_name = table.find_by_name("vfs_read", name);
    if (!same || i != syms.size() || !by_name || by_name->address != 0xffff800080001800ull || by_name->size != 0x3fe800)
        return 5;
    auto hit = table.find_by_address(0xffff800080001004ull, name);
    if (!hit || hit->sym.name != "do_thing" || hit->offset != 4 || hit->sym.size != 0x800) return 6;
    std::printf("consumer ok: %.*s+%#llx\n", int(hit->sym.name.size()), hit->sym.name.data(),
                static_cast<unsigned long long>(hit->offset));
    return 0;
}
