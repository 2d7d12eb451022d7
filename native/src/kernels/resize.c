/* RESIZE_BILINEAR and RESIZE_NEAREST_NEIGHBOR on NHWC images.
 *
 * Inputs: the image [N, H, W, C] and a constant INT32 size [2] = (new height, new width).
 * Options: align_corners and half_pixel_centers (ResizeBilinearOptions fields 2 and 3,
 * ResizeNearestNeighborOptions fields 0 and 1).
 *
 * Output pixel (y, x) samples the input at a source coordinate computed per axis, in float
 * arithmetic as TensorFlow does:
 *   scale  = (in - 1) / (out - 1) if align_corners and out > 1, else in / out
 *   source = (y + 0.5) * scale - 0.5 with half_pixel_centers (bilinear), y * scale otherwise
 * Bilinear blends the pixels at floor(source) (clamped below at 0) and ceil(source) (clamped
 * above at in - 1) by source - floor(source) -- the lower index is the clamped one, so the
 * weights are taken from it, as TensorFlow Lite does. With dy, dx those fractions, the blend
 * is TensorFlow Lite's reference expression, evaluated left to right in float:
 *   v00 (1 - dy)(1 - dx) + v10 dy (1 - dx) + v01 (1 - dy) dx + v11 dy dx
 * so float32 results equal its reference kernel's bit for bit. Nearest neighbour takes
 *   round((y + offset) * scale) with align_corners, floor((y + offset) * scale) otherwise,
 * with offset 0.5 for half_pixel_centers, clamped to [0, in - 1]; round is half away from 0.
 *
 * int8 bilinear (input and output quantization must be equal: values are blended, not
 * requantized) follows TensorFlow Lite's reference integer kernel bit for bit: positions are
 * fixed point with 10 fractional bits,
 *   scale  = (1024 * in + out / 2) / out, or with align_corners and out > 1
 *            (1024 * (in - 1) + (out - 1) / 2) / (out - 1)      (integer division)
 *   source = y * scale + (half_pixel_centers ? scale / 2 - 512 : 0)
 *   lo = max(source / 1024, 0) (division truncating toward 0), hi = min(ceil, in - 1),
 *   frac = source - 1024 * lo   (negative near the border with half_pixel_centers; the two
 *                                taps are then the same pixel, so the blend is still exact)
 * and the four products value * wy * wx (weights out of 1024 each) are summed in int64 and
 * divided by 2^20, rounding half away from zero.
 *
 * prepare computes the per-row and per-column source indices and weights once; invoke only
 * walks them. Nearest neighbour copies bytes, so it serves every stored type (int8 included:
 * no arithmetic, any quantization carried over). */
#include <math.h>
#include <string.h>

#include "kernels.h"
#include "quant_math.h"

enum { RESIZE_INPUT = 0, RESIZE_SIZE = 1 };
enum { BILINEAR_OPT_ALIGN_CORNERS = 2, BILINEAR_OPT_HALF_PIXEL = 3 };
enum { NEAREST_OPT_ALIGN_CORNERS = 0, NEAREST_OPT_HALF_PIXEL = 1 };

/* One output row or column of a bilinear resize. */
typedef struct bilinear_tap {
    int32_t lo, hi;  /* source indices to blend */
    float frac;      /* weight of `hi`; `lo` gets 1 - frac */
} bilinear_tap;

/* The same in TensorFlow Lite's 10-bit fixed point (int8). */
typedef struct bilinear_tap_q {
    int32_t lo, hi;
    int32_t frac;    /* weight of `hi` in 1/1024; `lo` gets 1024 - frac */
} bilinear_tap_q;

typedef struct resize_state {
    int32_t batch, in_h, in_w, channels, out_h, out_w;
    size_t elem;
    bilinear_tap *ys, *xs;       /* bilinear float32: out_h and out_w taps */
    bilinear_tap_q *qys, *qxs;   /* bilinear int8: out_h and out_w taps */
    int32_t *near_y, *near_x;    /* nearest: out_h and out_w source indices */
} resize_state;

static float resize_scale(int32_t in, int32_t out, bool align_corners) {
    if (align_corners && out > 1) return (float)(in - 1) / (float)(out - 1);
    return (float)in / (float)out;
}

/* Checks inputs shared by both ops and sets the output shape; fills dims of *st. */
static lt_status resize_common_prepare(lt_context *ctx, lt_node *node, uint8_t opts_type,
                                       resize_state *st) {
    if (lt_check_io_count(ctx, node, 2, 2, 1) != LT_OK ||
        lt_check_options(ctx, node, opts_type) != LT_OK ||
        lt_check_input_rank(ctx, node, RESIZE_INPUT, 4, 4) != LT_OK ||
        lt_check_input_type(ctx, node, RESIZE_SIZE, LT_INT32) != LT_OK)
        return LT_ERROR;
    const lt_tensor *in = node->inputs[RESIZE_INPUT];
    const lt_tensor *size = node->inputs[RESIZE_SIZE];
    const lt_tensor *out = node->outputs[0];
    char buf[96];
    if (out->type != in->type)
        return lt_ctx_error(ctx, node, "output has type %s; expected %s like the input",
                            lt_type_name(out->type), lt_type_name(in->type));
    if (size->shape.rank != 1 || size->shape.dims[0] != 2)
        return lt_ctx_error(ctx, node, "size '%s' has shape %s; expected [2] (height, width)",
                            size->name, lt_shape_str(&size->shape, buf, sizeof buf));
    if (lt_check_input_constant(ctx, node, RESIZE_SIZE) != LT_OK) return LT_ERROR;
    const int32_t out_h = lt_i32(size)[0], out_w = lt_i32(size)[1];
    if (out_h <= 0 || out_w <= 0)
        return lt_ctx_error(ctx, node, "size is [%d, %d]; expected positive height and width",
                            (int)out_h, (int)out_w);
    if (in->shape.dims[1] <= 0 || in->shape.dims[2] <= 0)
        return lt_ctx_error(ctx, node, "input has shape %s; expected a non-empty image "
                            "(height and width > 0)", lt_shape_str(&in->shape, buf, sizeof buf));
    st->batch = in->shape.dims[0];
    st->in_h = in->shape.dims[1];
    st->in_w = in->shape.dims[2];
    st->channels = in->shape.dims[3];
    st->out_h = out_h;
    st->out_w = out_w;
    st->elem = lt_type_size(in->type);
    lt_shape out_shape = {4, {st->batch, out_h, out_w, st->channels}};
    return lt_node_set_output_shape(ctx, node, 0, &out_shape);
}

/* Zeroed plan memory for n entries of `size` bytes (n > 0). */
static void *alloc_table(lt_context *ctx, const lt_node *node, int32_t n, size_t size) {
    if ((size_t)n > SIZE_MAX / size) {
        lt_ctx_error(ctx, node, "resize table of %d entries is too large", (int)n);
        return NULL;
    }
    return lt_ctx_alloc(ctx, node, (size_t)n * size);
}

static void bilinear_taps(bilinear_tap *taps, int32_t out, int32_t in, bool align_corners,
                          bool half_pixel) {
    const float scale = resize_scale(in, out, align_corners);
    for (int32_t i = 0; i < out; i++) {
        const float src = half_pixel ? ((float)i + 0.5f) * scale - 0.5f : (float)i * scale;
        const float fl = floorf(src);
        int32_t lo = (int32_t)fl, hi = (int32_t)ceilf(src);
        /* Clamp both ends both ways: float rounding must never index outside the image. */
        if (lo < 0) lo = 0;
        if (lo > in - 1) lo = in - 1;
        if (hi > in - 1) hi = in - 1;
        if (hi < lo) hi = lo;
        taps[i].lo = lo;
        taps[i].hi = hi;
        taps[i].frac = src - (float)lo;
    }
}

/* TensorFlow Lite's integer taps (see the top comment), in int64 so that no size overflows;
 * wherever TensorFlow Lite's int32 arithmetic is exact the result is the same. */
static void bilinear_taps_q(bilinear_tap_q *taps, int32_t out, int32_t in, bool align_corners,
                            bool half_pixel) {
    int64_t scale = ((int64_t)1024 * in + out / 2) / out;
    if (align_corners && out > 1) scale = ((int64_t)1024 * (in - 1) + (out - 1) / 2) / (out - 1);
    for (int32_t i = 0; i < out; i++) {
        const int64_t src = (int64_t)i * scale + (half_pixel ? scale / 2 - 512 : 0);
        int64_t lo = src / 1024; /* truncates toward zero, as TensorFlow Lite's */
        if (lo < 0) lo = 0;
        int64_t hi = (src + 1023) / 1024;
        if (hi > in - 1) hi = in - 1;
        int64_t frac = src - 1024 * lo;
        /* Positions past the last pixel (only for extreme upscaling, where TensorFlow Lite
         * itself would read outside the image): take the last pixel. */
        if (lo > in - 1) {
            lo = in - 1;
            frac = 0;
        }
        if (hi < lo) hi = lo;
        taps[i].lo = (int32_t)lo;
        taps[i].hi = (int32_t)hi;
        taps[i].frac = (int32_t)frac; /* in [-512, 1024] */
    }
}

static lt_status bilinear_prepare(lt_context *ctx, lt_node *node) {
    resize_state st = {0};
    if (resize_common_prepare(ctx, node, LT_OPTS_ResizeBilinearOptions, &st) != LT_OK)
        return LT_ERROR;
    const lt_tensor *in = node->inputs[RESIZE_INPUT];
    if (in->type != LT_FLOAT32 && in->type != LT_INT8)
        return lt_ctx_error(ctx, node, "input has type %s; expected FLOAT32 or INT8",
                            lt_type_name(in->type));
    if (in->type == LT_INT8) {
        float si, so;
        int32_t zi, zo;
        if (lt_quant_per_tensor(ctx, node, in, "input", INT8_MIN, INT8_MAX, &si, &zi) != LT_OK ||
            lt_quant_per_tensor(ctx, node, node->outputs[0], "output", INT8_MIN, INT8_MAX, &so,
                                &zo) != LT_OK)
            return LT_ERROR;
        if (si != so || zi != zo)
            return lt_ctx_error(ctx, node, "input scale/zero point %g/%d differ from the "
                                "output's %g/%d; expected equal ones (int8 resizing blends "
                                "values without requantizing)", (double)si, (int)zi,
                                (double)so, (int)zo);
    }
    const bool align = lt_opt_bool(node, BILINEAR_OPT_ALIGN_CORNERS, false);
    const bool half = lt_opt_bool(node, BILINEAR_OPT_HALF_PIXEL, false);
    if (align && half)
        return lt_ctx_error(ctx, node, "align_corners and half_pixel_centers are both set; "
                            "expected at most one (as TensorFlow requires)");
    resize_state *s = lt_ctx_alloc(ctx, node, sizeof *s);
    if (s == NULL) return LT_ERROR;
    *s = st;
    if (in->type == LT_INT8) {
        s->qys = alloc_table(ctx, node, st.out_h, sizeof *s->qys);
        s->qxs = alloc_table(ctx, node, st.out_w, sizeof *s->qxs);
        if (s->qys == NULL || s->qxs == NULL) return LT_ERROR;
        bilinear_taps_q(s->qys, st.out_h, st.in_h, align, half);
        bilinear_taps_q(s->qxs, st.out_w, st.in_w, align, half);
    } else {
        s->ys = alloc_table(ctx, node, st.out_h, sizeof *s->ys);
        s->xs = alloc_table(ctx, node, st.out_w, sizeof *s->xs);
        if (s->ys == NULL || s->xs == NULL) return LT_ERROR;
        bilinear_taps(s->ys, st.out_h, st.in_h, align, half);
        bilinear_taps(s->xs, st.out_w, st.in_w, align, half);
    }
    node->state = s;
    return LT_OK;
}

/* int8: the fixed-point blend of TensorFlow Lite's reference kernel. */
static void bilinear_q8(const resize_state *s, const int8_t *src, int8_t *dst) {
    const int64_t c = s->channels;
    const int64_t in_row = (int64_t)s->in_w * c, in_image = (int64_t)s->in_h * in_row;
    for (int64_t n = 0; n < s->batch; n++) {
        const int8_t *image = src + n * in_image;
        for (int32_t y = 0; y < s->out_h; y++) {
            const bilinear_tap_q ty = s->qys[y];
            const int8_t *row_lo = image + ty.lo * in_row, *row_hi = image + ty.hi * in_row;
            const int64_t wy_hi = ty.frac, wy_lo = 1024 - ty.frac;
            for (int32_t x = 0; x < s->out_w; x++) {
                const bilinear_tap_q tx = s->qxs[x];
                const int8_t *tl = row_lo + tx.lo * c, *tr = row_lo + tx.hi * c;
                const int8_t *bl = row_hi + tx.lo * c, *br = row_hi + tx.hi * c;
                const int64_t wx_hi = tx.frac, wx_lo = 1024 - tx.frac;
                for (int64_t ch = 0; ch < c; ch++) {
                    /* |each weight| <= 1536: the sum stays far inside int64. */
                    const int64_t acc = tl[ch] * wy_lo * wx_lo + bl[ch] * wy_hi * wx_lo +
                                        tr[ch] * wy_lo * wx_hi + br[ch] * wy_hi * wx_hi;
                    const int64_t half = acc > 0 ? ((int64_t)1 << 19) : -((int64_t)1 << 19);
                    const int64_t v = (acc + half) / ((int64_t)1 << 20);
                    dst[ch] = (int8_t)(v < INT8_MIN ? INT8_MIN : (v > INT8_MAX ? INT8_MAX : v));
                }
                dst += c;
            }
        }
    }
}

static lt_status bilinear_invoke(lt_context *ctx, lt_node *node) {
    (void)ctx;
    const resize_state *s = node->state;
    if (s->qys != NULL) {
        if (node->outputs[0]->bytes != 0)
            bilinear_q8(s, lt_i8(node->inputs[RESIZE_INPUT]), lt_i8(node->outputs[0]));
        return LT_OK;
    }
    const float *src = lt_f32(node->inputs[RESIZE_INPUT]);
    float *dst = lt_f32(node->outputs[0]);
    if (node->outputs[0]->bytes == 0) return LT_OK;
    const int64_t c = s->channels;
    const int64_t in_row = (int64_t)s->in_w * c, in_image = (int64_t)s->in_h * in_row;
    for (int64_t n = 0; n < s->batch; n++) {
        const float *image = src + n * in_image;
        for (int32_t y = 0; y < s->out_h; y++) {
            const bilinear_tap ty = s->ys[y];
            const float *row_lo = image + ty.lo * in_row, *row_hi = image + ty.hi * in_row;
            for (int32_t x = 0; x < s->out_w; x++) {
                const bilinear_tap tx = s->xs[x];
                const float *tl = row_lo + tx.lo * c, *tr = row_lo + tx.hi * c;
                const float *bl = row_hi + tx.lo * c, *br = row_hi + tx.hi * c;
                const float dy = ty.frac, dx = tx.frac, ry = 1.0f - dy, rx = 1.0f - dx;
                /* TensorFlow Lite's reference blend, term by term and in its order, so that
                 * the float results are the same bit for bit. */
                for (int64_t ch = 0; ch < c; ch++)
                    dst[ch] = tl[ch] * ry * rx + bl[ch] * dy * rx + tr[ch] * ry * dx +
                              br[ch] * dy * dx;
                dst += c;
            }
        }
    }
    return LT_OK;
}

static void nearest_indices(int32_t *idx, int32_t out, int32_t in, bool align_corners,
                            bool half_pixel) {
    const float scale = resize_scale(in, out, align_corners);
    const float offset = half_pixel ? 0.5f : 0.0f;
    for (int32_t i = 0; i < out; i++) {
        const float src = ((float)i + offset) * scale;
        /* src >= 0 and below in + 1, so the conversion cannot overflow. */
        int32_t v = (int32_t)(align_corners ? roundf(src) : floorf(src));
        if (v > in - 1) v = in - 1;
        if (v < 0) v = 0;
        idx[i] = v;
    }
}

static lt_status nearest_prepare(lt_context *ctx, lt_node *node) {
    resize_state st = {0};
    if (resize_common_prepare(ctx, node, LT_OPTS_ResizeNearestNeighborOptions, &st) != LT_OK)
        return LT_ERROR;
    const lt_tensor *in = node->inputs[RESIZE_INPUT];
    if (st.elem == 0)
        return lt_ctx_error(ctx, node, "input has type %s, which cannot be resized",
                            lt_type_name(in->type));
    const bool align = lt_opt_bool(node, NEAREST_OPT_ALIGN_CORNERS, false);
    const bool half = lt_opt_bool(node, NEAREST_OPT_HALF_PIXEL, false);
    resize_state *s = lt_ctx_alloc(ctx, node, sizeof *s);
    if (s == NULL) return LT_ERROR;
    *s = st;
    s->near_y = alloc_table(ctx, node, st.out_h, sizeof *s->near_y);
    s->near_x = alloc_table(ctx, node, st.out_w, sizeof *s->near_x);
    if (s->near_y == NULL || s->near_x == NULL) return LT_ERROR;
    nearest_indices(s->near_y, st.out_h, st.in_h, align, half);
    nearest_indices(s->near_x, st.out_w, st.in_w, align, half);
    node->state = s;
    return LT_OK;
}

static lt_status nearest_invoke(lt_context *ctx, lt_node *node) {
    (void)ctx;
    const resize_state *s = node->state;
    if (node->outputs[0]->bytes == 0) return LT_OK;
    const uint8_t *src = node->inputs[RESIZE_INPUT]->data;
    uint8_t *dst = node->outputs[0]->data;
    const size_t pixel = (size_t)s->channels * s->elem;
    const size_t in_row = (size_t)s->in_w * pixel, in_image = (size_t)s->in_h * in_row;
    for (int64_t n = 0; n < s->batch; n++) {
        const uint8_t *image = src + (size_t)n * in_image;
        for (int32_t y = 0; y < s->out_h; y++) {
            const uint8_t *row = image + (size_t)s->near_y[y] * in_row;
            for (int32_t x = 0; x < s->out_w; x++) {
                memcpy(dst, row + (size_t)s->near_x[x] * pixel, pixel);
                dst += pixel;
            }
        }
    }
    return LT_OK;
}

const lt_op lt_op_resize_bilinear = {"RESIZE_BILINEAR", bilinear_prepare, bilinear_invoke};
const lt_op lt_op_resize_nearest_neighbor = {"RESIZE_NEAREST_NEIGHBOR", nearest_prepare,
                                             nearest_invoke};
