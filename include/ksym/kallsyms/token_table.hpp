#pragma once
// The 256 expansion tokens of a kallsyms table, held in a fixed buffer.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "ksym/arch/traits.hpp"
#include "ksym/batch/batch_reader.hpp"
#include "ksym/core/errc.hpp"
#include "ksym/memory/reader.hpp"

namespace ksym {

/// The kernel's token table, read once and repacked so that each token is an
/// (offset, length) pair into one contiguous byte buffer: expanding a name is
/// then a chain of small copies with no string scanning.
class token_table {
public:
    /// Bytes of token text the buffer holds. Real tables use 1-3 KiB.
    static constexpr std::size_t capacity = 16384;

    /// Reads kallsyms_token_index (256 x u16) and the token strings it points
    /// into. Two reads for the index and the bulk of the table, plus one
    /// bounded string read for the last token.
    template <MemoryReader R, ArchTraits Arch>
    constexpr status load(batch_reader<R, Arch>& br, std::uint64_t token_table_addr, std::uint64_t token_index_addr) {
        std::array<std::uint16_t, 256> index{};
        max_len_ = 0;
        if (status s = br.read_array(token_index_addr, std::span(index)); !s) return s;
        std::uint16_t top = 0;
        for (auto v : index) top = v > top ? v : top;
        // Everything up to the start of the highest token in one read, then
        // that token's own text (bounded) to find where the table ends.
        if (top >= capacity) return {errc::capacity, token_index_addr};
        if (top > 0) {
            if (status s = br.read_array(token_table_addr, std::span(raw_).first(top)); !s) return s;
        }
        std::array<char, 256> last{};
        auto n = br.read_string(token_table_addr + top, std::span(last));
        if (!n) return n.error().code() == errc::capacity ? status{errc::corrupt, token_table_addr + top} : n.error();
        if (top + *n + 1 > capacity) return {errc::capacity, token_table_addr};
        for (std::size_t i = 0; i <= *n; ++i) raw_[top + i] = last[i];
        const std::size_t size = top + *n + 1;

        for (std::size_t t = 0; t < 256; ++t) {
            const std::size_t off = index[t];
            std::size_t len = 0;
            while (off + len < size && raw_[off + len] != '\0') ++len;
            if (off + len >= size) return {errc::corrupt, token_index_addr + 2 * t};
            if (len > 255) return {errc::unsupported, token_table_addr + off};
            max_len_ = std::max(max_len_, len);
            off_[t] = static_cast<std::uint16_t>(off);
            len_[t] = static_cast<std::uint8_t>(len);
            for (std::size_t k = 0; k < pad && k < len; ++k) padded_[t][k] = raw_[off + k];
            for (std::size_t k = 1; k <= pad && k < len; ++k) tail_[t][k - 1] = raw_[off + k];
        }
        size_ = size;
        return {};
    }

    /// The text of token `t`.
    [[nodiscard]] constexpr std::string_view operator[](std::uint8_t t) const noexcept {
        return {raw_.data() + off_[t], len_[t]};
    }
    [[nodiscard]] constexpr std::uint8_t length(std::uint8_t t) const noexcept { return len_[t]; }
    [[nodiscard]] constexpr const char* data(std::uint8_t t) const noexcept { return raw_.data() + off_[t]; }
    /// Bytes of each token kept in a fixed-size slot, so that a short token
    /// is copied with one fixed-width move.
    static constexpr std::size_t pad = 16;
    /// Token `t` in its fixed slot; only the first length(t) bytes (at most
    /// `pad`) are meaningful.
    [[nodiscard]] constexpr const std::array<char, pad>& padded(std::uint8_t t) const noexcept { return padded_[t]; }
    /// Token `t` without its first character (a name's first token carries
    /// the type letter there), in a fixed slot like padded().
    [[nodiscard]] constexpr const std::array<char, pad>& padded_tail(std::uint8_t t) const noexcept {
        return tail_[t];
    }
    /// Length of the longest token: real tables stay within `pad`, which lets
    /// expansion skip the per-token length check.
    [[nodiscard]] constexpr std::size_t max_length() const noexcept { return max_len_; }
    /// Bytes of token text read from the target.
    [[nodiscard]] constexpr std::size_t size() const noexcept { return size_; }

private:
    std::array<char, capacity> raw_{};
    std::array<std::uint16_t, 256> off_{};
    std::array<std::uint8_t, 256> len_{};
    std::array<std::array<char, pad>, 256> padded_{};
    std::array<std::array<char, pad>, 256> tail_{};
    std::size_t size_ = 0;
    std::size_t max_len_ = 0;
};

}  // namespace ksym
