/* Scoring a record: window placement, the model's preprocessing, NaN samples
 * (their windows skipped and counted), determinism (z = mu), and refusals. */
#include "models/model.h"
#include "score.h"
#include "synth.h"
#include "test.h"

static void test_window_starts(void)
{
    size_t s[16];
    CHECK(ecg_window_starts(1000, 256, 128, s) == 7);
    const size_t want[] = {0, 128, 256, 384, 512, 640, 744};
    for (int i = 0; i < 7; i++)
        CHECK(s[i] == want[i]);
    CHECK(ecg_window_starts(512, 256, 128, s) == 3 && s[2] == 256); /* the end is reached exactly */
    CHECK(ecg_window_starts(100, 256, 128, s) == 1 && s[0] == 0);   /* shorter than a window */
    CHECK(ecg_window_starts(0, 256, 128, NULL) == 0);
}

static EcgModel *small_model(EcgModelKind kind)
{
    EcgModelConfig cfg;
    ecg_model_config_default(&cfg, kind);
    cfg.hidden = 16, cfg.latent = 8, cfg.lead_dim = 4, cfg.lead_heads = 2, cfg.time_heads = 2;
    EcgModel *m = NULL;
    EcgError err = {0};
    CHECK_OK(ecg_model_new(&cfg, &m, &err), &err);
    if (m)
        ecg_model_init_weights(m, 3);
    return m;
}

static void test_scores_are_deterministic_and_skip_nan_windows(void)
{
    EcgRecord rec;
    size_t *peaks, n_peaks;
    EcgError err = {0};
    REQUIRE_OK(ecg_synth_record(ECG_SYNTH_NORMAL, 500.0, 10.0, 5, &rec, &peaks, &n_peaks, &err), &err);
    free(peaks);
    for (int k = 0; k < ECG_MODEL_N_KINDS; k++) {
        EcgModel *m = small_model((EcgModelKind)k);
        if (!m)
            continue;
        EcgRecordScore a, b;
        REQUIRE_OK(ecg_score_record(m, NULL, &rec, true, &a, &err), &err);
        REQUIRE_OK(ecg_score_record(m, NULL, &rec, false, &b, &err), &err);
        CHECK(a.fs == 100.0 && a.n_samples == 1000 && a.n_windows == 7 && a.n_skipped == 0);
        CHECK(a.record_score == b.record_score && isfinite(a.record_score));
        double mean = 0;
        for (int l = 0; l < 12; l++)
            mean += a.lead_score[l] / 12.0;
        CHECK_NEAR(mean, a.record_score, 1e-5 * fabs(a.record_score) + 1e-9);
        CHECK(a.windows.n_windows == 7 && a.windows.T == 256 && a.windows.starts[6] == 744);
        CHECK((a.x_sigma != NULL) == (k != ECG_MODEL_CAE));
        CHECK((a.lead_attn != NULL) == (k == ECG_MODEL_VAE_BILSTM_MHA));
        /* the units convert the model's input back to the band-passed signal in mV:
         * lead II of a synthetic normal has an R wave of about 1 mV */
        float lo = INFINITY, hi = -INFINITY;
        for (size_t t = 0; t < a.n_samples; t++) {
            float mv = a.x[1 * a.n_samples + t] * a.units.std[1] + a.units.mean[1];
            lo = fminf(lo, mv), hi = fmaxf(hi, mv);
        }
        CHECK_MSG(hi - lo > 0.5f && hi - lo < 3.0f, "lead II spans %.3f mV", hi - lo);
        ecg_record_score_clear(&a);
        ecg_record_score_clear(&b);

        /* NaN in lead V3 around 2 s: the windows covering it are skipped and counted */
        float *v3 = ecg_record_lead(&rec, 8);
        float saved = v3[1000];
        v3[1000] = NAN;
        REQUIRE_OK(ecg_score_record(m, NULL, &rec, false, &a, &err), &err);
        CHECK_MSG(a.n_skipped == 2 && a.n_windows == 5, "%zu skipped, %zu scored", a.n_skipped, a.n_windows);
        CHECK(isfinite(a.record_score));
        ecg_record_score_clear(&a);
        v3[1000] = saved;
        ecg_model_free(m);
    }
    ecg_record_clear(&rec);
}

static void test_smooth(void)
{
    /* 40 ms at 100 Hz: 2 samples each side of the centre */
    const float point[2 * 6] = {0, 0, 10, 0, 0, 0, /* lead 2: */ 1, NAN, 3, NAN, NAN, NAN};
    float out[2 * 6];
    ecg_score_smooth(point, 2, 6, 100.0, 0.040, out);
    const float want0[6] = {10.f / 3, 2.5f, 2, 2, 2.5f, 0};
    for (int t = 0; t < 6; t++)
        CHECK_NEAR(out[t], want0[t], 1e-6);
    CHECK_NEAR(out[6], 2, 1e-6);  /* mean of 1 and 3, the NaN left out */
    CHECK_NEAR(out[8], 2, 1e-6);
    CHECK_NEAR(out[9], 3, 1e-6);  /* only the 3 is in reach */
    CHECK(isnan(out[11]));
    /* shorter than a sample: the point itself */
    ecg_score_smooth(point, 1, 6, 100.0, 0.001, out);
    CHECK(out[2] == 10 && out[1] == 0);
}

static void test_verdict(void)
{
    float lead[12] = {0};
    char buf[160];
    lead[7] = 1.5f, lead[8] = 1.3f; /* V2, V3 */
    ecg_verdict_format(buf, sizeof buf, 1.21, lead, 0.83);
    CHECK_MSG(strcmp(buf, "Anomalous: score 1.21 > \u03c4 0.83 \u2014 leads V2, V3") == 0, "%s", buf);
    ecg_verdict_format(buf, sizeof buf, 0.52, lead, 1.4);
    CHECK_MSG(strcmp(buf, "Within normal limits: score 0.52 \u2264 \u03c4 1.4 \u2014 lead V2 above \u03c4") == 0, "%s",
              buf);
    ecg_verdict_format(buf, sizeof buf, 0.52, lead, 2);
    CHECK_MSG(strcmp(buf, "Within normal limits: score 0.52 \u2264 \u03c4 2") == 0, "%s", buf);
    for (int l = 0; l < 12; l++) /* NLL scores are negative */
        lead[l] = l == 7 || l == 8 ? 0.1f : -1.0f;
    ecg_verdict_format(buf, sizeof buf, -0.21, lead, -0.38);
    CHECK_MSG(strcmp(buf, "Anomalous: score -0.21 > \u03c4 -0.38 \u2014 leads V2, V3") == 0, "%s", buf);
    ecg_verdict_format(buf, 20, 1.21, lead, 0.83); /* truncated, still terminated */
    CHECK(strlen(buf) < 20);
}

static void test_refusals(void)
{
    EcgModel *m = small_model(ECG_MODEL_CAE);
    EcgError err = {0};
    EcgRecord rec;
    EcgRecordScore s;
    REQUIRE_OK(ecg_record_init(&rec, 2, 1000, 360.0, &err), &err);
    snprintf(rec.id, sizeof rec.id, "100");
    ecg_record_set_lead_name(&rec, 0, "MLII");
    ecg_record_set_lead_name(&rec, 1, "V5");
    CHECK(ecg_score_record(m, NULL, &rec, false, &s, &err) == ECG_ERR_DATA);
    CHECK_MSG(strstr(err.message, "100") && strstr(err.message, "12 standard leads"), "%s", err.message);
    ecg_record_clear(&rec);

    /* every window holding a NaN */
    REQUIRE_OK(ecg_record_init(&rec, 12, 300, 100.0, &err), &err);
    for (int l = 0; l < 12; l++)
        ecg_record_set_lead_name(&rec, (size_t)l, ecg_standard_leads[l]);
    ecg_record_lead(&rec, 0)[150] = NAN;
    CHECK(ecg_score_record(m, NULL, &rec, false, &s, &err) == ECG_ERR_DATA);
    CHECK_MSG(strstr(err.message, "non-finite"), "%s", err.message);
    ecg_record_clear(&rec);
    ecg_model_free(m);
}

int main(void)
{
    RUN(test_window_starts);
    RUN(test_scores_are_deterministic_and_skip_nan_windows);
    RUN(test_smooth);
    RUN(test_verdict);
    RUN(test_refusals);
    return test_done();
}
