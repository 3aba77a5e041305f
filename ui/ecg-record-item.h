/* ecg-record-item.h — one record of a dataset as a row of the record list: its
 * index, metadata and (once computed) its score. */
#pragma once

#include <glib-object.h>

#include "dataset.h"

G_BEGIN_DECLS

#define ECG_TYPE_RECORD_ITEM (ecg_record_item_get_type ())

G_DECLARE_FINAL_TYPE (EcgRecordItem, ecg_record_item, ECG, RECORD_ITEM, GObject)

/* Record index of a dataset with a copy of its metadata, unscored. */
EcgRecordItem       *ecg_record_item_new       (gsize                index,
                                                const EcgRecordMeta *meta);
gsize                ecg_record_item_get_index (EcgRecordItem       *self);
const EcgRecordMeta *ecg_record_item_get_meta  (EcgRecordItem       *self);
/* The record score; NaN while unscored (or when the record cannot be scored). */
double               ecg_record_item_get_score (EcgRecordItem       *self);
void                 ecg_record_item_set_score (EcgRecordItem       *self,
                                                double               score);

G_END_DECLS
