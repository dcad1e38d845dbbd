#include <doctest/doctest.h>

#include "ksym/core/errc.hpp"
#include "ksym/core/result.hpp"

using ksym::errc;
using ksym::result;
using ksym::status;

static_assert(status{}.ok());
static_assert(!status::fault(0x1000).ok());
static_assert(status::fault(0x1000).address() == 0x1000);
static_assert(result<int>(7).value() == 7);
static_assert(result<int>(errc::corrupt).error() == errc::corrupt);
static_assert(!result<int>(errc::corrupt).has_value());

TEST_CASE("status carries the code and the address that failed") {
    const status s = status::fault(0xffffffff81000000ull);
    CHECK_FALSE(s);
    CHECK(s.code() == errc::fault);
    CHECK(s.address() == 0xffffffff81000000ull);
    CHECK(s == errc::fault);
    CHECK(ksym::to_string(errc::truncated) == "truncated");
    for (int e = 0; e <= static_cast<int>(errc::io_error); ++e)
        CHECK(ksym::to_string(static_cast<errc>(e)) != "unknown error");
}

TEST_CASE("result holds a value or an error, never both") {
    result<int> ok = 42;
    CHECK(ok.has_value());
    CHECK(*ok == 42);
    CHECK(ok.error().ok());

    result<int> bad = status{errc::truncated, 0x10};
    CHECK_FALSE(bad);
    CHECK(bad.error().address() == 0x10);
    CHECK(bad.value_or(-1) == -1);

    // An ok status is not an error: constructing an error result from one is a caller bug.
    result<int> odd = status{};
    CHECK_FALSE(odd);
    CHECK(odd.error() == errc::invalid_argument);
}

namespace {
struct counted {
    static inline int live = 0;
    int v;
    explicit counted(int x) : v(x) { ++live; }
    counted(const counted& o) : v(o.v) { ++live; }
    counted(counted&& o) noexcept : v(o.v) { ++live; }
    counted& operator=(const counted&) = default;
    ~counted() { --live; }
};
}  // namespace

TEST_CASE("result manages the lifetime of non-trivial values") {
    {
        result<counted> a = counted{1};
        result<counted> b = a;
        result<counted> c = status{errc::not_found};
        c = b;
        CHECK(c->v == 1);
        CHECK(counted::live == 3);
        a = status{errc::corrupt};
        CHECK(counted::live == 2);
    }
    CHECK(counted::live == 0);
}
