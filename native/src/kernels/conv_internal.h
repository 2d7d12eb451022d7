/* CONV_2D and DEPTHWISE_CONV_2D internals shared by conv.c (the ops, their checks and the
 * portable kernels) and the SIMD kernels that take over the hot cases (conv_fast.h). */
#ifndef LITERT_KERNELS_CONV_INTERNAL_H
#define LITERT_KERNELS_CONV_INTERNAL_H

#include "conv_common.h"
#include "linear_common.h"

enum { CONV_INPUT = 0, CONV_FILTER = 1, CONV_BIAS = 2 };

/* A sparse 1x1 filter as the kernel reads it, built once at prepare: output channel o owns
 * entries row_ptr[o] .. row_ptr[o + 1] - 1; entry e covers `width` consecutive input
 * channels starting at col[e] (width = B for 1xB blocks along the input channels, else 1),
 * with values values[e * width ...]. Stored zeros are kept, so inf/NaN propagate as in the
 * dense kernel on the densified filter. */
typedef struct conv_sparse {
    int32_t width;
    const int32_t *row_ptr;
    const int32_t *col;
    const float *values;
} conv_sparse;

typedef struct conv_state conv_state;

/* One invoke's operands, shared by the threads. */
typedef struct conv_args {
    const conv_state *st;
    const lt_tensor *in, *filter, *bias;
    lt_tensor *out;
    uint8_t *scratch;   /* the node's scratch: `tasks` slots of st->slot_bytes */
    int64_t pixels;     /* output pixels: batch * out_h * out_w */
    int64_t tasks;      /* pieces the pixels are cut into, one per thread */
    bool by_channels;   /* tasks cut the output channels instead (st->channels_fn) */
    int64_t unit_group; /* by_channels: channel units per cut (whole 64-byte output lines) */
} conv_args;

/* Computes output pixels [p0, p1) (flattened over batch, height, width) with `scratch` of
 * st->slot_bytes to itself. The kernels that cannot be split (hybrid: it quantizes whole
 * batch images first; sparse 1x1) are always called with the whole output. */
typedef void (*conv_fn)(const conv_args *a, void *scratch, int64_t p0, int64_t p1);

/* Computes output pixels [p0, p1) for output channels [c0, c1) only: c0 a multiple of
 * st->channel_unit, c1 one too or out_c. Each output value gets the same arithmetic as
 * conv_fn gives it (int8: exact integer sums), so cutting the channels instead of the
 * pixels does not change the results. */
typedef void (*conv_channels_fn)(const conv_args *a, void *scratch, int64_t p0, int64_t p1,
                                 int32_t c0, int32_t c1);

struct conv_state {
    conv_fn fn;
    conv_geometry g;
    int32_t filter_c;          /* input channels each output channel reads (per group) */
    int32_t out_per_group;     /* CONV_2D: output channels per group */
    int32_t depth_multiplier;  /* DEPTHWISE_CONV_2D */
    bool empty;                /* the output has no elements: nothing to compute */
    linear_activation act;
    linear_quant q;            /* int8 kernels */
    bool hybrid;               /* float input, int8 filter dequantized: run on filter_f32 */
    lt_tensor filter_f32;      /* hybrid: the filter dequantized at prepare; densified: the
                                * sparse filter expanded to dense */
    const float *channel_scale; /* hybrid integer kernels: the filter's scale per channel */
    conv_sparse sparse;        /* sparse 1x1 filter (CONV_2D) */
    bool densified;            /* sparse float32 filter expanded at prepare: run on filter_f32 */
    bool split;                /* fn computes any pixel range: run it on every thread */
    size_t slot_bytes;         /* scratch per thread (split kernels) */
    int64_t work;              /* multiply-adds per invoke, saturated: worth threads? */
    const void *fast;          /* a SIMD kernel's prepared data (packed weights, ...) */
    /* Optional (NULL: pixels only). With few output pixels, cutting them leaves each thread
     * a few row tiles, the last ones partly empty, and every thread streams all weights;
     * cutting the channels (in units of channel_unit) halves both. row_tile: the pixels
     * one kernel call computes, which sets "few". */
    conv_channels_fn channels_fn;
    int32_t channel_unit, row_tile;
};

/* Where an output row segment lies: batch b, output row oy, columns [ox0, ox1). */
typedef struct conv_row {
    int32_t b, oy, ox0, ox1;
} conv_row;

/* Steps through pixels [*p, p1) one output row segment at a time: false when none is left.
 * Every output value is computed by the same arithmetic however the pixels are cut, so
 * results do not depend on the thread count. */
static inline bool conv_next_row(const conv_geometry *g, int64_t p1, int64_t *p, conv_row *row) {
    if (*p >= p1) return false;
    const int64_t r = *p / g->out_w, ox0 = *p % g->out_w;
    const int64_t ox1 = p1 - *p < g->out_w - ox0 ? ox0 + (p1 - *p) : g->out_w;
    row->b = (int32_t)(r / g->out_h);
    row->oy = (int32_t)(r % g->out_h);
    row->ox0 = (int32_t)ox0;
    row->ox1 = (int32_t)ox1;
    *p += ox1 - ox0;
    return true;
}

/* Which kernel family the tensor types select. */
typedef enum { CONV_KIND_F32, CONV_KIND_I8, CONV_KIND_HYBRID } conv_kind;

/* SIMD kernels (conv_fast.c files): called at the end of prepare once the portable kernel
 * is set up (st->fn, st->q for int8, st->slot_bytes). conv2d_f32_fast_prepare reads the
 * weights from `filter` (the node's filter, or the densified copy of a sparse one). When
 * the interpreter's ISA level (lt_ctx_isa) has a faster kernel for this case, they replace
 * st->fn, may set st->fast,
 * st->slot_bytes and node->scratch_bytes (slot_bytes per thread), and keep st->split true;
 * otherwise they leave everything as it is. LT_ERROR only for a failure (memory). */
lt_status conv2d_f32_fast_prepare(lt_context *ctx, lt_node *node, conv_state *st,
                                  const lt_tensor *filter);
lt_status conv2d_i8_fast_prepare(lt_context *ctx, lt_node *node, conv_state *st);
lt_status depthwise_f32_fast_prepare(lt_context *ctx, lt_node *node, conv_state *st);
lt_status depthwise_i8_fast_prepare(lt_context *ctx, lt_node *node, conv_state *st);

#endif
