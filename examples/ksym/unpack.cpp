// ksym unpack IMAGE -o OUT, and unpack_kernel for the other commands: a
// vmlinuz's containers, decompressed with the codec libraries this build has.
#include "unpack.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.hpp"
#include "ksym/image/compression.hpp"
#include "ksym/image/container.hpp"

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

namespace ksym_cli {

namespace {

/// The largest kernel the tool unpacks: Debian's are under 100 MiB; this
/// stops a hostile stream from filling memory.
constexpr std::size_t max_kernel_bytes = std::size_t{1} << 30;
/// Containers inside containers: zboot -> Image and bzImage -> ELF are one
/// level each; four bounds a file that nests itself.
constexpr int max_depth = 4;
/// Input handed to a decompressor per call: the libraries count in 32 bits.
constexpr std::size_t max_feed = std::size_t{1} << 30;

/// What went wrong, in words for the one-line report; empty when nothing did.
using problem = std::string;

problem from_errno(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

/// One level's image: a mapping of the file, or of a memfd the level above
/// was decompressed into. Move-only.
struct image_map {
    int fd = -1;  // the memfd; -1 for the file (its descriptor is closed once mapped)
    std::byte* data = nullptr;
    std::size_t size = 0, mapped = 0;

    image_map() = default;
    image_map(const image_map&) = delete;
    image_map& operator=(const image_map&) = delete;
    image_map(image_map&& o) noexcept { *this = std::move(o); }
    image_map& operator=(image_map&& o) noexcept {
        if (this != &o) {
            reset();
            fd = std::exchange(o.fd, -1);
            data = std::exchange(o.data, nullptr);
            size = std::exchange(o.size, 0);
            mapped = std::exchange(o.mapped, 0);
        }
        return *this;
    }
    ~image_map() { reset(); }
    void reset() noexcept {
        if (data != nullptr) ::munmap(data, mapped);
        if (fd >= 0) ::close(fd);
        fd = -1, data = nullptr, size = mapped = 0;
    }
    [[nodiscard]] std::span<const std::byte> bytes() const noexcept { return {data, size}; }
};

/// Maps the file at `path` read-only; errno is kept for the report.
problem map_file(const char* path, image_map& out) {
    const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::strerror(errno);
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        const int e = errno;
        ::close(fd);
        return std::strerror(e);
    }
    if (!S_ISREG(st.st_mode)) {
        ::close(fd);
        return "not a regular file";
    }
    if (st.st_size > 0) {
        void* m = ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            const int e = errno;
            ::close(fd);
            return std::strerror(e);
        }
        out.data = static_cast<std::byte*>(m);
        out.size = out.mapped = static_cast<std::size_t>(st.st_size);
    }
    ::close(fd);
    return {};
}

/// A growing output in a memfd, mapped read-write: decompressors write
/// straight into the pages that become the kernel image.
class memfd_output {
public:
    memfd_output() = default;
    memfd_output(const memfd_output&) = delete;
    memfd_output& operator=(const memfd_output&) = delete;
    ~memfd_output() { map_.reset(); }

    problem create(std::size_t expected) {
        map_.fd = ::memfd_create("ksym-kernel", MFD_CLOEXEC);
        if (map_.fd < 0) return from_errno("memfd_create");
        return reserve(std::max<std::size_t>(expected, 1 << 20));
    }
    /// Room for at least `more` bytes past what was written.
    problem reserve(std::size_t more) {
        if (more > max_kernel_bytes - map_.size) return "decompresses to more than 1 GiB: not a kernel";
        if (map_.size + more <= map_.mapped) return {};
        const std::size_t cap = std::min(max_kernel_bytes, std::max(map_.size + more, 2 * map_.mapped));
        if (::ftruncate(map_.fd, static_cast<off_t>(cap)) != 0) return from_errno("memfd");
        void* m = map_.data == nullptr ? ::mmap(nullptr, cap, PROT_READ | PROT_WRITE, MAP_SHARED, map_.fd, 0)
                                       : ::mremap(map_.data, map_.mapped, cap, MREMAP_MAYMOVE);
        if (m == MAP_FAILED) return from_errno("mapping the output");
        map_.data = static_cast<std::byte*>(m);
        map_.mapped = cap;
        return {};
    }
    /// reserve(), so that at least `want` bytes are free.
    problem room(std::size_t want) { return spare_size() >= want ? problem{} : reserve(want); }
    [[nodiscard]] std::byte* spare() const noexcept { return map_.data + map_.size; }
    [[nodiscard]] std::size_t spare_size() const noexcept { return map_.mapped - map_.size; }
    void commit(std::size_t n) noexcept { map_.size += n; }
    [[nodiscard]] std::size_t size() const noexcept { return map_.size; }

    /// Trims the memfd to what was written and hands it over.
    problem finish(image_map& out) {
        if (map_.size == 0) return "decompresses to nothing";
        if (::ftruncate(map_.fd, static_cast<off_t>(map_.size)) != 0) return from_errno("memfd");
        out = std::move(map_);
        return {};
    }

private:
    image_map map_;
};

[[maybe_unused]] unsigned feed_size(std::size_t left) { return static_cast<unsigned>(std::min(left, max_feed)); }

// Each decoder decompresses the one stream at the start of `in`, stopping at
// its end (the payload of a container that does not state its length runs on
// past it), into `out`.

[[maybe_unused]] problem missing(ksym::compression c, const char* library) {
    return std::string("the payload is ") + std::string(ksym::to_string(c)) + ", and this ksym was built without " +
           library;
}

problem gunzip(std::span<const std::byte> in, memfd_output& out) {
#ifdef KSYM_HAVE_ZLIB
    z_stream z{};
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return "zlib: cannot initialise";
    std::size_t used = 0;
    problem p;
    for (;;) {
        if (z.avail_in == 0 && used < in.size()) {
            z.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(in.data() + used));
            z.avail_in = feed_size(in.size() - used);
            used += z.avail_in;
        }
        if (p = out.room(1 << 20); !p.empty()) break;
        z.next_out = reinterpret_cast<Bytef*>(out.spare());
        z.avail_out = feed_size(out.spare_size());
        const uInt before = z.avail_out;
        const int r = inflate(&z, Z_NO_FLUSH);
        out.commit(before - z.avail_out);
        if (r == Z_STREAM_END) break;
        if (r == Z_BUF_ERROR && z.avail_in == 0 && used == in.size()) {
            p = "gzip stream cut short";
            break;
        }
        if (r != Z_OK && r != Z_BUF_ERROR) {
            p = std::string("gzip: ") + (z.msg != nullptr ? z.msg : "corrupt data");
            break;
        }
    }
    inflateEnd(&z);
    return p;
#else
    (void)in, (void)out;
    return missing(ksym::compression::gzip, "zlib (zlib1g-dev)");
#endif
}

problem bunzip2(std::span<const std::byte> in, memfd_output& out) {
#ifdef KSYM_HAVE_BZIP2
    bz_stream s{};
    if (BZ2_bzDecompressInit(&s, 0, 0) != BZ_OK) return "libbz2: cannot initialise";
    std::size_t used = 0;
    problem p;
    for (;;) {
        if (s.avail_in == 0 && used < in.size()) {
            s.next_in = reinterpret_cast<char*>(const_cast<std::byte*>(in.data() + used));
            s.avail_in = feed_size(in.size() - used);
            used += s.avail_in;
        }
        if (p = out.room(1 << 20); !p.empty()) break;
        s.next_out = reinterpret_cast<char*>(out.spare());
        s.avail_out = feed_size(out.spare_size());
        const unsigned before = s.avail_out;
        const int r = BZ2_bzDecompress(&s);
        out.commit(before - s.avail_out);
        if (r == BZ_STREAM_END) break;
        if (r != BZ_OK) {
            p = "bzip2: corrupt data (" + std::to_string(r) + ")";
            break;
        }
        if (s.avail_in == 0 && used == in.size() && s.avail_out != 0) {
            p = "bzip2 stream cut short";
            break;
        }
    }
    BZ2_bzDecompressEnd(&s);
    return p;
#else
    (void)in, (void)out;
    return missing(ksym::compression::bzip2, "libbz2 (libbz2-dev)");
#endif
}

problem unxz(ksym::compression c, std::span<const std::byte> in, memfd_output& out) {
#ifdef KSYM_HAVE_LZMA
    lzma_stream s = LZMA_STREAM_INIT;
    // One stream (no LZMA_CONCATENATED): it ends where the kernel's does.
    const lzma_ret init = c == ksym::compression::xz ? lzma_stream_decoder(&s, UINT64_MAX, 0)
                                                     : lzma_alone_decoder(&s, UINT64_MAX);
    if (init != LZMA_OK) return "liblzma: cannot initialise";
    s.next_in = reinterpret_cast<const std::uint8_t*>(in.data());
    s.avail_in = in.size();
    problem p;
    for (;;) {
        if (p = out.room(1 << 20); !p.empty()) break;
        s.next_out = reinterpret_cast<std::uint8_t*>(out.spare());
        s.avail_out = out.spare_size();
        const std::size_t before = s.avail_out;
        const lzma_ret r = lzma_code(&s, s.avail_in == 0 ? LZMA_FINISH : LZMA_RUN);
        out.commit(before - s.avail_out);
        if (r == LZMA_STREAM_END) break;
        if (r == LZMA_BUF_ERROR || (r == LZMA_OK && s.avail_in == 0 && s.avail_out != 0)) {
            p = std::string(ksym::to_string(c)) + " stream cut short";
            break;
        }
        if (r != LZMA_OK) {
            p = std::string(ksym::to_string(c)) + ": corrupt data (liblzma error " + std::to_string(static_cast<int>(r)) + ")";
            break;
        }
    }
    lzma_end(&s);
    return p;
#else
    (void)in, (void)out;
    return missing(c, "liblzma (liblzma-dev)");
#endif
}

[[maybe_unused]] std::uint32_t be32(std::span<const std::byte> b, std::size_t at) {
    return (std::uint32_t{static_cast<std::uint8_t>(b[at])} << 24) |
           (std::uint32_t{static_cast<std::uint8_t>(b[at + 1])} << 16) |
           (std::uint32_t{static_cast<std::uint8_t>(b[at + 2])} << 8) | static_cast<std::uint8_t>(b[at + 3]);
}
[[maybe_unused]] std::uint32_t le32(std::span<const std::byte> b, std::size_t at) {
    return (std::uint32_t{static_cast<std::uint8_t>(b[at + 3])} << 24) |
           (std::uint32_t{static_cast<std::uint8_t>(b[at + 2])} << 16) |
           (std::uint32_t{static_cast<std::uint8_t>(b[at + 1])} << 8) | static_cast<std::uint8_t>(b[at]);
}

// The lzop file format, as lzop writes it and lib/decompress_unlzo.c reads
// it: a header (magic, versions, method, level, flags, mode, mtimes, name,
// checksum), then blocks of (decompressed size, compressed size, checksums,
// data) up to a zero decompressed size. A block stored uncompressed has
// equal sizes; checksums of the compressed data are present only then not.
problem unlzo(std::span<const std::byte> in, memfd_output& out) {
#ifdef KSYM_HAVE_LZO
    if (lzo_init() != LZO_E_OK) return "liblzo2: cannot initialise";
    constexpr std::uint32_t adler32_d = 0x1, adler32_c = 0x2, extra_field = 0x40, crc32_d = 0x100, crc32_c = 0x200,
                            filter = 0x800;
    std::size_t p = 9;
    auto need = [&](std::size_t n) { return n <= in.size() && p <= in.size() - n; };
    if (!need(2 + 2)) return "lzop header cut short";
    const std::uint32_t version = be32(in, p) >> 16;
    p += 4;  // version, library version
    if (version >= 0x0940) p += 2;  // version needed to extract
    if (!need(1 + 1 + 4)) return "lzop header cut short";
    p += 1;  // method
    if (version >= 0x0940) p += 1;  // level
    const std::uint32_t flags = be32(in, p);
    p += 4;
    if (flags & filter) p += 4;
    p += 8;  // mode, mtime low
    if (version >= 0x0940) p += 4;  // mtime high
    if (!need(1)) return "lzop header cut short";
    p += 1 + std::size_t{static_cast<std::uint8_t>(in[p])} + 4;  // name, header checksum
    if (flags & extra_field) {
        if (!need(4)) return "lzop header cut short";
        p += 4 + std::size_t{be32(in, p)} + 4;
    }
    for (;;) {
        if (!need(4)) return "lzo stream cut short";
        const std::uint32_t dst_len = be32(in, p);
        p += 4;
        if (dst_len == 0) return {};
        if (dst_len > (64u << 20)) return "lzo: corrupt block size";  // lzop's largest block
        if (!need(4)) return "lzo stream cut short";
        const std::uint32_t src_len = be32(in, p);
        p += 4;
        if (src_len == 0 || src_len > dst_len) return "lzo: corrupt block size";
        p += 4 * ((flags & adler32_d ? 1u : 0u) + (flags & crc32_d ? 1u : 0u));
        if (src_len < dst_len) p += 4 * ((flags & adler32_c ? 1u : 0u) + (flags & crc32_c ? 1u : 0u));
        if (!need(src_len)) return "lzo stream cut short";
        if (problem e = out.room(dst_len); !e.empty()) return e;
        if (src_len == dst_len) {
            std::memcpy(out.spare(), in.data() + p, dst_len);
        } else {
            lzo_uint n = dst_len;
            if (lzo1x_decompress_safe(reinterpret_cast<const unsigned char*>(in.data() + p), src_len,
                                      reinterpret_cast<unsigned char*>(out.spare()), &n, nullptr) != LZO_E_OK ||
                n != dst_len)
                return "lzo: corrupt data";
        }
        out.commit(dst_len);
        p += src_len;
    }
#else
    (void)in, (void)out;
    return missing(ksym::compression::lzo, "liblzo2 (liblzo2-dev)");
#endif
}

// The LZ4 legacy format (`lz4 -l`, lib/decompress_unlz4.c): the magic, then
// chunks of a LE32 compressed size and the block, each 8 MiB decompressed
// but the last. The format has no end mark: the stream ends with the input,
// at a chunk shorter than 8 MiB, or where a size follows that cannot be a
// chunk's (the build appends the decompressed size after the stream).
problem unlz4(std::span<const std::byte> in, memfd_output& out) {
#ifdef KSYM_HAVE_LZ4
    constexpr std::uint32_t magic = 0x184c2102, chunk_out = 8u << 20;
    std::size_t p = 4;
    bool any = false;
    while (in.size() - p >= 4) {
        const std::uint32_t chunk = le32(in, p);
        if (chunk == magic) {  // another stream follows: decode it too, as the kernel does
            p += 4;
            continue;
        }
        if (chunk == 0 || chunk > ksym::detail::lz4_legacy_max_chunk || chunk > in.size() - p - 4) {
            if (any) return {};
            return "lz4: corrupt chunk size";
        }
        p += 4;
        if (problem e = out.room(chunk_out); !e.empty()) return e;
        const int n = LZ4_decompress_safe(reinterpret_cast<const char*>(in.data() + p), reinterpret_cast<char*>(out.spare()),
                                          static_cast<int>(chunk), static_cast<int>(chunk_out));
        if (n < 0) return "lz4: corrupt data";
        out.commit(static_cast<std::size_t>(n));
        p += chunk;
        any = true;
        if (static_cast<std::uint32_t>(n) < chunk_out) return {};
    }
    return any ? problem{} : "lz4 stream cut short";
#else
    (void)in, (void)out;
    return missing(ksym::compression::lz4, "liblz4 (liblz4-dev)");
#endif
}

problem unzstd(std::span<const std::byte> in, memfd_output& out) {
#ifdef KSYM_HAVE_ZSTD
    ZSTD_DCtx* d = ZSTD_createDCtx();
    if (d == nullptr) return "libzstd: cannot initialise";
    // The build's -22 --ultra frames use a 2^27 window, the library's
    // default limit; a larger one (a custom level, --long) decodes too.
    ZSTD_DCtx_setParameter(d, ZSTD_d_windowLogMax, 31);
    ZSTD_inBuffer src{in.data(), in.size(), 0};
    problem p;
    for (;;) {
        if (p = out.room(ZSTD_DStreamOutSize()); !p.empty()) break;
        ZSTD_outBuffer dst{out.spare(), out.spare_size(), 0};
        const std::size_t r = ZSTD_decompressStream(d, &dst, &src);
        out.commit(dst.pos);
        if (ZSTD_isError(r)) {
            p = std::string("zstd: ") + ZSTD_getErrorName(r);
            break;
        }
        if (r == 0) break;  // the frame is complete and flushed
        if (src.pos == src.size && dst.pos < dst.size) {
            p = "zstd stream cut short";
            break;
        }
    }
    ZSTD_freeDCtx(d);
    return p;
#else
    (void)in, (void)out;
    return missing(ksym::compression::zstd, "libzstd (libzstd-dev)");
#endif
}

problem decompress(ksym::compression c, std::span<const std::byte> in, memfd_output& out) {
    switch (c) {
    case ksym::compression::none:
        if (problem e = out.room(in.size()); !e.empty()) return e;
        std::memcpy(out.spare(), in.data(), in.size());
        out.commit(in.size());
        return {};
    case ksym::compression::gzip: return gunzip(in, out);
    case ksym::compression::bzip2: return bunzip2(in, out);
    case ksym::compression::lzma:
    case ksym::compression::xz: return unxz(c, in, out);
    case ksym::compression::lzo: return unlzo(in, out);
    case ksym::compression::lz4: return unlz4(in, out);
    case ksym::compression::zstd: return unzstd(in, out);
    }
    return "unknown codec";
}

std::string hex(std::uint64_t v) {
    char b[24];
    std::snprintf(b, sizeof b, "0x%" PRIx64, v);
    return b;
}

std::string describe_container(const ksym::container_info& c) {
    std::string s(ksym::to_string(c.kind));
    if (c.arch) s += ", arch " + std::string(ksym::to_string(*c.arch));
    return s;
}

}  // namespace

void unpacked_kernel::take(unpacked_kernel& o) noexcept {
    fd_ = std::exchange(o.fd_, -1);
    data_ = std::exchange(o.data_, nullptr);
    size_ = std::exchange(o.size_, 0);
    mapped_ = std::exchange(o.mapped_, 0);
    path_ = std::move(o.path_);
    chain_ = std::move(o.chain_);
    kernel_ = o.kernel_;
}

void unpacked_kernel::release() noexcept {
    if (data_ != nullptr) ::munmap(const_cast<std::byte*>(data_), mapped_);
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1, data_ = nullptr, size_ = mapped_ = 0;
}

void unpacked_kernel::describe(std::FILE* out) const {
    for (const unpack_step& s : chain_) {
        const ksym::container_info& c = s.container;
        std::fprintf(out, "container: %s\n", describe_container(c).c_str());
        std::string stated = c.decompressed_size ? ", stated " + std::to_string(*c.decompressed_size) : "";
        std::fprintf(out, "payload: %.*s, %" PRIu64 " bytes at %s%s -> %" PRIu64 " bytes%s in %.1f ms\n",
                     int(ksym::to_string(c.codec).size()), ksym::to_string(c.codec).data(), c.payload_size,
                     hex(c.payload_offset).c_str(), c.payload_exact ? "" : " (to the end)", s.output_size,
                     stated.c_str(), s.milliseconds);
    }
    std::fprintf(out, "kernel: %s, %zu bytes\n", describe_container(kernel_).c_str(), size_);
}

int unpack_kernel(const char* path, unpacked_kernel& out, bool headerless) {
    out = unpacked_kernel{};
    image_map level;
    if (problem e = map_file(path, level); !e.empty()) return fail(path, e);
    std::vector<unpack_step> chain;
    for (int depth = 0;; ++depth) {
        auto id = ksym::identify_container(level.bytes());
        if (!id) {
            const std::string where = depth == 0 ? "bad kernel container" : "bad container inside " +
                                                  std::string(ksym::to_string(chain.back().container.kind));
            return fail(path, where, id.error());
        }
        const ksym::container_info& c = *id;
        if (ksym::holds_kernel(c.kind)) {
            if (c.kind == ksym::container_kind::unknown_raw && depth == 0 && !headerless)
                return fail(path, "not a kernel image: no ELF, Image or container header ksym knows");
            out.kernel_ = c;
            break;
        }
        if (depth == max_depth) return fail(path, "containers nested more than four deep");

        const auto payload = level.bytes().subspan(c.payload_offset, c.payload_size);
        memfd_output inner;
        const auto expected = c.decompressed_size.value_or(0);
        problem e = inner.create(static_cast<std::size_t>(std::min<std::uint64_t>(expected, max_kernel_bytes)));
        const auto start = std::chrono::steady_clock::now();
        if (e.empty()) e = decompress(c.codec, payload, inner);
        const std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - start;
        if (e.empty() && c.decompressed_size && (inner.size() & 0xffffffffu) != (*c.decompressed_size & 0xffffffffu))
            e = "decompresses to " + std::to_string(inner.size()) + " bytes where the " +
                std::string(ksym::to_string(c.kind)) + " states " + std::to_string(*c.decompressed_size);
        if (!e.empty()) return fail(path, std::string(ksym::to_string(c.kind)) + ": " + e);
        chain.push_back({c, level.size, inner.size(), c.codec == ksym::compression::none ? 0.0 : took.count()});
        image_map next;
        if (e = inner.finish(next); !e.empty()) return fail(path, e);
        level = std::move(next);
    }
    out.fd_ = std::exchange(level.fd, -1);
    out.data_ = std::exchange(level.data, nullptr);
    out.size_ = std::exchange(level.size, 0);
    out.mapped_ = std::exchange(level.mapped, 0);
    out.path_ = out.fd_ >= 0 ? "/proc/self/fd/" + std::to_string(out.fd_) : std::string(path);
    out.chain_ = std::move(chain);
    return 0;
}

int unpack(const char* image, const char* out_path) {
    unpacked_kernel k;
    if (const int rc = unpack_kernel(image, k, false)) return rc;
    const int fd = ::open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return fail(out_path, std::strerror(errno));
    const auto b = k.bytes();
    std::size_t done = 0;
    while (done < b.size()) {
        const ssize_t n = ::write(fd, b.data() + done, std::min<std::size_t>(b.size() - done, max_feed));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            const int err = errno;
            ::close(fd);
            return fail(out_path, std::strerror(err));
        }
        done += static_cast<std::size_t>(n);
    }
    if (::close(fd) != 0) return fail(out_path, std::strerror(errno));
    k.describe(stderr);
    return 0;
}

}  // namespace ksym_cli
