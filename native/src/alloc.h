/* Aligned heap allocation and checked size arithmetic, shared by the model and interpreter. */
#ifndef LITERT_ALLOC_H
#define LITERT_ALLOC_H

#include <stdbool.h>
#include <stddef.h>

/* Alignment of arena buffers and copied constants: a cache line, enough for any SIMD load. */
#define LT_ALIGN 64

/* Zeroed memory aligned to LT_ALIGN; NULL on failure or when bytes is absurd. Free with
 * lt_aligned_free. */
void *lt_aligned_calloc(size_t bytes);
void lt_aligned_free(void *p);

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

#endif
