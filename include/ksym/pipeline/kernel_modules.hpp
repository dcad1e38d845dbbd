#pragma once
// From a kernel's built-in kallsyms to its loaded modules: where its BTF
// is, what struct module looks like, and where the `modules` list starts,
// each by the kernel's own symbols when it has them and by a checked scan
// of its image when it was built without CONFIG_KALLSYMS_ALL.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "ksym/arch/traits.hpp"
#include "ksym/btf/btf.hpp"
#include "ksym/core/errc.hpp"
#include "ksym/core/kernel_version.hpp"
#include "ksym/core/result.hpp"
#include "ksym/memory/reader.hpp"
#include "ksym/modules/discover.hpp"
#include "ksym/modules/layout.hpp"
#include "ksym/symbols/symbol.hpp"

namespace ksym {

/// How a fact about the kernel was found.
enum class found_by : std::uint8_t {
    symbol,  ///< a kallsyms symbol names it
    scan,    ///< a bounded scan of the kernel image, checked
};

[[nodiscard]] constexpr std::string_view to_string(found_by f) noexcept {
    return f == found_by::symbol ? "kallsyms symbol" : "scan of the kernel image";
}

/// A located value and how it was found.
template <class T>
struct located {
    T value{};
    found_by by = found_by::symbol;
};

/// Bytes scanned past _etext for the BTF, and past the BTF for the list
/// head: the kernel image's read-only and writable data lie there.
inline constexpr std::uint64_t module_scan_span = 64ull << 20;

/// Where the vmlinux BTF lies: __start_BTF..__stop_BTF (5.7+), or
/// _binary__btf_vmlinux_bin_start/_end (5.4-5.6), else a scan after _etext
/// through `chunk` (at least 4 KiB; 1 MiB reads fast). not_found when the
/// kernel has none (no CONFIG_DEBUG_INFO_BTF).
template <ArchTraits Arch, MemoryReader R, class Table>
result<located<memory_extent>> locate_vmlinux_btf(R& reader, Table& builtin, std::span<std::byte> chunk) {
    name_buffer nb;
    for (auto [start, stop] : {std::pair{"__start_BTF", "__stop_BTF"},
                               std::pair{"_binary__btf_vmlinux_bin_start", "_binary__btf_vmlinux_bin_end"}}) {
        auto a = builtin.find_by_name(start, nb);
        if (!a) continue;
        auto b = builtin.find_by_name(stop, nb);
        if (!b || b->address <= a->address || b->address - a->address > max_vmlinux_btf)
            return status{errc::corrupt, a->address};
        return located<memory_extent>{{a->address, b->address - a->address}, found_by::symbol};
    }
    auto etext = builtin.find_by_name("_etext", nb);
    if (!etext) return etext.error();
    auto f = find_btf_in_memory<Arch>(reader, etext->address & ~std::uint64_t{0xfff}, module_scan_span, chunk);
    if (!f) return f.error();
    return located<memory_extent>{*f, found_by::scan};
}

/// The layout of struct module from the BTF in `blob`, with struct
/// kernel_symbol filled in when the BTF declares it only: on 64-bit targets
/// PREL32 offsets from 4.19 on (with a namespace from 5.4), else absolute
/// pointers. A caller who knows better edits the result.
template <ArchTraits Arch>
result<module_layout> module_layout_for(std::span<const std::byte> blob, kernel_version v) {
    btf b;
    if (status s = b.open_for<Arch>(blob); !s) return s;
    auto L = module_layout_from_btf(b);
    if (!L) return L.error();
    if (L->kernel_symbol.form == kernel_symbol_form::unknown) {
        const bool prel = v >= kernel_version{4, 19, 0} && Arch::pointer_bytes == 8;
        L->kernel_symbol = kernel_symbol_fields_for(prel ? kernel_symbol_form::prel32 : kernel_symbol_form::absolute,
                                                    Arch::pointer_bytes, v >= kernel_version{5, 4, 0});
    }
    return L;
}

/// The head of the `modules` list: the kallsyms symbol `modules` (a data
/// symbol: present with CONFIG_KALLSYMS_ALL), else a checked scan of the
/// writable data after the BTF (see find_modules_head). `chunk` carries the
/// scan, `work` holds one struct module.
template <ArchTraits Arch, MemoryReader R, class Table>
result<located<std::uint64_t>> locate_modules_head(R& reader, Table& builtin, const module_layout& L,
                                                   memory_extent btf_extent, std::span<std::byte> chunk,
                                                   std::span<std::byte> work) {
    name_buffer nb;
    if (auto m = builtin.find_by_name("modules", nb)) return located<std::uint64_t>{m->address, found_by::symbol};
    const std::uint64_t from = (btf_extent.address + btf_extent.size + 7) & ~std::uint64_t{7};
    auto h = find_modules_head<Arch>(reader, L, from, module_scan_span, chunk, work);
    if (!h) return h.error();
    return located<std::uint64_t>{*h, found_by::scan};
}

}  // namespace ksym
