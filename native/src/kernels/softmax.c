/* SOFTMAX over the last axis, any rank >= 1: out = exp(beta * x) / sum(exp(beta * x)).
 *
 * Numerically stable: each row subtracts its largest beta * x before exp, so exp never
 * overflows (for beta >= 0 that is beta * max(x), for beta < 0 beta * min(x)). For beta >= 0
 * this is exactly TensorFlow Lite's arithmetic, exp((x - max) * beta); for negative beta
 * TensorFlow Lite subtracts max(x) too and can overflow where this does not.
 *
 * beta defaults to 0 when SoftmaxOptions is absent (the format's default; every output is
 * then 1 / depth, which is also what TensorFlow Lite computes). NaN in a row makes the whole
 * row NaN, as does +inf (inf - inf), matching TensorFlow Lite.
 *
 * int8 (per-tensor asymmetric input; output scale 1/256 and zero point -128, as TensorFlow
 * Lite requires) follows TensorFlow Lite's default kernel bit for bit: prepare tabulates
 * e^(-in_scale * beta * d) for the 256 possible distances d = max - x; each row sums the
 * table entries of its values in float, in order, and quantizes entry / (sum * out_scale)
 * with round half away from zero plus the zero point. (TensorFlow Lite's reference kernel
 * uses a fixed-point exp instead and can differ by 1.)
 *
 * float32 picks the x86 SIMD row kernels (softmax_simd.h) at prepare when lt_ctx_isa allows
 * it. Rows are split between threads (lt_ctx_parallel_for) when a tensor is large enough;
 * each row is computed the same way by any thread, so results do not depend on the count. */
#include <math.h>

#include "kernels.h"
#include "quant_math.h"
#include "softmax_simd.h"

typedef struct softmax_state softmax_state;
/* Rows [begin, end) of the tensor. */
typedef void (*softmax_fn)(const softmax_state *st, const void *in, void *out, int64_t begin,
                           int64_t end);

struct softmax_state {
    softmax_fn fn;
    float beta;
    int64_t rows;  /* product of all but the last dimension */
    int64_t depth; /* last dimension */
    /* int8 */
    float table[256]; /* table[255 - d] = e^(-in_scale * beta * d) */
    float out_scale;
    int32_t out_zp;
};

/* roundf(p) (half away from zero) for p >= 0, without roundf: the portable build targets
 * baseline x86-64, where roundf is a library call per value (3x the whole kernel's cost).
 * trunc(p) + (p - trunc(p) >= 0.5) is exact: the fraction p - trunc(p) is computed without
 * rounding. Anything above 1024 or NaN (possible only with a table that overflowed, for
 * extreme negative beta) gives 1024, which saturates like any large probability would. */
static inline int32_t round_nonneg(float p) {
    if (!(p <= 1024.0f)) return 1024;
    if (!(p > 0.0f)) return 0;
    const int32_t t = (int32_t)p;
    return t + (p - (float)t >= 0.5f);
}

/* Entry of value v in a row whose largest value is max: table[255 - max + v], an index in
 * [0, 255] since -128 <= v <= max <= 127. Returns the offset 255 - max. */
static int32_t q8_row_offset(const int8_t *x, int64_t depth) {
    int32_t max = INT8_MIN;
    for (int64_t i = 0; i < depth; i++) max = x[i] > max ? x[i] : max;
    return 255 - max;
}

static int8_t q8_quantize(const softmax_state *st, float entry, float inv) {
    const int32_t q = round_nonneg(entry * inv) + st->out_zp; /* entry * inv in [0, 256] */
    return (int8_t)(q < INT8_MIN ? INT8_MIN : (q > INT8_MAX ? INT8_MAX : q));
}

/* The row sum is a chain of dependent float additions (left to right, as TensorFlow Lite
 * sums, for bit-exact results), bound by the adder's latency. So each row's sum runs in the
 * same loop as the previous row's quantization, whose independent work then fills the
 * chain's idle cycles; each value still sees the same operations in the same order. */
static void softmax_q8(const softmax_state *st, const void *in_, void *out_, int64_t begin,
                       int64_t end) {
    const int8_t *in = in_;
    int8_t *out = out_;
    const int64_t depth = st->depth;
    const float *table = st->table;
    if (begin >= end) return;
    /* row `begin`: its sum alone */
    int32_t off = q8_row_offset(in + begin * depth, depth);
    float sum = 0.0f;
    for (int64_t i = 0; i < depth; i++) sum += table[off + in[begin * depth + i]];
    for (int64_t r = begin; r < end; r++) {
        const int8_t *x = in + r * depth;
        int8_t *y = out + r * depth;
        const float inv = 1.0f / (sum * st->out_scale);
        if (r + 1 < end) {
            /* quantize row r while summing row r + 1 */
            const int8_t *xn = x + depth;
            const int32_t off_next = q8_row_offset(xn, depth);
            float sum_next = 0.0f;
            for (int64_t i = 0; i < depth; i++) {
                sum_next += table[off_next + xn[i]];
                y[i] = q8_quantize(st, table[off + x[i]], inv);
            }
            off = off_next;
            sum = sum_next;
        } else {
            for (int64_t i = 0; i < depth; i++) y[i] = q8_quantize(st, table[off + x[i]], inv);
        }
    }
}

static void softmax_f32(const softmax_state *st, const void *in_, void *out_, int64_t begin,
                        int64_t end) {
    const int64_t depth = st->depth;
    const float beta = st->beta;
    const float *in = in_;
    float *out = out_;
    for (int64_t r = begin; r < end; r++) {
        const float *x = in + r * depth;
        float *y = out + r * depth;
        /* Largest beta * x: the max of x for beta >= 0, the min otherwise. */
        float pivot = x[0];
        if (beta >= 0.0f) {
            for (int64_t i = 1; i < depth; i++) pivot = x[i] > pivot ? x[i] : pivot;
        } else {
            for (int64_t i = 1; i < depth; i++) pivot = x[i] < pivot ? x[i] : pivot;
        }
        float sum = 0.0f;
        for (int64_t i = 0; i < depth; i++) {
            const float e = expf((x[i] - pivot) * beta);
            y[i] = e;
            sum += e;
        }
        /* sum >= 1 (the pivot's own term is exp(0)) unless the row holds NaN. */
        for (int64_t i = 0; i < depth; i++) y[i] = y[i] / sum;
    }
}

#if defined(LITERT_X86_KERNELS)
static void softmax_f32_avx2(const softmax_state *st, const void *in, void *out, int64_t begin,
                             int64_t end) {
    const int64_t d = st->depth;
    lt_softmax_f32_avx2((const float *)in + begin * d, (float *)out + begin * d, end - begin, d,
                        st->beta);
}

static void softmax_f32_avx512(const softmax_state *st, const void *in, void *out,
                               int64_t begin, int64_t end) {
    const int64_t d = st->depth;
    lt_softmax_f32_avx512((const float *)in + begin * d, (float *)out + begin * d, end - begin,
                          d, st->beta);
}
#endif

static lt_status softmax_prepare(lt_context *ctx, lt_node *node) {
    if (lt_check_io_count(ctx, node, 1, 1, 1) != LT_OK) return LT_ERROR;
    if (lt_check_input_rank(ctx, node, 0, 1, LT_MAX_RANK) != LT_OK) return LT_ERROR;
    const lt_tensor *in = node->inputs[0];
    const lt_tensor *out = node->outputs[0];
    if (out == NULL) return lt_ctx_error(ctx, node, "output is required");

    softmax_fn fn = NULL;
    switch (in->type) {
    case LT_FLOAT32: fn = softmax_f32; break;
    case LT_INT8: fn = softmax_q8; break;
    default:
        return lt_ctx_error(ctx, node, "input has type %s; expected FLOAT32 or INT8",
                            lt_type_name(in->type));
    }
    if (out->type != in->type)
        return lt_ctx_error(ctx, node, "output has type %s; expected %s like the input",
                            lt_type_name(out->type), lt_type_name(in->type));
    if (lt_check_options(ctx, node, LT_OPTS_SoftmaxOptions) != LT_OK) return LT_ERROR;
    const float beta = lt_opt_f32(node, 0, 0.0f); /* SoftmaxOptions.beta */
    if (!isfinite(beta))
        return lt_ctx_error(ctx, node, "SoftmaxOptions.beta is %g; expected a finite number",
                            (double)beta);

    if (lt_node_set_output_shape(ctx, node, 0, &in->shape) != LT_OK) return LT_ERROR;

    softmax_state *st = lt_ctx_alloc(ctx, node, sizeof *st);
    if (st == NULL) return LT_ERROR;
    st->fn = fn;
    st->beta = beta;
    st->depth = in->shape.dims[in->shape.rank - 1];
    const int64_t total = lt_tensor_elements(in);
    st->rows = st->depth > 0 ? total / st->depth : 0; /* depth 0: nothing to compute */
#if defined(LITERT_X86_KERNELS)
    if (in->type == LT_FLOAT32) {
        if (lt_ctx_isa(ctx) >= LT_ISA_AVX512) st->fn = softmax_f32_avx512;
        else if (lt_ctx_isa(ctx) >= LT_ISA_AVX2) st->fn = softmax_f32_avx2;
    }
#endif
    if (in->type == LT_INT8) {
        float si;
        int32_t zi;
        if (lt_quant_per_tensor(ctx, node, in, "input", INT8_MIN, INT8_MAX, &si, &zi) != LT_OK ||
            lt_quant_per_tensor(ctx, node, out, "output", INT8_MIN, INT8_MAX, &st->out_scale,
                                &st->out_zp) != LT_OK)
            return LT_ERROR;
        if (fabsf(st->out_scale - 1.0f / 256.0f) > 0.001f / 256.0f || st->out_zp != -128)
            return lt_ctx_error(ctx, node, "output '%s' has scale %g and zero point %d; "
                                "expected scale 1/256 and zero point -128 for int8 SOFTMAX",
                                out->name, (double)st->out_scale, (int)st->out_zp);
        /* In float, as TensorFlow Lite's PopulateSoftmaxLookupTable. */
        const float scale = -si * beta;
        for (int32_t d = 0; d <= 255; d++) st->table[255 - d] = expf(scale * (float)d);
    }
    node->state = st;
    return LT_OK;
}

typedef struct {
    const softmax_state *st;
    const void *in;
    void *out;
} softmax_args;

static void softmax_run_rows(void *arg, int64_t begin, int64_t end) {
    const softmax_args *a = arg;
    a->st->fn(a->st, a->in, a->out, begin, end);
}

static lt_status softmax_invoke(lt_context *ctx, lt_node *node) {
    const softmax_state *st = node->state;
    softmax_args a = {st, node->inputs[0]->data, node->outputs[0]->data};
    /* rows * depth is the element count of a tensor that exists, so it does not overflow.
     * Each element costs about as much as a multiply-add or more (an exp, a division). */
    if (st->rows >= 2 && st->rows * st->depth >= LT_PARALLEL_MIN_WORK)
        lt_ctx_parallel_for(ctx, st->rows, softmax_run_rows, &a);
    else
        softmax_run_rows(&a, 0, st->rows);
    return LT_OK;
}

const lt_op lt_op_softmax = {"SOFTMAX", softmax_prepare, softmax_invoke};
