#include "score-file.h"

#include "h5util.h"

#include <stdlib.h>
#include <string.h>

#define SCORES_FORMAT "ecglens-scores"
#define SCORES_VERSION 1

int ecg_scores_file_write(const char *path, const char *model_name, double threshold, const int32_t *ecg_id,
                          const double *record_score, const float *lead_score, size_t n, EcgError *err)
{
    return ecg_scores_file_write_identity(path, NULL, model_name, threshold, ecg_id, record_score, lead_score, n,
                                          err);
}

int ecg_scores_file_write_identity(const char *path, const char *identity, const char *model_name,
                                   double threshold, const int32_t *ecg_id, const double *record_score,
                                   const float *lead_score, size_t n, EcgError *err)
{
    char tmp[4096];
    hid_t file;
    int status = ecg_h5_create_temp(path, tmp, sizeof tmp, &file, err);
    if (status != ECG_OK)
        return status;
    size_t dims[2] = {n, 12};
    if ((status = ecg_h5_write_attr_string(file, "format", SCORES_FORMAT, path, err)) != ECG_OK ||
        (status = ecg_h5_write_attr_int(file, "version", SCORES_VERSION, path, err)) != ECG_OK ||
        (identity && (status = ecg_h5_write_attr_string(file, "identity", identity, path, err)) != ECG_OK) ||
        (status = ecg_h5_write_attr_string(file, "model", model_name, path, err)) != ECG_OK ||
        (status = ecg_h5_write_attr_double(file, "threshold", threshold, path, err)) != ECG_OK ||
        (status = ecg_h5_write_1d(file, "ecg_id", H5T_STD_I32LE, H5T_NATIVE_INT32, n, ecg_id, path, err)) != ECG_OK ||
        (status = ecg_h5_write_1d(file, "record_score", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, n, record_score, path,
                                  err)) != ECG_OK ||
        (status = ecg_h5_write_nd(file, "lead_score", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, dims, lead_score, path,
                                  err)) != ECG_OK) {
        ecg_h5_discard_temp(file, tmp);
        return status;
    }
    return ecg_h5_commit_temp(file, tmp, path, err);
}

void ecg_scores_file_clear(EcgScoresFile *f)
{
    free(f->ecg_id);
    free(f->record_score);
    free(f->lead_score);
    memset(f, 0, sizeof *f);
}

int ecg_scores_file_read(const char *path, EcgScoresFile *out, EcgError *err)
{
    memset(out, 0, sizeof *out);
    hid_t file;
    int status = ecg_h5_open_format(path, SCORES_FORMAT, SCORES_VERSION, "scores file", &file, err);
    if (status != ECG_OK)
        return status;
    int rank;
    hsize_t dims[H5S_MAX_RANK];
    size_t n_scores;
    void *ids = NULL;
    if ((status = ecg_h5_read_attr_string(file, "model", out->model, sizeof out->model, path, err)) != ECG_OK ||
        (status = ecg_h5_read_attr_double(file, "threshold", &out->threshold, path, err)) != ECG_OK)
        goto fail;
    /* identity is optional: files written by `ecglens-cli score` have none */
    if (H5Aexists(file, "identity") > 0 &&
        (status = ecg_h5_read_attr_string(file, "identity", out->identity, sizeof out->identity, path, err)) !=
            ECG_OK)
        goto fail;
    if ((status = ecg_h5_read_1d_alloc(file, "ecg_id", H5T_NATIVE_INT32, &ids, &out->n, path, err)) != ECG_OK)
        goto fail;
    out->ecg_id = ids;
    if ((status = ecg_h5_dataset_shape(file, "record_score", &rank, dims, path, err)) != ECG_OK)
        goto fail;
    n_scores = rank == 1 ? (size_t)dims[0] : 0;
    if (rank != 1 || n_scores != out->n) {
        status = ecg_fail(err, ECG_ERR_FORMAT, "%s: 'record_score' has %zu entries, 'ecg_id' %zu", path, n_scores,
                          out->n);
        goto fail;
    }
    if ((status = ecg_h5_dataset_shape(file, "lead_score", &rank, dims, path, err)) != ECG_OK)
        goto fail;
    if (rank != 2 || dims[0] != out->n || dims[1] != 12) {
        status = ecg_fail(err, ECG_ERR_FORMAT, "%s: 'lead_score' is not [%zu, 12]", path, out->n);
        goto fail;
    }
    if (out->n > 0) {
        out->record_score = malloc(out->n * sizeof *out->record_score);
        out->lead_score = malloc(out->n * 12 * sizeof *out->lead_score);
        if (!out->record_score || !out->lead_score) {
            status = ecg_fail(err, ECG_ERR_NOMEM, "%s: out of memory for %zu scores", path, out->n);
            goto fail;
        }
        if ((status = ecg_h5_read_whole(file, "record_score", H5T_NATIVE_DOUBLE, out->record_score, path, err)) !=
                ECG_OK ||
            (status = ecg_h5_read_whole(file, "lead_score", H5T_NATIVE_FLOAT, out->lead_score, path, err)) != ECG_OK)
            goto fail;
    }
    H5Fclose(file);
    return ECG_OK;
fail:
    H5Fclose(file);
    ecg_scores_file_clear(out);
    return status;
}

int ecg_windows_file_write(const char *path, const char *record_id, double fs, const EcgWindows *w, EcgError *err)
{
    char tmp[4096];
    hid_t file, group = H5I_INVALID_HID;
    int status = ecg_h5_create_temp(path, tmp, sizeof tmp, &file, err);
    if (status != ECG_OK)
        return status;
    size_t per_lead[3] = {w->n_windows, w->T, 12}, per_time[3] = {w->n_windows, w->T, w->T};
    struct {
        const char *name;
        const float *data;
        const size_t *dims;
    } arrays[] = {
        {"x", w->x, per_lead},           {"x_mean", w->x_mean, per_lead}, {"x_logvar", w->x_logvar, per_lead},
        {"time_attn", w->time_attn, per_time}, {"lead_attn", w->lead_attn, per_lead},
    };
    if ((status = ecg_h5_write_attr_string(file, "format", "ecglens-windows", path, err)) != ECG_OK ||
        (status = ecg_h5_write_attr_int(file, "version", 1, path, err)) != ECG_OK ||
        (status = ecg_h5_write_attr_string(file, "record", record_id, path, err)) != ECG_OK ||
        (status = ecg_h5_write_attr_double(file, "fs", fs, path, err)) != ECG_OK)
        goto fail;
    if ((group = ecg_h5_create_group(file, "windows", path, err)) < 0) {
        status = ECG_ERR_IO;
        goto fail;
    }
    _Static_assert(sizeof(size_t) == sizeof(unsigned long long), "window starts are written as 64-bit");
    if ((status = ecg_h5_write_1d(group, "start", H5T_STD_I64LE, H5T_NATIVE_ULLONG, w->n_windows, w->starts, path,
                                  err)) != ECG_OK)
        goto fail;
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++)
        if (arrays[i].data && (status = ecg_h5_write_nd(group, arrays[i].name, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 3,
                                                        arrays[i].dims, arrays[i].data, path, err)) != ECG_OK)
            goto fail;
    H5Gclose(group);
    return ecg_h5_commit_temp(file, tmp, path, err);
fail:
    if (group >= 0)
        H5Gclose(group);
    ecg_h5_discard_temp(file, tmp);
    return status;
}
