#pragma once
// An ELF core file of a kernel (kdump's /proc/vmcore, QEMU dump-guest-memory,
// /proc/kcore, makedumpfile -E) as memory: a physical view from p_paddr,
// a virtual view from p_vaddr where it can be trusted, and its notes.

#include <array>
#include <cstddef>
#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <utility>

#include "ksym/core/endian.hpp"
#include "ksym/core/errc.hpp"
#include "ksym/core/result.hpp"
#include "ksym/elf/elf_file.hpp"
#include "ksym/elf/notes.hpp"
#include "ksym/memory/file_reader.hpp"
#include "ksym/memory/segment_map.hpp"
#include "ksym/memory/zero_reader.hpp"

namespace ksym {

/// Which program wrote a core file, from its notes.
enum class core_producer : std::uint8_t {
    unknown,
    kdump,  ///< /proc/vmcore or makedumpfile -E: VMCOREINFO, no QEMU or kcore notes
    qemu,   ///< dump-guest-memory: "QEMU" notes per CPU
    kcore,  ///< /proc/kcore: an NT_TASKSTRUCT note
};

[[nodiscard]] constexpr std::string_view to_string(core_producer p) noexcept {
    switch (p) {
    case core_producer::unknown: return "unknown";
    case core_producer::kdump: return "kdump";
    case core_producer::qemu: return "qemu";
    case core_producer::kcore: return "kcore";
    }
    return "?";
}

/// One CPU's NT_PRSTATUS: the task it ran and its saved registers.
struct cpu_status {
    std::uint32_t pid = 0;
    std::uint64_t regs_offset = 0;  ///< file offset of pr_reg
    std::uint64_t regs_size = 0;    ///< bytes from pr_reg to the note's end (registers, then pr_fpvalid)
};

/// A kernel core file. Pinned in place (its maps refer to its file reader).
/// Rules for the two views follow drgn's, which real dumps forced:
/// - p_paddr is trusted when any PT_LOAD has a non-zero p_paddr or a
///   VMCOREINFO note exists; p_paddr == -1 (kcore's vmalloc and module
///   ranges) is skipped.
/// - p_vaddr is trusted only from kdump and kcore: QEMU without paging
///   writes p_vaddr == p_paddr and old QEMU wrote 0 for every segment, so a
///   core whose every p_vaddr is one of those is taken for QEMU's.
/// - Later PT_LOADs replace the parts of earlier ones they overlap (kdump
///   lists kernel text twice).
/// - Bytes past p_filesz up to p_memsz read as zeros; excluded_reads() says
///   how many reads touched them.
class elf_core {
public:
    static constexpr std::size_t max_segments = 512;
    /// Bytes of VMCOREINFO kept: the kernel's note is at most a page.
    static constexpr std::size_t vmcoreinfo_capacity = 16384;
    /// CPUs whose NT_PRSTATUS is kept (all are counted).
    static constexpr std::size_t max_cpus = 64;

    elf_core() = default;
    elf_core(const elf_core&) = delete;
    elf_core& operator=(const elf_core&) = delete;

    status open(const char* path) {
        auto f = file_reader::open(path);
        if (!f) return f.error();
        return open(std::move(*f));
    }

    /// Takes over an open file. Not ELF: `corrupt` at 0; an ELF file that is
    /// not a core: `unsupported`.
    status open(file_reader&& file) {
        file_ = std::move(file);
        auto h = elf::read_header(file_);
        if (!h) return h.error();
        hdr_ = *h;
        if (hdr_.type != elf::et_core) return {errc::unsupported, 16};
        if (status s = scan_notes(); !s) return s;
        return map_loads();
    }

    /// Reads physical memory.
    status read(std::uint64_t paddr, std::span<std::byte> out) const { return phys_.read(paddr, out); }

    [[nodiscard]] const elf::header& header() const noexcept { return hdr_; }
    [[nodiscard]] core_producer producer() const noexcept { return producer_; }
    /// The physical view (empty when p_paddr cannot be trusted).
    [[nodiscard]] const segment_map<max_segments>& physical() const noexcept { return phys_; }
    /// The virtual view (empty unless the producer's p_vaddr can be trusted).
    [[nodiscard]] const segment_map<max_segments>& virtual_view() const noexcept { return virt_; }
    /// VMCOREINFO text from its note (empty when there is none).
    [[nodiscard]] std::string_view vmcoreinfo() const noexcept { return {vmcoreinfo_.data(), vmcoreinfo_len_}; }
    /// NT_PRSTATUS notes: one per CPU.
    [[nodiscard]] std::size_t cpus() const noexcept { return cpus_; }
    /// The first max_cpus CPUs' NT_PRSTATUS: the task's pid and where the
    /// raw register block (elf_gregset_t, the target's layout) lies in the file.
    [[nodiscard]] std::span<const cpu_status> cpu_states() const noexcept {
        return std::span(cpu_states_).first(std::min(cpus_, max_cpus));
    }
    /// CR3 and CR4 of the first CPU, from QEMU's x86-64 CPU note.
    [[nodiscard]] std::optional<std::uint64_t> cr3() const noexcept { return cr3_; }
    [[nodiscard]] std::optional<std::uint64_t> cr4() const noexcept { return cr4_; }
    /// Reads served (partly) from excluded memory, which reads as zeros.
    [[nodiscard]] std::size_t excluded_reads() const noexcept { return zeros_.reads; }
    [[nodiscard]] const file_reader& file() const noexcept { return file_; }

private:
    status scan_notes() {
        bool qemu = false, kcore = false;
        for (std::uint16_t i = 0; i < hdr_.phnum; ++i) {
            auto sg = elf::read_segment(file_, hdr_, i);
            if (!sg) return sg.error();
            if (sg->type != elf::pt_note) continue;
            status inner;
            const status s = elf::for_each_note(file_, hdr_.order, sg->offset, sg->filesz, [&](const elf::note& n) {
                if (n.name() == "VMCOREINFO" && vmcoreinfo_len_ == 0) {
                    if (n.desc_size > vmcoreinfo_.size()) return inner = {errc::capacity, n.desc_offset}, false;
                    const auto len = static_cast<std::size_t>(n.desc_size);
                    inner = file_.read(n.desc_offset, std::as_writable_bytes(std::span(vmcoreinfo_).first(len)));
                    vmcoreinfo_len_ = inner ? len : 0;
                    return inner.ok();
                }
                if (n.name() == "CORE" && n.type == elf::nt_prstatus) {
                    // elf_prstatus: siginfo (12), cursig (2+2), sigpend and
                    // sighold (words), pid, ppid, pgrp, sid, four timevals
                    // (two words each), then the registers.
                    const std::uint64_t word = hdr_.is64 ? 8 : 4;
                    const std::uint64_t pid_at = 16 + 2 * word, regs_at = pid_at + 16 + 8 * word;
                    if (cpus_ < max_cpus && n.desc_size > regs_at) {
                        std::array<std::byte, 4> pid{};
                        if (!(inner = file_.read(n.desc_offset + pid_at, pid))) return false;
                        cpu_states_[cpus_] = {load<std::uint32_t>(pid.data(), hdr_.order), n.desc_offset + regs_at,
                                              n.desc_size - regs_at};
                    }
                    ++cpus_;
                }
                if (n.name() == "CORE" && n.type == elf::nt_taskstruct) kcore = true;
                if (n.name() == "QEMU") {
                    qemu = true;
                    // QEMUCPUState (x86-64): version, size, 18 registers, 10
                    // segments of 24 bytes, then cr[0..4].
                    constexpr std::uint64_t cr3_at = 8 + 18 * 8 + 10 * 24 + 3 * 8;
                    if (!cr3_ && hdr_.machine == 62 && n.desc_size >= cr3_at + 16) {
                        std::array<std::byte, 16> cr{};
                        if (!(inner = file_.read(n.desc_offset + cr3_at, cr))) return false;
                        cr3_ = load<std::uint64_t>(cr.data(), hdr_.order);
                        cr4_ = load<std::uint64_t>(cr.data() + 8, hdr_.order);
                    }
                }
                return true;
            });
            if (!s) return s;
            if (!inner) return inner;
        }
        producer_ = kcore ? core_producer::kcore
                    : qemu ? core_producer::qemu
                    : vmcoreinfo_len_ ? core_producer::kdump
                                      : core_producer::unknown;
        return {};
    }

    status map_loads() {
        bool any_paddr = vmcoreinfo_len_ != 0, identity = true;
        for (std::uint16_t i = 0; i < hdr_.phnum; ++i) {
            auto sg = elf::read_segment(file_, hdr_, i);
            if (!sg) return sg.error();
            if (sg->type != elf::pt_load) continue;
            any_paddr = any_paddr || sg->paddr != 0;
            identity = identity && (sg->vaddr == sg->paddr || sg->vaddr == 0);
        }
        // No kernel maps virtual addresses 1:1 or all at 0: that is QEMU
        // without paging (on arm64 it writes no "QEMU" note to say so).
        if (identity && producer_ != core_producer::kcore) producer_ = core_producer::qemu;
        const bool use_vaddr = producer_ == core_producer::kdump || producer_ == core_producer::kcore;
        const std::uint64_t none = hdr_.is64 ? ~std::uint64_t{0} : 0xffffffffu;
        for (std::uint16_t i = 0; i < hdr_.phnum; ++i) {
            auto sg = elf::read_segment(file_, hdr_, i);
            if (!sg) return sg.error();
            if (sg->type != elf::pt_load || sg->memsz == 0) continue;
            if (sg->filesz > sg->memsz) return {errc::corrupt, hdr_.phoff};
            if (any_paddr && sg->paddr != none) {
                if (status s = add(phys_, sg->paddr, *sg); !s) return s;
            }
            if (use_vaddr) {
                if (status s = add(virt_, sg->vaddr, *sg); !s) return s;
            }
        }
        return {};
    }

    status add(segment_map<max_segments>& map, std::uint64_t at, const elf::segment& sg) {
        if (!range_fits(at, sg.memsz)) return {errc::corrupt, hdr_.phoff};
        if (sg.filesz != 0) {
            if (status s = map.add(at, sg.filesz, file_, sg.offset); !s)
                return s.code() == errc::invalid_argument ? status{errc::corrupt, hdr_.phoff} : s;
        }
        if (sg.memsz > sg.filesz) {
            if (status s = map.add(at + sg.filesz, sg.memsz - sg.filesz, zeros_, 0); !s)
                return s.code() == errc::invalid_argument ? status{errc::corrupt, hdr_.phoff} : s;
        }
        return {};
    }

    file_reader file_{-1, 0, 0, 0};
    elf::header hdr_{};
    core_producer producer_ = core_producer::unknown;
    zero_reader zeros_{};
    segment_map<max_segments> phys_{};
    segment_map<max_segments> virt_{};
    std::array<char, vmcoreinfo_capacity> vmcoreinfo_{};
    std::size_t vmcoreinfo_len_ = 0;
    std::size_t cpus_ = 0;
    std::array<cpu_status, max_cpus> cpu_states_{};
    std::optional<std::uint64_t> cr3_, cr4_;
};

}  // namespace ksym
