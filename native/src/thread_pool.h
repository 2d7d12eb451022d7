/* A fixed set of worker threads that run one parallel loop at a time, owned by one
 * interpreter (no global state). The calling thread works too: a pool of T threads has T - 1
 * workers, which sleep on a condition variable between loops. */
#ifndef LITERT_THREAD_POOL_H
#define LITERT_THREAD_POOL_H

#include <stdint.h>

typedef struct lt_thread_pool lt_thread_pool;

/* Work on [begin, end) of a loop; called once per chunk. */
typedef void (*lt_parallel_fn)(void *arg, int64_t begin, int64_t end);

/* Starts num_threads - 1 workers (num_threads >= 2). NULL if memory or a thread could not
 * be had (then nothing is left running). */
lt_thread_pool *lt_thread_pool_create(int num_threads);

/* Stops and joins the workers and frees the pool. NULL is a no-op. Must not overlap a run. */
void lt_thread_pool_free(lt_thread_pool *pool);

/* Threads the pool runs on, the caller included. */
int lt_thread_pool_threads(const lt_thread_pool *pool);

/* Splits [0, n) into min(n, threads) contiguous chunks of sizes differing by at most one
 * (chunk i before chunk i + 1), runs fn on each, one chunk per thread, and returns when all
 * have finished. n <= 0 calls nothing. A call made while the pool is already running a loop
 * (fn calling back in, or a second thread) runs fn(arg, 0, n) on the calling thread instead
 * of waiting for the pool. */
void lt_thread_pool_run(lt_thread_pool *pool, int64_t n, lt_parallel_fn fn, void *arg);

#endif
