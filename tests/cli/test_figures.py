#!/usr/bin/env python3
"""CLI tests of channel names (issue 14) and of the slide-ready pictures (issue 16): the names in
report.json and the HTML report for every kind of stage, and pixels of the pictures and sheets.

Usage: test_figures.py PATH/TO/convpool REPO_ROOT   (ctest passes both). Standard library only.
"""
import json
import os
import shutil
import sys
import tempfile
import unittest

import parallel_unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from runner import run_binary  # noqa: E402
from arrays import npy_f32  # noqa: E402
from images import read_png  # noqa: E402

BIN = None
ROOT = None


def run(*args, cwd=None):
    return run_binary(BIN, *args, cwd=cwd)


class ChannelNames(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="convpool-figures-")

    def tearDown(self):
        shutil.rmtree(self.dir)

    def write(self, name, data):
        path = os.path.join(self.dir, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def names(self, image, pipeline, *extra):
        """Runs `pipeline` on `image` (--emit final); returns each stage's channel_names."""
        code, out, err = run("run", image, "-p", pipeline, "-o", "out", "--emit", "final",
                             "--format", "npy", "--report", "json", "-q", "--force", *extra,
                             cwd=self.dir)
        self.assertEqual(code, 0, err)
        [img] = json.loads(out)["images"]
        for st in img["stages"]:
            self.assertEqual(len(st["channel_names"]), st["shape"][0], st["stage"])
        return [st["channel_names"] for st in img["stages"]]

    def sample(self, name):
        return os.path.join(ROOT, "samples", name)

    def test_colour_input_is_rgb_and_gray_is_y_and_pooling_keeps_it(self):
        self.assertEqual(self.names(self.sample("chelsea.png"), "gray | pool:max,k=2 | relu"),
                         [["R", "G", "B"], ["Y"], ["Y"], ["Y"]])
        self.assertEqual(self.names(self.sample("camera.png"), "pool:avg,k=2"), [["Y"], ["Y"]])

    def test_bank_names_are_filters_qualified_by_the_input_channel_when_several(self):
        rgb = self.names(self.sample("chelsea.png"), "bank:sobel-x,gabor(theta=45) | relu")
        want = ["R:sobel-x", "R:gabor(theta=45)", "G:sobel-x", "G:gabor(theta=45)",
                "B:sobel-x", "B:gabor(theta=45)"]
        self.assertEqual(rgb[1:], [want, want])
        gray = self.names(self.sample("camera.png"), "bank:gabor(theta=45),dog")
        self.assertEqual(gray[1], ["gabor(theta=45)", "dog"])

    def test_npy_input_and_conv_weights_are_numbered(self):
        image = self.write("x.npy", npy_f32((2, 4, 5), [float(i % 7) for i in range(40)]))
        weights = self.write("w.npy", npy_f32((3, 2, 1, 1), [1, 0, 0, 1, 1, 1]))
        self.assertEqual(self.names(image, "conv:weights=@w.npy | pool:max,k=2",
                                    "--npy-layout", "chw"),
                         [["c0", "c1"], ["c0", "c1", "c2"], ["c0", "c1", "c2"]])
        # As many outputs as inputs: still the layer's own channels, not R, G, B.
        self.write("w3.npy", npy_f32((3, 3, 1, 1), [1, 0, 0, 0, 1, 0, 0, 0, 1]))
        self.assertEqual(self.names(self.sample("chelsea.png"), "conv:weights=@w3.npy")[1],
                         ["c0", "c1", "c2"])

    def test_select_keeps_the_names_it_keeps_and_top_is_chosen_per_image(self):
        listed = self.names(self.sample("chelsea.png"), "bank:sobel-x | select:channels=[2 0]")
        self.assertEqual(listed[2], ["B:sobel-x", "R:sobel-x"])
        # Channel means 1, 3, 2: the top two are c1 then c2; another image, another choice.
        one = self.write("a.npy", npy_f32((3, 2, 2), [1] * 4 + [3] * 4 + [2] * 4))
        two = self.write("b.npy", npy_f32((3, 2, 2), [5] * 4 + [-1] * 4 + [2] * 4))
        for path, want in ((one, ["c1", "c2"]), (two, ["c0", "c2"])):
            for stats in ("full", "none"):
                got = self.names(path, "select:top=2", "--npy-layout", "chw", "--stats", stats)
                self.assertEqual(got[1], want, (path, stats))

    def test_model_channels_are_numbered(self):
        fixtures = os.path.join(ROOT, "tests", "fixtures", "onnx")
        for name in ("small.onnx", "image.npy"):
            shutil.copy(os.path.join(fixtures, name), self.dir)
        got = self.names("image.npy", "model:small.onnx,output=/conv1/Conv", "--npy-layout", "chw")
        self.assertEqual(got[1], ["c%d" % i for i in range(len(got[1]))])

    def test_html_channel_tables_and_stage_pictures_name_the_channels(self):
        code, _, err = run("run", self.sample("chelsea.png"), "-p", "bank:sobel-x,sobel-y",
                           "-o", "out", "--html", "--report", "none", "-q", cwd=self.dir)
        self.assertEqual(code, 0, err)
        with open(os.path.join(self.dir, "out", "index.html"), encoding="utf-8") as f:
            page = f.read()
        for name in ("R", "G", "B", "R:sobel-x", "B:sobel-y"):
            self.assertIn("<td><code>%s</code></td>" % name, page)
        # The record keeps them: a report made again from it (--skip-existing) shows them too.
        with open(os.path.join(self.dir, "out", "chelsea", "convpool.json"), encoding="utf-8") as f:
            record = json.load(f)
        self.assertEqual(record["image"]["stages"][1]["channel_names"][3], "G:sobel-y")
        code, out, err = run("run", self.sample("chelsea.png"), "-p", "bank:sobel-x,sobel-y",
                             "-o", "out", "--skip-existing", "--report", "json", "-q", cwd=self.dir)
        self.assertEqual(code, 0, err)
        [img] = json.loads(out)["images"]
        self.assertEqual(img["status"], "skipped")
        self.assertEqual(img["stages"][1]["channel_names"][5], "B:sobel-y")


def runs(row, lo=0, hi=None):
    """[start, end) of every run of non-white pixels in `row` (RGB tuples) from lo to hi."""
    hi = len(row) if hi is None else hi
    out, start = [], None
    for x in range(lo, hi):
        white = row[x] == (255, 255, 255)
        if not white and start is None:
            start = x
        elif white and start is not None:
            out.append((start, x))
            start = None
    if start is not None:
        out.append((start, hi))
    return out


class Pictures(unittest.TestCase):
    """Pixels of the stage pictures and of sheet.png (issue 16)."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="convpool-figures-")

    def tearDown(self):
        shutil.rmtree(self.dir)

    def draw(self, image, pipeline, *extra):
        """Runs `pipeline` on `image` with --emit all; returns the image's output folder."""
        code, _, err = run("run", image, "-p", pipeline, "-o", "out", "--report", "none", "-q",
                           "--force", *extra, cwd=self.dir)
        self.assertEqual(code, 0, err)
        stem = os.path.splitext(os.path.basename(image))[0]
        return os.path.join(self.dir, "out", stem)

    def flat(self, value=0.5, size=32):
        """A 1 x size x size .npy image of one value."""
        path = os.path.join(self.dir, "flat.npy")
        with open(path, "wb") as f:
            f.write(npy_f32((1, size, size), [value] * (size * size)))
        return path

    def test_gray_and_pooled_images_are_drawn_in_gray_and_feature_maps_in_colour(self):
        folder = self.draw(os.path.join(ROOT, "samples", "chelsea.png"),
                           "gray | pool:max,k=2 | pool:avg,k=2 | conv:sobel-x")
        for name in ("01_gray.png", "02_pool-max.png", "03_pool-avg.png"):
            _, _, rows = read_png(os.path.join(folder, name))
            self.assertTrue(all(r == g == b for row in rows for (r, g, b) in row), name)
        _, _, rows = read_png(os.path.join(folder, "04_conv-sobel-x.png"))
        self.assertTrue(any(not r == g == b for row in rows for (r, g, b) in row))

    def test_every_pool_that_keeps_the_range_draws_an_image_in_gray(self):
        # Fractional, stochastic, soft, blur and switched max pooling keep an image's range (as
        # each op declares): drawn in gray as the input; lp (a sum) is a feature map.
        folder = self.draw(os.path.join(ROOT, "samples", "camera.png"),
                           "pool:fractional,out=300x300 | pool:stochastic,k=2 | pool:soft,k=2"
                           " | pool:blur,s=1 | pool:max,k=2,switches | unpool | pool:lp,k=2")
        for name in ("01_pool-fractional.png", "02_pool-stochastic.png", "03_pool-soft.png",
                     "04_pool-blur.png", "05_pool-max.png", "06_unpool.png"):
            _, _, rows = read_png(os.path.join(folder, name))
            self.assertTrue(all(r == g == b for row in rows for (r, g, b) in row), name)
        _, _, rows = read_png(os.path.join(folder, "07_pool-lp.png"))
        self.assertTrue(any(not r == g == b for row in rows for (r, g, b) in row))

    def test_compare_sheet_draws_image_pools_in_gray_and_others_in_colour(self):
        # A 32x32 gradient without white, in [0.1, 0.9] and in [30, 190] (drawn over the
        # input's range): the input and the pools that keep its range in gray, lp in colour;
        # every panel has its bar (gray for the images).
        values = [0.1 + 0.8 * ((x * 7 + y * 3) % 32) / 31 for y in range(32) for x in range(32)]
        for scale, offset in ((1, 0), (200, 10)):
            path = os.path.join(self.dir, "grad%d.npy" % scale)
            with open(path, "wb") as f:
                f.write(npy_f32((32, 32), [v * scale + offset for v in values]))
            code, _, err = run("compare", path, "--modes", "max,fractional,soft,lp", "--shifts",
                               "0", "--noise", "0.05", "--salt-pepper", "0", "--sheet-height",
                               "64", "-o", "cmp", "--force", "--report", "none", "-q",
                               cwd=self.dir)
            self.assertEqual(code, 0, err)
            _, _, rows = read_png(os.path.join(self.dir, "cmp", "sheet.png"))
            # The panels' rows: where lp's panel (in colour, never white) is a run of 64 px;
            # their columns: where any of those rows is not white (an image's max is white).
            top = next(y for y, row in enumerate(rows) if runs(row) and
                       runs(row)[-1][1] - runs(row)[-1][0] == 64)
            band = rows[top:top + 64]
            width = len(rows[0])
            panels = runs([(0, 0, 0) if any(row[x] != (255, 255, 255) for row in band)
                           else (255, 255, 255) for x in range(width)])
            self.assertEqual([e - s for s, e in panels], [64] * 5, scale)
            grays = []
            for start, end in panels:
                grays.append(all(r == g == b for row in rows[top:top + 64]
                                 for (r, g, b) in row[start:end]))
            self.assertEqual(grays, [True, True, True, True, False], scale)
            # The bars under the panels (a few rows below them): gray ramps, then a colour one.
            bar_row = next(rows[y] for y in range(top + 64, len(rows))
                           if len(runs(rows[y])) == 5)
            bars = [set(bar_row[s:e]) for s, e in panels]
            self.assertTrue(all(r == g == b for bar in bars[:4] for (r, g, b) in bar), scale)
            self.assertTrue(any(not r == g == b for (r, g, b) in bars[4]), scale)
            self.assertTrue(all(len(bar) > 20 for bar in bars), scale)

    def test_sheet_has_a_colour_bar_under_every_panel_but_the_rgb_image(self):
        folder = self.draw(os.path.join(ROOT, "samples", "chelsea.png"),
                           "gray | conv:sobel-x | relu", "--sheet-height", "128")
        _, _, rows = read_png(os.path.join(folder, "sheet.png"))
        # Panels from y = 10 to 138; each bar from y = 142 to 150.
        panels = runs(rows[10 + 127])
        bars = runs(rows[10 + 128 + 4 + 4])
        self.assertEqual(len(panels), 4, panels)
        # The input (RGB) has none; the others one as wide as the panel (the gray ramp of the
        # gray stage ends in white).
        self.assertEqual(len(bars), 3, bars)
        for (start, end), (p_start, p_end) in zip(bars, panels[1:]):
            self.assertEqual(start, p_start)
            self.assertIn(end, (p_end - 1, p_end))
        for start, end in bars:
            self.assertGreater(len(set(rows[146][start:end])), 50)  # a ramp of colours

    def test_a_long_label_wraps_in_its_panel_and_leaves_no_gap(self):
        kernel = "[" + "; ".join(" ".join(["0.0123456789"] * 5) for _ in range(5)) + "]"
        folder = self.draw(self.flat(), "conv:kernel=%s | relu | pool:max,k=2" % kernel,
                           "--npy-layout", "chw")
        _, _, rows = read_png(os.path.join(folder, "sheet.png"))
        panels = runs(rows[10 + 128])
        self.assertEqual(len(panels), 4, panels)
        gaps = [b[0] - a[1] for a, b in zip(panels, panels[1:])]
        self.assertTrue(all(g <= 12 for g in gaps), gaps)

    def test_sheet_scale_true_draws_maps_at_their_relative_heights(self):
        for scale, want in (("equal", [256, 256, 256]), ("true", [256, 128, 64])):
            folder = self.draw(self.flat(), "pool:max,k=2 | pool:avg,k=2", "--npy-layout", "chw",
                               "--sheet-scale", scale)
            _, _, rows = read_png(os.path.join(folder, "sheet.png"))
            # Panels stand on one base line, the bottom row of the row of panels (y = 265).
            heights = []
            for start, end in runs(rows[265]):
                mid = (start + end) // 2
                heights.append(sum(1 for y in range(10, 266) if rows[y][mid] != (255, 255, 255)))
            self.assertEqual(heights, want, scale)

    def test_many_scores_are_a_chart_of_the_largest(self):
        path = os.path.join(self.dir, "scores.npy")
        with open(path, "wb") as f:
            f.write(npy_f32((40, 1, 1), [float((i * 7) % 40) for i in range(40)]))
        folder = self.draw(path, "relu", "--npy-layout", "chw")
        for name in ("00_input.png", "01_relu.png"):
            width, height, _ = read_png(os.path.join(folder, name), max_rows=1)
            self.assertEqual((width, height), (960, 400), name)
        # 16 scores or fewer stay a grid of tiles.
        with open(path, "wb") as f:
            f.write(npy_f32((16, 1, 1), [float(i) for i in range(16)]))
        folder = self.draw(path, "relu", "--npy-layout", "chw")
        self.assertNotEqual(read_png(os.path.join(folder, "01_relu.png"), max_rows=1)[:2],
                            (960, 400))


if __name__ == "__main__":
    BIN, ROOT = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    del sys.argv[1:3]
    parallel_unittest.main()
