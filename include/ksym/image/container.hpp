#pragma once
// Which container a kernel file is, as distributions ship it (vmlinuz), and
// where the kernel inside it is: the first step of opening a kernel image
// alone. Decompressing is the caller's (the tool does it with the codec
// libraries; see examples/ksym/unpack.hpp).

#include <cstddef>
#include <span>

#include "ksym/arch/dispatch.hpp"
#include "ksym/core/errc.hpp"
#include "ksym/core/result.hpp"
#include "ksym/image/compression.hpp"
#include "ksym/image/container_info.hpp"
#include "ksym/image/detail/arm_zimage.hpp"
#include "ksym/image/detail/bytes.hpp"
#include "ksym/image/detail/efi_zboot.hpp"
#include "ksym/image/detail/s390_image.hpp"
#include "ksym/image/detail/stream_end.hpp"
#include "ksym/image/detail/x86_bzimage.hpp"

namespace ksym {

namespace detail {

// A bare stream is the whole file. gzip's ISIZE is then its last four bytes;
// a zstd frame may carry its content size, and its end shows from its
// blocks; an xz stream's from its footer. Kernels before 5.15 appended the
// size to every bare stream but gzip (scripts/Makefile.lib), so four bytes
// after a stream whose end shows are that size.
[[nodiscard]] constexpr container_info bare_stream(file_bytes f, compression codec) noexcept {
    container_info info = scanned_payload(f, container_kind::compressed_stream, stream_at{0, codec}, f.size());
    if (codec == compression::gzip) {
        info.payload_exact = true;
        info.decompressed_size = le32_at(f, f.size() - 4);
    } else if (codec == compression::zstd) {
        if (auto z = zstd_frame(f); z && z->content_size) info.decompressed_size = z->content_size;
    }
    return info;
}

[[nodiscard]] constexpr container_info holding_kernel(file_bytes f, container_kind kind) noexcept {
    container_info info;
    info.kind = kind;
    info.payload_size = f.size();
    info.payload_exact = true;
    return info;
}

}  // namespace detail

/// What kernel container `file` (a whole file's bytes) is, where its payload
/// lies and how that is compressed. Recognised, in this order:
///   - an ELF vmlinux (arch from e_machine);
///   - an x86 bzImage (the payload from the setup header; xloadflags gives
///     x86_64 or i386 from boot protocol 2.12);
///   - an EFI zboot image (payload offset, size and codec from its header,
///     arch from the PE machine);
///   - a raw arm64 `Image` ("ARM\x64" at 0x38; arm64 unless its flags say
///     big-endian) or RISC-V `Image` ("RSC\x05" at 0x38);
///   - an arm zImage and an s390x compressed image (the stream found by a
///     checked scan behind the decompressor);
///   - a bare gzip, bzip2, lzma, xz, lzo (lzop), lz4 (legacy) or zstd stream;
///   - anything else, a file too short for any header included, as
///     `unknown_raw` (not an error: armhf and s390x kernels decompress to
///     raw images without a header).
/// Errors: `truncated` when a header or the payload it declares runs past
/// the end of the file, `corrupt` when a header contradicts itself (zero
/// sizes, a codec name its payload does not match), `unsupported` for a
/// container in a form ksym does not read (bzImage protocol before 2.08, an
/// unknown codec); the address is the file offset concerned. Reads only
/// inside `file`; allocates nothing.
[[nodiscard]] constexpr result<container_info> identify_container(std::span<const std::byte> file) noexcept {
    using namespace detail;
    if (magic_at(file, 0, "\x7f" "ELF")) {
        container_info info = holding_kernel(file, container_kind::elf);
        // e_ident[EI_CLASS], e_ident[EI_DATA], then e_machine at 18 in the file's byte order.
        if (fits(file, 18, 2)) {
            const bool is64 = u8_at(file, 4) == 2, big = u8_at(file, 5) == 2;
            const auto machine = static_cast<std::uint16_t>(big ? be16_at(file, 18) : le16_at(file, 18));
            info.arch = arch_from_elf(machine, is64, big ? std::endian::big : std::endian::little);
        }
        return info;
    }
    if (is_bzimage(file)) return parse_bzimage(file);
    if (is_zboot(file)) return parse_zboot(file);
    if (magic_at(file, 0x38, "ARM\x64")) {
        container_info info = holding_kernel(file, container_kind::raw_arm64);
        // arch/arm64/include/asm/image.h: flags (LE64 at 0x18), bit 0 set for big-endian.
        if (fits(file, 0x18, 8) && (u8_at(file, 0x18) & 1) == 0) info.arch = arch_id::arm64;
        return info;
    }
    if (magic_at(file, 0x38, "RSC\x05")) {
        container_info info = holding_kernel(file, container_kind::raw_riscv64);
        info.arch = arch_id::riscv64;
        return info;
    }
    if (is_arm_zimage(file)) return parse_arm_zimage(file);
    if (is_s390_image(file)) return parse_s390_image(file);
    if (const compression c = sniff_compression(file); c != compression::none) return bare_stream(file, c);
    return holding_kernel(file, container_kind::unknown_raw);
}

}  // namespace ksym
