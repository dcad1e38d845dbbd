// Start-up for the bare-metal example on QEMU's `virt` board (aarch64, EL1).
// QEMU enters at _start with the MMU and caches off. Before any C++ runs:
// one stack of exactly KSYM_FW_STACK bytes (the budget under test), FP/SIMD
// on (the compiler moves 16-byte blocks through q registers), the exception
// vectors (a fault prints and powers off instead of hanging), .bss zeroed.
// The MMU is turned on from C++ (board.cpp) before main().

    .section .text.start, "ax"
    .global _start
_start:
    ldr     x0, =__stack_top
    mov     sp, x0
    // CPACR_EL1.FPEN = 0b11: FP/SIMD does not trap at EL1 or EL0.
    mov     x0, #(3 << 20)
    msr     cpacr_el1, x0
    ldr     x0, =vectors
    msr     vbar_el1, x0
    isb
    ldr     x0, =__bss_start
    ldr     x1, =__bss_end
1:  cmp     x0, x1
    b.hs    2f
    str     xzr, [x0], #8
    b       1b
2:  bl      board_init
    bl      main
    bl      board_exit         // main's status in w0; does not return
3:  wfi
    b       3b

// Every vector enters the same handler with its number: a bare-metal
// program has no use for exceptions, so any one is a bug to report.
    .macro vector n
    .balign 0x80
    mov     x0, #\n
    b       exception_entry
    .endm

    .section .text.vectors, "ax"
    .balign 0x800
vectors:
    .irp n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
    vector \n
    .endr

exception_entry:
    // The stack may be what failed: report from a small stack of our own.
    ldr     x1, =__fault_stack_top
    mov     sp, x1
    mrs     x1, esr_el1
    mrs     x2, elr_el1
    mrs     x3, far_el1
    bl      report_exception   // does not return
4:  wfi
    b       4b
