#!/usr/bin/env python3
"""CLI tests of the `model` stage and `convpool layers` (issue 14): a small network exported by
torch.onnx.export (tests/fixtures/onnx/, written by scripts/make_onnx_fixtures.py) run up to
each named layer against PyTorch's numbers, the same network written as a convpool pipeline
(conv:weights=@, bn, relu, pool:max), the layer listing, and one error line with its documented
exit code for hostile model files.

Usage: test_model.py PATH/TO/convpool REPO_ROOT   (ctest passes both). Standard library only.
"""
import json
import os
import shutil
import sys
import tempfile
import unittest

import test_layers
from test_layers import run  # beside this file

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from arrays import npy_f32, read_npy  # noqa: E402
from runner import assert_one_error_line  # noqa: E402

BIN = None
ROOT = None
PIPELINE = ("conv:weights=@conv1_w.npy,bias=@conv1_b.npy,pad=1 | "
            "bn:mean=@bn_mean.npy,var=@bn_var.npy,weight=@bn_weight.npy,bias=@bn_bias.npy | "
            "relu | pool:max,k=2 | conv:weights=@conv2_w.npy,bias=@conv2_b.npy")


class Model(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="convpool-model-")
        fixtures = os.path.join(ROOT, "tests", "fixtures", "onnx")
        for name in os.listdir(fixtures):
            shutil.copy(os.path.join(fixtures, name), self.dir)

    def tearDown(self):
        shutil.rmtree(self.dir)

    def stages(self, pipeline, out):
        """Runs `pipeline` on image.npy; returns every stage's (shape, values), in order."""
        return test_layers.stage_arrays(self, self.dir, pipeline, out)

    def assertClose(self, got, want_file):
        want_shape, want = read_npy(os.path.join(self.dir, want_file))
        shape, values = got
        self.assertEqual(shape, want_shape, want_file)
        scale = max(abs(v) for v in want)
        self.assertGreater(scale, 0.1, want_file)
        worst = max(abs(a - b) for a, b in zip(values, want))
        self.assertLessEqual(worst, 1e-5 * scale + 1e-6, want_file)

    def test_every_named_layer_equals_torch(self):
        # Each way of naming a layer: the ONNX node, the ONNX tensor, OpenCV's layer name.
        for output, want in (("/conv1/Conv", "conv1"), ("/relu/Relu_output_0", "relu"),
                             ("onnx_node!/pool/MaxPool", "pool")):
            [got] = self.stages(f"model:small.onnx,output={output}", want)
            self.assertClose(got, f"expected_{want}.npy")
        [got] = self.stages("model:small.onnx", "final")
        self.assertClose(got, "expected_output.npy")
        [named] = self.stages("model:small.onnx,output=output", "named")
        self.assertEqual(named, got)

    def test_the_model_equals_the_same_network_as_a_pipeline(self):
        pipeline = self.stages(PIPELINE, "pipeline")
        self.assertClose(pipeline[1], "expected_conv1.npy")  # the bn stage
        self.assertClose(pipeline[-1], "expected_output.npy")
        [model] = self.stages("model:small.onnx", "model")
        scale = max(abs(v) for v in pipeline[-1][1])
        worst = max(abs(a - b) for a, b in zip(model[1], pipeline[-1][1]))
        self.assertEqual(model[0], pipeline[-1][0])
        self.assertLessEqual(worst, 1e-5 * scale + 1e-6)

    def test_normalisation_and_resize_before_the_model(self):
        # mean 0.5, std 0.25 is the model on (image - 0.5) / 0.25, written here as a file: the
        # same float32 input (the subtraction rounds once either way, / 0.25 is exact), the
        # same bits out.
        shape, values = read_npy(os.path.join(self.dir, "image.npy"))
        with open(os.path.join(self.dir, "normal.npy"), "wb") as f:
            f.write(npy_f32(shape, [(v - 0.5) / 0.25 for v in values]))
        [normalised] = self.stages("model:small.onnx,mean=[0.5],std=[0.25],output=/conv1/Conv",
                                   "norm")
        code, _, err = run("run", "normal.npy", "--npy-layout", "chw", "-p",
                           "model:small.onnx,output=/conv1/Conv", "-o", "pre", "--raw", "npy",
                           "--report", "none", "-q", cwd=self.dir)
        self.assertEqual(code, 0, err)
        self.assertEqual(read_npy(os.path.join(self.dir, "pre", "normal", "01_model.npy")),
                         normalised)
        [plain] = self.stages("model:small.onnx,output=/conv1/Conv", "plain")
        self.assertNotEqual(normalised[1], plain[1])
        [resized] = self.stages("model:small.onnx,size=32x24,output=/conv1/Conv", "resized")
        self.assertEqual(resized[0], (8, 32, 24))
        code, out, err = run("shape", "-p", "model:small.onnx,size=20,swap-rb", "--size",
                             "3x7x9", cwd=self.dir)
        self.assertEqual(code, 0, err)
        self.assertIn("4x8x8", out)

    def test_layers_lists_every_layer_with_its_shape(self):
        code, out, err = run("layers", "small.onnx", cwd=self.dir)
        self.assertEqual(code, 0, err)
        self.assertIn("small.onnx: input 3x16x16", out)
        for row in (("onnx_node!/conv1/Conv", "Convolution", "8x16x16", "/conv1/Conv",
                     "/conv1/Conv_output_0"),
                    ("onnx_node!/pool/MaxPool", "Pooling", "8x8x8", "/pool/MaxPool"),
                    ("output", "Identity", "4x6x6")):
            line = next(l for l in out.splitlines() if l.startswith(row[0] + " "))
            for cell in row:
                self.assertIn(cell, line)
        code, out, err = run("layers", "small.onnx", "--size", "32x32", "--json", cwd=self.dir)
        self.assertEqual(code, 0, err)
        doc = json.loads(out)
        self.assertEqual(doc["input"], [3, 32, 32])
        self.assertEqual(doc["layers"][-1]["shape"], [1, 4, 14, 14])

    def assertRefused(self, args, code, *fragments):
        got, out, err = run(*args, cwd=self.dir)
        self.assertEqual(got, code, err)
        assert_one_error_line(self, err, *fragments)
        return out

    def test_hostile_model_files_are_one_error_line(self):
        for name, why in (("truncated.onnx", "not an ONNX model: truncated"),
                          ("garbage.onnx", "not an ONNX model"),
                          ("huge.onnx", "weight 'w' declares more than 67108864 values"),
                          ("missing.onnx", "no such file")):
            out = self.assertRefused(
                ["run", "image.npy", "--npy-layout", "chw", "-p", f"model:{name}", "-o", "bad",
                 "-q"], 2, f"model: file: '{name}': {why}")
            self.assertEqual(out, "")
            self.assertFalse(os.path.exists(os.path.join(self.dir, "bad")))
            self.assertRefused(["layers", name], 2, f"'{name}': {why}")
        self.assertRefused(["run", "image.npy", "--npy-layout", "chw", "-p",
                            "model:small.onnx,output=conv9", "-o", "bad", "-q"], 2,
                           "model: output: 'conv9' is no layer, node or tensor of 'small.onnx'")
        # The input's channels are known once it is read: that input fails (exit 3).
        self.assertRefused(["run", "image.npy", "--npy-layout", "chw", "-p",
                            "gray | model:small.onnx", "-o", "bad", "-q"], 3,
                           "model: small.onnx takes 3 input channels, the input has 1")
        self.assertRefused(["layers", "small.onnx", "--size", "1x16x16"], 2,
                           "takes 3 input channels, --size gives 1")


if __name__ == "__main__":
    BIN = test_layers.BIN = os.path.abspath(sys.argv[1])
    ROOT = os.path.abspath(sys.argv[2])
    unittest.main(argv=sys.argv[:1], verbosity=1)
