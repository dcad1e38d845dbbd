#include <doctest/doctest.h>

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>

#include "ksym/core/endian.hpp"
#include "ksym/core/kernel_version.hpp"

namespace {
constexpr std::array<std::byte, 8> bytes{std::byte{0x01}, std::byte{0x02}, std::byte{0x03}, std::byte{0x04},
                                         std::byte{0x05}, std::byte{0x06}, std::byte{0x07}, std::byte{0x08}};
}

static_assert(ksym::load<std::uint32_t>(bytes.data(), std::endian::little) == 0x04030201u);
static_assert(ksym::load<std::uint32_t>(bytes.data(), std::endian::big) == 0x01020304u);
static_assert(ksym::load<std::uint64_t>(bytes.data(), std::endian::big) == 0x0102030405060708ull);
static_assert(ksym::load_n(bytes.data(), 3, std::endian::big) == 0x010203u);
static_assert(ksym::load_n(bytes.data(), 3, std::endian::little) == 0x030201u);
static_assert(ksym::byteswap<std::uint16_t>(0x1234) == 0x3412);

TEST_CASE("store then load round-trips in both orders and all widths") {
    for (auto order : {std::endian::little, std::endian::big}) {
        std::array<std::byte, 8> b{};
        ksym::store<std::uint16_t>(b.data(), 0xbeef, order);
        CHECK(ksym::load<std::uint16_t>(b.data(), order) == 0xbeef);
        ksym::store<std::uint64_t>(b.data(), 0xffffffff81000000ull, order);
        CHECK(ksym::load<std::uint64_t>(b.data(), order) == 0xffffffff81000000ull);
        for (std::size_t w = 1; w <= 8; ++w) {
            ksym::store_n(b.data(), 0x1122334455667788ull, w, order);
            const std::uint64_t mask = w == 8 ? ~0ull : ((1ull << (8 * w)) - 1);
            CHECK(ksym::load_n(b.data(), w, order) == (0x1122334455667788ull & mask));
        }
    }
    std::array<std::byte, 2> b{};
    ksym::store<std::uint16_t>(b.data(), 0x0102, std::endian::big);
    CHECK(b[0] == std::byte{0x01});
}

TEST_CASE("kernel_version parses release strings") {
    using ksym::kernel_version;
    CHECK(kernel_version::parse("6.1.0-37-amd64") == kernel_version{6, 1, 0});
    CHECK(kernel_version::parse("6.12.48+deb12-amd64") == kernel_version{6, 12, 48});
    CHECK(kernel_version::parse("5.2") == kernel_version{5, 2, 0});
    CHECK(kernel_version::parse("7.2.0-rc1") == kernel_version{7, 2, 0});
    CHECK(kernel_version::parse("x.1") == kernel_version{});
    CHECK(kernel_version::parse("6") == kernel_version{});
    CHECK(kernel_version::parse("99999999.1") == kernel_version{});
    CHECK(kernel_version{4, 19, 0} < kernel_version{5, 0, 0});
}
