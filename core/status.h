/* status.h — status codes and error messages of the core.
 *
 * Every fallible core call returns 0 on success or a negative EcgStatus, and
 * fills an optional EcgError with one readable line that names the file and
 * the problem ("00001_lr.dat: truncated: 23990 of 24000 bytes"). The core never
 * prints, exits or aborts on bad input. */
#pragma once

#include <stddef.h>

typedef enum {
    ECG_OK = 0,
    ECG_ERR_IO = -1,          /* cannot open, read, write or rename a file */
    ECG_ERR_FORMAT = -2,      /* the file's content is malformed or unsupported */
    ECG_ERR_NOMEM = -3,
    ECG_ERR_ARG = -4,         /* bad argument or inconsistent sizes */
    ECG_ERR_CANCELLED = -5,
    ECG_ERR_DATA = -6,        /* content is well-formed but unusable (NaN, no records) */
} EcgStatus;

typedef struct {
    int status;
    char message[512];
} EcgError;

/* Record a failure in err (may be NULL) and return status, so callers write
 *   return ecg_fail(err, ECG_ERR_FORMAT, "%s: bad gain '%s'", path, field); */
int ecg_fail(EcgError *err, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A short text for a status code ("I/O error", "format error", ...). */
const char *ecg_status_str(int status);

/* Clear err to "no error". */
void ecg_error_clear(EcgError *err);

#ifndef ECG_PROGRESS_FN_DEFINED
#define ECG_PROGRESS_FN_DEFINED
/* Progress of long work (import, synthesis): done of total items. A nonzero
 * return asks the work to stop; it then returns ECG_ERR_CANCELLED and leaves
 * no partial output. */
typedef int (*EcgProgressFn)(void *user, size_t done, size_t total);
#endif
