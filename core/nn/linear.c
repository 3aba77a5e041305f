#include "linear.h"

#include <string.h>

#include "gemm.h"

// dbias += the column sums of dout: the gradient of a bias added to every row
static void bias_backward(float *dbias, const float *dout, size_t N, size_t C)
{
    for (size_t n = 0; n < N; n++) {
        const float *row = dout + n * C;
        for (size_t c = 0; c < C; c++)
            dbias[c] += row[c];
    }
}

void ecg_linear_forward(float *out, const float *in, const float *weight, const float *bias,
                        size_t N, size_t IC, size_t OC)
{
    // start from the bias and let the product accumulate onto it
    if (bias)
        for (size_t n = 0; n < N; n++)
            memcpy(out + n * OC, bias, OC * sizeof *out);
    ecg_gemm(false, true, N, OC, IC, 1.0f, in, IC, weight, IC, bias ? 1.0f : 0.0f, out, OC);
}

void ecg_linear_backward(float *din, float *dweight, float *dbias, const float *dout,
                         const float *in, const float *weight, size_t N, size_t IC, size_t OC)
{
    if (din) // (N,IC) += (N,OC) (OC,IC)
        ecg_gemm(false, false, N, IC, OC, 1.0f, dout, OC, weight, IC, 1.0f, din, IC);
    // (OC,IC) += (OC,N) (N,IC)
    ecg_gemm(true, false, OC, IC, N, 1.0f, dout, OC, in, IC, 1.0f, dweight, IC);
    if (dbias)
        bias_backward(dbias, dout, N, OC);
}
