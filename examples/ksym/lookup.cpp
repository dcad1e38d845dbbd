// ksym lookup IMAGE --system-map MAP NAME|0xADDR: one symbol, as
// `ADDR TYPE NAME+0xOFF/0xSIZE` (a name's offset is 0).
#include <cinttypes>
#include <cstdio>
#include <optional>
#include <span>
#include <string_view>

#include "cli.hpp"
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
    const ksym::status s = img.with_table([&](auto& table) -> ksym::status {
        if (by_address) {
            if (!addr) return ksym::status{ksym::errc::not_found};
            auto r = table.find_by_address(*addr, std::span(name));
            if (!r) return r.error();
            m = *r;
        } else {
            auto r = table.find_by_name(query, std::span(name));
            if (!r) return r.error();
            m.sym = *r;
        }
        return {};
    });
    if (s == ksym::errc::not_found) {
        std::fprintf(stderr, "ksym: %s: no symbol %s\n", a.image, a.query);
        return exit_not_found;
    }
    if (!s) return fail(a.image, "kallsyms table unreadable", s);
    std::printf("%0*" PRIx64 " %c %.*s+0x%" PRIx64 "/0x%" PRIx64 "\n", address_digits(img.kallsyms()), m.sym.address,
                m.sym.type, int(m.sym.name.size()), m.sym.name.data(), m.offset, m.sym.size);
    return 0;
}

}  // namespace ksym_cli
