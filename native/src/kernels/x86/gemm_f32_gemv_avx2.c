/* float32 matrix-vector product on row-major weights for AVX2 + FMA (contract:
 * ../gemm_f32.h, gemm_f32_gemv_fn).
 *
 * Eight units at a time: eight accumulators, one per unit (eight independent FMA chains),
 * each summing 8-lane slices of its weight row times the same slice of x; then a
 * transposing tree folds them into one vector of eight sums, adding the upper half of every
 * unit's lanes to its lower half at each step, so that every unit's sum is the same
 * expression of its lanes whatever its position in the group (lane i after step 1 is
 * l_i + l_{i+4}, after step 2 that plus the same for i + 2, after step 3 for i + 1). A group
 * with fewer than eight units repeats its last row in the missing places and stores only its
 * own units, so each unit's value does not depend on where a thread's range starts. Rows that
 * all start at the same distance from a 32-byte boundary are read in aligned vectors
 * (group_aligned). */
#include <immintrin.h>
#include <math.h>

#include "../gemm_f32.h"

/* Lanes [0, count) of a maskload/maskstore mask (count <= 8). */
static inline __m256i lanes_below(size_t count) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)count),
                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* The sums of the eight accumulators' lanes, unit u in lane u. */
static inline __m256 reduce8(const __m256 acc[8]) {
    __m256 b[4], c[2];
    /* b[u]: unit 2u in the low 128 bits, unit 2u + 1 in the high ones, l_i + l_{i+4} */
    for (int u = 0; u < 4; u++)
        b[u] = _mm256_add_ps(_mm256_permute2f128_ps(acc[2 * u], acc[2 * u + 1], 0x20),
                             _mm256_permute2f128_ps(acc[2 * u], acc[2 * u + 1], 0x31));
    /* c[v], each half: [x0 + x2, x1 + x3, z0 + z2, z1 + z3] with x from b[2v], z from
     * b[2v + 1]: low half units 4v, 4v + 2; high half units 4v + 1, 4v + 3 */
    for (int v = 0; v < 2; v++)
        c[v] = _mm256_add_ps(_mm256_shuffle_ps(b[2 * v], b[2 * v + 1], 0x44),
                             _mm256_shuffle_ps(b[2 * v], b[2 * v + 1], 0xEE));
    /* s, low half: units 0, 2, 4, 6; high half: units 1, 3, 5, 7 */
    const __m256 s = _mm256_add_ps(_mm256_shuffle_ps(c[0], c[1], 0x88),
                                   _mm256_shuffle_ps(c[0], c[1], 0xDD));
    return _mm256_permutevar8x32_ps(s, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

/* Loads lanes m (a maskload mask) of a vector at integer address `a`; lanes outside m are
 * not accessed. The address may lie before the row it serves (an aligned start), so it is
 * carried as an integer rather than formed as an out-of-range pointer. */
static inline __m256 load_lanes(__m256i m, uintptr_t a) {
    return _mm256_maskload_ps((const float *)a, m);
}

/* The accumulators of one group over the rows' k floats, each lane i summing the products
 * of k = i, i + 8, ... in order. */
static inline void group_unaligned(size_t k, const float *x, const float *const row[8],
                                   __m256 acc[8]) {
    const size_t k_full = k & ~(size_t)7;
    size_t p = 0;
    for (; p < k_full; p += 8) {
        const __m256 xv = _mm256_loadu_ps(x + p);
        for (int u = 0; u < 8; u++)
            acc[u] = _mm256_fmadd_ps(_mm256_loadu_ps(row[u] + p), xv, acc[u]);
    }
    if (k > k_full) { /* masked: reads k floats of each row and of x, no more */
        const __m256i k_mask = lanes_below(k - k_full);
        const __m256 xv = _mm256_maskload_ps(x + p, k_mask);
        for (int u = 0; u < 8; u++)
            acc[u] = _mm256_fmadd_ps(_mm256_maskload_ps(row[u] + p, k_mask), xv, acc[u]);
    }
}

/* The same sums when every row starts `off` floats (1..7) past a 32-byte boundary: rows read
 * in aligned vectors (none crossing a cache line) and x at the same shift, lanes outside
 * [0, k) masked off in the first and last vectors. Each accumulator is then
 * group_unaligned's rotated by `off` lanes, which reduce8 does not see: each of its steps
 * adds lanes a fixed distance apart (4, 2, 1) within blocks that distance divides, pairing
 * the same lanes in any rotation, the operands merely trading places (exact). Results do not
 * depend on the alignment, up to the sign of a zero (a masked step adds +0). */
static inline void group_aligned(size_t k, size_t off, const float *x,
                                 const float *const row[8], __m256 acc[8]) {
    const size_t chunks = (off + k + 7) / 8;
    const uintptr_t xa = (uintptr_t)x - off * sizeof(float);
    const __m256i all = _mm256_set1_epi32(-1);
    const __m256i first = _mm256_andnot_si256(lanes_below(off), all);
    const size_t tail = (off + k) % 8; /* lanes of the last vector in the row, 0: all */
    const __m256i last = tail == 0 ? all : lanes_below(tail);
    uintptr_t ra[8];
    for (int u = 0; u < 8; u++) ra[u] = (uintptr_t)row[u] - off * sizeof(float);
    if (chunks == 1) {
        const __m256i m = _mm256_and_si256(first, last);
        const __m256 xv = load_lanes(m, xa);
        for (int u = 0; u < 8; u++) acc[u] = _mm256_fmadd_ps(load_lanes(m, ra[u]), xv, acc[u]);
        return;
    }
    __m256 xv = load_lanes(first, xa);
    for (int u = 0; u < 8; u++) acc[u] = _mm256_fmadd_ps(load_lanes(first, ra[u]), xv, acc[u]);
    const float *xp = (const float *)(xa + 32);
    const float *rp[8];
    for (int u = 0; u < 8; u++) rp[u] = (const float *)(ra[u] + 32);
    for (size_t c = 1; c + 1 < chunks; c++, xp += 8) {
        xv = _mm256_loadu_ps(xp);
        for (int u = 0; u < 8; u++) {
            acc[u] = _mm256_fmadd_ps(_mm256_load_ps(rp[u]), xv, acc[u]);
            rp[u] += 8;
        }
    }
    xv = _mm256_maskload_ps(xp, last);
    for (int u = 0; u < 8; u++)
        acc[u] = _mm256_fmadd_ps(_mm256_maskload_ps(rp[u], last), xv, acc[u]);
}

void lt_gemm_f32_gemv_avx2(size_t n, size_t k, const float *x, const float *w, size_t w_stride,
                           const float *bias, float *y, float lo, float hi) {
    const bool clamp = !(lo == -INFINITY && hi == INFINITY);
    const __m256 vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
    /* every row at the same shift from a 32-byte boundary (floats aligned to 4 bytes, as
     * constants and arena tensors are) */
    const size_t off = ((uintptr_t)w / sizeof(float)) % 8;
    const bool aligned_loads = off != 0 && (uintptr_t)w % sizeof(float) == 0 &&
                               w_stride % 8 == 0;
    for (size_t j = 0; j < n; j += 8) {
        const size_t g = n - j < 8 ? n - j : 8;
        const float *row[8];
        for (size_t u = 0; u < 8; u++) row[u] = w + (j + (u < g ? u : g - 1)) * w_stride;
        __m256 acc[8];
        for (int u = 0; u < 8; u++) acc[u] = _mm256_setzero_ps();
        if (aligned_loads)
            group_aligned(k, off, x, row, acc);
        else
            group_unaligned(k, x, row, acc);
        const __m256i out_mask = lanes_below(g);
        __m256 r = reduce8(acc);
        if (bias != NULL) r = _mm256_add_ps(_mm256_maskload_ps(bias + j, out_mask), r);
        /* max(lo, x) then min(hi, x): x wins when either is NaN (linear_clamp's order) */
        if (clamp) r = _mm256_min_ps(vhi, _mm256_max_ps(vlo, r));
        _mm256_maskstore_ps(y + j, out_mask, r);
    }
}
