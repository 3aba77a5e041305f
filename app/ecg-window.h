/* ecg-window.h — the main window: a dataset's record list, the selected record
 * on ECG paper through the chosen model, the threshold and the verdict. */
#pragma once

#include <gtk/gtk.h>

#include "ecg-application.h"

G_BEGIN_DECLS

#define ECG_TYPE_WINDOW (ecg_window_get_type ())

G_DECLARE_FINAL_TYPE (EcgWindow, ecg_window, ECG, WINDOW, GtkApplicationWindow)

EcgWindow  *ecg_window_new               (EcgApplication *application);
/* Open an ecglens dataset (*.h5), a WFDB record (*.hea) or a .npy array and
 * show its first record; a single record opens as a one-record dataset. On
 * failure the window keeps what it showed and its banner names the file and
 * what is wrong. */
gboolean    ecg_window_open              (EcgWindow      *self,
                                          const char     *path,
                                          GError        **error);
/* Show record index (0-based) of what is open. */
gboolean    ecg_window_show_record       (EcgWindow      *self,
                                          gsize           index,
                                          GError        **error);
gsize       ecg_window_get_record_index  (EcgWindow      *self);
/* Choose the model at position of the model selector's list (see
 * ecg_model_entry_discover); FALSE with the banner set when it cannot be used. */
gboolean    ecg_window_select_model      (EcgWindow      *self,
                                          guint           position);
/* Open and choose the checkpoint at path, as "Load model file…" does. */
gboolean    ecg_window_load_model        (EcgWindow      *self,
                                          const char     *path,
                                          GError        **error);
/* The kind of the model chosen (EcgModelKind), or -1 for none. */
int         ecg_window_get_model_kind    (EcgWindow      *self);
/* Import the PTB-XL folder at 100 Hz into the user's data folder
 * (…/ecglens/datasets/<folder name>-100hz.h5) in the background, then open it.
 * Returns the path it writes to (free it), or NULL when an import is running
 * or the folder cannot be made (said in the banner). */
char       *ecg_window_import_ptbxl      (EcgWindow      *self,
                                          const char     *folder);
/* Export the record view as shown to path (.png, .pdf or .svg). */
gboolean    ecg_window_export            (EcgWindow      *self,
                                          const char     *path,
                                          GError        **error);
/* The threshold τ in record-score units (moves the slider). */
void        ecg_window_set_threshold     (EcgWindow      *self,
                                          double          tau);
double      ecg_window_get_threshold     (EcgWindow      *self);
/* The verdict line as shown ("" without a model). */
const char *ecg_window_get_verdict       (EcgWindow      *self);
/* Scores of the whole dataset in the background: TRUE while running. */
gboolean    ecg_window_is_busy           (EcgWindow      *self);
void        ecg_window_show_error        (EcgWindow      *self,
                                          const char     *message);
/* The banner's text, or NULL when it is hidden. */
const char *ecg_window_get_error         (EcgWindow      *self);

G_END_DECLS
