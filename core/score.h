/* score.h — a record through a model (DESIGN §5): the model's own preprocessing,
 * overlapping windows averaged back onto the record, deterministic inference
 * (z = mu), and point, lead and record scores. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "models/model.h"
#include "record.h"
#include "status.h"

/* Dataset statistics for ECG_NORM_DATASET (per standard lead, after filtering). */
typedef struct {
    float mean[12], std[12];
} EcgNormStats;

/* Window starts covering n samples: 0, stride, 2 stride, ... and a last window
 * aligned to the end when the stride does not reach it exactly. Windows are
 * min(window, n) long. Returns the count; starts (may be NULL) receives them. */
size_t ecg_window_starts(size_t n, size_t window, size_t stride, size_t *starts);

/* rec as the model sees it: the 12 standard leads in standard order, resampled to
 * cfg->fs, band-passed (and notched) as cfg says, normalised per record and lead
 * or with norm. Non-finite samples are set to 0 in out and marked in
 * missing (12, n) when missing is not NULL (malloc'ed, caller frees); used (may
 * be NULL) receives the mean and standard deviation each lead was normalised
 * with, so model units convert back: v = x * std + mean. Refused with the
 * record's id named: a standard lead missing, too short a record. */
int ecg_preprocess(const EcgModelConfig *cfg, const EcgNormStats *norm, const EcgRecord *rec, EcgRecord *out,
                   unsigned char **missing, EcgNormStats *used, EcgError *err);

/* Windows of a preprocessed record and back, shared by every scorer (the models
 * and the PCA reference of eval.h). */

/* The windows of pre (12, n) at starts (n_all of them, T long) without a
 * missing sample (missing (12, n) as ecg_preprocess marks it), gathered into
 * batch (n_all, T, 12) time-major as the models take them; valid (n_all)
 * receives their starts. Returns how many there are (W). */
size_t ecg_windows_gather(const EcgRecord *pre, const unsigned char *missing, const size_t *starts, size_t n_all,
                          size_t T, float *batch, size_t *valid);

/* count (n): how many of the W windows at starts, T long, cover each sample. */
void ecg_windows_count(const size_t *starts, size_t W, size_t T, size_t n, float *count);

/* values (W, T, 12) of the windows at starts averaged back onto the record:
 * out (12, n) is, at each sample, the mean over the count windows covering it
 * (count from ecg_windows_count), NaN where none does. */
void ecg_windows_average(const float *values, const size_t *starts, size_t W, size_t T, size_t n,
                         const float *count, float *out);

/* lead_score (12): point (12, n) averaged over the samples some window covers
 * (count > 0); returns the record score, the mean over leads and those samples. */
double ecg_record_score_of(const float *point, size_t n, const float *count, float lead_score[12]);

/* Normalise the 12 leads (12, n) in place, skipping missing (12, n) samples
 * (set to 0): per lead with norm's statistics, or with the lead's own mean and
 * standard deviation when norm is NULL. A flat lead is centred, not scaled.
 * used (may be NULL) receives the statistics applied. */
void ecg_normalise_leads(float *leads, const unsigned char *missing, size_t n, const EcgNormStats *norm,
                         EcgNormStats *used);

/* Model inputs and outputs of every window of a record (for `score --windows`
 * and the viewer's temporal attention); absent outputs are NULL. */
typedef struct {
    size_t n_windows, T;
    size_t *starts;      /* (n_windows) sample index of each window at the model's fs */
    float *x;            /* (W, T, 12) after preprocessing */
    float *x_mean;       /* (W, T, 12) */
    float *x_logvar;     /* (W, T, 12) */
    float *time_attn;    /* (W, T, T) */
    float *lead_attn;    /* (W, T, 12) */
} EcgWindows;

typedef struct {
    double fs;
    size_t n_samples;    /* at the model's fs */
    float *x;            /* (12, n) the model's input, lead-major */
    float *x_mean;       /* (12, n) reconstruction averaged over the windows covering each sample */
    float *x_sigma;      /* (12, n) predicted standard deviation, exp(x_logvar / 2) averaged; VAEs only */
    float *point;        /* (12, n) point score: squared error (mse) or Gaussian NLL (nll) */
    float *lead_attn;    /* (12, n) lead attention averaged over windows; MHA only.
                            x_mean, x_sigma, point, lead_attn: NaN where no valid window covers the sample */
    float lead_score[12];/* mean point score over time */
    double record_score; /* mean over leads and time */
    EcgNormStats units;  /* per lead: x = (band-passed signal - mean) / std, so x * std + mean is in
                            the record's units (mV) */
    size_t n_windows;    /* windows scored */
    size_t n_skipped;    /* windows skipped for non-finite samples */
    EcgWindows windows;  /* filled when asked for */
} EcgRecordScore;

/* The span over which point scores are smoothed before they are compared with
 * τ to highlight time spans (DESIGN §5). */
#define ECG_SPAN_SMOOTH_S 0.040

/* out (n_leads, n): each lead of point (n_leads, n) at fs averaged over a centred
 * window of seconds (at least one sample; NaN samples left out, NaN where the
 * whole window is). Smoothing is what turns single noisy samples into spans. */
void ecg_score_smooth(const float *point, size_t n_leads, size_t n, double fs, double seconds, float *out);

/* Score rec with m. keep_windows fills out->windows. A record whose every window
 * holds a non-finite sample is refused (ECG_ERR_DATA). */
int ecg_score_record(EcgModel *m, const EcgNormStats *norm, const EcgRecord *rec, bool keep_windows,
                     EcgRecordScore *out, EcgError *err);
void ecg_record_score_clear(EcgRecordScore *s);

/* The verdict line of a record at threshold tau, in buf (NUL-terminated,
 * truncated to size): "Anomalous: score 1.21 > τ 0.83 — leads V2, V3" naming
 * the leads whose score exceeds tau, or "Within normal limits: score 0.52 ≤
 * τ 0.83", followed by " — lead V2 above τ" when some lead still exceeds it. */
void ecg_verdict_format(char *buf, size_t size, double record_score, const float lead_score[12], double tau);
