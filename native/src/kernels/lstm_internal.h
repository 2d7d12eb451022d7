/* UNIDIRECTIONAL_SEQUENCE_LSTM internals shared by lstm.c (the op: checks, the float32 path,
 * the step loop) and lstm_hybrid.c (the int8-weight products of the hybrid path). */
#ifndef LITERT_KERNELS_LSTM_INTERNAL_H
#define LITERT_KERNELS_LSTM_INTERNAL_H

#include "gemm_f32.h"
#include "gemm_i8.h"
#include "hybrid_fast.h"
#include "linear_common.h"

#if defined(LITERT_X86_KERNELS) || defined(LT_NEON_KERNELS)
#define LSTM_I8_KERNELS 1
#endif

/* Input indices of the op (see lstm.c) and its option field ids. */
enum {
    LSTM_INPUT = 0,
    LSTM_W_X = 1,        /* + gate */
    LSTM_W_H = 5,        /* + gate */
    LSTM_PEEP_I = 9,
    LSTM_PEEP_F = 10,
    LSTM_PEEP_O = 11,
    LSTM_BIAS = 12,      /* + gate */
    LSTM_PROJ_W = 16,
    LSTM_PROJ_B = 17,
    LSTM_OUT_STATE = 18,
    LSTM_CELL_STATE = 19,
    LSTM_LN = 20,        /* + gate */
    LSTM_MAX_INPUTS = 24
};
enum { LSTM_OPT_ACT = 0, LSTM_OPT_CELL_CLIP = 1, LSTM_OPT_PROJ_CLIP = 2, LSTM_OPT_TIME_MAJOR = 3,
       LSTM_OPT_ASYM = 4, LSTM_OPT_DIAGONAL = 5 };

/* Input i, or NULL when absent or beyond the node's inputs (files with 20 inputs). */
static inline const lt_tensor *lstm_input(const lt_node *node, int i) {
    return i < node->n_inputs ? node->inputs[i] : NULL;
}

enum { GATE_I = 0, GATE_F = 1, GATE_C = 2, GATE_O = 3, GATES = 4 };

typedef struct lstm_gate {
    float *bias;        /* n_cell */
    float *peep;        /* n_cell or NULL (never for the cell gate) */
    float *ln;          /* n_cell or NULL */
} lstm_gate;

/* An int8 weight matrix of the hybrid path: plain rows (portable loop), and packed for the
 * SIMD int8 kernels when the ISA has them (kernel != NULL). Both give the exact int32 sums. */
typedef struct lstm_i8mat {
    const int8_t *w;           /* [n][k] */
    int64_t n, k;
#if defined(LSTM_I8_KERNELS)
    gemm_i8_packed packed;
    gemm_i8_fc_fn kernel;
#endif
} lstm_i8mat;

/* out[i] = f(in[i]): sigmoid or tanh, the SIMD versions (act_simd.h: a few ulp from the C
 * library's) when the ISA level has them. */
typedef void (*lstm_act_fn)(const float *in, float *out, int64_t n, float alpha);

typedef struct lstm_plan {
    int64_t steps, batch, n_in, n_cell, n_out;
    int64_t rows;              /* gate values per batch row: n_gates * n_cell */
    int slot[GATES];           /* position of each gate's block in a row of gates, -1: absent */
    bool time_major, cifg, layer_norm, projection, hybrid, asym;
    int act;
    float cell_clip, proj_clip;
    lstm_gate g[GATES];
    float *xinit;              /* [rows]: the input part's start: the biases, or 0 (layer norm) */
    /* float32 */
    float *wx;                 /* [rows][n_in]: the gates' input weights one after another */
    float *wh;                 /* [rows][n_out] */
    float *proj_w;             /* [n_out][n_cell] or NULL */
    float *proj_b;             /* [n_out] or NULL */
    bool fast;
    gemm_f32_kernels ker;
    gemm_f32_packed px;        /* wx and xinit packed for the GEMM over all steps */
    size_t block_rows;
    lstm_act_fn sigmoid, tanh_fn;
    /* hybrid */
    lstm_i8mat mx, mh, mp;     /* the same layouts in int8 */
    float *wx_scale, *wh_scale;/* [rows]: each row's weight scale (its gate's tensor scale) */
    float *proj_scale;         /* [n_out]: the projection's scale, repeated */
    hybrid_minmax_fn minmax;   /* the asymmetric row quantizer (hybrid_fast.h) */
    hybrid_quantize_fn quantize;
    int32_t *rs_x, *rs_h, *rs_p; /* row sums of the int8 weights (asymmetric inputs) */
    /* scratch: byte offsets */
    size_t xg_at;              /* float [steps * batch][rows]: input parts of every step */
    size_t gates_at;           /* float [rows] */
    size_t hid_at;             /* float [n_cell] */
    size_t q_at;               /* int8 [max(n_in, n_out, n_cell)] */
    size_t acc_at;             /* int32 [max(rows, n_out)] */
} lstm_plan;

/* ---- lstm_hybrid.c ------------------------------------------------------------------------ */

/* out[r] = sum of row r's int8 weights (wrapping), the asymmetric inputs' correction. */
void lstm_row_sums(const int8_t *w, int64_t n_rows, int64_t depth, int32_t *out);

/* Packs m (w, n, k set) for the ISA's int8 kernels when it has some; memory from
 * lt_ctx_alloc. LT_ERROR only for a failure (memory, sizes). */
lt_status lstm_i8mat_prepare(lt_context *ctx, const lt_node *node, lstm_i8mat *m);

/* y[j] += (float)(w_j . q(x) - row_sum[j] * zero_point) * (x_scale * w_scale[j]) for the n
 * rows of m, x (m->k values) quantized per the plan's mode into q; accs: m->n int32 of
 * scratch. Adds nothing for an all-zero x, as TensorFlow Lite skips the product then. */
void lstm_matvec_hybrid(const lstm_plan *p, const lstm_i8mat *m, const float *w_scale,
                        const int32_t *rs, const float *x, int8_t *q, int32_t *accs, float *y);

/* ---- lstm_int8.c -------------------------------------------------------------------------- */

/* The full integer form (int8 input, int16 cell state): checks and plan, after lstm.c's
 * common checks (input count, options table, input rank). */
lt_status lstm_int8_prepare(lt_context *ctx, lt_node *node);
lt_status lstm_int8_invoke(lt_context *ctx, lt_node *node);

#endif
