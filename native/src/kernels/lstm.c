/* UNIDIRECTIONAL_SEQUENCE_LSTM: a whole LSTM layer over a sequence, as TensorFlow's converter
 * emits it for Keras LSTM layers (and for each direction of a Bidirectional one).
 *
 * Inputs (24; files of the op's first versions stop at 20, without layer norm):
 *   0 input [batch, time, n_input] ([time, batch, n_input] with time_major)
 *   1-4 input weights of the gates i, f, c, o: [n_cell, n_input] (i absent: CIFG)
 *   5-8 recurrent weights i, f, c, o: [n_cell, n_output] (i absent with CIFG)
 *   9-11 peephole weights i, f, o: [n_cell] (optional; i absent with CIFG)
 *   12-15 gate biases i, f, c, o: [n_cell] (i absent with CIFG)
 *   16, 17 projection weights [n_output, n_cell] and bias [n_output] (optional)
 *   18, 19 output state [batch, n_output] and cell state [batch, n_cell]: variable tensors
 *   20-23 layer norm coefficients i, f, c, o: [n_cell] (optional; i absent with CIFG)
 * Output 0: [batch, time, n_output] (time_major: [time, batch, n_output]).
 *
 * Each step, for each batch row (TensorFlow Lite's lstm_eval.cc, float and hybrid):
 *   gate_g = bias_g + W_g x + R_g h (+ p_g .* c for i, f with the old c)
 *            with layer norm: normalize(W_g x + R_g h (+ p_g .* c)) .* ln_g + bias_g
 *   i, f = sigmoid(.), g = act(.), c = clip(f .* c + g .* i)   (CIFG: i = 1 - f)
 *   o = sigmoid(gate_o (+ p_o .* c with the new c)), h' = o .* act(c)
 *   h = clip(P h' + proj_bias) with a projection, else h'; output row = h.
 * The state tensors are updated in place and, as in TensorFlow Lite, keep their values from
 * one invoke to the next (the interpreter owns their memory; zeros at creation).
 *
 * Speed: the input part W x + bias does not depend on the state, so it is computed for all
 * the steps at once before the recurrence (one GEMM over time * batch rows on the packed
 * weights of the four gates side by side); each step then only adds R h (one matrix-vector
 * product over the four gates' recurrent weights, also side by side).
 *
 * Both products are split over the threads when large enough (the same values for any
 * cut). Sigmoid and tanh use the SIMD versions of act_simd.h where the ISA has them (a few
 * ulp from the C library's expf / tanhf, which the portable build uses like TensorFlow
 * Lite's kernel).
 *
 * Hybrid (dynamic range: float input and states, int8 weights with one scale each): every
 * input row, state row and projected row is quantized to int8 at each use (asymmetric per
 * row, or symmetric when the op does not set asymmetric_quantize_inputs), accumulated in
 * int32 and scaled back with gate += (float)(acc - row_sum * zero_point) * (row_scale *
 * weight_scale), the order of TensorFlow Lite's kernel: lstm_hybrid.c.
 *
 * Full integer (int8 input, output and output state, int16 cell state: TensorFlow Lite's
 * "8x8_16" form): lstm_int8.c, bit-exact with TensorFlow Lite's integer kernel.
 *
 * Not supported (rejected at prepare): diagonal_recurrent_tensors, weights computed at run
 * time; in the int8 form also CIFG, peephole, layer norm and projection. The
 * activation NONE computes the identity; TensorFlow Lite's float kernel leaves its buffers
 * unwritten for it (its ApplyActivationToVector returns early), so its output differs. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../alloc.h"
#include "act_simd.h"
#include "lstm_internal.h"

static const char *const gate_names[GATES] = {"input", "forget", "cell", "output"};

enum { OPT_ACT = LSTM_OPT_ACT, OPT_CELL_CLIP = LSTM_OPT_CELL_CLIP, OPT_PROJ_CLIP = LSTM_OPT_PROJ_CLIP,
       OPT_TIME_MAJOR = LSTM_OPT_TIME_MAJOR, OPT_ASYM = LSTM_OPT_ASYM,
       OPT_DIAGONAL = LSTM_OPT_DIAGONAL };

/* ---- prepare ------------------------------------------------------------------------------ */

static const lt_tensor *opt_input(const lt_node *node, int i) { return lstm_input(node, i); }

/* Checks a vector input ([n] float32, or int8 per-tensor for hybrid peepholes) and copies
 * it, dequantized, into plan memory (constants in the file need not be aligned). */
static lt_status take_vector(lt_context *ctx, const lt_node *node, int i, const char *what,
                             int64_t n, bool allow_int8, float **out) {
    const lt_tensor *t = node->inputs[i];
    char buf[96];
    if (!t->is_constant)
        return lt_ctx_error(ctx, node, "%s '%s' is computed at run time; expected a constant "
                            "tensor", what, t->name);
    if (t->shape.rank != 1 || t->shape.dims[0] != n)
        return lt_ctx_error(ctx, node, "%s '%s' has shape %s; expected [%lld]", what, t->name,
                            lt_shape_str(&t->shape, buf, sizeof buf), (long long)n);
    if (t->bytes < (size_t)n * lt_type_size(t->type))
        return lt_ctx_error(ctx, node, "%s '%s' holds %zu bytes; expected %lld values", what,
                            t->name, t->bytes, (long long)n);
    float *v = lt_ctx_alloc(ctx, node, (size_t)n * sizeof(float));
    if (v == NULL) return LT_ERROR;
    if (t->type == LT_FLOAT32) {
        memcpy(v, t->data, (size_t)n * sizeof(float));
    } else if (t->type == LT_INT8 && allow_int8) {
        if (t->quant.count != 1)
            return lt_ctx_error(ctx, node, "int8 %s '%s' has %d scales; expected one (per "
                                "tensor)", what, t->name, (int)t->quant.count);
        const float s = t->quant.scale[0];
        const int8_t *q = lt_i8(t);
        for (int64_t k = 0; k < n; k++) v[k] = s * (float)q[k];
    } else {
        return lt_ctx_error(ctx, node, "%s '%s' has type %s; expected FLOAT32%s", what,
                            t->name, lt_type_name(t->type), allow_int8 ? " or INT8" : "");
    }
    *out = v;
    return LT_OK;
}

/* Checks a weight matrix [n_rows, depth] of the expected type (FLOAT32, or INT8 with one
 * scale and zero point 0 for hybrid) and copies it to dst (float or int8 by type). */
static lt_status take_matrix(lt_context *ctx, const lt_node *node, int i, const char *what,
                             int64_t n_rows, int64_t depth, bool hybrid, void *dst,
                             float *scale) {
    const lt_tensor *t = node->inputs[i];
    char buf[96];
    const lt_type want = hybrid ? LT_INT8 : LT_FLOAT32;
    if (t->type != want)
        return lt_ctx_error(ctx, node, "%s '%s' has type %s; expected %s like the input "
                            "forget-gate weights", what, t->name, lt_type_name(t->type),
                            lt_type_name(want));
    if (!t->is_constant)
        return lt_ctx_error(ctx, node, "%s '%s' is computed at run time; expected constant "
                            "weights", what, t->name);
    if (t->shape.rank != 2 || t->shape.dims[0] != n_rows || t->shape.dims[1] != depth)
        return lt_ctx_error(ctx, node, "%s '%s' has shape %s; expected [%lld, %lld]", what,
                            t->name, lt_shape_str(&t->shape, buf, sizeof buf),
                            (long long)n_rows, (long long)depth);
    const size_t n = (size_t)(n_rows * depth);
    if (t->bytes < n * lt_type_size(t->type))
        return lt_ctx_error(ctx, node, "%s '%s' holds %zu bytes; expected %zu values", what,
                            t->name, t->bytes, n);
    if (hybrid) {
        const lt_quant *q = &t->quant;
        if (q->count != 1 || !(isfinite(q->scale[0]) && q->scale[0] > 0.0f) ||
            q->zero_point[0] != 0)
            return lt_ctx_error(ctx, node, "int8 %s '%s' must have one finite scale > 0 and "
                                "zero point 0 (per-tensor symmetric quantization)", what,
                                t->name);
        *scale = q->scale[0];
        memcpy(dst, t->data, n);
    } else {
        memcpy(dst, t->data, n * sizeof(float));
    }
    return LT_OK;
}

static void sigmoid_portable(const float *in, float *out, int64_t n, float alpha) {
    (void)alpha;
    for (int64_t i = 0; i < n; i++) out[i] = 1.0f / (1.0f + expf(-in[i]));
}

static void tanh_portable(const float *in, float *out, int64_t n, float alpha) {
    (void)alpha;
    for (int64_t i = 0; i < n; i++) out[i] = tanhf(in[i]);
}

static void pick_activations(const lt_context *ctx, lstm_plan *p) {
    p->sigmoid = sigmoid_portable;
    p->tanh_fn = tanh_portable;
#if defined(LITERT_X86_KERNELS)
    const int isa = lt_ctx_isa(ctx);
    if (isa >= LT_ISA_AVX2) {
        const lt_act_f32_fn *t = isa >= LT_ISA_AVX512 ? lt_act_f32_avx512 : lt_act_f32_avx2;
        p->sigmoid = t[LT_ACT_SIMD_LOGISTIC];
        p->tanh_fn = t[LT_ACT_SIMD_TANH];
    }
#else
    (void)ctx;
#endif
}

static lt_status lstm_prepare(lt_context *ctx, lt_node *node) {
    char buf[96];
    /* Most of the first 20 inputs are optional: counted here, checked one by one below. */
    if (lt_check_io_count(ctx, node, 1, LSTM_MAX_INPUTS, 1) != LT_OK) return LT_ERROR;
    if (node->n_inputs < 20)
        return lt_ctx_error(ctx, node, "expects 20 to %d inputs, got %d", LSTM_MAX_INPUTS,
                            (int)node->n_inputs);
    if (lt_check_options(ctx, node, LT_OPTS_UnidirectionalSequenceLSTMOptions) != LT_OK ||
        lt_check_input_rank(ctx, node, LSTM_INPUT, 3, 3) != LT_OK)
        return LT_ERROR;
    const lt_tensor *in = node->inputs[LSTM_INPUT];
    const lt_tensor *wf = node->inputs[LSTM_W_X + GATE_F];
    if (in->type == LT_INT8) return lstm_int8_prepare(ctx, node); /* lstm_int8.c */
    if (in->type != LT_FLOAT32)
        return lt_ctx_error(ctx, node, "input '%s' has type %s; expected FLOAT32",
                            in->name, lt_type_name(in->type));
    if (wf == NULL)
        return lt_ctx_error(ctx, node, "the input-to-forget weights (input 2) are missing");
    if (wf->type != LT_FLOAT32 && wf->type != LT_INT8)
        return lt_ctx_error(ctx, node, "input-to-forget weights '%s' have type %s; expected "
                            "FLOAT32, or INT8 (hybrid)", wf->name, lt_type_name(wf->type));
    if (lt_opt_bool(node, OPT_DIAGONAL, false))
        return lt_ctx_error(ctx, node, "diagonal_recurrent_tensors is not supported");

    lstm_plan *p = lt_ctx_alloc(ctx, node, sizeof *p);
    if (p == NULL) return LT_ERROR;
    p->hybrid = wf->type == LT_INT8;
    p->time_major = lt_opt_bool(node, OPT_TIME_MAJOR, false);
    p->asym = lt_opt_bool(node, OPT_ASYM, false);
    p->act = lt_opt_i8(node, OPT_ACT, LT_ACT_NONE);
    p->cell_clip = lt_opt_f32(node, OPT_CELL_CLIP, 0.0f);
    p->proj_clip = lt_opt_f32(node, OPT_PROJ_CLIP, 0.0f);
    if (lt_check_activation(ctx, node, p->act) != LT_OK) return LT_ERROR;
    if (!(p->cell_clip >= 0.0f) || !(p->proj_clip >= 0.0f))
        return lt_ctx_error(ctx, node, "cell_clip %g / proj_clip %g; expected values >= 0 "
                            "(0: no clipping)", (double)p->cell_clip, (double)p->proj_clip);

    p->steps = in->shape.dims[p->time_major ? 0 : 1];
    p->batch = in->shape.dims[p->time_major ? 1 : 0];
    p->n_in = in->shape.dims[2];
    if (wf->shape.rank != 2)
        return lt_ctx_error(ctx, node, "input-to-forget weights '%s' have shape %s; expected "
                            "[n_cell, n_input]", wf->name,
                            lt_shape_str(&wf->shape, buf, sizeof buf));
    p->n_cell = wf->shape.dims[0];
    const lt_tensor *rf = node->inputs[LSTM_W_H + GATE_F];
    if (rf == NULL || rf->shape.rank != 2)
        return lt_ctx_error(ctx, node, "the recurrent-to-forget weights (input 6) are missing "
                            "or not of rank 2");
    p->n_out = rf->shape.dims[1];
    if (p->n_in <= 0 || p->n_cell <= 0 || p->n_out <= 0)
        return lt_ctx_error(ctx, node, "n_input %lld, n_cell %lld, n_output %lld; expected "
                            "positive sizes", (long long)p->n_in, (long long)p->n_cell,
                            (long long)p->n_out);

    /* Which gates and extras are there: CIFG, peephole, layer norm, projection. */
    p->cifg = node->inputs[LSTM_W_X + GATE_I] == NULL;
    const bool peep = node->inputs[LSTM_PEEP_O] != NULL;
    p->layer_norm = opt_input(node, LSTM_LN + GATE_F) != NULL;
    p->projection = node->inputs[LSTM_PROJ_W] != NULL;
    for (int g = 0; g < GATES; g++) {
        const bool present = g != GATE_I || !p->cifg;
        static const char *const role[4] = {"input-to-%s weights", "recurrent-to-%s weights",
                                            "%s gate bias", "%s layer norm coefficients"};
        const int idx[4] = {LSTM_W_X + g, LSTM_W_H + g, LSTM_BIAS + g, LSTM_LN + g};
        const bool wanted[4] = {present, present, present, present && p->layer_norm};
        for (int r = 0; r < 4; r++) {
            const bool there = opt_input(node, idx[r]) != NULL;
            if (there != wanted[r]) {
                char what[64];
                snprintf(what, sizeof what, role[r], gate_names[g]);
                /* CIFG is told by the input-to-input weights, layer norm by the forget
                 * gate's coefficients: the others must agree */
                return lt_ctx_error(ctx, node, "%s (input %d) %s for an LSTM %s CIFG and %s "
                                    "layer norm", what, idx[r],
                                    there ? "given; expected none" : "missing",
                                    p->cifg ? "with" : "without",
                                    p->layer_norm ? "with" : "without");
            }
        }
        const int pidx = g == GATE_I ? LSTM_PEEP_I : g == GATE_F ? LSTM_PEEP_F
                       : g == GATE_O ? LSTM_PEEP_O : -1;
        if (pidx >= 0 && (node->inputs[pidx] != NULL) != (peep && present))
            return lt_ctx_error(ctx, node, "peephole weights for the %s gate (input %d) %s; "
                                "expected all of the used gates' or none", gate_names[g],
                                pidx, node->inputs[pidx] != NULL ? "given" : "missing");
    }
    if (!p->projection && node->inputs[LSTM_PROJ_B] != NULL)
        return lt_ctx_error(ctx, node, "projection bias given without projection weights");
    if (!p->projection && p->n_out != p->n_cell)
        return lt_ctx_error(ctx, node, "n_output %lld differs from n_cell %lld without a "
                            "projection", (long long)p->n_out, (long long)p->n_cell);

    /* States: float32 variables of batch * n values. */
    const int st_idx[2] = {LSTM_OUT_STATE, LSTM_CELL_STATE};
    const int64_t st_n[2] = {p->n_out, p->n_cell};
    for (int s = 0; s < 2; s++) {
        const lt_tensor *t = node->inputs[st_idx[s]];
        const char *what = s == 0 ? "output state" : "cell state";
        if (t == NULL || !t->is_variable)
            return lt_ctx_error(ctx, node, "%s (input %d) must be a variable tensor", what,
                                st_idx[s]);
        if (t->type != LT_FLOAT32)
            return lt_ctx_error(ctx, node, "%s '%s' has type %s; expected FLOAT32", what,
                                t->name, lt_type_name(t->type));
        if (lt_tensor_elements(t) != p->batch * st_n[s])
            return lt_ctx_error(ctx, node, "%s '%s' has shape %s; expected %lld x %lld values",
                                what, t->name, lt_shape_str(&t->shape, buf, sizeof buf),
                                (long long)p->batch, (long long)st_n[s]);
    }

    /* Sizes (overflow-checked): the concatenated weights and the scratch. */
    int n_gates = 0;
    for (int g = 0; g < GATES; g++) p->slot[g] = (g == GATE_I && p->cifg) ? -1 : n_gates++;
    size_t rows, wx_n, wh_n, seq_rows, xg_n, esz = p->hybrid ? 1 : sizeof(float);
    if (!lt_mul_size((size_t)n_gates, (size_t)p->n_cell, &rows) || rows > INT32_MAX ||
        !lt_mul_size(rows, (size_t)p->n_in, &wx_n) || !lt_mul_size(wx_n, esz, &wx_n) ||
        !lt_mul_size(rows, (size_t)p->n_out, &wh_n) || !lt_mul_size(wh_n, esz, &wh_n) ||
        !lt_mul_size((size_t)p->steps, (size_t)p->batch, &seq_rows) ||
        !lt_mul_size(seq_rows, rows, &xg_n) || !lt_mul_size(xg_n, sizeof(float), &xg_n))
        return lt_ctx_error(ctx, node, "sizes overflow");
    p->rows = (int64_t)rows;
    void *wx = lt_ctx_alloc(ctx, node, wx_n), *wh = lt_ctx_alloc(ctx, node, wh_n);
    p->xinit = lt_ctx_alloc(ctx, node, rows * sizeof(float));
    if (wx == NULL || wh == NULL || p->xinit == NULL) return LT_ERROR;
    if (p->hybrid) {
        p->mx = (lstm_i8mat){.w = wx, .n = p->rows, .k = p->n_in};
        p->mh = (lstm_i8mat){.w = wh, .n = p->rows, .k = p->n_out};
        p->wx_scale = lt_ctx_alloc(ctx, node, rows * sizeof(float));
        p->wh_scale = lt_ctx_alloc(ctx, node, rows * sizeof(float));
        p->rs_x = lt_ctx_alloc(ctx, node, rows * sizeof(int32_t));
        p->rs_h = lt_ctx_alloc(ctx, node, rows * sizeof(int32_t));
        if (p->wx_scale == NULL || p->wh_scale == NULL || p->rs_x == NULL || p->rs_h == NULL)
            return LT_ERROR;
    } else {
        p->wx = wx;
        p->wh = wh;
    }
    for (int g = 0; g < GATES; g++) {
        if (p->slot[g] < 0) continue;
        const int64_t at = p->slot[g] * p->n_cell;
        char what[64];
        float sx = 1.0f, sh = 1.0f;
        snprintf(what, sizeof what, "input-to-%s weights", gate_names[g]);
        if (take_matrix(ctx, node, LSTM_W_X + g, what, p->n_cell, p->n_in, p->hybrid,
                        (uint8_t *)wx + (size_t)(at * p->n_in) * esz, &sx) != LT_OK)
            return LT_ERROR;
        snprintf(what, sizeof what, "recurrent-to-%s weights", gate_names[g]);
        if (take_matrix(ctx, node, LSTM_W_H + g, what, p->n_cell, p->n_out, p->hybrid,
                        (uint8_t *)wh + (size_t)(at * p->n_out) * esz, &sh) != LT_OK)
            return LT_ERROR;
        if (p->hybrid)
            for (int64_t r = at; r < at + p->n_cell; r++) {
                p->wx_scale[r] = sx;
                p->wh_scale[r] = sh;
            }
        snprintf(what, sizeof what, "%s gate bias", gate_names[g]);
        if (take_vector(ctx, node, LSTM_BIAS + g, what, p->n_cell, false, &p->g[g].bias) !=
            LT_OK)
            return LT_ERROR;
        const int pidx = g == GATE_I ? LSTM_PEEP_I : g == GATE_F ? LSTM_PEEP_F
                       : g == GATE_O ? LSTM_PEEP_O : -1;
        snprintf(what, sizeof what, "%s gate peephole weights", gate_names[g]);
        if (pidx >= 0 && node->inputs[pidx] != NULL &&
            take_vector(ctx, node, pidx, what, p->n_cell, p->hybrid, &p->g[g].peep) != LT_OK)
            return LT_ERROR;
        snprintf(what, sizeof what, "%s layer norm coefficients", gate_names[g]);
        if (p->layer_norm &&
            take_vector(ctx, node, LSTM_LN + g, what, p->n_cell, false, &p->g[g].ln) != LT_OK)
            return LT_ERROR;
        /* With layer norm the bias is added after the normalization. */
        for (int64_t j = 0; j < p->n_cell; j++)
            p->xinit[at + j] = p->layer_norm ? 0.0f : p->g[g].bias[j];
    }
    if (p->hybrid) {
        lstm_row_sums(p->mx.w, p->rows, p->n_in, p->rs_x);
        lstm_row_sums(p->mh.w, p->rows, p->n_out, p->rs_h);
        if (lstm_i8mat_prepare(ctx, node, &p->mx) != LT_OK ||
            lstm_i8mat_prepare(ctx, node, &p->mh) != LT_OK)
            return LT_ERROR;
    }
    if (p->projection) {
        size_t pn;
        if (!lt_mul_size((size_t)p->n_out, (size_t)p->n_cell, &pn) ||
            !lt_mul_size(pn, esz, &pn))
            return lt_ctx_error(ctx, node, "sizes overflow");
        void *pw = lt_ctx_alloc(ctx, node, pn);
        float ps = 1.0f;
        if (pw == NULL ||
            take_matrix(ctx, node, LSTM_PROJ_W, "projection weights", p->n_out, p->n_cell,
                        p->hybrid, pw, &ps) != LT_OK)
            return LT_ERROR;
        if (p->hybrid) {
            p->proj_scale = lt_ctx_alloc(ctx, node, (size_t)p->n_out * sizeof(float));
            if (p->proj_scale == NULL) return LT_ERROR;
            for (int64_t j = 0; j < p->n_out; j++) p->proj_scale[j] = ps;
            p->mp = (lstm_i8mat){.w = pw, .n = p->n_out, .k = p->n_cell};
            p->rs_p = lt_ctx_alloc(ctx, node, (size_t)p->n_out * sizeof(int32_t));
            if (p->rs_p == NULL || lstm_i8mat_prepare(ctx, node, &p->mp) != LT_OK)
                return LT_ERROR;
            lstm_row_sums(p->mp.w, p->n_out, p->n_cell, p->rs_p);
        } else {
            p->proj_w = pw;
        }
        if (node->inputs[LSTM_PROJ_B] != NULL &&
            take_vector(ctx, node, LSTM_PROJ_B, "projection bias", p->n_out, false,
                        &p->proj_b) != LT_OK)
            return LT_ERROR;
    }

    /* The fast kernels: the GEMM for the input parts, the GEMV for each step. */
    if (!p->hybrid && gemm_f32_kernels_for(lt_ctx_isa(ctx), &p->ker)) {
        if (gemm_f32_pack(ctx, node, &p->ker, p->wx, p->xinit, p->rows, p->n_in, &p->px) !=
            LT_OK)
            return LT_ERROR;
        p->block_rows = gemm_f32_block_rows(p->n_in);
        p->fast = true;
    }
    pick_activations(ctx, p);
    hybrid_quant_pick(ctx, &p->minmax, &p->quantize);

    /* Scratch: input parts / gates of every step, one row of gates, the hidden row, and
     * the quantized row (hybrid). */
    int64_t qn = p->n_in > p->n_out ? p->n_in : p->n_out;
    if (p->n_cell > qn) qn = p->n_cell;
    size_t at = 0, end;
    p->xg_at = 0;
    if (!lt_add_size(at, xg_n, &at) || !lt_align_size(at, &p->gates_at) ||
        !lt_add_size(p->gates_at, rows * sizeof(float), &end) ||
        !lt_align_size(end, &p->hid_at) ||
        !lt_add_size(p->hid_at, (size_t)p->n_cell * sizeof(float), &end) ||
        !lt_align_size(end, &p->q_at) || !lt_add_size(p->q_at, (size_t)qn, &end) ||
        !lt_align_size(end, &p->acc_at) ||
        !lt_add_size(p->acc_at, (size_t)(p->rows > p->n_out ? p->rows : p->n_out) * 4, &end))
        return lt_ctx_error(ctx, node, "scratch size overflows");
    node->scratch_bytes = end;
    node->state = p;

    lt_shape os = in->shape;
    os.dims[2] = (int32_t)p->n_out;
    if (p->n_out > INT32_MAX) return lt_ctx_error(ctx, node, "n_output too large");
    if (node->outputs[0]->type != LT_FLOAT32)
        return lt_ctx_error(ctx, node, "output '%s' has type %s; expected FLOAT32",
                            node->outputs[0]->name, lt_type_name(node->outputs[0]->type));
    return lt_node_set_output_shape(ctx, node, 0, &os);
}

/* ---- invoke: shared pieces ---------------------------------------------------------------- */

/* TensorFlow Lite's MeanStddevNormalization, in place. */
static void normalize(float *x, int64_t n) {
    float sum = 0.0f;
    for (int64_t i = 0; i < n; i++) sum += x[i];
    const float mean = sum / (float)n;
    float sq = 0.0f;
    for (int64_t i = 0; i < n; i++) {
        const float d = x[i] - mean;
        sq += d * d;
    }
    const float inv = 1.0f / sqrtf(sq / (float)n + 1e-8f);
    for (int64_t i = 0; i < n; i++) x[i] = (x[i] - mean) * inv;
}

static void clip(float *x, int64_t n, float c) {
    for (int64_t i = 0; i < n; i++) x[i] = fmaxf(fminf(c, x[i]), -c);
}

/* Finishes a gate from its accumulated value: peephole (with cell values c), layer norm and
 * bias, activation (sigmoid when act < 0). */
static void finish_gate(const lstm_plan *p, const lstm_gate *g, float *v, const float *c,
                        int act) {
    const int64_t n = p->n_cell;
    if (g->peep != NULL)
        for (int64_t j = 0; j < n; j++) v[j] += g->peep[j] * c[j];
    if (p->layer_norm) {
        normalize(v, n);
        for (int64_t j = 0; j < n; j++) v[j] = v[j] * g->ln[j];
        for (int64_t j = 0; j < n; j++) v[j] += g->bias[j];
    }
    if (act < 0) {
        p->sigmoid(v, v, n, 0.0f);
    } else if (act == LT_ACT_TANH) {
        p->tanh_fn(v, v, n, 0.0f);
    } else {
        lt_apply_activation_f32(act, v, n);
    }
}

/* From the row's finished input, forget, cell gates: the new cell state; then the output
 * gate and h' = o .* act(c) into hid. */
static void cell_update(const lstm_plan *p, float *gates, float *c, float *hid) {
    const int64_t n = p->n_cell;
    float *gi = p->cifg ? NULL : gates + p->slot[GATE_I] * n;
    float *gf = gates + p->slot[GATE_F] * n, *gc = gates + p->slot[GATE_C] * n;
    float *go = gates + p->slot[GATE_O] * n;
    if (gi != NULL) finish_gate(p, &p->g[GATE_I], gi, c, -1);
    finish_gate(p, &p->g[GATE_F], gf, c, -1);
    finish_gate(p, &p->g[GATE_C], gc, c, p->act);
    for (int64_t j = 0; j < n; j++) c[j] = gf[j] * c[j];
    if (gi != NULL) {
        for (int64_t j = 0; j < n; j++) c[j] += gc[j] * gi[j];
    } else {
        for (int64_t j = 0; j < n; j++) c[j] += gc[j] * (1.0f - gf[j]);
    }
    if (p->cell_clip > 0.0f) clip(c, n, p->cell_clip);
    finish_gate(p, &p->g[GATE_O], go, c, -1);
    if (p->act == LT_ACT_TANH) {
        p->tanh_fn(c, hid, n, 0.0f);
    } else {
        memcpy(hid, c, (size_t)n * sizeof(float));
        lt_apply_activation_f32(p->act, hid, n);
    }
    for (int64_t j = 0; j < n; j++) hid[j] = go[j] * hid[j];
}

/* Memory row (of the input and output) of step t, batch row b. */
static int64_t seq_row(const lstm_plan *p, int64_t t, int64_t b) {
    return p->time_major ? t * p->batch + b : b * p->steps + t;
}

/* ---- float32 ----------------------------------------------------------------------------- */

/* y[j] = init[j] + sum_k w[j][k] x[k] for j < n. */
static void matvec_f32(const lstm_plan *p, int64_t n, int64_t k, const float *w,
                       const float *x, const float *init, float *y) {
    if (p->fast) {
        p->ker.gemv((size_t)n, (size_t)k, x, w, (size_t)k, init, y, -INFINITY, INFINITY);
        return;
    }
    for (int64_t j = 0; j < n; j++)
        y[j] = linear_dot_f32(w + j * k, x, k) + (init != NULL ? init[j] : 0.0f);
}

/* Threads pay from this many multiply-adds on (gemm_f32.h: the fast kernels do some 30
 * times more per microsecond than the portable loops; a matrix-vector product is bound by
 * reading the weights, a quarter of the GEMM's rate). */
static int64_t min_work(const lstm_plan *p, bool gemv) {
    if (!p->fast) return LT_PARALLEL_MIN_WORK;
    return gemv ? GEMM_F32_PARALLEL_MIN_WORK / 4 : GEMM_F32_PARALLEL_MIN_WORK;
}

typedef struct matvec_job {
    const lstm_plan *p;
    int64_t k;
    const float *w, *x, *init;
    float *y;
} matvec_job;

/* Units [j0, j1) of a product: each unit's value does not depend on the cut. */
static void matvec_units(void *arg, int64_t j0, int64_t j1) {
    const matvec_job *m = arg;
    matvec_f32(m->p, j1 - j0, m->k, m->w + j0 * m->k, m->x,
               m->init != NULL ? m->init + j0 : NULL, m->y + j0);
}

/* matvec_f32, its units split over the threads when that pays. */
static void matvec_f32_par(lt_context *ctx, const lstm_plan *p, int64_t n, int64_t k,
                           const float *w, const float *x, const float *init, float *y) {
    matvec_job job = {p, k, w, x, init, y};
    if (n * k >= min_work(p, true) && lt_ctx_num_threads(ctx) > 1)
        lt_ctx_parallel_for(ctx, n, matvec_units, &job);
    else
        matvec_units(&job, 0, n);
}

typedef struct input_job {
    const lstm_plan *p;
    const float *x;
    float *xg;
} input_job;

/* Input parts of the sequence rows [r0, r1): bias (or 0) + W x for every gate. */
static void input_rows(void *arg, int64_t r0, int64_t r1) {
    const input_job *j = arg;
    const lstm_plan *p = j->p;
    if (p->fast) {
        for (int64_t r = r0; r < r1;) {
            const size_t m = gemm_f32_next_block((size_t)(r1 - r), p->block_rows);
            gemm_f32_run(&p->px, m, j->x + r * p->n_in, (size_t)p->n_in, j->xg + r * p->rows,
                         (size_t)p->rows, 0, p->rows, -INFINITY, INFINITY);
            r += (int64_t)m;
        }
        return;
    }
    for (int64_t r = r0; r < r1; r++)
        matvec_f32(p, p->rows, p->n_in, p->wx, j->x + r * p->n_in, p->xinit,
                   j->xg + r * p->rows);
}

static void input_parts_f32(lt_context *ctx, const lstm_plan *p, const float *x, float *xg,
                            int64_t n_rows) {
    input_job job = {p, x, xg};
    const double work = (double)n_rows * (double)p->rows * (double)p->n_in;
    if (work >= (double)min_work(p, false) && lt_ctx_num_threads(ctx) > 1)
        lt_ctx_parallel_for(ctx, n_rows, input_rows, &job);
    else
        input_rows(&job, 0, n_rows);
}

/* ---- invoke ------------------------------------------------------------------------------ */

static lt_status lstm_invoke(lt_context *ctx, lt_node *node) {
    if (node->inputs[LSTM_INPUT]->type == LT_INT8) return lstm_int8_invoke(ctx, node);
    const lstm_plan *p = node->state;
    const float *x = lt_f32(node->inputs[LSTM_INPUT]);
    float *y = lt_f32(node->outputs[0]);
    float *h_state = lt_f32(node->inputs[LSTM_OUT_STATE]);
    float *c_state = lt_f32(node->inputs[LSTM_CELL_STATE]);
    uint8_t *scratch = node->scratch;
    float *xg = (float *)(void *)(scratch + p->xg_at);
    float *gates = (float *)(void *)(scratch + p->gates_at);
    float *hid = (float *)(void *)(scratch + p->hid_at);
    int8_t *q = (int8_t *)(scratch + p->q_at);
    int32_t *accs = (int32_t *)(void *)(scratch + p->acc_at);
    const int64_t n_rows = p->steps * p->batch;

    /* Input parts of every step (independent of the state), in the input's row order. */
    if (p->hybrid) {
        for (int64_t r = 0; r < n_rows; r++) {
            float *row = xg + r * p->rows;
            memcpy(row, p->xinit, (size_t)p->rows * sizeof(float));
            lstm_matvec_hybrid(p, &p->mx, p->wx_scale, p->rs_x, x + r * p->n_in, q, accs,
                          row);
        }
    } else {
        input_parts_f32(ctx, p, x, xg, n_rows);
    }

    for (int64_t t = 0; t < p->steps; t++) {
        for (int64_t b = 0; b < p->batch; b++) {
            const int64_t r = seq_row(p, t, b);
            float *h = h_state + b * p->n_out, *c = c_state + b * p->n_cell;
            if (p->hybrid) {
                memcpy(gates, xg + r * p->rows, (size_t)p->rows * sizeof(float));
                lstm_matvec_hybrid(p, &p->mh, p->wh_scale, p->rs_h, h, q, accs, gates);
            } else {
                matvec_f32_par(ctx, p, p->rows, p->n_out, p->wh, h, xg + r * p->rows, gates);
            }
            cell_update(p, gates, c, hid);
            if (p->projection) {
                if (p->hybrid) {
                    if (p->proj_b != NULL)
                        memcpy(h, p->proj_b, (size_t)p->n_out * sizeof(float));
                    else
                        memset(h, 0, (size_t)p->n_out * sizeof(float));
                    lstm_matvec_hybrid(p, &p->mp, p->proj_scale, p->rs_p, hid, q, accs, h);
                } else {
                    matvec_f32_par(ctx, p, p->n_out, p->n_cell, p->proj_w, hid, p->proj_b, h);
                }
                if (p->proj_clip > 0.0f) clip(h, p->n_out, p->proj_clip);
            } else {
                memcpy(h, hid, (size_t)p->n_out * sizeof(float));
            }
            memcpy(y + r * p->n_out, h, (size_t)p->n_out * sizeof(float));
        }
    }
    return LT_OK;
}

const lt_op lt_op_unidirectional_sequence_lstm = {"UNIDIRECTIONAL_SEQUENCE_LSTM", lstm_prepare,
                                                  lstm_invoke};
