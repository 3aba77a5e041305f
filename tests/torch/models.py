"""PyTorch versions of the three ecglens models (DESIGN §4), the reference the C
models are checked against (fixtures) and measured against (bench).

Module names are the checkpoint's weight names: a state_dict of these modules is
what /weights holds in a *.model.h5 file.

Used only by scripts under tests/ (Debian's python3-torch); the tests themselves
run without torch.
"""
import math

import torch
from torch import nn

N_LEADS = 12
LOGVAR_BOUND = 6.0


class CAE(nn.Module):
    """Convolutional autoencoder of the 12-lead-ECG-AD project, layer for layer."""

    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv1d(12, 32, 7, stride=2, padding=3), nn.ReLU(),
            nn.Conv1d(32, 64, 5, stride=2, padding=2), nn.ReLU(),
            nn.Conv1d(64, 128, 3, stride=2, padding=1), nn.ReLU())
        self.decoder = nn.Sequential(
            nn.ConvTranspose1d(128, 64, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
            nn.ConvTranspose1d(64, 32, 5, stride=2, padding=2, output_padding=1), nn.ReLU(),
            nn.ConvTranspose1d(32, 12, 7, stride=2, padding=3, output_padding=1))

    def forward(self, x):  # x (B, T, 12) -> reconstruction (B, T, 12)
        t = x.shape[1]
        y = self.decoder(self.encoder(x.transpose(1, 2)))
        return y[:, :, :t].transpose(1, 2)


def sinusoid_positions(t, d):
    """P[t, 2i] = sin(t / 10000^(2i/d)), P[t, 2i+1] = cos(same)."""
    pos = torch.arange(t, dtype=torch.float32)[:, None]
    i = torch.arange(0, d, 2, dtype=torch.float32)[None, :]
    angle = pos / torch.pow(10000.0, i / d)
    p = torch.zeros(t, d)
    p[:, 0::2] = torch.sin(angle)
    p[:, 1::2] = torch.cos(angle)
    return p


class VAEBiLSTM(nn.Module):
    """Per-time-step latent VAE with BiLSTM encoder and decoder; with lead and
    temporal multi-head attention when attention=True (VAE-BiLSTM-MHA)."""

    def __init__(self, hidden=128, latent=32, attention=False, lead_dim=16, lead_heads=4, time_heads=8):
        super().__init__()
        self.attention = attention
        self.latent = latent
        enc_in = N_LEADS
        if attention:
            self.lead_in = nn.Linear(1, lead_dim)
            self.lead_embed = nn.Parameter(torch.randn(N_LEADS, lead_dim) * 0.1)
            self.lead_attn = nn.MultiheadAttention(lead_dim, lead_heads, batch_first=True)
            enc_in = N_LEADS * lead_dim
        self.encoder = nn.LSTM(enc_in, hidden, batch_first=True, bidirectional=True)
        self.to_latent = nn.Linear(2 * hidden, 2 * latent)
        if attention:
            self.time_attn = nn.MultiheadAttention(latent, time_heads, batch_first=True)
        self.decoder = nn.LSTM(latent, hidden, batch_first=True, bidirectional=True)
        self.output = nn.Linear(2 * hidden, 2 * N_LEADS)

    def encode_input(self, x):  # (B, T, 12) -> encoder input, lead weights (B, T, 12) or None
        if not self.attention:
            return x, None
        b, t, l = x.shape
        tokens = self.lead_in(x.reshape(b * t, l, 1)) + self.lead_embed  # (BT, 12, E)
        mixed, w = self.lead_attn(tokens, tokens, tokens, need_weights=True, average_attn_weights=True)
        tokens = tokens + mixed  # residual: each lead keeps its own token
        return tokens.reshape(b, t, -1), w.mean(dim=1).reshape(b, t, l)

    def decode_latent(self, z):  # (B, T, d) -> decoder input, temporal weights (B, T, T) or None
        if not self.attention:
            return z, None
        qk = z + sinusoid_positions(z.shape[1], self.latent).to(z)
        mixed, w = self.time_attn(qk, qk, z, need_weights=True, average_attn_weights=True)
        return z + mixed, w

    def forward(self, x, eps=None):
        """x (B, T, 12); eps (B, T, d) sampling noise, or None for z = mu.
        Returns x_mean, x_logvar (B, T, 12), mu, logvar (B, T, d), time_w, lead_w."""
        h, lead_w = self.encode_input(x)
        h, _ = self.encoder(h)
        mu, logvar = self.to_latent(h).chunk(2, dim=-1)
        z = mu if eps is None else mu + torch.exp(0.5 * logvar) * eps
        zin, time_w = self.decode_latent(z)
        h, _ = self.decoder(zin)
        x_mean, raw = self.output(h).chunk(2, dim=-1)
        x_logvar = LOGVAR_BOUND * torch.tanh(raw / LOGVAR_BOUND)
        return x_mean, x_logvar, mu, logvar, time_w, lead_w


def vae_loss(x, x_mean, x_logvar, mu, logvar, beta):
    """Gaussian NLL summed over points plus beta * KL summed over the latents,
    reported per input point (DESIGN §4). Returns (loss, recon, kl) per point."""
    n_points = x.numel()
    nll = 0.5 * (math.log(2 * math.pi) + x_logvar + (x - x_mean) ** 2 * torch.exp(-x_logvar))
    kl = -0.5 * (1 + logvar - mu ** 2 - torch.exp(logvar))
    recon = nll.sum() / n_points
    kl = kl.sum() / n_points
    return recon + beta * kl, recon, kl


def make(kind, **sizes):
    if kind == "cae":
        return CAE()
    if kind == "vae_bilstm":
        return VAEBiLSTM(attention=False, **sizes)
    if kind == "vae_bilstm_mha":
        return VAEBiLSTM(attention=True, **sizes)
    raise ValueError(kind)
