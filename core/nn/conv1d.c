#include "conv1d.h"

#include <assert.h>
#include <string.h>

#include "gemm.h"

// ----------------------------------------------------------------------------
// column matrices: col[(c,k), (b,l)] <-> x[b, c, l stride - padding + k]

// The columns l in [*lo, *hi) of row k whose position l stride - padding + k lies
// in [0, Lx); the others fall in the padding.
static void valid_cols(size_t k, size_t Lx, size_t Lc, size_t stride, size_t padding, size_t *lo,
                       size_t *hi)
{
    *lo = k < padding ? (padding - k + stride - 1) / stride : 0;
    *hi = Lx + padding > k ? (Lx + padding - k - 1) / stride + 1 : 0;
    if (*hi > Lc)
        *hi = Lc;
    if (*lo > *hi)
        *lo = *hi;
}

static void im2col(float *col,     // (Cx*K, B*Lc)
                   const float *x, // (B, Cx, Lx)
                   size_t B, size_t Cx, size_t Lx, size_t Lc, size_t K, size_t stride,
                   size_t padding)
{
    for (size_t c = 0; c < Cx; c++)
        for (size_t k = 0; k < K; k++) {
            size_t lo, hi;
            valid_cols(k, Lx, Lc, stride, padding, &lo, &hi);
            for (size_t b = 0; b < B; b++) {
                float *dst = col + (c * K + k) * B * Lc + b * Lc;
                const float *src = x + (b * Cx + c) * Lx;
                memset(dst, 0, lo * sizeof *dst);
                for (size_t l = lo; l < hi; l++)
                    dst[l] = src[l * stride + k - padding];
                memset(dst + hi, 0, (Lc - hi) * sizeof *dst);
            }
        }
}

static void col2im_add(float *x,         // (B, Cx, Lx) +=
                       const float *col, // (Cx*K, B*Lc)
                       size_t B, size_t Cx, size_t Lx, size_t Lc, size_t K, size_t stride,
                       size_t padding)
{
    for (size_t c = 0; c < Cx; c++)
        for (size_t k = 0; k < K; k++) {
            size_t lo, hi;
            valid_cols(k, Lx, Lc, stride, padding, &lo, &hi);
            for (size_t b = 0; b < B; b++) {
                const float *src = col + (c * K + k) * B * Lc + b * Lc;
                float *dst = x + (b * Cx + c) * Lx;
                for (size_t l = lo; l < hi; l++)
                    dst[l * stride + k - padding] += src[l];
            }
        }
}

// ----------------------------------------------------------------------------
// (B, C, L) <-> channel-major (C, B*L), the layout of the products' results

static void to_channel_major(float *dst,       // (C, B*L)
                             const float *src, // (B, C, L)
                             size_t B, size_t C, size_t L)
{
    for (size_t b = 0; b < B; b++)
        for (size_t c = 0; c < C; c++)
            memcpy(dst + c * B * L + b * L, src + (b * C + c) * L, L * sizeof *dst);
}

static void add_from_channel_major(float *dst,       // (B, C, L) +=
                                   const float *src, // (C, B*L)
                                   size_t B, size_t C, size_t L)
{
    for (size_t b = 0; b < B; b++)
        for (size_t c = 0; c < C; c++) {
            float *d = dst + (b * C + c) * L;
            const float *s = src + c * B * L + b * L;
            for (size_t l = 0; l < L; l++)
                d[l] += s[l];
        }
}

// out[b, c, :] = bias[c], or 0 without bias
static void fill_bias(float *out, const float *bias, size_t B, size_t C, size_t L)
{
    for (size_t b = 0; b < B; b++)
        for (size_t c = 0; c < C; c++) {
            float *o = out + (b * C + c) * L;
            float v = bias ? bias[c] : 0.0f;
            for (size_t l = 0; l < L; l++)
                o[l] = v;
        }
}

// dbias[c] += sum over b and l of dout[b, c, l]
static void bias_backward(float *dbias, const float *dout, size_t B, size_t C, size_t L)
{
    for (size_t b = 0; b < B; b++)
        for (size_t c = 0; c < C; c++) {
            const float *d = dout + (b * C + c) * L;
            float sum = 0.0f;
            for (size_t l = 0; l < L; l++)
                sum += d[l];
            dbias[c] += sum;
        }
}

// ----------------------------------------------------------------------------
// convolution

size_t ecg_conv1d_out_len(const EcgConv1dShape *s)
{
    assert(s->stride > 0 && s->L + 2 * s->padding >= s->K);
    return (s->L + 2 * s->padding - s->K) / s->stride + 1;
}

// cache: col (C*K, B*Lout) | tmp (OC, B*Lout) | dcol (C*K, B*Lout)
size_t ecg_conv1d_cache_size(const EcgConv1dShape *s)
{
    return (2 * s->C * s->K + s->OC) * s->B * ecg_conv1d_out_len(s);
}

void ecg_conv1d_forward(float *out, float *cache, const float *in, const float *weight,
                        const float *bias, const EcgConv1dShape *s)
{
    size_t Lout = ecg_conv1d_out_len(s), n = s->B * Lout, CK = s->C * s->K;
    float *col = cache, *tmp = col + CK * n;
    im2col(col, in, s->B, s->C, s->L, Lout, s->K, s->stride, s->padding);
    // (OC, B*Lout) = (OC, C*K) (C*K, B*Lout)
    ecg_gemm(false, false, s->OC, n, CK, 1.0f, weight, CK, col, n, 0.0f, tmp, n);
    fill_bias(out, bias, s->B, s->OC, Lout);
    add_from_channel_major(out, tmp, s->B, s->OC, Lout);
}

void ecg_conv1d_backward(float *din, float *dweight, float *dbias, const float *dout,
                         float *cache, const float *weight, const EcgConv1dShape *s)
{
    size_t Lout = ecg_conv1d_out_len(s), n = s->B * Lout, CK = s->C * s->K;
    float *col = cache, *tmp = col + CK * n, *dcol = tmp + s->OC * n;
    to_channel_major(tmp, dout, s->B, s->OC, Lout);
    if (dbias)
        bias_backward(dbias, dout, s->B, s->OC, Lout);
    // (OC, C*K) += (OC, B*Lout) (B*Lout, C*K)
    ecg_gemm(false, true, s->OC, CK, n, 1.0f, tmp, n, col, n, 1.0f, dweight, CK);
    if (din) { // (C*K, B*Lout) = (C*K, OC) (OC, B*Lout)
        ecg_gemm(true, false, CK, n, s->OC, 1.0f, weight, CK, tmp, n, 0.0f, dcol, n);
        col2im_add(din, dcol, s->B, s->C, s->L, Lout, s->K, s->stride, s->padding);
    }
}

// ----------------------------------------------------------------------------
// transposed convolution: the same column matrix, with the roles of in and out swapped

size_t ecg_conv_transpose1d_out_len(const EcgConv1dShape *s)
{
    assert(s->stride > 0 && s->output_padding < s->stride && s->L >= 1 &&
           (s->L - 1) * s->stride + s->K + s->output_padding >= 2 * s->padding + 1);
    return (s->L - 1) * s->stride - 2 * s->padding + s->K + s->output_padding;
}

// cache: xg (C, B*L) | col (OC*K, B*L) | dxg (C, B*L)
size_t ecg_conv_transpose1d_cache_size(const EcgConv1dShape *s)
{
    return (2 * s->C + s->OC * s->K) * s->B * s->L;
}

void ecg_conv_transpose1d_forward(float *out, float *cache, const float *in, const float *weight,
                                  const float *bias, const EcgConv1dShape *s)
{
    size_t Lout = ecg_conv_transpose1d_out_len(s), n = s->B * s->L, OK = s->OC * s->K;
    float *xg = cache, *col = xg + s->C * n;
    to_channel_major(xg, in, s->B, s->C, s->L);
    // (OC*K, B*L) = (OC*K, C) (C, B*L)
    ecg_gemm(true, false, OK, n, s->C, 1.0f, weight, OK, xg, n, 0.0f, col, n);
    fill_bias(out, bias, s->B, s->OC, Lout);
    col2im_add(out, col, s->B, s->OC, Lout, s->L, s->K, s->stride, s->padding);
}

void ecg_conv_transpose1d_backward(float *din, float *dweight, float *dbias, const float *dout,
                                   float *cache, const float *weight, const EcgConv1dShape *s)
{
    size_t Lout = ecg_conv_transpose1d_out_len(s), n = s->B * s->L, OK = s->OC * s->K;
    float *xg = cache, *dcol = xg + s->C * n, *dxg = dcol + OK * n;
    im2col(dcol, dout, s->B, s->OC, Lout, s->L, s->K, s->stride, s->padding);
    if (dbias)
        bias_backward(dbias, dout, s->B, s->OC, Lout);
    // (C, OC*K) += (C, B*L) (B*L, OC*K)
    ecg_gemm(false, true, s->C, OK, n, 1.0f, xg, n, dcol, n, 1.0f, dweight, OK);
    if (din) { // (C, B*L) = (C, OC*K) (OC*K, B*L)
        ecg_gemm(false, false, s->C, n, OK, 1.0f, weight, OK, dcol, n, 0.0f, dxg, n);
        add_from_channel_major(din, dxg, s->B, s->C, s->L);
    }
}
