/* csv.h — RFC 4180 CSV tables: quoted fields, doubled quotes, commas and line
 * breaks inside quotes, CRLF or LF line ends. The whole file is read at once. */
#pragma once

#include <stddef.h>

#include "status.h"

typedef struct {
    size_t n_rows;    /* data rows, not counting the header */
    size_t n_cols;    /* columns of the header; every row has exactly these */
    char **cells;     /* (n_rows + 1, n_cols): row 0 is the header; NUL-terminated */
    char *text;       /* owns the cell strings */
} EcgCsv;

/* Read and parse path. Errors name the file and line: an unterminated quote,
 * text after a closing quote, a row with another number of fields than the header. */
int ecg_csv_read(const char *path, EcgCsv *csv, EcgError *err);
/* Parse text (size bytes, not necessarily NUL-terminated); name is used in messages. */
int ecg_csv_parse(const char *name, const char *text, size_t size, EcgCsv *csv, EcgError *err);
void ecg_csv_clear(EcgCsv *csv);

/* Column index of the header cell equal to name, or -1. */
int ecg_csv_column(const EcgCsv *csv, const char *name);

/* Cell of data row (0-based, header excluded) and column. */
static inline const char *ecg_csv_cell(const EcgCsv *csv, size_t row, size_t col)
{
    return csv->cells[(row + 1) * csv->n_cols + col];
}
