#pragma once
// Span-based batch reads of target arrays: one reader call per array.

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <type_traits>

#include "ksym/arch/traits.hpp"
#include "ksym/core/endian.hpp"
#include "ksym/core/errc.hpp"
#include "ksym/core/result.hpp"
#include "ksym/memory/reader.hpp"

namespace ksym {

/// An integer type a target array can hold: 1, 2, 4 or 8 bytes, signed or not.
template <class T>
concept target_integer = std::integral<T> && !std::same_as<T, bool> &&
                         (sizeof(T) == 1 || sizeof(T) == 2 || sizeof(T) == 4 || sizeof(T) == 8);

/// Reads typed arrays in the target's byte order straight into caller spans.
///
/// Every array costs exactly one reader call however long it is; arrays that
/// do not fit the caller's buffer are walked through a fixed window, one call
/// per window. The reader calls are counted so tests can hold the library to
/// that promise. Nothing here allocates.
template <MemoryReader R, ArchTraits Arch>
class batch_reader {
public:
    using word = typename Arch::word;
    static constexpr std::endian order = Arch::byte_order;

    constexpr explicit batch_reader(R& reader) noexcept : r_(&reader) {}
    /// A batch reader bound to nothing, for objects that bind it later;
    /// reading through it is a caller error.
    constexpr batch_reader() noexcept = default;

    /// Raw bytes, one call.
    constexpr status read_bytes(std::uint64_t addr, std::span<std::byte> out) {
        if (out.empty()) return {};
        ++calls_;
        return r_->read(addr, out);
    }

    /// `out.size()` elements of T stored in target order at `addr`, one call.
    template <target_integer T, std::size_t Extent>
    constexpr status read_array(std::uint64_t addr, std::span<T, Extent> out) {
        if (out.empty()) return {};
        if (out.size() > UINT64_MAX / sizeof(T) || !range_fits(addr, out.size() * sizeof(T)))
            return status::fault(addr);
        using U = std::make_unsigned_t<T>;
        if (std::is_constant_evaluated()) {
            // No byte view of `out` is allowed at compile time: go through a small stack buffer.
            constexpr std::size_t tmp_bytes = 256;
            std::byte tmp[tmp_bytes];
            constexpr std::size_t per = tmp_bytes / sizeof(T);
            for (std::size_t i = 0; i < out.size(); i += per) {
                const std::size_t n = std::min(per, out.size() - i);
                ++calls_;
                if (status s = r_->read(addr + i * sizeof(T), std::span<std::byte>(tmp, n * sizeof(T))); !s) return s;
                for (std::size_t k = 0; k < n; ++k) out[i + k] = static_cast<T>(load<U>(tmp + k * sizeof(T), order));
            }
            return {};
        }
        ++calls_;
        if (status s = r_->read(addr, std::span<std::byte>(std::as_writable_bytes(out))); !s) return s;
        if constexpr (sizeof(T) > 1) {
            if (order != std::endian::native) {
                for (T& v : out) v = static_cast<T>(byteswap(static_cast<U>(v)));
            }
        }
        return {};
    }

    /// One element of T at `addr`.
    template <target_integer T>
    constexpr result<T> read_one(std::uint64_t addr) {
        T v{};
        if (status s = read_array(addr, std::span<T>(&v, 1)); !s) return s;
        return v;
    }

    /// Walks `count` elements of T at `addr` through `window`, calling
    /// `visit(first_index, std::span<const T> chunk)` for each filled window.
    /// `visit` returns a status; a non-ok status stops the walk and is returned.
    template <target_integer T, std::size_t Extent, class Visit>
        requires std::invocable<Visit&, std::uint64_t, std::span<const T>>
    constexpr status for_each_window(std::uint64_t addr, std::uint64_t count, std::span<T, Extent> window,
                                     Visit&& visit) {
        if (count == 0) return {};
        if (window.empty()) return {errc::invalid_argument};
        if (count > UINT64_MAX / sizeof(T) || !range_fits(addr, count * sizeof(T))) return status::fault(addr);
        for (std::uint64_t first = 0; first < count;) {
            const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(window.size(), count - first));
            const std::span<T> chunk = std::span<T>(window).first(n);
            if (status s = read_array(addr + first * sizeof(T), chunk); !s) return s;
            if (status s = visit(first, std::span<const T>(chunk)); !s) return s;
            first += n;
        }
        return {};
    }

    /// Reads a NUL-terminated string at `addr` into `out` (NUL included) and
    /// returns its length. At most out.size() bytes are examined: no NUL among
    /// them gives `capacity`. Reads in small aligned chunks so that a string
    /// ending just before unmapped memory still reads; a chunk that faults is
    /// retried byte by byte up to the fault.
    constexpr result<std::size_t> read_string(std::uint64_t addr, std::span<char> out) {
        if (out.empty()) return status{errc::capacity, addr};
        constexpr std::uint64_t chunk = 64;
        std::size_t len = 0;
        std::byte buf[chunk];
        while (len < out.size()) {
            const std::uint64_t at = addr + len;
            if (at < addr) return status::fault(at);  // wrapped past the top of the address space
            std::size_t n = static_cast<std::size_t>(chunk - (at % chunk));
            n = std::min(n, out.size() - len);
            ++calls_;
            if (status s = r_->read(at, std::span<std::byte>(buf, n)); !s) {
                // Find how much of the chunk is readable, a byte at a time.
                std::size_t ok = 0;
                for (; ok < n; ++ok) {
                    ++calls_;
                    if (status b = r_->read(at + ok, std::span<std::byte>(buf + ok, 1)); !b) {
                        s = b;
                        break;
                    }
                }
                for (std::size_t k = 0; k < ok; ++k) {
                    out[len] = static_cast<char>(buf[k]);
                    if (out[len] == '\0') return len;
                    ++len;
                }
                if (ok < n) return s;
                continue;
            }
            for (std::size_t k = 0; k < n; ++k) {
                out[len] = static_cast<char>(buf[k]);
                if (out[len] == '\0') return len;
                ++len;
            }
        }
        return status{errc::capacity, addr};
    }

    /// Reader calls made so far.
    /// The reader's own bytes at `addr` (at least `len`) when it lends them
    /// (LendingReader), else empty: the caller then reads a copy. Not a call.
    [[nodiscard]] constexpr std::span<const std::byte> view(std::uint64_t addr, std::size_t len) const {
        if constexpr (LendingReader<R>) {
            if (!range_fits(addr, len)) return {};
            return r_->view(addr, len);
        } else {
            return {};
        }
    }

    [[nodiscard]] constexpr std::size_t calls() const noexcept { return calls_; }
    constexpr void reset_calls() noexcept { calls_ = 0; }
    [[nodiscard]] constexpr R& reader() const noexcept { return *r_; }

private:
    R* r_ = nullptr;
    std::size_t calls_ = 0;
};

}  // namespace ksym
