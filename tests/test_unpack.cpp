// `ksym unpack` end to end: a 1 MiB kernel-like file compressed here with
// each codec library the tool was built with (the same KSYM_HAVE_* set, so
// a codec the tool lacks is checked for its one-line error instead), put in
// every container, unpacked by the tool and compared byte for byte; then
// containers nested, nested too deep, cut short and lying about their size.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "container_builder.hpp"
#include "image_builder.hpp"
#include "ksym/image/compression.hpp"

#ifdef KSYM_HAVE_ZLIB
#include <zlib.h>
#endif
#ifdef KSYM_HAVE_BZIP2
#include <bzlib.h>
#endif
#ifdef KSYM_HAVE_LZMA
#include <lzma.h>
#endif
#ifdef KSYM_HAVE_LZO
#include <lzo/lzo1x.h>
#endif
#ifdef KSYM_HAVE_LZ4
#include <lz4.h>
#endif
#ifdef KSYM_HAVE_ZSTD
#include <zstd.h>
#endif

using ksym::compression;
using namespace ksym_test::containers;

namespace {

struct run_result {
    int code = -1;
    std::string err;
};

struct scratch_dir {
    std::string dir;
    scratch_dir() {
        char t[] = "/tmp/ksym-unpack-XXXXXX";
        REQUIRE(::mkdtemp(t) != nullptr);
        dir = t;
    }
    ~scratch_dir() { REQUIRE(std::system(("rm -rf " + dir).c_str()) == 0); }
    std::string write(const std::string& name, const bytes& b) const {
        const std::string p = dir + "/" + name;
        REQUIRE(ksym_test::write_file(p, b));
        return p;
    }
};

bytes read_file(const std::string& path) {
    bytes b;
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) return b;
    std::size_t n = 0;
    do {
        b.resize(n + (1 << 20));
        n += std::fread(b.data() + n, 1, 1 << 20, f);
    } while (n == b.size());
    b.resize(n);
    std::fclose(f);
    return b;
}

run_result unpack(const std::string& in, const std::string& out) {
    const std::string err = out + ".err";
    const std::string cmd = std::string(KSYM_CLI) + " unpack " + in + " -o " + out + " 2>" + err;
    const int st = std::system(cmd.c_str());
    run_result r;
    r.code = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
    for (std::byte b : read_file(err)) r.err.push_back(static_cast<char>(b));
    return r;
}

// `size` bytes that compress like code: an ELF header, then repeating
// instruction-like words with noise.
bytes make_kernel(std::size_t size) {
    bytes b(size);
    {
        std::uint32_t x = 12345;
        for (std::size_t i = 0; i < b.size(); i += 4) {
            x = x * 1103515245u + 12345u;
            const std::uint32_t w = (x >> 28) < 3 ? x : 0xe1a00000u | ((x >> 16) & 0xff);
            put_le(b, i, w, 4);
        }
        put_bytes(b, 0, of("\x7f" "ELF"));
        b[4] = std::byte{2}, b[5] = std::byte{1};
        put_le(b, 18, 62, 2);
    }
    return b;
}

const bytes& kernel() {
    static const bytes k = make_kernel(1u << 20);
    return k;
}

[[maybe_unused]] bytes lz4_legacy(const bytes& in);

// `in` compressed with `c` as the kernel's build does, or nothing when the
// tool was built without that codec.
bytes compress(compression c, const bytes& in) {
    [[maybe_unused]] const auto* src = reinterpret_cast<const unsigned char*>(in.data());
    switch (c) {
    case compression::none: return in;
#ifdef KSYM_HAVE_ZLIB
    case compression::gzip: {
        z_stream z{};
        REQUIRE(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
        bytes out(deflateBound(&z, in.size()));
        z.next_in = const_cast<unsigned char*>(src);
        z.avail_in = static_cast<uInt>(in.size());
        z.next_out = reinterpret_cast<unsigned char*>(out.data());
        z.avail_out = static_cast<uInt>(out.size());
        REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
        out.resize(z.total_out);
        deflateEnd(&z);
        return out;
    }
#endif
#ifdef KSYM_HAVE_BZIP2
    case compression::bzip2: {
        bytes out(in.size() + in.size() / 100 + 600);
        unsigned n = static_cast<unsigned>(out.size());
        REQUIRE(BZ2_bzBuffToBuffCompress(reinterpret_cast<char*>(out.data()), &n,
                                         const_cast<char*>(reinterpret_cast<const char*>(src)),
                                         static_cast<unsigned>(in.size()), 1, 0, 0) == BZ_OK);
        out.resize(n);
        return out;
    }
#endif
#ifdef KSYM_HAVE_LZMA
    case compression::lzma: {  // `lzma` from a pipe: unknown size, end marker
        lzma_options_lzma opt;
        REQUIRE(!lzma_lzma_preset(&opt, 1));
        lzma_stream s = LZMA_STREAM_INIT;
        REQUIRE(lzma_alone_encoder(&s, &opt) == LZMA_OK);
        bytes out(in.size() + (1 << 16));
        s.next_in = src;
        s.avail_in = in.size();
        s.next_out = reinterpret_cast<std::uint8_t*>(out.data());
        s.avail_out = out.size();
        REQUIRE(lzma_code(&s, LZMA_FINISH) == LZMA_STREAM_END);
        out.resize(s.total_out);
        lzma_end(&s);
        return out;
    }
    case compression::xz: {  // as scripts/xz_wrap.sh: a BCJ filter, then LZMA2, CRC32
        lzma_options_lzma opt;
        REQUIRE(!lzma_lzma_preset(&opt, 1));
        lzma_filter filters[] = {{LZMA_FILTER_X86, nullptr}, {LZMA_FILTER_LZMA2, &opt}, {LZMA_VLI_UNKNOWN, nullptr}};
        bytes out(in.size() + (1 << 16));
        std::size_t pos = 0;
        REQUIRE(lzma_stream_buffer_encode(filters, LZMA_CHECK_CRC32, nullptr, src, in.size(),
                                          reinterpret_cast<std::uint8_t*>(out.data()), &pos, out.size()) == LZMA_OK);
        out.resize(pos);
        return out;
    }
#endif
#ifdef KSYM_HAVE_LZO
    case compression::lzo: {  // lzop's 256 KiB blocks
        REQUIRE(lzo_init() == LZO_E_OK);
        std::vector<unsigned char> work(LZO1X_1_MEM_COMPRESS);
        std::vector<std::pair<std::uint32_t, bytes>> blocks;
        std::vector<bytes> originals;
        for (std::size_t at = 0; at < in.size(); at += 256 << 10) {
            const std::size_t n = std::min<std::size_t>(256 << 10, in.size() - at);
            bytes block(n + n / 16 + 64 + 3);
            lzo_uint out_n = 0;
            REQUIRE(lzo1x_1_compress(src + at, n, reinterpret_cast<unsigned char*>(block.data()), &out_n, work.data()) ==
                    LZO_E_OK);
            block.resize(out_n);
            bytes original(in.begin() + static_cast<std::ptrdiff_t>(at), in.begin() + static_cast<std::ptrdiff_t>(at + n));
            if (block.size() >= n) block = original;  // stored, as lzop does when compression does not help
            blocks.emplace_back(static_cast<std::uint32_t>(n), block);
            originals.push_back(std::move(original));
        }
        return lzop_file(blocks, originals);
    }
#endif
#ifdef KSYM_HAVE_LZ4
    case compression::lz4: return lz4_legacy(in);
#endif
#ifdef KSYM_HAVE_ZSTD
    case compression::zstd: {  // from a pipe: no content size in the frame
        ZSTD_CCtx* cx = ZSTD_createCCtx();
        ZSTD_CCtx_setParameter(cx, ZSTD_c_compressionLevel, 3);
        ZSTD_CCtx_setParameter(cx, ZSTD_c_contentSizeFlag, 0);
        bytes out(ZSTD_compressBound(in.size()));
        ZSTD_outBuffer o{out.data(), out.size(), 0};
        ZSTD_inBuffer i{in.data(), in.size(), 0};
        REQUIRE(ZSTD_compressStream2(cx, &o, &i, ZSTD_e_end) == 0);
        out.resize(o.pos);
        ZSTD_freeCCtx(cx);
        return out;
    }
#endif
    default: return {};
    }
}

#ifdef KSYM_HAVE_LZ4
// `lz4 -l`: the magic, then per 8 MiB of input a LE32 size and the block.
bytes lz4_legacy(const bytes& in) {
    bytes out = le32(0x184c2102);
    for (std::size_t at = 0; at < in.size(); at += 8u << 20) {
        const int n = static_cast<int>(std::min<std::size_t>(8u << 20, in.size() - at));
        bytes block(static_cast<std::size_t>(LZ4_compressBound(n)));
        const int got = LZ4_compress_default(reinterpret_cast<const char*>(in.data() + at),
                                             reinterpret_cast<char*>(block.data()), n, static_cast<int>(block.size()));
        REQUIRE(got > 0);
        block.resize(static_cast<std::size_t>(got));
        append(out, le32(static_cast<std::uint32_t>(got)));
        append(out, block);
    }
    return out;
}
#endif

const char* zboot_type(compression c) {
    switch (c) {
    case compression::gzip: return "gzip";
    case compression::xz: return "xzkern";
    case compression::zstd: return "zstd22";
    case compression::lzma: return "lzma";
    case compression::lzo: return "lzo";
    case compression::lz4: return "lz4";
    case compression::bzip2: return "bzip2";
    case compression::none: break;
    }
    return "none";
}

constexpr compression codecs[] = {compression::gzip, compression::bzip2, compression::lzma, compression::xz,
                                  compression::lzo,  compression::lz4,   compression::zstd};

}  // namespace

TEST_CASE("ksym unpack: every container around every codec gives the kernel back") {
    scratch_dir d;
    const bytes& k = kernel();
    const auto size = static_cast<std::uint32_t>(k.size());
    for (compression c : codecs) {
        const std::string name(ksym::to_string(c));
        CAPTURE(name);
        const bytes stream = compress(c, k);
        if (stream.empty()) {
            // The tool lacks this codec too: one line naming it, exit 2.
            const bytes tiny = tiny_stream(c);
            const auto r = unpack(d.write(name + ".bzimage", bzimage(piggy(c, tiny, 8))), d.dir + "/out");
            CHECK(r.code == 2);
            CHECK(r.err.find("the payload is " + name + ", and this ksym was built without") != std::string::npos);
            continue;
        }
        const std::vector<std::pair<std::string, bytes>> files = {
            {"bzimage", bzimage(piggy(c, stream, size))},
            {"zboot", zboot(zboot_type(c), stream, c == compression::gzip ? bytes{} : le32(size))},
            {"zimage", arm_zimage(piggy(c, stream, size))},
            {"zimage-old", arm_zimage(piggy(c, stream, size), {.table = false})},
            {"s390", s390_image(piggy(c, stream, size))},
            {"bare", stream},
        };
        for (const auto& entry : files) {
            // Not a structured binding: clang 14 cannot capture one in CAPTURE's lambda.
            const std::string& kind = entry.first;
            const bytes& file = entry.second;
            CAPTURE(kind);
            const std::string out = d.dir + "/" + name + "." + kind + ".out";
            const auto r = unpack(d.write(name + "." + kind, file), out);
            CHECK_MESSAGE(r.code == 0, r.err);
            CHECK(r.err.find("payload: " + name + ", ") != std::string::npos);
            CHECK(r.err.find("kernel: elf, arch x86_64, " + std::to_string(k.size()) + " bytes\n") != std::string::npos);
            CHECK(read_file(out) == k);
        }
    }
}

TEST_CASE("ksym unpack: lz4's legacy format in 8 MiB chunks, the last one shorter") {
    scratch_dir d;
    const bytes big = make_kernel((9u << 20) + 4);
    const bytes stream = compress(compression::lz4, big);
    if (stream.empty()) return;  // the tool lacks lz4: the test above checked its error
    const auto size = static_cast<std::uint32_t>(big.size());
    const std::vector<std::pair<std::string, bytes>> files = {
        {"bzimage", bzimage(piggy(compression::lz4, stream, size))},
        {"s390", s390_image(piggy(compression::lz4, stream, size))},
        {"bare", stream},
    };
    for (const auto& entry : files) {
        const std::string& kind = entry.first;
        const bytes& file = entry.second;
        CAPTURE(kind);
        const auto r = unpack(d.write(kind, file), d.dir + "/" + kind + ".out");
        CHECK_MESSAGE(r.code == 0, r.err);
        CHECK(read_file(d.dir + "/" + kind + ".out") == big);
    }
}

TEST_CASE("ksym unpack: nested containers, a kernel as it is, and the bad cases, each one line and exit 2") {
    scratch_dir d;
    const bytes& k = kernel();
    const auto size = static_cast<std::uint32_t>(k.size());
    const bytes gz = compress(compression::gzip, k);
    if (gz.empty()) return;  // needs zlib
    // A zboot image stored in a bzImage: two containers, then the ELF.
    const bytes inner = zboot("gzip", gz, {});
    const bytes outer = bzimage(piggy(compression::gzip, compress(compression::gzip, inner),
                                      static_cast<std::uint32_t>(inner.size())));
    auto r = unpack(d.write("nested", outer), d.dir + "/nested.out");
    CHECK_MESSAGE(r.code == 0, r.err);
    CHECK(r.err.find("container: x86-bzimage, arch x86_64\n") == 0);
    CHECK(r.err.find("container: efi-zboot, arch arm64\n") != std::string::npos);
    CHECK(read_file(d.dir + "/nested.out") == k);

    // The kernel itself: copied as it is, nothing to describe but the kernel.
    r = unpack(d.write("vmlinux", k), d.dir + "/plain.out");
    CHECK(r.code == 0);
    CHECK(r.err == "kernel: elf, arch x86_64, " + std::to_string(k.size()) + " bytes\n");
    CHECK(read_file(d.dir + "/plain.out") == k);

    // A raw image is the kernel only inside a container.
    const bytes raw(4096, std::byte{0x11});
    r = unpack(d.write("raw", raw), d.dir + "/raw.out");
    CHECK(r.code == 2);
    CHECK(r.err.find("not a kernel image") != std::string::npos);
    r = unpack(d.write("raw.s390", s390_image(compress(compression::gzip, raw))), d.dir + "/raw-s390.out");
    CHECK_MESSAGE(r.code == 0, r.err);
    CHECK(read_file(d.dir + "/raw-s390.out") == raw);

    // gzip in gzip in ... five deep.
    bytes deep(bytes(64, std::byte{0x7f}));
    for (int i = 0; i < 5; ++i) deep = compress(compression::gzip, deep);
    r = unpack(d.write("deep", deep), d.dir + "/deep.out");
    CHECK(r.code == 2);
    CHECK(r.err.find("nested more than four deep") != std::string::npos);

    // The stream cut short inside a bzImage whose header still names it all.
    bytes cut = bzimage(piggy(compression::gzip, gz, size));
    const std::size_t payload = 0x440;
    for (std::size_t i = payload + gz.size() / 2; i < payload + gz.size(); ++i) cut[i] = std::byte{0};
    r = unpack(d.write("cut", cut), d.dir + "/cut.out");
    CHECK(r.code == 2);
    CHECK(r.err.find("x86-bzimage: gzip") != std::string::npos);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);

    // A size the payload does not decompress to (xz: the size is appended, not gzip's own).
    bytes small(bytes(k.begin(), k.begin() + 4096));
    if (const bytes xz = compress(compression::xz, small); !xz.empty()) {
        r = unpack(d.write("lying", bzimage(piggy(compression::xz, xz, 4097))), d.dir + "/lying.out");
        CHECK(r.code == 2);
        CHECK(r.err.find("decompresses to 4096 bytes where the x86-bzimage states 4097") != std::string::npos);
    }

    // A header that points outside the file.
    bytes bad = bzimage(piggy(compression::gzip, gz, size));
    put_le(bad, 0x248, 0x7fffffff, 4);
    r = unpack(d.write("bad", bad), d.dir + "/bad.out");
    CHECK(r.code == 2);
    CHECK(r.err.find("bad kernel container: truncated at 0x") != std::string::npos);
}
