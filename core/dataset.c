#include "dataset.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "h5util.h"

const char *const ecg_superclass_names[ECG_N_SUPERCLASSES] = {"NORM", "MI", "STTC", "CD", "HYP"};
const char *const ecg_quality_names[ECG_N_QUALITY_FLAGS] = {
    "baseline_drift", "static_noise", "burst_noise", "electrodes_problems", "extra_beats", "pacemaker",
};

enum { N_LEADS = ECG_N_STANDARD_LEADS, DATASET_VERSION = 1, DEFLATE_LEVEL = 4 };
static const char FORMAT_NAME[] = "ecglens-dataset";
static const char *const TEXT_COLUMNS[] = {"scp_codes", "report", "filename"};

/* ---- the chunk codec ----
 * Every record is one chunk of /signals, filtered by HDF5's shuffle and then its
 * deflate filter. The store applies those two filters itself and moves whole
 * chunks with H5Dwrite_chunk / H5Dread_chunk: the file stays an ordinary
 * shuffle + deflate dataset that any HDF5 reader opens, while import and reading
 * skip the copies of HDF5's filter pipeline. */

/* Bit i of a chunk's filter mask set means filter i of the pipeline was skipped. */
enum { SKIPPED_SHUFFLE = 1u << 0, SKIPPED_DEFLATE = 1u << 1 };

/* HDF5's shuffle of n int16: all low bytes, then all high bytes. */
static void shuffle_int16(const int16_t *values, size_t n, uint8_t *bytes /* (2n) */)
{
    for (size_t i = 0; i < n; i++) {
        uint16_t v = (uint16_t)values[i];
        bytes[i] = (uint8_t)(v & 0xff);
        bytes[n + i] = (uint8_t)(v >> 8);
    }
}

static void unshuffle_int16(const uint8_t *bytes /* (2n) */, size_t n, int16_t *values)
{
    for (size_t i = 0; i < n; i++)
        values[i] = (int16_t)(uint16_t)(bytes[i] | (bytes[n + i] << 8));
}

/* The file-side bytes and filter mask of one chunk of n values: shuffled, then
 * deflated unless that would not make it smaller (HDF5's deflate is optional and
 * skips itself the same way). */
static void encode_chunk(const int16_t *values, size_t n, uint8_t *shuffled /* (2n) scratch */,
                         uint8_t *stored /* (compressBound(2n)) */, size_t *stored_size, uint32_t *mask)
{
    shuffle_int16(values, n, shuffled);
    uLongf size = compressBound((uLong)(2 * n));
    if (compress2(stored, &size, shuffled, (uLong)(2 * n), DEFLATE_LEVEL) == Z_OK && size < 2 * n) {
        *stored_size = size;
        *mask = 0;
    } else {
        memcpy(stored, shuffled, 2 * n);
        *stored_size = 2 * n;
        *mask = SKIPPED_DEFLATE;
    }
}

/* Undo encode_chunk (or HDF5's own pipeline): values of n int16 from stored bytes. */
static int decode_chunk(const uint8_t *stored, size_t stored_size, uint32_t mask, size_t n,
                        uint8_t *shuffled /* (2n) scratch */, int16_t *values)
{
    const uint8_t *bytes = stored;
    if (!(mask & SKIPPED_DEFLATE)) {
        uLongf size = (uLongf)(2 * n);
        if (uncompress(shuffled, &size, stored, (uLong)stored_size) != Z_OK || size != 2 * n)
            return ECG_ERR_FORMAT;
        bytes = shuffled;
    } else if (stored_size != 2 * n) {
        return ECG_ERR_FORMAT;
    }
    if (mask & SKIPPED_SHUFFLE)
        for (size_t i = 0; i < n; i++)
            values[i] = (int16_t)(uint16_t)(bytes[2 * i] | (bytes[2 * i + 1] << 8));
    else
        unshuffle_int16(bytes, n, values);
    return ECG_OK;
}

/* The metadata columns of /records that are read at open, with their types. */
#define META_COLUMNS(X)                                      \
    X(ecg_id, int32_t, H5T_STD_I32LE, H5T_NATIVE_INT32)       \
    X(patient_id, int32_t, H5T_STD_I32LE, H5T_NATIVE_INT32)   \
    X(age, float, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT)           \
    X(sex, int8_t, H5T_STD_I8LE, H5T_NATIVE_INT8)             \
    X(strat_fold, int8_t, H5T_STD_I8LE, H5T_NATIVE_INT8)      \
    X(superclass, uint8_t, H5T_STD_U8LE, H5T_NATIVE_UINT8)    \
    X(quality, uint8_t, H5T_STD_U8LE, H5T_NATIVE_UINT8)

struct EcgDataset {
    char *path;
    hid_t file;
    hid_t signals;                 /* /signals [N, T, 12] int16 */
    hid_t text[3];                 /* /records/<text column>, opened on first use */
    size_t n_records, n_samples;
    double fs, gain;
    char source[128];
    char lead_names[N_LEADS][ECG_LEAD_NAME_MAX];
    EcgRecordMeta *meta;           /* (n_records) */
    int16_t *counts;               /* (T, 12) scratch for one record */
    int direct;                    /* chunks are (1, T, 12) shuffle + deflate: decode them here */
    uint8_t *stored, *shuffled;    /* scratch of the chunk codec: (stored_cap), (2 T 12) */
    size_t stored_cap;
};

/* ---- reading ---- */

static int read_meta_columns(EcgDataset *ds, hid_t records, EcgError *err)
{
    size_t n = ds->n_records;
    void *column = malloc(n * sizeof(int32_t) + 1);
    if (!column)
        return ecg_fail(err, ECG_ERR_NOMEM, "%s: out of memory for %zu records", ds->path, n);
    int status = ECG_OK;
#define READ_COLUMN(name, ctype, file_type, mem_type)                                        \
    if (status == ECG_OK) {                                                                  \
        status = ecg_h5_read_1d(records, #name, mem_type, n, column, ds->path, err);         \
        for (size_t i = 0; status == ECG_OK && i < n; i++)                                   \
            ds->meta[i].name = ((const ctype *)column)[i];                                   \
    }
    META_COLUMNS(READ_COLUMN)
#undef READ_COLUMN
    free(column);
    return status;
}

/* Whether /signals is chunked one record per chunk with exactly the filters
 * shuffle then deflate, so that the chunk codec can read it. */
static int has_codec_layout(const EcgDataset *ds)
{
    hid_t dcpl = H5Dget_create_plist(ds->signals);
    hsize_t chunk[3];
    unsigned flags, values[8];
    size_t n_values = 8;
    int ok = dcpl >= 0 && H5Pget_layout(dcpl) == H5D_CHUNKED && H5Pget_chunk(dcpl, 3, chunk) == 3 &&
             chunk[0] == 1 && chunk[1] == ds->n_samples && chunk[2] == N_LEADS && H5Pget_nfilters(dcpl) == 2 &&
             H5Pget_filter2(dcpl, 0, &flags, &n_values, values, 0, NULL, NULL) == H5Z_FILTER_SHUFFLE;
    n_values = 8;
    ok = ok && H5Pget_filter2(dcpl, 1, &flags, &n_values, values, 0, NULL, NULL) == H5Z_FILTER_DEFLATE;
    if (dcpl >= 0)
        H5Pclose(dcpl);
    return ok;
}

static int check_signals(EcgDataset *ds, EcgError *err)
{
    hid_t space = H5Dget_space(ds->signals);
    hid_t type = H5Dget_type(ds->signals);
    hsize_t dims[H5S_MAX_RANK];
    int rank = H5Sget_simple_extent_dims(space, dims, NULL);
    int status = ECG_OK;
    if (rank != 3 || dims[2] != N_LEADS)
        status = ecg_fail(err, ECG_ERR_FORMAT, "%s: /signals must be [records, samples, 12], found rank %d%s",
                          ds->path, rank, rank == 3 ? " with other than 12 leads" : "");
    else if (H5Tget_class(type) != H5T_INTEGER || H5Tget_size(type) != 2)
        status = ecg_fail(err, ECG_ERR_FORMAT, "%s: /signals must hold int16 counts", ds->path);
    else if (dims[1] == 0)
        status = ecg_fail(err, ECG_ERR_FORMAT, "%s: /signals has records of 0 samples", ds->path);
    else {
        ds->n_records = dims[0];
        ds->n_samples = dims[1];
    }
    H5Tclose(type);
    H5Sclose(space);
    return status;
}

int ecg_dataset_open(const char *path, EcgDataset **out, EcgError *err)
{
    ecg_h5_quiet();
    *out = NULL;
    EcgDataset *ds = calloc(1, sizeof *ds);
    if (!ds || !(ds->path = strdup(path))) {
        free(ds);
        return ecg_fail(err, ECG_ERR_NOMEM, "%s: out of memory", path);
    }
    ds->file = ds->signals = H5I_INVALID_HID;
    for (int c = 0; c < 3; c++)
        ds->text[c] = H5I_INVALID_HID;
    hid_t records = H5I_INVALID_HID;
    int status = ECG_OK;

    if ((status = ecg_h5_open_format(path, FORMAT_NAME, DATASET_VERSION, "dataset", &ds->file, err)) != ECG_OK)
        goto fail;
    if (H5Aexists(ds->file, "source") > 0 &&
        (status = ecg_h5_read_attr_string(ds->file, "source", ds->source, sizeof ds->source, path, err)) != ECG_OK)
        goto fail;
    if (H5Lexists(ds->file, "signals", H5P_DEFAULT) <= 0 || H5Lexists(ds->file, "records", H5P_DEFAULT) <= 0) {
        status = ecg_fail(err, ECG_ERR_FORMAT, "%s: missing /signals or /records", path);
        goto fail;
    }
    ds->signals = H5Dopen2(ds->file, "signals", H5P_DEFAULT);
    if (ds->signals < 0) {
        status = ecg_fail(err, ECG_ERR_FORMAT, "%s: /signals is not a dataset", path);
        goto fail;
    }
    if ((status = check_signals(ds, err)) != ECG_OK ||
        (status = ecg_h5_read_attr_double(ds->signals, "fs", &ds->fs, path, err)) != ECG_OK ||
        (status = ecg_h5_read_attr_double(ds->signals, "gain", &ds->gain, path, err)) != ECG_OK ||
        (status = ecg_h5_read_attr_strings(ds->signals, "lead_names", ds->lead_names[0], N_LEADS,
                                           ECG_LEAD_NAME_MAX, path, err)) != ECG_OK)
        goto fail;
    if (!(ds->fs > 0) || !(ds->gain > 0)) {
        status = ecg_fail(err, ECG_ERR_FORMAT, "%s: /signals has fs %g and gain %g, both must be positive", path,
                          ds->fs, ds->gain);
        goto fail;
    }
    ds->meta = calloc(ds->n_records ? ds->n_records : 1, sizeof *ds->meta);
    ds->counts = malloc(ds->n_samples * N_LEADS * sizeof *ds->counts);
    ds->direct = has_codec_layout(ds);
    ds->shuffled = malloc(2 * ds->n_samples * N_LEADS);
    if (!ds->meta || !ds->counts || !ds->shuffled) {
        status = ecg_fail(err, ECG_ERR_NOMEM, "%s: out of memory for %zu records", path, ds->n_records);
        goto fail;
    }
    records = H5Gopen2(ds->file, "records", H5P_DEFAULT);
    if (records < 0) {
        status = ecg_fail(err, ECG_ERR_FORMAT, "%s: /records is not a group", path);
        goto fail;
    }
    if ((status = read_meta_columns(ds, records, err)) != ECG_OK)
        goto fail;
    H5Gclose(records);
    *out = ds;
    return ECG_OK;

fail:
    if (records >= 0)
        H5Gclose(records);
    ecg_dataset_close(ds);
    return status;
}

void ecg_dataset_close(EcgDataset *ds)
{
    if (!ds)
        return;
    for (int c = 0; c < 3; c++)
        if (ds->text[c] >= 0)
            H5Dclose(ds->text[c]);
    if (ds->signals >= 0)
        H5Dclose(ds->signals);
    if (ds->file >= 0)
        H5Fclose(ds->file);
    free(ds->meta);
    free(ds->counts);
    free(ds->stored);
    free(ds->shuffled);
    free(ds->path);
    free(ds);
}

size_t ecg_dataset_count(const EcgDataset *ds) { return ds->n_records; }
double ecg_dataset_fs(const EcgDataset *ds) { return ds->fs; }
size_t ecg_dataset_n_samples(const EcgDataset *ds) { return ds->n_samples; }
double ecg_dataset_gain(const EcgDataset *ds) { return ds->gain; }
const char *ecg_dataset_source(const EcgDataset *ds) { return ds->source; }
const char *ecg_dataset_path(const EcgDataset *ds) { return ds->path; }

const EcgRecordMeta *ecg_dataset_meta(const EcgDataset *ds, size_t index)
{
    return index < ds->n_records ? &ds->meta[index] : NULL;
}

/* One record's chunk through the chunk codec. */
static int read_chunk(EcgDataset *ds, size_t index, int16_t *counts)
{
    hsize_t offset[3] = {index, 0, 0};
    hsize_t size = 0;
    uint32_t mask = 0;
    if (H5Dget_chunk_storage_size(ds->signals, offset, &size) < 0 || size == 0)
        return ECG_ERR_FORMAT;
    if (size > ds->stored_cap) {
        uint8_t *stored = realloc(ds->stored, size);
        if (!stored)
            return ECG_ERR_NOMEM;
        ds->stored = stored;
        ds->stored_cap = size;
    }
    if (H5Dread_chunk(ds->signals, H5P_DEFAULT, offset, &mask, ds->stored) < 0)
        return ECG_ERR_IO;
    return decode_chunk(ds->stored, size, mask, ds->n_samples * N_LEADS, ds->shuffled, counts);
}

int ecg_dataset_read_counts(EcgDataset *ds, size_t index, int16_t *counts, EcgError *err)
{
    if (index >= ds->n_records)
        return ecg_fail(err, ECG_ERR_ARG, "%s: record %zu out of range (%zu records)", ds->path, index,
                        ds->n_records);
    int status = ECG_OK;
    if (ds->direct) {
        status = read_chunk(ds, index, counts);
    } else {
        hsize_t start[3] = {index, 0, 0}, count[3] = {1, ds->n_samples, N_LEADS};
        hid_t file_space = H5Dget_space(ds->signals);
        hid_t mem_space = H5Screate_simple(3, count, NULL);
        if (H5Sselect_hyperslab(file_space, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
            H5Dread(ds->signals, H5T_NATIVE_INT16, mem_space, file_space, H5P_DEFAULT, counts) < 0)
            status = ECG_ERR_IO;
        H5Sclose(mem_space);
        H5Sclose(file_space);
    }
    if (status != ECG_OK)
        return ecg_fail(err, status, "%s: cannot read the signal of record %zu (damaged file?)", ds->path, index);
    return ECG_OK;
}

int ecg_dataset_read_record(EcgDataset *ds, size_t index, EcgRecord *rec, EcgError *err)
{
    int status = ecg_dataset_read_counts(ds, index, ds->counts, err);
    if (status != ECG_OK)
        return status;
    if ((status = ecg_record_init(rec, N_LEADS, ds->n_samples, ds->fs, err)) != ECG_OK)
        return status;
    snprintf(rec->id, sizeof rec->id, "%d", (int)ds->meta[index].ecg_id);
    const float gain = (float)ds->gain; /* divide, not multiply by 1/gain: counts / gain exactly rounded */
    for (size_t l = 0; l < N_LEADS; l++) {
        ecg_record_set_lead_name(rec, l, ds->lead_names[l]);
        strcpy(rec->leads[l].units, "mV");
        float *x = ecg_record_lead(rec, l); // (T)
        for (size_t t = 0; t < ds->n_samples; t++)
            x[t] = (float)ds->counts[t * N_LEADS + l] / gain;
    }
    return ECG_OK;
}

int ecg_dataset_read_text(EcgDataset *ds, size_t index, EcgTextColumn col, char *buf, size_t size,
                          EcgError *err)
{
    if (size > 0)
        buf[0] = '\0';
    if (index >= ds->n_records || (unsigned)col > ECG_COL_FILENAME)
        return ecg_fail(err, ECG_ERR_ARG, "%s: no text cell %d of record %zu", ds->path, (int)col, index);
    const char *name = TEXT_COLUMNS[col];
    if (ds->text[col] < 0) {
        char dset_path[64];
        snprintf(dset_path, sizeof dset_path, "records/%s", name);
        if (H5Lexists(ds->file, "records", H5P_DEFAULT) <= 0 ||
            H5Lexists(ds->file, dset_path, H5P_DEFAULT) <= 0 ||
            (ds->text[col] = H5Dopen2(ds->file, dset_path, H5P_DEFAULT)) < 0)
            return ecg_fail(err, ECG_ERR_FORMAT, "%s: no dataset /%s", ds->path, dset_path);
    }
    hsize_t start[1] = {index}, count[1] = {1};
    hid_t file_space = H5Dget_space(ds->text[col]);
    hid_t mem_space = H5Screate_simple(1, count, NULL);
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, H5T_VARIABLE);
    H5Tset_cset(type, H5T_CSET_UTF8);
    char *value = NULL;
    int status = ECG_OK;
    if (H5Sget_simple_extent_npoints(file_space) != (hssize_t)ds->n_records ||
        H5Sselect_hyperslab(file_space, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
        H5Dread(ds->text[col], type, mem_space, file_space, H5P_DEFAULT, &value) < 0)
        status = ecg_fail(err, ECG_ERR_FORMAT, "%s: cannot read /records/%s of record %zu", ds->path, name, index);
    else if (size > 0)
        snprintf(buf, size, "%s", value ? value : "");
    if (value)
        H5free_memory(value);
    H5Tclose(type);
    H5Sclose(mem_space);
    H5Sclose(file_space);
    return status;
}

/* ---- writing ---- */

struct EcgDatasetWriter {
    char *path;
    char tmp_path[4096];
    hid_t file, signals;
    double fs, gain;
    size_t n_samples;
    size_t n, cap;          /* records written; rows allocated in /signals and below */
    EcgRecordMeta *meta;    /* (cap) */
    char **text[3];         /* (cap) owned strings of the text columns */
    int16_t *counts;        /* (T, 12) scratch */
    uint8_t *shuffled, *stored; /* chunk codec scratch: (2 T 12), (compressBound(2 T 12)) */
    char source[128];
};

int ecg_dataset_writer_open(const char *path, double fs, size_t n_samples, double gain, const char *source,
                            EcgDatasetWriter **out, EcgError *err)
{
    *out = NULL;
    if (!(fs > 0) || n_samples == 0 || !(gain > 0))
        return ecg_fail(err, ECG_ERR_ARG, "%s: dataset of %zu samples at %g Hz, gain %g", path, n_samples, fs, gain);
    EcgDatasetWriter *w = calloc(1, sizeof *w);
    size_t n_values = n_samples * N_LEADS;
    if (!w || !(w->path = strdup(path)) || !(w->counts = malloc(n_values * sizeof *w->counts)) ||
        !(w->shuffled = malloc(2 * n_values)) || !(w->stored = malloc(compressBound((uLong)(2 * n_values))))) {
        if (w) {
            free(w->path);
            free(w->counts);
            free(w->shuffled);
        }
        free(w);
        return ecg_fail(err, ECG_ERR_NOMEM, "%s: out of memory", path);
    }
    w->fs = fs;
    w->gain = gain;
    w->n_samples = n_samples;
    w->signals = H5I_INVALID_HID;
    snprintf(w->source, sizeof w->source, "%s", source ? source : "");
    int status = ecg_h5_create_temp(path, w->tmp_path, sizeof w->tmp_path, &w->file, err);
    if (status != ECG_OK) {
        w->tmp_path[0] = '\0';
        ecg_dataset_writer_abort(w);
        return status;
    }
    /* one chunk per record: reading a record is one chunk, one inflate */
    hsize_t dims[3] = {0, n_samples, N_LEADS}, max_dims[3] = {H5S_UNLIMITED, n_samples, N_LEADS};
    hsize_t chunk[3] = {1, n_samples, N_LEADS};
    hid_t space = H5Screate_simple(3, dims, max_dims);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (H5Pset_chunk(dcpl, 3, chunk) < 0 || H5Pset_shuffle(dcpl) < 0 || H5Pset_deflate(dcpl, DEFLATE_LEVEL) < 0 ||
        (w->signals = H5Dcreate2(w->file, "signals", H5T_STD_I16LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT)) < 0)
        status = ecg_fail(err, ECG_ERR_IO, "%s: cannot create /signals", path);
    H5Pclose(dcpl);
    H5Sclose(space);
    if (status != ECG_OK) {
        ecg_dataset_writer_abort(w);
        return status;
    }
    *out = w;
    return ECG_OK;
}

size_t ecg_dataset_writer_count(const EcgDatasetWriter *w) { return w->n; }

static int grow(EcgDatasetWriter *w, EcgError *err)
{
    size_t cap = w->cap ? 2 * w->cap : 256;
    EcgRecordMeta *meta = realloc(w->meta, cap * sizeof *meta);
    if (meta)
        w->meta = meta;
    int ok = meta != NULL;
    for (int c = 0; ok && c < 3; c++) {
        char **text = realloc(w->text[c], cap * sizeof *text);
        if (text)
            w->text[c] = text;
        ok = text != NULL;
    }
    hsize_t dims[3] = {cap, w->n_samples, N_LEADS};
    if (!ok)
        return ecg_fail(err, ECG_ERR_NOMEM, "%s: out of memory for %zu records", w->path, cap);
    if (H5Dset_extent(w->signals, dims) < 0)
        return ecg_fail(err, ECG_ERR_IO, "%s: cannot extend /signals to %zu records", w->path, cap);
    w->cap = cap;
    return ECG_OK;
}

int ecg_dataset_writer_add_counts(EcgDatasetWriter *w, const EcgRecordMeta *meta, const int16_t *counts,
                                  const char *scp_codes, const char *report, const char *filename, EcgError *err)
{
    int status;
    if (w->n == w->cap && (status = grow(w, err)) != ECG_OK)
        return status;
    hsize_t offset[3] = {w->n, 0, 0};
    size_t stored_size;
    uint32_t mask;
    encode_chunk(counts, w->n_samples * N_LEADS, w->shuffled, w->stored, &stored_size, &mask);
    if (H5Dwrite_chunk(w->signals, H5P_DEFAULT, mask, offset, stored_size, w->stored) < 0)
        return ecg_fail(err, ECG_ERR_IO, "%s: cannot write record %zu (disk full?)", w->path, w->n);
    const char *texts[3] = {scp_codes, report, filename};
    for (int c = 0; c < 3; c++) {
        w->text[c][w->n] = strdup(texts[c] ? texts[c] : "");
        if (!w->text[c][w->n]) {
            for (int k = 0; k < c; k++)
                free(w->text[k][w->n]);
            return ecg_fail(err, ECG_ERR_NOMEM, "%s: out of memory", w->path);
        }
    }
    w->meta[w->n++] = *meta;
    return ECG_OK;
}

int ecg_dataset_writer_add_record(EcgDatasetWriter *w, const EcgRecordMeta *meta, const EcgRecord *rec,
                                  const char *scp_codes, const char *report, const char *filename, EcgError *err)
{
    const char *what = filename && *filename ? filename : rec->id;
    if (rec->n_samples != w->n_samples || fabs(rec->fs - w->fs) > 1e-9 * w->fs)
        return ecg_fail(err, ECG_ERR_DATA, "%s: %zu samples at %g Hz, the dataset holds %zu at %g Hz", what,
                        rec->n_samples, rec->fs, w->n_samples, w->fs);
    int status = ecg_record_check_finite(rec, what, err);
    if (status != ECG_OK)
        return status;
    for (size_t l = 0; l < N_LEADS; l++) {
        int src = ecg_record_find_lead(rec, ecg_standard_leads[l]);
        if (src < 0)
            return ecg_fail(err, ECG_ERR_DATA, "%s: lead %s is missing", what, ecg_standard_leads[l]);
        const float *x = ecg_record_lead(rec, (size_t)src); // (T)
        for (size_t t = 0; t < w->n_samples; t++) {
            double c = round((double)x[t] * w->gain);
            if (c < INT16_MIN || c > INT16_MAX)
                return ecg_fail(err, ECG_ERR_DATA, "%s: lead %s sample %zu (%.3f mV) exceeds the int16 range at gain %g",
                                what, ecg_standard_leads[l], t, (double)x[t], w->gain);
            w->counts[t * N_LEADS + l] = (int16_t)c;
        }
    }
    return ecg_dataset_writer_add_counts(w, meta, w->counts, scp_codes, report, filename, err);
}

static int write_records_group(EcgDatasetWriter *w, EcgError *err)
{
    size_t n = w->n;
    hid_t records = H5Gcreate2(w->file, "records", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (records < 0)
        return ecg_fail(err, ECG_ERR_IO, "%s: cannot create /records", w->path);
    int status = ECG_OK;
    void *column = malloc(n * sizeof(int32_t) + 1);
    if (!column)
        status = ecg_fail(err, ECG_ERR_NOMEM, "%s: out of memory", w->path);
#define WRITE_COLUMN(name, ctype, file_type, mem_type)                                             \
    if (status == ECG_OK) {                                                                        \
        for (size_t i = 0; i < n; i++)                                                             \
            ((ctype *)column)[i] = w->meta[i].name;                                                \
        status = ecg_h5_write_1d(records, #name, file_type, mem_type, n, column, w->path, err);     \
    }
    META_COLUMNS(WRITE_COLUMN)
#undef WRITE_COLUMN
    free(column);
    for (int c = 0; c < 3 && status == ECG_OK; c++)
        status = ecg_h5_write_strings(records, TEXT_COLUMNS[c], (const char *const *)w->text[c], n, w->path, err);
    H5Gclose(records);
    return status;
}

int ecg_dataset_writer_commit(EcgDatasetWriter *w, EcgError *err)
{
    int status = ECG_OK;
    hsize_t dims[3] = {w->n, w->n_samples, N_LEADS};
    if (w->n == 0)
        status = ecg_fail(err, ECG_ERR_DATA, "%s: no records to write", w->path);
    else if (H5Dset_extent(w->signals, dims) < 0)
        status = ecg_fail(err, ECG_ERR_IO, "%s: cannot size /signals", w->path);
    if (status == ECG_OK)
        status = ecg_h5_write_attr_string(w->file, "format", FORMAT_NAME, w->path, err);
    if (status == ECG_OK)
        status = ecg_h5_write_attr_int(w->file, "version", DATASET_VERSION, w->path, err);
    if (status == ECG_OK)
        status = ecg_h5_write_attr_string(w->file, "source", w->source, w->path, err);
    if (status == ECG_OK)
        status = ecg_h5_write_attr_double(w->signals, "fs", w->fs, w->path, err);
    if (status == ECG_OK)
        status = ecg_h5_write_attr_double(w->signals, "gain", w->gain, w->path, err);
    if (status == ECG_OK)
        status = ecg_h5_write_attr_string(w->signals, "units", "mV", w->path, err);
    if (status == ECG_OK)
        status = ecg_h5_write_attr_strings(w->signals, "lead_names", ecg_standard_leads, N_LEADS, w->path, err);
    if (status == ECG_OK)
        status = write_records_group(w, err);
    if (status != ECG_OK) {
        ecg_dataset_writer_abort(w);
        return status;
    }
    H5Dclose(w->signals);
    w->signals = H5I_INVALID_HID;
    status = ecg_h5_commit_temp(w->file, w->tmp_path, w->path, err);
    w->file = H5I_INVALID_HID;
    w->tmp_path[0] = '\0';
    ecg_dataset_writer_abort(w);
    return status;
}

void ecg_dataset_writer_abort(EcgDatasetWriter *w)
{
    if (!w)
        return;
    if (w->signals >= 0)
        H5Dclose(w->signals);
    if (w->tmp_path[0])
        ecg_h5_discard_temp(w->file, w->tmp_path);
    for (int c = 0; c < 3; c++) {
        for (size_t i = 0; w->text[c] && i < w->n; i++)
            free(w->text[c][i]);
        free(w->text[c]);
    }
    free(w->meta);
    free(w->counts);
    free(w->shuffled);
    free(w->stored);
    free(w->path);
    free(w);
}
