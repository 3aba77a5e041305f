/* ecg-record-view.h — one ECG record on calibrated ECG paper. */
#pragma once

#include <gtk/gtk.h>

#include "record.h"

G_BEGIN_DECLS

#define ECG_TYPE_RECORD_VIEW (ecg_record_view_get_type ())

G_DECLARE_FINAL_TYPE (EcgRecordView, ecg_record_view, ECG, RECORD_VIEW, GtkWidget)

GtkWidget *ecg_record_view_new           (void);
/* Show record, taking over what it owns (record is left cleared); NULL shows nothing. */
void       ecg_record_view_take_record   (EcgRecordView *self,
                                          EcgRecord     *record);
const EcgRecord *ecg_record_view_get_record (EcgRecordView *self);
/* Device-independent pixels per millimetre of the monitor showing the view
 * (96 dpi when the monitor does not report its size). */
double     ecg_record_view_get_px_per_mm (EcgRecordView *self);

G_END_DECLS
