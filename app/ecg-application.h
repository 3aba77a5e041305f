/* ecg-application.h — the ecglens GtkApplication. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define ECG_TYPE_APPLICATION (ecg_application_get_type ())

G_DECLARE_FINAL_TYPE (EcgApplication, ecg_application, ECG, APPLICATION, GtkApplication)

EcgApplication *ecg_application_new       (void);
/* Path of the bundled demo dataset: $ECGLENS_DEMO, the build tree's, or the
 * installed one, whichever exists first; NULL when there is none. */
char           *ecg_application_find_demo (void);

G_END_DECLS
