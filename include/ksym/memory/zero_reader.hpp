#pragma once
// A reader whose every byte is zero: what a core file's p_memsz beyond
// p_filesz holds (pages makedumpfile excluded).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

#include "ksym/core/errc.hpp"

namespace ksym {

/// Fills every read with zeros and counts the reads it served, so that a
/// caller can tell an answer built from excluded memory.
struct zero_reader {
    mutable std::size_t reads = 0;
    constexpr status read(std::uint64_t, std::span<std::byte> out) const noexcept {
        std::fill(out.begin(), out.end(), std::byte{0});
        ++reads;
        return {};
    }
};

}  // namespace ksym
