#include "csv.h"

#include "fileio.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The parser unquotes in place into a copy of the text: a field never grows when
 * its quotes are removed, so each field is written at or before where it was read. */

typedef struct {
    char **cells;
    size_t n, cap;
} CellList;

static int cells_push(CellList *list, char *cell)
{
    if (list->n == list->cap) {
        size_t cap = list->cap ? 2 * list->cap : 1024;
        char **cells = realloc(list->cells, cap * sizeof *cells);
        if (!cells)
            return ECG_ERR_NOMEM;
        list->cells = cells;
        list->cap = cap;
    }
    list->cells[list->n++] = cell;
    return ECG_OK;
}

/* Parse one field starting at buf[*in] into buf + *out (NUL-terminated), and
 * return in *delim what ended it (',', '\r', '\n', or '\0' at the end of the
 * text), read before the NUL may overwrite it; *in moves past a ','. */
static int parse_field(const char *name, char *buf, size_t size, size_t *in, size_t *out, size_t *line,
                       char *delim, EcgError *err)
{
    size_t i = *in, o = *out;
    if (i < size && buf[i] == '"') {
        size_t quote_line = *line;
        for (i++;; i++) {
            if (i >= size)
                return ecg_fail(err, ECG_ERR_FORMAT, "%s: line %zu: quoted field never closed", name,
                                quote_line);
            if (buf[i] == '"') {
                if (i + 1 < size && buf[i + 1] == '"') {
                    buf[o++] = buf[i++]; /* a doubled quote stands for one */
                    continue;
                }
                i++;
                break;
            }
            if (buf[i] == '\n')
                (*line)++;
            buf[o++] = buf[i];
        }
        if (i < size && buf[i] != ',' && buf[i] != '\n' && buf[i] != '\r')
            return ecg_fail(err, ECG_ERR_FORMAT, "%s: line %zu: text after a closing quote", name, *line);
    } else {
        for (; i < size && buf[i] != ',' && buf[i] != '\n' && buf[i] != '\r'; i++) {
            if (buf[i] == '"')
                return ecg_fail(err, ECG_ERR_FORMAT, "%s: line %zu: quote inside an unquoted field", name,
                                *line);
            buf[o++] = buf[i];
        }
    }
    *delim = i < size ? buf[i] : '\0';
    buf[o++] = '\0';
    *in = i + (*delim == ',');
    *out = o;
    return ECG_OK;
}

int ecg_csv_parse(const char *name, const char *text, size_t size, EcgCsv *csv, EcgError *err)
{
    memset(csv, 0, sizeof *csv);
    if (size == 0)
        return ecg_fail(err, ECG_ERR_FORMAT, "%s: empty file, expected a header row", name);
    /* one extra byte: the last field's NUL when the file does not end in a line break */
    char *buf = malloc(size + 1);
    if (!buf)
        return ecg_fail(err, ECG_ERR_NOMEM, "%s: out of memory for %zu bytes", name, size);
    memcpy(buf, text, size);

    CellList list = {0};
    size_t n_cols = 0, n_rows = 0, line = 1, in = 0, out = 0;
    int status = ECG_OK;
    while (in < size) {
        if (buf[in] == '\n' || buf[in] == '\r') { /* blank line */
            line += buf[in++] == '\n';
            continue;
        }
        size_t row_line = line, fields = 0;
        char delim;
        for (;;) {
            char *field = buf + out;
            status = parse_field(name, buf, size, &in, &out, &line, &delim, err);
            if (status != ECG_OK)
                goto fail;
            if (cells_push(&list, field) != ECG_OK) {
                status = ecg_fail(err, ECG_ERR_NOMEM, "%s: out of memory", name);
                goto fail;
            }
            fields++;
            if (delim != ',')
                break;
        }
        /* past the line end (its first byte may now hold the last field's NUL) */
        if (delim == '\r')
            in++;
        if (delim == '\n' || (delim == '\r' && in < size && buf[in] == '\n'))
            in++;
        line++;
        if (n_cols == 0) {
            n_cols = fields;
        } else if (fields != n_cols) {
            status = ecg_fail(err, ECG_ERR_FORMAT, "%s: line %zu: %zu fields where the header has %zu",
                              name, row_line, fields, n_cols);
            goto fail;
        } else {
            n_rows++;
        }
    }
    if (n_cols == 0) {
        status = ecg_fail(err, ECG_ERR_FORMAT, "%s: no header row", name);
        goto fail;
    }
    csv->n_rows = n_rows;
    csv->n_cols = n_cols;
    csv->cells = list.cells;
    csv->text = buf;
    return ECG_OK;

fail:
    free(list.cells);
    free(buf);
    return status;
}

int ecg_csv_read(const char *path, EcgCsv *csv, EcgError *err)
{
    memset(csv, 0, sizeof *csv);
    char *text;
    size_t size;
    int status = ecg_file_read_all(path, &text, &size, err);
    if (status != ECG_OK)
        return status;
    status = ecg_csv_parse(path, text, size, csv, err);
    free(text);
    return status;
}

void ecg_csv_clear(EcgCsv *csv)
{
    free(csv->cells);
    free(csv->text);
    memset(csv, 0, sizeof *csv);
}

int ecg_csv_column(const EcgCsv *csv, const char *name)
{
    for (size_t c = 0; c < csv->n_cols; c++)
        if (strcmp(csv->cells[c], name) == 0)
            return (int)c;
    return -1;
}
