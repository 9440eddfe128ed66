#!/usr/bin/python3
"""A stand-in for a trained ResNet-18 conv1/bn1, for docs/stem-example.md: trained weights
cannot be downloaded here, so conv1 is a hand-made Gabor bank of the shape torchvision's
resnet18().conv1.weight has, (64, 3, 7, 7): 8 orientations x 4 wavelengths, each once as a
luminance filter (the same kernel on R, G and B, divided by 3) and once as a colour-opponent
one (+R -G, like the red/green units trained first layers grow); bn1 is identity-like (mean 0,
var 1, weight 1, bias 0). NOT trained weights. To use the real ones, see the two lines of
PyTorch in docs/stem-example.md. Usage: /usr/bin/python3 docs/examples/stem/make_standin.py"""
import os

import numpy as np

out = os.path.dirname(os.path.abspath(__file__))


def gabor(k, sigma, theta, lam, gamma=0.5, psi=0.0):
    """cv::getGaborKernel's formula (theta in radians), zero mean, unit L1 norm."""
    h = k // 2
    y, x = np.mgrid[-h:h + 1, -h:h + 1].astype(np.float64)
    xr = x * np.cos(theta) + y * np.sin(theta)
    yr = -x * np.sin(theta) + y * np.cos(theta)
    g = np.exp(-(xr ** 2 + gamma ** 2 * yr ** 2) / (2 * sigma ** 2)) * np.cos(2 * np.pi * xr / lam + psi)
    g -= g.mean()
    return g / np.abs(g).sum()


w = np.zeros((64, 3, 7, 7))
i = 0
for colour in (False, True):
    for lam in (2.5, 3.5, 5.0, 7.0):
        for o in range(8):
            g = gabor(7, 0.45 * lam, np.pi * o / 8, lam)
            w[i] = [g, -g, 0 * g] if colour else [g / 3, g / 3, g / 3]
            i += 1
np.save(os.path.join(out, "conv1_weight.npy"), (w * 4).astype(np.float32))
np.save(os.path.join(out, "bn1_mean.npy"), np.zeros(64, np.float32))
np.save(os.path.join(out, "bn1_var.npy"), np.ones(64, np.float32))
np.save(os.path.join(out, "bn1_weight.npy"), np.ones(64, np.float32))
np.save(os.path.join(out, "bn1_bias.npy"), np.zeros(64, np.float32))
