/* Suite ui: the real ecglens window under Xvfb — the demo opened, its 12 leads
 * drawn on calibrated paper, the page shrunk to fit a narrow window with the
 * scale it shows, records changed and the application quit by real key presses
 * (XTest), a bad file reported in the banner, both styles legible.
 *
 * Assertions are on widget state and on the pixels GTK renders: the window (as
 * a user sees it) and the record view (the whole page, scrolled or not),
 * rendered with the window's own GskRenderer. Screenshots are saved in the
 * build tree (tests/ui-*.png) for a person to look at. Without a display the
 * whole suite is skipped. */
#include <limits.h>

#include <gdk/x11/gdkx.h>
#include <gtk/gtk.h>
#include <X11/extensions/XTest.h>
#include <X11/keysym.h>

#include "ecg-application.h"
#include "ecg-blas-kernels.h"
#include "ecg-core-error.h"
#include "ecg-model-entry.h"
#include "ecg-record-list.h"
#include "ecg-plot.h"
#include "ecg-record-view.h"
#include "ecg-window.h"
#include "test-gtk.h"

static EcgApplication *app;
static EcgWindow *window;

/* ---- main loop ---- */

static void
count_paint (GdkFrameClock *clock,
             int           *paints)
{
  (*paints)++;
}

/* Run the main loop until the window has painted twice more (a frame for the
 * change, and one more so that nothing queued by the first is pending), or 3 s
 * have passed. */
static gboolean
wait_for_paint (GtkWidget *widget)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (widget);
  gint64 end = g_get_monotonic_time () + 3 * G_USEC_PER_SEC;
  int paints = 0;
  gulong id;

  if (clock == NULL)
    return FALSE;
  id = g_signal_connect (clock, "after-paint", G_CALLBACK (count_paint), &paints);
  for (int frame = 1; frame <= 2; frame++)
    {
      gtk_widget_queue_draw (widget);
      while (paints < frame && g_get_monotonic_time () < end)
        if (!g_main_context_iteration (NULL, FALSE))
          g_usleep (1000);
    }
  g_signal_handler_disconnect (clock, id);
  return paints >= 2;
}

/* ---- pixels ---- */

/* A capture of widget as a user sees it, saved as png_name when not NULL. */
static Shot
capture (GtkWidget  *widget,
         const char *png_name)
{
  g_autoptr(GdkTexture) texture = test_render_widget (widget);

  if (png_name != NULL)
    test_save_png (texture, png_name);
  return test_shot_of (texture);
}

/* A stretch [from, to) of pixels across the lines being looked for. */
typedef struct
{
  int from, to;
} Span;

/* Positions of grid lines of colour c between from and to, along x (vertical
 * lines, vertical = TRUE) or along y: those where more than half the pixels of
 * the line within the spans have the colour. Adjacent positions count once.
 * Returns how many were found. */
static int
find_lines (const Shot         *shot,
            const EcgPlotColor *c,
            gboolean            vertical,
            int                 from,
            int                 to,
            const Span         *spans,
            int                 n_spans,
            int                *out,
            int                 max)
{
  int n = 0;

  for (int i = from; i < to; i++)
    {
      int hits = 0, total = 0;

      for (int k = 0; k < n_spans; k++)
        for (int j = spans[k].from; j < spans[k].to; j++, total++)
          hits += vertical ? test_shot_is_color (shot, i, j, c) : test_shot_is_color (shot, j, i, c);
      if (hits * 2 <= total)
        continue;
      if (n > 0 && i - out[n - 1] <= 1)
        continue;
      if (n < max)
        out[n++] = i;
    }
  return n;
}

/* The largest difference between consecutive positions and step. */
static double
worst_spacing_error (const int *pos,
                     int        n,
                     double     step)
{
  double worst = 0;

  for (int i = 1; i < n; i++)
    worst = fmax (worst, fabs (pos[i] - pos[i - 1] - step));
  return worst;
}

/* Mean y of the ink in column x between y0 and y1, or -1 when there is none. */
static double
ink_y (const Shot *shot,
       int         x,
       int         y0,
       int         y1)
{
  double sum = 0;
  int n = 0;

  for (int y = MAX (y0, 0); y < MIN (y1, shot->height); y++)
    if (test_shot_is_ink (shot, x, y))
      sum += y, n++;
  return n ? sum / n : -1;
}

static double
record_duration (const EcgRecord *rec)
{
  return rec->n_samples / rec->fs;
}

/* ---- the window ---- */

static EcgRecordView *
record_view (void)
{
  return ECG_RECORD_VIEW (gtk_widget_get_template_child (GTK_WIDGET (window), ECG_TYPE_WINDOW, "record_view"));
}

static const char *
template_label_text (const char *name)
{
  return gtk_label_get_text (GTK_LABEL (gtk_widget_get_template_child (GTK_WIDGET (window), ECG_TYPE_WINDOW, name)));
}

/* The density the view should use: the monitor's, when it is believable. */
static double
expected_px_per_mm (void)
{
  GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (window));
  GdkMonitor *monitor = gdk_display_get_monitor_at_surface (gdk_surface_get_display (surface), surface);
  GdkRectangle geometry;
  double px_per_mm;

  if (monitor == NULL || gdk_monitor_get_width_mm (monitor) <= 0)
    return ECG_PLOT_DEFAULT_PX_PER_MM;
  gdk_monitor_get_geometry (monitor, &geometry);
  px_per_mm = (double) geometry.width / gdk_monitor_get_width_mm (monitor);
  printf ("#   monitor %d x %d px, %d x %d mm: %.3f px/mm\n", geometry.width, geometry.height,
          gdk_monitor_get_width_mm (monitor), gdk_monitor_get_height_mm (monitor), px_per_mm);
  return px_per_mm >= 2 && px_per_mm <= 20 ? px_per_mm : ECG_PLOT_DEFAULT_PX_PER_MM;
}

/* The zoom at which the whole 12 × 1 page of the record shown fits the view's
 * width: 100% (true size) when it fits, never below the view's least zoom. */
static double
fitted_zoom (EcgRecordView *view)
{
  EcgPlotStyle true_style;
  EcgPlotLayout true_layout;

  ecg_plot_style_init (&true_style, expected_px_per_mm (), FALSE);
  ecg_plot_layout_compute (&true_layout, ECG_PLOT_LAYOUT_12X1, 0, 0, 12, 0,
                           record_duration (ecg_record_view_get_record (view)), 0, &true_style);
  return CLAMP (gtk_widget_get_width (GTK_WIDGET (view)) / true_layout.width, ECG_RECORD_VIEW_MIN_ZOOM, 1.0);
}

/* The pointer off the window (Xvfb's screen is larger), so no crosshair is drawn. */
static void
move_pointer_away (void)
{
  GdkDisplay *display = gtk_widget_get_display (GTK_WIDGET (window));

  if (!GDK_IS_X11_DISPLAY (display))
    return;
  XTestFakeMotionEvent (gdk_x11_display_get_xdisplay (display), -1, 1910, 1070, 0);
  XFlush (gdk_x11_display_get_xdisplay (display));
  test_iterate (100);
}

static void
resize_window (int width,
               int height)
{
  gtk_window_set_default_size (GTK_WINDOW (window), width, height);
  for (int i = 0; i < 100 && gtk_widget_get_width (GTK_WIDGET (window)) != width; i++)
    test_iterate (20);
  wait_for_paint (GTK_WIDGET (window));
}

/* Checks one wave peak of lead i against the pixels: the largest local
 * extremum between 0.3 and 1 mV that is the largest deflection within 100 ms
 * and whose neighbouring rows stay within 0.5 mV meanwhile (so no other trace
 * comes near). The outermost ink around it must be where the paper speed and
 * gain put the sample, within 2 px vertically (a gain 10% off moves a 1 mV peak
 * by 3.8 px at 100%) and 4 px in time (the top of a T wave is broad). Returns whether such a peak was found. */
static int
check_peak (const Shot          *shot,
            const EcgRecord     *rec,
            size_t               i,
            const EcgPlotPanel  *row,
            const EcgPlotLayout *layout,
            double               px_per_s,
            double               px_per_mv)
{
  const float *x = ecg_record_lead (rec, i);
  size_t w = (size_t) (0.1 * rec->fs), best = SIZE_MAX;
  double ex, ey, extreme = NAN, col_sum = 0;
  int n_cols = 0, win = (int) ceil (4 * px_per_mv / 10);  /* 4 mm */

  for (size_t s = w; s + w < rec->n_samples && s / rec->fs < layout->duration; s++)
    {
      gboolean ok = fabs (x[s]) >= 0.3 && fabs (x[s]) <= 1.0;

      for (size_t k = s - w; k <= s + w && ok; k++)
        ok = fabs (x[k]) <= fabs (x[s]) && (i == 0 || fabs (ecg_record_lead (rec, i - 1)[k]) < 0.5) &&
             (i + 1 >= rec->n_leads || fabs (ecg_record_lead (rec, i + 1)[k]) < 0.5);
      if (ok && (best == SIZE_MAX || fabs (x[s]) > fabs (x[best])))
        best = s;
    }
  if (best == SIZE_MAX)
    {
      printf ("#   row %zu: no isolated peak to measure\n", i);
      return 0;
    }
  ex = layout->trace_x + best / rec->fs * px_per_s;
  ey = row->baseline - x[best] * px_per_mv;
  /* the outermost ink within 8 px and 4 mm, and the columns that reach it */
  for (int pass = 0; pass < 2; pass++)
    for (int px = (int) ex - 8; px <= (int) ex + 8; px++)
      for (int py = (int) fmax (ey - win, layout->rows_y); py <= (int) fmin (ey + win, layout->axis_y - 1); py++)
        {
          if (!test_shot_is_ink (shot, px, py))
            continue;
          if (pass == 0 && (isnan (extreme) || (x[best] > 0 ? py < extreme : py > extreme)))
            extreme = py;
          if (pass == 1 && py == extreme)
            col_sum += px, n_cols++;
        }
  CHECK_MSG (!isnan (extreme) && fabs (extreme - ey) <= 2.0 && fabs (col_sum / n_cols - ex) <= 4.0,
             "row %zu: %.2f mV at %.3f s drawn at (%.1f, %.0f), expected (%.1f, %.1f)", i, x[best],
             best / rec->fs, n_cols ? col_sum / n_cols : -1, extreme, ex, ey);
  return 1;
}

/* Checks that the page in shot (a capture of the record view) is drawn at the
 * scale the view reports: the 5 mm and 1 mm grid, the 1 mV × 200 ms pulses,
 * every lead's trace where its samples say, and the lead names. */
static void
check_page (const Shot          *shot,
            const EcgRecord     *rec,
            const EcgPlotStyle  *style,
            const EcgPlotLayout *layout)
{
  double unit = ecg_plot_scale_unit (&style->scale);
  double px_per_s = style->scale.mm_per_s * unit, px_per_mv = style->scale.mm_per_mv * unit;
  int trace_x0 = (int) ceil (layout->trace_x), trace_x1 = (int) floor (layout->trace_x + layout->trace_width);
  int rows_y0 = (int) ceil (layout->rows_y), rows_y1 = (int) floor (layout->axis_y);
  int pos[512], n, amplitude_rows = 0;
  double worst;

  CHECK_MSG (layout->width <= shot->width + 1 && layout->height <= shot->height + 1,
             "page %.0f x %.0f, view %d x %d", layout->width, layout->height, shot->width, shot->height);

  /* 5 mm lines, vertical and horizontal, at 5 mm × px/mm × zoom (± 1 px), found
   * where no trace runs: vertical ones in the header and axis bands, horizontal
   * ones in the margins left of the pulses and right of the traces */
  Span bands[2] = { { (int) layout->y + 1, rows_y0 - 1 }, { rows_y1 + 1, (int) (layout->y + layout->height) - 1 } };
  Span margins[2] = { { (int) layout->x + 1, (int) layout->pulse_x - 1 },
                      { trace_x1 + 2, (int) (layout->x + layout->width) - 1 } };

  n = find_lines (shot, &style->colors.grid_major, TRUE, trace_x0 - 2, trace_x1 + 2, bands, 2, pos, 512);
  worst = worst_spacing_error (pos, n, 5 * unit);
  printf ("#   %d vertical 5 mm lines, %.2f px apart (first at %d, t = 0 at %.1f), worst off by %.2f px\n", n,
          n > 1 ? (double) (pos[n - 1] - pos[0]) / (n - 1) : 0.0, n ? pos[0] : -1, layout->trace_x, worst);
  CHECK_MSG (n == (int) floor (layout->duration * style->scale.mm_per_s / 5 + 1e-9) + 1, "%d vertical 5 mm lines", n);
  CHECK (worst <= 1.0);
  CHECK (n > 0 && fabs (pos[0] - layout->trace_x) <= 1.0);  /* t = 0 on a 5 mm line */
  n = find_lines (shot, &style->colors.grid_major, FALSE, rows_y0 - 1, rows_y1 + 1, margins, 2, pos, 512);
  worst = worst_spacing_error (pos, n, 5 * unit);
  printf ("#   %d horizontal 5 mm lines, worst off by %.2f px\n", n, worst);
  CHECK_MSG (n == (int) layout->n_rows * ECG_PLOT_ROW_MM / 5 + 1, "%d horizontal 5 mm lines", n);
  CHECK (worst <= 1.0);

  /* four 1 mm lines inside each 5 mm square */
  n = find_lines (shot, &style->colors.grid_minor, TRUE, (int) layout->trace_x + 1, (int) (layout->trace_x + 5 * unit) - 1,
                  bands, 2, pos, 512);
  CHECK_MSG (n == 4, "%d minor lines inside a 5 mm square", n);
  CHECK (worst_spacing_error (pos, n, unit) <= 1.0);

  for (size_t i = 0; i < layout->n_rows && i < rec->n_leads; i++)
    {
      EcgPlotPanel row;
      int band0, band1, covered = 0;
      double base_y, top_y, rise = -1, fall = -1, mid;

      row = layout->panels[i];
      band0 = (int) row.y, band1 = (int) (row.y + row.height);

      /* calibration pulse: 10 mm × zoom high, 5 mm × zoom (200 ms) wide */
      base_y = ink_y (shot, (int) (row.pulse_x + 1.0 * unit), band0, band1);
      top_y = ink_y (shot, (int) (row.pulse_x + 4.5 * unit), (int) (row.baseline - 12 * unit),
                     (int) (row.baseline - 8 * unit));
      mid = row.baseline - 5 * unit;
      for (int px = (int) row.pulse_x; px < (int) row.trace_x; px++)
        if (test_shot_is_ink (shot, px, (int) mid))
          {
            if (rise < 0)
              rise = px;
            fall = px;
          }
      CHECK_MSG (fabs (base_y - row.baseline) <= 1.0 && fabs (base_y - top_y - 10 * unit) <= 1.5,
                 "row %zu: pulse from y %.1f to %.1f, expected %.1f px high", i, base_y, top_y, 10 * unit);
      CHECK_MSG (fabs (fall - rise - 5 * unit) <= 2.0, "row %zu: pulse %.0f px wide, expected %.1f", i,
                 fall - rise, 5 * unit);

      /* the trace runs across the whole row */
      for (int px = trace_x0 + 1; px < trace_x1 - 1; px++)
        {
          gboolean ink = FALSE;

          for (int py = band0; py < band1 && !ink; py++)
            ink = test_shot_is_ink (shot, px, py);
          covered += ink;
        }
      CHECK_MSG (covered >= 0.95 * (trace_x1 - trace_x0 - 2), "row %zu: trace in %d of %d columns", i, covered,
                 trace_x1 - trace_x0 - 2);

      /* and a wave's peak is where 25 mm/s and 10 mm/mV put it */
      amplitude_rows += check_peak (shot, rec, i, &row, layout, px_per_s, px_per_mv);
    }
  CHECK_MSG (amplitude_rows >= 8, "peak position checked in %d rows", amplitude_rows);

  /* lead names on their plates (which hide the trace beneath): ink there, and
   * more of it for "aVR" than for "I" */
  {
    cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 1, 1);
    cairo_t *cr = cairo_create (surface);
    int ink_of[12] = { 0 };
    double h = ecg_plot_label_height (style);

    for (size_t i = 0; i < layout->n_rows && i < rec->n_leads && i < 12; i++)
      {
        EcgPlotPanel row;
        double w = ecg_plot_label_width (cr, rec->leads[i].name, style);

        row = layout->panels[i];
        for (int y = (int) row.label_y; y < (int) (row.label_y + h); y++)
          for (int x = (int) row.label_x; x < (int) (row.label_x + w); x++)
            ink_of[i] += test_shot_is_ink (shot, x, y);
        CHECK_MSG (ink_of[i] > 5, "label of row %zu has %d dark pixels", i, ink_of[i]);
      }
    CHECK_MSG (ink_of[3] > 2 * ink_of[0], "\"aVR\" has %d dark pixels, \"I\" %d", ink_of[3], ink_of[0]);
    cairo_destroy (cr);
    cairo_surface_destroy (surface);
  }

  /* the scale, printed in the top right corner of the header */
  {
    int ink = 0;

    for (int y = (int) layout->y; y < (int) (layout->y + layout->header_height); y++)
      for (int x = (int) (layout->x + layout->width - 30 * unit); x < (int) (layout->x + layout->width); x++)
        ink += test_shot_is_ink (shot, x, y);
    CHECK_MSG (ink > 50, "%d dark pixels where the scale is printed", ink);
  }
}

/* ---- tests ---- */

static void
test_demo_shows_twelve_calibrated_leads (void)
{
  g_autofree char *demo = ecg_application_find_demo ();
  g_autoptr(GError) error = NULL;
  g_auto(Shot) win_shot = { 0 };
  g_auto(Shot) shot = { 0 };
  EcgRecordView *view = record_view ();
  EcgPlotStyle style;
  EcgPlotLayout layout;

  SKIP_IF (demo == NULL, "no demo dataset");
  /* a new window starts with a model: the one with attention */
  CHECK_MSG (ecg_window_get_model_kind (window) == ECG_MODEL_VAE_BILSTM_MHA, "model kind %d at start",
             ecg_window_get_model_kind (window));
  CHECK (ecg_window_open (window, demo, &error));
  /* the paper and its scale first, with the signal alone */
  CHECK (ecg_window_select_model (window, 0));
  CHECK (wait_for_paint (GTK_WIDGET (window)));
  CHECK (ecg_window_get_error (window) == NULL);
  CHECK (ecg_window_get_record_index (window) == 0);
  CHECK_MSG (strstr (template_label_text ("subtitle"), "demo.h5") != NULL, "subtitle \"%s\"",
             template_label_text ("subtitle"));
  SKIP_IF (!ecg_record_view_get_page (view, &style, &layout), "no record shown");

  /* true size when the page fits the view's width, else fitted */
  CHECK_NEAR (ecg_record_view_get_px_per_mm (view), expected_px_per_mm (), 1e-9);
  CHECK_NEAR (ecg_record_view_get_zoom (view), fitted_zoom (view), 1e-9);
  CHECK (ecg_record_view_get_record (view)->n_leads == 12);

  win_shot = capture (GTK_WIDGET (window), "ui-12x1.png");
  shot = capture (GTK_WIDGET (view), "ui-12x1-page.png");
  printf ("#   %.3f px/mm, zoom %.2f, page %.0f x %.0f in a %d x %d window\n", style.scale.px_per_mm,
          style.scale.zoom, layout.width, layout.height, win_shot.width, win_shot.height);
  check_page (&shot, ecg_record_view_get_record (view), &style, &layout);
}

static void
test_narrow_window_shrinks_the_page_and_says_so (void)
{
  EcgRecordView *view = record_view ();
  EcgPlotStyle style, before_style;
  EcgPlotLayout layout, before_layout;
  g_auto(Shot) shot = { 0 };
  int old_width = gtk_widget_get_width (GTK_WIDGET (window)), old_height = gtk_widget_get_height (GTK_WIDGET (window));
  char scale[96];

  SKIP_IF (!ecg_record_view_get_page (view, &before_style, &before_layout), "no record shown");
  resize_window (700, 700);
  move_pointer_away ();
  CHECK (ecg_record_view_get_page (view, &style, &layout));
  printf ("#   window %d px wide: view %d px, zoom %.3f\n", gtk_widget_get_width (GTK_WIDGET (window)),
          gtk_widget_get_width (GTK_WIDGET (view)), ecg_record_view_get_zoom (view));
  CHECK (ecg_record_view_get_zoom (view) < 0.75);
  CHECK_NEAR (layout.width, gtk_widget_get_width (GTK_WIDGET (view)), 1.0);  /* fits the width */
  ecg_plot_scale_format (&style.scale, scale, sizeof scale);
  printf ("#   printed scale: %s\n", scale);
  CHECK (strstr (scale, "%)") != NULL && strstr (scale, "25 mm/s") == NULL);

  g_free (capture (GTK_WIDGET (window), "ui-12x1-narrow.png").data);
  shot = capture (GTK_WIDGET (view), NULL);
  check_page (&shot, ecg_record_view_get_record (view), &style, &layout);

  resize_window (old_width, old_height);
  CHECK_NEAR (ecg_record_view_get_zoom (view), fitted_zoom (view), 1e-9);
}

/* A real key press into toplevel: XTest makes the X server deliver it as if typed. */
static void
press_key_into (GtkWindow *toplevel,
                KeySym     keysym,
                gboolean   control)
{
  GdkDisplay *display = gtk_widget_get_display (GTK_WIDGET (toplevel));
  Display *xdisplay = gdk_x11_display_get_xdisplay (display);
  Window xid = gdk_x11_surface_get_xid (gtk_native_get_surface (GTK_NATIVE (toplevel)));
  KeyCode code = XKeysymToKeycode (xdisplay, keysym);
  KeyCode ctrl = XKeysymToKeycode (xdisplay, XK_Control_L);

  XSetInputFocus (xdisplay, xid, RevertToParent, CurrentTime);
  if (control)
    XTestFakeKeyEvent (xdisplay, ctrl, True, 0);
  XTestFakeKeyEvent (xdisplay, code, True, 0);
  XTestFakeKeyEvent (xdisplay, code, False, 0);
  if (control)
    XTestFakeKeyEvent (xdisplay, ctrl, False, 0);
  XFlush (xdisplay);
  test_iterate (300);
}

/* A real key press into the main window. */
static void
press_key (KeySym   keysym,
           gboolean control)
{
  press_key_into (GTK_WINDOW (window), keysym, control);
}

static gboolean
can_press_keys (void)
{
  int event, error, major, minor;
  GdkDisplay *display = gtk_widget_get_display (GTK_WIDGET (window));

  return GDK_IS_X11_DISPLAY (display) &&
         XTestQueryExtension (gdk_x11_display_get_xdisplay (display), &event, &error, &major, &minor);
}

static void
test_keys_move_between_records (void)
{
  g_auto(Shot) before = { 0 };
  g_auto(Shot) after = { 0 };

  SKIP_IF (!can_press_keys (), "no X11 display with XTest");
  SKIP_IF (ecg_record_view_get_record (record_view ()) == NULL, "the demo did not open");
  CHECK (ecg_window_get_record_index (window) == 0);
  before = capture (GTK_WIDGET (record_view ()), NULL);

  press_key (XK_j, FALSE);
  CHECK_MSG (ecg_window_get_record_index (window) == 1, "record %zu after j", ecg_window_get_record_index (window));
  CHECK (strstr (template_label_text ("subtitle"), "(2 of ") != NULL);
  wait_for_paint (GTK_WIDGET (window));
  after = capture (GTK_WIDGET (window), "ui-12x1-record2.png");
  shot_clear (&after);
  after = capture (GTK_WIDGET (record_view ()), NULL);
  CHECK (before.width == after.width && before.height == after.height &&
         memcmp (before.data, after.data, before.stride * before.height) != 0);
  press_key (XK_j, FALSE);
  press_key (XK_k, FALSE);
  CHECK (ecg_window_get_record_index (window) == 1);
  press_key (XK_k, FALSE);
  press_key (XK_k, FALSE);  /* at the first record, k does nothing */
  CHECK (ecg_window_get_record_index (window) == 0);
}

/* ---- pointer ---- */

/* Where a point of widget is on the X screen. */
static void
screen_point (GtkWidget *widget,
              double     x,
              double     y,
              int       *sx,
              int       *sy)
{
  GtkNative *native = gtk_widget_get_native (widget);
  GdkSurface *surface = gtk_native_get_surface (native);
  Display *xdisplay = gdk_x11_display_get_xdisplay (gtk_widget_get_display (widget));
  graphene_point_t in_native;
  double nx, ny;
  Window child;

  CHECK (gtk_widget_compute_point (widget, GTK_WIDGET (native), &GRAPHENE_POINT_INIT (x, y), &in_native));
  gtk_native_get_surface_transform (native, &nx, &ny);
  XTranslateCoordinates (xdisplay, gdk_x11_surface_get_xid (surface), DefaultRootWindow (xdisplay),
                         (int) (in_native.x + nx), (int) (in_native.y + ny), sx, sy, &child);
}

/* The pointer moved to (x, y) of widget. */
static void
move_pointer (GtkWidget *widget,
              double     x,
              double     y)
{
  Display *xdisplay = gdk_x11_display_get_xdisplay (gtk_widget_get_display (widget));
  int sx, sy;

  screen_point (widget, x, y, &sx, &sy);
  XTestFakeMotionEvent (xdisplay, -1, sx, sy, 0);
  XFlush (xdisplay);
  test_iterate (100);
}

/* A real drag with the primary button from (x0, y0) to (x1, y1) of widget, in steps. */
static void
drag (GtkWidget *widget,
      double     x0,
      double     y0,
      double     x1,
      double     y1)
{
  Display *xdisplay = gdk_x11_display_get_xdisplay (gtk_widget_get_display (widget));
  int sx, sy;

  screen_point (widget, x0, y0, &sx, &sy);
  XTestFakeMotionEvent (xdisplay, -1, sx, sy, 0);
  XTestFakeButtonEvent (xdisplay, 1, True, 0);
  XFlush (xdisplay);
  test_iterate (50);
  for (int i = 1; i <= 10; i++)
    {
      screen_point (widget, x0 + (x1 - x0) * i / 10, y0 + (y1 - y0) * i / 10, &sx, &sy);
      XTestFakeMotionEvent (xdisplay, -1, sx, sy, 0);
      XFlush (xdisplay);
      test_iterate (20);
    }
  XTestFakeButtonEvent (xdisplay, 1, False, 0);
  XFlush (xdisplay);
  test_iterate (100);
  move_pointer_away ();
}

/* ---- models ---- */

static GListModel *
model_choices (void)
{
  return gtk_drop_down_get_model (GTK_DROP_DOWN (gtk_widget_get_template_child (GTK_WIDGET (window), ECG_TYPE_WINDOW,
                                                                               "model_dropdown")));
}

/* Position in the model selector of the first model of kind, or 0 (none). */
static guint
model_position (EcgModelKind kind)
{
  for (guint i = 0; i < g_list_model_get_n_items (model_choices ()); i++)
    {
      g_autoptr(EcgModelEntry) entry = g_list_model_get_item (model_choices (), i);
      const EcgModelConfig *config = ecg_model_entry_get_config (entry);

      if (config != NULL && config->kind == kind)
        return i;
    }
  return 0;
}

/* Pixels of shot within the rectangle having colour c. */
static int
count_color (const Shot         *shot,
             const EcgPlotColor *c,
             double              x,
             double              y,
             double              width,
             double              height)
{
  int n = 0;

  for (int py = (int) y; py < (int) (y + height); py++)
    for (int px = (int) x; px < (int) (x + width); px++)
      n += test_shot_is_color (shot, px, py, c);
  return n;
}

/* Pixels of shot within the rectangle that are coloured (channels spread by
 * more than saturation), not grey or white. */
static int
count_saturated (const Shot *shot,
                 double      x,
                 double      y,
                 double      width,
                 double      height,
                 double      saturation)
{
  int n = 0;

  for (int py = (int) y; py < (int) (y + height); py++)
    for (int px = (int) x; px < (int) (x + width); px++)
      {
        double rgb[3];

        test_shot_rgb (shot, px, py, rgb);
        n += fmax (rgb[0], fmax (rgb[1], rgb[2])) - fmin (rgb[0], fmin (rgb[1], rgb[2])) > saturation;
      }
  return n;
}

static gboolean
wait_until_idle (int seconds)
{
  gint64 end = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;

  while (ecg_window_is_busy (window) && g_get_monotonic_time () < end)
    test_iterate (50);
  return !ecg_window_is_busy (window);
}

static void
test_every_model_draws_its_reconstruction (void)
{
  static const char *const names[] = { "cae", "vae_bilstm", "vae_bilstm_mha" };
  EcgRecordView *view = record_view ();

  SKIP_IF (ecg_record_view_get_record (view) == NULL, "the demo did not open");
  for (EcgModelKind kind = 0; kind < ECG_MODEL_N_KINDS; kind++)
    {
      g_autofree char *png = g_strdup_printf ("ui-%s-12x1.png", names[kind]);
      g_autofree char *page_png = g_strdup_printf ("ui-%s-12x1-page.png", names[kind]);
      const char *verdict;
      g_auto(Shot) shot = { 0 };
      EcgPlotStyle style;
      EcgPlotLayout layout;
      guint position = model_position (kind);
      int red = 0, attention = 0, strips_error = 0;

      CHECK_MSG (position > 0, "no bundled %s model in the selector", names[kind]);
      if (position == 0)
        continue;
      CHECK (ecg_window_select_model (window, position));
      CHECK (ecg_window_get_model_kind (window) == (int) kind);
      CHECK (wait_for_paint (GTK_WIDGET (window)));
      CHECK (ecg_record_view_has_score (view));
      verdict = ecg_window_get_verdict (window);
      printf ("#   %s: %s\n", names[kind], verdict);
      CHECK_MSG (g_str_has_prefix (verdict, "Anomalous: score ") || g_str_has_prefix (verdict, "Within normal limits"),
                 "verdict \"%s\"", verdict);
      CHECK (ecg_record_view_get_page (view, &style, &layout));
      CHECK (layout.strips & ECG_PLOT_STRIP_ERROR);
      CHECK_MSG (!(layout.strips & ECG_PLOT_STRIP_ATTENTION) == (kind != ECG_MODEL_VAE_BILSTM_MHA),
                 "attention strips %u for %s", layout.strips, names[kind]);
      g_free (capture (GTK_WIDGET (window), png).data);
      shot = capture (GTK_WIDGET (view), page_png);

      /* in every row: the reconstruction in red over the trace, error bars
       * under it, and for the MHA model a coloured attention strip */
      for (size_t i = 0; i < layout.n_panels; i++)
        {
          const EcgPlotPanel *panel = &layout.panels[i];
          int row_red = count_color (&shot, &style.colors.recon, panel->trace_x, panel->y, panel->trace_width,
                                     panel->height);

          CHECK_MSG (row_red > 50, "%s, row %zu: %d red pixels", names[kind], i, row_red);
          red += row_red;
          strips_error += count_saturated (&shot, panel->trace_x, panel->error_y, panel->trace_width,
                                           panel->error_height, 0.25) > 20;
          /* trained attention sits near uniform: most of the strip is pale */
          if (panel->attn_height > 0)
            attention += count_saturated (&shot, panel->trace_x, panel->attn_y, panel->trace_width,
                                          panel->attn_height, 0.08) > panel->trace_width / 4;
        }
      printf ("#   %s: %d red pixels, error bars in %d and attention in %d of %zu rows\n", names[kind], red,
              strips_error, attention, layout.n_panels);
      CHECK (strips_error == (int) layout.n_panels);
      CHECK (attention == (kind == ECG_MODEL_VAE_BILSTM_MHA ? (int) layout.n_panels : 0));
    }
}

static void
test_l_cycles_the_layouts (void)
{
  static const EcgPlotLayoutKind order[] = { ECG_PLOT_LAYOUT_6X2, ECG_PLOT_LAYOUT_3X4, ECG_PLOT_LAYOUT_12X1 };
  EcgRecordView *view = record_view ();

  SKIP_IF (!can_press_keys (), "no X11 display with XTest");
  SKIP_IF (ecg_record_view_get_record (view) == NULL, "the demo did not open");
  CHECK (ecg_record_view_get_layout (view) == ECG_PLOT_LAYOUT_12X1);
  for (guint i = 0; i < G_N_ELEMENTS (order); i++)
    {
      g_autofree char *png = g_strdup_printf ("ui-mha-%s.png", ecg_plot_layout_name (order[i]));
      EcgPlotStyle style;
      EcgPlotLayout layout;
      g_auto(Shot) shot = { 0 };
      int red = 0;

      press_key (XK_l, FALSE);
      for (int k = 0; k < 40 && ecg_record_view_get_layout (view) != order[i]; k++)
        test_iterate (50);
      CHECK_MSG (ecg_record_view_get_layout (view) == order[i], "layout %d after %u presses of l",
                 ecg_record_view_get_layout (view), i + 1);
      CHECK (wait_for_paint (GTK_WIDGET (window)));
      CHECK (ecg_record_view_get_page (view, &style, &layout));
      CHECK (layout.kind == order[i]);
      /* 12 lead panels, plus the rhythm strip in 3 × 4 */
      CHECK_MSG (layout.n_panels == (order[i] == ECG_PLOT_LAYOUT_3X4 ? 13u : 12u), "%zu panels", layout.n_panels);
      g_free (capture (GTK_WIDGET (window), png).data);
      shot = capture (GTK_WIDGET (view), NULL);
      for (size_t p = 0; p < layout.n_panels; p++)
        red += count_color (&shot, &style.colors.recon, layout.panels[p].trace_x, layout.panels[p].y,
                            layout.panels[p].trace_width, layout.panels[p].height) > 20;
      CHECK_MSG (red == (int) layout.n_panels, "reconstruction drawn in %d of %zu panels", red, layout.n_panels);
    }
}

/* The temporal attention window over ours when it is shown, else NULL. */
static GtkWindow *
attention_window (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) toplevel = g_list_model_get_item (toplevels, i);

      if (gtk_window_get_transient_for (toplevel) == GTK_WINDOW (window) &&
          gtk_widget_get_visible (GTK_WIDGET (toplevel)) &&
          g_strcmp0 (gtk_window_get_title (toplevel), "Temporal attention") == 0)
        return toplevel;
    }
  return NULL;
}

static void
test_a_shows_the_temporal_attention (void)
{
  EcgRecordView *view = record_view ();
  EcgPlotStyle style;
  EcgPlotLayout layout;
  GtkWindow *shown;
  double x;

  SKIP_IF (!can_press_keys (), "no X11 display with XTest");
  SKIP_IF (ecg_record_view_get_record (view) == NULL, "the demo did not open");
  CHECK (ecg_window_select_model (window, model_position (ECG_MODEL_VAE_BILSTM_MHA)));
  CHECK (wait_for_paint (GTK_WIDGET (window)));
  CHECK (ecg_record_view_get_page (view, &style, &layout));
  /* a click on lead II at 4 s, and a with the pointer there */
  x = layout.panels[1].trace_x + 4 * style.scale.mm_per_s * ecg_plot_scale_unit (&style.scale);
  drag (GTK_WIDGET (view), x, layout.panels[1].baseline, x, layout.panels[1].baseline);
  move_pointer (GTK_WIDGET (view), x, layout.panels[1].baseline);
  press_key (XK_a, FALSE);
  shown = attention_window ();
  CHECK_MSG (shown != NULL && GTK_IS_DRAWING_AREA (gtk_window_get_child (shown)), "%s",
             shown ? G_OBJECT_TYPE_NAME (gtk_window_get_child (shown)) : "no attention window");
  if (shown != NULL)
    {
      g_auto(Shot) shot = { 0 };
      int coloured;

      wait_for_paint (GTK_WIDGET (shown));
      shot = capture (GTK_WIDGET (shown), "ui-time-attention.png");
      coloured = count_saturated (&shot, 0, 0, shot.width, shot.height, 0.2);
      printf ("#   attention window %d x %d, %d coloured pixels\n", shot.width, shot.height, coloured);
      /* trained attention is near uniform (white): the matrix shows its deviations in colour */
      CHECK (shot.width >= 300 && coloured > shot.width * shot.height / 100);
      /* Escape closes it */
      press_key_into (shown, XK_Escape, FALSE);
      for (int k = 0; k < 40 && attention_window () != NULL; k++)
        test_iterate (50);
      CHECK (attention_window () == NULL);
      move_pointer_away ();
    }

  /* the CAE has none, and says so */
  CHECK (ecg_window_select_model (window, model_position (ECG_MODEL_CAE)));
  ecg_record_view_show_time_attention (view, layout.trace_x + 10);
  shown = attention_window ();
  CHECK (shown != NULL && GTK_IS_LABEL (gtk_window_get_child (shown)) &&
         strstr (gtk_label_get_text (GTK_LABEL (gtk_window_get_child (shown))), "no temporal attention"));
  if (shown != NULL)
    gtk_window_close (shown);
  test_iterate (100);
}

static void
test_slider_rethresholds_the_verdict_and_the_list (void)
{
  GtkWidget *scale = GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (window), ECG_TYPE_WINDOW,
                                                                "threshold_scale"));
  EcgRecordList *list = ECG_RECORD_LIST (gtk_widget_get_template_child (GTK_WIDGET (window), ECG_TYPE_WINDOW,
                                                                        "record_list"));
  GtkAdjustment *adjustment = gtk_range_get_adjustment (GTK_RANGE (scale));
  EcgRecordView *view = record_view ();
  double calibrated, position, lo, hi, width = gtk_widget_get_width (scale), y = gtk_widget_get_height (scale) / 2.0;
  guint n_records, flagged_low, flagged_high, flagged_calibrated;

  SKIP_IF (!can_press_keys (), "no X11 display with XTest");
  SKIP_IF (ecg_record_view_get_record (view) == NULL, "the demo did not open");
  /* the CAE scores the demo in a moment */
  CHECK (ecg_window_select_model (window, model_position (ECG_MODEL_CAE)));
  CHECK (wait_until_idle (60));
  calibrated = ecg_window_get_threshold (window);
  position = gtk_adjustment_get_value (adjustment);
  printf ("#   calibrated tau %.4g at %.3f of the slider; %s\n", calibrated, position, ecg_window_get_verdict (window));
  CHECK (position > 0 && position < 1);
  n_records = ecg_record_list_get_n_visible (list);
  ecg_record_list_set_flagged_only (list, TRUE);
  flagged_calibrated = ecg_record_list_get_n_visible (list);

  /* dragged to the left end: every record scores above τ */
  drag (scale, width / 2, y, -50, y);
  CHECK (gtk_adjustment_get_value (adjustment) == gtk_adjustment_get_lower (adjustment));
  lo = ecg_window_get_threshold (window);
  CHECK (lo < calibrated);
  CHECK_NEAR (ecg_record_view_get_threshold (view), lo, 1e-9);
  CHECK_MSG (g_str_has_prefix (ecg_window_get_verdict (window), "Anomalous"), "verdict at the left end: %s",
             ecg_window_get_verdict (window));
  flagged_low = ecg_record_list_get_n_visible (list);
  CHECK (wait_for_paint (GTK_WIDGET (window)));
  g_free (capture (GTK_WIDGET (window), "ui-slider-low.png").data);
  CHECK (ecg_record_view_get_n_flagged (view) == 12);

  /* to the right end: none does */
  drag (scale, 10, y, width + 50, y);
  CHECK (gtk_adjustment_get_value (adjustment) == gtk_adjustment_get_upper (adjustment));
  hi = ecg_window_get_threshold (window);
  CHECK (hi > calibrated);
  CHECK_NEAR (ecg_record_view_get_threshold (view), hi, 1e-9);
  CHECK_MSG (g_str_has_prefix (ecg_window_get_verdict (window), "Within normal limits"), "verdict at the right end: %s",
             ecg_window_get_verdict (window));
  flagged_high = ecg_record_list_get_n_visible (list);
  CHECK (wait_for_paint (GTK_WIDGET (window)));
  g_free (capture (GTK_WIDGET (window), "ui-slider-high.png").data);
  CHECK (ecg_record_view_get_n_flagged (view) == 0);
  printf ("#   flagged records: %u at the left end (tau %.4g), %u calibrated, %u at the right end (tau %.4g), of %u\n",
          flagged_low, lo, flagged_calibrated, flagged_high, hi, n_records);
  CHECK (flagged_low == n_records && flagged_high == 0);
  CHECK (flagged_calibrated > 0 && flagged_calibrated < n_records);

  /* backslash puts the calibrated τ back */
  press_key (XK_backslash, FALSE);
  CHECK_NEAR (ecg_window_get_threshold (window), calibrated, 1e-12);
  ecg_record_list_set_flagged_only (list, FALSE);
}

/* Bytes a file starts with. */
static gboolean
file_starts_with (const char *path,
                  const char *magic)
{
  g_autofree char *contents = NULL;
  gsize length;

  return g_file_get_contents (path, &contents, &length, NULL) && length > strlen (magic) &&
         memcmp (contents, magic, strlen (magic)) == 0;
}

static void
test_export_writes_the_view (void)
{
  g_autofree char *png = g_build_filename (test_tmpdir (), "export.png", NULL);
  g_autofree char *pdf = g_build_filename (test_tmpdir (), "export.pdf", NULL);
  g_autofree char *svg = g_build_filename (test_tmpdir (), "export.svg", NULL);
  g_autofree char *bad = g_build_filename (test_tmpdir (), "no-such-folder", "export.png", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_auto(Shot) shot = { 0 };
  EcgPlotStyle light;

  SKIP_IF (ecg_record_view_get_record (record_view ()) == NULL, "the demo did not open");
  CHECK (ecg_window_export (window, png, &error));
  CHECK (ecg_window_export (window, pdf, &error));
  CHECK (ecg_window_export (window, svg, &error));
  CHECK (file_starts_with (png, "\x89PNG") && file_starts_with (pdf, "%PDF") && file_starts_with (svg, "<?xml"));
  texture = gdk_texture_new_from_filename (png, &error);
  CHECK (texture != NULL);
  if (texture != NULL)
    {
      shot = test_shot_of (texture);
      ecg_plot_style_init (&light, 1, FALSE);
      printf ("#   export.png %d x %d, %d reconstruction pixels\n", shot.width, shot.height,
              count_color (&shot, &light.colors.recon, 0, 0, shot.width, shot.height));
      /* 300 dpi: the 12 × 1 page is 15 + 250 + 5 mm wide */
      CHECK_MSG (fabs (shot.width - 270 * ECG_PLOT_PRINT_PX_PER_MM) <= 2, "export %d px wide", shot.width);
      CHECK (count_color (&shot, &light.colors.recon, 0, 0, shot.width, shot.height) > 1000);
    }

  /* a folder that does not exist: an error naming the file, in the banner too */
  CHECK (!ecg_window_export (window, bad, NULL));
  CHECK_MSG (ecg_window_get_error (window) != NULL && strstr (ecg_window_get_error (window), "export.png"),
             "banner: %s", ecg_window_get_error (window));
  ecg_window_show_error (window, NULL);
}

static void
test_two_lead_record_greys_out_the_models (void)
{
  const char *path = test_shared_path ("wfdb/100.hea");
  g_autoptr(GError) error = NULL;
  g_autofree char *demo = ecg_application_find_demo ();
  EcgRecordView *view = record_view ();
  guint mha = model_position (ECG_MODEL_VAE_BILSTM_MHA);
  EcgPlotStyle style;
  EcgPlotLayout layout;

  SKIP_IF (path == NULL, "../shared/wfdb/100.hea not present");
  CHECK (ecg_window_select_model (window, mha));
  CHECK (ecg_window_open (window, path, &error));
  CHECK (wait_for_paint (GTK_WIDGET (window)));
  g_free (capture (GTK_WIDGET (window), "ui-mitbih-100.png").data);
  CHECK (ecg_record_view_get_record (view)->n_leads == 2);
  CHECK (!ecg_record_view_has_score (view));
  /* 30 minutes: a page of 10 s at 25 mm/s, and the arrows move through it */
  CHECK (ecg_record_view_get_page (view, &style, &layout));
  CHECK_NEAR (layout.duration, ECG_RECORD_VIEW_PAGE_SECONDS, 1e-9);
  CHECK_NEAR (style.scale.mm_per_s, 25.0, 1e-9);
  if (can_press_keys ())
    {
      /* a click on the paper gives the view the keys */
      drag (GTK_WIDGET (view), layout.trace_x + 100, layout.rows_y + 10, layout.trace_x + 100, layout.rows_y + 10);
      press_key (XK_Right, FALSE);
      press_key (XK_Right, FALSE);
      press_key (XK_Left, FALSE);
      CHECK_NEAR (ecg_record_view_get_t0 (view), ECG_RECORD_VIEW_PAGE_SECONDS / 2, 1e-6);
    }
  printf ("#   verdict line: %s\n", ecg_window_get_verdict (window));
  CHECK (strstr (ecg_window_get_verdict (window), "12 standard leads") != NULL);
  for (guint i = 0; i < g_list_model_get_n_items (model_choices ()); i++)
    {
      g_autoptr(EcgModelEntry) entry = g_list_model_get_item (model_choices (), i);

      if (ecg_model_entry_get_role (entry) != ECG_MODEL_ENTRY_MODEL)
        continue;
      CHECK (!ecg_model_entry_get_available (entry));
      CHECK_MSG (strstr (ecg_model_entry_get_subtitle (entry), "12") != NULL, "%s: %s",
                 ecg_model_entry_get_title (entry), ecg_model_entry_get_subtitle (entry));
    }
  /* choosing a model says why it cannot be used */
  CHECK (!ecg_window_select_model (window, model_position (ECG_MODEL_CAE)));
  CHECK (ecg_window_get_error (window) != NULL);
  ecg_window_show_error (window, NULL);

  /* back to the demo: the models are available again */
  SKIP_IF (demo == NULL, "no demo dataset");
  CHECK (ecg_window_open (window, demo, &error));
  CHECK (ecg_record_view_has_score (view));
}

/* Longest gap between main-loop wake-ups, in µs, while busy. */
typedef struct
{
  gint64 last, worst;
} Gaps;

static gboolean
note_gap (gpointer user_data)
{
  Gaps *gaps = user_data;
  gint64 now = g_get_monotonic_time ();

  if (gaps->last > 0)
    gaps->worst = MAX (gaps->worst, now - gaps->last);
  gaps->last = now;
  return G_SOURCE_CONTINUE;
}

static void
test_import_ptbxl_in_the_background (void)
{
  const char *ptbxl = test_shared_path ("ptbxl/ptbxl_database.csv");
  g_autofree char *folder = ptbxl ? g_path_get_dirname (ptbxl) : NULL;
  g_autofree char *out = NULL, *again = NULL, *datasets = NULL;
  g_autoptr(GDir) dir = NULL;
  GtkWidget *task_bar = GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (window), ECG_TYPE_WINDOW, "task_bar"));
  Gaps gaps = { 0, 0 };
  struct stat before, after;
  guint gap_source;
  int n_files = 0;

  SKIP_IF (folder == NULL, "../shared/ptbxl not present");
  /* the CAE scores the imported records in seconds */
  CHECK (ecg_window_select_model (window, model_position (ECG_MODEL_CAE)));
  out = ecg_window_import_ptbxl (window, folder);
  CHECK (out != NULL && ecg_window_is_busy (window));
  CHECK (gtk_revealer_get_reveal_child (GTK_REVEALER (task_bar)));
  gap_source = g_timeout_add (1, note_gap, &gaps);
  for (int i = 0; i < 600 && strstr (template_label_text ("subtitle"), "ptbxl-100hz.h5") == NULL; i++)
    test_iterate (100);
  printf ("#   imported into %s; longest main-loop gap while importing %.1f ms\n", out, gaps.worst / 1000.0);
  gaps.worst = 0;
  CHECK (wait_until_idle (120));
  g_source_remove (gap_source);
  printf ("#   longest main-loop gap while scoring the import with the CAE %.1f ms\n", gaps.worst / 1000.0);
  CHECK_MSG (ecg_window_get_error (window) == NULL, "%s", ecg_window_get_error (window));
  CHECK_MSG (strstr (template_label_text ("subtitle"), "ptbxl-100hz.h5") != NULL, "subtitle %s",
             template_label_text ("subtitle"));
  CHECK (ecg_record_view_get_record (record_view ()) != NULL && ecg_record_view_get_record (record_view ())->fs == 100);
  SKIP_IF (out == NULL, "no import");

  /* a second import cancelled at once leaves the first file as it was, and no temporary file */
  CHECK (stat (out, &before) == 0);
  again = ecg_window_import_ptbxl (window, folder);
  CHECK (again != NULL && g_str_equal (again, out));
  CHECK (gtk_widget_activate_action (GTK_WIDGET (window), "win.cancel-task", NULL));
  CHECK (wait_until_idle (60));
  CHECK (stat (out, &after) == 0 && after.st_size == before.st_size && after.st_mtime == before.st_mtime &&
         after.st_ino == before.st_ino);
  datasets = g_path_get_dirname (out);
  dir = g_dir_open (datasets, 0, NULL);
  while (dir != NULL && g_dir_read_name (dir) != NULL)
    n_files++;
  CHECK_MSG (n_files == 1, "%d files in the datasets folder", n_files);
  CHECK (ecg_window_get_error (window) == NULL);
}

static void
test_shortcuts_window_lists_the_keys (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();
  GtkWindow *shortcuts = NULL;
  unsigned found = 0;
  static const char *const keys[] = { "j Page_Down", "k Page_Up", "l", "plus equal", "minus" };

  /* the primary menu's Keyboard Shortcuts (Ctrl+? needs Shift on most layouts) */
  CHECK (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-help-overlay", NULL));
  test_iterate (300);
  for (guint i = 0; i < g_list_model_get_n_items (toplevels) && shortcuts == NULL; i++)
    {
      g_autoptr(GtkWindow) toplevel = g_list_model_get_item (toplevels, i);

      if (GTK_IS_SHORTCUTS_WINDOW (toplevel) && gtk_widget_get_visible (GTK_WIDGET (toplevel)))
        shortcuts = toplevel;
    }
  CHECK_MSG (shortcuts != NULL, "no shortcuts window after Ctrl+?");
  if (shortcuts == NULL)
    return;
  /* every key of the issue is listed, by its accelerator */
  for (GtkWidget *w = GTK_WIDGET (shortcuts); w != NULL;)
    {
      if (GTK_IS_SHORTCUTS_SHORTCUT (w))
        {
          g_autofree char *accelerator = NULL;

          g_object_get (w, "accelerator", &accelerator, NULL);
          for (guint k = 0; k < G_N_ELEMENTS (keys); k++)
            if (g_strcmp0 (accelerator, keys[k]) == 0)
              found |= 1u << k;
        }
      /* depth-first walk of the widget tree */
      if (gtk_widget_get_first_child (w) != NULL)
        w = gtk_widget_get_first_child (w);
      else
        {
          while (w != NULL && w != GTK_WIDGET (shortcuts) && gtk_widget_get_next_sibling (w) == NULL)
            w = gtk_widget_get_parent (w);
          w = w == NULL || w == GTK_WIDGET (shortcuts) ? NULL : gtk_widget_get_next_sibling (w);
        }
    }
  CHECK_MSG (found == (1u << G_N_ELEMENTS (keys)) - 1, "navigation keys listed: mask %x", found);
  g_free (capture (GTK_WIDGET (shortcuts), "ui-shortcuts.png").data);
  gtk_window_close (shortcuts);
  test_iterate (100);
}

static void
test_bad_file_is_reported_in_the_banner (void)
{
  g_autofree char *path = g_build_filename (test_tmpdir (), "not-a-dataset.h5", NULL);
  g_autofree char *missing = g_build_filename (test_tmpdir (), "no-such-file.h5", NULL);
  GtkRevealer *banner = GTK_REVEALER (gtk_widget_get_template_child (GTK_WIDGET (window), ECG_TYPE_WINDOW, "banner"));
  g_autoptr(GError) error = NULL;
  gsize shown = ecg_window_get_record_index (window);
  const EcgRecord *before = ecg_record_view_get_record (record_view ());

  g_file_set_contents (path, "plain text, not HDF5", -1, NULL);
  CHECK (!ecg_window_open (window, path, &error));
  CHECK_MSG (g_error_matches (error, ECG_CORE_ERROR, ECG_ERR_FORMAT), "%s", error ? error->message : "no error");
  for (int i = 0; i < 100 && !gtk_revealer_get_child_revealed (banner); i++)
    test_iterate (20);
  wait_for_paint (GTK_WIDGET (window));
  CHECK (gtk_revealer_get_child_revealed (banner) && gtk_widget_get_mapped (GTK_WIDGET (banner)));
  CHECK_MSG (ecg_window_get_error (window) != NULL && strstr (ecg_window_get_error (window), "not-a-dataset.h5"),
             "banner: %s", ecg_window_get_error (window));
  /* the window stays up with the record it showed */
  CHECK (gtk_widget_get_visible (GTK_WIDGET (window)));
  CHECK (ecg_window_get_record_index (window) == shown);
  CHECK (ecg_record_view_get_record (record_view ()) == before);
  g_free (capture (GTK_WIDGET (window), "ui-error-banner.png").data);

  g_clear_error (&error);
  CHECK (!ecg_window_open (window, missing, &error));
  CHECK_MSG (error != NULL && error->domain == ECG_CORE_ERROR && strstr (error->message, "no-such-file.h5"), "%s",
             error ? error->message : "no error");
  CHECK (ecg_window_get_error (window) != NULL && strstr (ecg_window_get_error (window), "no-such-file.h5"));

  /* the banner's close button dismisses it */
  CHECK (gtk_widget_activate_action (GTK_WIDGET (window), "win.dismiss-banner", NULL));
  CHECK (ecg_window_get_error (window) == NULL);
}

static void
test_dark_style_is_legible (void)
{
  g_autofree char *demo = ecg_application_find_demo ();
  EcgRecordView *view = record_view ();
  EcgPlotStyle style;
  EcgPlotLayout layout;
  g_auto(Shot) shot = { 0 };
  int bright = 0, n = 0;

  SKIP_IF (demo == NULL, "no demo dataset");
  CHECK (ecg_window_open (window, demo, NULL));
  SKIP_IF (ecg_record_view_get_record (view) == NULL, "the demo did not open");
  g_object_set (gtk_settings_get_default (), "gtk-application-prefer-dark-theme", TRUE, NULL);
  wait_for_paint (GTK_WIDGET (window));
  CHECK (ecg_record_view_get_page (view, &style, &layout));
  g_free (capture (GTK_WIDGET (window), "ui-12x1-dark.png").data);
  shot = capture (GTK_WIDGET (view), "ui-12x1-dark-page.png");

  /* the first 5 mm square: dark, and between its 1 mm lines the style's paper colour */
  {
    int paper = 0, dark = 0, total = 0;

    for (int y = (int) layout.rows_y + 1; y < (int) (layout.rows_y + 5 * ecg_plot_scale_unit (&style.scale)); y++)
      for (int x = (int) layout.x + 1; x < (int) (layout.x + 5 * ecg_plot_scale_unit (&style.scale)); x++, total++)
        {
          paper += test_shot_is_color (&shot, x, y, &style.colors.paper);
          dark += test_shot_luminance (&shot, x, y) < 0.2;
        }
    CHECK_MSG (paper * 3 > total && dark * 10 >= total * 9, "first square: %d of %d pixels paper, %d dark", paper,
               total, dark);
  }
  for (size_t i = 0; i < layout.n_rows; i++)
    {
      EcgPlotPanel row;
      int row_bright = 0;

      row = layout.panels[i];
      for (int y = (int) row.y; y < (int) (row.y + row.height); y++)
        for (int x = (int) layout.trace_x; x < (int) (layout.trace_x + layout.trace_width); x += 2)
          {
            row_bright += test_shot_luminance (&shot, x, y) > 0.7;
            n++;
          }
      CHECK_MSG (row_bright > 100, "row %zu: %d bright trace pixels on dark paper", i, row_bright);
      bright += row_bright;
    }
  printf ("#   %d of %d sampled pixels are bright trace on dark paper\n", bright, n);
  g_object_set (gtk_settings_get_default (), "gtk-application-prefer-dark-theme", FALSE, NULL);
  wait_for_paint (GTK_WIDGET (window));
}

static void
test_application_opens_files_in_windows (void)
{
  g_autofree char *demo = ecg_application_find_demo ();
  g_autoptr(GFile) file = NULL;
  GList *windows;
  EcgWindow *opened;

  SKIP_IF (demo == NULL, "no demo dataset");
  file = g_file_new_for_path (demo);
  g_application_open (G_APPLICATION (app), &file, 1, "");
  test_iterate (200);
  windows = gtk_application_get_windows (GTK_APPLICATION (app));
  CHECK (g_list_length (windows) == 2);
  opened = ECG_WINDOW (windows->data);  /* the most recently focused first */
  CHECK (opened != window);
  CHECK (ecg_window_get_error (opened) == NULL);
  CHECK (ecg_window_get_record_index (opened) == 0);
  gtk_window_destroy (GTK_WINDOW (opened));
  test_iterate (100);
  CHECK (g_list_length (gtk_application_get_windows (GTK_APPLICATION (app))) == 1);
}

static void
test_ctrl_q_closes_every_window (void)
{
  GtkWidget *watched = GTK_WIDGET (window);

  SKIP_IF (!can_press_keys (), "no X11 display with XTest");
  g_object_add_weak_pointer (G_OBJECT (watched), (gpointer *) &watched);
  press_key (XK_q, TRUE);
  for (int i = 0; i < 50 && watched != NULL; i++)
    test_iterate (20);
  CHECK_MSG (watched == NULL, "the window is still there after Ctrl+Q");
  CHECK (gtk_application_get_windows (GTK_APPLICATION (app)) == NULL);
  if (watched != NULL)
    g_object_remove_weak_pointer (G_OBJECT (watched), (gpointer *) &watched);
  else
    window = NULL;
}

int
main (int   argc,
      char *argv[])
{
  /* the kernels the app runs with (it re-executes itself the same way) */
  ecg_blas_use_cpu_kernels (argv);
  /* this run's own data and cache folders: no user models, score caches written aside */
  g_setenv ("XDG_DATA_HOME", test_tmpdir (), TRUE);
  g_setenv ("XDG_CACHE_HOME", test_tmpdir (), TRUE);
  if (!gtk_init_check ())
    {
      printf ("1..0 # SKIP no display\n");
      return 0;
    }
  app = ecg_application_new ();
  g_application_register (G_APPLICATION (app), NULL, NULL);
  window = ecg_window_new (app);
  /* fits the default 1280 × 1024 screen of xvfb-run; the page scrolls */
  gtk_window_set_default_size (GTK_WINDOW (window), 1200, 900);
  gtk_window_present (GTK_WINDOW (window));
  wait_for_paint (GTK_WIDGET (window));
  move_pointer_away ();

  RUN (test_demo_shows_twelve_calibrated_leads);
  RUN (test_narrow_window_shrinks_the_page_and_says_so);
  RUN (test_keys_move_between_records);
  RUN (test_every_model_draws_its_reconstruction);
  RUN (test_l_cycles_the_layouts);
  RUN (test_a_shows_the_temporal_attention);
  RUN (test_slider_rethresholds_the_verdict_and_the_list);
  RUN (test_export_writes_the_view);
  RUN (test_two_lead_record_greys_out_the_models);
  RUN (test_import_ptbxl_in_the_background);
  RUN (test_shortcuts_window_lists_the_keys);
  RUN (test_bad_file_is_reported_in_the_banner);
  RUN (test_dark_style_is_legible);
  RUN (test_application_opens_files_in_windows);
  RUN (test_ctrl_q_closes_every_window);  /* last: it closes the window */

  if (window != NULL)
    gtk_window_destroy (GTK_WINDOW (window));
  test_iterate (100);
  g_object_unref (app);
  return test_done ();
}
