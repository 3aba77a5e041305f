/* `ecglens-cli bench`: for each model kind, training windows per second and the
 * time to score a 10 s record at 100 Hz (one thread unless --threads);
 * with --io, import speed at 100 and 500 Hz, dataset size against the raw WFDB
 * bytes, the time to open a 21,799-record dataset (PTB-XL's size, made with
 * synth) and to read a random record; with --ui, a full redraw of the record
 * view (12 leads × 10 s at 500 Hz with every overlay) into 1920 × 1080. */
#include "cli-bench.h"
#include "cli-bench-browse.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli-bench-browse.h"
#include "dataset.h"
#include "ecg-plot-export.h"
#include "nn/gemm.h"
#include "ptbxl.h"
#include "rng.h"
#include "score.h"
#include "synth.h"
#include "train.h"

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

/* ---- models ---- */

typedef struct {
    double train_windows_per_s, infer_ms_per_record;
} ModelResult;

/* Training steps on random windows for about seconds, after one warm-up step. */
static int bench_train(const EcgModelConfig *cfg, size_t threads, size_t B, double seconds, double *windows_per_s,
                       EcgError *err)
{
    EcgTrainer *t;
    int status = ecg_trainer_new(cfg, threads, B, cfg->window, 1e-3, 1.0, 1, &t, err);
    if (status != ECG_OK)
        return status;
    EcgRng rng;
    ecg_rng_init(&rng, 7);
    float *x = ecg_trainer_batch(t); // (B, T, 12)
    for (size_t i = 0; i < B * cfg->window * 12; i++)
        x[i] = (float)ecg_rng_normal(&rng);
    EcgModelLoss loss;
    status = ecg_trainer_step(t, B, 1.0, &loss, err);
    size_t steps = 0;
    double t0 = now_s();
    while (status == ECG_OK && (now_s() - t0 < seconds || steps < 2)) {
        status = ecg_trainer_step(t, B, 1.0, &loss, err);
        steps++;
    }
    *windows_per_s = (double)(steps * B) / (now_s() - t0);
    ecg_trainer_free(t);
    return status;
}

/* Median time to score a synthetic 10 s record at 100 Hz (preprocessing included). */
static int bench_infer(const EcgModelConfig *cfg, double seconds, double *ms, EcgError *err)
{
    enum { MAX_RUNS = 1000 };
    EcgModel *m;
    EcgRecord rec;
    size_t *peaks = NULL, n_peaks;
    int status = ecg_model_new(cfg, &m, err);
    if (status != ECG_OK)
        return status;
    ecg_model_init_weights(m, 1);
    if ((status = ecg_synth_record(ECG_SYNTH_NORMAL, 100.0, 10.0, 1, &rec, &peaks, &n_peaks, err)) != ECG_OK) {
        ecg_model_free(m);
        return status;
    }
    free(peaks);
    static double times[MAX_RUNS];
    size_t runs = 0;
    double start = now_s();
    while (status == ECG_OK && runs < MAX_RUNS && (now_s() - start < seconds || runs < 5)) {
        EcgRecordScore score;
        double t0 = now_s();
        status = ecg_score_record(m, NULL, &rec, false, &score, err);
        times[runs++] = (now_s() - t0) * 1e3;
        ecg_record_score_clear(&score);
    }
    for (size_t i = 1; i < runs; i++) /* insertion sort for the median */
        for (size_t j = i; j > 0 && times[j] < times[j - 1]; j--) {
            double tmp = times[j];
            times[j] = times[j - 1];
            times[j - 1] = tmp;
        }
    *ms = times[runs / 2];
    ecg_record_clear(&rec);
    ecg_model_free(m);
    return status;
}

static int bench_models(const char *only, size_t threads, size_t window, size_t batch, double seconds, bool json)
{
    EcgError err = {0};
    int first = 1;
    if (json)
        printf("{\"kernels\": \"%s\", \"threads\": %zu, \"window\": %zu, \"batch\": %zu, \"results\": {",
               ecg_gemm_kernels(), threads, window, batch);
    else
        printf("BLAS kernels %s, %zu thread%s, window %zu, batch %zu\n", ecg_gemm_kernels(), threads,
               threads == 1 ? "" : "s", window, batch);
    for (int k = 0; k < ECG_MODEL_N_KINDS; k++) {
        const EcgModelKindInfo *info = ecg_model_kind_info((EcgModelKind)k);
        if (only && strcmp(only, info->name) != 0)
            continue;
        EcgModelConfig cfg;
        ecg_model_config_default(&cfg, (EcgModelKind)k);
        cfg.window = window;
        ModelResult r;
        if (bench_train(&cfg, threads, batch, seconds, &r.train_windows_per_s, &err) != ECG_OK ||
            bench_infer(&cfg, seconds / 2, &r.infer_ms_per_record, &err) != ECG_OK) {
            fprintf(stderr, "ecglens-cli: %s\n", err.message);
            return 1;
        }
        if (json)
            printf("%s\"%s\": {\"train_windows_per_s\": %.2f, \"infer_ms_per_record\": %.4f}", first ? "" : ", ",
                   info->name, r.train_windows_per_s, r.infer_ms_per_record);
        else
            printf("%-16s train %9.1f windows/s   score a 10 s record %8.3f ms\n", info->name,
                   r.train_windows_per_s, r.infer_ms_per_record);
        fflush(stdout);
        first = 0;
    }
    if (json)
        printf("}}\n");
    return 0;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The record view's page of a synthetic 12-lead, 10 s, 500 Hz record with
 * MHA-like overlays (reconstruction, ±2σ band, error and attention strips,
 * spans above τ), drawn `runs` times into a 1920 × 1080 image at the density
 * that fits the page, as the view draws it when anything on it changes
 * (ecg_plot_draw_view, nothing kept from the run before); the median time of
 * a full redraw. */
static int bench_ui(int runs, bool json)
{
    enum { W = 1920, H = 1080 };
    EcgError err = {0};
    EcgRecord rec = {0};
    if (ecg_synth_record(ECG_SYNTH_MI_ANTERIOR, 500, 10, 1, &rec, NULL, NULL, &err) != ECG_OK) {
        fprintf(stderr, "ecglens-cli: %s\n", err.message);
        return 1;
    }
    size_t n = rec.n_samples, total = 12 * n;
    float *buf = malloc(5 * total * sizeof *buf);
    double *ms = malloc((size_t)runs * sizeof *ms);
    if (!buf || !ms) {
        fprintf(stderr, "ecglens-cli: out of memory\n");
        free(buf);
        free(ms);
        ecg_record_clear(&rec);
        return 1;
    }
    float *recon = buf, *sigma = buf + total, *point = buf + 2 * total, *smooth = buf + 3 * total,
          *attn = buf + 4 * total;
    EcgRng rng;
    ecg_rng_init(&rng, 7);
    for (size_t i = 0; i < total; i++) {
        size_t t = i % n;
        /* a smoothed, damped copy: errors at the QRS complexes, as a VAE gives */
        recon[i] = 0.8f * (rec.samples[i] + rec.samples[i - (t > 0)] + rec.samples[i - (t > 1) * 2]) / 3.0f;
        sigma[i] = 0.05f;
        point[i] = (rec.samples[i] - recon[i]) * (rec.samples[i] - recon[i]);
        attn[i] = (float)(1.0 / 12 + 0.03 * (ecg_rng_uniform(&rng) * 2 - 1));
    }
    ecg_score_smooth(point, 12, n, rec.fs, ECG_SPAN_SMOOTH_S, smooth);
    float lead_score[12] = {0};
    EcgPlotModelInfo model = {.name = "bench", .threshold = 0.002, .percentile = 95, .score_lo = 0,
                              .score_hi = 0.01, .attn_dev_max = ECG_PLOT_ATTN_DEV_MAX, .variational = true,
                              .has_lead_attention = true, .has_time_attention = true};
    EcgPlotOverlay ov = {.model = &model, .recon = recon, .sigma = sigma, .point = point, .smooth = smooth,
                         .attn = attn, .lead_score = lead_score, .record_score = 0.003, .threshold = 0.002};
    for (size_t l = 0; l < 12; l++)
        lead_score[l] = l % 3 == 0 ? 0.004f : 0.001f;

    EcgPlotStyle style;
    EcgPlotLayout layout;
    ecg_plot_style_init(&style, 1.0, false);
    ecg_plot_layout_compute(&layout, ECG_PLOT_LAYOUT_12X1, 0, 0, 12, 0, 10, ecg_plot_overlay_strips(&ov), &style);
    double fit = W / layout.width < H / layout.height ? W / layout.width : H / layout.height;
    ecg_plot_style_init(&style, fit, false);
    ecg_plot_layout_compute(&layout, ECG_PLOT_LAYOUT_12X1, 0, 0, 12, 0, 10, ecg_plot_overlay_strips(&ov), &style);
    cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, W, H);
    size_t flagged = 0;
    for (int r = 0; r < runs; r++) {
        double t0 = now_s();
        cairo_t *cr = cairo_create(surface);
        flagged = ecg_plot_draw_view(cr, W, H, &rec, &ov, &layout, &style);
        cairo_destroy(cr);
        cairo_surface_flush(surface);
        ms[r] = (now_s() - t0) * 1e3;
    }
    qsort(ms, (size_t)runs, sizeof *ms, compare_doubles);
    double median = ms[runs / 2], best = ms[0], worst = ms[runs - 1];
    if (json)
        printf("{\"ui\": {\"redraw_ms_median\": %.3f, \"redraw_ms_min\": %.3f, \"redraw_ms_max\": %.3f, "
               "\"runs\": %d, \"width\": %d, \"height\": %d, \"px_per_mm\": %.3f, \"leads\": 12, "
               "\"samples_per_lead\": %zu, \"flagged\": %zu}}\n",
               median, best, worst, runs, W, H, fit, n, flagged);
    else
        printf("redraw of 12 leads x %zu samples with every overlay into %d x %d (%.2f px/mm): median %.2f ms "
               "(min %.2f, max %.2f, %d runs)\n",
               n, W, H, fit, median, best, worst, runs);
    cairo_surface_destroy(surface);
    free(buf);
    free(ms);
    ecg_record_clear(&rec);
    return 0;
}

int cli_bench(int argc, char **argv)
{
    gboolean io = FALSE, ui = FALSE, json = FALSE;
    g_autofree char *ptbxl_dir = NULL, *big = NULL, *model = NULL, *browse = NULL, *checkpoint = NULL;
    int threads = 1, window = 256, batch = 32, runs = 50, records = 1000;
    double seconds = 3;
    GOptionEntry entries[] = {
        {"model", 0, 0, G_OPTION_ARG_STRING, &model, "Only this kind: cae, vae_bilstm or vae_bilstm_mha", "KIND"},
        {"threads", 0, 0, G_OPTION_ARG_INT, &threads, "Training threads (default 1)", "N"},
        {"window", 0, 0, G_OPTION_ARG_INT, &window, "Window samples (default 256)", "T"},
        {"batch", 0, 0, G_OPTION_ARG_INT, &batch, "Windows per batch (default 32)", "B"},
        {"seconds", 0, 0, G_OPTION_ARG_DOUBLE, &seconds, "Time per measurement (default 3)", "S"},
        {"io", 0, 0, G_OPTION_ARG_NONE, &io, "Measure import, dataset size, open and read instead", NULL},
        {"ptbxl", 0, 0, G_OPTION_ARG_FILENAME, &ptbxl_dir, "PTB-XL folder (default ../shared/ptbxl)", "DIR"},
        {"big", 0, 0, G_OPTION_ARG_FILENAME, &big,
         "21,799-record dataset to open (made with synth at 100 Hz if missing; default in the temp dir)", "FILE"},
        {"ui", 0, 0, G_OPTION_ARG_NONE, &ui, "Measure a full redraw of the record view instead", NULL},
        {"runs", 0, 0, G_OPTION_ARG_INT, &runs, "Redraws to take the median of (--ui, default 50)", "N"},
        {"browse", 0, 0, G_OPTION_ARG_FILENAME, &browse,
         "Step through records of this dataset as the window does (needs --checkpoint)", "D.h5"},
        {"checkpoint", 0, 0, G_OPTION_ARG_FILENAME, &checkpoint, "Model to score with (--browse)", "M.model.h5"},
        {"records", 0, 0, G_OPTION_ARG_INT, &records, "Records to step through (--browse, default 1000)", "N"},
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
    if (ui)
        return bench_ui(runs > 0 ? runs : 1, json);
    if (browse) {
        if (!checkpoint || records < 1) {
            fprintf(stderr, "ecglens-cli: bench --browse needs --checkpoint and --records >= 1\n");
            return 2;
        }
        /* as in the window: the app's own threads, one BLAS thread each */
        ecg_gemm_set_threads(1);
        return bench_browse(browse, checkpoint, records, json);
    }
    if (!io) {
        if (threads < 1 || window < 8 || batch < 1 || (model && ecg_model_kind_from_name(model) < 0)) {
            fprintf(stderr, "ecglens-cli: bench needs --threads >= 1, --window >= 8, --batch >= 1 and a known --model\n");
            return 2;
        }
        /* one thread means one: no BLAS threads either */
        ecg_gemm_set_threads(1);
        return bench_models(model, (size_t)threads, (size_t)window, (size_t)batch, seconds, json);
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
