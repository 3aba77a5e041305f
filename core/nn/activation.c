#include "activation.h"

#include <math.h>

#include "vecmath.h"

// At -O3 (core/meson.build) both become vector compares and masks, not branches:
// the signs of activations are as good as random to a branch predictor.
void ecg_relu_forward(float *out, const float *in, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = in[i] > 0.0f ? in[i] : 0.0f;
}

void ecg_relu_backward(float *din, const float *dout, const float *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float d = dout[i]; // read unconditionally, so the choice needs no branch
        din[i] += out[i] > 0.0f ? d : 0.0f;
    }
}

void ecg_logvar_bound_forward(float *lv, const float *raw, size_t n)
{
    const float c = ECG_LOGVAR_BOUND;
    for (size_t i = 0; i < n; i++)
        lv[i] = raw[i] / c;
    ecg_vtanh(lv, lv, n);
    for (size_t i = 0; i < n; i++)
        lv[i] *= c;
}

void ecg_logvar_bound_backward(float *draw, const float *dlv, const float *lv, size_t n)
{
    // d(c tanh(r/c))/dr = 1 - tanh^2 = 1 - (lv/c)^2
    const float c = ECG_LOGVAR_BOUND;
    for (size_t i = 0; i < n; i++) {
        float t = lv[i] / c;
        draw[i] += dlv[i] * (1.0f - t * t);
    }
}

void ecg_reparam_forward(float *z, const float *mu, const float *logvar, const float *eps, size_t n)
{
    for (size_t i = 0; i < n; i++)
        z[i] = mu[i] + expf(0.5f * logvar[i]) * eps[i];
}

void ecg_reparam_backward(float *dmu, float *dlogvar, const float *dz, const float *logvar,
                          const float *eps, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        dmu[i] += dz[i];
        dlogvar[i] += dz[i] * 0.5f * expf(0.5f * logvar[i]) * eps[i];
    }
}
