/* `ecglens-cli bench --io`: import speed at 100 and 500 Hz, dataset size against
 * the raw WFDB bytes, the time to open a 21,799-record dataset (PTB-XL's size,
 * made with synth) and to read a random record. */
#include "cli-bench.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dataset.h"
#include "ptbxl.h"
#include "synth.h"

enum { PTBXL_RECORDS = 21799, READS = 2000, OPENS = 7 };

static double now_s(void)
{
    return (double)g_get_monotonic_time() / 1e6;
}

static off_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_size : 0;
}

typedef struct {
    double records_per_s, dataset_bytes, raw_bytes;
    size_t records;
} ImportResult;

/* Sum of the .hea and .dat sizes of the imported records. */
static double raw_wfdb_bytes(const char *ptbxl_dir, const char *dataset_path)
{
    EcgDataset *ds;
    EcgError err = {0};
    if (ecg_dataset_open(dataset_path, &ds, &err) != ECG_OK)
        return 0;
    double total = 0;
    for (size_t i = 0; i < ecg_dataset_count(ds); i++) {
        char name[512], path[4096];
        if (ecg_dataset_read_text(ds, i, ECG_COL_FILENAME, name, sizeof name, &err) != ECG_OK)
            break;
        snprintf(path, sizeof path, "%s/%s.dat", ptbxl_dir, name);
        total += (double)file_size(path);
        snprintf(path, sizeof path, "%s/%s.hea", ptbxl_dir, name);
        total += (double)file_size(path);
    }
    ecg_dataset_close(ds);
    return total;
}

static int bench_import(const char *ptbxl_dir, int rate, const char *out, ImportResult *result, EcgError *err)
{
    EcgPtbxlOptions options = {.rate = rate};
    EcgImportSummary summary;
    double best = 1e30;
    for (int run = 0; run < 3; run++) { /* best of three: the first also warms the page cache */
        double t0 = now_s();
        int status = ecg_ptbxl_import(ptbxl_dir, out, &options, &summary, err);
        double dt = now_s() - t0;
        result->records = summary.n_imported;
        ecg_import_summary_clear(&summary);
        if (status != ECG_OK)
            return status;
        if (dt < best)
            best = dt;
    }
    result->records_per_s = (double)result->records / best;
    result->dataset_bytes = (double)file_size(out);
    result->raw_bytes = raw_wfdb_bytes(ptbxl_dir, out);
    return ECG_OK;
}

/* Median open time in ms and mean random-record read time in ms. */
static int bench_open_read(const char *path, double *open_ms, double *read_ms, EcgError *err)
{
    double times[OPENS];
    EcgDataset *ds = NULL;
    for (int i = 0; i < OPENS; i++) {
        double t0 = now_s();
        int status = ecg_dataset_open(path, &ds, err);
        times[i] = (now_s() - t0) * 1e3;
        if (status != ECG_OK)
            return status;
        if (i < OPENS - 1)
            ecg_dataset_close(ds);
    }
    for (int i = 1; i < OPENS; i++) /* insertion sort for the median */
        for (int j = i; j > 0 && times[j] < times[j - 1]; j--) {
            double t = times[j];
            times[j] = times[j - 1];
            times[j - 1] = t;
        }
    *open_ms = times[OPENS / 2];

    GRand *rng = g_rand_new_with_seed(7);
    size_t n = ecg_dataset_count(ds);
    double t0 = now_s();
    int status = ECG_OK;
    for (int i = 0; i < READS && status == ECG_OK; i++) {
        EcgRecord rec;
        status = ecg_dataset_read_record(ds, (size_t)g_rand_int_range(rng, 0, (gint32)n), &rec, err);
        ecg_record_clear(&rec);
    }
    *read_ms = (now_s() - t0) * 1e3 / READS;
    g_rand_free(rng);
    ecg_dataset_close(ds);
    return status;
}

int cli_bench(int argc, char **argv)
{
    gboolean io = FALSE, json = FALSE;
    g_autofree char *ptbxl_dir = NULL, *big = NULL;
    GOptionEntry entries[] = {
        {"io", 0, 0, G_OPTION_ARG_NONE, &io, "Measure import, dataset size, open and read", NULL},
        {"ptbxl", 0, 0, G_OPTION_ARG_FILENAME, &ptbxl_dir, "PTB-XL folder (default ../shared/ptbxl)", "DIR"},
        {"big", 0, 0, G_OPTION_ARG_FILENAME, &big,
         "21,799-record dataset to open (made with synth at 100 Hz if missing; default in the temp dir)", "FILE"},
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the results as JSON", NULL},
        {NULL},
    };
    g_autoptr(GOptionContext) context = g_option_context_new("- measure speed");
    g_option_context_add_main_entries(context, entries, NULL);
    g_autoptr(GError) error = NULL;
    if (!g_option_context_parse(context, &argc, &argv, &error)) {
        fprintf(stderr, "ecglens-cli: %s\n", error->message);
        return 2;
    }
    if (!io) {
        fprintf(stderr, "ecglens-cli: bench needs --io (model benchmarks come with the neural core)\n");
        return 2;
    }
    if (!ptbxl_dir)
        ptbxl_dir = g_strdup("../shared/ptbxl");
    if (!big)
        big = g_build_filename(g_get_tmp_dir(), "ecglens-bench-21799.h5", NULL);
    g_autofree char *tmp = g_dir_make_tmp("ecglens-bench-XXXXXX", NULL);
    g_autofree char *out100 = g_build_filename(tmp, "ptbxl100.h5", NULL);
    g_autofree char *out500 = g_build_filename(tmp, "ptbxl500.h5", NULL);
    EcgError err = {0};
    ImportResult r100 = {0}, r500 = {0};
    double open_ms = 0, read100_ms = 0, read500_ms = 0;
    int status = ECG_OK;

    gboolean have_ptbxl = g_file_test(ptbxl_dir, G_FILE_TEST_IS_DIR);
    if (have_ptbxl) {
        fprintf(stderr, "bench: importing %s at 100 and 500 Hz (best of 3)\n", ptbxl_dir);
        if ((status = bench_import(ptbxl_dir, 100, out100, &r100, &err)) != ECG_OK ||
            (status = bench_import(ptbxl_dir, 500, out500, &r500, &err)) != ECG_OK)
            goto done;
    } else {
        fprintf(stderr, "bench: %s not found, skipping the import measurements\n", ptbxl_dir);
    }
    if (!g_file_test(big, G_FILE_TEST_EXISTS)) {
        fprintf(stderr, "bench: making %s (%d synthetic records at 100 Hz)\n", big, PTBXL_RECORDS);
        if ((status = ecg_synth_dataset(big, PTBXL_RECORDS, 100.0, 1, NULL, NULL, &err)) != ECG_OK)
            goto done;
    }
    if ((status = bench_open_read(big, &open_ms, &read100_ms, &err)) != ECG_OK)
        goto done;
    if (have_ptbxl) {
        double unused;
        if ((status = bench_open_read(out500, &unused, &read500_ms, &err)) != ECG_OK)
            goto done;
    }

    if (json) {
        printf("{\"io\": {\"import_100hz_records_per_s\": %.1f, \"import_500hz_records_per_s\": %.1f, "
               "\"size_ratio_100hz\": %.4f, \"size_ratio_500hz\": %.4f, \"open_21799_ms\": %.3f, "
               "\"read_record_100hz_ms\": %.4f, \"read_record_500hz_ms\": %.4f}}\n",
               r100.records_per_s, r500.records_per_s, r100.raw_bytes > 0 ? r100.dataset_bytes / r100.raw_bytes : 0,
               r500.raw_bytes > 0 ? r500.dataset_bytes / r500.raw_bytes : 0, open_ms, read100_ms, read500_ms);
    } else {
        if (have_ptbxl) {
            printf("import 100 Hz: %zu records, %.0f records/s; dataset %.2f MB = %.1f%% of %.2f MB raw WFDB\n",
                   r100.records, r100.records_per_s, r100.dataset_bytes / 1e6,
                   100 * r100.dataset_bytes / r100.raw_bytes, r100.raw_bytes / 1e6);
            printf("import 500 Hz: %zu records, %.0f records/s; dataset %.2f MB = %.1f%% of %.2f MB raw WFDB\n",
                   r500.records, r500.records_per_s, r500.dataset_bytes / 1e6,
                   100 * r500.dataset_bytes / r500.raw_bytes, r500.raw_bytes / 1e6);
            printf("read a random record (500 Hz, 5000 x 12): %.3f ms\n", read500_ms);
        }
        printf("open a %d-record dataset: %.2f ms (median of %d)\n", PTBXL_RECORDS, open_ms, OPENS);
        printf("read a random record (100 Hz, 1000 x 12) from it: %.3f ms (mean of %d)\n", read100_ms, READS);
    }
done:
    g_unlink(out100);
    g_unlink(out500);
    g_rmdir(tmp);
    if (status != ECG_OK) {
        fprintf(stderr, "ecglens-cli: %s\n", err.message);
        return 1;
    }
    return 0;
}
