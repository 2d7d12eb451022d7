/* UNIDIRECTIONAL_SEQUENCE_LSTM, full integer ("8x8_16"): int8 input, output and output state,
 * int16 cell state (a power-of-two scale), int8 weights, int32 biases. The arithmetic is
 * TensorFlow Lite's integer LSTM (lstm_eval.cc, LstmStepInteger8x8_16) step by step, so the
 * results are bit-exact with its kernels:
 *   gate = sat16(mbqm(bx + Wx . x, ex) + sat16(mbqm(Wh . h, eh)))   (int16, Q3.12)
 *     where bx folds the gate bias and -input_zp * row sums of Wx, and the recurrent
 *     product's bias folds -output_state_zp * row sums of Wh;
 *   i, f, o = sigmoid(gate), g = tanh(gate): gemmlowp's int16 fixed-point functions (Q0.15);
 *   c = sat16(rdpot(f * c, 15) + rdpot(i * g, 30 + cell_log2)), clipped to the quantized
 *     cell_clip;
 *   h = clamp8(mbqm(o * tanh(c), hidden scale) + hidden zero point), the new output state
 *     and the step's output row.
 * The effective scales are computed in float as TensorFlow Lite does, then decomposed.
 *
 * TensorFlow Lite takes the hidden value's scale from the op's fifth intermediate tensor;
 * without a projection (the only case supported here) the converter gives it the output
 * state's quantization, which this runtime uses since it does not read intermediates.
 *
 * Not supported (rejected at prepare with a clear error): CIFG, peephole, layer norm and
 * projection in the integer form (TensorFlow's converter does not emit them for Keras layers),
 * and an activation other than TANH. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../alloc.h"
#include "lstm_internal.h"
#include "quant_math.h"

typedef struct q8_gate {
    const int8_t *wx, *wh;  /* [n_cell][n_in], [n_cell][n_out] */
    int32_t *bx, *bh;       /* [n_cell]: effective biases of the two products */
    lt_qmul mx, mh;         /* effective scales of the two products (to Q3.12) */
} q8_gate;

typedef struct lstm_q8_plan {
    int64_t steps, batch, n_in, n_cell, n_out;
    bool time_major;
    q8_gate g[GATES];
    int cell_log2;          /* the cell state's scale is 2^cell_log2 */
    int16_t cell_clip;      /* 0: none */
    lt_qmul hidden;         /* o * tanh(c) (Q0.15 * Q0.15) to the output state's scale */
    int32_t hidden_zp;
    size_t gates_at, tmp_at; /* scratch: int16 [GATES][n_cell], int16 [n_cell] */
} lstm_q8_plan;

/* ---- gemmlowp's int16 fixed-point arithmetic (FixedPoint<int16_t, bits>) ----------------- */

static int16_t wrap16(int32_t v) { return (int16_t)(uint16_t)(uint32_t)v; }

static int16_t sat16(int32_t v) {
    return (int16_t)(v > INT16_MAX ? INT16_MAX : v < INT16_MIN ? INT16_MIN : v);
}

/* An int32 constant of gemmlowp's tables, rescaled to 16 bits as its int16 instantiation
 * does (rounding division by 2^16). */
static int16_t k16(int32_t v) { return (int16_t)lt_rounding_divide_by_pot(v, 16); }

static int16_t mul16(int16_t a, int16_t b) { /* SaturatingRoundingDoublingHighMul */
    if (a == INT16_MIN && b == INT16_MIN) return INT16_MAX;
    const int32_t ab = (int32_t)a * b;
    const int32_t nudge = ab >= 0 ? (1 << 14) : (1 - (1 << 14));
    return (int16_t)((ab + nudge) / (1 << 15));
}

static int16_t rdpot16(int16_t x, int e) { /* RoundingDivideByPOT */
    const int32_t mask = (1 << e) - 1;
    const int32_t rem = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (int16_t)((x >> e) + (rem > threshold ? 1 : 0));
}

static int16_t pot16(int16_t x, int e) { /* SaturatingRoundingMultiplyByPOT */
    if (e == 0) return x;
    if (e < 0) return rdpot16(x, -e);
    const int32_t threshold = (1 << (15 - e)) - 1;
    if (x > threshold) return INT16_MAX;
    if (x < -threshold) return INT16_MIN;
    return (int16_t)(x * (1 << e));
}

static int16_t half_sum16(int16_t a, int16_t b) { /* RoundingHalfSum */
    const int32_t s = (int32_t)a + b;
    return (int16_t)((s + (s >= 0 ? 1 : -1)) / 2);
}

/* exp(a) for a in [-1/4, 0), Q0.15 in and out. */
static int16_t exp_quarter16(int16_t a) {
    const int16_t c = k16(1895147668), third = k16(715827883);
    const int16_t x = wrap16(a + (1 << 12));
    const int16_t x2 = mul16(x, x), x3 = mul16(x2, x), x4 = mul16(x2, x2);
    const int16_t x4_4 = pot16(x4, -2);
    const int16_t poly = pot16(wrap16(mul16(wrap16(x4_4 + x3), third) + x2), -1);
    return sat16((int32_t)c + mul16(c, wrap16(x + poly)));
}

/* exp(a) for a <= 0 with `ib` integer bits, Q0.15 out. */
static int16_t exp_neg16(int16_t a, int ib) {
    static const int32_t mult[7] = {1672461947, 1302514674, 790015084, 290630308, 39332535,
                                    720401, 242};
    const int fb = 15 - ib;
    const int32_t quarter = 1 << (fb - 2);
    const int16_t a_mod = wrap16((a & (quarter - 1)) - quarter);
    int16_t r = exp_quarter16(pot16(a_mod, ib));
    const int32_t rem = wrap16(a_mod - a);
    for (int e = -2; e <= 4; e++)
        if (ib > e && (rem & (1 << (fb + e))) != 0) r = mul16(r, k16(mult[e + 2]));
    if (ib > 5 && a < k16(-(1 << (36 - ib)))) r = 0;
    return a == 0 ? INT16_MAX : r;
}

/* The Newton iterations of 1 / (1 + a) for a in [0, 1]: x in Q2.13, half_den in Q0.15. */
static int16_t newton16(int16_t a, int16_t *half_den) {
    const int16_t hd = half_sum16(a, INT16_MAX);
    int16_t x = wrap16(k16(1515870810) + mul16(hd, k16(-1010580540)));
    for (int i = 0; i < 3; i++) {
        const int16_t one_minus = wrap16((1 << 13) - mul16(hd, x));
        x = wrap16(x + pot16(mul16(x, one_minus), 2));
    }
    *half_den = hd;
    return x;
}

static int16_t sigmoid16(int16_t a, int ib) {
    if (a == 0) return 1 << 14;
    const bool pos = a > 0;
    const int16_t abs_a = pos ? a : wrap16(-a);
    int16_t hd;
    const int16_t x = newton16(exp_neg16(wrap16(-abs_a), ib), &hd);
    const int16_t rp = pot16(x, 1); /* x / 2: Q2.13 read as Q1.14, rescaled to Q0.15 */
    return pos ? rp : wrap16(INT16_MAX - rp);
}

static int16_t tanh16(int16_t a, int ib) {
    if (a == 0) return 0;
    const bool neg = a < 0;
    const int16_t n = neg ? a : wrap16(-a);
    int16_t hd;
    /* (1 - e) / (1 + e) with e = exp(2n): the raw value of n with one more integer bit */
    const int16_t x = newton16(exp_neg16(n, ib + 1), &hd);
    const int16_t t = pot16(wrap16(x - (1 << 13)), 2);
    return neg ? wrap16(-t) : t;
}

/* ---- prepare ------------------------------------------------------------------------------ */

static lt_status per_tensor(lt_context *ctx, const lt_node *node, const lt_tensor *t,
                            const char *role, float *scale, int32_t *zp) {
    int32_t lo, hi;
    if (!lt_quant_type_range(t->type, &lo, &hi)) {
        lo = INT32_MIN;
        hi = INT32_MAX;
    }
    return lt_quant_per_tensor(ctx, node, t, role, lo, hi, scale, zp);
}

static lt_status take_tensor(lt_context *ctx, const lt_node *node, int idx, const char *what,
                             lt_type type, int64_t n0, int64_t n1, const lt_tensor **out) {
    const lt_tensor *t = lstm_input(node, idx);
    if (t == NULL)
        return lt_ctx_error(ctx, node, "int8 LSTM: the %s (input %d) is missing", what, idx);
    if (t->type != type)
        return lt_ctx_error(ctx, node, "int8 LSTM: %s '%s' has type %s; expected %s", what,
                            t->name, lt_type_name(t->type), lt_type_name(type));
    if (!t->is_constant)
        return lt_ctx_error(ctx, node, "int8 LSTM: %s '%s' must be a constant tensor", what,
                            t->name);
    const bool ok = n1 < 0 ? (t->shape.rank == 1 && t->shape.dims[0] == n0)
                           : (t->shape.rank == 2 && t->shape.dims[0] == n0 &&
                              t->shape.dims[1] == n1);
    if (!ok) {
        char buf[96];
        return lt_ctx_error(ctx, node, "int8 LSTM: %s '%s' has shape %s; expected [%lld%s%lld]",
                            what, t->name, lt_shape_str(&t->shape, buf, sizeof buf),
                            (long long)n0, n1 < 0 ? "" : ", ", (long long)(n1 < 0 ? 0 : n1));
    }
    *out = t;
    return LT_OK;
}

/* bias[r] + zp * (sum of row r's weights): TensorFlow Lite folds the zero points of the
 * multiplied vector into the products' biases at prepare. */
static int32_t *effective_bias(lt_context *ctx, const lt_node *node, const int8_t *w,
                               int64_t rows, int64_t cols, const int32_t *bias, int32_t zp) {
    int32_t *out = lt_ctx_alloc(ctx, node, (size_t)rows * sizeof(int32_t));
    if (out == NULL) return NULL;
    for (int64_t r = 0; r < rows; r++) {
        int64_t s = 0;
        for (int64_t c = 0; c < cols; c++) s += w[r * cols + c];
        /* int32 arithmetic that wraps like TensorFlow Lite's, without signed overflow */
        out[r] = (int32_t)(uint32_t)((uint32_t)(bias != NULL ? bias[r] : 0) +
                                     (uint32_t)s * (uint32_t)zp);
    }
    return out;
}

lt_status lstm_int8_prepare(lt_context *ctx, lt_node *node) {
    static const char *const names[GATES] = {"input", "forget", "cell", "output"};
    char what[64];
    const lt_tensor *in = node->inputs[LSTM_INPUT];
    const lt_tensor *w = lstm_input(node, LSTM_W_X + GATE_F);
    if (w == NULL || w->type != LT_INT8 || node->outputs[0]->type != LT_INT8)
        return lt_ctx_error(ctx, node, "int8 UNIDIRECTIONAL_SEQUENCE_LSTM is not supported with "
                            "%s weights and a %s output; expected the full integer form (INT8 "
                            "weights and output, INT32 biases, INT8 output state, INT16 cell "
                            "state)", w == NULL ? "missing" : lt_type_name(w->type),
                            lt_type_name(node->outputs[0]->type));
    if (lstm_input(node, LSTM_W_X + GATE_I) == NULL)
        return lt_ctx_error(ctx, node, "int8 LSTM with CIFG (no input gate) is not supported");
    if (lstm_input(node, LSTM_PEEP_F) != NULL || lstm_input(node, LSTM_PEEP_O) != NULL ||
        lstm_input(node, LSTM_PEEP_I) != NULL)
        return lt_ctx_error(ctx, node, "int8 LSTM with peephole weights is not supported");
    for (int g = 0; g < GATES; g++)
        if (lstm_input(node, LSTM_LN + g) != NULL)
            return lt_ctx_error(ctx, node, "int8 LSTM with layer norm is not supported");
    if (lstm_input(node, LSTM_PROJ_W) != NULL || lstm_input(node, LSTM_PROJ_B) != NULL)
        return lt_ctx_error(ctx, node, "int8 LSTM with a projection is not supported");
    if (lt_opt_bool(node, LSTM_OPT_DIAGONAL, false))
        return lt_ctx_error(ctx, node, "diagonal_recurrent_tensors is not supported");
    const int act = lt_opt_i8(node, LSTM_OPT_ACT, LT_ACT_NONE);
    if (act != LT_ACT_TANH)
        return lt_ctx_error(ctx, node, "int8 LSTM: activation %d is not supported (the integer "
                            "kernel computes TANH)", act);
    const float cell_clip = lt_opt_f32(node, LSTM_OPT_CELL_CLIP, 0.0f);
    if (!(cell_clip >= 0.0f))
        return lt_ctx_error(ctx, node, "cell_clip %g; expected a value >= 0", (double)cell_clip);

    lstm_q8_plan *p = lt_ctx_alloc(ctx, node, sizeof *p);
    if (p == NULL) return LT_ERROR;
    p->time_major = lt_opt_bool(node, LSTM_OPT_TIME_MAJOR, false);
    p->steps = in->shape.dims[p->time_major ? 0 : 1];
    p->batch = in->shape.dims[p->time_major ? 1 : 0];
    p->n_in = in->shape.dims[2];
    const lt_tensor *wf = lstm_input(node, LSTM_W_X + GATE_F);
    const lt_tensor *rf = lstm_input(node, LSTM_W_H + GATE_F);
    if (wf == NULL || wf->shape.rank != 2 || rf == NULL || rf->shape.rank != 2)
        return lt_ctx_error(ctx, node, "int8 LSTM: the forget gate's weights (inputs 2, 6) "
                            "are missing or not of rank 2");
    p->n_cell = wf->shape.dims[0];
    p->n_out = rf->shape.dims[1];
    if (p->n_in <= 0 || p->n_cell <= 0 || p->n_out != p->n_cell)
        return lt_ctx_error(ctx, node, "int8 LSTM: n_input %lld, n_cell %lld, n_output %lld; "
                            "expected positive sizes and n_output == n_cell (no projection)",
                            (long long)p->n_in, (long long)p->n_cell, (long long)p->n_out);

    float in_scale, h_scale, c_scale, out_scale;
    int32_t in_zp, h_zp, c_zp, out_zp, zp;
    const lt_tensor *out = node->outputs[0];
    const lt_tensor *hs = lstm_input(node, LSTM_OUT_STATE);
    const lt_tensor *cs = lstm_input(node, LSTM_CELL_STATE);
    if (out->type != LT_INT8)
        return lt_ctx_error(ctx, node, "output '%s' has type %s; expected INT8", out->name,
                            lt_type_name(out->type));
    if (hs == NULL || !hs->is_variable || hs->type != LT_INT8 ||
        lt_tensor_elements(hs) != p->batch * p->n_out)
        return lt_ctx_error(ctx, node, "int8 LSTM: the output state (input 18) must be an INT8 "
                            "variable tensor of %lld x %lld values", (long long)p->batch,
                            (long long)p->n_out);
    if (cs == NULL || !cs->is_variable || cs->type != LT_INT16 ||
        lt_tensor_elements(cs) != p->batch * p->n_cell)
        return lt_ctx_error(ctx, node, "int8 LSTM: the cell state (input 19) must be an INT16 "
                            "variable tensor of %lld x %lld values", (long long)p->batch,
                            (long long)p->n_cell);
    if (per_tensor(ctx, node, in, "input", &in_scale, &in_zp) != LT_OK ||
        per_tensor(ctx, node, out, "output", &out_scale, &out_zp) != LT_OK ||
        per_tensor(ctx, node, hs, "output state", &h_scale, &h_zp) != LT_OK ||
        per_tensor(ctx, node, cs, "cell state", &c_scale, &c_zp) != LT_OK)
        return LT_ERROR;
    /* TensorFlow Lite's CheckedLog2, in float */
    const float c_log2 = logf(c_scale) * (1.0f / logf(2.0f));
    const float c_round = roundf(c_log2);
    p->cell_log2 = (int)c_round;
    if (!(fabsf(c_log2 - c_round) < 1e-3f) || p->cell_log2 > -9 || p->cell_log2 < -15 ||
        c_zp != 0)
        return lt_ctx_error(ctx, node, "int8 LSTM: cell state scale %g, zero point %d; expected "
                            "2^-15 .. 2^-9 and zero point 0", (double)c_scale, (int)c_zp);
    p->cell_clip = 0;
    if (cell_clip > 0.0f) {
        float q = cell_clip / c_scale;
        q = q < -32768.0f ? -32768.0f : q > 32767.0f ? 32767.0f : q;
        p->cell_clip = (int16_t)q;
    }

    const float gate_scale = 1.0f / 4096.0f; /* Q3.12 gate pre-activations */
    for (int g = 0; g < GATES; g++) {
        const lt_tensor *wx, *wh, *b;
        snprintf(what, sizeof what, "input-to-%s weights", names[g]);
        if (take_tensor(ctx, node, LSTM_W_X + g, what, LT_INT8, p->n_cell, p->n_in, &wx) != LT_OK)
            return LT_ERROR;
        float wx_scale, wh_scale;
        if (per_tensor(ctx, node, wx, what, &wx_scale, &zp) != LT_OK) return LT_ERROR;
        snprintf(what, sizeof what, "recurrent-to-%s weights", names[g]);
        if (take_tensor(ctx, node, LSTM_W_H + g, what, LT_INT8, p->n_cell, p->n_out, &wh) != LT_OK ||
            per_tensor(ctx, node, wh, what, &wh_scale, &zp) != LT_OK)
            return LT_ERROR;
        snprintf(what, sizeof what, "%s gate bias", names[g]);
        if (take_tensor(ctx, node, LSTM_BIAS + g, what, LT_INT32, p->n_cell, -1, &b) != LT_OK)
            return LT_ERROR;
        q8_gate *q = &p->g[g];
        q->wx = lt_i8(wx);
        q->wh = lt_i8(wh);
        q->bx = effective_bias(ctx, node, q->wx, p->n_cell, p->n_in, lt_i32(b), -in_zp);
        q->bh = effective_bias(ctx, node, q->wh, p->n_cell, p->n_out, NULL, -h_zp);
        if (q->bx == NULL || q->bh == NULL) return LT_ERROR;
        /* float products as TensorFlow Lite computes them */
        const float ex = wx_scale * in_scale / gate_scale;
        const float eh = wh_scale * h_scale / gate_scale;
        if (lt_quant_multiplier_checked(ctx, node, ex, "input effective scale", &q->mx) != LT_OK ||
            lt_quant_multiplier_checked(ctx, node, eh, "recurrent effective scale", &q->mh) !=
                LT_OK)
            return LT_ERROR;
    }
    const float hidden = (float)(pow(2.0, -15) / (double)h_scale * pow(2.0, -15));
    if (lt_quant_multiplier_checked(ctx, node, hidden, "hidden effective scale", &p->hidden) !=
        LT_OK)
        return LT_ERROR;
    p->hidden_zp = h_zp;
    /* The int8 output state starts (and is reset) at its zero point, the quantized 0.0: the
     * interpreter does that for every int8 variable tensor, as TensorFlow Lite does. */

    size_t gates_n, end;
    if (!lt_mul_size((size_t)p->n_cell, GATES * sizeof(int16_t), &gates_n) ||
        !lt_align_size(gates_n, &p->tmp_at) ||
        !lt_add_size(p->tmp_at, (size_t)p->n_cell * sizeof(int16_t), &end))
        return lt_ctx_error(ctx, node, "scratch size overflows");
    p->gates_at = 0;
    node->scratch_bytes = end;
    node->state = p;
    lt_shape os = in->shape;
    os.dims[2] = (int32_t)p->n_out;
    return lt_node_set_output_shape(ctx, node, 0, &os);
}

/* ---- invoke ------------------------------------------------------------------------------- */

/* gate[r] = sat16(mbqm(bias[r] + w_r . v, m) + gate[r]): MatrixBatchVectorMultiplyAccumulate */
static void matvec_acc16(const int8_t *w, const int32_t *bias, lt_qmul m, const int8_t *v,
                         int64_t rows, int64_t cols, int16_t *gate) {
    for (int64_t r = 0; r < rows; r++) {
        int64_t acc = bias[r];
        const int8_t *row = w + r * cols;
        for (int64_t c = 0; c < cols; c++) acc += (int32_t)row[c] * v[c];
        /* TensorFlow Lite sums in int32: the same wrap-around for huge depths, without UB */
        gate[r] = sat16(lt_qmul_apply((int32_t)(uint32_t)(uint64_t)acc, m) + gate[r]);
    }
}

static void step(const lstm_q8_plan *p, const int8_t *x, int8_t *h, int16_t *c,
                 int16_t *gates, int16_t *tmp) {
    const int64_t n = p->n_cell;
    for (int g = 0; g < GATES; g++) {
        int16_t *gv = gates + g * n;
        memset(gv, 0, (size_t)n * sizeof(int16_t));
        matvec_acc16(p->g[g].wx, p->g[g].bx, p->g[g].mx, x, n, p->n_in, gv);
        matvec_acc16(p->g[g].wh, p->g[g].bh, p->g[g].mh, h, n, p->n_out, gv);
        for (int64_t i = 0; i < n; i++)
            gv[i] = g == GATE_C ? tanh16(gv[i], 3) : sigmoid16(gv[i], 3);
    }
    const int16_t *ig = gates + GATE_I * n, *fg = gates + GATE_F * n, *cg = gates + GATE_C * n;
    const int16_t *og = gates + GATE_O * n;
    for (int64_t i = 0; i < n; i++) {
        const int16_t fc = (int16_t)lt_rounding_divide_by_pot((int32_t)fg[i] * c[i], 15);
        const int16_t ic = (int16_t)lt_rounding_divide_by_pot((int32_t)ig[i] * cg[i],
                                                              30 + p->cell_log2);
        int16_t v = sat16((int32_t)fc + ic);
        if (p->cell_clip > 0) {
            if (v > p->cell_clip) v = p->cell_clip;
            if (v < -p->cell_clip) v = (int16_t)-p->cell_clip;
        }
        c[i] = v;
    }
    for (int64_t i = 0; i < n; i++) tmp[i] = tanh16(c[i], 15 + p->cell_log2);
    for (int64_t i = 0; i < n; i++) {
        int32_t v = lt_qmul_apply((int32_t)og[i] * tmp[i], p->hidden) + p->hidden_zp;
        h[i] = (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
    }
}

lt_status lstm_int8_invoke(lt_context *ctx, lt_node *node) {
    (void)ctx;
    const lstm_q8_plan *p = node->state;
    const int8_t *x = lt_i8(node->inputs[LSTM_INPUT]);
    int8_t *y = lt_i8(node->outputs[0]);
    int8_t *h_state = lt_i8(node->inputs[LSTM_OUT_STATE]);
    int16_t *c_state = (int16_t *)node->inputs[LSTM_CELL_STATE]->data;
    uint8_t *scratch = node->scratch;
    int16_t *gates = (int16_t *)(void *)(scratch + p->gates_at);
    int16_t *tmp = (int16_t *)(void *)(scratch + p->tmp_at);
    for (int64_t t = 0; t < p->steps; t++) {
        for (int64_t b = 0; b < p->batch; b++) {
            const int64_t r = p->time_major ? t * p->batch + b : b * p->steps + t;
            int8_t *h = h_state + b * p->n_out;
            step(p, x + r * p->n_in, h, c_state + b * p->n_cell, gates, tmp);
            memcpy(y + r * p->n_out, h, (size_t)p->n_out);
        }
    }
    return LT_OK;
}
