#pragma once
// What the loader hands the program besides the kernel Image: where the
// Image sits, the kernel's link address for its first byte (_text), and the
// addresses to look up. run.sh writes it (from the kernel's System.map) and
// QEMU places it at handoff_address with `-device loader`. Every field is a
// little-endian u64, so a shell's printf can write it. The kallsyms arrays
// the program finds itself, by scanning the Image (kallsyms/scan.hpp).

#include <cstddef>
#include <cstdint>

namespace firmware {

inline constexpr std::uintptr_t handoff_address = 0x40800000;
inline constexpr std::uint64_t handoff_magic = 0x323077666d79736bull;  // "ksymfw02", as run.sh writes it
inline constexpr std::size_t max_queries = 16;

struct handoff {
    std::uint64_t magic;
    std::uint64_t image;       ///< physical address of the Image's first byte
    std::uint64_t image_size;  ///< bytes
    std::uint64_t text;        ///< the kernel's link address of that byte (_text)
    std::uint64_t query_count;
    std::uint64_t queries[max_queries];  ///< addresses to look up
};

}  // namespace firmware
