// Writes the fuzz seed corpora: valid kallsyms tables in each encoding and
// era with the fuzz header that locates them (fuzz_kallsyms.cpp), and
// synthetic ELF files. The regress-* seeds are fuzzer finds, kept as files.
// Usage: make_seeds DIR   (writes DIR/kallsyms/*, DIR/elf/*, DIR/scan/*, DIR/btf/*,
//                          DIR/modules/* and DIR/container_*/*)
#include <cstdio>
#include <string>
#include <tuple>
#include <vector>

#include "../container_builder.hpp"
#include "../image_builder.hpp"
#include "../module_btf.hpp"
#include "../module_image.hpp"
#include "../synthetic.hpp"
#include "modules_input.hpp"

namespace {
constexpr std::uint64_t base = 0xffffffff81000000ull;
constexpr std::size_t header_bytes = 88;  // see fuzz_kallsyms.cpp for the layout

struct seed_spec {
    ksym::address_encoding enc = ksym::address_encoding::base_relative;
    std::uint32_t arch_sel = 0;  // x86_64, i386, s390x, arm64
    std::size_t word = 8;
    std::endian order = std::endian::little;
    bool vmcoreinfo = false;     // layout without markers and seqs_of_names
    bool anchors = false;        // two anchors from the table, for resolve's workspace overload
    bool zero_base = false;      // stored kallsyms_relative_base 0 (raw arm64 Image): anchors solve it
    bool old_era = false;        // pre-4.20: word-sized num_syms and markers, no seqs, 1-byte lengths
    std::size_t long_names = 0;  // names needing 2-byte lengths
    std::uint8_t seq_bytes = 3;
    std::uint32_t suffix_rule = 0;
    int zero_record = -1;        // zero this record's length byte (a corrupt table)
};

// A valid table in memory, with the header that locates it and a hand-made
// format that matches what resolve_format finds.
std::vector<std::byte> kallsyms_seed(const seed_spec& sp) {
    ksym_test::synth_options so;
    so.count = 300;
    so.percpu = sp.enc == ksym::address_encoding::absolute_percpu ? 5 : 0;
    so.start = sp.word == 8 ? 0xffffffff80000000ull : 0x80000000ull;
    so.long_names = sp.long_names;
    ksym::encoder_options eo;
    eo.encoding = sp.enc;
    eo.word_bytes = sp.word;
    eo.byte_order = sp.order;
    eo.base = sp.word == 8 ? base : (base & 0xffffffffull);
    eo.seq_bytes = sp.seq_bytes;
    if (sp.old_era) {
        eo.num_syms_word = true;
        eo.marker_bytes = static_cast<std::uint8_t>(sp.word);
        eo.seqs_of_names = false;
        eo.long_names = false;
    }
    auto t = ksym::encode_kallsyms(ksym_test::make_symbols(so), eo);
    if (!t) return {};
    ksym::kallsyms_layout L = t->layout;
    ksym::kallsyms_format F = t->format;
    if (sp.vmcoreinfo) {
        L.markers.reset();
        L.seqs_of_names.reset();
        F.marker_bytes = 0;
        F.seq_bytes = 0;
    }
    std::vector<std::byte> mem = t->blob;
    if (sp.zero_record >= 0) {
        std::size_t at = L.names - eo.base;
        for (int k = 0; k < sp.zero_record; ++k) {
            const auto b0 = static_cast<std::uint8_t>(mem[at]);
            at += b0 & 0x80 ? 2 + ((b0 & 0x7fu) | (unsigned{static_cast<std::uint8_t>(mem[at + 1])} << 7)) : 1u + b0;
        }
        mem[at] = std::byte{0};
    }
    if (sp.zero_base && L.relative_base)
        for (std::size_t k = 0; k < sp.word; ++k) mem[*L.relative_base - eo.base + k] = std::byte{0};

    std::vector<std::byte> out(header_bytes);
    auto off = [&](std::uint64_t a) { return static_cast<std::uint32_t>(a - eo.base); };
    std::uint32_t flags = sp.arch_sel << 16;
    if (L.addresses) flags |= 1;
    if (L.relative_base) flags |= 2;
    if (L.seqs_of_names) flags |= 4;
    if (!L.markers) flags |= 8;
    flags |= std::uint32_t{F.marker_bytes / 4u} << 4;
    flags |= std::uint32_t{F.seq_bytes == 0 ? 0u : F.seq_bytes == 3 ? 1u : 2u} << 6;
    flags |= static_cast<std::uint32_t>(F.encoding) << 9;
    flags |= sp.suffix_rule << 11;
    if (sp.anchors) flags |= 1u << 21;
    const std::uint32_t f[] = {off(L.num_syms),
                               off(L.names),
                               L.markers ? off(*L.markers) : 0,
                               off(L.token_table),
                               off(L.token_index),
                               off(L.addresses ? *L.addresses : *L.offsets),
                               L.relative_base ? off(*L.relative_base) : 0,
                               L.seqs_of_names ? off(*L.seqs_of_names) : 0};
    ksym_test::put(out, 0, flags, 4, std::endian::little);
    for (std::size_t i = 0; i < 8; ++i) ksym_test::put(out, 4 + 4 * i, f[i], 4, std::endian::little);
    ksym_test::put(out, 36, F.count, 4, std::endian::little);
    ksym_test::put(out, 40, base + 0x1234, 8, std::endian::little);
    ksym_test::put(out, 48, F.relative_base, 8, std::endian::little);
    if (sp.anchors) {
        // Two symbols whose names occur once, as plain strings after the table.
        std::size_t found = 0;
        for (std::size_t i = so.percpu; i < t->symbols.size() && found < 2; i += 97) {
            const auto& s = t->symbols[i];
            std::size_t same = 0;
            for (const auto& o : t->symbols) same += o.name == s.name ? 1 : 0;
            if (same != 1) continue;
            ksym_test::put(out, 56 + 4 * found, mem.size(), 4, std::endian::little);
            ksym_test::put(out, 64 + 8 * found, s.address, 8, std::endian::little);
            for (char c : s.name) mem.push_back(static_cast<std::byte>(c));
            mem.push_back(std::byte{0});
            ++found;
        }
        if (found != 2) return {};
    }
    out.insert(out.end(), mem.begin(), mem.end());
    return out;
}
}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) return 2;
    const std::string dir = argv[1];
    using E = ksym::address_encoding;
    bool ok = true;
    auto seed = [&](const char* name, const seed_spec& sp) {
        const auto bytes = kallsyms_seed(sp);
        ok &= !bytes.empty() && ksym_test::write_file(dir + "/kallsyms/" + name, bytes);
    };
    seed("base_relative_x86_64", {});
    seed("absolute_percpu_x86_64", {.enc = E::absolute_percpu, .anchors = true});
    seed("place_relative_arm64", {.enc = E::place_relative, .arch_sel = 3});
    seed("absolute_i386", {.enc = E::absolute, .arch_sel = 1, .word = 4});
    seed("base_relative_s390x", {.arch_sel = 2, .order = std::endian::big});
    // VMCOREINFO names neither markers nor seqs_of_names: derived markers, linear name search.
    seed("vmcoreinfo_place_relative_x86_64", {.enc = E::place_relative, .vmcoreinfo = true, .suffix_rule = 2});
    seed("vmcoreinfo_base_relative_x86_64", {.vmcoreinfo = true});
    // A raw arm64 Image: stored base 0, solved from two anchors.
    seed("anchored_zero_base_arm64", {.arch_sel = 3, .anchors = true, .zero_base = true});
    // Before 4.20 on a big-endian 64-bit target: word-sized num_syms and markers.
    seed("old_era_absolute_s390x", {.enc = E::absolute, .arch_sel = 2, .order = std::endian::big, .old_era = true});
    // 2-byte record lengths, 4-byte seqs_of_names (some 6.1.y), clang LTO suffix rule.
    seed("long_names_seq4_x86_64", {.long_names = 20, .seq_bytes = 4, .suffix_rule = 1});
    // Record 10's length byte 0: nothing after it in its marker block may decode.
    seed("zero_length_record_x86_64", {.zero_record = 10});

    ksym_test::synth_options so;
    so.count = 50;
    ksym::encoder_options eo;
    eo.base = base;
    auto t = ksym::encode_kallsyms(ksym_test::make_symbols(so), eo);
    if (!t) return 1;
    ok &= ksym_test::write_file(dir + "/elf/elf64le", ksym_test::elf_file(*t, true, std::endian::little, 62, true));
    ok &= ksym_test::write_file(dir + "/elf/elf32be", ksym_test::elf_file(*t, false, std::endian::big, 20, true));

    // Tables in noise for fuzz_scan, behind its mode byte (bit 0: word size
    // told, bit 1: 8 bytes; bit 2: byte order told, bit 3: big-endian).
    auto scan_seed = [&](const char* name, std::size_t count, ksym::address_encoding enc, std::size_t word,
                         std::endian order, bool legacy) {
        ksym_test::synth_options sso;
        sso.count = count;
        sso.start = word == 8 ? 0xffffffff81000000ull : 0xc1000000ull;
        ksym::encoder_options seo;
        seo.encoding = enc;
        seo.word_bytes = word;
        seo.byte_order = order;
        seo.legacy_order = legacy;
        seo.base = sso.start + 0x1000000 + 64;
        auto st = ksym::encode_kallsyms(ksym_test::make_symbols(sso), seo);
        if (!st) return false;
        std::vector<std::byte> b(1 + 64, std::byte{0x5a});
        b[0] = static_cast<std::byte>(1 | (word == 8 ? 2 : 0) | 4 | (order == std::endian::big ? 8 : 0));
        b.insert(b.end(), st->blob.begin(), st->blob.end());
        b.resize(b.size() + 32, std::byte{0xa5});
        return ksym_test::write_file(dir + "/scan/" + name, b);
    };
    using E2 = ksym::address_encoding;
    ok &= scan_seed("place_relative_7x", 300, E2::place_relative, 8, std::endian::little, false);
    ok &= scan_seed("percpu_legacy_6_1", 1100, E2::absolute_percpu, 8, std::endian::little, true);
    ok &= scan_seed("base_relative_s390x", 300, E2::base_relative, 8, std::endian::big, true);
    ok &= scan_seed("absolute_armhf_small", 40, E2::absolute, 4, std::endian::little, true);

    // BTF around struct module, one per era, behind fuzz_btf's selector byte
    // (bits 0-1: 0 little-endian, 1 big-endian, 2 by magic; bit 2: 4-byte pointers).
    auto btf_seed = [&](const char* name, const ksym_test::module_btf_spec& sp) {
        auto bytes = ksym_test::make_module_btf(sp).bytes;
        const auto sel = static_cast<std::uint8_t>((sp.order == std::endian::big ? 1 : 0) | (sp.pointer_bytes == 4 ? 4 : 0));
        bytes.insert(bytes.begin(), static_cast<std::byte>(sel));
        ok &= ksym_test::write_file(dir + "/btf/" + name, bytes);
    };
    using ME = ksym::module_layout_era;
    btf_seed("mem_array_le64", {.seed = 3});
    btf_seed("mem_array_layout_section_unknown_kind", {.layout_header = true, .unknown_kind = true, .anonymous = true, .seed = 8});
    btf_seed("core_layout_be64", {.era = ME::core_layout, .order = std::endian::big, .data_layout = true, .seed = 5});
    btf_seed("core_layout_no_typetab_le32", {.era = ME::core_layout, .pointer_bytes = 4, .typetab = false, .gpl_syms = true});
    btf_seed("module_core_be32", {.era = ME::module_core, .pointer_bytes = 4, .order = std::endian::big,
                                  .kernel_symbol = ksym::kernel_symbol_form::absolute, .seed = 9});

    // Module lists behind fuzz_modules' header (modules_input.hpp): the test
    // suite's sample modules with small areas, for each era and letters' place,
    // both byte orders and word sizes, layouts by hand and from BTF.
    auto modules_seed = [&](const char* name, unsigned arch, const ksym::module_layout& L, ksym::module_letters letters) {
        const std::size_t word = L.pointer_bytes;
        ksym_test::image_spec sp;
        sp.L = L;
        sp.order = arch == 1 || arch == 3 ? std::endian::big : std::endian::little;
        sp.letters = letters;
        sp.data_base = ksym_fuzz::modules_base(word);
        sp.mods_base = sp.data_base + ksym_test::data_bytes;
        sp.area = 0x200;
        sp.modules = ksym_test::sample_modules(L.states);
        const ksym_test::module_image img(sp);
        auto bytes = ksym_fuzz::modules_header(arch, letters, L, sp.head_offset, ksym_test::data_bytes + 0x210);
        const auto memory = img.flat();
        bytes.insert(bytes.end(), memory.begin(), memory.end());
        ok &= ksym_test::write_file(dir + "/modules/" + name, bytes);
    };
    using F = ksym::kernel_symbol_form;
    using ML = ksym::module_letters;
    modules_seed("mem_array_typetab_x86_64", 0, ksym_test::hand_layout(ME::mem_array, 8, true, false, false, F::prel32), ML::typetab);
    modules_seed("mem_array_typetab_be32", 3, ksym_test::hand_layout(ME::mem_array, 4, true, false, false, F::absolute), ML::typetab);
    modules_seed("core_layout_data_s390x", 1, ksym_test::hand_layout(ME::core_layout, 8, true, true, false, F::absolute), ML::typetab);
    modules_seed("core_layout_st_size_s390x", 1, ksym_test::hand_layout(ME::core_layout, 8, false, false, true, F::prel32), ML::st_size);
    modules_seed("core_layout_st_info_i386", 2, ksym_test::hand_layout(ME::core_layout, 4, false, false, true, F::absolute), ML::st_info);
    modules_seed("module_core_st_info_x86_64", 0, ksym_test::hand_layout(ME::module_core, 8, false, false, true, F::absolute), ML::st_info);
    // A layout read from BTF with a shuffled struct module and odd enum values.
    for (const auto& [name, arch, bs] : {std::tuple{"btf_mem_array_odd_x86_64", 0u, ksym_test::module_btf_spec{.odd_values = true, .seed = 21}},
                                         std::tuple{"btf_core_layout_be32", 3u, ksym_test::module_btf_spec{.era = ME::core_layout, .pointer_bytes = 4,
                                                                                                           .order = std::endian::big, .seed = 22}}}) {
        const auto m = ksym_test::make_module_btf(bs);
        auto L = m.expected;
        if (L.kernel_symbol.form == F::unknown) L.kernel_symbol = ksym::kernel_symbol_fields_for(F::prel32, L.pointer_bytes, true);
        modules_seed(name, arch, L, L.symbols.typetab ? ML::typetab : ML::st_info);
    }

    // Containers (fuzz_container_*), built around tiny real streams; the s390
    // target's inputs start at 0x10000, the efi and stream targets' after a
    // selector byte (odd: the file as it is; 7: no magic stamped).
    namespace C = ksym_test::containers;
    using ksym::compression;
    auto container_seed = [&](const std::string& target, const std::string& name, const C::bytes& b) {
        ok &= ksym_test::write_file(dir + "/container_" + target + "/" + name, b);
    };
    auto selected = [](std::uint8_t sel, C::bytes b) {
        b.insert(b.begin(), static_cast<std::byte>(sel));
        return b;
    };
    for (compression c : {compression::gzip, compression::xz, compression::zstd, compression::lz4}) {
        const std::string n(ksym::to_string(c));
        const C::bytes stream = C::tiny_stream(c);
        const C::bytes piggy = C::piggy(c, stream, 8);
        container_seed("x86", n, C::bzimage(piggy));
        container_seed("arm", n, C::arm_zimage(piggy));
        const C::bytes s390 = C::s390_image(piggy);
        container_seed("s390", n, C::bytes(s390.begin() + 0x10000, s390.end()));
        const char* type = c == compression::xz ? "xzkern" : c == compression::zstd ? "zstd22" : n.c_str();
        container_seed("efi", n, selected(1, C::zboot(type, stream, c == compression::gzip ? C::bytes{} : C::le32(8))));
    }
    container_seed("arm", "xz_no_table", C::arm_zimage(C::piggy(compression::xz, C::tiny_stream(compression::xz), 8), {.table = false}));
    for (compression c : {compression::gzip, compression::bzip2, compression::lzma, compression::xz, compression::lzo,
                          compression::lz4, compression::zstd})
        container_seed("stream", std::string(ksym::to_string(c)), selected(7, C::tiny_stream(c)));
    container_seed("stream", "zstd_content_size", selected(7, C::tiny_zstd_with_size()));
    return ok ? 0 : 1;
}
