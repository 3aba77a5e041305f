/* The HDF5 dataset store: write → read round trip, lazy text cells, and every
 * refusal (foreign HDF5 layout, not HDF5, missing file, unwritable path, bad
 * records) leaving existing files untouched. */
#include <hdf5.h>
#include <sys/stat.h>

#include "dataset.h"
#include "h5util.h"
#include "test.h"

enum { T = 50 };

static void fill_record(EcgRecord *rec, int seed, int shuffled)
{
    EcgError err = {0};
    ecg_record_init(rec, 12, T, 100.0, &err);
    for (size_t l = 0; l < 12; l++) {
        size_t std = shuffled ? 11 - l : l; /* store leads in reverse order */
        ecg_record_set_lead_name(rec, l, ecg_standard_leads[std]);
        for (size_t t = 0; t < T; t++)
            ecg_record_lead(rec, l)[t] = 0.001f * (float)((int)(seed * 100 + std * 7 + t) % 997 - 400);
    }
}

static const char *tmp(const char *name)
{
    static char buf[4][512];
    static int slot;
    char *out = buf[slot++ % 4];
    snprintf(out, sizeof buf[0], "%s/%s", test_tmpdir(), name);
    return out;
}

static int write_small(const char *path, size_t n, EcgError *err)
{
    EcgDatasetWriter *w;
    int status = ecg_dataset_writer_open(path, 100.0, T, 1000.0, "test", &w, err);
    if (status)
        return status;
    for (size_t i = 0; i < n; i++) {
        EcgRecord rec;
        fill_record(&rec, (int)i, i % 2);
        EcgRecordMeta meta = {.ecg_id = (int32_t)(i + 1), .patient_id = 7, .age = i == 1 ? NAN : 40.0f + (float)i,
                              .sex = (int8_t)(i % 2), .strat_fold = (int8_t)(i % 10 + 1),
                              .superclass = i % 3 ? ECG_SC_MI : ECG_SC_NORM, .quality = ECG_Q_STATIC_NOISE};
        char report[64];
        snprintf(report, sizeof report, "report %zu, with \"quotes\"", i);
        status = ecg_dataset_writer_add_record(w, &meta, &rec, "{'NORM': 100.0}", report, "records/x", err);
        ecg_record_clear(&rec);
        if (status) {
            ecg_dataset_writer_abort(w);
            return status;
        }
    }
    return ecg_dataset_writer_commit(w, err);
}

static void test_round_trip(void)
{
    EcgError err = {0};
    const char *path = tmp("small.h5");
    REQUIRE_OK(write_small(path, 5, &err), &err);
    EcgDataset *ds;
    REQUIRE_OK(ecg_dataset_open(path, &ds, &err), &err);
    CHECK(ecg_dataset_count(ds) == 5);
    CHECK(ecg_dataset_n_samples(ds) == T);
    CHECK(ecg_dataset_fs(ds) == 100.0);
    CHECK(ecg_dataset_gain(ds) == 1000.0);
    CHECK(strcmp(ecg_dataset_source(ds), "test") == 0);
    for (size_t i = 0; i < 5; i++) {
        const EcgRecordMeta *m = ecg_dataset_meta(ds, i);
        CHECK(m->ecg_id == (int32_t)(i + 1) && m->patient_id == 7 && m->sex == (int8_t)(i % 2));
        CHECK(m->strat_fold == (int8_t)(i % 10 + 1) && m->quality == ECG_Q_STATIC_NOISE);
        CHECK(i == 1 ? isnan(m->age) : m->age == 40.0f + (float)i);
        EcgRecord got, want;
        REQUIRE_OK(ecg_dataset_read_record(ds, i, &got, &err), &err);
        fill_record(&want, (int)i, 0);
        CHECK(got.n_leads == 12 && got.n_samples == T && got.fs == 100.0);
        CHECK(strcmp(got.leads[3].name, "aVR") == 0 && strcmp(got.leads[3].units, "mV") == 0);
        double max_diff = 0;
        for (size_t k = 0; k < 12 * T; k++)
            max_diff = fmax(max_diff, fabs(got.samples[k] - want.samples[k]));
        CHECK_MSG(max_diff < 1e-6, "record %zu differs by %g mV", i, max_diff);
        ecg_record_clear(&got);
        ecg_record_clear(&want);
        char text[128];
        REQUIRE_OK(ecg_dataset_read_text(ds, i, ECG_COL_REPORT, text, sizeof text, &err), &err);
        char report[64];
        snprintf(report, sizeof report, "report %zu, with \"quotes\"", i);
        CHECK(strcmp(text, report) == 0);
    }
    char text[16];
    REQUIRE_OK(ecg_dataset_read_text(ds, 0, ECG_COL_SCP_CODES, text, sizeof text, &err), &err);
    CHECK(strcmp(text, "{'NORM': 100.0}") == 0);
    EcgRecord rec;
    CHECK(ecg_dataset_read_record(ds, 5, &rec, &err) == ECG_ERR_ARG);
    ecg_dataset_close(ds);
}

/* The store's own chunk codec writes what HDF5's shuffle + deflate pipeline reads,
 * and the store reads a /signals of any other layout through HDF5. */
static void test_chunks_are_standard_hdf5(void)
{
    EcgError err = {0};
    const char *path = tmp("codec.h5");
    REQUIRE_OK(write_small(path, 4, &err), &err);
    EcgDataset *ds;
    REQUIRE_OK(ecg_dataset_open(path, &ds, &err), &err);
    int16_t *ours = malloc(4 * T * 12 * sizeof *ours), *hdf5s = malloc(4 * T * 12 * sizeof *hdf5s);
    for (size_t i = 0; i < 4; i++)
        CHECK_OK(ecg_dataset_read_counts(ds, i, ours + i * T * 12, &err), &err);
    ecg_dataset_close(ds);

    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t signals = H5Dopen2(file, "signals", H5P_DEFAULT);
    CHECK(H5Dread(signals, H5T_NATIVE_INT16, H5S_ALL, H5S_ALL, H5P_DEFAULT, hdf5s) >= 0);
    CHECK(memcmp(ours, hdf5s, 4 * T * 12 * sizeof *ours) == 0);

    /* the same dataset with a contiguous, unfiltered /signals */
    const char *plain = tmp("plain.h5");
    hid_t out = H5Fcreate(plain, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    CHECK(H5Ocopy(file, "records", out, "records", H5P_DEFAULT, H5P_DEFAULT) >= 0);
    hsize_t dims[3] = {4, T, 12};
    hid_t space = H5Screate_simple(3, dims, NULL);
    hid_t copy = H5Dcreate2(out, "signals", H5T_STD_I16LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    CHECK(H5Dwrite(copy, H5T_NATIVE_INT16, H5S_ALL, H5S_ALL, H5P_DEFAULT, hdf5s) >= 0);
    CHECK(ecg_h5_write_attr_string(out, "format", "ecglens-dataset", plain, &err) == ECG_OK);
    CHECK(ecg_h5_write_attr_int(out, "version", 1, plain, &err) == ECG_OK);
    CHECK(ecg_h5_write_attr_double(copy, "fs", 100.0, plain, &err) == ECG_OK);
    CHECK(ecg_h5_write_attr_double(copy, "gain", 1000.0, plain, &err) == ECG_OK);
    CHECK(ecg_h5_write_attr_strings(copy, "lead_names", ecg_standard_leads, 12, plain, &err) == ECG_OK);
    H5Dclose(copy);
    H5Sclose(space);
    H5Fclose(out);
    H5Dclose(signals);
    H5Fclose(file);

    REQUIRE_OK(ecg_dataset_open(plain, &ds, &err), &err);
    for (size_t i = 0; i < 4; i++) {
        CHECK_OK(ecg_dataset_read_counts(ds, i, hdf5s, &err), &err);
        CHECK(memcmp(ours + i * T * 12, hdf5s, T * 12 * sizeof *ours) == 0);
    }
    ecg_dataset_close(ds);
    free(ours);
    free(hdf5s);
}

static void test_foreign_files_are_refused(void)
{
    EcgError err = {0};
    EcgDataset *ds;
    /* an HDF5 file of another layout */
    const char *other = tmp("other.h5");
    hid_t f = H5Fcreate(other, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t dims[1] = {4};
    hid_t space = H5Screate_simple(1, dims, NULL);
    hid_t d = H5Dcreate2(f, "x", H5T_IEEE_F32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dclose(d);
    H5Sclose(space);
    H5Fclose(f);
    CHECK(ecg_dataset_open(other, &ds, &err) == ECG_ERR_FORMAT);
    CHECK_MSG(strstr(err.message, other) && strstr(err.message, "not an ecglens dataset"), "%s", err.message);
    CHECK(ds == NULL);
    /* not HDF5 at all */
    const char *text = tmp("text.h5");
    FILE *t = fopen(text, "w");
    fputs("hello", t);
    fclose(t);
    CHECK(ecg_dataset_open(text, &ds, &err) == ECG_ERR_FORMAT);
    CHECK_MSG(strstr(err.message, "not an HDF5 file"), "%s", err.message);
    CHECK(ecg_dataset_open(tmp("missing.h5"), &ds, &err) == ECG_ERR_IO);
    CHECK(strstr(err.message, "missing.h5") != NULL);
}

static void test_failed_write_leaves_existing_file(void)
{
    EcgError err = {0};
    const char *path = tmp("keep.h5");
    REQUIRE_OK(write_small(path, 3, &err), &err);
    struct stat before, after;
    stat(path, &before);

    /* a record with a NaN sample is refused with its lead and sample named */
    EcgDatasetWriter *w;
    REQUIRE_OK(ecg_dataset_writer_open(path, 100.0, T, 1000.0, "test", &w, &err), &err);
    EcgRecord rec;
    fill_record(&rec, 1, 0);
    ecg_record_lead(&rec, 7)[3] = NAN;
    EcgRecordMeta meta = {.ecg_id = 1};
    CHECK(ecg_dataset_writer_add_record(w, &meta, &rec, "", "", "bad.dat", &err) == ECG_ERR_DATA);
    CHECK_MSG(strstr(err.message, "bad.dat") && strstr(err.message, "V2") && strstr(err.message, "NaN"), "%s",
              err.message);
    /* a record of another length or lacking a lead */
    ecg_record_lead(&rec, 7)[3] = 0;
    strcpy(rec.leads[0].name, "MLII");
    CHECK(ecg_dataset_writer_add_record(w, &meta, &rec, "", "", "bad.dat", &err) == ECG_ERR_DATA);
    CHECK(strstr(err.message, "lead") && strstr(err.message, "missing"));
    ecg_record_clear(&rec);
    ecg_record_init(&rec, 12, T + 1, 100.0, &err);
    CHECK(ecg_dataset_writer_add_record(w, &meta, &rec, "", "", "long.dat", &err) == ECG_ERR_DATA);
    ecg_record_clear(&rec);
    /* committing nothing fails and keeps the old file */
    CHECK(ecg_dataset_writer_commit(w, &err) == ECG_ERR_DATA);
    stat(path, &after);
    CHECK(before.st_ino == after.st_ino && before.st_size == after.st_size);
    EcgDataset *ds;
    REQUIRE_OK(ecg_dataset_open(path, &ds, &err), &err);
    CHECK(ecg_dataset_count(ds) == 3);
    ecg_dataset_close(ds);

    /* an aborted writer leaves no temporary file behind */
    REQUIRE_OK(ecg_dataset_writer_open(path, 100.0, T, 1000.0, "test", &w, &err), &err);
    ecg_dataset_writer_abort(w);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "ls %s | grep -c tmp- > /dev/null", test_tmpdir());
    CHECK(system(cmd) != 0);
}

static void test_unwritable_path(void)
{
    EcgError err = {0};
    EcgDatasetWriter *w;
    CHECK(ecg_dataset_writer_open("/nonexistent-dir/x.h5", 100.0, T, 1000.0, "", &w, &err) == ECG_ERR_IO);
    CHECK_MSG(strstr(err.message, "/nonexistent-dir/x.h5"), "%s", err.message);
    CHECK(w == NULL);
}

int main(void)
{
    RUN(test_round_trip);
    RUN(test_chunks_are_standard_hdf5);
    RUN(test_foreign_files_are_refused);
    RUN(test_failed_write_leaves_existing_file);
    RUN(test_unwritable_path);
    return test_done();
}
