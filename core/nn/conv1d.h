/* conv1d.h — 1-D convolution and transposed convolution, PyTorch's nn.Conv1d and
 * nn.ConvTranspose1d (dilation 1, groups 1) on (B, C, L) tensors, or on
 * channel-major (C, B, L) ones.
 *
 * Both run as matrix products over chunks of the batch: the input windows of a
 * few sequences are unrolled into a column matrix (im2col) whose columns are the
 * (sequence, position) pairs, and scattered back the same way (col2im) for the
 * transposed direction; a chunk's columns (about 128 KB) are made and consumed
 * while they are in L2, and the backward pass makes them again from the input.
 * The products take and give channel-major (C, B*L) matrices, so a stack of
 * layers that keeps its activations channel-major (the CAE, through the *_cm
 * functions, whose backward passes get the layer's input back) multiplies them
 * where they lie, while (B, C, L) tensors go through copies kept in the cache.
 * The cache is the work space of both passes; its size in floats comes from the
 * *_cache_size functions (the same for both layouts), so a model can place it in
 * its activation arena.
 *
 * Backward: din is overwritten with the gradient of the input (nothing needs
 * zeroing first), dweight and dbias accumulate (+=). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    size_t B;            // batch
    size_t C;            // input channels
    size_t L;            // input length
    size_t OC;           // output channels
    size_t K;            // kernel size
    size_t stride;
    size_t padding;
    size_t output_padding; // transposed only: extra length at the end, < stride
} EcgConv1dShape;

/* Output lengths: (L + 2 padding - K) / stride + 1 and
 * (L - 1) stride - 2 padding + K + output_padding. */
size_t ecg_conv1d_out_len(const EcgConv1dShape *s);
size_t ecg_conv_transpose1d_out_len(const EcgConv1dShape *s);

size_t ecg_conv1d_cache_size(const EcgConv1dShape *s);
size_t ecg_conv_transpose1d_cache_size(const EcgConv1dShape *s);

/* out[b,o,l] = bias[o] + sum_{c,k} weight[o,c,k] in[b, c, l stride - padding + k] */
void ecg_conv1d_forward(float *out,           // (B, OC, Lout)
                        float *cache,         // (ecg_conv1d_cache_size)
                        const float *in,      // (B, C, L)
                        const float *weight,  // (OC, C, K)
                        const float *bias,    // (OC) or NULL
                        const EcgConv1dShape *s);
void ecg_conv1d_backward(float *din,          // (B, C, L) or NULL
                         float *dweight,      // (OC, C, K)
                         float *dbias,        // (OC) or NULL
                         const float *dout,   // (B, OC, Lout)
                         float *cache,        // as left by forward; work space is overwritten
                         const float *weight, // (OC, C, K)
                         const EcgConv1dShape *s);

/* out[b, o, l stride - padding + k] += in[b,c,l] weight[c,o,k], plus bias[o]: the
 * adjoint of ecg_conv1d_forward, shaped by output_padding. */
void ecg_conv_transpose1d_forward(float *out,          // (B, OC, Lout)
                                  float *cache,        // (ecg_conv_transpose1d_cache_size)
                                  const float *in,     // (B, C, L)
                                  const float *weight, // (C, OC, K)
                                  const float *bias,   // (OC) or NULL
                                  const EcgConv1dShape *s);
void ecg_conv_transpose1d_backward(float *din,          // (B, C, L) or NULL
                                   float *dweight,      // (C, OC, K)
                                   float *dbias,        // (OC) or NULL
                                   const float *dout,   // (B, OC, Lout)
                                   float *cache,        // as left by forward
                                   const float *weight, // (C, OC, K)
                                   const EcgConv1dShape *s);

/* The same four on channel-major tensors; the forwards apply a ReLU to their
 * output if relu (its backward is the caller's, from the output kept). */
void ecg_conv1d_forward_cm(float *out,          // (OC, B, Lout)
                           float *cache,        // (ecg_conv1d_cache_size)
                           const float *in,     // (C, B, L)
                           const float *weight, // (OC, C, K)
                           const float *bias,   // (OC) or NULL
                           bool relu,
                           const EcgConv1dShape *s);
void ecg_conv1d_backward_cm(float *din,          // (C, B, L) or NULL
                            float *dweight,      // (OC, C, K)
                            float *dbias,        // (OC) or NULL
                            const float *dout,   // (OC, B, Lout)
                            const float *in,     // (C, B, L) the forward's input
                            float *cache,        // work space
                            const float *weight, // (OC, C, K)
                            const EcgConv1dShape *s);
void ecg_conv_transpose1d_forward_cm(float *out,          // (OC, B, Lout)
                                     float *cache,        // (ecg_conv_transpose1d_cache_size)
                                     const float *in,     // (C, B, L)
                                     const float *weight, // (C, OC, K)
                                     const float *bias,   // (OC) or NULL
                                     bool relu,
                                     const EcgConv1dShape *s);
void ecg_conv_transpose1d_backward_cm(float *din,          // (C, B, L) or NULL
                                      float *dweight,      // (C, OC, K)
                                      float *dbias,        // (OC) or NULL
                                      const float *dout,   // (OC, B, Lout)
                                      const float *in,     // (C, B, L) the forward's input
                                      float *cache,        // work space
                                      const float *weight, // (C, OC, K)
                                      const EcgConv1dShape *s);
