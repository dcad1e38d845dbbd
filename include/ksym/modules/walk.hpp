#pragma once
// The kernel's list of loaded modules, walked in target memory: one read of
// each struct module, bounded, with every link checked.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <type_traits>

#include "ksym/arch/traits.hpp"
#include "ksym/core/endian.hpp"
#include "ksym/core/errc.hpp"
#include "ksym/core/result.hpp"
#include "ksym/memory/reader.hpp"
#include "ksym/modules/layout.hpp"

namespace ksym {

/// One address range a module occupies (a mem[] entry, or core/init/data).
struct module_range {
    std::uint64_t base = 0;
    std::uint64_t size = 0;
    [[nodiscard]] constexpr bool contains(std::uint64_t a) const noexcept { return a >= base && a - base < size; }
    friend constexpr bool operator==(const module_range&, const module_range&) noexcept = default;
};

/// A loaded module as its struct module describes it. Holds its name, so it
/// may be kept after the walk.
struct module_info {
    static constexpr std::size_t max_name = 64;  ///< MODULE_NAME_LEN is 56 on 64-bit kernels
    static constexpr std::size_t max_ranges = 8;

    std::uint64_t address = 0;  ///< of the struct module
    std::int64_t state = 0;     ///< enum module_state (see module_layout::states)
    std::array<char, max_name> name_buf{};
    std::uint8_t name_len = 0;
    /// Nonempty ranges: mem[] entries in mem_type order, or core, init, data.
    std::array<module_range, max_ranges> ranges{};
    std::uint8_t range_count = 0;
    /// The symbol table the kernel's kallsyms reads now (mod->kallsyms): the
    /// full init table while the module is COMING, the core copy after.
    std::uint64_t symtab = 0;
    std::uint32_t num_symtab = 0;
    std::uint64_t strtab = 0;
    std::uint64_t typetab = 0;  ///< 0 before 5.2
    bool init_table = false;    ///< mod->kallsyms is not &mod->core_kallsyms
    /// Exported symbols (mod->syms), which decide the letter's case.
    std::uint64_t syms = 0;
    std::uint32_t num_syms = 0;

    [[nodiscard]] constexpr std::string_view name() const noexcept { return {name_buf.data(), name_len}; }
    [[nodiscard]] constexpr std::span<const module_range> memory() const noexcept { return {ranges.data(), range_count}; }
    /// Whether `a` lies in any of the module's ranges.
    [[nodiscard]] constexpr bool contains(std::uint64_t a) const noexcept {
        return std::any_of(ranges.begin(), ranges.begin() + range_count, [a](const module_range& r) { return r.contains(a); });
    }
};

/// Most modules a walk visits before it calls the list corrupt (a cycle
/// that misses the head, or garbage). Real systems load a few hundred.
inline constexpr std::uint32_t max_modules = 10000;

namespace detail {

template <ArchTraits Arch>
struct module_fields {
    std::span<const std::byte> s;
    // A field of `width` bytes at `off`; the caller has checked the bounds.
    [[nodiscard]] constexpr std::uint64_t get(std::uint32_t off, std::size_t width) const noexcept {
        return load_n(s.data() + off, width, Arch::byte_order);
    }
    [[nodiscard]] constexpr std::uint64_t ptr(std::uint32_t off) const noexcept { return get(off, sizeof(typename Arch::word)); }
    [[nodiscard]] constexpr std::uint64_t u32(std::uint32_t off) const noexcept { return get(off, 4); }
    [[nodiscard]] constexpr bool fits(std::uint64_t off, std::size_t width) const noexcept {
        return off <= s.size() && width <= s.size() - off;
    }
};

// The fields every offset in `L` names must lie inside struct module.
constexpr bool module_layout_fits(const module_layout& L, std::size_t word) noexcept {
    const std::uint64_t n = L.module_size;
    auto in = [n](std::uint64_t off, std::uint64_t w) { return off <= n && w <= n - off; };
    // A struct list_head is two pointers: the walk reads the head, and a
    // scan its candidates, as 2 * word bytes.
    if (L.list_head.next > word || L.list_head.prev > word) return false;
    if (L.pointer_bytes != word || !in(L.state, 4) || !in(L.name, L.name_len) || L.name_len == 0 ||
        !in(std::uint64_t{L.list} + L.list_head.next, word) || !in(std::uint64_t{L.list} + L.list_head.prev, word) ||
        !in(L.syms, word) || !in(L.num_syms, 4))
        return false;
    if (L.era == module_layout_era::mem_array) {
        if (L.mem.count > module_info::max_ranges || L.mem.count == 0) return false;
        const std::uint64_t end = L.mem.offset + std::uint64_t{L.mem.stride} * (L.mem.count - 1);
        if (!in(end + L.mem.base, word) || !in(end + L.mem.size, 4)) return false;
    } else {
        for (const module_range_fields& r : {L.core, L.init})
            if (!in(r.base, word) || !in(r.size, 4)) return false;
        if (L.data && (!in(L.data->base, word) || !in(L.data->size, 4))) return false;
    }
    if (L.kallsyms) {
        if (!L.core_kallsyms || !in(*L.kallsyms, word) || !in(*L.core_kallsyms, L.symbols.size)) return false;
    }
    const std::uint64_t tab = L.kallsyms ? *L.core_kallsyms : 0;  // where the symbol fields count from
    const std::uint64_t tab_size = L.kallsyms ? L.symbols.size : n;
    auto in_tab = [&](std::uint64_t off, std::uint64_t w) { return off <= tab_size && w <= tab_size - off && in(tab + off, w); };
    return in_tab(L.symbols.symtab, word) && in_tab(L.symbols.num_symtab, 4) && in_tab(L.symbols.strtab, word) &&
           (!L.symbols.typetab || in_tab(*L.symbols.typetab, word));
}

}  // namespace detail

/// Walks the `modules` list whose head (a struct list_head, the kallsyms
/// symbol `modules`) is at `head`, calling `visit(const module_info&)` for
/// each module not UNFORMED, in list order (the order /proc/kallsyms and
/// /proc/modules use). `visit` returns void, bool (false stops) or status
/// (non-ok stops and is returned).
///
/// Each struct module is read whole, once, into `work` (at least
/// layout.module_size bytes); a COMING module's init symbol table header
/// costs one more read. Every link is checked: a next whose prev is not the
/// node before, a name without a NUL, an unknown state, or more than
/// `limit` modules (a cycle that misses the head) give `corrupt` naming the
/// address; unreadable memory gives the reader's fault. Nothing allocates.
template <ArchTraits Arch, MemoryReader R, class Visit>
constexpr status walk_modules(R& reader, const module_layout& L, std::uint64_t head, std::span<std::byte> work,
                              Visit&& visit, std::uint32_t limit = max_modules) {
    using word = typename Arch::word;
    constexpr std::size_t wb = sizeof(word);
    if (!detail::module_layout_fits(L, wb)) return {errc::invalid_argument};
    if (work.size() < L.module_size) return {errc::capacity, L.module_size};
    std::array<std::byte, 2 * sizeof(word)> link;  // filled by the read before use
    if (status s = reader.read(head, std::span(link)); !s) return s;
    const auto next_of = [&](std::span<const std::byte> lh) {
        return std::uint64_t{static_cast<word>(load_n(lh.data() + L.list_head.next, wb, Arch::byte_order))};
    };
    std::uint64_t prev = head;
    std::uint64_t cur = next_of(link);
    const std::span<std::byte> m = work.first(L.module_size);
    for (std::uint32_t count = 0; cur != head; ++count) {
        if (count >= limit) return {errc::corrupt, cur};
        const std::uint64_t mod = static_cast<word>(cur - L.list);
        if (status s = reader.read(mod, m); !s) return s;
        const detail::module_fields<Arch> f{m};
        if (f.ptr(L.list + L.list_head.prev) != prev) return {errc::corrupt, cur};
        module_info info;
        info.address = mod;
        info.state = static_cast<std::int32_t>(f.u32(L.state));
        const auto& st = L.states;
        if (info.state != st.live && info.state != st.coming && info.state != st.going && info.state != st.unformed)
            return {errc::corrupt, mod + L.state};
        const auto name = std::span(m).subspan(L.name, L.name_len);
        const auto nul = std::find(name.begin(), name.end(), std::byte{0});
        const auto len = static_cast<std::size_t>(nul - name.begin());
        if (nul == name.end() || len >= module_info::max_name) return {errc::corrupt, mod + L.name};
        for (std::size_t i = 0; i < len; ++i) info.name_buf[i] = static_cast<char>(name[i]);
        info.name_len = static_cast<std::uint8_t>(len);
        auto add_range = [&](std::uint64_t base, std::uint64_t size) {
            if (size != 0 && info.range_count < info.ranges.size()) info.ranges[info.range_count++] = {base, size};
        };
        if (L.era == module_layout_era::mem_array) {
            for (std::uint32_t i = 0; i < L.mem.count; ++i) {
                const std::uint32_t e = L.mem.offset + i * L.mem.stride;
                add_range(f.ptr(e + L.mem.base), f.u32(e + L.mem.size));
            }
        } else {
            add_range(f.ptr(L.core.base), f.u32(L.core.size));
            add_range(f.ptr(L.init.base), f.u32(L.init.size));
            if (L.data) add_range(f.ptr(L.data->base), f.u32(L.data->size));
        }
        info.syms = f.ptr(L.syms);
        info.num_syms = static_cast<std::uint32_t>(f.u32(L.num_syms));
        // An UNFORMED module is skipped before its symbol table is looked
        // at: until the loader lays out its symbols, mod->kallsyms is NULL.
        if (info.state == st.unformed) {
            prev = cur;
            cur = f.ptr(L.list + L.list_head.next);
            continue;
        }
        // The symbol table header: inside struct module (core_kallsyms, or
        // the module itself before 4.5), or the init copy it points to.
        std::span<const std::byte> tab = m;
        std::array<std::byte, 64> init_tab;  // filled by the read before use
        if (L.kallsyms) {
            const std::uint64_t ks = f.ptr(*L.kallsyms);
            const std::uint64_t core = mod + *L.core_kallsyms;
            tab = std::span<const std::byte>(m).subspan(*L.core_kallsyms, L.symbols.size);
            if (ks != core) {
                if (L.symbols.size > init_tab.size()) return {errc::unsupported, mod + *L.kallsyms};
                if (status s = reader.read(ks, std::span(init_tab).first(L.symbols.size)); !s) return s;
                tab = std::span<const std::byte>(init_tab).first(L.symbols.size);
                info.init_table = true;
            }
        }
        const detail::module_fields<Arch> t{tab};
        info.symtab = t.ptr(L.symbols.symtab);
        info.num_symtab = static_cast<std::uint32_t>(t.u32(L.symbols.num_symtab));
        info.strtab = t.ptr(L.symbols.strtab);
        if (L.symbols.typetab) info.typetab = t.ptr(*L.symbols.typetab);
        if constexpr (std::is_same_v<decltype(visit(info)), bool>) {
            if (!visit(info)) return {};
        } else if constexpr (std::is_same_v<decltype(visit(info)), status>) {
            if (status s = visit(info); !s) return s;
        } else {
            visit(info);
        }
        prev = cur;
        cur = f.ptr(L.list + L.list_head.next);
    }
    return {};
}

}  // namespace ksym
