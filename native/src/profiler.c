/* Per-node timing tables of the interpreter; see profiler.h. */
#include "profiler.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

bool lt_profiler_enable(lt_profiler *p, int32_t n_nodes) {
    if (p->enabled) return true;
    size_t n = n_nodes > 0 ? (size_t)n_nodes : 1; /* calloc(0) may return NULL */
    p->ns = calloc(n, sizeof *p->ns);
    p->runs = calloc(n, sizeof *p->runs);
    p->order = calloc(n, sizeof *p->order);
    if (p->ns == NULL || p->runs == NULL || p->order == NULL) {
        lt_profiler_disable(p);
        return false;
    }
    p->n_nodes = n_nodes > 0 ? n_nodes : 0;
    p->n_order = 0;
    p->enabled = true;
    return true;
}

void lt_profiler_disable(lt_profiler *p) {
    free(p->ns);
    free(p->runs);
    free(p->order);
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
    struct timespec ts;
#if defined(CLOCK_MONOTONIC)
    clock_gettime(CLOCK_MONOTONIC, &ts);
#else
    /* C11 fallback where POSIX clocks are absent: wall-clock time, still ns resolution. */
    timespec_get(&ts, TIME_UTC);
#endif
    return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}
