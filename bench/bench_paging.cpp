// Address translation on real crash dumps, beside baselines run over the
// same bytes in the same process:
//   - ksym's walker (x86_64_paging / arm64_paging) and its translating_reader;
//   - a plain walk written out below (no canonical check, no SME mask, no
//     image shortcut), reading its entries through the same physical reader;
//   - libkdumpfile (Debian libkdumpfile-dev), when CMake found it: its page-
//     table method walked with addrxlat_walk, and addrxlat_fulladdr_conv,
//     which picks its own method (linear for the direct map, no walk).
//
// Dumps come from tests/dumps/make.sh: $KSYM_DUMPS, else
// $HOME/.cache/ksym/dumps; $KSYM_BENCH_DUMPS picks cases (comma-separated,
// default amd64-6.1,amd64-7,arm64-7). Each case's vmcore.elf is mapped
// (MAP_POPULATE) and its PT_LOADs wrapped in a segment_map of buffer_readers,
// so "mem" figures are the walker's and the reader stack's, not the disk's;
// "pread" figures read through ksym::elf_core (one pread per entry).
//
// Physical readers in the benchmark names:
//   flat   this file's reader: a scan of the (2 or 3) PT_LOADs, then memcpy
//   mem    segment_map<512> of buffer_readers (reader_ref per piece), the
//          shape elf_core gives a file, over memory
//   pread  ksym::elf_core: segment_map<512> of file_readers
//   tool   ksym::crash_dump::translate, the tool's path (reader_ref -> elf_core)
//
// Address sets, sampled once with a fixed seed (every sample is checked
// against every walker before anything is timed; a mismatch aborts):
//   direct  random RAM pages through the direct (linear) map: x86-64
//           page_offset_base (read from the dump) + pa; arm64 PAGE_OFFSET +
//           pa - PHYS_OFFSET. The answer must be pa.
//   module  addresses of module symbols in the guest's /proc/kallsyms
//   pte     4 KiB leaves found by enumerating the kernel's tables, outside
//           the direct map and the x86-64 image shortcut (vmalloc, modules,
//           fixmap; on arm64 also the kernel image): every walk is full depth
//
// After each timed loop every sampled call is timed on its own with the TSC
// (timer cost subtracted), giving p50/p99 counters. This VM's TSC steps 10 ns
// at a time, so calls not through pread are timed in batches (64 for cache
// hits, 8 otherwise) and the batch time divided: p50/p99 of batch means.
#include <benchmark/benchmark.h>

#include "timer.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "ksym/dump/elf_core.hpp"
#include "ksym/elf/elf_file.hpp"
#include "ksym/memory/buffer_reader.hpp"
#include "ksym/memory/segment_map.hpp"
#include "ksym/memory/zero_reader.hpp"
#include "ksym/paging/arm64.hpp"
#include "ksym/paging/translating_reader.hpp"
#include "ksym/paging/x86_64.hpp"
#include "ksym/pipeline/crash_dump.hpp"

#if defined(KSYM_BENCH_HAVE_KDUMPFILE)
#include <libkdumpfile/kdumpfile.h>
#endif

namespace {

[[noreturn]] void fail(const char* fmt, ...) {
    std::va_list ap;
    va_start(ap, fmt);
    std::fputs("bench_paging: ", stderr);
    std::vfprintf(stderr, fmt, ap);
    std::fputc('\n', stderr);
    va_end(ap);
    std::abort();
}

using phys_map = ksym::segment_map<512>;

struct load_segment {
    std::uint64_t paddr, filesz, memsz, offset;
};

// This file's physical reader over the mapped ELF: a scan of the loads, then
// memcpy. Only the bytes in the file (filesz) are served.
struct flat_reader {
    const std::byte* file = nullptr;
    const std::vector<load_segment>* loads = nullptr;

    const std::byte* at(std::uint64_t pa, std::size_t n) const {
        for (const load_segment& l : *loads)
            if (pa >= l.paddr && pa - l.paddr < l.filesz && n <= l.filesz - (pa - l.paddr))
                return file + l.offset + (pa - l.paddr);
        return nullptr;
    }
    ksym::status read(std::uint64_t pa, std::span<std::byte> out) const {
        const std::byte* p = at(pa, out.size());
        if (p == nullptr) return ksym::status::fault(pa);
        // A fixed-size copy for the common entry size: GCC expands a
        // runtime-length memcpy here as `rep movsq`, which costs more than
        // the rest of a cached read.
        if (out.size() == 8) std::memcpy(out.data(), p, 8);
        else std::memcpy(out.data(), p, out.size());
        return {};
    }
};

// ---- The plain walks: what a page-table walk is, and nothing else ----------

struct plain_leaf {
    std::uint64_t pa = 0, size = 0;
};

template <class P>
bool read_entry(P& phys, std::uint64_t at, std::uint64_t& entry) {
    std::array<std::byte, 8> raw{};
    if (!phys.read(at, std::span(raw))) return false;
    std::memcpy(&entry, raw.data(), 8);  // little-endian host and target
    return true;
}

// x86-64, 4 or 5 levels: present bit, PS at PUD/PMD, bits 12..51.
template <class P>
std::optional<plain_leaf> plain_walk_x86(P& phys, std::uint64_t root, unsigned levels, std::uint64_t va) {
    std::uint64_t table = root;
    for (unsigned level = levels; level-- > 0;) {
        const unsigned shift = 12 + 9 * level;
        std::uint64_t e = 0;
        if (!read_entry(phys, table + 8 * ((va >> shift) & 511), e) || !(e & 1)) return std::nullopt;
        if (level == 0 || (e & 0x80)) {
            const std::uint64_t size = std::uint64_t{1} << shift;
            return plain_leaf{(e & 0x000ffffffffff000ull & ~(size - 1)) | (va & (size - 1)), size};
        }
        table = e & 0x000ffffffffff000ull;
    }
    return std::nullopt;
}

// arm64, 4 KiB granule, 39..52-bit VA (LPA2 output bits at 52).
struct arm64_4k {
    unsigned va_bits;
    [[nodiscard]] unsigned levels() const { return (va_bits - 12 + 8) / 9; }
    [[nodiscard]] unsigned top_bits() const { return va_bits - 12 - 9 * (levels() - 1); }
    [[nodiscard]] std::uint64_t oa(std::uint64_t d) const {
        return va_bits == 52 ? (d & 0x0003fffffffff000ull) | ((d & 0x300u) << 42) : d & 0x0000fffffffff000ull;
    }
};

template <class P>
std::optional<plain_leaf> plain_walk_arm64(P& phys, std::uint64_t root, arm64_4k g, std::uint64_t va) {
    std::uint64_t table = root;
    const unsigned levels = g.levels();
    for (unsigned level = levels; level-- > 0;) {
        const unsigned shift = 12 + 9 * level;
        const std::uint64_t mask = level + 1 == levels ? (std::uint64_t{1} << g.top_bits()) - 1 : 511;
        std::uint64_t d = 0;
        if (!read_entry(phys, table + 8 * ((va >> shift) & mask), d) || !(d & 1)) return std::nullopt;
        if (level == 0 && (d & 3) != 3) return std::nullopt;
        if (level == 0 || (d & 3) == 1) {
            const std::uint64_t size = std::uint64_t{1} << shift;
            return plain_leaf{(g.oa(d) & ~(size - 1)) | (va & (size - 1)), size};
        }
        table = g.oa(d);
    }
    return std::nullopt;
}

// ---- One dump --------------------------------------------------------------

struct sample {
    std::uint64_t va = 0, pa = 0, page_size = 0;
};

struct dump_case {
    std::string name;
    std::filesystem::path dir;
    ksym::arch_id arch = ksym::arch_id::x86_64;
    const std::byte* file = nullptr;
    std::size_t file_size = 0;
    std::vector<load_segment> loads;
    std::vector<ksym::buffer_reader> pieces;
    ksym::zero_reader zeros;
    phys_map mem;
    flat_reader flat;
    std::unique_ptr<ksym::elf_core> core;    // pread
    std::unique_ptr<ksym::crash_dump> dump;  // the tool's object
    ksym::x86_64_paging x86{};
    ksym::arm64_paging arm{};
    std::uint64_t direct_base = 0;  // virtual address of phys_offset in the direct map
    std::uint64_t phys_offset = 0;  // 0 on x86-64, PHYS_OFFSET on arm64
    std::map<std::string, std::vector<sample>> sets;
    std::vector<std::uint64_t> hot;    // 32 direct-map addresses in consecutive pages
    std::vector<std::uint64_t> cross;  // 8 bytes before each of 32 consecutive page ends
    std::vector<std::uint64_t> cold;   // random direct-map addresses (cache misses)
    std::vector<std::uint64_t> cold_cross;
#if defined(KSYM_BENCH_HAVE_KDUMPFILE)
    kdump_ctx_t* kctx = nullptr;
    addrxlat_ctx_t* axctx = nullptr;
    addrxlat_sys_t* axsys = nullptr;
    const addrxlat_meth_t* pgt = nullptr;
#endif

    [[nodiscard]] std::uint64_t expect_bytes(std::uint64_t pa) const {
        const std::byte* p = flat.at(pa, 8);
        if (p == nullptr) fail("%s: pa %#llx outside the loads", name.c_str(), (unsigned long long)pa);
        std::uint64_t v = 0;
        std::memcpy(&v, p, 8);
        return v;
    }
};

std::vector<std::unique_ptr<dump_case>>& cases() {
    static std::vector<std::unique_ptr<dump_case>> c;
    return c;
}

// The walks, by arch, over any physical reader.
template <class P>
ksym::result<ksym::translation> ksym_walk(const dump_case& d, P& phys, std::uint64_t va) {
    return d.arch == ksym::arch_id::arm64 ? d.arm.translate(phys, va) : d.x86.translate(phys, va);
}
template <class P>
std::optional<plain_leaf> plain_walk(const dump_case& d, P& phys, std::uint64_t va) {
    return d.arch == ksym::arch_id::arm64 ? plain_walk_arm64(phys, d.arm.root, arm64_4k{d.arm.va_bits}, va)
                                          : plain_walk_x86(phys, d.x86.root, d.x86.levels, va);
}

#if defined(KSYM_BENCH_HAVE_KDUMPFILE)
// libkdumpfile's page-table method, walked: the apples-to-apples figure.
std::optional<std::uint64_t> kdf_walk(const dump_case& d, std::uint64_t va) {
    addrxlat_step_t step{};
    step.ctx = d.axctx;
    step.sys = d.axsys;
    step.meth = d.pgt;
    step.base.addr = va;
    step.base.as = ADDRXLAT_KVADDR;
    if (addrxlat_walk(&step) != ADDRXLAT_OK) return std::nullopt;
    return step.base.addr;
}
// libkdumpfile's own choice of method for a kernel virtual address.
std::optional<std::uint64_t> kdf_conv(const dump_case& d, std::uint64_t va) {
    addrxlat_fulladdr_t fa{va, ADDRXLAT_KVADDR};
    if (addrxlat_fulladdr_conv(&fa, ADDRXLAT_KPHYSADDR, d.axctx, d.axsys) != ADDRXLAT_OK) return std::nullopt;
    return fa.addr;
}
#endif

// ---- Loading ---------------------------------------------------------------

std::filesystem::path dumps_dir() {
    if (const char* e = std::getenv("KSYM_DUMPS")) return e;
    const char* home = std::getenv("HOME");
    return std::filesystem::path(home ? home : "/root") / ".cache/ksym/dumps";
}

struct kallsyms_line {
    std::uint64_t addr;
    std::string name, module;
};

std::vector<kallsyms_line> read_kallsyms(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::vector<kallsyms_line> out;
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        std::string a, t, n, m;
        if (!(ls >> a >> t >> n)) continue;
        ls >> m;
        out.push_back({std::stoull(a, nullptr, 16), n, m});
    }
    return out;
}

void map_file(dump_case& d) {
    const auto path = d.dir / "vmcore.elf";
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail("cannot open %s", path.c_str());
    struct stat st{};
    if (::fstat(fd, &st) != 0) fail("fstat %s", path.c_str());
    d.file_size = static_cast<std::size_t>(st.st_size);
    void* p = ::mmap(nullptr, d.file_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    if (p == MAP_FAILED) fail("mmap %s", path.c_str());
    ::close(fd);
    d.file = static_cast<const std::byte*>(p);

    // The physical view as elf_core builds it, from p_paddr, over memory.
    ksym::buffer_reader whole(std::span(d.file, d.file_size), 0);
    auto h = ksym::elf::read_header(whole);
    if (!h) fail("%s: not ELF", path.c_str());
    d.pieces.reserve(h->phnum);
    for (std::uint16_t i = 0; i < h->phnum; ++i) {
        auto sg = ksym::elf::read_segment(whole, *h, i);
        if (!sg) fail("%s: phdr %u", path.c_str(), unsigned{i});
        if (sg->type != ksym::elf::pt_load || sg->memsz == 0) continue;
        d.loads.push_back({sg->paddr, sg->filesz, sg->memsz, sg->offset});
        if (sg->filesz) {
            d.pieces.emplace_back(std::span(d.file + sg->offset, static_cast<std::size_t>(sg->filesz)), sg->paddr);
            if (!d.mem.add(sg->paddr, sg->filesz, d.pieces.back())) fail("segment_map add");
        }
        if (sg->memsz > sg->filesz && !d.mem.add(sg->paddr + sg->filesz, sg->memsz - sg->filesz, d.zeros, 0))
            fail("segment_map add");
    }
    d.flat = flat_reader{d.file, &d.loads};
}

// Every 4 KiB leaf of the kernel half, by a plain recursive walk of `flat`.
void enumerate_x86(const dump_case& d, std::uint64_t table, unsigned level, std::uint64_t va_prefix,
                   std::vector<std::uint64_t>& out) {
    for (std::uint64_t i = level + 1 == d.x86.levels ? 256 : 0; i < 512; ++i) {
        std::uint64_t e = 0;
        if (!read_entry(d.flat, table + 8 * i, e) || !(e & 1)) continue;
        const std::uint64_t va = va_prefix | (i << (12 + 9 * level));
        if (level == 0) {
            out.push_back(va);
        } else if (!(e & 0x80)) {
            enumerate_x86(d, e & 0x000ffffffffff000ull, level - 1, va, out);
        }
        if (out.size() > (1u << 21)) return;
    }
}

void enumerate_arm64(const dump_case& d, arm64_4k g, std::uint64_t table, unsigned level, std::uint64_t va_prefix,
                     std::vector<std::uint64_t>& out) {
    const std::uint64_t n = level + 1 == g.levels() ? std::uint64_t{1} << g.top_bits() : 512;
    for (std::uint64_t i = 0; i < n; ++i) {
        std::uint64_t e = 0;
        if (!read_entry(d.flat, table + 8 * i, e) || !(e & 1)) continue;
        const std::uint64_t va = va_prefix | (i << (12 + 9 * level));
        if (level == 0) {
            if ((e & 3) == 3) out.push_back(va);
        } else if ((e & 3) == 3) {
            enumerate_arm64(d, g, g.oa(e), level - 1, va, out);
        }
        if (out.size() > (1u << 21)) return;
    }
}

// Every walker must give the same answer for `va`; returns it, or nullopt
// when all agree it is unmapped.
std::optional<sample> check(dump_case& d, std::uint64_t va) {
    const auto plain_flat = plain_walk(d, d.flat, va);
    const auto plain_mem = plain_walk(d, d.mem, va);
    const auto k_flat = ksym_walk(d, d.flat, va);
    const auto k_mem = ksym_walk(d, d.mem, va);
    const auto k_pread = ksym_walk(d, *d.core, va);
    const auto k_tool = d.dump->translate(va);
    auto same = [&](const ksym::result<ksym::translation>& k) {
        if (!plain_flat) return !k && k.error().code() == ksym::errc::unmapped;
        return k && !k->direct && k->physical == plain_flat->pa && k->page_size == plain_flat->size;
    };
    const bool agree = same(k_flat) && same(k_mem) && same(k_pread) && same(k_tool) &&
                       plain_mem.has_value() == plain_flat.has_value() &&
                       (!plain_mem || (plain_mem->pa == plain_flat->pa && plain_mem->size == plain_flat->size));
    if (!agree)
        fail("%s: walkers disagree at %#llx (plain %#llx, ksym %#llx)", d.name.c_str(), (unsigned long long)va,
             plain_flat ? (unsigned long long)plain_flat->pa : 0ull,
             k_mem ? (unsigned long long)k_mem->physical : 0ull);
#if defined(KSYM_BENCH_HAVE_KDUMPFILE)
    const auto w = kdf_walk(d, va);
    const auto c = kdf_conv(d, va);
    if (w.has_value() != plain_flat.has_value() || c.has_value() != plain_flat.has_value() ||
        (w && (*w != plain_flat->pa || *c != plain_flat->pa)))
        fail("%s: libkdumpfile disagrees at %#llx (ksym %#llx, walk %#llx, conv %#llx)", d.name.c_str(),
             (unsigned long long)va, plain_flat ? (unsigned long long)plain_flat->pa : 0ull,
             w ? (unsigned long long)*w : 0ull, c ? (unsigned long long)*c : 0ull);
#endif
    if (!plain_flat) return std::nullopt;
    return sample{va, plain_flat->pa, plain_flat->size};
}

constexpr std::size_t samples_per_set = 4096;

std::unique_ptr<dump_case> load_case(const std::string& name) {
    auto d = std::make_unique<dump_case>();
    d->name = name;
    d->dir = dumps_dir() / name;
    if (!std::filesystem::exists(d->dir / "vmcore.elf")) return nullptr;
    map_file(*d);

    d->dump = std::make_unique<ksym::crash_dump>();
    if (!d->dump->open((d->dir / "vmcore.elf").c_str())) fail("%s: crash_dump open", name.c_str());
    d->arch = d->dump->arch();
    d->x86 = d->dump->x86_64();
    d->arm = d->dump->arm64();
    if (d->arch == ksym::arch_id::arm64 && d->arm.page_shift != 12) return nullptr;  // the plain walk is 4K only
    d->core = std::make_unique<ksym::elf_core>();
    if (!d->core->open((d->dir / "vmcore.elf").c_str())) fail("%s: elf_core open", name.c_str());

#if defined(KSYM_BENCH_HAVE_KDUMPFILE)
    const int kfd = ::open((d->dir / "vmcore.elf").c_str(), O_RDONLY | O_CLOEXEC);
    d->kctx = kdump_new();
    if (kfd < 0 || !d->kctx || kdump_open_fd(d->kctx, kfd) != KDUMP_OK ||
        kdump_set_string_attr(d->kctx, "addrxlat.ostype", "linux") != KDUMP_OK ||
        kdump_get_addrxlat(d->kctx, &d->axctx, &d->axsys) != KDUMP_OK)
        fail("%s: libkdumpfile: %s", name.c_str(), d->kctx ? kdump_get_err(d->kctx) : "no context");
    d->pgt = addrxlat_sys_get_meth(d->axsys, ADDRXLAT_SYS_METH_PGT);
#endif

    std::mt19937_64 rng(0x6b73796d);
    const ksym::vmcoreinfo_facts& v = d->dump->vmcoreinfo();
    std::uint64_t phys_offset = 0;  // the physical address the direct map starts at
    if (d->arch == ksym::arch_id::x86_64) {
        // page_offset_base's value, read through the image shortcut.
        std::uint64_t at = 0;
        for (const auto& s : read_kallsyms(d->dir / "kallsyms"))
            if (s.name == "page_offset_base" && s.module.empty()) at = s.addr;
        std::array<std::byte, 8> raw{};
        if (at == 0 || !d->dump->reader().read(at, std::span(raw))) fail("%s: page_offset_base", name.c_str());
        std::memcpy(&d->direct_base, raw.data(), 8);
    } else {
        if (!v.va_bits || !v.phys_offset) fail("%s: VA_BITS/PHYS_OFFSET", name.c_str());
        d->direct_base = ~std::uint64_t{0} << *v.va_bits;  // PAGE_OFFSET
        phys_offset = *v.phys_offset;
    }
    d->phys_offset = phys_offset;
    // Modulo 2^64: arm64's PHYS_OFFSET (memstart_addr) can be "negative"
    // when the linear map is randomised.
    auto direct_va = [&](std::uint64_t pa) { return d->direct_base + (pa - phys_offset); };

    // A random RAM address, 8-aligned, with `after` bytes of RAM following it.
    std::uint64_t ram_start = ~std::uint64_t{0}, ram_end = 0;
    for (const auto& l : d->loads) {
        ram_start = std::min(ram_start, l.paddr);
        ram_end = std::max(ram_end, l.paddr + l.filesz);
    }
    // RAM is the largest load (the others are firmware: QEMU's BIOS ROM).
    const load_segment ram = *std::max_element(d->loads.begin(), d->loads.end(),
                                               [](const auto& a, const auto& b) { return a.filesz < b.filesz; });
    auto random_pa = [&](std::uint64_t after) {
        return (ram.paddr + rng() % (ram.filesz - after)) & ~std::uint64_t{7};
    };

    std::size_t unmapped = 0;
    auto take = [&](const char* set, std::uint64_t va, std::optional<std::uint64_t> want_pa) {
        auto s = check(*d, va);
        if (!s) return ++unmapped, false;
        if (want_pa && s->pa != *want_pa)
            fail("%s: direct map %#llx gave %#llx, not %#llx", name.c_str(), (unsigned long long)va,
                 (unsigned long long)s->pa, (unsigned long long)*want_pa);
        d->sets[set].push_back(*s);
        return true;
    };

    // direct: random RAM through the direct map; the answer is known.
    for (std::size_t tries = 0; d->sets["direct"].size() < samples_per_set && tries < 4 * samples_per_set; ++tries) {
        const std::uint64_t pa = random_pa(8);
        (void)take("direct", direct_va(pa), pa);
    }
    const std::size_t direct_unmapped = unmapped;

    // module: module symbols from the guest's kallsyms (freed init text is unmapped).
    std::vector<std::uint64_t> mod;
    for (const auto& s : read_kallsyms(d->dir / "kallsyms"))
        if (!s.module.empty()) mod.push_back(s.addr & ~std::uint64_t{7});
    unmapped = 0;
    for (std::size_t i = 0; !mod.empty() && i < samples_per_set; ++i) (void)take("module", mod[rng() % mod.size()], {});
    const std::size_t module_unmapped = unmapped;

    // pte: 4 KiB leaves outside the direct map and the image shortcut.
    std::vector<std::uint64_t> leaves, kept;
    if (d->arch == ksym::arch_id::x86_64) {
        enumerate_x86(*d, d->x86.root, d->x86.levels - 1u, ~std::uint64_t{0} << (12 + 9 * d->x86.levels), leaves);
    } else {
        const arm64_4k g{d->arm.va_bits};
        enumerate_arm64(*d, g, d->arm.root, g.levels() - 1, ~std::uint64_t{0} << d->arm.va_bits, leaves);
    }
    for (std::uint64_t va : leaves) {
        if (va >= direct_va(ram_start) && va - direct_va(ram_start) < ram_end - ram_start) continue;
        if (d->arch == ksym::arch_id::x86_64 && va >= ksym::x86_64_start_kernel_map &&
            va - ksym::x86_64_start_kernel_map < d->x86.image_size)
            continue;
        kept.push_back(va);
    }
    unmapped = 0;
    for (std::size_t i = 0; !kept.empty() && i < samples_per_set; ++i)
        (void)take("pte", kept[rng() % kept.size()] + 8 * (rng() % 512), {});
    const std::size_t pte_unmapped = unmapped;

    // hot / cross: 33 consecutive RAM pages; cold: random ones. Firmware
    // ranges of the RAM block are not in the direct map: retry until every
    // page touched is mapped.
    auto mapped_pa = [&](std::uint64_t len) {
        for (;;) {
            const std::uint64_t pa = random_pa(len);
            bool ok = true;
            for (std::uint64_t page = pa & ~std::uint64_t{4095}; ok && page < pa + len; page += 4096)
                ok = plain_walk(*d, d->flat, direct_va(page)).has_value();
            if (ok) return pa;
        }
    };
    const std::uint64_t run = mapped_pa(34 * 4096) & ~std::uint64_t{4095};
    for (std::uint64_t i = 0; i < 32; ++i) {
        d->hot.push_back(direct_va(run + i * 4096 + 8 * (rng() % 512)));
        d->cross.push_back(direct_va(run + (i + 1) * 4096 - 8));
    }
    for (const sample& s : d->sets["direct"]) d->cold.push_back(s.va);
    for (std::size_t i = 0; i < samples_per_set; ++i) {
        const std::uint64_t pa = (mapped_pa(2 * 4096) | 4095) - 7;
        d->cold_cross.push_back(direct_va(pa));
    }
    for (const auto* list : {&d->hot, &d->cross, &d->cold_cross})
        for (std::uint64_t va : *list)
            if (!check(*d, va) || !check(*d, va + 8)) fail("%s: %#llx unmapped", name.c_str(), (unsigned long long)va);

    std::fprintf(stderr, "%s: %s, %u levels, %u-bit VA, direct map at %#llx; samples: direct %zu (%zu unmapped), "
                         "module %zu of %zu symbols (%zu unmapped), pte %zu of %zu leaves (%zu kept, %zu unmapped)\n",
                 name.c_str(), d->arch == ksym::arch_id::arm64 ? "arm64" : "x86_64", d->dump->levels(),
                 d->dump->va_bits(), (unsigned long long)d->direct_base, d->sets["direct"].size(), direct_unmapped,
                 d->sets["module"].size(), mod.size(), module_unmapped, d->sets["pte"].size(), leaves.size(),
                 kept.size(), pte_unmapped);
    for (const auto& [set, list] : d->sets) {
        std::map<std::uint64_t, std::size_t> sizes;
        for (const sample& s : list) ++sizes[s.page_size];
        std::fprintf(stderr, "  %s page sizes:", set.c_str());
        for (const auto& [sz, n] : sizes) std::fprintf(stderr, " %lluK x%zu", (unsigned long long)(sz >> 10), n);
        std::fputc('\n', stderr);
    }
    return d;
}

// ---- Timing ----------------------------------------------------------------

using ksym_bench::ns_per_tick;
using ksym_bench::ticks;

// The timed loop over call(0..n-1), then per-call p50/p99: each sample times
// `batch` consecutive calls (the timer's own cost subtracted) and divides.
template <class F>
void time_calls(benchmark::State& state, std::size_t n, std::size_t batch, F&& call) {
    std::size_t i = 0;
    for (auto _ : state) {
        call(i);
        if (++i == n) i = 0;
    }
    static const double scale = ns_per_tick();
    std::vector<double> cost(1024);
    for (auto& c : cost) {
        const std::uint64_t a = ticks();
        const std::uint64_t b = ticks();
        c = static_cast<double>(b - a);
    }
    std::nth_element(cost.begin(), cost.begin() + 512, cost.end());
    const double overhead = cost[512];
    const std::size_t samples = std::max<std::size_t>(n, 1024);
    std::vector<double> t(samples);
    std::size_t k = 0;
    for (auto& ti : t) {
        const std::uint64_t a = ticks();
        for (std::size_t j = 0; j < batch; ++j) {
            call(k);
            if (++k == n) k = 0;
        }
        const std::uint64_t b = ticks();
        ti = (static_cast<double>(b - a) - overhead) * scale / static_cast<double>(batch);
    }
    std::sort(t.begin(), t.end());
    state.counters["p50_ns"] = t[samples / 2];
    state.counters["p99_ns"] = t[samples * 99 / 100];
}

template <class F>
decltype(auto) with_walker(const dump_case& d, F&& f) {
    if (d.arch == ksym::arch_id::arm64) return f(d.arm);
    return f(d.x86);
}

using reg_fn = std::function<void(benchmark::State&)>;
void add(const std::string& name, reg_fn fn) {
    benchmark::RegisterBenchmark(name.c_str(), [fn](benchmark::State& st) { fn(st); });
}

// Calls per latency sample: the TSC of this VM steps 10 ns at a time, so
// calls under ~100 ns are timed `fast` at a time (p50/p99 of those means);
// calls through pread are timed one by one.
std::size_t batch_for(const std::string& who, std::size_t fast) {
    return who.find("pread") != std::string::npos || who.find("tool") != std::string::npos ? 1 : fast;
}

// A walk benchmark over one set: `walk(va)` answers a physical address.
template <class Walk>
void add_walk(dump_case& d, const std::string& set, const std::string& who, Walk walk) {
    add("translate/" + d.name + "/" + set + "/" + who, [&d, set, who, walk](benchmark::State& st) {
        const auto& list = d.sets[set];
        for (const sample& s : list)
            if (walk(s.va) != s.pa) fail("%s: %s %#llx", d.name.c_str(), set.c_str(), (unsigned long long)s.va);
        time_calls(st, list.size(), batch_for(who, 8),
                   [&](std::size_t i) { benchmark::DoNotOptimize(walk(list[i].va)); });
        st.SetLabel(std::to_string(list.size()) + " addresses");
    });
}

// A read benchmark: `read(va, out)` through some reader, checked against the
// bytes of the mapped file first.
template <class Read>
void add_read(dump_case& d, const std::string& name, const std::vector<std::uint64_t>* vas, std::size_t len,
              std::size_t batch, Read make_reader) {
    add(name, [&d, vas, len, batch, make_reader](benchmark::State& st) {
        auto r = make_reader();  // a fresh reader (and cache) per run
        std::array<std::byte, 16> out{};
        for (std::uint64_t va : *vas) {
            auto s = check(d, va);
            auto s2 = check(d, va + len - 8);
            if (!s || !s2 || !r.read(va, std::span(out).first(len)) ||
                std::memcmp(out.data(), d.flat.at(s->pa, 8), 8) != 0 ||
                std::memcmp(out.data() + len - 8, d.flat.at(s2->pa, 8), 8) != 0)
                fail("%s: read at %#llx", d.name.c_str(), (unsigned long long)va);
        }
        const std::size_t walks0 = r.walks();
        time_calls(st, vas->size(), batch, [&](std::size_t i) {
            ksym::status s = r.read((*vas)[i], std::span(out).first(len));
            benchmark::DoNotOptimize(s);
            benchmark::DoNotOptimize(out);
        });
        if (r.walks() != static_cast<std::size_t>(-1))
            st.counters["walks_per_op"] = benchmark::Counter(static_cast<double>(r.walks() - walks0),
                                                             benchmark::Counter::kAvgIterations);
    });
}

// Readers with no walk counter, adapted.
template <class F>
struct plain_read {
    F f;
    ksym::status read(std::uint64_t va, std::span<std::byte> out) { return f(va, out); }
    [[nodiscard]] std::size_t walks() const { return static_cast<std::size_t>(-1); }
};
template <class F>
plain_read(F) -> plain_read<F>;

void register_case(dump_case& d) {
    for (const auto& [set_name, list] : d.sets) {
        if (list.empty()) continue;
        const std::string set = set_name;
        dump_case* p = &d;
        add_walk(d, set, "ksym/flat", [p](std::uint64_t va) { return ksym_walk(*p, p->flat, va)->physical; });
        add_walk(d, set, "ksym/mem", [p](std::uint64_t va) { return ksym_walk(*p, p->mem, va)->physical; });
        add_walk(d, set, "ksym/pread", [p](std::uint64_t va) { return ksym_walk(*p, *p->core, va)->physical; });
        add_walk(d, set, "ksym/tool", [p](std::uint64_t va) { return p->dump->translate(va)->physical; });
        add_walk(d, set, "plain/flat", [p](std::uint64_t va) { return plain_walk(*p, p->flat, va)->pa; });
        add_walk(d, set, "plain/mem", [p](std::uint64_t va) { return plain_walk(*p, p->mem, va)->pa; });
#if defined(KSYM_BENCH_HAVE_KDUMPFILE)
        add_walk(d, set, "libkdumpfile/walk", [p](std::uint64_t va) { return kdf_walk(*p, va).value(); });
        add_walk(d, set, "libkdumpfile/conv", [p](std::uint64_t va) { return kdf_conv(*p, va).value(); });
#endif
    }

    struct spec {
        const char* what;
        const std::vector<std::uint64_t>* vas;
        std::size_t len, batch;
    };
    const spec specs[] = {{"read8/hit", &d.hot, 8, 64},
                          {"read16/cross-hit", &d.cross, 16, 64},
                          {"read8/miss", &d.cold, 8, 8},
                          {"read16/cross-miss", &d.cold_cross, 16, 8}};
    for (const spec& sp : specs) {
        const std::string base = std::string(sp.what) + "/" + d.name + "/";
        dump_case* p = &d;
        with_walker(d, [&](const auto& w) {
            using W = std::decay_t<decltype(w)>;
            add_read(d, base + "ksym/flat", sp.vas, sp.len, sp.batch,
                     [p, w] { return ksym::translating_reader<flat_reader, W>(p->flat, w); });
            add_read(d, base + "ksym/mem", sp.vas, sp.len, sp.batch,
                     [p, w] { return ksym::translating_reader<phys_map, W>(p->mem, w); });
            add_read(d, base + "ksym/pread", sp.vas, sp.len, batch_for("pread", sp.batch),
                     [p, w] { return ksym::translating_reader<ksym::elf_core, W>(*p->core, w); });
        });
        // The same physical bytes without translation: what the hit costs
        // beyond the physical read itself.
        if (sp.vas == &d.hot) {
            add_read(d, base + "no-translation/flat", sp.vas, sp.len, sp.batch, [p] {
                return plain_read{[p](std::uint64_t va, std::span<std::byte> out) {
                    return p->flat.read(va - p->direct_base + p->phys_offset, out);
                }};
            });
            add_read(d, base + "no-translation/mem", sp.vas, sp.len, sp.batch, [p] {
                return plain_read{[p](std::uint64_t va, std::span<std::byte> out) {
                    return p->mem.read(va - p->direct_base + p->phys_offset, out);
                }};
            });
        }
        add_read(d, base + "ksym/tool", sp.vas, sp.len, batch_for("tool", sp.batch), [p] {
            return plain_read{[p](std::uint64_t va, std::span<std::byte> out) { return p->dump->reader().read(va, out); }};
        });
#if defined(KSYM_BENCH_HAVE_KDUMPFILE)
        add_read(d, base + "libkdumpfile", sp.vas, sp.len, sp.batch, [p] {
            return plain_read{[p](std::uint64_t va, std::span<std::byte> out) -> ksym::status {
                std::size_t n = out.size();
                if (kdump_read(p->kctx, KDUMP_KVADDR, va, out.data(), &n) != KDUMP_OK) return ksym::status::fault(va);
                return {};
            }};
        });
#endif
    }
}

}  // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    const char* env = std::getenv("KSYM_BENCH_DUMPS");
    std::string want = env ? env : "amd64-6.1,amd64-7,arm64-7";
#if defined(KSYM_BENCH_HAVE_KDUMPFILE)
    std::fprintf(stderr, "libkdumpfile %s\n", KDUMPFILE_VERSION_STRING);
#else
    std::fprintf(stderr, "libkdumpfile: not built in\n");
#endif
    std::stringstream ss(want);
    for (std::string name; std::getline(ss, name, ',');) {
        auto d = load_case(name);
        if (!d) {
            std::fprintf(stderr, "%s: no vmcore.elf under %s (or not a 4K arm64 granule): skipped\n", name.c_str(),
                         dumps_dir().c_str());
            continue;
        }
        cases().push_back(std::move(d));
    }
    for (auto& d : cases()) register_case(*d);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
