#include <ksym.hpp>

#include <array>
#include <cstdio>

int main() {
    constexpr std::array<std::byte, 4> mem{std::byte{'T'}, std::byte{1}, std::byte{2}, std::byte{3}};
    ksym::buffer_reader r(mem, 0x1000);
    std::array<std::byte, 1> b{};
    if (!r.read(0x1000, b).ok()) return 1;
    const auto a = ksym::from_nm_type(static_cast<char>(b[0]));
    std::printf("consumer ok: %c\n", ksym::to_nm_type(a));
    return a.kind == ksym::symbol_kind::func ? 0 : 1;
}
