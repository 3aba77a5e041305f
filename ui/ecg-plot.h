/* ecg-plot.h — ECG paper and traces drawn with Cairo alone.
 *
 * This is the drawing shared by the record view widget and by headless export
 * (`ecglens-cli render`), so it includes no GTK header and keeps no state: every
 * function draws from its arguments only.
 *
 * Units. Everything is laid out in millimetres of ECG paper: 1 mm minor and 5 mm
 * major grid squares, 25 mm/s and 10 mm/mV at 100%. One paper millimetre is
 * scale->px_per_mm * scale->zoom device-independent units on the cairo surface:
 * px_per_mm is the output's true density (a screen's pixels per physical mm, or
 * 72 / 25.4 points per mm for PDF and SVG), so at zoom 1 a grid square is exactly
 * 1 mm on the screen or the page. When zoom != 1 the scale actually shown
 * (25·zoom mm/s, 10·zoom mm/mV) is what gets printed on the page.
 *
 *   EcgPlotStyle style;
 *   EcgPlotLayout layout;
 *   ecg_plot_style_init (&style, ECG_PLOT_DEFAULT_PX_PER_MM, false);
 *   ecg_plot_layout_12x1 (&layout, 0, 0, rec->n_leads, duration_s, &style);
 *   ecg_plot_draw_record_12x1 (cr, rec, &layout, &style);
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <cairo.h>

#include "record.h"

/* 96 dpi, the density assumed when the output's physical size is unknown. */
#define ECG_PLOT_DEFAULT_PX_PER_MM (96.0 / 25.4)

typedef struct {
  double r, g, b;  /* 0..1 */
} EcgPlotColor;

typedef struct {
  EcgPlotColor paper;       /* background */
  EcgPlotColor grid_minor;  /* 1 mm lines */
  EcgPlotColor grid_major;  /* 5 mm lines */
  EcgPlotColor trace;       /* signals and calibration pulses */
  EcgPlotColor text;        /* lead names, time axis, header */
} EcgPlotColors;

typedef struct {
  double px_per_mm;  /* output units per physical mm at zoom 1 */
  double zoom;       /* paper mm drawn per physical mm (1 = true size) */
  double mm_per_s;   /* paper speed, 25 */
  double mm_per_mv;  /* gain, 10 */
} EcgPlotScale;

typedef struct {
  EcgPlotScale scale;
  EcgPlotColors colors;
  bool snap;  /* align grid lines to device pixels (screens); false for PDF/SVG */
} EcgPlotStyle;

/* Geometry of a 12×1 page, in output units, for a given style (see
 * ecg_plot_layout_12x1). Rows are stacked top to bottom in lead order. */
typedef struct {
  double x, y;            /* top-left corner of the page */
  double width, height;   /* of the whole page, paper included */
  double header_height;   /* band at the top: record id left, scale right */
  double rows_y;          /* top of the first row */
  double row_height;
  size_t n_rows;
  double pulse_x;         /* where each row's calibration pulse starts */
  double trace_x;         /* x of t = 0 on every row (on a 5 mm line) */
  double trace_width;     /* duration at the paper speed */
  double duration;        /* seconds shown */
  double axis_y;          /* top of the time-axis band under the last row */
} EcgPlotLayout;

/* One row of a layout: the band it owns and where its trace starts. */
typedef struct {
  double x, y, width, height;  /* the band */
  double pulse_x;              /* start of the calibration pulse */
  double trace_x;              /* x of the first time shown */
  double baseline;             /* y of 0 mV (on a 5 mm line) */
  double label_x, label_y;     /* top-left of the lead name */
} EcgPlotRow;

/* Paper sizes of the 12×1 page in mm, at zoom 1 (the calibration pulse area
 * before t = 0 is 15 mm at 25 mm/s). */
enum {
  ECG_PLOT_HEADER_MM = 10,
  ECG_PLOT_ROW_MM = 20,
  ECG_PLOT_RIGHT_MM = 5,
  ECG_PLOT_AXIS_MM = 10,
};

/* Light (pink paper, red grid, black trace) or dark (charcoal paper, dim red
 * grid, light trace) colours, 25 mm/s, 10 mm/mV, zoom 1, snapping on. */
void ecg_plot_style_init (EcgPlotStyle *style,
                          double        px_per_mm,
                          bool          dark);

/* Output units per millimetre of paper: px_per_mm × zoom. */
double ecg_plot_scale_unit (const EcgPlotScale *scale);

/* The scale as printed on the page: "25 mm/s · 10 mm/mV", or with the zoom
 * applied and stated when it is not 1: "20 mm/s · 8 mm/mV (80%)". */
void ecg_plot_scale_format (const EcgPlotScale *scale,
                            char               *buf,
                            size_t              size);

/* Fill the rectangle with paper and draw the 1 mm and 5 mm grid, whose lines
 * start at (x, y). Minor lines are left out when they would be closer than
 * 2 device pixels apart. */
void ecg_plot_draw_paper (cairo_t            *cr,
                          double              x,
                          double              y,
                          double              width,
                          double              height,
                          const EcgPlotStyle *style);

/* The 1 mV × 200 ms calibration pulse, starting at x on the baseline. */
void ecg_plot_draw_calibration (cairo_t            *cr,
                                double              x,
                                double              baseline,
                                const EcgPlotStyle *style);

/* A trace of samples (n) at fs Hz between times t0 and t1 (s), drawn with t0 at
 * x and 0 mV at baseline, up for positive. NaN samples leave a gap. Where
 * several samples fall into one device pixel the path keeps each column's first,
 * minimum, maximum and last sample, which draws the same pixels. */
void ecg_plot_draw_trace (cairo_t            *cr,
                          const float        *samples,
                          size_t              n,
                          double              fs,
                          double              t0,
                          double              t1,
                          double              x,
                          double              baseline,
                          const EcgPlotStyle *style);

/* A lead name with its top-left corner at (x, y), on a paper-coloured plate so it
 * stays legible where a trace runs underneath. */
void ecg_plot_draw_label (cairo_t            *cr,
                          const char         *text,
                          double              x,
                          double              y,
                          const EcgPlotStyle *style);

/* Height of lead-name text in output units (also the plate's height minus
 * padding), for callers that need to know where labels are. */
double ecg_plot_label_height (const EcgPlotStyle *style);

/* Width of a lead name as ecg_plot_draw_label draws it (the plate reaches a
 * further 0.3 label heights on each side). */
double ecg_plot_label_width (cairo_t            *cr,
                             const char         *text,
                             const EcgPlotStyle *style);

/* Calibration pulse, trace of lead l between t0 and t1, and its name, in row. */
void ecg_plot_draw_lead (cairo_t            *cr,
                         const EcgRecord    *rec,
                         size_t              l,
                         double              t0,
                         double              t1,
                         const EcgPlotRow   *row,
                         const EcgPlotStyle *style);

/* Lay out n_rows rows of duration seconds on a page whose top-left is (x, y). */
void ecg_plot_layout_12x1 (EcgPlotLayout      *layout,
                           double              x,
                           double              y,
                           size_t              n_rows,
                           double              duration,
                           const EcgPlotStyle *style);

/* Row i (0-based) of a layout. */
void ecg_plot_layout_row (const EcgPlotLayout *layout,
                          size_t               i,
                          const EcgPlotStyle  *style,
                          EcgPlotRow          *row);

/* The whole page: paper, header (record id, rate, duration; scale in the top
 * right corner), one row per lead of rec (as many as layout->n_rows) showing
 * the first layout->duration seconds, and the time axis in seconds. */
void ecg_plot_draw_record_12x1 (cairo_t             *cr,
                                const EcgRecord     *rec,
                                const EcgPlotLayout *layout,
                                const EcgPlotStyle  *style);
