// A bare-metal aarch64 program that decodes the kallsyms table of a Linux
// kernel Image it was handed, as a boot loader, a BMC agent or a pre-OS
// crash collector would: no OS, no heap, no exceptions, no RTTI, a C
// library of six functions (board.cpp), and one stack of 8 KiB.
//
// QEMU's `virt` board loads it, the Image and a handoff block (handoff.hpp)
// into RAM; it finds the table by scanning the Image, and run.sh compares
// what it prints with the kernel's -dbg symbols.
// The table format is fixed at compile time (KSYM_FW_ENCODING), so no code
// for other targets or formats is built in. Built with KSYM_FW_DISPATCH=1
// it is instead the same program with the format resolved by probing and
// read at run time, and with KSYM_FW_DISPATCH=2 the target chosen at run
// time as well, as a general tool would write it: the text size difference
// is what fixing the configuration saves.
#include <array>
#include <cstddef>
#include <cstdint>
#include <new>
#include <optional>
#include <span>
#include <string_view>

#include "board.hpp"
#include "handoff.hpp"
#include "ksym/arch/targets.hpp"
#include "ksym/elf/relocation.hpp"
#include "ksym/kallsyms/constant.hpp"
#include "ksym/kallsyms/scan.hpp"
#include "ksym/kallsyms/table.hpp"
#include "ksym/memory/buffer_reader.hpp"
#if KSYM_FW_DISPATCH
#include "ksym/arch/dispatch.hpp"
#include "ksym/image/detect.hpp"
#include "ksym/kallsyms/resolve.hpp"
#endif
#include "arm64_7_slice.hpp"  // tests/constexpr: the table the pinned address is checked against

namespace {

using arch = ksym::arch::arm64;
using format = ksym::fixed_format<ksym::address_encoding::KSYM_FW_ENCODING>;
// No seek hints: they would add 32 KiB to the table to speed up name
// searches this program does a handful of.
using table_type = ksym::kallsyms_table<ksym::buffer_reader, arch, format, 0>;

// The names looked up, the same for every kernel: text symbols, which every
// kallsyms table has (Debian's arm64 6.1 is built without
// CONFIG_KALLSYMS_ALL: its table has no data symbols, and not _text).
constexpr std::string_view names[] = {
    "_stext", "start_kernel", "schedule", "vfs_read", "do_sys_openat2", "kallsyms_lookup_name",
    "panic",  "_printk",      "memcpy",   "__arm64_sys_read",           "no_such_symbol",
};

// An address known at build time, checked then against the table this
// firmware was built for (the first 512 symbols of Debian's arm64 7.2
// kernel, tests/constexpr/arm64_7_slice.hpp): a name that table lacks would
// not compile. At run time the program says whether the kernel it was handed
// agrees.
using slice = ksym_test::arm64_7_slice;
constexpr std::uint64_t pinned_stext =
    ksym::kallsyms_address_of<arch, ksym::fixed_format<ksym::address_encoding::place_relative>>(
        slice::blob, slice::base, slice::format, "_stext");

}  // namespace

extern "C" std::byte __guard_bottom[], __stack_bottom[], __stack_top[];

namespace {

constexpr std::byte paint{0xa5};

// Paints the stack from its guard up to just below the caller's frame.
[[gnu::noinline]] void paint_stack() {
    std::byte* const sp = static_cast<std::byte*>(__builtin_frame_address(0));
    for (std::byte* p = __guard_bottom; p < sp - 64; ++p) *p = paint;
}

// Bytes of the stack ever used: from its top down to the lowest byte whose
// paint is gone. Below __stack_bottom means an overflow into the guard.
std::size_t stack_used() {
    const std::byte* p = __guard_bottom;
    while (p < __stack_top && *p == paint) ++p;
    return static_cast<std::size_t>(__stack_top - p);
}

void write_symbol_line(std::uint64_t address, char type, std::string_view name) {
    board::write_hex(address);
    board::write(" ");
    board::write(std::string_view(&type, 1));
    board::write(" ");
    board::write(name);
    board::write("\n");
}

// Where the kallsyms arrays are: found in the Image by their own
// consistency (kallsyms/scan.hpp), their offsets made the kernel's
// addresses by the Image's link address. A table the scan finds in another
// format than the one this program was built for is refused here.
ksym::result<ksym::kallsyms_layout> locate_tables(std::span<const std::byte> image, std::uint64_t text) {
    ksym::scan_options options;
    options.word_bytes = sizeof(arch::word);
    options.byte_order = arch::byte_order;
    auto found = ksym::scan_kallsyms(image, options);
    if (!found) return found.error();
#if !KSYM_FW_DISPATCH
    ksym::kallsyms_format f;
    f.encoding = found->encoding;
    f.marker_bytes = found->marker_bytes;
    f.seq_bytes = found->seq_bytes;
    if (!format::accepts(f)) return ksym::status{ksym::errc::unsupported};
#endif
    ksym::kallsyms_layout l = found->layout;
    for (std::uint64_t* a : {&l.num_syms, &l.names, &l.token_table, &l.token_index}) *a += text;
    for (std::optional<std::uint64_t>* a : {&l.markers, &l.addresses, &l.offsets, &l.relative_base, &l.seqs_of_names})
        if (*a) **a += text;
    return l;
}

// The relative base as the kernel will see it: the stored word, or, where
// the raw Image stores 0 (arm64 links with --no-apply-dynamic-relocs), the
// addend of the RELATIVE relocation the boot code applies to it.
ksym::result<std::uint64_t> relative_base(ksym::buffer_reader& mem, const ksym::kallsyms_layout& l,
                                          std::span<const std::byte> image) {
    auto stored = mem.view(*l.relative_base, 8);
    if (stored.empty()) return ksym::status::fault(*l.relative_base);
    if (const std::uint64_t v = ksym::load<std::uint64_t>(stored.data(), std::endian::little); v != 0) return v;
    return ksym::find_rela_addend(image, std::endian::little, *l.relative_base, ksym::r_aarch64_relative);
}

// Prints every lookup in the open table; false on a failure it reported.
template <class Table>
bool lookups(Table& t, const firmware::handoff& h) {
    ksym::name_buffer buf;
    std::uint64_t stext = 0;
    for (const std::string_view name : names) {
        auto sym = t.find_by_name(name, buf);
        if (!sym) {
            board::write(name);
            board::write(sym.error() == ksym::errc::not_found ? ": not found\n" : ": error\n");
            if (sym.error() != ksym::errc::not_found) return false;
            continue;
        }
        if (name == "_stext") stext = sym->address;
        write_symbol_line(sym->address, sym->type, sym->name);
    }
    for (std::uint64_t k = 0; k < h.query_count && k < firmware::max_queries; ++k) {
        board::write_hex(h.queries[k]);
        auto hit = t.find_by_address(h.queries[k], buf);
        if (!hit) {
            board::write(hit.error() == ksym::errc::not_found ? ": not found\n" : ": error\n");
            if (hit.error() != ksym::errc::not_found) return false;
            continue;
        }
        board::write(" ");
        board::write(hit->sym.name);
        board::write("+0x");
        board::write_hex(hit->offset, 0);
        board::write("\n");
    }
    board::write("pinned _stext ");
    board::write_hex(pinned_stext);
    board::write(stext == pinned_stext ? ": the same in this kernel\n" : ": not this kernel's\n");
    return true;
}

#if !KSYM_FW_DISPATCH
// The table's working storage: a static buffer of sizeof(table_type) bytes,
// in .bss (a table object itself has non-zero members, and would put its
// whole size into the image as .data), never on the stack. The table is
// built in it at run time.
alignas(table_type) std::byte storage[sizeof(table_type)];
#endif

bool run(const firmware::handoff& h) {
    const std::span<const std::byte> image(reinterpret_cast<const std::byte*>(h.image), h.image_size);
    ksym::buffer_reader mem(image, h.text);
    const auto located = locate_tables(image, h.text);
    if (!located) {
        board::write(located.error() == ksym::errc::unsupported ? "not a table of this firmware's format\n"
                                                                 : "no kallsyms table found\n");
        return false;
    }
    const ksym::kallsyms_layout& layout = *located;
    std::optional<std::uint64_t> base;
    if (layout.relative_base) {
        auto b = relative_base(mem, layout, image);
        if (!b) {
            board::write("no relative base\n");
            return false;
        }
        base = *b;
    }
#if KSYM_FW_DISPATCH
    // The general tool's way: the format probed (resolve_format) and read at
    // run time (runtime_format), and with KSYM_FW_DISPATCH=2 the target
    // chosen at run time too, from the image.
    const auto open_and_look_up = [&](auto traits) {
        using Arch = decltype(traits);
        static ksym::kallsyms_table<ksym::buffer_reader, Arch> t;  // one per target: static, never on the stack
        ksym::resolve_hints hints;
        hints.relative_base = base;
        auto fmt = ksym::resolve_format<Arch>(mem, layout, hints);
        if (!fmt || !t.open(mem, *fmt)) {
            board::write("cannot open the table\n");
            return false;
        }
        return lookups(t, h);
    };
#if KSYM_FW_DISPATCH == 2
    auto kind = ksym::detect_image_format(mem);
    const bool arm64 = kind && *kind == ksym::image_format::raw_arm64;
    const ksym::arch_id id = arm64 ? ksym::arch_id::arm64 : ksym::arch_id::x86_64;
    return ksym::with_arch(id, open_and_look_up);
#else
    return open_and_look_up(arch{});
#endif
#else
    table_type& table = *::new (static_cast<void*>(storage)) table_type;
    if (!table.open(mem, layout, base)) {
        board::write("cannot open the table\n");
        return false;
    }
    return lookups(table, h);
#endif
}

}  // namespace

int main() {
    paint_stack();
    board::write("ksym firmware\n");
    const auto& h = *reinterpret_cast<const firmware::handoff*>(firmware::handoff_address);
    if (h.magic != firmware::handoff_magic) {
        board::write("no handoff block\n");
        return 1;
    }
    const bool ok = run(h);
#if !KSYM_FW_DISPATCH
    board::write("storage ");
    board::write_dec(sizeof(table_type));
    board::write(" bytes\n");
#endif
    const std::size_t used = stack_used();
    board::write("stack ");
    board::write_dec(used);
    board::write(" of ");
    board::write_dec(static_cast<std::uint64_t>(__stack_top - __stack_bottom));
    board::write(used > static_cast<std::size_t>(__stack_top - __stack_bottom) ? " bytes OVERFLOW\n" : " bytes\n");
    return ok ? 0 : 1;
}
