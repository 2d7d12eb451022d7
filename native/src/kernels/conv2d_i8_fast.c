/* CONV_2D int8 on the int8 GEMM (gemm_i8.h): the output pixels are the GEMM's rows, the
 * filter's output channels its columns, K = k_h * k_w * in_c.
 *
 * Covers one group (filter_c == in_c) with a constant filter, any window, stride, dilation
 * and padding, at AVX2 and above; everything else keeps the portable kernel (conv.c).
 * The filter [O, KH, KW, C] is packed at prepare (its rows are already the K values of
 * each output channel in (ky, kx, c) order). At invoke, each thread walks its pixels MR at
 * a time and hands the micro-kernel MR row pointers: at VNNI, a 1x1 window with in_c a
 * multiple of 4 points into the input itself; otherwise the rows are written into the
 * thread's scratch panel (int8, or int16 for the AVX2 / AVX-512 kernels): for a 1x1 window
 * the pixel's in_c values, else im2col, the window's taps in (ky, kx, c) order with the taps
 * in the padding holding the input zero point (which contributes nothing after the offset
 * fold of gemm_i8.h). The kernel computes every channel and requantizes (Q31 double
 * rounding, as conv2d_i8). Integer sums modulo 2^32 do not depend on their order,
 * so the results equal the portable kernel's bit for bit for any cut of the pixels.
 *
 * Hybrid CONV_2D (float32 input and output, hybrid_fast.h) runs the same walk over the
 * batch images conv.c quantized at invoke: the weights are packed with bias 0 and zero
 * point 0, each row carries its image's zero point (padding taps hold it) and scale, and the
 * micro-kernel's float output stage (gemm_i8_hybrid) repeats the portable epilogue. The
 * bias must be constant (it is padded into the packed data); otherwise, and for groups,
 * the portable hybrid kernel stays. */
#include "alloc.h"
#include "conv_internal.h"
#include "gemm_i8.h"
#include "hybrid_fast.h"

#if defined(LITERT_X86_KERNELS) || defined(LT_NEON_KERNELS)
enum { CONV_I8_MAX_MR = 8 };
/* bytes a panel may be written past its last row (short runs are copied 16 bytes at once) */
enum { CONV_I8_SLACK = 16 };
/* Bytes left unused before and after each thread's panel (two 64-byte lines, the pair the
 * adjacent-line prefetch moves together). The panels are rewritten every MR pixels; the
 * node scratch comes from the plan memory next to op states that every thread reads, and
 * the slots sat next to each other: without the guard those lines kept moving between the
 * cores, and the 224x224x3 first layer of MobileNetV2 scaled 1.33x from 1 to 2 threads
 * (1.88x with it, measured alone). */
enum { CONV_I8_GUARD = 128 };

typedef struct conv_i8_gemm {
    gemm_i8_packed w;
    gemm_i8_requant out;        /* int8 */
    gemm_i8_conv_fn kernel;     /* int8 */
    gemm_i8_hybrid hout;        /* hybrid */
    gemm_i8_conv_hybrid_fn hkernel; /* hybrid */
    int32_t mr;          /* rows per kernel call (<= CONV_I8_MAX_MR) */
    bool wide;           /* int16 panel rows (K2 layout); int8 rows otherwise */
    bool pointwise;      /* 1x1 window: a row is the pixel's in_c values, never padding */
    bool direct;         /* pointwise int8 rows read in place (in_c a multiple of 4) */
    bool short_rows;     /* int8 panel, no horizontal dilation, k_w * in_c <= CONV_I8_SLACK */
} conv_i8_gemm;

/* n input values into a panel row at element `at`: int8 as they are, or int16. */
static void panel_copy(const conv_i8_gemm *f, void *row, int64_t at, const int8_t *x,
                       int64_t n) {
    if (f->wide) {
        int16_t *d = (int16_t *)row + at;
        for (int64_t i = 0; i < n; i++) d[i] = x[i];
    } else {
        memcpy((int8_t *)row + at, x, (size_t)n);
    }
}

static void panel_fill(const conv_i8_gemm *f, void *row, int64_t at, int32_t value, int64_t n) {
    if (f->wide) {
        int16_t *d = (int16_t *)row + at;
        for (int64_t i = 0; i < n; i++) d[i] = (int16_t)value;
    } else {
        memset((int8_t *)row + at, (int8_t)value, (size_t)n);
    }
}

/* Panel row of output pixel (oy, ox) of batch image `image` (the input ends at in_end): the
 * window's taps in (ky, kx, c) order, those in the padding holding the input zero point,
 * then zeros up to kp. */
static void panel_row(const conv_state *st, const conv_i8_gemm *f, const int8_t *image,
                      const int8_t *in_end, int32_t zp, int32_t oy, int32_t ox, void *row) {
    const conv_geometry *g = &st->g;
    const int64_t in_c = g->in_c;
    const int64_t span = g->k_w * in_c; /* one filter row of taps */
    const int64_t y0 = (int64_t)oy * g->stride_h - g->pad_top;
    const int64_t x0 = (int64_t)ox * g->stride_w - g->pad_left;
    if (f->short_rows && y0 >= 0 && y0 + (int64_t)(g->k_h - 1) * g->dilation_h < g->in_h &&
        x0 >= 0 && x0 + g->k_w <= g->in_w) {
        /* the window inside the input, each of its rows a run of at most CONV_I8_SLACK
         * bytes (a first layer's few channels): one fixed-size copy per row; the bytes
         * past a run land where the next run, the K padding or the panel's slack go */
        const int8_t *src = image + (y0 * g->in_w + x0) * in_c;
        const int64_t step = (int64_t)g->dilation_h * g->in_w * in_c;
        const int64_t last = (int64_t)(g->k_h - 1) * step;
        if (in_end - (src + last) >= CONV_I8_SLACK) {
            for (int32_t ky = 0; ky < g->k_h; ky++)
                memcpy((int8_t *)row + ky * span, src + ky * step, CONV_I8_SLACK);
            for (int64_t i = f->w.k; i < f->w.kp; i++) ((int8_t *)row)[i] = 0;
            return;
        }
    }
    if (f->pointwise) {
        const int64_t iy = (int64_t)oy * g->stride_h, ix = (int64_t)ox * g->stride_w;
        panel_copy(f, row, 0, image + (iy * g->in_w + ix) * in_c, in_c);
    } else {
        /* with no horizontal dilation, a window row inside the input is one contiguous run */
        const bool row_inside = g->dilation_w == 1 && x0 >= 0 && x0 + g->k_w <= g->in_w;
        for (int32_t ky = 0; ky < g->k_h; ky++) {
            const int64_t at = ky * span;
            const int64_t iy = y0 + (int64_t)ky * g->dilation_h;
            if (iy < 0 || iy >= g->in_h) {
                panel_fill(f, row, at, (int32_t)zp, span);
                continue;
            }
            const int8_t *src = image + iy * g->in_w * in_c;
            if (row_inside) {
                panel_copy(f, row, at, src + x0 * in_c, span);
                continue;
            }
            for (int32_t kx = 0; kx < g->k_w; kx++) {
                const int64_t ix = x0 + (int64_t)kx * g->dilation_w;
                if (ix < 0 || ix >= g->in_w)
                    panel_fill(f, row, at + kx * in_c, (int32_t)zp, in_c);
                else
                    panel_copy(f, row, at + kx * in_c, src + ix * in_c, in_c);
            }
        }
    }
    /* K padding: zero weights there, any value would do; zeros keep the panel defined */
    panel_fill(f, row, f->w.k, 0, f->w.kp - f->w.k);
}

/* Pixels [p0, p1) against the channels of packed weights w and output stage o (all of
 * them, or views of a block range starting at channel c0). */
static void conv2d_i8_gemm_run(const conv_args *a, void *scratch, int64_t p0, int64_t p1,
                               const gemm_i8_packed *w, const gemm_i8_requant *o, int32_t c0) {
    const conv_state *st = a->st;
    const conv_i8_gemm *f = st->fast;
    const conv_geometry *g = &st->g;
    const int8_t *in = lt_i8(a->in);
    int8_t *y = lt_i8(a->out);
    const int64_t in_image = (int64_t)g->in_h * g->in_w * g->in_c;
    const int8_t *in_end = in + in_image * g->batch;
    const size_t row_bytes = (size_t)f->w.kp * (f->wide ? 2 : 1);
    const void *rows_at[CONV_I8_MAX_MR];
    int64_t ox = p0 % g->out_w, t = p0 / g->out_w;
    int64_t oy = t % g->out_h, b = t / g->out_h;
    for (int64_t p = p0; p < p1;) {
        const int32_t rows = (int32_t)(p1 - p < f->mr ? p1 - p : f->mr);
        for (int32_t r = 0; r < rows; r++) {
            const int8_t *image = in + b * in_image;
            if (f->direct) {
                rows_at[r] = image + ((oy * g->stride_h) * g->in_w + ox * g->stride_w) * g->in_c;
            } else {
                void *row = (uint8_t *)scratch + CONV_I8_GUARD + (size_t)r * row_bytes;
                panel_row(st, f, image, in_end, st->q.input_zero_point, (int32_t)oy,
                          (int32_t)ox, row);
                rows_at[r] = row;
            }
            if (++ox == g->out_w) {
                ox = 0;
                if (++oy == g->out_h) {
                    oy = 0;
                    b++;
                }
            }
        }
        f->kernel(w, o, rows_at, rows, y + p * g->out_c + c0, g->out_c);
        p += rows;
    }
}

static void conv2d_i8_gemm(const conv_args *a, void *scratch, int64_t p0, int64_t p1) {
    const conv_i8_gemm *f = a->st->fast;
    conv2d_i8_gemm_run(a, scratch, p0, p1, &f->w, &f->out, 0);
}

/* conv_channels_fn: channels [c0, c1) (c0 a multiple of GEMM_I8_NR) through views of the
 * packed weights and of the output stage starting at block c0 / 16. Each channel's block
 * is computed by the same kernel on the same values, and its integer sums are exact, so
 * the outputs equal conv2d_i8_gemm's. */
static void conv2d_i8_gemm_channels(const conv_args *a, void *scratch, int64_t p0, int64_t p1,
                                    int32_t c0, int32_t c1) {
    const conv_i8_gemm *f = a->st->fast;
    const int32_t b0 = c0 / GEMM_I8_NR;
    const size_t elem = f->w.layout == GEMM_I8_K2_I16 ? 2 : 1;
    gemm_i8_packed w = f->w;
    w.w = (const uint8_t *)f->w.w + (size_t)b0 * (size_t)f->w.kp * GEMM_I8_NR * elem;
    w.offset = f->w.offset + c0;
    w.n = c1 - c0;
    w.blocks = (w.n + GEMM_I8_NR - 1) / GEMM_I8_NR;
    gemm_i8_requant o = f->out;
    o.rq.mult += c0;
    o.rq.left += c0;
    o.rq.right += c0;
    o.rq.padded -= c0;
    if (o.round != NULL) o.round += c0;
    if (o.neg != NULL) o.neg += c0;
    if (o.shift != NULL) o.shift += c0;
    conv2d_i8_gemm_run(a, scratch, p0, p1, &w, &o, c0);
}

/* The hybrid kernel: conv2d_i8_gemm's walk over the batch images quantized at invoke
 * (hybrid_fast.h), each row with its image's zero point and scale, float outputs. */
static void conv2d_hybrid_gemm(const conv_args *a, void *scratch, int64_t p0, int64_t p1) {
    const conv_state *st = a->st;
    const conv_hybrid *h = st->fast;
    const conv_i8_gemm *f = h->kernel;
    const conv_geometry *g = &st->g;
    const int8_t *in = conv_hybrid_input(a, h);
    const hybrid_qparams *params = conv_hybrid_params(a, h);
    float *y = lt_f32(a->out);
    const int64_t in_image = h->image;
    const int8_t *in_end = in + in_image * g->batch;
    const size_t row_bytes = (size_t)f->w.kp * (f->wide ? 2 : 1);
    const void *rows_at[CONV_I8_MAX_MR];
    int32_t zps[CONV_I8_MAX_MR];
    float scales[CONV_I8_MAX_MR];
    int64_t ox = p0 % g->out_w, t = p0 / g->out_w;
    int64_t oy = t % g->out_h, b = t / g->out_h;
    for (int64_t p = p0; p < p1;) {
        const int32_t rows = (int32_t)(p1 - p < f->mr ? p1 - p : f->mr);
        for (int32_t r = 0; r < rows; r++) {
            const int8_t *image = in + b * in_image;
            zps[r] = params[b].zero_point;
            scales[r] = params[b].scale;
            if (f->direct) {
                rows_at[r] = image + ((oy * g->stride_h) * g->in_w + ox * g->stride_w) * g->in_c;
            } else {
                void *row = (uint8_t *)scratch + CONV_I8_GUARD + (size_t)r * row_bytes;
                panel_row(st, f, image, in_end, zps[r], (int32_t)oy, (int32_t)ox, row);
                rows_at[r] = row;
            }
            if (++ox == g->out_w) {
                ox = 0;
                if (++oy == g->out_h) {
                    oy = 0;
                    b++;
                }
            }
        }
        f->hkernel(&f->w, &f->hout, rows_at, zps, scales, rows, y + p * g->out_c, g->out_c);
        linear_activation_post(&st->act, y + p * g->out_c, rows * (int64_t)g->out_c);
        p += rows;
    }
}

/* The GEMM set-up both kernels share: packing with `bias` and `zero_point` folded, the
 * level's kernel, and the per-thread panel. NULL (nothing changed) when the case is not
 * covered; *failed on an error. */
static conv_i8_gemm *conv_gemm_prepare(lt_context *ctx, lt_node *node, conv_state *st,
                                       const int32_t *bias, int32_t zero_point, bool *failed) {
    const lt_tensor *filter = node->inputs[CONV_FILTER];
    const conv_geometry *g = &st->g;
    const int isa = lt_ctx_isa(ctx);
    *failed = false;
    if (isa < LT_ISA_AVX2 || !filter->is_constant || filter->data == NULL ||
        st->filter_c != g->in_c || g->in_c <= 0 || g->out_c <= 0 || g->batch <= 0 ||
        g->out_h <= 0 || g->out_w <= 0)
        return NULL; /* the portable kernel stays */
    const int64_t taps = (int64_t)g->k_h * g->k_w; /* both in [1, 2^31): no overflow */
    if (taps > INT64_MAX / 8 / g->in_c) return NULL; /* absurd depth: left to portable */
    const int64_t k = taps * g->in_c;
    conv_i8_gemm *f = lt_ctx_alloc(ctx, node, sizeof *f);
    *failed = true;
    if (f == NULL) return NULL;
    gemm_i8_layout layout;
#if defined(LT_NEON_KERNELS)
    /* AArch64: int8 rows, SDOT when the CPU has it, else SMULL / SADALP; no hybrid kernel */
    const bool dot = isa >= LT_ISA_NEON_DOTPROD;
    layout = GEMM_I8_K4_I8;
    f->kernel = dot ? gemm_i8_conv_neondot : gemm_i8_conv_neon;
    f->hkernel = NULL;
    f->mr = dot ? GEMM_I8_MR_NEONDOT : GEMM_I8_MR_NEON;
#else
    if (isa >= LT_ISA_AVX512_VNNI) {
        /* short rows and few channels: flipping each broadcast costs less than the row
         * sums (measured: K 16..32 with 16..96 channels; rows sums win from 144) */
        layout = k <= GEMM_I8_S8_MAX_K && g->out_c <= GEMM_I8_S8_MAX_N ? GEMM_I8_K4_S8
                                                                        : GEMM_I8_K4_U8;
        f->kernel = gemm_i8_conv_avx512vnni;
        f->hkernel = gemm_i8_conv_hybrid_avx512vnni;
        f->mr = GEMM_I8_MR_VNNI;
    } else if (isa >= LT_ISA_AVX512) {
        layout = GEMM_I8_K2_I16;
        f->kernel = gemm_i8_conv_avx512;
        f->hkernel = gemm_i8_conv_hybrid_avx512;
        f->mr = GEMM_I8_MR_AVX512;
    } else {
        layout = GEMM_I8_K2_I16;
        f->kernel = gemm_i8_conv_avx2;
        f->hkernel = gemm_i8_conv_hybrid_avx2;
        f->mr = GEMM_I8_MR_AVX2;
    }
#endif
    f->wide = layout == GEMM_I8_K2_I16;
    f->pointwise = g->k_h == 1 && g->k_w == 1;
    /* a pixel's in_c values, read in place, must fill whole groups of 4 (kp == in_c) */
    f->direct = f->pointwise && !f->wide && g->in_c % 4 == 0;
    f->short_rows = !f->wide && !f->direct && g->dilation_w == 1 &&
                    (int64_t)g->k_w * g->in_c <= CONV_I8_SLACK;
    if (gemm_i8_pack(ctx, node, lt_i8(filter), g->out_c, k, bias, zero_point, layout,
                     &f->w) != LT_OK)
        return NULL;
    /* per-thread panel of mr rows (none when the rows are read in place) */
    size_t slot = 0;
    if ((!f->direct && (!lt_mul_size((size_t)f->w.kp, (size_t)f->mr * (f->wide ? 2 : 1), &slot) ||
                        !lt_add_size(slot, CONV_I8_SLACK + 2 * CONV_I8_GUARD, &slot) ||
                        !lt_align_size(slot, &slot))) ||
        !lt_mul_size(slot, (size_t)lt_ctx_num_threads(ctx), &node->scratch_bytes)) {
        lt_ctx_error(ctx, node, "int8 GEMM panels of depth %lld on %d threads overflow "
                     "the size type", (long long)k, lt_ctx_num_threads(ctx));
        return NULL;
    }
    st->slot_bytes = slot;
    *failed = false;
    return f;
}

lt_status conv2d_i8_fast_prepare(lt_context *ctx, lt_node *node, conv_state *st) {
    bool failed;
    conv_i8_gemm *f = conv_gemm_prepare(ctx, node, st, st->q.bias, st->q.input_zero_point,
                                        &failed);
    if (f == NULL) return failed ? LT_ERROR : LT_OK;
    if (gemm_i8_requant_prepare(ctx, node, st->q.mult, st->g.out_c, st->q.output_zero_point,
                                st->q.lo, st->q.hi, &f->out) != LT_OK)
        return LT_ERROR;
    st->fast = f;
    st->fn = conv2d_i8_gemm;
    st->channels_fn = conv2d_i8_gemm_channels;
    st->channel_unit = GEMM_I8_NR;
    st->row_tile = f->mr;
    return LT_OK;
}

/* Hybrid: the weights packed with bias 0 and zero point 0 (the zero points come at invoke:
 * gemm_i8_hybrid), the filter's column sums, scales and the (constant) bias padded to whole
 * blocks. A bias that is not constant keeps the portable kernel. */
lt_status conv2d_hybrid_fast_prepare(lt_context *ctx, lt_node *node, conv_state *st,
                                     conv_hybrid *h) {
    const lt_tensor *bias = node->n_inputs > CONV_BIAS ? node->inputs[CONV_BIAS] : NULL;
    const conv_geometry *g = &st->g;
    if (bias != NULL && (!bias->is_constant || bias->data == NULL)) return LT_OK;
    /* (NEON has no hybrid micro-kernel yet: the portable hybrid kernel stays) */
    if (lt_ctx_isa(ctx) < LT_ISA_AVX2 || lt_ctx_isa(ctx) >= LT_ISA_NEON || g->out_c <= 0)
        return LT_OK;
    const size_t lanes = ((size_t)g->out_c + GEMM_I8_NR - 1) / GEMM_I8_NR * GEMM_I8_NR;
    int32_t *zeros = lt_ctx_alloc(ctx, node, lanes * sizeof(int32_t));
    int32_t *colsum = lt_ctx_alloc(ctx, node, lanes * sizeof(int32_t));
    float *scale = lt_ctx_alloc(ctx, node, lanes * sizeof(float));
    float *bias_p = lt_ctx_alloc(ctx, node, lanes * sizeof(float));
    if (zeros == NULL || colsum == NULL || scale == NULL || bias_p == NULL) return LT_ERROR;
    const size_t saved_scratch = node->scratch_bytes, saved_slot = st->slot_bytes;
    bool failed;
    conv_i8_gemm *f = conv_gemm_prepare(ctx, node, st, zeros, 0, &failed);
    /* the layout is conv.c's (conv_hybrid): only the slot size is kept */
    node->scratch_bytes = saved_scratch;
    if (f == NULL) {
        st->slot_bytes = saved_slot;
        return failed ? LT_ERROR : LT_OK;
    }
    const int8_t *w = lt_i8(node->inputs[CONV_FILTER]);
    for (int64_t c = 0; c < g->out_c; c++) {
        uint32_t sum = 0; /* modulo 2^32, like the accumulators */
        for (int64_t i = 0; i < f->w.k; i++) sum += (uint32_t)(int32_t)w[c * f->w.k + i];
        colsum[c] = linear_acc_i32(sum);
        scale[c] = st->channel_scale[c];
        bias_p[c] = bias != NULL ? lt_f32(bias)[c] : 0.0f;
    }
    f->hout = (gemm_i8_hybrid){.colsum = colsum, .scale = scale, .bias = bias_p,
                               .lo = st->act.lo, .hi = st->act.hi};
    h->kernel = f;
    st->fn = conv2d_hybrid_gemm;
    return LT_OK;
}
#else
lt_status conv2d_i8_fast_prepare(lt_context *ctx, lt_node *node, conv_state *st) {
    (void)ctx;
    (void)node;
    (void)st;
    return LT_OK; /* no SIMD kernels in this build: the portable kernel stays */
}

lt_status conv2d_hybrid_fast_prepare(lt_context *ctx, lt_node *node, conv_state *st,
                                     conv_hybrid *h) {
    (void)ctx;
    (void)node;
    (void)st;
    (void)h;
    return LT_OK;
}
#endif
