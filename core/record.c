#include "record.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *const ecg_standard_leads[ECG_N_STANDARD_LEADS] = {
    "I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6",
};

int ecg_record_init(EcgRecord *rec, size_t n_leads, size_t n_samples, double fs, EcgError *err)
{
    memset(rec, 0, sizeof *rec);
    if (n_leads == 0 || n_samples == 0)
        return ecg_fail(err, ECG_ERR_ARG, "record with %zu leads and %zu samples", n_leads, n_samples);
    if (n_samples > ((size_t)-1) / sizeof(float) / n_leads)
        return ecg_fail(err, ECG_ERR_ARG, "record of %zu x %zu samples is too large", n_leads, n_samples);
    rec->leads = calloc(n_leads, sizeof *rec->leads);
    rec->samples = calloc(n_leads * n_samples, sizeof *rec->samples);
    if (!rec->leads || !rec->samples) {
        ecg_record_clear(rec);
        return ecg_fail(err, ECG_ERR_NOMEM, "out of memory for a record of %zu x %zu samples", n_leads, n_samples);
    }
    rec->n_leads = n_leads;
    rec->n_samples = n_samples;
    rec->fs = fs;
    return ECG_OK;
}

void ecg_record_clear(EcgRecord *rec)
{
    free(rec->leads);
    free(rec->samples);
    memset(rec, 0, sizeof *rec);
}

int ecg_record_copy(const EcgRecord *src, EcgRecord *dst, EcgError *err)
{
    int status = ecg_record_init(dst, src->n_leads, src->n_samples, src->fs, err);
    if (status != ECG_OK)
        return status;
    memcpy(dst->id, src->id, sizeof dst->id);
    memcpy(dst->leads, src->leads, src->n_leads * sizeof *dst->leads);
    memcpy(dst->samples, src->samples, src->n_leads * src->n_samples * sizeof *dst->samples);
    return ECG_OK;
}

int ecg_lead_standard_index(const char *name)
{
    for (int i = 0; i < ECG_N_STANDARD_LEADS; i++)
        if (strcasecmp(name, ecg_standard_leads[i]) == 0)
            return i;
    return -1;
}

void ecg_record_set_lead_name(EcgRecord *rec, size_t l, const char *name)
{
    int std = ecg_lead_standard_index(name);
    const char *canonical = std >= 0 ? ecg_standard_leads[std] : name;
    size_t n = strlen(canonical);
    if (n >= sizeof rec->leads[l].name)
        n = sizeof rec->leads[l].name - 1;
    memcpy(rec->leads[l].name, canonical, n);
    rec->leads[l].name[n] = '\0';
}

int ecg_record_find_lead(const EcgRecord *rec, const char *name)
{
    for (size_t l = 0; l < rec->n_leads; l++)
        if (strcasecmp(rec->leads[l].name, name) == 0)
            return (int)l;
    return -1;
}

int ecg_record_has_standard12(const EcgRecord *rec)
{
    for (int i = 0; i < ECG_N_STANDARD_LEADS; i++)
        if (ecg_record_find_lead(rec, ecg_standard_leads[i]) < 0)
            return 0;
    return 1;
}

int ecg_record_check_finite(const EcgRecord *rec, const char *what, EcgError *err)
{
    for (size_t l = 0; l < rec->n_leads; l++) {
        const float *x = ecg_record_lead(rec, l);
        for (size_t t = 0; t < rec->n_samples; t++)
            if (!isfinite(x[t]))
                return ecg_fail(err, ECG_ERR_DATA, "%s: lead %s sample %zu is %s", what,
                                rec->leads[l].name, t, isnan(x[t]) ? "NaN" : "infinite");
    }
    return ECG_OK;
}
