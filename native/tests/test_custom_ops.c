/* Custom ops through the C API (lt_interpreter_add_custom_op, lt_custom_node_*): a model
 * x -> RELU -> "Twice"(custom: y = 2x + number of invokes so far) -> y, run with a registered
 * implementation; state kept across invokes and released with the plan; errors from the
 * callbacks reaching lt_interpreter_error; an unregistered name failing at allocate.
 * Expected values are computed here from the inputs. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "litert/litert.h"
#include "model_writer.h"
#include "model_writer.c"

#include "check.h"

enum { OP_RELU = 19 };

static uint8_t *build_model(const char *custom_name, size_t *size) {
    const tm_tensor tensors[3] = {
        {"x", LT_FLOAT32, 2, {2, 3}, NULL, 0},
        {"r", LT_FLOAT32, 2, {2, 3}, NULL, 0},
        {"y", LT_FLOAT32, 2, {2, 3}, NULL, 0},
    };
    const tm_op ops[2] = {
        {OP_RELU, 1, {0}, 1, {1}, 0, 0},
        {0, 1, {1}, 1, {2}, 0, 0},
    };
    const char *const codes[2] = {NULL, custom_name};
    const tm_model m = {"custom op test", tensors, 3, ops, 2, 1, {0}, 1, {2},
                        NULL, 0, {{NULL, 0}}, 0, {{NULL, 0}}};
    const tm_extras x = {NULL, NULL, NULL, codes};
    return tm_build_ex(&m, &x, size);
}

/* What the op's callbacks record, through user_data. */
typedef struct counters {
    int prepares, invokes, releases;
    int fail_at; /* 1: prepare fails, 2: invoke fails */
} counters;

static lt_status twice_prepare(lt_custom_node *n) {
    counters *c = lt_custom_node_user_data(n);
    c->prepares++;
    if (c->fail_at == 1) return lt_custom_node_error(n, "refusing to prepare (%d)", 7);
    lt_tensor_info in;
    if (lt_custom_node_input(n, 0, &in, NULL) != LT_OK) return LT_ERROR;
    if (in.type != LT_FLOAT32) return lt_custom_node_error(n, "expected FLOAT32");
    int *calls = malloc(sizeof *calls); /* per-node state, freed by release */
    if (calls == NULL) return lt_custom_node_error(n, "out of memory");
    *calls = 0;
    *lt_custom_node_state(n) = calls;
    return lt_custom_node_set_output_shape(n, 0, in.dims, in.rank);
}

static lt_status twice_invoke(lt_custom_node *n) {
    counters *c = lt_custom_node_user_data(n);
    c->invokes++;
    if (c->fail_at == 2) return lt_custom_node_error(n, "refusing to invoke");
    lt_tensor_info in, out;
    const float *x;
    float *y;
    if (lt_custom_node_input(n, 0, &in, (const void **)&x) != LT_OK ||
        lt_custom_node_output(n, 0, &out, (void **)&y) != LT_OK)
        return LT_ERROR;
    int *calls = *lt_custom_node_state(n);
    ++*calls;
    for (size_t i = 0; i < in.bytes / sizeof(float); i++) y[i] = 2.0f * x[i] + (float)*calls;
    return LT_OK;
}

static void twice_release(lt_custom_node *n) {
    counters *c = lt_custom_node_user_data(n);
    c->releases++;
    free(*lt_custom_node_state(n));
    *lt_custom_node_state(n) = NULL;
}

static void test_runs_and_keeps_state(const lt_model *model) {
    char err[256];
    counters c = {0, 0, 0, 0};
    lt_interpreter *it = lt_interpreter_create(model, NULL, err, sizeof err);
    CHECK(it != NULL, "create: %s", err);
    if (it == NULL) return;
    lt_custom_op op = {twice_prepare, twice_invoke, twice_release, &c};
    CHECK(lt_interpreter_add_custom_op(it, "Twice", &op) == LT_OK, "add: %s",
          lt_interpreter_error(it));
    CHECK(lt_interpreter_allocate(it) == LT_OK, "allocate: %s", lt_interpreter_error(it));
    CHECK(strcmp(lt_interpreter_node_op_name(it, 1), "Twice") == 0, "node name");
    const float x[6] = {-1.0f, 0.5f, 2.0f, -3.0f, 4.0f, 0.0f};
    for (int run = 1; run <= 3; run++) {
        lt_interpreter_set_tensor(it, lt_interpreter_input_tensor(it, 0), x, sizeof x);
        CHECK(lt_interpreter_invoke(it) == LT_OK, "invoke: %s", lt_interpreter_error(it));
        const float *y = lt_interpreter_tensor_data(it, lt_interpreter_output_tensor(it, 0));
        for (int i = 0; i < 6; i++) {
            const float want = 2.0f * (x[i] > 0.0f ? x[i] : 0.0f) + (float)run;
            CHECK(y[i] == want, "run %d y[%d] = %g, want %g", run, i, (double)y[i], (double)want);
        }
    }
    CHECK(c.prepares == 1 && c.invokes == 3 && c.releases == 0, "counts %d %d %d", c.prepares,
          c.invokes, c.releases);
    CHECK(lt_interpreter_allocate(it) == LT_OK, "re-allocate"); /* releases the old state */
    CHECK(c.prepares == 2 && c.releases == 1, "after re-allocate %d %d", c.prepares, c.releases);
    lt_interpreter_free(it);
    CHECK(c.releases == 2, "free releases the state (%d)", c.releases);
}

static void test_errors(const lt_model *model) {
    char err[256];
    lt_interpreter *it = lt_interpreter_create(model, NULL, err, sizeof err);
    if (it == NULL) return;
    CHECK(lt_interpreter_allocate(it) == LT_ERROR, "unregistered op must fail");
    CHECK(strstr(lt_interpreter_error(it), "node 1: custom op 'Twice' is not supported") != NULL,
          "message: %s", lt_interpreter_error(it));
    counters c = {0, 0, 0, 1};
    lt_custom_op op = {twice_prepare, twice_invoke, twice_release, &c};
    lt_custom_op no_invoke = {twice_prepare, NULL, NULL, NULL};
    CHECK(lt_interpreter_add_custom_op(it, "Twice", &no_invoke) == LT_ERROR, "invoke required");
    CHECK(lt_interpreter_add_custom_op(it, "", &op) == LT_ERROR, "empty name");
    CHECK(lt_interpreter_add_custom_op(NULL, "Twice", &op) == LT_ERROR, "NULL interpreter");
    CHECK(lt_interpreter_add_custom_op(it, "Twice", &op) == LT_OK, "add");
    CHECK(lt_interpreter_allocate(it) == LT_ERROR, "prepare failure");
    CHECK(strstr(lt_interpreter_error(it), "node 1 (Twice): refusing to prepare (7)") != NULL,
          "message: %s", lt_interpreter_error(it));
    c.fail_at = 2;
    CHECK(lt_interpreter_allocate(it) == LT_OK, "allocate: %s", lt_interpreter_error(it));
    CHECK(lt_interpreter_invoke(it) == LT_ERROR, "invoke failure");
    CHECK(strstr(lt_interpreter_error(it), "node 1 (Twice): refusing to invoke") != NULL,
          "message: %s", lt_interpreter_error(it));
    lt_interpreter_free(it);
    /* release follows every prepare, the failed one included (partial state is freed). */
    CHECK(c.releases == 2, "released after each prepare (%d)", c.releases);
}

int main(void) {
    size_t size;
    uint8_t *buf = build_model("Twice", &size);
    CHECK(buf != NULL, "model built");
    if (buf == NULL) return 1;
    char err[256];
    lt_model *model = lt_model_from_buffer(buf, size, err, sizeof err);
    CHECK(model != NULL, "load: %s", err);
    if (model != NULL) {
        test_runs_and_keeps_state(model);
        test_errors(model);
        lt_model_free(model);
    }
    free(buf);
    if (failures == 0) printf("test_custom_ops: all checks passed\n");
    return failures == 0 ? 0 : 1;
}
