/* checkpoint.h — model checkpoints, *.model.h5 (DESIGN §3).
 *
 * A checkpoint holds a model (its kind, config and every parameter under
 * PyTorch's state_dict name and shape, so a PyTorch model exports to it with a
 * few lines of h5py and back) and what was learnt about it: the dataset
 * statistics, the calibrated threshold, the training history, the evaluation.
 *
 *   /                 attrs format = "ecglens-model", version = 1,
 *                           kind = "cae" | "vae_bilstm" | "vae_bilstm_mha", name
 *   /config           attrs fs, band_low, band_high, notch (float64);
 *                           window, stride, hidden, latent, lead_dim, lead_heads, time_heads (int64);
 *                           normalization = "record" | "dataset", score = "mse" | "nll"
 *   /weights/<name>   float32 of PyTorch's shape, one dataset per state_dict entry; a name
 *                     such as "encoder.weight_ih_l0" is one link name, dots and all
 *   /norm/mean, /norm/std           float32 [12]: written when the info has them; a model
 *                                   normalised with dataset statistics cannot be saved or
 *                                   loaded without them
 *   /calibration      attrs threshold, percentile; val_scores float32 [n]
 *   /history          float64 [n_epochs] each: train_loss, val_loss, recon, kl, beta, lr, seconds;
 *                     attr best_epoch (1-based; 0 or absent: unknown)
 *   /eval             attrs n, threshold, auroc, auprc, f1, precision, recall, specificity,
 *                           tp, fp, tn, fn, auroc_MI, auroc_STTC, auroc_CD, auroc_HYP (NaN: undefined);
 *                     roc_fpr, roc_tpr float32 [n_roc]
 *   /eval/linear_baseline   attrs k and the same metrics for the PCA reconstruction reference
 *
 * /config and /weights are required (the root's name may be absent: the kind's
 * name is used); the other groups are optional, but a group that is present
 * must be complete. Loading checks the format, version and kind,
 * every config value, every weight's presence, shape and finiteness, and refuses
 * weights the model does not have; each message names the file and the problem:
 *   "x.model.h5: weight 'to_latent.weight' has shape [64, 256], the model needs [64, 128]".
 * Saving writes a temporary file beside the target, flushes it and renames it
 * over the target: a failed save leaves an existing file as it was.
 *
 *   EcgCheckpointInfo info;
 *   ecg_checkpoint_info_init(&info);
 *   info.has_calibration = true; info.threshold = tau; ...
 *   ecg_checkpoint_save("cae.model.h5", model, &info, err);
 *   ecg_checkpoint_info_clear(&info);
 *
 *   EcgModel *m;
 *   ecg_checkpoint_load("cae.model.h5", &m, &info, err);   // info may be NULL
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "metrics.h"
#include "models/model.h"
#include "score.h"
#include "status.h"
#include "train.h"

/* The superclasses evaluated against NORM, in this order (ecg_superclass_names[1..4]). */
enum { ECG_EVAL_N_SUPERCLASSES = 4 };

/* The figures of one scorer on the test records. */
typedef struct {
    double auroc, auprc;
    double threshold;            /* τ at which the confusion was counted */
    EcgConfusion confusion;      /* at threshold: counts, precision, recall, specificity, f1 */
    double auroc_superclass[ECG_EVAL_N_SUPERCLASSES]; /* MI, STTC, CD, HYP vs NORM; NaN when undefined */
} EcgEvalMetrics;

typedef struct {
    size_t n;                    /* test records */
    EcgEvalMetrics model;
    float *roc_fpr, *roc_tpr;    /* (n_roc) the model's ROC curve, owned */
    size_t n_roc;
    bool has_linear_baseline;
    size_t linear_k;             /* PCA components */
    EcgEvalMetrics linear;       /* the PCA reconstruction reference on the same windows */
} EcgEvalSummary;

/* Metrics all NaN, counts 0. */
void ecg_eval_metrics_init(EcgEvalMetrics *m);
/* Empty summary: no ROC curve, no linear reference, metrics NaN. */
void ecg_eval_summary_init(EcgEvalSummary *s);
/* Free the ROC curve; s is left as after ecg_eval_summary_init. */
void ecg_eval_summary_clear(EcgEvalSummary *s);

/* Everything a checkpoint holds beside the model. Arrays are owned (malloc'ed)
 * and freed by ecg_checkpoint_info_clear. */
typedef struct {
    bool has_norm;
    EcgNormStats norm;           /* /norm: dataset statistics per standard lead */

    bool has_calibration;
    double threshold, percentile;
    double *val_scores;          /* (n_val_scores) record scores of the validation normals;
                                    stored as float32 */
    size_t n_val_scores;

    EcgTrainHistory history;     /* n_epochs 0: no /history */
    size_t best_epoch;           /* 1-based, 0 unknown */

    bool has_eval;
    EcgEvalSummary eval;
} EcgCheckpointInfo;

/* Empty info: nothing present, metrics NaN. */
void ecg_checkpoint_info_init(EcgCheckpointInfo *info);
/* Free the arrays; info is left as after ecg_checkpoint_info_init. */
void ecg_checkpoint_info_clear(EcgCheckpointInfo *info);

/* Copy n validation scores into info and set the calibration. */
int ecg_checkpoint_info_set_calibration(EcgCheckpointInfo *info, double threshold, double percentile,
                                        const double *val_scores, size_t n, EcgError *err);
/* Copy a history of n epochs (seven arrays) into info. */
int ecg_checkpoint_info_set_history(EcgCheckpointInfo *info, const EcgTrainHistory *history, EcgError *err);
/* Copy an ROC curve of n points into info->eval. */
int ecg_checkpoint_info_set_roc(EcgCheckpointInfo *info, const float *fpr, const float *tpr, size_t n,
                                EcgError *err);

/* Write m and info (may be NULL) to path atomically. Refused and nothing
 * written: a non-finite weight (ECG_ERR_DATA, named), dataset normalization
 * without info->has_norm, inconsistent info (ECG_ERR_ARG). */
int ecg_checkpoint_save(const char *path, EcgModel *m, const EcgCheckpointInfo *info, EcgError *err);

/* A new model from path with its weights, and (when info is not NULL) the rest
 * of the file; info needs no initialisation. On failure *out is NULL and info
 * is empty. */
int ecg_checkpoint_load(const char *path, EcgModel **out, EcgCheckpointInfo *info, EcgError *err);

/* The kind, name and config of the model in path without reading its weights
 * (the model selector). */
int ecg_checkpoint_read_config(const char *path, EcgModelConfig *cfg, EcgError *err);

/* Load the weights of group (NULL: "weights") of any HDF5 file into the existing
 * model m: every parameter of m must be there with its shape, and nothing else.
 * A file whose root names a kind must name m's kind. All or nothing: on failure
 * m's parameters are unchanged. Used for weights exported from PyTorch without a
 * /config (the seed CAE). */
int ecg_checkpoint_load_weights(const char *path, const char *group, EcgModel *m, EcgError *err);
