/* CAST: converts every element to the output's type (tf.cast), between FLOAT32, INT8, UINT8,
 * INT16, INT32, INT64 and BOOL, on stored values: quantization parameters play no part, as in
 * TensorFlow Lite.
 *
 * Conversions match TensorFlow Lite's kernel (checked against ai-edge-litert 2.3) and none is
 * undefined behaviour in C:
 *   - to BOOL: value != 0 (a NaN is true); from BOOL: 0 or 1.
 *   - integer to narrower integer: wraps modulo 2^bits; integer to FLOAT32: nearest float.
 *   - FLOAT32 to an integer type: truncates toward zero and saturates to the type's range;
 *     NaN gives the type's maximum.
 * CastOptions (in_data_type, out_data_type) are ignored like TensorFlow Lite does: the
 * tensors' own types decide. */
#include <math.h>
#include <string.h>

#include "kernels.h"

static bool cast_type_ok(lt_type t) {
    return t == LT_FLOAT32 || t == LT_INT8 || t == LT_UINT8 || t == LT_INT16 || t == LT_INT32 ||
           t == LT_INT64 || t == LT_BOOL;
}

static lt_status cast_prepare(lt_context *ctx, lt_node *node) {
    if (lt_check_io_count(ctx, node, 1, 1, 1) != LT_OK ||
        lt_check_options(ctx, node, LT_OPTS_CastOptions) != LT_OK)
        return LT_ERROR;
    const lt_tensor *in = node->inputs[0], *out = node->outputs[0];
    if (!cast_type_ok(in->type) || !cast_type_ok(out->type))
        return lt_ctx_error(ctx, node, "cannot cast %s '%s' to %s '%s'; supported types are "
                            "FLOAT32, INT8, UINT8, INT16, INT32, INT64 and BOOL",
                            lt_type_name(in->type), in->name, lt_type_name(out->type),
                            out->name);
    return lt_node_set_output_shape(ctx, node, 0, &in->shape);
}

/* ---- From FLOAT32 ------------------------------------------------------------------------ */

/* Saturating truncation toward zero into [lo, hi] (the bounds of an integer type of at most
 * 32 bits, exact as floats up to rounding that the comparisons absorb); NaN gives hi. */
static int64_t f32_sat(float v, int64_t lo, int64_t hi) {
    if (isnan(v) || v >= (float)hi) return hi;
    if (v <= (float)lo) return lo;
    return (int64_t)v;
}

static int64_t f32_to_i64(float v) {
    if (isnan(v) || v >= 9223372036854775808.0f) return INT64_MAX;
    if (v <= -9223372036854775808.0f) return INT64_MIN;
    return (int64_t)v;
}

static void cast_from_f32(const float *x, lt_type to, void *out, int64_t n) {
    switch (to) {
    case LT_FLOAT32: memcpy(out, x, (size_t)n * sizeof *x); break;
    case LT_INT32: {
        int32_t *o = out;
        for (int64_t i = 0; i < n; i++) o[i] = (int32_t)f32_sat(x[i], INT32_MIN, INT32_MAX);
        break;
    }
    case LT_INT16: {
        int16_t *o = out;
        for (int64_t i = 0; i < n; i++) o[i] = (int16_t)f32_sat(x[i], INT16_MIN, INT16_MAX);
        break;
    }
    case LT_UINT8: {
        uint8_t *o = out;
        for (int64_t i = 0; i < n; i++) o[i] = (uint8_t)f32_sat(x[i], 0, UINT8_MAX);
        break;
    }
    case LT_INT8: {
        int8_t *o = out;
        for (int64_t i = 0; i < n; i++) o[i] = (int8_t)f32_sat(x[i], INT8_MIN, INT8_MAX);
        break;
    }
    case LT_INT64: {
        int64_t *o = out;
        for (int64_t i = 0; i < n; i++) o[i] = f32_to_i64(x[i]);
        break;
    }
    default: { /* BOOL */
        uint8_t *o = out;
        for (int64_t i = 0; i < n; i++) o[i] = x[i] != 0.0f;
        break;
    }
    }
}

/* ---- From integer types and BOOL, through int64 ----------------------------------------- */

enum { CAST_CHUNK = 256 };

/* Reads n <= CAST_CHUNK integers (or bools as 0/1) into v. */
static void load_int(const void *x, lt_type from, int64_t n, int64_t *v) {
    switch (from) {
    case LT_INT8: for (int64_t i = 0; i < n; i++) v[i] = ((const int8_t *)x)[i]; break;
    case LT_UINT8: for (int64_t i = 0; i < n; i++) v[i] = ((const uint8_t *)x)[i]; break;
    case LT_INT16: for (int64_t i = 0; i < n; i++) v[i] = ((const int16_t *)x)[i]; break;
    case LT_INT32: for (int64_t i = 0; i < n; i++) v[i] = ((const int32_t *)x)[i]; break;
    case LT_INT64: memcpy(v, x, (size_t)n * sizeof *v); break;
    default: for (int64_t i = 0; i < n; i++) v[i] = ((const uint8_t *)x)[i] != 0; break;
    }
}

/* Narrowing goes through the unsigned type of the same width: the wrap is then defined
 * arithmetic, and the final signed conversion is the two's complement reading every
 * supported compiler gives. */
static void store_int(const int64_t *v, int64_t n, lt_type to, void *out) {
    switch (to) {
    case LT_FLOAT32: for (int64_t i = 0; i < n; i++) ((float *)out)[i] = (float)v[i]; break;
    case LT_INT8:
        for (int64_t i = 0; i < n; i++) ((int8_t *)out)[i] = (int8_t)(uint8_t)(uint64_t)v[i];
        break;
    case LT_UINT8:
        for (int64_t i = 0; i < n; i++) ((uint8_t *)out)[i] = (uint8_t)(uint64_t)v[i];
        break;
    case LT_INT16:
        for (int64_t i = 0; i < n; i++) ((int16_t *)out)[i] = (int16_t)(uint16_t)(uint64_t)v[i];
        break;
    case LT_INT32:
        for (int64_t i = 0; i < n; i++) ((int32_t *)out)[i] = (int32_t)(uint32_t)(uint64_t)v[i];
        break;
    case LT_INT64: memcpy(out, v, (size_t)n * sizeof *v); break;
    default: for (int64_t i = 0; i < n; i++) ((uint8_t *)out)[i] = v[i] != 0; break;
    }
}

static lt_status cast_invoke(lt_context *ctx, lt_node *node) {
    (void)ctx;
    const lt_tensor *in = node->inputs[0], *out = node->outputs[0];
    const int64_t n = lt_tensor_elements(in);
    if (n <= 0) return LT_OK;
    if (in->type == LT_FLOAT32) {
        cast_from_f32(in->data, out->type, out->data, n);
        return LT_OK;
    }
    const size_t in_es = lt_type_size(in->type), out_es = lt_type_size(out->type);
    int64_t buf[CAST_CHUNK];
    for (int64_t i = 0; i < n; i += CAST_CHUNK) {
        const int64_t m = n - i < CAST_CHUNK ? n - i : CAST_CHUNK;
        load_int((const uint8_t *)in->data + (size_t)i * in_es, in->type, m, buf);
        store_int(buf, m, out->type, (uint8_t *)out->data + (size_t)i * out_es);
    }
    return LT_OK;
}

const lt_op lt_op_cast = {"CAST", cast_prepare, cast_invoke};
