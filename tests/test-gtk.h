/* test-gtk.h — what the GTK test binaries share: running the main loop, and
 * the pixels GTK renders, saved as PNG for a person to look at. */
#pragma once

#include <gtk/gtk.h>

#include "ecg-plot.h"
#include "test.h"

/* Run the main loop for ms milliseconds. */
static inline void
test_iterate (int ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < end)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (1000);
}

/* Save texture as png_name in the build tree's tests/ under meson, else in
 * this run's temporary directory, and say where. */
static inline void
test_save_png (GdkTexture *texture,
               const char *png_name)
{
  const char *root = g_getenv ("ECGLENS_BUILD_ROOT");
  g_autofree char *path = root ? g_build_filename (root, "tests", png_name, NULL)
                               : g_build_filename (test_tmpdir (), png_name, NULL);

  gdk_texture_save_to_png (texture, path);
  printf ("#   screenshot: %s (%d x %d)\n", path, gdk_texture_get_width (texture), gdk_texture_get_height (texture));
}

/* widget rendered 1:1 (the paintable's own size) by its window's GskRenderer. */
static inline GdkTexture *
test_render_widget (GtkWidget *widget)
{
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  int width = gdk_paintable_get_intrinsic_width (paintable);
  int height = gdk_paintable_get_intrinsic_height (paintable);
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  GskRenderer *renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));
  g_autoptr(GskRenderNode) node = NULL;

  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (snapshot);
  return gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));
}

/* A rendering's pixels: (height, width) BGRA, cairo's ARGB32 layout. */
typedef struct
{
  int width, height;
  gsize stride;
  guchar *data;
} Shot;

static inline void
shot_clear (Shot *shot)
{
  g_clear_pointer (&shot->data, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Shot, shot_clear)

static inline Shot
test_shot_of (GdkTexture *texture)
{
  Shot shot = { gdk_texture_get_width (texture), gdk_texture_get_height (texture), 0, NULL };

  shot.stride = (gsize) shot.width * 4;
  shot.data = g_malloc (shot.stride * shot.height);
  gdk_texture_download (texture, shot.data, shot.stride);
  return shot;
}

/* The colour at (x, y), 0..1; all -1 outside the shot. */
static inline void
test_shot_rgb (const Shot *shot,
               int         x,
               int         y,
               double      rgb[3])
{
  const guchar *p;

  if (x < 0 || y < 0 || x >= shot->width || y >= shot->height)
    {
      rgb[0] = rgb[1] = rgb[2] = -1;
      return;
    }
  p = shot->data + (gsize) y * shot->stride + (gsize) x * 4;
  rgb[0] = p[2] / 255.0, rgb[1] = p[1] / 255.0, rgb[2] = p[0] / 255.0;
}

/* Relative luminance at (x, y), -1 outside the shot. */
static inline double
test_shot_luminance (const Shot *shot,
                     int         x,
                     int         y)
{
  double rgb[3];

  test_shot_rgb (shot, x, y, rgb);
  return rgb[0] < 0 ? -1 : 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2];
}

/* Ink of a trace or text on light paper. */
static inline gboolean
test_shot_is_ink (const Shot *shot,
                  int         x,
                  int         y)
{
  double l = test_shot_luminance (shot, x, y);

  return l >= 0 && l < 0.35;
}

/* Whether (x, y) has colour c, within 0.08 in every channel. */
static inline gboolean
test_shot_is_color (const Shot         *shot,
                    int                 x,
                    int                 y,
                    const EcgPlotColor *c)
{
  double rgb[3];

  test_shot_rgb (shot, x, y, rgb);
  return fabs (rgb[0] - c->r) < 0.08 && fabs (rgb[1] - c->g) < 0.08 && fabs (rgb[2] - c->b) < 0.08;
}
