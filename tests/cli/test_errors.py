#!/usr/bin/env python3
"""CLI tests of error messages (issue 18, "Errors that help"): one line on stderr,
`convpool: error: ...`, the closest valid spelling where there is one, usage errors exit 2.

Usage: test_errors.py PATH/TO/convpool REPO_ROOT   (ctest passes both). Standard library only.
"""
import os
import pty
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from runner import assert_one_error_line, run_binary  # noqa: E402

BIN = None
ROOT = None


def run(*args, cwd=None, stdin=None):
    """Runs convpool; returns (exit code, stdout, stderr)."""
    return run_binary(BIN, *args, cwd=cwd, stdin=stdin)


def sample(name):
    return os.path.join(ROOT, "samples", name)


class ErrorTest(unittest.TestCase):
    def assertUsageError(self, args, *fragments, cwd=None):
        """`args` exit 2 with one prefixed line on stderr that holds every fragment."""
        code, _, err = run(*args, cwd=cwd)
        self.assertEqual(code, 2, err)
        assert_one_error_line(self, err, *fragments)
        return err


class ParserErrors(ErrorTest):
    """Item 13: option-parser errors are one prefixed line with the closest option or value."""

    def test_unknown_option_suggests_the_closest_of_the_subcommand(self):
        self.assertUsageError(["run", sample("camera.png"), "-p", "relu", "--outdir", "x"],
                              "unknown option '--outdir'", "(did you mean '--out'?)")
        self.assertUsageError(["shape", "-p", "relu", "--size", "4x4", "--jsn"],
                              "unknown option '--jsn'", "(did you mean '--json'?)")
        self.assertUsageError(["compare", sample("camera.png"), "--sheet-heigth", "64"],
                              "(did you mean '--sheet-height'?)")

    def test_unknown_option_with_value_attached(self):
        self.assertUsageError(["run", sample("camera.png"), "-p", "relu", "--colourmap=jet"],
                              "unknown option '--colourmap'", "(did you mean '--colormap'?)")

    def test_enumerated_value_suggests_the_closest_choice(self):
        err = self.assertUsageError(["run", sample("camera.png"), "-p", "relu", "--colormap",
                                     "virdis"], "--colormap", "'virdis'",
                                    "(did you mean 'viridis'?)")
        self.assertIn("inferno", err)  # the valid values are listed
        self.assertUsageError(["shape", "-p", "relu", "--size", "4x4", "--semantics", "TF"],
                              "(did you mean 'tf'?)")
        self.assertUsageError(["probe", sample("camera.png"), "-p", "pool:max", "--report",
                               "jsn"], "(did you mean 'json'?)")

    def test_other_parser_errors_are_one_prefixed_line(self):
        self.assertUsageError(["run", sample("camera.png")], "--pipeline is required")
        self.assertUsageError(["run", sample("camera.png"), "-p", "relu", "--jobs", "abc"],
                              "--jobs")
        self.assertUsageError(["shape", "-p"], "--pipeline")
        self.assertUsageError([], "subcommand", "run")

    def test_help_and_version_still_exit_0(self):
        code, out, _ = run("run", "--help")
        self.assertEqual(code, 0)
        self.assertIn("--pipeline", out)
        code, out, _ = run("--version")
        self.assertEqual(code, 0)


class Subcommands(ErrorTest):
    """Item 14: an unknown subcommand is named with the closest one; `help [CMD]` prints help."""

    def test_unknown_subcommand(self):
        err = self.assertUsageError(["rn", "x.png", "-p", "relu"])
        self.assertEqual(err, "convpool: error: unknown subcommand 'rn' (did you mean 'run'?)\n")
        self.assertUsageError(["Shape", "-p", "relu"], "(did you mean 'shape'?)")
        self.assertUsageError(["merge-report"], "(did you mean 'merge-reports'?)")
        err = self.assertUsageError(["frobnicate"], "unknown subcommand 'frobnicate'")
        self.assertIn("compare", err)  # no close one: every subcommand is listed

    def test_help_prints_help(self):
        code, out, err = run("help")
        self.assertEqual(code, 0, err)
        self.assertIn("Subcommands:", out)
        self.assertIn("merge-reports", out)
        code, out, err = run("help", "run")
        self.assertEqual(code, 0, err)
        self.assertIn("--pipeline", out)
        self.assertIn("--colormap", out)
        code, out, err = run("help", "shape")
        self.assertEqual(code, 0, err)
        self.assertIn("--size", out)

    def test_help_of_an_unknown_subcommand(self):
        self.assertUsageError(["help", "rn"], "unknown subcommand 'rn' (did you mean 'run'?)")


class SquareSizes(ErrorTest):
    """Item 19: `--size N` is a square N x N (one channel), as stages accept `N`."""

    def test_shape_accepts_n(self):
        code, out, err = run("shape", "-p", "pool:max,k=2", "--size", "224")
        self.assertEqual(code, 0, err)
        self.assertIn("1x224x224", out)
        self.assertIn("1x112x112", out)
        self.assertEqual(run("shape", "-p", "pool:max,k=2", "--size", "224", "--json")[1],
                         run("shape", "-p", "pool:max,k=2", "--size", "224x224", "--json")[1])

    def test_bench_accepts_n(self):
        code, out, err = run("bench", "-p", "pool:max,k=2", "--size", "16", "--repeat", "1",
                             "--threads", "1")
        self.assertEqual(code, 0, err)
        self.assertIn("1x16x16", out)

    def test_bad_sizes_still_refused(self):
        self.assertUsageError(["shape", "-p", "relu", "--size", "0"], "--size")
        self.assertUsageError(["shape", "-p", "relu", "--size", "2x3x4x5"], "N, HxW or CxHxW")
        self.assertUsageError(["shape", "-p", "relu", "--size", "abc"], "--size")


def run_on_terminal(*args):
    """Runs convpool with stdout on a pseudo-terminal; returns (exit code, stdout bytes, stderr)."""
    master, slave = pty.openpty()
    try:
        p = subprocess.Popen([BIN, *args], stdout=slave, stderr=subprocess.PIPE)
        os.close(slave)
        got = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            got += chunk
        err = p.stderr.read().decode()
        p.stderr.close()
        return p.wait(timeout=120), got, err
    finally:
        os.close(master)


class StdoutImage(ErrorTest):
    """Item 18: `-o -` refuses a terminal without --force, and refuses `--emit all`."""

    def test_refuses_a_terminal(self):
        code, out, err = run_on_terminal("run", sample("camera.png"), "-p", "pool:max,k=64",
                                         "-o", "-")
        self.assertEqual(code, 2, err)
        self.assertEqual(out, b"")
        self.assertEqual(err.count("\n"), 1, err)
        self.assertIn("convpool: error: ", err)
        self.assertIn("terminal", err)
        self.assertIn("--force", err)

    def test_force_writes_to_a_terminal(self):
        code, out, err = run_on_terminal("run", sample("camera.png"), "-p", "pool:max,k=64",
                                         "-o", "-", "--force")
        self.assertEqual(code, 0, err)
        self.assertTrue(out.startswith(b"\x89PNG"), out[:16])

    def test_pipe_needs_no_force(self):
        code, out, err = run_binary(BIN, "run", sample("camera.png"), "-p", "pool:max,k=64", "-o",
                                    "-", text=False)
        self.assertEqual(code, 0, err)
        self.assertTrue(out.startswith(b"\x89PNG"))

    def test_refuses_emit_all(self):
        self.assertUsageError(["run", sample("camera.png"), "-p", "relu", "-o", "-", "--emit",
                               "all"], "--emit all", "-o -")


class PipelineFiles(ErrorTest):
    """Item 17: lines may end (or start) with `|`; every error names FILE:LINE."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def pipe(self, text, name="edges.pipe"):
        path = os.path.join(self.tmp.name, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def test_lines_ending_with_a_bar(self):
        path = self.pipe("# edges\nconv:sobel-x |\nrelu |\npool:max,k=2\n")
        code, out, err = run("shape", "-p", "@" + path, "--size", "8x8")
        self.assertEqual(code, 0, err)
        self.assertIn("03  pool:max", out)
        self.assertIn("1x4x4", out)

    def test_every_line_ending_with_a_bar(self):
        path = self.pipe("conv:sobel-x |\nrelu |\n")
        code, out, err = run("shape", "-p", "@" + path, "--size", "8x8")
        self.assertEqual(code, 0, err)
        self.assertIn("02  relu", out)

    def test_lines_starting_with_a_bar(self):
        path = self.pipe("conv:sobel-x\n  | relu\n| pool:max,k=2\n")
        code, out, err = run("shape", "-p", "@" + path, "--size", "8x8")
        self.assertEqual(code, 0, err)
        self.assertIn("03  pool:max", out)

    def test_a_one_line_pipeline_still_refuses_a_bar_at_its_end(self):
        self.assertUsageError(["shape", "-p", "relu |", "--size", "8x8"], "stage 2 is empty")

    def test_errors_name_file_and_line(self):
        path = self.pipe("# edges\nconv:sobel-x |\n\npool:max,k=0\n")
        self.assertUsageError(["shape", "-p", "@" + path, "--size", "8x8"],
                              path + ":4: stage 2 'pool:max,k=0': ")
        path = self.pipe("relu\nconvv:sobel-x\n")
        self.assertUsageError(["shape", "-p", "@" + path, "--size", "8x8"], path + ":2: ")
        path = self.pipe("relu\nabs || relu\n")
        self.assertUsageError(["shape", "-p", "@" + path, "--size", "8x8"],
                              path + ":2: stage 3 is empty")
        path = self.pipe("relu\nconv:kernel=[1 2\n")
        self.assertUsageError(["shape", "-p", "@" + path, "--size", "8x8"], path + ":2: ",
                              "'[' without ']'")

    def test_shape_errors_name_file_and_line(self):
        path = self.pipe("pool:max,k=2\npool:max,k=9\n")
        self.assertUsageError(["shape", "-p", "@" + path, "--size", "8x8"],
                              path + ":2: stage 2 'pool:max,k=9': ")

    def test_every_subcommand_names_file_and_line(self):
        path = self.pipe("relu\npool:maks\n")
        where = path + ":2: "
        with tempfile.TemporaryDirectory() as out:
            self.assertUsageError(["run", sample("camera.png"), "-p", "@" + path, "-o", out],
                                  where, "(did you mean 'max'?)")
        self.assertUsageError(["bench", "-p", "@" + path, "--size", "8"], where)
        self.assertUsageError(["compare", sample("camera.png"), "-p", "@" + path, "-o",
                               os.path.join(self.tmp.name, "c")], where)
        self.assertUsageError(["probe", sample("camera.png"), "-p", "@" + path, "-o",
                               os.path.join(self.tmp.name, "p")], where)
        self.assertUsageError(["shape", "-p", "@" + path, "--size", "8", "--semantics", "all"],
                              where)


class CompareWindow(ErrorTest):
    """Item 16: -k/-s are sizes; --pad and --ceil set the window; compare keeps earlier outputs."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.out = os.path.join(self.tmp.name, "out")

    def measure(self, sub, *args):
        return run(sub, sample("camera.png"), "--modes", "max,avg", "--shifts", "0", "--noise",
                   "0", "--salt-pepper", "0", "-o", self.out, *args)

    def test_kernel_and_stride_are_sizes(self):
        for sub in ("compare", "probe"):
            self.assertUsageError([sub, sample("camera.png"), "-k", "8,pad=1", "-o", self.out],
                                  "-k: expected N or HxW, got '8,pad=1'", "--pad")
            self.assertUsageError([sub, sample("camera.png"), "-s", "2,ceil", "-o", self.out],
                                  "-s: expected N or HxW, got '2,ceil'")
            self.assertUsageError([sub, sample("camera.png"), "-k", "0", "-o", self.out], "-k")
        self.assertFalse(os.path.exists(self.out))

    def test_pad_and_ceil(self):
        for sub in ("compare", "probe"):
            code, out, err = self.measure(sub, "-k", "3", "-s", "2", "--pad", "1", "--ceil")
            self.assertEqual(code, 0, err)
            self.assertRegex(out, r"pool:max,k=3,s=2,pad=1,(dilation=1,)?ceil")
            self.assertIn("1x257x257", out)  # ceil((512 + 2 - 3) / 2) + 1
            if sub == "compare":
                os.rename(self.out, self.out + "-1")
        self.assertUsageError(["compare", sample("camera.png"), "--pad", "x", "-o", self.out],
                              "--pad")

    def test_compare_keeps_an_earlier_compare_without_force(self):
        code, _, err = self.measure("compare", "-q")
        self.assertEqual(code, 0, err)
        before = os.path.getmtime(os.path.join(self.out, "compare.json"))
        self.assertUsageError(["compare", sample("camera.png"), "--modes", "max", "-o", self.out],
                              self.out, "--force")
        self.assertEqual(os.path.getmtime(os.path.join(self.out, "compare.json")), before)
        code, _, err = self.measure("compare", "-q", "--force")
        self.assertEqual(code, 0, err)


class KnownNames(ErrorTest):
    """Item 15: suggestions ignore case and know the names users bring from torch and numpy."""

    def shape(self, pipeline, size="8x8"):
        return run("shape", "-p", pipeline, "--size", size)

    def test_case_is_ignored(self):
        self.assertUsageError(["shape", "-p", "ReLU", "--size", "8x8"],
                              "unknown op 'ReLU' (did you mean 'relu'?)")
        self.assertUsageError(["shape", "-p", "pool:MAXX", "--size", "8x8"],
                              "(did you mean 'max'?)")
        self.assertUsageError(["shape", "-p", "pool:max,Strid=2", "--size", "8x8"],
                              "(did you mean 'stride'?)")

    def test_framework_op_names(self):
        for name in ("maxpool", "max_pool2d", "MaxPool2d", "MaxPooling2D"):
            self.assertUsageError(["shape", "-p", name, "--size", "8x8"],
                                  "unknown op '%s' (did you mean 'pool:max'?)" % name)
        self.assertUsageError(["shape", "-p", "AvgPool2d", "--size", "8x8"],
                              "(did you mean 'pool:avg'?)")
        self.assertUsageError(["shape", "-p", "leaky_relu", "--size", "8x8"],
                              "(did you mean 'leaky-relu'?)")

    def test_torch_keys(self):
        code, out, err = self.shape("pool:max,kernel_size=3,ceil_mode=True")
        self.assertEqual(code, 0, err)
        self.assertIn("pool:max,k=3,s=3,pad=0,dilation=1,ceil=true", out)
        code, out, err = self.shape("pool:avg,kernel_size=2,stride=2,padding=1,"
                                    "count_include_pad=False,divisor_override=3")
        self.assertEqual(code, 0, err)
        self.assertIn("count-pad=false,divisor=3", out)
        code, out, err = self.shape("pool:max,kernel_size=2,return_indices=True | unpool")
        self.assertEqual(code, 0, err)
        code, out, err = self.shape("pool:max,k=2,ceil_mode")
        self.assertEqual(code, 0, err)
        self.assertIn("ceil=true", out)

    def test_parameters_follow_a_colon(self):
        self.assertUsageError(["shape", "-p", "leaky-relu,slope=0.1", "--size", "8x8"],
                              "parameters follow ':' (leaky-relu:slope=0.1)")
        self.assertUsageError(["shape", "-p", "relu | conv,k=3", "--size", "8x8"],
                              "stage 2 'conv,k=3': parameters follow ':' (conv:k=3)")

    def test_numpy_kernels(self):
        code, out, err = self.shape("conv:kernel=[[1,2],[3,4]]")
        self.assertEqual(code, 0, err)
        self.assertIn("kernel=[1 2; 3 4]", out)
        code, out, err = self.shape("conv:kernel=[[1, 0, -1], [2, 0, -2]]")
        self.assertEqual(code, 0, err)
        self.assertIn("kernel=[1 0 -1; 2 0 -2]", out)
        code, out, err = self.shape("conv:kernel=[1, 2; 3, 4]")
        self.assertEqual(code, 0, err)
        self.assertIn("kernel=[1 2; 3 4]", out)
        self.assertUsageError(["shape", "-p", "conv:kernel=[[1,2],[3]]", "--size", "8x8"],
                              "rows differ in length")


if __name__ == "__main__":
    BIN = os.path.abspath(sys.argv[1])
    ROOT = os.path.abspath(sys.argv[2])
    unittest.main(argv=sys.argv[:1], verbosity=1)
