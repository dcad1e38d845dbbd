#pragma once
// Where a raw image sits in the kernel's address space, from the image
// alone: its first byte's virtual address (the "base") and, for base-relative
// tables whose kallsyms_relative_base the boot code fills in, that value.
//
// The evidence, tried in this order:
// - `relocation`: kallsyms_relative_base reads 0 and a RELATIVE relocation
//   (Elf64_Rela of the arch's type) names it: its r_offset is the base plus
//   the array's file offset, its addend the relative base. With `_text` in
//   the table the two must put it at the image's first byte; without, the
//   addends of other relocations must land on symbol starts (raw arm64
//   Images before 7.0, whose places hold 0 until boot).
// - `self_pointers`: an image whose pointers hold link-time values (no
//   relocation, RELR, or RELA applied in place: armhf, s390x, riscv64,
//   arm64 7.x) has many that point at themselves (static list heads, wait
//   queues): a word at file offset f holding base + f. The base is the
//   4 KiB-aligned value most words vote for that way, by a wide margin.
// - `_text`: failing both, a table of absolute addresses places the image
//   at `_text`, which starts it.
// A relative base that reads 0 with no relocation for it (s390x, where a
// relocation against the `_text` symbol fills it) is the address of the
// lowest symbol, `_text`, at the image's first byte.

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
#include "ksym/elf/relocation.hpp"
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
    self_pointers, ///< words in the image that hold their own address
};

[[nodiscard]] constexpr std::string_view to_string(load_evidence e) noexcept {
    switch (e) {
    case load_evidence::given: return "given";
    case load_evidence::elf_segments: return "elf-segments";
    case load_evidence::text_symbol: return "_text";
    case load_evidence::relocation: return "relocation";
    case load_evidence::self_pointers: return "self-pointers";
    }
    return "?";
}

/// A raw image's place in the kernel's address space.
struct load_address {
    std::uint64_t base = 0;                     ///< virtual address of the image's first byte
    std::optional<std::uint64_t> relative_base; ///< kallsyms_relative_base as the running kernel has it
    load_evidence evidence = load_evidence::given;
    std::uint32_t votes = 0;                    ///< relocation, self_pointers: the winner's votes
    std::uint32_t runner_up = 0;                ///< ... and the next candidate's

    friend constexpr bool operator==(const load_address&, const load_address&) noexcept = default;
};

namespace detail {

// The base most words of `file` vote for by holding base + their own
// offset, 4 KiB-aligned: Misra-Gries heavy hitters (k counters find any
// value with more than 1/k of the votes), then an exact count of those.
template <ArchTraits Arch>
constexpr load_address self_pointer_vote(std::span<const std::byte> file) {
    using word = typename Arch::word;
    constexpr std::size_t w = sizeof(word);
    constexpr std::size_t k = 32;
    std::array<word, k> value{};
    std::array<std::uint32_t, k> count{};
    const auto each = [&](auto&& f) {
        for (std::uint64_t at = 0; at + w <= file.size(); at += w) {
            const word v = load<word>(file.data() + at, Arch::byte_order);
            const auto b = static_cast<word>(v - at);
            if (v != 0 && b % 4096 == 0) f(b);
        }
    };
    each([&](word b) {
        for (std::size_t i = 0; i < k; ++i)
            if (count[i] != 0 && value[i] == b) return void(++count[i]);
        for (std::size_t i = 0; i < k; ++i)
            if (count[i] == 0) return void((value[i] = b, count[i] = 1));
        for (auto& c : count) --c;
    });
    std::array<std::uint32_t, k> exact{};
    each([&](word b) {
        for (std::size_t i = 0; i < k; ++i) exact[i] += count[i] != 0 && value[i] == b ? 1u : 0u;
    });
    load_address best{0, std::nullopt, load_evidence::self_pointers, 0, 0};
    for (std::size_t i = 0; i < k; ++i) {
        if (exact[i] > best.votes) best.runner_up = best.votes, best.votes = exact[i], best.base = value[i];
        else if (exact[i] > best.runner_up) best.runner_up = exact[i];
    }
    return best;
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
    const bool have_text = text.has_value();
    const std::uint64_t text_addr = have_text ? text->address : 0;
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
        for_each_rela(file, Arch::byte_order, relocation_type, [&](std::uint64_t, std::uint64_t addend) {
            if (targets == max_targets) return false;
            target[targets++] = addend;
            return true;
        });
        load_address best{};
        std::uint32_t second = 0;
        for_each_rela(file, Arch::byte_order, relocation_type, [&](std::uint64_t r_offset, std::uint64_t addend) {
            const auto base = static_cast<word>(r_offset - rb_at);
            if (base % 4096 != 0 || static_cast<word>(addend - base) >= file.size()) return true;
            if (have_text) {
                if (static_cast<word>(addend + text_addr) != base) return true;
                best = {base, addend, load_evidence::relocation, 1, 0};
                return false;
            }
            std::uint32_t votes = 0;
            for (std::uint32_t k = 0; k < targets; ++k) votes += exact(static_cast<word>(target[k] - addend)) ? 1u : 0u;
            if (votes > best.votes) second = best.votes, best = {base, addend, load_evidence::relocation, votes, 0};
            else if (votes > second) second = votes;
            return true;
        });
        best.runner_up = second;
        if (best.evidence == load_evidence::relocation && (have_text || (best.votes >= 8 && best.votes >= 2 * second)))
            return best;
    }
    // The base: self-pointers, else `_text` in a table of absolute addresses.
    load_address a = detail::self_pointer_vote<Arch>(file);
    if (a.votes < 8 || a.votes < 4 * a.runner_up) {
        if (!have_text || scan.encoding == address_encoding::place_relative ||
            (relative && scan.stored_relative_base == 0))
            return status{errc::not_found};
        a = {text_addr, std::nullopt, load_evidence::text_symbol, 0, 0};
    }
    if (relative) {
        a.relative_base = scan.stored_relative_base;
        if (scan.stored_relative_base == 0) {
            // Filled at boot with the lowest symbol's address: `_text`'s.
            if (!have_text) return status{errc::not_found};
            a.relative_base = static_cast<word>(a.base - text_addr);
        }
    }
    return a;
}

}  // namespace ksym
