#pragma once
// The one symbol type every ksym lookup answers with.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ksym {

/// Bytes a name buffer needs for any kernel symbol, terminating NUL included
/// (the kernel's KSYM_NAME_LEN: 512 since 6.1, 128 before).
inline constexpr std::size_t name_buffer_size = 512;

/// A buffer that holds any symbol name; lookups write names into one.
using name_buffer = std::array<char, name_buffer_size>;

/// One kernel symbol. `name` (and `module`, when set) point into storage the
/// caller lent to the lookup: they stay valid until that buffer is reused.
struct symbol {
    std::uint32_t index = 0;    ///< position in its table (address order)
    std::uint64_t address = 0;
    /// Distance to the next higher address in the same table, as drgn and
    /// the kernel's kallsyms_lookup_size_offset compute it; 0 for the last.
    std::uint64_t size = 0;
    char type = '?';            ///< nm letter, as /proc/kallsyms prints it
    std::string_view name;
    std::string_view module;    ///< empty for the kernel image itself

    friend constexpr bool operator==(const symbol&, const symbol&) noexcept = default;
};

/// The answer to "which symbol contains this address".
struct address_match {
    symbol sym;                 ///< the first of the symbols at that address (the kernel's choice among aliases)
    std::uint64_t offset = 0;   ///< looked-up address minus sym.address
};

}  // namespace ksym
