#pragma once
// ELF st_info <-> (binding, kind), including the GNU extensions.

#include <cstdint>

#include "ksym/core/errc.hpp"
#include "ksym/core/result.hpp"
#include "ksym/symbols/symbol_attrs.hpp"

namespace ksym::elf {

// st_info fields, from the System V gABI plus GNU's OS-specific values.
inline constexpr std::uint8_t stb_local = 0, stb_global = 1, stb_weak = 2, stb_gnu_unique = 10;
inline constexpr std::uint8_t stt_notype = 0, stt_object = 1, stt_func = 2, stt_section = 3, stt_file = 4,
                              stt_common = 5, stt_tls = 6, stt_gnu_ifunc = 10;

[[nodiscard]] constexpr std::uint8_t st_bind(std::uint8_t info) noexcept { return info >> 4; }
[[nodiscard]] constexpr std::uint8_t st_type(std::uint8_t info) noexcept { return info & 0xf; }
[[nodiscard]] constexpr std::uint8_t st_info(std::uint8_t bind, std::uint8_t type) noexcept {
    return static_cast<std::uint8_t>((bind << 4) | (type & 0xf));
}

}  // namespace ksym::elf

namespace ksym {

/// The binding field of `st_info`; values ELF leaves to other OSes or
/// processors come out `unknown`.
[[nodiscard]] constexpr symbol_binding binding_from_st_info(std::uint8_t info) noexcept {
    switch (elf::st_bind(info)) {
    case elf::stb_local: return symbol_binding::local;
    case elf::stb_global: return symbol_binding::global;
    case elf::stb_weak: return symbol_binding::weak;
    case elf::stb_gnu_unique: return symbol_binding::unique;
    default: return symbol_binding::unknown;
    }
}

/// The type field of `st_info`; STT_NOTYPE and unassigned values give `unknown`.
[[nodiscard]] constexpr symbol_kind kind_from_st_info(std::uint8_t info) noexcept {
    switch (elf::st_type(info)) {
    case elf::stt_object: return symbol_kind::object;
    case elf::stt_func: return symbol_kind::func;
    case elf::stt_section: return symbol_kind::section;
    case elf::stt_file: return symbol_kind::file;
    case elf::stt_common: return symbol_kind::common;
    case elf::stt_tls: return symbol_kind::tls;
    case elf::stt_gnu_ifunc: return symbol_kind::ifunc;
    default: return symbol_kind::unknown;
    }
}

/// Binding and kind of `st_info`; the section class needs the section
/// header, so it stays unknown.
[[nodiscard]] constexpr symbol_attrs from_st_info(std::uint8_t info) noexcept {
    return {binding_from_st_info(info), kind_from_st_info(info), section_class::unknown};
}

/// The `st_info` byte for a binding and kind. An unknown binding has no ELF
/// value (`invalid_argument`); an unknown kind becomes STT_NOTYPE.
[[nodiscard]] constexpr result<std::uint8_t> to_st_info(symbol_binding bind, symbol_kind kind) noexcept {
    std::uint8_t b = 0;
    switch (bind) {
    case symbol_binding::local: b = elf::stb_local; break;
    case symbol_binding::global: b = elf::stb_global; break;
    case symbol_binding::weak: b = elf::stb_weak; break;
    case symbol_binding::unique: b = elf::stb_gnu_unique; break;
    case symbol_binding::unknown: return status{errc::invalid_argument};
    }
    std::uint8_t t = elf::stt_notype;
    switch (kind) {
    case symbol_kind::unknown: t = elf::stt_notype; break;
    case symbol_kind::object: t = elf::stt_object; break;
    case symbol_kind::func: t = elf::stt_func; break;
    case symbol_kind::section: t = elf::stt_section; break;
    case symbol_kind::file: t = elf::stt_file; break;
    case symbol_kind::common: t = elf::stt_common; break;
    case symbol_kind::tls: t = elf::stt_tls; break;
    case symbol_kind::ifunc: t = elf::stt_gnu_ifunc; break;
    }
    return elf::st_info(b, t);
}

}  // namespace ksym
