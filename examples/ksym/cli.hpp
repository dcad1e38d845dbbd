#pragma once
// What the ksym tool's commands share: their arguments, the one-line error
// report, opening the image, and the address width.

#include <algorithm>
#include <cerrno>
#include <array>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <optional>
#include <string_view>
#include <vector>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ksym/core/errc.hpp"
#include "ksym/core/result.hpp"
#include "ksym/kallsyms/format.hpp"
#include "ksym/elf/elf_file.hpp"
#include "ksym/elf/notes.hpp"
#include "ksym/memory/file_reader.hpp"
#include "ksym/pipeline/crash_dump.hpp"
#include "ksym/pipeline/kernel_image.hpp"
#include "ksym/text/kallsyms_writer.hpp"
#include "codecs.hpp"
#include "unpack.hpp"

namespace ksym_cli {

/// Unreadable or malformed input, and usage errors.
inline constexpr int exit_bad_input = 2;
/// A lookup that found nothing.
inline constexpr int exit_not_found = 1;

/// The arguments of the commands that read a kernel:
/// `CMD IMAGE --system-map MAP [QUERY]` or `CMD VMCORE [--system-map MAP] [QUERY]`.
struct image_args {
    const char* image = nullptr;
    const char* map = nullptr;
    const char* query = nullptr;
    const char* arch = nullptr;  ///< --arch: the target of a headerless raw image
    const char* base = nullptr;  ///< --base: the address of a raw image's first byte
};

inline int usage() {
    std::fprintf(stderr,
                 "usage: ksym lookup [--kallsyms FILE] NAME|module:NAME|NAME+0xOFF|0xADDR...\n"
                 "       ksym dump [--kallsyms FILE] | ksym info [--kallsyms FILE]\n"
                 "       ksym dump IMAGE [--system-map MAP] | ksym dump VMCORE\n"
                 "       ksym lookup IMAGE [--system-map MAP] NAME|0xADDR | ksym lookup VMCORE NAME|module:NAME|0xADDR\n"
                 "       ksym modules VMCORE\n"
                 "       ksym elf IMAGE [--system-map MAP] -o OUT\n"
                 "       ksym info IMAGE [--system-map MAP] | ksym info VMCORE\n"
                 "       (IMAGE options: --arch arm|s390x|... for a headerless raw image, --base 0xADDR)\n"
                 "       ksym translate VMCORE 0xVADDR | ksym read VMCORE 0xVADDR LEN\n"
                 "       ksym unpack VMLINUZ -o OUT\n"
                 "       ksym nm-type LETTER | ksym st-info BYTE\n");
    return exit_bad_input;
}

/// Prints `ksym: FILE: WHAT[: CODE at 0xADDR]` and returns exit_bad_input.
inline int fail(std::string_view file, std::string_view what, ksym::status s = {}) {
    if (s.ok()) {
        std::fprintf(stderr, "ksym: %.*s: %.*s\n", int(file.size()), file.data(), int(what.size()), what.data());
    } else {
        const auto code = ksym::to_string(s.code());
        std::fprintf(stderr, "ksym: %.*s: %.*s: %.*s at 0x%" PRIx64 "\n", int(file.size()), file.data(),
                     int(what.size()), what.data(), int(code.size()), code.data(), s.address());
    }
    return exit_bad_input;
}

/// Parses `IMAGE [--system-map MAP]` plus `queries` (0 or 1) positional
/// arguments from argv[2...]; false on any mismatch. Whether the map is
/// required depends on the file (open_source says).
inline bool parse_image_args(int argc, char** argv, int queries, image_args& a) {
    std::vector<const char*> pos;
    for (int i = 2; i < argc; ++i) {
        if (std::strcmp(argv[i], "--system-map") == 0 && i + 1 < argc) a.map = argv[++i];
        else if (std::strcmp(argv[i], "--arch") == 0 && i + 1 < argc) a.arch = argv[++i];
        else if (std::strcmp(argv[i], "--base") == 0 && i + 1 < argc) a.base = argv[++i];
        else pos.push_back(argv[i]);
    }
    if (pos.size() != static_cast<std::size_t>(1 + queries)) return false;
    a.image = pos[0];
    if (queries == 1) a.query = pos[1];
    return true;
}

/// A text file's bytes: mapped where the file can be (a 9 MB System.map
/// copied into a string costs more than decoding the table), read where it
/// cannot (/proc files report size 0).
class file_text {
public:
    file_text() = default;
    file_text(const file_text&) = delete;
    file_text& operator=(const file_text&) = delete;
    ~file_text() {
        if (map_ != nullptr) ::munmap(map_, size_);
    }
    /// False with errno set when the file cannot be read.
    bool open(const char* path) {
        const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) return false;
        struct stat st {};
        if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
            void* m = ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
            if (m != MAP_FAILED) {
                map_ = m;
                size_ = static_cast<std::size_t>(st.st_size);
                ::close(fd);
                return true;
            }
        }
        // /proc files report no size: read straight into a buffer that
        // doubles, in large reads (the kernel fills each as far as it can).
        std::size_t used = 0;
        copy_.resize(1 << 20);
        for (;;) {
            if (copy_.size() - used < (1 << 18)) copy_.resize(copy_.size() * 2);
            const ssize_t n = ::read(fd, copy_.data() + used, copy_.size() - used);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) {
                const int e = errno;
                ::close(fd);
                errno = e;
                return false;
            }
            if (n == 0) break;
            used += static_cast<std::size_t>(n);
        }
        copy_.resize(used);
        ::close(fd);
        return true;
    }
    [[nodiscard]] std::string_view view() const {
        return map_ != nullptr ? std::string_view(static_cast<const char*>(map_), size_) : std::string_view(copy_);
    }

private:
    void* map_ = nullptr;
    std::size_t size_ = 0;
    std::string copy_;
};

/// Output in /proc/kallsyms format, built in memory and written at once.
/// Megabytes of scratch written once: anonymous memory advised for huge
/// pages where the kernel offers them (a few faults instead of one a 4 KiB
/// page), never cleared first, grown in 2 MiB steps keeping its contents.
class huge_buffer {
public:
    huge_buffer() = default;
    huge_buffer(const huge_buffer&) = delete;
    huge_buffer& operator=(const huge_buffer&) = delete;
    ~huge_buffer() {
        if (data_ != nullptr) ::munmap(data_, size_);
    }
    void grow(std::size_t size, std::size_t keep) {
        if (size <= size_) return;
        size = (size + (std::size_t{2} << 20) - 1) & ~((std::size_t{2} << 20) - 1);
        void* m = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED) throw std::bad_alloc();
        ::madvise(m, size, MADV_HUGEPAGE);
        if (keep != 0) std::memcpy(m, data_, keep);
        if (data_ != nullptr) ::munmap(data_, size_);
        data_ = static_cast<char*>(m);
        size_ = size;
    }
    [[nodiscard]] char* data() const { return data_; }
    [[nodiscard]] std::size_t size() const { return size_; }
    /// The buffer as `n` words (grown to hold them; the contents are not kept).
    std::span<std::uint64_t> words(std::size_t n) {
        grow(n * sizeof(std::uint64_t), 0);
        return {reinterpret_cast<std::uint64_t*>(data_), n};
    }

private:
    char* data_ = nullptr;
    std::size_t size_ = 0;
};

class line_buffer {
public:
    void add(const ksym::symbol& s, int digits) {
        if (buf_.size() - used_ < ksym::max_kallsyms_line)
            buf_.grow(std::max(2 * buf_.size(), used_ + (std::size_t{1} << 21)), used_);
        used_ += ksym::write_kallsyms_line(s, digits, buf_.data() + used_);
    }
    void reserve(std::size_t lines) { buf_.grow(lines * 48 + ksym::max_kallsyms_line, used_); }
    void write(std::FILE* f) const { std::fwrite(buf_.data(), 1, used_, f); }

private:
    huge_buffer buf_;
    std::size_t used_ = 0;
};

/// A kernel to read: an image file with its map, or a crash dump.
struct kernel_source {
    ksym::kernel_image* image = nullptr;
    ksym::basic_crash_dump<tool_decompressor>* dump = nullptr;

    template <class F>
    ksym::status with_table(F&& f) {
        return dump ? dump->with_table(f) : image->with_table(f);
    }
    [[nodiscard]] const ksym::kallsyms_format& kallsyms() const { return dump ? dump->kallsyms() : image->kallsyms(); }
};

/// The kernel the image commands opened, as unpacked from its file.
inline unpacked_kernel& current_kernel() {
    static unpacked_kernel k;
    return k;
}

/// The target named by --arch, or nullopt.
inline std::optional<ksym::arch_id> arch_by_name(std::string_view n) {
    for (auto id : {ksym::arch_id::x86_64, ksym::arch_id::i386, ksym::arch_id::arm64, ksym::arch_id::arm,
                    ksym::arch_id::riscv64, ksym::arch_id::ppc64le, ksym::arch_id::s390x})
        if (ksym::to_string(id) == n) return id;
    if (n == "armhf" || n == "armel") return ksym::arch_id::arm;
    if (n == "amd64") return ksym::arch_id::x86_64;
    if (n == "aarch64") return ksym::arch_id::arm64;
    if (n == "ppc64el") return ksym::arch_id::ppc64le;
    return std::nullopt;
}

/// Opens the image: through its map when one is given, else by scanning it
/// (kallsyms/scan.hpp) and placing it by its own evidence. Returns 0, or the
/// exit status after printing which file is at fault and why.
inline int open_image(const image_args& a, ksym::kernel_image& img) {
    // The kernel inside whatever the distribution ships (bzImage, zImage,
    // EFI zboot, s390x image, compressed streams), decompressed in memory;
    // the file itself when it is the kernel already.
    unpacked_kernel& kernel = current_kernel();
    if (const int rc = unpack_kernel(a.image, kernel, a.arch != nullptr)) return rc;
    ksym::image_options o;
    if (a.arch) {
        o.arch = arch_by_name(a.arch);
        if (!o.arch) return fail(a.arch, "unknown architecture (x86_64, i386, arm64, arm, riscv64, ppc64le, s390x)");
    } else {
        // The innermost container that names its target (a zImage is arm, an
        // s390x image s390x): a headerless kernel inside needs it.
        for (const unpack_step& step : kernel.chain())
            if (step.container.arch) o.arch = step.container.arch;
        if (kernel.kernel().arch) o.arch = kernel.kernel().arch;
    }
    if (a.base) {
        char* end = nullptr;
        o.base = std::strtoull(a.base, &end, 16);
        if (end == a.base || *end != '\0') return fail(a.base, "not a hex address");
    }
    file_text map_text;
    if (a.map && !map_text.open(a.map)) return fail(a.map, std::strerror(errno));
    const char* path = kernel.path().c_str();
    const ksym::status s = a.map ? img.open(path, map_text.view(), o) : img.open(path, o);
    if (s) return 0;
    switch (img.failed_stage()) {
    case ksym::image_stage::map:
        return fail(a.map, s == ksym::errc::not_found ? "no kallsyms symbols in the map" : "bad symbol map", s);
    case ksym::image_stage::image:
        if (s == ksym::errc::io_error) return fail(a.image, std::strerror(static_cast<int>(s.address())));
        return fail(a.image,
                    a.map && img.format() == ksym::image_format::unknown
                        ? "not a kernel image (neither ELF nor a raw arm64/riscv Image; name a raw image's --arch)"
                        : "not a kernel image (neither ELF nor a raw arm64/riscv Image)",
                    s);
    case ksym::image_stage::kallsyms: break;
    }
    if (!a.map && s == ksym::errc::not_found)
        return fail(a.image, img.scan() ? "no load address found for this raw image (give --base 0xADDR)"
                                        : "no kallsyms table found");
    return fail(a.image, "kallsyms table unreadable", s);
}

/// Opens a crash dump: its VMCOREINFO, its page tables, its table.
inline int open_dump(const image_args& a, ksym::basic_crash_dump<tool_decompressor>& d) {
    file_text map_text;
    if (a.map && !map_text.open(a.map)) return fail(a.map, std::strerror(errno));
    const ksym::status s = d.open(a.image, map_text.view());
    if (s) return 0;
    switch (d.failed_stage()) {
    case ksym::dump_stage::dump:
        if (s == ksym::errc::io_error) return fail(a.image, std::strerror(static_cast<int>(s.address())));
        if (s.code() == ksym::errc::unsupported && d.format() == ksym::dump_format::flattened)
            return fail(a.image, "a flattened stream with overlapping records: reassemble it with makedumpfile -R", s);
        return fail(a.image, "unreadable crash dump", s);
    case ksym::dump_stage::vmcoreinfo: return fail(a.image, "no VMCOREINFO note in the dump", s);
    case ksym::dump_stage::paging:
        return fail(a.image, s == ksym::errc::unsupported ? "page tables of this architecture not supported yet"
                                                           : "VMCOREINFO lacks the page-table facts",
                    s);
    case ksym::dump_stage::map:
        return fail(a.image, "no kallsyms symbols in VMCOREINFO (a kernel before 6.0: pass --system-map)", s);
    case ksym::dump_stage::kallsyms: break;
    }
    return fail(a.image, "kallsyms table unreadable", s);
}

/// Whether `path` is a crash dump (an ELF core, a compressed kdump or a
/// flattened makedumpfile stream) rather than a kernel image.
inline bool is_dump_file(const char* path) {
    auto f = ksym::file_reader::open(path);
    if (!f) return false;
    std::array<char, 12> sig{};
    if (!f->read(0, std::as_writable_bytes(std::span(sig))).ok()) return false;
    const std::string_view s(sig.data(), sig.size());
    if (s.substr(0, 8) == "KDUMP   " || s.substr(0, 8) == "DISKDUMP" || s == "makedumpfile") return true;
    auto h = ksym::elf::read_header(*f);
    return h && h->type == ksym::elf::et_core;
}

/// Opens whichever kind of kernel `a.image` holds into `src` (static
/// storage: both kinds are large and pinned).
inline int open_source(const image_args& a, kernel_source& src) {
    if (auto f = ksym::file_reader::open(a.image); !f) {
        if (f.error() == ksym::errc::io_error) return fail(a.image, std::strerror(static_cast<int>(f.error().address())));
        return fail(a.image, "unreadable", f.error());
    }
    if (is_dump_file(a.image)) {
        static ksym::basic_crash_dump<tool_decompressor> d;
        src.dump = &d;
        return open_dump(a, d);
    }
    static ksym::kernel_image img;
    src.image = &img;
    return open_image(a, img);
}

/// Hex digits of an address, as /proc/kallsyms pads them: the target's word.
inline int address_digits(const ksym::kallsyms_format& f) { return 2 * f.word_bytes; }

int dump(const image_args& a);
int lookup(const image_args& a);
int info(const image_args& a);
int translate(const image_args& a);
int modules(const image_args& a);
int elf(const image_args& a, const char* out_path);
int read(const image_args& a, const char* length);
int live_lookup(const char* path, const std::vector<const char*>& queries);
int live_dump(const char* path);
int live_info(const char* path);
int nm_type(std::string_view letter);
int st_info(const char* byte);

}  // namespace ksym_cli
