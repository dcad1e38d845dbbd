// Decoding at compile time, on a table the encoder built (generated into
// constexpr/synthetic_table.hpp): opened through the run-time format policy
// and searched inside static_assert. A failure is a compile error; the
// TEST_CASE repeats the checks at run time, every symbol by every lookup.
#include <doctest/doctest.h>

#include "constexpr/checks.hpp"
#include "constexpr/synthetic_table.hpp"
#include "ksym/arch/targets.hpp"
#include "ksym/kallsyms/table.hpp"

namespace {

using ksym_test::synthetic_table;
using table = ksym::kallsyms_table<ksym::buffer_reader, ksym::arch::arm64>;

static_assert(ksym_test::symbol_count<synthetic_table> == 300);
// Every symbol by index; every 32nd by name and by address (symbol 0 has
// the long name, a record with a 2-byte length).
static_assert(ksym_test::check_symbols<table, synthetic_table>(0, 64, 32));
static_assert(ksym_test::check_symbols<table, synthetic_table>(64, 128, 32));
static_assert(ksym_test::check_symbols<table, synthetic_table>(128, 192, 32));
static_assert(ksym_test::check_symbols<table, synthetic_table>(192, 256, 32));
static_assert(ksym_test::check_symbols<table, synthetic_table>(256, 300, 32));
static_assert(ksym_test::check_walk<table, synthetic_table>(0, 300));
static_assert(ksym_test::check_misses<table, synthetic_table>());
static_assert(ksym_test::check_bulk<table, synthetic_table>(0, 300));
static_assert(ksym_test::check_bulk<table, synthetic_table>(255, 257));

}  // namespace

TEST_CASE("compile-time decoding, synthetic table: the same checks at run time, on every symbol") {
    CHECK(ksym_test::check_symbols<table, synthetic_table>(0, 300, 1));
    CHECK(ksym_test::check_walk<table, synthetic_table>(0, 300));
    CHECK(ksym_test::check_misses<table, synthetic_table>());
    CHECK(ksym_test::check_bulk<table, synthetic_table>(0, 300));
}
