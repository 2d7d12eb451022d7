/* EXPAND_DIMS: inserts a dimension of extent 1 at `axis` (tf.expand_dims). The elements and
 * their order do not change, so invoke is one copy of the input's bytes.
 *
 * Inputs (input, axis): axis is a constant one-element INT32/INT64 tensor in
 * [-rank - 1, rank], negative counting from the end of the output's dimensions. Any stored
 * type; quantized outputs must share the input's parameters. */
#include <string.h>

#include "data_movement_checks.h"
#include "kernels.h"

enum { EXPAND_INPUT = 0, EXPAND_AXIS = 1 };

static lt_status expand_dims_prepare(lt_context *ctx, lt_node *node) {
    if (lt_check_io_count(ctx, node, 2, 2, 1) != LT_OK ||
        lt_check_options(ctx, node, LT_OPTS_ExpandDimsOptions) != LT_OK)
        return LT_ERROR;
    const lt_tensor *in = node->inputs[EXPAND_INPUT], *ax = node->inputs[EXPAND_AXIS];
    const lt_tensor *out = node->outputs[0];
    const int rank = in->shape.rank;
    char buf[96];
    if (lt_type_size(in->type) == 0)
        return lt_ctx_error(ctx, node, "input '%s' has type %s, which this op cannot move",
                            in->name, lt_type_name(in->type));
    if (out->type != in->type)
        return lt_ctx_error(ctx, node, "output '%s' has type %s; expected %s like the input",
                            out->name, lt_type_name(out->type), lt_type_name(in->type));
    if (dm_check_same_quant(ctx, node, in, out) != LT_OK ||
        dm_check_index_type(ctx, node, EXPAND_AXIS, "axis") != LT_OK ||
        dm_check_shape_input_constant(ctx, node, EXPAND_AXIS, "axis") != LT_OK)
        return LT_ERROR;
    if (lt_tensor_elements(ax) != 1)
        return lt_ctx_error(ctx, node, "axis '%s' has shape %s; expected a single value",
                            ax->name, lt_shape_str(&ax->shape, buf, sizeof buf));
    if (rank + 1 > LT_MAX_RANK)
        return lt_ctx_error(ctx, node, "output rank %d exceeds the highest supported rank %d",
                            rank + 1, LT_MAX_RANK);
    const int64_t a = dm_index_at(ax, 0);
    if (a < -rank - 1 || a > rank)
        return lt_ctx_error(ctx, node, "axis %lld is out of range [%d, %d] for an input of "
                            "rank %d", (long long)a, -rank - 1, rank, rank);
    const int axis = (int)(a < 0 ? a + rank + 1 : a);
    lt_shape s = {.rank = rank + 1};
    for (int d = 0, i = 0; d <= rank; d++) s.dims[d] = d == axis ? 1 : in->shape.dims[i++];
    return lt_node_set_output_shape(ctx, node, 0, &s);
}

static lt_status expand_dims_invoke(lt_context *ctx, lt_node *node) {
    (void)ctx;
    const lt_tensor *in = node->inputs[EXPAND_INPUT];
    if (in->bytes > 0) memcpy(node->outputs[0]->data, in->data, in->bytes);
    return LT_OK;
}

const lt_op lt_op_expand_dims = {"EXPAND_DIMS", expand_dims_prepare, expand_dims_invoke};
