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

int ecg_windows_file_write(const char *path, const char *record_id, double fs, const EcgWindows *windows,
                           EcgError *err);
