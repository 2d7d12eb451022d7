/* ADD, SUB, MUL, DIV: element-wise arithmetic with NumPy broadcasting and a fused activation.
 *
 * Types: float32, and int32 (TensorFlow Lite supports int32 for all four; models use it for
 * shape arithmetic). Prepare picks the row functions for the (op, type) pair, so quantized
 * variants slot in as another table plus their own parameters.
 *
 * int32 semantics, chosen to match TensorFlow Lite's kernels and to be free of undefined
 * behaviour: ADD/SUB/MUL wrap around (two's complement); DIV truncates toward zero, and
 * INT32_MIN / -1 saturates to INT32_MAX. A zero divisor is an error, as in TensorFlow Lite:
 * at prepare when the divisor is a constant, otherwise at invoke (the data is not known
 * before). Fused activations on int32 must be clamps (NONE, RELU, RELU_N1_TO_1, RELU6).
 *
 * int8 (per-tensor asymmetric quantization on a, b and out) follows TensorFlow Lite's
 * fixed-point arithmetic bit for bit, with every multiplier computed in prepare:
 *   ADD/SUB  each input is offset by its zero point, shifted left by 20 and scaled by
 *            scale_i / (2 * max(scale_a, scale_b)) (a Q31 multiplier < 1); the sum (difference)
 *            is scaled by 2 * max_scale / (2^20 * scale_out), offset by the output's zero
 *            point and clamped to the fused activation's range (TensorFlow Lite's
 *            PrepareGeneralSubOp / AddElementwise).
 *   MUL      (a - zp_a) * (b - zp_b) scaled by scale_a * scale_b / scale_out.
 * DIV has no int8 variant (TensorFlow Lite's int8 DIV is not supported either).
 *
 * Fused activations on float32 follow the format: the clamps are applied inside the loop,
 * TANH (and any other non-clamp activation the runtime accepts) over the result afterwards.
 * TensorFlow Lite's own kernels ignore a fused TANH on these four ops; files produced by its
 * converter never carry one, so the two runtimes agree on every file seen in practice. */
#include <limits.h>
#include <math.h>

#include "elementwise_broadcast.h"
#include "eltwise_simd.h"
#include "kernels.h"
#include "quant_math.h"

/* The int32 wrap-around below multiplies uint32_t values: with an int wider than 32 bits
 * they would be promoted to (signed) int and could overflow. */
_Static_assert((uintmax_t)INT_MAX < (uintmax_t)UINT32_MAX,
               "uint32_t arithmetic must not promote to a wider signed int");

typedef enum binary_kind { BINARY_ADD, BINARY_SUB, BINARY_MUL, BINARY_DIV } binary_kind;

typedef lt_eltwise_clamp_f32 clamp_f32;
typedef struct clamp_i32 { int32_t lo, hi; } clamp_i32;

/* ---- float32 ------------------------------------------------------------------------- */

/* NaN passes through unchanged (both comparisons are false), as in TensorFlow Lite. */
static inline float clamp_f(float x, float lo, float hi) {
    return x < lo ? lo : (x > hi ? hi : x);
}

static inline float add_f(float x, float y) { return x + y; }
static inline float sub_f(float x, float y) { return x - y; }
static inline float mul_f(float x, float y) { return x * y; }
static inline float div_f(float x, float y) { return x / y; } /* IEEE: +-inf or NaN on 0 */

/* Row functions for one op on float32: vector-vector, scalar-vector, vector-scalar. The clamp
 * bounds are copied to locals so the compiler does not reload them after every store. */
#define DEFINE_F32_ROWS(OP)                                                                   \
    static void OP##_f32_vv(const void *a_, const void *b_, void *out_, int64_t n,            \
                            const void *p_) {                                                 \
        const float *a = a_, *b = b_;                                                         \
        float *out = out_;                                                                    \
        const float lo = ((const clamp_f32 *)p_)->lo, hi = ((const clamp_f32 *)p_)->hi;       \
        for (int64_t i = 0; i < n; i++) out[i] = clamp_f(OP##_f(a[i], b[i]), lo, hi);         \
    }                                                                                         \
    static void OP##_f32_sv(const void *a_, const void *b_, void *out_, int64_t n,            \
                            const void *p_) {                                                 \
        const float x = *(const float *)a_, *b = b_;                                          \
        float *out = out_;                                                                    \
        const float lo = ((const clamp_f32 *)p_)->lo, hi = ((const clamp_f32 *)p_)->hi;       \
        for (int64_t i = 0; i < n; i++) out[i] = clamp_f(OP##_f(x, b[i]), lo, hi);            \
    }                                                                                         \
    static void OP##_f32_vs(const void *a_, const void *b_, void *out_, int64_t n,            \
                            const void *p_) {                                                 \
        const float *a = a_, y = *(const float *)b_;                                          \
        float *out = out_;                                                                    \
        const float lo = ((const clamp_f32 *)p_)->lo, hi = ((const clamp_f32 *)p_)->hi;       \
        for (int64_t i = 0; i < n; i++) out[i] = clamp_f(OP##_f(a[i], y), lo, hi);            \
    }                                                                                         \
    static const lt_bcast_rows OP##_f32_rows = {OP##_f32_vv, OP##_f32_sv, OP##_f32_vs};

DEFINE_F32_ROWS(add)
DEFINE_F32_ROWS(sub)
DEFINE_F32_ROWS(mul)
DEFINE_F32_ROWS(div)

/* ---- int32 --------------------------------------------------------------------------- */

static inline int32_t clamp_i(int32_t x, int32_t lo, int32_t hi) {
    return x < lo ? lo : (x > hi ? hi : x);
}

/* Wrap-around arithmetic through uint32_t (well defined); the conversion back to int32_t is
 * modulo 2^32 on every compiler this builds with. */
static inline int32_t add_i(int32_t x, int32_t y) { return (int32_t)((uint32_t)x + (uint32_t)y); }
static inline int32_t sub_i(int32_t x, int32_t y) { return (int32_t)((uint32_t)x - (uint32_t)y); }
static inline int32_t mul_i(int32_t x, int32_t y) { return (int32_t)((uint32_t)x * (uint32_t)y); }
static inline int32_t div_i(int32_t x, int32_t y) {
    if (y == 0) return 0; /* unreachable: zero divisors are rejected before the loop */
    if (x == INT32_MIN && y == -1) return INT32_MAX;
    return x / y;
}

#define DEFINE_I32_ROWS(OP)                                                                   \
    static void OP##_i32_vv(const void *a_, const void *b_, void *out_, int64_t n,            \
                            const void *p_) {                                                 \
        const int32_t *a = a_, *b = b_;                                                       \
        int32_t *out = out_;                                                                  \
        const int32_t lo = ((const clamp_i32 *)p_)->lo, hi = ((const clamp_i32 *)p_)->hi;     \
        for (int64_t i = 0; i < n; i++) out[i] = clamp_i(OP##_i(a[i], b[i]), lo, hi);         \
    }                                                                                         \
    static void OP##_i32_sv(const void *a_, const void *b_, void *out_, int64_t n,            \
                            const void *p_) {                                                 \
        const int32_t x = *(const int32_t *)a_, *b = b_;                                      \
        int32_t *out = out_;                                                                  \
        const int32_t lo = ((const clamp_i32 *)p_)->lo, hi = ((const clamp_i32 *)p_)->hi;     \
        for (int64_t i = 0; i < n; i++) out[i] = clamp_i(OP##_i(x, b[i]), lo, hi);            \
    }                                                                                         \
    static void OP##_i32_vs(const void *a_, const void *b_, void *out_, int64_t n,            \
                            const void *p_) {                                                 \
        const int32_t *a = a_, y = *(const int32_t *)b_;                                      \
        int32_t *out = out_;                                                                  \
        const int32_t lo = ((const clamp_i32 *)p_)->lo, hi = ((const clamp_i32 *)p_)->hi;     \
        for (int64_t i = 0; i < n; i++) out[i] = clamp_i(OP##_i(a[i], y), lo, hi);            \
    }                                                                                         \
    static const lt_bcast_rows OP##_i32_rows = {OP##_i32_vv, OP##_i32_sv, OP##_i32_vs};

DEFINE_I32_ROWS(add)
DEFINE_I32_ROWS(sub)
DEFINE_I32_ROWS(mul)
DEFINE_I32_ROWS(div)

/* ---- int8 ---------------------------------------------------------------------------- */

/* ADD / SUB: TensorFlow Lite's 8-bit add arithmetic (left shift 20, per-input multipliers
 * below 1, one output multiplier below 1; eltwise_simd.h). The shifted values fit int32:
 * |x - zp| <= 255. */
typedef lt_eltwise_addsub_q8 addsub_q8;

enum { ADD_Q8_LEFT_SHIFT = LT_ELTWISE_ADD_Q8_LEFT_SHIFT };

static inline int32_t addsub_q8_scaled(int32_t x, int32_t offset, lt_qmul m) {
    return lt_eltwise_addsub_q8_scaled(x, offset, m);
}

static inline int8_t addsub_q8_finish(int32_t raw, const addsub_q8 *p) {
    const int32_t v = lt_multiply_by_quantized_multiplier_smaller_than_one(
                          raw, p->out_mul.multiplier, p->out_mul.shift) + p->out_zp;
    return (int8_t)lt_clamp_i32(v, p->lo, p->hi);
}

static inline int8_t add_q8(int8_t x, int8_t y, const addsub_q8 *p) {
    return addsub_q8_finish(addsub_q8_scaled(x, p->a_offset, p->a_mul) +
                                addsub_q8_scaled(y, p->b_offset, p->b_mul), p);
}

static inline int8_t sub_q8(int8_t x, int8_t y, const addsub_q8 *p) {
    return addsub_q8_finish(addsub_q8_scaled(x, p->a_offset, p->a_mul) -
                                addsub_q8_scaled(y, p->b_offset, p->b_mul), p);
}

/* MUL: one multiplier scale_a * scale_b / scale_out on the product of the offset inputs
 * (at most 255 * 255 in magnitude). */
typedef lt_eltwise_mul_q8 mul_q8_params;

static inline int8_t mul_q8(int8_t x, int8_t y, const mul_q8_params *p) {
    const int32_t prod = (x + p->a_offset) * (y + p->b_offset);
    const int32_t v = lt_qmul_apply(prod, p->out_mul) + p->out_zp;
    return (int8_t)lt_clamp_i32(v, p->lo, p->hi);
}

#define DEFINE_Q8_ROWS(OP, PARAMS)                                                            \
    static void OP##_q8_vv(const void *a_, const void *b_, void *out_, int64_t n,             \
                           const void *p_) {                                                  \
        const int8_t *a = a_, *b = b_;                                                        \
        int8_t *out = out_;                                                                   \
        const PARAMS p = *(const PARAMS *)p_;                                                 \
        for (int64_t i = 0; i < n; i++) out[i] = OP##_q8(a[i], b[i], &p);                     \
    }                                                                                         \
    static void OP##_q8_sv(const void *a_, const void *b_, void *out_, int64_t n,             \
                           const void *p_) {                                                  \
        const int8_t x = *(const int8_t *)a_, *b = b_;                                        \
        int8_t *out = out_;                                                                   \
        const PARAMS p = *(const PARAMS *)p_;                                                 \
        for (int64_t i = 0; i < n; i++) out[i] = OP##_q8(x, b[i], &p);                        \
    }                                                                                         \
    static void OP##_q8_vs(const void *a_, const void *b_, void *out_, int64_t n,             \
                           const void *p_) {                                                  \
        const int8_t *a = a_, y = *(const int8_t *)b_;                                        \
        int8_t *out = out_;                                                                   \
        const PARAMS p = *(const PARAMS *)p_;                                                 \
        for (int64_t i = 0; i < n; i++) out[i] = OP##_q8(a[i], y, &p);                        \
    }                                                                                         \
    static const lt_bcast_rows OP##_q8_rows = {OP##_q8_vv, OP##_q8_sv, OP##_q8_vs};

DEFINE_Q8_ROWS(add, addsub_q8)
DEFINE_Q8_ROWS(sub, addsub_q8)
DEFINE_Q8_ROWS(mul, mul_q8_params)

/* Index of the first zero in an int32 array, or -1. */
static int64_t find_zero_i32(const int32_t *x, int64_t n) {
    for (int64_t i = 0; i < n; i++)
        if (x[i] == 0) return i;
    return -1;
}

/* ---- prepare / invoke ---------------------------------------------------------------- */

/* Element-wise ops do about one operation per element (memory bound: 12 bytes moved), far
 * less than a multiply-add loop's work per unit; from this many output elements on (a few
 * microseconds of work) splitting still pays for the hand-off. The float32 SIMD rows do 8-16
 * elements per instruction: they split from LT_PARALLEL_MIN_WORK elements on. */
enum { BINARY_PARALLEL_MIN_ELEMENTS = LT_PARALLEL_MIN_WORK / 4 };

typedef struct binary_state {
    lt_bcast_plan plan;
    const lt_bcast_rows *rows; /* arithmetic for the (op, type) pair */
    size_t elem_size;          /* a, b and out share one type */
    union {
        clamp_f32 f32;
        clamp_i32 i32;
        addsub_q8 addsub;
        mul_q8_params mul;
    } clamp;                   /* row parameters: the fused clamp, or int8 requantization */
    int post_activation;       /* float32 non-clamp fused activation (TANH), else NONE */
    bool scan_divisor;         /* int32 DIV with a non-constant divisor: check for 0 */
    int64_t parallel_min;      /* output elements from which the threads split the work */
} binary_state;

static const char *const options_name[] = {"AddOptions", "SubOptions", "MulOptions",
                                           "DivOptions"};
static const uint8_t options_type[] = {LT_OPTS_AddOptions, LT_OPTS_SubOptions,
                                       LT_OPTS_MulOptions, LT_OPTS_DivOptions};

static const lt_bcast_rows *rows_for(binary_kind kind, lt_type type) {
    static const lt_bcast_rows *const f32[] = {&add_f32_rows, &sub_f32_rows, &mul_f32_rows,
                                               &div_f32_rows};
    static const lt_bcast_rows *const i32[] = {&add_i32_rows, &sub_i32_rows, &mul_i32_rows,
                                               &div_i32_rows};
    static const lt_bcast_rows *const q8[] = {&add_q8_rows, &sub_q8_rows, &mul_q8_rows, NULL};
    switch (type) {
    case LT_FLOAT32: return f32[kind];
    case LT_INT32: return i32[kind];
    case LT_INT8: return q8[kind];
    default: return NULL;
    }
}

/* The SIMD rows of (op, type) at the context's instruction-set level, or the portable ones
 * when there are none (int32, int8 DIV, portable level, non-x86 builds). The SIMD rows take
 * the same parameters and give bit-identical results (eltwise_simd.h). */
static const lt_bcast_rows *simd_rows_for(const lt_context *ctx, binary_kind kind, lt_type type,
                                          const lt_bcast_rows *portable) {
#if defined(LITERT_X86_KERNELS)
    const int isa = lt_ctx_isa(ctx);
    const bool avx512 = isa >= LT_ISA_AVX512;
    if (isa >= LT_ISA_AVX2) {
        if (type == LT_FLOAT32)
            return avx512 ? &lt_eltwise_f32_rows_avx512[kind] : &lt_eltwise_f32_rows_avx2[kind];
        if (type == LT_INT8 && kind != BINARY_DIV)
            return avx512 ? &lt_eltwise_q8_rows_avx512[kind] : &lt_eltwise_q8_rows_avx2[kind];
    }
#elif defined(LT_NEON_KERNELS)
    if (lt_ctx_isa(ctx) >= LT_ISA_NEON) {
        if (type == LT_FLOAT32) return &lt_eltwise_f32_rows_neon[kind];
        if (type == LT_INT8 && kind != BINARY_DIV) return &lt_eltwise_q8_rows_neon[kind];
    }
#else
    (void)ctx;
    (void)kind;
    (void)type;
#endif
    return portable;
}

_Static_assert((int)BINARY_ADD == LT_ELTWISE_ADD && (int)BINARY_SUB == LT_ELTWISE_SUB &&
                   (int)BINARY_MUL == LT_ELTWISE_MUL && (int)BINARY_DIV == LT_ELTWISE_DIV,
               "the SIMD row tables are indexed by binary_kind");

/* Clamp bounds of a fused activation on int32; false for activations that are not clamps. */
static bool int32_activation_range(int act, int32_t *lo, int32_t *hi) {
    switch (act) {
    case LT_ACT_NONE: *lo = INT32_MIN; *hi = INT32_MAX; return true;
    case LT_ACT_RELU: *lo = 0; *hi = INT32_MAX; return true;
    case LT_ACT_RELU_N1_TO_1: *lo = -1; *hi = 1; return true;
    case LT_ACT_RELU6: *lo = 0; *hi = 6; return true;
    default: return false;
    }
}

/* Requantization parameters of int8 ADD / SUB / MUL, as TensorFlow Lite computes them. */
static lt_status prepare_q8(lt_context *ctx, const lt_node *node, binary_kind kind, int act,
                            binary_state *st) {
    float sa, sb, so;
    int32_t za, zb, zo, lo, hi;
    if (lt_quant_per_tensor(ctx, node, node->inputs[0], "input 0", INT8_MIN, INT8_MAX, &sa,
                            &za) != LT_OK ||
        lt_quant_per_tensor(ctx, node, node->inputs[1], "input 1", INT8_MIN, INT8_MAX, &sb,
                            &zb) != LT_OK ||
        lt_quant_per_tensor(ctx, node, node->outputs[0], "output", INT8_MIN, INT8_MAX, &so,
                            &zo) != LT_OK ||
        lt_quant_activation_range(ctx, node, act, so, zo, INT8_MIN, INT8_MAX, &lo, &hi) != LT_OK)
        return LT_ERROR;
    if (kind == BINARY_MUL) {
        mul_q8_params *p = &st->clamp.mul;
        /* The product of the scales is formed in float, as TensorFlow Lite's MUL does. */
        const double real = (double)(sa * sb / so);
        if (lt_quant_multiplier_checked(ctx, node, real, "output multiplier", &p->out_mul) !=
            LT_OK)
            return LT_ERROR;
        *p = (mul_q8_params){-za, -zb, p->out_mul, zo, lo, hi};
        return LT_OK;
    }
    addsub_q8 *p = &st->clamp.addsub;
    const double twice_max = 2.0 * (double)(sa > sb ? sa : sb);
    const double reals[3] = {(double)sa / twice_max, (double)sb / twice_max,
                             twice_max / ((double)(1 << ADD_Q8_LEFT_SHIFT) * (double)so)};
    static const char *const names[3] = {"input 0 multiplier", "input 1 multiplier",
                                         "output multiplier"};
    lt_qmul m[3];
    for (int i = 0; i < 3; i++) {
        if (lt_quant_multiplier_checked(ctx, node, reals[i], names[i], &m[i]) != LT_OK)
            return LT_ERROR;
        if (m[i].shift > 0)
            return lt_ctx_error(ctx, node, "%s is %g; expected a value below 1 (the output "
                                "scale %g is too small for input scales %g and %g)",
                                names[i], reals[i], (double)so, (double)sa, (double)sb);
    }
    *p = (addsub_q8){-za, -zb, m[0], m[1], m[2], zo, lo, hi};
    return LT_OK;
}

static lt_status binary_prepare(lt_context *ctx, lt_node *node, binary_kind kind) {
    if (lt_check_io_count(ctx, node, 2, 2, 1) != LT_OK) return LT_ERROR;
    const lt_tensor *a = node->inputs[0], *b = node->inputs[1];
    lt_tensor *out = node->outputs[0];
    if (a == NULL || b == NULL)
        return lt_ctx_error(ctx, node, "both inputs are required, got input %d omitted",
                            a == NULL ? 0 : 1);
    if (out == NULL) return lt_ctx_error(ctx, node, "output is required");

    const lt_bcast_rows *rows = rows_for(kind, a->type);
    if (rows == NULL)
        return lt_ctx_error(ctx, node, "input 0 has type %s; expected FLOAT32 or INT32%s",
                            lt_type_name(a->type), kind == BINARY_DIV ? "" : " or INT8");
    if (b->type != a->type)
        return lt_ctx_error(ctx, node, "input 1 has type %s; expected %s like input 0",
                            lt_type_name(b->type), lt_type_name(a->type));
    if (out->type != a->type)
        return lt_ctx_error(ctx, node, "output has type %s; expected %s like the inputs",
                            lt_type_name(out->type), lt_type_name(a->type));

    if (lt_check_options(ctx, node, options_type[kind]) != LT_OK) return LT_ERROR;
    /* fused_activation_function is field 0 of all four options tables. (AddOptions and
     * SubOptions also have pot_scale_int16, which only concerns int16 quantization.) */
    const int act = lt_opt_i8(node, 0, LT_ACT_NONE);
    if (lt_check_activation(ctx, node, act) != LT_OK) return LT_ERROR;

    lt_shape out_shape;
    char a_str[96], b_str[96];
    if (!lt_broadcast_shape(&a->shape, &b->shape, &out_shape))
        return lt_ctx_error(ctx, node, "input shapes %s and %s do not broadcast",
                            lt_shape_str(&a->shape, a_str, sizeof a_str),
                            lt_shape_str(&b->shape, b_str, sizeof b_str));
    if (lt_node_set_output_shape(ctx, node, 0, &out_shape) != LT_OK) return LT_ERROR;

    binary_state *st = lt_ctx_alloc(ctx, node, sizeof *st);
    if (st == NULL) return LT_ERROR;
    if (!lt_bcast_plan_init(&st->plan, &a->shape, &b->shape, &out_shape))
        return lt_ctx_error(ctx, node, "cannot plan the broadcast of %s and %s",
                            lt_shape_str(&a->shape, a_str, sizeof a_str),
                            lt_shape_str(&b->shape, b_str, sizeof b_str));
    st->rows = simd_rows_for(ctx, kind, a->type, rows);
    /* int8 SIMD ADD / SUB rows requantize three times per element (about 0.7 ns an element
     * on AVX-512): a 7x7x160 residual ADD's 7840 elements still gain from the split
     * (5.3 -> 4.1 us on 2 threads) */
    st->parallel_min = st->rows != rows && (a->type == LT_FLOAT32 || a->type == LT_INT8)
                           ? LT_PARALLEL_MIN_WORK / 8
                           : BINARY_PARALLEL_MIN_ELEMENTS;
    st->elem_size = lt_type_size(a->type);
    st->post_activation = LT_ACT_NONE;
    st->scan_divisor = false;

    if (a->type == LT_INT8) {
        if (prepare_q8(ctx, node, kind, act, st) != LT_OK) return LT_ERROR;
    } else if (a->type == LT_FLOAT32) {
        if (!lt_activation_range(act, &st->clamp.f32.lo, &st->clamp.f32.hi)) {
            st->clamp.f32.lo = -INFINITY;
            st->clamp.f32.hi = INFINITY;
            st->post_activation = act;
        }
    } else {
        if (!int32_activation_range(act, &st->clamp.i32.lo, &st->clamp.i32.hi))
            return lt_ctx_error(ctx, node,
                                "%s.fused_activation_function is %d; on INT32 only NONE (0), "
                                "RELU (1), RELU_N1_TO_1 (2) and RELU6 (3) are supported",
                                options_name[kind], act);
        if (kind == BINARY_DIV && st->plan.out_elements > 0) {
            if (b->is_constant) {
                const int64_t zero = find_zero_i32(lt_i32(b), lt_tensor_elements(b));
                if (zero >= 0)
                    return lt_ctx_error(ctx, node,
                                        "integer division by zero: constant divisor (input "
                                        "1) has 0 at element %lld; expected nonzero values",
                                        (long long)zero);
            } else {
                st->scan_divisor = true;
            }
        }
    }
    node->state = st;
    return LT_OK;
}


/* One invoke's operands, shared by the threads that each compute a range of outputs. */
typedef struct binary_args {
    const binary_state *st;
    const void *a, *b;
    void *out;
} binary_args;

static void binary_run_range(void *arg, int64_t begin, int64_t end) {
    const binary_args *x = arg;
    const binary_state *st = x->st;
    lt_bcast_run_range(&st->plan, st->rows, &st->clamp, x->a, st->elem_size, x->b,
                       st->elem_size, x->out, st->elem_size, begin, end);
    if (st->post_activation != LT_ACT_NONE)
        lt_apply_activation_f32(st->post_activation, (float *)x->out + begin, end - begin);
}

static lt_status binary_invoke(lt_context *ctx, lt_node *node) {
    const binary_state *st = node->state;
    const lt_tensor *a = node->inputs[0], *b = node->inputs[1];
    lt_tensor *out = node->outputs[0];
    if (st->scan_divisor) {
        const int64_t zero = find_zero_i32(lt_i32(b), lt_tensor_elements(b));
        if (zero >= 0)
            return lt_ctx_error(ctx, node,
                                "integer division by zero: divisor (input 1) has 0 at "
                                "element %lld; expected nonzero values",
                                (long long)zero);
    }
    binary_args args = {st, a->data, b->data, out->data};
    /* Split over output elements: each element's arithmetic is the same whatever the cut,
     * so the result does not depend on the thread count. Below the threshold the hand-off
     * to the workers costs more than the loop. */
    if (st->plan.out_elements >= st->parallel_min)
        lt_ctx_parallel_for(ctx, st->plan.out_elements, binary_run_range, &args);
    else
        binary_run_range(&args, 0, st->plan.out_elements);
    return LT_OK;
}

static lt_status add_prepare(lt_context *ctx, lt_node *node) {
    return binary_prepare(ctx, node, BINARY_ADD);
}
static lt_status sub_prepare(lt_context *ctx, lt_node *node) {
    return binary_prepare(ctx, node, BINARY_SUB);
}
static lt_status mul_prepare(lt_context *ctx, lt_node *node) {
    return binary_prepare(ctx, node, BINARY_MUL);
}
static lt_status div_prepare(lt_context *ctx, lt_node *node) {
    return binary_prepare(ctx, node, BINARY_DIV);
}

const lt_op lt_op_add = {"ADD", add_prepare, binary_invoke};
const lt_op lt_op_sub = {"SUB", sub_prepare, binary_invoke};
const lt_op lt_op_mul = {"MUL", mul_prepare, binary_invoke};
const lt_op lt_op_div = {"DIV", div_prepare, binary_invoke};
