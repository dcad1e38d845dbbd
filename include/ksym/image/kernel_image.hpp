#pragma once
// A kernel image file (ELF vmlinux or raw Image) plus its symbol map, ready
// to decode: the path the `ksym` tool and the conformance tests share.

#include <cstdint>
#include <optional>
#include <string_view>

#include "ksym/arch/dispatch.hpp"
#include "ksym/core/errc.hpp"
#include "ksym/core/result.hpp"
#include "ksym/image/elf_image.hpp"
#include "ksym/image/raw_image.hpp"
#include "ksym/image/relocation.hpp"
#include "ksym/kallsyms/discover.hpp"
#include "ksym/kallsyms/table.hpp"
#include "ksym/memory/reader.hpp"
#include "ksym/text/nm_text.hpp"

namespace ksym {

/// Which input a kernel_image error concerns, for messages.
enum class image_stage : std::uint8_t { image, map, kallsyms };

/// An image opened for kallsyms decoding. Pinned in place (it holds readers
/// that refer to each other). Typical use:
///
///     ksym::kernel_image img;
///     if (auto s = img.open("vmlinux", map_text); !s) ...img.failed_stage()...
///     img.with_table([](auto& table) { ... table.for_each(...) ... });
class kernel_image {
public:
    kernel_image() = default;
    kernel_image(const kernel_image&) = delete;
    kernel_image& operator=(const kernel_image&) = delete;

    /// Opens `path` (ELF, else a raw Image placed at `_text` from the map),
    /// takes the kallsyms layout from `system_map` (System.map / nm -n text),
    /// and recovers kallsyms_relative_base when the image stores 0 there.
    /// The map text must outlive this object.
    status open(const char* path, std::string_view system_map) {
        map_ = system_map;
        stage_ = image_stage::image;
        auto f = file_reader::open(path);
        if (!f) return f.error();
        auto h = elf::read_header(*f);
        if (h) {
            if (status s = elf_.open(path); !s) return s;
            format_ = "elf";
            arch_ = arch_from_elf(h->machine, h->is64, h->order);
            reader_ = elf_;
        } else if (h.error().code() == errc::corrupt && h.error().address() == 0) {
            auto kind = detect_raw_image(*f);
            if (!kind) return kind.error();
            if (*kind == raw_image_kind::unknown) return {errc::unsupported, 0};
            stage_ = image_stage::map;
            const auto text = map_symbol("_text");
            if (!text) return text.error();
            stage_ = image_stage::image;
            if (status s = raw_.open(path, *text); !s) return s;
            format_ = "image";
            arch_ = *kind == raw_image_kind::arm64 ? arch_id::arm64 : arch_id::riscv64;
            reader_ = raw_;
        } else {
            return h.error();
        }

        stage_ = image_stage::map;
        auto l = layout_from_system_map(map_);
        if (!l) return l.error();
        layout_ = *l;

        stage_ = image_stage::kallsyms;
        return with_arch(arch_, [&](auto traits) { return recover_relative_base<decltype(traits)>(); });
    }

    /// Calls `f(kallsyms_table<reader_ref, Traits>&)` for this image's
    /// target, and returns f's status (or the open failure).
    template <class F>
    status with_table(F&& f, const kallsyms_options& opts = {}) {
        return with_arch(arch_, [&](auto traits) -> status {
            using Arch = decltype(traits);
            auto t = kallsyms_table<reader_ref, Arch>::open(reader_, layout_, opts);
            if (!t) return t.error();
            return f(*t);
        });
    }

    [[nodiscard]] arch_id arch() const noexcept { return arch_; }
    [[nodiscard]] std::string_view format() const noexcept { return format_; }
    [[nodiscard]] const kallsyms_layout& layout() const noexcept { return layout_; }
    [[nodiscard]] base_source relative_base_source() const noexcept { return base_src_; }
    /// Which input the last failure concerned.
    [[nodiscard]] image_stage failed_stage() const noexcept { return stage_; }
    [[nodiscard]] reader_ref reader() const noexcept { return reader_; }

    /// The address of `name` in the map (first occurrence).
    [[nodiscard]] result<std::uint64_t> map_symbol(std::string_view name) const {
        std::optional<std::uint64_t> found;
        const status s = for_each_nm_line(map_, [&](const nm_line& l) {
            if (l.name != name) return true;
            found = l.address;
            return false;
        });
        if (!s) return s;
        if (!found) return status{errc::not_found};
        return *found;
    }

private:
    template <class Arch>
    status recover_relative_base() {
        base_src_ = base_source::stored;
        if (!layout_.relative_base || layout_.relative_base_value) return {};
        std::array<std::byte, sizeof(typename Arch::word)> raw{};
        if (status s = reader_.read(*layout_.relative_base, std::span(raw)); !s) return s;
        const std::uint64_t stored = load_n(raw.data(), raw.size(), Arch::byte_order);
        if (stored != 0) return {};
        // Zero in the file: a self-relocating image. Look for the relocation first.
        if (format_ == "image") {
            const std::uint32_t type = arch_ == arch_id::arm64 ? r_aarch64_relative : r_riscv_relative;
            auto addend = find_rela_addend(raw_.file(), raw_.file().size(), Arch::byte_order,
                                           *layout_.relative_base, type);
            if (addend) {
                layout_.relative_base_value = *addend;
                base_src_ = base_source::relocation;
                return {};
            }
            if (addend.error().code() != errc::not_found) return addend.error();
        }
        return anchor_relative_base<Arch>();
    }

    // With the base taken as 0, base-relative symbol i decodes to its raw
    // offset; a symbol whose address the map gives then fixes the base.
    // Two symbols far apart must agree.
    template <class Arch>
    status anchor_relative_base() {
        kallsyms_layout probe = layout_;
        probe.relative_base_value = 0;
        kallsyms_options o;
        o.encoding = address_encoding::base_relative;
        auto t = kallsyms_table<reader_ref, Arch>::open(reader_, probe, o);
        if (!t) return t.error();
        std::array<char, ksym_name_len> buf{};
        const std::uint32_t n = t->size();
        const std::uint32_t picks[] = {0, n / 6, n / 3, n / 2, (n / 3) * 2, (n / 6) * 5, n - 1};
        // A map may list a static name more than once; a vote over several
        // symbols keeps one unlucky pick from deciding.
        std::uint64_t cand[std::size(picks)] = {};
        std::size_t nc = 0;
        for (std::uint32_t i : picks) {
            auto sym = t->at(i, std::span(buf));
            if (!sym) return sym.error();
            auto at = map_symbol(sym->name);
            if (at) cand[nc++] = static_cast<typename Arch::word>(*at - sym->address);
        }
        std::optional<std::uint64_t> base;
        std::size_t best = 0;
        for (std::size_t a = 0; a < nc; ++a) {
            std::size_t votes = 0;
            for (std::size_t b = 0; b < nc; ++b) votes += cand[a] == cand[b] ? 1u : 0u;
            if (votes > best) {
                best = votes;
                base = cand[a];
            }
        }
        if (!base || best < 2) return {errc::not_found, *layout_.relative_base};
        layout_.relative_base_value = *base;
        base_src_ = base_source::anchor;
        return {};
    }

    std::string_view map_;
    elf_image elf_;
    raw_image raw_;
    reader_ref reader_;
    arch_id arch_ = arch_id::x86_64;
    std::string_view format_ = "none";
    kallsyms_layout layout_{};
    base_source base_src_ = base_source::stored;
    image_stage stage_ = image_stage::image;
};

}  // namespace ksym
