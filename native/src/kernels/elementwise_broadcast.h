/* NumPy-style broadcasting of two operands, planned once in prepare and run in invoke.
 *
 * The plan drops output dimensions of extent 1 and merges neighbouring dimensions in which
 * each operand either advances or is broadcast in the same way, so that the common cases
 * collapse to a single flat row: same shapes (one row, both operands advance), a scalar
 * operand (one row, that operand fixed), bias-like [N, C] + [C] (N rows). What remains is
 * walked row by row; each row is handed to one of three per-op, per-type row functions
 * (vector-vector, scalar-vector, vector-scalar), which is where the arithmetic lives and
 * what the compiler vectorizes. Used by ADD/SUB/MUL/DIV and PRELU. */
#ifndef LITERT_KERNELS_ELEMENTWISE_BROADCAST_H
#define LITERT_KERNELS_ELEMENTWISE_BROADCAST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../tensor.h"

/* Computes one row of n output elements. `params` is op specific (e.g. an activation clamp). */
typedef void (*lt_bcast_row_fn)(const void *a, const void *b, void *out, int64_t n,
                                const void *params);

typedef struct lt_bcast_rows {
    lt_bcast_row_fn vv; /* out[i] = a[i] (op) b[i] */
    lt_bcast_row_fn sv; /* out[i] = a[0] (op) b[i]: a is one element repeated along the row */
    lt_bcast_row_fn vs; /* out[i] = a[i] (op) b[0]: b is one element repeated along the row */
} lt_bcast_rows;

/* Defines the three row functions NAME##_vv / _sv / _vs and `static const lt_bcast_rows
 * NAME##_rows` for out[i] = FN(params, a, b), with operands of type TIN and results of type
 * TOUT. FN is a function (or function-like macro) taking the row functions' `params`. */
#define LT_BCAST_DEFINE_ROWS(NAME, TIN, TOUT, FN)                                            \
    static void NAME##_vv(const void *a_, const void *b_, void *out_, int64_t n,              \
                          const void *params) {                                               \
        const TIN *a = a_, *b = b_;                                                           \
        TOUT *out = out_;                                                                     \
        for (int64_t i = 0; i < n; i++) out[i] = (TOUT)FN(params, a[i], b[i]);                \
    }                                                                                         \
    static void NAME##_sv(const void *a_, const void *b_, void *out_, int64_t n,              \
                          const void *params) {                                               \
        const TIN a0 = *(const TIN *)a_, *b = b_;                                             \
        TOUT *out = out_;                                                                     \
        for (int64_t i = 0; i < n; i++) out[i] = (TOUT)FN(params, a0, b[i]);                  \
    }                                                                                         \
    static void NAME##_vs(const void *a_, const void *b_, void *out_, int64_t n,              \
                          const void *params) {                                               \
        const TIN *a = a_, b0 = *(const TIN *)b_;                                             \
        TOUT *out = out_;                                                                     \
        for (int64_t i = 0; i < n; i++) out[i] = (TOUT)FN(params, a[i], b0);                  \
    }                                                                                         \
    static const lt_bcast_rows NAME##_rows = {NAME##_vv, NAME##_sv, NAME##_vs};

typedef struct lt_bcast_plan {
    int32_t rank;                    /* merged rank, >= 1 (rank 1 = a single row) */
    int64_t dims[LT_MAX_RANK];       /* merged output extents, outermost first */
    int64_t a_stride[LT_MAX_RANK];   /* element strides of a; 0 where a is broadcast */
    int64_t b_stride[LT_MAX_RANK];   /* element strides of b; 0 where b is broadcast */
    int64_t out_elements;            /* 0: nothing to compute */
} lt_bcast_plan;

/* Plans out = a (op) b, where `out` must be the broadcast of `a` and `b` (see
 * lt_broadcast_shape). False if the shapes are not compatible with `out`. */
bool lt_bcast_plan_init(lt_bcast_plan *plan, const lt_shape *a, const lt_shape *b,
                        const lt_shape *out);

/* Runs the plan: element sizes are in bytes; the row functions get pointers to the start of
 * each row of a, b and out. */
void lt_bcast_run(const lt_bcast_plan *plan, const lt_bcast_rows *rows, const void *params,
                  const void *a, size_t a_elem, const void *b, size_t b_elem, void *out,
                  size_t out_elem);

/* Runs the part of the plan that writes output elements [begin, end) (clipped to
 * [0, out_elements)), with the same arithmetic per element as lt_bcast_run: disjoint ranges
 * can run on different threads and give bit-identical results however the range is cut. */
void lt_bcast_run_range(const lt_bcast_plan *plan, const lt_bcast_rows *rows,
                        const void *params, const void *a, size_t a_elem, const void *b,
                        size_t b_elem, void *out, size_t out_elem, int64_t begin,
                        int64_t end);

#endif
