// ksym dump IMAGE --system-map MAP: the whole table in /proc/kallsyms format.
#include <cinttypes>
#include <cstdio>
#include <span>
#include <string>

#include "cli.hpp"
#include "ksym/pipeline/kernel_image.hpp"
#include "ksym/symbols/symbol.hpp"

namespace ksym_cli {

int dump(const image_args& a) {
    kernel_source img;
    if (const int rc = open_source(a, img)) return rc;
    const int digits = address_digits(img.kallsyms());
    // The whole listing is built first, so a table that turns out corrupt
    // half-way prints nothing but the error.
    std::string out;
    const ksym::status s = img.with_table([&](auto& table) {
        ksym::name_buffer name;
        out.reserve(std::size_t{table.size()} * 48);
        return table.for_each(std::span(name), [&](const ksym::symbol& sym) {
            char line[ksym::name_buffer_size + 40];
            const int n = std::snprintf(line, sizeof line, "%0*" PRIx64 " %c %.*s\n", digits, sym.address, sym.type,
                                        int(sym.name.size()), sym.name.data());
            out.append(line, static_cast<std::size_t>(n));
        });
    });
    if (!s) return fail(a.image, "kallsyms table unreadable", s);
    std::fwrite(out.data(), 1, out.size(), stdout);
    return 0;
}

}  // namespace ksym_cli
