#pragma once
// A reader over bytes already in memory, placed at a base address.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <span>

#include "ksym/core/errc.hpp"
#include "ksym/memory/reader.hpp"

namespace ksym {

/// Serves [base, base + bytes.size()) from a caller-owned span. Usable in
/// constant expressions, so a table embedded in the program can be decoded at
/// compile time.
class buffer_reader {
public:
    constexpr buffer_reader() noexcept = default;
    /// `bytes` must outlive the reader.
    constexpr buffer_reader(std::span<const std::byte> bytes, std::uint64_t base = 0) noexcept
        : bytes_(bytes), base_(base) {}

    /// Copies [addr, addr + out.size()) into out, or faults at the first
    /// address outside the buffer.
    constexpr status read(std::uint64_t addr, std::span<std::byte> out) const noexcept {
        if (out.empty()) return {};
        if (!range_fits(addr, out.size())) return status::fault(addr);
        if (addr < base_) return status::fault(addr);
        const std::uint64_t off = addr - base_;
        if (off >= bytes_.size()) return status::fault(addr);
        if (out.size() > bytes_.size() - off) return status::fault(base_ + bytes_.size());
        if (std::is_constant_evaluated()) {
            for (std::size_t i = 0; i < out.size(); ++i) out[i] = bytes_[static_cast<std::size_t>(off) + i];
        } else {
            // A byte loop here was a fifth of a whole-table decode.
            std::memcpy(out.data(), bytes_.data() + off, out.size());
        }
        return {};
    }

    /// The buffer from `addr` to its end, when that holds `len` bytes.
    [[nodiscard]] constexpr std::span<const std::byte> view(std::uint64_t addr, std::size_t len) const noexcept {
        if (addr < base_ || addr - base_ >= bytes_.size()) return {};
        const auto rest = bytes_.subspan(static_cast<std::size_t>(addr - base_));
        return rest.size() >= len ? rest : std::span<const std::byte>{};
    }

    [[nodiscard]] constexpr std::uint64_t base() const noexcept { return base_; }
    [[nodiscard]] constexpr std::span<const std::byte> bytes() const noexcept { return bytes_; }

private:
    std::span<const std::byte> bytes_{};
    std::uint64_t base_ = 0;
};

static_assert(LendingReader<buffer_reader>);

}  // namespace ksym
