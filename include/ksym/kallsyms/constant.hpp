#pragma once
// Symbol addresses as compile-time constants, looked up in a kallsyms table
// the program holds as constant bytes: a firmware image can carry the
// address of a kernel symbol it needs, checked at build time against the
// table it was built with.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "ksym/arch/traits.hpp"
#include "ksym/kallsyms/format.hpp"
#include "ksym/kallsyms/table.hpp"
#include "ksym/memory/buffer_reader.hpp"
#include "ksym/symbols/symbol.hpp"

namespace ksym {

namespace detail {
// Deliberately not constexpr: a constant evaluation that reaches a call to
// one of these fails, and the compiler's message names it.
inline void kallsyms_table_does_not_open() noexcept {}
inline void symbol_not_in_kallsyms_table() noexcept {}
}  // namespace detail

/// The address of the symbol named `name` (the first of equal names, as
/// find_by_name picks) in the table `fmt` describes, read from `bytes`
/// placed at address `base`. Immediate: the result is a constant of the
/// program, and a table that does not open, or lacks the name, is a compile
/// error naming detail::kallsyms_table_does_not_open or
/// detail::symbol_not_in_kallsyms_table. Each call opens the table anew at
/// compile time; for many names, look them up in one constexpr function
/// with one table.
template <ArchTraits Arch, kallsyms_format_policy Format = runtime_format>
consteval std::uint64_t kallsyms_address_of(std::span<const std::byte> bytes, std::uint64_t base,
                                            const kallsyms_format& fmt, std::string_view name) {
    buffer_reader mem(bytes, base);
    kallsyms_table<buffer_reader, Arch, Format> table;
    if (!table.open(mem, fmt)) detail::kallsyms_table_does_not_open();
    name_buffer buf;
    auto sym = table.find_by_name(name, buf);
    if (!sym) detail::symbol_not_in_kallsyms_table();
    return sym ? sym->address : 0;
}

}  // namespace ksym
