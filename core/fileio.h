/* fileio.h — whole-file reads and crash-safe writes shared by the core's file
 * formats: everything is written to a temporary file beside the target, flushed
 * to disk and renamed over it, so a crash never leaves a half-written file and a
 * failure leaves the old one as it was. */
#pragma once

#include <stddef.h>

#include "status.h"

/* Read all of path into a malloc'ed buffer with a NUL after the last byte. */
int ecg_file_read_all(const char *path, char **data, size_t *size, EcgError *err);

/* Write head then body (body may be NULL with body_size 0) to path atomically. */
int ecg_file_write_atomic(const char *path, const void *head, size_t head_size, const void *body,
                          size_t body_size, EcgError *err);

/* Create "<path>.tmp-XXXXXX" (name written to tmp_path) open for writing as *fd,
 * with the mode of the file it will replace, or the umask's default. */
int ecg_file_temp_create(const char *path, char *tmp_path, size_t size, int *fd, EcgError *err);

/* fsync tmp_path and rename it over path; on failure tmp_path is removed. */
int ecg_file_temp_commit(const char *tmp_path, const char *path, EcgError *err);
