/* ecg-model-entry.h — one choice of the window's model selector: no model, a
 * checkpoint file (loaded when first chosen), or the "Load model file…" action. */
#pragma once

#include <gio/gio.h>

#include "checkpoint.h"

G_BEGIN_DECLS

#define ECG_TYPE_MODEL_ENTRY (ecg_model_entry_get_type ())

G_DECLARE_FINAL_TYPE (EcgModelEntry, ecg_model_entry, ECG, MODEL_ENTRY, GObject)

typedef enum {
  ECG_MODEL_ENTRY_NONE,      /* the signal alone */
  ECG_MODEL_ENTRY_MODEL,     /* a checkpoint */
  ECG_MODEL_ENTRY_LOAD_FILE, /* opens a file chooser */
} EcgModelEntryRole;

EcgModelEntry         *ecg_model_entry_new_none      (void);
EcgModelEntry         *ecg_model_entry_new_load_file (void);
/* An entry for the checkpoint at path; only its config is read now. origin says
 * where it was found ("demo", "trained here", "file"). */
EcgModelEntry         *ecg_model_entry_new_for_path  (const char  *path,
                                                      const char  *origin,
                                                      GError     **error);

EcgModelEntryRole      ecg_model_entry_get_role      (EcgModelEntry *self);
const char            *ecg_model_entry_get_title     (EcgModelEntry *self);
/* The kind and where it comes from, or why it cannot be used now. */
const char            *ecg_model_entry_get_subtitle  (EcgModelEntry *self);
const char            *ecg_model_entry_get_path      (EcgModelEntry *self);
/* NULL for the entries that are not models. */
const EcgModelConfig  *ecg_model_entry_get_config    (EcgModelEntry *self);

/* Whether the entry can be used on a record with the given leads, and why not:
 * the models need the 12 standard leads. Sets the subtitle to the reason. */
gboolean               ecg_model_entry_set_record_leads (EcgModelEntry *self,
                                                         gboolean       has_standard12);
gboolean               ecg_model_entry_get_available (EcgModelEntry *self);

/* Read the weights and the rest of the checkpoint, once. */
gboolean               ecg_model_entry_load          (EcgModelEntry  *self,
                                                      GError        **error);
/* After a successful load; NULL before. */
EcgModel              *ecg_model_entry_get_model     (EcgModelEntry *self);
const EcgCheckpointInfo *ecg_model_entry_get_info    (EcgModelEntry *self);

/* Every choice for the selector, in order: no model, the bundled demo models,
 * the models in the user's data folder (…/ecglens/models), "Load model file…".
 * Unreadable files are left out. */
GListStore            *ecg_model_entry_discover      (void);
/* Folder where models trained in the app are kept. */
char                  *ecg_model_entry_user_folder   (void);

G_END_DECLS
