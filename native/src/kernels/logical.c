/* LOGICAL_AND, LOGICAL_OR (BOOL, NumPy broadcasting) and LOGICAL_NOT (BOOL): the glue of
 * WHILE conditions (counter < n AND i < max) and of masks.
 *
 * BOOL elements are read as bytes, any nonzero byte meaning true (a constant from the file
 * may hold any byte; reading it as C `bool` would be undefined), and written as 0 or 1. */
#include "elementwise_broadcast.h"
#include "kernels.h"

static inline uint8_t and_apply(const void *params, uint8_t a, uint8_t b) {
    (void)params;
    return (uint8_t)(a != 0 && b != 0);
}
static inline uint8_t or_apply(const void *params, uint8_t a, uint8_t b) {
    (void)params;
    return (uint8_t)(a != 0 || b != 0);
}

LT_BCAST_DEFINE_ROWS(and_b, uint8_t, uint8_t, and_apply)
LT_BCAST_DEFINE_ROWS(or_b, uint8_t, uint8_t, or_apply)

/* Every input and the output must be BOOL. */
static lt_status check_bool(lt_context *ctx, const lt_node *node) {
    for (int k = 0; k < node->n_inputs; k++) {
        const lt_tensor *t = node->inputs[k];
        if (t == NULL) return lt_ctx_error(ctx, node, "input %d is required", k);
        if (t->type != LT_BOOL)
            return lt_ctx_error(ctx, node, "input %d '%s' has type %s; expected BOOL", k,
                                t->name, lt_type_name(t->type));
    }
    if (node->outputs[0]->type != LT_BOOL)
        return lt_ctx_error(ctx, node, "output '%s' has type %s; expected BOOL",
                            node->outputs[0]->name, lt_type_name(node->outputs[0]->type));
    return LT_OK;
}

typedef struct logic_state {
    lt_bcast_plan plan;
    const lt_bcast_rows *rows;
} logic_state;

static lt_status binary_prepare(lt_context *ctx, lt_node *node, const lt_bcast_rows *rows) {
    if (lt_check_io_count(ctx, node, 2, 2, 1) != LT_OK || check_bool(ctx, node) != LT_OK)
        return LT_ERROR;
    const lt_tensor *a = node->inputs[0], *b = node->inputs[1];
    logic_state *st = lt_ctx_alloc(ctx, node, sizeof *st);
    if (st == NULL) return LT_ERROR;
    lt_shape out_shape;
    char a_str[96], b_str[96];
    if (!lt_broadcast_shape(&a->shape, &b->shape, &out_shape) ||
        !lt_bcast_plan_init(&st->plan, &a->shape, &b->shape, &out_shape))
        return lt_ctx_error(ctx, node, "input shapes %s and %s do not broadcast",
                            lt_shape_str(&a->shape, a_str, sizeof a_str),
                            lt_shape_str(&b->shape, b_str, sizeof b_str));
    st->rows = rows;
    node->state = st;
    return lt_node_set_output_shape(ctx, node, 0, &out_shape);
}

static lt_status binary_invoke(lt_context *ctx, lt_node *node) {
    (void)ctx;
    const logic_state *st = node->state;
    lt_bcast_run(&st->plan, st->rows, NULL, node->inputs[0]->data, 1, node->inputs[1]->data, 1,
                 node->outputs[0]->data, 1);
    return LT_OK;
}

static lt_status and_prepare(lt_context *ctx, lt_node *node) {
    return binary_prepare(ctx, node, &and_b_rows);
}
static lt_status or_prepare(lt_context *ctx, lt_node *node) {
    return binary_prepare(ctx, node, &or_b_rows);
}

static lt_status not_prepare(lt_context *ctx, lt_node *node) {
    if (lt_check_io_count(ctx, node, 1, 1, 1) != LT_OK || check_bool(ctx, node) != LT_OK)
        return LT_ERROR;
    return lt_node_set_output_shape(ctx, node, 0, &node->inputs[0]->shape);
}

static lt_status not_invoke(lt_context *ctx, lt_node *node) {
    (void)ctx;
    const uint8_t *in = node->inputs[0]->data;
    uint8_t *out = node->outputs[0]->data;
    const int64_t n = lt_tensor_elements(node->inputs[0]);
    for (int64_t i = 0; i < n; i++) out[i] = in[i] == 0;
    return LT_OK;
}

const lt_op lt_op_logical_and = {"LOGICAL_AND", and_prepare, binary_invoke};
const lt_op lt_op_logical_or = {"LOGICAL_OR", or_prepare, binary_invoke};
const lt_op lt_op_logical_not = {"LOGICAL_NOT", not_prepare, not_invoke};
