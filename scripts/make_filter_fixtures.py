#!/usr/bin/env python3
"""Writes tests/fixtures/filters.json: the named kernels convpool shares with OpenCV, as OpenCV
computes them, for tests/ops/test_bank.cpp.

- `gabor`: cv2.getGaborKernel((k, k), sigma, theta, lambd, gamma, psi, ktype=CV_64F) for a
  spread of arguments (theta and psi are given here in degrees, as convpool takes them).
- `filter2d`: cv2.filter2D of a small random image (fixed seed) with kernels written out here
  (Roberts, Kirsch, an even box), at OpenCV's default anchor (the kernel's centre, k/2: for an
  even kernel the cell right/below the middle) and at anchor ((k-1)/2, (k-1)/2) rounded down
  (the cell left/above the middle), with BORDER_REFLECT_101
  and BORDER_CONSTANT, and the convpool stage that should give the same values.

Run with Debian's python3-opencv and python3-numpy:
    /usr/bin/python3 scripts/make_filter_fixtures.py
"""
import json
import os

import cv2
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "fixtures", "filters.json")

GABOR = [  # k, sigma, theta, lambda, gamma, psi (angles in degrees)
    (9, 2.0, 0.0, 4.0, 0.5, 0.0),
    (9, 2.0, 45.0, 4.0, 0.5, 0.0),
    (9, 2.0, 90.0, 6.0, 0.5, 90.0),
    (7, 1.5, 30.0, 3.0, 1.0, -45.0),
    (11, 3.0, 135.0, 8.0, 0.3, 180.0),
    (15, 2.8284271247461903, 157.5, 5.656854249492381, 0.5, 0.0),
    (5, 1.0, -60.0, 2.5, 2.0, 30.0),
]

KERNELS = {
    "roberts-x": [[1, 0], [0, -1]],
    "roberts-y": [[0, 1], [-1, 0]],
    "kirsch-n": [[5, 5, 5], [-3, 0, -3], [-3, -3, -3]],
    "kirsch-ne": [[-3, 5, 5], [-3, 0, 5], [-3, -3, -3]],
    "kirsch-sw": [[-3, -3, -3], [5, 0, -3], [5, 5, -3]],
    "box,k=4": [[1 / 16] * 4] * 4,
}

BORDERS = {"reflect101": cv2.BORDER_REFLECT_101, "zero": cv2.BORDER_CONSTANT}


def main():
    cases = {"gabor": [], "filter2d": []}
    for k, sigma, theta, lambd, gamma, psi in GABOR:
        kernel = cv2.getGaborKernel((k, k), sigma, np.deg2rad(theta), lambd, gamma,
                                    np.deg2rad(psi), ktype=cv2.CV_64F)
        cases["gabor"].append({"k": k, "sigma": sigma, "theta": theta, "lambda": lambd,
                               "gamma": gamma, "psi": psi, "kernel": kernel.ravel().tolist()})
    rng = np.random.default_rng(14)
    image = rng.uniform(-1, 1, size=(6, 7)).astype(np.float32)
    for name, kernel in KERNELS.items():
        kernel = np.array(kernel, dtype=np.float32)
        for border, code in BORDERS.items():
            # OpenCV's default anchor, (k/2, k/2), is convpool's pad=same-lower (the odd cell
            # before: top, left); anchor ((k-1)/2, (k-1)/2), rounded down, is pad=same (the odd
            # cell after). For odd kernels they are the same cell.
            lower = (kernel.shape[1] - 1) // 2, (kernel.shape[0] - 1) // 2
            for anchor, pad in (((-1, -1), "same-lower"), (lower, "same")):
                if kernel.shape[0] % 2 == 1 and pad == "same":
                    continue
                out = cv2.filter2D(image, -1, kernel, anchor=anchor, borderType=code)
                cases["filter2d"].append({
                    "stage": f"conv:{name},pad={pad},border={border}",
                    "anchor": list(anchor), "shape": list(image.shape),
                    "input": image.ravel().tolist(), "output": out.ravel().tolist()})
    with open(OUT, "w") as f:
        json.dump({"generator": "scripts/make_filter_fixtures.py",
                   "opencv": cv2.__version__, **cases}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
