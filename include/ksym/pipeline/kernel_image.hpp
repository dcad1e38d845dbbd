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
#include "ksym/image/raw_image.hpp"
#include "ksym/kallsyms/format.hpp"
#include "ksym/kallsyms/locate.hpp"
#include "ksym/kallsyms/resolve.hpp"
#include "ksym/kallsyms/table.hpp"
#include "ksym/memory/file_reader.hpp"
#include "ksym/memory/reader.hpp"
#include "ksym/pipeline/open_table.hpp"

namespace ksym {

/// Which input a kernel_image failure concerns, for messages.
enum class image_stage : std::uint8_t { image, map, kallsyms };

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
    template <class Path = const char*>
    status open(Path path, std::string_view system_map) {
        stage_ = image_stage::image;
        auto f = file_reader::open(path);
        if (!f) return f.error();
        auto fmt = detect_image_format(*f);
        if (!fmt) return fmt.error();
        format_ = *fmt;
        if (format_ == image_format::unknown) return {errc::unsupported, 0};

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
            const auto text = location_.anchor("_text");
            if (!text) {
                stage_ = image_stage::map;
                return {errc::not_found};
            }
            if (status s = raw_.open(std::move(*f), *text); !s) return s;
            const bool arm64 = format_ == image_format::raw_arm64;
            arch_ = arm64 ? arch_id::arm64 : arch_id::riscv64;
            reader_ = raw_;
            hints.relocations = raw_.file();
            hints.relocations_size = raw_.file().size();
            hints.relocation_type = arm64 ? r_aarch64_relative : r_riscv_relative;
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

    /// Calls `f(kallsyms_table<reader_ref, Traits>&)` with this image's table
    /// opened (on the stack: one table, about 45 KiB) and returns f's status,
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
    /// Which input the last failure concerned.
    [[nodiscard]] image_stage failed_stage() const noexcept { return stage_; }
    /// The image's memory at the kernel's virtual addresses.
    [[nodiscard]] reader_ref reader() const noexcept { return reader_; }

private:
    elf_image elf_;
    raw_image raw_;
    reader_ref reader_;
    arch_id arch_ = arch_id::x86_64;
    image_format format_ = image_format::unknown;
    kallsyms_location location_{};
    kallsyms_format kallsyms_{};
    image_stage stage_ = image_stage::image;
};

}  // namespace ksym
