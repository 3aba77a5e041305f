#include "metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    double score;
    uint8_t label;
} Scored;

static int by_score_desc(const void *a, const void *b)
{
    double x = ((const Scored *)a)->score, y = ((const Scored *)b)->score;
    return (x < y) - (x > y);
}

/* (score, label) pairs sorted by decreasing score; NULL when out of memory. */
static Scored *sorted_desc(const double *scores, const uint8_t *labels, size_t n, size_t *n_pos)
{
    Scored *s = malloc((n ? n : 1) * sizeof *s);
    if (!s)
        return NULL;
    *n_pos = 0;
    for (size_t i = 0; i < n; i++) {
        s[i] = (Scored){scores[i], labels[i] != 0};
        *n_pos += s[i].label;
    }
    qsort(s, n, sizeof *s, by_score_desc);
    return s;
}

/* The ROC steps: cumulative true and false positives when the threshold passes
 * each distinct score, from the highest down (ties move together). Returns the
 * number of steps (at most n) or 0 when out of memory; *tp, *fp are malloc'ed. */
static size_t roc_steps(const double *scores, const uint8_t *labels, size_t n, size_t **tp, size_t **fp,
                        size_t *n_pos)
{
    Scored *s = sorted_desc(scores, labels, n, n_pos);
    *tp = malloc((n ? n : 1) * sizeof **tp);
    *fp = malloc((n ? n : 1) * sizeof **fp);
    size_t k = 0;
    if (s && *tp && *fp) {
        size_t t = 0, f = 0;
        for (size_t i = 0; i < n;) {
            for (double v = s[i].score; i < n && s[i].score == v; i++) {
                t += s[i].label;
                f += !s[i].label;
            }
            (*tp)[k] = t;
            (*fp)[k] = f;
            k++;
        }
    }
    free(s);
    return k;
}

double ecg_auroc(const double *scores, const uint8_t *labels, size_t n)
{
    size_t *tp, *fp, n_pos;
    size_t steps = roc_steps(scores, labels, n, &tp, &fp, &n_pos);
    size_t n_neg = n - n_pos;
    double area = NAN;
    if (steps > 0 && n_pos > 0 && n_neg > 0) {
        /* trapezoids between consecutive ROC points: ties get half credit */
        double prev_tpr = 0, prev_fpr = 0;
        area = 0;
        for (size_t k = 0; k < steps; k++) {
            double tpr = (double)tp[k] / (double)n_pos, fpr = (double)fp[k] / (double)n_neg;
            area += (fpr - prev_fpr) * (tpr + prev_tpr) / 2;
            prev_tpr = tpr;
            prev_fpr = fpr;
        }
    }
    free(tp);
    free(fp);
    return area;
}

double ecg_auprc(const double *scores, const uint8_t *labels, size_t n)
{
    size_t *tp, *fp, n_pos;
    size_t steps = roc_steps(scores, labels, n, &tp, &fp, &n_pos);
    double ap = NAN;
    if (steps > 0 && n_pos > 0) {
        double prev_recall = 0;
        ap = 0;
        for (size_t k = 0; k < steps; k++) {
            double recall = (double)tp[k] / (double)n_pos;
            ap += (recall - prev_recall) * (double)tp[k] / (double)(tp[k] + fp[k]);
            prev_recall = recall;
        }
    }
    free(tp);
    free(fp);
    return ap;
}

size_t ecg_roc_curve(const double *scores, const uint8_t *labels, size_t n, float *fpr, float *tpr)
{
    size_t *tp, *fp, n_pos;
    size_t steps = roc_steps(scores, labels, n, &tp, &fp, &n_pos);
    size_t n_neg = n - n_pos;
    fpr[0] = tpr[0] = 0;
    for (size_t k = 0; k < steps; k++) {
        fpr[k + 1] = n_neg ? (float)fp[k] / (float)n_neg : 0;
        tpr[k + 1] = n_pos ? (float)tp[k] / (float)n_pos : 0;
    }
    free(tp);
    free(fp);
    return steps + 1;
}

static double ratio(size_t a, size_t b)
{
    return b ? (double)a / (double)b : NAN;
}

EcgConfusion ecg_confusion(const double *scores, const uint8_t *labels, size_t n, double threshold)
{
    EcgConfusion c = {0};
    for (size_t i = 0; i < n; i++) {
        int flagged = scores[i] > threshold, anomalous = labels[i] != 0;
        c.tp += flagged && anomalous;
        c.fp += flagged && !anomalous;
        c.tn += !flagged && !anomalous;
        c.fn += !flagged && anomalous;
    }
    c.precision = ratio(c.tp, c.tp + c.fp);
    c.recall = ratio(c.tp, c.tp + c.fn);
    c.specificity = ratio(c.tn, c.tn + c.fp);
    c.f1 = ratio(2 * c.tp, 2 * c.tp + c.fp + c.fn);
    return c;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int ecg_percentile(const double *values, size_t n, double p, double *out, EcgError *err)
{
    if (n == 0)
        return ecg_fail(err, ECG_ERR_DATA, "percentile of no values");
    if (!(p >= 0 && p <= 100))
        return ecg_fail(err, ECG_ERR_ARG, "percentile %g outside 0..100", p);
    double *v = malloc(n * sizeof *v);
    if (!v)
        return ecg_fail(err, ECG_ERR_NOMEM, "out of memory for %zu values", n);
    memcpy(v, values, n * sizeof *v);
    qsort(v, n, sizeof *v, by_value);
    double rank = p / 100 * (double)(n - 1);
    size_t lo = (size_t)floor(rank), hi = lo + 1 < n ? lo + 1 : lo;
    *out = v[lo] + (rank - (double)lo) * (v[hi] - v[lo]);
    free(v);
    return ECG_OK;
}

double ecg_percentile_of(const double *values, size_t n, double t)
{
    size_t below = 0;
    for (size_t i = 0; i < n; i++)
        below += values[i] <= t;
    return n ? 100.0 * (double)below / (double)n : NAN;
}
