#pragma once
// Where a loaded module's kallsyms keep each symbol's nm letter, by kernel era.
//
// The module loader copies the "core" symbols of a module into
// mod->core_kallsyms and has always had to remember each symbol's nm letter
// (it is computed from section headers that are freed after load). Where it
// put that letter changed twice:
//   before 5.0   in st_info, overwriting binding and type;
//   5.0 and 5.1  in st_size, so st_info stays valid and the size is lost;
//   5.2 onward   in a separate array, mod->kallsyms->typetab, one char per symbol.

#include <cstdint>

#include "ksym/core/kernel_version.hpp"
#include "ksym/symbols/nm_type.hpp"
#include "ksym/symbols/st_info.hpp"
#include "ksym/symbols/symbol_attrs.hpp"

namespace ksym {

/// The three layouts of a module symbol's type letter.
enum class module_type_era : std::uint8_t {
    type_in_st_info,  ///< < 5.0: st_info holds the nm letter
    type_in_st_size,  ///< 5.0, 5.1: st_size holds the nm letter, st_info is real
    typetab,          ///< >= 5.2: kallsyms->typetab[i] holds the nm letter
};

/// The era a kernel release belongs to.
[[nodiscard]] constexpr module_type_era module_era_for(kernel_version v) noexcept {
    if (v < kernel_version{5, 0, 0}) return module_type_era::type_in_st_info;
    if (v < kernel_version{5, 2, 0}) return module_type_era::type_in_st_size;
    return module_type_era::typetab;
}

/// The fields of one module Elf_Sym that matter here, plus its typetab entry
/// (ignored before 5.2).
struct module_symbol_fields {
    std::uint8_t st_info = 0;
    std::uint64_t st_size = 0;
    char typetab = 0;
};

/// The nm letter of a module symbol in `era`.
[[nodiscard]] constexpr char module_symbol_type(module_type_era era, const module_symbol_fields& f) noexcept {
    switch (era) {
    case module_type_era::type_in_st_info: return static_cast<char>(f.st_info);
    case module_type_era::type_in_st_size: return static_cast<char>(f.st_size & 0xff);
    case module_type_era::typetab: return f.typetab;
    }
    return '?';
}

/// Whether st_info still holds the ELF binding and type in `era`.
[[nodiscard]] constexpr bool module_st_info_valid(module_type_era era) noexcept {
    return era != module_type_era::type_in_st_info;
}

/// Whether st_size still holds the symbol's size in `era`.
[[nodiscard]] constexpr bool module_st_size_valid(module_type_era era) noexcept {
    return era != module_type_era::type_in_st_size;
}

/// Binding, kind and section class of a module symbol: the letter gives the
/// section class and (by case) the binding; where st_info is valid it gives
/// the exact binding and kind, which the letter cannot (the kernel prints
/// every weak symbol in lower case, and nm letters do not say func/object).
[[nodiscard]] constexpr symbol_attrs module_symbol_attrs(module_type_era era, const module_symbol_fields& f) noexcept {
    symbol_attrs a = from_nm_type(module_symbol_type(era, f));
    if (module_st_info_valid(era)) {
        const symbol_attrs e = from_st_info(f.st_info);
        if (e.binding != symbol_binding::unknown) a.binding = e.binding;
        if (e.kind != symbol_kind::unknown) a.kind = e.kind;
    }
    return a;
}

}  // namespace ksym
