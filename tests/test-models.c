/* The model interface (core/models/model.h) beyond PyTorch parity: the kind
 * table, configuration defaults and refusals, PyTorch's initialisation from a
 * seed, deterministic inference, any window length for the CAE, batches of
 * changing size, and the errors of calls out of order; and the trainer's threads,
 * which split a step's work but not its result. */
#include <string.h>

#include "models/model.h"
#include "nn-test.h"
#include "rng.h"
#include "test.h"
#include "train.h"

static EcgRng rng;

static float *randoms(size_t n)
{
    float *p = zeros(n);
    for (size_t i = 0; i < n; i++)
        p[i] = (float)ecg_rng_normal(&rng);
    return p;
}

static EcgModel *model(EcgModelKind kind, uint64_t seed)
{
    EcgModelConfig cfg;
    ecg_model_config_default(&cfg, kind);
    EcgModel *m = NULL;
    EcgError err;
    CHECK_OK(ecg_model_new(&cfg, &m, &err), &err);
    if (m)
        ecg_model_init_weights(m, seed);
    return m;
}

static void test_kinds(void)
{
    static const char *names[] = {"cae", "vae_bilstm", "vae_bilstm_mha"};
    for (int k = 0; k < ECG_MODEL_N_KINDS; k++) {
        const EcgModelKindInfo *info = ecg_model_kind_info((EcgModelKind)k);
        CHECK(info && (int)info->kind == k && strcmp(info->name, names[k]) == 0);
        CHECK(ecg_model_kind_from_name(names[k]) == k);
        CHECK(info->reconstructs && info->variational == (k != ECG_MODEL_CAE));
        CHECK(info->time_attention == (k == ECG_MODEL_VAE_BILSTM_MHA));
        CHECK(info->default_score == (k == ECG_MODEL_CAE ? ECG_SCORE_MSE : ECG_SCORE_NLL));
    }
    CHECK(ecg_model_kind_info(ECG_MODEL_N_KINDS) == NULL);
    CHECK(ecg_model_kind_from_name("vae") == -1);

    EcgModelConfig cfg;
    ecg_model_config_default(&cfg, ECG_MODEL_VAE_BILSTM_MHA);
    CHECK(cfg.fs == 100.0 && cfg.window == 256 && cfg.stride == 128);
    CHECK(cfg.hidden == 128 && cfg.latent == 32 && cfg.lead_dim == 16);
    CHECK(cfg.lead_heads == 4 && cfg.time_heads == 8 && cfg.score == ECG_SCORE_NLL);
    CHECK(cfg.normalization == ECG_NORM_RECORD && cfg.band_low == 0.5 && cfg.band_high == 40.0);
    CHECK(strcmp(cfg.name, "vae_bilstm_mha") == 0);
}

static void refuse(const EcgModelConfig *cfg, const char *what)
{
    EcgModel *m = (EcgModel *)&m; // must be reset to NULL
    EcgError err = {0};
    int status = ecg_model_new(cfg, &m, &err);
    CHECK_MSG(status == ECG_ERR_ARG && m == NULL && err.message[0], "%s accepted", what);
    printf("#   %s: %s\n", what, err.message);
}

static void test_refusals(void)
{
    EcgModelConfig cfg;
    ecg_model_config_default(&cfg, ECG_MODEL_VAE_BILSTM_MHA);
    cfg.time_heads = 5;
    refuse(&cfg, "latent 32 in 5 time heads");
    ecg_model_config_default(&cfg, ECG_MODEL_VAE_BILSTM_MHA);
    cfg.lead_heads = 3;
    refuse(&cfg, "lead dimension 16 in 3 heads");
    ecg_model_config_default(&cfg, ECG_MODEL_VAE_BILSTM);
    cfg.hidden = 0;
    refuse(&cfg, "hidden size 0");
    ecg_model_config_default(&cfg, ECG_MODEL_CAE);
    cfg.window = 0;
    refuse(&cfg, "window 0");
    cfg.kind = ECG_MODEL_N_KINDS;
    refuse(&cfg, "unknown kind");
}

// PyTorch's default initialisation: the bound of every uniform view reached, not exceeded.
static void check_uniform(EcgModel *m, const char *name, double bound)
{
    const EcgView *v = ecg_arena_find(ecg_model_params(m), name);
    const float *p = ecg_arena_get(ecg_model_params(m), name);
    CHECK_MSG(v && p, "no parameter %s", name);
    if (!v || !p)
        return;
    double max = 0.0;
    for (size_t i = 0; i < v->size; i++)
        max = fmax(max, fabs(p[i]));
    CHECK_MSG(max <= bound && (bound == 0.0 ? max == 0.0 : max > 0.9 * bound),
              "%s: largest %g, bound %g", name, max, bound);
}

static void test_init(void)
{
    EcgModel *a = model(ECG_MODEL_VAE_BILSTM_MHA, 1), *b = model(ECG_MODEL_VAE_BILSTM_MHA, 1);
    EcgModel *c = model(ECG_MODEL_VAE_BILSTM_MHA, 2);
    if (!a || !b || !c)
        return;
    EcgArena *pa = ecg_model_params(a);
    CHECK(memcmp(pa->data, ecg_model_params(b)->data, pa->size * sizeof(float)) == 0);
    CHECK(memcmp(pa->data, ecg_model_params(c)->data, pa->size * sizeof(float)) != 0);
    check_uniform(a, "encoder.weight_ih_l0", 1 / sqrt(128.0));
    check_uniform(a, "decoder.bias_hh_l0_reverse", 1 / sqrt(128.0));
    check_uniform(a, "to_latent.weight", 1 / sqrt(256.0));
    check_uniform(a, "output.bias", 1 / sqrt(256.0));
    check_uniform(a, "lead_in.weight", 1.0);
    check_uniform(a, "lead_attn.in_proj_weight", sqrt(6.0 / 64.0));
    check_uniform(a, "time_attn.in_proj_weight", sqrt(6.0 / 128.0));
    check_uniform(a, "time_attn.out_proj.weight", 1 / sqrt(32.0));
    check_uniform(a, "lead_attn.in_proj_bias", 0.0);
    check_uniform(a, "time_attn.out_proj.bias", 0.0);
    const float *embed = ecg_arena_get(pa, "lead_embed");
    double sum2 = 0.0;
    for (size_t i = 0; i < 12 * 16; i++)
        sum2 += (double)embed[i] * embed[i];
    CHECK_NEAR(sqrt(sum2 / (12 * 16)), 0.1, 0.02);
    ecg_model_free(a);
    ecg_model_free(b);
    ecg_model_free(c);

    // convolutions: fan-in is dimension 1 of the weight times k, as PyTorch counts it
    EcgModel *cae = model(ECG_MODEL_CAE, 3);
    if (!cae)
        return;
    check_uniform(cae, "encoder.0.weight", 1 / sqrt(12.0 * 7));
    check_uniform(cae, "encoder.4.bias", 1 / sqrt(64.0 * 3));
    check_uniform(cae, "decoder.0.weight", 1 / sqrt(64.0 * 3));
    check_uniform(cae, "decoder.4.weight", 1 / sqrt(12.0 * 7));
    ecg_model_free(cae);
}

static void test_calls_out_of_order(void)
{
    EcgModel *m = model(ECG_MODEL_VAE_BILSTM, 1);
    if (!m)
        return;
    EcgModelLoss loss = {.beta = 1.0};
    EcgModelOutputs o;
    EcgError err;
    CHECK(ecg_model_loss(m, &loss, &err) == ECG_ERR_ARG);
    CHECK(ecg_model_backward(m, &loss, &err) == ECG_ERR_ARG);
    CHECK(ecg_model_forward(m, randoms(12), NULL, 0, 1, &o, &err) == ECG_ERR_ARG);
    CHECK(ecg_model_forward(m, randoms(12), NULL, 1, 0, &o, &err) == ECG_ERR_ARG);
    ecg_model_free(m);
    release();
}

// Inference is deterministic, z = mu (noise of zeros gives the same), and a batch's
// windows do not depend on each other or on the batches before.
static void test_inference(void)
{
    for (int k = 0; k < ECG_MODEL_N_KINDS; k++) {
        EcgModel *m = model((EcgModelKind)k, 5);
        if (!m)
            return;
        const EcgModelKindInfo *info = ecg_model_kind_info((EcgModelKind)k);
        size_t B = 3, T = 40, n = T * 12;
        float *x = randoms(B * n), *first = zeros(B * n), *eps = zeros(B * T * 32);
        EcgModelOutputs o;
        EcgError err;
        CHECK_OK(ecg_model_forward(m, x, NULL, B, T, &o, &err), &err);
        memcpy(first, o.x_mean, B * n * sizeof(float));
        if (info->lead_attention)
            for (size_t i = 0; i < B * T; i++) {
                double sum = 0.0;
                for (size_t l = 0; l < 12; l++)
                    sum += o.lead_attn[i * 12 + l];
                CHECK_NEAR(sum, 1.0, 1e-5);
            }
        if (info->time_attention)
            for (size_t i = 0; i < B * T; i++) {
                double sum = 0.0;
                for (size_t t = 0; t < T; t++)
                    sum += o.time_attn[i * T + t];
                CHECK_NEAR(sum, 1.0, 1e-5);
            }
        CHECK_OK(ecg_model_forward(m, x + n, NULL, 1, T, &o, &err), &err); // window 2 alone
        double diff = 0.0;
        for (size_t i = 0; i < n; i++)
            diff = fmax(diff, fabs(o.x_mean[i] - first[n + i]));
        CHECK_MSG(diff < 1e-5, "%s: window alone differs by %g", info->name, diff);
        CHECK_OK(ecg_model_forward(m, x, info->variational ? eps : NULL, B, T, &o, &err), &err);
        CHECK_MSG(memcmp(o.x_mean, first, B * n * sizeof(float)) == 0,
                  "%s: inference not repeatable", info->name);
        ecg_model_free(m);
        release();
    }
}

// Fully convolutional: a whole 10 s record at 500 Hz, and the shortest window.
static void test_cae_any_length(void)
{
    EcgModel *m = model(ECG_MODEL_CAE, 9);
    if (!m)
        return;
    EcgModelOutputs o;
    EcgError err;
    size_t lengths[] = {5000, 1, 7};
    for (size_t i = 0; i < 3; i++) {
        size_t T = lengths[i];
        float *x = randoms(T * 12);
        CHECK_OK(ecg_model_forward(m, x, NULL, 1, T, &o, &err), &err);
        EcgModelLoss loss = {0};
        CHECK_OK(ecg_model_loss(m, &loss, &err), &err);
        CHECK(o.B == 1 && o.T == T && isfinite(loss.loss) && loss.kl == 0.0);
        CHECK(!o.x_logvar && !o.mu && !o.time_attn && !o.lead_attn);
    }
    ecg_model_free(m);
    release();
}

// Steps with 1, 2 and 3 threads (even and uneven splits, a batch smaller than the
// threads) take the same losses and weights, within float rounding: the threads
// only change the order in which the windows' gradients are added.
static void test_trainer_threads(void)
{
    enum { T = 24, MAX_B = 8, STEPS = 3, N = 3 };
    const size_t batches[STEPS] = {7, 2, 6}, threads[N] = {1, 2, 3};
    const EcgModelKind kinds[] = {ECG_MODEL_CAE, ECG_MODEL_VAE_BILSTM};
    for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
        EcgModelConfig cfg;
        ecg_model_config_default(&cfg, kinds[k]);
        EcgTrainer *t[N] = {NULL};
        EcgError err;
        for (size_t i = 0; i < N; i++)
            REQUIRE_OK(ecg_trainer_new(&cfg, threads[i], MAX_B, T, 1e-3, 1.0, 5, &t[i], &err),
                       &err);
        double loss_err = 0.0, weight_err = 0.0;
        for (size_t step = 0; step < STEPS; step++) {
            float *x = randoms(batches[step] * T * 12);
            double loss0 = 0.0;
            for (size_t i = 0; i < N; i++) {
                memcpy(ecg_trainer_batch(t[i]), x, batches[step] * T * 12 * sizeof *x);
                EcgModelLoss loss;
                CHECK_OK(ecg_trainer_step(t[i], batches[step], 1.0, &loss, &err), &err);
                loss0 = i ? loss0 : loss.loss;
                loss_err = fmax(loss_err, fabs(loss.loss - loss0) / loss0);
            }
        }
        const EcgArena *p0 = ecg_model_params(ecg_trainer_model(t[0]));
        for (size_t i = 1; i < N; i++) {
            const EcgArena *p = ecg_model_params(ecg_trainer_model(t[i]));
            for (size_t j = 0; j < p->size; j++)
                weight_err = fmax(weight_err, fabs(p->data[j] - p0->data[j]));
        }
        printf("#   %s: 1, 2, 3 threads: losses within %.2g, weights within %.2g\n",
               ecg_model_kind_info(kinds[k])->name, loss_err, weight_err);
        CHECK(loss_err < 1e-5 && weight_err < 1e-5);
        for (size_t i = 0; i < N; i++)
            ecg_trainer_free(t[i]);
        release();
    }
}

int main(void)
{
    ecg_rng_init(&rng, 11);
    RUN(test_kinds);
    RUN(test_refusals);
    RUN(test_init);
    RUN(test_calls_out_of_order);
    RUN(test_inference);
    RUN(test_cae_any_length);
    RUN(test_trainer_threads);
    return test_done();
}
