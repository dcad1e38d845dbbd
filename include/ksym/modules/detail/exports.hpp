#pragma once
// module_symbols: a module's exported symbols (mod->syms), which decide
// whether /proc/kallsyms prints a module symbol's letter upper case.
// Included from modules/symbols.hpp.

#include "ksym/modules/symbols.hpp"

namespace ksym {

// Export names lie in one module's __ksymtab_strings: a spread beyond this
// is hostile, and no storage is asked for it.
inline constexpr std::uint64_t max_export_name_spread = 64ull << 20;

// The address a kernel_symbol field stands for: the field itself (absolute
// pointers), or the field's own address plus its int32 (PREL32).
template <MemoryReader R, ArchTraits Arch>
constexpr std::uint64_t module_symbols<R, Arch>::export_pointer(std::uint32_t i, std::uint32_t off) const noexcept {
    const kernel_symbol_fields& k = L_->kernel_symbol;
    if (k.form == kernel_symbol_form::absolute) return export_field(i, off, sizeof(word));
    const auto rel = static_cast<std::int32_t>(static_cast<std::uint32_t>(export_field(i, off, 4)));
    const std::uint64_t at = info_->syms + std::uint64_t{i} * k.size + off;
    return static_cast<word>(at + static_cast<std::uint64_t>(std::int64_t{rel}));
}

// Two reads: the kernel_symbol array, then the stretch its names lie in
// (a module's __ksymtab_strings, contiguous), to one name past the last.
template <MemoryReader R, ArchTraits Arch>
constexpr status module_symbols<R, Arch>::load_exports(R& reader, std::span<std::byte> rest) {
    const module_info& m = *info_;
    const kernel_symbol_fields& k = L_->kernel_symbol;
    if (m.num_syms == 0) return {};
    if (m.num_syms > max_module_symbols) return {errc::corrupt, m.address + L_->num_syms};
    if (k.form == kernel_symbol_form::unknown) return {errc::invalid_argument};
    const std::size_t w = k.form == kernel_symbol_form::absolute ? sizeof(word) : 4;
    if (k.size == 0 || k.value + w > k.size || k.name + w > k.size) return {errc::invalid_argument};
    const std::size_t bytes = std::size_t{m.num_syms} * k.size;
    if (rest.size() < bytes) return {errc::capacity, storage_for(*L_, m)};
    exports_ = rest.first(bytes);
    if (status s = read(reader, m.syms, exports_); !s) return s;
    num_exports_ = m.num_syms;
    std::uint64_t lo = UINT64_MAX, hi = 0;
    for (std::uint32_t i = 0; i < num_exports_; ++i) {
        const std::uint64_t a = export_name_at(i);
        lo = std::min(lo, a);
        hi = std::max(hi, a);
    }
    rest = rest.subspan(bytes);
    // The stretch and one name's room, compared without adding: hostile
    // name addresses may lie almost 2^64 apart, and the sum wrap.
    if (hi - lo > rest.size() || rest.size() - (hi - lo) < name_buffer_size) {
        // Export names spread wider than storage_for() budgets: name a size that holds them.
        const std::uint64_t spread = hi - lo;
        const std::uint64_t more = spread > max_export_name_spread ? 0 : spread + name_buffer_size;
        return {errc::capacity, storage_for(*L_, m) + more};
    }
    const std::uint64_t span = hi - lo + name_buffer_size;
    export_strings_ = rest.first(static_cast<std::size_t>(span));
    export_strings_at_ = lo;
    if (!read(reader, lo, export_strings_).ok()) {
        // The last name ends before a full name's room: read up to it and
        // then to its NUL.
        const std::span<std::byte> all = export_strings_;
        if (status s = read(reader, lo, all.first(static_cast<std::size_t>(hi - lo))); !s) return s;
        const auto end = read_to_nul(reader, lo, all, static_cast<std::size_t>(hi - lo));
        if (!end) return end.error();
        export_strings_ = all.first(*end);
    }
    return {};
}

// The kernel's is_exported: a binary search of mod->syms by name (the
// build sorts each export section by name), then the value must match.
template <MemoryReader R, ArchTraits Arch>
constexpr bool module_symbols<R, Arch>::exported(std::string_view name, std::uint64_t value) const {
    std::uint32_t lo = 0, hi = num_exports_;
    while (lo < hi) {
        const std::uint32_t mid = lo + (hi - lo) / 2;
        auto n = string_in(export_strings_, export_name_at(mid) - export_strings_at_, export_strings_at_);
        if (!n) return false;  // a name outside what was read: hostile, never exported
        const int c = name.compare(*n);
        if (c == 0) return export_value(mid) == value;
        if (c < 0) hi = mid;
        else lo = mid + 1;
    }
    return false;
}

}  // namespace ksym
