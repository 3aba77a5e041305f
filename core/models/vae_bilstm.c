/* vae_bilstm.c — VAE-BiLSTM and VAE-BiLSTM-MHA (DESIGN §4, tests/torch/models.py).
 *
 * One latent per time step: a bidirectional LSTM encoder, μ_t and log σ²_t from
 * a linear layer, z_t = μ_t + e^(logvar_t / 2) ε_t (z = μ in inference), a
 * bidirectional LSTM decoder and a linear layer giving the mean and the bounded
 * log-variance of every input point. The MHA kind is the same model with two
 * residual attention blocks:
 *
 *   lead attention, before the encoder: every x[b, t, l] becomes the token
 *   lead_in(x) + lead_embed[l]; the 12 tokens of a time step attend to each
 *   other and the encoder reads tokens + lead_attn(tokens), flattened (12 E);
 *
 *   temporal attention, after the bottleneck: the decoder reads
 *   z + time_attn(z + P, z + P, z), P the sinusoidal position code.
 *
 * Loss per input point: Gaussian NLL summed over points plus β KL summed over
 * latents, divided by the number of points. */
#include <math.h>
#include <string.h>

#include "../nn/activation.h"
#include "../nn/linear.h"
#include "../nn/loss.h"
#include "model-private.h"

enum { LEADS = ECG_N_LEADS };

typedef struct {
    EcgModel base;
    bool attention;           // the MHA kind
    size_t H, d, E;           // hidden, latent, lead token width (attention)
    // parameters and their gradients
    EcgLstmParams enc[2], denc[2], dec[2], ddec[2];
    const float *latent_w;    // (2d, 2H) to_latent: rows [mu | logvar]
    const float *latent_b;    // (2d)
    float *dlatent_w, *dlatent_b;
    const float *out_w;       // (24, 2H) output: rows [mean | raw log-variance]
    const float *out_b;       // (24)
    float *dout_w, *dout_b;
    const float *lead_embed;  // (12, E)
    const float *lead_in_w;   // (E, 1)
    const float *lead_in_b;   // (E)
    float *dlead_embed, *dlead_in_w, *dlead_in_b;
    EcgMhaParams lead_attn, dlead_attn, time_attn, dtime_attn;
    // activations, N = B T
    float *x;                 // (N, 12) the input
    float *eps;               // (N, d) the sampling noise (training)
    float *tokens;            // (N, 12, E) lead tokens
    float *lead_cache;        // (ecg_mha_cache_size(N, 12, E, lead_heads))
    float *lead_w;            // (N, 12, 12) lead attention, averaged over heads
    float *lead_recv;         // (N, 12) the attention each lead receives
    float *enc_in;            // (N, 12 E) tokens + lead attention
    float *enc_cache;         // (ecg_bilstm_cache_size(B, T, H))
    float *h_enc;             // (N, 2H)
    float *mu, *logvar;       // (N, d)
    float *z;                 // (N, d) sampled latent (training)
    float *pos;               // (T, d) sinusoidal position code
    float *qk;                // (N, d) z + P
    float *time_cache;        // (ecg_mha_cache_size(B, T, d, time_heads))
    float *time_w;            // (B, T, T) temporal attention, averaged over heads
    float *dec_in;            // (N, d) z + temporal attention
    float *dec_cache;         // (ecg_bilstm_cache_size(B, T, H))
    float *h_dec;             // (N, 2H)
    float *x_mean, *x_logvar; // (N, 12)
    // backward; the block is zeroed before each pass
    float *grad_block;        // (grad_size) dx_mean .. denc_in
    size_t grad_size;
    float *dx_mean, *dx_logvar, *draw; // (N, 12)
    float *dh;                // (N, 2H) gradient of h_dec, then of h_enc
    float *ddec_in;           // (N, d)
    float *dmu, *dlogvar;     // (N, d)
    float *denc_in;           // (N, 12 E) attention: gradient of enc_in
    float *dz;                // (N, d) attention: gradient of z
    float *dtokens;           // (N, 12 E) attention: gradient of the tokens
} Vae;

static size_t enc_width(const Vae *v)
{
    return v->attention ? LEADS * v->E : LEADS;
}

// the latent the decoder path starts from: sampled in training, the mean otherwise
static float *latent(Vae *v)
{
    return v->base.sampled ? v->z : v->mu;
}

// what the LSTMs read: through the attention blocks or straight
static const float *enc_input(Vae *v)
{
    return v->attention ? v->enc_in : v->x;
}

static const float *dec_input(Vae *v)
{
    return v->attention ? v->dec_in : latent(v);
}

static int vae_define(EcgModel *m, EcgError *err)
{
    Vae *v = (Vae *)m;
    const EcgModelConfig *cfg = &m->cfg;
    v->attention = cfg->kind == ECG_MODEL_VAE_BILSTM_MHA;
    v->H = cfg->hidden;
    v->d = cfg->latent;
    v->E = v->attention ? cfg->lead_dim : 0;
    int status;
    // state_dict order: the module's own parameter first, then its children in order
    if (v->attention &&
        ((status = ecg_model_add_param(m, "lead_embed", 2, (size_t[]){LEADS, v->E},
                                       (EcgParamInit){ECG_INIT_NORMAL, 0.1}, err)) ||
         (status = ecg_model_add_linear(m, "lead_in", 1, v->E, err)) ||
         (status = ecg_model_add_mha(m, "lead_attn", v->E, err))))
        return status;
    if ((status = ecg_model_add_bilstm(m, "encoder", enc_width(v), v->H, err)) ||
        (status = ecg_model_add_linear(m, "to_latent", 2 * v->H, 2 * v->d, err)))
        return status;
    if (v->attention && (status = ecg_model_add_mha(m, "time_attn", v->d, err)))
        return status;
    if ((status = ecg_model_add_bilstm(m, "decoder", v->d, v->H, err)))
        return status;
    return ecg_model_add_linear(m, "output", 2 * v->H, 2 * LEADS, err);
}

static void vae_bind(EcgModel *m)
{
    Vae *v = (Vae *)m;
    ecg_model_bind_bilstm(m, "encoder", v->enc, v->denc);
    ecg_model_bind_bilstm(m, "decoder", v->dec, v->ddec);
    v->latent_w = ecg_model_param(m, "to_latent.weight");
    v->latent_b = ecg_model_param(m, "to_latent.bias");
    v->dlatent_w = ecg_model_grad(m, "to_latent.weight");
    v->dlatent_b = ecg_model_grad(m, "to_latent.bias");
    v->out_w = ecg_model_param(m, "output.weight");
    v->out_b = ecg_model_param(m, "output.bias");
    v->dout_w = ecg_model_grad(m, "output.weight");
    v->dout_b = ecg_model_grad(m, "output.bias");
    if (!v->attention)
        return;
    v->lead_embed = ecg_model_param(m, "lead_embed");
    v->lead_in_w = ecg_model_param(m, "lead_in.weight");
    v->lead_in_b = ecg_model_param(m, "lead_in.bias");
    v->dlead_embed = ecg_model_grad(m, "lead_embed");
    v->dlead_in_w = ecg_model_grad(m, "lead_in.weight");
    v->dlead_in_b = ecg_model_grad(m, "lead_in.bias");
    ecg_model_bind_mha(m, "lead_attn", &v->lead_attn, &v->dlead_attn);
    ecg_model_bind_mha(m, "time_attn", &v->time_attn, &v->dtime_attn);
}

static size_t vae_layout(EcgModel *m, size_t B, size_t T, float *base)
{
    Vae *v = (Vae *)m;
    const EcgModelConfig *cfg = &m->cfg;
    size_t N = B * T, H = v->H, d = v->d, E = v->E;
    EcgCarve c = {base, 0};
    v->x = ecg_carve(&c, N * LEADS);
    v->eps = ecg_carve(&c, N * d);
    if (v->attention) {
        v->tokens = ecg_carve(&c, N * LEADS * E);
        v->lead_cache = ecg_carve(&c, ecg_mha_cache_size(N, LEADS, E, cfg->lead_heads));
        v->lead_w = ecg_carve(&c, N * LEADS * LEADS);
        v->lead_recv = ecg_carve(&c, N * LEADS);
        v->enc_in = ecg_carve(&c, N * LEADS * E);
    }
    v->enc_cache = ecg_carve(&c, ecg_bilstm_cache_size(B, T, H));
    v->h_enc = ecg_carve(&c, N * 2 * H);
    v->mu = ecg_carve(&c, N * d);
    v->logvar = ecg_carve(&c, N * d);
    v->z = ecg_carve(&c, N * d);
    if (v->attention) {
        v->pos = ecg_carve(&c, T * d);
        v->qk = ecg_carve(&c, N * d);
        v->time_cache = ecg_carve(&c, ecg_mha_cache_size(B, T, d, cfg->time_heads));
        v->time_w = ecg_carve(&c, B * T * T);
        v->dec_in = ecg_carve(&c, N * d);
    }
    v->dec_cache = ecg_carve(&c, ecg_bilstm_cache_size(B, T, H));
    v->h_dec = ecg_carve(&c, N * 2 * H);
    v->x_mean = ecg_carve(&c, N * LEADS);
    v->x_logvar = ecg_carve(&c, N * LEADS);

    size_t grad_start = c.used;
    v->grad_block = v->dx_mean = ecg_carve(&c, N * LEADS);
    v->dx_logvar = ecg_carve(&c, N * LEADS);
    v->draw = ecg_carve(&c, N * LEADS);
    v->dh = ecg_carve(&c, N * 2 * H);
    v->ddec_in = ecg_carve(&c, N * d);
    v->dmu = ecg_carve(&c, N * d);
    v->dlogvar = ecg_carve(&c, N * d);
    if (v->attention)
        v->denc_in = ecg_carve(&c, N * LEADS * E);
    v->grad_size = c.used - grad_start;
    if (v->attention) { // copied into before they accumulate: outside the zeroed block
        v->dz = ecg_carve(&c, N * d);
        v->dtokens = ecg_carve(&c, N * LEADS * E);
    }
    return c.used;
}

// ----------------------------------------------------------------------------
// lead attention: x (N, 12) -> enc_in (N, 12 E)

static void lead_forward(Vae *v, size_t N)
{
    size_t E = v->E;
    // every scalar through lead_in = Linear(1, E), plus its lead's embedding
    ecg_linear_forward(v->tokens, v->x, v->lead_in_w, v->lead_in_b, N * LEADS, 1, E);
    for (size_t n = 0; n < N; n++) {
        float *tok = v->tokens + n * LEADS * E; // (12, E)
        for (size_t i = 0; i < LEADS * E; i++)
            tok[i] += v->lead_embed[i];
    }
    ecg_mha_forward(v->enc_in, v->lead_w, v->lead_cache, v->tokens, v->tokens, v->tokens,
                    &v->lead_attn, N, LEADS, E, v->base.cfg.lead_heads);
    for (size_t i = 0; i < N * LEADS * E; i++)
        v->enc_in[i] += v->tokens[i];
    // what each lead (key) receives: the weights averaged over the 12 queries
    for (size_t n = 0; n < N; n++) {
        const float *w = v->lead_w + n * LEADS * LEADS; // (12 queries, 12 keys)
        float *recv = v->lead_recv + n * LEADS;         // (12)
        for (size_t k = 0; k < LEADS; k++)
            recv[k] = 0.0f;
        for (size_t q = 0; q < LEADS; q++)
            for (size_t k = 0; k < LEADS; k++)
                recv[k] += w[q * LEADS + k];
        for (size_t k = 0; k < LEADS; k++)
            recv[k] *= 1.0f / (float)LEADS;
    }
}

// From denc_in into the lead parameters' gradients.
static void lead_backward(Vae *v, size_t N)
{
    size_t E = v->E, n_tok = N * LEADS * E;
    // enc_in = tokens + attention(tokens): the residual path, then all three inputs
    memcpy(v->dtokens, v->denc_in, n_tok * sizeof *v->dtokens);
    ecg_mha_backward(v->dtokens, v->dtokens, v->dtokens, &v->dlead_attn, v->denc_in,
                     v->lead_cache, v->tokens, v->tokens, v->tokens, &v->lead_attn, N, LEADS, E,
                     v->base.cfg.lead_heads);
    for (size_t n = 0; n < N; n++) {
        const float *dt = v->dtokens + n * LEADS * E; // (12, E)
        for (size_t i = 0; i < LEADS * E; i++)
            v->dlead_embed[i] += dt[i];
    }
    ecg_linear_backward(NULL, v->dlead_in_w, v->dlead_in_b, v->dtokens, v->x, v->lead_in_w,
                        N * LEADS, 1, E);
}

// ----------------------------------------------------------------------------
// temporal attention: z (N, d) -> dec_in (N, d)

// P[t, 2i] = sin(t / 10000^(2i/d)), P[t, 2i+1] = cos(same), in float as PyTorch
static void positions(float *pos, size_t T, size_t d)
{
    for (size_t i = 0; i < d; i += 2) {
        float div = powf(10000.0f, (float)i / (float)d);
        for (size_t t = 0; t < T; t++) {
            float angle = (float)t / div;
            pos[t * d + i] = sinf(angle);
            if (i + 1 < d)
                pos[t * d + i + 1] = cosf(angle);
        }
    }
}

static void time_forward(Vae *v, size_t B, size_t T)
{
    size_t d = v->d;
    const float *z = latent(v);
    positions(v->pos, T, d);
    for (size_t n = 0; n < B * T; n++)
        for (size_t j = 0; j < d; j++)
            v->qk[n * d + j] = z[n * d + j] + v->pos[(n % T) * d + j];
    ecg_mha_forward(v->dec_in, v->time_w, v->time_cache, v->qk, v->qk, z, &v->time_attn, B, T, d,
                    v->base.cfg.time_heads);
    for (size_t i = 0; i < B * T * d; i++)
        v->dec_in[i] += z[i];
}

// From ddec_in into dz and the attention's parameter gradients.
static void time_backward(Vae *v, size_t B, size_t T)
{
    size_t d = v->d;
    // dec_in = z + attention(z + P, z + P, z): every path ends at z
    memcpy(v->dz, v->ddec_in, B * T * d * sizeof *v->dz);
    ecg_mha_backward(v->dz, v->dz, v->dz, &v->dtime_attn, v->ddec_in, v->time_cache, v->qk, v->qk,
                     latent(v), &v->time_attn, B, T, d, v->base.cfg.time_heads);
}

// ----------------------------------------------------------------------------
// the model

static void vae_forward(EcgModel *m, const float *x, const float *eps, EcgModelOutputs *out)
{
    Vae *v = (Vae *)m;
    size_t B = m->B, T = m->T, N = B * T, H = v->H, d = v->d;
    memcpy(v->x, x, N * LEADS * sizeof *x);
    if (v->attention)
        lead_forward(v, N);
    ecg_bilstm_forward(v->h_enc, v->enc_cache, enc_input(v), v->enc, B, T, enc_width(v), H);
    // to_latent's rows split into mu and logvar: two products
    ecg_linear_forward(v->mu, v->h_enc, v->latent_w, v->latent_b, N, 2 * H, d);
    ecg_linear_forward(v->logvar, v->h_enc, v->latent_w + d * 2 * H, v->latent_b + d, N, 2 * H,
                       d);
    if (eps) {
        memcpy(v->eps, eps, N * d * sizeof *eps);
        ecg_reparam_forward(v->z, v->mu, v->logvar, v->eps, N * d);
    }
    if (v->attention)
        time_forward(v, B, T);
    ecg_bilstm_forward(v->h_dec, v->dec_cache, dec_input(v), v->dec, B, T, d, H);
    ecg_linear_forward(v->x_mean, v->h_dec, v->out_w, v->out_b, N, 2 * H, LEADS);
    ecg_linear_forward(v->x_logvar, v->h_dec, v->out_w + LEADS * 2 * H, v->out_b + LEADS, N,
                       2 * H, LEADS);
    ecg_logvar_bound_forward(v->x_logvar, v->x_logvar, N * LEADS);
    *out = (EcgModelOutputs){
        .B = B,
        .T = T,
        .x_mean = v->x_mean,
        .x_logvar = v->x_logvar,
        .mu = v->mu,
        .logvar = v->logvar,
        .time_attn = v->attention ? v->time_w : NULL,
        .lead_attn = v->attention ? v->lead_recv : NULL,
    };
}

static void vae_loss(EcgModel *m, EcgModelLoss *loss, bool grads)
{
    Vae *v = (Vae *)m;
    size_t B = m->B, T = m->T, N = B * T, H = v->H, d = v->d;
    double points = (double)(N * LEADS);
    loss->recon =
        ecg_gaussian_nll_forward(NULL, v->x, v->x_mean, v->x_logvar, N * LEADS) / points;
    loss->kl = ecg_kl_forward(v->mu, v->logvar, N * d) / points;
    loss->loss = loss->recon + loss->beta * loss->kl;
    if (!grads)
        return;

    memset(v->grad_block, 0, v->grad_size * sizeof *v->grad_block);
    ecg_gaussian_nll_backward(v->dx_mean, v->dx_logvar, (float)(1.0 / points), v->x, v->x_mean,
                              v->x_logvar, N * LEADS);
    ecg_logvar_bound_backward(v->draw, v->dx_logvar, v->x_logvar, N * LEADS);
    ecg_linear_backward(v->dh, v->dout_w, v->dout_b, v->dx_mean, v->h_dec, v->out_w, N, 2 * H,
                        LEADS);
    ecg_linear_backward(v->dh, v->dout_w + LEADS * 2 * H, v->dout_b + LEADS, v->draw, v->h_dec,
                        v->out_w + LEADS * 2 * H, N, 2 * H, LEADS);
    ecg_bilstm_backward(v->ddec_in, v->ddec, v->dh, v->dec_cache, dec_input(v), v->dec, B, T, d,
                        H);
    const float *dz = v->ddec_in; // (N, d) gradient of the latent
    if (v->attention) {
        time_backward(v, B, T);
        dz = v->dz;
    }
    if (m->sampled)
        ecg_reparam_backward(v->dmu, v->dlogvar, dz, v->logvar, v->eps, N * d);
    else
        for (size_t i = 0; i < N * d; i++)
            v->dmu[i] += dz[i];
    ecg_kl_backward(v->dmu, v->dlogvar, (float)(loss->beta / points), v->mu, v->logvar, N * d);

    memset(v->dh, 0, N * 2 * H * sizeof *v->dh);
    ecg_linear_backward(v->dh, v->dlatent_w, v->dlatent_b, v->dmu, v->h_enc, v->latent_w, N,
                        2 * H, d);
    ecg_linear_backward(v->dh, v->dlatent_w + d * 2 * H, v->dlatent_b + d, v->dlogvar, v->h_enc,
                        v->latent_w + d * 2 * H, N, 2 * H, d);
    // the input itself needs no gradient, the lead attention's input does
    ecg_bilstm_backward(v->attention ? v->denc_in : NULL, v->denc, v->dh, v->enc_cache,
                        enc_input(v), v->enc, B, T, enc_width(v), H);
    if (v->attention)
        lead_backward(v, N);
}

const EcgModelOps ecg_vae_bilstm_ops = {
    .size = sizeof(Vae),
    .define = vae_define,
    .bind = vae_bind,
    .layout = vae_layout,
    .forward = vae_forward,
    .loss = vae_loss,
};
