/* Activation ops: LOGISTIC, TANH, RELU, RELU6, RELU_N1_TO_1, LEAKY_RELU, HARD_SWISH (one input,
 * same shape out) and PRELU (a second input, alpha, broadcast against the first).
 *
 * Each op picks its per-type function in prepare (float32 today); quantized variants add a
 * case there, with whatever table or multipliers they precompute kept in the state.
 *
 * int8 (per-tensor asymmetric) follows TensorFlow Lite's default kernels bit for bit, with all
 * parameters computed in prepare:
 *   LOGISTIC, TANH   a 256-entry lookup table of the float function (quant_lut.h); the output
 *                    quantization must be TensorFlow Lite's fixed one (1/256, -128 for
 *                    LOGISTIC; 1/128, 0 for TANH). (Its reference kernels use fixed-point
 *                    approximations instead and can differ by 1.)
 *   RELU, RELU6, RELU_N1_TO_1   requantize by in_scale / out_scale (the ratio formed in float,
 *                    as TensorFlow Lite does), then clamp to the quantized bounds.
 *   LEAKY_RELU       two multipliers, in_scale / out_scale and in_scale * alpha / out_scale.
 *   HARD_SWISH       TensorFlow Lite's 16-bit fixed-point evaluation (see hard_swish_q8).
 *   PRELU            int8 alpha with its own quantization: x >= 0 ? x * M1 : x * alpha * M2
 *                    (TensorFlow Lite's reference arithmetic; its default kernels agree).
 *
 * Edge values follow TensorFlow Lite: NaN propagates through every op, RELU keeps -0.0, and
 * the negative branch of LEAKY_RELU / PRELU is alpha * x even when alpha > 1. */
#include <math.h>

#include "act_simd.h"
#include "elementwise_broadcast.h"
#include "kernels.h"
#include "quant_lut.h"
#include "quant_math.h"

typedef void (*unary_fn)(const float *in, float *out, int64_t n, float alpha);

typedef struct unary_state unary_state;
typedef void (*unary_q8_fn)(const unary_state *st, const int8_t *in, int8_t *out, int64_t n);

/* Requantizing activations on int8: clamp(zp_out + (x - zp_in) * M, lo, hi), with M_neg for
 * negative x - zp_in (LEAKY_RELU; equal to M for the RELUs). */
typedef struct requant_q8 {
    int32_t in_zp, out_zp, lo, hi;
    lt_qmul pos, neg;
} requant_q8;

/* TensorFlow Lite's HardSwishParams. */
typedef struct hard_swish_q8_params {
    int32_t in_zp, out_zp;
    int16_t out_mul;     /* Q15 */
    int32_t out_exponent; /* <= 0 */
    int16_t relu_mul;    /* Q15 */
    int32_t relu_exponent;
} hard_swish_q8_params;

struct unary_state {
    unary_fn fn;        /* float32 */
    unary_q8_fn q8;     /* int8 */
    float alpha;        /* LEAKY_RELU's slope; unused by the others */
    int64_t parallel_min; /* elements from which the threads split the work */
    union {
        int8_t lut[256];
        requant_q8 rq;
        hard_swish_q8_params hs;
    } q;
};

/* ---- float32 element functions --------------------------------------------------------- */

/* 1 / (1 + e^-x) written so that exp never overflows: for x < 0 use e^x / (1 + e^x). */
static void logistic_f32(const float *in, float *out, int64_t n, float alpha) {
    (void)alpha;
    for (int64_t i = 0; i < n; i++) {
        const float x = in[i];
        if (x >= 0.0f) {
            out[i] = 1.0f / (1.0f + expf(-x));
        } else {
            const float e = expf(x); /* NaN lands here too and stays NaN */
            out[i] = e / (1.0f + e);
        }
    }
}

static void tanh_f32(const float *in, float *out, int64_t n, float alpha) {
    (void)alpha;
    for (int64_t i = 0; i < n; i++) out[i] = tanhf(in[i]);
}

/* Comparisons written so NaN falls through to x. */
static void relu_f32(const float *in, float *out, int64_t n, float alpha) {
    (void)alpha;
    for (int64_t i = 0; i < n; i++) out[i] = in[i] < 0.0f ? 0.0f : in[i];
}

static void relu6_f32(const float *in, float *out, int64_t n, float alpha) {
    (void)alpha;
    for (int64_t i = 0; i < n; i++) {
        const float x = in[i];
        out[i] = x < 0.0f ? 0.0f : (x > 6.0f ? 6.0f : x);
    }
}

static void relu_n1_to_1_f32(const float *in, float *out, int64_t n, float alpha) {
    (void)alpha;
    for (int64_t i = 0; i < n; i++) {
        const float x = in[i];
        out[i] = x < -1.0f ? -1.0f : (x > 1.0f ? 1.0f : x);
    }
}

static void leaky_relu_f32(const float *in, float *out, int64_t n, float alpha) {
    for (int64_t i = 0; i < n; i++) {
        const float x = in[i];
        out[i] = x > 0.0f ? x : x * alpha;
    }
}

/* x * relu6(x + 3) / 6, in that order of operations (as TensorFlow Lite's reference). */
static void hard_swish_f32(const float *in, float *out, int64_t n, float alpha) {
    (void)alpha;
    for (int64_t i = 0; i < n; i++) {
        const float x = in[i];
        const float t = x + 3.0f;
        const float gate = t < 0.0f ? 0.0f : (t > 6.0f ? 6.0f : t);
        out[i] = x * gate / 6.0f;
    }
}

/* ---- int8 element functions ------------------------------------------------------------ */

static float logistic_scalar(float x) { return 1.0f / (1.0f + expf(-x)); }
static float tanh_scalar(float x) { return tanhf(x); }

static void lut_q8(const unary_state *st, const int8_t *in, int8_t *out, int64_t n) {
    lt_lut_apply_i8(st->q.lut, in, out, n);
}

static void requant_q8_run(const unary_state *st, const int8_t *in, int8_t *out, int64_t n) {
    const requant_q8 p = st->q.rq;
    for (int64_t i = 0; i < n; i++) {
        const int32_t x = (int32_t)in[i] - p.in_zp;
        const int32_t v = p.out_zp + lt_qmul_apply(x, x >= 0 ? p.pos : p.neg);
        out[i] = (int8_t)lt_clamp_i32(v, p.lo, p.hi);
    }
}

/* TensorFlow Lite's int8 hard swish, x * relu6(x + 3) / 6, in 16-bit fixed point: the input
 * is moved to a "high resolution" scale (in_scale / 128), one product gives x on the output
 * scale, another the gate relu6(x + 3) / 6 mapped onto [0, 1] in Q15, and their doubling
 * high product (truncating) is shifted down to the output. */
static void hard_swish_q8(const unary_state *st, const int8_t *in, int8_t *out, int64_t n) {
    const hard_swish_q8_params p = st->q.hs;
    for (int64_t i = 0; i < n; i++) {
        const int16_t x = (int16_t)(in[i] - p.in_zp);           /* in [-255, 255] */
        const int16_t hires = (int16_t)(x * (1 << 7));           /* fits: |x| * 128 < 2^15 */
        const int16_t on_out_scale = lt_sat_rounding_doubling_high_mul_i16(hires, p.out_mul);
        int16_t relu = hires;
        if (p.relu_exponent > 0) relu = lt_saturating_left_shift_i16(relu, p.relu_exponent - 1);
        relu = lt_sat_rounding_doubling_high_mul_i16(relu, p.relu_mul);
        if (p.relu_exponent > 0) relu = lt_saturating_left_shift_i16(relu, 1);
        if (p.relu_exponent < 0) relu = lt_rounding_divide_by_pot_i16(relu, -p.relu_exponent);
        /* [-1, 1] in Q15 to [0, 1]: (relu + 2^15) / 2, exact in int32. */
        relu = (int16_t)(((int32_t)relu + (1 << 15)) >> 1);
        const int16_t pre = lt_sat_doubling_high_mul_i16(relu, on_out_scale);
        int32_t v = lt_rounding_divide_by_pot_i16(pre, -p.out_exponent);
        v += p.out_zp;
        out[i] = (int8_t)lt_clamp_i32(v, INT8_MIN, INT8_MAX);
    }
}

/* ---- one-input ops ------------------------------------------------------------------- */

typedef enum unary_kind {
    UNARY_LOGISTIC,
    UNARY_TANH,
    UNARY_RELU,
    UNARY_RELU6,
    UNARY_LEAKY_RELU,
    UNARY_HARD_SWISH,
    UNARY_RELU_N1_TO_1
} unary_kind;

static unary_fn unary_fn_for(unary_kind kind, lt_type type) {
    static const unary_fn f32[] = {logistic_f32, tanh_f32,       relu_f32,
                                   relu6_f32,    leaky_relu_f32, hard_swish_f32,
                                   relu_n1_to_1_f32};
    return type == LT_FLOAT32 ? f32[kind] : NULL;
}

/* Checks and precomputes an int8 activation; fills st->q8 and st->q. */
static lt_status unary_prepare_q8(lt_context *ctx, lt_node *node, unary_kind kind, float alpha,
                                  unary_state *st) {
    const lt_tensor *in = node->inputs[0], *out = node->outputs[0];
    float si, so;
    int32_t zi, zo;
    if (lt_quant_per_tensor(ctx, node, in, "input", INT8_MIN, INT8_MAX, &si, &zi) != LT_OK ||
        lt_quant_per_tensor(ctx, node, out, "output", INT8_MIN, INT8_MAX, &so, &zo) != LT_OK)
        return LT_ERROR;
    switch (kind) {
    case UNARY_LOGISTIC:
    case UNARY_TANH: {
        /* TensorFlow Lite fixes the output quantization of these two on int8. */
        const bool logistic = kind == UNARY_LOGISTIC;
        const float want_scale = logistic ? 1.0f / 256.0f : 1.0f / 128.0f;
        const int32_t want_zp = logistic ? -128 : 0;
        if (fabsf(so - want_scale) > 1e-6f * want_scale || zo != want_zp)
            return lt_ctx_error(ctx, node, "output '%s' has scale %g and zero point %d; "
                                "expected scale 1/%d and zero point %d for int8 %s", out->name,
                                (double)so, (int)zo, logistic ? 256 : 128, (int)want_zp,
                                logistic ? "LOGISTIC" : "TANH");
        lt_lut_populate_i8(si, zi, so, zo, logistic ? logistic_scalar : tanh_scalar, st->q.lut);
        st->q8 = lut_q8;
        return LT_OK;
    }
    case UNARY_RELU:
    case UNARY_RELU6:
    case UNARY_RELU_N1_TO_1:
    case UNARY_LEAKY_RELU: {
        requant_q8 *p = &st->q.rq;
        p->in_zp = zi;
        p->out_zp = zo;
        /* The ratios are formed in float, as TensorFlow Lite's prepare does. */
        if (lt_quant_multiplier_checked(ctx, node, (double)(si / so), "output multiplier",
                                        &p->pos) != LT_OK)
            return LT_ERROR;
        p->neg = p->pos;
        int act = LT_ACT_NONE;
        if (kind == UNARY_RELU) act = LT_ACT_RELU;
        if (kind == UNARY_RELU6) act = LT_ACT_RELU6;
        if (kind == UNARY_RELU_N1_TO_1) act = LT_ACT_RELU_N1_TO_1;
        if (lt_quant_activation_range(ctx, node, act, so, zo, INT8_MIN, INT8_MAX, &p->lo,
                                      &p->hi) != LT_OK)
            return LT_ERROR;
        if (kind == UNARY_LEAKY_RELU) {
            if (!(alpha >= 0.0f))
                return lt_ctx_error(ctx, node, "LeakyReluOptions.alpha is %g; expected a value "
                                    ">= 0 for int8", (double)alpha);
            if (lt_quant_multiplier_checked(ctx, node, (double)(si * alpha / so),
                                            "alpha multiplier", &p->neg) != LT_OK)
                return LT_ERROR;
        }
        st->q8 = requant_q8_run;
        return LT_OK;
    }
    case UNARY_HARD_SWISH: {
        hard_swish_q8_params *p = &st->q.hs;
        p->in_zp = zi;
        p->out_zp = zo;
        const float hires_scale = (1.0f / 128.0f) * si;
        const float relu_scale = 3.0f / 32768.0f;
        lt_qmul om, rm;
        if (lt_quant_multiplier_checked(ctx, node, (double)(hires_scale / so),
                                        "output multiplier", &om) != LT_OK ||
            lt_quant_multiplier_checked(ctx, node, (double)(hires_scale / relu_scale),
                                        "gate multiplier", &rm) != LT_OK)
            return LT_ERROR;
        if (om.shift > 0)
            return lt_ctx_error(ctx, node, "input scale %g / 128 over output scale %g is %g; "
                                "expected at most 1 (as TensorFlow Lite requires)", (double)si,
                                (double)so, (double)(hires_scale / so));
        /* Negative shifts down to -31 follow TensorFlow Lite's int16 arithmetic (see
         * lt_rounding_divide_by_pot_i16); a gate shift above 15 would overflow its 16-bit
         * left shift, which TensorFlow Lite leaves undefined. */
        if (rm.shift > 15 || rm.shift < -31 || om.shift < -31)
            return lt_ctx_error(ctx, node, "input scale %g and output scale %g give shifts %d "
                                "and %d; expected the gate shift in [-31, 15] and the output "
                                "shift in [-31, 0]", (double)si, (double)so, (int)rm.shift,
                                (int)om.shift);
        p->out_mul = lt_downscale_multiplier_i16(om.multiplier);
        p->out_exponent = om.shift;
        p->relu_mul = lt_downscale_multiplier_i16(rm.multiplier);
        p->relu_exponent = rm.shift;
        st->q8 = hard_swish_q8;
        return LT_OK;
    }
    }
    return lt_ctx_error(ctx, node, "no int8 kernel for this activation");
}

/* The SIMD float32 kernel of `kind` at the context's instruction-set level, or `portable`
 * (act_simd.h: bit-identical for the piecewise-linear ones, within a few ulp for LOGISTIC
 * and TANH). */
static unary_fn simd_unary_for(const lt_context *ctx, unary_kind kind, unary_fn portable) {
#if defined(LITERT_X86_KERNELS)
    const int isa = lt_ctx_isa(ctx);
    if (portable == NULL || isa < LT_ISA_AVX2) return portable;
    int which = -1;
    switch (kind) {
    case UNARY_LOGISTIC: which = LT_ACT_SIMD_LOGISTIC; break;
    case UNARY_TANH: which = LT_ACT_SIMD_TANH; break;
    case UNARY_RELU: which = LT_ACT_SIMD_RELU; break;
    case UNARY_RELU6: which = LT_ACT_SIMD_RELU6; break;
    case UNARY_LEAKY_RELU: which = LT_ACT_SIMD_LEAKY_RELU; break;
    case UNARY_HARD_SWISH: which = LT_ACT_SIMD_HARD_SWISH; break;
    case UNARY_RELU_N1_TO_1: which = LT_ACT_SIMD_RELU_N1_TO_1; break;
    }
    if (which < 0) return portable;
    return isa >= LT_ISA_AVX512 ? lt_act_f32_avx512[which] : lt_act_f32_avx2[which];
#else
    (void)ctx;
    (void)kind;
    return portable;
#endif
}

/* One element's arithmetic does not depend on its neighbours (nor, in the SIMD kernels, on
 * its position in a vector), so the elements can be split over the threads from this many on
 * (about one operation per element, like the binary element-wise ops). The SIMD kernels of
 * the piecewise-linear functions do 8-16 elements per instruction: they split from
 * LT_PARALLEL_MIN_WORK elements on. */
enum { UNARY_PARALLEL_MIN_ELEMENTS = LT_PARALLEL_MIN_WORK / 4 };

static lt_status unary_prepare(lt_context *ctx, lt_node *node, unary_kind kind) {
    if (lt_check_io_count(ctx, node, 1, 1, 1) != LT_OK) return LT_ERROR;
    const lt_tensor *in = node->inputs[0];
    const lt_tensor *out = node->outputs[0];
    if (in == NULL) return lt_ctx_error(ctx, node, "input 0 is required");
    if (out == NULL) return lt_ctx_error(ctx, node, "output is required");
    const unary_fn fn = unary_fn_for(kind, in->type);
    if (fn == NULL && in->type != LT_INT8)
        return lt_ctx_error(ctx, node, "input has type %s; expected FLOAT32 or INT8",
                            lt_type_name(in->type));
    if (out->type != in->type)
        return lt_ctx_error(ctx, node, "output has type %s; expected %s like the input",
                            lt_type_name(out->type), lt_type_name(in->type));

    float alpha = 0.0f;
    if (kind == UNARY_LEAKY_RELU) {
        if (lt_check_options(ctx, node, LT_OPTS_LeakyReluOptions) != LT_OK) return LT_ERROR;
        alpha = lt_opt_f32(node, 0, 0.0f); /* LeakyReluOptions.alpha, default 0 */
    }
    if (lt_node_set_output_shape(ctx, node, 0, &in->shape) != LT_OK) return LT_ERROR;

    unary_state *st = lt_ctx_alloc(ctx, node, sizeof *st);
    if (st == NULL) return LT_ERROR;
    st->fn = simd_unary_for(ctx, kind, fn);
    st->alpha = alpha;
    st->parallel_min = st->fn != fn && kind != UNARY_LOGISTIC && kind != UNARY_TANH
                           ? LT_PARALLEL_MIN_WORK
                           : UNARY_PARALLEL_MIN_ELEMENTS;
    if (in->type == LT_INT8 && unary_prepare_q8(ctx, node, kind, alpha, st) != LT_OK)
        return LT_ERROR;
    node->state = st;
    return LT_OK;
}


typedef struct unary_args {
    const unary_state *st;
    const void *in;
    void *out;
} unary_args;

static void unary_run_range(void *arg, int64_t begin, int64_t end) {
    const unary_args *a = arg;
    const unary_state *st = a->st;
    if (st->q8 != NULL)
        st->q8(st, (const int8_t *)a->in + begin, (int8_t *)a->out + begin, end - begin);
    else
        st->fn((const float *)a->in + begin, (float *)a->out + begin, end - begin, st->alpha);
}

static lt_status unary_invoke(lt_context *ctx, lt_node *node) {
    const unary_state *st = node->state;
    const lt_tensor *in = node->inputs[0];
    const int64_t n = lt_tensor_elements(in);
    unary_args a = {st, in->data, node->outputs[0]->data};
    if (n >= st->parallel_min) lt_ctx_parallel_for(ctx, n, unary_run_range, &a);
    else unary_run_range(&a, 0, n);
    return LT_OK;
}

static lt_status logistic_prepare(lt_context *ctx, lt_node *node) {
    return unary_prepare(ctx, node, UNARY_LOGISTIC);
}
static lt_status tanh_prepare(lt_context *ctx, lt_node *node) {
    return unary_prepare(ctx, node, UNARY_TANH);
}
static lt_status relu_prepare(lt_context *ctx, lt_node *node) {
    return unary_prepare(ctx, node, UNARY_RELU);
}
static lt_status relu6_prepare(lt_context *ctx, lt_node *node) {
    return unary_prepare(ctx, node, UNARY_RELU6);
}
static lt_status relu_n1_to_1_prepare(lt_context *ctx, lt_node *node) {
    return unary_prepare(ctx, node, UNARY_RELU_N1_TO_1);
}
static lt_status leaky_relu_prepare(lt_context *ctx, lt_node *node) {
    return unary_prepare(ctx, node, UNARY_LEAKY_RELU);
}
static lt_status hard_swish_prepare(lt_context *ctx, lt_node *node) {
    return unary_prepare(ctx, node, UNARY_HARD_SWISH);
}

const lt_op lt_op_logistic = {"LOGISTIC", logistic_prepare, unary_invoke};
const lt_op lt_op_tanh = {"TANH", tanh_prepare, unary_invoke};
const lt_op lt_op_relu = {"RELU", relu_prepare, unary_invoke};
const lt_op lt_op_relu6 = {"RELU6", relu6_prepare, unary_invoke};
const lt_op lt_op_relu_n1_to_1 = {"RELU_N1_TO_1", relu_n1_to_1_prepare, unary_invoke};
const lt_op lt_op_leaky_relu = {"LEAKY_RELU", leaky_relu_prepare, unary_invoke};
const lt_op lt_op_hard_swish = {"HARD_SWISH", hard_swish_prepare, unary_invoke};

/* ---- PRELU: out = x >= 0 ? x : alpha * x, alpha broadcast against x -------------------- */

static inline float prelu_f(float x, float alpha) { return x >= 0.0f ? x : x * alpha; }

static void prelu_f32_vv(const void *x_, const void *alpha_, void *out_, int64_t n,
                         const void *params) {
    (void)params;
    const float *x = x_, *alpha = alpha_;
    float *out = out_;
    for (int64_t i = 0; i < n; i++) out[i] = prelu_f(x[i], alpha[i]);
}
static void prelu_f32_sv(const void *x_, const void *alpha_, void *out_, int64_t n,
                         const void *params) {
    (void)params;
    const float x = *(const float *)x_, *alpha = alpha_;
    float *out = out_;
    for (int64_t i = 0; i < n; i++) out[i] = prelu_f(x, alpha[i]);
}
static void prelu_f32_vs(const void *x_, const void *alpha_, void *out_, int64_t n,
                         const void *params) {
    (void)params;
    const float *x = x_, alpha = *(const float *)alpha_;
    float *out = out_;
    for (int64_t i = 0; i < n; i++) out[i] = prelu_f(x[i], alpha);
}
static const lt_bcast_rows prelu_f32_rows = {prelu_f32_vv, prelu_f32_sv, prelu_f32_vs};

/* int8 PRELU, TensorFlow Lite's reference arithmetic: with x = q_in - in_zp,
 *   x >= 0   out_zp + x * M1,                   M1 = in_scale / out_scale
 *   x <  0   out_zp + x * (q_alpha - alpha_zp) * M2,   M2 = in_scale * alpha_scale / out_scale
 * clamped to [-128, 127]. The product x * alpha fits easily: |x|, |alpha| <= 255. */
typedef struct prelu_q8_params {
    int32_t in_zp, alpha_zp, out_zp;
    lt_qmul pos, neg;
} prelu_q8_params;

static inline int8_t prelu_q8(int8_t q, int8_t alpha, const prelu_q8_params *p) {
    const int32_t x = (int32_t)q - p->in_zp;
    const int32_t v = x >= 0 ? lt_qmul_apply(x, p->pos)
                             : lt_qmul_apply(x * ((int32_t)alpha - p->alpha_zp), p->neg);
    return (int8_t)lt_clamp_i32(v + p->out_zp, INT8_MIN, INT8_MAX);
}

static void prelu_q8_vv(const void *x_, const void *alpha_, void *out_, int64_t n,
                        const void *params) {
    const int8_t *x = x_, *alpha = alpha_;
    int8_t *out = out_;
    for (int64_t i = 0; i < n; i++) out[i] = prelu_q8(x[i], alpha[i], params);
}
static void prelu_q8_sv(const void *x_, const void *alpha_, void *out_, int64_t n,
                        const void *params) {
    const int8_t x = *(const int8_t *)x_, *alpha = alpha_;
    int8_t *out = out_;
    for (int64_t i = 0; i < n; i++) out[i] = prelu_q8(x, alpha[i], params);
}
static void prelu_q8_vs(const void *x_, const void *alpha_, void *out_, int64_t n,
                        const void *params) {
    const int8_t *x = x_, alpha = *(const int8_t *)alpha_;
    int8_t *out = out_;
    for (int64_t i = 0; i < n; i++) out[i] = prelu_q8(x[i], alpha, params);
}
static const lt_bcast_rows prelu_q8_rows = {prelu_q8_vv, prelu_q8_sv, prelu_q8_vs};

typedef struct prelu_state {
    lt_bcast_plan plan;
    const lt_bcast_rows *rows;
    size_t elem_size;
    prelu_q8_params q8; /* int8 only */
} prelu_state;

/* The int8 parameters. The scale ratios are formed in float, as TensorFlow Lite's prepare
 * does, before the conversion to a Q31 multiplier. */
static lt_status prelu_prepare_q8(lt_context *ctx, lt_node *node, prelu_q8_params *p) {
    const lt_tensor *x = node->inputs[0], *alpha = node->inputs[1], *out = node->outputs[0];
    float sx, sa, so;
    if (lt_quant_per_tensor(ctx, node, x, "input", INT8_MIN, INT8_MAX, &sx, &p->in_zp) != LT_OK ||
        lt_quant_per_tensor(ctx, node, alpha, "alpha", INT8_MIN, INT8_MAX, &sa, &p->alpha_zp) !=
            LT_OK ||
        lt_quant_per_tensor(ctx, node, out, "output", INT8_MIN, INT8_MAX, &so, &p->out_zp) !=
            LT_OK)
        return LT_ERROR;
    if (lt_quant_multiplier_checked(ctx, node, (double)(sx / so), "output multiplier",
                                    &p->pos) != LT_OK ||
        lt_quant_multiplier_checked(ctx, node, (double)(sx * sa / so), "alpha multiplier",
                                    &p->neg) != LT_OK)
        return LT_ERROR;
    return LT_OK;
}

/* alpha must broadcast to the input's shape (usually [C] or [1, 1, C] against [N, H, W, C]),
 * and the output has the input's shape: TensorFlow Lite's reference kernel requires the same
 * (it rejects an alpha that would enlarge the output). */
static lt_status prelu_prepare(lt_context *ctx, lt_node *node) {
    if (lt_check_io_count(ctx, node, 2, 2, 1) != LT_OK) return LT_ERROR;
    const lt_tensor *x = node->inputs[0], *alpha = node->inputs[1];
    const lt_tensor *out = node->outputs[0];
    if (x == NULL || alpha == NULL)
        return lt_ctx_error(ctx, node, "input %d (%s) is required", x == NULL ? 0 : 1,
                            x == NULL ? "input" : "alpha");
    if (out == NULL) return lt_ctx_error(ctx, node, "output is required");
    if (x->type != LT_FLOAT32 && x->type != LT_INT8)
        return lt_ctx_error(ctx, node, "input has type %s; expected FLOAT32 or INT8",
                            lt_type_name(x->type));
    if (alpha->type != x->type)
        return lt_ctx_error(ctx, node, "alpha (input 1) has type %s; expected %s like input 0",
                            lt_type_name(alpha->type), lt_type_name(x->type));
    if (out->type != x->type)
        return lt_ctx_error(ctx, node, "output has type %s; expected %s like the input",
                            lt_type_name(out->type), lt_type_name(x->type));

    lt_shape out_shape;
    char x_str[96], a_str[96];
    if (!lt_broadcast_shape(&x->shape, &alpha->shape, &out_shape) ||
        !lt_shape_equal(&out_shape, &x->shape))
        return lt_ctx_error(ctx, node,
                            "alpha shape %s does not broadcast to the input shape %s",
                            lt_shape_str(&alpha->shape, a_str, sizeof a_str),
                            lt_shape_str(&x->shape, x_str, sizeof x_str));
    if (lt_node_set_output_shape(ctx, node, 0, &out_shape) != LT_OK) return LT_ERROR;

    prelu_state *st = lt_ctx_alloc(ctx, node, sizeof *st);
    if (st == NULL) return LT_ERROR;
    if (!lt_bcast_plan_init(&st->plan, &x->shape, &alpha->shape, &out_shape))
        return lt_ctx_error(ctx, node, "cannot plan the broadcast of %s and %s",
                            lt_shape_str(&x->shape, x_str, sizeof x_str),
                            lt_shape_str(&alpha->shape, a_str, sizeof a_str));
    if (x->type == LT_INT8) {
        if (prelu_prepare_q8(ctx, node, &st->q8) != LT_OK) return LT_ERROR;
        st->rows = &prelu_q8_rows;
        st->elem_size = sizeof(int8_t);
    } else {
        st->rows = &prelu_f32_rows;
        st->elem_size = sizeof(float);
    }
    node->state = st;
    return LT_OK;
}

static lt_status prelu_invoke(lt_context *ctx, lt_node *node) {
    (void)ctx;
    const prelu_state *st = node->state;
    lt_bcast_run(&st->plan, st->rows, &st->q8, node->inputs[0]->data, st->elem_size,
                 node->inputs[1]->data, st->elem_size, node->outputs[0]->data, st->elem_size);
    return LT_OK;
}

const lt_op lt_op_prelu = {"PRELU", prelu_prepare, prelu_invoke};
