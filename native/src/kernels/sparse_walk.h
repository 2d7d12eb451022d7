/* Walks a sparse constant (lt_sparsity, verified at load) in storage order, giving for each
 * stored value the row-major offset of its element in the dense tensor. Used once per plan
 * by DENSIFY and by FULLY_CONNECTED's prepare; it allocates nothing. */
#ifndef LITERT_KERNELS_SPARSE_WALK_H
#define LITERT_KERNELS_SPARSE_WALK_H

#include <stdint.h>

#include "kernels.h"

/* Called with the index of the stored value (0, 1, 2, ... in order) and its dense offset. */
typedef void (*lt_sparse_visit)(void *user, int64_t value, int64_t dense_offset);

/* Positions of level l under parent position p: [cursor, end); base = the first. */
static inline void lt_sparse_open(const lt_sparsity *sp, int32_t l, int64_t p, int64_t *cursor,
                                  int64_t *end, int64_t *base) {
    const lt_sparse_level *lv = &sp->levels[l];
    if (lv->sparse) {
        cursor[l] = lv->segments[p];
        end[l] = lv->segments[p + 1];
    } else {
        cursor[l] = p * (int64_t)lv->size;
        end[l] = cursor[l] + lv->size;
    }
    base[l] = cursor[l];
}

/* Walks the levels depth first with an explicit stack: at each level, `cursor` is the next
 * position to visit and `end` one past the last position under the current parent. For a
 * DENSE level the positions under parent p are p * size .. p * size + size - 1 (index =
 * position - p * size); for a SPARSE_CSR level they are segments[p] .. segments[p + 1] - 1
 * (index = indices[position]). The position reached at the last level is the value's index,
 * because the load-time checks make the walk visit the positions of every level in order. */
static inline void lt_sparse_walk(const lt_sparsity *sp, const lt_shape *dense,
                                  lt_sparse_visit visit, void *user) {
    const int32_t levels = sp->n_levels, n = sp->rank;
    int64_t cursor[LT_MAX_SPARSE_LEVELS], end[LT_MAX_SPARSE_LEVELS], base[LT_MAX_SPARSE_LEVELS];
    int64_t coord[LT_MAX_SPARSE_LEVELS]; /* index along each expanded dimension */
    int64_t stride[LT_MAX_RANK];
    int64_t s = 1;
    for (int32_t d = n - 1; d >= 0; d--) {
        stride[d] = s;
        s *= dense->dims[d];
    }
    int32_t l = 0;
    lt_sparse_open(sp, 0, 0, cursor, end, base);
    while (l >= 0) {
        if (cursor[l] == end[l]) { /* level exhausted: back to the parent */
            l--;
            if (l >= 0) cursor[l]++;
            continue;
        }
        const lt_sparse_level *lv = &sp->levels[l];
        coord[lv->dim] = lv->sparse ? lv->indices[cursor[l]] : cursor[l] - base[l];
        if (l + 1 < levels) {
            lt_sparse_open(sp, l + 1, cursor[l], cursor, end, base);
            l++;
            continue;
        }
        int64_t offset = 0;
        for (int32_t d = 0; d < n; d++) {
            int64_t c = coord[d];
            for (int32_t j = 0; j < sp->n_blocks; j++)
                if (sp->block_map[j] == d) c = c * sp->block_size[j] + coord[n + j];
            offset += c * stride[d];
        }
        visit(user, cursor[l], offset);
        cursor[l]++;
    }
}

#endif
