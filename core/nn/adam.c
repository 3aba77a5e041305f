#include "adam.h"

#include <assert.h>
#include <math.h>

void ecg_adam_step(float *param, const float *grad, float *m, float *v, size_t n,
                   const EcgAdam *opt, size_t step)
{
    assert(step >= 1);
    // scalars in double as PyTorch computes them in Python, used in float
    float beta1 = (float)opt->beta1, beta2 = (float)opt->beta2;
    float one_minus_beta1 = (float)(1.0 - opt->beta1), one_minus_beta2 = (float)(1.0 - opt->beta2);
    float step_size = (float)(opt->lr / (1.0 - pow(opt->beta1, (double)step)));
    float bias_correction2_sqrt = (float)sqrt(1.0 - pow(opt->beta2, (double)step));
    float eps = (float)opt->eps, weight_decay = (float)opt->weight_decay;
    for (size_t i = 0; i < n; i++) {
        float g = grad[i] + weight_decay * param[i];
        m[i] = m[i] * beta1 + one_minus_beta1 * g;
        v[i] = v[i] * beta2 + one_minus_beta2 * g * g;
        float denom = sqrtf(v[i]) / bias_correction2_sqrt + eps;
        param[i] -= step_size * (m[i] / denom);
    }
}

// in 8 running sums, which vectorise (one would make every addition wait for the
// one before)
double ecg_grad_sq_sum(const float *grad, size_t n)
{
    enum { W = 8 };
    double sums[W] = {0}, sum = 0.0;
    size_t i = 0;
    for (; i + W <= n; i += W)
        for (size_t j = 0; j < W; j++)
            sums[j] += (double)grad[i + j] * grad[i + j];
    for (; i < n; i++)
        sum += (double)grad[i] * grad[i];
    for (size_t j = 0; j < W; j++)
        sum += sums[j];
    return sum;
}

void ecg_clip_grad_scale(float *grad, size_t n, double norm, double max_norm)
{
    double coef = max_norm / (norm + 1e-6);
    if (coef < 1.0)
        for (size_t i = 0; i < n; i++)
            grad[i] *= (float)coef;
}

double ecg_clip_grad_norm(float *grad, size_t n, double max_norm)
{
    double norm = sqrt(ecg_grad_sq_sum(grad, n));
    ecg_clip_grad_scale(grad, n, norm, max_norm);
    return norm;
}
