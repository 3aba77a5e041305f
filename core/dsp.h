/* dsp.h — signal processing of ECG leads: zero-phase band-pass and notch filters,
 * FFT resampling, Welch power spectral density, R-peak detection.
 *
 * All filtering is done in the frequency domain (FFTW, single precision): a lead
 * is extended at both ends by reflection, transformed, multiplied by the filter's
 * squared magnitude |H(f)|^2 and transformed back. The result is what scipy's
 * filtfilt gives for the same IIR filter away from the edges (zero phase, |H|^2),
 * with fewer edge artefacts. Every function is safe to call from many threads at
 * once; ecg_dsp_cleanup() must not run concurrently with any of them.
 *
 * Samples are in mV; fs in Hz. A non-finite input sample is refused with
 * ECG_ERR_DATA ("sample 12 is NaN"); the caller adds the file or record name. */
#pragma once

#include <stddef.h>

#include "record.h"
#include "status.h"

/* Zero-phase band-pass with the magnitude of a forward-backward 4th-order
 * Butterworth (scipy butter(4, [low, high], 'bandpass', fs=fs) run by filtfilt).
 * low_hz <= 0: low-pass only; high_hz >= fs/2: high-pass only; both: a copy.
 * Refused: n == 0, fs <= 0, low_hz >= fs/2, low_hz >= high_hz, NaN arguments. */
int ecg_bandpass(float *x /* (n) in place */, size_t n, double fs, double low_hz, double high_hz,
                 EcgError *err);
/* The gain ecg_bandpass applies at frequency f, |H(f)|^2 (0..1). */
double ecg_bandpass_gain(double f, double fs, double low_hz, double high_hz);

/* Zero-phase notch at f0 with quality q (30 is usual): |H(f)|^2 of scipy's
 * iirnotch(f0, q, fs), i.e. -6 dB at f0 +- f0/(2q). Refused: f0 <= 0, f0 >= fs/2, q <= 0. */
int ecg_notch(float *x /* (n) in place */, size_t n, double fs, double f0, double q, EcgError *err);
double ecg_notch_gain(double f, double fs, double f0, double q);

/* Number of samples ecg_resample writes: round(n_in * fs_out / fs_in). */
size_t ecg_resample_length(size_t n_in, double fs_in, double fs_out);
/* FFT resampling of n_in samples at fs_in to n_out = ecg_resample_length() samples
 * at fs_out, out[j] at time j / fs_out. Like scipy.signal.resample, with two
 * differences that remove its edge artefacts: the signal is extended by odd
 * reflection before the FFT (no wrap-around), and the spectrum is rolled off
 * with a raised cosine over the top 20% below the lower of the two Nyquist
 * frequencies (40-50 Hz at 100 Hz) instead of cut like a brick wall (no ringing). fs_out / fs_in must
 * be a ratio of integers up to 10000 (100/500, 100/360, 500/1000, 160/147...). */
int ecg_resample(const float *in /* (n_in) */, size_t n_in, double fs_in, float *out /* (n_out) */,
                 size_t n_out, double fs_out, EcgError *err);

/* Welch power spectral density, as scipy.signal.welch with its defaults: periodic
 * Hann window of nperseg samples, 50% overlap, each segment's mean removed,
 * one-sided, density scaling (mV^2/Hz), mean over segments. n_freq = nperseg/2 + 1;
 * freqs[k] = k * fs / nperseg. Refused: nperseg < 2 or nperseg > n. */
int ecg_welch_psd(const float *x /* (n) */, size_t n, double fs, size_t nperseg,
                  float *freqs /* (n_freq) */, float *psd /* (n_freq) */, EcgError *err);

/* R peaks of one lead (any QRS polarity, fs >= 50 Hz). QRS energy (5-25 Hz
 * band-pass, derivative, square, 150 ms moving window) is searched with
 * adaptive thresholds, T-wave rejection, a 200 ms refractory period and
 * searchback for missed beats; each beat is then placed on the lead's dominant
 * QRS extremum. *peaks (n_peaks) holds increasing sample indices, malloc'ed
 * (NULL when there are none); the caller frees it. A flat lead has no peaks. */
int ecg_detect_rpeaks(const float *x /* (n) */, size_t n, double fs, size_t **peaks, size_t *n_peaks,
                      EcgError *err);
/* 60 / median RR interval in bpm; NaN with fewer than 2 peaks. */
double ecg_heart_rate_bpm(const size_t *peaks /* (n_peaks) */, size_t n_peaks, double fs);

/* Band-pass every lead of rec (as ecg_bandpass), with a notch at notch_hz
 * (q = 30) folded into the same pass when notch_hz > 0. Non-finite samples are
 * refused naming rec->id, the lead and the sample; rec is then unchanged. */
int ecg_record_bandpass(EcgRecord *rec, double low_hz, double high_hz, double notch_hz, EcgError *err);
/* Resample every lead of rec to fs_out: replaces rec->samples, sets rec->fs and
 * rec->n_samples. On failure rec is unchanged. */
int ecg_record_resample(EcgRecord *rec, double fs_out, EcgError *err);

/* Destroy the cached FFTW plans (at exit, for leak checkers). */
void ecg_dsp_cleanup(void);
