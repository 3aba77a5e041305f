/* cae.c — the convolutional autoencoder of the 12-lead-ECG-AD project, layer for
 * layer (DESIGN §4), so its published weights load: three stride-2 convolutions
 * with ReLU down to 128 channels at T/8, three stride-2 transposed convolutions
 * back up to 12, the output cropped to T. Fully convolutional: any T, the whole
 * of a record at once if need be. Loss: mean squared error. */
#include <stdio.h>
#include <string.h>

#include "../nn/activation.h"
#include "../nn/conv1d.h"
#include "../nn/loss.h"
#include "model-private.h"

enum { N_LAYERS = 6 };

// Stride 2 and padding (k - 1) / 2 everywhere; the transposed layers add one
// sample at the end (output_padding 1), so each exactly doubles its length.
static const struct {
    const char *name;
    size_t in, out, k;
    bool transposed;
} LAYERS[N_LAYERS] = {
    {"encoder.0", ECG_N_LEADS, 32, 7, false}, {"encoder.2", 32, 64, 5, false},
    {"encoder.4", 64, 128, 3, false},         {"decoder.0", 128, 64, 3, true},
    {"decoder.2", 64, 32, 5, true},           {"decoder.4", 32, ECG_N_LEADS, 7, true},
};

typedef struct {
    EcgModel base;
    const float *w[N_LAYERS]; // (out, in, k) or, transposed, (in, out, k)
    const float *b[N_LAYERS]; // (out)
    float *dw[N_LAYERS], *db[N_LAYERS];
    EcgConv1dShape shape[N_LAYERS]; // of the current batch
    // activations
    float *x;                 // (B, T, 12) the input
    float *xt;                // (12, B, T) the input, channel-major as every activation
    float *y[N_LAYERS];       // (out, B, L) layer outputs, after the ReLU but the last's
    float *cache[N_LAYERS];   // the layers' caches
    float *x_mean;            // (B, T, 12) the last output cropped to T
    // backward
    float *dx_mean;           // (B, T, 12)
    float *dy[N_LAYERS];      // (out, B, L) gradient of y, then in place of the output
                              // before the ReLU
} Cae;

static int cae_define(EcgModel *m, EcgError *err)
{
    int status = ECG_OK;
    for (size_t i = 0; i < N_LAYERS && !status; i++)
        status = ecg_model_add_conv(m, LAYERS[i].name, LAYERS[i].in, LAYERS[i].out, LAYERS[i].k,
                                    LAYERS[i].transposed, err);
    return status;
}

static void cae_bind(EcgModel *m)
{
    Cae *c = (Cae *)m;
    for (size_t i = 0; i < N_LAYERS; i++) {
        char w[ECG_VIEW_NAME_MAX], b[ECG_VIEW_NAME_MAX];
        snprintf(w, sizeof w, "%s.weight", LAYERS[i].name);
        snprintf(b, sizeof b, "%s.bias", LAYERS[i].name);
        c->w[i] = ecg_model_param(m, w);
        c->b[i] = ecg_model_param(m, b);
        c->dw[i] = ecg_model_grad(m, w);
        c->db[i] = ecg_model_grad(m, b);
    }
}

// output length of layer i
static size_t out_len(const Cae *c, size_t i)
{
    return LAYERS[i].transposed ? ecg_conv_transpose1d_out_len(&c->shape[i])
                                : ecg_conv1d_out_len(&c->shape[i]);
}

// floats of layer i's output
static size_t out_size(const Cae *c, size_t i)
{
    return c->shape[i].B * c->shape[i].OC * out_len(c, i);
}

static size_t cae_layout(EcgModel *m, size_t B, size_t T, float *base)
{
    Cae *c = (Cae *)m;
    EcgCarve cv = {base, 0};
    size_t L = T;
    for (size_t i = 0; i < N_LAYERS; i++) {
        c->shape[i] = (EcgConv1dShape){B, LAYERS[i].in, L, LAYERS[i].out, LAYERS[i].k, 2,
                                       (LAYERS[i].k - 1) / 2, LAYERS[i].transposed ? 1 : 0};
        L = out_len(c, i);
    }
    size_t n = B * T * ECG_N_LEADS;
    c->x = ecg_carve(&cv, n);
    c->xt = ecg_carve(&cv, n);
    for (size_t i = 0; i < N_LAYERS; i++) {
        c->y[i] = ecg_carve(&cv, out_size(c, i));
        c->cache[i] = ecg_carve(&cv, LAYERS[i].transposed
                                         ? ecg_conv_transpose1d_cache_size(&c->shape[i])
                                         : ecg_conv1d_cache_size(&c->shape[i]));
    }
    c->x_mean = ecg_carve(&cv, n);
    c->dx_mean = ecg_carve(&cv, n);
    for (size_t i = 0; i < N_LAYERS; i++)
        c->dy[i] = ecg_carve(&cv, out_size(c, i));
    return cv.used;
}

// dst[c, b, t] = src[b, t, c] for t < T; dst's rows are L >= T long, zero past T
static void to_channels(float *dst,       // (C, B, L)
                        const float *src, // (B, T, C)
                        size_t B, size_t T, size_t C, size_t L)
{
    for (size_t ch = 0; ch < C; ch++)
        for (size_t b = 0; b < B; b++) {
            float *row = dst + (ch * B + b) * L;
            for (size_t t = 0; t < T; t++)
                row[t] = src[(b * T + t) * C + ch];
            memset(row + T, 0, (L - T) * sizeof *row);
        }
}

// dst[b, t, c] = src[c, b, t] for t < T: the first T of every row of L
static void from_channels(float *dst,       // (B, T, C)
                          const float *src, // (C, B, L)
                          size_t B, size_t T, size_t C, size_t L)
{
    for (size_t b = 0; b < B; b++)
        for (size_t t = 0; t < T; t++)
            for (size_t ch = 0; ch < C; ch++)
                dst[(b * T + t) * C + ch] = src[(ch * B + b) * L + t];
}

static void cae_forward(EcgModel *m, const float *x, const float *eps, EcgModelOutputs *out)
{
    (void)eps; // not variational
    Cae *c = (Cae *)m;
    size_t B = m->B, T = m->T;
    memcpy(c->x, x, B * T * ECG_N_LEADS * sizeof *x);
    to_channels(c->xt, x, B, T, ECG_N_LEADS, T);
    const float *in = c->xt;
    for (size_t i = 0; i < N_LAYERS; i++) {
        bool relu = i < N_LAYERS - 1;
        if (LAYERS[i].transposed)
            ecg_conv_transpose1d_forward_cm(c->y[i], c->cache[i], in, c->w[i], c->b[i], relu,
                                            &c->shape[i]);
        else
            ecg_conv1d_forward_cm(c->y[i], c->cache[i], in, c->w[i], c->b[i], relu,
                                  &c->shape[i]);
        in = c->y[i];
    }
    from_channels(c->x_mean, c->y[N_LAYERS - 1], B, T, ECG_N_LEADS, out_len(c, N_LAYERS - 1));
    *out = (EcgModelOutputs){.B = B, .T = T, .x_mean = c->x_mean};
}

static void cae_loss(EcgModel *m, EcgModelLoss *loss, bool grads)
{
    Cae *c = (Cae *)m;
    size_t B = m->B, T = m->T, n = B * T * ECG_N_LEADS;
    loss->recon = loss->loss = ecg_mse_forward(NULL, c->x_mean, c->x, n);
    loss->kl = 0.0;
    if (!grads)
        return;
    memset(c->dx_mean, 0, n * sizeof *c->dx_mean);
    ecg_mse_backward(c->dx_mean, 1.0f, c->x_mean, c->x, n);
    // the cropped samples get no gradient: dy is zero past T
    to_channels(c->dy[N_LAYERS - 1], c->dx_mean, B, T, ECG_N_LEADS, out_len(c, N_LAYERS - 1));
    for (size_t i = N_LAYERS; i-- > 0;) {
        float *din = i ? c->dy[i - 1] : NULL; // the input needs no gradient
        const float *in = i ? c->y[i - 1] : c->xt;
        if (LAYERS[i].transposed)
            ecg_conv_transpose1d_backward_cm(din, c->dw[i], c->db[i], c->dy[i], in, c->cache[i],
                                             c->w[i], &c->shape[i]);
        else
            ecg_conv1d_backward_cm(din, c->dw[i], c->db[i], c->dy[i], in, c->cache[i], c->w[i],
                                   &c->shape[i]);
        if (din) // through the ReLU
            ecg_relu_backward_inplace(din, c->y[i - 1], out_size(c, i - 1));
    }
}

const EcgModelOps ecg_cae_ops = {
    .size = sizeof(Cae),
    .define = cae_define,
    .bind = cae_bind,
    .layout = cae_layout,
    .forward = cae_forward,
    .loss = cae_loss,
};
