/* The thread pool behind lt_ctx_parallel_for: every index of [0, n) is visited exactly once,
 * in min(n, threads) contiguous chunks of near-equal size; chunks really run at the same time
 * on different threads; a call from inside a running loop runs inline; with one thread
 * (no pool) fn gets the whole range on the caller; pools start and stop cleanly. Meant to
 * run under AddressSanitizer / UndefinedBehaviorSanitizer (ctest) and ThreadSanitizer. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "context.h"
#include "kernel_api.h"
#include "thread_pool.h"

#include "check.h"

enum { MAX_N = 5000 };

/* What one loop saw: visits per index, and each chunk's end stored at its begin (chunks
 * write disjoint entries, so no locking is needed). */
typedef struct coverage {
    int visits[MAX_N];
    int64_t chunk_end[MAX_N + 1];
    atomic_int calls;
} coverage;

static void record(void *arg, int64_t begin, int64_t end) {
    coverage *c = arg;
    atomic_fetch_add(&c->calls, 1);
    c->chunk_end[begin] = end;
    for (int64_t i = begin; i < end; i++) c->visits[i]++;
}

/* Checks one run of record over [0, n) cut for `threads` threads. */
static void check_coverage(const coverage *c, int64_t n, int threads, const char *what) {
    for (int64_t i = 0; i < n; i++)
        CHECK(c->visits[i] == 1, "%s n=%lld threads=%d: index %lld visited %d times", what,
              (long long)n, threads, (long long)i, c->visits[i]);
    const int64_t want_chunks = n < threads ? n : threads;
    CHECK(atomic_load(&c->calls) == want_chunks, "%s n=%lld threads=%d: %d chunks, expected %lld",
          what, (long long)n, threads, atomic_load(&c->calls), (long long)want_chunks);
    int64_t b = 0, min_size = INT64_MAX, max_size = 0, chunks = 0;
    while (b < n && chunks <= want_chunks) {
        const int64_t e = c->chunk_end[b];
        CHECK(e > b && e <= n, "%s n=%lld: chunk at %lld ends at %lld", what, (long long)n,
              (long long)b, (long long)e);
        if (e <= b || e > n) return;
        if (e - b < min_size) min_size = e - b;
        if (e - b > max_size) max_size = e - b;
        b = e;
        chunks++;
    }
    CHECK(b == n && chunks == want_chunks, "%s n=%lld: chunks do not tile [0, n)", what,
          (long long)n);
    CHECK(n == 0 || max_size - min_size <= 1, "%s n=%lld: chunk sizes %lld..%lld", what,
          (long long)n, (long long)min_size, (long long)max_size);
}

static const int64_t sizes[] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 16, 31, 100, 1001, MAX_N};

static void test_coverage(int threads) {
    lt_thread_pool *pool = lt_thread_pool_create(threads);
    CHECK(pool != NULL, "could not create a pool of %d threads", threads);
    if (pool == NULL) return;
    CHECK(lt_thread_pool_threads(pool) == threads, "pool reports %d threads, expected %d",
          lt_thread_pool_threads(pool), threads);
    coverage *c = malloc(sizeof *c);
    for (int round = 0; round < 50; round++) {
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            memset(c->visits, 0, sizeof c->visits);
            atomic_store(&c->calls, 0);
            lt_thread_pool_run(pool, sizes[s], record, c);
            check_coverage(c, sizes[s], threads, "pool");
        }
    }
    free(c);
    lt_thread_pool_free(pool);
}

/* Every chunk waits until all chunks have started: this finishes only if they run on
 * different threads at the same time (a 10 s limit turns a failure into a message). */
typedef struct rendezvous {
    atomic_int started;
    int expected;
    atomic_int timed_out;
    pthread_t who[16];
} rendezvous;

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void meet(void *arg, int64_t begin, int64_t end) {
    rendezvous *r = arg;
    for (int64_t i = begin; i < end; i++) r->who[i] = pthread_self();
    atomic_fetch_add(&r->started, (int)(end - begin));
    const double deadline = now_seconds() + 10.0;
    while (atomic_load(&r->started) < r->expected) {
        if (now_seconds() > deadline) {
            atomic_store(&r->timed_out, 1);
            return;
        }
    }
}

static void test_chunks_run_concurrently(int threads) {
    lt_thread_pool *pool = lt_thread_pool_create(threads);
    if (pool == NULL) {
        CHECK(0, "could not create a pool of %d threads", threads);
        return;
    }
    for (int round = 0; round < 20; round++) {
        rendezvous r = {.expected = threads};
        lt_thread_pool_run(pool, threads, meet, &r);
        CHECK(!atomic_load(&r.timed_out), "threads=%d: chunks did not run concurrently", threads);
        int caller_ran = 0;
        for (int i = 0; i < threads; i++) {
            caller_ran += pthread_equal(r.who[i], pthread_self()) ? 1 : 0;
            for (int j = i + 1; j < threads; j++)
                CHECK(!pthread_equal(r.who[i], r.who[j]), "chunks %d and %d on one thread", i, j);
        }
        CHECK(caller_ran == 1, "the calling thread ran %d chunks, expected 1", caller_ran);
    }
    lt_thread_pool_free(pool);
}

/* A loop body that starts another loop on the same pool: the inner one runs inline. */
typedef struct nested {
    lt_thread_pool *pool;
    coverage inner[4];
} nested;

static void outer_body(void *arg, int64_t begin, int64_t end) {
    nested *ns = arg;
    for (int64_t i = begin; i < end; i++) lt_thread_pool_run(ns->pool, 37, record, &ns->inner[i]);
}

static void test_nested_runs_inline(void) {
    nested *ns = calloc(1, sizeof *ns);
    ns->pool = lt_thread_pool_create(4);
    if (ns->pool == NULL) {
        CHECK(0, "could not create a pool of 4 threads");
        free(ns);
        return;
    }
    lt_thread_pool_run(ns->pool, 4, outer_body, ns);
    for (int i = 0; i < 4; i++) check_coverage(&ns->inner[i], 37, 1, "nested");
    lt_thread_pool_free(ns->pool);
    free(ns);
}

/* lt_ctx_parallel_for: without a pool, fn gets [0, n) once on the caller; with one, the
 * pool's chunks. */
static void test_ctx_parallel_for(void) {
    coverage *c = malloc(sizeof *c);
    lt_context ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.num_threads = 1;
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        memset(c->visits, 0, sizeof c->visits);
        atomic_store(&c->calls, 0);
        lt_ctx_parallel_for(&ctx, sizes[s], record, c);
        check_coverage(c, sizes[s], 1, "ctx without pool");
    }
    ctx.num_threads = 3;
    ctx.pool = lt_thread_pool_create(3);
    CHECK(ctx.pool != NULL, "could not create a pool of 3 threads");
    if (ctx.pool != NULL) {
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            memset(c->visits, 0, sizeof c->visits);
            atomic_store(&c->calls, 0);
            lt_ctx_parallel_for(&ctx, sizes[s], record, c);
            check_coverage(c, sizes[s], 3, "ctx with pool");
        }
        lt_thread_pool_free(ctx.pool);
    }
    free(c);
}

static void add_one(void *arg, int64_t begin, int64_t end) {
    atomic_fetch_add((atomic_llong *)arg, (long long)(end - begin));
}

/* Pools created and destroyed in a loop, some used, some never: nothing leaks or hangs. */
static void test_create_destroy_loop(void) {
    CHECK(lt_thread_pool_create(1) == NULL, "a one-thread pool should not exist");
    CHECK(lt_thread_pool_create(0) == NULL, "a zero-thread pool should not exist");
    lt_thread_pool_free(NULL);
    for (int i = 0; i < 200; i++) {
        const int threads = 2 + i % 4;
        lt_thread_pool *pool = lt_thread_pool_create(threads);
        CHECK(pool != NULL, "iteration %d: could not create a pool of %d threads", i, threads);
        if (pool == NULL) continue;
        atomic_llong total = 0;
        for (int k = 0; k < i % 3; k++) lt_thread_pool_run(pool, 1000 + k, add_one, &total);
        long long want = 0;
        for (int k = 0; k < i % 3; k++) want += 1000 + k;
        CHECK(atomic_load(&total) == want, "iteration %d: sum %lld, expected %lld", i,
              (long long)atomic_load(&total), want);
        lt_thread_pool_free(pool);
    }
}

int main(void) {
    for (int threads = 2; threads <= 8; threads++) test_coverage(threads);
    test_chunks_run_concurrently(2);
    test_chunks_run_concurrently(4);
    test_nested_runs_inline();
    test_ctx_parallel_for();
    test_create_destroy_loop();
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("thread pool: all checks passed\n");
    return 0;
}
