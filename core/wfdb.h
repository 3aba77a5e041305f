/* wfdb.h — WFDB records (PhysioNet): header (.hea), signal files in every binary
 * format (8, 16, 61, 80, 160, 212, 310, 311, 24, 32), records spread over several
 * signal files, MIT annotation files (.atr), and a small writer for tests. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "record.h"
#include "status.h"

typedef struct {
    char file_name[256];   /* signal file, relative to the header's directory */
    int format;            /* 8, 16, 61, 80, 160, 212, 310, 311, 24, 32 */
    int samples_per_frame; /* 1 unless the header says "16x2"; only the first sample
                              of each frame is read (see ecg_wfdb_read_adc) */
    int skew;              /* sample t of the signal is stored in frame t + skew */
    long byte_offset;      /* bytes before the first sample in the signal file */
    double gain;           /* ADC units per physical unit; 0 or absent in the header means 200 */
    double baseline;       /* ADC value of physical zero; defaults to adc_zero */
    char units[16];        /* default "mV" */
    int adc_resolution;    /* bits; defaults to the format's sample width */
    int adc_zero;
    int initial_value;     /* first sample; defaults to adc_zero */
    int checksum;          /* 16-bit sum of all samples, as written in the header */
    int has_initial_value, has_checksum;
    int block_size;
    char description[64];  /* the lead name for ECGs ("MLII", "avr"), blanks and all; cut at 63 */
} EcgWfdbSignal;

typedef struct {
    char record_name[64];
    size_t n_signals;
    double fs;              /* samples per second per signal; default 250 */
    double counter_freq, base_counter;
    size_t n_samples;       /* per signal; when absent from the header, found from the size
                               of the first signal file */
    EcgWfdbSignal *signals; /* (n_signals) */
    char **comments;        /* (n_comments) '#' lines without the '#' and leading blanks */
    size_t n_comments;
} EcgWfdbHeader;

/* Parse a header. Errors name the file and line ("x.hea: line 3: gain 'abc' is
 * not a number"); multi-segment records and unknown formats are refused. */
int ecg_wfdb_read_header(const char *hea_path, EcgWfdbHeader *hdr, EcgError *err);
/* Free what read_header allocated; safe on a zeroed or cleared header. */
void ecg_wfdb_header_clear(EcgWfdbHeader *hdr);

/* Raw ADC values of all signals, adc (n_signals, n_samples) signal-major, from the
 * signal files next to hea_path (one read per file). For a signal with several
 * samples per frame only the first sample of each frame is kept. Samples that a
 * skew moves past the end of the file read as ecg_wfdb_invalid_value(format).
 * A file shorter than the header promises is an error naming the file and its
 * size against the size expected. */
int ecg_wfdb_read_adc(const char *hea_path, const EcgWfdbHeader *hdr, int32_t *adc, EcgError *err);

/* The ADC value that marks a missing sample: the most negative value of the
 * format's sample width (-32768 for format 16, -2048 for 212, -128 for 80, ...).
 * Format 8 stores differences and has none in its files; -32768 (WFDB's
 * WFDB_INVALID_SAMPLE) stands in for it and for unknown formats. */
int32_t ecg_wfdb_invalid_value(int format);

/* The whole record in physical units, (adc - baseline) / gain, with invalid samples
 * as NaN; microvolts and volts are converted to mV. Lead names come from the signal
 * descriptions, canonicalised ("avr" -> "aVR"); rec->id is the record name. */
int ecg_wfdb_read_record(const char *hea_path, EcgRecord *rec, EcgError *err);

/* Self-check of a read against the header, per signal: 1 match, 0 mismatch,
 * -1 cannot be checked (value absent from the header, no samples, or a checksum
 * over samples per frame that were not kept). first_value and checksum are what
 * was read; the checksum is the sum of the samples modulo 2^16 as a signed 16-bit
 * number and matches the header's modulo 2^16 (PTB-XL writes it unsigned).
 * Returns 0 when nothing mismatches, else ECG_ERR_DATA. */
typedef struct {
    int first_value_ok, checksum_ok;
    int first_value, checksum;
} EcgWfdbCheck;
int ecg_wfdb_verify(const EcgWfdbHeader *hdr, const int32_t *adc, EcgWfdbCheck *checks /* (n_signals) */);

/* Write dir/record_name.hea and dir/record_name.dat with all signals interleaved in
 * the one signal file, in any format of the reader (8 stores differences that
 * must fit in a byte). adc (n_signals, n_samples); gain[s] in ADC units per mV;
 * baseline = adc_zero[s]; first values and checksums in the header. Each file goes
 * to a temporary file renamed over the old one, the .dat before the .hea. */
int ecg_wfdb_write(const char *dir, const char *record_name, int format, double fs, size_t n_signals,
                   size_t n_samples, const int32_t *adc, const double *gain, const int *adc_zero,
                   const char *const *lead_names, EcgError *err);

/* One annotation of an MIT-format annotation file. subtype and aux belong to this
 * annotation; chan and num carry over from the previous one unless changed. aux is
 * the text of an AUX pseudo-annotation (rhythm "(N", notes), cut at 63 bytes. */
typedef struct {
    long sample;
    int code;       /* MIT code 0..49 (1 N, 5 V, 8 A, 28 rhythm change "+", ...) */
    char symbol[8]; /* ecg_annotation_symbol(code) */
    int subtype, chan, num;
    char aux[64];
} EcgAnnotation;

/* Read every annotation (SKIP, NUM, SUB, CHN and AUX pseudo-annotations applied);
 * *out is malloc'ed (NULL when there are none) and the caller frees it. */
int ecg_wfdb_read_annotations(const char *atr_path, EcgAnnotation **out, size_t *n_out, EcgError *err);

/* The standard MIT mnemonic of a code: "N", "V", "A", "+", "~", ...; "[15]" for
 * codes without one. */
const char *ecg_annotation_symbol(int code);

/* Whether the code is a QRS beat: N L R B A a J S V r F e j n E / f Q ? */
int ecg_annotation_is_beat(int code);
