/* GELU and ELU (float32 and int8): smooth activations, one input, same shape out.
 *
 * GELU, GeluOptions.approximate (field 0, default false):
 *   false  x * Phi(x) = 0.5 * x * (1 + erf(x / sqrt 2)), computed as
 *          0.5 * x * erfc(-x / sqrt 2): the same function, but erfc keeps full relative
 *          precision for negative x, where 1 + erf(..) would cancel to a few bits (the
 *          result there is tiny but not zero).
 *   true   0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)))
 * ELU (no options; alpha is 1): x < 0 ? e^x - 1 (expm1, accurate near 0) : x.
 * NaN propagates through both. float32 has SIMD kernels for both GELU forms and ELU (act_simd.h:
 * their own erfc / tanh / expm1, within a few ulp of the C library's).
 *
 * int8 (per-tensor asymmetric input and output, any scales): a 256-entry lookup table built in
 * prepare from the float function, exactly as TensorFlow Lite builds its own (quant_lut.h), so
 * the results equal TensorFlow Lite's (reference and default kernels share this code there).
 * The table functions are TensorFlow Lite's float formulas, which differ slightly from the
 * float32 kernels above: ELU uses exp(x) - 1 (not expm1), and the tanh GELU's constant is
 * sqrt(2 / pi) rounded to float once. */
#include <math.h>

#include "act_simd.h"
#include "kernels.h"
#include "quant_lut.h"
#include "quant_math.h"

typedef void (*smooth_fn)(const float *in, float *out, int64_t n);

typedef struct smooth_state {
    smooth_fn fn;    /* float32; NULL for int8 */
    lt_act_f32_fn simd; /* float32 SIMD kernel replacing fn (act_simd.h), or NULL */
    int8_t lut[256]; /* int8 */
} smooth_state;

static void gelu_exact_f32(const float *in, float *out, int64_t n) {
    const float minus_inv_sqrt2 = -0.70710678118654752f;
    for (int64_t i = 0; i < n; i++) {
        const float x = in[i];
        out[i] = 0.5f * x * erfcf(x * minus_inv_sqrt2);
    }
}

static void gelu_tanh_f32(const float *in, float *out, int64_t n) {
    const float sqrt_2_over_pi = 0.79788456080286536f;
    for (int64_t i = 0; i < n; i++) {
        const float x = in[i];
        out[i] = 0.5f * x * (1.0f + tanhf(sqrt_2_over_pi * (x + 0.044715f * x * x * x)));
    }
}

static void elu_f32(const float *in, float *out, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        const float x = in[i];
        out[i] = x < 0.0f ? expm1f(x) : x;
    }
}

/* ---- int8 lookup-table functions (TensorFlow Lite's LUT formulas, all in float) ---------- */

static float gelu_exact_lut(float x) { return 0.5f * x * erfcf(x * -0.70710678118654752f); }

static float gelu_tanh_lut(float x) {
    const float sqrt_2_over_pi = (float)(1.1283791670955126 * 0.70710678118654752);
    return 0.5f * x * (1.0f + tanhf(sqrt_2_over_pi * (x + 0.044715f * x * x * x)));
}

static float elu_lut(float x) { return x < 0.0f ? expf(x) - 1.0f : x; }

enum { GELU_OPT_APPROXIMATE = 0 };

/* Checks one float32 or int8 input and an output of the same type and shape; stores `fn`
 * (float32, or its SIMD form `simd` of act_simd.h when the level allows it; -1: none) or the
 * table of `lut_fn` (int8). */
static lt_status smooth_prepare(lt_context *ctx, lt_node *node, smooth_fn fn, int simd,
                                lt_lut_fn lut_fn) {
    const lt_tensor *in = node->inputs[0];
    const lt_tensor *out = node->outputs[0];
    if (out == NULL) return lt_ctx_error(ctx, node, "output is required");
    if (in->type != LT_FLOAT32 && in->type != LT_INT8)
        return lt_ctx_error(ctx, node, "input '%s' has type %s; expected FLOAT32 or INT8",
                            in->name, lt_type_name(in->type));
    if (out->type != in->type)
        return lt_ctx_error(ctx, node, "output '%s' has type %s; expected %s like the input",
                            out->name, lt_type_name(out->type), lt_type_name(in->type));
    if (lt_node_set_output_shape(ctx, node, 0, &in->shape) != LT_OK) return LT_ERROR;
    smooth_state *st = lt_ctx_alloc(ctx, node, sizeof *st);
    if (st == NULL) return LT_ERROR;
    st->fn = NULL;
    if (in->type == LT_INT8) {
        float si, so;
        int32_t zi, zo;
        if (lt_quant_per_tensor(ctx, node, in, "input", INT8_MIN, INT8_MAX, &si, &zi) != LT_OK ||
            lt_quant_per_tensor(ctx, node, out, "output", INT8_MIN, INT8_MAX, &so, &zo) != LT_OK)
            return LT_ERROR;
        lt_lut_populate_i8(si, zi, so, zo, lut_fn, st->lut);
    } else {
        st->fn = fn;
        st->simd = NULL;
#if defined(LITERT_X86_KERNELS)
        const int isa = lt_ctx_isa(ctx);
        if (simd >= 0 && isa >= LT_ISA_AVX2)
            st->simd = isa >= LT_ISA_AVX512 ? lt_act_f32_avx512[simd] : lt_act_f32_avx2[simd];
#else
        (void)simd;
#endif
    }
    node->state = st;
    return LT_OK;
}

static lt_status gelu_prepare(lt_context *ctx, lt_node *node) {
    if (lt_check_io_count(ctx, node, 1, 1, 1) != LT_OK ||
        lt_check_options(ctx, node, LT_OPTS_GeluOptions) != LT_OK)
        return LT_ERROR;
    const bool approximate = lt_opt_bool(node, GELU_OPT_APPROXIMATE, false);
    return smooth_prepare(ctx, node, approximate ? gelu_tanh_f32 : gelu_exact_f32,
                          approximate ? LT_ACT_SIMD_GELU_TANH : LT_ACT_SIMD_GELU_ERF,
                          approximate ? gelu_tanh_lut : gelu_exact_lut);
}

static lt_status elu_prepare(lt_context *ctx, lt_node *node) {
    if (lt_check_io_count(ctx, node, 1, 1, 1) != LT_OK ||
        lt_check_options(ctx, node, LT_OPTS_NONE) != LT_OK)
        return LT_ERROR;
    return smooth_prepare(ctx, node, elu_f32, LT_ACT_SIMD_ELU, elu_lut);
}

typedef struct smooth_args {
    const smooth_state *st;
    const void *in;
    void *out;
} smooth_args;

static void smooth_run_range(void *arg, int64_t begin, int64_t end) {
    const smooth_args *a = arg;
    const smooth_state *st = a->st;
    if (st->simd != NULL)
        st->simd((const float *)a->in + begin, (float *)a->out + begin, end - begin, 0.0f);
    else if (st->fn != NULL)
        st->fn((const float *)a->in + begin, (float *)a->out + begin, end - begin);
    else
        lt_lut_apply_i8(st->lut, (const int8_t *)a->in + begin, (int8_t *)a->out + begin,
                        end - begin);
}

/* Elements are independent: split them over the threads from a few thousand on (these
 * functions cost tens of operations per element). */
enum { SMOOTH_PARALLEL_MIN_ELEMENTS = LT_PARALLEL_MIN_WORK / 16 };

static lt_status smooth_invoke(lt_context *ctx, lt_node *node) {
    const smooth_state *st = node->state;
    const lt_tensor *in = node->inputs[0];
    const int64_t n = lt_tensor_elements(in);
    smooth_args a = {st, in->data, node->outputs[0]->data};
    if (n >= SMOOTH_PARALLEL_MIN_ELEMENTS) lt_ctx_parallel_for(ctx, n, smooth_run_range, &a);
    else smooth_run_range(&a, 0, n);
    return LT_OK;
}

const lt_op lt_op_gelu = {"GELU", gelu_prepare, smooth_invoke};
const lt_op lt_op_elu = {"ELU", elu_prepare, smooth_invoke};
