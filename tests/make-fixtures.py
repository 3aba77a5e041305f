#!/usr/bin/python3
"""Write the PyTorch reference fixtures of the neural core's layers.

    /usr/bin/python3 tests/make-fixtures.py [OUTPUT]

Needs Debian's python3-torch (1.13) and python3-h5py; the output (default
tests/data/fixtures/nn-layers.h5, a few tens of kB) is committed, so the tests
run without torch. tests/test-ref-layers.c reads it.

Format: HDF5, root attributes format = "ecglens-fixture", version = 1, torch.
One group per case, its sizes as integer attributes, and float32 datasets:
the inputs; the parameters under PyTorch's state_dict names (weight_ih_l0,
in_proj_weight, out_proj.weight, ...); the outputs; `proj`, the fixed random
projection of the loss sum(output * proj), which is therefore the gradient
flowing into the output; and `grad_<name>` for every input and parameter. The
loss cases store `loss` and the gradients of the loss itself; the Adam cases a
few optimizer steps with gradient-norm clipping.
"""
import math
import os
import sys

import h5py
import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "torch"))
import fixtures  # noqa: E402
from fixtures import put  # noqa: E402

SEED = 20240601




def leaf(*shape, scale=1.0):
    return (torch.randn(*shape) * scale).requires_grad_()


def randomize(module, scale=0.5):
    """Random parameters (PyTorch zeroes some biases, which would hide them)."""
    with torch.no_grad():
        for p in module.parameters():
            p.normal_(0.0, scale)
    return module


def write(root, name, sizes, inputs, module=None, outputs=None, proj=None, extra=None):
    """Store a case. inputs: name -> leaf tensor (its grad is stored too);
    module: its parameters and their grads under state_dict names."""
    g = root.create_group(name)
    for k, v in sizes.items():
        g.attrs[k] = v
    for k, t in inputs.items():
        put(g, k, t)
        if t.grad is not None:
            put(g, "grad_" + k, t.grad)
    if module is not None:
        for k, p in module.named_parameters():
            put(g, k, p)
            put(g, "grad_" + k, p.grad)
    for k, t in (outputs or {}).items():
        put(g, k, t)
    if proj is not None:
        put(g, "proj", proj)
    for k, t in (extra or {}).items():
        put(g, k, t)


def backward_projected(out):
    proj = torch.randn(out.shape)
    (out * proj).sum().backward()
    return proj


def linear(root):
    N, IC, OC = 6, 5, 4
    m = randomize(torch.nn.Linear(IC, OC))
    x = leaf(N, IC)
    out = m(x)
    proj = backward_projected(out)
    write(root, "linear", dict(N=N, IC=IC, OC=OC), {"input": x}, m, {"output": out}, proj)


def conv(root, name, transposed, B, C, L, OC, K, stride, padding, output_padding=0):
    if transposed:
        m = torch.nn.ConvTranspose1d(C, OC, K, stride, padding, output_padding)
    else:
        m = torch.nn.Conv1d(C, OC, K, stride, padding)
    randomize(m)
    x = leaf(B, C, L)
    out = m(x)
    proj = backward_projected(out)
    sizes = dict(B=B, C=C, L=L, OC=OC, K=K, stride=stride, padding=padding,
                 output_padding=output_padding)
    write(root, name, sizes, {"input": x}, m, {"output": out}, proj)


def lstm(root, name, bidirectional):
    B, T, I, H = 2, 6, 3, 5
    m = randomize(torch.nn.LSTM(I, H, batch_first=True, bidirectional=bidirectional))
    x = leaf(B, T, I)
    out, _ = m(x)
    proj = backward_projected(out)
    write(root, name, dict(B=B, T=T, I=I, H=H), {"input": x}, m, {"output": out}, proj)


def mha(root, name, shared):
    """shared: "" separate query/key/value, "qk" query = key, "qkv" all three."""
    B, L, E, heads = 2, 5, 8, 2
    m = randomize(torch.nn.MultiheadAttention(E, heads, batch_first=True))
    q = leaf(B, L, E)
    k = q if shared else leaf(B, L, E)
    v = q if shared == "qkv" else leaf(B, L, E)
    out, weights = m(q, k, v, need_weights=True, average_attn_weights=True)
    proj = backward_projected(out)
    inputs = {"query": q}
    if not shared:
        inputs["key"] = k
    if shared != "qkv":
        inputs["value"] = v
    write(root, name, dict(B=B, L=L, E=E, heads=heads), inputs, m,
          {"output": out, "attn_weights": weights}, proj)


def elementwise(root):
    n = 24
    x = leaf(n, scale=2.0)
    out = torch.relu(x)
    proj = backward_projected(out)
    write(root, "relu", dict(n=n), {"input": x}, outputs={"output": out}, proj=proj)

    raw = leaf(n, scale=8.0)  # reaches the saturated range of the bound
    lv = 6.0 * torch.tanh(raw / 6.0)
    proj = backward_projected(lv)
    write(root, "logvar_bound", dict(n=n), {"raw": raw}, outputs={"logvar": lv}, proj=proj)

    mu, logvar, eps = leaf(n), leaf(n), torch.randn(n)
    z = mu + torch.exp(0.5 * logvar) * eps
    proj = backward_projected(z)
    write(root, "reparam", dict(n=n), {"mu": mu, "logvar": logvar}, outputs={"z": z},
          proj=proj, extra={"eps": eps})


def losses(root):
    n = 30
    pred, target = leaf(n), torch.randn(n)
    loss = F.mse_loss(pred, target)
    loss.backward()
    write(root, "mse", dict(n=n), {"pred": pred}, outputs={"loss": loss},
          extra={"target": target})

    x, mean, logvar = torch.randn(n), leaf(n), leaf(n)
    loss = (0.5 * (math.log(2 * math.pi) + logvar + (x - mean) ** 2 * torch.exp(-logvar))).sum()
    loss.backward()
    write(root, "gaussian_nll", dict(n=n), {"mean": mean, "logvar": logvar},
          outputs={"loss": loss}, extra={"x": x})

    mu, logvar = leaf(n), leaf(n)
    loss = (-0.5 * (1 + logvar - mu ** 2 - torch.exp(logvar))).sum()
    loss.backward()
    write(root, "kl", dict(n=n), {"mu": mu, "logvar": logvar}, outputs={"loss": loss})


def adam(root, name, lr, weight_decay, max_norm, steps=5, n=50):
    p = torch.nn.Parameter(torch.randn(n))
    param0 = p.detach().clone()
    opt = torch.optim.Adam([p], lr=lr, weight_decay=weight_decay)
    grads, norms, params = [], [], []
    for s in range(steps):
        g = torch.randn(n) * (0.5 if s % 2 else 0.05)  # clipped on odd steps only
        grads.append(g)
        p.grad = g.clone()
        norms.append(torch.nn.utils.clip_grad_norm_([p], max_norm))
        opt.step()
        params.append(p.detach().clone())
    g = root.create_group(name)
    g.attrs.update(dict(n=n, steps=steps, lr=lr, weight_decay=weight_decay, max_norm=max_norm))
    put(g, "param0", param0)
    put(g, "grads", torch.stack(grads))
    put(g, "norms", torch.stack(norms))
    put(g, "params", torch.stack(params))


def main():
    with fixtures.create("nn-layers.h5", SEED) as root:
        path = root.filename
        linear(root)
        conv(root, "conv1d", False, B=2, C=3, L=16, OC=4, K=5, stride=2, padding=2)
        conv(root, "conv_transpose1d", True, B=2, C=4, L=8, OC=3, K=7, stride=2, padding=3,
             output_padding=1)
        lstm(root, "lstm", False)
        lstm(root, "bilstm", True)
        mha(root, "mha", "")
        mha(root, "mha_qk", "qk")
        mha(root, "mha_qkv", "qkv")
        elementwise(root)
        losses(root)
        adam(root, "adam", lr=1e-2, weight_decay=0.0, max_norm=1.0)
        adam(root, "adam_weight_decay", lr=1e-2, weight_decay=0.1, max_norm=100.0)
    print(f"{path}: {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
