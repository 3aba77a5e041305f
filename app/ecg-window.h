/* ecg-window.h — the main window: a dataset's records on ECG paper. */
#pragma once

#include <gtk/gtk.h>

#include "ecg-application.h"

G_BEGIN_DECLS

#define ECG_TYPE_WINDOW (ecg_window_get_type ())

G_DECLARE_FINAL_TYPE (EcgWindow, ecg_window, ECG, WINDOW, GtkApplicationWindow)

EcgWindow *ecg_window_new               (EcgApplication *application);
/* Open an ecglens dataset and show its first record. On failure the window
 * keeps what it showed and says what is wrong in its banner. */
gboolean   ecg_window_open_dataset      (EcgWindow      *self,
                                         const char     *path,
                                         GError        **error);
/* Show record index (0-based) of the open dataset. */
gboolean   ecg_window_show_record       (EcgWindow      *self,
                                         gsize           index,
                                         GError        **error);
gsize      ecg_window_get_record_index  (EcgWindow      *self);
void       ecg_window_show_error        (EcgWindow      *self,
                                         const char     *message);
/* The banner's text, or NULL when it is hidden. */
const char *ecg_window_get_error        (EcgWindow      *self);

G_END_DECLS
