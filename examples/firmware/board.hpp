#pragma once
// What the bare-metal example needs from its board (QEMU `virt`): a UART,
// a way to power off, and the MMU on. Nothing here knows about ksym.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace board {

/// Writes `s` to the PL011 UART at 0x09000000, byte for byte (no "\r"
/// added: the test compares the output with a file).
void write(std::string_view s);
/// `v` as `digits` lower-case hex digits (16: as nm prints addresses), or
/// as few as it needs when `digits` is 0.
void write_hex(std::uint64_t v, int digits = 16);
void write_dec(std::uint64_t v);

/// PSCI SYSTEM_OFF through hvc: QEMU's `virt` board implements PSCI
/// itself when no EL2/EL3 firmware runs, and exits.
[[noreturn]] void power_off();

/// Cycles of the generic timer (CNTVCT_EL0) and its frequency, for timing.
std::uint64_t ticks();
std::uint64_t tick_frequency();

}  // namespace board
