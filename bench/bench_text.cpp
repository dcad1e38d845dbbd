// The text paths (issue 12): /proc/kallsyms parsed and indexed by
// ksym::proc_kallsyms, System.map scanned by locate_in_system_map, lines
// written by write_kallsyms_line, and the kernel's own cost of generating
// /proc/kallsyms; each beside baselines written here that do what the usual
// tools do, over the same bytes in the same run:
//
//   - "fscanf": one fscanf("%llx %c %499s%*[^\n]\n") a line, the loop libbpf
//     uses (the module tag is skipped);
//   - "getline": getline + strtoull + a hand split into name and module, as
//     perf, bcc and drgn read the file;
//   - "sorted": the getline parse, then std::sort by address and
//     std::upper_bound lookups, as bcc's KSyms keeps the table.
//
// Baselines read a FILE* over the bytes (fmemopen: no disk) into a vector of
// (address, type, name, module), names in one string arena of their own
// (kinder to the baselines than a heap string per symbol, which the tools
// use). Datasets: "live" is this machine's /proc/kallsyms, saved to a
// temporary file when the benchmark starts and read back from it (run as
// root, or the addresses are zeros and lookups are skipped); "synthetic" is
// 1,000,000 generated lines, 10 % of them module lines.
#include <benchmark/benchmark.h>

#include "timer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "ksym/kallsyms/locate.hpp"
#include "ksym/text/kallsyms_writer.hpp"
#include "ksym/text/proc_kallsyms.hpp"

namespace {

// ---- Datasets ----

std::string read_fd(int fd) {
    std::string out;
    std::size_t used = 0;
    out.resize(1 << 20);
    for (;;) {
        if (out.size() - used < 65536) out.resize(out.size() * 2);
        const ssize_t n = ::read(fd, out.data() + used, out.size() - used);
        if (n < 0) std::abort();
        if (n == 0) break;
        used += static_cast<std::size_t>(n);
    }
    out.resize(used);
    return out;
}

std::string read_path(const char* path) {
    const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return {};
    std::string s = read_fd(fd);
    ::close(fd);
    return s;
}

// This machine's /proc/kallsyms, copied to a temporary file at start and
// read back from the copy: every benchmark sees the same bytes.
std::string saved_proc_kallsyms() {
    const std::string live = read_path("/proc/kallsyms");
    if (live.empty()) return {};
    char path[] = "/tmp/ksym_bench_kallsyms.XXXXXX";
    const int fd = ::mkstemp(path);
    if (fd < 0) std::abort();
    if (::write(fd, live.data(), live.size()) != static_cast<ssize_t>(live.size())) std::abort();
    ::close(fd);
    std::string copy = read_path(path);
    ::unlink(path);
    if (copy != live) std::abort();
    return copy;
}

// 1,000,000 lines as the kernel prints them: 16-digit ascending addresses,
// names of 10 to 40 characters built from kernel-like words (3 % repeat
// the line before's), types of the usual mix, and a last 10 % in modules
// ("name\t[mod]"), also ascending.
std::string synthetic_kallsyms() {
    std::mt19937_64 rng(20261127);
    static const char* const prefixes[] = {"__x64_sys_", "ext4_", "tcp_", "bpf_", "do_", "vfs_", "kvm_", "drm_",
                                           "__pfx_", "mlx5_", "btrfs_", "xfs_", "nf_", "__", "trace_event_raw_"};
    static const char* const words[] = {"read", "write", "alloc", "free", "lock", "unlock", "init", "exit", "page",
                                        "inode", "buffer", "queue", "work", "timer", "irq", "map", "state", "get",
                                        "put", "sync", "flush", "event", "handler", "entry", "cache", "node"};
    static const char* const modules[] = {"nf_conntrack", "kvm_amd", "kvm", "btrfs", "xfs", "mlx5_core", "i915",
                                          "nvme_core", "ext4", "virtio_net", "bridge", "overlay", "crc32c_intel"};
    static const char types[] = "TTTTTtttttttDdbBRr";
    constexpr std::size_t lines = 1'000'000, module_lines = lines / 10;
    std::string out;
    out.reserve(lines * 52);
    std::uint64_t kaddr = 0xffffffff81000000ull, maddr = 0xffffffffc0000000ull;
    char hex[17];
    std::string name;
    for (std::size_t i = 0; i < lines; ++i) {
        const bool in_module = i >= lines - module_lines;
        std::uint64_t& a = in_module ? maddr : kaddr;
        a += 16 + (rng() % 32) * 16;
        // A few names repeat an earlier one (static functions of one name
        // in several files); the others end in a base-36 serial, so the
        // listing has no long runs of one name.
        if (i > 0 && rng() % 32 == 0) {
            // keep the previous name
        } else {
            const std::size_t want = 10 + rng() % 31;  // 10..40
            std::string serial = "_";
            for (std::size_t v = i; v != 0 || serial.size() == 1; v /= 36)
                serial += "0123456789abcdefghijklmnopqrstuvwxyz"[v % 36];
            name = prefixes[rng() % std::size(prefixes)];
            while (name.size() + serial.size() < want) {
                name += words[rng() % std::size(words)];
                name += '_';
            }
            name.resize(want - serial.size());
            if (name.back() == '_') name.back() = 'x';
            name += serial;
        }
        std::snprintf(hex, sizeof hex, "%016" PRIx64, a);
        out.append(hex, 16);
        out += ' ';
        out += types[rng() % (sizeof types - 1)];
        out += ' ';
        out += name;
        if (in_module) {
            out += "\t[";
            out += modules[((i - (lines - module_lines)) * std::size(modules)) / module_lines];
            out += ']';
        }
        out += '\n';
    }
    return out;
}

struct dataset {
    std::string name;
    std::string text;
    ksym::proc_kallsyms parsed;
    std::vector<std::uint64_t> storage;
    std::vector<std::uint64_t> addr_queries;  // sampled symbols' addresses plus 0..15
    std::vector<std::string> name_queries;
    std::vector<ksym::symbol> symbols;        // listing order, views into text
};

constexpr std::size_t queries = 4096;

dataset& data(int which) {
    static dataset sets[2];
    static bool ready[2] = {false, false};
    dataset& d = sets[which];
    if (ready[which]) return d;
    ready[which] = true;
    d.name = which == 0 ? "live" : "synthetic";
    d.text = which == 0 ? saved_proc_kallsyms() : synthetic_kallsyms();
    if (d.text.empty()) return d;
    if (!d.parsed.open(d.text)) std::abort();
    d.storage.resize(d.parsed.index_words());
    if (!d.parsed.build(d.storage)) std::abort();
    d.parsed.for_each([&](const ksym::kallsyms_line& l) {
        ksym::symbol s;
        s.address = l.address;
        s.type = l.type;
        s.name = l.name;
        s.module = l.module;
        d.symbols.push_back(s);
    });
    std::mt19937_64 rng(12345);
    for (std::size_t i = 0; i < queries; ++i) {
        const ksym::symbol& s = d.symbols[rng() % d.symbols.size()];
        d.addr_queries.push_back(s.address + rng() % 16);
        d.name_queries.emplace_back(s.name);
    }
    return d;
}

// ---- Baselines ----

struct entry {
    std::uint64_t address;
    std::uint32_t name_off;
    std::uint16_t name_len;
    std::uint8_t module_len;
    char type;
    std::uint32_t module_off;
};

struct listing {
    std::vector<entry> entries;
    std::string arena;  // names and module names, back to back
    std::string_view name(const entry& e) const { return std::string_view(arena).substr(e.name_off, e.name_len); }
    void clear() {
        entries.clear();
        arena.clear();
    }
    void add(std::uint64_t addr, char type, std::string_view name, std::string_view module) {
        entry e{};
        e.address = addr;
        e.type = type;
        e.name_off = static_cast<std::uint32_t>(arena.size());
        e.name_len = static_cast<std::uint16_t>(name.size());
        arena.append(name);
        e.module_off = static_cast<std::uint32_t>(arena.size());
        e.module_len = static_cast<std::uint8_t>(module.size());
        arena.append(module);
        entries.push_back(e);
    }
};

FILE* open_memory(std::string& text) {
    FILE* f = ::fmemopen(text.data(), text.size(), "r");
    if (!f) std::abort();
    return f;
}

// libbpf's loop: fscanf with a 499-character name field; the module tag is
// read past and dropped.
void parse_fscanf(std::string& text, listing& out) {
    out.clear();
    FILE* f = open_memory(text);
    unsigned long long addr;
    char type;
    char name[500];
    while (std::fscanf(f, "%llx %c %499s%*[^\n]\n", &addr, &type, name) == 3)
        out.add(addr, type, name, {});
    std::fclose(f);
}

// getline + strtoull + a split by hand, module tag kept.
void parse_getline(std::string& text, listing& out) {
    out.clear();
    FILE* f = open_memory(text);
    char* line = nullptr;
    std::size_t cap = 0;
    ssize_t len;
    while ((len = ::getline(&line, &cap, f)) > 0) {
        char* end = nullptr;
        const std::uint64_t addr = std::strtoull(line, &end, 16);
        if (end == line || *end != ' ' || end[1] == '\0' || end[2] != ' ') continue;
        const char type = end[1];
        char* name = end + 3;
        char* stop = line + len;
        if (stop > name && stop[-1] == '\n') --stop;
        char* tab = static_cast<char*>(std::memchr(name, '\t', static_cast<std::size_t>(stop - name)));
        std::string_view module;
        char* name_end = tab ? tab : stop;
        if (tab && stop - tab >= 3 && tab[1] == '[' && stop[-1] == ']')
            module = std::string_view(tab + 2, static_cast<std::size_t>(stop - 1 - (tab + 2)));
        out.add(addr, type, std::string_view(name, static_cast<std::size_t>(name_end - name)), module);
    }
    std::free(line);
    std::fclose(f);
}

// bcc's KSyms: the parse, then a sort by address for upper_bound lookups.
void parse_sorted(std::string& text, listing& out) {
    parse_getline(text, out);
    std::sort(out.entries.begin(), out.entries.end(),
              [](const entry& a, const entry& b) { return a.address < b.address; });
}

// ---- Helpers ----

void per_line(benchmark::State& state, const dataset& d) {
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(d.text.size()));
    state.counters["lines"] = static_cast<double>(d.symbols.size());
    state.counters["ns_per_line"] = benchmark::Counter(static_cast<double>(d.symbols.size()),
                                                        benchmark::Counter::kIsIterationInvariantRate |
                                                            benchmark::Counter::kInvert);
    state.SetLabel(d.name);
}

bool usable(benchmark::State& state, const dataset& d, bool need_addresses = false) {
    if (d.text.empty()) {
        state.SkipWithError("no /proc/kallsyms");
        return false;
    }
    if (need_addresses && d.parsed.addresses_hidden()) {
        state.SkipWithError("addresses hidden (kptr_restrict): run as root");
        return false;
    }
    return true;
}

// After the timed loop, each query timed on its own between fenced TSC
// reads, less the timer's own median cost (as in bench_kallsyms.cpp).
template <class F>
void latency_counters(benchmark::State& state, std::size_t samples, F&& call) {
    static const double scale = ksym_bench::ns_per_tick();
    std::vector<double> timer_cost(1024), t(samples);
    for (auto& c : timer_cost) {
        const std::uint64_t a = ksym_bench::ticks();
        const std::uint64_t b = ksym_bench::ticks();
        c = static_cast<double>(b - a);
    }
    std::nth_element(timer_cost.begin(), timer_cost.begin() + 512, timer_cost.end());
    const double overhead = timer_cost[512];
    for (std::size_t i = 0; i < samples; ++i) {
        const std::uint64_t a = ksym_bench::ticks();
        call(i);
        const std::uint64_t b = ksym_bench::ticks();
        t[i] = (static_cast<double>(b - a) - overhead) * scale;
    }
    std::sort(t.begin(), t.end());
    state.counters["p50_ns"] = t[samples / 2];
    state.counters["p99_ns"] = t[samples * 99 / 100];
}

template <class F>
void time_calls(benchmark::State& state, std::size_t samples, F&& call) {
    std::size_t i = 0;
    for (auto _ : state) call(i++ % samples);
    latency_counters(state, samples, call);
}

// ---- 1. /proc/kallsyms parse + index ----

// open(): every line checked, nothing stored.
void kallsyms_ksym_open(benchmark::State& state, int which) {
    dataset& d = data(which);
    if (!usable(state, d)) return;
    ksym::proc_kallsyms p;
    for (auto _ : state) {
        if (!p.open(d.text)) std::abort();
        benchmark::DoNotOptimize(p.size());
    }
    per_line(state, d);
}

// open() + build(): parsed, indexed by address and by name (storage lent once).
void kallsyms_ksym_open_build(benchmark::State& state, int which) {
    dataset& d = data(which);
    if (!usable(state, d)) return;
    ksym::proc_kallsyms p;
    std::vector<std::uint64_t> storage(d.parsed.index_words());
    for (auto _ : state) {
        if (!p.open(d.text) || !p.build(storage)) std::abort();
        benchmark::DoNotOptimize(storage.data());
    }
    per_line(state, d);
}

// open(text, storage): the same index in one pass over the text, its
// storage sized by storage_words() (a count of the lines) each time, as a
// caller reading a fresh /proc/kallsyms would.
void kallsyms_ksym_open_indexed(benchmark::State& state, int which) {
    dataset& d = data(which);
    if (!usable(state, d)) return;
    ksym::proc_kallsyms p;
    std::vector<std::uint64_t> storage(ksym::proc_kallsyms::storage_words(d.text));
    for (auto _ : state) {
        const std::size_t words = ksym::proc_kallsyms::storage_words(d.text);
        if (words > storage.size() || !p.open(d.text, std::span(storage).first(words))) std::abort();
        benchmark::DoNotOptimize(storage.data());
    }
    per_line(state, d);
}

template <void (*Parse)(std::string&, listing&)>
void kallsyms_baseline(benchmark::State& state, int which) {
    dataset& d = data(which);
    if (!usable(state, d)) return;
    listing l;
    Parse(d.text, l);
    if (l.entries.size() != d.symbols.size()) {
        state.SkipWithError("baseline read a different number of lines");
        return;
    }
    for (auto _ : state) {
        Parse(d.text, l);
        benchmark::DoNotOptimize(l.entries.data());
    }
    per_line(state, d);
}

void kallsyms_baseline_fscanf(benchmark::State& state, int which) { kallsyms_baseline<parse_fscanf>(state, which); }
void kallsyms_baseline_getline(benchmark::State& state, int which) { kallsyms_baseline<parse_getline>(state, which); }
void kallsyms_baseline_sorted(benchmark::State& state, int which) { kallsyms_baseline<parse_sorted>(state, which); }

// Lookups. ksym's answer also carries the size (next higher address in the
// same module) and picks the first alias; the baseline gives the entry only.
void kallsyms_find_by_address_ksym(benchmark::State& state, int which) {
    dataset& d = data(which);
    if (!usable(state, d, true)) return;
    const ksym::proc_kallsyms& p = d.parsed;
    time_calls(state, queries, [&](std::size_t i) {
        auto r = p.find_by_address(d.addr_queries[i]);
        benchmark::DoNotOptimize(r);
    });
    state.SetLabel(d.name);
}

void kallsyms_find_by_address_sorted_baseline(benchmark::State& state, int which) {
    dataset& d = data(which);
    if (!usable(state, d, true)) return;
    listing l;
    parse_sorted(d.text, l);
    auto find = [&](std::uint64_t addr) -> const entry* {
        auto it = std::upper_bound(l.entries.begin(), l.entries.end(), addr,
                                   [](std::uint64_t a, const entry& e) { return a < e.address; });
        return it == l.entries.begin() ? nullptr : &*(it - 1);
    };
    // Same answers as ksym's (by address: aliases differ in which one).
    for (const std::uint64_t a : d.addr_queries) {
        const entry* e = find(a);
        auto r = d.parsed.find_by_address(a);
        if (!e || !r || r->sym.address != e->address) {
            state.SkipWithError("baseline and ksym disagree");
            return;
        }
    }
    time_calls(state, queries, [&](std::size_t i) {
        const entry* e = find(d.addr_queries[i]);
        benchmark::DoNotOptimize(e);
        std::string_view n = l.name(*e);
        benchmark::DoNotOptimize(n);
    });
    state.SetLabel(d.name);
}

void kallsyms_find_by_name_ksym(benchmark::State& state, int which) {
    dataset& d = data(which);
    if (!usable(state, d, true)) return;
    const ksym::proc_kallsyms& p = d.parsed;
    time_calls(state, queries, [&](std::size_t i) {
        auto r = p.find_by_name(d.name_queries[i]);
        benchmark::DoNotOptimize(r);
    });
    state.SetLabel(d.name);
}

// Baseline by name: the parsed vector's indices sorted by name, lower_bound.
void kallsyms_find_by_name_sorted_baseline(benchmark::State& state, int which) {
    dataset& d = data(which);
    if (!usable(state, d, true)) return;
    listing l;
    parse_getline(d.text, l);
    std::vector<std::uint32_t> by_name(l.entries.size());
    for (std::uint32_t i = 0; i < by_name.size(); ++i) by_name[i] = i;
    std::stable_sort(by_name.begin(), by_name.end(), [&](std::uint32_t a, std::uint32_t b) {
        return l.name(l.entries[a]) < l.name(l.entries[b]);
    });
    auto find = [&](std::string_view name) -> const entry* {
        auto it = std::lower_bound(by_name.begin(), by_name.end(), name,
                                   [&](std::uint32_t k, std::string_view v) { return l.name(l.entries[k]) < v; });
        return it != by_name.end() && l.name(l.entries[*it]) == name ? &l.entries[*it] : nullptr;
    };
    for (const auto& q : d.name_queries) {
        if (!find(q) || !d.parsed.find_by_name(q)) {
            state.SkipWithError("baseline or ksym missed a name");
            return;
        }
    }
    time_calls(state, queries, [&](std::size_t i) {
        const entry* e = find(d.name_queries[i]);
        benchmark::DoNotOptimize(e);
    });
    state.SetLabel(d.name);
}

// ---- 2. System.map scan ----

void system_map_locate(benchmark::State& state, const char* kernel) {
    const char* env = std::getenv("KSYM_CORPUS");
    const char* home = std::getenv("HOME");
    const std::filesystem::path p =
        std::filesystem::path(env ? env : (std::string(home ? home : "/root") + "/.cache/ksym/corpus")) / kernel /
        "System.map";
    const std::string text = read_path(p.c_str());
    if (text.empty()) {
        state.SkipWithError("System.map not in the corpus (tests/corpus/fetch.sh)");
        return;
    }
    if (!ksym::locate_in_system_map(text)) {
        state.SkipWithError("locate_in_system_map failed");
        return;
    }
    for (auto _ : state) {
        auto r = ksym::locate_in_system_map(text);
        benchmark::DoNotOptimize(r);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(text.size()));
    state.counters["lines"] = static_cast<double>(std::count(text.begin(), text.end(), '\n'));
    state.SetLabel(kernel);
}

// ---- 3. The writer ----

// Every line of the listing into one buffer; the output is checked once
// against the text it was parsed from.
void writer_ksym(benchmark::State& state, int which) {
    dataset& d = data(which);
    if (!usable(state, d)) return;
    const int digits = static_cast<int>(d.parsed.address_digits());
    std::string out(d.text.size() + ksym::max_kallsyms_line, '\0');
    auto write_all = [&] {
        char* p = out.data();
        for (const ksym::symbol& s : d.symbols) p += ksym::write_kallsyms_line(s, digits, p);
        return static_cast<std::size_t>(p - out.data());
    };
    if (std::string_view(out.data(), write_all()) != d.text) {
        state.SkipWithError("written text differs from the listing");
        return;
    }
    for (auto _ : state) {
        const std::size_t n = write_all();
        benchmark::DoNotOptimize(n);
        benchmark::ClobberMemory();
    }
    per_line(state, d);  // output bytes = the listing's bytes
}

void writer_snprintf_baseline(benchmark::State& state, int which) {
    dataset& d = data(which);
    if (!usable(state, d)) return;
    const int digits = static_cast<int>(d.parsed.address_digits());
    std::string out(d.text.size() + ksym::max_kallsyms_line, '\0');
    auto write_all = [&] {
        char* p = out.data();
        for (const ksym::symbol& s : d.symbols) {
            const int n = s.module.empty()
                              ? std::snprintf(p, ksym::max_kallsyms_line, "%0*" PRIx64 " %c %.*s\n", digits, s.address,
                                              s.type, static_cast<int>(s.name.size()), s.name.data())
                              : std::snprintf(p, ksym::max_kallsyms_line, "%0*" PRIx64 " %c %.*s\t[%.*s]\n", digits,
                                              s.address, s.type, static_cast<int>(s.name.size()), s.name.data(),
                                              static_cast<int>(s.module.size()), s.module.data());
            p += n;
        }
        return static_cast<std::size_t>(p - out.data());
    };
    if (std::string_view(out.data(), write_all()) != d.text) {
        state.SkipWithError("written text differs from the listing");
        return;
    }
    for (auto _ : state) {
        const std::size_t n = write_all();
        benchmark::DoNotOptimize(n);
        benchmark::ClobberMemory();
    }
    per_line(state, d);
}

// ---- 4. The kernel's share: one read of the live /proc/kallsyms ----

void read_proc_kallsyms(benchmark::State& state) {
    std::vector<char> buf(64 << 20);
    std::size_t bytes = 0, lines = 0;
    for (auto _ : state) {
        const int fd = ::open("/proc/kallsyms", O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            state.SkipWithError("cannot open /proc/kallsyms");
            return;
        }
        std::size_t used = 0;
        for (;;) {
            const ssize_t n = ::read(fd, buf.data() + used, buf.size() - used);
            if (n <= 0) break;
            used += static_cast<std::size_t>(n);
        }
        ::close(fd);
        bytes = used;
        benchmark::DoNotOptimize(buf.data());
    }
    lines = static_cast<std::size_t>(std::count(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(bytes), '\n'));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(bytes));
    state.counters["lines"] = static_cast<double>(lines);
    state.counters["ns_per_line"] = benchmark::Counter(static_cast<double>(lines),
                                                        benchmark::Counter::kIsIterationInvariantRate |
                                                            benchmark::Counter::kInvert);
}

}  // namespace

BENCHMARK_CAPTURE(kallsyms_ksym_open, live, 0)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(kallsyms_ksym_open, synthetic, 1)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(kallsyms_ksym_open_build, live, 0)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(kallsyms_ksym_open_build, synthetic, 1)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(kallsyms_ksym_open_indexed, live, 0)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(kallsyms_ksym_open_indexed, synthetic, 1)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(kallsyms_baseline_fscanf, live, 0)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(kallsyms_baseline_fscanf, synthetic, 1)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(kallsyms_baseline_getline, live, 0)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(kallsyms_baseline_getline, synthetic, 1)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(kallsyms_baseline_sorted, live, 0)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(kallsyms_baseline_sorted, synthetic, 1)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(kallsyms_find_by_address_ksym, live, 0);
BENCHMARK_CAPTURE(kallsyms_find_by_address_ksym, synthetic, 1);
BENCHMARK_CAPTURE(kallsyms_find_by_address_sorted_baseline, live, 0);
BENCHMARK_CAPTURE(kallsyms_find_by_address_sorted_baseline, synthetic, 1);
BENCHMARK_CAPTURE(kallsyms_find_by_name_ksym, live, 0);
BENCHMARK_CAPTURE(kallsyms_find_by_name_ksym, synthetic, 1);
BENCHMARK_CAPTURE(kallsyms_find_by_name_sorted_baseline, live, 0);
BENCHMARK_CAPTURE(kallsyms_find_by_name_sorted_baseline, synthetic, 1);
BENCHMARK_CAPTURE(system_map_locate, amd64_6_12, "amd64-6.12")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(system_map_locate, amd64_7, "amd64-7")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(writer_ksym, live, 0)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(writer_ksym, synthetic, 1)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(writer_snprintf_baseline, live, 0)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(writer_snprintf_baseline, synthetic, 1)->Unit(benchmark::kMillisecond);
BENCHMARK(read_proc_kallsyms)->Unit(benchmark::kMillisecond);
