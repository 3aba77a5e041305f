#include "status.h"

#include <stdarg.h>
#include <stdio.h>

int ecg_fail(EcgError *err, int status, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
        err->status = status;
    }
    return status;
}

const char *ecg_status_str(int status)
{
    switch (status) {
    case ECG_OK: return "success";
    case ECG_ERR_IO: return "I/O error";
    case ECG_ERR_FORMAT: return "format error";
    case ECG_ERR_NOMEM: return "out of memory";
    case ECG_ERR_ARG: return "invalid argument";
    case ECG_ERR_CANCELLED: return "cancelled";
    case ECG_ERR_DATA: return "unusable data";
    default: return "unknown error";
    }
}

void ecg_error_clear(EcgError *err)
{
    if (err) {
        err->status = ECG_OK;
        err->message[0] = '\0';
    }
}
