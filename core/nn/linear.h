/* linear.h — fully connected layer, PyTorch's nn.Linear, applied to every row.
 *
 *   out = in weight^T + bias
 *
 * Like every layer of core/nn: backward adds (+=) into the gradients it is given,
 * the caller zeroes them; din may be NULL when the input's gradient is not needed
 * (first layer). No cache: backward reads in. */
#pragma once

#include <stddef.h>

void ecg_linear_forward(float *out,          // (N, OC)
                        const float *in,     // (N, IC)
                        const float *weight, // (OC, IC)
                        const float *bias,   // (OC) or NULL
                        size_t N, size_t IC, size_t OC);

void ecg_linear_backward(float *din,          // (N, IC) or NULL
                         float *dweight,      // (OC, IC)
                         float *dbias,        // (OC) or NULL
                         const float *dout,   // (N, OC)
                         const float *in,     // (N, IC)
                         const float *weight, // (OC, IC)
                         size_t N, size_t IC, size_t OC);
