/* The models shipped in data/models load, and on the demo's test fold (made at
 * build time by the same generator and seed) each detects the planted
 * abnormalities with AUROC >= 0.95 (issue 3). */
#include "checkpoint.h"
#include "dataset.h"
#include "eval.h"
#include "test.h"

static void check_kind(const char *kind)
{
    char model_path[1024], demo_path[1024];
    snprintf(model_path, sizeof model_path, "%s/data/models/%s.model.h5", ECGLENS_SOURCE_ROOT, kind);
    snprintf(demo_path, sizeof demo_path, "%s/data/demo.h5", getenv("ECGLENS_BUILD_ROOT"));
    EcgError err = {0};
    EcgModel *m;
    EcgCheckpointInfo info;
    EcgDataset *ds;
    REQUIRE_OK(ecg_checkpoint_load(model_path, &m, &info, &err), &err);
    CHECK(info.has_calibration && isfinite(info.threshold)); /* NLL scores may be negative */
    CHECK(info.history.n_epochs > 0);
    REQUIRE_OK(ecg_dataset_open(demo_path, &ds, &err), &err);
    EcgEvalSummary summary;
    ecg_eval_summary_init(&summary);
    REQUIRE_OK(ecg_evaluate(ds, m, info.has_norm ? &info.norm : NULL, info.threshold, &summary, NULL, NULL, NULL, &err),
               &err);
    printf("#   %s: AUROC %.3f AUPRC %.3f on %zu test records\n", kind, summary.model.auroc, summary.model.auprc,
           summary.n);
    CHECK(summary.model.auroc >= 0.95);
    ecg_eval_summary_clear(&summary);
    ecg_dataset_close(ds);
    ecg_checkpoint_info_clear(&info);
    ecg_model_free(m);
}

static void test_cae(void) { check_kind("cae"); }
static void test_vae_bilstm(void) { check_kind("vae_bilstm"); }
static void test_vae_bilstm_mha(void) { check_kind("vae_bilstm_mha"); }

int main(void)
{
    RUN(test_cae);
    RUN(test_vae_bilstm);
    RUN(test_vae_bilstm_mha);
    return test_done();
}
