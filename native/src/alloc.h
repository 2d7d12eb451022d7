/* Heap allocation through the caller's hooks, memory of a plan, and checked size arithmetic,
 * shared by the model, the interpreter and the ops.
 *
 * Every heap allocation of the runtime goes through an lt_allocator (litert.h): the model's,
 * from lt_model_from_buffer_with_allocator, or the interpreter's, from lt_options.allocator.
 * Hooks left NULL mean the C library. This file is the only place that calls it (outside the
 * thread pool, whose threads pthreads allocates anyway), which is what lets a program count
 * or forbid the runtime's allocations, and the embedded mode prove it makes none. */
#ifndef LITERT_ALLOC_H
#define LITERT_ALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "litert/litert.h"

/* Alignment of arena buffers and copied constants: a cache line, enough for any SIMD load.
 * The public header promises the same value as LT_ARENA_ALIGNMENT. */
#define LT_ALIGN 64

/* Zeroed memory aligned to LT_ALIGN from `a` (NULL, or NULL hooks: the C library); NULL on
 * failure or when bytes is absurd. Free with lt_aligned_free and the same allocator. */
void *lt_aligned_calloc(const lt_allocator *a, size_t bytes);
void lt_aligned_free(const lt_allocator *a, void *p);

/* a * b and a + b, false on overflow. */
static inline bool lt_mul_size(size_t a, size_t b, size_t *out) {
    if (a != 0 && b > (size_t)-1 / a) return false;
    *out = a * b;
    return true;
}
static inline bool lt_add_size(size_t a, size_t b, size_t *out) {
    if (b > (size_t)-1 - a) return false;
    *out = a + b;
    return true;
}
/* Rounds up to a multiple of LT_ALIGN; false on overflow. */
static inline bool lt_align_size(size_t a, size_t *out) {
    if (a > (size_t)-1 - (LT_ALIGN - 1)) return false;
    *out = (a + LT_ALIGN - 1) & ~(size_t)(LT_ALIGN - 1);
    return true;
}
/* First LT_ALIGN-aligned address at or after p, as an offset from p. */
static inline size_t lt_align_gap(const void *p) {
    return (size_t)((LT_ALIGN - (uintptr_t)p % LT_ALIGN) % LT_ALIGN);
}

/* ---- Memory of one plan ----------------------------------------------------------------
 * Everything allocate creates (op state, packed weights, values folded at prepare, the
 * activation arena) lives until the next allocate. It comes either from the heap, one block
 * per request, or (embedded mode) from a region of the caller's memory, bump-allocated. */
typedef struct lt_plan_block {
    struct lt_plan_block *next;
} lt_plan_block;

typedef struct lt_plan_memory {
    lt_allocator heap;      /* hooks for heap blocks */
    lt_plan_block *blocks;  /* heap blocks of the current plan */
    uint8_t *region;        /* caller memory (LT_ALIGN-aligned), NULL: heap only */
    size_t region_bytes;
    /* Bytes requested under the current plan, each rounded up to LT_ALIGN: the region size
     * this plan needs. With a region, requests that no longer fit go to the heap (so prepare
     * can finish and this total is known), and `used > region_bytes` tells the region was too
     * small. */
    size_t used;
} lt_plan_memory;

/* Serves the next plan from `region` (memory LT_ALIGN-aligned, `bytes` long), or from the heap
 * when region is NULL. Call after lt_plan_memory_release. */
void lt_plan_memory_use_region(lt_plan_memory *m, void *region, size_t bytes);
/* Zeroed, LT_ALIGN-aligned memory for the current plan; NULL when out of memory or on
 * overflow. */
void *lt_plan_memory_alloc(lt_plan_memory *m, size_t bytes);
/* Frees the plan's heap blocks and starts the region over (its contents are dead). */
void lt_plan_memory_release(lt_plan_memory *m);
/* True when the plan did not fit its region (some of it went to the heap). */
static inline bool lt_plan_memory_overflowed(const lt_plan_memory *m) {
    return m->region != NULL && m->used > m->region_bytes;
}

#endif
