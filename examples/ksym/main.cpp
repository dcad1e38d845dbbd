// ksym: a kernel's symbols, from the running kernel, an image file or a dump.
//
//   ksym lookup [--kallsyms FILE] QUERY...       the running kernel (or a saved
//   ksym dump [--kallsyms FILE]                  /proc/kallsyms): NAME, module:NAME,
//   ksym info [--kallsyms FILE]                  NAME+0xOFF or 0xADDR
//   ksym dump IMAGE --system-map MAP            the whole table, /proc/kallsyms format
//   ksym lookup IMAGE --system-map MAP SYMBOL   ADDR TYPE NAME+0xOFF/0xSIZE
//   ksym lookup IMAGE --system-map MAP 0xADDR
//   ksym info IMAGE --system-map MAP            what was found and how it is encoded
//   ksym modules VMCORE                         the loaded modules: name size state address symbols
//   ksym elf IMAGE [--system-map MAP] -o OUT    an ELF file of the image's memory and kallsyms symbols
//   ksym translate VMCORE 0xVADDR               physical address, level, page size
//   ksym read VMCORE 0xVADDR LEN                kernel memory as a hex dump
//   ksym unpack VMLINUZ -o OUT                  the kernel inside a vmlinuz (bzImage, zboot,
//                                               zImage, s390, Image.gz, ...), decompressed
//   ksym nm-type LETTER | ksym st-info BYTE     the translator
//
// IMAGE is an ELF vmlinux (stripped is fine) or a raw arm64/riscv Image. In
// place of IMAGE --system-map MAP, dump, lookup and info take an ELF crash
// dump (kdump, QEMU dump-guest-memory) of an x86-64 or arm64 kernel: its VMCOREINFO
// says where the table is, and memory is read through its page tables. Bad
// input prints one line naming the file and the problem and exits 2; a
// lookup that finds nothing exits 1. One file per command.
#include <string_view>
#include <vector>

#include "cli.hpp"
#include "unpack.hpp"

int main(int argc, char** argv) {
    using namespace ksym_cli;
    if (argc < 2) return usage();
    const std::string_view cmd = argv[1];
    if (cmd == "nm-type" || cmd == "st-info") {
        if (argc != 3) return usage();
        return cmd == "nm-type" ? nm_type(argv[2]) : st_info(argv[2]);
    }
    // The running kernel (or a saved /proc/kallsyms) unless the first
    // argument names a file: an image with --system-map, or a crash dump.
    if (cmd == "dump" || cmd == "lookup" || cmd == "info") {
        const char* listing = nullptr;
        bool map = false;
        std::vector<const char*> pos;
        for (int i = 2; i < argc; ++i) {
            if (std::string_view(argv[i]) == "--kallsyms" && i + 1 < argc) listing = argv[++i];
            else if (std::string_view(argv[i]) == "--system-map") map = true, ++i;
            else pos.push_back(argv[i]);
        }
        const bool file = !pos.empty() && ksym::file_reader::open(pos[0]).has_value();
        if (listing || (!map && !file)) {
            if (!listing) listing = "/proc/kallsyms";
            if (cmd == "lookup" && !pos.empty()) return live_lookup(listing, pos);
            if (cmd == "dump" && pos.empty()) return live_dump(listing);
            if (cmd == "info" && pos.empty()) return live_info(listing);
            return usage();
        }
    }
    image_args a;
    if (cmd == "dump" && parse_image_args(argc, argv, 0, a)) return dump(a);
    if (cmd == "lookup" && parse_image_args(argc, argv, 1, a)) return lookup(a);
    if (cmd == "info" && parse_image_args(argc, argv, 0, a)) return info(a);
    if (cmd == "translate" && parse_image_args(argc, argv, 1, a)) return translate(a);
    if (cmd == "modules" && parse_image_args(argc, argv, 0, a)) return modules(a);
    if (cmd == "unpack") {
        if (argc == 5 && std::string_view(argv[3]) == "-o") return unpack(argv[2], argv[4]);
        if (argc == 5 && std::string_view(argv[2]) == "-o") return unpack(argv[4], argv[3]);
        return usage();
    }
    if (cmd == "elf") {
        const char* out = nullptr;
        std::vector<char*> rest{argv[0], argv[1]};
        for (int i = 2; i < argc; ++i) {
            if (std::string_view(argv[i]) == "-o" && i + 1 < argc) out = argv[++i];
            else rest.push_back(argv[i]);
        }
        if (out && parse_image_args(static_cast<int>(rest.size()), rest.data(), 0, a)) return elf(a, out);
        return usage();
    }
    if (cmd == "read" && argc == 5) {
        a.image = argv[2];
        a.query = argv[3];
        return read(a, argv[4]);
    }
    return usage();
}
