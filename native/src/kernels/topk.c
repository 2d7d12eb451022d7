/* TOPK_V2: the k largest values along the last axis and their positions (tf.math.top_k),
 * e.g. the best-scoring classes or anchors at the end of a detector or recommender.
 *
 * Inputs: the values (rank >= 1; FLOAT32, INT8, UINT8, INT16, INT32 or INT64) and k, a
 * constant INT32 (or INT16, as newer TensorFlow Lite versions allow) tensor of one element
 * with 0 <= k <= last dimension (newer TensorFlow Lite treats a negative k as 0; TensorFlow
 * itself rejects it, and so do we). Outputs: the values [..., k] (input's type; quantized
 * outputs must carry the input's quantization, since values are copied, never requantized)
 * and their indices [..., k] (INT32, or INT16 as newer TensorFlow Lite versions allow when
 * every index fits).
 *
 * Order, as TensorFlow Lite's kernel defines it: a value ranks above another if it is larger,
 * or equal and earlier in the row. For values without NaN this is a strict total order, so the
 * k first elements of it (and their sorted order) are unique, whatever selection algorithm
 * finds them. NaN: TensorFlow Lite's source compares with < and >, so a NaN "ties" with
 * every value, which is not an order and leaves the result to its heap's internals; in
 * practice its kernel (2.21) returns NaN below every number, -inf included, NaNs among
 * themselves by position, which is the rule we implement.
 *
 * Selection: a min-heap of k indices per row (the root is the lowest-ranked kept element);
 * every further element that ranks above the root replaces it. O(n log k) per row, then the
 * heap is sorted in place, best first. The heap lives in per-node scratch (k int32). */
#include <math.h>
#include <string.h>

#include "../alloc.h"
#include "data_movement_checks.h"

typedef struct topk_state {
    int32_t k;
    int32_t row_size;
    int64_t rows;
} topk_state;

/* One typed row kernel per value type: ABOVE(x, y) is "x ranks above y" for two values of
 * the row (before the position tie-break), SAME(x, y) is "x and y tie". */
#define TOPK_ROW(NAME, T, ABOVE, SAME)                                                        \
    static inline bool NAME##_ranks_above(const T *v, int32_t a, int32_t b) {               \
        return ABOVE(v[a], v[b]) || (SAME(v[a], v[b]) && a < b);                            \
    }                                                                                       \
    /* Restores the min-heap below position i (the root holds the lowest-ranked index). */ \
    static void NAME##_sift_down(const T *v, int32_t *heap, int32_t n, int32_t i) {         \
        for (;;) {                                                                          \
            int32_t low = i;                                                                \
            const int32_t l = 2 * i + 1, r = l + 1;                                         \
            if (l < n && NAME##_ranks_above(v, heap[low], heap[l])) low = l;                 \
            if (r < n && NAME##_ranks_above(v, heap[low], heap[r])) low = r;                 \
            if (low == i) return;                                                           \
            const int32_t t = heap[i];                                                      \
            heap[i] = heap[low];                                                            \
            heap[low] = t;                                                                  \
            i = low;                                                                        \
        }                                                                                   \
    }                                                                                       \
    /* Leaves heap[0..k) holding the row's top k indices, best first. */                    \
    static void NAME##_select(const T *v, int32_t n, int32_t k, int32_t *heap) {            \
        for (int32_t i = 0; i < k; i++) heap[i] = i;                                        \
        for (int32_t i = k / 2 - 1; i >= 0; i--) NAME##_sift_down(v, heap, k, i);            \
        for (int32_t i = k; i < n; i++) {                                                   \
            if (NAME##_ranks_above(v, i, heap[0])) {                                        \
                heap[0] = i;                                                                \
                NAME##_sift_down(v, heap, k, 0);                                            \
            }                                                                               \
        }                                                                                   \
        /* Heap sort: the lowest-ranked goes to the back each time, so best ends first. */  \
        for (int32_t end = k - 1; end > 0; end--) {                                         \
            const int32_t t = heap[0];                                                      \
            heap[0] = heap[end];                                                            \
            heap[end] = t;                                                                  \
            NAME##_sift_down(v, heap, end, 0);                                              \
        }                                                                                   \
    }                                                                                       \
    static void NAME##_run(const topk_state *s, const void *in, void *values, void *index,  \
                           bool index16, int32_t *heap) {                                   \
        const int32_t n = s->row_size, k = s->k;                                            \
        for (int64_t r = 0; r < s->rows; r++) {                                             \
            const T *row = (const T *)in + r * n;                                           \
            T *out = (T *)values + r * k;                                                   \
            NAME##_select(row, n, k, heap);                                                 \
            for (int32_t j = 0; j < k; j++) out[j] = row[heap[j]];                          \
            if (index16) {                                                                  \
                int16_t *idx = (int16_t *)index + r * k;                                    \
                for (int32_t j = 0; j < k; j++) idx[j] = (int16_t)heap[j];                  \
            } else {                                                                        \
                memcpy((int32_t *)index + r * k, heap, (size_t)k * sizeof(int32_t));        \
            }                                                                               \
        }                                                                                   \
    }

#define TOPK_GT(x, y) ((x) > (y))
#define TOPK_EQ(x, y) ((x) == (y))
/* NaN below every number; two NaNs tie (then the earlier ranks above). */
#define TOPK_F_GT(x, y) (isnan(x) ? false : isnan(y) || (x) > (y))
#define TOPK_F_EQ(x, y) (isnan(x) ? isnan(y) : (x) == (y))

TOPK_ROW(topk_f32, float, TOPK_F_GT, TOPK_F_EQ)
TOPK_ROW(topk_i8, int8_t, TOPK_GT, TOPK_EQ)
TOPK_ROW(topk_u8, uint8_t, TOPK_GT, TOPK_EQ)
TOPK_ROW(topk_i16, int16_t, TOPK_GT, TOPK_EQ)
TOPK_ROW(topk_i32, int32_t, TOPK_GT, TOPK_EQ)
TOPK_ROW(topk_i64, int64_t, TOPK_GT, TOPK_EQ)

static bool topk_value_type(lt_type t) {
    return t == LT_FLOAT32 || t == LT_INT8 || t == LT_UINT8 || t == LT_INT16 ||
           t == LT_INT32 || t == LT_INT64;
}

static lt_status topk_prepare(lt_context *ctx, lt_node *node) {
    if (lt_check_io_count(ctx, node, 2, 2, 2) != LT_OK) return LT_ERROR;
    const lt_tensor *in = node->inputs[0], *kt = node->inputs[1];
    const lt_tensor *values = node->outputs[0], *index = node->outputs[1];
    if (in == NULL) return lt_ctx_error(ctx, node, "input 0 is missing");
    if (values == NULL || index == NULL)
        return lt_ctx_error(ctx, node, "both outputs (values, indices) are required");
    if (!topk_value_type(in->type))
        return lt_ctx_error(ctx, node, "input '%s' has type %s; expected FLOAT32, INT8, UINT8, "
                            "INT16, INT32 or INT64", in->name, lt_type_name(in->type));
    if (in->shape.rank < 1)
        return lt_ctx_error(ctx, node, "input '%s' must have rank 1 or more (top k runs along "
                            "its last axis)", in->name);
    if (values->type != in->type)
        return lt_ctx_error(ctx, node, "output '%s' has type %s; expected %s like the input",
                            values->name, lt_type_name(values->type), lt_type_name(in->type));
    if (dm_check_same_quant(ctx, node, in, values) != LT_OK) return LT_ERROR;
    if (index->type != LT_INT32 && index->type != LT_INT16)
        return lt_ctx_error(ctx, node, "indices output '%s' has type %s; expected INT32 or "
                            "INT16", index->name, lt_type_name(index->type));
    if (dm_check_shape_input_constant(ctx, node, 1, "k") != LT_OK) return LT_ERROR;
    if (kt->type != LT_INT32 && kt->type != LT_INT16)
        return lt_ctx_error(ctx, node, "k '%s' has type %s; expected INT32 or INT16",
                            kt->name, lt_type_name(kt->type));
    if (lt_tensor_elements(kt) != 1)
        return lt_ctx_error(ctx, node, "k '%s' must hold exactly one value, not %lld",
                            kt->name, (long long)lt_tensor_elements(kt));
    const int rank = in->shape.rank;
    const int32_t n = in->shape.dims[rank - 1];
    const int32_t k = kt->type == LT_INT16 ? ((const int16_t *)kt->data)[0] : lt_i32(kt)[0];
    if (k < 0 || k > n)
        return lt_ctx_error(ctx, node, "k = %d is out of range: it must be between 0 and the "
                            "last dimension of '%s' (%d)", (int)k, in->name, (int)n);
    if (index->type == LT_INT16 && n > INT16_MAX + 1)
        return lt_ctx_error(ctx, node, "indices output '%s' is INT16 but the last dimension "
                            "(%d) has indices above %d", index->name, (int)n, INT16_MAX);

    lt_shape out_shape = in->shape;
    out_shape.dims[rank - 1] = k;
    if (lt_node_set_output_shape(ctx, node, 0, &out_shape) != LT_OK ||
        lt_node_set_output_shape(ctx, node, 1, &out_shape) != LT_OK)
        return LT_ERROR;

    topk_state *s = lt_ctx_alloc(ctx, node, sizeof *s);
    if (s == NULL) return LT_ERROR;
    s->k = k;
    s->row_size = n;
    /* n = 0 forces k = 0: invoke then has nothing to write. */
    s->rows = n > 0 ? lt_tensor_elements(in) / n : 0;
    size_t scratch;
    if (!lt_mul_size((size_t)k, sizeof(int32_t), &scratch))
        return lt_ctx_error(ctx, node, "k = %d needs too much scratch memory", (int)k);
    node->scratch_bytes = scratch;
    node->state = s;
    return LT_OK;
}

static lt_status topk_invoke(lt_context *ctx, lt_node *node) {
    (void)ctx;
    const topk_state *s = node->state;
    if (s->k == 0) return LT_OK; /* empty outputs */
    const lt_tensor *in = node->inputs[0];
    void *values = node->outputs[0]->data, *index = node->outputs[1]->data;
    const bool index16 = node->outputs[1]->type == LT_INT16;
    int32_t *heap = node->scratch;
    switch (in->type) {
    case LT_FLOAT32: topk_f32_run(s, in->data, values, index, index16, heap); break;
    case LT_INT8: topk_i8_run(s, in->data, values, index, index16, heap); break;
    case LT_UINT8: topk_u8_run(s, in->data, values, index, index16, heap); break;
    case LT_INT16: topk_i16_run(s, in->data, values, index, index16, heap); break;
    case LT_INT32: topk_i32_run(s, in->data, values, index, index16, heap); break;
    default: topk_i64_run(s, in->data, values, index, index16, heap); break;
    }
    return LT_OK;
}

const lt_op lt_op_topk_v2 = {"TOPK_V2", topk_prepare, topk_invoke};
