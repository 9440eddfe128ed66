#!/usr/bin/env python3
"""CLI tests: run the real convpool binary and check outputs, reports, error text and exit codes.

Usage: test_cli.py PATH/TO/convpool REPO_ROOT   (ctest passes both). Standard library only.
"""
import csv
import io
import json
import os
import re
import struct
import sys
import tempfile
import unittest
import zlib

import parallel_unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from arrays import npy_f32, read_npy  # noqa: E402
from runner import run_binary  # noqa: E402

BIN = None
ROOT = None


def run(*args, cwd=None, stdin=None):
    """Runs convpool; returns (exit code, stdout, stderr)."""
    return run_binary(BIN, *args, cwd=cwd, stdin=stdin, errors="strict")


def read_text(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def write_text(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def load_json(path):
    return json.loads(read_text(path))


def write_npy(path, rows):
    """Writes a 2-D float32 array (list of rows) as .npy."""
    with open(path, "wb") as f:
        f.write(npy_f32((len(rows), len(rows[0])), [v for r in rows for v in r]))


def png_size(path):
    """Width and height from a PNG's IHDR, after checking the signature and IHDR CRC."""
    with open(path, "rb") as f:
        raw = f.read()
    assert raw[:8] == b"\x89PNG\r\n\x1a\n", path
    length, kind = struct.unpack(">I4s", raw[8:16])
    assert kind == b"IHDR"
    crc = struct.unpack(">I", raw[16 + length:20 + length])[0]
    assert zlib.crc32(raw[12:16 + length]) == crc
    assert raw.endswith(b"IEND\xaeB`\x82"), "PNG not complete"
    return struct.unpack(">II", raw[16:24])


def write_png(path, width, height, channels, depth=8):
    """Writes a PNG of 1 (gray), 2 (gray + alpha), 3 (RGB) or 4 (RGBA) channels of 8 or 16 bits
    holding a pattern with every byte value, alpha included."""
    color_type = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    raw = bytearray()
    for y in range(height):
        raw.append(0)  # filter: none
        for x in range(width):
            for c in range(channels):
                v = (x * 37 + y * 91 + c * 53 + x * y) % (256 if depth == 8 else 65536)
                raw += v.to_bytes(depth // 8, "big")

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data)))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" +
                chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, color_type, 0, 0, 0)) +
                chunk(b"IDAT", zlib.compress(bytes(raw))) + chunk(b"IEND", b""))


def run_outputs(out):
    """Every file of a run's output folder, as bytes; the report without times or output folder."""
    files = {}
    for name in sorted(os.listdir(out)):
        path = os.path.join(out, name)
        if name == ".convpool.lock":  # the run's lock file (empty, left in place)
            continue
        if os.path.isdir(path):
            for sub in sorted(os.listdir(path)):
                with open(os.path.join(path, sub), "rb") as f:
                    files[name + "/" + sub] = f.read()
        elif name == "report.json":
            report = load_json(path)
            report.pop("throughput", None)  # the run's wall time
            for img in report["images"]:
                img["output_dir"] = None
                for st in img["stages"]:
                    st["ms"] = 0
            files[name] = report
        elif name == "report.csv":
            files[name] = [{k: v for k, v in row.items() if k != "ms"}
                           for row in csv.DictReader(io.StringIO(read_text(path)))]
        else:
            with open(path, "rb") as f:
                files[name] = f.read()
    return files


class Help(unittest.TestCase):
    def test_help_lists_subcommands(self):
        code, out, _ = run("--help")
        self.assertEqual(code, 0)
        for word in ("run", "shape", "ops", "Exit codes"):
            self.assertIn(word, out)

    def test_version(self):
        code, out, _ = run("--version")
        self.assertEqual(code, 0)
        lines = out.splitlines()
        self.assertRegex(lines[0], r"^convpool \d+\.\d+\.\d+$")
        self.assertRegex(lines[1], r"^built from (git commit [0-9a-f]{12}(-modified)?|a source "
                                   r"tree without git)$")
        self.assertEqual(lines[2], "libraries:")
        names = [line.split()[0] for line in lines[3:]]
        self.assertEqual(names, ["OpenCV", "libjpeg-turbo", "libpng", "zlib", "libdeflate", "fmt",
                                 "CLI11", "nlohmann-json"])
        for line in lines[3:]:
            self.assertRegex(line, r"^  \S+ +\d+\.\d+(\.\d+)?")  # libdeflate: 1.14

    def test_version_json(self):
        code, out, _ = run("--version", "--json")
        self.assertEqual(code, 0)
        info = json.loads(out)
        self.assertEqual(info["name"], "convpool")
        _, text, _ = run("--version")
        self.assertEqual(text.splitlines()[0], "convpool " + info["version"])
        self.assertTrue(info["commit"] is None
                        or re.fullmatch(r"[0-9a-f]{12}(-modified)?", info["commit"]), info)
        self.assertEqual(list(info["libraries"]), ["OpenCV", "libjpeg-turbo", "libpng", "zlib",
                                                   "libdeflate", "fmt", "CLI11", "nlohmann-json"])

    def test_every_report_records_the_build(self):
        """report.json, compare.json, probe.json and a batch's summary.json carry `build`, the
        object --version --json prints; an image's record (what --skip-existing compares) does
        not."""
        _, out, _ = run("--version", "--json")
        build = json.loads(out)
        with tempfile.TemporaryDirectory() as tmp:
            folder = os.path.join(tmp, "in")
            os.makedirs(folder)
            image = os.path.join(folder, "a.png")
            write_png(image, 64, 48, 1)
            docs = {}
            for name, args, doc in (
                    ("run", ["run", image, "-p", "relu"], "report.json"),
                    ("compare", ["compare", image, "--modes", "max,avg"], "compare.json"),
                    ("probe", ["probe", image, "-p", "relu", "--modes", "max"], "probe.json"),
                    ("batch", ["probe", folder, "--modes", "max"], "summary.json")):
                code, _, err = run(*args, "-o", os.path.join(tmp, name), "-q")
                self.assertEqual(code, 0, err)
                docs[name] = load_json(os.path.join(tmp, name, doc))
            record = load_json(os.path.join(tmp, "run", "a", "convpool.json"))
        for name, doc in docs.items():
            self.assertEqual(doc["build"], build, name)
        self.assertNotIn("build", record["fingerprint"])
        self.assertNotIn("build", record["image"])

    def test_subcommand_help(self):
        for sub in ("run", "shape", "ops"):
            code, out, _ = run(sub, "--help")
            self.assertEqual(code, 0, sub)
            self.assertIn("--help", out)

    def test_no_subcommand_is_a_usage_error(self):
        code, _, err = run()
        self.assertEqual(code, 2)
        self.assertIn("subcommand", err.lower())

    def test_unknown_flag_is_a_usage_error(self):
        code, _, err = run("run", "--bogus", "x.png", "-p", "relu")
        self.assertEqual(code, 2)
        self.assertIn("--bogus", err)


class Ops(unittest.TestCase):
    def test_lists_every_stage(self):
        code, out, _ = run("ops")
        self.assertEqual(code, 0)
        for name in ("gray", "conv", "bank", "relu", "leaky-relu", "abs", "sigmoid", "tanh",
                     "norm", "pool:max", "pool:avg", "pool:min", "pool:lp", "pool:global-max",
                     "pool:global-avg", "pool:adaptive-max", "pool:adaptive-avg", "pool:blur",
                     "pool:maxblur", "pool:soft", "pool:gem", "pool:global-gem", "pool:mixed",
                     "pool:median", "pool:spp", "bn", "upsample", "select", "model"):
            self.assertRegex(out, r"(?m)^%s\s" % name)

    def test_family(self):
        code, out, _ = run("ops", "pool")
        self.assertEqual(code, 0)
        self.assertIn("pool:adaptive-avg", out)
        self.assertNotIn("leaky-relu", out)

    def test_one_stage_in_full(self):
        code, out, _ = run("ops", "pool:avg")
        self.assertEqual(code, 0)
        self.assertIn("count-pad|count-include-pad", out)
        self.assertIn("divisor_override", out)
        code, out, _ = run("ops", "conv")
        self.assertIn("not flipped", out)
        self.assertIn("sobel-x", out)

    def test_unknown(self):
        code, out, err = run("ops", "pool:mux")
        self.assertEqual(code, 2)
        self.assertEqual(out, "")
        self.assertTrue(err.startswith("convpool: error: unknown op 'pool:mux' (did you mean 'pool:max'?)"), err)


class Shape(unittest.TestCase):
    def golden(self, name, text):
        path = os.path.join(ROOT, "tests", "golden", name)
        if os.environ.get("CONVPOOL_UPDATE_GOLDEN"):
            with open(path, "w") as f:
                f.write(text)
        with open(path) as f:
            self.assertEqual(text, f.read())

    def test_issue_example(self):
        code, out, err = run("shape", "-p", "conv:gaussian,k=5 | pool:max,k=3,s=2,pad=1,ceil",
                             "--size", "3x224x224")
        self.assertEqual(code, 0, err)
        self.golden("shape_gaussian_maxpool.txt", out)

    def test_ceil_rule_and_uncovered_notes(self):
        code, out, err = run("shape", "-p", "pool:max,k=2,s=2,pad=1,ceil | pool:avg,k=2",
                             "--size", "5x7")
        self.assertEqual(code, 0, err)
        self.golden("shape_ceil_notes.txt", out)
        self.assertIn("ceil rule dropped a last window along rows", out)

    def test_json(self):
        code, out, _ = run("shape", "-p", "pool:max,k=2", "--size", "2x8x6", "--json")
        self.assertEqual(code, 0)
        doc = json.loads(out)
        self.assertEqual(doc["stages"][1]["shape"], [2, 4, 3])

    def test_shape_error_is_a_pipeline_error(self):
        code, out, err = run("shape", "-p", "pool:max,k=5", "--size", "4x4")
        self.assertEqual(code, 2)
        self.assertEqual(err, "convpool: error: stage 1 'pool:max,k=5': pool:max: kernel 5x5 "
                              "(dilation 1x1) does not fit the padded input 4x4 (pad 0x0)\n")

    def test_newer_pools(self):
        code, out, err = run("shape", "-p", "pool:blur | pool:maxblur,k=3 | pool:soft,k=3,s=2 | "
                             "pool:gem,k=2,pad=1 | pool:mixed,k=3,s=1,pad=1 | pool:median,k=2 | "
                             "pool:global-gem", "--size", "3x33x45", "--json")
        self.assertEqual(code, 0, err)
        shapes = [st["shape"] for st in json.loads(out)["stages"]]
        self.assertEqual(shapes, [[3, 33, 45], [3, 17, 23], [3, 8, 11], [3, 3, 5], [3, 2, 3],
                                  [3, 2, 3], [3, 1, 1], [3, 1, 1]])
        # torch's ReflectionPad2d refuses padding as long as the input: so does pool:blur.
        code, _, err = run("shape", "-p", "pool:blur", "--size", "2x9")
        self.assertEqual(code, 2)
        self.assertEqual(err, "convpool: error: stage 1 'pool:blur': pool:blur: filter 4 pads rows "
                              "by 1+2 cells; border=reflect101 (torch's ReflectionPad2d) needs more "
                              "than 2 rows and the blur's input has 2; use border=replicate or "
                              "zero, or a smaller filter\n")
        code, out, err = run("shape", "-p", "pool:blur,border=replicate", "--size", "2x9")
        self.assertEqual(code, 0, err)
        # Semantics change what the pools declare (ceil, count-pad) and nothing else.
        code, out, err = run("shape", "-p", "pool:blur | pool:median,k=2", "--size", "9x9",
                             "--semantics", "all")
        self.assertEqual(code, 0, err)
        self.assertRegex(out, r"(?m)^ 01  pool:blur +1x5x5 +1x5x5 +1x5x5 +1x5x5$")
        self.assertRegex(out,
                         r"(?m)^ 02  pool:median,k=2 +1x2x2 +1x2x2 +1x3x3 +1x2x2  <- differs$")
        code, _, err = run("shape", "-p", "pool:blur,ceil=true", "--size", "9x9")
        self.assertEqual(code, 2)
        self.assertEqual(err.count("\n"), 1)
        self.assertIn("pool:blur: unknown parameter 'ceil' (valid: s, filter, border)", err)

    def test_bad_size(self):
        code, _, err = run("shape", "-p", "relu", "--size", "0x4")
        self.assertEqual(code, 2)
        self.assertIn("--size", err)


class Bench(unittest.TestCase):
    """`convpool bench`: what it prints and refuses (never its timings)."""

    def test_u8_on_an_image_counts_its_bytes(self):
        code, out, err = run("bench", os.path.join(ROOT, "samples", "chelsea.png"), "-p",
                             "pool:max,k=2,s=2 | pool:min,k=3,s=1,pad=1", "--type", "u8",
                             "--repeat", "1", "--json")
        self.assertEqual(code, 0, err)
        doc = json.loads(out)
        self.assertEqual(doc["type"], "u8")
        self.assertEqual(doc["input"], [3, 300, 451])
        first, second = doc["stages"]
        self.assertEqual(first["in_bytes"], 3 * 300 * 451)  # one byte per value
        self.assertEqual(first["out_shape"], [3, 150, 225])
        self.assertEqual(first["out_bytes"], 3 * 150 * 225)
        self.assertEqual(second["in_bytes"], first["out_bytes"])
        code, out, err = run("bench", "-p", "pool:max,k=2", "--size", "2x8x6", "--repeat", "1",
                             "--json")
        self.assertEqual(code, 0, err)
        doc = json.loads(out)
        self.assertEqual(doc["type"], "f32")
        self.assertEqual(doc["stages"][0]["in_bytes"], 2 * 8 * 6 * 4)

    def test_u8_refuses_a_stage_without_an_8_bit_kernel(self):
        for stage in ("pool:avg,k=2", "pool:max,k=2,switches", "relu"):
            code, out, err = run("bench", "-p", "pool:max,k=2 | " + stage, "--size", "3x8x8",
                                 "--type", "u8", "--repeat", "1")
            self.assertEqual(code, 2)
            self.assertEqual(out, "")
            self.assertEqual(err, f"convpool: error: stage 2 '{stage}': --type u8: this stage has "
                                  "no 8-bit kernel (8-bit images run through pool:max without "
                                  "switches and pool:min, when every window reads an input "
                                  "cell)\n")


class StemFused(unittest.TestCase):
    """`convpool bench --fused` and when the convolution library (convpool-dnnl.so) is loaded."""

    STEM = ("conv:weights=@conv1_weight.npy,stride=2,pad=3 | bn:mean=@bn1_mean.npy,"
            "var=@bn1_var.npy,weight=@bn1_weight.npy,bias=@bn1_bias.npy | relu | "
            "pool:max,k=3,s=2,pad=1")

    def stem_dir(self):
        return os.path.join(ROOT, "bench", "stem")

    def test_fused_times_the_whole_plan(self):
        code, out, err = run("bench", "-p", self.STEM, "--size", "3x32x32", "--repeat", "1",
                             "--fused", "--json", cwd=self.stem_dir())
        self.assertEqual(code, 0, err)
        doc = json.loads(out)
        self.assertEqual(doc["stages"][-1]["out_shape"], [64, 8, 8])
        self.assertAlmostEqual(doc["stages_median_ms"],
                               sum(s["median_ms"] for s in doc["stages"]), places=6)
        self.assertGreater(doc["fused"]["median_ms"], 0)
        self.assertLessEqual(doc["fused"]["min_ms"], doc["fused"]["median_ms"])
        code, out, err = run("bench", "-p", self.STEM, "--size", "3x32x32", "--repeat", "1",
                             "--fused", cwd=self.stem_dir())
        self.assertEqual(code, 0, err)
        self.assertIn("sum of the stages' medians", out)
        self.assertIn("fused (as run --emit final --stats none)", out)
        # Without --fused, no fused row.
        code, out, err = run("bench", "-p", self.STEM, "--size", "3x32x32", "--repeat", "1",
                             "--json", cwd=self.stem_dir())
        self.assertEqual(code, 0, err)
        self.assertNotIn("fused", json.loads(out))
        code, out, err = run("bench", "-p", "pool:max,k=2", "--size", "3x8x8", "--repeat", "1",
                             "--type", "u8", "--fused")
        self.assertEqual(code, 2)
        self.assertIn("--fused times float32 runs", err)

    def loaded(self, *args):
        """Whether the process of `convpool ARGS` loaded convpool-dnnl.so (glibc's LD_DEBUG)."""
        code, _, err = run_binary(BIN, *args, cwd=self.stem_dir(), env={"LD_DEBUG": "files"},
                                  timeout=None, errors="strict")
        self.assertEqual(code, 0, err[-2000:])
        return "convpool-dnnl.so" in err

    def test_the_library_loads_only_for_a_convolution_layer(self):
        plugin = os.path.join(os.path.dirname(BIN), "convpool-dnnl.so")
        if not os.path.exists(plugin):
            self.skipTest("built without libdnnl-dev")
        self.assertFalse(self.loaded("shape", "-p", self.STEM, "--size", "3x32x32"))
        self.assertFalse(self.loaded("ops"))
        self.assertFalse(self.loaded("bench", "-p", "conv:sobel-x | relu", "--size", "16",
                                     "--repeat", "1"))
        self.assertTrue(self.loaded("bench", "-p", self.STEM, "--size", "3x32x32", "--repeat",
                                    "1"))


class InTempDir(unittest.TestCase):
    """A test with a fresh temporary directory (self.dir) and the bundled samples."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def sample(self, name):
        return os.path.join(ROOT, "samples", name)

    def check_same_outputs(self, flag, inputs, cases, *common):
        """Runs every (pipeline, stats, format) case on `inputs` with --emit final, with and
        without `flag`, and checks that every file written is the same (the report: times
        aside)."""
        for i, (pipe, stats, fmt) in enumerate(cases):
            results = []
            for extra in ([], [flag]):
                out = os.path.join(self.dir, "out%d%s" % (i, "x" if extra else ""))
                code, _, err = run("run", *inputs, "-p", pipe, "-o", out, "--emit", "final",
                                   "--stats", stats, "--format", fmt, "-q", *common, *extra)
                self.assertEqual(code, 0, err)
                results.append(run_outputs(out))
            with self.subTest(pipeline=pipe, stats=stats, format=fmt):
                self.assertEqual(sorted(results[0]), sorted(results[1]))
                self.assertEqual(len([k for k in results[0] if not k.startswith("report")
                                      and not k.endswith(".convpool.json")]), len(inputs))
                self.assertEqual(len([k for k in results[0] if k.endswith(".convpool.json")]),
                                 len(inputs))
                for name in results[0]:
                    self.assertTrue(results[0][name] == results[1][name], name)


class RunJob(InTempDir):
    def test_writes_pictures_sheet_and_reports(self):
        out = os.path.join(self.dir, "out")
        code, stdout, err = run("run", self.sample("camera.png"), self.sample("chelsea.png"), "-p",
                                "conv:sobel-x | relu | pool:max,k=2,s=2", "-o", out)
        self.assertEqual(code, 0, err)
        for stem, channels in (("camera", 1), ("chelsea", 3)):
            files = sorted(os.listdir(os.path.join(out, stem)))
            self.assertEqual(files, ["00_input.png", "01_conv-sobel-x.png", "02_relu.png",
                                     "03_pool-max.png", "convpool.json", "sheet.png"])
            record = load_json(os.path.join(out, stem, "convpool.json"))
            self.assertEqual(sorted(record["files"]), [f for f in files if f != "convpool.json"])
            files.remove("convpool.json")
            for f in files:
                w, h = png_size(os.path.join(out, stem, f))
                self.assertGreater(w, 0)
                self.assertGreater(h, 0)
        report = load_json(os.path.join(out, "report.json"))
        self.assertEqual(report["summary"], {"inputs": 2, "ok": 2, "done": 2, "failed": 0, "skipped": 0,
                                             "interrupted": 0, "not_started": 0})
        self.assertEqual(report["report_version"], 2)
        self.assertEqual(report["stages"][0], "conv:sobel-x,stride=1,pad=same,dilation=1,"
                                              "border=reflect101,scale=1,bias=0")
        cam = report["images"][0]
        self.assertEqual(cam["status"], "done")
        self.assertEqual([s["shape"] for s in cam["stages"]],
                         [[1, 512, 512], [1, 512, 512], [1, 512, 512], [1, 256, 256]])
        pool = cam["stages"][3]
        self.assertEqual(pool["stage"], "pool:max,k=2,s=2,pad=0,dilation=1,ceil=false")
        self.assertEqual(pool["elements"], 65536)
        self.assertEqual(pool["bytes"], 262144)
        self.assertAlmostEqual(pool["ratio_previous"], 0.25)
        self.assertAlmostEqual(pool["ratio_input"], 0.25)
        self.assertEqual(cam["stages"][2]["stats"]["negative_fraction"], 0.0)
        self.assertGreater(cam["stages"][1]["stats"]["negative_fraction"], 0.0)
        for key in ("count", "nonfinite", "min", "max", "mean", "std", "zero_fraction",
                    "negative_fraction", "entropy", "p1", "p50", "p99"):
            self.assertIn(key, pool["stats"])
        self.assertEqual(len(report["images"][1]["stages"][3]["channels"]), 3)
        # The max pool of relu output is at least the mean of the relu output.
        self.assertGreaterEqual(pool["stats"]["mean"], cam["stages"][2]["stats"]["mean"])
        rows = list(csv.DictReader(io.StringIO(read_text(os.path.join(out, "report.csv")))))
        self.assertEqual(len(rows), 4 * 2 + 4 * 4)  # camera: all+1 channel; chelsea: all+3
        self.assertEqual(rows[0]["input"], self.sample("camera.png"))
        # stdout carries the table; stderr says where the outputs are.
        self.assertIn("pool:max,k=2,s=2,pad=0,dilation=1,ceil=false", stdout)
        self.assertIn(out, err)

    def test_raw_npy_round_trip_with_hand_checked_values(self):
        src = os.path.join(self.dir, "ramp.npy")
        write_npy(src, [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]])
        out = os.path.join(self.dir, "out")
        code, _, err = run("run", src, "-p", "pool:max,k=2 | pool:global-avg", "-o", out,
                           "--raw", "npy", "--report", "none")
        self.assertEqual(code, 0, err)
        shape, vals = read_npy(os.path.join(out, "ramp", "00_input.npy"), "<f4")
        self.assertEqual(shape, (1, 4, 4))
        self.assertEqual(vals, list(range(1, 17)))
        shape, vals = read_npy(os.path.join(out, "ramp", "01_pool-max.npy"), "<f4")
        self.assertEqual(shape, (1, 2, 2))
        self.assertEqual(vals, [6, 8, 14, 16])
        shape, vals = read_npy(os.path.join(out, "ramp", "02_pool-global-avg.npy"), "<f4")
        self.assertEqual(shape, (1, 1, 1))
        self.assertEqual(vals, [11])

    def test_report_formats_on_stdout(self):
        src = os.path.join(self.dir, "tiny.npy")
        write_npy(src, [[0, 1], [2, 3]])
        out = os.path.join(self.dir, "out")
        code, stdout, _ = run("run", src, "-p", "relu", "-o", out, "--report", "json", "-q")
        self.assertEqual(code, 0)
        self.assertEqual(json.loads(stdout), load_json(os.path.join(out, "report.json")))
        code, stdout, err = run("run", src, "-p", "relu", "-o", out, "--report", "csv", "-q", "--force")
        self.assertEqual(err, "")
        self.assertEqual(stdout, read_text(os.path.join(out, "report.csv")))
        code, stdout, _ = run("run", src, "-p", "relu", "-o", out, "--report", "md", "-q", "--force")
        self.assertIn("| 01 | `relu` | 1x2x2 |", stdout)
        code, stdout, _ = run("run", src, "-p", "relu", "-o", out, "--report", "none", "-q", "--force")
        self.assertEqual(stdout, "")

    def test_directory_input_is_sorted_and_filtered(self):
        d = os.path.join(self.dir, "in")
        os.mkdir(d)
        write_npy(os.path.join(d, "b.npy"), [[1]])
        write_npy(os.path.join(d, "a.npy"), [[2]])
        write_text(os.path.join(d, "notes.txt"), "not an image")
        out = os.path.join(self.dir, "out")
        code, _, err = run("run", d, "-p", "relu", "-o", out, "--report", "none")
        self.assertEqual(code, 0, err)
        report = load_json(os.path.join(out, "report.json"))
        self.assertEqual([os.path.basename(i["input"]) for i in report["images"]], ["a.npy", "b.npy"])

    def test_pipeline_file_with_comments(self):
        pipe = os.path.join(self.dir, "edges.pipe")
        write_text(pipe, "# edges\nconv:sobel-y  # vertical gradient\nabs\n\npool:avg,k=2\n")
        out = os.path.join(self.dir, "out")
        code, _, err = run("run", self.sample("brick.png"), "-p", "@" + pipe, "-o", out,
                           "--report", "none")
        self.assertEqual(code, 0, err)
        self.assertEqual(sorted(os.listdir(os.path.join(out, "brick"))),
                         ["00_input.png", "01_conv-sobel-y.png", "02_abs.png", "03_pool-avg.png",
                          "convpool.json", "sheet.png"])

    def test_bank_makes_one_channel_per_input_channel_and_filter(self):
        out = os.path.join(self.dir, "out")
        code, stdout, err = run("run", self.sample("coffee.png"), "-p", "bank:sobel-x,sobel-y",
                                "-o", out, "--report", "json")
        self.assertEqual(code, 0, err)
        self.assertEqual(json.loads(stdout)["images"][0]["stages"][1]["shape"], [6, 400, 600])


class StatsAndDecoding(InTempDir):
    """--stats full|basic|none, and a leading gray decoding a JPEG to luminance only."""

    def test_stats_levels_in_json_csv_and_table(self):
        results = {}
        for level in ("full", "basic", "none"):
            out = os.path.join(self.dir, level)
            code, stdout, err = run("run", self.sample("camera.png"), "-p", "conv:sobel-x | relu",
                                    "-o", out, "--stats", level)
            self.assertEqual(code, 0, err)
            results[level] = (load_json(os.path.join(out, "report.json")), stdout,
                              read_text(os.path.join(out, "report.csv")))
        full, basic, none = (results[k][0] for k in ("full", "basic", "none"))
        self.assertEqual([full["stats"], basic["stats"], none["stats"]], ["full", "basic", "none"])
        f = full["images"][0]["stages"][2]["stats"]
        b = basic["images"][0]["stages"][2]["stats"]
        for key in ("count", "nonfinite", "min", "max", "mean", "std", "zero_fraction",
                    "negative_fraction"):
            self.assertEqual(b[key], f[key], key)
        for key in ("entropy", "p1", "p50", "p99"):
            self.assertIsNotNone(f[key], key)
            self.assertIsNone(b[key], key)
        self.assertGreater(f["zero_fraction"], 0.2)  # relu of a derivative: many zeros
        for st in none["images"][0]["stages"]:
            self.assertIsNone(st["stats"])
            self.assertEqual(st["channels"], [])
            self.assertEqual(st["shape"], full["images"][0]["stages"][st["index"]]["shape"])
        rows = list(csv.DictReader(io.StringIO(results["none"][2])))
        self.assertEqual(len(rows), 3)
        self.assertEqual([r["mean"] for r in rows], ["", "", ""])
        self.assertEqual(rows[2]["elements"], "262144")
        self.assertIn(" - ", results["none"][1])

    def test_html_needs_statistics(self):
        code, _, err = run("run", self.sample("camera.png"), "-p", "relu", "-o",
                           os.path.join(self.dir, "o"), "--stats", "none", "--html")
        self.assertEqual(code, 2)
        self.assertEqual(err.strip().splitlines(),
                         ["convpool: error: --html shows every stage's statistics: it needs --stats full or basic"])
        self.assertFalse(os.path.exists(os.path.join(self.dir, "o")))

    def test_leading_gray_decodes_a_jpeg_to_luminance(self):
        pipe = "gray | pool:max,k=4,s=4"
        final = os.path.join(self.dir, "final")
        code, _, err = run("run", self.sample("rocket.jpg"), "-p", pipe, "-o", final,
                           "--emit", "final", "--format", "npy")
        self.assertEqual(code, 0, err)
        report = load_json(os.path.join(final, "report.json"))
        stages = report["images"][0]["stages"]
        self.assertEqual(stages[0]["shape"][0], 1)  # the input itself is one channel
        self.assertIn("decoded as luminance only (the JPEG's Y), as the pipeline starts with gray",
                      stages[0]["notes"])
        full = os.path.join(self.dir, "all")
        code, _, err = run("run", self.sample("rocket.jpg"), "-p", pipe, "-o", full, "--raw", "npy")
        self.assertEqual(code, 0, err)
        all_stages = load_json(os.path.join(full, "report.json"))["images"][0]["stages"]
        self.assertEqual(all_stages[0]["shape"][0], 3)  # the input picture is shown in colour
        self.assertEqual(all_stages[0]["notes"], [])
        shape_y, y = read_npy(os.path.join(final, "rocket.npy"), "<f4")
        shape_g, g = read_npy(os.path.join(full, "rocket", "02_pool-max.npy"), "<f4")
        self.assertEqual(shape_y, shape_g)
        # The JPEG's Y against gray of its decoded RGB: within a few levels in 255.
        worst = max(abs(a - b) for a, b in zip(y, g))
        self.assertLessEqual(worst, 4 / 255, worst)


class EightBitStages(InTempDir):
    """With --emit final, leading max/min pools of an 8-bit image run in 8 bits: every output is
    the same as with --float-only (every image float before the first stage)."""

    def inputs(self):
        made = []
        for name, w, h, channels, depth in (("rgba", 37, 23, 4, 8), ("graya", 23, 37, 2, 8),
                                            ("rgb_odd", 5, 9, 3, 8), ("gray16", 33, 21, 1, 16),
                                            ("rgb16", 17, 11, 3, 16)):
            path = os.path.join(self.dir, name + ".png")
            write_png(path, w, h, channels, depth)
            made.append(path)
        return [self.sample(n) for n in ("camera.png", "chelsea.png", "rocket.jpg")] + made

    def test_outputs_are_the_same_as_with_float_only(self):
        inputs = self.inputs()
        cases = [("pool:max,k=2,s=2", "full", "png"),
                 ("pool:max,k=2,s=2", "none", "npy"),
                 ("pool:min,k=3,s=1,pad=1 | pool:max,k=3,s=2,ceil", "basic", "npy"),
                 ("pool:max,k=2,s=2 | pool:min,k=2,s=1 | conv:sobel-x | relu", "full", "pgm"),
                 ("pool:max,k=2,s=2 | gray", "none", "png"),
                 ("pool:max,k=2,s=2,switches | unpool", "full", "npy")]
        self.check_same_outputs("--float-only", inputs, cases, "--report", "md")

    def test_stdout_and_pictures_are_the_same_as_with_float_only(self):
        pipe = "pool:max,k=2,s=2 | pool:min,k=2,s=2"
        got = []
        for extra in ([], ["--float-only"]):
            code, out, err = run_binary(BIN, "run", self.sample("chelsea.png"), "-p", pipe, "-o",
                                        "-", "--emit", "final", "-q", *extra, text=False)
            self.assertEqual(code, 0, err)
            got.append(out)
        self.assertEqual(got[0], got[1])
        self.assertGreater(len(got[0]), 100)
        # --emit all runs in float anyway; --float-only changes nothing there either.
        outs = []
        for extra in ([], ["--float-only"]):
            out = os.path.join(self.dir, "all" + ("f" if extra else ""))
            code, _, err = run("run", self.sample("coffee.png"), "-p", pipe, "-o", out, "-q",
                               "--raw", "npy", *extra)
            self.assertEqual(code, 0, err)
            outs.append(run_outputs(out))
        self.assertEqual(outs[0], outs[1])


class Fusion(InTempDir):
    """With --emit final and --stats none, an elementwise stage after a conv is applied by the
    conv as it writes: every output is the same as with --no-fuse."""

    def test_outputs_are_the_same_as_with_no_fuse(self):
        inputs = [self.sample(n) for n in ("camera.png", "chelsea.png", "rocket.jpg")]
        cases = [("gray | conv:sobel-x | relu | pool:max,k=2,s=2", "none", "png"),
                 ("conv:sobel-y,scale=-1 | abs", "none", "npy"),
                 ("conv:gaussian,k=5,bias=-0.1 | leaky-relu:slope=0.2 | conv:laplacian | relu",
                  "none", "npy"),
                 ("pool:max,k=2,s=2 | conv:sobel-x,bias=-0 | relu", "none", "npy"),
                 ("conv:sobel-x | relu", "full", "npy")]
        self.check_same_outputs("--no-fuse", inputs, cases, "--report", "none",
                                "--decode-in-process")


class Errors(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name
        self.good = os.path.join(self.dir, "good.npy")
        write_npy(self.good, [[1, 2, 3, 4]] * 4)

    def tearDown(self):
        self.tmp.cleanup()

    def test_unknown_op_exits_2_and_writes_nothing(self):
        out = os.path.join(self.dir, "out")
        code, stdout, err = run("run", self.good, "-p", "conv:sobel-x | pool:mx,k=2", "-o", out)
        self.assertEqual(code, 2)
        self.assertEqual(stdout, "")
        self.assertEqual(err, "convpool: error: stage 2 'pool:mx,k=2': unknown pool mode 'mx' "
                              "(did you mean 'max'?) (modes: max, avg, min, lp, gem, soft, "
                              "mixed, median, blur, maxblur, global-max, global-avg, global-gem, "
                              "spp, adaptive-max, adaptive-avg, stochastic, fractional)\n")
        self.assertFalse(os.path.exists(out))

    def test_bad_parameter_value_exits_2(self):
        code, _, err = run("run", self.good, "-p", "pool:max,k=0", "-o", os.path.join(self.dir, "o"))
        self.assertEqual(code, 2)
        self.assertEqual(err, "convpool: error: stage 1 'pool:max,k=0': pool:max: k: 0 is out of "
                              "range (from 1 to 4096)\n")

    def test_pipeline_that_does_not_fit_the_only_image_exits_3(self):
        out = os.path.join(self.dir, "out")
        code, _, err = run("run", self.good, "-p", "pool:max,k=5", "-o", out, "--report", "none")
        self.assertEqual(code, 3)
        self.assertEqual(err.splitlines()[0],
                         "convpool: error: %s: stage 1 'pool:max,k=5': pool:max: kernel 5x5 "
                         "(dilation 1x1) does not fit the padded input 4x4 (pad 0x0)" % self.good)
        self.assertFalse(os.path.exists(os.path.join(out, "good")))
        report = load_json(os.path.join(out, "report.json"))
        self.assertEqual(report["images"][0]["status"], "failed")

    def test_some_inputs_failing_exits_1_and_the_rest_is_done(self):
        bad = os.path.join(self.dir, "bad.png")
        write_text(bad, "this is not a PNG")
        missing = os.path.join(self.dir, "missing.png")
        out = os.path.join(self.dir, "out")
        code, _, err = run("run", bad, self.good, missing, "-p", "pool:max,k=2", "-o", out,
                           "--report", "none", "-q")
        self.assertEqual(code, 1)
        self.assertEqual(err.splitlines(), [
            "convpool: error: %s: not an image (unknown format; convpool reads PNG, JPEG, TIFF, "
            "BMP, WebP, PNM and .npy)" % bad,
            "convpool: error: %s: no such file" % missing,
        ])
        self.assertTrue(os.path.exists(os.path.join(out, "good", "sheet.png")))
        report = load_json(os.path.join(out, "report.json"))
        self.assertEqual([i["status"] for i in report["images"]], ["failed", "done", "failed"])
        self.assertEqual(report["images"][2]["error"], "no such file")

    def test_truncated_png_fails_cleanly(self):
        src = os.path.join(ROOT, "samples", "camera.png")
        cut = os.path.join(self.dir, "cut.png")
        with open(src, "rb") as f, open(cut, "wb") as g:
            g.write(f.read()[:60])
        code, _, err = run("run", cut, "-p", "relu", "-o", os.path.join(self.dir, "o"), "-q",
                           "--report", "none")
        self.assertEqual(code, 3)
        self.assertEqual(len(err.splitlines()), 1)
        self.assertIn("cut.png: cannot decode png data", err)

    def test_same_output_name_is_refused_before_writing(self):
        other = os.path.join(self.dir, "sub")
        os.mkdir(other)
        twin = os.path.join(other, "good.npy")
        write_npy(twin, [[1]])
        out = os.path.join(self.dir, "out")
        code, _, err = run("run", self.good, twin, "-p", "relu", "-o", out)
        self.assertEqual(code, 2)
        self.assertIn("would both write to 'good/'", err)
        self.assertFalse(os.path.exists(out))

    def test_unwritable_output_exits_4(self):
        blocker = os.path.join(self.dir, "file")
        write_text(blocker, "x")
        code, _, err = run("run", self.good, "-p", "relu", "-o", os.path.join(blocker, "out"))
        self.assertEqual(code, 4)
        self.assertTrue(err.startswith("convpool: error: "), err)
        self.assertIn("cannot create directory", err)

    def test_no_images_in_directory(self):
        empty = os.path.join(self.dir, "empty")
        os.mkdir(empty)
        code, _, err = run("run", empty, "-p", "relu", "-o", os.path.join(self.dir, "o"))
        self.assertEqual(code, 2)
        self.assertIn("no input images", err)


class PoolingModes(unittest.TestCase):
    """Stochastic and fractional pooling, switches and unpool, --semantics."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name
        self.ramp = os.path.join(self.dir, "ramp.npy")
        write_npy(self.ramp, [[(7 * y + 3 * x) % 11 for x in range(12)] for y in range(12)])

    def tearDown(self):
        self.tmp.cleanup()

    def run_json(self, *args):
        out = tempfile.mkdtemp(dir=self.dir)
        code, stdout, err = run("run", self.ramp, "-o", out, "--report", "json", "-q", *args)
        self.assertEqual(code, 0, err)
        return json.loads(stdout), os.path.join(out, "ramp")

    def test_spp_is_a_vector_drawn_as_a_bar_chart(self):
        report, folder = self.run_json("-p", "pool:spp,levels=[1 2 4]", "--raw", "npy")
        spp = report["images"][0]["stages"][1]
        self.assertEqual(spp["shape"], [1, 1, 21])
        # The bar chart (720x360), not a 1-row image stretched by the stage picture.
        self.assertEqual(png_size(os.path.join(folder, "01_pool-spp.png")), (720, 360))
        shape, values = read_npy(os.path.join(folder, "01_pool-spp.npy"), "<f4")
        self.assertEqual(shape, (1, 1, 21))
        self.assertEqual(values[0], 10)  # the largest value of the ramp, level 1
        # compare takes spp as a mode and says that it is a vector.
        code, out, err = run("compare", self.ramp, "--modes", "max,spp", "-o",
                             os.path.join(self.dir, "cmp"), "-q")
        self.assertEqual(code, 0, err)
        self.assertIn("spp: a vector per channel", out)
        self.assertNotIn("nan", out.lower())
        # blur has no window: the table says that -k does not apply and why its output is larger.
        code, out, err = run("compare", self.ramp, "--modes", "max,blur", "-k", "3", "-o",
                             os.path.join(self.dir, "cmp-blur"), "-q")
        self.assertEqual(code, 0, err)
        self.assertIn("blur: no window, so -k does not apply", out)
        self.assertIn("pool:blur,s=3", out)

    def test_switches_write_maps_and_the_offset_histogram(self):
        report, folder = self.run_json("-p", "pool:max,k=3,s=2,switches | unpool")
        pool = report["images"][0]["stages"][1]
        self.assertEqual(pool["files"], ["01_pool-max.png", "01_pool-max_switches.png",
                                         "01_pool-max_coverage.png"])
        for f in pool["files"]:
            self.assertGreater(png_size(os.path.join(folder, f))[0], 0)
        sw = pool["switches"]
        self.assertEqual(sw["window"], [3, 3])
        self.assertEqual(sum(map(sum, sw["offset_histogram"])), 25)  # one winner per output
        self.assertEqual(sw["uncovered_cells"], 12 + 12 - 1)  # last row and column dropped
        self.assertEqual(sw["max_coverage"], 4)
        self.assertTrue(any(n.startswith("winning taps of the 3x3 window") for n in pool["notes"]))
        self.assertEqual(report["images"][0]["stages"][2]["shape"], [1, 12, 12])

    def test_fractional_report_records_sequences_u_seed_and_integer_alpha(self):
        report, _ = self.run_json("-p", "pool:fractional,out=8x6,u=0.25,seed=4")
        st = report["images"][0]["stages"][1]
        regions = st["regions"]
        self.assertEqual(regions["variant"], "pseudo")
        self.assertEqual(regions["u"], [0.25, 0.25])
        self.assertEqual(regions["seed"], 4)
        # a_i = ceil(1.5*(i + 0.25)) - ceil(1.5*0.25)
        self.assertEqual(regions["row_starts"], [0, 1, 3, 4, 6, 7, 9, 10])
        self.assertEqual(sum(regions["col_sizes"]), 12)
        self.assertEqual(st["notes"], ["warning: alpha = 12/6 = 2 along columns is an integer: "
                                       "fractional pooling is ordinary max pooling there (k=2, s=2)"])

    def test_stochastic_refuses_negative_input(self):
        neg = os.path.join(self.dir, "neg.npy")
        write_npy(neg, [[1, -1], [2, 3]])
        code, _, err = run("run", neg, "-p", "pool:stochastic,k=2", "-o",
                           os.path.join(self.dir, "o"), "--report", "none")
        self.assertEqual(code, 3)
        self.assertIn("stage 1 'pool:stochastic,k=2': pool:stochastic: input has negative values "
                      "(smallest -1 in channel 0)", err)
        self.assertIn("put 'relu' before this stage", err)

    def test_unpool_without_switches_is_a_usage_error(self):
        code, _, err = run("shape", "-p", "pool:max,k=2 | unpool", "--size", "4x4")
        self.assertEqual(code, 2)
        self.assertEqual(err, "convpool: error: stage 2 'unpool': unpool needs the switches of an "
                              "earlier max pool: write 'pool:max,...,switches' before it\n")

    def test_semantics_change_defaults_and_are_reported(self):
        report, _ = self.run_json("-p", "pool:avg,k=5", "--semantics", "caffe")
        self.assertEqual(report["semantics"], "caffe")
        self.assertEqual(report["stages"][0],
                         "pool:avg,k=5,s=5,pad=0,dilation=1,ceil=true,count-pad=true,divisor=0")
        self.assertEqual(report["images"][0]["stages"][1]["shape"], [1, 3, 3])
        report, _ = self.run_json("-p", "pool:avg,k=5")
        self.assertEqual(report["semantics"], "torch")
        self.assertEqual(report["images"][0]["stages"][1]["shape"], [1, 2, 2])

    def test_shape_semantics_all(self):
        code, out, err = run("shape", "-p", "pool:max,k=2 | pool:avg,k=3,s=2,pad=same", "--size",
                             "5x7", "--semantics", "all")
        self.assertEqual(code, 0, err)
        path = os.path.join(ROOT, "tests", "golden", "shape_semantics_all.txt")
        if os.environ.get("CONVPOOL_UPDATE_GOLDEN"):
            write_text(path, out)
        self.assertEqual(out, read_text(path))
        self.assertIn("<- differs", out)
        code, _, err = run("shape", "-p", "pool:fractional,out=9", "--size", "5x7", "--semantics",
                           "all")
        self.assertEqual(code, 2)
        self.assertIn("rows output 9 is larger than the input 5", err)
        # A pad over half the kernel: only onnx plans it; the others say why, after the table.
        code, out, err = run("shape", "-p", "pool:max,k=3,s=1,pad=2", "--size", "5x7",
                             "--semantics", "all")
        self.assertEqual(code, 0, err)
        self.assertRegex(out, r"(?m)^ 01  pool:max,k=3,s=1,pad=2 +error +error +error +1x7x9"
                              r"  <- differs$")
        self.assertIn("torch: error: stage 1 'pool:max,k=3,s=1,pad=2': pool:max: pad 2x2 is more "
                      "than half the kernel 3x3 (at most 1x1; --semantics onnx allows more)", out)


if __name__ == "__main__":
    BIN = os.path.abspath(sys.argv[1])
    ROOT = os.path.abspath(sys.argv[2])
    del sys.argv[1:3]
    parallel_unittest.main()
