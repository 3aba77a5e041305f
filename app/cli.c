/* ecglens-cli — the headless front end: the same core calls as the GUI.
 *
 *   ecglens-cli import PTBXL_DIR -o ptbxl.h5 [--rate 100|500] [--limit N]
 *   ecglens-cli info FILE.h5 | RECORD.hea
 *   ecglens-cli synth -n N -o demo.h5 [--fs HZ] [--seed S]
 *   ecglens-cli peaks RECORD.hea [--lead NAME]
 *   ecglens-cli train | score | eval ...   (see cli-model.c)
 *   ecglens-cli bench --io [--ptbxl DIR] [--json]
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli-bench.h"
#include "cli-render.h"
#include "cli-model.h"
#include "dataset.h"
#include "ecg-blas-kernels.h"
#include "dsp.h"
#include "npy.h"
#include "ptbxl.h"
#include "synth.h"
#include "wfdb.h"

static const char *program = "ecglens-cli";

static int fail_core(const EcgError *err)
{
    fprintf(stderr, "%s: %s\n", program, err->message);
    return 1;
}

static int fail_usage(GOptionContext *context, const char *message)
{
    g_autofree char *help = g_option_context_get_help(context, TRUE, NULL);
    fprintf(stderr, "%s: %s\n\n%s", program, message, help);
    return 2;
}

/* Parse argv of a subcommand; on error prints usage and returns FALSE. */
static gboolean parse_options(GOptionContext *context, int *argc, char ***argv, int *status)
{
    g_autoptr(GError) error = NULL;
    if (!g_option_context_parse(context, argc, argv, &error)) {
        *status = fail_usage(context, error->message);
        return FALSE;
    }
    return TRUE;
}

/* ---- progress on stderr: items/s and ETA, redrawn ten times a second on a
 * terminal, a line a second into a log ---- */

typedef struct {
    const char *what;
    gint64 start_us, last_us;
} Progress;

static int print_progress(void *user, size_t done, size_t total)
{
    Progress *p = user;
    gint64 now = g_get_monotonic_time();
    if (done < total && now - p->last_us < (isatty(2) ? 100000 : 1000000))
        return 0;
    p->last_us = now;
    double seconds = (double)(now - p->start_us) / 1e6;
    double rate = seconds > 0 ? (double)done / seconds : 0;
    double eta = rate > 0 ? (double)(total - done) / rate : 0;
    fprintf(stderr, "%s%s: %zu/%zu records  %.0f records/s  ETA %.1f s%s", isatty(2) ? "\r" : "", p->what, done,
            total, rate, eta, isatty(2) && done < total ? "\033[K" : "\n");
    return 0;
}

static Progress progress_start(const char *what)
{
    gint64 now = g_get_monotonic_time();
    return (Progress){what, now, 0};
}

/* ---- import ---- */

static int cmd_import(int argc, char **argv)
{
    g_autofree char *out = NULL;
    int rate = 100, limit = 0, status = 0;
    GOptionEntry entries[] = {
        {"output", 'o', 0, G_OPTION_ARG_FILENAME, &out, "Dataset file to write", "OUT.h5"},
        {"rate", 0, 0, G_OPTION_ARG_INT, &rate, "Sampling rate: 100 or 500 Hz (default 100)", "HZ"},
        {"limit", 0, 0, G_OPTION_ARG_INT, &limit, "Import at most N records", "N"},
        {NULL},
    };
    g_autoptr(GOptionContext) context = g_option_context_new("PTBXL_DIR - import PTB-XL into an ecglens dataset");
    g_option_context_add_main_entries(context, entries, NULL);
    if (!parse_options(context, &argc, &argv, &status))
        return status;
    if (argc != 2 || !out)
        return fail_usage(context, "import needs a PTB-XL folder and -o OUT.h5");
    if (limit < 0)
        return fail_usage(context, "--limit must not be negative");

    Progress progress = progress_start("import");
    EcgPtbxlOptions options = {.rate = rate, .limit = (size_t)limit, .progress = print_progress, .user = &progress};
    EcgImportSummary summary;
    EcgError err = {0};
    status = ecg_ptbxl_import(argv[1], out, &options, &summary, &err);
    double seconds = (double)(g_get_monotonic_time() - progress.start_us) / 1e6;
    if (summary.n_skipped) {
        fprintf(stderr, "skipped %zu of %zu records:\n", summary.n_skipped, summary.n_rows);
        for (size_t i = 0; i < summary.n_skipped; i++)
            fprintf(stderr, "  %s: %s\n", summary.skipped[i].file, summary.skipped[i].reason);
    }
    if (status == ECG_OK)
        fprintf(stderr, "imported %zu of %zu records at %d Hz into %s in %.2f s (%.0f records/s)\n",
                summary.n_imported, summary.n_rows, rate, out, seconds, (double)summary.n_imported / seconds);
    ecg_import_summary_clear(&summary);
    return status == ECG_OK ? 0 : fail_core(&err);
}

/* ---- info ---- */

static void print_dataset_tables(EcgDataset *ds)
{
    size_t n = ecg_dataset_count(ds);
    /* counts[fold][class]: class 0..4 superclasses, 5 none; fold 0 unknown, 11 = all */
    size_t counts[12][ECG_N_SUPERCLASSES + 1] = {{0}}, records[12] = {0}, norm_only = 0, abnormal = 0;
    for (size_t i = 0; i < n; i++) {
        const EcgRecordMeta *m = ecg_dataset_meta(ds, i);
        int folds[2] = {m->strat_fold >= 0 && m->strat_fold <= 10 ? m->strat_fold : 0, 11};
        for (int f = 0; f < 2; f++) {
            records[folds[f]]++;
            for (int s = 0; s < ECG_N_SUPERCLASSES; s++)
                counts[folds[f]][s] += (m->superclass >> s) & 1;
            counts[folds[f]][ECG_N_SUPERCLASSES] += m->superclass == 0;
        }
        norm_only += m->superclass == ECG_SC_NORM;
        abnormal += (m->superclass & ~ECG_SC_NORM) != 0;
    }
    printf("| superclass | records (n=%zu) |\n| --- | --- |\n", n);
    static const char *const long_names[ECG_N_SUPERCLASSES] = {
        "NORM (normal)", "MI (myocardial infarction)", "STTC (ST/T change)", "CD (conduction disturbance)",
        "HYP (hypertrophy)",
    };
    for (int s = 0; s < ECG_N_SUPERCLASSES; s++)
        printf("| %s | %zu |\n", long_names[s], counts[11][s]);
    printf("| no diagnostic superclass | %zu |\n\n", counts[11][ECG_N_SUPERCLASSES]);
    printf("%zu records are NORM only; %zu carry at least one abnormal superclass.\n\n", norm_only, abnormal);
    printf("| fold | NORM | MI | STTC | CD | HYP | none | records |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n");
    for (int f = 0; f <= 10; f++) {
        if (f == 0 && records[0] == 0)
            continue;
        printf("| %s%d |", f == 0 ? "unknown " : "", f);
        for (int s = 0; s <= ECG_N_SUPERCLASSES; s++)
            printf(" %zu |", counts[f][s]);
        printf(" %zu |\n", records[f]);
    }
}

static int info_dataset(const char *path)
{
    EcgDataset *ds;
    EcgError err = {0};
    if (ecg_dataset_open(path, &ds, &err) != ECG_OK)
        return fail_core(&err);
    printf("%s: ecglens dataset, %zu records of %zu samples at %g Hz (%.1f s), 12 leads, %g counts/mV\n", path,
           ecg_dataset_count(ds), ecg_dataset_n_samples(ds), ecg_dataset_fs(ds),
           (double)ecg_dataset_n_samples(ds) / ecg_dataset_fs(ds), ecg_dataset_gain(ds));
    printf("source: %s\n\n", ecg_dataset_source(ds));
    print_dataset_tables(ds);
    ecg_dataset_close(ds);
    return 0;
}

static int info_wfdb(const char *path)
{
    EcgWfdbHeader hdr;
    EcgError err = {0};
    if (ecg_wfdb_read_header(path, &hdr, &err) != ECG_OK)
        return fail_core(&err);
    int32_t *adc = NULL;
    EcgWfdbCheck *checks = NULL;
    int status = 0;
    if (hdr.n_samples > ((size_t)-1) / sizeof *adc / hdr.n_signals ||
        !(adc = malloc(hdr.n_signals * hdr.n_samples * sizeof *adc)) ||
        !(checks = calloc(hdr.n_signals, sizeof *checks))) {
        status = fail_core(&(EcgError){.message = "out of memory"});
        goto done;
    }
    if (ecg_wfdb_read_adc(path, &hdr, adc, &err) != ECG_OK) {
        status = fail_core(&err);
        goto done;
    }
    int verified = ecg_wfdb_verify(&hdr, adc, checks) == ECG_OK;
    printf("%s: WFDB record %s, %zu signals, %g Hz, %zu samples (%.2f s)\n", path, hdr.record_name, hdr.n_signals,
           hdr.fs, hdr.n_samples, (double)hdr.n_samples / hdr.fs);
    printf("%-3s %-10s %-14s %6s %10s %6s %6s %10s %-12s %10s %-12s\n", "#", "lead", "file", "format", "gain", "units",
           "zero", "first", "first ok", "checksum", "checksum ok");
    for (size_t s = 0; s < hdr.n_signals; s++) {
        const EcgWfdbSignal *sig = &hdr.signals[s];
        const EcgWfdbCheck *c = &checks[s];
        int lead = ecg_lead_standard_index(sig->description);
        /* 1 match, 0 mismatch, -1 cannot be checked */
        static const char *const verdict[] = {"-", "NO", "yes"};
        const char *first = verdict[c->first_value_ok + 1], *sum = verdict[c->checksum_ok + 1];
        printf("%-3zu %-10s %-14s %6d %10g %6s %6d %10d %-12s %10d %-12s\n", s,
               lead >= 0 ? ecg_standard_leads[lead] : sig->description, sig->file_name, sig->format, sig->gain,
               sig->units, sig->adc_zero, c->first_value, first, c->checksum, sum);
    }
    printf("first values and checksums %s the header\n", verified ? "match" : "DO NOT match");
    for (size_t i = 0; i < hdr.n_comments; i++)
        printf("# %s\n", hdr.comments[i]);
    status = verified ? 0 : 1;
done:
    free(adc);
    free(checks);
    ecg_wfdb_header_clear(&hdr);
    return status;
}

static int cmd_info(int argc, char **argv)
{
    int status = 0;
    g_autoptr(GOptionContext) context =
        g_option_context_new("FILE.h5|RECORD.hea - summarise a dataset or check a WFDB record");
    if (!parse_options(context, &argc, &argv, &status))
        return status;
    if (argc != 2)
        return fail_usage(context, "info needs one file");
    return g_str_has_suffix(argv[1], ".hea") ? info_wfdb(argv[1]) : info_dataset(argv[1]);
}

/* ---- synth ---- */

static int cmd_synth(int argc, char **argv)
{
    g_autofree char *out = NULL;
    int n = 0, status = 0;
    double fs = 500;
    gint64 seed = 1;
    GOptionEntry entries[] = {
        {"count", 'n', 0, G_OPTION_ARG_INT, &n, "Number of records", "N"},
        {"output", 'o', 0, G_OPTION_ARG_FILENAME, &out, "Dataset file to write", "OUT.h5"},
        {"fs", 0, 0, G_OPTION_ARG_DOUBLE, &fs, "Sampling rate in Hz (default 500)", "HZ"},
        {"seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Random seed (default 1)", "S"},
        {NULL},
    };
    g_autoptr(GOptionContext) context = g_option_context_new("- generate a synthetic 12-lead dataset");
    g_option_context_add_main_entries(context, entries, NULL);
    if (!parse_options(context, &argc, &argv, &status))
        return status;
    if (argc != 1 || !out || n <= 0)
        return fail_usage(context, "synth needs -n N (N > 0) and -o OUT.h5");
    Progress progress = progress_start("synth");
    EcgError err = {0};
    if (ecg_synth_dataset(out, (size_t)n, fs, (uint64_t)seed, print_progress, &progress, &err) != ECG_OK)
        return fail_core(&err);
    return 0;
}

/* ---- peaks ---- */

/* Read a record from a WFDB header or an .npy file (assumed 500 Hz). */
static int read_any_record(const char *path, EcgRecord *rec, EcgError *err)
{
    if (g_str_has_suffix(path, ".npy"))
        return ecg_npy_read_record(path, 500.0, rec, err);
    return ecg_wfdb_read_record(path, rec, err);
}

static int cmd_peaks(int argc, char **argv)
{
    g_autofree char *lead_name = NULL;
    int status = 0;
    GOptionEntry entries[] = {
        {"lead", 0, 0, G_OPTION_ARG_STRING, &lead_name, "Lead to detect on (default II, else the first)", "NAME"},
        {NULL},
    };
    g_autoptr(GOptionContext) context = g_option_context_new("RECORD.hea - print detected R-peak sample indices");
    g_option_context_add_main_entries(context, entries, NULL);
    if (!parse_options(context, &argc, &argv, &status))
        return status;
    if (argc != 2)
        return fail_usage(context, "peaks needs one record");
    EcgRecord rec;
    EcgError err = {0};
    if (read_any_record(argv[1], &rec, &err) != ECG_OK)
        return fail_core(&err);
    int lead = ecg_record_find_lead(&rec, lead_name ? lead_name : "II");
    if (lead < 0 && lead_name) {
        ecg_fail(&err, ECG_ERR_ARG, "%s: no lead '%s'", argv[1], lead_name);
        ecg_record_clear(&rec);
        return fail_core(&err);
    }
    if (lead < 0)
        lead = 0;
    size_t *peaks = NULL, n_peaks = 0;
    status = ecg_detect_rpeaks(ecg_record_lead(&rec, (size_t)lead), rec.n_samples, rec.fs, &peaks, &n_peaks, &err);
    if (status == ECG_OK) {
        for (size_t i = 0; i < n_peaks; i++)
            printf("%zu\n", peaks[i]);
        fprintf(stderr, "%zu R peaks on lead %s, heart rate %.1f bpm\n", n_peaks, rec.leads[lead].name,
                ecg_heart_rate_bpm(peaks, n_peaks, rec.fs));
    }
    free(peaks);
    ecg_record_clear(&rec);
    return status == ECG_OK ? 0 : fail_core(&err);
}

/* ---- main ---- */

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"import", cmd_import, "import PTB-XL into an ecglens dataset"},
    {"info", cmd_info, "summarise a dataset or check a WFDB record"},
    {"synth", cmd_synth, "generate a synthetic 12-lead dataset"},
    {"peaks", cmd_peaks, "print detected R-peak sample indices"},
    {"train", cli_train, "train a model"},
    {"score", cli_score, "score a dataset or one record's windows"},
    {"eval", cli_eval, "evaluate a model on the test fold"},
    {"render", cli_render, "draw a record view to PNG, PDF or SVG"},
    {"bench", cli_bench, "measure speed"},
};

static int usage(FILE *f)
{
    fprintf(f, "Usage: %s COMMAND [OPTIONS]\n\nCommands:\n", program);
    for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
        fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nRun '%s COMMAND --help' for a command's options.\n", program);
    return f == stdout ? 0 : 2;
}

int main(int argc, char **argv)
{
    ecg_blas_use_cpu_kernels(argv);
    if (argc < 2)
        return usage(stderr);
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0)
        return usage(stdout);
    for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
        if (strcmp(argv[1], commands[i].name) == 0) {
            g_set_prgname(commands[i].name);
            int status = commands[i].run(argc - 1, argv + 1);
            ecg_dsp_cleanup();
            return status;
        }
    fprintf(stderr, "%s: unknown command '%s'\n", program, argv[1]);
    return usage(stderr);
}
