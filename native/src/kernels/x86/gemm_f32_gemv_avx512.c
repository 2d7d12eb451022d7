/* float32 matrix-vector product on row-major weights for AVX-512F (contract: ../gemm_f32.h,
 * gemm_f32_gemv_fn).
 *
 * Sixteen units at a time: sixteen accumulators, one per unit, each summing 16-lane slices
 * of its weight row times the same slice of x (sixteen independent FMA chains: enough for
 * two FMA units with four cycles of latency). The sixteen accumulators are then folded into
 * one vector of sixteen sums by a transposing tree: each step adds the upper half of every
 * unit's lanes to its lower half while packing two accumulators into one vector, so every
 * unit's sum is the same expression of its lanes whatever its position in the group:
 *     sum = ((s0 + s2) + (s1 + s3)),  s_i = (t_i + t_{i+4}),  t_i = (l_i + l_{i+8}) ...
 * (precisely: lane i after step 1 is l_i + l_{i+8}, after step 2 that plus the same for
 * i + 4, after step 3 for i + 2, after step 4 for i + 1). A group with fewer than sixteen
 * units repeats its last row in the missing places and stores only its own units, so each
 * unit's value does not depend on where a thread's range starts. Rows that all start at the
 * same distance from a 64-byte boundary are read in aligned vectors (group_aligned). */
#include <immintrin.h>
#include <math.h>

#include "../gemm_f32.h"

/* Adds lanes [8, 16) of a to lanes [0, 8) of a, and the same for b: the result holds a's
 * eight sums in 128-bit blocks 0-1 and b's in blocks 2-3. */
static inline __m512 fold_256(__m512 a, __m512 b) {
    return _mm512_add_ps(_mm512_shuffle_f32x4(a, b, 0x44), _mm512_shuffle_f32x4(a, b, 0xEE));
}

/* Inputs hold two units each (blocks 0-1 and 2-3, lanes i and i + 4 of a unit in blocks
 * 2u and 2u + 1): adds the second block of each unit to its first, giving a's two units in
 * blocks 0-1 and b's in blocks 2-3, four lanes each. */
static inline __m512 fold_128(__m512 a, __m512 b) {
    return _mm512_add_ps(_mm512_shuffle_f32x4(a, b, 0x88), _mm512_shuffle_f32x4(a, b, 0xDD));
}

/* Within every 128-bit block: [a0 + a2, a1 + a3, b0 + b2, b1 + b3]. */
static inline __m512 fold_64(__m512 a, __m512 b) {
    return _mm512_add_ps(_mm512_shuffle_ps(a, b, 0x44), _mm512_shuffle_ps(a, b, 0xEE));
}

/* Within every 128-bit block: [a0 + a1, a2 + a3, b0 + b1, b2 + b3]. */
static inline __m512 fold_32(__m512 a, __m512 b) {
    return _mm512_add_ps(_mm512_shuffle_ps(a, b, 0x88), _mm512_shuffle_ps(a, b, 0xDD));
}

/* The sums of the sixteen accumulators' lanes, unit u in lane u. */
static inline __m512 reduce16(const __m512 acc[16]) {
    __m512 b[8], c[4], d[2];
    for (int u = 0; u < 8; u++) b[u] = fold_256(acc[2 * u], acc[2 * u + 1]);
    /* b[u]: units 2u (blocks 0-1) and 2u + 1 (blocks 2-3), eight lanes each */
    for (int v = 0; v < 4; v++) c[v] = fold_128(b[2 * v], b[2 * v + 1]);
    /* c[v]: unit 4v + q in block q, four lanes */
    for (int w = 0; w < 2; w++) d[w] = fold_64(c[2 * w], c[2 * w + 1]);
    /* d[w], block q: unit 8w + q in lanes 0-1, unit 8w + 4 + q in lanes 2-3 */
    const __m512 s = fold_32(d[0], d[1]);
    /* s, block q: units q, 4 + q, 8 + q, 12 + q: unit u sits in lane 4 * (u % 4) + u / 4 */
    const __m512i order =
        _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    return _mm512_permutexvar_ps(order, s);
}

/* Loads lanes m of a vector at integer address `a` (lanes outside m are not accessed). The
 * address may lie before the row it serves (an aligned start), so it is carried as an
 * integer rather than formed as an out-of-range pointer. */
static inline __m512 load_lanes(__mmask16 m, uintptr_t a) {
    return _mm512_maskz_loadu_ps(m, (const void *)a);
}

/* The accumulators of one group over the rows' k floats, each lane i summing the products
 * of k = i, i + 16, ... in order. */
static inline void group_unaligned(size_t k, const float *x, const float *const row[16],
                                   __m512 acc[16]) {
    const size_t k_full = k & ~(size_t)15;
    const __mmask16 k_mask = (__mmask16)((1u << (k - k_full)) - 1u);
    size_t p = 0;
    for (; p < k_full; p += 16) {
        const __m512 xv = _mm512_loadu_ps(x + p);
        for (int u = 0; u < 16; u++)
            acc[u] = _mm512_fmadd_ps(_mm512_loadu_ps(row[u] + p), xv, acc[u]);
    }
    if (k_mask != 0) { /* masked: reads k floats of each row and of x, no more */
        const __m512 xv = _mm512_maskz_loadu_ps(k_mask, x + p);
        for (int u = 0; u < 16; u++)
            acc[u] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(k_mask, row[u] + p), xv, acc[u]);
    }
}

/* The same sums when every row starts `off` floats (1..15) past a 64-byte boundary: the
 * rows are read in aligned vectors (a 64-byte load across two cache lines costs about twice
 * one within a line, which made this kernel up to 1.5x slower on TensorFlow Lite's 16-byte
 * aligned buffers) and x at the same shift, lanes outside [0, k) masked off (first and last
 * vectors). Lane j then sums k = j - off, j - off + 16, ... (mod 16) in the same order, so
 * each accumulator is group_unaligned's rotated by `off` lanes. reduce16 does not see the
 * rotation: each step adds lanes a fixed distance apart (8, 4, 2, 1) within blocks whose
 * size that distance divides, which pairs the same lanes in any rotation, and the two
 * operands of each addition merely trade places (exact). Results therefore do not depend
 * on the alignment, up to the sign of a zero (a masked step adds +0). */
static inline void group_aligned(size_t k, size_t off, const float *x,
                                 const float *const row[16], __m512 acc[16]) {
    const size_t chunks = (off + k + 15) / 16;
    const uintptr_t xa = (uintptr_t)x - off * sizeof(float);
    uintptr_t ra[16];
    for (int u = 0; u < 16; u++) ra[u] = (uintptr_t)row[u] - off * sizeof(float);
    /* lanes j of vector c with 0 <= 16c + j - off < k: the first and last vectors masked */
    const __mmask16 first = (__mmask16)(0xFFFFu << off);
    const size_t tail = (off + k) % 16; /* lanes of the last vector in the row, 0: all */
    const __mmask16 last = tail == 0 ? (__mmask16)0xFFFF : (__mmask16)((1u << tail) - 1u);
    if (chunks == 1) {
        const __mmask16 m = first & last;
        const __m512 xv = load_lanes(m, xa);
        for (int u = 0; u < 16; u++) acc[u] = _mm512_fmadd_ps(load_lanes(m, ra[u]), xv, acc[u]);
    } else {
        __m512 xv = load_lanes(first, xa);
        for (int u = 0; u < 16; u++)
            acc[u] = _mm512_fmadd_ps(load_lanes(first, ra[u]), xv, acc[u]);
        const float *xp = (const float *)(xa + 64);
        const float *rp[16];
        for (int u = 0; u < 16; u++) rp[u] = (const float *)(ra[u] + 64);
        for (size_t c = 1; c + 1 < chunks; c++, xp += 16) {
            xv = _mm512_loadu_ps(xp);
            for (int u = 0; u < 16; u++) {
                acc[u] = _mm512_fmadd_ps(_mm512_load_ps(rp[u]), xv, acc[u]);
                rp[u] += 16;
            }
        }
        xv = _mm512_maskz_loadu_ps(last, xp);
        for (int u = 0; u < 16; u++)
            acc[u] = _mm512_fmadd_ps(_mm512_maskz_load_ps(last, rp[u]), xv, acc[u]);
    }
}

void lt_gemm_f32_gemv_avx512(size_t n, size_t k, const float *x, const float *w,
                             size_t w_stride, const float *bias, float *y, float lo,
                             float hi) {
    const bool clamp = !(lo == -INFINITY && hi == INFINITY);
    const __m512 vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
    /* every row at the same shift from a 64-byte boundary (and floats aligned to 4 bytes,
     * as constants and arena tensors are) */
    const size_t off = ((uintptr_t)w / sizeof(float)) % 16;
    const bool aligned_loads = off != 0 && (uintptr_t)w % sizeof(float) == 0 &&
                               w_stride % 16 == 0;
    for (size_t j = 0; j < n; j += 16) {
        const size_t g = n - j < 16 ? n - j : 16;
        const float *row[16];
        for (size_t u = 0; u < 16; u++) row[u] = w + (j + (u < g ? u : g - 1)) * w_stride;
        __m512 acc[16];
        for (int u = 0; u < 16; u++) acc[u] = _mm512_setzero_ps();
        if (aligned_loads)
            group_aligned(k, off, x, row, acc);
        else
            group_unaligned(k, x, row, acc);
        const __mmask16 out_mask = (__mmask16)((1u << g) - 1u);
        __m512 r = reduce16(acc);
        if (bias != NULL) r = _mm512_add_ps(_mm512_maskz_loadu_ps(out_mask, bias + j), r);
        /* max(lo, x) then min(hi, x): x wins when either is NaN (linear_clamp's order) */
        if (clamp) r = _mm512_min_ps(vhi, _mm512_max_ps(vlo, r));
        _mm512_mask_storeu_ps(y + j, out_mask, r);
    }
}
