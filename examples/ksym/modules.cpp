// ksym modules VMCORE: the loaded modules of a crash dump, one line each as
// /proc/modules gives name, size, state and address, then the number of
// named symbols in its table; before them, where the BTF and the list head
// were found.
#include <cinttypes>
#include <cstdio>
#include <memory>
#include <type_traits>

#include "cli.hpp"
#include "modules.hpp"

namespace ksym_cli {

int modules(const image_args& a) {
    if (!is_dump_file(a.image)) return fail(a.image, "module symbols are read from crash dumps (and /proc/kallsyms)");
    kernel_source img;
    if (const int rc = open_source(a, img)) return rc;
    std::string out, note;
    const ksym::status s = img.with_table([&](auto& table) -> ksym::status {
        using arch = typename std::decay_t<decltype(table)>::arch_type;
        auto ctx = std::make_unique<module_context<arch>>();
        if (const ksym::status m = ctx->open(*img.dump, table); !m) {
            note = ctx->failure;
            return m;
        }
        char line[256];
        const auto& L = ctx->layout;
        std::snprintf(line, sizeof line, "# btf: %#" PRIx64 ", %" PRIu64 " bytes (%s)\n# layout: %s, letters from %s\n# list head: %#" PRIx64 " (%s)\n",
                      ctx->btf_at.value.address, ctx->btf_at.value.size, std::string(ksym::to_string(ctx->btf_at.by)).c_str(),
                      std::string(ksym::to_string(L.era)).c_str(), std::string(ksym::to_string(ctx->mods.letters())).c_str(),
                      ctx->head.value, std::string(ksym::to_string(ctx->head.by)).c_str());
        out += line;
        const auto storage = ctx->storage();
        for (const ksym::module_info& m : ctx->mods.modules()) {
            std::uint64_t size = 0;
            for (const auto& r : m.memory()) size += r.size;
            ksym::module_symbols<ksym::reader_ref, arch> t;
            if (ksym::status st = ctx->mods.table(m, storage, t); !st) {
                note = "the symbol table of module " + std::string(m.name()) + " is unreadable";
                return st;
            }
            std::uint32_t named = 0;
            if (ksym::status st = t.for_each([&](const ksym::symbol&) { ++named; }); !st) {
                note = "the symbol table of module " + std::string(m.name()) + " is corrupt";
                return st;
            }
            const std::uint64_t base = m.range_count ? m.ranges[0].base : 0;
            std::snprintf(line, sizeof line, "%.*s %" PRIu64 " %s 0x%0*" PRIx64 " %" PRIu32 "\n", int(m.name().size()),
                          m.name().data(), size, state_name(L, m.state), address_digits(img.kallsyms()), base, named);
            out += line;
        }
        return {};
    });
    if (!s) return fail(a.image, note.empty() ? "kallsyms table unreadable" : note.c_str(), s);
    std::fwrite(out.data(), 1, out.size(), stdout);
    return 0;
}

}  // namespace ksym_cli
