#pragma once
// Writes synthetic kernel image files around an encoded kallsyms table: an
// ELF vmlinux (with or without .symtab), a raw arm64 Image whose
// kallsyms_relative_base is left 0 for a .rela.dyn entry to fill, and the
// matching System.map.

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "ksym/core/endian.hpp"
#include "ksym/kallsyms/encoder.hpp"

namespace ksym_test {

inline void put(std::vector<std::byte>& b, std::size_t at, std::uint64_t v, std::size_t w, std::endian o) {
    if (b.size() < at + w) b.resize(at + w);
    ksym::store_n(b.data() + at, v, w, o);
}

inline bool write_file(const std::string& path, const std::vector<std::byte>& bytes) {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) return false;
    const bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
    return std::fclose(f) == 0 && ok;
}

/// System.map text for the table's arrays plus `extra` symbols.
inline std::string system_map(const ksym::encoded_table& t, const std::vector<ksym::encoder_symbol>& extra,
                              int digits = 16) {
    std::vector<std::pair<std::uint64_t, std::string>> lines;
    auto add = [&](std::uint64_t a, const char* type, const std::string& n) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%0*llx %s ", digits, static_cast<unsigned long long>(a), type);
        lines.emplace_back(a, buf + n);
    };
    const auto& L = t.layout;
    add(L.num_syms, "R", "kallsyms_num_syms");
    add(L.names, "R", "kallsyms_names");
    if (L.markers) add(*L.markers, "R", "kallsyms_markers");
    add(L.token_table, "R", "kallsyms_token_table");
    add(L.token_index, "R", "kallsyms_token_index");
    if (L.addresses) add(*L.addresses, "R", "kallsyms_addresses");
    if (L.offsets) add(*L.offsets, "R", "kallsyms_offsets");
    if (L.relative_base) add(*L.relative_base, "R", "kallsyms_relative_base");
    if (L.seqs_of_names) add(*L.seqs_of_names, "R", "kallsyms_seqs_of_names");
    for (const auto& s : extra) add(s.address, std::string(1, s.type).c_str(), s.name);
    std::string out;
    for (auto& l : lines) out += l.second + "\n";
    return out;
}

/// An ELF executable with one PT_LOAD holding the table at t.base, and
/// optionally a .symtab naming the arrays.
inline std::vector<std::byte> elf_file(const ksym::encoded_table& t, bool is64, std::endian o, std::uint16_t machine,
                                       bool with_symtab) {
    std::vector<std::byte> f;
    const std::size_t ehsize = is64 ? 64 : 52, phsize = is64 ? 56 : 32, shsize = is64 ? 64 : 40;
    const std::size_t data_off = 0x1000;
    f.resize(data_off);
    f.insert(f.end(), t.blob.begin(), t.blob.end());
    // e_ident
    const char ident[] = {0x7f, 'E', 'L', 'F'};
    for (int i = 0; i < 4; ++i) f[static_cast<std::size_t>(i)] = static_cast<std::byte>(ident[i]);
    f[4] = std::byte{static_cast<unsigned char>(is64 ? 2 : 1)};
    f[5] = std::byte{static_cast<unsigned char>(o == std::endian::little ? 1 : 2)};
    f[6] = std::byte{1};
    const std::size_t w = is64 ? 8 : 4;
    put(f, 16, 2, 2, o);  // ET_EXEC
    put(f, 18, machine, 2, o);
    put(f, 20, 1, 4, o);
    // Program header right after the ELF header.
    const std::size_t phoff = ehsize;
    put(f, is64 ? 32 : 28, phoff, w, o);
    put(f, is64 ? 54 : 42, phsize, 2, o);
    put(f, is64 ? 56 : 44, 1, 2, o);
    put(f, is64 ? 58 : 46, shsize, 2, o);
    put(f, phoff, 1, 4, o);  // PT_LOAD
    if (is64) {
        put(f, phoff + 4, 5, 4, o);
        put(f, phoff + 8, data_off, 8, o);
        put(f, phoff + 16, t.base, 8, o);
        put(f, phoff + 24, t.base, 8, o);
        put(f, phoff + 32, t.blob.size(), 8, o);
        put(f, phoff + 40, t.blob.size(), 8, o);
    } else {
        put(f, phoff + 4, data_off, 4, o);
        put(f, phoff + 8, t.base, 4, o);
        put(f, phoff + 12, t.base, 4, o);
        put(f, phoff + 16, t.blob.size(), 4, o);
        put(f, phoff + 20, t.blob.size(), 4, o);
        put(f, phoff + 24, 5, 4, o);
    }
    if (!with_symtab) return f;

    // .strtab, .symtab and three section headers (null, symtab, strtab).
    const auto& L = t.layout;
    std::vector<std::pair<std::string, std::uint64_t>> syms = {
        {"kallsyms_num_syms", L.num_syms}, {"kallsyms_names", L.names},
        {"kallsyms_token_table", L.token_table}, {"kallsyms_token_index", L.token_index}};
    if (L.markers) syms.emplace_back("kallsyms_markers", *L.markers);
    if (L.addresses) syms.emplace_back("kallsyms_addresses", *L.addresses);
    if (L.offsets) syms.emplace_back("kallsyms_offsets", *L.offsets);
    if (L.relative_base) syms.emplace_back("kallsyms_relative_base", *L.relative_base);
    if (L.seqs_of_names) syms.emplace_back("kallsyms_seqs_of_names", *L.seqs_of_names);
    std::string strtab(1, '\0');
    std::vector<std::size_t> name_off;
    for (auto& s : syms) {
        name_off.push_back(strtab.size());
        strtab += s.first;
        strtab += '\0';
    }
    const std::size_t strtab_off = f.size();
    for (char c : strtab) f.push_back(static_cast<std::byte>(c));
    while (f.size() % 8) f.push_back(std::byte{0});
    const std::size_t symtab_off = f.size();
    const std::size_t ent = is64 ? 24 : 16;
    f.resize(symtab_off + ent * (syms.size() + 1));
    for (std::size_t i = 0; i < syms.size(); ++i) {
        const std::size_t at = symtab_off + ent * (i + 1);
        put(f, at, name_off[i], 4, o);
        if (is64) {
            put(f, at + 4, 0x11, 1, o);
            put(f, at + 6, 1, 2, o);
            put(f, at + 8, syms[i].second, 8, o);
        } else {
            put(f, at + 4, syms[i].second, 4, o);
            put(f, at + 12, 0x11, 1, o);
            put(f, at + 14, 1, 2, o);
        }
    }
    const std::size_t shoff = f.size();
    f.resize(shoff + 3 * shsize);
    auto sh = [&](std::size_t i, std::uint32_t type, std::uint64_t off, std::uint64_t size, std::uint32_t link,
                  std::uint64_t entsize) {
        const std::size_t at = shoff + i * shsize;
        put(f, at + 4, type, 4, o);
        if (is64) {
            put(f, at + 24, off, 8, o);
            put(f, at + 32, size, 8, o);
            put(f, at + 40, link, 4, o);
            put(f, at + 56, entsize, 8, o);
        } else {
            put(f, at + 16, off, 4, o);
            put(f, at + 20, size, 4, o);
            put(f, at + 24, link, 4, o);
            put(f, at + 36, entsize, 4, o);
        }
    };
    sh(1, 2, symtab_off, ent * (syms.size() + 1), 2, ent);
    sh(2, 3, strtab_off, strtab.size(), 0, 0);
    put(f, is64 ? 40 : 32, shoff, w, o);
    put(f, is64 ? 60 : 48, 3, 2, o);
    return f;
}

/// A raw arm64 Image: header magic at 0x38, the table at t.base - load, the
/// 8-byte kallsyms_relative_base zeroed and a R_AARCH64_RELATIVE entry for
/// it appended (unless `with_rela` is false: then only anchoring can help).
inline std::vector<std::byte> arm64_image(const ksym::encoded_table& t, std::uint64_t load, bool with_rela) {
    std::vector<std::byte> f(static_cast<std::size_t>(t.base - load));
    const char magic[] = {'A', 'R', 'M', 0x64};
    for (int i = 0; i < 4; ++i) f[0x38 + static_cast<std::size_t>(i)] = static_cast<std::byte>(magic[i]);
    f.insert(f.end(), t.blob.begin(), t.blob.end());
    const std::uint64_t rb_addr = *t.layout.relative_base;
    const std::size_t rb_off = static_cast<std::size_t>(rb_addr - load);
    std::uint64_t value = ksym::load<std::uint64_t>(f.data() + rb_off, std::endian::little);
    put(f, rb_off, 0, 8, std::endian::little);
    while (f.size() % 8) f.push_back(std::byte{0});
    f.resize(f.size() + 24 * 4);  // some unrelated entries and ours
    std::size_t at = f.size() - 24 * 4;
    for (int k = 0; k < 3; ++k, at += 24) {
        put(f, at, rb_addr + 8 + static_cast<std::uint64_t>(k) * 8, 8, std::endian::little);
        put(f, at + 8, 1027, 8, std::endian::little);
        put(f, at + 16, 0x1234, 8, std::endian::little);
    }
    if (with_rela) {
        put(f, at, rb_addr, 8, std::endian::little);
        put(f, at + 8, 1027, 8, std::endian::little);
        put(f, at + 16, value, 8, std::endian::little);
    }
    return f;
}

}  // namespace ksym_test
