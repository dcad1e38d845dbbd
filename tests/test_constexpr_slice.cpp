// Decoding at compile time, on the first 512 symbols of a real kernel's
// table (Debian's arm64 7.2, sliced verbatim into
// constexpr/arm64_7_slice.hpp): opened through a fixed format policy and
// searched inside static_assert, and a symbol's address taken as a constant
// with a consteval lookup. A failure is a compile error; the TEST_CASE
// repeats the checks at run time, every symbol by every lookup.
#include <doctest/doctest.h>

#include "constexpr/arm64_7_slice.hpp"
#include "constexpr/checks.hpp"
#include "ksym/arch/targets.hpp"
#include "ksym/kallsyms/constant.hpp"
#include "ksym/kallsyms/table.hpp"

namespace {

using ksym_test::arm64_7_slice;
using fixed = ksym::fixed_format<ksym::address_encoding::place_relative>;
using table = ksym::kallsyms_table<ksym::buffer_reader, ksym::arch::arm64, fixed>;

static_assert(ksym_test::symbol_count<arm64_7_slice> == 512);
// Every symbol by index; every 32nd by name and by address.
static_assert(ksym_test::check_symbols<table, arm64_7_slice>(0, 64, 32));
static_assert(ksym_test::check_symbols<table, arm64_7_slice>(64, 128, 32));
static_assert(ksym_test::check_symbols<table, arm64_7_slice>(128, 192, 32));
static_assert(ksym_test::check_symbols<table, arm64_7_slice>(192, 256, 32));
static_assert(ksym_test::check_symbols<table, arm64_7_slice>(256, 320, 32));
static_assert(ksym_test::check_symbols<table, arm64_7_slice>(320, 384, 32));
static_assert(ksym_test::check_symbols<table, arm64_7_slice>(384, 448, 32));
static_assert(ksym_test::check_symbols<table, arm64_7_slice>(448, 512, 32));
static_assert(ksym_test::check_walk<table, arm64_7_slice>(0, 256));
static_assert(ksym_test::check_walk<table, arm64_7_slice>(256, 512));
static_assert(ksym_test::check_misses<table, arm64_7_slice>());

// Addresses as constants of the program, checked against the table they
// come from: a name the table lacks does not compile.
constexpr std::uint64_t stext = ksym::kallsyms_address_of<ksym::arch::arm64, fixed>(
    arm64_7_slice::blob, arm64_7_slice::base, arm64_7_slice::format, "_stext");
static_assert(stext == 0xffff800080010000);

}  // namespace

TEST_CASE("compile-time decoding, a real kernel's slice: the same checks at run time, on every symbol") {
    CHECK(ksym_test::check_symbols<table, arm64_7_slice>(0, 512, 1));
    CHECK(ksym_test::check_walk<table, arm64_7_slice>(0, 512));
    CHECK(ksym_test::check_misses<table, arm64_7_slice>());
    CHECK(stext == 0xffff800080010000);
}
