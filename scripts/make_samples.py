#!/usr/bin/env python3
"""Copies the public-domain and CC0 photographs that Debian packages ship into samples/,
resized to at most 512 px on the longer side (samples/SOURCES.md lists each with its licence).

Usage: /usr/bin/python3 scripts/make_samples.py [SAMPLES_DIR]
Needs python3-skimage (its data folder), python3-scipy (scipy.misc's ascent and face) and
python3-matplotlib (its sample data): Debian packages; nothing is downloaded. The five samples
that were there before (camera, chelsea, coffee, brick, rocket) are left as they are.
"""
import bz2
import os
import pickle
import sys

import numpy as np
from PIL import Image

SKIMAGE = "/usr/lib/python3/dist-packages/skimage/data"
SCIPY = "/usr/lib/python3/dist-packages/scipy/misc"
MPL = "/usr/share/matplotlib/mpl-data/sample_data"
LONGEST = 512


def fit(im):
    """`im` scaled down (Lanczos) so that its longer side is at most LONGEST."""
    w, h = im.size
    scale = LONGEST / max(w, h)
    if scale >= 1:
        return im
    return im.resize((round(w * scale), round(h * scale)), Image.LANCZOS)


def save(im, folder, name):
    path = os.path.join(folder, name)
    if name.endswith(".jpg"):
        im.convert("RGB").save(path, quality=90)
    else:
        im.save(path, optimize=True)
    print(f"{name}: {im.size[0]}x{im.size[1]} {im.mode}")


def halves(im):
    """The left and right halves of `im` (two images that share no pixel)."""
    w, h = im.size
    return im.crop((0, 0, w // 2, h)), im.crop((w // 2, 0, w, h))


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "samples")
    for name in ("astronaut.png", "grass.png", "gravel.png", "text.png", "cell.png",
                 "microaneurysms.png", "clock_motion.png"):
        out = "astronaut.jpg" if name == "astronaut.png" else name
        save(fit(Image.open(os.path.join(SKIMAGE, name))), folder, out)
    save(fit(Image.open(os.path.join(SKIMAGE, "horse.png")).convert("L")), folder, "horse.png")
    for name, source in (("hubble", "hubble_deep_field.jpg"), ("retina", "retina.jpg")):
        left, right = halves(Image.open(os.path.join(SKIMAGE, source)))
        save(fit(left), folder, f"{name}-left.jpg")
        save(fit(right), folder, f"{name}-right.jpg")
    with open(os.path.join(SCIPY, "ascent.dat"), "rb") as f:
        ascent = np.array(pickle.load(f)).astype(np.uint8)
    save(fit(Image.fromarray(ascent)), folder, "ascent.png")
    with open(os.path.join(SCIPY, "face.dat"), "rb") as f:
        face = np.frombuffer(bz2.decompress(f.read()), dtype=np.uint8).reshape(768, 1024, 3)
    save(fit(Image.fromarray(face)), folder, "raccoon.jpg")
    save(fit(Image.open(os.path.join(MPL, "grace_hopper.jpg"))), folder, "grace_hopper.jpg")


if __name__ == "__main__":
    main()
