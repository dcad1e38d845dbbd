// QEMU `virt` board support for the bare-metal example: PL011 output, PSCI
// power-off, an identity-mapped MMU, and the C library functions the
// compiler and ksym call (memcpy, memmove, memset, memcmp, memchr, strlen,
// abort). Built with -fno-tree-loop-distribute-patterns, or the compiler
// would turn these loops into calls to themselves.
#include "board.hpp"

#include <cstddef>
#include <cstdint>

namespace {

constexpr std::uintptr_t uart_base = 0x09000000;  // PL011 on `virt`
constexpr std::uint32_t uart_fr_txff = 1u << 5;   // transmit FIFO full

volatile std::uint32_t& uart_reg(std::uintptr_t off) {
    return *reinterpret_cast<volatile std::uint32_t*>(uart_base + off);
}

void put(char c) {
    while (uart_reg(0x18) & uart_fr_txff) {
    }
    uart_reg(0x00) = static_cast<unsigned char>(c);
}

}  // namespace

namespace board {

void write(std::string_view s) {
    for (char c : s) put(c);
}

void write_hex(std::uint64_t v, int digits) {
    static constexpr char hex[] = "0123456789abcdef";
    if (digits == 0)
        for (digits = 1; digits < 16 && (v >> (4 * digits)) != 0; ++digits) {
        }
    for (int i = digits - 1; i >= 0; --i) put(hex[(v >> (4 * i)) & 15]);
}

void write_dec(std::uint64_t v) {
    char buf[20];
    int n = 0;
    do {
        buf[n++] = static_cast<char>('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (n > 0) put(buf[--n]);
}

void power_off() {
    register std::uint64_t x0 asm("x0") = 0x84000008;  // PSCI SYSTEM_OFF
    asm volatile("hvc #0" : "+r"(x0)::"memory");
    for (;;) asm volatile("wfi");
}

std::uint64_t ticks() {
    std::uint64_t v;
    asm volatile("isb; mrs %0, cntvct_el0" : "=r"(v));
    return v;
}

std::uint64_t tick_frequency() {
    std::uint64_t v;
    asm volatile("mrs %0, cntfrq_el0" : "=r"(v));
    return v;
}

}  // namespace board

extern "C" {

extern std::uint64_t __pagetable[];

// Identity map of the first 4 GiB in 1 GiB blocks: device memory below RAM
// (the UART), normal write-back memory from 1 GiB (RAM). With the MMU off
// every access is Device memory, where an unaligned load faults and nothing
// is cached; ksym loads unaligned fields.
void board_init() {
    constexpr std::uint64_t block = 1, af = 1ull << 10, inner_shareable = 3ull << 8;
    constexpr std::uint64_t attr_device = 0ull << 2, attr_normal = 1ull << 2, never_execute = 3ull << 53;
    __pagetable[0] = 0x00000000ull | block | af | attr_device | never_execute;
    __pagetable[1] = 0x40000000ull | block | af | attr_normal | inner_shareable;
    __pagetable[2] = 0x80000000ull | block | af | attr_device | never_execute;
    __pagetable[3] = 0xc0000000ull | block | af | attr_device | never_execute;
    // MAIR: attribute 0 Device-nGnRnE, 1 Normal write-back read/write-allocate.
    const std::uint64_t mair = 0x00ull | (0xffull << 8);
    // TCR: 32-bit VA (T0SZ 32: the walk starts at level 1), 4 KiB granule,
    // write-back inner shareable walks, no TTBR1 walks (EPD1), 32-bit PA.
    const std::uint64_t tcr = 32ull | (1ull << 8) | (1ull << 10) | (3ull << 12) | (1ull << 23);
    std::uint64_t sctlr;
    asm volatile(
        "msr mair_el1, %1\n"
        "msr tcr_el1, %2\n"
        "msr ttbr0_el1, %3\n"
        "dsb ish\n"
        "isb\n"
        "tlbi vmalle1\n"
        "dsb ish\n"
        "isb\n"
        "mrs %0, sctlr_el1\n"
        : "=&r"(sctlr)
        : "r"(mair), "r"(tcr), "r"(__pagetable)
        : "memory");
    sctlr |= (1ull << 0) | (1ull << 2) | (1ull << 12);  // M, C, I
    sctlr &= ~(1ull << 1);                              // A: unaligned access allowed
    asm volatile("msr sctlr_el1, %0\nisb" ::"r"(sctlr) : "memory");
}

[[noreturn]] void report_exception(std::uint64_t vector, std::uint64_t esr, std::uint64_t elr, std::uint64_t far) {
    board::write("\nexception ");
    board::write_dec(vector);
    board::write(" esr ");
    board::write_hex(esr);
    board::write(" elr ");
    board::write_hex(elr);
    board::write(" far ");
    board::write_hex(far);
    board::write("\n");
    board::power_off();
}

// Where main() returns to.
[[noreturn]] void board_exit(int /*status*/) { board::power_off(); }

// ksym's result<T> aborts on a contract violation (the value of an error).
[[noreturn]] void abort() {
    board::write("\nabort\n");
    board::power_off();
}

// A word that may alias anything: memcpy copies objects of every type.
typedef std::uint64_t __attribute__((may_alias)) word_alias;

void* memcpy(void* dst, const void* src, std::size_t n) {
    auto* d = static_cast<unsigned char*>(dst);
    const auto* s = static_cast<const unsigned char*>(src);
    // Word copies when both are aligned alike: ksym copies kilobytes at a time.
    if (((reinterpret_cast<std::uintptr_t>(d) ^ reinterpret_cast<std::uintptr_t>(s)) & 7) == 0) {
        while (n > 0 && (reinterpret_cast<std::uintptr_t>(d) & 7) != 0) {
            *d++ = *s++;
            --n;
        }
        for (; n >= 8; n -= 8, d += 8, s += 8)
            *reinterpret_cast<word_alias*>(d) = *reinterpret_cast<const word_alias*>(s);
    }
    while (n > 0) {
        *d++ = *s++;
        --n;
    }
    return dst;
}

void* memmove(void* dst, const void* src, std::size_t n) {
    auto* d = static_cast<unsigned char*>(dst);
    const auto* s = static_cast<const unsigned char*>(src);
    if (d == s || n == 0) return dst;
    if (d < s || d >= s + n) return memcpy(dst, src, n);
    while (n > 0) {
        --n;
        d[n] = s[n];
    }
    return dst;
}

void* memset(void* dst, int c, std::size_t n) {
    auto* d = static_cast<unsigned char*>(dst);
    while (n > 0) {
        *d++ = static_cast<unsigned char>(c);
        --n;
    }
    return dst;
}

int memcmp(const void* a, const void* b, std::size_t n) {
    const auto* x = static_cast<const unsigned char*>(a);
    const auto* y = static_cast<const unsigned char*>(b);
    for (std::size_t i = 0; i < n; ++i)
        if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
    return 0;
}

void* memchr(const void* p, int c, std::size_t n) {
    const auto* s = static_cast<const unsigned char*>(p);
    for (std::size_t i = 0; i < n; ++i)
        if (s[i] == static_cast<unsigned char>(c)) return const_cast<unsigned char*>(s + i);
    return nullptr;
}

std::size_t strlen(const char* s) {
    std::size_t n = 0;
    while (s[n] != '\0') ++n;
    return n;
}

}  // extern "C"
