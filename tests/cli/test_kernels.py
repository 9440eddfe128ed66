#!/usr/bin/env python3
"""CLI tests of `convpool kernel` (tables and .npy of named filters and generated banks) and of
the weights pictures (`NN_<stage>_weights.png`) that bank and conv:weights stages write, with
their report field.

Usage: test_kernels.py PATH/TO/convpool REPO_ROOT   (ctest passes both). Standard library only:
PNG and .npy are read by hand (the readers of test_picture_size.py).
"""
import json
import os
import shutil
import struct
import sys
import tempfile
import unittest

from test_picture_size import read_npy, read_png

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from runner import run_binary  # noqa: E402

BIN = None
ROOT = None
# render/weights.cpp: margin, title and label heights above the first tile.
MARGIN, TITLE, LABEL = 8, 24, 14
# The diverging map's ends, and 0: its entry 128 of 256, nearly (247, 247, 247).
RED, WHITE, BLUE = (178, 24, 43), (247, 246, 246), (33, 102, 172)


def run(*args, cwd=None):
    return run_binary(BIN, *args, cwd=cwd, errors="strict")


def npy_f32(values, shape):
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }" % ", ".join(
        str(d) for d in shape)
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    return (b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() +
            struct.pack("<%df" % len(values), *values))


class Kernel(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="convpool-kernels-")

    def tearDown(self):
        shutil.rmtree(self.dir)

    def test_tables_of_fixed_filters(self):
        code, out, err = run("kernel", "sobel-x,roberts-y")
        self.assertEqual((code, err), (0, ""))
        self.assertEqual(out, "sobel-x  3x3  sum 0\n"
                              "  -1  0  1\n  -2  0  2\n  -1  0  1\n\n"
                              "roberts-y  2x2  sum 0\n   0  1\n  -1  0\n")
        # A bank: stage says the same.
        self.assertEqual(run("kernel", "bank:sobel-x,roberts-y")[1], out)

    def test_one_kernel_as_npy_is_2d_and_matches_the_table(self):
        path = os.path.join(self.dir, "g.npy")
        code, out, err = run("kernel", "gabor(theta=45,lambda=6)", "--npy", path)
        self.assertEqual((code, err), (0, ""))
        shape, values = read_npy(path)
        self.assertEqual(shape, (9, 9))
        lines = out.splitlines()
        self.assertTrue(lines[0].startswith("gabor(theta=45,lambda=6)  9x9  sum "), lines[0])
        table = [float(v) for line in lines[1:] for v in line.split()]
        self.assertEqual(len(table), 81)
        for a, b in zip(table, values):
            self.assertLessEqual(abs(a - b), 1e-6 * max(1.0, abs(b)))
        self.assertEqual(values[40], 1.0)  # the centre: envelope 1, cos(0) 1
        # Every column of the table is one width: the numbers end at the same place.
        ends = {len(line) for line in lines[1:]}
        self.assertEqual(len(ends), 1)

    def test_generated_bank_as_npy(self):
        path = os.path.join(self.dir, "bank.npy")
        code, out, _ = run("kernel", "gabor(orientations=4,scales=2)", "--npy", path)
        self.assertEqual(code, 0)
        shape, _ = read_npy(path)
        self.assertEqual(shape, (8, 9, 9))
        names = [line.split("  ")[0] for line in out.splitlines()
                 if line.startswith("gabor(")]
        self.assertEqual(names[:4], ["gabor(theta=0)", "gabor(theta=45)", "gabor(theta=90)",
                                     "gabor(theta=135)"])
        self.assertEqual(names[4], "gabor(theta=0,sigma=2.828,lambda=5.657)")
        # The .npy feeds back as a custom kernel: the first Gabor of the bank.
        one = os.path.join(self.dir, "one.npy")
        self.assertEqual(run("kernel", "gabor", "--npy", one)[0], 0)
        code, out2, _ = run("kernel", "kernel(@%s)" % one)
        self.assertEqual(code, 0)
        self.assertEqual(out2.splitlines()[1:], run("kernel", "gabor")[1].splitlines()[1:])

    def test_errors(self):
        path = os.path.join(self.dir, "x.npy")
        code, out, err = run("kernel", "sobel-x,gaussian(k=7)", "--npy", path)
        self.assertEqual(code, 2)
        self.assertIn("'sobel-x' is 3x3 and 'gaussian(k=7)' 7x7; one .npy holds kernels of one "
                      "size", err)
        self.assertEqual(out, "")
        self.assertFalse(os.path.exists(path))
        code, _, err = run("kernel", "gabr")
        self.assertEqual(code, 2)
        self.assertIn("did you mean 'gabor'", err)
        code, _, err = run("kernel", "gabor(k=8)")
        self.assertEqual(code, 2)
        self.assertIn("a Gabor kernel has an odd size", err)
        code, _, err = run("kernel", "gray | conv:sobel-x")
        self.assertEqual(code, 2)


class WeightsPicture(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="convpool-weights-picture-")
        self.image = os.path.join(ROOT, "samples", "camera.png")

    def tearDown(self):
        shutil.rmtree(self.dir)

    def stage(self, pipeline, index=1, image=None):
        out = os.path.join(self.dir, "out")
        shutil.rmtree(out, ignore_errors=True)
        code, _, err = run("run", image or self.image, "-p", pipeline, "-o", out, "-q",
                           cwd=self.dir)
        self.assertEqual(code, 0, err)
        with open(os.path.join(out, "report.json")) as f:
            report = json.load(f)
        folder = os.path.join(out, os.path.splitext(os.path.basename(image or self.image))[0])
        return report["images"][0]["stages"][index], folder

    def test_a_bank_draws_its_kernels_magnified_in_the_diverging_map(self):
        st, folder = self.stage("bank:kernel([1 0 -1]),sobel-x")
        self.assertEqual(st["weights"], {"picture": "01_bank_weights.png",
                                         "names": ["kernel([1 0 -1])", "sobel-x"]})
        self.assertIn("01_bank_weights.png", st["files"])
        rows = read_png(os.path.join(folder, "01_bank_weights.png"))
        # Tiles of 3x3 cells of 16 px (48 px); the 1x3 kernel sits in the middle row of its tile.
        y = TITLE + LABEL + 16 + 8
        x0 = MARGIN + 48 + 2  # the second tile, after a 2 px gap
        # kernel([1 0 -1])'s 1 has the colour of sobel-x's 1 (its top right cell): one map
        # over both, not one per kernel.
        self.assertEqual(rows[y][MARGIN + 8], rows[TITLE + LABEL + 8][x0 + 32 + 8])
        self.assertNotIn(rows[y][MARGIN + 8], (RED, WHITE))
        self.assertEqual(rows[y][MARGIN + 16 + 8], WHITE)   # 0
        # sobel-x's 2 and -2 are the ends of the map, symmetric about 0.
        self.assertEqual(rows[TITLE + LABEL + 16 + 8][x0 + 32 + 8], RED)
        self.assertEqual(rows[TITLE + LABEL + 16 + 8][x0 + 8], BLUE)
        self.assertEqual(rows[TITLE + LABEL + 16 + 8][x0 + 16 + 8], WHITE)
        # The same colour over each 16x16 block: nearest neighbour.
        block = {rows[TITLE + LABEL + 16 + dy][x0 + dx] for dy in range(16) for dx in range(16)}
        self.assertEqual(block, {BLUE})

    def test_png_scale_draws_the_weights_again_at_twice_the_size(self):
        pictures = []
        for scale in ("1", "2"):
            out = os.path.join(self.dir, "out" + scale)
            code, _, err = run("run", self.image, "-p", "bank:kernel([1 0 -1]),sobel-x", "-o",
                               out, "-q", "--png-scale", scale, cwd=self.dir)
            self.assertEqual(code, 0, err)
            stem = os.path.splitext(os.path.basename(self.image))[0]
            pictures.append(read_png(os.path.join(out, stem, "01_bank_weights.png")))
        one, two = pictures
        self.assertEqual((len(two[0]), len(two)), (2 * len(one[0]), 2 * len(one)))
        # sobel-x's -2 cell: a block of 32x32 pixels of one colour at scale 2.
        y, x = 2 * (TITLE + LABEL + 16), 2 * (MARGIN + 48 + 2)
        block = {two[y + dy][x + dx] for dy in range(32) for dx in range(32)}
        self.assertEqual(block, {BLUE})
        # The text is drawn again, not enlarged: some 2x2 block of the title is not one colour.
        title = [two[y][:] for y in range(2 * TITLE)]
        self.assertTrue(any(len({title[y][x], title[y + 1][x], title[y][x + 1],
                                 title[y + 1][x + 1]}) > 1
                            for y in range(0, 2 * TITLE - 1, 2)
                            for x in range(0, len(title[0]) - 1, 2)))

    def test_conv_weights_rgb_and_none_for_depthwise_conv(self):
        w = [((o * 27 + i) % 7) - 3.0 for o in range(4) for i in range(27)]
        with open(os.path.join(self.dir, "w.npy"), "wb") as f:
            f.write(npy_f32(w, (4, 3, 3, 3)))
        st, folder = self.stage("conv:weights=@w.npy,pad=1",
                                image=os.path.join(ROOT, "samples", "astronaut.jpg"))
        self.assertEqual(st["weights"]["names"], ["c0", "c1", "c2", "c3"])
        rows = read_png(os.path.join(folder, st["weights"]["picture"]))
        # Kernel 0, cell (0, 0): R, G, B are w[0][c][0][0] = -3, -1, 1 over the tile's min..max
        # (-3..3): 0, 85, 170.
        self.assertEqual(rows[TITLE + LABEL + 8][MARGIN + 8], (0, 85, 170))
        st, _ = self.stage("gray | conv:sobel-x", index=2)
        self.assertNotIn("weights", st)
        self.assertEqual(st["files"], ["02_conv-sobel-x.png"])


if __name__ == "__main__":
    BIN, ROOT = sys.argv[1], sys.argv[2]
    del sys.argv[1:3]
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    unittest.main()
