// Batch array reads against the per-element reads a naive decoder would make.
#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "ksym/arch/targets.hpp"
#include "ksym/batch/batch_reader.hpp"
#include "ksym/memory/buffer_reader.hpp"
#include "ksym/memory/segment_map.hpp"

namespace {
std::vector<std::byte> memory(std::size_t n) {
    std::vector<std::byte> m(n);
    for (std::size_t i = 0; i < n; ++i) m[i] = static_cast<std::byte>(i * 131 + 7);
    return m;
}

// Through a segment map, as a real dump would be read.
template <class Arch>
void batch_u32(benchmark::State& state) {
    const std::size_t count = static_cast<std::size_t>(state.range(0));
    const auto mem = memory(count * 4);
    ksym::buffer_reader buf(mem, 0x1000);
    ksym::segment_map<4> map;
    (void)map.add(0x1000, mem.size(), buf);
    ksym::batch_reader<ksym::segment_map<4>, Arch> br(map);
    std::vector<std::uint32_t> out(count);
    for (auto _ : state) {
        benchmark::DoNotOptimize(br.read_array(0x1000, std::span(out)));
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(count));
}

template <class Arch>
void per_element_u32_baseline(benchmark::State& state) {
    const std::size_t count = static_cast<std::size_t>(state.range(0));
    const auto mem = memory(count * 4);
    ksym::buffer_reader buf(mem, 0x1000);
    ksym::segment_map<4> map;
    (void)map.add(0x1000, mem.size(), buf);
    ksym::batch_reader<ksym::segment_map<4>, Arch> br(map);
    std::vector<std::uint32_t> out(count);
    for (auto _ : state) {
        for (std::size_t i = 0; i < count; ++i) benchmark::DoNotOptimize(out[i] = br.template read_one<std::uint32_t>(0x1000 + 4 * i).value_or(0));
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(count));
}
}  // namespace

BENCHMARK(batch_u32<ksym::arch::x86_64>)->Arg(200000);
BENCHMARK(per_element_u32_baseline<ksym::arch::x86_64>)->Arg(200000);
BENCHMARK(batch_u32<ksym::arch::s390x>)->Arg(200000);
BENCHMARK(per_element_u32_baseline<ksym::arch::s390x>)->Arg(200000);
