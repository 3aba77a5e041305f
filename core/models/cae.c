/* cae.c — the convolutional autoencoder of the 12-lead-ECG-AD project, layer for
 * layer (DESIGN §4), so its published weights load: three stride-2 convolutions
 * with ReLU down to 128 channels at T/8, three stride-2 transposed convolutions
 * back up to 12, the output cropped to T. Fully convolutional: any T, the whole
 * of a record at once if need be. Loss: mean squared error. */
#include <stdio.h>
#include <string.h>

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
    EcgRows rows[N_LAYERS + 1];     // of the input and of each layer's output
    // activations: the layers' tensors by rows (conv1d.h), rows[i] for layer i's input
    float *x;                 // (B, T, 12) the input
    float *xr;                // (B, T, 12) the same by rows
    float *y[N_LAYERS];       // (B, L, out) layer outputs, after the ReLU but the last's
    float *cache[N_LAYERS];   // the layers' caches
    float *x_mean;            // (B, T, 12) the last output cropped to T
    // backward
    float *dx_mean;           // (B, T, 12)
    float *dy[N_LAYERS];      // (B, L, out) gradient of y, then in place of the output
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

// The rows of every tensor: R of the input and each output a multiple of one unit
// (halved by each convolution, doubled by each transposed one, all of stride 2),
// the least unit with the margins of both layers that use a tensor.
static void lay_rows(Cae *c, size_t T)
{
    EcgMargins need[N_LAYERS + 1] = {{0}};
    size_t len[N_LAYERS + 1] = {T}, scale[N_LAYERS + 1], unit = 1;
    int level[N_LAYERS + 1] = {0}, deepest = 0;
    for (size_t i = 0; i < N_LAYERS; i++) {
        EcgMargins in, out;
        if (LAYERS[i].transposed)
            ecg_conv_transpose1d_margins(&c->shape[i], &in, &out);
        else
            ecg_conv1d_margins(&c->shape[i], &in, &out);
        EcgMargins *m[2] = {&need[i], &need[i + 1]}, *got[2] = {&in, &out};
        for (size_t j = 0; j < 2; j++) {
            m[j]->P = got[j]->P > m[j]->P ? got[j]->P : m[j]->P;
            m[j]->gap = got[j]->gap > m[j]->gap ? got[j]->gap : m[j]->gap;
        }
        len[i + 1] = out_len(c, i);
        level[i + 1] = level[i] + (LAYERS[i].transposed ? 1 : -1);
        deepest = level[i + 1] < deepest ? level[i + 1] : deepest;
    }
    for (size_t i = 0; i <= N_LAYERS; i++) {
        size_t around = need[i].gap > need[i].P ? need[i].gap : need[i].P;
        scale[i] = (size_t)1 << (level[i] - deepest);
        size_t u = (len[i] + around + scale[i] - 1) / scale[i];
        unit = u > unit ? u : unit;
    }
    for (size_t i = 0; i <= N_LAYERS; i++)
        c->rows[i] = (EcgRows){unit * scale[i], need[i].P};
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
    lay_rows(c, T);
    size_t n = B * T * ECG_N_LEADS;
    c->x = ecg_carve(&cv, n);
    float *first_by_rows = c->xr = ecg_carve(&cv, ecg_rows_size(B, c->rows[0], ECG_N_LEADS));
    for (size_t i = 0; i < N_LAYERS; i++)
        c->y[i] = ecg_carve(&cv, ecg_rows_size(B, c->rows[i + 1], LAYERS[i].out));
    for (size_t i = 0; i < N_LAYERS; i++)
        c->dy[i] = ecg_carve(&cv, ecg_rows_size(B, c->rows[i + 1], LAYERS[i].out));
    float *end_by_rows = ecg_carve(&cv, 0);
    for (size_t i = 0; i < N_LAYERS; i++)
        c->cache[i] = ecg_carve(&cv, LAYERS[i].transposed
                                         ? ecg_conv_transpose1d_rows_cache_size(&c->shape[i])
                                         : ecg_conv1d_rows_cache_size(&c->shape[i]));
    c->x_mean = ecg_carve(&cv, n);
    c->dx_mean = ecg_carve(&cv, n);
    if (base) // the rows around the sequences are the layers' padding: zero, and kept so
        memset(first_by_rows, 0, (size_t)(end_by_rows - first_by_rows) * sizeof *base);
    return cv.used;
}

// the sequences of (B, T, 12) between x by rows r (12 channels) and t, either way
static void copy_rows(float *x, float *t, EcgRows r, size_t B, size_t T, bool to_rows)
{
    for (size_t b = 0; b < B; b++) {
        float *row = x + (b * r.R + r.P) * ECG_N_LEADS, *seq = t + b * T * ECG_N_LEADS;
        memcpy(to_rows ? row : seq, to_rows ? seq : row, T * ECG_N_LEADS * sizeof *x);
    }
}

static void cae_forward(EcgModel *m, const float *x, const float *eps, EcgModelOutputs *out)
{
    (void)eps; // not variational
    Cae *c = (Cae *)m;
    size_t B = m->B, T = m->T;
    memcpy(c->x, x, B * T * ECG_N_LEADS * sizeof *x);
    copy_rows(c->xr, c->x, c->rows[0], B, T, true);
    const float *in = c->xr;
    for (size_t i = 0; i < N_LAYERS; i++) {
        bool relu = i < N_LAYERS - 1;
        if (LAYERS[i].transposed)
            ecg_conv_transpose1d_forward_rows(c->y[i], c->cache[i], in, c->w[i], c->b[i], relu,
                                              &c->shape[i], c->rows[i], c->rows[i + 1]);
        else
            ecg_conv1d_forward_rows(c->y[i], c->cache[i], in, c->w[i], c->b[i], relu,
                                    &c->shape[i], c->rows[i], c->rows[i + 1]);
        in = c->y[i];
    }
    copy_rows(c->y[N_LAYERS - 1], c->x_mean, c->rows[N_LAYERS], B, T, false);
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
    // the cropped samples get no gradient: their rows stay zero
    copy_rows(c->dy[N_LAYERS - 1], c->dx_mean, c->rows[N_LAYERS], B, T, true);
    for (size_t i = N_LAYERS; i-- > 0;) {
        float *din = i ? c->dy[i - 1] : NULL; // the input needs no gradient
        const float *in = i ? c->y[i - 1] : c->xr;
        const float *out = i < N_LAYERS - 1 ? c->y[i] : NULL; // through the ReLU
        if (LAYERS[i].transposed)
            ecg_conv_transpose1d_backward_rows(din, c->dw[i], c->db[i], c->dy[i], out, in,
                                               c->cache[i], c->w[i], &c->shape[i], c->rows[i],
                                               c->rows[i + 1]);
        else
            ecg_conv1d_backward_rows(din, c->dw[i], c->db[i], c->dy[i], out, in, c->cache[i],
                                     c->w[i], &c->shape[i], c->rows[i], c->rows[i + 1]);
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
