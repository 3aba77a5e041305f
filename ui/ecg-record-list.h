/* ecg-record-list.h — the records of a dataset as a filterable, sortable table
 * (id, superclasses, age/sex, score bar, verdict at τ). */
#pragma once

#include <gtk/gtk.h>

#include "dataset.h"

G_BEGIN_DECLS

#define ECG_TYPE_RECORD_LIST (ecg_record_list_get_type ())

/* ecg_record_list_get_selected_index () when no record is selected. */
#define ECG_RECORD_LIST_NO_INDEX G_MAXSIZE

typedef enum {
  ECG_RECORD_LIST_SORT_SCORE,   /* highest score first, unscored last */
  ECG_RECORD_LIST_SORT_ID,      /* ascending ecg_id */
} EcgRecordListSort;

G_DECLARE_FINAL_TYPE (EcgRecordList, ecg_record_list, ECG, RECORD_LIST, GtkWidget)

GtkWidget *ecg_record_list_new                  (void);

/* Show the records of dataset (borrowed: call again with NULL before closing
 * it). Scores and selection are cleared; filters and sort are kept. */
void       ecg_record_list_set_dataset          (EcgRecordList     *self,
                                                 EcgDataset        *dataset);

/* Scores by dataset index, NaN for unscored: all n (the dataset's count) at
 * once, or the count records first .. first + count - 1 (record_score holds
 * just those) as they arrive. */
void       ecg_record_list_set_scores           (EcgRecordList     *self,
                                                 const double      *record_score,
                                                 gsize              n);
void       ecg_record_list_update_scores        (EcgRecordList     *self,
                                                 gsize              first,
                                                 const double      *record_score,
                                                 gsize              count);
void       ecg_record_list_clear_scores         (EcgRecordList     *self);

/* τ: a record is flagged when its score exceeds it. */
void       ecg_record_list_set_threshold        (EcgRecordList     *self,
                                                 double             tau);
double     ecg_record_list_get_threshold        (EcgRecordList     *self);
/* The score a full bar stands for: fixed per model, so bars compare across
 * records and filters. */
void       ecg_record_list_set_score_scale      (EcgRecordList     *self,
                                                 double             max);

/* Filters (also in the list's own bar): superclass one ECG_SC_* bit or 0 for
 * any, fold 1..10 or 0 for any, flagged only. */
void       ecg_record_list_set_superclass_filter (EcgRecordList    *self,
                                                  guint             superclass);
void       ecg_record_list_set_fold_filter      (EcgRecordList     *self,
                                                 int                fold);
void       ecg_record_list_set_flagged_only     (EcgRecordList     *self,
                                                 gboolean           flagged_only);
void       ecg_record_list_set_sort             (EcgRecordList     *self,
                                                 EcgRecordListSort  sort);

/* The dataset index of the selected record ("selected-index" notifies), or
 * ECG_RECORD_LIST_NO_INDEX. */
gsize      ecg_record_list_get_selected_index   (EcgRecordList     *self);
/* Select record index and scroll to it; FALSE (and nothing selected) when the
 * filters hide it. */
gboolean   ecg_record_list_select_index         (EcgRecordList     *self,
                                                 gsize              index);
/* Move the selection delta rows in the list's current order (from the first or
 * last row when nothing is selected); FALSE at either end. */
gboolean   ecg_record_list_step                 (EcgRecordList     *self,
                                                 int                delta);
/* Select the next (delta > 0) or previous flagged row; FALSE when there is none. */
gboolean   ecg_record_list_step_flagged         (EcgRecordList     *self,
                                                 int                delta);

/* The rows shown now, and the dataset index of the one at position. */
guint      ecg_record_list_get_n_visible        (EcgRecordList     *self);
gsize      ecg_record_list_get_visible_index    (EcgRecordList     *self,
                                                 guint              position);

G_END_DECLS
