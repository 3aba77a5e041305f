/* Gradient checks of every backward in core/nn against central finite
 * differences, for every input and every weight, on small random shapes.
 *
 * Each case defines a scalar loss f = sum(out * proj) with a fixed random
 * projection proj (so backward runs with dout = proj), accumulated in double.
 * The numerical derivative is the sixth-order central difference
 *   (45 (f(x+h) - f(x-h)) - 9 (f(x+2h) - f(x-2h)) + (f(x+3h) - f(x-3h))) / 60h
 * with h = 2^-4 and inputs on a 2^-12 grid: every perturbed value is exact in
 * float, the truncation error (h^6) is negligible, and the large step keeps the
 * float rounding of the forward pass (about 1e-7 of f) small against the
 * differences. Two errors per tensor, both symmetric in analytic a and
 * numeric n: |a - n| / (|a| + |n|) in the 2-norm over the tensor (at most 1e-4),
 * and the worst element, |a - n| / (|a| + |n| + 0.01 max|n|) (at most 1e-2; the
 * guard keeps rounding noise on near-zero gradients from counting as error).
 * ReLU skips the elements within 3h of its kink. */
#include "nn/activation.h"
#include "nn/conv1d.h"
#include "nn/linear.h"
#include "nn/loss.h"
#include "nn/lstm.h"
#include "nn/mha.h"
#include "nn-test.h"
#include "test.h"

#define STEP 0.0625 // 2^-4
#define FLOOR 1e-2  // of the largest gradient, in the element error
#define TOL_NORM 1e-4
#define TOL_MAX 1e-2

// ----------------------------------------------------------------------------
// random inputs

// Deterministic standard normal numbers (xorshift64* and Box-Muller).
static unsigned long long rng = 0x9e3779b97f4a7c15ULL;

static double randn(void)
{
    double u[2];
    for (int i = 0; i < 2; i++) {
        rng ^= rng >> 12;
        rng ^= rng << 25;
        rng ^= rng >> 27;
        u[i] = ((double)((rng * 2685821657736338717ULL) >> 11) + 0.5) / 9007199254740992.0;
    }
    return sqrt(-2 * log(u[0])) * cos(2 * M_PI * u[1]);
}

// n values scale * N(0,1) on the 2^-12 grid
static float *randoms(size_t n, double scale)
{
    float *p = zeros(n);
    for (size_t i = 0; i < n; i++)
        p[i] = (float)(round(scale * randn() * 4096.0) / 4096.0);
    return p;
}

static double dot(const float *a, const float *b, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += (double)a[i] * b[i];
    return s;
}

// ----------------------------------------------------------------------------
// the finite-difference driver

typedef struct {
    const char *name;
    float *x;  // (n) the values perturbed
    float *dx; // (n) their analytic gradient
    size_t n;
} Tensor;

typedef struct {
    double (*loss)(void *ctx);   // forward, then sum(out * proj)
    void (*backward)(void *ctx); // forward, then backward with dout = proj
    void *ctx;
    Tensor t[12];
    size_t n_tensors;
    bool skip_kinks; // skip elements of the first tensor within 3h of 0 (ReLU)
} GradCase;

static void grad_check(const char *label, GradCase *g)
{
    for (size_t i = 0; i < g->n_tensors; i++)
        memset(g->t[i].dx, 0, g->t[i].n * sizeof(float));
    g->backward(g->ctx);
    for (size_t i = 0; i < g->n_tensors; i++) {
        Tensor *t = &g->t[i];
        double *num = calloc(t->n, sizeof *num), scale = 0.0, max_err = 0.0;
        size_t skipped = 0;
        for (size_t e = 0; e < t->n; e++) {
            float x0 = t->x[e];
            if (i == 0 && g->skip_kinks && fabs(x0) <= 3 * STEP) {
                num[e] = NAN;
                skipped++;
                continue;
            }
            double f[6];
            for (int k = 0; k < 6; k++) {
                t->x[e] = (float)(x0 + (k / 2 + 1) * (k % 2 ? -STEP : STEP));
                f[k] = g->loss(g->ctx);
            }
            t->x[e] = x0;
            num[e] = (45 * (f[0] - f[1]) - 9 * (f[2] - f[3]) + (f[4] - f[5])) / (60 * STEP);
            scale = fmax(scale, fabs(num[e]));
        }
        double diff2 = 0.0, sum2 = 0.0;
        for (size_t e = 0; e < t->n; e++) {
            if (isnan(num[e]))
                continue;
            double a = t->dx[e];
            max_err = fmax(max_err, fabs(a - num[e]) / (fabs(a) + fabs(num[e]) + FLOOR * scale));
            diff2 += (a - num[e]) * (a - num[e]);
            sum2 += a * a + num[e] * num[e];
        }
        double norm_err = sqrt(diff2 / sum2);
        printf("#   %-18s %-21s %4zu values: rel err %.1e, max %.1e", label, t->name,
               t->n - skipped, norm_err, max_err);
        printf(skipped ? " (%zu kinks skipped)\n" : "\n", skipped);
        CHECK_MSG(norm_err <= TOL_NORM && max_err <= TOL_MAX && scale > 0,
                  "%s %s: errors %.3g, %.3g, scale %.3g", label, t->name, norm_err, max_err, scale);
        free(num);
    }
    release();
}

// ----------------------------------------------------------------------------
// linear

typedef struct {
    size_t N, IC, OC;
    float *in, *w, *b, *out, *proj, *din, *dw, *db;
} LinearCtx;

static double linear_loss(void *p)
{
    LinearCtx *c = p;
    ecg_linear_forward(c->out, c->in, c->w, c->b, c->N, c->IC, c->OC);
    return dot(c->out, c->proj, c->N * c->OC);
}

static void linear_backward(void *p)
{
    LinearCtx *c = p;
    linear_loss(c);
    ecg_linear_backward(c->din, c->dw, c->db, c->proj, c->in, c->w, c->N, c->IC, c->OC);
}

static void check_linear(bool with_bias)
{
    LinearCtx c = {.N = 5, .IC = 4, .OC = 3};
    c.in = randoms(c.N * c.IC, 1), c.din = zeros(c.N * c.IC);
    c.w = randoms(c.OC * c.IC, 0.5), c.dw = zeros(c.OC * c.IC);
    c.b = with_bias ? randoms(c.OC, 0.5) : NULL, c.db = with_bias ? zeros(c.OC) : NULL;
    c.out = zeros(c.N * c.OC), c.proj = randoms(c.N * c.OC, 1);
    GradCase g = {linear_loss, linear_backward, &c, {
        {"input", c.in, c.din, c.N * c.IC},
        {"weight", c.w, c.dw, c.OC * c.IC},
        {"bias", c.b, c.db, c.OC},
    }, with_bias ? 3 : 2, false};
    grad_check(with_bias ? "linear" : "linear (no bias)", &g);
}

static void test_linear(void)
{
    check_linear(true);
    check_linear(false);
}

// ----------------------------------------------------------------------------
// elementwise layers: relu, bounded log-variance, reparameterisation

typedef struct {
    size_t n;
    int kind; // 0 relu, 1 logvar bound, 2 reparam
    float *x, *y, *eps, *out, *proj, *dx, *dy;
} ElemCtx;

static double elem_loss(void *p)
{
    ElemCtx *c = p;
    if (c->kind == 0)
        ecg_relu_forward(c->out, c->x, c->n);
    else if (c->kind == 1)
        ecg_logvar_bound_forward(c->out, c->x, c->n);
    else
        ecg_reparam_forward(c->out, c->x, c->y, c->eps, c->n);
    return dot(c->out, c->proj, c->n);
}

static void elem_backward(void *p)
{
    ElemCtx *c = p;
    elem_loss(c);
    if (c->kind == 0)
        ecg_relu_backward(c->dx, c->proj, c->out, c->n);
    else if (c->kind == 1)
        ecg_logvar_bound_backward(c->dx, c->proj, c->out, c->n);
    else
        ecg_reparam_backward(c->dx, c->dy, c->proj, c->y, c->eps, c->n);
}

static void check_elem(const char *label, int kind, const char *x_name, double x_scale)
{
    ElemCtx c = {.n = 40, .kind = kind};
    c.x = randoms(c.n, x_scale), c.dx = zeros(c.n);
    c.y = randoms(c.n, 1), c.dy = zeros(c.n), c.eps = randoms(c.n, 1);
    c.out = zeros(c.n), c.proj = randoms(c.n, 1);
    GradCase g = {elem_loss, elem_backward, &c, {
        {x_name, c.x, c.dx, c.n},
        {"logvar", c.y, c.dy, c.n},
    }, kind == 2 ? 2 : 1, kind == 0};
    grad_check(label, &g);
}

static void test_elementwise(void)
{
    check_elem("relu", 0, "input", 1);
    check_elem("logvar bound", 1, "raw", 8); // reaches the saturated range
    check_elem("reparam", 2, "mu", 1);
}

// ----------------------------------------------------------------------------
// losses: proj is one random scalar, the weight dloss of the loss

typedef struct {
    size_t n;
    int kind; // 0 mse, 1 gaussian nll, 2 kl
    float dloss;
    float *x, *y, *target, *dx, *dy;
} LossCtx;

static double loss_loss(void *p)
{
    LossCtx *c = p;
    double l = c->kind == 0   ? ecg_mse_forward(NULL, c->x, c->target, c->n)
               : c->kind == 1 ? ecg_gaussian_nll_forward(NULL, c->target, c->x, c->y, c->n)
                              : ecg_kl_forward(c->x, c->y, c->n);
    return c->dloss * l;
}

static void loss_backward(void *p)
{
    LossCtx *c = p;
    if (c->kind == 0)
        ecg_mse_backward(c->dx, c->dloss, c->x, c->target, c->n);
    else if (c->kind == 1)
        ecg_gaussian_nll_backward(c->dx, c->dy, c->dloss, c->target, c->x, c->y, c->n);
    else
        ecg_kl_backward(c->dx, c->dy, c->dloss, c->x, c->y, c->n);
}

static void check_loss(const char *label, int kind, const char *x_name)
{
    LossCtx c = {.n = 30, .kind = kind, .dloss = 0.75f};
    c.x = randoms(c.n, 1), c.dx = zeros(c.n);
    c.y = randoms(c.n, 1), c.dy = zeros(c.n), c.target = randoms(c.n, 1);
    GradCase g = {loss_loss, loss_backward, &c, {
        {x_name, c.x, c.dx, c.n},
        {"logvar", c.y, c.dy, c.n},
    }, kind == 0 ? 1 : 2, false};
    grad_check(label, &g);
}

static void test_losses(void)
{
    check_loss("mse", 0, "pred");
    check_loss("gaussian nll", 1, "mean");
    check_loss("kl", 2, "mu");
}

// ----------------------------------------------------------------------------
// conv1d and conv_transpose1d

typedef struct {
    EcgConv1dShape s;
    bool transposed;
    size_t n_in, n_w, n_out;
    float *in, *w, *b, *out, *cache, *proj, *din, *dw, *db;
} ConvCtx;

static double conv_loss(void *p)
{
    ConvCtx *c = p;
    if (c->transposed)
        ecg_conv_transpose1d_forward(c->out, c->cache, c->in, c->w, c->b, &c->s);
    else
        ecg_conv1d_forward(c->out, c->cache, c->in, c->w, c->b, &c->s);
    return dot(c->out, c->proj, c->n_out);
}

static void conv_backward(void *p)
{
    ConvCtx *c = p;
    conv_loss(c);
    if (c->transposed)
        ecg_conv_transpose1d_backward(c->din, c->dw, c->db, c->proj, c->cache, c->w, &c->s);
    else
        ecg_conv1d_backward(c->din, c->dw, c->db, c->proj, c->cache, c->w, &c->s);
}

static void check_conv(EcgConv1dShape s, bool transposed)
{
    ConvCtx c = {.s = s, .transposed = transposed};
    size_t Lout = transposed ? ecg_conv_transpose1d_out_len(&s) : ecg_conv1d_out_len(&s);
    c.n_in = s.B * s.C * s.L, c.n_w = s.OC * s.C * s.K, c.n_out = s.B * s.OC * Lout;
    c.in = randoms(c.n_in, 1), c.din = zeros(c.n_in);
    c.w = randoms(c.n_w, 0.5), c.dw = zeros(c.n_w);
    c.b = randoms(s.OC, 0.5), c.db = zeros(s.OC);
    c.out = zeros(c.n_out), c.proj = randoms(c.n_out, 1);
    c.cache = zeros(transposed ? ecg_conv_transpose1d_cache_size(&s) : ecg_conv1d_cache_size(&s));
    GradCase g = {conv_loss, conv_backward, &c, {
        {"input", c.in, c.din, c.n_in},
        {"weight", c.w, c.dw, c.n_w},
        {"bias", c.b, c.db, s.OC},
    }, 3, false};
    char label[64];
    snprintf(label, sizeof label, "%s k%zu s%zu p%zu op%zu", transposed ? "convT" : "conv", s.K,
             s.stride, s.padding, s.output_padding);
    grad_check(label, &g);
}

static void test_conv1d(void)
{
    // B, C, L, OC, K, stride, padding, output_padding
    check_conv((EcgConv1dShape){2, 3, 11, 4, 3, 2, 1, 0}, false);
    check_conv((EcgConv1dShape){1, 2, 16, 3, 7, 2, 3, 0}, false);
    check_conv((EcgConv1dShape){2, 2, 6, 3, 5, 1, 0, 0}, false);
    check_conv((EcgConv1dShape){2, 2, 7, 3, 4, 3, 2, 0}, false); // stride > padding, uneven
    check_conv((EcgConv1dShape){2, 2, 10, 3, 2, 3, 0, 0}, false); // kernel < stride: gaps
}

static void test_conv_transpose1d(void)
{
    check_conv((EcgConv1dShape){2, 3, 5, 2, 5, 2, 2, 1}, true);
    check_conv((EcgConv1dShape){1, 4, 4, 3, 3, 2, 1, 1}, true);
    check_conv((EcgConv1dShape){2, 2, 6, 3, 7, 2, 3, 1}, true);
    check_conv((EcgConv1dShape){2, 3, 4, 2, 3, 1, 0, 0}, true);
    check_conv((EcgConv1dShape){2, 2, 4, 3, 2, 3, 0, 2}, true); // kernel < stride: gaps
}

// ----------------------------------------------------------------------------
// LSTM, one direction and bidirectional

typedef struct {
    size_t B, T, I, H;
    int mode; // 0 forward direction, 1 reverse, 2 bidirectional
    EcgLstmParams w[2], dw[2];
    float *in, *out, *cache, *proj, *din;
} LstmCtx;

static size_t lstm_out_size(const LstmCtx *c)
{
    return c->B * c->T * c->H * (c->mode == 2 ? 2 : 1);
}

static double lstm_loss(void *p)
{
    LstmCtx *c = p;
    if (c->mode == 2)
        ecg_bilstm_forward(c->out, c->cache, c->in, c->w, c->B, c->T, c->I, c->H);
    else
        ecg_lstm_forward(c->out, c->cache, c->in, &c->w[0], c->B, c->T, c->I, c->H, c->H,
                         c->mode == 1);
    return dot(c->out, c->proj, lstm_out_size(c));
}

static void lstm_backward(void *p)
{
    LstmCtx *c = p;
    lstm_loss(c);
    if (c->mode == 2)
        ecg_bilstm_backward(c->din, c->dw, c->proj, c->cache, c->in, c->w, c->B, c->T, c->I,
                            c->H);
    else
        ecg_lstm_backward(c->din, &c->dw[0], c->proj, c->cache, c->in, &c->w[0], c->B, c->T,
                          c->I, c->H, c->H, c->mode == 1);
}

static void check_lstm(int mode)
{
    LstmCtx c = {.B = 2, .T = 5, .I = 3, .H = 4, .mode = mode};
    size_t G = 4 * c.H, dirs = mode == 2 ? 2 : 1;
    c.in = randoms(c.B * c.T * c.I, 1), c.din = zeros(c.B * c.T * c.I);
    GradCase g = {lstm_loss, lstm_backward, &c, {{"input", c.in, c.din, c.B * c.T * c.I}}, 1,
                  false};
    static const char *names[2][4] = {
        {"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"},
        {"weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse",
         "bias_hh_l0_reverse"},
    };
    for (size_t d = 0; d < dirs; d++) {
        size_t sizes[4] = {G * c.I, G * c.H, G, G};
        float **w[4] = {&c.w[d].w_ih, &c.w[d].w_hh, &c.w[d].b_ih, &c.w[d].b_hh};
        float **dw[4] = {&c.dw[d].w_ih, &c.dw[d].w_hh, &c.dw[d].b_ih, &c.dw[d].b_hh};
        for (size_t k = 0; k < 4; k++) {
            *w[k] = randoms(sizes[k], 0.5);
            *dw[k] = zeros(sizes[k]);
            g.t[g.n_tensors++] = (Tensor){names[mode == 1 ? 1 : d][k], *w[k], *dw[k], sizes[k]};
        }
    }
    c.out = zeros(lstm_out_size(&c)), c.proj = randoms(lstm_out_size(&c), 1);
    c.cache = zeros(dirs * ecg_lstm_cache_size(c.B, c.T, c.H));
    grad_check(mode == 0 ? "lstm" : mode == 1 ? "lstm reverse" : "bilstm", &g);
}

static void test_lstm(void)
{
    check_lstm(0);
    check_lstm(1);
    check_lstm(2);
}

// ----------------------------------------------------------------------------
// multi-head attention: separate q, k, v; q = k (time attention); q = k = v

typedef struct {
    size_t B, L, E, heads;
    EcgMhaParams w, dw;
    float *q, *k, *v, *dq, *dk, *dv, *out, *attn, *cache, *proj;
} MhaCtx;

static double mha_loss(void *p)
{
    MhaCtx *c = p;
    ecg_mha_forward(c->out, c->attn, c->cache, c->q, c->k, c->v, &c->w, c->B, c->L, c->E,
                    c->heads);
    return dot(c->out, c->proj, c->B * c->L * c->E);
}

static void mha_backward(void *p)
{
    MhaCtx *c = p;
    mha_loss(c);
    ecg_mha_backward(c->dq, c->dk, c->dv, &c->dw, c->proj, c->cache, c->q, c->k, c->v, &c->w,
                     c->B, c->L, c->E, c->heads);
}

// shared: 0 separate inputs, 1 q = k, 2 q = k = v
static void check_mha(int shared)
{
    MhaCtx c = {.B = 2, .L = 5, .E = 6, .heads = 2};
    size_t n = c.B * c.L * c.E, E = c.E;
    c.q = randoms(n, 1), c.dq = zeros(n);
    c.k = shared >= 1 ? c.q : randoms(n, 1), c.dk = shared >= 1 ? c.dq : zeros(n);
    c.v = shared == 2 ? c.q : randoms(n, 1), c.dv = shared == 2 ? c.dq : zeros(n);
    c.w = (EcgMhaParams){randoms(3 * E * E, 0.5), randoms(3 * E, 0.5), randoms(E * E, 0.5),
                         randoms(E, 0.5)};
    c.dw = (EcgMhaParams){zeros(3 * E * E), zeros(3 * E), zeros(E * E), zeros(E)};
    c.out = zeros(n), c.attn = zeros(c.B * c.L * c.L), c.proj = randoms(n, 1);
    c.cache = zeros(ecg_mha_cache_size(c.B, c.L, c.E, c.heads));
    GradCase g = {mha_loss, mha_backward, &c, {
        {"in_proj_weight", c.w.in_proj_weight, c.dw.in_proj_weight, 3 * E * E},
        {"in_proj_bias", c.w.in_proj_bias, c.dw.in_proj_bias, 3 * E},
        {"out_proj.weight", c.w.out_proj_weight, c.dw.out_proj_weight, E * E},
        {"out_proj.bias", c.w.out_proj_bias, c.dw.out_proj_bias, E},
        {shared == 0 ? "query" : shared == 1 ? "query=key" : "query=key=value", c.q, c.dq, n},
    }, 5, false};
    if (shared == 0)
        g.t[g.n_tensors++] = (Tensor){"key", c.k, c.dk, n};
    if (shared <= 1)
        g.t[g.n_tensors++] = (Tensor){"value", c.v, c.dv, n};
    grad_check(shared == 0 ? "mha" : shared == 1 ? "mha q=k" : "mha q=k=v", &g);
}

static void test_mha(void)
{
    check_mha(0);
    check_mha(1);
    check_mha(2);
}

int main(void)
{
    RUN(test_linear);
    RUN(test_elementwise);
    RUN(test_losses);
    RUN(test_conv1d);
    RUN(test_conv_transpose1d);
    RUN(test_lstm);
    RUN(test_mha);
    return test_done();
}
