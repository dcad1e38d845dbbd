#pragma once
// Deterministic synthetic symbol lists shaped like a kernel's: shared
// prefixes, static duplicates, aliases at one address, long Rust-like names.

#include <cstdint>
#include <string>
#include <vector>

#include "ksym/kallsyms/encoder.hpp"

namespace ksym_test {

struct xorshift {
    std::uint64_t s;
    std::uint64_t next() {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        return s;
    }
    std::uint64_t below(std::uint64_t n) { return next() % n; }
};

struct synth_options {
    std::size_t count = 2000;
    std::uint64_t start = 0xffffffff81000000ull;
    std::uint64_t seed = 42;
    std::size_t percpu = 0;          ///< leading symbols at small absolute addresses
    std::size_t long_names = 0;      ///< names longer than 127 compressed bytes
    std::uint64_t max_gap = 0x400;
};

inline std::vector<ksym::encoder_symbol> make_symbols(const synth_options& o) {
    static const char* const prefixes[] = {"__x64_sys_", "do_", "ext4_", "tcp_", "__kmalloc", "vfs_", "bpf_",
                                           "_raw_spin_", "cpu_", "init_", "__pfx_", "kvm_", "drm_", "nf_"};
    static const char* const stems[] = {"read", "write", "open", "close", "lock", "unlock", "alloc", "free",
                                        "map", "unmap", "init", "exit", "probe", "remove", "get", "put"};
    static const char* const suffixes[] = {"", "", "", ".isra.0", ".constprop.0", ".part.0", ".cold", "_fn"};
    static const char types[] = "TtttDdbBrRWt";
    xorshift rng{o.seed * 2654435761u + 1};
    std::vector<ksym::encoder_symbol> v;
    std::uint64_t addr = o.start;
    for (std::size_t i = 0; i < o.count; ++i) {
        ksym::encoder_symbol s;
        if (i < o.percpu) {
            s.address = 0x1000 + i * 0x40;
            s.type = 'A';
            s.name = "pcpu_var_" + std::to_string(i);
            v.push_back(s);
            continue;
        }
        const auto r = rng.below(100);
        if (r < 3 && !v.empty() && i > o.percpu) {
            // An alias of the previous symbol.
            s.address = v.back().address;
        } else {
            addr += 1 + rng.below(o.max_gap);
            s.address = addr;
        }
        s.type = types[rng.below(sizeof(types) - 1)];
        if (r >= 3 && r < 8 && i > o.percpu + 10) {
            // A static duplicate of an earlier name.
            s.name = v[o.percpu + rng.below(i - o.percpu)].name;
        } else {
            // One draw a statement: the operands of a + chain are evaluated
            // in an unspecified order (g++ and clang differ), and the same
            // seed must give the same names with either.
            const char* prefix = prefixes[rng.below(14)];
            const char* stem = stems[rng.below(16)];
            const std::uint64_t number = rng.below(1000);
            const char* suffix = suffixes[rng.below(8)];
            s.name = std::string(prefix) + stem + "_" + std::to_string(number) + suffix;
        }
        if (i >= o.percpu && i - o.percpu < o.long_names) {
            // Random letters: they compress poorly, so the record needs a 2-byte length.
            std::string body(150 + rng.below(300), 'a');
            for (auto& c : body) c = static_cast<char>('a' + rng.below(26));
            s.name = "_RNvNtCs1234_4core3ptr" + body + std::to_string(i);
        }
        v.push_back(s);
    }
    return v;
}

}  // namespace ksym_test
