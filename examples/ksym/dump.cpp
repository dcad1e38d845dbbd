// ksym dump IMAGE --system-map MAP | VMCORE: the whole table in /proc/kallsyms
// format; for a crash dump, the loaded modules' symbols after it, as the
// kernel lists them.
#include <cinttypes>
#include <cstdio>
#include <span>
#include <memory>
#include <string>
#include <type_traits>

#include "cli.hpp"
#include "modules.hpp"
#include "ksym/pipeline/kernel_image.hpp"
#include "ksym/symbols/symbol.hpp"

namespace ksym_cli {

int dump(const image_args& a) {
    kernel_source img;
    if (const int rc = open_source(a, img)) return rc;
    const int digits = address_digits(img.kallsyms());
    // The whole listing is built first, so a table that turns out corrupt
    // half-way prints nothing but the error.
    line_buffer out;
    std::string module_note;
    bool modules_failed = false;
    const ksym::status s = img.with_table([&](auto& table) -> ksym::status {
        ksym::name_buffer name;
        out.reserve(table.size());
        const ksym::status b = table.for_each(std::span(name), [&](const ksym::symbol& sym) { out.add(sym, digits); });
        if (!b || !img.dump) return b;
        using arch = typename std::decay_t<decltype(table)>::arch_type;
        auto ctx = std::make_unique<module_context<arch>>();
        if (const ksym::status m = ctx->open(*img.dump, table); !m) {
            module_note = ctx->failure + " (" + std::string(ksym::to_string(m.code())) + ")";
            return {};
        }
        const ksym::status m = ctx->mods.for_each(ctx->storage(), [&](const ksym::symbol& sym) { out.add(sym, digits); });
        if (!m) {
            modules_failed = true;
            module_note = "module symbols unreadable";
            return m;
        }
        return {};
    });
    if (!s) return fail(a.image, modules_failed ? module_note.c_str() : "kallsyms table unreadable", s);
    out.write(stdout);
    if (!module_note.empty()) std::fprintf(stderr, "ksym: %s: no module symbols: %s\n", a.image, module_note.c_str());
    return 0;
}

}  // namespace ksym_cli
