#include "score-file.h"

#include "h5util.h"

int ecg_scores_file_write(const char *path, const char *model_name, double threshold, const int32_t *ecg_id,
                          const double *record_score, const float *lead_score, size_t n, EcgError *err)
{
    char tmp[4096];
    hid_t file;
    int status = ecg_h5_create_temp(path, tmp, sizeof tmp, &file, err);
    if (status != ECG_OK)
        return status;
    size_t dims[2] = {n, 12};
    if ((status = ecg_h5_write_attr_string(file, "format", "ecglens-scores", path, err)) != ECG_OK ||
        (status = ecg_h5_write_attr_int(file, "version", 1, path, err)) != ECG_OK ||
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
