/* FILL: a tensor of the shape given by `dims` with every element equal to `value` (tf.fill).
 *
 * Inputs (dims, value): dims is a constant INT32/INT64 vector of extents >= 0 (TensorFlow Lite
 * resizes at invoke when it is not constant; this runtime has no dynamic shapes); value is a
 * single element (a scalar in converted models) of FLOAT32, INT32, INT64, BOOL, INT8, UINT8
 * or INT16, and the output has its type. A quantized output must share the value's
 * parameters, since the stored value is repeated as is. */
#include <string.h>

#include "data_movement_checks.h"
#include "kernels.h"

enum { FILL_DIMS = 0, FILL_VALUE = 1 };

static lt_status fill_prepare(lt_context *ctx, lt_node *node) {
    if (lt_check_io_count(ctx, node, 2, 2, 1) != LT_OK ||
        lt_check_options(ctx, node, LT_OPTS_FillOptions) != LT_OK)
        return LT_ERROR;
    const lt_tensor *dims = node->inputs[FILL_DIMS], *value = node->inputs[FILL_VALUE];
    const lt_tensor *out = node->outputs[0];
    const lt_type t = value->type;
    char buf[96];
    if (t != LT_FLOAT32 && t != LT_INT32 && t != LT_INT64 && t != LT_BOOL && t != LT_INT8 &&
        t != LT_UINT8 && t != LT_INT16)
        return lt_ctx_error(ctx, node, "value '%s' has type %s; expected FLOAT32, INT32, INT64, "
                            "BOOL, INT8, UINT8 or INT16", value->name, lt_type_name(t));
    if (lt_tensor_elements(value) != 1)
        return lt_ctx_error(ctx, node, "value '%s' has shape %s; expected a scalar",
                            value->name, lt_shape_str(&value->shape, buf, sizeof buf));
    if (out->type != t)
        return lt_ctx_error(ctx, node, "output '%s' has type %s; expected %s like the value",
                            out->name, lt_type_name(out->type), lt_type_name(t));
    if (dm_check_same_quant(ctx, node, value, out) != LT_OK ||
        dm_check_index_type(ctx, node, FILL_DIMS, "dims") != LT_OK ||
        dm_check_shape_input_constant(ctx, node, FILL_DIMS, "dims") != LT_OK)
        return LT_ERROR;
    if (dims->shape.rank != 1)
        return lt_ctx_error(ctx, node, "dims '%s' has shape %s; expected a vector",
                            dims->name, lt_shape_str(&dims->shape, buf, sizeof buf));
    const int n = dims->shape.dims[0];
    if (n > LT_MAX_RANK)
        return lt_ctx_error(ctx, node, "dims '%s' has %d entries; the highest supported rank "
                            "is %d", dims->name, n, LT_MAX_RANK);
    lt_shape s = {.rank = n};
    for (int d = 0; d < n; d++) {
        const int64_t v = dm_index_at(dims, d);
        if (v < 0 || v > INT32_MAX)
            return lt_ctx_error(ctx, node, "dims[%d] is %lld; expected an extent in [0, %d]", d,
                                (long long)v, (int)INT32_MAX);
        s.dims[d] = (int32_t)v;
    }
    return lt_node_set_output_shape(ctx, node, 0, &s);
}

static lt_status fill_invoke(lt_context *ctx, lt_node *node) {
    (void)ctx;
    const lt_tensor *value = node->inputs[FILL_VALUE];
    const lt_tensor *out = node->outputs[0];
    const int64_t n = lt_tensor_elements(out);
    switch (lt_type_size(out->type)) {
    case 1: {
        uint8_t v;
        memcpy(&v, value->data, 1);
        if (n > 0) memset(out->data, v, (size_t)n);
        break;
    }
    case 2: {
        uint16_t v, *o = out->data;
        memcpy(&v, value->data, 2);
        for (int64_t i = 0; i < n; i++) o[i] = v;
        break;
    }
    case 4: { /* float32 copied by bits: a NaN payload is kept as TensorFlow Lite keeps it */
        uint32_t v, *o = out->data;
        memcpy(&v, value->data, 4);
        for (int64_t i = 0; i < n; i++) o[i] = v;
        break;
    }
    default: {
        uint64_t v, *o = out->data;
        memcpy(&v, value->data, 8);
        for (int64_t i = 0; i < n; i++) o[i] = v;
        break;
    }
    }
    return LT_OK;
}

const lt_op lt_op_fill = {"FILL", fill_prepare, fill_invoke};
