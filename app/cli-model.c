/* The model commands of ecglens-cli:
 *
 *   train --data D.h5 --model cae|vae_bilstm|vae_bilstm_mha [--preset quick|standard] [--epochs N]
 *         [--batch B] [--lr X] [--threads N] [--seed S] [--name NAME] -o M.model.h5
 *   score --model M.model.h5 --data D.h5 -o scores.h5
 *   score --model M.model.h5 --data D.h5 --record I --windows W.h5
 *   eval  --model M.model.h5 --data D.h5 [--json] [--save]
 */
#include "cli-model.h"

#include <glib.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checkpoint.h"
#include "dataset.h"
#include "eval.h"
#include "score-file.h"
#include "train.h"

static int fail(const char *message)
{
    fprintf(stderr, "ecglens-cli: %s\n", message);
    return 1;
}

/* Parse a subcommand's options; prints usage on error. */
static gboolean parse(GOptionContext *context, int *argc, char ***argv, int *status)
{
    g_autoptr(GError) error = NULL;
    if (g_option_context_parse(context, argc, argv, &error))
        return TRUE;
    g_autofree char *help = g_option_context_get_help(context, TRUE, NULL);
    fprintf(stderr, "ecglens-cli: %s\n\n%s", error->message, help);
    *status = 2;
    return FALSE;
}

static int usage(GOptionContext *context, const char *message)
{
    g_autofree char *help = g_option_context_get_help(context, TRUE, NULL);
    fprintf(stderr, "ecglens-cli: %s\n\n%s", message, help);
    return 2;
}

/* ---- train ---- */

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
    (void)sig;
    interrupted = 1;
}

typedef struct {
    gint64 start_us, last_us;
    size_t total_batches, done_batches;
} TrainBar;

/* A one-line progress bar redrawn on a terminal, an epoch summary line each epoch. */
static int show_progress(void *user, const EcgTrainProgress *p)
{
    TrainBar *bar = user;
    gint64 now = g_get_monotonic_time();
    if (p->epoch_done) {
        fprintf(stderr,
                "%sepoch %3zu/%zu  loss %.4f  recon %.4f  kl %.4f  val %.4f (mse %.4f)  beta %.2f  lr %.1e  %.0f windows/s\n",
                isatty(2) ? "\r\033[K" : "", p->epoch, p->n_epochs, p->loss, p->recon, p->kl, p->val_loss, p->val_mse,
                p->beta, p->lr, p->windows_per_s);
        return interrupted;
    }
    bar->done_batches = (p->epoch - 1) * p->n_batches + p->batch;
    bar->total_batches = p->n_epochs * p->n_batches;
    if (isatty(2) && now - bar->last_us > 100000) {
        enum { WIDTH = 24 };
        double frac = (double)p->batch / (double)p->n_batches;
        double elapsed = (double)(now - bar->start_us) / 1e6;
        double eta = elapsed / (double)bar->done_batches * (double)(bar->total_batches - bar->done_batches);
        char cells[WIDTH + 1];
        for (int i = 0; i < WIDTH; i++)
            cells[i] = i < (int)(frac * WIDTH) ? '#' : '.';
        cells[WIDTH] = '\0';
        fprintf(stderr, "\r\033[Kepoch %zu/%zu [%s] batch %zu/%zu  loss %.4f  %.0f windows/s  ETA %.0f s (at most)",
                p->epoch, p->n_epochs, cells, p->batch, p->n_batches, p->loss, p->windows_per_s, eta);
        bar->last_us = now;
    }
    return interrupted;
}

int cli_train(int argc, char **argv)
{
    g_autofree char *data = NULL, *kind = NULL, *preset = NULL, *out = NULL, *name = NULL, *normalization = NULL;
    int epochs = 0, batch = 0, threads = 0, status = 0;
    double lr = 0;
    gint64 seed = -1;
    GOptionEntry entries[] = {
        {"data", 0, 0, G_OPTION_ARG_FILENAME, &data, "Dataset to train on", "D.h5"},
        {"model", 0, 0, G_OPTION_ARG_STRING, &kind, "cae, vae_bilstm or vae_bilstm_mha", "KIND"},
        {"preset", 0, 0, G_OPTION_ARG_STRING, &preset, "quick or standard (default)", "PRESET"},
        {"epochs", 0, 0, G_OPTION_ARG_INT, &epochs, "Epochs at most", "N"},
        {"batch", 0, 0, G_OPTION_ARG_INT, &batch, "Windows per batch", "B"},
        {"lr", 0, 0, G_OPTION_ARG_DOUBLE, &lr, "Learning rate", "X"},
        {"threads", 0, 0, G_OPTION_ARG_INT, &threads, "Threads", "N"},
        {"seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Random seed (default 1)", "S"},
        {"name", 0, 0, G_OPTION_ARG_STRING, &name, "Name shown in the model selector", "NAME"},
        {"normalization", 0, 0, G_OPTION_ARG_STRING, &normalization, "record (default) or dataset", "HOW"},
        {"output", 'o', 0, G_OPTION_ARG_FILENAME, &out, "Checkpoint to write", "M.model.h5"},
        {NULL},
    };
    g_autoptr(GOptionContext) context = g_option_context_new("- train a model");
    g_option_context_add_main_entries(context, entries, NULL);
    if (!parse(context, &argc, &argv, &status))
        return status;
    int k = kind ? ecg_model_kind_from_name(kind) : -1;
    if (!data || !out || k < 0)
        return usage(context, "train needs --data, --model cae|vae_bilstm|vae_bilstm_mha and -o");
    if (preset && strcmp(preset, "quick") != 0 && strcmp(preset, "standard") != 0)
        return usage(context, "--preset is quick or standard");
    if (normalization && strcmp(normalization, "record") != 0 && strcmp(normalization, "dataset") != 0)
        return usage(context, "--normalization is record or dataset");

    EcgModelConfig cfg;
    ecg_model_config_default(&cfg, (EcgModelKind)k);
    if (name)
        snprintf(cfg.name, sizeof cfg.name, "%s", name);
    if (normalization)
        cfg.normalization = strcmp(normalization, "dataset") == 0 ? ECG_NORM_DATASET : ECG_NORM_RECORD;
    EcgTrainOptions opt;
    ecg_train_options_default(&opt, &cfg, preset && strcmp(preset, "quick") == 0);
    if (epochs > 0)
        opt.epochs = (size_t)epochs;
    if (batch > 0)
        opt.batch = (size_t)batch;
    if (lr > 0)
        opt.lr = lr;
    if (threads > 0)
        opt.threads = threads;
    if (seed >= 0)
        opt.seed = (uint64_t)seed;

    EcgError err = {0};
    EcgDataset *ds = NULL;
    EcgModel *model = NULL;
    EcgTrainResult result;
    EcgCheckpointInfo info;
    ecg_checkpoint_info_init(&info);
    if (ecg_dataset_open(data, &ds, &err) != ECG_OK)
        return fail(err.message);
    signal(SIGINT, on_interrupt);
    TrainBar bar = {.start_us = g_get_monotonic_time()};
    fprintf(stderr, "training %s on %s: up to %zu epochs, batch %zu, lr %g, seed %llu\n",
            ecg_model_kind_info(cfg.kind)->name, data, opt.epochs, opt.batch, opt.lr, (unsigned long long)opt.seed);
    int s = ecg_train(ds, &opt, show_progress, &bar, &model, &result, &err);
    signal(SIGINT, SIG_DFL);
    if (s == ECG_OK) {
        info.has_norm = true;
        info.norm = result.norm;
        info.best_epoch = result.best_epoch;
        if ((s = ecg_checkpoint_info_set_calibration(&info, result.threshold, result.percentile, result.val_scores,
                                                     result.n_val, &err)) == ECG_OK &&
            (s = ecg_checkpoint_info_set_history(&info, &result.history, &err)) == ECG_OK)
            s = ecg_checkpoint_save(out, model, &info, &err);
    }
    if (s == ECG_OK)
        fprintf(stderr, "wrote %s: best epoch %zu of %zu, %zu training records, threshold %.4f (%g-th percentile of %zu "
                        "validation normals), %.1f s\n",
                out, result.best_epoch, result.history.n_epochs, result.n_train_records, result.threshold,
                result.percentile, result.n_val, (double)(g_get_monotonic_time() - bar.start_us) / 1e6);
    status = s == ECG_OK ? 0 : fail(err.message);
    if (s == ECG_ERR_CANCELLED)
        fprintf(stderr, "ecglens-cli: nothing was written\n");
    ecg_train_result_clear(&result);
    ecg_checkpoint_info_clear(&info);
    ecg_model_free(model);
    ecg_dataset_close(ds);
    return status;
}

/* ---- score ---- */

typedef struct {
    EcgModel *model;
    EcgCheckpointInfo info;
    EcgDataset *ds;
} Loaded;

static int load_model_and_data(const char *model_path, const char *data, Loaded *l, EcgError *err)
{
    memset(l, 0, sizeof *l);
    int s = ecg_checkpoint_load(model_path, &l->model, &l->info, err);
    if (s == ECG_OK)
        s = ecg_dataset_open(data, &l->ds, err);
    return s;
}

static void loaded_clear(Loaded *l)
{
    ecg_model_free(l->model);
    ecg_checkpoint_info_clear(&l->info);
    ecg_dataset_close(l->ds);
}

static int score_dataset(Loaded *l, const char *out, EcgError *err)
{
    size_t n = ecg_dataset_count(l->ds);
    double *record_score = malloc(n * sizeof *record_score);
    float *lead_score = malloc(n * 12 * sizeof *lead_score);
    int32_t *ids = malloc(n * sizeof *ids);
    int s = record_score && lead_score && ids ? ECG_OK : ecg_fail(err, ECG_ERR_NOMEM, "out of memory");
    size_t failed = 0;
    gint64 start = g_get_monotonic_time();
    for (size_t i = 0; i < n && s == ECG_OK; i++) {
        EcgRecord rec;
        EcgRecordScore score;
        EcgError record_err = {0};
        ids[i] = ecg_dataset_meta(l->ds, i)->ecg_id;
        if ((s = ecg_dataset_read_record(l->ds, i, &rec, err)) != ECG_OK)
            break;
        /* a record that cannot be scored (all windows missing) gets NaN and is counted */
        if (ecg_score_record(l->model, l->info.has_norm ? &l->info.norm : NULL, &rec, false, &score, &record_err) ==
            ECG_OK) {
            record_score[i] = score.record_score;
            memcpy(lead_score + i * 12, score.lead_score, sizeof score.lead_score);
            ecg_record_score_clear(&score);
        } else {
            record_score[i] = NAN;
            for (int k = 0; k < 12; k++)
                lead_score[i * 12 + k] = NAN;
            if (failed++ == 0)
                fprintf(stderr, "ecglens-cli: %s\n", record_err.message);
        }
        ecg_record_clear(&rec);
    }
    if (s == ECG_OK)
        s = ecg_scores_file_write(out, ecg_model_config(l->model)->name, l->info.threshold, ids, record_score,
                                  lead_score, n, err);
    if (s == ECG_OK)
        fprintf(stderr, "scored %zu records in %.2f s%s; wrote %s\n", n,
                (double)(g_get_monotonic_time() - start) / 1e6, failed ? " (some could not be scored: NaN)" : "",
                out);
    free(record_score);
    free(lead_score);
    free(ids);
    return s;
}

static int score_windows(Loaded *l, size_t index, const char *out, EcgError *err)
{
    EcgRecord rec;
    EcgRecordScore score;
    int s = ecg_dataset_read_record(l->ds, index, &rec, err);
    if (s != ECG_OK)
        return s;
    s = ecg_score_record(l->model, l->info.has_norm ? &l->info.norm : NULL, &rec, true, &score, err);
    if (s == ECG_OK) {
        s = ecg_windows_file_write(out, rec.id, score.fs, &score.windows, err);
        if (s == ECG_OK)
            printf("record %s: score %.4f (threshold %.4f), %zu windows of %zu samples, %zu skipped; wrote %s\n",
                   rec.id, score.record_score, l->info.threshold, score.windows.n_windows, score.windows.T,
                   score.n_skipped, out);
        ecg_record_score_clear(&score);
    }
    ecg_record_clear(&rec);
    return s;
}

int cli_score(int argc, char **argv)
{
    g_autofree char *model = NULL, *data = NULL, *out = NULL, *windows = NULL;
    gint64 record = -1;
    int status = 0;
    GOptionEntry entries[] = {
        {"model", 0, 0, G_OPTION_ARG_FILENAME, &model, "Checkpoint", "M.model.h5"},
        {"data", 0, 0, G_OPTION_ARG_FILENAME, &data, "Dataset", "D.h5"},
        {"output", 'o', 0, G_OPTION_ARG_FILENAME, &out, "Scores file to write", "scores.h5"},
        {"record", 0, 0, G_OPTION_ARG_INT64, &record, "Only this record (0-based index)", "I"},
        {"windows", 0, 0, G_OPTION_ARG_FILENAME, &windows, "With --record: write its windows' inputs and outputs",
         "W.h5"},
        {NULL},
    };
    g_autoptr(GOptionContext) context = g_option_context_new("- score a dataset or one record's windows");
    g_option_context_add_main_entries(context, entries, NULL);
    if (!parse(context, &argc, &argv, &status))
        return status;
    if (!model || !data || (record < 0 && !out) || (record >= 0 && !windows))
        return usage(context, "score needs --model, --data and either -o or --record with --windows");
    Loaded l;
    EcgError err = {0};
    int s = load_model_and_data(model, data, &l, &err);
    if (s == ECG_OK && record >= 0 && (size_t)record >= ecg_dataset_count(l.ds))
        s = ecg_fail(&err, ECG_ERR_ARG, "%s: no record %lld (%zu records)", data, (long long)record,
                     ecg_dataset_count(l.ds));
    if (s == ECG_OK)
        s = record >= 0 ? score_windows(&l, (size_t)record, windows, &err) : score_dataset(&l, out, &err);
    loaded_clear(&l);
    return s == ECG_OK ? 0 : fail(err.message);
}

/* ---- eval ---- */

/* A JSON number, or null for NaN and infinities (undefined metrics). */
static void print_json_number(const char *key, double value, const char *separator)
{
    if (isfinite(value))
        printf("\"%s\": %.6g%s", key, value, separator);
    else
        printf("\"%s\": null%s", key, separator);
}

/* The fields of one scorer's metrics, without braces: the JSON keys of issue 3. */
static void print_metrics_json(const EcgEvalMetrics *m, size_t n)
{
    print_json_number("auroc", m->auroc, ", ");
    print_json_number("auprc", m->auprc, ", ");
    print_json_number("f1", m->confusion.f1, ", ");
    print_json_number("precision", m->confusion.precision, ", ");
    print_json_number("recall", m->confusion.recall, ", ");
    print_json_number("specificity", m->confusion.specificity, ", ");
    print_json_number("threshold", m->threshold, ", ");
    printf("\"n\": %zu, \"per_superclass\": {", n);
    for (int c = 0; c < ECG_EVAL_N_SUPERCLASSES; c++)
        print_json_number(ecg_superclass_names[c + 1], m->auroc_superclass[c],
                          c + 1 < ECG_EVAL_N_SUPERCLASSES ? ", " : "");
    printf("}");
}

static void print_metrics_text(const char *title, const EcgEvalMetrics *m, size_t n)
{
    printf("%s (n = %zu)\n  AUROC %.3f  AUPRC %.3f  at threshold %.4g: F1 %.3f  precision %.3f  recall %.3f  "
           "specificity %.3f\n  AUROC vs NORM:",
           title, n, m->auroc, m->auprc, m->threshold, m->confusion.f1, m->confusion.precision, m->confusion.recall,
           m->confusion.specificity);
    for (int c = 0; c < ECG_EVAL_N_SUPERCLASSES; c++)
        printf("  %s %.3f", ecg_superclass_names[c + 1], m->auroc_superclass[c]);
    printf("\n");
}

int cli_eval(int argc, char **argv)
{
    g_autofree char *model = NULL, *data = NULL;
    gboolean json = FALSE, save = FALSE;
    int status = 0;
    GOptionEntry entries[] = {
        {"model", 0, 0, G_OPTION_ARG_FILENAME, &model, "Checkpoint", "M.model.h5"},
        {"data", 0, 0, G_OPTION_ARG_FILENAME, &data, "Dataset (test = fold 10)", "D.h5"},
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL},
        {"save", 0, 0, G_OPTION_ARG_NONE, &save, "Store the evaluation in the checkpoint", NULL},
        {NULL},
    };
    g_autoptr(GOptionContext) context = g_option_context_new("- evaluate a model on the test fold");
    g_option_context_add_main_entries(context, entries, NULL);
    if (!parse(context, &argc, &argv, &status))
        return status;
    if (!model || !data)
        return usage(context, "eval needs --model and --data");
    Loaded l;
    EcgError err = {0};
    int s = load_model_and_data(model, data, &l, &err);
    if (s == ECG_OK && !l.info.has_calibration)
        s = ecg_fail(&err, ECG_ERR_DATA, "%s: the model has no calibrated threshold", model);
    const EcgNormStats *norm = l.info.has_norm ? &l.info.norm : NULL;
    EcgEvalSummary *summary = &l.info.eval;
    /* a new evaluation replaces one the checkpoint may hold */
    ecg_eval_summary_clear(summary);
    if (s == ECG_OK)
        s = ecg_evaluate(l.ds, l.model, norm, l.info.threshold, summary, NULL, NULL, NULL, &err);
    if (s == ECG_OK)
        s = ecg_linear_baseline(l.ds, ecg_model_config(l.model), norm, l.info.percentile, summary, NULL, NULL, &err);
    if (s == ECG_OK) {
        l.info.has_eval = true;
        if (json) {
            printf("{");
            print_metrics_json(&summary->model, summary->n);
            printf(", \"linear_baseline\": {\"k\": %zu, ", summary->linear_k);
            print_metrics_json(&summary->linear, summary->n);
            printf("}}\n");
        } else {
            print_metrics_text(ecg_model_config(l.model)->name, &summary->model, summary->n);
            char title[96];
            snprintf(title, sizeof title, "linear reference: PCA reconstruction, k = %zu", summary->linear_k);
            print_metrics_text(title, &summary->linear, summary->n);
        }
        if (save)
            s = ecg_checkpoint_save(model, l.model, &l.info, &err);
    }
    loaded_clear(&l);
    return s == ECG_OK ? 0 : fail(err.message);
}
