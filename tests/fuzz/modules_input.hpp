#pragma once
// The input format of fuzz_modules.cpp, shared with make_seeds.cpp: a
// header that picks the target and describes a module_layout, then the
// memory, served at a fixed base by a buffer_reader.
//
// Header (128 bytes, little-endian):
//    0 u8   target: bits 0-1 x86_64, s390x, i386, 32-bit big-endian;
//                   bits 2-3 letters: typetab, st_size, st_info, st_info
//    1 u8   era (% 3): module_core, core_layout, mem[] (module_layout_era)
//    2 u16  which optional fields are present: bit 0 kallsyms and
//           core_kallsyms, 1 typetab, 2 gpl_syms and num_gpl_syms,
//           3 data_layout, 4 kernel_symbol namespace
//    4 u16 x 41  offsets and sizes, in the order of `fields` below
//   86 i8 x 8   enum mod_mem_type: text ... init_rodata, MOD_MEM_NUM_TYPES
//   94 i8 x 4   enum module_state: live, coming, going, unformed
//   98 u32  the list head's offset from the base (% (memory size + 64))
//  102 u32  an address probe's offset from the base
//  106 ...  reserved
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "ksym/core/endian.hpp"
#include "ksym/modules/layout.hpp"
#include "ksym/modules/symbols.hpp"

namespace ksym_fuzz {

inline constexpr std::size_t modules_header_bytes = 128;
inline constexpr std::size_t layout_fields = 41;

/// Where the memory is served: the kernel's data page (the list head)
/// then the modules, at kernel-like addresses.
[[nodiscard]] constexpr std::uint64_t modules_base(std::size_t word) noexcept {
    return word == 8 ? 0xffffffffbffff000ull : 0xf7fff000ull;
}

struct modules_input {
    unsigned arch = 0;  ///< 0 x86_64, 1 s390x, 2 i386, 3 32-bit big-endian
    ksym::module_letters letters = ksym::module_letters::typetab;
    ksym::module_layout L;
    std::uint32_t head = 0, probe = 0;
    std::span<const std::byte> memory;
};

namespace detail {
// Every u16 field of the layout, by reference, in header order.
template <class Layout, class F>
constexpr void for_each_field(Layout& L, F&& f) {
    auto& s = L.symbols;
    auto& e = L.elf_sym;
    auto& k = L.kernel_symbol;
    std::uint32_t* fields[layout_fields] = {
        &L.module_size, &L.state, &L.list, &L.name, &L.name_len, nullptr /*kallsyms*/, nullptr /*core_kallsyms*/,
        &s.symtab, &s.num_symtab, &s.strtab, nullptr /*typetab*/, &s.size, &L.syms, &L.num_syms,
        nullptr /*gpl_syms*/, nullptr /*num_gpl_syms*/, &L.mem.offset, &L.mem.count, &L.mem.stride, &L.mem.base,
        &L.mem.size, &L.core.base, &L.core.size, &L.init.base, &L.init.size, nullptr /*data.base*/,
        nullptr /*data.size*/, &e.size, &e.st_name, &e.st_info, &e.st_other, &e.st_shndx, &e.st_value, &e.st_size,
        nullptr /*form*/, &k.size, &k.value, &k.name, nullptr /*namespace*/, &L.list_head.next, &L.list_head.prev};
    for (std::size_t i = 0; i < layout_fields; ++i) f(i, fields[i]);
}
}  // namespace detail

/// Reads an input; nullopt when it is shorter than the header.
[[nodiscard]] inline std::optional<modules_input> parse_modules_input(std::span<const std::byte> in) {
    if (in.size() < modules_header_bytes) return std::nullopt;
    auto u8 = [&](std::size_t at) { return static_cast<std::uint8_t>(in[at]); };
    auto u16 = [&](std::size_t at) { return static_cast<std::uint32_t>(ksym::load<std::uint16_t>(in.data() + at, std::endian::little)); };
    auto i8 = [&](std::size_t at) { return static_cast<std::int64_t>(static_cast<std::int8_t>(u8(at))); };
    modules_input r;
    r.arch = u8(0) & 3;
    const unsigned l = (u8(0) >> 2) & 3;
    r.letters = l == 0 ? ksym::module_letters::typetab : l == 1 ? ksym::module_letters::st_size : ksym::module_letters::st_info;
    ksym::module_layout& L = r.L;
    L.era = static_cast<ksym::module_layout_era>(u8(1) % 3);
    L.pointer_bytes = r.arch < 2 ? 8 : 4;
    const std::uint32_t opt = u16(2);
    std::array<std::uint32_t, layout_fields> v{};
    for (std::size_t i = 0; i < layout_fields; ++i) v[i] = u16(4 + 2 * i);
    detail::for_each_field(L, [&](std::size_t i, std::uint32_t* f) {
        if (f) *f = v[i];
    });
    if (opt & 1) {
        L.kallsyms = v[5];
        L.core_kallsyms = v[6];
    }
    if (opt & 2) L.symbols.typetab = v[10];
    if (opt & 4) {
        L.gpl_syms = v[14];
        L.num_gpl_syms = v[15];
    }
    if (opt & 8) L.data = ksym::module_range_fields{v[25], v[26]};
    L.kernel_symbol.form = static_cast<ksym::kernel_symbol_form>(v[34] % 3);
    if (opt & 16) L.kernel_symbol.namespace_ = v[38];
    auto& t = L.mem.types;
    std::int64_t* types[] = {&t.text, &t.data, &t.rodata, &t.ro_after_init, &t.init_text, &t.init_data, &t.init_rodata, &t.num_types};
    for (std::size_t i = 0; i < 8; ++i) *types[i] = i8(86 + i);
    L.mem.types_from_btf = true;
    L.states = {i8(94), i8(95), i8(96), i8(97)};
    r.head = ksym::load<std::uint32_t>(in.data() + 98, std::endian::little);
    r.probe = ksym::load<std::uint32_t>(in.data() + 102, std::endian::little);
    r.memory = in.subspan(modules_header_bytes);
    return r;
}

/// The header for a layout (fields wider than 16 bits are cut).
[[nodiscard]] inline std::vector<std::byte> modules_header(unsigned arch, ksym::module_letters letters,
                                                           const ksym::module_layout& L, std::uint32_t head,
                                                           std::uint32_t probe) {
    std::vector<std::byte> h(modules_header_bytes);
    auto put = [&](std::size_t at, std::uint64_t v, std::size_t w) { ksym::store_n(h.data() + at, v, w, std::endian::little); };
    const unsigned l = letters == ksym::module_letters::typetab ? 0 : letters == ksym::module_letters::st_size ? 1 : 2;
    put(0, (arch & 3) | (l << 2), 1);
    put(1, static_cast<unsigned>(L.era), 1);
    std::array<std::uint32_t, layout_fields> v{};
    ksym::module_layout copy = L;
    detail::for_each_field(copy, [&](std::size_t i, std::uint32_t* f) {
        if (f) v[i] = *f;
    });
    std::uint32_t opt = 0;
    if (L.kallsyms && L.core_kallsyms) opt |= 1, v[5] = *L.kallsyms, v[6] = *L.core_kallsyms;
    if (L.symbols.typetab) opt |= 2, v[10] = *L.symbols.typetab;
    if (L.gpl_syms && L.num_gpl_syms) opt |= 4, v[14] = *L.gpl_syms, v[15] = *L.num_gpl_syms;
    if (L.data) opt |= 8, v[25] = L.data->base, v[26] = L.data->size;
    v[34] = static_cast<std::uint32_t>(L.kernel_symbol.form);
    if (L.kernel_symbol.namespace_) opt |= 16, v[38] = *L.kernel_symbol.namespace_;
    put(2, opt, 2);
    for (std::size_t i = 0; i < layout_fields; ++i) put(4 + 2 * i, v[i], 2);
    const auto& t = L.mem.types;
    const std::int64_t types[] = {t.text, t.data, t.rodata, t.ro_after_init, t.init_text, t.init_data, t.init_rodata, t.num_types};
    for (std::size_t i = 0; i < 8; ++i) put(86 + i, static_cast<std::uint64_t>(types[i]), 1);
    const std::int64_t states[] = {L.states.live, L.states.coming, L.states.going, L.states.unformed};
    for (std::size_t i = 0; i < 4; ++i) put(94 + i, static_cast<std::uint64_t>(states[i]), 1);
    put(98, head, 4);
    put(102, probe, 4);
    return h;
}

}  // namespace ksym_fuzz
