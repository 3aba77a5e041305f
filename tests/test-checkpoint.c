/* Model checkpoints (*.model.h5): save → load round trips of every kind with
 * every optional group, the layout on disk (PyTorch names as flat dataset
 * names), and every refusal — another kind, a missing, misshapen, unexpected or
 * non-finite weight, a damaged config, another layout, a file that is not HDF5,
 * truncated or corrupted — with a message naming the file and the problem, and
 * failed saves that leave the previous file as it was. */
#include <hdf5.h>
#include <sys/stat.h>

#include "checkpoint.h"
#include "fileio.h"
#include "h5util.h"
#include "test.h"

static const char *tmp(const char *name)
{
    static char buf[8][512];
    static int slot;
    char *out = buf[slot++ % 8];
    snprintf(out, sizeof buf[0], "%s/%s", test_tmpdir(), name);
    return out;
}

static EcgModel *new_model(EcgModelKind kind, uint64_t seed)
{
    EcgModelConfig cfg;
    ecg_model_config_default(&cfg, kind);
    if (kind != ECG_MODEL_CAE) {
        cfg.hidden = 16; /* small, and not the defaults */
        cfg.latent = 8;
        cfg.lead_dim = 4;
        cfg.lead_heads = 2;
        cfg.time_heads = 4;
    }
    snprintf(cfg.name, sizeof cfg.name, "test %s ünïcode", ecg_model_kind_info(kind)->name);
    cfg.fs = 250.0;
    cfg.window = 500;
    cfg.stride = 125;
    cfg.band_low = 0.67;
    cfg.band_high = 35.5;
    cfg.notch = 50.0;
    cfg.normalization = kind == ECG_MODEL_VAE_BILSTM ? ECG_NORM_DATASET : ECG_NORM_RECORD;
    cfg.score = kind == ECG_MODEL_VAE_BILSTM_MHA ? ECG_SCORE_MSE : ecg_model_kind_info(kind)->default_score;
    EcgModel *m = NULL;
    EcgError err = {0};
    CHECK_OK(ecg_model_new(&cfg, &m, &err), &err);
    if (m)
        ecg_model_init_weights(m, seed);
    return m;
}

static void fill_metrics(EcgEvalMetrics *mt, double base)
{
    mt->auroc = base;
    mt->auprc = base - 0.1;
    mt->threshold = 0.8125;
    mt->confusion = (EcgConfusion){.tp = 40, .fp = 7, .tn = 60, .fn = 19, .precision = 40.0 / 47,
                                   .recall = 40.0 / 59, .specificity = 60.0 / 67, .f1 = 0.75};
    for (size_t i = 0; i < ECG_EVAL_N_SUPERCLASSES; i++)
        mt->auroc_superclass[i] = base + 0.01 * (double)i;
    mt->auroc_superclass[3] = NAN; /* no HYP records: undefined */
}

/* An info with every group, values exactly representable in float32. */
static void fill_info(EcgCheckpointInfo *info)
{
    EcgError err = {0};
    ecg_checkpoint_info_init(info);
    info->has_norm = true;
    for (size_t l = 0; l < 12; l++) {
        info->norm.mean[l] = 0.125f * (float)l - 0.5f;
        info->norm.std[l] = 0.25f + 0.0625f * (float)l;
    }
    double scores[5] = {0.5, 0.75, 1.25, 0.375, 2.0};
    CHECK_OK(ecg_checkpoint_info_set_calibration(info, 1.0625, 95.0, scores, 5, &err), &err);
    double a[4] = {1.5, 1.25, 1.125, 1.0625}, b[4] = {1.75, 1.5, 1.25, 1.3}, c[4] = {0.1, 0.2, 0.3, 0.4};
    EcgTrainHistory h = {.n_epochs = 4, .train_loss = a, .val_loss = b, .recon = a, .kl = c, .beta = c,
                         .lr = b, .seconds = c};
    CHECK_OK(ecg_checkpoint_info_set_history(info, &h, &err), &err);
    info->best_epoch = 3;
    info->has_eval = true;
    info->eval.n = 126;
    fill_metrics(&info->eval.model, 0.875);
    float fpr[4] = {0, 0.25f, 0.5f, 1}, tpr[4] = {0, 0.5f, 0.875f, 1};
    CHECK_OK(ecg_checkpoint_info_set_roc(info, fpr, tpr, 4, &err), &err);
    info->eval.has_linear_baseline = true;
    info->eval.linear_k = 16;
    fill_metrics(&info->eval.linear, 0.8125);
}

static int same_double(double a, double b)
{
    return (isnan(a) && isnan(b)) || a == b;
}

static void check_same_metrics(const EcgEvalMetrics *a, const EcgEvalMetrics *b)
{
    CHECK(same_double(a->auroc, b->auroc) && same_double(a->auprc, b->auprc) &&
          same_double(a->threshold, b->threshold));
    CHECK(a->confusion.tp == b->confusion.tp && a->confusion.fp == b->confusion.fp &&
          a->confusion.tn == b->confusion.tn && a->confusion.fn == b->confusion.fn);
    CHECK(same_double(a->confusion.precision, b->confusion.precision) &&
          same_double(a->confusion.recall, b->confusion.recall) &&
          same_double(a->confusion.specificity, b->confusion.specificity) &&
          same_double(a->confusion.f1, b->confusion.f1));
    for (size_t i = 0; i < ECG_EVAL_N_SUPERCLASSES; i++)
        CHECK(same_double(a->auroc_superclass[i], b->auroc_superclass[i]));
}

static void check_same_info(const EcgCheckpointInfo *a, const EcgCheckpointInfo *b)
{
    CHECK(a->has_norm == b->has_norm);
    CHECK(memcmp(&a->norm, &b->norm, sizeof a->norm) == 0);
    CHECK(a->has_calibration == b->has_calibration && same_double(a->threshold, b->threshold) &&
          same_double(a->percentile, b->percentile) && a->n_val_scores == b->n_val_scores);
    for (size_t i = 0; i < a->n_val_scores && i < b->n_val_scores; i++)
        CHECK(a->val_scores[i] == b->val_scores[i]);
    CHECK(a->history.n_epochs == b->history.n_epochs && a->best_epoch == b->best_epoch);
    for (size_t e = 0; e < a->history.n_epochs && e < b->history.n_epochs; e++)
        CHECK(a->history.train_loss[e] == b->history.train_loss[e] && a->history.val_loss[e] == b->history.val_loss[e] &&
              a->history.recon[e] == b->history.recon[e] && a->history.kl[e] == b->history.kl[e] &&
              a->history.beta[e] == b->history.beta[e] && a->history.lr[e] == b->history.lr[e] &&
              a->history.seconds[e] == b->history.seconds[e]);
    CHECK(a->has_eval == b->has_eval && a->eval.n == b->eval.n && a->eval.n_roc == b->eval.n_roc);
    check_same_metrics(&a->eval.model, &b->eval.model);
    for (size_t i = 0; i < a->eval.n_roc && i < b->eval.n_roc; i++)
        CHECK(a->eval.roc_fpr[i] == b->eval.roc_fpr[i] && a->eval.roc_tpr[i] == b->eval.roc_tpr[i]);
    CHECK(a->eval.has_linear_baseline == b->eval.has_linear_baseline && a->eval.linear_k == b->eval.linear_k);
    check_same_metrics(&a->eval.linear, &b->eval.linear);
}

static void check_same_config(const EcgModelConfig *a, const EcgModelConfig *b)
{
    CHECK(a->kind == b->kind);
    CHECK_MSG(strcmp(a->name, b->name) == 0, "'%s' vs '%s'", a->name, b->name);
    CHECK(a->fs == b->fs && a->window == b->window && a->stride == b->stride);
    CHECK(a->hidden == b->hidden && a->latent == b->latent && a->lead_dim == b->lead_dim &&
          a->lead_heads == b->lead_heads && a->time_heads == b->time_heads);
    CHECK(a->normalization == b->normalization && a->score == b->score);
    CHECK(a->band_low == b->band_low && a->band_high == b->band_high && a->notch == b->notch);
}

static void check_same_weights(EcgModel *a, EcgModel *b)
{
    const EcgArena *pa = ecg_model_params(a), *pb = ecg_model_params(b);
    CHECK(pa->n_views == pb->n_views && pa->size == pb->size);
    if (pa->size != pb->size)
        return;
    for (size_t i = 0; i < pa->n_views && i < pb->n_views; i++)
        CHECK(strcmp(pa->views[i].name, pb->views[i].name) == 0 && pa->views[i].ndim == pb->views[i].ndim);
    CHECK(memcmp(pa->data, pb->data, pa->size * sizeof *pa->data) == 0);
}

static void test_round_trip_every_kind(void)
{
    for (int k = 0; k < ECG_MODEL_N_KINDS; k++) {
        EcgError err = {0};
        char name[64];
        snprintf(name, sizeof name, "%s.model.h5", ecg_model_kind_info((EcgModelKind)k)->name);
        const char *path = tmp(name);
        EcgModel *m = new_model((EcgModelKind)k, 1000 + (uint64_t)k);
        if (!m)
            return;
        EcgCheckpointInfo info, back;
        fill_info(&info);
        CHECK_OK(ecg_checkpoint_save(path, m, &info, &err), &err);
        EcgModel *loaded = NULL;
        CHECK_OK(ecg_checkpoint_load(path, &loaded, &back, &err), &err);
        if (loaded) {
            check_same_config(ecg_model_config(m), ecg_model_config(loaded));
            check_same_weights(m, loaded);
            check_same_info(&info, &back);
        }
        EcgModelConfig cfg;
        CHECK_OK(ecg_checkpoint_read_config(path, &cfg, &err), &err);
        check_same_config(ecg_model_config(m), &cfg);

        /* without info: no optional group, except /norm a dataset-normalised model needs */
        if (ecg_model_config(m)->normalization == ECG_NORM_RECORD) {
            CHECK_OK(ecg_checkpoint_save(path, m, NULL, &err), &err);
            ecg_model_free(loaded);
            ecg_checkpoint_info_clear(&back);
            CHECK_OK(ecg_checkpoint_load(path, &loaded, &back, &err), &err);
            CHECK(!back.has_norm && !back.has_calibration && back.history.n_epochs == 0 && !back.has_eval);
            CHECK(isnan(back.threshold) && isnan(back.eval.model.auroc));
            if (loaded)
                check_same_weights(m, loaded);
            /* info may be NULL when loading too */
            ecg_model_free(loaded);
            CHECK_OK(ecg_checkpoint_load(path, &loaded, NULL, &err), &err);
        }
        ecg_model_free(loaded);
        ecg_checkpoint_info_clear(&info);
        ecg_checkpoint_info_clear(&back);
        ecg_model_free(m);
    }
}

/* The file as other tools see it: DESIGN §3's attributes, PyTorch names as
 * flat dataset names under /weights, float32 of PyTorch's shapes. */
static void test_layout_on_disk(void)
{
    EcgError err = {0};
    const char *path = tmp("layout.model.h5");
    EcgModel *m = new_model(ECG_MODEL_VAE_BILSTM_MHA, 7);
    if (!m)
        return;
    EcgCheckpointInfo info;
    fill_info(&info);
    REQUIRE_OK(ecg_checkpoint_save(path, m, &info, &err), &err);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    CHECK(f >= 0);
    if (f < 0)
        return;
    char s[64];
    long v;
    CHECK(ecg_h5_read_attr_string(f, "format", s, sizeof s, path, &err) == 0 && strcmp(s, "ecglens-model") == 0);
    CHECK(ecg_h5_read_attr_int(f, "version", &v, path, &err) == 0 && v == 1);
    CHECK(ecg_h5_read_attr_string(f, "kind", s, sizeof s, path, &err) == 0 && strcmp(s, "vae_bilstm_mha") == 0);
    CHECK(H5Aexists(f, "name") > 0);
    hid_t cfg = H5Gopen2(f, "config", H5P_DEFAULT);
    const char *attrs[] = {"fs", "window", "stride", "hidden", "latent", "lead_dim", "lead_heads", "time_heads",
                           "normalization", "score", "band_low", "band_high", "notch"};
    for (size_t i = 0; i < sizeof attrs / sizeof *attrs; i++)
        CHECK_MSG(H5Aexists(cfg, attrs[i]) > 0, "/config has no %s", attrs[i]);
    CHECK(ecg_h5_read_attr_int(cfg, "hidden", &v, path, &err) == 0 && v == 16);
    CHECK(ecg_h5_read_attr_string(cfg, "score", s, sizeof s, path, &err) == 0 && strcmp(s, "mse") == 0);
    H5Gclose(cfg);

    /* "encoder.weight_ih_l0" is one dataset of /weights, not /weights/encoder/... */
    hid_t w = H5Gopen2(f, "weights", H5P_DEFAULT);
    CHECK(H5Lexists(w, "encoder", H5P_DEFAULT) == 0);
    int rank = 0;
    hsize_t dims[H5S_MAX_RANK];
    CHECK_OK(ecg_h5_dataset_shape(w, "encoder.weight_ih_l0", &rank, dims, path, &err), &err);
    CHECK(rank == 2 && dims[0] == 4 * 16 && dims[1] == 12 * 4);
    CHECK_OK(ecg_h5_dataset_shape(w, "time_attn.out_proj.weight", &rank, dims, path, &err), &err);
    CHECK(rank == 2 && dims[0] == 8 && dims[1] == 8);
    hid_t d = H5Dopen2(w, "decoder.weight_hh_l0_reverse", H5P_DEFAULT);
    hid_t t = H5Dget_type(d);
    CHECK(H5Tequal(t, H5T_IEEE_F32LE) > 0);
    H5Tclose(t);
    H5Dclose(d);
    H5G_info_t gi;
    CHECK(H5Gget_info(w, &gi) >= 0 && gi.nlinks == ecg_model_params(m)->n_views);
    H5Gclose(w);
    const char *objects[] = {"norm/mean", "norm/std", "calibration/val_scores", "history/train_loss",
                             "history/val_loss", "history/recon", "history/kl", "history/beta", "history/lr",
                             "history/seconds", "eval/roc_fpr", "eval/roc_tpr", "eval/linear_baseline"};
    for (size_t i = 0; i < sizeof objects / sizeof *objects; i++)
        CHECK_MSG(H5Lexists(f, objects[i], H5P_DEFAULT) > 0, "no /%s", objects[i]);
    hid_t ev = H5Gopen2(f, "eval", H5P_DEFAULT);
    const char *eattrs[] = {"auroc", "auprc", "f1", "precision", "recall", "specificity", "n",
                            "auroc_MI", "auroc_STTC", "auroc_CD", "auroc_HYP"};
    for (size_t i = 0; i < sizeof eattrs / sizeof *eattrs; i++)
        CHECK_MSG(H5Aexists(ev, eattrs[i]) > 0, "/eval has no %s", eattrs[i]);
    H5Gclose(ev);
    H5Fclose(f);

    /* the same model and info give the same bytes (no time stamps) */
    const char *again = tmp("layout-again.model.h5");
    REQUIRE_OK(ecg_checkpoint_save(again, m, &info, &err), &err);
    char *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    CHECK_OK(ecg_file_read_all(path, &a, &na, &err), &err);
    CHECK_OK(ecg_file_read_all(again, &b, &nb, &err), &err);
    CHECK(a && b && na == nb && memcmp(a, b, na) == 0);
    free(a);
    free(b);
    ecg_checkpoint_info_clear(&info);
    ecg_model_free(m);
}

// ----------------------------------------------------------------------------
// damaged and foreign files

/* A copy of a saved model of kind, opened for editing. */
static hid_t edit_copy(EcgModelKind kind, const char *name, const char **path)
{
    EcgError err = {0};
    EcgModel *m = new_model(kind, 3);
    *path = tmp(name);
    EcgCheckpointInfo info;
    fill_info(&info);
    if (m)
        CHECK_OK(ecg_checkpoint_save(*path, m, &info, &err), &err);
    ecg_checkpoint_info_clear(&info);
    ecg_model_free(m);
    hid_t f = H5Fopen(*path, H5F_ACC_RDWR, H5P_DEFAULT);
    CHECK(f >= 0);
    return f;
}

/* Loading path fails with status and a message naming the file and holding want. */
static void expect_refusal(const char *path, int status, const char *want)
{
    EcgError err = {0};
    EcgModel *m = (EcgModel *)&err; /* must be reset to NULL */
    EcgCheckpointInfo info;
    int got = ecg_checkpoint_load(path, &m, &info, &err);
    CHECK_MSG(got == status, "%s: status %d, expected %d (%s)", path, got, status, err.message);
    CHECK_MSG(strstr(err.message, path) && strstr(err.message, want), "message '%s' lacks '%s'", err.message, want);
    CHECK(m == NULL);
    CHECK_MSG(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL) == 0, "%s: HDF5 objects left open", path);
    CHECK(!info.has_norm && !info.has_calibration && !info.has_eval && !info.val_scores && !info.eval.roc_fpr &&
          info.history.n_epochs == 0 && !info.history.train_loss);
    printf("#   refused: %s\n", err.message);
}

static void replace_dataset(hid_t loc, const char *name, int rank, const hsize_t *dims, float value)
{
    if (H5Lexists(loc, name, H5P_DEFAULT) > 0)
        CHECK(H5Ldelete(loc, name, H5P_DEFAULT) >= 0);
    size_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= dims[i];
    float *data = malloc(n * sizeof *data);
    for (size_t i = 0; i < n; i++)
        data[i] = value;
    hid_t space = H5Screate_simple(rank, dims, NULL);
    hid_t d = H5Dcreate2(loc, name, H5T_IEEE_F32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    CHECK(d >= 0 && H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0);
    H5Dclose(d);
    H5Sclose(space);
    free(data);
}

static void set_string_attr(hid_t obj, const char *name, const char *value)
{
    EcgError err = {0};
    CHECK_OK(ecg_h5_write_attr_string(obj, name, value, "edit", &err), &err);
}

static void test_bad_weights_are_named(void)
{
    const char *path;
    hid_t f, w;

    /* another kind */
    f = edit_copy(ECG_MODEL_CAE, "kind.model.h5", &path);
    set_string_attr(f, "kind", "transformer");
    H5Fclose(f);
    expect_refusal(path, ECG_ERR_FORMAT, "kind is 'transformer', expected one of cae, vae_bilstm, vae_bilstm_mha");

    /* a CAE's weights under a VAE's kind */
    f = edit_copy(ECG_MODEL_CAE, "cae-as-vae.model.h5", &path);
    set_string_attr(f, "kind", "vae_bilstm");
    hid_t c = H5Gopen2(f, "config", H5P_DEFAULT);
    EcgError err = {0};
    CHECK_OK(ecg_h5_write_attr_int(c, "hidden", 16, path, &err), &err);
    CHECK_OK(ecg_h5_write_attr_int(c, "latent", 8, path, &err), &err);
    H5Gclose(c);
    H5Fclose(f);
    expect_refusal(path, ECG_ERR_FORMAT, "missing weight 'encoder.weight_ih_l0'");

    /* a missing weight */
    f = edit_copy(ECG_MODEL_VAE_BILSTM, "missing.model.h5", &path);
    CHECK(H5Ldelete(f, "weights/decoder.weight_hh_l0_reverse", H5P_DEFAULT) >= 0);
    H5Fclose(f);
    expect_refusal(path, ECG_ERR_FORMAT, "missing weight 'decoder.weight_hh_l0_reverse'");

    /* a misshapen weight */
    f = edit_copy(ECG_MODEL_VAE_BILSTM, "shape.model.h5", &path);
    w = H5Gopen2(f, "weights", H5P_DEFAULT);
    replace_dataset(w, "to_latent.weight", 2, (hsize_t[]){16, 64}, 0.5f);
    H5Gclose(w);
    H5Fclose(f);
    expect_refusal(path, ECG_ERR_FORMAT, "weight 'to_latent.weight' has shape [16, 64], the model needs [16, 32]");

    /* of another rank */
    f = edit_copy(ECG_MODEL_CAE, "rank.model.h5", &path);
    w = H5Gopen2(f, "weights", H5P_DEFAULT);
    replace_dataset(w, "encoder.2.bias", 2, (hsize_t[]){64, 1}, 0.5f);
    H5Gclose(w);
    H5Fclose(f);
    expect_refusal(path, ECG_ERR_FORMAT, "weight 'encoder.2.bias' has shape [64, 1], the model needs [64]");

    /* a weight the model does not have */
    f = edit_copy(ECG_MODEL_VAE_BILSTM_MHA, "extra.model.h5", &path);
    w = H5Gopen2(f, "weights", H5P_DEFAULT);
    replace_dataset(w, "foo", 1, (hsize_t[]){3}, 0.5f);
    H5Gclose(w);
    H5Fclose(f);
    expect_refusal(path, ECG_ERR_FORMAT, "unexpected weight 'foo'");

    /* a NaN weight */
    f = edit_copy(ECG_MODEL_CAE, "nan.model.h5", &path);
    w = H5Gopen2(f, "weights", H5P_DEFAULT);
    replace_dataset(w, "decoder.4.bias", 1, (hsize_t[]){12}, NAN);
    H5Gclose(w);
    H5Fclose(f);
    expect_refusal(path, ECG_ERR_DATA, "weight 'decoder.4.bias' holds NaN");

    /* a weight that is not numbers */
    f = edit_copy(ECG_MODEL_CAE, "text-weight.model.h5", &path);
    CHECK(H5Ldelete(f, "weights/encoder.0.bias", H5P_DEFAULT) >= 0);
    w = H5Gopen2(f, "weights", H5P_DEFAULT);
    const char *words[32];
    for (int i = 0; i < 32; i++)
        words[i] = "x";
    CHECK_OK(ecg_h5_write_strings(w, "encoder.0.bias", words, 32, path, &err), &err);
    H5Gclose(w);
    H5Fclose(f);
    expect_refusal(path, ECG_ERR_FORMAT, "encoder.0.bias");

    /* no /weights at all */
    f = edit_copy(ECG_MODEL_CAE, "no-weights.model.h5", &path);
    CHECK(H5Ldelete(f, "weights", H5P_DEFAULT) >= 0);
    H5Fclose(f);
    expect_refusal(path, ECG_ERR_FORMAT, "no group '/weights'");
}

static void test_bad_config_and_groups_are_named(void)
{
    const char *path;
    hid_t f, g;
    EcgError err = {0};

    f = edit_copy(ECG_MODEL_VAE_BILSTM_MHA, "no-heads.model.h5", &path);
    g = H5Gopen2(f, "config", H5P_DEFAULT);
    CHECK(H5Adelete(g, "time_heads") >= 0);
    H5Gclose(g);
    H5Fclose(f);
    expect_refusal(path, ECG_ERR_FORMAT, "/config has no attribute 'time_heads'");

    f = edit_copy(ECG_MODEL_VAE_BILSTM_MHA, "heads.model.h5", &path);
    g = H5Gopen2(f, "config", H5P_DEFAULT);
    CHECK_OK(ecg_h5_write_attr_int(g, "time_heads", 3, path, &err), &err);
    H5Gclose(g);
    H5Fclose(f);
    expect_refusal(path, ECG_ERR_FORMAT, "does not split into 3 time heads");

    f = edit_copy(ECG_MODEL_CAE, "negative.model.h5", &path);
    g = H5Gopen2(f, "config", H5P_DEFAULT);
    CHECK_OK(ecg_h5_write_attr_int(g, "window", -5, path, &err), &err);
    H5Gclose(g);
    H5Fclose(f);
    expect_refusal(path, ECG_ERR_FORMAT, "/config window is -5");

    f = edit_copy(ECG_MODEL_CAE, "norm-name.model.h5", &path);
    g = H5Gopen2(f, "config", H5P_DEFAULT);
    set_string_attr(g, "normalization", "zscore");
    H5Gclose(g);
    H5Fclose(f);
    expect_refusal(path, ECG_ERR_FORMAT, "/config normalization is 'zscore', expected 'record' or 'dataset'");

    f = edit_copy(ECG_MODEL_CAE, "band.model.h5", &path);
    g = H5Gopen2(f, "config", H5P_DEFAULT);
    CHECK_OK(ecg_h5_write_attr_double(g, "band_low", NAN, path, &err), &err);
    H5Gclose(g);
    H5Fclose(f);
    expect_refusal(path, ECG_ERR_FORMAT, "not a valid filter");

    f = edit_copy(ECG_MODEL_CAE, "no-config.model.h5", &path);
    CHECK(H5Ldelete(f, "config", H5P_DEFAULT) >= 0);
    H5Fclose(f);
    expect_refusal(path, ECG_ERR_FORMAT, "no group '/config'");

    /* a dataset-normalised model needs its statistics */
    f = edit_copy(ECG_MODEL_VAE_BILSTM, "no-norm.model.h5", &path);
    CHECK(H5Ldelete(f, "norm", H5P_DEFAULT) >= 0);
    H5Fclose(f);
    expect_refusal(path, ECG_ERR_FORMAT, "normalization is 'dataset' but there is no /norm");

    f = edit_copy(ECG_MODEL_CAE, "bad-norm.model.h5", &path);
    g = H5Gopen2(f, "norm", H5P_DEFAULT);
    replace_dataset(g, "std", 1, (hsize_t[]){12}, 0.0f);
    H5Gclose(g);
    H5Fclose(f);
    expect_refusal(path, ECG_ERR_FORMAT, "norm of lead I is mean -0.5, std 0");

    /* optional groups, when present, must be complete */
    f = edit_copy(ECG_MODEL_CAE, "history.model.h5", &path);
    CHECK(H5Ldelete(f, "history/kl", H5P_DEFAULT) >= 0);
    H5Fclose(f);
    expect_refusal(path, ECG_ERR_FORMAT, "no dataset '/history/kl'");

    f = edit_copy(ECG_MODEL_CAE, "history-len.model.h5", &path);
    g = H5Gopen2(f, "history", H5P_DEFAULT);
    replace_dataset(g, "lr", 1, (hsize_t[]){3}, 0.001f);
    H5Gclose(g);
    H5Fclose(f);
    expect_refusal(path, ECG_ERR_FORMAT, "/history/lr has 3 epochs, /history/train_loss 4");

    f = edit_copy(ECG_MODEL_CAE, "calibration.model.h5", &path);
    g = H5Gopen2(f, "calibration", H5P_DEFAULT);
    CHECK(H5Adelete(g, "threshold") >= 0);
    H5Gclose(g);
    H5Fclose(f);
    expect_refusal(path, ECG_ERR_FORMAT, "/calibration has no attribute 'threshold'");

    f = edit_copy(ECG_MODEL_CAE, "eval.model.h5", &path);
    g = H5Gopen2(f, "eval/linear_baseline", H5P_DEFAULT);
    CHECK(H5Adelete(g, "auroc_CD") >= 0);
    H5Gclose(g);
    H5Fclose(f);
    expect_refusal(path, ECG_ERR_FORMAT, "/eval/linear_baseline has no attribute 'auroc_CD'");

    f = edit_copy(ECG_MODEL_CAE, "roc.model.h5", &path);
    g = H5Gopen2(f, "eval", H5P_DEFAULT);
    replace_dataset(g, "roc_tpr", 1, (hsize_t[]){5}, 0.5f);
    H5Gclose(g);
    H5Fclose(f);
    expect_refusal(path, ECG_ERR_FORMAT, "/eval/roc_fpr has 4 points, /eval/roc_tpr 5");
}

static void test_foreign_and_damaged_files(void)
{
    const char *path;
    hid_t f;

    /* another version */
    f = edit_copy(ECG_MODEL_CAE, "v2.model.h5", &path);
    EcgError err = {0};
    CHECK_OK(ecg_h5_write_attr_int(f, "version", 2, path, &err), &err);
    H5Fclose(f);
    expect_refusal(path, ECG_ERR_FORMAT, "model version 2, this ecglens reads version 1");

    /* another ecglens file */
    f = edit_copy(ECG_MODEL_CAE, "dataset.h5", &path);
    set_string_attr(f, "format", "ecglens-dataset");
    H5Fclose(f);
    expect_refusal(path, ECG_ERR_FORMAT, "not an ecglens model (format is 'ecglens-dataset')");

    /* an HDF5 file of another layout */
    const char *other = tmp("other.h5");
    f = H5Fcreate(other, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hid_t g = H5Gcreate2(f, "weights", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    replace_dataset(g, "encoder.0.bias", 1, (hsize_t[]){32}, 0.5f);
    H5Gclose(g);
    H5Fclose(f);
    expect_refusal(other, ECG_ERR_FORMAT, "not an ecglens model (no 'format' attribute on /)");

    /* not HDF5 at all, and no file */
    const char *text = tmp("text.model.h5");
    FILE *t = fopen(text, "w");
    fputs("{\"weights\": []}\n", t);
    fclose(t);
    expect_refusal(text, ECG_ERR_FORMAT, "not an HDF5 file");
    expect_refusal(tmp("absent.model.h5"), ECG_ERR_IO, "cannot open");
    expect_refusal(test_tmpdir(), ECG_ERR_FORMAT, "not an HDF5 file");

    /* truncated: a download cut short */
    const char *good;
    f = edit_copy(ECG_MODEL_VAE_BILSTM, "good.model.h5", &good);
    H5Fclose(f);
    char *data = NULL;
    size_t n = 0;
    REQUIRE_OK(ecg_file_read_all(good, &data, &n, &err), &err);
    const char *cut = tmp("cut.model.h5");
    CHECK_OK(ecg_file_write_atomic(cut, data, n / 2, NULL, 0, &err), &err);
    expect_refusal(cut, ECG_ERR_FORMAT, "truncated");
    CHECK_OK(ecg_file_write_atomic(cut, data, 100, NULL, 0, &err), &err);
    expect_refusal(cut, ECG_ERR_FORMAT, "truncated");

    /* corrupted: the bytes of a weight overwritten (0xff bytes are NaN floats) */
    f = H5Fopen(good, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t d = H5Dopen2(f, "weights/decoder.weight_ih_l0", H5P_DEFAULT);
    haddr_t offset = H5Dget_offset(d);
    H5Dclose(d);
    H5Fclose(f);
    CHECK(offset != HADDR_UNDEF && offset + 256 <= n);
    if (offset == HADDR_UNDEF || offset + 256 > n) {
        free(data);
        return;
    }
    const char *bad = tmp("corrupt.model.h5");
    memset(data + offset + 128, 0xff, 128);
    CHECK_OK(ecg_file_write_atomic(bad, data, n, NULL, 0, &err), &err);
    expect_refusal(bad, ECG_ERR_DATA, "weight 'decoder.weight_ih_l0' holds NaN at flat index 32");
    free(data);

    /* corrupted signature and superblock. (Corruption of object headers can
     * make HDF5 1.10 itself leak a few hundred bytes while refusing the file,
     * so the test stays with bytes whose outcome is certain.) */
    REQUIRE_OK(ecg_file_read_all(good, &data, &n, &err), &err);
    memset(data, 0xa5, 8);
    CHECK_OK(ecg_file_write_atomic(bad, data, n, NULL, 0, &err), &err);
    expect_refusal(bad, ECG_ERR_FORMAT, "not an HDF5 file");
    free(data);
    REQUIRE_OK(ecg_file_read_all(good, &data, &n, &err), &err);
    memset(data + 8, 0xa5, 64);
    CHECK_OK(ecg_file_write_atomic(bad, data, n, NULL, 0, &err), &err);
    expect_refusal(bad, ECG_ERR_FORMAT, "cannot open the HDF5 file (truncated, damaged");
    free(data);
}

// ----------------------------------------------------------------------------
// loading weights into an existing model

static void test_load_weights_into_a_model(void)
{
    EcgError err = {0};
    EcgModel *src = new_model(ECG_MODEL_VAE_BILSTM, 11), *dst = new_model(ECG_MODEL_VAE_BILSTM, 12);
    EcgModel *cae = new_model(ECG_MODEL_CAE, 13);
    if (!src || !dst || !cae)
        return;
    EcgCheckpointInfo info;
    fill_info(&info);
    const char *path = tmp("weights.model.h5");
    REQUIRE_OK(ecg_checkpoint_save(path, src, &info, &err), &err);
    CHECK_OK(ecg_checkpoint_load_weights(path, NULL, dst, &err), &err);
    check_same_weights(src, dst);

    /* the file says it holds another kind */
    CHECK(ecg_checkpoint_load_weights(path, "weights", cae, &err) == ECG_ERR_FORMAT);
    CHECK_MSG(strstr(err.message, path) && strstr(err.message, "kind is 'vae_bilstm', expected 'cae'"), "%s",
              err.message);

    /* all or nothing: a bad last weight leaves the model as it was */
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t w = H5Gopen2(f, "weights", H5P_DEFAULT);
    replace_dataset(w, "encoder.weight_ih_l0", 2, (hsize_t[]){64, 12}, 2.0f);
    replace_dataset(w, "output.bias", 1, (hsize_t[]){24}, INFINITY);
    H5Gclose(w);
    H5Fclose(f);
    EcgModel *before = new_model(ECG_MODEL_VAE_BILSTM, 12);
    ecg_model_init_weights(dst, 12);
    CHECK(ecg_checkpoint_load_weights(path, NULL, dst, &err) == ECG_ERR_DATA);
    CHECK_MSG(strstr(err.message, "weight 'output.bias' holds an infinity"), "%s", err.message);
    check_same_weights(before, dst);

    /* a group of another name, in a file without kind or config */
    const char *bare = tmp("bare.h5");
    f = H5Fcreate(bare, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hid_t g = H5Gcreate2(f, "state_dict", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    const EcgArena *p = ecg_model_params(cae);
    for (size_t i = 0; i < p->n_views; i++) {
        hsize_t dims[ECG_VIEW_MAX_DIMS];
        for (size_t d = 0; d < p->views[i].ndim; d++)
            dims[d] = p->views[i].shape[d];
        replace_dataset(g, p->views[i].name, (int)p->views[i].ndim, dims, (float)i);
    }
    H5Gclose(g);
    H5Fclose(f);
    CHECK_OK(ecg_checkpoint_load_weights(bare, "state_dict", cae, &err), &err);
    CHECK(ecg_arena_get(p, "decoder.4.bias")[5] == (float)(p->n_views - 1));
    CHECK(ecg_checkpoint_load_weights(bare, NULL, cae, &err) == ECG_ERR_FORMAT);
    CHECK_MSG(strstr(err.message, "no group '/weights'"), "%s", err.message);

    ecg_checkpoint_info_clear(&info);
    ecg_model_free(before);
    ecg_model_free(src);
    ecg_model_free(dst);
    ecg_model_free(cae);
}

// ----------------------------------------------------------------------------
// failed saves

static int count_temp_files(void)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "ls -a %s | grep -c tmp- > /dev/null", test_tmpdir());
    return system(cmd) == 0;
}

static void test_failed_save_keeps_the_file(void)
{
    EcgError err = {0};
    const char *path = tmp("keep.model.h5");
    EcgModel *m = new_model(ECG_MODEL_VAE_BILSTM_MHA, 21);
    if (!m)
        return;
    EcgCheckpointInfo info;
    fill_info(&info);
    REQUIRE_OK(ecg_checkpoint_save(path, m, &info, &err), &err);
    char *before = NULL, *after = NULL;
    size_t n_before = 0, n_after = 0;
    REQUIRE_OK(ecg_file_read_all(path, &before, &n_before, &err), &err);

    /* a NaN in the last weight fails after most of the new file was written */
    EcgModel *bad = new_model(ECG_MODEL_VAE_BILSTM_MHA, 22);
    EcgArena *p = ecg_model_params(bad);
    const EcgView *last = &p->views[p->n_views - 1];
    p->data[last->offset + 1] = NAN;
    CHECK(ecg_checkpoint_save(path, bad, &info, &err) == ECG_ERR_DATA);
    CHECK_MSG(strstr(err.message, path) && strstr(err.message, last->name) && strstr(err.message, "NaN"), "%s",
              err.message);

    /* a dataset-normalised model without statistics */
    EcgModel *vae = new_model(ECG_MODEL_VAE_BILSTM, 23);
    info.has_norm = false;
    CHECK(ecg_checkpoint_save(path, vae, &info, &err) == ECG_ERR_ARG);
    CHECK_MSG(strstr(err.message, "dataset normalization"), "%s", err.message);
    CHECK(ecg_checkpoint_save(path, vae, NULL, &err) == ECG_ERR_ARG);
    info.has_norm = true;
    info.norm.std[4] = -1.0f;
    CHECK(ecg_checkpoint_save(path, vae, &info, &err) == ECG_ERR_ARG);
    CHECK_MSG(strstr(err.message, "lead aVL"), "%s", err.message);
    info.norm.std[4] = 1.0f;

    REQUIRE_OK(ecg_file_read_all(path, &after, &n_after, &err), &err);
    CHECK(n_before == n_after && memcmp(before, after, n_before) == 0);
    free(after);
    CHECK(!count_temp_files());

    /* the target is a directory: everything is written, the rename fails */
    const char *dir = tmp("a-directory.model.h5");
    mkdir(dir, 0755);
    char inside[600];
    snprintf(inside, sizeof inside, "%s/a-directory.model.h5/x", test_tmpdir());
    FILE *t = fopen(inside, "w");
    fclose(t);
    CHECK(ecg_checkpoint_save(dir, m, &info, &err) == ECG_ERR_IO);
    CHECK_MSG(strstr(err.message, dir) && strstr(err.message, "cannot replace"), "%s", err.message);
    CHECK(!count_temp_files());

    /* nowhere to write */
    CHECK(ecg_checkpoint_save("/nonexistent-dir/x.model.h5", m, &info, &err) == ECG_ERR_IO);
    CHECK_MSG(strstr(err.message, "/nonexistent-dir/x.model.h5"), "%s", err.message);

    /* a read-only directory (root writes anywhere: not checkable then) */
    if (geteuid() != 0) {
        const char *ro = tmp("read-only");
        mkdir(ro, 0755);
        char target[600];
        snprintf(target, sizeof target, "%s/read-only/m.model.h5", test_tmpdir());
        CHECK_OK(ecg_checkpoint_save(target, m, &info, &err), &err);
        chmod(ro, 0555);
        CHECK(ecg_checkpoint_save(target, bad, &info, &err) == ECG_ERR_DATA);
        CHECK(ecg_checkpoint_save(target, m, &info, &err) == ECG_ERR_IO);
        CHECK_MSG(strstr(err.message, target), "%s", err.message);
        chmod(ro, 0755);
        EcgModel *back = NULL;
        CHECK_OK(ecg_checkpoint_load(target, &back, NULL, &err), &err);
        ecg_model_free(back);
    }

    /* the old file still loads, with the old weights */
    EcgModel *back = NULL;
    CHECK_OK(ecg_checkpoint_load(path, &back, NULL, &err), &err);
    if (back)
        check_same_weights(m, back);
    ecg_model_free(back);
    free(before);
    ecg_checkpoint_info_clear(&info);
    ecg_model_free(vae);
    ecg_model_free(bad);
    ecg_model_free(m);
}

static void test_info_helpers_copy(void)
{
    EcgError err = {0};
    EcgCheckpointInfo info;
    ecg_checkpoint_info_init(&info);
    double scores[3] = {1, 2, 3};
    CHECK_OK(ecg_checkpoint_info_set_calibration(&info, 2.5, 90, scores, 3, &err), &err);
    scores[0] = 9;
    CHECK(info.has_calibration && info.val_scores[0] == 1 && info.n_val_scores == 3 && info.threshold == 2.5);
    CHECK_OK(ecg_checkpoint_info_set_calibration(&info, 2.5, 90, scores, 2, &err), &err);
    CHECK(info.val_scores[0] == 9 && info.n_val_scores == 2);
    CHECK(ecg_checkpoint_info_set_calibration(&info, 1, 1, NULL, 4, &err) == ECG_ERR_ARG);
    CHECK(info.n_val_scores == 2);
    double a[2] = {1, 2};
    EcgTrainHistory h = {.n_epochs = 2, .train_loss = a, .val_loss = a, .recon = a, .kl = a, .beta = a, .lr = a,
                         .seconds = NULL};
    CHECK(ecg_checkpoint_info_set_history(&info, &h, &err) == ECG_ERR_ARG);
    CHECK(info.history.n_epochs == 0 && !info.history.train_loss);
    h.seconds = a;
    CHECK_OK(ecg_checkpoint_info_set_history(&info, &h, &err), &err);
    CHECK_OK(ecg_checkpoint_info_set_history(&info, &h, &err), &err);
    CHECK(info.history.n_epochs == 2 && info.history.seconds != a && info.history.seconds[1] == 2);
    float r[2] = {0, 1};
    CHECK_OK(ecg_checkpoint_info_set_roc(&info, r, r, 2, &err), &err);
    CHECK_OK(ecg_checkpoint_info_set_roc(&info, r, r, 2, &err), &err);
    CHECK(info.eval.n_roc == 2 && info.eval.roc_tpr[1] == 1);
    ecg_checkpoint_info_clear(&info);
    CHECK(!info.val_scores && !info.history.kl && !info.eval.roc_fpr && isnan(info.eval.linear.auroc));
    ecg_checkpoint_info_clear(&info); /* twice is fine */
}

int main(void)
{
    RUN(test_round_trip_every_kind);
    RUN(test_layout_on_disk);
    RUN(test_bad_weights_are_named);
    RUN(test_bad_config_and_groups_are_named);
    RUN(test_foreign_and_damaged_files);
    RUN(test_load_weights_into_a_model);
    RUN(test_failed_save_keeps_the_file);
    RUN(test_info_helpers_copy);
    return test_done();
}
