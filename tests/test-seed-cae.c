/* The 12-lead-ECG-AD project's trained CAE (../shared/seed-cae, PyTorch weights
 * under their state_dict names) in the C CAE: the weights load by name and
 * shape, the sample record fed straight as one window (B = 1, T = 5000, no
 * preprocessing) gives PyTorch's reconstruction, and the model survives a trip
 * through an ecglens checkpoint unchanged.
 *
 * tests/make-seed-cae-fixture.py wrote tests/data/fixtures/seed-cae-expected.h5
 * with torch: the reconstruction at 2,000 fixed indices, the whole of lead II,
 * per-lead means and errors, and the error relative to the input's variance
 * (the seed project's README: about 0.37%). Skipped without ../shared. */
#include <hdf5.h>

#include "checkpoint.h"
#include "h5util.h"
#include "test.h"

#define FIXTURE ECGLENS_SOURCE_ROOT "/tests/data/fixtures/seed-cae-expected.h5"
#define WEIGHTS "seed-cae/seed-cae-weights.h5"
#define TOL 2e-5 /* float32 reconstructions of values in [0, 1] */

enum { T = 5000, L = 12, N_SAMPLED = 2000 };

/* A dataset of exactly n values of mem_type from file path (malloc'ed), or NULL. */
static void *read_all(const char *path, const char *name, hid_t mem_type, size_t n)
{
    EcgError err = {0};
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    CHECK_MSG(f >= 0, "cannot open %s", path);
    if (f < 0)
        return NULL;
    void *data = NULL;
    size_t got = 0;
    int rank = 0;
    hsize_t dims[H5S_MAX_RANK];
    if (ecg_h5_dataset_shape(f, name, &rank, dims, path, &err) == 0) {
        got = 1;
        for (int d = 0; d < rank; d++)
            got *= (size_t)dims[d];
    }
    CHECK_MSG(got == n, "%s %s: %zu values, expected %zu (%s)", path, name, got, n, err.message);
    if (got == n && (data = malloc(n * H5Tget_size(mem_type))))
        CHECK_OK(ecg_h5_read_whole(f, name, mem_type, data, path, &err), &err);
    H5Fclose(f);
    return data;
}

static double fixture_attr(const char *name)
{
    EcgError err = {0};
    double v = NAN;
    hid_t f = H5Fopen(FIXTURE, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f >= 0) {
        CHECK_OK(ecg_h5_read_attr_double(f, name, &v, FIXTURE, &err), &err);
        H5Fclose(f);
    }
    return v;
}

/* The C CAE with the seed weights, or NULL. */
static EcgModel *seed_model(const char *weights)
{
    EcgError err = {0};
    EcgModelConfig cfg;
    ecg_model_config_default(&cfg, ECG_MODEL_CAE);
    snprintf(cfg.name, sizeof cfg.name, "12-lead-ECG-AD CAE");
    cfg.fs = 500.0;
    EcgModel *m = NULL;
    CHECK_OK(ecg_model_new(&cfg, &m, &err), &err);
    if (m && ecg_checkpoint_load_weights(weights, NULL, m, &err) != 0) {
        CHECK_MSG(0, "%s", err.message);
        ecg_model_free(m);
        m = NULL;
    }
    return m;
}

/* The reconstruction of the sample (T, 12), malloc'ed. */
static float *reconstruct(EcgModel *m, const float *x)
{
    EcgError err = {0};
    EcgModelOutputs out;
    float *y = malloc(T * L * sizeof *y);
    if (!y || ecg_model_forward(m, x, NULL, 1, T, &out, &err) != 0) {
        CHECK_MSG(0, "forward: %s", err.message);
        free(y);
        return NULL;
    }
    CHECK(out.B == 1 && out.T == T && out.x_mean);
    memcpy(y, out.x_mean, T * L * sizeof *y);
    return y;
}

static void test_reproduces_pytorch(void)
{
    const char *weights = test_shared_path(WEIGHTS);
    SKIP_IF(!weights, "../shared/" WEIGHTS " is absent");
    float *x = read_all(weights, "sample/x", H5T_NATIVE_FLOAT, T * L); // (T, 12)
    int32_t *index = read_all(FIXTURE, "index", H5T_NATIVE_INT32, N_SAMPLED);
    float *value = read_all(FIXTURE, "value", H5T_NATIVE_FLOAT, N_SAMPLED);
    float *lead_ii = read_all(FIXTURE, "lead_ii", H5T_NATIVE_FLOAT, T);
    double *lead_mean = read_all(FIXTURE, "lead_mean", H5T_NATIVE_DOUBLE, L);
    double *lead_mse = read_all(FIXTURE, "lead_mse", H5T_NATIVE_DOUBLE, L);
    EcgModel *m = seed_model(weights);
    float *y = m && x ? reconstruct(m, x) : NULL;
    if (!y || !index || !value || !lead_ii || !lead_mean || !lead_mse)
        goto done;

    /* the same record as the fixture's */
    double sum = 0, mean_x = 0;
    for (size_t i = 0; i < T * L; i++)
        sum += x[i];
    CHECK_NEAR(sum, fixture_attr("input_sum"), 1e-6 * fabs(sum));
    mean_x = sum / (T * L);

    double max_diff = 0, scale = 0;
    for (size_t i = 0; i < N_SAMPLED; i++) {
        CHECK(index[i] >= 0 && index[i] < T * L);
        max_diff = fmax(max_diff, fabs((double)y[index[i]] - value[i]));
        scale = fmax(scale, fabs((double)value[i]));
    }
    for (size_t t = 0; t < T; t++) {
        max_diff = fmax(max_diff, fabs((double)y[t * L + 1] - lead_ii[t]));
        scale = fmax(scale, fabs((double)lead_ii[t]));
    }
    CHECK_MSG(max_diff <= TOL, "max |C - PyTorch| = %.3g", max_diff);

    double se = 0, var = 0, worst_mean = 0, worst_mse = 0;
    for (size_t l = 0; l < L; l++) {
        double s = 0, e = 0;
        for (size_t t = 0; t < T; t++) {
            double d = (double)y[t * L + l] - x[t * L + l], c = (double)x[t * L + l] - mean_x;
            s += y[t * L + l];
            e += d * d;
            var += c * c;
        }
        se += e;
        worst_mean = fmax(worst_mean, fabs(s / T - lead_mean[l]));
        worst_mse = fmax(worst_mse, fabs(e / T - lead_mse[l]) / lead_mse[l]);
    }
    CHECK_MSG(worst_mean <= TOL, "per-lead mean off by %.3g", worst_mean);
    CHECK_MSG(worst_mse <= 1e-2, "per-lead MSE off by %.3g relative", worst_mse);
    double ratio = (se / (T * L)) / (var / (T * L));
    CHECK_NEAR(ratio, fixture_attr("ratio"), 1e-3 * ratio);
    /* the seed project's README: "about 0.37% of the input variance" */
    CHECK_MSG(ratio > 0.0035 && ratio < 0.0039, "MSE / variance = %.4f%%", 100 * ratio);
    printf("#   seed CAE vs PyTorch at %d values + lead II: max abs diff %.3g (%.3g of the largest value);"
           " MSE %.6g = %.3f%% of the input variance (PyTorch %.3f%%)\n",
           N_SAMPLED, max_diff, max_diff / scale, se / (T * L), 100 * ratio, 100 * fixture_attr("ratio"));

done:
    ecg_model_free(m);
    free(x);
    free(y);
    free(index);
    free(value);
    free(lead_ii);
    free(lead_mean);
    free(lead_mse);
}

/* The seed weights saved as an ecglens checkpoint load back as the same model. */
static void test_round_trip_as_checkpoint(void)
{
    const char *weights = test_shared_path(WEIGHTS);
    SKIP_IF(!weights, "../shared/" WEIGHTS " is absent");
    EcgError err = {0};
    char path[512];
    snprintf(path, sizeof path, "%s/seed-cae.model.h5", test_tmpdir());
    float *x = read_all(weights, "sample/x", H5T_NATIVE_FLOAT, T * L);
    EcgModel *m = seed_model(weights), *back = NULL;
    float *y = m && x ? reconstruct(m, x) : NULL, *y_back = NULL;
    if (y && ecg_checkpoint_save(path, m, NULL, &err) == 0 && ecg_checkpoint_load(path, &back, NULL, &err) == 0) {
        CHECK(ecg_model_config(back)->kind == ECG_MODEL_CAE && ecg_model_config(back)->fs == 500.0);
        CHECK(strcmp(ecg_model_config(back)->name, "12-lead-ECG-AD CAE") == 0);
        y_back = reconstruct(back, x);
        CHECK(y_back && memcmp(y, y_back, T * L * sizeof *y) == 0);
    } else {
        CHECK_MSG(0, "%s", err.message);
    }
    /* the seed file itself has weights but no ecglens header: not a checkpoint */
    EcgModel *not_a_model = NULL;
    CHECK(ecg_checkpoint_load(weights, &not_a_model, NULL, &err) == ECG_ERR_FORMAT);
    CHECK_MSG(strstr(err.message, "not an ecglens model"), "%s", err.message);
    ecg_model_free(back);
    ecg_model_free(m);
    free(x);
    free(y);
    free(y_back);
}

int main(void)
{
    RUN(test_reproduces_pytorch);
    RUN(test_round_trip_as_checkpoint);
    return test_done();
}
