/* The smallest useful program around the runtime on a microcontroller: the model is compiled
 * in as a C array (model_data.h), loaded with lt_model_from_buffer (zero-copy: weights stay in
 * flash), run once on a compiled-in input, and its output compared with what TensorFlow
 * Lite's reference kernels computed for it. Returns 0 when they match.
 *
 * On the Cortex-M build it links with startup_cortex_m.c and cortex_m.ld and prints nothing
 * (no console on bare metal; a debugger reads the result from litert_exit_code), so its size
 * is the runtime's size. Hosted builds compile the same file with LITERT_MIN_MAIN_PRINT as
 * the C test baremetal_min_hosted (run under QEMU in the ARM cross builds). */
#include <stdint.h>
#include <string.h>

#include "litert/litert.h"
#include "model_data.h"

#if defined(LITERT_MIN_MAIN_PRINT)
#include <stdio.h>
#define REPORT(...) printf(__VA_ARGS__)
#else
#define REPORT(...) ((void)0)
#endif

/* Exit codes, distinct so that a debugger (or the test) tells where it stopped. */
enum { MIN_OK = 0, MIN_LOAD_FAILED = 1, MIN_CREATE_FAILED = 2, MIN_RUN_FAILED = 3,
       MIN_WRONG_OUTPUT = 4 };

/* Allocates, runs the model on k_input and checks the output against k_expected. */
static int run(lt_interpreter *it) {
    int8_t out[sizeof k_expected];
    if (lt_interpreter_allocate(it) != LT_OK ||
        lt_interpreter_set_tensor(it, lt_interpreter_input_tensor(it, 0), k_input,
                                  sizeof k_input) != LT_OK ||
        lt_interpreter_invoke(it) != LT_OK ||
        lt_interpreter_get_tensor(it, lt_interpreter_output_tensor(it, 0), out,
                                  sizeof out) != LT_OK) {
        REPORT("error: %s\n", lt_interpreter_error(it));
        return MIN_RUN_FAILED;
    }
    REPORT("output:");
    for (size_t i = 0; i < sizeof out; i++) REPORT(" %d", (int)out[i]);
    REPORT(" (arena %zu bytes)\n", lt_interpreter_arena_bytes(it));
    if (memcmp(out, k_expected, sizeof out) != 0) {
        REPORT("error: the output differs from TensorFlow Lite's reference\n");
        return MIN_WRONG_OUTPUT;
    }
    REPORT("matches TensorFlow Lite's reference output\n");
    return MIN_OK;
}

int main(void) {
    char err[160];
    lt_model *model = lt_model_from_buffer(k_model, sizeof k_model, err, sizeof err);
    if (model == NULL) {
        REPORT("error: %s\n", err);
        return MIN_LOAD_FAILED;
    }
    lt_options opts = lt_options_default(); /* one thread, the best kernels the CPU has */
    lt_interpreter *it = lt_interpreter_create(model, &opts, err, sizeof err);
    if (it == NULL) {
        REPORT("error: %s\n", err);
        lt_model_free(model);
        return MIN_CREATE_FAILED;
    }
    REPORT("kernels: isa level %d\n", lt_interpreter_isa(it));
    const int result = run(it);
    lt_interpreter_free(it);
    lt_model_free(model);
    return result;
}
