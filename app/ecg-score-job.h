/* ecg-score-job.h — every record of a dataset scored with a model in a worker
 * thread, cached per (dataset, model) in the user's cache folder. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define ECG_TYPE_SCORE_JOB (ecg_score_job_get_type ())

G_DECLARE_FINAL_TYPE (EcgScoreJob, ecg_score_job, ECG, SCORE_JOB, GObject)

/* A job that scores dataset_path with the checkpoint model_path; cache_dir
 * NULL is ecg_score_job_default_cache_dir (). Nothing happens until start. */
EcgScoreJob  *ecg_score_job_new               (const char  *dataset_path,
                                               const char  *model_path,
                                               const char  *cache_dir);
/* $XDG_CACHE_HOME/ecglens/scores */
char         *ecg_score_job_default_cache_dir (void);

/* Start scoring in a worker thread (once per job). Results come back to the
 * thread-default main context of the caller in batches: "progress" (done,
 * total), "scores" (first, count: the record scores first .. first + count - 1
 * are now in ecg_score_job_get_scores), then "finished" (error, NULL on
 * success; n_failed, records that could not be scored and hold NaN). A valid
 * cache is loaded instead of scoring; a finished job writes the cache. The
 * running job keeps itself alive: cancel it before dropping it. */
void          ecg_score_job_start             (EcgScoreJob *self);
/* Stop between two records; "finished" then reports G_IO_ERROR_CANCELLED and
 * no cache is written. */
void          ecg_score_job_cancel            (EcgScoreJob *self);
gboolean      ecg_score_job_is_running        (EcgScoreJob *self);

/* Records in the dataset (0 until the first "progress") and records scored. */
gsize         ecg_score_job_get_total         (EcgScoreJob *self);
gsize         ecg_score_job_get_done          (EcgScoreJob *self);
/* (total) record scores by dataset index, NaN while unscored or unscorable;
 * NULL before the first "progress". */
const double *ecg_score_job_get_scores (EcgScoreJob *self);
/* (total, 12) lead scores, as the record scores. */
const float  *ecg_score_job_get_lead_scores   (EcgScoreJob *self);
/* Once finished: whether the scores came from the cache, how many records
 * could not be scored and why the first of them could not (NULL: none). */
gboolean      ecg_score_job_get_from_cache    (EcgScoreJob *self);
gsize         ecg_score_job_get_n_failed      (EcgScoreJob *self);
const char   *ecg_score_job_get_first_failure (EcgScoreJob *self);
/* The cache file of this (dataset, model), known once the job has started
 * delivering (NULL before). */
const char   *ecg_score_job_get_cache_path    (EcgScoreJob *self);

G_END_DECLS
