/* The pool's protocol, all under one mutex: run() publishes a loop (fn, arg, n, chunk
 * count), bumps `generation` and wakes the workers; every thread, the caller included, then
 * claims the next unclaimed chunk until none are left, and the caller waits on `done_cv`
 * until every claimed chunk has finished. A worker that wakes late finds no chunk left and
 * goes back to sleep, so a loop never waits for a slow-to-wake worker. */
#include "thread_pool.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

struct lt_thread_pool {
    pthread_mutex_t mutex;
    pthread_cond_t work_cv;   /* workers wait here for a new generation or stop */
    pthread_cond_t done_cv;   /* run() waits here for the last chunk */
    pthread_t *workers;
    int n_workers;            /* started (and to be joined) */
    bool stop;
    bool busy;                /* a loop is running: nested or concurrent runs go inline */
    uint64_t generation;
    /* the current loop */
    lt_parallel_fn fn;
    void *arg;
    int64_t n;
    int64_t chunks;
    int64_t next_chunk;       /* first unclaimed */
    int64_t finished;         /* chunks done */
};

/* Chunk i of [0, n) cut into `chunks` pieces: the first n % chunks pieces get one more. */
static void chunk_bounds(int64_t n, int64_t chunks, int64_t i, int64_t *begin, int64_t *end) {
    const int64_t base = n / chunks, extra = n % chunks;
    *begin = i * base + (i < extra ? i : extra);
    *end = *begin + base + (i < extra ? 1 : 0);
}

/* Claims and runs chunks of the current loop until none are left. Called with the mutex
 * held; returns with it held. */
static void work_on_loop(lt_thread_pool *p) {
    while (p->next_chunk < p->chunks) {
        const int64_t i = p->next_chunk++;
        const lt_parallel_fn fn = p->fn;
        void *arg = p->arg;
        int64_t begin, end;
        chunk_bounds(p->n, p->chunks, i, &begin, &end);
        pthread_mutex_unlock(&p->mutex);
        fn(arg, begin, end);
        pthread_mutex_lock(&p->mutex);
        if (++p->finished == p->chunks) pthread_cond_signal(&p->done_cv);
    }
}

static void *worker_main(void *user) {
    lt_thread_pool *p = user;
    /* Generation 0 is "no loop yet", not the generation current when this thread gets to
     * run: a loop published before that is still this worker's to join. */
    uint64_t seen = 0;
    pthread_mutex_lock(&p->mutex);
    for (;;) {
        while (!p->stop && p->generation == seen) pthread_cond_wait(&p->work_cv, &p->mutex);
        if (p->stop) break;
        seen = p->generation;
        work_on_loop(p);
    }
    pthread_mutex_unlock(&p->mutex);
    return NULL;
}

/* Stops and joins the started workers, then releases everything. */
static void pool_destroy(lt_thread_pool *p) {
    pthread_mutex_lock(&p->mutex);
    p->stop = true;
    pthread_cond_broadcast(&p->work_cv);
    pthread_mutex_unlock(&p->mutex);
    for (int i = 0; i < p->n_workers; i++) pthread_join(p->workers[i], NULL);
    pthread_cond_destroy(&p->done_cv);
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
    if (pthread_mutex_init(&p->mutex, NULL) != 0) goto fail_mutex;
    if (pthread_cond_init(&p->work_cv, NULL) != 0) goto fail_work;
    if (pthread_cond_init(&p->done_cv, NULL) != 0) goto fail_done;
    for (int i = 0; i < num_threads - 1; i++) {
        if (pthread_create(&p->workers[i], NULL, worker_main, p) != 0) {
            pool_destroy(p); /* joins the ones already started */
            return NULL;
        }
        p->n_workers = i + 1;
    }
    return p;
fail_done:
    pthread_cond_destroy(&p->work_cv);
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
    const int64_t threads = pool->n_workers + 1;
    pthread_mutex_lock(&pool->mutex);
    if (pool->busy || n == 1) {
        pthread_mutex_unlock(&pool->mutex);
        fn(arg, 0, n);
        return;
    }
    pool->busy = true;
    pool->fn = fn;
    pool->arg = arg;
    pool->n = n;
    pool->chunks = n < threads ? n : threads;
    pool->next_chunk = 0;
    pool->finished = 0;
    pool->generation++;
    pthread_cond_broadcast(&pool->work_cv);
    work_on_loop(pool);
    while (pool->finished < pool->chunks) pthread_cond_wait(&pool->done_cv, &pool->mutex);
    pool->busy = false;
    pthread_mutex_unlock(&pool->mutex);
}
