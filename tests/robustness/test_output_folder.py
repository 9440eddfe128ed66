#!/usr/bin/env python3
"""The output folder contract (docs/outputs.md): nothing convpool writes or deletes lies outside
-o, whatever the input names and whatever symlinks are planted inside OUT; --force deletes only
the files an image's record lists; one run at a time holds OUT's lock; -r never collects its own
outputs; folders found with -r are mirrored below OUT.

Usage: test_output_folder.py PATH/TO/convpool REPO_ROOT   (ctest passes both). Standard library
only.
"""
import csv
import fcntl
import io
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from runner import run_binary  # noqa: E402

BIN = None
# Set by ctest in a sanitizer build: no address-space limits there.
SANITIZED = os.environ.get("CONVPOOL_SANITIZED") == "1"


def run(*args):
    return run_binary(BIN, *args, errors="strict")


def png_gray(path, width=12, height=10, seed=0):
    rows = b"".join(b"\x00" + bytes((x * 7 + y * 13 + seed * 31) % 256 for x in range(width))
                    for y in range(height))

    def chunk(kind, payload):
        return (struct.pack(">I", len(payload)) + kind + payload
                + struct.pack(">I", zlib.crc32(kind + payload)))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n"
                + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def write(path, data=b"user data"):
    with open(path, "wb") as f:
        f.write(data)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def files_below(root):
    return sorted(os.path.relpath(os.path.join(d, f), root)
                  for d, _, fs in os.walk(root) for f in fs)


class OutputFolder(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def p(self, *parts):
        return os.path.join(self.dir, *parts)

    def test_dot_names_stay_inside_out_and_force_deletes_nothing_outside(self):
        os.makedirs(self.p("in"))
        os.makedirs(self.p("parent", "out"))
        for name in ("...png", "..png", ".hidden.png"):
            png_gray(self.p("in", name))
        # Files named like convpool's outputs, in the parent of OUT and in OUT itself.
        write(self.p("parent", "01_thesis-draft.txt"))
        write(self.p("parent", "00_input.png"))
        write(self.p("parent", "out", "02_notes.txt"))
        before = files_below(self.p("parent"))
        args = ["run", self.p("in", "...png"), self.p("in", "..png"), self.p("in", ".hidden.png"),
                "-p", "relu", "-o", self.p("parent", "out"), "-q", "--report", "none"]
        for extra in ([], ["--force"]):
            code, _, err = run(*args, *extra)
            self.assertEqual(code, 0, err)
        self.assertEqual(read(self.p("parent", "01_thesis-draft.txt")), b"user data")
        self.assertEqual(read(self.p("parent", "out", "02_notes.txt")), b"user data")
        after = files_below(self.p("parent"))
        new = sorted(set(after) - set(before))
        self.assertTrue(all(f.startswith("out" + os.sep) for f in new), new)
        self.assertEqual(sorted(set(before) - set(after)), [])
        report = json.loads(read(self.p("parent", "out", "report.json")))
        dirs = {os.path.basename(i["input"]): os.path.relpath(i["output_dir"], self.p("parent", "out"))
                for i in report["images"]}
        self.assertEqual(dirs, {"...png": "_..", "..png": "_.", ".hidden.png": "_.hidden"})
        for d in dirs.values():
            self.assertTrue(os.path.isfile(self.p("parent", "out", d, "sheet.png")))

    def test_escaped_names_that_clash_get_a_counter(self):
        os.makedirs(self.p("in"))
        png_gray(self.p("in", "...png"))
        png_gray(self.p("in", "_...png"), seed=1)
        code, _, err = run("run", self.p("in"), "-p", "relu", "-o", self.p("out"), "-q",
                           "--report", "none")
        self.assertEqual(code, 0, err)
        report = json.loads(read(self.p("out", "report.json")))
        dirs = sorted(os.path.basename(i["output_dir"]) for i in report["images"])
        self.assertEqual(dirs, ["_..", "_..~2"])

    def test_force_deletes_only_the_files_the_record_lists(self):
        png_gray(self.p("camera.png"))
        out = self.p("out")
        code, _, err = run("run", self.p("camera.png"), "-p", "relu | abs | relu", "-o", out, "-q",
                           "--report", "none")
        self.assertEqual(code, 0, err)
        write(os.path.join(out, "camera", "01_thesis-draft.txt"))
        write(os.path.join(out, "camera", "12_family.jpg"))
        code, _, err = run("run", self.p("camera.png"), "-p", "relu", "-o", out, "-q", "--force",
                           "--report", "none")
        self.assertEqual(code, 0, err)
        # The earlier run's stage files are gone (its record listed them); the user's stay.
        self.assertEqual(sorted(os.listdir(os.path.join(out, "camera"))),
                         ["00_input.png", "01_relu.png", "01_thesis-draft.txt", "12_family.jpg",
                          "convpool.json", "sheet.png"])
        record = json.loads(read(os.path.join(out, "camera", "convpool.json")))
        self.assertEqual(sorted(record["files"]), ["00_input.png", "01_relu.png", "sheet.png"])

    def test_a_record_cannot_make_force_delete_outside_the_folder(self):
        png_gray(self.p("camera.png"))
        out = self.p("out")
        write(self.p("victim.txt"))
        os.makedirs(os.path.join(out, "camera"))
        write(os.path.join(out, "camera", "convpool.json"),
              json.dumps({"files": ["../../victim.txt", "..", "/etc/hostname", ".", "sub/x"]}).encode())
        code, _, err = run("run", self.p("camera.png"), "-p", "relu", "-o", out, "-q", "--force",
                           "--report", "none")
        self.assertEqual(code, 0, err)
        self.assertEqual(read(self.p("victim.txt")), b"user data")

    def test_symlinks_planted_in_out_are_not_followed(self):
        png_gray(self.p("camera.png"))
        png_gray(self.p("coffee.png"), seed=3)
        os.makedirs(self.p("elsewhere"))
        out = self.p("out")
        os.makedirs(os.path.join(out, "coffee"))
        write(self.p("elsewhere", "precious.png"))
        os.symlink(self.p("elsewhere"), os.path.join(out, "camera"))
        os.symlink(self.p("elsewhere", "precious.png"), os.path.join(out, "coffee", "00_input.png"))
        code, _, err = run("run", self.p("camera.png"), self.p("coffee.png"), "-p", "relu", "-o",
                           out, "-q", "--force", "--report", "none")
        self.assertEqual(code, 4, err)
        self.assertEqual(len(err.splitlines()), 1, err)
        self.assertIn("camera: refusing to write there: it is a symlink or not a directory", err)
        self.assertEqual(os.listdir(self.p("elsewhere")), ["precious.png"])
        self.assertEqual(read(self.p("elsewhere", "precious.png")), b"user data")
        # The planted link named like an output file was replaced, not written through.
        self.assertFalse(os.path.islink(os.path.join(out, "coffee", "00_input.png")))

    def test_a_second_run_into_a_busy_folder_exits_4(self):
        png_gray(self.p("camera.png"))
        out = self.p("out")
        os.makedirs(out)
        with open(os.path.join(out, ".convpool.lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            code, _, err = run("run", self.p("camera.png"), "-p", "relu", "-o", out, "-q")
            self.assertEqual(code, 4, err)
            self.assertEqual(len(err.splitlines()), 1, err)
            self.assertIn("another convpool run is writing to this folder", err)
            self.assertEqual(os.listdir(out), [".convpool.lock"])
        # Released (as the kernel does when a process dies, even by kill -9): the run goes on.
        code, _, err = run("run", self.p("camera.png"), "-p", "relu", "-o", out, "-q")
        self.assertEqual(code, 0, err)

    def test_recursive_run_never_collects_its_own_outputs(self):
        tree = self.p("data")
        os.makedirs(os.path.join(tree, "a"))
        png_gray(os.path.join(tree, "a", "x.png"))
        png_gray(os.path.join(tree, "y.png"), seed=2)
        out = os.path.join(tree, "out")
        os.symlink(out, os.path.join(tree, "a", "link-to-out"))
        for i in range(3):
            code, _, err = run("run", tree, "-r", "-p", "relu", "-o", out, "-q", "--skip-existing",
                               "--report", "none")
            self.assertEqual(code, 0, (i, err))
            report = json.loads(read(os.path.join(out, "report.json")))
            self.assertEqual(sorted(os.path.relpath(im["input"], tree) for im in report["images"]),
                             [os.path.join("a", "x.png"), "y.png"], i)
        # The output folder given itself as an input collects nothing.
        code, _, err = run("run", out, "-p", "relu", "-o", out, "-q", "--report", "none")
        self.assertEqual(code, 2, err)
        self.assertIn("no input images", err)

    def test_recursive_class_folders_are_mirrored(self):
        data = self.p("data")
        for cls in ("cats", "dogs"):
            os.makedirs(os.path.join(data, cls))
            png_gray(os.path.join(data, cls, "001.png"), seed=len(cls))
        png_gray(os.path.join(data, "cats.png"), seed=5)  # its folder would be the mirrored cats/
        out = self.p("out")
        code, _, err = run("run", data, "-r", "-p", "relu", "-o", out, "-q", "--report", "none")
        self.assertEqual(code, 0, err)
        report = json.loads(read(os.path.join(out, "report.json")))
        dirs = {os.path.relpath(i["input"], data): os.path.relpath(i["output_dir"], out)
                for i in report["images"]}
        self.assertEqual(dirs, {"cats.png": "cats~2", os.path.join("cats", "001.png"): os.path.join("cats", "001"),
                                os.path.join("dogs", "001.png"): os.path.join("dogs", "001")})
        self.assertTrue(os.path.isfile(os.path.join(out, "dogs", "001", "sheet.png")))
        # --emit final mirrors the same way: OUT/cats/001.png.
        code, _, err = run("run", data, "-r", "-p", "relu", "-o", self.p("final"), "--emit", "final",
                           "-q", "--report", "none")
        self.assertEqual(code, 0, err)
        self.assertEqual([f for f in files_below(self.p("final")) if f.endswith(".png")],
                         [os.path.join("cats", "001.png"), "cats~2.png", os.path.join("dogs", "001.png")])

    def test_stale_temporary_files_are_removed_and_user_dot_files_kept(self):
        png_gray(self.p("camera.png"))
        out = self.p("out")
        os.makedirs(os.path.join(out, "camera"))
        stale = [os.path.join(out, ".report.json.convpool-tmp.a1B2c3"),
                 os.path.join(out, "camera", ".01_relu.png.convpool-tmp.Zz9900")]
        for f in stale:
            write(f)
        write(os.path.join(out, "camera", ".keep"))
        code, _, err = run("run", self.p("camera.png"), "-p", "relu", "-o", out, "-q", "--force",
                           "--report", "none")
        self.assertEqual(code, 0, err)
        self.assertEqual([f for f in stale if os.path.exists(f)], [])
        self.assertTrue(os.path.exists(os.path.join(out, "camera", ".keep")))



def normalized_tree(out):
    """Every file below `out` as comparable content: reports and records without timings,
    statuses or absolute folders; pictures as bytes. The lock file is left out."""
    files = {}
    for rel in files_below(out):
        path = os.path.join(out, rel)
        name = os.path.basename(rel)
        if name == ".convpool.lock":
            continue
        if name in ("report.json", "convpool.json"):
            doc = json.loads(read(path))
            doc.pop("build", None)  # which convpool wrote it: report comparisons ignore it
            doc.pop("throughput", None)  # the run's wall time
            images = doc["images"] if name == "report.json" else [doc["image"]]
            for img in images:
                img["output_dir"] = os.path.relpath(img["output_dir"], out) if img["output_dir"] else None
                if img["status"] == "skipped":
                    img["status"] = "done"
                for st in img["stages"]:
                    st["ms"] = 0
            if name == "report.json":
                doc["summary"]["done"] += doc["summary"]["skipped"]
                doc["summary"]["skipped"] = 0
            files[rel] = doc
        elif name == "report.csv":
            rows = list(csv.reader(io.StringIO(read(path).decode())))
            for row in rows[1:]:
                row[1] = "done" if row[1] == "skipped" else row[1]
                row[13] = "0"  # ms
            files[rel] = rows
        elif name == "index.html":
            # Times and statuses are in the page too: compare what it shows of each image.
            page = read(path).decode()
            files[rel] = (page.count('<section class="image"'), sorted(re.findall(r'src="([^"]+)"', page)),
                          sorted(re.findall(r"<title>(\d+)</title>", page)))
        else:
            files[rel] = read(path)
    return files


class Resume(unittest.TestCase):
    """A batch interrupted anywhere (kill -9 included) and resumed with --skip-existing equals
    one uninterrupted run, apart from timings and the skipped statuses; an out-of-date record
    (other pipeline or options, a changed input) makes --skip-existing redo the image."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name
        self.images = os.path.join(self.dir, "images")
        os.makedirs(self.images)
        for i in range(24):
            png_gray(os.path.join(self.images, "im%02d.png" % i), 96 + i, 80, i)
        self.pipe = "conv:gaussian,k=5 | relu | pool:max,k=2,s=2,switches"

    def tearDown(self):
        self.tmp.cleanup()

    def args(self, out, *extra):
        return ["run", self.images, "-p", self.pipe, "-o", out, "-q", "--report", "none",
                "--html", "-j", "1", *extra]

    def test_kill_9_at_several_points_then_resume_equals_one_run(self):
        whole = os.path.join(self.dir, "whole")
        code, _, err = run(*self.args(whole))
        self.assertEqual(code, 0, err)
        expected = normalized_tree(whole)
        for stop_after in (0, 3, 11, 23):
            with self.subTest(stop_after=stop_after):
                out = os.path.join(self.dir, "killed%d" % stop_after)
                p = subprocess.Popen([BIN, *self.args(out)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
                deadline = 600
                while p.poll() is None and deadline > 0:
                    done = sum(1 for _, _, fs in os.walk(out) for f in fs if f == "convpool.json")
                    if done >= stop_after:
                        break
                    deadline -= 1
                    subprocess.run(["sleep", "0.01"])
                p.kill()  # SIGKILL: no handler runs
                p.wait()
                code, _, err = run(*self.args(out, "--skip-existing"))
                self.assertEqual(code, 0, err)
                temps = [f for _, _, fs in os.walk(out) for f in fs if ".convpool-tmp." in f]
                self.assertEqual(temps, [])
                got = normalized_tree(out)
                self.assertEqual(sorted(got), sorted(expected))
                for rel in expected:
                    self.assertTrue(got[rel] == expected[rel], rel)

    def test_resumed_report_keeps_the_statistics_of_skipped_images(self):
        out = os.path.join(self.dir, "o")
        self.assertEqual(run(*self.args(out))[0], 0)
        code, _, err = run(*self.args(out, "--skip-existing"))
        self.assertEqual(code, 0, err)
        report = json.loads(read(os.path.join(out, "report.json")))
        self.assertEqual(report["summary"]["skipped"], 24)
        for img in report["images"]:
            self.assertEqual(img["status"], "skipped")
            self.assertEqual(len(img["stages"]), 4)
            self.assertIsNotNone(img["stages"][3]["stats"]["max"])
            self.assertIn("switches", img["stages"][3])

    def test_an_out_of_date_record_is_redone(self):
        out = os.path.join(self.dir, "o")
        code, _, err = run("run", self.images, "-p", "pool:avg,k=4", "-o", out, "-q", "--report", "none")
        self.assertEqual(code, 0, err)
        # Another pipeline: every image is redone and the old stage files are gone.
        code, stdout, err = run("run", self.images, "-p", "pool:max,k=2", "-o", out, "-q",
                                "--skip-existing", "--report", "jsonl")
        self.assertEqual(code, 0, err)
        self.assertEqual({json.loads(l)["status"] for l in stdout.splitlines()}, {"done"})
        self.assertEqual(sorted(os.listdir(os.path.join(out, "im00"))),
                         ["00_input.png", "01_pool-max.png", "convpool.json", "sheet.png"])
        # Options that change the pictures count too; options that do not, do not.
        code, stdout, err = run("run", self.images, "-p", "pool:max,k=2", "-o", out, "-q",
                                "--skip-existing", "--report", "jsonl", "--colormap", "gray")
        self.assertEqual({json.loads(l)["status"] for l in stdout.splitlines()}, {"done"}, err)
        code, stdout, err = run("run", self.images, "-p", "pool:max , k=2", "-o", out, "-q",
                                "--skip-existing", "--report", "jsonl", "--colormap", "gray", "-j", "1")
        self.assertEqual({json.loads(l)["status"] for l in stdout.splitlines()}, {"skipped"}, err)
        # A changed input (size or time) is redone; the others stay skipped.
        png_gray(os.path.join(self.images, "im05.png"), 40, 40, 99)
        code, stdout, err = run("run", self.images, "-p", "pool:max,k=2", "-o", out, "-q",
                                "--skip-existing", "--report", "jsonl", "--colormap", "gray")
        status = {os.path.basename(json.loads(l)["input"]): json.loads(l)["status"] for l in stdout.splitlines()}
        self.assertEqual(status.pop("im05.png"), "done")
        self.assertEqual(set(status.values()), {"skipped"})

    def test_emit_final_keeps_a_record_beside_the_final_image(self):
        out = os.path.join(self.dir, "f")

        def final_run(pipe, *extra):
            return run("run", self.images, "-p", pipe, "-o", out, "-q", "--emit", "final",
                       "--report", "jsonl", *extra)

        code, _, err = final_run("pool:avg,k=4")
        self.assertEqual(code, 0, err)
        record = json.loads(read(os.path.join(out, "im00.convpool.json")))
        self.assertEqual(record["files"], ["im00.png"])
        self.assertEqual(len(record["fingerprint"]["stages"]), 1)
        self.assertTrue(record["fingerprint"]["stages"][0].startswith("pool:avg"))
        old = read(os.path.join(out, "im00.png"))
        # Another pipeline: --skip-existing redoes every image (the final image alone used to
        # mark it complete, whatever produced it).
        code, stdout, err = final_run("pool:max,k=2", "--skip-existing")
        self.assertEqual(code, 0, err)
        self.assertEqual({json.loads(l)["status"] for l in stdout.splitlines()}, {"done"})
        self.assertNotEqual(read(os.path.join(out, "im00.png")), old)
        # The same pipeline again: skipped, reported from the record with its statistics.
        code, stdout, err = final_run("pool:max,k=2", "--skip-existing")
        self.assertEqual(code, 0, err)
        lines = [json.loads(l) for l in stdout.splitlines()]
        self.assertEqual({l["status"] for l in lines}, {"skipped"})
        self.assertIsNotNone(lines[0]["stages"][1]["stats"]["max"])
        # A missing final image makes its record incomplete: that image is redone.
        os.remove(os.path.join(out, "im03.png"))
        code, stdout, err = final_run("pool:max,k=2", "--skip-existing")
        status = {os.path.basename(json.loads(l)["input"]): json.loads(l)["status"] for l in stdout.splitlines()}
        self.assertEqual(status.pop("im03.png"), "done", err)
        self.assertEqual(set(status.values()), {"skipped"})
        # --force with another format deletes the files the record lists, and nothing else.
        write(os.path.join(out, "im00.notes.txt"))
        code, _, err = final_run("pool:max,k=2", "--force", "--format", "npy")
        self.assertEqual(code, 0, err)
        names = sorted(f for f in os.listdir(out) if f.startswith("im00."))
        self.assertEqual(names, ["im00.convpool.json", "im00.notes.txt", "im00.npy"])
        self.assertEqual(json.loads(read(os.path.join(out, "im00.convpool.json")))["files"], ["im00.npy"])



class MergeReports(unittest.TestCase):
    """merge-reports refuses what would give a wrong merged report, with one line and exit 2:
    the same shard twice, shards of different input lists, another report_version, entries of
    the wrong type, and nesting deep enough to overflow a recursive parser."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name
        for name in ("a", "b"):
            os.makedirs(os.path.join(self.dir, name))
            for i in range(4):
                png_gray(os.path.join(self.dir, name, "%s%d.png" % (name, i)), seed=i)

    def tearDown(self):
        self.tmp.cleanup()

    def shard(self, folder, k, n):
        out = os.path.join(self.dir, "%s-%d-of-%d" % (folder, k, n))
        code, _, err = run("run", os.path.join(self.dir, folder), "-p", "relu", "-o", out, "-q",
                           "--report", "none", "--emit", "final", "--shard", "%d/%d" % (k, n))
        self.assertEqual(code, 0, err)
        return out

    def merge(self, *dirs):
        return run("merge-reports", *dirs, "-o", os.path.join(self.dir, "merged"), "-q")

    def assert_refused(self, result, text):
        code, _, err = result
        self.assertEqual(code, 2, err)
        self.assertEqual(len(err.splitlines()), 1, err)
        self.assertIn(text, err)
        self.assertNotIn("internal error", err)

    def test_shards_of_one_list_merge_and_a_missing_shard_is_named(self):
        one, two = self.shard("a", 1, 2), self.shard("a", 2, 2)
        code, _, err = self.merge(one, two)
        self.assertEqual(code, 0, err)
        merged = json.loads(read(os.path.join(self.dir, "merged", "report.json")))
        self.assertEqual([i["index"] for i in merged["images"]], [0, 1, 2, 3])
        self.assertEqual(merged["input_list"]["inputs"], 4)
        code, _, err = run("merge-reports", one, "-o", os.path.join(self.dir, "half"))
        self.assertEqual(code, 0, err)
        self.assertIn("2 inputs of a list of 4", err)

    def test_shards_of_another_build_merge_as_the_same(self):
        """The `build` field is not compared: a shard run by another convpool build merges, and
        the merged report (report 1's fields) is byte for byte the same."""
        one, two = self.shard("a", 1, 2), self.shard("a", 2, 2)
        code, _, err = self.merge(one, two)
        self.assertEqual(code, 0, err)
        same = read(os.path.join(self.dir, "merged", "report.json"))
        self.assertIn(b'"build"', same)
        path = os.path.join(two, "report.json")
        report = json.loads(read(path))
        report["build"] = {"name": "convpool", "version": "0.0.1", "commit": "0123456789ab",
                           "libraries": {"OpenCV": "4.5.0"}}
        write(path, json.dumps(report).encode())
        code, _, err = run("merge-reports", one, two, "-o", os.path.join(self.dir, "m2"), "-q")
        self.assertEqual(code, 0, err)
        self.assertEqual(read(os.path.join(self.dir, "m2", "report.json")), same)

    def test_the_same_shard_twice_is_refused(self):
        one = self.shard("a", 1, 2)
        self.assert_refused(self.merge(one, one), "the same shard given twice?")

    def test_shards_of_different_input_lists_are_refused(self):
        self.assert_refused(self.merge(self.shard("a", 1, 2), self.shard("b", 2, 2)),
                            "is a shard of another input list")

    def test_other_report_versions_and_wrong_types_are_refused(self):
        one = self.shard("a", 1, 2)
        report = json.loads(read(os.path.join(one, "report.json")))
        cases = [("report_version", lambda r: r.pop("report_version"), "has report_version 1"),
                 ("index", lambda r: r["images"][0].update(index="x"), "images[0].index is not a non-negative integer"),
                 ("status", lambda r: r["images"][1].update(status="maybe"), "unknown image status 'maybe'"),
                 ("input", lambda r: r["images"][0].update(input=[1]), "images[0].input is not a string")]
        for name, change, text in cases:
            with self.subTest(field=name):
                bad = json.loads(json.dumps(report))
                change(bad)
                d = os.path.join(self.dir, "bad-" + name)
                shutil.copytree(one, d)
                write(os.path.join(d, "report.json"), json.dumps(bad).encode())
                self.assert_refused(self.merge(d), text)

    def test_deep_nesting_is_refused_without_a_crash(self):
        d = os.path.join(self.dir, "deep")
        os.makedirs(d)
        write(os.path.join(d, "report.json"), b"[" * 200000 + b"]" * 200000)
        write(os.path.join(d, "report.csv"), b"input\n")
        self.assert_refused(self.merge(d), "nests deeper than 64 levels")

    def test_an_input_listed_many_times_does_not_multiply_the_csv(self):
        # 1500 entries of one input and 20,000 CSV rows naming it (147 KB) made a 120 MB
        # report.csv: every row was written once per entry.
        one = self.shard("a", 1, 1)
        report = json.loads(read(os.path.join(one, "report.json")))
        entry = dict(index=0, input="a", status="failed")
        report["images"] = [dict(entry, index=i) for i in range(1500)]
        report["input_list"] = {"inputs": 1500, "fnv1a": "0"}
        d = os.path.join(self.dir, "many")
        os.makedirs(d)
        write(os.path.join(d, "report.json"), json.dumps(report).encode())
        write(os.path.join(d, "report.csv"), b"input,x\n" + b"a,1\n" * 20000)
        code, _, err = self.merge(d)
        self.assertEqual(code, 1, err)  # every entry failed
        merged_csv = os.path.join(self.dir, "merged", "report.csv")
        self.assertEqual(read(merged_csv), b"input,x\n" + b"a,1\n" * 20000)

    @unittest.skipIf(SANITIZED, "a sanitizer's shadow memory does not fit an address-space limit")
    def test_a_large_report_merges_in_bounded_memory(self):
        # A valid report of about 48 MB merged under an address-space limit of 256 MB: read
        # whole (about 8x its size) it needed more than 400 MB; read a piece at a time it needs
        # the largest entry plus an index of the entries.
        one = self.shard("a", 1, 1)
        report = json.loads(read(os.path.join(one, "report.json")))
        rows = read(os.path.join(one, "report.csv")).decode().splitlines(keepends=True)
        template, name = report["images"][0], report["images"][0]["input"]
        mine = [r for r in rows[1:] if r.startswith(name + ",")]
        count = 48 * 1024 * 1024 // len(json.dumps(template, indent=2))
        report["input_list"]["inputs"] = count
        d = os.path.join(self.dir, "large")
        os.makedirs(d)
        with open(os.path.join(d, "report.json"), "w") as f, \
                open(os.path.join(d, "report.csv"), "w") as g:
            head = json.dumps({k: v for k, v in report.items() if k != "images"}, indent=2)
            f.write('{\n  "images": [\n')
            g.write(rows[0])
            for i in range(count):  # in reverse index order: the merge sorts them
                index = count - 1 - i
                entry = dict(template, index=index, input="in/%07d.png" % index)
                f.write(("" if i == 0 else ",\n") + json.dumps(entry, indent=2))
                g.write("".join("in/%07d.png" % index + r[len(name):] for r in mine))
            f.write("\n  ],\n" + head[2:])
        out = os.path.join(self.dir, "merged")

        def limit():
            import resource
            resource.setrlimit(resource.RLIMIT_AS, (256 << 20, 256 << 20))
        p = subprocess.run([BIN, "merge-reports", d, "-o", out, "-q"], capture_output=True,
                           text=True, timeout=600, preexec_fn=limit)
        self.assertEqual(p.returncode, 0, p.stderr)
        indices, summary = [], None
        with open(os.path.join(out, "report.json")) as f:
            for line in f:
                if line.startswith('      "index": '):
                    indices.append(int(line.split(":")[1].strip(" ,\n")))
                if line.startswith('  "summary": '):
                    summary = line
        self.assertEqual(indices, list(range(count)))
        self.assertIsNotNone(summary)
        with open(os.path.join(out, "report.csv")) as g:
            self.assertEqual(next(g), rows[0])
            for i in range(count):
                for r in mine:
                    self.assertEqual(next(g), "in/%07d.png" % i + r[len(name):])
            self.assertEqual(next(g, None), None)


if __name__ == "__main__":
    BIN = os.path.abspath(sys.argv[1])
    del sys.argv[1:3]
    unittest.main(verbosity=2)
