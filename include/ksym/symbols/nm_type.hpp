#pragma once
// nm type letters <-> (binding, kind, section class), at compile time.
//
// The letters are those of GNU nm as the kernel's kallsyms tables store them
// (scripts/kallsyms keeps nm's letter as the first byte of each name) and as
// the kernel's module loader synthesises them (elf_type()): an upper-case
// letter is a global symbol, lower-case a local one, except for the letters
// whose case carries another meaning (U, u, i, w/W, v/V, N, n, p, ?, -).

#include "ksym/symbols/symbol_attrs.hpp"

namespace ksym {

/// What the nm letter `c` says about a symbol. Letters nm never prints give
/// all-unknown attributes.
[[nodiscard]] constexpr symbol_attrs from_nm_type(char c) noexcept {
    using b = symbol_binding;
    using k = symbol_kind;
    using s = section_class;
    const bool upper = c >= 'A' && c <= 'Z';
    const b case_binding = upper ? b::global : b::local;
    switch (c) {
    case 'A': case 'a': return {case_binding, k::unknown, s::absolute};
    case 'B': case 'b': return {case_binding, k::object, s::bss};
    case 'C': case 'c': return {case_binding, k::common, s::common};
    case 'D': case 'd': return {case_binding, k::object, s::data};
    case 'G': case 'g': return {case_binding, k::object, s::small_data};
    case 'R': case 'r': return {case_binding, k::object, s::rodata};
    case 'S': case 's': return {case_binding, k::object, s::small_bss};
    case 'T': case 't': return {case_binding, k::func, s::text};
    // Weak: upper case is defined here, lower case undefined (nm); the
    // kernel's module loader prints every weak symbol in lower case.
    case 'V': return {b::weak, k::object, s::unknown};
    case 'v': return {b::weak, k::object, s::undefined};
    case 'W': return {b::weak, k::unknown, s::unknown};
    case 'w': return {b::weak, k::unknown, s::undefined};
    case 'U': return {b::global, k::unknown, s::undefined};
    case 'u': return {b::unique, k::object, s::data};
    case 'i': return {b::unknown, k::ifunc, s::text};
    case 'I': return {b::unknown, k::unknown, s::indirect};
    case 'N': return {b::unknown, k::unknown, s::debug};
    case 'n': return {b::local, k::unknown, s::debug};
    case 'p': return {b::unknown, k::unknown, s::stack_unwind};
    default: return {};
    }
}

/// True when `c` is a letter nm (or the kernel) uses for a symbol type.
[[nodiscard]] constexpr bool is_nm_type(char c) noexcept {
    return from_nm_type(c) != symbol_attrs{} || c == '?' || c == '-';
}

/// The nm letter for a symbol with these attributes: the section class picks
/// the letter, the binding its case; weak, unique and ifunc symbols take nm's
/// dedicated letters. When the section class is unknown the kind decides
/// (func -> T, object/tls -> D, common -> C). '?' when nothing fits.
[[nodiscard]] constexpr char to_nm_type(const symbol_attrs& a) noexcept {
    using b = symbol_binding;
    using k = symbol_kind;
    using s = section_class;
    if (a.binding == b::weak) {
        const bool undef = a.section == s::undefined;
        if (a.kind == k::object) return undef ? 'v' : 'V';
        return undef ? 'w' : 'W';
    }
    if (a.binding == b::unique) return 'u';
    if (a.kind == k::ifunc) return 'i';
    char c = '?';
    switch (a.section) {
    case s::undefined: return 'U';
    case s::indirect: return 'I';
    case s::stack_unwind: return 'p';
    case s::debug: return a.binding == b::local ? 'n' : 'N';
    case s::absolute: c = 'A'; break;
    case s::common: c = 'C'; break;
    case s::text: c = 'T'; break;
    case s::data: c = 'D'; break;
    case s::rodata: c = 'R'; break;
    case s::bss: c = 'B'; break;
    case s::small_data: c = 'G'; break;
    case s::small_bss: c = 'S'; break;
    case s::unknown:
        switch (a.kind) {
        case k::func: c = 'T'; break;
        case k::object: case k::tls: c = 'D'; break;
        case k::common: c = 'C'; break;
        default: return '?';
        }
        break;
    }
    return a.binding == b::local ? static_cast<char>(c - 'A' + 'a') : c;
}

}  // namespace ksym
