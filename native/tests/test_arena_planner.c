/* The arena planner never lets two buffers that are alive at the same step overlap, aligns
 * every offset, and reuses memory between buffers whose lifetimes are disjoint. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "alloc.h"
#include "arena_planner.h"

#include "check.h"

static uint32_t next_random(uint32_t *state) {
    *state = *state * 1664525u + 1013904223u;
    return *state >> 8;
}

static void check_plan(lt_arena_request *r, int n, size_t total) {
    for (int i = 0; i < n; i++) {
        CHECK(r[i].offset % LT_ALIGN == 0, "offset %zu not aligned", r[i].offset);
        CHECK(r[i].offset + r[i].bytes <= total, "request %d ends past the arena", i);
        for (int j = i + 1; j < n; j++) {
            int live_together = r[i].first <= r[j].last && r[j].first <= r[i].last;
            int overlap = r[i].offset < r[j].offset + r[j].bytes &&
                          r[j].offset < r[i].offset + r[i].bytes;
            CHECK(!(live_together && overlap && r[i].bytes && r[j].bytes),
                  "requests %d and %d are alive together and overlap", i, j);
        }
    }
}

static void test_chain_reuses_memory(void) {
    /* A chain a->b->c->d: each buffer lives two steps, so two slots suffice. */
    lt_arena_request r[4];
    for (int i = 0; i < 4; i++) {
        r[i].bytes = 1000;
        r[i].first = i;
        r[i].last = i + 1;
    }
    size_t total;
    CHECK(lt_plan_arena(r, 4, &total), "planning failed");
    check_plan(r, 4, total);
    CHECK(total == 2 * 1024, "chain of 4 needs 2 aligned slots, got %zu bytes", total);
}

static void test_random_lifetimes(void) {
    uint32_t seed = 12345;
    for (int round = 0; round < 200; round++) {
        int n = 1 + (int)(next_random(&seed) % 60);
        lt_arena_request r[60];
        size_t sum = 0;
        for (int i = 0; i < n; i++) {
            r[i].bytes = next_random(&seed) % 5000;
            r[i].first = (int32_t)(next_random(&seed) % 40);
            r[i].last = r[i].first + (int32_t)(next_random(&seed) % 10);
            size_t a;
            lt_align_size(r[i].bytes, &a);
            sum += a;
        }
        size_t total;
        CHECK(lt_plan_arena(r, n, &total), "planning failed");
        check_plan(r, n, total);
        CHECK(total <= sum, "arena %zu larger than the sum of buffers %zu", total, sum);
    }
}

static void test_overflow_is_refused(void) {
    lt_arena_request r[2] = {{SIZE_MAX - 10, 0, 1, 0}, {100, 0, 1, 0}};
    size_t total;
    CHECK(!lt_plan_arena(r, 2, &total), "a size that overflows must be refused");
}

int main(void) {
    test_chain_reuses_memory();
    test_random_lifetimes();
    test_overflow_is_refused();
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("arena planner: all checks passed\n");
    return 0;
}
