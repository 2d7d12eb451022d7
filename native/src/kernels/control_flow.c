/* WHILE and IF: ops that run other subgraphs of the model.
 *
 * Each subgraph a node calls gets an interpreter of its own (lt_ctx_open_subgraph), prepared
 * in this node's prepare with its inputs resized to the shapes the node feeds it, so that
 * every shape is known before invoke, as everywhere else in the runtime. Values cross by copy:
 * a loop iteration copies the loop variables into the condition's inputs, then into the
 * body's, then the body's outputs back into this node's outputs (which hold the loop state).
 *
 * What TensorFlow Lite allows and we do not: a WHILE body that changes the shape of a loop
 * variable from one iteration to the next (TensorFlow Lite resizes at invoke); and IF branches
 * whose outputs differ in shape. Both are rejected at prepare naming the variable. A loop
 * whose condition never turns false runs forever, as in TensorFlow Lite. */
#include <string.h>

#include "kernels.h"

enum { WHILE_COND = 0, WHILE_BODY = 1 };   /* WhileOptions fields */
enum { IF_THEN = 0, IF_ELSE = 1 };         /* IfOptions fields */

typedef struct control_state {
    lt_interpreter *first;  /* WHILE: condition; IF: then branch */
    lt_interpreter *second; /* WHILE: body; IF: else branch */
} control_state;

static void release_children(lt_context *ctx, lt_node *node) {
    (void)ctx;
    control_state *st = node->state;
    if (st == NULL) return;
    lt_interpreter_free(st->first);
    lt_interpreter_free(st->second);
    st->first = st->second = NULL;
}

static lt_status info_of(lt_interpreter *g, int tensor, lt_tensor_info *info) {
    return lt_interpreter_tensor_info(g, tensor, info);
}

/* The shape a subgraph reports for one of its tensors. */
static lt_shape shape_of(const lt_tensor_info *info) {
    lt_shape s;
    s.rank = info->rank > LT_MAX_RANK ? LT_MAX_RANK : info->rank;
    for (int d = 0; d < s.rank; d++) s.dims[d] = info->dims[d];
    return s;
}

static bool same_shape(const lt_tensor_info *info, const lt_shape *s) {
    const lt_shape t = shape_of(info);
    return lt_shape_equal(&t, s);
}

static const char *info_shape_str(const lt_tensor_info *info, char *buf, size_t len) {
    const lt_shape s = shape_of(info);
    return lt_shape_str(&s, buf, len);
}

/* Opens subgraph `index` for `role`, checks its input/output counts, feeds it the shapes and
 * types of `args` and allocates it. NULL (error recorded) on any failure. */
static lt_interpreter *open_and_prepare(lt_context *ctx, lt_node *node, int32_t index,
                                        const char *role, lt_tensor *const *args, int n_args,
                                        int n_outputs) {
    lt_interpreter *g = lt_ctx_open_subgraph(ctx, node, index, role);
    if (g == NULL) return NULL;
    char buf[96];
    if (lt_interpreter_input_count(g) != n_args || lt_interpreter_output_count(g) != n_outputs) {
        lt_ctx_error(ctx, node, "%s subgraph %d has %d inputs and %d outputs; expected %d and "
                     "%d", role, (int)index, lt_interpreter_input_count(g),
                     lt_interpreter_output_count(g), n_args, n_outputs);
        lt_interpreter_free(g);
        return NULL;
    }
    for (int k = 0; k < n_args; k++) {
        lt_tensor_info info;
        const lt_tensor *a = args[k];
        if (info_of(g, lt_interpreter_input_tensor(g, k), &info) != LT_OK ||
            info.type != a->type) {
            lt_ctx_error(ctx, node, "%s subgraph %d input %d has type %s; the op passes %s "
                         "'%s'", role, (int)index, k, lt_type_name(info.type),
                         lt_type_name(a->type), a->name);
            lt_interpreter_free(g);
            return NULL;
        }
        if (lt_interpreter_resize_input(g, k, a->shape.dims, a->shape.rank) != LT_OK) {
            lt_ctx_error(ctx, node, "%s subgraph %d input %d cannot take shape %s: %s", role,
                         (int)index, k, lt_shape_str(&a->shape, buf, sizeof buf),
                         lt_interpreter_error(g));
            lt_interpreter_free(g);
            return NULL;
        }
    }
    if (lt_interpreter_allocate(g) != LT_OK) {
        lt_ctx_error(ctx, node, "%s subgraph %d: %s", role, (int)index, lt_interpreter_error(g));
        lt_interpreter_free(g);
        return NULL;
    }
    if (lt_ctx_charge_subgraph(ctx, node, g) != LT_OK) {
        lt_interpreter_free(g);
        return NULL;
    }
    return g;
}

static control_state *new_state(lt_context *ctx, lt_node *node) {
    control_state *st = lt_ctx_alloc(ctx, node, sizeof *st);
    if (st == NULL) return NULL;
    node->state = st;
    node->release = release_children;
    return st;
}

/* Copies n bytes unless there are none (data pointers of empty tensors may be NULL). */
static void copy_bytes(void *dst, const void *src, size_t n) {
    if (n > 0 && dst != src) memcpy(dst, src, n);
}

/* Copies `src` (n tensors of this graph) into the inputs of subgraph g. */
static void feed_inputs(lt_interpreter *g, lt_tensor *const *src, int n) {
    for (int k = 0; k < n; k++)
        copy_bytes(lt_interpreter_tensor_data(g, lt_interpreter_input_tensor(g, k)),
                   src[k]->data, src[k]->bytes);
}

/* Copies the outputs of subgraph g into `dst` (n tensors of this graph, same sizes). */
static void take_outputs(lt_interpreter *g, lt_tensor *const *dst, int n) {
    for (int k = 0; k < n; k++)
        copy_bytes(dst[k]->data, lt_interpreter_tensor_data(g, lt_interpreter_output_tensor(g, k)),
                   dst[k]->bytes);
}

static lt_status child_failed(lt_context *ctx, const lt_node *node, lt_interpreter *g,
                              const char *role) {
    return lt_ctx_error(ctx, node, "%s subgraph: %s", role, lt_interpreter_error(g));
}

/* ---- WHILE ------------------------------------------------------------------------------ */

static lt_status while_prepare(lt_context *ctx, lt_node *node) {
    if (lt_check_options(ctx, node, LT_OPTS_WhileOptions) != LT_OK) return LT_ERROR;
    const int n = node->n_inputs;
    if (n < 1 || node->n_outputs != n)
        return lt_ctx_error(ctx, node, "has %d inputs and %d outputs; expected the same number "
                            "(the loop variables), at least one", n, (int)node->n_outputs);
    for (int k = 0; k < n; k++)
        if (node->inputs[k] == NULL)
            return lt_ctx_error(ctx, node, "loop variable %d is omitted", k);
    control_state *st = new_state(ctx, node);
    if (st == NULL) return LT_ERROR;
    const int32_t cond = lt_opt_i32(node, WHILE_COND, 0);
    const int32_t body = lt_opt_i32(node, WHILE_BODY, 0);
    st->first = open_and_prepare(ctx, node, cond, "condition", node->inputs, n, 1);
    if (st->first == NULL) return LT_ERROR;
    st->second = open_and_prepare(ctx, node, body, "body", node->inputs, n, n);
    if (st->second == NULL) return LT_ERROR;
    lt_tensor_info info;
    char buf[96], buf2[96];
    if (info_of(st->first, lt_interpreter_output_tensor(st->first, 0), &info) != LT_OK ||
        info.type != LT_BOOL || info.bytes != 1)
        return lt_ctx_error(ctx, node, "condition subgraph %d must output one BOOL; it outputs "
                            "%s %s", (int)cond, lt_type_name(info.type),
                            info_shape_str(&info, buf, sizeof buf));
    for (int k = 0; k < n; k++) {
        const lt_tensor *in = node->inputs[k];
        if (info_of(st->second, lt_interpreter_output_tensor(st->second, k), &info) != LT_OK)
            return child_failed(ctx, node, st->second, "body");
        if (info.type != in->type || !same_shape(&info, &in->shape))
            return lt_ctx_error(ctx, node, "body subgraph %d turns loop variable %d ('%s', %s "
                                "%s) into %s %s: loop variables that change shape or type "
                                "between iterations are not supported", (int)body, k, in->name,
                                lt_type_name(in->type), lt_shape_str(&in->shape, buf, sizeof buf),
                                lt_type_name(info.type), info_shape_str(&info, buf2, sizeof buf2));
        if (node->outputs[k]->type != in->type)
            return lt_ctx_error(ctx, node, "output %d has type %s; loop variable %d is %s", k,
                                lt_type_name(node->outputs[k]->type), k, lt_type_name(in->type));
        if (lt_node_set_output_shape(ctx, node, k, &in->shape) != LT_OK) return LT_ERROR;
    }
    return LT_OK;
}

static lt_status while_invoke(lt_context *ctx, lt_node *node) {
    control_state *st = node->state;
    const int n = node->n_inputs;
    lt_interpreter *cond = st->first, *body = st->second;
    for (int k = 0; k < n; k++) /* the outputs hold the loop state */
        copy_bytes(node->outputs[k]->data, node->inputs[k]->data, node->inputs[k]->bytes);
    const uint8_t *go = lt_interpreter_tensor_data(cond, lt_interpreter_output_tensor(cond, 0));
    for (;;) {
        feed_inputs(cond, node->outputs, n);
        if (lt_interpreter_invoke(cond) != LT_OK) return child_failed(ctx, node, cond, "condition");
        if (*go == 0) return LT_OK; /* BOOL as a byte: any nonzero is true */
        feed_inputs(body, node->outputs, n);
        if (lt_interpreter_invoke(body) != LT_OK) return child_failed(ctx, node, body, "body");
        take_outputs(body, node->outputs, n);
    }
}

/* ---- IF --------------------------------------------------------------------------------- */

static lt_status if_prepare(lt_context *ctx, lt_node *node) {
    if (lt_check_options(ctx, node, LT_OPTS_IfOptions) != LT_OK) return LT_ERROR;
    if (node->n_inputs < 1 || node->inputs[0] == NULL)
        return lt_ctx_error(ctx, node, "needs the condition as input 0");
    const lt_tensor *c = node->inputs[0];
    if (c->type != LT_BOOL || lt_tensor_elements(c) != 1) {
        char buf[96];
        return lt_ctx_error(ctx, node, "condition '%s' is %s %s; expected one BOOL", c->name,
                            lt_type_name(c->type), lt_shape_str(&c->shape, buf, sizeof buf));
    }
    const int n_args = node->n_inputs - 1, n_out = node->n_outputs;
    for (int k = 1; k < node->n_inputs; k++)
        if (node->inputs[k] == NULL) return lt_ctx_error(ctx, node, "input %d is omitted", k);
    control_state *st = new_state(ctx, node);
    if (st == NULL) return LT_ERROR;
    const int32_t then_g = lt_opt_i32(node, IF_THEN, 0);
    const int32_t else_g = lt_opt_i32(node, IF_ELSE, 0);
    st->first = open_and_prepare(ctx, node, then_g, "then", node->inputs + 1, n_args, n_out);
    if (st->first == NULL) return LT_ERROR;
    st->second = open_and_prepare(ctx, node, else_g, "else", node->inputs + 1, n_args, n_out);
    if (st->second == NULL) return LT_ERROR;
    char buf[96], buf2[96];
    for (int k = 0; k < n_out; k++) {
        lt_tensor_info a, b;
        if (info_of(st->first, lt_interpreter_output_tensor(st->first, k), &a) != LT_OK)
            return child_failed(ctx, node, st->first, "then");
        if (info_of(st->second, lt_interpreter_output_tensor(st->second, k), &b) != LT_OK)
            return child_failed(ctx, node, st->second, "else");
        const lt_shape s = shape_of(&a);
        if (a.type != b.type || !same_shape(&b, &s))
            return lt_ctx_error(ctx, node, "output %d is %s %s in the then branch and %s %s in "
                                "the else branch: branches whose outputs differ are not "
                                "supported", k, lt_type_name(a.type),
                                info_shape_str(&a, buf, sizeof buf), lt_type_name(b.type),
                                info_shape_str(&b, buf2, sizeof buf2));
        if (node->outputs[k]->type != a.type)
            return lt_ctx_error(ctx, node, "output %d has type %s; the branches give %s", k,
                                lt_type_name(node->outputs[k]->type), lt_type_name(a.type));
        if (lt_node_set_output_shape(ctx, node, k, &s) != LT_OK) return LT_ERROR;
    }
    return LT_OK;
}

static lt_status if_invoke(lt_context *ctx, lt_node *node) {
    control_state *st = node->state;
    const bool take_then = *(const uint8_t *)node->inputs[0]->data != 0;
    lt_interpreter *g = take_then ? st->first : st->second;
    feed_inputs(g, node->inputs + 1, node->n_inputs - 1);
    if (lt_interpreter_invoke(g) != LT_OK)
        return child_failed(ctx, node, g, take_then ? "then" : "else");
    take_outputs(g, node->outputs, node->n_outputs);
    return LT_OK;
}

const lt_op lt_op_while = {"WHILE", while_prepare, while_invoke};
const lt_op lt_op_if = {"IF", if_prepare, if_invoke};
