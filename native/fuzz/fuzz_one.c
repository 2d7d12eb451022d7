/* The fuzz case (fuzz_model.h): load -> create -> allocate -> fill inputs -> invoke twice.
 *
 * Why each setting:
 * - The bytes are copied into a fresh heap block: libFuzzer's buffer has no alignment
 *   guarantee and a real caller's buffer usually does (malloc, mmap), and the copy's exact
 *   size makes ASan catch any read past the end of the file.
 * - One thread: deterministic runs, and the reports point at the kernel, not the pool.
 * - A 64 MiB plan cap: a mutated shape easily declares gigabytes; the runtime must refuse
 *   such a plan at allocate (an error), never try to allocate it.
 * - Plans above FUZZ_MAX_INVOKE_PLAN_BYTES, and models with loops or huge pool windows
 *   (unbounded_work), are prepared but not run.
 * - The file's size picks the kernels: odd sizes run the portable ones, even sizes the best
 *   SIMD level of this CPU, so both get fuzzed and one input always runs the same code.
 * - Inputs get deterministic bytes (not zeros) so kernels walk real values, including NaNs
 *   and extreme integers, the same way on every run of one input.
 * - A model that ran runs once more in embedded mode (run_in_caller_memory). */
#include "fuzz_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "litert/litert.h"
#include "model.h" /* internal: the verified op list (unbounded_work) */

#define FUZZ_MAX_MEMORY_BYTES ((size_t)64 << 20)
/* Invoke only plans up to this size. A valid model under the cap can still ask for billions
 * of operations: a mutated batch of 262400 on a small conv, or a MAX_POOL_2D window of
 * 989855746 rows over a 1.5 MB input (each output pixel reduces the whole clipped window),
 * each took 10 s and more under the sanitizers. Legitimate workloads (TensorFlow Lite runs
 * them too), not bugs, but every such input would be a fuzzer timeout. Work grows at most
 * about quadratically with the tensors, so a small plan bounds it; larger plans still go
 * through load, prepare and planning. */
#define FUZZ_MAX_INVOKE_PLAN_BYTES ((size_t)256 << 10)

/* BuiltinOperator codes, and Pool2DOptions' filter_width / filter_height field ids. */
enum { FUZZ_AVERAGE_POOL_2D = 1, FUZZ_L2_POOL_2D = 12, FUZZ_MAX_POOL_2D = 17, FUZZ_WHILE = 119 };
enum { FUZZ_POOL_FILTER_WIDTH = 3, FUZZ_POOL_FILTER_HEIGHT = 4 };
/* Pool windows up to this many cells are invoked. */
#define FUZZ_MAX_POOL_WINDOW 4096

/* True when running the model could take unbounded time although it is valid (TensorFlow
 * Lite would run as long): a WHILE, whose trip count comes from the data and whose
 * condition may never turn false, or a pool window of millions of cells (the window is
 * clipped to the input, but every output pixel still reduces all of it: a 3899392-row
 * window over a 150 KB input took over 10 s). Such models are prepared, not invoked: they
 * would only be fuzzer timeouts. */
static int unbounded_work(const lt_model *model) {
    for (int32_t g = 0; g < model->n_subgraphs; g++) {
        for (int32_t i = 0; i < model->subgraphs[g].n_ops; i++) {
            const lt_model_op *op = &model->subgraphs[g].ops[i];
            if (op->builtin_code == FUZZ_WHILE) return 1;
            if (op->builtin_code == FUZZ_AVERAGE_POOL_2D || op->builtin_code == FUZZ_L2_POOL_2D ||
                op->builtin_code == FUZZ_MAX_POOL_2D) {
                bool err = false;
                int64_t w = fb_i32(&op->options, FUZZ_POOL_FILTER_WIDTH, 0, &err);
                int64_t h = fb_i32(&op->options, FUZZ_POOL_FILTER_HEIGHT, 0, &err);
                if (err || w * h > FUZZ_MAX_POOL_WINDOW) return 1;
            }
        }
    }
    return 0;
}

/* A small xorshift generator: the input bytes depend only on the tensor's position. */
static void fill_bytes(uint8_t *dst, size_t n, uint32_t seed) {
    uint32_t s = seed * 2654435761u + 0x9e3779b9u;
    if (s == 0) s = 1;
    for (size_t i = 0; i < n; i++) {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        dst[i] = (uint8_t)s;
    }
}

static void fill_inputs(lt_interpreter *it) {
    int n = lt_interpreter_input_count(it);
    for (int i = 0; i < n; i++) {
        int t = lt_interpreter_input_tensor(it, i);
        lt_tensor_info info;
        if (lt_interpreter_tensor_info(it, t, &info) != LT_OK || info.is_constant) continue;
        uint8_t *p = lt_interpreter_tensor_data(it, t);
        if (p == NULL || info.bytes == 0) continue;
        fill_bytes(p, info.bytes, (uint32_t)i + 1);
    }
}

/* Touches every output's bytes so that ASan checks the pointers and sizes the API reports. */
static void read_outputs(lt_interpreter *it) {
    int n = lt_interpreter_output_count(it);
    volatile uint8_t sink = 0;
    for (int i = 0; i < n; i++) {
        int t = lt_interpreter_output_tensor(it, i);
        lt_tensor_info info;
        if (lt_interpreter_tensor_info(it, t, &info) != LT_OK) continue;
        const uint8_t *p = lt_interpreter_tensor_data(it, t);
        if (p == NULL) continue;
        for (size_t k = 0; k < info.bytes; k++) sink ^= p[k];
    }
    (void)sink;
}

/* Embedded mode on a model that ran: the plan lt_interpreter_plan measures, placed in a
 * caller block of exactly that size (64-byte aligned, as the header asks), so ASan catches a
 * plan that outgrows its own measure. The header promises that size is enough, so a refusal
 * is a bug: abort, which the fuzzer records as a crash. */
static void run_in_caller_memory(const lt_model *model, const lt_options *opts) {
    char msg[256];
    lt_interpreter *it = lt_interpreter_create(model, opts, msg, sizeof msg);
    if (it == NULL) return;
    size_t bytes = 0;
    void *mem = NULL;
    if (lt_interpreter_plan(it, &bytes) == LT_OK && bytes > 0 &&
        bytes <= FUZZ_MAX_MEMORY_BYTES && posix_memalign(&mem, LT_ARENA_ALIGNMENT, bytes) == 0) {
        if (lt_interpreter_allocate_with_arena(it, mem, bytes) != LT_OK) {
            fprintf(stderr, "fuzz: allocate_with_arena refused the %zu bytes plan measured: %s\n",
                    bytes, lt_interpreter_error(it));
            abort();
        }
        fill_inputs(it);
        if (lt_interpreter_invoke(it) == LT_OK) read_outputs(it);
    }
    lt_interpreter_free(it); /* before the memory it uses */
    free(mem);
}

static void copy_message(char *err, size_t err_len, const char *msg) {
    if (err == NULL || err_len == 0) return;
    size_t n = strlen(msg);
    if (n >= err_len) n = err_len - 1;
    memcpy(err, msg, n);
    err[n] = '\0';
}

litert_fuzz_stage litert_fuzz_one(const uint8_t *data, size_t size, char *err, size_t err_len) {
    char msg[256] = "";
    copy_message(err, err_len, "");
    /* malloc(0) may return NULL; keep at least one byte so the copy is never NULL. */
    uint8_t *copy = malloc(size > 0 ? size : 1);
    if (copy == NULL) return LITERT_FUZZ_REJECTED_LOAD;
    if (size > 0) memcpy(copy, data, size);

    litert_fuzz_stage stage = LITERT_FUZZ_REJECTED_LOAD;
    lt_model *model = lt_model_from_buffer(copy, size, msg, sizeof msg);
    if (model == NULL) {
        copy_message(err, err_len, msg);
        free(copy);
        return stage;
    }
    lt_options opts = lt_options_default();
    opts.num_threads = 1;
    opts.max_memory_bytes = FUZZ_MAX_MEMORY_BYTES;
    opts.isa = (size % 2) != 0 ? LT_ISA_PORTABLE : LT_ISA_BEST;
    stage = LITERT_FUZZ_REJECTED_CREATE;
    lt_interpreter *it = lt_interpreter_create(model, &opts, msg, sizeof msg);
    if (it == NULL) {
        copy_message(err, err_len, msg);
    } else {
        if (lt_interpreter_allocate(it) != LT_OK) {
            stage = LITERT_FUZZ_REJECTED_ALLOCATE;
        } else if (lt_interpreter_plan_bytes(it) > FUZZ_MAX_INVOKE_PLAN_BYTES) {
            stage = LITERT_FUZZ_NOT_INVOKED;
            snprintf(msg, sizeof msg, "plan of %zu bytes is over the %zu bytes the fuzz case "
                     "invokes", lt_interpreter_plan_bytes(it), FUZZ_MAX_INVOKE_PLAN_BYTES);
            copy_message(err, err_len, msg);
        } else if (unbounded_work(model)) {
            stage = LITERT_FUZZ_NOT_INVOKED;
            copy_message(err, err_len, "a WHILE or a huge pool window may not finish soon");
        } else {
            stage = LITERT_FUZZ_REJECTED_INVOKE;
            fill_inputs(it);
            if (lt_interpreter_invoke(it) == LT_OK) {
                read_outputs(it);
                /* A second run: state kept between invokes (variables, scratch reuse,
                 * packed weights) must stay valid. */
                if (lt_interpreter_invoke(it) == LT_OK) {
                    read_outputs(it);
                    stage = LITERT_FUZZ_RAN;
                    snprintf(msg, sizeof msg, "plan of %zu bytes", lt_interpreter_plan_bytes(it));
                    copy_message(err, err_len, msg);
                    run_in_caller_memory(model, &opts);
                }
            }
        }
        if (stage != LITERT_FUZZ_RAN && stage != LITERT_FUZZ_NOT_INVOKED)
            copy_message(err, err_len, lt_interpreter_error(it));
        lt_interpreter_free(it);
    }
    lt_model_free(model);
    free(copy);
    return stage;
}
