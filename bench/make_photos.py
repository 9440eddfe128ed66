#!/usr/bin/python3
"""Makes the large test photos of the picture benchmarks from the bundled samples, so that
everyone measures the same files: a sample resized (bicubic) to a phone photo's size, with
Gaussian noise of a fixed seed (so that the JPEG is as hard to compress as a real photo's),
saved as a JPEG of quality 90.

Usage (Debian's interpreter: python3-pil and python3-numpy):

    /usr/bin/python3 bench/make_photos.py OUT_DIR [--sizes 12mp,48mp,1mp] [--count 1]

Writes OUT_DIR/photo-12mp.jpg (4000x3000), photo-48mp.jpg (8000x6000) and photo-1mp.jpg
(1200x800); with --count N, N photos of each size (photo-12mp-001.jpg ...), each from the next
sample and seed.
"""

import argparse
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
SIZES = {"1mp": (1200, 800), "12mp": (4000, 3000), "48mp": (8000, 6000)}  # width, height
SAMPLES = ["coffee.png", "rocket.jpg", "chelsea.png"]
NOISE_SIGMA = 6.0  # in 8-bit levels


def make(sample, size, seed):
    """The sample resized to `size` (width, height) with noise, as an 8-bit RGB array."""
    img = Image.open(ROOT / "samples" / sample).convert("RGB").resize(size, Image.BICUBIC)
    rng = np.random.default_rng(seed)
    pixels = np.asarray(img, dtype=np.float32)
    for row in range(0, pixels.shape[0], 500):  # in bands: 48 MP of float64 noise is 1 GB
        band = pixels[row:row + 500]
        band += rng.normal(0.0, NOISE_SIGMA, band.shape).astype(np.float32)
    return Image.fromarray(np.clip(np.rint(pixels), 0, 255).astype(np.uint8))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--sizes", default="12mp,48mp,1mp")
    ap.add_argument("--count", type=int, default=1)
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.sizes.split(","):
        for i in range(args.count):
            stem = f"photo-{name}" if args.count == 1 else f"photo-{name}-{i + 1:03}"
            path = args.out / f"{stem}.jpg"
            make(SAMPLES[i % len(SAMPLES)], SIZES[name], seed=1000 + i).save(path, quality=90)
            print(path)


if __name__ == "__main__":
    main()
