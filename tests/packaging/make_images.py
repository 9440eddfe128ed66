#!/usr/bin/env python3
"""Writes the inputs of the packaging tests into DIR: camera.png (copied from samples/) and
gradient.tif, an uncompressed 8-bit gray TIFF, which convpool decodes with OpenCV's imgcodecs,
loaded with dlopen, so that a package missing it in Depends fails.
Usage: make_images.py SAMPLES_DIR DIR"""
import os
import shutil
import sys

sys.dont_write_bytecode = True  # nothing written into the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli"))
from test_inputs import tiff_image  # noqa: E402 (the CLI tests' TIFF writer)


def main():
    samples, folder = sys.argv[1], sys.argv[2]
    os.makedirs(folder, exist_ok=True)
    shutil.copyfile(os.path.join(samples, "camera.png"), os.path.join(folder, "camera.png"))
    width, height = 40, 30
    pixels = bytes((x * 255 // (width - 1) + y) % 256 for y in range(height) for x in range(width))
    with open(os.path.join(folder, "gradient.tif"), "wb") as f:
        f.write(tiff_image(width, height, pixels, orientation=1))


main()
