#pragma once
// Choosing a traits type at run time, from what a file says about itself.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>

#include "ksym/arch/targets.hpp"

namespace ksym {

/// The targets ksym can instantiate for, as a run-time value.
enum class arch_id : std::uint8_t {
    x86_64, i386, arm64, arm, riscv64, ppc64le, s390x,
    generic32le, generic32be, generic64le, generic64be,
};

/// The target's conventional name ("x86_64", "arm64", ...).
[[nodiscard]] constexpr std::string_view to_string(arch_id a) noexcept {
    constexpr std::string_view names[] = {"x86_64",      "i386",        "arm64",       "arm",
                                          "riscv64",     "ppc64le",     "s390x",       "generic32le",
                                          "generic32be", "generic64le", "generic64be"};
    const auto i = static_cast<std::size_t>(a);
    return i < std::size(names) ? names[i] : std::string_view("unknown");
}

/// The target of an ELF file from e_machine, class and data encoding.
/// Machines without their own traits map to the generic type of the same
/// word size and byte order.
[[nodiscard]] constexpr arch_id arch_from_elf(std::uint16_t machine, bool is64, std::endian order) noexcept {
    const bool le = order == std::endian::little;
    switch (machine) {
    case arch::em_x86_64: if (is64 && le) return arch_id::x86_64; break;
    case arch::em_386: if (!is64 && le) return arch_id::i386; break;
    case arch::em_aarch64: if (is64 && le) return arch_id::arm64; break;
    case arch::em_arm: if (!is64 && le) return arch_id::arm; break;
    case arch::em_riscv: if (is64 && le) return arch_id::riscv64; break;
    case arch::em_ppc64: if (is64 && le) return arch_id::ppc64le; break;
    case arch::em_s390: if (is64 && !le) return arch_id::s390x; break;
    default: break;
    }
    if (is64) return le ? arch_id::generic64le : arch_id::generic64be;
    return le ? arch_id::generic32le : arch_id::generic32be;
}

/// Calls `f(Traits{})` with the traits type for `id` and returns its result.
/// Every branch is instantiated, so `f` must compile for all of them.
template <class F>
constexpr decltype(auto) with_arch(arch_id id, F&& f) {
    switch (id) {
    case arch_id::x86_64: return std::forward<F>(f)(arch::x86_64{});
    case arch_id::i386: return std::forward<F>(f)(arch::i386{});
    case arch_id::arm64: return std::forward<F>(f)(arch::arm64{});
    case arch_id::arm: return std::forward<F>(f)(arch::arm{});
    case arch_id::riscv64: return std::forward<F>(f)(arch::riscv64{});
    case arch_id::ppc64le: return std::forward<F>(f)(arch::ppc64le{});
    case arch_id::s390x: return std::forward<F>(f)(arch::s390x{});
    case arch_id::generic32le: return std::forward<F>(f)(arch::generic<4, std::endian::little>{});
    case arch_id::generic32be: return std::forward<F>(f)(arch::generic<4, std::endian::big>{});
    case arch_id::generic64le: return std::forward<F>(f)(arch::generic<8, std::endian::little>{});
    case arch_id::generic64be: break;
    }
    return std::forward<F>(f)(arch::generic<8, std::endian::big>{});
}

}  // namespace ksym
