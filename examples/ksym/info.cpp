// ksym info IMAGE [--system-map MAP]: what was found, where and by which
// evidence, and how the table is encoded (the resolved kallsyms_format).
#include <cinttypes>
#include <cstdio>
#include <optional>
#include <string_view>

#include "cli.hpp"
#include "ksym/arch/dispatch.hpp"
#include "ksym/image/detect.hpp"
#include "ksym/kallsyms/format.hpp"
#include "ksym/pipeline/crash_dump.hpp"
#include "ksym/pipeline/kernel_image.hpp"

namespace ksym_cli {

namespace {

void field(const char* key, std::string_view value) {
    std::printf("%s: %.*s\n", key, int(value.size()), value.data());
}

}  // namespace

int info(const image_args& a) {
    kernel_source src;
    if (const int rc = open_source(a, src)) return rc;
    // Open the table too: info on a table that does not open would mislead.
    std::uint32_t count = 0;
    const ksym::status s = src.with_table([&](auto& table) {
        count = table.size();
        return ksym::status{};
    });
    if (!s) return fail(a.image, "kallsyms table unreadable", s);

    const ksym::kallsyms_format& f = src.kallsyms();
    if (src.dump) {
        const auto& d = *src.dump;
        const ksym::vmcoreinfo_facts& v = d.vmcoreinfo();
        field("format", to_string(d.format()));
        if (d.format() == ksym::dump_format::elf) field("producer", to_string(d.core().producer()));
        else std::printf("kdump: version %u, %u-byte blocks%s\n", d.kdump().header_version(), d.kdump().block_size(),
                         d.kdump().incomplete() ? ", incomplete" : "");
        field("arch", to_string(d.arch()));
        field("osrelease", v.osrelease);
        std::printf("cpus: %zu\n", d.cpus());
        std::printf("page_size: %" PRIu64 "\n", v.page_size.value_or(0));
        std::printf("paging: %u levels, %u-bit VA\n", d.levels(), d.va_bits());
        std::printf("kaslr_offset: 0x%" PRIx64 "\n", v.kernel_offset.value_or(0));
        std::printf("phys_base: 0x%" PRIx64 "\n", v.phys_base.value_or(0));
    } else {
        const ksym::kernel_image& img = *src.image;
        if (!current_kernel().chain().empty()) current_kernel().describe(stdout);
        field("format", to_string(img.format()));
        field("arch", to_string(img.arch()));
        if (const ksym::kallsyms_scan* sc = img.scan()) {
            std::printf("located: by scanning (no map); checks held:");
            for (std::uint16_t b = 1; b != 0; b = static_cast<std::uint16_t>(b << 1)) {
                const auto c = static_cast<ksym::scan_check>(b);
                if (sc->passed(c)) std::printf(" %s", to_string(c).data());
            }
            std::printf("\n");
            const ksym::load_address& p = img.placement();
            if (p.evidence == ksym::load_evidence::elf_segments) {
                field("placed_by", "elf-segments");
            } else {
                std::printf("base: 0x%" PRIx64 " (%s", p.base, to_string(p.evidence).data());
                if (p.votes != 0) std::printf(": %u votes, runner-up %u", p.votes, p.runner_up);
                std::printf(")\n");
            }
        } else {
            field("located", "System.map");
        }
        const ksym::kallsyms_layout& l = f.layout;
        const auto arr = [](const char* name, std::optional<std::uint64_t> at) {
            if (at) std::printf("%s: 0x%" PRIx64 "\n", name, *at);
        };
        arr("kallsyms_num_syms", l.num_syms);
        arr("kallsyms_names", l.names);
        arr("kallsyms_markers", l.markers);
        arr("kallsyms_token_table", l.token_table);
        arr("kallsyms_token_index", l.token_index);
        arr("kallsyms_addresses", l.addresses);
        arr("kallsyms_offsets", l.offsets);
        arr("kallsyms_relative_base", l.relative_base);
        arr("kallsyms_seqs_of_names", l.seqs_of_names);
    }
    std::printf("symbols: %" PRIu32 "\n", count);
    field("encoding", to_string(f.encoding));
    if (f.encoding == ksym::address_encoding::base_relative || f.encoding == ksym::address_encoding::absolute_percpu) {
        const std::string_view from = to_string(f.base_from);
        std::printf("relative_base: 0x%" PRIx64 " (%.*s)\n", f.relative_base, int(from.size()), from.data());
    }
    if (f.marker_bytes == 0) std::printf("markers: derived\n");
    else std::printf("markers: %u bytes\n", unsigned{f.marker_bytes});
    field("seqs_of_names", f.seq_bytes != 0 ? "yes" : "no");
    return 0;
}

}  // namespace ksym_cli
