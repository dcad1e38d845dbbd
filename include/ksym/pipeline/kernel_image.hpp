#pragma once
// A kernel image file and its System.map, through the three stages:
// detect the file once, locate from the map in one scan, resolve the format
// (relocations and map anchors included), then open tables on demand.

#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

#include "ksym/arch/dispatch.hpp"
#include "ksym/core/errc.hpp"
#include "ksym/core/result.hpp"
#include "ksym/elf/relocation.hpp"
#include "ksym/image/detect.hpp"
#include "ksym/image/elf_image.hpp"
#include "ksym/image/load_address.hpp"
#include "ksym/image/raw_image.hpp"
#include "ksym/kallsyms/format.hpp"
#include "ksym/kallsyms/locate.hpp"
#include "ksym/kallsyms/resolve.hpp"
#include "ksym/kallsyms/scan.hpp"
#include "ksym/kallsyms/table.hpp"
#include "ksym/memory/file_reader.hpp"
#include "ksym/memory/reader.hpp"
#include "ksym/pipeline/open_table.hpp"

namespace ksym {

/// Which input a kernel_image failure concerns, for messages.
enum class image_stage : std::uint8_t { image, map, kallsyms };

/// What a map-free open may be told about the image.
struct image_options {
    /// The virtual address of a raw image's first byte, when known: it then
    /// wins over recovery (load_evidence::given).
    std::optional<std::uint64_t> base;
    /// The target of a raw image without a header that names it (an armhf
    /// Image, an s390x or firmware blob); else word size and byte order
    /// come from the scan.
    std::optional<arch_id> arch;
};

/// An image opened for kallsyms decoding. Pinned in place (it holds readers
/// that refer to each other). Typical use:
///
///     ksym::kernel_image img;
///     if (auto s = img.open("vmlinux", map_text); !s) ...img.failed_stage()...
///     img.with_table([](auto& table) { ... table.for_each(...) ... });
class kernel_image {
public:
    kernel_image() = default;
    kernel_image(const kernel_image&) = delete;
    kernel_image& operator=(const kernel_image&) = delete;

    /// Opens `path` (an ELF vmlinux, or a raw Image placed at the map's
    /// `_text`), locates the kallsyms arrays in `system_map` and resolves
    /// their format. The map text need not outlive the call.
    ///
    /// A template only so that it is compiled where it is called: resolving
    /// instantiates the pipeline for every target, which every translation
    /// unit including the umbrella header would otherwise pay for.
    /// A file with no header that names its target (an armhf Image, an
    /// s390x kernel) is a raw image of `options.arch`, which it then needs.
    template <class Path = const char*>
    status open(Path path, std::string_view system_map, const image_options& options = {}) {
        stage_ = image_stage::image;
        auto f = file_reader::open(path);
        if (!f) return f.error();
        auto fmt = detect_image_format(*f);
        if (!fmt) return fmt.error();
        format_ = *fmt;
        if (format_ == image_format::unknown && !options.arch) return {errc::unsupported, 0};
        scanned_ = false;

        stage_ = image_stage::map;
        auto loc = locate_in_system_map(system_map);
        if (!loc) return loc.error();
        location_ = *loc;

        stage_ = image_stage::image;
        resolve_hints hints;
        hints.known = location_.anchors();
        if (format_ == image_format::elf) {
            auto h = elf::read_header(*f);
            if (!h) return h.error();
            arch_ = arch_from_elf(h->machine, h->is64, h->order);
            if (status s = elf_.open(std::move(*f)); !s) return s;
            reader_ = elf_;
        } else {
            // A RISC-V Image starts at `_start`, the PE/EFI header before `_text`.
            const auto start = location_.anchor("_start");
            const auto text = format_ == image_format::raw_riscv64 && start ? start : location_.anchor("_text");
            if (!text) {
                stage_ = image_stage::map;
                return {errc::not_found};
            }
            if (status s = raw_.open(std::move(*f), *text, true); !s) return s;
            const bool arm64 = format_ == image_format::raw_arm64;
            arch_ = format_ == image_format::unknown ? *options.arch : arm64 ? arch_id::arm64 : arch_id::riscv64;
            reader_ = raw_;
            if (format_ != image_format::unknown) {
                hints.relocations = raw_.file();
                hints.relocations_size = raw_.file().size();
                hints.relocation_type = arm64 ? r_aarch64_relative : r_riscv_relative;
            }
        }

        stage_ = image_stage::kallsyms;
        return with_arch(arch_, [&](auto traits) -> status {
            using Arch = decltype(traits);
            kallsyms_table<reader_ref, Arch> workspace;
            auto r = resolve_format<Arch>(reader_, location_.layout, hints, workspace);
            if (!r) return r.error();
            kallsyms_ = *r;
            return {};
        });
    }

    /// Opens `path` with no map: scans the file for the kallsyms arrays
    /// (kallsyms/scan.hpp), places an ELF file by its program headers and a
    /// raw image by the evidence of image/load_address.hpp (or
    /// `options.base`), then resolves the format as open() with a map does.
    /// `not_found` at the kallsyms stage: no table in the file.
    template <class Path = const char*>
    status open(Path path, const image_options& options = {}) {
        stage_ = image_stage::image;
        scanned_ = false;
        auto f = file_reader::open(path);
        if (!f) return f.error();
        auto fmt = detect_image_format(*f);
        if (!fmt) return fmt.error();
        format_ = *fmt;
        const std::span<const std::byte> bytes = f->view(0, static_cast<std::size_t>(f->size()));
        if (bytes.empty()) return {errc::unsupported, 0};
        location_ = {};

        scan_options so;
        std::uint32_t relocation_type = 0;
        if (format_ == image_format::elf) {
            auto h = elf::read_header(*f);
            if (!h) return h.error();
            arch_ = arch_from_elf(h->machine, h->is64, h->order);
            so.word_bytes = h->is64 ? 8 : 4;
            so.byte_order = h->order;
        } else if (format_ == image_format::raw_arm64 || format_ == image_format::raw_riscv64) {
            const bool arm64 = format_ == image_format::raw_arm64;
            arch_ = arm64 ? arch_id::arm64 : arch_id::riscv64;
            relocation_type = arm64 ? r_aarch64_relative : r_riscv_relative;
        } else if (options.arch) {
            arch_ = *options.arch;
        }
        if (format_ != image_format::unknown || options.arch) {
            with_arch(arch_, [&](auto traits) {
                using word = typename decltype(traits)::word;
                so.word_bytes = sizeof(word);
                so.byte_order = decltype(traits)::byte_order;
            });
        }
        stage_ = image_stage::kallsyms;
        auto sc = scan_kallsyms(bytes, so);
        if (!sc) return sc.error();
        scan_ = *sc;
        scanned_ = true;
        if (format_ == image_format::unknown && !options.arch) {
            const bool le = scan_.byte_order == std::endian::little;
            arch_ = scan_.word_bytes == 4 ? (le ? arch_id::generic32le : arch_id::generic32be)
                                          : (le ? arch_id::generic64le : arch_id::generic64be);
        }

        stage_ = image_stage::image;
        resolve_hints hints;
        kallsyms_layout layout = scan_.layout;
        if (format_ == image_format::elf) {
            if (status s = elf_.open(std::move(*f)); !s) return s;
            reader_ = elf_;
            if (status s = to_virtual(layout); !s) return s;
            load_ = {0, std::nullopt, load_evidence::elf_segments, 0, 0};
        } else {
            stage_ = image_stage::kallsyms;
            if (options.base) {
                load_ = {*options.base, std::nullopt, load_evidence::given, 0, 0};
            } else {
                status found = with_arch(arch_, [&](auto traits) -> status {
                    using Arch = decltype(traits);
                    kallsyms_table<buffer_reader, Arch> workspace;
                    auto a = recover_load_address<Arch>(bytes, scan_, relocation_type, workspace);
                    if (!a) return a.error();
                    load_ = *a;
                    return {};
                });
                if (!found) return found;
            }
            stage_ = image_stage::image;
            if (status s = raw_.open(std::move(*f), load_.base, true); !s) return s;
            reader_ = raw_;
            shift(layout, load_.base);
            // A base the file stores resolves as stored; one it leaves 0 is
            // the placement's.
            if (load_.relative_base && scan_.stored_relative_base == 0) hints.relative_base = load_.relative_base;
            hints.relocations = raw_.file();
            hints.relocations_size = raw_.file().size();
            hints.relocation_type = relocation_type;
        }

        stage_ = image_stage::kallsyms;
        location_.layout = layout;
        return with_arch(arch_, [&](auto traits) -> status {
            using Arch = decltype(traits);
            auto r = resolve_format<Arch>(reader_, layout, hints);
            if (!r) return r.error();
            kallsyms_ = *r;
            if (load_.evidence == load_evidence::relocation) kallsyms_.base_from = base_source::relocation;
            return {};
        });
    }

    /// Calls `f(kallsyms_table<reader_ref, Traits>&)` with this image's table
    /// opened (on the stack: one table, about 80 KiB) and returns f's status,
    /// or the open failure.
    template <class F>
    status with_table(F&& f) {
        return with_opened_table(arch_, reader_, kallsyms_, f);
    }

    [[nodiscard]] arch_id arch() const noexcept { return arch_; }
    [[nodiscard]] image_format format() const noexcept { return format_; }
    /// Stage 1 and 2 results: where the arrays are, and how to read them.
    [[nodiscard]] const kallsyms_location& location() const noexcept { return location_; }
    [[nodiscard]] const kallsyms_format& kallsyms() const noexcept { return kallsyms_; }
    /// The scan behind a map-free open (checks, encoding as scanned), or
    /// nullptr when the image was opened with a map.
    [[nodiscard]] const kallsyms_scan* scan() const noexcept { return scanned_ ? &scan_ : nullptr; }
    /// Where the image sits and which evidence said so (map-free opens).
    [[nodiscard]] const load_address& placement() const noexcept { return load_; }
    /// Which input the last failure concerned.
    [[nodiscard]] image_stage failed_stage() const noexcept { return stage_; }
    /// The image's memory at the kernel's virtual addresses.
    [[nodiscard]] reader_ref reader() const noexcept { return reader_; }
    /// The ELF file, when format() is elf: its header and program headers.
    [[nodiscard]] const elf_image& elf() const noexcept { return elf_; }
    /// The raw image, when format() is not elf (a headerless one opened
    /// without a map has format() unknown): its load address, size and
    /// header.
    [[nodiscard]] const raw_image& raw() const noexcept { return raw_; }

private:
    // Applies f to every array address the layout has, until one fails.
    template <class F>
    static constexpr status each_address(kallsyms_layout& l, F&& f) {
        for (std::uint64_t* v : {&l.num_syms, &l.names, &l.token_table, &l.token_index})
            if (status s = f(*v); !s) return s;
        for (std::optional<std::uint64_t>* v :
             {&l.markers, &l.addresses, &l.offsets, &l.relative_base, &l.seqs_of_names})
            if (*v)
                if (status s = f(**v); !s) return s;
        return {};
    }

    static constexpr void shift(kallsyms_layout& l, std::uint64_t base) noexcept {
        (void)each_address(l, [&](std::uint64_t& v) { return v += base, status{}; });
    }

    // File offsets to virtual addresses through the PT_LOAD segments.
    status to_virtual(kallsyms_layout& l) {
        const auto& file = elf_.file();
        return each_address(l, [&](std::uint64_t& v) -> status {
            for (std::uint16_t i = 0; i < elf_.header().phnum; ++i) {
                auto sg = elf::read_segment(file, elf_.header(), i);
                if (!sg) return sg.error();
                if (sg->type != elf::pt_load || v < sg->offset || v - sg->offset >= sg->filesz) continue;
                v = sg->vaddr + (v - sg->offset);
                return {};
            }
            return {errc::unmapped, v};
        });
    }

    elf_image elf_;
    raw_image raw_;
    reader_ref reader_;
    arch_id arch_ = arch_id::x86_64;
    image_format format_ = image_format::unknown;
    kallsyms_location location_{};
    kallsyms_format kallsyms_{};
    kallsyms_scan scan_{};
    load_address load_{};
    bool scanned_ = false;
    image_stage stage_ = image_stage::image;
};

}  // namespace ksym
