/* Suite ui, no display: the page `ecglens-cli render` and the record view draw.
 *
 * Exact cases of the layout arithmetic (6×2 and 3×4 panel positions, hit-test
 * round trips), pixel checks on rendered pages (grid at the printed scale, red
 * reconstruction, error strip with its τ line, attention strip for the MHA
 * model only), export to PDF/SVG at paper scale, and golden images: fixed
 * synthetic records scored by the demo models, drawn in every layout and both
 * styles, compared with the PNGs in tests/data/golden (a pixel differs when a channel
 * differs by more than 24; more than 0.5% differing pixels fail).
 *
 * After an intended change of the drawing, regenerate the golden images with
 *   ECGLENS_UPDATE_GOLDEN=1 meson test -C BUILD test-render
 * and look at them before committing. Differing renderings are saved in the
 * build tree as tests/render-*.png. */
#include <cairo.h>

#include "checkpoint.h"
#include "ecg-plot-export.h"
#include "ecg-plot.h"
#include "fileio.h"
#include "score.h"
#include "synth.h"
#include "test.h"

#define GOLDEN_DIR ECGLENS_SOURCE_ROOT "/tests/data/golden"
#define GOLDEN_PX_PER_MM 2.0
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* ---- fixtures ---- */

/* A scored record and what the page needs of it. */
typedef struct {
  EcgPlotModelInfo model;
  EcgPlotScored shown;
  EcgPlotOverlay overlay;
  bool ok;
} Scored;

static EcgRecord synth_record (EcgSynthKind kind, uint64_t seed)
{
  EcgRecord rec = { 0 };
  EcgError err = { 0 };

  if (ecg_synth_record (kind, 500, 10, seed, &rec, NULL, NULL, &err) != ECG_OK)
    printf ("#   synth: %s\n", err.message);
  return rec;
}

/* rec scored by data/models/<name>.model.h5. */
static Scored score_with (const char *name, const EcgRecord *rec)
{
  char path[4096];
  EcgModel *m = NULL;
  EcgCheckpointInfo info;
  EcgRecordScore score = { 0 };
  EcgError err = { 0 };
  Scored s = { 0 };

  snprintf (path, sizeof path, "%s/data/models/%s.model.h5", ECGLENS_SOURCE_ROOT, name);
  if (ecg_checkpoint_load (path, &m, &info, &err) != ECG_OK)
    {
      printf ("#   %s\n", err.message);
      return s;
    }
  ecg_plot_model_info_from_checkpoint (&s.model, ecg_model_config (m), &info);
  s.ok = ecg_score_record (m, info.has_norm ? &info.norm : NULL, rec, false, &score, &err) == ECG_OK &&
         ecg_plot_scored_init (&s.shown, &score, rec->id, &err) == ECG_OK;
  if (!s.ok)
    printf ("#   %s: %s\n", name, err.message);
  ecg_record_score_clear (&score);
  ecg_checkpoint_info_clear (&info);
  ecg_model_free (m);
  return s;
}

static void scored_clear (Scored *s)
{
  ecg_plot_scored_clear (&s->shown);
}

/* The page of rec (overlay may be NULL) on an image surface. */
static cairo_surface_t *render (const EcgRecord *rec, const EcgPlotOverlay *ov, EcgPlotLayoutKind kind,
                                double px_per_mm, bool dark, EcgPlotLayout *layout, EcgPlotStyle *style)
{
  cairo_surface_t *surface;
  cairo_t *cr;

  ecg_plot_style_init (style, px_per_mm, dark);
  ecg_plot_layout_compute (layout, kind, 0, 0, rec->n_leads, 0, rec->n_samples / rec->fs,
                           ecg_plot_overlay_strips (ov), style);
  surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, (int)ceil (layout->width), (int)ceil (layout->height));
  cr = cairo_create (surface);
  ecg_plot_draw_page (cr, rec, ov, layout, style);
  cairo_destroy (cr);
  cairo_surface_flush (surface);
  return surface;
}

static void pixel (cairo_surface_t *s, int x, int y, double rgb[3])
{
  const unsigned char *p = cairo_image_surface_get_data (s) + (size_t)y * cairo_image_surface_get_stride (s) + 4 * (size_t)x;

  rgb[0] = p[2] / 255.0, rgb[1] = p[1] / 255.0, rgb[2] = p[0] / 255.0;
}

static bool is_color (cairo_surface_t *s, int x, int y, const EcgPlotColor *c, double tol)
{
  double rgb[3];

  if (x < 0 || y < 0 || x >= cairo_image_surface_get_width (s) || y >= cairo_image_surface_get_height (s))
    return false;
  pixel (s, x, y, rgb);
  return fabs (rgb[0] - c->r) < tol && fabs (rgb[1] - c->g) < tol && fabs (rgb[2] - c->b) < tol;
}

/* Pixels of colour c in the rectangle. */
static int count_color (cairo_surface_t *s, double x, double y, double w, double h, const EcgPlotColor *c, double tol)
{
  int n = 0;

  for (int j = (int)ceil (y); j < (int)floor (y + h); j++)
    for (int i = (int)ceil (x); i < (int)floor (x + w); i++)
      n += is_color (s, i, j, c, tol);
  return n;
}

/* ---- layout arithmetic ---- */

static void test_layout_6x2_positions (void)
{
  EcgPlotStyle style;
  EcgPlotLayout l;

  ecg_plot_style_init (&style, 1.0, false);  /* 1 unit per mm */
  ecg_plot_layout_compute (&l, ECG_PLOT_LAYOUT_6X2, 0, 0, 12, 2.0, 10.0, 0, &style);
  CHECK (l.kind == ECG_PLOT_LAYOUT_6X2 && l.n_rows == 6 && l.n_cols == 2 && l.n_panels == 12);
  CHECK_NEAR (l.trace_x, 15, 1e-12);  /* 3 + 2 + 5 + 2 + 3 mm, rounded up to a 5 mm line */
  CHECK_NEAR (l.width, 15 + 250 + 5, 1e-12);
  CHECK_NEAR (l.height, 10 + 6 * 20 + 10, 1e-12);
  for (size_t i = 0; i < 12; i++)
    {
      const EcgPlotPanel *p = &l.panels[i];
      size_t row = i % 6, col = i / 6;

      CHECK (p->lead == 6 * col + row && p->row == row && p->col == col);
      CHECK_NEAR (p->t0, 2.0, 1e-12);  /* both columns show the same span */
      CHECK_NEAR (p->t1, 7.0, 1e-12);
      CHECK_NEAR (p->trace_x, 15 + 125 * col, 1e-12);
      CHECK_NEAR (p->trace_width, 125, 1e-12);
      CHECK_NEAR (p->y, 10 + 20 * row, 1e-12);
      CHECK_NEAR (p->baseline, 20 + 20 * row, 1e-12);
      CHECK (col == 0 ? p->pulse_x == 3 : isnan (p->pulse_x));
    }
}

static void test_layout_3x4_positions (void)
{
  static const size_t leads[4][3] = { { 0, 1, 2 }, { 3, 4, 5 }, { 6, 7, 8 }, { 9, 10, 11 } };
  EcgPlotStyle style;
  EcgPlotLayout l;

  ecg_plot_style_init (&style, 1.0, false);
  ecg_plot_layout_compute (&l, ECG_PLOT_LAYOUT_3X4, 0, 0, 12, 0.0, 10.0,
                           ECG_PLOT_STRIP_ERROR | ECG_PLOT_STRIP_ATTENTION, &style);
  CHECK (l.n_rows == 4 && l.n_cols == 4 && l.n_panels == 13);
  CHECK_NEAR (l.row_height, 30, 1e-12);
  for (size_t c = 0; c < 4; c++)
    for (size_t r = 0; r < 3; r++)
      {
        const EcgPlotPanel *p = &l.panels[3 * c + r];

        CHECK (p->lead == leads[c][r] && p->row == r && p->col == c);
        CHECK_NEAR (p->t0, 2.5 * c, 1e-12);
        CHECK_NEAR (p->t1, 2.5 * (c + 1), 1e-12);
        CHECK_NEAR (p->trace_x, 15 + 62.5 * c, 1e-12);
        CHECK_NEAR (p->y, 10 + 30 * r, 1e-12);
        CHECK_NEAR (p->error_y, p->y + 20.5, 1e-12);
        CHECK_NEAR (p->error_height, 6, 1e-12);
        CHECK_NEAR (p->attn_y, p->y + 27, 1e-12);
        CHECK_NEAR (p->attn_height, 2.5, 1e-12);
      }
  /* the rhythm strip: lead II over the whole span */
  CHECK (l.panels[12].lead == 1 && l.panels[12].row == 3);
  CHECK_NEAR (l.panels[12].trace_width, 250, 1e-12);
  CHECK_NEAR (l.panels[12].y, 100, 1e-12);
  CHECK_NEAR (l.legend_y, 10 + 4 * 30 + 10, 1e-12);
  CHECK (l.height >= l.legend_y + 10);
}

static void test_layout_other_leads_and_names (void)
{
  EcgPlotStyle style;
  EcgPlotLayout l;

  ecg_plot_style_init (&style, 1.0, false);
  ecg_plot_layout_compute (&l, ECG_PLOT_LAYOUT_3X4, 0, 0, 2, 0.0, 10.0, 0, &style);
  CHECK (l.kind == ECG_PLOT_LAYOUT_12X1 && l.n_panels == 2 && l.panels[1].lead == 1);
  for (int k = 0; k < ECG_PLOT_N_LAYOUTS; k++)
    CHECK (ecg_plot_layout_from_name (ecg_plot_layout_name (k)) == k);
  CHECK (ecg_plot_layout_from_name ("4x3") == -1);
}

static void test_layout_hit_round_trip (void)
{
  EcgPlotStyle style;
  EcgPlotLayout l;

  ecg_plot_style_init (&style, 3.7, false);
  style.scale.zoom = 0.8;
  style.scale.mm_per_s = 50;
  for (int kind = 0; kind < ECG_PLOT_N_LAYOUTS; kind++)
    {
      ecg_plot_layout_compute (&l, kind, 12, 7, 12, 1.25, 5.0, ECG_PLOT_STRIP_ERROR, &style);
      for (size_t i = 0; i < l.n_panels; i++)
        {
          const EcgPlotPanel *p = &l.panels[i];
          double t = p->t0 + 0.37 * (p->t1 - p->t0), mv = -0.6, ht, hmv;
          double unit = ecg_plot_scale_unit (&style.scale);
          int hit = ecg_plot_layout_hit (&l, &style, ecg_plot_panel_x (p, &style, t),
                                         p->baseline - mv * style.scale.mm_per_mv * unit, &ht, &hmv);

          CHECK_MSG (hit == (int)i, "layout %d panel %zu: hit %d", kind, i, hit);
          CHECK_NEAR (ht, t, 1e-9);
          CHECK_NEAR (hmv, mv, 1e-9);
        }
      CHECK (ecg_plot_layout_hit (&l, &style, l.x + 1, l.rows_y + 1, &(double) { 0 }, &(double) { 0 }) == -1);
    }
}

/* ---- pixels ---- */

static void test_pixels_of_a_scored_page (void)
{
  EcgRecord rec = synth_record (ECG_SYNTH_MI_ANTERIOR, 11);
  Scored mha = score_with ("vae_bilstm_mha", &rec), cae = score_with ("cae", &rec);
  EcgPlotStyle style;
  EcgPlotLayout l;
  cairo_surface_t *s;
  double unit;
  int red = 0, found = 0, last = -1, worst = 0, above = 0, attn_px;

  SKIP_IF (!mha.ok || !cae.ok, "the demo models did not score");
  ecg_plot_scored_overlay (&mha.shown, &mha.model, mha.model.threshold, &mha.overlay);
  s = render (&mha.shown.record, &mha.overlay, ECG_PLOT_LAYOUT_12X1, 4.0, false, &l, &style);
  unit = ecg_plot_scale_unit (&style.scale);

  /* the reconstruction, red, in every row */
  for (size_t i = 0; i < l.n_panels; i++)
    {
      int n = count_color (s, l.panels[i].trace_x, l.panels[i].y, l.panels[i].trace_width, l.panels[i].height,
                           &style.colors.recon, 0.12);
      CHECK_MSG (n > 200, "row %zu: %d reconstruction pixels", i, n);
      red += n;
    }
  printf ("#   %d reconstruction pixels\n", red);

  /* vertical 5 mm lines in the header band at 5 mm × the printed scale */
  for (int x = (int)l.trace_x - 2; x < (int)(l.trace_x + l.trace_width) + 2; x++)
    if (is_color (s, x, (int)(l.y + 2), &style.colors.grid_major, 0.08))
      {
        if (last >= 0 && x - last <= 1)
          continue;
        if (last >= 0)
          worst = MAX (worst, (int)fabs (x - last - 5 * unit));
        last = x, found++;
      }
  printf ("#   %d 5 mm lines, %.1f px apart, worst off by %d px\n", found, 5 * unit, worst);
  CHECK (found == 51 && worst <= 1);

  /* τ drawn across the error strip: dashed, so at least half its length */
  {
    const EcgPlotPanel *p = &l.panels[0];
    double frac = (mha.model.threshold - mha.model.score_lo) / (mha.model.score_hi - mha.model.score_lo);
    int y = (int)floor (p->error_y + p->error_height - frac * p->error_height), best = 0;

    for (int dy = -1; dy <= 1; dy++)
      best = MAX (best, count_color (s, p->trace_x, y + dy, p->trace_width, 1, &style.colors.text, 0.1));
    CHECK_MSG (best > 0.4 * p->trace_width, "τ line: %d of %.0f px", best, p->trace_width);
    /* and bars above τ in the error colour somewhere on the page */
    for (size_t i = 0; i < l.n_panels; i++)
      above += count_color (s, l.panels[i].trace_x, l.panels[i].error_y, l.panels[i].trace_width,
                            l.panels[i].error_height, &style.colors.error_over, 0.1);
    CHECK (above > 0);
  }

  /* attention strip: coloured for MHA */
  attn_px = 0;
  for (size_t i = 0; i < l.n_panels; i++)
    {
      const EcgPlotPanel *p = &l.panels[i];

      CHECK (p->attn_height > 0);
      for (int y = (int)ceil (p->attn_y); y < (int)(p->attn_y + p->attn_height); y++)
        for (int x = (int)ceil (p->trace_x); x < (int)(p->trace_x + p->trace_width); x++)
          attn_px += !is_color (s, x, y, &style.colors.strip, 0.1);
    }
  printf ("#   %d coloured attention pixels (MHA)\n", attn_px);
  CHECK (attn_px > 1000);
  cairo_surface_destroy (s);

  /* ... and absent for the CAE: no strip, the legend says so */
  ecg_plot_scored_overlay (&cae.shown, &cae.model, cae.model.threshold, &cae.overlay);
  CHECK (!cae.model.has_lead_attention && cae.shown.attn == NULL);
  CHECK (ecg_plot_overlay_strips (&cae.overlay) == ECG_PLOT_STRIP_ERROR);
  s = render (&cae.shown.record, &cae.overlay, ECG_PLOT_LAYOUT_12X1, 4.0, false, &l, &style);
  for (size_t i = 0; i < l.n_panels; i++)
    CHECK (l.panels[i].attn_height == 0);
  CHECK (count_color (s, 0, 0, l.width, l.height, &style.colors.attn_above, 0.05) == 0);
  cairo_surface_destroy (s);

  /* the scale: lo ≤ validation scores, τ inside the strip */
  CHECK (mha.model.score_lo <= mha.model.threshold && mha.model.threshold < mha.model.score_hi);
  CHECK (cae.model.score_lo == 0 && cae.model.threshold < cae.model.score_hi / 2);
  scored_clear (&mha);
  scored_clear (&cae);
  ecg_record_clear (&rec);
}

static void test_threshold_moves_flags (void)
{
  EcgRecord rec = synth_record (ECG_SYNTH_STTC_T_INVERSION, 5);
  Scored mha = score_with ("vae_bilstm_mha", &rec);
  EcgPlotStyle style;
  EcgPlotLayout l;
  cairo_surface_t *s;
  cairo_t *cr;
  size_t n_low, n_high;

  SKIP_IF (!mha.ok, "the demo model did not score");
  ecg_plot_scored_overlay (&mha.shown, &mha.model, -1e9, &mha.overlay);
  s = render (&mha.shown.record, &mha.overlay, ECG_PLOT_LAYOUT_3X4, 2.0, false, &l, &style);
  cr = cairo_create (s);
  n_low = ecg_plot_draw_page (cr, &mha.shown.record, &mha.overlay, &l, &style);
  mha.overlay.threshold = 1e9;
  n_high = ecg_plot_draw_page (cr, &mha.shown.record, &mha.overlay, &l, &style);
  CHECK_MSG (n_low == 13 && n_high == 0, "flagged %zu at τ -1e9, %zu at τ 1e9", n_low, n_high);
  cairo_destroy (cr);
  cairo_surface_destroy (s);
  scored_clear (&mha);
  ecg_record_clear (&rec);
}

static void test_export_formats (void)
{
  EcgRecord rec = synth_record (ECG_SYNTH_NORMAL, 3);
  EcgPlotStyle style;
  EcgError err = { 0 };
  char path[512], *data = NULL;
  size_t size = 0;

  ecg_plot_style_init (&style, 5.0, false);
  snprintf (path, sizeof path, "%s/page.pdf", test_tmpdir ());
  CHECK_OK (ecg_plot_export (path, &rec, NULL, ECG_PLOT_LAYOUT_6X2, 0, 10, &style, &err), &err);
  CHECK_OK (ecg_file_read_all (path, &data, &size, &err), &err);
  CHECK (size > 1000 && data && memcmp (data, "%PDF", 4) == 0);
  free (data);
  snprintf (path, sizeof path, "%s/page.svg", test_tmpdir ());
  CHECK_OK (ecg_plot_export (path, &rec, NULL, ECG_PLOT_LAYOUT_12X1, 0, 10, &style, &err), &err);
  CHECK_OK (ecg_file_read_all (path, &data, &size, &err), &err);
  /* true paper scale: 15 + 250 + 5 mm wide in points */
  CHECK_MSG (data && strstr (data, "width=\"765.35") != NULL, "%.200s", data ? data : "");
  free (data);
  snprintf (path, sizeof path, "%s/page.jpg", test_tmpdir ());
  CHECK (ecg_plot_export (path, &rec, NULL, ECG_PLOT_LAYOUT_12X1, 0, 10, &style, &err) == ECG_ERR_ARG);
  CHECK (strstr (err.message, "page.jpg") != NULL);
  snprintf (path, sizeof path, "%s/no/such/dir/page.png", test_tmpdir ());
  CHECK (ecg_plot_export (path, &rec, NULL, ECG_PLOT_LAYOUT_12X1, 0, 10, &style, &err) == ECG_ERR_IO);
  CHECK (strstr (err.message, "page.png") != NULL);
  ecg_record_clear (&rec);
}

/* ---- golden images ---- */

/* Compare s with the golden image name (or write it when updating). */
static void check_golden (cairo_surface_t *s, const char *name)
{
  char path[4096];
  cairo_surface_t *golden;
  int w = cairo_image_surface_get_width (s), h = cairo_image_surface_get_height (s), differ = 0;
  const char *build = getenv ("ECGLENS_BUILD_ROOT");

  snprintf (path, sizeof path, "%s/%s", GOLDEN_DIR, name);
  if (getenv ("ECGLENS_UPDATE_GOLDEN"))
    {
      CHECK (cairo_surface_write_to_png (s, path) == CAIRO_STATUS_SUCCESS);
      printf ("#   wrote %s\n", path);
      return;
    }
  golden = cairo_image_surface_create_from_png (path);
  if (cairo_surface_status (golden) != CAIRO_STATUS_SUCCESS || cairo_image_surface_get_width (golden) != w ||
      cairo_image_surface_get_height (golden) != h)
    differ = w * h;
  else
    {
      cairo_surface_flush (golden);
      for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
          {
            const unsigned char *a = cairo_image_surface_get_data (s) + (size_t)y * cairo_image_surface_get_stride (s) + 4 * (size_t)x;
            const unsigned char *b = cairo_image_surface_get_data (golden) + (size_t)y * cairo_image_surface_get_stride (golden) + 4 * (size_t)x;
            bool d = false;

            for (int c = 0; c < 3; c++)
              d |= abs (a[c] - b[c]) > 24;
            differ += d;
          }
    }
  cairo_surface_destroy (golden);
  printf ("#   %s: %d of %d pixels differ\n", name, differ, w * h);
  if (differ > 0.005 * w * h)
    {
      snprintf (path, sizeof path, "%s/tests/render-%s", build ? build : test_tmpdir (), name);
      cairo_surface_write_to_png (s, path);
      CHECK_MSG (0, "%s: %.2f%% of pixels differ from the golden image; this rendering is %s", name,
                 100.0 * differ / (w * h), path);
    }
}

static void test_golden_pages (void)
{
  EcgRecord mi = synth_record (ECG_SYNTH_MI_INFERIOR, 21), lbbb = synth_record (ECG_SYNTH_CD_LBBB, 22);
  Scored mha = score_with ("vae_bilstm_mha", &mi), cae = score_with ("cae", &lbbb);
  static const struct {
    const char *name;
    int model;  /* 0 none (the raw MI record), 1 MHA on MI, 2 CAE on LBBB */
    EcgPlotLayoutKind kind;
    bool dark;
  } pages[] = {
    { "raw-3x4.png", 0, ECG_PLOT_LAYOUT_3X4, false },
    { "mha-12x1.png", 1, ECG_PLOT_LAYOUT_12X1, false },
    { "mha-6x2-dark.png", 1, ECG_PLOT_LAYOUT_6X2, true },
    { "mha-3x4.png", 1, ECG_PLOT_LAYOUT_3X4, false },
    { "cae-3x4-dark.png", 2, ECG_PLOT_LAYOUT_3X4, true },
    { "cae-6x2.png", 2, ECG_PLOT_LAYOUT_6X2, false },
  };

  SKIP_IF (!mha.ok || !cae.ok, "the demo models did not score");
  ecg_plot_scored_overlay (&mha.shown, &mha.model, mha.model.threshold, &mha.overlay);
  ecg_plot_scored_overlay (&cae.shown, &cae.model, cae.model.threshold, &cae.overlay);
  for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++)
    {
      const Scored *sc = pages[i].model == 1 ? &mha : &cae;
      EcgPlotStyle style;
      EcgPlotLayout l;
      cairo_surface_t *s = pages[i].model ? render (&sc->shown.record, &sc->overlay, pages[i].kind, GOLDEN_PX_PER_MM,
                                                    pages[i].dark, &l, &style)
                                          : render (&mi, NULL, pages[i].kind, GOLDEN_PX_PER_MM, pages[i].dark, &l, &style);
      check_golden (s, pages[i].name);
      cairo_surface_destroy (s);
    }
  scored_clear (&mha);
  scored_clear (&cae);
  ecg_record_clear (&mi);
  ecg_record_clear (&lbbb);
}

int main (void)
{
  RUN (test_layout_6x2_positions);
  RUN (test_layout_3x4_positions);
  RUN (test_layout_other_leads_and_names);
  RUN (test_layout_hit_round_trip);
  RUN (test_pixels_of_a_scored_page);
  RUN (test_threshold_moves_flags);
  RUN (test_export_formats);
  RUN (test_golden_pages);
  return test_done ();
}
