#!/usr/bin/env python3
"""Writes the small weights files of tests/fixtures/weights/ that the unit and CLI tests read:
kernels as .npy in float16/32/64 (little and big endian, C and Fortran order) and .npz archives
as numpy.savez and numpy.savez_compressed write them, plus a few broken ones.

Run with Debian's python3-numpy: /usr/bin/python3 scripts/make_weights_fixtures.py
"""
import io
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "fixtures", "weights")

# Not symmetric, so a transposed or flipped read shows.
KERNEL = np.array([[1.0, 0.0, -1.0], [2.0, 0.5, -2.0], [1.25, 0.0, -1.5]])


def npy_bytes(array, fortran=False):
    buf = io.BytesIO()
    np.save(buf, np.asfortranarray(array) if fortran else np.ascontiguousarray(array))
    return buf.getvalue()


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def main():
    os.makedirs(OUT, exist_ok=True)
    write("k_f32.npy", npy_bytes(KERNEL.astype("<f4")))
    write("k_f16.npy", npy_bytes(KERNEL.astype("<f2")))
    write("k_f64.npy", npy_bytes(KERNEL.astype("<f8")))
    write("k_f32_be.npy", npy_bytes(KERNEL.astype(">f4")))
    write("k_fortran.npy", npy_bytes(KERNEL.astype("<f4"), fortran=True))
    write("k_1d.npy", npy_bytes(np.array([1.0, 0.0, -1.0], dtype="<f4")))
    write("k_int.npy", npy_bytes(KERNEL.astype("<i4")))
    nan = KERNEL.astype("<f4")
    nan[1, 1] = np.nan
    write("k_nan.npy", npy_bytes(nan))
    write("k_truncated.npy", npy_bytes(KERNEL.astype("<f4"))[:-5])
    arrays = {"conv1": KERNEL.astype("<f4"), "half": KERNEL.astype("<f2"),
              "bias": np.array([0.5, 1.0, 2.0], dtype="<f8")}
    np.savez(os.path.join(OUT, "w.npz"), **arrays)
    np.savez_compressed(os.path.join(OUT, "w_compressed.npz"), **arrays)


if __name__ == "__main__":
    main()
