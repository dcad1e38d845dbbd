#pragma once
// ELF notes (PT_NOTE contents): the records a core file carries besides
// memory, such as VMCOREINFO, per-CPU NT_PRSTATUS and QEMU's CPU state.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "ksym/core/endian.hpp"
#include "ksym/core/errc.hpp"
#include "ksym/core/result.hpp"
#include "ksym/elf/elf_file.hpp"
#include "ksym/memory/reader.hpp"

namespace ksym::elf {

inline constexpr std::uint32_t pt_note = 4;
inline constexpr std::uint16_t et_core = 4;
inline constexpr std::uint32_t nt_prstatus = 1;
inline constexpr std::uint32_t nt_taskstruct = 4;  ///< /proc/kcore's marker note

/// One note: its name (NUL and padding stripped, at most 31 bytes kept),
/// type, and where its descriptor lies in the file.
struct note {
    std::array<char, 32> name_buf{};
    std::size_t name_len = 0;
    std::uint32_t type = 0;
    std::uint64_t desc_offset = 0;
    std::uint64_t desc_size = 0;
    [[nodiscard]] constexpr std::string_view name() const noexcept { return {name_buf.data(), name_len}; }
};

/// Calls `visit(const note&)` for each note in the `size` bytes at file
/// offset `offset` (a PT_NOTE segment). Headers are three 4-byte words in
/// both ELF classes; name and descriptor are padded to 4 bytes. A note that
/// runs past the segment gives `corrupt` at its offset. `visit` returns void
/// or bool (false stops).
template <MemoryReader R, class Visit>
constexpr status for_each_note(R& file, std::endian order, std::uint64_t offset, std::uint64_t size, Visit&& visit) {
    if (!range_fits(offset, size)) return {errc::corrupt, offset};
    const std::uint64_t end = offset + size;
    for (std::uint64_t at = offset; end - at >= 12;) {
        std::array<std::byte, 12> h{};
        if (status s = file.read(at, std::span(h)); !s) return s;
        const std::uint64_t namesz = load<std::uint32_t>(h.data(), order);
        const std::uint64_t descsz = load<std::uint32_t>(h.data() + 4, order);
        note n;
        n.type = load<std::uint32_t>(h.data() + 8, order);
        const std::uint64_t name_padded = (namesz + 3) & ~std::uint64_t{3};
        const std::uint64_t desc_padded = (descsz + 3) & ~std::uint64_t{3};
        if (name_padded > end - at - 12 || desc_padded > end - at - 12 - name_padded) return {errc::corrupt, at};
        std::array<char, 32> raw{};
        const std::size_t keep = namesz < raw.size() ? static_cast<std::size_t>(namesz) : raw.size();
        if (status s = file.read(at + 12, std::as_writable_bytes(std::span(raw).first(keep))); !s) return s;
        while (n.name_len < keep && raw[n.name_len] != '\0') ++n.name_len;
        n.name_buf = raw;
        n.desc_offset = at + 12 + name_padded;
        n.desc_size = descsz;
        if constexpr (std::is_same_v<decltype(visit(n)), bool>) {
            if (!visit(n)) return {};
        } else {
            visit(n);
        }
        at += 12 + name_padded + desc_padded;
    }
    return {};
}

}  // namespace ksym::elf
