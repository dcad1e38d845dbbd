#pragma once
// A raw kernel image (arm64 or riscv `Image`): the file is the kernel's
// memory from its first byte, so address = load address + file offset.

#include <array>
#include <cstdint>
#include <span>

#include "ksym/core/endian.hpp"
#include "ksym/core/errc.hpp"
#include "ksym/core/result.hpp"
#include "ksym/image/detect.hpp"
#include "ksym/memory/file_reader.hpp"

namespace ksym {


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
        return open(std::move(*f), load_address);
    }
    /// Takes over a file already open. A file with no recognised header is
    /// taken as a raw image only when `headerless` says so (an armhf Image,
    /// an s390x kernel, a firmware blob).
    status open(file_reader&& file, std::uint64_t load_address, bool headerless = false) {
        file_ = std::move(file);
        auto k = detect_image_format(file_);
        if (!k) return k.error();
        const bool raw = *k == image_format::raw_arm64 || *k == image_format::raw_riscv64;
        if (!raw && !(headerless && *k == image_format::unknown)) return {errc::unsupported, 0};
        format_ = *k;
        if (!range_fits(load_address, file_.size())) return {errc::invalid_argument};
        view_ = file_.remap(load_address, 0, file_.size());
        load_ = load_address;
        // Both headers (arm64 booting.rst, riscv boot-image-header.rst) keep
        // the little-endian image_size at offset 16; a headerless image has
        // code there.
        std::array<std::byte, 8> size{};
        image_size_ = 0;
        if (raw && file_.read(16, size).ok()) image_size_ = load<std::uint64_t>(size.data(), std::endian::little);
        return {};
    }

    status read(std::uint64_t addr, std::span<std::byte> out) const { return view_.read(addr, out); }

    [[nodiscard]] image_format format() const noexcept { return format_; }
    [[nodiscard]] std::uint64_t load_address() const noexcept { return load_; }
    /// The memory the kernel occupies from the load address, bss included,
    /// as the header's image_size says; 0 without a header, or when the
    /// header leaves it 0 (arm64 before 3.17).
    [[nodiscard]] std::uint64_t image_size() const noexcept { return image_size_; }
    /// The file itself, addressed by offset.
    [[nodiscard]] const file_reader& file() const noexcept { return file_; }
    [[nodiscard]] file_reader& file() noexcept { return file_; }

private:
    file_reader file_{-1, 0, 0, 0};
    file_reader view_{-1, 0, 0, 0};
    image_format format_ = image_format::unknown;
    std::uint64_t load_ = 0;
    std::uint64_t image_size_ = 0;
};

}  // namespace ksym
