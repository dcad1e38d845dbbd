#pragma once
// What the generated table headers (generate_tables.cpp writes them) are
// made of: the table's bytes, given as hex text and turned into a constexpr
// array at compile time, and the symbols the table must decode to.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ksym_test {

/// One symbol as the generator knew it: what every lookup must answer.
struct expected_symbol {
    std::uint64_t address;
    std::uint64_t size;  ///< distance to the next higher address in the table; 0 for the last
    char type;
    std::string_view name;
};

/// `hex` (2 * N hex digits) as N bytes. Hex text is half the size of a
/// brace list of byte values, and its length is checked: a header cut short
/// does not compile.
template <std::size_t N>
consteval std::array<std::byte, N> from_hex(const char (&hex)[2 * N + 1]) {
    const auto digit = [](char c) -> unsigned {
        if (c >= '0' && c <= '9') return static_cast<unsigned>(c - '0');
        return static_cast<unsigned>(c - 'a' + 10);
    };
    std::array<std::byte, N> out{};
    for (std::size_t i = 0; i < N; ++i) out[i] = static_cast<std::byte>(digit(hex[2 * i]) << 4 | digit(hex[2 * i + 1]));
    return out;
}

}  // namespace ksym_test
