// The map-free path on the corpus kernels' decompressed images
// (tests/corpus/fetch.sh): the scan alone, the placement of a raw image, and
// scan + placement + resolve + decode of every symbol, the work `ksym dump
// IMAGE` does without a map. Images are mapped from the page cache, as the
// tool reads them. A kernel missing from the corpus is skipped with a note.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "ksym/arch/dispatch.hpp"
#include "ksym/arch/targets.hpp"
#include "ksym/image/load_address.hpp"
#include "ksym/kallsyms/scan.hpp"
#include "ksym/memory/file_reader.hpp"
#include "ksym/pipeline/kernel_image.hpp"

namespace {

std::string image_path(const std::string& id) {
    const char* env = std::getenv("KSYM_CORPUS");
    const char* home = std::getenv("HOME");
    return (env ? std::string(env) : std::string(home ? home : "/root") + "/.cache/ksym/corpus") + "/" + id + "/image";
}

struct mapped {
    ksym::file_reader file{-1, 0, 0, 0};
    std::span<const std::byte> bytes;
};

std::unique_ptr<mapped> map_image(const std::string& id) {
    auto f = ksym::file_reader::open(image_path(id).c_str());
    if (!f) return nullptr;
    auto m = std::make_unique<mapped>();
    m->file = std::move(*f);
    m->bytes = m->file.view(0, static_cast<std::size_t>(m->file.size()));
    if (m->bytes.empty()) return nullptr;
    return m;
}

void scan_only(benchmark::State& st, std::string id) {
    auto m = map_image(id);
    if (!m) return st.SkipWithError(("corpus kernel " + id + " not fetched").c_str());
    for (auto _ : st) {
        auto r = ksym::scan_kallsyms(m->bytes);
        if (!r) return st.SkipWithError("no table found");
        benchmark::DoNotOptimize(r->count);
    }
    st.SetBytesProcessed(st.iterations() * static_cast<std::int64_t>(m->bytes.size()));
    st.counters["MB"] = static_cast<double>(m->bytes.size()) / 1e6;
}

// The raw image's base, after a scan (the evidence the image needs).
void place_raw(benchmark::State& st, std::string id) {
    auto m = map_image(id);
    if (!m) return st.SkipWithError(("corpus kernel " + id + " not fetched").c_str());
    auto sc = ksym::scan_kallsyms(m->bytes);
    if (!sc) return st.SkipWithError("no table found");
    auto ws = std::make_unique<ksym::kallsyms_table<ksym::buffer_reader, ksym::arch::arm64>>();
    for (auto _ : st) {
        auto a = ksym::recover_load_address<ksym::arch::arm64>(m->bytes, *sc, ksym::r_aarch64_relative, *ws);
        if (!a) return st.SkipWithError("no base found");
        benchmark::DoNotOptimize(a->base);
    }
}

// Open with no map (scan, placement, resolve) and decode every symbol.
void scan_and_decode(benchmark::State& st, std::string id) {
    if (!map_image(id)) return st.SkipWithError(("corpus kernel " + id + " not fetched").c_str());
    const std::string path = image_path(id);
    auto img = std::make_unique<ksym::kernel_image>();
    std::uint64_t syms = 0;
    for (auto _ : st) {
        if (!img->open(path.c_str()).ok()) return st.SkipWithError("open failed");
        std::uint64_t n = 0;
        (void)img->with_table([&](auto& t) {
            ksym::name_buffer buf;
            return t.for_each(buf, [&](const ksym::symbol& s) { n += s.name.size(); });
        });
        benchmark::DoNotOptimize(n);
        syms = img->kallsyms().count;
    }
    st.counters["symbols"] = static_cast<double>(syms);
}

}  // namespace

BENCHMARK_CAPTURE(scan_only, amd64_7, std::string("amd64-7"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(scan_only, arm64_7, std::string("arm64-7"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(scan_only, i386_6_1, std::string("i386-6.1"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(place_raw, arm64_7, std::string("arm64-7"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(place_raw, arm64_6_1, std::string("arm64-6.1"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(scan_and_decode, amd64_7, std::string("amd64-7"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(scan_and_decode, arm64_7, std::string("arm64-7"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(scan_and_decode, i386_6_1, std::string("i386-6.1"))->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
