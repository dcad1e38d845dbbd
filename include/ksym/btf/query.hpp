#pragma once
// Questions asked of a parsed BTF: which type has this name, where a member
// sits, how big a type is, what an enumerator's value is, what a pointer
// points to. Every reference a record makes is checked before it is
// followed, and every chain is depth-bounded, so hostile BTF gives an error.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "ksym/btf/btf.hpp"
#include "ksym/btf/format.hpp"
#include "ksym/core/errc.hpp"
#include "ksym/core/result.hpp"

namespace ksym {

/// How many references a size or type resolution follows before it calls
/// the chain a cycle (libbpf's limit too).
inline constexpr std::uint32_t btf_max_resolve_depth = 32;
/// How many anonymous struct/union members one member search may enter.
inline constexpr std::uint32_t btf_max_anonymous_visits = 256;

/// One name find_types looks for, and what it found: the first record (in
/// id order) whose kind is in `kinds` (a btf_kinds(...) set) and whose
/// name is `name`. `id` stays 0 when there is none.
struct btf_lookup {
    std::string_view name;
    std::uint32_t kinds = 0;
    std::uint32_t id = 0;
};

/// Answers every lookup in `wanted` in one pass over the types, stopping
/// early once all are answered. Lookups already answered (id != 0) are kept.
constexpr void find_types(const btf& b, std::span<btf_lookup> wanted) noexcept {
    std::uint32_t any_kind = 0;
    std::size_t open = 0;
    for (const auto& w : wanted) {
        any_kind |= w.kinds;
        open += w.id == 0 ? 1 : 0;
    }
    if (open == 0) return;
    b.for_each_type([&](const btf_type& t) {
        if ((btf_kind_bit(t.kind) & any_kind) == 0 || t.name_off == 0) return true;
        for (auto& w : wanted) {
            if (w.id != 0 || (btf_kind_bit(t.kind) & w.kinds) == 0 || !b.name_is(t.name_off, w.name)) continue;
            w.id = t.id;
            --open;
        }
        return open != 0;
    });
}

/// The first type named `name` whose kind is in `kinds`; not_found if none.
[[nodiscard]] constexpr result<std::uint32_t> find_type(const btf& b, std::string_view name, std::uint32_t kinds) noexcept {
    btf_lookup l{name, kinds, 0};
    find_types(b, std::span(&l, 1));
    if (l.id == 0) return errc::not_found;
    return l.id;
}

/// The struct or union named `name` (never a FWD declaration of it).
[[nodiscard]] constexpr result<std::uint32_t> find_struct(const btf& b, std::string_view name) noexcept {
    return find_type(b, name, btf_kinds(btf_kind::struct_, btf_kind::union_));
}

/// Follows typedef, const, volatile, restrict, type_tag and decl_tag
/// references from `id` to the type they name.
[[nodiscard]] constexpr result<btf_type> resolve_type(const btf& b, std::uint32_t id) noexcept {
    for (std::uint32_t depth = 0; depth <= btf_max_resolve_depth; ++depth) {
        auto t = b.type(id);
        if (!t) return t;
        switch (t->kind) {
        case btf_kind::typedef_:
        case btf_kind::volatile_:
        case btf_kind::const_:
        case btf_kind::restrict_:
        case btf_kind::type_tag:
        case btf_kind::decl_tag: id = t->size_or_type; break;
        default: return t;
        }
    }
    return status{errc::corrupt, id};
}

/// An array's element type and length (a trivial aggregate, like btf_type).
struct btf_array_info {
    std::uint32_t element_type;
    std::uint32_t index_type;
    std::uint32_t count;
};

/// The array `id` names (after resolve_type); invalid_argument if it is not one.
[[nodiscard]] constexpr result<btf_array_info> array_info(const btf& b, std::uint32_t id) noexcept {
    const auto t = resolve_type(b, id);
    if (!t) return t.error();
    if (t->kind != btf_kind::array) return errc::invalid_argument;
    const auto elem = b.data_word(*t, 0), index = b.data_word(*t, 4), n = b.data_word(*t, 8);
    if (!elem || !index || !n) return status{errc::corrupt, t->id};  // open checked the record: unreachable
    return btf_array_info{*elem, *index, *n};
}

/// The type a pointer points to: `id` (after resolve_type) must be a PTR.
[[nodiscard]] constexpr result<std::uint32_t> pointee(const btf& b, std::uint32_t id) noexcept {
    const auto t = resolve_type(b, id);
    if (!t) return t.error();
    if (t->kind != btf_kind::ptr) return errc::invalid_argument;
    return t->size_or_type;
}

/// sizeof the type `id`: through the reference chains, arrays multiplied by
/// their length, pointers as wide as the BTF's target. Types with no size
/// (void, functions, forward declarations) give invalid_argument.
[[nodiscard]] constexpr result<std::uint64_t> type_size(const btf& b, std::uint32_t id) noexcept {
    std::uint64_t scale = 1;
    for (std::uint32_t depth = 0; depth <= btf_max_resolve_depth; ++depth) {
        const auto t = b.type(id);
        if (!t) return t.error();
        std::uint64_t size = 0;
        switch (t->kind) {
        case btf_kind::int_:
        case btf_kind::struct_:
        case btf_kind::union_:
        case btf_kind::enum_:
        case btf_kind::enum64:
        case btf_kind::datasec:
        case btf_kind::float_: size = t->size_or_type; break;
        case btf_kind::ptr: size = b.pointer_bytes(); break;
        case btf_kind::typedef_:
        case btf_kind::volatile_:
        case btf_kind::const_:
        case btf_kind::restrict_:
        case btf_kind::type_tag:
        case btf_kind::decl_tag:
        case btf_kind::var: id = t->size_or_type; continue;
        case btf_kind::array: {
            const auto a = array_info(b, id);
            if (!a) return a.error();
            if (a->count != 0 && scale > UINT64_MAX / a->count) return status{errc::corrupt, id};
            scale *= a->count;
            id = a->element_type;
            continue;
        }
        default: return errc::invalid_argument;
        }
        if (size != 0 && scale > UINT64_MAX / size) return status{errc::corrupt, id};
        return scale * size;
    }
    return status{errc::corrupt, id};
}

/// Where a member sits, in bits from the start of the outermost struct
/// (a trivial aggregate, like btf_type).
struct btf_member_info {
    std::uint32_t type;           ///< the member's type id
    std::uint64_t bit_offset;
    std::uint32_t bitfield_bits;  ///< 0 unless the member is a bitfield

    [[nodiscard]] constexpr std::uint64_t byte_offset() const noexcept { return bit_offset / 8; }
    friend constexpr bool operator==(const btf_member_info&, const btf_member_info&) noexcept = default;
};

/// One member find_members looks for, and where it found it.
struct btf_member_lookup {
    std::string_view name;
    std::optional<btf_member_info> found;
};

namespace detail::btf_query {

// A member's name, type and bit offset as its record says.
constexpr result<btf_member_info> member_at(const btf& b, const btf_type& s, std::uint32_t i,
                                            std::uint32_t& name_off) noexcept {
    const std::uint64_t at = std::uint64_t{i} * 12;
    const auto name = b.data_word(s, at), type = b.data_word(s, at + 4), raw = b.data_word(s, at + 8);
    if (!name || !type || !raw) return status{errc::corrupt, s.id};
    name_off = *name;
    return btf_member_info{*type, detail::btf_wire::member_bit_offset(*raw, s.kind_flag),
                           detail::btf_wire::member_bitfield_bits(*raw, s.kind_flag)};
}

// With the struct's kind_flag clear, a bitfield is an INT whose own offset
// and bit count say so. Asked only of members that matched (a type lookup each).
constexpr status int_bitfield(const btf& b, btf_member_info& m) noexcept {
    const auto t = b.type(m.type);
    if (!t) return t.error();
    if (t->kind != btf_kind::int_) return {};
    const auto enc = b.data_word(*t, 0);
    if (!enc) return enc.error();
    const std::uint32_t bits = *enc & 0xffu, extra = (*enc >> 16) & 0xffu;
    m.bit_offset += extra;
    if (bits != 0 && std::uint64_t{bits} != std::uint64_t{t->size_or_type} * 8) m.bitfield_bits = bits;
    return {};
}

// Fills lookups from struct/union `id`, whose start is `base` bits into the
// outermost struct, entering anonymous struct/union members.
constexpr status find_members(const btf& b, std::uint32_t id, std::uint64_t base, std::span<btf_member_lookup> want,
                              std::size_t& open, std::uint32_t& visits, std::uint32_t depth) noexcept {
    if (depth > btf_max_resolve_depth) return {errc::corrupt, id};
    const auto s = resolve_type(b, id);
    if (!s) return s.error();
    if (s->kind != btf_kind::struct_ && s->kind != btf_kind::union_) return {errc::invalid_argument, id};
    for (std::uint32_t i = 0; i < s->vlen && open != 0; ++i) {
        std::uint32_t name_off = 0;
        auto m = member_at(b, *s, i, name_off);
        if (!m) return m.error();
        m->bit_offset += base;
        if (name_off != 0) {
            for (auto& w : want) {
                if (w.found || !b.name_is(name_off, w.name)) continue;
                if (!s->kind_flag)
                    if (status st = int_bitfield(b, *m); !st) return st;
                w.found = *m;
                --open;
            }
            continue;
        }
        // Anonymous: a nested struct or union whose members belong to this one.
        const auto inner = resolve_type(b, m->type);
        if (!inner) return inner.error();
        if (inner->kind != btf_kind::struct_ && inner->kind != btf_kind::union_) continue;
        if (++visits > btf_max_anonymous_visits) return {errc::corrupt, id};
        if (status st = find_members(b, inner->id, m->bit_offset, want, open, visits, depth + 1); !st) return st;
    }
    return {};
}

}  // namespace detail::btf_query

/// Finds every member named in `want` in one pass over the members of the
/// struct or union `id` (and of its anonymous members, at any depth). A
/// name that is not there leaves its `found` empty; status is for bad BTF.
constexpr status find_members(const btf& b, std::uint32_t id, std::span<btf_member_lookup> want) noexcept {
    std::size_t open = 0;
    for (const auto& w : want) open += w.found ? 0u : 1u;
    std::uint32_t visits = 0;
    return detail::btf_query::find_members(b, id, 0, want, open, visits, 0);
}

/// The member `name` of struct or union `id`; not_found if it has none.
[[nodiscard]] constexpr result<btf_member_info> find_member(const btf& b, std::uint32_t id, std::string_view name) noexcept {
    btf_member_lookup l{name, std::nullopt};
    if (status s = find_members(b, id, std::span(&l, 1)); !s) return s;
    if (!l.found) return errc::not_found;
    return *l.found;
}

/// An enumerator's value. ENUM values are signed when the enum's kind_flag
/// says so (pahole 1.24+) and unsigned 32-bit otherwise; ENUM64 values
/// above INT64_MAX come back as their two's-complement bits.
[[nodiscard]] constexpr result<std::int64_t> enum_value(const btf& b, std::uint32_t id, std::string_view name) noexcept {
    const auto t = resolve_type(b, id);
    if (!t) return t.error();
    const bool is64 = t->kind == btf_kind::enum64;
    if (t->kind != btf_kind::enum_ && !is64) return errc::invalid_argument;
    const std::uint64_t stride = is64 ? 12 : 8;
    for (std::uint32_t i = 0; i < t->vlen; ++i) {
        const auto n = b.data_word(*t, i * stride);
        if (!n) return n.error();
        if (!b.name_is(*n, name)) continue;
        const auto lo = b.data_word(*t, i * stride + 4);
        if (!lo) return lo.error();
        if (!is64) return t->kind_flag ? std::int64_t{static_cast<std::int32_t>(*lo)} : std::int64_t{*lo};
        const auto hi = b.data_word(*t, i * stride + 8);
        if (!hi) return hi.error();
        return static_cast<std::int64_t>((std::uint64_t{*hi} << 32) | *lo);
    }
    return errc::not_found;
}

/// The value of the enumerator `name` in whichever enum (or enum64) has it
/// first, for constants whose enum has no name or whose name is unknown.
[[nodiscard]] constexpr result<std::int64_t> find_enum_value(const btf& b, std::string_view name) noexcept {
    result<std::int64_t> out = errc::not_found;
    b.for_each_type([&](const btf_type& t) {
        if (t.kind != btf_kind::enum_ && t.kind != btf_kind::enum64) return true;
        auto v = enum_value(b, t.id, name);
        if (v.error() == errc::not_found) return true;
        out = v;
        return false;
    });
    return out;
}

}  // namespace ksym
