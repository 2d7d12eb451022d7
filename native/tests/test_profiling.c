/* Per-node profiling through the public C API (lt_interpreter_set_profiling and friends), on
 * a three-node model written in memory: node 0 adds two constants (folded at allocate, so
 * never run by invoke), node 1 adds the input x to that sum, node 2 multiplies by input z.
 * Checks the entries (executed nodes only, in order, op names), the run counts and times
 * against a wall clock, reset, enable/disable at any point, resize, and every error path. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "litert/litert.h"
#include "model_writer.h"
#include "model_writer.c"

#include "check.h"

enum { OP_ADD = 0, OP_MUL = 18 };
enum { OPTS_ADD = 11, OPTS_MUL = 21 };
enum { ACT_NONE = 0, ACT_RELU = 1 };

static const float k_a[3] = {0.5f, -1.25f, 2.0f};
static const float k_b[3] = {1.0f, 0.25f, -3.0f};

/* Tensors: x 0, a 1, b 2, k 3 (= a + b), t 4 (= relu(x + k)), z 5, y 6 (= t * z). */
static uint8_t *build_model(size_t *size) {
    const tm_tensor tensors[7] = {
        {"x", LT_FLOAT32, 2, {2, 3}, NULL, 0},
        {"a", LT_FLOAT32, 1, {3}, k_a, sizeof k_a},
        {"b", LT_FLOAT32, 1, {3}, k_b, sizeof k_b},
        {"k", LT_FLOAT32, 1, {3}, NULL, 0},
        {"t", LT_FLOAT32, 2, {2, 3}, NULL, 0},
        {"z", LT_FLOAT32, 2, {2, 3}, NULL, 0},
        {"y", LT_FLOAT32, 2, {2, 3}, NULL, 0},
    };
    const tm_op ops[3] = {
        {OP_ADD, 2, {1, 2}, 1, {3}, OPTS_ADD, ACT_NONE},
        {OP_ADD, 2, {0, 3}, 1, {4}, OPTS_ADD, ACT_RELU},
        {OP_MUL, 2, {4, 5}, 1, {6}, OPTS_MUL, ACT_NONE},
    };
    const tm_model m = {
        .description = "litert profiling test: relu(x + (a + b)) * z",
        .tensors = tensors, .n_tensors = 7, .ops = ops, .n_ops = 3,
        .n_inputs = 2, .inputs = {0, 5}, .n_outputs = 1, .outputs = {6},
    };
    return tm_build(&m, size);
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

static bool has_message(const lt_interpreter *it) {
    const char *msg = lt_interpreter_error(it);
    return msg != NULL && msg[0] != '\0';
}

static void set_inputs(lt_interpreter *it, int rows) {
    float x[12], z[12];
    for (int i = 0; i < rows * 3; i++) {
        x[i] = (float)(i % 5 - 2) * 0.5f;
        z[i] = (float)(i % 3 + 1);
    }
    size_t bytes = (size_t)rows * 3 * sizeof(float);
    CHECK(lt_interpreter_set_tensor(it, 0, x, bytes) == LT_OK, "set x: %s",
          lt_interpreter_error(it));
    CHECK(lt_interpreter_set_tensor(it, 5, z, bytes) == LT_OK, "set z: %s",
          lt_interpreter_error(it));
}

/* The output against plain C: profiling must not change what is computed. */
static void check_output(lt_interpreter *it, int rows) {
    const float *y = lt_interpreter_tensor_data(it, 6);
    CHECK(y != NULL, "no output data");
    if (y == NULL) return;
    int bad = 0;
    for (int i = 0; i < rows * 3; i++) {
        float x = (float)(i % 5 - 2) * 0.5f, z = (float)(i % 3 + 1);
        float t = x + (k_a[i % 3] + k_b[i % 3]);
        if (t < 0.0f) t = 0.0f;
        if (y[i] != t * z) bad++;
    }
    CHECK(bad == 0, "%d wrong outputs with profiling on", bad);
}

/* The two executed nodes (1 ADD, 2 MUL) with `runs` runs each; returns their total ns. */
static uint64_t check_entries(lt_interpreter *it, uint64_t runs) {
    CHECK(lt_interpreter_profile_count(it) == 2, "profile count %d, expected 2 (node 0 is "
          "folded)", lt_interpreter_profile_count(it));
    static const int nodes[2] = {1, 2};
    static const char *ops[2] = {"ADD", "MUL"};
    uint64_t total = 0;
    for (int i = 0; i < 2; i++) {
        lt_profile_entry e;
        memset(&e, 0, sizeof e);
        CHECK(lt_interpreter_profile_entry(it, i, &e) == LT_OK, "entry %d: %s", i,
              lt_interpreter_error(it));
        CHECK(e.node == nodes[i], "entry %d is node %d, expected %d", i, e.node, nodes[i]);
        CHECK(e.op != NULL && strcmp(e.op, ops[i]) == 0, "entry %d op '%s', expected %s", i,
              e.op ? e.op : "(null)", ops[i]);
        CHECK(e.runs == runs, "entry %d: %llu runs, expected %llu", i,
              (unsigned long long)e.runs, (unsigned long long)runs);
        CHECK((runs == 0) == (e.total_ns == 0), "entry %d: %llu ns over %llu runs", i,
              (unsigned long long)e.total_ns, (unsigned long long)runs);
        total += e.total_ns;
    }
    return total;
}

static void test_profiling(lt_interpreter *it) {
    /* Off by default: nothing to read, and reading says why. */
    CHECK(lt_interpreter_profiling(it) == 0, "profiling on by default");
    CHECK(lt_interpreter_profile_count(it) == 0, "entries while off");
    lt_profile_entry e;
    CHECK(lt_interpreter_profile_entry(it, 0, &e) == LT_ERROR && has_message(it),
          "entry while off should fail with a message");
    CHECK(strstr(lt_interpreter_error(it), "profiling is off") != NULL, "message '%s'",
          lt_interpreter_error(it));
    CHECK(lt_interpreter_profile_reset(it) == LT_ERROR && has_message(it), "reset while off");

    /* On before allocate: no plan yet, so no entries. */
    CHECK(lt_interpreter_set_profiling(it, 1) == LT_OK, "enable: %s", lt_interpreter_error(it));
    CHECK(lt_interpreter_profiling(it) == 1, "profiling not on after enable");
    CHECK(lt_interpreter_profile_count(it) == 0, "entries before allocate");
    CHECK(lt_interpreter_profile_entry(it, 0, &e) == LT_ERROR && has_message(it),
          "entry before allocate should fail");

    CHECK(lt_interpreter_allocate(it) == LT_OK, "allocate: %s", lt_interpreter_error(it));
    check_entries(it, 0);
    set_inputs(it, 2);
    uint64_t start = now_ns();
    for (int r = 0; r < 3; r++)
        CHECK(lt_interpreter_invoke(it) == LT_OK, "invoke: %s", lt_interpreter_error(it));
    uint64_t wall = now_ns() - start;
    uint64_t total = check_entries(it, 3);
    CHECK(total > 0 && total <= wall, "node times sum to %llu ns, wall time %llu ns",
          (unsigned long long)total, (unsigned long long)wall);
    check_output(it, 2);

    /* Enabling again changes nothing; reset zeroes. */
    CHECK(lt_interpreter_set_profiling(it, 1) == LT_OK, "enable twice");
    check_entries(it, 3);
    CHECK(lt_interpreter_profile_reset(it) == LT_OK, "reset: %s", lt_interpreter_error(it));
    check_entries(it, 0);
    CHECK(lt_interpreter_invoke(it) == LT_OK, "invoke after reset");
    check_entries(it, 1);

    /* Out of range and NULL arguments: errors, never crashes. */
    CHECK(lt_interpreter_profile_entry(it, 2, &e) == LT_ERROR && has_message(it), "entry 2");
    CHECK(lt_interpreter_profile_entry(it, -1, &e) == LT_ERROR, "entry -1");
    CHECK(lt_interpreter_profile_entry(it, 0, NULL) == LT_ERROR && has_message(it),
          "NULL entry");

    /* Off: the table is gone; invoke still runs. */
    CHECK(lt_interpreter_set_profiling(it, 0) == LT_OK, "disable");
    CHECK(lt_interpreter_profiling(it) == 0 && lt_interpreter_profile_count(it) == 0,
          "entries after disable");
    CHECK(lt_interpreter_set_profiling(it, 0) == LT_OK, "disable twice");
    CHECK(lt_interpreter_invoke(it) == LT_OK, "invoke with profiling off");
    check_output(it, 2);

    /* On after allocate: the plan is known at once, counts start from zero. */
    CHECK(lt_interpreter_set_profiling(it, 1) == LT_OK, "enable after allocate");
    check_entries(it, 0);
    CHECK(lt_interpreter_invoke(it) == LT_OK, "invoke");
    check_entries(it, 1);

    /* A resize drops the plan (no entries); the next allocate starts from zero. */
    static const int32_t dims[2] = {4, 3};
    CHECK(lt_interpreter_resize_input(it, 0, dims, 2) == LT_OK, "resize x");
    CHECK(lt_interpreter_resize_input(it, 1, dims, 2) == LT_OK, "resize z");
    CHECK(lt_interpreter_profile_count(it) == 0, "entries after resize");
    CHECK(lt_interpreter_allocate(it) == LT_OK, "allocate after resize: %s",
          lt_interpreter_error(it));
    check_entries(it, 0);
    set_inputs(it, 4);
    CHECK(lt_interpreter_invoke(it) == LT_OK, "invoke after resize");
    check_entries(it, 1);
    check_output(it, 4);
}

static void test_null_interpreter(void) {
    lt_profile_entry e;
    CHECK(lt_interpreter_set_profiling(NULL, 1) == LT_ERROR, "enable NULL");
    CHECK(lt_interpreter_set_profiling(NULL, 0) == LT_ERROR, "disable NULL");
    CHECK(lt_interpreter_profiling(NULL) == 0, "profiling(NULL)");
    CHECK(lt_interpreter_profile_reset(NULL) == LT_ERROR, "reset NULL");
    CHECK(lt_interpreter_profile_count(NULL) == 0, "count NULL");
    CHECK(lt_interpreter_profile_entry(NULL, 0, &e) == LT_ERROR, "entry NULL");
}

int main(void) {
    size_t size = 0;
    uint8_t *bytes = build_model(&size);
    CHECK(bytes != NULL, "could not build the model");
    if (bytes == NULL) return 1;
    char err[256];
    lt_model *model = lt_model_from_buffer(bytes, size, err, sizeof err);
    CHECK(model != NULL, "load: %s", err);
    for (int threads = 1; model != NULL && threads <= 2; threads++) {
        lt_options opts = lt_options_default();
        opts.num_threads = threads;
        lt_interpreter *it = lt_interpreter_create(model, &opts, err, sizeof err);
        CHECK(it != NULL, "create: %s", err);
        if (it == NULL) continue;
        test_profiling(it);
        lt_interpreter_free(it); /* with profiling on: frees the table too */
    }
    test_null_interpreter();
    lt_model_free(model);
    free(bytes);
    if (failures == 0) printf("test_profiling: all checks passed\n");
    return failures == 0 ? 0 : 1;
}
