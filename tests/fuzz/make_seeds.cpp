// Writes the fuzz seed corpora: valid kallsyms tables in each encoding with
// the fuzz header that locates them, and synthetic ELF files.
// Usage: make_seeds DIR   (writes DIR/kallsyms/* and DIR/elf/*)
#include <cstdio>
#include <string>
#include <vector>

#include "../image_builder.hpp"
#include "../synthetic.hpp"

namespace {
constexpr std::uint64_t base = 0xffffffff81000000ull;

std::vector<std::byte> kallsyms_seed(ksym::address_encoding enc, std::uint32_t arch_sel, std::size_t word,
                                     std::endian order) {
    ksym_test::synth_options so;
    so.count = 300;
    so.percpu = enc == ksym::address_encoding::absolute_percpu ? 5 : 0;
    so.start = word == 8 ? 0xffffffff80000000ull : 0x80000000ull;
    ksym::encoder_options eo;
    eo.encoding = enc;
    eo.word_bytes = word;
    eo.byte_order = order;
    eo.base = word == 8 ? base : (base & 0xffffffffull);
    auto t = ksym::encode_kallsyms(ksym_test::make_symbols(so), eo);
    if (!t) return {};
    std::vector<std::byte> out(40);
    std::uint32_t flags = arch_sel << 16;
    const auto& L = t->layout;
    auto off = [&](std::uint64_t a) { return static_cast<std::uint32_t>(a - eo.base); };
    if (L.addresses) flags |= 1;
    if (L.relative_base) flags |= 2;
    if (L.seqs_of_names) flags |= 4;
    ksym_test::put(out, 0, flags, 4, std::endian::little);
    const std::uint32_t f[] = {off(L.num_syms), off(L.names), off(L.markers), off(L.token_table), off(L.token_index),
                               off(L.addresses ? *L.addresses : *L.offsets),
                               L.relative_base ? off(*L.relative_base) : 0,
                               L.seqs_of_names ? off(*L.seqs_of_names) : 0};
    for (std::size_t i = 0; i < 7; ++i) ksym_test::put(out, 4 + 4 * i, f[i], 4, std::endian::little);
    ksym_test::put(out, 32, base + 0x1234, 8, std::endian::little);
    out.insert(out.end(), t->blob.begin(), t->blob.end());
    return out;
}
}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) return 2;
    const std::string dir = argv[1];
    using E = ksym::address_encoding;
    bool ok = true;
    ok &= ksym_test::write_file(dir + "/kallsyms/base_relative_x86_64", kallsyms_seed(E::base_relative, 0, 8, std::endian::little));
    ok &= ksym_test::write_file(dir + "/kallsyms/absolute_percpu_x86_64", kallsyms_seed(E::absolute_percpu, 0, 8, std::endian::little));
    ok &= ksym_test::write_file(dir + "/kallsyms/place_relative_arm64", kallsyms_seed(E::place_relative, 3, 8, std::endian::little));
    ok &= ksym_test::write_file(dir + "/kallsyms/absolute_i386", kallsyms_seed(E::absolute, 1, 4, std::endian::little));
    ok &= ksym_test::write_file(dir + "/kallsyms/base_relative_s390x", kallsyms_seed(E::base_relative, 2, 8, std::endian::big));

    ksym_test::synth_options so;
    so.count = 50;
    ksym::encoder_options eo;
    eo.base = base;
    auto t = ksym::encode_kallsyms(ksym_test::make_symbols(so), eo);
    if (!t) return 1;
    ok &= ksym_test::write_file(dir + "/elf/elf64le", ksym_test::elf_file(*t, true, std::endian::little, 62, true));
    ok &= ksym_test::write_file(dir + "/elf/elf32be", ksym_test::elf_file(*t, false, std::endian::big, 20, true));
    return ok ? 0 : 1;
}
