/* `ecglens-cli bench --browse`: what the window does when the user steps to
 * another record, measured without GTK: read the record, score it with the
 * model (keeping the windows the MHA model's attention view needs), build the
 * shown arrays and draw the whole page at 1920 × 1080; then a re-threshold
 * (the same page at another τ), and resident memory across many records. */
#include "cli-bench-browse.h"

#include <cairo.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "checkpoint.h"
#include "dataset.h"
#include "ecg-plot-export.h"

enum { WIDTH = 1920, HEIGHT = 1080, WARM_RECORDS = 50 };

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double resident_mb(void)
{
    long pages_total = 0, pages_resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f == NULL)
        return 0;
    if (fscanf(f, "%ld %ld", &pages_total, &pages_resident) != 2)
        pages_resident = 0;
    fclose(f);
    return pages_resident * (double)sysconf(_SC_PAGESIZE) / (1024.0 * 1024.0);
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The page of a scored record fitted into the screen, drawn once; τ as given. */
static void draw_page(cairo_surface_t *surface, const EcgPlotScored *shown, const EcgPlotModelInfo *model,
                      double tau)
{
    EcgPlotOverlay overlay;
    EcgPlotStyle style;
    EcgPlotLayout layout;
    double duration = shown->record.n_samples / shown->record.fs;
    ecg_plot_scored_overlay(shown, model, tau, &overlay);
    ecg_plot_style_init(&style, ECG_PLOT_DEFAULT_PX_PER_MM, false);
    ecg_plot_layout_compute(&layout, ECG_PLOT_LAYOUT_12X1, 0, 0, shown->record.n_leads, 0, duration,
                            ecg_plot_overlay_strips(&overlay), &style);
    style.scale.zoom = WIDTH / layout.width < 1 ? WIDTH / layout.width : 1;
    ecg_plot_layout_compute(&layout, ECG_PLOT_LAYOUT_12X1, 0, 0, shown->record.n_leads, 0, duration,
                            ecg_plot_overlay_strips(&overlay), &style);
    cairo_t *cr = cairo_create(surface);
    ecg_plot_draw_view(cr, WIDTH, HEIGHT, &shown->record, &overlay, &layout, &style);
    cairo_destroy(cr);
    cairo_surface_flush(surface);
}

/* One step to record index: read, score, shown arrays, page. */
static int show_record(EcgDataset *ds, size_t index, EcgModel *model, const EcgCheckpointInfo *info,
                       const EcgPlotModelInfo *model_info, cairo_surface_t *surface, EcgPlotScored *shown,
                       EcgError *err)
{
    EcgRecord rec = {0};
    EcgRecordScore score = {0};
    bool keep_windows = ecg_model_kind_info(ecg_model_config(model)->kind)->time_attention;
    int s = ecg_dataset_read_record(ds, index, &rec, err);
    if (s == ECG_OK)
        s = ecg_score_record(model, info->has_norm ? &info->norm : NULL, &rec, keep_windows, &score, err);
    ecg_plot_scored_clear(shown);
    if (s == ECG_OK)
        s = ecg_plot_scored_init(shown, &score, rec.id, err);
    if (s == ECG_OK)
        draw_page(surface, shown, model_info, model_info->threshold);
    ecg_record_score_clear(&score);
    ecg_record_clear(&rec);
    return s;
}

int bench_browse(const char *data, const char *model_path, int n_records, bool json)
{
    EcgError err = {0};
    EcgDataset *ds = NULL;
    EcgModel *model = NULL;
    EcgCheckpointInfo info = {0};
    EcgPlotModelInfo model_info;
    EcgPlotScored shown = {0};
    cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, WIDTH, HEIGHT);
    double *switch_ms = calloc((size_t)n_records, sizeof *switch_ms);
    double rethreshold_ms[50], rss_warm = 0, rss_end;
    int s = switch_ms ? ECG_OK : ecg_fail(&err, ECG_ERR_NOMEM, "out of memory");
    if (s == ECG_OK)
        s = ecg_dataset_open(data, &ds, &err);
    if (s == ECG_OK)
        s = ecg_checkpoint_load(model_path, &model, &info, &err);
    if (s == ECG_OK)
        ecg_plot_model_info_from_checkpoint(&model_info, ecg_model_config(model), &info);
    size_t count = s == ECG_OK ? ecg_dataset_count(ds) : 0;
    for (int i = 0; s == ECG_OK && i < n_records; i++) {
        double t0 = now_ms();
        s = show_record(ds, (size_t)i % count, model, &info, &model_info, surface, &shown, &err);
        switch_ms[i] = now_ms() - t0;
        if (i + 1 == WARM_RECORDS)
            rss_warm = resident_mb();
    }
    rss_end = resident_mb();
    /* the slider: the page of the last record again at other thresholds */
    for (int i = 0; s == ECG_OK && i < 50; i++) {
        double t0 = now_ms();
        draw_page(surface, &shown, &model_info,
                  model_info.score_lo + (model_info.score_hi - model_info.score_lo) * i / 49.0);
        rethreshold_ms[i] = now_ms() - t0;
    }
    if (s == ECG_OK) {
        qsort(switch_ms, (size_t)n_records, sizeof *switch_ms, compare_doubles);
        qsort(rethreshold_ms, 50, sizeof *rethreshold_ms, compare_doubles);
        double median = switch_ms[n_records / 2], p95 = switch_ms[n_records * 95 / 100];
        double worst = switch_ms[n_records - 1];
        const char *kind = ecg_model_kind_info(ecg_model_config(model)->kind)->name;
        if (json)
            printf("{\"browse\": {\"model\": \"%s\", \"records\": %d, \"switch_ms_median\": %.2f, "
                   "\"switch_ms_p95\": %.2f, \"switch_ms_max\": %.2f, \"rethreshold_ms_median\": %.2f, "
                   "\"rethreshold_ms_max\": %.2f, \"rss_mb_after_%d\": %.1f, \"rss_mb_after_all\": %.1f}}\n",
                   kind, n_records, median, p95, worst, rethreshold_ms[25], rethreshold_ms[49], WARM_RECORDS,
                   rss_warm, rss_end);
        else
            printf("%s, %d records of %s at %d x %d: switch (read, score, draw) median %.1f ms, p95 %.1f, max %.1f; "
                   "re-threshold median %.2f ms (max %.2f); resident %.1f MB after %d records, %.1f MB after %d\n",
                   kind, n_records, data, WIDTH, HEIGHT, median, p95, worst, rethreshold_ms[25], rethreshold_ms[49],
                   rss_warm, WARM_RECORDS, rss_end, n_records);
    } else {
        fprintf(stderr, "ecglens-cli: %s\n", err.message);
    }
    ecg_plot_scored_clear(&shown);
    ecg_checkpoint_info_clear(&info);
    ecg_model_free(model);
    if (ds)
        ecg_dataset_close(ds);
    cairo_surface_destroy(surface);
    free(switch_ms);
    return s == ECG_OK ? 0 : 1;
}
