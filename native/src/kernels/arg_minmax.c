/* ARG_MAX, ARG_MIN: the index of the largest / smallest value along one axis.
 *
 * Inputs: the tensor (rank >= 1; FLOAT32, UINT8, INT8 or INT32, TensorFlow Lite's set) and
 * the axis, an INT32 or INT64 tensor of one element in [-rank, rank) (negative counts from
 * the end). The axis fixes the output shape, so it must be constant at prepare (TensorFlow
 * Lite would resize the output at invoke instead). The output has the input's shape without
 * that axis (a scalar for rank 1) and the type ArgMaxOptions / ArgMinOptions.output_type
 * names, INT32 or INT64, which the output tensor must have.
 *
 * Semantics of TensorFlow Lite's kernel: start from the first element along the axis and
 * move to element i only when it compares strictly greater (ARG_MAX) / less (ARG_MIN) than
 * the best so far, so ties resolve to the lowest index. float NaN is skipped: a NaN best so
 * far is replaced by the next non-NaN value, and an all-NaN slice gives 0. That is what
 * ai_edge_litert's kernel does along any axis but the last (measured); along the last axis
 * its optimized path treats a leading NaN in ways that depend on the slice length (not
 * followed: without NaN every path agrees). Quantized int8 / uint8 inputs compare raw
 * values: the scale is positive, so the order is that of the real values.
 * An axis of extent 0 has no answer: rejected unless the output is empty anyway. */
#include <math.h>

#include "kernels.h"

enum { ARG_INPUT = 0, ARG_AXIS = 1 };
enum { ARG_OPT_OUTPUT_TYPE = 0 }; /* ArgMaxOptions / ArgMinOptions field id */

typedef void (*arg_fn)(const void *in, void *out, int64_t outer, int64_t axis, int64_t inner);

/* For each outer block: out[j] holds the best index so far for column j; rows of the axis
 * are walked in order so the input is read contiguously. The current best value is read back
 * through its index, which keeps the strict-compare-in-order semantics exactly. */
#define DEFINE_ARG(NAME, T, OUT, BETTER)                                                     \
    static void NAME(const void *in_, void *out_, int64_t outer, int64_t axis,               \
                     int64_t inner) {                                                        \
        const T *in = in_;                                                                   \
        OUT *out = out_;                                                                     \
        for (int64_t o = 0; o < outer; o++) {                                                \
            const T *block = in + o * axis * inner;                                          \
            OUT *idx = out + o * inner;                                                      \
            for (int64_t j = 0; j < inner; j++) idx[j] = 0;                                  \
            for (int64_t i = 1; i < axis; i++) {                                             \
                const T *row = block + i * inner;                                            \
                for (int64_t j = 0; j < inner; j++) {                                        \
                    const T best = block[(int64_t)idx[j] * inner + j];                       \
                    if (BETTER(row[j], best)) idx[j] = (OUT)i;                               \
                }                                                                            \
            }                                                                                \
        }                                                                                    \
    }

#define GREATER(a, b) ((a) > (b))
#define LESS(a, b) ((a) < (b))
/* float: also move off a NaN best onto any number. */
#define GREATER_F(a, b) ((a) > (b) || (isnan(b) && !isnan(a)))
#define LESS_F(a, b) ((a) < (b) || (isnan(b) && !isnan(a)))

#define DEFINE_ARG_TYPES(T, SUFFIX, GT, LT)                                                  \
    DEFINE_ARG(argmax_##SUFFIX##_i32, T, int32_t, GT)                                        \
    DEFINE_ARG(argmax_##SUFFIX##_i64, T, int64_t, GT)                                        \
    DEFINE_ARG(argmin_##SUFFIX##_i32, T, int32_t, LT)                                        \
    DEFINE_ARG(argmin_##SUFFIX##_i64, T, int64_t, LT)

DEFINE_ARG_TYPES(float, f32, GREATER_F, LESS_F)
DEFINE_ARG_TYPES(uint8_t, u8, GREATER, LESS)
DEFINE_ARG_TYPES(int8_t, i8, GREATER, LESS)
DEFINE_ARG_TYPES(int32_t, i32, GREATER, LESS)

/* [input type][is_max][output is int64] */
static arg_fn pick(lt_type type, bool is_max, bool out64) {
    static const arg_fn f32[2][2] = {{argmin_f32_i32, argmin_f32_i64},
                                     {argmax_f32_i32, argmax_f32_i64}};
    static const arg_fn u8[2][2] = {{argmin_u8_i32, argmin_u8_i64},
                                    {argmax_u8_i32, argmax_u8_i64}};
    static const arg_fn i8[2][2] = {{argmin_i8_i32, argmin_i8_i64},
                                    {argmax_i8_i32, argmax_i8_i64}};
    static const arg_fn i32[2][2] = {{argmin_i32_i32, argmin_i32_i64},
                                     {argmax_i32_i32, argmax_i32_i64}};
    switch (type) {
    case LT_FLOAT32: return f32[is_max][out64];
    case LT_UINT8: return u8[is_max][out64];
    case LT_INT8: return i8[is_max][out64];
    case LT_INT32: return i32[is_max][out64];
    default: return NULL;
    }
}

/* Product of dims [from, to) of s: 0 if any is 0 (checked first, so a zero-size tensor with
 * huge other extents cannot overflow), -1 on overflow. */
static int64_t dims_product(const lt_shape *s, int from, int to) {
    for (int d = from; d < to; d++)
        if (s->dims[d] == 0) return 0;
    int64_t n = 1;
    for (int d = from; d < to; d++) {
        if (n > INT64_MAX / s->dims[d]) return -1;
        n *= s->dims[d];
    }
    return n;
}

typedef struct arg_state {
    arg_fn fn;
    int64_t outer, axis, inner;
} arg_state;

static lt_status arg_prepare(lt_context *ctx, lt_node *node, bool is_max) {
    const char *options = is_max ? "ArgMaxOptions" : "ArgMinOptions";
    if (lt_check_io_count(ctx, node, 2, 2, 1) != LT_OK ||
        lt_check_options(ctx, node, is_max ? LT_OPTS_ArgMaxOptions : LT_OPTS_ArgMinOptions) !=
            LT_OK)
        return LT_ERROR;
    const lt_tensor *in = node->inputs[ARG_INPUT];
    const lt_tensor *axis_t = node->inputs[ARG_AXIS];
    const lt_tensor *out = node->outputs[0];
    if (in == NULL || axis_t == NULL) return lt_ctx_error(ctx, node, "input and axis are required");
    if (out == NULL) return lt_ctx_error(ctx, node, "output is required");

    /* TensorType codes of the schema: INT32 = 2, INT64 = 4 (the default, FLOAT32 = 0, is not
     * an index type: TensorFlow Lite rejects it too). */
    const int output_type = lt_opt_i8(node, ARG_OPT_OUTPUT_TYPE, 0);
    if (output_type != LT_INT32 && output_type != LT_INT64)
        return lt_ctx_error(ctx, node, "%s.output_type is %d (%s); expected INT32 or INT64",
                            options, output_type, lt_type_name((lt_type)output_type));
    if (out->type != (lt_type)output_type)
        return lt_ctx_error(ctx, node, "output '%s' has type %s; expected %s as %s.output_type "
                            "says", out->name, lt_type_name(out->type),
                            lt_type_name((lt_type)output_type), options);
    const arg_fn fn = pick(in->type, is_max, output_type == LT_INT64);
    if (fn == NULL)
        return lt_ctx_error(ctx, node, "input '%s' has type %s; expected FLOAT32, UINT8, INT8 "
                            "or INT32", in->name, lt_type_name(in->type));
    const int rank = in->shape.rank;
    if (rank < 1)
        return lt_ctx_error(ctx, node, "input '%s' is a scalar; expected rank >= 1", in->name);

    char buf[96];
    if (axis_t->type != LT_INT32 && axis_t->type != LT_INT64)
        return lt_ctx_error(ctx, node, "axis '%s' has type %s; expected INT32 or INT64",
                            axis_t->name, lt_type_name(axis_t->type));
    if (lt_tensor_elements(axis_t) != 1)
        return lt_ctx_error(ctx, node, "axis '%s' has shape %s; expected one element",
                            axis_t->name, lt_shape_str(&axis_t->shape, buf, sizeof buf));
    if (!axis_t->is_constant)
        return lt_ctx_error(ctx, node, "axis '%s' must be a constant tensor: dynamic output "
                            "shapes are not supported", axis_t->name);
    int64_t axis = axis_t->type == LT_INT32 ? (int64_t)lt_i32(axis_t)[0] : lt_i64(axis_t)[0];
    if (axis < -rank || axis >= rank)
        return lt_ctx_error(ctx, node, "axis %lld is out of range for input '%s' of rank %d; "
                            "expected a value in [%d, %d)", (long long)axis, in->name, rank,
                            -rank, rank);
    if (axis < 0) axis += rank;

    lt_shape out_shape = {.rank = rank - 1};
    for (int d = 0, k = 0; d < rank; d++)
        if (d != axis) out_shape.dims[k++] = in->shape.dims[d];
    if (lt_node_set_output_shape(ctx, node, 0, &out_shape) != LT_OK) return LT_ERROR;
    const int64_t outer = dims_product(&in->shape, 0, (int)axis);
    const int64_t inner = dims_product(&in->shape, (int)axis + 1, rank);
    if (outer < 0 || inner < 0)
        return lt_ctx_error(ctx, node, "input '%s' has shape %s, too large", in->name,
                            lt_shape_str(&in->shape, buf, sizeof buf));
    const int64_t extent = in->shape.dims[axis];
    if (extent == 0 && outer != 0 && inner != 0)
        return lt_ctx_error(ctx, node, "input '%s' has shape %s: axis %d has extent 0, so "
                            "there is no %s", in->name, lt_shape_str(&in->shape, buf, sizeof buf),
                            (int)axis, is_max ? "maximum" : "minimum");

    arg_state *st = lt_ctx_alloc(ctx, node, sizeof *st);
    if (st == NULL) return LT_ERROR;
    st->fn = fn;
    st->outer = outer;
    st->axis = extent;
    st->inner = inner;
    node->state = st;
    return LT_OK;
}

static lt_status arg_invoke(lt_context *ctx, lt_node *node) {
    (void)ctx;
    const arg_state *st = node->state;
    if (st->outer == 0 || st->inner == 0) return LT_OK;
    st->fn(node->inputs[ARG_INPUT]->data, node->outputs[0]->data, st->outer, st->axis,
           st->inner);
    return LT_OK;
}

static lt_status arg_max_prepare(lt_context *ctx, lt_node *node) {
    return arg_prepare(ctx, node, true);
}
static lt_status arg_min_prepare(lt_context *ctx, lt_node *node) {
    return arg_prepare(ctx, node, false);
}

const lt_op lt_op_arg_max = {"ARG_MAX", arg_max_prepare, arg_invoke};
const lt_op lt_op_arg_min = {"ARG_MIN", arg_min_prepare, arg_invoke};
