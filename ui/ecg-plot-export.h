/* ecg-plot-export.h — from the core's results to a drawn page, shared by the
 * record view and `ecglens-cli render`: the model facts the overlays need,
 * the record and overlay arrays shown for a scored record, and a page written
 * to PNG, PDF or SVG. No GTK.
 *
 *   EcgPlotModelInfo model;
 *   EcgPlotScored shown;
 *   EcgPlotOverlay overlay;
 *   ecg_plot_model_info_from_checkpoint (&model, ecg_model_config (m), &checkpoint_info);
 *   ecg_plot_scored_init (&shown, &score, rec.id, &err);
 *   ecg_plot_scored_overlay (&shown, &model, model.threshold, &overlay);
 *   ecg_plot_export ("out.pdf", &shown.record, &overlay, ECG_PLOT_LAYOUT_3X4,
 *                    0, 10, &style, &err);
 *   ecg_plot_scored_clear (&shown);
 */
#pragma once

#include "checkpoint.h"
#include "ecg-plot.h"
#include "score.h"

/* Full colour of the lead-attention strip at weight × 12 = 1 ± this. Fixed for
 * every model: trained weights stay within about ±0.03 of 1/12 (DESIGN §4),
 * ±0.36 on this scale, so the usual range fills most of the colour ramp and
 * strips of different records and models compare. */
#define ECG_PLOT_ATTN_DEV_MAX 0.4

/* What the overlays need to know about a model. The error strip's scale is
 * fixed per model from its validation record scores v and τ:
 *   score_lo = min(0, min v)   (NLL scores can be negative; MSE starts at 0)
 *   score_hi = score_lo + 3 × (max(τ, max v) - score_lo)
 * so τ and every validation normal sit in the lowest third of the strip and
 * larger errors have room above before they clip at the top. Without
 * calibration: τ NaN and the range 0..1. attn_dev_max is ECG_PLOT_ATTN_DEV_MAX.
 * ck may be NULL. */
void ecg_plot_model_info_from_checkpoint (EcgPlotModelInfo        *info,
                               const EcgModelConfig    *cfg,
                               const EcgCheckpointInfo *ck);

/* A scored record as it is shown: the model's input converted back to mV
 * (x × std + mean: the band-passed signal the model saw) under the standard
 * lead names, and the model's outputs in the same units. Arrays are (12, n)
 * lead-major and owned; NULL when the model has no such output. */
typedef struct {
  EcgRecord record;
  float *recon;        /* x_mean in mV */
  float *sigma;        /* x_sigma × std, mV; VAEs */
  float *point;        /* point score */
  float *smooth;       /* point score smoothed over ECG_SPAN_SMOOTH_S */
  float *attn;         /* lead attention; MHA */
  float lead_score[ECG_N_STANDARD_LEADS];
  double record_score;
} EcgPlotScored;

/* Build out from score (unchanged) for a record called record_id. */
int  ecg_plot_scored_init    (EcgPlotScored        *out,
                              const EcgRecordScore *score,
                              const char           *record_id,
                              EcgError             *err);
/* Point ov at s's arrays (valid while s is) with model and threshold τ. */
void ecg_plot_scored_overlay (const EcgPlotScored    *s,
                              const EcgPlotModelInfo *model,
                              double                  threshold,
                              EcgPlotOverlay         *ov);
/* Free the arrays; s is left zeroed. */
void ecg_plot_scored_clear   (EcgPlotScored        *s);

/* The strips (ECG_PLOT_STRIP_*) an overlay fills: none without one. */
unsigned ecg_plot_overlay_strips (const EcgPlotOverlay *ov);

/* Write the page of rec (overlay may be NULL) in layout kind from t0, duration
 * seconds a row, to path: PNG, PDF or SVG by its extension. PNG uses style as
 * it is (its density, zoom and paper speed); PDF and SVG are at true paper
 * scale (ECG_PLOT_PT_PER_MM, zoom 1) with style's colours and paper speed.
 * Written to a temporary file and renamed over path: a failure leaves an
 * existing file as it was. Errors name the file. */
int ecg_plot_export (const char           *path,
                     const EcgRecord      *rec,
                     const EcgPlotOverlay *overlay,
                     EcgPlotLayoutKind     kind,
                     double                t0,
                     double                duration,
                     const EcgPlotStyle   *style,
                     EcgError             *err);
