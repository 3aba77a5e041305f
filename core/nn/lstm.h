/* lstm.h — one-layer LSTM over batch-major sequences, PyTorch's nn.LSTM with
 * batch_first=True, zero initial state, gate order (i, f, g, o) and two bias
 * vectors:
 *
 *   (i f g o) = sigma/sigma/tanh/sigma(W_ih x_t + b_ih + W_hh h_prev + b_hh)
 *   c_t = f c_prev + i g        h_t = o tanh(c_t)
 *
 * where h_prev is h_{t-1} (forward direction) or h_{t+1} (reverse). The input
 * projections of all time steps of a sequence are one matrix product; each step
 * adds only the recurrent product of the B sequences, a hand-vectorised kernel
 * (vecmath.h) reading W_hh in place. Backward runs through time and then forms
 * the weight gradients with a few large products.
 *
 * The cache holds the gate activations, cell states and hidden states of the
 * forward pass and the work space of the backward pass; its size in floats is
 * ecg_lstm_cache_size(), so a model can place it in its activation arena.
 * Backward adds into din (may be NULL) and the gradients in dw. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* One direction's parameters, PyTorch's weight_ih_l0, weight_hh_l0, bias_ih_l0,
 * bias_hh_l0 (or their _reverse twins); the same struct points at gradients. */
typedef struct {
    float *w_ih; // (4H, I)
    float *w_hh; // (4H, H)
    float *b_ih; // (4H)
    float *b_hh; // (4H)
} EcgLstmParams;

size_t ecg_lstm_cache_size(size_t B, size_t T, size_t H);

/* h_t of every step into out[b, t, 0:H]; rows of out are ldo floats apart (H for a
 * plain output, 2H for one half of a bidirectional one). */
void ecg_lstm_forward(float *out,      // (B, T, ldo)
                      float *cache,    // (ecg_lstm_cache_size)
                      const float *in, // (B, T, I)
                      const EcgLstmParams *w, size_t B, size_t T, size_t I, size_t H, size_t ldo,
                      bool reverse);
void ecg_lstm_backward(float *din,        // (B, T, I) or NULL
                       const EcgLstmParams *dw,
                       const float *dout, // (B, T, ldo)
                       float *cache,      // as left by forward; work space is overwritten
                       const float *in,   // (B, T, I)
                       const EcgLstmParams *w, size_t B, size_t T, size_t I, size_t H,
                       size_t ldo, bool reverse);

/* Bidirectional: out[b, t] = [h_forward (H) | h_reverse (H)] as PyTorch;
 * w[0] and dw[0] are the forward direction, w[1] and dw[1] the reverse. */
size_t ecg_bilstm_cache_size(size_t B, size_t T, size_t H);
void ecg_bilstm_forward(float *out,      // (B, T, 2H)
                        float *cache,    // (ecg_bilstm_cache_size)
                        const float *in, // (B, T, I)
                        const EcgLstmParams w[2], size_t B, size_t T, size_t I, size_t H);
void ecg_bilstm_backward(float *din,        // (B, T, I) or NULL
                         const EcgLstmParams dw[2],
                         const float *dout, // (B, T, 2H)
                         float *cache, const float *in, const EcgLstmParams w[2], size_t B,
                         size_t T, size_t I, size_t H);
