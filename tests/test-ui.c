/* Suite ui: the real ecglens window under Xvfb — the demo opened, its 12 leads
 * drawn on calibrated paper, records changed by real key presses (XTest), a bad
 * file reported in the banner, both styles legible. Assertions are on widget
 * state and on the pixels the window renders; screenshots are saved in the
 * build tree (tests/ui-*.png) for a person to look at. */
#include <gdk/x11/gdkx.h>
#include <gtk/gtk.h>
#include <X11/extensions/XTest.h>
#include <X11/keysym.h>

#include "ecg-application.h"
#include "ecg-plot.h"
#include "ecg-record-view.h"
#include "ecg-window.h"
#include "test.h"

static EcgApplication *app;
static EcgWindow *window;

static void
iterate (int ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < end)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (1000);
}

/* The window as rendered: (height, width) BGRA pixels, cairo's ARGB32 layout. */
typedef struct
{
  int width, height;
  gsize stride;
  guchar *data;
} Shot;

static Shot
capture (const char *png_name)
{
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (GTK_WIDGET (window));
  /* the paintable's own size, so the window is rendered 1:1, not scaled to fit */
  int width = gdk_paintable_get_intrinsic_width (paintable), height = gdk_paintable_get_intrinsic_height (paintable);
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  Shot shot = { width, height, (gsize) width * 4, NULL };

  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (snapshot);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (window)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  shot.data = g_malloc (shot.stride * height);
  gdk_texture_download (texture, shot.data, shot.stride);
  if (png_name != NULL)
    {
      g_autofree char *path = g_build_filename (g_getenv ("ECGLENS_BUILD_ROOT") ? g_getenv ("ECGLENS_BUILD_ROOT") : ".",
                                                "tests", png_name, NULL);
      gdk_texture_save_to_png (texture, path);
      printf ("#   screenshot: %s\n", path);
    }
  return shot;
}

static void
pixel (const Shot *shot, int x, int y, double rgb[3])
{
  const guchar *p = shot->data + (gsize) y * shot->stride + (gsize) x * 4;

  rgb[0] = p[2] / 255.0, rgb[1] = p[1] / 255.0, rgb[2] = p[0] / 255.0;
}

static double
luminance (const double rgb[3])
{
  return 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2];
}

static gboolean
near_color (const double rgb[3], const EcgPlotColor *c, double tol)
{
  return fabs (rgb[0] - c->r) < tol && fabs (rgb[1] - c->g) < tol && fabs (rgb[2] - c->b) < tol;
}

/* Where the record view's page is in the window, and its layout. */
static void
page_geometry (EcgPlotStyle *style, EcgPlotLayout *layout, double *ox, double *oy, gboolean dark)
{
  EcgRecordView *view = NULL;
  const EcgRecord *rec;

  for (GtkWidget *w = gtk_widget_get_first_child (GTK_WIDGET (window)); w != NULL && view == NULL;)
    {
      if (ECG_IS_RECORD_VIEW (w))
        view = ECG_RECORD_VIEW (w);
      else if (gtk_widget_get_first_child (w))
        w = gtk_widget_get_first_child (w);
      else
        {
          while (w != NULL && gtk_widget_get_next_sibling (w) == NULL)
            w = gtk_widget_get_parent (w);
          w = w ? gtk_widget_get_next_sibling (w) : NULL;
        }
    }
  g_assert (view != NULL);
  rec = ecg_record_view_get_record (view);
  g_assert (rec != NULL);
  ecg_plot_style_init (style, ecg_record_view_get_px_per_mm (view), dark);
  ecg_plot_layout_12x1 (layout, 0, 0, rec->n_leads, rec->n_samples / rec->fs, style);
  gtk_widget_translate_coordinates (GTK_WIDGET (view), GTK_WIDGET (window), 0, 0, ox, oy);
}

static void
test_demo_shows_twelve_calibrated_leads (void)
{
  g_autofree char *demo = ecg_application_find_demo ();
  g_autoptr(GError) error = NULL;
  EcgPlotStyle style;
  EcgPlotLayout layout;
  double ox, oy;

  SKIP_IF (demo == NULL, "no demo dataset");
  CHECK (ecg_window_open_dataset (window, demo, &error));
  iterate (500);
  CHECK (ecg_window_get_error (window) == NULL);
  CHECK (ecg_window_get_record_index (window) == 0);

  page_geometry (&style, &layout, &ox, &oy, FALSE);
  Shot shot = capture ("ui-12x1.png");
  printf ("#   %.3f px/mm, page %.0f x %.0f at (%.0f, %.0f) in a %d x %d window\n", style.scale.px_per_mm,
          layout.width, layout.height, ox, oy, shot.width, shot.height);
  CHECK (oy + layout.height <= shot.height && ox + layout.width <= shot.width);

  /* 5 mm lines: columns whose pixels are mostly the major grid colour, along
   * the time-axis band where no trace runs */
  double major = 5 * ecg_plot_scale_unit (&style.scale);
  int y0 = (int) (oy + layout.rows_y + 1), y1 = (int) (oy + layout.axis_y - 1);
  int last = -1, n_gaps = 0;
  double gap_sum = 0, gap_max_err = 0;
  for (int x = (int) (ox + layout.trace_x - 2); x < (int) (ox + layout.trace_x + layout.trace_width); x++)
    {
      int hits = 0;
      for (int y = y0; y < y1; y++)
        {
          double rgb[3];
          pixel (&shot, x, y, rgb);
          hits += near_color (rgb, &style.colors.grid_major, 0.08);
        }
      if (hits > (y1 - y0) / 2)
        {
          if (last >= 0 && x - last > 2)
            {
              gap_sum += x - last;
              gap_max_err = fmax (gap_max_err, fabs (x - last - major));
              n_gaps++;
            }
          last = x;
        }
    }
  printf ("#   %d major grid gaps, mean %.2f px, expected %.2f px (5 mm), worst off by %.2f px\n", n_gaps,
          n_gaps ? gap_sum / n_gaps : 0, major, gap_max_err);
  CHECK (n_gaps >= 45); /* 10 s at 25 mm/s = 250 mm = 50 squares */
  CHECK (gap_max_err <= 1.0);

  /* a dark trace in each of the 12 rows, right of the label */
  for (size_t i = 0; i < 12; i++)
    {
      EcgPlotRow row;
      int dark = 0;

      ecg_plot_layout_row (&layout, i, &style, &row);
      for (int y = (int) (oy + row.y); y < (int) (oy + row.y + row.height); y++)
        for (int x = (int) (ox + row.trace_x + 15 * ecg_plot_scale_unit (&style.scale)); x < (int) (ox + layout.trace_x + layout.trace_width); x += 2)
          {
            double rgb[3];
            pixel (&shot, x, y, rgb);
            dark += luminance (rgb) < 0.3;
          }
      CHECK_MSG (dark > 200, "row %zu has %d trace pixels", i, dark);
    }

  /* each row's lead name sits on a plate at its label position */
  for (size_t i = 0; i < 12; i++)
    {
      EcgPlotRow row;
      int ink = 0;
      double h = ecg_plot_label_height (&style);

      ecg_plot_layout_row (&layout, i, &style, &row);
      for (int y = (int) (oy + row.label_y); y < (int) (oy + row.label_y + h); y++)
        for (int x = (int) (ox + row.label_x); x < (int) (ox + row.label_x + 3 * h); x++)
          {
            double rgb[3];
            pixel (&shot, x, y, rgb);
            ink += luminance (rgb) < 0.4;
          }
      CHECK_MSG (ink > 5, "label of row %zu has %d dark pixels", i, ink);
    }
  g_free (shot.data);
}

/* A real key press: XTest makes the X server deliver it as if typed. */
static void
press_key (KeySym keysym)
{
  GdkDisplay *display = gtk_widget_get_display (GTK_WIDGET (window));
  Display *xdisplay = gdk_x11_display_get_xdisplay (display);
  Window xid = gdk_x11_surface_get_xid (gtk_native_get_surface (GTK_NATIVE (window)));
  KeyCode code = XKeysymToKeycode (xdisplay, keysym);

  XSetInputFocus (xdisplay, xid, RevertToParent, CurrentTime);
  XTestFakeKeyEvent (xdisplay, code, True, 0);
  XTestFakeKeyEvent (xdisplay, code, False, 0);
  XFlush (xdisplay);
  iterate (300);
}

static void
test_keys_move_between_records (void)
{
  SKIP_IF (!GDK_IS_X11_DISPLAY (gtk_widget_get_display (GTK_WIDGET (window))), "not an X11 display");
  SKIP_IF (ecg_window_get_record_index (window) != 0, "the demo did not open");
  Shot before = capture (NULL);

  press_key (XK_j);
  CHECK_MSG (ecg_window_get_record_index (window) == 1, "record %zu after j", ecg_window_get_record_index (window));
  iterate (200);
  Shot after = capture ("ui-12x1-record2.png");
  CHECK (before.width == after.width && before.height == after.height &&
         memcmp (before.data, after.data, before.stride * before.height) != 0);
  press_key (XK_j);
  press_key (XK_k);
  CHECK (ecg_window_get_record_index (window) == 1);
  press_key (XK_k);
  press_key (XK_k); /* at the first record, k does nothing */
  CHECK (ecg_window_get_record_index (window) == 0);
  g_free (before.data);
  g_free (after.data);
}

static void
test_bad_file_is_reported_in_the_banner (void)
{
  const char *path = g_build_filename (test_tmpdir (), "not-a-dataset.h5", NULL);
  g_autoptr(GError) error = NULL;
  gsize shown = ecg_window_get_record_index (window);

  g_file_set_contents (path, "plain text", -1, NULL);
  CHECK (!ecg_window_open_dataset (window, path, &error));
  CHECK (error != NULL && g_error_matches (error, g_quark_from_static_string ("ecg-core-error-quark"), -2));
  iterate (300);
  CHECK (ecg_window_get_error (window) != NULL && strstr (ecg_window_get_error (window), "not-a-dataset.h5") &&
         strstr (ecg_window_get_error (window), "not an HDF5 file"));
  CHECK (gtk_widget_get_visible (GTK_WIDGET (window)));
  CHECK (ecg_window_get_record_index (window) == shown);
  g_free (capture ("ui-error-banner.png").data);
  g_free ((char *) path);
}

static void
test_dark_style_is_legible (void)
{
  g_autofree char *demo = ecg_application_find_demo ();
  EcgPlotStyle style;
  EcgPlotLayout layout;
  double ox, oy;

  SKIP_IF (demo == NULL, "no demo dataset");
  g_object_set (gtk_settings_get_default (), "gtk-application-prefer-dark-theme", TRUE, NULL);
  CHECK (ecg_window_open_dataset (window, demo, NULL));
  iterate (500);
  page_geometry (&style, &layout, &ox, &oy, TRUE);
  Shot shot = capture ("ui-12x1-dark.png");
  double paper[3], sum = 0;
  int bright = 0, n = 0;
  pixel (&shot, (int) (ox + layout.x + 2), (int) (oy + layout.rows_y + 2), paper);
  CHECK_MSG (luminance (paper) < 0.2, "paper luminance %.2f", luminance (paper));
  for (int y = (int) (oy + layout.rows_y); y < (int) (oy + layout.axis_y) && y < shot.height; y++)
    for (int x = (int) (ox + layout.trace_x); x < (int) (ox + layout.trace_x + layout.trace_width); x += 3)
      {
        double rgb[3];
        pixel (&shot, x, y, rgb);
        sum += luminance (rgb);
        bright += luminance (rgb) > 0.7;
        n++;
      }
  CHECK_MSG (bright > 2000, "%d bright trace pixels on dark paper (mean %.2f)", bright, sum / n);
  g_object_set (gtk_settings_get_default (), "gtk-application-prefer-dark-theme", FALSE, NULL);
  g_free (shot.data);
}

int
main (int argc, char *argv[])
{
  if (!gtk_init_check ())
    {
      printf ("1..0 # SKIP no display\n");
      return 0;
    }
  app = ecg_application_new ();
  g_application_register (G_APPLICATION (app), NULL, NULL);
  window = ecg_window_new (app);
  gtk_window_set_default_size (GTK_WINDOW (window), 1400, 1060);
  gtk_window_present (GTK_WINDOW (window));
  iterate (500);

  RUN (test_demo_shows_twelve_calibrated_leads);
  RUN (test_keys_move_between_records);
  RUN (test_bad_file_is_reported_in_the_banner);
  RUN (test_dark_style_is_legible);

  gtk_window_destroy (GTK_WINDOW (window));
  iterate (100);
  g_object_unref (app);
  return test_done ();
}
