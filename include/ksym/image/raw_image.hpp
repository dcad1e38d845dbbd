#pragma once
// A raw kernel image (arm64 or riscv `Image`): the file is the kernel's
// memory from its first byte, so address = load address + file offset.

#include <array>
#include <cstdint>
#include <span>

#include "ksym/core/endian.hpp"
#include "ksym/core/errc.hpp"
#include "ksym/core/result.hpp"
#include "ksym/memory/file_reader.hpp"

namespace ksym {

/// Which raw image format a file is, by its boot header.
enum class raw_image_kind : std::uint8_t { unknown, arm64, riscv64 };

/// Recognises the arm64 Image header (magic "ARM\x64" at 0x38) and the
/// RISC-V one ("RSC\x05" at 0x34; only 64-bit Images carry it in practice).
template <MemoryReader R>
[[nodiscard]] constexpr result<raw_image_kind> detect_raw_image(R& file) {
    std::array<std::byte, 64> h{};
    if (status s = file.read(0, std::span(h)); !s) return s;
    auto is = [&](std::size_t at, const char (&m)[5]) {
        for (std::size_t i = 0; i < 4; ++i)
            if (h[at + i] != static_cast<std::byte>(m[i])) return false;
        return true;
    };
    if (is(0x38, "ARM\x64")) return raw_image_kind::arm64;
    if (is(0x34, "RSC\x05")) return raw_image_kind::riscv64;
    return raw_image_kind::unknown;
}

/// The file of a raw Image placed at its load (link) address. Pinned in
/// place like elf_image.
class raw_image {
public:
    raw_image() = default;
    raw_image(const raw_image&) = delete;
    raw_image& operator=(const raw_image&) = delete;

    /// Opens `path` and places its first byte at `load_address` (the
    /// address of `_text` in System.map).
    status open(const char* path, std::uint64_t load_address) {
        auto f = file_reader::open(path);
        if (!f) return f.error();
        file_ = std::move(*f);
        auto k = detect_raw_image(file_);
        if (!k) return k.error();
        kind_ = *k;
        if (!range_fits(load_address, file_.size())) return {errc::invalid_argument};
        view_ = file_.remap(load_address, 0, file_.size());
        load_ = load_address;
        return {};
    }

    status read(std::uint64_t addr, std::span<std::byte> out) const { return view_.read(addr, out); }

    [[nodiscard]] raw_image_kind kind() const noexcept { return kind_; }
    [[nodiscard]] std::uint64_t load_address() const noexcept { return load_; }
    [[nodiscard]] const file_reader& file() const noexcept { return file_; }

private:
    file_reader file_{-1, 0, 0, 0};
    file_reader view_{-1, 0, 0, 0};
    raw_image_kind kind_ = raw_image_kind::unknown;
    std::uint64_t load_ = 0;
};

}  // namespace ksym
