/* Per-node timing tables of the interpreter; see profiler.h. */
#include "profiler.h"

#include <string.h>
#include <time.h>

#include "alloc.h"

/* One block holds the three tables: ns and runs (uint64_t) first, then order (int32_t). */
bool lt_profiler_enable(lt_profiler *p, int32_t n_nodes, const lt_allocator *heap) {
    if (p->enabled) return true;
    size_t n = n_nodes > 0 ? (size_t)n_nodes : 1;
    size_t bytes;
    if (!lt_mul_size(n, 2 * sizeof(uint64_t) + sizeof(int32_t), &bytes)) return false;
    uint64_t *block = lt_aligned_calloc(heap, bytes);
    if (block == NULL) return false;
    p->ns = block;
    p->runs = block + n;
    p->order = (int32_t *)(block + 2 * n);
    p->n_nodes = n_nodes > 0 ? n_nodes : 0;
    p->n_order = 0;
    p->enabled = true;
    return true;
}

void lt_profiler_disable(lt_profiler *p, const lt_allocator *heap) {
    lt_aligned_free(heap, p->ns); /* the block starts with ns */
    memset(p, 0, sizeof *p);
}

void lt_profiler_reset(lt_profiler *p) {
    if (!p->enabled) return;
    size_t n = (size_t)p->n_nodes;
    if (n == 0) return;
    memset(p->ns, 0, n * sizeof *p->ns);
    memset(p->runs, 0, n * sizeof *p->runs);
}

void lt_profiler_clear_order(lt_profiler *p) { p->n_order = 0; }

void lt_profiler_add_node(lt_profiler *p, int32_t node) {
    if (!p->enabled || p->n_order >= p->n_nodes || node < 0 || node >= p->n_nodes) return;
    p->order[p->n_order++] = node;
}

uint64_t lt_profiler_now_ns(void) {
#if defined(LITERT_NO_CLOCK)
    /* Bare metal: no OS clock to read (newlib's clock_gettime would call a system call stub
     * that fails). Profiling still counts runs; the times stay 0. */
    return 0;
#else
    struct timespec ts;
#if defined(CLOCK_MONOTONIC)
    clock_gettime(CLOCK_MONOTONIC, &ts);
#else
    /* C11 fallback where POSIX clocks are absent: wall-clock time, still ns resolution. */
    timespec_get(&ts, TIME_UTC);
#endif
    return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
#endif
}
