/* MEAN, SUM, REDUCE_MAX, REDUCE_MIN: reductions over some axes (reference kernels).
 *
 * Inputs: the tensor (any rank) and the axes, an INT32 tensor of any shape whose values lie
 * in [-rank, rank) (negative counts from the end; repeats count once). The axes must be
 * known at prepare, where the output shape is fixed: a constant tensor (or one folded from
 * constants). ReducerOptions.keep_dims keeps reduced axes as 1s; otherwise they are
 * dropped (all of them: a scalar). No axes: the output is a copy of the input.
 *
 * Types: MEAN float32 and int8; SUM float32, int32 and int8; REDUCE_MAX, REDUCE_MIN float32,
 * int32 and int8 (int32 sums wrap around, as TensorFlow Lite's do in practice, without
 * undefined behaviour here).
 *
 * Arithmetic as in TensorFlow Lite's reference kernels: every output starts at the
 * reduction's initial value and folds its inputs in, in memory order, one at a time:
 *   SUM / MEAN   0, acc + x (MEAN then divides by the count: zero elements give NaN)
 *   REDUCE_MAX   the lowest finite value, (x > acc ? x : acc)
 *   REDUCE_MIN   the highest finite value, (x < acc ? x : acc)
 * so a reduction over zero elements gives -FLT_MAX / FLT_MAX (INT32_MIN / INT32_MAX), and
 * NaN inputs are skipped by REDUCE_MAX / REDUCE_MIN (a comparison with NaN is false),
 * exactly like TensorFlow Lite's reference kernels. (TensorFlow Lite's optimized kernels
 * differ on those two corners: they give -inf / +inf and may propagate NaN.)
 *
 * int8 (per-tensor asymmetric), following TensorFlow Lite's reference kernels:
 *   REDUCE_MAX / REDUCE_MIN  on raw values; input and output quantization must be equal.
 *   MEAN  sums raw values in integers, then (sum - in_zp * count) is scaled by the
 *         in_scale / out_scale multiplier with 1 / count folded into it (multiplier * 2^k /
 *         count, k = floor(log2 count) capped at 32 and so that the shift stays >= -31), plus
 *         out_zp (TensorFlow Lite's QuantizedMeanOrSum), for every axis set. (TensorFlow
 *         Lite's optimized kernel has a separate global-average-pooling form for 4-D input
 *         with axes {1, 2} that rounds some ties the other way: it may differ there by 1.)
 *         No axes: each value is requantized (a count of 1). An empty input gives 0.
 *   SUM   follows TensorFlow Lite's DEFAULT kernels (its QuantizedMeanOrSum with compute_sum),
 *         which rescale in float: with s = in_scale / out_scale and
 *         b = -in_zp * s * count (float32, in that order),
 *           out = clamp(round(float(sum) * s + b) + out_zp, -128, 127)   (round half away).
 *         Its reference resolver's int8 SUM is not followed: it returns values that are not
 *         the sum (they wrap around), even for equal input and output quantizations.
 *         (The project builds with -std=c11, so GCC does not contract s * x + b into an FMA.)
 *
 * The input is read once, in order: the plan below merges neighbouring axes that are
 * reduced (or kept) together, and the innermost merged axis either folds a contiguous run
 * into one output (reduced) or folds a contiguous run onto a row of outputs (kept). */
#include <float.h>
#include <math.h>

#include "kernels.h"
#include "pool_simd.h"
#include "quant_math.h"

enum { REDUCE_INPUT = 0, REDUCE_AXES = 1 };
enum { REDUCER_OPT_KEEP_DIMS = 0 }; /* ReducerOptions field id */

typedef struct reduce_plan {
    int32_t rank;                   /* merged rank, >= 1 */
    int64_t dims[LT_MAX_RANK];      /* merged input extents, outermost first */
    int64_t out_stride[LT_MAX_RANK];/* output element stride per merged axis; 0 = reduced */
    int64_t in_elements;
    int64_t out_elements;
    int64_t count;                  /* input elements per output element */
} reduce_plan;

typedef void (*reduce_fn)(const reduce_plan *p, const void *in, void *out);

/* int8 MEAN and SUM: out = clamp(mul(sum - sub) + add) (see the top comment). */
typedef struct mean_q8 {
    lt_qmul mul;
    int64_t sub;      /* in_zp * count */
    int32_t add;      /* out_zp */
} mean_q8;

/* int8 SUM: out = clamp(round(sum * scale + bias) + out_zp) in float (see the top comment). */
typedef struct sum_q8_params {
    float scale, bias;
    int32_t out_zp;
} sum_q8_params;

typedef struct reduce_state {
    reduce_fn fn;
    reduce_plan plan;
    bool is_mean_q8;  /* int8 MEAN: sums into scratch (int64 per output), then mean_q8 */
    mean_q8 q8;
    bool is_sum_q8;   /* int8 SUM: sums into scratch, then sum_q8 */
    sum_q8_params sq8;
    lt_mean_rows_fn mean_simd; /* MEAN over [K, R, C] by a SIMD kernel (pool_simd.h), or NULL */
    lt_mean_params mean;       /* its parameters */
} reduce_state;

typedef enum reduce_kind {
    REDUCE_KIND_MEAN,
    REDUCE_KIND_SUM,
    REDUCE_KIND_MAX,
    REDUCE_KIND_MIN
} reduce_kind;

/* Folds the input into out[] along the plan: out[o] = COMBINE(out[o], x) for every input x
 * of output o, in memory order. `out` holds the initial values on entry. */
#define DEFINE_REDUCE_WALK_AS(NAME, TIN, T, COMBINE)                                         \
    static void NAME(const reduce_plan *p, const TIN *in, T *out) {                          \
        const int inner = p->rank - 1;                                                       \
        const int64_t n = p->dims[inner];                                                    \
        const bool inner_reduced = p->out_stride[inner] == 0;                                \
        int64_t idx[LT_MAX_RANK] = {0};                                                      \
        int64_t o = 0;                                                                       \
        for (int64_t i = 0; i < p->in_elements; i += n) {                                    \
            if (inner_reduced) {                                                             \
                T acc = out[o];                                                              \
                for (int64_t j = 0; j < n; j++) acc = COMBINE(acc, in[i + j]);               \
                out[o] = acc;                                                                \
            } else {                                                                         \
                for (int64_t j = 0; j < n; j++) out[o + j] = COMBINE(out[o + j], in[i + j]); \
            }                                                                                \
            /* Odometer over the outer merged axes. */                                       \
            for (int d = inner - 1; d >= 0; d--) {                                           \
                o += p->out_stride[d];                                                       \
                if (++idx[d] < p->dims[d]) break;                                            \
                o -= p->out_stride[d] * p->dims[d];                                          \
                idx[d] = 0;                                                                  \
            }                                                                                \
        }                                                                                    \
    }

#define DEFINE_REDUCE_WALK(NAME, T, COMBINE) DEFINE_REDUCE_WALK_AS(NAME, T, T, COMBINE)

static inline float sum_f(float acc, float x) { return acc + x; }
/* Comparisons as TensorFlow Lite's reference reducers write them: NaN never wins. */
static inline float max_f(float acc, float x) { return x > acc ? x : acc; }
static inline float min_f(float acc, float x) { return x < acc ? x : acc; }
/* Wrap-around through uint32_t: well defined (the conversion back is modulo 2^32 on every
 * compiler this builds with). */
static inline int32_t sum_i(int32_t acc, int32_t x) {
    return (int32_t)((uint32_t)acc + (uint32_t)x);
}
static inline int32_t max_i(int32_t acc, int32_t x) { return x > acc ? x : acc; }
static inline int32_t min_i(int32_t acc, int32_t x) { return x < acc ? x : acc; }

DEFINE_REDUCE_WALK(walk_sum_f32, float, sum_f)
DEFINE_REDUCE_WALK(walk_max_f32, float, max_f)
DEFINE_REDUCE_WALK(walk_min_f32, float, min_f)
DEFINE_REDUCE_WALK(walk_sum_i32, int32_t, sum_i)
DEFINE_REDUCE_WALK(walk_max_i32, int32_t, max_i)
DEFINE_REDUCE_WALK(walk_min_i32, int32_t, min_i)

static inline int64_t sum_q8(int64_t acc, int8_t x) { return acc + x; }
static inline int8_t max_i8(int8_t acc, int8_t x) { return x > acc ? x : acc; }
static inline int8_t min_i8(int8_t acc, int8_t x) { return x < acc ? x : acc; }
DEFINE_REDUCE_WALK_AS(walk_sum_q8, int8_t, int64_t, sum_q8)
DEFINE_REDUCE_WALK(walk_max_q8, int8_t, max_i8)
DEFINE_REDUCE_WALK(walk_min_q8, int8_t, min_i8)

/* One reduction on one type: fill the outputs with the initial value, then walk. */
#define DEFINE_REDUCE(NAME, T, INIT, WALK)                                                   \
    static void NAME(const reduce_plan *p, const void *in, void *out_) {                     \
        T *out = out_;                                                                       \
        for (int64_t i = 0; i < p->out_elements; i++) out[i] = (INIT);                       \
        WALK(p, in, out);                                                                    \
    }

DEFINE_REDUCE(sum_f32, float, 0.0f, walk_sum_f32)
DEFINE_REDUCE(max_f32, float, -FLT_MAX, walk_max_f32)
DEFINE_REDUCE(min_f32, float, FLT_MAX, walk_min_f32)
DEFINE_REDUCE(sum_i32, int32_t, 0, walk_sum_i32)
DEFINE_REDUCE(max_i32, int32_t, INT32_MIN, walk_max_i32)
DEFINE_REDUCE(min_i32, int32_t, INT32_MAX, walk_min_i32)
DEFINE_REDUCE(max_q8, int8_t, INT8_MIN, walk_max_q8)
DEFINE_REDUCE(min_q8, int8_t, INT8_MAX, walk_min_q8)

/* int8 MEAN: integer sums into `sums` (scratch), then one requantization per output. The
 * sum minus in_zp * count is taken modulo 2^32 like TensorFlow Lite's int32 arithmetic (it
 * only wraps beyond 2^24 summed elements). */
static void mean_q8_run(const reduce_plan *p, const mean_q8 *q, const int8_t *in, int8_t *out,
                        int64_t *sums) {
    if (p->in_elements == 0) {
        for (int64_t i = 0; i < p->out_elements; i++) out[i] = 0;
        return;
    }
    for (int64_t i = 0; i < p->out_elements; i++) sums[i] = 0;
    walk_sum_q8(p, in, sums);
    for (int64_t i = 0; i < p->out_elements; i++) {
        const int32_t shifted = (int32_t)(uint32_t)(uint64_t)(sums[i] - q->sub);
        const int64_t v = (int64_t)lt_qmul_apply(shifted, q->mul) + q->add;
        out[i] = (int8_t)(v < INT8_MIN ? INT8_MIN : (v > INT8_MAX ? INT8_MAX : v));
    }
}

/* int8 SUM: integer sums into `sums` (scratch), then the float rescaling per output. The
 * int32 sum converts to float exactly below 2^24 in magnitude (and rounds beyond, as
 * TensorFlow Lite's conversion does). */
static void sum_q8_run(const reduce_plan *p, const sum_q8_params *q, const int8_t *in, int8_t *out,
                       int64_t *sums) {
    if (p->in_elements == 0) {
        for (int64_t i = 0; i < p->out_elements; i++) out[i] = 0;
        return;
    }
    for (int64_t i = 0; i < p->out_elements; i++) sums[i] = 0;
    walk_sum_q8(p, in, sums);
    for (int64_t i = 0; i < p->out_elements; i++) {
        /* TensorFlow Lite keeps the sum in int32 (wrapping past 2^24 elements). */
        const int32_t sum = (int32_t)(uint32_t)(uint64_t)sums[i];
        const float r = roundf((float)sum * q->scale + q->bias);
        /* Saturate in float first: a rounded value beyond int8 range stays beyond it. */
        const float v = r + (float)q->out_zp;
        out[i] = (int8_t)(!(v > INT8_MIN) ? INT8_MIN : (v >= INT8_MAX ? INT8_MAX : (int32_t)v));
    }
}

static void mean_f32(const reduce_plan *p, const void *in, void *out_) {
    float *out = out_;
    sum_f32(p, in, out);
    const float count = (float)p->count;
    for (int64_t i = 0; i < p->out_elements; i++) out[i] /= count;
}

/* Float MEAN split over outputs. Plans of the form [K, R, C] (kept, reduced, kept; either
 * kept extent may be 1) cover every MEAN seen in practice (global average pooling is [R, C]
 * or [N, R, C]). Output o = k * C + c folds in[(k * R + r) * C + c] for r = 0, 1, ... in
 * that order, the same order and operations as the single-threaded walk, so the result is
 * bit-identical for any cut. */
typedef struct mean_split {
    int64_t k, r, c; /* 0 in `r`: the plan does not have this form */
} mean_split;

static mean_split mean_split_of(const reduce_plan *p) {
    mean_split m = {0, 0, 0};
    if (p->in_elements == 0 || p->out_elements == 0) return m;
    const bool red0 = p->out_stride[0] == 0;
    if (p->rank == 1) {
        m = red0 ? (mean_split){1, p->dims[0], 1} : (mean_split){1, 1, p->dims[0]};
    } else if (p->rank == 2) {
        m = red0 ? (mean_split){1, p->dims[0], p->dims[1]}
                 : (mean_split){p->dims[0], p->dims[1], 1};
    } else if (p->rank == 3 && !red0) { /* merging alternates kinds: kept, reduced, kept */
        m = (mean_split){p->dims[0], p->dims[1], p->dims[2]};
    }
    return m;
}

typedef struct mean_args {
    mean_split m;
    float count;
    const float *in;
    float *out;
} mean_args;

static void mean_f32_range(void *arg, int64_t o0, int64_t o1) {
    const mean_args *a = arg;
    const int64_t R = a->m.r, C = a->m.c;
    for (int64_t o = o0; o < o1;) {
        const int64_t k = o / C, c0 = o % C;
        const int64_t c1 = (o1 - k * C) < C ? (o1 - k * C) : C; /* end within this k */
        float *out = a->out + k * C;
        const float *in = a->in + k * R * C;
        for (int64_t c = c0; c < c1; c++) out[c] = 0.0f;
        for (int64_t r = 0; r < R; r++) {
            const float *row = in + r * C;
            for (int64_t c = c0; c < c1; c++) out[c] = out[c] + row[c];
        }
        for (int64_t c = c0; c < c1; c++) out[c] /= a->count;
        o = k * C + c1;
    }
}

/* The kernel for (kind, type), or NULL when the pair is not supported. */
static reduce_fn reduce_fn_for(reduce_kind kind, lt_type type) {
    static const reduce_fn f32[] = {mean_f32, sum_f32, max_f32, min_f32};
    static const reduce_fn i32[] = {NULL, sum_i32, max_i32, min_i32};
    static const reduce_fn q8[] = {NULL, NULL, max_q8, min_q8};
    switch (type) {
    case LT_FLOAT32: return f32[kind];
    case LT_INT32: return i32[kind];
    case LT_INT8: return q8[kind];
    default: return NULL;
    }
}

/* Plans the reduction of `in` over the axes flagged in `reduced` into `out_elements`
 * outputs (the output's checked element count). */
static void reduce_plan_init(reduce_plan *p, const lt_shape *in, const bool *reduced,
                             int64_t out_elements) {
    p->in_elements = lt_shape_elements(in);
    p->out_elements = out_elements;
    /* Inputs per output. For an empty input it is 0 (so the mean is 0 / 0 = NaN) and the
     * product of the reduced extents, which need not even fit, is never formed. */
    p->count = out_elements > 0 ? p->in_elements / out_elements : 0;

    if (p->in_elements == 0) { /* nothing to walk: outputs keep their initial value */
        p->rank = 1;
        p->dims[0] = 0;
        p->out_stride[0] = 0;
        return;
    }

    /* Merge: drop extent-1 axes (they move nothing) and join neighbours of the same kind. */
    int32_t rank = 0;
    bool kind[LT_MAX_RANK] = {false};
    for (int d = 0; d < in->rank; d++) {
        if (in->dims[d] == 1) continue;
        if (rank > 0 && kind[rank - 1] == reduced[d]) {
            p->dims[rank - 1] *= in->dims[d];
        } else {
            p->dims[rank] = in->dims[d];
            kind[rank] = reduced[d];
            rank++;
        }
    }
    if (rank == 0) { /* a single element */
        p->dims[0] = 1;
        kind[0] = false;
        rank = 1;
    }
    p->rank = rank;
    int64_t stride = 1;
    for (int d = rank - 1; d >= 0; d--) {
        p->out_stride[d] = kind[d] ? 0 : stride;
        if (!kind[d]) stride *= p->dims[d];
    }
}

/* int8 scratch: one int64 partial sum per output. */
static lt_status reserve_sums(lt_context *ctx, lt_node *node, const reduce_plan *plan) {
    if (plan->out_elements > 0) {
        if ((uint64_t)plan->out_elements > SIZE_MAX / sizeof(int64_t))
            return lt_ctx_error(ctx, node, "output of %lld elements is too large",
                                (long long)plan->out_elements);
        node->scratch_bytes = (size_t)plan->out_elements * sizeof(int64_t);
    }
    return LT_OK;
}

/* The int8 SUM parameters, formed in float as TensorFlow Lite's default kernel does. */
static void prepare_sum_q8(reduce_state *st, float si, int32_t zi, float so, int32_t zo) {
    const float scale = si / so;
    st->sq8.scale = scale;
    st->sq8.bias = (float)(-zi) * scale * (float)st->plan.count;
    st->sq8.out_zp = zo;
}

/* The int8 MEAN parameters (see the top comment). */
static lt_status prepare_mean_q8(lt_context *ctx, lt_node *node, reduce_state *st, float si,
                                 int32_t zi, float so, int32_t zo) {
    mean_q8 *q = &st->q8;
    const int64_t count = st->plan.count;
    if (reserve_sums(ctx, node, &st->plan) != LT_OK) return LT_ERROR;
    if (count == 0) return LT_OK;
    lt_qmul m;
    if (lt_quant_multiplier_checked(ctx, node, (double)si / (double)so, "output multiplier",
                                    &m) != LT_OK)
        return LT_ERROR;
    int k = 63;
    while (!((uint64_t)count >> k & 1)) k--; /* floor(log2(count)), count >= 1 */
    if (k > 32) k = 32;
    if (k > 31 + m.shift) k = 31 + m.shift;
    q->mul.multiplier = (int32_t)(((int64_t)m.multiplier << k) / count);
    q->mul.shift = m.shift - k;
    q->sub = (int64_t)zi * count;
    q->add = zo;
    return LT_OK;
}

/* The SIMD MEAN kernel for st's plan at the context's level (float32 and int8 MEAN of the
 * [K, R, C] form with C > 1, where channels map to lanes), with its parameters; NULL
 * otherwise. Its results are bit-identical to mean_f32 / mean_q8_run. */
static lt_mean_rows_fn simd_mean_for(const lt_context *ctx, reduce_kind kind, lt_type type,
                                     reduce_state *st) {
#if defined(LITERT_X86_KERNELS)
    const int isa = lt_ctx_isa(ctx);
    const mean_split m = mean_split_of(&st->plan);
    if (kind != REDUCE_KIND_MEAN || isa < LT_ISA_AVX2 || m.r == 0 || m.c < 2) return NULL;
    const bool z = isa >= LT_ISA_AVX512;
    st->mean = (lt_mean_params){m.k, m.r, m.c, (float)st->plan.count, st->q8.mul, st->q8.sub,
                                st->q8.add};
    if (type == LT_FLOAT32) return z ? lt_mean_f32_avx512 : lt_mean_f32_avx2;
    if (type == LT_INT8) return z ? lt_mean_q8_avx512 : lt_mean_q8_avx2;
    return NULL;
#elif defined(LT_NEON_KERNELS)
    const mean_split m = mean_split_of(&st->plan);
    if (kind != REDUCE_KIND_MEAN || lt_ctx_isa(ctx) < LT_ISA_NEON || m.r == 0 || m.c < 2)
        return NULL;
    st->mean = (lt_mean_params){m.k, m.r, m.c, (float)st->plan.count, st->q8.mul, st->q8.sub,
                                st->q8.add};
    if (type == LT_FLOAT32) return lt_mean_f32_neon;
    if (type == LT_INT8) return lt_mean_q8_neon;
    return NULL;
#else
    (void)ctx;
    (void)kind;
    (void)type;
    (void)st;
    return NULL;
#endif
}

static lt_status reduce_prepare(lt_context *ctx, lt_node *node, reduce_kind kind) {
    reduce_state st = {0};
    if (lt_check_io_count(ctx, node, 2, 2, 1) != LT_OK ||
        lt_check_options(ctx, node, LT_OPTS_ReducerOptions) != LT_OK)
        return LT_ERROR;
    const lt_tensor *in = node->inputs[REDUCE_INPUT];
    const lt_tensor *axes = node->inputs[REDUCE_AXES];
    const lt_tensor *out = node->outputs[0];
    const int rank = in->shape.rank;

    if (out == NULL) return lt_ctx_error(ctx, node, "output is required");
    st.fn = reduce_fn_for(kind, in->type);
    st.is_mean_q8 = kind == REDUCE_KIND_MEAN && in->type == LT_INT8;
    st.is_sum_q8 = kind == REDUCE_KIND_SUM && in->type == LT_INT8;
    if (st.fn == NULL && !st.is_mean_q8 && !st.is_sum_q8)
        return lt_ctx_error(ctx, node, "input '%s' has type %s; expected %s", in->name,
                            lt_type_name(in->type),
                            kind == REDUCE_KIND_MEAN ? "FLOAT32 or INT8"
                                                      : "FLOAT32, INT32 or INT8");
    if (out->type != in->type)
        return lt_ctx_error(ctx, node, "output '%s' has type %s; expected %s like the input",
                            out->name, lt_type_name(out->type), lt_type_name(in->type));
    if (axes->type != LT_INT32)
        return lt_ctx_error(ctx, node, "axes '%s' have type %s; expected INT32", axes->name,
                            lt_type_name(axes->type));
    if (!axes->is_constant)
        return lt_ctx_error(ctx, node, "axes '%s' are computed at run time; the axes must be a "
                            "constant tensor so that the output shape is known at prepare",
                            axes->name);

    bool reduced[LT_MAX_RANK] = {false};
    const int64_t n_axes = lt_tensor_elements(axes);
    const int32_t *axis = lt_i32(axes);
    for (int64_t i = 0; i < n_axes; i++) {
        const int32_t a = axis[i];
        if (a < -rank || a >= rank)
            return lt_ctx_error(ctx, node, "axes[%lld] is %d; expected a value in [%d, %d) for "
                                "input '%s' of rank %d", (long long)i, (int)a, -rank, rank,
                                in->name, rank);
        reduced[a < 0 ? a + rank : a] = true;
    }
    const bool keep_dims = lt_opt_bool(node, REDUCER_OPT_KEEP_DIMS, false);
    lt_shape out_shape = {.rank = 0};
    for (int d = 0; d < rank; d++) {
        if (!reduced[d]) out_shape.dims[out_shape.rank++] = in->shape.dims[d];
        else if (keep_dims) out_shape.dims[out_shape.rank++] = 1;
    }
    if (lt_node_set_output_shape(ctx, node, 0, &out_shape) != LT_OK) return LT_ERROR;

    reduce_plan_init(&st.plan, &in->shape, reduced, lt_tensor_elements(out));
    if (in->type == LT_INT8) {
        float si, so;
        int32_t zi, zo;
        if (lt_quant_per_tensor(ctx, node, in, "input", INT8_MIN, INT8_MAX, &si, &zi) != LT_OK ||
            lt_quant_per_tensor(ctx, node, out, "output", INT8_MIN, INT8_MAX, &so, &zo) != LT_OK)
            return LT_ERROR;
        if (st.is_mean_q8) {
            if (prepare_mean_q8(ctx, node, &st, si, zi, so, zo) != LT_OK) return LT_ERROR;
        } else if (st.is_sum_q8) {
            if (reserve_sums(ctx, node, &st.plan) != LT_OK) return LT_ERROR;
            prepare_sum_q8(&st, si, zi, so, zo);
        } else if (si != so || zi != zo) {
            return lt_ctx_error(ctx, node, "input scale/zero point %g/%d differ from the "
                                "output's %g/%d; expected equal ones (as TensorFlow Lite)",
                                (double)si, (int)zi, (double)so, (int)zo);
        }
    }
    st.mean_simd = simd_mean_for(ctx, kind, in->type, &st);
    reduce_state *state = lt_ctx_alloc(ctx, node, sizeof *state);
    if (state == NULL) return LT_ERROR;
    *state = st;
    node->state = state;
    return LT_OK;
}

typedef struct mean_simd_args {
    const reduce_state *st;
    const void *in;
    void *out;
} mean_simd_args;

static void mean_simd_range(void *arg, int64_t o0, int64_t o1) {
    const mean_simd_args *a = arg;
    a->st->mean_simd(&a->st->mean, a->in, a->out, o0, o1);
}

static lt_status reduce_invoke(lt_context *ctx, lt_node *node) {
    const reduce_state *st = node->state;
    if (st->mean_simd != NULL) {
        /* Outputs split over the threads as mean_f32_range does, from 4 times more input
         * (the kernels sum 8-16 lanes per instruction); each output's arithmetic is the same
         * for any cut. */
        mean_simd_args a = {st, node->inputs[REDUCE_INPUT]->data, node->outputs[0]->data};
        if (st->plan.in_elements >= 4 * (int64_t)LT_PARALLEL_MIN_WORK)
            lt_ctx_parallel_for(ctx, st->plan.out_elements, mean_simd_range, &a);
        else
            mean_simd_range(&a, 0, st->plan.out_elements);
    } else if (st->is_mean_q8)
        mean_q8_run(&st->plan, &st->q8, lt_i8(node->inputs[REDUCE_INPUT]),
                    lt_i8(node->outputs[0]), node->scratch);
    else if (st->is_sum_q8)
        sum_q8_run(&st->plan, &st->sq8, lt_i8(node->inputs[REDUCE_INPUT]),
                   lt_i8(node->outputs[0]), node->scratch);
    else if (st->fn == mean_f32 && st->plan.in_elements >= LT_PARALLEL_MIN_WORK &&
             mean_split_of(&st->plan).r > 0) {
        mean_args a = {mean_split_of(&st->plan), (float)st->plan.count,
                       lt_f32(node->inputs[REDUCE_INPUT]), lt_f32(node->outputs[0])};
        lt_ctx_parallel_for(ctx, st->plan.out_elements, mean_f32_range, &a);
    } else
        st->fn(&st->plan, node->inputs[REDUCE_INPUT]->data, node->outputs[0]->data);
    return LT_OK;
}

static lt_status mean_prepare(lt_context *ctx, lt_node *node) {
    return reduce_prepare(ctx, node, REDUCE_KIND_MEAN);
}
static lt_status sum_prepare(lt_context *ctx, lt_node *node) {
    return reduce_prepare(ctx, node, REDUCE_KIND_SUM);
}
static lt_status reduce_max_prepare(lt_context *ctx, lt_node *node) {
    return reduce_prepare(ctx, node, REDUCE_KIND_MAX);
}
static lt_status reduce_min_prepare(lt_context *ctx, lt_node *node) {
    return reduce_prepare(ctx, node, REDUCE_KIND_MIN);
}

const lt_op lt_op_mean = {"MEAN", mean_prepare, reduce_invoke};
const lt_op lt_op_sum = {"SUM", sum_prepare, reduce_invoke};
const lt_op lt_op_reduce_max = {"REDUCE_MAX", reduce_max_prepare, reduce_invoke};
const lt_op lt_op_reduce_min = {"REDUCE_MIN", reduce_min_prepare, reduce_invoke};
