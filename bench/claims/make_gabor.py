#!/usr/bin/env python3
"""Writes gabor8.npy: a bank of 8 Gabor filters, the weights of a small convolution layer whose
feature maps docs/claims.md probes (`conv:weights=@bench/claims/gabor8.npy` after `gray`).

Shape (8, 1, 7, 7), float32, as torch.nn.Conv2d(1, 8, 7) holds them: orientation theta =
k * pi / 8 for k = 0..7, wavelength 4 px, sigma 2 px, aspect 0.5, phase 0 (even, cosine);
each filter has its mean removed (no response to a flat patch) and is scaled to unit L1 norm.

Usage: /usr/bin/python3 bench/claims/make_gabor.py [OUT.npy]   (numpy only)
"""
import os
import sys

import numpy as np


def gabor(theta, size=7, wavelength=4.0, sigma=2.0, gamma=0.5, psi=0.0):
    r = size // 2
    y, x = np.mgrid[-r:r + 1, -r:r + 1].astype(np.float64)
    xr = x * np.cos(theta) + y * np.sin(theta)
    yr = -x * np.sin(theta) + y * np.cos(theta)
    g = np.exp(-(xr ** 2 + (gamma * yr) ** 2) / (2 * sigma ** 2)) * np.cos(2 * np.pi * xr / wavelength + psi)
    g -= g.mean()
    return g / np.abs(g).sum()


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "gabor8.npy")
    bank = np.stack([gabor(k * np.pi / 8) for k in range(8)])[:, None, :, :].astype(np.float32)
    np.save(out, bank)
    print(f"{out}: {bank.shape} {bank.dtype}")


if __name__ == "__main__":
    main()
