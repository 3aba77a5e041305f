/* ecg-plot.c — ECG paper and traces drawn with Cairo alone (see ecg-plot.h). */
#include "ecg-plot.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Line widths and text sizes in paper millimetres. */
#define GRID_MINOR_MM 0.08
#define GRID_MAJOR_MM 0.25
#define TRACE_MM 0.28
#define LABEL_MM 3.2       /* cap height of lead names */
#define TEXT_MM 3.0        /* header and axis text */
#define MIN_TEXT_UNITS 9.0 /* text never gets smaller than this */
#define MIN_TRACE_UNITS 1.1

#define CAL_LEAD_MM 2.0  /* flat baseline before and after the pulse */
#define CAL_MARGIN_MM 3.0
#define CAL_PULSE_S 0.2
#define CAL_PULSE_MV 1.0

static const EcgPlotColors light_colors = {
  .paper = { 1.000, 0.961, 0.953 },
  .grid_minor = { 0.976, 0.796, 0.788 },
  .grid_major = { 0.890, 0.490, 0.486 },
  .trace = { 0.055, 0.051, 0.071 },
  .text = { 0.180, 0.110, 0.110 },
};

static const EcgPlotColors dark_colors = {
  .paper = { 0.118, 0.114, 0.133 },
  .grid_minor = { 0.208, 0.161, 0.173 },
  .grid_major = { 0.420, 0.227, 0.239 },
  .trace = { 0.945, 0.937, 0.925 },
  .text = { 0.875, 0.855, 0.851 },
};

void
ecg_plot_style_init (EcgPlotStyle *style,
                     double        px_per_mm,
                     bool          dark)
{
  memset (style, 0, sizeof *style);
  style->scale.px_per_mm = px_per_mm > 0 ? px_per_mm : ECG_PLOT_DEFAULT_PX_PER_MM;
  style->scale.zoom = 1.0;
  style->scale.mm_per_s = 25.0;
  style->scale.mm_per_mv = 10.0;
  style->colors = dark ? dark_colors : light_colors;
  style->snap = true;
}

double
ecg_plot_scale_unit (const EcgPlotScale *scale)
{
  return scale->px_per_mm * scale->zoom;
}

void
ecg_plot_scale_format (const EcgPlotScale *scale,
                       char               *buf,
                       size_t              size)
{
  /* Shown to a reader of the page: the speed and gain as they are on it. */
  if (fabs (scale->zoom - 1.0) < 0.005)
    snprintf (buf, size, "%g mm/s \u00b7 %g mm/mV", scale->mm_per_s, scale->mm_per_mv);
  else
    snprintf (buf, size, "%.3g mm/s \u00b7 %.3g mm/mV (%.0f%%)",
              scale->mm_per_s * scale->zoom, scale->mm_per_mv * scale->zoom,
              scale->zoom * 100.0);
}

static void
set_color (cairo_t            *cr,
           const EcgPlotColor *c,
           double              alpha)
{
  cairo_set_source_rgba (cr, c->r, c->g, c->b, alpha);
}

/* Device pixels per output unit (1 on an ordinary screen, 2 on a HiDPI one). */
static double
device_scale (cairo_t *cr)
{
  double dx = 1.0, dy = 0.0;

  cairo_user_to_device_distance (cr, &dx, &dy);
  return hypot (dx, dy);
}

/* Width of a line of mm millimetres of paper; when snapping, a whole number of
 * device pixels (at least one), returned through device_px. */
static double
line_width (cairo_t            *cr,
            const EcgPlotStyle *style,
            double              mm,
            int                *device_px)
{
  double ds = device_scale (cr);
  double w = mm * ecg_plot_scale_unit (&style->scale);

  if (!style->snap)
    {
      *device_px = 0;
      return w;
    }
  *device_px = (int)fmax (1.0, round (w * ds));
  return *device_px / ds;
}

/* Move coordinate v along axis (0 = x, 1 = y) to the centre of a device pixel
 * (odd widths) or onto a pixel edge (even widths), so grid lines are crisp. */
static double
snap (cairo_t            *cr,
      const EcgPlotStyle *style,
      int                 axis,
      double              v,
      int                 device_px)
{
  double p[2] = { 0.0, 0.0 };

  if (!style->snap)
    return v;
  p[axis] = v;
  cairo_user_to_device (cr, &p[0], &p[1]);
  p[axis] = (device_px % 2) ? floor (p[axis]) + 0.5 : round (p[axis]);
  cairo_device_to_user (cr, &p[0], &p[1]);
  return p[axis];
}

/* Lines every step units from the rectangle's top-left corner, in one path;
 * every `every`-th line is skipped when skip is set (the major ones). */
static void
grid_lines (cairo_t            *cr,
            const EcgPlotStyle *style,
            double              x,
            double              y,
            double              width,
            double              height,
            double              step,
            int                 every,
            bool                skip,
            int                 device_px)
{
  int nx = (int)floor (width / step + 1e-6);
  int ny = (int)floor (height / step + 1e-6);

  for (int i = 0; i <= nx; i++)
    {
      double sx;

      if (skip && i % every == 0)
        continue;
      sx = snap (cr, style, 0, x + i * step, device_px);
      cairo_move_to (cr, sx, y);
      cairo_line_to (cr, sx, y + height);
    }
  for (int j = 0; j <= ny; j++)
    {
      double sy;

      if (skip && j % every == 0)
        continue;
      sy = snap (cr, style, 1, y + j * step, device_px);
      cairo_move_to (cr, x, sy);
      cairo_line_to (cr, x + width, sy);
    }
}

void
ecg_plot_draw_paper (cairo_t            *cr,
                     double              x,
                     double              y,
                     double              width,
                     double              height,
                     const EcgPlotStyle *style)
{
  double unit = ecg_plot_scale_unit (&style->scale);
  int minor_px, major_px;
  double minor_w, major_w;

  cairo_save (cr);
  cairo_rectangle (cr, x, y, width, height);
  cairo_clip (cr);
  set_color (cr, &style->colors.paper, 1.0);
  cairo_paint (cr);

  cairo_set_antialias (cr, style->snap ? CAIRO_ANTIALIAS_NONE : CAIRO_ANTIALIAS_DEFAULT);
  cairo_set_line_cap (cr, CAIRO_LINE_CAP_BUTT);
  minor_w = line_width (cr, style, GRID_MINOR_MM, &minor_px);
  major_w = line_width (cr, style, GRID_MAJOR_MM, &major_px);

  /* Minor lines closer than 2 device pixels would only tint the paper. */
  if (unit * device_scale (cr) >= 2.0)
    {
      cairo_new_path (cr);
      grid_lines (cr, style, x, y, width, height, unit, 5, true, minor_px);
      cairo_set_line_width (cr, minor_w);
      set_color (cr, &style->colors.grid_minor, 1.0);
      cairo_stroke (cr);
    }

  cairo_new_path (cr);
  grid_lines (cr, style, x, y, width, height, 5.0 * unit, 1, false, major_px);
  cairo_set_line_width (cr, major_w);
  set_color (cr, &style->colors.grid_major, 1.0);
  cairo_stroke (cr);
  cairo_restore (cr);
}

static void
set_trace_pen (cairo_t            *cr,
               const EcgPlotStyle *style)
{
  double unit = ecg_plot_scale_unit (&style->scale);

  cairo_set_line_width (cr, fmax (TRACE_MM * unit, MIN_TRACE_UNITS));
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
  set_color (cr, &style->colors.trace, 1.0);
}

void
ecg_plot_draw_calibration (cairo_t            *cr,
                           double              x,
                           double              baseline,
                           const EcgPlotStyle *style)
{
  double unit = ecg_plot_scale_unit (&style->scale);
  double lead = CAL_LEAD_MM * unit;
  double pulse_w = CAL_PULSE_S * style->scale.mm_per_s * unit;
  double pulse_h = CAL_PULSE_MV * style->scale.mm_per_mv * unit;

  cairo_save (cr);
  set_trace_pen (cr, style);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_MITER);
  cairo_new_path (cr);
  cairo_move_to (cr, x, baseline);
  cairo_rel_line_to (cr, lead, 0);
  cairo_rel_line_to (cr, 0, -pulse_h);
  cairo_rel_line_to (cr, pulse_w, 0);
  cairo_rel_line_to (cr, 0, pulse_h);
  cairo_rel_line_to (cr, lead, 0);
  cairo_stroke (cr);
  cairo_restore (cr);
}

/* The samples of one device-pixel column, kept in sample order. */
typedef struct {
  long column;
  size_t first, last, min, max;
  bool used;
} TraceColumn;

static void
trace_point (cairo_t *cr,
             bool    *pen_down,
             double   px,
             double   py)
{
  if (*pen_down)
    cairo_line_to (cr, px, py);
  else
    cairo_move_to (cr, px, py);
  *pen_down = true;
}

static void
trace_flush_column (cairo_t           *cr,
                    TraceColumn       *col,
                    bool              *pen_down,
                    const float       *samples,
                    double             x_of_0,
                    double             px_per_sample,
                    double             baseline,
                    double             px_per_mv)
{
  size_t order[4];
  size_t lo, hi;

  if (!col->used)
    return;
  lo = col->min < col->max ? col->min : col->max;
  hi = col->min < col->max ? col->max : col->min;
  order[0] = col->first;
  order[1] = lo;
  order[2] = hi;
  order[3] = col->last;
  for (int k = 0; k < 4; k++)
    {
      size_t i = order[k];

      if (k > 0 && i == order[k - 1])
        continue;
      trace_point (cr, pen_down, x_of_0 + i * px_per_sample, baseline - samples[i] * px_per_mv);
    }
  col->used = false;
}

void
ecg_plot_draw_trace (cairo_t            *cr,
                     const float        *samples,
                     size_t              n,
                     double              fs,
                     double              t0,
                     double              t1,
                     double              x,
                     double              baseline,
                     const EcgPlotStyle *style)
{
  double unit = ecg_plot_scale_unit (&style->scale);
  double px_per_s = style->scale.mm_per_s * unit;
  double px_per_mv = style->scale.mm_per_mv * unit;
  double px_per_sample, x_of_0, ds;
  double first, last;
  size_t i0, i1;
  bool pen_down = false;
  bool decimate;
  TraceColumn col = { 0 };

  if (!samples || n == 0 || !(fs > 0) || !(t1 > t0))
    return;
  first = ceil (t0 * fs);
  last = floor (t1 * fs);
  if (last < 0 || first >= (double)n)
    return;
  i0 = first > 0 ? (size_t)first : 0;
  i1 = last < (double)(n - 1) ? (size_t)last + 1 : n;

  px_per_sample = px_per_s / fs;
  x_of_0 = x - t0 * px_per_s;  /* where sample 0 would be */
  ds = device_scale (cr);
  decimate = px_per_sample * ds < 1.0 / 3.0;

  cairo_save (cr);
  set_trace_pen (cr, style);
  cairo_new_path (cr);
  for (size_t i = i0; i < i1; i++)
    {
      float v = samples[i];

      if (!isfinite (v))
        {
          trace_flush_column (cr, &col, &pen_down, samples, x_of_0, px_per_sample, baseline, px_per_mv);
          pen_down = false;
          continue;
        }
      if (!decimate)
        {
          trace_point (cr, &pen_down, x_of_0 + i * px_per_sample, baseline - v * px_per_mv);
          continue;
        }

      long c = (long)floor ((i - i0) * px_per_sample * ds);
      if (col.used && c != col.column)
        trace_flush_column (cr, &col, &pen_down, samples, x_of_0, px_per_sample, baseline, px_per_mv);
      if (!col.used)
        {
          col = (TraceColumn) { .column = c, .first = i, .last = i, .min = i, .max = i, .used = true };
          continue;
        }
      col.last = i;
      if (v < samples[col.min])
        col.min = i;
      if (v > samples[col.max])
        col.max = i;
    }
  trace_flush_column (cr, &col, &pen_down, samples, x_of_0, px_per_sample, baseline, px_per_mv);
  cairo_stroke (cr);
  cairo_restore (cr);
}

static double
text_size (const EcgPlotStyle *style,
           double              mm)
{
  return fmax (mm * ecg_plot_scale_unit (&style->scale), MIN_TEXT_UNITS);
}

double
ecg_plot_label_height (const EcgPlotStyle *style)
{
  return text_size (style, LABEL_MM);
}

static void
set_label_font (cairo_t            *cr,
                const EcgPlotStyle *style)
{
  cairo_select_font_face (cr, "Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
  cairo_set_font_size (cr, ecg_plot_label_height (style) / 0.72);  /* cap height of sans ≈ 0.72 em */
}

double
ecg_plot_label_width (cairo_t            *cr,
                      const char         *text,
                      const EcgPlotStyle *style)
{
  cairo_text_extents_t ext;

  cairo_save (cr);
  set_label_font (cr, style);
  cairo_text_extents (cr, text, &ext);
  cairo_restore (cr);
  return ext.x_advance;
}

void
ecg_plot_draw_label (cairo_t            *cr,
                     const char         *text,
                     double              x,
                     double              y,
                     const EcgPlotStyle *style)
{
  double cap = ecg_plot_label_height (style);
  double pad = 0.3 * cap;

  if (!text || !*text)
    return;
  cairo_save (cr);
  cairo_rectangle (cr, x - pad, y - pad, ecg_plot_label_width (cr, text, style) + 2 * pad, cap + 2 * pad);
  set_color (cr, &style->colors.paper, 0.85);
  cairo_fill (cr);

  cairo_move_to (cr, x, y + cap);
  set_label_font (cr, style);
  set_color (cr, &style->colors.text, 1.0);
  cairo_show_text (cr, text);
  cairo_restore (cr);
}

void
ecg_plot_draw_lead (cairo_t            *cr,
                    const EcgRecord    *rec,
                    size_t              l,
                    double              t0,
                    double              t1,
                    const EcgPlotRow   *row,
                    const EcgPlotStyle *style)
{
  if (l >= rec->n_leads)
    return;
  ecg_plot_draw_calibration (cr, row->pulse_x, row->baseline, style);
  ecg_plot_draw_trace (cr, ecg_record_lead (rec, l), rec->n_samples, rec->fs, t0, t1,
                       row->trace_x, row->baseline, style);
  ecg_plot_draw_label (cr, rec->leads[l].name[0] ? rec->leads[l].name : "?",
                       row->label_x, row->label_y, style);
}

void
ecg_plot_layout_12x1 (EcgPlotLayout      *layout,
                      double              x,
                      double              y,
                      size_t              n_rows,
                      double              duration,
                      const EcgPlotStyle *style)
{
  double unit = ecg_plot_scale_unit (&style->scale);

  memset (layout, 0, sizeof *layout);
  layout->x = x;
  layout->y = y;
  layout->n_rows = n_rows;
  layout->duration = duration > 0 ? duration : 0;
  layout->header_height = ECG_PLOT_HEADER_MM * unit;
  layout->rows_y = y + layout->header_height;
  layout->row_height = ECG_PLOT_ROW_MM * unit;
  /* 3 mm margin, the pulse (its rise on a 5 mm line at 25 mm/s), 3 mm gap,
   * rounded up so that t = 0 falls on a 5 mm line. */
  layout->pulse_x = x + CAL_MARGIN_MM * unit;
  layout->trace_x = x + 5.0 * ceil ((2 * CAL_MARGIN_MM + 2 * CAL_LEAD_MM
                                     + CAL_PULSE_S * style->scale.mm_per_s) / 5.0) * unit;
  layout->trace_width = layout->duration * style->scale.mm_per_s * unit;
  layout->axis_y = layout->rows_y + n_rows * layout->row_height;
  layout->width = layout->trace_x - x + layout->trace_width + ECG_PLOT_RIGHT_MM * unit;
  layout->height = layout->axis_y - y + ECG_PLOT_AXIS_MM * unit;
}

void
ecg_plot_layout_row (const EcgPlotLayout *layout,
                     size_t               i,
                     const EcgPlotStyle  *style,
                     EcgPlotRow          *row)
{
  double unit = ecg_plot_scale_unit (&style->scale);

  row->x = layout->x;
  row->y = layout->rows_y + i * layout->row_height;
  row->width = layout->width;
  row->height = layout->row_height;
  row->pulse_x = layout->pulse_x;
  row->trace_x = layout->trace_x;
  row->baseline = row->y + layout->row_height / 2;
  row->label_x = layout->trace_x + 1.0 * unit;
  row->label_y = row->y + 1.5 * unit;
}

static void
draw_header (cairo_t             *cr,
             const EcgRecord     *rec,
             const EcgPlotLayout *layout,
             const EcgPlotStyle  *style)
{
  double unit = ecg_plot_scale_unit (&style->scale);
  double size = text_size (style, TEXT_MM);
  double baseline = layout->y + layout->header_height / 2 + 0.36 * size;
  char left[160], scale[96];
  cairo_text_extents_t ext;

  snprintf (left, sizeof left, "%s%s%s%g Hz \u00b7 %.1f s",
            rec->id[0] ? "Record " : "", rec->id, rec->id[0] ? " \u00b7 " : "", rec->fs,
            rec->fs > 0 ? rec->n_samples / rec->fs : 0.0);
  ecg_plot_scale_format (&style->scale, scale, sizeof scale);

  cairo_save (cr);
  cairo_select_font_face (cr, "Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size (cr, size / 0.72);
  set_color (cr, &style->colors.text, 1.0);
  cairo_move_to (cr, layout->x + 3.0 * unit, baseline);
  cairo_show_text (cr, left);

  cairo_select_font_face (cr, "Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
  cairo_text_extents (cr, scale, &ext);
  cairo_move_to (cr, layout->x + layout->width - ECG_PLOT_RIGHT_MM * unit - ext.x_advance, baseline);
  cairo_show_text (cr, scale);
  cairo_restore (cr);
}

static void
draw_time_axis (cairo_t             *cr,
                const EcgPlotLayout *layout,
                const EcgPlotStyle  *style)
{
  double unit = ecg_plot_scale_unit (&style->scale);
  double px_per_s = style->scale.mm_per_s * unit;
  double size = text_size (style, TEXT_MM);
  double tick = 1.5 * unit;
  int step = 1;
  int lw_px;

  /* Label every second unless the labels would touch. */
  while (step * px_per_s < 4.0 * size && step < 60)
    step = step == 1 ? 2 : step == 2 ? 5 : step * 2;

  cairo_save (cr);
  cairo_select_font_face (cr, "Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size (cr, size / 0.72);
  set_color (cr, &style->colors.text, 1.0);
  cairo_set_line_width (cr, line_width (cr, style, GRID_MAJOR_MM, &lw_px));
  for (int s = 0; s <= (int)floor (layout->duration + 1e-9); s++)
    {
      double tx = snap (cr, style, 0, layout->trace_x + s * px_per_s, lw_px);
      char text[32];
      cairo_text_extents_t ext;

      cairo_move_to (cr, tx, layout->axis_y);
      cairo_line_to (cr, tx, layout->axis_y + tick);
      cairo_stroke (cr);
      if (s % step != 0)
        continue;
      snprintf (text, sizeof text, "%d s", s);
      cairo_text_extents (cr, text, &ext);
      cairo_move_to (cr, tx - ext.x_advance / 2, layout->axis_y + tick + 0.6 * unit + size);
      cairo_show_text (cr, text);
    }
  cairo_restore (cr);
}

void
ecg_plot_draw_record_12x1 (cairo_t             *cr,
                           const EcgRecord     *rec,
                           const EcgPlotLayout *layout,
                           const EcgPlotStyle  *style)
{
  ecg_plot_draw_paper (cr, layout->x, layout->y, layout->width, layout->height, style);
  draw_header (cr, rec, layout, style);

  /* Traces may reach into neighbouring rows, as on paper, but not into the
   * header or the axis. */
  cairo_save (cr);
  cairo_rectangle (cr, layout->x, layout->rows_y, layout->width, layout->axis_y - layout->rows_y);
  cairo_clip (cr);
  for (size_t i = 0; i < layout->n_rows && i < rec->n_leads; i++)
    {
      EcgPlotRow row;

      ecg_plot_layout_row (layout, i, style, &row);
      ecg_plot_draw_lead (cr, rec, i, 0.0, layout->duration, &row, style);
    }
  cairo_restore (cr);

  draw_time_axis (cr, layout, style);
}
