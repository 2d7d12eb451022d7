/* float32 GEMM on packed weights: the shared piece of the fast CONV_2D, FULLY_CONNECTED and
 * BATCH_MATMUL kernels (conv2d_f32_fast.c, fc_f32_fast.c, batch_matmul.c).
 *
 * What it computes: C[i][j] = clamp(bias[j] + sum_k A[i][k] * W[j][k], lo, hi) for rows i of
 * A (K floats each, any row stride) and output channels j in a range, where W is the op's
 * weights in TensorFlow Lite's layout (one row of K values per output channel).
 *
 * Packed layout (gemm_f32_pack at prepare for weights; gemm_f32_pack_into also at invoke for
 * BATCH_MATMUL's computed right-hand sides). The N output channels are cut into panels of
 * `nr` channels (32 for AVX-512, 16 for AVX2, one vector pair each); the last panel is half
 * as wide (nr / 2) when the channels left fit in it, so that N = 16 or 24 does not pay for a
 * full 32-wide panel. Panel p starts at p * nr * (K + 1) floats (every panel but the last
 * is full) and holds, for its width w: one row of w initial values (the bias, or zeros),
 * then K rows of w weights, row k holding W[p * nr + j][k] for j < w: "K-major", so the
 * micro-kernel reads one contiguous vector pair per k. Channels past N are zeros.
 *
 * Micro-kernels (x86/gemm_f32_avx512.c, x86/gemm_f32_avx2.c): one call computes up to MR
 * rows of one panel over a block of kc weight rows with MR x w accumulators in registers:
 * accumulators start as the panel's bias row (first block) or as the values the previous
 * block stored in C; for each k of the block, acc[i][j] = fma(A[i][k], W[k][j], acc[i][j])
 * (A[i][k] broadcast); then, on the last block, max(lo, .), min(hi, .) ordered so that NaN
 * stays NaN (linear_clamp); then the columns [j0, j1) of the panel are stored (masked:
 * neighbouring columns may belong to another thread). Storing and reloading a float is
 * exact, so each output value is one fused multiply-add chain in k order from the bias,
 * whatever the K blocks, the row tile, the panel range or the number of rows in the call:
 * results do not depend on how threads cut the rows or the channels. They differ from the
 * portable kernels' (eight partial sums, bias added last, no fused multiply-add) only by
 * rounding, within the usual float32 sum bound.
 *
 * Cache blocking (gemm_f32_run): for deep layers (K > GEMM_F32_KC_MAX) K is cut into blocks
 * of at most that many rows, so that a block of A's rows (m x kc) and the panel's block
 * (kc x nr) both stay in L2 while the weights are read once per block of rows: without it a
 * 3x3 conv with 512 input channels (K = 4608) re-read its 9 MB of weights from L3 for every
 * dozen rows (125 GFLOP/s, 161 with it, on a 7x7x512 -> 512 layer).
 *
 * Measured (one core of the development machine, AVX-512, MobileNetV2's 1x1 layers): 180-230
 * GFLOP/s where the operands fit in L2 (14x14 and 28x28 layers), 110-150 on the 112x112 and
 * 56x56 ones (bound by writing the output), about TensorFlow Lite's XNNPACK on each layer. */
#ifndef LITERT_KERNELS_GEMM_F32_H
#define LITERT_KERNELS_GEMM_F32_H

#include <stddef.h>
#include <stdint.h>

#include "kernels.h"

/* Rows [0, mr) (1 <= mr <= the kernel's MR) of one panel over kc weight rows: A row i at
 * a + i * a_stride (kc floats), `w` the block's first weight row in the panel, `init` the
 * panel's bias row or NULL to continue from the values in C, C row i at c + i * c_stride
 * (column 0 of the panel), reading (init NULL) and storing columns [j0, j1) of the panel
 * (j0 < j1 <= its width); the clamp is skipped when lo, hi = -inf, inf. */
typedef void (*gemm_f32_ukernel)(size_t mr, size_t kc, const float *a, size_t a_stride,
                                 const float *w, const float *init, float *c, size_t c_stride,
                                 uint32_t j0, uint32_t j1, float lo, float hi);

/* Multiply-adds below which an op on these kernels stays on one thread. They do 30 to 100
 * multiply-adds per nanosecond, some 30 times the portable kernels that
 * LT_PARALLEL_MIN_WORK was set for, while handing a loop to a worker and waiting for it
 * costs about a microsecond (more when the other core is busy): split at 16 times
 * that, where a thread's half takes several microseconds. */
enum { GEMM_F32_PARALLEL_MIN_WORK = 16 * LT_PARALLEL_MIN_WORK };

/* Largest K taken in one pass (see cache blocking above). */
enum { GEMM_F32_KC_MAX = 512 };

/* im2col's copy: for each of `pixels` pixels p and each of `runs` runs r, copies n floats
 * from src + p * px_step + r * run_step to dst + p * dst_stride + r * n. One call covers a
 * run of output pixels (the runs being a window's rows), since a library memcpy call per
 * short run (9 floats for a 3x3 window over 3 channels) costs more than the copy. */
typedef void (*gemm_f32_gather_fn)(float *dst, size_t dst_stride, const float *src,
                                   size_t px_step, size_t run_step, size_t pixels, size_t runs,
                                   size_t n);

/* One row of A times weights left in TensorFlow Lite's layout (no packing): for j in
 * [0, n), y[j] = clamp(bias[j] + sum_k x[k] * w[j * w_stride + k], lo, hi), bias NULL for
 * none, the clamp skipped when lo, hi = -inf, inf. Each unit's sum is one fixed expression
 * (vector partial sums along k, then a fixed tree over the lanes, then the bias), so a
 * unit's value does not depend on n or on where the range starts. For batch-1 layers,
 * which are bound by reading the weights: the packed GEMM's single row is one FMA chain
 * per output (latency-bound), and packing would give every node its own copy, where an
 * unrolled RNN's steps share one weight tensor that then stays in cache. Reads exactly k
 * floats of x and of each row, n of bias. */
typedef void (*gemm_f32_gemv_fn)(size_t n, size_t k, const float *x, const float *w,
                                 size_t w_stride, const float *bias, float *y, float lo,
                                 float hi);

/* One instruction set's micro-kernels: `full` for full panels (nr wide), `half` for the
 * narrow last panel (nr / 2 wide), each with its own row tile; its im2col copy; and its
 * matrix-vector product on unpacked weights. */
typedef struct gemm_f32_kernels {
    uint32_t nr;
    uint32_t mr_full, mr_half;
    gemm_f32_ukernel full, half;
    gemm_f32_gather_fn gather;
    gemm_f32_gemv_fn gemv;
} gemm_f32_kernels;

/* Packed weights of one op, built at prepare (memory from lt_ctx_alloc). */
typedef struct gemm_f32_packed {
    gemm_f32_kernels ker;
    int64_t k, n;          /* depth and output channels */
    int64_t panels;
    size_t panel_floats;   /* nr * (k + 1): distance between panels */
    const float *data;
} gemm_f32_packed;

/* The micro-kernels for ISA level `isa` (lt_ctx_isa), or false when it has none (portable
 * build, or a level below AVX2). */
bool gemm_f32_kernels_for(int isa, gemm_f32_kernels *out);

/* Sets out's layout fields (not data) for n x k weights and the packed size in floats;
 * false when n or k is not positive or the size overflows. */
bool gemm_f32_layout(const gemm_f32_kernels *ker, int64_t n, int64_t k, gemm_f32_packed *out,
                     size_t *floats);

/* Packs into dst (the floats gemm_f32_layout gave `layout`; every one is written) the weights
 * whose element (output j, depth kk) is float j * n_stride + kk * k_stride of `weights`, and
 * `bias` (n floats, or NULL: zeros). Both are read bytewise (memcpy): a constant tensor's
 * bytes need not be aligned. */
void gemm_f32_pack_into(const gemm_f32_packed *layout, float *dst, const void *weights,
                        size_t n_stride, size_t k_stride, const void *bias);

/* Packs `weights` ([n][k] floats, row-major) and `bias` (n floats or NULL) at prepare into
 * memory from lt_ctx_alloc. LT_ERROR (recorded on ctx) on overflow or out of memory. */
lt_status gemm_f32_pack(lt_context *ctx, const lt_node *node, const gemm_f32_kernels *ker,
                        const void *weights, const void *bias, int64_t n, int64_t k,
                        gemm_f32_packed *out);

/* C rows [0, m) times channels [n0, n1) (0 <= n0 < n1 <= n): for each block of K, every
 * panel meeting the range, each over all m rows in tiles of its kernel's MR (the panel's
 * block stays in cache while A's rows stream by; callers keep m small enough for m rows of
 * A to stay in L2 too: gemm_f32_block_rows). */
void gemm_f32_run(const gemm_f32_packed *p, size_t m, const float *a, size_t a_stride,
                  float *c, size_t c_stride, int64_t n0, int64_t n1, float lo, float hi);

/* Rows per call of gemm_f32_run for rows of k floats: at most 128, and A's block within
 * about 1 MiB (half of a 2 MiB L2, the rest for the weights' block). At least one row. */
size_t gemm_f32_block_rows(int64_t k);

/* Cuts `rows` into blocks of at most `max_rows` (from gemm_f32_block_rows) of nearly equal
 * size, so that e.g. 49 rows with a bound of 48 make two blocks of 25 and 24 rather than
 * 48 and 1: returns the rows of the first block; every block after it has that many or one
 * fewer (call again with the rows left). */
size_t gemm_f32_next_block(size_t rows, size_t max_rows);

/* ---- x86 micro-kernels (x86/gemm_f32_*.c, built only with LITERT_X86_KERNELS) ---------- */
#if defined(LITERT_X86_KERNELS)
/* AVX-512F: 32-wide panels in a 12 x 32 tile, 16-wide ones in 8 x 16. */
enum { GEMM_F32_AVX512_NR = 32, GEMM_F32_AVX512_MR = 12, GEMM_F32_AVX512_MR_HALF = 8 };
void lt_gemm_f32_12x32_avx512(size_t mr, size_t kc, const float *a, size_t a_stride,
                              const float *w, const float *init, float *c, size_t c_stride,
                              uint32_t j0, uint32_t j1, float lo, float hi);
void lt_gemm_f32_8x16_avx512(size_t mr, size_t kc, const float *a, size_t a_stride,
                             const float *w, const float *init, float *c, size_t c_stride,
                             uint32_t j0, uint32_t j1, float lo, float hi);
void lt_gather_f32_avx512(float *dst, size_t dst_stride, const float *src, size_t px_step,
                          size_t run_step, size_t pixels, size_t runs, size_t n);
void lt_gemm_f32_gemv_avx512(size_t n, size_t k, const float *x, const float *w,
                             size_t w_stride, const float *bias, float *y, float lo, float hi);
/* AVX2 + FMA: 16-wide panels in a 6 x 16 tile, 8-wide ones in 12 x 8. */
enum { GEMM_F32_AVX2_NR = 16, GEMM_F32_AVX2_MR = 6, GEMM_F32_AVX2_MR_HALF = 12 };
void lt_gemm_f32_6x16_avx2(size_t mr, size_t kc, const float *a, size_t a_stride,
                           const float *w, const float *init, float *c, size_t c_stride,
                           uint32_t j0, uint32_t j1, float lo, float hi);
void lt_gemm_f32_12x8_avx2(size_t mr, size_t kc, const float *a, size_t a_stride,
                           const float *w, const float *init, float *c, size_t c_stride,
                           uint32_t j0, uint32_t j1, float lo, float hi);
void lt_gather_f32_avx2(float *dst, size_t dst_stride, const float *src, size_t px_step,
                        size_t run_step, size_t pixels, size_t runs, size_t n);
void lt_gemm_f32_gemv_avx2(size_t n, size_t k, const float *x, const float *w, size_t w_stride,
                           const float *bias, float *y, float lo, float hi);
#endif

/* ---- AArch64 NEON micro-kernels (arm/gemm_f32_neon.c, built when LT_NEON_KERNELS) ------ */
#include "arm/neon_build.h"
#if defined(LT_NEON_KERNELS)
/* 16-wide panels in a 4 x 16 tile, 8-wide ones in 8 x 8. */
enum { GEMM_F32_NEON_NR = 16, GEMM_F32_NEON_MR = 4, GEMM_F32_NEON_MR_HALF = 8 };
void lt_gemm_f32_4x16_neon(size_t mr, size_t kc, const float *a, size_t a_stride,
                           const float *w, const float *init, float *c, size_t c_stride,
                           uint32_t j0, uint32_t j1, float lo, float hi);
void lt_gemm_f32_8x8_neon(size_t mr, size_t kc, const float *a, size_t a_stride,
                          const float *w, const float *init, float *c, size_t c_stride,
                          uint32_t j0, uint32_t j1, float lo, float hi);
void lt_gather_f32_neon(float *dst, size_t dst_stride, const float *src, size_t px_step,
                        size_t run_step, size_t pixels, size_t runs, size_t n);
void lt_gemm_f32_gemv_neon(size_t n, size_t k, const float *x, const float *w, size_t w_stride,
                           const float *bias, float *y, float lo, float hi);
#endif

#endif
