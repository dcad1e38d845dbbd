// ksym nm-type LETTER | ksym st-info BYTE: what an nm type letter or an ELF
// st_info byte says about a symbol.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "cli.hpp"
#include "ksym/symbols/nm_type.hpp"
#include "ksym/symbols/st_info.hpp"
#include "ksym/symbols/symbol_attrs.hpp"

namespace ksym_cli {

namespace {

int print_attrs(const ksym::symbol_attrs& a) {
    const std::string_view b = to_string(a.binding), k = to_string(a.kind), s = to_string(a.section);
    std::printf("binding=%.*s kind=%.*s section=%.*s\n", int(b.size()), b.data(), int(k.size()), k.data(),
                int(s.size()), s.data());
    return 0;
}

}  // namespace

int nm_type(std::string_view letter) {
    if (letter.size() != 1) return usage();
    return print_attrs(ksym::from_nm_type(letter[0]));
}

int st_info(const char* byte) {
    char* end = nullptr;
    const unsigned long v = std::strtoul(byte, &end, 0);
    if (end == byte || *end != '\0' || v > 255) return usage();
    return print_attrs(ksym::from_st_info(static_cast<std::uint8_t>(v)));
}

}  // namespace ksym_cli
