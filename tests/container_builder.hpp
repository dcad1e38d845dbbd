#pragma once
// Synthetic kernel containers around a payload the caller supplies: an x86
// bzImage, an EFI zboot image, an arm zImage (with and without its table),
// an s390x compressed image; plus tiny real streams of every codec (the
// eight bytes "kernel!!" as gzip -9n, bzip2 -9, `xz --format=lzma -9`,
// `xz --check=crc32 -9`, `lz4 -l -9`, zstd -19 from a pipe and from a file
// wrote them) and an lzop file built by hand around a stored block. Shared
// by the unit tests, the fuzz seed generator and the tool's unpack test.

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <vector>

#include "ksym/image/compression.hpp"

namespace ksym_test::containers {

using bytes = std::vector<std::byte>;

inline bytes of(std::initializer_list<unsigned> v) {
    bytes b;
    for (unsigned x : v) b.push_back(static_cast<std::byte>(x));
    return b;
}
inline bytes of(std::string_view s) {
    bytes b;
    for (char c : s) b.push_back(static_cast<std::byte>(c));
    return b;
}

inline void put_bytes(bytes& b, std::size_t at, const bytes& v) {
    if (b.size() < at + v.size()) b.resize(at + v.size());
    for (std::size_t i = 0; i < v.size(); ++i) b[at + i] = v[i];
}
inline void put_le(bytes& b, std::size_t at, std::uint64_t v, std::size_t width) {
    if (b.size() < at + width) b.resize(at + width);
    for (std::size_t i = 0; i < width; ++i) b[at + i] = static_cast<std::byte>((v >> (8 * i)) & 0xff);
}
inline void put_be(bytes& b, std::size_t at, std::uint64_t v, std::size_t width) {
    if (b.size() < at + width) b.resize(at + width);
    for (std::size_t i = 0; i < width; ++i) b[at + i] = static_cast<std::byte>((v >> (8 * (width - 1 - i))) & 0xff);
}
inline void append(bytes& b, const bytes& v) { b.insert(b.end(), v.begin(), v.end()); }
inline bytes le32(std::uint32_t v) {
    bytes b;
    put_le(b, 0, v, 4);
    return b;
}

/// The decompressed content of every tiny stream.
inline constexpr std::string_view tiny_content = "kernel!!";

/// Adler-32 (lzop's header and block checksums).
inline std::uint32_t adler32(const bytes& b, std::size_t from, std::size_t n) {
    std::uint32_t a = 1, s = 0;
    for (std::size_t i = 0; i < n; ++i) {
        a = (a + static_cast<std::uint32_t>(b[from + i])) % 65521;
        s = (s + a) % 65521;
    }
    return (s << 16) | a;
}

/// An lzop file holding `blocks` (each a decompressed size and the block's
/// bytes, stored when they are the same size), with an Adler-32 of each
/// block's decompressed data as `lzop` writes by default.
inline bytes lzop_file(const std::vector<std::pair<std::uint32_t, bytes>>& blocks,
                       const std::vector<bytes>& originals) {
    bytes f = of({0x89, 0x4c, 0x5a, 0x4f, 0x00, 0x0d, 0x0a, 0x1a, 0x0a});
    const std::size_t h = f.size();
    put_be(f, f.size(), 0x1030, 2);      // version
    put_be(f, f.size(), 0x2080, 2);      // library version
    put_be(f, f.size(), 0x0940, 2);      // version needed to extract
    f.push_back(std::byte{1});           // method: LZO1X-1
    f.push_back(std::byte{5});           // level (version >= 0x0940)
    put_be(f, f.size(), 0x00000001, 4);  // flags: F_ADLER32_D
    put_be(f, f.size(), 0100644, 4);     // mode
    put_be(f, f.size(), 0, 4);           // mtime low
    put_be(f, f.size(), 0, 4);           // mtime high (version >= 0x0940)
    f.push_back(std::byte{0});           // no file name
    put_be(f, f.size(), adler32(f, h, f.size() - h), 4);
    for (std::size_t i = 0; i < blocks.size(); ++i) {
        put_be(f, f.size(), blocks[i].first, 4);
        put_be(f, f.size(), blocks[i].second.size(), 4);
        put_be(f, f.size(), adler32(originals[i], 0, originals[i].size()), 4);
        append(f, blocks[i].second);
    }
    put_be(f, f.size(), 0, 4);  // end of file
    return f;
}

/// `tiny_content` as a stream of codec `c` (`none`: the bytes themselves).
inline bytes tiny_stream(ksym::compression c) {
    switch (c) {
    case ksym::compression::none: return of(tiny_content);
    case ksym::compression::gzip:
        return of({0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xcb, 0x4e, 0x2d, 0xca,
                   0x4b, 0xcd, 0x51, 0x54, 0x04, 0x00, 0xe8, 0x55, 0x06, 0xdc, 0x08, 0x00, 0x00, 0x00});
    case ksym::compression::bzip2:
        return of({0x42, 0x5a, 0x68, 0x39, 0x31, 0x41, 0x59, 0x26, 0x53, 0x59, 0x1a, 0xbf, 0xec, 0xfc, 0x00,
                   0x00, 0x02, 0x11, 0x80, 0x20, 0x00, 0x02, 0x0d, 0x10, 0x00, 0x20, 0x00, 0x22, 0x18, 0xd0,
                   0x30, 0x08, 0x81, 0x95, 0x61, 0x77, 0x24, 0x53, 0x85, 0x09, 0x01, 0xab, 0xfe, 0xcf, 0xc0});
    case ksym::compression::lzma:
        return of({0x5d, 0x00, 0x00, 0x00, 0x04, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x35, 0x99,
                   0x4a, 0xab, 0xa2, 0xe2, 0xaf, 0x24, 0x93, 0x1d, 0x2d, 0x59, 0xff, 0xff, 0x53, 0x84, 0x00, 0x00});
    case ksym::compression::xz:
        return of({0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0x00, 0x01, 0x69, 0x22, 0xde, 0x36, 0x02, 0x00, 0x21,
                   0x01, 0x1c, 0x00, 0x00, 0x00, 0x10, 0xcf, 0x58, 0xcc, 0x01, 0x00, 0x07, 0x6b, 0x65, 0x72,
                   0x6e, 0x65, 0x6c, 0x21, 0x21, 0x00, 0xe8, 0x55, 0x06, 0xdc, 0x00, 0x01, 0x1c, 0x08, 0x44,
                   0x60, 0x2a, 0xc8, 0x90, 0x42, 0x99, 0x0d, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01, 0x59, 0x5a});
    case ksym::compression::lzo: {
        const bytes raw = of(tiny_content);
        return lzop_file({{static_cast<std::uint32_t>(raw.size()), raw}}, {raw});
    }
    case ksym::compression::lz4:
        return of({0x02, 0x21, 0x4c, 0x18, 0x09, 0x00, 0x00, 0x00, 0x80, 0x6b, 0x65, 0x72, 0x6e, 0x65, 0x6c, 0x21, 0x21});
    case ksym::compression::zstd:  // from a pipe: no content size
        return of({0x28, 0xb5, 0x2f, 0xfd, 0x04, 0x68, 0x41, 0x00, 0x00, 0x6b, 0x65,
                   0x72, 0x6e, 0x65, 0x6c, 0x21, 0x21, 0x6f, 0x10, 0x3a, 0xd3});
    }
    return {};
}

/// zstd of `tiny_content` from a file: single segment, content size 8.
inline bytes tiny_zstd_with_size() {
    return of({0x28, 0xb5, 0x2f, 0xfd, 0x24, 0x08, 0x41, 0x00, 0x00, 0x6b, 0x65,
               0x72, 0x6e, 0x65, 0x6c, 0x21, 0x21, 0x6f, 0x10, 0x3a, 0xd3});
}

/// What the kernel's build puts in a container for `stream` of codec `c`
/// decompressing to `size` bytes: the stream, then for every codec but gzip
/// the size as a LE32 (scripts/Makefile.lib *_with_size).
inline bytes piggy(ksym::compression c, const bytes& stream, std::uint32_t size) {
    bytes b = stream;
    if (c != ksym::compression::gzip) append(b, le32(size));
    return b;
}

struct bzimage_options {
    unsigned setup_sects = 1;            // 0 means 4
    std::uint16_t version = 0x020f;
    std::uint16_t xloadflags = 1;        // XLF_KERNEL_64
    std::uint32_t payload_offset = 0x40; // from the protected-mode code
    std::size_t trailing = 16;           // decompressor bytes after the payload
};

/// A bzImage: setup sectors with the header, then `payload_offset` bytes of
/// decompressor, the payload (as stored, appended size included), more code.
inline bytes bzimage(const bytes& payload, const bzimage_options& o = {}) {
    const std::size_t pm = ((o.setup_sects == 0 ? 4 : o.setup_sects) + 1) * 512;
    bytes f(pm + o.payload_offset, std::byte{0x90});
    put_bytes(f, 0, of("MZ"));
    f[0x1f1] = static_cast<std::byte>(o.setup_sects);
    put_bytes(f, 0x202, of("HdrS"));
    put_le(f, 0x206, o.version, 2);
    put_le(f, 0x236, o.xloadflags, 2);
    put_le(f, 0x248, o.payload_offset, 4);
    put_le(f, 0x24c, payload.size(), 4);
    append(f, payload);
    f.resize(f.size() + o.trailing, std::byte{0xcc});
    return f;
}

/// An EFI zboot image: its header naming `type`, a PE header of `machine`,
/// the stream at `offset` (the header's size field covers it alone), then
/// `after` (the appended size, for every codec but gzip).
inline bytes zboot(std::string_view type, const bytes& stream, const bytes& after, std::uint16_t machine = 0xaa64,
                   std::uint32_t offset = 0x200) {
    bytes f(offset, std::byte{0});
    put_bytes(f, 0, of("MZ"));
    put_bytes(f, 4, of("zimg"));
    put_le(f, 0x08, offset, 4);
    put_le(f, 0x0c, stream.size(), 4);
    put_bytes(f, 0x18, of(type));
    put_le(f, 0x38, 0x818223cd, 4);  // LINUX_PE_MAGIC
    put_le(f, 0x3c, 0x40, 4);
    put_bytes(f, 0x40, of(std::string_view("PE\0\0", 4)));
    put_le(f, 0x44, machine, 2);
    append(f, stream);
    append(f, after);
    f.resize((f.size() + 511) & ~std::size_t{511}, std::byte{0});
    return f;
}

/// A fake copy of the xz magic as a decompressor's read-only data holds it
/// (the magic, then text: its "CRC" does not match).
inline bytes false_xz_magic() {
    bytes b = of({0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00});
    append(b, of("XZ decompressor"));
    return b;
}

struct zimage_options {
    bool table = true;          // the 3.17+ table naming the piggy's size
    bool little_endian = true;  // the endianness word at 0x30
    std::size_t appended = 0;   // bytes after _edata (an appended DTB)
};

/// An arm zImage: header, table, decompressor data with a false xz magic,
/// then the piggy (`piggy()` of the stream), padded to 8 bytes.
inline bytes arm_zimage(const bytes& piggy_bytes, const zimage_options& o = {}) {
    bytes f(0x100, std::byte{0});
    for (std::size_t i = 0; i < 0x24; i += 4) put_le(f, i, 0xe1a00000, 4);  // mov r0, r0
    put_le(f, 0x24, 0x016f2818, 4);
    put_le(f, 0x28, 0, 4);
    put_le(f, 0x30, o.little_endian ? 0x04030201 : 0x01020304, 4);
    if (o.table) {
        put_le(f, 0x34, 0x45454545, 4);
        put_le(f, 0x38, 0x40, 4);
        put_le(f, 0x40, 6, 4);
        put_le(f, 0x44, 0x5a534c4b, 4);
        // 0x48: the piggy's size offset, below; 0x4c..0x58 BSS size, TEXT_OFFSET, malloc size, 0.
        put_le(f, 0x4c, 0x1000, 4);
        put_le(f, 0x50, 0x8000, 4);
        put_le(f, 0x54, 0x10000, 4);
    }
    put_bytes(f, 0x80, false_xz_magic());
    append(f, piggy_bytes);
    if (o.table) put_le(f, 0x48, f.size() - 4, 4);
    f.push_back(std::byte{0});
    f.resize((f.size() + 7) & ~std::size_t{7}, std::byte{0});
    put_le(f, 0x2c, f.size(), 4);
    f.resize(f.size() + o.appended, std::byte{0xd0});
    return f;
}

/// An s390x compressed image: IPL area, the entry-point table at 0x10008,
/// decompressor data with a false xz magic, the piggy at an 8-aligned
/// offset, zeros to the Secure Boot trailer ending a 4 KiB page.
inline bytes s390_image(const bytes& piggy_bytes, bool trailer = true) {
    bytes f(0x10400, std::byte{0});
    put_le(f, 0, 0x0008000080010000ull, 8);
    put_bytes(f, 0x10000, of({0xa7, 0xf4, 0x00, 0x10}));
    put_bytes(f, 0x10008, of({'S', '3', '9', '0', 'E', 'P', 0x00, 0x01}));
    put_bytes(f, 0x10100, false_xz_magic());
    append(f, piggy_bytes);
    if (trailer) {
        f.resize(f.size() + 32);
        f.resize((f.size() + 4095) & ~std::size_t{4095}, std::byte{0});
        put_be(f, f.size() - 8, 0x000000207a49504cull, 8);
    }
    return f;
}

}  // namespace ksym_test::containers
