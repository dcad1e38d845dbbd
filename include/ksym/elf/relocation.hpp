#pragma once
// Recovering values a self-relocating kernel fills in at boot.
//
// arm64 links its Image with --no-apply-dynamic-relocs: a pointer-sized
// datum such as kallsyms_relative_base holds 0 in the file and its value is
// the addend of an R_AARCH64_RELATIVE entry in .rela.dyn, which the boot code
// applies. (Builds that use RELR relocations keep the value in place.)

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>

#include "ksym/core/endian.hpp"
#include "ksym/core/errc.hpp"
#include "ksym/core/result.hpp"
#include "ksym/memory/reader.hpp"

namespace ksym {

inline constexpr std::uint32_t r_aarch64_relative = 1027;
inline constexpr std::uint32_t r_riscv_relative = 3;

/// Calls visit(r_offset, r_addend) for each 8-byte-aligned Elf64_Rela of
/// `type` in `bytes` (a raw Image has no section header for .rela.dyn, so
/// the whole image is searched), until visit returns false.
template <class Visit>
constexpr void for_each_rela(std::span<const std::byte> bytes, std::endian order, std::uint32_t type, Visit&& visit) {
    constexpr std::size_t entry = 24;
    for (std::size_t k = 0; k + entry <= bytes.size(); k += 8) {
        const std::uint64_t info = load<std::uint64_t>(bytes.data() + k + 8, order);
        if ((info & 0xffffffffu) != type) continue;
        if (!visit(load<std::uint64_t>(bytes.data() + k, order), load<std::uint64_t>(bytes.data() + k + 16, order)))
            return;
    }
}

/// Searches `bytes` (a raw Image in memory) for an 8-byte-aligned
/// Elf64_Rela whose r_offset is `target` and whose type is `type`, and
/// returns its addend. In place: no buffer, so it runs on a firmware stack
/// of a few KiB.
[[nodiscard]] constexpr result<std::uint64_t> find_rela_addend(std::span<const std::byte> bytes, std::endian order,
                                                               std::uint64_t target, std::uint32_t type) noexcept {
    result<std::uint64_t> found = status{errc::not_found};
    for_each_rela(bytes, order, type, [&](std::uint64_t r_offset, std::uint64_t addend) {
        if (r_offset != target) return true;
        found = addend;
        return false;
    });
    return found;
}

namespace detail {

// The search through fixed 8 KiB windows, overlapping by one entry. Out of
// line: the window is only on the stack while it runs.
template <MemoryReader R>
[[gnu::noinline]] result<std::uint64_t> find_rela_addend_windowed(R& file, std::uint64_t size, std::endian order,
                                                                  std::uint64_t target, std::uint32_t type) {
    constexpr std::size_t window = 8192;
    constexpr std::size_t entry = 24;
    std::array<std::byte, window> buf{};
    for (std::uint64_t at = 0; at + entry <= size;) {
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(window, size - at));
        if (status s = file.read(at, std::span(buf).first(n)); !s) return s;
        auto a = find_rela_addend(std::span<const std::byte>(buf).first(n), order, target, type);
        if (a || a.error() != errc::not_found) return a;
        if (n < window) break;
        at += window - entry;  // overlap so an entry straddling windows is seen
    }
    return status{errc::not_found};
}

}  // namespace detail

/// Searches [0, size) of `file` as above, without section headers, which a
/// raw Image lacks, and without allocating: a reader that lends the whole
/// range (LendingReader) is searched in place, others through an 8 KiB
/// window.
template <MemoryReader R>
[[nodiscard]] result<std::uint64_t> find_rela_addend(R& file, std::uint64_t size, std::endian order,
                                                     std::uint64_t target, std::uint32_t type) {
    if constexpr (LendingReader<R>) {
        if (size <= SIZE_MAX) {
            if (auto all = file.view(0, static_cast<std::size_t>(size)); !all.empty())
                return find_rela_addend(all.first(static_cast<std::size_t>(size)), order, target, type);
        }
    }
    return detail::find_rela_addend_windowed(file, size, order, target, type);
}

}  // namespace ksym
