#include "loss.h"

#include <math.h>

#define HALF_LOG_2PI 0.91893853320467274178

double ecg_mse_forward(float *points, const float *pred, const float *target, size_t n)
{
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        float d = pred[i] - target[i];
        if (points)
            points[i] = d * d;
        sum += (double)d * d;
    }
    return sum / (double)n;
}

void ecg_mse_backward(float *dpred, float dloss, const float *pred, const float *target, size_t n)
{
    float scale = 2.0f * dloss / (float)n;
    for (size_t i = 0; i < n; i++)
        dpred[i] += scale * (pred[i] - target[i]);
}

double ecg_gaussian_nll_forward(float *points, const float *x, const float *mean,
                                const float *logvar, size_t n)
{
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        float d = x[i] - mean[i];
        float p = (float)HALF_LOG_2PI + 0.5f * (logvar[i] + d * d * expf(-logvar[i]));
        if (points)
            points[i] = p;
        sum += p;
    }
    return sum;
}

void ecg_gaussian_nll_backward(float *dmean, float *dlogvar, float dloss, const float *x,
                               const float *mean, const float *logvar, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float d = x[i] - mean[i], w = expf(-logvar[i]);
        dmean[i] -= dloss * d * w;
        dlogvar[i] += dloss * 0.5f * (1.0f - d * d * w);
    }
}

double ecg_kl_forward(const float *mu, const float *logvar, size_t n)
{
    double sum = 0.0;
    for (size_t i = 0; i < n; i++)
        sum += -0.5f * (1.0f + logvar[i] - mu[i] * mu[i] - expf(logvar[i]));
    return sum;
}

void ecg_kl_backward(float *dmu, float *dlogvar, float dloss, const float *mu,
                     const float *logvar, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        dmu[i] += dloss * mu[i];
        dlogvar[i] += dloss * 0.5f * (expf(logvar[i]) - 1.0f);
    }
}
