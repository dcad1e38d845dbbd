#pragma once
// The vocabulary shared by nm type chars, ELF st_info and kallsyms: binding,
// kind and the class of section a symbol lives in.

#include <cstddef>
#include <cstdint>
#include <string_view>

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

/// The ELF name of a binding without its prefix: "local", "global", ...
[[nodiscard]] constexpr std::string_view to_string(symbol_binding b) noexcept {
    constexpr std::string_view n[] = {"unknown", "local", "global", "weak", "unique"};
    const auto i = static_cast<std::size_t>(b);
    return i < std::size(n) ? n[i] : "?";
}

/// The ELF name of a symbol type without its prefix: "object", "func", ...
[[nodiscard]] constexpr std::string_view to_string(symbol_kind k) noexcept {
    constexpr std::string_view n[] = {"unknown", "object", "func", "section", "file", "common", "tls", "ifunc"};
    const auto i = static_cast<std::size_t>(k);
    return i < std::size(n) ? n[i] : "?";
}

/// The section class's name as the enumerator spells it: "text", "bss", ...
[[nodiscard]] constexpr std::string_view to_string(section_class c) noexcept {
    constexpr std::string_view n[] = {"unknown", "undefined", "absolute",  "common", "text",
                                      "data",    "rodata",    "bss",       "small_data",
                                      "small_bss", "debug",   "stack_unwind", "indirect"};
    const auto i = static_cast<std::size_t>(c);
    return i < std::size(n) ? n[i] : "?";
}

}  // namespace ksym
