#pragma once
// Reading whole-byte fields of known width out of BTF structs, with the
// first error of a run of such reads kept: the helpers module layouts (and
// any other reader of kernel structs) are built from.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "ksym/btf/btf.hpp"
#include "ksym/btf/query.hpp"
#include "ksym/core/errc.hpp"
#include "ksym/core/result.hpp"

namespace ksym::detail::btf_fields {

// Keeps the first error of a run of steps, so a phase reads as a list of
// assignments; each phase checks ok() before it follows what it read.
struct steps {
    status st{};
    template <class T, class U>
    constexpr void operator()(T& dst, const result<U>& r) noexcept {
        if (!st.ok()) return;
        if (r) dst = *r;
        else st = r.error();
    }
    constexpr void operator()(status s) noexcept {
        if (st.ok()) st = s;
    }
    [[nodiscard]] constexpr bool ok() const noexcept { return st.ok(); }
};

// A whole-byte member's offset; bitfields and offsets past 4 GiB are not members a walker reads.
constexpr result<std::uint32_t> bytes(const std::optional<btf_member_info>& m) noexcept {
    if (!m) return errc::not_found;
    if (m->bit_offset % 8 != 0 || m->bitfield_bits != 0 || m->bit_offset / 8 > UINT32_MAX)
        return status{errc::unsupported, m->type};
    return static_cast<std::uint32_t>(m->bit_offset / 8);
}
constexpr std::optional<std::uint32_t> maybe_bytes(const std::optional<btf_member_info>& m) noexcept {
    const auto r = bytes(m);
    return r ? std::optional<std::uint32_t>(*r) : std::nullopt;
}

// A member's offset, checked to be `width` bytes wide.
constexpr result<std::uint32_t> sized(const btf& b, const std::optional<btf_member_info>& m, std::uint64_t width) noexcept {
    const auto at = bytes(m);
    if (!at) return at;
    const auto size = type_size(b, m->type);
    if (!size) return size.error();
    if (*size != width) return status{errc::unsupported, m->type};
    return at;
}

// Members of the struct `id`, in one pass.
template <std::size_t N>
constexpr status members(const btf& b, std::uint32_t id, const std::array<std::string_view, N>& names,
                         std::array<btf_member_lookup, N>& out) noexcept {
    for (std::size_t i = 0; i < N; ++i) out[i] = {names[i], std::nullopt};
    return find_members(b, id, out);
}

constexpr result<std::uint32_t> size32(const btf& b, std::uint32_t id) noexcept {
    const auto s = type_size(b, id);
    if (!s) return s.error();
    if (*s > UINT32_MAX) return status{errc::unsupported, id};
    return static_cast<std::uint32_t>(*s);
}

}  // namespace ksym::detail::btf_fields
