/* The embedded variant of classify_file: the model is compiled into the program as a C array
 * (model_data.h, generated from model.tflite at build time by embed_model.cmake) and the
 * program never touches the heap: the model's tables come from a static pool through the
 * allocator hooks, and the interpreter and its plan (op state, packed weights, activations)
 * live in one static buffer (lt_interpreter_create_in). This is the shape of a firmware main:
 * no file system, no malloc, fixed memory known at link time.
 *
 * It runs the model on the same fixed input pattern as classify_file (example_io.c) and
 * prints the top scores, then how much of each static buffer the runtime used. */
#include <stdint.h>
#include <stdio.h>

#include "example_io.h"
#include "litert/litert.h"
#include "model_data.h" /* k_model, k_model_size */

/* Sizes for this model with margin: it takes about 5 KB of tables and 14 KB of interpreter
 * and plan (the plan depends on the kernels the CPU gets). The program prints what it used,
 * and a buffer too small makes the runtime name the size it needs. */
#define MODEL_POOL_BYTES (16 * 1024)
#define INTERPRETER_BYTES (32 * 1024)

static _Alignas(16) uint8_t g_model_pool[MODEL_POOL_BYTES];
static _Alignas(LT_ARENA_ALIGNMENT) uint8_t g_interpreter_memory[INTERPRETER_BYTES];

/* A bump allocator over g_model_pool for the model loader's tables. They live as long as the
 * model, so free has nothing to do; the pool is reused only after lt_model_free. */
typedef struct pool {
    uint8_t *base;
    size_t size;
    size_t used;
} pool;

static void *pool_malloc(void *user, size_t bytes) {
    pool *p = user;
    size_t start = (p->used + 15) & ~(size_t)15; /* the alignment malloc would give */
    if (start > p->size || bytes > p->size - start) return NULL;
    p->used = start + bytes;
    return p->base + start;
}

static void pool_free(void *user, void *ptr) {
    (void)user;
    (void)ptr;
}

int main(void) {
    char err[512];
    pool model_pool = {g_model_pool, sizeof g_model_pool, 0};
    const lt_allocator pool_allocator = {pool_malloc, pool_free, &model_pool};
    /* Zero-copy: the weights stay in k_model (flash, on a microcontroller). */
    lt_model *model = lt_model_from_buffer_with_allocator(k_model, k_model_size, &pool_allocator,
                                                          err, sizeof err);
    if (model == NULL) {
        fprintf(stderr, "error: %s\n", err);
        return 1;
    }
    lt_options opts = lt_options_default(); /* one thread: no worker threads to allocate */
    lt_interpreter *it = lt_interpreter_create_in(model, &opts, g_interpreter_memory,
                                                  sizeof g_interpreter_memory, err, sizeof err);
    if (it == NULL) {
        fprintf(stderr, "error: %s\n", err);
        lt_model_free(model);
        return 1;
    }
    int status = 1;
    if (lt_interpreter_allocate(it) != LT_OK) { /* the plan goes into g_interpreter_memory */
        fprintf(stderr, "error: %s\n", lt_interpreter_error(it));
    } else if (example_fill_pattern(it, lt_interpreter_input_tensor(it, 0)) == LT_OK) {
        if (lt_interpreter_invoke(it) != LT_OK) {
            fprintf(stderr, "error: %s\n", lt_interpreter_error(it));
        } else {
            size_t tables = 0;
            lt_interpreter_create_bytes(model, &tables, err, sizeof err);
            printf("model: compiled in (%zu bytes, %d ops, kernels: %s)\n", k_model_size,
                   lt_interpreter_node_count(it), lt_isa_name(lt_interpreter_isa(it)));
            printf("input: pattern\n");
            status = example_print_top(it, lt_interpreter_output_tensor(it, 0), 5) == LT_OK
                         ? 0 : 1;
            printf("memory: model tables %zu of %zu bytes, interpreter %zu + plan %zu of %zu "
                   "bytes, heap 0\n", model_pool.used, sizeof g_model_pool, tables,
                   lt_interpreter_plan_bytes(it), sizeof g_interpreter_memory);
        }
    }
    lt_interpreter_free(it);
    lt_model_free(model);
    return status;
}
