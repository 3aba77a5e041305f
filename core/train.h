/* train.h — training a model on an ecglens dataset (DESIGN §4, §5).
 *
 * Split: normal means the superclass set is exactly {NORM}; normal records of
 * folds 1-8 train, normal records of fold 9 validate and calibrate; fold 10 is
 * never touched here. Every epoch draws random window crops of every training
 * record; VAEs warm beta up linearly; the learning rate halves when validation
 * stops improving; early stopping and the choice of the best weights count only
 * from the end of the warm-up, when validation losses become comparable. The
 * run is seeded and reproducible, and can be cancelled between batches. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dataset.h"
#include "models/model.h"
#include "score.h"
#include "status.h"

typedef struct {
    EcgModelConfig model;       /* kind, sizes and preprocessing of the model to train */
    size_t epochs;              /* at most */
    size_t batch;               /* windows per batch */
    size_t crops_per_record;    /* random windows per training record and epoch */
    double lr;
    double clip;                /* gradient-norm clipping */
    double beta_max;            /* VAEs */
    size_t warmup_epochs;       /* beta from 0 to beta_max over these epochs */
    size_t plateau_patience;    /* epochs without improvement before the lr halves */
    size_t early_stop_patience; /* epochs without improvement (after warm-up) before stopping */
    double percentile;          /* calibration: threshold at this percentile of validation scores */
    uint64_t seed;
    int threads;
} EcgTrainOptions;

/* Defaults of the "standard" preset for cfg's kind; "quick" trains a few epochs. */
void ecg_train_options_default(EcgTrainOptions *opt, const EcgModelConfig *model, bool quick);

/* ---- one optimisation step at a time (ecg_train's engine; also the benchmark's) ---- */

typedef struct EcgTrainer EcgTrainer;

/* A new model of cfg (seeded initialisation) with Adam (lr) and gradient-norm
 * clipping, taking batches of up to max_batch windows of T samples, split over
 * threads data-parallel (each thread its own copy of the model). */
int ecg_trainer_new(const EcgModelConfig *cfg, size_t threads, size_t max_batch, size_t T, double lr, double clip,
                    uint64_t seed, EcgTrainer **out, EcgError *err);
void ecg_trainer_free(EcgTrainer *t);
EcgModel *ecg_trainer_model(EcgTrainer *t);
/* Hand the model over to the caller; the trainer is left without one (free it). */
EcgModel *ecg_trainer_take_model(EcgTrainer *t);
/* The input batch to fill before a step: (max_batch, T, 12). */
float *ecg_trainer_batch(EcgTrainer *t);
double ecg_trainer_lr(const EcgTrainer *t);
void ecg_trainer_set_lr(EcgTrainer *t, double lr);
/* One step on the first B windows of the batch: sampling noise drawn (VAEs),
 * forward and backward over the threads, clipping, Adam. loss gets the batch's
 * loss per input point (at beta). A non-finite loss is refused (ECG_ERR_DATA). */
int ecg_trainer_step(EcgTrainer *t, size_t B, double beta, EcgModelLoss *loss, EcgError *err);

/* ---- a whole training run ---- */

typedef struct {
    size_t epoch, n_epochs;      /* 1-based epoch */
    size_t batch, n_batches;     /* 1-based batch within the epoch */
    double loss, recon, kl;      /* running means of this epoch, per input point */
    double beta, lr;
    double windows_per_s;
    bool epoch_done;             /* the epoch's validation below is filled */
    double val_loss;
    double val_mse;              /* reconstruction error, normalised units (signal variance ~1) */
} EcgTrainProgress;

/* Called after every batch and every epoch; a nonzero return cancels. */
typedef int (*EcgTrainProgressFn)(void *user, const EcgTrainProgress *progress);

typedef struct {
    size_t n_epochs;
    double *train_loss, *val_loss, *recon, *kl, *beta, *lr, *seconds;  /* (n_epochs) */
} EcgTrainHistory;

void ecg_train_history_clear(EcgTrainHistory *h);

typedef struct {
    EcgTrainHistory history;
    size_t best_epoch;           /* 1-based epoch whose weights the model holds */
    EcgNormStats norm;           /* dataset statistics of the training records */
    double threshold, percentile;
    double *val_scores;          /* (n_val) record scores of the validation normals */
    size_t n_val;
    size_t n_train_records;
    size_t n_skipped_windows;    /* windows left out for non-finite samples */
} EcgTrainResult;

void ecg_train_result_clear(EcgTrainResult *r);

/* Train a new model on ds; *out receives it with the best weights. Refused: a
 * dataset without normal training or validation records. Cancelled runs return
 * ECG_ERR_CANCELLED and no model. */
int ecg_train(EcgDataset *ds, const EcgTrainOptions *opt, EcgTrainProgressFn progress, void *user,
              EcgModel **out, EcgTrainResult *result, EcgError *err);
