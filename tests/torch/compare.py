"""ecglens against PyTorch on the same machine in the same run: training
windows/s and the time to score a 10 s record, for the three models, as ratios.

    /usr/bin/python3 tests/torch/compare.py [--cli build/app/ecglens-cli] [--threads 1] [--rounds 2]
        [--model cae]

Each round runs `ecglens-cli bench --json` and then this directory's bench.py
with the same window, batch and thread count, so both see the same machine load;
the best round of each is reported. Scoring times the same work on both sides
(see bench.py's score_record); PyTorch's model alone is printed beside it.
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def run_json(cmd, env=None):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", default=os.path.join(HERE, "..", "..", "build", "app", "ecglens-cli"))
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--window", type=int, default=256)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--model", help="one kind only (cae, vae_bilstm, vae_bilstm_mha)")
    a = ap.parse_args()
    common = ["--threads", str(a.threads), "--window", str(a.window), "--batch", str(a.batch),
              "--seconds", str(a.seconds), "--json"] + (["--model", a.model] if a.model else [])
    best_c, best_t = {}, {}
    for _ in range(a.rounds):
        c = run_json([a.cli, "bench"] + common)
        # PyTorch gets the same OpenBLAS kernels the ecglens run used (it may not know the CPU either)
        env = dict(os.environ, OPENBLAS_CORETYPE=c["kernels"])
        if a.threads == 1:  # torch.set_num_threads(1) does not stop OpenBLAS's own threads
            env["OPENBLAS_NUM_THREADS"] = "1"
        t = run_json([sys.executable, os.path.join(HERE, "bench.py")] + common, env)
        for best, results in ((best_c, c["results"]), (best_t, t["results"])):
            for kind, r in results.items():
                b = best.setdefault(kind, dict(r))
                b["train_windows_per_s"] = max(b["train_windows_per_s"], r["train_windows_per_s"])
                b["infer_ms_per_record"] = min(b["infer_ms_per_record"], r["infer_ms_per_record"])
                if "infer_model_only_ms" in r:
                    b["infer_model_only_ms"] = min(b["infer_model_only_ms"], r["infer_model_only_ms"])
    print(f"threads {a.threads}, window {a.window}, batch {a.batch}, best of {a.rounds} rounds")
    print(f"{'model':16s} {'train w/s C':>12s} {'PyTorch':>9s} {'ratio':>6s}   {'score ms C':>10s} {'PyTorch':>8s} {'ratio':>6s}")
    for kind in best_c:
        c, t = best_c[kind], best_t[kind]
        print(f"{kind:16s} {c['train_windows_per_s']:12.1f} {t['train_windows_per_s']:9.1f} "
              f"{c['train_windows_per_s'] / t['train_windows_per_s']:6.2f}   "
              f"{c['infer_ms_per_record']:10.2f} {t['infer_ms_per_record']:8.2f} "
              f"{t['infer_ms_per_record'] / c['infer_ms_per_record']:6.2f}")
    print("score: the whole of scoring a record on both sides (preprocessing, windows, model, "
          "point scores averaged back);\n       PyTorch's model alone on the stacked windows: " +
          ", ".join(f"{k} {t['infer_model_only_ms']:.2f} ms" for k, t in best_t.items()))


if __name__ == "__main__":
    main()
