#pragma once
// A reader over a file, mapped into memory where it can be and read with
// POSIX pread where not, with an address-to-offset mapping.

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <span>
#include <utility>

#include "ksym/core/errc.hpp"
#include "ksym/core/result.hpp"
#include "ksym/memory/reader.hpp"

namespace ksym {

/// Serves addresses [base, base + size) from file offsets [offset, offset + size).
/// The default mapping is the identity over the whole file (address == offset).
/// A regular file that open() can map read-only is read from the mapping and
/// lends views of it (LendingReader), so the decoder reads it in place;
/// others (pipes, /proc files) go through pread. Move-only; closes the
/// descriptor and unmaps the file if it opened them. The file must not
/// shrink while mapped (reading past its new end would fault the process).
class file_reader {
public:
    /// Opens `path` read-only. The mapping covers the whole file at address 0.
    [[nodiscard]] static result<file_reader> open(const char* path) {
        const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) return status{errc::io_error, static_cast<std::uint64_t>(errno)};
        struct stat st{};
        if (::fstat(fd, &st) != 0) {
            const int e = errno;
            ::close(fd);
            return status{errc::io_error, static_cast<std::uint64_t>(e)};
        }
        file_reader r(fd, true);
        r.size_ = static_cast<std::uint64_t>(st.st_size);
        if (S_ISREG(st.st_mode) && st.st_size > 0) {
            void* m = ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
            if (m != MAP_FAILED) {
                r.map_ = static_cast<const std::byte*>(m);
                r.map_size_ = r.size_;
                r.owns_map_ = true;
            }
        }
        return r;
    }

    /// Borrows `fd` (not closed by the reader), mapping [base, base+size) to
    /// [offset, offset+size).
    file_reader(int fd, std::uint64_t base, std::uint64_t offset, std::uint64_t size) noexcept
        : fd_(fd), base_(base), offset_(offset), size_(size) {}

    file_reader(file_reader&& o) noexcept
        : fd_(std::exchange(o.fd_, -1)), owns_(std::exchange(o.owns_, false)), base_(o.base_),
          offset_(o.offset_), size_(o.size_), map_(std::exchange(o.map_, nullptr)),
          map_size_(std::exchange(o.map_size_, 0)), owns_map_(std::exchange(o.owns_map_, false)) {}
    file_reader& operator=(file_reader&& o) noexcept {
        if (this != &o) {
            close();
            fd_ = std::exchange(o.fd_, -1);
            owns_ = std::exchange(o.owns_, false);
            base_ = o.base_;
            offset_ = o.offset_;
            size_ = o.size_;
            map_ = std::exchange(o.map_, nullptr);
            map_size_ = std::exchange(o.map_size_, 0);
            owns_map_ = std::exchange(o.owns_map_, false);
        }
        return *this;
    }
    file_reader(const file_reader&) = delete;
    file_reader& operator=(const file_reader&) = delete;
    ~file_reader() { close(); }

    /// Reads through pread, retrying short reads and EINTR. Addresses outside the
    /// mapping fault; a file shorter than the mapping reports `truncated` at the
    /// first missing address; an OS error reports `io_error` with errno as address.
    status read(std::uint64_t addr, std::span<std::byte> out) const {
        if (out.empty()) return {};
        if (!range_fits(addr, out.size()) || addr < base_ || addr - base_ >= size_) return status::fault(addr);
        const std::uint64_t rel = addr - base_;
        if (out.size() > size_ - rel) return status::fault(base_ + size_);
        if (map_ != nullptr && offset_ + rel <= map_size_ && out.size() <= map_size_ - (offset_ + rel)) {
            std::memcpy(out.data(), map_ + offset_ + rel, out.size());
            return {};
        }
        std::size_t done = 0;
        while (done < out.size()) {
            const ssize_t n = ::pread(fd_, out.data() + done, out.size() - done,
                                      static_cast<off_t>(offset_ + rel + done));
            if (n < 0) {
                if (errno == EINTR) continue;
                return {errc::io_error, static_cast<std::uint64_t>(errno)};
            }
            if (n == 0) return {errc::truncated, addr + done};
            done += static_cast<std::size_t>(n);
        }
        return {};
    }

    /// The mapped file from `addr` to the end of this reader's range, when
    /// that holds `len` bytes and the file is mapped; empty otherwise.
    [[nodiscard]] std::span<const std::byte> view(std::uint64_t addr, std::size_t len) const noexcept {
        if (map_ == nullptr || addr < base_ || addr - base_ >= size_) return {};
        const std::uint64_t rel = addr - base_;
        if (offset_ + rel >= map_size_) return {};
        const std::uint64_t n = std::min(size_ - rel, map_size_ - (offset_ + rel));
        if (n < len) return {};
        return {map_ + offset_ + rel, static_cast<std::size_t>(n)};
    }

    /// Returns a reader on the same descriptor (and mapping) with another
    /// address mapping (borrowed: this reader must outlive it).
    [[nodiscard]] file_reader remap(std::uint64_t base, std::uint64_t offset, std::uint64_t size) const noexcept {
        file_reader r(fd_, base, offset, size);
        r.map_ = map_;
        r.map_size_ = map_size_;
        return r;
    }

    [[nodiscard]] int fd() const noexcept { return fd_; }
    /// Bytes the mapping covers (the file size for open()).
    [[nodiscard]] std::uint64_t size() const noexcept { return size_; }

private:
    file_reader(int fd, bool owns) noexcept : fd_(fd), owns_(owns) {}
    void close() noexcept {
        if (owns_map_ && map_ != nullptr) ::munmap(const_cast<std::byte*>(map_), static_cast<std::size_t>(map_size_));
        map_ = nullptr;
        owns_map_ = false;
        if (owns_ && fd_ >= 0) ::close(fd_);
        fd_ = -1;
        owns_ = false;
    }

    int fd_ = -1;
    bool owns_ = false;
    std::uint64_t base_ = 0;
    std::uint64_t offset_ = 0;
    std::uint64_t size_ = 0;
    const std::byte* map_ = nullptr;  // the file from offset 0, when mapped
    std::uint64_t map_size_ = 0;
    bool owns_map_ = false;
};

static_assert(LendingReader<file_reader>);

}  // namespace ksym
