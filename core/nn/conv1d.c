#include "conv1d.h"

#include <assert.h>
#include <stdbool.h>
#include <string.h>

#include "gemm.h"

// Element [b, c, l] of a tensor of the layer, C channels of length L, lies at
// b sb + c sc + l: (B, C, L) or channel-major (C, B, L).
typedef struct {
    size_t sb, sc;
} Strides;

static Strides strides(bool cm, size_t B, size_t C, size_t L)
{
    return cm ? (Strides){L, B * L} : (Strides){C * L, L};
}

// ----------------------------------------------------------------------------
// column matrices: col[(c,k), (b,l)] <-> x[b, c, l stride - padding + k]
//
// Through the phases of one row of x: P[r, m] = x[b, c, m stride + r - padding]
// (0 in the padding), so that with k = q stride + r, row (c,k) of sequence b is
// P[r, q .. q + Lc), one contiguous run; only building the phases (and adding
// them back) takes strided steps, over x once instead of K times. The phases of
// a row stay in L1 while its K rows are copied out or summed in.

typedef struct {
    Strides xs;         // of x
    size_t B, Cx, Lx;   // x (B, Cx, Lx)
    size_t Lc, K;       // columns per sequence, kernel size
    size_t stride, padding;
} Cols;

// per phase: Lc positions and the K - 1 more the last window reaches
static size_t phase_len(const Cols *g)
{
    return g->Lc + (g->K - 1) / g->stride;
}

// floats of the work space: the phases of one row
static size_t phases_size(const Cols *g)
{
    return g->stride * phase_len(g);
}

// The m in [*lo, *hi) of phase r whose position m stride + r - padding lies in
// [0, Lx); the others fall in the padding.
static void phase_range(const Cols *g, size_t r, size_t *lo, size_t *hi)
{
    size_t s = g->stride, p = g->padding, end = g->Lx + p, M = phase_len(g);
    *lo = r < p ? (p - r + s - 1) / s : 0;
    *hi = end > r ? (end - r + s - 1) / s : 0;
    if (*hi > M)
        *hi = M;
    if (*lo > *hi)
        *lo = *hi;
}

// dst[i] = src[i s] and dst[i s] += src[i]; inlined with s = 2 (every layer of the
// CAE) they become vector shuffles.
static inline void gather(float *dst, const float *src, size_t n, size_t s)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = src[i * s];
}

static inline void scatter_add(float *dst, const float *src, size_t n, size_t s)
{
    for (size_t i = 0; i < n; i++)
        dst[i * s] += src[i];
}

static void im2col(float *col,     // (Cx*K, B*Lc)
                   float *ph,      // (phases_size) work space
                   const float *x, // (B, Cx, Lx) with strides g->xs
                   const Cols *g)
{
    size_t s = g->stride, M = phase_len(g), p = g->padding;
    for (size_t c = 0; c < g->Cx; c++)
        for (size_t b = 0; b < g->B; b++) {
            const float *row = x + b * g->xs.sb + c * g->xs.sc;
            for (size_t r = 0; r < s; r++) {
                float *P = ph + r * M;
                size_t lo, hi;
                phase_range(g, r, &lo, &hi);
                memset(P, 0, lo * sizeof *P);
                memset(P + hi, 0, (M - hi) * sizeof *P);
                if (hi == lo)
                    continue;
                const float *src = row + lo * s + r - p; // position of m = lo
                if (s == 2)
                    gather(P + lo, src, hi - lo, 2);
                else
                    gather(P + lo, src, hi - lo, s);
            }
            for (size_t k = 0; k < g->K; k++)
                memcpy(col + ((c * g->K + k) * g->B + b) * g->Lc, ph + (k % s) * M + k / s,
                       g->Lc * sizeof *col);
        }
}

static void col2im_add(float *x,         // (B, Cx, Lx) += with strides g->xs
                       float *ph,        // (phases_size) work space
                       const float *col, // (Cx*K, B*Lc)
                       const Cols *g)
{
    size_t s = g->stride, M = phase_len(g), p = g->padding;
    for (size_t c = 0; c < g->Cx; c++)
        for (size_t b = 0; b < g->B; b++)
            for (size_t r = 0; r < s && r < g->K; r++) {
                // phase r: the rows k = r, r + s, ... shifted by q = k / s and summed,
                // the first one (q = 0) copied
                for (size_t k = r; k < g->K; k += s) {
                    const float *src = col + ((c * g->K + k) * g->B + b) * g->Lc;
                    if (k == r) {
                        memcpy(ph, src, g->Lc * sizeof *ph);
                        memset(ph + g->Lc, 0, (M - g->Lc) * sizeof *ph);
                    } else {
                        for (size_t l = 0; l < g->Lc; l++)
                            ph[k / s + l] += src[l];
                    }
                }
                size_t lo, hi;
                phase_range(g, r, &lo, &hi);
                if (hi == lo)
                    continue;
                float *dst = x + b * g->xs.sb + c * g->xs.sc + lo * s + r - p; // m = lo
                if (s == 2)
                    scatter_add(dst, ph + lo, hi - lo, 2);
                else
                    scatter_add(dst, ph + lo, hi - lo, s);
            }
}

// ----------------------------------------------------------------------------
// the rest of the glue

// dst[j, i, :] = src[i, j, :]: (B, C, L) <-> (C, B, L)
static void swap_outer(float *dst,       // (n1, n0, L)
                       const float *src, // (n0, n1, L)
                       size_t n0, size_t n1, size_t L)
{
    for (size_t i = 0; i < n0; i++)
        for (size_t j = 0; j < n1; j++)
            memcpy(dst + (j * n0 + i) * L, src + (i * n1 + j) * L, L * sizeof *dst);
}

// x[b, c, :] = bias[c], or 0 without bias
static void fill_bias(float *x, const float *bias, Strides xs, size_t B, size_t C, size_t L)
{
    for (size_t c = 0; c < C; c++)
        for (size_t b = 0; b < B; b++) {
            float *row = x + b * xs.sb + c * xs.sc, v = bias ? bias[c] : 0.0f;
            for (size_t l = 0; l < L; l++)
                row[l] = v;
        }
}

// dbias[c] += sum over b and l of dx[b, c, l], in 16 running sums: one would make
// every addition wait for the one before
static void bias_backward(float *dbias, const float *dx, Strides xs, size_t B, size_t C,
                          size_t L)
{
    enum { W = 16 };
    for (size_t c = 0; c < C; c++) {
        float sums[W] = {0}, sum = 0.0f;
        for (size_t b = 0; b < B; b++) {
            const float *row = dx + b * xs.sb + c * xs.sc;
            size_t l = 0;
            for (; l + W <= L; l += W)
                for (size_t i = 0; i < W; i++)
                    sums[i] += row[l + i];
            for (; l < L; l++)
                sum += row[l];
        }
        for (size_t i = 0; i < W; i++)
            sum += sums[i];
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

// windows over the input, one column per output position
static Cols conv_cols(const EcgConv1dShape *s, bool cm)
{
    return (Cols){strides(cm, s->B, s->C, s->L), s->B, s->C, s->L, ecg_conv1d_out_len(s), s->K,
                  s->stride, s->padding};
}

// cache: col (C*K, B*Lout) | dcol (C*K, B*Lout) | phases of the input |
// (B, C, L) only: y (OC, B*Lout)
size_t ecg_conv1d_cache_size(const EcgConv1dShape *s)
{
    Cols g = conv_cols(s, true);
    return (2 * s->C * s->K + s->OC) * s->B * g.Lc + phases_size(&g);
}

static void conv1d_forward(float *out, float *cache, const float *in, const float *weight,
                           const float *bias, const EcgConv1dShape *s, bool cm)
{
    Cols g = conv_cols(s, cm);
    size_t Lout = g.Lc, n = s->B * Lout, CK = s->C * s->K;
    float *col = cache, *ph = col + 2 * CK * n, *y = cm ? out : ph + phases_size(&g);
    im2col(col, ph, in, &g);
    // (OC, B*Lout) = bias + (OC, C*K) (C*K, B*Lout)
    fill_bias(y, bias, strides(true, s->B, s->OC, Lout), s->B, s->OC, Lout);
    ecg_gemm(false, false, s->OC, n, CK, 1.0f, weight, CK, col, n, 1.0f, y, n);
    if (!cm)
        swap_outer(out, y, s->OC, s->B, Lout);
}

static void conv1d_backward(float *din, float *dweight, float *dbias, const float *dout,
                            float *cache, const float *weight, const EcgConv1dShape *s, bool cm)
{
    Cols g = conv_cols(s, cm);
    size_t Lout = g.Lc, n = s->B * Lout, CK = s->C * s->K;
    float *col = cache, *dcol = col + CK * n, *ph = dcol + CK * n, *tmp = ph + phases_size(&g);
    const float *dy = dout; // (OC, B*Lout)
    if (!cm) {
        swap_outer(tmp, dout, s->B, s->OC, Lout);
        dy = tmp;
    }
    if (dbias)
        bias_backward(dbias, dy, strides(true, s->B, s->OC, Lout), s->B, s->OC, Lout);
    // (OC, C*K) += (OC, B*Lout) (B*Lout, C*K)
    ecg_gemm(false, true, s->OC, CK, n, 1.0f, dy, n, col, n, 1.0f, dweight, CK);
    if (din) { // (C*K, B*Lout) = (C*K, OC) (OC, B*Lout)
        ecg_gemm(true, false, CK, n, s->OC, 1.0f, weight, CK, dy, n, 0.0f, dcol, n);
        col2im_add(din, ph, dcol, &g);
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

// windows over the output, one column per input position
static Cols conv_transpose_cols(const EcgConv1dShape *s, bool cm)
{
    size_t Lout = ecg_conv_transpose1d_out_len(s);
    return (Cols){strides(cm, s->B, s->OC, Lout), s->B, s->OC, Lout, s->L, s->K, s->stride,
                  s->padding};
}

// cache: x (C, B*L) the input, channel-major | col (OC*K, B*L) | phases of the
// output | (B, C, L) only: dx (C, B*L)
size_t ecg_conv_transpose1d_cache_size(const EcgConv1dShape *s)
{
    Cols g = conv_transpose_cols(s, true);
    return (2 * s->C + s->OC * s->K) * s->B * s->L + phases_size(&g);
}

static void conv_transpose1d_forward(float *out, float *cache, const float *in,
                                     const float *weight, const float *bias,
                                     const EcgConv1dShape *s, bool cm)
{
    Cols g = conv_transpose_cols(s, cm);
    size_t n = s->B * s->L, OK = s->OC * s->K;
    float *x = cache, *col = x + s->C * n, *ph = col + OK * n;
    if (cm)
        memcpy(x, in, s->C * n * sizeof *x);
    else
        swap_outer(x, in, s->B, s->C, s->L);
    // (OC*K, B*L) = (OC*K, C) (C, B*L)
    ecg_gemm(true, false, OK, n, s->C, 1.0f, weight, OK, x, n, 0.0f, col, n);
    fill_bias(out, bias, g.xs, s->B, s->OC, g.Lx);
    col2im_add(out, ph, col, &g);
}

static void conv_transpose1d_backward(float *din, float *dweight, float *dbias,
                                      const float *dout, float *cache, const float *weight,
                                      const EcgConv1dShape *s, bool cm)
{
    Cols g = conv_transpose_cols(s, cm);
    size_t n = s->B * s->L, OK = s->OC * s->K;
    float *x = cache, *dcol = x + s->C * n, *ph = dcol + OK * n, *dx = ph + phases_size(&g);
    im2col(dcol, ph, dout, &g);
    if (dbias)
        bias_backward(dbias, dout, g.xs, s->B, s->OC, g.Lx);
    // (C, OC*K) += (C, B*L) (B*L, OC*K)
    ecg_gemm(false, true, s->C, OK, n, 1.0f, x, n, dcol, n, 1.0f, dweight, OK);
    if (!din)
        return;
    // (C, B*L) += (C, OC*K) (OC*K, B*L), in place when channel-major
    if (cm)
        dx = din;
    else
        swap_outer(dx, din, s->B, s->C, s->L);
    ecg_gemm(false, false, s->C, n, OK, 1.0f, weight, OK, dcol, n, 1.0f, dx, n);
    if (!cm)
        swap_outer(din, dx, s->C, s->B, s->L);
}

// ----------------------------------------------------------------------------
// the two layouts

void ecg_conv1d_forward(float *out, float *cache, const float *in, const float *weight,
                        const float *bias, const EcgConv1dShape *s)
{
    conv1d_forward(out, cache, in, weight, bias, s, false);
}

void ecg_conv1d_backward(float *din, float *dweight, float *dbias, const float *dout,
                         float *cache, const float *weight, const EcgConv1dShape *s)
{
    conv1d_backward(din, dweight, dbias, dout, cache, weight, s, false);
}

void ecg_conv_transpose1d_forward(float *out, float *cache, const float *in, const float *weight,
                                  const float *bias, const EcgConv1dShape *s)
{
    conv_transpose1d_forward(out, cache, in, weight, bias, s, false);
}

void ecg_conv_transpose1d_backward(float *din, float *dweight, float *dbias, const float *dout,
                                   float *cache, const float *weight, const EcgConv1dShape *s)
{
    conv_transpose1d_backward(din, dweight, dbias, dout, cache, weight, s, false);
}

void ecg_conv1d_forward_cm(float *out, float *cache, const float *in, const float *weight,
                           const float *bias, const EcgConv1dShape *s)
{
    conv1d_forward(out, cache, in, weight, bias, s, true);
}

void ecg_conv1d_backward_cm(float *din, float *dweight, float *dbias, const float *dout,
                            float *cache, const float *weight, const EcgConv1dShape *s)
{
    conv1d_backward(din, dweight, dbias, dout, cache, weight, s, true);
}

void ecg_conv_transpose1d_forward_cm(float *out, float *cache, const float *in,
                                     const float *weight, const float *bias,
                                     const EcgConv1dShape *s)
{
    conv_transpose1d_forward(out, cache, in, weight, bias, s, true);
}

void ecg_conv_transpose1d_backward_cm(float *din, float *dweight, float *dbias,
                                      const float *dout, float *cache, const float *weight,
                                      const EcgConv1dShape *s)
{
    conv_transpose1d_backward(din, dweight, dbias, dout, cache, weight, s, true);
}
