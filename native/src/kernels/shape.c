/* SHAPE: the shape of its input as a 1-D int32 or int64 tensor. Reads only the input's shape,
 * so the interpreter folds it at prepare (see can_fold in interpreter.c). */
#include "kernels.h"

enum { SHAPE_OUT_TYPE = 0 };

static lt_status shape_prepare(lt_context *ctx, lt_node *node) {
    if (lt_check_io_count(ctx, node, 1, 1, 1) != LT_OK ||
        lt_check_options(ctx, node, LT_OPTS_ShapeOptions) != LT_OK)
        return LT_ERROR;
    lt_type out_type = node->outputs[0]->type;
    if (out_type != LT_INT32 && out_type != LT_INT64)
        return lt_ctx_error(ctx, node, "output type %s is not supported, expected INT32 or INT64",
                            lt_type_name(out_type));
    lt_shape s = {1, {node->inputs[0]->shape.rank}};
    return lt_node_set_output_shape(ctx, node, 0, &s);
}

static lt_status shape_invoke(lt_context *ctx, lt_node *node) {
    (void)ctx;
    const lt_shape *in = &node->inputs[0]->shape;
    lt_tensor *out = node->outputs[0];
    for (int i = 0; i < in->rank; i++) {
        if (out->type == LT_INT32) lt_i32(out)[i] = in->dims[i];
        else lt_i64(out)[i] = in->dims[i];
    }
    return LT_OK;
}

const lt_op lt_op_shape = {"SHAPE", shape_prepare, shape_invoke};
