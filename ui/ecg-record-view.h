/* ecg-record-view.h — one ECG record on calibrated ECG paper. */
#pragma once

#include <gtk/gtk.h>

#include "ecg-plot.h"
#include "record.h"

G_BEGIN_DECLS

#define ECG_TYPE_RECORD_VIEW (ecg_record_view_get_type ())

/* The smallest zoom the view shrinks the page to before it stops fitting the width. */
#define ECG_RECORD_VIEW_MIN_ZOOM 0.4

G_DECLARE_FINAL_TYPE (EcgRecordView, ecg_record_view, ECG, RECORD_VIEW, GtkWidget)

GtkWidget       *ecg_record_view_new           (void);
/* Show record, taking over what it owns (record is left cleared); NULL shows nothing. */
void             ecg_record_view_take_record   (EcgRecordView *self,
                                                EcgRecord     *record);
const EcgRecord *ecg_record_view_get_record    (EcgRecordView *self);
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

G_END_DECLS
