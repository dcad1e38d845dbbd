#include <doctest/doctest.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "ksym/memory/buffer_reader.hpp"
#include "ksym/memory/segment_map.hpp"

using ksym::errc;

namespace {
// A buffer whose every byte says which segment it came from and its offset.
template <std::size_t N>
std::array<std::byte, N> tagged(unsigned tag) {
    std::array<std::byte, N> a{};
    for (std::size_t i = 0; i < N; ++i) a[i] = static_cast<std::byte>((tag << 7) | (i & 0x7f));
    return a;
}
unsigned tag_of(std::byte b) { return static_cast<unsigned>(b) >> 7; }
unsigned off_of(std::byte b) { return static_cast<unsigned>(b) & 0x7f; }
}  // namespace

TEST_CASE("a later overlapping segment replaces only the overlapped part") {
    const auto a = tagged<128>(0);
    const auto b = tagged<32>(1);
    ksym::buffer_reader ra(a, 0xffff0000);
    ksym::buffer_reader rb(b, 0xffff0020);
    ksym::segment_map<8> map;
    REQUIRE(map.add(0xffff0000, 128, ra).ok());
    REQUIRE(map.add(0xffff0020, 32, rb).ok());
    CHECK(map.size() == 3);

    std::array<std::byte, 32> out{};
    REQUIRE(map.read(0xffff0000, out).ok());
    for (std::size_t i = 0; i < 32; ++i) {
        CHECK(tag_of(out[i]) == 0);
        CHECK(off_of(out[i]) == i);
    }

    REQUIRE(map.read(0xffff0032, out).ok());
    for (std::size_t i = 0; i < 32; ++i) {
        const std::uint64_t addr = 0xffff0032 + i;
        if (addr < 0xffff0040) {
            CHECK(tag_of(out[i]) == 1);
            CHECK(off_of(out[i]) == addr - 0xffff0020);
        } else {
            CHECK(tag_of(out[i]) == 0);
            CHECK(off_of(out[i]) == addr - 0xffff0000);
        }
    }
}

TEST_CASE("overlaps that cover, clip and bridge earlier segments") {
    const auto a = tagged<64>(0);
    const auto b = tagged<64>(1);
    ksym::buffer_reader ra(a, 0);
    ksym::buffer_reader rb(b, 0);
    ksym::segment_map<8> map;
    // Two disjoint pieces of A, then B bridging the end of the first and the start of the second.
    REQUIRE(map.add(0x100, 0x20, ra, 0).ok());
    REQUIRE(map.add(0x140, 0x20, ra, 0x20).ok());
    REQUIRE(map.add(0x110, 0x40, rb, 0).ok());
    REQUIRE(map.size() == 3);
    const auto p = map.pieces();
    CHECK(p[0].start == 0x100);
    CHECK(p[0].last == 0x10f);
    CHECK(p[1].start == 0x110);
    CHECK(p[1].last == 0x14f);
    CHECK(p[2].start == 0x150);
    CHECK(p[2].target == 0x30);  // the clipped piece keeps reading its own bytes

    std::array<std::byte, 1> one{};
    REQUIRE(map.read(0x150, one).ok());
    CHECK(tag_of(one[0]) == 0);
    CHECK(off_of(one[0]) == 0x30);

    // The gap between 0x120..0x13f was filled by B; beyond 0x15f nothing is mapped.
    std::array<std::byte, 8> out{};
    auto s = map.read(0x15c, out);
    CHECK(s == errc::fault);
    CHECK(s.address() == 0x160);

    // Covering everything collapses to one piece.
    REQUIRE(map.add(0x0, 0x1000, rb, 0).ok());
    CHECK(map.size() == 1);
    CHECK(map.read(0x10, one) .ok());
}

TEST_CASE("segment_map capacity is fixed by the caller and never exceeded") {
    const auto a = tagged<16>(0);
    ksym::buffer_reader ra(a, 0);
    ksym::segment_map<2> map;
    REQUIRE(map.add(0, 16, ra).ok());
    // Splitting the only piece in the middle needs three pieces.
    CHECK(map.add(4, 4, ra) == errc::capacity);
    CHECK(map.size() == 1);  // unchanged on failure
    CHECK(map.add(0, 0, ra) == errc::invalid_argument);
    CHECK(map.add(~0ull, 2, ra) == errc::invalid_argument);
    REQUIRE(map.add(~0ull - 15, 16, ra, 0).ok());  // a segment may end at the top of the address space
    std::array<std::byte, 16> out{};
    CHECK(map.read(~0ull - 15, out).ok());
}

TEST_CASE("segment_map lookup over many segments") {
    const auto a = tagged<128>(0);
    ksym::buffer_reader ra(a, 0);
    ksym::segment_map<64> map;
    for (std::uint64_t i = 0; i < 64; ++i) REQUIRE(map.add(0x1000 * i, 0x80, ra, 0).ok());
    for (std::uint64_t i = 0; i < 64; ++i) {
        CHECK(map.find(0x1000 * i + 0x7f) != nullptr);
        CHECK(map.find(0x1000 * i + 0x80) == nullptr);
    }
    CHECK(map.find(0x40000) == nullptr);
}

TEST_CASE("an empty segment map faults") {
    ksym::segment_map<1> map;
    std::array<std::byte, 1> out{};
    CHECK(map.read(0, out) == errc::fault);
    CHECK(map.read(0, std::span<std::byte>{}).ok());
}

TEST_CASE("segment_map lends within one piece, clipped to it") {
    const auto a = tagged<128>(0);
    const auto b = tagged<32>(1);
    ksym::buffer_reader ra(a, 0xffff0000);
    ksym::buffer_reader rb(b, 0x5000);
    ksym::segment_map<8> map;
    REQUIRE(map.add(0xffff0000, 128, ra).ok());
    REQUIRE(map.add(0xffff0020, 32, rb, 0x5000).ok());  // splits the first piece
    auto v = map.view(0xffff0010, 4);
    REQUIRE(v.size() == 16);  // up to where the second piece starts
    CHECK(tag_of(v[0]) == 0);
    CHECK(off_of(v[0]) == 0x10);
    v = map.view(0xffff0024, 1);
    REQUIRE(v.size() == 28);
    CHECK(tag_of(v[0]) == 1);
    CHECK(off_of(v[0]) == 4);
    CHECK(map.view(0xffff0010, 17).empty());  // would cross into the next piece
    CHECK(map.view(0xfffe0000, 1).empty());   // no piece
    CHECK(map.view(0xffff007f, 1).size() == 1);
}
