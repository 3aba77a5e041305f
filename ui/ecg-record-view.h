/* ecg-record-view.h — one ECG record on calibrated ECG paper, with a model's
 * reconstruction, error and attention overlays when it has been scored. */
#pragma once

#include <gtk/gtk.h>

#include "ecg-plot.h"
#include "record.h"
#include "score.h"

G_BEGIN_DECLS

#define ECG_TYPE_RECORD_VIEW (ecg_record_view_get_type ())

/* The smallest zoom the view shrinks the page to before it stops fitting the width. */
#define ECG_RECORD_VIEW_MIN_ZOOM 0.4
/* Longest span a row shows at time zoom 1 (25 mm/s); longer records pan. */
#define ECG_RECORD_VIEW_PAGE_SECONDS 10.0
/* Time zoom limits: the whole page at 1, a sixteenth of it (400 mm/s) at most. */
#define ECG_RECORD_VIEW_MAX_TIME_ZOOM 16.0

G_DECLARE_FINAL_TYPE (EcgRecordView, ecg_record_view, ECG, RECORD_VIEW, GtkWidget)

GtkWidget       *ecg_record_view_new           (void);
/* Show record without a model, taking over what it owns (record is left
 * cleared) and dropping any score; NULL shows nothing. */
void             ecg_record_view_take_record   (EcgRecordView *self,
                                                EcgRecord     *record);
/* Show score's record as the model saw it with its overlays, taking over
 * score's arrays (score is left cleared); model is copied. The record id is
 * the one of the record last given to take_record. Scored with keep_windows,
 * the temporal attention of MHA models can be shown. NULL drops the overlays
 * and shows the raw record again. */
void             ecg_record_view_take_score    (EcgRecordView          *self,
                                                EcgRecordScore         *score,
                                                const EcgPlotModelInfo *model);
/* The record drawn: the scored model input (mV) when there is a score. */
const EcgRecord *ecg_record_view_get_record    (EcgRecordView *self);
gboolean         ecg_record_view_has_score     (EcgRecordView *self);

/* τ for spans, error bars and flags: a redraw, nothing is recomputed. */
void             ecg_record_view_set_threshold (EcgRecordView *self,
                                                double         tau);
double           ecg_record_view_get_threshold (EcgRecordView *self);
void             ecg_record_view_set_layout    (EcgRecordView     *self,
                                                EcgPlotLayoutKind  layout);
EcgPlotLayoutKind ecg_record_view_get_layout   (EcgRecordView *self);

/* Zoom in time by factor around the middle of the view (wheel: around the
 * pointer); 0 shows the whole record again. The paper speed printed follows
 * (50 mm/s at ×2). */
void             ecg_record_view_zoom          (EcgRecordView *self,
                                                double         factor);
/* The effects of the view's gestures, for keyboard actions and tests: zoom by
 * factor keeping the time under x where it is; pan by dx pixels (a drag to the
 * right shows earlier times); the pointer at (x, y) for the crosshair (x < 0:
 * gone); a caliper from (x0, y0) to (x1, y1) (x0 < 0: none). */
void             ecg_record_view_zoom_at       (EcgRecordView *self,
                                                double         factor,
                                                double         x);
void             ecg_record_view_pan           (EcgRecordView *self,
                                                double         dx);
void             ecg_record_view_pointer_at    (EcgRecordView *self,
                                                double         x,
                                                double         y);
void             ecg_record_view_set_caliper   (EcgRecordView *self,
                                                double         x0,
                                                double         y0,
                                                double         x1,
                                                double         y1);
double           ecg_record_view_get_time_zoom (EcgRecordView *self);
/* First second shown on a row. */
double           ecg_record_view_get_t0        (EcgRecordView *self);
/* "1.234 s · 0.52 mV · V2", or "" when the pointer is off the traces. */
const char      *ecg_record_view_get_crosshair_text (EcgRecordView *self);
/* "Δt 812 ms · ΔmV 0.10 mV · 74 bpm", or "" without a caliper. */
const char      *ecg_record_view_get_caliper_text   (EcgRecordView *self);
/* Leads flagged (lead score > τ) among the panels drawn. */
guint            ecg_record_view_get_n_flagged (EcgRecordView *self);

/* Show the temporal attention matrix of the model window under x (MHA scored
 * with windows) in a window beside the page, or say there why there is none. */
void             ecg_record_view_show_time_attention (EcgRecordView *self,
                                                      double         x);

/* Device-independent pixels per millimetre of the monitor showing the view
 * (96 dpi when the monitor does not report a believable size). */
double           ecg_record_view_get_px_per_mm (EcgRecordView *self);
/* The zoom the page is drawn at: 1 (true size: 25 mm/s and 10 mm/mV under a
 * ruler) when the view is wide enough, else the fraction that fits its width,
 * never below ECG_RECORD_VIEW_MIN_ZOOM. The page prints the scale it shows. */
double           ecg_record_view_get_zoom      (EcgRecordView *self);
/* The style and layout of the page as drawn now, in the view's coordinates;
 * FALSE when no record is shown. */
gboolean         ecg_record_view_get_page      (EcgRecordView *self,
                                                EcgPlotStyle  *style,
                                                EcgPlotLayout *layout);
/* The current view (layout, time span, paper speed, gain, overlays, τ) to PNG,
 * PDF or SVG by the extension of path, on light paper at true size: PDF and
 * SVG in points, PNG at 300 dpi. */
gboolean         ecg_record_view_export        (EcgRecordView *self,
                                                const char    *path,
                                                GError       **error);

G_END_DECLS
