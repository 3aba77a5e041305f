/* ecg-plot-export.c — core results to a drawn page (see ecg-plot-export.h). */
#include "ecg-plot-export.h"

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "fileio.h"

void
ecg_plot_model_info_from_checkpoint (EcgPlotModelInfo        *info,
                          const EcgModelConfig    *cfg,
                          const EcgCheckpointInfo *ck)
{
  const EcgModelKindInfo *kind = ecg_model_kind_info (cfg->kind);
  double lo = 0, top;

  memset (info, 0, sizeof *info);
  snprintf (info->name, sizeof info->name, "%s", cfg->name[0] ? cfg->name : kind->name);
  info->variational = kind->variational;
  info->has_lead_attention = kind->lead_attention;
  info->has_time_attention = kind->time_attention;
  info->attn_dev_max = ECG_PLOT_ATTN_DEV_MAX;
  if (!ck || !ck->has_calibration)
    {
      info->threshold = info->percentile = NAN;
      info->score_hi = 1;
      return;
    }
  info->threshold = ck->threshold;
  info->percentile = ck->percentile;
  top = ck->threshold;
  for (size_t i = 0; i < ck->n_val_scores; i++)
    if (isfinite (ck->val_scores[i]))
      {
        lo = fmin (lo, ck->val_scores[i]);
        top = fmax (top, ck->val_scores[i]);
      }
  info->score_lo = lo;
  info->score_hi = top > lo ? lo + 3 * (top - lo) : lo + 1;
}

/* A (12, n) array of v × std + mean per lead (scale_only: v × std); NULL in, NULL out. */
static float *
to_mv (const float        *v,
       size_t              n,
       const EcgNormStats *units,
       bool                scale_only,
       bool               *failed)
{
  float *out;

  if (!v)
    return NULL;
  out = malloc (ECG_N_STANDARD_LEADS * n * sizeof *out);
  if (!out)
    {
      *failed = true;
      return NULL;
    }
  for (size_t l = 0; l < ECG_N_STANDARD_LEADS; l++)
    for (size_t i = 0; i < n; i++)
      out[l * n + i] = v[l * n + i] * units->std[l] + (scale_only ? 0 : units->mean[l]);
  return out;
}

static float *
copy_array (const float *v,
            size_t       count,
            bool        *failed)
{
  float *out;

  if (!v)
    return NULL;
  out = malloc (count * sizeof *out);
  if (!out)
    *failed = true;
  else
    memcpy (out, v, count * sizeof *out);
  return out;
}

int
ecg_plot_scored_init (EcgPlotScored        *out,
                      const EcgRecordScore *score,
                      const char           *record_id,
                      EcgError             *err)
{
  size_t n = score->n_samples;
  bool failed = false;
  float *x;
  int s;

  memset (out, 0, sizeof *out);
  if ((s = ecg_record_init (&out->record, ECG_N_STANDARD_LEADS, n, score->fs, err)) != ECG_OK)
    return s;
  snprintf (out->record.id, sizeof out->record.id, "%s", record_id ? record_id : "");
  for (size_t l = 0; l < ECG_N_STANDARD_LEADS; l++)
    {
      ecg_record_set_lead_name (&out->record, l, ecg_standard_leads[l]);
      snprintf (out->record.leads[l].units, sizeof out->record.leads[l].units, "mV");
    }
  x = to_mv (score->x, n, &score->units, false, &failed);
  if (x)
    memcpy (out->record.samples, x, ECG_N_STANDARD_LEADS * n * sizeof *x);
  free (x);
  out->recon = to_mv (score->x_mean, n, &score->units, false, &failed);
  out->sigma = to_mv (score->x_sigma, n, &score->units, true, &failed);
  out->point = copy_array (score->point, ECG_N_STANDARD_LEADS * n, &failed);
  out->attn = copy_array (score->lead_attn, ECG_N_STANDARD_LEADS * n, &failed);
  if (score->point && !failed && !(out->smooth = malloc (ECG_N_STANDARD_LEADS * n * sizeof *out->smooth)))
    failed = true;
  if (failed)
    {
      ecg_plot_scored_clear (out);
      return ecg_fail (err, ECG_ERR_NOMEM, "%s: out of memory for the view", record_id ? record_id : "record");
    }
  if (out->smooth)
    ecg_score_smooth (out->point, ECG_N_STANDARD_LEADS, n, score->fs, ECG_SPAN_SMOOTH_S, out->smooth);
  memcpy (out->lead_score, score->lead_score, sizeof out->lead_score);
  out->record_score = score->record_score;
  return ECG_OK;
}

void
ecg_plot_scored_overlay (const EcgPlotScored    *s,
                         const EcgPlotModelInfo *model,
                         double                  threshold,
                         EcgPlotOverlay         *ov)
{
  *ov = (EcgPlotOverlay) {
    .model = model,
    .recon = s->recon,
    .sigma = s->sigma,
    .point = s->point,
    .smooth = s->smooth,
    .attn = s->attn,
    .lead_score = s->lead_score,
    .record_score = s->record_score,
    .threshold = threshold,
  };
}

void
ecg_plot_scored_clear (EcgPlotScored *s)
{
  ecg_record_clear (&s->record);
  free (s->recon);
  free (s->sigma);
  free (s->point);
  free (s->smooth);
  free (s->attn);
  memset (s, 0, sizeof *s);
}

unsigned
ecg_plot_overlay_strips (const EcgPlotOverlay *ov)
{
  if (!ov || !ov->model)
    return 0;
  return (ov->point ? ECG_PLOT_STRIP_ERROR : 0)
         | (ov->attn && ov->model->has_lead_attention ? ECG_PLOT_STRIP_ATTENTION : 0);
}

/* ---- files ---- */

typedef enum { FORMAT_PNG, FORMAT_PDF, FORMAT_SVG } Format;

typedef struct {
  int fd;
  int errno_value;  /* first write error */
} Sink;

static cairo_status_t
sink_write (void                *closure,
            const unsigned char *data,
            unsigned int         length)
{
  Sink *sink = closure;

  while (length > 0)
    {
      ssize_t w = write (sink->fd, data, length);

      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        {
          sink->errno_value = w < 0 ? errno : EIO;
          return CAIRO_STATUS_WRITE_ERROR;
        }
      data += w;
      length -= (unsigned int)w;
    }
  return CAIRO_STATUS_SUCCESS;
}

static int
format_of (const char *path,
           Format     *format)
{
  const char *dot = strrchr (path, '.');

  if (dot && strcasecmp (dot, ".png") == 0)
    *format = FORMAT_PNG;
  else if (dot && strcasecmp (dot, ".pdf") == 0)
    *format = FORMAT_PDF;
  else if (dot && strcasecmp (dot, ".svg") == 0)
    *format = FORMAT_SVG;
  else
    return -1;
  return 0;
}

/* Draw the page onto a surface of format writing into sink. */
static cairo_status_t
render_to (Sink                 *sink,
           Format                format,
           const EcgRecord      *rec,
           const EcgPlotOverlay *ov,
           EcgPlotLayoutKind     kind,
           double                t0,
           double                duration,
           const EcgPlotStyle   *style_in)
{
  EcgPlotStyle style = *style_in;
  EcgPlotLayout layout;
  cairo_surface_t *surface;
  cairo_status_t status;
  cairo_t *cr;

  if (format != FORMAT_PNG)
    {
      style.scale.px_per_mm = ECG_PLOT_PT_PER_MM;
      style.scale.zoom = 1.0;
      style.snap = false;
    }
  ecg_plot_layout_compute (&layout, kind, 0, 0, rec->n_leads, t0, duration, ecg_plot_overlay_strips (ov), &style);
  if (format == FORMAT_PNG)
    surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, (int)ceil (layout.width), (int)ceil (layout.height));
  else if (format == FORMAT_PDF)
    surface = cairo_pdf_surface_create_for_stream (sink_write, sink, layout.width, layout.height);
  else
    surface = cairo_svg_surface_create_for_stream (sink_write, sink, layout.width, layout.height);
  cr = cairo_create (surface);
  ecg_plot_draw_page (cr, rec, ov, &layout, &style);
  status = cairo_status (cr);
  cairo_destroy (cr);
  if (status == CAIRO_STATUS_SUCCESS && format == FORMAT_PNG)
    status = cairo_surface_write_to_png_stream (surface, sink_write, sink);
  cairo_surface_finish (surface);
  if (status == CAIRO_STATUS_SUCCESS)
    status = cairo_surface_status (surface);
  cairo_surface_destroy (surface);
  return status;
}

int
ecg_plot_export (const char           *path,
                 const EcgRecord      *rec,
                 const EcgPlotOverlay *overlay,
                 EcgPlotLayoutKind     kind,
                 double                t0,
                 double                duration,
                 const EcgPlotStyle   *style,
                 EcgError             *err)
{
  char tmp[4096];
  Sink sink = { -1, 0 };
  cairo_status_t status;
  Format format;
  int s;

  if (format_of (path, &format) != 0)
    return ecg_fail (err, ECG_ERR_ARG, "%s: unknown format (use .png, .pdf or .svg)", path);
  if (rec->n_leads == 0 || rec->n_samples == 0)
    return ecg_fail (err, ECG_ERR_ARG, "%s: no record to draw", path);
  if ((s = ecg_file_temp_create (path, tmp, sizeof tmp, &sink.fd, err)) != ECG_OK)
    return s;
  status = render_to (&sink, format, rec, overlay, kind, t0, duration, style);
  if (close (sink.fd) != 0 && status == CAIRO_STATUS_SUCCESS)
    sink.errno_value = errno, status = CAIRO_STATUS_WRITE_ERROR;
  if (status != CAIRO_STATUS_SUCCESS)
    {
      unlink (tmp);
      return ecg_fail (err, ECG_ERR_IO, "%s: cannot write: %s", path,
                       sink.errno_value ? strerror (sink.errno_value) : cairo_status_to_string (status));
    }
  return ecg_file_temp_commit (tmp, path, err);
}
