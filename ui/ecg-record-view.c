/* ecg-record-view.c — one ECG record on calibrated ECG paper.
 *
 * The view draws with ecg-plot.c, the same code as headless export, at the
 * monitor's true pixels per millimetre, so at zoom 1 a 5 mm square on screen is
 * 5 mm under a ruler. Its width asks for the whole page at zoom 1 and accepts
 * less: the page then shrinks to fit the width (and prints the scale it
 * actually shows); its height follows from the width, so in a scrolled window
 * the 12 rows scroll vertically. The monitor density and the zoom are worked
 * out on realize, monitor change and size allocation; snapshot only reads. */
#include "ecg-record-view.h"

#include <math.h>
#include <string.h>

struct _EcgRecordView
{
  GtkWidget parent_instance;

  /* Owned */
  EcgRecord record;

  /* Derived from the monitor and the allocation */
  double px_per_mm;
  double zoom;
};

enum {
  PROP_0,
  PROP_PX_PER_MM,
  PROP_ZOOM,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (EcgRecordView, ecg_record_view, GTK_TYPE_WIDGET)

/* A monitor whose reported size gives fewer than 2 or more than 20 pixels per
 * millimetre (virtual displays and projectors report anything) is not believed. */
#define MIN_PX_PER_MM 2.0
#define MAX_PX_PER_MM 20.0

static double
monitor_px_per_mm (EcgRecordView *self)
{
  GtkNative *native = gtk_widget_get_native (GTK_WIDGET (self));
  GdkSurface *surface = native ? gtk_native_get_surface (native) : NULL;
  GdkMonitor *monitor;
  GdkRectangle geometry;
  int width_mm;
  double px_per_mm;

  monitor = surface ? gdk_display_get_monitor_at_surface (gdk_surface_get_display (surface), surface) : NULL;
  if (monitor == NULL)
    return ECG_PLOT_DEFAULT_PX_PER_MM;
  /* geometry is in application pixels, the unit the widget draws in */
  gdk_monitor_get_geometry (monitor, &geometry);
  width_mm = gdk_monitor_get_width_mm (monitor);
  if (width_mm <= 0 || geometry.width <= 0)
    return ECG_PLOT_DEFAULT_PX_PER_MM;
  px_per_mm = (double) geometry.width / width_mm;
  return px_per_mm >= MIN_PX_PER_MM && px_per_mm <= MAX_PX_PER_MM ? px_per_mm : ECG_PLOT_DEFAULT_PX_PER_MM;
}

static void
update_px_per_mm (EcgRecordView *self)
{
  double px_per_mm = monitor_px_per_mm (self);

  if (px_per_mm == self->px_per_mm)
    return;
  self->px_per_mm = px_per_mm;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PX_PER_MM]);
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

/* Dark paper when the theme's text is light. */
static gboolean
prefers_dark (EcgRecordView *self)
{
  GdkRGBA fg;

  /* gtk_widget_get_color () replaces this from GTK 4.10; 4.8 is the minimum */
G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (GTK_WIDGET (self)), &fg);
G_GNUC_END_IGNORE_DEPRECATIONS
  return 0.2126 * fg.red + 0.7152 * fg.green + 0.0722 * fg.blue > 0.5;
}

static double
duration (const EcgRecord *rec)
{
  return rec->fs > 0 ? rec->n_samples / rec->fs : 0.0;
}

/* The page at zoom, with the style it is drawn in. */
static void
page_at_zoom (EcgRecordView *self,
              double         zoom,
              EcgPlotStyle  *style,
              EcgPlotLayout *layout)
{
  ecg_plot_style_init (style, self->px_per_mm, prefers_dark (self));
  style->scale.zoom = zoom;
  ecg_plot_layout_12x1 (layout, 0, 0, self->record.n_leads, duration (&self->record), style);
}

/* The zoom that fits the page into width, between the minimum and true size. */
static double
zoom_for_width (EcgRecordView *self,
                int            width)
{
  EcgPlotStyle style;
  EcgPlotLayout layout;

  page_at_zoom (self, 1.0, &style, &layout);
  if (layout.width <= 0)
    return 1.0;
  return CLAMP (width / layout.width, ECG_RECORD_VIEW_MIN_ZOOM, 1.0);
}

static GtkSizeRequestMode
ecg_record_view_get_request_mode (GtkWidget *widget)
{
  return GTK_SIZE_REQUEST_HEIGHT_FOR_WIDTH;
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
  if (self->record.n_leads == 0)
    return;

  page_at_zoom (self, 1.0, &style, &layout);
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = (int) ceil (layout.width * ECG_RECORD_VIEW_MIN_ZOOM);
      *natural = (int) ceil (layout.width);
    }
  else if (for_size < 0)
    {
      *minimum = (int) ceil (layout.height * ECG_RECORD_VIEW_MIN_ZOOM);
      *natural = (int) ceil (layout.height);
    }
  else
    {
      *minimum = *natural = (int) ceil (layout.height * zoom_for_width (self, for_size));
    }
}

static void
ecg_record_view_size_allocate (GtkWidget *widget,
                               int        width,
                               int        height,
                               int        baseline)
{
  EcgRecordView *self = ECG_RECORD_VIEW (widget);
  double zoom = self->record.n_leads > 0 ? zoom_for_width (self, width) : 1.0;

  if (zoom != self->zoom)
    {
      self->zoom = zoom;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ZOOM]);
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

  if (!ecg_record_view_get_page (self, &style, &layout) || width <= 0 || height <= 0)
    return;
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  /* paper under the whole allocation, the page on it from the same origin */
  ecg_plot_draw_paper (cr, 0, 0, width, height, &style);
  ecg_plot_draw_record_12x1 (cr, &self->record, &layout, &style);
  cairo_destroy (cr);
}

static void
ecg_record_view_realize (GtkWidget *widget)
{
  EcgRecordView *self = ECG_RECORD_VIEW (widget);
  GdkSurface *surface;

  GTK_WIDGET_CLASS (ecg_record_view_parent_class)->realize (widget);

  surface = gtk_native_get_surface (gtk_widget_get_native (widget));
  g_signal_connect_object (surface, "enter-monitor", G_CALLBACK (update_px_per_mm), self, G_CONNECT_SWAPPED);
  update_px_per_mm (self);
}

static void
ecg_record_view_unrealize (GtkWidget *widget)
{
  GdkSurface *surface = gtk_native_get_surface (gtk_widget_get_native (widget));

  g_signal_handlers_disconnect_by_func (surface, update_px_per_mm, widget);
  GTK_WIDGET_CLASS (ecg_record_view_parent_class)->unrealize (widget);
}

static void
ecg_record_view_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  EcgRecordView *self = ECG_RECORD_VIEW (object);

  switch (prop_id)
    {
    case PROP_PX_PER_MM:
      g_value_set_double (value, self->px_per_mm);
      break;
    case PROP_ZOOM:
      g_value_set_double (value, self->zoom);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
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

  object_class->get_property = ecg_record_view_get_property;
  object_class->finalize = ecg_record_view_finalize;
  widget_class->get_request_mode = ecg_record_view_get_request_mode;
  widget_class->measure = ecg_record_view_measure;
  widget_class->size_allocate = ecg_record_view_size_allocate;
  widget_class->snapshot = ecg_record_view_snapshot;
  widget_class->realize = ecg_record_view_realize;
  widget_class->unrealize = ecg_record_view_unrealize;

  properties[PROP_PX_PER_MM] =
    g_param_spec_double ("px-per-mm", NULL, NULL, 0.0, G_MAXDOUBLE, ECG_PLOT_DEFAULT_PX_PER_MM,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ZOOM] =
    g_param_spec_double ("zoom", NULL, NULL, 0.0, 1.0, 1.0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "ecgrecordview");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
ecg_record_view_init (EcgRecordView *self)
{
  self->px_per_mm = ECG_PLOT_DEFAULT_PX_PER_MM;
  self->zoom = 1.0;
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

double
ecg_record_view_get_px_per_mm (EcgRecordView *self)
{
  g_return_val_if_fail (ECG_IS_RECORD_VIEW (self), ECG_PLOT_DEFAULT_PX_PER_MM);

  return self->px_per_mm;
}

double
ecg_record_view_get_zoom (EcgRecordView *self)
{
  g_return_val_if_fail (ECG_IS_RECORD_VIEW (self), 1.0);

  return self->zoom;
}

gboolean
ecg_record_view_get_page (EcgRecordView *self,
                          EcgPlotStyle  *style,
                          EcgPlotLayout *layout)
{
  g_return_val_if_fail (ECG_IS_RECORD_VIEW (self), FALSE);

  if (self->record.n_leads == 0)
    return FALSE;
  page_at_zoom (self, self->zoom, style, layout);
  return TRUE;
}
