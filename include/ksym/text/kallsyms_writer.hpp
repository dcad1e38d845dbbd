#pragma once
// Writing symbols as /proc/kallsyms prints them, without printf: a line is
// a few fixed-width stores and two copies.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ksym/symbols/symbol.hpp"

namespace ksym {

/// Longest module name a line carries (MODULE_NAME_LEN is 56 on 64-bit).
inline constexpr std::size_t max_module_name = 64;

/// Bytes one line may take at most: 16 address digits, the letter, a name,
/// a module tag, separators and the newline.
inline constexpr std::size_t max_kallsyms_line = 16 + 3 + name_buffer_size + 3 + max_module_name + 2;

/// Writes `s` into `out` (at least max_kallsyms_line bytes) as the kernel's
/// s_show does: "ADDR T name\n", or "ADDR t name\t[module]\n" for a module
/// symbol, the address zero-padded to `digits` hex digits (16 on 64-bit
/// targets, 8 on 32-bit; 1 to 16). Names and module names longer than any
/// kernel's are cut to fit. Returns the bytes written.
constexpr std::size_t write_kallsyms_line(const symbol& s, int digits, char* out) noexcept {
    constexpr char hex[] = "0123456789abcdef";
    const auto d = static_cast<std::size_t>(std::clamp(digits, 1, 16));
    std::uint64_t a = s.address;
    // Wider addresses than `digits` print whole, as %0*lx would.
    std::size_t width = d;
    while (width < 16 && (a >> (4 * width)) != 0) ++width;
    for (std::size_t i = width; i-- > 0; a >>= 4) out[i] = hex[a & 0xf];
    char* p = out + width;
    *p++ = ' ';
    *p++ = s.type;
    *p++ = ' ';
    const std::size_t n = std::min(s.name.size(), name_buffer_size - 1);
    p = std::copy_n(s.name.data(), n, p);
    if (!s.module.empty()) {
        *p++ = '\t';
        *p++ = '[';
        p = std::copy_n(s.module.data(), std::min(s.module.size(), max_module_name), p);
        *p++ = ']';
    }
    *p++ = '\n';
    return static_cast<std::size_t>(p - out);
}

}  // namespace ksym
