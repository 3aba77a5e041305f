"""PyTorch reference for `ecglens-cli bench`: training windows/s and the time to
score a 10 s record at 100 Hz for the three models, one thread by default.

Scoring is timed on the same work as ecglens's (score_record: preprocessing,
windows, model, point scores averaged back, lead and record scores), as the
median of runs like ecglens's; the model alone on the stacked windows is given
beside it (infer_model_only_ms).

    /usr/bin/python3 tests/torch/bench.py [--threads 1] [--window 256] [--batch 32] [--json]
"""
import argparse
import json
import math
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import models  # noqa: E402


def windows_of_record(n_samples, window, stride):
    """Window starts covering n_samples, the last one aligned to the end."""
    starts = list(range(0, max(n_samples - window, 0) + 1, stride))
    if starts[-1] + window < n_samples:
        starts.append(n_samples - window)
    return starts


def bench_train(kind, window, batch, seconds):
    torch.manual_seed(0)
    model = models.make(kind)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randn(batch, window, 12)

    def step():
        opt.zero_grad()
        if kind == "cae":
            loss = torch.mean((model(x) - x) ** 2)
        else:
            eps = torch.randn(batch, window, model.latent)
            out = model(x, eps)
            loss, _, _ = models.vae_loss(x, out[0], out[1], out[2], out[3], 1.0)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    step()  # warm-up
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds or n < 2:
        step()
        n += 1
    return n * batch / (time.perf_counter() - t0)


def bandpass_gain(nfft, fs, low, high):
    """Zero-phase gain of the band-pass on the rfft bins, as ecglens builds it for each
    record: bilinear prewarping and a squared Butterworth magnitude (order 4 per edge)."""
    v = torch.tan(torch.pi * torch.arange(nfft // 2 + 1, dtype=torch.float64) / nfft)
    v1, v2 = math.tan(math.pi * low / fs), math.tan(math.pi * high / fs)
    r = (v - v1 * v2 / v.clamp(min=1e-12)) / (v2 - v1)
    return (1 / (1 + r ** 8)).float()


def score_record(model, record, window, stride, fs=100.0, low=0.5, high=40.0):
    """What `ecglens-cli bench` times as scoring a record: the preprocessing of the
    model's config (zero-phase band-pass through the FFT with odd-reflected ends,
    per-lead z-score), the overlapping windows through the model, squared errors,
    reconstruction and point scores averaged back onto the record, lead and record
    scores."""
    n = record.shape[0]
    x = record.t()  # (12, n)
    pad = min(int(math.ceil(fs / low)), n - 1)
    ext = torch.cat([2 * x[:, :1] - x[:, 1:pad + 1].flip(1), x,
                     2 * x[:, -1:] - x[:, n - pad - 1:n - 1].flip(1)], 1)
    nfft = ext.shape[1]
    y = torch.fft.irfft(torch.fft.rfft(ext) * bandpass_gain(nfft, fs, low, high), nfft)
    y = y[:, pad:pad + n]
    y = (y - y.mean(1, keepdim=True)) / y.std(1, unbiased=False, keepdim=True).clamp(min=1e-6)
    y = y.t().contiguous()  # (n, 12)
    starts = windows_of_record(n, window, stride)
    xs = torch.stack([y[s:s + window] for s in starts])
    out = model(xs)
    if isinstance(out, tuple):  # a VAE: Gaussian NLL and sigmas
        x_mean, lv = out[0], out[1]
        point = 0.5 * (math.log(2 * math.pi) + lv + (xs - x_mean) ** 2 * torch.exp(-lv))
        per_window = (x_mean, point, torch.exp(0.5 * lv))
    else:
        x_mean = out
        per_window = (x_mean, (xs - x_mean) ** 2)
    count = torch.zeros(n, 1)
    averaged = [torch.zeros(n, 12) for _ in per_window]
    for i, s in enumerate(starts):
        count[s:s + window] += 1
        for avg, v in zip(averaged, per_window):
            avg[s:s + window] += v[i]
    for avg in averaged:
        avg /= count
    lead_score = averaged[1].mean(0)
    return averaged, lead_score, lead_score.mean()


def median_ms(fn, seconds, min_runs):
    fn()
    times, t0 = [], time.perf_counter()
    while time.perf_counter() - t0 < seconds or len(times) < min_runs:
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e3


def bench_infer(kind, window, stride, seconds):
    """Median ms to score a 10 s record at 100 Hz the way ecglens does (the figure
    compared), and to run only the model on the stacked windows (for reference)."""
    torch.manual_seed(0)
    model = models.make(kind).eval()
    record = torch.randn(1000, 12)  # 10 s at 100 Hz
    starts = windows_of_record(1000, window, stride)
    with torch.no_grad():
        full = median_ms(lambda: score_record(model, record, window, stride), seconds / 2, 5)
        model_only = median_ms(
            lambda: model(torch.stack([record[s:s + window] for s in starts])), seconds / 2, 5)
    return full, model_only


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--window", type=int, default=256)
    ap.add_argument("--stride", type=int, default=128)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--model", action="append")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    results = {}
    for kind in a.model or ["cae", "vae_bilstm", "vae_bilstm_mha"]:
        full, model_only = bench_infer(kind, a.window, a.stride, a.seconds)
        results[kind] = {
            "train_windows_per_s": bench_train(kind, a.window, a.batch, a.seconds),
            "infer_ms_per_record": full,
            "infer_model_only_ms": model_only,
        }
    if a.json:
        print(json.dumps({"torch": torch.__version__, "threads": a.threads, "results": results}))
    else:
        for kind, r in results.items():
            print(f"{kind:16s} train {r['train_windows_per_s']:8.1f} windows/s   "
                  f"score a 10 s record {r['infer_ms_per_record']:7.2f} ms "
                  f"(model alone {r['infer_model_only_ms']:.2f} ms)")


if __name__ == "__main__":
    main()
