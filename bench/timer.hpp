#pragma once
// The benchmarks' per-call timer: the time-stamp counter on x86-64
// (steady_clock ticks too coarsely for calls of ~10-100 ns), calibrated
// against steady_clock; steady_clock elsewhere.

#include <chrono>
#include <cstdint>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace ksym_bench {

#if defined(__x86_64__)
inline std::uint64_t ticks() {
    _mm_lfence();
    const std::uint64_t t = __rdtsc();
    _mm_lfence();
    return t;
}
inline double ns_per_tick() {
    using clock = std::chrono::steady_clock;
    const auto c0 = clock::now();
    const std::uint64_t t0 = ticks();
    while (clock::now() - c0 < std::chrono::milliseconds(20)) {
    }
    const std::uint64_t t1 = ticks();
    const auto c1 = clock::now();
    return std::chrono::duration<double, std::nano>(c1 - c0).count() / static_cast<double>(t1 - t0);
}
#else
inline std::uint64_t ticks() {
    return static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
}
inline double ns_per_tick() {
    return 1e9 * std::chrono::steady_clock::period::num / std::chrono::steady_clock::period::den;
}
#endif

}  // namespace ksym_bench
