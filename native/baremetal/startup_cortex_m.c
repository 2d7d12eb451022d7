/* Minimal C runtime start for the bare-metal example (Cortex-M, memory map in cortex_m.ld):
 * the vector table, a reset handler that prepares RAM and the FPU and calls main, and the
 * _sbrk that newlib's malloc grows its heap with. A board's own startup code (CMSIS, vendor
 * HAL) replaces this file in real firmware. Not part of the runtime library. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Defined by cortex_m.ld. */
extern uint32_t __data_load[], __data_start[], __data_end[], __bss_start[], __bss_end[];
extern char __heap_start[], __heap_end[], __stack_top[];

int main(void);
void Reset_Handler(void);
void Default_Handler(void);

/* main's return value, for a debugger: the example has no console. */
volatile int litert_exit_code = -1;

void Reset_Handler(void) {
    memcpy(__data_start, __data_load, (size_t)((char *)__data_end - (char *)__data_start));
    memset(__bss_start, 0, (size_t)((char *)__bss_end - (char *)__bss_start));
#if defined(__ARM_FP)
    /* Full access to coprocessors 10 and 11 (the FPU) in CPACR, before any float code:
     * the hard-float ABI uses FPU registers from the first float operation on. */
    *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
    litert_exit_code = main();
    for (;;) __asm__ volatile("wfi");
}

void Default_Handler(void) {
    for (;;) __asm__ volatile("bkpt #0");
}

/* The first 16 entries of the vector table: initial stack pointer, then the exception
 * handlers (reset, NMI, hard fault, memory management, bus, usage fault, 4 reserved,
 * SVCall, debug monitor, reserved, PendSV, SysTick). Interrupts of a real part follow. */
__attribute__((section(".isr_vector"), used))
const uintptr_t litert_vector_table[16] = {
    (uintptr_t)__stack_top,      (uintptr_t)Reset_Handler,   (uintptr_t)Default_Handler,
    (uintptr_t)Default_Handler,  (uintptr_t)Default_Handler, (uintptr_t)Default_Handler,
    (uintptr_t)Default_Handler,  0, 0, 0, 0,                  (uintptr_t)Default_Handler,
    (uintptr_t)Default_Handler,  0,                          (uintptr_t)Default_Handler,
    (uintptr_t)Default_Handler};

/* newlib's malloc asks for memory here: the heap runs from the end of .bss up to the stack
 * reserve, and running out is an ordinary allocation failure (the runtime reports it). */
void *_sbrk(ptrdiff_t increment);
void *_sbrk(ptrdiff_t increment) {
    static char *brk = __heap_start;
    if (increment > __heap_end - brk || increment < __heap_start - brk) {
        errno = ENOMEM;
        return (void *)-1;
    }
    char *previous = brk;
    brk += increment;
    return previous;
}
