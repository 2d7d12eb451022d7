/* AVERAGE_POOL_2D and MAX_POOL_2D: reference kernels (float32, int8), and the dispatch to the
 * SIMD kernels of pool_simd.h (picked at prepare; bit-identical results).
 *
 * Input and output NHWC; Pool2DOptions give the window (filter_height x filter_width), the
 * strides, SAME / VALID padding and a fused activation. Each window is clipped to the input,
 * so padding never takes part: the average divides by the number of input cells inside
 * the window (as TensorFlow Lite does), and the maximum is over those cells only.
 *
 * Arithmetic matches TensorFlow Lite's reference kernels: per channel, cells are visited
 * row by row and summed in float; the maximum starts at the lowest float and keeps the
 * running value unless a cell is larger, so a NaN cell is skipped, not propagated.
 * TANH / SIGN_BIT activations are applied (TensorFlow Lite's pools treat them as NONE).
 *
 * int8 (per-tensor asymmetric), as TensorFlow Lite: input and output must share scale and
 * zero point (neither pool requantizes). MAX_POOL_2D takes the largest raw value; AVERAGE_POOL_2D
 * sums raw values in int32 and divides by the cell count rounding half away from zero. Both
 * clamp to the fused activation's quantized range. */
#include <float.h>

#include "conv_common.h"
#include "linear_common.h"
#include "pool_simd.h"
#include "quant_math.h"

/* Pool2DOptions field ids */
enum {
    POOL_OPT_PADDING = 0,
    POOL_OPT_STRIDE_W = 1,
    POOL_OPT_STRIDE_H = 2,
    POOL_OPT_FILTER_W = 3,
    POOL_OPT_FILTER_H = 4,
    POOL_OPT_ACTIVATION = 5
};

typedef struct pool_state pool_state;
/* Writes output rows [row0, row1) of (batch, y): the unit the threads split. */
typedef void (*pool_fn)(const pool_state *st, const void *in, void *out, int64_t row0,
                        int64_t row1);

struct pool_state {
    pool_fn fn;
    lt_pool_rows_fn simd; /* a SIMD kernel (pool_simd.h) replacing fn, or NULL */
    lt_pool_params p; /* geometry (in_c == out_c, dilation 1) and clamps */
    linear_activation act;
    bool empty;       /* the output has no elements */
    int64_t rows;     /* batch * out_h */
    bool parallel;    /* enough work to split the rows over the threads */
};

/* One loop nest for both pools: the window is clipped to the input once per output pixel,
 * then every channel of the pixel is reduced over it (contiguous NHWC reads). */
static void pool_f32(const pool_state *st, const float *in, float *out, int64_t row0,
                     int64_t row1, bool is_max) {
    const conv_geometry *g = &st->p.g;
    const int64_t c_n = g->in_c, in_row = (int64_t)g->in_w * c_n, in_image = in_row * g->in_h;
    const float lo = st->act.lo, hi = st->act.hi;
    float *y = out + row0 * g->out_w * c_n;
    for (int64_t row = row0; row < row1; row++) {
        const int64_t b = row / g->out_h;
        const int32_t oy = (int32_t)(row % g->out_h);
        const float *image = in + b * in_image;
        const int64_t y0 = (int64_t)oy * g->stride_h - g->pad_top;
        int32_t ky0, ky1;
        conv_tap_range(y0, 1, g->k_h, g->in_h, &ky0, &ky1);
        for (int32_t ox = 0; ox < g->out_w; ox++) {
            const int64_t x0 = (int64_t)ox * g->stride_w - g->pad_left;
            int32_t kx0, kx1;
            conv_tap_range(x0, 1, g->k_w, g->in_w, &kx0, &kx1);
            for (int64_t c = 0; c < c_n; c++) y[c] = is_max ? -FLT_MAX : 0.0f;
            for (int32_t ky = ky0; ky < ky1; ky++) {
                const float *x = image + (y0 + ky) * in_row + (x0 + kx0) * c_n;
                for (int32_t kx = kx0; kx < kx1; kx++, x += c_n) {
                    if (is_max) {
                        for (int64_t c = 0; c < c_n; c++) y[c] = y[c] < x[c] ? x[c] : y[c];
                    } else {
                        for (int64_t c = 0; c < c_n; c++) y[c] += x[c];
                    }
                }
            }
            if (!is_max) {
                /* Windows without dilation always overlap the input (SAME pads less
                 * than a window on each side), so the count is positive. */
                const float count = (float)((int64_t)(ky1 - ky0) * (kx1 - kx0));
                for (int64_t c = 0; c < c_n; c++) y[c] /= count;
            }
            for (int64_t c = 0; c < c_n; c++) y[c] = linear_clamp(y[c], lo, hi);
            linear_activation_post(&st->act, y, c_n);
            y += c_n;
        }
    }
}

static void average_pool_f32(const pool_state *st, const void *in, void *out, int64_t row0,
                             int64_t row1) {
    pool_f32(st, in, out, row0, row1, false);
}

static void max_pool_f32(const pool_state *st, const void *in, void *out, int64_t row0,
                         int64_t row1) {
    pool_f32(st, in, out, row0, row1, true);
}

/* int8 pools: the same loop nest on raw values. Sums are kept in int64 so that no window can
 * overflow them (TensorFlow Lite's int32 sums agree for every window under 2^24 cells). */
static void pool_q8(const pool_state *st, const int8_t *in, int8_t *out, int64_t row0,
                    int64_t row1, bool is_max) {
    const conv_geometry *g = &st->p.g;
    const int64_t c_n = g->in_c, in_row = (int64_t)g->in_w * c_n, in_image = in_row * g->in_h;
    const int32_t lo = st->p.q_lo, hi = st->p.q_hi;
    int8_t *y = out + row0 * g->out_w * c_n;
    for (int64_t row = row0; row < row1; row++) {
        const int64_t b = row / g->out_h;
        const int32_t oy = (int32_t)(row % g->out_h);
        const int8_t *image = in + b * in_image;
        const int64_t y0 = (int64_t)oy * g->stride_h - g->pad_top;
        int32_t ky0, ky1;
        conv_tap_range(y0, 1, g->k_h, g->in_h, &ky0, &ky1);
        for (int32_t ox = 0; ox < g->out_w; ox++) {
            const int64_t x0 = (int64_t)ox * g->stride_w - g->pad_left;
            int32_t kx0, kx1;
            conv_tap_range(x0, 1, g->k_w, g->in_w, &kx0, &kx1);
            const int64_t count = (int64_t)(ky1 - ky0) * (kx1 - kx0);
            for (int64_t c = 0; c < c_n; c++) {
                int64_t acc = is_max ? INT8_MIN : 0;
                for (int32_t ky = ky0; ky < ky1; ky++) {
                    const int8_t *x = image + (y0 + ky) * in_row + (x0 + kx0) * c_n + c;
                    for (int32_t kx = kx0; kx < kx1; kx++, x += c_n) {
                        if (is_max) acc = *x > acc ? *x : acc;
                        else acc += *x;
                    }
                }
                /* count > 0: windows without dilation always overlap the input. */
                if (!is_max)
                    acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
                y[c] = (int8_t)(acc < lo ? lo : (acc > hi ? hi : acc));
            }
            y += c_n;
        }
    }
}

static void average_pool_q8(const pool_state *st, const void *in, void *out, int64_t row0,
                            int64_t row1) {
    pool_q8(st, in, out, row0, row1, false);
}

static void max_pool_q8(const pool_state *st, const void *in, void *out, int64_t row0,
                        int64_t row1) {
    pool_q8(st, in, out, row0, row1, true);
}

/* The SIMD kernel for this pool at the context's instruction-set level, or NULL (portable
 * level, non-x86 builds, float32 TANH / SIGN_BIT activations, int8 averages over windows
 * too large for its exact division). */
static lt_pool_rows_fn simd_pool_for(const lt_context *ctx, bool is_max, lt_type type,
                                     const pool_state *st) {
#if defined(LITERT_X86_KERNELS)
    const int isa = lt_ctx_isa(ctx);
    if (isa < LT_ISA_AVX2) return NULL;
    const bool z = isa >= LT_ISA_AVX512;
    if (type == LT_FLOAT32) {
        if (st->act.post_pass) return NULL;
        if (is_max) return z ? lt_max_pool_f32_avx512 : lt_max_pool_f32_avx2;
        return z ? lt_avg_pool_f32_avx512 : lt_avg_pool_f32_avx2;
    }
    if (is_max) return z ? lt_max_pool_q8_avx512 : lt_max_pool_q8_avx2;
    if ((int64_t)st->p.g.k_h * st->p.g.k_w > LT_POOL_Q8_MAX_CELLS) return NULL;
    return z ? lt_avg_pool_q8_avx512 : lt_avg_pool_q8_avx2;
#elif defined(LT_NEON_KERNELS)
    if (lt_ctx_isa(ctx) < LT_ISA_NEON) return NULL;
    if (type == LT_FLOAT32) {
        if (st->act.post_pass) return NULL;
        return is_max ? lt_max_pool_f32_neon : lt_avg_pool_f32_neon;
    }
    if (is_max) return lt_max_pool_q8_neon;
    if ((int64_t)st->p.g.k_h * st->p.g.k_w > LT_POOL_Q8_MAX_CELLS) return NULL;
    return lt_avg_pool_q8_neon;
#else
    (void)ctx;
    (void)is_max;
    (void)type;
    (void)st;
    return NULL;
#endif
}

static lt_status pool_prepare(lt_context *ctx, lt_node *node, bool is_max, pool_fn f32_fn,
                              pool_fn q8_fn) {
    pool_state st = {0};
    if (lt_check_io_count(ctx, node, 1, 1, 1) != LT_OK ||
        lt_check_options(ctx, node, LT_OPTS_Pool2DOptions) != LT_OK ||
        lt_check_input_rank(ctx, node, 0, 4, 4) != LT_OK)
        return LT_ERROR;
    const lt_tensor *in = node->inputs[0];
    const lt_tensor *out = node->outputs[0];
    switch (in->type) {
    case LT_FLOAT32: st.fn = f32_fn; break;
    case LT_INT8: st.fn = q8_fn; break;
    default:
        return lt_ctx_error(ctx, node, "input '%s' has type %s; expected FLOAT32 or INT8", in->name,
                            lt_type_name(in->type));
    }
    if (out->type != in->type)
        return lt_ctx_error(ctx, node, "output '%s' has type %s; expected %s like the input",
                            out->name, lt_type_name(out->type), lt_type_name(in->type));

    if (in->type == LT_INT8) {
        float si, so;
        int32_t zi, zo;
        if (lt_quant_per_tensor(ctx, node, in, "input", INT8_MIN, INT8_MAX, &si, &zi) != LT_OK ||
            lt_quant_per_tensor(ctx, node, out, "output", INT8_MIN, INT8_MAX, &so, &zo) != LT_OK ||
            lt_quant_activation_range(ctx, node, lt_opt_i8(node, POOL_OPT_ACTIVATION, 0), so, zo,
                                      INT8_MIN, INT8_MAX, &st.p.q_lo, &st.p.q_hi) != LT_OK)
            return LT_ERROR;
        if (si != so || zi != zo)
            return lt_ctx_error(ctx, node, "input scale/zero point %g/%d differ from the "
                                "output's %g/%d; expected equal ones (int8 pooling does not "
                                "requantize, as in TensorFlow Lite)", (double)si, (int)zi,
                                (double)so, (int)zo);
    }
    const int padding = lt_opt_i8(node, POOL_OPT_PADDING, 0);
    st.p.g.batch = in->shape.dims[0];
    st.p.g.in_h = in->shape.dims[1];
    st.p.g.in_w = in->shape.dims[2];
    st.p.g.in_c = st.p.g.out_c = in->shape.dims[3];
    st.p.g.k_h = lt_opt_i32(node, POOL_OPT_FILTER_H, 0);
    st.p.g.k_w = lt_opt_i32(node, POOL_OPT_FILTER_W, 0);
    st.p.g.stride_h = lt_opt_i32(node, POOL_OPT_STRIDE_H, 0);
    st.p.g.stride_w = lt_opt_i32(node, POOL_OPT_STRIDE_W, 0);
    st.p.g.dilation_h = st.p.g.dilation_w = 1;
    if (conv_geometry_spatial(ctx, node, padding, &st.p.g, "pool window") != LT_OK ||
        linear_activation_init(ctx, node, lt_opt_i8(node, POOL_OPT_ACTIVATION, 0), &st.act) !=
            LT_OK)
        return LT_ERROR;

    const lt_shape out_shape = {.rank = 4,
                                .dims = {st.p.g.batch, st.p.g.out_h, st.p.g.out_w, st.p.g.out_c}};
    if (lt_node_set_output_shape(ctx, node, 0, &out_shape) != LT_OK) return LT_ERROR;
    const int64_t outs = lt_tensor_elements(out);
    st.empty = outs == 0;
    st.rows = (int64_t)st.p.g.batch * st.p.g.out_h;
    st.p.lo = st.act.lo;
    st.p.hi = st.act.hi;
    st.simd = simd_pool_for(ctx, is_max, in->type, &st);
    /* Split the rows over the threads when the cells to visit (outputs x window) pay for the
     * hand-off (the SIMD kernels visit 8-64 channels per instruction: 4 times more cells);
     * each output is computed the same way whatever the split. */
    const int64_t cells = (int64_t)st.p.g.k_h * st.p.g.k_w;
    const int64_t min_work = (st.simd != NULL ? 4 : 1) * (int64_t)LT_PARALLEL_MIN_WORK;
    st.parallel = outs > 0 && cells >= (min_work + outs - 1) / outs;

    pool_state *state = lt_ctx_alloc(ctx, node, sizeof *state);
    if (state == NULL) return LT_ERROR;
    *state = st;
    node->state = state;
    return LT_OK;
}

static lt_status average_pool_prepare(lt_context *ctx, lt_node *node) {
    return pool_prepare(ctx, node, false, average_pool_f32, average_pool_q8);
}

static lt_status max_pool_prepare(lt_context *ctx, lt_node *node) {
    return pool_prepare(ctx, node, true, max_pool_f32, max_pool_q8);
}

typedef struct pool_args {
    const pool_state *st;
    const void *in;
    void *out;
} pool_args;

static void pool_run_rows(void *arg, int64_t row0, int64_t row1) {
    const pool_args *a = arg;
    if (a->st->simd != NULL) a->st->simd(&a->st->p, a->in, a->out, row0, row1);
    else a->st->fn(a->st, a->in, a->out, row0, row1);
}

static lt_status pool_invoke(lt_context *ctx, lt_node *node) {
    const pool_state *st = node->state;
    if (st->empty) return LT_OK;
    pool_args a = {st, node->inputs[0]->data, node->outputs[0]->data};
    if (st->parallel) lt_ctx_parallel_for(ctx, st->rows, pool_run_rows, &a);
    else pool_run_rows(&a, 0, st->rows);
    return LT_OK;
}

const lt_op lt_op_average_pool_2d = {"AVERAGE_POOL_2D", average_pool_prepare, pool_invoke};
const lt_op lt_op_max_pool_2d = {"MAX_POOL_2D", max_pool_prepare, pool_invoke};
