#include "lstm.h"

#include <string.h>

#include "gemm.h"
#include "vecmath.h"

/* The cache, time-major: each step reads and writes one contiguous block of the
 * B sequences. Hidden and cell states have T+1 blocks, the first one the zero
 * initial state in the forward direction (h_t in block t+1, h_prev in block t)
 * and the last one in the reverse direction (h_t in block t, h_prev in block t+1),
 * so the steps and the weight gradient read h_prev the same way. */
typedef struct {
    float *gates;  // (T, B, 4H) activated i, f, g, o
    float *h;      // (T+1, B, H)
    float *c;      // (T+1, B, H)
    float *tc;     // (T, B, H) tanh(c_t)
    float *w_hh_p; // (4H H) W_hh packed for the steps' products (ecg_vmatmul_pack):
                   // transposed in forward, as it is in backward
    float *dgates; // (T, B, 4H) backward: gradient of the gate pre-activations
    float *dh;     // (B, H) backward: gradient of h at the current step
    float *dc;     // (B, H) backward: gradient of c_prev from the step after
    float *bias;   // (4H) forward: b_ih + b_hh; backward: the gradient of either
} LstmCache;

static LstmCache lstm_cache(float *cache, size_t B, size_t T, size_t H)
{
    LstmCache lc;
    lc.gates = cache;
    lc.h = lc.gates + T * B * 4 * H;
    lc.c = lc.h + (T + 1) * B * H;
    lc.tc = lc.c + (T + 1) * B * H;
    lc.w_hh_p = lc.tc + T * B * H;
    lc.dgates = lc.w_hh_p + 4 * H * H;
    lc.dh = lc.dgates + T * B * 4 * H;
    lc.dc = lc.dh + B * H;
    lc.bias = lc.dc + B * H;
    return lc;
}

size_t ecg_lstm_cache_size(size_t B, size_t T, size_t H)
{
    return B * H * (11 * T + 4) + 4 * H * (H + 1);
}

void ecg_lstm_forward(float *out, float *cache, const float *in, const EcgLstmParams *w, size_t B,
                      size_t T, size_t I, size_t H, size_t ldo, bool reverse)
{
    LstmCache lc = lstm_cache(cache, B, T, H);
    size_t G = 4 * H, N = B * H, cur = reverse ? 0 : 1, prev = 1 - cur; // blocks of h_t, h_prev
    // gates = in W_ih^T, sequence by sequence into the time-major layout:
    // (T, 4H) = (T, I) (I, 4H), rows B 4H apart; the cells add the biases
    for (size_t b = 0; b < B; b++)
        ecg_gemm(false, true, T, G, I, 1.0f, in + b * T * I, I, w->w_ih, I, 0.0f,
                 lc.gates + b * G, B * G);
    for (size_t j = 0; j < G; j++)
        lc.bias[j] = w->b_ih[j] + w->b_hh[j];
    memset(lc.h + (reverse ? T : 0) * N, 0, N * sizeof(float));
    memset(lc.c + (reverse ? T : 0) * N, 0, N * sizeof(float));
    ecg_vmatmul_pack(lc.w_hh_p, w->w_hh, 1, H, H, G); // W_hh^T (H, 4H)
    for (size_t s = 0; s < T; s++) {
        size_t t = reverse ? T - 1 - s : s;
        float *gates = lc.gates + t * B * G, *h = lc.h + (t + cur) * N;
        // gates[t] += h_prev W_hh^T: (B, 4H) += (B, H) (H, 4H)
        ecg_vmatmul(gates, G, lc.h + (t + prev) * N, H, lc.w_hh_p, B, G, H);
        ecg_vlstm_cell(gates, lc.c + (t + cur) * N, lc.tc + t * N, h, lc.c + (t + prev) * N,
                       lc.bias, B, H);
        for (size_t b = 0; b < B; b++)
            memcpy(out + (b * T + t) * ldo, h + b * H, H * sizeof *out);
    }
}

void ecg_lstm_backward(float *din, const EcgLstmParams *dw, const float *dout, float *cache,
                       const float *in, const EcgLstmParams *w, size_t B, size_t T, size_t I,
                       size_t H, size_t ldo, bool reverse)
{
    LstmCache lc = lstm_cache(cache, B, T, H);
    size_t G = 4 * H, N = B * H, prev = reverse ? 1 : 0;
    memset(lc.dh, 0, N * sizeof(float));
    memset(lc.dc, 0, N * sizeof(float));
    ecg_vmatmul_pack(lc.w_hh_p, w->w_hh, H, 1, G, H);
    for (size_t s = T; s-- > 0;) {
        size_t t = reverse ? T - 1 - s : s;
        float *dgates = lc.dgates + t * B * G;
        // the gradient of h_t: from the output plus from the step after
        for (size_t b = 0; b < B; b++) {
            const float *d = dout + (b * T + t) * ldo;
            for (size_t j = 0; j < H; j++)
                lc.dh[b * H + j] += d[j];
        }
        ecg_vlstm_cell_backward(dgates, lc.dc, lc.dh, lc.gates + t * B * G, lc.tc + t * N,
                                lc.c + (t + prev) * N, B, H);
        // gradient of h_prev: (B, H) = (B, 4H) (4H, H)
        memset(lc.dh, 0, N * sizeof(float));
        ecg_vmatmul(lc.dh, H, dgates, G, lc.w_hh_p, B, H, G);
    }
    // W_hh: (4H, H) += (4H, T B) (T B, H), every step against its h_prev
    ecg_gemm(true, false, G, H, T * B, 1.0f, lc.dgates, G, lc.h + prev * N, H, 1.0f, dw->w_hh,
             H);
    // W_ih and the input sequence by sequence: (4H, I) += (4H, T) (T, I) and
    // (T, I) += (T, 4H) (4H, I), rows of dgates B 4H apart
    for (size_t b = 0; b < B; b++) {
        const float *dg = lc.dgates + b * G;
        ecg_gemm(true, false, G, I, T, 1.0f, dg, B * G, in + b * T * I, I, 1.0f, dw->w_ih, I);
        if (din)
            ecg_gemm(false, false, T, I, G, 1.0f, dg, B * G, w->w_ih, I, 1.0f, din + b * T * I,
                     I);
    }
    // both biases enter the gates the same way: one gradient for the two
    memset(lc.bias, 0, G * sizeof(float));
    for (size_t n = 0; n < T * B; n++)
        for (size_t j = 0; j < G; j++)
            lc.bias[j] += lc.dgates[n * G + j];
    for (size_t j = 0; j < G; j++) {
        dw->b_ih[j] += lc.bias[j];
        dw->b_hh[j] += lc.bias[j];
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
