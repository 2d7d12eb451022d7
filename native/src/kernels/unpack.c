/* UNPACK: the slices of a tensor along one axis, each as an output of one rank less
 * (tf.unstack; the inverse of PACK).
 *
 * UnpackOptions: num (field 0) must equal the input's extent along axis (field 1, negative
 * counting from the end). As in TensorFlow Lite the input must be non-empty, and quantized
 * outputs must share the input's parameters (values are copied, not rescaled). Types as
 * TensorFlow Lite's kernel: FLOAT32, INT32, UINT8, INT8, INT16, BOOL. Output i is the slice at
 * index i, copied by a plan built at prepare (shape_ops_copy.h). */
#include "data_movement_checks.h"
#include "kernels.h"
#include "shape_ops_copy.h"

#include "../alloc.h"

enum { UNPACK_NUM = 0, UNPACK_AXIS = 1 };

typedef struct unpack_state {
    int32_t n;
    shape_ops_copy_plan plans[];
} unpack_state;

static lt_status unpack_prepare(lt_context *ctx, lt_node *node) {
    if (node->n_outputs < 1) return lt_ctx_error(ctx, node, "needs at least one output");
    if (lt_check_io_count(ctx, node, 1, 1, node->n_outputs) != LT_OK ||
        lt_check_options(ctx, node, LT_OPTS_UnpackOptions) != LT_OK)
        return LT_ERROR;
    const lt_tensor *in = node->inputs[0];
    const int rank = in->shape.rank;
    const lt_type t = in->type;
    char buf[96];
    if (t != LT_FLOAT32 && t != LT_INT32 && t != LT_UINT8 && t != LT_INT8 && t != LT_INT16 &&
        t != LT_BOOL)
        return lt_ctx_error(ctx, node, "input '%s' has type %s; expected FLOAT32, INT32, UINT8, "
                            "INT8, INT16 or BOOL", in->name, lt_type_name(t));
    if (rank < 1) return lt_ctx_error(ctx, node, "input '%s' is a scalar; expected rank >= 1",
                                      in->name);
    if (lt_tensor_elements(in) == 0)
        return lt_ctx_error(ctx, node, "input '%s' has shape %s with no elements; UNPACK needs "
                            "a non-empty input", in->name,
                            lt_shape_str(&in->shape, buf, sizeof buf));
    const int32_t axis_opt = lt_opt_i32(node, UNPACK_AXIS, 0);
    if (axis_opt < -rank || axis_opt >= rank)
        return lt_ctx_error(ctx, node, "axis %d is out of range for an input of rank %d",
                            (int)axis_opt, rank);
    const int axis = axis_opt < 0 ? axis_opt + rank : axis_opt;
    const int32_t num = lt_opt_i32(node, UNPACK_NUM, node->n_outputs);
    if (num != in->shape.dims[axis] || num != node->n_outputs)
        return lt_ctx_error(ctx, node, "num is %d and the op has %d outputs; both must equal "
                            "dimension %d of input '%s' (%d)", (int)num, (int)node->n_outputs,
                            axis, in->name, (int)in->shape.dims[axis]);

    lt_shape out_shape = {.rank = rank - 1};
    for (int d = 0, o = 0; d < rank; d++)
        if (d != axis) out_shape.dims[o++] = in->shape.dims[d];
    size_t bytes;
    if (!lt_mul_size((size_t)num, sizeof(shape_ops_copy_plan), &bytes) ||
        !lt_add_size(bytes, sizeof(unpack_state), &bytes))
        return lt_ctx_error(ctx, node, "too many outputs (%d)", (int)num);
    unpack_state *st = lt_ctx_alloc(ctx, node, bytes);
    if (st == NULL) return LT_ERROR;
    st->n = num;
    int64_t strides[LT_MAX_RANK], count[LT_MAX_RANK];
    shape_ops_strides(&in->shape, strides);
    for (int d = 0; d < rank; d++) count[d] = d == axis ? 1 : in->shape.dims[d];
    for (int i = 0; i < num; i++) {
        const lt_tensor *out = node->outputs[i];
        if (out == NULL) return lt_ctx_error(ctx, node, "output %d is missing", i);
        if (out->type != t)
            return lt_ctx_error(ctx, node, "output '%s' has type %s; expected %s like the input",
                                out->name, lt_type_name(out->type), lt_type_name(t));
        if (dm_check_same_quant(ctx, node, in, out) != LT_OK ||
            lt_node_set_output_shape(ctx, node, i, &out_shape) != LT_OK)
            return LT_ERROR;
        shape_ops_copy_plan_init(&st->plans[i], rank, count, strides, i * strides[axis],
                                 lt_type_size(t));
    }
    node->state = st;
    return LT_OK;
}

static lt_status unpack_invoke(lt_context *ctx, lt_node *node) {
    (void)ctx;
    const unpack_state *st = node->state;
    for (int i = 0; i < st->n; i++)
        shape_ops_copy_run(&st->plans[i], node->inputs[0]->data, node->outputs[i]->data);
    return LT_OK;
}

const lt_op lt_op_unpack = {"UNPACK", unpack_prepare, unpack_invoke};
