/* Evaluation metrics on small cases computed by hand (and checked against
 * scikit-learn's roc_auc_score / average_precision_score). */
#include "metrics.h"
#include "test.h"

static void test_auroc_exact_cases(void)
{
    const double s[] = {0.1, 0.4, 0.35, 0.8};
    const uint8_t y[] = {0, 0, 1, 1};
    CHECK_NEAR(ecg_auroc(s, y, 4), 0.75, 1e-12);     /* sklearn: 0.75 */
    CHECK_NEAR(ecg_auprc(s, y, 4), 0.8333333333333333, 1e-12); /* sklearn: 0.8333 */
    const double tied[] = {0.5, 0.5, 0.5, 0.5};
    CHECK_NEAR(ecg_auroc(tied, y, 4), 0.5, 1e-12);
    CHECK_NEAR(ecg_auprc(tied, y, 4), 0.5, 1e-12);
    const double perfect[] = {0, 1, 2, 3};
    CHECK_NEAR(ecg_auroc(perfect, y, 4), 1.0, 1e-12);
    const uint8_t one_class[] = {1, 1, 1, 1};
    CHECK(isnan(ecg_auroc(s, one_class, 4)));
}

static void test_roc_curve_points(void)
{
    const double s[] = {0.1, 0.4, 0.35, 0.8};
    const uint8_t y[] = {0, 0, 1, 1};
    float fpr[5], tpr[5];
    size_t k = ecg_roc_curve(s, y, 4, fpr, tpr);
    CHECK(k == 5);
    const float want_fpr[] = {0, 0, 0.5f, 0.5f, 1}, want_tpr[] = {0, 0.5f, 0.5f, 1, 1};
    for (size_t i = 0; i < 5; i++)
        CHECK(fpr[i] == want_fpr[i] && tpr[i] == want_tpr[i]);
}

static void test_confusion_at_threshold(void)
{
    const double s[] = {0.1, 0.4, 0.35, 0.8, 0.9};
    const uint8_t y[] = {0, 0, 1, 1, 0};
    EcgConfusion c = ecg_confusion(s, y, 5, 0.35); /* flagged: 0.4, 0.8, 0.9 (strictly above) */
    CHECK(c.tp == 1 && c.fp == 2 && c.tn == 1 && c.fn == 1);
    CHECK_NEAR(c.precision, 1.0 / 3, 1e-12);
    CHECK_NEAR(c.recall, 0.5, 1e-12);
    CHECK_NEAR(c.specificity, 1.0 / 3, 1e-12);
    CHECK_NEAR(c.f1, 0.4, 1e-12);
    c = ecg_confusion(s, y, 5, 10);
    CHECK(c.tp == 0 && isnan(c.precision) && c.recall == 0);
}

static void test_percentiles(void)
{
    const double v[] = {5, 1, 4, 2, 3};
    double p;
    EcgError err = {0};
    CHECK_OK(ecg_percentile(v, 5, 50, &p, &err), &err);
    CHECK_NEAR(p, 3, 1e-12);
    CHECK_OK(ecg_percentile(v, 5, 95, &p, &err), &err);
    CHECK_NEAR(p, 4.8, 1e-12); /* numpy.percentile([1..5], 95) */
    CHECK_OK(ecg_percentile(v, 5, 0, &p, &err), &err);
    CHECK_NEAR(p, 1, 1e-12);
    CHECK(ecg_percentile(v, 0, 50, &p, &err) == ECG_ERR_DATA);
    CHECK(ecg_percentile(v, 5, 101, &p, &err) == ECG_ERR_ARG);
    CHECK_NEAR(ecg_percentile_of(v, 5, 4), 80, 1e-12);
    CHECK_NEAR(ecg_percentile_of(v, 5, 0.5), 0, 1e-12);
}

int main(void)
{
    RUN(test_auroc_exact_cases);
    RUN(test_roc_curve_points);
    RUN(test_confusion_at_threshold);
    RUN(test_percentiles);
    return test_done();
}
