// ksym: decode a kernel's built-in kallsyms table from an image file.
//
//   ksym dump IMAGE --system-map MAP            the whole table, /proc/kallsyms format
//   ksym lookup IMAGE --system-map MAP SYMBOL   ADDR TYPE NAME+0xOFF/0xSIZE
//   ksym lookup IMAGE --system-map MAP 0xADDR
//   ksym info IMAGE --system-map MAP            what was found and how it is encoded
//   ksym translate VMCORE 0xVADDR               physical address, level, page size
//   ksym read VMCORE 0xVADDR LEN                kernel memory as a hex dump
//   ksym nm-type LETTER | ksym st-info BYTE     the translator
//
// IMAGE is an ELF vmlinux (stripped is fine) or a raw arm64/riscv Image. In
// place of IMAGE --system-map MAP, dump, lookup and info take an ELF crash
// dump (kdump, QEMU dump-guest-memory) of an x86-64 or arm64 kernel: its VMCOREINFO
// says where the table is, and memory is read through its page tables. Bad
// input prints one line naming the file and the problem and exits 2; a
// lookup that finds nothing exits 1. One file per command.
#include <string_view>

#include "cli.hpp"

int main(int argc, char** argv) {
    using namespace ksym_cli;
    if (argc < 2) return usage();
    const std::string_view cmd = argv[1];
    if (cmd == "nm-type" || cmd == "st-info") {
        if (argc != 3) return usage();
        return cmd == "nm-type" ? nm_type(argv[2]) : st_info(argv[2]);
    }
    image_args a;
    if (cmd == "dump" && parse_image_args(argc, argv, 0, a)) return dump(a);
    if (cmd == "lookup" && parse_image_args(argc, argv, 1, a)) return lookup(a);
    if (cmd == "info" && parse_image_args(argc, argv, 0, a)) return info(a);
    if (cmd == "translate" && parse_image_args(argc, argv, 1, a)) return translate(a);
    if (cmd == "read" && argc == 5) {
        a.image = argv[2];
        a.query = argv[3];
        return read(a, argv[4]);
    }
    return usage();
}
