/* ecg-plot.c — ECG paper and traces drawn with Cairo alone (see ecg-plot.h). */
#include "ecg-plot.h"

#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
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

#define RECON_MM 0.22        /* the reconstruction is drawn thinner, on top */
#define STRIP_GAP_MM 0.5
#define ERROR_MM 6.0         /* error strip with an attention strip under it */
#define ERROR_ALONE_MM 9.0   /* error strip alone */
#define ATTN_MM 2.5
#define SEPARATOR_MM 2.5     /* half-height of the mark where a column starts */

static const EcgPlotColors light_colors = {
  .paper = { 1.000, 0.961, 0.953 },
  .grid_minor = { 0.976, 0.796, 0.788 },
  .grid_major = { 0.890, 0.490, 0.486 },
  .trace = { 0.055, 0.051, 0.071 },
  .text = { 0.180, 0.110, 0.110 },
  .recon = { 0.840, 0.110, 0.110 },
  .span = { 1.000, 0.760, 0.180 },
  .strip = { 1.000, 1.000, 1.000 },
  .error = { 0.420, 0.470, 0.580 },
  .error_over = { 0.840, 0.110, 0.110 },
  .attn_above = { 0.900, 0.450, 0.050 },
  .attn_below = { 0.370, 0.230, 0.600 },
  .cursor = { 0.100, 0.350, 0.850 },
};

static const EcgPlotColors dark_colors = {
  .paper = { 0.118, 0.114, 0.133 },
  .grid_minor = { 0.208, 0.161, 0.173 },
  .grid_major = { 0.420, 0.227, 0.239 },
  .trace = { 0.945, 0.937, 0.925 },
  .text = { 0.875, 0.855, 0.851 },
  .recon = { 1.000, 0.420, 0.400 },
  .span = { 0.950, 0.700, 0.200 },
  .strip = { 0.070, 0.070, 0.080 },
  .error = { 0.550, 0.600, 0.700 },
  .error_over = { 1.000, 0.420, 0.400 },
  .attn_above = { 0.980, 0.600, 0.200 },
  .attn_below = { 0.620, 0.500, 0.900 },
  .cursor = { 0.450, 0.700, 1.000 },
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
  style->dark = dark;
  style->snap = true;
}

static const char *const layout_names[ECG_PLOT_N_LAYOUTS] = { "12x1", "6x2", "3x4" };

const char *
ecg_plot_layout_name (EcgPlotLayoutKind kind)
{
  return kind < ECG_PLOT_N_LAYOUTS ? layout_names[kind] : "?";
}

int
ecg_plot_layout_from_name (const char *name)
{
  for (int k = 0; k < ECG_PLOT_N_LAYOUTS; k++)
    if (name && strcmp (name, layout_names[k]) == 0)
      return k;
  return -1;
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

/* The first device pixel of a line device_px wide at device coordinate p:
 * centred on p's pixel (odd widths) or on the pixel edge nearest p (even). */
static double
snap_device (double p,
             int    device_px)
{
  return (device_px % 2) ? floor (p) - (device_px - 1) / 2 : round (p) - device_px / 2;
}

/* Move coordinate v along axis (0 = x, 1 = y) to the middle of the device
 * pixels of a line device_px wide (see snap_device), so grid lines are crisp. */
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
  p[axis] = snap_device (p[axis], device_px) + device_px / 2.0;
  cairo_device_to_user (cr, &p[0], &p[1]);
  return p[axis];
}

/* Clip to the rectangle, widened to whole device pixels when snapping: cairo
 * clips to a pixel-aligned rectangle cheaply and to any other through a mask,
 * which made every trace and strip drawn inside cost several times more. */
static void
clip_rect (cairo_t            *cr,
           const EcgPlotStyle *style,
           double              x,
           double              y,
           double              width,
           double              height)
{
  double x0 = x, y0 = y, x1 = x + width, y1 = y + height;

  if (style->snap)
    {
      cairo_user_to_device (cr, &x0, &y0);
      cairo_user_to_device (cr, &x1, &y1);
      x0 = floor (x0), y0 = floor (y0), x1 = ceil (x1), y1 = ceil (y1);
      cairo_device_to_user (cr, &x0, &y0);
      cairo_device_to_user (cr, &x1, &y1);
    }
  cairo_rectangle (cr, x0, y0, x1 - x0, y1 - y0);
  cairo_clip (cr);
}

/* Colour c at alpha as a pixel of cairo's ARGB32 (premultiplied) and RGB24 formats. */
static uint32_t
pixel_of (const EcgPlotColor *c,
          double              alpha)
{
  return (uint32_t)(alpha * 255 + 0.5) << 24 | (uint32_t)(c->r * alpha * 255 + 0.5) << 16
         | (uint32_t)(c->g * alpha * 255 + 0.5) << 8 | (uint32_t)(c->b * alpha * 255 + 0.5);
}

/* Lines of width w every step units from the rectangle's top-left corner, as
 * one path of rectangles to fill; every `every`-th line is skipped when skip
 * is set (the major ones). For vector output, which keeps them as they are. */
static void
grid_lines (cairo_t            *cr,
            double              x,
            double              y,
            double              width,
            double              height,
            double              step,
            int                 every,
            bool                skip,
            double              w)
{
  int nx = (int)floor (width / step + 1e-6);
  int ny = (int)floor (height / step + 1e-6);

  for (int i = 0; i <= nx; i++)
    if (!(skip && i % every == 0))
      cairo_rectangle (cr, x + i * step - w / 2, y, w, height);
  for (int j = 0; j <= ny; j++)
    if (!(skip && j % every == 0))
      cairo_rectangle (cr, x, y + j * step - w / 2, width, w);
}

/* Grid lines along one axis of a raster output, in device pixels. */
typedef struct {
  long *first;  /* each line's first pixel */
  int n;
  int device_px;
  const EcgPlotColor *color;
} GridLines;

/* The lines every step device pixels from p0 over length, every `every`-th
 * one left out (every 0: none); false when out of memory. */
static bool
grid_lines_init (GridLines          *g,
                 double              p0,
                 double              length,
                 double              step,
                 int                 every,
                 int                 device_px,
                 const EcgPlotColor *color)
{
  int count = (int)floor (length / step + 1e-6) + 1;

  *g = (GridLines) { .first = malloc (count * sizeof *g->first), .device_px = device_px, .color = color };
  if (!g->first)
    return false;
  for (int i = 0; i < count; i++)
    if (!(every && i % every == 0))
      g->first[g->n++] = (long)snap_device (p0 + i * step, device_px);
  return true;
}

/* A one-pixel-high image of a device row, width pixels from left: colour
 * base crossed by the lines of each set in turn. */
static cairo_surface_t *
grid_row (long                left,
          int                 width,
          const EcgPlotColor *base,
          const GridLines    *sets,
          int                 n_sets)
{
  cairo_surface_t *row = cairo_image_surface_create (CAIRO_FORMAT_RGB24, width, 1);
  uint32_t *px, color = pixel_of (base, 1.0);

  if (cairo_surface_status (row) != CAIRO_STATUS_SUCCESS)
    return row;
  cairo_surface_flush (row);
  px = (uint32_t *)cairo_image_surface_get_data (row);
  for (int i = 0; i < width; i++)
    px[i] = color;
  for (int s = 0; s < n_sets; s++)
    {
      color = pixel_of (sets[s].color, 1.0);
      for (int k = 0; k < sets[s].n; k++)
        for (long i = sets[s].first[k] - left; i < sets[s].first[k] - left + sets[s].device_px; i++)
          if (i >= 0 && i < width)
            px[i] = color;
    }
  cairo_surface_mark_dirty (row);
  return row;
}

/* Fill the device rows of lines, width pixels from left, with the current source. */
static void
fill_grid_rows (cairo_t         *cr,
                const GridLines *lines,
                long             left,
                int              width)
{
  cairo_new_path (cr);
  for (int k = 0; k < lines->n; k++)
    cairo_rectangle (cr, left, lines->first[k], width, lines->device_px);
  cairo_fill (cr);
}

/* Paint row repeated down the rows from device x left, over what is filled. */
static void
set_row_source (cairo_t         *cr,
                cairo_surface_t *row,
                long             left)
{
  cairo_set_source_surface (cr, row, left, 0);
  cairo_pattern_set_extend (cairo_get_source (cr), CAIRO_EXTEND_REPEAT);
}

/* The grid of ecg_plot_draw_paper on a raster output, in device pixels (cr
 * clipped to the paper). Every device row is paper crossed by the vertical
 * lines, or a minor line crossed by the major vertical ones, or a major line:
 * two one-pixel-high images repeated down the rows and a solid colour. Cairo
 * composites a rectangle a row at a time, so this costs a few hundred rows,
 * where full-height rectangles for the vertical lines cost one row per line
 * and row (10-30 ms a page). */
static void
paper_raster (cairo_t            *cr,
              double              x,
              double              y,
              double              width,
              double              height,
              const EcgPlotStyle *style,
              bool                minor)
{
  const EcgPlotColors *c = &style->colors;
  double unit = ecg_plot_scale_unit (&style->scale);
  double x0 = x, y0 = y, x1 = x + width, y1 = y + height, ux = unit, uy = unit, zero = 0;
  GridLines vertical[2] = { 0 }, horizontal[2] = { 0 };  /* minor, major */
  int minor_px, major_px, w;
  cairo_surface_t *row;
  long left;

  line_width (cr, style, GRID_MINOR_MM, &minor_px);
  line_width (cr, style, GRID_MAJOR_MM, &major_px);
  cairo_user_to_device (cr, &x0, &y0);
  cairo_user_to_device (cr, &x1, &y1);
  cairo_user_to_device_distance (cr, &ux, &zero);
  cairo_user_to_device_distance (cr, &zero, &uy);
  left = (long)floor (x0);
  w = (int)(ceil (x1) - left);
  if ((!minor || (grid_lines_init (&vertical[0], x0, x1 - x0, ux, 5, minor_px, &c->grid_minor)
                  && grid_lines_init (&horizontal[0], y0, y1 - y0, uy, 5, minor_px, &c->grid_minor)))
      && grid_lines_init (&vertical[1], x0, x1 - x0, 5 * ux, 0, major_px, &c->grid_major)
      && grid_lines_init (&horizontal[1], y0, y1 - y0, 5 * uy, 0, major_px, &c->grid_major))
    {
      cairo_save (cr);
      cairo_identity_matrix (cr);
      row = grid_row (left, w, &c->paper, vertical, 2);
      set_row_source (cr, row, left);
      cairo_paint (cr);
      cairo_surface_destroy (row);
      row = grid_row (left, w, &c->grid_minor, &vertical[1], 1);
      set_row_source (cr, row, left);
      fill_grid_rows (cr, &horizontal[0], left, w);
      cairo_surface_destroy (row);
      set_color (cr, &c->grid_major, 1.0);
      fill_grid_rows (cr, &horizontal[1], left, w);
      cairo_restore (cr);
    }
  for (int i = 0; i < 2; i++)
    free (vertical[i].first), free (horizontal[i].first);
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
  /* minor lines closer than 2 device pixels would only tint the paper */
  bool minor = unit * device_scale (cr) >= 2.0;

  cairo_save (cr);
  clip_rect (cr, style, x, y, width, height);
  if (style->snap)
    paper_raster (cr, x, y, width, height, style, minor);
  else
    {
      set_color (cr, &style->colors.paper, 1.0);
      cairo_paint (cr);
      if (minor)
        {
          cairo_new_path (cr);
          grid_lines (cr, x, y, width, height, unit, 5, true, GRID_MINOR_MM * unit);
          set_color (cr, &style->colors.grid_minor, 1.0);
          cairo_fill (cr);
        }
      cairo_new_path (cr);
      grid_lines (cr, x, y, width, height, 5.0 * unit, 1, false, GRID_MAJOR_MM * unit);
      set_color (cr, &style->colors.grid_major, 1.0);
      cairo_fill (cr);
    }
  cairo_restore (cr);
}

/* Width of a pen of mm millimetres: at least MIN_TRACE_UNITS. */
static double
pen_width (const EcgPlotStyle *style,
           double              mm)
{
  return fmax (mm * ecg_plot_scale_unit (&style->scale), MIN_TRACE_UNITS);
}

/* A round-joined pen of mm millimetres (at least MIN_TRACE_UNITS) in colour c. */
static void
set_pen (cairo_t            *cr,
         const EcgPlotStyle *style,
         double              mm,
         const EcgPlotColor *c)
{
  cairo_set_line_width (cr, pen_width (style, mm));
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
  set_color (cr, c, 1.0);
}

static void
set_trace_pen (cairo_t            *cr,
               const EcgPlotStyle *style)
{
  set_pen (cr, style, TRACE_MM, &style->colors.trace);
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

/* The samples [*i0, *i1) of a record of n at fs that fall within [t0, t1];
 * false when there are none. */
static bool
sample_range (size_t  n,
              double  fs,
              double  t0,
              double  t1,
              size_t *i0,
              size_t *i1)
{
  double first, last;

  if (n == 0 || !(fs > 0) || !(t1 > t0))
    return false;
  first = ceil (t0 * fs - 1e-9);
  last = floor (t1 * fs + 1e-9);
  if (last < 0 || first >= (double)n || last < first)
    return false;
  *i0 = first > 0 ? (size_t)first : 0;
  *i1 = last < (double)(n - 1) ? (size_t)last + 1 : n;
  return true;
}

/* ---- samples in bins ---- */

/* floor () and ceil () to a long, inline: they run for every column */
static inline long
floor_long (double v)
{
  long i = (long)v;

  return i > v ? i - 1 : i;
}

static inline long
ceil_long (double v)
{
  return -floor_long (-v);
}

/* The samples of a span grouped into bins, so that traces and overlays cost
 * the same at any sample rate. On a raster output (style->snap) bin k is the
 * device pixel column c0 + k, holding the samples whose interval up to the
 * next sample overlaps it (the last one before the column included, as its
 * value holds into it); the CTM only scales and translates there. On a
 * vector output bins are runs of consecutive samples, at most one per device
 * unit, or single samples. */
typedef struct {
  size_t i0, i1, n;        /* samples [i0, i1) in n bins */
  double x_of_0;           /* x where sample 0 would be */
  double px_per_sample;
  bool columns;            /* bins are device columns */
  long c0;                 /* the first column */
  double dev_x_of_0;       /* device x where sample 0 would be */
  double dev_per_sample;
  double samples_per_dev;  /* 1 / dev_per_sample: a product is cheaper per bin */
} Bins;

/* The samples of [t0, t1] drawn from x on (see ecg_plot_draw_trace). */
static bool
bins_init (Bins               *b,
           cairo_t            *cr,
           size_t              n,
           double              fs,
           double              t0,
           double              t1,
           double              x,
           const EcgPlotStyle *style)
{
  double px_per_s = style->scale.mm_per_s * ecg_plot_scale_unit (&style->scale);
  double y = 0, columns;

  if (!sample_range (n, fs, t0, t1, &b->i0, &b->i1))
    return false;
  b->px_per_sample = px_per_s / fs;
  b->x_of_0 = x - t0 * px_per_s;
  b->dev_x_of_0 = b->x_of_0;
  cairo_user_to_device (cr, &b->dev_x_of_0, &y);
  b->dev_per_sample = b->px_per_sample * device_scale (cr);
  b->samples_per_dev = 1 / b->dev_per_sample;
  b->columns = style->snap;
  if (b->columns)
    {
      b->c0 = (long)floor (b->dev_x_of_0 + b->i0 * b->dev_per_sample);
      b->n = (size_t)((long)floor (b->dev_x_of_0 + (b->i1 - 1) * b->dev_per_sample) - b->c0 + 1);
      return true;
    }
  columns = ceil ((b->i1 - b->i0) * b->dev_per_sample);
  b->n = columns < (double)(b->i1 - b->i0) ? (size_t)fmax (columns, 1) : b->i1 - b->i0;
  return true;
}

/* The samples [bin_first, bin_end) of bin k. */
static size_t
bin_first (const Bins *b,
           size_t      k)
{
  long i;

  if (!b->columns)
    return b->i0 + k * (b->i1 - b->i0) / b->n;
  i = floor_long ((b->c0 + (double)k - b->dev_x_of_0) * b->samples_per_dev);
  return i > (long)b->i0 ? (size_t)i : b->i0;
}

static size_t
bin_end (const Bins *b,
         size_t      k)
{
  long i;

  if (!b->columns)
    return bin_first (b, k + 1);
  i = ceil_long ((b->c0 + (double)k + 1 - b->dev_x_of_0) * b->samples_per_dev);
  return i < (long)b->i1 ? (size_t)i : b->i1;
}

/* Left edge of bin k (k = n: the right edge of the last one). */
static double
bin_x (const Bins *b,
       size_t      k)
{
  if (b->columns)
    return b->x_of_0 + (b->c0 + (double)k - b->dev_x_of_0) * b->samples_per_dev * b->px_per_sample;
  return b->x_of_0 + bin_first (b, k) * b->px_per_sample;
}

/* Largest finite value of v in bin k, NaN when there is none. */
static float
bin_max (const Bins  *b,
         const float *v,
         size_t       k)
{
  float m = -INFINITY;

  for (size_t i = bin_first (b, k), end = bin_end (b, k); i < end; i++)
    m = isfinite (v[i]) && v[i] > m ? v[i] : m;
  return m > -INFINITY ? m : NAN;
}

static float
bin_mean (const Bins  *b,
          const float *v,
          size_t       k)
{
  double sum = 0;
  size_t count = 0;

  for (size_t i = bin_first (b, k), end = bin_end (b, k); i < end; i++)
    if (isfinite (v[i]))
      sum += v[i], count++;
  return count ? (float)(sum / count) : NAN;
}

/* ---- raster output: a device column at a time ---- */

/* Device y of user y + v × per_unit is *y_of_0 + v × *y_per_unit. */
static void
device_y_axis (cairo_t *cr,
               double   y,
               double   per_unit,
               double  *y_of_0,
               double  *y_per_unit)
{
  double x = 0, y1 = y + per_unit;

  *y_of_0 = y;
  cairo_user_to_device (cr, &x, y_of_0);
  x = 0;
  cairo_user_to_device (cr, &x, &y1);
  *y_per_unit = y1 - *y_of_0;
}

/* A polyline through the values v at device y y_of_0 + value × y_per_unit. */
typedef struct {
  const float *v;
  float y_of_0, y_per_unit;
} Curve;

static inline float
curve_y (const Curve *c,
         long         i)
{
  return c->y_of_0 + c->v[i] * c->y_per_unit;
}

/* The curve's device y at p (in samples) on its segment from sample i - 1 to
 * i; NaN where that segment is not drawn (outside b, or a NaN at either end). */
static inline float
segment_y (const Bins  *b,
           const Curve *c,
           long         i,
           double       p)
{
  float y0, y1;

  if (i <= (long)b->i0 || i >= (long)b->i1)
    return NAN;
  y0 = curve_y (c, i - 1), y1 = curve_y (c, i);
  return y0 + (y1 - y0) * (float)(p - (i - 1));
}

/* The device y extent [top[k], bottom[k]] of curve c in each column of b;
 * top[k] > bottom[k] where it does not pass (NaN leaves a gap). A column
 * holds its own samples and the points where the segments into and out of it
 * cross its edges, so it holds just its part of each segment, as a stroke
 * would light it, at any sample density. This runs for every sample of every
 * trace: the loop over a column's samples has no branch (a NaN fails both
 * comparisons). */
static void
polyline_extents (const Bins  *b,
                  const Curve *c,
                  float       *top,
                  float       *bottom)
{
  /* column k's left edge is at (k - x_of_0) × inv_dx in samples */
  const double x_of_0 = b->dev_x_of_0 - b->c0, inv_dx = b->samples_per_dev;
  long s = (long)b->i0;  /* the first sample right of column k's left edge */

  for (long k = 0; k < (long)b->n; k++)
    {
      double left = (k - x_of_0) * inv_dx, right = left + inv_dx;
      long e = ceil_long (right);  /* ... and of its right edge */
      float t = INFINITY, u = -INFINITY, crossing[2];

      e = e < s ? s : e > (long)b->i1 ? (long)b->i1 : e;
      crossing[0] = segment_y (b, c, s, left);
      crossing[1] = segment_y (b, c, e, right);
      for (int j = 0; j < 2; j++)
        {
          t = crossing[j] < t ? crossing[j] : t;
          u = crossing[j] > u ? crossing[j] : u;
        }
      for (long i = s; i < e; i++)
        {
          float y = curve_y (c, i);

          t = y < t ? y : t;
          u = y > u ? y : u;
        }
      top[k] = t, bottom[k] = u;
      s = e;
    }
}

/* What paint_columns inks in each column k of its bins: the device rows from
 * top[k] to bottom[k] (none where top[k] > bottom[k]) in color at alpha. */
typedef struct {
  const float *top, *bottom;
  const EcgPlotColor *color;
  double alpha;
} Ink;

/* Ink the columns of b with each ink in turn: an 8-bit mask of the rows it
 * reaches (within the clip), a partly covered pixel taking its fraction,
 * painted in one cairo_mask. Cairo composites a mask at a few cycles a pixel,
 * where it fills the same columns as rectangles or strokes at hundreds. */
static void
paint_columns (cairo_t    *cr,
               const Bins *b,
               const Ink  *inks,
               int         n_inks)
{
  double cx0, cy0, cx1, cy1;

  /* rows within the clip only, however far a sample strays */
  cairo_clip_extents (cr, &cx0, &cy0, &cx1, &cy1);
  cairo_user_to_device (cr, &cx0, &cy0);
  cairo_user_to_device (cr, &cx1, &cy1);
  for (const Ink *ink = inks; ink < inks + n_inks; ink++)
    {
      double lo = INFINITY, hi = -INFINITY;
      cairo_surface_t *mask;
      unsigned char *data;
      long r0, rows, stride;

      for (size_t k = 0; k < b->n; k++)
        if (ink->top[k] <= ink->bottom[k])
          {
            lo = ink->top[k] < lo ? ink->top[k] : lo;
            hi = ink->bottom[k] > hi ? ink->bottom[k] : hi;
          }
      if (!(lo < hi))
        continue;
      r0 = (long)floor (fmax (lo, fmin (cy0, cy1)));
      rows = (long)ceil (fmin (hi, fmax (cy0, cy1))) - r0;
      if (rows <= 0)
        continue;
      mask = cairo_image_surface_create (CAIRO_FORMAT_A8, (int)b->n, (int)rows);
      if (cairo_surface_status (mask) != CAIRO_STATUS_SUCCESS)
        {
          cairo_surface_destroy (mask);
          continue;
        }
      cairo_surface_flush (mask);
      data = cairo_image_surface_get_data (mask);
      stride = cairo_image_surface_get_stride (mask);
      for (size_t k = 0; k < b->n; k++)
        {
          double t = ink->top[k] - r0, u = ink->bottom[k] - r0;

          if (!(t <= u) || u <= 0 || t >= rows)
            continue;
          t = t > 0 ? t : 0, u = u < rows ? u : rows;
          for (long r = floor_long (t); r < u; r++)
            data[r * stride + k] = (unsigned char)(255 * ((u < r + 1 ? u : r + 1) - (t > r ? t : r)) + 0.5);
        }
      cairo_surface_mark_dirty (mask);
      cairo_save (cr);
      set_color (cr, ink->color, ink->alpha);
      cairo_identity_matrix (cr);
      cairo_mask_surface (cr, mask, b->c0, r0);
      cairo_restore (cr);
      cairo_surface_destroy (mask);
    }
}

/* The device rows a trace drawn with a pen pen units wide inks in each column
 * of b on a raster output: its extent there and half the pen above and below,
 * the pixels a stroke through every sample lights, at a cost that follows the
 * columns, not the samples. A steep stretch inks as many columns as the pen
 * is wide (to the nearest pixel), as a stroke would. False when out of memory. */
static bool
trace_columns (cairo_t            *cr,
               const Bins         *b,
               const float        *samples,
               double              baseline,
               double              pen,
               const EcgPlotStyle *style,
               float              *top,
               float              *bottom)
{
  double px_per_mv = style->scale.mm_per_mv * ecg_plot_scale_unit (&style->scale);
  double y_of_0, y_per_mv, dev_pen = pen * device_scale (cr);
  long w = dev_pen > 1.5 ? lround (dev_pen) : 1;  /* columns a steep stretch inks */
  float *ext = malloc (2 * b->n * sizeof *ext);

  if (!ext)
    return false;
  device_y_axis (cr, baseline, -px_per_mv, &y_of_0, &y_per_mv);
  polyline_extents (b, &(Curve) { samples, y_of_0, y_per_mv }, ext, ext + b->n);
  for (long k = 0; k < (long)b->n; k++)
    {
      top[k] = INFINITY, bottom[k] = -INFINITY;
      for (long j = k - (w - 1) / 2 > 0 ? k - (w - 1) / 2 : 0; j <= k + w / 2 && j < (long)b->n; j++)
        {
          top[k] = ext[j] < top[k] ? ext[j] : top[k];
          bottom[k] = ext[b->n + j] > bottom[k] ? ext[b->n + j] : bottom[k];
        }
      top[k] -= dev_pen / 2, bottom[k] += dev_pen / 2;
    }
  free (ext);
  return true;
}

/* ---- traces ---- */

/* A trace (see ecg_plot_draw_trace) with a pen of mm in colour c: by columns
 * on a raster output, else as a path through every sample. */
static void
draw_polyline (cairo_t            *cr,
               const float        *samples,
               size_t              n,
               double              fs,
               double              t0,
               double              t1,
               double              x,
               double              baseline,
               const EcgPlotStyle *style,
               double              mm,
               const EcgPlotColor *c)
{
  double px_per_mv = style->scale.mm_per_mv * ecg_plot_scale_unit (&style->scale);
  bool pen_down = false;
  float *cols;
  Bins b;

  if (!samples || !bins_init (&b, cr, n, fs, t0, t1, x, style))
    return;
  if (b.columns)
    {
      if ((cols = malloc (2 * b.n * sizeof *cols))
          && trace_columns (cr, &b, samples, baseline, pen_width (style, mm), style, cols, cols + b.n))
        paint_columns (cr, &b, &(Ink) { cols, cols + b.n, c, 1.0 }, 1);
      free (cols);
      return;
    }
  cairo_save (cr);
  set_pen (cr, style, mm, c);
  cairo_new_path (cr);
  for (size_t i = b.i0; i < b.i1; i++)
    {
      double px = b.x_of_0 + i * b.px_per_sample, py = baseline - samples[i] * px_per_mv;

      if (!isfinite (samples[i]))
        {
          pen_down = false;
          continue;
        }
      if (pen_down)
        cairo_line_to (cr, px, py);
      else
        cairo_move_to (cr, px, py);
      pen_down = true;
    }
  cairo_stroke (cr);
  cairo_restore (cr);
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
  draw_polyline (cr, samples, n, fs, t0, t1, x, baseline, style, TRACE_MM, &style->colors.trace);
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

/* Label text at (x, y) (top-left of the caps) on a plate of colour bg. */
static void
draw_plate (cairo_t            *cr,
            const char         *text,
            double              x,
            double              y,
            const EcgPlotColor *bg,
            double              bg_alpha,
            const EcgPlotColor *fg,
            const EcgPlotStyle *style)
{
  double cap = ecg_plot_label_height (style);
  double pad = 0.3 * cap;

  if (!text || !*text)
    return;
  cairo_save (cr);
  cairo_rectangle (cr, x - pad, y - pad, ecg_plot_label_width (cr, text, style) + 2 * pad, cap + 2 * pad);
  set_color (cr, bg, bg_alpha);
  cairo_fill (cr);

  cairo_move_to (cr, x, y + cap);
  set_label_font (cr, style);
  set_color (cr, fg, 1.0);
  cairo_show_text (cr, text);
  cairo_restore (cr);
}

void
ecg_plot_draw_label (cairo_t            *cr,
                     const char         *text,
                     double              x,
                     double              y,
                     const EcgPlotStyle *style)
{
  draw_plate (cr, text, x, y, &style->colors.paper, 0.85, &style->colors.text, style);
}

/* ---- layout ---- */

static void
layout_panel (EcgPlotLayout      *layout,
              size_t              lead,
              size_t              row,
              size_t              col,
              double              t0,
              double              t1,
              const EcgPlotStyle *style)
{
  double unit = ecg_plot_scale_unit (&style->scale);
  double px_per_s = style->scale.mm_per_s * unit;
  EcgPlotPanel *p = &layout->panels[layout->n_panels++];
  bool attention = layout->strips & ECG_PLOT_STRIP_ATTENTION;

  p->lead = lead;
  p->row = row;
  p->col = col;
  p->t0 = t0;
  p->t1 = t1;
  p->y = layout->rows_y + row * layout->row_height;
  p->height = ECG_PLOT_ROW_MM * unit;
  p->baseline = p->y + p->height / 2;
  p->trace_x = layout->trace_x + (t0 - layout->t0) * px_per_s;
  if (layout->kind == ECG_PLOT_LAYOUT_6X2)  /* both columns start at the row's t0 */
    p->trace_x = layout->trace_x + col * layout->trace_width / 2;
  p->trace_width = (t1 - t0) * px_per_s;
  p->x = col == 0 ? layout->x : p->trace_x;
  p->width = col == 0 ? p->trace_x + p->trace_width - layout->x : p->trace_width;
  p->pulse_x = col == 0 ? layout->pulse_x : NAN;
  p->label_x = p->trace_x + 1.0 * unit;
  p->label_y = p->y + 1.5 * unit;
  if (layout->strips)
    {
      p->error_y = p->y + p->height + STRIP_GAP_MM * unit;
      p->error_height = (attention ? ERROR_MM : ERROR_ALONE_MM) * unit;
    }
  if (attention)
    {
      p->attn_y = p->error_y + p->error_height + STRIP_GAP_MM * unit;
      p->attn_height = ATTN_MM * unit;
    }
}

void
ecg_plot_layout_compute (EcgPlotLayout      *layout,
                         EcgPlotLayoutKind   kind,
                         double              x,
                         double              y,
                         size_t              n_leads,
                         double              t0,
                         double              duration,
                         unsigned            strips,
                         const EcgPlotStyle *style)
{
  double unit = ecg_plot_scale_unit (&style->scale);
  double d;

  memset (layout, 0, sizeof *layout);
  if (n_leads != ECG_N_STANDARD_LEADS)
    kind = ECG_PLOT_LAYOUT_12X1;
  layout->kind = kind;
  layout->strips = strips;
  layout->x = x;
  layout->y = y;
  layout->t0 = t0;
  layout->duration = d = duration > 0 ? duration : 0;
  layout->n_rows = kind == ECG_PLOT_LAYOUT_12X1 ? (n_leads < ECG_PLOT_MAX_PANELS ? n_leads : ECG_PLOT_MAX_PANELS)
                   : kind == ECG_PLOT_LAYOUT_6X2 ? 6 : 4;
  layout->n_cols = kind == ECG_PLOT_LAYOUT_12X1 ? 1 : kind == ECG_PLOT_LAYOUT_6X2 ? 2 : 4;
  layout->header_height = ECG_PLOT_HEADER_MM * unit;
  layout->rows_y = y + layout->header_height;
  layout->row_height = (ECG_PLOT_ROW_MM + (strips ? ECG_PLOT_STRIPS_MM : 0)) * unit;
  /* 3 mm margin, the pulse (its rise on a 5 mm line at 25 mm/s), 3 mm gap,
   * rounded up so that t0 falls on a 5 mm line. */
  layout->pulse_x = x + CAL_MARGIN_MM * unit;
  layout->trace_x = x + 5.0 * ceil ((2 * CAL_MARGIN_MM + 2 * CAL_LEAD_MM
                                     + CAL_PULSE_S * style->scale.mm_per_s) / 5.0) * unit;
  layout->trace_width = d * style->scale.mm_per_s * unit;
  layout->axis_y = layout->rows_y + layout->n_rows * layout->row_height;
  layout->legend_y = layout->axis_y + ECG_PLOT_AXIS_MM * unit;
  layout->width = layout->trace_x - x + layout->trace_width + ECG_PLOT_RIGHT_MM * unit;
  /* the legend takes up to three lines of text, which never shrinks below MIN_TEXT_UNITS */
  layout->height = layout->legend_y - y
                   + (strips ? fmax (ECG_PLOT_LEGEND_MM * unit, 5.0 * text_size (style, TEXT_MM)) : 0);

  switch (kind)
    {
    case ECG_PLOT_LAYOUT_12X1:
      for (size_t r = 0; r < layout->n_rows; r++)
        layout_panel (layout, r, r, 0, t0, t0 + d, style);
      break;
    case ECG_PLOT_LAYOUT_6X2:
      for (size_t c = 0; c < 2; c++)
        for (size_t r = 0; r < 6; r++)
          layout_panel (layout, 6 * c + r, r, c, t0, t0 + d / 2, style);
      break;
    case ECG_PLOT_LAYOUT_3X4:
      for (size_t c = 0; c < 4; c++)
        for (size_t r = 0; r < 3; r++)
          layout_panel (layout, 3 * c + r, r, c, t0 + c * d / 4, t0 + (c + 1) * d / 4, style);
      layout_panel (layout, 1, 3, 0, t0, t0 + d, style);  /* lead II rhythm strip */
      break;
    case ECG_PLOT_N_LAYOUTS:
      break;
    }
}

double
ecg_plot_panel_x (const EcgPlotPanel *p,
                  const EcgPlotStyle *style,
                  double              t)
{
  return p->trace_x + (t - p->t0) * style->scale.mm_per_s * ecg_plot_scale_unit (&style->scale);
}

int
ecg_plot_layout_hit (const EcgPlotLayout *layout,
                     const EcgPlotStyle  *style,
                     double               x,
                     double               y,
                     double              *time,
                     double              *mv)
{
  double unit = ecg_plot_scale_unit (&style->scale);

  for (size_t i = 0; i < layout->n_panels; i++)
    {
      const EcgPlotPanel *p = &layout->panels[i];

      if (x < p->trace_x || x >= p->trace_x + p->trace_width || y < p->y || y >= p->y + layout->row_height)
        continue;
      *time = p->t0 + (x - p->trace_x) / (style->scale.mm_per_s * unit);
      *mv = (p->baseline - y) / (style->scale.mm_per_mv * unit);
      return (int)i;
    }
  return -1;
}

bool
ecg_plot_lead_flagged (const EcgPlotOverlay *overlay,
                       size_t                l)
{
  return overlay && overlay->lead_score && overlay->lead_score[l] > overlay->threshold;
}

/* ---- overlays ---- */

/* Spans where the smoothed point score exceeds τ, shaded over the trace band
 * (its edges on device pixel rows: cairo fills whole pixels fastest). */
static void
draw_spans (cairo_t              *cr,
            const Bins           *b,
            const float          *smooth,
            double                tau,
            const EcgPlotPanel   *p,
            const EcgPlotStyle   *style)
{
  double top = snap (cr, style, 1, p->y, 0), bottom = snap (cr, style, 1, p->y + p->height, 0);
  size_t k = 0;

  cairo_new_path (cr);
  while (k < b->n)
    {
      size_t end;

      if (!(bin_max (b, smooth, k) > tau))
        {
          k++;
          continue;
        }
      for (end = k + 1; end < b->n && bin_max (b, smooth, end) > tau; end++)
        ;
      cairo_rectangle (cr, bin_x (b, k), top, bin_x (b, end) - bin_x (b, k), bottom - top);
      k = end;
    }
  set_color (cr, &style->colors.span, style->dark ? 0.28 : 0.40);
  cairo_fill (cr);
}

static double
band_alpha (const EcgPlotStyle *style)
{
  return style->dark ? 0.30 : 0.22;
}

/* The device rows of the ±2σ band around the reconstruction in each column
 * of b on a raster output: the mean's extent there and twice its largest σ
 * above and below (σ changes slowly: the band's extent to a fraction of a
 * pixel). */
static void
band_columns (cairo_t            *cr,
              const Bins         *b,
              const float        *mean,
              const float        *sigma,
              double              baseline,
              const EcgPlotStyle *style,
              float              *top,
              float              *bottom)
{
  double px_per_mv = style->scale.mm_per_mv * ecg_plot_scale_unit (&style->scale);
  double y_of_0, y_per_mv;

  device_y_axis (cr, baseline, -px_per_mv, &y_of_0, &y_per_mv);
  polyline_extents (b, &(Curve) { mean, y_of_0, y_per_mv }, top, bottom);
  for (size_t k = 0; k < b->n; k++)
    {
      /* NaN where there is no σ: the column stays empty */
      float reach = 2 * bin_max (b, sigma, k) * (float)fabs (y_per_mv);

      top[k] -= reach, bottom[k] += reach;
    }
}

/* The ±2σ band on a vector output: per bin the lowest mean - 2σ and the
 * highest mean + 2σ, one polygon per stretch without gaps. */
static void
draw_band (cairo_t            *cr,
           const Bins         *b,
           const float        *mean,
           const float        *sigma,
           double              baseline,
           const EcgPlotStyle *style)
{
  double px_per_mv = style->scale.mm_per_mv * ecg_plot_scale_unit (&style->scale);
  float *lo = malloc (2 * b->n * sizeof *lo), *hi;
  size_t k = 0;

  if (!lo)
    return;
  hi = lo + b->n;
  for (size_t j = 0; j < b->n; j++)
    {
      lo[j] = INFINITY, hi[j] = -INFINITY;
      for (size_t i = bin_first (b, j), end = bin_end (b, j); i < end; i++)
        if (isfinite (mean[i]) && isfinite (sigma[i]))
          {
            lo[j] = fminf (lo[j], mean[i] - 2 * sigma[i]);
            hi[j] = fmaxf (hi[j], mean[i] + 2 * sigma[i]);
          }
    }
  cairo_new_path (cr);
  while (k < b->n)
    {
      size_t end;

      if (!(hi[k] >= lo[k]))
        {
          k++;
          continue;
        }
      for (end = k; end < b->n && hi[end] >= lo[end]; end++)
        cairo_line_to (cr, (bin_x (b, end) + bin_x (b, end + 1)) / 2, baseline - hi[end] * px_per_mv);
      for (size_t j = end; j-- > k;)
        cairo_line_to (cr, (bin_x (b, j) + bin_x (b, j + 1)) / 2, baseline - lo[j] * px_per_mv);
      cairo_close_path (cr);
      cairo_new_sub_path (cr);
      k = end;
    }
  set_color (cr, &style->colors.recon, band_alpha (style));
  cairo_fill (cr);
  free (lo);
}

/* Background of a strip: not ECG paper, so no mm scale is implied. */
static void
strip_background (cairo_t            *cr,
                  const EcgPlotPanel *p,
                  double              y,
                  double              height,
                  const EcgPlotStyle *style)
{
  cairo_rectangle (cr, p->trace_x, y, p->trace_width, height);
  set_color (cr, &style->colors.strip, 0.88);
  cairo_fill (cr);
}

/* Fraction of the error strip's height that score v fills (0..1). */
static double
error_level (const EcgPlotModelInfo *m,
             double                  v)
{
  double span = m->score_hi - m->score_lo;

  return span > 0 ? fmin (fmax ((v - m->score_lo) / span, 0.0), 1.0) : 0.0;
}

/* Error bars: the largest point score of each bin, on the model's fixed scale,
 * in two colours (at or below τ, above τ): on a raster output a column each,
 * whole device pixels high so their tops stay crisp, else rectangles of at
 * least a device pixel; then τ as a line across. */
static void
draw_error_strip (cairo_t              *cr,
                  const Bins           *b,
                  const float          *point,
                  const EcgPlotOverlay *ov,
                  const EcgPlotPanel   *p,
                  const EcgPlotStyle   *style)
{
  const EcgPlotColor *colors[2] = { &style->colors.error, &style->colors.error_over };
  double bottom = p->error_y + p->error_height;
  double tau_y = bottom - error_level (ov->model, ov->threshold) * p->error_height;
  double unit = ecg_plot_scale_unit (&style->scale);
  float *h = malloc (3 * b->n * sizeof *h);  /* bar heights under and over τ (NaN: none), then the base */
  int lw_px;

  strip_background (cr, p, p->error_y, p->error_height, style);
  if (!h)
    return;
  for (size_t k = 0; k < b->n; k++)
    {
      float v = bin_max (b, point, k);
      bool over = v > ov->threshold;

      h[k] = isfinite (v) && !over ? (float)error_level (ov->model, v) : NAN;
      h[b->n + k] = isfinite (v) && over ? (float)error_level (ov->model, v) : NAN;
    }
  if (b->columns)
    {
      double y_of_0, y_per_level;

      /* to device rows: the bars' tops, and their base */
      device_y_axis (cr, bottom, -p->error_height, &y_of_0, &y_per_level);
      for (size_t k = 0; k < 2 * b->n; k++)
        h[k] = (float)round (y_of_0 + h[k] * y_per_level);
      for (size_t k = 0; k < b->n; k++)
        h[2 * b->n + k] = (float)round (y_of_0);
      paint_columns (cr, b, (Ink[]) { { h, h + 2 * b->n, colors[0], 1.0 }, { h + b->n, h + 2 * b->n, colors[1], 1.0 } },
                     2);
    }
  else
    for (int over = 0; over < 2; over++)
      {
        cairo_new_path (cr);
        for (size_t k = 0; k < b->n; k++)
          if (isfinite (h[over * b->n + k]))
            cairo_rectangle (cr, bin_x (b, k), bottom - h[over * b->n + k] * p->error_height,
                             fmax (bin_x (b, k + 1) - bin_x (b, k), 1.0 / device_scale (cr)),
                             h[over * b->n + k] * p->error_height);
        set_color (cr, colors[over], 1.0);
        cairo_fill (cr);
      }
  free (h);

  cairo_set_line_width (cr, line_width (cr, style, GRID_MAJOR_MM, &lw_px));
  tau_y = snap (cr, style, 1, tau_y, lw_px);
  cairo_move_to (cr, p->trace_x, tau_y);
  cairo_line_to (cr, p->trace_x + p->trace_width, tau_y);
  cairo_set_dash (cr, (double[]) { 1.5 * unit, 0.8 * unit }, 2, 0);
  set_color (cr, &style->colors.text, 1.0);
  cairo_stroke (cr);
  cairo_set_dash (cr, NULL, 0, 0);
}

/* The colour of a deviation d from uniform on a diverging scale: strip colour
 * at 0, attn_above at d >= max, attn_below at d <= -max. */
static uint32_t
diverging_argb (double              d,
                double              max,
                const EcgPlotStyle *style)
{
  const EcgPlotColor *base = &style->colors.strip;
  const EcgPlotColor *end = d > 0 ? &style->colors.attn_above : &style->colors.attn_below;
  double f = max > 0 ? fabs (d) / max : 0.0;
  EcgPlotColor mix;

  if (!isfinite (d))
    return 0;  /* transparent: no value */
  f = f < 1.0 ? f : 1.0;
  mix = (EcgPlotColor) { base->r + f * (end->r - base->r), base->g + f * (end->g - base->g),
                         base->b + f * (end->b - base->b) };
  return pixel_of (&mix, 1.0);
}

/* Paint a w × h ARGB image stretched over the rectangle, pixels kept sharp. */
static void
paint_image (cairo_t         *cr,
             cairo_surface_t *image,
             double           x,
             double           y,
             double           width,
             double           height)
{
  cairo_pattern_t *pattern;
  int w = cairo_image_surface_get_width (image);
  int h = cairo_image_surface_get_height (image);

  cairo_save (cr);
  cairo_rectangle (cr, x, y, width, height);
  cairo_clip (cr);
  cairo_translate (cr, x, y);
  cairo_scale (cr, width / w, height / h);
  cairo_set_source_surface (cr, image, 0, 0);
  pattern = cairo_get_source (cr);
  cairo_pattern_set_filter (pattern, CAIRO_FILTER_NEAREST);
  cairo_pattern_set_extend (pattern, CAIRO_EXTEND_PAD);
  cairo_paint (cr);
  cairo_restore (cr);
}

/* Lead attention of each bin as deviation from uniform, weight × 12 - 1, in
 * one image of one pixel per bin. */
static void
draw_attention_strip (cairo_t              *cr,
                      const Bins           *b,
                      const float          *attn,
                      const EcgPlotOverlay *ov,
                      const EcgPlotPanel   *p,
                      const EcgPlotStyle   *style)
{
  cairo_surface_t *image = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, (int)b->n, 1);
  uint32_t *px;

  strip_background (cr, p, p->attn_y, p->attn_height, style);
  if (cairo_surface_status (image) != CAIRO_STATUS_SUCCESS)
    {
      cairo_surface_destroy (image);
      return;
    }
  cairo_surface_flush (image);
  px = (uint32_t *)cairo_image_surface_get_data (image);
  for (size_t k = 0; k < b->n; k++)
    px[k] = diverging_argb (bin_mean (b, attn, k) * ECG_N_STANDARD_LEADS - 1.0, ov->model->attn_dev_max, style);
  cairo_surface_mark_dirty (image);
  paint_image (cr, image, bin_x (b, 0), p->attn_y, bin_x (b, b->n) - bin_x (b, 0), p->attn_height);
  cairo_surface_destroy (image);
}

/* Spans, band, original and reconstruction of panel p, clipped to its columns. */
static void
draw_panel_traces (cairo_t              *cr,
                   const EcgRecord      *rec,
                   const EcgPlotOverlay *ov,
                   const EcgPlotPanel   *p,
                   const EcgPlotLayout  *layout,
                   const EcgPlotStyle   *style)
{
  size_t n = rec->n_samples, off = p->lead * n;
  const float *recon = ov && ov->recon ? ov->recon + off : NULL;
  bool band = recon && ov->sigma;
  float *cols;
  Bins b;

  if (!bins_init (&b, cr, n, rec->fs, p->t0, p->t1, p->trace_x, style))
    return;
  cairo_save (cr);
  clip_rect (cr, style, p->trace_x, layout->rows_y, p->trace_width, layout->axis_y - layout->rows_y);
  if (ov && ov->smooth)
    draw_spans (cr, &b, ov->smooth + off, ov->threshold, p, style);
  if (!b.columns)
    {
      if (band)
        draw_band (cr, &b, recon, ov->sigma + off, p->baseline, style);
      ecg_plot_draw_trace (cr, ecg_record_lead (rec, p->lead), n, rec->fs, p->t0, p->t1, p->trace_x, p->baseline, style);
      draw_polyline (cr, recon, n, rec->fs, p->t0, p->t1, p->trace_x, p->baseline, style, RECON_MM, &style->colors.recon);
    }
  else if ((cols = malloc (6 * b.n * sizeof *cols)))
    {
      /* the band, the original and the reconstruction, in that order */
      Ink inks[3];
      int n_inks = 0;

      if (band)
        {
          band_columns (cr, &b, recon, ov->sigma + off, p->baseline, style, cols, cols + b.n);
          inks[n_inks++] = (Ink) { cols, cols + b.n, &style->colors.recon, band_alpha (style) };
        }
      if (trace_columns (cr, &b, ecg_record_lead (rec, p->lead), p->baseline, pen_width (style, TRACE_MM), style,
                         cols + 2 * b.n, cols + 3 * b.n))
        inks[n_inks++] = (Ink) { cols + 2 * b.n, cols + 3 * b.n, &style->colors.trace, 1.0 };
      if (recon && trace_columns (cr, &b, recon, p->baseline, pen_width (style, RECON_MM), style, cols + 4 * b.n,
                                  cols + 5 * b.n))
        inks[n_inks++] = (Ink) { cols + 4 * b.n, cols + 5 * b.n, &style->colors.recon, 1.0 };
      paint_columns (cr, &b, inks, n_inks);
      free (cols);
    }
  cairo_restore (cr);
}

static void
draw_panel_strips (cairo_t              *cr,
                   const EcgRecord      *rec,
                   const EcgPlotOverlay *ov,
                   const EcgPlotPanel   *p,
                   const EcgPlotStyle   *style)
{
  size_t off = p->lead * rec->n_samples;
  Bins b;

  if (!bins_init (&b, cr, rec->n_samples, rec->fs, p->t0, p->t1, p->trace_x, style))
    return;
  cairo_save (cr);
  cairo_set_antialias (cr, CAIRO_ANTIALIAS_NONE);
  if (p->error_height > 0 && ov->point && ov->model)
    draw_error_strip (cr, &b, ov->point + off, ov, p, style);
  if (p->attn_height > 0 && ov->attn && ov->model)
    draw_attention_strip (cr, &b, ov->attn + off, ov, p, style);
  cairo_restore (cr);
}

/* The lead's name, with its score when there is a model; a flagged lead's
 * plate is red and marked with a triangle. Returns whether it is flagged. */
static bool
draw_panel_label (cairo_t              *cr,
                  const EcgRecord      *rec,
                  const EcgPlotOverlay *ov,
                  const EcgPlotPanel   *p,
                  const EcgPlotStyle   *style)
{
  const char *name = rec->leads[p->lead].name[0] ? rec->leads[p->lead].name : "?";
  bool flagged = ecg_plot_lead_flagged (ov, p->lead);
  char text[96];

  if (ov && ov->lead_score)
    snprintf (text, sizeof text, "%s %s %.3g", name, flagged ? "\u25b2" : "\u00b7", ov->lead_score[p->lead]);
  else
    snprintf (text, sizeof text, "%s", name);
  if (flagged)
    draw_plate (cr, text, p->label_x, p->label_y, &style->colors.error_over, 1.0, &style->colors.paper, style);
  else
    ecg_plot_draw_label (cr, text, p->label_x, p->label_y, style);
  return flagged;
}

/* A short mark across the baseline where a column of another lead begins. */
static void
draw_separator (cairo_t            *cr,
                const EcgPlotPanel *p,
                const EcgPlotStyle *style)
{
  double h = SEPARATOR_MM * ecg_plot_scale_unit (&style->scale);

  cairo_save (cr);
  set_trace_pen (cr, style);
  cairo_move_to (cr, p->trace_x, p->baseline - h);
  cairo_line_to (cr, p->trace_x, p->baseline + h);
  cairo_stroke (cr);
  cairo_restore (cr);
}

/* ---- page ---- */

static void
set_text_font (cairo_t            *cr,
               const EcgPlotStyle *style,
               cairo_font_weight_t weight)
{
  cairo_select_font_face (cr, "Sans", CAIRO_FONT_SLANT_NORMAL, weight);
  cairo_set_font_size (cr, text_size (style, TEXT_MM) / 0.72);
}

static void
draw_header (cairo_t              *cr,
             const EcgRecord      *rec,
             const EcgPlotOverlay *ov,
             const EcgPlotLayout  *layout,
             const EcgPlotStyle   *style)
{
  double unit = ecg_plot_scale_unit (&style->scale);
  double size = text_size (style, TEXT_MM);
  double baseline = layout->y + layout->header_height / 2 + 0.36 * size;
  char left[320], scale[96];
  double scale_x, room;
  int len;
  cairo_text_extents_t ext;

  /* record id, never a patient's name */
  len = snprintf (left, sizeof left, "%s%s%s%g Hz \u00b7 %.1f s",
                  rec->id[0] ? "Record " : "", rec->id, rec->id[0] ? " \u00b7 " : "", rec->fs,
                  rec->fs > 0 ? rec->n_samples / rec->fs : 0.0);
  if (ov && ov->model && len > 0 && (size_t)len < sizeof left)
    snprintf (left + len, sizeof left - len, " \u00b7 Model %s \u00b7 \u03c4 %.3g%s \u00b7 score %.3g %s",
              ov->model->name, ov->threshold,
              ov->threshold == ov->model->threshold ? " (calibrated)" : "",
              ov->record_score, ov->record_score > ov->threshold ? "> \u03c4: anomalous" : "\u2264 \u03c4");
  ecg_plot_scale_format (&style->scale, scale, sizeof scale);

  cairo_save (cr);
  set_color (cr, &style->colors.text, 1.0);
  set_text_font (cr, style, CAIRO_FONT_WEIGHT_BOLD);
  cairo_text_extents (cr, scale, &ext);
  scale_x = layout->x + layout->width - ECG_PLOT_RIGHT_MM * unit - ext.x_advance;
  cairo_move_to (cr, scale_x, baseline);
  cairo_show_text (cr, scale);

  /* the left part gets smaller rather than run into the scale on a small page */
  set_text_font (cr, style, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_text_extents (cr, left, &ext);
  room = scale_x - 3.0 * unit - (layout->x + 3.0 * unit);
  /* (a little more than the ratio: hinted glyphs at the smaller size run wider) */
  if (ext.x_advance > room && room > 0)
    cairo_set_font_size (cr, size / 0.72 * 0.94 * room / ext.x_advance);
  cairo_move_to (cr, layout->x + 3.0 * unit, baseline);
  cairo_show_text (cr, left);
  cairo_restore (cr);
}

/* Ticks at whole seconds under every panel of the last row, labelled unless
 * the labels would touch. */
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

  while (step * px_per_s < 4.0 * size && step < 60)
    step = step == 1 ? 2 : step == 2 ? 5 : step * 2;

  cairo_save (cr);
  set_text_font (cr, style, CAIRO_FONT_WEIGHT_NORMAL);
  set_color (cr, &style->colors.text, 1.0);
  cairo_set_line_width (cr, line_width (cr, style, GRID_MAJOR_MM, &lw_px));
  for (size_t i = 0; i < layout->n_panels; i++)
    {
      const EcgPlotPanel *p = &layout->panels[i];

      if (p->row + 1 != layout->n_rows)
        continue;
      for (int s = (int)ceil (p->t0 - 1e-9); s <= (int)floor (p->t1 + 1e-9); s++)
        {
          double tx = snap (cr, style, 0, ecg_plot_panel_x (p, style, s), lw_px);
          char text[32];
          cairo_text_extents_t ext;

          cairo_move_to (cr, tx, layout->axis_y);
          cairo_line_to (cr, tx, layout->axis_y + tick);
          cairo_stroke (cr);
          /* a label at a column's right end would sit on the next one's first */
          if (s % step != 0 || (p->col + 1 < layout->n_cols && s >= p->t1 - 1e-9))
            continue;
          snprintf (text, sizeof text, "%d s", s);
          cairo_text_extents (cr, text, &ext);
          cairo_move_to (cr, tx - ext.x_advance / 2, layout->axis_y + tick + 0.6 * unit + size);
          cairo_show_text (cr, text);
        }
    }
  cairo_restore (cr);
}

/* Legend items flow left to right and wrap onto a second line. */
typedef struct {
  cairo_t *cr;
  const EcgPlotStyle *style;
  double x, y, x0, right, line_step, size;
} Legend;

typedef enum { SWATCH_LINE, SWATCH_FILL, SWATCH_DASH } SwatchKind;

static void
legend_item (Legend             *lg,
             SwatchKind          kind,
             const EcgPlotColor *c,
             double              alpha,
             const char         *text)
{
  cairo_t *cr = lg->cr;
  double unit = ecg_plot_scale_unit (&lg->style->scale);
  double sw = 5.0 * unit;
  cairo_text_extents_t ext;

  cairo_text_extents (cr, text, &ext);
  if (lg->x + sw + 1.0 * unit + ext.x_advance > lg->right && lg->x > lg->x0)
    lg->x = lg->x0, lg->y += lg->line_step;
  if (c)
    {
      cairo_save (cr);
      if (kind == SWATCH_FILL)
        {
          cairo_rectangle (cr, lg->x, lg->y - lg->size, sw, lg->size);
          set_color (cr, c, alpha);
          cairo_fill (cr);
        }
      else
        {
          set_pen (cr, lg->style, TRACE_MM, c);
          if (kind == SWATCH_DASH)
            cairo_set_dash (cr, (double[]) { 1.5 * unit, 0.8 * unit }, 2, 0);
          cairo_move_to (cr, lg->x, lg->y - lg->size / 2);
          cairo_rel_line_to (cr, sw, 0);
          cairo_stroke (cr);
        }
      cairo_restore (cr);
      lg->x += sw + 1.0 * unit;
    }
  set_color (cr, &lg->style->colors.text, 1.0);
  cairo_move_to (cr, lg->x, lg->y);
  cairo_show_text (cr, text);
  lg->x += ext.x_advance + 4.0 * unit;
}

static void
draw_legend (cairo_t              *cr,
             const EcgPlotOverlay *ov,
             const EcgPlotLayout  *layout,
             const EcgPlotStyle   *style)
{
  const EcgPlotColors *c = &style->colors;
  const EcgPlotModelInfo *m = ov->model;
  double unit = ecg_plot_scale_unit (&style->scale);
  Legend lg = { .cr = cr, .style = style };
  char text[160];

  lg.size = text_size (style, TEXT_MM) * 0.9;
  lg.x0 = lg.x = layout->x + 3.0 * unit;
  lg.right = layout->x + layout->width - ECG_PLOT_RIGHT_MM * unit;
  lg.line_step = lg.size * 1.6;
  lg.y = layout->legend_y + 1.0 * unit + lg.size;
  cairo_save (cr);
  cairo_select_font_face (cr, "Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size (cr, lg.size / 0.72);
  legend_item (&lg, SWATCH_LINE, &c->trace, 1.0, "original (model input, mV)");
  legend_item (&lg, SWATCH_LINE, &c->recon, 1.0, "reconstruction: the model's expectation, not a denoised ECG");
  if (m && m->variational)
    legend_item (&lg, SWATCH_FILL, &c->recon, band_alpha (style), "\u00b12\u03c3");
  legend_item (&lg, SWATCH_FILL, &c->span, style->dark ? 0.28 : 0.40, "error (40 ms) > \u03c4");
  if (m)
    {
      snprintf (text, sizeof text, "error bars %.3g \u2026 %.3g", m->score_lo, m->score_hi);
      legend_item (&lg, SWATCH_FILL, &c->error, 1.0, text);
      legend_item (&lg, SWATCH_FILL, &c->error_over, 1.0, "> \u03c4");
      legend_item (&lg, SWATCH_DASH, &c->text, 1.0, "\u03c4");
      if (m->has_lead_attention)
        {
          snprintf (text, sizeof text, "lead attention \u00d712 above 1 (to %.3g)", 1 + m->attn_dev_max);
          legend_item (&lg, SWATCH_FILL, &c->attn_above, 1.0, text);
          snprintf (text, sizeof text, "below (to %.3g)", 1 - m->attn_dev_max);
          legend_item (&lg, SWATCH_FILL, &c->attn_below, 1.0, text);
        }
      else
        legend_item (&lg, SWATCH_LINE, NULL, 1.0, "no lead attention in this model");
    }
  cairo_restore (cr);
}

size_t
ecg_plot_draw_page (cairo_t              *cr,
                    const EcgRecord      *rec,
                    const EcgPlotOverlay *overlay,
                    const EcgPlotLayout  *layout,
                    const EcgPlotStyle   *style)
{
  size_t flagged = 0;

  ecg_plot_draw_paper (cr, layout->x, layout->y, layout->width, layout->height, style);
  draw_header (cr, rec, overlay, layout, style);

  /* Traces may reach into neighbouring rows, as on paper, but not into the
   * header or the axis; strips and labels go on top of them. */
  cairo_save (cr);
  clip_rect (cr, style, layout->x, layout->rows_y, layout->width, layout->axis_y - layout->rows_y);
  for (size_t i = 0; i < layout->n_panels; i++)
    {
      const EcgPlotPanel *p = &layout->panels[i];

      if (p->lead >= rec->n_leads)
        continue;
      if (!isnan (p->pulse_x))
        ecg_plot_draw_calibration (cr, p->pulse_x, p->baseline, style);
      else
        draw_separator (cr, p, style);
      draw_panel_traces (cr, rec, overlay, p, layout, style);
    }
  for (size_t i = 0; i < layout->n_panels && overlay; i++)
    if (layout->panels[i].lead < rec->n_leads)
      draw_panel_strips (cr, rec, overlay, &layout->panels[i], style);
  for (size_t i = 0; i < layout->n_panels; i++)
    if (layout->panels[i].lead < rec->n_leads)
      flagged += draw_panel_label (cr, rec, overlay, &layout->panels[i], style);
  cairo_restore (cr);

  draw_time_axis (cr, layout, style);
  if (overlay && layout->strips)
    draw_legend (cr, overlay, layout, style);
  return flagged;
}

size_t
ecg_plot_draw_view (cairo_t              *cr,
                    double                width,
                    double                height,
                    const EcgRecord      *rec,
                    const EcgPlotOverlay *overlay,
                    const EcgPlotLayout  *layout,
                    const EcgPlotStyle   *style)
{
  double x0 = layout->x, y0 = layout->y, x1 = layout->x + layout->width, y1 = layout->y + layout->height;

  /* Paper around the page only, which paints its own: the page's rectangle,
   * shrunk to whole device pixels so the clip stays cheap, is cut out. */
  cairo_save (cr);
  if (style->snap)
    {
      cairo_user_to_device (cr, &x0, &y0);
      cairo_user_to_device (cr, &x1, &y1);
      x0 = ceil (x0), y0 = ceil (y0), x1 = floor (x1), y1 = floor (y1);
      cairo_device_to_user (cr, &x0, &y0);
      cairo_device_to_user (cr, &x1, &y1);
    }
  cairo_rectangle (cr, 0, 0, width, height);
  cairo_rectangle (cr, x0, y0, x1 - x0, y1 - y0);
  cairo_set_fill_rule (cr, CAIRO_FILL_RULE_EVEN_ODD);
  cairo_clip (cr);
  ecg_plot_draw_paper (cr, 0, 0, width, height, style);
  cairo_restore (cr);
  return ecg_plot_draw_page (cr, rec, overlay, layout, style);
}

double
ecg_plot_draw_time_attention (cairo_t            *cr,
                              const float        *attn,
                              size_t              T,
                              double              fs,
                              double              start_s,
                              double              x,
                              double              y,
                              double              size,
                              const EcgPlotStyle *style)
{
  double text = text_size (style, TEXT_MM);
  double top = y + 2.2 * text, left = x + 3.2 * text;
  double side = size - 3.2 * text;
  double span = T / fs;
  cairo_surface_t *image;
  char title[160];

  if (!attn || T == 0 || !(fs > 0) || side <= 0)
    return 0;
  image = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, (int)T, (int)T);
  if (cairo_surface_status (image) == CAIRO_STATUS_SUCCESS)
    {
      uint32_t *px;
      int stride = cairo_image_surface_get_stride (image) / 4;

      cairo_surface_flush (image);
      px = (uint32_t *)cairo_image_surface_get_data (image);
      for (size_t q = 0; q < T; q++)
        for (size_t k = 0; k < T; k++)
          px[q * stride + k] = diverging_argb (attn[q * T + k] * (double)T - 1.0, 1.0, style);
      cairo_surface_mark_dirty (image);
      paint_image (cr, image, left, top, side, side);
    }
  cairo_surface_destroy (image);

  cairo_save (cr);
  cairo_select_font_face (cr, "Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size (cr, text / 0.72);
  set_color (cr, &style->colors.text, 1.0);
  snprintf (title, sizeof title, "Temporal attention, window %.2f\u2013%.2f s", start_s, start_s + span);
  cairo_move_to (cr, x, y + text);
  cairo_show_text (cr, title);
  /* key time along x, query time down y, a tick every 0.5 s */
  cairo_set_line_width (cr, fmax (0.2 * ecg_plot_scale_unit (&style->scale), 1.0));
  for (double s = 0; s <= span + 1e-9; s += 0.5)
    {
      double f = s / span;
      char label[16];

      snprintf (label, sizeof label, "%.1f", start_s + s);
      cairo_move_to (cr, left + f * side, top + side);
      cairo_rel_line_to (cr, 0, 0.4 * text);
      cairo_move_to (cr, left, top + f * side);
      cairo_rel_line_to (cr, -0.4 * text, 0);
      cairo_stroke (cr);
      cairo_move_to (cr, left + f * side - text, top + side + 1.6 * text);
      cairo_show_text (cr, label);
      cairo_move_to (cr, x, top + f * side + 0.5 * text);
      cairo_show_text (cr, label);
    }
  cairo_move_to (cr, left, top + side + 3.0 * text);
  cairo_show_text (cr, "key time (s) \u2192 \u00b7 query time (s) \u2193");
  /* the colour key on a line of its own: a title this long would not fit the panel */
  snprintf (title, sizeof title, "weight \u00d7 %zu: purple 0 \u00b7 white 1 (uniform) \u00b7 orange 2", T);
  cairo_move_to (cr, left, top + side + 4.5 * text);
  cairo_show_text (cr, title);
  cairo_restore (cr);
  return top + side + 4.9 * text - y;
}
