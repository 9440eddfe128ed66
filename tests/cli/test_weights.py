#!/usr/bin/env python3
"""CLI tests of weights from files (`conv:kernel=@k.npy`, `bank:kernel(@w.npz:KEY)`) and of the
pipeline grammar around them: paths relative to the @pipeline file or the working directory,
@"..." quoting, and one error line with exit 2 and nothing written for every bad weights file
(wrong rank or dtype, NaN, truncated, missing key, zip bomb, path tricks).

Usage: test_weights.py PATH/TO/convpool REPO_ROOT   (ctest passes both). Standard library only:
the .npy files are written by tests/support/arrays.py, the .npz files with zipfile.
"""
import json
import os
import shutil
import struct
import sys
import tempfile
import unittest
import zipfile
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from runner import assert_one_error_line, run_binary  # noqa: E402
from arrays import npy_values  # noqa: E402

BIN = None
ROOT = None

SOBEL = [1.0, 0.0, -1.0, 2.0, 0.0, -2.0, 1.0, 0.0, -1.0]


def run(*args, cwd=None):
    return run_binary(BIN, *args, cwd=cwd)


class Weights(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="convpool-weights-")
        self.image = os.path.join(ROOT, "samples", "camera.png")

    def tearDown(self):
        shutil.rmtree(self.dir)

    def write(self, name, data):
        path = os.path.join(self.dir, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def raw_stage(self, pipeline, cwd, out="out"):
        """Runs `pipeline` on the camera; returns the last stage's .npy bytes."""
        code, _, err = run("run", self.image, "-p", pipeline, "-o", out, "--raw", "npy",
                           "--report", "none", "-q", "--force", cwd=cwd)
        self.assertEqual(code, 0, err)
        folder = os.path.join(cwd, out, "camera")
        last = sorted(f for f in os.listdir(folder) if f.endswith(".npy"))[-1]
        with open(os.path.join(folder, last), "rb") as f:
            return f.read()

    def assertRefused(self, pipeline, *fragments, cwd=None):
        """Exit 2, one `convpool: error:` line holding every fragment, no output folder."""
        cwd = cwd or self.dir
        code, out, err = run("run", self.image, "-p", pipeline, "-o", "refused", cwd=cwd)
        self.assertEqual(code, 2, err)
        assert_one_error_line(self, err, *fragments)
        self.assertEqual(out, "")
        self.assertFalse(os.path.exists(os.path.join(cwd, "refused")))
        return err

    def test_file_kernels_equal_the_inline_kernel(self):
        self.write("k.npy", npy_values("<f4", (3, 3), SOBEL))
        self.write("k16.npy", npy_values("<f2", (3, 3), SOBEL))
        self.write("k64.npy", npy_values("<f8", (3, 3), SOBEL))
        with zipfile.ZipFile(os.path.join(self.dir, "w.npz"), "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("conv1.npy", npy_values("<f4", (3, 3), SOBEL))
        inline = self.raw_stage("gray | conv:kernel=[1 0 -1; 2 0 -2; 1 0 -1]", self.dir, "a")
        for ref in ("@k.npy", "@k16.npy", "@k64.npy", "@w.npz:conv1"):
            with self.subTest(ref=ref):
                got = self.raw_stage("gray | conv:kernel=%s" % ref, self.dir, "b")
                self.assertEqual(got, inline)
        banked = self.raw_stage("gray | bank:kernel(@k.npy)", self.dir, "c")
        self.assertEqual(banked, inline)

    def test_the_report_records_the_file_and_parses_back(self):
        self.write("my w, v2.npy", npy_values("<f4", (3, 3), SOBEL))
        code, out, err = run("shape", "-p", 'bank:sobel-y,kernel(@"my w, v2.npy"),gaussian(k=7)',
                             "--size", "16x16", "--json", cwd=self.dir)
        self.assertEqual(code, 0, err)
        self.assertEqual(json.loads(out)["stages"][1]["stage"].split(",stride")[0],
                         'bank:sobel-y,kernel(@"my w, v2.npy"),gaussian(k=7)')
        stage = 'bank:sobel-y,kernel(@"my w, v2.npy"),gaussian(k=7),stride=1,pad=same,' \
                'dilation=1,border=reflect101,scale=1,bias=0'
        code, out2, err = run("shape", "-p", stage, "--size", "16x16", "--json", cwd=self.dir)
        self.assertEqual(code, 0, err)
        self.assertEqual(out, out2)

    def test_paths_start_from_the_pipeline_file_or_the_working_directory(self):
        self.write("nets/k.npy", npy_values("<f4", (3, 3), SOBEL))
        pipe = self.write("nets/edges.pipe", b"gray\nconv:kernel=@k.npy   # beside the file\n")
        elsewhere = tempfile.mkdtemp(prefix="convpool-cwd-")
        try:
            code, out, err = run("shape", "-p", "@" + pipe, "--size", "8x8", cwd=elsewhere)
            self.assertEqual(code, 0, err)
            self.assertIn("conv:kernel=@k.npy", out)
            err = self.assertRefused("conv:kernel=@k.npy", "weights file: cannot read 'k.npy'",
                                     cwd=elsewhere)
            self.assertIn("stage 1 'conv:kernel=@k.npy': conv: kernel: ", err)
        finally:
            shutil.rmtree(elsewhere)
        code, _, err = run("probe", self.image, "-p", "gray | conv:kernel=@nets/k.npy | pool:max",
                           cwd=self.dir)
        self.assertEqual(code, 0, err)

    def test_bad_weights_files(self):
        nan = list(SOBEL)
        nan[4] = float("nan")
        self.write("k1.npy", npy_values("<f4", (3,), SOBEL[:3]))
        self.write("int.npy", npy_values("<i4", (2, 2), [1, 2, 3, 4]))
        self.write("nan.npy", npy_values("<f4", (3, 3), nan))
        self.write("cut.npy", npy_values("<f4", (3, 3), SOBEL)[:-7])
        with zipfile.ZipFile(os.path.join(self.dir, "w.npz"), "w") as z:
            z.writestr("conv1.npy", npy_values("<f4", (3, 3), SOBEL))
            z.writestr("../evil.npy", npy_values("<f4", (3, 3), SOBEL))
        self.assertRefused("conv:kernel=@k1.npy", "conv: kernel: @k1.npy: array has shape (3,); "
                           "expected a 2-D (kH, kW) array")
        self.assertRefused("conv:kernel=@int.npy", "'int.npy': unsupported weights dtype '<i4'")
        self.assertRefused("conv:kernel=@nan.npy", "@nan.npy: value 4 is nan")
        self.assertRefused("conv:kernel=@cut.npy", "'cut.npy': truncated .npy data")
        self.assertRefused("conv:kernel=@w.npz:conv2",
                           "'w.npz':conv2: no array 'conv2' (did you mean 'conv1'?)")
        self.assertRefused("conv:kernel=@w.npz", "an .npz archive: name one of its arrays")
        self.assertRefused("conv:kernel=@w.npz:../evil",
                           "'w.npz':../evil: npz key '../evil' is not a plain array name")
        self.assertRefused('conv:kernel=@"w.npz":evil', "no array 'evil'")
        self.assertRefused("bank:sobel-x,kernel(@nan.npy)",
                           "stage 1 'bank:sobel-x,kernel(@nan.npy)': bank: filters: kernel: "
                           "weights: @nan.npy: value 4 is nan")
        self.assertRefused("conv:kernel=@a b.npy", "a path with special characters not quoted")

    def test_zip_bomb(self):
        # 64 MiB + 1 of zeros in a few KiB: over the cap before anything is inflated; and a
        # member whose declared size is a lie, inflating past it.
        big = zlib.compressobj(9, zlib.DEFLATED, -15)
        body = big.compress(b"\0" * ((64 << 20) + 1)) + big.flush()
        with zipfile.ZipFile(os.path.join(self.dir, "bomb.npz"), "w") as z:
            z.writestr("a.npy", b"")
        data = bytearray(open(os.path.join(self.dir, "bomb.npz"), "rb").read())
        # Rebuild by hand: one deflated member with the real sizes and CRC.
        crc = zlib.crc32(b"\0" * ((64 << 20) + 1))

        def member(declared):
            local = struct.pack("<IHHHHHIIIHH", 0x04034b50, 20, 0, 8, 0, 0, crc, len(body),
                                declared, 5, 0) + b"a.npy" + body
            cd = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014b50, 20, 20, 0, 8, 0, 0, crc, len(body),
                             declared, 5, 0, 0, 0, 0, 0, 0) + b"a.npy"
            end = struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, 1, 1, len(cd), len(local), 0)
            return local + cd + end

        del data
        self.write("bomb.npz", member((64 << 20) + 1))
        self.assertRefused("conv:kernel=@bomb.npz:a", "inflates to 67108865 bytes, more than the "
                           "67108864 allowed")
        self.write("liar.npz", member(1000))
        self.assertRefused("conv:kernel=@liar.npz:a",
                           "does not inflate to its declared 1000 bytes")


if __name__ == "__main__":
    BIN = os.path.abspath(sys.argv[1])
    ROOT = os.path.abspath(sys.argv[2])
    unittest.main(argv=sys.argv[:1], verbosity=1)
