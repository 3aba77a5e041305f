/* ecg-record-view.c — one ECG record on calibrated ECG paper.
 *
 * The view draws with ecg-plot.c, the same code as headless export, at the
 * monitor's true pixels per millimetre, so a 5 mm square on screen is 5 mm
 * under a ruler. It asks for the size of the whole page and lives in a
 * scrolled window. */
#include "ecg-record-view.h"

#include "ecg-plot.h"

struct _EcgRecordView
{
  GtkWidget parent_instance;

  /* Owned */
  EcgRecord record;
};

G_DEFINE_FINAL_TYPE (EcgRecordView, ecg_record_view, GTK_TYPE_WIDGET)

/* A monitor whose reported size gives fewer than 2 or more than 20 pixels per
 * millimetre (virtual displays report anything) is not believed. */
#define MIN_PX_PER_MM 2.0
#define MAX_PX_PER_MM 20.0

double
ecg_record_view_get_px_per_mm (EcgRecordView *self)
{
  GtkNative *native;
  GdkSurface *surface;
  GdkMonitor *monitor;
  GdkRectangle geometry;
  int width_mm;
  double px_per_mm;

  g_return_val_if_fail (ECG_IS_RECORD_VIEW (self), ECG_PLOT_DEFAULT_PX_PER_MM);

  native = gtk_widget_get_native (GTK_WIDGET (self));
  surface = native ? gtk_native_get_surface (native) : NULL;
  monitor = surface ? gdk_display_get_monitor_at_surface (gtk_widget_get_display (GTK_WIDGET (self)), surface) : NULL;
  if (monitor == NULL)
    return ECG_PLOT_DEFAULT_PX_PER_MM;
  gdk_monitor_get_geometry (monitor, &geometry);
  width_mm = gdk_monitor_get_width_mm (monitor);
  if (width_mm <= 0)
    return ECG_PLOT_DEFAULT_PX_PER_MM;
  px_per_mm = (double) geometry.width / width_mm;
  return px_per_mm >= MIN_PX_PER_MM && px_per_mm <= MAX_PX_PER_MM ? px_per_mm : ECG_PLOT_DEFAULT_PX_PER_MM;
}

/* Dark paper when the theme's text is light. */
static gboolean
prefers_dark (EcgRecordView *self)
{
  GdkRGBA fg;

G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (GTK_WIDGET (self)), &fg);
G_GNUC_END_IGNORE_DEPRECATIONS
  return 0.2126 * fg.red + 0.7152 * fg.green + 0.0722 * fg.blue > 0.5;
}

static void
page_layout (EcgRecordView *self,
             EcgPlotStyle  *style,
             EcgPlotLayout *layout)
{
  const EcgRecord *rec = &self->record;

  ecg_plot_style_init (style, ecg_record_view_get_px_per_mm (self), prefers_dark (self));
  ecg_plot_layout_12x1 (layout, 0, 0, rec->n_leads, rec->fs > 0 ? rec->n_samples / rec->fs : 0, style);
}

static void
ecg_record_view_measure (GtkWidget      *widget,
                         GtkOrientation  orientation,
                         int             for_size,
                         int            *minimum,
                         int            *natural,
                         int            *minimum_baseline,
                         int            *natural_baseline)
{
  EcgRecordView *self = ECG_RECORD_VIEW (widget);
  EcgPlotStyle style;
  EcgPlotLayout layout;

  *minimum = *natural = 0;
  if (self->record.n_leads > 0)
    {
      page_layout (self, &style, &layout);
      *minimum = *natural = (int) ceil (orientation == GTK_ORIENTATION_HORIZONTAL ? layout.width : layout.height);
    }
}

static void
ecg_record_view_snapshot (GtkWidget   *widget,
                          GtkSnapshot *snapshot)
{
  EcgRecordView *self = ECG_RECORD_VIEW (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  EcgPlotStyle style;
  EcgPlotLayout layout;
  cairo_t *cr;

  if (self->record.n_leads == 0 || width <= 0 || height <= 0)
    return;
  page_layout (self, &style, &layout);
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  /* paper under the whole allocation, the page at its true scale on it */
  ecg_plot_draw_paper (cr, 0, 0, width, height, &style);
  ecg_plot_draw_record_12x1 (cr, &self->record, &layout, &style);
  cairo_destroy (cr);
}

static void
ecg_record_view_finalize (GObject *object)
{
  EcgRecordView *self = ECG_RECORD_VIEW (object);

  ecg_record_clear (&self->record);
  G_OBJECT_CLASS (ecg_record_view_parent_class)->finalize (object);
}

static void
ecg_record_view_class_init (EcgRecordViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = ecg_record_view_finalize;
  widget_class->measure = ecg_record_view_measure;
  widget_class->snapshot = ecg_record_view_snapshot;
  gtk_widget_class_set_css_name (widget_class, "ecgrecordview");
}

static void
ecg_record_view_init (EcgRecordView *self)
{
}

GtkWidget *
ecg_record_view_new (void)
{
  return g_object_new (ECG_TYPE_RECORD_VIEW, NULL);
}

void
ecg_record_view_take_record (EcgRecordView *self,
                             EcgRecord     *record)
{
  g_return_if_fail (ECG_IS_RECORD_VIEW (self));

  ecg_record_clear (&self->record);
  if (record != NULL)
    {
      self->record = *record;
      memset (record, 0, sizeof *record);
    }
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

const EcgRecord *
ecg_record_view_get_record (EcgRecordView *self)
{
  g_return_val_if_fail (ECG_IS_RECORD_VIEW (self), NULL);

  return self->record.n_leads > 0 ? &self->record : NULL;
}
