#!/usr/bin/env python3
"""CLI tests of files that hold several images (issue 18, 10-11): every page of a multi-page TIFF
and every item of a .npy batch is an input of its own (`file.tif[2]` in reports, written to
`OUT/file_p2/`, its own index for --shard, its own record for --skip-existing), from a file or
stdin; `--pages channels`; .npy dtypes and layouts; convpool's own .npy output read back (its
layout comment), and the warning for an (H, W, C) array that looks like (C, H, W).

Usage: test_items.py PATH/TO/convpool REPO_ROOT   (ctest passes both). Standard library only:
TIFF files are written here by hand, .npy files by tests/support/arrays.py; the check that numpy loads convpool's .npy runs
/usr/bin/python3 with numpy and is skipped (saying so) without it.
"""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest

import parallel_unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from arrays import npy_bytes, npy_header_text, read_npy  # noqa: E402
from runner import run_binary  # noqa: E402

BIN = None
ROOT = None


def run(*args, stdin=None):
    """(exit code, stdout as bytes, stderr as text)."""
    code, out, err = run_binary(BIN, *args, stdin=stdin, timeout=300, text=False)
    return code, out, err.decode("utf-8", "replace")


def tiff(pages):
    """An uncompressed little-endian TIFF, one strip per page: (width, height, samples, values)
    of 8 bits, and optionally the page's Orientation tag."""
    out = bytearray(b"II*\x00\x00\x00\x00\x00")
    link = 4
    for (w, h, c, values, *orientation) in pages:
        data_at = len(out)
        out += bytes(values) + b"\x00" * (len(values) % 2)
        bits = 8
        if c > 2:
            bits = len(out)
            out += struct.pack("<" + "H" * c, *([8] * c))
        tags = [(256, 4, 1, w), (257, 4, 1, h), (258, 3, c, bits), (259, 3, 1, 1),
                (262, 3, 1, 2 if c >= 3 else 1), (273, 4, 1, data_at), (277, 3, 1, c),
                (278, 4, 1, h), (279, 4, 1, len(values)), (284, 3, 1, 1)]
        if orientation:
            tags.insert(6, (274, 3, 1, orientation[0]))
        ifd = len(out)
        struct.pack_into("<I", out, link, ifd)
        out += struct.pack("<H", len(tags))
        for tag, kind, count, value in tags:
            out += (struct.pack("<HHIHH", tag, kind, count, value, 0) if kind == 3 and count == 1
                    else struct.pack("<HHII", tag, kind, count, value))
        link = len(out)
        out += b"\x00\x00\x00\x00"
    return bytes(out)


def report(out):
    with open(os.path.join(out, "report.json")) as f:
        return json.load(f)


class Items(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name
        # Three 4x3 gray pages, page p holding 10 * (p + 1) everywhere.
        self.tif = self.path("scan.tif")
        self.write(self.tif, tiff([(4, 3, 1, [10 * (p + 1)] * 12) for p in range(3)]))

    def tearDown(self):
        self.tmp.cleanup()

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def write(self, path, data):
        with open(path, "wb") as f:
            f.write(data)
        return path

    def test_each_tiff_page_is_an_input(self):
        out = self.path("out")
        code, _, err = run("run", self.tif, "-p", "relu", "-o", out, "--emit", "final",
                           "--format", "npy")
        self.assertEqual(code, 0, err)
        images = report(out)["images"]
        self.assertEqual([(i["index"], i["input"]) for i in images],
                         [(p, self.tif + "[%d]" % p) for p in range(3)])
        for p in range(3):
            shape, values = read_npy(self.path("out", "scan_p%d.npy" % p), "<f4")
            self.assertEqual(shape, (1, 3, 4))
            self.assertAlmostEqual(values[0], 10 * (p + 1) / 255, places=6)

    def test_each_page_follows_its_own_orientation_tag(self):
        # Page 0 is tagged 6 (turn 90 degrees clockwise), page 1 is not tagged; a 3x2 ramp each.
        ramp = list(range(10, 70, 10))
        path = self.path("turned.tif")
        self.write(path, tiff([(3, 2, 1, ramp, 6), (3, 2, 1, ramp)]))
        for options, page0_shape, page0 in (((), (1, 2, 3), ramp),
                                             (("--orient", "exif"), (1, 3, 2),
                                              [40, 10, 50, 20, 60, 30])):
            out = self.path("out" + "".join(options))
            code, _, err = run("run", path, "-p", "relu", "-o", out, "--emit", "final",
                               "--format", "npy", *options)
            self.assertEqual(code, 0, err)
            for p, (shape_want, values_want) in enumerate(((page0_shape, page0),
                                                           ((1, 2, 3), ramp))):
                shape, values = read_npy(self.path(out, "turned_p%d.npy" % p), "<f4")
                self.assertEqual(shape, shape_want)
                self.assertEqual([round(v * 255) for v in values], values_want)
            notes = [" ".join(i["stages"][0]["notes"]) for i in report(out)["images"]]
            self.assertIn("EXIF orientation 6 " + ("applied" if options else "ignored"), notes[0])
            self.assertNotIn("EXIF", notes[1])

    def test_pages_have_folders_records_and_resume_one_by_one(self):
        out = self.path("out")
        code, _, err = run("run", self.tif, "-p", "relu", "-o", out, "--stats", "basic")
        self.assertEqual(code, 0, err)
        for p in range(3):
            with open(self.path("out", "scan_p%d" % p, "convpool.json")) as f:
                record = json.load(f)
            self.assertEqual(record["fingerprint"]["input"]["item"], p)
            self.assertEqual(record["image"]["input"], self.tif + "[%d]" % p)
        # Page 1's outputs go: --skip-existing redoes page 1 only.
        shutil.rmtree(self.path("out", "scan_p1"))
        code, _, err = run("run", self.tif, "-p", "relu", "-o", out, "--stats", "basic",
                           "--skip-existing")
        self.assertEqual(code, 0, err)
        self.assertEqual([i["status"] for i in report(out)["images"]], ["skipped", "done", "skipped"])

    def test_shard_counts_pages(self):
        png = self.path("a.npy")
        self.write(png, npy_bytes("|u1", (2, 2), bytes([1, 2, 3, 4])))
        out = self.path("out")
        code, _, err = run("run", self.tif, png, "-p", "relu", "-o", out, "--emit", "final",
                           "--shard", "2/2")
        self.assertEqual(code, 0, err)
        images = report(out)["images"]
        self.assertEqual([(i["index"], i["input"]) for i in images],
                         [(1, self.tif + "[1]"), (3, png)])

    def test_pages_as_channels(self):
        out = self.path("out")
        code, _, err = run("run", self.tif, "-p", "relu", "-o", out, "--emit", "final",
                           "--format", "npy", "--pages", "channels")
        self.assertEqual(code, 0, err)
        shape, values = read_npy(self.path("out", "scan.npy"), "<f4")
        self.assertEqual(shape, (3, 3, 4))
        self.assertAlmostEqual(values[2 * 12], 30 / 255, places=6)
        self.assertEqual([i["input"] for i in report(out)["images"]], [self.tif])

    def test_one_stdout_image_only(self):
        code, _, err = run("run", self.tif, "-p", "relu", "-o", "-", "--emit", "final")
        self.assertEqual(code, 2)
        self.assertIn("exactly one input (got 3)", err)

    def test_npy_batch_items(self):
        # 200 x 25 x 25 uint8, as scikit-image's lfw_subset.npy: item i holds i everywhere.
        batch = self.write(self.path("lfw.npy"),
                           npy_bytes("|u1", (200, 25, 25), b"".join(bytes([i]) * 625 for i in range(200))))
        out = self.path("out")
        code, _, err = run("run", batch, "-p", "pool:max,k=5", "-o", out, "--emit", "final",
                           "--format", "npy", "--npy-layout", "nhw", "--stats", "none")
        self.assertEqual(code, 0, err)
        images = report(out)["images"]
        self.assertEqual(len(images), 200)
        self.assertEqual(images[7]["input"], batch + "[7]")
        shape, values = read_npy(self.path("out", "lfw_i7.npy"), "<f4")
        self.assertEqual(shape, (1, 5, 5))
        self.assertAlmostEqual(values[0], 7 / 255, places=6)
        # Without a layout, a 3-D array is one H x W x C image (25 channels of 25x200).
        out2 = self.path("out2")
        code, _, err = run("run", batch, "-p", "relu", "-o", out2, "--emit", "final",
                           "--format", "npy", "--stats", "none")
        self.assertEqual(code, 0, err)
        self.assertEqual(read_npy(self.path("out2", "lfw.npy"))[0], (25, 200, 25))

    def test_npy_4d_layouts_and_stdin(self):
        values = struct.pack("<24f", *range(24))
        data = npy_bytes("<f4", (2, 3, 2, 2), values)
        for layout, shape, first in (("nchw", (3, 2, 2), 12.0), ("nhwc", (2, 3, 2), 12.0)):
            out = self.path("out-" + layout)
            code, _, err = run("run", "-", "-p", "relu", "-o", out, "--emit", "final",
                               "--format", "npy", "--npy-layout", layout, stdin=data)
            self.assertEqual(code, 0, err)
            self.assertEqual([i["input"] for i in report(out)["images"]], ["-[0]", "-[1]"])
            got_shape, got = read_npy(os.path.join(out, "stdin_i1.npy"), "<f4")
            self.assertEqual(got_shape, shape)
            self.assertEqual(got[0], first)
        code, _, err = run("run", "-", "-p", "relu", "-o", self.path("out-auto"), stdin=data)
        self.assertEqual(code, 3)
        self.assertIn("a 4-D batch needs --npy-layout nchw or nhwc", err)

    def test_npy_dtypes(self):
        cases = [("|i1", struct.pack("<2b", 127, -127), (1.0, -1.0)),
                 ("<i2", struct.pack("<2h", 32767, 0), (1.0, 0.0)),
                 ("<u4", struct.pack("<2I", 4294967295, 0), (1.0, 0.0)),
                 ("<f2", struct.pack("<2e", 0.5, -2.0), (0.5, -2.0)),
                 ("|b1", bytes([1, 0]), (1.0, 0.0))]
        for descr, data, expected in cases:
            out = self.path("out" + descr[1:])
            code, _, err = run("run", self.write(self.path(descr[1:] + ".npy"), npy_bytes(descr, (1, 2), data)),
                               "-p", "abs" if descr in ("|i1",) else "relu", "-o", out,
                               "--emit", "final", "--format", "npy")
            self.assertEqual(code, 0, descr + err)
            got = read_npy(os.path.join(out, descr[1:] + ".npy"), "<f4")[1]
            want = list(abs(v) if descr == "|i1" else max(v, 0.0) for v in expected)
            self.assertEqual(got, want, descr)

    def test_own_npy_output_reads_back(self):
        # (1, 9, 12): C x H x W with one channel, as `--format npy` writes a gray image.
        src = self.write(self.path("g.npy"), npy_bytes("<f4", (9, 12), struct.pack("<108f", *range(108))))
        code, first, err = run("run", src, "-p", "relu", "-o", "-", "--emit", "final",
                               "--format", "npy")
        self.assertEqual(code, 0, err)
        self.assertIn(b"# convpool layout: chw", first[:128])
        # From stdin and from a file: the same (1, 9, 12), without a warning.
        code, again, err = run("run", "-", "-p", "relu", "-o", "-", "--emit", "final",
                               "--format", "npy", stdin=first)
        self.assertEqual(code, 0, err)
        self.assertEqual(again, first)
        self.assertNotIn("warning", err)
        # --raw npy writes each stage with its layout too.
        out = self.path("raw")
        code, _, err = run("run", src, "-p", "relu", "-o", out, "--raw", "npy")
        self.assertEqual(code, 0, err)
        raw = [n for n in os.listdir(self.path("raw", "g")) if n.endswith(".npy")]
        self.assertTrue(raw)
        for name in raw:
            self.assertIn("# convpool layout: chw", npy_header_text(self.path("raw", "g", name)))

    def test_hwc_that_looks_like_chw_warns(self):
        data = npy_bytes("<f4", (1, 9, 12), struct.pack("<108f", *range(108)))
        out = self.path("out")
        code, _, err = run("run", "-", "-p", "relu", "-o", out, "--emit", "final", "--format", "npy",
                           stdin=data)
        self.assertEqual(code, 0, err)
        warnings = report(out)["images"][0]["warnings"]
        self.assertEqual(warnings, ["npy array (1, 9, 12) read as (H, W, C) = 12 channels of 9x1; "
                                    "if it is (C, H, W), give --npy-layout chw"])
        code, _, err = run("run", "-", "-p", "relu", "-o", self.path("out2"), "--emit", "final",
                           "--format", "npy", "--npy-layout", "chw", stdin=data)
        self.assertEqual(code, 0, err)
        self.assertEqual(report(self.path("out2"))["images"][0]["warnings"], [])

    def test_numpy_loads_convpool_npy(self):
        probe = subprocess.run(["/usr/bin/python3", "-c", "import numpy"], capture_output=True)
        if probe.returncode != 0:
            self.skipTest("numpy is not installed for /usr/bin/python3")
        out = self.path("out")
        code, _, err = run("run", self.tif, "-p", "relu", "-o", out, "--emit", "final",
                           "--format", "npy")
        self.assertEqual(code, 0, err)
        check = subprocess.run(
            ["/usr/bin/python3", "-c",
             "import numpy as np, sys; a = np.load(sys.argv[1]); print(a.shape, a.dtype, a[0, 0, 0])",
             self.path("out", "scan_p2.npy")], capture_output=True, text=True)
        self.assertEqual(check.returncode, 0, check.stderr)
        self.assertEqual(check.stdout.split()[:4], ["(1,", "3,", "4)", "float32"])


if __name__ == "__main__":
    BIN = os.path.abspath(sys.argv[1])
    ROOT = os.path.abspath(sys.argv[2])
    del sys.argv[1:3]
    parallel_unittest.main()
