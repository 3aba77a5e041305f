#include "h5util.h"

#include "fileio.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* HDF5's automatic error printing is a property of each thread's error stack
 * (thread-safe build), so every thread that calls into HDF5 silences its own. */
void ecg_h5_quiet(void)
{
    static _Thread_local int quiet;
    if (!quiet) {
        H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
        quiet = 1;
    }
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

int ecg_h5_open_format(const char *path, const char *format, long version, const char *what, hid_t *file,
                       EcgError *err)
{
    ecg_h5_quiet();
    *file = H5I_INVALID_HID;
    if (H5Fis_hdf5(path) <= 0) {
        FILE *f = fopen(path, "rb");
        if (!f)
            return ecg_fail(err, ECG_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
        fclose(f);
        return ecg_fail(err, ECG_ERR_FORMAT, "%s: not an HDF5 file", path);
    }
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        return ecg_fail(err, ECG_ERR_FORMAT,
                        "%s: cannot open the HDF5 file (truncated, damaged or locked by another program)", path);
    int status = ECG_OK;
    if (format) {
        char found[64] = "";
        long found_version = 0;
        if (H5Aexists(f, "format") <= 0)
            status = ecg_fail(err, ECG_ERR_FORMAT, "%s: not an ecglens %s (no 'format' attribute on /)", path, what);
        else if ((status = ecg_h5_read_attr_string(f, "format", found, sizeof found, path, err)) == ECG_OK &&
                 strcmp(found, format) != 0)
            status = ecg_fail(err, ECG_ERR_FORMAT, "%s: not an ecglens %s (format is '%s')", path, what, found);
        if (status == ECG_OK &&
            (status = ecg_h5_read_attr_int(f, "version", &found_version, path, err)) == ECG_OK &&
            found_version != version)
            status = ecg_fail(err, ECG_ERR_FORMAT, "%s: %s version %ld, this ecglens reads version %ld", path,
                              what, found_version, version);
    }
    if (status != ECG_OK) {
        H5Fclose(f);
        return status;
    }
    *file = f;
    return ECG_OK;
}

/* ---- groups ---- */

/* "/group/name" of the object name below loc, for messages. */
static const char *where(hid_t loc, const char *name, char *buf, size_t size)
{
    char parent[256] = "";
    if (H5Iget_name(loc, parent, sizeof parent) <= 0)
        parent[0] = '\0';
    size_t len = strlen(parent);
    snprintf(buf, size, "%s%s%s", parent, len > 0 && parent[len - 1] == '/' ? "" : "/", name);
    return buf;
}

/* What the object at name is (H5I_GROUP, H5I_DATASET, ...), H5I_BADID if none
 * opens there. H5Oopen rather than H5Oget_info*, whose signature changed in 1.12. */
static H5I_type_t object_type(hid_t loc, const char *name)
{
    if (H5Lexists(loc, name, H5P_DEFAULT) <= 0)
        return H5I_BADID;
    hid_t obj = H5Oopen(loc, name, H5P_DEFAULT);
    if (obj < 0)
        return H5I_BADID;
    H5I_type_t type = H5Iget_type(obj);
    H5Oclose(obj);
    return type;
}

hid_t ecg_h5_create_group(hid_t loc, const char *name, const char *path, EcgError *err)
{
    char at[320];
    hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
    hid_t group = H5I_INVALID_HID;
    if (gcpl >= 0 && H5Pset_obj_track_times(gcpl, 0) >= 0)
        group = H5Gcreate2(loc, name, H5P_DEFAULT, gcpl, H5P_DEFAULT);
    if (gcpl >= 0)
        H5Pclose(gcpl);
    if (group < 0)
        ecg_fail(err, ECG_ERR_IO, "%s: cannot create group '%s'", path, where(loc, name, at, sizeof at));
    return group;
}

hid_t ecg_h5_open_group(hid_t loc, const char *name, const char *path, EcgError *err)
{
    char at[320];
    if (H5Lexists(loc, name, H5P_DEFAULT) <= 0) {
        ecg_fail(err, ECG_ERR_FORMAT, "%s: no group '%s'", path, where(loc, name, at, sizeof at));
        return H5I_INVALID_HID;
    }
    hid_t group = H5I_INVALID_HID;
    if (object_type(loc, name) == H5I_GROUP)
        group = H5Gopen2(loc, name, H5P_DEFAULT);
    if (group < 0)
        ecg_fail(err, ECG_ERR_FORMAT, "%s: '%s' is not a group", path, where(loc, name, at, sizeof at));
    return group;
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

int ecg_h5_write_nd(hid_t loc, const char *name, hid_t file_type, hid_t mem_type, int rank, const size_t *dims,
                    const void *data, const char *path, EcgError *err)
{
    char at[320];
    hsize_t hdims[H5S_MAX_RANK];
    size_t n = 1;
    if (rank < 1 || rank > H5S_MAX_RANK)
        return ecg_fail(err, ECG_ERR_ARG, "%s: dataset '%s' of rank %d", path, name, rank);
    for (int d = 0; d < rank; d++) {
        hdims[d] = dims[d];
        n *= dims[d];
    }
    hid_t space = H5Screate_simple(rank, hdims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    hid_t dset = H5I_INVALID_HID;
    if (space >= 0 && dcpl >= 0 && H5Pset_obj_track_times(dcpl, 0) >= 0)
        dset = H5Dcreate2(loc, name, file_type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    int status = ECG_OK;
    if (dset < 0 || (n > 0 && H5Dwrite(dset, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0))
        status = ecg_fail(err, ECG_ERR_IO, "%s: cannot write dataset '%s'", path, where(loc, name, at, sizeof at));
    if (dset >= 0)
        H5Dclose(dset);
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (space >= 0)
        H5Sclose(space);
    return status;
}

int ecg_h5_write_1d(hid_t loc, const char *name, hid_t file_type, hid_t mem_type, size_t n,
                    const void *data, const char *path, EcgError *err)
{
    return ecg_h5_write_nd(loc, name, file_type, mem_type, 1, &n, data, path, err);
}

int ecg_h5_write_strings(hid_t loc, const char *name, const char *const *values, size_t n,
                         const char *path, EcgError *err)
{
    hid_t type = string_type(H5T_VARIABLE);
    int status = ecg_h5_write_1d(loc, name, type, type, n, values, path, err);
    H5Tclose(type);
    return status;
}

int ecg_h5_dataset_shape(hid_t loc, const char *name, int *rank, hsize_t dims[H5S_MAX_RANK], const char *path,
                         EcgError *err)
{
    char at[320];
    *rank = 0;
    if (H5Lexists(loc, name, H5P_DEFAULT) <= 0)
        return ecg_fail(err, ECG_ERR_FORMAT, "%s: no dataset '%s'", path, where(loc, name, at, sizeof at));
    if (object_type(loc, name) != H5I_DATASET)
        return ecg_fail(err, ECG_ERR_FORMAT, "%s: '%s' is not a dataset", path, where(loc, name, at, sizeof at));
    hid_t dset = H5Dopen2(loc, name, H5P_DEFAULT);
    if (dset < 0)
        return ecg_fail(err, ECG_ERR_FORMAT, "%s: cannot open dataset '%s'", path, where(loc, name, at, sizeof at));
    hid_t space = H5Dget_space(dset);
    int r = space >= 0 ? H5Sget_simple_extent_dims(space, dims, NULL) : -1;
    int status = ECG_OK;
    if (r < 0)
        status = ecg_fail(err, ECG_ERR_FORMAT, "%s: cannot read the shape of dataset '%s'", path,
                            where(loc, name, at, sizeof at));
    else
        *rank = r;
    if (space >= 0)
        H5Sclose(space);
    H5Dclose(dset);
    return status;
}

int ecg_h5_read_whole(hid_t loc, const char *name, hid_t mem_type, void *data, const char *path, EcgError *err)
{
    char at[320];
    hid_t dset = H5Dopen2(loc, name, H5P_DEFAULT);
    if (dset < 0)
        return ecg_fail(err, ECG_ERR_FORMAT, "%s: cannot open dataset '%s'", path, where(loc, name, at, sizeof at));
    int status = ECG_OK;
    if (H5Dread(dset, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
        status = ecg_fail(err, ECG_ERR_FORMAT, "%s: cannot read dataset '%s' as the expected type", path,
                            where(loc, name, at, sizeof at));
    H5Dclose(dset);
    return status;
}

int ecg_h5_read_1d(hid_t loc, const char *name, hid_t mem_type, size_t n, void *data, const char *path,
                   EcgError *err)
{
    char at[320];
    int rank;
    hsize_t dims[H5S_MAX_RANK];
    int status = ecg_h5_dataset_shape(loc, name, &rank, dims, path, err);
    if (status != ECG_OK)
        return status;
    if (rank != 1 || dims[0] != n)
        return ecg_fail(err, ECG_ERR_FORMAT, "%s: dataset '%s' has %llu entries, expected %zu", path,
                        where(loc, name, at, sizeof at),
                        rank == 1 ? (unsigned long long)dims[0] : 0ULL, n);
    return n > 0 ? ecg_h5_read_whole(loc, name, mem_type, data, path, err) : ECG_OK;
}

int ecg_h5_read_1d_alloc(hid_t loc, const char *name, hid_t mem_type, void **data, size_t *n, const char *path,
                         EcgError *err)
{
    char at[320];
    *data = NULL;
    *n = 0;
    int rank;
    hsize_t dims[H5S_MAX_RANK];
    int status = ecg_h5_dataset_shape(loc, name, &rank, dims, path, err);
    if (status != ECG_OK)
        return status;
    if (rank != 1)
        return ecg_fail(err, ECG_ERR_FORMAT, "%s: dataset '%s' has %d dimensions, expected 1", path,
                        where(loc, name, at, sizeof at), rank);
    size_t elem = H5Tget_size(mem_type);
    if (elem == 0 || dims[0] > SIZE_MAX / elem)
        return ecg_fail(err, ECG_ERR_FORMAT, "%s: dataset '%s' is too large", path, where(loc, name, at, sizeof at));
    if (dims[0] == 0)
        return ECG_OK;
    void *buf = malloc((size_t)dims[0] * elem);
    if (!buf)
        return ecg_fail(err, ECG_ERR_NOMEM, "%s: out of memory for dataset '%s'", path, where(loc, name, at, sizeof at));
    if ((status = ecg_h5_read_whole(loc, name, mem_type, buf, path, err)) != ECG_OK) {
        free(buf);
        return status;
    }
    *data = buf;
    *n = (size_t)dims[0];
    return ECG_OK;
}
