#pragma once
// The compressed kdump format ("KDUMP   ", old "DISKDUMP") that makedumpfile
// -c/-l/-p/-z and QEMU's kdump-* write, as a reader of physical memory.
// Decompression is the caller's: a Decompressor plugs in zlib, lzo, snappy
// or zstd, so ksym keeps no runtime dependency.

#include <algorithm>
#include <array>
#include <bit>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>

#include "ksym/core/endian.hpp"
#include "ksym/core/errc.hpp"
#include "ksym/core/result.hpp"
#include "ksym/elf/notes.hpp"
#include "ksym/memory/file_reader.hpp"
#include "ksym/memory/reader.hpp"

namespace ksym {

/// How a kdump page is stored (page_desc flags).
enum class kdump_codec : std::uint8_t { none, zlib, lzo, snappy, zstd };

[[nodiscard]] constexpr std::string_view to_string(kdump_codec c) noexcept {
    constexpr std::string_view n[] = {"none", "zlib", "lzo", "snappy", "zstd"};
    return n[static_cast<std::size_t>(c) < 5 ? static_cast<std::size_t>(c) : 0];
}

/// Decompresses one page: `in` holds the compressed bytes, `out` is exactly
/// one page and must be filled whole; anything else is an error status
/// (`unsupported` for a codec it lacks, `corrupt` for bad data).
template <class D>
concept Decompressor = requires(D& d, kdump_codec c, std::span<const std::byte> in, std::span<std::byte> out) {
    { d(c, in, out) } -> std::same_as<status>;
};

/// A decompressor that knows no codec: uncompressed dumps only.
struct no_decompressor {
    constexpr status operator()(kdump_codec, std::span<const std::byte>, std::span<std::byte>) const noexcept {
        return {errc::unsupported};
    }
};

/// A compressed kdump file. Pages are decoded into a cache of pages the
/// caller lends (workspace(): one page of it holds compressed input), and
/// a rank index over the dumped-page bitmap sits in caller storage too, so
/// nothing allocates. Pinned in place.
///
/// Only the 64-bit header layouts are read (either byte order); 32-bit
/// dumps give `unsupported`. A makedumpfile "flattened" stream is read
/// through a flattened_reader (dump/flattened.hpp); given directly it is
/// `unsupported` at 0.
template <Decompressor D = no_decompressor>
class kdump_file {
public:
    /// Most pages the cache holds, whatever the workspace.
    static constexpr std::size_t max_cached = 64;
    /// Header `status` bit: the dump was cut short (pages may be missing).
    static constexpr std::uint32_t status_incomplete = 0x8;

    kdump_file() = default;
    kdump_file(const kdump_file&) = delete;
    kdump_file& operator=(const kdump_file&) = delete;

    /// Reads the headers of an open file. Then call bind() with storage.
    status open(file_reader&& file, D decompressor = {}) {
        file_ = std::move(file);
        return open(reader_ref(file_), file_.size(), std::move(decompressor));
    }

    /// The same over any reader of the file's bytes (by offset) of `size`
    /// bytes, such as a flattened_reader. The reader must outlive this object.
    status open(reader_ref in, std::uint64_t size, D decompressor = {}) {
        in_ = in;
        size_ = size;
        dec_ = std::move(decompressor);
        std::array<std::byte, 512> h{};
        if (status s = in_.read(0, std::span(h)); !s) return s;
        const std::string_view sig(reinterpret_cast<const char*>(h.data()), 12);
        if (sig == "makedumpfile") return {errc::unsupported, 0};  // flattened: makedumpfile -R
        if (sig.substr(0, 8) != "KDUMP   " && sig.substr(0, 8) != "DISKDUMP") return {errc::corrupt, 0};
        // The 64-bit layout in either byte order: the one whose block size is sane.
        for (std::endian o : {std::endian::little, std::endian::big}) {
            const std::uint32_t bs = load<std::uint32_t>(h.data() + 428, o);
            if (bs >= 1024 && bs <= (1u << 20) && std::has_single_bit(bs)) {
                order_ = o;
                block_ = bs;
                break;
            }
        }
        if (block_ == 0) return {errc::unsupported, 428};  // 32-bit layouts, or garbage
        version_ = load<std::uint32_t>(h.data() + 8, order_);
        status_ = load<std::uint32_t>(h.data() + 424, order_);
        const std::uint64_t sub_blocks = load<std::uint32_t>(h.data() + 432, order_);
        const std::uint64_t bitmap_blocks = load<std::uint32_t>(h.data() + 436, order_);
        max_pfn_ = load<std::uint32_t>(h.data() + 440, order_);
        cpus_ = load<std::uint32_t>(h.data() + 460, order_);
        if (sub_blocks == 0 || bitmap_blocks == 0 || bitmap_blocks % 2 != 0) return {errc::corrupt, 432};

        std::array<std::byte, 104> sub{};
        if (status s = in_.read(block_, std::span(sub)); !s) return s;
        auto u64 = [&](std::size_t at) { return load<std::uint64_t>(sub.data() + at, order_); };
        if (version_ >= 3) {
            vmcoreinfo_ = {u64(32), u64(40)};
        }
        if (version_ >= 4) notes_ = {u64(48), u64(56)};
        if (version_ >= 6 && u64(96) != 0) max_pfn_ = u64(96);
        const std::uint64_t bitmap_bytes = bitmap_blocks / 2 * block_;
        if (max_pfn_ == 0 || max_pfn_ > bitmap_bytes * 8) return {errc::corrupt, 440};
        bitmap2_ = (1 + sub_blocks + bitmap_blocks / 2) * block_;
        descs_ = (1 + sub_blocks + bitmap_blocks) * block_;
        if (bitmap2_ > size_ || descs_ > size_) return {errc::truncated, bitmap2_};
        return {};
    }

    /// 64-bit words of rank index bind() needs: one per 4096 PFNs, plus one.
    [[nodiscard]] std::size_t rank_words() const noexcept { return static_cast<std::size_t>(max_pfn_ / 4096 + 2); }
    /// Bytes of page workspace for `pages` cached pages (at least 1).
    [[nodiscard]] std::size_t workspace(std::size_t pages) const noexcept { return (pages + 1) * block_; }

    /// Lends the storage and builds the rank index (one pass over the
    /// dumped-page bitmap). `pages` bytes: workspace(k) for k cached pages.
    status bind(std::span<std::uint64_t> rank, std::span<std::byte> pages) {
        if (block_ == 0) return {errc::invalid_argument};
        if (rank.size() < rank_words() || pages.size() < workspace(1)) return {errc::capacity};
        rank_ = rank.first(rank_words());
        slots_ = std::min<std::size_t>(pages.size() / block_ - 1, max_cached);
        input_ = pages.first(block_);
        cache_ = pages.subspan(block_, slots_ * block_);
        std::fill(tags_.begin(), tags_.end(), ~std::uint64_t{0});
        std::array<std::byte, 512> chunk{};  // 4096 bits: one rank entry
        std::uint64_t count = 0;
        for (std::uint64_t c = 0; c + 1 < rank_.size(); ++c) {
            rank_[c] = count;
            const std::uint64_t from = c * 512, bytes = std::min<std::uint64_t>(512, (max_pfn_ + 7) / 8 - std::min<std::uint64_t>(from, (max_pfn_ + 7) / 8));
            if (bytes == 0) continue;
            if (status s = in_.read(bitmap2_ + from, std::span(chunk).first(bytes)); !s) return s;
            for (std::size_t k = 0; k < bytes; ++k) count += static_cast<unsigned>(std::popcount(static_cast<unsigned>(chunk[k])));
        }
        rank_.back() = count;
        return {};
    }

    /// Reads physical memory. A page the dump left out is `excluded` at its
    /// address; a cut-short dump's missing page likewise.
    status read(std::uint64_t addr, std::span<std::byte> out) {
        if (rank_.empty()) return {errc::invalid_argument};
        if (!range_fits(addr, out.size())) return status::fault(addr);
        std::size_t done = 0;
        while (done < out.size()) {
            const std::uint64_t a = addr + done;
            const std::uint64_t pfn = a / block_;
            const std::size_t in_page = static_cast<std::size_t>(a % block_);
            const std::size_t n = std::min<std::size_t>(block_ - in_page, out.size() - done);
            auto page = load_page(pfn, a);
            if (!page) return page.error();
            std::copy_n(page->data() + in_page, n, out.data() + done);
            done += n;
        }
        return {};
    }

    [[nodiscard]] std::uint32_t block_size() const noexcept { return block_; }
    [[nodiscard]] std::uint32_t header_version() const noexcept { return version_; }
    [[nodiscard]] bool incomplete() const noexcept { return status_ & status_incomplete; }
    [[nodiscard]] std::uint64_t max_pfn() const noexcept { return max_pfn_; }
    [[nodiscard]] std::uint32_t cpus() const noexcept { return cpus_; }
    [[nodiscard]] std::endian byte_order() const noexcept { return order_; }
    /// Where the raw VMCOREINFO text lies in the file (offset, size); 0 size when absent.
    [[nodiscard]] std::pair<std::uint64_t, std::uint64_t> vmcoreinfo_range() const noexcept { return vmcoreinfo_; }
    /// Where the ELF note blob (PRSTATUS, VMCOREINFO) lies (header version 4+).
    [[nodiscard]] std::pair<std::uint64_t, std::uint64_t> notes_range() const noexcept { return notes_; }
    /// The file's bytes, by offset.
    [[nodiscard]] reader_ref file() const noexcept { return in_; }

private:
    bool dumped(std::uint64_t pfn, std::byte& byte) {
        std::array<std::byte, 1> b{};
        if (!in_.read(bitmap2_ + pfn / 8, b).ok()) return false;
        byte = b[0];
        return (static_cast<unsigned>(b[0]) >> (pfn % 8)) & 1u;
    }

    // The descriptor index of a dumped pfn: the set bits before it.
    result<std::uint64_t> rank(std::uint64_t pfn) {
        const std::uint64_t c = pfn / 4096;
        std::uint64_t r = rank_[c];
        std::array<std::byte, 512> chunk{};
        const std::size_t whole = static_cast<std::size_t>((pfn % 4096) / 8);
        if (whole > 0) {
            if (status s = in_.read(bitmap2_ + c * 512, std::span(chunk).first(whole)); !s) return s;
            for (std::size_t k = 0; k < whole; ++k) r += static_cast<unsigned>(std::popcount(static_cast<unsigned>(chunk[k])));
        }
        return r;
    }

    result<std::span<const std::byte>> load_page(std::uint64_t pfn, std::uint64_t addr) {
        if (pfn >= max_pfn_) return status{errc::excluded, addr};
        const std::size_t slot = static_cast<std::size_t>(pfn % slots_);
        const std::span<std::byte> page = cache_.subspan(slot * block_, block_);
        if (tags_[slot] == pfn) return std::span<const std::byte>(page);
        std::byte bits{};
        if (!dumped(pfn, bits)) return status{errc::excluded, addr};
        auto r = rank(pfn);
        if (!r) return r.error();
        const std::uint64_t bits_before = static_cast<unsigned>(std::popcount(static_cast<unsigned>(bits) & ((1u << (pfn % 8)) - 1)));
        std::array<std::byte, 24> d{};
        if (status s = in_.read(descs_ + (*r + bits_before) * 24, std::span(d)); !s) return s;
        const auto offset = load<std::uint64_t>(d.data(), order_);
        const auto size = load<std::uint32_t>(d.data() + 8, order_);
        const auto flags = load<std::uint32_t>(d.data() + 12, order_);
        if (offset == 0) return status{errc::excluded, addr};  // a cut-short dump's missing page
        tags_[slot] = ~std::uint64_t{0};
        const kdump_codec codec = (flags & 0x1) ? kdump_codec::zlib
                                  : (flags & 0x2) ? kdump_codec::lzo
                                  : (flags & 0x4) ? kdump_codec::snappy
                                  : (flags & 0x20) ? kdump_codec::zstd
                                                   : kdump_codec::none;
        if (codec == kdump_codec::none) {
            if (size != block_) return status{errc::corrupt, descs_ + (*r + bits_before) * 24};
            if (status s = in_.read(offset, page); !s) return s;
        } else {
            if (size == 0 || size > block_) return status{errc::corrupt, descs_ + (*r + bits_before) * 24};
            if (status s = in_.read(offset, input_.first(size)); !s) return s;
            if (status s = dec_(codec, input_.first(size), page); !s) return status{s.code(), addr};
        }
        tags_[slot] = pfn;
        return std::span<const std::byte>(page);
    }

    file_reader file_{-1, 0, 0, 0};
    reader_ref in_{};
    std::uint64_t size_ = 0;
    D dec_{};
    std::endian order_ = std::endian::little;
    std::uint32_t block_ = 0;
    std::uint32_t version_ = 0;
    std::uint32_t status_ = 0;
    std::uint32_t cpus_ = 0;
    std::uint64_t max_pfn_ = 0;
    std::uint64_t bitmap2_ = 0;
    std::uint64_t descs_ = 0;
    std::pair<std::uint64_t, std::uint64_t> vmcoreinfo_{0, 0};
    std::pair<std::uint64_t, std::uint64_t> notes_{0, 0};
    std::span<std::uint64_t> rank_{};
    std::span<std::byte> input_{};
    std::span<std::byte> cache_{};
    std::size_t slots_ = 0;
    std::array<std::uint64_t, max_cached> tags_{};
};

}  // namespace ksym
