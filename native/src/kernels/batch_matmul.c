/* BATCH_MATMUL: out[..., i, j] = sum_k x[..., i, k] * y[..., k, j] (reference kernels,
 * float32 and int8).
 *
 * adj_x / adj_y transpose the last two dimensions of x / y before the product (x is then
 * stored [..., K, M], y [..., N, K]). The dimensions before the last two are batch
 * dimensions and broadcast like NumPy's (numpy.matmul): ranks 2 to LT_MAX_RANK, the shorter
 * one padded with leading 1s, each pair equal or one of them 1. The output has the larger
 * rank: broadcast batch dimensions, then [M, N].
 * asymmetric_quantize_inputs concerns hybrid (int8) kernels only and is ignored for float.
 *
 * Types:
 *   float32: the reference kernel below;
 *   int8 x, y and output, each quantized per tensor (any zero points in [-128, 127]: y is an
 *     activation here, not symmetric weights): int32 accumulation of
 *     (x - x_zero_point) * (y - y_zero_point) wrapping modulo 2^32 like TensorFlow Lite's
 *     int32 accumulators, then the output stage of TensorFlow Lite's reference kernel for
 *     this op: the Q31 multiplier and shift of M = x_scale * y_scale / output_scale with
 *     double rounding (lt_requantize), plus the output zero point, clamped to [-128, 127]
 *     (BATCH_MATMUL has no fused activation). Unlike FULLY_CONNECTED's reference, which
 *     rounds acc * M in double, this is the Q31 rule: measured bit for bit against
 *     ai_edge_litert's BUILTIN_REF, with which its default kernels agree (see
 *     tests/test_kernels_int8_batch_matmul.py). M is fixed at prepare; invoke is
 *     integer-only.
 *
 * Float loop order follows y's layout so the innermost loop runs along contiguous memory:
 * y as stored [K, N]: each output row accumulates rows of y scaled by x's entries (axpy);
 * y stored transposed [N, K]: each output is a dot product of a row of x with a row of y.
 *
 * float32 with SIMD (AVX2+FMA, AVX-512; bmm_f32_fast_prepare): the packed-weight GEMM of
 * gemm_f32.h, x's rows as A and y as the packed panels. A constant y (weights) is packed
 * once at prepare, every one of its matrices; any other y is packed at invoke into scratch,
 * one matrix at a time (K * N copies against M * K * N multiply-adds). With adj_x, x's
 * matrix is transposed into scratch first so that its rows are contiguous. The matrices
 * are shared among threads (one scratch slot each) from GEMM_F32_PARALLEL_MIN_WORK
 * multiply-adds on (an attention block's products, 65K each, stay on one thread: handing
 * them over cost more than they take), each matrix computed whole by one thread with one
 * FMA chain per output (gemm_f32.h): the results do not depend on the thread count, and
 * differ from the reference kernel's by rounding only. */
#include "alloc.h"
#include "gemm_f32.h"
#include "linear_common.h"

enum { BMM_X = 0, BMM_Y = 1 };
enum { BMM_OPT_ADJ_X = 0, BMM_OPT_ADJ_Y = 1 }; /* BatchMatMulOptions field ids */

typedef struct bmm_state bmm_state;

/* float32 SIMD path: y's packed layout and where each invoke's operands go. */
typedef struct bmm_fast {
    gemm_f32_packed layout; /* panels of one y matrix (data: see y_packed) */
    size_t matrix_floats;   /* packed floats per y matrix */
    const float *y_packed;  /* constant y: all its matrices, packed at prepare; else NULL */
    size_t mc;              /* rows per gemm_f32_run call */
    size_t slot_bytes;      /* scratch per thread: packed y (not constant), then x^T (adj_x) */
    size_t xt_offset;       /* floats from a slot's start to x^T */
} bmm_fast;
/* One [M, K] x [K, N] product of the element type's kernel. */
typedef void (*bmm_matrix_fn)(const bmm_state *st, const void *x, const void *y, void *out);

/* int8: zero points and the output stage, fixed at prepare. */
typedef struct bmm_quant {
    int32_t x_zero_point, y_zero_point, out_zero_point;
    lt_qmul mult; /* output multiplier x_scale * y_scale / output_scale */
} bmm_quant;

struct bmm_state {
    bmm_matrix_fn matrix;
    size_t elem_size;                    /* bytes per element of x, y and the output */
    int32_t m, k, n;
    bool adj_x, adj_y;
    int32_t batch_rank;                  /* output rank - 2 */
    int64_t batch_dims[LT_MAX_RANK];     /* broadcast batch extents */
    int64_t x_stride[LT_MAX_RANK];       /* matrix stride of x per batch dim; 0 = broadcast */
    int64_t y_stride[LT_MAX_RANK];
    int64_t batches;                     /* product of batch_dims */
    bmm_quant q;                         /* int8 only */
    const bmm_fast *fast;                /* float32 SIMD path, or NULL */
    int64_t work;                        /* multiply-adds per invoke, saturated */
};

/* One [M, K] x [K, N] product. x's element (i, k) is x[i * xs_i + k * xs_k]. */
static void matmul_f32(const bmm_state *st, const void *x_, const void *y_, void *out_) {
    const float *x = x_, *y = y_;
    float *out = out_;
    const int64_t m = st->m, k = st->k, n = st->n;
    const int64_t xs_i = st->adj_x ? 1 : k, xs_k = st->adj_x ? m : 1;
    if (!st->adj_y) {
        for (int64_t i = 0; i < m; i++) {
            float *o = out + i * n;
            for (int64_t j = 0; j < n; j++) o[j] = 0.0f;
            for (int64_t p = 0; p < k; p++) {
                const float a = x[i * xs_i + p * xs_k];
                const float *y_row = y + p * n;
                for (int64_t j = 0; j < n; j++) o[j] += a * y_row[j];
            }
        }
        return;
    }
    for (int64_t i = 0; i < m; i++) {
        const float *x_row = x + i * xs_i;
        float *o = out + i * n;
        for (int64_t j = 0; j < n; j++)
            o[j] = st->adj_x ? linear_dot_strided_f32(x_row, xs_k, y + j * k, k)
                             : linear_dot_f32(x_row, y + j * k, k);
    }
}

/* One int8 product. Element (i, p) of x is x[i * xs_i + p * xs_k], element (p, j) of y is
 * y[p * ys_k + j * ys_j]; each output is one dot product over K. TensorFlow Lite's int32
 * accumulator is kept modulo 2^32 (each term fits int32: |term| <= 255 * 255). */
static void matmul_i8(const bmm_state *st, const void *x_, const void *y_, void *out_) {
    const int8_t *x = x_, *y = y_;
    int8_t *out = out_;
    const bmm_quant *q = &st->q;
    const int64_t m = st->m, k = st->k, n = st->n;
    const int64_t xs_i = st->adj_x ? 1 : k, xs_k = st->adj_x ? m : 1;
    const int64_t ys_k = st->adj_y ? 1 : n, ys_j = st->adj_y ? k : 1;
    const int32_t zx = q->x_zero_point, zy = q->y_zero_point;
    for (int64_t i = 0; i < m; i++) {
        const int8_t *x_row = x + i * xs_i;
        for (int64_t j = 0; j < n; j++) {
            const int8_t *y_col = y + j * ys_j;
            uint32_t acc = 0;
            for (int64_t p = 0; p < k; p++)
                acc += (uint32_t)(((int32_t)x_row[p * xs_k] - zx) *
                                  ((int32_t)y_col[p * ys_k] - zy));
            const int32_t total = linear_acc_i32(acc);
            out[i * n + j] =
                (int8_t)lt_requantize(total, q->mult, q->out_zero_point, INT8_MIN, INT8_MAX);
        }
    }
}

/* Runs the element type's matrix product over every broadcast batch. */
static void batch_matmul_run(const bmm_state *st, const void *x_, const void *y_, void *out_) {
    const uint8_t *x = x_, *y = y_;
    uint8_t *out = out_;
    const int64_t es = (int64_t)st->elem_size;
    const int64_t x_mat = (int64_t)st->m * st->k * es, y_mat = (int64_t)st->k * st->n * es;
    const int64_t out_mat = (int64_t)st->m * st->n * es;
    int64_t idx[LT_MAX_RANK] = {0};
    int64_t x_off = 0, y_off = 0; /* in matrices */
    for (int64_t b = 0; b < st->batches; b++) {
        /* K = 0 leaves x and y empty (their data may be NULL): nothing is read then. */
        st->matrix(st, x_mat > 0 ? x + x_off * x_mat : x, y_mat > 0 ? y + y_off * y_mat : y,
                   out + b * out_mat);
        /* Odometer over the batch dimensions, innermost last. */
        for (int d = st->batch_rank - 1; d >= 0; d--) {
            x_off += st->x_stride[d];
            y_off += st->y_stride[d];
            if (++idx[d] < st->batch_dims[d]) break;
            x_off -= st->x_stride[d] * st->batch_dims[d];
            y_off -= st->y_stride[d] * st->batch_dims[d];
            idx[d] = 0;
        }
    }
}

/* Offsets (in matrices) of x's and y's matrices for output matrix b. */
static void bmm_offsets(const bmm_state *st, int64_t b, int64_t *x_off, int64_t *y_off) {
    *x_off = 0;
    *y_off = 0;
    for (int d = st->batch_rank - 1; d >= 0; d--) {
        const int64_t i = b % st->batch_dims[d];
        b /= st->batch_dims[d];
        *x_off += i * st->x_stride[d];
        *y_off += i * st->y_stride[d];
    }
}

/* One invoke's operands for the float32 SIMD path, shared by the threads. */
typedef struct bmm_f32_args {
    const bmm_state *st;
    const float *x, *y;
    float *out;
    uint8_t *scratch;
    int64_t tasks;
} bmm_f32_args;

/* Task t computes its share of the output matrices with scratch slot t. */
static void bmm_f32_tasks(void *arg, int64_t t0, int64_t t1) {
    const bmm_f32_args *a = arg;
    const bmm_state *st = a->st;
    const bmm_fast *f = st->fast;
    const size_t m = (size_t)st->m, k = (size_t)st->k, n = (size_t)st->n;
    for (int64_t t = t0; t < t1; t++) {
        /* constant y and no adj_x: no scratch (and no arithmetic on a NULL pointer) */
        float *slot = NULL;
        if (f->slot_bytes > 0) slot = (float *)(void *)(a->scratch + (size_t)t * f->slot_bytes);
        const int64_t base = st->batches / a->tasks, extra = st->batches % a->tasks;
        const int64_t b0 = t * base + (t < extra ? t : extra);
        const int64_t b1 = b0 + base + (t < extra ? 1 : 0);
        for (int64_t b = b0; b < b1; b++) {
            int64_t x_off, y_off;
            bmm_offsets(st, b, &x_off, &y_off);
            const float *xm = a->x + (size_t)x_off * m * k;
            gemm_f32_packed w = f->layout;
            if (f->y_packed != NULL) {
                w.data = f->y_packed + (size_t)y_off * f->matrix_floats;
            } else {
                /* y (k, j) is y[k * n + j], or y[j * k + k] with adj_y */
                gemm_f32_pack_into(&f->layout, slot, a->y + (size_t)y_off * k * n,
                                   st->adj_y ? k : 1, st->adj_y ? 1 : n, NULL);
                w.data = slot;
            }
            const float *rows = xm;
            if (st->adj_x) { /* x stored [K, M]: rows of x^T made contiguous */
                float *xt = slot + f->xt_offset;
                for (size_t i = 0; i < m; i++)
                    for (size_t p = 0; p < k; p++) xt[i * k + p] = xm[p * m + i];
                rows = xt;
            }
            float *om = a->out + (size_t)b * m * n;
            size_t r = 0;
            for (size_t rm = 0; r < m; r += rm) {
                rm = gemm_f32_next_block(m - r, f->mc);
                gemm_f32_run(&w, rm, rows + r * k, k, om + r * n, n, 0, (int64_t)n, -INFINITY,
                             INFINITY);
            }
        }
    }
}

/* Chooses the SIMD path for float32 when the ISA level has the GEMM's micro-kernels and
 * every dimension is positive: packs a constant y, sizes the per-thread scratch. */
static lt_status bmm_f32_fast_prepare(lt_context *ctx, lt_node *node, bmm_state *st) {
    const lt_tensor *y = node->inputs[BMM_Y];
    gemm_f32_kernels ker;
    if (st->m <= 0 || st->k <= 0 || st->n <= 0 || st->batches <= 0 ||
        !gemm_f32_kernels_for(lt_ctx_isa(ctx), &ker))
        return LT_OK;
    bmm_fast *f = lt_ctx_alloc(ctx, node, sizeof *f);
    if (f == NULL) return LT_ERROR;
    const size_t m = (size_t)st->m, k = (size_t)st->k, n = (size_t)st->n;
    size_t slot = 0, xt = 0, bytes = 0;
    if (!gemm_f32_layout(&ker, st->n, st->k, &f->layout, &f->matrix_floats))
        goto overflow;
    if (y->is_constant) {
        const size_t y_matrices = (size_t)(lt_tensor_elements(y) / ((int64_t)k * (int64_t)n));
        size_t floats;
        if (!lt_mul_size(f->matrix_floats, y_matrices, &floats) ||
            !lt_mul_size(floats, sizeof(float), &bytes))
            goto overflow;
        float *packed = lt_ctx_alloc(ctx, node, bytes);
        if (packed == NULL) return LT_ERROR;
        for (size_t i = 0; i < y_matrices; i++)
            gemm_f32_pack_into(&f->layout, packed + i * f->matrix_floats,
                               (const uint8_t *)y->data + i * k * n * sizeof(float),
                               st->adj_y ? k : 1, st->adj_y ? 1 : n, NULL);
        f->y_packed = packed;
    } else {
        slot = f->matrix_floats;
    }
    f->xt_offset = slot;
    if (st->adj_x && (!lt_mul_size(m, k, &xt) || !lt_add_size(slot, xt, &slot))) goto overflow;
    if (!lt_mul_size(slot, sizeof(float), &f->slot_bytes) ||
        !lt_align_size(f->slot_bytes, &f->slot_bytes) ||
        !lt_mul_size(f->slot_bytes, (size_t)lt_ctx_num_threads(ctx), &node->scratch_bytes))
        goto overflow;
    f->mc = gemm_f32_block_rows(st->k);
    st->fast = f;
    return LT_OK;
overflow:
    return lt_ctx_error(ctx, node, "packed operands of a %d x %d x %d product overflow the "
                        "size type", (int)st->m, (int)st->k, (int)st->n);
}

/* Matrix strides (in matrices, not elements) of a tensor's batch dimensions aligned to the
 * right of `out_batch_rank` broadcast dimensions; 0 where the tensor is broadcast. */
static void bmm_batch_strides(const lt_shape *s, int out_batch_rank, const int64_t *out_dims,
                              int64_t *stride) {
    const int own = s->rank - 2;
    int64_t step = 1;
    for (int d = out_batch_rank - 1; d >= 0; d--) {
        const int sd = d - (out_batch_rank - own);
        const int64_t extent = sd >= 0 ? s->dims[sd] : 1;
        stride[d] = (extent == 1 && out_dims[d] != 1) ? 0 : step;
        step *= extent;
    }
}

/* int8: per-tensor quantization of x, y and the output, and the output multiplier
 * M = x_scale * y_scale / output_scale computed in double from the float scales, as
 * TensorFlow Lite's GetQuantizedConvolutionMultipler does. */
static lt_status bmm_quant_prepare(lt_context *ctx, const lt_node *node, const lt_tensor *x,
                                   const lt_tensor *y, const lt_tensor *out, bmm_quant *q) {
    float x_scale, y_scale, out_scale;
    if (lt_quant_per_tensor(ctx, node, x, "input x", INT8_MIN, INT8_MAX, &x_scale,
                            &q->x_zero_point) != LT_OK ||
        lt_quant_per_tensor(ctx, node, y, "input y", INT8_MIN, INT8_MAX, &y_scale,
                            &q->y_zero_point) != LT_OK ||
        lt_quant_per_tensor(ctx, node, out, "output", INT8_MIN, INT8_MAX, &out_scale,
                            &q->out_zero_point) != LT_OK)
        return LT_ERROR;
    const double real = (double)x_scale * (double)y_scale / (double)out_scale;
    return lt_quant_multiplier_checked(ctx, node, real, "output multiplier", &q->mult);
}

static lt_status batch_matmul_prepare(lt_context *ctx, lt_node *node) {
    bmm_state st = {0};
    if (lt_check_io_count(ctx, node, 2, 2, 1) != LT_OK ||
        lt_check_options(ctx, node, LT_OPTS_BatchMatMulOptions) != LT_OK ||
        lt_check_input_rank(ctx, node, BMM_X, 2, LT_MAX_RANK) != LT_OK ||
        lt_check_input_rank(ctx, node, BMM_Y, 2, LT_MAX_RANK) != LT_OK)
        return LT_ERROR;
    const lt_tensor *x = node->inputs[BMM_X];
    const lt_tensor *y = node->inputs[BMM_Y];
    const lt_tensor *out = node->outputs[0];
    char xbuf[96], ybuf[96];

    switch (x->type) {
    case LT_FLOAT32: st.matrix = matmul_f32; st.elem_size = sizeof(float); break;
    case LT_INT8: st.matrix = matmul_i8; st.elem_size = sizeof(int8_t); break;
    default:
        return lt_ctx_error(ctx, node, "input '%s' has type %s; expected FLOAT32 or INT8",
                            x->name, lt_type_name(x->type));
    }
    if (y->type != x->type)
        return lt_ctx_error(ctx, node, "input '%s' has type %s; expected %s like input '%s'",
                            y->name, lt_type_name(y->type), lt_type_name(x->type), x->name);
    if (out->type != x->type)
        return lt_ctx_error(ctx, node, "output '%s' has type %s; expected %s like the inputs",
                            out->name, lt_type_name(out->type), lt_type_name(x->type));

    if (x->type == LT_INT8 && bmm_quant_prepare(ctx, node, x, y, out, &st.q) != LT_OK)
        return LT_ERROR;

    st.adj_x = lt_opt_bool(node, BMM_OPT_ADJ_X, false);
    st.adj_y = lt_opt_bool(node, BMM_OPT_ADJ_Y, false);
    const int32_t *xd = x->shape.dims + x->shape.rank - 2;
    const int32_t *yd = y->shape.dims + y->shape.rank - 2;
    st.m = st.adj_x ? xd[1] : xd[0];
    st.k = st.adj_x ? xd[0] : xd[1];
    const int32_t y_k = st.adj_y ? yd[1] : yd[0];
    st.n = st.adj_y ? yd[0] : yd[1];
    if (y_k != st.k)
        return lt_ctx_error(ctx, node, "inner dimensions differ: '%s' %s (adj_x %s) has %d "
                            "columns but '%s' %s (adj_y %s) has %d rows; expected equal",
                            x->name, lt_shape_str(&x->shape, xbuf, sizeof xbuf),
                            st.adj_x ? "true" : "false", (int)st.k, y->name,
                            lt_shape_str(&y->shape, ybuf, sizeof ybuf),
                            st.adj_y ? "true" : "false", (int)y_k);

    /* Broadcast the batch dimensions (all but the last two). */
    lt_shape xb = {.rank = x->shape.rank - 2}, yb = {.rank = y->shape.rank - 2}, ob;
    for (int d = 0; d < xb.rank; d++) xb.dims[d] = x->shape.dims[d];
    for (int d = 0; d < yb.rank; d++) yb.dims[d] = y->shape.dims[d];
    if (!lt_broadcast_shape(&xb, &yb, &ob))
        return lt_ctx_error(ctx, node, "batch dimensions of '%s' %s and '%s' %s do not "
                            "broadcast; expected each pair equal or one of them 1", x->name,
                            lt_shape_str(&x->shape, xbuf, sizeof xbuf), y->name,
                            lt_shape_str(&y->shape, ybuf, sizeof ybuf));
    st.batch_rank = ob.rank;
    for (int d = 0; d < ob.rank; d++) st.batch_dims[d] = ob.dims[d];
    st.batches = lt_shape_elements(&ob);
    if (st.batches < 0)
        return lt_ctx_error(ctx, node, "batch dimensions of '%s' %s and '%s' %s broadcast to "
                            "more matrices than can be counted", x->name,
                            lt_shape_str(&x->shape, xbuf, sizeof xbuf), y->name,
                            lt_shape_str(&y->shape, ybuf, sizeof ybuf));
    lt_shape out_shape = ob;
    out_shape.rank = ob.rank + 2;
    out_shape.dims[ob.rank] = st.m;
    out_shape.dims[ob.rank + 1] = st.n;
    if (lt_node_set_output_shape(ctx, node, 0, &out_shape) != LT_OK) return LT_ERROR;
    if (lt_tensor_elements(out) == 0) st.batches = 0; /* nothing to compute */
    bmm_batch_strides(&x->shape, ob.rank, st.batch_dims, st.x_stride);
    bmm_batch_strides(&y->shape, ob.rank, st.batch_dims, st.y_stride);
    const double work = (double)st.batches * st.m * st.k * st.n;
    st.work = work < (double)INT64_MAX / 2 ? (int64_t)work : INT64_MAX / 2;
    if (x->type == LT_FLOAT32 && bmm_f32_fast_prepare(ctx, node, &st) != LT_OK)
        return LT_ERROR;

    bmm_state *state = lt_ctx_alloc(ctx, node, sizeof *state);
    if (state == NULL) return LT_ERROR;
    *state = st;
    node->state = state;
    return LT_OK;
}

static lt_status batch_matmul_invoke(lt_context *ctx, lt_node *node) {
    const bmm_state *st = node->state;
    if (st->fast != NULL) {
        bmm_f32_args a = {st, lt_f32(node->inputs[BMM_X]), lt_f32(node->inputs[BMM_Y]),
                          lt_f32(node->outputs[0]), node->scratch, 1};
        if (st->work >= GEMM_F32_PARALLEL_MIN_WORK) {
            const int64_t threads = lt_ctx_num_threads(ctx);
            a.tasks = st->batches < threads ? st->batches : threads;
        }
        lt_ctx_parallel_for(ctx, a.tasks, bmm_f32_tasks, &a);
        return LT_OK;
    }
    batch_matmul_run(st, node->inputs[BMM_X]->data, node->inputs[BMM_Y]->data,
                     node->outputs[0]->data);
    return LT_OK;
}

const lt_op lt_op_batch_matmul = {"BATCH_MATMUL", batch_matmul_prepare, batch_matmul_invoke};
