/* checkpoint.c — model checkpoints (*.model.h5); the layout is in checkpoint.h.
 *
 * Saving walks the model's parameter arena view by view, one float32 dataset per
 * PyTorch state_dict entry, into a temporary file that is committed by rename.
 * Loading reads the kind and /config, builds the model with ecg_model_new and
 * fills its arena by name: every view must be in the file with its shape and
 * nothing else may be, all checked before a single weight is copied. */
#include "checkpoint.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataset.h"
#include "h5util.h"

enum { N_LEADS = 12, CHECKPOINT_VERSION = 1 };
static const char FORMAT_NAME[] = "ecglens-model";
static const char WEIGHTS_GROUP[] = "weights";
static const char LINEAR_GROUP[] = "linear_baseline";

_Static_assert(ECG_N_SUPERCLASSES == ECG_EVAL_N_SUPERCLASSES + 1, "superclasses evaluated against NORM");
_Static_assert(sizeof(((EcgNormStats *)0)->mean) == N_LEADS * sizeof(float), "norm stats per standard lead");

static const char *const NORMALIZATION_NAMES[] = {[ECG_NORM_RECORD] = "record", [ECG_NORM_DATASET] = "dataset"};
static const char *const SCORE_NAMES[] = {[ECG_SCORE_MSE] = "mse", [ECG_SCORE_NLL] = "nll"};

/* Upper bounds of config sizes read from a file: far beyond any useful model, so
 * that a damaged file cannot ask for an absurd allocation. */
#define MAX_WINDOW ((size_t)1 << 24)
#define MAX_WIDTH ((size_t)1 << 16)

/* /config: integer sizes (with their bound) and real values of EcgModelConfig */
#define CONFIG_SIZES(X)            \
    X(window, MAX_WINDOW)          \
    X(stride, MAX_WINDOW)          \
    X(hidden, MAX_WIDTH)           \
    X(latent, MAX_WIDTH)           \
    X(lead_dim, MAX_WIDTH)         \
    X(lead_heads, MAX_WIDTH)       \
    X(time_heads, MAX_WIDTH)
#define CONFIG_REALS(X) X(fs) X(band_low) X(band_high) X(notch)

/* /history: the arrays of EcgTrainHistory */
#define HISTORY_FIELDS(X) X(train_loss) X(val_loss) X(recon) X(kl) X(beta) X(lr) X(seconds)

/* /eval and /eval/linear_baseline attributes of EcgEvalMetrics */
#define METRIC_REALS(X) X(auroc) X(auprc) X(threshold)
#define CONFUSION_REALS(X) X(f1) X(precision) X(recall) X(specificity)
#define CONFUSION_COUNTS(X) X(tp) X(fp) X(tn) X(fn)

static int name_index(const char *const *names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return (int)i;
    return -1;
}

/* index of the first non-finite value of x, n if none */
static size_t first_non_finite(const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return i;
    return n;
}

static void format_shape(char *buf, size_t size, size_t ndim, const size_t *dims)
{
    size_t len = (size_t)snprintf(buf, size, "[");
    for (size_t d = 0; d < ndim && len < size; d++)
        len += (size_t)snprintf(buf + len, size - len, "%s%zu", d ? ", " : "", dims[d]);
    if (len < size)
        snprintf(buf + len, size - len, "]");
}

static void superclass_attr(char *buf, size_t size, const char *prefix, size_t i)
{
    snprintf(buf, size, "%s%s", prefix, ecg_superclass_names[i + 1]);
}

// ----------------------------------------------------------------------------
// info

void ecg_eval_metrics_init(EcgEvalMetrics *mt)
{
    memset(mt, 0, sizeof *mt);
    mt->auroc = mt->auprc = mt->threshold = NAN;
    mt->confusion.f1 = mt->confusion.precision = mt->confusion.recall = mt->confusion.specificity = NAN;
    for (size_t i = 0; i < ECG_EVAL_N_SUPERCLASSES; i++)
        mt->auroc_superclass[i] = NAN;
}

void ecg_eval_summary_init(EcgEvalSummary *s)
{
    memset(s, 0, sizeof *s);
    ecg_eval_metrics_init(&s->model);
    ecg_eval_metrics_init(&s->linear);
}

void ecg_eval_summary_clear(EcgEvalSummary *s)
{
    free(s->roc_fpr);
    free(s->roc_tpr);
    ecg_eval_summary_init(s);
}

void ecg_checkpoint_info_init(EcgCheckpointInfo *info)
{
    memset(info, 0, sizeof *info);
    info->threshold = info->percentile = NAN;
    ecg_eval_summary_init(&info->eval);
}

void ecg_checkpoint_info_clear(EcgCheckpointInfo *info)
{
    free(info->val_scores);
    ecg_train_history_clear(&info->history);
    ecg_eval_summary_clear(&info->eval);
    ecg_checkpoint_info_init(info);
}

/* a malloc'ed copy of n elements of size elem (NULL for none) */
static int dup_array(const void *src, size_t n, size_t elem, void **out, EcgError *err)
{
    *out = NULL;
    if (n == 0)
        return ECG_OK;
    if (!src)
        return ecg_fail(err, ECG_ERR_ARG, "checkpoint info: %zu values at a NULL pointer", n);
    if (!(*out = malloc(n * elem)))
        return ecg_fail(err, ECG_ERR_NOMEM, "checkpoint info: out of memory for %zu values", n);
    memcpy(*out, src, n * elem);
    return ECG_OK;
}

int ecg_checkpoint_info_set_calibration(EcgCheckpointInfo *info, double threshold, double percentile,
                                        const double *val_scores, size_t n, EcgError *err)
{
    void *copy;
    int status = dup_array(val_scores, n, sizeof *val_scores, &copy, err);
    if (status != ECG_OK)
        return status;
    free(info->val_scores);
    info->val_scores = copy;
    info->n_val_scores = n;
    info->threshold = threshold;
    info->percentile = percentile;
    info->has_calibration = true;
    return ECG_OK;
}

int ecg_checkpoint_info_set_history(EcgCheckpointInfo *info, const EcgTrainHistory *history, EcgError *err)
{
    EcgTrainHistory copy = {.n_epochs = history->n_epochs};
    int status = ECG_OK;
#define COPY_FIELD(f)                                                                                         \
    if (status == ECG_OK)                                                                                     \
        status = dup_array(history->f, history->n_epochs, sizeof *history->f, (void **)&copy.f, err);
    HISTORY_FIELDS(COPY_FIELD)
#undef COPY_FIELD
#define SWAP_FIELD(f)                                                                                         \
    free(status == ECG_OK ? info->history.f : copy.f);                                                        \
    if (status == ECG_OK)                                                                                     \
        info->history.f = copy.f;
    HISTORY_FIELDS(SWAP_FIELD)
#undef SWAP_FIELD
    if (status == ECG_OK)
        info->history.n_epochs = copy.n_epochs;
    return status;
}

int ecg_checkpoint_info_set_roc(EcgCheckpointInfo *info, const float *fpr, const float *tpr, size_t n,
                                EcgError *err)
{
    void *f, *t;
    int status = dup_array(fpr, n, sizeof *fpr, &f, err);
    if (status == ECG_OK && (status = dup_array(tpr, n, sizeof *tpr, &t, err)) != ECG_OK)
        free(f);
    if (status != ECG_OK)
        return status;
    free(info->eval.roc_fpr);
    free(info->eval.roc_tpr);
    info->eval.roc_fpr = f;
    info->eval.roc_tpr = t;
    info->eval.n_roc = n;
    return ECG_OK;
}

/* Dataset statistics usable for normalization: finite, positive deviations. */
static int check_norm(const EcgNormStats *norm, int status_code, const char *path, EcgError *err)
{
    for (size_t l = 0; l < N_LEADS; l++)
        if (!isfinite(norm->mean[l]) || !isfinite(norm->std[l]) || !(norm->std[l] > 0))
            return ecg_fail(err, status_code, "%s: norm of lead %s is mean %g, std %g; std must be positive",
                            path, ecg_standard_leads[l], (double)norm->mean[l], (double)norm->std[l]);
    return ECG_OK;
}

static int check_info(const char *path, const EcgModelConfig *cfg, const EcgCheckpointInfo *info, EcgError *err)
{
    bool has_norm = info && info->has_norm;
    if (cfg->normalization == ECG_NORM_DATASET && !has_norm)
        return ecg_fail(err, ECG_ERR_ARG, "%s: the model uses dataset normalization but no statistics were given",
                        path);
    if (!info)
        return ECG_OK;
    if (has_norm && check_norm(&info->norm, ECG_ERR_ARG, path, err) != ECG_OK)
        return ECG_ERR_ARG;
    if (info->has_calibration && info->n_val_scores > 0 && !info->val_scores)
        return ecg_fail(err, ECG_ERR_ARG, "%s: %zu validation scores at a NULL pointer", path, info->n_val_scores);
    bool missing = false;
#define CHECK_FIELD(f) missing = missing || !info->history.f;
    HISTORY_FIELDS(CHECK_FIELD)
#undef CHECK_FIELD
    if (info->history.n_epochs > 0 && missing)
        return ecg_fail(err, ECG_ERR_ARG, "%s: a history of %zu epochs lacks an array", path,
                        info->history.n_epochs);
    if (info->has_eval && info->eval.n_roc > 0 && (!info->eval.roc_fpr || !info->eval.roc_tpr))
        return ecg_fail(err, ECG_ERR_ARG, "%s: an ROC curve of %zu points at a NULL pointer", path,
                        info->eval.n_roc);
    return ECG_OK;
}

// ----------------------------------------------------------------------------
// writing

static int write_header(hid_t file, const EcgModelConfig *cfg, const char *path, EcgError *err)
{
    char name[sizeof cfg->name];
    snprintf(name, sizeof name, "%.*s", (int)sizeof cfg->name - 1, cfg->name);
    int status = ecg_h5_write_attr_string(file, "format", FORMAT_NAME, path, err);
    if (status == ECG_OK)
        status = ecg_h5_write_attr_int(file, "version", CHECKPOINT_VERSION, path, err);
    if (status == ECG_OK)
        status = ecg_h5_write_attr_string(file, "kind", ecg_model_kind_info(cfg->kind)->name, path, err);
    if (status == ECG_OK)
        status = ecg_h5_write_attr_string(file, "name", name, path, err);
    if (status != ECG_OK)
        return status;

    hid_t g = ecg_h5_create_group(file, "config", path, err);
    if (g < 0)
        return ECG_ERR_IO;
#define WRITE_SIZE(f, max)                                                                                    \
    if (status == ECG_OK)                                                                                     \
        status = ecg_h5_write_attr_int(g, #f, (long)cfg->f, path, err);
    CONFIG_SIZES(WRITE_SIZE)
#undef WRITE_SIZE
#define WRITE_REAL(f)                                                                                         \
    if (status == ECG_OK)                                                                                     \
        status = ecg_h5_write_attr_double(g, #f, cfg->f, path, err);
    CONFIG_REALS(WRITE_REAL)
#undef WRITE_REAL
    if (status == ECG_OK)
        status = ecg_h5_write_attr_string(g, "normalization", NORMALIZATION_NAMES[cfg->normalization], path, err);
    if (status == ECG_OK)
        status = ecg_h5_write_attr_string(g, "score", SCORE_NAMES[cfg->score], path, err);
    H5Gclose(g);
    return status;
}

/* One float32 dataset per parameter view, refusing non-finite values. */
static int write_weights(hid_t file, const EcgArena *params, const char *path, EcgError *err)
{
    hid_t g = ecg_h5_create_group(file, WEIGHTS_GROUP, path, err);
    if (g < 0)
        return ECG_ERR_IO;
    int status = ECG_OK;
    for (size_t i = 0; status == ECG_OK && i < params->n_views; i++) {
        const EcgView *v = &params->views[i];
        const float *w = params->data + v->offset; // (v->shape)
        size_t bad = first_non_finite(w, v->size);
        if (bad < v->size)
            status = ecg_fail(err, ECG_ERR_DATA, "%s: weight '%s' holds %s at flat index %zu; not saved", path,
                              v->name, isnan(w[bad]) ? "NaN" : "an infinity", bad);
        else
            status = ecg_h5_write_nd(g, v->name, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, (int)v->ndim, v->shape, w,
                                     path, err);
    }
    H5Gclose(g);
    return status;
}

static int write_norm(hid_t file, const EcgNormStats *norm, const char *path, EcgError *err)
{
    hid_t g = ecg_h5_create_group(file, "norm", path, err);
    if (g < 0)
        return ECG_ERR_IO;
    int status = ecg_h5_write_1d(g, "mean", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, N_LEADS, norm->mean, path, err);
    if (status == ECG_OK)
        status = ecg_h5_write_1d(g, "std", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, N_LEADS, norm->std, path, err);
    H5Gclose(g);
    return status;
}

static int write_calibration(hid_t file, const EcgCheckpointInfo *info, const char *path, EcgError *err)
{
    hid_t g = ecg_h5_create_group(file, "calibration", path, err);
    if (g < 0)
        return ECG_ERR_IO;
    int status = ecg_h5_write_attr_double(g, "threshold", info->threshold, path, err);
    if (status == ECG_OK)
        status = ecg_h5_write_attr_double(g, "percentile", info->percentile, path, err);
    if (status == ECG_OK)
        status = ecg_h5_write_1d(g, "val_scores", H5T_IEEE_F32LE, H5T_NATIVE_DOUBLE, info->n_val_scores,
                                 info->val_scores, path, err);
    H5Gclose(g);
    return status;
}

static int write_history(hid_t file, const EcgCheckpointInfo *info, const char *path, EcgError *err)
{
    hid_t g = ecg_h5_create_group(file, "history", path, err);
    if (g < 0)
        return ECG_ERR_IO;
    const EcgTrainHistory *h = &info->history;
    int status = ecg_h5_write_attr_int(g, "best_epoch", (long)info->best_epoch, path, err);
#define WRITE_FIELD(f)                                                                                        \
    if (status == ECG_OK)                                                                                     \
        status = ecg_h5_write_1d(g, #f, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, h->n_epochs, h->f, path, err);
    HISTORY_FIELDS(WRITE_FIELD)
#undef WRITE_FIELD
    H5Gclose(g);
    return status;
}

static int write_metrics(hid_t g, const EcgEvalMetrics *mt, const char *path, EcgError *err)
{
    int status = ECG_OK;
#define WRITE_REAL(f)                                                                                         \
    if (status == ECG_OK)                                                                                     \
        status = ecg_h5_write_attr_double(g, #f, mt->f, path, err);
    METRIC_REALS(WRITE_REAL)
#undef WRITE_REAL
#define WRITE_REAL(f)                                                                                         \
    if (status == ECG_OK)                                                                                     \
        status = ecg_h5_write_attr_double(g, #f, mt->confusion.f, path, err);
    CONFUSION_REALS(WRITE_REAL)
#undef WRITE_REAL
#define WRITE_COUNT(f)                                                                                        \
    if (status == ECG_OK)                                                                                     \
        status = ecg_h5_write_attr_int(g, #f, (long)mt->confusion.f, path, err);
    CONFUSION_COUNTS(WRITE_COUNT)
#undef WRITE_COUNT
    for (size_t i = 0; status == ECG_OK && i < ECG_EVAL_N_SUPERCLASSES; i++) {
        char name[32];
        superclass_attr(name, sizeof name, "auroc_", i);
        status = ecg_h5_write_attr_double(g, name, mt->auroc_superclass[i], path, err);
    }
    return status;
}

static int write_eval(hid_t file, const EcgEvalSummary *ev, const char *path, EcgError *err)
{
    hid_t g = ecg_h5_create_group(file, "eval", path, err);
    if (g < 0)
        return ECG_ERR_IO;
    hid_t lin = H5I_INVALID_HID;
    int status = ecg_h5_write_attr_int(g, "n", (long)ev->n, path, err);
    if (status == ECG_OK)
        status = write_metrics(g, &ev->model, path, err);
    if (status == ECG_OK)
        status = ecg_h5_write_1d(g, "roc_fpr", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, ev->n_roc, ev->roc_fpr, path, err);
    if (status == ECG_OK)
        status = ecg_h5_write_1d(g, "roc_tpr", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, ev->n_roc, ev->roc_tpr, path, err);
    if (status == ECG_OK && ev->has_linear_baseline) {
        if ((lin = ecg_h5_create_group(g, LINEAR_GROUP, path, err)) < 0)
            status = ECG_ERR_IO;
        if (status == ECG_OK)
            status = ecg_h5_write_attr_int(lin, "k", (long)ev->linear_k, path, err);
        if (status == ECG_OK)
            status = write_metrics(lin, &ev->linear, path, err);
    }
    if (lin >= 0)
        H5Gclose(lin);
    H5Gclose(g);
    return status;
}

int ecg_checkpoint_save(const char *path, EcgModel *m, const EcgCheckpointInfo *info, EcgError *err)
{
    const EcgModelConfig *cfg = ecg_model_config(m);
    int status = check_info(path, cfg, info, err);
    if (status != ECG_OK)
        return status;
    char tmp_path[4096];
    hid_t file;
    if ((status = ecg_h5_create_temp(path, tmp_path, sizeof tmp_path, &file, err)) != ECG_OK)
        return status;
    status = write_header(file, cfg, path, err);
    if (status == ECG_OK)
        status = write_weights(file, ecg_model_params(m), path, err);
    if (status == ECG_OK && info && info->has_norm)
        status = write_norm(file, &info->norm, path, err);
    if (status == ECG_OK && info && info->has_calibration)
        status = write_calibration(file, info, path, err);
    if (status == ECG_OK && info && info->history.n_epochs > 0)
        status = write_history(file, info, path, err);
    if (status == ECG_OK && info && info->has_eval)
        status = write_eval(file, &info->eval, path, err);
    if (status != ECG_OK) {
        ecg_h5_discard_temp(file, tmp_path);
        return status;
    }
    return ecg_h5_commit_temp(file, tmp_path, path, err);
}

// ----------------------------------------------------------------------------
// reading

static int read_size(hid_t g, const char *name, size_t max, size_t *value, const char *path, EcgError *err)
{
    long v = 0;
    int status = ecg_h5_read_attr_int(g, name, &v, path, err);
    if (status != ECG_OK)
        return status;
    if (v < 0 || (unsigned long)v > max)
        return ecg_fail(err, ECG_ERR_FORMAT, "%s: /config %s is %ld, outside 0..%zu", path, name, v, max);
    *value = (size_t)v;
    return ECG_OK;
}

static int read_choice(hid_t g, const char *name, const char *const *choices, size_t n, int *value,
                       const char *path, EcgError *err)
{
    char buf[64];
    int status = ecg_h5_read_attr_string(g, name, buf, sizeof buf, path, err);
    if (status != ECG_OK)
        return status;
    int i = name_index(choices, n, buf);
    if (i < 0)
        return ecg_fail(err, ECG_ERR_FORMAT, "%s: /config %s is '%s', expected '%s' or '%s'", path, name, buf,
                        choices[0], choices[1]);
    *value = i;
    return ECG_OK;
}

/* The root kind attribute as a model kind. */
static int read_kind(hid_t file, EcgModelKind *kind, const char *path, EcgError *err)
{
    char name[64];
    int status = ecg_h5_read_attr_string(file, "kind", name, sizeof name, path, err);
    if (status != ECG_OK)
        return status;
    int k = ecg_model_kind_from_name(name);
    if (k < 0) {
        char known[256] = "";
        size_t len = 0;
        for (int i = 0; i < ECG_MODEL_N_KINDS && len < sizeof known; i++)
            len += (size_t)snprintf(known + len, sizeof known - len, "%s%s", i ? ", " : "",
                                    ecg_model_kind_info((EcgModelKind)i)->name);
        return ecg_fail(err, ECG_ERR_FORMAT, "%s: kind is '%s', expected one of %s", path, name, known);
    }
    *kind = (EcgModelKind)k;
    return ECG_OK;
}

static int check_config(const EcgModelConfig *cfg, const char *path, EcgError *err)
{
    /* sizes and fs are checked by ecg_model_new; the filter only by the scorer */
    if (!isfinite(cfg->band_low) || !isfinite(cfg->band_high) || !isfinite(cfg->notch) || cfg->band_low < 0 ||
        cfg->band_high < 0 || cfg->notch < 0 || (cfg->band_low > 0 && cfg->band_high > 0 && cfg->band_low >= cfg->band_high))
        return ecg_fail(err, ECG_ERR_FORMAT, "%s: /config band %g-%g Hz, notch %g Hz are not a valid filter", path,
                        cfg->band_low, cfg->band_high, cfg->notch);
    return ECG_OK;
}

static int read_config(hid_t file, EcgModelConfig *cfg, const char *path, EcgError *err)
{
    EcgModelKind kind;
    int status = read_kind(file, &kind, path, err);
    if (status != ECG_OK)
        return status;
    ecg_model_config_default(cfg, kind);
    cfg->kind = kind;
    if (H5Aexists(file, "name") > 0 &&
        (status = ecg_h5_read_attr_string(file, "name", cfg->name, sizeof cfg->name, path, err)) != ECG_OK)
        return status;

    hid_t g = ecg_h5_open_group(file, "config", path, err);
    if (g < 0)
        return ECG_ERR_FORMAT;
    int normalization = 0, score = 0;
#define READ_SIZE(f, max)                                                                                     \
    if (status == ECG_OK)                                                                                     \
        status = read_size(g, #f, max, &cfg->f, path, err);
    CONFIG_SIZES(READ_SIZE)
#undef READ_SIZE
#define READ_REAL(f)                                                                                          \
    if (status == ECG_OK)                                                                                     \
        status = ecg_h5_read_attr_double(g, #f, &cfg->f, path, err);
    CONFIG_REALS(READ_REAL)
#undef READ_REAL
    if (status == ECG_OK)
        status = read_choice(g, "normalization", NORMALIZATION_NAMES, 2, &normalization, path, err);
    if (status == ECG_OK)
        status = read_choice(g, "score", SCORE_NAMES, 2, &score, path, err);
    H5Gclose(g);
    if (status != ECG_OK)
        return status;
    cfg->normalization = (EcgNormalization)normalization;
    cfg->score = (EcgScoreKind)score;
    return check_config(cfg, path, err);
}

/* The first link name in group that is not a view of params, "" if none. */
static int find_unexpected(hid_t group, const EcgArena *params, char *name, size_t size, const char *path,
                           EcgError *err)
{
    name[0] = '\0';
    H5G_info_t info;
    if (H5Gget_info(group, &info) < 0)
        return ecg_fail(err, ECG_ERR_FORMAT, "%s: cannot list the weights", path);
    for (hsize_t i = 0; i < info.nlinks; i++) {
        ssize_t len = H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i, name, size, H5P_DEFAULT);
        if (len < 0)
            return ecg_fail(err, ECG_ERR_FORMAT, "%s: cannot list the weights", path);
        if ((size_t)len >= size || !ecg_arena_find(params, name))
            return ECG_OK;
    }
    name[0] = '\0';
    return ECG_OK;
}

/* Every view of params from group_name of file, all checked before any is copied. */
static int read_weights(hid_t file, const char *group_name, EcgModel *m, const char *path, EcgError *err)
{
    EcgArena *params = ecg_model_params(m);
    const char *kind = ecg_model_kind_info(ecg_model_config(m)->kind)->name;
    hid_t g = ecg_h5_open_group(file, group_name, path, err);
    if (g < 0)
        return ECG_ERR_FORMAT;
    int status = ECG_OK;
    for (size_t i = 0; status == ECG_OK && i < params->n_views; i++) {
        const EcgView *v = &params->views[i];
        int rank;
        hsize_t dims[H5S_MAX_RANK];
        if (H5Lexists(g, v->name, H5P_DEFAULT) <= 0) {
            status = ecg_fail(err, ECG_ERR_FORMAT, "%s: missing weight '%s'", path, v->name);
            break;
        }
        if ((status = ecg_h5_dataset_shape(g, v->name, &rank, dims, path, err)) != ECG_OK)
            break;
        bool same = (size_t)rank == v->ndim;
        size_t found[H5S_MAX_RANK];
        for (int d = 0; d < rank; d++) {
            found[d] = (size_t)dims[d];
            same = same && found[d] == v->shape[d];
        }
        if (!same) {
            char have[128], need[128];
            format_shape(have, sizeof have, (size_t)rank, found);
            format_shape(need, sizeof need, v->ndim, v->shape);
            status = ecg_fail(err, ECG_ERR_FORMAT, "%s: weight '%s' has shape %s, the model needs %s", path,
                              v->name, have, need);
        }
    }
    char extra[256];
    if (status == ECG_OK && (status = find_unexpected(g, params, extra, sizeof extra, path, err)) == ECG_OK &&
        extra[0])
        status = ecg_fail(err, ECG_ERR_FORMAT, "%s: unexpected weight '%s' (a %s model has no such parameter)",
                          path, extra, kind);

    float *scratch = NULL; // (params->size) the new weights until all are read
    if (status == ECG_OK && !(scratch = malloc((params->size ? params->size : 1) * sizeof *scratch)))
        status = ecg_fail(err, ECG_ERR_NOMEM, "%s: out of memory for %zu weights", path, params->size);
    for (size_t i = 0; status == ECG_OK && i < params->n_views; i++) {
        const EcgView *v = &params->views[i];
        float *w = scratch + v->offset;
        if ((status = ecg_h5_read_whole(g, v->name, H5T_NATIVE_FLOAT, w, path, err)) != ECG_OK)
            break;
        size_t bad = first_non_finite(w, v->size);
        if (bad < v->size)
            status = ecg_fail(err, ECG_ERR_DATA, "%s: weight '%s' holds %s at flat index %zu", path, v->name,
                              isnan(w[bad]) ? "NaN" : "an infinity", bad);
    }
    if (status == ECG_OK)
        memcpy(params->data, scratch, params->size * sizeof *scratch);
    free(scratch);
    H5Gclose(g);
    return status;
}

static int read_norm(hid_t file, EcgCheckpointInfo *info, const char *path, EcgError *err)
{
    hid_t g = ecg_h5_open_group(file, "norm", path, err);
    if (g < 0)
        return ECG_ERR_FORMAT;
    int status = ecg_h5_read_1d(g, "mean", H5T_NATIVE_FLOAT, N_LEADS, info->norm.mean, path, err);
    if (status == ECG_OK)
        status = ecg_h5_read_1d(g, "std", H5T_NATIVE_FLOAT, N_LEADS, info->norm.std, path, err);
    if (status == ECG_OK)
        status = check_norm(&info->norm, ECG_ERR_FORMAT, path, err);
    H5Gclose(g);
    info->has_norm = status == ECG_OK;
    return status;
}

static int read_calibration(hid_t file, EcgCheckpointInfo *info, const char *path, EcgError *err)
{
    hid_t g = ecg_h5_open_group(file, "calibration", path, err);
    if (g < 0)
        return ECG_ERR_FORMAT;
    int status = ecg_h5_read_attr_double(g, "threshold", &info->threshold, path, err);
    if (status == ECG_OK)
        status = ecg_h5_read_attr_double(g, "percentile", &info->percentile, path, err);
    if (status == ECG_OK)
        status = ecg_h5_read_1d_alloc(g, "val_scores", H5T_NATIVE_DOUBLE, (void **)&info->val_scores,
                                      &info->n_val_scores, path, err);
    H5Gclose(g);
    info->has_calibration = status == ECG_OK;
    return status;
}

static int read_history(hid_t file, EcgCheckpointInfo *info, const char *path, EcgError *err)
{
    hid_t g = ecg_h5_open_group(file, "history", path, err);
    if (g < 0)
        return ECG_ERR_FORMAT;
    EcgTrainHistory *h = &info->history;
    int status = ECG_OK;
    long best = 0;
    if (H5Aexists(g, "best_epoch") > 0)
        status = ecg_h5_read_attr_int(g, "best_epoch", &best, path, err);
    size_t n = 0;
    bool first = true;
#define READ_FIELD(f)                                                                                         \
    if (status == ECG_OK)                                                                                     \
        status = ecg_h5_read_1d_alloc(g, #f, H5T_NATIVE_DOUBLE, (void **)&h->f, &n, path, err);               \
    if (status == ECG_OK && !first && n != h->n_epochs)                                                       \
        status = ecg_fail(err, ECG_ERR_FORMAT, "%s: /history/%s has %zu epochs, /history/train_loss %zu", path, \
                          #f, n, h->n_epochs);                                                                \
    h->n_epochs = first ? n : h->n_epochs;                                                                    \
    first = false;
    HISTORY_FIELDS(READ_FIELD)
#undef READ_FIELD
    if (status == ECG_OK && (best < 0 || (size_t)best > h->n_epochs))
        status = ecg_fail(err, ECG_ERR_FORMAT, "%s: /history best_epoch %ld of %zu epochs", path, best, h->n_epochs);
    info->best_epoch = status == ECG_OK ? (size_t)best : 0;
    H5Gclose(g);
    return status;
}

static int read_count(hid_t g, const char *name, size_t *value, const char *path, EcgError *err)
{
    long v = 0;
    int status = ecg_h5_read_attr_int(g, name, &v, path, err);
    if (status == ECG_OK && v < 0)
        status = ecg_fail(err, ECG_ERR_FORMAT, "%s: attribute '%s' is %ld, must not be negative", path, name, v);
    *value = status == ECG_OK ? (size_t)v : 0;
    return status;
}

static int read_metrics(hid_t g, EcgEvalMetrics *mt, const char *path, EcgError *err)
{
    int status = ECG_OK;
#define READ_REAL(f)                                                                                          \
    if (status == ECG_OK)                                                                                     \
        status = ecg_h5_read_attr_double(g, #f, &mt->f, path, err);
    METRIC_REALS(READ_REAL)
#undef READ_REAL
#define READ_REAL(f)                                                                                          \
    if (status == ECG_OK)                                                                                     \
        status = ecg_h5_read_attr_double(g, #f, &mt->confusion.f, path, err);
    CONFUSION_REALS(READ_REAL)
#undef READ_REAL
#define READ_COUNT(f)                                                                                         \
    if (status == ECG_OK)                                                                                     \
        status = read_count(g, #f, &mt->confusion.f, path, err);
    CONFUSION_COUNTS(READ_COUNT)
#undef READ_COUNT
    for (size_t i = 0; status == ECG_OK && i < ECG_EVAL_N_SUPERCLASSES; i++) {
        char name[32];
        superclass_attr(name, sizeof name, "auroc_", i);
        status = ecg_h5_read_attr_double(g, name, &mt->auroc_superclass[i], path, err);
    }
    return status;
}

static int read_eval(hid_t file, EcgCheckpointInfo *info, const char *path, EcgError *err)
{
    hid_t g = ecg_h5_open_group(file, "eval", path, err);
    if (g < 0)
        return ECG_ERR_FORMAT;
    EcgEvalSummary *ev = &info->eval;
    hid_t lin = H5I_INVALID_HID;
    size_t n_tpr = 0;
    int status = read_count(g, "n", &ev->n, path, err);
    if (status == ECG_OK)
        status = read_metrics(g, &ev->model, path, err);
    if (status == ECG_OK)
        status = ecg_h5_read_1d_alloc(g, "roc_fpr", H5T_NATIVE_FLOAT, (void **)&ev->roc_fpr, &ev->n_roc, path, err);
    if (status == ECG_OK)
        status = ecg_h5_read_1d_alloc(g, "roc_tpr", H5T_NATIVE_FLOAT, (void **)&ev->roc_tpr, &n_tpr, path, err);
    if (status == ECG_OK && n_tpr != ev->n_roc)
        status = ecg_fail(err, ECG_ERR_FORMAT, "%s: /eval/roc_fpr has %zu points, /eval/roc_tpr %zu", path,
                          ev->n_roc, n_tpr);
    if (status == ECG_OK && H5Lexists(g, LINEAR_GROUP, H5P_DEFAULT) > 0) {
        if ((lin = ecg_h5_open_group(g, LINEAR_GROUP, path, err)) < 0)
            status = ECG_ERR_FORMAT;
        if (status == ECG_OK)
            status = read_count(lin, "k", &ev->linear_k, path, err);
        if (status == ECG_OK)
            status = read_metrics(lin, &ev->linear, path, err);
        ev->has_linear_baseline = status == ECG_OK;
    }
    if (lin >= 0)
        H5Gclose(lin);
    H5Gclose(g);
    info->has_eval = status == ECG_OK;
    return status;
}

/* The optional groups; a group that is present must be complete. */
static int read_info(hid_t file, const EcgModelConfig *cfg, EcgCheckpointInfo *info, const char *path,
                     EcgError *err)
{
    int status = ECG_OK;
    if (H5Lexists(file, "norm", H5P_DEFAULT) > 0)
        status = read_norm(file, info, path, err);
    else if (cfg->normalization == ECG_NORM_DATASET)
        status = ecg_fail(err, ECG_ERR_FORMAT, "%s: normalization is 'dataset' but there is no /norm", path);
    if (status == ECG_OK && H5Lexists(file, "calibration", H5P_DEFAULT) > 0)
        status = read_calibration(file, info, path, err);
    if (status == ECG_OK && H5Lexists(file, "history", H5P_DEFAULT) > 0)
        status = read_history(file, info, path, err);
    if (status == ECG_OK && H5Lexists(file, "eval", H5P_DEFAULT) > 0)
        status = read_eval(file, info, path, err);
    return status;
}

int ecg_checkpoint_read_config(const char *path, EcgModelConfig *cfg, EcgError *err)
{
    hid_t file;
    int status = ecg_h5_open_format(path, FORMAT_NAME, CHECKPOINT_VERSION, "model", &file, err);
    if (status != ECG_OK)
        return status;
    status = read_config(file, cfg, path, err);
    H5Fclose(file);
    return status;
}

int ecg_checkpoint_load(const char *path, EcgModel **out, EcgCheckpointInfo *info, EcgError *err)
{
    *out = NULL;
    EcgCheckpointInfo scratch;
    if (!info)
        info = &scratch;
    ecg_checkpoint_info_init(info);
    EcgModel *m = NULL;
    hid_t file;
    int status = ecg_h5_open_format(path, FORMAT_NAME, CHECKPOINT_VERSION, "model", &file, err);
    if (status != ECG_OK)
        return status;
    EcgModelConfig cfg;
    status = read_config(file, &cfg, path, err);
    if (status == ECG_OK) {
        EcgError inner = {0};
        if ((status = ecg_model_new(&cfg, &m, &inner)) != ECG_OK)
            status = ecg_fail(err, status == ECG_ERR_NOMEM ? ECG_ERR_NOMEM : ECG_ERR_FORMAT, "%s: %.400s", path,
                              inner.message);
    }
    if (status == ECG_OK)
        status = read_weights(file, WEIGHTS_GROUP, m, path, err);
    if (status == ECG_OK)
        status = read_info(file, &cfg, info, path, err);
    H5Fclose(file);
    if (status != ECG_OK || info == &scratch)
        ecg_checkpoint_info_clear(info);
    if (status != ECG_OK) {
        ecg_model_free(m);
        return status;
    }
    *out = m;
    return ECG_OK;
}

int ecg_checkpoint_load_weights(const char *path, const char *group, EcgModel *m, EcgError *err)
{
    hid_t file;
    int status = ecg_h5_open_format(path, NULL, 0, "model", &file, err);
    if (status != ECG_OK)
        return status;
    const char *kind = ecg_model_kind_info(ecg_model_config(m)->kind)->name;
    char found[64];
    if (H5Aexists(file, "kind") > 0 &&
        (status = ecg_h5_read_attr_string(file, "kind", found, sizeof found, path, err)) == ECG_OK &&
        strcmp(found, kind) != 0)
        status = ecg_fail(err, ECG_ERR_FORMAT, "%s: kind is '%s', expected '%s'", path, found, kind);
    if (status == ECG_OK)
        status = read_weights(file, group ? group : WEIGHTS_GROUP, m, path, err);
    H5Fclose(file);
    return status;
}
