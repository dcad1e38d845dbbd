// kallsyms decoding on real kernels, beside baselines that mirror the
// kernel's own algorithms (kernel/kallsyms.c) run over the same bytes.
//
// Kernels come from the conformance corpus (tests/corpus/fetch.sh):
// $KSYM_CORPUS, else $HOME/.cache/ksym/corpus. Each image is loaded into
// memory first, so the figures are the decoder's, not the disk's. Without a
// corpus, a synthetic 200k-symbol table stands in (and says so).
#include <benchmark/benchmark.h>

#include "timer.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "ksym/arch/targets.hpp"
#include "ksym/elf/elf_file.hpp"
#include "ksym/kallsyms/encoder.hpp"
#include "ksym/kallsyms/index.hpp"
#include "ksym/kallsyms/resolve.hpp"
#include "ksym/kallsyms/table.hpp"
#include "ksym/memory/buffer_reader.hpp"
#include "ksym/memory/segment_map.hpp"
#include "ksym/pipeline/kernel_image.hpp"

namespace {

using table_t = ksym::kallsyms_table<ksym::segment_map<64>, ksym::arch::x86_64>;
using index_t = ksym::kallsyms_index<ksym::segment_map<64>, ksym::arch::x86_64>;

// A kernel in memory: the image bytes, a segment map over them, the resolved
// format (fmt.layout is where the arrays are).
struct loaded_kernel {
    std::string name;
    std::vector<std::byte> bytes;
    std::vector<ksym::buffer_reader> pieces;
    ksym::segment_map<64> map;
    ksym::kallsyms_format fmt;
    std::vector<std::string> names;      // every name, for sampling
    std::vector<std::uint64_t> addrs;    // every address, for sampling
};

std::string read_all(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::unique_ptr<loaded_kernel> load_corpus(const std::string& id) {
    const char* env = std::getenv("KSYM_CORPUS");
    const char* home = std::getenv("HOME");
    const std::filesystem::path dir =
        std::filesystem::path(env ? env : (std::string(home ? home : "/root") + "/.cache/ksym/corpus")) / id;
    if (!std::filesystem::exists(dir / "image")) return nullptr;
    auto k = std::make_unique<loaded_kernel>();
    k->name = id;
    const std::string map = read_all(dir / "System.map");
    auto img = std::make_unique<ksym::kernel_image>();
    if (!img->open((dir / "image").c_str(), map) || img->arch() != ksym::arch_id::x86_64) return nullptr;
    // The format the pipeline resolved from the file (map anchors included);
    // the in-memory segments below have the same addresses.
    k->fmt = img->kallsyms();
    const std::string raw = read_all(dir / "image");
    k->bytes.resize(raw.size());
    std::memcpy(k->bytes.data(), raw.data(), raw.size());
    ksym::buffer_reader file(k->bytes, 0);
    auto h = ksym::elf::read_header(file);
    if (!h) return nullptr;
    k->pieces.reserve(h->phnum);
    for (std::uint16_t i = 0; i < h->phnum; ++i) {
        auto sg = ksym::elf::read_segment(file, *h, i);
        if (!sg || sg->type != ksym::elf::pt_load || sg->filesz == 0) continue;
        k->pieces.emplace_back(std::span<const std::byte>(k->bytes).subspan(sg->offset, sg->filesz), sg->vaddr);
        (void)k->map.add(sg->vaddr, sg->filesz, k->pieces.back());
    }
    return k;
}

std::unique_ptr<loaded_kernel> synthetic() {
    auto k = std::make_unique<loaded_kernel>();
    k->name = "synthetic-200k";
    std::vector<ksym::encoder_symbol> syms;
    std::mt19937_64 rng(7);
    const char* pre[] = {"__x64_sys_", "ext4_", "tcp_", "bpf_", "do_", "vfs_", "kvm_", "drm_", "__pfx_"};
    std::uint64_t a = 0xffffffff81000000ull;
    for (int i = 0; i < 200000; ++i) {
        a += 16 + rng() % 512;
        syms.push_back({a, (rng() & 1) ? 'T' : 't', std::string(pre[rng() % 9]) + "fn_" + std::to_string(rng() % 100000)});
    }
    ksym::encoder_options eo;
    eo.base = 0xffffffff83000000ull;
    auto t = ksym::encode_kallsyms(syms, eo);
    if (!t) return nullptr;
    k->bytes = t->blob;
    k->fmt = t->format;
    k->pieces.emplace_back(k->bytes, t->base);
    (void)k->map.add(t->base, k->bytes.size(), k->pieces.back());
    return k;
}

loaded_kernel& kernel() {
    static std::unique_ptr<loaded_kernel> k = [] {
        const char* want = std::getenv("KSYM_BENCH_KERNEL");
        auto got = load_corpus(want ? want : "amd64-7");
        if (!got) {
            std::fprintf(stderr, "bench: corpus kernel not found; using a synthetic table\n");
            got = synthetic();
        }
        // Stage 2 over the in-memory reader must find what the pipeline found.
        auto again = ksym::resolve_format<ksym::arch::x86_64>(got->map, got->fmt.layout);
        if (!again || again->encoding != got->fmt.encoding || again->relative_base != got->fmt.relative_base ||
            again->count != got->fmt.count || again->seq_bytes != got->fmt.seq_bytes)
            std::abort();
        auto t = std::make_unique<table_t>();
        if (!t->open(got->map, got->fmt)) std::abort();
        ksym::name_buffer buf{};
        if (!t->for_each(std::span(buf), [&](const ksym::symbol& s) {
                got->names.emplace_back(s.name);
                got->addrs.push_back(s.address);
            }))
            std::abort();
        return got;
    }();
    return *k;
}

// A table opened in place (about 80 KiB: on the heap, not the stack).
std::unique_ptr<table_t> open_table(loaded_kernel& k, const ksym::kallsyms_format& fmt) {
    auto t = std::make_unique<table_t>();
    if (!t->open(k.map, fmt)) std::abort();
    return t;
}
std::unique_ptr<table_t> open_table(loaded_kernel& k) { return open_table(k, k.fmt); }

// The format as VMCOREINFO gives it: its SYMBOL() lines never name
// kallsyms_markers or kallsyms_seqs_of_names, so the table derives the
// markers (one pass over the names when opened) and name lookup is linear.
ksym::kallsyms_format vmcoreinfo_format(loaded_kernel& k) {
    ksym::kallsyms_layout l = k.fmt.layout;
    l.markers.reset();
    l.seqs_of_names.reset();
    auto f = ksym::resolve_format<ksym::arch::x86_64>(k.map, l);
    if (!f || f->marker_bytes != 0 || f->seq_bytes != 0) std::abort();
    return *f;
}

// ---- The kernel's algorithms, over raw pointers as the kernel sees memory ----

struct kernel_view {
    const std::uint8_t* names;
    const std::uint32_t* markers;
    const char* token_table;
    const std::uint16_t* token_index;
    const std::int32_t* offsets;
    const std::uint8_t* seqs;
    std::uint64_t relative_base;
    std::uint64_t offsets_addr;
    ksym::address_encoding enc;
    std::uint32_t n;

    // kallsyms_expand_symbol: length, then each token's string, dropping the type char.
    std::uint32_t expand_symbol(std::uint32_t off, char* result, std::size_t maxlen) const {
        const std::uint8_t* data = &names[off];
        std::uint32_t len = *data++;
        ++off;
        if (len & 0x80) {
            len = (len & 0x7f) | (static_cast<std::uint32_t>(*data) << 7);
            ++data;
            ++off;
        }
        off += len;
        bool skipped_first = false;
        while (len) {
            const char* tptr = &token_table[token_index[*data]];
            ++data;
            --len;
            while (*tptr) {
                if (skipped_first) {
                    if (maxlen <= 1) goto tail;
                    *result++ = *tptr;
                    --maxlen;
                } else {
                    skipped_first = true;
                }
                ++tptr;
            }
        }
    tail:
        if (maxlen) *result = '\0';
        return off;
    }

    std::uint64_t sym_address(std::uint32_t i) const {
        switch (enc) {
        case ksym::address_encoding::absolute_percpu:
            return offsets[i] >= 0 ? static_cast<std::uint64_t>(offsets[i])
                                   : relative_base - 1 - static_cast<std::uint64_t>(static_cast<std::int64_t>(offsets[i]));
        case ksym::address_encoding::place_relative:
            return offsets_addr + std::uint64_t{4} * i + static_cast<std::uint64_t>(static_cast<std::int64_t>(offsets[i]));
        default: return relative_base + static_cast<std::uint32_t>(offsets[i]);
        }
    }

    // get_symbol_offset: marker, then skip records.
    std::uint32_t symbol_offset(std::uint32_t pos) const {
        const std::uint8_t* name = &names[markers[pos >> 8]];
        for (std::uint32_t i = 0; i < (pos & 0xff); ++i) {
            std::uint32_t len = *name;
            if (len & 0x80) len = ((len & 0x7f) | (static_cast<std::uint32_t>(name[1]) << 7)) + 1;
            name += len + 1;
        }
        return static_cast<std::uint32_t>(name - names);
    }

    // Pre-6.2 kallsyms_lookup_name: linear.
    std::uint64_t lookup_name_linear(const char* want) const {
        char buf[ksym::name_buffer_size];
        for (std::uint32_t i = 0, off = 0; i < n; ++i) {
            off = expand_symbol(off, buf, sizeof buf);
            if (std::strcmp(buf, want) == 0) return sym_address(i);
        }
        return 0;
    }

    // 6.2+ kallsyms_lookup_names: binary search over seqs_of_names.
    std::uint64_t lookup_name_sorted(const char* want) const {
        char buf[ksym::name_buffer_size];
        std::uint32_t low = 0, high = n - 1;
        auto seq_of = [&](std::uint32_t k) {
            return (std::uint32_t{seqs[3 * k]} << 16) | (std::uint32_t{seqs[3 * k + 1]} << 8) | seqs[3 * k + 2];
        };
        while (low <= high) {
            const std::uint32_t mid = low + (high - low) / 2;
            expand_symbol(symbol_offset(seq_of(mid)), buf, sizeof buf);
            const int r = std::strcmp(want, buf);
            if (r > 0) low = mid + 1;
            else if (r < 0) { if (mid == 0) break; high = mid - 1; }
            else {
                low = mid;
                while (low > 0) {
                    expand_symbol(symbol_offset(seq_of(low - 1)), buf, sizeof buf);
                    if (std::strcmp(want, buf)) break;
                    --low;
                }
                return sym_address(seq_of(low));
            }
        }
        return 0;
    }

    // get_symbol_pos: binary search, then the first alias, then the size.
    std::uint64_t symbol_pos(std::uint64_t addr, std::uint64_t* size) const {
        std::uint32_t low = 0, high = n;
        while (high - low > 1) {
            const std::uint32_t mid = low + (high - low) / 2;
            if (sym_address(mid) <= addr) low = mid;
            else high = mid;
        }
        while (low && sym_address(low - 1) == sym_address(low)) --low;
        std::uint64_t next = 0;
        for (std::uint32_t i = low + 1; i < n; ++i)
            if (sym_address(i) > sym_address(low)) { next = sym_address(i); break; }
        *size = next ? next - sym_address(low) : 0;
        return low;
    }
};

const std::byte* ptr(loaded_kernel& k, std::uint64_t addr) {
    for (const auto& piece : k.pieces)
        if (addr >= piece.base() && addr - piece.base() < piece.bytes().size()) return piece.bytes().data() + (addr - piece.base());
    std::abort();
}

kernel_view view(loaded_kernel& k) {
    const ksym::kallsyms_layout& l = k.fmt.layout;
    if (!l.markers || !l.offsets || k.fmt.marker_bytes != 4) std::abort();
    kernel_view v{};
    v.names = reinterpret_cast<const std::uint8_t*>(ptr(k, l.names));
    v.markers = reinterpret_cast<const std::uint32_t*>(ptr(k, *l.markers));
    v.token_table = reinterpret_cast<const char*>(ptr(k, l.token_table));
    v.token_index = reinterpret_cast<const std::uint16_t*>(ptr(k, l.token_index));
    v.offsets = reinterpret_cast<const std::int32_t*>(ptr(k, *l.offsets));
    v.seqs = l.seqs_of_names ? reinterpret_cast<const std::uint8_t*>(ptr(k, *l.seqs_of_names)) : nullptr;
    v.offsets_addr = *l.offsets;
    v.relative_base = k.fmt.relative_base;
    v.enc = k.fmt.encoding;
    v.n = k.fmt.count;
    return v;
}

// 4096 random symbols' names and addresses (+1, inside the symbol), copied
// into arrays of their own so that fetching the query is not a cache miss
// charged to the lookup.
constexpr std::size_t queries = 4096;

std::vector<std::size_t> sample(std::size_t n) {
    std::mt19937_64 rng(12345);
    std::vector<std::size_t> v(queries);
    for (auto& x : v) x = rng() % n;
    return v;
}

std::vector<std::string> name_queries(const loaded_kernel& k) {
    std::vector<std::string> q;
    for (auto i : sample(k.names.size())) q.push_back(k.names[i]);
    return q;
}

std::vector<std::uint64_t> address_queries(const loaded_kernel& k) {
    std::vector<std::uint64_t> q;
    for (auto i : sample(k.addrs.size())) q.push_back(k.addrs[i] + 1);
    return q;
}

// Google Benchmark reports the mean; the targets are medians. After the
// timed loop, each sampled call is timed on its own and the timer's own cost
// (the median of back-to-back reads) subtracted, giving p50/p99 counters. On
// x86-64 the timer is the time-stamp counter (steady_clock ticks too coarsely
// for calls of ~100 ns), calibrated against steady_clock.
using ksym_bench::ns_per_tick;
using ksym_bench::ticks;

template <class F>
void latency_counters(benchmark::State& state, std::size_t samples, F&& call) {
    static const double scale = ns_per_tick();
    std::vector<double> timer_cost(1024), t(samples);
    for (auto& c : timer_cost) {
        const std::uint64_t a = ticks();
        const std::uint64_t b = ticks();
        c = static_cast<double>(b - a);
    }
    std::nth_element(timer_cost.begin(), timer_cost.begin() + 512, timer_cost.end());
    const double overhead = timer_cost[512];
    for (std::size_t i = 0; i < samples; ++i) {
        const std::uint64_t a = ticks();
        call(i);
        const std::uint64_t b = ticks();
        t[i] = (static_cast<double>(b - a) - overhead) * scale;
    }
    std::sort(t.begin(), t.end());
    state.counters["p50_ns"] = t[samples / 2];
    state.counters["p99_ns"] = t[samples * 99 / 100];
}

// The timed loop over the sampled calls, then their latency percentiles.
template <class F>
void time_calls(benchmark::State& state, std::size_t samples, F&& call) {
    std::size_t i = 0;
    for (auto _ : state) call(i++ % samples);
    latency_counters(state, samples, call);
}

void decode_all_with(benchmark::State& state, const ksym::kallsyms_format& fmt) {
    auto& k = kernel();
    auto t = open_table(k, fmt);
    const std::size_t calls_after_open = t->reader_calls();
    ksym::name_buffer buf{};
    for (auto _ : state) {
        std::uint64_t sum = 0;
        (void)t->for_each(std::span(buf), [&](const ksym::symbol& s) { sum += s.address + s.name.size(); });
        benchmark::DoNotOptimize(sum);
    }
    state.SetLabel(k.name);
    state.counters["symbols"] = t->size();
    state.counters["reads_per_pass"] =
        static_cast<double>(t->reader_calls() - calls_after_open) / static_cast<double>(state.iterations());
    state.counters["ns_per_symbol"] = benchmark::Counter(static_cast<double>(t->size()),
                                                          benchmark::Counter::kIsIterationInvariantRate |
                                                              benchmark::Counter::kInvert);
}

void decode_all(benchmark::State& state) { decode_all_with(state, kernel().fmt); }

// The bulk contract: every name into one caller-sized buffer, NUL-separated,
// addresses and types into arrays (decode_range), sized by names_bytes().
// Checked once against the for_each pass that loaded the kernel.
void decode_bulk(benchmark::State& state) {
    auto& k = kernel();
    auto t = open_table(k);
    auto need = t->names_bytes();
    if (!need) std::abort();
    std::vector<char> names(*need);
    std::vector<std::uint64_t> addrs(t->size());
    std::vector<char> types(t->size());
    auto got = t->decode_all(names, addrs, types);
    if (!got || *got != *need || addrs != k.addrs) std::abort();
    for (std::size_t i = 0, p = 0; i < k.names.size(); ++i) {
        if (std::string_view(names.data() + p) != k.names[i]) std::abort();
        p += k.names[i].size() + 1;
    }
    const std::size_t calls_after_open = t->reader_calls();
    for (auto _ : state) {
        auto r = t->decode_all(names, addrs, types);
        benchmark::DoNotOptimize(r);
        benchmark::DoNotOptimize(names.data());
        benchmark::ClobberMemory();
    }
    state.SetLabel(k.name);
    state.counters["name_bytes"] = static_cast<double>(*need);
    state.counters["reads_per_pass"] =
        static_cast<double>(t->reader_calls() - calls_after_open) / static_cast<double>(state.iterations());
    state.counters["ns_per_symbol"] = benchmark::Counter(static_cast<double>(t->size()),
                                                          benchmark::Counter::kIsIterationInvariantRate |
                                                              benchmark::Counter::kInvert);
}

// The bulk contract in slices of 4096 symbols into one reused buffer (the
// names of a slice stay in L2): what a consumer that streams names out does.
void decode_bulk_slices(benchmark::State& state) {
    auto& k = kernel();
    auto t = open_table(k);
    constexpr std::uint32_t slice = 4096;
    std::vector<char> names(slice * ksym::name_buffer_size);
    std::vector<std::uint64_t> addrs(slice);
    std::vector<char> types(slice);
    for (auto _ : state) {
        for (std::uint32_t first = 0; first < t->size(); first += slice) {
            auto r = t->decode_range(first, std::min(t->size(), first + slice), names, addrs, types);
            benchmark::DoNotOptimize(r);
        }
        benchmark::ClobberMemory();
    }
    state.SetLabel(k.name);
    state.counters["ns_per_symbol"] = benchmark::Counter(static_cast<double>(t->size()),
                                                          benchmark::Counter::kIsIterationInvariantRate |
                                                              benchmark::Counter::kInvert);
}

// names_bytes(): the sizing pass a caller makes once before decode_all.
void decode_bulk_sizing(benchmark::State& state) {
    auto& k = kernel();
    auto t = open_table(k);
    for (auto _ : state) benchmark::DoNotOptimize(t->names_bytes());
    state.SetLabel(k.name);
    state.counters["ns_per_symbol"] = benchmark::Counter(static_cast<double>(t->size()),
                                                          benchmark::Counter::kIsIterationInvariantRate |
                                                              benchmark::Counter::kInvert);
}

// The same walk on a table opened from a VMCOREINFO-style layout (derived markers).
void decode_all_vmcoreinfo(benchmark::State& state) { decode_all_with(state, vmcoreinfo_format(kernel())); }

// open(): the token table, marker 0 (or, without markers, the one pass over
// the names that derives them) and the first record.
void open_with(benchmark::State& state, const ksym::kallsyms_format& fmt) {
    auto& k = kernel();
    auto t = std::make_unique<table_t>();
    for (auto _ : state) {
        const ksym::status s = t->open(k.map, fmt);
        if (!s) {
            state.SkipWithError("open failed");
            return;
        }
        benchmark::DoNotOptimize(t->size());
    }
    state.SetLabel(k.name);
}
void open_table_cost(benchmark::State& state) { open_with(state, kernel().fmt); }
void open_table_vmcoreinfo(benchmark::State& state) { open_with(state, vmcoreinfo_format(kernel())); }

void decode_all_kernel_baseline(benchmark::State& state) {
    auto& k = kernel();
    const kernel_view v = view(k);
    char buf[ksym::name_buffer_size];
    for (auto _ : state) {
        std::uint64_t sum = 0;
        for (std::uint32_t i = 0, off = 0; i < v.n; ++i) {
            off = v.expand_symbol(off, buf, sizeof buf);
            sum += v.sym_address(i) + static_cast<unsigned char>(buf[0]);
        }
        benchmark::DoNotOptimize(sum);
    }
    state.SetLabel(k.name);
    state.counters["ns_per_symbol"] = benchmark::Counter(static_cast<double>(v.n),
                                                          benchmark::Counter::kIsIterationInvariantRate |
                                                              benchmark::Counter::kInvert);
}

// state.range(0): 1 = through a kallsyms_index built on the table in
// caller-lent storage (the old attach_index), 0 = the table alone.
struct lookup_fixture {
    std::unique_ptr<table_t> t;
    std::vector<std::uint64_t> storage;
    index_t idx;
    bool indexed = false;

    explicit lookup_fixture(benchmark::State& state) : t(open_table(kernel())), indexed(state.range(0) != 0) {
        if (!indexed) return;
        storage.resize(index_t::words_for(*t));
        if (!idx.build(*t, storage)) std::abort();
    }
    ksym::result<ksym::symbol> find_by_name(std::string_view name, std::span<char> buf) {
        return indexed ? idx.find_by_name(name, buf) : t->find_by_name(name, buf);
    }
    ksym::result<ksym::address_match> find_by_address(std::uint64_t addr, std::span<char> buf) {
        return indexed ? idx.find_by_address(addr, buf) : t->find_by_address(addr, buf);
    }
};

void find_by_name(benchmark::State& state) {
    auto& k = kernel();
    lookup_fixture f(state);
    const auto q = name_queries(k);
    ksym::name_buffer buf{};
    time_calls(state, q.size(), [&](std::size_t j) {
        auto r = f.find_by_name(q[j], std::span(buf));
        benchmark::DoNotOptimize(r);
    });
    state.SetLabel(k.name);
}

void find_by_name_kernel_sorted_baseline(benchmark::State& state) {
    auto& k = kernel();
    const kernel_view v = view(k);
    if (!v.seqs) {
        state.SkipWithError("no kallsyms_seqs_of_names");
        return;
    }
    const auto q = name_queries(k);
    time_calls(state, q.size(), [&](std::size_t j) { benchmark::DoNotOptimize(v.lookup_name_sorted(q[j].c_str())); });
    state.SetLabel(k.name);
}

void find_by_name_kernel_linear_baseline(benchmark::State& state) {
    auto& k = kernel();
    const kernel_view v = view(k);
    const auto q = name_queries(k);
    std::size_t i = 0;
    for (auto _ : state) benchmark::DoNotOptimize(v.lookup_name_linear(q[i++ % q.size()].c_str()));
    state.SetLabel(k.name);
}

// find_by_address with an empty name buffer: index, address, offset and
// size only, which is all the old find_by_address returned (same name, same
// meaning as the figures before the reshape).
void find_by_address(benchmark::State& state) {
    auto& k = kernel();
    lookup_fixture f(state);
    const auto q = address_queries(k);
    time_calls(state, q.size(), [&](std::size_t j) {
        auto r = f.find_by_address(q[j], {});
        benchmark::DoNotOptimize(r);
    });
    state.SetLabel(k.name);
}

// The full answer: the same plus the name expanded into a buffer (a seek to
// the record and its expansion).
void find_by_address_with_name(benchmark::State& state) {
    auto& k = kernel();
    lookup_fixture f(state);
    const auto q = address_queries(k);
    ksym::name_buffer buf{};
    time_calls(state, q.size(), [&](std::size_t j) {
        auto r = f.find_by_address(q[j], std::span(buf));
        benchmark::DoNotOptimize(r);
    });
    state.SetLabel(k.name);
}

void find_by_address_kernel_baseline(benchmark::State& state) {
    auto& k = kernel();
    const kernel_view v = view(k);
    const auto q = address_queries(k);
    std::uint64_t size = 0;
    time_calls(state, q.size(), [&](std::size_t j) { benchmark::DoNotOptimize(v.symbol_pos(q[j], &size)); });
    state.SetLabel(k.name);
}

}  // namespace

BENCHMARK(decode_all)->Unit(benchmark::kMillisecond);
BENCHMARK(decode_bulk)->Unit(benchmark::kMillisecond);
BENCHMARK(decode_bulk_slices)->Unit(benchmark::kMillisecond);
BENCHMARK(decode_bulk_sizing)->Unit(benchmark::kMillisecond);

// The one-time cost of the index: kallsyms_index::build (attach_index before
// the reshape; the name is kept so the figures stay comparable).
void attach_index_cost(benchmark::State& state) {
    auto& k = kernel();
    auto t = open_table(k);
    std::vector<std::uint64_t> storage(index_t::words_for(*t));
    index_t idx;
    for (auto _ : state) benchmark::DoNotOptimize(idx.build(*t, storage));
    state.SetLabel(k.name);
}
BENCHMARK(attach_index_cost)->Unit(benchmark::kMillisecond);
BENCHMARK(decode_all_vmcoreinfo)->Unit(benchmark::kMillisecond);
BENCHMARK(open_table_cost)->Unit(benchmark::kMicrosecond);
BENCHMARK(open_table_vmcoreinfo)->Unit(benchmark::kMicrosecond);
BENCHMARK(decode_all_kernel_baseline)->Unit(benchmark::kMillisecond);
BENCHMARK(find_by_name)->ArgName("index")->Arg(0)->Arg(1);
BENCHMARK(find_by_name_kernel_sorted_baseline);
BENCHMARK(find_by_name_kernel_linear_baseline)->Unit(benchmark::kMicrosecond);
BENCHMARK(find_by_address)->ArgName("index")->Arg(0)->Arg(1);
BENCHMARK(find_by_address_with_name)->ArgName("index")->Arg(0)->Arg(1);
BENCHMARK(find_by_address_kernel_baseline);
