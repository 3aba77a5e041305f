#include "score.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsp.h"

enum { N_LEADS = ECG_N_STANDARD_LEADS };

/* A lead whose standard deviation is below this is flat: it is centred, not scaled. */
#define FLAT_STD 1e-6f

size_t ecg_window_starts(size_t n, size_t window, size_t stride, size_t *starts)
{
    if (n == 0 || window == 0 || stride == 0)
        return 0;
    size_t T = window < n ? window : n, count = 0, s = 0;
    for (; s + T <= n; s += stride)
        if (starts)
            starts[count++] = s;
        else
            count++;
    if ((count - 1) * stride + T < n) { /* the end is not covered yet */
        if (starts)
            starts[count] = n - T;
        count++;
    }
    return count;
}

/* Resampling moves samples: a sample at the new rate is missing when any source
 * sample within one source step of it was. */
static void resample_mask(const unsigned char *in, size_t n_in, unsigned char *out, size_t n_out)
{
    for (size_t j = 0; j < n_out; j++) {
        double pos = (double)j * (double)n_in / (double)n_out;
        size_t lo = pos >= 1 ? (size_t)pos - 1 : 0, hi = (size_t)pos + 1;
        out[j] = 0;
        for (size_t i = lo; i <= hi && i < n_in; i++)
            out[j] |= in[i];
    }
}

void ecg_normalise_leads(float *leads, const unsigned char *missing, size_t n, const EcgNormStats *norm,
                         EcgNormStats *used)
{
    for (size_t l = 0; l < N_LEADS; l++) {
        float *x = leads + l * n; // (n)
        const unsigned char *miss = missing + l * n;
        float mean = 0, std = 1;
        if (norm) {
            mean = norm->mean[l];
            std = norm->std[l] > FLAT_STD ? norm->std[l] : 1;
        } else {
            double sum = 0, sum2 = 0;
            size_t count = 0;
            for (size_t t = 0; t < n; t++)
                if (!miss[t]) {
                    sum += x[t];
                    count++;
                }
            double m = count ? sum / (double)count : 0;
            for (size_t t = 0; t < n; t++)
                if (!miss[t])
                    sum2 += (x[t] - m) * (x[t] - m);
            double s = count ? sqrt(sum2 / (double)count) : 0;
            mean = (float)m;
            std = s > FLAT_STD ? (float)s : 1;
        }
        for (size_t t = 0; t < n; t++)
            x[t] = miss[t] ? 0 : (x[t] - mean) / std;
        if (used)
            used->mean[l] = mean, used->std[l] = std;
    }
}

int ecg_preprocess(const EcgModelConfig *cfg, const EcgNormStats *norm, const EcgRecord *rec, EcgRecord *out,
                   unsigned char **missing_out, EcgNormStats *used, EcgError *err)
{
    memset(out, 0, sizeof *out);
    if (missing_out)
        *missing_out = NULL;
    int src[N_LEADS];
    for (size_t l = 0; l < N_LEADS; l++)
        if ((src[l] = ecg_record_find_lead(rec, ecg_standard_leads[l])) < 0)
            return ecg_fail(err, ECG_ERR_DATA, "%s: no lead %s; the model needs the 12 standard leads", rec->id,
                            ecg_standard_leads[l]);
    int status = ecg_record_init(out, N_LEADS, rec->n_samples, rec->fs, err);
    if (status != ECG_OK)
        return status;
    snprintf(out->id, sizeof out->id, "%s", rec->id);
    unsigned char *missing = calloc(N_LEADS * rec->n_samples, 1);
    if (!missing) {
        status = ecg_fail(err, ECG_ERR_NOMEM, "%s: out of memory", rec->id);
        goto fail;
    }
    for (size_t l = 0; l < N_LEADS; l++) {
        const float *x = ecg_record_lead(rec, (size_t)src[l]); // (n)
        float *y = ecg_record_lead(out, l);
        ecg_record_set_lead_name(out, l, ecg_standard_leads[l]);
        snprintf(out->leads[l].units, sizeof out->leads[l].units, "%s", rec->leads[src[l]].units);
        for (size_t t = 0; t < rec->n_samples; t++) {
            missing[l * rec->n_samples + t] = !isfinite(x[t]);
            y[t] = isfinite(x[t]) ? x[t] : 0;
        }
    }
    if (fabs(rec->fs - cfg->fs) > 1e-9 * cfg->fs) {
        size_t n_in = out->n_samples;
        if ((status = ecg_record_resample(out, cfg->fs, err)) != ECG_OK)
            goto fail;
        unsigned char *resampled = malloc(N_LEADS * out->n_samples);
        if (!resampled) {
            status = ecg_fail(err, ECG_ERR_NOMEM, "%s: out of memory", rec->id);
            goto fail;
        }
        for (size_t l = 0; l < N_LEADS; l++)
            resample_mask(missing + l * n_in, n_in, resampled + l * out->n_samples, out->n_samples);
        free(missing);
        missing = resampled;
    }
    if ((cfg->band_low > 0 || cfg->band_high < cfg->fs / 2 || cfg->notch > 0) &&
        (status = ecg_record_bandpass(out, cfg->band_low, cfg->band_high, cfg->notch, err)) != ECG_OK)
        goto fail;
    ecg_normalise_leads(out->samples, missing, out->n_samples, cfg->normalization == ECG_NORM_DATASET ? norm : NULL,
                        used);
    if (missing_out)
        *missing_out = missing;
    else
        free(missing);
    return ECG_OK;
fail:
    free(missing);
    ecg_record_clear(out);
    return status;
}

size_t ecg_windows_gather(const EcgRecord *pre, const unsigned char *missing, const size_t *starts, size_t n_all,
                          size_t T, float *batch, size_t *valid)
{
    size_t n = pre->n_samples, W = 0;
    for (size_t w = 0; w < n_all; w++) {
        int bad = 0;
        for (size_t l = 0; l < N_LEADS && !bad; l++)
            bad = memchr(missing + l * n + starts[w], 1, T) != NULL;
        if (bad)
            continue;
        float *xb = batch + W * T * N_LEADS; // (T, 12)
        for (size_t t = 0; t < T; t++)
            for (size_t l = 0; l < N_LEADS; l++)
                xb[t * N_LEADS + l] = pre->samples[l * n + starts[w] + t];
        valid[W++] = starts[w];
    }
    return W;
}

void ecg_windows_count(const size_t *starts, size_t W, size_t T, size_t n, float *count)
{
    memset(count, 0, n * sizeof *count);
    for (size_t w = 0; w < W; w++)
        for (size_t t = 0; t < T; t++)
            count[starts[w] + t] += 1;
}

void ecg_windows_average(const float *values, const size_t *starts, size_t W, size_t T, size_t n,
                         const float *count, float *out)
{
    memset(out, 0, N_LEADS * n * sizeof *out);
    for (size_t w = 0; w < W; w++)
        for (size_t t = 0; t < T; t++)
            for (size_t l = 0; l < N_LEADS; l++)
                out[l * n + starts[w] + t] += values[(w * T + t) * N_LEADS + l];
    for (size_t l = 0; l < N_LEADS; l++)
        for (size_t s = 0; s < n; s++)
            out[l * n + s] = count[s] > 0 ? out[l * n + s] / count[s] : NAN;
}

double ecg_record_score_of(const float *point, size_t n, const float *count, float lead_score[12])
{
    double total = 0;
    size_t covered = 0;
    for (size_t s = 0; s < n; s++)
        covered += count[s] > 0;
    for (size_t l = 0; l < N_LEADS; l++) {
        double lead_sum = 0;
        for (size_t s = 0; s < n; s++)
            if (count[s] > 0)
                lead_sum += point[l * n + s];
        lead_score[l] = (float)(lead_sum / (double)covered);
        total += lead_sum;
    }
    return total / (double)(covered * N_LEADS);
}

void ecg_score_smooth(const float *point, size_t n_leads, size_t n, double fs, double seconds, float *out)
{
    size_t half = (size_t)(seconds * fs / 2); /* samples on each side */
    for (size_t l = 0; l < n_leads; l++) {
        const float *p = point + l * n;
        float *o = out + l * n;
        double sum = 0;
        size_t count = 0;
        /* running sum over [t - half, t + half] */
        for (size_t t = 0; t < half && t < n; t++)
            if (isfinite(p[t]))
                sum += p[t], count++;
        for (size_t t = 0; t < n; t++) {
            if (t + half < n && isfinite(p[t + half]))
                sum += p[t + half], count++;
            if (t > half && isfinite(p[t - half - 1]))
                sum -= p[t - half - 1], count--;
            o[t] = count ? (float)(sum / (double)count) : NAN;
        }
    }
}

void ecg_verdict_format(char *buf, size_t size, double record_score, const float lead_score[12], double tau)
{
    char leads[96] = "";
    size_t n_above = 0, used = 0;
    for (size_t l = 0; l < N_LEADS; l++)
        if (lead_score[l] > tau) {
            int k = snprintf(leads + used, sizeof leads - used, "%s%s", n_above ? ", " : "", ecg_standard_leads[l]);
            used += k > 0 && (size_t)k < sizeof leads - used ? (size_t)k : 0;
            n_above++;
        }
    if (record_score > tau)
        snprintf(buf, size, "Anomalous: score %.3g > \u03c4 %.3g%s%s%s", record_score, tau,
                 n_above ? " \u2014 lead" : "", n_above > 1 ? "s " : n_above ? " " : "", leads);
    else
        snprintf(buf, size, "Within normal limits: score %.3g \u2264 \u03c4 %.3g%s%s%s%s", record_score, tau,
                 n_above ? " \u2014 lead" : "", n_above > 1 ? "s " : n_above ? " " : "", leads,
                 n_above ? " above \u03c4" : "");
}

void ecg_record_score_clear(EcgRecordScore *s)
{
    free(s->x);
    free(s->x_mean);
    free(s->x_sigma);
    free(s->point);
    free(s->lead_attn);
    free(s->windows.starts);
    free(s->windows.x);
    free(s->windows.x_mean);
    free(s->windows.x_logvar);
    free(s->windows.time_attn);
    free(s->windows.lead_attn);
    memset(s, 0, sizeof *s);
}

/* A copy of n floats, or NULL for NULL. Sets *failed when out of memory. */
static float *copy_floats(const float *src, size_t n, int *failed)
{
    if (!src)
        return NULL;
    float *dst = malloc(n * sizeof *dst);
    if (!dst)
        *failed = 1;
    else
        memcpy(dst, src, n * sizeof *dst);
    return dst;
}

static int keep_windows(EcgWindows *w, const size_t *starts, size_t n_windows, size_t T, const float *x,
                        const EcgModelOutputs *o)
{
    int failed = 0;
    size_t n = n_windows * T * N_LEADS;
    w->n_windows = n_windows;
    w->T = T;
    w->starts = malloc(n_windows * sizeof *w->starts);
    if (w->starts)
        memcpy(w->starts, starts, n_windows * sizeof *starts);
    w->x = copy_floats(x, n, &failed);
    w->x_mean = copy_floats(o->x_mean, n, &failed);
    w->x_logvar = copy_floats(o->x_logvar, n, &failed);
    w->time_attn = copy_floats(o->time_attn, n_windows * T * T, &failed);
    w->lead_attn = copy_floats(o->lead_attn, n, &failed);
    return failed || !w->starts ? ECG_ERR_NOMEM : ECG_OK;
}

int ecg_score_record(EcgModel *m, const EcgNormStats *norm, const EcgRecord *rec, bool keep, EcgRecordScore *out,
                     EcgError *err)
{
    memset(out, 0, sizeof *out);
    const EcgModelConfig *cfg = ecg_model_config(m);
    const EcgModelKindInfo *info = ecg_model_kind_info(cfg->kind);
    EcgRecord pre;
    unsigned char *missing = NULL;
    size_t *starts = NULL, *valid = NULL;
    float *batch = NULL, *count = NULL, *per_window = NULL;
    int status = ecg_preprocess(cfg, norm, rec, &pre, &missing, &out->units, err);
    if (status != ECG_OK)
        return status;

    size_t n = pre.n_samples, T = cfg->window < n ? cfg->window : n;
    size_t n_all = ecg_window_starts(n, cfg->window, cfg->stride, NULL);
    starts = malloc(n_all * sizeof *starts);
    valid = malloc(n_all * sizeof *valid);
    batch = malloc(n_all * T * N_LEADS * sizeof *batch);
    count = malloc(n * sizeof *count);
    /* point scores and, for VAEs, sigmas of each window: (n_all, T, 12) each */
    per_window = malloc((info->variational ? 2 : 1) * n_all * T * N_LEADS * sizeof *per_window);
    out->x = malloc(N_LEADS * n * sizeof *out->x);
    out->x_mean = malloc(N_LEADS * n * sizeof *out->x_mean);
    out->point = malloc(N_LEADS * n * sizeof *out->point);
    out->x_sigma = info->variational ? malloc(N_LEADS * n * sizeof *out->x_sigma) : NULL;
    out->lead_attn = info->lead_attention ? malloc(N_LEADS * n * sizeof *out->lead_attn) : NULL;
    if (!starts || !valid || !batch || !count || !per_window || !out->x || !out->x_mean || !out->point ||
        (info->variational && !out->x_sigma) || (info->lead_attention && !out->lead_attn)) {
        status = ecg_fail(err, ECG_ERR_NOMEM, "%s: out of memory", rec->id);
        goto done;
    }
    ecg_window_starts(n, cfg->window, cfg->stride, starts);
    memcpy(out->x, pre.samples, N_LEADS * n * sizeof *out->x);
    out->fs = pre.fs;
    out->n_samples = n;

    /* the windows without a missing sample, as a (W, T, 12) batch */
    size_t W = ecg_windows_gather(&pre, missing, starts, n_all, T, batch, valid);
    out->n_skipped = n_all - W;
    if (W == 0) {
        status = ecg_fail(err, ECG_ERR_DATA, "%s: every window holds missing or non-finite samples", rec->id);
        goto done;
    }
    EcgModelOutputs o;
    if ((status = ecg_model_forward(m, batch, NULL, W, T, &o, err)) != ECG_OK)
        goto done;
    out->n_windows = W;

    /* each window's point scores (and sigmas), then everything averaged onto the samples */
    const double half_log_2pi = 0.5 * log(2 * M_PI);
    size_t size = W * T * N_LEADS;
    float *point = per_window, *sigma = per_window + size; // (W, T, 12) each
    for (size_t k = 0; k < size; k++) {
        float diff = batch[k] - o.x_mean[k];
        if (cfg->score == ECG_SCORE_NLL && o.x_logvar)
            point[k] = (float)(half_log_2pi + 0.5 * o.x_logvar[k] + 0.5 * diff * diff * exp(-o.x_logvar[k]));
        else
            point[k] = diff * diff;
        if (out->x_sigma)
            sigma[k] = expf(0.5f * o.x_logvar[k]);
    }
    ecg_windows_count(valid, W, T, n, count);
    ecg_windows_average(o.x_mean, valid, W, T, n, count, out->x_mean);
    ecg_windows_average(point, valid, W, T, n, count, out->point);
    if (out->x_sigma)
        ecg_windows_average(sigma, valid, W, T, n, count, out->x_sigma);
    if (out->lead_attn)
        ecg_windows_average(o.lead_attn, valid, W, T, n, count, out->lead_attn);
    out->record_score = ecg_record_score_of(out->point, n, count, out->lead_score);
    if (keep && keep_windows(&out->windows, valid, W, T, batch, &o) != ECG_OK)
        status = ecg_fail(err, ECG_ERR_NOMEM, "%s: out of memory", rec->id);
done:
    free(starts);
    free(valid);
    free(batch);
    free(count);
    free(per_window);
    free(missing);
    ecg_record_clear(&pre);
    if (status != ECG_OK)
        ecg_record_score_clear(out);
    return status;
}
