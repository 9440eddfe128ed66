#!/usr/bin/env python3
"""CLI tests of `convpool explain`: explain.json against golden files and against windows, pools
and correlations recomputed here, the SVG's <text>, the page's form, error text and exit codes.

Usage: test_explain.py PATH/TO/convpool REPO_ROOT   (ctest passes both). Standard library only.
Regenerate the golden files on purpose with CONVPOOL_UPDATE_GOLDEN=1 (and read the diff).
"""
import json
import math
import os
import re
import shutil
import sys
import tempfile
import unittest

import parallel_unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from arrays import npy_f32  # noqa: E402
from images import read_gif, read_png  # noqa: E402
from runner import run_binary  # noqa: E402

BIN = None
ROOT = None


def run(*args):
    return run_binary(BIN, *args, errors="strict")


def svg_texts(svg):
    """The contents of every <text> element, unescaped."""
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    return [t.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
            .replace("&amp;", "&") for t in texts]


def windows_1d(n, k, s, pad, ceil):
    """(inside, padding) taps of every output position along an axis, PyTorch's rule."""
    eff = k
    if ceil:
        out = -(-(n + 2 * pad - eff) // s) + 1
        if (out - 1) * s >= n + pad:
            out -= 1
    else:
        out = (n + 2 * pad - eff) // s + 1
    result = []
    for o in range(out):
        taps = [o * s - pad + t for t in range(k)]
        inside = [i for i in taps if 0 <= i < n]
        padding = [i for i in taps if not 0 <= i < n and -pad <= i < n + pad]
        result.append((inside, padding))
    return result


class Explain(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="convpool-explain-")

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def explain(self, *args, out="out"):
        path = os.path.join(self.tmp, out)
        code, _, err = run("explain", "-o", path, "-q", *args)
        self.assertEqual(code, 0, err)
        self.assertEqual(err, "")
        with open(os.path.join(path, "explain.json"), encoding="utf-8") as f:
            model = json.load(f)
        with open(os.path.join(path, "explain.svg"), encoding="utf-8") as f:
            svg = f.read()
        return path, model, svg

    def golden(self, name, path):
        with open(os.path.join(path, "explain.json"), encoding="utf-8") as f:
            text = f.read()
        golden = os.path.join(ROOT, "tests", "golden", name)
        if os.environ.get("CONVPOOL_UPDATE_GOLDEN"):
            with open(golden, "w", encoding="utf-8") as f:
                f.write(text)
        with open(golden, encoding="utf-8") as f:
            self.assertEqual(text, f.read())

    def test_textbook_max_beside_avg(self):
        path, model, svg = self.explain("-p", "pool:max,k=2", "--modes", "max,avg", "--values",
                                        "[5 6; 7 9]")
        self.golden("explain_textbook.json", path)
        max_panel, avg_panel = model["panels"]
        self.assertEqual(max_panel["mode"], "max")
        self.assertEqual(avg_panel["mode"], "avg")
        self.assertEqual(max_panel["stages"][0]["values"], [[[5, 6], [7, 9]]])
        self.assertEqual(max_panel["stages"][1]["values"], [[[9]]])
        self.assertEqual(avg_panel["stages"][1]["values"], [[[6.75]]])
        window = max_panel["stages"][1]["windows"][0]
        self.assertEqual(window["cells"], [[0, 0], [0, 1], [1, 0], [1, 1]])
        self.assertEqual(window["winners"], [[1, 1]])
        self.assertEqual(avg_panel["stages"][1]["formula"], ["(5 + 6 + 7 + 9) / 4 = 6.75"])
        self.assertNotIn("winners", avg_panel["stages"][1]["windows"][0])
        texts = svg_texts(svg)
        for number in ("5", "6", "7", "9", "6.75"):
            self.assertIn(number, texts)
        self.assertTrue(any("(5 + 6 + 7 + 9) / 4 = 6.75" in t for t in texts), texts)
        self.assertTrue(any("max(5, 6, 7, 9) = 9; winner: input cell (1, 1)" in t for t in texts),
                        texts)
        # The winner's ring is drawn over the cell (1, 1) of the input grid.
        cell = re.search(r'<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)" '
                         r'[^>]*id="p0s0c0y1x1"', svg)
        ring = re.search(r'<circle cx="([\d.]+)" cy="([\d.]+)"', svg)
        self.assertIsNotNone(cell)
        self.assertIsNotNone(ring)
        x, y, w, h = (float(v) for v in cell.groups())
        self.assertAlmostEqual(float(ring.group(1)), x + w / 2, delta=0.2)
        self.assertAlmostEqual(float(ring.group(2)), y + h / 2, delta=0.2)

    def test_conv_multiply_accumulate_with_zero_padding(self):
        values = [[1, 3, 2], [5, 6, 7], [0, 2, 4]]
        kernel = [[1, 0], [0, -1]]
        path, model, svg = self.explain(
            "-p", "conv:kernel=[1 0; 0 -1],pad=1,border=zero | relu | pool:max,k=2,s=2,ceil",
            "--values", "[1 3 2; 5 6 7; 0 2 4]", "--cell", "1,0")
        self.golden("explain_conv.json", path)
        conv = model["panels"][0]["stages"][1]
        self.assertEqual(conv["kind"], "conv")
        self.assertEqual(conv["kernel"], kernel)

        def at(y, x):
            return values[y][x] if 0 <= y < 3 and 0 <= x < 3 else 0

        expected = [[sum(kernel[i][j] * at(oy - 1 + i, ox - 1 + j) for i in range(2)
                         for j in range(2)) for ox in range(4)] for oy in range(4)]
        self.assertEqual(conv["values"], [expected])
        self.assertEqual(conv["chosen"], [1, 0])
        self.assertEqual(conv["formula"], ["1×0 + 0×1 + 0×0 + (-1)×5 = -5"])
        window = conv["windows"][4]
        self.assertEqual(window["out"], [1, 0])
        self.assertEqual(window["cells"], [[0, 0], [1, 0]])
        self.assertEqual(window["padding"], [[0, -1], [1, -1]])
        pool = model["panels"][0]["stages"][3]
        relu = [[max(v, 0) for v in row] for row in expected]
        self.assertEqual(pool["values"], [[[max(relu[y][x] for y in (2 * oy, 2 * oy + 1)
                                                for x in (2 * ox, 2 * ox + 1))
                                            for ox in range(2)] for oy in range(2)]])
        self.assertIn("1×0 + 0×1 + 0×0 + (-1)×5 = -5", " ".join(svg_texts(svg)))

    def test_padding_cells_show_what_the_border_reads(self):
        values = [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]
        text = "[1 2 3 4; 5 6 7 8; 9 10 11 12]"

        def source(i, n, border):
            """The input index padded index i - 1 reads (pad 1), numpy.pad's rules."""
            j = i - 1
            if 0 <= j < n:
                return j
            if border == "zero":
                return -1
            if border == "replicate":
                return min(max(j, 0), n - 1)
            return -j if j < 0 else 2 * (n - 1) - j  # reflect101: the edge not repeated

        for border in ("reflect101", "replicate", "zero"):
            with self.subTest(border=border):
                _, model, svg = self.explain(
                    "-p", f"conv:box,k=3,border={border} | pool:max,k=2", "--values", text,
                    out=border)
                conv = model["panels"][0]["stages"][1]
                rows = [source(i, 3, border) for i in range(5)]
                cols = [source(i, 4, border) for i in range(6)]
                self.assertEqual(conv["border"], {"rows": rows, "cols": cols})
                # Every padding cell of the input grid is drawn with the value it reads.
                for py in range(-1, 4):
                    for px in range(-1, 5):
                        if 0 <= py < 3 and 0 <= px < 4:
                            continue
                        ry, rx = rows[py + 1], cols[px + 1]
                        value = 0 if ry < 0 or rx < 0 else values[ry][rx]
                        title = re.search(r'id="p0s0c0y{}x{}" class="pad"><title>([^<]*)<'
                                          .format(py, px), svg)
                        self.assertIsNotNone(title, (py, px))
                        self.assertTrue(title.group(1).startswith(
                            "padding ({}, {}): {}".format(py, px, value)), title.group(1))
                # Pooling's padding reads nothing: no border field, no values.
                self.assertNotIn("border", model["panels"][0]["stages"][2])

    def cell_boxes(self, svg, panel, stage):
        """{(y, x): (x, y, w, h)} of the cells of a stage's first channel in the SVG."""
        boxes = {}
        for m in re.finditer(r'<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" '
                             r'height="([\d.]+)" [^>]*id="p{}s{}c0y(-?\d+)x(-?\d+)"'
                             .format(panel, stage), svg):
            boxes[(int(m.group(5)), int(m.group(6)))] = tuple(float(v) for v in m.groups()[:4])
        return boxes

    def test_gif_fills_the_output_one_window_at_a_time(self):
        path, model, svg = self.explain("-p", "pool:max,k=2", "--modes", "max,avg", "--values",
                                        "[1 3 2 4; 5 6 7 9; 0 2 4 1; 8 3 5 6]")
        gif = read_gif(os.path.join(path, "explain.gif"))
        self.assertEqual(model["animation"], {"positions": 4, "step": 1, "frames": 4})
        self.assertEqual(gif["loop"], 0)  # forever
        self.assertEqual([f["delay"] for f in gif["frames"]], [60, 60, 60, 250])
        _, _, still = read_png(os.path.join(path, "explain.png"))
        orange = (230, 97, 0)

        def near(a, b, tol=6):
            return all(abs(p - q) <= tol for p, q in zip(a, b))

        for panel in (0, 1):
            out = self.cell_boxes(svg, panel, 1)
            self.assertEqual(len(out), 4)
            order = sorted(out)
            for i, frame in enumerate(gif["frames"]):
                px = frame["pixels"]
                for j, cell in enumerate(order):
                    x, y, w, h = out[cell]
                    at = (int(y + 10), int(x + 10))  # inside the cell, off its text and outline
                    if j <= i:
                        # Filled in: the colour of the value, as the still figure has it.
                        self.assertTrue(near(px[at[0]][at[1]], still[at[0]][at[1]]),
                                        (panel, i, cell, px[at[0]][at[1]], still[at[0]][at[1]]))
                    else:
                        self.assertEqual(px[at[0]][at[1]], (255, 255, 255), (panel, i, cell))
                # The cell of this frame is outlined in orange, and so is its window: the 2x2
                # input cells it reads, whose outline passes over their top-left corner. Both
                # outlines are 3.5 px wide strokes centred 2 px inside the cells (as in the SVG):
                # the row 2 px in is covered whole.
                x, y, w, h = out[order[i]]
                self.assertTrue(near(px[int(y + 2)][int(x + w / 2)], orange, 40), (panel, i))
                cells = model["panels"][panel]["stages"][1]["windows"][i]["cells"]
                inp = self.cell_boxes(svg, panel, 0)
                top_left = inp[tuple(min(cells))]
                self.assertTrue(near(px[int(top_left[1] + 2)][int(top_left[0] + w / 2)], orange,
                                     40), (panel, i))

    def test_gif_of_many_positions_steps_over_several(self):
        path, model, _ = self.explain("-p", "pool:max,k=1", "--size", "21x21")
        steps = model["animation"]
        self.assertEqual(steps["positions"], 441)
        self.assertGreater(steps["step"], 1)
        gif = read_gif(os.path.join(path, "explain.gif"), pixels=False)
        expected = len(range(0, 441, steps["step"])) + (440 % steps["step"] != 0)
        self.assertEqual(steps["frames"], expected)
        self.assertEqual(len(gif["frames"]), expected)
        self.assertLessEqual(expected, 400)
        self.assertLessEqual(expected * gif["width"] * gif["height"], 100e6)

    def test_gif_without_windows_is_one_frame(self):
        path, model, _ = self.explain("-p", "relu", "--values", "[1 -2; 3 -4]")
        gif = read_gif(os.path.join(path, "explain.gif"), pixels=False)
        self.assertEqual(len(gif["frames"]), 1)
        self.assertEqual(model["animation"], {"positions": 0, "step": 1, "frames": 1})

    def test_stochastic_shows_probabilities_and_the_draw(self):
        values = [[2, 3, 0, 1], [7, 8, 0, 0]]
        for phase in ("train", "test"):
            with self.subTest(phase=phase):
                _, model, svg = self.explain(
                    "-p", f"pool:stochastic,k=2,phase={phase},seed=5", "--values",
                    "[2 3 0 1; 7 8 0 0]", out=phase)
                stage = model["panels"][0]["stages"][1]
                for w in stage["windows"]:
                    cells = [values[y][x] for y, x in w["cells"]]
                    total = sum(cells)
                    out = stage["values"][0][w["out"][0]][w["out"][1]]
                    if phase == "train":
                        probs = ", ".join(f"{v}/{total}" for v in cells)
                        self.assertEqual(w["arithmetic"], [f"p = {probs}; drew {out:g}"])
                        # The draw is the winner's value, and a cell of non-zero probability.
                        wy, wx = w["winners"][0]
                        self.assertEqual(values[wy][wx], out)
                        self.assertGreater(out, 0)
                    else:
                        self.assertAlmostEqual(out, sum(v * v for v in cells) / total, places=5)
                        squares = " + ".join(f"{v}\u00b2" for v in cells)
                        plain = " + ".join(str(v) for v in cells)
                        self.assertTrue(w["arithmetic"][0].startswith(
                            f"({squares}) / ({plain}) = "), w["arithmetic"])
                self.assertIn(stage["formula"][0], " ".join(svg_texts(svg)))

    def test_layer_and_bank_sum_their_input_channels(self):
        # Two input channels, 3x3; weights (2 outputs, 2 inputs, 2x2), bias [1 -1], pad 1.
        image = [[[1, 2, 0], [3, 1, 2], [0, 4, 1]], [[2, 0, 1], [1, 1, 0], [3, 2, 2]]]
        weights = [[[[1, 0], [0, -1]], [[2, 1], [0, 0]]], [[[0, 1], [1, 0]], [[-1, 0], [0, 3]]]]
        path = os.path.join(self.tmp, "w.npy")
        with open(path, "wb") as f:
            f.write(npy_f32((2, 2, 2, 2), [v for o in weights for i in o for r in i for v in r]))
        text = ";;".join("[" + "; ".join(" ".join(str(v) for v in row) for row in ch) + "]"
                         for ch in image)
        _, model, _ = self.explain("-p", f"conv:weights=@{path},pad=1,bias=[1 -1]",
                                   "--values", text, "--cell", "1,2", out="layer")
        conv = model["panels"][0]["stages"][1]
        self.assertEqual(conv["kind"], "conv")
        self.assertEqual(conv["shape"], [2, 4, 4])

        def at(c, y, x):
            return image[c][y][x] if 0 <= y < 3 and 0 <= x < 3 else 0

        def term(v):
            return f"({v:g})" if v < 0 else f"{v:g}"

        for o, bias in ((0, 1), (1, -1)):
            parts, total = [], bias
            for i in range(2):
                products = []
                for ty in range(2):
                    for tx in range(2):
                        wv, xv = weights[o][i][ty][tx], at(i, 1 - 1 + ty, 2 - 1 + tx)
                        products.append(f"{term(wv)}\u00d7{term(xv)}")
                        total += wv * xv
                parts.append(f"[in {i}] " + " + ".join(products))
            self.assertEqual(conv["formula"][o], f"{' + '.join(parts)} + {term(bias)} = {total:g}")
            self.assertEqual(conv["values"][o][1][2], total)
        self.assertNotIn("kernel", conv)  # one kernel per term, written in the sums
        # A bank: output channel c*F+f is input channel c with filter f.
        _, model, _ = self.explain("-p", "bank:sobel-x,sobel-y", "--values", text, out="bank")
        bank = model["panels"][0]["stages"][1]
        self.assertEqual(bank["kind"], "conv")
        self.assertEqual(len(bank["formula"]), 4)
        for f in bank["formula"]:
            self.assertNotIn("[in", f)

    def test_stride_pad_and_ceil_windows_match_pytorch_rules(self):
        values = [[(7 * y + 3 * x) % 10 for x in range(5)] for y in range(5)]
        text = "[" + "; ".join(" ".join(str(v) for v in row) for row in values) + "]"
        path, model, _ = self.explain("-p", "pool:max,k=2,s=2,pad=1,ceil", "--values", text)
        self.golden("explain_ceil.json", path)
        stage = model["panels"][0]["stages"][1]
        axis = windows_1d(5, 2, 2, 1, True)
        self.assertEqual(len(axis), 3)  # the fourth window would start in the padding
        self.assertEqual(stage["shape"], [1, 3, 3])
        self.assertEqual(len(stage["dropped"]), 2)
        self.assertIn("would start at row 5", stage["dropped"][0])
        self.assertIn("would start at column 5", stage["dropped"][1])
        for w in stage["windows"]:
            oy, ox = w["out"]
            rows, cols = axis[oy], axis[ox]
            self.assertEqual(w["cells"], [[y, x] for y in rows[0] for x in cols[0]])
            everything = sorted([y, x] for y in rows[0] + rows[1] for x in cols[0] + cols[1])
            self.assertEqual(sorted(w["cells"] + w["padding"]), everything)
            best = max(values[y][x] for y, x in w["cells"])
            self.assertEqual(stage["values"][0][oy][ox], best)
            first = next([y, x] for y, x in w["cells"] if values[y][x] == best)
            self.assertEqual(w["winners"], [first])
        self.assertEqual(stage["unread"], [])

    def test_cells_no_window_reads_and_channels(self):
        _, model, _ = self.explain("-p", "pool:min,k=2,s=3", "--values",
                                   "[1 2 3 4 5; 6 7 8 9 10;; 5 4 3 2 1; 0 0 0 0 0]")
        stage = model["panels"][0]["stages"][1]
        self.assertEqual(model["panels"][0]["stages"][0]["shape"], [2, 2, 5])
        self.assertEqual(stage["unread"], [[0, 2], [1, 2]])
        self.assertEqual(stage["values"], [[[1, 4]], [[0, 0]]])
        self.assertEqual(stage["formula"], ["min(1, 2, 6, 7) = 1", "min(5, 4, 0, 0) = 0"])
        # Ties go to the first in row-major order.
        self.assertEqual(stage["windows"][0]["winners"], [[0, 0], [1, 0]])

    def test_avg_counts_padding_as_the_stage_says(self):
        _, model, _ = self.explain("-p", "pool:avg,k=2,s=2,pad=1", "--values", "[4 8; 2 6]")
        self.assertEqual(model["panels"][0]["stages"][1]["formula"], ["(4 + 0 + 0 + 0) / 4 = 1"])
        _, model, _ = self.explain("-p", "pool:avg,k=2,s=2,pad=1,count-pad=false", "--values",
                                   "[4 8; 2 6]", out="o2")
        self.assertEqual(model["panels"][0]["stages"][1]["formula"], ["(4) / 1 = 4"])

    def test_random_input_is_small_integers_and_repeatable(self):
        _, a, _ = self.explain("-p", "relu", "--size", "4x6", "--seed", "5", out="a")
        _, b, _ = self.explain("-p", "relu", "--size", "4x6", "--seed", "5", out="b")
        _, c, _ = self.explain("-p", "relu", "--size", "4x6", "--seed", "6", out="c")
        values = a["panels"][0]["stages"][0]["values"]
        self.assertEqual(values, b["panels"][0]["stages"][0]["values"])
        self.assertNotEqual(values, c["panels"][0]["stages"][0]["values"])
        self.assertEqual([len(values[0]), len(values[0][0])], [4, 6])
        self.assertTrue(all(v in range(10) for row in values[0] for v in row))

    def test_image_crop_and_npy_values(self):
        path, model, _ = self.explain(os.path.join(ROOT, "samples", "camera.png"), "--crop",
                                      "10,20,4x5", "-p", "pool:max,k=2")
        self.assertEqual(model["panels"][0]["stages"][0]["shape"][1:], [4, 5])
        # The same numbers as a .npy file of float32 (H x W).
        values = model["panels"][0]["stages"][0]["values"][0]
        npy = os.path.join(self.tmp, "small.npy")
        with open(npy, "wb") as f:
            f.write(npy_f32((4, 5), [v for row in values for v in row]))
        _, again, _ = self.explain("--values", "@" + npy, "-p", "pool:max,k=2", out="npy")
        self.assertEqual(again["panels"][0]["stages"], model["panels"][0]["stages"])
        self.assertTrue(os.path.isfile(os.path.join(path, "explain.png")))

    def test_page_is_one_file_that_asks_for_nothing(self):
        path, model, svg = self.explain("-p", "pool:max,k=2", "--values", "[5 6; 7 9]")
        with open(os.path.join(path, "explain.html"), encoding="utf-8") as f:
            page = f.read()
        self.assertIn('http-equiv="Content-Security-Policy" content="default-src \'none\'', page)
        self.assertIn("<svg", page)
        # No address but the SVG namespace; no src or href attributes at all.
        self.assertEqual(set(re.findall(r"https?://[^\s\"'<>]*", page)),
                         {"http://www.w3.org/2000/svg"})
        self.assertIsNone(re.search(r"\s(src|href)=", page))
        data = re.search(r'<script type="application/json" id="explain-data">(.*?)</script>', page,
                         re.S)
        self.assertEqual(json.loads(data.group(1)), model)
        self.assertIn("<li>pool:max,k=2 (0, 0): max(5, 6, 7, 9) = 9</li>", page)
        self.assertIn('tabindex="0"', svg)

    def test_errors_and_exit_codes(self):
        out = os.path.join(self.tmp, "err")
        big = "[" + "; ".join(" ".join("1" for _ in range(33)) for _ in range(2)) + "]"
        code, _, err = run("explain", "-p", "relu", "--values", big, "-o", out)
        self.assertEqual(code, 2)
        self.assertEqual(err, "convpool: error: explain: --values is 2x33; explain draws inputs "
                              "of 1x1 to 32x32 (crop an image with --crop Y,X,HxW)\n")
        code, _, err = run("explain", "-p", "relu", "--size", "40x8", "-o", out)
        self.assertEqual(code, 2)
        self.assertIn("--size is 40x8; explain draws inputs of 1x1 to 32x32", err)
        code, _, err = run("explain", "-p", "relu", "--values", "[1 2; 3]", "-o", out)
        self.assertEqual(code, 2)
        self.assertIn("--values: matrix rows differ in length", err)
        self.assertEqual(err.count("\n"), 1)
        code, _, err = run("explain", "-p", "relu", "--values", "[1 2;; 3 4 5]", "-o", out)
        self.assertEqual(code, 2)
        self.assertIn("--values: channel 1 is 1x3, channel 0 is 1x2", err)
        code, _, err = run("explain", "-p", "relu", "-o", out)
        self.assertEqual(code, 2)
        self.assertIn("explain: give one input", err)
        code, _, err = run("explain", "-p", "pool:max,k=2", "--values", "[1 2; 3 4]", "--cell",
                           "1,0", "-o", out)
        self.assertEqual(code, 2)
        self.assertIn("--cell: (1, 0) is outside the 1x1 output of stage 1 'pool:max,k=2'", err)
        code, _, err = run("explain", "-p", "relu", "--values", "[1 2]", "--modes", "max",
                           "-o", out)
        self.assertEqual(code, 2)
        self.assertIn("--modes: the pipeline has no sliding-window pooling stage", err)
        self.assertFalse(os.path.exists(out), "nothing is written after a usage error")
        # An earlier explain's outputs are kept without --force.
        self.assertEqual(run("explain", "-p", "relu", "--values", "[1 2]", "-o", out, "-q")[0], 0)
        code, _, err = run("explain", "-p", "abs", "--values", "[1 2]", "-o", out)
        self.assertEqual(code, 2)
        self.assertIn("outputs of an earlier explain (explain.json) already exist", err)
        self.assertIn("use --force", err)
        with open(os.path.join(out, "explain.json"), encoding="utf-8") as f:
            self.assertEqual(json.load(f)["pipeline"], "relu")
        code, _, err = run("explain", "-p", "abs", "--values", "[1 2]", "-o", out, "--force")
        self.assertEqual(code, 0, err)
        self.assertIn("convpool: wrote explain.json, explain.svg, explain.html, explain.png", err)
        with open(os.path.join(out, "explain.json"), encoding="utf-8") as f:
            self.assertEqual(json.load(f)["pipeline"], "abs")


if __name__ == "__main__":
    BIN, ROOT = sys.argv[1], sys.argv[2]
    del sys.argv[1:3]
    parallel_unittest.main()
