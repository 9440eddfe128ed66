#!/usr/bin/python3
"""ONNX's own backend node tests, run through convpool (issue 15, "ONNX semantics").

Every 2-D MaxPool, AveragePool, LpPool, GlobalMaxPool, GlobalAveragePool and Conv case that
Debian's libonnx-testdata ships is translated into a convpool pipeline run with
`--semantics onnx` (the input and the Conv weights written as .npy into a temporary folder), and
convpool's output is compared with ONNX's expected output: |a - b| <= 1e-5 |b| + 1e-6 everywhere.
MaxPool with indices compares the values (its first output). A table says, per case, passed,
FAILED, or not expressible and why.

The test fails when a translatable case fails, when a case this file expects to pass is missing
or not translatable, and when python3-onnx or the test data is missing (scripts/test.sh installs
both): it never skips.

Usage: /usr/bin/python3 test_onnx_backend.py PATH/TO/convpool  (ctest passes it). Debian's
python3-onnx and numpy belong to /usr/bin/python3.
"""
import glob
import io
import os
import subprocess
import sys
import tempfile

DATA = "/usr/share/libonnx-testdata/data/node"
OPS = ("MaxPool", "AveragePool", "LpPool", "GlobalMaxPool", "GlobalAveragePool", "Conv")

# Every 2-D case of libonnx-testdata 1.12 (Debian 12) must pass: a regression, or a case that
# disappears from the data, fails the test. Newer data may add cases: they must pass too.
EXPECTED_PASS = {
    "test_averagepool_2d_ceil", "test_averagepool_2d_default", "test_averagepool_2d_pads",
    "test_averagepool_2d_pads_count_include_pad", "test_averagepool_2d_precomputed_pads",
    "test_averagepool_2d_precomputed_pads_count_include_pad",
    "test_averagepool_2d_precomputed_same_upper", "test_averagepool_2d_precomputed_strides",
    "test_averagepool_2d_same_lower", "test_averagepool_2d_same_upper",
    "test_averagepool_2d_strides", "test_basic_conv_with_padding",
    "test_basic_conv_without_padding", "test_conv_with_autopad_same",
    "test_conv_with_strides_and_asymmetric_padding", "test_conv_with_strides_no_padding",
    "test_conv_with_strides_padding", "test_globalaveragepool",
    "test_globalaveragepool_precomputed", "test_globalmaxpool", "test_globalmaxpool_precomputed",
    "test_maxpool_2d_ceil", "test_maxpool_2d_default", "test_maxpool_2d_dilations",
    "test_maxpool_2d_pads", "test_maxpool_2d_precomputed_pads",
    "test_maxpool_2d_precomputed_same_upper", "test_maxpool_2d_precomputed_strides",
    "test_maxpool_2d_same_lower", "test_maxpool_2d_same_upper", "test_maxpool_2d_strides",
    "test_maxpool_2d_uint8", "test_maxpool_with_argmax_2d_precomputed_pads",
    "test_maxpool_with_argmax_2d_precomputed_strides",
}


class NotExpressible(Exception):
    """A case convpool cannot write as a pipeline; the message says why."""


def pair(values, what):
    if len(values) != 2:
        raise NotExpressible(f"{what} {list(values)} is not 2-D")
    return f"{values[0]}x{values[1]}"


def window_args(attrs, kernel):
    """k, s, dilation, pad and ceil of a pool or conv from its ONNX attributes."""
    args = []
    if kernel is not None:
        args.append("k=" + pair(kernel, "kernel_shape"))
    stride_key = "stride" if kernel is None else "s"
    args.append(f"{stride_key}=" + pair(attrs.get("strides", [1, 1]), "strides"))
    if "dilations" in attrs:
        args.append("dilation=" + pair(attrs["dilations"], "dilations"))
    auto_pad = attrs.get("auto_pad", b"NOTSET").decode()
    if auto_pad == "SAME_UPPER":
        args.append("pad=same-upper")
    elif auto_pad == "SAME_LOWER":
        args.append("pad=same-lower")
    elif auto_pad == "VALID":
        args.append("pad=valid")
    elif "pads" in attrs:
        pads = attrs["pads"]
        if len(pads) != 4:
            raise NotExpressible(f"pads {list(pads)} are not 2-D")
        args.append("pad=[{} {} {} {}]".format(*pads))
    if attrs.get("ceil_mode", 0):
        args.append("ceil=true")
    return args


def translate(node, inputs, folder):
    """The pipeline of one node, and the .npy files it reads written into `folder`."""
    import numpy as np
    from onnx import helper

    attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    x = inputs[0]
    if x.ndim != 4:
        raise NotExpressible(f"{x.ndim - 2}-D input (convpool pools 2-D images)")
    if x.shape[0] != 1:
        raise NotExpressible(f"batch of {x.shape[0]}")
    op = node.op_type
    if op == "GlobalMaxPool":
        return "pool:global-max"
    if op == "GlobalAveragePool":
        return "pool:global-avg"
    if op in ("MaxPool", "AveragePool", "LpPool"):
        args = window_args(attrs, attrs["kernel_shape"])
        if op == "AveragePool" and "count_include_pad" in attrs:
            args.append("count-pad=" + ("true" if attrs["count_include_pad"] else "false"))
        if op == "LpPool":
            args.append(f"p={attrs.get('p', 2)}")
        # storage_order only changes MaxPool's indices output; its values are compared.
        name = {"MaxPool": "max", "AveragePool": "avg", "LpPool": "lp"}[op]
        return f"pool:{name}," + ",".join(args)
    if op == "Conv":
        w = inputs[1]
        if w.ndim != 4:
            raise NotExpressible(f"{w.ndim - 2}-D kernel")
        np.save(os.path.join(folder, "w.npy"), w.astype(np.float32))
        args = ["weights=@w.npy"] + window_args(attrs, None)
        if attrs.get("group", 1) != 1:
            args.append(f"groups={attrs['group']}")
        if len(inputs) > 2:
            np.save(os.path.join(folder, "b.npy"), inputs[2].astype(np.float32))
            args.append("bias=@b.npy")
        return "conv:" + ",".join(args)
    raise NotExpressible(f"op {op}")


def run_case(binary, case_dir, node):
    """('passed' | 'FAILED' | 'not expressible', detail) for one test case folder."""
    import numpy as np
    from onnx import numpy_helper, TensorProto

    def load(path):
        t = TensorProto()
        with open(path, "rb") as f:
            t.ParseFromString(f.read())
        return numpy_helper.to_array(t)

    data = os.path.join(case_dir, "test_data_set_0")
    inputs = [load(p) for p in sorted(glob.glob(os.path.join(data, "input_*.pb")))]
    expected = load(os.path.join(data, "output_0.pb"))
    with tempfile.TemporaryDirectory(prefix="convpool-onnx-") as folder:
        try:
            pipeline = translate(node, inputs, folder)
        except NotExpressible as e:
            return "not expressible", str(e)
        np.save(os.path.join(folder, "x.npy"), inputs[0].astype(np.float32))
        p = subprocess.run([binary, "run", "x.npy", "--npy-layout", "nchw", "-p", pipeline,
                            "--semantics", "onnx", "--format", "npy", "-o", "-", "-q"],
                           cwd=folder, capture_output=True, timeout=120)
    if p.returncode != 0:
        return "FAILED", f"{pipeline}: exit {p.returncode}: {p.stderr.decode(errors='replace')}"
    got = np.load(io.BytesIO(p.stdout))
    want = expected.astype(np.float32)[0]
    if got.shape != want.shape:
        return "FAILED", f"{pipeline}: shape {got.shape}, ONNX {want.shape}"
    err = np.abs(got.astype(np.float64) - want)
    bound = 1e-5 * np.abs(want.astype(np.float64)) + 1e-6
    if not np.all(err <= bound):
        return "FAILED", f"{pipeline}: max |diff| {err.max():.3g}"
    if len(node.output) > 1:
        # MaxPool's Indices (flat, and with storage_order=1 column-major) are not compared.
        return "passed", pipeline + "  (values; indices not compared)"
    return "passed", pipeline


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: test_onnx_backend.py PATH/TO/convpool")
    binary = os.path.abspath(sys.argv[1])
    try:
        import numpy  # noqa: F401
        import onnx
    except ImportError as e:
        sys.exit(f"FAIL: {e}: install python3-onnx (scripts/test.sh does) for {sys.executable}")
    if not os.path.isdir(DATA):
        sys.exit(f"FAIL: no ONNX backend test data at {DATA}: install libonnx-testdata "
                 "(scripts/test.sh does)")
    rows = []
    for case_dir in sorted(glob.glob(os.path.join(DATA, "test_*"))):
        model = onnx.load(os.path.join(case_dir, "model.onnx"))
        nodes = [n for n in model.graph.node if n.op_type in OPS]
        if len(nodes) != 1 or len(model.graph.node) != 1:
            continue
        status, detail = run_case(binary, case_dir, nodes[0])
        rows.append((os.path.basename(case_dir), nodes[0].op_type, status, detail))
    width = max(len(r[0]) for r in rows)
    for name, op, status, detail in rows:
        print(f"{name:<{width}}  {op:<17}  {status:<15}  {detail}")
    counts = {s: sum(1 for r in rows if r[2] == s) for s in ("passed", "FAILED", "not expressible")}
    print(f"{len(rows)} cases: {counts['passed']} passed, {counts['FAILED']} failed, "
          f"{counts['not expressible']} not expressible")
    status = {r[0]: r[2] for r in rows}
    problems = [f"{n}: {s}" for n, s in status.items() if s == "FAILED"]
    problems += [f"{n}: expected to pass, {status.get(n, 'missing from the data')}"
                 for n in sorted(EXPECTED_PASS) if status.get(n) != "passed"]
    for n, s in status.items():
        if s == "not expressible" and ("_2d" in n or "global" in n or "conv" in n):
            problems.append(f"{n}: a 2-D case is not expressible")
    if problems:
        print("FAIL:\n  " + "\n  ".join(sorted(set(problems))))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
