/* activation.h — elementwise layers: ReLU, the bounded log-variance of the VAE
 * decoders and the reparameterisation of their latents. All act on n contiguous
 * floats; forward may write in place (out == in). */
#pragma once

#include <stddef.h>

/* out = max(in, 0). Backward reads out: the gradient passes where out > 0. */
void ecg_relu_forward(float *out, const float *in, size_t n);
void ecg_relu_backward(float *din, const float *dout, const float *out, size_t n);

/* The decoders' log-variance, lv = c tanh(raw / c), stays within (-c, c), so
 * e^-lv in the Gaussian NLL can neither explode nor vanish. */
#define ECG_LOGVAR_BOUND 6.0f

/* lv = ECG_LOGVAR_BOUND tanh(raw / ECG_LOGVAR_BOUND). Backward reads lv. */
void ecg_logvar_bound_forward(float *lv, const float *raw, size_t n);
void ecg_logvar_bound_backward(float *draw, const float *dlv, const float *lv, size_t n);

/* z = mu + e^(logvar/2) eps, with the noise eps ~ N(0,1) drawn by the caller
 * (training) or zero (inference: z = mu). */
void ecg_reparam_forward(float *z, const float *mu, const float *logvar, const float *eps,
                         size_t n);
void ecg_reparam_backward(float *dmu, float *dlogvar, const float *dz, const float *logvar,
                          const float *eps, size_t n);
