/* The plumbing of core/nn and tiny exact cases: the GEMM wrapper against a
 * double-precision loop (every transposition, sub-blocks with leading dimensions,
 * both the small-product path and BLAS), the vectorised exp/sigmoid/tanh against
 * libm, the parameter arena, hand-computed convolution, transposed convolution
 * and attention outputs, the convolutions' strided product, and both convolutions
 * (forward, backward, by rows with the fused ReLU and on (B, C, L) tensors)
 * against their direct sums on shapes up to the CAE's. */
#include "nn/arena.h"
#include "nn/conv1d.h"
#include "nn/gemm.h"
#include "nn/mha.h"
#include "nn/vecmath.h"
#include "test.h"

#include <stdint.h>

static unsigned long long rng = 0x2545f4914f6cdd1dULL;

static float uniform(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (float)((double)((rng * 2685821657736338717ULL) >> 40) / 16777216.0 * 2.0 - 1.0);
}

// ----------------------------------------------------------------------------
// gemm

// C = alpha op(A) op(B) + beta C on sub-blocks with padded leading dimensions,
// checked against the same product in double.
static double gemm_error(bool ta, bool tb, size_t M, size_t N, size_t K, float alpha, float beta)
{
    size_t pad = 3, lda = (ta ? M : K) + pad, ldb = (tb ? K : N) + pad, ldc = N + pad;
    size_t ra = ta ? K : M, rb = tb ? N : K;
    float *A = malloc(ra * lda * sizeof *A), *B = malloc(rb * ldb * sizeof *B);
    float *C = malloc(M * ldc * sizeof *C), *C0 = malloc(M * ldc * sizeof *C0);
    for (size_t i = 0; i < ra * lda; i++)
        A[i] = uniform();
    for (size_t i = 0; i < rb * ldb; i++)
        B[i] = uniform();
    for (size_t i = 0; i < M * ldc; i++) // with beta == 0, C must not be read: NaN would show
        C[i] = C0[i] = beta == 0.0f && i % ldc < N ? NAN : uniform();
    ecg_gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    double max_err = 0.0;
    for (size_t i = 0; i < M; i++)
        for (size_t j = 0; j < ldc; j++) {
            double want = C0[i * ldc + j];
            if (j < N) {
                double acc = 0.0;
                for (size_t k = 0; k < K; k++)
                    acc += (double)A[ta ? k * lda + i : i * lda + k] *
                           B[tb ? j * ldb + k : k * ldb + j];
                want = alpha * acc + (beta == 0.0f ? 0.0 : beta * want);
            }
            double err = fabs(C[i * ldc + j] - want) / (1.0 + fabs(want));
            max_err = isnan(err) ? INFINITY : fmax(max_err, err);
        }
    free(A), free(B), free(C), free(C0);
    return max_err;
}

static void test_gemm(void)
{
    // (M, N, K): below and above the small-product threshold
    const size_t shapes[][3] = {{3, 4, 5}, {12, 12, 4}, {1, 7, 1}, {37, 29, 41}, {64, 80, 33}};
    double worst = 0.0;
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
        for (int t = 0; t < 4; t++) {
            size_t M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
            double e0 = gemm_error(t & 1, t & 2, M, N, K, 1.0f, 0.0f);
            double e1 = gemm_error(t & 1, t & 2, M, N, K, -0.5f, 0.75f);
            CHECK_MSG(e0 < 1e-5 && e1 < 1e-5, "%zux%zux%zu trans %d: errors %.3g %.3g", M, N, K,
                      t, e0, e1);
            worst = fmax(worst, fmax(e0, e1));
        }
    printf("#   gemm: max error %.2e against double\n", worst);
}

// ----------------------------------------------------------------------------
// vecmath: the copy the library dispatches to, and the portable four-lane copy
// (which machines with AVX2 never run), compiled here from the same source

#define LANES 4
#define NAME(f) f##_4
#include "nn/vecmath-lanes.h"
#undef LANES
#undef NAME

typedef struct {
    const char *name;
    void (*exp)(float *y, const float *x, size_t n);
    void (*sigmoid)(float *y, const float *x, size_t n);
    void (*tanh)(float *y, const float *x, size_t n);
    void (*softmax)(float *x, size_t rows, size_t cols);
    void (*softmax_backward)(float *d, const float *a, size_t rows, size_t cols);
} VecKernels;

static void check_elementwise(const VecKernels *k)
{
    size_t n = 200003; // not a multiple of the lane count: the tail is covered
    float *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    double exp_err = 0.0, sig_err = 0.0, tanh_err = 0.0;
    for (size_t i = 0; i < n; i++)
        x[i] = -86.0f + 172.0f * (float)i / (float)n;
    k->exp(y, x, n);
    for (size_t i = 0; i < n; i++)
        exp_err = fmax(exp_err, fabs(y[i] - exp(x[i])) / exp(x[i]));
    k->sigmoid(y, x, n);
    for (size_t i = 0; i < n; i++)
        sig_err = fmax(sig_err, fabs(y[i] - 1.0 / (1.0 + exp(-(double)x[i]))));
    for (size_t i = 0; i < n; i++)
        x[i] = -12.0f + 24.0f * (float)i / (float)n;
    k->tanh(y, x, n);
    for (size_t i = 0; i < n; i++)
        tanh_err = fmax(tanh_err, fabs(y[i] - tanh(x[i])));
    printf("#   %s: exp max rel err %.2e, sigmoid max abs err %.2e, tanh max abs err %.2e\n",
           k->name, exp_err, sig_err, tanh_err);
    CHECK(exp_err < 2.5e-7);
    CHECK(sig_err < 3e-7);
    CHECK(tanh_err < 3e-7);

    // saturation, not inf or NaN, far out; exactly 0 below the range of exp
    float far[5] = {-1000.0f, 1000.0f, -100.0f, 100.0f, -INFINITY}, out[5];
    k->exp(out, far, 5);
    CHECK(out[0] == 0.0f && isfinite(out[1]) && out[2] == 0.0f && out[4] == 0.0f);
    k->sigmoid(out, far, 4);
    CHECK(out[0] >= 0.0f && out[0] < 1e-30f && out[1] == 1.0f);
    k->tanh(out, far, 4);
    CHECK(out[0] == -1.0f && out[1] == 1.0f && out[2] == -1.0f && out[3] == 1.0f);
    free(x), free(y);
}

// Row softmax and its backward against double, for row lengths around the lane
// counts; one row has a dominant entry, whose exps underflow to exactly 0.
static void check_softmax(const VecKernels *k)
{
    const size_t lengths[] = {1, 3, 4, 8, 12, 16, 37, 256}, rows = 3;
    double fwd_err = 0.0, bwd_err = 0.0;
    for (size_t c = 0; c < sizeof lengths / sizeof *lengths; c++) {
        size_t n = lengths[c];
        float *a = malloc(rows * n * sizeof *a), *d = malloc(rows * n * sizeof *d);
        double *want = malloc(rows * n * sizeof *want);
        for (size_t i = 0; i < rows * n; i++)
            a[i] = 10.0f * uniform(), d[i] = uniform();
        a[2 * n] = 200.0f;
        for (size_t r = 0; r < rows; r++) {
            double max = -INFINITY, sum = 0.0;
            for (size_t j = 0; j < n; j++)
                max = fmax(max, a[r * n + j]);
            for (size_t j = 0; j < n; j++)
                sum += want[r * n + j] = exp(a[r * n + j] - max);
            for (size_t j = 0; j < n; j++)
                want[r * n + j] /= sum;
        }
        k->softmax(a, rows, n);
        for (size_t i = 0; i < rows * n; i++)
            fwd_err = fmax(fwd_err, fabs(a[i] - want[i]));
        CHECK(n == 1 || a[2 * n + 1] == 0.0f);
        for (size_t r = 0; r < rows; r++) { // d <- a (d - sum d a), in double
            double dot = 0.0;
            for (size_t j = 0; j < n; j++)
                dot += (double)d[r * n + j] * a[r * n + j];
            for (size_t j = 0; j < n; j++)
                want[r * n + j] = a[r * n + j] * (d[r * n + j] - dot);
        }
        k->softmax_backward(d, a, rows, n);
        for (size_t i = 0; i < rows * n; i++)
            bwd_err = fmax(bwd_err, fabs(d[i] - want[i]));
        free(a), free(d), free(want);
    }
    printf("#   %s: softmax max abs err %.2e, backward %.2e\n", k->name, fwd_err, bwd_err);
    CHECK(fwd_err < 1e-6);
    CHECK(bwd_err < 1e-6);
}

// The convolutions' product C = [C +] bias + A B through a ReLU against double: A as
// overlapping windows (rows ars < K apart) and as a transpose (aks > 1), C with
// rows wider than N whose extra floats must stay untouched, B read with its slack;
// shapes around the tiles' sizes.
typedef void VgemmFn(float *, size_t, const float *, size_t, size_t, const float *, size_t,
                     size_t, size_t, size_t, bool, const float *, bool);

static double vgemm_error(VgemmFn *vgemm, size_t M, size_t N, size_t K, bool transposed_a,
                          bool add, bool bias, bool relu)
{
    size_t ars = transposed_a ? 1 : 3, aks = transposed_a ? M + 2 : 1, ldb = N + 1, ldc = N + 5;
    size_t na = (M - 1) * ars + (K ? K - 1 : 0) * aks + 1, nb = K * ldb + ECG_VGEMM_SLACK;
    float *A = malloc(na * sizeof *A), *B = malloc(nb * sizeof *B);
    float *C = malloc(M * ldc * sizeof *C);
    float *b = malloc(N * sizeof *b);
    for (size_t i = 0; i < na; i++)
        A[i] = uniform();
    for (size_t i = 0; i < nb; i++)
        B[i] = uniform();
    for (size_t i = 0; i < N; i++)
        b[i] = uniform();
    for (size_t i = 0; i < M * ldc; i++) // added to, or written over; left alone past N
        C[i] = add && i % ldc < N ? uniform() : NAN;
    float *C0 = malloc(M * ldc * sizeof *C0);
    memcpy(C0, C, M * ldc * sizeof *C);
    vgemm(C, ldc, A, ars, aks, B, ldb, M, N, K, add, bias ? b : NULL, relu);
    double err = 0.0;
    for (size_t m = 0; m < M; m++)
        for (size_t n = 0; n < ldc; n++) {
            double want = (add ? C0[m * ldc + n] : 0.0) + (bias ? b[n % N] : 0.0);
            for (size_t k = 0; k < K; k++)
                want += (double)A[m * ars + k * aks] * B[k * ldb + n % N];
            want = relu ? fmax(want, 0.0) : want;
            float got = C[m * ldc + n];
            err = fmax(err, n < N ? (isfinite(got) ? fabs(got - want) : INFINITY)
                                  : (isnan(got) ? 0.0 : INFINITY));
        }
    free(A), free(B), free(C), free(C0), free(b);
    return err;
}

static void check_vgemm(const char *name, VgemmFn *vgemm)
{
    const size_t Ms[] = {1, 5, 7, 13, 25, 50}, Ns[] = {1, 3, 12, 16, 17, 24, 33, 48, 64, 84, 130};
    const size_t Ks[] = {0, 1, 7, 40};
    double worst = 0.0;
    for (size_t i = 0; i < sizeof Ms / sizeof *Ms; i++)
        for (size_t j = 0; j < sizeof Ns / sizeof *Ns; j++)
            for (size_t k = 0; k < sizeof Ks / sizeof *Ks; k++)
                for (int f = 0; f < 16; f++)
                    worst = fmax(worst, vgemm_error(vgemm, Ms[i], Ns[j], Ks[k], f & 1, f & 2,
                                                    f & 4, f & 8));
    printf("#   %s: strided product max abs err %.2e\n", name, worst);
    CHECK(worst < 1e-5);
}

static void test_vecmath(void)
{
    const VecKernels kernels[2] = {
        {"dispatched", ecg_vexp, ecg_vsigmoid, ecg_vtanh, ecg_vsoftmax, ecg_vsoftmax_backward},
        {"4 lanes", exp_4, sigmoid_4, tanh_4, softmax_4, softmax_backward_4},
    };
    for (size_t i = 0; i < 2; i++) {
        check_elementwise(&kernels[i]);
        check_softmax(&kernels[i]);
    }
    check_vgemm("dispatched", ecg_vgemm);
    check_vgemm("4 lanes", vgemm_4);
}

// ----------------------------------------------------------------------------
// arena

static void test_arena(void)
{
    EcgError err;
    EcgArena p, g;
    ecg_arena_init(&p);
    REQUIRE_OK(ecg_arena_add(&p, "encoder.weight_ih_l0", 2, (size_t[]){8, 3}, &err), &err);
    REQUIRE_OK(ecg_arena_add(&p, "encoder.bias_ih_l0", 1, (size_t[]){8}, &err), &err);
    REQUIRE_OK(ecg_arena_add(&p, "lead_embed", 2, (size_t[]){12, 16}, &err), &err);
    CHECK(ecg_arena_add(&p, "encoder.bias_ih_l0", 1, (size_t[]){8}, &err) == ECG_ERR_ARG);
    CHECK(strstr(err.message, "encoder.bias_ih_l0") != NULL);
    CHECK(ecg_arena_add(&p, "", 1, (size_t[]){8}, &err) == ECG_ERR_ARG);
    CHECK(ecg_arena_add(&p, "x", 2, (size_t[]){8, 0}, &err) == ECG_ERR_ARG);
    CHECK(ecg_arena_add(&p, "x", 5, (size_t[]){1, 1, 1, 1, 1}, &err) == ECG_ERR_ARG);
    CHECK(p.n_views == 3 && p.size == 24 + 8 + 192);
    CHECK(ecg_arena_get(&p, "lead_embed") == NULL); // not allocated yet

    REQUIRE_OK(ecg_arena_alloc(&p, &err), &err);
    const EcgView *v = ecg_arena_find(&p, "encoder.bias_ih_l0");
    CHECK(v && v->offset == 24 && v->size == 8 && v->ndim == 1 && v->shape[0] == 8);
    CHECK(ecg_arena_get(&p, "lead_embed") == p.data + 32);
    CHECK(ecg_arena_find(&p, "nothing") == NULL && ecg_arena_get(&p, "nothing") == NULL);
    CHECK(p.data[p.size - 1] == 0.0f);

    REQUIRE_OK(ecg_arena_init_like(&g, &p, &err), &err);
    CHECK(g.size == p.size && g.n_views == p.n_views && g.data != p.data);
    CHECK(ecg_arena_get(&g, "lead_embed") - g.data == 32);
    g.data[5] = 1.0f;
    ecg_arena_zero(&g);
    CHECK(g.data[5] == 0.0f);
    ecg_arena_clear(&g);
    ecg_arena_clear(&p);
    CHECK(p.data == NULL && p.n_views == 0 && p.size == 0);
}

// ----------------------------------------------------------------------------
// exact cases

static void test_conv_exact(void)
{
    // [1 2 3 4 5] * [1 0 -1], stride 2, padding 1: windows [0 1 2] [2 3 4] [4 5 0]
    const float in[5] = {1, 2, 3, 4, 5}, w[3] = {1, 0, -1}, bias[1] = {0.5f};
    EcgConv1dShape s = {.B = 1, .C = 1, .L = 5, .OC = 1, .K = 3, .stride = 2, .padding = 1};
    float out[3], cache[256];
    CHECK(ecg_conv1d_out_len(&s) == 3 && ecg_conv1d_cache_size(&s) <= 256);
    ecg_conv1d_forward(out, cache, in, w, bias, &s);
    CHECK(out[0] == -1.5f && out[1] == -1.5f && out[2] == 4.5f);

    // [1 2] through [1 1 1], stride 2, padding 1, output_padding 1: each input
    // spreads over 3 positions 2 apart, the first one cropped: [1 3 2 2]
    const float tin[2] = {1, 2}, tw[3] = {1, 1, 1};
    EcgConv1dShape t = {.B = 1, .C = 1, .L = 2, .OC = 1, .K = 3, .stride = 2, .padding = 1,
                        .output_padding = 1};
    float tout[4];
    CHECK(ecg_conv_transpose1d_out_len(&t) == 4 && ecg_conv_transpose1d_cache_size(&t) <= 256);
    ecg_conv_transpose1d_forward(tout, cache, tin, tw, NULL, &t);
    CHECK(tout[0] == 1 && tout[1] == 3 && tout[2] == 2 && tout[3] == 2);
}

// ----------------------------------------------------------------------------
// convolutions against direct sums, both layouts

// Both directions in double from their definition. A convolution maps the "big"
// tensor (its input, C channels) onto the "small" one (its output, OC channels),
// a transposed one the small (its input, C channels) onto the big (its output);
// either way the windows pair small[b, i, l] with big[b, j, l stride - padding + k]
// through weight[i, j, k] (conv (OC, C, K), transposed (C, OC, K)).
typedef struct {
    size_t B, n_small, L_small, n_big, L_big, K, stride, padding;
} Pairing;

static Pairing pairing(const EcgConv1dShape *s, bool transposed)
{
    return transposed ? (Pairing){s->B, s->C, s->L, s->OC, ecg_conv_transpose1d_out_len(s), s->K,
                                  s->stride, s->padding}
                      : (Pairing){s->B, s->OC, ecg_conv1d_out_len(s), s->C, s->L, s->K,
                                  s->stride, s->padding};
}

// small (B, n_small, L_small), big (B, n_big, L_big); each pair either adds
// w small into big (to_big) or w big into small; dw[i, j, k] += small big.
static void direct_pairs(const Pairing *q, double *small, double *big, double *dw,
                         const float *w, bool to_big)
{
    for (size_t b = 0; b < q->B; b++)
        for (size_t l = 0; l < q->L_small; l++)
            for (size_t k = 0; k < q->K; k++) {
                size_t pos = l * q->stride + k;
                if (pos < q->padding || pos - q->padding >= q->L_big)
                    continue;
                for (size_t i = 0; i < q->n_small; i++)
                    for (size_t j = 0; j < q->n_big; j++) {
                        double *sm = small + (b * q->n_small + i) * q->L_small + l;
                        double *bg = big + (b * q->n_big + j) * q->L_big + pos - q->padding;
                        double wv = w[(i * q->n_big + j) * q->K + k];
                        if (dw)
                            dw[(i * q->n_big + j) * q->K + k] += *sm * *bg;
                        else if (to_big)
                            *bg += wv * *sm;
                        else
                            *sm += wv * *bg;
                    }
            }
}

static double max_diff(const float *a, const double *b, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        m = fmax(m, isfinite(a[i]) ? fabs(a[i] - b[i]) : INFINITY);
    return m;
}

// The layer's input and output by rows with a row more than its margins before and
// between the sequences: the layers must not depend on having the least.
static void rows_of(const EcgConv1dShape *s, bool transposed, EcgRows *in, EcgRows *out)
{
    EcgMargins mi, mo;
    if (transposed)
        ecg_conv_transpose1d_margins(s, &mi, &mo);
    else
        ecg_conv1d_margins(s, &mi, &mo);
    Pairing q = pairing(s, transposed);
    EcgMargins *mb = transposed ? &mo : &mi, *ms = transposed ? &mi : &mo;
    size_t gb = (mb->gap > mb->P ? mb->gap : mb->P) + 1;
    size_t gs = (ms->gap > ms->P ? ms->gap : ms->P) + 1;
    size_t Rs = (q.L_big + gb + s->stride - 1) / s->stride;
    Rs = Rs > q.L_small + gs ? Rs : q.L_small + gs;
    EcgRows big = {Rs * s->stride, mb->P + 1}, small = {Rs, ms->P + 1};
    *in = transposed ? small : big;
    *out = transposed ? big : small;
}

// x by rows r (zero elsewhere) <-> t (B, C, L)
static void to_rows(float *x, const float *t, size_t B, size_t C, size_t L, EcgRows r)
{
    memset(x, 0, ecg_rows_size(B, r, C) * sizeof *x);
    for (size_t b = 0; b < B; b++)
        for (size_t c = 0; c < C; c++)
            for (size_t l = 0; l < L; l++)
                x[(b * r.R + r.P + l) * C + c] = t[(b * C + c) * L + l];
}

static void from_rows(float *t, const float *x, size_t B, size_t C, size_t L, EcgRows r)
{
    for (size_t b = 0; b < B; b++)
        for (size_t c = 0; c < C; c++)
            for (size_t l = 0; l < L; l++)
                t[(b * C + c) * L + l] = x[(b * r.R + r.P + l) * C + c];
}

// whether every float of x by rows outside its sequences is 0
static bool zero_between(const float *x, size_t B, size_t C, size_t L, EcgRows r)
{
    for (size_t j = 0; j < (B + 1) * r.R; j++) {
        size_t b = j / r.R, t = j % r.R;
        bool inside = b < B && t >= r.P && t < r.P + L;
        for (size_t c = 0; c < C && !inside; c++)
            if (x[j * C + c] != 0.0f)
                return false;
    }
    return true;
}

// The reference backward from dout: din, dw (from 1 each), db (from 1 each).
static void reference_backward(const Pairing *q, const EcgConv1dShape *s, bool transposed,
                               double *r_in, double *r_dout, double *r_din, double *r_dw,
                               double *r_db, const float *w)
{
    size_t Lout = transposed ? q->L_big : q->L_small;
    size_t n_in = s->B * s->C * s->L, n_w = s->OC * s->C * s->K;
    memset(r_din, 0, n_in * sizeof *r_din);
    for (size_t i = 0; i < n_w; i++)
        r_dw[i] = 1;
    for (size_t i = 0; i < s->OC; i++)
        r_db[i] = 1;
    if (transposed) {
        direct_pairs(q, r_din, r_dout, NULL, w, false);
        direct_pairs(q, r_in, r_dout, r_dw, w, false);
    } else {
        direct_pairs(q, r_dout, r_din, NULL, w, true);
        direct_pairs(q, r_dout, r_in, r_dw, w, false);
    }
    for (size_t b = 0; b < s->B; b++)
        for (size_t o = 0; o < s->OC; o++)
            for (size_t l = 0; l < Lout; l++)
                r_db[o] += r_dout[(b * s->OC + o) * Lout + l];
}

// Forward and backward of one shape in both layouts against the direct sums: on
// (B, C, L) tensors, and by rows through the ReLU (the backward masking dout in
// place), from tensors zero around their sequences that stay so. The input
// gradient is overwritten (NaN beforehand), the weight and bias gradients added to
// what they held.
static double conv_layout_error(EcgConv1dShape s, bool transposed)
{
    Pairing q = pairing(&s, transposed);
    size_t Lout = transposed ? q.L_big : q.L_small;
    size_t n_in = s.B * s.C * s.L, n_out = s.B * s.OC * Lout, n_w = s.OC * s.C * s.K;
    float *in = malloc(n_in * sizeof *in), *w = malloc(n_w * sizeof *w);
    float *bias = malloc(s.OC * sizeof *bias), *dout = malloc(n_out * sizeof *dout);
    for (size_t i = 0; i < n_in; i++)
        in[i] = uniform();
    for (size_t i = 0; i < n_w; i++)
        w[i] = uniform();
    for (size_t i = 0; i < s.OC; i++)
        bias[i] = uniform();
    for (size_t i = 0; i < n_out; i++)
        dout[i] = uniform();

    double *r_in = calloc(n_in, sizeof *r_in), *r_out = calloc(n_out, sizeof *r_out);
    double *r_din = calloc(n_in, sizeof *r_din), *r_dout = calloc(n_out, sizeof *r_dout);
    double *r_dw = calloc(n_w, sizeof *r_dw), *r_db = calloc(s.OC, sizeof *r_db);
    for (size_t i = 0; i < n_in; i++)
        r_in[i] = in[i];
    if (transposed)
        direct_pairs(&q, r_in, r_out, NULL, w, true);
    else
        direct_pairs(&q, r_out, r_in, NULL, w, false);
    for (size_t b = 0; b < s.B; b++)
        for (size_t o = 0; o < s.OC; o++)
            for (size_t l = 0; l < Lout; l++)
                r_out[(b * s.OC + o) * Lout + l] += bias[o];

    EcgRows rin, rout;
    rows_of(&s, transposed, &rin, &rout);
    size_t n_cache = transposed ? ecg_conv_transpose1d_cache_size(&s) : ecg_conv1d_cache_size(&s);
    size_t n_rcache = transposed ? ecg_conv_transpose1d_rows_cache_size(&s)
                                 : ecg_conv1d_rows_cache_size(&s);
    size_t n_rin = ecg_rows_size(s.B, rin, s.C), n_rout = ecg_rows_size(s.B, rout, s.OC);
    float *cache = malloc((n_cache > n_rcache ? n_cache : n_rcache) * sizeof *cache);
    float *out = malloc(n_out * sizeof *out), *din = malloc(n_in * sizeof *din);
    float *dw = malloc(n_w * sizeof *dw), *db = malloc(s.OC * sizeof *db);
    float *in_r = malloc(n_rin * sizeof *in_r), *out_r = malloc(n_rout * sizeof *out_r);
    float *dout_r = malloc(n_rout * sizeof *dout_r), *din_r = malloc(n_rin * sizeof *din_r);
    double err = 0;
    for (int by_rows = 0; by_rows < 2; by_rows++) {
        for (size_t i = 0; i < n_in; i++)
            din[i] = NAN;
        for (size_t i = 0; i < n_w; i++)
            dw[i] = 1;
        for (size_t i = 0; i < s.OC; i++)
            db[i] = 1;
        if (by_rows) {
            to_rows(in_r, in, s.B, s.C, s.L, rin);
            memset(out_r, 0, n_rout * sizeof *out_r);
            to_rows(dout_r, dout, s.B, s.OC, Lout, rout);
            to_rows(din_r, din, s.B, s.C, s.L, rin); // zero around, NaN inside
            if (transposed) {
                ecg_conv_transpose1d_forward_rows(out_r, cache, in_r, w, bias, true, &s, rin, rout);
                ecg_conv_transpose1d_backward_rows(din_r, dw, db, dout_r, out_r, in_r, cache, w,
                                                   &s, rin, rout);
            } else {
                ecg_conv1d_forward_rows(out_r, cache, in_r, w, bias, true, &s, rin, rout);
                ecg_conv1d_backward_rows(din_r, dw, db, dout_r, out_r, in_r, cache, w, &s, rin,
                                         rout);
            }
            from_rows(out, out_r, s.B, s.OC, Lout, rout);
            from_rows(din, din_r, s.B, s.C, s.L, rin);
            CHECK(zero_between(out_r, s.B, s.OC, Lout, rout));
            CHECK(zero_between(din_r, s.B, s.C, s.L, rin));
            for (size_t i = 0; i < n_out; i++) // through the ReLU
                err = fmax(err, fabs(out[i] - fmax(r_out[i], 0.0)));
            for (size_t i = 0; i < n_out; i++) // the ReLU's mask, as the layer saw it
                r_dout[i] = out[i] > 0.0f ? dout[i] : 0.0;
        } else {
            if (transposed) {
                ecg_conv_transpose1d_forward(out, cache, in, w, bias, &s);
                ecg_conv_transpose1d_backward(din, dw, db, dout, cache, w, &s);
            } else {
                ecg_conv1d_forward(out, cache, in, w, bias, &s);
                ecg_conv1d_backward(din, dw, db, dout, cache, w, &s);
            }
            err = fmax(err, max_diff(out, r_out, n_out));
            for (size_t i = 0; i < n_out; i++)
                r_dout[i] = dout[i];
        }
        reference_backward(&q, &s, transposed, r_in, r_dout, r_din, r_dw, r_db, w);
        err = fmax(err, max_diff(din, r_din, n_in));
        err = fmax(err, max_diff(dw, r_dw, n_w));
        err = fmax(err, max_diff(db, r_db, s.OC));
    }
    free(in), free(w), free(bias), free(dout), free(r_in), free(r_out), free(r_din);
    free(r_dout), free(r_dw), free(r_db), free(cache), free(out), free(din), free(dw), free(db);
    free(in_r), free(out_r), free(dout_r), free(din_r);
    return err;
}

static void test_conv_layouts(void)
{
    // B, C, L, OC, K, stride, padding, output_padding: the CAE's layers at odd
    // lengths, batches over several chunks of columns with a shorter last one,
    // stride 1 and 3, kernels shorter than the stride (positions no window reaches)
    const EcgConv1dShape conv[] = {
        {5, 12, 257, 32, 7, 2, 3, 0}, {3, 32, 129, 64, 5, 2, 2, 0}, {9, 64, 33, 128, 3, 2, 1, 0},
        {60, 5, 100, 4, 5, 2, 2, 0},  {4, 3, 31, 5, 4, 1, 0, 0},    {3, 2, 29, 3, 2, 3, 0, 0},
        {2, 3, 20, 4, 4, 3, 2, 0},
    };
    const EcgConv1dShape convT[] = {
        {5, 128, 33, 64, 3, 2, 1, 1}, {3, 64, 65, 32, 5, 2, 2, 1}, {7, 32, 129, 12, 7, 2, 3, 1},
        {40, 6, 50, 5, 5, 2, 2, 0},   {4, 3, 17, 2, 3, 1, 1, 0},   {3, 2, 11, 3, 2, 3, 0, 2},
        {2, 3, 9, 4, 5, 3, 2, 1},
    };
    double worst = 0;
    for (size_t i = 0; i < sizeof conv / sizeof *conv; i++) {
        double e = conv_layout_error(conv[i], false);
        CHECK_MSG(e < 1e-4, "conv %zu: max error %.3g", i, e);
        worst = fmax(worst, e);
    }
    for (size_t i = 0; i < sizeof convT / sizeof *convT; i++) {
        double e = conv_layout_error(convT[i], true);
        CHECK_MSG(e < 1e-4, "convT %zu: max error %.3g", i, e);
        worst = fmax(worst, e);
    }
    printf("#   conv layouts: max error %.3g against direct sums in double\n", worst);
}

static void test_attention_exact(void)
{
    // identity projections, zero queries and keys: uniform weights 1/2, and every
    // output is the mean of the values
    enum { L = 2, E = 2 };
    float in_w[3 * E * E] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1}, in_b[3 * E] = {0};
    float out_w[E * E] = {1, 0, 0, 1}, out_b[E] = {0, 10};
    EcgMhaParams w = {in_w, in_b, out_w, out_b};
    const float x[L * E] = {1, 2, 3, 4};
    float out[L * E], attn[L * L], cache[64];
    CHECK(ecg_mha_cache_size(1, L, E, 1) <= 64);
    ecg_mha_forward(out, attn, cache, x, x, x, &w, 1, L, E, 1);
    CHECK(out[0] == 2 && out[1] == 13 && out[2] == 2 && out[3] == 13);
    CHECK(attn[0] == 0.5f && attn[1] == 0.5f && attn[2] == 0.5f && attn[3] == 0.5f);
}

int main(void)
{
    RUN(test_gemm);
    RUN(test_vecmath);
    RUN(test_arena);
    RUN(test_conv_exact);
    RUN(test_conv_layouts);
    RUN(test_attention_exact);
    return test_done();
}
