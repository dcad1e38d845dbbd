#pragma once
// Shared by the container fuzz targets: the fuzz input as a file of exactly
// its own size on the heap (so AddressSanitizer sees any read past it), with
// a family's magic stamped in so that every input reaches that family's
// parser; and the checks every answer must pass.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string_view>

#include "ksym/image/container.hpp"

namespace ksym_fuzz {

struct fuzz_file {
    std::unique_ptr<std::byte[]> bytes;
    std::size_t size = 0;
    [[nodiscard]] std::span<const std::byte> span() const { return {bytes.get(), size}; }
    /// Writes `m` at `at` when it fits.
    void stamp(std::size_t at, std::string_view m) {
        if (at <= size && m.size() <= size - at) std::memcpy(bytes.get() + at, m.data(), m.size());
    }
};

/// The input behind `prefix` zero bytes (a family whose header sits far
/// into the file keeps its inputs small), on the heap at its exact size.
inline fuzz_file copy_input(const std::uint8_t* data, std::size_t size, std::size_t prefix = 0) {
    fuzz_file f;
    f.size = prefix + size;
    f.bytes.reset(new std::byte[f.size == 0 ? 1 : f.size]());
    if (size != 0) std::memcpy(f.bytes.get() + prefix, data, size);
    return f;
}

/// What identify_container promises about any answer it gives.
inline void check_answer(std::span<const std::byte> file, const ksym::result<ksym::container_info>& r) {
    if (!r) {
        if (r.error().ok()) __builtin_trap();
        return;
    }
    const ksym::container_info& c = *r;
    if (c.payload_offset > file.size() || c.payload_size > file.size() - c.payload_offset) __builtin_trap();
    if (ksym::holds_kernel(c.kind)) {
        // The kernel itself: the whole file, nothing to decompress.
        if (c.codec != ksym::compression::none || c.payload_offset != 0 || c.payload_size != file.size() ||
            !c.payload_exact || c.decompressed_size)
            __builtin_trap();
        return;
    }
    // A wrapper's payload is a stream of its codec (or, for a bzImage, a stored ELF).
    const auto payload = file.subspan(c.payload_offset, c.payload_size);
    if (c.codec == ksym::compression::none) {
        if (c.kind != ksym::container_kind::x86_bzimage || c.decompressed_size) __builtin_trap();
        return;
    }
    if (c.payload_size == 0) __builtin_trap();
    // The codec was sniffed from the payload's first bytes, with the payload
    // (or, where the container appends a size, the payload and that size) in view.
    const auto with_size = file.subspan(c.payload_offset, std::min<std::size_t>(c.payload_size + 4, file.size() - c.payload_offset));
    if (ksym::sniff_compression(payload) != c.codec && ksym::sniff_compression(with_size) != c.codec) __builtin_trap();
}

}  // namespace ksym_fuzz
