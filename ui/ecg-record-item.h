/* ecg-record-item.h — one row of the record list: the record it shows now
 * (index, metadata and, once computed, score), which changes as the rows are
 * filtered and re-sorted. */
#pragma once

#include <glib-object.h>

#include "dataset.h"

G_BEGIN_DECLS

#define ECG_TYPE_RECORD_ITEM (ecg_record_item_get_type ())

G_DECLARE_FINAL_TYPE (EcgRecordItem, ecg_record_item, ECG, RECORD_ITEM, GObject)

/* Row position showing record index of a dataset (its metadata copied) with
 * score, NaN while unscored. */
EcgRecordItem       *ecg_record_item_new          (guint                position,
                                                   gsize                index,
                                                   const EcgRecordMeta *meta,
                                                   double               score);
guint                ecg_record_item_get_position (EcgRecordItem       *self);
/* Show another record: "index" and "score" notify when they change. */
void                 ecg_record_item_set_record   (EcgRecordItem       *self,
                                                   gsize                index,
                                                   const EcgRecordMeta *meta,
                                                   double               score);
gsize                ecg_record_item_get_index    (EcgRecordItem       *self);
const EcgRecordMeta *ecg_record_item_get_meta     (EcgRecordItem       *self);
/* The record score; NaN while unscored (or when the record cannot be scored). */
double               ecg_record_item_get_score    (EcgRecordItem       *self);
void                 ecg_record_item_set_score    (EcgRecordItem       *self,
                                                   double               score);

G_END_DECLS
