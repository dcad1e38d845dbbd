#pragma once
// A kernel crash dump (an ELF core: kdump, QEMU, kcore) through the
// stages: the dump's own VMCOREINFO locates the arrays and gives the paging
// facts, kernel memory is read through the page tables, and the table is
// resolved against SYMBOL(_stext) with no System.map.

#include <cstdint>
#include <optional>
#include <string_view>

#include "ksym/arch/dispatch.hpp"
#include "ksym/core/errc.hpp"
#include "ksym/core/result.hpp"
#include "ksym/dump/elf_core.hpp"
#include "ksym/kallsyms/format.hpp"
#include "ksym/kallsyms/locate.hpp"
#include "ksym/kallsyms/resolve.hpp"
#include "ksym/kallsyms/table.hpp"
#include "ksym/memory/reader.hpp"
#include "ksym/paging/translating_reader.hpp"
#include "ksym/paging/x86_64.hpp"
#include "ksym/vmcoreinfo/vmcoreinfo.hpp"

namespace ksym {

/// Which input a crash_dump failure concerns, for messages.
enum class dump_stage : std::uint8_t { dump, vmcoreinfo, map, paging, kallsyms };

/// A crash dump opened for kallsyms decoding. Pinned in place; large (it
/// holds the core's segment maps), so give it static or heap storage.
class crash_dump {
public:
    using virtual_reader = translating_reader<elf_core, x86_64_paging>;

    crash_dump() = default;
    crash_dump(const crash_dump&) = delete;
    crash_dump& operator=(const crash_dump&) = delete;

    /// Opens the core at `path`. The arrays come from its VMCOREINFO (6.0+);
    /// for older kernels pass the System.map text, whose link-time addresses
    /// are shifted by KERNELOFFSET. The map text need not outlive the call.
    template <class Path = const char*>
    status open(Path path, std::string_view system_map = {}) {
        stage_ = dump_stage::dump;
        if (status s = core_.open(path); !s) return s;
        arch_ = arch_from_elf(core_.header().machine, core_.header().is64, core_.header().order);
        stage_ = dump_stage::vmcoreinfo;
        if (core_.vmcoreinfo().empty()) return {errc::not_found};
        facts_ = parse_vmcoreinfo(core_.vmcoreinfo());

        stage_ = dump_stage::paging;
        if (arch_ != arch_id::x86_64) return {errc::unsupported};
        if (!facts_.phys_base || !facts_.swapper_pg_dir) return {errc::not_found};
        paging_.phys_base = facts_.phys_base;
        paging_.root = x86_64_paging::image_to_physical(*facts_.swapper_pg_dir, *facts_.phys_base);
        paging_.sme_mask = facts_.sme_mask.value_or(0);
        if (facts_.kernel_image_size) paging_.image_size = *facts_.kernel_image_size;
        // 5-level is the running kernel's choice: VMCOREINFO says, else CR4.LA57.
        paging_.levels = 4;
        if (facts_.pgtable_l5_enabled) paging_.levels = *facts_.pgtable_l5_enabled ? 5 : 4;
        else if (core_.cr4() && (*core_.cr4() & (1u << 12))) paging_.levels = 5;
        reader_.emplace(core_, paging_);
        ref_ = *reader_;

        stage_ = dump_stage::map;
        auto loc = locate_in_vmcoreinfo(core_.vmcoreinfo());
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
    /// (on the stack, about 45 KiB) and returns f's status or the open failure.
    template <class F>
    status with_table(F&& f) {
        return with_arch(arch_, [&](auto traits) -> status {
            kallsyms_table<reader_ref, decltype(traits)> t;
            if (status s = t.open(ref_, kallsyms_); !s) return s;
            return f(t);
        });
    }

    [[nodiscard]] arch_id arch() const noexcept { return arch_; }
    [[nodiscard]] const elf_core& core() const noexcept { return core_; }
    [[nodiscard]] const vmcoreinfo_facts& vmcoreinfo() const noexcept { return facts_; }
    [[nodiscard]] const x86_64_paging& paging() const noexcept { return paging_; }
    [[nodiscard]] const kallsyms_location& location() const noexcept { return location_; }
    [[nodiscard]] const kallsyms_format& kallsyms() const noexcept { return kallsyms_; }
    [[nodiscard]] dump_stage failed_stage() const noexcept { return stage_; }
    /// Kernel virtual memory, through the page tables.
    [[nodiscard]] reader_ref reader() const noexcept { return ref_; }
    /// The translation of one virtual address (no cache).
    result<translation> translate(std::uint64_t va) {
        if (!reader_) return status{errc::invalid_argument};
        return reader_->translate(va);
    }

private:
    static void shift(kallsyms_location& loc, std::uint64_t by) {
        kallsyms_layout& l = loc.layout;
        for (std::uint64_t* a : {&l.num_syms, &l.names, &l.token_table, &l.token_index}) *a += by;
        for (auto* o : {&l.markers, &l.addresses, &l.offsets, &l.relative_base, &l.seqs_of_names})
            if (*o) **o += by;
        for (auto& k : loc.known) k.address += by;
    }

    elf_core core_;
    arch_id arch_ = arch_id::x86_64;
    vmcoreinfo_facts facts_{};
    x86_64_paging paging_{};
    std::optional<virtual_reader> reader_;
    reader_ref ref_;
    kallsyms_location location_{};
    kallsyms_format kallsyms_{};
    dump_stage stage_ = dump_stage::dump;
};

}  // namespace ksym
