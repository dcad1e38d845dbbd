#pragma once
// Traits for the architectures ksym targets. Paging details join these types
// in their own headers when translation is implemented.

#include <bit>
#include <cstdint>
#include <string_view>

#include "ksym/arch/traits.hpp"

namespace ksym::arch {

// ELF e_machine values from the System V gABI / Linux elf-em.h.
inline constexpr std::uint16_t em_386 = 3;
inline constexpr std::uint16_t em_ppc64 = 21;
inline constexpr std::uint16_t em_s390 = 22;
inline constexpr std::uint16_t em_arm = 40;
inline constexpr std::uint16_t em_x86_64 = 62;
inline constexpr std::uint16_t em_aarch64 = 183;
inline constexpr std::uint16_t em_riscv = 243;

/// x86-64 (amd64). 4- or 5-level paging is chosen per kernel at boot.
struct x86_64 : basic_arch<em_x86_64, 8, std::endian::little> {
    static constexpr std::string_view name = "x86_64";
};
/// 32-bit x86 (i386/i686, with or without PAE).
struct i386 : basic_arch<em_386, 4, std::endian::little> {
    static constexpr std::string_view name = "i386";
};
/// 64-bit Arm (arm64/aarch64), little-endian as every distribution builds it.
struct arm64 : basic_arch<em_aarch64, 8, std::endian::little> {
    static constexpr std::string_view name = "arm64";
};
/// 32-bit Arm (armel/armhf), little-endian.
struct arm : basic_arch<em_arm, 4, std::endian::little> {
    static constexpr std::string_view name = "arm";
};
/// 64-bit RISC-V.
struct riscv64 : basic_arch<em_riscv, 8, std::endian::little> {
    static constexpr std::string_view name = "riscv64";
};
/// 64-bit POWER, little-endian (ppc64el).
struct ppc64le : basic_arch<em_ppc64, 8, std::endian::little> {
    static constexpr std::string_view name = "ppc64le";
};
/// IBM Z, 64-bit big-endian.
struct s390x : basic_arch<em_s390, 8, std::endian::big> {
    static constexpr std::string_view name = "s390x";
};

static_assert(ArchTraits<x86_64> && ArchTraits<i386> && ArchTraits<arm64> && ArchTraits<arm> &&
              ArchTraits<riscv64> && ArchTraits<ppc64le> && ArchTraits<s390x>);

}  // namespace ksym::arch

namespace ksym::arch {

/// A target known only by word size and byte order: enough for kallsyms,
/// which needs nothing else. Used for ELF machines without their own traits.
template <std::size_t PointerBytes, std::endian Order>
struct generic : basic_arch<0, PointerBytes, Order> {
    static constexpr std::string_view name = PointerBytes == 8
                                                 ? (Order == std::endian::little ? "generic64le" : "generic64be")
                                                 : (Order == std::endian::little ? "generic32le" : "generic32be");
};

}  // namespace ksym::arch
