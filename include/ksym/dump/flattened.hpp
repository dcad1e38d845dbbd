#pragma once
// The makedumpfile "flattened" stream (makedumpfile -F, QEMU kdump-zlib/
// lzo/snappy) read in place: an index of its records, in caller storage,
// turns it back into the file it stands for without rewriting it.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "ksym/core/endian.hpp"
#include "ksym/core/errc.hpp"
#include "ksym/core/result.hpp"
#include "ksym/memory/file_reader.hpp"

namespace ksym {

/// One record of a flattened stream: `size` bytes of the reassembled file
/// at `offset`, stored at `data` in the stream.
struct flat_record {
    std::uint64_t offset = 0;
    std::uint64_t size = 0;
    std::uint64_t data = 0;
};

/// A flattened stream as the file it encodes. The stream is a 4 KiB header
/// ("makedumpfile", type 1, version 1, big-endian) and then records of
/// {offset, size} (big-endian i64) each followed by its data, ended by an
/// offset of -1. Records may come in any order; bytes no record covers read
/// as zeros, as in the file `makedumpfile -R` would write. Overlapping
/// records (a later write over an earlier one) are `unsupported`: reassemble
/// such a stream with makedumpfile -R.
class flattened_reader {
public:
    static constexpr std::uint64_t header_size = 4096;

    /// Whether the bytes at 0 of `file` start a flattened stream.
    [[nodiscard]] static bool is_flattened(const file_reader& file) {
        std::array<char, 16> sig{};
        if (!file.read(0, std::as_writable_bytes(std::span(sig))).ok()) return false;
        return std::string_view(sig.data(), 12) == "makedumpfile" && sig[12] == '\0';
    }

    /// The number of records, in one pass over their headers.
    [[nodiscard]] static result<std::size_t> count(const file_reader& file) {
        std::size_t n = 0;
        const status s = walk(file, [&](const flat_record&) { ++n; });
        if (!s) return s;
        return n;
    }

    /// Indexes the stream into `storage` (count() records) and takes the file.
    status open(file_reader&& file, std::span<flat_record> storage) {
        file_ = std::move(file);
        std::size_t n = 0;
        const status s = walk(file_, [&](const flat_record& r) {
            if (n < storage.size()) storage[n] = r;
            ++n;
        });
        if (!s) return s;
        if (n > storage.size()) return {errc::capacity};
        records_ = storage.first(n);
        std::sort(records_.begin(), records_.end(),
                  [](const flat_record& a, const flat_record& b) { return a.offset < b.offset; });
        size_ = 0;
        for (std::size_t i = 0; i < n; ++i) {
            if (i > 0 && records_[i - 1].offset + records_[i - 1].size > records_[i].offset)
                return {errc::unsupported, records_[i].offset};
            size_ = std::max(size_, records_[i].offset + records_[i].size);
        }
        return {};
    }

    /// Reads the reassembled file at `offset`.
    status read(std::uint64_t offset, std::span<std::byte> out) const {
        if (!range_fits(offset, out.size()) || offset + out.size() > size_) return status::fault(offset);
        std::size_t done = 0;
        while (done < out.size()) {
            const std::uint64_t at = offset + done;
            // The last record starting at or before `at`.
            auto it = std::upper_bound(records_.begin(), records_.end(), at,
                                       [](std::uint64_t v, const flat_record& r) { return v < r.offset; });
            std::size_t n = out.size() - done;
            if (it != records_.begin() && at < (it - 1)->offset + (it - 1)->size) {
                const flat_record& r = *(it - 1);
                n = static_cast<std::size_t>(std::min<std::uint64_t>(n, r.offset + r.size - at));
                if (status s = file_.read(r.data + (at - r.offset), out.subspan(done, n)); !s) return s;
            } else {
                if (it != records_.end()) n = static_cast<std::size_t>(std::min<std::uint64_t>(n, it->offset - at));
                std::fill_n(out.begin() + static_cast<std::ptrdiff_t>(done), n, std::byte{0});
            }
            done += n;
        }
        return {};
    }

    /// Bytes of the reassembled file.
    [[nodiscard]] std::uint64_t size() const noexcept { return size_; }
    [[nodiscard]] std::size_t records() const noexcept { return records_.size(); }

private:
    template <class Visit>
    static status walk(const file_reader& file, Visit&& visit) {
        if (!is_flattened(file)) return {errc::corrupt, 0};
        std::array<std::byte, 16> h{};
        if (status s = file.read(16, h); !s) return s;
        if (load<std::uint64_t>(h.data(), std::endian::big) != 1) return {errc::unsupported, 16};
        std::uint64_t at = header_size;
        const std::uint64_t end = file.size();
        while (true) {
            if (end - at < 16 || at > end) return {errc::truncated, at};
            if (status s = file.read(at, h); !s) return s;
            const auto offset = load<std::uint64_t>(h.data(), std::endian::big);
            const auto size = load<std::uint64_t>(h.data() + 8, std::endian::big);
            if (offset == ~std::uint64_t{0}) return {};
            if (size > end - at - 16 || !range_fits(offset, size) || (offset >> 62) != 0) return {errc::corrupt, at};
            visit(flat_record{offset, size, at + 16});
            at += 16 + size;
        }
    }

    file_reader file_{-1, 0, 0, 0};
    std::span<flat_record> records_{};
    std::uint64_t size_ = 0;
};

}  // namespace ksym
