/* Gradient checks of the three whole models against central finite differences
 * of their loss, on tiny sizes, for a sample of elements of every parameter
 * view: its largest analytic element and seven drawn at random.
 *
 * As in test-grad.c: parameters on a 2^-12 grid, so that every perturbed value
 * x + k h is exact in float, the sixth-order central difference
 *   (45 (f(x+h) - f(x-h)) - 9 (f(x+2h) - f(x-2h)) + (f(x+3h) - f(x-3h))) / 60h,
 * and two errors per view, symmetric in analytic a and numeric n: |a - n| /
 * (|a| + |n|) in the 2-norm over the sampled elements, and the worst element,
 * |a - n| / (|a| + |n| + 0.01 max|n|). The loss is the model's (DESIGN §4),
 * recomputed here from the outputs in double.
 *
 * Unlike a layer's test loss, a model's loss is a mean over its input points
 * that a deep weight moves little, so the float rounding of the forward pass
 * (about 1e-9 of the loss here) sets the bounds: looser than test-grad.c's,
 * still far below what a missing or wrong term gives (the PyTorch parity of
 * test-ref-models.c is the tight check). The VAEs are smooth and take a large
 * step. The CAE is piecewise linear (ReLU), its loss piecewise quadratic in any
 * one weight: where no kink lies within 3h, the second-order differences over
 * h and 3h agree; elements where they do not are skipped and counted (at most
 * half of a view). Its weights are scaled by 2.5 so that signals keep their
 * size through the six layers (PyTorch's initialisation shrinks them). */
#include "models/model.h"
#include "nn-test.h"
#include "rng.h"
#include "test.h"

#define SAMPLES 8   // elements per view
#define BETA 0.5
#define KINK 1e-2  // relative disagreement of the second-order differences at a kink
#define FLOOR 1e-2 // of the largest numeric derivative, in the element error

typedef struct {
    const char *label;
    EcgModelKind kind;
    size_t B, T;
    bool sampled;        // training forward with noise, or z = mu
    double weight_scale; // applied after the initialisation
    double step;         // h
    bool kinks;          // skip elements whose differences cross a kink
    double tol_norm, tol_max;
} GradModelCase;

static EcgRng rng;

// n values scale * N(0,1) on the 2^-12 grid
static float *randoms(size_t n, double scale)
{
    float *p = zeros(n);
    for (size_t i = 0; i < n; i++)
        p[i] = (float)(round(scale * ecg_rng_normal(&rng) * 4096.0) / 4096.0);
    return p;
}

// The model's loss of its outputs for x, in double throughout.
static double loss_of(EcgModel *m, const float *x, const float *eps, const GradModelCase *gc)
{
    EcgModelOutputs o;
    EcgError err;
    CHECK_OK(ecg_model_forward(m, x, eps, gc->B, gc->T, &o, &err), &err);
    size_t n = gc->B * gc->T * 12, n_latent = gc->B * gc->T * ecg_model_config(m)->latent;
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)x[i] - o.x_mean[i];
        if (o.x_logvar) // Gaussian NLL
            sum += 0.5 * (log(2 * M_PI) + o.x_logvar[i] + d * d * exp(-(double)o.x_logvar[i]));
        else // squared error
            sum += d * d;
    }
    for (size_t i = 0; o.mu && i < n_latent; i++) {
        double mu = o.mu[i], lv = o.logvar[i];
        sum += BETA * -0.5 * (1.0 + lv - mu * mu - exp(lv));
    }
    return sum / (double)n;
}

static void check_model(const GradModelCase *gc)
{
    EcgModelConfig cfg;
    ecg_model_config_default(&cfg, gc->kind);
    cfg.hidden = cfg.hidden ? 4 : 0;
    cfg.latent = cfg.latent ? 4 : 0;
    cfg.lead_dim = cfg.lead_dim ? 4 : 0;
    cfg.lead_heads = cfg.lead_heads ? 2 : 0;
    cfg.time_heads = cfg.time_heads ? 2 : 0;
    EcgModel *m;
    EcgError err;
    REQUIRE_OK(ecg_model_new(&cfg, &m, &err), &err);
    ecg_model_init_weights(m, 7);
    EcgArena *params = ecg_model_params(m), *grads = ecg_model_grads(m);
    for (size_t i = 0; i < params->size; i++)
        params->data[i] = (float)(round(params->data[i] * gc->weight_scale * 4096.0) / 4096.0);
    size_t n = gc->B * gc->T;
    float *x = randoms(n * 12, 1.0);
    float *eps = gc->sampled ? randoms(n * cfg.latent, 1.0) : NULL;

    EcgModelOutputs o;
    EcgModelLoss loss = {.beta = BETA};
    CHECK_OK(ecg_model_forward(m, x, eps, gc->B, gc->T, &o, &err), &err);
    ecg_arena_zero(grads);
    CHECK_OK(ecg_model_backward(m, &loss, &err), &err);
    CHECK_NEAR(loss_of(m, x, eps, gc), loss.loss, 1e-6 * loss.loss);

    double h = gc->step;
    for (size_t v = 0; v < params->n_views; v++) {
        const EcgView *view = &params->views[v];
        size_t count = view->size < SAMPLES ? view->size : SAMPLES, skipped = 0;
        // the largest analytic element (a gradient is never zero everywhere), then random ones
        size_t at[SAMPLES] = {view->offset};
        for (size_t i = 1; i < view->size; i++)
            if (fabsf(grads->data[view->offset + i]) > fabsf(grads->data[at[0]]))
                at[0] = view->offset + i;
        double num[SAMPLES], scale = 0.0;
        for (size_t s = 0; s < count; s++) {
            if (s)
                at[s] = view->offset + (count < view->size ? ecg_rng_below(&rng, view->size) : s);
            float *p = params->data + at[s], x0 = *p;
            double f[6];
            for (int k = 0; k < 6; k++) {
                *p = (float)(x0 + (k / 2 + 1) * (k % 2 ? -h : h));
                f[k] = loss_of(m, x, eps, gc);
            }
            *p = x0;
            double d1 = (f[0] - f[1]) / (2 * h), d3 = (f[4] - f[5]) / (6 * h);
            if (gc->kinks && fabs(d1 - d3) > KINK * (fabs(d1) + fabs(d3))) {
                num[s] = NAN;
                skipped++;
                continue;
            }
            num[s] = (45 * (f[0] - f[1]) - 9 * (f[2] - f[3]) + (f[4] - f[5])) / (60 * h);
            scale = fmax(scale, fabs(num[s]));
        }
        double diff2 = 0.0, sum2 = 0.0, max_err = 0.0;
        for (size_t s = 0; s < count; s++) {
            if (isnan(num[s]))
                continue;
            double a = grads->data[at[s]], d = a - num[s];
            max_err = fmax(max_err, fabs(d) / (fabs(a) + fabs(num[s]) + FLOOR * scale));
            diff2 += d * d;
            sum2 += a * a + num[s] * num[s];
        }
        double norm_err = sum2 > 0 ? sqrt(diff2 / sum2) : 0.0;
        printf("#   %-24s %-28s %zu values: rel err %.1e, max %.1e", gc->label, view->name,
               count - skipped, norm_err, max_err);
        printf(skipped ? " (%zu kinks skipped)\n" : "\n", skipped);
        CHECK_MSG(norm_err <= gc->tol_norm && max_err <= gc->tol_max && scale > 0 &&
                      2 * skipped <= count,
                  "%s %s: errors %.3g, %.3g, scale %.3g, %zu of %zu skipped", gc->label,
                  view->name, norm_err, max_err, scale, skipped, count);
    }
    ecg_model_free(m);
    release();
}

static void test_cae(void)
{
    // T = 12: the output (16) is cropped
    check_model(&(GradModelCase){"cae", ECG_MODEL_CAE, 1, 12, false, 2.5, 0x1p-10, true, 1e-2,
                                 5e-2});
}

static void test_vae_bilstm(void)
{
    check_model(&(GradModelCase){"vae_bilstm", ECG_MODEL_VAE_BILSTM, 4, 16, true, 1.0, 0x1p-4,
                                 false, 5e-3, 5e-2});
    check_model(&(GradModelCase){"vae_bilstm (z = mu)", ECG_MODEL_VAE_BILSTM, 4, 16, false, 1.0,
                                 0x1p-4, false, 5e-3, 5e-2});
}

static void test_vae_bilstm_mha(void)
{
    check_model(&(GradModelCase){"vae_bilstm_mha", ECG_MODEL_VAE_BILSTM_MHA, 4, 16, true, 1.0,
                                 0x1p-4, false, 5e-3, 5e-2});
    check_model(&(GradModelCase){"vae_bilstm_mha (z = mu)", ECG_MODEL_VAE_BILSTM_MHA, 4, 16,
                                 false, 1.0, 0x1p-4, false, 5e-3, 5e-2});
}

int main(void)
{
    ecg_rng_init(&rng, 20240603);
    RUN(test_cae);
    RUN(test_vae_bilstm);
    RUN(test_vae_bilstm_mha);
    return test_done();
}
