#pragma once
// Reading the kernel's VMCOREINFO text ("KEY=VALUE" lines).

#include <cstdint>
#include <optional>
#include <string_view>

#include "ksym/text/nm_text.hpp"

namespace ksym {

/// The raw value of `key` (e.g. "OSRELEASE", "SYMBOL(kallsyms_names)"), or
/// nullopt. The first occurrence wins.
[[nodiscard]] constexpr std::optional<std::string_view> vmcoreinfo_value(std::string_view text,
                                                                         std::string_view key) noexcept {
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(pos, end - pos);
        pos = end + 1;
        if (line.size() > key.size() && line.substr(0, key.size()) == key && line[key.size()] == '=') {
            line.remove_prefix(key.size() + 1);
            while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\0'))
                line.remove_suffix(1);
            return line;
        }
    }
    return std::nullopt;
}

/// The raw value of `KIND(name)` ("SYMBOL", "NUMBER", "OFFSET", ...).
[[nodiscard]] constexpr std::optional<std::string_view> vmcoreinfo_keyed(std::string_view text, std::string_view kind,
                                                                         std::string_view name) noexcept {
    // Keys are short; build "KIND(name)" in a fixed buffer.
    char key[128] = {};
    if (kind.size() + name.size() + 2 > sizeof key) return std::nullopt;
    std::size_t n = 0;
    for (char c : kind) key[n++] = c;
    key[n++] = '(';
    for (char c : name) key[n++] = c;
    key[n++] = ')';
    return vmcoreinfo_value(text, std::string_view(key, n));
}

/// SYMBOL(name)=<hex> from VMCOREINFO.
[[nodiscard]] constexpr std::optional<std::uint64_t> vmcoreinfo_symbol(std::string_view text,
                                                                       std::string_view name) noexcept {
    const auto v = vmcoreinfo_keyed(text, "SYMBOL", name);
    if (!v) return std::nullopt;
    return parse_hex(*v);
}

/// NUMBER(name)= from VMCOREINFO. The kernel prints NUMBER() as signed
/// decimal, but arch code writes some as 0x-prefixed hex (arm64), so the base
/// is detected: "0x" prefix -> hex, else decimal; a leading '-' negates
/// (x86 phys_base may be negative). The value is returned as its 64-bit
/// two's-complement bit pattern.
[[nodiscard]] constexpr std::optional<std::uint64_t> parse_vmcoreinfo_number(std::string_view v) noexcept {
    bool neg = false;
    if (!v.empty() && v.front() == '-') {
        neg = true;
        v.remove_prefix(1);
    }
    std::uint64_t x = 0;
    if (v.size() > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
        auto h = parse_hex(v.substr(2));
        if (!h) return std::nullopt;
        x = *h;
    } else {
        if (v.empty() || v.size() > 20) return std::nullopt;
        for (char c : v) {
            if (c < '0' || c > '9') return std::nullopt;
            const std::uint64_t d = static_cast<std::uint64_t>(c - '0');
            if (x > (UINT64_MAX - d) / 10) return std::nullopt;
            x = x * 10 + d;
        }
    }
    return neg ? ~x + 1 : x;
}

/// NUMBER(name) from VMCOREINFO, by parse_vmcoreinfo_number.
[[nodiscard]] constexpr std::optional<std::uint64_t> vmcoreinfo_number(std::string_view text,
                                                                       std::string_view name) noexcept {
    const auto v = vmcoreinfo_keyed(text, "NUMBER", name);
    if (!v) return std::nullopt;
    return parse_vmcoreinfo_number(*v);
}

/// The VMCOREINFO keys a dump reader and a page-table walker use, parsed
/// once. Absent keys stay empty; nothing here is required by the parser.
struct vmcoreinfo_facts {
    std::string_view osrelease;
    std::optional<std::uint64_t> page_size;            ///< PAGESIZE (decimal)
    std::optional<std::uint64_t> kernel_offset;        ///< KERNELOFFSET (hex, no 0x): the KASLR slide
    std::optional<std::uint64_t> swapper_pg_dir;       ///< SYMBOL(swapper_pg_dir), else SYMBOL(init_top_pgt)
    std::optional<std::uint64_t> stext;                ///< SYMBOL(_stext)
    std::optional<std::uint64_t> phys_base;            ///< NUMBER(phys_base), x86-64
    std::optional<std::uint64_t> pgtable_l5_enabled;   ///< NUMBER(pgtable_l5_enabled), x86-64
    std::optional<std::uint64_t> sme_mask;             ///< NUMBER(sme_mask), x86-64
    std::optional<std::uint64_t> kernel_image_size;    ///< NUMBER(KERNEL_IMAGE_SIZE), x86-64
    std::optional<std::uint64_t> va_bits;              ///< NUMBER(VA_BITS), arm64
    std::optional<std::uint64_t> kimage_voffset;       ///< NUMBER(kimage_voffset), arm64
    std::optional<std::uint64_t> phys_offset;          ///< NUMBER(PHYS_OFFSET), arm64
    std::optional<std::uint64_t> tcr_el1_t1sz;         ///< NUMBER(TCR_EL1_T1SZ), arm64
    std::optional<std::uint64_t> kernel_pac_mask;      ///< NUMBER(KERNELPACMASK), arm64
};

/// Parses the keys of vmcoreinfo_facts out of VMCOREINFO text.
[[nodiscard]] constexpr vmcoreinfo_facts parse_vmcoreinfo(std::string_view text) noexcept {
    vmcoreinfo_facts f;
    f.osrelease = vmcoreinfo_value(text, "OSRELEASE").value_or(std::string_view{});
    if (auto v = vmcoreinfo_value(text, "PAGESIZE")) f.page_size = parse_vmcoreinfo_number(*v);
    if (auto v = vmcoreinfo_value(text, "KERNELOFFSET")) f.kernel_offset = parse_hex(*v);
    f.swapper_pg_dir = vmcoreinfo_symbol(text, "swapper_pg_dir");
    if (!f.swapper_pg_dir) f.swapper_pg_dir = vmcoreinfo_symbol(text, "init_top_pgt");
    f.stext = vmcoreinfo_symbol(text, "_stext");
    f.phys_base = vmcoreinfo_number(text, "phys_base");
    f.pgtable_l5_enabled = vmcoreinfo_number(text, "pgtable_l5_enabled");
    f.sme_mask = vmcoreinfo_number(text, "sme_mask");
    f.kernel_image_size = vmcoreinfo_number(text, "KERNEL_IMAGE_SIZE");
    f.va_bits = vmcoreinfo_number(text, "VA_BITS");
    f.kimage_voffset = vmcoreinfo_number(text, "kimage_voffset");
    f.phys_offset = vmcoreinfo_number(text, "PHYS_OFFSET");
    f.tcr_el1_t1sz = vmcoreinfo_number(text, "TCR_EL1_T1SZ");
    if (auto v = vmcoreinfo_value(text, "NUMBER(KERNELPACMASK)")) {
        f.kernel_pac_mask = v->size() > 2 && (*v)[1] == 'x' ? parse_vmcoreinfo_number(*v) : parse_hex(*v);
    }
    return f;
}

}  // namespace ksym
