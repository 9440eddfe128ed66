#!/usr/bin/python3
"""Size against time of the PNG settings convpool's writer could use (src/io/png.cpp), on real
pictures: for each row filter (None, Sub, Up, Paeth) and zlib strategy and level, the bytes of
the IDAT stream and the time to deflate it as convpool does (pieces of 256 KiB, each deflated
on its own, here on one thread), and libdeflate's levels on each whole filtered picture (as the
writer deflates pictures up to 32 MiB), summed over the given PNGs (convpool's stage pictures,
zooms and sheets of a default run), each read as RGB. Prints a markdown table, fastest first.

Usage (Debian's interpreter: python3-numpy, python3-pil):

    /usr/bin/python3 bench/png_settings.py OUT/photo-12mp/*.png [--repeat 3]
"""

import argparse
import ctypes
import ctypes.util
import time
import zlib

import numpy as np
from PIL import Image

PIECE = 1 << 18
STRATEGIES = {"default": zlib.Z_DEFAULT_STRATEGY, "filtered": zlib.Z_FILTERED,
              "rle": zlib.Z_RLE, "huffman": zlib.Z_HUFFMAN_ONLY}


def filtered(rgb, kind):
    """The rows of `rgb` (H x W x 3 uint8) with PNG filter `kind`, each after its filter byte."""
    h, w, c = rgb.shape
    a = rgb.reshape(h, w * c).astype(np.int16)
    left = np.zeros_like(a)
    left[:, c:] = a[:, :-c]
    up = np.zeros_like(a)
    up[1:] = a[:-1]
    if kind == "none":
        rows, code = a, 0
    elif kind == "sub":
        rows, code = a - left, 1
    elif kind == "up":
        rows, code = a - up, 2
    else:  # paeth
        ul = np.zeros_like(a)
        ul[1:, c:] = a[:-1, :-c]
        p = left + up - ul
        pa, pb, pc = np.abs(p - left), np.abs(p - up), np.abs(p - ul)
        pred = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, up, ul))
        rows, code = a - pred, 4
    out = np.empty((h, w * c + 1), np.uint8)
    out[:, 0] = code
    out[:, 1:] = (rows & 0xFF).astype(np.uint8)
    return out.tobytes()


def deflate(data, level, strategy):
    """Raw deflate of `data` in independent pieces, as convpool's writer: total bytes."""
    size = 0
    for start in range(0, len(data), PIECE):
        z = zlib.compressobj(level, zlib.DEFLATED, -15, 8, strategy)
        size += len(z.compress(data[start:start + PIECE])) + len(z.flush(zlib.Z_SYNC_FLUSH))
    return size


def libdeflate():
    """Debian's libdeflate0 through ctypes (None when it is not installed)."""
    name = ctypes.util.find_library("deflate")
    if name is None:
        return None
    lib = ctypes.CDLL(name)
    lib.libdeflate_alloc_compressor.restype = ctypes.c_void_p
    lib.libdeflate_alloc_compressor.argtypes = [ctypes.c_int]
    lib.libdeflate_zlib_compress_bound.restype = ctypes.c_size_t
    lib.libdeflate_zlib_compress_bound.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    lib.libdeflate_zlib_compress.restype = ctypes.c_size_t
    lib.libdeflate_zlib_compress.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t,
                                             ctypes.c_void_p, ctypes.c_size_t]
    lib.libdeflate_free_compressor.argtypes = [ctypes.c_void_p]
    return lib


def deflate_whole(lib, data, level):
    """libdeflate's zlib stream of the whole of `data`: its bytes."""
    c = lib.libdeflate_alloc_compressor(level)
    bound = lib.libdeflate_zlib_compress_bound(c, len(data))
    out = ctypes.create_string_buffer(bound)
    size = lib.libdeflate_zlib_compress(c, data, len(data), out, bound)
    lib.libdeflate_free_compressor(c)
    return size


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("pngs", nargs="+")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    pictures = [np.asarray(Image.open(p).convert("RGB")) for p in args.pngs]
    raw = sum(p.size for p in pictures)
    rows = []
    for kind in ("none", "sub", "up", "paeth"):
        data = [filtered(p, kind) for p in pictures]
        for sname, strategy in STRATEGIES.items():
            for level in (1, 2, 3, 6) if sname in ("default", "filtered") else (1,):
                times = []
                for _ in range(args.repeat):
                    start = time.perf_counter()
                    size = sum(deflate(d, level, strategy) for d in data)
                    times.append(time.perf_counter() - start)
                rows.append((min(times), size, kind, sname, level))
        lib = libdeflate()
        for level in (1, 2, 4, 6) if lib is not None and kind in ("none", "sub") else ():
            times = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                size = sum(deflate_whole(lib, d, level) for d in data)
                times.append(time.perf_counter() - start)
            rows.append((min(times), size, kind, "libdeflate, whole", level))
    rows.sort()
    print(f"{len(pictures)} pictures, {raw / 1e6:.1f} MB of RGB\n")
    print("| filter | strategy | level | MB | ratio to raw | deflate ms (1 thread, best of "
          f"{args.repeat}) | MB/s |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for t, size, kind, sname, level in rows:
        print(f"| {kind} | {sname} | {level} | {size / 1e6:.2f} | {size / raw:.3f} | "
              f"{t * 1e3:.0f} | {raw / 1e6 / t:.0f} |")


if __name__ == "__main__":
    main()
