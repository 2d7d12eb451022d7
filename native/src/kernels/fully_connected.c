/* FULLY_CONNECTED: y = x W^T + bias, then the fused activation (reference kernel, float32).
 *
 * Inputs: x of any rank, read as rows of K values where K is the weights' inner dimension
 * (x holds rows * K elements); weights [units, K] (the format's DEFAULT layout; the
 * shuffled int8 layout is rejected); optional bias [units] (omitted or -1).
 * Output shape, as TensorFlow Lite computes it: [rows, units]; with keep_num_dims, x's shape
 * with its last dimension (which must then be K) replaced by units.
 * The fused activation may be any the runtime implements (TensorFlow Lite's kernel accepts
 * only NONE and the RELU family; TANH and SIGN_BIT are applied after the clamp stage here).
 *
 * Types:
 *   float32: reference kernel below;
 *   int8 input, int8 weights (one scale, or one per unit along dimension 0; zero point 0),
 *     optional int32 bias, int8 output: int32 accumulation of (x - input_zero_point) * w
 *     plus bias, then round(acc * M) + output_zero_point with M = input_scale *
 *     weight_scale / output_scale in double and ties away from zero, which is what
 *     TensorFlow Lite's reference kernel gives (bit for bit with BUILTIN_REF; unlike
 *     CONV_2D, not the Q31 multiplier's rounding), computed with integers only
 *     (lt_requantize_dmul, multipliers from prepare);
 *   hybrid, float32 input/output with int8 weights (zero points 0): TensorFlow Lite's
 *     hybrid arithmetic (fully_connected_hybrid): each input row is quantized to int8
 *     asymmetrically, int8 x int8 products are accumulated in int32 and scaled back with
 *     input_scale * weight_scale[unit]. asymmetric_quantize_inputs is ignored: TensorFlow
 *     Lite's builtin kernel quantizes symmetrically (scale max|x| / 127) when it is false,
 *     but its default resolver (the XNNPACK delegate, what users run) quantizes every row
 *     asymmetrically whatever the option says, and the default is followed here. With the
 *     option true the result equals BUILTIN_REF's bit for bit; with it false it is within
 *     2e-7 of the default kernels' and about 1% from BUILTIN_REF's. Sparse
 *     hybrid weights (and weights with nonzero zero points, outside TensorFlow Lite's
 *     quantization spec for weights) are instead dequantized once at prepare and run through the float kernel.
 *
 * Threads: every kernel is split over output units (never over the depth), so results are
 * bit-identical for any num_threads; the hybrid kernels quantize the input rows first (on
 * one thread: a row costs what one unit costs), then split the units (SIMD kernels:
 * hybrid_fast.c). */
#include "alloc.h"
#include "fc_internal.h"
#include "gemm_f32.h"
#include "hybrid_fast.h"
#include "sparse_walk.h"

enum { FC_INPUT = 0, FC_WEIGHTS = 1, FC_BIAS = 2 };

/* FullyConnectedOptions field ids */
enum { FC_OPT_ACTIVATION = 0, FC_OPT_WEIGHTS_FORMAT = 1, FC_OPT_KEEP_NUM_DIMS = 2 };

static void fully_connected_f32(const fc_state *st, const lt_tensor *in_t,
                                const lt_tensor *weights_t, const lt_tensor *bias_t,
                                lt_tensor *out_t, int64_t u0, int64_t u1) {
    const float *x = lt_f32(in_t);
    const float *w = lt_f32(weights_t);
    const float *bias = bias_t != NULL ? lt_f32(bias_t) : NULL;
    float *y = lt_f32(out_t);
    const int64_t k = st->depth, n = st->units;
    const float lo = st->act.lo, hi = st->act.hi;
    for (int64_t r = 0; r < st->rows; r++, x += k, y += n) {
        for (int64_t o = u0; o < u1; o++) {
            float acc = linear_dot_f32(x, w + o * k, k);
            if (bias != NULL) acc += bias[o];
            y[o] = linear_clamp(acc, lo, hi);
        }
        linear_activation_post(&st->act, y + u0, u1 - u0);
    }
}

static void fully_connected_i8(const fc_state *st, const lt_tensor *in_t,
                               const lt_tensor *weights_t, const lt_tensor *bias_t,
                               lt_tensor *out_t, int64_t u0, int64_t u1) {
    (void)bias_t; /* copied into st->q.bias at prepare */
    const linear_quant *q = &st->q;
    const int8_t *x = lt_i8(in_t);
    const int8_t *w = lt_i8(weights_t);
    int8_t *y = lt_i8(out_t);
    const int64_t k = st->depth, n = st->units;
    for (int64_t r = 0; r < st->rows; r++, x += k, y += n)
        for (int64_t o = u0; o < u1; o++) {
            const uint32_t acc = (uint32_t)q->bias[o] +
                                 linear_dot_i8(x, q->input_zero_point, w + o * k, k);
            y[o] = (int8_t)lt_requantize_dmul(linear_acc_i32(acc), q->dmult[o],
                                              q->output_zero_point, q->lo, q->hi);
        }
}

/* Hybrid, as TensorFlow Lite computes it: each row of x quantized to int8 first
 * (fully_connected_invoke, into xq with its parameters), then for units [u0, u1)
 * out[o] = bias[o] + (float)acc * (input_scale * weight_scale[o]) where acc is the int32 dot
 * product less row_sums[o] * zero_point. */
static void fully_connected_hybrid(const fc_state *st, const int8_t *w, const int8_t *xq,
                                   const hybrid_qparams *params, const float *bias, float *y,
                                   int64_t u0, int64_t u1) {
    const int64_t k = st->depth, n = st->units;
    const float lo = st->act.lo, hi = st->act.hi;
    for (int64_t r = 0; r < st->rows; r++, xq += k, y += n) {
        const int32_t zp = params[r].zero_point;
        const float in_scale = params[r].scale;
        for (int64_t o = u0; o < u1; o++) {
            uint32_t acc = (uint32_t)linear_dot_i8i8(xq, w + o * k, k);
            if (zp != 0) acc -= (uint32_t)st->row_sums[o] * (uint32_t)zp;
            const float scale = in_scale * st->unit_scale[o];
            float v = bias != NULL ? bias[o] : 0.0f;
            v += (float)linear_acc_i32(acc) * scale;
            y[o] = linear_clamp(v, lo, hi);
        }
        linear_activation_post(&st->act, y + u0, u1 - u0);
    }
}

/* Sparse weights: only stored weights are multiplied. (Float32 sparse weights that are not
 * sparse enough for this to beat the SIMD GEMM, fc_densify_cheaper, are densified at prepare
 * and run the dense path instead.) Up to FC_SPARSE_TILE rows of x are
 * processed together so that each entry's column and values, loaded once, serve them all. */
enum { FC_SPARSE_TILE = 4 };

static void fully_connected_sparse_f32(const fc_state *st, const lt_tensor *in_t,
                                       const lt_tensor *weights_t, const lt_tensor *bias_t,
                                       lt_tensor *out_t, int64_t u0, int64_t u1) {
    (void)weights_t;
    const fc_sparse *sp = &st->sparse;
    const float *bias = bias_t != NULL ? lt_f32(bias_t) : NULL;
    const int64_t k = st->depth, n = st->units;
    const float lo = st->act.lo, hi = st->act.hi;
    const int32_t width = sp->width;
    for (int64_t r0 = 0; r0 < st->rows; r0 += FC_SPARSE_TILE) {
        const int64_t tile = st->rows - r0 < FC_SPARSE_TILE ? st->rows - r0 : FC_SPARSE_TILE;
        const float *x = lt_f32(in_t) + r0 * k;
        float *y = lt_f32(out_t) + r0 * n;
        for (int64_t o = u0; o < u1; o++) {
            float acc[FC_SPARSE_TILE] = {0.0f, 0.0f, 0.0f, 0.0f};
            const int32_t e_end = sp->row_ptr[o + 1];
            if (width == 1 && tile == 1 && sp->col16 != NULL) {
                /* Batch 1, the common on-device case: the loop is bound by reading the
                 * weights, so columns are 2 bytes and four sums run independently. */
                float a0 = 0.0f, a1 = 0.0f, a2 = 0.0f, a3 = 0.0f;
                int32_t e = sp->row_ptr[o];
                for (; e + 4 <= e_end; e += 4) {
                    a0 += x[sp->col16[e]] * sp->values[e];
                    a1 += x[sp->col16[e + 1]] * sp->values[e + 1];
                    a2 += x[sp->col16[e + 2]] * sp->values[e + 2];
                    a3 += x[sp->col16[e + 3]] * sp->values[e + 3];
                }
                for (; e < e_end; e++) a0 += x[sp->col16[e]] * sp->values[e];
                acc[0] = (a0 + a1) + (a2 + a3);
            } else if (width == 1) {
                for (int32_t e = sp->row_ptr[o]; e < e_end; e++) {
                    const float w = sp->values[e];
                    const float *xc = x + sp->col[e];
                    for (int64_t t = 0; t < tile; t++) acc[t] += xc[t * k] * w;
                }
            } else if (width == 4) {
                for (int32_t e = sp->row_ptr[o]; e < e_end; e++) {
                    const float *w = sp->values + (int64_t)e * 4;
                    const float *xc = x + sp->col[e];
                    for (int64_t t = 0; t < tile; t++) {
                        const float *xt = xc + t * k;
                        acc[t] += (xt[0] * w[0] + xt[1] * w[1]) + (xt[2] * w[2] + xt[3] * w[3]);
                    }
                }
            } else {
                for (int32_t e = sp->row_ptr[o]; e < e_end; e++) {
                    const float *w = sp->values + (int64_t)e * width;
                    const float *xc = x + sp->col[e];
                    for (int64_t t = 0; t < tile; t++)
                        acc[t] += linear_dot_f32(xc + t * k, w, width);
                }
            }
            for (int64_t t = 0; t < tile; t++) {
                float v = acc[t];
                if (bias != NULL) v += bias[o];
                y[t * n + o] = linear_clamp(v, lo, hi);
            }
        }
        for (int64_t t = 0; t < tile; t++)
            linear_activation_post(&st->act, y + t * n + u0, u1 - u0);
    }
}

/* Building fc_sparse: two walks over the stored weights, one counting the entries of each
 * unit, one filling them in. */
typedef struct fc_sparse_build {
    int64_t depth;
    int32_t width;
    int32_t *row_ptr;  /* counting: entries per unit at [u + 1]; filling: next free entry */
    int32_t *col;
    float *values;
    const void *src;   /* stored weights: float32, or int8 with scale/zero point per unit */
    const lt_quant *quant;
    bool fill;
} fc_sparse_build;

static void fc_sparse_visit(void *user, int64_t value, int64_t dense_offset) {
    fc_sparse_build *b = user;
    const int64_t unit = dense_offset / b->depth;
    /* A 1xB block's values are stored consecutively: its first one opens the entry. */
    const int64_t j = value % b->width;
    if (!b->fill) {
        if (j == 0) b->row_ptr[unit + 1]++;
        return;
    }
    int32_t e = b->row_ptr[unit];
    if (j == 0) b->col[e] = (int32_t)(dense_offset % b->depth);
    float w;
    if (b->quant == NULL) {
        memcpy(&w, (const uint8_t *)b->src + value * 4, sizeof w);
    } else {
        const int64_t c = b->quant->count > 1 ? unit : 0;
        w = b->quant->scale[c] *
            (float)((int32_t)((const int8_t *)b->src)[value] - (int32_t)b->quant->zero_point[c]);
    }
    b->values[(int64_t)e * b->width + j] = w;
    if (j == b->width - 1) b->row_ptr[unit] = e + 1;
}

/* The block width when the weights use 1xB blocks along the input dimension in row-major
 * traversal, as TensorFlow Lite's sparse FULLY_CONNECTED kernels expect (traversal_order
 * [0, 1, 2], block_map [1], the block level DENSE); 1 for every other encoding, which is then
 * read value by value. */
static int32_t fc_sparse_width(const lt_sparsity *sp) {
    if (sp->rank == 2 && sp->n_blocks == 1 && sp->block_map[0] == 1 &&
        sp->levels[0].dim == 0 && sp->levels[1].dim == 1 && sp->levels[2].dim == 2 &&
        !sp->levels[2].sparse)
        return sp->block_size[0];
    return 1;
}

/* Cost model choosing between the sparse kernel and the packed GEMM on densified weights,
 * in units of 0.01 ns, fitted on AVX2 (1024 x 1024 FULLY_CONNECTED at batch 1 to 32, and a
 * 28x28x256 -> 256 1x1 CONV_2D, which fits the same): the GEMM costs about 0.17 ns per
 * weight (reading and packing-bound at few rows) plus 0.012 ns per weight and row; the
 * sparse kernel about 0.40 ns per stored weight and row read singly, 0.27 ns in 1xB blocks.
 * E.g. 1024 x 1024 at batch 8: the GEMM 0.26 ms at any sparsity, the sparse kernel 0.31 /
 * 0.23 / 0.17 ms at 90 / 93 / 95 % (1x4 blocks: 0.22 / 0.15 / 0.12 ms); at batch 1 the
 * sparse kernel wins from about 50 %. */
static bool fc_densify_cheaper(int64_t rows, int64_t stored, int64_t elements, int32_t width) {
    const double sparse = (double)rows * (double)stored * (width > 1 ? 27.0 : 40.0);
    const double dense = (double)elements * (17.0 + 1.2 * (double)rows);
    return dense < sparse;
}

static void fc_densify_visit(void *user, int64_t value, int64_t dense_offset) {
    fc_sparse_build *b = user;
    memcpy(b->values + dense_offset, (const uint8_t *)b->src + value * (int64_t)sizeof(float),
           sizeof(float));
}

/* Whether the SIMD dense path beats the sparse kernel (fc_densify_cheaper): it multiplies
 * every weight, but at many times the scalar sparse kernel's rate. Only ISA levels with the
 * float GEMM, and a constant bias (which the GEMM packs). The choice depends on the model
 * and ISA level only, never on the thread count (the two paths round differently). */
static bool fc_sparse_densify_pays(lt_context *ctx, const lt_node *node,
                                   const lt_tensor *weights, const fc_state *st) {
    const lt_tensor *bias = node->n_inputs > FC_BIAS ? node->inputs[FC_BIAS] : NULL;
    gemm_f32_kernels ker;
    if (weights->type != LT_FLOAT32 || (bias != NULL && !bias->is_constant) ||
        !gemm_f32_kernels_for(lt_ctx_isa(ctx), &ker))
        return false;
    return fc_densify_cheaper(st->rows, weights->sparsity->n_values,
                              lt_tensor_elements(weights), fc_sparse_width(weights->sparsity));
}

/* Expands the sparse weights once into a dense copy (unstored weights zero, stored ones,
 * zeros included, as they are) for the dense float32 path: the same arithmetic on the same
 * values as the dense model, so the same results bit for bit. */
static lt_status fc_sparse_densify(lt_context *ctx, lt_node *node, const lt_tensor *weights,
                                   fc_state *st) {
    const int64_t n = lt_tensor_elements(weights);
    size_t bytes = 0;
    if (n < 0 || !lt_mul_size((size_t)n, sizeof(float), &bytes))
        return lt_ctx_error(ctx, node, "densified weights '%s' of %lld values overflow the "
                            "size type", weights->name, (long long)n);
    float *w = lt_ctx_alloc(ctx, node, bytes > 0 ? bytes : sizeof(float));
    if (w == NULL) return LT_ERROR;
    memset(w, 0, bytes);
    fc_sparse_build b = {.values = w, .src = weights->data};
    lt_sparse_walk(weights->sparsity, &weights->shape, fc_densify_visit, &b);
    st->weights_f32 = *weights;
    st->weights_f32.sparsity = NULL;
    st->weights_f32.data = w;
    st->weights_f32.bytes = bytes;
    st->densified = true;
    st->fn = fully_connected_f32;
    return LT_OK;
}

static lt_status fc_sparse_prepare(lt_context *ctx, lt_node *node, const lt_tensor *weights,
                                   bool hybrid, fc_state *st) {
    const lt_sparsity *sp = weights->sparsity;
    const lt_quant *q = &weights->quant;
    if (!weights->is_constant)
        return lt_ctx_error(ctx, node, "sparse weights '%s' are not constant", weights->name);
    if (!hybrid && fc_sparse_densify_pays(ctx, node, weights, st))
        return fc_sparse_densify(ctx, node, weights, st);
    if (hybrid) {
        if (q->count != 1 && (q->count != st->units || q->dimension != 0))
            return lt_ctx_error(ctx, node, "int8 weights '%s' have %d scales along dimension "
                                "%d; expected one scale or %lld along dimension 0",
                                weights->name, (int)q->count, (int)q->dimension,
                                (long long)st->units);
        for (int32_t c = 0; c < q->count; c++)
            if (!(isfinite(q->scale[c]) && q->scale[c] > 0.0f) ||
                q->zero_point[c] < INT8_MIN || q->zero_point[c] > INT8_MAX)
                return lt_ctx_error(ctx, node, "int8 weights '%s' have scale %g and zero point "
                                    "%lld for channel %d; expected a finite scale > 0 and a "
                                    "zero point in [-128, 127]", weights->name,
                                    (double)q->scale[c], (long long)q->zero_point[c], (int)c);
    }
    fc_sparse_build b = {.depth = st->depth, .width = fc_sparse_width(sp), .src = weights->data,
                         .quant = hybrid ? q : NULL};
    const int64_t entries = sp->n_values / b.width;
    if (entries > INT32_MAX)
        return lt_ctx_error(ctx, node, "sparse weights '%s' have %lld stored entries; at most "
                            "%d are supported", weights->name, (long long)entries, (int)INT32_MAX);
    b.row_ptr = lt_ctx_alloc(ctx, node, ((size_t)st->units + 1) * sizeof(int32_t));
    int32_t *row_ptr = lt_ctx_alloc(ctx, node, ((size_t)st->units + 1) * sizeof(int32_t));
    b.col = lt_ctx_alloc(ctx, node, (entries > 0 ? (size_t)entries : 1) * sizeof(int32_t));
    b.values = lt_ctx_alloc(ctx, node, (sp->n_values > 0 ? (size_t)sp->n_values : 1) *
                                           sizeof(float));
    if (b.row_ptr == NULL || row_ptr == NULL || b.col == NULL || b.values == NULL)
        return LT_ERROR;
    lt_sparse_walk(sp, &weights->shape, fc_sparse_visit, &b);
    for (int64_t u = 0; u < st->units; u++) b.row_ptr[u + 1] += b.row_ptr[u];
    memcpy(row_ptr, b.row_ptr, ((size_t)st->units + 1) * sizeof(int32_t));
    b.fill = true;
    lt_sparse_walk(sp, &weights->shape, fc_sparse_visit, &b); /* advances b.row_ptr */
    uint16_t *col16 = NULL;
    if (b.width == 1 && st->depth <= 65536) {
        col16 = lt_ctx_alloc(ctx, node, (entries > 0 ? (size_t)entries : 1) * sizeof(uint16_t));
        if (col16 == NULL) return LT_ERROR;
        for (int64_t e = 0; e < entries; e++) col16[e] = (uint16_t)b.col[e];
    }
    st->sparse = (fc_sparse){b.width, row_ptr, b.col, col16, b.values};
    st->fn = fully_connected_sparse_f32;
    return LT_OK;
}

static lt_status fully_connected_prepare(lt_context *ctx, lt_node *node) {
    fc_state st = {.parallel_min_work = LT_PARALLEL_MIN_WORK};
    if (lt_check_io_count(ctx, node, 2, 3, 1) != LT_OK ||
        lt_check_options(ctx, node, LT_OPTS_FullyConnectedOptions) != LT_OK ||
        lt_check_input_rank(ctx, node, FC_WEIGHTS, 2, 2) != LT_OK)
        return LT_ERROR;
    const lt_tensor *in = node->inputs[FC_INPUT];
    const lt_tensor *weights = node->inputs[FC_WEIGHTS];
    const lt_tensor *bias = node->n_inputs > FC_BIAS ? node->inputs[FC_BIAS] : NULL;
    char buf[96], wbuf[96];

    enum { FC_F32, FC_I8, FC_HYBRID } kind;
    if (in->type == LT_FLOAT32 && weights->type == LT_INT8) {
        kind = FC_HYBRID;
        st.fn = fully_connected_f32;
        if (bias != NULL && bias->type != LT_FLOAT32)
            return lt_ctx_error(ctx, node, "bias '%s' has type %s; expected FLOAT32 with float "
                                "input and int8 weights (hybrid)", bias->name,
                                lt_type_name(bias->type));
        if (node->outputs[0]->type != LT_FLOAT32)
            return lt_ctx_error(ctx, node, "output '%s' has type %s; expected FLOAT32 like the "
                                "input", node->outputs[0]->name,
                                lt_type_name(node->outputs[0]->type));
    } else if (in->type == LT_FLOAT32) {
        kind = FC_F32;
        st.fn = fully_connected_f32;
        if (linear_check_operand_types(ctx, node, weights, "weights", bias) != LT_OK)
            return LT_ERROR;
    } else if (in->type == LT_INT8) {
        kind = FC_I8;
        st.fn = fully_connected_i8;
        if (weights->type != LT_INT8)
            return lt_ctx_error(ctx, node, "weights '%s' have type %s; expected INT8 like the "
                                "input", weights->name, lt_type_name(weights->type));
        if (node->outputs[0]->type != LT_INT8)
            return lt_ctx_error(ctx, node, "output '%s' has type %s; expected INT8 like the "
                                "input", node->outputs[0]->name,
                                lt_type_name(node->outputs[0]->type));
    } else {
        return lt_ctx_error(ctx, node, "input '%s' has type %s; expected FLOAT32 or INT8",
                            in->name, lt_type_name(in->type));
    }

    const int weights_format = lt_opt_i8(node, FC_OPT_WEIGHTS_FORMAT, 0);
    if (weights_format != 0)
        return lt_ctx_error(ctx, node, "weights_format is %d; only DEFAULT (0) is supported",
                            weights_format);
    const bool keep_num_dims = lt_opt_bool(node, FC_OPT_KEEP_NUM_DIMS, false);
    if (linear_activation_init(ctx, node, lt_opt_i8(node, FC_OPT_ACTIVATION, 0), &st.act) !=
        LT_OK)
        return LT_ERROR;

    st.units = weights->shape.dims[0];
    st.depth = weights->shape.dims[1];
    const int64_t elements = lt_tensor_elements(in);
    if (st.depth <= 0)
        return lt_ctx_error(ctx, node, "weights '%s' have shape %s; expected [units, input "
                            "features] with at least one input feature", weights->name,
                            lt_shape_str(&weights->shape, wbuf, sizeof wbuf));
    if (elements < 0 || elements % st.depth != 0)
        return lt_ctx_error(ctx, node, "input '%s' of shape %s cannot be read as rows of %lld "
                            "features (the inner dimension of weights %s)", in->name,
                            lt_shape_str(&in->shape, buf, sizeof buf), (long long)st.depth,
                            lt_shape_str(&weights->shape, wbuf, sizeof wbuf));
    st.rows = elements / st.depth;
    if (bias != NULL && lt_tensor_elements(bias) != st.units)
        return lt_ctx_error(ctx, node, "bias '%s' has shape %s; expected %lld values, one per "
                            "unit", bias->name, lt_shape_str(&bias->shape, buf, sizeof buf),
                            (long long)st.units);

    lt_shape out_shape;
    if (keep_num_dims) {
        const int rank = in->shape.rank;
        if (rank < 1 || in->shape.dims[rank - 1] != st.depth)
            return lt_ctx_error(ctx, node, "keep_num_dims needs the input's last dimension to "
                                "equal the weights' inner dimension %lld; input '%s' has shape "
                                "%s", (long long)st.depth, in->name,
                                lt_shape_str(&in->shape, buf, sizeof buf));
        out_shape = in->shape;
        out_shape.dims[rank - 1] = (int32_t)st.units;
    } else {
        if (st.rows > INT32_MAX)
            return lt_ctx_error(ctx, node, "input '%s' has %lld rows; at most %d are supported",
                                in->name, (long long)st.rows, (int)INT32_MAX);
        out_shape = (lt_shape){.rank = 2, .dims = {(int32_t)st.rows, (int32_t)st.units}};
    }
    if (lt_node_set_output_shape(ctx, node, 0, &out_shape) != LT_OK) return LT_ERROR;
    if (st.units > INT32_MAX)
        return lt_ctx_error(ctx, node, "weights '%s' have %lld units; at most %d are supported",
                            weights->name, (long long)st.units, (int)INT32_MAX);
    if (weights->sparsity != NULL) {
        if (kind == FC_I8)
            return lt_ctx_error(ctx, node, "sparse int8 weights '%s' with int8 input are not "
                                "supported; expected float32 or hybrid (float32 input, int8 "
                                "weights) sparse weights, or a DENSIFY before this op",
                                weights->name);
        if (fc_sparse_prepare(ctx, node, weights, kind == FC_HYBRID, &st) != LT_OK)
            return LT_ERROR;
        kind = FC_F32; /* the sparse kernel reads its own float copy of the weights */
    }
    if (kind == FC_I8 &&
        linear_quant_prepare(ctx, node, in, weights, bias, node->outputs[0], 0,
                             (int32_t)st.units, st.act.act,
                             LINEAR_REQUANT_DOUBLE, &st.q) != LT_OK)
        return LT_ERROR;
    if (kind == FC_HYBRID) {
        bool zero_zp = false;
        if (linear_hybrid_check(ctx, node, weights, 0, &zero_zp) != LT_OK) return LT_ERROR;
        const lt_quant *wq = &weights->quant;
        if (zero_zp) {
            st.hybrid_int = true;
            const size_t units = st.units > 0 ? (size_t)st.units : 1;
            float *unit_scale = lt_ctx_alloc(ctx, node, units * sizeof(float));
            int32_t *row_sums = lt_ctx_alloc(ctx, node, units * sizeof(int32_t));
            if (unit_scale == NULL || row_sums == NULL) return LT_ERROR;
            const int8_t *w = lt_i8(weights);
            for (int64_t u = 0; u < st.units; u++) {
                unit_scale[u] = wq->scale[wq->count > 1 ? u : 0];
                int64_t sum = 0; /* |sum| <= 128 * depth: fits int64 */
                for (int64_t i = 0; i < st.depth; i++) sum += w[u * st.depth + i];
                row_sums[u] = (int32_t)(uint32_t)(uint64_t)sum; /* wraps like int32 */
            }
            st.unit_scale = unit_scale;
            st.row_sums = row_sums;
            fc_hybrid *h = lt_ctx_alloc(ctx, node, sizeof *h);
            if (h == NULL) return LT_ERROR;
            hybrid_quant_pick(ctx, &h->minmax, &h->quantize);
            h->fn = fully_connected_hybrid;
            st.fast = h;
            if (fc_hybrid_fast_prepare(ctx, node, &st, h) != LT_OK) return LT_ERROR;
            /* the quantized rows, then their parameters */
            size_t rows_bytes, params_bytes;
            if (!lt_mul_size((size_t)st.rows, (size_t)st.depth, &rows_bytes) ||
                !lt_align_size(rows_bytes, &h->params_at) ||
                !lt_mul_size((size_t)st.rows, sizeof(hybrid_qparams), &params_bytes) ||
                !lt_add_size(h->params_at, params_bytes, &node->scratch_bytes))
                return lt_ctx_error(ctx, node, "%lld quantized rows of %lld values overflow "
                                    "the size type", (long long)st.rows, (long long)st.depth);
        } else {
            st.hybrid = true;
            if (linear_hybrid_weights(ctx, node, weights, 0, &st.weights_f32) != LT_OK)
                return LT_ERROR;
        }
    }
    if ((weights->sparsity == NULL || st.densified) && !st.hybrid && !st.hybrid_int &&
        ((kind == FC_F32 &&
          fc_f32_fast_prepare(ctx, node, &st, st.densified ? &st.weights_f32 : weights) !=
              LT_OK) ||
         (kind == FC_I8 && fc_i8_fast_prepare(ctx, node, &st) != LT_OK)))
        return LT_ERROR;
    if (st.units == 0) st.rows = 0; /* empty output: nothing to compute */
    const double work = (double)st.rows * (double)st.units * (double)st.depth;
    st.work = work < (double)INT64_MAX / 2 ? (int64_t)work : INT64_MAX / 2;

    fc_state *state = lt_ctx_alloc(ctx, node, sizeof *state);
    if (state == NULL) return LT_ERROR;
    *state = st;
    node->state = state;
    return LT_OK;
}

/* One invoke's operands, shared by the threads that each compute a range of units. */
typedef struct fc_args {
    const fc_state *st;
    const lt_tensor *in, *weights, *bias;
    lt_tensor *out;
} fc_args;

static void fc_run_units(void *arg, int64_t u0, int64_t u1) {
    const fc_args *a = arg;
    a->st->fn(a->st, a->in, a->weights, a->bias, a->out, u0, u1);
}

/* Hybrid: the rows quantized first (one thread: a row's quantization costs what one unit
 * costs), then the units split over the threads. */
typedef struct fc_hybrid_args {
    const fc_state *st;
    const int8_t *w, *xq;
    const hybrid_qparams *params;
    const float *bias;
    float *y;
} fc_hybrid_args;

static void fc_hybrid_run_units(void *arg, int64_t u0, int64_t u1) {
    const fc_hybrid_args *a = arg;
    const fc_hybrid *h = a->st->fast;
    h->fn(a->st, a->w, a->xq, a->params, a->bias, a->y, u0, u1);
}

static void fc_hybrid_invoke(lt_context *ctx, lt_node *node, const fc_state *st,
                             const lt_tensor *bias) {
    /* No rows (an input with a zero dimension): no scratch either, and the pointer
     * arithmetic below on its NULL would be undefined. */
    if (st->rows == 0) return;
    const fc_hybrid *h = st->fast;
    int8_t *xq = node->scratch;
    hybrid_qparams *params = (hybrid_qparams *)(void *)((uint8_t *)node->scratch + h->params_at);
    const float *x = lt_f32(node->inputs[FC_INPUT]);
    const int64_t k = st->depth;
    for (int64_t r = 0; r < st->rows; r++) { /* k >= 1 (checked at prepare) */
        float lo = x[r * k], hi = lo;
        h->minmax(x + r * k, k, &lo, &hi);
        hybrid_qparams_from_range(lo, hi, &params[r]);
        h->quantize(x + r * k, k, &params[r], xq + r * k);
    }
    fc_hybrid_args a = {st, lt_i8(node->inputs[FC_WEIGHTS]), xq, params,
                        bias != NULL ? lt_f32(bias) : NULL, lt_f32(node->outputs[0])};
    if (st->work >= st->parallel_min_work)
        lt_ctx_parallel_for(ctx, st->units, fc_hybrid_run_units, &a);
    else
        fc_hybrid_run_units(&a, 0, st->units);
}

static lt_status fully_connected_invoke(lt_context *ctx, lt_node *node) {
    const fc_state *st = node->state;
    const lt_tensor *bias = node->n_inputs > FC_BIAS ? node->inputs[FC_BIAS] : NULL;
    if (st->hybrid_int) {
        fc_hybrid_invoke(ctx, node, st, bias);
        return LT_OK;
    }
    const lt_tensor *weights =
        st->hybrid || st->densified ? &st->weights_f32 : node->inputs[FC_WEIGHTS];
    if (st->rows == 0) return LT_OK;
    fc_args a = {st, node->inputs[FC_INPUT], weights, bias, node->outputs[0]};
    /* Split over units, never over the depth: every thread reads all of x and its own
     * slice of the weights. */
    if (st->work >= st->parallel_min_work)
        lt_ctx_parallel_for(ctx, st->units, fc_run_units, &a);
    else
        fc_run_units(&a, 0, st->units);
    return LT_OK;
}

const lt_op lt_op_fully_connected = {"FULLY_CONNECTED", fully_connected_prepare,
                                     fully_connected_invoke};
