/* LESS, LESS_EQUAL, GREATER, GREATER_EQUAL, EQUAL, NOT_EQUAL: element-wise comparisons with
 * NumPy broadcasting and a BOOL output. They feed WHILE conditions, SELECT masks and masking
 * arithmetic in converted models.
 *
 * Types: FLOAT32, INT32, INT64, INT8 and UINT8 for all six; BOOL for EQUAL / NOT_EQUAL. Both
 * inputs share one type. float comparisons follow IEEE (NaN compares unequal to everything).
 *
 * Quantized inputs may have different scales and zero points: as TensorFlow Lite's reference
 * kernel, each value is moved to a common fixed-point scale before comparing,
 *   v = MultiplyByQuantizedMultiplierSmallerThanOne((q - zero_point) << 8, M(scale)),
 * with M(scale) the quantized multiplier of the tensor's own scale, which must be below 1
 * (TensorFlow Lite's assumption too; larger scales are rejected at prepare). */
#include "elementwise_broadcast.h"
#include "kernels.h"
#include "quant_math.h"

typedef enum cmp_kind { CMP_LESS, CMP_LESS_EQUAL, CMP_GREATER, CMP_GREATER_EQUAL, CMP_EQUAL,
                        CMP_NOT_EQUAL, CMP_KINDS } cmp_kind;

/* Per-input rescaling of quantized values (unused for the other types). */
typedef struct cmp_params {
    int32_t offset[2]; /* -zero_point */
    lt_qmul mul[2];
} cmp_params;

enum { CMP_LEFT_SHIFT = 8 };

static inline int32_t rescale(const cmp_params *p, int which, int32_t q) {
    const int32_t shifted = lt_shift_left_wrapping(q + p->offset[which], CMP_LEFT_SHIFT);
    return lt_multiply_by_quantized_multiplier_smaller_than_one(
        shifted, p->mul[which].multiplier, p->mul[which].shift);
}

#define LOAD_PLAIN(p, which, x) (x)
#define LOAD_QUANT(p, which, x) rescale((p), (which), (int32_t)(x))
/* BOOL as bytes, any nonzero byte true (a C bool holding another byte is undefined). */
#define LOAD_BOOL(p, which, x) ((x) != 0)

/* One pass per type computes the order of a and b as a 3-bit code, bit 0 = a < b,
 * bit 1 = a == b, bit 2 = a > b (0 when unordered: a NaN); a second pass turns codes into
 * each op's answer through a mask of the codes it accepts. Six ops then share one row
 * function per type instead of one per (op, type), which keeps the library small. */
enum { ORDER_LT = 1, ORDER_EQ = 2, ORDER_GT = 4 };

#define DEFINE_ORDER_ROWS(NAME, T, LOAD)                                                      \
    static inline uint8_t NAME##_order(const void *params, T a, T b) {                       \
        const cmp_params *p = params;                                                         \
        (void)p;                                                                              \
        return (uint8_t)((LOAD(p, 0, a) < LOAD(p, 1, b) ? ORDER_LT : 0) |                     \
                         (LOAD(p, 0, a) == LOAD(p, 1, b) ? ORDER_EQ : 0) |                    \
                         (LOAD(p, 0, a) > LOAD(p, 1, b) ? ORDER_GT : 0));                     \
    }                                                                                         \
    LT_BCAST_DEFINE_ROWS(NAME, T, uint8_t, NAME##_order)

DEFINE_ORDER_ROWS(order_f32, float, LOAD_PLAIN)
DEFINE_ORDER_ROWS(order_i32, int32_t, LOAD_PLAIN)
DEFINE_ORDER_ROWS(order_i64, int64_t, LOAD_PLAIN)
DEFINE_ORDER_ROWS(order_q8, int8_t, LOAD_QUANT)
DEFINE_ORDER_ROWS(order_qu8, uint8_t, LOAD_QUANT)
DEFINE_ORDER_ROWS(order_b, uint8_t, LOAD_BOOL)

/* The order codes (bit k = code k) for which each op answers true, in cmp_kind order. */
static const uint8_t k_accepts[CMP_KINDS] = {
    1u << ORDER_LT,                       /* LESS */
    1u << ORDER_LT | 1u << ORDER_EQ,      /* LESS_EQUAL */
    1u << ORDER_GT,                       /* GREATER */
    1u << ORDER_GT | 1u << ORDER_EQ,      /* GREATER_EQUAL */
    1u << ORDER_EQ,                       /* EQUAL */
    1u << 0 | 1u << ORDER_LT | 1u << ORDER_GT, /* NOT_EQUAL (unordered included) */
};

static const lt_bcast_rows *rows_for(cmp_kind kind, lt_type type) {
    switch (type) {
    case LT_FLOAT32: return &order_f32_rows;
    case LT_INT32: return &order_i32_rows;
    case LT_INT64: return &order_i64_rows;
    case LT_INT8: return &order_q8_rows;
    case LT_UINT8: return &order_qu8_rows;
    case LT_BOOL: return kind == CMP_EQUAL || kind == CMP_NOT_EQUAL ? &order_b_rows : NULL;
    default: return NULL;
    }
}

typedef struct cmp_state {
    lt_bcast_plan plan;
    const lt_bcast_rows *rows;
    uint8_t accepts;     /* k_accepts of the op */
    size_t elem_size;
    cmp_params params;
} cmp_state;

static lt_status quant_params(lt_context *ctx, const lt_node *node, const lt_tensor *t,
                              int which, cmp_params *p) {
    int32_t q_min, q_max, zero;
    float scale;
    lt_quant_type_range(t->type, &q_min, &q_max);
    const char *role = which == 0 ? "input 0" : "input 1";
    if (lt_quant_per_tensor(ctx, node, t, role, q_min, q_max, &scale, &zero) != LT_OK)
        return LT_ERROR;
    if (!(scale < 1.0f) || !lt_quantize_multiplier(scale, &p->mul[which]) ||
        p->mul[which].shift > 0)
        return lt_ctx_error(ctx, node, "%s '%s' has scale %g; quantized comparisons need a "
                            "scale below 1", role, t->name, (double)scale);
    p->offset[which] = -zero;
    return LT_OK;
}

static lt_status cmp_prepare(lt_context *ctx, lt_node *node, cmp_kind kind) {
    if (lt_check_io_count(ctx, node, 2, 2, 1) != LT_OK) return LT_ERROR;
    const lt_tensor *a = node->inputs[0], *b = node->inputs[1];
    const lt_tensor *out = node->outputs[0];
    if (a == NULL || b == NULL) return lt_ctx_error(ctx, node, "both inputs are required");
    const lt_bcast_rows *rows = rows_for(kind, a->type);
    if (rows == NULL)
        return lt_ctx_error(ctx, node, "input 0 '%s' has type %s; expected FLOAT32, INT32, "
                            "INT64, INT8 or UINT8%s", a->name, lt_type_name(a->type),
                            kind == CMP_EQUAL || kind == CMP_NOT_EQUAL ? " or BOOL" : "");
    if (b->type != a->type)
        return lt_ctx_error(ctx, node, "input 1 '%s' has type %s; expected %s like input 0",
                            b->name, lt_type_name(b->type), lt_type_name(a->type));
    if (out->type != LT_BOOL)
        return lt_ctx_error(ctx, node, "output '%s' has type %s; expected BOOL", out->name,
                            lt_type_name(out->type));
    cmp_state *st = lt_ctx_alloc(ctx, node, sizeof *st);
    if (st == NULL) return LT_ERROR;
    if ((a->type == LT_INT8 || a->type == LT_UINT8) &&
        (quant_params(ctx, node, a, 0, &st->params) != LT_OK ||
         quant_params(ctx, node, b, 1, &st->params) != LT_OK))
        return LT_ERROR;
    lt_shape out_shape;
    char a_str[96], b_str[96];
    if (!lt_broadcast_shape(&a->shape, &b->shape, &out_shape) ||
        !lt_bcast_plan_init(&st->plan, &a->shape, &b->shape, &out_shape))
        return lt_ctx_error(ctx, node, "input shapes %s and %s do not broadcast",
                            lt_shape_str(&a->shape, a_str, sizeof a_str),
                            lt_shape_str(&b->shape, b_str, sizeof b_str));
    if (lt_node_set_output_shape(ctx, node, 0, &out_shape) != LT_OK) return LT_ERROR;
    st->rows = rows;
    st->accepts = k_accepts[kind];
    st->elem_size = lt_type_size(a->type);
    node->state = st;
    return LT_OK;
}

static lt_status cmp_invoke(lt_context *ctx, lt_node *node) {
    (void)ctx;
    const cmp_state *st = node->state;
    uint8_t *out = node->outputs[0]->data;
    lt_bcast_run(&st->plan, st->rows, &st->params, node->inputs[0]->data, st->elem_size,
                 node->inputs[1]->data, st->elem_size, out, 1);
    const int64_t n = st->plan.out_elements;
    for (int64_t i = 0; i < n; i++) out[i] = (uint8_t)(st->accepts >> out[i] & 1u);
    return LT_OK;
}

#define DEFINE_CMP_OP(lower, KIND)                                                            \
    static lt_status lower##_prepare(lt_context *ctx, lt_node *node) {                        \
        return cmp_prepare(ctx, node, KIND);                                                  \
    }

DEFINE_CMP_OP(less, CMP_LESS)
DEFINE_CMP_OP(less_equal, CMP_LESS_EQUAL)
DEFINE_CMP_OP(greater, CMP_GREATER)
DEFINE_CMP_OP(greater_equal, CMP_GREATER_EQUAL)
DEFINE_CMP_OP(equal, CMP_EQUAL)
DEFINE_CMP_OP(not_equal, CMP_NOT_EQUAL)

const lt_op lt_op_less = {"LESS", less_prepare, cmp_invoke};
const lt_op lt_op_less_equal = {"LESS_EQUAL", less_equal_prepare, cmp_invoke};
const lt_op lt_op_greater = {"GREATER", greater_prepare, cmp_invoke};
const lt_op lt_op_greater_equal = {"GREATER_EQUAL", greater_equal_prepare, cmp_invoke};
const lt_op lt_op_equal = {"EQUAL", equal_prepare, cmp_invoke};
const lt_op lt_op_not_equal = {"NOT_EQUAL", not_equal_prepare, cmp_invoke};
