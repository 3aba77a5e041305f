#include "h5util.h"

#include "fileio.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void quiet_once(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

void ecg_h5_quiet(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, quiet_once);
}

int ecg_h5_create_temp(const char *path, char *tmp_path, size_t size, hid_t *file, EcgError *err)
{
    ecg_h5_quiet();
    *file = H5I_INVALID_HID;
    int fd;
    int status = ecg_file_temp_create(path, tmp_path, size, &fd, err);
    if (status != ECG_OK)
        return status;
    close(fd);
    *file = H5Fcreate(tmp_path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (*file < 0) {
        unlink(tmp_path);
        return ecg_fail(err, ECG_ERR_IO, "%s: cannot create an HDF5 file there", path);
    }
    return ECG_OK;
}

int ecg_h5_commit_temp(hid_t file, const char *tmp_path, const char *path, EcgError *err)
{
    if (H5Fflush(file, H5F_SCOPE_GLOBAL) < 0 || H5Fclose(file) < 0) {
        unlink(tmp_path);
        return ecg_fail(err, ECG_ERR_IO, "%s: cannot finish writing (disk full?)", path);
    }
    return ecg_file_temp_commit(tmp_path, path, err);
}

void ecg_h5_discard_temp(hid_t file, const char *tmp_path)
{
    if (file >= 0)
        H5Fclose(file);
    unlink(tmp_path);
}

/* ---- attributes ---- */

static int write_attr(hid_t obj, const char *name, hid_t type, hid_t space, const void *value,
                      const char *path, EcgError *err)
{
    if (H5Aexists(obj, name) > 0 && H5Adelete(obj, name) < 0)
        return ecg_fail(err, ECG_ERR_IO, "%s: cannot replace attribute '%s'", path, name);
    hid_t attr = H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    int status = ECG_OK;
    if (attr < 0 || H5Awrite(attr, type, value) < 0)
        status = ecg_fail(err, ECG_ERR_IO, "%s: cannot write attribute '%s'", path, name);
    if (attr >= 0)
        H5Aclose(attr);
    return status;
}

static hid_t string_type(size_t n)
{
    hid_t type = H5Tcopy(H5T_C_S1);
    if (type >= 0) {
        H5Tset_size(type, n);
        H5Tset_cset(type, H5T_CSET_UTF8);
    }
    return type;
}

int ecg_h5_write_attr_string(hid_t obj, const char *name, const char *value, const char *path, EcgError *err)
{
    hid_t type = string_type(strlen(value) + 1);
    hid_t space = H5Screate(H5S_SCALAR);
    int status = write_attr(obj, name, type, space, value, path, err);
    H5Sclose(space);
    H5Tclose(type);
    return status;
}

int ecg_h5_write_attr_double(hid_t obj, const char *name, double value, const char *path, EcgError *err)
{
    hid_t space = H5Screate(H5S_SCALAR);
    int status = write_attr(obj, name, H5T_NATIVE_DOUBLE, space, &value, path, err);
    H5Sclose(space);
    return status;
}

int ecg_h5_write_attr_int(hid_t obj, const char *name, long value, const char *path, EcgError *err)
{
    hid_t space = H5Screate(H5S_SCALAR);
    int status = write_attr(obj, name, H5T_NATIVE_LONG, space, &value, path, err);
    H5Sclose(space);
    return status;
}

int ecg_h5_write_attr_strings(hid_t obj, const char *name, const char *const *values, size_t n,
                              const char *path, EcgError *err)
{
    hid_t type = string_type(H5T_VARIABLE);
    hsize_t dims[1] = {n};
    hid_t space = H5Screate_simple(1, dims, NULL);
    int status = write_attr(obj, name, type, space, values, path, err);
    H5Sclose(space);
    H5Tclose(type);
    return status;
}

static hid_t open_attr(hid_t obj, const char *name, const char *path, EcgError *err)
{
    if (H5Aexists(obj, name) <= 0) {
        char where[256] = "/";
        H5Iget_name(obj, where, sizeof where);
        ecg_fail(err, ECG_ERR_FORMAT, "%s: %s has no attribute '%s'", path, where, name);
        return H5I_INVALID_HID;
    }
    hid_t attr = H5Aopen(obj, name, H5P_DEFAULT);
    if (attr < 0)
        ecg_fail(err, ECG_ERR_FORMAT, "%s: cannot open attribute '%s'", path, name);
    return attr;
}

int ecg_h5_read_attr_string(hid_t obj, const char *name, char *buf, size_t size, const char *path,
                            EcgError *err)
{
    hid_t attr = open_attr(obj, name, path, err);
    if (attr < 0)
        return ECG_ERR_FORMAT;
    int status = ECG_OK;
    hid_t type = H5Aget_type(attr);
    if (H5Tget_class(type) != H5T_STRING) {
        status = ecg_fail(err, ECG_ERR_FORMAT, "%s: attribute '%s' is not a string", path, name);
    } else if (H5Tis_variable_str(type) > 0) {
        char *value = NULL;
        hid_t mem = string_type(H5T_VARIABLE);
        if (H5Aread(attr, mem, &value) < 0 || !value) {
            status = ecg_fail(err, ECG_ERR_FORMAT, "%s: cannot read attribute '%s'", path, name);
        } else {
            snprintf(buf, size, "%s", value);
            H5free_memory(value);
        }
        H5Tclose(mem);
    } else {
        size_t n = H5Tget_size(type);
        char *value = calloc(n + 1, 1);
        hid_t mem = string_type(n + 1);
        if (!value || H5Aread(attr, mem, value) < 0)
            status = ecg_fail(err, ECG_ERR_FORMAT, "%s: cannot read attribute '%s'", path, name);
        else
            snprintf(buf, size, "%s", value);
        H5Tclose(mem);
        free(value);
    }
    H5Tclose(type);
    H5Aclose(attr);
    return status;
}

static int read_attr_scalar(hid_t obj, const char *name, hid_t mem_type, void *value, const char *path,
                            EcgError *err)
{
    hid_t attr = open_attr(obj, name, path, err);
    if (attr < 0)
        return ECG_ERR_FORMAT;
    int status = ECG_OK;
    hid_t space = H5Aget_space(attr);
    hid_t type = H5Aget_type(attr);
    H5T_class_t cls = H5Tget_class(type);
    if (H5Sget_simple_extent_npoints(space) != 1 || (cls != H5T_INTEGER && cls != H5T_FLOAT) ||
        H5Aread(attr, mem_type, value) < 0)
        status = ecg_fail(err, ECG_ERR_FORMAT, "%s: attribute '%s' is not a number", path, name);
    H5Tclose(type);
    H5Sclose(space);
    H5Aclose(attr);
    return status;
}

int ecg_h5_read_attr_double(hid_t obj, const char *name, double *value, const char *path, EcgError *err)
{
    return read_attr_scalar(obj, name, H5T_NATIVE_DOUBLE, value, path, err);
}

int ecg_h5_read_attr_int(hid_t obj, const char *name, long *value, const char *path, EcgError *err)
{
    return read_attr_scalar(obj, name, H5T_NATIVE_LONG, value, path, err);
}

int ecg_h5_read_attr_strings(hid_t obj, const char *name, char *bufs, size_t n, size_t size,
                             const char *path, EcgError *err)
{
    hid_t attr = open_attr(obj, name, path, err);
    if (attr < 0)
        return ECG_ERR_FORMAT;
    int status = ECG_OK;
    hid_t space = H5Aget_space(attr);
    hid_t type = H5Aget_type(attr);
    char **values = calloc(n, sizeof *values);
    hid_t mem = string_type(H5T_VARIABLE);
    if (H5Tget_class(type) != H5T_STRING || H5Sget_simple_extent_npoints(space) != (hssize_t)n) {
        status = ecg_fail(err, ECG_ERR_FORMAT, "%s: attribute '%s' is not %zu strings", path, name, n);
    } else if (!values || H5Aread(attr, mem, values) < 0) {
        status = ecg_fail(err, ECG_ERR_FORMAT, "%s: cannot read attribute '%s'", path, name);
    } else {
        for (size_t i = 0; i < n; i++)
            snprintf(bufs + i * size, size, "%s", values[i] ? values[i] : "");
        H5Dvlen_reclaim(mem, space, H5P_DEFAULT, values);
    }
    free(values);
    H5Tclose(mem);
    H5Tclose(type);
    H5Sclose(space);
    H5Aclose(attr);
    return status;
}

/* ---- 1-D datasets ---- */

int ecg_h5_write_1d(hid_t loc, const char *name, hid_t file_type, hid_t mem_type, size_t n,
                    const void *data, const char *path, EcgError *err)
{
    hsize_t dims[1] = {n};
    hid_t space = H5Screate_simple(1, dims, NULL);
    hid_t dset = H5Dcreate2(loc, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int status = ECG_OK;
    if (dset < 0 || (n > 0 && H5Dwrite(dset, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0))
        status = ecg_fail(err, ECG_ERR_IO, "%s: cannot write dataset '%s'", path, name);
    if (dset >= 0)
        H5Dclose(dset);
    H5Sclose(space);
    return status;
}

int ecg_h5_write_strings(hid_t loc, const char *name, const char *const *values, size_t n,
                         const char *path, EcgError *err)
{
    hid_t type = string_type(H5T_VARIABLE);
    int status = ecg_h5_write_1d(loc, name, type, type, n, values, path, err);
    H5Tclose(type);
    return status;
}

int ecg_h5_read_1d(hid_t loc, const char *name, hid_t mem_type, size_t n, void *data, const char *path,
                   EcgError *err)
{
    if (H5Lexists(loc, name, H5P_DEFAULT) <= 0)
        return ecg_fail(err, ECG_ERR_FORMAT, "%s: no dataset '%s'", path, name);
    hid_t dset = H5Dopen2(loc, name, H5P_DEFAULT);
    if (dset < 0)
        return ecg_fail(err, ECG_ERR_FORMAT, "%s: cannot open dataset '%s'", path, name);
    int status = ECG_OK;
    hid_t space = H5Dget_space(dset);
    hsize_t dims[H5S_MAX_RANK];
    int rank = H5Sget_simple_extent_dims(space, dims, NULL);
    if (rank != 1 || dims[0] != n)
        status = ecg_fail(err, ECG_ERR_FORMAT, "%s: dataset '%s' has %llu entries, expected %zu", path, name,
                          rank == 1 ? (unsigned long long)dims[0] : 0ULL, n);
    else if (n > 0 && H5Dread(dset, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
        status = ecg_fail(err, ECG_ERR_FORMAT, "%s: cannot read dataset '%s' as the expected type", path, name);
    H5Sclose(space);
    H5Dclose(dset);
    return status;
}
