#pragma once
// kallsyms_names: the record parser every path uses, and the window through
// which the table reads the stream.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "ksym/arch/traits.hpp"
#include "ksym/batch/batch_reader.hpp"
#include "ksym/core/errc.hpp"
#include "ksym/core/result.hpp"
#include "ksym/memory/reader.hpp"
#include "ksym/symbols/symbol.hpp"

namespace ksym::detail {

/// Longest record body accepted (token bytes, type letter included): every
/// token expands to at least one character and a name has fewer than
/// name_buffer_size of them, so anything longer is corrupt.
inline constexpr std::size_t max_record = 2 * name_buffer_size;

/// One record's length header: 1 byte, or 2 when the first has bit 7 set
/// (long names, 6.1+).
struct record {
    std::uint8_t hdr = 0;
    std::uint16_t len = 0;  ///< token bytes after the header
    [[nodiscard]] constexpr std::size_t size() const noexcept { return hdr + std::size_t{len}; }
};

enum class parse_state : std::uint8_t { ok, need_more, corrupt };

/// Parses the header at `p`, of which `avail` bytes are readable. Every
/// decoding path goes through here, so a record the checked path rejects
/// is rejected by the fast paths too.
constexpr parse_state parse_record(const std::byte* p, std::size_t avail, record& r) noexcept {
    if (avail < 1) return parse_state::need_more;
    const auto b0 = static_cast<std::uint8_t>(p[0]);
    if (b0 & 0x80) {
        if (avail < 2) return parse_state::need_more;
        r = {2, static_cast<std::uint16_t>((b0 & 0x7fu) | (unsigned{static_cast<std::uint8_t>(p[1])} << 7))};
    } else {
        r = {1, b0};
    }
    return r.len == 0 || r.len > max_record ? parse_state::corrupt : parse_state::ok;
}

/// A window onto kallsyms_names, refilled on demand. Offsets are relative
/// to the start of the stream and may be hostile: no sum here can wrap.
template <MemoryReader R, ArchTraits Arch>
class names_stream {
public:
    static constexpr std::size_t window = 4096;
    /// Bytes read on a miss for the three access patterns.
    static constexpr std::size_t sequential = window;
    static constexpr std::size_t random = 64;
    static_assert(max_record + 2 <= window);

    constexpr void reset(std::uint64_t base) noexcept {
        base_ = base;
        len_ = 0;
        off_ = 0;
        data_ = buf_.data();
    }

    /// Makes [off, off + need) available and returns a pointer to it. On a
    /// miss, a reader that lends its memory lends all it has from `off` on;
    /// others have `prefetch` bytes read (if that runs into unreadable
    /// memory, exactly what is needed).
    constexpr result<const std::byte*> at(batch_reader<R, Arch>& br, std::uint64_t off, std::size_t need,
                                          std::size_t prefetch) {
        if (off >= off_ && off - off_ < len_ && need <= len_ - (off - off_)) return data_ + (off - off_);
        if (need > window || off > UINT64_MAX - base_ || !range_fits(base_ + off, need))
            return status{errc::corrupt, base_};
        len_ = 0;
        const std::uint64_t addr = base_ + off;
        if (auto v = br.view(addr, need); !v.empty()) {
            data_ = v.data();
            len_ = v.size();
            off_ = off;
            return data_;
        }
        data_ = buf_.data();
        const std::size_t want = std::min(window, std::max(need, prefetch));
        if (br.read_bytes(addr, std::span(buf_).first(want)).ok()) {
            len_ = want;
        } else {
            if (status s = br.read_bytes(addr, std::span(buf_).first(need)); !s) return s;
            len_ = need;
        }
        off_ = off;
        return buf_.data();
    }

    /// The checked header of the record at `off`.
    constexpr result<record> header(batch_reader<R, Arch>& br, std::uint64_t off, std::size_t prefetch) {
        record r;
        for (std::size_t need = 1; need <= 2; ++need) {
            auto p = at(br, off, need, prefetch);
            if (!p) return p.error();
            const parse_state st = parse_record(*p, available(off), r);
            if (st == parse_state::ok) return r;
            if (st == parse_state::corrupt) break;
        }
        return status{errc::corrupt, base_ + off};
    }

    /// The record at `off`: its header and a pointer to its token bytes.
    constexpr result<std::span<const std::byte>> body(batch_reader<R, Arch>& br, std::uint64_t off,
                                                      std::size_t prefetch, record& r) {
        auto h = header(br, off, prefetch);
        if (!h) return h.error();
        r = *h;
        auto p = at(br, off, r.size(), prefetch);
        if (!p) return p.error();
        return std::span<const std::byte>(*p + r.hdr, r.len);
    }

    /// The offset `count` records after `off`. Records inside the window are
    /// parsed in place; one at the window's edge takes a refill.
    constexpr result<std::uint64_t> skip(batch_reader<R, Arch>& br, std::uint64_t off, std::uint32_t count) {
        while (count > 0) {
            // Records average about a dozen bytes: read the whole stretch at once.
            const std::size_t guess = std::min<std::size_t>(window, 16 * std::size_t{count} + 64);
            auto h = header(br, off, guess);
            if (!h) return h.error();
            off += h->size();
            --count;
            if (count == 0 || available(off) == 0) continue;
            // Inside the window: walk positions in it, same parser.
            std::size_t pos = static_cast<std::size_t>(off - off_);
            while (count > 0 && pos < len_) {
                record r;
                const parse_state st = parse_record(data_ + pos, len_ - pos, r);
                if (st == parse_state::need_more) break;
                if (st == parse_state::corrupt) return status{errc::corrupt, base_ + off_ + pos};
                pos += r.size();
                --count;
            }
            off = off_ + pos;
        }
        return off;
    }

    /// Bytes of the window from `off` on (0 when `off` is outside it).
    [[nodiscard]] constexpr std::size_t available(std::uint64_t off) const noexcept {
        return off >= off_ && off - off_ < len_ ? len_ - static_cast<std::size_t>(off - off_) : 0;
    }
    [[nodiscard]] constexpr const std::byte* data_at(std::uint64_t off) const noexcept {
        return data_ + (off - off_);
    }
    [[nodiscard]] constexpr std::uint64_t base() const noexcept { return base_; }

private:
    std::array<std::byte, window> buf_{};
    const std::byte* data_ = nullptr;  // the window: buf_, or memory the reader lends
    std::uint64_t base_ = 0;
    std::uint64_t off_ = 0;
    std::size_t len_ = 0;
};

}  // namespace ksym::detail
