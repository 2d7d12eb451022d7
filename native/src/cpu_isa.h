/* Instruction-set levels the kernels are built for, and which of them this CPU runs.
 *
 * One build carries every level's kernels (the x86 ones in kernels/x86/, each file compiled
 * with its own -m flags); each op picks its kernel at prepare from the interpreter's level,
 * which is the best level the CPU supports, capped by lt_options.isa and by the LITERT_ISA
 * environment variable (to test the lower levels, and the portable C kernels, on a machine
 * that has more). Code for a level runs only after the CPU was checked for it. */
#ifndef LITERT_CPU_ISA_H
#define LITERT_CPU_ISA_H

#include <stdbool.h>

#include "litert/litert.h"

/* The best level this CPU and build support (LT_ISA_PORTABLE when no SIMD level was built).
 * Pure: asks the CPU each time, keeps nothing. */
int lt_cpu_best_isa(void);

/* `level` limited by `cap` (both real levels): the lower of the two on one architecture's
 * ladder, portable when the cap belongs to another architecture. */
int lt_isa_cap(int level, int cap);

/* Parses a level name ("portable", "avx2", "avx512", "avx512vnni", "neon", "neondot");
 * false if unknown. */
bool lt_isa_parse(const char *name, int *isa);

#endif
