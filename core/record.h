/* record.h — one ECG record in memory: leads × samples in mV, fs, lead names. */
#pragma once

#include <stddef.h>

#include "status.h"

enum { ECG_N_STANDARD_LEADS = 12, ECG_LEAD_NAME_MAX = 32, ECG_UNITS_MAX = 16 };

/* I, II, III, aVR, aVL, aVF, V1 ... V6: the order of PTB-XL and of the models. */
extern const char *const ecg_standard_leads[ECG_N_STANDARD_LEADS];

typedef struct {
    char name[ECG_LEAD_NAME_MAX];  /* canonical spelling when recognised ("aVR"), else as read */
    char units[ECG_UNITS_MAX];     /* of the samples after conversion: "mV" for ECG leads */
} EcgLeadInfo;

typedef struct {
    char id[64];          /* record name, e.g. "00001_lr" or "100" */
    double fs;            /* sampling frequency in Hz */
    size_t n_leads;
    size_t n_samples;
    EcgLeadInfo *leads;   /* (n_leads) */
    float *samples;       /* (n_leads, n_samples), lead-major; NaN marks a missing sample */
} EcgRecord;

/* Allocate a record of the given size with zeroed samples and empty names. */
int ecg_record_init(EcgRecord *rec, size_t n_leads, size_t n_samples, double fs, EcgError *err);
/* Free what init allocated; safe on a zeroed or already cleared record. */
void ecg_record_clear(EcgRecord *rec);

/* dst as a deep copy of src (dst's previous contents are not freed). */
int ecg_record_copy(const EcgRecord *src, EcgRecord *dst, EcgError *err);

/* (n_samples) samples of lead l. */
static inline float *ecg_record_lead(const EcgRecord *rec, size_t l)
{
    return rec->samples + l * rec->n_samples;
}

/* Index 0..11 of a standard lead name, case-insensitively ("avr", "AVR", "aVR" → 3;
 * "V1" and "v1" → 6), or -1 when the name is not one of the twelve. */
int ecg_lead_standard_index(const char *name);

/* Set rec->leads[l].name, canonicalising standard lead names ("avr" → "aVR"). */
void ecg_record_set_lead_name(EcgRecord *rec, size_t l, const char *name);

/* Index of the lead whose name matches (case-insensitively, canonical or not), or -1. */
int ecg_record_find_lead(const EcgRecord *rec, const char *name);

/* Whether all twelve standard leads are present (in any order). */
int ecg_record_has_standard12(const EcgRecord *rec);

/* Check every sample is finite; on failure name the lead and sample in err
 * ("<what>: lead V2 sample 131 is NaN"). */
int ecg_record_check_finite(const EcgRecord *rec, const char *what, EcgError *err);
