#pragma once
// Writing an ELF executable that holds a kernel's memory at its virtual
// addresses and its symbols in a .symtab, for the tools that read ELF: gdb,
// objdump, nm, Ghidra. ELF32 or ELF64, either byte order.
//
// Nothing is allocated: memory is copied through a fixed buffer, the symbols
// are read from their source four times (plan, names, local symbols, global
// symbols: the ELF gABI wants every local before the first global), and the
// sections are planned in storage the caller lends.

#include <algorithm>
#include <array>
#include <bit>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "ksym/core/endian.hpp"
#include "ksym/core/errc.hpp"
#include "ksym/elf/elf_file.hpp"
#include "ksym/memory/reader.hpp"
#include "ksym/symbols/nm_type.hpp"
#include "ksym/symbols/st_info.hpp"
#include "ksym/symbols/symbol.hpp"

namespace ksym::elf {

inline constexpr std::uint16_t et_exec = 2;
inline constexpr std::uint32_t sht_progbits = 1, sht_nobits = 8;
inline constexpr std::uint64_t shf_write = 1, shf_alloc = 2, shf_execinstr = 4;
inline constexpr std::uint32_t pf_x = 1, pf_w = 2, pf_r = 4;
inline constexpr std::uint16_t shn_abs = 0xfff1;

/// Where written bytes go, in order: `write(bytes)` takes all of them or
/// says why not.
template <class S>
concept byte_sink = requires(S& s, std::span<const std::byte> bytes) {
    { s.write(bytes) } -> std::same_as<status>;
};

/// A section write_image planned, in storage the caller lends. The fields
/// are the writer's; they mean nothing to the caller afterwards.
struct planned_section {
    std::uint64_t start = 0;
    std::uint64_t end = 0;
    std::uint64_t offset = 0;
    std::uint32_t name = 0;
    std::uint16_t load = 0;
    std::uint8_t kind = 0;
};

namespace detail {

// What kind of memory an nm letter says its symbol sits in. An ELF reader
// (nm, llvm-nm, gdb, Ghidra) infers the same from the flags of the symbol's
// section, so every symbol of a class needs a section of that class for
// llvm-nm to print the letter kallsyms holds.
enum class memory_kind : std::uint8_t { none, text, rodata, data, bss };

[[nodiscard]] constexpr memory_kind memory_kind_of(char type) noexcept {
    switch (from_nm_type(type).section) {
    case section_class::text: return memory_kind::text;
    case section_class::rodata: return memory_kind::rodata;
    case section_class::data:
    case section_class::small_data: return memory_kind::data;
    case section_class::bss:
    case section_class::small_bss: return memory_kind::bss;
    default: return memory_kind::none;  // absolute, weak, unknown: any section (or none) will do
    }
}

// The kind of an extent that holds no classed symbol, from its p_flags.
[[nodiscard]] constexpr memory_kind memory_kind_of_flags(std::uint32_t pflags) noexcept {
    if (pflags & pf_x) return memory_kind::text;
    if (pflags & pf_w) return memory_kind::data;
    return memory_kind::rodata;
}

[[nodiscard]] constexpr std::uint64_t section_flags(memory_kind k) noexcept {
    switch (k) {
    case memory_kind::text: return shf_alloc | shf_execinstr;
    case memory_kind::data:
    case memory_kind::bss: return shf_alloc | shf_write;
    default: return shf_alloc;
    }
}

[[nodiscard]] constexpr std::string_view section_base_name(memory_kind k) noexcept {
    switch (k) {
    case memory_kind::text: return ".text";
    case memory_kind::data: return ".data";
    case memory_kind::bss: return ".bss";
    default: return ".rodata";
    }
}

// ".text" for the first section of a kind, ".text.1", ".text.2"... after.
struct section_name {
    std::array<char, 32> buf{};
    std::size_t len = 0;
    constexpr section_name(memory_kind k, std::uint32_t ordinal) noexcept {
        const std::string_view base = section_base_name(k);
        for (char c : base) buf[len++] = c;
        if (ordinal == 0) return;
        buf[len++] = '.';
        std::array<char, 10> digits{};
        std::size_t n = 0;
        for (std::uint32_t v = ordinal; v != 0; v /= 10) digits[n++] = static_cast<char>('0' + v % 10);
        while (n > 0) buf[len++] = digits[--n];
    }
    [[nodiscard]] constexpr std::string_view view() const noexcept { return {buf.data(), len}; }
};

// The st_info byte for an nm letter, through the translator. Letters that
// carry no binding ('i', '?') become global: ELF has no "unknown".
[[nodiscard]] constexpr std::uint8_t st_info_of(char type) noexcept {
    const symbol_attrs a = from_nm_type(type);
    const symbol_binding b = a.binding == symbol_binding::unknown ? symbol_binding::global : a.binding;
    return to_st_info(b, a.kind).value_or(elf::st_info(stb_global, stt_notype));
}

[[nodiscard]] constexpr bool is_local(char type) noexcept {
    return from_nm_type(type).binding == symbol_binding::local;
}

[[nodiscard]] constexpr bool is_absolute(char type) noexcept {
    return from_nm_type(type).section == section_class::absolute;
}

// Record sizes: ELF header, program header, section header, symbol.
struct record_sizes {
    std::size_t ehdr, phdr, shdr, sym, word;
};
[[nodiscard]] constexpr record_sizes sizes_for(bool is64) noexcept {
    return is64 ? record_sizes{64, 56, 64, 24, 8} : record_sizes{52, 32, 40, 16, 4};
}

// Encoders: one record in the class and byte order of `h`, into `out`
// (64 bytes, the largest record). The inverse of elf_file.hpp's readers.
constexpr void put_header(const header& h, std::span<std::byte, 64> out) noexcept {
    std::ranges::fill(out, std::byte{0});
    const std::array<std::uint8_t, 7> ident{0x7f, 'E', 'L', 'F', std::uint8_t(h.is64 ? 2 : 1),
                                            std::uint8_t(h.order == std::endian::little ? 1 : 2), 1};
    for (std::size_t i = 0; i < ident.size(); ++i) out[i] = std::byte{ident[i]};
    const auto o = h.order;
    const record_sizes z = sizes_for(h.is64);
    std::byte* p = out.data();
    store_n(p + 16, h.type, 2, o);
    store_n(p + 18, h.machine, 2, o);
    store_n(p + 20, 1, 4, o);  // e_version: EV_CURRENT
    const std::size_t w = z.word;
    store_n(p + 24, h.entry, w, o);
    store_n(p + 24 + w, h.phoff, w, o);
    store_n(p + 24 + 2 * w, h.shoff, w, o);
    std::byte* q = p + 24 + 3 * w;  // e_flags and the 16-bit fields follow the words
    store_n(q, h.flags, 4, o);
    store_n(q + 4, z.ehdr, 2, o);
    store_n(q + 6, h.phentsize, 2, o);
    store_n(q + 8, h.phnum, 2, o);
    store_n(q + 10, h.shentsize, 2, o);
    store_n(q + 12, h.shnum, 2, o);
    store_n(q + 14, h.shstrndx, 2, o);
}

constexpr void put_segment(const header& h, const segment& s, std::span<std::byte, 64> out) noexcept {
    std::ranges::fill(out, std::byte{0});
    const auto o = h.order;
    std::byte* p = out.data();
    store_n(p, s.type, 4, o);
    if (h.is64) {
        store_n(p + 4, s.flags, 4, o);
        store_n(p + 8, s.offset, 8, o);
        store_n(p + 16, s.vaddr, 8, o);
        store_n(p + 24, s.paddr, 8, o);
        store_n(p + 32, s.filesz, 8, o);
        store_n(p + 40, s.memsz, 8, o);
        store_n(p + 48, s.align, 8, o);
    } else {
        store_n(p + 4, s.offset, 4, o);
        store_n(p + 8, s.vaddr, 4, o);
        store_n(p + 12, s.paddr, 4, o);
        store_n(p + 16, s.filesz, 4, o);
        store_n(p + 20, s.memsz, 4, o);
        store_n(p + 24, s.flags, 4, o);
        store_n(p + 28, s.align, 4, o);
    }
}

constexpr void put_section(const header& h, const section& s, std::span<std::byte, 64> out) noexcept {
    std::ranges::fill(out, std::byte{0});
    const auto o = h.order;
    const std::size_t w = sizes_for(h.is64).word;
    std::byte* p = out.data();
    store_n(p, s.name, 4, o);
    store_n(p + 4, s.type, 4, o);
    store_n(p + 8, s.flags, w, o);
    store_n(p + 8 + w, s.addr, w, o);
    store_n(p + 8 + 2 * w, s.offset, w, o);
    store_n(p + 8 + 3 * w, s.size, w, o);
    store_n(p + 8 + 4 * w, s.link, 4, o);
    store_n(p + 12 + 4 * w, s.info, 4, o);
    store_n(p + 16 + 4 * w, s.addralign, w, o);
    store_n(p + 16 + 5 * w, s.entsize, w, o);
}

constexpr void put_symbol(const header& h, const symbol& s, std::span<std::byte, 64> out) noexcept {
    const auto o = h.order;
    std::byte* p = out.data();
    store_n(p, s.name, 4, o);
    if (h.is64) {
        p[4] = std::byte{s.info};
        p[5] = std::byte{0};  // st_other: default visibility
        store_n(p + 6, s.shndx, 2, o);
        store_n(p + 8, s.value, 8, o);
        store_n(p + 16, s.size, 8, o);
    } else {
        store_n(p + 4, s.value, 4, o);
        store_n(p + 8, s.size, 4, o);
        p[12] = std::byte{s.info};
        p[13] = std::byte{0};
        store_n(p + 14, s.shndx, 2, o);
    }
}

// A sink that counts what it wrote and gathers small writes, so a symbol
// table goes out in 8 KiB writes rather than 24-byte ones.
template <class S>
class counting_sink {
public:
    explicit constexpr counting_sink(S& s) noexcept : sink_(s) {}
    constexpr status write(std::span<const std::byte> b) {
        if (b.size() > buf_.size() - used_) {
            if (status s = flush(); !s) return s;
            if (b.size() > buf_.size()) {
                pos_ += b.size();
                return sink_.write(b);
            }
        }
        std::ranges::copy(b, buf_.begin() + static_cast<std::ptrdiff_t>(used_));
        used_ += b.size();
        pos_ += b.size();
        return {};
    }
    constexpr status zeros(std::uint64_t n) {
        constexpr std::array<std::byte, 4096> z{};
        while (n > 0) {
            const auto k = static_cast<std::size_t>(std::min<std::uint64_t>(n, z.size()));
            if (status s = write(std::span(z).first(k)); !s) return s;
            n -= k;
        }
        return {};
    }
    // Zeros up to file offset `at`, which must not be behind.
    constexpr status pad_to(std::uint64_t at) { return at < pos_ ? status{errc::invalid_argument} : zeros(at - pos_); }
    constexpr status flush() {
        if (used_ == 0) return {};
        const status s = sink_.write(std::span<const std::byte>(buf_.data(), used_));
        used_ = 0;
        return s;
    }
    [[nodiscard]] constexpr std::uint64_t position() const noexcept { return pos_; }

private:
    S& sink_;
    std::array<std::byte, 8192> buf_{};
    std::size_t used_ = 0;
    std::uint64_t pos_ = 0;
};

}  // namespace detail

/// Largest stretch of zeros write_image writes for the memory past a
/// segment's file-backed part that is not bss (the tail of .data a raw arm64
/// Image leaves out, 4 KiB in 7.2): bss needs none, and a larger one
/// means a broken segment rather than a kernel.
inline constexpr std::uint64_t max_zero_fill = std::uint64_t{64} << 20;

/// Writes to `out` an ELF executable (ET_EXEC) of the class, byte order,
/// machine, e_flags and entry point `target` gives (its other fields are
/// ignored) holding:
///
/// - for each of `loads` (PT_LOAD program headers: vaddr, paddr, filesz,
///   memsz, flags, align; sorted by vaddr, not overlapping) a PT_LOAD whose
///   first filesz bytes are `memory`'s at vaddr;
/// - sections covering each load, split where the nm letters of the symbols
///   inside say the kind of memory changes, so that nm and llvm-nm give every
///   symbol back its letter: text (SHF_ALLOC|SHF_EXECINSTR), read-only data
///   (SHF_ALLOC), data (SHF_ALLOC|SHF_WRITE), bss (SHT_NOBITS); named .text,
///   .rodata, .data, .bss, then .text.1, ... A load with no lettered symbol is
///   one section of the kind its p_flags say. Memory past filesz in a
///   section that is not bss is written as zeros (at most max_zero_fill a load);
/// - .symtab and .strtab with every symbol `symbols` gives, after the null
///   symbol, locals first (sh_info = index of the first global): st_value is
///   the address, st_info the nm letter through from_nm_type / to_st_info
///   (a letter without binding becomes global), st_size the symbol's size
///   (0 for absolute symbols), st_shndx the section holding the address whose
///   kind fits the letter (a symbol at a boundary may sit at the end of the
///   section before), SHN_ABS for absolute symbols. A symbol outside every
///   section (between loads: amd64 7.2's __end_rodata) takes the neighbouring
///   section of its kind, as the kernel's linker script defined it against
///   one, and SHN_ABS when neither neighbour is of its kind;
/// - .shstrtab.
///
/// `symbols(visit)` must call `visit(const ksym::symbol&)` for every symbol
/// in address order (absolute symbols anywhere), the same each time, and
/// return a status; a kallsyms table's for_each does. A symbol's size is
/// taken as given: a table computes it as the kernel does (the distance to
/// the next higher address, 0 for the last). `sections` is storage for the
/// planned sections: too few gives `capacity` (Debian's kernels need 3 to
/// 19: amd64 7.2 17, arm64 7.2 13). Other errors: a symbol or load that does not fit
/// the class, loads out of order, symbols out of order or a name with a
/// NUL: `invalid_argument`; symbols that change between passes: `corrupt`;
/// `memory`'s and `out`'s failures as they report them. Stack use is about
/// 26 KiB.
template <MemoryReader R, class Symbols, byte_sink S>
status write_image(const header& target, std::span<const segment> loads, R& memory, Symbols&& symbols, S& out,
                   std::span<planned_section> sections) {
    using detail::memory_kind;
    header h = target;
    const detail::record_sizes z = detail::sizes_for(h.is64);
    const std::uint64_t addr_max = h.is64 ? UINT64_MAX : UINT32_MAX;
    if (loads.empty() || loads.size() > 0xff00) return {errc::invalid_argument};
    for (std::size_t i = 0; i < loads.size(); ++i) {
        const segment& l = loads[i];
        // The end must be representable too: sections end there.
        if (l.filesz > l.memsz || l.memsz == 0 || l.vaddr > addr_max || l.memsz > addr_max - l.vaddr ||
            l.paddr > addr_max)
            return {errc::invalid_argument, l.vaddr};
        if (i > 0 && loads[i - 1].vaddr + loads[i - 1].memsz > l.vaddr) return {errc::invalid_argument, l.vaddr};
    }
    const auto load_end = [&](std::size_t l) { return loads[l].vaddr + loads[l].memsz; };
    const auto kind_of = [](const planned_section& s) { return static_cast<memory_kind>(s.kind); };

    // Pass 1: count, check, and plan the sections.
    std::uint64_t count = 0, locals = 0, str_bytes = 1;  // .strtab opens with an empty name
    std::size_t n = 0, cur = 0;
    bool cur_has_section = false, have_prev = false;
    std::uint64_t prev = 0;
    status bad;
    const auto add = [&](std::uint64_t start, memory_kind k, std::size_t load) {
        if (n == sections.size()) {
            if (bad.ok()) bad = {errc::capacity, n};
            return;
        }
        sections[n++] = {start, 0, 0, 0, static_cast<std::uint16_t>(load), static_cast<std::uint8_t>(k)};
    };
    const auto close_load = [&] {
        if (!cur_has_section) add(loads[cur].vaddr, detail::memory_kind_of_flags(loads[cur].flags), cur);
        cur_has_section = false;
        ++cur;
    };
    status s = symbols([&](const ksym::symbol& sym) {
        ++count;
        str_bytes += sym.name.size() + 1;
        if (detail::is_local(sym.type)) ++locals;
        if (!bad.ok()) return;
        if (sym.name.find('\0') != std::string_view::npos || sym.address > addr_max) {
            bad = {errc::invalid_argument, sym.address};
            return;
        }
        if (detail::is_absolute(sym.type)) return;
        if (have_prev && sym.address < prev) {
            bad = {errc::invalid_argument, sym.address};
            return;
        }
        have_prev = true;
        prev = sym.address;
        const memory_kind k = detail::memory_kind_of(sym.type);
        if (k == memory_kind::none) return;
        while (cur < loads.size() && sym.address > load_end(cur)) close_load();
        if (cur == loads.size() || sym.address < loads[cur].vaddr) return;  // outside every load: SHN_ABS
        // At the end of a load that the next one adjoins: the symbol ends the
        // last section here when that is its kind, else it starts the next load.
        if (sym.address == load_end(cur) && cur + 1 < loads.size() && loads[cur + 1].vaddr == sym.address &&
            !(cur_has_section && kind_of(sections[n - 1]) == k))
            close_load();
        if (!cur_has_section) {
            // The load's first section starts with the load: the bytes before
            // its first symbol are of that symbol's kind.
            add(loads[cur].vaddr, k, cur);
            cur_has_section = n > 0 && sections[n - 1].load == cur;
            return;
        }
        if (kind_of(sections[n - 1]) == k) return;
        // Symbols of other kinds at a section's first address go to a
        // section that starts there too, or sit at the end of the one before.
        if (sections[n - 1].start == sym.address) {
            for (std::size_t j = n; j-- > 0;) {
                if (sections[j].load != cur) break;
                if (kind_of(sections[j]) == k) return;
                if (sections[j].start != sym.address) break;
            }
        }
        add(sym.address, k, cur);
    });
    if (!s) return s;
    if (!bad.ok()) return bad;
    while (cur < loads.size()) close_load();
    if (!bad.ok()) return bad;
    // Null, planned, .symtab, .strtab, .shstrtab: e_shnum is 16 bits below SHN_LORESERVE.
    if (n + 4 >= 0xff00) return {errc::capacity, n};
    // st_name and sh_info are 32 bits in either class.
    if (str_bytes > UINT32_MAX || count >= UINT32_MAX) return {errc::capacity, str_bytes};
    const std::uint64_t total = count;
    const std::uint64_t str_total = str_bytes;

    // Section ends; each load's written size (its file bytes, and zeros for
    // what is not bss past them); names.
    std::array<std::uint32_t, 5> ordinal{};
    std::uint64_t shstr = 1;
    for (std::size_t i = 0; i < n; ++i) {
        planned_section& sc = sections[i];
        sc.end = i + 1 < n && sections[i + 1].load == sc.load ? sections[i + 1].start : load_end(sc.load);
        sc.name = static_cast<std::uint32_t>(shstr);
        shstr += detail::section_name(kind_of(sc), ordinal[sc.kind]++).len + 1;
    }
    const std::uint64_t symtab_name = shstr, strtab_name = shstr + 8, shstrtab_name = shstr + 16;
    shstr += 8 + 8 + 10;  // ".symtab", ".strtab", ".shstrtab" and their NULs
    const auto written = [&](std::size_t first, std::size_t last) {  // sections [first, last) of one load
        const segment& l = loads[sections[first].load];
        std::uint64_t w = l.filesz;
        for (std::size_t i = first; i < last; ++i)
            if (kind_of(sections[i]) != memory_kind::bss) w = std::max(w, sections[i].end - l.vaddr);
        return w;
    };
    // Calls f(load, first section, one past its last, file offset, bytes written) per load.
    const auto for_each_load = [&](auto&& f) -> status {
        std::uint64_t off = z.ehdr + loads.size() * z.phdr;
        for (std::size_t first = 0; first < n;) {
            std::size_t last = first + 1;
            while (last < n && sections[last].load == sections[first].load) ++last;
            const segment& l = loads[sections[first].load];
            // p_offset and p_vaddr agree modulo p_align, as loaders want; at
            // most 64 KiB (the largest page) so no load pads a huge stretch.
            const std::uint64_t a = std::bit_floor(std::clamp<std::uint64_t>(l.align, 1, 0x10000));
            off += (l.vaddr - off) & (a - 1);
            const std::uint64_t w = written(first, last);
            if (w - l.filesz > max_zero_fill) return {errc::unsupported, l.vaddr + l.filesz};
            if (status r = f(sections[first].load, first, last, off, w, a); !r) return r;
            off += w;
            first = last;
        }
        return {};
    };
    std::uint64_t data_end = 0;
    s = for_each_load([&](std::size_t, std::size_t first, std::size_t last, std::uint64_t off, std::uint64_t w,
                          std::uint64_t) -> status {
        const segment& l = loads[sections[first].load];
        for (std::size_t i = first; i < last; ++i)
            sections[i].offset = off + std::min(sections[i].start - l.vaddr, w);
        data_end = off + w;
        return {};
    });
    if (!s) return s;
    const std::uint64_t symtab_off = (data_end + z.word - 1) / z.word * z.word;
    const std::uint64_t symtab_size = (total + 1) * z.sym;
    const std::uint64_t strtab_off = symtab_off + symtab_size;
    const std::uint64_t shstrtab_off = strtab_off + str_total;
    const std::uint64_t shoff = (shstrtab_off + shstr + z.word - 1) / z.word * z.word;
    if (!h.is64 && shoff + (n + 4) * z.shdr > UINT32_MAX) return {errc::capacity, shoff};

    // Header and program headers.
    h.type = et_exec;
    h.phoff = z.ehdr;
    h.shoff = shoff;
    h.phentsize = static_cast<std::uint16_t>(z.phdr);
    h.phnum = static_cast<std::uint16_t>(loads.size());
    h.shentsize = static_cast<std::uint16_t>(z.shdr);
    h.shnum = static_cast<std::uint16_t>(n + 4);
    h.shstrndx = static_cast<std::uint16_t>(n + 3);
    detail::counting_sink<S> w(out);
    std::array<std::byte, 64> rec{};
    detail::put_header(h, rec);
    if (s = w.write(std::span(rec).first(z.ehdr)); !s) return s;
    s = for_each_load([&](std::size_t li, std::size_t, std::size_t, std::uint64_t off, std::uint64_t wr,
                          std::uint64_t a) -> status {
        segment p = loads[li];
        p.type = pt_load;
        p.offset = off;
        p.filesz = wr;
        p.align = a;
        detail::put_segment(h, p, rec);
        return w.write(std::span(rec).first(z.phdr));
    });
    if (!s) return s;

    // Memory, through one buffer.
    s = for_each_load([&](std::size_t li, std::size_t, std::size_t, std::uint64_t off, std::uint64_t wr,
                          std::uint64_t) -> status {
        if (status r = w.pad_to(off); !r) return r;
        const segment& l = loads[li];
        std::array<std::byte, 16384> buf;
        for (std::uint64_t done = 0; done < l.filesz;) {
            const auto k = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), l.filesz - done));
            if (status r = memory.read(l.vaddr + done, std::span(buf).first(k)); !r) return r;
            if (status r = w.write(std::span<const std::byte>(buf.data(), k)); !r) return r;
            done += k;
        }
        return w.zeros(wr - l.filesz);
    });
    if (!s) return s;

    // .symtab, locals then globals, then .strtab. Names go into .strtab in
    // the symbols' own order, so a symbol's name offset is a running sum
    // over all of them, whichever pass writes the symbol.
    if (s = w.pad_to(symtab_off); !s) return s;
    if (s = w.zeros(z.sym); !s) return s;  // the null symbol
    const auto shndx_of = [&](const ksym::symbol& sym) -> std::uint16_t {
        if (detail::is_absolute(sym.type)) return shn_abs;
        const memory_kind k = detail::memory_kind_of(sym.type);
        // The last section starting at or before the address, then back over
        // those that still reach it (empty ones, the one ending there).
        const auto it = std::upper_bound(sections.begin(), sections.begin() + static_cast<std::ptrdiff_t>(n),
                                         sym.address,
                                         [](std::uint64_t a, const planned_section& p) { return a < p.start; });
        std::size_t best = 0;
        int rank = 0;  // 4: kind fits, address inside; 3: kind fits, at the end; 2: inside; 1: at the end
        for (auto j = static_cast<std::size_t>(it - sections.begin()); j-- > 0;) {
            const planned_section& p = sections[j];
            if (p.end < sym.address) break;
            const bool inside = sym.address < p.end, fits = k != memory_kind::none && kind_of(p) == k;
            const int r = (fits ? 3 : 1) + (inside ? 1 : 0);
            if (r > rank) best = j, rank = r;
        }
        if (rank != 0) return static_cast<std::uint16_t>(best + 1);
        // In no section (between loads, say): the section of its kind next
        // to the gap, before or after, keeps the letter the kernel's own
        // section gave it; else SHN_ABS.
        if (k == memory_kind::none) return shn_abs;
        const auto after = static_cast<std::size_t>(it - sections.begin());
        if (after > 0 && kind_of(sections[after - 1]) == k) return static_cast<std::uint16_t>(after);
        if (after < n && kind_of(sections[after]) == k) return static_cast<std::uint16_t>(after + 1);
        return shn_abs;
    };
    for (const bool local_pass : {true, false}) {
        std::uint64_t name_off = 1, seen = 0;
        s = symbols([&](const ksym::symbol& sym) {
            const std::uint64_t at = name_off;
            name_off += sym.name.size() + 1;
            ++seen;
            if (!bad.ok() || detail::is_local(sym.type) != local_pass) return;
            symbol e;
            e.name = static_cast<std::uint32_t>(at);
            e.info = detail::st_info_of(sym.type);
            e.shndx = shndx_of(sym);
            e.value = sym.address;
            e.size = detail::is_absolute(sym.type) ? 0 : sym.size;
            detail::put_symbol(h, e, rec);
            bad = w.write(std::span(rec).first(z.sym));
        });
        if (!s) return s;
        if (!bad.ok()) return bad;
        if (seen != total || name_off != str_total) return {errc::corrupt};
    }
    {
        std::uint64_t seen = 0, bytes = 1;
        if (s = w.zeros(1); !s) return s;
        s = symbols([&](const ksym::symbol& sym) {
            ++seen;
            bytes += sym.name.size() + 1;
            if (!bad.ok()) return;
            bad = w.write(std::as_bytes(std::span(sym.name.data(), sym.name.size())));
            if (bad.ok()) bad = w.zeros(1);
        });
        if (!s) return s;
        if (!bad.ok()) return bad;
        if (seen != total || bytes != str_total) return {errc::corrupt};
    }

    // .shstrtab, in the order the names were numbered above.
    const auto put_name = [&](std::string_view name) -> status {
        if (status r = w.write(std::as_bytes(std::span(name.data(), name.size()))); !r) return r;
        return w.zeros(1);
    };
    if (s = w.zeros(1); !s) return s;
    ordinal = {};
    for (std::size_t i = 0; i < n; ++i) {
        const detail::section_name nm(kind_of(sections[i]), ordinal[sections[i].kind]++);
        if (s = put_name(nm.view()); !s) return s;
    }
    for (std::string_view name : {".symtab", ".strtab", ".shstrtab"})
        if (s = put_name(name); !s) return s;

    // Section headers.
    if (s = w.pad_to(shoff); !s) return s;
    const auto put = [&](const section& sc) {
        detail::put_section(h, sc, rec);
        return w.write(std::span(rec).first(z.shdr));
    };
    if (s = put(section{}); !s) return s;
    for (std::size_t i = 0; i < n; ++i) {
        const planned_section& p = sections[i];
        section sc;
        sc.name = p.name;
        sc.type = kind_of(p) == memory_kind::bss ? sht_nobits : sht_progbits;
        sc.flags = detail::section_flags(kind_of(p));
        sc.addr = p.start;
        sc.offset = p.offset;
        sc.size = p.end - p.start;
        sc.addralign = 1;  // boundaries fall where symbols do, at any address
        if (s = put(sc); !s) return s;
    }
    section symtab;
    symtab.name = static_cast<std::uint32_t>(symtab_name);
    symtab.type = sht_symtab;
    symtab.offset = symtab_off;
    symtab.size = symtab_size;
    symtab.link = static_cast<std::uint32_t>(n + 2);
    symtab.info = static_cast<std::uint32_t>(1 + locals);
    symtab.addralign = z.word;
    symtab.entsize = z.sym;
    if (s = put(symtab); !s) return s;
    section strtab;
    strtab.name = static_cast<std::uint32_t>(strtab_name);
    strtab.type = sht_strtab;
    strtab.offset = strtab_off;
    strtab.size = str_total;
    strtab.addralign = 1;
    if (s = put(strtab); !s) return s;
    section names = strtab;
    names.name = static_cast<std::uint32_t>(shstrtab_name);
    names.offset = shstrtab_off;
    names.size = shstr;
    if (s = put(names); !s) return s;
    return w.flush();
}

}  // namespace ksym::elf
