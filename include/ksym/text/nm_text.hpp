#pragma once
// Parsing nm-style text: System.map, `nm -n` output and /proc/kallsyms.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>

#include "ksym/core/errc.hpp"
#include "ksym/core/result.hpp"

namespace ksym {

/// One line of nm-style text: "ADDRESS TYPE NAME" with an optional
/// "\t[module]" (as /proc/kallsyms prints). Views point into the text.
struct nm_line {
    std::uint64_t address = 0;
    char type = '?';
    std::string_view name;
    std::string_view module;  ///< empty for vmlinux symbols
};

/// Parses a hexadecimal number of 1..16 digits, no prefix.
[[nodiscard]] constexpr std::optional<std::uint64_t> parse_hex(std::string_view s) noexcept {
    if (s.empty() || s.size() > 16) return std::nullopt;
    std::uint64_t v = 0;
    for (char c : s) {
        unsigned d = 0;
        if (c >= '0' && c <= '9') d = static_cast<unsigned>(c - '0');
        else if (c >= 'a' && c <= 'f') d = static_cast<unsigned>(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') d = static_cast<unsigned>(c - 'A' + 10);
        else return std::nullopt;
        v = (v << 4) | d;
    }
    return v;
}

/// Parses one line (without its newline). Lines nm prints for undefined
/// symbols ("                 U name", no address) parse with address 0.
/// Anything else malformed gives nullopt.
[[nodiscard]] constexpr std::optional<nm_line> parse_nm_line(std::string_view line) noexcept {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    auto skip_blanks = [](std::string_view& s) {
        while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    };
    auto take_word = [](std::string_view& s) {
        std::size_t n = 0;
        while (n < s.size() && s[n] != ' ' && s[n] != '\t') ++n;
        const std::string_view w = s.substr(0, n);
        s.remove_prefix(n);
        return w;
    };
    nm_line out;
    std::string_view rest = line;
    const bool no_address = !rest.empty() && rest.front() == ' ';
    skip_blanks(rest);
    if (!no_address) {
        const auto a = parse_hex(take_word(rest));
        if (!a) return std::nullopt;
        out.address = *a;
        skip_blanks(rest);
    }
    const std::string_view type = take_word(rest);
    if (type.size() != 1) return std::nullopt;
    out.type = type[0];
    skip_blanks(rest);
    out.name = take_word(rest);
    if (out.name.empty()) return std::nullopt;
    skip_blanks(rest);
    if (!rest.empty()) {
        if (rest.size() < 3 || rest.front() != '[' || rest.back() != ']') return std::nullopt;
        out.module = rest.substr(1, rest.size() - 2);
    }
    return out;
}

/// Calls `visit(const nm_line&)` for each line of `text`; blank lines are
/// skipped. A malformed line stops the walk with `corrupt` whose address is
/// the line's byte offset in the text. `visit` may return void, bool (false
/// stops) or status.
template <class Visit>
constexpr status for_each_nm_line(std::string_view text, Visit&& visit) {
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        const std::string_view line = text.substr(pos, end - pos);
        const std::size_t at = pos;
        pos = end + 1;
        if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
        const auto parsed = parse_nm_line(line);
        if (!parsed) return {errc::corrupt, at};
        if constexpr (std::is_same_v<decltype(visit(*parsed)), bool>) {
            if (!visit(*parsed)) return {};
        } else if constexpr (std::is_same_v<decltype(visit(*parsed)), status>) {
            if (status s = visit(*parsed); !s) return s;
        } else {
            visit(*parsed);
        }
    }
    return {};
}

}  // namespace ksym
