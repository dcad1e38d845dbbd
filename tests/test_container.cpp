// Kernel containers (image/container.hpp): each format built around tiny
// real streams, compared whole with the container_info it must give; then
// the same files cut short, pointing outside themselves, with zero sizes and
// with offsets whose sum overflows 32 bits.
#include <doctest/doctest.h>

#include <array>
#include <cstdio>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "container_builder.hpp"
#include "ksym/image/compression.hpp"
#include "ksym/image/container.hpp"
#include "ksym/image/detect.hpp"
#include "ksym/memory/buffer_reader.hpp"

using ksym::arch_id;
using ksym::compression;
using ksym::container_info;
using ksym::container_kind;
using ksym::errc;
using namespace ksym_test::containers;

namespace doctest {
template <>
struct StringMaker<container_info> {
    static String convert(const container_info& i) {
        // snprintf: g++ 12 warns falsely (-Wrestrict) on chains of std::string +.
        char b[200];
        std::snprintf(b, sizeof b, "{%s %s @%llu+%llu %s dsize=%lld arch=%s}", ksym::to_string(i.kind).data(),
                      ksym::to_string(i.codec).data(), static_cast<unsigned long long>(i.payload_offset),
                      static_cast<unsigned long long>(i.payload_size), i.payload_exact ? "exact" : "to-end",
                      i.decompressed_size ? static_cast<long long>(*i.decompressed_size) : -1LL,
                      i.arch ? ksym::to_string(*i.arch).data() : "-");
        return String(b);
    }
};
}  // namespace doctest

namespace {

constexpr std::array all_codecs = {compression::gzip, compression::bzip2, compression::lzma, compression::xz,
                                   compression::lzo,  compression::lz4,   compression::zstd};

constexpr std::uint32_t tiny_size = 8;

ksym::result<container_info> identify(const bytes& f) { return ksym::identify_container(std::span(f)); }
compression sniff(const bytes& s) { return ksym::sniff_compression(std::span(s)); }

container_info expect(container_kind kind, compression codec, std::uint64_t offset, std::uint64_t size, bool exact,
                      std::optional<std::uint64_t> dsize, std::optional<arch_id> arch) {
    container_info i;
    i.kind = kind;
    i.codec = codec;
    i.payload_offset = offset;
    i.payload_size = size;
    i.payload_exact = exact;
    i.decompressed_size = dsize;
    i.arch = arch;
    return i;
}

// Every container answer must keep its payload inside the file.
void check_inside(const bytes& f, const ksym::result<container_info>& r) {
    if (!r) return;
    CHECK(r->payload_offset <= f.size());
    CHECK(r->payload_size <= f.size() - r->payload_offset);
}

}  // namespace

// A constexpr file: the identification runs at compile time.
constexpr std::array<std::byte, 64> constexpr_elf = [] {
    std::array<std::byte, 64> b{};
    b[0] = std::byte{0x7f}, b[1] = std::byte{'E'}, b[2] = std::byte{'L'}, b[3] = std::byte{'F'};
    b[4] = std::byte{2}, b[5] = std::byte{1}, b[18] = std::byte{62};  // ELFCLASS64, LSB, EM_X86_64
    return b;
}();
static_assert(ksym::identify_container(std::span(constexpr_elf))->arch == arch_id::x86_64);
static_assert(ksym::identify_container(std::span(constexpr_elf))->payload_size == 64);

TEST_CASE("sniff_compression: each codec's header, and the decompressor's false xz magic is not one") {
    for (compression c : all_codecs) {
        CAPTURE(ksym::to_string(c));
        CHECK(sniff(tiny_stream(c)) == c);
    }
    CHECK(sniff(tiny_zstd_with_size()) == compression::zstd);
    CHECK(sniff(false_xz_magic()) == compression::none);
    bytes lzma = tiny_stream(compression::lzma);
    lzma[13] = std::byte{1};  // the range coder's first byte is always 0
    CHECK(sniff(lzma) == compression::none);
    bytes gz = tiny_stream(compression::gzip);
    gz[3] = std::byte{0x20};  // a reserved flag
    CHECK(sniff(gz) == compression::none);
    // A header cut short is no header.
    for (compression c : all_codecs) {
        const bytes s = tiny_stream(c);
        CHECK(ksym::sniff_compression(std::span(s).first(5)) == compression::none);
    }
    CHECK(ksym::sniff_compression({}) == compression::none);
}

TEST_CASE("kernels themselves: ELF (either byte order), raw arm64 and RISC-V Images, anything else raw") {
    bytes elf(64, std::byte{0});
    put_bytes(elf, 0, of("\x7f" "ELF"));
    elf[4] = std::byte{2}, elf[5] = std::byte{1};
    put_le(elf, 18, 21, 2);  // EM_PPC64
    CHECK(*identify(elf) == expect(container_kind::elf, compression::none, 0, 64, true, {}, arch_id::ppc64le));
    elf[5] = std::byte{2};
    put_be(elf, 18, 22, 2);  // EM_S390, big-endian
    CHECK(*identify(elf) == expect(container_kind::elf, compression::none, 0, 64, true, {}, arch_id::s390x));
    // Too short for e_machine: still ELF, no architecture.
    CHECK(*identify(of("\x7f" "ELF")) == expect(container_kind::elf, compression::none, 0, 4, true, {}, {}));

    bytes arm64(0x40, std::byte{0});
    put_bytes(arm64, 0x38, of("ARM\x64"));
    CHECK(*identify(arm64) == expect(container_kind::raw_arm64, compression::none, 0, 0x40, true, {}, arch_id::arm64));
    arm64[0x18] = std::byte{1};  // big-endian kernel: no traits for it
    CHECK(*identify(arm64) == expect(container_kind::raw_arm64, compression::none, 0, 0x40, true, {}, {}));

    // arch/riscv/include/asm/image.h: magic2 "RSC\x05" at 0x38, where arm64 has its magic.
    bytes riscv(0x40, std::byte{0});
    put_bytes(riscv, 0x30, of(std::string_view("RISCV\0\0\0RSC\x05", 12)));
    CHECK(*identify(riscv) ==
          expect(container_kind::raw_riscv64, compression::none, 0, 0x40, true, {}, arch_id::riscv64));
    ksym::buffer_reader reader{std::span<const std::byte>(riscv), 0};
    CHECK(*ksym::detect_image_format(reader) == ksym::image_format::raw_riscv64);

    CHECK(*identify(bytes(100, std::byte{0x42})) ==
          expect(container_kind::unknown_raw, compression::none, 0, 100, true, {}, {}));
    CHECK(*identify({}) == expect(container_kind::unknown_raw, compression::none, 0, 0, true, {}, {}));
}

TEST_CASE("x86 bzImage: the payload the setup header names, every codec, its appended size") {
    for (compression c : all_codecs) {
        CAPTURE(ksym::to_string(c));
        const bytes stream = tiny_stream(c);
        const bytes f = bzimage(piggy(c, stream, tiny_size));
        // setup_sects 1: the protected-mode code at 0x400, the payload 0x40 into it.
        CHECK(*identify(f) == expect(container_kind::x86_bzimage, c, 0x440, stream.size(), true, tiny_size,
                                     arch_id::x86_64));
    }
    const bytes xz = piggy(compression::xz, tiny_stream(compression::xz), tiny_size);
    const std::uint64_t xz_size = tiny_stream(compression::xz).size();
    // setup_sects 0 means 4; protocol 2.11 has no xloadflags; a 32-bit kernel.
    CHECK(*identify(bzimage(xz, {.setup_sects = 0})) ==
          expect(container_kind::x86_bzimage, compression::xz, 5 * 512 + 0x40, xz_size, true, tiny_size, arch_id::x86_64));
    CHECK(*identify(bzimage(xz, {.version = 0x020b})) ==
          expect(container_kind::x86_bzimage, compression::xz, 0x440, xz_size, true, tiny_size, {}));
    CHECK(*identify(bzimage(xz, {.xloadflags = 0})) ==
          expect(container_kind::x86_bzimage, compression::xz, 0x440, xz_size, true, tiny_size, arch_id::i386));
    // An uncompressed payload is the ELF itself.
    bytes elf(64, std::byte{0});
    put_bytes(elf, 0, of("\x7f" "ELF"));
    CHECK(*identify(bzimage(elf)) ==
          expect(container_kind::x86_bzimage, compression::none, 0x440, 64, true, {}, arch_id::x86_64));
}

TEST_CASE("x86 bzImage: old protocols, unknown payloads, truncation, zero and overflowing sizes") {
    const bytes payload = piggy(compression::xz, tiny_stream(compression::xz), tiny_size);
    const bytes good = bzimage(payload);
    CHECK(identify(bzimage(payload, {.version = 0x0207})).error() == ksym::status{errc::unsupported, 0x206});
    CHECK(identify(bzimage(bytes(40, std::byte{0x55}))).error() == ksym::status{errc::unsupported, 0x440});

    // Every cut through the header and the payload: an error, never a read past the end.
    for (std::size_t n = 0x206; n < 0x440 + payload.size(); ++n) {
        const bytes cut(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
        const auto r = identify(cut);
        CAPTURE(n);
        REQUIRE_FALSE(r);
        CHECK(r.error().code() == errc::truncated);
    }
    bytes f = good;
    put_le(f, 0x24c, 0, 4);  // payload_length 0
    CHECK(identify(f).error() == ksym::status{errc::corrupt, 0x24c});
    f = good;
    put_le(f, 0x248, 0x10000, 4);  // payload_offset past the end
    CHECK(identify(f).error() == ksym::status{errc::truncated, 0x10400});
    f = good;
    put_le(f, 0x248, 0xffffffff, 4);  // offset + length past 2^32
    put_le(f, 0x24c, 0xffffffff, 4);
    CHECK(identify(f).error() == ksym::status{errc::truncated, 0x400 + 0xffffffffull});
    f = good;
    put_le(f, 0x24c, payload.size() + 16 + 1, 4);  // one byte longer than the file holds
    CHECK(identify(f).error() == ksym::status{errc::truncated, 0x440});
}

TEST_CASE("EFI zboot: payload, codec and size from its header, arch from the PE machine") {
    struct named {
        const char* type;
        compression codec;
    };
    constexpr named types[] = {{"gzip", compression::gzip},  {"xzkern", compression::xz}, {"zstd22", compression::zstd},
                               {"lzma", compression::lzma},  {"lzo", compression::lzo},   {"lz4", compression::lz4},
                               {"bzip2", compression::bzip2}, {"zstd", compression::zstd}, {"xz", compression::xz}};
    for (const auto& t : types) {
        CAPTURE(t.type);
        const bytes stream = tiny_stream(t.codec);
        const bytes after = t.codec == compression::gzip ? bytes{} : le32(tiny_size);
        CHECK(*identify(zboot(t.type, stream, after)) ==
              expect(container_kind::efi_zboot, t.codec, 0x200, stream.size(), true, tiny_size, arch_id::arm64));
    }
    const bytes gz = tiny_stream(compression::gzip);
    CHECK(identify(zboot("gzip", gz, {}, 0x5064))->arch == arch_id::riscv64);
    CHECK(identify(zboot("gzip", gz, {}, 0x6264))->arch == std::nullopt);  // loongarch64: no traits
    // The size after a non-gzip stream is optional: a file that ends there has none.
    bytes f = zboot("xzkern", tiny_stream(compression::xz), {});
    f.resize(0x200 + tiny_stream(compression::xz).size());
    CHECK(identify(f)->decompressed_size == std::nullopt);
}

TEST_CASE("EFI zboot: bad type strings, mismatched codecs, truncation, zero and overflowing sizes") {
    const bytes gz = tiny_stream(compression::gzip);
    const bytes good = zboot("gzip", gz, {});
    CHECK(identify(zboot("brotli", gz, {})).error() == ksym::status{errc::unsupported, 0x18});
    CHECK(identify(zboot("xzkern", gz, {})).error() == ksym::status{errc::corrupt, 0x200});
    bytes f = good;
    put_bytes(f, 0x18, bytes(0x20, std::byte{'z'}));  // no NUL before 0x38
    CHECK(identify(f).error() == ksym::status{errc::corrupt, 0x18});
    for (std::size_t n = 8; n < 0x40; ++n) {
        const bytes cut(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
        CHECK(identify(cut).error() == ksym::status{errc::truncated, n});
    }
    for (std::size_t n = 0x40; n < 0x200 + gz.size(); ++n) {
        const bytes cut(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
        CHECK(identify(cut).error() == ksym::status{errc::truncated, 0x200});
    }
    f = good;
    put_le(f, 0x0c, 0, 4);
    CHECK(identify(f).error() == ksym::status{errc::corrupt, 0x0c});
    f = good;
    put_le(f, 0x08, 0xfffffff0, 4);
    put_le(f, 0x0c, 0x20, 4);
    CHECK(identify(f).error() == ksym::status{errc::truncated, 0xfffffff0});
}

TEST_CASE("arm zImage: the piggy between the table's size word and a checked scan past the false magic") {
    for (compression c : all_codecs) {
        CAPTURE(ksym::to_string(c));
        const bytes stream = tiny_stream(c);
        const bytes f = arm_zimage(piggy(c, stream, tiny_size), {.appended = 64});
        // The scan from the table's end passes the false magic at 0x80.
        CHECK(*identify(f) == expect(container_kind::arm_zimage, c, 0x100, stream.size(), true, tiny_size, arch_id::arm));
    }
    // Without the table: found all the same; its end shows for xz and zstd only.
    const bytes xz = tiny_stream(compression::xz);
    const bytes no_table = arm_zimage(piggy(compression::xz, xz, tiny_size), {.table = false});
    CHECK(*identify(no_table) == expect(container_kind::arm_zimage, compression::xz, 0x100, xz.size(), true, tiny_size,
                                        arch_id::arm));
    const bytes bz = tiny_stream(compression::bzip2);
    const bytes bz_image = arm_zimage(piggy(compression::bzip2, bz, tiny_size), {.table = false});
    CHECK(*identify(bz_image) == expect(container_kind::arm_zimage, compression::bzip2, 0x100, bz_image.size() - 0x100,
                                        false, {}, arch_id::arm));
    // A BE8 kernel: no traits for it.
    CHECK(identify(arm_zimage(piggy(compression::xz, xz, tiny_size), {.little_endian = false}))->arch == std::nullopt);
}

TEST_CASE("arm zImage: bad bounds, bad tables, no stream") {
    const bytes good = arm_zimage(piggy(compression::xz, tiny_stream(compression::xz), tiny_size));
    bytes f = good;
    put_le(f, 0x2c, 0, 4);  // _edata before _start
    CHECK(identify(f).error() == ksym::status{errc::corrupt, 0x2c});
    f = good;
    put_le(f, 0x2c, good.size() + 1, 4);
    CHECK(identify(f).error() == ksym::status{errc::truncated, good.size() + 1});
    f = good;
    put_le(f, 0x38, 0xfffffffc, 4);  // the table past the end
    CHECK(identify(f).error() == ksym::status{errc::truncated, 0xfffffffc});
    f = good;
    put_le(f, 0x44, 0x12345678, 4);  // not "KLSZ"
    CHECK(identify(f).error() == ksym::status{errc::corrupt, 0x40});
    f = good;
    put_le(f, 0x48, 0xfffffffe, 4);  // the size word past the end
    CHECK(identify(f).error() == ksym::status{errc::corrupt, 0x48});
    f = good;
    put_le(f, 0x48, 0x44, 4);  // the size word inside the table
    CHECK(identify(f).error() == ksym::status{errc::corrupt, 0x48});
    const bytes plain = arm_zimage(piggy(compression::none, of("no stream in here"), 17));
    CHECK(identify(plain).error() == ksym::status{errc::unsupported, 0x4c});
    for (std::size_t n = 0x28; n < 0x30; ++n) {
        const bytes cut(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
        CHECK(identify(cut).error() == ksym::status{errc::truncated, n});
    }
    // Cut anywhere past the header: _edata then lies past the end.
    for (std::size_t n = 0x30; n < good.size(); n += 7) {
        const bytes cut(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
        CHECK(identify(cut).error() == ksym::status{errc::truncated, good.size()});
    }
}

TEST_CASE("s390x image: the stream behind the entry-point table, to the Secure Boot trailer") {
    for (compression c : all_codecs) {
        CAPTURE(ksym::to_string(c));
        const bytes stream = tiny_stream(c);
        const bytes f = s390_image(piggy(c, stream, tiny_size));
        const bool framed = c == compression::xz || c == compression::zstd;
        const std::uint64_t to_trailer = f.size() - 32 - 0x10400;
        CHECK(*identify(f) == expect(container_kind::s390_image, c, 0x10400, framed ? stream.size() : to_trailer,
                                     framed, framed ? std::optional<std::uint64_t>(tiny_size) : std::nullopt,
                                     arch_id::s390x));
    }
    // No trailer (before it existed): to the end of the file.
    const bytes gz = tiny_stream(compression::gzip);
    CHECK(*identify(s390_image(gz, false)) ==
          expect(container_kind::s390_image, compression::gzip, 0x10400, gz.size(), false, {}, arch_id::s390x));
    CHECK(identify(s390_image(of("plain data"))).error() == ksym::status{errc::unsupported, 0x10010});
    // Cut inside the stream: xz's footer is gone, so the payload runs to the end, inexact.
    const bytes xz = s390_image(tiny_stream(compression::xz), false);
    const bytes cut(xz.begin(), xz.end() - 4);
    CHECK(*identify(cut) == expect(container_kind::s390_image, compression::xz, 0x10400, cut.size() - 0x10400, false,
                                   {}, arch_id::s390x));
}

TEST_CASE("bare streams: Image.gz and friends, with what each format says of its size") {
    const bytes gz = tiny_stream(compression::gzip);
    CHECK(*identify(gz) == expect(container_kind::compressed_stream, compression::gzip, 0, gz.size(), true, tiny_size, {}));
    const bytes xz = tiny_stream(compression::xz);
    CHECK(*identify(xz) == expect(container_kind::compressed_stream, compression::xz, 0, xz.size(), true, {}, {}));
    // Before 5.15 the build appended the size to bare streams too.
    bytes xz_sized = xz;
    append(xz_sized, le32(tiny_size));
    CHECK(*identify(xz_sized) ==
          expect(container_kind::compressed_stream, compression::xz, 0, xz.size(), true, tiny_size, {}));
    const bytes zst = tiny_zstd_with_size();
    CHECK(*identify(zst) ==
          expect(container_kind::compressed_stream, compression::zstd, 0, zst.size(), true, tiny_size, {}));
    const bytes zst_pipe = tiny_stream(compression::zstd);
    CHECK(*identify(zst_pipe) ==
          expect(container_kind::compressed_stream, compression::zstd, 0, zst_pipe.size(), true, {}, {}));
    for (compression c : {compression::bzip2, compression::lzma, compression::lzo, compression::lz4}) {
        const bytes s = tiny_stream(c);
        CHECK(*identify(s) == expect(container_kind::compressed_stream, c, 0, s.size(), false, {}, {}));
    }
}

TEST_CASE("every prefix and every single-byte change of every container keeps the payload inside the file") {
    std::vector<bytes> files = {
        bzimage(piggy(compression::zstd, tiny_stream(compression::zstd), tiny_size)),
        zboot("xzkern", tiny_stream(compression::xz), le32(tiny_size)),
        arm_zimage(piggy(compression::xz, tiny_stream(compression::xz), tiny_size)),
        tiny_zstd_with_size(),
        tiny_stream(compression::xz),
    };
    for (const bytes& f : files) {
        for (std::size_t n = 0; n <= f.size(); ++n) check_inside(f, identify(bytes(f.begin(), f.begin() + static_cast<std::ptrdiff_t>(n))));
        for (std::size_t i = 0; i < std::min<std::size_t>(f.size(), 0x300); ++i) {
            bytes g = f;
            g[i] ^= std::byte{0xa5};
            check_inside(g, identify(g));
        }
    }
}
