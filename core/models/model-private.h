/* model-private.h — what the model kinds share with model.c (not a public
 * header).
 *
 * A kind derives from EcgModel by embedding it first in its own struct, and
 * fills an EcgModelOps: model.c owns the parameter and gradient arenas, the
 * activation buffer and the checks of every call; the kind declares its
 * parameters, lays out its activations for a (B, T) and runs its forward and
 * backward passes on them. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "../nn/arena.h"
#include "../nn/lstm.h"
#include "../nn/mha.h"
#include "model.h"

/* How a parameter starts (ecg_model_init_weights): uniform in [-a, a], normal
 * with standard deviation a, or zero. */
typedef enum { ECG_INIT_UNIFORM, ECG_INIT_NORMAL, ECG_INIT_ZERO } EcgInitKind;

typedef struct {
    EcgInitKind kind;
    double a;
} EcgParamInit;

/* The number of leads of a window: input channels and reconstruction width. */
#define ECG_N_LEADS 12

typedef struct {
    size_t size;    /* of the kind's struct, which starts with an EcgModel */
    /* Add the parameters (ecg_model_add_param) in PyTorch's state_dict order. */
    int (*define)(EcgModel *m, EcgError *err);
    /* Point the kind's parameter and gradient views into the allocated arenas. */
    void (*bind)(EcgModel *m);
    /* Lay the activations of a (B, T) forward and backward out from base (the
     * model's buffer; NULL only counts) and return their size in floats. */
    size_t (*layout)(EcgModel *m, size_t B, size_t T, float *base);
    /* Forward on x (B, T, 12) of the current layout; eps (B, T, latent) only when
     * a variational kind samples (m->sampled). */
    void (*forward)(EcgModel *m, const float *x, const float *eps, EcgModelOutputs *out);
    /* The loss of the last forward; with grads, its gradient added into the
     * gradient arena. */
    void (*loss)(EcgModel *m, EcgModelLoss *loss, bool grads);
} EcgModelOps;

struct EcgModel {
    EcgModelConfig cfg;
    const EcgModelOps *ops;
    EcgArena params;        /* PyTorch's state_dict names and shapes */
    EcgArena grads;         /* same layout */
    EcgParamInit *init;     /* (params.n_views) */
    size_t cap_init;
    float *act;             /* (act_cap) activations and backward work space */
    size_t act_cap;
    size_t B, T;            /* of the current layout, 0 before the first forward */
    bool sampled;           /* the last forward drew z with eps */
    bool have_forward;      /* the buffer holds a forward pass to take the loss of */
};

extern const EcgModelOps ecg_cae_ops;
extern const EcgModelOps ecg_vae_bilstm_ops;

/* Append a parameter (ecg_arena_add) with its initialisation. */
int ecg_model_add_param(EcgModel *m, const char *name, size_t ndim, const size_t *shape,
                        EcgParamInit init, EcgError *err);

/* PyTorch's layers under prefix ("encoder.0", "to_latent"): the parameters of
 * nn.Linear(in, out), nn.Conv1d(in, out, k) or nn.ConvTranspose1d(in, out, k)
 * (weight (out, in, k) or (in, out, k)), nn.LSTM(in, hidden, bidirectional) and
 * nn.MultiheadAttention(E) with their default initialisations. */
int ecg_model_add_linear(EcgModel *m, const char *prefix, size_t in, size_t out, EcgError *err);
int ecg_model_add_conv(EcgModel *m, const char *prefix, size_t in, size_t out, size_t k,
                       bool transposed, EcgError *err);
int ecg_model_add_bilstm(EcgModel *m, const char *prefix, size_t in, size_t hidden,
                         EcgError *err);
int ecg_model_add_mha(EcgModel *m, const char *prefix, size_t E, EcgError *err);

/* The floats of a parameter or of its gradient; the name must exist. */
float *ecg_model_param(EcgModel *m, const char *name);
float *ecg_model_grad(EcgModel *m, const char *name);

/* The views of the layers above in the kernels' structs: w into the
 * parameters, dw into the gradients; [0] forward, [1] reverse direction. */
void ecg_model_bind_bilstm(EcgModel *m, const char *prefix, EcgLstmParams w[2],
                           EcgLstmParams dw[2]);
void ecg_model_bind_mha(EcgModel *m, const char *prefix, EcgMhaParams *w, EcgMhaParams *dw);

/* Carving consecutive blocks out of one buffer; with base NULL only counts. */
typedef struct {
    float *base;
    size_t used;
} EcgCarve;

float *ecg_carve(EcgCarve *c, size_t n);
