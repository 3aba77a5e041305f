/* dataset.h — the ecglens HDF5 dataset store (DESIGN §3).
 *
 * Opening reads the numeric metadata columns only (a few hundred kB for all of
 * PTB-XL); a record's signal is one hyperslab of /signals, and the text columns
 * (scp_codes, report, filename) are read one element at a time on demand. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "record.h"
#include "status.h"

/* /records/superclass bits: diagnostic superclasses of PTB-XL. */
enum {
    ECG_SC_NORM = 1 << 0,
    ECG_SC_MI = 1 << 1,
    ECG_SC_STTC = 1 << 2,
    ECG_SC_CD = 1 << 3,
    ECG_SC_HYP = 1 << 4,
    ECG_N_SUPERCLASSES = 5,
};
extern const char *const ecg_superclass_names[ECG_N_SUPERCLASSES]; /* "NORM", "MI", ... */

/* /records/quality bits: PTB-XL's signal-quality columns (non-empty = set). */
enum {
    ECG_Q_BASELINE_DRIFT = 1 << 0,
    ECG_Q_STATIC_NOISE = 1 << 1,
    ECG_Q_BURST_NOISE = 1 << 2,
    ECG_Q_ELECTRODES_PROBLEMS = 1 << 3,
    ECG_Q_EXTRA_BEATS = 1 << 4,
    ECG_Q_PACEMAKER = 1 << 5,
    ECG_N_QUALITY_FLAGS = 6,
};
extern const char *const ecg_quality_names[ECG_N_QUALITY_FLAGS]; /* "baseline_drift", ... */

typedef struct {
    int32_t ecg_id;
    int32_t patient_id;  /* -1 unknown */
    float age;           /* NaN unknown */
    int8_t sex;          /* 0 male, 1 female, -1 unknown */
    int8_t strat_fold;   /* 1..10, 0 unknown */
    uint8_t superclass;  /* ECG_SC_* bits */
    uint8_t quality;     /* ECG_Q_* bits */
} EcgRecordMeta;

typedef enum {
    ECG_COL_SCP_CODES,
    ECG_COL_REPORT,
    ECG_COL_FILENAME,
} EcgTextColumn;

/* ---- reading ---- */

typedef struct EcgDataset EcgDataset;

/* Open an ecglens dataset; a file of another layout is refused with a message
 * naming the file and what is missing. */
int ecg_dataset_open(const char *path, EcgDataset **out, EcgError *err);
void ecg_dataset_close(EcgDataset *ds);

size_t ecg_dataset_count(const EcgDataset *ds);
double ecg_dataset_fs(const EcgDataset *ds);
size_t ecg_dataset_n_samples(const EcgDataset *ds);     /* T of every record */
double ecg_dataset_gain(const EcgDataset *ds);          /* counts per mV */
const char *ecg_dataset_source(const EcgDataset *ds);   /* e.g. "PTB-XL 1.0.3" */
const char *ecg_dataset_path(const EcgDataset *ds);
const EcgRecordMeta *ecg_dataset_meta(const EcgDataset *ds, size_t index);

/* Read record index into rec (initialised here; clear it with ecg_record_clear)
 * in mV with the dataset's 12 lead names. */
int ecg_dataset_read_record(EcgDataset *ds, size_t index, EcgRecord *rec, EcgError *err);

/* The raw int16 counts of record index, (T, 12) time-major, into counts. */
int ecg_dataset_read_counts(EcgDataset *ds, size_t index, int16_t *counts, EcgError *err);

/* One text cell, NUL-terminated and truncated to size. */
int ecg_dataset_read_text(EcgDataset *ds, size_t index, EcgTextColumn col, char *buf, size_t size,
                          EcgError *err);

/* ---- writing ---- */

typedef struct EcgDatasetWriter EcgDatasetWriter;

/* Start a dataset of records of n_samples at fs, stored as int16 at gain counts
 * per mV. Everything goes to a temporary file beside path; path itself is only
 * replaced by ecg_dataset_writer_commit, so an existing file survives any failure. */
int ecg_dataset_writer_open(const char *path, double fs, size_t n_samples, double gain,
                            const char *source, EcgDatasetWriter **out, EcgError *err);

/* Append one record given as int16 counts, (T, 12) time-major, in standard lead order. */
int ecg_dataset_writer_add_counts(EcgDatasetWriter *w, const EcgRecordMeta *meta, const int16_t *counts,
                                  const char *scp_codes, const char *report, const char *filename,
                                  EcgError *err);

/* Append one record in mV (any lead order; all 12 standard leads required, finite,
 * n_samples at fs), rounded to counts at the dataset's gain. */
int ecg_dataset_writer_add_record(EcgDatasetWriter *w, const EcgRecordMeta *meta, const EcgRecord *rec,
                                  const char *scp_codes, const char *report, const char *filename,
                                  EcgError *err);

size_t ecg_dataset_writer_count(const EcgDatasetWriter *w);

/* Write the metadata, close and rename over path. Frees w whatever the outcome;
 * on failure the temporary file is removed and path is untouched. */
int ecg_dataset_writer_commit(EcgDatasetWriter *w, EcgError *err);

/* Drop everything written so far and free w; path is untouched. */
void ecg_dataset_writer_abort(EcgDatasetWriter *w);
