#pragma once
// A BTF blob, validated once and then read in place: the header, the
// sections, every type record's extent, and type lookup by id. The queries
// that give meaning to the records (structs, members, sizes, enums) are in
// btf/query.hpp.

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "ksym/arch/traits.hpp"
#include "ksym/btf/format.hpp"
#include "ksym/core/endian.hpp"
#include "ksym/core/errc.hpp"
#include "ksym/core/result.hpp"

namespace ksym {

/// One type record as decoded from its 12-byte head. Produced by btf; the
/// kind-specific data after the head is read through btf::data_word. A
/// trivial aggregate (so results holding it work in constant expressions):
/// `btf_type{}` is void.
struct btf_type {
    std::uint32_t id;            ///< 0 is void, records count from 1
    btf_kind kind;
    bool kind_flag;
    std::uint32_t vlen;          ///< members, enumerators, parameters, ...
    std::uint32_t name_off;      ///< into the string section; 0 means anonymous
    std::uint32_t size_or_type;  ///< a byte size (INT, STRUCT, UNION, ENUM*, DATASEC, FLOAT) or a type id
    std::uint32_t offset;        ///< where the record starts in the type section

    friend constexpr bool operator==(const btf_type&, const btf_type&) noexcept = default;
};

/// A view of a BTF blob (vmlinux BTF from /sys/kernel/btf/vmlinux or from
/// kernel memory between __start_BTF and __stop_BTF). Holds no copy of the
/// bytes: the blob, and the storage lent to build_index, must outlive it.
///
/// open() walks every record once: it checks the header, that the sections
/// lie inside the blob, that the string section starts and ends with a NUL,
/// and that every record with its kind-specific data fits in the type
/// section; records of kinds newer than this reader are stepped over through
/// the layout section when the blob has one. It keeps the offset of every
/// few hundredth record (a fixed 2 KiB table), so a lookup by id steps over
/// at most that many records; build_index makes it one load.
class btf {
public:
    static constexpr std::size_t checkpoint_count = 512;

    /// An empty BTF: no types, until open() succeeds.
    constexpr btf() noexcept = default;

    /// Opens `blob` written in `order` for a target whose pointers are
    /// `pointer_bytes` (4 or 8) wide. A magic that reads right only in the
    /// other byte order gives invalid_argument; any other bad magic corrupt.
    /// On error the object is left empty.
    constexpr status open(std::span<const std::byte> blob, std::endian order, std::size_t pointer_bytes) noexcept {
        *this = btf{};
        if (pointer_bytes != 4 && pointer_bytes != 8) return errc::invalid_argument;
        if (blob.size() < btf_header_min_bytes) return {errc::truncated, 0};
        const std::uint16_t magic = load<std::uint16_t>(blob.data(), order);
        if (magic != btf_magic) return {byteswap(magic) == btf_magic ? errc::invalid_argument : errc::corrupt, 0};
        order_ = order;
        pointer_bytes_ = static_cast<std::uint8_t>(pointer_bytes);
        status s = read_header(blob);
        if (s) s = scan_types();
        if (!s) *this = btf{};
        return s;
    }

    /// Opens `blob` in whichever byte order its magic says.
    constexpr status open_any_order(std::span<const std::byte> blob, std::size_t pointer_bytes) noexcept {
        const bool big = blob.size() >= 2 && load<std::uint16_t>(blob.data(), std::endian::big) == btf_magic;
        return open(blob, big ? std::endian::big : std::endian::little, pointer_bytes);
    }

    /// Opens `blob` with the byte order and pointer size of `Arch`.
    template <ArchTraits Arch>
    constexpr status open_for(std::span<const std::byte> blob) noexcept {
        return open(blob, Arch::byte_order, Arch::pointer_bytes);
    }

    [[nodiscard]] constexpr const btf_header& header() const noexcept { return header_; }
    [[nodiscard]] constexpr std::endian order() const noexcept { return order_; }
    [[nodiscard]] constexpr std::size_t pointer_bytes() const noexcept { return pointer_bytes_; }
    /// The highest type id; ids 1..type_count() are records.
    [[nodiscard]] constexpr std::uint32_t type_count() const noexcept { return count_; }

    /// The type with id `id` (0 gives void). An id past the last record is
    /// a reference to nothing: corrupt, with the id as the address.
    [[nodiscard]] constexpr result<btf_type> type(std::uint32_t id) const noexcept {
        if (id == 0) return btf_type{};
        if (id > count_) return status{errc::corrupt, id};
        if (!index_.empty()) return decode(index_[id], id);  // decode bounds-checks what the lent storage says
        const std::uint32_t slot = (id - 1) >> shift_;
        std::uint32_t at = checkpoints_[slot];
        for (std::uint32_t i = (slot << shift_) + 1; i < id; ++i) {
            const auto next = next_record(at);
            if (!next) return next.error();
            at = *next;
        }
        return decode(at, id);
    }

    /// A 32-bit word of a record's kind-specific data, `at` bytes past its head.
    [[nodiscard]] constexpr result<std::uint32_t> data_word(const btf_type& t, std::uint64_t at) const noexcept {
        const std::uint64_t pos = std::uint64_t{t.offset} + btf_type_record_bytes + at;
        if (t.id == 0 || pos + 4 > types_.size()) return status{errc::corrupt, types_base_ + pos};
        return load<std::uint32_t>(types_.data() + pos, order_);
    }

    /// Whether the string at `off` is exactly `s`. Out-of-range offsets
    /// compare unequal. Reads at most s.size() + 1 bytes.
    [[nodiscard]] constexpr bool name_is(std::uint32_t off, std::string_view s) const noexcept {
        if (off >= strings_.size() || strings_.size() - off <= s.size()) return false;
        for (std::size_t i = 0; i < s.size(); ++i)
            if (static_cast<char>(strings_[off + i]) != s[i]) return false;
        return strings_[off + s.size()] == std::byte{0};
    }

    /// The NUL-terminated string at `off` in the string section.
    [[nodiscard]] result<std::string_view> string_at(std::uint32_t off) const noexcept {
        if (off >= strings_.size()) return status{errc::corrupt, strings_base_ + off};
        const char* s = reinterpret_cast<const char*>(strings_.data()) + off;  // char may alias any object
        std::size_t n = 0;
        while (s[n] != '\0') ++n;  // stops at the section's final NUL at the latest
        return std::string_view(s, n);
    }
    [[nodiscard]] result<std::string_view> name(const btf_type& t) const noexcept { return string_at(t.name_off); }

    /// Calls `f(const btf_type&)` for every record in id order until it returns false.
    template <class F>
    constexpr void for_each_type(F&& f) const {
        std::uint32_t at = 0;
        for (std::uint32_t id = 1; id <= count_; ++id) {
            const auto t = decode(at, id);
            if (!t) return;  // cannot fail after open, like record_end
            const auto next = record_end(at, static_cast<std::uint32_t>(t->kind), t->vlen);
            if (!next || !f(*t)) return;
            at = *next;
        }
    }

    /// 32-bit words build_index needs: one per id, id 0 included.
    [[nodiscard]] constexpr std::size_t index_words() const noexcept { return std::size_t{count_} + 1; }

    /// Records every type's offset in `storage` (index_words() long), which
    /// this object then uses for lookups by id. `storage` must outlive it.
    constexpr status build_index(std::span<std::uint32_t> storage) noexcept {
        if (storage.size() < index_words()) return errc::capacity;
        storage[0] = 0;
        std::uint32_t at = 0;
        for (std::uint32_t id = 1; id <= count_; ++id) {
            storage[id] = at;
            const auto next = next_record(at);
            if (!next) return next.error();
            at = *next;
        }
        index_ = storage.first(index_words());
        return {};
    }
    [[nodiscard]] constexpr bool indexed() const noexcept { return !index_.empty(); }

private:
    constexpr std::uint32_t u32_at(std::span<const std::byte> s, std::size_t at) const noexcept {
        return load<std::uint32_t>(s.data() + at, order_);
    }

    // Header and section bounds. Offsets are relative to the header's end.
    constexpr status read_header(std::span<const std::byte> blob) noexcept {
        header_.magic = btf_magic;
        header_.version = static_cast<std::uint8_t>(blob[2]);
        header_.flags = static_cast<std::uint8_t>(blob[3]);
        header_.hdr_len = u32_at(blob, 4);
        if (header_.version != btf_version) return {errc::unsupported, 2};
        if (header_.hdr_len < btf_header_min_bytes) return {errc::corrupt, 4};
        if (header_.hdr_len > blob.size()) return {errc::truncated, 4};
        header_.type_off = u32_at(blob, 8);
        header_.type_len = u32_at(blob, 12);
        header_.str_off = u32_at(blob, 16);
        header_.str_len = u32_at(blob, 20);
        if (header_.hdr_len >= btf_header_layout_bytes) {
            header_.layout_off = u32_at(blob, 24);
            header_.layout_len = u32_at(blob, 28);
        }
        if (header_.type_off % 4 != 0) return {errc::corrupt, 8};
        const auto body = blob.subspan(header_.hdr_len);
        auto section = [&](std::uint32_t off, std::uint32_t len, std::span<const std::byte>& out) {
            if (std::uint64_t{off} + len > body.size()) return false;
            out = body.subspan(off, len);
            return true;
        };
        if (!section(header_.type_off, header_.type_len, types_)) return {errc::truncated, 12};
        if (!section(header_.str_off, header_.str_len, strings_)) return {errc::truncated, 20};
        if (!section(header_.layout_off, header_.layout_len, layout_)) return {errc::truncated, 28};
        types_base_ = std::uint64_t{header_.hdr_len} + header_.type_off;
        strings_base_ = std::uint64_t{header_.hdr_len} + header_.str_off;
        // Offset 0 is the empty name of anonymous types; the final NUL bounds every string.
        if (strings_.empty() || strings_.front() != std::byte{0} || strings_.back() != std::byte{0})
            return {errc::corrupt, strings_base_};
        return {};
    }

    // One pass over the records: each must fit, and its offset may become a checkpoint.
    constexpr status scan_types() noexcept {
        std::uint32_t at = 0;
        std::uint32_t id = 0;
        while (at < types_.size()) {
            if (id == UINT32_MAX - 1) return {errc::unsupported, types_base_ + at};
            ++id;
            if (((id - 1) & ((1u << shift_) - 1)) == 0) {
                std::uint32_t slot = (id - 1) >> shift_;
                if (slot == checkpoint_count) {  // full: keep every other one, double the stride
                    for (std::size_t k = 0; k < checkpoint_count / 2; ++k) checkpoints_[k] = checkpoints_[2 * k];
                    ++shift_;
                    slot = (id - 1) >> shift_;
                }
                checkpoints_[slot] = at;
            }
            const auto next = next_record(at);
            if (!next) return next.error();
            at = *next;
        }
        count_ = id;
        return {};
    }

    // Offset of the record after the one at `at`, which is checked to fit.
    constexpr result<std::uint32_t> next_record(std::uint32_t at) const noexcept {
        if (types_.size() - at < btf_type_record_bytes) return status{errc::truncated, types_base_ + at};
        const std::uint32_t info = u32_at(types_, at + 4);
        return record_end(at, detail::btf_wire::kind_of(info), detail::btf_wire::vlen_of(info));
    }

    // Where the record at `at` with this kind and vlen ends, checked to fit.
    constexpr result<std::uint32_t> record_end(std::uint32_t at, std::uint32_t kind, std::uint32_t vlen) const noexcept {
        if (kind == 0) return status{errc::corrupt, types_base_ + at + 4};
        std::uint64_t extra = 0;
        if (const auto known = detail::btf_wire::trailing_bytes(kind, vlen)) {
            extra = *known;
        } else {
            // A kind newer than this reader: the layout section, one 4-byte
            // {info_sz, elem_sz, flags} per kind, says how to step over it.
            if (std::uint64_t{kind} * 4 + 4 > layout_.size()) return status{errc::unsupported, types_base_ + at + 4};
            const auto info_sz = static_cast<std::uint64_t>(layout_[kind * 4]);
            const auto elem_sz = static_cast<std::uint64_t>(layout_[kind * 4 + 1]);
            extra = info_sz + std::uint64_t{vlen} * elem_sz;
        }
        const std::uint64_t end = std::uint64_t{at} + btf_type_record_bytes + extra;
        if (end > types_.size()) return status{errc::truncated, types_base_ + at};
        return static_cast<std::uint32_t>(end);
    }

    constexpr result<btf_type> decode(std::uint32_t at, std::uint32_t id) const noexcept {
        if (at > types_.size() || types_.size() - at < btf_type_record_bytes)
            return status{errc::corrupt, types_base_ + at};
        const std::uint32_t info = u32_at(types_, at + 4);
        btf_type t{};
        t.id = id;
        t.kind = static_cast<btf_kind>(detail::btf_wire::kind_of(info));
        t.kind_flag = detail::btf_wire::kind_flag_of(info);
        t.vlen = detail::btf_wire::vlen_of(info);
        t.name_off = u32_at(types_, at);
        t.size_or_type = u32_at(types_, at + 8);
        t.offset = at;
        return t;
    }

    btf_header header_{};
    std::span<const std::byte> types_{};
    std::span<const std::byte> strings_{};
    std::span<const std::byte> layout_{};
    std::uint64_t types_base_ = 0;    // blob offsets of the sections, for error addresses
    std::uint64_t strings_base_ = 0;
    std::span<std::uint32_t> index_{};
    std::array<std::uint32_t, checkpoint_count> checkpoints_{};
    std::uint32_t count_ = 0;
    std::uint32_t shift_ = 0;  // a checkpoint every 2^shift_ records
    std::endian order_ = std::endian::little;
    std::uint8_t pointer_bytes_ = 8;
};

}  // namespace ksym
