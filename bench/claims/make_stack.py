#!/usr/bin/env python3
"""Writes the weights of the deeper layers of the stack docs/claims.md probes after the Gabor
layer (gabor8.npy): he16x8.npy, shape (16, 8, 3, 3), and he16x16.npy, shape (16, 16, 3, 3),
float32, as torch.nn.Conv2d(8, 16, 3) and Conv2d(16, 16, 3) hold them.

The weights are random, drawn as He et al. (ICCV 2015) initialise a layer followed by a ReLU:
normal with mean 0 and standard deviation sqrt(2 / fan_in), fan_in = in_channels * 3 * 3, from
numpy's PCG64 generator seeded with 0 (layer 2) and 1 (layer 3). Why random rather than designed:
the effect under test (aliasing of a strided pool feeding further nonlinear layers) is a property
of the architecture, not of particular weights, and He initialisation is the state every ReLU
network starts from; hand-made combinations of the Gabor channels would be one more choice of
ours to defend. The initialisation keeps the activations' scale from layer to layer, so no layer
dominates the global average by its scale alone.

Usage: /usr/bin/python3 bench/claims/make_stack.py [OUT_DIR]   (numpy only)
"""
import os
import sys

import numpy as np


def he_normal(out_channels, in_channels, size, seed):
    rng = np.random.default_rng(seed)
    fan_in = in_channels * size * size
    return (rng.standard_normal((out_channels, in_channels, size, size)) * np.sqrt(2.0 / fan_in)).astype(np.float32)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    for name, weights in (("he16x8.npy", he_normal(16, 8, 3, 0)), ("he16x16.npy", he_normal(16, 16, 3, 1))):
        path = os.path.join(out, name)
        np.save(path, weights)
        print(f"{path}: {weights.shape} {weights.dtype}")


if __name__ == "__main__":
    main()
