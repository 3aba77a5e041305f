/* adam.h — the Adam optimizer and gradient-norm clipping over a flat parameter
 * vector (a model's parameter arena with its gradient and moment arenas of the
 * same layout). Both follow PyTorch 1.13 (torch.optim.Adam with amsgrad off,
 * torch.nn.utils.clip_grad_norm_) operation for operation. */
#pragma once

#include <stddef.h>

typedef struct {
    double lr;
    double beta1, beta2;
    double eps;
    double weight_decay;     // L2 added to the gradient, as torch.optim.Adam (not AdamW)
} EcgAdam;

/* PyTorch's defaults. */
#define ECG_ADAM_DEFAULTS \
    ((EcgAdam){.lr = 1e-3, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, .weight_decay = 0.0})

/* One update of n parameters; m and v are the first and second moments (zero
 * before step 1), step counts from 1 and sets the bias corrections. */
void ecg_adam_step(float *param, const float *grad, float *m, float *v, size_t n,
                   const EcgAdam *opt, size_t step);

/* Scale grad so that its Euclidean norm is at most max_norm (by
 * max_norm / (norm + 1e-6) when larger). Returns the norm before scaling. */
double ecg_clip_grad_norm(float *grad, size_t n, double max_norm);

/* The two halves of it, for a gradient in parts (one per thread): the sum of
 * squares of a part, in double; and the scaling of a part, given the whole's norm
 * (the square root of the parts' sums added). */
double ecg_grad_sq_sum(const float *grad, size_t n);
void ecg_clip_grad_scale(float *grad, size_t n, double norm, double max_norm);
