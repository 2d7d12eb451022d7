#include "arena_planner.h"

#include <stdlib.h>

#include "alloc.h"


/* qsort has no context argument in C11; sort index arrays with an explicit comparator on a
 * small struct instead. */
typedef struct sort_item {
    size_t bytes;
    int32_t index;
} sort_item;

static int compare_items(const void *pa, const void *pb) {
    const sort_item *a = pa, *b = pb;
    if (a->bytes != b->bytes) return a->bytes > b->bytes ? -1 : 1;
    return a->index < b->index ? -1 : (a->index > b->index);
}

typedef struct placed {
    size_t offset;
    size_t end; /* offset + aligned size */
} placed;

static int compare_placed(const void *pa, const void *pb) {
    const placed *a = pa, *b = pb;
    return a->offset < b->offset ? -1 : (a->offset > b->offset);
}

bool lt_plan_arena(lt_arena_request *reqs, int32_t n, size_t *arena_bytes) {
    *arena_bytes = 0;
    if (n <= 0) return true;
    sort_item *items = malloc((size_t)n * sizeof *items);
    int32_t *done = malloc((size_t)n * sizeof *done);
    placed *live = malloc((size_t)n * sizeof *live);
    bool ok = items != NULL && done != NULL && live != NULL;
    for (int32_t i = 0; ok && i < n; i++) {
        size_t aligned = 0;
        if (!lt_align_size(reqs[i].bytes, &aligned)) ok = false;
        items[i].bytes = aligned;
        items[i].index = i;
    }
    if (ok) qsort(items, (size_t)n, sizeof *items, compare_items);

    size_t total = 0;
    for (int32_t k = 0; ok && k < n; k++) {
        lt_arena_request *r = &reqs[items[k].index];
        size_t size = items[k].bytes;
        /* Collect placed buffers whose lifetimes overlap this one, in offset order. */
        int32_t n_live = 0;
        for (int32_t j = 0; j < k; j++) {
            const lt_arena_request *o = &reqs[done[j]];
            if (o->first <= r->last && r->first <= o->last && o->bytes > 0) {
                size_t osize = 0;
                lt_align_size(o->bytes, &osize); /* cannot fail: checked when sorting */
                live[n_live].offset = o->offset;
                live[n_live].end = o->offset + osize;
                n_live++;
            }
        }
        qsort(live, (size_t)n_live, sizeof *live, compare_placed);
        size_t offset = 0;
        for (int32_t j = 0; j < n_live && size > 0; j++) {
            if (live[j].offset >= offset && live[j].offset - offset >= size) break;
            if (live[j].end > offset) offset = live[j].end;
        }
        r->offset = offset;
        done[k] = items[k].index;
        size_t end;
        if (!lt_add_size(offset, size, &end)) ok = false;
        else if (end > total) total = end;
    }
    free(items);
    free(done);
    free(live);
    if (ok) *arena_bytes = total;
    return ok;
}
