#!/usr/bin/env python3
"""Bad-input suite: generates hostile files, pipeline strings, output conditions and numeric traps,
runs convpool on each, and checks the exit code and the error text. Standard library only.

Usage: bad_inputs.py PATH/TO/convpool REPO_ROOT   (ctest passes both)
Every case must end with the documented exit code, a matching message on stderr, one line per
failed input, no crash, no hang (each run has a time limit) and no partial or temporary file.
"""
import concurrent.futures
import os
import re
import shutil
import stat
import struct
import subprocess
import sys
import tempfile
import zlib

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


def npy(descr, shape, payload, version=1):
    header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape)
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    return b"\x93NUMPY" + bytes([version, 0]) + struct.pack("<H", len(header)) + header.encode() + payload


def jpeg_claiming(w, h):
    return (b"\xff\xd8\xff\xe0\x00\x04\x00\x00\xff\xc0\x00\x0b\x08" + struct.pack(">HH", h, w)
            + b"\x01\x01\x11\x00").ljust(200, b"\x00")


def case(name, args, code, pattern, check=None):
    CASES.append((name, args, code, pattern, check))


def out_dir(name):
    return ["-o", path("out-" + name), "--report", "none", "-q"]


ERR = r"^convpool: error: "
camera = os.path.join(ROOT, "samples", "camera.png")
rocket = os.path.join(ROOT, "samples", "rocket.jpg")
good = write("good.npy", npy("<f4", "(4, 4)", struct.pack("<16f", *range(16))))

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
file_case("npy-huge-shape.npy", npy("<f4", "(100000000, 100000000)", b""), 3, r"npy shape .* is empty or too large$")
file_case("npy-truncated.npy", npy("<f4", "(4, 4)", b"\x00" * 10), 3, r"truncated \.npy data: 10 bytes, expected 64$")
file_case("npy-1d.npy", npy("<f4", "(4,)", b"\x00" * 16), 3, r"npy array has shape \(4,\); expected \(H, W\) or \(H, W, C\)$")
file_case("npy-object.npy", npy("|O", "(1, 1)", b"\x00" * 8), 3, r"unsupported npy dtype '\|O'")
file_case("npy-int64.npy", npy("<i8", "(1, 1)", b"\x00" * 8), 3, r"unsupported npy dtype '<i8'")
file_case("npy-header-cut.npy", b"\x93NUMPY\x01\x00\xff\xff{'descr'", 3, r"truncated \.npy header$")
file_case("npy-zero.npy", npy("<f4", "(0, 4)", b""), 3, r"npy shape .* is empty or too large$")
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
        stray = [f for _, _, fs in os.walk(out) for f in fs if f.startswith(".")]
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
pipe_case("pad too big", "pool:max,k=3,pad=2", r"pad 2x2 is more than half the kernel 3x3 \(at most 1x1\)$")
pipe_case("empty value", "pool:max,k=", r"pool:max: k: empty value$")
pipe_case("empty argument", "pool:max,,k=2", r"empty argument$")
pipe_case("missing key", "pool:max,=2", r"missing key before '='")
pipe_case("unbalanced bracket", "conv:kernel=[1 2", r"'\[' without '\]'")
pipe_case("stray bracket", "conv:kernel=1 2]", r"'\]' without '\['")
pipe_case("ragged matrix", "conv:kernel=[1 2; 3]", r"matrix rows differ in length")
pipe_case("empty matrix row", "conv:kernel=[1 2;]", r"matrix row 2 is empty")
pipe_case("matrix too large", "conv:kernel=[" + "; ".join([" ".join(["1"] * 64)] * 64) + "]", r"matrix 64x64 is larger than 63x63")
pipe_case("bad flag", "pool:max,ceil=maybe", r"ceil: expected true or false, got 'maybe'$")
pipe_case("bad choice", "conv:box,border=mirror", r"border: unknown value 'mirror'")
pipe_case("k for fixed filter", "conv:sobel-x,k=5", r"has a fixed size")
pipe_case("bad op name", "po ol:max", r"bad op name 'po ol'")
pipe_case("huge text", "relu|" * 20000, r"pipeline is \d+ bytes, more than the 65536 allowed")
pipe_case("too many stages", "|".join(["relu"] * 300), r"pipeline has 300 stages, more than the 256 allowed")
pipe_case("missing pipeline file", "@" + path("nope.pipe"), r"cannot read pipeline file")
pipe_case("kernel larger than input", "pool:max,k=5", re.escape(good) + r": stage 1 'pool:max,k=5': pool:max: kernel 5x5 \(dilation 1x1\) does not fit the padded input 4x4 \(pad 0x0\)$", code=3)
pipe_case("conv output 0x0", "conv:box,k=9,pad=valid", r"does not fit the padded input 4x4", code=3)
pipe_case("gray on 2 channels", "bank:identity,box | gray", r"gray: needs 1 or 3 \(RGB\) channels, got 2$", code=3)
case("pipeline huge intermediate", ["run", camera, "-p", "bank:" + ",".join(["box"] * 13) + " | bank:" + ",".join(["box"] * 13),
                                     "--max-pixels", "1000000", *out_dir("huge")], 3,
     r"stage 2 .*: output 169x512x512 has 44302336 values, more than the")

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
        # no temporary file may be left, and the image is not marked complete (no sheet.png).
        left = [os.path.join(d, f) for d, _, fs in os.walk(os.path.join(FULL, "out")) for f in fs
                if not f.startswith("report.")]
        bad = [f for f in left if os.path.basename(f).startswith(".") or os.path.basename(f) == "sheet.png"
               or not complete_png(f)]
        return not bad, "partial, temporary or sheet files left on the full disk: %s" % bad
    case("output on a full disk", ["run", camera, "-p", "relu | abs", "-o", os.path.join(FULL, "out"), "-q",
                                   "--report", "none"], 4, ERR + r".*cannot write: No space left on device",
         no_partial_files)
else:
    print("skipped: full-disk case (cannot mount a tmpfs here)")

# --- numeric traps -------------------------------------------------------------------------------
nan_inf = write("naninf.npy", npy("<f4", "(2, 3)", struct.pack("<6f", float("nan"), 1, float("inf"), -float("inf"), 2, 3)))
const = write("constant.npy", npy("<f4", "(5, 5)", struct.pack("<25f", *([0.5] * 25))))
all_nan = write("allnan.npy", npy("<f4", "(2, 2)", struct.pack("<4f", *([float("nan")] * 4))))

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
case("numeric 1x1 image", ["run", write("one.npy", npy("<f4", "(1, 1)", struct.pack("<f", 3))), "-p",
                           "conv:gaussian | pool:max,k=1 | pool:adaptive-avg,out=3", *out_dir("one")], 0, r"^$")
case("numeric 1x1 too small for k=2", ["run", path("one.npy"), "-p", "pool:max,k=2", *out_dir("one2")], 3,
     r"kernel 2x2 \(dilation 1x1\) does not fit the padded input 1x1")
case("numeric huge values", ["run", write("huge.npy", npy("<f4", "(2, 2)", struct.pack("<4f", 3e38, -3e38, 3e38, 1))), "-p",
                             "conv:box,k=2 | pool:lp,norm=3,k=2,ceil", *out_dir("hugevals")], 0, r"^$")
case("numeric negative zero and denormals", ["run", write("denorm.npy", npy("<f4", "(2, 2)", struct.pack("<4f", -0.0, 1e-45, -1e-45, 0))),
                                              "-p", "norm | pool:avg,k=2", *out_dir("denorm")], 0, r"^$")


def run_case(name, args, code, pattern, check):
    """The problems with one case (empty when it passed)."""
    try:
        p = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
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
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda c: run_case(*c), CASES))
    passed = failed = 0
    for (name, *_), problems in zip(CASES, results):
        if problems:
            failed += 1
            print("FAIL %s: %s" % (name, "; ".join(problems)))
        else:
            passed += 1
            print("ok   %s" % name)
    if MOUNTED:
        subprocess.run(["umount", FULL], capture_output=True)
    shutil.rmtree(TMP, ignore_errors=True)
    print("%d cases" % len(CASES))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
