/* synth.c — synthetic 12-lead ECGs from a 3-D cardiac dipole (see synth.h).
 *
 * A record is made in three independent random streams drawn from its seed:
 * the person (heart rate, axis, amplitudes, widths, the planted abnormality),
 * the rhythm (beat times) and the noise. Nothing drawn depends on fs, so the
 * same seed samples the same heart at any rate, and the same seed with another
 * kind is the same person with the abnormality planted.
 *
 * Axes are Frank's: x to the patient's left, y to the feet, z to the back. */
#include "synth.h"

#include "rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    N_AXES = 3,
    N_INDEPENDENT = 8,          /* I, II, V1..V6: the leads the others derive from */
    N_FOLDS = 10,
    MAX_WAVES = 12,
    MAX_PVCS = 4,               /* isolated PVCs in a record (bigeminy has more) */
};

#define PI 3.14159265358979323846
#define DEG (PI / 180.0)
#define SQRT_HALF 0.70710678118654752440
#define GAIN_COUNTS_PER_MV 1000.0
#define WAVE_SUPPORT 4.0        /* a wave is evaluated within ±4σ: exp(-8) of its peak is below 1 µV */
#define QRS_ONSET (-0.045)      /* s from the R peak: where a normal QRS starts */
#define QRS_END 0.045           /* and ends (the J point); the JT interval scales with RR (Bazett) */
#define QRS_RATE_EXPONENT 0.1   /* QRS widths scale as RR^0.1: they barely change with rate */
#define RR_MIN 0.3              /* s: bounds of any RR interval (200 and 30 bpm) */
#define RR_MAX 2.0
#define LEAD_IN_S 2.0           /* beats start this long before the record, so it opens mid-rhythm */
#define LEAD_OUT_S 1.0          /* and run this long after it, so the last P waves are there */
#define MAINS_HZ 50.0
#define MAINS_MIN_FS 125.0      /* below this the anti-aliasing filter of a downsampled record removes mains */
#define FS_MIN 50.0
#define FS_MAX 10000.0
#define DURATION_MAX_S 3600.0

/* ---- random numbers (core/rng.h): one stream per part of a record ---- */

typedef enum { STREAM_PERSON = 1, STREAM_RHYTHM, STREAM_NOISE, STREAM_PLAN } Stream;

static void rng_init(EcgRng *r, uint64_t seed, Stream stream) { ecg_rng_init(r, ecg_rng_derive_seed(seed, stream)); }

/* ---- lead field ---- */

/* Dower's transform from the Frank vectorcardiogram to the eight independent
 * leads, rows I, II, V1..V6 (Dower, Machado & Osborne, "On deriving the
 * electrocardiogram from vectorcardiographic leads", Clin Cardiol 1980;3:87-95;
 * the matrix as tabulated by Edenbrandt & Pahlm, J Electrocardiol 1988;21:361-7,
 * and by Bailón, Sörnmo & Laguna in Clifford et al., "Advanced Methods and Tools
 * for ECG Data Analysis", 2006, ch. 8). */
static const double DOWER[N_INDEPENDENT][N_AXES] = {
    {0.632, -0.235, 0.059},   /* I */
    {0.235, 1.066, -0.132},   /* II */
    {-0.515, 0.157, -0.917},  /* V1 */
    {0.044, 0.164, -1.387},   /* V2 */
    {0.882, 0.098, -1.277},   /* V3 */
    {1.213, 0.127, -0.601},   /* V4 */
    {1.125, 0.127, -0.086},   /* V5 */
    {0.831, 0.076, 0.230},    /* V6 */
};

/* Leads in standard order: x[0] = I, x[1] = II, x[6..11] = V1..V6 given; fill
 * III, aVR, aVL, aVF by Einthoven's and Goldberger's relations. */
static void derive_limb_leads(double x[ECG_N_STANDARD_LEADS])
{
    double i = x[0], ii = x[1];
    x[2] = ii - i;
    x[3] = -0.5 * (i + ii);
    x[4] = i - 0.5 * ii;
    x[5] = ii - 0.5 * i;
}

/* The 12 leads of heart vector v through lead field L (8 x 3). */
static void project12(const double L[N_INDEPENDENT][N_AXES], const double v[N_AXES],
                      double x[ECG_N_STANDARD_LEADS])
{
    for (int k = 0; k < N_INDEPENDENT; k++) {
        double s = L[k][0] * v[0] + L[k][1] * v[1] + L[k][2] * v[2];
        x[k < 2 ? k : k + 4] = s;
    }
    derive_limb_leads(x);
}

/* Scale v so that its largest projection on the 12 leads is mv: severities
 * are given as what the most affected lead shows. */
static void scale_to_lead_peak(double v[N_AXES], double mv)
{
    double x[ECG_N_STANDARD_LEADS], peak = 0.0;
    project12(DOWER, v, x);
    for (int l = 0; l < ECG_N_STANDARD_LEADS; l++)
        peak = fmax(peak, fabs(x[l]));
    for (int a = 0; a < N_AXES; a++)
        v[a] *= mv / peak;
}

/* ---- small vector helpers ---- */

static void vec_set(double v[N_AXES], double x, double y, double z)
{
    v[0] = x;
    v[1] = y;
    v[2] = z;
}

static void vec_scale(double v[N_AXES], double s)
{
    for (int a = 0; a < N_AXES; a++)
        v[a] *= s;
}

static void vec_add_scaled(double v[N_AXES], const double u[N_AXES], double s)
{
    for (int a = 0; a < N_AXES; a++)
        v[a] += s * u[a];
}

static void vec_normalize(double v[N_AXES])
{
    vec_scale(v, 1.0 / sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]));
}

static double vec_dot(const double v[N_AXES], const double u[N_AXES])
{
    return v[0] * u[0] + v[1] * u[1] + v[2] * u[2];
}

/* v - beta (v·u) u for unit u: beta 2 mirrors v's component along u, which
 * inverts v in the leads that look along u and leaves the others. */
static void vec_reflect(double v[N_AXES], const double u[N_AXES], double beta)
{
    vec_add_scaled(v, u, -beta * vec_dot(v, u));
}

/* Unit vectors toward the coronary territories and the apex (unit length
 * after vec_normalize); their projections were checked to raise the named
 * leads and lower the reciprocal ones. */
static const double DIR_ANTERIOR[N_AXES] = {0.2, -0.5, -0.85};     /* up in V1-V4, down in II, III, aVF */
static const double DIR_INFERIOR[N_AXES] = {-0.1, 1.0, 0.15};      /* up in II, III, aVF, down in I, aVL */
static const double DIR_LATERAL[N_AXES] = {1.0, -0.45, 0.45};      /* up in I, aVL, V5, V6, down in III, aVF, V1 */
static const double DIR_ANTEROLATERAL[N_AXES] = {0.8, -0.2, -0.5}; /* I, aVL, V2-V6 */
static const double DIR_APEX[N_AXES] = {0.6, 0.7, -0.1};           /* II, aVF, V4-V6; opposite aVR */

/* ---- the beat model ---- */

/* How a wave's timing follows the RR interval before its beat. */
typedef enum {
    CLOCK_FIXED,    /* fixed to the R peak: P waves (by the PR interval), a PVC's T */
    CLOCK_QRS,      /* scaled by RR^QRS_RATE_EXPONENT */
    CLOCK_QT,       /* scaled by sqrt(RR) about the J point (Bazett) */
} Clock;

/* One Gaussian-shaped wave of the heart vector: centre and widths at RR = 1 s. */
typedef struct {
    double t;           /* centre relative to the R peak (s) */
    double sl, sr;      /* standard deviation before and after the centre (s) */
    double flat;        /* length of a flat top after the centre (s): an ST segment; 0 otherwise */
    double v[N_AXES];   /* peak heart vector (mV) */
    Clock clock;
} Wave;

/* The wave list of one beat type; the first entries are the normal waves. */
typedef enum { W_P_RIGHT, W_P_LEFT, W_Q, W_R, W_S, W_T, W_U } BaseWave;

typedef struct {
    Wave w[MAX_WAVES];
    size_t n;
} Morphology;

static Wave *add_wave(Morphology *m, double t, double sl, double sr, Clock clock)
{
    Wave *w = &m->w[m->n++];
    *w = (Wave){.t = t, .sl = sl, .sr = sr, .clock = clock};
    return w;
}

/* Everything drawn for one record's heart. */
typedef struct {
    double hr;                  /* mean heart rate (bpm) */
    double pr;                  /* P onset to QRS onset (s) */
    double rsa, lf;             /* relative RR modulation by respiration and the LF rhythm */
    double f_resp, ph_resp;     /* respiration (Hz, rad): also drives wander and QRS amplitude */
    double f_lf, ph_lf;
    double rr_jitter;           /* relative beat-to-beat RR noise */
    double resp_gain;           /* relative QRS amplitude swing with respiration */
    double af_cv;               /* > 0: atrial fibrillation, RR log-normal with this spread */
    double f_amp[N_AXES];       /* AF f-wave heart vector (mV) */
    double f_hz, f_fm_hz, f_ph; /* f-wave rate, its slow wander, phase */
    int pvc_bigeminy;           /* PVCs: every other beat, or n_pvc isolated ones */
    size_t n_pvc;
    double pvc_coupling;        /* PVC time after the previous R, as a fraction of RR */
    Morphology sinus, ectopic;
    double lead_field[N_INDEPENDENT][N_AXES];
} Heart;

/* A normal beat: P (right, then left atrium), septal q, R and S (the QRS loop
 * turning from right-anterior to left-inferior to posterior), T and a small U.
 * The vectors were chosen so that Dower's projection gives textbook amplitudes:
 * R in II about 1.2 mV, rS in V1, deep S in V2, transition at V3-V4, tall R in
 * V4-V5, T upright but in aVR (and variable in V1, III, aVL). */
static void normal_morphology(Heart *h, EcgRng *r)
{
    h->pr = ecg_rng_range(r, 0.12, 0.20);
    double qtc = ecg_rng_range(r, 0.38, 0.43);       /* QRS onset to T end at RR = 1 s */
    double p_gain = ecg_rng_range(r, 0.7, 1.3), qrs_gain = ecg_rng_range(r, 0.75, 1.3);
    double t_gain = ecg_rng_range(r, 0.7, 1.3), u_gain = ecg_rng_uniform(r);
    double p_w = ecg_rng_range(r, 0.9, 1.1), qrs_w = ecg_rng_range(r, 0.9, 1.1), t_w = ecg_rng_range(r, 0.85, 1.15);

    Morphology *m = &h->sinus;
    m->n = 0;
    double p_centre = QRS_ONSET - h->pr + 0.052;    /* the P wave starts about 52 ms before its centre */
    vec_set(add_wave(m, p_centre - 0.012, 0.016 * p_w, 0.016 * p_w, CLOCK_FIXED)->v, 0.03, 0.10, -0.06);
    vec_set(add_wave(m, p_centre + 0.014, 0.017 * p_w, 0.017 * p_w, CLOCK_FIXED)->v, 0.10, 0.05, 0.05);
    vec_set(add_wave(m, -0.024 * qrs_w, 0.009 * qrs_w, 0.009 * qrs_w, CLOCK_QRS)->v, -0.12, -0.02, -0.30);
    vec_set(add_wave(m, 0.0, 0.011 * qrs_w, 0.011 * qrs_w, CLOCK_QRS)->v, 1.2, 0.9, 0.3);
    vec_set(add_wave(m, 0.026 * qrs_w, 0.011 * qrs_w, 0.011 * qrs_w, CLOCK_QRS)->v, -0.35, -0.1, 0.7);
    double t_sr = 0.042 * t_w;
    double t_centre = QRS_ONSET + qtc - 2.5 * t_sr;   /* T ends 2.5σ after its peak */
    vec_set(add_wave(m, t_centre, 0.065 * t_w, t_sr, CLOCK_QT)->v, 0.4, 0.3, -0.2);
    vec_set(add_wave(m, t_centre + 0.18, 0.035, 0.035, CLOCK_QT)->v, 0.03, 0.01, -0.05);

    for (int k = W_P_RIGHT; k <= W_P_LEFT; k++)
        vec_scale(m->w[k].v, p_gain);
    for (int k = W_Q; k <= W_S; k++)
        vec_scale(m->w[k].v, qrs_gain);
    vec_scale(m->w[W_T].v, t_gain);
    vec_scale(m->w[W_U].v, u_gain);
}

/* The heart of a normal person: rate, variability, morphology, axis. */
static void draw_person(Heart *h, EcgRng *r, double rotation[N_AXES])
{
    memset(h, 0, sizeof *h);
    h->hr = ecg_rng_range(r, 50.0, 100.0);
    h->rsa = ecg_rng_range(r, 0.02, 0.06);
    h->lf = ecg_rng_range(r, 0.01, 0.04);
    h->f_resp = ecg_rng_range(r, 0.15, 0.35);
    h->ph_resp = ecg_rng_range(r, 0.0, 2.0 * PI);
    h->f_lf = ecg_rng_range(r, 0.08, 0.12);
    h->ph_lf = ecg_rng_range(r, 0.0, 2.0 * PI);
    h->rr_jitter = ecg_rng_range(r, 0.005, 0.015);
    h->resp_gain = ecg_rng_range(r, 0.02, 0.08);
    normal_morphology(h, r);
    /* electrical axis: rotations about z (frontal plane), y (horizontal) and x (sagittal) */
    rotation[0] = ecg_rng_range(r, -25.0, 25.0) * DEG;
    rotation[1] = ecg_rng_range(r, -20.0, 20.0) * DEG;
    rotation[2] = ecg_rng_range(r, -12.0, 12.0) * DEG;
    /* electrode placement and chest shape change each chest lead's gain */
    memcpy(h->lead_field, DOWER, sizeof DOWER);
    for (int k = 2; k < N_INDEPENDENT; k++)
        vec_scale(h->lead_field[k], ecg_rng_range(r, 0.85, 1.15));
}

/* ST shift: a plateau from the J point, fading into the T wave, toward dir with
 * the most affected lead at mv (negative: depression). */
static Wave *add_st_shift(Morphology *m, const double dir[N_AXES], double mv)
{
    Wave *w = add_wave(m, QRS_END + 0.005, 0.008, 0.06, CLOCK_QT);
    w->flat = 0.07;
    memcpy(w->v, dir, sizeof w->v);
    vec_normalize(w->v);
    scale_to_lead_peak(w->v, fabs(mv));
    vec_scale(w->v, mv < 0 ? -1.0 : 1.0);
    return w;
}

/* Acute myocardial infarction in the territory dir: ST elevation (with its
 * reciprocal depression, which the projection gives by itself), hyperacute T,
 * pathological Q waves, and the dead muscle's forces toward the territory
 * lost from the septal q and the R wave. */
static void plant_mi(Heart *h, EcgRng *r, const double dir[N_AXES])
{
    Morphology *m = &h->sinus;
    double u[N_AXES];
    memcpy(u, dir, sizeof u);
    vec_normalize(u);
    const Wave *st = add_st_shift(m, u, ecg_rng_range(r, 0.3, 0.55));
    vec_add_scaled(m->w[W_T].v, st->v, ecg_rng_range(r, 0.3, 0.8));
    Wave *q = add_wave(m, -0.032, 0.012, 0.012, CLOCK_QRS);
    memcpy(q->v, u, sizeof q->v);
    scale_to_lead_peak(q->v, ecg_rng_range(r, 0.25, 0.6));
    vec_scale(q->v, -1.0);
    double loss = ecg_rng_range(r, 0.6, 1.0);   /* share of the forces toward the territory removed */
    for (int w = W_Q; w <= W_R; w++)
        if (vec_dot(m->w[w].v, u) > 0.0)
            vec_reflect(m->w[w].v, u, loss);
}

/* Ischemic T inversion in the anterolateral leads. */
static void plant_t_inversion(Heart *h, EcgRng *r)
{
    double u[N_AXES];
    memcpy(u, DIR_ANTEROLATERAL, sizeof u);
    vec_normalize(u);
    vec_reflect(h->sinus.w[W_T].v, u, ecg_rng_range(r, 1.8, 2.6));
    vec_scale(h->sinus.w[W_T].v, ecg_rng_range(r, 1.0, 1.4));
}

/* Subendocardial ischemia: ST depression toward the apex, sloping down into an
 * inverted T. */
static void plant_st_depression(Heart *h, EcgRng *r)
{
    add_st_shift(&h->sinus, DIR_APEX, -ecg_rng_range(r, 0.3, 0.6));
    vec_scale(h->sinus.w[W_T].v, -ecg_rng_range(r, 0.5, 1.2));
}

/* Right bundle branch block: a slow terminal R' toward the right and front,
 * slurred S, T opposite the terminal forces. */
static void plant_rbbb(Heart *h, EcgRng *r)
{
    Morphology *m = &h->sinus;
    Wave *rp = add_wave(m, 0.068, 0.02, 0.02, CLOCK_QRS);
    vec_set(rp->v, -0.5, 0.05, -0.85);
    scale_to_lead_peak(rp->v, ecg_rng_range(r, 0.6, 1.2));
    m->w[W_S].sr *= 1.5;
    vec_add_scaled(m->w[W_T].v, rp->v, -0.35);
    m->w[W_T].t += 0.03;    /* the QT includes the longer QRS */
    m->w[W_U].t += 0.03;
}

/* Left bundle branch block: no septal q, a broad notched R toward the left and
 * back from two slow lobes, T discordant to the QRS. */
static void plant_lbbb(Heart *h, EcgRng *r)
{
    Morphology *m = &h->sinus;
    double gain = ecg_rng_range(r, 1.0, 1.4);
    m->w[W_Q] = (Wave){.t = -0.035, .sl = 0.012, .sr = 0.012, .v = {0.25, 0.05, 0.15}, .clock = CLOCK_QRS};
    m->w[W_R] = (Wave){.t = 0.0, .sl = 0.024, .sr = 0.024, .v = {0.9, 0.25, 0.8}, .clock = CLOCK_QRS};
    m->w[W_S] = (Wave){.t = 0.045, .sl = 0.022, .sr = 0.022, .v = {0.7, -0.15, 1.1}, .clock = CLOCK_QRS};
    for (int k = W_Q; k <= W_S; k++)
        vec_scale(m->w[k].v, gain);
    double t_size = ecg_rng_range(r, 0.7, 1.1) * gain;
    vec_set(m->w[W_T].v, -0.4 * t_size, -0.1 * t_size, -0.55 * t_size);
    m->w[W_T].t += 0.04;
    m->w[W_U].t += 0.04;
}

/* Left ventricular hypertrophy: more leftward and posterior voltage (tall R in
 * V5-V6, deep S in V1-V2), slightly wider QRS, left axis shift, and strain: ST
 * depression and T inversion discordant to the enlarged QRS. */
static void plant_lvh(Heart *h, EcgRng *r, double rotation[N_AXES])
{
    Morphology *m = &h->sinus;
    double k = ecg_rng_range(r, 1.9, 2.5);
    m->w[W_R].v[0] *= k;
    m->w[W_R].v[2] *= k;
    m->w[W_S].v[2] *= k;
    for (int w = W_Q; w <= W_S; w++) {
        m->w[w].t *= 1.12;
        m->w[w].sl *= 1.12;
        m->w[w].sr *= 1.12;
    }
    rotation[0] -= 15.0 * DEG;
    double u[N_AXES];
    memcpy(u, m->w[W_R].v, sizeof u);
    vec_normalize(u);
    add_st_shift(m, u, -ecg_rng_range(r, 0.1, 0.2));
    vec_reflect(m->w[W_T].v, u, ecg_rng_range(r, 1.8, 2.6));
}

/* First-degree AV block: PR 240-340 ms (at fast rates the P wave rides on
 * the T wave before it). */
static void plant_av_block(Heart *h, EcgRng *r)
{
    double pr = ecg_rng_range(r, 0.24, 0.34);
    h->sinus.w[W_P_RIGHT].t -= pr - h->pr;
    h->sinus.w[W_P_LEFT].t -= pr - h->pr;
}

/* Premature ventricular beats from one focus: a wide, bizarre QRS of two slow
 * lobes and a large discordant T. Foci: right ventricular outflow tract
 * (inferior axis, LBBB-like), left ventricle (RBBB-like), apex (superior axis). */
static void plant_pvc(Heart *h, EcgRng *r)
{
    static const double FOCI[][N_AXES] = {{0.3, 0.8, 0.5}, {-0.4, 0.3, -0.8}, {0.2, -0.8, 0.3}};
    double e1[N_AXES], e2[N_AXES];
    memcpy(e1, FOCI[ecg_rng_below(r, sizeof FOCI / sizeof FOCI[0])], sizeof e1);
    for (int a = 0; a < N_AXES; a++)
        e1[a] += 0.25 * ecg_rng_normal(r);
    vec_normalize(e1);
    for (int a = 0; a < N_AXES; a++)
        e2[a] = e1[a] + 0.6 * ecg_rng_normal(r);
    vec_normalize(e2);
    double amp = ecg_rng_range(r, 1.6, 2.6);

    Morphology *m = &h->ectopic;
    m->n = 0;
    Wave *w = add_wave(m, 0.0, 0.032, 0.032, CLOCK_QRS);
    memcpy(w->v, e1, sizeof w->v);
    vec_scale(w->v, amp);
    w = add_wave(m, 0.055, 0.03, 0.03, CLOCK_QRS);
    memcpy(w->v, e2, sizeof w->v);
    vec_scale(w->v, 0.55 * amp);
    w = add_wave(m, 0.30, 0.08, 0.055, CLOCK_FIXED);
    memcpy(w->v, e1, sizeof w->v);
    vec_scale(w->v, -0.35 * amp);

    h->pvc_bigeminy = ecg_rng_chance(r, 0.25);
    h->n_pvc = 2 + ecg_rng_below(r, MAX_PVCS - 1);
    h->pvc_coupling = ecg_rng_range(r, 0.55, 0.75);
}

/* Atrial fibrillation: no P waves, 4.5-8 Hz fibrillatory waves seen best in V1
 * and the inferior leads, irregularly irregular ventricular response. */
static void plant_afib(Heart *h, EcgRng *r)
{
    Morphology *m = &h->sinus;
    memset(m->w[W_P_RIGHT].v, 0, sizeof m->w[W_P_RIGHT].v);
    memset(m->w[W_P_LEFT].v, 0, sizeof m->w[W_P_LEFT].v);
    h->hr = ecg_rng_range(r, 70.0, 120.0);
    h->af_cv = ecg_rng_range(r, 0.12, 0.25);
    vec_set(h->f_amp, -0.4, 0.6, -0.6);
    scale_to_lead_peak(h->f_amp, ecg_rng_range(r, 0.08, 0.2));
    h->f_hz = ecg_rng_range(r, 4.5, 8.0);
    h->f_fm_hz = ecg_rng_range(r, 0.2, 0.5);
    h->f_ph = ecg_rng_range(r, 0.0, 2.0 * PI);
}

/* out (rows, cols) = a (rows, inner) · b (inner, cols), row-major. */
static void mat_mul(const double *a, const double *b, double *out, int rows, int inner, int cols)
{
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) {
            double sum = 0.0;
            for (int k = 0; k < inner; k++)
                sum += a[i * inner + k] * b[k * cols + j];
            out[i * cols + j] = sum;
        }
}

/* Rotation matrix from angles about z, y and x (applied in that order). */
static void rotation_matrix(const double ang[N_AXES], double R[N_AXES][N_AXES])
{
    double cz = cos(ang[0]), sz = sin(ang[0]), cy = cos(ang[1]), sy = sin(ang[1]);
    double cx = cos(ang[2]), sx = sin(ang[2]);
    double Rz[3][3] = {{cz, -sz, 0}, {sz, cz, 0}, {0, 0, 1}};
    double Ry[3][3] = {{cy, 0, sy}, {0, 1, 0}, {-sy, 0, cy}};
    double Rx[3][3] = {{1, 0, 0}, {0, cx, -sx}, {0, sx, cx}};
    double Ryz[3][3];
    mat_mul(&Ry[0][0], &Rz[0][0], &Ryz[0][0], 3, 3, 3);
    mat_mul(&Rx[0][0], &Ryz[0][0], &R[0][0], 3, 3, 3);
}

/* Draw the heart of record seed with kind planted; the lead field then holds
 * the rotation of the heart, so waves stay in the heart's own frame. */
static void draw_heart(Heart *h, EcgSynthKind kind, uint64_t seed)
{
    EcgRng r;
    rng_init(&r, seed, STREAM_PERSON);
    double rotation[N_AXES];
    draw_person(h, &r, rotation);
    switch (kind) {
    case ECG_SYNTH_NORMAL: break;
    case ECG_SYNTH_MI_ANTERIOR: plant_mi(h, &r, DIR_ANTERIOR); break;
    case ECG_SYNTH_MI_INFERIOR: plant_mi(h, &r, DIR_INFERIOR); break;
    case ECG_SYNTH_MI_LATERAL: plant_mi(h, &r, DIR_LATERAL); break;
    case ECG_SYNTH_STTC_T_INVERSION: plant_t_inversion(h, &r); break;
    case ECG_SYNTH_STTC_ST_DEPRESSION: plant_st_depression(h, &r); break;
    case ECG_SYNTH_CD_RBBB: plant_rbbb(h, &r); break;
    case ECG_SYNTH_CD_LBBB: plant_lbbb(h, &r); break;
    case ECG_SYNTH_CD_AV_BLOCK1: plant_av_block(h, &r); break;
    case ECG_SYNTH_CD_PVC: plant_pvc(h, &r); break;
    case ECG_SYNTH_CD_AFIB: plant_afib(h, &r); break;
    case ECG_SYNTH_HYP_LVH: plant_lvh(h, &r, rotation); break;
    case ECG_SYNTH_N_KINDS: break;
    }
    double R[N_AXES][N_AXES], L[N_INDEPENDENT][N_AXES];
    rotation_matrix(rotation, R);
    mat_mul(&h->lead_field[0][0], &R[0][0], &L[0][0], N_INDEPENDENT, N_AXES, N_AXES);
    memcpy(h->lead_field, L, sizeof L);
}

/* ---- the rhythm ---- */

typedef struct {
    double t;       /* R peak (s from the record's start) */
    double rr;      /* interval from the previous R peak (s), which sets the beat's timing */
    int ectopic;    /* a PVC: drawn with the ectopic morphology, no P wave */
} Beat;

static double clamp(double x, double lo, double hi) { return x < lo ? lo : x > hi ? hi : x; }

/* Room for every beat from LEAD_IN_S before the record to LEAD_OUT_S after it. */
static size_t beat_capacity(double duration)
{
    return (size_t)((duration + LEAD_IN_S + LEAD_OUT_S) / RR_MIN) + 2;
}

/* Sinus beats (RR modulated by respiration and the LF rhythm, with beat-to-beat
 * jitter) or, in AF, log-normal RR intervals without memory. */
static size_t schedule_beats(const Heart *h, EcgRng *r, double duration, Beat *beats, size_t cap)
{
    double rr0 = 60.0 / h->hr, rr = rr0;
    double t = -LEAD_IN_S + ecg_rng_uniform(r) * rr0;
    size_t n = 0;
    while (t < duration + LEAD_OUT_S && n < cap) {
        beats[n++] = (Beat){.t = t, .rr = rr};
        if (h->af_cv > 0.0)
            rr = rr0 * exp(h->af_cv * ecg_rng_normal(r) - 0.5 * h->af_cv * h->af_cv);
        else
            rr = rr0 * (1.0 - h->rsa * sin(2.0 * PI * h->f_resp * t + h->ph_resp)
                        - h->lf * sin(2.0 * PI * h->f_lf * t + h->ph_lf)) * (1.0 + h->rr_jitter * ecg_rng_normal(r));
        rr = clamp(rr, RR_MIN, RR_MAX);
        t += rr;
    }
    return n;
}

/* Turn sinus beat k into a PVC: early by the coupling interval, and the next
 * sinus beat keeps its time, so the pause after it is compensatory. */
static void make_ectopic(const Heart *h, Beat *beats, size_t k)
{
    double coupled = h->pvc_coupling * (beats[k].t - beats[k - 1].t);
    beats[k].t = beats[k - 1].t + coupled;
    beats[k].rr = coupled;
    beats[k].ectopic = 1;
    beats[k + 1].rr = beats[k + 1].t - beats[k].t;
}

/* PVCs among the beats well inside the record: every other one (bigeminy) or
 * n_pvc isolated ones, never two in a row. */
static void insert_pvcs(const Heart *h, EcgRng *r, double duration, Beat *beats, size_t n)
{
    const double margin = 0.5;   /* s: PVCs whole inside the record, their pause too */
    size_t lo = 1, hi = n - 2;
    while (lo < n && beats[lo].t < margin)
        lo++;
    while (hi > lo && beats[hi].t > duration - margin)
        hi--;
    if (n < 3 || hi <= lo)
        return;
    if (h->pvc_bigeminy) {
        for (size_t k = lo + ecg_rng_below(r, 2); k <= hi; k += 2)
            make_ectopic(h, beats, k);
        return;
    }
    const int max_attempts = 64;
    size_t placed = 0;
    for (int attempt = 0; attempt < max_attempts && placed < h->n_pvc; attempt++) {
        size_t k = lo + ecg_rng_below(r, hi - lo + 1);
        if (beats[k - 1].ectopic || beats[k].ectopic || beats[k + 1].ectopic)
            continue;
        make_ectopic(h, beats, k);
        placed++;
    }
}

/* ---- synthesis ---- */

/* Wave w as it falls in a beat after an RR interval of rr, centred relative to
 * that beat's R peak. */
static Wave wave_at(const Wave *w, double rr)
{
    double f = 1.0, origin = 0.0;
    if (w->clock == CLOCK_QRS)
        f = pow(rr, QRS_RATE_EXPONENT);
    else if (w->clock == CLOCK_QT) {
        f = sqrt(rr);
        origin = QRS_END;
    }
    Wave at = *w;
    at.t = origin + (w->t - origin) * f;
    at.sl *= f;
    at.flat *= f;
    at.sr *= f;
    return at;
}

/* Add gain times wave w, centred at t0 + w->t, to the heart vector d (3, n),
 * within WAVE_SUPPORT widths of its ends. */
static void add_wave_samples(double *d, size_t n, double fs, const Wave *w, double t0, double gain)
{
    double tc = t0 + w->t;
    double first = ceil((tc - WAVE_SUPPORT * w->sl) * fs), last = floor((tc + w->flat + WAVE_SUPPORT * w->sr) * fs);
    if (last < 0.0 || first > (double)(n - 1))
        return;
    size_t lo = first < 0.0 ? 0 : (size_t)first;
    size_t hi = last > (double)(n - 1) ? n - 1 : (size_t)last;
    double kl = -0.5 / (w->sl * w->sl), kr = -0.5 / (w->sr * w->sr);
    double ax = gain * w->v[0], ay = gain * w->v[1], az = gain * w->v[2];
    for (size_t i = lo; i <= hi; i++) {
        double dt = (double)i / fs - tc;
        double g = dt < 0.0 ? exp(dt * dt * kl) : dt <= w->flat ? 1.0 : exp((dt - w->flat) * (dt - w->flat) * kr);
        d[i] += g * ax;
        d[n + i] += g * ay;
        d[2 * n + i] += g * az;
    }
}

/* One beat's waves, scaled by gain (respiration moves the heart against the
 * electrodes, so every wave swings with it). */
static void render_beat(double *d, size_t n, double fs, const Morphology *m, const Beat *b, double gain)
{
    for (size_t k = 0; k < m->n; k++) {
        const Wave *w = &m->w[k];
        if (w->v[0] == 0.0 && w->v[1] == 0.0 && w->v[2] == 0.0)
            continue;   /* e.g. the P waves in AF */
        Wave at = wave_at(w, b->rr);
        add_wave_samples(d, n, fs, &at, b->t, gain);
    }
}

/* AF fibrillatory waves: a wandering 4.5-8 Hz oscillation with a harmonic and
 * a slowly changing amplitude, along the atrial axis f_amp. */
static void add_f_waves(const Heart *h, double *d, size_t n, double fs)
{
    const double fm_depth_hz = 1.2, am_hz = 0.45, am_depth = 0.5, harmonic = 0.35;
    for (size_t i = 0; i < n; i++) {
        double t = (double)i / fs;
        double phase = 2.0 * PI * h->f_hz * t + fm_depth_hz / h->f_fm_hz * sin(2.0 * PI * h->f_fm_hz * t + h->f_ph);
        double env = 1.0 + am_depth * sin(2.0 * PI * am_hz * t + h->f_ph);
        double s = env * (sin(phase) + harmonic * sin(2.0 * phase + 1.0));
        for (int a = 0; a < N_AXES; a++)
            d[(size_t)a * n + i] += s * h->f_amp[a];
    }
}

/* ---- noise at the electrodes ---- */

/* Noise is added per electrode (RA, LA, LL, V1..V6) and reaches the leads
 * through their definitions, so Einthoven's relations hold in noisy records. */
enum { E_RA, E_LA, E_LL, E_V1, N_ELECTRODES = E_V1 + 6, N_WANDER = 3 };

/* A unit phasor turned by a fixed angle per sample: a sinusoid without sin(). */
typedef struct {
    double re, im, step_re, step_im;
} Phasor;

static void phasor_init(Phasor *p, double hz, double phase, double fs)
{
    p->re = cos(phase);
    p->im = sin(phase);
    p->step_re = cos(2.0 * PI * hz / fs);
    p->step_im = sin(2.0 * PI * hz / fs);
}

static void phasor_advance(Phasor *p)
{
    double re = p->re * p->step_re - p->im * p->step_im;
    p->im = p->re * p->step_im + p->im * p->step_re;
    p->re = re;
}

typedef struct {
    EcgRng rng;
    double white_sd;                               /* per electrode (mV) */
    Phasor wander[N_WANDER];                       /* respiration, slow drift, faster sway */
    double wander_coef[N_WANDER][N_ELECTRODES][2]; /* (cos, sin) weights per electrode (mV) */
    int mains;                                     /* mains is in the signal */
    Phasor mains_phasor;
    double mains_coef[N_ELECTRODES][2];
    uint8_t quality;                               /* ECG_Q_* bits this noise earns */
} Noise;

/* Draw the record's noise; every draw but the per-sample white noise is made
 * whatever fs is, so records at different rates share their wander and mains. */
static void draw_noise(Noise *nz, const Heart *h, uint64_t seed, double fs)
{
    const double strong_drift_p = 0.15, mains_p = 0.12;
    const double wander_weight[N_WANDER] = {0.6, 1.0, 0.4};
    EcgRng *r = &nz->rng;
    rng_init(r, seed, STREAM_NOISE);
    nz->quality = 0;
    double level;   /* rms wander of one electrode (mV) */
    if (ecg_rng_chance(r, strong_drift_p)) {
        level = ecg_rng_range(r, 0.15, 0.35);
        nz->quality |= ECG_Q_BASELINE_DRIFT;
    } else
        level = ecg_rng_range(r, 0.01, 0.06);
    double hz[N_WANDER] = {h->f_resp, ecg_rng_range(r, 0.03, 0.1), ecg_rng_range(r, 0.1, 0.25)};
    for (int c = 0; c < N_WANDER; c++) {
        phasor_init(&nz->wander[c], hz[c], ecg_rng_range(r, 0.0, 2.0 * PI), fs);
        for (int e = 0; e < N_ELECTRODES; e++)
            for (int q = 0; q < 2; q++)
                nz->wander_coef[c][e][q] = level * wander_weight[c] * SQRT_HALF * ecg_rng_normal(r);
    }
    int has_mains = ecg_rng_chance(r, mains_p);
    double mains_level = ecg_rng_range(r, 0.01, 0.04);
    phasor_init(&nz->mains_phasor, MAINS_HZ, ecg_rng_range(r, 0.0, 2.0 * PI), fs);
    for (int e = 0; e < N_ELECTRODES; e++)
        for (int q = 0; q < 2; q++)
            nz->mains_coef[e][q] = mains_level * SQRT_HALF * ecg_rng_normal(r);
    if (has_mains)
        nz->quality |= ECG_Q_STATIC_NOISE;
    nz->mains = has_mains && fs >= MAINS_MIN_FS;
    nz->white_sd = ecg_rng_range(r, 0.006, 0.02) * SQRT_HALF;   /* a lead, the difference of two, gets 6-20 µV */
}

/* The noise of the next sample at every electrode. */
static void noise_sample(Noise *nz, double e[N_ELECTRODES])
{
    for (int j = 0; j < N_ELECTRODES; j++)
        e[j] = nz->white_sd * ecg_rng_normal(&nz->rng);
    for (int c = 0; c < N_WANDER; c++) {
        Phasor *p = &nz->wander[c];
        for (int j = 0; j < N_ELECTRODES; j++)
            e[j] += nz->wander_coef[c][j][0] * p->re + nz->wander_coef[c][j][1] * p->im;
        phasor_advance(p);
    }
    if (nz->mains) {
        Phasor *p = &nz->mains_phasor;
        for (int j = 0; j < N_ELECTRODES; j++)
            e[j] += nz->mains_coef[j][0] * p->re + nz->mains_coef[j][1] * p->im;
        phasor_advance(p);
    }
}

/* ---- records ---- */

static const EcgSynthKindInfo KINDS[ECG_SYNTH_N_KINDS] = {
    {ECG_SYNTH_NORMAL, "normal", ECG_SC_NORM, "{'NORM': 100.0, 'SR': 0.0}", "sinus rhythm. normal ecg."},
    {ECG_SYNTH_MI_ANTERIOR, "mi_anterior", ECG_SC_MI, "{'AMI': 100.0, 'STE_': 0.0, 'QWAVE': 0.0, 'SR': 0.0}",
     "sinus rhythm. st elevation and q waves in v1-v4, reciprocal st depression in ii, iii, avf. "
     "acute anterior myocardial infarction."},
    {ECG_SYNTH_MI_INFERIOR, "mi_inferior", ECG_SC_MI, "{'IMI': 100.0, 'STE_': 0.0, 'QWAVE': 0.0, 'SR': 0.0}",
     "sinus rhythm. st elevation and q waves in ii, iii, avf, reciprocal st depression in i, avl. "
     "acute inferior myocardial infarction."},
    {ECG_SYNTH_MI_LATERAL, "mi_lateral", ECG_SC_MI, "{'LMI': 100.0, 'STE_': 0.0, 'QWAVE': 0.0, 'SR': 0.0}",
     "sinus rhythm. st elevation and q waves in i, avl, v5, v6, reciprocal st depression in iii, avf, v1. "
     "acute lateral myocardial infarction."},
    {ECG_SYNTH_STTC_T_INVERSION, "t_inversion", ECG_SC_STTC, "{'ISCAL': 100.0, 'INVT': 0.0, 'SR': 0.0}",
     "sinus rhythm. t wave inversion in i, avl, v2-v6. ischemic in anterolateral leads."},
    {ECG_SYNTH_STTC_ST_DEPRESSION, "st_depression", ECG_SC_STTC, "{'ISC_': 100.0, 'STD_': 0.0, 'SR': 0.0}",
     "sinus rhythm. st depression in ii, iii, avf, v4-v6 sloping into inverted t waves, st elevation in avr. "
     "subendocardial ischemia."},
    {ECG_SYNTH_CD_RBBB, "rbbb", ECG_SC_CD, "{'CRBBB': 100.0, 'SR': 0.0}",
     "sinus rhythm. qrs 120 ms or more, rsr' in v1, wide s in i and v6. complete right bundle branch block."},
    {ECG_SYNTH_CD_LBBB, "lbbb", ECG_SC_CD, "{'CLBBB': 100.0, 'SR': 0.0}",
     "sinus rhythm. qrs 130 ms or more, qs in v1, broad notched r in i, avl, v5, v6, discordant st-t. "
     "complete left bundle branch block."},
    {ECG_SYNTH_CD_AV_BLOCK1, "av_block1", ECG_SC_CD, "{'1AVB': 100.0, 'LPR': 0.0, 'SR': 0.0}",
     "sinus rhythm. pr interval over 200 ms. first degree av block."},
    {ECG_SYNTH_CD_PVC, "pvc", ECG_SC_CD, "{'PVC': 100.0, 'SR': 0.0}",
     "sinus rhythm. premature ventricular complexes, wide and bizarre, with compensatory pauses."},
    {ECG_SYNTH_CD_AFIB, "afib", ECG_SC_CD, "{'AFIB': 0.0}",
     "atrial fibrillation. no p waves, fibrillatory waves, irregularly irregular ventricular response."},
    {ECG_SYNTH_HYP_LVH, "lvh", ECG_SC_HYP, "{'LVH': 100.0, 'VCLVH': 0.0, 'STD_': 0.0, 'SR': 0.0}",
     "sinus rhythm. high qrs voltage (s v1 + r v5 over 3.5 mv), lateral st depression and t inversion. "
     "left ventricular hypertrophy with strain."},
};

const EcgSynthKindInfo *ecg_synth_kind_info(EcgSynthKind kind)
{
    return (unsigned)kind < ECG_SYNTH_N_KINDS ? &KINDS[kind] : NULL;
}

void ecg_synth_config_init(EcgSynthConfig *cfg)
{
    /* shares of the abnormal records: MI 13, STTC 12, CD 14, HYP 6 */
    static const double weight[ECG_SYNTH_N_KINDS] = {
        [ECG_SYNTH_MI_ANTERIOR] = 5, [ECG_SYNTH_MI_INFERIOR] = 5, [ECG_SYNTH_MI_LATERAL] = 3,
        [ECG_SYNTH_STTC_T_INVERSION] = 6, [ECG_SYNTH_STTC_ST_DEPRESSION] = 6,
        [ECG_SYNTH_CD_RBBB] = 3, [ECG_SYNTH_CD_LBBB] = 3, [ECG_SYNTH_CD_AV_BLOCK1] = 1,
        [ECG_SYNTH_CD_PVC] = 4, [ECG_SYNTH_CD_AFIB] = 3, [ECG_SYNTH_HYP_LVH] = 6,
    };
    memset(cfg, 0, sizeof *cfg);
    cfg->fs = 500.0;
    cfg->duration_s = 10.0;
    cfg->normal_fraction = 0.55;
    memcpy(cfg->kind_weight, weight, sizeof weight);
}

void ecg_synth_truth_clear(EcgSynthTruth *truth)
{
    free(truth->r_peaks);
    memset(truth, 0, sizeof *truth);
}

static int check_config(const EcgSynthConfig *cfg, EcgError *err)
{
    if (!cfg)
        return ecg_fail(err, ECG_ERR_ARG, "synth: no configuration");
    if (!(cfg->fs >= FS_MIN && cfg->fs <= FS_MAX))
        return ecg_fail(err, ECG_ERR_ARG, "synth: sampling frequency %g Hz outside %g-%g Hz", cfg->fs, FS_MIN,
                        FS_MAX);
    if (!(cfg->duration_s > 0.0 && cfg->duration_s <= DURATION_MAX_S) || lround(cfg->duration_s * cfg->fs) < 1)
        return ecg_fail(err, ECG_ERR_ARG, "synth: duration %g s outside (0, %g] s or under one sample",
                        cfg->duration_s, DURATION_MAX_S);
    return ECG_OK;
}

/* Project the heart vector d (3, n) through the lead field, add electrode
 * noise (nz NULL: none) and fill rec's 12 leads. */
static void project_record(const Heart *h, const double *d, Noise *nz, EcgRecord *rec)
{
    size_t n = rec->n_samples;
    for (size_t i = 0; i < n; i++) {
        double v[N_AXES] = {d[i], d[n + i], d[2 * n + i]}, x[ECG_N_STANDARD_LEADS];
        project12(h->lead_field, v, x);
        if (nz) {
            double e[N_ELECTRODES];
            noise_sample(nz, e);
            double wct = (e[E_RA] + e[E_LA] + e[E_LL]) / 3.0;   /* Wilson's central terminal */
            x[0] += e[E_LA] - e[E_RA];
            x[1] += e[E_LL] - e[E_RA];
            for (int k = 0; k < 6; k++)
                x[6 + k] += e[E_V1 + k] - wct;
            derive_limb_leads(x);
        }
        for (size_t l = 0; l < ECG_N_STANDARD_LEADS; l++)
            ecg_record_lead(rec, l)[i] = (float)x[l];
    }
}

/* R peaks inside the record, their mean rate and the extra-beats flag. */
static int fill_truth(const Beat *beats, size_t n_beats, double fs, size_t n, EcgSynthTruth *truth, EcgError *err)
{
    truth->r_peaks = malloc(n_beats * sizeof *truth->r_peaks);
    if (!truth->r_peaks)
        return ecg_fail(err, ECG_ERR_NOMEM, "synth: out of memory for %zu beats", n_beats);
    double first = 0.0, last = 0.0;
    for (size_t b = 0; b < n_beats; b++) {
        double pos = round(beats[b].t * fs);
        if (pos < 0.0 || pos > (double)(n - 1))
            continue;
        if (truth->n_r_peaks == 0)
            first = beats[b].t;
        last = beats[b].t;
        truth->r_peaks[truth->n_r_peaks++] = (size_t)pos;
        if (beats[b].ectopic)
            truth->quality |= ECG_Q_EXTRA_BEATS;
    }
    truth->heart_rate = truth->n_r_peaks > 1 ? 60.0 * (double)(truth->n_r_peaks - 1) / (last - first) : 0.0;
    return ECG_OK;
}

int ecg_synth_generate(const EcgSynthConfig *cfg, EcgSynthKind kind, uint64_t record_seed, EcgRecord *rec,
                       EcgSynthTruth *truth, EcgError *err)
{
    memset(rec, 0, sizeof *rec);
    if (truth)
        memset(truth, 0, sizeof *truth);
    int status = check_config(cfg, err);
    if (status != ECG_OK)
        return status;
    if (!ecg_synth_kind_info(kind))
        return ecg_fail(err, ECG_ERR_ARG, "synth: unknown record kind %d", (int)kind);
    size_t n = (size_t)lround(cfg->duration_s * cfg->fs);
    status = ecg_record_init(rec, ECG_N_STANDARD_LEADS, n, cfg->fs, err);
    if (status != ECG_OK)
        return status;
    snprintf(rec->id, sizeof rec->id, "synth-%s-%016llx", KINDS[kind].name, (unsigned long long)record_seed);
    for (size_t l = 0; l < ECG_N_STANDARD_LEADS; l++) {
        ecg_record_set_lead_name(rec, l, ecg_standard_leads[l]);
        snprintf(rec->leads[l].units, sizeof rec->leads[l].units, "mV");
    }

    Heart h;
    draw_heart(&h, kind, record_seed);
    size_t cap = beat_capacity(cfg->duration_s);
    Beat *beats = malloc(cap * sizeof *beats);
    double *d = calloc(N_AXES * n, sizeof *d);   // (3, n) heart vector
    if (!beats || !d) {
        free(beats);
        free(d);
        ecg_record_clear(rec);
        return ecg_fail(err, ECG_ERR_NOMEM, "synth: out of memory for a record of %zu samples", n);
    }
    EcgRng rhythm;
    rng_init(&rhythm, record_seed, STREAM_RHYTHM);
    size_t n_beats = schedule_beats(&h, &rhythm, cfg->duration_s, beats, cap);
    if (h.n_pvc)
        insert_pvcs(&h, &rhythm, cfg->duration_s, beats, n_beats);
    const double beat_gain_sd = 0.015;   /* beat-to-beat amplitude scatter */
    for (size_t b = 0; b < n_beats; b++) {
        double gain = (1.0 + h.resp_gain * sin(2.0 * PI * h.f_resp * beats[b].t + h.ph_resp)) *
                      (1.0 + beat_gain_sd * ecg_rng_normal(&rhythm));
        render_beat(d, n, cfg->fs, beats[b].ectopic ? &h.ectopic : &h.sinus, &beats[b], gain);
    }
    if (h.af_cv > 0.0)
        add_f_waves(&h, d, n, cfg->fs);

    Noise noise;
    if (!cfg->clean)
        draw_noise(&noise, &h, record_seed, cfg->fs);
    project_record(&h, d, cfg->clean ? NULL : &noise, rec);
    free(d);
    if (truth) {
        status = fill_truth(beats, n_beats, cfg->fs, n, truth, err);
        if (status == ECG_OK && !cfg->clean)
            truth->quality |= noise.quality;
        if (status != ECG_OK)
            ecg_record_clear(rec);
    }
    free(beats);
    return status;
}

int ecg_synth_record(EcgSynthKind kind, double fs, double duration_s, uint64_t record_seed, EcgRecord *rec,
                     size_t **r_peaks, size_t *n_r_peaks, EcgError *err)
{
    EcgSynthConfig cfg;
    ecg_synth_config_init(&cfg);
    cfg.fs = fs;
    cfg.duration_s = duration_s;
    EcgSynthTruth truth;
    int status = ecg_synth_generate(&cfg, kind, record_seed, rec, &truth, err);
    if (status != ECG_OK)
        return status;
    if (n_r_peaks)
        *n_r_peaks = truth.n_r_peaks;
    if (r_peaks) {
        *r_peaks = truth.r_peaks;
        truth.r_peaks = NULL;
    }
    ecg_synth_truth_clear(&truth);
    return ECG_OK;
}

/* ---- datasets ---- */

/* Record counts per kind: round(n * normal_fraction) normal, the rest by
 * kind_weight with the largest remainders rounded up (ties to the first kind). */
static int kind_counts(size_t n, const EcgSynthConfig *cfg, size_t count[ECG_SYNTH_N_KINDS], EcgError *err)
{
    if (!(cfg->normal_fraction >= 0.0 && cfg->normal_fraction <= 1.0))
        return ecg_fail(err, ECG_ERR_ARG, "synth: normal fraction %g outside [0, 1]", cfg->normal_fraction);
    double total = 0.0;
    for (int k = ECG_SYNTH_NORMAL + 1; k < ECG_SYNTH_N_KINDS; k++) {
        if (!(cfg->kind_weight[k] >= 0.0 && isfinite(cfg->kind_weight[k])))
            return ecg_fail(err, ECG_ERR_ARG, "synth: weight %g of kind %s is not a finite share",
                            cfg->kind_weight[k], KINDS[k].name);
        total += cfg->kind_weight[k];
    }
    count[ECG_SYNTH_NORMAL] = (size_t)llround((double)n * cfg->normal_fraction);
    size_t abnormal = n - count[ECG_SYNTH_NORMAL], given = 0;
    if (abnormal > 0 && total <= 0.0)
        return ecg_fail(err, ECG_ERR_ARG, "synth: %zu abnormal records but every abnormal kind has weight 0",
                        abnormal);
    double remainder[ECG_SYNTH_N_KINDS] = {0};
    for (int k = ECG_SYNTH_NORMAL + 1; k < ECG_SYNTH_N_KINDS; k++) {
        double share = abnormal > 0 ? (double)abnormal * cfg->kind_weight[k] / total : 0.0;
        count[k] = (size_t)floor(share);
        remainder[k] = share - floor(share);
        given += count[k];
    }
    for (; given < abnormal; given++) {
        int best = ECG_SYNTH_NORMAL + 1;
        for (int k = best + 1; k < ECG_SYNTH_N_KINDS; k++)
            if (remainder[k] > remainder[best])
                best = k;
        count[best]++;
        remainder[best] = -1.0;
    }
    return ECG_OK;
}

int ecg_synth_plan(size_t n, const EcgSynthConfig *cfg, EcgSynthPlanItem **plan, EcgError *err)
{
    *plan = NULL;
    int status = check_config(cfg, err);
    if (status != ECG_OK)
        return status;
    if (n == 0 || n > INT32_MAX)
        return ecg_fail(err, ECG_ERR_ARG, "synth: %zu records requested (1 to %d)", n, INT32_MAX);
    size_t count[ECG_SYNTH_N_KINDS];
    status = kind_counts(n, cfg, count, err);
    if (status != ECG_OK)
        return status;
    EcgSynthPlanItem *items = calloc(n, sizeof *items);
    if (!items)
        return ecg_fail(err, ECG_ERR_NOMEM, "synth: out of memory for a plan of %zu records", n);

    EcgRng r;
    rng_init(&r, cfg->seed, STREAM_PLAN);
    size_t i = 0;
    for (int k = 0; k < ECG_SYNTH_N_KINDS; k++)
        for (size_t c = 0; c < count[k]; c++) {
            items[i].kind = (EcgSynthKind)k;
            items[i].meta.patient_id = (int32_t)(i + 1);
            i++;
        }
    /* shuffle the kinds and, separately, the patient numbers over the records */
    for (size_t j = n - 1; j > 0; j--) {
        size_t a = ecg_rng_below(&r, j + 1), b = ecg_rng_below(&r, j + 1);
        EcgSynthKind kind = items[j].kind;
        items[j].kind = items[a].kind;
        items[a].kind = kind;
        int32_t patient = items[j].meta.patient_id;
        items[j].meta.patient_id = items[b].meta.patient_id;
        items[b].meta.patient_id = patient;
    }
    /* folds dealt round-robin kind by kind, so each fold gets a tenth of each */
    size_t dealt = 0;
    for (int k = 0; k < ECG_SYNTH_N_KINDS; k++)
        for (size_t j = 0; j < n; j++)
            if (items[j].kind == (EcgSynthKind)k)
                items[j].meta.strat_fold = (int8_t)(dealt++ % N_FOLDS + 1);

    const double age_min = 18.0, age_max = 90.0, age_sd = 15.0;
    for (size_t j = 0; j < n; j++) {
        EcgSynthPlanItem *it = &items[j];
        int normal = it->kind == ECG_SYNTH_NORMAL;
        it->seed = ecg_rng_derive_seed(cfg->seed, j);
        it->meta.ecg_id = (int32_t)(j + 1);
        /* abnormal records come from older patients, a little more often men */
        it->meta.age = (float)round(clamp((normal ? 47.0 : 64.0) + age_sd * ecg_rng_normal(&r), age_min, age_max));
        it->meta.sex = (int8_t)(ecg_rng_chance(&r, normal ? 0.5 : 0.4) ? 1 : 0);
        it->meta.superclass = KINDS[it->kind].superclass;
    }
    *plan = items;
    return ECG_OK;
}

/* Generate the record of plan item it and append it to w. */
static int write_record(EcgDatasetWriter *w, const EcgSynthConfig *cfg, const EcgSynthPlanItem *it, EcgError *err)
{
    EcgRecord rec;
    EcgSynthTruth truth;
    int status = ecg_synth_generate(cfg, it->kind, it->seed, &rec, &truth, err);
    if (status != ECG_OK)
        return status;
    EcgRecordMeta meta = it->meta;
    meta.quality = truth.quality;
    char filename[32];
    snprintf(filename, sizeof filename, "synth/%05d", (int)meta.ecg_id);
    const EcgSynthKindInfo *info = &KINDS[it->kind];
    status = ecg_dataset_writer_add_record(w, &meta, &rec, info->scp_codes, info->report, filename, err);
    ecg_record_clear(&rec);
    ecg_synth_truth_clear(&truth);
    return status;
}

int ecg_synth_write_dataset(const char *path, size_t n, const EcgSynthConfig *cfg, EcgProgressFn progress,
                            void *user, EcgError *err)
{
    EcgSynthPlanItem *plan;
    int status = ecg_synth_plan(n, cfg, &plan, err);
    if (status != ECG_OK)
        return status;
    char source[64];
    snprintf(source, sizeof source, "ecglens synth v1 seed %llu", (unsigned long long)cfg->seed);
    EcgDatasetWriter *w;
    status = ecg_dataset_writer_open(path, cfg->fs, (size_t)lround(cfg->duration_s * cfg->fs),
                                     GAIN_COUNTS_PER_MV, source, &w, err);
    for (size_t i = 0; status == ECG_OK && i < n; i++) {
        status = write_record(w, cfg, &plan[i], err);
        if (status == ECG_OK && progress && progress(user, i + 1, n))
            status = ecg_fail(err, ECG_ERR_CANCELLED, "%s: cancelled after %zu of %zu records", path, i + 1, n);
    }
    if (status == ECG_OK)
        status = ecg_dataset_writer_commit(w, err);
    else
        ecg_dataset_writer_abort(w);
    free(plan);
    return status;
}

int ecg_synth_dataset(const char *path, size_t n, double fs, uint64_t seed, EcgProgressFn progress, void *user,
                      EcgError *err)
{
    EcgSynthConfig cfg;
    ecg_synth_config_init(&cfg);
    cfg.fs = fs;
    cfg.seed = seed;
    return ecg_synth_write_dataset(path, n, &cfg, progress, user, err);
}
