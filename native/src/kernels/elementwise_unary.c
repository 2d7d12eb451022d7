/* One-input element-wise math: SQRT, RSQRT, EXP, LOG, ABS, NEG, SQUARE. The output has the
 * input's shape and type.
 *
 * Types: float32 for all; ABS and NEG also int32, NEG also int64 (TensorFlow Lite accepts
 * those too). Integer ABS / NEG of the most negative value wrap around to itself, which is
 * what TensorFlow Lite's kernels produce in practice (in C that would be overflow; here it
 * is computed without undefined behaviour). int8 (per-tensor quantized) for ABS, SQRT,
 * RSQRT, EXP and LOG, the ones TensorFlow Lite quantizes: elementwise_unary_int8.h.
 *
 * float32 semantics are those of the C library functions TensorFlow Lite calls: sqrt, exp,
 * log (log(0) = -inf, negative inputs give NaN), fabs (clears the sign of -0 and of NaN),
 * RSQRT as 1 / sqrt(x) (+inf at +0, -inf at -0), SQUARE as x * x, NEG as -x. NaN stays NaN.
 *
 * float32 EXP has SIMD kernels (act_simd.h, picked at prepare when lt_ctx_isa allows): their
 * own exp polynomial, within a few ulp of expf (tests/test_simd_unary.py states the bound),
 * with expf's limits (0 below -103.97 and at -inf, +inf above 88.72), split over the threads
 * for large tensors (each element is computed alone, so the split does not change results). */
#include <math.h>

#include "act_simd.h"
#include "elementwise_unary_int8.h"
#include "kernels.h"

typedef void (*unary_math_fn)(const void *in, void *out, int64_t n);

/* Applies EXPR (of x) to every element of a T array. */
#define DEFINE_UNARY(NAME, T, EXPR)                                                          \
    static void NAME(const void *in_, void *out_, int64_t n) {                               \
        const T *in = in_;                                                                   \
        T *out = out_;                                                                       \
        for (int64_t i = 0; i < n; i++) {                                                    \
            const T x = in[i];                                                               \
            out[i] = (EXPR);                                                                 \
        }                                                                                    \
    }

DEFINE_UNARY(sqrt_f32, float, sqrtf(x))
DEFINE_UNARY(rsqrt_f32, float, 1.0f / sqrtf(x))
DEFINE_UNARY(exp_f32, float, expf(x))
DEFINE_UNARY(log_f32, float, logf(x))
DEFINE_UNARY(abs_f32, float, fabsf(x))
DEFINE_UNARY(neg_f32, float, -x)
DEFINE_UNARY(square_f32, float, x * x)
/* Through the unsigned type: 0 - x is defined for every x; the conversion back is modulo
 * 2^N on every compiler this builds with. */
DEFINE_UNARY(abs_i32, int32_t, x < 0 ? (int32_t)(0u - (uint32_t)x) : x)
DEFINE_UNARY(neg_i32, int32_t, (int32_t)(0u - (uint32_t)x))
DEFINE_UNARY(neg_i64, int64_t, (int64_t)(UINT64_C(0) - (uint64_t)x))

typedef struct unary_math_state {
    unary_math_fn fn;   /* portable kernel; NULL for int8 */
    lt_act_f32_fn simd; /* float32 SIMD kernel replacing fn (act_simd.h), or NULL */
    lt_unary_i8 i8;     /* int8: the table (when fn is NULL) */
} unary_math_state;

typedef enum unary_math_kind {
    UM_SQRT,
    UM_RSQRT,
    UM_EXP,
    UM_LOG,
    UM_ABS,
    UM_NEG,
    UM_SQUARE,
    UM_COUNT
} unary_math_kind;

typedef struct unary_math_info {
    uint8_t options_type;      /* the op's (empty) options table, or LT_OPTS_NONE */
    unary_math_fn f32, i32, i64;
    int i8;                    /* lt_unary_i8_kind of the int8 form, or -1: none */
    const char *types;         /* for messages */
} unary_math_info;

static const unary_math_info infos[UM_COUNT] = {
    [UM_SQRT] = {LT_OPTS_NONE, sqrt_f32, NULL, NULL, LT_UNARY_I8_SQRT,
                 "FLOAT32 or quantized INT8"},
    [UM_RSQRT] = {LT_OPTS_NONE, rsqrt_f32, NULL, NULL, LT_UNARY_I8_RSQRT,
                  "FLOAT32 or quantized INT8"},
    [UM_EXP] = {LT_OPTS_ExpOptions, exp_f32, NULL, NULL, LT_UNARY_I8_EXP,
                "FLOAT32 or quantized INT8"},
    [UM_LOG] = {LT_OPTS_NONE, log_f32, NULL, NULL, LT_UNARY_I8_LOG, "FLOAT32 or quantized INT8"},
    [UM_ABS] = {LT_OPTS_AbsOptions, abs_f32, abs_i32, NULL, LT_UNARY_I8_ABS,
                "FLOAT32 or INT32, or quantized INT8"},
    [UM_NEG] = {LT_OPTS_NegOptions, neg_f32, neg_i32, neg_i64, -1, "FLOAT32, INT32 or INT64"},
    [UM_SQUARE] = {LT_OPTS_SquareOptions, square_f32, NULL, NULL, -1, "FLOAT32"},
};

static lt_status unary_math_prepare(lt_context *ctx, lt_node *node, unary_math_kind kind) {
    const unary_math_info *info = &infos[kind];
    if (lt_check_io_count(ctx, node, 1, 1, 1) != LT_OK ||
        lt_check_options(ctx, node, info->options_type) != LT_OK)
        return LT_ERROR;
    const lt_tensor *in = node->inputs[0];
    const lt_tensor *out = node->outputs[0];
    if (out == NULL) return lt_ctx_error(ctx, node, "output is required");
    if (in->type == LT_INT8 && info->i8 >= 0 && in->quant.count == 0)
        return lt_ctx_error(ctx, node, "input '%s' has type INT8 without quantization "
                            "parameters; expected %s", in->name, info->types);
    const bool is_i8 = in->type == LT_INT8 && info->i8 >= 0;
    unary_math_fn fn = NULL;
    switch (in->type) {
    case LT_FLOAT32: fn = info->f32; break;
    case LT_INT32: fn = info->i32; break;
    case LT_INT64: fn = info->i64; break;
    default: break;
    }
    if (fn == NULL && !is_i8)
        return lt_ctx_error(ctx, node, "input '%s' has type %s; expected %s", in->name,
                            lt_type_name(in->type), info->types);
    if (out->type != in->type)
        return lt_ctx_error(ctx, node, "output '%s' has type %s; expected %s like the input",
                            out->name, lt_type_name(out->type), lt_type_name(in->type));
    if (lt_node_set_output_shape(ctx, node, 0, &in->shape) != LT_OK) return LT_ERROR;
    unary_math_state *st = lt_ctx_alloc(ctx, node, sizeof *st);
    if (st == NULL) return LT_ERROR;
    st->fn = fn;
    st->simd = NULL;
    if (is_i8 && lt_unary_i8_prepare(ctx, node, (lt_unary_i8_kind)info->i8, &st->i8) != LT_OK)
        return LT_ERROR;
#if defined(LITERT_X86_KERNELS)
    const int isa = lt_ctx_isa(ctx);
    if (kind == UM_EXP && in->type == LT_FLOAT32 && isa >= LT_ISA_AVX2)
        st->simd = isa >= LT_ISA_AVX512 ? lt_act_f32_avx512[LT_ACT_SIMD_EXP]
                                        : lt_act_f32_avx2[LT_ACT_SIMD_EXP];
#endif
    node->state = st;
    return LT_OK;
}

typedef struct unary_math_args {
    const unary_math_state *st;
    const float *in;
    float *out;
} unary_math_args;

static void unary_math_simd_range(void *arg, int64_t begin, int64_t end) {
    const unary_math_args *a = arg;
    a->st->simd(a->in + begin, a->out + begin, end - begin, 0.0f);
}

/* The SIMD exp costs a few tens of operations per element: split from a few thousand on. */
enum { UNARY_MATH_PARALLEL_MIN_ELEMENTS = LT_PARALLEL_MIN_WORK / 16 };

static lt_status unary_math_invoke(lt_context *ctx, lt_node *node) {
    const unary_math_state *st = node->state;
    const lt_tensor *in = node->inputs[0];
    const int64_t n = lt_tensor_elements(in);
    if (st->simd != NULL) {
        unary_math_args a = {st, in->data, node->outputs[0]->data};
        if (n >= UNARY_MATH_PARALLEL_MIN_ELEMENTS)
            lt_ctx_parallel_for(ctx, n, unary_math_simd_range, &a);
        else
            unary_math_simd_range(&a, 0, n);
        return LT_OK;
    }
    if (st->fn == NULL)
        return lt_unary_i8_run(ctx, node, &st->i8, in->data, node->outputs[0]->data, n);
    st->fn(in->data, node->outputs[0]->data, n);
    return LT_OK;
}

#define DEFINE_UNARY_OP(SYMBOL, NAME, KIND)                                                  \
    static lt_status SYMBOL##_prepare(lt_context *ctx, lt_node *node) {                      \
        return unary_math_prepare(ctx, node, KIND);                                          \
    }                                                                                        \
    const lt_op lt_op_##SYMBOL = {NAME, SYMBOL##_prepare, unary_math_invoke};

DEFINE_UNARY_OP(sqrt, "SQRT", UM_SQRT)
DEFINE_UNARY_OP(rsqrt, "RSQRT", UM_RSQRT)
DEFINE_UNARY_OP(exp, "EXP", UM_EXP)
DEFINE_UNARY_OP(log, "LOG", UM_LOG)
DEFINE_UNARY_OP(abs, "ABS", UM_ABS)
DEFINE_UNARY_OP(neg, "NEG", UM_NEG)
DEFINE_UNARY_OP(square, "SQUARE", UM_SQUARE)
