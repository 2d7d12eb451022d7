/* The thread pool of builds without threads (LITERT_THREADS=OFF, e.g. bare metal, where
 * there is no pthread library): no pool is ever created, so lt_ctx_parallel_for runs every
 * loop on the calling thread, and the interpreter runs with one thread whatever num_threads
 * asks (see interpreter.c). The functions exist so the rest of the core links unchanged. */
#include "thread_pool.h"

#include <stddef.h>

lt_thread_pool *lt_thread_pool_create(int num_threads) {
    (void)num_threads;
    return NULL;
}

void lt_thread_pool_free(lt_thread_pool *pool) { (void)pool; }

int lt_thread_pool_threads(const lt_thread_pool *pool) {
    (void)pool;
    return 1;
}

void lt_thread_pool_run(lt_thread_pool *pool, int64_t n, lt_parallel_fn fn, void *arg) {
    (void)pool;
    if (n > 0) fn(arg, 0, n);
}
