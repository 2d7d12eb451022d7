/* Broadcast planning and the row walker shared by the binary element-wise ops (see the
 * header for the idea). */
#include "elementwise_broadcast.h"

/* How a dimension of the output is fed: bit 0 set when a is broadcast along it, bit 1 when b
 * is. Both bits set only happens for extent 1, and those dimensions are dropped. */
enum { FEED_BOTH = 0, FEED_A_BCAST = 1, FEED_B_BCAST = 2 };

/* Extent of operand dimension `i` of a rank-`rank` output, with NumPy's implicit leading 1s. */
static int64_t aligned_dim(const lt_shape *s, int rank, int i) {
    int lead = rank - s->rank;
    return i < lead ? 1 : (int64_t)s->dims[i - lead];
}

bool lt_bcast_plan_init(lt_bcast_plan *plan, const lt_shape *a, const lt_shape *b,
                        const lt_shape *out) {
    const int rank = out->rank;
    if (rank < 0 || rank > LT_MAX_RANK || a->rank < 0 || b->rank < 0 || a->rank > rank ||
        b->rank > rank)
        return false;
    const int64_t total = lt_shape_elements(out);
    if (total < 0) return false;

    int64_t dims[LT_MAX_RANK];
    int feed[LT_MAX_RANK];
    int n = 0;
    for (int i = 0; i < rank; i++) {
        const int64_t ad = aligned_dim(a, rank, i), bd = aligned_dim(b, rank, i);
        const int64_t od = out->dims[i];
        if (ad < 0 || bd < 0) return false;
        /* NumPy: extents must match or one of them be 1; the result takes the other. */
        if (ad != bd && ad != 1 && bd != 1) return false;
        if (od != (ad == 1 ? bd : ad)) return false;
        if (od == 1) continue; /* contributes nothing to the walk */
        const int f = (ad == 1 ? FEED_A_BCAST : 0) | (bd == 1 ? FEED_B_BCAST : 0);
        if (n > 0 && feed[n - 1] == f) {
            dims[n - 1] *= od; /* cannot overflow: bounded by `total` */
        } else {
            dims[n] = od;
            feed[n] = f;
            n++;
        }
    }
    if (n == 0) { /* every extent is 1 (or rank 0): one element */
        dims[0] = 1;
        feed[0] = FEED_BOTH;
        n = 1;
    }

    plan->rank = n;
    plan->out_elements = total;
    int64_t a_run = 1, b_run = 1;
    for (int k = n - 1; k >= 0; k--) {
        plan->dims[k] = dims[k];
        plan->a_stride[k] = (feed[k] & FEED_A_BCAST) ? 0 : a_run;
        plan->b_stride[k] = (feed[k] & FEED_B_BCAST) ? 0 : b_run;
        if (!(feed[k] & FEED_A_BCAST)) a_run *= dims[k];
        if (!(feed[k] & FEED_B_BCAST)) b_run *= dims[k];
    }
    for (int k = n; k < LT_MAX_RANK; k++) {
        plan->dims[k] = 1;
        plan->a_stride[k] = 0;
        plan->b_stride[k] = 0;
    }
    return true;
}

void lt_bcast_run(const lt_bcast_plan *plan, const lt_bcast_rows *rows, const void *params,
                  const void *a, size_t a_elem, const void *b, size_t b_elem, void *out,
                  size_t out_elem) {
    lt_bcast_run_range(plan, rows, params, a, a_elem, b, b_elem, out, out_elem, 0,
                       plan->out_elements);
}

void lt_bcast_run_range(const lt_bcast_plan *plan, const lt_bcast_rows *rows,
                        const void *params, const void *a, size_t a_elem, const void *b,
                        size_t b_elem, void *out, size_t out_elem, int64_t begin,
                        int64_t end) {
    if (begin < 0) begin = 0;
    if (end > plan->out_elements) end = plan->out_elements;
    if (begin >= end) return;
    const int last = plan->rank - 1;
    const int64_t row_len = plan->dims[last];
    /* The innermost dimension is never broadcast for both operands (see plan_init), and the
     * operand that advances along it does so with stride 1 (a_step / b_step below). */
    lt_bcast_row_fn row = rows->vv;
    if (plan->a_stride[last] == 0 && plan->b_stride[last] != 0) row = rows->sv;
    else if (plan->b_stride[last] == 0 && plan->a_stride[last] != 0) row = rows->vs;
    const int64_t a_step = plan->a_stride[last], b_step = plan->b_stride[last];

    const char *a_bytes = a, *b_bytes = b;
    char *out_bytes = out;
    if (last == 0) { /* same shapes, a scalar operand, or any shape that merges to one row */
        row(a_bytes + (size_t)(begin * a_step) * a_elem,
            b_bytes + (size_t)(begin * b_step) * b_elem,
            out_bytes + (size_t)begin * out_elem, end - begin, params);
        return;
    }

    /* Position the odometer over the outer dimensions on the row holding `begin`, carrying
     * the operands' element offsets along; the first and last rows may be partial. */
    int64_t index[LT_MAX_RANK] = {0};
    int64_t a_off = 0, b_off = 0;
    int64_t r = begin / row_len;
    int64_t col = begin % row_len;
    for (int k = last - 1; k >= 0; k--) {
        index[k] = r % plan->dims[k];
        r /= plan->dims[k];
        a_off += index[k] * plan->a_stride[k];
        b_off += index[k] * plan->b_stride[k];
    }
    int64_t pos = begin;
    while (pos < end) {
        int64_t n = row_len - col;
        if (n > end - pos) n = end - pos;
        row(a_bytes + (size_t)(a_off + col * a_step) * a_elem,
            b_bytes + (size_t)(b_off + col * b_step) * b_elem,
            out_bytes + (size_t)pos * out_elem, n, params);
        pos += n;
        col = 0;
        for (int k = last - 1; k >= 0; k--) {
            index[k]++;
            a_off += plan->a_stride[k];
            b_off += plan->b_stride[k];
            if (index[k] < plan->dims[k]) break;
            a_off -= plan->a_stride[k] * plan->dims[k];
            b_off -= plan->b_stride[k] * plan->dims[k];
            index[k] = 0;
        }
    }
}
