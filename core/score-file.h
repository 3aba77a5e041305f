/* score-file.h — scores written by `ecglens-cli score` (and cached by the viewer):
 *
 *   /              attrs format = "ecglens-scores", version = 1, model (name), threshold
 *   /ecg_id        int32 [N]
 *   /record_score  float64 [N]
 *   /lead_score    float32 [N, 12]
 *
 * and the model inputs and outputs of one record's windows (`score --windows`):
 *
 *   /              attrs format = "ecglens-windows", version = 1, record, fs
 *   /windows/start int64 [W]; x, x_mean, x_logvar [W, T, 12]; time_attn [W, T, T];
 *                  lead_attn [W, T, 12] (what the model does not produce is absent)
 *
 * Both are written to a temporary file renamed over the target. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "score.h"
#include "status.h"

int ecg_scores_file_write(const char *path, const char *model_name, double threshold, const int32_t *ecg_id,
                          const double *record_score, const float *lead_score /* (n, 12) */, size_t n,
                          EcgError *err);

/* As ecg_scores_file_write, with identity (NULL: none) stored as the root
 * attribute "identity": a text that says what the scores were computed from
 * (the viewer's cache writes the dataset's and model's paths, sizes and
 * modification times), so a reader can tell whether they still apply. */
int ecg_scores_file_write_identity(const char *path, const char *identity, const char *model_name,
                                   double threshold, const int32_t *ecg_id, const double *record_score,
                                   const float *lead_score /* (n, 12) */, size_t n, EcgError *err);

/* A scores file in memory; the arrays are malloc'ed (NULL when n is 0). */
typedef struct {
    char model[256];
    char identity[2048];  /* "" when the file has none */
    double threshold;
    size_t n;
    int32_t *ecg_id;      /* (n) */
    double *record_score; /* (n) NaN: the record could not be scored */
    float *lead_score;    /* (n, 12) */
} EcgScoresFile;

/* Read a whole scores file into out (no initialisation needed; on failure out is
 * empty). Refused with the file named: not HDF5, truncated, another format or
 * version, a missing array, arrays of different lengths. */
int ecg_scores_file_read(const char *path, EcgScoresFile *out, EcgError *err);
void ecg_scores_file_clear(EcgScoresFile *f);

int ecg_windows_file_write(const char *path, const char *record_id, double fs, const EcgWindows *windows,
                           EcgError *err);
