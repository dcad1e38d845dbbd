#pragma once
// A kernel ELF file (vmlinux, stripped or not) as a MemoryReader over its
// virtual addresses.

#include <cstdint>
#include <span>

#include "ksym/core/errc.hpp"
#include "ksym/core/result.hpp"
#include "ksym/elf/elf_file.hpp"
#include "ksym/memory/file_reader.hpp"
#include "ksym/memory/segment_map.hpp"

namespace ksym {

/// Maps the PT_LOAD segments of an ELF file: virtual address -> file offset,
/// over p_filesz bytes. Later segments win where they overlap. Construct,
/// then open(); the object is pinned in place because its map refers to its
/// own file reader.
class elf_image {
public:
    static constexpr std::size_t max_segments = 64;

    elf_image() = default;
    elf_image(const elf_image&) = delete;
    elf_image& operator=(const elf_image&) = delete;

    /// Opens `path`. Not ELF: `corrupt`; no loadable segment: `unsupported`.
    status open(const char* path) {
        auto f = file_reader::open(path);
        if (!f) return f.error();
        return open(std::move(*f));
    }
    /// Takes over a file already open.
    status open(file_reader&& file) {
        file_ = std::move(file);
        return load();
    }

    /// Reads virtual addresses.
    status read(std::uint64_t addr, std::span<std::byte> out) const { return map_.read(addr, out); }

    [[nodiscard]] const elf::header& header() const noexcept { return hdr_; }
    /// The file itself, addressed by offset.
    [[nodiscard]] const file_reader& file() const noexcept { return file_; }
    [[nodiscard]] const segment_map<max_segments>& segments() const noexcept { return map_; }

private:
    status load() {
        auto h = elf::read_header(file_);
        if (!h) return h.error();
        hdr_ = *h;
        std::size_t loads = 0;
        for (std::uint16_t i = 0; i < hdr_.phnum; ++i) {
            auto sg = elf::read_segment(file_, hdr_, i);
            if (!sg) return sg.error();
            if (sg->type != elf::pt_load || sg->filesz == 0) continue;
            if (status s = map_.add(sg->vaddr, sg->filesz, file_, sg->offset); !s)
                return s.code() == errc::invalid_argument ? status{errc::corrupt, hdr_.phoff} : s;
            ++loads;
        }
        if (loads == 0) return {errc::unsupported, hdr_.phoff};
        return {};
    }

    file_reader file_{-1, 0, 0, 0};
    elf::header hdr_{};
    segment_map<max_segments> map_{};
};

}  // namespace ksym
