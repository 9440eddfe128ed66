#!/usr/bin/env python3
"""Batch and shell-pipeline tests of `convpool run`: inputs from stdin and lists, output to
stdout, parallel jobs, resume and overwrite rules, JSON lines, sharding with GNU parallel and
merged reports, Ctrl-C, a closed stdout, and a 1000-image batch with corrupt files.

Usage: test_batch.py PATH/TO/convpool REPO_ROOT   (ctest passes both). Standard library only;
the GNU parallel test is skipped (and says so) when `parallel` is not installed.
"""
import csv
import io
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import unittest
import zlib

import parallel_unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from arrays import npy_f32  # noqa: E402
from outputs import strip_timings, tree  # noqa: E402
from runner import run_binary  # noqa: E402

BIN = None
ROOT = None


def run(*args, stdin=None):
    return run_binary(BIN, *args, stdin=stdin, timeout=300, errors="strict")


def png_gray(path, width, height, seed):
    """A small 8-bit gray PNG with deterministic content."""
    rows = b"".join(b"\x00" + bytes((x * 7 + y * 13 + seed * 31) % 256 for x in range(width))
                    for y in range(height))
    def chunk(kind, payload):
        return (struct.pack(">I", len(payload)) + kind + payload
                + struct.pack(">I", zlib.crc32(kind + payload)))
    data = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
    with open(path, "wb") as f:
        f.write(data)


def read(path, mode="r"):
    with open(path, mode) as f:
        return f.read()


class Batch(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name
        self.images = os.path.join(self.dir, "images")
        os.makedirs(os.path.join(self.images, "sub", "deeper"))
        for i in range(6):
            png_gray(os.path.join(self.images, "img%02d.png" % i), 20 + i, 16, i)
        png_gray(os.path.join(self.images, "sub", "nested.png"), 9, 9, 9)
        png_gray(os.path.join(self.images, "sub", "deeper", "deep.png"), 8, 8, 8)

    def tearDown(self):
        self.tmp.cleanup()

    def out(self, name):
        return os.path.join(self.dir, name)

    def test_stdin_to_stdout_png(self):
        data = read(os.path.join(ROOT, "samples", "camera.png"), "rb")
        code, out, err = run_binary(BIN, "run", "-", "-p", "pool:max,k=2,s=2", "-o", "-", "--emit",
                                    "final", "--format", "png", stdin=data, timeout=60, text=False)
        self.assertEqual(code, 0, err)
        self.assertEqual(err, b"")
        self.assertEqual(out[:8], b"\x89PNG\r\n\x1a\n")
        w, h = struct.unpack(">II", out[16:24])
        self.assertEqual((w, h), (256, 256))

    def test_stdout_pgm_and_npy_values(self):
        src = self.out("ramp.npy")
        with open(src, "wb") as f:
            f.write(npy_f32((2, 4), [0, 0.25, 0.5, 1, 0, 0, 0, 0]))
        code, out, err = run_binary(BIN, "run", src, "-p", "pool:max,k=2", "-o", "-", "--emit", "final",
                                    "--format", "pgm", timeout=60, text=False)
        self.assertEqual(code, 0, err)
        self.assertEqual(out, b"P5\n2 1\n255\n" + bytes([64, 255]))
        code, out, err = run_binary(BIN, "run", src, "-p", "pool:max,k=2", "-o", "-", "--emit", "final",
                                    "--format", "npy", timeout=60, text=False)
        self.assertEqual(code, 0, err)
        self.assertTrue(out.startswith(b"\x93NUMPY"))
        self.assertEqual(struct.unpack("<2f", out[-8:]), (0.25, 1.0))

    def test_stdout_needs_one_input(self):
        code, out, err = run("run", self.images, "-p", "relu", "-o", "-")
        self.assertEqual(code, 2)
        self.assertIn("-o - writes one final image to stdout", err)
        self.assertEqual(out, "")

    def test_emit_final_png_with_too_many_channels(self):
        code, _, err = run("run", os.path.join(ROOT, "samples", "camera.png"), "-p", "bank:sobel-x,sobel-y",
                           "-o", self.out("o"), "--emit", "final", "-q", "--report", "none")
        self.assertEqual(code, 3)
        self.assertIn("an 8-bit PNG holds 1 or 3 channels, the final stage has 2 (use --format npy)", err)

    def test_recursive_and_files_from(self):
        code, out, err = run("run", self.images, "-p", "relu", "-o", self.out("flat"), "--report", "jsonl", "-q")
        self.assertEqual(code, 0, err)
        self.assertEqual(len(out.splitlines()), 6)
        code, out, err = run("run", self.images, "-r", "-p", "relu", "-o", self.out("rec"), "--report", "jsonl", "-q")
        self.assertEqual(code, 0, err)
        names = sorted(os.path.basename(json.loads(l)["input"]) for l in out.splitlines())
        self.assertEqual(names, sorted(["img%02d.png" % i for i in range(6)] + ["nested.png", "deep.png"]))
        listing = "\n".join(os.path.join(self.images, "img%02d.png" % i) for i in (4, 1)) + "\n"
        code, out, err = run("run", "--files-from", "-", "-p", "relu", "-o", self.out("list"), "--report", "jsonl", "-q",
                             stdin=listing)
        self.assertEqual(code, 0, err)
        # Lines come as images finish; the report keeps the list order.
        self.assertEqual(sorted(os.path.basename(json.loads(l)["input"]) for l in out.splitlines()),
                         ["img01.png", "img04.png"])
        report = json.loads(read(os.path.join(self.out("list"), "report.json")))
        self.assertEqual([os.path.basename(i["input"]) for i in report["images"]], ["img04.png", "img01.png"])
        nul = self.out("list0")
        with open(nul, "wb") as f:
            f.write(b"\0".join(os.path.join(self.images, n).encode() for n in ("img02.png", "img03.png")) + b"\0")
        code, out, err = run("run", "--files-from", nul, "-0", "-p", "relu", "-o", self.out("list0out"),
                             "--report", "jsonl", "-q")
        self.assertEqual(code, 0, err)
        self.assertEqual(len(out.splitlines()), 2)

    def test_jobs_give_the_same_outputs_and_report(self):
        code, _, err = run("run", self.images, "-r", "-p", "conv:sobel-x | relu | pool:max,k=2", "-o", self.out("j1"),
                           "-j", "1", "--raw", "npy", "-q", "--report", "none")
        self.assertEqual(code, 0, err)
        code, _, err = run("run", self.images, "-r", "-p", "conv:sobel-x | relu | pool:max,k=2", "-o", self.out("j4"),
                           "-j", "4", "--raw", "npy", "-q", "--report", "none")
        self.assertEqual(code, 0, err)
        self.assertEqual(tree(self.out("j1")), tree(self.out("j4")))
        r1 = strip_timings(json.loads(read(os.path.join(self.out("j1"), "report.json"))))
        r4 = strip_timings(json.loads(read(os.path.join(self.out("j4"), "report.json"))))
        self.assertEqual(r1, r4)

    def test_throughput_in_summary_line_and_report(self):
        # One image fails (not an image): images/s counts the images done, over the wall time.
        with open(os.path.join(self.images, "broken.png"), "wb") as f:
            f.write(b"not a png")
        start = time.monotonic()
        code, _, err = run("run", self.images, "-p", "relu", "-o", self.out("t"), "-j", "2",
                           "--report", "none")
        wall = time.monotonic() - start
        self.assertEqual(code, 1, err)
        report = json.loads(read(os.path.join(self.out("t"), "report.json")))
        self.assertEqual(report["summary"]["done"], 6)
        seconds = report["throughput"]["seconds"]
        self.assertGreater(seconds, 0)
        self.assertLessEqual(seconds, wall)  # within the process's own life
        self.assertAlmostEqual(report["throughput"]["images_per_second"] * seconds, 6, places=6)
        line = err.strip().splitlines()[-1]
        self.assertRegex(line, r"^convpool: 6 of 7 images done in \d+\.\d\d s "
                               r"\(\d+\.\d\d images/s\), 1 failed; pictures in ")
        shown = float(line.split(" s (")[0].rsplit(" ", 1)[1])
        self.assertAlmostEqual(shown, seconds, delta=0.006)
        self.assertAlmostEqual(float(line.split("(")[1].split(" ")[0]),
                               report["throughput"]["images_per_second"], delta=0.006)
        # A merged report has no one wall time: its shards ran apart. (Exit 1: an input failed.)
        code, _, err = run("merge-reports", self.out("t"), "-o", self.out("t-merged"))
        self.assertEqual(code, 1, err)
        merged = json.loads(read(os.path.join(self.out("t-merged"), "report.json")))
        self.assertNotIn("throughput", merged)
        self.assertEqual(merged["summary"], report["summary"])

    def test_existing_outputs_skip_and_force(self):
        args = ["run", self.images, "-p", "relu", "-o", self.out("o"), "-q", "--report", "none"]
        self.assertEqual(run(*args)[0], 0)
        code, _, err = run(*args)
        self.assertEqual(code, 2)
        self.assertIn("already exist", err)
        self.assertIn("--force", err)
        # A half-finished image (no sheet.png) is redone by --skip-existing; complete ones skipped.
        os.remove(os.path.join(self.out("o"), "img03", "sheet.png"))
        code, out, err = run(*args[:-2], "--skip-existing", "--report", "jsonl")
        self.assertEqual(code, 0, err)
        status = {os.path.basename(json.loads(l)["input"]): json.loads(l)["status"] for l in out.splitlines()}
        self.assertEqual(status["img03.png"], "done")
        self.assertEqual(sorted(v for k, v in status.items() if k != "img03.png"), ["skipped"] * 5)
        self.assertTrue(os.path.exists(os.path.join(self.out("o"), "img03", "sheet.png")))
        # --force replaces outputs and removes stale stage files of a longer pipeline.
        code, _, err = run("run", self.images, "-p", "relu | abs | relu", "-o", self.out("o"), "-q", "--force",
                           "--report", "none")
        self.assertEqual(code, 0, err)
        code, _, err = run("run", self.images, "-p", "relu", "-o", self.out("o"), "-q", "--force", "--report", "none")
        self.assertEqual(code, 0, err)
        self.assertEqual(sorted(os.listdir(os.path.join(self.out("o"), "img00"))),
                         ["00_input.png", "01_relu.png", "convpool.json", "sheet.png"])

    def test_an_input_is_never_overwritten(self):
        # The input sits where its own first output would go: OUT/<stem>/00_input.png.
        d = self.out("trap")
        os.makedirs(os.path.join(d, "00_input"))
        victim = os.path.join(d, "00_input", "00_input.png")
        png_gray(victim, 8, 8, 1)
        before = read(victim, "rb")
        code, _, err = run("run", victim, "-p", "relu", "-o", d, "-q", "--force", "--report", "none")
        self.assertEqual(code, 4)
        self.assertIn("refusing to overwrite an input", err)
        self.assertEqual(read(victim, "rb"), before)

    def test_fail_fast(self):
        bad = os.path.join(self.images, "img00.png")
        with open(bad, "wb") as f:
            f.write(b"not a png")
        code, out, err = run("run", self.images, "-p", "relu", "-o", self.out("ff"), "-j", "1", "--fail-fast",
                             "--report", "jsonl", "-q")
        # Some inputs were never tried: 1, not 3 ("no input could be processed").
        self.assertEqual(code, 1)
        self.assertEqual(len(out.splitlines()), 1)
        self.assertEqual(len(err.splitlines()), 1)
        # Every input is in the report: the failed one, and the rest as not-started.
        report = json.loads(read(os.path.join(self.out("ff"), "report.json")))
        self.assertEqual(report["summary"]["inputs"], 6)
        self.assertEqual(report["summary"]["not_started"], 5)
        self.assertEqual([i["status"] for i in report["images"]], ["failed"] + ["not-started"] * 5)
        self.assertEqual([i["index"] for i in report["images"]], list(range(6)))

    def test_closed_stdout_ends_quietly(self):
        for i in range(6, 40):
            png_gray(os.path.join(self.images, "img%02d.png" % i), 30, 30, i)
        p = subprocess.Popen("'%s' run '%s' -p relu -o '%s' -j 1 --report jsonl -q | head -n 1"
                             % (BIN, self.images, self.out("pipe")), shell=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = p.communicate(timeout=120)
        self.assertEqual(len(out.splitlines()), 1)
        self.assertEqual(err, b"")

    def test_interrupt_stops_cleanly(self):
        for i in range(6, 200):
            png_gray(os.path.join(self.images, "img%03d.png" % i), 64, 64, i)
        out = self.out("int")
        p = subprocess.Popen([BIN, "run", self.images, "-p", "conv:gaussian | pool:max,k=2", "-o", out,
                              "-j", "1", "--report", "jsonl", "-q"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        first = p.stdout.readline()  # one image finished: the batch is under way
        self.assertTrue(first.startswith("{"))
        p.send_signal(signal.SIGINT)
        rest, err = p.communicate(timeout=120)
        self.assertEqual(p.returncode, 130, err)
        self.assertIn("interrupted;", err)
        report = json.loads(read(os.path.join(out, "report.json")))
        self.assertEqual(len(report["images"]), 200)  # every input, finished or not
        statuses = [i["status"] for i in report["images"]]
        done = statuses.count("done")
        self.assertGreaterEqual(done, 1)
        self.assertLess(done, 200)
        self.assertEqual(done, 1 + len(rest.splitlines()))
        self.assertEqual(set(statuses), {"done", "interrupted", "not-started"} & set(statuses) | {"done"})
        self.assertEqual(statuses.count("failed"), 0)
        self.assertEqual(report["summary"]["not_started"] + report["summary"]["interrupted"], 200 - done)
        # Nothing hidden is left but the lock file (docs/outputs.md: it stays, unlocked).
        leftovers = [f for _, _, fs in os.walk(out) for f in fs if f.startswith(".")]
        self.assertEqual(leftovers, [".convpool.lock"])

    def test_shards_with_gnu_parallel_equal_one_run(self):
        pipeline = "conv:sobel-y | abs | pool:avg,k=2"
        code, _, err = run("run", self.images, "-r", "-p", pipeline, "-o", self.out("whole"), "-q",
                           "--report", "none", "--raw", "npy")
        self.assertEqual(code, 0, err)
        shards = [self.out("shard%d" % k) for k in range(1, 5)]
        if shutil.which("parallel"):
            # -q quotes every argument: the pipeline's '|' must not reach a shell.
            p = subprocess.run(["parallel", "-q", "--halt", "now,fail=1", BIN, "run", self.images, "-r", "-p", pipeline,
                                "-o", self.out("shard{}"), "--shard", "{}/4", "-q", "--report", "none",
                                "--raw", "npy", ":::", "1", "2", "3", "4"], capture_output=True, text=True, timeout=300)
            self.assertEqual(p.returncode, 0, p.stderr)
        else:
            print("(GNU parallel not installed: shards run one after another)", file=sys.stderr)
            for k in range(1, 5):
                self.assertEqual(run("run", self.images, "-r", "-p", pipeline, "-o", shards[k - 1], "--shard",
                                     "%d/4" % k, "-q", "--report", "none", "--raw", "npy")[0], 0)
        merged_files = {}
        for s in shards:
            merged_files.update(tree(s))
        self.assertEqual(merged_files, tree(self.out("whole")))
        code, _, err = run("merge-reports", *shards, "-o", self.out("merged"), "-q")
        self.assertEqual(code, 0, err)
        whole = strip_timings(json.loads(read(os.path.join(self.out("whole"), "report.json"))))
        merged = strip_timings(json.loads(read(os.path.join(self.out("merged"), "report.json"))))
        self.assertEqual(merged, whole)
        def strip(text):  # every row without its timing column
            return [{k: v for k, v in row.items() if k != "ms"} for row in csv.DictReader(io.StringIO(text))]
        self.assertEqual(strip(read(os.path.join(self.out("merged"), "report.csv"))),
                         strip(read(os.path.join(self.out("whole"), "report.csv"))))

    def test_merge_refuses_different_pipelines(self):
        run("run", self.images, "-p", "relu", "-o", self.out("a"), "-q", "--report", "none")
        run("run", self.images, "-p", "abs", "-o", self.out("b"), "-q", "--report", "none")
        code, _, err = run("merge-reports", self.out("a"), self.out("b"), "-o", self.out("m"))
        self.assertEqual(code, 2)
        self.assertIn("ran a different pipeline", err)

    def test_bad_shard(self):
        for bad in ("0/4", "5/4", "x/4", "2", "1/0"):
            code, _, err = run("run", self.images, "-p", "relu", "-o", self.out("s"), "--shard", bad)
            self.assertEqual(code, 2, bad)
            self.assertIn("--shard: expected K/N", err)

    def test_thousand_images_with_five_percent_corrupt(self):
        d = self.out("thousand")
        os.mkdir(d)
        corrupt = set(range(0, 1000, 20))
        for i in range(1000):
            p = os.path.join(d, "im%04d.png" % i)
            if i in corrupt:
                with open(p, "wb") as f:
                    f.write(b"\x89PNG\r\n\x1a\n" + os.urandom(40))
            else:
                png_gray(p, 8, 8, i)
        out = self.out("thousand-out")
        code, stdout, err = run("run", d, "-p", "pool:max,k=2", "-o", out, "--emit", "final", "-q",
                                "--report", "none")
        self.assertEqual(code, 1, err[:500])
        self.assertEqual(len(err.splitlines()), 50)
        report = json.loads(read(os.path.join(out, "report.json")))
        self.assertEqual(report["summary"]["ok"], 950)
        self.assertEqual(report["summary"]["failed"], 50)
        failed = {os.path.basename(i["input"]) for i in report["images"] if i["status"] == "failed"}
        self.assertEqual(failed, {"im%04d.png" % i for i in corrupt})
        self.assertEqual(len([f for f in os.listdir(out) if f.endswith(".png")]), 950)


if __name__ == "__main__":
    BIN = os.path.abspath(sys.argv[1])
    ROOT = os.path.abspath(sys.argv[2])
    del sys.argv[1:3]
    parallel_unittest.main()
