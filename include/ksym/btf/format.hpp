#pragma once
// The BTF wire format: header fields, the type kinds, and how many bytes
// follow each 12-byte type record. Facts from the kernel's UAPI btf.h and
// Documentation/bpf/btf.rst; see shared/research/modules-btf.md section 3.

#include <cstdint>
#include <optional>
#include <string_view>

namespace ksym {

/// The magic number, read in the BTF's own byte order.
inline constexpr std::uint16_t btf_magic = 0xeb9f;
/// The only BTF version there has ever been.
inline constexpr std::uint8_t btf_version = 1;
/// The original header; newer kernels append layout_off and layout_len.
inline constexpr std::uint32_t btf_header_min_bytes = 24;
inline constexpr std::uint32_t btf_header_layout_bytes = 32;
/// Bytes of a type record before its kind-specific data.
inline constexpr std::uint32_t btf_type_record_bytes = 12;

/// A type's kind. Kinds above `enum64` may appear in BTF from newer kernels;
/// a btf_kind holding such a value is valid and names no enumerator.
enum class btf_kind : std::uint8_t {
    void_ = 0,  ///< type id 0 only; never a record's kind
    int_, ptr, array, struct_, union_, enum_, fwd, typedef_, volatile_, const_, restrict_,
    func, func_proto, var, datasec, float_, decl_tag, type_tag, enum64,
};

/// Number of kinds this reader knows (0..enum64).
inline constexpr std::uint32_t btf_known_kinds = 20;

/// The kind's name as the kernel spells it ("STRUCT", "ENUM64", ...), "?" for unknown kinds.
[[nodiscard]] constexpr std::string_view to_string(btf_kind k) noexcept {
    constexpr std::string_view names[btf_known_kinds] = {
        "VOID",     "INT",   "PTR",      "ARRAY",    "STRUCT", "UNION", "ENUM",
        "FWD",      "TYPEDEF", "VOLATILE", "CONST", "RESTRICT", "FUNC", "FUNC_PROTO",
        "VAR",      "DATASEC", "FLOAT",  "DECL_TAG", "TYPE_TAG", "ENUM64"};
    const auto i = static_cast<std::uint32_t>(k);
    return i < btf_known_kinds ? names[i] : std::string_view("?");
}

/// A set of known kinds, for lookups that accept several (struct or union).
[[nodiscard]] constexpr std::uint32_t btf_kind_bit(btf_kind k) noexcept {
    const auto i = static_cast<std::uint32_t>(k);
    return i < btf_known_kinds ? (1u << i) : 0u;
}
template <class... K>
[[nodiscard]] constexpr std::uint32_t btf_kinds(K... k) noexcept {
    return (btf_kind_bit(k) | ... | 0u);
}

/// The header as read, in host order. layout_off/layout_len are zero when
/// hdr_len is below 32 (every kernel before the layout section).
struct btf_header {
    std::uint16_t magic = 0;
    std::uint8_t version = 0;
    std::uint8_t flags = 0;
    std::uint32_t hdr_len = 0;
    std::uint32_t type_off = 0;
    std::uint32_t type_len = 0;
    std::uint32_t str_off = 0;
    std::uint32_t str_len = 0;
    std::uint32_t layout_off = 0;
    std::uint32_t layout_len = 0;

    friend constexpr bool operator==(const btf_header&, const btf_header&) noexcept = default;
};

namespace detail::btf_wire {

// The info word. Kind and vlen widened in 2026 into bits that older encoders
// left zero, so the wide masks read every BTF ever written.
[[nodiscard]] constexpr std::uint32_t kind_of(std::uint32_t info) noexcept { return (info >> 24) & 0x7fu; }
[[nodiscard]] constexpr std::uint32_t vlen_of(std::uint32_t info) noexcept { return info & 0xffffffu; }
[[nodiscard]] constexpr bool kind_flag_of(std::uint32_t info) noexcept { return (info >> 31) != 0; }

// Bytes after the 12-byte record: `fixed` plus `per_member` for each of
// vlen members. A table rather than a switch: a 6.x vmlinux mixes kinds
// record by record, and a jump per record mispredicts.
struct kind_extent {
    std::uint8_t fixed;
    std::uint8_t per_member;
};
inline constexpr kind_extent kind_extents[btf_known_kinds] = {
    {0, 0},   // void: never a record
    {4, 0},   // INT: encoding, offset, bits
    {0, 0},   // PTR
    {12, 0},  // ARRAY: type, index_type, nelems
    {0, 12},  // STRUCT: name_off, type, offset
    {0, 12},  // UNION
    {0, 8},   // ENUM: name_off, val
    {0, 0},   // FWD
    {0, 0},   // TYPEDEF
    {0, 0},   // VOLATILE
    {0, 0},   // CONST
    {0, 0},   // RESTRICT
    {0, 0},   // FUNC
    {0, 8},   // FUNC_PROTO: name_off, type
    {4, 0},   // VAR: linkage
    {0, 12},  // DATASEC: type, offset, size
    {0, 0},   // FLOAT
    {4, 0},   // DECL_TAG: component_idx
    {0, 0},   // TYPE_TAG
    {0, 12},  // ENUM64: name_off, val_lo32, val_hi32
};

// Bytes after the 12-byte record for a known kind, or nullopt for a kind this
// reader does not know (the layout section may still describe it).
[[nodiscard]] constexpr std::optional<std::uint64_t> trailing_bytes(std::uint32_t kind, std::uint32_t vlen) noexcept {
    if (kind == 0 || kind >= btf_known_kinds) return std::nullopt;
    return kind_extents[kind].fixed + std::uint64_t{kind_extents[kind].per_member} * vlen;
}

// A struct member's offset word: with the struct's kind_flag set, the top
// byte is the bitfield width and the low 24 bits the bit offset.
[[nodiscard]] constexpr std::uint32_t member_bit_offset(std::uint32_t raw, bool kflag) noexcept {
    return kflag ? (raw & 0xffffffu) : raw;
}
[[nodiscard]] constexpr std::uint32_t member_bitfield_bits(std::uint32_t raw, bool kflag) noexcept {
    return kflag ? (raw >> 24) : 0u;
}

}  // namespace detail::btf_wire

}  // namespace ksym
