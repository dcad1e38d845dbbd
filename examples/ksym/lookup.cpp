// ksym lookup IMAGE --system-map MAP NAME|0xADDR, or VMCORE NAME|module:NAME|0xADDR:
// one symbol, as `ADDR TYPE NAME+0xOFF/0xSIZE`, with ` [module]` for a
// module's (a name's offset is 0). In a crash dump an address inside a
// module is answered from that module, and a name the kernel image lacks
// is looked for in the modules.
#include <cinttypes>
#include <cstdio>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "cli.hpp"
#include "modules.hpp"
#include "ksym/pipeline/kernel_image.hpp"
#include "ksym/symbols/symbol.hpp"
#include "ksym/text/nm_text.hpp"

namespace ksym_cli {

int lookup(const image_args& a) {
    kernel_source img;
    if (const int rc = open_source(a, img)) return rc;
    const std::string_view query = a.query;
    // 0x and hex digits: an address (one that does not parse matches nothing); anything else: a name.
    const bool by_address = query.size() > 2 && query[0] == '0' && (query[1] == 'x' || query[1] == 'X');
    const std::optional<std::uint64_t> addr = by_address ? ksym::parse_hex(query.substr(2)) : std::nullopt;

    ksym::name_buffer name;
    ksym::address_match m;  // a name's match: the symbol itself at offset 0
    std::string note;
    const ksym::status s = img.with_table([&](auto& table) -> ksym::status {
        using arch = typename std::decay_t<decltype(table)>::arch_type;
        static module_context<arch> ctx;  // large, and pinned: m.sym's views point into it
        // The modules of a dump, opened once and only when a query needs them.
        std::optional<ksym::status> opened;
        const auto modules = [&] {
            if (!opened) opened = img.dump ? ctx.open(*img.dump, table) : ksym::status{ksym::errc::not_found};
            return *opened;
        };
        ksym::module_symbols<ksym::reader_ref, arch> t;
        const auto colon = query.find(':');
        if (colon != std::string_view::npos && !by_address && img.dump) {  // module:NAME
            if (const ksym::status o = modules(); !o) {
                note = ctx.failure;
                return o;
            }
            auto r = ctx.mods.find_by_name(query.substr(0, colon), query.substr(colon + 1), ctx.storage(), t);
            if (!r) return r.error();
            m.sym = *r;
            return {};
        }
        if (by_address) {
            if (!addr) return ksym::status{ksym::errc::not_found};
            // An address inside a module is that module's; others the image's.
            if (img.dump && modules().ok() && ctx.mods.module_at(*addr)) {
                auto r = ctx.mods.find_by_address(*addr, ctx.storage(), t);
                if (!r) return r.error();
                m = *r;
                return {};
            }
            auto r = table.find_by_address(*addr, std::span(name));
            if (!r) return r.error();
            m = *r;
            return {};
        }
        auto r = table.find_by_name(query, std::span(name));
        if (r) {
            m.sym = *r;
            return {};
        }
        // A name the image lacks may be a module's.
        if (r.error() != ksym::errc::not_found || !img.dump || !modules().ok()) return r.error();
        auto mr = ctx.mods.find_by_name({}, query, ctx.storage(), t);
        if (!mr) return mr.error();
        m.sym = *mr;
        return {};
    });
    if (s == ksym::errc::not_found) {
        std::fprintf(stderr, "ksym: %s: no symbol %s\n", a.image, a.query);
        return exit_not_found;
    }
    if (!s) return fail(a.image, note.empty() ? "kallsyms table unreadable" : note.c_str(), s);
    std::printf("%0*" PRIx64 " %c %.*s+0x%" PRIx64 "/0x%" PRIx64, address_digits(img.kallsyms()), m.sym.address,
                m.sym.type, int(m.sym.name.size()), m.sym.name.data(), m.offset, m.sym.size);
    if (!m.sym.module.empty()) std::printf(" [%.*s]", int(m.sym.module.size()), m.sym.module.data());
    std::printf("\n");
    return 0;
}

}  // namespace ksym_cli
