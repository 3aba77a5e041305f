/* h5util.h — small checked helpers shared by the HDF5 modules (dataset.c, and
 * checkpoint.c, later annotations.c). Internal: this header includes hdf5.h
 * and is only included by those modules. Each helper returns 0 or a negative
 * EcgStatus with a message naming the file (path) and the object. */
#pragma once

#include <hdf5.h>
#include <stddef.h>

#include "status.h"

/* Turn off HDF5's own error printing (once per process, thread-safe). */
void ecg_h5_quiet(void);

/* Open an ecglens file read-only and check its root attributes: format must be
 * format and version must be version. what names the kind of file in messages:
 * "path: not an HDF5 file", "path: not an ecglens <what> (format is '...')",
 * "path: <what> version 2, this ecglens reads version 1"; a file that starts like
 * HDF5 but does not open is "truncated, damaged or locked" (ECG_ERR_FORMAT), a
 * file that cannot be read at all ECG_ERR_IO. format NULL accepts any HDF5 file. */
int ecg_h5_open_format(const char *path, const char *format, long version, const char *what, hid_t *file,
                       EcgError *err);

/* Create "<path>.tmp-XXXXXX" beside path and open it as a new HDF5 file; the
 * temporary name is written to tmp_path (size bytes). */
int ecg_h5_create_temp(const char *path, char *tmp_path, size_t size, hid_t *file, EcgError *err);
/* Flush and close file, fsync the temporary file and rename it over path. On
 * failure the temporary file is removed and path is left as it was. */
int ecg_h5_commit_temp(hid_t file, const char *tmp_path, const char *path, EcgError *err);
/* Close file (if open) and remove the temporary file. */
void ecg_h5_discard_temp(hid_t file, const char *tmp_path);

int ecg_h5_write_attr_string(hid_t obj, const char *name, const char *value, const char *path, EcgError *err);
int ecg_h5_write_attr_double(hid_t obj, const char *name, double value, const char *path, EcgError *err);
int ecg_h5_write_attr_int(hid_t obj, const char *name, long value, const char *path, EcgError *err);
/* n variable-length strings as one attribute */
int ecg_h5_write_attr_strings(hid_t obj, const char *name, const char *const *values, size_t n,
                              const char *path, EcgError *err);

/* Read an attribute; a missing one is ECG_ERR_FORMAT "path: <where> has no attribute 'name'". */
int ecg_h5_read_attr_string(hid_t obj, const char *name, char *buf, size_t size, const char *path,
                            EcgError *err);
int ecg_h5_read_attr_double(hid_t obj, const char *name, double *value, const char *path, EcgError *err);
int ecg_h5_read_attr_int(hid_t obj, const char *name, long *value, const char *path, EcgError *err);
/* n strings of a string-array attribute into bufs[i] of size bytes each */
int ecg_h5_read_attr_strings(hid_t obj, const char *name, char *bufs, size_t n, size_t size,
                             const char *path, EcgError *err);

/* A new group at name, or H5I_INVALID_HID with err set. Objects are created
 * without time stamps, so the same content gives the same bytes. */
hid_t ecg_h5_create_group(hid_t loc, const char *name, const char *path, EcgError *err);
/* The existing group at name, or H5I_INVALID_HID with err set ("path: no group '/name'"). */
hid_t ecg_h5_open_group(hid_t loc, const char *name, const char *path, EcgError *err);

/* A whole dataset of rank dimensions dims of mem_type (file type file_type), contiguous. */
int ecg_h5_write_nd(hid_t loc, const char *name, hid_t file_type, hid_t mem_type, int rank, const size_t *dims,
                    const void *data, const char *path, EcgError *err);
/* A whole 1-D dataset of n elements of mem_type (file type file_type) at name. */
int ecg_h5_write_1d(hid_t loc, const char *name, hid_t file_type, hid_t mem_type, size_t n,
                    const void *data, const char *path, EcgError *err);
/* n variable-length UTF-8 strings as a 1-D dataset */
int ecg_h5_write_strings(hid_t loc, const char *name, const char *const *values, size_t n,
                         const char *path, EcgError *err);
/* Read a 1-D dataset that must hold exactly n elements into data as mem_type. */
int ecg_h5_read_1d(hid_t loc, const char *name, hid_t mem_type, size_t n, void *data, const char *path,
                   EcgError *err);
/* Read a 1-D dataset of any length into a malloc'ed array of mem_type (*n
 * elements; *data is NULL when there are none). */
int ecg_h5_read_1d_alloc(hid_t loc, const char *name, hid_t mem_type, void **data, size_t *n, const char *path,
                         EcgError *err);
/* The rank and dimensions of the dataset at name ("path: no dataset 'name'" when
 * there is none, "'name' is not a dataset" for another object). */
int ecg_h5_dataset_shape(hid_t loc, const char *name, int *rank, hsize_t dims[H5S_MAX_RANK], const char *path,
                         EcgError *err);
/* Read all of the dataset at name into data as mem_type; the caller has checked its shape. */
int ecg_h5_read_whole(hid_t loc, const char *name, hid_t mem_type, void *data, const char *path, EcgError *err);
