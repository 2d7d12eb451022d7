/* Bad calls through the public C API (litert.h): each one returns an error with a message, or
 * a documented value, and leaves the interpreter usable; none crashes, leaks or touches memory
 * it should not (this test runs under ASan + UBSan in tests/test_c_suite.py).
 *
 * Covered: NULL for every handle and every pointer argument, an `err` buffer that is NULL,
 * empty or one byte long; calls out of order (invoke, set, get before allocate; invoke after a
 * resize without allocate; everything after a failed allocate, after lt_interpreter_plan and
 * after an arena that is too small); indices out of range (tensors, inputs, outputs, nodes,
 * profile entries, signatures) including INT_MIN and INT_MAX; bad shapes (negative, rank < 0
 * or > 8, byte counts that overflow size_t); wrong byte counts in set/get (0, one off,
 * SIZE_MAX); zero-size tensors; NaN and Inf inputs; odd options (thread counts, ISA levels,
 * a tiny memory cap, half-set allocator hooks); and an allocator that fails at every
 * allocation in turn, through load, create, allocate and invoke.
 *
 * The C API cannot detect a handle used after lt_*_free (the memory is gone): what it promises
 * instead is that NULL handles are errors and that lt_*_free(NULL) does nothing. */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "litert/litert.h"
#include "model_writer.h"
#include "model_writer.c"

/* Under AddressSanitizer a request for more memory than it supports aborts the process, where
 * libc's allocator returns NULL: make ASan behave like libc for the huge shapes below. */
#if defined(__SANITIZE_ADDRESS__)
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "allocator_may_return_null=1"; }
#endif

#include "check.h"

enum { OP_ADD = 0, OP_MUL = 18, OPTS_ADD = 11, OPTS_MUL = 21, ACT_NONE = 0 };

static const float k_c[3] = {0.5f, -1.25f, 2.0f};

/* y = (x + c) * z: x, z float32 [2,3] inputs, c a float32 [3] constant, t [2,3] in the
 * arena, y the output. Tensors: x 0, c 1, z 2, t 3, y 4. */
static uint8_t *build_model(size_t *size) {
    const tm_tensor tensors[5] = {
        {"x", LT_FLOAT32, 2, {2, 3}, NULL, 0},
        {"c", LT_FLOAT32, 1, {3}, k_c, sizeof k_c},
        {"z", LT_FLOAT32, 2, {2, 3}, NULL, 0},
        {"t", LT_FLOAT32, 2, {2, 3}, NULL, 0},
        {"y", LT_FLOAT32, 2, {2, 3}, NULL, 0},
    };
    const tm_op ops[2] = {
        {OP_ADD, 2, {0, 1}, 1, {3}, OPTS_ADD, ACT_NONE},
        {OP_MUL, 2, {3, 2}, 1, {4}, OPTS_MUL, ACT_NONE},
    };
    const tm_model m = {
        .description = "litert bad calls test: (x + c) * z",
        .tensors = tensors, .n_tensors = 5, .ops = ops, .n_ops = 2,
        .n_inputs = 2, .inputs = {0, 2}, .n_outputs = 1, .outputs = {4},
        .signature_key = "serving_default",
        .n_sig_inputs = 2, .sig_inputs = {{"x_in", 0}, {"z_in", 2}},
        .n_sig_outputs = 1, .sig_outputs = {{"y_out", 4}},
    };
    return tm_build(&m, size);
}

enum { T_X = 0, T_C = 1, T_Z = 2, T_T = 3, T_Y = 4, N_TENSORS = 5 };

static bool has_message(const char *msg) { return msg != NULL && msg[0] != '\0'; }

static bool message_has(const lt_interpreter *it, const char *part) {
    return strstr(lt_interpreter_error(it), part) != NULL;
}

/* Runs one batch of `rows` rows and checks y = (x + c) * z exactly (finite inputs). */
static void check_runs(lt_interpreter *it, int rows, const char *when) {
    float x[12], z[12], y[12];
    const size_t bytes = (size_t)rows * 3 * sizeof(float);
    for (int i = 0; i < rows * 3; i++) {
        x[i] = (float)(i % 7) - 3.0f;
        z[i] = 0.5f * (float)(i % 5);
    }
    CHECK(lt_interpreter_set_tensor(it, T_X, x, bytes) == LT_OK, "%s: set x: %s", when,
          lt_interpreter_error(it));
    CHECK(lt_interpreter_set_tensor(it, T_Z, z, bytes) == LT_OK, "%s: set z: %s", when,
          lt_interpreter_error(it));
    CHECK(lt_interpreter_invoke(it) == LT_OK, "%s: invoke: %s", when, lt_interpreter_error(it));
    CHECK(lt_interpreter_get_tensor(it, T_Y, y, bytes) == LT_OK, "%s: get y: %s", when,
          lt_interpreter_error(it));
    int wrong = 0;
    for (int i = 0; i < rows * 3; i++)
        if (y[i] != (x[i] + k_c[i % 3]) * z[i]) wrong++;
    CHECK(wrong == 0, "%s: %d wrong outputs", when, wrong);
}

static lt_interpreter *make(const lt_model *model, const lt_options *opts) {
    char err[256];
    lt_interpreter *it = lt_interpreter_create(model, opts, err, sizeof err);
    CHECK(it != NULL, "create: %s", err);
    return it;
}

/* ---- NULL handles and NULL pointers ------------------------------------------------------ */

static void test_null_handles(void) {
    char err[128];
    lt_tensor_info info;
    lt_profile_entry entry;
    float data[6] = {0};
    size_t bytes = 123;
    const int32_t dims[2] = {2, 3};

    lt_model_free(NULL);
    lt_interpreter_free(NULL);
    CHECK(lt_model_subgraph_count(NULL) == 0, "subgraph_count(NULL)");
    CHECK(lt_model_description(NULL) != NULL, "description(NULL) is NULL");
    CHECK(lt_model_signature_count(NULL) == 0, "signature_count(NULL)");
    CHECK(lt_model_signature_key(NULL, 0) == NULL, "signature_key(NULL)");
    CHECK(lt_model_signature_subgraph(NULL, 0) == -1, "signature_subgraph(NULL)");
    CHECK(lt_model_signature_io_count(NULL, 0, 0) == 0, "signature_io_count(NULL)");
    CHECK(lt_model_signature_io_name(NULL, 0, 0, 0) == NULL, "signature_io_name(NULL)");
    CHECK(lt_model_signature_io_tensor(NULL, 0, 0, 0) == -1, "signature_io_tensor(NULL)");

    CHECK(lt_interpreter_create(NULL, NULL, err, sizeof err) == NULL && has_message(err),
          "create(NULL model)");
    CHECK(lt_interpreter_create(NULL, NULL, NULL, 0) == NULL, "create(NULL, no err buffer)");
    CHECK(lt_interpreter_create_bytes(NULL, &bytes, err, sizeof err) == LT_ERROR &&
              has_message(err), "create_bytes(NULL model)");
    char memory[256];
    CHECK(lt_interpreter_create_in(NULL, NULL, memory, sizeof memory, err, sizeof err) == NULL &&
              has_message(err), "create_in(NULL model)");

    CHECK(lt_interpreter_error(NULL) != NULL, "error(NULL) is NULL");
    CHECK(lt_interpreter_isa(NULL) == LT_ISA_PORTABLE, "isa(NULL)");
    CHECK(lt_interpreter_tensor_count(NULL) == 0, "tensor_count(NULL)");
    CHECK(lt_interpreter_input_count(NULL) == 0, "input_count(NULL)");
    CHECK(lt_interpreter_output_count(NULL) == 0, "output_count(NULL)");
    CHECK(lt_interpreter_node_count(NULL) == 0, "node_count(NULL)");
    CHECK(lt_interpreter_input_tensor(NULL, 0) == -1, "input_tensor(NULL)");
    CHECK(lt_interpreter_output_tensor(NULL, 0) == -1, "output_tensor(NULL)");
    CHECK(lt_interpreter_find_tensor(NULL, "x") == -1, "find_tensor(NULL)");
    CHECK(lt_interpreter_node_op(NULL, 0) == -1, "node_op(NULL)");
    CHECK(lt_interpreter_node_op_name(NULL, 0) == NULL, "node_op_name(NULL)");
    CHECK(lt_interpreter_resize_input(NULL, 0, dims, 2) == LT_ERROR, "resize(NULL)");
    CHECK(lt_interpreter_allocate(NULL) == LT_ERROR, "allocate(NULL)");
    CHECK(lt_interpreter_allocate_with_arena(NULL, memory, sizeof memory) == LT_ERROR,
          "allocate_with_arena(NULL)");
    CHECK(lt_interpreter_plan(NULL, &bytes) == LT_ERROR, "plan(NULL)");
    CHECK(lt_interpreter_plan_bytes(NULL) == 0, "plan_bytes(NULL)");
    CHECK(lt_interpreter_invoke(NULL) == LT_ERROR, "invoke(NULL)");
    CHECK(lt_interpreter_arena_bytes(NULL) == 0, "arena_bytes(NULL)");
    CHECK(lt_interpreter_tensor_info(NULL, 0, &info) == LT_ERROR, "tensor_info(NULL)");
    CHECK(lt_interpreter_tensor_data(NULL, 0) == NULL, "tensor_data(NULL)");
    CHECK(lt_interpreter_set_tensor(NULL, 0, data, sizeof data) == LT_ERROR, "set(NULL)");
    CHECK(lt_interpreter_get_tensor(NULL, 0, data, sizeof data) == LT_ERROR, "get(NULL)");
    CHECK(lt_interpreter_set_profiling(NULL, 1) == LT_ERROR, "set_profiling(NULL)");
    CHECK(lt_interpreter_profiling(NULL) == 0, "profiling(NULL)");
    CHECK(lt_interpreter_profile_reset(NULL) == LT_ERROR, "profile_reset(NULL)");
    CHECK(lt_interpreter_profile_count(NULL) == 0, "profile_count(NULL)");
    CHECK(lt_interpreter_profile_entry(NULL, 0, &entry) == LT_ERROR, "profile_entry(NULL)");

    CHECK(lt_type_name_of((lt_type)-1) != NULL, "type name of -1 is NULL");
    CHECK(lt_type_name_of((lt_type)1000) != NULL, "type name of 1000 is NULL");
    CHECK(strcmp(lt_isa_name(-7), "unknown") == 0, "isa_name(-7)");
    CHECK(strcmp(lt_isa_name(INT_MAX), "unknown") == 0, "isa_name(INT_MAX)");
    CHECK(lt_isa_supported(-1) == 0 && lt_isa_supported(INT_MAX) == 0, "isa_supported(bad)");
    CHECK(lt_version() != NULL && lt_version()[0] != '\0', "version");
}

/* Every loading and creating call with NULL or tiny error buffers, NULL data and paths. */
static void test_load_arguments(const uint8_t *bytes, size_t size) {
    char err[64];
    char one[1] = {'x'};
    CHECK(lt_model_from_buffer(NULL, size, err, sizeof err) == NULL && has_message(err),
          "NULL buffer");
    CHECK(lt_model_from_buffer(NULL, 0, NULL, 0) == NULL, "NULL buffer, no err");
    CHECK(lt_model_from_buffer(bytes, 0, err, sizeof err) == NULL && has_message(err),
          "0 bytes");
    CHECK(lt_model_from_buffer(bytes, 7, one, sizeof one) == NULL && one[0] == '\0',
          "1-byte err buffer holds only the terminator");
    CHECK(lt_model_from_buffer(bytes, size - 1, err, 0) == NULL, "err_len 0");
    CHECK(lt_model_from_buffer(bytes, (size_t)UINT32_MAX + 1, err, sizeof err) == NULL &&
              has_message(err), "size past 4 GiB refused before reading");
    CHECK(lt_model_from_file(NULL, err, sizeof err) == NULL && has_message(err), "NULL path");
    CHECK(lt_model_from_file("", err, sizeof err) == NULL && has_message(err), "empty path");
    CHECK(lt_model_from_file("/", NULL, 0) == NULL, "a directory, no err");
    CHECK(lt_model_from_file("/nonexistent/model.tflite", err, sizeof err) == NULL &&
              has_message(err), "missing file");
    /* A long message is cut to the buffer, terminated. */
    char small[8];
    memset(small, 'z', sizeof small);
    CHECK(lt_model_from_file("/nonexistent/a/very/long/path/model.tflite", small,
                             sizeof small) == NULL && memchr(small, '\0', sizeof small) != NULL,
          "message not terminated in an 8-byte buffer");

    lt_model *model = lt_model_from_buffer(bytes, size, NULL, 0);
    CHECK(model != NULL, "load with no err buffer");
    if (model == NULL) return;
    CHECK(lt_model_signature_key(model, -1) == NULL && lt_model_signature_key(model, 1) == NULL,
          "signature key out of range");
    CHECK(lt_model_signature_key(model, INT_MIN) == NULL, "signature key INT_MIN");
    CHECK(lt_model_signature_io_name(model, 0, 0, 2) == NULL, "signature input 2");
    CHECK(lt_model_signature_io_name(model, 0, 1, -1) == NULL, "signature output -1");
    CHECK(lt_model_signature_io_tensor(model, 0, 7, 0) == 4, "is_output != 0 means outputs");
    CHECK(lt_model_signature_io_count(model, INT_MAX, 0) == 0, "signature INT_MAX");

    size_t need = 0;
    CHECK(lt_interpreter_create_bytes(model, NULL, err, sizeof err) == LT_ERROR &&
              has_message(err), "create_bytes into NULL");
    CHECK(lt_interpreter_create_bytes(model, &need, NULL, 0) == LT_OK && need > 0,
          "create_bytes");
    CHECK(lt_interpreter_create_in(model, NULL, NULL, need, err, sizeof err) == NULL &&
              has_message(err), "create_in(NULL memory)");
    uint8_t *memory = malloc(need + 64);
    if (memory != NULL) {
        CHECK(lt_interpreter_create_in(model, NULL, memory, need / 2, err, sizeof err) == NULL &&
                  has_message(err), "create_in with half the memory");
        CHECK(lt_interpreter_create_in(model, NULL, memory, 0, NULL, 0) == NULL,
              "create_in with 0 bytes");
        /* Unaligned memory of exactly `need` bytes loses its alignment gap: too small. */
        lt_interpreter *unaligned =
            lt_interpreter_create_in(model, NULL, memory + 1, need, err, sizeof err);
        CHECK(unaligned == NULL || lt_interpreter_tensor_count(unaligned) == N_TENSORS,
              "create_in on unaligned memory");
        lt_interpreter_free(unaligned);
        lt_interpreter *in = lt_interpreter_create_in(model, NULL, memory, need + 64, err,
                                                      sizeof err);
        CHECK(in != NULL, "create_in: %s", err);
        /* No room left for the plan: allocate fails with the bytes needed, nothing broken. */
        CHECK(in == NULL || (lt_interpreter_allocate(in) == LT_ERROR &&
                             message_has(in, "too small")),
              "allocate in memory with no room for the plan");
        CHECK(in == NULL || lt_interpreter_invoke(in) == LT_ERROR, "invoke after that");
        lt_interpreter_free(in);
        free(memory);
    }
    lt_model_free(model);
}

/* NULL out-pointers and NULL names on a live interpreter. */
static void test_null_arguments(lt_interpreter *it) {
    CHECK(lt_interpreter_tensor_info(it, 0, NULL) == LT_ERROR, "tensor_info into NULL");
    CHECK(lt_interpreter_find_tensor(it, NULL) == -1, "find_tensor(NULL name)");
    CHECK(lt_interpreter_find_tensor(it, "") == -1, "find_tensor(\"\")");
    CHECK(lt_interpreter_find_tensor(it, "t") == T_T, "find_tensor(t)");
    CHECK(lt_interpreter_plan(it, NULL) == LT_ERROR && has_message(lt_interpreter_error(it)),
          "plan into NULL");
    CHECK(lt_interpreter_profile_entry(it, 0, NULL) == LT_ERROR, "profile_entry into NULL");
    CHECK(lt_interpreter_resize_input(it, 0, NULL, 2) == LT_ERROR, "resize with NULL dims");
    float six[6] = {0};
    CHECK(lt_interpreter_set_tensor(it, T_X, NULL, sizeof six) == LT_ERROR,
          "set from NULL");
    CHECK(lt_interpreter_get_tensor(it, T_Y, NULL, sizeof six) == LT_ERROR, "get into NULL");
    CHECK(lt_interpreter_allocate_with_arena(it, NULL, 4096) == LT_ERROR &&
              message_has(it, "NULL"), "allocate_with_arena(NULL)");
    /* That call dropped the plan; a fresh allocate brings it back. */
    CHECK(lt_interpreter_invoke(it) == LT_ERROR, "invoke after a failed allocate");
    CHECK(lt_interpreter_allocate(it) == LT_OK, "allocate: %s", lt_interpreter_error(it));
    check_runs(it, 2, "after NULL arguments");
}

/* ---- Calls out of order ----------------------------------------------------------------- */

static void test_out_of_order(const lt_model *model) {
    lt_interpreter *it = make(model, NULL);
    if (it == NULL) return;
    float six[6] = {0};
    lt_profile_entry entry;

    CHECK(lt_interpreter_invoke(it) == LT_ERROR && message_has(it, "allocate"),
          "invoke before allocate");
    CHECK(lt_interpreter_set_tensor(it, T_X, six, sizeof six) == LT_ERROR &&
              message_has(it, "'x'"), "set before allocate");
    CHECK(lt_interpreter_get_tensor(it, T_Y, six, sizeof six) == LT_ERROR &&
              message_has(it, "'y'"), "get before allocate");
    CHECK(lt_interpreter_tensor_data(it, T_T) == NULL, "data before allocate");
    CHECK(lt_interpreter_tensor_data(it, T_C) != NULL, "constants have data from the start");
    CHECK(lt_interpreter_profile_count(it) == 0, "profile count before allocate");
    CHECK(lt_interpreter_profile_entry(it, 0, &entry) == LT_ERROR, "profile entry, off");
    CHECK(lt_interpreter_profile_reset(it) == LT_ERROR, "profile reset while off");
    CHECK(lt_interpreter_set_profiling(it, 0) == LT_OK, "profiling off while off");
    CHECK(lt_interpreter_set_profiling(it, 1) == LT_OK, "profiling on before allocate");
    CHECK(lt_interpreter_set_profiling(it, 1) == LT_OK, "profiling on twice");
    CHECK(lt_interpreter_profile_entry(it, 0, &entry) == LT_ERROR &&
              message_has(it, "allocate"), "profile entry before allocate");

    /* plan measures and leaves the interpreter unallocated. */
    size_t plan = 0;
    CHECK(lt_interpreter_plan(it, &plan) == LT_OK && plan > 0, "plan: %s",
          lt_interpreter_error(it));
    CHECK(lt_interpreter_invoke(it) == LT_ERROR, "invoke after plan");
    CHECK(lt_interpreter_plan_bytes(it) == 0, "plan_bytes after plan");

    /* An arena one byte short: error naming the size, nothing kept. */
    uint8_t *arena = malloc(plan + 2 * LT_ARENA_ALIGNMENT);
    if (arena != NULL) {
        uint8_t *aligned = arena + (LT_ARENA_ALIGNMENT -
                                    (uintptr_t)arena % LT_ARENA_ALIGNMENT) % LT_ARENA_ALIGNMENT;
        CHECK(lt_interpreter_allocate_with_arena(it, aligned, plan - 1) == LT_ERROR &&
                  message_has(it, "too small"), "arena one byte short");
        CHECK(lt_interpreter_invoke(it) == LT_ERROR, "invoke after a short arena");
        CHECK(lt_interpreter_set_tensor(it, T_X, six, sizeof six) == LT_ERROR,
              "set after a short arena");
        CHECK(lt_interpreter_allocate_with_arena(it, aligned, 0) == LT_ERROR, "arena of 0");
        CHECK(lt_interpreter_allocate_with_arena(it, aligned, plan) == LT_OK,
              "arena of the planned size: %s", lt_interpreter_error(it));
        check_runs(it, 2, "in the caller's arena");
        /* Back to the heap before the arena goes away. */
        CHECK(lt_interpreter_allocate(it) == LT_OK, "allocate: %s", lt_interpreter_error(it));
        free(arena);
    }
    check_runs(it, 2, "on the heap");
    CHECK(lt_interpreter_allocate(it) == LT_OK, "allocate twice");
    CHECK(lt_interpreter_profile_count(it) == 2, "two nodes profiled");
    CHECK(lt_interpreter_profile_entry(it, 2, &entry) == LT_ERROR, "profile entry 2");
    CHECK(lt_interpreter_profile_entry(it, -1, &entry) == LT_ERROR, "profile entry -1");
    CHECK(lt_interpreter_profile_entry(it, INT_MIN, &entry) == LT_ERROR, "profile INT_MIN");
    check_runs(it, 2, "after allocating twice");
    CHECK(lt_interpreter_invoke(it) == LT_OK, "invoke twice");

    /* Resize to a new shape, then invoke without allocate. */
    const int32_t three[2] = {3, 3};
    CHECK(lt_interpreter_resize_input(it, 0, three, 2) == LT_OK, "resize x");
    CHECK(lt_interpreter_invoke(it) == LT_ERROR && message_has(it, "allocate"),
          "invoke after resize without allocate");
    CHECK(lt_interpreter_tensor_data(it, T_X) == NULL, "x has no data after the resize");
    CHECK(lt_interpreter_set_tensor(it, T_X, six, sizeof six) == LT_ERROR,
          "set after resize without allocate");
    CHECK(lt_interpreter_profile_count(it) == 0, "profile count after resize");
    /* x [3,3] and z [2,3] do not broadcast: allocate fails, naming the op. */
    CHECK(lt_interpreter_allocate(it) == LT_ERROR && has_message(lt_interpreter_error(it)),
          "allocate with mismatched inputs");
    CHECK(lt_interpreter_invoke(it) == LT_ERROR, "invoke after a failed allocate");
    CHECK(lt_interpreter_get_tensor(it, T_Y, six, sizeof six) == LT_ERROR,
          "get after a failed allocate");
    CHECK(lt_interpreter_resize_input(it, 1, three, 2) == LT_OK, "resize z");
    CHECK(lt_interpreter_allocate(it) == LT_OK, "allocate: %s", lt_interpreter_error(it));
    check_runs(it, 3, "batch 3");
    CHECK(lt_interpreter_set_profiling(it, 0) == LT_OK, "profiling off");
    CHECK(lt_interpreter_profile_reset(it) == LT_ERROR, "reset after off");
    lt_interpreter_free(it);
}

/* ---- Indices, shapes, sizes ------------------------------------------------------------- */

static void test_indices(lt_interpreter *it) {
    const int bad[] = {-1, N_TENSORS, N_TENSORS + 1, INT_MAX, INT_MIN};
    float six[6] = {0};
    lt_tensor_info info;
    const int32_t dims[2] = {2, 3};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        int i = bad[k];
        CHECK(lt_interpreter_tensor_info(it, i, &info) == LT_ERROR &&
                  message_has(it, "out of range"), "tensor_info(%d)", i);
        CHECK(lt_interpreter_tensor_data(it, i) == NULL, "tensor_data(%d)", i);
        CHECK(lt_interpreter_set_tensor(it, i, six, sizeof six) == LT_ERROR, "set(%d)", i);
        CHECK(lt_interpreter_get_tensor(it, i, six, sizeof six) == LT_ERROR, "get(%d)", i);
        CHECK(lt_interpreter_node_op(it, i) == -1 && lt_interpreter_node_op_name(it, i) == NULL,
              "node %d", i);
        CHECK(lt_interpreter_input_tensor(it, i) == -1, "input_tensor(%d)", i);
        CHECK(lt_interpreter_output_tensor(it, i) == -1, "output_tensor(%d)", i);
        CHECK(lt_interpreter_resize_input(it, i, dims, 2) == LT_ERROR &&
                  message_has(it, "out of range"), "resize input %d", i);
    }
    CHECK(lt_interpreter_input_tensor(it, 2) == -1, "input 2");
    CHECK(lt_interpreter_output_tensor(it, 1) == -1, "output 1");
    CHECK(lt_interpreter_node_op(it, 2) == -1, "node 2");
    check_runs(it, 2, "after bad indices");
}

static void test_shapes(lt_interpreter *it) {
    static const int32_t negative[2] = {2, -3}, min[2] = {INT32_MIN, 3};
    static const int32_t nine[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    static const int32_t huge8[8] = {INT32_MAX, INT32_MAX, INT32_MAX, INT32_MAX,
                                     INT32_MAX, INT32_MAX, INT32_MAX, INT32_MAX};
    static const int32_t big2[2] = {20000, 20000};
    static const int32_t ok[2] = {2, 3};
    CHECK(lt_interpreter_resize_input(it, 0, negative, 2) == LT_ERROR &&
              message_has(it, "negative"), "negative dimension");
    CHECK(lt_interpreter_resize_input(it, 0, min, 2) == LT_ERROR, "INT32_MIN dimension");
    CHECK(lt_interpreter_resize_input(it, 0, nine, 9) == LT_ERROR &&
              message_has(it, "rank 9"), "rank 9");
    CHECK(lt_interpreter_resize_input(it, 0, nine, INT_MAX) == LT_ERROR, "rank INT_MAX");
    CHECK(lt_interpreter_resize_input(it, 0, nine, -1) == LT_ERROR, "rank -1");
    CHECK(lt_interpreter_resize_input(it, 0, nine, INT_MIN) == LT_ERROR, "rank INT_MIN");
    CHECK(lt_interpreter_resize_input(it, 0, huge8, 8) == LT_ERROR &&
              message_has(it, "size"), "byte count past size_t");
    /* The failed resizes kept the plan: the interpreter still runs without allocate. */
    check_runs(it, 2, "after refused resizes");

    /* A shape that fits size_t (32-bit too: 1.6e9 bytes) but not the memory cap: refused at
     * allocate, naming x. */
    CHECK(lt_interpreter_resize_input(it, 0, big2, 2) == LT_OK, "resize to 20000 x 20000");
    CHECK(lt_interpreter_resize_input(it, 1, big2, 2) == LT_OK, "resize z too");
    CHECK(lt_interpreter_allocate(it) == LT_ERROR && message_has(it, "memory cap"),
          "allocate beyond the memory cap");
    float six[6];
    CHECK(lt_interpreter_set_tensor(it, T_X, six, sizeof six) == LT_ERROR, "set after that");
    CHECK(lt_interpreter_get_tensor(it, T_Y, six, SIZE_MAX) == LT_ERROR, "get SIZE_MAX");
    CHECK(lt_interpreter_resize_input(it, 0, ok, 2) == LT_OK, "resize back x");
    CHECK(lt_interpreter_resize_input(it, 1, ok, 2) == LT_OK, "resize back z");
    CHECK(lt_interpreter_allocate(it) == LT_OK, "allocate: %s", lt_interpreter_error(it));
    check_runs(it, 2, "after a refused allocate");
}

static void test_sizes(lt_interpreter *it) {
    float buf[8] = {0};
    const size_t good = 6 * sizeof(float);
    const size_t sizes[] = {0, 1, good - 1, good + 1, sizeof buf, SIZE_MAX, SIZE_MAX / 2 + 1};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        size_t n = sizes[k];
        CHECK(lt_interpreter_set_tensor(it, T_X, buf, n) == LT_ERROR &&
                  message_has(it, "bytes"), "set with %zu bytes", n);
        CHECK(lt_interpreter_get_tensor(it, T_Y, buf, n) == LT_ERROR &&
                  message_has(it, "bytes"), "get with %zu bytes", n);
    }
    CHECK(lt_interpreter_set_tensor(it, T_C, k_c, sizeof k_c) == LT_ERROR &&
              message_has(it, "constant"), "set a constant");
    float c[3];
    CHECK(lt_interpreter_get_tensor(it, T_C, c, sizeof c) == LT_OK &&
              memcmp(c, k_c, sizeof c) == 0, "the constant reads back unchanged");
    /* Writing an intermediate or an output is allowed (it is overwritten by invoke). */
    CHECK(lt_interpreter_set_tensor(it, T_T, buf, good) == LT_OK, "set t: %s",
          lt_interpreter_error(it));
    CHECK(lt_interpreter_set_tensor(it, T_Y, buf, good) == LT_OK, "set y: %s",
          lt_interpreter_error(it));
    check_runs(it, 2, "after bad sizes");
}

/* ---- Values: zero-size tensors, NaN and Inf --------------------------------------------- */

static void test_zero_size(lt_interpreter *it) {
    static const int32_t empty[2] = {0, 3}, ok[2] = {2, 3};
    CHECK(lt_interpreter_resize_input(it, 0, empty, 2) == LT_OK, "resize x to [0,3]");
    CHECK(lt_interpreter_resize_input(it, 1, empty, 2) == LT_OK, "resize z to [0,3]");
    CHECK(lt_interpreter_allocate(it) == LT_OK, "allocate [0,3]: %s", lt_interpreter_error(it));
    lt_tensor_info info;
    CHECK(lt_interpreter_tensor_info(it, T_Y, &info) == LT_OK && info.bytes == 0 &&
              info.rank == 2 && info.dims[0] == 0 && info.dims[1] == 3, "y is [0,3]");
    float one = 1.0f;
    CHECK(lt_interpreter_set_tensor(it, T_X, NULL, 0) == LT_OK, "set 0 bytes from NULL: %s",
          lt_interpreter_error(it));
    CHECK(lt_interpreter_set_tensor(it, T_Z, &one, 0) == LT_OK, "set 0 bytes: %s",
          lt_interpreter_error(it));
    CHECK(lt_interpreter_set_tensor(it, T_X, &one, sizeof one) == LT_ERROR,
          "set 4 bytes into an empty tensor");
    CHECK(lt_interpreter_invoke(it) == LT_OK, "invoke [0,3]: %s", lt_interpreter_error(it));
    CHECK(lt_interpreter_get_tensor(it, T_Y, NULL, 0) == LT_OK, "get 0 bytes into NULL: %s",
          lt_interpreter_error(it));
    CHECK(lt_interpreter_get_tensor(it, T_Y, &one, sizeof one) == LT_ERROR,
          "get 4 bytes from an empty tensor");

    /* x a scalar (rank 0, dims NULL): x + c is [3], times z [0,3] is [0,3]. Whether the
     * kernels take it or refuse it at allocate, the result is defined. */
    CHECK(lt_interpreter_resize_input(it, 0, NULL, 0) == LT_OK, "resize x to a scalar");
    if (lt_interpreter_allocate(it) == LT_OK) {
        float s = 2.0f;
        CHECK(lt_interpreter_set_tensor(it, T_X, &s, sizeof s) == LT_OK, "set scalar");
        CHECK(lt_interpreter_invoke(it) == LT_OK, "invoke scalar: %s", lt_interpreter_error(it));
    } else {
        CHECK(has_message(lt_interpreter_error(it)), "no message for a scalar x");
    }
    CHECK(lt_interpreter_resize_input(it, 0, ok, 2) == LT_OK, "resize back x");
    CHECK(lt_interpreter_resize_input(it, 1, ok, 2) == LT_OK, "resize back z");
    CHECK(lt_interpreter_allocate(it) == LT_OK, "allocate: %s", lt_interpreter_error(it));
    check_runs(it, 2, "after zero-size shapes");
}

static void test_nan_inf(lt_interpreter *it) {
    const float inf = INFINITY, nan = NAN;
    const float x[6] = {nan, inf, -inf, 1.0f, inf, 2.0f};
    const float z[6] = {1.0f, 2.0f, 1.0f, nan, 0.0f, -inf};
    float y[6];
    CHECK(lt_interpreter_set_tensor(it, T_X, x, sizeof x) == LT_OK, "set x");
    CHECK(lt_interpreter_set_tensor(it, T_Z, z, sizeof z) == LT_OK, "set z");
    CHECK(lt_interpreter_invoke(it) == LT_OK, "invoke with NaN/Inf: %s",
          lt_interpreter_error(it));
    CHECK(lt_interpreter_get_tensor(it, T_Y, y, sizeof y) == LT_OK, "get y");
    /* IEEE arithmetic, element by element: (x + c) * z. */
    CHECK(isnan(y[0]), "NaN + c stays NaN, got %g", (double)y[0]);
    CHECK(isinf(y[1]) && y[1] > 0, "(inf + c) * 2 is +inf, got %g", (double)y[1]);
    CHECK(isinf(y[2]) && y[2] < 0, "(-inf + c) * 1 is -inf, got %g", (double)y[2]);
    CHECK(isnan(y[3]), "finite * NaN is NaN, got %g", (double)y[3]);
    CHECK(isnan(y[4]), "inf * 0 is NaN, got %g", (double)y[4]);
    CHECK(isinf(y[5]) && y[5] < 0, "(2 + 2) * -inf is -inf, got %g", (double)y[5]);
    check_runs(it, 2, "after NaN/Inf");
}

/* ---- Allocation failures ---------------------------------------------------------------- */

/* Hooks that fail the n-th allocation (counting from 0) and count what is live. */
typedef struct failing_heap {
    int fail_at;
    int calls;
    int live;
} failing_heap;

static void *failing_malloc(void *user, size_t bytes) {
    failing_heap *h = user;
    if (h->calls++ == h->fail_at) return NULL;
    void *p = malloc(bytes);
    if (p != NULL) h->live++;
    return p;
}

static void failing_free(void *user, void *ptr) {
    failing_heap *h = user;
    if (ptr != NULL) h->live--;
    free(ptr);
}

/* ---- Options ---------------------------------------------------------------------------- */

static void test_options(const lt_model *model) {
    char err[256];
    lt_options opts = lt_options_default();
    const int threads[] = {-100, 0, 1, 3};
    for (size_t k = 0; k < sizeof threads / sizeof threads[0]; k++) {
        opts = lt_options_default();
        opts.num_threads = threads[k];
        lt_interpreter *it = lt_interpreter_create(model, &opts, err, sizeof err);
        CHECK(it != NULL, "num_threads %d: %s", threads[k], err);
        if (it == NULL) continue;
        CHECK(lt_interpreter_allocate(it) == LT_OK, "allocate: %s", lt_interpreter_error(it));
        check_runs(it, 2, "odd thread counts");
        lt_interpreter_free(it);
    }
#if defined(LT_MAX_THREADS)
    /* A thread count no machine has is refused at create, before any thread starts. */
    const int too_many[] = {LT_MAX_THREADS + 1, INT_MAX};
    for (size_t k = 0; k < sizeof too_many / sizeof too_many[0]; k++) {
        opts = lt_options_default();
        opts.num_threads = too_many[k];
        CHECK(lt_interpreter_create(model, &opts, err, sizeof err) == NULL &&
                  strstr(err, "num_threads") != NULL, "num_threads %d accepted", too_many[k]);
    }
#endif
    /* set_tensor from the tensor's own memory (a binding's view of it) keeps the values. */
    opts = lt_options_default();
    lt_interpreter *self_copy = make(model, &opts);
    if (self_copy != NULL && lt_interpreter_allocate(self_copy) == LT_OK) {
        const float x[6] = {1, 2, 3, 4, 5, 6};
        float back[6];
        CHECK(lt_interpreter_set_tensor(self_copy, T_X, x, sizeof x) == LT_OK, "set x");
        const void *own = lt_interpreter_tensor_data(self_copy, T_X);
        CHECK(lt_interpreter_set_tensor(self_copy, T_X, own, sizeof x) == LT_OK &&
                  lt_interpreter_get_tensor(self_copy, T_X, back, sizeof back) == LT_OK &&
                  memcmp(back, x, sizeof x) == 0, "set from the tensor's own memory");
    }
    lt_interpreter_free(self_copy);
    const int isas[] = {-1, 7, INT_MAX, INT_MIN};
    for (size_t k = 0; k < sizeof isas / sizeof isas[0]; k++) {
        opts = lt_options_default();
        opts.isa = isas[k];
        CHECK(lt_interpreter_create(model, &opts, err, sizeof err) == NULL &&
                  strstr(err, "isa") != NULL, "isa %d accepted", isas[k]);
    }
    /* A level of the other architecture's ladder means portable. */
    opts = lt_options_default();
    opts.isa = LT_ISA_NEON_DOTPROD;
    lt_interpreter *it = lt_interpreter_create(model, &opts, err, sizeof err);
    CHECK(it != NULL, "isa neondot: %s", err);
    if (it != NULL) {
        CHECK(lt_interpreter_allocate(it) == LT_OK, "allocate: %s", lt_interpreter_error(it));
        check_runs(it, 2, "capped isa");
        lt_interpreter_free(it);
    }
    /* A one-byte memory cap: allocate fails, naming the cap. */
    opts = lt_options_default();
    opts.max_memory_bytes = 1;
    it = make(model, &opts);
    if (it != NULL) {
        CHECK(lt_interpreter_allocate(it) == LT_ERROR && message_has(it, "memory cap"),
              "allocate under a 1-byte cap");
        CHECK(lt_interpreter_invoke(it) == LT_ERROR, "invoke after that");
        lt_interpreter_free(it);
    }
    /* One hook without the other counts as neither: the C library's heap (a hook that
     * refuses everything would make create fail if it were used). */
    failing_heap refuse_all = {0, 0, 0};
    opts = lt_options_default();
    opts.allocator.malloc_fn = failing_malloc;
    opts.allocator.user = &refuse_all;
    it = make(model, &opts);
    if (it != NULL) {
        CHECK(lt_interpreter_allocate(it) == LT_OK, "allocate: %s", lt_interpreter_error(it));
        check_runs(it, 2, "malloc hook without free hook");
        lt_interpreter_free(it);
    }
    CHECK(refuse_all.calls == 0, "a lone malloc hook was called %d times", refuse_all.calls);
}

/* Loads, creates, allocates (heap and profiling) and runs with the fail_at-th allocation
 * refused; true when everything succeeded (fail_at was past the last allocation). */
static bool run_with_failure(const uint8_t *bytes, size_t size, int fail_at) {
    failing_heap heap = {fail_at, 0, 0};
    const lt_allocator hooks = {failing_malloc, failing_free, &heap};
    char err[256];
    bool all_ok = false;
    lt_model *model = lt_model_from_buffer_with_allocator(bytes, size, &hooks, err, sizeof err);
    if (model == NULL) {
        CHECK(has_message(err), "load failure %d without a message", fail_at);
    } else {
        lt_options opts = lt_options_default();
        opts.allocator = hooks;
        lt_interpreter *it = lt_interpreter_create(model, &opts, err, sizeof err);
        if (it == NULL) {
            CHECK(has_message(err), "create failure %d without a message", fail_at);
        } else {
            lt_status prof = lt_interpreter_set_profiling(it, 1);
            lt_status alloc = lt_interpreter_allocate(it);
            CHECK(alloc == LT_OK || has_message(lt_interpreter_error(it)),
                  "allocate failure %d without a message", fail_at);
            if (alloc != LT_OK) {
                CHECK(lt_interpreter_invoke(it) == LT_ERROR, "invoke after failure %d",
                      fail_at);
            } else {
                check_runs(it, 2, "with a failing heap");
                all_ok = prof == LT_OK;
            }
            lt_interpreter_free(it);
        }
        lt_model_free(model);
    }
    CHECK(heap.live == 0, "failure at allocation %d leaves %d blocks live", fail_at, heap.live);
    return all_ok;
}

static void test_allocation_failures(const uint8_t *bytes, size_t size) {
    int n = 0;
    while (!run_with_failure(bytes, size, n) && n < 200) n++;
    CHECK(n > 2 && n < 200, "allocation failures: %d allocations", n);
    printf("refused each of the %d allocations in turn\n", n);
}

int main(void) {
    size_t size = 0;
    uint8_t *bytes = build_model(&size);
    if (bytes == NULL) {
        fprintf(stderr, "FAIL: could not build the model\n");
        return 1;
    }
    char err[256];
    lt_model *model = lt_model_from_buffer(bytes, size, err, sizeof err);
    if (model == NULL) {
        fprintf(stderr, "FAIL: load: %s\n", err);
        free(bytes);
        return 1;
    }

    test_null_handles();
    test_load_arguments(bytes, size);
    test_out_of_order(model);
    lt_interpreter *it = make(model, NULL);
    if (it != NULL && lt_interpreter_allocate(it) == LT_OK) {
        test_null_arguments(it);
        test_indices(it);
        test_shapes(it);
        test_sizes(it);
        test_zero_size(it);
        test_nan_inf(it);
    } else {
        CHECK(0, "could not set up the shared interpreter");
    }
    lt_interpreter_free(it);
    test_options(model);
    test_allocation_failures(bytes, size);

    lt_model_free(model);
    free(bytes);
    if (failures) fprintf(stderr, "%d check(s) failed\n", failures);
    else printf("test_bad_calls: all checks passed\n");
    return failures ? 1 : 0;
}
