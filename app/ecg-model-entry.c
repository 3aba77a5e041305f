/* ecg-model-entry.c — a choice of the model selector (see ecg-model-entry.h). */
#include "ecg-model-entry.h"

#include "ecg-core-error.h"

struct _EcgModelEntry
{
  GObject parent_instance;

  EcgModelEntryRole role;
  char             *title;
  char             *description;  /* kind and origin */
  char             *subtitle;     /* description, or why the entry cannot be used */
  char             *path;
  EcgModelConfig    config;
  gboolean          available;

  /* after ecg_model_entry_load */
  EcgModel         *model;
  EcgCheckpointInfo info;
};

G_DEFINE_FINAL_TYPE (EcgModelEntry, ecg_model_entry, G_TYPE_OBJECT)

enum { PROP_0, PROP_TITLE, PROP_SUBTITLE, PROP_AVAILABLE, N_PROPS };
static GParamSpec *properties[N_PROPS];

static EcgModelEntry *
entry_new (EcgModelEntryRole  role,
           const char        *title,
           const char        *description)
{
  EcgModelEntry *self = g_object_new (ECG_TYPE_MODEL_ENTRY, NULL);

  self->role = role;
  self->title = g_strdup (title);
  self->description = g_strdup (description);
  self->subtitle = g_strdup (description);
  return self;
}

EcgModelEntry *
ecg_model_entry_new_none (void)
{
  return entry_new (ECG_MODEL_ENTRY_NONE, "No model", "the signal alone");
}

EcgModelEntry *
ecg_model_entry_new_load_file (void)
{
  return entry_new (ECG_MODEL_ENTRY_LOAD_FILE, "Load model file\u2026", "a *.model.h5 checkpoint");
}

EcgModelEntry *
ecg_model_entry_new_for_path (const char  *path,
                              const char  *origin,
                              GError     **error)
{
  EcgModelConfig config;
  EcgError err = { 0 };
  const EcgModelKindInfo *kind;
  g_autofree char *description = NULL;
  EcgModelEntry *self;

  if (ecg_checkpoint_read_config (path, &config, &err) != ECG_OK)
    {
      ecg_core_error_propagate (error, &err);
      return NULL;
    }
  kind = ecg_model_kind_info (config.kind);
  description = g_strdup_printf ("%s \u00b7 %s", kind->title, origin);
  self = entry_new (ECG_MODEL_ENTRY_MODEL, config.name[0] ? config.name : kind->title, description);
  self->path = g_strdup (path);
  self->config = config;
  return self;
}

EcgModelEntryRole
ecg_model_entry_get_role (EcgModelEntry *self)
{
  g_return_val_if_fail (ECG_IS_MODEL_ENTRY (self), ECG_MODEL_ENTRY_NONE);
  return self->role;
}

const char *
ecg_model_entry_get_title (EcgModelEntry *self)
{
  g_return_val_if_fail (ECG_IS_MODEL_ENTRY (self), NULL);
  return self->title;
}

const char *
ecg_model_entry_get_subtitle (EcgModelEntry *self)
{
  g_return_val_if_fail (ECG_IS_MODEL_ENTRY (self), NULL);
  return self->subtitle;
}

const char *
ecg_model_entry_get_path (EcgModelEntry *self)
{
  g_return_val_if_fail (ECG_IS_MODEL_ENTRY (self), NULL);
  return self->path;
}

const EcgModelConfig *
ecg_model_entry_get_config (EcgModelEntry *self)
{
  g_return_val_if_fail (ECG_IS_MODEL_ENTRY (self), NULL);
  return self->role == ECG_MODEL_ENTRY_MODEL ? &self->config : NULL;
}

gboolean
ecg_model_entry_get_available (EcgModelEntry *self)
{
  g_return_val_if_fail (ECG_IS_MODEL_ENTRY (self), FALSE);
  return self->available;
}

gboolean
ecg_model_entry_set_record_leads (EcgModelEntry *self,
                                  gboolean       has_standard12)
{
  gboolean available;

  g_return_val_if_fail (ECG_IS_MODEL_ENTRY (self), FALSE);

  available = self->role != ECG_MODEL_ENTRY_MODEL || has_standard12;
  if (available == self->available)
    return available;
  self->available = available;
  g_free (self->subtitle);
  self->subtitle = available ? g_strdup (self->description)
                             : g_strdup ("needs the 12 standard leads, which this record lacks");
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AVAILABLE]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SUBTITLE]);
  return available;
}

gboolean
ecg_model_entry_load (EcgModelEntry  *self,
                      GError        **error)
{
  EcgError err = { 0 };

  g_return_val_if_fail (ECG_IS_MODEL_ENTRY (self), FALSE);
  g_return_val_if_fail (self->role == ECG_MODEL_ENTRY_MODEL, FALSE);

  if (self->model != NULL)
    return TRUE;
  if (ecg_checkpoint_load (self->path, &self->model, &self->info, &err) != ECG_OK)
    {
      ecg_core_error_propagate (error, &err);
      return FALSE;
    }
  return TRUE;
}

EcgModel *
ecg_model_entry_get_model (EcgModelEntry *self)
{
  g_return_val_if_fail (ECG_IS_MODEL_ENTRY (self), NULL);
  return self->model;
}

const EcgCheckpointInfo *
ecg_model_entry_get_info (EcgModelEntry *self)
{
  g_return_val_if_fail (ECG_IS_MODEL_ENTRY (self), NULL);
  return self->model != NULL ? &self->info : NULL;
}

char *
ecg_model_entry_user_folder (void)
{
  return g_build_filename (g_get_user_data_dir (), "ecglens", "models", NULL);
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(const char *const *)a, *(const char *const *)b);
}

/* The checkpoints of folder (sorted by name) appended to store. */
static void
add_folder (GListStore *store,
            const char *folder,
            const char *origin)
{
  g_autoptr(GDir) dir = g_dir_open (folder, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (dir == NULL)
    return;
  while ((name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (name, ".model.h5"))
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *path = g_build_filename (folder, names->pdata[i], NULL);
      g_autoptr(EcgModelEntry) entry = ecg_model_entry_new_for_path (path, origin, NULL);

      if (entry != NULL)
        g_list_store_append (store, entry);
    }
}

GListStore *
ecg_model_entry_discover (void)
{
  GListStore *store = g_list_store_new (ECG_TYPE_MODEL_ENTRY);
  const char *bundled[] = { g_getenv ("ECGLENS_MODELS"), ECGLENS_BUILD_MODELS, ECGLENS_INSTALLED_MODELS };
  g_autofree char *user = ecg_model_entry_user_folder ();
  g_autoptr(EcgModelEntry) none = ecg_model_entry_new_none ();
  g_autoptr(EcgModelEntry) load = ecg_model_entry_new_load_file ();

  g_list_store_append (store, none);
  /* the first bundled folder that exists: the build's own models before installed ones */
  for (guint i = 0; i < G_N_ELEMENTS (bundled); i++)
    if (bundled[i] != NULL && *bundled[i] && g_file_test (bundled[i], G_FILE_TEST_IS_DIR))
      {
        add_folder (store, bundled[i], "demo");
        break;
      }
  add_folder (store, user, "trained here");
  g_list_store_append (store, load);
  return store;
}

static void
ecg_model_entry_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  EcgModelEntry *self = ECG_MODEL_ENTRY (object);

  switch (prop_id)
    {
    case PROP_TITLE:
      g_value_set_string (value, self->title);
      break;
    case PROP_SUBTITLE:
      g_value_set_string (value, self->subtitle);
      break;
    case PROP_AVAILABLE:
      g_value_set_boolean (value, self->available);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ecg_model_entry_finalize (GObject *object)
{
  EcgModelEntry *self = ECG_MODEL_ENTRY (object);

  g_free (self->title);
  g_free (self->description);
  g_free (self->subtitle);
  g_free (self->path);
  ecg_model_free (self->model);
  ecg_checkpoint_info_clear (&self->info);
  G_OBJECT_CLASS (ecg_model_entry_parent_class)->finalize (object);
}

static void
ecg_model_entry_class_init (EcgModelEntryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = ecg_model_entry_get_property;
  object_class->finalize = ecg_model_entry_finalize;

  properties[PROP_TITLE] = g_param_spec_string ("title", NULL, NULL, NULL,
                                                G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_SUBTITLE] = g_param_spec_string ("subtitle", NULL, NULL, NULL,
                                                   G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY |
                                                   G_PARAM_STATIC_STRINGS);
  properties[PROP_AVAILABLE] = g_param_spec_boolean ("available", NULL, NULL, TRUE,
                                                     G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY |
                                                     G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ecg_model_entry_init (EcgModelEntry *self)
{
  self->available = TRUE;
  ecg_checkpoint_info_init (&self->info);
}
