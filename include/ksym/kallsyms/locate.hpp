#pragma once
// Building a kallsyms_layout from whatever names the arrays: a symbol lookup
// function, System.map text, or VMCOREINFO.

#include <cstdint>
#include <optional>
#include <string_view>

#include "ksym/core/errc.hpp"
#include "ksym/core/result.hpp"
#include "ksym/kallsyms/layout.hpp"
#include "ksym/text/nm_text.hpp"
#include "ksym/vmcoreinfo/vmcoreinfo.hpp"

namespace ksym {

/// The names of the kallsyms arrays, in kallsyms_layout order.
inline constexpr std::string_view kallsyms_array_names[] = {
    "kallsyms_num_syms",   "kallsyms_names",   "kallsyms_markers",       "kallsyms_token_table",
    "kallsyms_token_index", "kallsyms_addresses", "kallsyms_offsets", "kallsyms_relative_base",
    "kallsyms_seqs_of_names"};

/// Builds a layout from `find(name) -> std::optional<std::uint64_t>`.
/// Fails with `not_found` unless num_syms, names, markers, token_table,
/// token_index and one of addresses/offsets are all found.
template <class Find>
[[nodiscard]] constexpr result<kallsyms_layout> layout_from_lookup(Find&& find) {
    std::optional<std::uint64_t> v[9];
    for (std::size_t i = 0; i < 9; ++i) v[i] = find(kallsyms_array_names[i]);
    if (!v[0] || !v[1] || !v[2] || !v[3] || !v[4] || (!v[5] && !v[6])) return status{errc::not_found};
    kallsyms_layout l;
    l.num_syms = *v[0];
    l.names = *v[1];
    l.markers = *v[2];
    l.token_table = *v[3];
    l.token_index = *v[4];
    // A kernel never has both; if a map lists both, the offsets are the live ones.
    if (v[6]) l.offsets = v[6];
    else l.addresses = v[5];
    l.relative_base = v[7];
    l.seqs_of_names = v[8];
    return l;
}

/// The addresses of `names` found in nm-style text, in one pass.
template <std::size_t N>
constexpr status find_in_nm_text(std::string_view text, const std::string_view (&names)[N],
                                 std::optional<std::uint64_t> (&out)[N]) {
    return for_each_nm_line(text, [&](const nm_line& l) {
        for (std::size_t i = 0; i < N; ++i)
            if (!out[i] && l.name == names[i]) out[i] = l.address;
    });
}

/// A layout from System.map or `nm -n` text. A malformed line gives
/// `corrupt` with its byte offset; missing arrays give `not_found`.
[[nodiscard]] constexpr result<kallsyms_layout> layout_from_system_map(std::string_view text) {
    std::optional<std::uint64_t> found[9];
    if (status s = find_in_nm_text(text, kallsyms_array_names, found); !s) return s;
    return layout_from_lookup([&](std::string_view name) -> std::optional<std::uint64_t> {
        for (std::size_t i = 0; i < 9; ++i)
            if (kallsyms_array_names[i] == name) return found[i];
        return std::nullopt;
    });
}

/// A layout from VMCOREINFO text (SYMBOL(kallsyms_*)= lines, 6.0+).
[[nodiscard]] constexpr result<kallsyms_layout> layout_from_vmcoreinfo(std::string_view text) {
    return layout_from_lookup([&](std::string_view name) { return vmcoreinfo_symbol(text, name); });
}

}  // namespace ksym
