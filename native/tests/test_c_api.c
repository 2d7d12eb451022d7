/* The public C API (litert.h) end to end, on models written in memory by model_writer.c:
 * loading (from memory and from a file), introspection, zero-copy constants, running and
 * resizing, every documented error path, robustness against truncated and mutated files, and
 * separate interpreters over one model running on separate threads.
 *
 * Expected values are computed here in plain C from the inputs, never by the runtime. */
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "litert/litert.h"
#include "model_writer.h"
#include "model_writer.c"

/* Under AddressSanitizer a request for more memory than it supports aborts the process, where
 * libc's allocator returns NULL. Mutated models can declare absurd shapes, and the runtime is
 * meant to turn the failed allocation into an error: make ASan behave like libc here. */
#if defined(__SANITIZE_ADDRESS__)
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "allocator_may_return_null=1"; }
#endif

#include "check.h"

/* TensorFlow Lite codes used by the models below. */
enum { OP_ADD = 0, OP_MUL = 18, OP_SVDF = 27 };
enum { OPTS_ADD = 11, OPTS_MUL = 21 };
enum { ACT_NONE = 0, ACT_RELU = 1 };

static const float k_c[3] = {0.5f, -1.25f, 2.0f};

static float relu(float v) { return v > 0.0f ? v : 0.0f; }

/* y = relu(x + c): x float32 [2,3] input, c float32 [3] constant (broadcast), y output.
 * `builtin_code` other than ADD makes the same graph with an op the runtime may lack. */
static uint8_t *build_add_relu(int builtin_code, size_t *size) {
    const tm_tensor tensors[3] = {
        {"x", LT_FLOAT32, 2, {2, 3}, NULL, 0},
        {"c", LT_FLOAT32, 1, {3}, k_c, sizeof k_c},
        {"y", LT_FLOAT32, 2, {2, 3}, NULL, 0},
    };
    const tm_op op = {builtin_code, 2, {0, 1}, 1, {2},
                      builtin_code == OP_ADD ? OPTS_ADD : 0, ACT_RELU};
    const tm_model m = {
        .description = "litert C API test: relu(x + c)",
        .tensors = tensors, .n_tensors = 3, .ops = &op, .n_ops = 1,
        .n_inputs = 1, .inputs = {0}, .n_outputs = 1, .outputs = {2},
        .signature_key = "serving_default",
        .n_sig_inputs = 1, .sig_inputs = {{"x_in", 0}},
        .n_sig_outputs = 1, .sig_outputs = {{"y_out", 2}},
    };
    return tm_build(&m, size);
}

/* y = relu(x + c) * z: two ops, the intermediate t lives in the arena. Tensors: x 0, c 1,
 * z 2, t 3, y 4; inputs x and z. */
static uint8_t *build_add_mul(size_t *size) {
    const tm_tensor tensors[5] = {
        {"x", LT_FLOAT32, 2, {2, 3}, NULL, 0},
        {"c", LT_FLOAT32, 1, {3}, k_c, sizeof k_c},
        {"z", LT_FLOAT32, 2, {2, 3}, NULL, 0},
        {"t", LT_FLOAT32, 2, {2, 3}, NULL, 0},
        {"y", LT_FLOAT32, 2, {2, 3}, NULL, 0},
    };
    const tm_op ops[2] = {
        {OP_ADD, 2, {0, 1}, 1, {3}, OPTS_ADD, ACT_RELU},
        {OP_MUL, 2, {3, 2}, 1, {4}, OPTS_MUL, ACT_NONE},
    };
    const tm_model m = {
        .description = "litert C API test: relu(x + c) * z",
        .tensors = tensors, .n_tensors = 5, .ops = ops, .n_ops = 2,
        .n_inputs = 2, .inputs = {0, 2}, .n_outputs = 1, .outputs = {4},
        .signature_key = "serving_default",
        .n_sig_inputs = 2, .sig_inputs = {{"x_in", 0}, {"z_in", 2}},
        .n_sig_outputs = 1, .sig_outputs = {{"y_out", 4}},
    };
    return tm_build(&m, size);
}

static uint32_t next_random(uint32_t *state) {
    *state = *state * 1664525u + 1013904223u;
    return *state >> 8;
}

/* Fills x with values of both signs that are exact in float, varying with `seed`. */
static void fill_input(float *x, int n, int seed) {
    for (int i = 0; i < n; i++) x[i] = (float)((seed * 7 + i * 5) % 23 - 11) * 0.25f;
}

static void expect_add_relu(const float *x, int rows, float *y) {
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < 3; j++) y[r * 3 + j] = relu(x[r * 3 + j] + k_c[j]);
}

static int count_mismatches(const float *got, const float *want, int n) {
    int bad = 0;
    for (int i = 0; i < n; i++)
        if (got[i] != want[i]) bad++;
    return bad;
}

static bool has_message(const char *msg) { return msg != NULL && msg[0] != '\0'; }

static bool dims_are(const lt_tensor_info *info, int rank, const int32_t *dims) {
    if (info->rank != rank) return false;
    for (int i = 0; i < rank; i++)
        if (info->dims[i] != dims[i]) return false;
    return true;
}

/* ---- Loading and introspection ---------------------------------------------------------- */

static void test_introspection(const uint8_t *model_bytes, size_t size) {
    char err[256];
    lt_model *model = lt_model_from_buffer(model_bytes, size, err, sizeof err);
    CHECK(model != NULL, "load failed: %s", err);
    if (model == NULL) return;
    CHECK(lt_model_subgraph_count(model) == 1, "subgraph count %d, expected 1",
          lt_model_subgraph_count(model));
    CHECK(strcmp(lt_model_description(model), "litert C API test: relu(x + c)") == 0,
          "description '%s'", lt_model_description(model));

    CHECK(lt_model_signature_count(model) == 1, "signature count %d",
          lt_model_signature_count(model));
    const char *key = lt_model_signature_key(model, 0);
    CHECK(key != NULL && strcmp(key, "serving_default") == 0, "signature key '%s'",
          key ? key : "(null)");
    CHECK(lt_model_signature_subgraph(model, 0) == 0, "signature subgraph");
    CHECK(lt_model_signature_io_count(model, 0, 0) == 1, "signature input count");
    CHECK(lt_model_signature_io_count(model, 0, 1) == 1, "signature output count");
    const char *in_name = lt_model_signature_io_name(model, 0, 0, 0);
    const char *out_name = lt_model_signature_io_name(model, 0, 1, 0);
    CHECK(in_name != NULL && strcmp(in_name, "x_in") == 0, "signature input name");
    CHECK(out_name != NULL && strcmp(out_name, "y_out") == 0, "signature output name");
    CHECK(lt_model_signature_io_tensor(model, 0, 0, 0) == 0, "signature input tensor");
    CHECK(lt_model_signature_io_tensor(model, 0, 1, 0) == 2, "signature output tensor");
    /* Out of range: NULL / -1 / 0, never a crash. */
    CHECK(lt_model_signature_key(model, 1) == NULL, "signature 1 should not exist");
    CHECK(lt_model_signature_key(model, -1) == NULL, "signature -1 should not exist");
    CHECK(lt_model_signature_subgraph(model, 1) == -1, "subgraph of signature 1");
    CHECK(lt_model_signature_io_count(model, 5, 0) == 0, "io count of signature 5");
    CHECK(lt_model_signature_io_name(model, 0, 0, 1) == NULL, "signature input 1");
    CHECK(lt_model_signature_io_name(model, 0, 1, -1) == NULL, "signature output -1");
    CHECK(lt_model_signature_io_tensor(model, 0, 0, 1) == -1, "signature input 1 tensor");

    lt_options opts = lt_options_default();
    lt_interpreter *it = lt_interpreter_create(model, &opts, err, sizeof err);
    CHECK(it != NULL, "create failed: %s", err);
    if (it == NULL) {
        lt_model_free(model);
        return;
    }
    CHECK(lt_interpreter_error(it) != NULL && lt_interpreter_error(it)[0] == '\0',
          "fresh interpreter has error '%s'", lt_interpreter_error(it));
    CHECK(lt_interpreter_tensor_count(it) == 3, "tensor count %d", lt_interpreter_tensor_count(it));
    CHECK(lt_interpreter_node_count(it) == 1, "node count %d", lt_interpreter_node_count(it));
    CHECK(lt_interpreter_input_count(it) == 1, "input count");
    CHECK(lt_interpreter_output_count(it) == 1, "output count");
    CHECK(lt_interpreter_input_tensor(it, 0) == 0, "input 0 is tensor %d",
          lt_interpreter_input_tensor(it, 0));
    CHECK(lt_interpreter_output_tensor(it, 0) == 2, "output 0 is tensor %d",
          lt_interpreter_output_tensor(it, 0));
    CHECK(lt_interpreter_input_tensor(it, 1) == -1, "input 1 should not exist");
    CHECK(lt_interpreter_input_tensor(it, -1) == -1, "input -1 should not exist");
    CHECK(lt_interpreter_output_tensor(it, 1) == -1, "output 1 should not exist");
    CHECK(lt_interpreter_find_tensor(it, "x") == 0, "find x");
    CHECK(lt_interpreter_find_tensor(it, "c") == 1, "find c");
    CHECK(lt_interpreter_find_tensor(it, "y") == 2, "find y");
    CHECK(lt_interpreter_find_tensor(it, "nope") == -1, "find a missing name");
    CHECK(lt_interpreter_find_tensor(it, "") == -1, "find the empty name");
    CHECK(lt_interpreter_node_op(it, 0) == OP_ADD, "node 0 op %d", lt_interpreter_node_op(it, 0));
    const char *op_name = lt_interpreter_node_op_name(it, 0);
    CHECK(op_name != NULL && strcmp(op_name, "ADD") == 0, "node 0 op name '%s'",
          op_name ? op_name : "(null)");
    CHECK(lt_interpreter_node_op(it, 1) == -1, "node 1 should not exist");
    CHECK(lt_interpreter_node_op_name(it, -1) == NULL, "node -1 should not exist");

    static const int32_t dims23[2] = {2, 3}, dims3[1] = {3};
    lt_tensor_info info;
    CHECK(lt_interpreter_tensor_info(it, 0, &info) == LT_OK, "info x");
    CHECK(strcmp(info.name, "x") == 0 && info.type == LT_FLOAT32 && dims_are(&info, 2, dims23) &&
              !info.is_constant && info.quant_count == 0 && info.signature_rank == 0,
          "info x: name '%s' type %d rank %d const %d", info.name, (int)info.type, info.rank,
          info.is_constant);
    /* The size follows from the shape the file gives: known before any allocate. */
    CHECK(info.bytes == 24, "info x before allocate: %zu bytes, expected 24 (float32 [2,3])",
          info.bytes);
    CHECK(lt_interpreter_tensor_info(it, 1, &info) == LT_OK, "info c");
    CHECK(strcmp(info.name, "c") == 0 && info.type == LT_FLOAT32 && dims_are(&info, 1, dims3) &&
              info.bytes == 12 && info.is_constant,
          "info c: name '%s' rank %d bytes %zu const %d", info.name, info.rank, info.bytes,
          info.is_constant);

    /* Zero-copy: the constant's data is the caller's bytes, not a copy. */
    const uint8_t *c_data = lt_interpreter_tensor_data(it, 1);
    CHECK(c_data != NULL && c_data >= model_bytes && c_data + 12 <= model_bytes + size,
          "constant c does not point into the model buffer");
    CHECK(c_data != NULL && memcmp(c_data, k_c, sizeof k_c) == 0, "constant c has wrong data");

    CHECK(strcmp(lt_type_name_of(LT_FLOAT32), "FLOAT32") == 0, "type name of FLOAT32");
    CHECK(has_message(lt_version()), "version string");
    lt_interpreter_free(it);
    lt_model_free(model);
}

/* A model at an address that is not 16-byte aligned still runs: its constants are copied. */
static void test_unaligned_buffer(const uint8_t *model_bytes, size_t size) {
    char err[256];
    uint8_t *raw = malloc(size + 4);
    if (raw == NULL) return;
    memcpy(raw + 4, model_bytes, size);
    lt_model *model = lt_model_from_buffer(raw + 4, size, err, sizeof err);
    CHECK(model != NULL, "load at an unaligned address failed: %s", err);
    lt_interpreter *it = model ? lt_interpreter_create(model, NULL, err, sizeof err) : NULL;
    CHECK(model == NULL || it != NULL, "create failed: %s", err);
    if (it != NULL) {
        const uint8_t *c_data = lt_interpreter_tensor_data(it, 1);
        CHECK(c_data != NULL && ((uintptr_t)c_data % 16) == 0, "copied constant not aligned");
        CHECK(c_data != NULL && memcmp(c_data, k_c, sizeof k_c) == 0, "copied constant differs");
        float x[6], y[6], want[6];
        fill_input(x, 6, 3);
        expect_add_relu(x, 2, want);
        CHECK(lt_interpreter_allocate(it) == LT_OK, "allocate: %s", lt_interpreter_error(it));
        CHECK(lt_interpreter_set_tensor(it, 0, x, sizeof x) == LT_OK, "set");
        CHECK(lt_interpreter_invoke(it) == LT_OK, "invoke: %s", lt_interpreter_error(it));
        CHECK(lt_interpreter_get_tensor(it, 2, y, sizeof y) == LT_OK, "get");
        CHECK(count_mismatches(y, want, 6) == 0, "wrong output from an unaligned model");
    }
    lt_interpreter_free(it);
    lt_model_free(model);
    free(raw);
}

/* ---- Running and resizing --------------------------------------------------------------- */

static void test_run_and_resize(const uint8_t *model_bytes, size_t size) {
    char err[256];
    lt_model *model = lt_model_from_buffer(model_bytes, size, err, sizeof err);
    CHECK(model != NULL, "load failed: %s", err);
    lt_options opts = lt_options_default();
    lt_interpreter *it = model ? lt_interpreter_create(model, &opts, err, sizeof err) : NULL;
    CHECK(it != NULL, "create failed: %s", err);
    if (it == NULL) {
        lt_model_free(model);
        return;
    }
    CHECK(lt_interpreter_allocate(it) == LT_OK, "allocate: %s", lt_interpreter_error(it));
    CHECK(lt_interpreter_arena_bytes(it) > 0, "arena is empty after allocate");

    float x[15], y[15], want[15];
    for (int run = 0; run < 3; run++) {
        fill_input(x, 6, run);
        expect_add_relu(x, 2, want);
        CHECK(lt_interpreter_set_tensor(it, 0, x, 6 * sizeof(float)) == LT_OK, "set: %s",
              lt_interpreter_error(it));
        CHECK(lt_interpreter_invoke(it) == LT_OK, "invoke: %s", lt_interpreter_error(it));
        memset(y, 0xff, sizeof y);
        CHECK(lt_interpreter_get_tensor(it, 2, y, 6 * sizeof(float)) == LT_OK, "get: %s",
              lt_interpreter_error(it));
        CHECK(count_mismatches(y, want, 6) == 0, "run %d: %d wrong outputs", run,
              count_mismatches(y, want, 6));
    }

    /* Writing the input and reading the output through the data pointers works too. */
    float *px = lt_interpreter_tensor_data(it, 0);
    const float *py = lt_interpreter_tensor_data(it, 2);
    CHECK(px != NULL && py != NULL, "data pointers of allocated tensors are NULL");
    if (px != NULL && py != NULL) {
        fill_input(x, 6, 11);
        memcpy(px, x, 6 * sizeof(float));
        expect_add_relu(x, 2, want);
        CHECK(lt_interpreter_invoke(it) == LT_OK, "invoke: %s", lt_interpreter_error(it));
        CHECK(count_mismatches(py, want, 6) == 0, "wrong output read through the data pointer");
    }

    /* Resize the batch to 5: the output follows, the constant still broadcasts. */
    static const int32_t dims53[2] = {5, 3};
    CHECK(lt_interpreter_resize_input(it, 0, dims53, 2) == LT_OK, "resize: %s",
          lt_interpreter_error(it));
    CHECK(lt_interpreter_invoke(it) == LT_ERROR, "invoke after resize without allocate");
    CHECK(lt_interpreter_allocate(it) == LT_OK, "allocate after resize: %s",
          lt_interpreter_error(it));
    lt_tensor_info info;
    CHECK(lt_interpreter_tensor_info(it, 0, &info) == LT_OK && dims_are(&info, 2, dims53) &&
              info.bytes == 60,
          "input shape after resize: rank %d bytes %zu", info.rank, info.bytes);
    CHECK(lt_interpreter_tensor_info(it, 2, &info) == LT_OK && dims_are(&info, 2, dims53) &&
              info.bytes == 60,
          "output shape after resize: rank %d bytes %zu", info.rank, info.bytes);
    CHECK(lt_interpreter_set_tensor(it, 0, x, 6 * sizeof(float)) == LT_ERROR,
          "set accepted the old size after a resize");
    fill_input(x, 15, 5);
    expect_add_relu(x, 5, want);
    CHECK(lt_interpreter_set_tensor(it, 0, x, sizeof x) == LT_OK, "set [5,3]: %s",
          lt_interpreter_error(it));
    CHECK(lt_interpreter_invoke(it) == LT_OK, "invoke [5,3]: %s", lt_interpreter_error(it));
    CHECK(lt_interpreter_get_tensor(it, 2, y, sizeof y) == LT_OK, "get [5,3]: %s",
          lt_interpreter_error(it));
    CHECK(count_mismatches(y, want, 15) == 0, "[5,3]: %d wrong outputs",
          count_mismatches(y, want, 15));

    /* And back to [2,3]. */
    static const int32_t dims23[2] = {2, 3};
    CHECK(lt_interpreter_resize_input(it, 0, dims23, 2) == LT_OK, "resize back");
    CHECK(lt_interpreter_allocate(it) == LT_OK, "allocate: %s", lt_interpreter_error(it));
    fill_input(x, 6, 9);
    expect_add_relu(x, 2, want);
    CHECK(lt_interpreter_set_tensor(it, 0, x, 6 * sizeof(float)) == LT_OK, "set");
    CHECK(lt_interpreter_invoke(it) == LT_OK, "invoke: %s", lt_interpreter_error(it));
    CHECK(lt_interpreter_get_tensor(it, 2, y, 6 * sizeof(float)) == LT_OK, "get");
    CHECK(count_mismatches(y, want, 6) == 0, "wrong output after resizing back");

    /* An empty batch is a valid shape: allocate and invoke succeed with an empty output. */
    static const int32_t dims03[2] = {0, 3};
    CHECK(lt_interpreter_resize_input(it, 0, dims03, 2) == LT_OK, "resize to [0,3]: %s",
          lt_interpreter_error(it));
    CHECK(lt_interpreter_allocate(it) == LT_OK, "allocate [0,3]: %s", lt_interpreter_error(it));
    CHECK(lt_interpreter_invoke(it) == LT_OK, "invoke [0,3]: %s", lt_interpreter_error(it));
    CHECK(lt_interpreter_tensor_info(it, 2, &info) == LT_OK && dims_are(&info, 2, dims03) &&
              info.bytes == 0,
          "output of an empty batch: rank %d bytes %zu", info.rank, info.bytes);
    lt_interpreter_free(it);
    lt_model_free(model);
}

/* Two ops: relu(x + c) * z, with the intermediate in the arena. */
static void test_two_ops(void) {
    size_t size;
    uint8_t *bytes = build_add_mul(&size);
    CHECK(bytes != NULL, "building the two-op model failed");
    if (bytes == NULL) return;
    char err[256];
    lt_model *model = lt_model_from_buffer(bytes, size, err, sizeof err);
    CHECK(model != NULL, "load failed: %s", err);
    lt_interpreter *it = model ? lt_interpreter_create(model, NULL, err, sizeof err) : NULL;
    CHECK(it != NULL, "create failed: %s", err);
    if (it != NULL) {
        CHECK(lt_interpreter_input_count(it) == 2 && lt_interpreter_input_tensor(it, 1) == 2,
              "inputs of the two-op model");
        CHECK(lt_interpreter_node_count(it) == 2 && lt_interpreter_node_op(it, 1) == OP_MUL,
              "nodes of the two-op model");
        CHECK(lt_model_signature_io_count(model, 0, 0) == 2 &&
                  lt_model_signature_io_tensor(model, 0, 0, 1) == 2,
              "second signature input");
        CHECK(lt_interpreter_allocate(it) == LT_OK, "allocate: %s", lt_interpreter_error(it));
        /* x, z, y live to the end and t in between: at least four 24-byte buffers. */
        CHECK(lt_interpreter_arena_bytes(it) >= 4 * 24, "arena of %zu bytes is too small",
              lt_interpreter_arena_bytes(it));
        for (int run = 0; run < 4; run++) {
            float x[6], z[6], y[6], want[6];
            fill_input(x, 6, run);
            fill_input(z, 6, run + 100);
            expect_add_relu(x, 2, want);
            for (int i = 0; i < 6; i++) want[i] *= z[i];
            CHECK(lt_interpreter_set_tensor(it, 0, x, sizeof x) == LT_OK, "set x");
            CHECK(lt_interpreter_set_tensor(it, 2, z, sizeof z) == LT_OK, "set z");
            CHECK(lt_interpreter_invoke(it) == LT_OK, "invoke: %s", lt_interpreter_error(it));
            CHECK(lt_interpreter_get_tensor(it, 4, y, sizeof y) == LT_OK, "get y");
            CHECK(count_mismatches(y, want, 6) == 0, "two ops, run %d: wrong output", run);
        }
    }
    lt_interpreter_free(it);
    lt_model_free(model);
    free(bytes);
}

/* ---- Errors ----------------------------------------------------------------------------- */

static void test_interpreter_errors(const uint8_t *model_bytes, size_t size) {
    char err[256];
    lt_model *model = lt_model_from_buffer(model_bytes, size, err, sizeof err);
    CHECK(model != NULL, "load failed: %s", err);
    lt_interpreter *it = model ? lt_interpreter_create(model, NULL, err, sizeof err) : NULL;
    CHECK(it != NULL, "create failed: %s", err);
    if (it == NULL) {
        lt_model_free(model);
        return;
    }
    float x[6] = {0}, y[6];
    int n = lt_interpreter_tensor_count(it);

    CHECK(lt_interpreter_invoke(it) == LT_ERROR, "invoke before allocate succeeded");
    CHECK(has_message(lt_interpreter_error(it)), "no message for invoke before allocate");
    CHECK(lt_interpreter_get_tensor(it, 2, y, sizeof y) == LT_ERROR, "get before allocate");
    CHECK(has_message(lt_interpreter_error(it)), "no message for get before allocate");
    CHECK(lt_interpreter_set_tensor(it, 0, x, sizeof x) == LT_ERROR, "set before allocate");
    CHECK(has_message(lt_interpreter_error(it)), "no message for set before allocate");
    CHECK(lt_interpreter_tensor_data(it, 2) == NULL, "data of y before allocate");
    CHECK(lt_interpreter_arena_bytes(it) == 0, "arena before allocate");

    static const int32_t neg[2] = {2, -3}, big[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    static const int32_t ok_dims[2] = {2, 3};
    CHECK(lt_interpreter_resize_input(it, 0, neg, 2) == LT_ERROR, "negative dim accepted");
    CHECK(has_message(lt_interpreter_error(it)), "no message for a negative dim");
    CHECK(lt_interpreter_resize_input(it, 0, big, 9) == LT_ERROR, "rank 9 accepted");
    CHECK(has_message(lt_interpreter_error(it)), "no message for rank 9");
    CHECK(lt_interpreter_resize_input(it, 0, ok_dims, -1) == LT_ERROR, "rank -1 accepted");
    CHECK(lt_interpreter_resize_input(it, 1, ok_dims, 2) == LT_ERROR, "input 1 accepted");
    CHECK(has_message(lt_interpreter_error(it)), "no message for input 1");
    CHECK(lt_interpreter_resize_input(it, -1, ok_dims, 2) == LT_ERROR, "input -1 accepted");
    CHECK(lt_interpreter_resize_input(it, 0, NULL, 2) == LT_ERROR, "NULL dims accepted");

    CHECK(lt_interpreter_allocate(it) == LT_OK, "allocate after errors: %s",
          lt_interpreter_error(it));
    /* The failed resizes left the shape alone. */
    lt_tensor_info info;
    CHECK(lt_interpreter_tensor_info(it, 0, &info) == LT_OK && dims_are(&info, 2, ok_dims),
          "a failed resize changed the input shape");

    const int bad_index[] = {-1, n, n + 1000, -1000000};
    for (size_t k = 0; k < sizeof bad_index / sizeof bad_index[0]; k++) {
        int t = bad_index[k];
        CHECK(lt_interpreter_tensor_info(it, t, &info) == LT_ERROR, "info of tensor %d", t);
        CHECK(has_message(lt_interpreter_error(it)), "no message for info of tensor %d", t);
        CHECK(lt_interpreter_tensor_data(it, t) == NULL, "data of tensor %d", t);
        CHECK(lt_interpreter_set_tensor(it, t, x, sizeof x) == LT_ERROR, "set tensor %d", t);
        CHECK(has_message(lt_interpreter_error(it)), "no message for set of tensor %d", t);
        CHECK(lt_interpreter_get_tensor(it, t, y, sizeof y) == LT_ERROR, "get tensor %d", t);
        CHECK(has_message(lt_interpreter_error(it)), "no message for get of tensor %d", t);
    }
    CHECK(lt_interpreter_tensor_info(it, 0, NULL) == LT_ERROR, "info into NULL");

    CHECK(lt_interpreter_set_tensor(it, 0, x, sizeof x - 4) == LT_ERROR, "set with 20 bytes");
    CHECK(has_message(lt_interpreter_error(it)), "no message for a short set");
    CHECK(lt_interpreter_set_tensor(it, 0, x, sizeof x + 4) == LT_ERROR, "set with 28 bytes");
    CHECK(lt_interpreter_get_tensor(it, 2, y, sizeof y - 1) == LT_ERROR, "get with 23 bytes");
    CHECK(has_message(lt_interpreter_error(it)), "no message for a short get");
    CHECK(lt_interpreter_set_tensor(it, 0, NULL, sizeof x) == LT_ERROR, "set from NULL");
    CHECK(lt_interpreter_get_tensor(it, 2, NULL, sizeof y) == LT_ERROR, "get into NULL");

    float c_new[3] = {9, 9, 9}, c_read[3];
    CHECK(lt_interpreter_set_tensor(it, 1, c_new, sizeof c_new) == LT_ERROR,
          "set_tensor on the constant succeeded");
    CHECK(has_message(lt_interpreter_error(it)), "no message for set on a constant");
    CHECK(lt_interpreter_get_tensor(it, 1, c_read, sizeof c_read) == LT_OK &&
              memcmp(c_read, k_c, sizeof k_c) == 0,
          "the constant can be read back unchanged");

    /* After all that, the interpreter still works. */
    float want[6];
    fill_input(x, 6, 4);
    expect_add_relu(x, 2, want);
    CHECK(lt_interpreter_set_tensor(it, 0, x, sizeof x) == LT_OK, "set: %s",
          lt_interpreter_error(it));
    CHECK(lt_interpreter_invoke(it) == LT_OK, "invoke: %s", lt_interpreter_error(it));
    CHECK(lt_interpreter_get_tensor(it, 2, y, sizeof y) == LT_OK, "get");
    CHECK(count_mismatches(y, want, 6) == 0, "wrong output after errors");
    lt_interpreter_free(it);
    lt_model_free(model);

    /* NULL handles are rejected, not dereferenced. */
    CHECK(lt_interpreter_create(NULL, NULL, err, sizeof err) == NULL && has_message(err),
          "create from a NULL model");
    CHECK(lt_interpreter_allocate(NULL) == LT_ERROR, "allocate(NULL)");
    CHECK(lt_interpreter_invoke(NULL) == LT_ERROR, "invoke(NULL)");
    CHECK(lt_interpreter_tensor_count(NULL) == 0, "tensor_count(NULL)");
    lt_interpreter_free(NULL);
    lt_model_free(NULL);
}

static void test_load_errors(const uint8_t *model_bytes, size_t size) {
    char err[256];
    strcpy(err, "");
    CHECK(lt_model_from_buffer(NULL, size, err, sizeof err) == NULL && has_message(err),
          "NULL buffer");
    strcpy(err, "");
    CHECK(lt_model_from_file(NULL, err, sizeof err) == NULL && has_message(err), "NULL path");
    strcpy(err, "");
    CHECK(lt_model_from_file("/nonexistent/dir/model.tflite", err, sizeof err) == NULL &&
              has_message(err),
          "missing file");
    strcpy(err, "");
    CHECK(lt_model_from_file("/tmp", err, sizeof err) == NULL && has_message(err),
          "a directory as the model file");
    /* A small error buffer truncates the message but stays NUL-terminated; none is fine too. */
    char tiny[8];
    memset(tiny, 'z', sizeof tiny);
    CHECK(lt_model_from_file("/nonexistent", tiny, sizeof tiny) == NULL &&
              memchr(tiny, '\0', sizeof tiny) != NULL,
          "tiny error buffer");
    CHECK(lt_model_from_file("/nonexistent", NULL, 0) == NULL, "no error buffer");

    uint8_t *copy = malloc(size);
    if (copy == NULL) return;
    memcpy(copy, model_bytes, size);
    memcpy(copy + 4, "TFL2", 4);
    strcpy(err, "");
    CHECK(lt_model_from_buffer(copy, size, err, sizeof err) == NULL && has_message(err),
          "wrong file identifier accepted");
    CHECK(strstr(err, "TFL3") != NULL, "identifier message '%s' does not name TFL3", err);
    free(copy);
}

/* Runs whatever a (possibly corrupt) buffer holds as far as it goes. Any outcome is fine except
 * a crash or a failure without a message; the sanitizers catch memory errors. */
typedef struct robustness_stats {
    int loaded, created, allocated, invoked;
} robustness_stats;

static void exercise_untrusted(const uint8_t *bytes, size_t size, int fill,
                               robustness_stats *stats) {
    /* An exact-size heap copy, so reading one byte past the end is caught by ASan. */
    uint8_t *copy = malloc(size == 0 ? 1 : size);
    if (copy == NULL) return;
    if (size > 0) memcpy(copy, bytes, size);
    char err[256];
    strcpy(err, "");
    lt_model *model = lt_model_from_buffer(copy, size, err, sizeof err);
    if (model == NULL) {
        CHECK(has_message(err), "load of %zu bytes failed without a message", size);
        free(copy);
        return;
    }
    stats->loaded++;
    /* Touch every string the model exposes. */
    size_t sink = strlen(lt_model_description(model));
    for (int s = 0; s < lt_model_signature_count(model); s++) {
        sink += strlen(lt_model_signature_key(model, s));
        for (int o = 0; o < 2; o++)
            for (int i = 0; i < lt_model_signature_io_count(model, s, o); i++)
                sink += strlen(lt_model_signature_io_name(model, s, o, i));
    }
    strcpy(err, "");
    lt_interpreter *it = lt_interpreter_create(model, NULL, err, sizeof err);
    if (it == NULL) {
        CHECK(has_message(err), "create failed without a message");
    } else {
        stats->created++;
        for (int t = 0; t < lt_interpreter_tensor_count(it); t++) {
            lt_tensor_info info;
            if (lt_interpreter_tensor_info(it, t, &info) == LT_OK) sink += strlen(info.name);
        }
        for (int nd = 0; nd < lt_interpreter_node_count(it); nd++) {
            const char *name = lt_interpreter_node_op_name(it, nd);
            if (name != NULL) sink += strlen(name);
        }
        if (lt_interpreter_allocate(it) != LT_OK) {
            CHECK(has_message(lt_interpreter_error(it)), "allocate failed without a message");
        } else if (lt_interpreter_arena_bytes(it) <= ((size_t)1 << 26)) {
            /* Small enough to run (huge declared shapes are valid but slow to compute). */
            stats->allocated++;
            bool inputs_set = true;
            for (int i = 0; i < lt_interpreter_input_count(it); i++) {
                lt_tensor_info info;
                int t = lt_interpreter_input_tensor(it, i);
                if (lt_interpreter_tensor_info(it, t, &info) != LT_OK) {
                    inputs_set = false;
                    continue;
                }
                void *data = malloc(info.bytes == 0 ? 1 : info.bytes);
                if (data == NULL) {
                    inputs_set = false;
                    continue;
                }
                memset(data, fill, info.bytes);
                lt_status st = lt_interpreter_set_tensor(it, t, data, info.bytes);
                CHECK(st == LT_OK || has_message(lt_interpreter_error(it)),
                      "set_tensor failed without a message");
                free(data);
            }
            if (inputs_set) {
                if (lt_interpreter_invoke(it) == LT_OK) {
                    stats->invoked++;
                    for (int o = 0; o < lt_interpreter_output_count(it); o++) {
                        lt_tensor_info info;
                        int t = lt_interpreter_output_tensor(it, o);
                        if (lt_interpreter_tensor_info(it, t, &info) != LT_OK) continue;
                        uint8_t *out = malloc(info.bytes == 0 ? 1 : info.bytes);
                        if (out == NULL) continue;
                        CHECK(lt_interpreter_get_tensor(it, t, out, info.bytes) == LT_OK,
                              "reading output %d after a successful invoke: %s", o,
                              lt_interpreter_error(it));
                        free(out);
                    }
                } else {
                    CHECK(has_message(lt_interpreter_error(it)), "invoke failed without a message");
                }
            }
        }
        lt_interpreter_free(it);
    }
    (void)sink;
    lt_model_free(model);
    free(copy);
}

static void test_truncated(const uint8_t *model_bytes, size_t size, const char *what) {
    robustness_stats stats = {0, 0, 0, 0};
    for (size_t len = 0; len < size; len++) exercise_untrusted(model_bytes, len, 0, &stats);
    /* The root table and its data run to the end: a strict prefix can never be valid here. */
    CHECK(stats.loaded == 0, "%s: %d truncated prefixes loaded", what, stats.loaded);
    printf("truncation (%s): %zu prefixes, %d loaded\n", what, size, stats.loaded);
}

static void test_mutations(const uint8_t *model_bytes, size_t size, uint32_t seed, int rounds,
                           const char *what) {
    static const uint32_t interesting[] = {0u, 1u, 0xffffffffu, 0x7fffffffu, 0x80000000u,
                                           0x10000u, 0xfffffff0u, 3u};
    robustness_stats stats = {0, 0, 0, 0};
    uint8_t *mutated = malloc(size);
    if (mutated == NULL) return;
    for (int round = 0; round < rounds; round++) {
        memcpy(mutated, model_bytes, size);
        uint32_t kind = next_random(&seed) % 4;
        if (kind == 0) {
            /* A 4-byte word set to a boundary value: offsets, lengths, counts, indices. */
            size_t pos = (next_random(&seed) % (uint32_t)(size / 4)) * 4;
            size_t pick = next_random(&seed) % (sizeof interesting / sizeof interesting[0]);
            uint32_t v = interesting[pick];
            if (v == 0x10000u) v = (uint32_t)size;
            for (int i = 0; i < 4; i++) mutated[pos + (size_t)i] = (uint8_t)(v >> (8 * i));
        } else {
            int flips = 1 + (int)(next_random(&seed) % 4);
            for (int f = 0; f < flips; f++)
                mutated[next_random(&seed) % (uint32_t)size] = (uint8_t)next_random(&seed);
        }
        exercise_untrusted(mutated, size, (round & 1) ? 0x3f : 0, &stats);
    }
    free(mutated);
    /* Most single-byte changes hit data or padding: a fair share must still run. */
    CHECK(stats.invoked > rounds / 20, "%s: only %d of %d mutants ran; is the harness broken?",
          what, stats.invoked, rounds);
    printf("mutation (%s): %d mutants, %d loaded, %d created, %d allocated, %d invoked\n", what,
           rounds, stats.loaded, stats.created, stats.allocated, stats.invoked);
}

static void test_unsupported_op(void) {
    size_t size;
    uint8_t *bytes = build_add_relu(OP_SVDF, &size);
    CHECK(bytes != NULL, "building the SVDF model failed");
    if (bytes == NULL) return;
    char err[256];
    lt_model *model = lt_model_from_buffer(bytes, size, err, sizeof err);
    CHECK(model != NULL, "SVDF model did not load: %s", err);
    lt_interpreter *it = model ? lt_interpreter_create(model, NULL, err, sizeof err) : NULL;
    CHECK(it != NULL, "SVDF model: create failed: %s", err);
    if (it != NULL) {
        CHECK(lt_interpreter_node_op(it, 0) == OP_SVDF, "node 0 op %d",
              lt_interpreter_node_op(it, 0));
        const char *name = lt_interpreter_node_op_name(it, 0);
        CHECK(name != NULL && strcmp(name, "SVDF") == 0, "node 0 name '%s'",
              name ? name : "(null)");
        CHECK(lt_interpreter_allocate(it) == LT_ERROR, "allocate of an unsupported op succeeded");
        const char *msg = lt_interpreter_error(it);
        CHECK(strstr(msg, "SVDF") != NULL && strstr(msg, "node 0") != NULL,
              "message '%s' should name SVDF and node 0", msg);
        CHECK(lt_interpreter_invoke(it) == LT_ERROR, "invoke after a failed allocate");
        CHECK(lt_interpreter_allocate(it) == LT_ERROR, "second allocate succeeded");
    }
    lt_interpreter_free(it);
    lt_model_free(model);
    free(bytes);
}

/* relu(x + c) with x and y of shape [d0, d1, 3]: a model whose declared shapes are as large
 * as the caller likes. */
static uint8_t *build_add_relu_shape(int32_t d0, int32_t d1, size_t *size) {
    const tm_tensor tensors[3] = {
        {"x", LT_FLOAT32, 3, {d0, d1, 3}, NULL, 0},
        {"c", LT_FLOAT32, 1, {3}, k_c, sizeof k_c},
        {"y", LT_FLOAT32, 3, {d0, d1, 3}, NULL, 0},
    };
    const tm_op op = {OP_ADD, 2, {0, 1}, 1, {2}, OPTS_ADD, ACT_RELU};
    const tm_model m = {
        .description = "litert C API test: huge relu(x + c)",
        .tensors = tensors, .n_tensors = 3, .ops = &op, .n_ops = 1,
        .n_inputs = 1, .inputs = {0}, .n_outputs = 1, .outputs = {2},
    };
    return tm_build(&m, size);
}

/* lt_options.max_memory_bytes: huge declared or resized tensors fail at allocate with a
 * message naming the tensor and the cap, before anything is allocated; shapes whose element
 * count overflows are rejected at load. */
static void test_memory_cap(void) {
    char err[256];
    CHECK(lt_options_default().max_memory_bytes == 0, "default options must zero the cap");
    size_t size;
    /* 20000 x 10000 x 3 floats: 2.4 GB, over the 1 GiB default (and within a 32-bit size_t,
     * so that 32-bit builds load it too). */
    uint8_t *bytes = build_add_relu_shape(20000, 10000, &size);
    CHECK(bytes != NULL, "building the huge model failed");
    lt_model *model = bytes ? lt_model_from_buffer(bytes, size, err, sizeof err) : NULL;
    CHECK(model != NULL, "huge model did not load: %s", err);
    lt_interpreter *it = model ? lt_interpreter_create(model, NULL, err, sizeof err) : NULL;
    CHECK(model == NULL || it != NULL, "huge model: create failed: %s", err);
    if (it != NULL) {
        CHECK(lt_interpreter_allocate(it) == LT_ERROR, "allocate of a 2.4 GB tensor succeeded");
        const char *msg = lt_interpreter_error(it);
        CHECK(strstr(msg, "'x'") != NULL && strstr(msg, "memory cap of 1073741824") != NULL &&
              strstr(msg, "max_memory_bytes") != NULL, "message '%s'", msg);
        size_t plan = 1;
        CHECK(lt_interpreter_plan(it, &plan) == LT_ERROR && plan == 0, "plan of a huge model");
        /* Resizing to a sane shape makes it work; resizing back fails the same way. */
        const int32_t small[3] = {1, 2, 3}, huge[3] = {30000, 10000, 3};
        CHECK(lt_interpreter_resize_input(it, 0, small, 3) == LT_OK, "resize small: %s",
              lt_interpreter_error(it));
        CHECK(lt_interpreter_allocate(it) == LT_OK, "allocate small: %s",
              lt_interpreter_error(it));
        CHECK(lt_interpreter_resize_input(it, 0, huge, 3) == LT_OK, "resize huge: %s",
              lt_interpreter_error(it));
        CHECK(lt_interpreter_allocate(it) == LT_ERROR, "allocate after a huge resize succeeded");
        msg = lt_interpreter_error(it);
        CHECK(strstr(msg, "'x'") != NULL && strstr(msg, "memory cap") != NULL, "message '%s'",
              msg);
    }
    lt_interpreter_free(it);
    lt_model_free(model);
    free(bytes);

    /* A small model under a tiny cap: each tensor fits, the plan's total does not; a cap
     * exactly the plan's size works. */
    bytes = build_add_relu_shape(4, 4, &size); /* x, y: 192 bytes each */
    model = bytes ? lt_model_from_buffer(bytes, size, err, sizeof err) : NULL;
    CHECK(model != NULL, "small model did not load: %s", err);
    lt_options opts = lt_options_default();
    it = model ? lt_interpreter_create(model, &opts, err, sizeof err) : NULL;
    size_t need = 0;
    CHECK(it != NULL && lt_interpreter_plan(it, &need) == LT_OK && need >= 384, "plan: %s",
          it ? lt_interpreter_error(it) : err);
    lt_interpreter_free(it);
    opts.max_memory_bytes = need - 1;
    it = model ? lt_interpreter_create(model, &opts, err, sizeof err) : NULL;
    if (it != NULL) {
        CHECK(lt_interpreter_allocate(it) == LT_ERROR, "allocate over a cap of %zu", need - 1);
        const char *msg = lt_interpreter_error(it);
        CHECK(strstr(msg, "the plan needs") != NULL && strstr(msg, "memory cap of") != NULL,
              "message '%s'", msg);
    }
    lt_interpreter_free(it);
    opts.max_memory_bytes = need;
    it = model ? lt_interpreter_create(model, &opts, err, sizeof err) : NULL;
    CHECK(it != NULL && lt_interpreter_allocate(it) == LT_OK, "allocate at a cap of exactly "
          "the plan (%zu bytes): %s", need, it ? lt_interpreter_error(it) : err);
    lt_interpreter_free(it);
    lt_model_free(model);
    free(bytes);

    /* Element counts that overflow int64, and byte counts that overflow size_t: load fails. */
    bytes = build_add_relu_shape(INT32_MAX, INT32_MAX, &size); /* 3 * (2^31-1)^2 > 2^63 */
    model = bytes ? lt_model_from_buffer(bytes, size, err, sizeof err) : NULL;
    CHECK(bytes != NULL && model == NULL && strstr(err, "element count") != NULL,
          "overflowing element count: '%s'", model ? "(loaded)" : err);
    lt_model_free(model);
    free(bytes);
    bytes = build_add_relu_shape(INT32_MAX, 1 << 30, &size); /* ~2^62.6 elements, x4 bytes */
    model = bytes ? lt_model_from_buffer(bytes, size, err, sizeof err) : NULL;
    CHECK(bytes != NULL && model == NULL && strstr(err, "byte size") != NULL,
          "overflowing byte size: '%s'", model ? "(loaded)" : err);
    lt_model_free(model);
    free(bytes);
}

/* Every builtin op code on small graphs with inputs of unexpected count, rank, type and value
 * (e.g. a float tensor where an op wants int32 axes, an out-of-range permutation, an omitted
 * optional input, options of another op). Every op must reject what it cannot run with a
 * message; nothing may crash. */
static void test_every_builtin_op(void) {
    enum { MAX_CODE = 210 };
    /* The interpreter's message for an op code without a kernel. */
    static const char k_no_kernel[] = "is not supported by this runtime";
    static const int types[] = {LT_FLOAT32, LT_INT32, LT_UINT8, LT_INT8, LT_INT16, LT_INT64,
                                LT_BOOL};
    static const int32_t c_values[2][3] = {{2, 1, 0}, {-1, 3, 7}};
    static const int32_t shapes[2][4] = {{2, 3, 0, 0}, {1, 2, 3, 1}};
    static const int shape_ranks[2] = {2, 4};
    /* Inputs: x, constant c, an omitted optional input (-1), x again. */
    static const int32_t arities[4][3] = {{0, -2, -2}, {0, 1, -2}, {0, 1, -1}, {0, 1, 0}};
    robustness_stats stats = {0, 0, 0, 0};
    int supported = 0;
    for (int code = 0; code < MAX_CODE; code++) {
        bool is_supported = true;
        for (size_t ti = 0; ti < sizeof types / sizeof types[0] && is_supported; ti++)
            for (int ci = 0; ci < 3 && is_supported; ci++)
                for (int si = 0; si < 2 && is_supported; si++)
                    for (int ai = 0; ai < 4 && is_supported; ai++)
                        for (int opts = 0; opts < 2 && is_supported; opts++) {
                            /* c: [3] of x's type holding float bits (ci 0), or int32 indices. */
                            int c_type = ci == 0 ? types[ti] : LT_INT32;
                            uint8_t c_data[3 * 8];
                            size_t c_elem = c_type == LT_INT64 ? 8
                                          : c_type == LT_INT16 ? 2
                                          : (c_type == LT_UINT8 || c_type == LT_INT8 ||
                                             c_type == LT_BOOL) ? 1 : 4;
                            for (size_t k = 0; k < sizeof c_data; k++)
                                c_data[k] = (uint8_t)(ci == 0 ? 0x3f : 0);
                            if (ci > 0) memcpy(c_data, c_values[ci - 1], sizeof c_values[0]);
                            tm_tensor tensors[3] = {
                                {"x", types[ti], shape_ranks[si], {0}, NULL, 0},
                                {"c", c_type, 1, {3}, c_data, 3 * c_elem},
                                {"y", types[ti], 2, {2, 3}, NULL, 0},
                            };
                            memcpy(tensors[0].dims, shapes[si], sizeof shapes[si]);
                            tm_op op = {code, 0, {0}, 1, {2}, opts ? OPTS_ADD : 0, ACT_RELU};
                            for (int k = 0; k < 3 && arities[ai][k] != -2; k++)
                                op.inputs[op.n_inputs++] = arities[ai][k];
                            tm_model m = {.tensors = tensors, .n_tensors = 3, .ops = &op,
                                          .n_ops = 1, .n_inputs = 1, .inputs = {0},
                                          .n_outputs = 1, .outputs = {2}};
                            size_t size;
                            uint8_t *bytes = tm_build(&m, &size);
                            CHECK(bytes != NULL, "building a model for op %d failed", code);
                            if (bytes == NULL) return;
                            exercise_untrusted(bytes, size, opts ? 0 : 0x3f, &stats);
                            /* An op the runtime lacks fails the same way for every input. */
                            char err[256];
                            lt_model *model = lt_model_from_buffer(bytes, size, err, sizeof err);
                            lt_interpreter *it =
                                model ? lt_interpreter_create(model, NULL, err, sizeof err) : NULL;
                            if (it != NULL && lt_interpreter_allocate(it) != LT_OK &&
                                strstr(lt_interpreter_error(it), k_no_kernel) != NULL)
                                is_supported = false;
                            lt_interpreter_free(it);
                            lt_model_free(model);
                            free(bytes);
                        }
        supported += is_supported;
    }
    /* ADD, MUL, CONV_2D, ... : the registry has a few dozen ops. */
    CHECK(supported >= 20, "only %d op codes ran at all", supported);
    printf("every op: %d op codes with a kernel, %d models allocated, %d invoked\n", supported,
           stats.allocated, stats.invoked);
}

/* ---- Threads ---------------------------------------------------------------------------- */

typedef struct worker {
    const lt_model *model;
    int id;
    int iterations;
    int failed_calls;  /* results, read by the main thread after join */
    int wrong_values;
    char first_error[256];
} worker;

static void *run_worker(void *arg) {
    worker *w = arg;
    char err[256];
    lt_options opts = lt_options_default();
    opts.num_threads = 1;
    lt_interpreter *it = lt_interpreter_create(w->model, &opts, err, sizeof err);
    if (it == NULL || lt_interpreter_allocate(it) != LT_OK) {
        w->failed_calls++;
        snprintf(w->first_error, sizeof w->first_error, "%s", it ? lt_interpreter_error(it) : err);
        lt_interpreter_free(it);
        return NULL;
    }
    for (int iter = 0; iter < w->iterations; iter++) {
        float x[6], z[6], y[6], want[6];
        fill_input(x, 6, w->id * 1000 + iter);
        fill_input(z, 6, w->id * 31 + iter * 3 + 1);
        expect_add_relu(x, 2, want);
        for (int i = 0; i < 6; i++) want[i] *= z[i];
        if (lt_interpreter_set_tensor(it, 0, x, sizeof x) != LT_OK ||
            lt_interpreter_set_tensor(it, 2, z, sizeof z) != LT_OK ||
            lt_interpreter_invoke(it) != LT_OK ||
            lt_interpreter_get_tensor(it, 4, y, sizeof y) != LT_OK) {
            if (w->failed_calls++ == 0)
                snprintf(w->first_error, sizeof w->first_error, "%s", lt_interpreter_error(it));
            continue;
        }
        w->wrong_values += count_mismatches(y, want, 6);
    }
    lt_interpreter_free(it);
    return NULL;
}

static void test_threads(void) {
    enum { N_WORKERS = 4 };
    size_t size;
    uint8_t *bytes = build_add_mul(&size);
    if (bytes == NULL) return;
    char err[256];
    lt_model *model = lt_model_from_buffer(bytes, size, err, sizeof err);
    CHECK(model != NULL, "load failed: %s", err);
    if (model == NULL) {
        free(bytes);
        return;
    }
    worker workers[N_WORKERS];
    pthread_t threads[N_WORKERS];
    bool started[N_WORKERS];
    for (int i = 0; i < N_WORKERS; i++) {
        memset(&workers[i], 0, sizeof workers[i]);
        workers[i].model = model;
        workers[i].id = i;
        workers[i].iterations = 500;
        started[i] = pthread_create(&threads[i], NULL, run_worker, &workers[i]) == 0;
        CHECK(started[i], "cannot start thread %d", i);
    }
    for (int i = 0; i < N_WORKERS; i++) {
        if (!started[i]) continue;
        pthread_join(threads[i], NULL);
        CHECK(workers[i].failed_calls == 0, "thread %d: %d failed calls, first: %s", i,
              workers[i].failed_calls, workers[i].first_error);
        CHECK(workers[i].wrong_values == 0, "thread %d: %d wrong values", i,
              workers[i].wrong_values);
    }
    lt_model_free(model);
    free(bytes);
}

/* ---- Files ------------------------------------------------------------------------------ */

static bool write_all(int fd, const uint8_t *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w <= 0) return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

static void test_from_file(const uint8_t *model_bytes, size_t size) {
    char path[] = "/tmp/litert_c_api_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0, "mkstemp failed");
    if (fd < 0) return;
    bool written = write_all(fd, model_bytes, size);
    close(fd);
    CHECK(written, "writing %s failed", path);

    char err[256];
    lt_model *model = lt_model_from_file(path, err, sizeof err);
    CHECK(model != NULL, "loading %s failed: %s", path, err);
    lt_interpreter *it = model ? lt_interpreter_create(model, NULL, err, sizeof err) : NULL;
    CHECK(model == NULL || it != NULL, "create failed: %s", err);
    if (it != NULL) {
        CHECK(strcmp(lt_model_description(model), "litert C API test: relu(x + c)") == 0,
              "description from the file");
        float x[6], y[6], want[6];
        fill_input(x, 6, 21);
        expect_add_relu(x, 2, want);
        CHECK(lt_interpreter_allocate(it) == LT_OK, "allocate: %s", lt_interpreter_error(it));
        CHECK(lt_interpreter_set_tensor(it, 0, x, sizeof x) == LT_OK, "set");
        CHECK(lt_interpreter_invoke(it) == LT_OK, "invoke: %s", lt_interpreter_error(it));
        CHECK(lt_interpreter_get_tensor(it, 2, y, sizeof y) == LT_OK, "get");
        CHECK(count_mismatches(y, want, 6) == 0, "wrong output from the mapped model");
    }
    lt_interpreter_free(it);
    lt_model_free(model);

    /* An empty file and a truncated file fail with a message. */
    fd = open(path, O_WRONLY | O_TRUNC);
    CHECK(fd >= 0, "reopening %s failed", path);
    if (fd >= 0) {
        close(fd);
        strcpy(err, "");
        CHECK(lt_model_from_file(path, err, sizeof err) == NULL && has_message(err),
              "an empty file loaded");
        fd = open(path, O_WRONLY | O_TRUNC);
        if (fd >= 0) {
            CHECK(write_all(fd, model_bytes, size / 2), "writing half the model");
            close(fd);
            strcpy(err, "");
            CHECK(lt_model_from_file(path, err, sizeof err) == NULL && has_message(err),
                  "half a model loaded");
        }
    }
    unlink(path);
}

int main(void) {
    size_t size;
    uint8_t *model_bytes = build_add_relu(OP_ADD, &size);
    if (model_bytes == NULL) {
        fprintf(stderr, "FAIL: building the test model failed\n");
        return 1;
    }
    CHECK(((uintptr_t)model_bytes % 16) == 0, "model buffer is not 16-byte aligned");

    test_introspection(model_bytes, size);
    test_unaligned_buffer(model_bytes, size);
    test_run_and_resize(model_bytes, size);
    test_two_ops();
    test_interpreter_errors(model_bytes, size);
    test_load_errors(model_bytes, size);
    test_unsupported_op();
    test_memory_cap();
    test_from_file(model_bytes, size);
    test_threads();
    test_every_builtin_op();

    test_truncated(model_bytes, size, "relu(x + c)");
    test_mutations(model_bytes, size, 1u, 1000, "relu(x + c)");
    size_t size2;
    uint8_t *two_ops = build_add_mul(&size2);
    if (two_ops != NULL) {
        test_truncated(two_ops, size2, "relu(x + c) * z");
        test_mutations(two_ops, size2, 7u, 1000, "relu(x + c) * z");
        free(two_ops);
    }
    free(model_bytes);

    if (failures > 0) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("all C API checks passed\n");
    return 0;
}
