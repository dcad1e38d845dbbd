// libFuzzer target: ELF header, program headers, section headers and symbol
// tables of arbitrary files, through a buffer_reader addressed by offset.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "ksym/elf/elf_file.hpp"
#include "ksym/elf/relocation.hpp"
#include "ksym/image/detect.hpp"
#include "ksym/kallsyms/locate.hpp"
#include "ksym/memory/buffer_reader.hpp"
#include "ksym/memory/segment_map.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
    ksym::buffer_reader file(bytes, 0);
    (void)ksym::detect_image_format(file);
    (void)ksym::find_rela_addend(file, size, std::endian::little, 0x1000, ksym::r_aarch64_relative);
    auto h = ksym::elf::read_header(file);
    if (!h) return 0;
    ksym::segment_map<16> map;
    for (std::uint16_t i = 0; i < h->phnum && i < 64; ++i) {
        auto sg = ksym::elf::read_segment(file, *h, i);
        if (!sg) break;
        if (sg->filesz) (void)map.add(sg->vaddr, sg->filesz, file, sg->offset);
    }
    std::byte probe[16];
    for (const auto& p : map.pieces()) (void)map.read(p.start, std::span(probe));
    std::size_t n = 0;
    (void)ksym::elf::for_each_symbol(file, *h, [&](const ksym::elf::symbol&, std::string_view name) {
        if (name.size() > 64) __builtin_trap();
        return ++n < 100000;
    });
    (void)ksym::locate_in_elf_symtab(file, *h);
    return 0;
}
