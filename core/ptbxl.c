#include "ptbxl.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "csv.h"
#include "dataset.h"
#include "wfdb.h"

enum { N_LEADS = ECG_N_STANDARD_LEADS, PTBXL_GAIN = 1000, RECORD_SECONDS = 10 };

/* ---- SCP statements ---- */

void ecg_scp_table_clear(EcgScpTable *table)
{
    free(table->codes);
    free(table->bits);
    memset(table, 0, sizeof *table);
}

int ecg_scp_table_read(const char *path, EcgScpTable *table, EcgError *err)
{
    memset(table, 0, sizeof *table);
    EcgCsv csv;
    int status = ecg_csv_read(path, &csv, err);
    if (status != ECG_OK)
        return status;
    /* the code column has an empty header in PTB-XL's file: it is the first one */
    int diagnostic = ecg_csv_column(&csv, "diagnostic");
    int klass = ecg_csv_column(&csv, "diagnostic_class");
    if (diagnostic < 0 || klass < 0) {
        status = ecg_fail(err, ECG_ERR_FORMAT, "%s: missing column '%s'", path,
                          diagnostic < 0 ? "diagnostic" : "diagnostic_class");
        goto done;
    }
    table->codes = calloc(csv.n_rows + 1, sizeof *table->codes);
    table->bits = calloc(csv.n_rows + 1, 1);
    if (!table->codes || !table->bits) {
        status = ecg_fail(err, ECG_ERR_NOMEM, "%s: out of memory", path);
        goto done;
    }
    for (size_t r = 0; r < csv.n_rows; r++) {
        if (atof(ecg_csv_cell(&csv, r, (size_t)diagnostic)) != 1.0)
            continue;
        const char *cls = ecg_csv_cell(&csv, r, (size_t)klass);
        unsigned bit = 0;
        for (int s = 0; s < ECG_N_SUPERCLASSES; s++)
            if (strcmp(cls, ecg_superclass_names[s]) == 0)
                bit = 1u << s;
        if (!bit)
            continue;
        snprintf(table->codes[table->n], sizeof table->codes[0], "%s", ecg_csv_cell(&csv, r, 0));
        table->bits[table->n++] = (unsigned char)bit;
    }
    if (table->n == 0)
        status = ecg_fail(err, ECG_ERR_FORMAT, "%s: no diagnostic statements with a superclass", path);
done:
    ecg_csv_clear(&csv);
    if (status != ECG_OK)
        ecg_scp_table_clear(table);
    return status;
}

unsigned ecg_scp_superclass(const EcgScpTable *table, const char *scp_codes)
{
    /* the keys of a Python dict literal: every quoted string followed by ':' */
    unsigned bits = 0;
    for (const char *p = scp_codes; (p = strchr(p, '\'')) != NULL;) {
        const char *end = strchr(p + 1, '\'');
        if (!end)
            break;
        size_t len = (size_t)(end - p - 1);
        const char *after = end + 1;
        while (*after == ' ')
            after++;
        if (*after == ':')
            for (size_t i = 0; i < table->n; i++)
                if (strlen(table->codes[i]) == len && strncmp(table->codes[i], p + 1, len) == 0)
                    bits |= table->bits[i];
        p = end + 1;
    }
    return bits;
}

/* ---- the database table ---- */

void ecg_import_summary_clear(EcgImportSummary *summary)
{
    free(summary->skipped);
    memset(summary, 0, sizeof *summary);
}

static int add_skip(EcgImportSummary *summary, const char *file, const char *reason)
{
    EcgImportSkip *skipped = realloc(summary->skipped, (summary->n_skipped + 1) * sizeof *skipped);
    if (!skipped)
        return ECG_ERR_NOMEM;
    summary->skipped = skipped;
    EcgImportSkip *s = &skipped[summary->n_skipped++];
    snprintf(s->file, sizeof s->file, "%s", file);
    snprintf(s->reason, sizeof s->reason, "%s", reason);
    return ECG_OK;
}

/* Columns of ptbxl_database.csv the importer reads. */
typedef struct {
    int ecg_id, patient_id, age, sex, strat_fold, scp_codes, report, filename;
    int quality[ECG_N_QUALITY_FLAGS];
} DatabaseColumns;

static int find_columns(const EcgCsv *csv, int rate, const char *path, DatabaseColumns *c, EcgError *err)
{
    struct {
        int *index;
        const char *name;
    } wanted[8 + ECG_N_QUALITY_FLAGS] = {
        {&c->ecg_id, "ecg_id"}, {&c->patient_id, "patient_id"}, {&c->age, "age"},
        {&c->sex, "sex"}, {&c->strat_fold, "strat_fold"}, {&c->scp_codes, "scp_codes"},
        {&c->report, "report"}, {&c->filename, rate == 500 ? "filename_hr" : "filename_lr"},
    };
    for (int q = 0; q < ECG_N_QUALITY_FLAGS; q++)
        wanted[8 + q].index = &c->quality[q], wanted[8 + q].name = ecg_quality_names[q];
    for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++)
        if ((*wanted[i].index = ecg_csv_column(csv, wanted[i].name)) < 0)
            return ecg_fail(err, ECG_ERR_FORMAT, "%s: missing column '%s'", path, wanted[i].name);
    return ECG_OK;
}

/* A number cell: empty means unknown (returns 0 with *value = NAN); text that is
 * not a number is an error. */
static int parse_number(const char *text, double *value)
{
    if (!*text) {
        *value = NAN;
        return 0;
    }
    char *end;
    errno = 0;
    *value = strtod(text, &end);
    return (end == text || *end != '\0' || errno) ? -1 : 0;
}

/* Metadata of one database row; on a bad cell, a reason naming the column. */
static int parse_row(const EcgCsv *csv, size_t row, const DatabaseColumns *c, const EcgScpTable *scp,
                     EcgRecordMeta *meta, char *reason, size_t size)
{
    struct {
        int column;
        double value;
    } cells[] = {{c->ecg_id, 0}, {c->patient_id, 0}, {c->age, 0}, {c->sex, 0}, {c->strat_fold, 0}};
    for (size_t i = 0; i < sizeof cells / sizeof cells[0]; i++) {
        const char *text = ecg_csv_cell(csv, row, (size_t)cells[i].column);
        if (parse_number(text, &cells[i].value) != 0) {
            snprintf(reason, size, "column '%s' is not a number: '%.40s'", csv->cells[cells[i].column], text);
            return -1;
        }
    }
    if (isnan(cells[0].value)) {
        snprintf(reason, size, "no ecg_id");
        return -1;
    }
    memset(meta, 0, sizeof *meta);
    meta->ecg_id = (int32_t)cells[0].value;
    meta->patient_id = isnan(cells[1].value) ? -1 : (int32_t)cells[1].value;
    meta->age = (float)cells[2].value;
    meta->sex = isnan(cells[3].value) ? -1 : (int8_t)cells[3].value;
    meta->strat_fold = isnan(cells[4].value) || cells[4].value < 1 || cells[4].value > 10 ? 0 : (int8_t)cells[4].value;
    meta->superclass = (uint8_t)ecg_scp_superclass(scp, ecg_csv_cell(csv, row, (size_t)c->scp_codes));
    for (int q = 0; q < ECG_N_QUALITY_FLAGS; q++) {
        const char *text = ecg_csv_cell(csv, row, (size_t)c->quality[q]);
        if (strspn(text, " ") != strlen(text))
            meta->quality |= (uint8_t)(1u << q);
    }
    return 0;
}

/* ---- one record ---- */

/* Read dir/name.hea and its signal into counts (T, 12) in standard lead order at
 * PTBXL_GAIN counts per mV. On failure, the reason (without the file name). */
static int read_record_counts(const char *hea_path, size_t n_samples, double fs, int16_t *counts,
                              int32_t *adc, char *reason, size_t size)
{
    EcgWfdbHeader hdr;
    EcgError err = {0};
    int status = ecg_wfdb_read_header(hea_path, &hdr, &err);
    if (status != ECG_OK) {
        snprintf(reason, size, "%s", err.message);
        return status;
    }
    int lead_of[N_LEADS];
    status = ECG_ERR_FORMAT;
    if (hdr.n_signals != N_LEADS) {
        snprintf(reason, size, "%zu signals, expected 12", hdr.n_signals);
        goto done;
    }
    if (fabs(hdr.fs - fs) > 1e-6 || hdr.n_samples != n_samples) {
        snprintf(reason, size, "%zu samples at %g Hz, expected %zu at %g Hz", hdr.n_samples, hdr.fs, n_samples, fs);
        goto done;
    }
    for (int l = 0; l < N_LEADS; l++) {
        int std = ecg_lead_standard_index(hdr.signals[l].description);
        if (std < 0) {
            snprintf(reason, size, "signal %d is '%s', not a standard lead", l, hdr.signals[l].description);
            goto done;
        }
        lead_of[std] = l;
    }
    if ((status = ecg_wfdb_read_adc(hea_path, &hdr, adc, &err)) != ECG_OK) {
        snprintf(reason, size, "%s", err.message);
        goto done;
    }
    status = ECG_ERR_DATA;
    for (int std = 0; std < N_LEADS; std++) {
        const EcgWfdbSignal *sig = &hdr.signals[lead_of[std]];
        const int32_t *x = adc + (size_t)lead_of[std] * n_samples; // (T)
        int exact = sig->gain == PTBXL_GAIN && sig->baseline == 0; /* PTB-XL: counts are the ADC values */
        double scale = PTBXL_GAIN / sig->gain;
        for (size_t t = 0; t < n_samples; t++) {
            double v = exact ? (double)x[t] : round(((double)x[t] - sig->baseline) * scale);
            if (x[t] == INT16_MIN || v < INT16_MIN || v > INT16_MAX) {
                snprintf(reason, size, "lead %s sample %zu is invalid or out of range", ecg_standard_leads[std], t);
                goto done;
            }
            counts[t * N_LEADS + (size_t)std] = (int16_t)v;
        }
    }
    status = ECG_OK;
done:
    ecg_wfdb_header_clear(&hdr);
    return status;
}

/* ---- the import ---- */

int ecg_ptbxl_import(const char *dir, const char *out_path, const EcgPtbxlOptions *options,
                     EcgImportSummary *summary, EcgError *err)
{
    memset(summary, 0, sizeof *summary);
    int rate = options->rate ? options->rate : 100;
    if (rate != 100 && rate != 500)
        return ecg_fail(err, ECG_ERR_ARG, "rate %d Hz: PTB-XL has records at 100 and 500 Hz", rate);
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return ecg_fail(err, ECG_ERR_IO, "%s: not a folder", dir);

    char path[4096], reason[512];
    snprintf(path, sizeof path, "%s/ptbxl_database.csv", dir);
    if (stat(path, &st) != 0)
        return ecg_fail(err, ECG_ERR_IO, "%s: no ptbxl_database.csv here; is this a PTB-XL folder?", dir);
    EcgCsv db;
    EcgScpTable scp = {0};
    EcgDatasetWriter *writer = NULL;
    int16_t *counts = NULL;
    int32_t *adc = NULL;
    int status = ecg_csv_read(path, &db, err);
    if (status != ECG_OK)
        return status;
    DatabaseColumns cols;
    if ((status = find_columns(&db, rate, path, &cols, err)) != ECG_OK)
        goto done;
    snprintf(path, sizeof path, "%s/scp_statements.csv", dir);
    if ((status = ecg_scp_table_read(path, &scp, err)) != ECG_OK)
        goto done;

    size_t n_samples = (size_t)rate * RECORD_SECONDS;
    counts = malloc(n_samples * N_LEADS * sizeof *counts);
    adc = malloc(n_samples * N_LEADS * sizeof *adc);
    if (!counts || !adc) {
        status = ecg_fail(err, ECG_ERR_NOMEM, "out of memory");
        goto done;
    }
    if ((status = ecg_dataset_writer_open(out_path, rate, n_samples, PTBXL_GAIN, "PTB-XL 1.0.3", &writer, err)) !=
        ECG_OK)
        goto done;

    size_t n_rows = options->limit && options->limit < db.n_rows ? options->limit : db.n_rows;
    summary->n_rows = n_rows;
    for (size_t row = 0; row < n_rows; row++) {
        const char *name = ecg_csv_cell(&db, row, (size_t)cols.filename);
        EcgRecordMeta meta;
        char file[512];
        snprintf(file, sizeof file, "%s.hea", name);
        if (!*name) {
            snprintf(file, sizeof file, "ptbxl_database.csv row %zu", row + 1);
            snprintf(reason, sizeof reason, "no file name for %d Hz", rate);
        } else if (parse_row(&db, row, &cols, &scp, &meta, reason, sizeof reason) == 0) {
            snprintf(path, sizeof path, "%s/%s.hea", dir, name);
            if (read_record_counts(path, n_samples, rate, counts, adc, reason, sizeof reason) == ECG_OK) {
                const char *report = ecg_csv_cell(&db, row, (size_t)cols.report);
                const char *codes = ecg_csv_cell(&db, row, (size_t)cols.scp_codes);
                if ((status = ecg_dataset_writer_add_counts(writer, &meta, counts, codes, report, name, err)) != ECG_OK)
                    goto done;
                summary->n_imported++;
                reason[0] = '\0';
            }
        }
        if (reason[0] && add_skip(summary, file, reason) != ECG_OK) {
            status = ecg_fail(err, ECG_ERR_NOMEM, "out of memory");
            goto done;
        }
        if (options->progress && options->progress(options->user, row + 1, n_rows)) {
            status = ecg_fail(err, ECG_ERR_CANCELLED, "%s: import cancelled; nothing was written", out_path);
            goto done;
        }
    }
    if (summary->n_imported == 0) {
        status = ecg_fail(err, ECG_ERR_DATA, "%s: none of %zu records could be imported%s%s", dir, n_rows,
                          summary->n_skipped ? "; first problem: " : "",
                          summary->n_skipped ? summary->skipped[0].reason : "");
        goto done;
    }
    status = ecg_dataset_writer_commit(writer, err);
    writer = NULL;
done:
    ecg_dataset_writer_abort(writer);
    free(counts);
    free(adc);
    ecg_scp_table_clear(&scp);
    ecg_csv_clear(&db);
    return status;
}
