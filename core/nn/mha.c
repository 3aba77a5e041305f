#include "mha.h"

#include <assert.h>
#include <math.h>
#include <string.h>

#include "gemm.h"
#include "linear.h"
#include "vecmath.h"

typedef struct {
    float *qkv[3];  // (B, L, E) each: the projections Q, K, V
    float *att;     // (B, heads, L, L) softmax weights of every head
    float *o;       // (B, L, E) heads' outputs side by side, before out_proj
    float *dqkv[3]; // (B, L, E) each, backward: gradients of Q, K, V
    float *dout_o;  // (B, L, E) backward: gradient of o
    float *datt;    // (L, L) backward: one head's attention gradient
} MhaCache;

static MhaCache mha_cache(float *cache, size_t B, size_t L, size_t E, size_t heads)
{
    size_t n = B * L * E;
    MhaCache mc;
    for (size_t a = 0; a < 3; a++)
        mc.qkv[a] = cache + a * n;
    mc.att = cache + 3 * n;
    mc.o = mc.att + B * heads * L * L;
    for (size_t a = 0; a < 3; a++)
        mc.dqkv[a] = mc.o + (1 + a) * n;
    mc.dout_o = mc.o + 4 * n;
    mc.datt = mc.dout_o + n;
    return mc;
}

size_t ecg_mha_cache_size(size_t B, size_t L, size_t E, size_t heads)
{
    return 8 * B * L * E + B * heads * L * L + L * L;
}

void ecg_mha_forward(float *out, float *attn, float *cache, const float *q, const float *k,
                     const float *v, const EcgMhaParams *w, size_t B, size_t L, size_t E,
                     size_t heads)
{
    assert(heads > 0 && E % heads == 0);
    MhaCache mc = mha_cache(cache, B, L, E, heads);
    const float *in[3] = {q, k, v};
    size_t N = B * L, D = E / heads;
    float scale = 1.0f / sqrtf((float)D), inv_heads = 1.0f / (float)heads;
    for (size_t a = 0; a < 3; a++)
        ecg_linear_forward(mc.qkv[a], in[a], w->in_proj_weight + a * E * E,
                           w->in_proj_bias + a * E, N, E, E);
    if (attn)
        memset(attn, 0, B * L * L * sizeof *attn);
    for (size_t b = 0; b < B; b++)
        for (size_t h = 0; h < heads; h++) {
            size_t at = b * L * E + h * D; // head h of sequence b in a (B, L, E) array
            float *A = mc.att + (b * heads + h) * L * L;
            // (L, L) = (L, D) (D, L), scaled
            ecg_gemm(false, true, L, L, D, scale, mc.qkv[0] + at, E, mc.qkv[1] + at, E, 0.0f, A,
                     L);
            ecg_vsoftmax(A, L, L);
            // (L, D) = (L, L) (L, D)
            ecg_gemm(false, false, L, D, L, 1.0f, A, L, mc.qkv[2] + at, E, 0.0f, mc.o + at, E);
            if (attn)
                for (size_t i = 0; i < L * L; i++)
                    attn[b * L * L + i] += A[i] * inv_heads;
        }
    ecg_linear_forward(out, mc.o, w->out_proj_weight, w->out_proj_bias, N, E, E);
}

void ecg_mha_backward(float *dq, float *dk, float *dv, const EcgMhaParams *dw, const float *dout,
                      float *cache, const float *q, const float *k, const float *v,
                      const EcgMhaParams *w, size_t B, size_t L, size_t E, size_t heads)
{
    MhaCache mc = mha_cache(cache, B, L, E, heads);
    const float *in[3] = {q, k, v};
    float *din[3] = {dq, dk, dv};
    size_t N = B * L, D = E / heads;
    float scale = 1.0f / sqrtf((float)D);
    memset(mc.dout_o, 0, N * E * sizeof(float));
    ecg_linear_backward(mc.dout_o, dw->out_proj_weight, dw->out_proj_bias, dout, mc.o,
                        w->out_proj_weight, N, E, E);
    // every head of every sequence writes its own columns of dQ, dK, dV once
    for (size_t b = 0; b < B; b++)
        for (size_t h = 0; h < heads; h++) {
            size_t at = b * L * E + h * D;
            const float *A = mc.att + (b * heads + h) * L * L;
            const float *dO = mc.dout_o + at;
            // dA = dO V^T: (L, L) = (L, D) (D, L);  dV = A^T dO: (L, D) = (L, L) (L, D)
            ecg_gemm(false, true, L, L, D, 1.0f, dO, E, mc.qkv[2] + at, E, 0.0f, mc.datt, L);
            ecg_gemm(true, false, L, D, L, 1.0f, A, L, dO, E, 0.0f, mc.dqkv[2] + at, E);
            ecg_vsoftmax_backward(mc.datt, A, L, L);
            // dQ = s dS K: (L, D) = (L, L) (L, D);  dK = s dS^T Q
            ecg_gemm(false, false, L, D, L, scale, mc.datt, L, mc.qkv[1] + at, E, 0.0f,
                     mc.dqkv[0] + at, E);
            ecg_gemm(true, false, L, D, L, scale, mc.datt, L, mc.qkv[0] + at, E, 0.0f,
                     mc.dqkv[1] + at, E);
        }
    for (size_t a = 0; a < 3; a++)
        ecg_linear_backward(din[a], dw->in_proj_weight + a * E * E, dw->in_proj_bias + a * E,
                            mc.dqkv[a], in[a], w->in_proj_weight + a * E * E, N, E, E);
}
