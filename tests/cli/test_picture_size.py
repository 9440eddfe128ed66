#!/usr/bin/env python3
"""CLI tests of display-sized pictures (--picture-size, --zoom): the reduced pictures against a
reduction of the raw values (--raw npy) computed here, the zooms against the full-size pictures,
the report fields and the usage errors.

Usage: test_picture_size.py PATH/TO/convpool REPO_ROOT   (ctest passes both). Standard library
only: PNG and .npy are read by hand.
"""
import atexit
import json
import os
import shutil
import struct
import sys
import tempfile
import threading
import unittest

import parallel_unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from arrays import read_npy  # noqa: E402
from images import read_png as read_any_png  # noqa: E402
from runner import run_binary  # noqa: E402

BIN = None
ROOT = None
PIPE = "gray | conv:sobel-x | relu | pool:max,k=2"
TITLE = 25  # px above a picture's body (render/visualize.cpp, titled_picture: a line and 6 px)


def run(*args):
    return run_binary(BIN, *args, errors="strict")


def read_png(path):
    """Rows of (r, g, b) of a PNG as convpool writes it (gray, indexed or RGB)."""
    return read_any_png(path)[2]


def enlargement(h, w):
    """The integer factor small maps are enlarged by (render/picture_layout.cpp)."""
    longer = max(h, w)
    return 1 if longer >= 160 else min(64, -(-160 // longer))


def body(picture, h, w, reduced=False):
    """The body of a titled single-map picture of h x w cells (a map of h x w cells, enlarged if
    small, or a map `reduced` to h x w), one pixel per cell."""
    f = 1 if reduced else enlargement(h, w)
    x0 = (len(picture[0]) - w * f) // 2
    return [row[x0:x0 + w * f:f] for row in picture[TITLE:TITLE + h * f:f]]


def bins(n, out):
    """Adaptive pooling's bins: [floor(i*n/out), ceil((i+1)*n/out)) for i < out."""
    return [(i * n // out, -(-(i + 1) * n // out)) for i in range(out)]


def stages(out, stem):
    with open(os.path.join(out, stem, "convpool.json"), encoding="utf-8") as f:
        return json.load(f)["image"]["stages"]


_LOCK = threading.Lock()
_SHARED = {}


def shared():
    """The two runs most cases read (once for all cases, which run on threads): chelsea at
    --picture-size 96 and full, with raw values."""
    with _LOCK:
        if not _SHARED:
            tmp = tempfile.mkdtemp(prefix="convpool-picture-size-")
            atexit.register(shutil.rmtree, tmp)
            for name, size in (("small", "96"), ("full", "full")):
                code, _, err = run("run", os.path.join(ROOT, "samples", "chelsea.png"), "-p",
                                   PIPE, "-o", os.path.join(tmp, name), "--picture-size", size,
                                   "--raw", "npy", "-q", "--report", "none")
                assert code == 0, err
                _SHARED[name] = os.path.join(tmp, name)
        return _SHARED


class PictureSize(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="convpool-picture-size-")
        self.sample = os.path.join(ROOT, "samples", "chelsea.png")
        self.small = shared()["small"]
        self.full = shared()["full"]

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def picture(self, out, name):
        return read_png(os.path.join(out, "chelsea", name))

    def test_report_records_scale_reduction_and_one_zoom_region_through_the_stages(self):
        st = stages(self.small, "chelsea")
        pics = [s["picture"] for s in st]
        self.assertEqual([p["reduction"] for p in pics],
                         ["mean", "mean", "largest-magnitude", "largest-magnitude",
                          "largest-magnitude"])
        # 451 px wide: reduced 1/5 to 91 cells (96 px at most), 300 rows to 60.
        self.assertEqual(pics[2]["scale"], [60 / 300, 91 / 451])
        # The final stage responds most somewhere; 256x256 input cells around it, the same
        # region through gray, sobel and relu, half of it after the 2x2 pool.
        zoom = pics[0]["zoom"]
        self.assertEqual(zoom[2:], [256, 256])
        self.assertTrue(all(p["zoom"] == zoom for p in pics[:4]))
        self.assertEqual(pics[4]["zoom"][2:], [128, 128])
        for s in st:
            self.assertIn(s["files"][0].replace(".png", "_zoom.png"), s["files"])
        # Full size: nothing reduced, no zoom written.
        full = stages(self.full, "chelsea")
        self.assertTrue(all(s["picture"] == {"scale": [1.0, 1.0], "reduction": "none",
                                             "zoom": None} for s in full))
        self.assertFalse([f for f in os.listdir(os.path.join(self.full, "chelsea"))
                          if f.endswith("_zoom.png")])

    def test_reduced_feature_map_is_the_largest_magnitude_of_each_block(self):
        (_, _, width), values = read_npy(os.path.join(self.small, "chelsea", "02_conv-sobel-x.npy"), "<f4")
        reduced = body(self.picture(self.small, "02_conv-sobel-x.png"), 60, 91, True)
        full = body(self.picture(self.full, "02_conv-sobel-x.png"), 300, 451)
        negative = 0
        for y, (y0, y1) in enumerate(bins(300, 60)):
            for x, (x0, x1) in enumerate(bins(451, 91)):
                # The largest magnitude; of +v and -v the positive one.
                v, by, bx = max((abs(values[yy * width + xx]), values[yy * width + xx], yy, xx)
                                for yy in range(y0, y1) for xx in range(x0, x1))[1:]
                negative += v < 0
                self.assertEqual(reduced[y][x], full[by][bx], (y, x))
        self.assertGreater(negative, 100)  # negative responses stay negative (blue)

    def test_reduced_input_is_the_mean_of_each_block(self):
        (channels, height, width), values = read_npy(
            os.path.join(self.small, "chelsea", "00_input.npy"), "<f4")
        reduced = body(self.picture(self.small, "00_input.png"), 60, 91, True)
        for y, (y0, y1) in enumerate(bins(300, 60)):
            for x, (x0, x1) in enumerate(bins(451, 91)):
                n = (y1 - y0) * (x1 - x0)
                for c in range(channels):
                    total = sum(values[(c * height + yy) * width + xx]
                                for yy in range(y0, y1) for xx in range(x0, x1))
                    self.assertLessEqual(abs(reduced[y][x][c] - round(total / n * 255)), 1,
                                         (y, x, c))

    def test_zoom_is_the_full_picture_of_its_region(self):
        for name, stage in (("00_input", 0), ("02_conv-sobel-x", 2), ("04_pool-max", 4)):
            y, x, h, w = stages(self.small, "chelsea")[stage]["picture"]["zoom"]
            zoom = body(self.picture(self.small, name + "_zoom.png"), h, w)
            shape = (300, 451) if stage < 4 else (150, 225)
            full = body(self.picture(self.full, name + ".png"), *shape)
            self.assertEqual(zoom, [row[x:x + w] for row in full[y:y + h]], name)

    def test_zoom_region_given_with_zoom_height_first(self):
        out = os.path.join(self.tmp, "given")
        code, _, err = run("run", self.sample, "-p", "pool:max,k=2", "-o", out,
                           "--picture-size", "64", "--zoom", "10,200,50x80", "-q",
                           "--report", "none")
        self.assertEqual(code, 0, err)
        st = stages(out, "chelsea")
        self.assertEqual(st[0]["picture"]["zoom"], [10, 200, 50, 80])
        self.assertEqual(st[1]["picture"]["zoom"], [5, 100, 25, 40])
        # A region running over the edge is cut at it.
        code, _, err = run("run", self.sample, "-p", "relu", "-o", out + "2", "--picture-size",
                           "64", "--zoom", "290,400,256x256", "-q", "--report", "none")
        self.assertEqual(code, 0, err)
        self.assertEqual(stages(out + "2", "chelsea")[1]["picture"]["zoom"], [290, 400, 10, 51])

    def test_default_size_leaves_small_images_whole_and_bounds_the_sheet(self):
        out = os.path.join(self.tmp, "default")
        code, _, err = run("run", self.sample, "-p", PIPE, "-o", out, "-q", "--report", "none")
        self.assertEqual(code, 0, err)
        self.assertEqual(stages(out, "chelsea")[2]["picture"]["reduction"], "none")
        self.assertFalse([f for f in os.listdir(os.path.join(out, "chelsea"))
                          if f.endswith("_zoom.png")])
        # A long strip wraps: six 256 px high panels of a 451x300 image (385 px wide) in rows
        # of at most 542 px (--picture-size 512, or two panels of 256 px and their spaces).
        wrapped = os.path.join(self.tmp, "wrapped")
        code, _, err = run("run", self.sample, "-p", "relu | abs | relu | abs | relu", "-o",
                           wrapped, "--picture-size", "512", "-q", "--report", "none")
        self.assertEqual(code, 0, err)
        with open(os.path.join(wrapped, "chelsea", "sheet.png"), "rb") as f:
            width, height = struct.unpack(">II", f.read(24)[16:24])
        self.assertLessEqual(width, 542)
        # Each row: space, panel, colour bar (4 px under the panel, 8 px, 1 px, a line of its
        # values: ascent 13 and descent 4, and 1 px), three lines of label of 19 px (stage,
        # shape and range, channel names), 6 px under them.
        self.assertEqual(height, 6 * (10 + 256 + (4 + 8 + 1 + 13 + 4 + 1) + 3 * 19 + 6))

    def test_bad_picture_size_and_zoom_are_usage_errors_in_one_line(self):
        for args, message in (
                (["--picture-size", "8"], "--picture-size: expected a number of px from 16 to "
                                          "16384, or full, got '8'"),
                (["--picture-size", "big"], "got 'big'"),
                (["--zoom", "1,2"], "--zoom: expected Y,X,HxW (first row, first column, height x "
                                    "width in input cells, e.g. 100,200,256x256), got '1,2'"),
                (["--zoom", "1,2,0x3"], "--zoom: the region must be at least 1x1 cells")):
            code, out, err = run("run", self.sample, "-p", "relu", "-o",
                                 os.path.join(self.tmp, "bad"), *args)
            self.assertEqual(code, 2, err)
            self.assertEqual(len(err.strip().splitlines()), 1, err)
            self.assertIn(message, err)
            self.assertEqual(out, "")

    def test_zoom_outside_the_input_fails_that_image(self):
        code, _, err = run("run", self.sample, "-p", "relu", "-o", os.path.join(self.tmp, "out"),
                           "--picture-size", "64", "--zoom", "300,0,10x10", "-q",
                           "--report", "none")
        self.assertNotEqual(code, 0)
        self.assertIn("--zoom 300,0,10x10 starts outside the 300x451 input", err)


if __name__ == "__main__":
    BIN, ROOT = sys.argv[1], sys.argv[2]
    del sys.argv[1:3]
    parallel_unittest.main()
