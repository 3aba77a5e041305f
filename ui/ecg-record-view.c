/* ecg-record-view.c — one ECG record on calibrated ECG paper.
 *
 * The view draws with ecg-plot.c, the same code as headless export, at the
 * monitor's true pixels per millimetre, so at zoom 1 a 5 mm square on screen is
 * 5 mm under a ruler. Its width asks for the whole page at zoom 1 and accepts
 * less: the page then shrinks to fit the width (and prints the scale it
 * actually shows); its height follows from the width, so in a scrolled window
 * the rows scroll vertically. The monitor density and the zoom are worked out
 * on realize, monitor change and size allocation; snapshot only reads them.
 *
 * Zooming in time keeps the page's width and raises the paper speed (the
 * scale printed says so); a drag pans, shift-drag (or the calipers property)
 * measures, right click or 'a' shows the temporal attention under the pointer.
 * A score is kept as the model gave it (for its windows) and as shown
 * (EcgPlotScored: mV, smoothed scores), so moving τ only redraws.
 *
 * The page is drawn on the CPU into a texture, kept for as long as nothing it
 * shows changes (see PageKey): moving the crosshair or a caliper only draws
 * those over it. */
#include "ecg-record-view.h"

#include <math.h>
#include <string.h>

#include "ecg-plot-export.h"

/* What the page texture was drawn for; it is drawn again when any of it
 * differs. Compared with memcmp, so made with its padding zeroed. */
typedef struct {
  guint generation;  /* of the record and score */
  int width, height, scale;
  double px_per_mm, zoom, time_zoom, t0, threshold;
  EcgPlotLayoutKind layout;
  gboolean dark;
} PageKey;

struct _EcgRecordView
{
  GtkWidget parent_instance;

  /* Owned */
  EcgRecord record;
  EcgRecordScore score;
  EcgPlotScored shown;
  gboolean has_score;
  EcgPlotModelInfo model;
  GtkWindow *attention_window;  /* temporal attention, made on first use */

  /* Settings */
  double threshold;
  EcgPlotLayoutKind layout;
  gboolean calipers;

  /* Derived from the monitor and the allocation */
  double px_per_mm;
  double zoom;

  /* Time shown */
  double time_zoom;
  double t0;

  /* Pointer and gestures */
  double pointer_x, pointer_y;  /* x < 0: not over the view */
  double drag_t0;
  gboolean drag_caliper;
  double caliper[4];            /* x0, y0, x1, y1; x0 < 0: none */
  char crosshair_text[128];
  char caliper_text[128];

  /* The page as last drawn */
  GdkTexture *page;
  PageKey page_key;
  guint generation;  /* bumped by each record and score */
};

enum {
  PROP_0,
  PROP_PX_PER_MM,
  PROP_ZOOM,
  PROP_TIME_ZOOM,
  PROP_LAYOUT,
  PROP_THRESHOLD,
  PROP_CALIPERS,
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

static const EcgRecord *
shown_record (EcgRecordView *self)
{
  return self->has_score ? &self->shown.record : &self->record;
}

static double
duration (const EcgRecord *rec)
{
  return rec->fs > 0 ? rec->n_samples / rec->fs : 0.0;
}

/* Seconds on a row at the current time zoom: the whole record up to
 * ECG_RECORD_VIEW_PAGE_SECONDS (a Holter or MIT-BIH record pans through). */
static double
span (EcgRecordView *self)
{
  return MIN (duration (shown_record (self)), ECG_RECORD_VIEW_PAGE_SECONDS) / self->time_zoom;
}

static void
overlay_of (EcgRecordView  *self,
            EcgPlotOverlay *ov)
{
  ecg_plot_scored_overlay (&self->shown, &self->model, self->threshold, ov);
}

/* The page at zoom (time zoom and pan as they are), with the style it is drawn in. */
static void
page_at_zoom (EcgRecordView *self,
              double         zoom,
              EcgPlotStyle  *style,
              EcgPlotLayout *layout)
{
  const EcgRecord *rec = shown_record (self);
  EcgPlotOverlay ov;

  ecg_plot_style_init (style, self->px_per_mm, prefers_dark (self));
  style->scale.zoom = zoom;
  style->scale.mm_per_s *= self->time_zoom;
  overlay_of (self, &ov);
  ecg_plot_layout_compute (layout, self->layout, 0, 0, rec->n_leads, self->t0, span (self),
                           self->has_score ? ecg_plot_overlay_strips (&ov) : 0, style);
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

/* Readouts of the crosshair and the caliper for the page as it is now. */
static void
update_readouts (EcgRecordView *self)
{
  const EcgRecord *rec = shown_record (self);
  EcgPlotStyle style;
  EcgPlotLayout layout;
  double t, mv, t1, mv1;
  int p;

  self->crosshair_text[0] = self->caliper_text[0] = '\0';
  if (!ecg_record_view_get_page (self, &style, &layout))
    return;
  if (self->pointer_x >= 0 &&
      (p = ecg_plot_layout_hit (&layout, &style, self->pointer_x, self->pointer_y, &t, &mv)) >= 0)
    g_snprintf (self->crosshair_text, sizeof self->crosshair_text, "%.3f s \u00b7 %.2f mV \u00b7 %s", t, mv,
                rec->leads[layout.panels[p].lead].name);
  if (self->caliper[0] >= 0 &&
      ecg_plot_layout_hit (&layout, &style, self->caliper[0], self->caliper[1], &t, &mv) >= 0 &&
      ecg_plot_layout_hit (&layout, &style, self->caliper[2], self->caliper[3], &t1, &mv1) >= 0)
    {
      double dt = fabs (t1 - t) * 1000.0;

      g_snprintf (self->caliper_text, sizeof self->caliper_text,
                  "\u0394t %.0f ms \u00b7 \u0394mV %.2f \u00b7 %.0f bpm", dt, mv1 - mv, dt > 0 ? 60000.0 / dt : 0.0);
    }
}

/* Keep t0 within the record and redraw. */
static void
set_t0 (EcgRecordView *self,
        double         t0)
{
  double max = duration (shown_record (self)) - span (self);

  self->t0 = CLAMP (t0, 0.0, MAX (max, 0.0));
  update_readouts (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
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
  if (shown_record (self)->n_leads == 0)
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
  double zoom = shown_record (self)->n_leads > 0 ? zoom_for_width (self, width) : 1.0;

  if (zoom != self->zoom)
    {
      self->zoom = zoom;
      update_readouts (self);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ZOOM]);
    }
}

/* A readout on a plate beside (x, y), kept inside the page, in a cairo node
 * just the plate's size. */
static void
append_readout (GtkSnapshot         *snapshot,
                const char          *text,
                double               x,
                double               y,
                const EcgPlotLayout *layout,
                const EcgPlotStyle  *style)
{
  cairo_surface_t *scratch = cairo_image_surface_create (CAIRO_FORMAT_A8, 1, 1);
  cairo_t *cr = cairo_create (scratch);  /* to measure the text */
  double h = ecg_plot_label_height (style);
  double w = ecg_plot_label_width (cr, text, style);
  double margin = 0.3 * h + 1;  /* the plate's, and a pixel of antialiasing */

  cairo_destroy (cr);
  cairo_surface_destroy (scratch);
  x = x + w + 2 * h > layout->x + layout->width ? x - w - h : x + h;
  y = MAX (y - 2 * h, layout->rows_y + h);
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (x - margin, y - margin, w + 2 * margin, h + 2 * margin));
  ecg_plot_draw_label (cr, text, x, y, style);
  cairo_destroy (cr);
}

/* Crosshair at the pointer and caliper markers over the page: lines as
 * rectangles of colour, which any renderer draws at no cost. */
static void
append_cursors (EcgRecordView       *self,
                GtkSnapshot         *snapshot,
                const EcgPlotLayout *layout,
                const EcgPlotStyle  *style)
{
  const EcgPlotColor *c = &style->colors.cursor;
  GdkRGBA color = { c->r, c->g, c->b, 0.9 };
  double top = layout->rows_y, height = layout->axis_y - layout->rows_y;

  if (self->crosshair_text[0])
    {
      gtk_snapshot_append_color (snapshot, &color, &GRAPHENE_RECT_INIT (self->pointer_x - 0.5, top, 1, height));
      gtk_snapshot_append_color (snapshot, &color,
                                 &GRAPHENE_RECT_INIT (layout->x, self->pointer_y - 0.5, layout->width, 1));
    }
  if (self->caliper_text[0])
    {
      double x0 = MIN (self->caliper[0], self->caliper[2]), x1 = MAX (self->caliper[0], self->caliper[2]);

      for (int i = 0; i < 2; i++)
        gtk_snapshot_append_color (snapshot, &color, &GRAPHENE_RECT_INIT (self->caliper[2 * i] - 1, top, 2, height));
      for (double x = x0; x < x1; x += 7)  /* dashed: 4 on, 3 off */
        gtk_snapshot_append_color (snapshot, &color, &GRAPHENE_RECT_INIT (x, self->caliper[1] - 1, MIN (4, x1 - x), 2));
      append_readout (snapshot, self->caliper_text, x1, self->caliper[1], layout, style);
    }
  if (self->crosshair_text[0])
    append_readout (snapshot, self->crosshair_text, self->pointer_x, self->pointer_y, layout, style);
}

/* The key of the page as it would be drawn now. */
static void
page_key (EcgRecordView      *self,
          int                 width,
          int                 height,
          int                 scale,
          const EcgPlotStyle *style,
          PageKey            *key)
{
  memset (key, 0, sizeof *key);
  key->generation = self->generation;
  key->width = width, key->height = height, key->scale = scale;
  key->px_per_mm = self->px_per_mm, key->zoom = self->zoom;
  key->time_zoom = self->time_zoom, key->t0 = self->t0, key->threshold = self->threshold;
  key->layout = self->layout;
  key->dark = style->dark;
}

/* The page on paper over width × height as a texture of scale device pixels
 * per unit; NULL when there is no memory for it. */
static GdkTexture *
render_page (EcgRecordView       *self,
             int                  width,
             int                  height,
             int                  scale,
             const EcgPlotStyle  *style,
             const EcgPlotLayout *layout)
{
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, width * scale, height * scale);
  int stride = cairo_image_surface_get_stride (surface);
  EcgPlotOverlay ov;
  GdkTexture *texture;
  GBytes *bytes;
  cairo_t *cr;

  if (cairo_surface_status (surface) != CAIRO_STATUS_SUCCESS)
    {
      cairo_surface_destroy (surface);
      return NULL;
    }
  overlay_of (self, &ov);
  cr = cairo_create (surface);
  cairo_scale (cr, scale, scale);
  ecg_plot_draw_view (cr, width, height, shown_record (self), self->has_score ? &ov : NULL, layout, style);
  cairo_destroy (cr);
  cairo_surface_flush (surface);
  /* the texture takes the pixels as they are, and the surface with them */
  bytes = g_bytes_new_with_free_func (cairo_image_surface_get_data (surface), (gsize) stride * height * scale,
                                      (GDestroyNotify) cairo_surface_destroy, surface);
  texture = gdk_memory_texture_new (width * scale, height * scale, GDK_MEMORY_DEFAULT, bytes, stride);
  g_bytes_unref (bytes);
  return texture;
}

static void
ecg_record_view_snapshot (GtkWidget   *widget,
                          GtkSnapshot *snapshot)
{
  EcgRecordView *self = ECG_RECORD_VIEW (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  int scale = gtk_widget_get_scale_factor (widget);
  EcgPlotStyle style;
  EcgPlotLayout layout;
  PageKey key;

  if (!ecg_record_view_get_page (self, &style, &layout) || width <= 0 || height <= 0)
    return;
  page_key (self, width, height, scale, &style, &key);
  if (self->page == NULL || memcmp (&key, &self->page_key, sizeof key) != 0)
    {
      g_clear_object (&self->page);
      self->page = render_page (self, width, height, scale, &style, &layout);
      self->page_key = key;
    }
  if (self->page != NULL)
    gtk_snapshot_append_texture (snapshot, self->page, &GRAPHENE_RECT_INIT (0, 0, width, height));
  append_cursors (self, snapshot, &layout, &style);
}

/* ---- gestures ---- */

static gboolean
on_scroll (GtkEventControllerScroll *controller,
           double                    dx,
           double                    dy,
           EcgRecordView            *self)
{
  if (dy == 0)
    return FALSE;
  ecg_record_view_zoom_at (self, pow (1.25, -dy), self->pointer_x >= 0 ? self->pointer_x : -1);
  return TRUE;
}

static void
on_motion (GtkEventControllerMotion *controller,
           double                    x,
           double                    y,
           EcgRecordView            *self)
{
  ecg_record_view_pointer_at (self, x, y);
}

static void
on_leave (GtkEventControllerMotion *controller,
          EcgRecordView            *self)
{
  ecg_record_view_pointer_at (self, -1, -1);
}

static void
on_drag_begin (GtkGestureDrag *gesture,
               double          x,
               double          y,
               EcgRecordView  *self)
{
  GdkModifierType mods = gtk_event_controller_get_current_event_state (GTK_EVENT_CONTROLLER (gesture));

  self->drag_t0 = self->t0;
  self->drag_caliper = self->calipers || (mods & GDK_SHIFT_MASK);
  if (self->drag_caliper)
    ecg_record_view_set_caliper (self, x, y, x, y);
  gtk_widget_grab_focus (GTK_WIDGET (self));
}

static void
on_drag_update (GtkGestureDrag *gesture,
                double          dx,
                double          dy,
                EcgRecordView  *self)
{
  double x, y;

  if (!self->drag_caliper)
    {
      /* pan from where the drag began, so the paper follows the pointer */
      self->t0 = self->drag_t0;
      ecg_record_view_pan (self, dx);
      return;
    }
  gtk_gesture_drag_get_start_point (gesture, &x, &y);
  ecg_record_view_set_caliper (self, x, y, x + dx, y + dy);
}

static void
on_right_click (GtkGestureClick *gesture,
                int              n_press,
                double           x,
                double           y,
                EcgRecordView   *self)
{
  ecg_record_view_show_time_attention (self, x);
}

/* Half a row back (direction -1) or forward in time. */
static void
pan_half_row (EcgRecordView *self,
              int            direction)
{
  EcgPlotStyle style;
  EcgPlotLayout layout;

  if (ecg_record_view_get_page (self, &style, &layout))
    ecg_record_view_pan (self, -direction * 0.5 * layout.trace_width);
}

static gboolean
on_key (GtkEventControllerKey *controller,
        guint                  keyval,
        guint                  keycode,
        GdkModifierType        state,
        EcgRecordView         *self)
{
  switch (keyval)
    {
    case GDK_KEY_a:
      ecg_record_view_show_time_attention (self, self->pointer_x >= 0 ? self->pointer_x : gtk_widget_get_width (GTK_WIDGET (self)) / 2.0);
      return TRUE;
    case GDK_KEY_plus:
    case GDK_KEY_KP_Add:
    case GDK_KEY_equal:
      ecg_record_view_zoom (self, 1.5);
      return TRUE;
    case GDK_KEY_minus:
    case GDK_KEY_KP_Subtract:
      ecg_record_view_zoom (self, 1 / 1.5);
      return TRUE;
    case GDK_KEY_Escape:
      ecg_record_view_set_caliper (self, -1, -1, -1, -1);
      return TRUE;
    case GDK_KEY_Left:
    case GDK_KEY_Right:
      pan_half_row (self, keyval == GDK_KEY_Left ? -1 : +1);
      return TRUE;
    default:
      return FALSE;
    }
}

/* ---- temporal attention ---- */

typedef struct {
  const float *attn;  /* (T, T), owned by the view's score */
  size_t T;
  double fs, start;
  gboolean dark;
  double px_per_mm;
} AttentionDraw;

static void
draw_attention (GtkDrawingArea *area,
                cairo_t        *cr,
                int             width,
                int             height,
                gpointer        data)
{
  AttentionDraw *a = data;
  EcgPlotStyle style;

  ecg_plot_style_init (&style, a->px_per_mm, a->dark);
  cairo_set_source_rgb (cr, style.colors.strip.r, style.colors.strip.g, style.colors.strip.b);
  cairo_paint (cr);
  ecg_plot_draw_time_attention (cr, a->attn, a->T, a->fs, a->start, 8, 8, MIN (width, height - 60) - 16, &style);
}

/* The window whose middle is nearest time t (model fs), or -1. */
static gssize
window_at (const EcgRecordScore *score,
           double                t)
{
  const EcgWindows *w = &score->windows;
  gssize best = -1;
  double best_d = G_MAXDOUBLE;

  for (size_t i = 0; i < w->n_windows; i++)
    {
      double d = fabs ((w->starts[i] + w->T / 2.0) / score->fs - t);

      if (d < best_d)
        best = (gssize) i, best_d = d;
    }
  return best;
}

/* A window of its own rather than a popover: it can be enlarged, stays open
 * beside the page while the pointer moves on, and Escape closes it. */
static GtkWindow *
attention_window (EcgRecordView *self)
{
  GtkEventController *shortcuts;
  GtkRoot *root;

  if (self->attention_window != NULL)
    return self->attention_window;
  self->attention_window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_title (self->attention_window, "Temporal attention");
  gtk_window_set_default_size (self->attention_window, 460, 500);
  gtk_window_set_hide_on_close (self->attention_window, TRUE);
  root = gtk_widget_get_root (GTK_WIDGET (self));
  if (GTK_IS_WINDOW (root))
    gtk_window_set_transient_for (self->attention_window, GTK_WINDOW (root));
  shortcuts = gtk_shortcut_controller_new ();
  gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (shortcuts),
                                        gtk_shortcut_new (gtk_keyval_trigger_new (GDK_KEY_Escape, 0),
                                                          gtk_named_action_new ("window.close")));
  gtk_widget_add_controller (GTK_WIDGET (self->attention_window), shortcuts);
  return self->attention_window;
}

void
ecg_record_view_show_time_attention (EcgRecordView *self,
                                     double         x)
{
  EcgPlotStyle style;
  EcgPlotLayout layout;
  GtkWidget *child;
  double t = 0, mv;
  gssize w = -1;

  g_return_if_fail (ECG_IS_RECORD_VIEW (self));

  if (!ecg_record_view_get_page (self, &style, &layout))
    return;
  if (ecg_plot_layout_hit (&layout, &style, x, self->pointer_y >= 0 ? self->pointer_y : layout.panels[0].baseline,
                           &t, &mv) < 0)
    t = self->t0 + span (self) / 2;
  if (self->has_score && self->score.windows.time_attn)
    w = window_at (&self->score, t);
  if (w >= 0)
    {
      AttentionDraw *a = g_new0 (AttentionDraw, 1);
      const EcgWindows *win = &self->score.windows;

      *a = (AttentionDraw) { win->time_attn + (size_t) w * win->T * win->T, win->T, self->score.fs,
                             win->starts[w] / self->score.fs, style.dark, self->px_per_mm };
      child = gtk_drawing_area_new ();
      gtk_widget_set_size_request (child, 320, 360);
      gtk_drawing_area_set_draw_func (GTK_DRAWING_AREA (child), draw_attention, a, g_free);
    }
  else
    {
      child = gtk_label_new (!self->has_score ? "No model: nothing to show"
                             : !self->model.has_time_attention ? "This model has no temporal attention"
                             : "Temporal attention was not kept when this record was scored");
    }
  gtk_window_set_child (attention_window (self), child);
  gtk_window_present (self->attention_window);
}

/* ---- GObject ---- */

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
    case PROP_TIME_ZOOM:
      g_value_set_double (value, self->time_zoom);
      break;
    case PROP_LAYOUT:
      g_value_set_int (value, self->layout);
      break;
    case PROP_THRESHOLD:
      g_value_set_double (value, self->threshold);
      break;
    case PROP_CALIPERS:
      g_value_set_boolean (value, self->calipers);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ecg_record_view_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  EcgRecordView *self = ECG_RECORD_VIEW (object);

  switch (prop_id)
    {
    case PROP_LAYOUT:
      ecg_record_view_set_layout (self, g_value_get_int (value));
      break;
    case PROP_THRESHOLD:
      ecg_record_view_set_threshold (self, g_value_get_double (value));
      break;
    case PROP_CALIPERS:
      if (self->calipers == g_value_get_boolean (value))
        return;
      self->calipers = g_value_get_boolean (value);
      g_object_notify_by_pspec (object, pspec);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
drop_score (EcgRecordView *self)
{
  ecg_record_score_clear (&self->score);
  ecg_plot_scored_clear (&self->shown);
  self->has_score = FALSE;
}

static void
ecg_record_view_dispose (GObject *object)
{
  EcgRecordView *self = ECG_RECORD_VIEW (object);

  g_clear_pointer (&self->attention_window, gtk_window_destroy);
  g_clear_object (&self->page);
  G_OBJECT_CLASS (ecg_record_view_parent_class)->dispose (object);
}

static void
ecg_record_view_finalize (GObject *object)
{
  EcgRecordView *self = ECG_RECORD_VIEW (object);

  ecg_record_clear (&self->record);
  drop_score (self);
  G_OBJECT_CLASS (ecg_record_view_parent_class)->finalize (object);
}

static void
ecg_record_view_class_init (EcgRecordViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = ecg_record_view_get_property;
  object_class->set_property = ecg_record_view_set_property;
  object_class->dispose = ecg_record_view_dispose;
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
  properties[PROP_TIME_ZOOM] =
    g_param_spec_double ("time-zoom", NULL, NULL, 1.0, ECG_RECORD_VIEW_MAX_TIME_ZOOM, 1.0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LAYOUT] =
    g_param_spec_int ("layout", NULL, NULL, 0, ECG_PLOT_N_LAYOUTS - 1, ECG_PLOT_LAYOUT_12X1,
                      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_THRESHOLD] =
    g_param_spec_double ("threshold", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0.0,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CALIPERS] =
    g_param_spec_boolean ("calipers", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "ecgrecordview");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
ecg_record_view_init (EcgRecordView *self)
{
  GtkEventController *controller;
  GtkGesture *gesture;

  self->px_per_mm = ECG_PLOT_DEFAULT_PX_PER_MM;
  self->zoom = 1.0;
  self->time_zoom = 1.0;
  self->pointer_x = self->pointer_y = -1;
  self->caliper[0] = -1;
  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);

  controller = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_VERTICAL);
  g_signal_connect (controller, "scroll", G_CALLBACK (on_scroll), self);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);

  controller = gtk_event_controller_motion_new ();
  g_signal_connect (controller, "motion", G_CALLBACK (on_motion), self);
  g_signal_connect (controller, "leave", G_CALLBACK (on_leave), self);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);

  gesture = gtk_gesture_drag_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (gesture), GDK_BUTTON_PRIMARY);
  g_signal_connect (gesture, "drag-begin", G_CALLBACK (on_drag_begin), self);
  g_signal_connect (gesture, "drag-update", G_CALLBACK (on_drag_update), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (gesture));

  gesture = gtk_gesture_click_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (gesture), GDK_BUTTON_SECONDARY);
  g_signal_connect (gesture, "pressed", G_CALLBACK (on_right_click), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (gesture));

  controller = gtk_event_controller_key_new ();
  g_signal_connect (controller, "key-pressed", G_CALLBACK (on_key), self);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);
}

GtkWidget *
ecg_record_view_new (void)
{
  return g_object_new (ECG_TYPE_RECORD_VIEW, NULL);
}

/* A new record or score: the whole of it, no caliper. */
static void
reset_view (EcgRecordView *self)
{
  self->generation++;
  self->time_zoom = 1.0;
  self->t0 = 0;
  self->caliper[0] = -1;
  update_readouts (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TIME_ZOOM]);
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

void
ecg_record_view_take_record (EcgRecordView *self,
                             EcgRecord     *record)
{
  g_return_if_fail (ECG_IS_RECORD_VIEW (self));

  drop_score (self);
  ecg_record_clear (&self->record);
  if (record != NULL)
    {
      self->record = *record;
      memset (record, 0, sizeof *record);
    }
  reset_view (self);
}

void
ecg_record_view_take_score (EcgRecordView          *self,
                            EcgRecordScore         *score,
                            const EcgPlotModelInfo *model)
{
  EcgError err = { 0 };

  g_return_if_fail (ECG_IS_RECORD_VIEW (self));
  g_return_if_fail (score == NULL || model != NULL);

  drop_score (self);
  if (score != NULL)
    {
      self->score = *score;
      memset (score, 0, sizeof *score);
      self->model = *model;
      self->has_score = ecg_plot_scored_init (&self->shown, &self->score, self->record.id, &err) == ECG_OK;
      if (!self->has_score)
        {
          g_warning ("%s", err.message);
          ecg_record_score_clear (&self->score);
        }
    }
  reset_view (self);
}

const EcgRecord *
ecg_record_view_get_record (EcgRecordView *self)
{
  g_return_val_if_fail (ECG_IS_RECORD_VIEW (self), NULL);

  return shown_record (self)->n_leads > 0 ? shown_record (self) : NULL;
}

gboolean
ecg_record_view_has_score (EcgRecordView *self)
{
  g_return_val_if_fail (ECG_IS_RECORD_VIEW (self), FALSE);

  return self->has_score;
}

void
ecg_record_view_set_threshold (EcgRecordView *self,
                               double         tau)
{
  g_return_if_fail (ECG_IS_RECORD_VIEW (self));

  if (tau == self->threshold)
    return;
  self->threshold = tau;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_THRESHOLD]);
}

double
ecg_record_view_get_threshold (EcgRecordView *self)
{
  g_return_val_if_fail (ECG_IS_RECORD_VIEW (self), 0.0);

  return self->threshold;
}

void
ecg_record_view_set_layout (EcgRecordView     *self,
                            EcgPlotLayoutKind  layout)
{
  g_return_if_fail (ECG_IS_RECORD_VIEW (self));
  g_return_if_fail (layout < ECG_PLOT_N_LAYOUTS);

  if (layout == self->layout)
    return;
  self->layout = layout;
  update_readouts (self);
  gtk_widget_queue_resize (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAYOUT]);
}

EcgPlotLayoutKind
ecg_record_view_get_layout (EcgRecordView *self)
{
  g_return_val_if_fail (ECG_IS_RECORD_VIEW (self), ECG_PLOT_LAYOUT_12X1);

  return self->layout;
}

void
ecg_record_view_zoom_at (EcgRecordView *self,
                         double         factor,
                         double         x)
{
  EcgPlotStyle style;
  EcgPlotLayout layout;
  double px_per_s, t_at, time_zoom;

  g_return_if_fail (ECG_IS_RECORD_VIEW (self));

  if (!ecg_record_view_get_page (self, &style, &layout))
    return;
  time_zoom = factor > 0 ? CLAMP (self->time_zoom * factor, 1.0, ECG_RECORD_VIEW_MAX_TIME_ZOOM) : 1.0;
  if (x < layout.trace_x || x > layout.trace_x + layout.trace_width)
    x = layout.trace_x + layout.trace_width / 2;
  /* the time under x on the first row (the rhythm strip's scale in 3×4) stays there */
  px_per_s = style.scale.mm_per_s * ecg_plot_scale_unit (&style.scale);
  t_at = self->t0 + (x - layout.trace_x) / px_per_s;
  px_per_s *= time_zoom / self->time_zoom;
  self->time_zoom = time_zoom;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TIME_ZOOM]);
  set_t0 (self, t_at - (x - layout.trace_x) / px_per_s);
}

void
ecg_record_view_zoom (EcgRecordView *self,
                      double         factor)
{
  ecg_record_view_zoom_at (self, factor, -1);
}

void
ecg_record_view_pan (EcgRecordView *self,
                     double         dx)
{
  EcgPlotStyle style;
  EcgPlotLayout layout;

  g_return_if_fail (ECG_IS_RECORD_VIEW (self));

  if (ecg_record_view_get_page (self, &style, &layout))
    set_t0 (self, self->t0 - dx / (style.scale.mm_per_s * ecg_plot_scale_unit (&style.scale)));
}

void
ecg_record_view_pointer_at (EcgRecordView *self,
                            double         x,
                            double         y)
{
  g_return_if_fail (ECG_IS_RECORD_VIEW (self));

  self->pointer_x = x;
  self->pointer_y = y;
  update_readouts (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
ecg_record_view_set_caliper (EcgRecordView *self,
                             double         x0,
                             double         y0,
                             double         x1,
                             double         y1)
{
  g_return_if_fail (ECG_IS_RECORD_VIEW (self));

  self->caliper[0] = x0, self->caliper[1] = y0, self->caliper[2] = x1, self->caliper[3] = y1;
  update_readouts (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

double
ecg_record_view_get_time_zoom (EcgRecordView *self)
{
  g_return_val_if_fail (ECG_IS_RECORD_VIEW (self), 1.0);

  return self->time_zoom;
}

double
ecg_record_view_get_t0 (EcgRecordView *self)
{
  g_return_val_if_fail (ECG_IS_RECORD_VIEW (self), 0.0);

  return self->t0;
}

const char *
ecg_record_view_get_crosshair_text (EcgRecordView *self)
{
  g_return_val_if_fail (ECG_IS_RECORD_VIEW (self), "");

  return self->crosshair_text;
}

const char *
ecg_record_view_get_caliper_text (EcgRecordView *self)
{
  g_return_val_if_fail (ECG_IS_RECORD_VIEW (self), "");

  return self->caliper_text;
}

guint
ecg_record_view_get_n_flagged (EcgRecordView *self)
{
  EcgPlotStyle style;
  EcgPlotLayout layout;
  EcgPlotOverlay ov;
  guint n = 0;

  g_return_val_if_fail (ECG_IS_RECORD_VIEW (self), 0);

  if (!self->has_score || !ecg_record_view_get_page (self, &style, &layout))
    return 0;
  overlay_of (self, &ov);
  for (size_t i = 0; i < layout.n_panels; i++)
    n += ecg_plot_lead_flagged (&ov, layout.panels[i].lead);
  return n;
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

  if (shown_record (self)->n_leads == 0)
    return FALSE;
  page_at_zoom (self, self->zoom, style, layout);
  return TRUE;
}

gboolean
ecg_record_view_export (EcgRecordView *self,
                        const char    *path,
                        GError       **error)
{
  EcgPlotStyle shown, print;
  EcgPlotLayout layout;
  EcgPlotOverlay ov;
  EcgError err = { 0 };

  g_return_val_if_fail (ECG_IS_RECORD_VIEW (self), FALSE);

  if (!ecg_record_view_get_page (self, &shown, &layout))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: no record is shown", path);
      return FALSE;
    }
  /* what is shown (span, paper speed, gain), on light paper at print resolution and true size */
  ecg_plot_style_init (&print, ECG_PLOT_PRINT_PX_PER_MM, false);
  print.scale.mm_per_s = shown.scale.mm_per_s;
  print.scale.mm_per_mv = shown.scale.mm_per_mv;
  overlay_of (self, &ov);
  if (ecg_plot_export (path, shown_record (self), self->has_score ? &ov : NULL, self->layout, self->t0,
                       span (self), &print, &err) != ECG_OK)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, err.message);
      return FALSE;
    }
  return TRUE;
}
