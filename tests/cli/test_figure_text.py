#!/usr/bin/env python3
"""CLI tests of the figures' text and vector files (issue 16): explain.pdf and sheet.pdf are
valid PDFs whose text holds the figure's numbers and labels (poppler-utils' pdfinfo and
pdftotext), sheet.svg keeps its text as <text> and its pictures as PNG data, --png-scale 2
doubles explain.png, the Hershey fallback (CONVPOOL_FIGURES=hershey) keeps every layout's size and
writes no PDF, and the figure plugin convpool-cairo.so is loaded only when a figure is drawn.

Usage: test_figure_text.py PATH/TO/convpool REPO_ROOT   (ctest passes both).
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

import parallel_unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from images import read_png  # noqa: E402
from runner import run_binary  # noqa: E402

BIN = None
ROOT = None
TEXTBOOK = ["explain", "-p", "pool:max,k=2", "--modes", "max,avg", "--values", "[5 6; 7 9]"]
SHEET_PIPE = "bank:sobel-x,sobel-y | relu | pool:max,k=2"


def run(*args, cwd=None, env=None):
    return run_binary(BIN, *args, cwd=cwd, env=env)


def plugin_built():
    return os.path.exists(os.path.join(os.path.dirname(BIN), "convpool-cairo.so"))


class FigureText(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="convpool-figure-text-")
        if not plugin_built():
            self.skipTest("built without libcairo2-dev")

    def tearDown(self):
        shutil.rmtree(self.dir)

    def sample(self, name):
        return os.path.join(ROOT, "samples", name)

    def pdf_text(self, path):
        """pdfinfo's page count and pdftotext's text of `path` (both fail on a broken PDF)."""
        for tool in ("pdfinfo", "pdftotext"):
            if shutil.which(tool) is None:
                self.fail("%s is missing: install poppler-utils (scripts/test.sh does)" % tool)
        info = subprocess.run(["pdfinfo", path], capture_output=True, text=True, check=False)
        self.assertEqual(info.returncode, 0, info.stderr)
        self.assertNotIn("Syntax Error", info.stderr)
        pages = int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M).group(1))
        text = subprocess.run(["pdftotext", "-layout", path, "-"], capture_output=True,
                              text=True, check=True).stdout
        return pages, text

    def test_explain_pdf_holds_the_numbers_and_the_formula_as_text(self):
        code, _, err = run(*TEXTBOOK, "-o", "ex", cwd=self.dir)
        self.assertEqual(code, 0, err)
        self.assertIn("explain.pdf", err)
        pages, text = self.pdf_text(os.path.join(self.dir, "ex", "explain.pdf"))
        self.assertEqual(pages, 1)
        for want in ("(5 + 6 + 7 + 9) / 4 = 6.75", "pool:max,k=2", "pool:avg,k=2", "6.75"):
            self.assertIn(want, text)
        # Every input value is text in the PDF, once per panel at least.
        for v in ("5", "6", "7", "9"):
            self.assertGreaterEqual(len(re.findall(r"(?<![\d.])%s(?![\d.])" % v, text)), 2, v)
        # The SVG keeps its text as <text> too.
        with open(os.path.join(self.dir, "ex", "explain.svg"), encoding="utf-8") as f:
            svg = f.read()
        self.assertIn("6.75</text>", svg)
        self.assertIn('font-family="DejaVu Sans', svg)

    def test_png_scale_2_doubles_explain_png_and_keeps_the_pdf(self):
        code, _, err = run(*TEXTBOOK, "-o", "one", cwd=self.dir)
        self.assertEqual(code, 0, err)
        code, _, err = run(*TEXTBOOK, "-o", "two", "--png-scale", "2", cwd=self.dir)
        self.assertEqual(code, 0, err)
        w1, h1, _ = read_png(os.path.join(self.dir, "one", "explain.png"), max_rows=1)
        w2, h2, _ = read_png(os.path.join(self.dir, "two", "explain.png"), max_rows=1)
        self.assertEqual((w2, h2), (2 * w1, 2 * h1))
        with open(os.path.join(self.dir, "one", "explain.pdf"), "rb") as a, \
                open(os.path.join(self.dir, "two", "explain.pdf"), "rb") as b:
            self.assertEqual(a.read()[:5], b.read()[:5])
        code, _, err = run(*TEXTBOOK, "-o", "bad", "--png-scale", "8", cwd=self.dir)
        self.assertEqual(code, 2)
        self.assertIn("--png-scale", err)

    def test_pdfs_are_the_same_bytes_run_after_run_and_dated_by_source_date_epoch(self):
        def pdfs(name, env=None):
            code, _, err = run(*TEXTBOOK, "-o", "ex_" + name, cwd=self.dir, env=env)
            self.assertEqual(code, 0, err)
            code, _, err = run("run", self.sample("camera.png"), "-p", "pool:max,k=4", "-o",
                               "run_" + name, "--sheet-format", "pdf", "--report", "none", "-q",
                               cwd=self.dir, env=env)
            self.assertEqual(code, 0, err)
            out = []
            for path in (os.path.join("ex_" + name, "explain.pdf"),
                         os.path.join("run_" + name, "camera", "sheet.pdf")):
                with open(os.path.join(self.dir, path), "rb") as f:
                    out.append(f.read())
            return out

        unset = {"SOURCE_DATE_EPOCH": ""}
        first = pdfs("a", unset)
        time.sleep(1.1)  # cairo's own date has whole seconds: a later second would show
        self.assertEqual(pdfs("b", unset), first)
        # cairo 1.16 writes the dates without PDF's optional "D:" prefix.
        for pdf in first:
            self.assertTrue(b"/CreationDate (20000101000000Z)" in pdf, pdf[-400:])
            self.assertTrue(b"/ModDate (20000101000000Z)" in pdf, pdf[-400:])
        dated = pdfs("c", {"SOURCE_DATE_EPOCH": "1700000000"})  # 2023-11-14T22:13:20Z
        for pdf in dated:
            self.assertTrue(b"/CreationDate (20231114221320Z)" in pdf, pdf[-400:])
        self.assertNotEqual(dated, first)

    def test_png_scale_2_doubles_run_pictures_switch_maps_and_the_run_and_compare_sheets(self):
        sizes = {}
        for scale in ("1", "2"):
            code, _, err = run("run", self.sample("camera.png"), "-p",
                               "bank:sobel-x,sobel-y | pool:max,k=3,s=2,switches", "-o",
                               "s" + scale, "--png-scale", scale, "--report", "none", "-q",
                               "--picture-size", "512", cwd=self.dir)
            self.assertEqual(code, 0, err)
            folder = os.path.join(self.dir, "s" + scale, "camera")
            sizes[scale] = {f: read_png(os.path.join(folder, f), max_rows=1)[:2]
                            for f in ("00_input.png", "01_bank.png", "02_pool-max.png",
                                      "02_pool-max_switches.png", "02_pool-max_coverage.png",
                                      "02_pool-max_zoom.png", "sheet.png")
                            if os.path.exists(os.path.join(folder, f))}
        self.assertEqual(sorted(sizes["1"]), sorted(sizes["2"]))
        self.assertIn("02_pool-max_switches.png", sizes["1"])
        for name, (w, h) in sizes["1"].items():
            self.assertEqual(sizes["2"][name], (2 * w, 2 * h), name)
        compare = {}
        for scale in ("1", "2"):
            code, _, err = run("compare", self.sample("camera.png"), "--modes", "max,avg", "-k",
                               "2", "--sheet-height", "64", "-o", "c" + scale, "--png-scale",
                               scale, "--report", "none", "-q", cwd=self.dir)
            self.assertEqual(code, 0, err)
            compare[scale] = read_png(os.path.join(self.dir, "c" + scale, "sheet.png"),
                                      max_rows=1)[:2]
        self.assertEqual(compare["2"], (2 * compare["1"][0], 2 * compare["1"][1]))
        code, _, err = run("run", self.sample("camera.png"), "-p", "pool:max,k=2", "-o", "bad",
                           "--png-scale", "5", cwd=self.dir)
        self.assertEqual(code, 2)
        self.assertIn("--png-scale", err)

    def sheet(self, fmt, env=None):
        code, _, err = run("run", self.sample("chelsea.png"), "-p", SHEET_PIPE, "-o", "out_" + fmt,
                           "--sheet-format", fmt, "--report", "none", "-q", cwd=self.dir, env=env)
        self.assertEqual(code, 0, err)
        folder = os.path.join(self.dir, "out_" + fmt, "chelsea")
        return folder

    def test_sheet_pdf_and_svg_keep_labels_and_numbers_as_text(self):
        png = self.sheet("png")
        self.assertTrue(os.path.exists(os.path.join(png, "sheet.png")))
        pdf_dir = self.sheet("pdf")
        self.assertFalse(os.path.exists(os.path.join(pdf_dir, "sheet.png")))
        pages, text = self.pdf_text(os.path.join(pdf_dir, "sheet.pdf"))
        self.assertEqual(pages, 1)
        for want in ("input", "bank:sobel-x,sobel-y", "relu", "pool:max,k=2", "R:sobel-x"):
            self.assertIn(want, text)
        svg_dir = self.sheet("svg")
        with open(os.path.join(svg_dir, "sheet.svg"), encoding="utf-8") as f:
            svg = f.read()
        texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
        self.assertTrue(any("pool:max,k=2" in t for t in texts), texts)
        self.assertTrue(any("bank:sobel-x,sobel-y" in t for t in texts), texts)
        # Four panels (input and three stages), each a PNG, and a colour bar under the maps.
        images = re.findall(r'<image [^>]*href="data:image/png;base64,', svg)
        self.assertGreaterEqual(len(images), 4 + 3)
        # The same layout in every format: the SVG is the PNG's size.
        w, h, _ = read_png(os.path.join(png, "sheet.png"), max_rows=1)
        size = re.search(r'<svg [^>]*width="(\d+)" height="(\d+)"', svg)
        self.assertEqual((int(size.group(1)), int(size.group(2))), (w, h))

    def test_hershey_fallback_keeps_the_layout_and_makes_no_pdf(self):
        env = {"CONVPOOL_FIGURES": "hershey"}
        cairo = self.sheet("png")
        code, _, err = run("run", self.sample("chelsea.png"), "-p", SHEET_PIPE, "-o", "h2",
                           "--report", "none", "-q", cwd=self.dir, env=env)
        self.assertEqual(code, 0, err)
        a = read_png(os.path.join(cairo, "sheet.png"), max_rows=1)[:2]
        b = read_png(os.path.join(self.dir, "h2", "chelsea", "sheet.png"), max_rows=1)[:2]
        self.assertEqual(a, b)  # vertical metrics are the layout's; widths fit either font
        code, _, err = run("run", self.sample("chelsea.png"), "-p", SHEET_PIPE, "-o", "h3",
                           "--sheet-format", "pdf", cwd=self.dir, env=env)
        self.assertEqual(code, 2)
        self.assertIn("--sheet-format pdf: needs the figure plugin convpool-cairo.so", err)
        code, _, err = run(*TEXTBOOK, "-o", "ex", cwd=self.dir, env=env)
        self.assertEqual(code, 0, err)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "ex", "explain.pdf")))
        self.assertTrue(os.path.exists(os.path.join(self.dir, "ex", "explain.png")))
        self.assertIn("explain.pdf needs the figure plugin convpool-cairo.so", err)

    def loaded(self, *args):
        """Whether the process of `convpool ARGS` loaded convpool-cairo.so (glibc's LD_DEBUG)."""
        code, _, err = run(*args, cwd=self.dir, env={"LD_DEBUG": "files"})
        self.assertEqual(code, 0, err[-2000:])
        return "convpool-cairo.so" in err

    def test_the_plugin_loads_only_when_a_figure_is_drawn(self):
        image = self.sample("camera.png")
        self.assertFalse(self.loaded("shape", "-p", "pool:max,k=2", "--size", "3x32x32"))
        self.assertFalse(self.loaded("ops"))
        self.assertFalse(self.loaded("--version"))
        self.assertFalse(self.loaded("bench", "-p", "pool:max,k=2", "--size", "16",
                                     "--repeat", "1"))
        self.assertFalse(self.loaded("run", image, "-p", "pool:max,k=2", "-o", "final",
                                     "--emit", "final", "--report", "none", "-q"))
        self.assertTrue(self.loaded("run", image, "-p", "pool:max,k=2", "-o", "all",
                                    "--report", "none", "-q"))
        self.assertTrue(self.loaded(*TEXTBOOK, "-o", "ex", "-q"))


if __name__ == "__main__":
    BIN, ROOT = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    del sys.argv[1:3]
    parallel_unittest.main()
