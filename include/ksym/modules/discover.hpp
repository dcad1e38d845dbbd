#pragma once
// Finding what a kernel built without CONFIG_KALLSYMS_ALL does not name:
// its vmlinux BTF and the head of its `modules` list, by bounded scans of
// the kernel image's memory, each candidate checked before it is believed.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "ksym/arch/traits.hpp"
#include "ksym/btf/format.hpp"
#include "ksym/core/endian.hpp"
#include "ksym/core/errc.hpp"
#include "ksym/core/result.hpp"
#include "ksym/memory/reader.hpp"
#include "ksym/modules/layout.hpp"
#include "ksym/modules/walk.hpp"

namespace ksym {

/// Where a blob lies in target memory.
struct memory_extent {
    std::uint64_t address = 0;
    std::uint64_t size = 0;
    friend constexpr bool operator==(const memory_extent&, const memory_extent&) noexcept = default;
};

/// Largest vmlinux BTF a scan accepts (6.x kernels carry 4-7 MB).
inline constexpr std::uint64_t max_vmlinux_btf = 64ull << 20;

namespace detail {
// Reads [from, from + len) `chunk.size()` bytes at a time, calling
// f(address, bytes) until f returns false. Chunks overlap by `overlap`
// bytes, so a record of that size is never split. A chunk that cannot be
// read whole (a kernel image has holes: freed init memory is unmapped) is
// taken a page at a time, skipping the pages that cannot be read.
template <MemoryReader R, class F>
constexpr void scan_memory(R& reader, std::uint64_t from, std::uint64_t len, std::span<std::byte> chunk,
                           std::size_t overlap, F&& f) {
    constexpr std::size_t page = 4096;
    if (chunk.size() <= overlap || chunk.size() < page) return;
    for (std::uint64_t at = from; at - from < len;) {
        const std::uint64_t left = len - (at - from);
        const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), left));
        if (!range_fits(at, n)) return;
        if (reader.read(at, chunk.first(n)).ok()) {
            if (!f(at, std::span<const std::byte>(chunk).first(n))) return;
        } else {
            for (std::size_t p = 0; p < n; p += page) {
                const std::size_t c = std::min(page, n - p);
                if (reader.read(at + p, chunk.first(c)).ok() && !f(at + p, std::span<const std::byte>(chunk).first(c)))
                    return;
            }
        }
        if (n <= overlap) return;
        at += n - overlap;
    }
}
}  // namespace detail

/// Finds the vmlinux BTF in [from, from + len) of target memory (the kernel
/// image after _etext, where the linker puts .BTF in RO_DATA), reading
/// through `chunk`. A candidate is a 4-byte-aligned header in the target's
/// byte order whose sections follow each other exactly as the kernel's
/// build writes them (types at 0, strings right after, then the layout
/// section of a 32-byte header) and whose size is
/// plausible; the caller then opens the blob, which checks every record.
/// not_found when the range holds none.
template <ArchTraits Arch, MemoryReader R>
constexpr result<memory_extent> find_btf_in_memory(R& reader, std::uint64_t from, std::uint64_t len,
                                                   std::span<std::byte> chunk) {
    result<memory_extent> found = status{errc::not_found};
    constexpr std::endian bo = Arch::byte_order;
    detail::scan_memory(reader, from, len, chunk, 32, [&](std::uint64_t at, std::span<const std::byte> b) {
        for (std::size_t i = 0; i + 32 <= b.size(); i += 4) {
            const std::byte* p = b.data() + i;
            if (load<std::uint16_t>(p, bo) != btf_magic || p[2] != std::byte{1}) continue;
            const std::uint32_t hdr_len = load<std::uint32_t>(p + 4, bo);
            const std::uint32_t type_off = load<std::uint32_t>(p + 8, bo);
            const std::uint32_t type_len = load<std::uint32_t>(p + 12, bo);
            const std::uint32_t str_off = load<std::uint32_t>(p + 16, bo);
            const std::uint32_t str_len = load<std::uint32_t>(p + 20, bo);
            if ((hdr_len != 24 && hdr_len != 32) || type_off != 0 || type_len == 0 || type_len % 4 != 0 ||
                str_off != type_len || str_len == 0)
                continue;
            std::uint64_t size = std::uint64_t{hdr_len} + str_off + str_len;
            if (hdr_len == 32) {
                // The layout section, when there is one, follows the strings
                // (aligned): the blob ends with it.
                const std::uint64_t layout_off = load<std::uint32_t>(p + 24, bo);
                const std::uint64_t layout_len = load<std::uint32_t>(p + 28, bo);
                const std::uint64_t strings_end = std::uint64_t{str_off} + str_len;
                if (layout_len != 0 && (layout_off < strings_end || layout_off - strings_end >= 8)) continue;
                if (layout_len != 0) size = hdr_len + layout_off + layout_len;
            }
            if (size > max_vmlinux_btf) continue;
            found = memory_extent{at + i, size};
            return false;
        }
        return true;
    });
    return found;
}

/// Finds the head of the `modules` list in [from, from + len) of target
/// memory (the kernel's writable data), for kernels whose kallsyms lacks
/// the symbol. A candidate is a list_head whose next and prev are other
/// kernel addresses; it is believed when the struct module its next
/// points to links back to it, has a known state and a NUL-terminated
/// printable name, and the whole list then walks back to the candidate.
/// `chunk` carries the scan, `work` one struct module. not_found when no
/// candidate holds (or no module is loaded: an empty list looks like any
/// other).
template <ArchTraits Arch, MemoryReader R>
constexpr result<std::uint64_t> find_modules_head(R& reader, const module_layout& L, std::uint64_t from,
                                                  std::uint64_t len, std::span<std::byte> chunk,
                                                  std::span<std::byte> work) {
    using word = typename Arch::word;
    constexpr std::size_t wb = sizeof(word);
    constexpr std::endian bo = Arch::byte_order;
    if (!detail::module_layout_fits(L, wb)) return status{errc::invalid_argument};
    if (work.size() < L.module_size) return status{errc::capacity, L.module_size};
    // Kernel addresses have their top bit set on every architecture ksym
    // walks modules for; a module lies outside the data being scanned.
    const auto plausible = [&](std::uint64_t p, std::uint64_t self) {
        return (p >> (8 * wb - 1)) == 1 && p % wb == 0 && p != self && (p < from || p - from >= len);
    };
    result<std::uint64_t> found = status{errc::not_found};
    detail::scan_memory(reader, from, len, chunk, 2 * wb, [&](std::uint64_t at, std::span<const std::byte> b) {
        for (std::size_t i = 0; i + 2 * wb <= b.size(); i += wb) {
            const std::uint64_t self = at + i;
            const std::uint64_t next = static_cast<word>(load_n(b.data() + i + L.list_head.next, wb, bo));
            const std::uint64_t prev = static_cast<word>(load_n(b.data() + i + L.list_head.prev, wb, bo));
            if (!plausible(next, self) || !plausible(prev, self)) continue;
            const std::uint64_t mod = static_cast<word>(next - L.list);
            const std::span<std::byte> m = work.first(L.module_size);
            if (!reader.read(mod, m).ok()) continue;
            if (load_n(m.data() + L.list + L.list_head.prev, wb, bo) != self) continue;
            const std::int64_t state = static_cast<std::int32_t>(load<std::uint32_t>(m.data() + L.state, bo));
            const module_state_values& st = L.states;
            if (state != st.live && state != st.coming && state != st.going && state != st.unformed) continue;
            const auto name = std::span<const std::byte>(m).subspan(L.name, L.name_len);
            const auto nul = std::find(name.begin(), name.end(), std::byte{0});
            if (nul == name.begin() || nul == name.end() ||
                !std::all_of(name.begin(), nul, [](std::byte c) { return c > std::byte{0x20} && c < std::byte{0x7f}; }))
                continue;
            // The whole list must close on the candidate.
            std::uint32_t count = 0;
            const status walked = walk_modules<Arch>(reader, L, self, work, [&](const module_info&) { ++count; });
            if (walked.ok() && count > 0) {
                found = self;
                return false;
            }
        }
        return true;
    });
    return found;
}

}  // namespace ksym
