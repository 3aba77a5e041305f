/* npy.c — .npy reader and float32 writer; see npy.h.
 *
 * Format: "\x93NUMPY", version (major, minor), header length (2 bytes in
 * version 1, 4 in versions 2 and 3, little-endian), a Python dict literal
 * {'descr': '<f4', 'fortran_order': False, 'shape': (T, 12), } padded with
 * blanks and a newline, then the raw elements. */
#include "npy.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"

typedef struct {
    const char *descr;
    char kind;   /* 'f' IEEE float, 'i' signed integer */
    size_t size; /* bytes per element */
} NpyType;

static const NpyType npy_types[] = {{"<f4", 'f', 4}, {"<f8", 'f', 8}, {"<i2", 'i', 2}};

typedef struct {
    const NpyType *type;
    int fortran_order;
    size_t rows, cols;
    const unsigned char *data; /* (rows, cols) elements, in C or Fortran order */
} NpyArray;

/* The text after "'key':" in the header dict, blanks skipped, or NULL. */
static const char *dict_value(const char *dict, const char *key)
{
    char pattern[32];
    snprintf(pattern, sizeof pattern, "'%s':", key);
    const char *at = strstr(dict, pattern);
    if (!at)
        return NULL;
    at += strlen(pattern);
    return at + strspn(at, " ");
}

/* Parse "(d0, d1, ...)" into dims (first 2 kept); the rank, or -1 when malformed. */
static int parse_shape(const char *q, size_t dims[2])
{
    if (!q || *q++ != '(')
        return -1;
    int rank = 0;
    for (;;) {
        q += strspn(q, " ");
        if (*q == ')')
            return rank;
        if (*q < '0' || *q > '9')
            return -1;
        char *end;
        unsigned long long d = strtoull(q, &end, 10);
        if (rank < 2)
            dims[rank] = (size_t)d;
        rank++;
        q = end + strspn(end, " ");
        if (*q == ',')
            q++;
        else if (*q != ')')
            return -1;
    }
}

static int parse_dict(const char *path, const char *dict, NpyArray *a, EcgError *err)
{
    const char *descr = dict_value(dict, "descr");
    if (!descr || *descr != '\'')
        return ecg_fail(err, ECG_ERR_FORMAT, "%s: header has no 'descr'", path);
    descr++;
    int descr_len = (int)strcspn(descr, "'");
    for (size_t i = 0; i < sizeof npy_types / sizeof npy_types[0]; i++)
        if ((int)strlen(npy_types[i].descr) == descr_len &&
            strncmp(descr, npy_types[i].descr, descr_len) == 0)
            a->type = &npy_types[i];
    if (!a->type)
        return ecg_fail(err, ECG_ERR_FORMAT, "%s: unsupported dtype '%.*s' (expected '<f4', '<f8' or '<i2')",
                        path, descr_len < 16 ? descr_len : 16, descr);

    const char *order = dict_value(dict, "fortran_order");
    if (order && strncmp(order, "True", 4) == 0)
        a->fortran_order = 1;
    else if (!order || strncmp(order, "False", 5) != 0)
        return ecg_fail(err, ECG_ERR_FORMAT, "%s: header has no 'fortran_order' True or False", path);

    size_t dims[2] = {0, 0};
    int rank = parse_shape(dict_value(dict, "shape"), dims);
    if (rank < 0)
        return ecg_fail(err, ECG_ERR_FORMAT, "%s: header has no readable 'shape'", path);
    if (rank != 2)
        return ecg_fail(err, ECG_ERR_FORMAT, "%s: array of rank %d, expected 2 (samples x leads)", path,
                        rank);
    if (dims[0] == 0 || dims[1] == 0)
        return ecg_fail(err, ECG_ERR_DATA, "%s: array of shape (%zu, %zu) is empty", path, dims[0], dims[1]);
    a->rows = dims[0];
    a->cols = dims[1];
    return ECG_OK;
}

/* Check the magic, parse the header and find the elements of file (size bytes). */
static int parse_npy(const char *path, const unsigned char *file, size_t size, NpyArray *a, EcgError *err)
{
    if (size < 10 || memcmp(file, "\x93NUMPY", 6) != 0)
        return ecg_fail(err, ECG_ERR_FORMAT, "%s: not a .npy file (bad magic)", path);
    const int version = file[6];
    if (version < 1 || version > 3)
        return ecg_fail(err, ECG_ERR_FORMAT, "%s: unsupported .npy version %d", path, version);
    /* the header length has 2 bytes in version 1, 4 in versions 2 and 3 */
    const size_t start = version == 1 ? 10 : 12;
    if (size < start)
        return ecg_fail(err, ECG_ERR_FORMAT, "%s: truncated header: %zu bytes", path, size);
    size_t header_len = file[8] | (size_t)file[9] << 8;
    if (version > 1)
        header_len |= (size_t)file[10] << 16 | (size_t)file[11] << 24;
    if (header_len > size - start)
        return ecg_fail(err, ECG_ERR_FORMAT, "%s: truncated header: %zu of %zu bytes", path, size - start,
                        header_len);
    char *dict = malloc(header_len + 1);
    if (!dict)
        return ecg_fail(err, ECG_ERR_NOMEM, "%s: out of memory for the header", path);
    memcpy(dict, file + start, header_len);
    dict[header_len] = '\0';
    int s = parse_dict(path, dict, a, err);
    free(dict);
    if (s != ECG_OK)
        return s;

    size_t have = size - start - header_len;
    if (a->rows > SIZE_MAX / a->cols / a->type->size)
        return ecg_fail(err, ECG_ERR_FORMAT, "%s: shape (%zu, %zu) is too large", path, a->rows, a->cols);
    size_t need = a->rows * a->cols * a->type->size;
    if (have < need)
        return ecg_fail(err, ECG_ERR_FORMAT, "%s: truncated: %zu of %zu data bytes", path, have, need);
    a->data = file + start + header_len;
    return ECG_OK;
}

/* Element i of the array, little-endian. */
static double element(const NpyArray *a, size_t i)
{
    const unsigned char *p = a->data + i * a->type->size;
    uint64_t u = 0;
    for (size_t b = 0; b < a->type->size; b++)
        u |= (uint64_t)p[b] << (8 * b);
    if (a->type->kind == 'i')
        return (double)((int64_t)(u ^ 0x8000) - 0x8000); /* sign-extend 16 bits */
    if (a->type->size == 4) {
        uint32_t w = (uint32_t)u;
        float f;
        memcpy(&f, &w, sizeof f);
        return f;
    }
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

/* Fill rec from the array: the axis of length 12 holds the leads, else the shorter one. */
static int array_to_record(const char *path, const NpyArray *a, double fs, EcgRecord *rec, EcgError *err)
{
    const int leads_in_cols = (a->cols == 12) != (a->rows == 12) ? a->cols == 12 : a->cols <= a->rows;
    const size_t n_leads = leads_in_cols ? a->cols : a->rows, n_samples = leads_in_cols ? a->rows : a->cols;
    int s = ecg_record_init(rec, n_leads, n_samples, fs, err);
    if (s != ECG_OK)
        return s;
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    int id_len = (int)strlen(base);
    if (id_len > 4 && strcmp(base + id_len - 4, ".npy") == 0)
        id_len -= 4;
    snprintf(rec->id, sizeof rec->id, "%.*s", id_len, base);
    for (size_t l = 0; l < n_leads; l++) {
        if (n_leads == ECG_N_STANDARD_LEADS)
            ecg_record_set_lead_name(rec, l, ecg_standard_leads[l]);
        else
            snprintf(rec->leads[l].name, sizeof rec->leads[l].name, "lead %zu", l + 1);
        strcpy(rec->leads[l].units, "mV");
        float *y = ecg_record_lead(rec, l);
        for (size_t t = 0; t < n_samples; t++) {
            size_t i = leads_in_cols ? t : l, j = leads_in_cols ? l : t; /* (row, col) of the array */
            y[t] = (float)element(a, a->fortran_order ? j * a->rows + i : i * a->cols + j);
        }
    }
    return ecg_record_check_finite(rec, path, err);
}

int ecg_npy_read_record(const char *path, double fs, EcgRecord *rec, EcgError *err)
{
    memset(rec, 0, sizeof *rec);
    char *file;
    size_t size;
    int s = ecg_file_read_all(path, &file, &size, err);
    if (s != ECG_OK)
        return s;
    NpyArray a = {0};
    s = parse_npy(path, (const unsigned char *)file, size, &a, err);
    if (s == ECG_OK)
        s = array_to_record(path, &a, fs, rec, err);
    free(file);
    if (s != ECG_OK)
        ecg_record_clear(rec);
    return s;
}

int ecg_npy_write_f32(const char *path, const float *data, size_t rows, size_t cols, EcgError *err)
{
    if (rows == 0 || cols == 0 || rows > SIZE_MAX / 4 / cols)
        return ecg_fail(err, ECG_ERR_ARG, "%s: cannot write an array of shape (%zu, %zu)", path, rows, cols);
    char head[256];
    memcpy(head, "\x93NUMPY\x01\x00", 8);
    size_t len =
        10 + (size_t)snprintf(head + 10, sizeof head - 10,
                              "{'descr': '<f4', 'fortran_order': False, 'shape': (%zu, %zu), }", rows, cols);
    /* blanks and a newline up to a multiple of 64 bytes, as numpy aligns the data */
    size_t total = (len + 1 + 63) / 64 * 64;
    memset(head + len, ' ', total - len - 1);
    head[total - 1] = '\n';
    head[8] = (char)((total - 10) & 0xFF);
    head[9] = (char)((total - 10) >> 8);

    size_t n = rows * cols;
    unsigned char *body = malloc(n * 4);
    if (!body)
        return ecg_fail(err, ECG_ERR_NOMEM, "%s: out of memory for %zu values", path, n);
    for (size_t i = 0; i < n; i++) {
        uint32_t w;
        memcpy(&w, &data[i], sizeof w);
        for (int b = 0; b < 4; b++)
            body[4 * i + b] = (unsigned char)(w >> (8 * b));
    }
    int s = ecg_file_write_atomic(path, head, total, body, n * 4, err);
    free(body);
    return s;
}
