#pragma once
// Reading the kernel's VMCOREINFO text ("KEY=VALUE" lines).

#include <cstdint>
#include <optional>
#include <string_view>

#include "ksym/text/nm_text.hpp"

namespace ksym {

/// The raw value of `key` (e.g. "OSRELEASE", "SYMBOL(kallsyms_names)"), or
/// nullopt. The first occurrence wins.
[[nodiscard]] constexpr std::optional<std::string_view> vmcoreinfo_value(std::string_view text,
                                                                         std::string_view key) noexcept {
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(pos, end - pos);
        pos = end + 1;
        if (line.size() > key.size() && line.substr(0, key.size()) == key && line[key.size()] == '=') {
            line.remove_prefix(key.size() + 1);
            while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\0'))
                line.remove_suffix(1);
            return line;
        }
    }
    return std::nullopt;
}

/// SYMBOL(name)=<hex> from VMCOREINFO.
[[nodiscard]] constexpr std::optional<std::uint64_t> vmcoreinfo_symbol(std::string_view text,
                                                                       std::string_view name) noexcept {
    // Keys are short; build "SYMBOL(name)" in a fixed buffer.
    char key[128] = {};
    constexpr std::string_view pre = "SYMBOL(";
    if (name.size() + pre.size() + 1 > sizeof key) return std::nullopt;
    std::size_t n = 0;
    for (char c : pre) key[n++] = c;
    for (char c : name) key[n++] = c;
    key[n++] = ')';
    const auto v = vmcoreinfo_value(text, std::string_view(key, n));
    if (!v) return std::nullopt;
    return parse_hex(*v);
}

}  // namespace ksym
