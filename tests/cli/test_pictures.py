#!/usr/bin/env python3
"""CLI tests of the picture options and --html: the real binary on samples/, files and exit codes.

Usage: test_pictures.py PATH/TO/convpool REPO_ROOT   (ctest passes both). Standard library only.
"""
import os
import re
import shutil
import struct
import sys
import tempfile
import unittest

import parallel_unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from runner import run_binary  # noqa: E402

BIN = None
ROOT = None
PIPE = "conv:sobel-x | relu | pool:max,k=3,s=2,pad=1 | pool:avg,k=2"


def run(*args):
    return run_binary(BIN, *args, errors="strict")


def read_page(out):
    with open(os.path.join(out, "index.html"), encoding="utf-8") as f:
        return f.read()


def png_size(path):
    """(width, height) from a PNG's IHDR."""
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">II", head[16:24])


class PictureOptions(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="convpool-pictures-")

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def sample(self, name="camera.png"):
        return os.path.join(ROOT, "samples", name)

    def test_grid_overlay_writes_windows_before_each_pool_only(self):
        out = os.path.join(self.tmp, "o")
        code, _, err = run("run", self.sample(), "-p", PIPE, "-o", out, "--grid-overlay", "-q",
                           "--report", "none")
        self.assertEqual(code, 0, err)
        files = sorted(os.listdir(os.path.join(out, "camera")))
        windows = [f for f in files if f.endswith("_windows.png")]
        # Stage 02 (relu) feeds pool:max, stage 03 (pool:max) feeds pool:avg.
        self.assertEqual(windows, ["02_relu_windows.png", "03_pool-max_windows.png"])
        w, h = png_size(os.path.join(out, "camera", windows[0]))
        self.assertGreater(w, 100)
        self.assertGreater(h, 100)

    def test_columns_lay_channels_out_in_one_row(self):
        square = os.path.join(self.tmp, "square")
        row = os.path.join(self.tmp, "row")
        for out, extra in ((square, []), (row, ["--columns", "3"])):
            code, _, err = run("run", self.sample("chelsea.png"), "-p", "relu", "-o", out, "-q",
                               "--report", "none", *extra)
            self.assertEqual(code, 0, err)
        ws, hs = png_size(os.path.join(square, "chelsea", "01_relu.png"))
        wr, hr = png_size(os.path.join(row, "chelsea", "01_relu.png"))
        self.assertGreater(wr, ws)
        self.assertLess(hr, hs)

    def test_every_colormap_and_scale_runs(self):
        for i, (cmap, scale) in enumerate((("turbo", "global"), ("gray", "channel"),
                                           ("magma", "stage"))):
            out = os.path.join(self.tmp, f"o{i}")
            code, _, err = run("run", self.sample(), "-p", PIPE, "-o", out, "--colormap", cmap,
                               "--scale", scale, "--signed", "colormap", "--upscale", "smooth",
                               "--display-size", "64", "-q", "--report", "none")
            self.assertEqual(code, 0, f"{cmap} {scale}: {err}")
            # Space, panel, colour bar (4 px under the panel, 8 px, 1 px, a line of its values:
            # ascent 13 and descent 4, and 1 px), four lines of label of 19 px (the stage
            # wrapped to two in its 96 px column, shape and range, channel names), 6 px under
            # them.
            self.assertEqual(png_size(os.path.join(out, "camera", "sheet.png"))[1],
                             10 + 64 + (4 + 8 + 1 + 13 + 4 + 1) + 4 * 19 + 6)

    def test_bad_colormap_is_a_usage_error_listing_the_names(self):
        code, _, err = run("run", self.sample(), "-p", "relu", "-o", self.tmp, "--colormap",
                           "viridus")
        self.assertEqual(code, 2)
        self.assertIn("viridis", err)
        self.assertIn("turbo", err)

    def test_range_percentiles_change_feature_pictures_and_minmax_is_the_default(self):
        outs = {}
        for name, extra in (("default", []), ("minmax", ["--range", "minmax"]),
                            ("p1", ["--range", "p1"])):
            outs[name] = os.path.join(self.tmp, name)
            code, _, err = run("run", self.sample(), "-p", PIPE, "-o", outs[name], "-q",
                               "--report", "none", *extra)
            self.assertEqual(code, 0, f"{name}: {err}")

        def read(name, f):
            with open(os.path.join(outs[name], "camera", f), "rb") as fh:
                return fh.read()

        files = sorted(os.listdir(os.path.join(outs["default"], "camera")))
        self.assertEqual(files, sorted(os.listdir(os.path.join(outs["p1"], "camera"))))
        for f in files:
            self.assertEqual(read("default", f), read("minmax", f), f)
        # The input is drawn as the image itself; every feature-map picture and the sheet change,
        # and the stage pictures gain a line under the colour bar (the clipped range).
        self.assertEqual(read("default", "00_input.png"), read("p1", "00_input.png"))
        for f in files:
            if f not in ("00_input.png", "convpool.json"):
                self.assertNotEqual(read("default", f), read("p1", f), f)
        w0, h0 = png_size(os.path.join(outs["default"], "camera", "01_conv-sobel-x.png"))
        w1, h1 = png_size(os.path.join(outs["p1"], "camera", "01_conv-sobel-x.png"))
        self.assertEqual(h1, h0 + 19)  # one more line of text under the bar
        self.assertGreaterEqual(w1, w0)

    def test_range_percentiles_work_with_every_scale_and_signed_mode(self):
        for i, (scale, signed) in enumerate((("stage", "diverging"), ("channel", "colormap"),
                                             ("global", "diverging"), ("global", "colormap"))):
            out = os.path.join(self.tmp, f"o{i}")
            code, _, err = run("run", self.sample("chelsea.png"), "-p", PIPE, "-o", out,
                               "--range", "p0.5", "--scale", scale, "--signed", signed,
                               "--grid-overlay", "-q", "--report", "none")
            self.assertEqual(code, 0, f"{scale} {signed}: {err}")
            self.assertTrue(os.path.isfile(os.path.join(out, "chelsea", "sheet.png")))

    def test_bad_range_is_a_usage_error_in_one_line(self):
        for bad in ("p50", "p0", "p", "1", "max", "p1%"):
            out = os.path.join(self.tmp, "never")
            code, stdout, err = run("run", self.sample(), "-p", "relu", "-o", out, "--range", bad)
            self.assertEqual(code, 2, bad)
            self.assertEqual(stdout, "", bad)
            self.assertEqual(err.splitlines(), [
                "convpool: error: --range: expected minmax or pP with 0 < P < 50 (p1: the 1st "
                f"to 99th percentile, values outside clipped), got '{bad}'"])
            self.assertFalse(os.path.exists(out), bad)

    def test_html_needs_an_output_directory(self):
        code, _, err = run("run", self.sample(), "-p", "relu", "-o", "-", "--emit", "final",
                           "--html")
        self.assertEqual(code, 2)
        self.assertIn("--html", err)

    def test_html_escapes_file_names_and_encodes_their_urls(self):
        odd = os.path.join(self.tmp, "in", "a&b <c> #1.png")
        os.makedirs(os.path.dirname(odd))
        shutil.copy(self.sample(), odd)
        out = os.path.join(self.tmp, "out")
        code, _, err = run("run", odd, "-p", "relu", "-o", out, "--html", "-q", "--report", "none")
        self.assertEqual(code, 0, err)
        page = read_page(out)
        self.assertIn("a&amp;b &lt;c&gt; #1.png", page)
        self.assertNotIn("<c>", page)
        self.assertIn('src="a%26b%20%3Cc%3E%20%231/sheet.png"', page)
        self.assertNotIn("<script", page)
        for src in re.findall(r'<img[^>]*\bsrc="([^"]*)"', page):
            path = re.sub(r"%([0-9A-F]{2})", lambda m: chr(int(m.group(1), 16)), src)
            self.assertTrue(os.path.isfile(os.path.join(out, path)), src)

    def test_html_of_a_resumed_batch_shows_the_earlier_pictures(self):
        out = os.path.join(self.tmp, "out")
        args = ["-p", "relu", "-o", out, "--html", "-q", "--report", "none"]
        self.assertEqual(run("run", self.sample(), *args)[0], 0)
        code, _, err = run("run", self.sample(), self.sample("coffee.png"), "--skip-existing", *args)
        self.assertEqual(code, 0, err)
        page = read_page(out)
        self.assertIn("skipped: up to date, from an earlier run", page)
        self.assertIn('class="sheet" src="camera/sheet.png"', page)
        self.assertIn('class="sheet" src="coffee/sheet.png"', page)


if __name__ == "__main__":
    BIN, ROOT = sys.argv[1], sys.argv[2]
    del sys.argv[1:3]
    parallel_unittest.main()
