#pragma once
// Plain ELF structures read through a MemoryReader: header, program headers,
// section headers and symbol tables of ELF32/ELF64 in either byte order.
// Addresses given to the reader are file offsets.

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>

#include "ksym/core/endian.hpp"
#include "ksym/core/errc.hpp"
#include "ksym/core/result.hpp"
#include "ksym/memory/reader.hpp"

namespace ksym::elf {

inline constexpr std::uint32_t pt_load = 1;
inline constexpr std::uint32_t sht_symtab = 2;
inline constexpr std::uint32_t sht_strtab = 3;
inline constexpr std::uint32_t sht_rela = 4;

/// The fields of the ELF header ksym uses, widened to 64 bits.
struct header {
    bool is64 = false;
    std::endian order = std::endian::little;
    std::uint16_t type = 0;
    std::uint16_t machine = 0;
    std::uint32_t flags = 0;  ///< e_flags: processor-specific (ARM EABI version, RISC-V ABI, ...)
    std::uint64_t entry = 0;
    std::uint64_t phoff = 0;
    std::uint64_t shoff = 0;
    std::uint16_t phentsize = 0;
    std::uint16_t phnum = 0;
    std::uint16_t shentsize = 0;
    std::uint16_t shnum = 0;
    std::uint16_t shstrndx = 0;
};

/// A program header.
struct segment {
    std::uint32_t type = 0;
    std::uint32_t flags = 0;
    std::uint64_t offset = 0;
    std::uint64_t vaddr = 0;
    std::uint64_t paddr = 0;
    std::uint64_t filesz = 0;
    std::uint64_t memsz = 0;
    std::uint64_t align = 0;
};

/// A section header.
struct section {
    std::uint32_t name = 0;
    std::uint32_t type = 0;
    std::uint64_t flags = 0;
    std::uint64_t addr = 0;
    std::uint64_t offset = 0;
    std::uint64_t size = 0;
    std::uint32_t link = 0;
    std::uint64_t entsize = 0;
    std::uint32_t info = 0;       ///< for SHT_SYMTAB: index of the first non-local symbol
    std::uint64_t addralign = 0;
};

/// A symbol table entry.
struct symbol {
    std::uint32_t name = 0;
    std::uint8_t info = 0;
    std::uint16_t shndx = 0;
    std::uint64_t value = 0;
    std::uint64_t size = 0;
};

namespace detail {
// Field reader over a fixed record buffer with the file's byte order.
struct fields {
    const std::byte* p;
    std::endian order;
    [[nodiscard]] constexpr std::uint64_t at(std::size_t off, std::size_t width) const noexcept {
        return load_n(p + off, width, order);
    }
};
}  // namespace detail

/// Reads and checks the ELF header at offset 0. Not ELF: `corrupt` at 0;
/// ELFCLASSNONE or an unknown data encoding: `unsupported`.
template <MemoryReader R>
[[nodiscard]] constexpr result<header> read_header(R& r) {
    std::array<std::byte, 64> b{};
    if (status s = r.read(0, std::span(b).first(52)); !s) return s;
    if (b[0] != std::byte{0x7f} || b[1] != std::byte{'E'} || b[2] != std::byte{'L'} || b[3] != std::byte{'F'})
        return status{errc::corrupt, 0};
    header h;
    if (b[4] == std::byte{1}) h.is64 = false;
    else if (b[4] == std::byte{2}) h.is64 = true;
    else return status{errc::unsupported, 4};
    if (b[5] == std::byte{1}) h.order = std::endian::little;
    else if (b[5] == std::byte{2}) h.order = std::endian::big;
    else return status{errc::unsupported, 5};
    if (h.is64) {
        if (status s = r.read(52, std::span(b).subspan(52, 12)); !s) return s;
    }
    const detail::fields f{b.data(), h.order};
    h.type = static_cast<std::uint16_t>(f.at(16, 2));
    h.machine = static_cast<std::uint16_t>(f.at(18, 2));
    if (h.is64) {
        h.entry = f.at(24, 8);
        h.phoff = f.at(32, 8);
        h.shoff = f.at(40, 8);
        h.flags = static_cast<std::uint32_t>(f.at(48, 4));
        h.phentsize = static_cast<std::uint16_t>(f.at(54, 2));
        h.phnum = static_cast<std::uint16_t>(f.at(56, 2));
        h.shentsize = static_cast<std::uint16_t>(f.at(58, 2));
        h.shnum = static_cast<std::uint16_t>(f.at(60, 2));
        h.shstrndx = static_cast<std::uint16_t>(f.at(62, 2));
    } else {
        h.entry = f.at(24, 4);
        h.phoff = f.at(28, 4);
        h.shoff = f.at(32, 4);
        h.flags = static_cast<std::uint32_t>(f.at(36, 4));
        h.phentsize = static_cast<std::uint16_t>(f.at(42, 2));
        h.phnum = static_cast<std::uint16_t>(f.at(44, 2));
        h.shentsize = static_cast<std::uint16_t>(f.at(46, 2));
        h.shnum = static_cast<std::uint16_t>(f.at(48, 2));
        h.shstrndx = static_cast<std::uint16_t>(f.at(50, 2));
    }
    const std::uint16_t want_ph = h.is64 ? 56 : 32, want_sh = h.is64 ? 64 : 40;
    if (h.phnum != 0 && h.phentsize < want_ph) return status{errc::corrupt, h.is64 ? 54u : 42u};
    if (h.shnum != 0 && h.shentsize < want_sh) return status{errc::corrupt, h.is64 ? 58u : 46u};
    return h;
}

/// Program header `i`.
template <MemoryReader R>
[[nodiscard]] constexpr result<segment> read_segment(R& r, const header& h, std::uint16_t i) {
    if (i >= h.phnum) return status{errc::invalid_argument};
    std::array<std::byte, 56> b{};
    const std::uint64_t at = h.phoff + std::uint64_t{i} * h.phentsize;
    if (at < h.phoff) return status{errc::corrupt, h.phoff};
    if (status s = r.read(at, std::span(b).first(h.is64 ? 56 : 32)); !s) return s;
    const detail::fields f{b.data(), h.order};
    segment sg;
    sg.type = static_cast<std::uint32_t>(f.at(0, 4));
    if (h.is64) {
        sg.flags = static_cast<std::uint32_t>(f.at(4, 4));
        sg.offset = f.at(8, 8);
        sg.vaddr = f.at(16, 8);
        sg.paddr = f.at(24, 8);
        sg.filesz = f.at(32, 8);
        sg.memsz = f.at(40, 8);
        sg.align = f.at(48, 8);
    } else {
        sg.offset = f.at(4, 4);
        sg.vaddr = f.at(8, 4);
        sg.paddr = f.at(12, 4);
        sg.filesz = f.at(16, 4);
        sg.memsz = f.at(20, 4);
        sg.flags = static_cast<std::uint32_t>(f.at(24, 4));
        sg.align = f.at(28, 4);
    }
    return sg;
}

/// Section header `i`.
template <MemoryReader R>
[[nodiscard]] constexpr result<section> read_section(R& r, const header& h, std::uint16_t i) {
    if (i >= h.shnum) return status{errc::invalid_argument};
    std::array<std::byte, 64> b{};
    const std::uint64_t at = h.shoff + std::uint64_t{i} * h.shentsize;
    if (at < h.shoff) return status{errc::corrupt, h.shoff};
    if (status s = r.read(at, std::span(b).first(h.is64 ? 64 : 40)); !s) return s;
    const detail::fields f{b.data(), h.order};
    section sc;
    sc.name = static_cast<std::uint32_t>(f.at(0, 4));
    sc.type = static_cast<std::uint32_t>(f.at(4, 4));
    if (h.is64) {
        sc.flags = f.at(8, 8);
        sc.addr = f.at(16, 8);
        sc.offset = f.at(24, 8);
        sc.size = f.at(32, 8);
        sc.link = static_cast<std::uint32_t>(f.at(40, 4));
        sc.info = static_cast<std::uint32_t>(f.at(44, 4));
        sc.addralign = f.at(48, 8);
        sc.entsize = f.at(56, 8);
    } else {
        sc.flags = f.at(8, 4);
        sc.addr = f.at(12, 4);
        sc.offset = f.at(16, 4);
        sc.size = f.at(20, 4);
        sc.link = static_cast<std::uint32_t>(f.at(24, 4));
        sc.info = static_cast<std::uint32_t>(f.at(28, 4));
        sc.addralign = f.at(32, 4);
        sc.entsize = f.at(36, 4);
    }
    return sc;
}

/// Calls `visit(const symbol&, std::string_view name)` for every entry of the
/// first SHT_SYMTAB section. Symbols are read in windows; each name is read
/// with one bounded read of at most `max_name` bytes (names longer than that
/// are passed truncated, never matched by mistake since they lack a NUL
/// inside the bound: they arrive with size == max_name). No .symtab (a
/// stripped file): `not_found`.
template <std::size_t MaxName = 64, MemoryReader R, class Visit>
constexpr status for_each_symbol(R& r, const header& h, Visit&& visit) {
    std::optional<section> symtab;
    for (std::uint16_t i = 0; i < h.shnum; ++i) {
        auto sc = read_section(r, h, i);
        if (!sc) return sc.error();
        if (sc->type == sht_symtab) {
            symtab = *sc;
            break;
        }
    }
    if (!symtab) return {errc::not_found};
    auto strtab = read_section(r, h, static_cast<std::uint16_t>(symtab->link));
    if (!strtab) return strtab.error().code() == errc::invalid_argument ? status{errc::corrupt, h.shoff} : strtab.error();
    const std::size_t ent = h.is64 ? 24 : 16;
    if (symtab->entsize != 0 && symtab->entsize < ent) return {errc::corrupt, symtab->offset};
    const std::uint64_t stride = symtab->entsize ? symtab->entsize : ent;
    const std::uint64_t count = symtab->size / stride;
    constexpr std::size_t window = 128;
    std::array<std::byte, window * 64> buf{};  // room for 128 entries of up to 64 bytes
    const std::uint64_t per = stride <= 64 ? window : 1;
    for (std::uint64_t first = 0; first < count; first += per) {
        const std::uint64_t n = std::min<std::uint64_t>(per, count - first);
        const std::uint64_t bytes = stride <= 64 ? n * stride : ent;
        const std::uint64_t at = symtab->offset + first * stride;
        if (at < symtab->offset) return {errc::corrupt, symtab->offset};
        if (status s = r.read(at, std::span(buf).first(static_cast<std::size_t>(bytes))); !s) return s;
        for (std::uint64_t k = 0; k < n; ++k) {
            const detail::fields f{buf.data() + (stride <= 64 ? k * stride : 0), h.order};
            symbol sy;
            sy.name = static_cast<std::uint32_t>(f.at(0, 4));
            if (h.is64) {
                sy.info = static_cast<std::uint8_t>(f.at(4, 1));
                sy.shndx = static_cast<std::uint16_t>(f.at(6, 2));
                sy.value = f.at(8, 8);
                sy.size = f.at(16, 8);
            } else {
                sy.value = f.at(4, 4);
                sy.size = f.at(8, 4);
                sy.info = static_cast<std::uint8_t>(f.at(12, 1));
                sy.shndx = static_cast<std::uint16_t>(f.at(14, 2));
            }
            std::string_view name;
            std::array<char, MaxName> nb{};
            if (sy.name < strtab->size) {
                const std::uint64_t avail = strtab->size - sy.name;
                const std::size_t len = static_cast<std::size_t>(std::min<std::uint64_t>(avail, MaxName));
                if (status s = r.read(strtab->offset + sy.name, std::as_writable_bytes(std::span(nb).first(len))); !s)
                    return s;
                std::size_t z = 0;
                while (z < len && nb[z] != '\0') ++z;
                name = std::string_view(nb.data(), z);
            }
            if constexpr (std::is_same_v<decltype(visit(sy, name)), bool>) {
                if (!visit(sy, name)) return {};
            } else {
                visit(sy, name);
            }
        }
    }
    return {};
}

}  // namespace ksym::elf
