/* PTB-XL import: the real sample in ../shared/ptbxl at 100 and 500 Hz (counts per
 * superclass and fold equal to its README, samples equal to the .dat values over
 * the gain), and a small made-up PTB-XL folder for every damaged input. */
#include <stdint.h>
#include <sys/stat.h>

#include "dataset.h"
#include "ptbxl.h"
#include "test.h"
#include "wfdb.h"

/* ---- the real sample ---- */

/* Tables of ../shared/ptbxl/README.md: per fold NORM MI STTC CD HYP none records. */
static const size_t readme_folds[10][7] = {
    {52, 15, 26, 22, 13, 1, 101}, {56, 17, 21, 16, 8, 0, 92},  {38, 18, 22, 11, 8, 0, 77},
    {62, 16, 18, 13, 4, 0, 97},   {42, 14, 16, 21, 9, 1, 85},  {39, 16, 17, 18, 7, 0, 76},
    {61, 17, 21, 26, 12, 0, 108}, {47, 15, 24, 16, 9, 0, 87},  {65, 31, 35, 23, 16, 8, 136},
    {66, 24, 30, 27, 11, 2, 128},
};
static const size_t readme_totals_100[6] = {528, 183, 230, 193, 97, 12};
static const size_t readme_totals_500[6] = {293, 71, 93, 76, 38, 11};

static void count_classes(EcgDataset *ds, size_t folds[11][7], size_t totals[6])
{
    for (size_t i = 0; i < ecg_dataset_count(ds); i++) {
        const EcgRecordMeta *m = ecg_dataset_meta(ds, i);
        for (int s = 0; s < ECG_N_SUPERCLASSES; s++) {
            folds[m->strat_fold][s] += (m->superclass >> s) & 1;
            totals[s] += (m->superclass >> s) & 1;
        }
        folds[m->strat_fold][5] += m->superclass == 0;
        totals[5] += m->superclass == 0;
        folds[m->strat_fold][6]++;
    }
}

/* Compare record index of ds with the int16 values of its .dat divided by 1000. */
static void check_samples_against_dat(EcgDataset *ds, const char *ptbxl, size_t index, size_t n_samples)
{
    EcgError err = {0};
    char name[256], path[4096];
    REQUIRE_OK(ecg_dataset_read_text(ds, index, ECG_COL_FILENAME, name, sizeof name, &err), &err);
    snprintf(path, sizeof path, "%s/%s.dat", ptbxl, name);
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    if (!f)
        return;
    int16_t *raw = malloc(n_samples * 12 * sizeof *raw);
    CHECK(fread(raw, sizeof *raw, n_samples * 12, f) == n_samples * 12);
    fclose(f);
    EcgRecord rec;
    REQUIRE_OK(ecg_dataset_read_record(ds, index, &rec, &err), &err);
    size_t mismatches = 0;
    for (size_t l = 0; l < 12; l++)
        for (size_t t = 0; t < n_samples; t++)
            mismatches += ecg_record_lead(&rec, l)[t] != (float)raw[t * 12 + l] / 1000.0f;
    CHECK_MSG(mismatches == 0, "%s: %zu samples differ from the .dat", name, mismatches);
    ecg_record_clear(&rec);
    free(raw);
}

static void import_real(int rate, const size_t totals_expected[6], size_t n_expected)
{
    const char *ptbxl = test_shared_path("ptbxl/ptbxl_database.csv");
    SKIP_IF(!ptbxl, "../shared/ptbxl not present");
    ptbxl = test_shared_path("ptbxl");
    char out[512];
    snprintf(out, sizeof out, "%s/ptbxl%d.h5", test_tmpdir(), rate);
    EcgPtbxlOptions options = {.rate = rate};
    EcgImportSummary summary;
    EcgError err = {0};
    REQUIRE_OK(ecg_ptbxl_import(ptbxl, out, &options, &summary, &err), &err);
    CHECK(summary.n_rows == 987);
    CHECK_MSG(summary.n_imported == n_expected, "%zu imported", summary.n_imported);
    /* rows without a 500 Hz file are skipped with a reason, never silently */
    CHECK(summary.n_skipped == 987 - n_expected);
    for (size_t i = 0; i < summary.n_skipped && i < 3; i++)
        printf("#   skipped %s: %s\n", summary.skipped[i].file, summary.skipped[i].reason);
    ecg_import_summary_clear(&summary);

    EcgDataset *ds;
    REQUIRE_OK(ecg_dataset_open(out, &ds, &err), &err);
    CHECK(ecg_dataset_count(ds) == n_expected);
    CHECK(ecg_dataset_fs(ds) == rate);
    CHECK(ecg_dataset_n_samples(ds) == (size_t)rate * 10);
    size_t folds[11][7] = {{0}}, totals[6] = {0};
    count_classes(ds, folds, totals);
    for (int s = 0; s < 6; s++)
        CHECK_MSG(totals[s] == totals_expected[s], "class %d: %zu, README says %zu", s, totals[s], totals_expected[s]);
    if (rate == 100)
        for (int f = 1; f <= 10; f++)
            for (int c = 0; c < 7; c++)
                CHECK_MSG(folds[f][c] == readme_folds[f - 1][c], "fold %d column %d: %zu, README says %zu", f, c,
                          folds[f][c], readme_folds[f - 1][c]);
    const EcgRecordMeta *first = ecg_dataset_meta(ds, 0);
    CHECK(first->ecg_id == 1 && first->patient_id == 15709 && first->age == 56.0f && first->sex == 1);
    CHECK(first->strat_fold == 3 && first->superclass == ECG_SC_NORM);
    char report[128];
    REQUIRE_OK(ecg_dataset_read_text(ds, 0, ECG_COL_REPORT, report, sizeof report, &err), &err);
    CHECK(strcmp(report, "sinusrhythmus periphere niederspannung") == 0);
    EcgRecord rec;
    REQUIRE_OK(ecg_dataset_read_record(ds, 0, &rec, &err), &err);
    for (int l = 0; l < 12; l++)
        CHECK(strcmp(rec.leads[l].name, ecg_standard_leads[l]) == 0);
    ecg_record_clear(&rec);
    for (size_t i = 0; i < ecg_dataset_count(ds); i += 97)
        check_samples_against_dat(ds, ptbxl, i, (size_t)rate * 10);
    ecg_dataset_close(ds);
}

static void test_import_real_100hz(void) { import_real(100, readme_totals_100, 987); }
static void test_import_real_500hz(void) { import_real(500, readme_totals_500, 488); }

/* ---- a small made-up PTB-XL folder ---- */

static const char *scp_csv =
    ",description,diagnostic,form,rhythm,diagnostic_class,diagnostic_subclass\n"
    "NORM,normal ECG,1.0,,,NORM,NORM\n"
    "IMI,inferior myocardial infarction,1.0,,,MI,IMI\n"
    "LVH,left ventricular hypertrophy,1.0,,,HYP,LVH\n"
    "SR,sinus rhythm,,,1.0,,\n";

static const char *db_header =
    "ecg_id,patient_id,age,sex,strat_fold,report,scp_codes,baseline_drift,static_noise,burst_noise,"
    "electrodes_problems,extra_beats,pacemaker,filename_lr,filename_hr\n";

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

/* dir/records100/0000i_lr.{hea,dat} for i = 1..n, 12 leads × 1000 samples. */
static void make_folder(const char *dir, int n)
{
    char path[1024], name[32];
    snprintf(path, sizeof path, "mkdir -p %s/records100", dir);
    CHECK(system(path) == 0);
    snprintf(path, sizeof path, "%s/scp_statements.csv", dir);
    write_text(path, scp_csv);
    int32_t *adc = malloc(12 * 1000 * sizeof *adc);
    double gain[12];
    int zero[12] = {0};
    const char *leads[12] = {"I", "II", "III", "AVR", "AVL", "AVF", "V1", "V2", "V3", "V4", "V5", "V6"};
    for (int l = 0; l < 12; l++)
        gain[l] = 1000;
    for (int i = 1; i <= n; i++) {
        for (int k = 0; k < 12 * 1000; k++)
            adc[k] = (k * 37 + i * 11) % 2001 - 1000;
        snprintf(name, sizeof name, "%05d_lr", i);
        snprintf(path, sizeof path, "%s/records100", dir);
        EcgError err = {0};
        CHECK_OK(ecg_wfdb_write(path, name, 16, 100.0, 12, 1000, adc, gain, zero, leads, &err), &err);
    }
    free(adc);
}

static void write_database(const char *dir, const char *rows)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/ptbxl_database.csv", dir);
    char *text = malloc(strlen(db_header) + strlen(rows) + 1);
    strcpy(text, db_header);
    strcat(text, rows);
    write_text(path, text);
    free(text);
}

/* test_tmpdir()/name; the result lives until the next call of folder(). */
static const char *folder(const char *name)
{
    static char buf[512];
    snprintf(buf, sizeof buf, "%s/%s", test_tmpdir(), name);
    return buf;
}

static const char *good_rows =
    "1,11.0,56.0,1,3,\"sinus, normal\",\"{'NORM': 100.0, 'SR': 0.0}\",,,,,,,records100/00001_lr,\n"
    "2,12.0,,0,9,ecg,\"{'IMI': 50.0, 'LVH': 100.0}\",\", V1\",,,,,,records100/00002_lr,\n"
    "3,,300.0,,10,ecg,{},,,,,1ES,,records100/00003_lr,\n";

/* A folder of the three good rows under test_tmpdir()/name, imported into
 * test_tmpdir()/name.h5; dir and out receive the two paths. */
static int import_good_folder(const char *name, char dir[512], char out[512], EcgError *err)
{
    snprintf(dir, 512, "%s", folder(name));
    snprintf(out, 512, "%s.h5", dir);
    make_folder(dir, 3);
    write_database(dir, good_rows);
    EcgPtbxlOptions options = {.rate = 100};
    EcgImportSummary summary;
    int status = ecg_ptbxl_import(dir, out, &options, &summary, err);
    CHECK(status != ECG_OK || (summary.n_imported == 3 && summary.n_skipped == 0));
    ecg_import_summary_clear(&summary);
    return status;
}

static void test_small_folder_metadata(void)
{
    char dir[512], out[512];
    EcgError err = {0};
    REQUIRE_OK(import_good_folder("small", dir, out, &err), &err);
    EcgPtbxlOptions options = {.rate = 100};
    EcgImportSummary summary;
    EcgDataset *ds;
    REQUIRE_OK(ecg_dataset_open(out, &ds, &err), &err);
    const EcgRecordMeta *m = ecg_dataset_meta(ds, 1);
    CHECK(m->superclass == (ECG_SC_MI | ECG_SC_HYP) && isnan(m->age) && m->sex == 0 && m->strat_fold == 9);
    CHECK(m->quality == ECG_Q_BASELINE_DRIFT);
    m = ecg_dataset_meta(ds, 2);
    CHECK(m->patient_id == -1 && m->sex == -1 && m->superclass == 0 && m->quality == ECG_Q_EXTRA_BEATS);
    CHECK(m->age == 300.0f);
    char text[64];
    REQUIRE_OK(ecg_dataset_read_text(ds, 0, ECG_COL_REPORT, text, sizeof text, &err), &err);
    CHECK(strcmp(text, "sinus, normal") == 0);
    ecg_dataset_close(ds);

    /* --limit */
    options.limit = 2;
    REQUIRE_OK(ecg_ptbxl_import(dir, out, &options, &summary, &err), &err);
    CHECK(summary.n_rows == 2 && summary.n_imported == 2);
    ecg_import_summary_clear(&summary);
}

static void test_damaged_records_are_skipped_and_named(void)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s", folder("damaged"));
    make_folder(dir, 4);
    char path[1024];
    /* record 2: .dat truncated; record 3: missing altogether; row 4: bad age */
    snprintf(path, sizeof path, "%s/records100/00002_lr.dat", dir);
    CHECK(truncate(path, 1000) == 0);
    snprintf(path, sizeof path, "rm %s/records100/00003_lr.*", dir);
    CHECK(system(path) == 0);
    write_database(dir, "1,1,50,0,1,a,{},,,,,,,records100/00001_lr,\n"
                        "2,1,50,0,1,a,{},,,,,,,records100/00002_lr,\n"
                        "3,1,50,0,1,a,{},,,,,,,records100/00003_lr,\n"
                        "4,1,fifty,0,1,a,{},,,,,,,records100/00004_lr,\n");
    EcgPtbxlOptions options = {.rate = 100};
    EcgImportSummary summary;
    EcgError err = {0};
    REQUIRE_OK(ecg_ptbxl_import(dir, folder("damaged.h5"), &options, &summary, &err), &err);
    CHECK(summary.n_imported == 1 && summary.n_skipped == 3);
    if (summary.n_skipped == 3) {
        CHECK_MSG(strstr(summary.skipped[0].file, "00002_lr") && strstr(summary.skipped[0].reason, "truncated"),
                  "%s: %s", summary.skipped[0].file, summary.skipped[0].reason);
        CHECK_MSG(strstr(summary.skipped[1].file, "00003_lr"), "%s", summary.skipped[1].file);
        CHECK_MSG(strstr(summary.skipped[2].reason, "'age'") && strstr(summary.skipped[2].reason, "fifty"), "%s",
                  summary.skipped[2].reason);
    }
    ecg_import_summary_clear(&summary);
}

/* Each failure leaves an existing output file as it was. */
static void expect_failure(const char *dir, const char *out, int status, const char *needle1, const char *needle2)
{
    struct stat before, after;
    CHECK(stat(out, &before) == 0);
    EcgPtbxlOptions options = {.rate = 100};
    EcgImportSummary summary;
    EcgError err = {0};
    CHECK(ecg_ptbxl_import(dir, out, &options, &summary, &err) == status);
    CHECK_MSG(strstr(err.message, needle1) && strstr(err.message, needle2), "%s", err.message);
    ecg_import_summary_clear(&summary);
    CHECK(stat(out, &after) == 0 && after.st_ino == before.st_ino && after.st_mtime == before.st_mtime);
    EcgDataset *ds;
    CHECK_OK(ecg_dataset_open(out, &ds, &err), &err);
    ecg_dataset_close(ds);
}

static int cancel_after_one(void *user, size_t done, size_t total)
{
    (void)user, (void)total;
    return done >= 1;
}

static void test_bad_folders_keep_existing_output(void)
{
    char dir[512], out[512];
    EcgError err = {0};
    REQUIRE_OK(import_good_folder("bad", dir, out, &err), &err);
    EcgPtbxlOptions options = {.rate = 100};
    EcgImportSummary summary;

    char path[1024];
    snprintf(path, sizeof path, "mkdir -p %s", folder("empty"));
    CHECK(system(path) == 0);
    expect_failure(folder("empty"), out, ECG_ERR_IO, "empty", "ptbxl_database.csv");
    expect_failure(folder("nonexistent"), out, ECG_ERR_IO, "nonexistent", "not a folder");

    write_database(dir, "1,11.0,56.0,1,3,\"unclosed,{},,,,,,,records100/00001_lr,\n");
    expect_failure(dir, out, ECG_ERR_FORMAT, "ptbxl_database.csv", "never closed");

    snprintf(path, sizeof path, "%s/ptbxl_database.csv", dir);
    write_text(path, "ecg_id,age\n1,50\n");
    expect_failure(dir, out, ECG_ERR_FORMAT, "ptbxl_database.csv", "missing column 'patient_id'");

    write_database(dir, "9,1,50,0,1,a,{},,,,,,,records100/00009_lr,\n");
    expect_failure(dir, out, ECG_ERR_DATA, "none of 1 records", "00009_lr");

    write_database(dir, good_rows);
    snprintf(path, sizeof path, "%s/scp_statements.csv", dir);
    write_text(path, "a,b\n1,2\n");
    expect_failure(dir, out, ECG_ERR_FORMAT, "scp_statements.csv", "missing column 'diagnostic'");
    write_text(path, scp_csv);

    struct stat before, after;
    stat(out, &before);
    options.progress = cancel_after_one;
    CHECK(ecg_ptbxl_import(dir, out, &options, &summary, &err) == ECG_ERR_CANCELLED);
    ecg_import_summary_clear(&summary);
    stat(out, &after);
    CHECK(after.st_ino == before.st_ino);

    options.progress = NULL;
    CHECK(ecg_ptbxl_import(dir, "/nonexistent-dir/out.h5", &options, &summary, &err) == ECG_ERR_IO);
    CHECK_MSG(strstr(err.message, "/nonexistent-dir/out.h5"), "%s", err.message);
    ecg_import_summary_clear(&summary);
}

static void test_scp_codes_parsing(void)
{
    EcgScpTable table = {0};
    EcgError err = {0};
    const char *path = folder("scp.csv");
    write_text(path, scp_csv);
    REQUIRE_OK(ecg_scp_table_read(path, &table, &err), &err);
    CHECK(table.n == 3);
    CHECK(ecg_scp_superclass(&table, "{'NORM': 100.0, 'SR': 0.0}") == ECG_SC_NORM);
    CHECK(ecg_scp_superclass(&table, "{'IMI': 15.0, 'LVH': 0.0}") == (ECG_SC_MI | ECG_SC_HYP));
    CHECK(ecg_scp_superclass(&table, "{'SR': 0.0}") == 0);
    CHECK(ecg_scp_superclass(&table, "{}") == 0);
    CHECK(ecg_scp_superclass(&table, "{'NOR': 1}") == 0);
    ecg_scp_table_clear(&table);
}

int main(void)
{
    RUN(test_scp_codes_parsing);
    RUN(test_small_folder_metadata);
    RUN(test_damaged_records_are_skipped_and_named);
    RUN(test_bad_folders_keep_existing_output);
    RUN(test_import_real_100hz);
    RUN(test_import_real_500hz);
    return test_done();
}
