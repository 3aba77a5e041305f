"""PyTorch reference for `ecglens-cli bench`: training windows/s and the time to
score a 10 s record at 100 Hz for the three models, one thread by default.

    /usr/bin/python3 tests/torch/bench.py [--threads 1] [--window 256] [--batch 32] [--json]
"""
import argparse
import json
import os
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


def bench_infer(kind, window, stride, seconds):
    torch.manual_seed(0)
    model = models.make(kind).eval()
    record = torch.randn(1000, 12)  # 10 s at 100 Hz
    starts = windows_of_record(1000, window, stride)
    with torch.no_grad():
        def score():
            xs = torch.stack([record[s:s + window] for s in starts])
            out = model(xs)
            return out
        score()
        n, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds or n < 3:
            score()
            n += 1
    return (time.perf_counter() - t0) / n * 1e3


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
        results[kind] = {
            "train_windows_per_s": bench_train(kind, a.window, a.batch, a.seconds),
            "infer_ms_per_record": bench_infer(kind, a.window, a.stride, a.seconds),
        }
    if a.json:
        print(json.dumps({"torch": torch.__version__, "threads": a.threads, "results": results}))
    else:
        for kind, r in results.items():
            print(f"{kind:16s} train {r['train_windows_per_s']:8.1f} windows/s   "
                  f"score a 10 s record {r['infer_ms_per_record']:7.2f} ms")


if __name__ == "__main__":
    main()
