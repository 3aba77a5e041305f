/* Parity of the three models (core/models) with their PyTorch specification,
 * tests/torch/models.py.
 *
 * tests/make-model-fixtures.py wrote tests/data/fixtures/models.h5 with torch:
 * per case the weights under their state_dict names (or, at the default sizes,
 * the rule that makes them), an input and sampling noise, the outputs with and
 * without the noise, the loss terms, the gradient of every parameter and the
 * losses of the first training steps with Adam and gradient-norm clipping. The
 * C model loads the weights by name, checking every shape, and must agree on
 * all of it: forward values and training losses within 1e-5 of the largest
 * reference value, gradients within 1e-4, as the layers of test-ref-layers.c
 * (the models agree to a few 1e-7). */
#include <stdint.h>

#include "fixture.h"
#include "models/model.h"
#include "nn/adam.h"

#define TOL_FORWARD 1e-5
#define TOL_GRAD 1e-4
#define TOL_TRAIN 1e-5

#define FIXTURE ECGLENS_SOURCE_ROOT "/tests/data/fixtures/models.h5"

typedef struct {
    const char *name;           // the fixture's case
    hid_t g;
    const EcgModelKindInfo *info;
    size_t B, T, latent, steps;
    double beta;
    EcgAdam adam;
    double max_norm;
    bool hashed;                // default sizes: hashed weights, sampled gradients
    EcgModel *m;
} Case;

// ----------------------------------------------------------------------------
// weights

// The hashed weights of make-model-fixtures.py.
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static uint64_t fnv1a64(const char *s)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3u;
    return h;
}

static void hash_weights(Case *c)
{
    EcgArena *p = ecg_model_params(c->m);
    for (size_t v = 0; v < p->n_views; v++) {
        const EcgView *view = &p->views[v];
        char key[96];
        snprintf(key, sizeof key, "weight_scale/%s", view->name);
        double scale = get(c->g, key, 1)[0];
        uint64_t seed = fnv1a64(view->name);
        for (size_t i = 0; i < view->size; i++) {
            uint64_t z = mix64(seed + (i + 1) * 0x9e3779b97f4a7c15u);
            p->data[view->offset + i] = (float)(scale * ((double)(z >> 40) * 0x1p-23 - 1.0));
        }
    }
    release(); // the scales
}

// Every dataset of weights/ into the parameter of its name, whose shape it must have;
// every parameter must be there.
static void load_weights(Case *c)
{
    EcgArena *p = ecg_model_params(c->m);
    hid_t w = H5Gopen2(c->g, "weights", H5P_DEFAULT);
    H5G_info_t info;
    CHECK(w >= 0 && H5Gget_info(w, &info) >= 0);
    if (w < 0)
        return;
    size_t loaded = 0;
    for (hsize_t i = 0; i < info.nlinks; i++) {
        char name[ECG_VIEW_NAME_MAX + 8];
        H5Lget_name_by_idx(w, ".", H5_INDEX_NAME, H5_ITER_INC, i, name, sizeof name,
                           H5P_DEFAULT);
        const EcgView *view = ecg_arena_find(p, name);
        CHECK_MSG(view, "fixture weight '%s' is no parameter of the C model", name);
        hid_t d = H5Dopen2(w, name, H5P_DEFAULT), space = H5Dget_space(d);
        hsize_t dims[8];
        int ndim = H5Sget_simple_extent_dims(space, dims, NULL);
        bool same = view && ndim == (int)view->ndim;
        for (int k = 0; same && k < ndim; k++)
            same = dims[k] == view->shape[k];
        CHECK_MSG(same, "fixture weight '%s' has another shape than the parameter", name);
        if (same) {
            CHECK(H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                          p->data + view->offset) >= 0);
            loaded++;
        }
        H5Sclose(space);
        H5Dclose(d);
    }
    H5Gclose(w);
    CHECK_MSG(loaded == p->n_views, "%zu of %zu parameters in the fixture", loaded, p->n_views);
}

static bool open_model(Case *c, const char *name)
{
    memset(c, 0, sizeof *c);
    c->name = name;
    c->g = open_case(name);
    if (c->g < 0)
        return false;
    char kind[32] = "";
    EcgError err;
    CHECK_OK(ecg_h5_read_attr_string(c->g, "kind", kind, sizeof kind, FIXTURE, &err), &err);
    int k = ecg_model_kind_from_name(kind);
    CHECK_MSG(k >= 0, "unknown kind '%s'", kind);
    if (k < 0)
        return false;
    EcgModelConfig cfg;
    ecg_model_config_default(&cfg, (EcgModelKind)k);
    c->info = ecg_model_kind_info(cfg.kind);
    if (c->info->variational) {
        cfg.hidden = size_attr(c->g, "hidden");
        cfg.latent = size_attr(c->g, "latent");
    }
    if (c->info->lead_attention) {
        cfg.lead_dim = size_attr(c->g, "lead_dim");
        cfg.lead_heads = size_attr(c->g, "lead_heads");
        cfg.time_heads = size_attr(c->g, "time_heads");
    }
    c->B = size_attr(c->g, "B");
    c->T = size_attr(c->g, "T");
    c->latent = cfg.latent;
    c->steps = size_attr(c->g, "steps");
    c->beta = double_attr(c->g, "beta");
    c->adam = ECG_ADAM_DEFAULTS;
    c->adam.lr = double_attr(c->g, "lr");
    c->max_norm = double_attr(c->g, "max_norm");
    c->hashed = size_attr(c->g, "hashed") != 0;
    if (!test_status_ok(ecg_model_new(&cfg, &c->m, &err), __FILE__, __LINE__, "ecg_model_new",
                        err.message))
        return false;
    if (c->hashed)
        hash_weights(c);
    else
        load_weights(c);
    return true;
}

static void close_model(Case *c)
{
    ecg_model_free(c->m);
    if (c->g >= 0)
        H5Gclose(c->g);
    release();
}

// ----------------------------------------------------------------------------
// comparing

// Every output the kind gives against group/<name>.
static void compare_outputs(Case *c, const char *group, const EcgModelOutputs *o)
{
    size_t n = c->B * c->T;
    struct {
        const char *name;
        const float *got;
        size_t size;
    } outs[6] = {
        {"x_mean", o->x_mean, n * 12},       {"x_logvar", o->x_logvar, n * 12},
        {"mu", o->mu, n * c->latent},        {"logvar", o->logvar, n * c->latent},
        {"time_attn", o->time_attn, n * c->T}, {"lead_attn", o->lead_attn, n * 12},
    };
    bool given[6] = {true, c->info->variational, c->info->variational, c->info->variational,
                     c->info->time_attention, c->info->lead_attention};
    for (size_t i = 0; i < 6; i++) {
        CHECK_MSG(!outs[i].got == !given[i], "%s: output %s %s", c->name, outs[i].name,
                  given[i] ? "missing" : "given");
        if (!outs[i].got || !given[i])
            continue;
        char key[64];
        snprintf(key, sizeof key, "%s/%s", group, outs[i].name);
        compare(c->name, key, outs[i].got, get(c->g, key, outs[i].size), outs[i].size,
                TOL_FORWARD);
    }
}

static void compare_grads(Case *c)
{
    EcgArena *grads = ecg_model_grads(c->m);
    for (size_t v = 0; v < grads->n_views; v++) {
        const EcgView *view = &grads->views[v];
        const float *got = grads->data + view->offset;
        char key[96];
        if (!c->hashed) {
            snprintf(key, sizeof key, "grad/%s", view->name);
            compare(c->name, key, got, get(c->g, key, view->size), view->size, TOL_GRAD);
            continue;
        }
        size_t stride = view->size / 128 ? view->size / 128 : 1, n = (view->size - 1) / stride + 1;
        float *sample = zeros(n);
        double norm = 0.0;
        for (size_t i = 0; i < view->size; i++)
            norm += (double)got[i] * got[i];
        for (size_t i = 0; i < n; i++)
            sample[i] = got[i * stride];
        float got_norm = (float)sqrt(norm);
        snprintf(key, sizeof key, "grad_sample/%s", view->name);
        compare(c->name, key, sample, get(c->g, key, n), n, TOL_GRAD);
        snprintf(key, sizeof key, "grad_norm/%s", view->name);
        compare(c->name, key, &got_norm, get(c->g, key, 1), 1, TOL_GRAD);
    }
}

// ----------------------------------------------------------------------------
// the cases

static void check_model(const char *name)
{
    Case c;
    EcgError err;
    if (!open_model(&c, name)) {
        close_model(&c);
        return;
    }
    size_t n = c.B * c.T;
    float *x = get(c.g, "x", n * 12);
    float *eps = c.info->variational ? get(c.g, "eps", n * c.latent) : NULL;
    EcgModelOutputs o;

    // inference (z = mu), the first window alone too (another layout, the same result)
    CHECK_OK(ecg_model_forward(c.m, x, NULL, 1, c.T, &o, &err), &err);
    char what[64];
    snprintf(what, sizeof what, "window 1 of %zu alone", c.B);
    compare(c.name, what, o.x_mean, get(c.g, "infer/x_mean", n * 12), c.T * 12, TOL_FORWARD);
    CHECK_OK(ecg_model_forward(c.m, x, NULL, c.B, c.T, &o, &err), &err);
    compare_outputs(&c, "infer", &o);

    // training forward and backward
    CHECK_OK(ecg_model_forward(c.m, x, eps, c.B, c.T, &o, &err), &err);
    compare_outputs(&c, "out", &o);
    EcgModelLoss loss = {.beta = c.beta}, only = {.beta = c.beta};
    CHECK_OK(ecg_model_loss(c.m, &only, &err), &err);
    ecg_arena_zero(ecg_model_grads(c.m));
    CHECK_OK(ecg_model_backward(c.m, &loss, &err), &err);
    CHECK(only.loss == loss.loss && only.recon == loss.recon && only.kl == loss.kl);
    float terms[3] = {(float)loss.loss, (float)loss.recon, (float)loss.kl};
    compare(c.name, "loss, recon, kl", terms, get(c.g, "loss", 3), 3, TOL_FORWARD);
    compare_grads(&c);

    if (c.steps) {
        EcgArena *params = ecg_model_params(c.m), *grads = ecg_model_grads(c.m);
        EcgArena am, av;
        REQUIRE_OK(ecg_arena_init_like(&am, params, &err), &err);
        REQUIRE_OK(ecg_arena_init_like(&av, params, &err), &err);
        float *step_eps = c.info->variational ? get(c.g, "train/eps", c.steps * n * c.latent)
                                              : NULL;
        float *losses = zeros(c.steps);
        for (size_t s = 0; s < c.steps; s++) {
            ecg_arena_zero(grads);
            CHECK_OK(ecg_model_forward(c.m, x, step_eps ? step_eps + s * n * c.latent : NULL,
                                       c.B, c.T, &o, &err),
                     &err);
            CHECK_OK(ecg_model_backward(c.m, &loss, &err), &err);
            losses[s] = (float)loss.loss;
            ecg_clip_grad_norm(grads->data, grads->size, c.max_norm);
            ecg_adam_step(params->data, grads->data, am.data, av.data, params->size, &c.adam,
                          s + 1);
        }
        snprintf(what, sizeof what, "losses of %zu Adam steps", c.steps);
        compare(c.name, what, losses, get(c.g, "train/loss", c.steps), c.steps, TOL_TRAIN);
        ecg_arena_clear(&am);
        ecg_arena_clear(&av);
    }
    close_model(&c);
}

static void test_cae(void)
{
    SKIP_WITHOUT_FIXTURE();
    check_model("cae");
}

static void test_vae_bilstm(void)
{
    SKIP_WITHOUT_FIXTURE();
    check_model("vae_bilstm");
    check_model("vae_bilstm_default");
}

static void test_vae_bilstm_mha(void)
{
    SKIP_WITHOUT_FIXTURE();
    check_model("vae_bilstm_mha");
    check_model("vae_bilstm_mha_default");
}

int main(void)
{
    if (!fixture_open(FIXTURE))
        return 1;
    RUN(test_cae);
    RUN(test_vae_bilstm);
    RUN(test_vae_bilstm_mha);
    fixture_close();
    return test_done();
}
