/* Shared by the data-movement ops (RESHAPE, SQUEEZE, PAD, TRANSPOSE, STRIDED_SLICE, GATHER,
 * RESIZE_NEAREST_NEIGHBOR): reading integer argument tensors, and a planned N-d gather copy.
 *
 * These ops never look at element values, only at their size in bytes, so one kernel serves
 * float32, int8, bool, float16 and the rest. The copy plan is built once in prepare and run
 * in invoke without allocation. */
#ifndef LITERT_KERNELS_SHAPE_OPS_COPY_H
#define LITERT_KERNELS_SHAPE_OPS_COPY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../tensor.h"

/* True for the integer types index-like arguments may have (INT16, INT32, INT64). */
bool shape_ops_is_index_type(lt_type type);

/* Element i of an INT16/INT32/INT64 tensor as int64 (0 for any other type; callers check the
 * type first with shape_ops_is_index_type). */
int64_t shape_ops_index_at(const lt_tensor *t, int64_t i);

/* Row-major element strides of a shape (strides[rank-1] = 1). The shape's element count must
 * already be known to fit (it is, for any tensor the interpreter holds). */
void shape_ops_strides(const lt_shape *s, int64_t strides[LT_MAX_RANK]);

/* Copies a strided view of `src` into a dense `dst`:
 *
 *   for every index (i0, .., ik) of `count`, in row-major order:
 *       *dst++ = src[offset + i0 * step[0] + .. + ik * step[k]]
 *
 * with `offset` and `step` in elements (steps may be negative or zero). Planning drops
 * extent-1 dimensions, merges dimensions that walk memory as one, and turns a unit-step
 * innermost dimension into a single memcpy per row. */
typedef struct shape_ops_copy_plan {
    int32_t rank;                  /* outer dimensions walked one by one (0: a single row) */
    int64_t count[LT_MAX_RANK];    /* their extents */
    int64_t step[LT_MAX_RANK];     /* their source steps, in bytes */
    int64_t offset;                /* source byte offset of the first element */
    int64_t row_elems;             /* elements per innermost row */
    int64_t row_step;              /* source step between elements of a row, in bytes */
    size_t elem;                   /* bytes per element */
    bool row_contiguous;           /* row_step == elem: copy rows with memcpy */
    bool empty;                    /* nothing to copy */
} shape_ops_copy_plan;

void shape_ops_copy_plan_init(shape_ops_copy_plan *plan, int rank, const int64_t *count,
                              const int64_t *step, int64_t offset, size_t elem);
void shape_ops_copy_run(const shape_ops_copy_plan *plan, const void *src, void *dst);

#endif
