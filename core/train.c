#include "train.h"

#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "metrics.h"
#include "nn/adam.h"
#include "nn/gemm.h"
#include "rng.h"

enum { N_LEADS = ECG_N_STANDARD_LEADS };

/* Relative improvement of the validation loss that counts as progress. */
#define MIN_IMPROVEMENT 1e-4

void ecg_train_options_default(EcgTrainOptions *opt, const EcgModelConfig *model, bool quick)
{
    const EcgModelKindInfo *info = ecg_model_kind_info(model->kind);
    memset(opt, 0, sizeof *opt);
    opt->model = *model;
    opt->epochs = quick ? 4 : 40;
    opt->batch = 32;
    opt->crops_per_record = 8;
    opt->lr = 1e-3;
    opt->clip = 1.0;
    opt->beta_max = 1.0;
    opt->warmup_epochs = info->variational ? (quick ? 2 : 10) : 0;
    opt->plateau_patience = 3;
    opt->early_stop_patience = 8;
    opt->percentile = 95.0;
    opt->seed = 1;
    opt->threads = 1;
}

void ecg_train_history_clear(EcgTrainHistory *h)
{
    free(h->train_loss);
    free(h->val_loss);
    free(h->recon);
    free(h->kl);
    free(h->beta);
    free(h->lr);
    free(h->seconds);
    memset(h, 0, sizeof *h);
}

void ecg_train_result_clear(EcgTrainResult *r)
{
    ecg_train_history_clear(&r->history);
    free(r->val_scores);
    memset(r, 0, sizeof *r);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- the split, preprocessed once ---- */

typedef struct {
    size_t n;                 /* records */
    size_t *index;            /* (n) dataset index */
    size_t n_samples;         /* per record at the model's fs */
    float *x;                 /* (n, 12, n_samples) preprocessed, lead-major */
    unsigned char *missing;   /* (n, 12, n_samples) */
} Split;

static void split_clear(Split *s)
{
    free(s->index);
    free(s->x);
    free(s->missing);
    memset(s, 0, sizeof *s);
}

/* The normal records of the given folds, filtered and resampled; with
 * normalise, normalised per record (else left for dataset statistics). */
static int load_split(EcgDataset *ds, const EcgModelConfig *cfg, int fold_lo, int fold_hi, Split *s,
                      EcgError *err)
{
    memset(s, 0, sizeof *s);
    size_t n = 0, total = ecg_dataset_count(ds);
    s->index = malloc((total ? total : 1) * sizeof *s->index);
    if (!s->index)
        return ecg_fail(err, ECG_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < total; i++) {
        const EcgRecordMeta *m = ecg_dataset_meta(ds, i);
        if (m->superclass == ECG_SC_NORM && m->strat_fold >= fold_lo && m->strat_fold <= fold_hi)
            s->index[n++] = i;
    }
    s->n = n;
    if (n == 0)
        return ECG_OK;
    /* dataset normalisation happens later, over the training records */
    EcgModelConfig raw = *cfg;
    EcgNormStats identity;
    for (size_t l = 0; l < N_LEADS; l++)
        identity.mean[l] = 0, identity.std[l] = 1;
    int status = ECG_OK;
    for (size_t r = 0; r < n && status == ECG_OK; r++) {
        EcgRecord rec, pre;
        unsigned char *missing;
        if ((status = ecg_dataset_read_record(ds, s->index[r], &rec, err)) != ECG_OK)
            break;
        status = ecg_preprocess(&raw, &identity, &rec, &pre, &missing, NULL, err);
        ecg_record_clear(&rec);
        if (status != ECG_OK)
            break;
        if (r == 0) {
            s->n_samples = pre.n_samples;
            s->x = malloc(n * N_LEADS * pre.n_samples * sizeof *s->x);
            s->missing = malloc(n * N_LEADS * pre.n_samples);
            if (!s->x || !s->missing)
                status = ecg_fail(err, ECG_ERR_NOMEM, "out of memory for %zu records", n);
        }
        if (status == ECG_OK) {
            size_t size = N_LEADS * s->n_samples;
            memcpy(s->x + r * size, pre.samples, size * sizeof *s->x);
            memcpy(s->missing + r * size, missing, size);
        }
        free(missing);
        ecg_record_clear(&pre);
    }
    if (status != ECG_OK)
        split_clear(s);
    return status;
}

/* Mean and standard deviation per lead over the valid samples of s. */
static void split_stats(const Split *s, EcgNormStats *norm)
{
    size_t n = s->n_samples;
    for (size_t l = 0; l < N_LEADS; l++) {
        double sum = 0, sum2 = 0;
        size_t count = 0;
        for (size_t r = 0; r < s->n; r++) {
            const float *x = s->x + (r * N_LEADS + l) * n;
            const unsigned char *miss = s->missing + (r * N_LEADS + l) * n;
            for (size_t t = 0; t < n; t++)
                if (!miss[t]) {
                    sum += x[t];
                    sum2 += (double)x[t] * x[t];
                    count++;
                }
        }
        double mean = count ? sum / (double)count : 0;
        double var = count ? sum2 / (double)count - mean * mean : 1;
        norm->mean[l] = (float)mean;
        norm->std[l] = (float)sqrt(var > 0 ? var : 1);
    }
}

/* Normalise every record of s per record and lead, or with norm. */
static void split_normalise(Split *s, const EcgNormStats *norm)
{
    size_t size = N_LEADS * s->n_samples;
    for (size_t r = 0; r < s->n; r++)
        ecg_normalise_leads(s->x + r * size, s->missing + r * size, s->n_samples, norm, NULL);
}

static int window_has_missing(const Split *s, size_t r, size_t start, size_t T)
{
    for (size_t l = 0; l < N_LEADS; l++)
        if (memchr(s->missing + (r * N_LEADS + l) * s->n_samples + start, 1, T))
            return 1;
    return 0;
}

/* Window (record r, start) of s into dst (T, 12), time-major as the models take it. */
static void gather_window(const Split *s, size_t r, size_t start, size_t T, float *dst)
{
    for (size_t l = 0; l < N_LEADS; l++) {
        const float *x = s->x + (r * N_LEADS + l) * s->n_samples + start;
        for (size_t t = 0; t < T; t++)
            dst[t * N_LEADS + l] = x[t];
    }
}

/* ---- the trainer: one optimisation step over a batch, split over threads ---- */

enum { MAX_THREADS = 16 };

/* One thread's share of a step: its windows of the batch through its own copy of
 * the model, then its part of the parameters to reduce, clip and update. Aligned
 * to a cache line: the threads write their own shards. */
typedef struct {
    _Alignas(64) EcgModel *model; /* the trainer's model (shard 0) or a replica */
    size_t first, B;              /* windows [first, first + B) of the batch */
    size_t lo, hi;                /* the part [lo, hi) of the parameters */
    EcgModelLoss loss;
    int status;
    EcgError err;
    double sq;                    /* sum of squares of its part of the batch's gradient */
} Shard;

typedef struct {
    EcgTrainer *t;
    size_t index;
} Worker;

struct EcgTrainer {
    EcgModel *model;
    EcgModel *replicas[MAX_THREADS]; /* (n_threads - 1) data-parallel copies */
    size_t n_threads;
    size_t max_batch, T, latent;
    float *batch;             /* (max_batch, T, 12) */
    float *eps;               /* (max_batch, T, latent) */
    EcgArena adam_m, adam_v;
    EcgAdam adam;
    double clip;
    size_t step;
    EcgRng rng;               /* the sampling noise */
    /* the threads: workers 1 .. n_threads - 1 wait for each step's start (or the end),
     * then meet at the barrier between its phases */
    Shard shards[MAX_THREADS];
    Worker workers[MAX_THREADS];
    pthread_t threads[MAX_THREADS];
    size_t n_started;         /* worker threads running */
    pthread_mutex_t lock;
    pthread_cond_t start;
    unsigned long generation; /* steps started, under lock */
    bool quit;                /* under lock */
    bool sync;                /* lock, start and barrier made, workers started */
    pthread_barrier_t barrier;
    size_t B;                 /* of the step running */
    double beta;
};

static void *worker_main(void *arg);

/* Tell the workers to end, and wait for them. */
static void join_workers(EcgTrainer *t)
{
    pthread_mutex_lock(&t->lock);
    t->quit = true;
    pthread_cond_broadcast(&t->start);
    pthread_mutex_unlock(&t->lock);
    for (size_t i = 1; i <= t->n_started; i++)
        pthread_join(t->threads[i], NULL);
    t->n_started = 0;
}

void ecg_trainer_free(EcgTrainer *t)
{
    if (!t)
        return;
    if (t->sync) {
        join_workers(t);
        pthread_barrier_destroy(&t->barrier);
        pthread_cond_destroy(&t->start);
        pthread_mutex_destroy(&t->lock);
    }
    ecg_model_free(t->model);
    for (size_t i = 0; i < MAX_THREADS; i++) /* NULL where none was made */
        ecg_model_free(t->replicas[i]);
    ecg_arena_clear(&t->adam_m);
    ecg_arena_clear(&t->adam_v);
    free(t->batch);
    free(t->eps);
    free(t);
}

/* The workers, as many as can be started (fewer threads if the system refuses),
 * waiting for the first step; then the barrier for all the threads. */
static int start_workers(EcgTrainer *t, EcgError *err)
{
    if (pthread_mutex_init(&t->lock, NULL) != 0)
        return ecg_fail(err, ECG_ERR_NOMEM, "cannot make the training threads' lock");
    if (pthread_cond_init(&t->start, NULL) != 0) {
        pthread_mutex_destroy(&t->lock);
        return ecg_fail(err, ECG_ERR_NOMEM, "cannot make the training threads' condition");
    }
    for (size_t i = 1; i < t->n_threads; i++) {
        t->workers[i] = (Worker){t, i};
        if (pthread_create(&t->threads[i], NULL, worker_main, &t->workers[i]) != 0)
            break;
        t->n_started = i;
    }
    t->n_threads = t->n_started + 1;
    if (pthread_barrier_init(&t->barrier, NULL, (unsigned)t->n_threads) != 0) {
        join_workers(t);
        pthread_cond_destroy(&t->start);
        pthread_mutex_destroy(&t->lock);
        return ecg_fail(err, ECG_ERR_NOMEM, "cannot make the training threads' barrier");
    }
    t->sync = true;
    return ECG_OK;
}

int ecg_trainer_new(const EcgModelConfig *cfg, size_t threads, size_t max_batch, size_t T, double lr, double clip,
                    uint64_t seed, EcgTrainer **out, EcgError *err)
{
    *out = NULL;
    if (max_batch == 0 || T == 0)
        return ecg_fail(err, ECG_ERR_ARG, "a trainer needs a batch and a window");
    size_t size = (sizeof(EcgTrainer) + 63) / 64 * 64; /* aligned for the shards */
    EcgTrainer *t = aligned_alloc(64, size);
    if (!t)
        return ecg_fail(err, ECG_ERR_NOMEM, "out of memory");
    memset(t, 0, size);
    const EcgModelKindInfo *info = ecg_model_kind_info(cfg->kind);
    t->n_threads = threads < 1 ? 1 : threads > MAX_THREADS ? MAX_THREADS : threads;
    t->max_batch = max_batch;
    t->T = T;
    t->latent = info->variational ? cfg->latent : 0;
    t->adam = ECG_ADAM_DEFAULTS;
    t->adam.lr = lr;
    t->clip = clip;
    ecg_arena_init(&t->adam_m);
    ecg_arena_init(&t->adam_v);
    ecg_rng_init(&t->rng, ecg_rng_derive_seed(seed, 2));
    int status = ecg_model_new(cfg, &t->model, err);
    for (size_t i = 1; status == ECG_OK && i < t->n_threads; i++)
        status = ecg_model_new(cfg, &t->replicas[i - 1], err);
    if (status == ECG_OK) {
        ecg_model_init_weights(t->model, ecg_rng_derive_seed(seed, 1));
        t->batch = malloc(max_batch * T * N_LEADS * sizeof *t->batch);
        t->eps = malloc(max_batch * T * (t->latent ? t->latent : 1) * sizeof *t->eps);
        if (!t->batch || !t->eps)
            status = ecg_fail(err, ECG_ERR_NOMEM, "out of memory for a batch of %zu windows", max_batch);
    }
    if (status == ECG_OK && (status = ecg_arena_init_like(&t->adam_m, ecg_model_params(t->model), err)) == ECG_OK)
        status = ecg_arena_init_like(&t->adam_v, ecg_model_params(t->model), err);
    if (status == ECG_OK)
        status = start_workers(t, err);
    if (status != ECG_OK) {
        /* replicas not made yet are NULL: ecg_model_free takes NULL */
        ecg_trainer_free(t);
        return status;
    }
    /* each part of the parameters a whole number of cache lines: threads write them */
    size_t P = ecg_model_params(t->model)->size, line = 16;
    for (size_t i = 0; i < t->n_threads; i++) {
        t->shards[i].model = i ? t->replicas[i - 1] : t->model;
        t->shards[i].lo = P * i / t->n_threads / line * line;
        t->shards[i].hi = i + 1 < t->n_threads ? P * (i + 1) / t->n_threads / line * line : P;
    }
    /* the threads split each batch; products inside one thread stay single-threaded */
    if (t->n_threads > 1)
        ecg_gemm_set_threads(1);
    *out = t;
    return ECG_OK;
}

EcgModel *ecg_trainer_model(EcgTrainer *t) { return t->model; }
float *ecg_trainer_batch(EcgTrainer *t) { return t->batch; }
double ecg_trainer_lr(const EcgTrainer *t) { return t->adam.lr; }
void ecg_trainer_set_lr(EcgTrainer *t, double lr) { t->adam.lr = lr; }

EcgModel *ecg_trainer_take_model(EcgTrainer *t)
{
    EcgModel *m = t->model;
    t->model = NULL;
    return m;
}

/* The batch's loss, each shard's (a mean over its windows) weighted by its share;
 * ECG_OK if every shard succeeded and the loss is finite. Every thread gets the
 * same answer. */
static int batch_loss(const EcgTrainer *t, EcgModelLoss *loss, EcgError *err)
{
    *loss = (EcgModelLoss){.beta = t->beta};
    for (size_t i = 0; i < t->n_threads; i++) {
        const Shard *sh = &t->shards[i];
        if (sh->status != ECG_OK) {
            if (err)
                *err = sh->err;
            return sh->status;
        }
        double w = (double)sh->B / (double)t->B;
        loss->loss += w * sh->loss.loss;
        loss->recon += w * sh->loss.recon;
        loss->kl += w * sh->loss.kl;
    }
    if (!isfinite(loss->loss))
        return err ? ecg_fail(err, ECG_ERR_DATA, "the loss diverged at step %zu; try a lower learning rate",
                              t->step + 1)
                   : ECG_ERR_DATA;
    return ECG_OK;
}

/* Thread i's share of the step. Forward and backward of its windows (a replica
 * takes the parameters first); then, once all are done, its part of the
 * parameters: the shards' gradients added, weighted by their shares, into the
 * model's, and their sum of squares; then, with the norm of all parts, clipping
 * and Adam. The parts need no lock: each thread writes its own. */
static void step_part(EcgTrainer *t, size_t i)
{
    Shard *sh = &t->shards[i];
    EcgArena *params = ecg_model_params(t->model), *grads = ecg_model_grads(t->model);
    sh->status = ECG_OK;
    sh->loss = (EcgModelLoss){.beta = t->beta};
    if (sh->B) {
        EcgModelOutputs o;
        if (i)
            memcpy(ecg_model_params(sh->model)->data, params->data, params->size * sizeof *params->data);
        ecg_arena_zero(ecg_model_grads(sh->model));
        sh->status = ecg_model_forward(sh->model, t->batch + sh->first * t->T * N_LEADS,
                                       t->latent ? t->eps + sh->first * t->T * t->latent : NULL, sh->B,
                                       t->T, &o, &sh->err);
        if (sh->status == ECG_OK)
            sh->status = ecg_model_backward(sh->model, &sh->loss, &sh->err);
    }
    pthread_barrier_wait(&t->barrier);
    EcgModelLoss loss;
    bool ok = batch_loss(t, &loss, NULL) == ECG_OK;
    size_t lo = sh->lo, n = sh->hi - sh->lo;
    float *g = grads->data + lo;
    if (ok && t->n_threads > 1) {
        float w0 = (float)t->shards[0].B / (float)t->B;
        for (size_t k = 0; k < n; k++)
            g[k] *= w0;
        for (size_t s = 1; s < t->n_threads; s++) {
            if (!t->shards[s].B)
                continue;
            const float *gs = ecg_model_grads(t->shards[s].model)->data + lo;
            float w = (float)t->shards[s].B / (float)t->B;
            for (size_t k = 0; k < n; k++)
                g[k] += w * gs[k];
        }
    }
    if (ok)
        sh->sq = ecg_grad_sq_sum(g, n);
    pthread_barrier_wait(&t->barrier);
    if (ok) {
        double sq = 0.0;
        for (size_t s = 0; s < t->n_threads; s++)
            sq += t->shards[s].sq;
        ecg_clip_grad_scale(g, n, sqrt(sq), t->clip);
        ecg_adam_step(params->data + lo, g, t->adam_m.data + lo, t->adam_v.data + lo, n, &t->adam,
                      t->step + 1);
    }
    pthread_barrier_wait(&t->barrier);
}

static void *worker_main(void *arg)
{
    const Worker *w = arg;
    EcgTrainer *t = w->t;
    unsigned long seen = 0;
    for (;;) {
        pthread_mutex_lock(&t->lock);
        while (t->generation == seen && !t->quit)
            pthread_cond_wait(&t->start, &t->lock);
        bool quit = t->quit;
        seen = t->generation;
        pthread_mutex_unlock(&t->lock);
        if (quit)
            return NULL;
        step_part(t, w->index);
    }
}

int ecg_trainer_step(EcgTrainer *t, size_t B, double beta, EcgModelLoss *loss, EcgError *err)
{
    if (B == 0 || B > t->max_batch)
        return ecg_fail(err, ECG_ERR_ARG, "batch of %zu windows, the trainer takes 1 to %zu", B, t->max_batch);
    for (size_t i = 0; t->latent && i < B * t->T * t->latent; i++)
        t->eps[i] = (float)ecg_rng_normal(&t->rng);
    t->B = B;
    t->beta = beta;
    for (size_t i = 0, first = 0; i < t->n_threads; i++) { /* shares differing by one at most */
        t->shards[i].first = first;
        t->shards[i].B = B / t->n_threads + (i < B % t->n_threads);
        first += t->shards[i].B;
    }
    pthread_mutex_lock(&t->lock);
    t->generation++;
    pthread_cond_broadcast(&t->start);
    pthread_mutex_unlock(&t->lock);
    step_part(t, 0);
    int status = batch_loss(t, loss, err);
    if (status == ECG_OK)
        t->step++;
    return status;
}

/* ---- the run ---- */

typedef struct {
    size_t record, start;
} Crop;

typedef struct {
    const EcgTrainOptions *opt;
    EcgTrainer *trainer;
    EcgModel *model;          /* the trainer's */
    float *best;              /* (n_params) best weights after the warm-up */
    EcgRng rng;               /* the crops */
    size_t T;
    float *batch;             /* the trainer's (max_batch, T, 12) */
    Crop *crops;
    size_t n_crops;
} Run;

/* Loss over the validation windows with z = mu, per input point, and the mean
 * squared error of the reconstruction (in normalised units: a model that only
 * reproduces the mean has about 1). */
static int validate(Run *run, const Split *val, double beta, double *val_loss, double *val_mse, EcgError *err)
{
    size_t T = run->T, B = run->opt->batch;
    size_t n_starts = ecg_window_starts(val->n_samples, T, run->opt->model.stride, NULL);
    size_t *starts = malloc(n_starts * sizeof *starts);
    if (!starts)
        return ecg_fail(err, ECG_ERR_NOMEM, "out of memory");
    ecg_window_starts(val->n_samples, T, run->opt->model.stride, starts);
    double sum = 0, sum_sq = 0;
    size_t windows = 0, filled = 0;
    int status = ECG_OK;
    for (size_t r = 0; r < val->n && status == ECG_OK; r++)
        for (size_t w = 0; w < n_starts && status == ECG_OK; w++) {
            int last = r + 1 == val->n && w + 1 == n_starts;
            if (!window_has_missing(val, r, starts[w], T))
                gather_window(val, r, starts[w], T, run->batch + filled++ * T * N_LEADS);
            if (filled == B || (last && filled > 0)) {
                EcgModelOutputs o;
                EcgModelLoss loss = {.beta = beta};
                if ((status = ecg_model_forward(run->model, run->batch, NULL, filled, T, &o, err)) == ECG_OK &&
                    (status = ecg_model_loss(run->model, &loss, err)) == ECG_OK) {
                    sum += loss.loss * (double)filled;
                    for (size_t k = 0; k < filled * T * N_LEADS; k++) {
                        double d = (double)run->batch[k] - o.x_mean[k];
                        sum_sq += d * d;
                    }
                    windows += filled;
                }
                filled = 0;
            }
        }
    free(starts);
    *val_loss = windows ? sum / (double)windows : NAN;
    *val_mse = windows ? sum_sq / (double)(windows * T * N_LEADS) : NAN;
    return status;
}

/* This epoch's random crops of every training record, shuffled. */
static void draw_crops(Run *run, const Split *train, size_t *n_skipped)
{
    size_t T = run->T, k = 0;
    for (size_t r = 0; r < train->n; r++)
        for (size_t c = 0; c < run->opt->crops_per_record; c++) {
            /* a few tries to find a window without missing samples */
            for (int attempt = 0; attempt < 4; attempt++) {
                size_t start = ecg_rng_below(&run->rng, train->n_samples - T + 1);
                if (!window_has_missing(train, r, start, T)) {
                    run->crops[k++] = (Crop){r, start};
                    break;
                }
                if (attempt == 3)
                    (*n_skipped)++;
            }
        }
    run->n_crops = k;
    for (size_t i = k; i > 1; i--) {
        size_t j = ecg_rng_below(&run->rng, i);
        Crop t = run->crops[i - 1];
        run->crops[i - 1] = run->crops[j];
        run->crops[j] = t;
    }
}

static int history_alloc(EcgTrainHistory *h, size_t n)
{
    double **fields[] = {&h->train_loss, &h->val_loss, &h->recon, &h->kl, &h->beta, &h->lr, &h->seconds};
    for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++)
        if (!(*fields[f] = calloc(n, sizeof(double))))
            return ECG_ERR_NOMEM;
    return ECG_OK;
}

int ecg_train(EcgDataset *ds, const EcgTrainOptions *opt, EcgTrainProgressFn progress, void *user, EcgModel **out,
              EcgTrainResult *result, EcgError *err)
{
    *out = NULL;
    memset(result, 0, sizeof *result);
    const EcgModelConfig *cfg = &opt->model;
    const EcgModelKindInfo *info = ecg_model_kind_info(cfg->kind);
    const char *path = ecg_dataset_path(ds);
    Split train = {0}, val = {0};
    Run run = {.opt = opt};
    EcgArena *params = NULL;
    int status;

    if (opt->batch == 0 || opt->epochs == 0 || opt->crops_per_record == 0)
        return ecg_fail(err, ECG_ERR_ARG, "training needs at least one epoch, batch and crop");
    if ((status = load_split(ds, cfg, 1, 8, &train, err)) != ECG_OK ||
        (status = load_split(ds, cfg, 9, 9, &val, err)) != ECG_OK)
        goto done;
    if (train.n == 0 || val.n == 0) {
        status = ecg_fail(err, ECG_ERR_DATA,
                          "%s: no normal %s records (superclass exactly NORM in fold%s); nothing to train on", path,
                          train.n == 0 ? "training" : "validation", train.n == 0 ? "s 1-8" : " 9");
        goto done;
    }
    split_stats(&train, &result->norm);
    const EcgNormStats *norm = cfg->normalization == ECG_NORM_DATASET ? &result->norm : NULL;
    split_normalise(&train, norm);
    split_normalise(&val, norm);
    result->n_train_records = train.n;

    run.T = cfg->window < train.n_samples ? cfg->window : train.n_samples;
    if ((status = ecg_trainer_new(cfg, opt->threads > 0 ? (size_t)opt->threads : 1, opt->batch, run.T, opt->lr,
                                  opt->clip, opt->seed, &run.trainer, err)) != ECG_OK)
        goto done;
    run.model = ecg_trainer_model(run.trainer);
    run.batch = ecg_trainer_batch(run.trainer);
    ecg_rng_init(&run.rng, ecg_rng_derive_seed(opt->seed, 3));
    params = ecg_model_params(run.model);
    run.crops = malloc(train.n * opt->crops_per_record * sizeof *run.crops);
    run.best = malloc(params->size * sizeof *run.best);
    if (!run.crops || !run.best || history_alloc(&result->history, opt->epochs) != ECG_OK) {
        status = ecg_fail(err, ECG_ERR_NOMEM, "out of memory for training");
        goto done;
    }

    double best_val = 0;
    size_t plateau = 0, stale = 0;
    int have_best = 0;
    for (size_t epoch = 1; epoch <= opt->epochs; epoch++) {
        double t0 = now_s();
        double beta = info->variational
                          ? opt->beta_max * (opt->warmup_epochs ? fmin(1.0, (double)epoch / (double)opt->warmup_epochs) : 1.0)
                          : 0.0;
        int warm = epoch >= opt->warmup_epochs; /* beta has reached beta_max: losses comparable */
        draw_crops(&run, &train, &result->n_skipped_windows);
        size_t n_batches = (run.n_crops + opt->batch - 1) / opt->batch;
        double sum_loss = 0, sum_recon = 0, sum_kl = 0;
        size_t seen = 0;
        EcgTrainProgress p = {.epoch = epoch, .n_epochs = opt->epochs, .n_batches = n_batches, .beta = beta,
                              .lr = ecg_trainer_lr(run.trainer)};
        for (size_t b = 0; b < n_batches; b++) {
            size_t B = b + 1 < n_batches ? opt->batch : run.n_crops - b * opt->batch;
            for (size_t i = 0; i < B; i++) {
                const Crop *c = &run.crops[b * opt->batch + i];
                gather_window(&train, c->record, c->start, run.T, run.batch + i * run.T * N_LEADS);
            }
            EcgModelLoss loss;
            if ((status = ecg_trainer_step(run.trainer, B, beta, &loss, err)) != ECG_OK)
                goto done;
            sum_loss += loss.loss * (double)B;
            sum_recon += loss.recon * (double)B;
            sum_kl += loss.kl * (double)B;
            seen += B;
            p.batch = b + 1;
            p.loss = sum_loss / (double)seen;
            p.recon = sum_recon / (double)seen;
            p.kl = sum_kl / (double)seen;
            p.windows_per_s = (double)seen / (now_s() - t0);
            if (progress && progress(user, &p)) {
                status = ecg_fail(err, ECG_ERR_CANCELLED, "training cancelled in epoch %zu", epoch);
                goto done;
            }
        }
        double val_loss = NAN, val_mse = NAN;
        if ((status = validate(&run, &val, beta, &val_loss, &val_mse, err)) != ECG_OK)
            goto done;

        EcgTrainHistory *h = &result->history;
        size_t e = h->n_epochs++;
        h->train_loss[e] = p.loss;
        h->val_loss[e] = val_loss;
        h->recon[e] = p.recon;
        h->kl[e] = p.kl;
        h->beta[e] = beta;
        h->lr[e] = ecg_trainer_lr(run.trainer);
        h->seconds[e] = now_s() - t0;

        /* before the warm-up ends the loss changes with beta: nothing is compared */
        if (warm) {
            if (!have_best || val_loss < best_val - MIN_IMPROVEMENT * fabs(best_val)) {
                best_val = val_loss;
                plateau = stale = 0;
                memcpy(run.best, params->data, params->size * sizeof *run.best);
                have_best = 1;
                result->best_epoch = epoch;
            } else {
                stale++;
                if (++plateau >= opt->plateau_patience) {
                    ecg_trainer_set_lr(run.trainer, 0.5 * ecg_trainer_lr(run.trainer));
                    plateau = 0;
                }
            }
        }
        p.epoch_done = true;
        p.val_loss = val_loss;
        p.val_mse = val_mse;
        if (progress && progress(user, &p)) {
            status = ecg_fail(err, ECG_ERR_CANCELLED, "training cancelled after epoch %zu", epoch);
            goto done;
        }
        if (warm && stale >= opt->early_stop_patience)
            break;
    }
    if (have_best)
        memcpy(params->data, run.best, params->size * sizeof *run.best);
    else
        result->best_epoch = result->history.n_epochs;

    /* calibration: the threshold at a percentile of the validation normals' record scores */
    result->val_scores = malloc(val.n * sizeof *result->val_scores);
    if (!result->val_scores) {
        status = ecg_fail(err, ECG_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t r = 0; r < val.n; r++) {
        EcgRecord rec;
        EcgRecordScore score;
        if ((status = ecg_dataset_read_record(ds, val.index[r], &rec, err)) != ECG_OK)
            goto done;
        status = ecg_score_record(run.model, &result->norm, &rec, false, &score, err);
        ecg_record_clear(&rec);
        if (status != ECG_OK)
            goto done;
        result->val_scores[result->n_val++] = score.record_score;
        ecg_record_score_clear(&score);
    }
    result->percentile = opt->percentile;
    if ((status = ecg_percentile(result->val_scores, result->n_val, opt->percentile, &result->threshold, err)) !=
        ECG_OK)
        goto done;
    *out = ecg_trainer_take_model(run.trainer);
done:
    if (status != ECG_OK)
        ecg_train_result_clear(result);
    ecg_trainer_free(run.trainer);
    free(run.best);
    free(run.crops);
    split_clear(&train);
    split_clear(&val);
    return status;
}
