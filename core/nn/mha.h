/* mha.h — multi-head attention, PyTorch's nn.MultiheadAttention with
 * batch_first=True, no dropout, no masks, need_weights=True and
 * average_attn_weights=True:
 *
 *   Q = q Wq^T + bq,  K = k Wk^T + bk,  V = v Wv^T + bv     (Wq;Wk;Wv) = in_proj_weight
 *   head h (columns h D .. h D + D - 1, D = E / heads):
 *     A_h = softmax(Q_h K_h^T / sqrt(D)) row by row,  O_h = A_h V_h
 *   out = O out_proj.weight^T + out_proj.bias,  attn = mean over heads of A_h
 *
 * q, k and v may be the same array (self-attention; time attention passes
 * q = k = z + P, v = z); pass the same gradient array for each of them and the
 * contributions add up. The cache holds Q, K, V, the attention of every head and
 * O, plus backward work space; its size in floats is ecg_mha_cache_size(). */
#pragma once

#include <stddef.h>

/* The parameters under PyTorch's names; the same struct points at gradients. */
typedef struct {
    float *in_proj_weight;  // (3E, E)
    float *in_proj_bias;    // (3E)
    float *out_proj_weight; // (E, E)
    float *out_proj_bias;   // (E)
} EcgMhaParams;

size_t ecg_mha_cache_size(size_t B, size_t L, size_t E, size_t heads);

void ecg_mha_forward(float *out,     // (B, L, E)
                     float *attn,    // (B, L, L) head-averaged weights, or NULL
                     float *cache,   // (ecg_mha_cache_size)
                     const float *q, // (B, L, E)
                     const float *k, // (B, L, E)
                     const float *v, // (B, L, E)
                     const EcgMhaParams *w, size_t B, size_t L, size_t E, size_t heads);

/* The averaged weights are for display and get no gradient. */
void ecg_mha_backward(float *dq,         // (B, L, E) or NULL, as dk and dv
                      float *dk,         // (B, L, E)
                      float *dv,         // (B, L, E)
                      const EcgMhaParams *dw,
                      const float *dout, // (B, L, E)
                      float *cache,      // as left by forward; work space is overwritten
                      const float *q, const float *k, const float *v, const EcgMhaParams *w,
                      size_t B, size_t L, size_t E, size_t heads);
