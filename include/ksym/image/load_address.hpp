#pragma once
// Where a raw image sits in the kernel's address space, from the image
// alone: its first byte's virtual address (the "base") and, for base-relative
// tables whose kallsyms_relative_base the boot code fills in, that value.
//
// The evidence, tried in this order:
// - `_text`: the table holds absolute addresses (absolute, or a relative
//   base stored in the file, or a stored 0 that nothing relocates, as on
//   s390x): the image starts at `_text`, so the base is its address.
// - `relocation`: kallsyms_relative_base reads 0 and a RELATIVE relocation
//   (Elf64_Rela, the arch's type) names it: its r_offset is the base plus
//   the array's file offset, its addend the relative base, and the two must
//   put `_text` at the image's first byte (raw arm64 Images before 7.0).
// - `pointers`: place-relative tables give every symbol's offset from the
//   base, not the base. Images that keep link-time pointers in place (RELR
//   relocation, or none) hold many pointers to symbols: the base is the
//   64 KiB-aligned value that turns the most sampled pointer-like words into
//   exact symbol starts (arm64 7.x).

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "ksym/arch/traits.hpp"
#include "ksym/core/endian.hpp"
#include "ksym/core/errc.hpp"
#include "ksym/core/result.hpp"
#include "ksym/kallsyms/format.hpp"
#include "ksym/kallsyms/resolve.hpp"
#include "ksym/kallsyms/scan.hpp"
#include "ksym/kallsyms/table.hpp"
#include "ksym/memory/buffer_reader.hpp"

namespace ksym {

/// Which evidence set a raw image's base.
enum class load_evidence : std::uint8_t {
    given,         ///< the caller (a map's `_text`, a command-line option)
    elf_segments,  ///< an ELF file's program headers
    text_symbol,   ///< the decoded `_text` at the image's first byte
    relocation,    ///< the RELATIVE relocation of kallsyms_relative_base
    pointers,      ///< pointers in the image that land on symbol starts
};

[[nodiscard]] constexpr std::string_view to_string(load_evidence e) noexcept {
    switch (e) {
    case load_evidence::given: return "given";
    case load_evidence::elf_segments: return "elf-segments";
    case load_evidence::text_symbol: return "_text";
    case load_evidence::relocation: return "relocation";
    case load_evidence::pointers: return "pointers";
    }
    return "?";
}

/// A raw image's place in the kernel's address space.
struct load_address {
    std::uint64_t base = 0;                     ///< virtual address of the image's first byte
    std::optional<std::uint64_t> relative_base; ///< kallsyms_relative_base as the running kernel has it
    load_evidence evidence = load_evidence::given;
    std::uint32_t votes = 0;                    ///< pointers: samples that agreed
    std::uint32_t samples = 0;                  ///< pointers: samples taken

    friend constexpr bool operator==(const load_address&, const load_address&) noexcept = default;
};

namespace detail {

// Pointer-like words spread over the image: at most `max` of them, the first
// of each stride that looks like a kernel address (upper half of the space,
// not -1-ish), visited through `visit(value)`.
template <ArchTraits Arch, class Visit>
constexpr void sample_pointers(std::span<const std::byte> file, std::uint32_t max, Visit&& visit) {
    using word = typename Arch::word;
    constexpr std::size_t w = sizeof(word);
    constexpr word high = word{1} << (8 * w - 1);
    constexpr word top = static_cast<word>(~word{0} - 0xffff);
    if (file.size() < w * 64) return;
    const std::uint64_t stride = std::max<std::uint64_t>(w, file.size() / max / w * w);
    for (std::uint64_t at = 0; at + w <= file.size(); at += stride) {
        for (std::uint64_t k = at; k < at + stride && k + w <= file.size(); k += w) {
            const auto v = static_cast<word>(load_n(file.data() + k, w, Arch::byte_order));
            if (v < high || v >= top) continue;
            visit(v);
            break;
        }
    }
}

// Calls visit(r_offset, r_addend) for each 8-byte-aligned Elf64_Rela of
// `type` in `file`, until it returns false. .rela.dyn has no section header
// in a raw Image, so the whole file is searched.
template <class Visit>
constexpr void for_each_rela(std::span<const std::byte> file, std::endian order, std::uint32_t type, Visit&& visit) {
    constexpr std::size_t entry = 24;
    for (std::uint64_t k = 0; k + entry <= file.size(); k += 8) {
        const std::uint64_t info = load<std::uint64_t>(file.data() + k + 8, order);
        if ((info & 0xffffffffu) != type) continue;
        if (!visit(load<std::uint64_t>(file.data() + k, order), load<std::uint64_t>(file.data() + k + 16, order)))
            return;
    }
}

}  // namespace detail

/// Recovers the base of the raw image `file` whose table `scan` found, by
/// the evidence above. `relocation_type` is the arch's RELATIVE type
/// (r_aarch64_relative, r_riscv_relative), or 0 when it has none.
/// `workspace` decodes the table at a provisional base of 0; it is left
/// open on that provisional format. `not_found` when no evidence holds.
template <ArchTraits Arch>
[[nodiscard]] constexpr result<load_address> recover_load_address(
    std::span<const std::byte> file, const kallsyms_scan& scan, std::uint32_t relocation_type,
    kallsyms_table<buffer_reader, Arch>& workspace) {
    using word = typename Arch::word;
    buffer_reader at0(file, 0);
    resolve_hints hints;
    const bool relative =
        scan.encoding == address_encoding::base_relative || scan.encoding == address_encoding::absolute_percpu;
    if (relative && scan.stored_relative_base == 0) hints.relative_base = 0;
    auto fmt = resolve_format<Arch>(at0, scan.layout, hints);
    if (!fmt) return fmt.error();
    if (status s = workspace.open(at0, *fmt); !s) return s;
    name_buffer buf;
    auto text = workspace.find_by_name("_text", buf);
    if (!text && text.error().code() != errc::not_found) return text.error();
    const std::optional<std::uint64_t> text_at = text ? std::optional(text->address) : std::nullopt;
    const auto exact = [&](std::uint64_t y) {
        auto m = workspace.find_by_address(y, buf);
        return m && m->offset == 0;
    };

    if (relative && scan.stored_relative_base == 0 && relocation_type != 0 && scan.layout.relative_base) {
        // The relocation of kallsyms_relative_base: r_offset = base + its
        // file offset, aligned; the addend (the relative base) inside the
        // image. With `_text` in the table, the two must put it at the
        // first byte; without, the addends of other relocations (pointers
        // to functions and objects) must land on symbol starts.
        const std::uint64_t rb_at = *scan.layout.relative_base;
        constexpr std::uint32_t max_targets = 128;
        std::array<std::uint64_t, max_targets> target{};
        std::uint32_t targets = 0;
        detail::for_each_rela(file, Arch::byte_order, relocation_type, [&](std::uint64_t, std::uint64_t addend) {
            if (targets == max_targets) return false;
            target[targets++] = addend;
            return true;
        });
        load_address best{};
        std::uint32_t second = 0;
        detail::for_each_rela(file, Arch::byte_order, relocation_type, [&](std::uint64_t r_offset, std::uint64_t addend) {
            const auto base = static_cast<word>(r_offset - rb_at);
            if (base % 4096 != 0 || static_cast<word>(addend - base) >= file.size()) return true;
            if (text_at) {
                if (static_cast<word>(addend + *text_at) != base) return true;
                best = {base, addend, load_evidence::relocation, 1, 1};
                return false;
            }
            std::uint32_t votes = 0;
            for (std::uint32_t k = 0; k < targets; ++k) votes += exact(static_cast<word>(target[k] - addend)) ? 1u : 0u;
            if (votes > best.votes) second = best.votes, best = {base, addend, load_evidence::relocation, votes, targets};
            else if (votes > second) second = votes;
            return true;
        });
        if (best.evidence == load_evidence::relocation && (text_at || (best.votes >= 8 && best.votes >= 2 * second)))
            return best;
    }
    if (!text_at) return status{errc::not_found};
    if (scan.encoding != address_encoding::place_relative) {
        load_address a{*text_at, std::nullopt, load_evidence::text_symbol, 0, 0};
        if (relative) a.relative_base = scan.stored_relative_base;
        return a;
    }

    // Place-relative: `_text` must be at offset 0; the base from pointers.
    if (*text_at != 0) return status{errc::corrupt, *scan.layout.offsets};
    constexpr std::uint64_t align = 64 * 1024;
    constexpr std::uint32_t max_samples = 256;
    std::array<word, max_samples> sample{};
    std::uint32_t samples = 0;
    detail::sample_pointers<Arch>(file, max_samples, [&](word v) {
        if (samples < max_samples) sample[samples++] = v;
    });
    if (samples < 16) return status{errc::not_found};
    // References: the samples with the most others near them (pointers into
    // this image cluster; stray values do not).
    const std::uint64_t reach = 2 * static_cast<std::uint64_t>(file.size()) + align;
    constexpr std::size_t max_refs = 8;
    std::array<word, max_refs> ref{};
    std::array<std::uint32_t, max_refs> ref_near{};
    for (std::uint32_t i = 0; i < samples; ++i) {
        std::uint32_t near = 0;
        for (std::uint32_t j = 0; j < samples; ++j)
            near += static_cast<word>(sample[j] - sample[i] + reach) <= 2 * reach ? 1u : 0u;
        for (std::size_t r = 0; r < max_refs; ++r) {
            if (near <= ref_near[r]) continue;
            for (std::size_t q = max_refs - 1; q > r; --q) ref[q] = ref[q - 1], ref_near[q] = ref_near[q - 1];
            ref[r] = sample[i], ref_near[r] = near;
            break;
        }
    }
    // Candidates: aligned bases that make a reference an exact symbol start.
    constexpr std::size_t max_candidates = 256;
    std::array<word, max_candidates> cand{};
    std::size_t ncand = 0;
    std::array<std::uint64_t, 256> addr{};
    for (std::uint32_t first = 0; first < workspace.size() && ncand < max_candidates; first += 256) {
        const auto n = std::min<std::uint32_t>(256, workspace.size() - first);
        if (status s = workspace.addresses(first, std::span(addr).first(n)); !s) return s;
        for (std::uint32_t k = 0; k < n; ++k) {
            for (std::size_t r = 0; r < max_refs && ncand < max_candidates; ++r) {
                const auto b = static_cast<word>(ref[r] - addr[k]);
                if (ref_near[r] == 0 || b % align != 0) continue;
                if (std::find(cand.begin(), cand.begin() + static_cast<std::ptrdiff_t>(ncand), b) ==
                    cand.begin() + static_cast<std::ptrdiff_t>(ncand))
                    cand[ncand++] = b;
            }
        }
    }
    const auto vote = [&](word base, std::uint32_t step) {
        std::uint32_t votes = 0;
        for (std::uint32_t i = 0; i < samples; i += step) {
            const std::uint64_t y = static_cast<word>(sample[i] - base);
            if (y >= reach) continue;
            votes += exact(y) ? 1u : 0u;
        }
        return votes;
    };
    // A quick vote of every fourth sample, then a full one between the
    // leaders.
    constexpr std::size_t leaders = 4;
    std::array<word, leaders> lead{};
    std::array<std::uint32_t, leaders> lead_votes{};
    for (std::size_t c = 0; c < ncand; ++c) {
        const std::uint32_t v = vote(cand[c], 4);
        for (std::size_t r = 0; r < leaders; ++r) {
            if (v <= lead_votes[r]) continue;
            for (std::size_t q = leaders - 1; q > r; --q) lead[q] = lead[q - 1], lead_votes[q] = lead_votes[q - 1];
            lead[r] = cand[c], lead_votes[r] = v;
            break;
        }
    }
    std::uint64_t best = 0;
    std::uint32_t best_votes = 0, second = 0;
    for (std::size_t r = 0; r < leaders && lead_votes[r] > 0; ++r) {
        const std::uint32_t votes = vote(lead[r], 1);
        if (votes > best_votes) second = best_votes, best_votes = votes, best = lead[r];
        else if (votes > second) second = votes;
    }
#ifdef KSYM_DEBUG_VOTES
    __builtin_printf("samples %u cands %zu best %llx votes %u second %u\n", samples, ncand, (unsigned long long)best, best_votes, second);
#endif
    // A clear winner: 8 exact symbol starts at least, and twice the
    // runner-up (data pointers often land inside objects, so most samples
    // vote for nothing).
    if (best_votes < 8 || best_votes < 2 * second) return status{errc::not_found};
    return load_address{best, std::nullopt, load_evidence::pointers, best_votes, samples};
}

}  // namespace ksym
