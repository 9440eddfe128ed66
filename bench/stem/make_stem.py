#!/usr/bin/python3
"""Writes the ResNet-18 stem stand-in used by bench/stem.py: conv1 (64x3x7x7, no bias) and bn1
(running mean/var, weight, bias) drawn with a fixed seed as .npy, and stem.onnx, the same four
layers (conv 7x7 s2 p3, batch norm, relu, max pool 3 s2 p1) exported by torch.onnx.export
(eval mode: the exporter folds bn into the convolution). Deterministic: rerunning it rewrites
the same weights. Usage: /usr/bin/python3 bench/stem/make_stem.py [OUTDIR]"""
import os
import sys

import numpy as np
import torch

out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(18)
# He-initialised conv1, as torchvision's resnet18 before training.
w = (rng.standard_normal((64, 3, 7, 7)) * np.sqrt(2.0 / (3 * 49))).astype(np.float32)
mean = (rng.standard_normal(64) * 0.1).astype(np.float32)
var = rng.uniform(0.5, 2.0, 64).astype(np.float32)
gamma = rng.uniform(0.5, 1.5, 64).astype(np.float32)
beta = (rng.standard_normal(64) * 0.1).astype(np.float32)
for name, a in [("conv1_weight", w), ("bn1_mean", mean), ("bn1_var", var),
                ("bn1_weight", gamma), ("bn1_bias", beta)]:
    np.save(os.path.join(out, name + ".npy"), a)

stem = torch.nn.Sequential(torch.nn.Conv2d(3, 64, 7, 2, 3, bias=False), torch.nn.BatchNorm2d(64),
                           torch.nn.ReLU(), torch.nn.MaxPool2d(3, 2, 1))
with torch.no_grad():
    stem[0].weight.copy_(torch.from_numpy(w))
    stem[1].running_mean.copy_(torch.from_numpy(mean))
    stem[1].running_var.copy_(torch.from_numpy(var))
    stem[1].weight.copy_(torch.from_numpy(gamma))
    stem[1].bias.copy_(torch.from_numpy(beta))
stem.eval()
torch.onnx.export(stem, torch.zeros(1, 3, 224, 224), os.path.join(out, "stem.onnx"),
                  input_names=["input"], output_names=["output"],
                  dynamic_axes={"input": {2: "height", 3: "width"}})
