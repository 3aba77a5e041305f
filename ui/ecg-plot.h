/* ecg-plot.h — ECG paper, traces and model overlays drawn with Cairo alone.
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
 * (25·zoom mm/s, 10·zoom mm/mV) is what gets printed on the page. Zooming in
 * time raises the paper speed (mm_per_s 50 shows half the seconds on the same
 * paper), which is printed too.
 *
 *   EcgPlotStyle style;
 *   EcgPlotLayout layout;
 *   ecg_plot_style_init (&style, ECG_PLOT_DEFAULT_PX_PER_MM, false);
 *   ecg_plot_layout_compute (&layout, ECG_PLOT_LAYOUT_3X4, 0, 0, rec->n_leads,
 *                            0.0, 10.0, ECG_PLOT_STRIP_ERROR, &style);
 *   ecg_plot_draw_page (cr, rec, &overlay, &layout, &style);   // overlay may be NULL
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <cairo.h>

#include "record.h"

/* 96 dpi, the density assumed when the output's physical size is unknown. */
#define ECG_PLOT_DEFAULT_PX_PER_MM (96.0 / 25.4)
/* PNG export: 300 dpi, for print */
#define ECG_PLOT_PRINT_PX_PER_MM (300.0 / 25.4)
/* PDF and SVG: points per millimetre, so the printed page is at true scale. */
#define ECG_PLOT_PT_PER_MM (72.0 / 25.4)

typedef struct {
  double r, g, b;  /* 0..1 */
} EcgPlotColor;

typedef struct {
  EcgPlotColor paper;       /* background */
  EcgPlotColor grid_minor;  /* 1 mm lines */
  EcgPlotColor grid_major;  /* 5 mm lines */
  EcgPlotColor trace;       /* the original signal and calibration pulses */
  EcgPlotColor text;        /* lead names, time axis, header */
  EcgPlotColor recon;       /* the model's reconstruction and its ±2σ band */
  EcgPlotColor span;        /* above-threshold spans on the trace */
  EcgPlotColor strip;       /* background of the error and attention strips */
  EcgPlotColor error;       /* error bars at or below τ */
  EcgPlotColor error_over;  /* error bars above τ, flagged lead plates */
  EcgPlotColor attn_above;  /* lead attention above uniform (1/12) */
  EcgPlotColor attn_below;  /* and below */
  EcgPlotColor cursor;      /* crosshair and calipers */
} EcgPlotColors;

typedef struct {
  double px_per_mm;  /* output units per physical mm at zoom 1 */
  double zoom;       /* paper mm drawn per physical mm (1 = true size) */
  double mm_per_s;   /* paper speed, 25 (50 when zoomed ×2 in time) */
  double mm_per_mv;  /* gain, 10 */
} EcgPlotScale;

typedef struct {
  EcgPlotScale scale;
  EcgPlotColors colors;
  bool dark;
  bool snap;  /* raster output (screens, PNG): grid lines on device pixels, traces and
               * overlays drawn a device column at a time; false for PDF and SVG */
} EcgPlotStyle;

typedef enum {
  ECG_PLOT_LAYOUT_12X1,  /* one lead per row, the whole span */
  ECG_PLOT_LAYOUT_6X2,   /* I..aVF left, V1..V6 right, both columns the same span */
  ECG_PLOT_LAYOUT_3X4,   /* I-II-III | aVR-aVL-aVF | V1-V3 | V4-V6 in consecutive quarters, lead II rhythm strip */
  ECG_PLOT_N_LAYOUTS
} EcgPlotLayoutKind;

/* Strips under each trace (bits). */
enum {
  ECG_PLOT_STRIP_ERROR = 1 << 0,      /* per-point error bars with the threshold line */
  ECG_PLOT_STRIP_ATTENTION = 1 << 1,  /* lead attention as deviation from uniform */
};

/* Paper sizes in mm at zoom 1 (the calibration pulse area before the first
 * column is 15 mm at 25 mm/s). A row is ECG_PLOT_ROW_MM of trace, plus
 * ECG_PLOT_STRIPS_MM when strips are shown, so baselines stay on 5 mm lines. */
enum {
  ECG_PLOT_HEADER_MM = 10,
  ECG_PLOT_ROW_MM = 20,
  ECG_PLOT_STRIPS_MM = 10,
  ECG_PLOT_RIGHT_MM = 5,
  ECG_PLOT_AXIS_MM = 10,
  ECG_PLOT_LEGEND_MM = 10,
  ECG_PLOT_MAX_PANELS = 13,  /* 3×4 and the rhythm strip */
};

/* One lead shown over one time span: the trace's band and the strips under it. */
typedef struct {
  size_t lead;                 /* index of the lead in the record */
  size_t row, col;
  double t0, t1;               /* seconds shown */
  double x, y, width, height;  /* the trace's band (strips not included) */
  double pulse_x;              /* start of the calibration pulse; NAN: none (not the first column) */
  double trace_x;              /* x of t0 */
  double trace_width;          /* x of t1 - x of t0 */
  double baseline;             /* y of 0 mV (on a 5 mm line) */
  double label_x, label_y;     /* top-left of the lead name */
  double error_y, error_height;  /* error strip; height 0: none */
  double attn_y, attn_height;    /* attention strip; height 0: none */
} EcgPlotPanel;

/* Geometry of a page in output units for a given style (ecg_plot_layout_compute). */
typedef struct {
  EcgPlotLayoutKind kind;
  unsigned strips;        /* ECG_PLOT_STRIP_* */
  double x, y;            /* top-left corner of the page */
  double width, height;   /* of the whole page, paper included */
  double header_height;   /* band at the top: record, model and τ left, scale right */
  double rows_y;          /* top of the first row */
  double row_height;      /* trace band plus strips */
  size_t n_rows, n_cols;
  double pulse_x;         /* where each row's calibration pulse starts */
  double trace_x;         /* x of t0 on every row (on a 5 mm line) */
  double trace_width;     /* the row's span at the paper speed */
  double t0, duration;    /* seconds of a whole row */
  double axis_y;          /* top of the time-axis band under the last row */
  double legend_y;        /* top of the legend band (strips shown), else the page bottom */
  size_t n_panels;
  EcgPlotPanel panels[ECG_PLOT_MAX_PANELS];
} EcgPlotLayout;

/* What the page needs to know about the model behind the overlays. The colour
 * and height scales are fixed per model so that leads and records compare. */
typedef struct {
  char name[64];
  double threshold;        /* calibrated τ (record-score units) */
  double percentile;       /* of the validation normals τ corresponds to */
  double score_lo, score_hi;  /* error strip: empty at lo, full at hi (see ecg-plot-export.h) */
  double attn_dev_max;     /* attention strip: full colour at |weight × 12 - 1| = this */
  bool variational;        /* ±2σ band */
  bool has_lead_attention;
  bool has_time_attention;
} EcgPlotModelInfo;

/* Model outputs aligned with the record drawn: every array is (n_leads,
 * n_samples) lead-major like rec->samples (NaN: no value); any may be NULL. */
typedef struct {
  const EcgPlotModelInfo *model;
  const float *recon;      /* reconstruction, mV */
  const float *sigma;      /* predicted standard deviation, mV */
  const float *point;      /* point score */
  const float *smooth;     /* point score smoothed over ECG_SPAN_SMOOTH_S */
  const float *attn;       /* lead attention weight received (1/12 uniform) */
  const float *lead_score; /* (n_leads) */
  double record_score;
  double threshold;        /* τ applied now (the slider) */
} EcgPlotOverlay;

/* Light (pink paper, red grid, black trace) or dark (charcoal paper, dim red
 * grid, light trace) colours, 25 mm/s, 10 mm/mV, zoom 1, snapping on. */
void ecg_plot_style_init (EcgPlotStyle *style,
                          double        px_per_mm,
                          bool          dark);

/* "12x1", "6x2", "3x4"; ecg_plot_layout_from_name returns -1 for others. */
const char *ecg_plot_layout_name      (EcgPlotLayoutKind kind);
int         ecg_plot_layout_from_name (const char *name);

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
 * x and 0 mV at baseline, up for positive, in the style's trace colour. NaN
 * samples leave a gap. On a raster output (style->snap) each device pixel
 * column is inked over the trace's extent in it (segments cut at the column
 * edges) and half the pen above and below: the pixels a stroke through every
 * sample lights, at a cost that follows the columns, not the sample rate. PDF
 * and SVG get the path through every sample. */
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

/* Lay out a page of kind with its top-left at (x, y): rows of duration seconds
 * from t0 (12×1: one lead a row; 6×2: two columns of duration/2 seconds, both
 * from t0; 3×4: four columns of consecutive quarters and a lead II rhythm strip
 * over the whole span), with strips (ECG_PLOT_STRIP_*) under every trace. A
 * record without the 12 standard leads is laid out 12×1 with n_leads rows
 * (layout->kind says which layout was used). */
void ecg_plot_layout_compute (EcgPlotLayout      *layout,
                              EcgPlotLayoutKind   kind,
                              double              x,
                              double              y,
                              size_t              n_leads,
                              double              t0,
                              double              duration,
                              unsigned            strips,
                              const EcgPlotStyle *style);

/* The panel under (x, y) (its trace band or strips), with the time (s) and the
 * amplitude (mV, from its baseline) there; -1 when none. */
int ecg_plot_layout_hit (const EcgPlotLayout *layout,
                         const EcgPlotStyle  *style,
                         double               x,
                         double               y,
                         double              *time,
                         double              *mv);

/* x of time t in panel p (may fall outside it). */
double ecg_plot_panel_x (const EcgPlotPanel *p,
                         const EcgPlotStyle *style,
                         double              t);

/* Whether lead l of an overlay is flagged: its lead score exceeds τ. */
bool ecg_plot_lead_flagged (const EcgPlotOverlay *overlay,
                            size_t                l);

/* The whole page: paper, header (record id, model, τ, record score; the scale
 * in the top right corner), every panel of layout with its calibration pulse,
 * name, trace and (overlay not NULL) reconstruction, band, above-threshold
 * spans, lead score, flag and strips, the time axis in seconds and a legend.
 * Returns the number of flagged leads drawn. */
size_t ecg_plot_draw_page (cairo_t              *cr,
                           const EcgRecord      *rec,
                           const EcgPlotOverlay *overlay,
                           const EcgPlotLayout  *layout,
                           const EcgPlotStyle   *style);

/* What the record view shows in the rectangle (0, 0, width, height): the
 * page of ecg_plot_draw_page, and the paper's grid continued from (0, 0) over
 * the rest. Returns the number of flagged leads drawn. */
size_t ecg_plot_draw_view (cairo_t              *cr,
                           double                width,
                           double                height,
                           const EcgRecord      *rec,
                           const EcgPlotOverlay *overlay,
                           const EcgPlotLayout  *layout,
                           const EcgPlotStyle   *style);

/* A temporal attention matrix attn (T, T) (rows: queries, averaged over heads)
 * of a window starting at start_s, at fs, in the square of side size at (x, y)
 * with axes in seconds and a title; shown as deviation from uniform (weight × T)
 * on a diverging scale from 0 to 2. Returns the panel height used. */
double ecg_plot_draw_time_attention (cairo_t            *cr,
                                     const float        *attn,
                                     size_t              T,
                                     double              fs,
                                     double              start_s,
                                     double              x,
                                     double              y,
                                     double              size,
                                     const EcgPlotStyle *style);
