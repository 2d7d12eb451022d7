/* MAXIMUM, MINIMUM, SQUARED_DIFFERENCE: element-wise binary ops with NumPy broadcasting and
 * no options (no fused activation).
 *
 * Types: MAXIMUM / MINIMUM float32, int32, int64 and int8; SQUARED_DIFFERENCE float32, int32
 * and int8. On int8 MAXIMUM / MINIMUM compare raw values, as TensorFlow Lite does: inputs and
 * output must share one quantization (checked here; TensorFlow Lite assumes it).
 * Both inputs and the output share one type.
 *
 * int8 SQUARED_DIFFERENCE (per-tensor quantizations, any) follows TensorFlow Lite's kernel bit
 * for bit: with m = max(scale_a, scale_b), each input becomes
 *   ((q - zp) << 7) * (scale / (2 m))      (Q31 multiplier, TensorFlow Lite's
 *                                           MultiplyByQuantizedMultiplierSmallerThanOneExp)
 * their difference d is squared in int32 (|d| <= 2^15: no overflow) and
 *   out = clamp(d^2 * ((2 m)^2 / (2^14 scale_out)) + zp_out, -128, 127)
 * with the same multiply; that multiplier must be below 1 (TensorFlow Lite aborts
 * otherwise; rejected here at prepare). Inputs of any broadcast rank are accepted.
 *
 * Semantics as TensorFlow Lite's kernels:
 *   MAXIMUM             a > b ? a : b   so NaN in a gives b, NaN in b gives NaN, and
 *   MINIMUM             a < b ? a : b   max(-0, +0) = +0, max(+0, -0) = -0 (the second
 *                                       operand wins ties); the same for MINIMUM.
 *   SQUARED_DIFFERENCE  (a - b) * (a - b); on int32 the arithmetic wraps around (two's
 *                       complement), where TensorFlow Lite's would overflow. */
#include <limits.h>

#include "elementwise_broadcast.h"
#include "kernels.h"
#include "quant_math.h"

_Static_assert((uintmax_t)INT_MAX < (uintmax_t)UINT32_MAX,
               "uint32_t arithmetic must not promote to a wider signed int");

typedef enum plain_kind { PLAIN_MAXIMUM, PLAIN_MINIMUM, PLAIN_SQUARED_DIFFERENCE } plain_kind;

/* max_T and min_T as TensorFlow Lite compares (see the top comment), in the broadcast row
 * functions' form (elementwise_broadcast.h: an unused params argument first). */
#define DEFINE_MAX_MIN(SUFFIX, T)                                                             \
    static inline T max_##SUFFIX(const void *p, T a, T b) {                                   \
        (void)p;                                                                              \
        return a > b ? a : b;                                                                 \
    }                                                                                         \
    static inline T min_##SUFFIX(const void *p, T a, T b) {                                   \
        (void)p;                                                                              \
        return a < b ? a : b;                                                                 \
    }

DEFINE_MAX_MIN(f32, float)
DEFINE_MAX_MIN(i32, int32_t)
DEFINE_MAX_MIN(i8, int8_t)
DEFINE_MAX_MIN(i64, int64_t)

static inline float sqdiff_f32(const void *p, float a, float b) {
    (void)p;
    const float d = a - b;
    return d * d;
}
static inline int32_t sqdiff_i32(const void *p, int32_t a, int32_t b) {
    (void)p;
    const uint32_t d = (uint32_t)a - (uint32_t)b;
    return (int32_t)(d * d);
}

/* int8 SQUARED_DIFFERENCE parameters (see the top comment). */
typedef struct sqdiff_q8_params {
    int32_t a_zero_point, b_zero_point, out_zero_point;
    lt_qmul a_mult, b_mult, out_mult;
} sqdiff_q8_params;

enum { SQDIFF_Q8_LEFT_SHIFT = 7 };

static inline int8_t sqdiff_q8(const void *params, int8_t a, int8_t b) {
    const sqdiff_q8_params *p = params;
    const int32_t sa = lt_multiply_by_quantized_multiplier_smaller_than_one(
        (a - p->a_zero_point) * (1 << SQDIFF_Q8_LEFT_SHIFT), p->a_mult.multiplier,
        p->a_mult.shift);
    const int32_t sb = lt_multiply_by_quantized_multiplier_smaller_than_one(
        (b - p->b_zero_point) * (1 << SQDIFF_Q8_LEFT_SHIFT), p->b_mult.multiplier,
        p->b_mult.shift);
    const int32_t d = sa - sb;
    const int32_t v = lt_multiply_by_quantized_multiplier_smaller_than_one(
                          d * d, p->out_mult.multiplier, p->out_mult.shift) +
                      p->out_zero_point;
    return (int8_t)(v < INT8_MIN ? INT8_MIN : (v > INT8_MAX ? INT8_MAX : v));
}

LT_BCAST_DEFINE_ROWS(sqdiff_q8, int8_t, int8_t, sqdiff_q8)

/* The row functions of the broadcast walker (see elementwise_broadcast.h) for FN on T. */
#define DEFINE_ROWS(FN, T) LT_BCAST_DEFINE_ROWS(FN, T, T, FN)

DEFINE_ROWS(max_f32, float)
DEFINE_ROWS(min_f32, float)
DEFINE_ROWS(sqdiff_f32, float)
DEFINE_ROWS(max_i32, int32_t)
DEFINE_ROWS(min_i32, int32_t)
DEFINE_ROWS(sqdiff_i32, int32_t)
DEFINE_ROWS(max_i8, int8_t)
DEFINE_ROWS(min_i8, int8_t)
DEFINE_ROWS(max_i64, int64_t)
DEFINE_ROWS(min_i64, int64_t)

/* Row functions for (kind, type); NULL when the pair is not supported. */
static const lt_bcast_rows *rows_for(plain_kind kind, lt_type type) {
    static const lt_bcast_rows *const f32[] = {&max_f32_rows, &min_f32_rows, &sqdiff_f32_rows};
    static const lt_bcast_rows *const i32[] = {&max_i32_rows, &min_i32_rows, &sqdiff_i32_rows};
    static const lt_bcast_rows *const i64[] = {&max_i64_rows, &min_i64_rows, NULL};
    static const lt_bcast_rows *const i8[] = {&max_i8_rows, &min_i8_rows, &sqdiff_q8_rows};
    switch (type) {
    case LT_INT8: return i8[kind];
    case LT_FLOAT32: return f32[kind];
    case LT_INT32: return i32[kind];
    case LT_INT64: return i64[kind];
    default: return NULL;
    }
}

typedef struct plain_state {
    lt_bcast_plan plan;
    const lt_bcast_rows *rows;
    size_t elem_size;
    sqdiff_q8_params sqdiff_q8; /* int8 SQUARED_DIFFERENCE */
} plain_state;

/* One multiplier of int8 SQUARED_DIFFERENCE; it must be below 1. */
static lt_status sqdiff_q8_multiplier(lt_context *ctx, const lt_node *node, double real,
                                      const char *what, lt_qmul *out) {
    if (!(real < 1.0))
        return lt_ctx_error(ctx, node, "%s multiplier is %g; expected a value below 1 (the "
                            "output scale is too small for the squared input range)", what,
                            real);
    return lt_quant_multiplier_checked(ctx, node, real, what, out);
}

/* TensorFlow Lite's int8 SQUARED_DIFFERENCE parameters, from the three quantizations. */
static lt_status sqdiff_q8_prepare(lt_context *ctx, const lt_node *node, float sa, int32_t za,
                                   float sb, int32_t zb, float so, int32_t zo,
                                   sqdiff_q8_params *p) {
    /* as TensorFlow Lite forms them: 2 * max in float, (2^14 * scale_out) in float */
    const double twice_max = (double)(2.0f * (sa > sb ? sa : sb));
    const float out_den = (float)(1 << (2 * SQDIFF_Q8_LEFT_SHIFT)) * so;
    p->a_zero_point = za;
    p->b_zero_point = zb;
    p->out_zero_point = zo;
    if (sqdiff_q8_multiplier(ctx, node, (double)sa / twice_max, "input 0", &p->a_mult) != LT_OK ||
        sqdiff_q8_multiplier(ctx, node, (double)sb / twice_max, "input 1", &p->b_mult) != LT_OK ||
        sqdiff_q8_multiplier(ctx, node, twice_max * twice_max / (double)out_den, "output",
                             &p->out_mult) != LT_OK)
        return LT_ERROR;
    return LT_OK;
}

static lt_status plain_prepare(lt_context *ctx, lt_node *node, plain_kind kind) {
    static const uint8_t options_type[] = {LT_OPTS_MaximumMinimumOptions,
                                           LT_OPTS_MaximumMinimumOptions,
                                           LT_OPTS_SquaredDifferenceOptions};
    static const char *const supported[] = {"FLOAT32, INT32, INT64 or INT8",
                                            "FLOAT32, INT32, INT64 or INT8",
                                            "FLOAT32, INT32 or INT8"};
    if (lt_check_io_count(ctx, node, 2, 2, 1) != LT_OK ||
        lt_check_options(ctx, node, options_type[kind]) != LT_OK)
        return LT_ERROR;
    const lt_tensor *a = node->inputs[0], *b = node->inputs[1];
    const lt_tensor *out = node->outputs[0];
    if (out == NULL) return lt_ctx_error(ctx, node, "output is required");
    const lt_bcast_rows *rows = rows_for(kind, a->type);
    if (rows == NULL)
        return lt_ctx_error(ctx, node, "input 0 '%s' has type %s; expected %s", a->name,
                            lt_type_name(a->type), supported[kind]);
    if (b->type != a->type)
        return lt_ctx_error(ctx, node, "input 1 '%s' has type %s; expected %s like input 0",
                            b->name, lt_type_name(b->type), lt_type_name(a->type));
    if (out->type != a->type)
        return lt_ctx_error(ctx, node, "output '%s' has type %s; expected %s like the inputs",
                            out->name, lt_type_name(out->type), lt_type_name(a->type));

    sqdiff_q8_params sq = {0};
    if (a->type == LT_INT8) {
        float sa, sb, so;
        int32_t za, zb, zo;
        if (lt_quant_per_tensor(ctx, node, a, "input 0", INT8_MIN, INT8_MAX, &sa, &za) != LT_OK ||
            lt_quant_per_tensor(ctx, node, b, "input 1", INT8_MIN, INT8_MAX, &sb, &zb) != LT_OK ||
            lt_quant_per_tensor(ctx, node, out, "output", INT8_MIN, INT8_MAX, &so, &zo) != LT_OK)
            return LT_ERROR;
        if (kind == PLAIN_SQUARED_DIFFERENCE) {
            if (sqdiff_q8_prepare(ctx, node, sa, za, sb, zb, so, zo, &sq) != LT_OK)
                return LT_ERROR;
        } else if (sa != so || sb != so || za != zo || zb != zo)
            return lt_ctx_error(ctx, node, "inputs (scale/zero point %g/%d and %g/%d) and "
                                "output (%g/%d) must share one quantization; int8 %s compares "
                                "raw values", (double)sa, (int)za, (double)sb, (int)zb,
                                (double)so, (int)zo,
                                kind == PLAIN_MAXIMUM ? "MAXIMUM" : "MINIMUM");
    }
    lt_shape out_shape;
    char a_str[96], b_str[96];
    if (!lt_broadcast_shape(&a->shape, &b->shape, &out_shape))
        return lt_ctx_error(ctx, node, "input shapes %s and %s do not broadcast",
                            lt_shape_str(&a->shape, a_str, sizeof a_str),
                            lt_shape_str(&b->shape, b_str, sizeof b_str));
    if (lt_node_set_output_shape(ctx, node, 0, &out_shape) != LT_OK) return LT_ERROR;

    plain_state *st = lt_ctx_alloc(ctx, node, sizeof *st);
    if (st == NULL) return LT_ERROR;
    if (!lt_bcast_plan_init(&st->plan, &a->shape, &b->shape, &out_shape))
        return lt_ctx_error(ctx, node, "cannot plan the broadcast of %s and %s",
                            lt_shape_str(&a->shape, a_str, sizeof a_str),
                            lt_shape_str(&b->shape, b_str, sizeof b_str));
    st->rows = rows;
    st->elem_size = lt_type_size(a->type);
    st->sqdiff_q8 = sq;
    node->state = st;
    return LT_OK;
}

static lt_status plain_invoke(lt_context *ctx, lt_node *node) {
    (void)ctx;
    const plain_state *st = node->state;
    lt_bcast_run(&st->plan, st->rows, &st->sqdiff_q8, node->inputs[0]->data, st->elem_size,
                 node->inputs[1]->data, st->elem_size, node->outputs[0]->data, st->elem_size);
    return LT_OK;
}

static lt_status maximum_prepare(lt_context *ctx, lt_node *node) {
    return plain_prepare(ctx, node, PLAIN_MAXIMUM);
}
static lt_status minimum_prepare(lt_context *ctx, lt_node *node) {
    return plain_prepare(ctx, node, PLAIN_MINIMUM);
}
static lt_status squared_difference_prepare(lt_context *ctx, lt_node *node) {
    return plain_prepare(ctx, node, PLAIN_SQUARED_DIFFERENCE);
}

const lt_op lt_op_maximum = {"MAXIMUM", maximum_prepare, plain_invoke};
const lt_op lt_op_minimum = {"MINIMUM", minimum_prepare, plain_invoke};
const lt_op lt_op_squared_difference = {"SQUARED_DIFFERENCE", squared_difference_prepare,
                                        plain_invoke};
