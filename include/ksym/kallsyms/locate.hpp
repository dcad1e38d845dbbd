#pragma once
// Stage 1, locate: a kallsyms_layout from whatever names the arrays (a
// symbol lookup function, System.map text, VMCOREINFO), plus the addresses
// of a few well-known symbols that stage 2 checks the table against.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <utility>

#include "ksym/core/errc.hpp"
#include "ksym/core/result.hpp"
#include "ksym/elf/elf_file.hpp"
#include "ksym/kallsyms/layout.hpp"
#include "ksym/text/detail/words.hpp"
#include "ksym/text/nm_text.hpp"
#include "ksym/vmcoreinfo/vmcoreinfo.hpp"

namespace ksym {

/// The names of the kallsyms arrays, in kallsyms_layout order.
inline constexpr std::string_view kallsyms_array_names[] = {
    "kallsyms_num_syms",    "kallsyms_names",   "kallsyms_token_table",   "kallsyms_token_index",
    "kallsyms_markers",     "kallsyms_addresses", "kallsyms_offsets",     "kallsyms_relative_base",
    "kallsyms_seqs_of_names"};

/// Symbols every kernel's kallsyms holds, whose addresses a map or
/// VMCOREINFO may also give: stage 2 uses them to tell absolute-percpu from
/// base-relative tables and to solve a relative base that reads as 0.
/// VMCOREINFO exports SYMBOL(_stext) on every kernel that exports kallsyms.
inline constexpr std::string_view anchor_names[] = {"_text",      "_stext",       "_etext",   "_sinittext",
                                                     "_einittext", "start_kernel", "schedule", "vfs_read",
                                                     "panic",      "do_exit",      "_start"};

/// A symbol's address as a source other than the table gives it.
struct known_symbol {
    std::string_view name;
    std::uint64_t address = 0;
};

/// What stage 1 found: the layout and the anchors the source knew.
struct kallsyms_location {
    kallsyms_layout layout;
    std::array<known_symbol, std::size(anchor_names)> known{};
    std::size_t known_count = 0;

    /// The anchors found, in anchor_names order.
    [[nodiscard]] constexpr std::span<const known_symbol> anchors() const noexcept {
        return std::span(known).first(known_count);
    }
    /// The address the source gave for anchor `name`.
    [[nodiscard]] constexpr std::optional<std::uint64_t> anchor(std::string_view name) const noexcept {
        for (const auto& k : anchors())
            if (k.name == name) return k.address;
        return std::nullopt;
    }
};

/// Builds a location from `find(name) -> std::optional<std::uint64_t>`,
/// asked once for each array and each anchor name. Fails with `not_found`
/// unless num_syms, names, token_table, token_index and one of
/// addresses/offsets are found; markers and seqs_of_names are optional.
template <class Find>
[[nodiscard]] constexpr result<kallsyms_location> locate_with(Find&& find) {
    std::optional<std::uint64_t> v[std::size(kallsyms_array_names)];
    for (std::size_t i = 0; i < std::size(v); ++i) v[i] = find(kallsyms_array_names[i]);
    if (!v[0] || !v[1] || !v[2] || !v[3] || (!v[5] && !v[6])) return status{errc::not_found};
    kallsyms_location loc;
    kallsyms_layout& l = loc.layout;
    l.num_syms = *v[0];
    l.names = *v[1];
    l.token_table = *v[2];
    l.token_index = *v[3];
    l.markers = v[4];
    // A kernel never has both; if a source lists both, the offsets are the live ones.
    if (v[6]) l.offsets = v[6];
    else l.addresses = v[5];
    l.relative_base = v[7];
    l.seqs_of_names = v[8];
    for (const std::string_view name : anchor_names)
        if (auto a = find(name)) loc.known[loc.known_count++] = {name, *a};
    return loc;
}

namespace detail {
// The arrays and anchors in one table, so a source is scanned once for all.
inline constexpr std::size_t locate_names = std::size(kallsyms_array_names) + std::size(anchor_names);
constexpr std::string_view locate_name(std::size_t i) noexcept {
    return i < std::size(kallsyms_array_names) ? kallsyms_array_names[i]
                                               : anchor_names[i - std::size(kallsyms_array_names)];
}
constexpr result<kallsyms_location> locate_from(const std::optional<std::uint64_t> (&found)[locate_names]) {
    return locate_with([&](std::string_view name) -> std::optional<std::uint64_t> {
        for (std::size_t i = 0; i < locate_names; ++i)
            if (locate_name(i) == name) return found[i];
        return std::nullopt;
    });
}
}  // namespace detail

namespace detail {
// Bit n set: some array or anchor name is n characters long.
inline constexpr std::uint64_t locate_lengths = [] {
    std::uint64_t m = 0;
    for (std::size_t i = 0; i < locate_names; ++i) m |= std::uint64_t{1} << locate_name(i).size();
    return m;
}();
// The name field of a line as System.map and `nm -n` write it, "ADDR T name"
// with 8 or 16 address digits; empty for any other shape.
constexpr std::string_view fixed_name_field(std::string_view line) noexcept {
    for (const std::size_t digits : {std::size_t{16}, std::size_t{8}})
        if (line.size() > digits + 3 && line[digits] == ' ' && line[digits + 2] == ' ') return line.substr(digits + 3);
    return {};
}
}  // namespace detail

namespace detail {
// True if any byte of `w` is a newline.
constexpr bool has_newline(std::uint64_t w) noexcept {
    const std::uint64_t x = w ^ (ones * '\n');
    return ((x - ones) & ~x & highs) != 0;
}
// The first eight bytes of a name (fewer, zeros above, if it is shorter).
constexpr std::uint64_t name_head(std::string_view s, std::size_t at, std::size_t len) noexcept {
    const std::size_t n = len < 8 ? len : 8;
    const std::uint64_t w = at + 8 <= s.size() ? load_word(s.data() + at) : load_word(s.data() + at, s.size() - at);
    return n == 8 ? w : w & ((std::uint64_t{1} << (8 * n)) - 1);
}
// Each array and anchor name's length and head: most lines of a map are
// ruled out by these two integers.
inline constexpr auto locate_heads = [] {
    std::array<std::pair<std::size_t, std::uint64_t>, locate_names> h{};
    for (std::size_t i = 0; i < locate_names; ++i) h[i] = {locate_name(i).size(), name_head(locate_name(i), 0, locate_name(i).size())};
    return h;
}();
// The offset past the line at `pos` if it is "ADDR T name\n" (16 or 8
// address digits) with a name whose length and first eight bytes are no
// array's or anchor's: such a line is skipped by finding its name's end a
// word at a time. 0 for any other line, which the caller reads whole (as it
// reads a line naming one).
constexpr std::size_t skip_map_line(std::string_view text, std::size_t pos) noexcept {
    for (const std::size_t d : {std::size_t{16}, std::size_t{8}}) {
        if (pos + d + 3 >= text.size() || text[pos + d] != ' ' || text[pos + d + 2] != ' ' || text[pos + d + 1] == '\n')
            continue;
        // The address field and the blanks must all be this line's.
        if (has_newline(load_word(text.data() + pos)) || (d == 16 && has_newline(load_word(text.data() + pos + 8))))
            return 0;
        const std::size_t name_at = pos + d + 3;
        const std::size_t end = find_stop<name_stops>(text, name_at);
        const std::size_t len = end - name_at;
        if (len == 0 || end == text.size() || text[end] != '\n') return 0;
        if (len >= 64 || !((locate_lengths >> len) & 1)) return end + 1;
        const std::uint64_t head = name_head(text, name_at, len);
        for (const auto& [l, h] : locate_heads)
            if (l == len && h == head) return 0;
        return end + 1;
    }
    return 0;
}
}  // namespace detail

/// Stage 1 from System.map or `nm -n` text, in one pass over the text that
/// parses only the lines it needs: each line's name is compared (by length
/// first) with the array and anchor names, and a line that names one is
/// then parsed whole. The first line must parse, so a file that is not a
/// map is told apart; a malformed line naming an array or anchor gives
/// `corrupt` with its byte offset; missing arrays give `not_found`. Lines
/// of other shapes (nm's address-less undefined symbols) are parsed whole.
[[nodiscard]] constexpr result<kallsyms_location> locate_in_system_map(std::string_view text) {
    std::optional<std::uint64_t> found[detail::locate_names];
    std::size_t pos = 0;
    bool first = true;
    while (pos < text.size()) {
        if (!first)
            if (const std::size_t next = detail::skip_map_line(text, pos)) {
                pos = next;
                continue;
            }
        std::size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(pos, end - pos);
        const std::size_t at = pos;
        pos = end + 1;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        std::string_view name = detail::fixed_name_field(line);
        if (first || name.empty()) {
            // Another shape, or the first line: the general parser decides.
            if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
            const auto parsed = parse_nm_line(line);
            if (!parsed) return status{errc::corrupt, at};
            first = false;
            name = parsed->module.empty() ? parsed->name : std::string_view{};
        }
        if (name.size() >= 64 || !((detail::locate_lengths >> name.size()) & 1)) continue;
        for (std::size_t i = 0; i < detail::locate_names; ++i) {
            if (found[i] || name != detail::locate_name(i)) continue;
            const auto parsed = parse_nm_line(line);
            if (!parsed || parsed->name != name) return status{errc::corrupt, at};
            found[i] = parsed->address;
        }
    }
    return detail::locate_from(found);
}

/// Stage 1 from an unstripped ELF file's own .symtab (`file` addressed by
/// offset). A stripped file gives `not_found`.
template <MemoryReader R>
[[nodiscard]] constexpr result<kallsyms_location> locate_in_elf_symtab(R& file, const elf::header& h) {
    std::optional<std::uint64_t> found[detail::locate_names];
    const status s = elf::for_each_symbol(file, h, [&](const elf::symbol& sym, std::string_view name) {
        for (std::size_t i = 0; i < detail::locate_names; ++i)
            if (!found[i] && name == detail::locate_name(i)) found[i] = sym.value;
    });
    if (!s) return s;
    return detail::locate_from(found);
}

/// Stage 1 from VMCOREINFO text (the SYMBOL() lines of kernels 6.0+). It
/// never names kallsyms_markers or kallsyms_seqs_of_names.
[[nodiscard]] constexpr result<kallsyms_location> locate_in_vmcoreinfo(std::string_view text) {
    return locate_with([&](std::string_view name) { return vmcoreinfo_symbol(text, name); });
}

}  // namespace ksym
