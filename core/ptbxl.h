/* ptbxl.h — import of a PTB-XL folder (ptbxl_database.csv, scp_statements.csv,
 * records100/ or records500/) into an ecglens dataset (DESIGN §3). */
#pragma once

#include <stddef.h>

#include "status.h"

typedef struct {
    char file[512];    /* the record's header path relative to the PTB-XL folder, or the CSV row */
    char reason[512];
} EcgImportSkip;

typedef struct {
    size_t n_rows;       /* rows considered (after --limit) */
    size_t n_imported;
    size_t n_skipped;
    EcgImportSkip *skipped; /* (n_skipped) why each missing or damaged record was left out */
} EcgImportSummary;

void ecg_import_summary_clear(EcgImportSummary *summary);

typedef struct {
    int rate;               /* 100 (records100, filename_lr) or 500 (records500, filename_hr) */
    size_t limit;           /* import at most this many rows; 0 = all */
    EcgProgressFn progress; /* optional; called after every record */
    void *user;
} EcgPtbxlOptions;

/* Import dir into out_path. A missing or damaged record is skipped and listed in
 * summary with its file and reason; the import fails (and writes nothing) only
 * when the folder or its CSV files are unusable, no record can be imported, the
 * output cannot be written, or progress asks to cancel. out_path is replaced
 * only on success. */
int ecg_ptbxl_import(const char *dir, const char *out_path, const EcgPtbxlOptions *options,
                     EcgImportSummary *summary, EcgError *err);

/* Superclass bitmask (ECG_SC_*) of a scp_codes text such as
 * "{'NORM': 100.0, 'SR': 0.0}", given the code → diagnostic class table. Exposed for tests. */
typedef struct {
    size_t n;
    char (*codes)[16];   /* (n) */
    unsigned char *bits; /* (n) superclass bit of each diagnostic code */
} EcgScpTable;

int ecg_scp_table_read(const char *scp_statements_csv, EcgScpTable *table, EcgError *err);
void ecg_scp_table_clear(EcgScpTable *table);
unsigned ecg_scp_superclass(const EcgScpTable *table, const char *scp_codes);
