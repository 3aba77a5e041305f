/* ecg-application.c — the ecglens GtkApplication: app actions, and a window per
 * opened file (the bundled demo when started without one). */
#include "ecg-application.h"

#include "ecg-window.h"
#include "nn/gemm.h"

struct _EcgApplication
{
  GtkApplication  parent_instance;
  GtkCssProvider *dark_css;  /* style-dark.css, on the display while the theme is dark */
};

G_DEFINE_FINAL_TYPE (EcgApplication, ecg_application, GTK_TYPE_APPLICATION)

char *
ecg_application_find_demo (void)
{
  const char *candidates[] = { g_getenv ("ECGLENS_DEMO"), ECGLENS_BUILD_DEMO, ECGLENS_INSTALLED_DEMO };

  for (guint i = 0; i < G_N_ELEMENTS (candidates); i++)
    if (candidates[i] != NULL && *candidates[i] && g_file_test (candidates[i], G_FILE_TEST_EXISTS))
      return g_strdup (candidates[i]);
  return NULL;
}

static void
open_in_new_window (EcgApplication *self,
                    const char     *path)
{
  EcgWindow *window = ecg_window_new (self);

  /* a file that does not open leaves the window up with a banner saying why */
  if (path != NULL)
    ecg_window_open (window, path, NULL);
  else
    ecg_window_show_error (window, "No demo dataset found: open a dataset file.");
  gtk_window_present (GTK_WINDOW (window));
}

static void
ecg_application_activate (GApplication *app)
{
  g_autofree char *demo = ecg_application_find_demo ();

  open_in_new_window (ECG_APPLICATION (app), demo);
}

static void
ecg_application_open (GApplication  *app,
                      GFile        **files,
                      int            n_files,
                      const char    *hint)
{
  for (int i = 0; i < n_files; i++)
    {
      g_autofree char *path = g_file_get_path (files[i]);

      open_in_new_window (ECG_APPLICATION (app), path);
    }
}

static void
quit_activated (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  GList *windows;

  /* Close every window (each releases what it holds); the application ends
   * with the last one, as it does when the user closes them. */
  while ((windows = gtk_application_get_windows (GTK_APPLICATION (user_data))) != NULL)
    gtk_window_destroy (GTK_WINDOW (windows->data));
}

static void
about_activated (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (user_data));

  gtk_show_about_dialog (parent,
                         "program-name", "ecglens",
                         "version", PACKAGE_VERSION,
                         "comments", "12-lead ECGs through the eyes of anomaly-detection models",
                         "license-type", GTK_LICENSE_MIT_X11,
                         "logo-icon-name", "org.ecglens.Ecglens",
                         NULL);
}

static const GActionEntry app_actions[] = {
  { .name = "quit", .activate = quit_activated },
  { .name = "about", .activate = about_activated },
};

/* Plain GTK 4.8 has no dark-variant stylesheet hook (libadwaita's
 * style-dark.css): follow the setting and the theme name ourselves. */
static void
update_dark_style (EcgApplication *self)
{
  GtkSettings *settings = gtk_settings_get_default ();
  g_autofree char *theme = NULL;
  gboolean prefer_dark;

  g_object_get (settings, "gtk-application-prefer-dark-theme", &prefer_dark, "gtk-theme-name", &theme, NULL);
  if (prefer_dark || (theme != NULL && g_str_has_suffix (theme, "-dark")))
    gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (self->dark_css),
                                                GTK_STYLE_PROVIDER_PRIORITY_APPLICATION + 1);
  else
    gtk_style_context_remove_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (self->dark_css));
}

static void
ecg_application_startup (GApplication *app)
{
  EcgApplication *self = ECG_APPLICATION (app);
  const char *quit_accels[] = { "<Control>q", NULL };
  g_autoptr(GtkCssProvider) css = gtk_css_provider_new ();

  G_APPLICATION_CLASS (ecg_application_parent_class)->startup (app);
  /* the app runs its models on its own threads (the window, the score job):
   * OpenBLAS's own worker threads would only spin against them */
  ecg_gemm_set_threads (1);
  /* plain GtkApplication (unlike libadwaita's) does not load style.css itself */
  gtk_css_provider_load_from_resource (css, "/org/ecglens/Ecglens/style.css");
  gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (css),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  self->dark_css = gtk_css_provider_new ();
  gtk_css_provider_load_from_resource (self->dark_css, "/org/ecglens/Ecglens/style-dark.css");
  g_signal_connect_object (gtk_settings_get_default (), "notify::gtk-application-prefer-dark-theme",
                           G_CALLBACK (update_dark_style), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (gtk_settings_get_default (), "notify::gtk-theme-name", G_CALLBACK (update_dark_style), self,
                           G_CONNECT_SWAPPED);
  update_dark_style (self);
  gtk_window_set_default_icon_name ("org.ecglens.Ecglens");
  g_action_map_add_action_entries (G_ACTION_MAP (app), app_actions, G_N_ELEMENTS (app_actions), app);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.quit", quit_accels);
}

static void
ecg_application_finalize (GObject *object)
{
  g_clear_object (&ECG_APPLICATION (object)->dark_css);
  G_OBJECT_CLASS (ecg_application_parent_class)->finalize (object);
}

static void
ecg_application_class_init (EcgApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->finalize = ecg_application_finalize;
  app_class->startup = ecg_application_startup;
  app_class->activate = ecg_application_activate;
  app_class->open = ecg_application_open;
}

static void
ecg_application_init (EcgApplication *self)
{
}

EcgApplication *
ecg_application_new (void)
{
  return g_object_new (ECG_TYPE_APPLICATION,
                       "application-id", "org.ecglens.Ecglens",
                       "flags", G_APPLICATION_HANDLES_OPEN | G_APPLICATION_NON_UNIQUE,
                       "resource-base-path", "/org/ecglens/Ecglens",
                       NULL);
}
