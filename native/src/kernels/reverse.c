/* REVERSE_V2: the input with the order of elements reversed along the given axes
 * (tf.reverse), e.g. the backward direction of a Bidirectional recurrent layer.
 *
 * Inputs: the tensor (any stored type: values are copied, never interpreted) and the axes, a
 * constant INT32/INT64 vector, negative axes counting from the end, each axis at most once.
 * The copy is a strided walk that starts at the last element of every reversed axis and steps
 * backwards along it (shape_ops_copy.h). Quantized outputs must carry the input's
 * quantization. */
#include "data_movement_checks.h"
#include "shape_ops_copy.h"

static lt_status reverse_prepare(lt_context *ctx, lt_node *node) {
    if (lt_check_io_count(ctx, node, 2, 2, 1) != LT_OK) return LT_ERROR;
    const lt_tensor *in = node->inputs[0], *axes = node->inputs[1];
    const lt_tensor *out = node->outputs[0];
    if (in == NULL) return lt_ctx_error(ctx, node, "input 0 is missing");
    if (dm_check_shape_input_constant(ctx, node, 1, "axis") != LT_OK ||
        dm_check_index_type(ctx, node, 1, "axis") != LT_OK)
        return LT_ERROR;
    const size_t elem = lt_type_size(in->type);
    if (elem == 0)
        return lt_ctx_error(ctx, node, "input '%s' has type %s, which cannot be reversed",
                            in->name, lt_type_name(in->type));
    if (out->type != in->type)
        return lt_ctx_error(ctx, node, "output '%s' has type %s; expected %s like the input",
                            out->name, lt_type_name(out->type), lt_type_name(in->type));
    if (dm_check_same_quant(ctx, node, in, out) != LT_OK) return LT_ERROR;
    const int rank = in->shape.rank;
    const int64_t n_axes = lt_tensor_elements(axes);
    if (axes->shape.rank > 1 || n_axes > rank)
        return lt_ctx_error(ctx, node, "axis '%s' must be a vector of at most %d axes", axes->name,
                            rank);
    bool reversed[LT_MAX_RANK] = {false};
    for (int64_t k = 0; k < n_axes; k++) {
        const int64_t a = dm_index_at(axes, k);
        if (a < -rank || a >= rank)
            return lt_ctx_error(ctx, node, "axis %lld out of range for rank %d", (long long)a,
                                rank);
        const int d = (int)(a < 0 ? a + rank : a);
        if (reversed[d])
            return lt_ctx_error(ctx, node, "axis %d is given twice", d);
        reversed[d] = true;
    }
    if (lt_node_set_output_shape(ctx, node, 0, &in->shape) != LT_OK) return LT_ERROR;

    int64_t count[LT_MAX_RANK], step[LT_MAX_RANK], strides[LT_MAX_RANK], first = 0;
    shape_ops_strides(&in->shape, strides);
    for (int d = 0; d < rank; d++) {
        count[d] = in->shape.dims[d];
        step[d] = reversed[d] ? -strides[d] : strides[d];
        if (reversed[d] && count[d] > 0) first += (count[d] - 1) * strides[d];
    }
    shape_ops_copy_plan *plan = lt_ctx_alloc(ctx, node, sizeof *plan);
    if (plan == NULL) return LT_ERROR;
    shape_ops_copy_plan_init(plan, rank, count, step, first, elem);
    node->state = plan;
    return LT_OK;
}

static lt_status reverse_invoke(lt_context *ctx, lt_node *node) {
    (void)ctx;
    shape_ops_copy_run(node->state, node->inputs[0]->data, node->outputs[0]->data);
    return LT_OK;
}

const lt_op lt_op_reverse_v2 = {"REVERSE_V2", reverse_prepare, reverse_invoke};
