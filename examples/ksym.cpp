// ksym: the command-line face of the library.
//
//   ksym demo          translate nm letters and st_info bytes read from a bundled buffer
//   ksym nm-type C     what an nm letter says about a symbol
//   ksym st-info N     what an ELF st_info byte says about a symbol
#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "ksym.hpp"

namespace {

std::string_view name(ksym::symbol_binding b) {
    constexpr std::string_view names[] = {"unknown", "local", "global", "weak", "unique"};
    return names[static_cast<int>(b)];
}
std::string_view name(ksym::symbol_kind k) {
    constexpr std::string_view names[] = {"unknown", "object", "func", "section", "file", "common", "tls", "ifunc"};
    return names[static_cast<int>(k)];
}
std::string_view name(ksym::section_class s) {
    constexpr std::string_view names[] = {"unknown", "undefined", "absolute", "common", "text", "data", "rodata",
                                          "bss", "small_data", "small_bss", "debug", "stack_unwind", "indirect"};
    return names[static_cast<int>(s)];
}

void print(const ksym::symbol_attrs& a) {
    std::printf("binding=%.*s kind=%.*s section=%.*s\n", static_cast<int>(name(a.binding).size()),
                name(a.binding).data(), static_cast<int>(name(a.kind).size()), name(a.kind).data(),
                static_cast<int>(name(a.section).size()), name(a.section).data());
}

// A few (st_info, nm letter) pairs laid out as a target would store them:
// the demo reads them back through the same reader and batch reader the
// kallsyms decoder uses.
constexpr std::array<std::byte, 8> bundled{std::byte{0x12}, std::byte{'T'}, std::byte{0x01}, std::byte{'d'},
                                           std::byte{0x22}, std::byte{'W'}, std::byte{0x1a}, std::byte{'i'}};

int demo() {
    ksym::buffer_reader mem(bundled, 0xffffffff81000000ull);
    ksym::batch_reader<ksym::buffer_reader, ksym::arch::x86_64> batch(mem);
    std::array<std::uint8_t, bundled.size()> raw{};
    if (auto s = batch.read_array(0xffffffff81000000ull, std::span(raw)); !s) {
        std::fprintf(stderr, "ksym: demo: read failed: %.*s\n", static_cast<int>(ksym::to_string(s.code()).size()),
                     ksym::to_string(s.code()).data());
        return 2;
    }
    for (std::size_t i = 0; i < raw.size(); i += 2) {
        const auto from_elf = ksym::from_st_info(raw[i]);
        const char letter = static_cast<char>(raw[i + 1]);
        std::printf("st_info=0x%02x nm=%c -> ", raw[i], letter);
        print(ksym::from_nm_type(letter));
        std::printf("                  elf:  ");
        print(from_elf);
    }
    std::printf("read %zu bytes in %zu reader call(s)\n", raw.size(), batch.calls());
    return 0;
}

int usage() {
    std::fprintf(stderr, "usage: ksym demo | ksym nm-type LETTER | ksym st-info BYTE\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) return demo();
    const std::string_view cmd = argv[1];
    if (cmd == "demo") return demo();
    if (cmd == "nm-type" && argc == 3 && std::strlen(argv[2]) == 1) {
        print(ksym::from_nm_type(argv[2][0]));
        return 0;
    }
    if (cmd == "st-info" && argc == 3) {
        char* end = nullptr;
        const unsigned long v = std::strtoul(argv[2], &end, 0);
        if (end == argv[2] || *end != '\0' || v > 255) return usage();
        print(ksym::from_st_info(static_cast<std::uint8_t>(v)));
        return 0;
    }
    return usage();
}
