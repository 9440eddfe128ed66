#!/usr/bin/env python3
"""CLI tests of `convpool compare` and `convpool probe`: files, reports, known answers, errors.

Usage: test_compare_probe.py PATH/TO/convpool REPO_ROOT   (ctest passes both). Standard library only.
"""
import csv
import io
import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import parallel_unittest  # noqa: E402
from test_cli import png_size, write_npy, write_png  # noqa: E402  (shared helpers; test_cli runs nothing on import)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from runner import run_binary  # noqa: E402
from images import read_png  # noqa: E402

BIN = None
ROOT = None


def run(*args, cwd=None):
    """Runs convpool; returns (exit code, stdout, stderr)."""
    return run_binary(BIN, *args, cwd=cwd, errors="strict")


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def sample(name):
    return os.path.join(ROOT, "samples", name)


def small_image(folder):
    """A 64x48 gray PNG holding every byte value: for the cases whose checks do not depend on the
    picture or its size (the 512x512 camera.png made them the slowest CLI tests)."""
    path = os.path.join(folder, "small.png")
    write_png(path, 64, 48, 1)
    return path


def without_times(doc):
    """The probe JSON with every `ms` and the `build` removed (times differ between runs; report
    comparisons ignore which convpool wrote it)."""
    doc.pop("build", None)
    for p in doc["pools"]:
        p.pop("ms")
    return doc


class Compare(unittest.TestCase):
    def test_sheet_table_json_csv(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "cmp")
            code, stdout, err = run("compare", sample("camera.png"), "-p", "conv:sobel-x | relu",
                                    "--modes", "max,avg,stochastic,fractional", "-k", "2", "-s", "2",
                                    "--shifts", "1", "-o", out, "--sheet-height", "64")
            self.assertEqual(code, 0, err)
            self.assertEqual(sorted(os.listdir(out)),
                             [".convpool.lock", "compare.csv", "compare.json", "noise-psnr.png",
                              "noise-ssim.png", "sheet.png", "shift-correlation.png",
                              "shift-identical.png"])
            w, h = png_size(os.path.join(out, "sheet.png"))
            self.assertGreater(w, 7 * 64)  # input, 2 prefix stages, 4 modes
            for stage in ("pool:max,k=2,s=2", "pool:avg,k=2,s=2", "pool:fractional,out=256x256,seed=0"):
                self.assertIn(stage, stdout)
            self.assertIn("1x256x256", stdout)
            doc = load_json(os.path.join(out, "compare.json"))
            self.assertEqual([p["label"] for p in doc["pools"]], ["max", "avg", "stochastic", "fractional"])
            self.assertEqual(doc["seed"], 0)
            for p in doc["pools"]:
                self.assertEqual(p["shape"], [1, 256, 256])
                self.assertEqual(p["compression"]["elements_pre"], 512 * 512)
                self.assertEqual(p["compression"]["bytes_pool"], 256 * 256 * 4)
                self.assertGreaterEqual(p["shift"][0]["identical"], 0.0)
                self.assertLessEqual(p["shift"][0]["identical"], 1.0)
            # Max pooling keeps the largest value, so its mean is at least the average's.
            stats = {p["label"]: p["stats"] for p in doc["pools"]}
            self.assertGreaterEqual(stats["max"]["mean"], stats["avg"]["mean"])
            self.assertIsNotNone(doc["pools"][0]["information_loss"]["unpool_psnr_db"])
            self.assertIsNone(doc["pools"][1]["information_loss"]["unpool_psnr_db"])
            with open(os.path.join(out, "compare.csv"), encoding="utf-8") as f:
                rows = list(csv.DictReader(f))
            self.assertEqual([r["mode"] for r in rows], ["max", "avg", "stochastic", "fractional"])
            self.assertEqual(rows[0]["height"], "256")
            self.assertEqual(float(rows[0]["ms"]) >= 0, True)

    def test_json_report_on_stdout(self):
        with tempfile.TemporaryDirectory() as tmp:
            code, stdout, _ = run("compare", small_image(tempfile.mkdtemp()), "--modes", "max,min", "-k", "4",
                                  "--shifts", "1", "--report", "json", "-o", tmp, "-q")
            self.assertEqual(code, 0)
            doc = json.loads(stdout)
            self.assertEqual([p["stage"] for p in doc["pools"]],
                             ["pool:max,k=4,s=4,pad=0,dilation=1,ceil=false",
                              "pool:min,k=4,s=4,pad=0,dilation=1,ceil=false"])

    def test_unknown_mode_lists_the_valid_ones(self):
        with tempfile.TemporaryDirectory() as tmp:
            code, stdout, err = run("compare", sample("camera.png"), "--modes", "max,mx", "-o", tmp)
            self.assertEqual(code, 2)
            self.assertEqual(stdout, "")
            self.assertEqual(err.strip(), "convpool: error: --modes: unknown pooling mode 'mx' (did you mean "
                                          "'max'?) (valid: max, avg, min, lp, gem, soft, mixed, median, blur, "
                                          "maxblur, spp, adaptive-max, adaptive-avg, stochastic, fractional)")
            self.assertEqual(os.listdir(tmp), [])

    def test_missing_input(self):
        code, _, err = run("compare", "no-such.png", "--modes", "max")
        self.assertEqual(code, 3)
        self.assertIn("no-such.png", err)


class Probe(unittest.TestCase):
    def test_png_scale_draws_the_charts_again_at_twice_the_size(self):
        for command in ("probe", "compare"):
            with tempfile.TemporaryDirectory() as tmp:
                code, _, err = run(command, sample("camera.png"), "--modes", "max,avg",
                                   "--shifts", "1", "--noise", "0.05", "--png-scale", "2",
                                   "--report", "none", "-o", tmp)
                self.assertEqual(code, 0, err)
                for name in ("noise-psnr.png", "shift-correlation.png"):
                    self.assertEqual(png_size(os.path.join(tmp, name)), (1440, 840),
                                     (command, name))
                # Drawn again, not enlarged: some 2x2 block of the title's rows is not one
                # colour (an enlarged picture's are).
                _, _, rows = read_png(os.path.join(tmp, "noise-psnr.png"), max_rows=60)
                self.assertTrue(any(len({rows[y][x], rows[y + 1][x], rows[y][x + 1],
                                         rows[y + 1][x + 1]}) > 1
                                    for y in range(0, 60, 2) for x in range(0, 1440, 2)),
                                command)

    def test_pipeline_pools_files_and_charts(self):
        with tempfile.TemporaryDirectory() as tmp:
            code, stdout, err = run("probe", sample("chelsea.png"), "-p",
                                    "gray | conv:sobel-x | relu | pool:max,k=2 | pool:avg,k=2",
                                    "--shifts", "2", "--noise", "0.01,0.1", "--salt-pepper", "0.05",
                                    "--seed", "9", "-o", tmp)
            self.assertEqual(code, 0, err)
            for name in ("probe.json", "probe.csv", "shift-identical.png", "shift-correlation.png",
                         "noise-psnr.png", "noise-ssim.png"):
                self.assertTrue(os.path.isfile(os.path.join(tmp, name)), name)
            self.assertEqual(png_size(os.path.join(tmp, "noise-psnr.png")), (720, 420))
            for section in ("shift invariance", "noise tolerance", "information loss"):
                self.assertIn(section, stdout)
            doc = load_json(os.path.join(tmp, "probe.json"))
            self.assertEqual(doc["seed"], 9)
            self.assertEqual([p["label"] for p in doc["pools"]], ["04 pool:max", "05 pool:avg"])
            self.assertEqual(doc["pools"][0]["prefix"], "gray | conv:sobel-x | relu")
            self.assertEqual(doc["pools"][0]["pre_shape"], [1, 300, 451])
            self.assertEqual(doc["pools"][1]["pre_shape"], [1, 150, 225])
            p = doc["pools"][0]
            self.assertEqual([s["shift"] for s in p["shift"]], [1, 2])
            self.assertEqual([(n["kind"], n["level"]) for n in p["noise"]],
                             [("gaussian", 0.01), ("gaussian", 0.1), ("salt-pepper", 0.05)])
            # More noise, lower PSNR, for the pool and for the map feeding it.
            self.assertGreater(p["noise"][0]["psnr_db"], p["noise"][1]["psnr_db"])
            self.assertGreater(p["noise"][0]["pre_psnr_db"], p["noise"][1]["pre_psnr_db"])
            with open(os.path.join(tmp, "probe.csv"), encoding="utf-8") as f:
                rows = list(csv.DictReader(f))
            self.assertIn({"pool": "04 pool:max", "section": "compression", "metric": "elements",
                           "value": str(150 * 225), "pre_value": str(300 * 451)},
                          [{k: r[k] for k in ("pool", "section", "metric", "value", "pre_value")} for r in rows])

    def test_same_seed_same_numbers(self):
        docs = []
        image = small_image(tempfile.mkdtemp())
        for _ in range(2):
            code, stdout, _ = run("probe", image, "-p", "relu", "--modes", "stochastic,fractional",
                                  "--shifts", "1", "--noise", "0.05", "--seed", "4", "--report", "json",
                                  "-o", tempfile.mkdtemp(), "-q")
            self.assertEqual(code, 0)
            docs.append(without_times(json.loads(stdout)))
        self.assertEqual(docs[0], docs[1])

    def test_constant_image_is_shift_invariant_in_every_mode(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "flat.npy")
            write_npy(path, [[0.25] * 20 for _ in range(18)])
            code, stdout, err = run("probe", path, "--modes",
                                    "max,avg,min,lp,stochastic,fractional,adaptive-max,adaptive-avg",
                                    "--shifts", "3", "--noise", "0", "--report", "json", "-o", tmp, "-q")
            self.assertEqual(code, 0, err)
            doc = json.loads(stdout)
            self.assertEqual(len(doc["pools"]), 8)
            for p in doc["pools"]:
                for s in p["shift"]:
                    self.assertEqual(s["identical"], 1.0, p["label"])
                    self.assertEqual(s["correlation"], 1.0, p["label"])
                # Zero noise: infinite PSNR, reported as such.
                self.assertEqual(p["noise"][0]["psnr_db"], "inf")
                self.assertEqual(p["noise"][0]["ssim"], 1.0)

    def test_equivariance_and_consistency_defaults_fields_and_rows(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "flat.npy")
            write_npy(path, [[0.25] * 30 for _ in range(28)])
            code, stdout, err = run("probe", path, "--modes", "max,blur,adaptive-max", "--noise", "0",
                                    "--report", "json", "-o", tmp, "-q")
            self.assertEqual(code, 0, err)
            doc = json.loads(stdout)
            # The defaults: shifts 1..8, 4 crop pairs per offset 1..8, cosine 0.99.
            self.assertEqual((doc["shifts"], doc["pairs"], doc["cos_tolerance"]), (8, 4, 0.99))
            self.assertIn("equivariance", doc["conventions"])
            self.assertIn("consistency", doc["conventions"])
            max_pool, blur, adaptive = doc["pools"]
            for p in (max_pool, blur):
                self.assertEqual(p["stride"], [2, 2])
                self.assertEqual(p["pre_stride"], [1, 1])
                self.assertEqual([e["shift"] for e in p["equivariance"]], [2, 4, 6, 8])
                for e in p["equivariance"]:
                    self.assertEqual((e["identical"], e["correlation"]), (1.0, 1.0), p["label"])
                self.assertEqual([c["offset"] for c in p["consistency"]], ["all", *range(1, 9)])
                self.assertEqual(p["consistency"][0]["pairs"], 32)
                for c in p["consistency"]:
                    self.assertEqual((c["consistent"], c["mean_cosine"]), (1.0, 1.0))
            # An adaptive pool has no fixed stride: no equivariance, said so.
            self.assertIsNone(adaptive["stride"])
            self.assertEqual(adaptive["equivariance"], [])
            code, table, err = run("probe", path, "--modes", "max,adaptive-max", "--noise", "0",
                                   "--shifts", "2", "--pairs", "1", "--cos-tolerance", "0.5", "-o", tmp)
            self.assertEqual(code, 0, err)
            self.assertIn("shift equivariance:", table)
            self.assertIn("no fixed stride: not measured", table)
            self.assertIn("8 crop pairs offset 1..8 px; consistent = cosine of the per-channel "
                          "means >= 0.5", table)
            rows = list(csv.DictReader(open(os.path.join(tmp, "probe.csv"), newline="")))
            keys = {(r["pool"], r["section"], r["metric"], r["level"]) for r in rows}
            self.assertIn(("max", "equivariance", "correlation", "2"), keys)
            self.assertIn(("max", "consistency", "consistent", "all"), keys)
            self.assertIn(("max", "consistency", "mean_cosine", "8"), keys)
            # --pairs 0 measures no consistency.
            code, stdout, err = run("probe", path, "--modes", "max", "--pairs", "0", "--shifts", "1",
                                    "--report", "json", "-o", tmp, "-q")
            self.assertEqual(code, 0, err)
            self.assertEqual(json.loads(stdout)["pools"][0]["consistency"], [])
            code, _, err = run("probe", path, "--modes", "max", "--cos-tolerance", "2", "-o", tmp)
            self.assertEqual(code, 2)
            self.assertIn("--cos-tolerance", err)

    def test_replace_pools_makes_every_pool_the_mode(self):
        tmp = tempfile.mkdtemp()
        path = small_image(tmp)
        stack = "gray | pool:max,k=3 | relu | pool:avg"
        code, stdout, err = run("probe", path, "-p", stack, "--modes", "max,blur", "--replace-pools",
                                "--shifts", "4", "--pairs", "1", "--noise", "0", "--salt-pepper", "0",
                                "--report", "json", "-o", tmp, "-q")
        self.assertEqual(code, 0, err)
        pools = json.loads(stdout)["pools"]
        self.assertEqual([(p["label"], p["prefix"], p["pool"]) for p in pools],
                         [("max", "gray | pool:max,k=2,s=2 | relu", "pool:max,k=2,s=2"),
                          ("blur", "gray | pool:blur,s=2 | relu", "pool:blur,s=2")])
        for p in pools:
            self.assertEqual(p["stride"], [4, 4], p["label"])
            self.assertEqual(p["pre_stride"], [2, 2], p["label"])
            self.assertEqual([e["shift"] for e in p["equivariance"]], [4], p["label"])
            # One channel: the argmax is that channel in every crop.
            self.assertEqual(p["consistency"][0]["same_argmax"], 1.0, p["label"])
        # Without --modes, or with -p not ending in a pooling stage: usage errors, nothing run.
        code, _, err = run("probe", path, "-p", stack, "--replace-pools", "-o", tmp)
        self.assertEqual(code, 2)
        self.assertIn("--replace-pools needs --modes", err)
        code, _, err = run("probe", path, "-p", "gray | pool:max | relu", "--modes", "max",
                           "--replace-pools", "-o", tmp)
        self.assertEqual(code, 2)
        self.assertIn("--replace-pools needs -p to end with a pooling stage", err)

    def test_kernel_one_stride_one_loses_nothing(self):
        code, stdout, err = run("probe", small_image(tempfile.mkdtemp()), "-p",
                                "pool:max,k=1,s=1 | pool:avg,k=1",
                                "--shifts", "1", "--report", "csv", "-o", tempfile.mkdtemp(), "-q")
        self.assertEqual(code, 0, err)
        rows = list(csv.DictReader(io.StringIO(stdout)))
        loss = {(r["pool"], r["metric"]): r["value"] for r in rows if r["section"] == "loss"}
        for pool in ("01 pool:max", "02 pool:avg"):
            self.assertEqual(loss[(pool, "nearest_psnr_db")], "inf")
            self.assertEqual(loss[(pool, "nearest_ssim")], "1")
            self.assertEqual(loss[(pool, "discarded_fraction")], "0")
        self.assertEqual(loss[("01 pool:max", "unpool_psnr_db")], "inf")

    def test_errors(self):
        with tempfile.TemporaryDirectory() as tmp:
            code, _, err = run("probe", sample("camera.png"), "-p", "conv:box | relu", cwd=tmp)
            self.assertEqual(code, 2)
            self.assertIn("no pooling stage", err)
            self.assertEqual(os.listdir(tmp), [])  # refused before anything is written
        code, _, err = run("probe", sample("camera.png"), "-p", "pool:max", "--noise", "0.1,x")
        self.assertEqual(code, 2)
        self.assertIn("--noise", err)
        code, _, err = run("probe", sample("camera.png"))
        self.assertEqual(code, 2)
        self.assertIn("give -p", err)


class Batch(unittest.TestCase):
    """compare and probe on several inputs, a folder or stdin: a folder per image holding what a
    single run writes, and a summary (mean, sd, min, max per pool and measurement)."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name
        self.images = os.path.join(self.dir, "images")
        os.makedirs(self.images)
        write_png(os.path.join(self.images, "a.png"), 40, 32, 1)
        write_png(os.path.join(self.images, "b.png"), 36, 30, 3)
        self.args = ["--modes", "max,avg", "--shifts", "2", "--noise", "0.05", "-q"]

    def tearDown(self):
        self.tmp.cleanup()

    def test_probe_of_a_folder_equals_single_runs_and_summarizes_them(self):
        out = os.path.join(self.dir, "batch")
        code, stdout, err = run("probe", self.images, *self.args, "-o", out, "-j", "2",
                                "--report", "json")
        self.assertEqual(code, 0, err)
        summary = json.loads(stdout)
        self.assertEqual(summary, load_json(os.path.join(out, "summary.json")))
        self.assertEqual(summary["counts"], {"inputs": 2, "measured": 2, "failed": 0})
        self.assertEqual([os.path.basename(i["input"]) for i in summary["images"]], ["a.png", "b.png"])
        per_image = []
        for stem in ("a", "b"):
            single = os.path.join(self.dir, "single-" + stem)
            code, _, err = run("probe", os.path.join(self.images, stem + ".png"), *self.args, "-o", single)
            self.assertEqual(code, 0, err)
            got = load_json(os.path.join(out, stem, "probe.json"))
            self.assertEqual(without_times(got), without_times(load_json(os.path.join(single, "probe.json"))))
            per_image.append(got)
        # The summary's numbers are the mean and spread of the images' own.
        rows = {(r["pool"], r["section"], r["metric"], r["kind"], r["level"]): r for r in summary["summary"]}
        for pool_index, pool in enumerate(("max", "avg")):
            values = [p["pools"][pool_index]["shift"][0]["correlation"] for p in per_image]
            row = rows[(pool, "shift", "correlation", "", "1")]
            self.assertEqual(row["n"], 2)
            self.assertAlmostEqual(row["mean"], sum(values) / 2, places=5)
            self.assertAlmostEqual(row["sd"], abs(values[0] - values[1]) / 2 ** 0.5, places=5)
            self.assertAlmostEqual(row["min"], min(values), places=5)
            self.assertAlmostEqual(row["max"], max(values), places=5)
        with open(os.path.join(out, "summary.csv"), newline="") as f:
            self.assertEqual(len(list(csv.DictReader(f))), len(summary["summary"]))
        for chart in ("summary-shift-correlation.png", "summary-noise-psnr.png"):
            self.assertEqual(png_size(os.path.join(out, chart)), (720, 420))

    def test_summary_gives_equivariance_and_consistency_with_spreads_and_charts(self):
        out = os.path.join(self.dir, "batch")
        code, stdout, err = run("probe", self.images, *self.args, "--pairs", "1", "-o", out,
                                "--report", "json")
        self.assertEqual(code, 0, err)
        summary = json.loads(stdout)
        self.assertEqual(summary["options"]["pairs"], 1)
        self.assertEqual(summary["options"]["cos_tolerance"], 0.99)
        rows = {(r["pool"], r["section"], r["metric"], r["level"]): r for r in summary["summary"]}
        per_image = [load_json(os.path.join(out, stem, "probe.json")) for stem in ("a", "b")]
        for pool_index, pool in enumerate(("max", "avg")):
            for section, metric, level, pick in (
                    ("equivariance", "correlation", "2", lambda p: p["equivariance"][0]["correlation"]),
                    ("consistency", "mean_cosine", "all", lambda p: p["consistency"][0]["mean_cosine"])):
                values = [pick(doc["pools"][pool_index]) for doc in per_image]
                row = rows[(pool, section, metric, level)]
                self.assertEqual(row["n"], 2)
                self.assertAlmostEqual(row["mean"], sum(values) / 2, places=5)
                self.assertAlmostEqual(row["sd"], abs(values[0] - values[1]) / 2 ** 0.5, places=5)
                self.assertAlmostEqual(row["min"], min(values), places=5)
                self.assertAlmostEqual(row["max"], max(values), places=5)
        for chart in ("summary-equivariance-correlation.png", "summary-consistency.png"):
            self.assertEqual(png_size(os.path.join(out, chart)), (720, 420))

    def test_a_bad_input_fails_alone_and_every_bad_input_exits_3(self):
        bad = os.path.join(self.dir, "bad.png")
        with open(bad, "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\nnot really")
        out = os.path.join(self.dir, "o")
        code, stdout, err = run("probe", os.path.join(self.images, "a.png"), bad, *self.args,
                                "-o", out, "--report", "json")
        self.assertEqual(code, 1, err)
        self.assertEqual(err.count("convpool: error: "), 1, err)
        self.assertIn("bad.png", err)
        summary = json.loads(stdout)
        self.assertEqual(summary["counts"], {"inputs": 2, "measured": 1, "failed": 1})
        self.assertEqual([i["status"] for i in summary["images"]], ["done", "failed"])
        bad2 = os.path.join(self.dir, "bad2.png")
        with open(bad2, "wb") as f:
            f.write(b"")
        code, _, err = run("probe", bad, bad2, *self.args, "-o", out + "2")
        self.assertEqual(code, 3, err)

    def test_stdin_is_an_input(self):
        a = os.path.join(self.images, "a.png")
        with open(a, "rb") as f:
            data = f.read()
        out = os.path.join(self.dir, "s")
        code, _, err = run_binary(BIN, "probe", "-", *self.args, "-o", out, stdin=data, text=False)
        self.assertEqual(code, 0, err)
        code, _, err = run("probe", a, *self.args, "-o", os.path.join(self.dir, "f"))
        self.assertEqual(code, 0, err)
        got = without_times(load_json(os.path.join(out, "probe.json")))
        want = without_times(load_json(os.path.join(self.dir, "f", "probe.json")))
        self.assertEqual(got.pop("input"), "-")
        want.pop("input")
        self.assertEqual(got, want)

    def test_compare_batch_writes_a_sheet_per_image_and_refuses_to_overwrite(self):
        out = os.path.join(self.dir, "c")
        code, _, err = run("compare", self.images, *self.args, "-o", out)
        self.assertEqual(code, 0, err)
        for stem in ("a", "b"):
            self.assertTrue(os.path.isfile(os.path.join(out, stem, "sheet.png")))
            self.assertTrue(os.path.isfile(os.path.join(out, stem, "compare.json")))
        self.assertTrue(os.path.isfile(os.path.join(out, "summary.json")))
        code, _, err = run("compare", self.images, *self.args, "-o", out)
        self.assertEqual(code, 2)
        self.assertIn("--force", err)
        code, _, err = run("compare", self.images, *self.args, "-o", out, "--force")
        self.assertEqual(code, 0, err)

    def test_probe_and_compare_take_the_output_folder_lock(self):
        import fcntl
        out = os.path.join(self.dir, "locked")
        os.makedirs(out)
        with open(os.path.join(out, ".convpool.lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            for command in ("probe", "compare"):
                code, _, err = run(command, os.path.join(self.images, "a.png"), *self.args, "-o", out)
                self.assertEqual(code, 4, command + ": " + err)
                self.assertEqual(len(err.strip().splitlines()), 1, err)


if __name__ == "__main__":
    BIN = os.path.abspath(sys.argv[1])
    ROOT = os.path.abspath(sys.argv[2])
    del sys.argv[1:3]
    parallel_unittest.main()
