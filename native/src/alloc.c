#include "alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The pointer malloc returned is kept just before the aligned block, so lt_aligned_free needs
 * no size and the code needs no platform-specific aligned allocator. */
void *lt_aligned_calloc(size_t bytes) {
    size_t total;
    if (!lt_add_size(bytes, LT_ALIGN + sizeof(void *), &total)) return NULL;
    /* calloc, not malloc + memset: large blocks come zeroed from the OS without being touched. */
    void *raw = calloc(total, 1);
    if (raw == NULL) return NULL;
    uintptr_t start = (uintptr_t)raw + sizeof(void *);
    uintptr_t aligned = (start + LT_ALIGN - 1) & ~(uintptr_t)(LT_ALIGN - 1);
    void *p = (void *)aligned;
    memcpy((char *)p - sizeof(void *), &raw, sizeof raw);
    return p;
}

void lt_aligned_free(void *p) {
    if (p == NULL) return;
    void *raw;
    memcpy(&raw, (char *)p - sizeof(void *), sizeof raw);
    free(raw);
}
