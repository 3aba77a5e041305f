/* synth.h — synthetic 12-lead ECGs for the demo and the tests.
 *
 * A 3-D cardiac dipole (the heart vector of a vectorcardiogram, in Frank's
 * axes) is a sum of Gaussian-shaped waves per beat (P, Q, R, S, T, U), each
 * with a centre, a width on either side and an amplitude per axis, in the
 * spirit of McSharry's ECGSYN extended to three dimensions (Sameni et al.).
 * Beats follow an RR series with respiratory sinus arrhythmia and a slower LF
 * rhythm; T timing follows Bazett. The heart vector is projected onto the 12
 * standard leads with Dower's lead field, then electrode noise, baseline
 * wander and (in some records) 50 Hz mains are added per electrode, so that
 * III = II - I, aVR = -(I+II)/2, aVL = I - II/2, aVF = II - I/2 hold exactly.
 *
 * Each abnormal record carries one planted abnormality of a PTB-XL superclass
 * kind, with PTB-XL-style scp_codes and a short report naming it. Everything is
 * deterministic for a seed, on every platform (own RNG, no rand()). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "dataset.h"
#include "record.h"
#include "status.h"

/* The kinds of record. PTB-XL codes PVC (a form statement) and AFIB (a rhythm
 * statement) without a diagnostic superclass; here both count as CD, the
 * superclass of abnormal conduction (AV and bundle branch blocks): a PVC is a
 * beat that spreads outside the His-Purkinje system, like a bundle branch
 * block, and AF is the atria's impulses conducted irregularly by the AV node. */
typedef enum {
    ECG_SYNTH_NORMAL,
    ECG_SYNTH_MI_ANTERIOR,      /* ST elevation V1-V4, reciprocal inferior depression, Q waves */
    ECG_SYNTH_MI_INFERIOR,      /* ST elevation II, III, aVF, reciprocal I, aVL, Q waves */
    ECG_SYNTH_MI_LATERAL,       /* ST elevation I, aVL, V5-V6, reciprocal III, aVF, V1 */
    ECG_SYNTH_STTC_T_INVERSION, /* T inversion in I, aVL, V2-V6 */
    ECG_SYNTH_STTC_ST_DEPRESSION, /* ST depression II, aVF, V4-V6 into inverted T, ST elevation aVR */
    ECG_SYNTH_CD_RBBB,          /* QRS >= 120 ms, rSR' in V1, wide S in I and V6 */
    ECG_SYNTH_CD_LBBB,          /* QRS >= 130 ms, QS in V1, broad notched R in I, V6, discordant T */
    ECG_SYNTH_CD_AV_BLOCK1,     /* PR 240-340 ms */
    ECG_SYNTH_CD_PVC,           /* premature ventricular beats with a compensatory pause */
    ECG_SYNTH_CD_AFIB,          /* no P waves, f-waves, irregularly irregular RR */
    ECG_SYNTH_HYP_LVH,          /* high voltage (Sokolow-Lyon) with lateral strain */
    ECG_SYNTH_N_KINDS
} EcgSynthKind;

typedef struct {
    EcgSynthKind kind;
    const char *name;       /* "mi_anterior": short, for command lines and tables */
    uint8_t superclass;     /* ECG_SC_* bits */
    const char *scp_codes;  /* PTB-XL style: "{'IMI': 100.0, 'SR': 0.0}" */
    const char *report;     /* what was planted: "inferior st elevation ..." */
} EcgSynthKindInfo;

/* The description of kind, or NULL when kind is not one of ECG_SYNTH_*. */
const EcgSynthKindInfo *ecg_synth_kind_info(EcgSynthKind kind);

typedef struct {
    double fs;                 /* sampling frequency in Hz; 500 by default */
    double duration_s;         /* record length; 10 */
    uint64_t seed;             /* of a dataset: record seeds, kinds, folds and metadata derive from it */
    double normal_fraction;    /* share of NORMAL records in a dataset; 0.55 */
    double kind_weight[ECG_SYNTH_N_KINDS]; /* relative shares of the abnormal kinds ([NORMAL] unused) */
    int clean;                 /* nonzero: the heart signal only, without noise, wander or mains (tests) */
} EcgSynthConfig;

/* The defaults above; the abnormal shares are MI 13, STTC 12, CD 14, HYP 6 (of 45). */
void ecg_synth_config_init(EcgSynthConfig *cfg);

/* What a record holds beside its signal. */
typedef struct {
    size_t *r_peaks;      /* (n_r_peaks) sample index of every QRS complex (incl. PVCs) in the record */
    size_t n_r_peaks;
    double heart_rate;    /* mean over the record, beats per minute */
    uint8_t quality;      /* ECG_Q_* bits: baseline drift, static noise (mains), extra beats (PVCs) */
} EcgSynthTruth;

/* Free what truth holds; safe on a zeroed or cleared truth. */
void ecg_synth_truth_clear(EcgSynthTruth *truth);

/* One record of kind with cfg's fs, duration and noise setting: 12 standard leads
 * in mV in standard order, rec initialised here (clear it with ecg_record_clear).
 * The heart signal depends only on kind and record_seed, not on fs, so a record at
 * 100 Hz samples the same waveform as at 500 Hz; the same record_seed with another
 * kind gives the same person (rate, axis, amplitudes) with the abnormality planted.
 * truth may be NULL; when given it is filled (clear it with ecg_synth_truth_clear). */
int ecg_synth_generate(const EcgSynthConfig *cfg, EcgSynthKind kind, uint64_t record_seed, EcgRecord *rec,
                       EcgSynthTruth *truth, EcgError *err);

/* One noisy record of kind, with record_seed; true R-peak sample positions (of the
 * QRS complexes, incl. PVCs) returned for tests. r_peaks (caller frees) and
 * n_r_peaks may be NULL. */
int ecg_synth_record(EcgSynthKind kind, double fs, double duration_s, uint64_t record_seed, EcgRecord *rec,
                     size_t **r_peaks, size_t *n_r_peaks, EcgError *err);

/* One record of a dataset as ecg_synth_write_dataset makes it: its kind, its
 * record seed and its metadata (all but quality, which comes with the signal). */
typedef struct {
    EcgSynthKind kind;
    uint64_t seed;
    EcgRecordMeta meta;
} EcgSynthPlanItem;

/* The plan of an n-record dataset for cfg: about normal_fraction NORMAL records,
 * the rest over the abnormal kinds by kind_weight, in shuffled order; ecg_id 1..n;
 * one synthetic patient per record; age 18-90 and sex; strat_fold 1..10 dealt
 * round-robin kind by kind (as PTB-XL stratifies by label), so every fold gets
 * its share of every kind. *plan (n items) is the caller's to free. */
int ecg_synth_plan(size_t n, const EcgSynthConfig *cfg, EcgSynthPlanItem **plan, EcgError *err);

/* Write an n-record dataset for cfg to path through the dataset writer (gain 1000
 * counts per mV, source "ecglens synth v1 seed S", filename "synth/NNNNN", the
 * kind's scp_codes and report). progress (status.h; may be NULL) is called after every
 * record; a nonzero return aborts the writer and returns ECG_ERR_CANCELLED, and
 * path is left as it was. Same n, cfg → the same signals. */
int ecg_synth_write_dataset(const char *path, size_t n, const EcgSynthConfig *cfg, EcgProgressFn progress,
                            void *user, EcgError *err);

/* ecg_synth_write_dataset with the default configuration at fs and seed. */
int ecg_synth_dataset(const char *path, size_t n, double fs, uint64_t seed, EcgProgressFn progress, void *user,
                      EcgError *err);
