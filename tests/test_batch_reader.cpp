#include <doctest/doctest.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "ksym/arch/targets.hpp"
#include "ksym/batch/batch_reader.hpp"
#include "ksym/core/endian.hpp"
#include "ksym/memory/buffer_reader.hpp"

using ksym::errc;

namespace {
// Counts calls at the reader itself, independently of the batch reader's own count.
struct counting_reader {
    ksym::buffer_reader inner;
    int calls = 0;
    ksym::status read(std::uint64_t a, std::span<std::byte> out) {
        ++calls;
        return inner.read(a, out);
    }
};

template <class T>
std::vector<std::byte> encode(const std::vector<T>& v, std::endian order) {
    std::vector<std::byte> out(v.size() * sizeof(T));
    for (std::size_t i = 0; i < v.size(); ++i)
        ksym::store_n(out.data() + i * sizeof(T), static_cast<std::uint64_t>(v[i]), sizeof(T), order);
    return out;
}

template <class Arch>
void check_typed_arrays() {
    const std::vector<std::uint32_t> u32s{1, 0x80000000u, 0xdeadbeefu, 7};
    const auto bytes = encode(u32s, Arch::byte_order);
    counting_reader cr{ksym::buffer_reader(bytes, 0x5000)};
    ksym::batch_reader<counting_reader, Arch> br(cr);

    std::array<std::uint32_t, 4> out{};
    REQUIRE(br.read_array(0x5000, std::span(out)).ok());
    CHECK(out[1] == 0x80000000u);
    CHECK(out[2] == 0xdeadbeefu);
    CHECK(cr.calls == 1);
    CHECK(br.calls() == 1);

    std::array<std::int32_t, 4> s32{};
    REQUIRE(br.read_array(0x5000, std::span(s32)).ok());
    CHECK(s32[1] == INT32_MIN);

    std::array<std::uint16_t, 8> u16{};
    REQUIRE(br.read_array(0x5000, std::span(u16)).ok());
    CHECK(u16[4] == (Arch::byte_order == std::endian::little ? 0xbeef : 0xdead));

    std::array<typename Arch::word, 16 / Arch::pointer_bytes> words{};
    REQUIRE(br.read_array(0x5000, std::span(words)).ok());
    if constexpr (Arch::pointer_bytes == 8) {
        CHECK(words[0] == (Arch::byte_order == std::endian::little ? 0x8000000000000001ull : 0x0000000180000000ull));
    } else {
        CHECK(words[3] == 7u);
    }

    auto one = br.template read_one<std::uint32_t>(0x500c);
    REQUIRE(one);
    CHECK(*one == 7u);
    CHECK(br.template read_one<std::uint32_t>(0x500e).error() == errc::fault);
}
}  // namespace

TEST_CASE("typed arrays in every target byte order and width, one call each") {
    check_typed_arrays<ksym::arch::x86_64>();
    check_typed_arrays<ksym::arch::i386>();
    check_typed_arrays<ksym::arch::s390x>();
    check_typed_arrays<ksym::arch::arm>();
}

TEST_CASE("an array larger than the window is walked in fixed windows") {
    std::vector<std::uint32_t> v(1000);
    for (std::uint32_t i = 0; i < 1000; ++i) v[i] = i * 3;
    const auto bytes = encode(v, std::endian::big);
    counting_reader cr{ksym::buffer_reader(bytes, 0x10000)};
    ksym::batch_reader<counting_reader, ksym::arch::s390x> br(cr);

    std::array<std::uint32_t, 64> window{};
    std::uint64_t seen = 0, sum = 0;
    auto s = br.for_each_window(0x10000, 1000, std::span(window), [&](std::uint64_t first, std::span<const std::uint32_t> c) {
        CHECK(first == seen);
        for (auto x : c) sum += x;
        seen += c.size();
        return ksym::status{};
    });
    REQUIRE(s.ok());
    CHECK(seen == 1000);
    CHECK(sum == 3ull * 999 * 1000 / 2);
    CHECK(cr.calls == 16);  // ceil(1000 / 64)

    // The visitor can stop the walk with its own status.
    cr.calls = 0;
    s = br.for_each_window(0x10000, 1000, std::span(window),
                           [](std::uint64_t first, std::span<const std::uint32_t>) {
                               return first >= 128 ? ksym::status{errc::not_found} : ksym::status{};
                           });
    CHECK(s == errc::not_found);
    CHECK(cr.calls == 3);

    // Running off the end of the array faults at the first unreadable address.
    s = br.for_each_window(0x10000, 1001, std::span(window), [](auto, auto) { return ksym::status{}; });
    CHECK(s == errc::fault);
    CHECK(s.address() == 0x10000 + 4000);

    // A count whose byte size overflows is refused before any read.
    cr.calls = 0;
    s = br.for_each_window(0x10000, UINT64_MAX / 2, std::span(window), [](auto, auto) { return ksym::status{}; });
    CHECK(s == errc::fault);
    CHECK(cr.calls == 0);
}

TEST_CASE("strings are read up to their NUL, bounded by the caller's buffer") {
    std::vector<std::byte> mem(200, std::byte{'x'});
    const char text[] = "kallsyms_token_table";
    for (std::size_t i = 0; i < sizeof text; ++i) mem[60 + i] = static_cast<std::byte>(text[i]);
    counting_reader cr{ksym::buffer_reader(mem, 0x1000)};
    ksym::batch_reader<counting_reader, ksym::arch::x86_64> br(cr);

    std::array<char, 64> out{};
    auto n = br.read_string(0x1000 + 60, out);
    REQUIRE(n);
    CHECK(*n == sizeof text - 1);
    CHECK(std::string_view(out.data()) == "kallsyms_token_table");

    // No NUL within the bound.
    std::array<char, 8> small{};
    CHECK(br.read_string(0x1000 + 60, small).error() == errc::capacity);

    // A string that ends exactly at the end of readable memory still reads,
    // and one that runs into unreadable memory faults at the first bad byte.
    mem[199] = std::byte{0};
    counting_reader tail{ksym::buffer_reader(mem, 0x1000)};
    ksym::batch_reader<counting_reader, ksym::arch::x86_64> tb(tail);
    std::array<char, 64> buf{};
    auto t = tb.read_string(0x1000 + 190, buf);
    REQUIRE(t);
    CHECK(*t == 9);
    mem[199] = std::byte{'y'};
    t = tb.read_string(0x1000 + 190, buf);
    CHECK(t.error() == errc::fault);
    CHECK(t.error().address() == 0x1000 + 200);
}

namespace {
constexpr bool batch_reads_at_compile_time() {
    constexpr std::array<std::byte, 8> mem{std::byte{0x12}, std::byte{0x34}, std::byte{0x56}, std::byte{0x78},
                                           std::byte{0x9a}, std::byte{0xbc}, std::byte{0xde}, std::byte{0xf0}};
    ksym::buffer_reader r(mem, 0);
    ksym::batch_reader<ksym::buffer_reader, ksym::arch::s390x> br(r);
    std::array<std::uint16_t, 4> out{};
    return br.read_array(0, std::span(out)).ok() && out[0] == 0x1234 && out[3] == 0xdef0;
}
static_assert(batch_reads_at_compile_time());
}  // namespace
