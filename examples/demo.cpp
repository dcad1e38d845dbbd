// The decoder on a table that needs no kernel: ten symbols encoded at
// start-up the way scripts/kallsyms lays them out, then read back through
// the same stages a kernel image goes through. Locating is skipped (the
// encoder says where its arrays are); resolve_format works the rest out
// from the bytes, and the table is opened in place.
#include <cinttypes>
#include <cstdio>
#include <span>
#include <string_view>
#include <vector>

#include "ksym/arch/targets.hpp"
#include "ksym/kallsyms/encoder.hpp"
#include "ksym/kallsyms/resolve.hpp"
#include "ksym/kallsyms/table.hpp"
#include "ksym/memory/buffer_reader.hpp"
#include "ksym/symbols/symbol.hpp"

namespace {

using table_type = ksym::kallsyms_table<ksym::buffer_reader, ksym::arch::x86_64>;

int fail(const char* what, ksym::status s) {
    const auto code = ksym::to_string(s.code());
    std::fprintf(stderr, "demo: %s: %.*s at 0x%" PRIx64 "\n", what, int(code.size()), code.data(), s.address());
    return 2;
}

// ADDR TYPE NAME+0xOFF/0xSIZE, as `ksym lookup` prints it.
void print_match(const ksym::symbol& sym, std::uint64_t offset) {
    std::printf("%016" PRIx64 " %c %.*s+0x%" PRIx64 "/0x%" PRIx64 "\n", sym.address, sym.type,
                int(sym.name.size()), sym.name.data(), offset, sym.size);
}

}  // namespace

int main() {
    const std::vector<ksym::encoder_symbol> syms = {
        {0xffffffff81000000ull, 'T', "_stext"},          {0xffffffff81000000ull, 'T', "_text"},
        {0xffffffff81001000ull, 'T', "do_one_initcall"}, {0xffffffff81001400ull, 't', "run_init_process"},
        {0xffffffff81002000ull, 'T', "schedule"},        {0xffffffff81002600ull, 'T', "vfs_read"},
        {0xffffffff81002900ull, 'T', "vfs_write"},       {0xffffffff82000000ull, 'D', "init_task"},
        {0xffffffff82100000ull, 'B', "jiffies_64"},      {0xffffffff82200000ull, 'R', "linux_banner"},
    };
    ksym::encoder_options eo;
    eo.encoding = ksym::address_encoding::base_relative;
    eo.base = 0xffffffff82400000ull;  // where the arrays would sit in the kernel
    auto enc = ksym::encode_kallsyms(syms, eo);
    if (!enc) return fail("encoding", enc.error());

    // The "kernel memory": the encoded bytes at their virtual address.
    ksym::buffer_reader mem(enc->blob, enc->base);
    auto format = ksym::resolve_format<ksym::arch::x86_64>(mem, enc->layout);
    if (!format) return fail("resolving the format", format.error());
    static table_type table;  // about 80 KiB: opened in place, never copied
    if (auto s = table.open(mem, *format); !s) return fail("opening the table", s);

    const std::string_view enc_name = to_string(table.format().encoding);
    std::printf("# bundled synthetic table (encoded by this program, not read from a kernel): %" PRIu32
                " symbols, %.*s addresses\n",
                table.size(), int(enc_name.size()), enc_name.data());

    ksym::name_buffer name;
    auto s = table.for_each(std::span(name), [](const ksym::symbol& sym) {
        std::printf("%016" PRIx64 " %c %.*s\n", sym.address, sym.type, int(sym.name.size()), sym.name.data());
    });
    if (!s) return fail("dump", s);

    std::printf("# lookup vfs_read\n");
    auto by_name = table.find_by_name("vfs_read", std::span(name));
    if (!by_name) return fail("lookup vfs_read", by_name.error());
    print_match(*by_name, 0);

    std::printf("# lookup 0xffffffff81002123\n");
    auto by_addr = table.find_by_address(0xffffffff81002123ull, std::span(name));
    if (!by_addr) return fail("lookup 0xffffffff81002123", by_addr.error());
    print_match(by_addr->sym, by_addr->offset);

    std::printf("# %zu reader calls in all\n", table.reader_calls());
    return 0;
}
