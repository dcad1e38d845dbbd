#pragma once
// Stage 2's answer: every fact the decoder needs about one kallsyms table,
// resolved once (see resolve.hpp) so that opening a table guesses nothing.

#include <bit>
#include <concepts>
#include <cstdint>
#include <string_view>

#include "ksym/kallsyms/layout.hpp"

namespace ksym {

/// Which compiler suffixes name lookup ignores, as kernels built with
/// CONFIG_LTO_CLANG did (see cleanup_symbol_name in kernel/kallsyms.c).
enum class name_suffix_rule : std::uint8_t {
    exact,                 ///< plain comparison: GCC-built kernels, and every kernel since 6.11
    strip_from_first_dot,  ///< 5.16 - 6.4 with clang LTO: "foo.llvm.123" and "foo.cfi_jt" match "foo"
    strip_llvm,            ///< 6.5 - 6.10 with clang LTO: only a ".llvm." suffix is ignored
};

/// Where a table's relative base came from.
enum class base_source : std::uint8_t {
    none,        ///< the encoding has no base (absolute, place-relative)
    stored,      ///< the value at kallsyms_relative_base, as read
    relocation,  ///< the addend of a RELATIVE relocation for its address (the stored value was 0)
    anchor,      ///< solved from decoded symbols whose addresses the map or VMCOREINFO gives
    given,       ///< the caller supplied it
};

[[nodiscard]] constexpr std::string_view to_string(base_source s) noexcept {
    switch (s) {
    case base_source::none: return "none";
    case base_source::stored: return "stored";
    case base_source::relocation: return "relocation";
    case base_source::anchor: return "anchor";
    case base_source::given: return "given";
    }
    return "?";
}

[[nodiscard]] constexpr std::string_view to_string(name_suffix_rule r) noexcept {
    switch (r) {
    case name_suffix_rule::exact: return "exact";
    case name_suffix_rule::strip_from_first_dot: return "strip-from-first-dot";
    case name_suffix_rule::strip_llvm: return "strip-llvm";
    }
    return "?";
}

/// A resolved kallsyms table: where its arrays are and how to read each.
/// resolve_format() fills it from a layout and the memory; a caller who knows
/// the kernel (firmware configured at build time) may write one by hand.
struct kallsyms_format {
    kallsyms_layout layout;
    std::uint32_t count = 0;          ///< kallsyms_num_syms
    /// Width of kallsyms_num_syms: 4 since 4.20, the word before. Resolution
    /// says 8 only where it matters (big-endian 64-bit): a little-endian
    /// word reads the same as its low u32.
    std::uint8_t count_bytes = 4;
    /// Width of a kallsyms_markers entry (4 since 4.20, the word before), or
    /// 0 when the layout has no markers and the table derives them.
    std::uint8_t marker_bytes = 4;
    /// Width of a kallsyms_seqs_of_names entry (3, or 4 in some 6.1.y stable
    /// kernels), or 0 when the table has none (name lookup is then linear).
    std::uint8_t seq_bytes = 0;
    address_encoding encoding = address_encoding::absolute;
    std::uint64_t relative_base = 0;  ///< added to offsets (base-relative, absolute-percpu)
    base_source base_from = base_source::none;
    std::uint8_t word_bytes = 8;      ///< the target's pointer width
    std::endian byte_order = std::endian::little;
    name_suffix_rule suffix_rule = name_suffix_rule::exact;

    friend constexpr bool operator==(const kallsyms_format&, const kallsyms_format&) noexcept = default;
};

/// How a kallsyms_table learns the facts that select its decoding code:
/// address encoding, marker and seqs_of_names widths, name-suffix rule.
/// Each is a static function of the table's kallsyms_format, so that a
/// policy may ignore the format and return a constant: the optimiser then
/// drops every branch for the other values.
template <class P>
concept kallsyms_format_policy = requires(const kallsyms_format& f) {
    { P::fixed } -> std::convertible_to<bool>;
    { P::encoding(f) } -> std::same_as<address_encoding>;
    { P::marker_bytes(f) } -> std::same_as<std::uint8_t>;
    { P::seq_bytes(f) } -> std::same_as<std::uint8_t>;
    { P::suffix_rule(f) } -> std::same_as<name_suffix_rule>;
    { P::accepts(f) } -> std::same_as<bool>;
};

/// The default policy: every fact read from the format at run time, so one
/// table type decodes any table of its target.
struct runtime_format {
    static constexpr bool fixed = false;
    static constexpr address_encoding encoding(const kallsyms_format& f) noexcept { return f.encoding; }
    static constexpr std::uint8_t marker_bytes(const kallsyms_format& f) noexcept { return f.marker_bytes; }
    static constexpr std::uint8_t seq_bytes(const kallsyms_format& f) noexcept { return f.seq_bytes; }
    static constexpr name_suffix_rule suffix_rule(const kallsyms_format& f) noexcept { return f.suffix_rule; }
    static constexpr bool accepts(const kallsyms_format&) noexcept { return true; }
};

/// A policy fixing every fact at compile time, for a tool built for one
/// kernel configuration (firmware): a table using it compiles the decoding
/// code of this configuration only, and opening it from a format that says
/// otherwise fails with `invalid_argument`. `MarkerBytes` 0 means the table
/// derives the markers; `SeqBytes` 0 means name lookup is a scan. The
/// defaults are those of every 6.2+ kernel built with GCC.
template <address_encoding Encoding, std::uint8_t MarkerBytes = 4, std::uint8_t SeqBytes = 3,
          name_suffix_rule SuffixRule = name_suffix_rule::exact>
struct fixed_format {
    static_assert(MarkerBytes == 0 || MarkerBytes == 4 || MarkerBytes == 8,
                  "markers are 4 or 8 bytes, or derived (0)");
    static_assert(SeqBytes == 0 || SeqBytes == 3 || SeqBytes == 4,
                  "seqs_of_names entries are 3 or 4 bytes, or absent (0)");
    static constexpr bool fixed = true;
    static constexpr address_encoding encoding(const kallsyms_format&) noexcept { return Encoding; }
    static constexpr std::uint8_t marker_bytes(const kallsyms_format&) noexcept { return MarkerBytes; }
    static constexpr std::uint8_t seq_bytes(const kallsyms_format&) noexcept { return SeqBytes; }
    static constexpr name_suffix_rule suffix_rule(const kallsyms_format&) noexcept { return SuffixRule; }
    /// Whether `f` describes a table of this configuration.
    static constexpr bool accepts(const kallsyms_format& f) noexcept {
        return f.encoding == Encoding && f.marker_bytes == MarkerBytes && f.seq_bytes == SeqBytes &&
               f.suffix_rule == SuffixRule;
    }
};

static_assert(kallsyms_format_policy<runtime_format>);
static_assert(kallsyms_format_policy<fixed_format<address_encoding::place_relative>>);

}  // namespace ksym
