/* metrics.h — evaluation of anomaly scores against labels (DESIGN §5): ROC and
 * precision-recall areas, the confusion at a threshold, and the threshold as a
 * percentile of normal validation scores. Label 1 = anomalous, 0 = normal;
 * higher scores mean more anomalous. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "status.h"

/* Area under the ROC curve, ties counted half (the Mann-Whitney statistic).
 * NaN when either class is empty. */
double ecg_auroc(const double *scores, const uint8_t *labels, size_t n);

/* Average precision (area under the precision-recall curve as scikit-learn's
 * average_precision_score computes it: sum over thresholds of (R_k - R_{k-1}) P_k).
 * NaN without positives. */
double ecg_auprc(const double *scores, const uint8_t *labels, size_t n);

/* The ROC curve's points from (0,0) to (1,1), one per distinct score; fpr and tpr
 * (n + 1) each; returns the number of points written. */
size_t ecg_roc_curve(const double *scores, const uint8_t *labels, size_t n, float *fpr, float *tpr);

typedef struct {
    size_t tp, fp, tn, fn;
    double precision, recall, specificity, f1;  /* NaN where undefined */
} EcgConfusion;

/* Flagged = score > threshold. */
EcgConfusion ecg_confusion(const double *scores, const uint8_t *labels, size_t n, double threshold);

/* The p-th percentile (0..100) of values with linear interpolation between
 * order statistics (numpy's default). Refused: n == 0, p outside 0..100. */
int ecg_percentile(const double *values, size_t n, double p, double *out, EcgError *err);

/* Which percentile of values a threshold stands at: the share of values <= t, in %. */
double ecg_percentile_of(const double *values, size_t n, double t);
