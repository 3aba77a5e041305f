/* loss.h — the training losses and their gradients.
 *
 * Forward returns the loss accumulated in double; where given, points receives
 * each element's term (the per-point anomaly score). Backward adds dloss times
 * the gradient into the caller's (zeroed) buffers; dloss is the weight of this
 * loss in the total (1, beta, 1/count). */
#pragma once

#include <stddef.h>

/* Mean squared error over n elements, sum (pred - target)^2 / n; points gets the
 * squared errors (not divided by n). */
double ecg_mse_forward(float *points, const float *pred, const float *target, size_t n);
void ecg_mse_backward(float *dpred, float dloss, const float *pred, const float *target,
                      size_t n);

/* Gaussian negative log-likelihood of x under N(mean, e^logvar), summed:
 * sum 1/2 (log 2 pi + logvar + (x - mean)^2 e^-logvar). */
double ecg_gaussian_nll_forward(float *points, const float *x, const float *mean,
                                const float *logvar, size_t n);
void ecg_gaussian_nll_backward(float *dmean, float *dlogvar, float dloss, const float *x,
                               const float *mean, const float *logvar, size_t n);

/* KL divergence of N(mu, e^logvar) from N(0, 1), summed over the n latent
 * coordinates: sum -1/2 (1 + logvar - mu^2 - e^logvar). */
double ecg_kl_forward(const float *mu, const float *logvar, size_t n);
void ecg_kl_backward(float *dmu, float *dlogvar, float dloss, const float *mu,
                     const float *logvar, size_t n);
