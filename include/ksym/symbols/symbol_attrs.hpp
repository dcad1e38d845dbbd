#pragma once
// The vocabulary shared by nm type chars, ELF st_info and kallsyms: binding,
// kind and the class of section a symbol lives in.

#include <cstdint>

namespace ksym {

/// Linkage of a symbol (ELF STB_*).
enum class symbol_binding : std::uint8_t { unknown, local, global, weak, unique };

/// What a symbol names (ELF STT_*). STT_NOTYPE maps to `unknown`.
enum class symbol_kind : std::uint8_t { unknown, object, func, section, file, common, tls, ifunc };

/// The kind of section a symbol is defined in: what nm's letter encodes
/// beyond binding. `unknown` when the source does not say.
enum class section_class : std::uint8_t {
    unknown,
    undefined,     ///< U, w, v: not defined here
    absolute,      ///< A: a value, not an address in any section
    common,        ///< C: uninitialised common storage
    text,          ///< T: executable code
    data,          ///< D: writable initialised data
    rodata,        ///< R: read-only data
    bss,           ///< B: zero-initialised data
    small_data,    ///< G: small initialised data (gp-relative targets)
    small_bss,     ///< S: small zero-initialised data
    debug,         ///< N (and the kernel's 'n'): debugging sections
    stack_unwind,  ///< p: unwind tables
    indirect,      ///< I: an indirect reference to another symbol
};

/// Binding, kind and section class of one symbol. Any part may be unknown.
struct symbol_attrs {
    symbol_binding binding = symbol_binding::unknown;
    symbol_kind kind = symbol_kind::unknown;
    section_class section = section_class::unknown;

    friend constexpr bool operator==(const symbol_attrs&, const symbol_attrs&) noexcept = default;
};

}  // namespace ksym
