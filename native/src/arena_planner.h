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

/* Greedy by size: the largest buffers are placed first, each at the lowest offset that does
 * not collide with an already placed buffer whose lifetime overlaps. Returns false on
 * allocation failure or size overflow. */
bool lt_plan_arena(lt_arena_request *reqs, int32_t n, size_t *arena_bytes);

#endif
