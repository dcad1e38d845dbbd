#pragma once
// What identify_container (image/container.hpp) reports about a kernel file:
// the wrapper around the kernel, where its payload is and how it is packed.

#include <cstdint>
#include <optional>
#include <string_view>

#include "ksym/arch/dispatch.hpp"
#include "ksym/image/compression.hpp"

namespace ksym {

/// The kinds of file a distribution ships a kernel as. The first four hold
/// the kernel itself (holds_kernel); the others wrap it.
enum class container_kind : std::uint8_t {
    unknown_raw,        ///< no header ksym knows: a raw kernel image (armhf `Image`, s390 `vmlinux.bin`) or not a kernel
    elf,                ///< an ELF vmlinux, stripped or not (ppc64el ships one as its vmlinux)
    raw_arm64,          ///< an arm64 `Image`: "ARM\x64" at 0x38
    raw_riscv64,        ///< a RISC-V `Image`: "RSC\x05" at 0x38
    x86_bzimage,        ///< an x86 bzImage: "HdrS" at 0x202, its payload named by the setup header
    efi_zboot,          ///< an EFI zboot image (arm64, riscv64, loongarch): "MZ", then "zimg" at 4
    compressed_stream,  ///< a bare compressed stream (`Image.gz`, `Image.zst`, ...)
    arm_zimage,         ///< a 32-bit arm zImage: 0x016f2818 at 0x24, then its decompressor and the stream
    s390_image,         ///< an s390x compressed image: "S390EP" at 0x10008, then its decompressor and the stream
};

/// Short, stable name of a container kind ("x86-bzimage", "elf", ...).
[[nodiscard]] constexpr std::string_view to_string(container_kind k) noexcept {
    switch (k) {
    case container_kind::unknown_raw: return "unknown-raw";
    case container_kind::elf: return "elf";
    case container_kind::raw_arm64: return "raw-arm64";
    case container_kind::raw_riscv64: return "raw-riscv64";
    case container_kind::x86_bzimage: return "x86-bzimage";
    case container_kind::efi_zboot: return "efi-zboot";
    case container_kind::compressed_stream: return "compressed-stream";
    case container_kind::arm_zimage: return "arm-zimage";
    case container_kind::s390_image: return "s390-image";
    }
    return "?";
}

/// Whether a file of kind `k` is the kernel itself (nothing left to unpack):
/// an ELF vmlinux, a raw arm64 or RISC-V Image, or a raw image without a header.
[[nodiscard]] constexpr bool holds_kernel(container_kind k) noexcept {
    return k == container_kind::unknown_raw || k == container_kind::elf || k == container_kind::raw_arm64 ||
           k == container_kind::raw_riscv64;
}

/// A kernel file's container, its payload and how that is packed.
///
/// For a kind that holds the kernel, the payload is the whole file and the
/// codec is `none`. For a wrapper, the payload is the compressed stream alone
/// (without the 4-byte size the kernel's `*_with_size` build rules append,
/// but with gzip's own trailer, which is part of its stream); the codec
/// `none` there means the payload is the inner image, stored as is.
struct container_info {
    container_kind kind = container_kind::unknown_raw;
    compression codec = compression::none;
    std::uint64_t payload_offset = 0;  ///< file offset of the payload's first byte
    std::uint64_t payload_size = 0;    ///< bytes from payload_offset: the stream's own length when payload_exact
    /// Whether payload_size is the stream's length as the format states it
    /// (or its framing proves it); when false it runs to the end of the data
    /// that may hold it, and a decompressor must stop at the stream's end.
    bool payload_exact = false;
    /// The size of the decompressed payload where the file stores it (gzip's
    /// ISIZE, the size the build appends, the zstd frame's content size).
    /// gzip and the appended sizes are 32-bit: the size modulo 2^32.
    std::optional<std::uint64_t> decompressed_size;
    /// The architecture, where the container states it (ELF e_machine, the
    /// PE machine of a zboot image, the Image magic, the format itself).
    std::optional<arch_id> arch;

    friend constexpr bool operator==(const container_info&, const container_info&) = default;
};

}  // namespace ksym
