/* FULLY_CONNECTED internals shared by fully_connected.c (the op, its checks and the portable
 * kernels) and the SIMD kernels that take over the hot cases. */
#ifndef LITERT_KERNELS_FC_INTERNAL_H
#define LITERT_KERNELS_FC_INTERNAL_H

#include "linear_common.h"

typedef struct fc_state fc_state;
/* Computes units [u0, u1) of every row. Each output value is computed by the same
 * arithmetic however the units are cut, so results do not depend on the thread count. */
typedef void (*fc_fn)(const fc_state *st, const lt_tensor *in, const lt_tensor *weights,
                      const lt_tensor *bias, lt_tensor *out, int64_t u0, int64_t u1);

/* Sparse weights as the kernel reads them, built once at prepare: for each output unit, its
 * entries row_ptr[u] .. row_ptr[u + 1] - 1; entry e covers `width` consecutive weights of
 * that unit starting at input column col[e], with values values[e * width ...]. width is the
 * block width of 1xB block-sparse weights (TensorFlow Lite's 1x4 / 1x16 encodings) and 1
 * otherwise (each stored weight its own entry). Stored zeros are kept so that results
 * (including inf/NaN propagation) equal the dense kernel's on the densified weights. */
typedef struct fc_sparse {
    int32_t width;
    const int32_t *row_ptr;
    const int32_t *col;
    const uint16_t *col16; /* col narrowed when depth <= 65536 (less memory traffic), or NULL */
    const float *values;
} fc_sparse;

struct fc_state {
    fc_fn fn;
    int64_t rows;   /* rows of x */
    int64_t depth;  /* K: values per row, the weights' inner dimension */
    int64_t units;  /* outputs per row */
    linear_activation act;
    linear_quant q;        /* int8 */
    bool hybrid;           /* float input, int8 weights dequantized: run on weights_f32 */
    lt_tensor weights_f32; /* hybrid: the weights dequantized at prepare; densified: the
                            * sparse weights expanded to dense */
    bool hybrid_int;       /* float input, int8 weights: TensorFlow Lite's hybrid arithmetic */
    const float *unit_scale;  /* hybrid_int: weight scale per unit */
    const int32_t *row_sums;  /* hybrid_int: sum of each unit's int8 weights */
    fc_sparse sparse;      /* sparse weights (float32, or int8 dequantized at prepare) */
    bool densified;        /* sparse float32 weights expanded at prepare: run on weights_f32 */
    int64_t work;          /* multiply-adds per invoke, saturated: worth threads? */
    int64_t parallel_min_work; /* invoke splits the units from this much work on:
                                * LT_PARALLEL_MIN_WORK, or a fast kernel's own (its hook
                                * knows how many multiply-adds a microsecond buys) */
    const void *fast;      /* a SIMD kernel's prepared data (packed weights, ...) */
};

/* SIMD kernels (fc_*_fast.c): called at the end of prepare for dense weights once the
 * portable kernel is set up (st->fn; st->q for int8); fc_f32_fast_prepare reads the weights
 * from `weights` (the node's, or the densified copy of sparse ones). When the interpreter's
 * ISA level (lt_ctx_isa) has a faster kernel, they replace st->fn (same contract: units
 * [u0, u1) of
 * every row, the same result for any cut) and may set st->fast; otherwise they change
 * nothing. LT_ERROR only for a failure (memory). */
lt_status fc_f32_fast_prepare(lt_context *ctx, lt_node *node, fc_state *st,
                              const lt_tensor *weights);
lt_status fc_i8_fast_prepare(lt_context *ctx, lt_node *node, fc_state *st);

#endif
