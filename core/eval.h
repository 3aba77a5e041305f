/* eval.h — evaluation on the PTB-XL protocol (DESIGN §5) and the linear
 * reference every model is read against (DESIGN §4).
 *
 * Test records: every record of strat_fold 10 with at least one diagnostic
 * superclass; label 0 when the set is exactly {NORM}, else 1. Per superclass
 * (MI, STTC, CD, HYP), the records having it against the NORM-only records.
 *
 * The linear reference is PCA reconstruction of the windows the model sees:
 * preprocessed as the model's config says, cut with its window and stride, a
 * window flattened time-major to D = T * 12 values. The mean and the top
 * components are fitted on the windows of the normal training records (folds
 * 1-8), k is chosen on fold 9 (the best AUROC among 2, 4, ..., 128), the
 * threshold is the percentile of fold-9 normal scores, as for the models, and
 * fold 10 is scored once with them. Test labels are never used for a choice.
 *
 *   EcgEvalSummary s;
 *   ecg_eval_summary_init(&s);
 *   ecg_evaluate(ds, model, norm, tau, &s, NULL, NULL, NULL, err);
 *   ecg_linear_baseline(ds, ecg_model_config(model), norm, 95, &s, NULL, NULL, err);
 *   ecg_eval_summary_clear(&s);
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "checkpoint.h"
#include "dataset.h"
#include "models/model.h"
#include "score.h"
#include "status.h"

/* ---- the protocol ---- */


/* The figures of scores (n) against labels (n) (1 anomalous), at threshold;
 * superclass (n) holds each record's ECG_SC_* bits for the AUROC per superclass. */
int ecg_eval_metrics(const double *scores, const uint8_t *labels, const uint8_t *superclass, size_t n,
                     double threshold, EcgEvalMetrics *out, EcgError *err);

/* Score the test records of ds with m (z = mu) and fill out's n, model and ROC
 * curve; the linear reference part of out is left as it is. out must be
 * initialised (ecg_eval_summary_init, or a checkpoint info's eval); a previous
 * ROC curve is replaced. test_scores_out (may be NULL) receives the n record
 * scores in dataset order (caller frees). progress (may be NULL) is called after
 * every record; a nonzero return cancels (ECG_ERR_CANCELLED). Refused: no test
 * records; a record the model cannot score (named). On failure out is as it was. */
int ecg_evaluate(EcgDataset *ds, EcgModel *m, const EcgNormStats *norm, double threshold, EcgEvalSummary *out,
                 double **test_scores_out, EcgProgressFn progress, void *user, EcgError *err);

/* ---- PCA, with matrix products only ---- */

/* Streaming mean and scatter matrix of D-vectors (Chan et al.'s pairwise
 * update: each batch is centred on its own mean, its scatter added with one
 * product, and the means merged with a rank-one correction). */
typedef struct {
    size_t D;
    size_t n;            /* vectors seen */
    double *mean;        /* (D) */
    float *scatter;      /* (D, D) sum of (x - mean)(x - mean)^T */
    float *work;         /* (D + batch * D) batch mean and centred batch */
    size_t batch_cap;
} EcgCovariance;

/* Ready for batches of at most batch_cap vectors. */
int ecg_covariance_init(EcgCovariance *c, size_t D, size_t batch_cap, EcgError *err);
/* Add the rows of x (B, D), B <= batch_cap. */
void ecg_covariance_add(EcgCovariance *c, const float *x, size_t B);
void ecg_covariance_clear(EcgCovariance *c);

/* The top K eigenpairs of the symmetric positive semi-definite S (D, D): block
 * subspace iteration on K + K/2 vectors (products S Q), re-orthonormalised after
 * every product by block modified Gram-Schmidt (twice), and every fourth product
 * a Rayleigh-Ritz step (cyclic Jacobi on the small projected matrix) that orders
 * the basis and measures convergence: it stops when every Ritz residual
 * ||S v_i - theta_i v_i|| of the top K is below tol * theta_1. values (K)
 * decreasing, vectors (K, D) orthonormal rows. *iterations (products) and
 * *residual (the largest relative residual at exit; both may be NULL) report
 * the convergence. Deterministic (a fixed seed starts the basis). Refused: K
 * 0 or > D; no convergence within max_iter products (ECG_ERR_DATA). */
int ecg_symmetric_top_eigen(const float *S, size_t D, size_t K, double tol, size_t max_iter, double *values,
                            float *vectors, size_t *iterations, double *residual, EcgError *err);

/* Principal components of windows. */
typedef struct {
    size_t T, D;           /* window samples; D = T * 12 values, time-major */
    size_t K;              /* components held */
    size_t n_windows;      /* fitted on */
    float *mean;           /* (D) */
    float *components;     /* (K, D) orthonormal rows by decreasing variance */
    double *variance;      /* (K) variance along each component */
    double total_variance; /* trace of the covariance: the variance of all D values */
    size_t iterations;     /* of the subspace iteration */
    double residual;       /* its largest relative Ritz residual */
} EcgPca;

/* The mean and the top K components (K <= n - 1, K <= D) of the scatter in c. */
int ecg_pca_from_covariance(const EcgCovariance *c, size_t K, EcgPca *out, EcgError *err);
/* The same for the rows of x (N, D). */
int ecg_pca_fit(const float *x, size_t N, size_t D, size_t K, EcgPca *out, EcgError *err);
void ecg_pca_clear(EcgPca *p);

/* Score rec like a model with cfg would (preprocessing, windows, squared error
 * averaged over overlapping windows, mean over leads and time), reconstructing
 * each window from the first ks[i] components: scores (n_k) receives the record
 * score for each ks[i] <= pca->K. The window length must be pca->T. */
int ecg_pca_score_record(const EcgPca *pca, const EcgModelConfig *cfg, const EcgNormStats *norm,
                         const EcgRecord *rec, const size_t *ks, size_t n_k, double *scores, EcgError *err);

/* ---- the linear reference ---- */

/* The candidates for k, at most the components there are. */
enum { ECG_LINEAR_MAX_K = 128, ECG_LINEAR_N_CANDIDATES = 7 };
extern const size_t ecg_linear_candidates[ECG_LINEAR_N_CANDIDATES]; /* 2, 4, ..., 128 */

/* Fit the PCA reference on ds for the windows of cfg (norm: the dataset
 * statistics when cfg normalises with them), choose k on fold 9, calibrate the
 * threshold at percentile of the fold-9 normal scores, and evaluate it on the
 * test records: fills summary's n, has_linear_baseline, linear_k and linear;
 * the rest of summary is left as it is. progress (may be NULL) counts records
 * read (training, validation, test); a nonzero return cancels. Refused: dataset
 * normalisation without norm; fewer than 3 training windows; fold 9 without
 * both normal and abnormal records; no test records. */
int ecg_linear_baseline(EcgDataset *ds, const EcgModelConfig *cfg, const EcgNormStats *norm, double percentile,
                        EcgEvalSummary *summary, EcgProgressFn progress, void *user, EcgError *err);
