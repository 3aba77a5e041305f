/* `ecglens-cli render`: one record of a dataset on ECG paper, optionally
 * scored by a model with its overlays, written to PNG, PDF or SVG by the same
 * ui/ecg-plot.c drawing as the window:
 *
 *   render --data D.h5 --record I [--model M.model.h5] [--layout 12x1|6x2|3x4] [--dark] -o out.png|pdf|svg
 */
#include "cli-render.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "checkpoint.h"
#include "dataset.h"
#include "ecg-plot-export.h"

static int fail(const char *message)
{
    fprintf(stderr, "ecglens-cli: %s\n", message);
    return 1;
}

static int usage(GOptionContext *context, const char *message)
{
    g_autofree char *help = g_option_context_get_help(context, TRUE, NULL);
    fprintf(stderr, "ecglens-cli: %s\n\n%s", message, help);
    return 2;
}

/* Score rec with the checkpoint at model_path and draw the page with overlays. */
static int render_scored(const char *model_path, const EcgRecord *rec, EcgPlotLayoutKind kind,
                         const EcgPlotStyle *style, const char *out, EcgError *err)
{
    EcgModel *model = NULL;
    EcgCheckpointInfo info;
    EcgRecordScore score = {0};
    EcgPlotScored shown = {0};
    EcgPlotModelInfo model_info;
    EcgPlotOverlay overlay;
    int s = ecg_checkpoint_load(model_path, &model, &info, err);
    if (s != ECG_OK)
        return s;
    s = ecg_score_record(model, info.has_norm ? &info.norm : NULL, rec, false, &score, err);
    if (s == ECG_OK)
        s = ecg_plot_scored_init(&shown, &score, rec->id, err);
    if (s == ECG_OK) {
        ecg_plot_model_info_from_checkpoint(&model_info, ecg_model_config(model), &info);
        ecg_plot_scored_overlay(&shown, &model_info, model_info.threshold, &overlay);
        s = ecg_plot_export(out, &shown.record, &overlay, kind, 0, shown.record.n_samples / shown.record.fs, style,
                            err);
    }
    if (s == ECG_OK)
        fprintf(stderr, "record %s: score %.4g (tau %.4g, %s)\n", rec->id, shown.record_score, model_info.threshold,
                shown.record_score > model_info.threshold ? "anomalous" : "within normal limits");
    ecg_plot_scored_clear(&shown);
    ecg_record_score_clear(&score);
    ecg_checkpoint_info_clear(&info);
    ecg_model_free(model);
    return s;
}

int cli_render(int argc, char **argv)
{
    g_autofree char *data = NULL, *model = NULL, *layout = NULL, *out = NULL;
    gint64 index = -1;
    gboolean dark = FALSE;
    int status = 0;
    GOptionEntry entries[] = {
        {"data", 0, 0, G_OPTION_ARG_FILENAME, &data, "Dataset holding the record", "D.h5"},
        {"record", 0, 0, G_OPTION_ARG_INT64, &index, "Record index (0-based)", "I"},
        {"model", 0, 0, G_OPTION_ARG_FILENAME, &model, "Score with this model and draw its overlays", "M.model.h5"},
        {"layout", 0, 0, G_OPTION_ARG_STRING, &layout, "12x1 (default), 6x2 or 3x4", "LAYOUT"},
        {"dark", 0, 0, G_OPTION_ARG_NONE, &dark, "Dark paper", NULL},
        {"output", 'o', 0, G_OPTION_ARG_FILENAME, &out, "File to write (.png, .pdf or .svg)", "OUT"},
        {NULL},
    };
    g_autoptr(GOptionContext) context = g_option_context_new("- draw a record view to PNG, PDF or SVG");
    g_option_context_add_main_entries(context, entries, NULL);
    g_autoptr(GError) error = NULL;
    if (!g_option_context_parse(context, &argc, &argv, &error))
        return usage(context, error->message);
    int kind = layout ? ecg_plot_layout_from_name(layout) : ECG_PLOT_LAYOUT_12X1;
    if (!data || index < 0 || !out)
        return usage(context, "render needs --data, --record and -o");
    if (kind < 0)
        return usage(context, "--layout is 12x1, 6x2 or 3x4");

    EcgError err = {0};
    EcgDataset *ds = NULL;
    EcgRecord rec = {0};
    EcgPlotStyle style;
    ecg_plot_style_init(&style, ECG_PLOT_DEFAULT_PX_PER_MM, dark);
    int s = ecg_dataset_open(data, &ds, &err);
    if (s == ECG_OK && (size_t)index >= ecg_dataset_count(ds))
        s = ecg_fail(&err, ECG_ERR_ARG, "%s: no record %lld (the dataset has %zu)", data, (long long)index,
                     ecg_dataset_count(ds));
    if (s == ECG_OK)
        s = ecg_dataset_read_record(ds, (size_t)index, &rec, &err);
    if (s == ECG_OK && model)
        s = render_scored(model, &rec, (EcgPlotLayoutKind)kind, &style, out, &err);
    else if (s == ECG_OK)
        s = ecg_plot_export(out, &rec, NULL, (EcgPlotLayoutKind)kind, 0, rec.n_samples / rec.fs, &style, &err);
    if (s == ECG_OK)
        fprintf(stderr, "wrote %s\n", out);
    status = s == ECG_OK ? 0 : fail(err.message);
    ecg_record_clear(&rec);
    ecg_dataset_close(ds);
    return status;
}
