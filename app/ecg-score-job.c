/* ecg-score-job.c — every record of a dataset scored with a model in a worker
 * thread, cached per (dataset, model).
 *
 * The worker opens its own dataset handle and loads its own model (HDF5 is
 * thread-safe here, a model is not), writes each record's scores into arrays
 * shared under a mutex and, at most every DELIVERY_INTERVAL, queues one idle
 * on the caller's main context that copies what is new to the main thread's
 * arrays and emits "progress" and "scores". Entries below shared.done are
 * final, so the copy never races the worker.
 *
 * The cache file is named by a hash of an identity text (absolute path, size
 * and modification time of the dataset and of the model, and the scorer's
 * version) that is also stored in the file: a file at that name is only
 * trusted when its identity, record count and ecg_ids all match; anything else
 * is scored anew and replaced. */
#include "ecg-score-job.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "checkpoint.h"
#include "ecg-core-error.h"
#include "score-file.h"

/* Results reach the main thread at most this often (µs): 10 updates a second
 * animate a progress bar smoothly and keep the list's re-sorting rare. */
#define DELIVERY_INTERVAL (100 * G_TIME_SPAN_MILLISECOND)

/* Bump when score.c changes what it computes: older caches then miss. */
#define SCORER_VERSION 1

struct _EcgScoreJob
{
  GObject parent_instance;

  /* Construct-only, read by both threads */
  char *dataset_path;
  char *model_path;
  char *cache_dir;

  /* Main thread */
  GMainContext *context;
  GCancellable *cancellable;
  gboolean      started;
  gboolean      running;
  gsize         total;
  gsize         done;
  double       *record_score;   /* (total) */
  float        *lead_score;     /* (total, 12) */
  gboolean      from_cache;
  gsize         n_failed;
  char         *first_failure;
  char         *cache_path;

  /* Written by the worker, read by the main thread, under lock */
  GMutex lock;
  struct
  {
    gsize     total;
    gsize     done;
    double   *record_score;     /* entries below done are final */
    float    *lead_score;
    gboolean  from_cache;
    gsize     n_failed;
    char     *first_failure;
    char     *cache_path;
    gboolean  delivery_queued;
  } shared;
};

enum {
  PROP_0,
  PROP_DATASET_PATH,
  PROP_MODEL_PATH,
  PROP_CACHE_DIR,
  PROP_RUNNING,
  N_PROPS
};

enum {
  PROGRESS,
  SCORES,
  FINISHED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (EcgScoreJob, ecg_score_job, G_TYPE_OBJECT)

/* Record (n) and lead (n, 12) scores of n records, all NaN: not scored yet. */
static void
new_unscored (gsize    n,
              double **record_score,
              float  **lead_score)
{
  *record_score = g_new (double, n);
  *lead_score = g_new (float, n * 12);
  for (gsize i = 0; i < n; i++)
    (*record_score)[i] = NAN;
  for (gsize i = 0; i < n * 12; i++)
    (*lead_score)[i] = NAN;
}

/* ---- main thread: delivery ---- */

/* Copy what the worker has finished since the last delivery and announce it. */
static void
deliver (EcgScoreJob *self)
{
  gsize first = self->done;
  gsize total, done;
  gboolean new_total;

  g_mutex_lock (&self->lock);
  self->shared.delivery_queued = FALSE;
  total = self->shared.total;
  done = self->shared.done;
  new_total = total != self->total;
  if (new_total)
    {
      self->total = total;
      new_unscored (total, &self->record_score, &self->lead_score);
      self->cache_path = g_strdup (self->shared.cache_path);
    }
  if (done > first)
    {
      memcpy (self->record_score + first, self->shared.record_score + first,
              (done - first) * sizeof *self->record_score);
      memcpy (self->lead_score + first * 12, self->shared.lead_score + first * 12,
              (done - first) * 12 * sizeof *self->lead_score);
    }
  g_mutex_unlock (&self->lock);

  self->done = done;
  if (new_total || done > first)
    g_signal_emit (self, signals[PROGRESS], 0, (guint64) done, (guint64) total);
  if (done > first)
    g_signal_emit (self, signals[SCORES], 0, (guint64) first, (guint64) (done - first));
}

static gboolean
deliver_idle (gpointer user_data)
{
  deliver (ECG_SCORE_JOB (user_data));
  return G_SOURCE_REMOVE;
}

/* Worker side: queue one delivery unless one is already waiting. An idle
 * source rather than g_main_context_invoke, which would run the delivery in
 * the worker whenever the main thread is between two loop iterations. */
static void
queue_delivery (EcgScoreJob *self)
{
  gboolean queue;
  GSource *source;

  g_mutex_lock (&self->lock);
  queue = !self->shared.delivery_queued;
  self->shared.delivery_queued = TRUE;
  g_mutex_unlock (&self->lock);
  if (!queue)
    return;
  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT_IDLE);
  g_source_set_callback (source, deliver_idle, g_object_ref (self), g_object_unref);
  g_source_set_static_name (source, "[ecglens] score delivery");
  g_source_attach (source, self->context);
  g_source_unref (source);
}

/* ---- worker ---- */

/* "<absolute path>\t<size>\t<mtime s>.<µs>" of path. */
static char *
file_identity (const char  *path,
               GError     **error)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileInfo) info = NULL;
  g_autofree char *absolute = g_file_get_path (file);

  info = g_file_query_info (file,
                            G_FILE_ATTRIBUTE_STANDARD_SIZE ","
                            G_FILE_ATTRIBUTE_TIME_MODIFIED ","
                            G_FILE_ATTRIBUTE_TIME_MODIFIED_USEC,
                            G_FILE_QUERY_INFO_NONE, NULL, error);
  if (info == NULL)
    return NULL;
  return g_strdup_printf ("%s\t%" G_GOFFSET_FORMAT "\t%" G_GUINT64_FORMAT ".%06u", absolute,
                          g_file_info_get_size (info),
                          g_file_info_get_attribute_uint64 (info, G_FILE_ATTRIBUTE_TIME_MODIFIED),
                          g_file_info_get_attribute_uint32 (info, G_FILE_ATTRIBUTE_TIME_MODIFIED_USEC));
}

static char *
cache_identity (EcgScoreJob  *self,
                GError      **error)
{
  g_autofree char *dataset = file_identity (self->dataset_path, error);
  g_autofree char *model = dataset ? file_identity (self->model_path, error) : NULL;

  if (model == NULL)
    return NULL;
  return g_strdup_printf ("ecglens scores %d\ndataset\t%s\nmodel\t%s\n", SCORER_VERSION, dataset, model);
}

/* Share the arrays for n records, all NaN, and where the cache is. */
static void
share_arrays (EcgScoreJob *self,
              gsize        n,
              const char  *cache_path)
{
  double *record_score;
  float *lead_score;

  new_unscored (n, &record_score, &lead_score);
  g_mutex_lock (&self->lock);
  self->shared.total = n;
  self->shared.record_score = record_score;
  self->shared.lead_score = lead_score;
  self->shared.cache_path = g_strdup (cache_path);
  g_mutex_unlock (&self->lock);
}

/* Take the scores of the cache at path when it is this dataset's and model's. */
static gboolean
load_cache (EcgScoreJob *self,
            EcgDataset  *dataset,
            const char  *path,
            const char  *identity)
{
  EcgScoresFile file;
  gsize n = ecg_dataset_count (dataset);
  gboolean valid;
  gsize n_failed = 0;

  /* absent, damaged or foreign: scored anew and replaced */
  if (ecg_scores_file_read (path, &file, NULL) != ECG_OK)
    return FALSE;
  valid = strcmp (file.identity, identity) == 0 && file.n == n;
  for (gsize i = 0; valid && i < n; i++)
    valid = file.ecg_id[i] == ecg_dataset_meta (dataset, i)->ecg_id;
  if (valid)
    {
      for (gsize i = 0; i < n; i++)
        n_failed += isnan (file.record_score[i]);
      g_mutex_lock (&self->lock);
      memcpy (self->shared.record_score, file.record_score, n * sizeof *file.record_score);
      memcpy (self->shared.lead_score, file.lead_score, n * 12 * sizeof *file.lead_score);
      self->shared.done = n;
      self->shared.from_cache = TRUE;
      self->shared.n_failed = n_failed;
      g_mutex_unlock (&self->lock);
    }
  ecg_scores_file_clear (&file);
  return valid;
}

/* Score record i into the shared arrays; FALSE (and the reason in err) when it
 * cannot be scored. */
static gboolean
score_one (EcgScoreJob             *self,
           EcgDataset              *dataset,
           EcgModel                *model,
           const EcgCheckpointInfo *info,
           gsize                    i,
           EcgError                *err)
{
  g_auto(EcgRecord) record = { 0 };
  EcgRecordScore score;

  if (ecg_dataset_read_record (dataset, i, &record, err) != ECG_OK ||
      ecg_score_record (model, info->has_norm ? &info->norm : NULL, &record, false, &score, err) != ECG_OK)
    return FALSE;
  /* below shared.done, so the main thread does not read these yet */
  self->shared.record_score[i] = score.record_score;
  memcpy (self->shared.lead_score + i * 12, score.lead_score, sizeof score.lead_score);
  ecg_record_score_clear (&score);
  return TRUE;
}

/* Score every record; FALSE when cancelled. */
static gboolean
score_all (EcgScoreJob             *self,
           EcgDataset              *dataset,
           EcgModel                *model,
           const EcgCheckpointInfo *info,
           GCancellable            *cancellable)
{
  gsize n = ecg_dataset_count (dataset);
  gint64 last = g_get_monotonic_time ();

  for (gsize i = 0; i < n; i++)
    {
      EcgError err = { 0 };
      gboolean ok;
      gint64 now;

      if (g_cancellable_is_cancelled (cancellable))
        return FALSE;
      ok = score_one (self, dataset, model, info, i, &err);
      g_mutex_lock (&self->lock);
      self->shared.done = i + 1;
      if (!ok && self->shared.n_failed++ == 0)
        self->shared.first_failure = g_strdup (err.message);
      g_mutex_unlock (&self->lock);
      now = g_get_monotonic_time ();
      if (now - last >= DELIVERY_INTERVAL)
        {
          last = now;
          queue_delivery (self);
        }
    }
  return TRUE;
}

static gboolean
write_cache (EcgScoreJob              *self,
             EcgDataset               *dataset,
             EcgModel                 *model,
             const EcgCheckpointInfo  *info,
             const char               *path,
             const char               *identity,
             GError                  **error)
{
  gsize n = ecg_dataset_count (dataset);
  g_autofree int32_t *ids = g_new (int32_t, n);
  EcgError err = { 0 };

  if (g_mkdir_with_parents (self->cache_dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "%s: %s", self->cache_dir, g_strerror (saved));
      return FALSE;
    }
  for (gsize i = 0; i < n; i++)
    ids[i] = ecg_dataset_meta (dataset, i)->ecg_id;
  /* the worker has finished writing the arrays: no lock needed to read them */
  if (ecg_scores_file_write_identity (path, identity, ecg_model_config (model)->name,
                                      info->has_calibration ? info->threshold : NAN, ids,
                                      self->shared.record_score, self->shared.lead_score, n, &err) != ECG_OK)
    {
      ecg_core_error_propagate (error, &err);
      return FALSE;
    }
  return TRUE;
}

static void
score_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  EcgScoreJob *self = source_object;
  g_autoptr(GError) error = NULL;
  g_autoptr(EcgDataset) dataset = NULL;
  g_autofree char *identity = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *name = NULL;
  g_autofree char *cache_path = NULL;
  EcgModel *model = NULL;
  EcgCheckpointInfo info;
  EcgError err = { 0 };

  if ((identity = cache_identity (self, &error)) == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, identity, -1);
  name = g_strconcat (hash, ".scores.h5", NULL);
  cache_path = g_build_filename (self->cache_dir, name, NULL);
  if (ecg_dataset_open (self->dataset_path, &dataset, &err) != ECG_OK)
    {
      ecg_core_error_propagate (&error, &err);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  share_arrays (self, ecg_dataset_count (dataset), cache_path);
  if (load_cache (self, dataset, cache_path, identity))
    {
      g_task_return_int (task, self->shared.n_failed);
      return;
    }
  /* the list learns the record count before the model has loaded */
  queue_delivery (self);

  if (ecg_checkpoint_load (self->model_path, &model, &info, &err) != ECG_OK)
    {
      ecg_core_error_propagate (&error, &err);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (!score_all (self, dataset, model, &info, cancellable))
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Scoring was cancelled");
  else
    {
      /* the scores stand without a cache: a failed write costs the next start time */
      if (!write_cache (self, dataset, model, &info, cache_path, identity, &error))
        g_warning ("Could not cache the scores: %s", error->message);
      g_task_return_int (task, self->shared.n_failed);
    }
  ecg_model_free (model);
  ecg_checkpoint_info_clear (&info);
}

/* ---- main thread: completion ---- */

static void
score_finished (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  EcgScoreJob *self = ECG_SCORE_JOB (source);
  g_autoptr(GError) error = NULL;
  gssize n_failed = g_task_propagate_int (G_TASK (result), &error);

  deliver (self);
  g_mutex_lock (&self->lock);
  self->from_cache = self->shared.from_cache;
  self->first_failure = g_strdup (self->shared.first_failure);
  g_mutex_unlock (&self->lock);
  self->n_failed = n_failed > 0 ? (gsize) n_failed : 0;
  self->running = FALSE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  g_signal_emit (self, signals[FINISHED], 0, error, (guint64) self->n_failed);
}

/* ---- GObject ---- */

static void
ecg_score_job_finalize (GObject *object)
{
  EcgScoreJob *self = ECG_SCORE_JOB (object);

  g_free (self->dataset_path);
  g_free (self->model_path);
  g_free (self->cache_dir);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_object (&self->cancellable);
  g_free (self->record_score);
  g_free (self->lead_score);
  g_free (self->first_failure);
  g_free (self->cache_path);
  g_free (self->shared.record_score);
  g_free (self->shared.lead_score);
  g_free (self->shared.first_failure);
  g_free (self->shared.cache_path);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (ecg_score_job_parent_class)->finalize (object);
}

static void
ecg_score_job_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  EcgScoreJob *self = ECG_SCORE_JOB (object);

  switch (prop_id)
    {
    case PROP_DATASET_PATH:
      g_value_set_string (value, self->dataset_path);
      break;
    case PROP_MODEL_PATH:
      g_value_set_string (value, self->model_path);
      break;
    case PROP_CACHE_DIR:
      g_value_set_string (value, self->cache_dir);
      break;
    case PROP_RUNNING:
      g_value_set_boolean (value, self->running);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ecg_score_job_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  EcgScoreJob *self = ECG_SCORE_JOB (object);

  switch (prop_id)
    {
    case PROP_DATASET_PATH:
      self->dataset_path = g_value_dup_string (value);
      break;
    case PROP_MODEL_PATH:
      self->model_path = g_value_dup_string (value);
      break;
    case PROP_CACHE_DIR:
      self->cache_dir = g_value_get_string (value) ? g_value_dup_string (value) : ecg_score_job_default_cache_dir ();
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ecg_score_job_class_init (EcgScoreJobClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = ecg_score_job_finalize;
  object_class->get_property = ecg_score_job_get_property;
  object_class->set_property = ecg_score_job_set_property;

  properties[PROP_DATASET_PATH] =
    g_param_spec_string ("dataset-path", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MODEL_PATH] =
    g_param_spec_string ("model-path", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CACHE_DIR] =
    g_param_spec_string ("cache-dir", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* (done, total) records */
  signals[PROGRESS] = g_signal_new ("progress", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                    G_TYPE_NONE, 2, G_TYPE_UINT64, G_TYPE_UINT64);
  /* (first, count): record scores first .. first + count - 1 have arrived */
  signals[SCORES] = g_signal_new ("scores", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                  G_TYPE_NONE, 2, G_TYPE_UINT64, G_TYPE_UINT64);
  /* (error or NULL, n_failed) */
  signals[FINISHED] = g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                    G_TYPE_NONE, 2, G_TYPE_ERROR, G_TYPE_UINT64);
}

static void
ecg_score_job_init (EcgScoreJob *self)
{
  g_mutex_init (&self->lock);
  self->cancellable = g_cancellable_new ();
}

EcgScoreJob *
ecg_score_job_new (const char *dataset_path,
                   const char *model_path,
                   const char *cache_dir)
{
  g_return_val_if_fail (dataset_path != NULL, NULL);
  g_return_val_if_fail (model_path != NULL, NULL);

  return g_object_new (ECG_TYPE_SCORE_JOB,
                       "dataset-path", dataset_path,
                       "model-path", model_path,
                       "cache-dir", cache_dir,
                       NULL);
}

char *
ecg_score_job_default_cache_dir (void)
{
  return g_build_filename (g_get_user_cache_dir (), "ecglens", "scores", NULL);
}

void
ecg_score_job_start (EcgScoreJob *self)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (ECG_IS_SCORE_JOB (self));
  g_return_if_fail (!self->started);

  self->started = TRUE;
  self->running = TRUE;
  self->context = g_main_context_ref_thread_default ();
  task = g_task_new (self, self->cancellable, score_finished, NULL);
  g_task_set_source_tag (task, ecg_score_job_start);
  /* the cancelled error comes from the worker, after it has stopped */
  g_task_set_check_cancellable (task, FALSE);
  g_task_run_in_thread (task, score_thread);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
}

void
ecg_score_job_cancel (EcgScoreJob *self)
{
  g_return_if_fail (ECG_IS_SCORE_JOB (self));

  g_cancellable_cancel (self->cancellable);
}

gboolean
ecg_score_job_is_running (EcgScoreJob *self)
{
  g_return_val_if_fail (ECG_IS_SCORE_JOB (self), FALSE);

  return self->running;
}

gsize
ecg_score_job_get_total (EcgScoreJob *self)
{
  g_return_val_if_fail (ECG_IS_SCORE_JOB (self), 0);

  return self->total;
}

gsize
ecg_score_job_get_done (EcgScoreJob *self)
{
  g_return_val_if_fail (ECG_IS_SCORE_JOB (self), 0);

  return self->done;
}

const double *
ecg_score_job_get_scores (EcgScoreJob *self)
{
  g_return_val_if_fail (ECG_IS_SCORE_JOB (self), NULL);

  return self->record_score;
}

const float *
ecg_score_job_get_lead_scores (EcgScoreJob *self)
{
  g_return_val_if_fail (ECG_IS_SCORE_JOB (self), NULL);

  return self->lead_score;
}

gboolean
ecg_score_job_get_from_cache (EcgScoreJob *self)
{
  g_return_val_if_fail (ECG_IS_SCORE_JOB (self), FALSE);

  return self->from_cache;
}

gsize
ecg_score_job_get_n_failed (EcgScoreJob *self)
{
  g_return_val_if_fail (ECG_IS_SCORE_JOB (self), 0);

  return self->n_failed;
}

const char *
ecg_score_job_get_first_failure (EcgScoreJob *self)
{
  g_return_val_if_fail (ECG_IS_SCORE_JOB (self), NULL);

  return self->first_failure;
}

const char *
ecg_score_job_get_cache_path (EcgScoreJob *self)
{
  g_return_val_if_fail (ECG_IS_SCORE_JOB (self), NULL);

  return self->cache_path;
}
