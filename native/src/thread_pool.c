/* The pool's protocol. A loop is published by writing its parameters (fn, arg, n, chunk
 * count), then bumping the generation in `claim`, a 64-bit atomic holding
 * (generation << 32) | next unclaimed chunk, with chunk 0 already taken: the caller runs it.
 * Every thread, the caller included, claims the other chunks
 * with a compare-and-swap that also checks the generation, so a worker still finishing
 * the previous loop can never claim a chunk of the next one with the previous parameters;
 * and the parameters of a loop stay unchanged until all its chunks have finished, because
 * the caller waits for that (`finished`) before it publishes another.
 *
 * Waking workers through a condition variable costs tens of microseconds per loop, which
 * was a few percent of a MobileNetV2 invoke (one loop per op). So both sides spin first:
 * a worker polls the generation for up to SPIN_NS after its last loop before it sleeps on
 * the condition variable, and the caller polls `finished`. Between the ops of one invoke the
 * workers are therefore awake; an idle interpreter's workers sleep after SPIN_NS.
 *
 * Sleeping without missed wake-ups: a worker about to sleep increments `sleepers` under the
 * mutex and re-reads the generation before waiting; the caller bumps the generation and then
 * reads `sleepers` (all sequentially consistent), and broadcasts under the mutex if any
 * worker sleeps. Either the caller sees the worker's increment and wakes it, or the worker's
 * re-read comes after the bump and it does not wait. */
#include "thread_pool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#elif defined(__aarch64__)
#define CPU_RELAX() __asm__ volatile("yield")
#else
#define CPU_RELAX() ((void)0)
#endif

/* How long a worker keeps polling for the next loop before sleeping. */
enum { SPIN_NS = 200 * 1000 };
/* How many polls between clock reads (a clock read costs about as much as 20 polls). */
enum { POLLS_PER_CLOCK = 64 };

struct lt_thread_pool {
    pthread_mutex_t mutex;
    pthread_cond_t work_cv;   /* sleeping workers wait here for a new generation or stop */
    pthread_t *workers;
    int n_workers;            /* started (and to be joined) */
    atomic_bool stop;
    atomic_bool busy;         /* a loop is running: nested or concurrent runs go inline */
    atomic_uint_fast64_t claim;   /* (generation << 32) | next unclaimed chunk */
    atomic_int sleepers;      /* workers waiting (or about to wait) on work_cv */
    atomic_int_fast64_t finished; /* chunks of the current loop done */
    /* the current loop: written before its generation is published, read by workers only
     * after they claimed one of its chunks (so it cannot change under them) */
    lt_parallel_fn fn;
    void *arg;
    int64_t n;
    /* also read before claiming, possibly while the next loop is published: atomic; a value
     * of the next loop is harmless there, as the claim's generation check then fails */
    atomic_int_fast64_t chunks;
};

static uint32_t generation_of(uint64_t claim) { return (uint32_t)(claim >> 32); }
/* Chunk index of a closed loop: above any chunk count. */
#define CLAIM_CLOSED 0xffffffffu

/* Chunk i of [0, n) cut into `chunks` pieces: the first n % chunks pieces get one more. */
static void chunk_bounds(int64_t n, int64_t chunks, int64_t i, int64_t *begin, int64_t *end) {
    const int64_t base = n / chunks, extra = n % chunks;
    *begin = i * base + (i < extra ? i : extra);
    *end = *begin + base + (i < extra ? 1 : 0);
}

/* Claims and runs chunks of loop `generation` until none are left (or the loop is over). */
static void work_on_loop(lt_thread_pool *p, uint32_t generation) {
    uint64_t c = atomic_load(&p->claim);
    for (;;) {
        if (generation_of(c) != generation) return;
        const int64_t i = (int64_t)(c & 0xffffffffu);
        if (i >= atomic_load(&p->chunks)) return; /* includes CLAIM_CLOSED */
        if (!atomic_compare_exchange_weak(&p->claim, &c, c + 1)) continue;
        int64_t begin, end;
        chunk_bounds(p->n, atomic_load(&p->chunks), i, &begin, &end);
        p->fn(p->arg, begin, end);
        atomic_fetch_add(&p->finished, 1);
        c = atomic_load(&p->claim);
    }
}

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Waits until the generation differs from `seen` or the pool stops; returns the new claim
 * word. Spins for SPIN_NS, then sleeps. */
static uint64_t wait_for_loop(lt_thread_pool *p, uint32_t seen) {
    const int64_t give_up = now_ns() + SPIN_NS;
    for (int polls = 1;; polls++) {
        const uint64_t c = atomic_load(&p->claim);
        if (generation_of(c) != seen || atomic_load(&p->stop)) return c;
        CPU_RELAX();
        if (polls % POLLS_PER_CLOCK == 0 && now_ns() > give_up) break;
    }
    pthread_mutex_lock(&p->mutex);
    atomic_fetch_add(&p->sleepers, 1);
    uint64_t c = atomic_load(&p->claim);
    while (generation_of(c) == seen && !atomic_load(&p->stop)) {
        pthread_cond_wait(&p->work_cv, &p->mutex);
        c = atomic_load(&p->claim);
    }
    atomic_fetch_sub(&p->sleepers, 1);
    pthread_mutex_unlock(&p->mutex);
    return c;
}

static void *worker_main(void *user) {
    lt_thread_pool *p = user;
    /* Generation 0 is "no loop yet", not the generation current when this thread gets to
     * run: a loop published before that is still this worker's to join. */
    uint32_t seen = 0;
    for (;;) {
        const uint64_t c = wait_for_loop(p, seen);
        if (atomic_load(&p->stop)) break;
        seen = generation_of(c);
        work_on_loop(p, seen);
    }
    return NULL;
}

/* Wakes every sleeping worker (after a new generation or stop was published). */
static void wake_sleepers(lt_thread_pool *p) {
    if (atomic_load(&p->sleepers) == 0) return;
    pthread_mutex_lock(&p->mutex);
    pthread_cond_broadcast(&p->work_cv);
    pthread_mutex_unlock(&p->mutex);
}

/* Stops and joins the started workers, then releases everything. */
static void pool_destroy(lt_thread_pool *p) {
    atomic_store(&p->stop, true);
    pthread_mutex_lock(&p->mutex);
    pthread_cond_broadcast(&p->work_cv);
    pthread_mutex_unlock(&p->mutex);
    for (int i = 0; i < p->n_workers; i++) pthread_join(p->workers[i], NULL);
    pthread_cond_destroy(&p->work_cv);
    pthread_mutex_destroy(&p->mutex);
    free(p->workers);
    free(p);
}

lt_thread_pool *lt_thread_pool_create(int num_threads) {
    if (num_threads < 2) return NULL;
    lt_thread_pool *p = calloc(1, sizeof *p);
    if (p == NULL) return NULL;
    p->workers = calloc((size_t)(num_threads - 1), sizeof *p->workers);
    if (p->workers == NULL) {
        free(p);
        return NULL;
    }
    atomic_init(&p->stop, false);
    atomic_init(&p->busy, false);
    atomic_init(&p->claim, 0);
    atomic_init(&p->sleepers, 0);
    atomic_init(&p->finished, 0);
    atomic_init(&p->chunks, 0);
    if (pthread_mutex_init(&p->mutex, NULL) != 0) goto fail_mutex;
    if (pthread_cond_init(&p->work_cv, NULL) != 0) goto fail_work;
    for (int i = 0; i < num_threads - 1; i++) {
        if (pthread_create(&p->workers[i], NULL, worker_main, p) != 0) {
            pool_destroy(p); /* joins the ones already started */
            return NULL;
        }
        p->n_workers = i + 1;
    }
    return p;
fail_work:
    pthread_mutex_destroy(&p->mutex);
fail_mutex:
    free(p->workers);
    free(p);
    return NULL;
}

void lt_thread_pool_free(lt_thread_pool *pool) {
    if (pool != NULL) pool_destroy(pool);
}

int lt_thread_pool_threads(const lt_thread_pool *pool) { return pool->n_workers + 1; }

void lt_thread_pool_run(lt_thread_pool *pool, int64_t n, lt_parallel_fn fn, void *arg) {
    if (n <= 0) return;
    if (n == 1 || atomic_exchange(&pool->busy, true)) {
        fn(arg, 0, n);
        return;
    }
    /* Close the previous loop first: a worker still in work_on_loop for it may hold its
     * final claim word (all chunks claimed) and read `chunks` of the loop being written;
     * with the word changed here its compare-and-swap fails. */
    const uint32_t previous = generation_of(atomic_load(&pool->claim));
    atomic_store(&pool->claim, ((uint64_t)previous << 32) | CLAIM_CLOSED);
    const int64_t threads = pool->n_workers + 1;
    pool->fn = fn;
    pool->arg = arg;
    pool->n = n;
    const int64_t chunks = n < threads ? n : threads;
    atomic_store(&pool->chunks, chunks);
    atomic_store(&pool->finished, 0);
    /* Publish: the new generation with chunk 0 next (generation 0 is skipped on wrap,
     * as workers start with it as "seen"). */
    uint32_t generation = previous + 1;
    if (generation == 0) generation = 1;
    /* The caller runs chunk 0 itself (published as already claimed) and workers start at
     * chunk 1: the same part of every op's output stays on the same core, so the next op
     * reads what its own core wrote (first-come claiming measurably slowed the ops that
     * follow, e.g. residual ADDs, with two threads). */
    atomic_store(&pool->claim, ((uint64_t)generation << 32) | 1u);
    wake_sleepers(pool);
    int64_t begin, end;
    chunk_bounds(n, chunks, 0, &begin, &end);
    fn(arg, begin, end);
    atomic_fetch_add(&pool->finished, 1);
    work_on_loop(pool, generation);
    for (int polls = 1; atomic_load(&pool->finished) < chunks; polls++) {
        CPU_RELAX();
        /* a worker descheduled mid-chunk: let it have the core rather than spin */
        if (polls % 4096 == 0) sched_yield();
    }
    atomic_store(&pool->busy, false);
}
