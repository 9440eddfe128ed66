#!/usr/bin/env python3
"""CLI tests of network layers: `conv:weights=@w.npy` (torch.nn.Conv2d) against PyTorch's numbers
(tests/fixtures/layers/, written by scripts/make_torch_fixtures_layers.py), and one error line
with its exit code for weights that do not fit.

Usage: test_layers.py PATH/TO/convpool REPO_ROOT   (ctest passes both). Standard library only:
.npy files are read and written by hand (tests/support/arrays.py).
"""
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from runner import assert_one_error_line, run_binary  # noqa: E402
from arrays import npy_f32, read_npy  # noqa: E402

BIN = None
ROOT = None


def run(*args, cwd=None):
    return run_binary(BIN, *args, cwd=cwd)


def stage_arrays(test, cwd, pipeline, out):
    """Runs `pipeline` on image.npy (C x H x W) in `cwd`, failing `test` on a non-zero exit;
    returns every stage's (shape, values) after the input, in order."""
    code, _, err = run("run", "image.npy", "--npy-layout", "chw", "-p", pipeline, "-o", out,
                       "--raw", "npy", "--report", "none", "-q", "--force", cwd=cwd)
    test.assertEqual(code, 0, err)
    folder = os.path.join(cwd, out, "image")
    names = sorted(f for f in os.listdir(folder) if f.endswith(".npy") and f[:2] != "00")
    return [read_npy(os.path.join(folder, n)) for n in names]


class Layers(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="convpool-layers-")
        self.fixtures = os.path.join(ROOT, "tests", "fixtures", "layers")
        for name in os.listdir(self.fixtures):
            shutil.copy(os.path.join(self.fixtures, name), self.dir)

    def tearDown(self):
        shutil.rmtree(self.dir)

    def last_stage(self, pipeline, out):
        """Runs `pipeline` on image.npy (C x H x W); returns the last stage's (shape, values)."""
        return stage_arrays(self, self.dir, pipeline, out)[-1]

    def assertRefused(self, pipeline, code, *fragments, image="image.npy"):
        """Exit `code`, one `convpool: error:` line holding every fragment, no picture (with exit
        3, a failed input, the report says so)."""
        got, out, err = run("run", image, "--npy-layout", "chw", "-p", pipeline, "-o", "refused",
                            "-q", cwd=self.dir)
        self.assertEqual(got, code, err)
        line = assert_one_error_line(self, err, *fragments)
        if code == 2:
            self.assertEqual(out, "")  # a pipeline error: not even a report
        folder = os.path.join(self.dir, "refused")
        pictures = [f for _, _, files in os.walk(folder) for f in files
                    if f.endswith((".png", ".npy"))]
        self.assertEqual(pictures, [])
        return line

    def test_conv_relu_pool_equals_torch(self):
        want_shape, want = read_npy(os.path.join(self.dir, "conv_relu_pool.npy"))
        shape, got = self.last_stage("conv:weights=@w.npy,bias=@b.npy | relu | pool:max,k=2",
                                     "a")
        self.assertEqual(shape, want_shape)
        scale = max(abs(v) for v in want)
        self.assertGreater(scale, 1.0)
        worst = max(abs(a - b) for a, b in zip(got, want))
        self.assertLessEqual(worst, 1e-4 * scale + 1e-6)
        # float64 weights are read as float32: the same bits.
        _, got64 = self.last_stage("conv:weights=@w_f64.npy,bias=@b.npy | relu | pool:max,k=2",
                                   "b")
        self.assertEqual(got64, got)

    def test_the_same_bits_on_every_thread_count(self):
        runs = []
        for threads in ("1", "2"):
            code, _, err = run("run", "image.npy", "--npy-layout", "chw", "-p",
                               "conv:weights=@w.npy,bias=@b.npy,pad=2,stride=2", "-o", threads,
                               "--raw", "npy", "--report", "none", "-q", "--threads", threads,
                               cwd=self.dir)
            self.assertEqual(code, 0, err)
            with open(os.path.join(self.dir, threads, "image", "01_conv.npy"), "rb") as f:
                runs.append(f.read())
        self.assertEqual(runs[0], runs[1])

    def test_weights_that_do_not_fit_are_refused(self):
        with open(os.path.join(self.dir, "k2d.npy"), "wb") as f:
            f.write(npy_f32((3, 3), [1.0] * 9))
        with open(os.path.join(self.dir, "b5.npy"), "wb") as f:
            f.write(npy_f32((5,), [1.0] * 5))
        self.assertRefused("conv:weights=@k2d.npy", 2,
                           "conv: weights: @k2d.npy: array has 2 dimensions; expected 4, "
                           "(C_out, C_in/groups, kH, kW)")
        self.assertRefused("conv:weights=@w.npy,groups=4", 2,
                           "conv: groups: 6 output channels (weights @w.npy) do not split into "
                           "4 groups")
        self.assertRefused("conv:weights=@w.npy,bias=@b5.npy", 2,
                           "conv: bias: 5 values for 6 output channels")
        self.assertRefused("conv:weights=@missing.npy", 2, "conv: weights: ", "missing.npy")
        # The input's channels are known once it is read: that input fails (exit 3), no
        # picture is written.
        err = self.assertRefused("gray | conv:weights=@w.npy", 3,
                                 "stage 2 'conv:weights=@w.npy': conv: weights @w.npy take 3 "
                                 "input channels (3 per group x 1 group); the input has 1")
        self.assertIn("image.npy", err)


if __name__ == "__main__":
    BIN = os.path.abspath(sys.argv[1])
    ROOT = os.path.abspath(sys.argv[2])
    unittest.main(argv=sys.argv[:1], verbosity=1)
