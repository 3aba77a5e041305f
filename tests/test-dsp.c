/* DSP against analytic answers: filter magnitudes and zero phase, resampled
 * sinusoids, Welch PSD, R peaks on MIT-BIH record 100 and PTB-XL, bad inputs.
 *
 * Reference numbers marked "scipy" were computed with scipy 1.10:
 *   |H|^2 = abs(sosfreqz(butter(4, band, kind, fs=fs, output='sos'), [f], fs=fs)[1])**2
 *   |H|^2 = abs(freqz(*iirnotch(f0, q, fs), [f], fs=fs)[1])**2
 *   welch(x, fs=100.0, nperseg=8) */
#include <pthread.h>
#include <time.h>

#include "dsp.h"
#include "test.h"
#include "wfdb.h"

// ----------------------------------------------------------------------------
// helpers

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

// Deterministic standard normal numbers (xorshift64* and Box-Muller).
static double randn(unsigned long long *state)
{
    double u[2];
    for (int i = 0; i < 2; i++) {
        *state ^= *state >> 12;
        *state ^= *state << 25;
        *state ^= *state >> 27;
        u[i] = ((double)((*state * 2685821657736338717ULL) >> 11) + 0.5) / 9007199254740992.0;
    }
    return sqrt(-2 * log(u[0])) * cos(2 * M_PI * u[1]);
}

static void fill_sine(float *x /* (n) */, size_t n, double fs, double f, double amp, double phase)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(amp * sin(2 * M_PI * f * (double)i / fs + phase));
}

// Amplitude of the f Hz sinusoid in x[lo, hi): least-squares fit of a sin + b cos.
static double sine_amplitude(const float *x, size_t lo, size_t hi, double fs, double f)
{
    double ss = 0, sc = 0, cc = 0, ys = 0, yc = 0;
    for (size_t i = lo; i < hi; i++) {
        double s = sin(2 * M_PI * f * (double)i / fs), c = cos(2 * M_PI * f * (double)i / fs);
        ss += s * s, sc += s * c, cc += c * c, ys += x[i] * s, yc += x[i] * c;
    }
    double det = ss * cc - sc * sc, a = (ys * cc - yc * sc) / det, b = (yc * ss - ys * sc) / det;
    return hypot(a, b);
}

static double db(double ratio)
{
    return 20 * log10(ratio);
}

// One-to-one matching of detected to reference beats (both increasing) within tol samples.
static size_t match_beats(const size_t *ref, size_t n_ref, const size_t *det, size_t n_det, size_t tol)
{
    size_t i = 0, j = 0, hits = 0;
    while (i < n_ref && j < n_det) {
        if (det[j] + tol < ref[i])
            j++;
        else if (ref[i] + tol < det[j])
            i++;
        else
            hits++, i++, j++;
    }
    return hits;
}

// ----------------------------------------------------------------------------
// band-pass and notch

static void test_bandpass_gain_reference(void)
{
    // scipy, butter(4, [0.5, 40], 'bandpass') at fs 500 and 100
    CHECK_NEAR(ecg_bandpass_gain(0.3, 500, 0.5, 40), 1.5522890687e-02, 1e-10);
    CHECK_NEAR(ecg_bandpass_gain(0.5, 500, 0.5, 40), 0.5, 1e-10);
    CHECK_NEAR(ecg_bandpass_gain(1, 500, 0.5, 40), 9.9712328279e-01, 1e-10);
    CHECK_NEAR(ecg_bandpass_gain(40, 500, 0.5, 40), 0.5, 1e-10);
    CHECK_NEAR(ecg_bandpass_gain(45, 500, 0.5, 40), 2.6693737891e-01, 1e-10);
    CHECK_NEAR(ecg_bandpass_gain(0.3, 100, 0.5, 40), 1.6091329917e-02, 1e-10);
    CHECK_NEAR(ecg_bandpass_gain(1, 100, 0.5, 40), 9.9656850573e-01, 1e-10);
    CHECK_NEAR(ecg_bandpass_gain(45, 100, 0.5, 40), 3.0802716564e-03, 1e-10);
    // scipy, butter(4, 5, 'highpass', fs=360) and butter(4, 40, 'lowpass', fs=250)
    CHECK_NEAR(ecg_bandpass_gain(1, 360, 5, 180), 2.5475409977e-06, 1e-14);
    CHECK_NEAR(ecg_bandpass_gain(20, 360, 5, 1e9), 9.9998586849e-01, 1e-10);
    CHECK_NEAR(ecg_bandpass_gain(20, 250, 0, 40), 9.9774141531e-01, 1e-10);
    CHECK_NEAR(ecg_bandpass_gain(60, 250, -1, 40), 1.3609562153e-02, 1e-10);
    // limits: DC and Nyquist
    CHECK(ecg_bandpass_gain(0, 500, 0.5, 40) == 0);
    CHECK(ecg_bandpass_gain(250, 500, 0.5, 40) == 0);
    CHECK(ecg_bandpass_gain(0, 500, 0, 40) == 1);
    CHECK(ecg_bandpass_gain(250, 500, 0.5, 250) == 1);

    // the analog prototype at prewarped frequencies, written out independently
    for (double f = 0.1; f < 100; f *= 1.7) {
        double v = tan(M_PI * f / 500), v1 = tan(M_PI * 0.5 / 500), v2 = tan(M_PI * 40 / 500);
        double r = (v * v - v1 * v2) / (v * (v2 - v1));
        CHECK_NEAR(ecg_bandpass_gain(f, 500, 0.5, 40), 1 / (1 + pow(r, 8)), 1e-12);
    }

    // scipy, iirnotch(50, 30, 500) and iirnotch(60, 30, 360)
    CHECK_NEAR(ecg_notch_gain(45, 500, 50, 30), 9.7536864559e-01, 1e-10);
    CHECK_NEAR(ecg_notch_gain(49, 500, 50, 30), 5.9440371726e-01, 1e-10);
    CHECK_NEAR(ecg_notch_gain(50, 500, 50, 30), 0, 1e-20);
    CHECK_NEAR(ecg_notch_gain(55, 500, 50, 30), 9.7082044817e-01, 1e-10);
    CHECK_NEAR(ecg_notch_gain(59, 360, 60, 30), 5.0253878557e-01, 1e-10);
    CHECK_NEAR(ecg_notch_gain(65, 360, 60, 30), 9.5988235721e-01, 1e-10);
    // iirnotch's own coefficients, evaluated on the unit circle
    double w0 = 2 * M_PI * 50 / 500, beta = tan(w0 / 30 / 2), g = 1 / (1 + beta);
    for (double f = 1; f < 250; f += 7.3) {
        double w = 2 * M_PI * f / 500, num = 2 * g * (cos(w) - cos(w0));
        double den_re = 2 * g * (cos(w) - cos(w0)), den_im = 2 * (1 - g) * sin(w);
        CHECK_NEAR(ecg_notch_gain(f, 500, 50, 30), num * num / (den_re * den_re + den_im * den_im), 1e-12);
    }
}

// Long sinusoids through the filter: the amplitude in the middle, against the gain.
static void check_bandpass_magnitude(double fs)
{
    const double freqs[10] = {0.3, 0.5, 1, 2, 5, 10, 20, 35, 40, 45};
    size_t n = (size_t)(60 * fs);
    float *x = malloc(n * sizeof *x);
    EcgError err = {0};
    double worst = 0;
    for (int i = 0; i < 10; i++) {
        fill_sine(x, n, fs, freqs[i], 1.0, 0.7);
        CHECK_OK(ecg_bandpass(x, n, fs, 0.5, 40, &err), &err);
        double got = sine_amplitude(x, n / 4, 3 * n / 4, fs, freqs[i]);
        double want = ecg_bandpass_gain(freqs[i], fs, 0.5, 40);
        CHECK_MSG(fabs(db(got / want)) < 0.1, "fs %g, %g Hz: gain %.6g, expected %.6g", fs, freqs[i], got, want);
        worst = fmax(worst, fabs(db(got / want)));
    }
    printf("# band-pass 0.5-40 Hz at fs %g: worst deviation from |H|^2 %.2g dB\n", fs, worst);
    free(x);
}

static void test_bandpass_magnitude(void)
{
    check_bandpass_magnitude(500);
    check_bandpass_magnitude(100);
}

static void test_bandpass_zero_phase(void)
{
    enum { N = 20000, AT = 8800 };  // 17 s from the ends: their reflections do not reach
    float *x = calloc(N, sizeof *x);
    EcgError err = {0};
    x[AT] = 1;
    CHECK_OK(ecg_bandpass(x, N, 500, 0.5, 40, &err), &err);
    size_t peak = 0;
    for (size_t i = 0; i < N; i++)
        if (fabsf(x[i]) > fabsf(x[peak]))
            peak = i;
    CHECK(peak == AT);
    double asym = 0;
    for (size_t k = 1; k < 3000; k++)
        asym = fmax(asym, fabs(x[AT + k] - x[AT - k]));
    CHECK_MSG(asym < 1e-6 * x[AT], "impulse response asymmetry %g of %g", asym, x[AT]);

    // a Gaussian pulse centred between two samples stays centred there
    for (size_t i = 0; i < N; i++)
        x[i] = (float)exp(-0.5 * pow(((double)i - (AT + 0.5)) / 15, 2));
    CHECK_OK(ecg_bandpass(x, N, 500, 0.5, 40, &err), &err);
    CHECK(x[AT] > 0.5f && x[AT] > x[AT - 1] && x[AT + 1] > x[AT + 2]);
    asym = 0;
    for (size_t k = 0; k < 3000; k++)
        asym = fmax(asym, fabs(x[AT + 1 + k] - x[AT - k]));
    CHECK_MSG(asym < 1e-6, "Gaussian pulse asymmetry %g", asym);
    free(x);
}

static void test_notch(void)
{
    const double fs = 500, f0 = 50, q = 30;
    size_t n = (size_t)(30 * fs);
    float *x = malloc(n * sizeof *x);
    EcgError err = {0};
    const double freqs[3] = {f0, f0 - 5, f0 + 5};
    for (int i = 0; i < 3; i++) {
        fill_sine(x, n, fs, freqs[i], 1.0, 0.3);
        CHECK_OK(ecg_notch(x, n, fs, f0, q, &err), &err);
        double got = sine_amplitude(x, n / 4, 3 * n / 4, fs, freqs[i]);
        if (i == 0)
            CHECK_MSG(db(got) < -40, "gain at %g Hz is %.1f dB", f0, db(got));
        else
            CHECK_MSG(fabs(db(got / ecg_notch_gain(freqs[i], fs, f0, q))) < 0.1, "%g Hz: gain %g, expected %g",
                      freqs[i], got, ecg_notch_gain(freqs[i], fs, f0, q));
    }
    free(x);
}

// The record call filters every lead as ecg_bandpass does, with the notch folded in.
static void test_record_bandpass(void)
{
    enum { N = 3000 };
    EcgRecord rec;
    EcgError err = {0};
    REQUIRE_OK(ecg_record_init(&rec, 2, N, 500, &err), &err);
    float *ref = malloc(2 * N * sizeof *ref);  // (2, N)
    for (size_t l = 0; l < 2; l++)
        for (size_t i = 0; i < N; i++)
            ecg_record_lead(&rec, l)[i] = (float)(sin(0.01 * (double)(i * (l + 1))) + 0.5 * sin(2 * M_PI * 50 * (double)i / 500));
    memcpy(ref, rec.samples, 2 * N * sizeof *ref);
    CHECK_OK(ecg_record_bandpass(&rec, 0.5, 40, 0, &err), &err);
    for (size_t l = 0; l < 2; l++) {
        CHECK_OK(ecg_bandpass(ref + l * N, N, 500, 0.5, 40, &err), &err);
        CHECK(memcmp(ref + l * N, ecg_record_lead(&rec, l), N * sizeof *ref) == 0);
    }
    // with the notch: the same as band-pass then notch, away from the ends
    for (size_t l = 0; l < 2; l++)
        for (size_t i = 0; i < N; i++)
            ecg_record_lead(&rec, l)[i] = ref[l * N + i] = (float)(sin(0.02 * (double)i) + 0.5 * sin(2 * M_PI * 50 * (double)i / 500));
    CHECK_OK(ecg_record_bandpass(&rec, 0.5, 40, 50, &err), &err);
    CHECK_OK(ecg_bandpass(ref, N, 500, 0.5, 40, &err), &err);
    CHECK_OK(ecg_notch(ref, N, 500, 50, 30, &err), &err);
    double diff = 0;
    for (size_t i = N / 4; i < 3 * N / 4; i++)
        diff = fmax(diff, fabs(ref[i] - rec.samples[i]));
    CHECK_MSG(diff < 1e-4, "record band-pass with notch differs by %g", diff);
    free(ref);
    ecg_record_clear(&rec);
}

// ----------------------------------------------------------------------------
// resampling

// Sinusoids of 1, 7.5 and 23 Hz at several phases, over the input's time span:
// the error is below 1e-3 from 0.15 s inside the ends, and at the ends themselves
// below 0.01 at 1 Hz, 0.02 at 7.5 Hz and 0.12 at 23 Hz (up-sampling 23 Hz from 100 Hz,
// 4.3 samples a period, leaves the most to the reflection).
static void check_resample(double fs_in, double fs_out)
{
    const double freqs[3] = {1, 7.5, 23}, end_tol[3] = {0.01, 0.02, 0.12};
    size_t n_in = (size_t)(10 * fs_in), n_out = ecg_resample_length(n_in, fs_in, fs_out);
    CHECK(n_out == (size_t)(10 * fs_out));
    float *in = malloc(n_in * sizeof *in), *out = malloc(n_out * sizeof *out);
    EcgError err = {0};
    double inner = 0, span = (double)(n_in - 1) / fs_in;  // s
    for (int i = 0; i < 3; i++) {
        double ends = 0;
        for (double phase = 0; phase < 6.3; phase += 0.9) {
            fill_sine(in, n_in, fs_in, freqs[i], 1.0, phase);
            CHECK_OK(ecg_resample(in, n_in, fs_in, out, n_out, fs_out, &err), &err);
            for (size_t j = 0; (double)j / fs_out <= span; j++) {
                double t = (double)j / fs_out, e = fabs(out[j] - sin(2 * M_PI * freqs[i] * t + phase));
                if (t >= 0.15 && t <= span - 0.15)
                    inner = fmax(inner, e);
                else
                    ends = fmax(ends, e);
            }
        }
        printf("# resample %g -> %g Hz, %g Hz wave: max error %.2g at the ends\n", fs_in, fs_out, freqs[i], ends);
        CHECK_MSG(ends < end_tol[i], "%g -> %g Hz, %g Hz: error at the ends %g", fs_in, fs_out, freqs[i], ends);
    }
    printf("# resample %g -> %g Hz: max error %.2g from 0.15 s inside the ends\n", fs_in, fs_out, inner);
    CHECK_MSG(inner < 1e-3, "%g -> %g Hz: error %g", fs_in, fs_out, inner);
    free(in);
    free(out);
}

static void test_resample_sinusoids(void)
{
    check_resample(500, 100);
    check_resample(100, 500);
    check_resample(360, 100);
    check_resample(1000, 500);
    check_resample(360, 500);
}

static void test_resample_lengths_and_record(void)
{
    CHECK(ecg_resample_length(5000, 500, 100) == 1000);
    CHECK(ecg_resample_length(1000, 100, 500) == 5000);
    CHECK(ecg_resample_length(650000, 360, 100) == 180556);
    CHECK(ecg_resample_length(7, 360, 100) == 2);
    CHECK(ecg_resample_length(10, 0, 100) == 0);

    // short inputs, down to one sample, work
    float one = 0.25f, three[3] = {1, 2, 3}, out[15];
    EcgError err = {0};
    CHECK_OK(ecg_resample(&one, 1, 100, out, 5, 500, &err), &err);
    CHECK_NEAR(out[0], 0.25, 1e-6);
    CHECK_NEAR(out[4], 0.25, 1e-6);
    CHECK_OK(ecg_resample(three, 3, 100, out, 15, 500, &err), &err);
    CHECK_NEAR(out[5], 2, 1e-5);
    CHECK_OK(ecg_resample(three, 3, 250, out, 3, 250, &err), &err);  // the same rate: a copy
    CHECK(memcmp(out, three, sizeof three) == 0);

    // the record call resamples every lead as ecg_resample does
    EcgRecord rec;
    REQUIRE_OK(ecg_record_init(&rec, 3, 3600, 360, &err), &err);
    strcpy(rec.id, "r");
    for (size_t l = 0; l < 3; l++)
        fill_sine(ecg_record_lead(&rec, l), 3600, 360, 2.0 * (double)(l + 1), 1.0, 0.1);
    float ref[1000];
    CHECK_OK(ecg_resample(ecg_record_lead(&rec, 2), 3600, 360, ref, 1000, 100, &err), &err);
    CHECK_OK(ecg_record_resample(&rec, 100, &err), &err);
    CHECK(rec.n_samples == 1000 && rec.fs == 100);
    CHECK(memcmp(ref, ecg_record_lead(&rec, 2), sizeof ref) == 0);
    ecg_record_clear(&rec);
}

// ----------------------------------------------------------------------------
// Welch

static void test_welch(void)
{
    // scipy, welch(x, fs=100.0, nperseg=8) with x[i] = sin(0.3 i) + 0.05 i + 0.2 ((7 i) % 5)
    float x[40], freqs[5], psd[5];
    for (int i = 0; i < 40; i++)
        x[i] = (float)(sin(0.3 * i) + 0.05 * i + 0.2 * ((i * 7) % 5));
    const double want[5] = {9.228289248e-04, 4.758860607e-03, 1.624272870e-03, 2.954625557e-03, 1.357382259e-03};
    EcgError err = {0};
    CHECK_OK(ecg_welch_psd(x, 40, 100, 8, freqs, psd, &err), &err);
    for (int k = 0; k < 5; k++) {
        CHECK_NEAR(freqs[k], 12.5 * k, 1e-6);
        CHECK_NEAR(psd[k], want[k], 1e-6 * want[k] + 1e-9);
    }
    // odd nperseg: no Nyquist bin; scipy, welch(x[:37], fs=100.0, nperseg=9)
    const double want_odd[5] = {1.404897306e-03, 6.493443854e-03, 1.425841560e-03, 1.918321798e-03, 3.453534032e-03};
    CHECK_OK(ecg_welch_psd(x, 37, 100, 9, freqs, psd, &err), &err);
    for (int k = 0; k < 5; k++)
        CHECK_NEAR(psd[k], want_odd[k], 1e-6 * want_odd[k] + 1e-9);

    // white noise of variance s^2: flat at 2 s^2 / fs
    enum { N = 150000, SEG = 256, NF = SEG / 2 + 1 };
    const double fs = 250, sigma = 0.5;
    float *noise = malloc(N * sizeof *noise), f[NF], p[NF];
    unsigned long long state = 42;
    for (size_t i = 0; i < N; i++)
        noise[i] = (float)(sigma * randn(&state));
    CHECK_OK(ecg_welch_psd(noise, N, fs, SEG, f, p, &err), &err);
    double mean = 0, worst = 0;
    for (int k = 1; k < NF - 1; k++) {
        mean += p[k] / (NF - 2);
        worst = fmax(worst, fabs(p[k] / (2 * sigma * sigma / fs) - 1));
    }
    CHECK_NEAR(mean / (2 * sigma * sigma / fs), 1, 0.02);
    CHECK_MSG(worst < 0.25, "a bin of white noise is off by %.0f%%", 100 * worst);

    // a sinusoid's power integrates to A^2 / 2
    fill_sine(noise, N, fs, 23.3, 2.0, 0.4);
    CHECK_OK(ecg_welch_psd(noise, N, fs, SEG, f, p, &err), &err);
    double power = 0;
    for (int k = 0; k < NF; k++)
        power += p[k] * fs / SEG;
    CHECK_NEAR(power, 2.0, 2e-3);
    free(noise);
}

// ----------------------------------------------------------------------------
// R peaks

// A synthetic lead: P, QRS (q, R, s) and T waves as Gaussians at known beat times,
// baseline wander and noise; sign -1 flips the polarity. beats (capacity) gets the
// R positions in samples; returns their count.
static size_t synth_lead(float *x /* (n) */, size_t n, double fs, double sign, size_t *beats, size_t capacity)
{
    const struct { double at, width, amp; } waves[] = {
        {-0.16, 0.025, 0.15}, {-0.025, 0.008, -0.15}, {0, 0.010, 1.2}, {0.028, 0.010, -0.3}, {0.26, 0.045, 0.35},
    };
    unsigned long long state = 7;
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(0.3 * sin(2 * M_PI * 0.2 * (double)i / fs) + 0.02 * randn(&state));
    size_t n_beats = 0;
    for (double t = 0.4; t < (double)n / fs - 0.4 && n_beats < capacity; t += 0.8 + 0.15 * sin(t)) {
        for (size_t w = 0; w < sizeof waves / sizeof waves[0]; w++) {
            double c = t + waves[w].at;
            size_t lo = (size_t)fmax(0, (c - 4 * waves[w].width) * fs), hi = (size_t)fmin((double)n, (c + 4 * waves[w].width) * fs);
            for (size_t i = lo; i < hi; i++)
                x[i] += (float)(sign * waves[w].amp * exp(-0.5 * pow(((double)i / fs - c) / waves[w].width, 2)));
        }
        beats[n_beats++] = (size_t)lround(t * fs);
    }
    return n_beats;
}

static void test_rpeaks_synthetic(void)
{
    const double rates[5] = {100, 250, 360, 500, 1000};
    for (int r = 0; r < 5; r++)
        for (double sign = 1; sign >= -1; sign -= 2) {
            double fs = rates[r];
            size_t n = (size_t)(30 * fs), truth[64], *peaks, n_peaks;
            float *x = malloc(n * sizeof *x);
            size_t n_truth = synth_lead(x, n, fs, sign, truth, 64);
            EcgError err = {0};
            CHECK_OK(ecg_detect_rpeaks(x, n, fs, &peaks, &n_peaks, &err), &err);
            size_t hits = match_beats(truth, n_truth, peaks, n_peaks, (size_t)(0.01 * fs) + 1);
            CHECK_MSG(hits == n_truth && n_peaks == n_truth, "fs %g sign %g: %zu of %zu beats within 10 ms, %zu detected",
                      fs, sign, hits, n_truth, n_peaks);
            free(peaks);
            free(x);
        }
}

static void test_rpeaks_robust(void)
{
    enum { N = 5000 };
    float *x = calloc(N, sizeof *x);
    size_t *peaks, n_peaks;
    EcgError err = {0};
    // flat, and flat with an offset
    CHECK_OK(ecg_detect_rpeaks(x, N, 500, &peaks, &n_peaks, &err), &err);
    CHECK(n_peaks == 0 && peaks == NULL);
    for (size_t i = 0; i < N; i++)
        x[i] = 1.5f;
    CHECK_OK(ecg_detect_rpeaks(x, N, 500, &peaks, &n_peaks, &err), &err);
    CHECK(n_peaks == 0);
    // noise: whatever is found is increasing and 200 ms apart
    unsigned long long state = 3;
    for (size_t i = 0; i < N; i++)
        x[i] = (float)(0.2 * randn(&state));
    CHECK_OK(ecg_detect_rpeaks(x, N, 500, &peaks, &n_peaks, &err), &err);
    for (size_t i = 1; i < n_peaks; i++)
        CHECK(peaks[i] > peaks[i - 1] && peaks[i] < N);
    free(peaks);
    // very short inputs
    for (size_t n = 1; n <= 64; n *= 4) {
        CHECK_OK(ecg_detect_rpeaks(x, n, 360, &peaks, &n_peaks, &err), &err);
        CHECK(n_peaks <= 1);
        free(peaks);
    }
    // heart rate from the median RR
    size_t beats[5] = {100, 600, 1100, 1700, 2200};
    CHECK_NEAR(ecg_heart_rate_bpm(beats, 5, 500), 60.0, 1e-9);
    CHECK(isnan(ecg_heart_rate_bpm(beats, 1, 500)));
    free(x);
}

// One lead of a record: R peaks within 150 ms of the cardiologists' beats.
static void check_mitbih_lead(const EcgRecord *rec, const char *lead, const size_t *ref, size_t n_ref, double min)
{
    int l = ecg_record_find_lead(rec, lead);
    CHECK(l >= 0);
    if (l < 0)
        return;
    size_t *peaks, n_peaks;
    EcgError err = {0};
    double t0 = now_ms();
    CHECK_OK(ecg_detect_rpeaks(ecg_record_lead(rec, (size_t)l), rec->n_samples, rec->fs, &peaks, &n_peaks, &err), &err);
    double ms = now_ms() - t0;
    size_t hits = match_beats(ref, n_ref, peaks, n_peaks, (size_t)(0.15 * rec->fs));
    double se = (double)hits / (double)n_ref, ppv = n_peaks ? (double)hits / (double)n_peaks : 0;
    printf("# MIT-BIH 100 %s: %zu beats, %zu detected, Se %.4f +P %.4f (%.0f ms for 30 min)\n", lead, n_ref, n_peaks,
           se, ppv, ms);
    CHECK_MSG(se >= min && ppv >= min, "%s: Se %.4f +P %.4f", lead, se, ppv);
    free(peaks);
}

static void test_rpeaks_mitbih(void)
{
    const char *hea = test_shared_path("wfdb/100.hea"), *atr = test_shared_path("wfdb/100.atr");
    SKIP_IF(!hea || !atr, "MIT-BIH record 100 not in ../shared/wfdb");
    EcgRecord rec;
    EcgAnnotation *ann;
    size_t n_ann;
    EcgError err = {0};
    REQUIRE_OK(ecg_wfdb_read_record(hea, &rec, &err), &err);
    REQUIRE_OK(ecg_wfdb_read_annotations(atr, &ann, &n_ann, &err), &err);
    size_t *ref = malloc(n_ann * sizeof *ref), n_ref = 0;
    for (size_t i = 0; i < n_ann; i++)
        if (ecg_annotation_is_beat(ann[i].code))
            ref[n_ref++] = (size_t)ann[i].sample;
    CHECK(n_ref == 2273);
    check_mitbih_lead(&rec, "MLII", ref, n_ref, 0.995);
    check_mitbih_lead(&rec, "V5", ref, n_ref, 0.99);
    free(ref);
    free(ann);
    ecg_record_clear(&rec);
}

// Heart rate of PTB-XL records in leads II and V5: plausible, and the same in
// the 100 Hz and 500 Hz versions of each record.
static void test_rpeaks_ptbxl(void)
{
    SKIP_IF(!test_shared_path("ptbxl/records500/00000/00001_hr.hea"), "PTB-XL sample not in ../shared/ptbxl");
    for (int id = 1; id <= 12; id++) {
        double hr[2][2];  // (rate, lead)
        for (int r = 0; r < 2; r++) {
            char rel[64];
            snprintf(rel, sizeof rel, "ptbxl/records%s/00000/%05d_%s.hea", r ? "500" : "100", id, r ? "hr" : "lr");
            EcgRecord rec;
            EcgError err = {0};
            REQUIRE_OK(ecg_wfdb_read_record(test_shared_path(rel), &rec, &err), &err);
            const char *leads[2] = {"II", "V5"};
            for (int l = 0; l < 2; l++) {
                size_t *peaks, n_peaks;
                int li = ecg_record_find_lead(&rec, leads[l]);
                CHECK(li >= 0);
                const float *x = ecg_record_lead(&rec, li >= 0 ? (size_t)li : 0);
                CHECK_OK(ecg_detect_rpeaks(x, rec.n_samples, rec.fs, &peaks, &n_peaks, &err), &err);
                hr[r][l] = ecg_heart_rate_bpm(peaks, n_peaks, rec.fs);
                free(peaks);
            }
            ecg_record_clear(&rec);
        }
        for (int l = 0; l < 2; l++)
            CHECK_MSG(hr[0][l] > 35 && hr[0][l] < 180 && fabs(hr[0][l] - hr[1][l]) < 2,
                      "record %d lead %s: %.1f bpm at 100 Hz, %.1f at 500 Hz", id, l ? "V5" : "II", hr[0][l], hr[1][l]);
    }
}

// ----------------------------------------------------------------------------
// threads, speed, bad input

typedef struct {
    size_t n;
    const float *in;  // (n)
    float *out;       // (n)
    int status;
} Job;

static void *filter_job(void *arg)
{
    Job *job = arg;
    for (int rep = 0; rep < 20 && job->status == 0; rep++) {
        memcpy(job->out, job->in, job->n * sizeof *job->out);
        job->status = ecg_bandpass(job->out, job->n, 500, 0.5, 40, NULL);
    }
    return NULL;
}

// Threads planning and filtering different sizes at once get what one thread gets.
static void test_threads(void)
{
    enum { THREADS = 8, N = 6000 };
    ecg_dsp_cleanup();
    float *in = malloc(N * sizeof *in), *out = malloc(THREADS * N * sizeof *out), *ref = malloc(N * sizeof *ref);
    unsigned long long state = 11;
    for (size_t i = 0; i < N; i++)
        in[i] = (float)randn(&state);
    pthread_t tid[THREADS];
    Job jobs[THREADS];
    for (int t = 0; t < THREADS; t++) {
        jobs[t] = (Job){N - 500 * (size_t)(t % 4), in, out + t * N, 0};
        CHECK(pthread_create(&tid[t], NULL, filter_job, &jobs[t]) == 0);
    }
    for (int t = 0; t < THREADS; t++)
        pthread_join(tid[t], NULL);
    for (int t = 0; t < THREADS; t++) {
        memcpy(ref, in, jobs[t].n * sizeof *ref);
        CHECK(jobs[t].status == 0 && ecg_bandpass(ref, jobs[t].n, 500, 0.5, 40, NULL) == 0);
        CHECK(memcmp(ref, jobs[t].out, jobs[t].n * sizeof *ref) == 0);
    }
    free(in);
    free(out);
    free(ref);
}

// Timings in the TAP log (not checked: sanitizers and valgrind slow them down).
static void test_speed(void)
{
    EcgError err = {0};
    const double rates[2] = {500, 100};
    for (int r = 0; r < 2; r++) {
        EcgRecord rec;
        size_t n = (size_t)(10 * rates[r]);
        REQUIRE_OK(ecg_record_init(&rec, 12, n, rates[r], &err), &err);
        fill_sine(rec.samples, 12 * n, rates[r], 1.3, 1.0, 0);
        CHECK_OK(ecg_record_bandpass(&rec, 0.5, 40, 0, &err), &err);  // plans made
        double t0 = now_ms();
        for (int rep = 0; rep < 20; rep++)
            CHECK_OK(ecg_record_bandpass(&rec, 0.5, 40, 0, &err), &err);
        double bp = (now_ms() - t0) / 20;
        t0 = now_ms();
        for (int rep = 0; rep < 20; rep++)
            for (size_t l = 0; l < 12; l++)
                CHECK_OK(ecg_bandpass(ecg_record_lead(&rec, l), n, rates[r], 0.5, 40, &err), &err);
        double bp_leads = (now_ms() - t0) / 20;
        printf("# band-pass 12 x %zu at %g Hz: %.2f ms per record, %.2f ms as 12 ecg_bandpass calls\n", n, rates[r], bp,
               bp_leads);
        ecg_record_clear(&rec);
    }
    EcgRecord rec;
    REQUIRE_OK(ecg_record_init(&rec, 12, 5000, 500, &err), &err);
    fill_sine(rec.samples, 12 * 5000, 500, 1.3, 1.0, 0);
    double first = now_ms(), t0 = 0, down = 0, up = 0;
    for (int rep = 0; rep < 6; rep++) {  // the first round plans
        if (rep == 1)
            first = now_ms() - first, t0 = now_ms();
        CHECK_OK(ecg_record_resample(&rec, 100, &err), &err);
        double t1 = now_ms();
        CHECK_OK(ecg_record_resample(&rec, 500, &err), &err);
        if (rep > 0)
            down += (t1 - t0) / 5, up += (now_ms() - t1) / 5, t0 = now_ms();
    }
    printf("# resample 12 x 5000 500 -> 100 Hz: %.2f ms, 12 x 1000 back to 500 Hz: %.2f ms (%.0f ms the first time, "
           "planning)\n", down, up, first);
    ecg_record_clear(&rec);
}

static void test_bad_input(void)
{
    float x[32] = {0}, out[32], f[17], p[17];
    size_t *peaks, n_peaks;
    EcgError err = {0};
    CHECK(ecg_bandpass(x, 0, 500, 0.5, 40, &err) == ECG_ERR_ARG && strstr(err.message, "0 samples"));
    CHECK(ecg_bandpass(x, 32, 0, 0.5, 40, &err) == ECG_ERR_ARG && strstr(err.message, "sampling frequency"));
    CHECK(ecg_bandpass(x, 32, -500, 0.5, 40, &err) == ECG_ERR_ARG);
    CHECK(ecg_bandpass(x, 32, 500, 40, 0.5, &err) == ECG_ERR_ARG && strstr(err.message, "not below the high cut-off"));
    CHECK(ecg_bandpass(x, 32, 500, 40, 40, &err) == ECG_ERR_ARG);
    CHECK(ecg_bandpass(x, 32, 100, 60, 80, &err) == ECG_ERR_ARG && strstr(err.message, "Nyquist frequency 50 Hz"));
    CHECK(ecg_bandpass(x, 32, 100, NAN, 40, &err) == ECG_ERR_ARG && strstr(err.message, "NaN"));
    CHECK(ecg_notch(x, 32, 100, 50, 30, &err) == ECG_ERR_ARG && strstr(err.message, "notch at 50 Hz"));
    CHECK(ecg_notch(x, 32, 500, 50, 0, &err) == ECG_ERR_ARG && strstr(err.message, "quality"));
    CHECK(ecg_resample(x, 32, 500, out, 7, 100, &err) == ECG_ERR_ARG && strstr(err.message, "gives 6 samples, not 7"));
    CHECK(ecg_resample(x, 32, 500, out, 6, 0, &err) == ECG_ERR_ARG);
    CHECK(ecg_resample(x, 32, 500, out, 6, 100 * M_PI, &err) == ECG_ERR_ARG && strstr(err.message, "ratio"));
    CHECK(ecg_welch_psd(x, 16, 500, 32, f, p, &err) == ECG_ERR_ARG && strstr(err.message, "32 samples"));
    CHECK(ecg_welch_psd(x, 16, 500, 1, f, p, &err) == ECG_ERR_ARG);
    CHECK(ecg_detect_rpeaks(x, 32, 30, &peaks, &n_peaks, &err) == ECG_ERR_ARG && strstr(err.message, "50 Hz"));
    CHECK(peaks == NULL && n_peaks == 0);

    // non-finite samples are named; nothing is changed
    x[12] = NAN;
    CHECK(ecg_bandpass(x, 32, 500, 0.5, 40, &err) == ECG_ERR_DATA && strcmp(err.message, "sample 12 is NaN") == 0);
    CHECK(ecg_notch(x, 32, 500, 50, 30, &err) == ECG_ERR_DATA && strstr(err.message, "sample 12 is NaN"));
    CHECK(ecg_resample(x, 32, 500, out, 6, 100, &err) == ECG_ERR_DATA && strstr(err.message, "sample 12 is NaN"));
    CHECK(ecg_welch_psd(x, 32, 500, 16, f, p, &err) == ECG_ERR_DATA && strstr(err.message, "sample 12 is NaN"));
    CHECK(ecg_detect_rpeaks(x, 32, 500, &peaks, &n_peaks, &err) == ECG_ERR_DATA);
    x[12] = 0;
    x[5] = -INFINITY;
    CHECK(ecg_bandpass(x, 32, 500, 0.5, 40, &err) == ECG_ERR_DATA && strcmp(err.message, "sample 5 is infinite") == 0);
    CHECK(isinf(x[5]) && x[6] == 0);

    EcgRecord rec;
    REQUIRE_OK(ecg_record_init(&rec, 2, 100, 100, &err), &err);
    strcpy(rec.id, "00042_lr");
    ecg_record_set_lead_name(&rec, 1, "V2");
    ecg_record_lead(&rec, 0)[3] = 1;
    ecg_record_lead(&rec, 1)[7] = NAN;
    CHECK(ecg_record_bandpass(&rec, 0.5, 40, 0, &err) == ECG_ERR_DATA);
    CHECK(strstr(err.message, "00042_lr") && strstr(err.message, "V2") && strstr(err.message, "sample 7 is NaN"));
    CHECK(ecg_record_lead(&rec, 0)[3] == 1);
    CHECK(ecg_record_resample(&rec, 50, &err) == ECG_ERR_DATA && strstr(err.message, "00042_lr"));
    CHECK(rec.n_samples == 100 && rec.fs == 100);
    CHECK(ecg_record_resample(&rec, -1, &err) == ECG_ERR_ARG && strstr(err.message, "00042_lr: sampling frequency"));
    CHECK(ecg_record_bandpass(&rec, 0.5, 40, 60, &err) == ECG_ERR_ARG && strstr(err.message, "00042_lr: notch at 60 Hz"));
    ecg_record_clear(&rec);
}

int main(void)
{
    RUN(test_bandpass_gain_reference);
    RUN(test_bandpass_magnitude);
    RUN(test_bandpass_zero_phase);
    RUN(test_notch);
    RUN(test_record_bandpass);
    RUN(test_resample_sinusoids);
    RUN(test_resample_lengths_and_record);
    RUN(test_welch);
    RUN(test_rpeaks_synthetic);
    RUN(test_rpeaks_robust);
    RUN(test_rpeaks_mitbih);
    RUN(test_rpeaks_ptbxl);
    RUN(test_threads);
    RUN(test_speed);
    RUN(test_bad_input);
    ecg_dsp_cleanup();
    return test_done();
}
