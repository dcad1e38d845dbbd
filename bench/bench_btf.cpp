// BTF on the running kernel's /sys/kernel/btf/vmlinux (about 5 MB, 130k
// types on 6.x): opening it, and reading every module layout from it, with
// and without the id index. Loaded into memory first, so the figures are
// the reader's, not the file system's. Skipped where the file is absent.
#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <span>
#include <vector>

#include "ksym/btf/btf.hpp"
#include "ksym/btf/query.hpp"
#include "ksym/modules/layout.hpp"

namespace {

const std::vector<std::byte>& vmlinux_btf() {
    static const std::vector<std::byte> bytes = [] {
        std::ifstream in("/sys/kernel/btf/vmlinux", std::ios::binary);
        const std::vector<char> raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        return std::vector<std::byte>(reinterpret_cast<const std::byte*>(raw.data()),
                                      reinterpret_cast<const std::byte*>(raw.data()) + raw.size());
    }();
    return bytes;
}

bool open_or_skip(benchmark::State& state, ksym::btf& b) {
    if (vmlinux_btf().empty()) {
        state.SkipWithError("no /sys/kernel/btf/vmlinux on this machine");
        return false;
    }
    if (!b.open_any_order(vmlinux_btf(), sizeof(void*)).ok()) {
        state.SkipWithError("/sys/kernel/btf/vmlinux did not open");
        return false;
    }
    return true;
}

void BM_btf_open(benchmark::State& state) {
    ksym::btf b;
    if (!open_or_skip(state, b)) return;
    for (auto _ : state) {
        benchmark::DoNotOptimize(b.open_any_order(vmlinux_btf(), sizeof(void*)));
        benchmark::DoNotOptimize(b);
    }
    state.counters["types"] = b.type_count();
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(vmlinux_btf().size()));
}
BENCHMARK(BM_btf_open)->Unit(benchmark::kMicrosecond);

// What a module walker pays up front: open the blob and read the layout.
void BM_btf_open_and_module_layout(benchmark::State& state) {
    ksym::btf b;
    if (!open_or_skip(state, b)) return;
    for (auto _ : state) {
        ksym::btf fresh;
        (void)fresh.open_any_order(vmlinux_btf(), sizeof(void*));
        auto L = ksym::module_layout_from_btf(fresh);
        if (!L) state.SkipWithError("no module layout in this BTF");
        benchmark::DoNotOptimize(L);
    }
}
BENCHMARK(BM_btf_open_and_module_layout)->Unit(benchmark::kMicrosecond);

void BM_btf_module_layout(benchmark::State& state) {
    ksym::btf b;
    if (!open_or_skip(state, b)) return;
    for (auto _ : state) {
        auto L = ksym::module_layout_from_btf(b);
        benchmark::DoNotOptimize(L);
    }
}
BENCHMARK(BM_btf_module_layout)->Unit(benchmark::kMicrosecond);

void BM_btf_build_index(benchmark::State& state) {
    ksym::btf b;
    if (!open_or_skip(state, b)) return;
    std::vector<std::uint32_t> storage(b.index_words());
    for (auto _ : state) benchmark::DoNotOptimize(b.build_index(storage));
}
BENCHMARK(BM_btf_build_index)->Unit(benchmark::kMicrosecond);

void BM_btf_module_layout_indexed(benchmark::State& state) {
    ksym::btf b;
    if (!open_or_skip(state, b)) return;
    std::vector<std::uint32_t> storage(b.index_words());
    (void)b.build_index(storage);
    for (auto _ : state) {
        auto L = ksym::module_layout_from_btf(b);
        benchmark::DoNotOptimize(L);
    }
}
BENCHMARK(BM_btf_module_layout_indexed)->Unit(benchmark::kMicrosecond);

// One struct's member after the layout sweep: a lookup by name (one pass)
// then by id, with and without the index.
void BM_btf_find_struct_member(benchmark::State& state) {
    ksym::btf b;
    if (!open_or_skip(state, b)) return;
    std::vector<std::uint32_t> storage(b.index_words());
    if (state.range(0) != 0) (void)b.build_index(storage);
    for (auto _ : state) {
        const auto id = ksym::find_struct(b, "task_struct");
        if (id) benchmark::DoNotOptimize(ksym::find_member(b, *id, "pid"));
    }
}
BENCHMARK(BM_btf_find_struct_member)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

}  // namespace
