/* The synthetic ECG generator: determinism, Einthoven's relations, realistic
 * amplitudes and rates, every planted abnormality measurably present (each
 * against the normal record of the same seed: the same person), R-peak
 * detection on synthetic records, and datasets through the dataset store. */
#include <stdint.h>
#include <sys/stat.h>

#include "dataset.h"
#include "dsp.h"
#include "synth.h"
#include "test.h"

enum { I, II, III, AVR, AVL, AVF, V1, V2, V3, V4, V5, V6, N_SEEDS = 30 };

typedef struct {
    EcgRecord rec;
    EcgSynthTruth truth;
} Synth;

static int make(Synth *s, EcgSynthKind kind, uint64_t seed, double fs, int clean, EcgError *err)
{
    EcgSynthConfig cfg;
    ecg_synth_config_init(&cfg);
    cfg.fs = fs;
    cfg.clean = clean;
    return ecg_synth_generate(&cfg, kind, seed, &s->rec, &s->truth, err);
}

static void drop(Synth *s)
{
    ecg_record_clear(&s->rec);
    ecg_synth_truth_clear(&s->truth);
}

static float at(const Synth *s, int lead, size_t peak, double offset_s)
{
    return ecg_record_lead(&s->rec, (size_t)lead)[(long)peak + lround(offset_s * s->rec.fs)];
}

/* Mean over the inner beats of lead at R + offset, against the PR segment
 * (R - 60 ms) of the same beat. */
static double level(const Synth *s, int lead, double offset_s)
{
    size_t margin = (size_t)lround(0.5 * s->rec.fs), n = 0;
    double sum = 0.0;
    for (size_t b = 1; b + 1 < s->truth.n_r_peaks; b++) {
        size_t p = s->truth.r_peaks[b];
        if (p < margin || p + margin >= s->rec.n_samples)
            continue;
        sum += at(s, lead, p, offset_s) - at(s, lead, p, -0.06);
        n++;
    }
    return sum / (double)n;
}

/* Offset from R (s) in [from, to] where lead's mean beat is most positive
 * (sign 1) or negative (-1), and that extreme against the PR segment. */
static double extreme(const Synth *s, int lead, double from, double to, int sign, double *when)
{
    double best = -INFINITY;
    *when = from;
    for (double off = from; off <= to; off += 1.0 / s->rec.fs) {
        double v = sign * level(s, lead, off);
        if (v > best) {
            best = v;
            *when = off;
        }
    }
    return sign * best;
}

/* QRS duration (s) of the beat at peak: the span around it where the summed
 * absolute slope of the eight independent leads exceeds a tenth of its
 * maximum (P and T slopes stay below). */
static double qrs_width(const Synth *s, size_t peak)
{
    static const int leads[] = {I, II, V1, V2, V3, V4, V5, V6};
    double fs = s->rec.fs;
    long lo = (long)peak - lround(0.12 * fs), hi = (long)peak + lround(0.16 * fs);
    double slope[1024], max = 0.0;
    for (long i = lo; i < hi; i++) {
        double v = 0.0;
        for (int k = 0; k < 8; k++) {
            const float *x = ecg_record_lead(&s->rec, (size_t)leads[k]);
            v += fabs(x[i + 1] - x[i]);
        }
        slope[i - lo] = v;
        max = fmax(max, v);
    }
    long first = hi, last = lo;
    for (long i = lo; i < hi; i++)
        if (slope[i - lo] >= 0.1 * max) {
            first = i < first ? i : first;
            last = i;
        }
    return (double)(last - first + 1) / fs;
}

static double median(double *v, size_t n)
{
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
            double t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* ---- the catalogue and determinism ---- */

static void test_kinds(void)
{
    uint8_t covered = 0;
    for (int k = 0; k < ECG_SYNTH_N_KINDS; k++) {
        const EcgSynthKindInfo *info = ecg_synth_kind_info((EcgSynthKind)k);
        CHECK(info && info->kind == (EcgSynthKind)k);
        CHECK(info->name[0] && info->report[0] && strncmp(info->scp_codes, "{'", 2) == 0);
        CHECK((k == ECG_SYNTH_NORMAL) == (info->superclass == ECG_SC_NORM));
        covered |= info->superclass;
    }
    CHECK(covered == (ECG_SC_NORM | ECG_SC_MI | ECG_SC_STTC | ECG_SC_CD | ECG_SC_HYP));
    CHECK(ecg_synth_kind_info(ECG_SYNTH_N_KINDS) == NULL);
    CHECK(ecg_synth_kind_info((EcgSynthKind)-1) == NULL);
    CHECK(strstr(ecg_synth_kind_info(ECG_SYNTH_MI_INFERIOR)->scp_codes, "'IMI'"));
}

static void test_determinism(void)
{
    EcgError err = {0};
    const double rates[] = {500.0, 100.0};
    for (int r = 0; r < 2; r++) {
        EcgRecord a, b, c;
        size_t *pa, *pb, na, nb;
        REQUIRE_OK(ecg_synth_record(ECG_SYNTH_CD_PVC, rates[r], 10.0, 42, &a, &pa, &na, &err), &err);
        REQUIRE_OK(ecg_synth_record(ECG_SYNTH_CD_PVC, rates[r], 10.0, 42, &b, &pb, &nb, &err), &err);
        REQUIRE_OK(ecg_synth_record(ECG_SYNTH_CD_PVC, rates[r], 10.0, 43, &c, NULL, NULL, &err), &err);
        CHECK(a.n_leads == 12 && a.n_samples == (size_t)(10 * rates[r]) && a.fs == rates[r]);
        CHECK(memcmp(a.samples, b.samples, 12 * a.n_samples * sizeof(float)) == 0);
        CHECK(memcmp(a.samples, c.samples, 12 * a.n_samples * sizeof(float)) != 0);
        CHECK(na == nb && na > 5 && memcmp(pa, pb, na * sizeof *pa) == 0);
        for (size_t l = 0; l < 12; l++)
            CHECK(strcmp(a.leads[l].name, ecg_standard_leads[l]) == 0 && strcmp(a.leads[l].units, "mV") == 0);
        CHECK(ecg_record_check_finite(&a, "synth", &err) == 0);
        free(pa);
        free(pb);
        ecg_record_clear(&a);
        ecg_record_clear(&b);
        ecg_record_clear(&c);
    }
}

/* The heart signal is a function of time: 100 Hz samples the 500 Hz waveform. */
static void test_rate_independence(void)
{
    EcgError err = {0};
    for (int k = 0; k < ECG_SYNTH_N_KINDS; k++) {
        Synth hi, lo;
        REQUIRE_OK(make(&hi, (EcgSynthKind)k, 7, 500.0, 1, &err), &err);
        REQUIRE_OK(make(&lo, (EcgSynthKind)k, 7, 100.0, 1, &err), &err);
        double worst = 0.0;
        for (size_t l = 0; l < 12; l++)
            for (size_t i = 0; i < lo.rec.n_samples; i++)
                worst = fmax(worst, fabs(ecg_record_lead(&lo.rec, l)[i] - ecg_record_lead(&hi.rec, l)[5 * i]));
        CHECK_MSG(worst < 1e-6, "%s: 100 Hz differs from 500 Hz by %g mV", ecg_synth_kind_info(k)->name, worst);
        CHECK(lo.truth.n_r_peaks == hi.truth.n_r_peaks);
        drop(&hi);
        drop(&lo);
    }
}

/* Noise is added at the electrodes, so the limb relations hold in noisy records. */
static void test_einthoven(void)
{
    EcgError err = {0};
    for (int k = 0; k < ECG_SYNTH_N_KINDS; k++) {
        Synth s;
        REQUIRE_OK(make(&s, (EcgSynthKind)k, 100 + (uint64_t)k, 500.0, 0, &err), &err);
        const float *x[12];
        for (int l = 0; l < 12; l++)
            x[l] = ecg_record_lead(&s.rec, (size_t)l);
        double worst = 0.0;
        for (size_t i = 0; i < s.rec.n_samples; i++) {
            double a = x[I][i], b = x[II][i];
            worst = fmax(worst, fabs(x[III][i] - (b - a)));
            worst = fmax(worst, fabs(x[AVR][i] + (a + b) / 2));
            worst = fmax(worst, fabs(x[AVL][i] - (a - b / 2)));
            worst = fmax(worst, fabs(x[AVF][i] - (b - a / 2)));
        }
        CHECK_MSG(worst < 1e-5, "%s: limb leads off by %g mV", ecg_synth_kind_info(k)->name, worst);
        drop(&s);
    }
}

/* ---- realism of normal records ---- */

static void test_normal_amplitudes(void)
{
    enum { N = 60 };
    EcgError err = {0};
    double r_ii[N], s_v2[N], r_v1[N], r_v3[N], r_v5[N];
    int t_up[12] = {0};
    for (int k = 0; k < N; k++) {
        Synth s;
        double when;
        REQUIRE_OK(make(&s, ECG_SYNTH_NORMAL, 1000 + (uint64_t)k, 500.0, 1, &err), &err);
        r_ii[k] = extreme(&s, II, -0.03, 0.03, 1, &when);
        s_v2[k] = extreme(&s, V2, -0.03, 0.06, -1, &when);
        r_v1[k] = extreme(&s, V1, -0.04, 0.03, 1, &when);
        r_v3[k] = extreme(&s, V3, -0.04, 0.03, 1, &when);
        r_v5[k] = extreme(&s, V5, -0.03, 0.03, 1, &when);
        CHECK_MSG(r_ii[k] > 0.4 && r_ii[k] < 2.5, "seed %d: R in II %.2f mV", 1000 + k, r_ii[k]);
        CHECK_MSG(r_v5[k] > r_v1[k], "seed %d: R V1 %.2f >= R V5 %.2f", 1000 + k, r_v1[k], r_v5[k]);
        for (int l = 0; l < 12; l++) {
            double t_min = extreme(&s, l, 0.15, 0.4, -1, &when), t_max = extreme(&s, l, 0.15, 0.4, 1, &when);
            t_up[l] += t_max > -t_min;
        }
        drop(&s);
    }
    CHECK_MSG(median(r_ii, N) > 0.9 && median(r_ii, N) < 1.5, "median R in II %.2f mV", median(r_ii, N));
    CHECK_MSG(median(s_v2, N) < -0.7, "median S in V2 %.2f mV", median(s_v2, N));
    CHECK(median(r_v1, N) < median(r_v3, N) && median(r_v3, N) < median(r_v5, N));
    const int upright[] = {I, II, V3, V4, V5, V6};
    for (int j = 0; j < 6; j++)
        CHECK_MSG(t_up[upright[j]] >= N * 9 / 10, "T upright in %s in %d of %d records",
                  ecg_standard_leads[upright[j]], t_up[upright[j]], N);
    CHECK_MSG(t_up[AVR] == 0, "T upright in aVR in %d records", t_up[AVR]);
}

static void test_heart_rate(void)
{
    EcgError err = {0};
    double sum = 0.0;
    for (int k = 0; k < N_SEEDS; k++) {
        Synth s;
        REQUIRE_OK(make(&s, ECG_SYNTH_NORMAL, 2000 + (uint64_t)k, 100.0, 0, &err), &err);
        const size_t *p = s.truth.r_peaks;
        size_t n = s.truth.n_r_peaks;
        for (size_t b = 1; b < n; b++)
            CHECK(p[b] > p[b - 1] && p[b] < s.rec.n_samples);
        double bpm = 60.0 * (double)(n - 1) * s.rec.fs / (double)(p[n - 1] - p[0]);
        CHECK_NEAR(bpm, s.truth.heart_rate, 1.0);
        CHECK_MSG(bpm > 45.0 && bpm < 110.0, "seed %d: %.1f bpm", 2000 + k, bpm);
        sum += bpm;
        drop(&s);
    }
    CHECK_MSG(sum / N_SEEDS > 62.0 && sum / N_SEEDS < 88.0, "mean rate %.1f bpm", sum / N_SEEDS);
}

/* Noisy minus clean is the noise: white noise of 6-20 µV per lead, wander
 * strong where baseline_drift is flagged, 50 Hz where static_noise is. */
static void test_noise(void)
{
    enum { N = 80 };
    EcgError err = {0};
    int n_drift = 0, n_mains = 0;
    double wander_flagged = INFINITY, wander_plain = 0.0;
    for (int k = 0; k < N; k++) {
        Synth noisy, clean;
        REQUIRE_OK(make(&noisy, ECG_SYNTH_NORMAL, 3000 + (uint64_t)k, 500.0, 0, &err), &err);
        REQUIRE_OK(make(&clean, ECG_SYNTH_NORMAL, 3000 + (uint64_t)k, 500.0, 1, &err), &err);
        size_t n = noisy.rec.n_samples;
        const float *a = ecg_record_lead(&noisy.rec, II), *b = ecg_record_lead(&clean.rec, II);
        double diff2 = 0.0, mean = 0.0, var = 0.0, re = 0.0, im = 0.0;
        for (size_t i = 0; i < n; i++) {
            double e = a[i] - b[i];
            if (i > 0) {
                double d = e - (a[i - 1] - b[i - 1]);
                diff2 += d * d;
            }
            mean += e / (double)n;
            re += e * cos(2.0 * M_PI * 50.0 * (double)i / 500.0);
            im += e * sin(2.0 * M_PI * 50.0 * (double)i / 500.0);
        }
        for (size_t i = 0; i < n; i++)
            var += (a[i] - b[i] - mean) * (a[i] - b[i] - mean) / (double)n;
        double white = sqrt(diff2 / (double)(n - 1) / 2.0), mains = 2.0 * hypot(re, im) / (double)n;
        int mains_flag = (noisy.truth.quality & ECG_Q_STATIC_NOISE) != 0;
        int drift_flag = (noisy.truth.quality & ECG_Q_BASELINE_DRIFT) != 0;
        CHECK_MSG(white > 0.003 && white < 0.03, "seed %d: white noise %.4f mV", 3000 + k, white);
        CHECK_MSG(mains_flag ? mains > 0.002 : mains < 0.002, "seed %d: 50 Hz %.4f mV, flag %d", 3000 + k, mains,
                  mains_flag);
        CHECK(noisy.truth.quality == (noisy.truth.quality & (ECG_Q_BASELINE_DRIFT | ECG_Q_STATIC_NOISE)));
        CHECK(clean.truth.quality == 0);
        if (drift_flag)
            wander_flagged = fmin(wander_flagged, sqrt(var));
        else
            wander_plain = fmax(wander_plain, sqrt(var));
        n_drift += drift_flag;
        n_mains += mains_flag;
        drop(&noisy);
        drop(&clean);
    }
    CHECK_MSG(n_drift > 3 && n_drift < N / 3, "%d of %d records with strong drift", n_drift, N);
    CHECK_MSG(n_mains > 2 && n_mains < N / 3, "%d of %d records with mains", n_mains, N);
    printf("# wander rms in II: strongest unflagged %.3f mV, weakest flagged %.3f mV\n", wander_plain,
           wander_flagged);
}

/* At 100 Hz a record has no 50 Hz (its anti-aliasing filter took it) but keeps the flag. */
static void test_no_mains_at_100hz(void)
{
    EcgError err = {0};
    for (uint64_t seed = 3000; seed < 3080; seed++) {
        Synth hi;
        REQUIRE_OK(make(&hi, ECG_SYNTH_NORMAL, seed, 500.0, 0, &err), &err);
        int flagged = (hi.truth.quality & ECG_Q_STATIC_NOISE) != 0;
        drop(&hi);
        if (!flagged)
            continue;
        Synth lo, clean;
        REQUIRE_OK(make(&lo, ECG_SYNTH_NORMAL, seed, 100.0, 0, &err), &err);
        REQUIRE_OK(make(&clean, ECG_SYNTH_NORMAL, seed, 100.0, 1, &err), &err);
        CHECK(lo.truth.quality & ECG_Q_STATIC_NOISE);
        const float *a = ecg_record_lead(&lo.rec, II), *b = ecg_record_lead(&clean.rec, II);
        double alt = 0.0;   /* 50 Hz at 100 Hz alternates sign every sample */
        for (size_t i = 0; i < lo.rec.n_samples; i++)
            alt += (i % 2 ? -1.0 : 1.0) * (a[i] - b[i]) / (double)lo.rec.n_samples;
        CHECK_MSG(fabs(alt) < 0.002, "seed %llu: Nyquist component %.4f mV", (unsigned long long)seed, alt);
        drop(&lo);
        drop(&clean);
    }
}

/* ---- planted abnormalities, each against the same person's normal record ---- */

typedef double (*Measure)(const Synth *s);

/* Count the seeds where measure(kind) - measure(normal) is beyond threshold
 * (sign 1: above, -1: below); require all but one in N_SEEDS. */
static void check_paired(EcgSynthKind kind, Measure measure, int sign, double threshold, const char *what)
{
    EcgError err = {0};
    int hits = 0;
    double worst = INFINITY;
    for (int k = 0; k < N_SEEDS; k++) {
        Synth normal, abnormal;
        REQUIRE_OK(make(&normal, ECG_SYNTH_NORMAL, 4000 + (uint64_t)k, 500.0, 1, &err), &err);
        REQUIRE_OK(make(&abnormal, kind, 4000 + (uint64_t)k, 500.0, 1, &err), &err);
        double delta = sign * (measure(&abnormal) - measure(&normal));
        hits += delta > sign * threshold;
        worst = fmin(worst, delta);
        drop(&normal);
        drop(&abnormal);
    }
    CHECK_MSG(hits >= N_SEEDS - 1, "%s: %s beyond %g in %d of %d (worst %.3f)", ecg_synth_kind_info(kind)->name, what,
              threshold, hits, N_SEEDS, sign * worst);
}

#define ST_AT 0.105   /* J point + 60 ms */
static double st_v2_v3(const Synth *s) { return (level(s, V2, ST_AT) + level(s, V3, ST_AT)) / 2; }
static double st_iii(const Synth *s) { return level(s, III, ST_AT); }
static double st_iii_avf(const Synth *s) { return (level(s, III, ST_AT) + level(s, AVF, ST_AT)) / 2; }
static double st_avl(const Synth *s) { return level(s, AVL, ST_AT); }
static double st_lateral(const Synth *s)
{
    return (level(s, I, ST_AT) + level(s, AVL, ST_AT) + level(s, V5, ST_AT) + level(s, V6, ST_AT)) / 4;
}
static double st_ii_v5(const Synth *s) { return (level(s, II, ST_AT) + level(s, V5, ST_AT)) / 2; }
static double st_avr(const Synth *s) { return level(s, AVR, ST_AT); }
static double q_inferior(const Synth *s) { double w; return extreme(s, III, -0.06, -0.015, -1, &w); }
static double r_anterior(const Synth *s) { double w; return extreme(s, V2, -0.05, -0.015, 1, &w); }

static void test_mi(void)
{
    check_paired(ECG_SYNTH_MI_ANTERIOR, st_v2_v3, 1, 0.15, "ST elevation in V2-V3");
    check_paired(ECG_SYNTH_MI_ANTERIOR, st_iii, -1, -0.03, "reciprocal ST in III");
    check_paired(ECG_SYNTH_MI_ANTERIOR, r_anterior, -1, -0.1, "septal r in V2 (lost)");
    check_paired(ECG_SYNTH_MI_INFERIOR, st_iii_avf, 1, 0.15, "ST elevation in III, aVF");
    check_paired(ECG_SYNTH_MI_INFERIOR, st_avl, -1, -0.08, "reciprocal ST in aVL");
    check_paired(ECG_SYNTH_MI_INFERIOR, q_inferior, -1, -0.1, "Q wave in III");
    check_paired(ECG_SYNTH_MI_LATERAL, st_lateral, 1, 0.15, "ST elevation in I, aVL, V5, V6");
    check_paired(ECG_SYNTH_MI_LATERAL, st_iii, -1, -0.1, "reciprocal ST in III");
}

/* T wave of lead at the peak time of the same person's normal T. */
static double t_at_normal_peak(const Synth *s, const Synth *normal, int lead)
{
    double when;
    extreme(normal, lead, 0.15, 0.4, 1, &when);
    return level(s, lead, when);
}

static void test_sttc(void)
{
    EcgError err = {0};
    for (int k = 0; k < N_SEEDS; k++) {
        Synth normal, inv;
        REQUIRE_OK(make(&normal, ECG_SYNTH_NORMAL, 4000 + (uint64_t)k, 500.0, 1, &err), &err);
        REQUIRE_OK(make(&inv, ECG_SYNTH_STTC_T_INVERSION, 4000 + (uint64_t)k, 500.0, 1, &err), &err);
        const int leads[] = {I, V3, V4, V5};
        for (int j = 0; j < 4; j++) {
            double t = t_at_normal_peak(&inv, &normal, leads[j]);
            CHECK_MSG(t < -0.03, "seed %d: T in %s %.3f mV, not inverted", 4000 + k, ecg_standard_leads[leads[j]], t);
        }
        drop(&normal);
        drop(&inv);
    }
    check_paired(ECG_SYNTH_STTC_ST_DEPRESSION, st_ii_v5, -1, -0.2, "ST depression in II, V5");
    check_paired(ECG_SYNTH_STTC_ST_DEPRESSION, st_avr, 1, 0.08, "ST elevation in aVR");
}

static double width_of_beats(const Synth *s)
{
    double w[64];
    size_t n = 0;
    for (size_t b = 1; b + 1 < s->truth.n_r_peaks && n < 64; b++)
        w[n++] = qrs_width(s, s->truth.r_peaks[b]);
    return median(w, n);
}

static double terminal_v1(const Synth *s) { return level(s, V1, 0.07); }
static double terminal_i(const Synth *s) { return level(s, I, 0.07); }

static void test_bundle_branch_blocks(void)
{
    EcgError err = {0};
    for (int k = 0; k < N_SEEDS; k++) {
        Synth normal, rbbb, lbbb;
        REQUIRE_OK(make(&normal, ECG_SYNTH_NORMAL, 4000 + (uint64_t)k, 500.0, 1, &err), &err);
        REQUIRE_OK(make(&rbbb, ECG_SYNTH_CD_RBBB, 4000 + (uint64_t)k, 500.0, 1, &err), &err);
        REQUIRE_OK(make(&lbbb, ECG_SYNTH_CD_LBBB, 4000 + (uint64_t)k, 500.0, 1, &err), &err);
        double wn = width_of_beats(&normal), wr = width_of_beats(&rbbb), wl = width_of_beats(&lbbb), when;
        CHECK_MSG(wn >= 0.06 && wn < 0.11, "seed %d: normal QRS %.0f ms", 4000 + k, wn * 1e3);
        CHECK_MSG(wr >= 0.12, "seed %d: RBBB QRS %.0f ms", 4000 + k, wr * 1e3);
        CHECK_MSG(wl >= 0.13, "seed %d: LBBB QRS %.0f ms", 4000 + k, wl * 1e3);
        CHECK_MSG(extreme(&lbbb, V1, -0.06, 0.1, -1, &when) < -0.8, "seed %d: no deep QS in V1", 4000 + k);
        CHECK_MSG(t_at_normal_peak(&lbbb, &normal, V6) < -0.05, "seed %d: T in V6 not discordant", 4000 + k);
        drop(&normal);
        drop(&rbbb);
        drop(&lbbb);
    }
    check_paired(ECG_SYNTH_CD_RBBB, terminal_v1, 1, 0.3, "terminal R' in V1");
    check_paired(ECG_SYNTH_CD_RBBB, terminal_i, -1, -0.1, "terminal S in I");
}

/* The P wave moves earlier: in lead II, the 1AVB record minus the same
 * person's normal record peaks where its P wave is and dips where the normal
 * one was. */
static void test_av_block(void)
{
    EcgError err = {0};
    for (int k = 0; k < N_SEEDS; k++) {
        Synth normal, avb;
        REQUIRE_OK(make(&normal, ECG_SYNTH_NORMAL, 4000 + (uint64_t)k, 500.0, 1, &err), &err);
        REQUIRE_OK(make(&avb, ECG_SYNTH_CD_AV_BLOCK1, 4000 + (uint64_t)k, 500.0, 1, &err), &err);
        CHECK(avb.truth.n_r_peaks == normal.truth.n_r_peaks);
        double p_avb = 0.0, p_normal = 0.0, hi = -INFINITY, lo = INFINITY;
        for (double off = -0.45; off <= -0.05; off += 1.0 / 500.0) {
            double d = level(&avb, II, off) - level(&normal, II, off);
            if (d > hi) {
                hi = d;
                p_avb = off;
            }
            if (d < lo) {
                lo = d;
                p_normal = off;
            }
        }
        CHECK_MSG(p_avb < -0.2 && p_normal > -0.2 && p_normal - p_avb > 0.04,
                  "seed %d: P peak %.0f ms before R, %.0f ms in the normal record", 4000 + k, -p_avb * 1e3,
                  -p_normal * 1e3);
        drop(&normal);
        drop(&avb);
    }
}

/* Against the same person's sinus rhythm: each PVC takes the place of one
 * sinus beat, comes at 55-75% of its RR interval, is wide, and the next sinus
 * beat keeps its time (a compensatory pause). */
static void test_pvc(void)
{
    EcgError err = {0};
    for (int k = 0; k < N_SEEDS; k++) {
        Synth normal, s;
        REQUIRE_OK(make(&normal, ECG_SYNTH_NORMAL, 4000 + (uint64_t)k, 500.0, 1, &err), &err);
        REQUIRE_OK(make(&s, ECG_SYNTH_CD_PVC, 4000 + (uint64_t)k, 500.0, 1, &err), &err);
        CHECK(s.truth.quality & ECG_Q_EXTRA_BEATS);
        const size_t *p = s.truth.r_peaks, *q = normal.truth.r_peaks;
        size_t n = s.truth.n_r_peaks, n_pvc = 0;
        CHECK(n == normal.truth.n_r_peaks);
        for (size_t b = 1; b < n && n == normal.truth.n_r_peaks; b++) {
            if (p[b] == q[b])
                continue;
            n_pvc++;
            double coupling = (double)(p[b] - q[b - 1]) / (double)(q[b] - q[b - 1]);
            CHECK_MSG(p[b - 1] == q[b - 1] && (b + 1 == n || p[b + 1] == q[b + 1]),
                      "seed %d: beat %zu: pause not compensatory", 4000 + k, b);
            CHECK_MSG(coupling > 0.54 && coupling < 0.76, "seed %d: coupling %.2f", 4000 + k, coupling);
            CHECK_MSG(qrs_width(&s, p[b]) >= 0.12, "seed %d: PVC %.0f ms wide", 4000 + k, qrs_width(&s, p[b]) * 1e3);
            CHECK_MSG(qrs_width(&normal, q[b]) < 0.11, "seed %d: sinus beat %.0f ms wide", 4000 + k,
                      qrs_width(&normal, q[b]) * 1e3);
        }
        CHECK_MSG(n_pvc >= 2, "seed %d: %zu PVCs", 4000 + k, n_pvc);
        drop(&normal);
        drop(&s);
    }
}

/* Spread of the RR intervals, and the activity in the T-Q gaps (f-waves). */
static double rr_cv(const Synth *s)
{
    double sum = 0.0, sum2 = 0.0;
    size_t n = s->truth.n_r_peaks - 1;
    for (size_t b = 1; b <= n; b++) {
        double rr = (double)(s->truth.r_peaks[b] - s->truth.r_peaks[b - 1]) / s->rec.fs;
        sum += rr;
        sum2 += rr * rr;
    }
    double mean = sum / (double)n;
    return sqrt(fmax(sum2 / (double)n - mean * mean, 0.0)) / mean;
}

/* Mean |slope| of V1 (mV/s) in the T-Q gaps: from 60% of each RR interval
 * (the T wave is over) to end_s before the next R (before its P wave). */
static double gap_activity(const Synth *s, double end_s)
{
    const float *x = ecg_record_lead(&s->rec, V1);
    double fs = s->rec.fs, sum = 0.0;
    size_t n = 0;
    for (size_t b = 1; b < s->truth.n_r_peaks; b++) {
        size_t from = s->truth.r_peaks[b - 1] + (s->truth.r_peaks[b] - s->truth.r_peaks[b - 1]) * 6 / 10;
        size_t to = s->truth.r_peaks[b] - (size_t)lround(end_s * fs);
        for (size_t i = from; i < to; i++, n++)
            sum += fabs(x[i + 1] - x[i]) * fs;
    }
    return n ? sum / (double)n : 0.0;
}

static void test_afib(void)
{
    EcgError err = {0};
    int irregular = 0, regular = 0;
    for (int k = 0; k < N_SEEDS; k++) {
        Synth normal, af;
        REQUIRE_OK(make(&normal, ECG_SYNTH_NORMAL, 4000 + (uint64_t)k, 500.0, 1, &err), &err);
        REQUIRE_OK(make(&af, ECG_SYNTH_CD_AFIB, 4000 + (uint64_t)k, 500.0, 1, &err), &err);
        irregular += rr_cv(&af) > 0.08;
        regular += rr_cv(&normal) < 0.06;
        double af_slope = gap_activity(&af, 0.1), normal_slope = gap_activity(&normal, 0.25);
        CHECK_MSG(af_slope > 0.8, "seed %d: f-wave slope %.2f mV/s", 4000 + k, af_slope);
        CHECK_MSG(normal_slope < 0.4, "seed %d: normal T-Q slope %.2f mV/s", 4000 + k, normal_slope);
        double when;   /* no P wave where the normal record has one */
        extreme(&normal, II, -0.3, -0.08, 1, &when);
        CHECK_MSG(level(&normal, II, when) > 0.05, "seed %d: normal P %.3f mV", 4000 + k, level(&normal, II, when));
        drop(&normal);
        drop(&af);
    }
    CHECK_MSG(irregular >= N_SEEDS - 2, "AF: RR irregular in %d of %d", irregular, N_SEEDS);
    CHECK_MSG(regular == N_SEEDS, "normal: RR regular in %d of %d", regular, N_SEEDS);
}

static double sokolow_lyon(const Synth *s)
{
    double when;
    return -extreme(s, V1, -0.04, 0.08, -1, &when) + extreme(s, V5, -0.04, 0.04, 1, &when);
}

static void test_lvh(void)
{
    EcgError err = {0};
    int high = 0, normal_high = 0;
    for (int k = 0; k < N_SEEDS; k++) {
        Synth normal, lvh;
        REQUIRE_OK(make(&normal, ECG_SYNTH_NORMAL, 4000 + (uint64_t)k, 500.0, 1, &err), &err);
        REQUIRE_OK(make(&lvh, ECG_SYNTH_HYP_LVH, 4000 + (uint64_t)k, 500.0, 1, &err), &err);
        high += sokolow_lyon(&lvh) > 3.5;
        normal_high += sokolow_lyon(&normal) > 3.5;
        CHECK_MSG(t_at_normal_peak(&lvh, &normal, V6) < -0.05, "seed %d: no strain T in V6", 4000 + k);
        drop(&normal);
        drop(&lvh);
    }
    CHECK_MSG(high >= N_SEEDS - 2, "LVH: Sokolow-Lyon > 3.5 mV in %d of %d", high, N_SEEDS);
    CHECK_MSG(normal_high <= N_SEEDS / 10, "normal: Sokolow-Lyon > 3.5 mV in %d of %d", normal_high, N_SEEDS);
}

/* ---- R-peak detection on synthetic records ---- */

static void test_rpeak_detection(void)
{
    enum { N = 100 };
    const double rates[] = {500.0, 100.0}, tolerance_s = 0.15;
    EcgError err = {0};
    for (int r = 0; r < 2; r++) {
        size_t n_true = 0, n_found = 0, n_matched = 0;
        size_t missed[ECG_SYNTH_N_KINDS] = {0}, extra[ECG_SYNTH_N_KINDS] = {0};
        for (int k = 0; k < N; k++) {
            EcgSynthKind kind = (EcgSynthKind)(k % ECG_SYNTH_N_KINDS);
            Synth s;
            REQUIRE_OK(make(&s, kind, 5000 + (uint64_t)k, rates[r], 0, &err), &err);
            size_t *found, n;
            REQUIRE_OK(ecg_detect_rpeaks(ecg_record_lead(&s.rec, II), s.rec.n_samples, s.rec.fs, &found, &n, &err),
                       &err);
            size_t tol = (size_t)lround(tolerance_s * s.rec.fs), j = 0, matched = 0;
            for (size_t b = 0; b < s.truth.n_r_peaks; b++) {   /* both lists increase: merge */
                size_t t = s.truth.r_peaks[b];
                while (j < n && found[j] + tol < t)
                    j++;
                if (j < n && found[j] <= t + tol) {
                    matched++;
                    j++;
                }
            }
            missed[kind] += s.truth.n_r_peaks - matched;
            extra[kind] += n - matched;
            n_true += s.truth.n_r_peaks;
            n_found += n;
            n_matched += matched;
            free(found);
            drop(&s);
        }
        double se = (double)n_matched / (double)n_true, ppv = (double)n_matched / (double)n_found;
        printf("# %g Hz: %zu beats, sensitivity %.4f, positive predictivity %.4f\n", rates[r], n_true, se, ppv);
        for (int k = 0; k < ECG_SYNTH_N_KINDS; k++)
            if (missed[k] || extra[k])
                printf("#   %s: %zu missed, %zu extra\n", ecg_synth_kind_info(k)->name, missed[k], extra[k]);
        CHECK(se >= 0.99 && ppv >= 0.99);
    }
}

/* ---- datasets ---- */

static void test_plan(void)
{
    enum { N = 200 };
    EcgSynthConfig cfg;
    ecg_synth_config_init(&cfg);
    cfg.seed = 11;
    EcgError err = {0};
    EcgSynthPlanItem *plan, *again, *other;
    REQUIRE_OK(ecg_synth_plan(N, &cfg, &plan, &err), &err);
    REQUIRE_OK(ecg_synth_plan(N, &cfg, &again, &err), &err);
    cfg.seed = 12;
    REQUIRE_OK(ecg_synth_plan(N, &cfg, &other, &err), &err);
    CHECK(memcmp(plan, again, N * sizeof *plan) == 0);
    CHECK(memcmp(plan, other, N * sizeof *plan) != 0);
    size_t per_kind[ECG_SYNTH_N_KINDS] = {0}, fold_normal[11] = {0}, fold_abnormal[11] = {0};
    int patient_seen[N + 1] = {0};
    for (size_t i = 0; i < N; i++) {
        const EcgSynthPlanItem *it = &plan[i];
        per_kind[it->kind]++;
        CHECK(it->meta.ecg_id == (int32_t)i + 1);
        CHECK(it->meta.strat_fold >= 1 && it->meta.strat_fold <= 10);
        CHECK(it->meta.age >= 18.0f && it->meta.age <= 90.0f && it->meta.age == roundf(it->meta.age));
        CHECK(it->meta.sex == 0 || it->meta.sex == 1);
        CHECK(it->meta.superclass == ecg_synth_kind_info(it->kind)->superclass);
        CHECK(it->meta.patient_id >= 1 && it->meta.patient_id <= N && !patient_seen[it->meta.patient_id]);
        patient_seen[it->meta.patient_id] = 1;
        (it->kind == ECG_SYNTH_NORMAL ? fold_normal : fold_abnormal)[it->meta.strat_fold]++;
    }
    CHECK(per_kind[ECG_SYNTH_NORMAL] == 110);
    for (int k = 1; k < ECG_SYNTH_N_KINDS; k++)
        CHECK_MSG(per_kind[k] >= 2, "%zu records of %s", per_kind[k], ecg_synth_kind_info(k)->name);
    for (int f = 1; f <= 10; f++) {
        CHECK_MSG(fold_normal[f] >= 10 && fold_normal[f] <= 12 && fold_abnormal[f] >= 8 && fold_abnormal[f] <= 10,
                  "fold %d: %zu normal, %zu abnormal", f, fold_normal[f], fold_abnormal[f]);
    }
    free(plan);
    free(again);
    free(other);
}

static int cancel_after(void *user, size_t done, size_t total)
{
    (void)total;
    return done >= *(size_t *)user;
}

static void test_dataset_round_trip(void)
{
    enum { N = 40 };
    char path[512];
    snprintf(path, sizeof path, "%s/synth.h5", test_tmpdir());
    EcgError err = {0};
    size_t calls = 1000;
    REQUIRE_OK(ecg_synth_dataset(path, N, 100.0, 5, cancel_after, &calls, &err), &err);
    EcgSynthConfig cfg;
    ecg_synth_config_init(&cfg);
    cfg.fs = 100.0;
    cfg.seed = 5;
    EcgSynthPlanItem *plan;
    REQUIRE_OK(ecg_synth_plan(N, &cfg, &plan, &err), &err);
    EcgDataset *ds;
    REQUIRE_OK(ecg_dataset_open(path, &ds, &err), &err);
    CHECK(ecg_dataset_count(ds) == N && ecg_dataset_fs(ds) == 100.0 && ecg_dataset_n_samples(ds) == 1000);
    CHECK(ecg_dataset_gain(ds) == 1000.0);
    CHECK(strcmp(ecg_dataset_source(ds), "ecglens synth v1 seed 5") == 0);
    int16_t counts[1000 * 12];
    for (size_t i = 0; i < N; i++) {
        const EcgRecordMeta *m = ecg_dataset_meta(ds, i);
        Synth s;
        EcgSynthConfig one = cfg;
        REQUIRE_OK(ecg_synth_generate(&one, plan[i].kind, plan[i].seed, &s.rec, &s.truth, &err), &err);
        CHECK(m->ecg_id == plan[i].meta.ecg_id && m->patient_id == plan[i].meta.patient_id);
        CHECK(m->age == plan[i].meta.age && m->sex == plan[i].meta.sex);
        CHECK(m->strat_fold == plan[i].meta.strat_fold && m->superclass == plan[i].meta.superclass);
        CHECK(m->quality == s.truth.quality);
        char text[256], want[32];
        REQUIRE_OK(ecg_dataset_read_text(ds, i, ECG_COL_SCP_CODES, text, sizeof text, &err), &err);
        CHECK(strcmp(text, ecg_synth_kind_info(plan[i].kind)->scp_codes) == 0);
        REQUIRE_OK(ecg_dataset_read_text(ds, i, ECG_COL_REPORT, text, sizeof text, &err), &err);
        CHECK(strncmp(text, ecg_synth_kind_info(plan[i].kind)->report, sizeof text - 1) == 0);
        REQUIRE_OK(ecg_dataset_read_text(ds, i, ECG_COL_FILENAME, text, sizeof text, &err), &err);
        snprintf(want, sizeof want, "synth/%05zu", i + 1);
        CHECK(strcmp(text, want) == 0);
        REQUIRE_OK(ecg_dataset_read_counts(ds, i, counts, &err), &err);
        size_t off = 0;
        for (size_t t = 0; t < 1000; t++)
            for (size_t l = 0; l < 12; l++)
                off += counts[t * 12 + l] != (int16_t)lround(1000.0 * ecg_record_lead(&s.rec, l)[t]);
        CHECK_MSG(off == 0, "record %zu: %zu samples differ from the generator's", i, off);
        drop(&s);
    }
    ecg_dataset_close(ds);
    free(plan);
}

/* A cancelled dataset leaves no file, and an existing one as it was. */
static void test_dataset_cancel(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/cancelled.h5", test_tmpdir());
    EcgError err = {0};
    size_t stop_at = 3;
    CHECK(ecg_synth_dataset(path, 10, 100.0, 1, cancel_after, &stop_at, &err) == ECG_ERR_CANCELLED);
    CHECK(strstr(err.message, "cancelled") != NULL);
    struct stat st;
    CHECK(stat(path, &st) != 0);
    FILE *f = fopen(path, "w");
    fputs("keep me", f);
    fclose(f);
    CHECK(ecg_synth_dataset(path, 10, 100.0, 1, cancel_after, &stop_at, &err) == ECG_ERR_CANCELLED);
    char buf[16] = {0};
    f = fopen(path, "r");
    CHECK(f && fread(buf, 1, sizeof buf - 1, f) == 7 && strcmp(buf, "keep me") == 0);
    if (f)
        fclose(f);
}

static void test_bad_arguments(void)
{
    EcgError err = {0};
    EcgRecord rec;
    EcgSynthConfig cfg;
    EcgSynthPlanItem *plan;
    CHECK(ecg_synth_record(ECG_SYNTH_NORMAL, 0.0, 10.0, 1, &rec, NULL, NULL, &err) == ECG_ERR_ARG);
    CHECK(strstr(err.message, "sampling frequency") != NULL);
    CHECK(rec.samples == NULL);
    CHECK(ecg_synth_record(ECG_SYNTH_NORMAL, NAN, 10.0, 1, &rec, NULL, NULL, &err) == ECG_ERR_ARG);
    CHECK(ecg_synth_record(ECG_SYNTH_NORMAL, 500.0, 0.0, 1, &rec, NULL, NULL, &err) == ECG_ERR_ARG);
    CHECK(ecg_synth_record(ECG_SYNTH_NORMAL, 500.0, -1.0, 1, &rec, NULL, NULL, &err) == ECG_ERR_ARG);
    CHECK(ecg_synth_record(ECG_SYNTH_N_KINDS, 500.0, 10.0, 1, &rec, NULL, NULL, &err) == ECG_ERR_ARG);
    CHECK(strstr(err.message, "kind") != NULL);
    ecg_synth_config_init(&cfg);
    CHECK(ecg_synth_plan(0, &cfg, &plan, &err) == ECG_ERR_ARG && plan == NULL);
    cfg.normal_fraction = 1.5;
    CHECK(ecg_synth_plan(10, &cfg, &plan, &err) == ECG_ERR_ARG);
    ecg_synth_config_init(&cfg);
    cfg.kind_weight[ECG_SYNTH_CD_PVC] = -1.0;
    CHECK(ecg_synth_plan(10, &cfg, &plan, &err) == ECG_ERR_ARG);
    CHECK(strstr(err.message, "pvc") != NULL);
    ecg_synth_config_init(&cfg);
    memset(cfg.kind_weight, 0, sizeof cfg.kind_weight);
    CHECK(ecg_synth_plan(10, &cfg, &plan, &err) == ECG_ERR_ARG);
    cfg.normal_fraction = 1.0;   /* all normal: weights are not needed */
    REQUIRE_OK(ecg_synth_plan(10, &cfg, &plan, &err), &err);
    for (size_t i = 0; i < 10; i++)
        CHECK(plan[i].kind == ECG_SYNTH_NORMAL);
    free(plan);
    char path[512];
    snprintf(path, sizeof path, "%s/no/such/dir/x.h5", test_tmpdir());
    CHECK(ecg_synth_dataset(path, 3, 100.0, 1, NULL, NULL, &err) == ECG_ERR_IO);
}

int main(void)
{
    RUN(test_kinds);
    RUN(test_determinism);
    RUN(test_rate_independence);
    RUN(test_einthoven);
    RUN(test_normal_amplitudes);
    RUN(test_heart_rate);
    RUN(test_noise);
    RUN(test_no_mains_at_100hz);
    RUN(test_mi);
    RUN(test_sttc);
    RUN(test_bundle_branch_blocks);
    RUN(test_av_block);
    RUN(test_pvc);
    RUN(test_afib);
    RUN(test_lvh);
    RUN(test_rpeak_detection);
    RUN(test_plan);
    RUN(test_dataset_round_trip);
    RUN(test_dataset_cancel);
    RUN(test_bad_arguments);
    ecg_dsp_cleanup();
    return test_done();
}
