// ksym: decode a kernel's built-in kallsyms table from an image file.
//
//   ksym dump IMAGE --system-map MAP            the whole table, /proc/kallsyms format
//   ksym lookup IMAGE --system-map MAP SYMBOL   ADDR TYPE NAME+0xOFF/0xSIZE
//   ksym lookup IMAGE --system-map MAP 0xADDR
//   ksym info IMAGE --system-map MAP            what was found and how it is encoded
//   ksym demo                                   the same on a table bundled in the program
//   ksym nm-type LETTER | ksym st-info BYTE     the translator
//
// IMAGE is an ELF vmlinux (stripped is fine) or a raw arm64/riscv Image. Bad
// input prints one line naming the file and the problem and exits 2.
#include <array>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "ksym.hpp"
#include "ksym/image/kernel_image.hpp"
#include "ksym/kallsyms/encoder.hpp"

namespace {

constexpr int exit_bad_input = 2;

int fail(std::string_view file, std::string_view what, ksym::status s = {}) {
    if (s.ok()) {
        std::fprintf(stderr, "ksym: %.*s: %.*s\n", int(file.size()), file.data(), int(what.size()), what.data());
    } else {
        const auto code = ksym::to_string(s.code());
        std::fprintf(stderr, "ksym: %.*s: %.*s: %.*s at 0x%" PRIx64 "\n", int(file.size()), file.data(),
                     int(what.size()), what.data(), int(code.size()), code.data(), s.address());
    }
    return exit_bad_input;
}

bool read_file(const char* path, std::string& out) {
    std::FILE* f = std::fopen(path, "rb");
    if (!f) return false;
    char buf[65536];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
    const bool ok = !std::ferror(f);
    std::fclose(f);
    return ok;
}

int address_digits(ksym::arch_id a) {
    switch (a) {
    case ksym::arch_id::i386:
    case ksym::arch_id::arm:
    case ksym::arch_id::generic32le:
    case ksym::arch_id::generic32be: return 8;
    default: return 16;
    }
}

// /proc/kallsyms: address padded to the word size, type, name. The whole
// listing is built first, so a table that turns out corrupt half-way prints
// nothing but the error.
template <class Table>
ksym::status dump(Table& table, int digits) {
    std::array<char, ksym::ksym_name_len> name{};
    std::string out;
    out.reserve(std::size_t{table.size()} * 48);
    const ksym::status s = table.for_each(std::span(name), [&](const ksym::kallsyms_symbol& sym) {
        char line[ksym::ksym_name_len + 40];
        const int n = std::snprintf(line, sizeof line, "%0*" PRIx64 " %c %.*s\n", digits, sym.address, sym.type,
                                    int(sym.name.size()), sym.name.data());
        out.append(line, static_cast<std::size_t>(n));
    });
    if (s) std::fwrite(out.data(), 1, out.size(), stdout);
    return s;
}

template <class Table>
ksym::status lookup(Table& table, std::string_view query, int digits) {
    std::array<char, ksym::ksym_name_len> name{};
    ksym::address_match m;
    if (query.size() > 2 && query[0] == '0' && (query[1] == 'x' || query[1] == 'X')) {
        const auto addr = ksym::parse_hex(query.substr(2));
        if (!addr) return ksym::status{ksym::errc::invalid_argument};
        auto r = table.find_by_address(*addr);
        if (!r) return r.error();
        m = *r;
    } else {
        auto r = table.find_by_name(query, std::span(name));
        if (!r) return r.error();
        auto a = table.find_by_address(r->address);
        if (!a) return a.error();
        m = *a;
        m.index = r->index;  // the named symbol, not necessarily the first alias
    }
    auto sym = table.at(m.index, std::span(name));
    if (!sym) return sym.error();
    std::printf("%0*" PRIx64 " %c %.*s+0x%" PRIx64 "/0x%" PRIx64 "\n", digits, sym->address, sym->type,
                int(sym->name.size()), sym->name.data(), m.offset, m.size);
    return {};
}

struct args {
    std::string_view cmd;
    const char* image = nullptr;
    const char* map = nullptr;
    const char* query = nullptr;
};

int usage() {
    std::fprintf(stderr,
                 "usage: ksym dump IMAGE --system-map MAP\n"
                 "       ksym lookup IMAGE --system-map MAP NAME|0xADDR\n"
                 "       ksym info IMAGE --system-map MAP\n"
                 "       ksym demo | ksym nm-type LETTER | ksym st-info BYTE\n");
    return exit_bad_input;
}

int run_image(const args& a) {
    std::string map_text;
    if (!read_file(a.map, map_text)) return fail(a.map, std::strerror(errno));
    static ksym::kernel_image img;  // pinned; large, so not on the stack
    if (ksym::status s = img.open(a.image, map_text); !s) {
        switch (img.failed_stage()) {
        case ksym::image_stage::map:
            return fail(a.map, s == ksym::errc::not_found ? "no kallsyms symbols in the map" : "bad symbol map", s);
        case ksym::image_stage::image:
            if (s == ksym::errc::io_error) return fail(a.image, std::strerror(static_cast<int>(s.address())));
            return fail(a.image, "not a kernel image (neither ELF nor a raw arm64/riscv Image)", s);
        case ksym::image_stage::kallsyms: return fail(a.image, "kallsyms table unreadable", s);
        }
    }
    const int digits = address_digits(img.arch());
    const ksym::status s = img.with_table([&](auto& table) -> ksym::status {
        if (a.cmd == "dump") return dump(table, digits);
        if (a.cmd == "lookup") {
            const ksym::status r = lookup(table, a.query, digits);
            if (r == ksym::errc::not_found || r == ksym::errc::invalid_argument) {
                std::fprintf(stderr, "ksym: %s: no symbol %s\n", a.image, a.query);
                return ksym::status{ksym::errc::not_found, 1};
            }
            return r;
        }
        const std::string_view arch = to_string(img.arch());
        std::printf("format: %.*s\narch: %.*s\nsymbols: %u\nencoding: %.*s\n", int(img.format().size()),
                    img.format().data(), int(arch.size()), arch.data(), table.size(),
                    int(to_string(table.encoding()).size()), to_string(table.encoding()).data());
        if (table.encoding() == ksym::address_encoding::base_relative ||
            table.encoding() == ksym::address_encoding::absolute_percpu)
            std::printf("relative_base: 0x%" PRIx64 " (%.*s)\n", table.relative_base(),
                        int(to_string(img.relative_base_source()).size()), to_string(img.relative_base_source()).data());
        std::printf("markers: %u bytes\nseqs_of_names: %s\n", unsigned(table.marker_bytes()),
                    img.layout().seqs_of_names ? "yes" : "no");
        return {};
    });
    if (s == ksym::status{ksym::errc::not_found, 1}) return 1;
    if (!s) return fail(a.image, "kallsyms table unreadable", s);
    return 0;
}

// A small table encoded at start-up: the decoder runs on it exactly as on a
// kernel image, so `ksym demo` shows the real job with nothing to download.
int demo() {
    std::vector<ksym::encoder_symbol> syms = {
        {0xffffffff81000000ull, 'T', "_stext"},         {0xffffffff81000000ull, 'T', "_text"},
        {0xffffffff81001000ull, 'T', "do_one_initcall"}, {0xffffffff81001400ull, 't', "run_init_process"},
        {0xffffffff81002000ull, 'T', "schedule"},        {0xffffffff81002600ull, 'T', "vfs_read"},
        {0xffffffff81002900ull, 'T', "vfs_write"},       {0xffffffff82000000ull, 'D', "init_task"},
        {0xffffffff82100000ull, 'B', "jiffies_64"},      {0xffffffff82200000ull, 'R', "linux_banner"},
    };
    ksym::encoder_options eo;
    eo.encoding = ksym::address_encoding::base_relative;
    eo.base = 0xffffffff82400000ull;
    auto enc = ksym::encode_kallsyms(syms, eo);
    if (!enc) return fail("demo", "encoding failed", enc.error());
    ksym::buffer_reader mem(enc->blob, enc->base);
    auto table = ksym::kallsyms_table<ksym::buffer_reader, ksym::arch::x86_64>::open(mem, enc->layout);
    if (!table) return fail("demo", "decoding failed", table.error());
    std::printf("# bundled table: %u symbols, %.*s addresses\n", table->size(),
                int(to_string(table->encoding()).size()), to_string(table->encoding()).data());
    if (auto s = dump(*table, 16); !s) return fail("demo", "dump failed", s);
    std::printf("# lookup vfs_read\n");
    if (auto s = lookup(*table, "vfs_read", 16); !s) return fail("demo", "lookup failed", s);
    std::printf("# lookup 0xffffffff81002123\n");
    if (auto s = lookup(*table, "0xffffffff81002123", 16); !s) return fail("demo", "lookup failed", s);
    std::printf("# %zu reader calls in all\n", table->reader_calls());
    return 0;
}

void print_attrs(const ksym::symbol_attrs& a) {
    constexpr const char* b[] = {"unknown", "local", "global", "weak", "unique"};
    constexpr const char* k[] = {"unknown", "object", "func", "section", "file", "common", "tls", "ifunc"};
    constexpr const char* s[] = {"unknown", "undefined", "absolute", "common", "text", "data", "rodata",
                                 "bss", "small_data", "small_bss", "debug", "stack_unwind", "indirect"};
    std::printf("binding=%s kind=%s section=%s\n", b[int(a.binding)], k[int(a.kind)], s[int(a.section)]);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) return usage();
    args a;
    a.cmd = argv[1];
    if (a.cmd == "demo") return demo();
    if (a.cmd == "nm-type" && argc == 3 && std::strlen(argv[2]) == 1) {
        print_attrs(ksym::from_nm_type(argv[2][0]));
        return 0;
    }
    if (a.cmd == "st-info" && argc == 3) {
        char* end = nullptr;
        const unsigned long v = std::strtoul(argv[2], &end, 0);
        if (end == argv[2] || *end != '\0' || v > 255) return usage();
        print_attrs(ksym::from_st_info(static_cast<std::uint8_t>(v)));
        return 0;
    }
    if (a.cmd != "dump" && a.cmd != "lookup" && a.cmd != "info") return usage();
    std::vector<const char*> pos;
    for (int i = 2; i < argc; ++i) {
        if (std::strcmp(argv[i], "--system-map") == 0 && i + 1 < argc) a.map = argv[++i];
        else pos.push_back(argv[i]);
    }
    if (!a.map || pos.empty()) return usage();
    a.image = pos[0];
    if (a.cmd == "lookup") {
        if (pos.size() != 2) return usage();
        a.query = pos[1];
    } else if (pos.size() != 1) {
        return usage();
    }
    return run_image(a);
}
