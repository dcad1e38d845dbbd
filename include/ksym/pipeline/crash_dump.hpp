#pragma once
// A kernel crash dump (an ELF core: kdump, QEMU, kcore; x86-64 or arm64) through the
// stages: the dump's own VMCOREINFO locates the arrays and gives the paging
// facts, kernel memory is read through the page tables, and the table is
// resolved against SYMBOL(_stext) with no System.map.

#include <array>
#include <bit>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "ksym/arch/dispatch.hpp"
#include "ksym/core/errc.hpp"
#include "ksym/core/result.hpp"
#include "ksym/dump/elf_core.hpp"
#include "ksym/dump/flattened.hpp"
#include "ksym/dump/kdump.hpp"
#include "ksym/memory/file_reader.hpp"
#include "ksym/kallsyms/format.hpp"
#include "ksym/kallsyms/locate.hpp"
#include "ksym/kallsyms/resolve.hpp"
#include "ksym/kallsyms/table.hpp"
#include "ksym/memory/reader.hpp"
#include "ksym/paging/arm64.hpp"
#include "ksym/paging/translating_reader.hpp"
#include "ksym/paging/x86_64.hpp"
#include "ksym/pipeline/open_table.hpp"
#include "ksym/vmcoreinfo/vmcoreinfo.hpp"

namespace ksym {

/// Which input a crash_dump failure concerns, for messages.
enum class dump_stage : std::uint8_t { dump, vmcoreinfo, map, paging, kallsyms };

/// The container a crash dump came in.
enum class dump_format : std::uint8_t {
    elf,        ///< an ELF core
    kdump,      ///< a compressed kdump file
    flattened,  ///< a compressed kdump as a makedumpfile flattened stream
};

[[nodiscard]] constexpr std::string_view to_string(dump_format f) noexcept {
    switch (f) {
    case dump_format::elf: return "elf-core";
    case dump_format::kdump: return "kdump-compressed";
    case dump_format::flattened: return "kdump-flattened";
    }
    return "?";
}

/// A crash dump opened for kallsyms decoding: an ELF core, or a compressed
/// kdump whose pages `D` decompresses (see dump/kdump.hpp). Pinned in
/// place, and large (segment maps, a page cache): give it static or heap
/// storage.
template <Decompressor D = no_decompressor>
class basic_crash_dump {
public:
    using x86_64_reader = translating_reader<reader_ref, x86_64_paging>;
    using arm64_reader = translating_reader<reader_ref, arm64_paging>;
    /// Pages of compressed-dump cache held in the object.
    static constexpr std::size_t cached_pages = 16;

    basic_crash_dump() = default;
    basic_crash_dump(const basic_crash_dump&) = delete;
    basic_crash_dump& operator=(const basic_crash_dump&) = delete;

    /// Opens the dump at `path`. The arrays come from its VMCOREINFO (6.0+);
    /// for older kernels pass the System.map text, whose link-time addresses
    /// are shifted by KERNELOFFSET. The map text need not outlive the call.
    /// A compressed dump's page cache and rank index are allocated here,
    /// once: open is not a decode or lookup path.
    template <class Path = const char*>
    status open(Path path, std::string_view system_map = {}, D decompressor = {}) {
        stage_ = dump_stage::dump;
        auto file = file_reader::open(path);
        if (!file) return file.error();
        std::array<std::byte, 8> magic{};
        if (status s = file->read(0, magic); !s) return s;
        std::string_view vmcoreinfo;
        if (magic[0] == std::byte{0x7f}) {
            format_ = dump_format::elf;
            if (status s = core_.open(std::move(*file)); !s) return s;
            arch_ = arch_from_elf(core_.header().machine, core_.header().is64, core_.header().order);
            phys_ = core_;
            cpus_ = core_.cpus();
            vmcoreinfo = core_.vmcoreinfo();
        } else {
            format_ = dump_format::kdump;
            if (flattened_reader::is_flattened(*file)) {
                // Read in place through an index of its records.
                format_ = dump_format::flattened;
                auto n = flattened_reader::count(*file);
                if (!n) return n.error();
                records_.assign(*n, flat_record{});
                if (status s = flat_.open(std::move(*file), records_); !s) return s;
                if (status s = kdump_.open(flat_, flat_.size(), std::move(decompressor)); !s) return s;
            } else if (status s = kdump_.open(std::move(*file), std::move(decompressor)); !s) {
                return s;
            }
            rank_.assign(kdump_.rank_words(), 0);
            pages_.assign(kdump_.workspace(cached_pages), std::byte{0});
            if (status s = kdump_.bind(rank_, pages_); !s) return s;
            phys_ = kdump_;
            cpus_ = kdump_.cpus();
            const auto [at, size] = kdump_.vmcoreinfo_range();
            if (size > text_.size()) return {errc::capacity, at};
            const auto n = static_cast<std::size_t>(size);
            if (status s = kdump_.file().read(at, std::as_writable_bytes(std::span(text_).first(n))); !s) return s;
            vmcoreinfo = std::string_view(text_.data(), n);
        }
        stage_ = dump_stage::vmcoreinfo;
        if (vmcoreinfo.empty()) return {errc::not_found};
        facts_ = parse_vmcoreinfo(vmcoreinfo);
        if (format_ != dump_format::elf) {
            // The kdump header names no machine; the paging keys tell.
            arch_ = facts_.kimage_voffset ? arch_id::arm64 : facts_.phys_base ? arch_id::x86_64 : arch_id::generic64le;
        }

        stage_ = dump_stage::paging;
        if (status s = setup_paging(); !s) return s;

        stage_ = dump_stage::map;
        auto loc = locate_in_vmcoreinfo(vmcoreinfo);
        if (!loc && !system_map.empty()) {
            loc = locate_in_system_map(system_map);
            if (loc) shift(*loc, facts_.kernel_offset.value_or(0));
        }
        if (!loc) return loc.error();
        location_ = *loc;

        stage_ = dump_stage::kallsyms;
        resolve_hints hints;
        hints.known = location_.anchors();
        return with_arch(arch_, [&](auto traits) -> status {
            using Arch = decltype(traits);
            kallsyms_table<reader_ref, Arch> workspace;
            auto r = resolve_format<Arch>(ref_, location_.layout, hints, workspace);
            if (!r) return r.error();
            kallsyms_ = *r;
            return {};
        });
    }

    /// Calls `f(kallsyms_table<reader_ref, Traits>&)` with the table opened
    /// (on the stack, about 80 KiB) and returns f's status or the open failure.
    template <class F>
    status with_table(F&& f) {
        return with_opened_table(arch_, ref_, kallsyms_, f);
    }

    [[nodiscard]] arch_id arch() const noexcept { return arch_; }
    [[nodiscard]] dump_format format() const noexcept { return format_; }
    /// The ELF core (format() == elf) or the compressed dump (the others).
    [[nodiscard]] const elf_core& core() const noexcept { return core_; }
    [[nodiscard]] const kdump_file<D>& kdump() const noexcept { return kdump_; }
    /// CPUs the dump describes (NT_PRSTATUS notes, or the kdump header).
    [[nodiscard]] std::size_t cpus() const noexcept { return cpus_; }
    [[nodiscard]] const vmcoreinfo_facts& vmcoreinfo() const noexcept { return facts_; }
    /// The walk rules in use: x86-64 or arm64, by arch().
    [[nodiscard]] const x86_64_paging& x86_64() const noexcept { return x86_; }
    [[nodiscard]] const arm64_paging& arm64() const noexcept { return arm_; }
    /// Paging summary for reports: table levels and virtual-address bits.
    [[nodiscard]] unsigned levels() const noexcept { return arch_ == arch_id::arm64 ? arm_.levels() : x86_.levels; }
    [[nodiscard]] unsigned va_bits() const noexcept {
        return arch_ == arch_id::arm64 ? arm_.va_bits : 12u + 9u * x86_.levels;
    }
    [[nodiscard]] const kallsyms_location& location() const noexcept { return location_; }
    [[nodiscard]] const kallsyms_format& kallsyms() const noexcept { return kallsyms_; }
    [[nodiscard]] dump_stage failed_stage() const noexcept { return stage_; }
    /// Kernel virtual memory, through the page tables.
    [[nodiscard]] reader_ref reader() const noexcept { return ref_; }
    /// The translation of one virtual address (no cache).
    result<translation> translate(std::uint64_t va) {
        if (x86_reader_) return x86_reader_->translate(va);
        if (arm_reader_) return arm_reader_->translate(va);
        return status{errc::invalid_argument};
    }

private:
    // The page-table facts from VMCOREINFO (and QEMU's CPU note on x86-64).
    status setup_paging() {
        const vmcoreinfo_facts& v = facts_;
        if (arch_ == arch_id::x86_64) {
            if (!v.phys_base || !v.swapper_pg_dir) return {errc::not_found};
            x86_.phys_base = v.phys_base;
            x86_.root = x86_64_paging::image_to_physical(*v.swapper_pg_dir, *v.phys_base);
            x86_.sme_mask = v.sme_mask.value_or(0);
            if (v.kernel_image_size) x86_.image_size = *v.kernel_image_size;
            // 5-level is the running kernel's choice: VMCOREINFO says, else CR4.LA57.
            x86_.levels = 4;
            if (v.pgtable_l5_enabled) x86_.levels = *v.pgtable_l5_enabled ? 5 : 4;
            else if (core_.cr4() && (*core_.cr4() & (1u << 12))) x86_.levels = 5;
            x86_reader_.emplace(phys_, x86_);
            ref_ = *x86_reader_;
            return {};
        }
        if (arch_ == arch_id::arm64) {
            if (!v.swapper_pg_dir || !v.kimage_voffset || !v.page_size || !v.va_bits) return {errc::not_found};
            const std::uint64_t ps = *v.page_size;
            if (ps != 4096 && ps != 16384 && ps != 65536) return {errc::unsupported};
            arm_.page_shift = static_cast<std::uint8_t>(std::countr_zero(ps));
            std::uint64_t va = *v.va_bits;
            if (ps != 65536 && v.tcr_el1_t1sz) va = 64 - *v.tcr_el1_t1sz;
            if (va <= arm_.page_shift || va > 52) return {errc::unsupported};
            arm_.va_bits = static_cast<std::uint8_t>(va);
            arm_.root = *v.swapper_pg_dir - *v.kimage_voffset;
            arm_.pac_mask = v.kernel_pac_mask.value_or(0);
            arm_reader_.emplace(phys_, arm_);
            ref_ = *arm_reader_;
            return {};
        }
        return {errc::unsupported};
    }

    static void shift(kallsyms_location& loc, std::uint64_t by) {
        kallsyms_layout& l = loc.layout;
        for (std::uint64_t* a : {&l.num_syms, &l.names, &l.token_table, &l.token_index}) *a += by;
        for (auto* o : {&l.markers, &l.addresses, &l.offsets, &l.relative_base, &l.seqs_of_names})
            if (*o) **o += by;
        for (auto& k : loc.known) k.address += by;
    }

    elf_core core_;
    kdump_file<D> kdump_;
    flattened_reader flat_;
    std::vector<flat_record> records_;
    std::vector<std::uint64_t> rank_;
    std::vector<std::byte> pages_;
    std::array<char, elf_core::vmcoreinfo_capacity> text_{};
    reader_ref phys_;
    dump_format format_ = dump_format::elf;
    std::size_t cpus_ = 0;
    arch_id arch_ = arch_id::x86_64;
    vmcoreinfo_facts facts_{};
    x86_64_paging x86_{};
    arm64_paging arm_{};
    std::optional<x86_64_reader> x86_reader_;
    std::optional<arm64_reader> arm_reader_;
    reader_ref ref_;
    kallsyms_location location_{};
    kallsyms_format kallsyms_{};
    dump_stage stage_ = dump_stage::dump;
};

/// A crash dump whose compressed pages, if any, cannot be decompressed.
using crash_dump = basic_crash_dump<>;

}  // namespace ksym
