/* model.c — the kind table, configuration defaults and checks, the parameter
 * and activation memory every kind shares, and the dispatch to the kinds
 * (model-private.h). */
#include "model.h"

#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../rng.h"
#include "model-private.h"

static const EcgModelKindInfo KINDS[ECG_MODEL_N_KINDS] = {
    {ECG_MODEL_CAE, "cae", "Convolutional autoencoder", true, false, false, false, ECG_SCORE_MSE},
    {ECG_MODEL_VAE_BILSTM, "vae_bilstm", "Variational autoencoder, BiLSTM", true, true, false,
     false, ECG_SCORE_NLL},
    {ECG_MODEL_VAE_BILSTM_MHA, "vae_bilstm_mha",
     "Variational autoencoder, BiLSTM with lead and temporal attention", true, true, true, true,
     ECG_SCORE_NLL},
};

// VAE-BiLSTM-MHA is VAE-BiLSTM with two attention blocks: one implementation
static const EcgModelOps *const OPS[ECG_MODEL_N_KINDS] = {&ecg_cae_ops, &ecg_vae_bilstm_ops,
                                                          &ecg_vae_bilstm_ops};

// Largest size of any dimension a configuration may ask for: products of a few
// of them stay far from overflowing size_t.
#define MAX_SIZE 65536

const EcgModelKindInfo *ecg_model_kind_info(EcgModelKind kind)
{
    return (unsigned)kind < ECG_MODEL_N_KINDS ? &KINDS[kind] : NULL;
}

int ecg_model_kind_from_name(const char *name)
{
    for (int k = 0; k < ECG_MODEL_N_KINDS; k++)
        if (strcmp(KINDS[k].name, name) == 0)
            return k;
    return -1;
}

void ecg_model_config_default(EcgModelConfig *cfg, EcgModelKind kind)
{
    assert((unsigned)kind < ECG_MODEL_N_KINDS);
    memset(cfg, 0, sizeof *cfg);
    cfg->kind = kind;
    snprintf(cfg->name, sizeof cfg->name, "%s", KINDS[kind].name);
    cfg->fs = 100.0;
    cfg->window = 256;
    cfg->stride = 128;
    if (KINDS[kind].variational) {
        cfg->hidden = 128;
        cfg->latent = 32;
    }
    if (KINDS[kind].lead_attention) {
        cfg->lead_dim = 16;
        cfg->lead_heads = 4;
    }
    if (KINDS[kind].time_attention)
        cfg->time_heads = 8;
    cfg->normalization = ECG_NORM_RECORD;
    cfg->score = KINDS[kind].default_score;
    cfg->band_low = 0.5;
    cfg->band_high = 40.0;
    cfg->notch = 0.0;
}

static int check_size(const char *what, size_t v, EcgError *err)
{
    if (v == 0 || v > MAX_SIZE)
        return ecg_fail(err, ECG_ERR_ARG, "model %s %zu is outside 1..%d", what, v, MAX_SIZE);
    return ECG_OK;
}

// heads must split a width of dim into equal parts
static int check_heads(const char *what, size_t heads, const char *what_dim, size_t dim,
                       EcgError *err)
{
    int status = check_size(what, heads, err);
    if (!status && dim % heads)
        status = ecg_fail(err, ECG_ERR_ARG, "model %s %zu does not split into %zu %s", what_dim,
                          dim, heads, what);
    return status;
}

// Every size the kind uses, in range and consistent.
static int check_config(const EcgModelConfig *cfg, EcgError *err)
{
    if ((unsigned)cfg->kind >= ECG_MODEL_N_KINDS)
        return ecg_fail(err, ECG_ERR_ARG, "unknown model kind %d", (int)cfg->kind);
    const EcgModelKindInfo *info = &KINDS[cfg->kind];
    if (!memchr(cfg->name, '\0', sizeof cfg->name))
        return ecg_fail(err, ECG_ERR_ARG, "model name is not terminated");
    if (!(cfg->fs > 0.0 && isfinite(cfg->fs)))
        return ecg_fail(err, ECG_ERR_ARG, "model sampling rate %g Hz", cfg->fs);
    int status;
    if ((status = check_size("window", cfg->window, err)) ||
        (status = check_size("stride", cfg->stride, err)))
        return status;
    if (info->variational &&
        ((status = check_size("hidden size", cfg->hidden, err)) ||
         (status = check_size("latent size", cfg->latent, err))))
        return status;
    if (info->lead_attention &&
        ((status = check_size("lead dimension", cfg->lead_dim, err)) ||
         (status = check_heads("lead heads", cfg->lead_heads, "lead dimension", cfg->lead_dim,
                               err))))
        return status;
    if (info->time_attention &&
        (status = check_heads("time heads", cfg->time_heads, "latent size", cfg->latent, err)))
        return status;
    return ECG_OK;
}

int ecg_model_new(const EcgModelConfig *cfg, EcgModel **out, EcgError *err)
{
    *out = NULL;
    int status = check_config(cfg, err);
    if (status)
        return status;
    const EcgModelOps *ops = OPS[cfg->kind];
    EcgModel *m = calloc(1, ops->size); // zeroed arenas are empty, initialised arenas
    if (!m)
        return ecg_fail(err, ECG_ERR_NOMEM, "out of memory for a model");
    m->cfg = *cfg;
    m->ops = ops;
    if ((status = ops->define(m, err)) || (status = ecg_arena_alloc(&m->params, err)) ||
        (status = ecg_arena_init_like(&m->grads, &m->params, err))) {
        ecg_model_free(m);
        return status;
    }
    ops->bind(m);
    *out = m;
    return ECG_OK;
}

void ecg_model_free(EcgModel *m)
{
    if (!m)
        return;
    ecg_arena_clear(&m->params);
    ecg_arena_clear(&m->grads);
    free(m->init);
    free(m->act);
    free(m);
}

const EcgModelConfig *ecg_model_config(const EcgModel *m)
{
    return &m->cfg;
}

EcgArena *ecg_model_params(EcgModel *m)
{
    return &m->params;
}

EcgArena *ecg_model_grads(EcgModel *m)
{
    return &m->grads;
}

void ecg_model_init_weights(EcgModel *m, uint64_t seed)
{
    EcgRng rng;
    ecg_rng_init(&rng, seed);
    for (size_t i = 0; i < m->params.n_views; i++) {
        const EcgView *v = &m->params.views[i];
        float *p = m->params.data + v->offset; // (v->size)
        EcgParamInit init = m->init[i];
        for (size_t j = 0; j < v->size; j++) {
            double r = init.kind == ECG_INIT_UNIFORM ? ecg_rng_range(&rng, -init.a, init.a)
                       : init.kind == ECG_INIT_NORMAL ? init.a * ecg_rng_normal(&rng)
                                                      : 0.0;
            p[j] = (float)r;
        }
    }
}

// ----------------------------------------------------------------------------
// forward, loss, backward

int ecg_model_forward(EcgModel *m, const float *x, const float *eps, size_t B, size_t T,
                      EcgModelOutputs *out, EcgError *err)
{
    if (B == 0 || T == 0)
        return ecg_fail(err, ECG_ERR_ARG, "model input of %zu windows of %zu samples", B, T);
    if (B != m->B || T != m->T) {
        size_t need = m->ops->layout(m, B, T, NULL);
        if (need > m->act_cap) {
            float *act = need <= SIZE_MAX / sizeof(float) ? malloc(need * sizeof(float)) : NULL;
            if (!act)
                return ecg_fail(err, ECG_ERR_NOMEM,
                                "out of memory for the activations of %zu windows of %zu samples",
                                B, T);
            free(m->act);
            m->act = act;
            m->act_cap = need;
        }
        m->ops->layout(m, B, T, m->act);
        m->B = B;
        m->T = T;
    }
    m->sampled = eps && KINDS[m->cfg.kind].variational;
    m->ops->forward(m, x, m->sampled ? eps : NULL, out);
    m->have_forward = true;
    return ECG_OK;
}

static int loss_of_last_forward(EcgModel *m, EcgModelLoss *loss, bool grads, EcgError *err)
{
    if (!m->have_forward)
        return ecg_fail(err, ECG_ERR_ARG, "no forward pass to take the loss of");
    m->ops->loss(m, loss, grads);
    return ECG_OK;
}

int ecg_model_loss(EcgModel *m, EcgModelLoss *loss, EcgError *err)
{
    return loss_of_last_forward(m, loss, false, err);
}

int ecg_model_backward(EcgModel *m, EcgModelLoss *loss, EcgError *err)
{
    return loss_of_last_forward(m, loss, true, err);
}

// ----------------------------------------------------------------------------
// for the kinds: parameters under PyTorch's names, PyTorch's initialisation

int ecg_model_add_param(EcgModel *m, const char *name, size_t ndim, const size_t *shape,
                        EcgParamInit init, EcgError *err)
{
    if (m->params.n_views == m->cap_init) {
        size_t cap = m->cap_init ? 2 * m->cap_init : 16;
        EcgParamInit *p = realloc(m->init, cap * sizeof *p);
        if (!p)
            return ecg_fail(err, ECG_ERR_NOMEM, "out of memory for parameter '%s'", name);
        m->init = p;
        m->cap_init = cap;
    }
    int status = ecg_arena_add(&m->params, name, ndim, shape, err);
    if (!status)
        m->init[m->params.n_views - 1] = init;
    return status;
}

// prefix.suffix into name (ECG_VIEW_NAME_MAX); the layers' prefixes are short
static void join(char *name, const char *prefix, const char *suffix)
{
    int n = snprintf(name, ECG_VIEW_NAME_MAX, "%s.%s", prefix, suffix);
    assert(n > 0 && n < ECG_VIEW_NAME_MAX);
    (void)n;
}

static EcgParamInit uniform(size_t fan_in)
{
    return (EcgParamInit){ECG_INIT_UNIFORM, 1.0 / sqrt((double)fan_in)};
}

static const EcgParamInit ZERO = {ECG_INIT_ZERO, 0.0};

// nn.Linear: kaiming_uniform(a = sqrt 5) weight and its bias, both U(+-1/sqrt(fan_in))
int ecg_model_add_linear(EcgModel *m, const char *prefix, size_t in, size_t out, EcgError *err)
{
    char w[ECG_VIEW_NAME_MAX], b[ECG_VIEW_NAME_MAX];
    join(w, prefix, "weight");
    join(b, prefix, "bias");
    int status = ecg_model_add_param(m, w, 2, (size_t[]){out, in}, uniform(in), err);
    return status ? status : ecg_model_add_param(m, b, 1, (size_t[]){out}, uniform(in), err);
}

int ecg_model_add_conv(EcgModel *m, const char *prefix, size_t in, size_t out, size_t k,
                       bool transposed, EcgError *err)
{
    char w[ECG_VIEW_NAME_MAX], b[ECG_VIEW_NAME_MAX];
    join(w, prefix, "weight");
    join(b, prefix, "bias");
    size_t shape[3] = {transposed ? in : out, transposed ? out : in, k};
    EcgParamInit init = uniform(shape[1] * k); // PyTorch's fan-in: dimension 1 times k
    int status = ecg_model_add_param(m, w, 3, shape, init, err);
    return status ? status : ecg_model_add_param(m, b, 1, (size_t[]){out}, init, err);
}

static const char *const LSTM_NAMES[4] = {"weight_ih_l0", "weight_hh_l0", "bias_ih_l0",
                                          "bias_hh_l0"};

// name of tensor k (LSTM_NAMES) of direction dir
static void lstm_name(char *name, const char *prefix, size_t k, size_t dir)
{
    char suffix[32];
    snprintf(suffix, sizeof suffix, "%s%s", LSTM_NAMES[k], dir ? "_reverse" : "");
    join(name, prefix, suffix);
}

// nn.LSTM: every tensor U(+-1/sqrt(hidden))
int ecg_model_add_bilstm(EcgModel *m, const char *prefix, size_t in, size_t hidden,
                         EcgError *err)
{
    size_t shapes[4][2] = {{4 * hidden, in}, {4 * hidden, hidden}, {4 * hidden}, {4 * hidden}};
    int status = ECG_OK;
    for (size_t dir = 0; dir < 2 && !status; dir++)
        for (size_t k = 0; k < 4 && !status; k++) {
            char name[ECG_VIEW_NAME_MAX];
            lstm_name(name, prefix, k, dir);
            status = ecg_model_add_param(m, name, k < 2 ? 2 : 1, shapes[k], uniform(hidden), err);
        }
    return status;
}

// nn.MultiheadAttention: xavier_uniform in_proj_weight, zero biases, out_proj.weight as a Linear
int ecg_model_add_mha(EcgModel *m, const char *prefix, size_t E, EcgError *err)
{
    char names[4][ECG_VIEW_NAME_MAX];
    join(names[0], prefix, "in_proj_weight");
    join(names[1], prefix, "in_proj_bias");
    join(names[2], prefix, "out_proj.weight");
    join(names[3], prefix, "out_proj.bias");
    EcgParamInit xavier = {ECG_INIT_UNIFORM, sqrt(6.0 / (double)(E + 3 * E))};
    int status;
    if ((status = ecg_model_add_param(m, names[0], 2, (size_t[]){3 * E, E}, xavier, err)) ||
        (status = ecg_model_add_param(m, names[1], 1, (size_t[]){3 * E}, ZERO, err)) ||
        (status = ecg_model_add_param(m, names[2], 2, (size_t[]){E, E}, uniform(E), err)))
        return status;
    return ecg_model_add_param(m, names[3], 1, (size_t[]){E}, ZERO, err);
}

float *ecg_model_param(EcgModel *m, const char *name)
{
    float *p = ecg_arena_get(&m->params, name);
    assert(p);
    return p;
}

float *ecg_model_grad(EcgModel *m, const char *name)
{
    float *p = ecg_arena_get(&m->grads, name);
    assert(p);
    return p;
}

void ecg_model_bind_bilstm(EcgModel *m, const char *prefix, EcgLstmParams w[2],
                           EcgLstmParams dw[2])
{
    for (size_t dir = 0; dir < 2; dir++) {
        float **pw[4] = {&w[dir].w_ih, &w[dir].w_hh, &w[dir].b_ih, &w[dir].b_hh};
        float **pdw[4] = {&dw[dir].w_ih, &dw[dir].w_hh, &dw[dir].b_ih, &dw[dir].b_hh};
        for (size_t k = 0; k < 4; k++) {
            char name[ECG_VIEW_NAME_MAX];
            lstm_name(name, prefix, k, dir);
            *pw[k] = ecg_model_param(m, name);
            *pdw[k] = ecg_model_grad(m, name);
        }
    }
}

void ecg_model_bind_mha(EcgModel *m, const char *prefix, EcgMhaParams *w, EcgMhaParams *dw)
{
    static const char *const names[4] = {"in_proj_weight", "in_proj_bias", "out_proj.weight",
                                         "out_proj.bias"};
    float **pw[4] = {&w->in_proj_weight, &w->in_proj_bias, &w->out_proj_weight,
                     &w->out_proj_bias};
    float **pdw[4] = {&dw->in_proj_weight, &dw->in_proj_bias, &dw->out_proj_weight,
                      &dw->out_proj_bias};
    for (size_t k = 0; k < 4; k++) {
        char name[ECG_VIEW_NAME_MAX];
        join(name, prefix, names[k]);
        *pw[k] = ecg_model_param(m, name);
        *pdw[k] = ecg_model_grad(m, name);
    }
}

float *ecg_carve(EcgCarve *c, size_t n)
{
    float *p = c->base ? c->base + c->used : NULL;
    c->used += n;
    return p;
}
