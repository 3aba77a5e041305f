#include "eval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "nn/gemm.h"
#include "rng.h"

enum { N_LEADS = ECG_N_STANDARD_LEADS };

const size_t ecg_linear_candidates[ECG_LINEAR_N_CANDIDATES] = {2, 4, 8, 16, 32, 64, 128};

// ----------------------------------------------------------------------------
// the protocol

/* Records of some folds with a diagnostic superclass: their dataset indices,
 * labels (1 unless the set is exactly NORM) and superclass bits. */
typedef struct {
    size_t n;
    size_t *index;        /* (n) */
    uint8_t *label;       /* (n) */
    uint8_t *superclass;  /* (n) */
} Selection;

static void selection_clear(Selection *s)
{
    free(s->index);
    free(s->label);
    free(s->superclass);
    memset(s, 0, sizeof *s);
}

/* The records of folds lo..hi (normal_only: those exactly NORM). */
static int select_records(EcgDataset *ds, int lo, int hi, int normal_only, Selection *s, EcgError *err)
{
    size_t total = ecg_dataset_count(ds), cap = total ? total : 1;
    memset(s, 0, sizeof *s);
    s->index = malloc(cap * sizeof *s->index);
    s->label = malloc(cap);
    s->superclass = malloc(cap);
    if (!s->index || !s->label || !s->superclass) {
        selection_clear(s);
        return ecg_fail(err, ECG_ERR_NOMEM, "out of memory for %zu records", total);
    }
    for (size_t i = 0; i < total; i++) {
        const EcgRecordMeta *m = ecg_dataset_meta(ds, i);
        if (m->strat_fold < lo || m->strat_fold > hi || m->superclass == 0 ||
            (normal_only && m->superclass != ECG_SC_NORM))
            continue;
        s->index[s->n] = i;
        s->superclass[s->n] = m->superclass;
        s->label[s->n] = m->superclass != ECG_SC_NORM;
        s->n++;
    }
    return ECG_OK;
}

static int select_test(EcgDataset *ds, Selection *s, EcgError *err)
{
    int status = select_records(ds, 10, 10, 0, s, err);
    if (status == ECG_OK && s->n == 0) {
        selection_clear(s);
        status = ecg_fail(err, ECG_ERR_DATA, "%s: no test records (fold 10 with a diagnostic superclass)",
                          ecg_dataset_path(ds));
    }
    return status;
}

static int check_config(const EcgModelConfig *cfg, const EcgNormStats *norm, EcgError *err)
{
    if (cfg->window == 0 || cfg->stride == 0)
        return ecg_fail(err, ECG_ERR_ARG, "a window of %zu samples every %zu cannot be scored", cfg->window,
                        cfg->stride);
    if (cfg->normalization == ECG_NORM_DATASET && !norm)
        return ecg_fail(err, ECG_ERR_ARG, "%s normalises with dataset statistics, and none were given",
                        cfg->name[0] ? cfg->name : "the model");
    return ECG_OK;
}

/* Progress over the records of several passes. */
typedef struct {
    EcgProgressFn fn;
    void *user;
    size_t done, total;
} Progress;

/* What is done with each record of a selection: i is its position in it. */
typedef int (*RecordFn)(void *ctx, size_t i, const EcgRecord *rec, EcgError *err);

static int for_each_record(EcgDataset *ds, const Selection *s, RecordFn fn, void *ctx, Progress *p, EcgError *err)
{
    for (size_t i = 0; i < s->n; i++) {
        EcgRecord rec;
        int status = ecg_dataset_read_record(ds, s->index[i], &rec, err);
        if (status != ECG_OK)
            return status;
        status = fn(ctx, i, &rec, err);
        ecg_record_clear(&rec);
        if (status != ECG_OK)
            return status;
        p->done++;
        if (p->fn && p->fn(p->user, p->done, p->total))
            return ecg_fail(err, ECG_ERR_CANCELLED, "%s: evaluation cancelled", ecg_dataset_path(ds));
    }
    return ECG_OK;
}

int ecg_eval_metrics(const double *scores, const uint8_t *labels, const uint8_t *superclass, size_t n,
                     double threshold, EcgEvalMetrics *out, EcgError *err)
{
    double *sub_scores = malloc((n ? n : 1) * sizeof *sub_scores);
    uint8_t *sub_labels = malloc(n ? n : 1);
    if (!sub_scores || !sub_labels) {
        free(sub_scores);
        free(sub_labels);
        return ecg_fail(err, ECG_ERR_NOMEM, "out of memory for %zu scores", n);
    }
    ecg_eval_metrics_init(out);
    out->auroc = ecg_auroc(scores, labels, n);
    out->auprc = ecg_auprc(scores, labels, n);
    out->threshold = threshold;
    out->confusion = ecg_confusion(scores, labels, n, threshold);
    /* each superclass (bits 1..4) against the NORM-only records */
    for (size_t c = 0; c < ECG_EVAL_N_SUPERCLASSES; c++) {
        unsigned bit = 1u << (c + 1);
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if ((superclass[i] & bit) || superclass[i] == ECG_SC_NORM) {
                sub_scores[m] = scores[i];
                sub_labels[m++] = (superclass[i] & bit) != 0;
            }
        out->auroc_superclass[c] = ecg_auroc(sub_scores, sub_labels, m);
    }
    free(sub_scores);
    free(sub_labels);
    return ECG_OK;
}

typedef struct {
    EcgModel *model;
    const EcgNormStats *norm;
    double *scores;       /* (n) */
} ModelScoring;

static int score_with_model(void *ctx, size_t i, const EcgRecord *rec, EcgError *err)
{
    ModelScoring *ms = ctx;
    EcgRecordScore s;
    int status = ecg_score_record(ms->model, ms->norm, rec, false, &s, err);
    if (status != ECG_OK)
        return status;
    ms->scores[i] = s.record_score;
    ecg_record_score_clear(&s);
    if (!isfinite(ms->scores[i]))
        return ecg_fail(err, ECG_ERR_DATA, "%s: the model's score is not finite", rec->id);
    return ECG_OK;
}

int ecg_evaluate(EcgDataset *ds, EcgModel *m, const EcgNormStats *norm, double threshold, EcgEvalSummary *out,
                 double **test_scores_out, EcgProgressFn progress, void *user, EcgError *err)
{
    if (test_scores_out)
        *test_scores_out = NULL;
    Selection test;
    float *fpr = NULL, *tpr = NULL;
    int status = check_config(ecg_model_config(m), norm, err);
    if (status != ECG_OK || (status = select_test(ds, &test, err)) != ECG_OK)
        return status;
    ModelScoring ms = {m, norm, malloc(test.n * sizeof *ms.scores)};
    fpr = malloc((test.n + 1) * sizeof *fpr);
    tpr = malloc((test.n + 1) * sizeof *tpr);
    if (!ms.scores || !fpr || !tpr) {
        status = ecg_fail(err, ECG_ERR_NOMEM, "out of memory for %zu test records", test.n);
        goto done;
    }
    Progress p = {progress, user, 0, test.n};
    EcgEvalMetrics mt;
    if ((status = for_each_record(ds, &test, score_with_model, &ms, &p, err)) != ECG_OK ||
        (status = ecg_eval_metrics(ms.scores, test.label, test.superclass, test.n, threshold, &mt, err)) != ECG_OK)
        goto done;
    free(out->roc_fpr);
    free(out->roc_tpr);
    out->n_roc = ecg_roc_curve(ms.scores, test.label, test.n, fpr, tpr);
    out->roc_fpr = fpr;
    out->roc_tpr = tpr;
    fpr = tpr = NULL;
    out->n = test.n;
    out->model = mt;
    if (test_scores_out) {
        *test_scores_out = ms.scores;
        ms.scores = NULL;
    }
done:
    free(ms.scores);
    free(fpr);
    free(tpr);
    selection_clear(&test);
    return status;
}

// ----------------------------------------------------------------------------
// covariance

int ecg_covariance_init(EcgCovariance *c, size_t D, size_t batch_cap, EcgError *err)
{
    memset(c, 0, sizeof *c);
    c->D = D;
    c->batch_cap = batch_cap;
    c->mean = calloc(D, sizeof *c->mean);
    c->scatter = calloc(D * D, sizeof *c->scatter);
    c->work = malloc((D + batch_cap * D) * sizeof *c->work);
    if (!c->mean || !c->scatter || !c->work) {
        ecg_covariance_clear(c);
        return ecg_fail(err, ECG_ERR_NOMEM, "out of memory for a %zu x %zu covariance", D, D);
    }
    return ECG_OK;
}

void ecg_covariance_clear(EcgCovariance *c)
{
    free(c->mean);
    free(c->scatter);
    free(c->work);
    memset(c, 0, sizeof *c);
}

void ecg_covariance_add(EcgCovariance *c, const float *x, size_t B)
{
    size_t D = c->D;
    if (B == 0)
        return;
    float *delta = c->work, *xc = c->work + D; // (D), (B, D)
    for (size_t j = 0; j < D; j++) {
        double sum = 0;
        for (size_t i = 0; i < B; i++)
            sum += x[i * D + j];
        double batch_mean = sum / (double)B;
        for (size_t i = 0; i < B; i++)
            xc[i * D + j] = (float)(x[i * D + j] - batch_mean);
        delta[j] = (float)(batch_mean - c->mean[j]);
        c->mean[j] += (batch_mean - c->mean[j]) * (double)B / (double)(c->n + B);
    }
    /* scatter += xc^T xc + n B / (n + B) delta delta^T */
    ecg_gemm(true, false, D, D, B, 1, xc, D, xc, D, 1, c->scatter, D);
    if (c->n > 0)
        ecg_gemm(false, false, D, D, 1, (float)((double)c->n * (double)B / (double)(c->n + B)), delta, 1, delta, D,
                 1, c->scatter, D);
    c->n += B;
}

// ----------------------------------------------------------------------------
// top eigenpairs of a symmetric matrix

/* Rows orthonormalised per panel of this many. */
enum { PANEL = 16 };

static double dot(const float *a, const float *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (double)a[i] * b[i];
    return s;
}

static void fill_normal(float *x, size_t n, EcgRng *rng)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)ecg_rng_normal(rng);
}

/* Orthonormalise the rows of A (m, D) in place by block modified Gram-Schmidt:
 * each panel of rows is projected off the finished rows with two products, then
 * orthonormalised row by row; every panel goes through this twice ("twice is
 * enough"), and once more while a row vanished (A rank deficient) and was
 * replaced by a random one. work (PANEL * m). */
static void orthonormalise(float *A, size_t m, size_t D, float *work, EcgRng *rng)
{
    for (size_t j0 = 0; j0 < m; j0 += PANEL) {
        size_t pb = m - j0 < PANEL ? m - j0 : PANEL;
        float *P = A + j0 * D; // (pb, D)
        for (int pass = 0, replaced = 0; pass < 2 || replaced; pass++) {
            replaced = 0;
            if (j0 > 0) {
                ecg_gemm(false, true, pb, j0, D, 1, P, D, A, D, 0, work, j0);  // (pb, j0) = P A[:j0]^T
                ecg_gemm(false, false, pb, D, j0, -1, work, j0, A, D, 1, P, D); // P -= work A[:j0]
            }
            for (size_t i = 0; i < pb; i++) {
                float *r = P + i * D; // (D)
                for (size_t j = 0; j < i; j++) {
                    const float *q = P + j * D;
                    float d = (float)dot(r, q, D);
                    for (size_t t = 0; t < D; t++)
                        r[t] -= d * q[t];
                }
                double norm = sqrt(dot(r, r, D));
                if (!(norm > 1e-30)) {
                    fill_normal(r, D, rng);
                    norm = sqrt(dot(r, r, D));
                    replaced = 1;
                }
                for (size_t t = 0; t < D; t++)
                    r[t] = (float)(r[t] / norm);
            }
        }
    }
}

/* Cyclic Jacobi on the symmetric A (n, n): A becomes diagonal (its
 * eigenvalues) and Vt (n, n) holds the eigenvectors in its rows. Sweeps end
 * when the off-diagonal part is below 1e-12 of the diagonal (A is known to
 * float precision only); smaller elements are dropped rather than rotated. */
static void jacobi_eigen(double *A, double *Vt, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            Vt[i * n + j] = i == j;
    for (int sweep = 0; sweep < 100; sweep++) {
        double off = 0, diag = 0;
        for (size_t p = 0; p < n; p++) {
            diag += A[p * n + p] * A[p * n + p];
            for (size_t q = p + 1; q < n; q++)
                off += A[p * n + q] * A[p * n + q];
        }
        if (off <= 1e-24 * diag)
            break;
        for (size_t p = 0; p + 1 < n; p++)
            for (size_t q = p + 1; q < n; q++) {
                double apq = A[p * n + q], app = A[p * n + p], aqq = A[q * n + q];
                if (fabs(apq) <= 1e-14 * sqrt(fabs(app * aqq))) {
                    A[p * n + q] = A[q * n + p] = 0;
                    continue;
                }
                /* the rotation J that zeroes A[p][q]: A = J^T A J, Vt = J^T Vt; rows
                 * p and q are rotated, the columns follow by symmetry */
                double theta = (aqq - app) / (2 * apq);
                double t = (theta >= 0 ? 1 : -1) / (fabs(theta) + sqrt(1 + theta * theta));
                double c = 1 / sqrt(1 + t * t), s = t * c;
                double *restrict ap = A + p * n, *restrict aq = A + q * n;
                double *restrict vp = Vt + p * n, *restrict vq = Vt + q * n;
                for (size_t k = 0; k < n; k++) {
                    double x = ap[k], y = aq[k];
                    ap[k] = c * x - s * y;
                    aq[k] = s * x + c * y;
                    x = vp[k], y = vq[k];
                    vp[k] = c * x - s * y;
                    vq[k] = s * x + c * y;
                }
                for (size_t k = 0; k < n; k++) {
                    A[k * n + p] = ap[k];
                    A[k * n + q] = aq[k];
                }
                ap[p] = app - t * apq;
                aq[q] = aqq + t * apq;
                ap[q] = aq[p] = 0;
            }
    }
}

/* Subspace iteration: a Rayleigh-Ritz step (which orders the basis and measures
 * convergence) every this many products; in between the basis is only
 * orthonormalised, which spans the same subspace. */
enum { RR_EVERY = 4 };

/* Extra subspace vectors beyond the K wanted: convergence goes with
 * (lambda_{K+p+1} / lambda_K)^iterations. */
static size_t oversampling(size_t K)
{
    return K / 2 > 8 ? K / 2 : 8;
}

int ecg_symmetric_top_eigen(const float *S, size_t D, size_t K, double tol, size_t max_iter, double *values,
                            float *vectors, size_t *iterations, double *residual, EcgError *err)
{
    if (K == 0 || K > D)
        return ecg_fail(err, ECG_ERR_ARG, "no %zu eigenpairs in a %zu x %zu matrix", K, D, D);
    size_t b = K + oversampling(K) < D ? K + oversampling(K) : D;
    float *buf = malloc((4 * b * D + b * b + PANEL * b) * sizeof *buf);
    double *dbuf = malloc((2 * b * b + b) * sizeof *dbuf);
    size_t *order = malloc(b * sizeof *order);
    if (!buf || !dbuf || !order) {
        free(buf);
        free(dbuf);
        free(order);
        return ecg_fail(err, ECG_ERR_NOMEM, "out of memory for %zu eigenvectors of size %zu", b, D);
    }
    float *Q = buf, *Y = Q + b * D, *V = Y + b * D, *SV = V + b * D; // (b, D) each, one vector a row
    float *Ut = SV + b * D, *work = Ut + b * b;                        // (b, b), (PANEL, b)
    double *H = dbuf, *E = H + b * b, *theta = E + b * b;              // (b, b), (b, b), (b)
    EcgRng rng;
    ecg_rng_init(&rng, 0x5ca1ab1e);
    fill_normal(Q, b * D, &rng);
    orthonormalise(Q, b, D, work, &rng);

    int status = ECG_ERR_DATA;
    double worst = INFINITY;
    size_t it;
    for (it = 1; it <= max_iter; it++) {
        ecg_gemm(false, false, b, D, D, 1, Q, D, S, D, 0, Y, D); // Y = Q S    (b, D)
        float *next = Y;
        if (it % RR_EVERY == 0 || it == max_iter) {
            /* Rayleigh-Ritz on span(Q): H = Q S Q^T = U diag(theta) U^T; E holds U^T */
            ecg_gemm(false, true, b, b, D, 1, Q, D, Y, D, 0, Ut, b); // Q Y^T, for H   (b, b)
            for (size_t i = 0; i < b; i++)
                for (size_t j = 0; j < b; j++)
                    H[i * b + j] = 0.5 * ((double)Ut[i * b + j] + Ut[j * b + i]);
            jacobi_eigen(H, E, b);
            for (size_t i = 0; i < b; i++) { /* by decreasing Ritz value */
                size_t j = i;
                for (; j > 0 && H[order[j - 1] * (b + 1)] < H[i * (b + 1)]; j--)
                    order[j] = order[j - 1];
                order[j] = i;
            }
            for (size_t i = 0; i < b; i++) {
                theta[i] = H[order[i] * (b + 1)];
                for (size_t j = 0; j < b; j++)
                    Ut[i * b + j] = (float)E[order[i] * b + j];
            }
            ecg_gemm(false, false, b, D, b, 1, Ut, b, Q, D, 0, V, D);  // Ritz vectors V = U^T Q
            ecg_gemm(false, false, b, D, b, 1, Ut, b, Y, D, 0, SV, D); // S V = U^T Y
            /* the largest residual ||S v_i - theta_i v_i|| of the wanted K */
            double r_max = 0;
            for (size_t i = 0; i < K; i++) {
                double r2 = 0;
                for (size_t t = 0; t < D; t++) {
                    double r = (double)SV[i * D + t] - theta[i] * V[i * D + t];
                    r2 += r * r;
                }
                r_max = fmax(r_max, sqrt(r2));
            }
            worst = theta[0] > 0 ? r_max / theta[0] : 0;
            if (r_max <= tol * theta[0]) {
                memcpy(values, theta, K * sizeof *values);
                memcpy(vectors, V, K * D * sizeof *vectors);
                status = ECG_OK;
                break;
            }
            next = SV; /* the same subspace as Y, in Ritz order */
        }
        /* the next basis: S Q orthonormalised */
        float *swap = Q;
        Q = next;
        if (next == Y)
            Y = swap;
        else
            SV = swap;
        orthonormalise(Q, b, D, work, &rng);
    }
    if (iterations)
        *iterations = it <= max_iter ? it : max_iter;
    if (residual)
        *residual = worst;
    if (status != ECG_OK)
        ecg_fail(err, status, "the top %zu eigenvectors did not converge in %zu iterations (residual %.2g)", K,
                 max_iter, worst);
    free(buf);
    free(dbuf);
    free(order);
    return status;
}

// ----------------------------------------------------------------------------
// PCA

/* Subspace iteration until every wanted Ritz residual is below this fraction of
 * the top eigenvalue (S in float is exact to about 1e-7 of it). On the PTB-XL
 * windows (D = 3072, K = 128) that takes 16 products and leaves every top-k
 * subspace within 0.05 degrees of LAPACK's on the same matrix. */
#define PCA_TOL 1e-5
#define PCA_MAX_ITER 2000

void ecg_pca_clear(EcgPca *p)
{
    free(p->mean);
    free(p->components);
    free(p->variance);
    memset(p, 0, sizeof *p);
}

int ecg_pca_from_covariance(const EcgCovariance *c, size_t K, EcgPca *out, EcgError *err)
{
    memset(out, 0, sizeof *out);
    size_t D = c->D;
    if (K == 0 || K > D || c->n < 2 || K > c->n - 1)
        return ecg_fail(err, ECG_ERR_ARG, "%zu principal components of %zu vectors of %zu values", K, c->n, D);
    out->D = D;
    out->K = K;
    out->n_windows = c->n;
    out->mean = malloc(D * sizeof *out->mean);
    out->components = malloc(K * D * sizeof *out->components);
    out->variance = malloc(K * sizeof *out->variance);
    if (!out->mean || !out->components || !out->variance) {
        ecg_pca_clear(out);
        return ecg_fail(err, ECG_ERR_NOMEM, "out of memory for %zu principal components of size %zu", K, D);
    }
    int status = ecg_symmetric_top_eigen(c->scatter, D, K, PCA_TOL, PCA_MAX_ITER, out->variance, out->components,
                                         &out->iterations, &out->residual, err);
    if (status != ECG_OK) {
        ecg_pca_clear(out);
        return status;
    }
    double dof = (double)(c->n - 1), trace = 0;
    for (size_t k = 0; k < K; k++)
        out->variance[k] /= dof;
    for (size_t j = 0; j < D; j++) {
        out->mean[j] = (float)c->mean[j];
        trace += c->scatter[j * D + j];
    }
    out->total_variance = trace / dof;
    return ECG_OK;
}

int ecg_pca_fit(const float *x, size_t N, size_t D, size_t K, EcgPca *out, EcgError *err)
{
    EcgCovariance c;
    memset(out, 0, sizeof *out);
    int status = ecg_covariance_init(&c, D, N, err);
    if (status != ECG_OK)
        return status;
    ecg_covariance_add(&c, x, N);
    status = ecg_pca_from_covariance(&c, K, out, err);
    ecg_covariance_clear(&c);
    return status;
}

/* The windows of a record as a model of cfg sees them. */
typedef struct {
    size_t n;           /* samples at the model's fs */
    size_t T, n_all, W; /* window length; windows; those without a missing sample */
    size_t *starts;     /* (n_all) */
    size_t *valid;      /* (W) starts of the windows in x */
    float *x;           /* (n_all, T, 12): the first W are the windows without a missing sample */
} Windows;

static void windows_clear(Windows *w)
{
    free(w->starts);
    free(w->valid);
    free(w->x);
    memset(w, 0, sizeof *w);
}

static int record_windows(const EcgModelConfig *cfg, const EcgNormStats *norm, const EcgRecord *rec, Windows *w,
                          EcgError *err)
{
    memset(w, 0, sizeof *w);
    EcgRecord pre;
    unsigned char *missing;
    int status = ecg_preprocess(cfg, norm, rec, &pre, &missing, NULL, err);
    if (status != ECG_OK)
        return status;
    w->n = pre.n_samples;
    w->T = cfg->window < w->n ? cfg->window : w->n;
    w->n_all = ecg_window_starts(w->n, cfg->window, cfg->stride, NULL);
    w->starts = malloc(w->n_all * sizeof *w->starts);
    w->valid = malloc(w->n_all * sizeof *w->valid);
    w->x = malloc(w->n_all * w->T * N_LEADS * sizeof *w->x);
    if (!w->starts || !w->valid || !w->x) {
        status = ecg_fail(err, ECG_ERR_NOMEM, "%s: out of memory", rec->id);
    } else {
        ecg_window_starts(w->n, cfg->window, cfg->stride, w->starts);
        w->W = ecg_windows_gather(&pre, missing, w->starts, w->n_all, w->T, w->x, w->valid);
        if (w->W == 0)
            status = ecg_fail(err, ECG_ERR_DATA, "%s: every window holds missing or non-finite samples", rec->id);
    }
    free(missing);
    ecg_record_clear(&pre);
    if (status != ECG_OK)
        windows_clear(w);
    return status;
}

int ecg_pca_score_record(const EcgPca *pca, const EcgModelConfig *cfg, const EcgNormStats *norm,
                         const EcgRecord *rec, const size_t *ks, size_t n_k, double *scores, EcgError *err)
{
    for (size_t i = 0; i < n_k; i++)
        if (ks[i] > pca->K || (i > 0 && ks[i] < ks[i - 1]))
            return ecg_fail(err, ECG_ERR_ARG, "k = %zu: the candidates must increase up to the %zu components",
                            ks[i], pca->K);
    if (n_k == 0)
        return ECG_OK;
    Windows w;
    int status = record_windows(cfg, norm, rec, &w, err);
    if (status != ECG_OK)
        return status;
    size_t D = pca->D, W = w.W, n = w.n, k_max = ks[n_k - 1];
    float *coef = NULL, *sq = NULL, *count = NULL, *point = NULL;
    if (w.T * N_LEADS != D) {
        status = ecg_fail(err, ECG_ERR_ARG, "%s: windows of %zu values, the PCA has %zu", rec->id,
                          w.T * N_LEADS, D);
        goto done;
    }
    coef = malloc((k_max > 0 ? W * k_max : 1) * sizeof *coef);
    sq = malloc(W * D * sizeof *sq);
    count = malloc(n * sizeof *count);
    point = malloc(N_LEADS * n * sizeof *point);
    if (!coef || !sq || !count || !point) {
        status = ecg_fail(err, ECG_ERR_NOMEM, "%s: out of memory", rec->id);
        goto done;
    }
    float *r = w.x; // (W, D): the centred windows, then what k components leave of them
    for (size_t i = 0; i < W; i++)
        for (size_t j = 0; j < D; j++)
            r[i * D + j] -= pca->mean[j];
    ecg_gemm(false, true, W, k_max, D, 1, r, D, pca->components, D, 0, coef, k_max); // (W, k_max)
    ecg_windows_count(w.valid, W, w.T, n, count);
    float lead_score[N_LEADS];
    for (size_t i = 0, k_done = 0; i < n_k; k_done = ks[i++]) {
        /* r -= coef[:, k_done:k] components[k_done:k] */
        if (ks[i] > k_done)
            ecg_gemm(false, false, W, D, ks[i] - k_done, -1, coef + k_done, k_max, pca->components + k_done * D, D,
                     1, r, D);
        for (size_t j = 0; j < W * D; j++)
            sq[j] = r[j] * r[j];
        ecg_windows_average(sq, w.valid, W, w.T, n, count, point);
        scores[i] = ecg_record_score_of(point, n, count, lead_score);
    }
done:
    free(coef);
    free(sq);
    free(count);
    free(point);
    windows_clear(&w);
    return status;
}

// ----------------------------------------------------------------------------
// the linear reference

/* Training windows staged for the covariance in batches of at least this many. */
enum { FIT_BATCH = 256 };

typedef struct {
    const EcgModelConfig *cfg;
    const EcgNormStats *norm;
    EcgCovariance cov;    /* allocated with the first record, when D is known */
    float *staged;        /* (cov.batch_cap, D) */
    size_t n_staged;
} Fit;

static int fit_add_record(void *ctx, size_t i, const EcgRecord *rec, EcgError *err)
{
    (void)i;
    Fit *f = ctx;
    Windows w;
    int status = record_windows(f->cfg, f->norm, rec, &w, err);
    if (status != ECG_OK)
        return status;
    size_t D = w.T * N_LEADS;
    /* every record of a dataset has the same length, hence the same windows */
    if (!f->staged) {
        size_t cap = w.n_all > FIT_BATCH ? w.n_all : FIT_BATCH;
        if ((status = ecg_covariance_init(&f->cov, D, cap, err)) == ECG_OK &&
            !(f->staged = malloc(cap * D * sizeof *f->staged)))
            status = ecg_fail(err, ECG_ERR_NOMEM, "out of memory for %zu windows", cap);
    }
    if (status == ECG_OK) {
        if (f->n_staged + w.W > f->cov.batch_cap) {
            ecg_covariance_add(&f->cov, f->staged, f->n_staged);
            f->n_staged = 0;
        }
        memcpy(f->staged + f->n_staged * D, w.x, w.W * D * sizeof *w.x);
        f->n_staged += w.W;
    }
    windows_clear(&w);
    return status;
}

typedef struct {
    const EcgPca *pca;
    const EcgModelConfig *cfg;
    const EcgNormStats *norm;
    const size_t *ks;
    size_t n_k, n;        /* candidates, records */
    double *scores;       /* (n_k, n) */
} PcaScoring;

static int score_with_pca(void *ctx, size_t i, const EcgRecord *rec, EcgError *err)
{
    PcaScoring *ps = ctx;
    double s[ECG_LINEAR_N_CANDIDATES];
    int status = ecg_pca_score_record(ps->pca, ps->cfg, ps->norm, rec, ps->ks, ps->n_k, s, err);
    for (size_t c = 0; c < ps->n_k && status == ECG_OK; c++)
        ps->scores[c * ps->n + i] = s[c];
    return status;
}

int ecg_linear_baseline(EcgDataset *ds, const EcgModelConfig *cfg, const EcgNormStats *norm, double percentile,
                        EcgEvalSummary *summary, EcgProgressFn progress, void *user, EcgError *err)
{
    const char *path = ecg_dataset_path(ds);
    Selection train = {0}, val = {0}, test = {0};
    Fit fit = {cfg, norm, {0}, NULL, 0};
    EcgPca pca = {0};
    double *val_scores = NULL, *test_scores = NULL, *normal = NULL;
    int status = check_config(cfg, norm, err);
    if (status == ECG_OK && !(percentile >= 0 && percentile <= 100))
        status = ecg_fail(err, ECG_ERR_ARG, "percentile %g outside 0..100", percentile);
    if (status != ECG_OK || (status = select_records(ds, 1, 8, 1, &train, err)) != ECG_OK ||
        (status = select_records(ds, 9, 9, 0, &val, err)) != ECG_OK || (status = select_test(ds, &test, err)) != ECG_OK)
        goto done;
    size_t n_val_normal = 0;
    for (size_t i = 0; i < val.n; i++)
        n_val_normal += !val.label[i];
    if (train.n == 0 || n_val_normal == 0 || n_val_normal == val.n) {
        status = ecg_fail(err, ECG_ERR_DATA,
                          "%s: the linear reference needs normal training records (folds 1-8) and normal and "
                          "abnormal records in fold 9 (%zu, %zu and %zu here)",
                          path, train.n, n_val_normal, val.n - n_val_normal);
        goto done;
    }
    Progress p = {progress, user, 0, train.n + val.n + test.n};

    /* the fit on the training windows */
    if ((status = for_each_record(ds, &train, fit_add_record, &fit, &p, err)) != ECG_OK)
        goto done;
    ecg_covariance_add(&fit.cov, fit.staged, fit.n_staged);
    size_t n_cand = 0;
    while (n_cand < ECG_LINEAR_N_CANDIDATES && ecg_linear_candidates[n_cand] < fit.cov.n &&
           ecg_linear_candidates[n_cand] <= fit.cov.D)
        n_cand++;
    if (n_cand == 0) {
        status = ecg_fail(err, ECG_ERR_DATA, "%s: %zu training windows are too few for the linear reference", path,
                          fit.cov.n);
        goto done;
    }
    if ((status = ecg_pca_from_covariance(&fit.cov, ecg_linear_candidates[n_cand - 1], &pca, err)) != ECG_OK)
        goto done;
    ecg_covariance_clear(&fit.cov);

    /* k: the best AUROC on fold 9; the threshold: the percentile of its normal scores */
    val_scores = malloc(n_cand * val.n * sizeof *val_scores);
    normal = malloc(n_val_normal * sizeof *normal);
    test_scores = malloc(test.n * sizeof *test_scores);
    if (!val_scores || !normal || !test_scores) {
        status = ecg_fail(err, ECG_ERR_NOMEM, "out of memory for %zu records", val.n + test.n);
        goto done;
    }
    PcaScoring ps = {&pca, cfg, norm, ecg_linear_candidates, n_cand, val.n, val_scores};
    if ((status = for_each_record(ds, &val, score_with_pca, &ps, &p, err)) != ECG_OK)
        goto done;
    size_t best = 0;
    double best_auroc = -INFINITY;
    for (size_t c = 0; c < n_cand; c++) {
        double a = ecg_auroc(val_scores + c * val.n, val.label, val.n);
        if (a > best_auroc) {
            best_auroc = a;
            best = c;
        }
    }
    for (size_t i = 0, j = 0; i < val.n; i++)
        if (!val.label[i])
            normal[j++] = val_scores[best * val.n + i];
    double threshold;
    if ((status = ecg_percentile(normal, n_val_normal, percentile, &threshold, err)) != ECG_OK)
        goto done;

    /* fold 10, once */
    ps = (PcaScoring){&pca, cfg, norm, ecg_linear_candidates + best, 1, test.n, test_scores};
    EcgEvalMetrics mt;
    if ((status = for_each_record(ds, &test, score_with_pca, &ps, &p, err)) != ECG_OK ||
        (status = ecg_eval_metrics(test_scores, test.label, test.superclass, test.n, threshold, &mt, err)) != ECG_OK)
        goto done;
    summary->n = test.n;
    summary->has_linear_baseline = true;
    summary->linear_k = ecg_linear_candidates[best];
    summary->linear = mt;
done:
    selection_clear(&train);
    selection_clear(&val);
    selection_clear(&test);
    ecg_covariance_clear(&fit.cov);
    free(fit.staged);
    ecg_pca_clear(&pca);
    free(val_scores);
    free(normal);
    free(test_scores);
    return status;
}
