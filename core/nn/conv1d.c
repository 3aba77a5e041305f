#include "conv1d.h"

#include <assert.h>
#include <string.h>

#include "vecmath.h"

// ----------------------------------------------------------------------------
// a layer as a pairing of two tensors by rows
//
// Either layer pairs a "big" tensor (the convolution's input, the transposed
// one's output) with a "small" one: small[l] meets big[l s - p + k] (s = stride, p
// = padding) through the matrix W_k[cb, cs] = weight[cs, cb, k], the weight being
// (OC, C, K) for the convolution and (C, OC, K) for the transposed one: (small
// channels, big channels, K) for both. Three products on the pairing make the
// forward and backward passes of both layers:
//   windows  small[l] = bias + sum_k big[l s - p + k] W_k       conv forward, transposed din
//   phases   big[t] = bias + sum_{t = l s - p + k} small[l] W_k^T   conv din, transposed forward
//   weights  dW_k += sum_l big[l s - p + k]^T small[l]           both weight gradients

typedef struct {
    size_t B, K, s, p;
    size_t Lb, Cb, Ls, Cs; // lengths and channels of the big and small tensors
    EcgRows rb, rs;
    ptrdiff_t delta;       // row j of the small tensor meets rows j s + delta + k of the big one
} Pair;

size_t ecg_rows_size(size_t B, EcgRows rows, size_t C)
{
    return (B + 1) * rows.R * C + ECG_VGEMM_SLACK;
}

size_t ecg_conv1d_out_len(const EcgConv1dShape *s)
{
    assert(s->stride > 0 && s->L + 2 * s->padding >= s->K);
    return (s->L + 2 * s->padding - s->K) / s->stride + 1;
}

size_t ecg_conv_transpose1d_out_len(const EcgConv1dShape *s)
{
    assert(s->stride > 0 && s->output_padding < s->stride && s->L >= 1 &&
           (s->L - 1) * s->stride + s->K + s->output_padding >= 2 * s->padding + 1);
    return (s->L - 1) * s->stride - 2 * s->padding + s->K + s->output_padding;
}

// taps of phase r: the k = r, r + s, ... below K
static size_t taps(size_t K, size_t s, size_t r)
{
    return r < K ? (K - r + s - 1) / s : 0;
}

// The rows beyond a sequence that the products reach. Windows read p big rows
// before it and up to p after. The phases read, for big row t, the small rows l with
// l s - p + k = t: from floor((K - 1 - p) / s) before the sequence to those of t =
// Lb - 1 after; and, as whole windows of taps(0) rows, up to taps(0) - 1 - floor(p /
// s) rows before (with zero weights beyond the first: they need to exist, not to be 0).
static void pair_margins(size_t K, size_t s, size_t p, size_t Lb, size_t Ls, EcgMargins *big,
                         EcgMargins *small)
{
    size_t reach_b = (Ls - 1) * s + K > Lb + p ? (Ls - 1) * s + K - Lb - p : 0;
    big->P = p;
    big->gap = reach_b > p ? reach_b : p;
    size_t window = taps(K, s, 0) - 1, before = window > p / s ? window - p / s : 0;
    size_t left = K - 1 > p ? (K - 1 - p) / s : 0, last = (Lb - 1 + p) / s;
    size_t right = last + 1 > Ls ? last + 1 - Ls : 0;
    small->P = before;
    small->gap = left > right ? left : right;
}

static Pair pair(const EcgConv1dShape *s, bool transposed, EcgRows in, EcgRows out)
{
    Pair q = {.B = s->B, .K = s->K, .s = s->stride, .p = s->padding};
    if (transposed)
        q.Lb = ecg_conv_transpose1d_out_len(s), q.Cb = s->OC, q.rb = out, q.Ls = s->L,
        q.Cs = s->C, q.rs = in;
    else
        q.Lb = s->L, q.Cb = s->C, q.rb = in, q.Ls = ecg_conv1d_out_len(s), q.Cs = s->OC,
        q.rs = out;
    q.delta = (ptrdiff_t)q.rb.P - (ptrdiff_t)q.p - (ptrdiff_t)(q.s * q.rs.P);
    EcgMargins big, small;
    pair_margins(q.K, q.s, q.p, q.Lb, q.Ls, &big, &small);
    assert(q.rb.R == q.s * q.rs.R && q.rb.P >= big.P && q.rb.R >= q.Lb + big.gap &&
           q.rb.R >= q.rb.P + q.Lb && q.rs.P >= small.P && q.rs.R >= q.Ls + small.gap &&
           q.rs.R >= q.rs.P + q.Ls);
    (void)big, (void)small;
    return q;
}

// rows [P, (B - 1) R + P + L): from the first sequence's start to the last one's end
static size_t first_row(EcgRows r)
{
    return r.P;
}

static size_t end_row(EcgRows r, size_t B, size_t L)
{
    return (B - 1) * r.R + r.P + L;
}

// Zero the rows in [lo, hi) of x (C channels) outside its sequences.
static void clear_between(float *x, EcgRows r, size_t B, size_t L, size_t C, size_t lo,
                          size_t hi)
{
    for (size_t b = 0; b <= B; b++) { // the rows before sequence b, or after the last
        size_t from = b ? (b - 1) * r.R + r.P + L : 0, to = b < B ? b * r.R + r.P : hi;
        from = from > lo ? from : lo;
        to = to < hi ? to : hi;
        if (from < to)
            memset(x + from * C, 0, (to - from) * C * sizeof *x);
    }
}

// The taps stacked, wa[k Cb + cb, cs] = weight[cs, cb, k], from weight; or, with
// dweight instead, wa added into dweight the same way. A transpose, 16 small
// channels at a time, so that a block's rows of the weight stay in L1 while the
// rows of wa go a cache line at a time.
static void stack_taps(float *wa, const float *weight, float *dweight, const Pair *q)
{
    size_t Cs = q->Cs, Cb = q->Cb, K = q->K;
    for (size_t c0 = 0; c0 < Cs; c0 += 16) {
        size_t n = Cs - c0 < 16 ? Cs - c0 : 16;
        for (size_t cb = 0; cb < Cb; cb++)
            for (size_t k = 0; k < K; k++) {
                float *a = wa + (k * Cb + cb) * Cs + c0;
                size_t w = (c0 * Cb + cb) * K + k;
                for (size_t c = 0; c < n; c++) {
                    if (weight)
                        a[c] = weight[w + c * Cb * K];
                    else
                        dweight[w + c * Cb * K] += a[c];
                }
            }
    }
}

// small (rows, Cs) = bias + the big windows (rows, K Cb, a row every s) wa (K Cb, Cs)
static void windows(float *small, const float *big, const float *wa, const float *bias,
                    bool relu, const Pair *q)
{
    size_t j0 = first_row(q->rs), j1 = end_row(q->rs, q->B, q->Ls);
    const float *x = big + ((ptrdiff_t)(j0 * q->s) + q->delta) * (ptrdiff_t)q->Cb;
    ecg_vgemm(small + j0 * q->Cs, q->Cs, x, q->s * q->Cb, 1, wa, q->Cs, j1 - j0, q->Cs,
              q->K * q->Cb, false, bias, relu);
    clear_between(small, q->rs, q->B, q->Ls, q->Cs, j0, j1);
}

// Rows of the weight gradient's product at a time: each sum over so many rows is
// made from zero and then added to the running one, so that float's rounding grows
// with a few hundred terms, not with every row of the batch.
enum { WEIGHT_ROWS = 256 };

// dweight[cs, cb, k] += sum_l big[l s - p + k, cb] small[l, cs], through dwa (K Cb, Cs)
static void weights(float *dweight, float *dwa, const float *big, const float *small,
                    const Pair *q)
{
    size_t j0 = first_row(q->rs), j1 = end_row(q->rs, q->B, q->Ls);
    for (size_t j = j0; j < j1; j += WEIGHT_ROWS) {
        size_t n = j1 - j < WEIGHT_ROWS ? j1 - j : WEIGHT_ROWS;
        const float *x = big + ((ptrdiff_t)(j * q->s) + q->delta) * (ptrdiff_t)q->Cb;
        // (K Cb, Cs) += the windows transposed (K Cb, n) small (n, Cs)
        ecg_vgemm(dwa, q->Cs, x, 1, q->s * q->Cb, small + j * q->Cs, q->Cs, q->K * q->Cb,
                  q->Cs, n, j > j0, NULL, false);
    }
    stack_taps(dwa, NULL, dweight, q);
}

// Phases of the big tensor computed by one product: all of them when its rows are
// narrow (a product's columns are better filled), else one at a time.
static size_t phase_group(const Pair *q)
{
    return q->Cb < 32 ? q->s : 1;
}

// big[t] = bias + sum over t = l s - p + k of small[l] W_k^T, by phases: with t + p =
// a s + r, big[a s + r - p] = sum_i small[a - i] W_{r + i s}^T, a product over the
// small rows a whose window is the taps(r) rows up to a. Phases r0 .. r0 + g go
// together: wb (taps(r0) Cs, g Cb) holds W_{r + i s}^T for phase r0 + r at rows of
// window position taps(r0) - 1 - i, zero where r + i s >= K; bias repeated g times in
// rep.
static void phases(float *big, const float *small, const float *weight, float *wb, float *rep,
                   const float *bias, bool relu, const Pair *q)
{
    size_t s = q->s, G = phase_group(q);
    size_t a0 = first_row(q->rs) + q->p / s;
    size_t a1 = (q->B - 1) * q->rs.R + q->rs.P + (q->Lb - 1 + q->p) / s + 1;
    for (size_t g = 0; g < G && bias; g++)
        memcpy(rep + g * q->Cb, bias, q->Cb * sizeof *rep);
    for (size_t r0 = 0; r0 < s; r0 += G) {
        size_t g = s - r0 < G ? s - r0 : G, n = taps(q->K, s, r0), N = g * q->Cb;
        for (size_t i = 0; i < n; i++)
            for (size_t cs = 0; cs < q->Cs; cs++)
                for (size_t r = 0; r < g; r++) {
                    size_t k = r0 + r + (n - 1 - i) * s;
                    float *row = wb + (i * q->Cs + cs) * N + r * q->Cb;
                    for (size_t cb = 0; cb < q->Cb; cb++)
                        row[cb] = k < q->K ? weight[(cs * q->Cb + cb) * q->K + k] : 0.0f;
                }
        // (a1 - a0, g Cb) rows s apart = the windows (a1 - a0, n Cs) wb (n Cs, g Cb)
        float *y = big + ((ptrdiff_t)(a0 * s + r0) + q->delta) * (ptrdiff_t)q->Cb;
        ecg_vgemm(y, s * q->Cb, small + (a0 + 1 - n) * q->Cs, q->Cs, 1, wb, N, a1 - a0, N,
                  n * q->Cs, false, bias ? rep : NULL, relu);
    }
    ptrdiff_t lo = (ptrdiff_t)(a0 * s) + q->delta, hi = (ptrdiff_t)(a1 * s) + q->delta;
    clear_between(big, q->rb, q->B, q->Lb, q->Cb, (size_t)lo, (size_t)hi);
}

// The gradient of a layer's output (rows [lo, hi), C channels) at the start of its
// backward pass: through the ReLU (0 where out is 0) with out, and summed per
// channel into dbias, in one pass for each 64 channels. The sums run in float over
// 64 rows at a time and in double over those: one float sum over a few thousand
// rows would lose digits.
static void output_backward(float *dbias, float *dy, const float *out, size_t lo, size_t hi,
                            size_t C)
{
    for (size_t c0 = 0; c0 < C && (dbias || out); c0 += 64) {
        size_t n = C - c0 < 64 ? C - c0 : 64;
        float part[64] = {0};
        double sum[64] = {0};
        for (size_t j = lo; j < hi; j++) {
            float *d = dy + j * C + c0;
            if (out)
                for (size_t c = 0; c < n; c++)
                    d[c] = out[j * C + c0 + c] > 0.0f ? d[c] : 0.0f;
            for (size_t c = 0; c < n; c++)
                part[c] += d[c];
            if ((j - lo) % 64 == 63 || j + 1 == hi)
                for (size_t c = 0; c < n; c++)
                    sum[c] += part[c], part[c] = 0.0f;
        }
        for (size_t c = 0; dbias && c < n; c++)
            dbias[c0 + c] += (float)sum[c];
    }
}

// ----------------------------------------------------------------------------
// the layers by rows

// cache: wa (K Cb, Cs) | wb (taps(0) Cs, s Cb) | rep (s Cb) | dwa (K Cb, Cs)
static size_t pair_cache_size(size_t K, size_t s, size_t Cb, size_t Cs)
{
    return (K * Cb * Cs + ECG_VGEMM_SLACK) + (taps(K, s, 0) * Cs * s * Cb + ECG_VGEMM_SLACK) +
           s * Cb + K * Cb * Cs;
}

typedef struct {
    float *wa, *wb, *rep, *dwa;
} Cache;

static Cache carve(float *cache, const Pair *q)
{
    Cache c = {.wa = cache};
    c.wb = c.wa + q->K * q->Cb * q->Cs + ECG_VGEMM_SLACK;
    c.rep = c.wb + taps(q->K, q->s, 0) * q->Cs * q->s * q->Cb + ECG_VGEMM_SLACK;
    c.dwa = c.rep + q->s * q->Cb;
    return c;
}

size_t ecg_conv1d_rows_cache_size(const EcgConv1dShape *s)
{
    return pair_cache_size(s->K, s->stride, s->C, s->OC);
}

size_t ecg_conv_transpose1d_rows_cache_size(const EcgConv1dShape *s)
{
    return pair_cache_size(s->K, s->stride, s->OC, s->C);
}

void ecg_conv1d_margins(const EcgConv1dShape *s, EcgMargins *in, EcgMargins *out)
{
    pair_margins(s->K, s->stride, s->padding, s->L, ecg_conv1d_out_len(s), in, out);
}

void ecg_conv_transpose1d_margins(const EcgConv1dShape *s, EcgMargins *in, EcgMargins *out)
{
    pair_margins(s->K, s->stride, s->padding, ecg_conv_transpose1d_out_len(s), s->L, out, in);
}

void ecg_conv1d_forward_rows(float *out, float *cache, const float *in, const float *weight,
                             const float *bias, bool relu, const EcgConv1dShape *s,
                             EcgRows in_rows, EcgRows out_rows)
{
    Pair q = pair(s, false, in_rows, out_rows);
    Cache c = carve(cache, &q);
    stack_taps(c.wa, weight, NULL, &q);
    windows(out, in, c.wa, bias, relu, &q);
}

void ecg_conv1d_backward_rows(float *din, float *dweight, float *dbias, float *dout,
                              const float *out, const float *in, float *cache,
                              const float *weight, const EcgConv1dShape *s, EcgRows in_rows,
                              EcgRows out_rows)
{
    Pair q = pair(s, false, in_rows, out_rows);
    Cache c = carve(cache, &q);
    output_backward(dbias, dout, out, first_row(q.rs), end_row(q.rs, q.B, q.Ls), q.Cs);
    weights(dweight, c.dwa, in, dout, &q);
    if (din)
        phases(din, dout, weight, c.wb, c.rep, NULL, false, &q);
}

void ecg_conv_transpose1d_forward_rows(float *out, float *cache, const float *in,
                                       const float *weight, const float *bias, bool relu,
                                       const EcgConv1dShape *s, EcgRows in_rows,
                                       EcgRows out_rows)
{
    Pair q = pair(s, true, in_rows, out_rows);
    Cache c = carve(cache, &q);
    phases(out, in, weight, c.wb, c.rep, bias, relu, &q);
}

void ecg_conv_transpose1d_backward_rows(float *din, float *dweight, float *dbias, float *dout,
                                        const float *out, const float *in, float *cache,
                                        const float *weight, const EcgConv1dShape *s,
                                        EcgRows in_rows, EcgRows out_rows)
{
    Pair q = pair(s, true, in_rows, out_rows);
    Cache c = carve(cache, &q);
    output_backward(dbias, dout, out, first_row(q.rb), end_row(q.rb, q.B, q.Lb), q.Cb);
    weights(dweight, c.dwa, dout, in, &q);
    if (din) {
        stack_taps(c.wa, weight, NULL, &q);
        windows(din, dout, c.wa, NULL, false, &q);
    }
}

// ----------------------------------------------------------------------------
// the layers on (B, C, L) tensors, through copies by rows

// The least rows that hold one layer's input and output: R of the small tensor from
// its length and margins, or that the big one's needs.
static void single_rows(const EcgConv1dShape *s, bool transposed, EcgRows *in, EcgRows *out)
{
    EcgMargins mi, mo;
    size_t Lout;
    if (transposed) {
        ecg_conv_transpose1d_margins(s, &mi, &mo);
        Lout = ecg_conv_transpose1d_out_len(s);
    } else {
        ecg_conv1d_margins(s, &mi, &mo);
        Lout = ecg_conv1d_out_len(s);
    }
    const EcgMargins *mb = transposed ? &mo : &mi, *ms = transposed ? &mi : &mo;
    size_t Lb = transposed ? Lout : s->L, Ls = transposed ? s->L : Lout;
    size_t gb = mb->gap > mb->P ? mb->gap : mb->P, gs = ms->gap > ms->P ? ms->gap : ms->P;
    size_t Rs = (Lb + gb + s->stride - 1) / s->stride;
    Rs = Rs > Ls + gs ? Rs : Ls + gs;
    EcgRows big = {Rs * s->stride, mb->P}, small = {Rs, ms->P};
    *in = transposed ? small : big;
    *out = transposed ? big : small;
}

// cache: the layer's | in by rows | out (then dout) by rows | din by rows
static size_t layout_cache_size(const EcgConv1dShape *s, bool transposed)
{
    EcgRows in, out;
    single_rows(s, transposed, &in, &out);
    return (transposed ? ecg_conv_transpose1d_rows_cache_size(s) : ecg_conv1d_rows_cache_size(s)) +
           2 * ecg_rows_size(s->B, in, s->C) + ecg_rows_size(s->B, out, s->OC);
}

size_t ecg_conv1d_cache_size(const EcgConv1dShape *s)
{
    return layout_cache_size(s, false);
}

size_t ecg_conv_transpose1d_cache_size(const EcgConv1dShape *s)
{
    return layout_cache_size(s, true);
}

// x by rows (zero outside the sequences) = t (B, C, L)
static void to_rows(float *x, const float *t, size_t B, size_t C, size_t L, EcgRows r)
{
    memset(x, 0, ecg_rows_size(B, r, C) * sizeof *x);
    for (size_t b = 0; b < B; b++)
        for (size_t c = 0; c < C; c++)
            for (size_t l = 0; l < L; l++)
                x[(b * r.R + r.P + l) * C + c] = t[(b * C + c) * L + l];
}

// t (B, C, L) = x by rows
static void from_rows(float *t, const float *x, size_t B, size_t C, size_t L, EcgRows r)
{
    for (size_t b = 0; b < B; b++)
        for (size_t c = 0; c < C; c++)
            for (size_t l = 0; l < L; l++)
                t[(b * C + c) * L + l] = x[(b * r.R + r.P + l) * C + c];
}

typedef struct {
    EcgRows in, out;
    size_t Lout;
    float *layer, *x, *y, *dx; // the layer's cache, in, out or dout, din
} Layout;

static Layout layout(float *cache, const EcgConv1dShape *s, bool transposed)
{
    Layout l = {.layer = cache};
    single_rows(s, transposed, &l.in, &l.out);
    l.Lout = transposed ? ecg_conv_transpose1d_out_len(s) : ecg_conv1d_out_len(s);
    l.x = cache + (transposed ? ecg_conv_transpose1d_rows_cache_size(s)
                              : ecg_conv1d_rows_cache_size(s));
    l.dx = l.x + ecg_rows_size(s->B, l.in, s->C);
    l.y = l.dx + ecg_rows_size(s->B, l.in, s->C);
    return l;
}

static void forward(float *out, float *cache, const float *in, const float *weight,
                    const float *bias, const EcgConv1dShape *s, bool transposed)
{
    Layout l = layout(cache, s, transposed);
    to_rows(l.x, in, s->B, s->C, s->L, l.in);
    memset(l.y, 0, ecg_rows_size(s->B, l.out, s->OC) * sizeof *l.y);
    if (transposed)
        ecg_conv_transpose1d_forward_rows(l.y, l.layer, l.x, weight, bias, false, s, l.in, l.out);
    else
        ecg_conv1d_forward_rows(l.y, l.layer, l.x, weight, bias, false, s, l.in, l.out);
    from_rows(out, l.y, s->B, s->OC, l.Lout, l.out);
}

static void backward(float *din, float *dweight, float *dbias, const float *dout, float *cache,
                     const float *weight, const EcgConv1dShape *s, bool transposed)
{
    Layout l = layout(cache, s, transposed);
    to_rows(l.y, dout, s->B, s->OC, l.Lout, l.out);
    float *dx = din ? l.dx : NULL;
    if (dx)
        memset(dx, 0, ecg_rows_size(s->B, l.in, s->C) * sizeof *dx);
    if (transposed)
        ecg_conv_transpose1d_backward_rows(dx, dweight, dbias, l.y, NULL, l.x, l.layer, weight,
                                           s, l.in, l.out);
    else
        ecg_conv1d_backward_rows(dx, dweight, dbias, l.y, NULL, l.x, l.layer, weight, s, l.in,
                                 l.out);
    if (din)
        from_rows(din, dx, s->B, s->C, s->L, l.in);
}

void ecg_conv1d_forward(float *out, float *cache, const float *in, const float *weight,
                        const float *bias, const EcgConv1dShape *s)
{
    forward(out, cache, in, weight, bias, s, false);
}

void ecg_conv1d_backward(float *din, float *dweight, float *dbias, const float *dout,
                         float *cache, const float *weight, const EcgConv1dShape *s)
{
    backward(din, dweight, dbias, dout, cache, weight, s, false);
}

void ecg_conv_transpose1d_forward(float *out, float *cache, const float *in, const float *weight,
                                  const float *bias, const EcgConv1dShape *s)
{
    forward(out, cache, in, weight, bias, s, true);
}

void ecg_conv_transpose1d_backward(float *din, float *dweight, float *dbias, const float *dout,
                                   float *cache, const float *weight, const EcgConv1dShape *s)
{
    backward(din, dweight, dbias, dout, cache, weight, s, true);
}
