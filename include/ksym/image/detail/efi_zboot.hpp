#pragma once
// The EFI zboot image (CONFIG_EFI_ZBOOT; arm64, riscv64, loongarch): a
// PE/COFF executable that decompresses the kernel's raw Image. Its DOS
// header carries (drivers/firmware/efi/libstub/zboot-header.S):
//   0x00  "MZ\0\0"
//   0x04  "zimg"
//   0x08  payload offset (LE32, from the file's start)
//   0x0c  payload size (LE32)
//   0x18  compression type, NUL-terminated (Makefile.zboot's comp-type:
//         gzip, lz4, lzma, lzo, xzkern, zstd22; the first versions said
//         zstd and bzip2 too)
//   0x3c  PE header offset; the PE machine follows "PE\0\0"
// The payload is the Image padded with zeros to its size in memory
// (Makefile.zboot's copy_and_pad), compressed. For gzip the size field
// covers the member, whose ISIZE holds the decompressed size; for the other
// codecs the build appends that size as a LE32 after the stream, and the
// size field leaves those four bytes out (ZBOOT_SIZE_LEN).

#include <cstdint>
#include <string_view>

#include "ksym/core/errc.hpp"
#include "ksym/core/result.hpp"
#include "ksym/image/container_info.hpp"
#include "ksym/image/detail/bytes.hpp"

namespace ksym::detail {

inline constexpr std::uint64_t zboot_type_at = 0x18, zboot_type_max = 0x38 - 0x18;

[[nodiscard]] constexpr bool is_zboot(file_bytes f) noexcept {
    return magic_at(f, 0, "MZ") && magic_at(f, 4, "zimg");
}

/// The codec a zboot header's compression type names, or none.
[[nodiscard]] constexpr compression zboot_codec(std::string_view type) noexcept {
    if (type == "gzip") return compression::gzip;
    if (type == "xzkern" || type == "xz") return compression::xz;
    if (type == "zstd22" || type == "zstd") return compression::zstd;
    if (type == "lzma") return compression::lzma;
    if (type == "lzo") return compression::lzo;
    if (type == "lz4") return compression::lz4;
    if (type == "bzip2") return compression::bzip2;
    return compression::none;
}

[[nodiscard]] constexpr result<container_info> parse_zboot(file_bytes f) noexcept {
    if (!fits(f, 0, 0x40)) return status{errc::truncated, f.size()};
    // The type string: up to its NUL, which must come before 0x38.
    char type[zboot_type_max] = {};
    std::size_t n = 0;
    while (n < zboot_type_max && u8_at(f, zboot_type_at + n) != 0) {
        type[n] = static_cast<char>(u8_at(f, zboot_type_at + n));
        ++n;
    }
    if (n == zboot_type_max) return status{errc::corrupt, zboot_type_at};
    const compression codec = zboot_codec(std::string_view(type, n));
    if (codec == compression::none) return status{errc::unsupported, zboot_type_at};

    const std::uint64_t start = le32_at(f, 0x08), size = le32_at(f, 0x0c);
    if (size == 0) return status{errc::corrupt, 0x0c};
    if (!fits(f, start, size)) return status{errc::truncated, start};
    const auto payload = f.subspan(static_cast<std::size_t>(start), static_cast<std::size_t>(size));
    if (sniff_compression(payload) != codec) return status{errc::corrupt, start};

    container_info info;
    info.kind = container_kind::efi_zboot;
    info.codec = codec;
    info.payload_offset = start;
    info.payload_size = size;
    info.payload_exact = true;
    if (codec == compression::gzip) info.decompressed_size = le32_at(f, start + size - 4);  // ISIZE; size >= 18
    else if (fits(f, start + size, 4)) info.decompressed_size = le32_at(f, start + size);
    const std::uint64_t pe = le32_at(f, 0x3c);
    if (magic_at(f, pe, std::string_view("PE\0\0", 4)) && fits(f, pe + 4, 2)) {
        switch (le16_at(f, pe + 4)) {
        case 0xaa64: info.arch = arch_id::arm64; break;    // IMAGE_FILE_MACHINE_ARM64
        case 0x5064: info.arch = arch_id::riscv64; break;  // IMAGE_FILE_MACHINE_RISCV64
        default: break;                                    // loongarch64 and others: no traits here
        }
    }
    return info;
}

}  // namespace ksym::detail
