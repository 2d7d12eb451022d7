#include "arena_planner.h"

#include "alloc.h"

typedef struct sort_item {
    size_t bytes;
    int32_t index;
} sort_item;

typedef struct placed {
    size_t offset;
    size_t end; /* offset + aligned size */
} placed;

/* Largest first; ties by request index, so the plan does not depend on the sort. */
static bool item_before(const sort_item *a, const sort_item *b) {
    if (a->bytes != b->bytes) return a->bytes > b->bytes;
    return a->index < b->index;
}

/* Heap sorts, in place and without allocation: O(n log n) for the many-tensor models where
 * an insertion sort would be quadratic, and no dependence on the C library's qsort, which may
 * allocate (glibc's does for large arrays) and so would break the embedded mode's promise. */
static void sift_items(sort_item *a, int32_t root, int32_t n) {
    for (;;) {
        int32_t child = 2 * root + 1;
        if (child >= n) return;
        if (child + 1 < n && item_before(&a[child], &a[child + 1])) child++;
        if (!item_before(&a[root], &a[child])) return;
        sort_item t = a[root];
        a[root] = a[child];
        a[child] = t;
        root = child;
    }
}

/* Sorts so that item_before(a[i], a[i + 1]) holds: a max-heap under "comes after". */
static void sort_items(sort_item *a, int32_t n) {
    for (int32_t i = n / 2 - 1; i >= 0; i--) sift_items(a, i, n);
    for (int32_t end = n - 1; end > 0; end--) {
        sort_item t = a[0];
        a[0] = a[end];
        a[end] = t;
        sift_items(a, 0, end);
    }
}

static void sift_placed(placed *a, int32_t root, int32_t n) {
    for (;;) {
        int32_t child = 2 * root + 1;
        if (child >= n) return;
        if (child + 1 < n && a[child].offset < a[child + 1].offset) child++;
        if (a[root].offset >= a[child].offset) return;
        placed t = a[root];
        a[root] = a[child];
        a[child] = t;
        root = child;
    }
}

/* Ascending offsets. Equal offsets (buffers with disjoint lifetimes sharing memory) may come
 * in any order: the scan in lt_plan_arena_in gives the same result for any of them. */
static void sort_placed(placed *a, int32_t n) {
    for (int32_t i = n / 2 - 1; i >= 0; i--) sift_placed(a, i, n);
    for (int32_t end = n - 1; end > 0; end--) {
        placed t = a[0];
        a[0] = a[end];
        a[end] = t;
        sift_placed(a, 0, end);
    }
}

bool lt_plan_arena_scratch_bytes(int32_t n, size_t *bytes) {
    size_t per = sizeof(sort_item) + sizeof(placed) + sizeof(int32_t);
    return lt_mul_size(n > 0 ? (size_t)n : 0, per, bytes);
}

bool lt_plan_arena_in(lt_arena_request *reqs, int32_t n, void *scratch, size_t *arena_bytes) {
    *arena_bytes = 0;
    if (n <= 0) return true;
    /* Scratch layout: items, then live (both with size_t members), then done (int32). */
    sort_item *items = scratch;
    placed *live = (placed *)(items + n);
    int32_t *done = (int32_t *)(live + n);
    for (int32_t i = 0; i < n; i++) {
        size_t aligned = 0;
        if (!lt_align_size(reqs[i].bytes, &aligned)) return false;
        items[i].bytes = aligned;
        items[i].index = i;
    }
    sort_items(items, n);

    size_t total = 0;
    for (int32_t k = 0; k < n; k++) {
        lt_arena_request *r = &reqs[items[k].index];
        size_t size = items[k].bytes;
        /* Collect placed buffers whose lifetimes overlap this one, in offset order. */
        int32_t n_live = 0;
        for (int32_t j = 0; j < k; j++) {
            const lt_arena_request *o = &reqs[done[j]];
            if (o->first <= r->last && r->first <= o->last && o->bytes > 0) {
                size_t osize = 0;
                lt_align_size(o->bytes, &osize); /* cannot fail: checked above */
                live[n_live].offset = o->offset;
                live[n_live].end = o->offset + osize;
                n_live++;
            }
        }
        sort_placed(live, n_live);
        size_t offset = 0;
        for (int32_t j = 0; j < n_live && size > 0; j++) {
            if (live[j].offset >= offset && live[j].offset - offset >= size) break;
            if (live[j].end > offset) offset = live[j].end;
        }
        r->offset = offset;
        done[k] = items[k].index;
        size_t end;
        if (!lt_add_size(offset, size, &end)) return false;
        if (end > total) total = end;
    }
    *arena_bytes = total;
    return true;
}

bool lt_plan_arena(lt_arena_request *reqs, int32_t n, size_t *arena_bytes) {
    size_t bytes;
    *arena_bytes = 0;
    if (!lt_plan_arena_scratch_bytes(n, &bytes)) return false;
    void *scratch = lt_aligned_calloc(NULL, bytes);
    if (scratch == NULL) return false;
    bool ok = lt_plan_arena_in(reqs, n, scratch, arena_bytes);
    lt_aligned_free(NULL, scratch);
    return ok;
}
