/* DENSIFY: a sparse constant (Tensor.sparsity) -> the same tensor stored densely, as
 * TensorFlow Lite's DENSIFY (its FormatConverter): elements not stored are zero bytes (for
 * int8, the integer 0 whatever the zero point, as TensorFlow Lite fills them), stored values
 * are copied bit for bit. Any element type of fixed size works the same; the format's users
 * are float32, float16 and int8. The input is constant, so the interpreter folds this node:
 * the walk runs once, at prepare. */
#include <string.h>

#include "kernels.h"
#include "sparse_walk.h"

typedef struct densify_copy {
    const uint8_t *values;
    uint8_t *dense;
    size_t elem;
} densify_copy;

static void densify_visit(void *user, int64_t value, int64_t dense_offset) {
    const densify_copy *c = user;
    memcpy(c->dense + (size_t)dense_offset * c->elem, c->values + (size_t)value * c->elem,
           c->elem);
}

static lt_status densify_prepare(lt_context *ctx, lt_node *node) {
    if (lt_check_io_count(ctx, node, 1, 1, 1) != LT_OK) return LT_ERROR;
    const lt_tensor *in = node->inputs[0];
    if (in == NULL) return lt_ctx_error(ctx, node, "input 0 is omitted; expected a sparse tensor");
    const lt_tensor *out = node->outputs[0];
    if (in->sparsity == NULL || !in->is_constant)
        return lt_ctx_error(ctx, node, "input '%s' is not a sparse constant; expected a tensor "
                            "with sparsity parameters", in->name);
    if (out->type != in->type)
        return lt_ctx_error(ctx, node, "output '%s' has type %s; expected %s like the input",
                            out->name, lt_type_name(out->type), lt_type_name(in->type));
    return lt_node_set_output_shape(ctx, node, 0, &in->shape);
}

static lt_status densify_invoke(lt_context *ctx, lt_node *node) {
    (void)ctx;
    const lt_tensor *in = node->inputs[0];
    lt_tensor *out = node->outputs[0];
    memset(out->data, 0, out->bytes);
    densify_copy c = {in->data, out->data, lt_type_size(in->type)};
    lt_sparse_walk(in->sparsity, &in->shape, densify_visit, &c);
    return LT_OK;
}

const lt_op lt_op_densify = {"DENSIFY", densify_prepare, densify_invoke};
