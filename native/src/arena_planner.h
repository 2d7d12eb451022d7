/* Places buffers with known lifetimes in one arena so that buffers alive at the same time
 * never overlap, while buffers with disjoint lifetimes share memory. */
#ifndef LITERT_ARENA_PLANNER_H
#define LITERT_ARENA_PLANNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct lt_arena_request {
    size_t bytes;   /* size needed (0 is allowed) */
    int32_t first;  /* first step at which the buffer is alive */
    int32_t last;   /* last step at which it is alive (inclusive) */
    size_t offset;  /* out: byte offset in the arena, a multiple of LT_ALIGN */
} lt_arena_request;

/* Working memory lt_plan_arena_in needs for up to n requests (false on overflow). The
 * interpreter reserves it once, at create, so that allocate can plan without allocating. */
bool lt_plan_arena_scratch_bytes(int32_t n, size_t *bytes);

/* Greedy by size: the largest buffers are placed first, each at the lowest offset that does
 * not collide with an already placed buffer whose lifetime overlaps. `scratch` holds
 * lt_plan_arena_scratch_bytes(n) bytes, aligned like a pointer or more. Allocates nothing
 * (not even through qsort, which may call malloc). Returns false on size overflow. */
bool lt_plan_arena_in(lt_arena_request *reqs, int32_t n, void *scratch, size_t *arena_bytes);

/* The same with scratch from the C library's heap; false also when that fails. */
bool lt_plan_arena(lt_arena_request *reqs, int32_t n, size_t *arena_bytes);

#endif
