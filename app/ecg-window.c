/* ecg-window.c — the main window: the record list of what is open, the selected
 * record on ECG paper through the chosen model, the threshold slider and the
 * verdict line; opening, importing and exporting; a banner that says what went
 * wrong instead of closing. Long work (scoring a dataset, importing PTB-XL)
 * runs in worker threads and reports back here. */
#include "ecg-window.h"

#include <errno.h>
#include <math.h>

#include "ecg-core-error.h"
#include "ecg-model-entry.h"
#include "ecg-plot-export.h"
#include "ecg-record-list.h"
#include "ecg-record-view.h"
#include "ecg-score-job.h"
#include "npy.h"
#include "ptbxl.h"
#include "score.h"
#include "wfdb.h"

/* Layouts in the order of the layout selector and of the l key. */
static const EcgPlotLayoutKind layouts[] = { ECG_PLOT_LAYOUT_12X1, ECG_PLOT_LAYOUT_6X2, ECG_PLOT_LAYOUT_3X4 };

struct _EcgWindow
{
  GtkApplicationWindow parent_instance;

  /* Template widgets */
  GtkLabel       *subtitle;
  GtkRevealer    *banner;
  GtkLabel       *banner_label;
  GtkRevealer    *task_bar;
  GtkLabel       *task_label;
  GtkProgressBar *task_progress;
  EcgRecordList  *record_list;
  EcgRecordView  *record_view;
  GtkDropDown    *model_dropdown;
  GtkDropDown    *layout_dropdown;
  GtkScale       *threshold_scale;
  GtkAdjustment  *threshold;      /* slider position 0..1, see slider_to_score */
  GtkLabel       *threshold_label;
  GtkLabel       *verdict;

  /* What is open: a dataset, or one record read from a WFDB or .npy file. */
  EcgDataset *dataset;
  EcgRecord   single;
  char       *basename;
  gsize       record_index;
  EcgRecord   record;         /* the record shown, as read */
  gboolean    has_record;

  /* The model selector's entries and the chosen model (NULL: none). */
  GListStore       *models;
  EcgModelEntry    *model;
  guint             model_position;
  EcgPlotModelInfo  model_info;
  /* the shown record's scores, for the verdict at any τ */
  gboolean          has_scores;
  double            record_score;
  float             lead_score[12];
  /* the highest score seen (records of the dataset, leads of the record shown) */
  double            score_top;

  /* Background work: one at a time, shown in the task bar. */
  EcgScoreJob  *score_job;
  GCancellable *import_cancellable;
};

G_DEFINE_FINAL_TYPE (EcgWindow, ecg_window, GTK_TYPE_APPLICATION_WINDOW)

/* ---- banner ---- */

void
ecg_window_show_error (EcgWindow  *self,
                       const char *message)
{
  g_return_if_fail (ECG_IS_WINDOW (self));

  gtk_label_set_text (self->banner_label, message);
  gtk_revealer_set_reveal_child (self->banner, message != NULL);
}

const char *
ecg_window_get_error (EcgWindow *self)
{
  g_return_val_if_fail (ECG_IS_WINDOW (self), NULL);

  return gtk_revealer_get_reveal_child (self->banner) ? gtk_label_get_text (self->banner_label) : NULL;
}

static void
show_gerror (EcgWindow    *self,
             const GError *error)
{
  ecg_window_show_error (self, error->message);
}

/* ---- what is open ---- */

static gsize
record_count (EcgWindow *self)
{
  if (self->dataset != NULL)
    return ecg_dataset_count (self->dataset);
  return self->single.n_leads > 0 ? 1 : 0;
}

gsize
ecg_window_get_record_index (EcgWindow *self)
{
  g_return_val_if_fail (ECG_IS_WINDOW (self), 0);

  return self->record_index;
}

static void
update_actions (EcgWindow *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  gboolean list = self->dataset != NULL;
  gboolean scored = self->model != NULL;

  gtk_widget_action_set_enabled (widget, "win.previous-record", list);
  gtk_widget_action_set_enabled (widget, "win.next-record", list);
  gtk_widget_action_set_enabled (widget, "win.next-flagged", list && scored);
  gtk_widget_action_set_enabled (widget, "win.export", self->has_record);
  gtk_widget_action_set_enabled (widget, "win.reset-threshold", scored);
  gtk_widget_action_set_enabled (widget, "win.raise-threshold", scored);
  gtk_widget_action_set_enabled (widget, "win.lower-threshold", scored);
  gtk_widget_action_set_enabled (widget, "win.cancel-task", ecg_window_is_busy (self));
}

/* ---- threshold and verdict ---- */

/* The slider in two parts: its first SLIDER_KNEE spans the model's own scale
 * (score_lo .. score_hi, fixed from its validation scores, where τ and most
 * normal records lie), the rest reaches on to the highest score seen, so
 * that any record can be put under τ without losing resolution near τ. */
#define SLIDER_KNEE 0.75

static double
slider_to_score (EcgWindow *self,
                 double     u)
{
  double lo = self->model_info.score_lo, hi = self->model_info.score_hi, top = MAX (self->score_top, hi);

  if (u <= SLIDER_KNEE)
    return lo + u / SLIDER_KNEE * (hi - lo);
  return hi + (u - SLIDER_KNEE) / (1 - SLIDER_KNEE) * (top - hi);
}

static double
score_to_slider (EcgWindow *self,
                 double     score)
{
  double lo = self->model_info.score_lo, hi = self->model_info.score_hi, top = MAX (self->score_top, hi);

  if (score <= hi || top <= hi)
    return CLAMP ((score - lo) / (hi - lo) * SLIDER_KNEE, 0.0, SLIDER_KNEE);
  return MIN (SLIDER_KNEE + (score - hi) / (top - hi) * (1 - SLIDER_KNEE), 1.0);
}

double
ecg_window_get_threshold (EcgWindow *self)
{
  g_return_val_if_fail (ECG_IS_WINDOW (self), NAN);

  return slider_to_score (self, gtk_adjustment_get_value (self->threshold));
}

void
ecg_window_set_threshold (EcgWindow *self,
                          double     tau)
{
  g_return_if_fail (ECG_IS_WINDOW (self));

  gtk_adjustment_set_value (self->threshold, score_to_slider (self, tau));
}

const char *
ecg_window_get_verdict (EcgWindow *self)
{
  g_return_val_if_fail (ECG_IS_WINDOW (self), NULL);

  return gtk_label_get_text (self->verdict);
}

/* Percentage of the normal validation records scoring at most tau. */
static double
validation_percentile (EcgWindow *self,
                       double     tau)
{
  const EcgCheckpointInfo *info = self->model ? ecg_model_entry_get_info (self->model) : NULL;
  gsize below = 0;

  if (info == NULL || info->n_val_scores == 0)
    return NAN;
  for (gsize i = 0; i < info->n_val_scores; i++)
    below += info->val_scores[i] <= tau;
  return 100.0 * below / info->n_val_scores;
}

static void
update_verdict (EcgWindow *self)
{
  double tau = ecg_window_get_threshold (self);
  char text[256];

  gtk_widget_remove_css_class (GTK_WIDGET (self->verdict), "anomalous");
  if (self->model == NULL)
    {
      gtk_label_set_text (self->verdict, "");
      return;
    }
  if (!self->has_scores)
    return; /* the reason is already there */
  ecg_verdict_format (text, sizeof text, self->record_score, self->lead_score, tau);
  gtk_label_set_text (self->verdict, text);
  if (self->record_score > tau)
    gtk_widget_add_css_class (GTK_WIDGET (self->verdict), "anomalous");
}

static void
threshold_changed (EcgWindow *self)
{
  double tau = ecg_window_get_threshold (self);
  double pct = validation_percentile (self, tau);
  g_autofree char *text = NULL;

  if (self->model == NULL)
    return;
  text = isfinite (pct) ? g_strdup_printf ("\u03c4 %.4g \u00b7 %.1f%% of normal validation records below",
                                           tau, pct)
                        : g_strdup_printf ("\u03c4 %.4g", tau);
  gtk_label_set_text (self->threshold_label, text);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->threshold_label), text);
  /* re-thresholding only redraws: the scores stay as they are */
  ecg_record_view_set_threshold (self->record_view, tau);
  ecg_record_list_set_threshold (self->record_list, tau);
  update_verdict (self);
}

/* A score seen: the slider's far end reaches past it, τ staying where it is. */
static void
extend_threshold_range (EcgWindow *self,
                        double     score)
{
  double tau;

  if (!isfinite (score) || score <= self->score_top)
    return;
  tau = ecg_window_get_threshold (self);
  self->score_top = score + 0.05 * (score - self->model_info.score_lo);
  ecg_window_set_threshold (self, tau);
}

/* The slider's calibrated mark and the model's scale for the chosen model. */
static void
setup_threshold (EcgWindow *self)
{
  const EcgPlotModelInfo *info = &self->model_info;
  g_autofree char *mark = NULL;

  gtk_scale_clear_marks (self->threshold_scale);
  gtk_widget_set_sensitive (GTK_WIDGET (self->threshold_scale), self->model != NULL);
  if (self->model == NULL)
    {
      gtk_label_set_text (self->threshold_label, "no model: nothing is scored");
      return;
    }
  self->score_top = info->score_hi;
  mark = g_strdup_printf ("calibrated (%g%%)", info->percentile);
  gtk_adjustment_configure (self->threshold, score_to_slider (self, info->threshold), 0, 1, 1.0 / 200, 1.0 / 20, 0);
  gtk_scale_add_mark (self->threshold_scale, score_to_slider (self, info->threshold), GTK_POS_BOTTOM, mark);
  threshold_changed (self);
}

/* ---- the record shown ---- */

/* Show self->record through the chosen model, or alone. */
static void
update_record_view (EcgWindow *self)
{
  g_auto(EcgRecord) copy = { 0 };
  EcgRecordScore score;
  EcgError err = { 0 };
  gboolean standard12 = self->has_record && ecg_record_has_standard12 (&self->record);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->models));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(EcgModelEntry) entry = g_list_model_get_item (G_LIST_MODEL (self->models), i);

      ecg_model_entry_set_record_leads (entry, standard12);
    }
  self->has_scores = FALSE;
  gtk_widget_remove_css_class (GTK_WIDGET (self->verdict), "anomalous");
  if (!self->has_record)
    {
      ecg_record_view_take_record (self->record_view, NULL);
      update_verdict (self);
      return;
    }
  if (ecg_record_copy (&self->record, &copy, &err) != ECG_OK)
    {
      ecg_window_show_error (self, err.message);
      return;
    }
  ecg_record_view_take_record (self->record_view, &copy);
  if (self->model == NULL)
    {
      update_verdict (self);
      return;
    }
  if (!standard12)
    {
      g_autofree char *text = g_strdup_printf ("%s needs the 12 standard leads; this record has %zu lead%s",
                                               ecg_model_entry_get_title (self->model), self->record.n_leads,
                                               self->record.n_leads == 1 ? "" : "s");

      gtk_label_set_text (self->verdict, text);
      return;
    }
  {
    EcgModel *model = ecg_model_entry_get_model (self->model);
    const EcgCheckpointInfo *info = ecg_model_entry_get_info (self->model);
    const EcgModelKindInfo *kind = ecg_model_kind_info (ecg_model_config (model)->kind);

    if (ecg_score_record (model, info->has_norm ? &info->norm : NULL, &self->record, kind->time_attention,
                          &score, &err) != ECG_OK)
      {
        g_autofree char *text = g_strdup_printf ("Not scored: %s", err.message);

        gtk_label_set_text (self->verdict, text);
        return;
      }
  }
  self->has_scores = TRUE;
  self->record_score = score.record_score;
  extend_threshold_range (self, score.record_score);
  for (size_t i = 0; i < G_N_ELEMENTS (score.lead_score); i++)
    extend_threshold_range (self, score.lead_score[i]);
  memcpy (self->lead_score, score.lead_score, sizeof self->lead_score);
  ecg_record_view_take_score (self->record_view, &score, &self->model_info);
  ecg_record_view_set_threshold (self->record_view, ecg_window_get_threshold (self));
  update_verdict (self);
}

static void
update_subtitle (EcgWindow *self)
{
  g_autofree char *subtitle = NULL;

  if (self->dataset != NULL)
    {
      const EcgRecordMeta *meta = ecg_dataset_meta (self->dataset, self->record_index);

      subtitle = g_strdup_printf ("%s \u2014 record %d (%zu of %zu)", self->basename, meta->ecg_id,
                                  self->record_index + 1, ecg_dataset_count (self->dataset));
    }
  else if (self->has_record)
    subtitle = g_strdup_printf ("%s \u2014 %zu lead%s, %g Hz, %.1f s", self->basename, self->record.n_leads,
                                self->record.n_leads == 1 ? "" : "s", self->record.fs,
                                self->record.n_samples / self->record.fs);
  gtk_label_set_text (self->subtitle, subtitle ? subtitle : "");
}

gboolean
ecg_window_show_record (EcgWindow  *self,
                        gsize       index,
                        GError    **error)
{
  g_auto(EcgRecord) record = { 0 };
  EcgError err = { 0 };

  g_return_val_if_fail (ECG_IS_WINDOW (self), FALSE);

  if (index >= record_count (self))
    {
      g_set_error (error, ECG_CORE_ERROR, ECG_ERR_ARG, "no record %zu", index);
      return FALSE;
    }
  if (self->dataset != NULL ? ecg_dataset_read_record (self->dataset, index, &record, &err)
                            : ecg_record_copy (&self->single, &record, &err))
    {
      ecg_window_show_error (self, err.message);
      ecg_core_error_propagate (error, &err);
      return FALSE;
    }
  ecg_record_clear (&self->record);
  self->record = record;
  memset (&record, 0, sizeof record);
  self->has_record = TRUE;
  self->record_index = index;
  if (self->dataset != NULL && ecg_record_list_get_selected_index (self->record_list) != index)
    ecg_record_list_select_index (self->record_list, index);
  update_subtitle (self);
  update_record_view (self);
  update_actions (self);
  return TRUE;
}

static void
selected_record_changed (EcgWindow *self)
{
  gsize index = ecg_record_list_get_selected_index (self->record_list);

  if (self->dataset != NULL && index < ecg_dataset_count (self->dataset) && index != self->record_index)
    ecg_window_show_record (self, index, NULL);
}

/* ---- scoring the whole dataset in the background ---- */

gboolean
ecg_window_is_busy (EcgWindow *self)
{
  g_return_val_if_fail (ECG_IS_WINDOW (self), FALSE);

  return self->score_job != NULL || self->import_cancellable != NULL;
}

static void
show_task (EcgWindow  *self,
           const char *label,
           double      fraction)
{
  g_autofree char *percent = g_strdup_printf ("%.0f%%", 100 * fraction);

  gtk_label_set_text (self->task_label, label);
  gtk_progress_bar_set_fraction (self->task_progress, fraction);
  gtk_progress_bar_set_text (self->task_progress, percent);
  gtk_revealer_set_reveal_child (self->task_bar, TRUE);
}

static void
stop_score_job (EcgWindow *self)
{
  if (self->score_job == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->score_job, self);
  ecg_score_job_cancel (self->score_job);
  g_clear_object (&self->score_job);
  gtk_revealer_set_reveal_child (self->task_bar, self->import_cancellable != NULL);
}

static void
score_job_progress (EcgWindow   *self,
                    guint64      done,
                    guint64      total,
                    EcgScoreJob *job)
{
  g_autofree char *label = g_strdup_printf ("Scoring %" G_GUINT64_FORMAT " records with %s", total,
                                            ecg_model_entry_get_title (self->model));

  show_task (self, label, total ? (double)done / total : 1.0);
}

static void
score_job_scores (EcgWindow   *self,
                  guint64      first,
                  guint64      count,
                  EcgScoreJob *job)
{
  const double *scores = ecg_score_job_get_scores (job) + first;
  double top = -INFINITY;

  ecg_record_list_update_scores (self->record_list, first, scores, count);
  for (guint64 i = 0; i < count; i++)
    if (isfinite (scores[i]))
      top = MAX (top, scores[i]);
  extend_threshold_range (self, top);
}

static void
score_job_finished (EcgWindow    *self,
                    const GError *error,
                    guint64       n_failed,
                    EcgScoreJob  *job)
{
  if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    show_gerror (self, error);
  else if (error == NULL && n_failed > 0)
    {
      g_autofree char *message = g_strdup_printf ("%" G_GUINT64_FORMAT " records could not be scored (unreadable or not finite); they have no score in the list",
                                                  n_failed);
      ecg_window_show_error (self, message);
    }
  g_signal_handlers_disconnect_by_data (job, self);
  g_clear_object (&self->score_job);
  gtk_revealer_set_reveal_child (self->task_bar, self->import_cancellable != NULL);
  update_actions (self);
}

static void
start_score_job (EcgWindow *self)
{
  stop_score_job (self);
  ecg_record_list_clear_scores (self->record_list);
  if (self->dataset == NULL || self->model == NULL)
    return;
  self->score_job = ecg_score_job_new (ecg_dataset_path (self->dataset), ecg_model_entry_get_path (self->model),
                                       NULL);
  g_signal_connect_swapped (self->score_job, "progress", G_CALLBACK (score_job_progress), self);
  g_signal_connect_swapped (self->score_job, "scores", G_CALLBACK (score_job_scores), self);
  g_signal_connect_swapped (self->score_job, "finished", G_CALLBACK (score_job_finished), self);
  ecg_score_job_start (self->score_job);
  update_actions (self);
}

/* ---- models ---- */

static void
use_model (EcgWindow     *self,
           EcgModelEntry *entry,
           guint          position)
{
  g_set_object (&self->model, entry);
  self->model_position = position;
  if (entry != NULL)
    {
      ecg_plot_model_info_from_checkpoint (&self->model_info, ecg_model_entry_get_config (entry),
                                           ecg_model_entry_get_info (entry));
      ecg_record_list_set_score_scale (self->record_list, self->model_info.score_hi);
    }
  if (gtk_drop_down_get_selected (self->model_dropdown) != position)
    gtk_drop_down_set_selected (self->model_dropdown, position);
  setup_threshold (self);
  update_record_view (self);
  start_score_job (self);
  update_actions (self);
}

gboolean
ecg_window_select_model (EcgWindow *self,
                         guint      position)
{
  g_autoptr(EcgModelEntry) entry = g_list_model_get_item (G_LIST_MODEL (self->models), position);
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (ECG_IS_WINDOW (self), FALSE);

  if (entry == NULL)
    return FALSE;
  switch (ecg_model_entry_get_role (entry))
    {
    case ECG_MODEL_ENTRY_NONE:
      use_model (self, NULL, position);
      return TRUE;
    case ECG_MODEL_ENTRY_LOAD_FILE:
      gtk_widget_activate_action (GTK_WIDGET (self), "win.load-model", NULL);
      return FALSE;
    case ECG_MODEL_ENTRY_MODEL:
    default:
      break;
    }
  if (!ecg_model_entry_get_available (entry))
    {
      g_autofree char *message = g_strdup_printf ("%s %s", ecg_model_entry_get_title (entry),
                                                  ecg_model_entry_get_subtitle (entry));

      ecg_window_show_error (self, message);
      gtk_drop_down_set_selected (self->model_dropdown, self->model_position);
      return FALSE;
    }
  if (!ecg_model_entry_load (entry, &error))
    {
      show_gerror (self, error);
      gtk_drop_down_set_selected (self->model_dropdown, self->model_position);
      return FALSE;
    }
  use_model (self, entry, position);
  return TRUE;
}

int
ecg_window_get_model_kind (EcgWindow *self)
{
  g_return_val_if_fail (ECG_IS_WINDOW (self), -1);

  return self->model != NULL ? (int) ecg_model_entry_get_config (self->model)->kind : -1;
}

gboolean
ecg_window_load_model (EcgWindow   *self,
                       const char  *path,
                       GError     **error)
{
  g_autoptr(EcgModelEntry) entry = NULL;
  g_autoptr(GError) local_error = NULL;
  guint n;

  g_return_val_if_fail (ECG_IS_WINDOW (self), FALSE);

  if ((entry = ecg_model_entry_new_for_path (path, "file", &local_error)) == NULL ||
      !ecg_model_entry_load (entry, &local_error))
    {
      show_gerror (self, local_error);
      gtk_drop_down_set_selected (self->model_dropdown, self->model_position);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  /* before "Load model file…", which stays last */
  n = g_list_model_get_n_items (G_LIST_MODEL (self->models));
  g_list_store_insert (self->models, n - 1, entry);
  return ecg_window_select_model (self, n - 1);
}

static void
model_dropdown_changed (EcgWindow *self)
{
  guint position = gtk_drop_down_get_selected (self->model_dropdown);

  if (position != GTK_INVALID_LIST_POSITION && position != self->model_position)
    ecg_window_select_model (self, position);
}

/* The selector's rows: the title, and below it the kind and origin or why the
 * model cannot be used on this record (then the row is dimmed and cannot be chosen). */
static void
model_row_setup (GtkSignalListItemFactory *factory,
                 GtkListItem              *item)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *title = gtk_label_new (NULL);
  GtkWidget *subtitle = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_label_set_xalign (GTK_LABEL (subtitle), 0);
  gtk_widget_add_css_class (subtitle, "dim-label");
  gtk_widget_add_css_class (subtitle, "caption");
  gtk_box_append (GTK_BOX (box), title);
  gtk_box_append (GTK_BOX (box), subtitle);
  gtk_list_item_set_child (item, box);
}

static void
model_row_bind (GtkSignalListItemFactory *factory,
                GtkListItem              *item)
{
  EcgModelEntry *entry = gtk_list_item_get_item (item);
  GtkWidget *title = gtk_widget_get_first_child (gtk_list_item_get_child (item));
  GtkWidget *subtitle = gtk_widget_get_next_sibling (title);
  gboolean available = ecg_model_entry_get_available (entry);

  gtk_label_set_text (GTK_LABEL (title), ecg_model_entry_get_title (entry));
  gtk_label_set_text (GTK_LABEL (subtitle), ecg_model_entry_get_subtitle (entry));
  gtk_widget_set_sensitive (gtk_list_item_get_child (item), available);
  gtk_list_item_set_selectable (item, available);
  gtk_list_item_set_activatable (item, available);
}

static void
setup_model_selector (EcgWindow *self)
{
  g_autoptr(GtkListItemFactory) rows = gtk_signal_list_item_factory_new ();
  g_autoptr(GtkExpression) title = gtk_property_expression_new (ECG_TYPE_MODEL_ENTRY, NULL, "title");

  self->models = ecg_model_entry_discover ();
  g_signal_connect (rows, "setup", G_CALLBACK (model_row_setup), NULL);
  g_signal_connect (rows, "bind", G_CALLBACK (model_row_bind), NULL);
  gtk_drop_down_set_list_factory (self->model_dropdown, rows);
  gtk_drop_down_set_expression (self->model_dropdown, title);
  gtk_drop_down_set_model (self->model_dropdown, G_LIST_MODEL (self->models));
  gtk_drop_down_set_selected (self->model_dropdown, 0);
  g_signal_connect_swapped (self->model_dropdown, "notify::selected", G_CALLBACK (model_dropdown_changed), self);
}

/* The model a new window starts with: the first with attention (the richest
 * view), else the first model found, else none. */
static void
select_default_model (EcgWindow *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->models)), first = 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(EcgModelEntry) entry = g_list_model_get_item (G_LIST_MODEL (self->models), i);
      const EcgModelConfig *config = ecg_model_entry_get_config (entry);

      if (config == NULL)
        continue;
      if (first == 0)
        first = i;
      if (ecg_model_kind_info (config->kind)->time_attention && ecg_window_select_model (self, i))
        return;
    }
  if (first > 0)
    ecg_window_select_model (self, first);
}

/* ---- opening ---- */

/* Read a WFDB record or a .npy file as a one-record source. A .npy carries no
 * rate: a 10 s record is assumed (PTB-XL's length), so 5000 samples are 500 Hz. */
static gboolean
read_single (const char  *path,
             EcgRecord   *record,
             GError     **error)
{
  EcgError err = { 0 };
  int status;

  if (g_str_has_suffix (path, ".npy"))
    {
      status = ecg_npy_read_record (path, 500.0, record, &err);
      if (status == ECG_OK && record->n_samples != 5000)
        record->fs = record->n_samples / 10.0;
    }
  else
    status = ecg_wfdb_read_record (path, record, &err);
  if (status != ECG_OK)
    {
      ecg_core_error_propagate (error, &err);
      return FALSE;
    }
  return TRUE;
}

static void
close_source (EcgWindow *self)
{
  stop_score_job (self);
  ecg_record_list_set_dataset (self->record_list, NULL);
  g_clear_pointer (&self->dataset, ecg_dataset_close);
  ecg_record_clear (&self->single);
  ecg_record_clear (&self->record);
  self->has_record = FALSE;
  self->record_index = 0;
}

gboolean
ecg_window_open (EcgWindow   *self,
                 const char  *path,
                 GError     **error)
{
  g_autoptr(EcgDataset) dataset = NULL;
  g_auto(EcgRecord) single = { 0 };
  g_autoptr(GError) local_error = NULL;
  EcgError err = { 0 };

  g_return_val_if_fail (ECG_IS_WINDOW (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  if (g_str_has_suffix (path, ".hea") || g_str_has_suffix (path, ".npy"))
    {
      if (!read_single (path, &single, &local_error))
        goto fail;
    }
  else if (ecg_dataset_open (path, &dataset, &err) != ECG_OK)
    {
      ecg_core_error_propagate (&local_error, &err);
      goto fail;
    }
  else if (ecg_dataset_count (dataset) == 0)
    {
      g_set_error (&local_error, ECG_CORE_ERROR, ECG_ERR_DATA, "%s: the dataset holds no records", path);
      goto fail;
    }

  close_source (self);
  self->dataset = g_steal_pointer (&dataset);
  self->single = single;
  memset (&single, 0, sizeof single);
  g_free (self->basename);
  self->basename = g_path_get_basename (path);
  gtk_widget_set_visible (GTK_WIDGET (self->record_list), self->dataset != NULL);
  if (self->dataset != NULL)
    ecg_record_list_set_dataset (self->record_list, self->dataset);
  ecg_window_show_error (self, NULL);
  if (!ecg_window_show_record (self, 0, error))
    return FALSE;
  start_score_job (self);
  update_actions (self);
  return TRUE;

fail:
  ecg_window_show_error (self, local_error->message);
  g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

/* ---- file choosers ---- */

typedef void (*ChosenFn) (EcgWindow *self, GFile *file);

static void
chooser_response (GtkNativeDialog *dialog,
                  int              response,
                  EcgWindow       *self)
{
  ChosenFn chosen = g_object_get_data (G_OBJECT (dialog), "chosen");
  g_autoptr(GFile) file = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
  chosen (self, file);
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
  g_object_unref (self);
}

/* A native file chooser calling chosen with the file, or NULL when cancelled.
 * patterns: NULL-terminated (name, pattern) pairs of filters. */
static void
choose_file (EcgWindow            *self,
             const char           *title,
             GtkFileChooserAction  action,
             const char           *accept,
             const char *const    *patterns,
             const char           *suggested_name,
             ChosenFn              chosen)
{
  GtkFileChooserNative *dialog = gtk_file_chooser_native_new (title, GTK_WINDOW (self), action, accept, NULL);

  for (guint i = 0; patterns != NULL && patterns[i] != NULL; i += 2)
    {
      g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();
      g_auto(GStrv) globs = g_strsplit (patterns[i + 1], " ", -1);

      gtk_file_filter_set_name (filter, patterns[i]);
      for (guint j = 0; globs[j] != NULL; j++)
        gtk_file_filter_add_pattern (filter, globs[j]);
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
    }
  if (suggested_name != NULL)
    gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), suggested_name);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  g_object_set_data (G_OBJECT (dialog), "chosen", chosen);
  g_signal_connect (dialog, "response", G_CALLBACK (chooser_response), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
open_chosen (EcgWindow *self,
             GFile     *file)
{
  g_autofree char *path = file ? g_file_get_path (file) : NULL;

  if (path != NULL)
    ecg_window_open (self, path, NULL);
}

static void
open_activated (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  static const char *const patterns[] = {
    "ECG files", "*.h5 *.hea *.npy",
    "ecglens datasets", "*.h5",
    "WFDB records", "*.hea",
    "NumPy arrays", "*.npy",
    NULL,
  };

  choose_file (ECG_WINDOW (widget), "Open", GTK_FILE_CHOOSER_ACTION_OPEN, "_Open", patterns, NULL, open_chosen);
}

static void
load_model_chosen (EcgWindow *self,
                   GFile     *file)
{
  g_autofree char *path = file ? g_file_get_path (file) : NULL;

  if (path != NULL)
    ecg_window_load_model (self, path, NULL);
  else
    gtk_drop_down_set_selected (self->model_dropdown, self->model_position);
}

static void
load_model_activated (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  static const char *const patterns[] = { "Model checkpoints", "*.model.h5", NULL };

  choose_file (ECG_WINDOW (widget), "Load Model", GTK_FILE_CHOOSER_ACTION_OPEN, "_Load", patterns, NULL,
               load_model_chosen);
}

gboolean
ecg_window_export (EcgWindow   *self,
                   const char  *path,
                   GError     **error)
{
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (ECG_IS_WINDOW (self), FALSE);

  if (!ecg_record_view_export (self->record_view, path, &local_error))
    {
      show_gerror (self, local_error);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return TRUE;
}

static void
export_chosen (EcgWindow *self,
               GFile     *file)
{
  g_autofree char *path = file ? g_file_get_path (file) : NULL;

  if (path != NULL)
    ecg_window_export (self, path, NULL);
}

static void
export_activated (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  EcgWindow *self = ECG_WINDOW (widget);
  static const char *const patterns[] = {
    "PNG image", "*.png", "PDF document", "*.pdf", "SVG image", "*.svg", NULL,
  };
  g_autofree char *name = g_strdup_printf ("ecg-%s.png", self->record.id[0] ? self->record.id : "record");

  choose_file (self, "Export View", GTK_FILE_CHOOSER_ACTION_SAVE, "_Export", patterns, name, export_chosen);
}

/* ---- importing PTB-XL ---- */

typedef struct
{
  char *dir, *out_path;
  GCancellable *cancellable;
  gint done, total;   /* atomics, polled by the main loop */
  EcgImportSummary summary;
} ImportData;

static void
import_data_free (ImportData *data)
{
  g_free (data->dir);
  g_free (data->out_path);
  g_clear_object (&data->cancellable);
  ecg_import_summary_clear (&data->summary);
  g_free (data);
}

static int
import_progress (void   *user,
                 size_t  done,
                 size_t  total)
{
  ImportData *data = user;

  g_atomic_int_set (&data->done, (gint)done);
  g_atomic_int_set (&data->total, (gint)total);
  return g_cancellable_is_cancelled (data->cancellable);
}

static void
import_thread (GTask        *task,
               gpointer      source,
               gpointer      task_data,
               GCancellable *cancellable)
{
  ImportData *data = task_data;
  EcgPtbxlOptions options = { .rate = 100, .progress = import_progress, .user = data };
  EcgError err = { 0 };

  if (ecg_ptbxl_import (data->dir, data->out_path, &options, &data->summary, &err) != ECG_OK)
    {
      if (err.status == ECG_ERR_CANCELLED)
        g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "import cancelled");
      else
        g_task_return_new_error (task, ECG_CORE_ERROR, err.status, "%s", err.message);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static gboolean
import_poll (gpointer user_data)
{
  GTask *task = user_data;
  EcgWindow *self = g_task_get_source_object (task);
  ImportData *data = g_task_get_task_data (task);
  gint total = g_atomic_int_get (&data->total);

  if (self->import_cancellable == NULL)
    return G_SOURCE_REMOVE;
  show_task (self, "Importing PTB-XL at 100 Hz", total ? (double)g_atomic_int_get (&data->done) / total : 0);
  return G_SOURCE_CONTINUE;
}

static void
import_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  EcgWindow *self = ECG_WINDOW (source);
  ImportData *data = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  g_clear_object (&self->import_cancellable);
  gtk_revealer_set_reveal_child (self->task_bar, self->score_job != NULL);
  update_actions (self);
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_gerror (self, error);
      return;
    }
  if (ecg_window_open (self, data->out_path, NULL) && data->summary.n_skipped > 0)
    {
      g_autofree char *message = g_strdup_printf ("Imported %zu of %zu records into %s; %zu skipped, e.g. %s: %s",
                                                  data->summary.n_imported, data->summary.n_rows, data->out_path,
                                                  data->summary.n_skipped, data->summary.skipped[0].file,
                                                  data->summary.skipped[0].reason);

      ecg_window_show_error (self, message);
    }
}

/* Import dir into out_path in a worker thread, with progress and Cancel. */
static void
start_import (EcgWindow  *self,
              const char *dir,
              const char *out_path)
{
  ImportData *data = g_new0 (ImportData, 1);
  g_autoptr(GTask) task = NULL;

  if (self->import_cancellable != NULL)
    return;
  self->import_cancellable = g_cancellable_new ();
  data->dir = g_strdup (dir);
  data->out_path = g_strdup (out_path);
  data->cancellable = g_object_ref (self->import_cancellable);
  task = g_task_new (self, self->import_cancellable, import_done, NULL);
  g_task_set_task_data (task, data, (GDestroyNotify)import_data_free);
  g_task_set_return_on_cancel (task, FALSE);
  g_timeout_add_full (G_PRIORITY_DEFAULT, 100, import_poll, g_object_ref (task), g_object_unref);
  show_task (self, "Importing PTB-XL at 100 Hz", 0);
  update_actions (self);
  g_task_run_in_thread (task, import_thread);
}

char *
ecg_window_import_ptbxl (EcgWindow  *self,
                         const char *folder)
{
  g_autofree char *data_dir = g_build_filename (g_get_user_data_dir (), "ecglens", "datasets", NULL);
  g_autofree char *name = NULL;
  char *out_path;

  g_return_val_if_fail (ECG_IS_WINDOW (self), NULL);

  if (self->import_cancellable != NULL)
    return NULL;
  if (g_mkdir_with_parents (data_dir, 0755) != 0)
    {
      g_autofree char *message = g_strdup_printf ("%s: cannot create the folder: %s", data_dir, g_strerror (errno));

      ecg_window_show_error (self, message);
      return NULL;
    }
  name = g_path_get_basename (folder);
  out_path = g_strdup_printf ("%s/%s-100hz.h5", data_dir, name);
  start_import (self, folder, out_path);
  return out_path;
}

static void
import_chosen (EcgWindow *self,
               GFile     *folder)
{
  g_autofree char *dir = folder ? g_file_get_path (folder) : NULL;

  if (dir != NULL)
    g_free (ecg_window_import_ptbxl (self, dir));
}

static void
import_activated (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  choose_file (ECG_WINDOW (widget), "Import PTB-XL Folder", GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, "_Import",
               NULL, NULL, import_chosen);
}

static void
cancel_task_activated (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  EcgWindow *self = ECG_WINDOW (widget);

  if (self->import_cancellable != NULL)
    g_cancellable_cancel (self->import_cancellable);
  stop_score_job (self);
  update_actions (self);
}

/* ---- navigation, view and threshold actions ---- */

static void
step_activated (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  EcgWindow *self = ECG_WINDOW (widget);

  if (g_str_equal (action_name, "win.next-flagged"))
    ecg_record_list_step_flagged (self->record_list, +1);
  else
    ecg_record_list_step (self->record_list, g_str_equal (action_name, "win.next-record") ? +1 : -1);
}

static void
zoom_activated (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  EcgWindow *self = ECG_WINDOW (widget);

  if (g_str_equal (action_name, "win.zoom-in"))
    ecg_record_view_zoom (self->record_view, 1.5);
  else if (g_str_equal (action_name, "win.zoom-out"))
    ecg_record_view_zoom (self->record_view, 1 / 1.5);
  else
    ecg_record_view_zoom (self->record_view, 0); /* the whole record */
}

static void
layout_changed (EcgWindow *self)
{
  guint i = gtk_drop_down_get_selected (self->layout_dropdown);

  if (i < G_N_ELEMENTS (layouts))
    ecg_record_view_set_layout (self->record_view, layouts[i]);
}

static void
cycle_layout_activated (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  EcgWindow *self = ECG_WINDOW (widget);

  gtk_drop_down_set_selected (self->layout_dropdown,
                              (gtk_drop_down_get_selected (self->layout_dropdown) + 1) % G_N_ELEMENTS (layouts));
}

static void
threshold_step_activated (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  EcgWindow *self = ECG_WINDOW (widget);
  double step = gtk_adjustment_get_step_increment (self->threshold);

  if (g_str_equal (action_name, "win.reset-threshold"))
    ecg_window_set_threshold (self, self->model_info.threshold);
  else
    gtk_adjustment_set_value (self->threshold, gtk_adjustment_get_value (self->threshold) +
                                               (g_str_equal (action_name, "win.raise-threshold") ? step : -step));
}

static void
toggle_record_list_activated (GtkWidget  *widget,
                              const char *action_name,
                              GVariant   *parameter)
{
  GtkWidget *list = GTK_WIDGET (ECG_WINDOW (widget)->record_list);

  gtk_widget_set_visible (list, !gtk_widget_get_visible (list));
}

static void
dismiss_banner_activated (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  ecg_window_show_error (ECG_WINDOW (widget), NULL);
}

/* ---- GObject ---- */

static void
ecg_window_dispose (GObject *object)
{
  EcgWindow *self = ECG_WINDOW (object);

  if (self->import_cancellable != NULL)
    g_cancellable_cancel (self->import_cancellable);
  stop_score_job (self);
  if (self->record_list != NULL)
    ecg_record_list_set_dataset (self->record_list, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (object), ECG_TYPE_WINDOW);
  G_OBJECT_CLASS (ecg_window_parent_class)->dispose (object);
}

static void
ecg_window_finalize (GObject *object)
{
  EcgWindow *self = ECG_WINDOW (object);

  g_clear_pointer (&self->dataset, ecg_dataset_close);
  ecg_record_clear (&self->single);
  ecg_record_clear (&self->record);
  g_clear_object (&self->model);
  g_clear_object (&self->models);
  g_clear_object (&self->import_cancellable);
  g_free (self->basename);
  G_OBJECT_CLASS (ecg_window_parent_class)->finalize (object);
}

static void
add_key (GtkWidgetClass *widget_class,
         guint           key,
         GdkModifierType modifiers,
         const char     *action)
{
  gtk_widget_class_add_binding_action (widget_class, key, modifiers, action, NULL);
}

static void
ecg_window_class_init (EcgWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ecg_window_dispose;
  object_class->finalize = ecg_window_finalize;

  g_type_ensure (ECG_TYPE_RECORD_VIEW);
  g_type_ensure (ECG_TYPE_RECORD_LIST);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/ecglens/Ecglens/ecg-window.ui");
  gtk_widget_class_bind_template_child (widget_class, EcgWindow, subtitle);
  gtk_widget_class_bind_template_child (widget_class, EcgWindow, banner);
  gtk_widget_class_bind_template_child (widget_class, EcgWindow, banner_label);
  gtk_widget_class_bind_template_child (widget_class, EcgWindow, task_bar);
  gtk_widget_class_bind_template_child (widget_class, EcgWindow, task_label);
  gtk_widget_class_bind_template_child (widget_class, EcgWindow, task_progress);
  gtk_widget_class_bind_template_child (widget_class, EcgWindow, record_list);
  gtk_widget_class_bind_template_child (widget_class, EcgWindow, record_view);
  gtk_widget_class_bind_template_child (widget_class, EcgWindow, model_dropdown);
  gtk_widget_class_bind_template_child (widget_class, EcgWindow, layout_dropdown);
  gtk_widget_class_bind_template_child (widget_class, EcgWindow, threshold_scale);
  gtk_widget_class_bind_template_child (widget_class, EcgWindow, threshold);
  gtk_widget_class_bind_template_child (widget_class, EcgWindow, threshold_label);
  gtk_widget_class_bind_template_child (widget_class, EcgWindow, verdict);

  gtk_widget_class_install_action (widget_class, "win.open", NULL, open_activated);
  gtk_widget_class_install_action (widget_class, "win.import-ptbxl", NULL, import_activated);
  gtk_widget_class_install_action (widget_class, "win.load-model", NULL, load_model_activated);
  gtk_widget_class_install_action (widget_class, "win.export", NULL, export_activated);
  gtk_widget_class_install_action (widget_class, "win.cancel-task", NULL, cancel_task_activated);
  gtk_widget_class_install_action (widget_class, "win.next-record", NULL, step_activated);
  gtk_widget_class_install_action (widget_class, "win.previous-record", NULL, step_activated);
  gtk_widget_class_install_action (widget_class, "win.next-flagged", NULL, step_activated);
  gtk_widget_class_install_action (widget_class, "win.zoom-in", NULL, zoom_activated);
  gtk_widget_class_install_action (widget_class, "win.zoom-out", NULL, zoom_activated);
  gtk_widget_class_install_action (widget_class, "win.zoom-reset", NULL, zoom_activated);
  gtk_widget_class_install_action (widget_class, "win.cycle-layout", NULL, cycle_layout_activated);
  gtk_widget_class_install_action (widget_class, "win.reset-threshold", NULL, threshold_step_activated);
  gtk_widget_class_install_action (widget_class, "win.raise-threshold", NULL, threshold_step_activated);
  gtk_widget_class_install_action (widget_class, "win.lower-threshold", NULL, threshold_step_activated);
  gtk_widget_class_install_action (widget_class, "win.toggle-record-list", NULL, toggle_record_list_activated);
  gtk_widget_class_install_action (widget_class, "win.dismiss-banner", NULL, dismiss_banner_activated);

  add_key (widget_class, GDK_KEY_o, GDK_CONTROL_MASK, "win.open");
  add_key (widget_class, GDK_KEY_e, GDK_CONTROL_MASK, "win.export");
  add_key (widget_class, GDK_KEY_j, 0, "win.next-record");
  add_key (widget_class, GDK_KEY_Page_Down, 0, "win.next-record");
  add_key (widget_class, GDK_KEY_k, 0, "win.previous-record");
  add_key (widget_class, GDK_KEY_Page_Up, 0, "win.previous-record");
  add_key (widget_class, GDK_KEY_n, 0, "win.next-flagged");
  add_key (widget_class, GDK_KEY_plus, 0, "win.zoom-in");
  add_key (widget_class, GDK_KEY_plus, GDK_SHIFT_MASK, "win.zoom-in");
  add_key (widget_class, GDK_KEY_equal, 0, "win.zoom-in");
  add_key (widget_class, GDK_KEY_KP_Add, 0, "win.zoom-in");
  add_key (widget_class, GDK_KEY_minus, 0, "win.zoom-out");
  add_key (widget_class, GDK_KEY_KP_Subtract, 0, "win.zoom-out");
  add_key (widget_class, GDK_KEY_0, 0, "win.zoom-reset");
  add_key (widget_class, GDK_KEY_l, 0, "win.cycle-layout");
  add_key (widget_class, GDK_KEY_F9, 0, "win.toggle-record-list");
  add_key (widget_class, GDK_KEY_bracketright, 0, "win.raise-threshold");
  add_key (widget_class, GDK_KEY_bracketleft, 0, "win.lower-threshold");
  add_key (widget_class, GDK_KEY_backslash, 0, "win.reset-threshold");
}

static void
ecg_window_init (EcgWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->model_position = 0;
  setup_model_selector (self);
  g_signal_connect_swapped (self->record_list, "notify::selected-index", G_CALLBACK (selected_record_changed), self);
  g_signal_connect_swapped (self->layout_dropdown, "notify::selected", G_CALLBACK (layout_changed), self);
  g_signal_connect_swapped (self->threshold, "value-changed", G_CALLBACK (threshold_changed), self);
  setup_threshold (self);
  select_default_model (self);
  update_actions (self);
}

EcgWindow *
ecg_window_new (EcgApplication *application)
{
  return g_object_new (ECG_TYPE_WINDOW, "application", application, NULL);
}
