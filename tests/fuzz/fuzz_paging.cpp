// libFuzzer target: page-table walks over hostile tables. The input is a
// 32-byte header (mode, root, SME mask, a virtual address) and then
// "physical memory". x86-64 (4/5 levels) and arm64 (every granule and VA
// size) must translate or give a typed error; the translating reader must
// return exactly the bytes its own translation points at.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "ksym/core/endian.hpp"
#include "ksym/memory/buffer_reader.hpp"
#include "ksym/paging/arm64.hpp"
#include "ksym/paging/translating_reader.hpp"
#include "ksym/paging/x86_64.hpp"

namespace {

template <class W>
void exercise(const ksym::buffer_reader& mem, const W& walker, std::uint64_t va) {
    ksym::buffer_reader phys = mem;
    auto t = walker.translate(phys, va);
    if (t) {
        if (t->page_size == 0 || (t->page_size & (t->page_size - 1)) != 0) __builtin_trap();
    } else if (t.error().code() == ksym::errc::ok) {
        __builtin_trap();
    }
    // The reader, twice (cold, then cached), against translate + read.
    ksym::translating_reader<ksym::buffer_reader, W, 4> r(phys, walker);
    for (int round = 0; round < 2; ++round) {
        std::array<std::byte, 24> got{};
        const ksym::status s = r.read(va, got);
        if (!s.ok()) continue;
        for (std::size_t i = 0; i < got.size(); ++i) {
            auto ti = walker.translate(phys, va + i);
            std::array<std::byte, 1> want{};
            if (!ti || !phys.read(ti->physical, want).ok() || want[0] != got[i]) __builtin_trap();
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 32) return 0;
    const auto* b = reinterpret_cast<const std::byte*>(data);
    const auto mode = static_cast<std::uint8_t>(b[0]);
    const std::uint64_t root = ksym::load<std::uint32_t>(b + 4, std::endian::little) % (size - 32 + 1);
    const std::uint64_t mask = ksym::load<std::uint64_t>(b + 8, std::endian::little);
    const std::uint64_t va = ksym::load<std::uint64_t>(b + 16, std::endian::little);
    const ksym::buffer_reader mem(std::span(b + 32, size - 32), 0);
    if (mode & 1) {
        ksym::arm64_paging p;
        constexpr std::uint8_t shifts[] = {12, 14, 16};
        p.page_shift = shifts[(mode >> 1) % 3];
        p.va_bits = static_cast<std::uint8_t>(36 + (mode >> 3) % 17);  // 36..52, some invalid for the granule
        p.root = root;
        exercise(mem, p, va);
    } else {
        ksym::x86_64_paging p;
        p.levels = (mode & 2) ? 5 : 4;
        p.root = root;
        p.sme_mask = (mode & 4) ? mask : 0;
        if (mode & 8) p.phys_base = mask & 0xffffff;
        exercise(mem, p, va);
    }
    return 0;
}
