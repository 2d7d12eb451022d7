/* POW: x ^ y element-wise with NumPy broadcasting (no options).
 *
 * Types: FLOAT32 or INT32, both inputs and the output alike (TensorFlow Lite's set).
 *
 * Arithmetic of TensorFlow Lite's kernel (measured against ai_edge_litert, which the tests
 * keep checking bit for bit):
 *   float32  powf(x, y), with the C library's special cases (pow(x, 0) = 1 even for NaN,
 *            negative x to a non-integer power is NaN, ...).
 *   int32    pow in double of the two values, truncated to int32 (std::pow on ints
 *            promotes to double); results beyond the int32 range become INT32_MIN, what
 *            that conversion gives on x86 (in C++ it is undefined). Negative exponents are
 *            an error, as in TensorFlow Lite: at prepare when y is constant, else at invoke.
 *   Except on one path: when the shapes differ and y is a single element within 1e-5 of an
 *   integer n in [1, INT32_MAX] (tf.pow(x, 3.0): the common case), TensorFlow Lite
 *   multiplies instead: left-to-right binary exponentiation (square, and multiply by x for
 *   each 1 bit of n after the leading one). float32 products saturate at +-FLT_MAX
 *   (so inf ** 2 is FLT_MAX there, not inf) and int32 products wrap around. This differs
 *   from powf by an ulp or more on many inputs, hence the care. (The converter itself turns
 *   x ** 2 into MUL and x ** 0.5 into SQRT.) */
#include <float.h>
#include <math.h>

#include "elementwise_broadcast.h"
#include "kernels.h"

static float pow_f32(const void *params, float x, float y) {
    (void)params;
    return powf(x, y);
}

static int32_t pow_i32(const void *params, int32_t x, int32_t y) {
    (void)params;
    const double r = pow((double)x, (double)y);
    /* Truncation toward zero; out of range (or NaN, which integer arguments cannot give) ->
     * INT32_MIN. */
    if (!(r > -2147483649.0 && r < 2147483648.0)) return INT32_MIN;
    return (int32_t)r;
}

/* x * y clamped to [-FLT_MAX, FLT_MAX]; NaN stays NaN. */
static float mul_sat_f32(float x, float y) {
    const float p = x * y;
    return p > FLT_MAX ? FLT_MAX : (p < -FLT_MAX ? -FLT_MAX : p);
}

static int32_t mul_wrap_i32(int32_t x, int32_t y) {
    return (int32_t)((uint32_t)x * (uint32_t)y);
}

/* x^n for n >= 1 by TensorFlow Lite's multiplication order (see the top comment). */
static float int_power_f32(float x, uint32_t n) {
    int top = 31;
    while (!(n >> top & 1u)) top--;
    float r = x;
    for (int bit = top - 1; bit >= 0; bit--) {
        r = mul_sat_f32(r, r);
        if (n >> bit & 1u) r = mul_sat_f32(r, x);
    }
    return r;
}

static int32_t int_power_i32(int32_t x, uint32_t n) {
    int top = 31;
    while (!(n >> top & 1u)) top--;
    int32_t r = x;
    for (int bit = top - 1; bit >= 0; bit--) {
        r = mul_wrap_i32(r, r);
        if (n >> bit & 1u) r = mul_wrap_i32(r, x);
    }
    return r;
}

LT_BCAST_DEFINE_ROWS(pow_f32, float, float, pow_f32)
LT_BCAST_DEFINE_ROWS(pow_i32, int32_t, int32_t, pow_i32)

typedef struct pow_state {
    lt_bcast_plan plan;
    const lt_bcast_rows *rows;
    size_t elem_size;
    bool check_exponents; /* int32 with a run-time exponent: check for negatives at invoke */
} pow_state;

/* First negative value of an int32 tensor's n elements, or -1 if none. */
static int64_t first_negative(const int32_t *y, int64_t n) {
    for (int64_t i = 0; i < n; i++)
        if (y[i] < 0) return i;
    return -1;
}

static lt_status negative_exponent_error(lt_context *ctx, const lt_node *node,
                                         const lt_tensor *y, int64_t i) {
    return lt_ctx_error(ctx, node, "exponent '%s' element %lld is %d: POW does not support "
                        "negative exponents for INT32", y->name, (long long)i,
                        (int)lt_i32(y)[i]);
}

static lt_status pow_prepare(lt_context *ctx, lt_node *node) {
    if (lt_check_io_count(ctx, node, 2, 2, 1) != LT_OK ||
        lt_check_options(ctx, node, LT_OPTS_PowOptions) != LT_OK)
        return LT_ERROR;
    const lt_tensor *a = node->inputs[0], *b = node->inputs[1];
    const lt_tensor *out = node->outputs[0];
    if (a == NULL || b == NULL) return lt_ctx_error(ctx, node, "both inputs are required");
    if (out == NULL) return lt_ctx_error(ctx, node, "output is required");
    if (a->type != LT_FLOAT32 && a->type != LT_INT32)
        return lt_ctx_error(ctx, node, "input 0 '%s' has type %s; expected FLOAT32 or INT32",
                            a->name, lt_type_name(a->type));
    if (b->type != a->type)
        return lt_ctx_error(ctx, node, "input 1 '%s' has type %s; expected %s like input 0",
                            b->name, lt_type_name(b->type), lt_type_name(a->type));
    if (out->type != a->type)
        return lt_ctx_error(ctx, node, "output '%s' has type %s; expected %s like the inputs",
                            out->name, lt_type_name(out->type), lt_type_name(a->type));
    lt_shape out_shape;
    char a_str[96], b_str[96];
    if (!lt_broadcast_shape(&a->shape, &b->shape, &out_shape))
        return lt_ctx_error(ctx, node, "input shapes %s and %s do not broadcast",
                            lt_shape_str(&a->shape, a_str, sizeof a_str),
                            lt_shape_str(&b->shape, b_str, sizeof b_str));
    if (lt_node_set_output_shape(ctx, node, 0, &out_shape) != LT_OK) return LT_ERROR;

    pow_state *st = lt_ctx_alloc(ctx, node, sizeof *st);
    if (st == NULL) return LT_ERROR;
    if (!lt_bcast_plan_init(&st->plan, &a->shape, &b->shape, &out_shape))
        return lt_ctx_error(ctx, node, "cannot plan the broadcast of %s and %s",
                            lt_shape_str(&a->shape, a_str, sizeof a_str),
                            lt_shape_str(&b->shape, b_str, sizeof b_str));
    const bool is_f32 = a->type == LT_FLOAT32;
    st->rows = is_f32 ? &pow_f32_rows : &pow_i32_rows;
    st->elem_size = lt_type_size(a->type);
    st->check_exponents = false;
    if (!is_f32) {
        if (!b->is_constant) {
            st->check_exponents = true;
        } else {
            const int64_t i = first_negative(lt_i32(b), lt_tensor_elements(b));
            if (i >= 0) return negative_exponent_error(ctx, node, b, i);
        }
    }
    node->state = st;
    return LT_OK;
}

/* The exponent n of TensorFlow Lite's multiplying path, or 0 when it takes pow: shapes
 * differ, y has one element, within 1e-5 of an integer in [1, INT32_MAX]. Checked at invoke,
 * as y may come at run time. */
static uint32_t integer_exponent(const lt_tensor *a, const lt_tensor *b) {
    if (lt_shape_equal(&a->shape, &b->shape) || lt_tensor_elements(b) != 1) return 0;
    if (b->type == LT_INT32) return lt_i32(b)[0] >= 1 ? (uint32_t)lt_i32(b)[0] : 0;
    const float y = lt_f32(b)[0];
    const float n = roundf(y);
    if (!(fabsf(y - n) < 1e-5f) || !(n >= 1.0f && n < 2147483648.0f)) return 0;
    return (uint32_t)n;
}

typedef struct pow_args {
    const pow_state *st;
    const void *a, *b;
    void *out;
    bool is_f32;
    uint32_t n; /* integer_exponent, or 0: pow */
} pow_args;

/* Output elements [begin, end): each is computed on its own, so any split over threads gives
 * the same bits. */
static void pow_range(void *arg, int64_t begin, int64_t end) {
    const pow_args *p = arg;
    const pow_state *st = p->st;
    if (p->n == 0) {
        lt_bcast_run_range(&st->plan, st->rows, NULL, p->a, st->elem_size, p->b, st->elem_size,
                           p->out, st->elem_size, begin, end);
    } else if (p->is_f32) {
        const float *x = p->a;
        float *y = p->out;
        for (int64_t i = begin; i < end; i++) y[i] = int_power_f32(x[i], p->n);
    } else {
        const int32_t *x = p->a;
        int32_t *y = p->out;
        for (int64_t i = begin; i < end; i++) y[i] = int_power_i32(x[i], p->n);
    }
}

/* powf costs tens of operations per element: split from a few thousand elements on. */
enum { POW_PARALLEL_MIN_ELEMENTS = LT_PARALLEL_MIN_WORK / 16 };

static lt_status pow_invoke(lt_context *ctx, lt_node *node) {
    const pow_state *st = node->state;
    const lt_tensor *a = node->inputs[0], *b = node->inputs[1];
    if (st->check_exponents) {
        const int64_t i = first_negative(lt_i32(b), lt_tensor_elements(b));
        if (i >= 0) return negative_exponent_error(ctx, node, b, i);
    }
    const int64_t count = st->plan.out_elements;
    if (count == 0) return LT_OK;
    /* On TensorFlow Lite's multiplying path every output element is x[i]^n (y's dimensions
     * are all 1, so the output has x's elements in x's order). */
    pow_args p = {st, a->data, b->data, node->outputs[0]->data, a->type == LT_FLOAT32,
                  integer_exponent(a, b)};
    if (count >= POW_PARALLEL_MIN_ELEMENTS) lt_ctx_parallel_for(ctx, count, pow_range, &p);
    else pow_range(&p, 0, count);
    return LT_OK;
}

const lt_op lt_op_pow = {"POW", pow_prepare, pow_invoke};
