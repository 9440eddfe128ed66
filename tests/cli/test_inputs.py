#!/usr/bin/env python3
"""CLI tests of how inputs are decoded: PNG colour types (gray+alpha, gray palettes), 16-bit
values, and EXIF orientation (--orient) of JPEG and PNG files (TIFF: applied by OpenCV's decoder),
with the report's notes.

Usage: test_inputs.py PATH/TO/convpool REPO_ROOT   (ctest passes both). Standard library only:
every file is written here byte by byte.
"""
import json
import os
import struct
import sys
import tempfile
import unittest
import zlib

import parallel_unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from arrays import read_npy  # noqa: E402
from runner import run_binary  # noqa: E402

BIN = None
ROOT = None


def run(*args):
    return run_binary(BIN, *args, errors="strict")


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bytes(width, height, depth, color, rows, extra=b""):
    """A PNG of packed sample rows (bytes each) and colour type `color`; `extra`: chunks before
    IDAT (PLTE, tRNS, eXIf)."""
    raw = b"".join(b"\x00" + r for r in rows)
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, 0))
            + extra + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def exif_block(orientation, little=True):
    """A TIFF structure (the payload of an EXIF block) whose IFD0 holds one entry:
    Orientation (0x0112), SHORT, 1 value."""
    e = "<" if little else ">"
    head = (b"II" if little else b"MM") + struct.pack(e + "HI", 42, 8)
    entry = struct.pack(e + "HHI", 0x0112, 3, 1) + struct.pack(e + "H", orientation) + b"\0\0"
    return head + struct.pack(e + "H", 1) + entry + struct.pack(e + "I", 0)


def with_app1(jpeg, payload):
    """The JPEG with an APP1 segment holding `payload` right after SOI."""
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


def tiff_image(width, height, pixels, orientation, bits=8, sample_format=1, samples=1,
               little=True):
    """An uncompressed one-strip TIFF with an Orientation tag: gray or RGB (chunky), unsigned
    integers (sample_format 1) or IEEE floats (3) of `bits` bits; `pixels` in the file's order."""
    e = "<" if little else ">"
    entries = [(256, 3, 1, width), (257, 3, 1, height), (258, 3, 1, bits), (259, 3, 1, 1),
               (262, 3, 1, 2 if samples == 3 else 1), (273, 4, 1, 0), (274, 3, 1, orientation),
               (277, 3, 1, samples), (278, 3, 1, height), (279, 4, 1, len(pixels)),
               (284, 3, 1, 1), (339, 3, 1, sample_format)]
    ifd_size = 2 + 12 * len(entries) + 4
    data_at = 8 + ifd_size
    out = (b"II" if little else b"MM") + struct.pack(e + "HI", 42, 8)
    out += struct.pack(e + "H", len(entries))
    for tag, kind, count, value in entries:
        if tag == 273:
            value = data_at
        packed = struct.pack(e + "H", value) + b"\0\0" if kind == 3 else struct.pack(e + "I", value)
        out += struct.pack(e + "HHI", tag, kind, count) + packed
    return out + struct.pack(e + "I", 0) + pixels


def f32(x):
    """x rounded to the nearest float32."""
    return struct.unpack("<f", struct.pack("<f", x))[0]


# Where stored pixel (y, x) of an h x w image appears for each EXIF orientation, from the
# tag's definition (where the stored 0th row and 0th column go): displayed[r][c] = stored[...].
ORIENT = {
    1: (False, lambda a, h, w, r, c: a[r][c]),
    2: (False, lambda a, h, w, r, c: a[r][w - 1 - c]),          # 0th row top, 0th column right
    3: (False, lambda a, h, w, r, c: a[h - 1 - r][w - 1 - c]),  # bottom, right
    4: (False, lambda a, h, w, r, c: a[h - 1 - r][c]),          # bottom, left
    5: (True, lambda a, h, w, r, c: a[c][r]),                   # left, top
    6: (True, lambda a, h, w, r, c: a[h - 1 - c][r]),           # right, top
    7: (True, lambda a, h, w, r, c: a[h - 1 - c][w - 1 - r]),   # right, bottom
    8: (True, lambda a, h, w, r, c: a[c][w - 1 - r]),           # left, bottom
}


def oriented(a, value):
    h, w = len(a), len(a[0])
    swap, at = ORIENT[value]
    oh, ow = (w, h) if swap else (h, w)
    return [[at(a, h, w, r, c) for c in range(ow)] for r in range(oh)]


class InTempDir(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="convpool-inputs-")
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, name, data):
        path = os.path.join(self.dir, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def final(self, path, *options):
        """The float input of a run (`relu` keeps [0, 1] values): (shape, values, report)."""
        out = os.path.join(self.dir, "out-" + os.path.basename(path))
        code, _, err = run("run", path, "-p", "relu", "-o", out, "--emit", "final", "--format",
                           "npy", "--stats", "none", "--report", "json", "-q", "--force",
                           "--float-only", *options)
        self.assertEqual(code, 0, err)
        stem = os.path.splitext(os.path.basename(path))[0]
        shape, values = read_npy(os.path.join(out, stem + ".npy"), "<f4")
        with open(os.path.join(out, "report.json"), encoding="utf-8") as f:
            report = json.load(f)
        return shape, values, report


class PngColourTypes(InTempDir):
    def test_gray_alpha_is_one_channel_with_alpha_dropped(self):
        # 8 and 16 bits: gray is kept exactly, alpha (a different pattern) is dropped.
        for depth in (8, 16):
            with self.subTest(depth=depth):
                top = (1 << depth) - 1
                gray = [[(y * 7 + x * 13) * (top // 255) % (top + 1) for x in range(5)]
                        for y in range(3)]
                rows = [b"".join(v.to_bytes(depth // 8, "big") + (top - v).to_bytes(depth // 8, "big")
                                 for v in row) for row in gray]
                path = self.write("ga%d.png" % depth, png_bytes(5, 3, depth, 4, rows))
                shape, values, _ = self.final(path)
                self.assertEqual(shape, (1, 3, 5))
                self.assertEqual(values, [f32(v / top) if depth == 16 else f32(v * f32(1 / 255))
                                          for row in gray for v in row])

    def test_palette_of_grays_is_one_channel(self):
        # As scikit-image's palette_gray.png: a palette image whose entries are all gray.
        palette = b"".join(bytes([v, v, v]) for v in (0, 40, 90, 255))
        indices = [[(x + y) % 4 for x in range(6)] for y in range(4)]
        for depth in (8, 2):
            with self.subTest(depth=depth):
                if depth == 8:
                    rows = [bytes(r) for r in indices]
                else:
                    rows = [bytes([(r[0] << 6) | (r[1] << 4) | (r[2] << 2) | r[3],
                                   (r[4] << 6) | (r[5] << 4)]) for r in indices]
                path = self.write("pal%d.png" % depth,
                                  png_bytes(6, 4, depth, 3, rows, chunk(b"PLTE", palette)))
                shape, values, _ = self.final(path)
                self.assertEqual(shape, (1, 4, 6))
                self.assertEqual(values, [f32(palette[3 * i] * f32(1 / 255))
                                          for row in indices for i in row])
        # With transparency (tRNS): still one channel, alpha dropped.
        path = self.write("palt.png", png_bytes(6, 4, 8, 3, [bytes(r) for r in indices],
                                                chunk(b"PLTE", palette) + chunk(b"tRNS", b"\x00\x80")))
        shape, _, _ = self.final(path)
        self.assertEqual(shape, (1, 4, 6))
        # A palette with one colour stays RGB.
        colour = palette[:9] + b"\x10\x20\x30"
        path = self.write("palc.png", png_bytes(6, 4, 8, 3, [bytes(r) for r in indices],
                                                chunk(b"PLTE", colour)))
        self.assertEqual(self.final(path)[0], (3, 4, 6))

    def test_sixteen_bit_values_are_v_over_65535_exactly(self):
        # Every 16-bit value once (256 x 256 gray; RGBA for the channel order), each the float
        # nearest v / 65535, converted in one pass.
        rows = [b"".join(((y << 8) | x).to_bytes(2, "big") for x in range(256)) for y in range(256)]
        shape, values, _ = self.final(self.write("g16.png", png_bytes(256, 256, 16, 0, rows)))
        self.assertEqual(shape, (1, 256, 256))
        wrong = [v for v in range(65536) if values[v] != f32(v / 65535)]
        self.assertEqual(wrong, [])
        rgba = [b"".join(b"".join(((x * 97 + c * 1000 + y) % 65536).to_bytes(2, "big")
                                  for c in range(4)) for x in range(7)) for y in range(3)]
        shape, values, _ = self.final(self.write("rgba16.png", png_bytes(7, 3, 16, 6, rgba)))
        self.assertEqual(shape, (3, 3, 7))
        expect = [f32(((x * 97 + c * 1000 + y) % 65536) / 65535)
                  for c in range(3) for y in range(3) for x in range(7)]
        self.assertEqual(values, expect)


class Orientation(InTempDir):
    H, W = 3, 5
    STORED = [[(y * 5 + x) * 10 for x in range(5)] for y in range(3)]

    def exif_png(self, value, little=True):
        rows = [bytes(r) for r in self.STORED]
        return self.write("o%d%s.png" % (value, "" if little else "m"),
                          png_bytes(self.W, self.H, 8, 0, rows,
                                    chunk(b"eXIf", exif_block(value, little))))

    def test_png_exif_all_eight_values(self):
        for value in range(1, 9):
            for little in (True, False):
                with self.subTest(value=value, little=little):
                    path = self.exif_png(value, little)
                    shape, values, report = self.final(path, "--orient", "exif")
                    want = oriented(self.STORED, value)
                    self.assertEqual(shape, (1, len(want), len(want[0])))
                    self.assertEqual(values, [f32(v * f32(1 / 255)) for row in want for v in row])
                    notes = report["images"][0]["stages"][0]["notes"]
                    if value == 1:
                        self.assertFalse([n for n in notes if "EXIF" in n], notes)
                    else:
                        self.assertIn("EXIF orientation %d applied" % value, " ".join(notes))

    def test_default_keeps_pixels_as_stored_and_notes_the_tag(self):
        path = self.exif_png(6)
        for options in ((), ("--orient", "none")):
            shape, values, report = self.final(path, *options)
            self.assertEqual(shape, (1, self.H, self.W))
            self.assertEqual(values, [f32(v * f32(1 / 255)) for row in self.STORED for v in row])
            self.assertIn("EXIF orientation 6 ignored (use --orient exif)",
                          report["images"][0]["stages"][0]["notes"])
        # No tag, or orientation 1: no note.
        for p in (self.exif_png(1),
                  self.write("plain.png", png_bytes(self.W, self.H, 8, 0,
                                                    [bytes(r) for r in self.STORED]))):
            notes = self.final(p)[2]["images"][0]["stages"][0]["notes"]
            self.assertFalse([n for n in notes if "EXIF" in n], notes)

    def test_jpeg_app1_orientation(self):
        with open(os.path.join(ROOT, "samples", "rocket.jpg"), "rb") as f:
            jpeg = f.read()
        plain = self.write("plain.jpg", jpeg)
        shape, stored, _ = self.final(plain)
        c, h, w = shape
        planes = [[stored[k * h * w + y * w:k * h * w + (y + 1) * w] for y in range(h)]
                  for k in range(c)]
        for value, little in ((6, True), (3, False), (8, False)):
            with self.subTest(value=value):
                path = self.write("r%d.jpg" % value,
                                  with_app1(jpeg, b"Exif\0\0" + exif_block(value, little)))
                shape, values, report = self.final(path, "--orient", "exif")
                want = [oriented(p, value) for p in planes]
                self.assertEqual(shape, (c, len(want[0]), len(want[0][0])))
                self.assertEqual(values, [v for p in want for row in p for v in row])
                shape, values, report = self.final(path)
                self.assertEqual((shape, values), ((c, h, w), stored))
                self.assertIn("EXIF orientation %d ignored (use --orient exif)" % value,
                              report["images"][0]["stages"][0]["notes"])

    def test_tiff_orientation_is_kept_as_stored_or_applied_at_every_depth(self):
        # OpenCV's TIFF decoder turns the pixels as the Orientation tag says, at every depth;
        # convpool decodes with the tag cleared, so TIFF follows --orient as JPEG and PNG do.
        cases = [(8, 1, "B", 1 / 255, v, 1, True) for v in range(1, 9)]
        cases += [(8, 1, "B", 1 / 255, v, 3, True) for v in (1, 6, 7)]
        cases += [(16, 1, "H", 1 / 65535, v, s, True) for v in (3, 6, 7) for s in (1, 3)]
        cases += [(16, 1, "H", 1 / 65535, v, 1, False) for v in (2, 5, 8)]
        cases += [(32, 3, "f", None, v, s, True) for v in (2, 5, 8) for s in (1, 3)]
        folder = os.path.join(self.dir, "tiffs")
        os.mkdir(folder)
        expected = {}
        for bits, sample_format, code, scale, value, samples, little in cases:
            # Channel k of stored pixel (y, x) holds STORED[y][x] + 7 k.
            planes = [[[v + 7 * k for v in row] for row in self.STORED] for k in range(samples)]
            flat = [planes[k][y][x] for y in range(self.H) for x in range(self.W)
                    for k in range(samples)]
            pixels = struct.pack(("<" if little else ">") + "%d%s" % (len(flat), code), *flat)
            stem = "t%d_%d_%d_%s" % (bits, value, samples, "l" if little else "m")
            with open(os.path.join(folder, stem + ".tif"), "wb") as f:
                f.write(tiff_image(self.W, self.H, pixels, value, bits, sample_format, samples,
                                   little))
            expected[stem] = (value, scale, planes)

        def floats(p, scale):
            return [v if scale is None else f32(v * f32(scale))
                    for plane in p for row in plane for v in row]
        for options, turned in (((), False), (("--orient", "exif"), True)):
            out = os.path.join(self.dir, "out-%s" % turned)
            code, _, err = run("run", folder, "-p", "relu", "-o", out, "--emit", "final",
                               "--format", "npy", "--stats", "none", "-q", "--float-only",
                               *options)
            self.assertEqual(code, 0, err)
            with open(os.path.join(out, "report.json"), encoding="utf-8") as f:
                notes = {os.path.splitext(os.path.basename(i["input"]))[0]:
                         " ".join(i["stages"][0]["notes"]) for i in json.load(f)["images"]}
            self.assertEqual(set(notes), set(expected))
            for stem, (value, scale, planes) in expected.items():
                with self.subTest(stem=stem, turned=turned):
                    want = [oriented(p, value) for p in planes] if turned else planes
                    shape, values = read_npy(os.path.join(out, stem + ".npy"), "<f4")
                    self.assertEqual(shape, (len(planes), len(want[0]), len(want[0][0])))
                    self.assertEqual(values, floats(want, scale))
                    if value == 1:
                        self.assertNotIn("EXIF", notes[stem])
                    elif turned:
                        self.assertIn("EXIF orientation %d applied" % value, notes[stem])
                    else:
                        self.assertIn("EXIF orientation %d ignored (use --orient exif)" % value,
                                      notes[stem])

    def test_fingerprint_records_orient(self):
        path = self.exif_png(6)
        out = os.path.join(self.dir, "all")
        records = []
        for value in ("none", "exif"):
            code, _, err = run("run", path, "-p", "relu", "-o", out, "--force", "-q",
                               "--orient", value)
            self.assertEqual(code, 0, err)
            with open(os.path.join(out, "o6", "convpool.json"), encoding="utf-8") as f:
                records.append(json.load(f)["fingerprint"]["options"]["orient"])
        self.assertEqual(records, ["none", "exif"])
        # --skip-existing redoes an image whose record has another --orient.
        code, out_text, err = run("run", path, "-p", "relu", "-o", out, "--skip-existing",
                                  "--orient", "none", "--report", "json")
        self.assertEqual(code, 0, err)
        self.assertEqual(json.loads(out_text)["images"][0]["status"], "done")

    def test_bad_orientation_values_and_malformed_exif_are_ignored(self):
        rows = [bytes(r) for r in self.STORED]
        for name, block in (("zero", exif_block(0)), ("nine", exif_block(9)),
                            ("short", exif_block(6)[:20]), ("badifd", b"II*\0\xff\xff\xff\x7f"),
                            ("count", b"II*\0\x08\0\0\0\xff\xff")):
            with self.subTest(name=name):
                path = self.write(name + ".png", png_bytes(self.W, self.H, 8, 0, rows,
                                                           chunk(b"eXIf", block)))
                shape, values, report = self.final(path, "--orient", "exif")
                self.assertEqual(shape, (1, self.H, self.W))
                notes = report["images"][0]["stages"][0]["notes"]
                self.assertFalse([n for n in notes if "EXIF" in n], notes)


if __name__ == "__main__":
    BIN, ROOT = sys.argv[1], sys.argv[2]
    del sys.argv[1:3]
    parallel_unittest.main()
