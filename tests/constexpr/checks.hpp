#pragma once
// The checks test_constexpr_*.cpp run on a generated table (a `Data` type
// from generate_tables.cpp) inside static_assert, and again at run time.
// Each static_assert is one evaluation; clang allows each 1,048,576 steps
// by default (-fconstexpr-steps), g++ 33,554,432 operations
// (-fconstexpr-ops-limit), and the defaults are kept: the tests split their
// work into ranges that fit (about 700,000 clang steps for 64 symbols by
// index; a table's open() is about 100,000).

#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <span>
#include <string_view>

#include "ksym/core/errc.hpp"
#include "ksym/memory/buffer_reader.hpp"
#include "ksym/symbols/symbol.hpp"
#include "table_data.hpp"

namespace ksym_test {

template <class Data>
constexpr std::uint32_t symbol_count = static_cast<std::uint32_t>(std::size(Data::symbols));

// Index of the first symbol named like symbol k (lowest address: the kernel's pick).
template <class Data>
constexpr std::uint32_t first_named(std::uint32_t k) {
    for (std::uint32_t j = 0; j < k; ++j)
        if (Data::symbols[j].name == Data::symbols[k].name) return j;
    return k;
}

// Index of the first symbol at symbol k's address (the kernel's pick among aliases).
template <class Data>
constexpr std::uint32_t first_alias(std::uint32_t k) {
    while (k > 0 && Data::symbols[k - 1].address == Data::symbols[k].address) --k;
    return k;
}

template <class Data>
constexpr bool same(const ksym::symbol& s, std::uint32_t k) {
    const expected_symbol& e = Data::symbols[k];
    return s.index == k && s.address == e.address && s.size == e.size && s.type == e.type && s.name == e.name;
}

// Symbols [first, last) by index; every `stride`-th of them also by name
// and by address (its first byte and its last).
template <class Table, class Data>
constexpr bool check_symbols(std::uint32_t first, std::uint32_t last, std::uint32_t stride) {
    ksym::buffer_reader mem(Data::blob, Data::base);
    Table table;
    if (!table.open(mem, Data::format) || table.size() != symbol_count<Data>) return false;
    ksym::name_buffer buf;
    for (std::uint32_t k = first; k < last; ++k) {
        auto at = table.at(k, buf);
        if (!at || !same<Data>(*at, k)) return false;
        if ((k - first) % stride != 0) continue;
        auto named = table.find_by_name(Data::symbols[k].name, buf);
        if (!named || !same<Data>(*named, first_named<Data>(k))) return false;
        const std::uint64_t size = Data::symbols[k].size;
        for (const std::uint64_t off : {std::uint64_t{0}, size > 0 ? size - 1 : 0}) {
            auto hit = table.find_by_address(Data::symbols[k].address + off, buf);
            if (!hit || hit->offset != off || !same<Data>(hit->sym, first_alias<Data>(k))) return false;
        }
    }
    return true;
}

// Every symbol in table order, as the walk every lookup agrees with gives them.
template <class Table, class Data>
constexpr bool check_walk(std::uint32_t first, std::uint32_t last) {
    ksym::buffer_reader mem(Data::blob, Data::base);
    Table table;
    if (!table.open(mem, Data::format)) return false;
    ksym::name_buffer buf;
    std::uint32_t k = first;
    const ksym::status s =
        table.for_each_in(first, last, buf, [&](const ksym::symbol& sym) { return same<Data>(sym, k++); });
    return s.ok() && k == last;
}

// The bulk decode of symbols [first, last) into a buffer of exactly
// names_bytes(): every name, type and address as the table holds them.
template <class Table, class Data>
constexpr bool check_bulk(std::uint32_t first, std::uint32_t last) {
    ksym::buffer_reader mem(Data::blob, Data::base);
    Table table;
    if (!table.open(mem, Data::format) || last - first > 300) return false;
    std::array<char, 16384> names{};
    std::array<std::uint64_t, 300> addresses{};
    std::array<char, 300> types{};
    auto need = table.names_bytes(first, last);
    if (!need || *need > names.size()) return false;
    const std::size_t count = last - first;
    auto got = table.decode_range(first, last, std::span(names).first(*need), std::span(addresses).first(count),
                                  std::span(types).first(count));
    if (!got || *got != *need) return false;
    std::size_t p = 0;
    for (std::uint32_t k = first; k < last; ++k) {
        const expected_symbol& e = Data::symbols[k];
        const std::string_view name(names.data() + p);
        if (name != e.name || addresses[k - first] != e.address || types[k - first] != e.type) return false;
        p += name.size() + 1;
    }
    return p == *got;
}

// What is not there is not found.
template <class Table, class Data>
constexpr bool check_misses() {
    ksym::buffer_reader mem(Data::blob, Data::base);
    Table table;
    if (!table.open(mem, Data::format)) return false;
    ksym::name_buffer buf;
    return table.find_by_name("no_such_symbol", buf).error() == ksym::errc::not_found &&
           table.find_by_address(Data::symbols[0].address - 1, buf).error() == ksym::errc::not_found;
}

}  // namespace ksym_test
