#pragma once
// The bulk decode (names_bytes, decode_range) checked whole against for_each,
// the walk every other path agrees with: symbol by symbol, on every range
// split, with exact and short outputs fenced by guard bytes.

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ksym/core/errc.hpp"
#include "ksym/symbols/symbol.hpp"

namespace ksym_test {

struct walked_symbol {
    std::uint64_t address;
    char type;
    std::string name;
};

template <class Table>
std::vector<walked_symbol> walk(Table& t) {
    std::vector<walked_symbol> v;
    v.reserve(t.size());
    ksym::name_buffer buf;
    REQUIRE(t.for_each(buf, [&](const ksym::symbol& s) { v.push_back({s.address, s.type, std::string(s.name)}); }).ok());
    return v;
}

// decode_range(first, last) into spans of exactly the size asked for, with
// `slack` guard bytes on each side that must come back untouched. Returns
// the number of symbols that differ from `want` (0 when the call failed:
// the caller checks `ok`).
template <class Table>
std::size_t bulk_mismatches(Table& t, const std::vector<walked_symbol>& want, std::uint32_t first, std::uint32_t last,
                            bool& ok) {
    constexpr std::size_t slack = 48;
    constexpr char guard = '\x5a';
    constexpr std::uint64_t guard_word = 0x5a5a5a5a5a5a5a5aull;
    std::size_t need = 0;
    for (std::uint32_t i = first; i < last; ++i) need += want[i].name.size() + 1;
    auto sized = t.names_bytes(first, last);
    ok = sized && *sized == need;
    if (!ok) return 0;
    const std::size_t n = last - first;
    std::vector<char> names(need + 2 * slack, guard), types(n + 2 * slack, guard);
    std::vector<std::uint64_t> addrs(n + 2, guard_word);
    auto got = t.decode_range(first, last, std::span(names).subspan(slack, need), std::span(addrs).subspan(1, n),
                              std::span(types).subspan(slack, n));
    ok = got && *got == need;
    const auto fenced = [&] {
        return std::all_of(names.begin(), names.begin() + slack, [](char c) { return c == guard; }) &&
               std::all_of(names.end() - slack, names.end(), [](char c) { return c == guard; }) &&
               std::all_of(types.begin(), types.begin() + slack, [](char c) { return c == guard; }) &&
               std::all_of(types.end() - slack, types.end(), [](char c) { return c == guard; }) &&
               addrs.front() == guard_word && addrs.back() == guard_word;
    };
    CHECK(fenced());
    if (!ok) return 0;
    std::size_t bad = 0, p = slack;
    for (std::size_t k = 0; k < n; ++k) {
        const walked_symbol& w = want[first + k];
        const std::string_view name(names.data() + p);
        if (name != w.name || addrs[1 + k] != w.address || types[slack + k] != w.type) ++bad;
        p += name.size() + 1;
    }
    // One byte short of the names, one entry short of the addresses or
    // types: a typed error, and still nothing outside the spans.
    if (need > 0) {
        std::fill(names.begin(), names.end(), guard);
        auto s = t.decode_range(first, last, std::span(names).subspan(slack, need - 1), std::span(addrs).subspan(1, n));
        CHECK(s.error() == ksym::errc::capacity);
        CHECK(fenced());
        CHECK(t.decode_range(first, last, std::span(names).subspan(slack, need), std::span(addrs).subspan(1, n - 1))
                  .error() == ksym::errc::capacity);
        // (An empty `types` means none are wanted.)
        if (n > 1)
            CHECK(t.decode_range(first, last, std::span(names).subspan(slack, need), std::span(addrs).subspan(1, n),
                                 std::span(types).subspan(slack, n - 1))
                      .error() == ksym::errc::capacity);
    }
    return bad;
}

// The whole table, then ranges that start and end on either side of marker
// boundaries and in odd strides.
template <class Table>
void check_bulk(Table& t, const std::vector<walked_symbol>& want) {
    REQUIRE(want.size() == t.size());
    const auto n = static_cast<std::uint32_t>(want.size());
    bool ok = false;
    CHECK(bulk_mismatches(t, want, 0, n, ok) == 0);
    CHECK(ok);
    auto whole = t.names_bytes();
    REQUIRE(whole);
    std::vector<char> names(*whole);
    std::vector<std::uint64_t> addrs(n);
    auto all = t.decode_all(names, addrs);  // types are optional
    REQUIRE(all);
    CHECK(*all == *whole);
    std::vector<std::uint32_t> cuts = {0, 1, 255, 256, 257, 511, 512, 1000, n / 2, n - 1, n};
    for (std::uint32_t k = 0; k < n; k += 397) cuts.push_back(k);
    std::sort(cuts.begin(), cuts.end());
    cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
    while (!cuts.empty() && cuts.back() > n) cuts.pop_back();
    std::size_t bad = 0;
    for (std::size_t c = 0; c + 1 < cuts.size(); ++c) {
        bad += bulk_mismatches(t, want, cuts[c], cuts[c + 1], ok);
        CHECK(ok);
    }
    CHECK(bad == 0);
    std::array<char, 1> none{};
    CHECK(t.decode_range(n, n, std::span(none).first(0), {}).value_or(1) == 0);
    CHECK(t.decode_range(1, 0, none, {}).error() == ksym::errc::invalid_argument);
    CHECK(t.decode_range(0, n + 1, none, {}).error() == ksym::errc::invalid_argument);
}

template <class Table>
void check_bulk(Table& t) {
    check_bulk(t, walk(t));
}

}  // namespace ksym_test
