/* The state that ops reach through lt_context: error message, thread count, and memory owned
 * by the current plan. Kept apart from the interpreter so kernel_api.c depends on nothing
 * else. */
#ifndef LITERT_CONTEXT_H
#define LITERT_CONTEXT_H

#include <stddef.h>

#include "alloc.h"
#include "thread_pool.h"

#define LT_ERROR_LEN 512

struct lt_context {
    char error[LT_ERROR_LEN];
    int num_threads;
    int isa;              /* LT_ISA_* level the kernels may use (never LT_ISA_BEST) */
    lt_thread_pool *pool; /* NULL with one thread; owned by the interpreter */
    lt_plan_memory plan;  /* lt_ctx_alloc memory (heap or caller region), freed at the next
                           * allocate */
    struct lt_interpreter *owner; /* the interpreter this context belongs to (subgraphs) */
    size_t max_memory;    /* lt_options.max_memory_bytes: cap on plan.used + children_bytes,
                           * checked by every lt_ctx_alloc (0: none) */
    size_t children_bytes; /* memory of the subgraph interpreters this plan opened (WHILE, IF
                            * bodies), counted against the same cap */
};

/* Frees every block from lt_ctx_alloc (and starts a caller region over). */
void lt_ctx_free_plan(struct lt_context *ctx);
/* Formats an error not tied to a node. Returns LT_ERROR. */
int lt_ctx_errorf(struct lt_context *ctx, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

#endif
