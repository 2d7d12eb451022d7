#include "alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The allocator's hooks, or the C library's. Hooks come in pairs: a malloc hook without a
 * free hook (or the reverse) is treated as none, so memory is never freed by the wrong one;
 * lt_options / lt_model_from_buffer_with_allocator callers are told so in litert.h. */
static bool has_hooks(const lt_allocator *a) {
    return a != NULL && a->malloc_fn != NULL && a->free_fn != NULL;
}

/* The pointer the allocator returned is kept just before the aligned block, so
 * lt_aligned_free needs no size and the code needs no platform-specific aligned allocator. */
void *lt_aligned_calloc(const lt_allocator *a, size_t bytes) {
    size_t total;
    if (!lt_add_size(bytes, LT_ALIGN + sizeof(void *), &total)) return NULL;
    void *raw;
    if (has_hooks(a)) {
        raw = a->malloc_fn(a->user, total);
        if (raw != NULL) memset(raw, 0, total);
    } else {
        /* calloc, not malloc + memset: large blocks come zeroed from the OS untouched. */
        raw = calloc(total, 1);
    }
    if (raw == NULL) return NULL;
    uintptr_t start = (uintptr_t)raw + sizeof(void *);
    uintptr_t aligned = (start + LT_ALIGN - 1) & ~(uintptr_t)(LT_ALIGN - 1);
    void *p = (void *)aligned;
    memcpy((char *)p - sizeof(void *), &raw, sizeof raw);
    return p;
}

void lt_aligned_free(const lt_allocator *a, void *p) {
    if (p == NULL) return;
    void *raw;
    memcpy(&raw, (char *)p - sizeof(void *), sizeof raw);
    if (has_hooks(a)) a->free_fn(a->user, raw);
    else free(raw);
}

void lt_plan_memory_use_region(lt_plan_memory *m, void *region, size_t bytes) {
    m->region = region;
    m->region_bytes = region != NULL ? bytes : 0;
    m->used = 0;
}

void *lt_plan_memory_alloc(lt_plan_memory *m, size_t bytes) {
    size_t size, end;
    if (!lt_align_size(bytes, &size) || !lt_add_size(m->used, size, &end)) return NULL;
    if (m->region != NULL && end <= m->region_bytes) {
        uint8_t *p = m->region + m->used;
        m->used = end;
        memset(p, 0, size);
        return p;
    }
    /* Heap block: a header (the list link) in the first LT_ALIGN bytes, then the data.
     * Counted as used even when the heap fails, so that a region too small shows as such. */
    m->used = end;
    size_t total;
    uint8_t *p = NULL;
    if (lt_add_size(bytes, LT_ALIGN, &total)) p = lt_aligned_calloc(&m->heap, total);
    if (p == NULL) return NULL;
    lt_plan_block *b = (lt_plan_block *)p;
    b->next = m->blocks;
    m->blocks = b;
    return p + LT_ALIGN;
}

void lt_plan_memory_release(lt_plan_memory *m) {
    lt_plan_block *b = m->blocks;
    while (b != NULL) {
        lt_plan_block *next = b->next;
        lt_aligned_free(&m->heap, b);
        b = next;
    }
    m->blocks = NULL;
    m->used = 0;
}
