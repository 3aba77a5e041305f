#!/usr/bin/python3
"""Write PyTorch's reconstruction of the seed CAE's sample record, compactly.

    /usr/bin/python3 tests/make-seed-cae-fixture.py [SHARED] [OUTPUT]

SHARED defaults to ../shared beside the source tree, OUTPUT to
tests/data/fixtures/seed-cae-expected.h5 (about 40 kB, committed, so the test
runs without torch). Needs Debian's python3-torch (1.13) and python3-h5py.

SHARED/seed-cae/seed-cae-weights.h5 holds the 12-lead-ECG-AD CAE's state_dict
under /weights and its sample record /sample/x (5000, 12). The weights are loaded
into tests/torch/models.py's CAE and the record is fed straight as one window
(B = 1, T = 5000, no preprocessing), as tests/test-seed-cae.c does with the C
model. The weights and the record stay in SHARED; the fixture keeps only a
check of the output:

    /                attrs format = "ecglens-fixture", version = 1, torch, weights_sha256,
                           input_sum (sum of /sample/x, to tell that the record is the same),
                           mse (mean squared reconstruction error), input_var (variance of
                           /sample/x over all values), ratio = mse / input_var
    /index           int32 [2000]   flat indices into the (5000, 12) reconstruction, sorted
    /value           float32 [2000] the reconstruction there
    /lead_ii         float32 [5000] the whole reconstruction of lead II
    /lead_mean       float64 [12]   mean of the reconstruction per lead
    /lead_mse        float64 [12]   mean squared error per lead
"""
import hashlib
import os
import sys

import h5py
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "torch"))
from models import CAE  # noqa: E402

N_SAMPLED = 2000
SEED = 20240601


def main():
    shared = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "shared")
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "data", "fixtures", "seed-cae-expected.h5")
    weights = os.path.join(shared, "seed-cae", "seed-cae-weights.h5")
    torch.set_num_threads(1)

    model = CAE()
    with h5py.File(weights, "r") as f:
        state = {name: torch.from_numpy(f["weights"][name][()]) for name in f["weights"]}
        x = f["sample/x"][()].astype(np.float32)  # (5000, 12)
    model.load_state_dict(state, strict=True)
    model.eval()
    with torch.no_grad():
        y = model(torch.from_numpy(x)[None])[0].numpy()  # (5000, 12)
    with open(weights, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()

    x64, y64 = x.astype(np.float64), y.astype(np.float64)
    mse = float(np.mean((y64 - x64) ** 2))
    var = float(np.var(x64))
    index = np.sort(np.random.RandomState(SEED).choice(y.size, N_SAMPLED, replace=False)).astype(np.int32)

    with h5py.File(out, "w", track_order=False) as f:
        f.attrs["format"] = "ecglens-fixture"
        f.attrs["version"] = 1
        f.attrs["torch"] = str(torch.__version__)
        f.attrs["weights_sha256"] = sha
        f.attrs["input_sum"] = float(x64.sum())
        f.attrs["mse"] = mse
        f.attrs["input_var"] = var
        f.attrs["ratio"] = mse / var
        f.create_dataset("index", data=index, track_times=False)
        f.create_dataset("value", data=y.reshape(-1)[index], track_times=False)
        f.create_dataset("lead_ii", data=y[:, 1].copy(), track_times=False)
        f.create_dataset("lead_mean", data=y64.mean(axis=0), track_times=False)
        f.create_dataset("lead_mse", data=((y64 - x64) ** 2).mean(axis=0), track_times=False)
    print(f"{out}: mse {mse:.6g}, input variance {var:.6g}, ratio {100 * mse / var:.3f}%")


if __name__ == "__main__":
    main()
