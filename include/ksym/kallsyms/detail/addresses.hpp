#pragma once
// Address decoding and the search every address lookup shares.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>

#include "ksym/arch/traits.hpp"
#include "ksym/batch/batch_reader.hpp"
#include "ksym/core/endian.hpp"
#include "ksym/core/errc.hpp"
#include "ksym/kallsyms/format.hpp"
#include "ksym/memory/reader.hpp"

namespace ksym::detail {

// Every function here reads the format's encoding through the table's
// policy P, so that a fixed policy leaves one encoding's code.

/// Address of entry `i` of the address array (kallsyms_addresses or
/// kallsyms_offsets) and the entry's width.
template <class P = runtime_format>
constexpr std::size_t address_entry_bytes(const kallsyms_format& f) noexcept {
    return P::encoding(f) == address_encoding::absolute ? f.word_bytes : 4;
}
template <class P = runtime_format>
constexpr std::uint64_t address_array(const kallsyms_format& f) noexcept {
    return P::encoding(f) == address_encoding::absolute ? f.layout.addresses.value_or(0) : f.layout.offsets.value_or(0);
}

/// The address a raw entry stands for; `where` is the entry's own address
/// (place-relative offsets count from it). The kernel computes in unsigned
/// long, so the result wraps at the target's word size.
template <class Word, class P = runtime_format>
constexpr std::uint64_t decode_entry(const kallsyms_format& f, std::uint64_t raw, std::uint64_t where) noexcept {
    if (P::encoding(f) == address_encoding::absolute) return static_cast<Word>(raw);
    const auto v = static_cast<std::int32_t>(static_cast<std::uint32_t>(raw));
    const std::uint64_t u = static_cast<std::uint32_t>(v);
    const auto sx = static_cast<std::uint64_t>(std::int64_t{v});
    std::uint64_t a = 0;
    switch (P::encoding(f)) {
    case address_encoding::base_relative: a = f.relative_base + u; break;
    case address_encoding::absolute_percpu: a = v >= 0 ? u : f.relative_base - 1 - sx; break;
    case address_encoding::place_relative: a = where + sx; break;
    case address_encoding::absolute: break;
    }
    return static_cast<Word>(a);
}

/// Decodes raw entries `p` (out.size() of them, the first stored at target
/// address `at`) into out. The encoding and width are chosen once, so that
/// each entry is one fixed-width load and an add (decode_entry's rules).
template <ArchTraits Arch, class P = runtime_format>
constexpr void decode_addresses(const kallsyms_format& f, const std::byte* p, std::uint64_t at,
                                std::span<std::uint64_t> out) noexcept {
    using word = typename Arch::word;
    constexpr std::endian bo = Arch::byte_order;
    const std::size_t width = address_entry_bytes<P>(f);
    const std::size_t c = out.size();
    std::uint64_t* o = out.data();
    const std::uint64_t rb = f.relative_base;
    auto s32 = [&](std::size_t j) { return static_cast<std::int32_t>(load<std::uint32_t>(p + 4 * j, bo)); };
    switch (width == 4 ? P::encoding(f) : address_encoding::absolute) {
    case address_encoding::absolute:
        if (width == 4) {
            for (std::size_t j = 0; j < c; ++j) o[j] = load<std::uint32_t>(p + 4 * j, bo);
        } else {
            for (std::size_t j = 0; j < c; ++j)
                o[j] = static_cast<word>(width == 8 ? load<std::uint64_t>(p + 8 * j, bo) : load_n(p + j * width, width, bo));
        }
        break;
    case address_encoding::base_relative:
        for (std::size_t j = 0; j < c; ++j) o[j] = static_cast<word>(rb + static_cast<std::uint32_t>(s32(j)));
        break;
    case address_encoding::absolute_percpu:
        for (std::size_t j = 0; j < c; ++j) {
            const std::int32_t v = s32(j);
            o[j] = static_cast<word>(v >= 0 ? static_cast<std::uint64_t>(v)
                                            : rb - 1 - static_cast<std::uint64_t>(std::int64_t{v}));
        }
        break;
    case address_encoding::place_relative:
        for (std::size_t j = 0; j < c; ++j)
            o[j] = static_cast<word>(at + 4 * j + static_cast<std::uint64_t>(std::int64_t{s32(j)}));
        break;
    }
}

/// Decodes the addresses of entries [first, first + out.size()): one read
/// per 128 entries (a small stack buffer: firmware stacks are a few KiB).
/// The caller checks the range against the table's size.
template <class P = runtime_format, MemoryReader R, ArchTraits Arch>
constexpr status read_addresses(batch_reader<R, Arch>& br, const kallsyms_format& f, std::uint64_t first,
                                std::span<std::uint64_t> out) {
    constexpr std::size_t chunk = 128;
    const std::size_t width = address_entry_bytes<P>(f);
    std::array<std::byte, chunk * sizeof(typename Arch::word)> raw;  // filled by each read before use
    for (std::size_t k = 0; k < out.size(); k += chunk) {
        const std::size_t c = std::min(chunk, out.size() - k);
        const std::uint64_t at = address_array<P>(f) + (first + k) * width;
        if (status s = br.read_bytes(at, std::span(raw).first(c * width)); !s) return s;
        decode_addresses<Arch, P>(f, raw.data(), at, out.subspan(k, c));
    }
    return {};
}

/// Index of the last element <= addr among `count` sorted entries
/// (entry(0) <= addr). The halving is branch-free (the compiler emits a
/// conditional move): a random address defeats any branch predictor, and a
/// mispredicted probe costs more than the probe. When the entries sit in
/// memory at `memory`, the four candidates two probes ahead are prefetched,
/// so the cache misses of successive probes on large tables overlap.
template <class Entry>
constexpr std::size_t last_at_or_below(std::size_t count, Entry&& entry, std::uint64_t addr,
                                       const std::uint64_t* memory = nullptr) noexcept {
    std::size_t base = 0;
    for (std::size_t len = count; len > 1;) {
        const std::size_t half = len / 2;
        if (memory && !std::is_constant_evaluated()) {
            const std::size_t h2 = (len - half) / 2, h3 = (len - half - h2) / 2;
            __builtin_prefetch(memory + base + h2 + h3);
            __builtin_prefetch(memory + base + half + h2 + h3);
            __builtin_prefetch(memory + base + h3);
            __builtin_prefetch(memory + base + half + h3);
        }
        base += entry(base + half) <= addr ? half : 0;
        len -= half;
    }
    return base;
}

constexpr std::size_t last_at_or_below(std::span<const std::uint64_t> a, std::uint64_t addr) noexcept {
    return last_at_or_below(a.size(), [a](std::size_t j) { return a[j]; }, addr, a.data());
}

}  // namespace ksym::detail
