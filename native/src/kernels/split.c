/* SPLIT and SPLIT_V: cut a tensor along one axis into consecutive pieces, one per output
 * (tf.split with a count, or with a list of sizes).
 *
 * SPLIT:   inputs (axis, value); SplitOptions.num_splits (field 0) equal pieces.
 * SPLIT_V: inputs (value, size_splits, axis); SplitVOptions.num_splits (field 0) pieces of the
 *          listed sizes, one of which may be -1 ("the rest").
 * The axis is a one-element INT32/INT64 tensor, negative counting from the end; it and the
 * sizes must be constant (TensorFlow Lite resizes at invoke when they are not; this runtime
 * has no dynamic shapes). Each output is a slice of the input, copied by a plan built at
 * prepare (shape_ops_copy.h). Types as TensorFlow Lite's kernels: SPLIT FLOAT32, INT8, UINT8,
 * INT16, INT32; SPLIT_V also INT64. Quantized outputs must share the input's parameters. */
#include "data_movement_checks.h"
#include "kernels.h"
#include "shape_ops_copy.h"

#include "../alloc.h"

enum { NUM_SPLITS_FIELD = 0 };

typedef struct split_state {
    int32_t n;                      /* outputs */
    shape_ops_copy_plan plans[];    /* one per output */
} split_state;

/* Reads the axis tensor (input i) into [0, rank). */
static lt_status read_axis(lt_context *ctx, const lt_node *node, int i, int rank, int *axis) {
    const lt_tensor *t = node->inputs[i];
    char buf[96];
    if (dm_check_index_type(ctx, node, i, "axis") != LT_OK ||
        dm_check_shape_input_constant(ctx, node, i, "axis") != LT_OK)
        return LT_ERROR;
    if (lt_tensor_elements(t) != 1)
        return lt_ctx_error(ctx, node, "axis '%s' has shape %s; expected a single value",
                            t->name, lt_shape_str(&t->shape, buf, sizeof buf));
    const int64_t a = dm_index_at(t, 0);
    if (a < -rank || a >= rank)
        return lt_ctx_error(ctx, node, "axis %lld is out of range for an input of rank %d",
                            (long long)a, rank);
    *axis = (int)(a < 0 ? a + rank : a);
    return LT_OK;
}

/* Output types and quantization, and the output count against num_splits. */
static lt_status check_outputs(lt_context *ctx, const lt_node *node, const lt_tensor *in,
                               uint8_t options) {
    if (lt_check_options(ctx, node, options) != LT_OK) return LT_ERROR;
    const int32_t num = lt_opt_i32(node, NUM_SPLITS_FIELD, node->n_outputs);
    if (num != node->n_outputs || num < 1)
        return lt_ctx_error(ctx, node, "num_splits is %d but the op has %d outputs", (int)num,
                            (int)node->n_outputs);
    const lt_type t = in->type;
    const bool type_ok = t == LT_FLOAT32 || t == LT_INT8 || t == LT_UINT8 || t == LT_INT16 ||
                         t == LT_INT32 || (t == LT_INT64 && node->builtin_code == LT_OP_SPLIT_V);
    if (!type_ok)
        return lt_ctx_error(ctx, node, "input '%s' has type %s; expected FLOAT32, INT8, UINT8, "
                            "INT16, INT32%s", in->name, lt_type_name(t),
                            node->builtin_code == LT_OP_SPLIT_V ? " or INT64" : "");
    for (int i = 0; i < node->n_outputs; i++) {
        const lt_tensor *out = node->outputs[i];
        if (out == NULL) return lt_ctx_error(ctx, node, "output %d is missing", i);
        if (out->type != t)
            return lt_ctx_error(ctx, node, "output '%s' has type %s; expected %s like the input",
                                out->name, lt_type_name(out->type), lt_type_name(t));
        if (dm_check_same_quant(ctx, node, in, out) != LT_OK) return LT_ERROR;
    }
    return LT_OK;
}

/* Sets each output's shape (sizes[i] along `axis`) and plans its copy. */
static lt_status plan_pieces(lt_context *ctx, lt_node *node, const lt_tensor *in, int axis,
                             const int64_t *sizes) {
    const int n = node->n_outputs, rank = in->shape.rank;
    size_t bytes;
    if (!lt_mul_size((size_t)n, sizeof(shape_ops_copy_plan), &bytes) ||
        !lt_add_size(bytes, sizeof(split_state), &bytes))
        return lt_ctx_error(ctx, node, "too many outputs (%d)", n);
    split_state *st = lt_ctx_alloc(ctx, node, bytes);
    if (st == NULL) return LT_ERROR;
    st->n = n;
    int64_t strides[LT_MAX_RANK], count[LT_MAX_RANK];
    shape_ops_strides(&in->shape, strides);
    int64_t begin = 0;
    for (int i = 0; i < n; i++) {
        lt_shape s = in->shape;
        s.dims[axis] = (int32_t)sizes[i]; /* <= the input's extent: fits */
        if (lt_node_set_output_shape(ctx, node, i, &s) != LT_OK) return LT_ERROR;
        for (int d = 0; d < rank; d++) count[d] = s.dims[d];
        shape_ops_copy_plan_init(&st->plans[i], rank, count, strides, begin * strides[axis],
                                 lt_type_size(in->type));
        begin += sizes[i];
    }
    node->state = st;
    return LT_OK;
}

static lt_status split_prepare(lt_context *ctx, lt_node *node) {
    if (node->n_outputs < 1) return lt_ctx_error(ctx, node, "needs at least one output");
    if (lt_check_io_count(ctx, node, 2, 2, node->n_outputs) != LT_OK) return LT_ERROR;
    const lt_tensor *in = node->inputs[1];
    if (check_outputs(ctx, node, in, LT_OPTS_SplitOptions) != LT_OK) return LT_ERROR;
    const int rank = in->shape.rank;
    if (rank < 1) return lt_ctx_error(ctx, node, "input '%s' is a scalar; expected rank >= 1",
                                      in->name);
    int axis;
    if (read_axis(ctx, node, 0, rank, &axis) != LT_OK) return LT_ERROR;
    const int64_t dim = in->shape.dims[axis];
    const int n = node->n_outputs;
    if (dim % n != 0)
        return lt_ctx_error(ctx, node, "dimension %d of input '%s' has size %lld, which does "
                            "not split evenly into %d pieces", axis, in->name, (long long)dim,
                            n);
    int64_t *sizes = lt_ctx_alloc(ctx, node, (size_t)n * sizeof *sizes);
    if (sizes == NULL) return LT_ERROR;
    for (int i = 0; i < n; i++) sizes[i] = dim / n;
    return plan_pieces(ctx, node, in, axis, sizes);
}

static lt_status split_v_prepare(lt_context *ctx, lt_node *node) {
    if (node->n_outputs < 1) return lt_ctx_error(ctx, node, "needs at least one output");
    if (lt_check_io_count(ctx, node, 3, 3, node->n_outputs) != LT_OK) return LT_ERROR;
    const lt_tensor *in = node->inputs[0], *sz = node->inputs[1];
    if (check_outputs(ctx, node, in, LT_OPTS_SplitVOptions) != LT_OK) return LT_ERROR;
    const int rank = in->shape.rank;
    char buf[96];
    if (rank < 1) return lt_ctx_error(ctx, node, "input '%s' is a scalar; expected rank >= 1",
                                      in->name);
    if (dm_check_index_type(ctx, node, 1, "size_splits") != LT_OK ||
        dm_check_shape_input_constant(ctx, node, 1, "size_splits") != LT_OK)
        return LT_ERROR;
    const int n = node->n_outputs;
    if (sz->shape.rank != 1 || sz->shape.dims[0] != n)
        return lt_ctx_error(ctx, node, "size_splits '%s' has shape %s; expected [%d], one size "
                            "per output", sz->name, lt_shape_str(&sz->shape, buf, sizeof buf), n);
    int axis;
    if (read_axis(ctx, node, 2, rank, &axis) != LT_OK) return LT_ERROR;
    const int64_t dim = in->shape.dims[axis];

    int64_t *sizes = lt_ctx_alloc(ctx, node, (size_t)n * sizeof *sizes);
    if (sizes == NULL) return LT_ERROR;
    int rest = -1;
    int64_t sum = 0;
    for (int i = 0; i < n; i++) {
        sizes[i] = dm_index_at(sz, i);
        if (sizes[i] == -1) {
            if (rest >= 0)
                return lt_ctx_error(ctx, node, "size_splits has more than one -1 (entries %d "
                                    "and %d)", rest, i);
            rest = i;
        } else if (sizes[i] < 0 || sizes[i] > dim) {
            return lt_ctx_error(ctx, node, "size_splits[%d] is %lld; expected -1 or a size in "
                                "[0, %lld]", i, (long long)sizes[i], (long long)dim);
        } else {
            sum += sizes[i]; /* n <= INT32_MAX terms each <= INT32_MAX: no overflow */
        }
    }
    if (rest >= 0) {
        if (sum > dim)
            return lt_ctx_error(ctx, node, "size_splits add up to %lld, more than dimension %d "
                                "(%lld) of input '%s'", (long long)sum, axis, (long long)dim,
                                in->name);
        sizes[rest] = dim - sum;
    } else if (sum != dim) {
        return lt_ctx_error(ctx, node, "size_splits add up to %lld; expected dimension %d of "
                            "input '%s' (%lld)", (long long)sum, axis, in->name,
                            (long long)dim);
    }
    return plan_pieces(ctx, node, in, axis, sizes);
}

static lt_status split_invoke(lt_context *ctx, lt_node *node) {
    (void)ctx;
    const split_state *st = node->state;
    const lt_tensor *in = node->inputs[node->builtin_code == LT_OP_SPLIT ? 1 : 0];
    for (int i = 0; i < st->n; i++)
        shape_ops_copy_run(&st->plans[i], in->data, node->outputs[i]->data);
    return LT_OK;
}

const lt_op lt_op_split = {"SPLIT", split_prepare, split_invoke};
const lt_op lt_op_split_v = {"SPLIT_V", split_v_prepare, split_invoke};
