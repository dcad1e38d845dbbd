#pragma once
// Where the kallsyms arrays sit in kernel memory, and how addresses are encoded.

#include <cstdint>
#include <optional>
#include <string_view>

namespace ksym {

/// How kallsyms stores each symbol's address. The kernel has used four schemes.
enum class address_encoding : std::uint8_t {
    /// `kallsyms_addresses[i]`, one target word each (before 4.6, and later
    /// kernels built without base-relative support).
    absolute,
    /// `kallsyms_relative_base + (u32)kallsyms_offsets[i]`.
    base_relative,
    /// `offsets[i] >= 0 ? offsets[i] : relative_base - 1 - offsets[i]`, the
    /// offsets read as s32: per-CPU symbols keep small absolute values
    /// (x86-64 with CONFIG_KALLSYMS_ABSOLUTE_PERCPU).
    absolute_percpu,
    /// `&kallsyms_offsets[i] + (s32)kallsyms_offsets[i]`; no
    /// kallsyms_relative_base at all (newest kernels).
    place_relative,
};

/// Short name of an encoding ("absolute", "base-relative", ...).
[[nodiscard]] constexpr std::string_view to_string(address_encoding e) noexcept {
    switch (e) {
    case address_encoding::absolute: return "absolute";
    case address_encoding::base_relative: return "base-relative";
    case address_encoding::absolute_percpu: return "absolute-percpu";
    case address_encoding::place_relative: return "place-relative";
    }
    return "?";
}

/// Addresses of the kallsyms arrays in the reader's address space. Arrays a
/// kernel does not have are empty optionals. `relative_base_value`, when set,
/// overrides the value stored at `relative_base` (for images whose boot code
/// fills it in by relocation).
struct kallsyms_layout {
    std::uint64_t num_syms = 0;
    std::uint64_t names = 0;
    std::uint64_t markers = 0;
    std::uint64_t token_table = 0;
    std::uint64_t token_index = 0;
    std::optional<std::uint64_t> addresses;
    std::optional<std::uint64_t> offsets;
    std::optional<std::uint64_t> relative_base;
    std::optional<std::uint64_t> seqs_of_names;
    std::optional<std::uint64_t> relative_base_value;
    /// Width of a kallsyms_markers element: 4 on every kernel since 6.x
    /// (".long"), the target word on older ones. 0 means "infer".
    std::uint8_t marker_bytes = 0;
};

/// The encoding implied by which arrays exist, when that alone decides it:
/// addresses -> absolute; offsets without relative_base -> place-relative.
/// Offsets with relative_base are base-relative or absolute-percpu, which
/// only the data tells apart (see kallsyms_table::infer_encoding); this
/// returns base_relative for them.
[[nodiscard]] constexpr address_encoding encoding_from_layout(const kallsyms_layout& l) noexcept {
    if (l.addresses) return address_encoding::absolute;
    if (l.offsets && !l.relative_base && !l.relative_base_value) return address_encoding::place_relative;
    return address_encoding::base_relative;
}

}  // namespace ksym
