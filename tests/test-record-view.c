/* Suite ui: the EcgRecordView widget on its own in a window under Xvfb,
 * driven through its API with a synthetic record whose samples are known: R
 * peaks of 1 mV every 0.8 s in every lead and one marked sample in V2. Zoom
 * and pan move the peaks where the paper speed says, the crosshair reads the
 * time and amplitude of the sample under it, the calipers an R-R interval as
 * 75 bpm, the layouts have their panels, τ flags the leads whose (given)
 * scores exceed it, and the dark style follows the theme. Each is checked on
 * the pixels GTK renders (the widget's own snapshot through the window's
 * GskRenderer; tests/record-view-*.png in the build tree, for a person to look
 * at), which also shows that the page the view keeps between frames is drawn
 * again whenever what it shows changes. A last test times the snapshot of a
 * frame after a change of τ (the page drawn again) and after a pointer move
 * (the kept page and the crosshair), which must cost a fraction of it. Without
 * a display the suite is skipped. */
#include <gtk/gtk.h>

#include "ecg-record-view.h"
#include "test-gtk.h"

#define FS 500.0
#define N_SAMPLES 5000   /* 10 s */
#define FIRST_R 200      /* sample of the first R peak */
#define RR 400           /* samples between R peaks: 0.8 s, 75 bpm */
#define R_MV 1.0
#define R_HALF_WIDTH 6   /* samples either side of a peak */
#define MARK_LEAD 7      /* V2 */
#define MARK_SAMPLE 1569 /* 3.138 s, between two peaks */
#define MARK_MV -0.64

static GtkWindow *window;
static EcgRecordView *view;

/* ---- main loop ---- */

/* The main loop run for ms, then no crosshair: Xvfb's pointer may be over the
 * window, and its events give the view one. */
static void
settle (int ms)
{
  test_iterate (ms);
  ecg_record_view_pointer_at (view, -1, -1);
}

/* ---- the record and its score ---- */

/* Every lead at sample i: triangular R peaks of R_MV at FIRST_R + k × RR. */
static double
r_value (size_t i)
{
  long nearest = FIRST_R + lround ((double) ((long) i - FIRST_R) / RR) * RR;
  long d = labs ((long) i - nearest);

  return d > R_HALF_WIDTH ? 0.0 : R_MV * (1.0 - (double) d / (R_HALF_WIDTH + 1));
}

/* 12 standard leads at 500 Hz, flat but for the R peaks and the mark. */
static EcgRecord
make_record (void)
{
  EcgRecord rec = { 0 };
  EcgError err = { 0 };

  if (ecg_record_init (&rec, ECG_N_STANDARD_LEADS, N_SAMPLES, FS, &err) != ECG_OK)
    {
      printf ("#   %s\n", err.message);
      return rec;
    }
  snprintf (rec.id, sizeof rec.id, "synthetic-1");
  for (size_t l = 0; l < ECG_N_STANDARD_LEADS; l++)
    {
      ecg_record_set_lead_name (&rec, l, ecg_standard_leads[l]);
      for (size_t i = 0; i < N_SAMPLES; i++)
        ecg_record_lead (&rec, l)[i] = (float) r_value (i);
    }
  ecg_record_lead (&rec, MARK_LEAD)[MARK_SAMPLE] = (float) MARK_MV;
  return rec;
}

/* Lead l's score: (l + 1) / 10. */
static double
lead_score (size_t l)
{
  return (l + 1) / 10.0;
}

/* A score of rec as a model would give it, in mV (units mean 0, std 1): the
 * reconstruction 0.9 × the signal, the squared error as point score. */
static EcgRecordScore
make_score (const EcgRecord *rec)
{
  size_t n = rec->n_samples, total = ECG_N_STANDARD_LEADS * n;
  EcgRecordScore score = { .fs = rec->fs, .n_samples = n, .record_score = 0.65 };

  score.x = g_new (float, total);
  score.x_mean = g_new (float, total);
  score.point = g_new (float, total);
  for (size_t i = 0; i < total; i++)
    {
      score.x[i] = rec->samples[i];
      score.x_mean[i] = 0.9f * rec->samples[i];
      score.point[i] = (score.x[i] - score.x_mean[i]) * (score.x[i] - score.x_mean[i]);
    }
  for (size_t l = 0; l < ECG_N_STANDARD_LEADS; l++)
    {
      score.lead_score[l] = (float) lead_score (l);
      score.units.std[l] = 1.0f;
    }
  return score;
}

/* ---- pixels ---- */

/* The view's snapshot, taken as GTK takes it for a frame (a widget paintable
 * would show the last frame drawn, not the state just set), rendered by the
 * window's renderer. */
static GdkTexture *
render_view (void)
{
  int width = gtk_widget_get_width (GTK_WIDGET (view)), height = gtk_widget_get_height (GTK_WIDGET (view));
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  GskRenderer *renderer = gtk_native_get_renderer (GTK_NATIVE (window));
  g_autoptr(GskRenderNode) node = NULL;

  GTK_WIDGET_GET_CLASS (view)->snapshot (GTK_WIDGET (view), snapshot);
  node = gtk_snapshot_free_to_node (snapshot);
  return gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));
}

/* A capture of the view, saved as png_name. */
static Shot
capture (const char *png_name)
{
  g_autoptr(GdkTexture) texture = render_view ();

  test_save_png (texture, png_name);
  return test_shot_of (texture);
}

/* The cursor's blue (over paper, trace or plate). */
static gboolean
is_cursor (const Shot *shot,
           int         x,
           int         y)
{
  double rgb[3];

  test_shot_rgb (shot, x, y, rgb);
  return rgb[2] > 0.5 && rgb[2] - rgb[0] > 0.3;
}

/* The ink furthest up (up = TRUE) or down in the columns x ± 2 within 8 px of
 * y, or NAN when there is none. */
static double
outermost_ink (const Shot *shot,
               double      x,
               double      y,
               gboolean    up)
{
  double found = NAN;

  for (int px = (int) floor (x) - 2; px <= (int) ceil (x) + 2; px++)
    for (int py = (int) floor (y) - 8; py <= (int) ceil (y) + 8; py++)
      if (test_shot_is_ink (shot, px, py) && (isnan (found) || (up ? py < found : py > found)))
        found = py;
  return found;
}

/* The fraction of the rows from y0 to y1 where a column within x ± 1 is the
 * cursor's colour. */
static double
cursor_column (const Shot *shot,
               double      x,
               double      y0,
               double      y1)
{
  int rows = 0, hits = 0;

  for (int y = (int) ceil (y0); y < (int) y1; y++, rows++)
    for (int px = (int) floor (x) - 1; px <= (int) ceil (x) + 1; px++)
      if (is_cursor (shot, px, y))
        {
          hits++;
          break;
        }
  return rows ? (double) hits / rows : 0;
}

/* ---- geometry ---- */

static const EcgPlotPanel *
panel_of_lead (const EcgPlotLayout *layout,
               size_t               lead)
{
  for (size_t i = 0; i < layout->n_panels; i++)
    if (layout->panels[i].lead == lead)
      return &layout->panels[i];
  return NULL;
}

static double
px_per_mv (const EcgPlotStyle *style)
{
  return style->scale.mm_per_mv * ecg_plot_scale_unit (&style->scale);
}

static double
px_per_s (const EcgPlotStyle *style)
{
  return style->scale.mm_per_s * ecg_plot_scale_unit (&style->scale);
}

/* Every R peak of lead `lead` shown in its first panel is drawn where the
 * paper speed and gain put it, to 2 px; returns how many were checked. */
static int
check_r_peaks (const Shot          *shot,
               const EcgPlotStyle  *style,
               const EcgPlotLayout *layout,
               size_t               lead)
{
  const EcgPlotPanel *p = panel_of_lead (layout, lead);
  int checked = 0;

  for (size_t i = FIRST_R; p && i < N_SAMPLES; i += RR)
    {
      double t = i / FS, x, y, top;

      if (t < p->t0 + 0.05 || t > p->t1 - 0.05)
        continue;
      x = ecg_plot_panel_x (p, style, t);
      y = p->baseline - R_MV * px_per_mv (style);
      top = outermost_ink (shot, x, y, TRUE);
      CHECK_MSG (!isnan (top) && fabs (top - y) <= 2.0, "lead %zu: peak at %.3f s: ink from y %.0f, expected %.1f",
                 lead, t, top, y);
      checked++;
    }
  return checked;
}

/* ---- tests ---- */

static void
test_record_drawn_where_its_samples_say (void)
{
  g_auto(Shot) shot = { 0 };
  EcgPlotStyle style;
  EcgPlotLayout layout;
  const EcgPlotPanel *p;
  double x, y;

  if (!ecg_record_view_get_page (view, &style, &layout))
    {
      CHECK_MSG (FALSE, "no page shown");
      return;
    }
  CHECK (ecg_record_view_get_layout (view) == ECG_PLOT_LAYOUT_12X1 && layout.n_panels == 12);
  CHECK_NEAR (ecg_record_view_get_time_zoom (view), 1.0, 0);
  CHECK_NEAR (ecg_record_view_get_t0 (view), 0.0, 0);
  shot = capture ("record-view-12x1.png");
  for (size_t l = 0; l < ECG_N_STANDARD_LEADS; l++)
    CHECK_MSG (check_r_peaks (&shot, &style, &layout, l) == 12, "lead %zu", l);
  /* the marked sample: the lowest ink of V2 there */
  p = panel_of_lead (&layout, MARK_LEAD);
  x = ecg_plot_panel_x (p, &style, MARK_SAMPLE / FS);
  y = p->baseline - MARK_MV * px_per_mv (&style);
  CHECK_MSG (fabs (outermost_ink (&shot, x, y, FALSE) - y) <= 2.0, "mark drawn down to y %.0f, expected %.1f",
             outermost_ink (&shot, x, y, FALSE), y);
}

static void
test_zoom_and_pan (void)
{
  g_auto(Shot) zoomed = { 0 };
  g_auto(Shot) panned = { 0 };
  EcgPlotStyle style;
  EcgPlotLayout layout;
  double t0;

  /* ×2 around the middle of the 10 s: 2.5 .. 7.5 s at 50 mm/s */
  ecg_record_view_zoom (view, 2.0);
  CHECK_NEAR (ecg_record_view_get_time_zoom (view), 2.0, 1e-12);
  CHECK_NEAR (ecg_record_view_get_t0 (view), 2.5, 1e-9);
  CHECK (ecg_record_view_get_page (view, &style, &layout));
  CHECK_NEAR (style.scale.mm_per_s, 50.0, 1e-12);
  CHECK_NEAR (layout.duration, 5.0, 1e-9);
  zoomed = capture ("record-view-zoom2.png");
  CHECK_MSG (check_r_peaks (&zoomed, &style, &layout, 1) == 6, "R peaks between 2.5 and 7.5 s");

  /* a drag 1 s to the right shows a second earlier */
  ecg_record_view_pan (view, px_per_s (&style));
  CHECK_NEAR (ecg_record_view_get_t0 (view), 1.5, 1e-9);
  CHECK (ecg_record_view_get_page (view, &style, &layout));
  panned = capture ("record-view-zoom2-panned.png");
  CHECK_MSG (check_r_peaks (&panned, &style, &layout, 1) == 6, "R peaks between 1.5 and 6.5 s");

  /* and never past either end */
  ecg_record_view_pan (view, 100 * px_per_s (&style));
  CHECK_NEAR (ecg_record_view_get_t0 (view), 0.0, 1e-12);
  ecg_record_view_pan (view, -100 * px_per_s (&style));
  CHECK_NEAR (ecg_record_view_get_t0 (view), 10.0 - 5.0, 1e-9);

  /* ×4 more stops at the most there is; 0 shows the whole record again */
  ecg_record_view_zoom (view, 100.0);
  CHECK_NEAR (ecg_record_view_get_time_zoom (view), ECG_RECORD_VIEW_MAX_TIME_ZOOM, 1e-12);
  t0 = ecg_record_view_get_t0 (view);
  CHECK (t0 >= 0 && t0 <= 10.0 - 10.0 / ECG_RECORD_VIEW_MAX_TIME_ZOOM + 1e-9);
  ecg_record_view_zoom (view, 0);
  CHECK_NEAR (ecg_record_view_get_time_zoom (view), 1.0, 0);
  CHECK_NEAR (ecg_record_view_get_t0 (view), 0.0, 0);
}

static void
test_crosshair_reads_the_sample_under_it (void)
{
  g_auto(Shot) shot = { 0 };
  g_auto(Shot) gone = { 0 };
  EcgPlotStyle style;
  EcgPlotLayout layout;
  const EcgPlotPanel *p;
  double x, y, t = NAN, mv = NAN;
  char name[16] = "";

  CHECK (ecg_record_view_get_page (view, &style, &layout));
  p = panel_of_lead (&layout, MARK_LEAD);
  x = ecg_plot_panel_x (p, &style, MARK_SAMPLE / FS);
  y = p->baseline - MARK_MV * px_per_mv (&style);
  ecg_record_view_pointer_at (view, x, y);
  printf ("#   crosshair: \"%s\"\n", ecg_record_view_get_crosshair_text (view));
  /* the separators are read as words: glibc's sscanf matches no literal U+00B7 in UTF-8 locales */
  CHECK (sscanf (ecg_record_view_get_crosshair_text (view), "%lf s %*s %lf mV %*s %15s", &t, &mv, name) == 3);
  CHECK_NEAR (t, MARK_SAMPLE / FS, 0.0005);
  CHECK_NEAR (mv, MARK_MV, 0.005);
  CHECK_MSG (strcmp (name, ecg_standard_leads[MARK_LEAD]) == 0, "lead %s", name);
  shot = capture ("record-view-crosshair.png");
  CHECK_MSG (cursor_column (&shot, x, layout.rows_y + 1, layout.axis_y - 1) > 0.8, "vertical line: %.2f of rows",
             cursor_column (&shot, x, layout.rows_y + 1, layout.axis_y - 1));
  {
    int hits = 0, n = 0;

    for (int px = (int) layout.trace_x; px < (int) (layout.trace_x + layout.trace_width); px++, n++)
      for (int py = (int) floor (y) - 1; py <= (int) ceil (y) + 1; py++)
        if (is_cursor (&shot, px, py))
          {
            hits++;
            break;
          }
    CHECK_MSG (hits > 0.7 * n, "horizontal line in %d of %d columns", hits, n);
  }

  /* off the traces: no readout, nothing drawn */
  ecg_record_view_pointer_at (view, layout.x + 1, layout.y + 1);
  CHECK (strcmp (ecg_record_view_get_crosshair_text (view), "") == 0);
  ecg_record_view_pointer_at (view, -1, -1);
  CHECK (strcmp (ecg_record_view_get_crosshair_text (view), "") == 0);
  gone = capture ("record-view-no-crosshair.png");
  CHECK (cursor_column (&gone, x, layout.rows_y + 1, layout.axis_y - 1) < 0.05);
}

static void
test_calipers_measure_an_rr_interval (void)
{
  g_auto(Shot) shot = { 0 };
  EcgPlotStyle style;
  EcgPlotLayout layout;
  const EcgPlotPanel *p;
  double x0, x1, y0, y1, dt = NAN, dmv = NAN, bpm = NAN;
  size_t a = FIRST_R + 2 * RR, b = a + RR;

  CHECK (ecg_record_view_get_page (view, &style, &layout));
  /* from the top of one R peak of lead II to the baseline under the next */
  p = panel_of_lead (&layout, 1);
  x0 = ecg_plot_panel_x (p, &style, a / FS), y0 = p->baseline - R_MV * px_per_mv (&style);
  x1 = ecg_plot_panel_x (p, &style, b / FS), y1 = p->baseline;
  ecg_record_view_set_caliper (view, x0, y0, x1, y1);
  printf ("#   calipers: \"%s\"\n", ecg_record_view_get_caliper_text (view));
  CHECK (g_str_has_prefix (ecg_record_view_get_caliper_text (view), "\u0394t "));
  CHECK (sscanf (ecg_record_view_get_caliper_text (view), "%*s %lf ms %*s %*s %lf %*s %lf bpm", &dt, &dmv, &bpm) == 3);
  CHECK_NEAR (dt, RR / FS * 1000, 0.5);
  CHECK_NEAR (dmv, 0 - R_MV, 0.005);
  CHECK_NEAR (bpm, 60.0 / (RR / FS), 0.5);
  shot = capture ("record-view-calipers.png");
  CHECK (cursor_column (&shot, x0, layout.rows_y + 1, layout.axis_y - 1) > 0.8);
  CHECK (cursor_column (&shot, x1, layout.rows_y + 1, layout.axis_y - 1) > 0.8);

  ecg_record_view_set_caliper (view, -1, -1, -1, -1);
  CHECK (strcmp (ecg_record_view_get_caliper_text (view), "") == 0);
  g_free (shot.data);
  shot = capture ("record-view-no-calipers.png");
  CHECK (cursor_column (&shot, x0, layout.rows_y + 1, layout.axis_y - 1) < 0.05);
}

static void
test_layouts (void)
{
  static const struct {
    EcgPlotLayoutKind kind;
    size_t panels, cols;
    int peaks_of_v6;  /* R peaks in V6's panel */
  } cases[] = {
    { ECG_PLOT_LAYOUT_6X2, 12, 2, 6 },   /* 0 .. 5 s */
    { ECG_PLOT_LAYOUT_3X4, 13, 4, 3 },   /* 7.5 .. 10 s */
    { ECG_PLOT_LAYOUT_12X1, 12, 1, 12 },
  };

  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_auto(Shot) shot = { 0 };
      char name[64];
      EcgPlotStyle style;
      EcgPlotLayout layout;

      ecg_record_view_set_layout (view, cases[i].kind);
      settle (50);  /* a new size is allocated */
      CHECK (ecg_record_view_get_layout (view) == cases[i].kind);
      CHECK (ecg_record_view_get_page (view, &style, &layout));
      CHECK_MSG (layout.kind == cases[i].kind && layout.n_panels == cases[i].panels && layout.n_cols == cases[i].cols,
                 "%s: %zu panels in %zu columns", ecg_plot_layout_name (cases[i].kind), layout.n_panels,
                 layout.n_cols);
      snprintf (name, sizeof name, "record-view-%s.png", ecg_plot_layout_name (cases[i].kind));
      shot = capture (name);
      CHECK_MSG (check_r_peaks (&shot, &style, &layout, 11) == cases[i].peaks_of_v6, "%s",
                 ecg_plot_layout_name (cases[i].kind));
      CHECK (check_r_peaks (&shot, &style, &layout, 0) > 0);
    }
}

/* Panels whose lead's given score exceeds τ. */
static guint
expected_flagged (const EcgPlotLayout *layout,
                  double               tau)
{
  guint n = 0;

  for (size_t i = 0; i < layout->n_panels; i++)
    n += lead_score (layout->panels[i].lead) > tau;
  return n;
}

static void
test_threshold_flags_leads (void)
{
  static const double taus[] = { 0.55, 0.85, 0.05, 1.25 };
  EcgRecord rec = make_record ();
  EcgRecordScore score = make_score (&rec);
  EcgPlotModelInfo model = { .name = "synthetic", .threshold = 0.55, .percentile = 95, .score_lo = 0,
                             .score_hi = 0.1, .attn_dev_max = 0.4 };

  ecg_record_view_take_record (view, &rec);
  ecg_record_view_take_score (view, &score, &model);
  settle (50);
  CHECK (ecg_record_view_has_score (view));
  for (int k = 0; k < 2; k++)
    {
      ecg_record_view_set_layout (view, k ? ECG_PLOT_LAYOUT_3X4 : ECG_PLOT_LAYOUT_12X1);
      settle (50);
      for (size_t i = 0; i < G_N_ELEMENTS (taus); i++)
        {
          g_auto(Shot) shot = { 0 };
          char name[64];
          EcgPlotStyle style;
          EcgPlotLayout layout;
          guint plates = 0;

          ecg_record_view_set_threshold (view, taus[i]);
          CHECK_NEAR (ecg_record_view_get_threshold (view), taus[i], 0);
          CHECK (ecg_record_view_get_page (view, &style, &layout));
          CHECK_MSG (ecg_record_view_get_n_flagged (view) == expected_flagged (&layout, taus[i]),
                     "%s, τ %g: %u flagged, expected %u", ecg_plot_layout_name (layout.kind), taus[i],
                     ecg_record_view_get_n_flagged (view), expected_flagged (&layout, taus[i]));
          /* a flagged lead's name is on a red plate */
          snprintf (name, sizeof name, "record-view-%s-tau-%.2f.png", ecg_plot_layout_name (layout.kind), taus[i]);
          shot = capture (name);
          for (size_t j = 0; j < layout.n_panels; j++)
            {
              const EcgPlotPanel *p = &layout.panels[j];
              int red = 0;

              for (int y = (int) p->label_y; y < (int) (p->label_y + ecg_plot_label_height (&style)); y++)
                for (int x = (int) p->label_x; x < (int) (p->label_x + 3 * ecg_plot_label_height (&style)); x++)
                  red += test_shot_is_color (&shot, x, y, &style.colors.error_over);
              plates += red > 10;
              CHECK_MSG ((red > 10) == (lead_score (p->lead) > taus[i]), "panel %zu (lead %zu): %d red pixels", j,
                         p->lead, red);
            }
          CHECK (plates == expected_flagged (&layout, taus[i]));
        }
    }
  ecg_record_view_set_layout (view, ECG_PLOT_LAYOUT_12X1);
}

static void
test_dark_style_follows_the_theme (void)
{
  GtkSettings *settings = gtk_settings_get_default ();
  g_auto(Shot) shot = { 0 };
  EcgPlotStyle style;
  EcgPlotLayout layout;
  double sum = 0;

  g_object_set (settings, "gtk-application-prefer-dark-theme", TRUE, NULL);
  settle (300);
  CHECK (ecg_record_view_get_page (view, &style, &layout));
  CHECK (style.dark);
  shot = capture ("record-view-dark.png");
  for (int y = 0; y < shot.height; y++)
    for (int x = 0; x < shot.width; x++)
      {
        double rgb[3];

        test_shot_rgb (&shot, x, y, rgb);
        sum += 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2];
      }
  printf ("#   dark: mean luminance %.2f\n", sum / ((double) shot.width * shot.height));
  CHECK (sum / ((double) shot.width * shot.height) < 0.3);
  g_object_set (settings, "gtk-application-prefer-dark-theme", FALSE, NULL);
  test_iterate (300);
}

static int
compare_doubles (const void *a,
                 const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

/* Median ms of the view's snapshot (the page drawn on the CPU when it is
 * not kept) and of its rendering by the window's renderer, over runs frames
 * each after change (i). */
static void
frame_ms (void (*change) (int),
          int    runs,
          double *snapshot_ms,
          double *render_ms)
{
  int width = gtk_widget_get_width (GTK_WIDGET (view)), height = gtk_widget_get_height (GTK_WIDGET (view));
  GskRenderer *renderer = gtk_native_get_renderer (GTK_NATIVE (window));
  double *ms = g_new (double, 2 * runs);

  for (int i = 0; i < runs; i++)
    {
      GtkSnapshot *snapshot = gtk_snapshot_new ();
      GskRenderNode *node;
      gint64 t0, t1;

      change (i);
      t0 = g_get_monotonic_time ();
      GTK_WIDGET_GET_CLASS (view)->snapshot (GTK_WIDGET (view), snapshot);
      node = gtk_snapshot_free_to_node (snapshot);
      t1 = g_get_monotonic_time ();
      g_object_unref (gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height)));
      ms[i] = (t1 - t0) / 1e3;
      ms[runs + i] = (g_get_monotonic_time () - t1) / 1e3;
      gsk_render_node_unref (node);
    }
  qsort (ms, runs, sizeof *ms, compare_doubles);
  qsort (ms + runs, runs, sizeof *ms, compare_doubles);
  *snapshot_ms = ms[runs / 2];
  *render_ms = ms[runs + runs / 2];
  g_free (ms);
}

static void
change_threshold (int i)
{
  ecg_record_view_set_threshold (view, i % 2 ? 0.55 : 0.45);
}

static void
move_pointer (int i)
{
  EcgPlotStyle style;
  EcgPlotLayout layout;

  ecg_record_view_get_page (view, &style, &layout);
  ecg_record_view_pointer_at (view, layout.trace_x + 10 + 7 * i, layout.rows_y + 50 + 3 * i);
}

static void
test_frame_times (void)
{
  double full, full_render, pointer, pointer_render;

  frame_ms (change_threshold, 21, &full, &full_render);
  frame_ms (move_pointer, 21, &pointer, &pointer_render);
  printf ("#   %d x %d view, medians of 21 frames: after a change of τ the snapshot (page drawn again) takes "
          "%.2f ms, after a pointer move (page kept, crosshair drawn) %.2f ms; %s then renders them in %.1f and "
          "%.1f ms\n", gtk_widget_get_width (GTK_WIDGET (view)), gtk_widget_get_height (GTK_WIDGET (view)), full,
          pointer, G_OBJECT_TYPE_NAME (gtk_native_get_renderer (GTK_NATIVE (window))), full_render, pointer_render);
  CHECK (pointer < full / 4);  /* the page is not drawn again */
  ecg_record_view_pointer_at (view, -1, -1);
}

int
main (void)
{
  EcgRecord rec;

  if (!gtk_init_check ())
    {
      printf ("1..0 # SKIP no display\n");
      return 0;
    }
  window = GTK_WINDOW (gtk_window_new ());
  view = ECG_RECORD_VIEW (ecg_record_view_new ());
  gtk_window_set_child (window, GTK_WIDGET (view));
  gtk_window_set_default_size (window, 1200, 800);
  gtk_window_present (window);
  rec = make_record ();
  ecg_record_view_take_record (view, &rec);
  settle (300);

  RUN (test_record_drawn_where_its_samples_say);
  RUN (test_zoom_and_pan);
  RUN (test_crosshair_reads_the_sample_under_it);
  RUN (test_calipers_measure_an_rr_interval);
  RUN (test_layouts);
  RUN (test_threshold_flags_leads);
  RUN (test_dark_style_follows_the_theme);
  RUN (test_frame_times);

  gtk_window_destroy (window);
  test_iterate (50);
  return test_done ();
}
