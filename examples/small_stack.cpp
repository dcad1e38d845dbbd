// Opening and searching a kallsyms table on an 8 KiB stack, as a boot
// loader, a BMC agent or a pre-OS crash collector must: the table lives in
// static storage (it is opened in place, never copied), and every stage
// runs on a small stack of its own. The program paints that stack, runs the
// pipeline on it, and reports how deep it went; a painted guard zone below
// the stack catches an overflow. Exit status 1 means the stack was too small.
#include <ucontext.h>

#include <array>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "ksym/arch/targets.hpp"
#include "ksym/kallsyms/encoder.hpp"
#include "ksym/kallsyms/resolve.hpp"
#include "ksym/kallsyms/table.hpp"
#include "ksym/memory/buffer_reader.hpp"

namespace {

constexpr std::size_t stack_size = 8192;
constexpr std::size_t guard_size = 65536;
constexpr unsigned char paint = 0xa5;

using table_type = ksym::kallsyms_table<ksym::buffer_reader, ksym::arch::arm64>;

table_type table;  // static: the one large object
alignas(16) unsigned char stack_area[guard_size + stack_size];
ucontext_t main_ctx, small_ctx;

const ksym::buffer_reader* memory = nullptr;
const ksym::kallsyms_layout* layout = nullptr;
const char* query_name = nullptr;
std::uint64_t query_addr = 0;
ksym::status outcome;
char report[256];

// Everything a firmware tool does, on the small stack: resolve, open,
// look up by name and by address.
void run() {
    ksym::buffer_reader mem = *memory;
    auto fmt = ksym::resolve_format<ksym::arch::arm64>(mem, *layout);
    if (!fmt) {
        outcome = fmt.error();
        return;
    }
    if (outcome = table.open(mem, *fmt); !outcome) return;
    ksym::name_buffer name;
    auto by_name = table.find_by_name(query_name, name);
    if (!by_name) {
        outcome = by_name.error();
        return;
    }
    const std::uint64_t found = by_name->address;
    auto by_addr = table.find_by_address(query_addr, name);
    if (!by_addr) {
        outcome = by_addr.error();
        return;
    }
    int n = std::snprintf(report, sizeof report, "%s at %#" PRIx64 "; %#" PRIx64 " is %.*s+%#" PRIx64, query_name,
                          found, query_addr, int(by_addr->sym.name.size()), by_addr->sym.name.data(),
                          by_addr->offset);
    std::uint32_t count = 0;
    if (outcome = table.for_each(name, [&](const ksym::symbol&) { ++count; }); !outcome) return;
    std::snprintf(report + n, sizeof report - static_cast<std::size_t>(n), "; %" PRIu32 " symbols", count);
}

}  // namespace

int main() {
    // A kernel-sized table, built on the ordinary stack before the test.
    std::vector<ksym::encoder_symbol> syms;
    std::uint64_t addr = 0xffff800080010000ull;
    for (int i = 0; i < 60000; ++i) {
        addr += 16 + static_cast<std::uint64_t>(i % 7) * 48;
        syms.push_back({addr, i % 5 ? 't' : 'T', "fw_symbol_" + std::to_string(i * 7919 % 100003)});
    }
    syms.push_back({addr + 64, 'T', "vfs_read"});
    ksym::encoder_options eo;
    eo.base = 0xffff800082000000ull;
    auto enc = ksym::encode_kallsyms(syms, eo);
    if (!enc) return 2;
    const ksym::buffer_reader mem(enc->blob, enc->base);
    memory = &mem;
    layout = &enc->layout;
    query_name = "vfs_read";
    query_addr = syms[31337].address + 5;

    std::memset(stack_area, paint, sizeof stack_area);
    getcontext(&small_ctx);
    small_ctx.uc_stack.ss_sp = stack_area + guard_size;
    small_ctx.uc_stack.ss_size = stack_size;
    small_ctx.uc_link = &main_ctx;
    makecontext(&small_ctx, run, 0);
    swapcontext(&main_ctx, &small_ctx);

    // The stack grows down: the deepest byte touched is the lowest one no
    // longer painted.
    std::size_t low = 0;
    while (low < sizeof stack_area && stack_area[low] == paint) ++low;
    const bool overflow = low < guard_size;
    const std::size_t used = guard_size + stack_size - low;
    if (!outcome) {
        std::printf("failed: %s at %#" PRIx64 "\n", ksym::to_string(outcome.code()).data(), outcome.address());
        return 2;
    }
    std::printf("%s\nstack used: %zu of %zu bytes%s\n", report, used, stack_size, overflow ? " (OVERFLOW)" : "");
    return overflow ? 1 : 0;
}
