#!/usr/bin/env python3
"""Writes the inputs of the packaging tests into DIR: camera.png (copied from samples/) and
gradient.tif, an uncompressed 8-bit gray TIFF, which convpool decodes with OpenCV's imgcodecs,
loaded with dlopen, so that a package missing it in Depends fails.
Usage: make_images.py SAMPLES_DIR DIR"""
import os
import shutil
import struct
import sys


def tiff_gray(width, height, pixels):
    """An uncompressed 8-bit gray little-endian TIFF, one strip."""
    entries = [(256, 3, 1, width), (257, 3, 1, height), (258, 3, 1, 8), (259, 3, 1, 1),
               (262, 3, 1, 1), (273, 4, 1, 0), (277, 3, 1, 1), (278, 3, 1, height),
               (279, 4, 1, len(pixels))]
    data_at = 8 + 2 + 12 * len(entries) + 4
    out = b"II" + struct.pack("<HI", 42, 8) + struct.pack("<H", len(entries))
    for tag, kind, count, value in entries:
        if tag == 273:
            value = data_at
        packed = struct.pack("<H", value) + b"\0\0" if kind == 3 else struct.pack("<I", value)
        out += struct.pack("<HHI", tag, kind, count) + packed
    return out + struct.pack("<I", 0) + pixels


def main():
    samples, folder = sys.argv[1], sys.argv[2]
    os.makedirs(folder, exist_ok=True)
    shutil.copyfile(os.path.join(samples, "camera.png"), os.path.join(folder, "camera.png"))
    width, height = 40, 30
    pixels = bytes((x * 255 // (width - 1) + y) % 256 for y in range(height) for x in range(width))
    with open(os.path.join(folder, "gradient.tif"), "wb") as f:
        f.write(tiff_gray(width, height, pixels))


main()
