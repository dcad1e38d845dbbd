#pragma once
// One module's symbol table, read from target memory in a few batch reads
// and decoded as /proc/kallsyms shows it.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <type_traits>

#include "ksym/arch/traits.hpp"
#include "ksym/core/endian.hpp"
#include "ksym/core/errc.hpp"
#include "ksym/core/kernel_version.hpp"
#include "ksym/core/result.hpp"
#include "ksym/memory/reader.hpp"
#include "ksym/modules/layout.hpp"
#include "ksym/modules/walk.hpp"
#include "ksym/symbols/symbol.hpp"

namespace ksym {

/// Where a module symbol's nm letter lives, which changed twice.
enum class module_letters : std::uint8_t {
    typetab,  ///< 5.2 onward: mod_kallsyms.typetab[i]
    st_size,  ///< 5.0 and 5.1: the letter overwrote st_size (sizes are lost)
    st_info,  ///< before 5.0: the letter overwrote st_info
};

[[nodiscard]] constexpr std::string_view to_string(module_letters l) noexcept {
    switch (l) {
    case module_letters::typetab: return "typetab";
    case module_letters::st_size: return "st_size";
    case module_letters::st_info: return "st_info";
    }
    return "?";
}

/// The rule for a kernel: a typetab in the layout decides, else the
/// version (OSRELEASE or linux_banner) tells 5.0-5.1 from older kernels.
[[nodiscard]] constexpr module_letters module_letters_for(const module_layout& L, kernel_version v) noexcept {
    if (L.symbols.typetab) return module_letters::typetab;
    return v >= kernel_version{5, 0, 0} ? module_letters::st_size : module_letters::st_info;
}

/// Most entries a module symbol table may claim. The largest real modules
/// (amdgpu, i915) hold a few tens of thousands; beyond this a count is
/// refused as corrupt rather than read.
inline constexpr std::uint32_t max_module_symbols = 1u << 20;

/// A module's symbol table read into caller storage: the Elf_Sym array, the
/// string table and the type letters, each in one read, and the exported
/// symbols that decide a letter's case. Lookups and iteration then touch no
/// target memory and allocate nothing; names point into the storage.
template <MemoryReader R, ArchTraits Arch>
class module_symbols {
public:
    using word = typename Arch::word;

    /// Bytes of storage load() needs for `m`, at most (Elf_Sym array,
    /// letters, strings up to the last name plus one name, exports).
    [[nodiscard]] static constexpr std::uint64_t storage_for(const module_layout& L, const module_info& m) noexcept {
        const std::uint64_t n = std::min(m.num_symtab, max_module_symbols);
        return n * (std::uint64_t{L.elf_sym.size} + 1) + string_budget(n) + export_bytes(L, m);
    }

    /// Reads the table of `m` (from the walk) into `storage` (storage_for()
    /// bytes suffice unless names average over 64 bytes: `capacity` then
    /// names the size that does): one read for a
    /// core table laid out as the kernel lays it (symtab, strtab, typetab in
    /// a row), else one read each; then the exports. Counts beyond
    /// max_module_symbols and strings without a NUL give `corrupt`; storage
    /// smaller than the table needs gives `capacity` naming the size.
    constexpr status load(R& reader, const module_layout& L, const module_info& m, module_letters letters,
                          std::span<std::byte> storage) {
        *this = module_symbols{};
        L_ = &L;
        info_ = &m;
        letters_ = letters;
        if (m.num_symtab > max_module_symbols) return {errc::corrupt, m.address};
        const std::size_t es = L.elf_sym.size;
        if (es < L.elf_sym.st_size + sizeof(word) || es < L.elf_sym.st_value + sizeof(word) ||
            es < L.elf_sym.st_name + 4 || es <= L.elf_sym.st_info || L.pointer_bytes != sizeof(word))
            return {errc::invalid_argument};
        n_ = m.num_symtab;
        const std::size_t sym_bytes = std::size_t{n_} * es;
        if (storage.size() < sym_bytes + n_) return {errc::capacity, storage_for(L, m)};
        // The kernel lays a module's core table out as symtab, strtab,
        // typetab, one after the other: where they are so, one read takes
        // all three (the init table of a COMING module is laid out apart).
        // The strings must hold every name's start, as the other path
        // requires; storage is held to storage_for() either way.
        if (letters == module_letters::typetab && n_ != 0 && m.symtab < m.strtab && m.strtab < m.typetab &&
            storage.size() >= storage_for(L, m) && m.typetab - m.symtab <= storage.size() &&
            m.strtab - m.symtab >= sym_bytes && n_ <= storage.size() - (m.typetab - m.symtab) &&
            range_fits(m.symtab, m.typetab - m.symtab + n_)) {
            const auto str_at = static_cast<std::size_t>(m.strtab - m.symtab);
            const auto type_at = static_cast<std::size_t>(m.typetab - m.symtab);
            const std::span<std::byte> all = storage.first(type_at + n_);
            if (read(reader, m.symtab, all).ok()) {
                syms_ = all.first(sym_bytes);
                if (last_name_start() < type_at - str_at) {
                    strings_ = all.subspan(str_at, type_at - str_at);
                    types_ = all.subspan(type_at, n_);
                    return load_exports(reader, storage.subspan(all.size()));
                }
            }
        }
        syms_ = storage.first(sym_bytes);
        if (status s = read(reader, m.symtab, syms_); !s) return s;
        if (letters == module_letters::typetab) {
            if (m.typetab == 0 && n_ != 0) return {errc::corrupt, m.address};
            types_ = storage.subspan(sym_bytes, n_);
            if (status s = read(reader, m.typetab, types_); !s) return s;
        }
        std::span<std::byte> rest = storage.subspan(sym_bytes + (letters == module_letters::typetab ? n_ : 0));
        // The strings: up to the furthest name start, plus room for that
        // name; a table ending sooner is read to exactly its last NUL.
        const std::uint64_t last = last_name_start();
        if (n_ != 0) {
            const std::uint64_t want = last + name_buffer_size;
            // Names longer than storage_for() budgets: name what this table needs.
            if (rest.size() < want)
                return {errc::capacity, std::max(storage_for(L, m), (storage.size() - rest.size()) + want + export_bytes(L, m))};
            strings_ = rest.first(static_cast<std::size_t>(want));
            if (!read(reader, m.strtab, strings_).ok()) {
                if (status s = read_to_last_nul(reader, m.strtab, last); !s) return s;
            }
            rest = rest.subspan(strings_.size());
        }
        return load_exports(reader, rest);
    }

    /// Entries in the table, the null entry 0 and unnamed ones included.
    [[nodiscard]] constexpr std::uint32_t size() const noexcept { return n_; }
    [[nodiscard]] constexpr const module_info& module() const noexcept { return *info_; }

    /// Entry `i` as /proc/kallsyms would print it: the letter upper case
    /// when the module exports the symbol (by name and value), lower case
    /// otherwise; size from st_size (0 in the st_size era). An entry with
    /// no name gives not_found (the kernel prints none); a name outside the
    /// string table, corrupt.
    [[nodiscard]] constexpr result<symbol> at(std::uint32_t i) const {
        if (i >= n_) return status{errc::invalid_argument};
        const elf_sym_fields& e = L_->elf_sym;
        const std::uint64_t name_off = field(i, e.st_name, 4);
        symbol s;
        s.index = i;
        s.address = field(i, e.st_value, sizeof(word));
        auto name = string_at(name_off);
        if (!name) return name.error();
        if (name->empty()) return status{errc::not_found};
        s.name = *name;
        s.module = info_->name();
        char t = '?';
        switch (letters_) {
        case module_letters::typetab: t = static_cast<char>(types_[i]); break;
        // The kernel stored the letter as the value of the word-wide st_size:
        // its low byte, the last in memory on a big-endian target.
        case module_letters::st_size: t = static_cast<char>(field(i, e.st_size, sizeof(word)) & 0xff); break;
        case module_letters::st_info: t = static_cast<char>(field(i, e.st_info, 1)); break;
        }
        if (letters_ != module_letters::st_size) s.size = field(i, e.st_size, sizeof(word));
        const bool up = exported(s.name, s.address);
        if (t >= 'a' && t <= 'z' && up) t = static_cast<char>(t - 'a' + 'A');
        if (t >= 'A' && t <= 'Z' && !up) t = static_cast<char>(t - 'A' + 'a');
        s.type = t;
        return s;
    }

    /// Calls `visit(const symbol&)` for every named entry in table order
    /// (the order /proc/kallsyms prints). Same return rules as
    /// kallsyms_table::for_each; a corrupt entry stops the walk.
    template <class Visit>
    constexpr status for_each(Visit&& visit) const {
        for (std::uint32_t i = 0; i < n_; ++i) {
            auto s = at(i);
            if (!s) {
                if (s.error() == errc::not_found) continue;
                return s.error();
            }
            if constexpr (std::is_same_v<decltype(visit(*s)), bool>) {
                if (!visit(*s)) return {};
            } else if constexpr (std::is_same_v<decltype(visit(*s)), status>) {
                if (status st = visit(*s); !st) return st;
            } else {
                visit(*s);
            }
        }
        return {};
    }

    /// The named symbol of the module (first in table order), or not_found.
    [[nodiscard]] constexpr result<symbol> find_by_name(std::string_view name) const {
        result<symbol> found = status{errc::not_found};
        const status s = for_each([&](const symbol& sym) {
            if (sym.name != name) return true;
            found = sym;
            return false;
        });
        if (!s) return s;
        return found;
    }

    /// The symbol containing `addr` among the module's: the highest at or
    /// below it (as the kernel's find_kallsyms_symbol picks), undefined and
    /// absolute symbols aside, with the offset.
    [[nodiscard]] constexpr result<address_match> find_by_address(std::uint64_t addr) const {
        // A plain symbol and a flag, not a result<>: g++ 12 at -O3 takes the
        // result's storage for uninitialized (-Wmaybe-uninitialized).
        symbol best{};
        bool found = false;
        const status s = for_each([&](const symbol& sym) {
            // Undefined symbols (a COMING module's init table has them) print
            // as 'u' unless the module exports the name; absolute ones as 'a'.
            const char t = sym.type;
            if (sym.address > addr || t == 'a' || t == 'A' || t == 'U' || t == 'u') return;
            if (!found || sym.address > best.address) best = sym;
            found = true;
        });
        if (!s) return s;
        if (!found) return status{errc::not_found};
        return address_match{best, addr - best.address};
    }

private:
    static constexpr std::uint64_t string_budget(std::uint64_t n) noexcept {
        // Core strtabs hold one copy of each kept name: about 24 bytes a
        // name in real modules; storage_for leaves room for far longer.
        return n == 0 ? 0 : n * 64 + name_buffer_size;
    }
    static constexpr std::uint64_t export_bytes(const module_layout& L, const module_info& m) noexcept {
        const std::uint64_t k = std::min<std::uint64_t>(m.num_syms, max_module_symbols);
        return k * (std::uint64_t{L.kernel_symbol.size} + 64) + name_buffer_size;
    }

    constexpr status read(R& reader, std::uint64_t addr, std::span<std::byte> out) const {
        if (out.empty()) return {};
        if (!range_fits(addr, out.size())) return status::fault(addr);
        return reader.read(addr, out);
    }

    // The strings up to the NUL that ends the name starting at `last`.
    constexpr status read_to_last_nul(R& reader, std::uint64_t strtab, std::uint64_t last) {
        const std::span<std::byte> all = strings_;
        if (status s = read(reader, strtab, all.first(static_cast<std::size_t>(last))); !s) return s;
        const auto end = read_to_nul(reader, strtab, all, static_cast<std::size_t>(last));
        if (!end) return end.error();
        strings_ = all.first(*end);
        return {};
    }

    // Reads `buf` (target address `addr`) from index `from` on until a NUL,
    // 64 bytes a read; where such a read fails (it ran into memory that
    // cannot be read: the page after a table's end), byte by byte. The
    // length up to and with the NUL; corrupt when `buf` holds none.
    constexpr result<std::size_t> read_to_nul(R& reader, std::uint64_t addr, std::span<std::byte> buf,
                                              std::size_t from) const {
        for (std::size_t at = from; at < buf.size();) {
            const std::size_t c = std::min<std::size_t>(64, buf.size() - at);
            const std::span<std::byte> chunk = buf.subspan(at, c);
            if (read(reader, addr + at, chunk).ok()) {
                if (auto z = std::find(chunk.begin(), chunk.end(), std::byte{0}); z != chunk.end())
                    return at + static_cast<std::size_t>(z - chunk.begin()) + 1;
            } else {
                for (std::size_t i = 0; i < c; ++i) {
                    if (status s = read(reader, addr + at + i, chunk.subspan(i, 1)); !s) return s;
                    if (chunk[i] == std::byte{0}) return at + i + 1;
                }
            }
            at += c;
        }
        return status{errc::corrupt, addr + from};
    }

    // The furthest st_name among the entries: where the last name starts.
    constexpr std::uint64_t last_name_start() const noexcept {
        std::uint64_t last = 0;
        for (std::uint32_t i = 0; i < n_; ++i) last = std::max(last, field(i, L_->elf_sym.st_name, 4));
        return last;
    }

    // Field of entry i, `width` bytes at `off`.
    constexpr std::uint64_t field(std::uint32_t i, std::uint32_t off, std::size_t width) const noexcept {
        return load_n(syms_.data() + std::size_t{i} * L_->elf_sym.size + off, width, Arch::byte_order);
    }

    constexpr result<std::string_view> string_at(std::uint64_t off) const {
        return string_in(strings_, off, info_->strtab);
    }
    static constexpr result<std::string_view> string_in(std::span<const std::byte> bytes, std::uint64_t off,
                                                        std::uint64_t where) {
        if (off >= bytes.size()) return status{errc::corrupt, where + off};
        const auto rest = bytes.subspan(static_cast<std::size_t>(off));
        const auto nul = std::find(rest.begin(), rest.end(), std::byte{0});
        if (nul == rest.end() || nul - rest.begin() >= static_cast<std::ptrdiff_t>(name_buffer_size))
            return status{errc::corrupt, where + off};
        const auto len = static_cast<std::size_t>(nul - rest.begin());
        return std::string_view(reinterpret_cast<const char*>(rest.data()), len);
    }

    // mod->syms, as the kernel's is_exported reads it (detail/exports.hpp).
    constexpr status load_exports(R& reader, std::span<std::byte> rest);
    constexpr bool exported(std::string_view name, std::uint64_t value) const;
    constexpr std::uint64_t export_field(std::uint32_t i, std::uint32_t off, std::size_t width) const noexcept {
        return load_n(exports_.data() + std::size_t{i} * L_->kernel_symbol.size + off, width, Arch::byte_order);
    }
    // Export i's value and the target address of its name.
    constexpr std::uint64_t export_pointer(std::uint32_t i, std::uint32_t off) const noexcept;
    constexpr std::uint64_t export_value(std::uint32_t i) const noexcept { return export_pointer(i, L_->kernel_symbol.value); }
    constexpr std::uint64_t export_name_at(std::uint32_t i) const noexcept { return export_pointer(i, L_->kernel_symbol.name); }

    const module_layout* L_ = nullptr;
    const module_info* info_ = nullptr;
    module_letters letters_ = module_letters::typetab;
    std::uint32_t n_ = 0;
    std::span<std::byte> syms_{};
    std::span<std::byte> types_{};
    std::span<std::byte> strings_{};
    std::uint32_t num_exports_ = 0;
    std::span<std::byte> exports_{};         // mod->syms, raw
    std::span<std::byte> export_strings_{};  // the bytes its names lie in
    std::uint64_t export_strings_at_ = 0;    // target address of export_strings_[0]
};

}  // namespace ksym

#include "ksym/modules/detail/exports.hpp"
