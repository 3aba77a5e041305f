/* Parity of every core/nn layer, loss and the optimizer with PyTorch 1.13.
 *
 * tests/make-fixtures.py wrote tests/data/fixtures/nn-layers.h5 with torch:
 * random parameters under their state_dict names, inputs, outputs, and the
 * gradients of every input and parameter for the loss sum(output * proj). Each
 * case here runs the same forward and backward (dout = proj) and prints the
 * largest absolute difference and that difference relative to the largest
 * reference value; forward values must agree within 1e-5 and gradients within
 * 1e-4 of that scale. */
#include "fixture.h"
#include "nn/activation.h"
#include "nn/adam.h"
#include "nn/conv1d.h"
#include "nn/linear.h"
#include "nn/loss.h"
#include "nn/lstm.h"
#include "nn/mha.h"

#define TOL_FORWARD 1e-5
#define TOL_GRAD 1e-4

#define FIXTURE ECGLENS_SOURCE_ROOT "/tests/data/fixtures/nn-layers.h5"

// Compare the gradient stored as grad_<name> with got.
static void compare_grad(hid_t g, const char *label, const char *name, const float *got, size_t n)
{
    char key[96];
    snprintf(key, sizeof key, "grad_%s", name);
    compare(label, key, got, get(g, key, n), n, TOL_GRAD);
}

// ----------------------------------------------------------------------------
// layers

static void test_linear(void)
{
    SKIP_WITHOUT_FIXTURE();
    hid_t g = open_case("linear");
    size_t N = size_attr(g, "N"), IC = size_attr(g, "IC"), OC = size_attr(g, "OC");
    float *in = get(g, "input", N * IC), *w = get(g, "weight", OC * IC), *b = get(g, "bias", OC);
    float *out = zeros(N * OC), *din = zeros(N * IC), *dw = zeros(OC * IC), *db = zeros(OC);
    ecg_linear_forward(out, in, w, b, N, IC, OC);
    ecg_linear_backward(din, dw, db, get(g, "proj", N * OC), in, w, N, IC, OC);
    compare("linear", "output", out, get(g, "output", N * OC), N * OC, TOL_FORWARD);
    compare_grad(g, "linear", "input", din, N * IC);
    compare_grad(g, "linear", "weight", dw, OC * IC);
    compare_grad(g, "linear", "bias", db, OC);
    H5Gclose(g);
    release();
}

static void check_conv(const char *name, bool transposed)
{
    hid_t g = open_case(name);
    EcgConv1dShape s = {size_attr(g, "B"), size_attr(g, "C"), size_attr(g, "L"),
                        size_attr(g, "OC"), size_attr(g, "K"), size_attr(g, "stride"),
                        size_attr(g, "padding"), size_attr(g, "output_padding")};
    size_t Lout = transposed ? ecg_conv_transpose1d_out_len(&s) : ecg_conv1d_out_len(&s);
    size_t n_in = s.B * s.C * s.L, n_w = s.OC * s.C * s.K, n_out = s.B * s.OC * Lout;
    float *in = get(g, "input", n_in), *w = get(g, "weight", n_w), *b = get(g, "bias", s.OC);
    float *proj = get(g, "proj", n_out), *out = zeros(n_out);
    float *din = zeros(n_in), *dw = zeros(n_w), *db = zeros(s.OC);
    if (transposed) {
        float *cache = zeros(ecg_conv_transpose1d_cache_size(&s));
        ecg_conv_transpose1d_forward(out, cache, in, w, b, &s);
        ecg_conv_transpose1d_backward(din, dw, db, proj, cache, w, &s);
    } else {
        float *cache = zeros(ecg_conv1d_cache_size(&s));
        ecg_conv1d_forward(out, cache, in, w, b, &s);
        ecg_conv1d_backward(din, dw, db, proj, cache, w, &s);
    }
    compare(name, "output", out, get(g, "output", n_out), n_out, TOL_FORWARD);
    compare_grad(g, name, "input", din, n_in);
    compare_grad(g, name, "weight", dw, n_w);
    compare_grad(g, name, "bias", db, s.OC);
    H5Gclose(g);
    release();
}

static void test_conv1d(void)
{
    SKIP_WITHOUT_FIXTURE();
    check_conv("conv1d", false);
    check_conv("conv_transpose1d", true);
}

static void check_lstm(const char *name, size_t dirs)
{
    hid_t g = open_case(name);
    size_t B = size_attr(g, "B"), T = size_attr(g, "T"), I = size_attr(g, "I"),
           H = size_attr(g, "H"), G = 4 * H, n_out = B * T * dirs * H;
    static const char *names[4] = {"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"};
    size_t sizes[4] = {G * I, G * H, G, G};
    EcgLstmParams w[2], dw[2];
    for (size_t d = 0; d < dirs; d++) {
        float **pw[4] = {&w[d].w_ih, &w[d].w_hh, &w[d].b_ih, &w[d].b_hh};
        float **pdw[4] = {&dw[d].w_ih, &dw[d].w_hh, &dw[d].b_ih, &dw[d].b_hh};
        for (size_t k = 0; k < 4; k++) {
            char key[64];
            snprintf(key, sizeof key, "%s%s", names[k], d ? "_reverse" : "");
            *pw[k] = get(g, key, sizes[k]);
            *pdw[k] = zeros(sizes[k]);
        }
    }
    float *in = get(g, "input", B * T * I), *proj = get(g, "proj", n_out);
    float *out = zeros(n_out), *din = zeros(B * T * I);
    float *cache = zeros(dirs * ecg_lstm_cache_size(B, T, H));
    if (dirs == 2) {
        ecg_bilstm_forward(out, cache, in, w, B, T, I, H);
        ecg_bilstm_backward(din, dw, proj, cache, in, w, B, T, I, H);
    } else {
        ecg_lstm_forward(out, cache, in, w, B, T, I, H, H, false);
        ecg_lstm_backward(din, dw, proj, cache, in, w, B, T, I, H, H, false);
    }
    compare(name, "output", out, get(g, "output", n_out), n_out, TOL_FORWARD);
    compare_grad(g, name, "input", din, B * T * I);
    for (size_t d = 0; d < dirs; d++) {
        float *grads[4] = {dw[d].w_ih, dw[d].w_hh, dw[d].b_ih, dw[d].b_hh};
        for (size_t k = 0; k < 4; k++) {
            char key[64];
            snprintf(key, sizeof key, "%s%s", names[k], d ? "_reverse" : "");
            compare_grad(g, name, key, grads[k], sizes[k]);
        }
    }
    H5Gclose(g);
    release();
}

static void test_lstm(void)
{
    SKIP_WITHOUT_FIXTURE();
    check_lstm("lstm", 1);
    check_lstm("bilstm", 2);
}

// shared: 0 separate query, key, value; 1 query = key; 2 query = key = value
static void check_mha(const char *name, int shared)
{
    hid_t g = open_case(name);
    size_t B = size_attr(g, "B"), L = size_attr(g, "L"), E = size_attr(g, "E"),
           heads = size_attr(g, "heads"), n = B * L * E;
    EcgMhaParams w = {get(g, "in_proj_weight", 3 * E * E), get(g, "in_proj_bias", 3 * E),
                      get(g, "out_proj.weight", E * E), get(g, "out_proj.bias", E)};
    EcgMhaParams dw = {zeros(3 * E * E), zeros(3 * E), zeros(E * E), zeros(E)};
    float *q = get(g, "query", n), *dq = zeros(n);
    float *k = shared >= 1 ? q : get(g, "key", n), *dk = shared >= 1 ? dq : zeros(n);
    float *v = shared == 2 ? q : get(g, "value", n), *dv = shared == 2 ? dq : zeros(n);
    float *out = zeros(n), *attn = zeros(B * L * L);
    float *cache = zeros(ecg_mha_cache_size(B, L, E, heads));
    ecg_mha_forward(out, attn, cache, q, k, v, &w, B, L, E, heads);
    ecg_mha_backward(dq, dk, dv, &dw, get(g, "proj", n), cache, q, k, v, &w, B, L, E, heads);
    compare(name, "output", out, get(g, "output", n), n, TOL_FORWARD);
    compare(name, "attn_weights", attn, get(g, "attn_weights", B * L * L), B * L * L,
            TOL_FORWARD);
    compare_grad(g, name, "query", dq, n);
    if (shared == 0)
        compare_grad(g, name, "key", dk, n);
    if (shared <= 1)
        compare_grad(g, name, "value", dv, n);
    compare_grad(g, name, "in_proj_weight", dw.in_proj_weight, 3 * E * E);
    compare_grad(g, name, "in_proj_bias", dw.in_proj_bias, 3 * E);
    compare_grad(g, name, "out_proj.weight", dw.out_proj_weight, E * E);
    compare_grad(g, name, "out_proj.bias", dw.out_proj_bias, E);
    H5Gclose(g);
    release();
}

static void test_mha(void)
{
    SKIP_WITHOUT_FIXTURE();
    check_mha("mha", 0);
    check_mha("mha_qk", 1);
    check_mha("mha_qkv", 2);
}

static void test_elementwise(void)
{
    SKIP_WITHOUT_FIXTURE();
    hid_t g = open_case("relu");
    size_t n = size_attr(g, "n");
    float *x = get(g, "input", n), *out = zeros(n), *dx = zeros(n);
    ecg_relu_forward(out, x, n);
    ecg_relu_backward(dx, get(g, "proj", n), out, n);
    compare("relu", "output", out, get(g, "output", n), n, TOL_FORWARD);
    compare_grad(g, "relu", "input", dx, n);
    H5Gclose(g);

    g = open_case("logvar_bound");
    n = size_attr(g, "n");
    float *raw = get(g, "raw", n), *lv = zeros(n), *draw = zeros(n);
    ecg_logvar_bound_forward(lv, raw, n);
    ecg_logvar_bound_backward(draw, get(g, "proj", n), lv, n);
    compare("logvar_bound", "logvar", lv, get(g, "logvar", n), n, TOL_FORWARD);
    compare_grad(g, "logvar_bound", "raw", draw, n);
    H5Gclose(g);

    g = open_case("reparam");
    n = size_attr(g, "n");
    float *mu = get(g, "mu", n), *logvar = get(g, "logvar", n), *eps = get(g, "eps", n);
    float *z = zeros(n), *dmu = zeros(n), *dlogvar = zeros(n);
    ecg_reparam_forward(z, mu, logvar, eps, n);
    ecg_reparam_backward(dmu, dlogvar, get(g, "proj", n), logvar, eps, n);
    compare("reparam", "z", z, get(g, "z", n), n, TOL_FORWARD);
    compare_grad(g, "reparam", "mu", dmu, n);
    compare_grad(g, "reparam", "logvar", dlogvar, n);
    H5Gclose(g);
    release();
}

static void test_losses(void)
{
    SKIP_WITHOUT_FIXTURE();
    hid_t g = open_case("mse");
    size_t n = size_attr(g, "n");
    float *pred = get(g, "pred", n), *target = get(g, "target", n), *dpred = zeros(n);
    float loss = (float)ecg_mse_forward(NULL, pred, target, n);
    ecg_mse_backward(dpred, 1.0f, pred, target, n);
    compare("mse", "loss", &loss, get(g, "loss", 1), 1, TOL_FORWARD);
    compare_grad(g, "mse", "pred", dpred, n);
    H5Gclose(g);

    g = open_case("gaussian_nll");
    n = size_attr(g, "n");
    float *x = get(g, "x", n), *mean = get(g, "mean", n), *logvar = get(g, "logvar", n);
    float *points = zeros(n), *dmean = zeros(n), *dlogvar = zeros(n);
    double sum = ecg_gaussian_nll_forward(points, x, mean, logvar, n), points_sum = 0.0;
    for (size_t i = 0; i < n; i++)
        points_sum += points[i];
    CHECK_NEAR(points_sum, sum, 1e-9 * fabs(sum));
    loss = (float)sum;
    ecg_gaussian_nll_backward(dmean, dlogvar, 1.0f, x, mean, logvar, n);
    compare("gaussian_nll", "loss", &loss, get(g, "loss", 1), 1, TOL_FORWARD);
    compare_grad(g, "gaussian_nll", "mean", dmean, n);
    compare_grad(g, "gaussian_nll", "logvar", dlogvar, n);
    H5Gclose(g);

    g = open_case("kl");
    n = size_attr(g, "n");
    float *mu = get(g, "mu", n), *dmu = zeros(n);
    logvar = get(g, "logvar", n), dlogvar = zeros(n);
    loss = (float)ecg_kl_forward(mu, logvar, n);
    ecg_kl_backward(dmu, dlogvar, 1.0f, mu, logvar, n);
    compare("kl", "loss", &loss, get(g, "loss", 1), 1, TOL_FORWARD);
    compare_grad(g, "kl", "mu", dmu, n);
    compare_grad(g, "kl", "logvar", dlogvar, n);
    H5Gclose(g);
    release();
}

// A few steps of clipping then Adam; the norms before clipping and the parameters
// after every step against torch.
static void check_adam(const char *name)
{
    hid_t g = open_case(name);
    size_t n = size_attr(g, "n"), steps = size_attr(g, "steps");
    EcgAdam opt = ECG_ADAM_DEFAULTS;
    opt.lr = double_attr(g, "lr");
    opt.weight_decay = double_attr(g, "weight_decay");
    double max_norm = double_attr(g, "max_norm");
    float *param = get(g, "param0", n), *grads = get(g, "grads", steps * n);
    float *norms = get(g, "norms", steps), *params = get(g, "params", steps * n);
    float *m = zeros(n), *v = zeros(n), *norm = zeros(steps);
    for (size_t s = 0; s < steps; s++) {
        norm[s] = (float)ecg_clip_grad_norm(grads + s * n, n, max_norm);
        ecg_adam_step(param, grads + s * n, m, v, n, &opt, s + 1);
        char what[48];
        snprintf(what, sizeof what, "param after step %zu", s + 1);
        compare(name, what, param, params + s * n, n, TOL_FORWARD);
    }
    compare(name, "grad norms", norm, norms, steps, TOL_FORWARD);
    H5Gclose(g);
    release();
}

static void test_adam(void)
{
    SKIP_WITHOUT_FIXTURE();
    check_adam("adam");
    check_adam("adam_weight_decay");
}

int main(void)
{
    if (!fixture_open(FIXTURE))
        return 1;
    RUN(test_linear);
    RUN(test_conv1d);
    RUN(test_lstm);
    RUN(test_mha);
    RUN(test_elementwise);
    RUN(test_losses);
    RUN(test_adam);
    fixture_close();
    return test_done();
}
