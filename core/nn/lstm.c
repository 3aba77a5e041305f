#include "lstm.h"

#include <string.h>

#include "gemm.h"
#include "linear.h"
#include "vecmath.h"

/* The cache. Hidden and cell states are stored as (B, T+1, H): each sequence has
 * one zero row for the initial state, first in the forward direction (h_t at row
 * t+1, h_prev at row t) and last in the reverse direction (h_t at row t, h_prev at
 * row t+1), so every step and the weight gradient read h_prev the same way. */
typedef struct {
    float *gates;  // (B, T, 4H) activated i, f, g, o
    float *h;      // (B, T+1, H)
    float *c;      // (B, T+1, H)
    float *tc;     // (B, T, H) tanh(c_t)
    float *dgates; // (B, T, 4H) backward: gradient of the gate pre-activations
    float *dh;     // (B, H) backward: gradient of h_prev from the step after
    float *dc;     // (B, H) backward: gradient of c_prev from the step after
} LstmCache;

static LstmCache lstm_cache(float *cache, size_t B, size_t T, size_t H)
{
    LstmCache lc;
    lc.gates = cache;
    lc.h = lc.gates + B * T * 4 * H;
    lc.c = lc.h + B * (T + 1) * H;
    lc.tc = lc.c + B * (T + 1) * H;
    lc.dgates = lc.tc + B * T * H;
    lc.dh = lc.dgates + B * T * 4 * H;
    lc.dc = lc.dh + B * H;
    return lc;
}

size_t ecg_lstm_cache_size(size_t B, size_t T, size_t H)
{
    return B * H * (11 * T + 4);
}

// One unit row at one step: gate pre-activations (4H) become activations, and the
// cell and hidden states follow.
static void cell_forward(float *gate,         // (4H) in: pre-activation less b_hh; out: activated
                         float *c,            // (H)
                         float *tc,           // (H)
                         float *h,            // (H)
                         const float *c_prev, // (H)
                         const float *b_hh,   // (4H)
                         size_t H)
{
    for (size_t j = 0; j < 4 * H; j++)
        gate[j] += b_hh[j];
    const float *i = gate, *f = gate + H, *g = gate + 2 * H, *o = gate + 3 * H;
    ecg_vsigmoid(gate, gate, 2 * H);
    ecg_vtanh(gate + 2 * H, gate + 2 * H, H);
    ecg_vsigmoid(gate + 3 * H, gate + 3 * H, H);
    for (size_t j = 0; j < H; j++)
        c[j] = f[j] * c_prev[j] + i[j] * g[j];
    ecg_vtanh(tc, c, H);
    for (size_t j = 0; j < H; j++)
        h[j] = o[j] * tc[j];
}

// The same row backward: dh_out (from the output) plus dh (from the step after)
// give the gate gradients; dc carries the cell gradient to the step before.
static void cell_backward(float *dgate,        // (4H)
                          float *dc,           // (H) in: from the step after; out: for c_prev
                          const float *dh,     // (H) from the step after
                          const float *dh_out, // (H)
                          const float *gate,   // (4H)
                          const float *tc,     // (H)
                          const float *c_prev, // (H)
                          size_t H)
{
    for (size_t j = 0; j < H; j++) {
        float i = gate[j], f = gate[H + j], g = gate[2 * H + j], o = gate[3 * H + j];
        float t = tc[j];
        float dhj = dh[j] + dh_out[j];
        float dcj = dc[j] + dhj * o * (1.0f - t * t);
        dgate[j] = dcj * g * i * (1.0f - i);
        dgate[H + j] = dcj * c_prev[j] * f * (1.0f - f);
        dgate[2 * H + j] = dcj * i * (1.0f - g * g);
        dgate[3 * H + j] = dhj * t * o * (1.0f - o);
        dc[j] = dcj * f;
    }
}

void ecg_lstm_forward(float *out, float *cache, const float *in, const EcgLstmParams *w, size_t B,
                      size_t T, size_t I, size_t H, size_t ldo, bool reverse)
{
    LstmCache lc = lstm_cache(cache, B, T, H);
    size_t G = 4 * H, cur = reverse ? 0 : 1, prev = 1 - cur; // row offsets of h_t and h_prev
    ecg_linear_forward(lc.gates, in, w->w_ih, w->b_ih, B * T, I, G);
    for (size_t b = 0; b < B; b++) {
        size_t zero_row = b * (T + 1) + (reverse ? T : 0);
        memset(lc.h + zero_row * H, 0, H * sizeof(float));
        memset(lc.c + zero_row * H, 0, H * sizeof(float));
    }
    for (size_t s = 0; s < T; s++) {
        size_t t = reverse ? T - 1 - s : s;
        // gates[:, t] += h_prev W_hh^T: (B, 4H) += (B, H) (H, 4H)
        ecg_gemm(false, true, B, G, H, 1.0f, lc.h + (t + prev) * H, (T + 1) * H, w->w_hh, H, 1.0f,
                 lc.gates + t * G, T * G);
        for (size_t b = 0; b < B; b++) {
            size_t bt = b * T + t, row = b * (T + 1) + t;
            float *h = lc.h + (row + cur) * H;
            cell_forward(lc.gates + bt * G, lc.c + (row + cur) * H, lc.tc + bt * H, h,
                         lc.c + (row + prev) * H, w->b_hh, H);
            memcpy(out + bt * ldo, h, H * sizeof *out);
        }
    }
}

void ecg_lstm_backward(float *din, const EcgLstmParams *dw, const float *dout, float *cache,
                       const float *in, const EcgLstmParams *w, size_t B, size_t T, size_t I,
                       size_t H, size_t ldo, bool reverse)
{
    LstmCache lc = lstm_cache(cache, B, T, H);
    size_t G = 4 * H, prev = reverse ? 1 : 0;
    memset(lc.dh, 0, B * H * sizeof(float));
    memset(lc.dc, 0, B * H * sizeof(float));
    for (size_t s = T; s-- > 0;) {
        size_t t = reverse ? T - 1 - s : s;
        for (size_t b = 0; b < B; b++) {
            size_t bt = b * T + t;
            cell_backward(lc.dgates + bt * G, lc.dc + b * H, lc.dh + b * H, dout + bt * ldo,
                          lc.gates + bt * G, lc.tc + bt * H, lc.c + (b * (T + 1) + t + prev) * H,
                          H);
        }
        // gradient of h_prev: (B, H) = (B, 4H) (4H, H)
        ecg_gemm(false, false, B, H, G, 1.0f, lc.dgates + t * G, T * G, w->w_hh, H, 0.0f, lc.dh,
                 H);
    }
    // W_hh: (4H, H) += sum over sequences of (4H, T) (T, H) against h_prev
    for (size_t b = 0; b < B; b++)
        ecg_gemm(true, false, G, H, T, 1.0f, lc.dgates + b * T * G, G,
                 lc.h + (b * (T + 1) + prev) * H, H, 1.0f, dw->w_hh, H);
    ecg_linear_backward(din, dw->w_ih, NULL, lc.dgates, in, w->w_ih, B * T, I, G);
    // both biases enter the same sum: one pass over dgates for the two
    for (size_t n = 0; n < B * T; n++) {
        const float *dg = lc.dgates + n * G;
        for (size_t j = 0; j < G; j++) {
            dw->b_ih[j] += dg[j];
            dw->b_hh[j] += dg[j];
        }
    }
}

size_t ecg_bilstm_cache_size(size_t B, size_t T, size_t H)
{
    return 2 * ecg_lstm_cache_size(B, T, H);
}

void ecg_bilstm_forward(float *out, float *cache, const float *in, const EcgLstmParams w[2],
                        size_t B, size_t T, size_t I, size_t H)
{
    size_t n = ecg_lstm_cache_size(B, T, H);
    for (size_t d = 0; d < 2; d++)
        ecg_lstm_forward(out + d * H, cache + d * n, in, &w[d], B, T, I, H, 2 * H, d == 1);
}

void ecg_bilstm_backward(float *din, const EcgLstmParams dw[2], const float *dout, float *cache,
                         const float *in, const EcgLstmParams w[2], size_t B, size_t T, size_t I,
                         size_t H)
{
    size_t n = ecg_lstm_cache_size(B, T, H);
    for (size_t d = 0; d < 2; d++)
        ecg_lstm_backward(din, &dw[d], dout + d * H, cache + d * n, in, &w[d], B, T, I, H, 2 * H,
                          d == 1);
}
