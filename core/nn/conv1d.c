#include "conv1d.h"

#include <assert.h>
#include <stdbool.h>
#include <string.h>

#include "activation.h"
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

// The batch goes through each layer CHUNK floats of columns at a time (Bc
// sequences; at least one), so that a chunk's column matrix, made and consumed at
// once, stays in L2 instead of the whole batch's going out to memory and back.
enum { CHUNK = 1 << 15 };

static size_t chunk(size_t B, size_t per_seq)
{
    size_t Bc = CHUNK / per_seq;
    return Bc < 1 ? 1 : Bc < B ? Bc : B;
}

// the windows of sequences b .. b + Bc (fewer at the end of the batch)
static Cols chunk_cols(const Cols *g, size_t b, size_t Bc)
{
    Cols c = *g;
    c.B = g->B - b < Bc ? g->B - b : Bc;
    return c;
}

// Between a row of x and its phases, P[r, m] <-> x[m s + r - p] (s = stride, p =
// padding): whole groups of s positions, m in [a, e), in a loop that becomes
// vector shuffles when inlined with s = 2 (every layer of the CAE), and the few
// positions at either end one at a time.
typedef struct {
    size_t a, e;   // whole groups: positions a s - p .. e s - p, all in [0, Lx)
    size_t j1, j2; // the ends: positions [0, j1) and [j2, Lx)
} Groups;

static inline Groups groups(size_t Lx, size_t M, size_t s, size_t p)
{
    size_t a = (p + s - 1) / s, e = (Lx + p) / s;
    a = a > M ? M : a;
    e = e > M ? M : e;
    e = e < a ? a : e; // no whole groups: a = e, and everything goes through the ends
    size_t j1 = a * s > p ? a * s - p : 0, j2 = e * s > p ? e * s - p : 0;
    return (Groups){a, e, j1 < Lx ? j1 : Lx, j2 < Lx ? j2 : Lx};
}

// P (s, M) = the phases of row (Lx), 0 in the padding
static inline __attribute__((always_inline)) void to_phases(float *restrict P,
                                                            const float *restrict row, size_t Lx,
                                                            size_t M, size_t s, size_t p)
{
    Groups gr = groups(Lx, M, s, p);
    for (size_t r = 0; r < s; r++)
        for (size_t i = 0; i < gr.a + (M - gr.e); i++) {
            size_t m = i < gr.a ? i : gr.e + i - gr.a, j = m * s + r; // j: position + p
            P[r * M + m] = j >= p && j - p < Lx ? row[j - p] : 0.0f;
        }
    for (size_t m = gr.a; m < gr.e; m++)
        for (size_t r = 0; r < s; r++)
            P[r * M + m] = row[m * s + r - p];
}

// row (Lx) = v + the phases P (s, M), through a ReLU if relu; a position past the
// phases gets v alone
static inline __attribute__((always_inline)) void from_phases(float *restrict row,
                                                              const float *restrict P, size_t Lx,
                                                              size_t M, size_t s, size_t p,
                                                              float v, bool relu)
{
    Groups gr = groups(Lx, M, s, p);
    for (size_t i = 0; i < gr.j1 + (Lx - gr.j2); i++) {
        size_t j = i < gr.j1 ? i : gr.j2 + i - gr.j1, m = (j + p) / s, r = (j + p) % s;
        float y = (m < M ? P[r * M + m] : 0.0f) + v;
        row[j] = relu && y < 0.0f ? 0.0f : y;
    }
    for (size_t m = gr.a; m < gr.e; m++)
        for (size_t r = 0; r < s; r++) {
            float y = P[r * M + m] + v;
            row[m * s + r - p] = relu && y < 0.0f ? 0.0f : y;
        }
}

static void im2col(float *restrict col,     // (Cx*K, B*Lc)
                   float *restrict ph,      // (phases_size) work space
                   const float *restrict x, // (B, Cx, Lx) with strides g->xs
                   const Cols *g)
{
    size_t s = g->stride, M = phase_len(g), p = g->padding, Lc = g->Lc;
    for (size_t c = 0; c < g->Cx; c++)
        for (size_t b = 0; b < g->B; b++) {
            const float *row = x + b * g->xs.sb + c * g->xs.sc;
            if (s == 2)
                to_phases(ph, row, g->Lx, M, 2, p);
            else
                to_phases(ph, row, g->Lx, M, s, p);
            for (size_t k = 0; k < g->K; k++) {
                float *dst = col + ((c * g->K + k) * g->B + b) * Lc;
                const float *src = ph + (k % s) * M + k / s;
                for (size_t l = 0; l < Lc; l++)
                    dst[l] = src[l];
            }
        }
}

// x[b, c, :] = v + the columns added back, v = bias[c] (0 without bias), through a
// ReLU if relu: every element of x is written. Positions no window reaches (K <
// stride, or the end of x past the last window) get v alone.
static void col2im(float *restrict x,          // (B, Cx, Lx) with strides g->xs
                   float *restrict ph,         // (phases_size) work space
                   const float *restrict col,  // (Cx*K, B*Lc)
                   const float *restrict bias, // (Cx) or NULL
                   bool relu, const Cols *g)
{
    size_t s = g->stride, M = phase_len(g), p = g->padding, Lc = g->Lc;
    for (size_t c = 0; c < g->Cx; c++) {
        float v = bias ? bias[c] : 0.0f;
        for (size_t b = 0; b < g->B; b++) {
            // phase r: the rows k = r, r + s, ... shifted by q = k / s and summed
            memset(ph, 0, s * M * sizeof *ph);
            for (size_t k = 0; k < g->K; k++) {
                const float *src = col + ((c * g->K + k) * g->B + b) * Lc;
                float *dst = ph + (k % s) * M + k / s;
                for (size_t l = 0; l < Lc; l++)
                    dst[l] += src[l];
            }
            float *row = x + b * g->xs.sb + c * g->xs.sc;
            if (s == 2)
                from_phases(row, ph, g->Lx, M, 2, p, v, relu);
            else
                from_phases(row, ph, g->Lx, M, s, p, v, relu);
        }
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

// cache: col and dcol of a chunk (C*K, Bc*Lout) each | phases of the input |
// (B, C, L) only: the input (B, C, L) and y (OC, B*Lout)
size_t ecg_conv1d_cache_size(const EcgConv1dShape *s)
{
    Cols g = conv_cols(s, true);
    size_t CK = s->C * s->K;
    return 2 * CK * chunk(s->B, CK * g.Lc) * g.Lc + phases_size(&g) +
           s->B * (s->C * s->L + s->OC * g.Lc);
}

static void conv1d_forward(float *out, float *cache, const float *in, const float *weight,
                           const float *bias, bool relu, const EcgConv1dShape *s, bool cm)
{
    Cols g = conv_cols(s, cm);
    size_t Lout = g.Lc, n = s->B * Lout, CK = s->C * s->K, Bc = chunk(s->B, CK * Lout);
    float *col = cache, *ph = col + 2 * CK * Bc * Lout, *x = ph + phases_size(&g);
    float *y = cm ? out : x + s->B * s->C * s->L;
    if (!cm) {
        memcpy(x, in, s->B * s->C * s->L * sizeof *x);
        in = x;
    }
    // (OC, B*Lout) = bias + (OC, C*K) (C*K, B*Lout), Bc sequences at a time
    fill_bias(y, bias, strides(true, s->B, s->OC, Lout), s->B, s->OC, Lout);
    for (size_t b = 0; b < s->B; b += Bc) {
        Cols gc = chunk_cols(&g, b, Bc);
        im2col(col, ph, in + b * g.xs.sb, &gc);
        ecg_gemm(false, false, s->OC, gc.B * Lout, CK, 1.0f, weight, CK, col, gc.B * Lout, 1.0f,
                 y + b * Lout, n);
    }
    if (relu)
        ecg_relu_forward(y, y, s->OC * n);
    if (!cm)
        swap_outer(out, y, s->OC, s->B, Lout);
}

static void conv1d_backward(float *din, float *dweight, float *dbias, const float *dout,
                            const float *in, float *cache, const float *weight,
                            const EcgConv1dShape *s, bool cm)
{
    Cols g = conv_cols(s, cm);
    size_t Lout = g.Lc, n = s->B * Lout, CK = s->C * s->K, Bc = chunk(s->B, CK * Lout);
    float *col = cache, *dcol = col + CK * Bc * Lout, *ph = dcol + CK * Bc * Lout;
    float *x = ph + phases_size(&g), *tmp = x + s->B * s->C * s->L;
    const float *dy = dout; // (OC, B*Lout)
    if (!cm) {
        swap_outer(tmp, dout, s->B, s->OC, Lout);
        dy = tmp;
        in = x;
    }
    if (dbias)
        bias_backward(dbias, dy, strides(true, s->B, s->OC, Lout), s->B, s->OC, Lout);
    for (size_t b = 0; b < s->B; b += Bc) {
        Cols gc = chunk_cols(&g, b, Bc);
        size_t nc = gc.B * Lout;
        // (OC, C*K) += (OC, Bc*Lout) (Bc*Lout, C*K), the columns made again
        im2col(col, ph, in + b * g.xs.sb, &gc);
        ecg_gemm(false, true, s->OC, CK, nc, 1.0f, dy + b * Lout, n, col, nc, 1.0f, dweight, CK);
        if (din) { // (C*K, Bc*Lout) = (C*K, OC) (OC, Bc*Lout)
            ecg_gemm(true, false, CK, nc, s->OC, 1.0f, weight, CK, dy + b * Lout, n, 0.0f, dcol,
                     nc);
            col2im(din + b * g.xs.sb, ph, dcol, NULL, false, &gc);
        }
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

// cache: col of a chunk (OC*K, Bc*L) | phases of the output | (B, C, L) only: the
// input channel-major x (C, B*L) and dx (C, B*L)
size_t ecg_conv_transpose1d_cache_size(const EcgConv1dShape *s)
{
    Cols g = conv_transpose_cols(s, true);
    size_t OK = s->OC * s->K;
    return OK * chunk(s->B, OK * s->L) * s->L + phases_size(&g) + 2 * s->C * s->B * s->L;
}

static void conv_transpose1d_forward(float *out, float *cache, const float *in,
                                     const float *weight, const float *bias, bool relu,
                                     const EcgConv1dShape *s, bool cm)
{
    Cols g = conv_transpose_cols(s, cm);
    size_t n = s->B * s->L, OK = s->OC * s->K, Bc = chunk(s->B, OK * s->L);
    float *col = cache, *ph = col + OK * Bc * s->L, *x = ph + phases_size(&g);
    if (!cm) {
        swap_outer(x, in, s->B, s->C, s->L);
        in = x;
    }
    for (size_t b = 0; b < s->B; b += Bc) {
        Cols gc = chunk_cols(&g, b, Bc);
        size_t nc = gc.B * s->L;
        // (OC*K, Bc*L) = (OC*K, C) (C, Bc*L)
        ecg_gemm(true, false, OK, nc, s->C, 1.0f, weight, OK, in + b * s->L, n, 0.0f, col, nc);
        col2im(out + b * g.xs.sb, ph, col, bias, relu, &gc);
    }
}

static void conv_transpose1d_backward(float *din, float *dweight, float *dbias,
                                      const float *dout, const float *in, float *cache,
                                      const float *weight, const EcgConv1dShape *s, bool cm)
{
    Cols g = conv_transpose_cols(s, cm);
    size_t n = s->B * s->L, OK = s->OC * s->K, Bc = chunk(s->B, OK * s->L);
    float *dcol = cache, *ph = dcol + OK * Bc * s->L, *x = ph + phases_size(&g);
    float *dx = cm ? din : x + s->C * n; // (C, B*L)
    if (!cm)
        in = x;
    if (dbias)
        bias_backward(dbias, dout, g.xs, s->B, s->OC, g.Lx);
    for (size_t b = 0; b < s->B; b += Bc) {
        Cols gc = chunk_cols(&g, b, Bc);
        size_t nc = gc.B * s->L;
        im2col(dcol, ph, dout + b * g.xs.sb, &gc);
        // (C, OC*K) += (C, Bc*L) (Bc*L, OC*K)
        ecg_gemm(false, true, s->C, OK, nc, 1.0f, in + b * s->L, n, dcol, nc, 1.0f, dweight, OK);
        if (din) // (C, Bc*L) = (C, OC*K) (OC*K, Bc*L)
            ecg_gemm(false, false, s->C, nc, OK, 1.0f, weight, OK, dcol, nc, 0.0f, dx + b * s->L,
                     n);
    }
    if (din && !cm)
        swap_outer(din, dx, s->C, s->B, s->L);
}

// ----------------------------------------------------------------------------
// the two layouts

void ecg_conv1d_forward(float *out, float *cache, const float *in, const float *weight,
                        const float *bias, const EcgConv1dShape *s)
{
    conv1d_forward(out, cache, in, weight, bias, false, s, false);
}

void ecg_conv1d_backward(float *din, float *dweight, float *dbias, const float *dout,
                         float *cache, const float *weight, const EcgConv1dShape *s)
{
    conv1d_backward(din, dweight, dbias, dout, NULL, cache, weight, s, false);
}

void ecg_conv_transpose1d_forward(float *out, float *cache, const float *in, const float *weight,
                                  const float *bias, const EcgConv1dShape *s)
{
    conv_transpose1d_forward(out, cache, in, weight, bias, false, s, false);
}

void ecg_conv_transpose1d_backward(float *din, float *dweight, float *dbias, const float *dout,
                                   float *cache, const float *weight, const EcgConv1dShape *s)
{
    conv_transpose1d_backward(din, dweight, dbias, dout, NULL, cache, weight, s, false);
}

void ecg_conv1d_forward_cm(float *out, float *cache, const float *in, const float *weight,
                           const float *bias, bool relu, const EcgConv1dShape *s)
{
    conv1d_forward(out, cache, in, weight, bias, relu, s, true);
}

void ecg_conv1d_backward_cm(float *din, float *dweight, float *dbias, const float *dout,
                            const float *in, float *cache, const float *weight,
                            const EcgConv1dShape *s)
{
    conv1d_backward(din, dweight, dbias, dout, in, cache, weight, s, true);
}

void ecg_conv_transpose1d_forward_cm(float *out, float *cache, const float *in,
                                     const float *weight, const float *bias, bool relu,
                                     const EcgConv1dShape *s)
{
    conv_transpose1d_forward(out, cache, in, weight, bias, relu, s, true);
}

void ecg_conv_transpose1d_backward_cm(float *din, float *dweight, float *dbias,
                                      const float *dout, const float *in, float *cache,
                                      const float *weight, const EcgConv1dShape *s)
{
    conv_transpose1d_backward(din, dweight, dbias, dout, in, cache, weight, s, true);
}
