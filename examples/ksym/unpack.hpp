#pragma once
// Opening a kernel file as distributions ship it (vmlinuz): the library says
// which container it is and where the payload lies (image/container.hpp);
// this decompresses the payload with the codec libraries the build found
// (zlib, libbz2, liblzma, liblzo2, liblz4, libzstd, each optional), again
// for a container inside a container, until an ELF vmlinux or a raw Image
// remains.
//
// The kernel lands in a memfd: the rest of the tool opens images by path
// (kernel_image::open maps the file), and /proc/self/fd/N is a path to it
// without a temporary file on disk, while the bytes stay readable through
// the same mapping the decompressor wrote. A plain buffer would have meant
// a second, buffer-based opening path through the pipeline.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <vector>

#include "ksym/image/container_info.hpp"

namespace ksym_cli {

/// One container opened on the way to the kernel.
struct unpack_step {
    ksym::container_info container;  ///< what identify_container said of this level
    std::uint64_t input_size = 0;    ///< bytes of the file (or inner image) at this level
    std::uint64_t output_size = 0;   ///< bytes of the image its payload held
    double milliseconds = 0;         ///< decompression time (0 for a stored payload)
};

/// A kernel image and how it was unpacked: the bytes of the innermost ELF or
/// raw image, in a memfd when anything was unpacked, else the file itself,
/// mapped. Move-only; unmaps and closes what it holds.
class unpacked_kernel {
public:
    unpacked_kernel() = default;
    unpacked_kernel(const unpacked_kernel&) = delete;
    unpacked_kernel& operator=(const unpacked_kernel&) = delete;
    unpacked_kernel(unpacked_kernel&& o) noexcept { take(o); }
    unpacked_kernel& operator=(unpacked_kernel&& o) noexcept {
        if (this != &o) {
            release();
            take(o);
        }
        return *this;
    }
    ~unpacked_kernel() { release(); }

    /// The kernel's bytes.
    [[nodiscard]] std::span<const std::byte> bytes() const noexcept { return {data_, size_}; }
    /// A path that opens the kernel: the file itself when it was the kernel
    /// already, else /proc/self/fd/N of the memfd (valid while this lives).
    [[nodiscard]] const std::string& path() const noexcept { return path_; }
    /// The containers unpacked, outermost first; empty when the file was the kernel.
    [[nodiscard]] const std::vector<unpack_step>& chain() const noexcept { return chain_; }
    /// What the kernel itself is (an ELF, a raw arm64/RISC-V Image, or a raw image).
    [[nodiscard]] const ksym::container_info& kernel() const noexcept { return kernel_; }

    /// Prints the chain as `ksym info` lines: per container its kind and
    /// arch, payload codec, offset and size, decompressed size (and the one
    /// the container states) and time; then the kernel's format and size.
    void describe(std::FILE* out) const;

private:
    friend /// `headerless` takes a file with no header ksym knows as the kernel
/// itself (a raw image whose --arch the user gave).
int unpack_kernel(const char* path, unpacked_kernel& out, bool headerless);
    void take(unpacked_kernel& o) noexcept;
    void release() noexcept;

    int fd_ = -1;                    // the memfd, or -1 when data_ maps the file itself
    const std::byte* data_ = nullptr;
    std::size_t size_ = 0;
    std::size_t mapped_ = 0;         // length of the mapping at data_
    std::string path_;
    std::vector<unpack_step> chain_;
    ksym::container_info kernel_;
};

/// Opens `path` and unpacks containers (at most four deep) until an ELF
/// vmlinux or a raw Image remains; an image without a header counts as the
/// kernel only once something was unpacked (armhf and s390x decompress to
/// one). Returns 0, or exit_bad_input after printing one line naming the
/// file and the problem: a payload in a codec this build lacks names the
/// codec and the library to build with.
/// `headerless` takes a file with no header ksym knows as the kernel
/// itself (a raw image whose --arch the user gave).
int unpack_kernel(const char* path, unpacked_kernel& out, bool headerless);

/// `ksym unpack IMAGE -o OUT`: writes the kernel inside IMAGE to OUT and
/// describes the unpacking on stderr.
int unpack(const char* image, const char* out);

}  // namespace ksym_cli
