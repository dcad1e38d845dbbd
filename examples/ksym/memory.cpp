// ksym translate VMCORE 0xVADDR: where a virtual address lands, and how.
// ksym read VMCORE 0xVADDR LEN: kernel memory as a hex dump.
#include <array>
#include <cctype>
#include <cinttypes>
#include <cstdio>
#include <optional>
#include <string_view>

#include "cli.hpp"
#include "ksym/text/nm_text.hpp"

namespace ksym_cli {

namespace {

std::optional<std::uint64_t> parse_number(std::string_view s) {
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) return ksym::parse_hex(s.substr(2));
    std::uint64_t v = 0;
    if (s.empty() || s.size() > 19) return std::nullopt;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return v;
}

// Opens `a.image`, which must be a crash dump.
int open_dump_only(const image_args& a, kernel_source& src) {
    if (const int rc = open_source(a, src)) return rc;
    if (!src.dump) return fail(a.image, "not a crash dump: translate and read need one");
    return 0;
}

}  // namespace

int translate(const image_args& a) {
    const auto va = parse_number(a.query);
    if (!va) return usage();
    kernel_source src;
    if (const int rc = open_dump_only(a, src)) return rc;
    auto t = src.dump->translate(*va);
    if (!t) {
        if (t.error() == ksym::errc::unmapped) {
            std::fprintf(stderr, "ksym: %s: 0x%" PRIx64 " is not mapped\n", a.image, *va);
            return exit_not_found;
        }
        return fail(a.image, "page tables unreadable", t.error());
    }
    std::printf("0x%016" PRIx64 " -> 0x%" PRIx64 " (%s, level %u, page 0x%" PRIx64 ")\n", *va, t->physical,
                t->direct ? "kernel image, no walk" : "walked", unsigned{t->level}, t->page_size);
    return 0;
}

int read(const image_args& a, const char* length) {
    const auto va = parse_number(a.query);
    const auto len = parse_number(length);
    if (!va || !len || *len == 0 || *len > (1u << 20)) return usage();
    kernel_source src;
    if (const int rc = open_dump_only(a, src)) return rc;
    ksym::reader_ref mem = src.dump->reader();
    for (std::uint64_t off = 0; off < *len; off += 16) {
        std::array<std::byte, 16> line{};
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(16, *len - off));
        if (ksym::status s = mem.read(*va + off, std::span(line).first(n)); !s) {
            if (s == ksym::errc::unmapped) {
                std::fprintf(stderr, "ksym: %s: 0x%" PRIx64 " is not mapped\n", a.image, s.address());
                return exit_not_found;
            }
            return fail(a.image, "memory unreadable", s);
        }
        std::printf("%016" PRIx64 ":", *va + off);
        for (std::size_t i = 0; i < 16; ++i) {
            if (i < n) std::printf(" %02x", static_cast<unsigned>(line[i]));
            else std::printf("   ");
        }
        std::printf("  |");
        for (std::size_t i = 0; i < n; ++i) {
            const int c = static_cast<int>(line[i]);
            std::putchar(std::isprint(c) ? c : '.');
        }
        std::printf("|\n");
    }
    return 0;
}

}  // namespace ksym_cli
