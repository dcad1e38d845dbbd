// Module symbols on real crash dumps (tests/dumps/make.sh), through
// ksym::basic_crash_dump as the tool reads them (examples/ksym/modules.hpp):
//   layout   module_layout_for on the dump's vmlinux BTF (read once before)
//   walk     walk_modules over the whole `modules` list
//   symbols  loaded_modules::for_each: every module's table read and decoded
//   all      a fresh loaded_modules::open, then for_each: what `ksym dump`
//            pays for the module lines once BTF and list head are known
// "time/symbol" is seconds a symbol (shown with an SI prefix: 125n is 125 ns).
// The reader is the dump's (page tables, then the ELF core's pread or the
// compressed kdump's page cache and decompressor), wrapped in a reader that
// counts calls: "calls/module" is the figure (target: at most 5).
//
// Dumps: $KSYM_DUMPS, else $HOME/.cache/ksym/dumps; $KSYM_BENCH_DUMPS picks
// files (comma-separated CASE/FILE, default amd64-7/vmcore.elf and
// amd64-7/vmcore.kdump). A file that is absent is skipped; a compressed
// kdump needs zlib (Debian zlib1g-dev) at build time.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#if defined(KSYM_BENCH_HAVE_ZLIB)
#include <zlib.h>
#endif

#include "ksym/modules/loaded.hpp"
#include "ksym/pipeline/crash_dump.hpp"
#include "ksym/pipeline/kernel_modules.hpp"

namespace {

// zlib pages of a compressed kdump (dump-guest-memory's kdump-zlib).
struct bench_decompressor {
    ksym::status operator()(ksym::kdump_codec c, std::span<const std::byte> in, std::span<std::byte> out) const {
#if defined(KSYM_BENCH_HAVE_ZLIB)
        if (c == ksym::kdump_codec::zlib) {
            uLongf n = static_cast<uLongf>(out.size());
            if (uncompress(reinterpret_cast<Bytef*>(out.data()), &n, reinterpret_cast<const Bytef*>(in.data()),
                           static_cast<uLong>(in.size())) != Z_OK ||
                n != out.size())
                return {ksym::errc::corrupt};
            return {};
        }
#endif
        (void)c, (void)in, (void)out;
        return {ksym::errc::unsupported};
    }
};
using dump_t = ksym::basic_crash_dump<bench_decompressor>;

// Counts the calls the module code makes into the dump's reader.
struct counting_reader {
    ksym::reader_ref inner;
    std::uint64_t calls = 0;
    ksym::status read(std::uint64_t addr, std::span<std::byte> out) {
        ++calls;
        return inner.read(addr, out);
    }
};

[[noreturn]] void fail(const std::string& what, ksym::status s = {}) {
    std::fprintf(stderr, "bench_modules: %s (%s at %#llx)\n", what.c_str(), std::string(ksym::to_string(s.code())).c_str(),
                 static_cast<unsigned long long>(s.address()));
    std::exit(1);
}

// One dump file, opened, with its BTF read and its modules list found.
template <class Arch>
struct module_case {
    std::string name;
    dump_t* dump = nullptr;
    ksym::kernel_version version{};
    std::vector<std::byte> btf;
    ksym::module_layout layout;
    std::uint64_t head = 0;
    std::size_t modules = 0, symbols = 0;
    std::vector<ksym::module_info> infos = std::vector<ksym::module_info>(ksym::max_modules);
    std::vector<std::byte> work, storage;
};

template <class Arch>
void register_case(module_case<Arch>& c) {
    using loaded_t = ksym::loaded_modules<counting_reader, Arch>;
    auto per_module = [&c](benchmark::State& state, std::uint64_t calls) {
        state.counters["modules"] = static_cast<double>(c.modules);
        state.counters["calls/module"] =
            static_cast<double>(calls) / static_cast<double>(state.iterations()) / static_cast<double>(c.modules);
    };

    benchmark::RegisterBenchmark(("modules_layout/" + c.name).c_str(), [&c](benchmark::State& state) {
        for (auto _ : state) {
            auto L = ksym::module_layout_for<Arch>(c.btf, c.version);
            if (!L) state.SkipWithError("no layout");
            benchmark::DoNotOptimize(L);
        }
        state.counters["btf_bytes"] = static_cast<double>(c.btf.size());
    })->Unit(benchmark::kMicrosecond);

    benchmark::RegisterBenchmark(("modules_walk/" + c.name).c_str(), [&c, per_module](benchmark::State& state) {
        counting_reader r{c.dump->reader()};
        for (auto _ : state) {
            std::size_t n = 0;
            if (!ksym::walk_modules<Arch>(r, c.layout, c.head, c.work, [&](const ksym::module_info&) { ++n; }).ok())
                state.SkipWithError("walk failed");
            benchmark::DoNotOptimize(n);
        }
        per_module(state, r.calls);
    })->Unit(benchmark::kMicrosecond);

    benchmark::RegisterBenchmark(("modules_symbols/" + c.name).c_str(), [&c, per_module](benchmark::State& state) {
        counting_reader r{c.dump->reader()};
        loaded_t mods;
        if (!mods.open(r, c.layout, c.head, c.version, c.infos, c.work)) fail(c.name + ": open");
        r.calls = 0;
        std::size_t n = 0;
        for (auto _ : state) {
            n = 0;
            if (!mods.for_each(c.storage, [&](const ksym::symbol&) { ++n; }).ok()) state.SkipWithError("for_each failed");
        }
        per_module(state, r.calls);
        state.counters["symbols"] = static_cast<double>(n);
        state.counters["time/symbol"] = benchmark::Counter(static_cast<double>(n),
                                                           benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
    })->Unit(benchmark::kMicrosecond);

    benchmark::RegisterBenchmark(("modules_all/" + c.name).c_str(), [&c, per_module](benchmark::State& state) {
        counting_reader r{c.dump->reader()};
        loaded_t mods;
        std::size_t n = 0;
        for (auto _ : state) {
            n = 0;
            if (!mods.open(r, c.layout, c.head, c.version, c.infos, c.work).ok() ||
                !mods.for_each(c.storage, [&](const ksym::symbol&) { ++n; }).ok())
                state.SkipWithError("open or for_each failed");
        }
        per_module(state, r.calls);
        state.counters["symbols"] = static_cast<double>(n);
        state.counters["time/symbol"] = benchmark::Counter(static_cast<double>(n),
                                                           benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
    })->Unit(benchmark::kMicrosecond);
}

// Opens `path`, finds BTF, layout and list head through the dump's own
// kallsyms (as the tool does), and registers the benchmarks.
bool load_case(const std::string& name, const std::filesystem::path& path) {
    if (!std::filesystem::exists(path)) return false;
    auto* dump = new dump_t;  // pinned, and kept for the whole run
    if (ksym::status s = dump->open(path.c_str()); !s) fail(name + ": crash_dump open", s);
    bool registered = false;
    const ksym::status s = dump->with_table([&](auto& table) -> ksym::status {
        using Arch = typename std::decay_t<decltype(table)>::arch_type;
        if constexpr (std::is_same_v<Arch, ksym::arch::x86_64> || std::is_same_v<Arch, ksym::arch::arm64>) {
            auto* c = new module_case<Arch>;
            c->name = name;
            c->dump = dump;
            c->version = ksym::kernel_version::parse(dump->vmcoreinfo().osrelease);
            ksym::reader_ref reader = dump->reader();
            std::vector<std::byte> chunk(1 << 20);
            auto where = ksym::locate_vmlinux_btf<Arch>(reader, table, chunk);
            if (!where) fail(name + ": no BTF", where.error());
            c->btf.resize(static_cast<std::size_t>(where->value.size));
            if (ksym::status r = reader.read(where->value.address, c->btf); !r) fail(name + ": BTF unreadable", r);
            auto L = ksym::module_layout_for<Arch>(c->btf, c->version);
            if (!L) fail(name + ": no layout", L.error());
            c->layout = *L;
            c->work.resize(c->layout.module_size);
            auto h = ksym::locate_modules_head<Arch>(reader, table, c->layout, where->value, chunk, c->work);
            if (!h) fail(name + ": no modules list", h.error());
            c->head = h->value;
            // Storage for the largest table, and the counts the counters report.
            ksym::loaded_modules<ksym::reader_ref, Arch> mods;
            if (ksym::status o = mods.open(reader, c->layout, c->head, c->version, c->infos, c->work); !o)
                fail(name + ": modules list unreadable", o);
            std::uint64_t most = 0;
            for (const auto& m : mods.modules()) most = std::max(most, mods.table_storage(m));
            c->storage.resize(static_cast<std::size_t>(most));
            c->modules = mods.modules().size();
            if (ksym::status e = mods.for_each(c->storage, [&](const ksym::symbol&) { ++c->symbols; }); !e)
                fail(name + ": module symbols unreadable", e);
            const std::string_view release = dump->vmcoreinfo().osrelease;
            std::fprintf(stderr, "%s: %.*s, layout %s, letters %s, %zu modules, %zu symbols, list head by %s\n", name.c_str(),
                         static_cast<int>(release.size()), release.data(), std::string(ksym::to_string(c->layout.era)).c_str(),
                         std::string(ksym::to_string(mods.letters())).c_str(), c->modules, c->symbols,
                         std::string(ksym::to_string(h->by)).c_str());
            register_case(*c);
            registered = true;
        }
        return {};
    });
    if (!s) fail(name + ": kallsyms", s);
    return registered;
}

std::filesystem::path dumps_dir() {
    if (const char* e = std::getenv("KSYM_DUMPS")) return e;
    const char* home = std::getenv("HOME");
    return std::filesystem::path(home ? home : "/root") / ".cache/ksym/dumps";
}

}  // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    const char* env = std::getenv("KSYM_BENCH_DUMPS");
    std::stringstream want(env ? env : "amd64-7/vmcore.elf,amd64-7/vmcore.kdump");
    for (std::string file; std::getline(want, file, ',');) {
#if !defined(KSYM_BENCH_HAVE_ZLIB)
        if (file.ends_with(".kdump")) {
            std::fprintf(stderr, "%s: built without zlib: skipped\n", file.c_str());
            continue;
        }
#endif
        if (!load_case(file, dumps_dir() / file)) std::fprintf(stderr, "%s: absent under %s: skipped\n", file.c_str(), dumps_dir().c_str());
    }
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
