/* Scores files (`ecglens-cli score` and the viewer's cache): write → read round
 * trips with and without an identity, an empty file, and every refusal — not
 * HDF5, truncated, another ecglens format, arrays of different lengths — with a
 * message naming the file. */
#include <hdf5.h>

#include "fileio.h"
#include "score-file.h"
#include "test.h"

static const char *tmp(const char *name)
{
    static char buf[8][512];
    static int slot;
    char *out = buf[slot++ % 8];
    snprintf(out, sizeof buf[0], "%s/%s", test_tmpdir(), name);
    return out;
}

enum { N = 5 };
static const int32_t ids[N] = {17, 3, 99, 1000000, -1};
static const double scores[N] = {0.25, 1.5, NAN, 0.0, 1e-9};

static void lead_scores(float *lead)
{
    for (size_t i = 0; i < N * 12; i++)
        lead[i] = i % 7 == 0 ? NAN : (float)i / 8.0f;
}

static void expect_refusal(const char *path, int status, const char *words)
{
    EcgScoresFile f;
    EcgError err = {0};
    int s = ecg_scores_file_read(path, &f, &err);
    CHECK_MSG(s == status, "%s: status %d, expected %d (%s)", path, s, status, err.message);
    CHECK_MSG(strstr(err.message, path) != NULL, "message does not name the file: %s", err.message);
    CHECK_MSG(strstr(err.message, words) != NULL, "message lacks \"%s\": %s", words, err.message);
    CHECK(f.n == 0 && f.ecg_id == NULL && f.record_score == NULL && f.lead_score == NULL);
}

static void test_round_trip(void)
{
    float lead[N * 12];
    EcgError err = {0};
    EcgScoresFile f;
    const char *path = tmp("round.scores.h5");
    const char *identity = "dataset /data/ptbxl.h5 123 456\nmodel /m/cae.model.h5 7 8";

    lead_scores(lead);
    REQUIRE_OK(ecg_scores_file_write_identity(path, identity, "CAE ünïcode", 0.83, ids, scores, lead, N, &err),
               &err);
    REQUIRE_OK(ecg_scores_file_read(path, &f, &err), &err);
    CHECK(strcmp(f.model, "CAE ünïcode") == 0);
    CHECK(strcmp(f.identity, identity) == 0);
    CHECK(f.threshold == 0.83);
    REQUIRE_OK(f.n == N ? 0 : -1, &err);
    CHECK(memcmp(f.ecg_id, ids, sizeof ids) == 0);
    for (size_t i = 0; i < N; i++)
        CHECK(f.record_score[i] == scores[i] || (isnan(f.record_score[i]) && isnan(scores[i])));
    for (size_t i = 0; i < N * 12; i++)
        CHECK(f.lead_score[i] == lead[i] || (isnan(f.lead_score[i]) && isnan(lead[i])));
    ecg_scores_file_clear(&f);
    CHECK(f.n == 0 && f.ecg_id == NULL);
}

/* What `ecglens-cli score` writes has no identity: it reads as "". */
static void test_without_identity_and_empty(void)
{
    float lead[N * 12];
    EcgError err = {0};
    EcgScoresFile f;
    const char *path = tmp("plain.scores.h5");

    lead_scores(lead);
    REQUIRE_OK(ecg_scores_file_write(path, "VAE", 1.0, ids, scores, lead, N, &err), &err);
    REQUIRE_OK(ecg_scores_file_read(path, &f, &err), &err);
    CHECK(f.identity[0] == '\0' && f.n == N);
    ecg_scores_file_clear(&f);

    path = tmp("empty.scores.h5");
    REQUIRE_OK(ecg_scores_file_write_identity(path, "x", "VAE", 1.0, NULL, NULL, NULL, 0, &err), &err);
    REQUIRE_OK(ecg_scores_file_read(path, &f, &err), &err);
    CHECK(f.n == 0 && f.record_score == NULL && strcmp(f.identity, "x") == 0);
    ecg_scores_file_clear(&f);
}

static void test_refusals(void)
{
    float lead[N * 12];
    EcgError err = {0};
    const char *good = tmp("good.scores.h5");
    char *data = NULL;
    size_t size = 0;

    lead_scores(lead);
    REQUIRE_OK(ecg_scores_file_write_identity(good, "id", "CAE", 0.5, ids, scores, lead, N, &err), &err);

    /* truncated: a write cut short by a crash (the cache is written atomically,
     * but a file copied by hand need not be) */
    REQUIRE_OK(ecg_file_read_all(good, &data, &size, &err), &err);
    const char *cut = tmp("cut.scores.h5");
    CHECK_OK(ecg_file_write_atomic(cut, data, size / 2, NULL, 0, &err), &err);
    expect_refusal(cut, ECG_ERR_FORMAT, "truncated");
    free(data);

    /* not HDF5, absent */
    const char *text = tmp("text.scores.h5");
    CHECK_OK(ecg_file_write_atomic(text, "ecg_id,score\n1,0.5\n", 19, NULL, 0, &err), &err);
    expect_refusal(text, ECG_ERR_FORMAT, "not an HDF5 file");
    expect_refusal(tmp("absent.scores.h5"), ECG_ERR_IO, "cannot open");

    /* another ecglens file: a windows file */
    const char *windows = tmp("windows.h5");
    size_t start = 0;
    float x[4 * 12] = {0};
    EcgWindows w = {.n_windows = 1, .T = 4, .starts = &start, .x = x};
    REQUIRE_OK(ecg_windows_file_write(windows, "1", 100.0, &w, &err), &err);
    expect_refusal(windows, ECG_ERR_FORMAT, "not an ecglens scores file (format is 'ecglens-windows')");

    /* foreign: an HDF5 file without the format */
    const char *foreign = tmp("foreign.h5");
    hid_t f = H5Fcreate(foreign, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    H5Fclose(f);
    expect_refusal(foreign, ECG_ERR_FORMAT, "not an ecglens scores file");

    /* arrays that disagree: record_score shorter than ecg_id */
    const char *bad = tmp("short.scores.h5");
    REQUIRE_OK(ecg_scores_file_write(bad, "CAE", 0.5, ids, scores, lead, N, &err), &err);
    f = H5Fopen(bad, H5F_ACC_RDWR, H5P_DEFAULT);
    H5Ldelete(f, "record_score", H5P_DEFAULT);
    hsize_t three = 3;
    hid_t space = H5Screate_simple(1, &three, NULL);
    hid_t d = H5Dcreate2(f, "record_score", H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, scores);
    H5Dclose(d);
    H5Sclose(space);
    H5Fclose(f);
    expect_refusal(bad, ECG_ERR_FORMAT, "'record_score' has 3 entries, 'ecg_id' 5");

    /* a missing array */
    f = H5Fopen(bad, H5F_ACC_RDWR, H5P_DEFAULT);
    H5Ldelete(f, "lead_score", H5P_DEFAULT);
    H5Ldelete(f, "record_score", H5P_DEFAULT);
    H5Fclose(f);
    expect_refusal(bad, ECG_ERR_FORMAT, "record_score");
}

int main(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    RUN(test_round_trip);
    RUN(test_without_identity_and_empty);
    RUN(test_refusals);
    return test_done();
}
