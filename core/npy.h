/* npy.h — ECGs stored as NumPy .npy arrays. */
#pragma once

#include <stddef.h>

#include "record.h"
#include "status.h"

/* Read a 2-D array of little-endian float32, float64 or int16 ('<f4', '<f8',
 * '<i2'), C or Fortran order, as a record in mV (values are taken as mV as they
 * are, int16 too). The axis of length 12 holds the leads: (T, 12) or (12, T); when
 * both or neither axis is 12, the shorter axis holds the leads (the columns when
 * equal). Leads are named I ... V6 when there are 12, else "lead 1", "lead 2", ...
 * rec->fs = fs (the file has none), rec->id = the file name without directory and
 * ".npy". Errors name the file and the problem: bad magic, unsupported dtype, rank
 * other than 2, truncated data, NaN or infinite samples (with lead and sample). */
int ecg_npy_read_record(const char *path, double fs, EcgRecord *rec, EcgError *err);

/* Write data (rows, cols), C order, as a '<f4' .npy file: to a temporary file,
 * renamed over path. */
int ecg_npy_write_f32(const char *path, const float *data, size_t rows, size_t cols, EcgError *err);
