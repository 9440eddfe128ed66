#!/usr/bin/env python3
"""Bad-input suite: generates hostile files, pipeline strings, output conditions and numeric traps,
runs convpool on each, and checks the exit code and the error text. Standard library only.

Usage: bad_inputs.py PATH/TO/convpool REPO_ROOT   (ctest passes both)
Every case must end with the documented exit code, a matching message on stderr, one line per
failed input, no crash, no hang (each run has a time limit) and no partial or temporary file.
"""
import base64
import concurrent.futures
import csv
import json
import os
import re
import signal
import shutil
import stat
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from arrays import npy_bytes, npy_dict_file, npy_f32  # noqa: E402

BIN = os.path.abspath(sys.argv[1])
ROOT = os.path.abspath(sys.argv[2])
TMP = tempfile.mkdtemp(prefix="convpool-bad-")
CASES = []  # (name, args, expected exit code, stderr regex, extra check or None)


def path(name):
    return os.path.join(TMP, name)


def write(name, data):
    with open(path(name), "wb") as f:
        f.write(data)
    return path(name)


def read(p):
    with open(p, "rb") as f:
        return f.read()


def png_chunk(kind, payload):
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def png(width, height, pixels=None, iend=True):
    """A gray 8-bit PNG; `pixels` None gives a zero image of the declared size."""
    raw = pixels if pixels is not None else b"".join(b"\x00" + b"\x00" * width for _ in range(height))
    out = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
    out += png_chunk(b"IDAT", zlib.compress(raw))
    return out + (png_chunk(b"IEND", b"") if iend else b"")


def tiff(pages, loop=False, next_ifd=0):
    """An uncompressed little-endian TIFF, one strip per page: (width, height, samples, struct
    code, values). `loop` points the last page back at the first; `next_ifd` sets where it
    points otherwise."""
    kinds = {"B": (8, 1), "H": (16, 1), "f": (32, 3), "d": (64, 3), "I": (32, 1)}
    out = bytearray(b"II*\x00\x00\x00\x00\x00")
    link, first = 4, None
    for (w, h, c, fmt, values) in pages:
        data = struct.pack("<" + fmt * len(values), *values)
        data_at = len(out)
        out += data + b"\x00" * (len(data) % 2)
        bits, sample_format = kinds[fmt]
        bits_value = bits
        if c > 2:
            bits_value = len(out)
            out += struct.pack("<" + "H" * c, *([bits] * c))
        tags = [(256, 4, 1, w), (257, 4, 1, h), (258, 3, c, bits_value), (259, 3, 1, 1),
                (262, 3, 1, 2 if c >= 3 else 1), (273, 4, 1, data_at), (277, 3, 1, c),
                (278, 4, 1, h), (279, 4, 1, max(len(data), 1)), (284, 3, 1, 1), (339, 3, 1, sample_format)]
        ifd = len(out)
        first = ifd if first is None else first
        struct.pack_into("<I", out, link, ifd)
        out += struct.pack("<H", len(tags))
        for tag, kind, count, value in tags:
            out += struct.pack("<HHIHH", tag, kind, count, value, 0) if kind == 3 and count == 1 \
                else struct.pack("<HHII", tag, kind, count, value)
        link = len(out)
        out += b"\x00\x00\x00\x00"
    struct.pack_into("<I", out, link, first if loop else next_ifd)
    return bytes(out)


def jpeg_claiming(w, h):
    return (b"\xff\xd8\xff\xe0\x00\x04\x00\x00\xff\xc0\x00\x0b\x08" + struct.pack(">HH", h, w)
            + b"\x01\x01\x11\x00").ljust(200, b"\x00")


def jpeg_segment(marker, payload):
    return b"\xff" + bytes([marker]) + struct.pack(">H", len(payload) + 2) + payload


def scan_bomb(scans, side=8):
    """A side x side gray progressive JPEG whose one DC scan is repeated `scans` times (11 bytes a
    scan). Each scan visits every block: 990 scans of 8192x8192 take seconds to decode."""
    out = b"\xff\xd8" + jpeg_segment(0xDB, b"\x00" + b"\x01" * 64)
    out += jpeg_segment(0xC2, b"\x08" + struct.pack(">HH", side, side) + b"\x01\x01\x11\x00")
    out += jpeg_segment(0xC4, b"\x00\x01" + b"\x00" * 16)
    return out + (jpeg_segment(0xDA, b"\x01\x01\x00\x00\x00\x00") + b"\x7f") * scans + b"\xff\xd9"


def case(name, args, code, pattern, check=None):
    CASES.append((name, args, code, pattern, check))


def out_dir(name):
    return ["-o", path("out-" + name), "--report", "none", "-q"]


ERR = r"^convpool: error: "
camera = os.path.join(ROOT, "samples", "camera.png")
rocket = os.path.join(ROOT, "samples", "rocket.jpg")
good = write("good.npy", npy_bytes("<f4", "(4, 4)", struct.pack("<16f", *range(16))))

# --- files ---------------------------------------------------------------------------------------
def file_case(name, data, code, pattern, extra=()):
    p = write(name, data) if data is not None else path(name)
    case("file " + name, ["run", p, "-p", "relu", *out_dir(name), *extra], code,
         ERR + re.escape(p) + ": " + pattern)

file_case("missing.png", None, 3, "no such file$")
file_case("empty.png", b"", 3, "empty file$")
file_case("text.png", b"hello, I am not an image\n", 3, r"not an image \(unknown format")
file_case("random.bin", os.urandom(4096).replace(b"\x89PNG", b"xxxx"), 3, r"not an image")
file_case("gif.gif", b"GIF89a" + b"\x00" * 64, 3, r"not an image \(unknown format")
full_png = read(camera)
for cut in (8, 12, 16, 20, 33, 100, 1000, len(full_png) // 2, len(full_png) - 12):
    file_case("camera-cut-%d.png" % cut, full_png[:cut], 3,
              r"(png header is cut short|cannot decode png data|png header is malformed)")
file_case("png-30000x30000.png", png(30000, 30000, pixels=b"")[:200], 3,
          r"image is too large: 30000x30000 is more than 128000000 pixels$")
file_case("png-zero-width.png", png(0, 5, pixels=b""), 3, r"png header gives an empty image \(5x0\)$")
file_case("png-bad-crc.png", png(4, 4)[:-5] + b"\x00\x00\x00\x00\x00", 3, r"cannot decode png data")
file_case("png-wrong-chunk.png", b"\x89PNG\r\n\x1a\n" + png_chunk(b"IDAT", b"x" * 13), 3,
          r"png header is malformed \(no IHDR chunk\)$")
file_case("png-lies-about-size.png", png(8, 8, pixels=b"\x00" * 9), 3, r"cannot decode png data")
file_case("jpeg-30000x30000.jpg", jpeg_claiming(30000, 30000), 3,
          r"image is too large: 30000x30000 is more than 128000000 pixels$")
file_case("jpeg-header-only.jpg", b"\xff\xd8\xff", 3, r"jpeg header is malformed or cut short")
file_case("jpeg-garbage.jpg", b"\xff\xd8\xff\xe0\x00\x10" + os.urandom(300), 3, r"jpeg (header is malformed|data is truncated|decoder|header gives)|cannot decode jpeg")
file_case("jpeg-zero-size.jpg", jpeg_claiming(0, 0), 3, r"jpeg (header gives an empty image|header is malformed)")
full_jpg = read(rocket)
file_case("rocket-half-strict.jpg", full_jpg[: len(full_jpg) // 2], 3, r"jpeg data is truncated$", ("--strict",))
file_case("jpeg-scan-bomb.jpg", scan_bomb(20000), 3, r"jpeg data has more than 1000 scans$")
file_case("jpeg-scan-bomb-in-process.jpg", scan_bomb(20000), 3, r"jpeg data has more than 1000 scans$",
          ("--decode-in-process",))
corrupt_jpg = bytearray(full_jpg)
corrupt_jpg[len(full_jpg) // 2:len(full_jpg) // 2 + 2] = b"\xff\xd5"  # a marker amid the entropy-coded data
file_case("jpeg-corrupt-strict.jpg", bytes(corrupt_jpg), 3,
          r"jpeg decoder: corrupt JPEG data: premature end of data segment \(and 1 more\)$", ("--strict",))
# Crafted EXIF orientation data (src/io/exif.cpp): every file decodes as stored, exit 0, no note.
def exif_tiff(ifd_offset=8, count=1, entries=None, next_ifd=8):
    """A TIFF structure: IFD0 at ifd_offset declaring `count` entries (default: Orientation 6),
    whose next-IFD pointer is next_ifd (8: back at itself, a loop)."""
    body = entries if entries is not None else struct.pack("<HHIHH", 0x0112, 3, 1, 6, 0)
    return b"II*\x00" + struct.pack("<I", ifd_offset) + struct.pack("<H", count) + body + struct.pack("<I", next_ifd)


def jpeg_with_app1(payload):
    return full_jpg[:2] + jpeg_segment(0xE1, payload) + full_jpg[2:]


def exif_case(name, data):
    p = write(name, data)
    out = path("out-" + name)

    def stored_shape():
        report = json.load(open(os.path.join(out, "report.json")))
        stage = report["images"][0]["stages"][0]
        if any("EXIF" in n for n in stage["notes"]):
            return False, "an EXIF note for malformed data: %r" % stage["notes"]
        return (stage["shape"][1:] == [512, 512] if name.endswith(".png") else stage["shape"][1] < stage["shape"][2],
                "not as stored: %r" % stage["shape"])
    case("exif " + name, ["run", p, "-p", "relu", "-o", out, "--report", "json", "-q", "--orient", "exif"], 0, r"^$",
         stored_shape)


camera_png = read(camera)
for label, block in (("offset-past-end", exif_tiff(ifd_offset=0x7FFFFFF0)),
                     ("offset-wraps", exif_tiff(ifd_offset=0xFFFFFFFE)),
                     ("count-65535", exif_tiff(count=0xFFFF, entries=b"\x00" * 12)),
                     ("loop-no-tag", exif_tiff(entries=struct.pack("<HHIHH", 0x0100, 3, 1, 7, 0))),
                     ("huge-value-count", exif_tiff(entries=struct.pack("<HHIHH", 0x0112, 3, 0xFFFFFFFF, 6, 0))),
                     ("value-9", exif_tiff(entries=struct.pack("<HHIHH", 0x0112, 3, 1, 9, 0))),
                     ("cut", exif_tiff()[:17])):
    exif_case("exif-%s.jpg" % label, jpeg_with_app1(b"Exif\x00\x00" + block))
    exif_case("exif-%s.png" % label, camera_png[:33] + png_chunk(b"eXIf", block) + camera_png[33:])
exif_case("exif-bad-crc.png", camera_png[:33] + png_chunk(b"eXIf", exif_tiff())[:-1] + b"\x00" + camera_png[33:])

file_case("bmp-huge.bmp", b"BM" + struct.pack("<IHHI", 100, 0, 0, 54) + struct.pack("<IiiHH", 40, 100000, -100000, 1, 24) + b"\x00" * 40,
          3, r"image is too large: 100000x100000")
file_case("bmp-cut.bmp", b"BM" + b"\x00" * 10, 3, r"bmp header is cut short$")
file_case("tiff-bad-ifd.tif", b"II*\x00" + struct.pack("<I", 0x7FFFFFF0), 3, r"tiff header is cut short$")
file_case("tiff-huge.tif", b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 2)
          + struct.pack("<HHII", 256, 4, 1, 50000) + struct.pack("<HHII", 257, 4, 1, 50000) + b"\x00" * 4,
          3, r"image is too large: 50000x50000")
file_case("webp-cut.webp", b"RIFF\x10\x00\x00\x00WEBPVP8 ", 3, r"webp header is cut short$")
file_case("pnm-huge.pgm", b"P5\n99999 99999\n255\n", 3, r"image is too large: 99999x99999")
file_case("pnm-bad.pgm", b"P5\n# only a comment\n", 3, r"pnm header is malformed or cut short$")
file_case("pnm-cut-data.pgm", b"P5\n4 4\n255\n\x00\x01", 3, r"cannot decode pnm data")
file_case("npy-bad-version.npy", b"\x93NUMPY\x09\x00" + b"\x00" * 20, 3, r"unsupported \.npy version 9$")
file_case("npy-huge-shape.npy", npy_bytes("<f4", "(100000000, 100000000)", b""), 3, r"npy shape .* is empty or too large$")
file_case("npy-truncated.npy", npy_bytes("<f4", "(4, 4)", b"\x00" * 10), 3, r"truncated \.npy data: 10 bytes, expected 64$")
file_case("npy-1d.npy", npy_bytes("<f4", "(4,)", b"\x00" * 16), 3, r"npy array has shape \(4,\); expected \(H, W\), \(H, W, C\), \(C, H, W\) or a batch$")
file_case("npy-5d.npy", npy_bytes("<f4", "(1, 1, 1, 1, 1)", b"\x00" * 4), 3, r"npy array has shape \(1, 1, 1, 1, 1\); expected")
file_case("npy-object.npy", npy_bytes("|O", "(1, 1)", b"\x00" * 8), 3, r"unsupported npy dtype '\|O'")
file_case("npy-complex.npy", npy_bytes("<c8", "(1, 1)", b"\x00" * 8), 3, r"unsupported npy dtype '<c8'")
file_case("npy-4d-no-layout.npy", npy_bytes("<f4", "(2, 1, 2, 2)", b"\x00" * 32), 3,
          r"npy array has shape \(2, 1, 2, 2\): a 4-D batch needs --npy-layout nchw or nhwc$")
file_case("npy-3d-4d-layout.npy", npy_bytes("<f4", "(2, 2, 2)", b"\x00" * 32), 3,
          r"npy array has shape \(2, 2, 2\): --npy-layout nchw is for 4-D arrays$", ("--npy-layout", "nchw"))
file_case("npy-batch-truncated.npy", npy_bytes("<u2", "(1000, 4, 4)", b"\x00" * 100), 3,
          r"truncated \.npy data: 100 bytes, expected 32000$", ("--npy-layout", "nhw"))
file_case("npy-batch-huge-count.npy", npy_bytes("|u1", "(1073741824, 1, 1)", b"\x00" * 100), 3,
          r"truncated \.npy data: 100 bytes, expected 1073741824$", ("--npy-layout", "nhw"))
file_case("npy-batch-huge-item.npy", npy_bytes("|b1", "(2, 40000, 40000)", b"\x00" * 100), 3,
          r"npy shape \(2, 40000, 40000\) is empty or too large$", ("--npy-layout", "nhw"))
# An unknown layout in the comment is no layout: (H, W, C), read.
case("file npy-bad-layout-comment.npy",
     ["run", write("npy-bad-layout-comment.npy", npy_bytes("<f4", "(2, 2, 2)", b"\x00" * 32, " # convpool layout: nope")),
      "-p", "relu", *out_dir("npy-bad-layout-comment")], 0, r"^$")
file_case("tiff-page-loop.tif", tiff([(2, 2, 1, "B", [0] * 4)], loop=True), 3,
          r"tiff header is malformed \(its pages form a loop\)$")
file_case("tiff-next-page-outside.tif", tiff([(2, 2, 1, "B", [0] * 4)], next_ifd=0x7FFFFFF0), 3,
          r"tiff header is cut short$")
file_case("tiff-f64-rgb.tif", tiff([(2, 2, 3, "d", [0.5] * 12)]), 3,
          r"cannot decode tiff data: unsupported sample format: 3 samples of 64-bit float \(OpenCV reads")
file_case("tiff-uint32.tif", tiff([(2, 2, 1, "I", [7] * 4)]), 3,
          r"cannot decode tiff data: unsupported sample format: 1 sample of 32-bit unsigned")
file_case("tiff-pages-channels-sizes.tif", tiff([(2, 2, 1, "B", [0] * 4), (3, 2, 1, "B", [0] * 6)]), 3,
          r"--pages channels: tiff page 1 is 3x2, page 0 is 2x2; pages of different sizes cannot be "
          r"channels of one image$", ("--pages", "channels"))
case("file npy-too-many-items.npy",
     ["run", write("npy-too-many-items.npy", npy_bytes("|u1", "(100001, 1, 1)", b"\x00" * 100001)), "-p", "relu",
      "--npy-layout", "nhw", *out_dir("npy-too-many-items")], 2,
     ERR + "'" + re.escape(path("npy-too-many-items.npy")) + r"' holds 100001 images; at most 100000 of one file are read as inputs$")
# A 2x2 first page, then 100 000 empty pages (IFDs of no tags), each pointing at the next:
# refused, in linear time.
many = bytearray(b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 2)
                 + struct.pack("<HHII", 256, 4, 1, 2) + struct.pack("<HHII", 257, 4, 1, 2) + struct.pack("<I", 38))
for k in range(100000):
    many += struct.pack("<HI", 0, 38 + 6 * (k + 1) if k < 99999 else 0)
file_case("tiff-too-many-pages.tif", bytes(many), 3, r"tiff data has more than 100000 pages$")
huge_page = tiff([(2, 2, 1, "B", [0] * 4), (50000, 50000, 1, "B", [])])
case("file tiff-huge-second-page.tif: the page fails alone",
     ["run", write("tiff-huge-second-page.tif", huge_page), "-p", "relu", *out_dir("tiff-huge-second-page")], 1,
     ERR + re.escape(path("tiff-huge-second-page.tif")) + r"\[1\]: image is too large: 50000x50000")
file_case("npy-header-cut.npy", b"\x93NUMPY\x01\x00\xff\xff{'descr'", 3, r"truncated \.npy header$")
file_case("npy-negative-shape.npy", npy_bytes("<f4", "(-2, 2)", b"\x00" * 16), 3, r"npy shape \(-2, 2\) has a negative dimension$")
file_case("npy-float-shape.npy", npy_bytes("<f4", "(2e2, 2)", b"\x00" * 16), 3, r"npy shape is not a tuple of integers$")
file_case("npy-maybe-fortran.npy", npy_dict_file("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2, 2), }", b"\x00" * 16),
          3, r"npy header is not a Python literal dict \('Maybe' is not a literal\)$")
file_case("npy-extra-key.npy", npy_dict_file("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), 'x': 1}", b"\x00" * 16),
          3, r"npy header has the keys 'descr', 'fortran_order', 'shape', 'x'; expected")
file_case("npy-zero.npy", npy_bytes("<f4", "(0, 4)", b""), 3, r"npy shape .* is empty or too large$")
os.mkdir(path("dir.png"))
case("file directory named like an image", ["run", path("dir.png"), "-p", "relu", *out_dir("dir")], 2, r"no input images")
fifo = path("fifo.png")
os.mkfifo(fifo)
case("file FIFO (must not block)", ["run", fifo, "-p", "relu", *out_dir("fifo")], 3,
     ERR + re.escape(fifo) + r": not a regular file$")
case("file device", ["run", "/dev/zero", "-p", "relu", *out_dir("dev")], 3, r": not a regular file$")
os.symlink(path("loop2.png"), path("loop1.png"))
os.symlink(path("loop1.png"), path("loop2.png"))
case("file symlink loop", ["run", path("loop1.png"), "-p", "relu", *out_dir("loop")], 3, r"loop1\.png: .*(symbolic links|loop)")
case("file too large for --max-pixels", ["run", camera, "-p", "relu", "--max-pixels", "1000", *out_dir("maxpx")], 3,
     r"image is too large: 512x512 is more than 1000 pixels$")

def partial_check(name):
    def check():
        out = path("out-" + name)
        ok = os.path.exists(os.path.join(out, "good", "sheet.png"))
        stray = [f for _, _, fs in os.walk(out) for f in fs if f.startswith(".") and f != ".convpool.lock"]
        return ok and not stray, "good image not processed or temporary files left: %s" % stray
    return check
case("batch: bad files and a good one", ["run", path("text.png"), good, path("missing.png"), "-p", "relu", *out_dir("mixed")],
     1, ERR + re.escape(path("text.png")) + r": not an image", partial_check("mixed"))

# --- pipeline strings ----------------------------------------------------------------------------
def pipe_case(name, pipeline, pattern, code=2):
    # Each case has its own output folder: the cases run at the same time.
    case("pipeline " + name, ["run", good, "-p", pipeline, *out_dir("p-" + name)], code, ERR + ".*" + pattern)

pipe_case("empty", "", r"pipeline is empty")
pipe_case("only bars", "|||", r"stage 1 is empty")
pipe_case("trailing bar", "relu |", r"stage 2 is empty")
pipe_case("unknown op", "conb:sobel-x", r"stage 1 'conb:sobel-x': unknown op 'conb' \(did you mean 'conv'\?\)")
pipe_case("unknown mode", "pool:mx", r"unknown pool mode 'mx' \(did you mean 'max'\?\)")
pipe_case("no mode", "pool", r"pool needs a mode")
pipe_case("unknown key", "pool:max,kk=2", r"unknown parameter 'kk' \(did you mean 'k'\?\)")
pipe_case("duplicated key", "pool:max,k=2,k=3", r"pool:max: k is given twice$")
pipe_case("alias duplicate", "pool:max,k=2,kernel=3", r"pool:max: k is given twice$")
pipe_case("non-numeric", "pool:max,k=two", r"pool:max: k: expected a whole number, got 'two'$")
pipe_case("float for integer", "pool:max,k=2.5", r"expected a whole number, got '2.5'$")
pipe_case("nan", "conv:gaussian,sigma=nan", r"conv: sigma: expected a finite number, got 'nan'$")
pipe_case("inf", "leaky-relu:slope=inf", r"leaky-relu: slope: expected a finite number, got 'inf'$")
pipe_case("negative", "pool:max,k=-2", r"pool:max: k: size '-2' is out of range$")
pipe_case("zero kernel", "pool:max,k=0", r"pool:max: k: 0 is out of range \(from 1 to 4096\)$")
pipe_case("zero stride", "pool:max,k=2,s=0", r"pool:max: s: 0 is out of range")
pipe_case("zero dilation", "conv:box,dilation=0", r"conv: dilation: 0 is out of range")
pipe_case("absurd kernel", "pool:max,k=99999999999", r"pool:max: k: (size '99999999999' is out of range|99999999999 is out of range)")
pipe_case("absurd number", "conv:box,scale=1e300", r"conv: scale: 1e300 is out of range")
pipe_case("overflowing integer", "pool:avg,divisor=99999999999999999999999", r"expected a whole number")
pipe_case("pad too big", "pool:max,k=3,pad=2", r"pad 2x2 is more than half the kernel 3x3 \(at most 1x1; --semantics onnx allows "
          r"more\)$")
pipe_case("empty value", "pool:max,k=", r"pool:max: k: empty value$")
pipe_case("empty argument", "pool:max,,k=2", r"empty argument$")
pipe_case("missing key", "pool:max,=2", r"missing key before '='")
pipe_case("unbalanced bracket", "conv:kernel=[1 2", r"'\[' without '\]'")
pipe_case("stray bracket", "conv:kernel=1 2]", r"'\]' without '\['")
pipe_case("unbalanced parenthesis", "bank:gaussian(k=3", r"'\(' without '\)'")
pipe_case("crossed groups", "bank:gaussian(k=[3)]", r"'\)' without '\('")
pipe_case("unterminated quoted path", 'conv:kernel=@"k.npy', r"'@\"' without a closing '\"'")
pipe_case("entry arguments for a fixed filter", "bank:sobel-x(k=3)", r"'sobel-x' takes no arguments in parentheses")
pipe_case("weights file missing", "conv:kernel=@" + path("nope.npy"), r"conv: kernel: weights file: cannot read .*nope.npy.: no such file")
pipe_case("weights file is a device", "conv:kernel=@/dev/zero", r"conv: kernel: weights file: '/dev/zero' is larger than 67108864 bytes$")


def npz(name, members, compression=zipfile.ZIP_STORED):
    """An .npz (a zip of .npy members, as numpy.savez writes) at TMP/name."""
    with zipfile.ZipFile(path(name), "w", compression=compression) as z:
        for member, data in members.items():
            z.writestr(member, data)
    return path(name)


ONES = npy_f32((3, 3), [1.0] * 9)
npz("good.npz", {"a.npy": ONES})
write("cut.npz", read(path("good.npz"))[:len(read(path("good.npz"))) // 2])
pipe_case("weights npz truncated", "conv:kernel=@" + path("cut.npz") + ":a", r"'.*cut.npz':a: not a valid .npz \(zip\) archive: no end of central directory record$")
pipe_case("weights npz key is a path", "conv:kernel=@" + npz("evil.npz", {"../evil.npy": ONES}) + ":../evil", r"npz key '../evil' is not a plain array name$")
pipe_case("weights npz missing key", "conv:kernel=@" + path("good.npz") + ":b", r"'.*good.npz':b: no array 'b' \(did you mean 'a'\?\) \(arrays: a\)$")
pipe_case("weights npz zip bomb", "conv:kernel=@" + npz("bomb.npz", {"a.npy": bytes((64 << 20) + 1)}, zipfile.ZIP_DEFLATED) + ":a", r"npz member 'a.npy' inflates to 67108865 bytes, more than the 67108864 allowed$")
ONNX = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "onnx")
pipe_case("model file missing", "model:" + path("nope.onnx"), r"model: file: .*nope.onnx.: no such file$")
pipe_case("model file is a device", "model:/dev/zero", r"model: file: '/dev/zero': not a regular file$")
pipe_case("model file is garbage", "model:" + write("garbage.onnx", b"\xff" * 300), r"model: file: .*garbage.onnx.: not an ONNX model: ")
pipe_case("model file truncated", "model:" + write("cut.onnx", read(os.path.join(ONNX, "small.onnx"))[:1000]), r"model: file: .*cut.onnx.: not an ONNX model: truncated$")
pipe_case("model weight of 2^40 values", "model:" + os.path.join(ONNX, "huge.onnx"), r"model: file: .*huge.onnx.: weight 'w' declares more than 67108864 values$")
pipe_case("model unknown output", "model:" + os.path.join(ONNX, "small.onnx") + ",output=nope", r"model: output: 'nope' is no layer, node or tensor of ")
pipe_case("model on the wrong channels", "gray | model:" + os.path.join(ONNX, "small.onnx"), r"model: .*small.onnx takes 3 input channels, the input has 1$", code=3)
pipe_case("ragged matrix", "conv:kernel=[1 2; 3]", r"matrix rows differ in length")
pipe_case("empty matrix row", "conv:kernel=[1 2;]", r"matrix row 2 is empty")
pipe_case("matrix too large", "conv:kernel=[" + "; ".join([" ".join(["1"] * 64)] * 64) + "]", r"matrix 64x64 is larger than 63x63")
pipe_case("bad flag", "pool:max,ceil=maybe", r"ceil: expected true or false, got 'maybe'$")
pipe_case("bad choice", "conv:box,border=mirror", r"border: unknown value 'mirror'")
pipe_case("k for fixed filter", "conv:sobel-x,k=5", r"has a fixed size")
pipe_case("bad op name", "po ol:max", r"bad op name 'po ol'")
pipe_case("huge text", "relu|" * 20000, r"pipeline is \d+ bytes, more than the 65536 allowed")
pipe_case("too many stages", "|".join(["relu"] * 300), r"pipeline has 300 stages, more than the 256 allowed")
pipe_case("missing pipeline file", "@" + path("nope.pipe"), r"pipeline file: cannot read .*nope.pipe.: no such file")
pipe_case("kernel larger than input", "pool:max,k=5", re.escape(good) + r": stage 1 'pool:max,k=5': pool:max: kernel 5x5 \(dilation 1x1\) does not fit the padded input 4x4 \(pad 0x0\)$", code=3)
pipe_case("conv output 0x0", "conv:box,k=9,pad=valid", r"does not fit the padded input 4x4", code=3)
pipe_case("gray on 2 channels", "bank:identity,box | gray", r"gray: needs 1 or 3 \(RGB\) channels, got 2$", code=3)
case("pipeline huge intermediate", ["run", camera, "-p", "bank:" + ",".join(["box"] * 13) + " | bank:" + ",".join(["box"] * 13),
                                     "--max-pixels", "1000000", *out_dir("huge")], 3,
     r"stage 2 .*: output 169x512x512 has 44302336 values, more than the")

# --- unbounded reads (every read capped before it is made) ---------------------------------------
case("read: -p @/dev/zero", ["run", good, "-p", "@/dev/zero", *out_dir("zero-p")], 2,
     ERR + r"pipeline file: '/dev/zero' is larger than 65536 bytes$")
case("read: --files-from /dev/zero", ["run", "-p", "relu", "--files-from", "/dev/zero", *out_dir("zero-f")], 2,
     ERR + r"--files-from: .*(longer than 4096 bytes|larger than 67108864 bytes)")
long_line = write("long-line.txt", b"x" * (1 << 20) + b"\n" + good.encode() + b"\n")
case("read: a --files-from line of 1 MiB", ["run", "-p", "relu", "--files-from", long_line, *out_dir("long")], 2,
     ERR + r"--files-from: an entry is longer than 4096 bytes; is '.*long-line.txt' a list of paths\?$")
os.makedirs(path("zero-report"))
os.symlink("/dev/zero", path("zero-report/report.json"))
write("zero-report/report.csv", b"input\n")
case("read: merge-reports of a report.json that is /dev/zero", ["merge-reports", path("zero-report"), "-o", path("merged-zero")],
     2, ERR + r".*zero-report/report.json: not a regular file$")
# --- directories where a file is expected ---------------------------------------------------------
case("dir: --files-from DIR", ["run", "-p", "relu", "--files-from", TMP, *out_dir("ff-dir")], 2,
     ERR + r"--files-from: '.*' is a directory$")
case("dir: -p @DIR", ["run", good, "-p", "@" + TMP, *out_dir("p-dir")], 2, ERR + r"pipeline file: '.*' is a directory$")
os.makedirs(path("pam-folder"))
shutil.copy(good, path("pam-folder/good.npy"))
write("pam-folder/x.pam", b"P7\nWIDTH 2\nHEIGHT 2\nDEPTH 1\nMAXVAL 255\nTUPLTYPE GRAYSCALE\nENDHDR\n" + b"\x00" * 4)
case("dir: a folder does not collect .pam (P7 is not read)", ["run", path("pam-folder"), "-p", "relu", *out_dir("pam")], 0, r"^$")

# --- output conditions ---------------------------------------------------------------------------
blocker = write("blocker", b"x")
case("output under a regular file", ["run", good, "-p", "relu", "-o", os.path.join(blocker, "out")], 4,
     ERR + r".*cannot create directory")
case("output in /proc", ["run", good, "-p", "relu", "-o", "/proc/convpool-test-out"], 4, ERR + r".*cannot create directory")
twin_dir = path("twin")
os.mkdir(twin_dir)
twin = os.path.join(twin_dir, "good.npy")
shutil.copy(good, twin)
case("two inputs, one output name", ["run", good, twin, "-p", "relu", *out_dir("twin")], 2, r"would both write to 'good/'")
ro = path("readonly-out")
os.makedirs(os.path.join(ro, "good"))
os.chmod(os.path.join(ro, "good"), stat.S_IRUSR | stat.S_IXUSR)
if os.geteuid() != 0:  # root writes anyway
    case("unwritable output directory", ["run", good, "-p", "relu", "-o", ro], 4, ERR + r".*cannot write")

# A full disk: a 300 KiB tmpfs (root only; skipped, and said so, where mounting is not allowed).
FULL = path("full-disk")
os.mkdir(FULL)
MOUNTED = os.geteuid() == 0 and subprocess.run(["mount", "-t", "tmpfs", "-o", "size=300k", "tmpfs", FULL],
                                               capture_output=True).returncode == 0
if MOUNTED:
    def complete_png(file):
        """True when every chunk of the PNG is whole, its CRC right, and it ends with IEND."""
        raw = read(file)
        if raw[:8] != b"\x89PNG\r\n\x1a\n":
            return False
        at = 8
        while at + 12 <= len(raw):
            length, kind = struct.unpack(">I4s", raw[at:at + 8])
            end = at + 8 + length
            if end + 4 > len(raw) or zlib.crc32(raw[at + 4:end]) != struct.unpack(">I", raw[end:end + 4])[0]:
                return False
            if kind == b"IEND":
                return end + 4 == len(raw)
            at = end + 4
        return False

    def no_partial_files():
        # Files written before the disk filled up may stay, whole; nothing may be cut short,
        # no temporary file may be left, and the image is not marked complete (no record).
        left = [os.path.join(d, f) for d, _, fs in os.walk(os.path.join(FULL, "out")) for f in fs
                if not f.startswith("report.") and f != ".convpool.lock"]
        bad = [f for f in left if os.path.basename(f).startswith(".") or os.path.basename(f) == "convpool.json"
               or not complete_png(f)]
        return not bad, "partial, temporary or sheet files left on the full disk: %s" % bad
    case("output on a full disk", ["run", camera, "-p", "relu | abs", "-o", os.path.join(FULL, "out"), "-q",
                                   "--report", "none"], 4, ERR + r".*cannot write: No space left on device",
         no_partial_files)
else:
    print("skipped: full-disk case (cannot mount a tmpfs here)")

# --- pictures of extreme shapes (issue 20 item 5) ---------------------------------------------------
# Every picture keeps to 16384 px a side and 64 MP, whatever the input's shape or --sheet-height: a
# 2x60000 PNG drew 60012 px wide stage pictures, a 1000000x1 PNG a 360x1000060 one (3 GB), and a
# 1x5000 .npy with --sheet-height 4096 a 16384x4142 sheet (68 MP).
def picture_check(name):
    def check():
        bad = []
        for root, _, files in os.walk(path("out-" + name)):
            for f in files:
                if f.endswith(".png"):
                    w, h = struct.unpack(">II", read(os.path.join(root, f))[16:24])
                    if max(w, h) > 16384 or w * h > 64 << 20:
                        bad.append("%s is %dx%d" % (f, w, h))
        return not bad, "pictures beyond 16384 px a side or 64 MP: %s" % bad
    return check

case("pictures: a 2x60000 PNG", ["run", write("strip-2x60000.png", png(60000, 2)), "-p", "relu", *out_dir("strip")],
     0, r"^$", picture_check("strip"))
case("pictures: a 1000000x1 PNG", ["run", write("column-1000000x1.png", png(1, 1000000)), "-p", "relu",
                                    *out_dir("column")], 0, r"^$", picture_check("column"))
case("pictures: a 1x5000 .npy with --sheet-height 4096",
     ["run", write("row-1x5000.npy", npy_bytes("<f4", "(1, 5000)", struct.pack("<5000f", *range(5000)))), "-p", "relu",
      "--sheet-height", "4096", *out_dir("row")], 0, r"^$", picture_check("row"))
case("pictures: 6000 channels (a 2000-filter bank on RGB)",
     ["run", write("small-rgb.npy", npy_bytes("<f4", "(3, 8, 8)", struct.pack("<192f", *range(192)))), "--npy-layout", "chw",
      "-p", "bank:" + ",".join(["sobel-x", "sobel-y"] * 1000), *out_dir("bank")], 0, r"^$", picture_check("bank"))

# --- numeric traps -------------------------------------------------------------------------------
nan_inf = write("naninf.npy", npy_bytes("<f4", "(2, 3)", struct.pack("<6f", float("nan"), 1, float("inf"), -float("inf"), 2, 3)))
const = write("constant.npy", npy_bytes("<f4", "(5, 5)", struct.pack("<25f", *([0.5] * 25))))
all_nan = write("allnan.npy", npy_bytes("<f4", "(2, 2)", struct.pack("<4f", *([float("nan")] * 4))))

def report_check(name, needle):
    def check():
        p = os.path.join(path("out-" + name), "report.json")
        text = read(p).decode() if os.path.exists(p) else ""
        return needle in text, "report.json lacks %r" % needle
    return check

case("numeric NaN and inf in the input", ["run", nan_inf, "-p", "conv:box | pool:max,k=2 | norm", *out_dir("naninf")], 0, r"^$",
     report_check("naninf", '"nonfinite": 3'))
case("numeric constant image", ["run", const, "-p", "norm | conv:sobel-x | pool:avg,k=2", *out_dir("const")], 0, r"^$",
     report_check("const", '"entropy": 0.0'))
case("numeric all NaN", ["run", all_nan, "-p", "relu | pool:global-max", *out_dir("allnan")], 0, r"^$",
     report_check("allnan", '"mean": null'))
case("numeric 1x1 image", ["run", write("one.npy", npy_bytes("<f4", "(1, 1)", struct.pack("<f", 3))), "-p",
                           "conv:gaussian | pool:max,k=1 | pool:adaptive-avg,out=3", *out_dir("one")], 0, r"^$")
case("numeric 1x1 too small for k=2", ["run", path("one.npy"), "-p", "pool:max,k=2", *out_dir("one2")], 3,
     r"kernel 2x2 \(dilation 1x1\) does not fit the padded input 1x1")
case("numeric huge values", ["run", write("huge.npy", npy_bytes("<f4", "(2, 2)", struct.pack("<4f", 3e38, -3e38, 3e38, 1))), "-p",
                             "conv:box,k=2 | pool:lp,norm=3,k=2,ceil", *out_dir("hugevals")], 0, r"^$")
case("numeric negative zero and denormals", ["run", write("denorm.npy", npy_bytes("<f4", "(2, 2)", struct.pack("<4f", -0.0, 1e-45, -1e-45, 0))),
                                              "-p", "norm | pool:avg,k=2", *out_dir("denorm")], 0, r"^$")
case("npy float64 overflow is a warning",
     ["run", write("f8-overflow.npy", npy_bytes("<f8", "(1, 2)", struct.pack("<2d", 1e300, 1))), "-p", "relu",
      "-o", path("out-f8"), "-q"], 0, r"^$",
     report_check("f8", "npy float64 data: 1 value beyond float32's range became infinite"))
case("jpeg corrupt data is a warning without --strict",
     ["run", path("jpeg-corrupt-strict.jpg"), "-p", "relu", "-o", path("out-corrupt"), "-q"], 0, r"^$",
     report_check("corrupt", "jpeg decoder: corrupt JPEG data: premature end of data segment"))

# Standard output on a full device (`> /dev/full`): the output is lost, exit 4 with one line.
DEV_FULL = set()
for name, args in (("stdout full: run -o -", ["run", camera, "-p", "relu", "-o", "-", "--emit", "final"]),
                   ("stdout full: shape", ["shape", "-p", "relu", "--size", "3x8x8"]),
                   ("stdout full: ops", ["ops"])):
    DEV_FULL.add(name)
    case(name, args, 4, ERR + r"cannot write to standard output: No space left on device$")


# Sizes given on the command line are checked as images are (issue 20 item 11): no overflow, no
# allocation beyond --max-pixels and 4 values per pixel.
case("shape --size that overflows", ["shape", "-p", "relu", "--size", "1073741824x1073741824x1073741824"], 2,
     ERR + r"--size 1073741824x1073741824: .* pixels, more than --max-pixels 128000000$")
case("bench --size over --max-pixels", ["bench", "-p", "relu", "--size", "3x40000x40000"], 2,
     ERR + r"--size 40000x40000: 1600000000 pixels, more than --max-pixels 128000000$")
case("shape: a stage over 4 values per pixel", ["shape", "-p", "pool:adaptive-avg,out=20000", "--size", "512x512",
                                                "--max-pixels", "1000000"], 2,
     ERR + r"stage 1 'pool:adaptive-avg,out=20000': output 1x20000x20000 has 400000000 values, more than the 4000000 allowed$")
case("bench: a stage over 4 values per pixel", ["bench", "-p", "pool:adaptive-avg,out=3000", "--size", "64x64",
                                                "--max-pixels", "4096", "--repeat", "1"], 2,
     ERR + r"stage 1 .*more than the 16384 allowed$")


# --- signals -------------------------------------------------------------------------------------
# Whole-run cases with their own driver: (name, function returning a list of problems).
SIGNAL_CASES = []


def decoder_child(pid, timeout=30):
    """The pid of a child of `pid` (the decoding child), once there is one; None after `timeout`."""
    end = time.time() + timeout
    while time.time() < end:
        for task in os.listdir("/proc/%d/task" % pid) if os.path.exists("/proc/%d" % pid) else []:
            try:
                kids = read("/proc/%d/task/%s/children" % (pid, task)).split()
            except OSError:
                kids = []
            if kids:
                return int(kids[0])
        time.sleep(0.01)
    return None


def gone(pid, within):
    """True when process `pid` has ended (or is a zombie) within `within` seconds."""
    end = time.time() + within
    while time.time() < end:
        try:
            if read("/proc/%d/stat" % pid).split(b") ")[1][:1] in (b"Z", b"X"):
                return True
        except (OSError, IndexError):
            return True
        time.sleep(0.02)
    return False


def slow_decode_run(name):
    """A run, in a session of its own, decoding a JPEG that takes seconds; its decoding child."""
    slow = write(name + ".jpg", scan_bomb(990, side=8192))
    p = subprocess.Popen([BIN, "run", slow, "-p", "relu", "-o", path("out-" + name), "--report", "none",
                          "--emit", "final", "-q"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         text=True, stdin=subprocess.DEVNULL, start_new_session=True)
    return p, decoder_child(p.pid)


def signal_while_decoding(name, send):
    """Runs slow_decode_run(name) and send(p) while its child decodes; (p, child, problems)."""
    p, child = slow_decode_run(name)
    if child is None:
        p.kill()
        return p, child, ["no decoding child seen"]
    time.sleep(0.3)
    send(p)
    return p, child, []


def ctrl_c_while_decoding():
    # Ctrl-C: the terminal sends SIGINT to the whole foreground process group.
    p, child, problems = signal_while_decoding("sigint", lambda p: os.killpg(p.pid, signal.SIGINT))
    if problems:
        return problems
    try:
        err = p.communicate(timeout=30)[1]
    except subprocess.TimeoutExpired:
        p.kill()
        return ["still running 30 s after SIGINT"]
    problems = []
    if p.returncode != 130:
        problems.append("exit %s, expected 130" % p.returncode)
    if "error" in err or "crashed" in err:
        problems.append("the interrupted image was reported as failed: %r" % err[:300])
    report = path("out-sigint/report.json")
    if os.path.exists(report) and any(i.get("error") for i in json.loads(read(report))["images"]):
        problems.append("report.json lists the interrupted image as failed")
    if not gone(child, 5):
        problems.append("the decoding child outlived the run")
    return problems


def kill_9_while_decoding():
    p, child, problems = signal_while_decoding("sigkill", lambda p: p.kill())
    if problems:
        return problems
    p.wait()
    if not gone(child, 1):
        os.kill(child, signal.SIGKILL)
        return ["the decoding child went on decoding after its parent was killed (kill -9)"]
    return []


SIGNAL_CASES.append(("signal: Ctrl-C while the decoder works is interrupted, not failed", ctrl_c_while_decoding))


# --- hostile names -------------------------------------------------------------------------------
def hostile_names():
    """Names with CR, LF, an escape sequence and Latin-1 bytes through every report and stderr."""
    folder = os.path.join(TMP.encode(), b"names")
    os.mkdir(folder)
    data = npy_bytes("<f4", "(4, 4)", struct.pack("<16f", *range(16)))
    names = [b"cr\rname.npy", b"lf\nconvpool: error: forged.npy", b"esc\x1b]0;pwned\x07\x1b[2J.npy",
             b"caf\xe9.npy"]
    for n in names:
        with open(os.path.join(folder, n), "wb") as f:
            f.write(data)
    bad = os.path.join(folder, b"bad\nconvpool: error: forged\x1b[31m.png")
    with open(bad, "wb") as f:
        f.write(b"not an image")
    problems = []

    def run(args, code):
        p = subprocess.run([BIN.encode(), *args], capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
        if p.returncode != code:
            problems.append("%s: exit %s, expected %s: %r" % (args[:2], p.returncode, code, p.stderr[:300]))
        for stream in (p.stderr, p.stdout if b"json" not in args and b"csv" not in args else b""):
            if re.search(rb"[\x00-\x08\x0b-\x1f\x7f]", stream):
                problems.append("%s: a control character reached the terminal: %r" % (args[:4], stream[:300]))
        return p

    out = os.path.join(TMP.encode(), b"out-names")
    files = [os.path.join(folder, n) for n in names]
    for fmt in (b"table", b"md"):
        run([b"run", *files, b"-p", b"relu", b"-o", out + fmt, b"--report", fmt, b"--html"], 0)
    p = run([b"run", *files, bad, b"-p", b"relu", b"-o", out + b"err", b"--report", b"none"], 1)
    errors = [l for l in p.stderr.splitlines() if l.startswith(b"convpool: error:")]
    if len(errors) != 1 or len(p.stderr.splitlines()) != 2:
        problems.append("the bad name printed %d error lines: %r" % (len(errors), p.stderr[:300]))
    p = run([b"run", *files, b"-p", b"relu", b"-o", out + b"j", b"--report", b"json"], 0)
    try:
        doc = json.loads(p.stdout.decode("utf-8"))
        by_bytes = {i["input"]: i.get("input_bytes") for i in doc["images"]}
        latin = os.path.join(folder, b"caf\xe9.npy")
        if base64.b64encode(latin).decode() not in by_bytes.values():
            problems.append("report.json: no input_bytes for the Latin-1 name: %r" % by_bytes)
        if sorted(doc["images"][i]["input"] for i in range(4)) != sorted(f.decode("utf-8", "replace") for f in files):
            problems.append("report.json: input is not the name (U+FFFD for bad bytes)")
    except (ValueError, KeyError) as e:
        problems.append("report json is not valid UTF-8 JSON: %s" % e)
    p = run([b"run", *files, b"-p", b"relu", b"-o", out + b"l", b"--report", b"jsonl"], 0)
    try:
        if len([json.loads(l) for l in p.stdout.decode("utf-8").splitlines()]) != 4:
            problems.append("jsonl: not one line per image")
    except ValueError as e:
        problems.append("jsonl is not valid UTF-8 JSON lines: %s" % e)
    run([b"run", *files, b"-p", b"relu", b"-o", out + b"c", b"--report", b"csv"], 0)
    with open(os.path.join(out + b"c", b"report.csv"), newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    if len({len(r) for r in rows}) != 1 or len({r[0] for r in rows[1:]}) != 4:
        problems.append("report.csv: a name split a row: %r" % rows[:6])
    with open(os.path.join(out + b"table", b"index.html"), "rb") as f:
        page = f.read()
    if re.search(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]", page) or b"caf\xe9" in page:
        problems.append("index.html holds a raw control character or a byte that is not UTF-8")
    for sub in (b"compare", b"probe"):
        extra = [b"--modes", b"max"] if sub == b"probe" else [b"--modes", b"max,avg", b"--force"]
        for f in files[1:]:
            p = run([sub, f, *extra, b"-o", out + sub, b"--report", b"json", b"-q", b"--shifts", b"0",
                     b"--noise", b""], 0)
            try:
                json.loads(p.stdout.decode("utf-8"))
            except ValueError as e:
                problems.append("%s --report json: %s" % (sub.decode(), e))
            run([sub, f, *extra, b"-o", out + sub, b"--report", b"table", b"-q", b"--shifts", b"0",
                 b"--noise", b""], 0)
    return problems


SIGNAL_CASES.append(("names: CR, LF, escape sequences and Latin-1 in file names", hostile_names))
SIGNAL_CASES.append(("signal: the decoder dies with its parent (kill -9)", kill_9_while_decoding))


def column_in_bounded_memory():
    """A 1000000x1 PNG (9 KB; its pictures took 3.1 GB before they were bounded) runs, with
    --html, in 1 GiB of address space: each picture's memory is bounded by its own pixels."""
    if os.environ.get("CONVPOOL_SANITIZED") == "1":
        return []  # a sanitizer's shadow memory does not fit an address-space limit
    import resource

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
    f = write("column-memory.png", png(1, 1000000))
    p = subprocess.run([BIN, "run", f, "-p", "relu", "--html", "-o", path("out-column-memory"), "-q",
                        "--report", "none"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=300, stdin=subprocess.DEVNULL, preexec_fn=limit)
    if p.returncode != 0:
        return ["exit %d under a 1 GiB address-space limit: %s" % (p.returncode, p.stderr[-300:])]
    return []


SIGNAL_CASES.append(("memory: a 1000000x1 PNG runs with --html in 1 GiB of address space", column_in_bounded_memory))


def sixteen_bit_in_bounded_memory():
    """A 4000x4000 16-bit RGBA PNG (issue 20 item 10: at the pixel limit such files took 4.9 times
    the float image, converted through a float copy of every channel) decodes in process with
    --emit final --stats none in 700 MiB of address space: the float image (3 x 16M floats,
    192 MiB) times 2.5, plus the program itself. Before the one-pass conversion it needed more
    than 800 MiB."""
    if os.environ.get("CONVPOOL_SANITIZED") == "1":
        return []  # a sanitizer's shadow memory does not fit an address-space limit
    import resource

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (700 << 20, 700 << 20))
    width = height = 4000
    row = b"\x00" * (1 + width * 8)
    data = (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 16, 6, 0, 0, 0))
            + png_chunk(b"IDAT", zlib.compress(row * height, 1)) + png_chunk(b"IEND", b""))
    f = write("rgba16-memory.png", data)
    p = subprocess.run([BIN, "run", f, "-p", "pool:max,k=2,s=2", "--emit", "final", "--stats", "none",
                        "--decode-in-process", "-o", path("out-rgba16-memory"), "-q", "--report", "none"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=300,
                       stdin=subprocess.DEVNULL, preexec_fn=limit)
    if p.returncode != 0:
        return ["exit %d under a 700 MiB address-space limit: %s" % (p.returncode, p.stderr[-300:])]
    return []


SIGNAL_CASES.append(("memory: a 16-bit RGBA PNG decodes in 2.5 times its float image", sixteen_bit_in_bounded_memory))


def run_case(name, args, code, pattern, check):
    """The problems with one case (empty when it passed)."""
    try:
        out = open("/dev/full", "w") if name in DEV_FULL else subprocess.PIPE
        p = subprocess.run([BIN, *args], stdout=out, stderr=subprocess.PIPE, text=True, timeout=60,
                           stdin=subprocess.DEVNULL)
        got_code, err = p.returncode, p.stderr
    except subprocess.TimeoutExpired:
        got_code, err = "timeout", ""
    problems = []
    if got_code != code:
        problems.append("exit %s, expected %s" % (got_code, code))
    if not re.search(pattern, err.strip("\n"), re.M):
        problems.append("stderr %r does not match %r" % (err[:300], pattern))
    if isinstance(got_code, int) and got_code < 0:
        problems.append("killed by signal %d" % -got_code)
    if code in (2, 3) and len([l for l in err.splitlines() if l.startswith("convpool: error:")]) != err.count("\n"):
        problems.append("stderr has lines that are not convpool errors: %r" % err[:300])
    if check is not None and not problems:
        ok, why = check()
        if not ok:
            problems.append(why)
    return problems


def main():
    # Every case has its own inputs and output folder, so they run a few at a time (most are one
    # short process that mostly waits to start); results are printed in the order of CASES.
    # The signal cases time a process and its decoding child: they run alone, first.
    results = [(name, function()) for name, function in SIGNAL_CASES]
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        results += zip((c[0] for c in CASES), pool.map(lambda c: run_case(*c), CASES))
    passed = failed = 0
    for name, problems in results:
        if problems:
            failed += 1
            print("FAIL %s: %s" % (name, "; ".join(problems)))
        else:
            passed += 1
            print("ok   %s" % name)
    if MOUNTED:
        subprocess.run(["umount", FULL], capture_output=True)
    shutil.rmtree(TMP, ignore_errors=True)
    print("%d cases" % (len(CASES) + len(SIGNAL_CASES)))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
