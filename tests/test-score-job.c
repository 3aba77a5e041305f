/* EcgScoreJob on the demo with the demo CAE: progress and scores arrive in
 * batches on the main loop, the results equal ecg_score_record of each record
 * computed directly, a second run loads the cache (fast, same numbers), a
 * cancelled run writes nothing, and a foreign or damaged file at the cache
 * path is ignored and replaced. */
#include <glib/gstdio.h>
#include <hdf5.h>

#include "checkpoint.h"
#include "ecg-core-error.h"
#include "ecg-score-job.h"
#include "score-file.h"
#include "test.h"

#define MODEL ECGLENS_SOURCE_ROOT "/data/models/cae.model.h5"

static char *demo;

typedef struct
{
  guint    n_progress;
  guint64  last_done, total;
  guint64  next_first;      /* "scores" ranges must tile 0 .. total */
  gboolean ranges_ok;
  gboolean finished;
  GError  *error;
  guint64  n_failed;
} Run;

static void
on_progress (EcgScoreJob *job,
             guint64      done,
             guint64      total,
             Run         *run)
{
  run->n_progress++;
  run->ranges_ok &= done >= run->last_done;
  run->last_done = done;
  run->total = total;
}

static void
on_scores (EcgScoreJob *job,
           guint64      first,
           guint64      count,
           Run         *run)
{
  run->ranges_ok &= first == run->next_first && count > 0;
  run->next_first = first + count;
}

static void
on_finished (EcgScoreJob  *job,
             const GError *error,
             guint64       n_failed,
             Run          *run)
{
  run->finished = TRUE;
  run->error = error ? g_error_copy (error) : NULL;
  run->n_failed = n_failed;
}

static EcgScoreJob *
start (const char *cache_dir,
       Run        *run)
{
  EcgScoreJob *job = ecg_score_job_new (demo, MODEL, cache_dir);

  *run = (Run) { .ranges_ok = TRUE };
  g_signal_connect (job, "progress", G_CALLBACK (on_progress), run);
  g_signal_connect (job, "scores", G_CALLBACK (on_scores), run);
  g_signal_connect (job, "finished", G_CALLBACK (on_finished), run);
  ecg_score_job_start (job);
  return job;
}

/* Run the main loop until the job has finished (or 120 s). */
static void
wait_finished (Run *run)
{
  gint64 end = g_get_monotonic_time () + 120 * G_USEC_PER_SEC;

  while (!run->finished && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
}

static char *cache_dir;
static char *cache_path;
static double *first_scores;
static gsize n_records;

static gboolean
same_scores (const double *a,
             const double *b,
             gsize         n)
{
  for (gsize i = 0; i < n; i++)
    if (!(a[i] == b[i] || (isnan (a[i]) && isnan (b[i]))))
      return FALSE;
  return TRUE;
}

static void
test_scores_equal_direct_scoring (void)
{
  Run run;
  g_autoptr(EcgScoreJob) job = NULL;
  g_autoptr(EcgDataset) dataset = NULL;
  EcgModel *model = NULL;
  EcgCheckpointInfo info;
  EcgError err = { 0 };
  gint64 t0 = g_get_monotonic_time ();

  SKIP_IF (demo == NULL, "no demo dataset");
  job = start (cache_dir, &run);
  CHECK (ecg_score_job_is_running (job));
  wait_finished (&run);
  REQUIRE_OK (run.finished ? 0 : -1, &err);
  CHECK_MSG (run.error == NULL, "%s", run.error->message);
  n_records = ecg_score_job_get_total (job);
  printf ("#   scored %zu records in %.2f s (%.0f records/s), %u progress updates\n", n_records,
          (g_get_monotonic_time () - t0) / 1e6, n_records / ((g_get_monotonic_time () - t0) / 1e6), run.n_progress);
  CHECK (n_records == 240);
  CHECK (run.total == n_records && run.last_done == n_records && run.next_first == n_records);
  CHECK (run.ranges_ok);
  CHECK (run.n_progress >= 2);  /* the total first, then the scores */
  CHECK (run.n_failed == 0 && ecg_score_job_get_n_failed (job) == 0);
  CHECK (!ecg_score_job_get_from_cache (job) && !ecg_score_job_is_running (job));

  /* every 8th record scored directly, with the checkpoint's own statistics */
  REQUIRE_OK (ecg_dataset_open (demo, &dataset, &err), &err);
  REQUIRE_OK (ecg_checkpoint_load (MODEL, &model, &info, &err), &err);
  for (gsize i = 0; i < n_records; i += 8)
    {
      g_auto(EcgRecord) record = { 0 };
      EcgRecordScore score;

      REQUIRE_OK (ecg_dataset_read_record (dataset, i, &record, &err), &err);
      REQUIRE_OK (ecg_score_record (model, info.has_norm ? &info.norm : NULL, &record, false, &score, &err), &err);
      CHECK_NEAR (ecg_score_job_get_scores (job)[i], score.record_score, 0);
      CHECK_NEAR (ecg_score_job_get_lead_scores (job)[i * 12 + 5], score.lead_score[5], 0);
      ecg_record_score_clear (&score);
    }
  ecg_model_free (model);
  ecg_checkpoint_info_clear (&info);

  cache_path = g_strdup (ecg_score_job_get_cache_path (job));
  CHECK (cache_path != NULL && g_str_has_prefix (cache_path, cache_dir));
  CHECK_MSG (g_file_test (cache_path, G_FILE_TEST_IS_REGULAR), "no cache file %s", cache_path);
  first_scores = g_memdup2 (ecg_score_job_get_scores (job), n_records * sizeof (double));
}

static void
test_second_run_loads_the_cache (void)
{
  Run run;
  g_autoptr(EcgScoreJob) job = NULL;
  gint64 t0;
  double seconds;

  SKIP_IF (first_scores == NULL, "the first run failed");
  t0 = g_get_monotonic_time ();
  job = start (cache_dir, &run);
  wait_finished (&run);
  seconds = (g_get_monotonic_time () - t0) / 1e6;
  printf ("#   from the cache in %.1f ms\n", seconds * 1e3);
  CHECK (run.finished && run.error == NULL);
  CHECK (ecg_score_job_get_from_cache (job));
  CHECK (seconds < 1.0);
  CHECK (run.next_first == n_records && run.ranges_ok);
  CHECK (same_scores (ecg_score_job_get_scores (job), first_scores, n_records));
}

static guint
count_files (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;

  while (d != NULL && g_dir_read_name (d) != NULL)
    n++;
  return n;
}

static void
cancel_on_progress (EcgScoreJob *job,
                    guint64      done,
                    guint64      total)
{
  ecg_score_job_cancel (job);
}

static void
test_cancel_writes_nothing (void)
{
  g_autofree char *empty = g_build_filename (test_tmpdir (), "cancelled-cache", NULL);
  Run run;
  g_autoptr(EcgScoreJob) job = NULL;

  SKIP_IF (demo == NULL, "no demo dataset");
  job = ecg_score_job_new (demo, MODEL, empty);
  run = (Run) { .ranges_ok = TRUE };
  g_signal_connect (job, "progress", G_CALLBACK (cancel_on_progress), NULL);
  g_signal_connect (job, "finished", G_CALLBACK (on_finished), &run);
  ecg_score_job_start (job);
  wait_finished (&run);
  CHECK (run.finished);
  CHECK_MSG (g_error_matches (run.error, G_IO_ERROR, G_IO_ERROR_CANCELLED), "%s",
             run.error ? run.error->message : "no error");
  CHECK (ecg_score_job_get_done (job) < ecg_score_job_get_total (job));
  CHECK_MSG (count_files (empty) == 0, "%u files in %s", count_files (empty), empty);
}

/* The file at the cache path is replaced by contents, then a run must score
 * anew (not from the cache), give the first run's numbers and leave a valid
 * cache behind. */
static void
expect_ignored (const char *what,
                const char *contents,
                gsize       size)
{
  Run run;
  g_autoptr(EcgScoreJob) job = NULL;
  g_autoptr(GError) error = NULL;
  EcgScoresFile file;
  EcgError err = { 0 };

  if (contents != NULL)
    CHECK (g_file_set_contents (cache_path, contents, size, &error));
  job = start (cache_dir, &run);
  wait_finished (&run);
  CHECK_MSG (run.finished && run.error == NULL, "%s: %s", what, run.error ? run.error->message : "not finished");
  CHECK_MSG (!ecg_score_job_get_from_cache (job), "%s was trusted", what);
  CHECK (same_scores (ecg_score_job_get_scores (job), first_scores, n_records));
  CHECK_OK (ecg_scores_file_read (cache_path, &file, &err), &err);
  CHECK (file.n == n_records && same_scores (file.record_score, first_scores, n_records));
  ecg_scores_file_clear (&file);
}

static void
test_foreign_cache_is_ignored (void)
{
  g_autofree char *valid = NULL;
  gsize size = 0;
  EcgScoresFile file;
  EcgError err = { 0 };
  g_autofree int32_t *ids = NULL;

  SKIP_IF (cache_path == NULL, "the first run failed");
  CHECK (g_file_get_contents (cache_path, &valid, &size, NULL));

  expect_ignored ("a text file", "not a scores file\n", 18);
  expect_ignored ("a truncated cache", valid, size / 2);

  /* well-formed, but another dataset's: the same count, other ecg_ids */
  REQUIRE_OK (ecg_scores_file_read (cache_path, &file, &err), &err);
  ids = g_memdup2 (file.ecg_id, file.n * sizeof *ids);
  ids[7] += 100000;
  REQUIRE_OK (ecg_scores_file_write_identity (cache_path, file.identity, file.model, file.threshold, ids,
                                              file.record_score, file.lead_score, file.n, &err), &err);
  expect_ignored ("another dataset's cache", NULL, 0);

  /* well-formed, same records, another identity (the model file has changed) */
  REQUIRE_OK (ecg_scores_file_write_identity (cache_path, "ecglens scores 1\nsomething else", file.model,
                                              file.threshold, file.ecg_id, file.record_score, file.lead_score,
                                              file.n, &err), &err);
  expect_ignored ("a cache of another identity", NULL, 0);
  ecg_scores_file_clear (&file);
}

static void
test_missing_model_is_an_error (void)
{
  Run run;
  g_autoptr(EcgScoreJob) job = NULL;

  SKIP_IF (demo == NULL, "no demo dataset");
  job = ecg_score_job_new (demo, "/nonexistent/x.model.h5", cache_dir);
  run = (Run) { .ranges_ok = TRUE };
  g_signal_connect (job, "finished", G_CALLBACK (on_finished), &run);
  ecg_score_job_start (job);
  wait_finished (&run);
  CHECK (run.finished && run.error != NULL);
  CHECK_MSG (run.error && strstr (run.error->message, "x.model.h5"), "%s", run.error ? run.error->message : "");
}

int
main (void)
{
  H5Eset_auto2 (H5E_DEFAULT, NULL, NULL);
  demo = g_strdup (g_getenv ("ECGLENS_DEMO"));
  if (demo != NULL && !g_file_test (demo, G_FILE_TEST_IS_REGULAR))
    g_clear_pointer (&demo, g_free);
  cache_dir = g_build_filename (test_tmpdir (), "cache", "scores", NULL);

  RUN (test_scores_equal_direct_scoring);
  RUN (test_second_run_loads_the_cache);
  RUN (test_cancel_writes_nothing);
  RUN (test_foreign_cache_is_ignored);
  RUN (test_missing_model_is_an_error);
  return test_done ();
}
