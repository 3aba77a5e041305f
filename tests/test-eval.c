/* Evaluation (core/eval.h): the eigensolver on matrices of known spectrum, PCA
 * on data of known structure, PCA scoring against a direct computation, the
 * linear reference on a synthetic dataset, and the PTB-XL protocol's
 * bookkeeping on a tiny hand-made dataset. */
#include "eval.h"
#include "nn/gemm.h"
#include "rng.h"
#include "synth.h"
#include "test.h"

enum { N_LEADS = ECG_N_STANDARD_LEADS };

/* test_tmpdir()/name */
static const char *tmp_path(const char *name)
{
    static char buf[4][512];
    static int slot;
    char *out = buf[slot++ % 4];
    snprintf(out, sizeof buf[0], "%s/%s", test_tmpdir(), name);
    return out;
}

/* A random orthogonal Q (D, D): the product of a few Householder reflections of
 * random vectors, orthogonal by construction. */
static double *random_orthogonal(size_t D, uint64_t seed)
{
    double *Q = calloc(D * D, sizeof *Q), *v = malloc(D * sizeof *v), *qv = malloc(D * sizeof *qv);
    EcgRng rng;
    ecg_rng_init(&rng, seed);
    for (size_t i = 0; i < D; i++)
        Q[i * D + i] = 1;
    for (int h = 0; h < 4; h++) { /* Q = Q (I - 2 v v^T / v^T v) */
        double vv = 0;
        for (size_t i = 0; i < D; i++) {
            v[i] = ecg_rng_normal(&rng);
            vv += v[i] * v[i];
        }
        for (size_t i = 0; i < D; i++) {
            qv[i] = 0;
            for (size_t j = 0; j < D; j++)
                qv[i] += Q[i * D + j] * v[j];
        }
        for (size_t i = 0; i < D; i++)
            for (size_t j = 0; j < D; j++)
                Q[i * D + j] -= 2 * qv[i] * v[j] / vv;
    }
    free(v);
    free(qv);
    return Q;
}

/* S (D, D) = Q diag(lambda) Q^T in float: eigenvector i is column i of Q. */
static float *matrix_with_spectrum(const double *Q, const double *lambda, size_t D)
{
    float *S = malloc(D * D * sizeof *S);
    for (size_t i = 0; i < D; i++)
        for (size_t j = 0; j < D; j++) {
            double s = 0;
            for (size_t k = 0; k < D; k++)
                s += Q[i * D + k] * lambda[k] * Q[j * D + k];
            S[i * D + j] = (float)s;
        }
    return S;
}

/* max |V V^T - I| of K rows of length D */
static double orthonormality_error(const float *V, size_t K, size_t D)
{
    double worst = 0;
    for (size_t i = 0; i < K; i++)
        for (size_t j = 0; j < K; j++) {
            double d = 0;
            for (size_t t = 0; t < D; t++)
                d += (double)V[i * D + t] * V[j * D + t];
            worst = fmax(worst, fabs(d - (i == j)));
        }
    return worst;
}

static void test_top_eigen_known_spectrum(void)
{
    enum { D = 200, K = 20 };
    double lambda[D];
    for (size_t i = 0; i < D; i++)
        lambda[i] = 100 * pow(0.85, (double)i);
    double *Q = random_orthogonal(D, 7);
    float *S = matrix_with_spectrum(Q, lambda, D);
    double values[K];
    float *V = malloc(K * D * sizeof *V);
    size_t iterations;
    double residual;
    EcgError err = {0};
    CHECK_OK(ecg_symmetric_top_eigen(S, D, K, 1e-6, 500, values, V, &iterations, &residual, &err), &err);
    CHECK(iterations > 0 && residual <= 1e-6);
    double worst_value = 0, worst_vector = 0;
    for (size_t i = 0; i < K; i++) {
        worst_value = fmax(worst_value, fabs(values[i] - lambda[i]) / lambda[i]);
        double c = 0; /* |cos| of the angle to the true eigenvector */
        for (size_t t = 0; t < D; t++)
            c += V[i * D + t] * Q[t * D + i];
        worst_vector = fmax(worst_vector, 1 - fabs(c));
    }
    CHECK_MSG(worst_value < 1e-5, "eigenvalue relative error %g", worst_value);
    CHECK_MSG(worst_vector < 1e-6, "eigenvector 1 - |cos| %g", worst_vector);
    CHECK(orthonormality_error(V, K, D) < 1e-5);

    /* a double eigenvalue inside the wanted ones and a gap of 1.02 at their edge */
    lambda[4] = lambda[5];
    for (size_t i = K; i < D; i++)
        lambda[i] = lambda[K - 1] / 1.02 * pow(0.99, (double)(i - K));
    free(S);
    S = matrix_with_spectrum(Q, lambda, D);
    CHECK_OK(ecg_symmetric_top_eigen(S, D, K, 1e-6, 2000, values, V, &iterations, NULL, &err), &err);
    worst_value = 0;
    for (size_t i = 0; i < K; i++)
        worst_value = fmax(worst_value, fabs(values[i] - lambda[i]) / lambda[i]);
    CHECK_MSG(worst_value < 1e-5, "eigenvalue relative error %g", worst_value);
    /* the top-K subspace: sum of squared cosines of the principal angles = K */
    double cos2 = 0;
    for (size_t i = 0; i < K; i++)
        for (size_t j = 0; j < K; j++) {
            double c = 0;
            for (size_t t = 0; t < D; t++)
                c += V[i * D + t] * Q[t * D + j];
            cos2 += c * c;
        }
    CHECK_MSG(K - cos2 < 1e-5, "subspace: K - sum cos^2 = %g after %zu iterations", K - cos2, iterations);

    /* too few iterations: refused, with the residual reached */
    CHECK(ecg_symmetric_top_eigen(S, D, K, 1e-12, 4, values, V, NULL, NULL, &err) == ECG_ERR_DATA);
    CHECK(strstr(err.message, "did not converge") != NULL);
    CHECK(ecg_symmetric_top_eigen(S, D, D + 1, 1e-6, 10, values, V, NULL, NULL, &err) == ECG_ERR_ARG);
    free(Q);
    free(S);
    free(V);
}

static void test_top_eigen_degenerate(void)
{
    /* all of a zero matrix is null space: any orthonormal vectors, values 0 */
    enum { D = 40, K = 6 };
    float *S = calloc(D * D, sizeof *S);
    double values[D];
    float *V = malloc(D * D * sizeof *V);
    EcgError err = {0};
    CHECK_OK(ecg_symmetric_top_eigen(S, D, K, 1e-6, 50, values, V, NULL, NULL, &err), &err);
    for (size_t i = 0; i < K; i++)
        CHECK(values[i] == 0);
    CHECK(orthonormality_error(V, K, D) < 1e-5);

    /* K = D: the whole spectrum of a diagonal matrix holding 1..D in shuffled order */
    for (size_t i = 0; i < D; i++)
        S[i * D + i] = (float)(1 + i * 17 % D);
    CHECK_OK(ecg_symmetric_top_eigen(S, D, D, 1e-6, 50, values, V, NULL, NULL, &err), &err);
    for (size_t i = 0; i < D; i++)
        CHECK_NEAR(values[i], (double)(D - i), 1e-4);
    CHECK(orthonormality_error(V, D, D) < 1e-5);
    free(S);
    free(V);
}

/* N rows x (N, D) = mu + sum_j sigma_j z_j a_j + noise * e: a rank-R structure in
 * the span of the first R columns of Q. */
static float *low_rank_data(const double *Q, size_t N, size_t D, size_t R, const double *sigma, double noise,
                            const double *mu)
{
    float *x = malloc(N * D * sizeof *x);
    EcgRng rng;
    ecg_rng_init(&rng, 11);
    for (size_t n = 0; n < N; n++) {
        double z[8];
        for (size_t j = 0; j < R; j++)
            z[j] = sigma[j] * ecg_rng_normal(&rng);
        for (size_t t = 0; t < D; t++) {
            double v = mu[t] + noise * ecg_rng_normal(&rng);
            for (size_t j = 0; j < R; j++)
                v += z[j] * Q[t * D + j];
            x[n * D + t] = (float)v;
        }
    }
    return x;
}

static void test_pca_recovers_low_rank_structure(void)
{
    enum { N = 3000, D = 96, R = 4, K = 8 };
    const double sigma[R] = {5, 4, 3, 2}, noise = 0.3;
    double mu[D];
    for (size_t t = 0; t < D; t++)
        mu[t] = 2 + sin(0.3 * (double)t);
    double *Q = random_orthogonal(D, 3);
    float *x = low_rank_data(Q, N, D, R, sigma, noise, mu);
    EcgPca pca;
    EcgError err = {0};
    REQUIRE_OK(ecg_pca_fit(x, N, D, K, &pca, &err), &err);
    CHECK(pca.D == D && pca.K == K && pca.n_windows == N);
    double mean_err = 0;
    for (size_t t = 0; t < D; t++)
        mean_err = fmax(mean_err, fabs(pca.mean[t] - mu[t]));
    CHECK_MSG(mean_err < 0.4, "mean off by %g", mean_err); /* ~ 7 / sqrt(N) per value at most */

    /* principal angles between the top R components and the true span: the
     * squared cosines sum to R when the subspaces agree */
    double cos2 = 0;
    for (size_t i = 0; i < R; i++)
        for (size_t j = 0; j < R; j++) {
            double c = 0;
            for (size_t t = 0; t < D; t++)
                c += pca.components[i * D + t] * Q[t * D + j];
            cos2 += c * c;
        }
    /* sampling alone leaves sum sin^2 ~ (D - R) noise^2 / N sum (sigma^2 + noise^2) / sigma^4
     * = 1.3e-3 (the weakest direction about 1.5 degrees off) */
    CHECK_MSG(R - cos2 < 4e-3, "largest principal angle up to %.2f degrees",
              asin(sqrt(fmax(0, R - cos2))) * 180 / M_PI);
    /* explained variances: sigma^2 + noise^2 along the structure (sampling error
     * about 3%), noise^2 beyond it (stretched by up to (1 + sqrt(D/N))^2) */
    for (size_t j = 0; j < R; j++)
        CHECK_NEAR(pca.variance[j] / (sigma[j] * sigma[j] + noise * noise), 1, 0.12);
    for (size_t j = R; j < K; j++)
        CHECK(pca.variance[j] > 0.8 * noise * noise && pca.variance[j] < 1.6 * noise * noise);
    CHECK_NEAR(pca.total_variance / (25 + 16 + 9 + 4 + D * noise * noise), 1, 0.06);
    CHECK(orthonormality_error(pca.components, K, D) < 1e-5);
    ecg_pca_clear(&pca);
    CHECK(ecg_pca_fit(x, 5, D, 5, &pca, &err) == ECG_ERR_ARG); /* K > N - 1 */
    free(Q);
    free(x);
}

static void test_covariance_in_batches(void)
{
    /* Chan's merge: uneven batches give the scatter of all rows at once */
    enum { N = 500, D = 24 };
    double mu[D];
    for (size_t t = 0; t < D; t++)
        mu[t] = 10 + (double)t; /* far from 0: the merge, not the data, must centre */
    double *Q = random_orthogonal(D, 5);
    const double sigma[2] = {3, 1};
    float *x = low_rank_data(Q, N, D, 2, sigma, 0.5, mu);
    EcgCovariance all, parts;
    EcgError err = {0};
    REQUIRE_OK(ecg_covariance_init(&all, D, N, &err), &err);
    REQUIRE_OK(ecg_covariance_init(&parts, D, 300, &err), &err);
    ecg_covariance_add(&all, x, N);
    const size_t cuts[] = {0, 1, 8, 8, 200, 500}; /* batches of 1, 7, 0, 192, 300 */
    for (size_t b = 0; b + 1 < sizeof cuts / sizeof *cuts; b++)
        ecg_covariance_add(&parts, x + cuts[b] * D, cuts[b + 1] - cuts[b]);
    CHECK(parts.n == N && all.n == N);
    double worst_mean = 0, worst_scatter = 0, scale = 0;
    for (size_t i = 0; i < D; i++) {
        worst_mean = fmax(worst_mean, fabs(parts.mean[i] - all.mean[i]));
        scale = fmax(scale, all.scatter[i * D + i]);
        for (size_t j = 0; j < D; j++)
            worst_scatter = fmax(worst_scatter, fabs(parts.scatter[i * D + j] - all.scatter[i * D + j]));
    }
    CHECK(worst_mean < 1e-9);
    CHECK_MSG(worst_scatter < 1e-5 * scale, "scatter differs by %g of %g", worst_scatter, scale);
    ecg_covariance_clear(&all);
    ecg_covariance_clear(&parts);
    free(Q);
    free(x);
}

/* A model config of windows of 4 samples, back to back, without filtering. */
static EcgModelConfig small_windows(size_t window, size_t stride)
{
    EcgModelConfig cfg;
    ecg_model_config_default(&cfg, ECG_MODEL_CAE);
    cfg.window = window;
    cfg.stride = stride;
    cfg.band_low = 0;
    cfg.band_high = cfg.fs / 2;
    return cfg;
}

static void test_pca_scores_like_a_model(void)
{
    /* windows of 4 samples every 4: each sample in one window, so a record's
     * score is the mean squared residual of its windows, computed here directly */
    EcgModelConfig cfg = small_windows(4, 4);
    EcgRecord rec, pre;
    EcgError err = {0};
    REQUIRE_OK(ecg_synth_record(ECG_SYNTH_NORMAL, 100, 10, 21, &rec, NULL, NULL, &err), &err);
    REQUIRE_OK(ecg_preprocess(&cfg, NULL, &rec, &pre, NULL, NULL, &err), &err);
    size_t n = pre.n_samples, W = n / 4, D = 4 * N_LEADS;
    float *x = malloc(W * D * sizeof *x); // (W, 4, 12)
    for (size_t w = 0; w < W; w++)
        for (size_t t = 0; t < 4; t++)
            for (size_t l = 0; l < N_LEADS; l++)
                x[(w * 4 + t) * N_LEADS + l] = pre.samples[l * n + w * 4 + t];
    EcgPca pca;
    REQUIRE_OK(ecg_pca_fit(x, W, D, D, &pca, &err), &err);
    const size_t ks[] = {0, 3, 3, D};
    double scores[4];
    CHECK_OK(ecg_pca_score_record(&pca, &cfg, NULL, &rec, ks, 4, scores, &err), &err);
    /* k = 0: the squared deviation from the mean window; k = D: nothing left */
    double want0 = 0;
    for (size_t i = 0; i < W * D; i++)
        want0 += pow(x[i] - pca.mean[i % D], 2);
    want0 /= (double)(W * D);
    CHECK_NEAR(scores[0], want0, 1e-5 * want0);
    /* k = 3: the variance left beyond 3 components, as the fit measured it */
    double beyond = pca.total_variance;
    for (size_t k = 0; k < 3; k++)
        beyond -= pca.variance[k];
    CHECK_NEAR(scores[1], beyond * (double)(W - 1) / (double)(W * D), 1e-4 * want0);
    CHECK(scores[2] == scores[1]);
    CHECK(scores[3] < 1e-8 * want0);
    CHECK(scores[0] > scores[1]);

    const size_t bad[] = {3, 2};
    CHECK(ecg_pca_score_record(&pca, &cfg, NULL, &rec, bad, 2, scores, &err) == ECG_ERR_ARG);
    EcgModelConfig other = small_windows(8, 4);
    CHECK(ecg_pca_score_record(&pca, &other, NULL, &rec, ks, 2, scores, &err) == ECG_ERR_ARG);
    ecg_pca_clear(&pca);
    free(x);
    ecg_record_clear(&pre);
    ecg_record_clear(&rec);
}

static void test_windows_back_onto_the_record(void)
{
    /* score.h's shared helpers: windows of 4 at 0, 2 and 6 over 12 samples; the
     * last two samples are covered by none */
    enum { T = 4, n = 12, W = 3 };
    const size_t starts[W] = {0, 2, 6};
    float values[W * T * N_LEADS], count[n], out[N_LEADS * n], lead_score[N_LEADS];
    for (size_t w = 0; w < W; w++)
        for (size_t t = 0; t < T; t++)
            for (size_t l = 0; l < N_LEADS; l++)
                values[(w * T + t) * N_LEADS + l] = (float)((w + 1) * (l + 1));
    ecg_windows_count(starts, W, T, n, count);
    const float want_count[n] = {1, 1, 2, 2, 1, 1, 1, 1, 1, 1, 0, 0};
    CHECK(memcmp(count, want_count, sizeof count) == 0);
    ecg_windows_average(values, starts, W, T, n, count, out);
    for (size_t l = 0; l < N_LEADS; l++) {
        const float *o = out + l * n, f = (float)(l + 1);
        CHECK(o[0] == f && o[2] == 1.5f * f && o[4] == 2 * f && o[6] == 3 * f && isnan(o[10]) && isnan(o[11]));
    }
    /* lead score: the mean over the 10 covered samples (1, 1, 1.5, 1.5, 2, 2, 3, 3, 3, 3) * (l + 1) */
    double record = ecg_record_score_of(out, n, count, lead_score);
    for (size_t l = 0; l < N_LEADS; l++)
        CHECK_NEAR(lead_score[l], 2.1 * (double)(l + 1), 1e-6);
    CHECK_NEAR(record, 2.1 * 6.5, 1e-6);
}

static const size_t candidates_ok[] = {2, 4, 8, 16, 32, 64, 128};

static void test_linear_baseline_on_synthetic_data(void)
{
    const char *path = tmp_path("synth300.h5");
    EcgError err = {0};
    REQUIRE_OK(ecg_synth_dataset(path, 300, 100, 2024, NULL, NULL, &err), &err);
    EcgDataset *ds;
    REQUIRE_OK(ecg_dataset_open(path, &ds, &err), &err);
    size_t n_test = 0;
    for (size_t i = 0; i < ecg_dataset_count(ds); i++) {
        const EcgRecordMeta *m = ecg_dataset_meta(ds, i);
        n_test += m->strat_fold == 10 && m->superclass != 0;
    }
    /* windows of 64 samples every 32 keep the fit small (D = 768) */
    EcgModelConfig cfg;
    ecg_model_config_default(&cfg, ECG_MODEL_CAE);
    cfg.window = 64;
    cfg.stride = 32;
    EcgEvalSummary s;
    ecg_eval_summary_init(&s);
    CHECK_OK(ecg_linear_baseline(ds, &cfg, NULL, 95, &s, NULL, NULL, &err), &err);
    CHECK(s.has_linear_baseline && s.n == n_test);
    int known_k = 0;
    for (size_t i = 0; i < ECG_LINEAR_N_CANDIDATES; i++)
        known_k |= s.linear_k == candidates_ok[i] && s.linear_k == ecg_linear_candidates[i];
    CHECK_MSG(known_k, "k = %zu", s.linear_k);
    CHECK_MSG(s.linear.auroc > 0.8, "AUROC %.3f", s.linear.auroc);
    CHECK(s.linear.auprc > 0.8);
    const EcgConfusion *c = &s.linear.confusion;
    CHECK(c->tp + c->fp + c->tn + c->fn == n_test);
    CHECK(isfinite(s.linear.threshold) && s.linear.threshold > 0);
    CHECK(c->specificity > 0.75); /* 95th percentile of the normals of fold 9 */
    for (size_t i = 0; i < ECG_EVAL_N_SUPERCLASSES; i++)
        CHECK(s.linear.auroc_superclass[i] > 0.5);
    /* the model's part is left alone */
    CHECK(isnan(s.model.auroc) && s.roc_fpr == NULL);
    printf("# synthetic linear reference: k = %zu, AUROC %.3f, AUPRC %.3f, n = %zu\n", s.linear_k, s.linear.auroc,
           s.linear.auprc, s.n);

    /* dataset statistics asked for and not given */
    cfg.normalization = ECG_NORM_DATASET;
    CHECK(ecg_linear_baseline(ds, &cfg, NULL, 95, &s, NULL, NULL, &err) == ECG_ERR_ARG);
    ecg_eval_summary_clear(&s);
    ecg_dataset_close(ds);
    unlink(path);
}

/* ---- the protocol's bookkeeping on a hand-made dataset ---- */

typedef struct {
    int8_t fold;
    uint8_t superclass;
    EcgSynthKind kind;
} Spec;

static const Spec tiny[] = {
    {10, ECG_SC_NORM, ECG_SYNTH_NORMAL},
    {1, ECG_SC_NORM, ECG_SYNTH_NORMAL},
    {10, ECG_SC_MI, ECG_SYNTH_MI_ANTERIOR},
    {10, ECG_SC_NORM, ECG_SYNTH_NORMAL},
    {10, 0, ECG_SYNTH_NORMAL}, /* no diagnostic superclass: not a test record */
    {10, ECG_SC_MI | ECG_SC_STTC, ECG_SYNTH_MI_INFERIOR},
    {9, ECG_SC_NORM, ECG_SYNTH_NORMAL},
    {10, ECG_SC_NORM | ECG_SC_CD, ECG_SYNTH_CD_RBBB}, /* not exactly NORM: anomalous, and a CD */
    {10, ECG_SC_STTC, ECG_SYNTH_STTC_T_INVERSION},
    {9, ECG_SC_NORM, ECG_SYNTH_NORMAL},
    {10, ECG_SC_NORM, ECG_SYNTH_NORMAL},
    {2, ECG_SC_HYP, ECG_SYNTH_HYP_LVH}, /* the only HYP, outside the test fold */
};
enum { N_TINY = sizeof tiny / sizeof *tiny };

static int write_tiny(const char *path, EcgError *err)
{
    EcgDatasetWriter *w;
    int status = ecg_dataset_writer_open(path, 100, 1000, 1000, "test", &w, err);
    for (size_t i = 0; i < N_TINY && status == ECG_OK; i++) {
        EcgRecord rec;
        if ((status = ecg_synth_record(tiny[i].kind, 100, 10, 100 + i, &rec, NULL, NULL, err)) != ECG_OK)
            break;
        EcgRecordMeta meta = {.ecg_id = (int32_t)i + 1, .patient_id = -1, .age = NAN, .sex = -1,
                              .strat_fold = tiny[i].fold, .superclass = tiny[i].superclass};
        status = ecg_dataset_writer_add_record(w, &meta, &rec, "{}", "", "tiny", err);
        ecg_record_clear(&rec);
    }
    if (status != ECG_OK) {
        ecg_dataset_writer_abort(w);
        return status;
    }
    return ecg_dataset_writer_commit(w, err);
}

typedef struct {
    size_t calls, last, total, cancel_at;
} Counter;

static int count_progress(void *user, size_t done, size_t total)
{
    Counter *c = user;
    c->calls++;
    c->last = done;
    c->total = total;
    return c->cancel_at && done >= c->cancel_at;
}

static void test_evaluate_bookkeeping(void)
{
    const char *path = tmp_path("tiny.h5");
    EcgError err = {0};
    REQUIRE_OK(write_tiny(path, &err), &err);
    EcgDataset *ds;
    REQUIRE_OK(ecg_dataset_open(path, &ds, &err), &err);
    EcgModelConfig cfg;
    ecg_model_config_default(&cfg, ECG_MODEL_CAE);
    EcgModel *m;
    REQUIRE_OK(ecg_model_new(&cfg, &m, &err), &err);
    ecg_model_init_weights(m, 5);

    /* the test records in dataset order, their labels and scores as scored one by one */
    size_t idx[N_TINY], n = 0;
    uint8_t labels[N_TINY];
    double want[N_TINY];
    for (size_t i = 0; i < N_TINY; i++)
        if (tiny[i].fold == 10 && tiny[i].superclass) {
            EcgRecord rec;
            EcgRecordScore rs;
            REQUIRE_OK(ecg_dataset_read_record(ds, i, &rec, &err), &err);
            REQUIRE_OK(ecg_score_record(m, NULL, &rec, false, &rs, &err), &err);
            want[n] = rs.record_score;
            labels[n] = tiny[i].superclass != ECG_SC_NORM;
            idx[n++] = i;
            ecg_record_score_clear(&rs);
            ecg_record_clear(&rec);
        }
    CHECK(n == 7);

    EcgEvalSummary s;
    ecg_eval_summary_init(&s);
    s.has_linear_baseline = true; /* the linear part is not ecg_evaluate's */
    s.linear_k = 16;
    s.linear.auroc = 0.5;
    double *scores = NULL, tau = want[0];
    Counter progress = {0};
    for (int round = 0; round < 2; round++) /* a second run replaces the ROC curve */
        CHECK_OK(ecg_evaluate(ds, m, NULL, tau, &s, round ? &scores : NULL, count_progress, &progress, &err), &err);
    CHECK(s.n == n && scores != NULL);
    CHECK(progress.calls == 2 * n && progress.last == n && progress.total == n);
    for (size_t i = 0; i < n && scores; i++)
        CHECK(scores[i] == want[i]);
    CHECK(s.has_linear_baseline && s.linear_k == 16 && s.linear.auroc == 0.5);

    CHECK_NEAR(s.model.auroc, ecg_auroc(want, labels, n), 1e-12);
    CHECK_NEAR(s.model.auprc, ecg_auprc(want, labels, n), 1e-12);
    CHECK(s.model.threshold == tau);
    EcgConfusion c = ecg_confusion(want, labels, n, tau);
    CHECK(s.model.confusion.tp == c.tp && s.model.confusion.fp == c.fp && s.model.confusion.tn == c.tn &&
          s.model.confusion.fn == c.fn);
    CHECK(c.tp + c.fn == 4 && c.fp + c.tn == 3);
    /* per superclass: its records against the three NORM-only ones */
    const uint8_t bits[ECG_EVAL_N_SUPERCLASSES] = {ECG_SC_MI, ECG_SC_STTC, ECG_SC_CD, ECG_SC_HYP};
    const size_t n_members[ECG_EVAL_N_SUPERCLASSES] = {2, 2, 1, 0};
    for (size_t k = 0; k < ECG_EVAL_N_SUPERCLASSES; k++) {
        double sub[N_TINY];
        uint8_t sub_labels[N_TINY];
        size_t m_sub = 0, members = 0;
        for (size_t i = 0; i < n; i++) {
            uint8_t sc = tiny[idx[i]].superclass;
            if ((sc & bits[k]) || sc == ECG_SC_NORM) {
                sub[m_sub] = want[i];
                members += (sub_labels[m_sub++] = (sc & bits[k]) != 0);
            }
        }
        CHECK(members == n_members[k] && m_sub == 3 + members);
        if (members)
            CHECK_NEAR(s.model.auroc_superclass[k], ecg_auroc(sub, sub_labels, m_sub), 1e-12);
        else
            CHECK(isnan(s.model.auroc_superclass[k])); /* no HYP in the test fold */
    }
    /* the ROC curve from (0,0) to (1,1) */
    CHECK(s.n_roc >= 2 && s.n_roc <= n + 1);
    if (s.n_roc >= 2)
        CHECK(s.roc_fpr[0] == 0 && s.roc_tpr[0] == 0 && s.roc_fpr[s.n_roc - 1] == 1 && s.roc_tpr[s.n_roc - 1] == 1);

    /* cancelled: ECG_ERR_CANCELLED and the summary as it was */
    double auroc = s.model.auroc;
    float *roc = s.roc_fpr;
    progress = (Counter){.cancel_at = 3};
    CHECK(ecg_evaluate(ds, m, NULL, tau, &s, NULL, count_progress, &progress, &err) == ECG_ERR_CANCELLED);
    CHECK(progress.calls == 3 && s.model.auroc == auroc && s.roc_fpr == roc && s.n == n);

    /* dataset statistics asked for and not given; no abnormal records in fold 9 for k */
    EcgModelConfig ds_cfg = cfg;
    ds_cfg.normalization = ECG_NORM_DATASET;
    EcgModel *m2;
    REQUIRE_OK(ecg_model_new(&ds_cfg, &m2, &err), &err);
    CHECK(ecg_evaluate(ds, m2, NULL, tau, &s, NULL, NULL, NULL, &err) == ECG_ERR_ARG);
    CHECK(ecg_linear_baseline(ds, &cfg, NULL, 95, &s, NULL, NULL, &err) == ECG_ERR_DATA);
    CHECK(strstr(err.message, "fold 9") != NULL);
    ecg_model_free(m2);

    free(scores);
    ecg_eval_summary_clear(&s);
    CHECK(s.roc_fpr == NULL && s.n_roc == 0 && isnan(s.model.auroc) && !s.has_linear_baseline);
    ecg_model_free(m);
    ecg_dataset_close(ds);
    unlink(path);
}

static void test_evaluate_needs_test_records(void)
{
    /* a dataset whose fold 10 holds no record with a diagnostic superclass */
    const char *path = tmp_path("no-test.h5");
    EcgError err = {0};
    EcgDatasetWriter *w;
    REQUIRE_OK(ecg_dataset_writer_open(path, 100, 1000, 1000, "test", &w, &err), &err);
    EcgRecord rec;
    REQUIRE_OK(ecg_synth_record(ECG_SYNTH_NORMAL, 100, 10, 1, &rec, NULL, NULL, &err), &err);
    EcgRecordMeta meta = {.ecg_id = 1, .patient_id = -1, .age = NAN, .sex = -1, .strat_fold = 10, .superclass = 0};
    CHECK_OK(ecg_dataset_writer_add_record(w, &meta, &rec, "{}", "", "x", &err), &err);
    ecg_record_clear(&rec);
    REQUIRE_OK(ecg_dataset_writer_commit(w, &err), &err);
    EcgDataset *ds;
    REQUIRE_OK(ecg_dataset_open(path, &ds, &err), &err);
    EcgModelConfig cfg;
    ecg_model_config_default(&cfg, ECG_MODEL_CAE);
    EcgModel *m;
    REQUIRE_OK(ecg_model_new(&cfg, &m, &err), &err);
    EcgEvalSummary s;
    ecg_eval_summary_init(&s);
    CHECK(ecg_evaluate(ds, m, NULL, 1, &s, NULL, NULL, NULL, &err) == ECG_ERR_DATA);
    CHECK(strstr(err.message, "no test records") != NULL);
    CHECK(s.n == 0 && s.roc_fpr == NULL);
    ecg_model_free(m);
    ecg_dataset_close(ds);
    unlink(path);
}

int main(void)
{
    RUN(test_top_eigen_known_spectrum);
    RUN(test_top_eigen_degenerate);
    RUN(test_pca_recovers_low_rank_structure);
    RUN(test_covariance_in_batches);
    RUN(test_windows_back_onto_the_record);
    RUN(test_pca_scores_like_a_model);
    RUN(test_linear_baseline_on_synthetic_data);
    RUN(test_evaluate_bookkeeping);
    RUN(test_evaluate_needs_test_records);
    rmdir(test_tmpdir());
    return test_done();
}
