#pragma once
// Stage 1's answer: where the kallsyms arrays sit in kernel memory.

#include <cstdint>
#include <optional>
#include <string_view>

namespace ksym {

/// Addresses of the kallsyms arrays in the reader's address space, as a map,
/// a symbol table or VMCOREINFO names them. Arrays a kernel (or the source)
/// does not have are empty optionals: VMCOREINFO never gives `markers` or
/// `seqs_of_names`, and a table opens without them.
struct kallsyms_layout {
    std::uint64_t num_syms = 0;
    std::uint64_t names = 0;
    std::uint64_t token_table = 0;
    std::uint64_t token_index = 0;
    std::optional<std::uint64_t> markers;
    std::optional<std::uint64_t> addresses;
    std::optional<std::uint64_t> offsets;
    std::optional<std::uint64_t> relative_base;
    std::optional<std::uint64_t> seqs_of_names;

    friend constexpr bool operator==(const kallsyms_layout&, const kallsyms_layout&) noexcept = default;
};

/// How kallsyms stores each symbol's address. The kernel has used four schemes.
enum class address_encoding : std::uint8_t {
    /// `kallsyms_addresses[i]`, one target word each (before 6.11, and
    /// kernels built without base-relative support).
    absolute,
    /// `kallsyms_relative_base + (u32)kallsyms_offsets[i]`.
    base_relative,
    /// `offsets[i] >= 0 ? offsets[i] : relative_base - 1 - offsets[i]`, the
    /// offsets read as s32: per-CPU symbols keep small absolute values
    /// (x86-64 with CONFIG_KALLSYMS_ABSOLUTE_PERCPU, until 6.15).
    absolute_percpu,
    /// `&kallsyms_offsets[i] + (s32)kallsyms_offsets[i]`; no
    /// kallsyms_relative_base at all (7.0 and later).
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

}  // namespace ksym
