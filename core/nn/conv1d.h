/* conv1d.h — 1-D convolution and transposed convolution, PyTorch's nn.Conv1d and
 * nn.ConvTranspose1d (dilation 1, groups 1), on tensors stored by rows or on
 * (B, C, L) ones.
 *
 * By rows (EcgRows), element [b, t, c] of B sequences of length L with C channels
 * lies at ((b R + P + t) C + c): time-major with a step's channels together, each
 * sequence in a block of R rows that starts with P zero rows and ends with R - P -
 * L more, and one block of zero rows after the last sequence (ecg_rows_size). The
 * zero rows are the padding: a window of the layer is a run of whole rows where it
 * lies, so the products (ecg_vgemm) read the windows in place, overlapping, where a
 * BLAS would need them unrolled into a column matrix (im2col), packed again, and
 * the transposed direction scattered back (col2im). Between one sequence and the
 * next, and before the first, a layer needs the rows of ecg_conv1d_margins (its
 * windows reach that far, checked); and a window moves by whole rows from one
 * sequence to the next: R of a convolution's input is stride times R of its
 * output, R of a transposed convolution's output stride times that of its input.
 * A tensor by rows is zeroed when it is made, and stays so outside its sequences:
 * the products run over all the rows from the first sequence to the last, and set
 * the rows between sequences that they write back to zero.
 *
 * Backward: din is overwritten with the gradient of the input (zero between
 * sequences), dweight and dbias accumulate (+=). Given the forward's output out,
 * the forward went through a ReLU: dout, the gradient of the output after it, is
 * first made the gradient before it, in place. The cache holds the weights laid out
 * for the products and the weight gradient of the batch; the (B, C, L) layers also
 * keep copies of their tensors by rows there (for the tests and PyTorch's layout,
 * not for speed). */
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

typedef struct {
    size_t R; // rows per sequence
    size_t P; // zero rows before each sequence
} EcgRows;

/* The least P and R - L (the zero rows from the end of one sequence to the start
 * of the next) of a layer's input and output. */
typedef struct {
    size_t P, gap;
} EcgMargins;

/* Floats of B sequences of C channels by rows: (B + 1) R C and the slack of the
 * products (ECG_VGEMM_SLACK). */
size_t ecg_rows_size(size_t B, EcgRows rows, size_t C);

/* Output lengths: (L + 2 padding - K) / stride + 1 and
 * (L - 1) stride - 2 padding + K + output_padding. */
size_t ecg_conv1d_out_len(const EcgConv1dShape *s);
size_t ecg_conv_transpose1d_out_len(const EcgConv1dShape *s);

void ecg_conv1d_margins(const EcgConv1dShape *s, EcgMargins *in, EcgMargins *out);
void ecg_conv_transpose1d_margins(const EcgConv1dShape *s, EcgMargins *in, EcgMargins *out);

/* Floats of the cache by rows, and on (B, C, L) tensors. */
size_t ecg_conv1d_rows_cache_size(const EcgConv1dShape *s);
size_t ecg_conv_transpose1d_rows_cache_size(const EcgConv1dShape *s);
size_t ecg_conv1d_cache_size(const EcgConv1dShape *s);
size_t ecg_conv_transpose1d_cache_size(const EcgConv1dShape *s);

/* out[b,o,l] = bias[o] + sum_{c,k} weight[o,c,k] in[b, c, l stride - padding + k],
 * through a ReLU if relu */
void ecg_conv1d_forward_rows(float *out,          // (B, Lout, OC) by out_rows
                             float *cache,        // (ecg_conv1d_rows_cache_size)
                             const float *in,     // (B, L, C) by in_rows
                             const float *weight, // (OC, C, K)
                             const float *bias,   // (OC) or NULL
                             bool relu,
                             const EcgConv1dShape *s, EcgRows in_rows, EcgRows out_rows);
void ecg_conv1d_backward_rows(float *din,          // (B, L, C) by in_rows, or NULL
                              float *dweight,      // (OC, C, K)
                              float *dbias,        // (OC) or NULL
                              float *dout,         // (B, Lout, OC) by out_rows
                              const float *out,    // (B, Lout, OC) after the ReLU, or NULL
                              const float *in,     // (B, L, C) the forward's input
                              float *cache,        // work space
                              const float *weight, // (OC, C, K)
                              const EcgConv1dShape *s, EcgRows in_rows, EcgRows out_rows);

/* out[b, o, l stride - padding + k] += in[b,c,l] weight[c,o,k], plus bias[o]: the
 * adjoint of the convolution, shaped by output_padding; through a ReLU if relu */
void ecg_conv_transpose1d_forward_rows(float *out,          // (B, Lout, OC) by out_rows
                                       float *cache,        // (..._rows_cache_size)
                                       const float *in,     // (B, L, C) by in_rows
                                       const float *weight, // (C, OC, K)
                                       const float *bias,   // (OC) or NULL
                                       bool relu,
                                       const EcgConv1dShape *s, EcgRows in_rows,
                                       EcgRows out_rows);
void ecg_conv_transpose1d_backward_rows(float *din,          // (B, L, C) by in_rows, or NULL
                                        float *dweight,      // (C, OC, K)
                                        float *dbias,        // (OC) or NULL
                                        float *dout,         // (B, Lout, OC) by out_rows
                                        const float *out,    // after the ReLU, or NULL
                                        const float *in,     // (B, L, C) the forward's input
                                        float *cache,        // work space
                                        const float *weight, // (C, OC, K)
                                        const EcgConv1dShape *s, EcgRows in_rows,
                                        EcgRows out_rows);

/* The same on (B, C, L) tensors, without ReLU; backward takes the cache as the
 * forward left it. */
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
                         float *cache,        // as left by forward
                         const float *weight, // (OC, C, K)
                         const EcgConv1dShape *s);
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
