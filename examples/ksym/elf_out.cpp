// ksym elf IMAGE [--system-map MAP] -o OUT: an ELF file holding the kernel's
// memory at its virtual addresses and every kallsyms symbol in a .symtab, for
// gdb, objdump, nm and Ghidra. Needs only an opened kernel_image: its target,
// its memory, its table, and where its memory lies (program headers of an ELF
// vmlinux, load address and size of a raw Image).
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <span>
#include <vector>

#include "cli.hpp"
#include "ksym/arch/dispatch.hpp"
#include "ksym/elf/writer.hpp"
#include "ksym/pipeline/kernel_image.hpp"
#include "ksym/symbols/nm_type.hpp"

namespace ksym_cli {

namespace {

// Writes through stdio and remembers a failure, so the message can blame the
// output rather than the image.
struct file_sink {
    std::FILE* f = nullptr;
    int error = 0;
    ksym::status write(std::span<const std::byte> b) {
        if (std::fwrite(b.data(), 1, b.size(), f) == b.size()) return {};
        error = errno != 0 ? errno : EIO;
        return {ksym::errc::io_error, static_cast<std::uint64_t>(error)};
    }
};

// The output's target and loads, from the image: an ELF vmlinux keeps its
// own header fields and PT_LOAD segments; a raw image is one load from its
// load address, file-backed for the file's length and as long as the
// header's image_size says (bss follows the file). Without image_size (a
// headerless image) elf() stretches it to the last symbol.
int describe(const ksym::kernel_image& img, const char* path, ksym::elf::header& target,
             std::vector<ksym::elf::segment>& loads) {
    if (img.format() == ksym::image_format::elf) {
        const ksym::elf_image& e = img.elf();
        target = e.header();
        for (std::uint16_t i = 0; i < target.phnum; ++i) {
            auto sg = ksym::elf::read_segment(e.file(), target, i);
            if (!sg) return fail(path, "unreadable program header", sg.error());
            if (sg->type == ksym::elf::pt_load && sg->memsz != 0) loads.push_back(*sg);
        }
        if (loads.empty()) return fail(path, "no loadable segment with memory");
        std::sort(loads.begin(), loads.end(), [](const auto& x, const auto& y) { return x.vaddr < y.vaddr; });
        return 0;
    }
    const ksym::raw_image& r = img.raw();
    ksym::with_arch(img.arch(), [&](auto traits) {
        using T = decltype(traits);
        target.is64 = T::pointer_bytes == 8;
        target.order = T::byte_order;
        target.machine = T::elf_machine;
    });
    target.entry = r.load_address();
    // arch/riscv/Makefile builds the kernel with compressed instructions and
    // the soft-float lp64 ABI: EF_RISCV_RVC, which disassemblers need to
    // decode 16-bit instructions.
    if (img.format() == ksym::image_format::raw_riscv64) target.flags = 0x1;
    ksym::elf::segment l;
    l.type = ksym::elf::pt_load;
    l.flags = ksym::elf::pf_r | ksym::elf::pf_w | ksym::elf::pf_x;
    l.vaddr = r.load_address();
    l.filesz = r.file().size();
    l.memsz = std::max(l.filesz, r.image_size());
    l.align = 0x10000;  // the Image is placed on a 64 KiB boundary at most
    loads.push_back(l);
    return 0;
}

}  // namespace

int elf(const image_args& a, const char* out_path) {
    if (is_dump_file(a.image)) return fail(a.image, "ksym elf takes a kernel image, not a crash dump");
    kernel_source src;
    if (const int rc = open_source(a, src)) return rc;
    const ksym::kernel_image& img = *src.image;
    ksym::elf::header target;
    std::vector<ksym::elf::segment> loads;
    if (const int rc = describe(img, a.image, target, loads)) return rc;

    file_sink sink{std::fopen(out_path, "wb")};
    if (sink.f == nullptr) return fail(out_path, std::strerror(errno));
    std::setvbuf(sink.f, nullptr, _IOFBF, 1 << 20);
    std::vector<ksym::elf::planned_section> sections(1024);
    ksym::reader_ref memory = img.reader();
    ksym::status s = src.image->with_table([&](auto& table) -> ksym::status {
        ksym::name_buffer name;
        ksym::elf::segment& l = loads.front();
        if (img.format() != ksym::image_format::elf && l.memsz == l.filesz) {
            // The kernel's memory runs on past the file at least to its last
            // symbol (_end, after bss): else bss symbols would lie outside.
            std::uint64_t last = 0;
            const ksym::status p = table.for_each(name, [&](const ksym::symbol& sym) {
                if (ksym::from_nm_type(sym.type).section != ksym::section_class::absolute)
                    last = std::max(last, sym.address);
            });
            if (!p) return p;
            if (last >= l.vaddr && last - l.vaddr > l.memsz) l.memsz = last - l.vaddr;
        }
        auto symbols = [&](auto&& visit) { return table.for_each(name, visit); };
        return ksym::elf::write_image(target, loads, memory, symbols, sink, std::span(sections));
    });
    if (std::fclose(sink.f) != 0 && s.ok()) {
        sink.error = errno;
        s = {ksym::errc::io_error, static_cast<std::uint64_t>(errno)};
    }
    if (s) return 0;
    std::remove(out_path);
    if (sink.error != 0) return fail(out_path, std::strerror(sink.error));
    return fail(a.image, "cannot write its ELF file", s);
}

}  // namespace ksym_cli
