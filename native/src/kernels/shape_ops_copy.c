/* Helpers of the data-movement ops: see shape_ops_copy.h. */
#include "shape_ops_copy.h"

#include <string.h>

bool shape_ops_is_index_type(lt_type type) {
    return type == LT_INT16 || type == LT_INT32 || type == LT_INT64;
}

int64_t shape_ops_index_at(const lt_tensor *t, int64_t i) {
    switch (t->type) {
    case LT_INT16: return ((const int16_t *)t->data)[i];
    case LT_INT32: return ((const int32_t *)t->data)[i];
    case LT_INT64: return ((const int64_t *)t->data)[i];
    default: return 0;
    }
}

void shape_ops_strides(const lt_shape *s, int64_t strides[LT_MAX_RANK]) {
    int64_t stride = 1;
    for (int d = s->rank - 1; d >= 0; d--) {
        strides[d] = stride;
        stride *= s->dims[d];
    }
}

void shape_ops_copy_plan_init(shape_ops_copy_plan *plan, int rank, const int64_t *count,
                              const int64_t *step, int64_t offset, size_t elem) {
    memset(plan, 0, sizeof *plan);
    plan->elem = elem;
    plan->offset = offset * (int64_t)elem;

    /* Keep the dimensions that iterate (extent > 1); any extent 0 means no output at all. */
    int64_t c[LT_MAX_RANK], s[LT_MAX_RANK];
    int n = 0;
    for (int d = 0; d < rank; d++) {
        if (count[d] == 0) {
            plan->empty = true;
            return;
        }
        if (count[d] == 1) continue;
        c[n] = count[d];
        s[n] = step[d];
        n++;
    }

    /* Merge an outer dimension into its inner neighbour when stepping the outer one once is
     * the same as running the inner one off its end: together they walk memory as one. */
    int m = 0;
    for (int d = 0; d < n; d++) {
        if (m > 0 && s[m - 1] == s[d] * c[d]) {
            c[m - 1] *= c[d];
            s[m - 1] = s[d];
        } else {
            c[m] = c[d];
            s[m] = s[d];
            m++;
        }
    }

    if (m == 0) { /* a single element */
        plan->row_elems = 1;
        plan->row_step = (int64_t)elem;
    } else {
        plan->row_elems = c[m - 1];
        plan->row_step = s[m - 1] * (int64_t)elem;
        m--;
    }
    plan->row_contiguous = plan->row_step == (int64_t)elem;
    plan->rank = m;
    for (int d = 0; d < m; d++) {
        plan->count[d] = c[d];
        plan->step[d] = s[d] * (int64_t)elem;
    }
}

/* Copies n elements of `elem` bytes, `step` bytes apart in the source, to a dense dst. The
 * source offset is kept as an integer so no pointer is formed outside the source. */
static void copy_strided_row(const uint8_t *src, int64_t off, int64_t step, int64_t n,
                             size_t elem, uint8_t *dst) {
    switch (elem) {
    case 1:
        for (int64_t j = 0; j < n; j++, off += step) dst[j] = src[off];
        break;
    case 2:
        for (int64_t j = 0; j < n; j++, off += step) memcpy(dst + j * 2, src + off, 2);
        break;
    case 4:
        for (int64_t j = 0; j < n; j++, off += step) memcpy(dst + j * 4, src + off, 4);
        break;
    case 8:
        for (int64_t j = 0; j < n; j++, off += step) memcpy(dst + j * 8, src + off, 8);
        break;
    default:
        for (int64_t j = 0; j < n; j++, off += step)
            memcpy(dst + (size_t)j * elem, src + off, elem);
        break;
    }
}

void shape_ops_copy_run(const shape_ops_copy_plan *plan, const void *src, void *dst) {
    if (plan->empty) return;
    const uint8_t *s = src;
    uint8_t *d = dst;
    const size_t row_bytes = (size_t)plan->row_elems * plan->elem;
    int64_t idx[LT_MAX_RANK] = {0};
    int64_t off = plan->offset;
    for (;;) {
        if (plan->row_contiguous)
            memcpy(d, s + off, row_bytes);
        else
            copy_strided_row(s, off, plan->row_step, plan->row_elems, plan->elem, d);
        d += row_bytes;

        /* Odometer over the outer dimensions, innermost fastest. */
        int k = plan->rank - 1;
        for (; k >= 0; k--) {
            off += plan->step[k];
            if (++idx[k] < plan->count[k]) break;
            off -= plan->step[k] * plan->count[k];
            idx[k] = 0;
        }
        if (k < 0) return;
    }
}
