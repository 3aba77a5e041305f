/* model.h — the one interface behind which every model kind lives (DESIGN §4).
 *
 * A model owns its parameters (one arena with PyTorch's state_dict names and
 * shapes), their gradients (an arena of the same layout) and its activation
 * caches (sized for the largest batch seen). Kinds declare what they take and
 * give, so the trainer, the scorer, the checkpoint and the viewer never switch
 * on the kind themselves:
 *
 *   EcgModelConfig cfg;
 *   ecg_model_config_default(&cfg, ECG_MODEL_VAE_BILSTM_MHA);
 *   EcgModel *m;
 *   ecg_model_new(&cfg, &m, err);
 *   ecg_model_init_weights(m, seed);
 *   EcgModelOutputs out;
 *   ecg_model_forward(m, x, eps, B, T, &out, err);      // eps NULL: z = mu
 *   ecg_arena_zero(ecg_model_grads(m));
 *   ecg_model_backward(m, &loss, err);                  // gradients of the loss
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../nn/arena.h"
#include "../status.h"

typedef enum {
    ECG_MODEL_CAE,
    ECG_MODEL_VAE_BILSTM,
    ECG_MODEL_VAE_BILSTM_MHA,
    ECG_MODEL_N_KINDS,
} EcgModelKind;

typedef enum { ECG_NORM_RECORD, ECG_NORM_DATASET } EcgNormalization;
typedef enum { ECG_SCORE_MSE, ECG_SCORE_NLL } EcgScoreKind;

/* What a kind is: its checkpoint name and what it takes and gives. Reconstruction
 * models take a window (T, 12) and give a reconstruction of it; later kinds
 * (single-beat autoencoders, beat classifiers) declare other inputs and outputs. */
typedef struct {
    EcgModelKind kind;
    const char *name;        /* "cae", "vae_bilstm", "vae_bilstm_mha": checkpoint's kind */
    const char *title;       /* "Convolutional autoencoder", ... for people */
    bool reconstructs;       /* gives x_mean of the input's shape */
    bool variational;        /* gives x_logvar, mu, logvar; takes eps in training */
    bool time_attention;     /* gives time_attn (B, T, T) */
    bool lead_attention;     /* gives lead_attn (B, T, 12) */
    EcgScoreKind default_score;
} EcgModelKindInfo;

const EcgModelKindInfo *ecg_model_kind_info(EcgModelKind kind);
/* The kind called name ("cae", ...), or -1. */
int ecg_model_kind_from_name(const char *name);

/* Everything a checkpoint's /config holds (DESIGN §3). */
typedef struct {
    EcgModelKind kind;
    char name[64];           /* shown in the model selector */
    double fs;               /* model sampling rate, 100 */
    size_t window, stride;   /* 256, 128 */
    size_t hidden, latent;   /* VAEs: 128, 32 */
    size_t lead_dim, lead_heads, time_heads;  /* MHA: 16, 4, 8 */
    EcgNormalization normalization;           /* per record and lead (default) or dataset */
    EcgScoreKind score;      /* mse (CAE) or nll (VAEs) */
    double band_low, band_high, notch;        /* 0.5, 40, 0 (none) */
} EcgModelConfig;

void ecg_model_config_default(EcgModelConfig *cfg, EcgModelKind kind);

typedef struct EcgModel EcgModel;

/* A model of cfg's kind and sizes with zeroed parameters. Refused: sizes that
 * the kind cannot take (latent not divisible by time_heads, ...). */
int ecg_model_new(const EcgModelConfig *cfg, EcgModel **out, EcgError *err);
void ecg_model_free(EcgModel *m);

const EcgModelConfig *ecg_model_config(const EcgModel *m);
EcgArena *ecg_model_params(EcgModel *m);  /* PyTorch state_dict names and shapes */
EcgArena *ecg_model_grads(EcgModel *m);   /* same layout as params */

/* PyTorch's default initialisation for each layer (kaiming-uniform weights,
 * uniform biases), from a seeded generator: reproducible. */
void ecg_model_init_weights(EcgModel *m, uint64_t seed);

/* What a forward pass gives; pointers into the model's buffers, valid until the
 * next forward. Absent outputs are NULL (see EcgModelKindInfo). */
typedef struct {
    size_t B, T;
    const float *x_mean;     /* (B, T, 12) reconstruction */
    const float *x_logvar;   /* (B, T, 12) */
    const float *mu;         /* (B, T, latent) */
    const float *logvar;     /* (B, T, latent) */
    const float *time_attn;  /* (B, T, T) temporal weights averaged over heads */
    const float *lead_attn;  /* (B, T, 12) attention each lead receives: 12x12 weights
                                averaged over heads and queries; rows sum to 1 */
} EcgModelOutputs;

/* Forward on x (B, T, 12). eps (B, T, latent) is the sampling noise of the
 * reparameterisation (training); NULL means z = mu (inference, deterministic).
 * Caches everything ecg_model_backward needs. */
int ecg_model_forward(EcgModel *m, const float *x, const float *eps, size_t B, size_t T,
                      EcgModelOutputs *out, EcgError *err);

/* The loss of the last forward (DESIGN §4), per input point:
 * CAE: mean squared error; VAEs: Gaussian NLL summed over points plus beta × KL
 * summed over latents, both divided by the number of input points. */
typedef struct {
    double beta;             /* in: KL weight (VAEs) */
    double loss, recon, kl;  /* out: per input point */
} EcgModelLoss;

/* Only the loss of the last forward (validation): no gradients, caches kept. */
int ecg_model_loss(EcgModel *m, EcgModelLoss *loss, EcgError *err);

/* Compute the loss of the last forward against its input and add its gradient
 * with respect to every parameter into ecg_model_grads(m). */
int ecg_model_backward(EcgModel *m, EcgModelLoss *loss, EcgError *err);
