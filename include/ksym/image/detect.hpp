#pragma once
// What kind of kernel image a file is, from its first bytes.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "ksym/core/errc.hpp"
#include "ksym/core/result.hpp"
#include "ksym/memory/reader.hpp"

namespace ksym {

/// The kernel image formats ksym reads.
enum class image_format : std::uint8_t {
    unknown,
    elf,          ///< an ELF vmlinux (stripped or not; the x86 bzImage payload is one)
    raw_arm64,    ///< an arm64 `Image`: magic "ARM\x64" at 0x38
    raw_riscv64,  ///< a RISC-V `Image`: "RISCV\0\0\0" at 0x30, "RSC\x05" at 0x38 (arch/riscv/include/asm/image.h)
};

[[nodiscard]] constexpr std::string_view to_string(image_format f) noexcept {
    switch (f) {
    case image_format::unknown: return "unknown";
    case image_format::elf: return "elf";
    case image_format::raw_arm64: return "raw-arm64";
    case image_format::raw_riscv64: return "raw-riscv64";
    }
    return "?";
}

/// The format of the image `file` holds (addressed by file offset). A file
/// too short for any header is `unknown`, not an error.
template <MemoryReader R>
[[nodiscard]] constexpr result<image_format> detect_image_format(R& file) {
    std::array<std::byte, 64> h{};
    std::size_t have = h.size();
    while (have > 0 && !file.read(0, std::span(h).first(have)).ok()) have /= 2;
    auto is = [&](std::size_t at, std::string_view m) {
        if (at + m.size() > have) return false;
        for (std::size_t i = 0; i < m.size(); ++i)
            if (h[at + i] != static_cast<std::byte>(m[i])) return false;
        return true;
    };
    if (is(0, "\x7f" "ELF")) return image_format::elf;
    if (is(0x38, "ARM\x64")) return image_format::raw_arm64;
    if (is(0x38, "RSC\x05") || is(0x30, std::string_view("RISCV\0\0\0", 8))) return image_format::raw_riscv64;
    return image_format::unknown;
}

}  // namespace ksym
