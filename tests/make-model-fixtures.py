#!/usr/bin/python3
"""Write the PyTorch reference fixtures of the three models (DESIGN §4).

    /usr/bin/python3 tests/make-model-fixtures.py [OUTPUT]

Needs Debian's python3-torch (1.13) and python3-h5py; the output (default
tests/data/fixtures/models.h5, under 1 MB) is committed, so the tests run
without torch. tests/test-ref-models.c reads it. The models are those of
tests/torch/models.py, the specification the C models follow.

Format: HDF5, root attributes format = "ecglens-fixture", version = 1, torch.
One group per case with attributes kind, hidden, latent, lead_dim, lead_heads,
time_heads, B, T, beta, lr, max_norm, steps and hashed, and float32 datasets:

  x (B, T, 12), eps (B, T, latent) (VAEs)
  out/<name>     the forward with eps: x_mean, x_logvar, mu, logvar, time_attn,
                 lead_attn (those the kind gives)
  infer/<name>   the same without eps (z = mu)
  loss           [loss, recon, kl] per input point at beta (CAE: MSE, kl 0)
  train/eps      (steps, B, T, latent) the noise of each training step (VAEs)
  train/loss     (steps) the loss of each of `steps` steps of Adam (lr) with
                 gradient-norm clipping (max_norm), from the weights below

Cases at small sizes ("cae", whose sizes are fixed, "vae_bilstm",
"vae_bilstm_mha") hold PyTorch's random weights and every gradient:

  weights/<state_dict name>, grad/<state_dict name>

Cases at the default sizes ("vae_bilstm_default", "vae_bilstm_mha_default",
hashed = 1) would not fit whole: their weights are a counter-based hash both
sides compute, parameter element i of the tensor called name being

  scale * ((mix64(fnv1a64(name) + (i + 1) * 0x9e3779b97f4a7c15) >> 40) * 2^-23 - 1)

(mix64 the splitmix64 finaliser, arithmetic modulo 2^64), with scale in
weight_scale/<name>; of each gradient they store every (max(1, n // 128))-th
element in grad_sample/<name> and the Euclidean norm in grad_norm/<name>.
"""
import os
import sys

import h5py
import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "torch"))
import fixtures  # noqa: E402
import models  # noqa: E402
from fixtures import put  # noqa: E402

SEED = 20240602
BETA = 0.5
LR = 1e-3
MAX_NORM = 1.0
STEPS = 5
SMALL = dict(hidden=16, latent=8, lead_dim=4, lead_heads=2, time_heads=2)
DEFAULT = dict(hidden=128, latent=32, lead_dim=16, lead_heads=4, time_heads=8)
U64 = np.uint64
GOLDEN = 0x9e3779b97f4a7c15




def mix64(z):
    z = (z ^ (z >> U64(30))) * U64(0xbf58476d1ce4e5b9)
    z = (z ^ (z >> U64(27))) * U64(0x94d049bb133111eb)
    return z ^ (z >> U64(31))


def fnv1a64(name):
    h = 0xcbf29ce484222325
    for byte in name.encode():
        h = ((h ^ byte) * 0x100000001b3) % (1 << 64)
    return h


def hashed(name, n, scale):
    with np.errstate(over="ignore"):
        i = np.arange(1, n + 1, dtype=U64)
        z = mix64(U64(fnv1a64(name)) + i * U64(GOLDEN))
    u = (z >> U64(40)).astype(np.float64) * 2.0 ** -23 - 1.0
    return (scale * u).astype(np.float32)


def run(model, kind, x, eps, beta):
    """Forward (eps may be None), outputs by name and the loss terms."""
    if kind == "cae":
        x_mean = model(x)
        mse = torch.mean((x_mean - x) ** 2)
        return {"x_mean": x_mean}, (mse, mse, torch.zeros(()))
    x_mean, x_logvar, mu, logvar, time_w, lead_w = model(x, eps)
    out = {"x_mean": x_mean, "x_logvar": x_logvar, "mu": mu, "logvar": logvar}
    if time_w is not None:
        out["time_attn"] = time_w
        out["lead_attn"] = lead_w
    return out, models.vae_loss(x, x_mean, x_logvar, mu, logvar, beta)


def write_case(root, name, kind, sizes, B, T, hash_weights):
    model = models.make(kind, **({} if kind == "cae" else sizes))
    g = root.create_group(name)
    latent = 0 if kind == "cae" else sizes["latent"]
    attrs = dict(kind=kind, B=B, T=T, beta=BETA, lr=LR, max_norm=MAX_NORM,
                 steps=0 if hash_weights else STEPS, hashed=int(hash_weights))
    for k in ("hidden", "latent", "lead_dim", "lead_heads", "time_heads"):
        attrs[k] = 0 if kind == "cae" else sizes[k]
    g.attrs.update(attrs)

    with torch.no_grad():
        for pname, p in model.named_parameters():
            if hash_weights:
                scale = float(np.float32(float(p.abs().max()) or 0.1))  # as stored
                put(g, "weight_scale/" + pname, [scale])
                p.copy_(torch.from_numpy(hashed(pname, p.numel(), scale)).reshape(p.shape))
            elif not p.abs().max():  # zero-initialised biases would hide their use
                p.normal_(0.0, 0.1)
    if not hash_weights:
        for pname, p in model.state_dict().items():
            put(g, "weights/" + pname, p)

    x = torch.randn(B, T, 12)
    eps = torch.randn(B, T, latent) if latent else None
    put(g, "x", x)
    if eps is not None:
        put(g, "eps", eps)

    with torch.no_grad():
        out, _ = run(model, kind, x, None, BETA)
    for k, t in out.items():
        put(g, "infer/" + k, t)

    out, (loss, recon, kl) = run(model, kind, x, eps, BETA)
    for k, t in out.items():
        put(g, "out/" + k, t)
    put(g, "loss", torch.stack([loss, recon, kl]))
    loss.backward()
    for pname, p in model.named_parameters():
        if hash_weights:
            flat = p.grad.flatten()
            stride = max(1, flat.numel() // 128)
            put(g, "grad_sample/" + pname, flat[::stride])
            put(g, "grad_norm/" + pname, [float(flat.double().norm())])
        else:
            put(g, "grad/" + pname, p.grad)
    if hash_weights:
        return

    opt = torch.optim.Adam(model.parameters(), lr=LR)
    losses, step_eps = [], []
    for _ in range(STEPS):
        e = torch.randn(B, T, latent) if latent else None
        if e is not None:
            step_eps.append(e)
        opt.zero_grad()
        _, (loss, _, _) = run(model, kind, x, e, BETA)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), MAX_NORM)
        opt.step()
        losses.append(loss.detach())
    put(g, "train/loss", torch.stack(losses))
    if step_eps:
        put(g, "train/eps", torch.stack(step_eps))


def main():
    with fixtures.create("models.h5", SEED) as root:
        path = root.filename
        # T = 30 is no multiple of 8: the CAE's output is cropped
        write_case(root, "cae", "cae", {}, B=2, T=30, hash_weights=False)
        write_case(root, "vae_bilstm", "vae_bilstm", SMALL, B=2, T=32, hash_weights=False)
        write_case(root, "vae_bilstm_mha", "vae_bilstm_mha", SMALL, B=2, T=32,
                   hash_weights=False)
        write_case(root, "vae_bilstm_default", "vae_bilstm", DEFAULT, B=2, T=16,
                   hash_weights=True)
        write_case(root, "vae_bilstm_mha_default", "vae_bilstm_mha", DEFAULT, B=2, T=16,
                   hash_weights=True)
    print(f"{path}: {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
