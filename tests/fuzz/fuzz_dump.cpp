// libFuzzer target: crash dumps. The input is a file: an ELF core, a
// compressed kdump (pages "decompressed" by a fake codec that checks sizes
// and fills the page from its input) or anything else. The ELF core reader,
// the kdump reader, VMCOREINFO parsing, the page-table setup and the whole
// dump pipeline must answer or give a typed error, never crash or hang.
#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <span>
#include <vector>

#include "ksym/dump/elf_core.hpp"
#include "ksym/dump/kdump.hpp"
#include "ksym/pipeline/crash_dump.hpp"

namespace {

// Stands in for zlib and friends: any input of at least one byte "inflates"
// to a page by repetition; an empty input is corrupt.
struct fake_codec {
    ksym::status operator()(ksym::kdump_codec c, std::span<const std::byte> in, std::span<std::byte> out) const {
        if (c == ksym::kdump_codec::snappy) return {ksym::errc::unsupported};
        if (in.empty()) return {ksym::errc::corrupt};
        for (std::size_t i = 0; i < out.size(); ++i) out[i] = in[i % in.size()];
        return {};
    }
};

int memfd() {
    static const int fd = ::memfd_create("ksym-fuzz-dump", 0);
    return fd;
}

std::uint64_t probe(const std::uint8_t* data, std::size_t size, std::size_t at) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < 8; ++i) v = (v << 8) | (size > at + i ? data[at + i] : 0u);
    return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const int fd = memfd();
    if (fd < 0 || ::ftruncate(fd, 0) != 0) return 0;
    if (size > 0 && ::pwrite(fd, data, size, 0) != static_cast<ssize_t>(size)) return 0;

    // The ELF core reader alone.
    static ksym::elf_core core;
    if (core.open(ksym::file_reader(fd, 0, 0, size)).ok()) {
        std::array<std::byte, 64> buf{};
        (void)core.read(probe(data, size, 0) & 0xffffff, buf);
        (void)core.virtual_view().read(probe(data, size, 8), buf);
        (void)ksym::parse_vmcoreinfo(core.vmcoreinfo());
    }

    // The kdump reader alone, with a small page cache.
    static ksym::kdump_file<fake_codec> kd;
    if (kd.open(ksym::file_reader(fd, 0, 0, size)).ok() && kd.rank_words() < (1u << 16) && kd.block_size() <= 65536) {
        std::vector<std::uint64_t> rank(kd.rank_words());
        std::vector<std::byte> pages(kd.workspace(2));
        if (kd.bind(rank, pages).ok()) {
            std::array<std::byte, 64> buf{};
            for (std::size_t k = 0; k < 4; ++k) (void)kd.read(probe(data, size, 16 + 8 * k) % (kd.max_pfn() * kd.block_size() + 1), buf);
        }
    }

    // Everything: VMCOREINFO -> paging -> locate -> resolve -> table.
    static ksym::basic_crash_dump<fake_codec> dump;
    char path[64];
    std::snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    if (dump.open(static_cast<const char*>(path)).ok()) {
        ksym::name_buffer name;
        std::uint32_t seen = 0;
        (void)dump.with_table([&](auto& table) {
            (void)table.find_by_address(probe(data, size, 48), name);
            return table.for_each(name, [&](const ksym::symbol&) { return ++seen < 256; });
        });
        std::array<std::byte, 32> buf{};
        (void)dump.reader().read(probe(data, size, 40), buf);
    }
    return 0;
}
