/* Per-node timing of invoke (lt_interpreter_set_profiling in litert.h).
 *
 * The interpreter owns one lt_profiler. Its tables are sized by the node count, which is
 * fixed when the interpreter is created, so they are allocated once, when profiling is turned
 * on, and never during invoke. While profiling is off the tables are freed and invoke pays one
 * test of `enabled` per call. */
#ifndef LITERT_PROFILER_H
#define LITERT_PROFILER_H

#include <stdbool.h>
#include <stdint.h>

#include "litert/litert.h"

typedef struct lt_profiler {
    bool enabled;
    int32_t n_nodes;    /* size of the tables below */
    uint64_t *ns;       /* per node index: nanoseconds accumulated over its runs */
    uint64_t *runs;     /* per node index: runs since the last reset */
    int32_t *order;     /* node indices that invoke runs, in execution order */
    int32_t n_order;    /* entries of `order`; 0 until the plan is known */
} lt_profiler;

/* Allocates the tables for `n_nodes` nodes (if not yet there) from `heap` (the interpreter's
 * allocator) and turns timing on. False when out of memory (the profiler is then left off). */
bool lt_profiler_enable(lt_profiler *p, int32_t n_nodes, const lt_allocator *heap);
/* Turns timing off and frees the tables to `heap`. Safe on a profiler never enabled. */
void lt_profiler_disable(lt_profiler *p, const lt_allocator *heap);
/* Zeroes every time and run count (the execution order is kept). */
void lt_profiler_reset(lt_profiler *p);
/* Forgets the execution order: call before lt_profiler_add_node for a new plan. */
void lt_profiler_clear_order(lt_profiler *p);
/* Appends node `node` to the execution order (no effect while disabled or when full). */
void lt_profiler_add_node(lt_profiler *p, int32_t node);
/* A monotonic clock in nanoseconds (CLOCK_MONOTONIC where available). */
uint64_t lt_profiler_now_ns(void);

/* Adds one run of `node` that took `ns` nanoseconds. */
static inline void lt_profiler_record(lt_profiler *p, int32_t node, uint64_t ns) {
    p->ns[node] += ns;
    p->runs[node] += 1;
}

#endif
