/* ecg-record-rows.h — the rows of the record list: the records of a dataset
 * that pass the list's filters, in its sort order, with the one selected.
 * A GListModel of EcgRecordItem and a single-selection GtkSelectionModel. */
#pragma once

#include <gtk/gtk.h>

#include "dataset.h"
#include "ecg-record-list.h"

G_BEGIN_DECLS

#define ECG_TYPE_RECORD_ROWS (ecg_record_rows_get_type ())

G_DECLARE_FINAL_TYPE (EcgRecordRows, ecg_record_rows, ECG, RECORD_ROWS, GObject)

/* Which records are rows, and in what order. */
typedef struct
{
  guint             superclass;    /* ECG_SC_* bits, any of them; 0 for any */
  int               fold;          /* 1..10, 0 for any */
  gboolean          flagged_only;  /* score > threshold */
  double            threshold;
  EcgRecordListSort sort;
} EcgRecordRowsQuery;

EcgRecordRows *ecg_record_rows_new                    (void);

/* The records of dataset (borrowed: call again with NULL before closing it),
 * unscored, none selected. */
void           ecg_record_rows_set_dataset            (EcgRecordRows            *self,
                                                       EcgDataset               *dataset);
gsize          ecg_record_rows_get_n_records          (EcgRecordRows            *self);

/* Scores of records first .. first + count - 1 (NULL: unscored). The rows
 * show them at once but keep their order until ecg_record_rows_update (). */
void           ecg_record_rows_set_scores             (EcgRecordRows            *self,
                                                       gsize                     first,
                                                       const double             *scores,
                                                       gsize                     count);
/* Every record's score by dataset index, NaN while unscored. */
const double  *ecg_record_rows_get_scores             (EcgRecordRows            *self);

/* Filter and sort by query now. */
void           ecg_record_rows_set_query              (EcgRecordRows            *self,
                                                       const EcgRecordRowsQuery *query);
/* Filter and sort again by the scores as they are now. */
void           ecg_record_rows_update                 (EcgRecordRows            *self);

/* The rows that pass the filters. The view is told of them in steps after a
 * short list grows long; tell_all tells it of every one now. */
guint          ecg_record_rows_get_n_rows             (EcgRecordRows            *self);
void           ecg_record_rows_tell_all               (EcgRecordRows            *self);

/* The dataset index of the record at position, or ECG_RECORD_LIST_NO_INDEX. */
gsize          ecg_record_rows_get_index              (EcgRecordRows            *self,
                                                       guint                     position);

/* The selected record ("selected" notifies), ECG_RECORD_LIST_NO_INDEX for
 * none, and its position. A record the filters hide is unselected. */
gsize          ecg_record_rows_get_selected           (EcgRecordRows            *self);
guint          ecg_record_rows_get_selected_position  (EcgRecordRows            *self);
/* Select record index; FALSE (and none selected) when it is not a row. */
gboolean       ecg_record_rows_select_index           (EcgRecordRows            *self,
                                                       gsize                     index);

G_END_DECLS
