/* ecg-window.c — the main window: a dataset's records on ECG paper, j/k to move
 * between records, a banner that says what went wrong instead of closing. */
#include "ecg-window.h"

#include "ecg-core-error.h"
#include "ecg-record-view.h"

struct _EcgWindow
{
  GtkApplicationWindow parent_instance;

  /* Template widgets */
  GtkLabel      *title;
  GtkLabel      *subtitle;
  GtkRevealer   *banner;
  GtkLabel      *banner_label;
  EcgRecordView *record_view;

  /* Owned */
  EcgDataset *dataset;
  char       *basename;
  gsize       record_index;
};

G_DEFINE_FINAL_TYPE (EcgWindow, ecg_window, GTK_TYPE_APPLICATION_WINDOW)

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

gsize
ecg_window_get_record_index (EcgWindow *self)
{
  g_return_val_if_fail (ECG_IS_WINDOW (self), 0);

  return self->record_index;
}

static void
update_actions (EcgWindow *self)
{
  gsize n = self->dataset ? ecg_dataset_count (self->dataset) : 0;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.previous-record", self->record_index > 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.next-record", self->record_index + 1 < n);
}

gboolean
ecg_window_show_record (EcgWindow  *self,
                        gsize       index,
                        GError    **error)
{
  g_auto(EcgRecord) record = { 0 };
  EcgError err = { 0 };
  const EcgRecordMeta *meta;
  g_autofree char *subtitle = NULL;

  g_return_val_if_fail (ECG_IS_WINDOW (self), FALSE);
  g_return_val_if_fail (self->dataset != NULL, FALSE);

  if (ecg_dataset_read_record (self->dataset, index, &record, &err) != ECG_OK)
    {
      ecg_window_show_error (self, err.message);
      ecg_core_error_propagate (error, &err);
      return FALSE;
    }
  meta = ecg_dataset_meta (self->dataset, index);
  self->record_index = index;
  ecg_record_view_take_record (self->record_view, &record);
  subtitle = g_strdup_printf ("%s — record %d (%zu of %zu)", self->basename, meta->ecg_id, index + 1,
                              ecg_dataset_count (self->dataset));
  gtk_label_set_text (self->subtitle, subtitle);
  update_actions (self);
  return TRUE;
}

gboolean
ecg_window_open_dataset (EcgWindow   *self,
                         const char  *path,
                         GError     **error)
{
  g_autoptr(EcgDataset) dataset = NULL;
  EcgError err = { 0 };

  g_return_val_if_fail (ECG_IS_WINDOW (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  if (ecg_dataset_open (path, &dataset, &err) != ECG_OK)
    {
      ecg_window_show_error (self, err.message);
      ecg_core_error_propagate (error, &err);
      return FALSE;
    }
  if (ecg_dataset_count (dataset) == 0)
    {
      g_autofree char *message = g_strdup_printf ("%s: the dataset holds no records", path);

      ecg_window_show_error (self, message);
      g_set_error_literal (error, ECG_CORE_ERROR, ECG_ERR_DATA, message);
      return FALSE;
    }
  g_clear_pointer (&self->dataset, ecg_dataset_close);
  self->dataset = g_steal_pointer (&dataset);
  g_free (self->basename);
  self->basename = g_path_get_basename (path);
  ecg_window_show_error (self, NULL);
  return ecg_window_show_record (self, 0, error);
}

static void
step_record (EcgWindow *self,
             int        delta)
{
  gsize n = self->dataset ? ecg_dataset_count (self->dataset) : 0;

  if (n == 0 || (delta < 0 && self->record_index == 0) || (delta > 0 && self->record_index + 1 >= n))
    return;
  ecg_window_show_record (self, self->record_index + delta, NULL);
}

static void
next_record_activated (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  step_record (ECG_WINDOW (widget), +1);
}

static void
previous_record_activated (GtkWidget  *widget,
                           const char *action_name,
                           GVariant   *parameter)
{
  step_record (ECG_WINDOW (widget), -1);
}

static void
dismiss_banner_activated (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  ecg_window_show_error (ECG_WINDOW (widget), NULL);
}

static void
ecg_window_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), ECG_TYPE_WINDOW);
  G_OBJECT_CLASS (ecg_window_parent_class)->dispose (object);
}

static void
ecg_window_finalize (GObject *object)
{
  EcgWindow *self = ECG_WINDOW (object);

  g_clear_pointer (&self->dataset, ecg_dataset_close);
  g_free (self->basename);
  G_OBJECT_CLASS (ecg_window_parent_class)->finalize (object);
}

static void
ecg_window_class_init (EcgWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ecg_window_dispose;
  object_class->finalize = ecg_window_finalize;

  g_type_ensure (ECG_TYPE_RECORD_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/ecglens/Ecglens/ecg-window.ui");
  gtk_widget_class_bind_template_child (widget_class, EcgWindow, title);
  gtk_widget_class_bind_template_child (widget_class, EcgWindow, subtitle);
  gtk_widget_class_bind_template_child (widget_class, EcgWindow, banner);
  gtk_widget_class_bind_template_child (widget_class, EcgWindow, banner_label);
  gtk_widget_class_bind_template_child (widget_class, EcgWindow, record_view);

  gtk_widget_class_install_action (widget_class, "win.next-record", NULL, next_record_activated);
  gtk_widget_class_install_action (widget_class, "win.previous-record", NULL, previous_record_activated);
  gtk_widget_class_install_action (widget_class, "win.dismiss-banner", NULL, dismiss_banner_activated);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_j, 0, "win.next-record", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Page_Down, 0, "win.next-record", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_k, 0, "win.previous-record", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Page_Up, 0, "win.previous-record", NULL);
}

static void
ecg_window_init (EcgWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  update_actions (self);
}

EcgWindow *
ecg_window_new (EcgApplication *application)
{
  return g_object_new (ECG_TYPE_WINDOW, "application", application, NULL);
}
