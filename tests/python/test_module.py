"""The Python module convpool (docs/python.md), against the CLI and PyTorch.

Run by ctest (`python.module`) as
    CONVPOOL=BUILD/convpool PYTHONPATH=BUILD/python python3 -m pytest tests/python
with the system's python3 (numpy, PIL and torch are Debian packages).
"""
import json
import os
import struct
import subprocess
import sys
import threading
import zlib

import numpy as np
import pytest

import convpool

BIN = os.environ.get("CONVPOOL", "convpool")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def png_bytes(pixels):
    """An 8-bit gray (H x W) or RGB (H x W x 3) PNG of `pixels`, written here (no PIL)."""
    h, w = pixels.shape[:2]
    color = 0 if pixels.ndim == 2 else 2
    raw = b"".join(b"\x00" + pixels[y].tobytes() for y in range(h))

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", w, h, 8, color, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))


def cli(*args):
    p = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def cli_stages(tmp_path, input_path, pipeline, *extra):
    """Every stage's values as `convpool run --raw npy` writes them, in stage order."""
    out = tmp_path / "out"
    code, _, err = cli("run", str(input_path), "-p", pipeline, "-o", str(out), "--raw", "npy",
                       "--report", "none", *extra)
    assert code == 0, err
    folder = out / os.path.splitext(os.path.basename(input_path))[0]
    names = sorted(n for n in os.listdir(folder) if n.endswith(".npy"))
    return [np.load(folder / n) for n in names], json.loads((out / "report.json").read_text())


def rng_image(shape, seed):
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


PIPE = "conv:sobel-x | relu | pool:max,k=2 | pool:avg,k=3,s=2,pad=1"


@pytest.mark.parametrize("shape", [(37, 45), (29, 31, 3)], ids=["u8-hw", "u8-hwc"])
def test_uint8_matches_cli_bit_for_bit(tmp_path, shape):
    pixels = rng_image(shape, 1)
    path = tmp_path / "img.png"
    path.write_bytes(png_bytes(pixels))
    expected, report = cli_stages(tmp_path, path, PIPE)
    r = convpool.run(pixels, PIPE)
    assert len(r.stages) == len(expected) == 5
    for stage, values in zip(r.stages, expected):
        assert stage.values.dtype == np.float32
        assert stage.values.shape == values.shape == stage.shape
        assert stage.values.tobytes() == values.astype(np.float32).tobytes(), stage.description
    # The report is report.json's, but for the input's name and the timings.
    cli_stages_report = report["images"][0]["stages"]
    assert [s["stage"] for s in r.report["images"][0]["stages"]] == \
        [s["stage"] for s in cli_stages_report]
    assert r.report["stages"] == report["stages"]
    for ours, theirs in zip(r.report["images"][0]["stages"], cli_stages_report):
        for key in theirs.keys() - {"ms", "files"}:  # statistics, notes, picture, shape...
            assert ours[key] == theirs[key], key
    # The same image by path gives the same values too.
    by_path = convpool.run(path, PIPE)
    for a, b in zip(by_path.stages, r.stages):
        assert a.values.tobytes() == b.values.tobytes()


def test_float_chw_matches_cli_npy(tmp_path):
    array = np.random.default_rng(2).standard_normal((2, 23, 19)).astype(np.float32)
    path = tmp_path / "arr.npy"
    np.save(path, array)
    pipe = "pool:max,k=3,s=2,ceil | relu | pool:lp,p=2,k=2"
    expected, _ = cli_stages(tmp_path, path, pipe, "--npy-layout", "chw")
    r = convpool.run(array, pipe, layout="chw")
    assert r.stages[0].values.tobytes() == array.tobytes()  # floats taken as they are
    for stage, values in zip(r.stages, expected):
        assert stage.values.tobytes() == values.astype(np.float32).tobytes(), stage.description
    # hwc is the same array transposed.
    hwc = convpool.run(np.ascontiguousarray(array.transpose(1, 2, 0)), pipe, layout="hwc")
    assert hwc.stages[-1].values.tobytes() == r.stages[-1].values.tobytes()


def test_pil_image_as_array(tmp_path):
    from PIL import Image as image
    pixels = rng_image((16, 20, 3), 3)
    pil = image.fromarray(pixels, "RGB")
    assert convpool.run(pil, "gray").stages[1].values.tobytes() == \
        convpool.run(pixels, "gray").stages[1].values.tobytes()
    # RGBA: alpha is dropped, as decoding the PNG drops it.
    rgba = np.dstack([pixels, np.full((16, 20), 7, np.uint8)])
    assert convpool.run(rgba, "relu").stages[0].shape == (3, 16, 20)


def test_pytorch_pooling():
    import torch
    x = np.random.default_rng(4).standard_normal((3, 17, 22)).astype(np.float32)
    t = torch.from_numpy(x)[None]
    cases = [
        ("pool:max,k=3,s=2,pad=1", torch.nn.functional.max_pool2d(t, 3, 2, 1)),
        ("pool:max,k=2,s=2,ceil", torch.nn.functional.max_pool2d(t, 2, 2, ceil_mode=True)),
        ("pool:avg,k=3,s=2,pad=1", torch.nn.functional.avg_pool2d(t, 3, 2, 1)),
        ("pool:avg,k=3,s=2,pad=1,count-pad=false",
         torch.nn.functional.avg_pool2d(t, 3, 2, 1, count_include_pad=False)),
    ]
    for pipe, want in cases:
        got = convpool.run(x, pipe, layout="chw").stages[-1].values
        if pipe.startswith("pool:max"):  # picks values: exactly PyTorch's
            assert np.array_equal(got, want[0].numpy()), pipe
        else:  # sums in another order: within float32 rounding
            np.testing.assert_allclose(got, want[0].numpy(), rtol=1e-6, atol=1e-6, err_msg=pipe)


def test_shape_and_ops():
    code, out, err = cli("shape", "-p", PIPE, "--size", "3x64x48", "--json")
    assert code == 0, err
    assert convpool.shape(PIPE, (3, 64, 48)) == json.loads(out)
    assert convpool.shape(PIPE, "3x64x48") == json.loads(out)
    ops = convpool.ops()
    names = [op["name"] for op in ops]
    code, out, _ = cli("ops")
    assert code == 0
    for name in names:
        assert name in out
    pool_max = next(op for op in ops if op["name"] == "pool:max")
    assert {"k", "s"} <= {p["name"] for p in pool_max["params"]}
    assert all({"name", "type", "default", "help"} <= p.keys() for p in pool_max["params"])
    # help(convpool.run) lists the stages as `convpool ops` does.
    assert out.strip().splitlines()[0].strip() in convpool.run.__doc__


def error_of(call):
    with pytest.raises(convpool.Error) as info:
        call()
    return info.value


def cli_error(*args):
    code, _, err = cli(*args)
    errors = [line for line in err.splitlines() if line.startswith("convpool: error: ")]
    assert len(errors) == 1, err
    return code, errors[0]


def test_errors_match_cli(tmp_path):
    pixels = rng_image((8, 8), 5)
    path = tmp_path / "p.png"
    path.write_bytes(png_bytes(pixels))
    out = str(tmp_path / "o")
    # A bad pipeline: UsageError, a ValueError, exit 2, the CLI's line.
    e = error_of(lambda: convpool.run(pixels, "pool:maks,k=2"))
    assert isinstance(e, convpool.UsageError) and isinstance(e, ValueError)
    code, line = cli_error("run", str(path), "-p", "pool:maks,k=2", "-o", out)
    assert e.exit_code == code == 2
    assert line == "convpool: error: " + str(e)
    # A missing file: InputError, an OSError, exit 3, the CLI's line.
    missing = str(tmp_path / "missing.png")
    e = error_of(lambda: convpool.run(missing, "relu"))
    assert isinstance(e, convpool.InputError) and isinstance(e, OSError)
    code, line = cli_error("run", missing, "-p", "relu", "-o", out, "--force")
    assert e.exit_code == code == 3
    assert line == "convpool: error: " + str(e)
    # A window larger than the image: ShapeError, a ValueError, exit 3, the CLI's line.
    e = error_of(lambda: convpool.run(pixels, "pool:max,k=9"))
    assert isinstance(e, convpool.ShapeError) and isinstance(e, ValueError)
    code, line = cli_error("run", str(path), "-p", "pool:max,k=9", "-o", out, "--force")
    assert e.exit_code == code == 3
    assert line == f"convpool: error: {path}: {e}"
    # Arguments of the module itself.
    e = error_of(lambda: convpool.run(pixels, "relu", layout="chw"))
    assert isinstance(e, convpool.UsageError) and e.exit_code == 2
    e = error_of(lambda: convpool.run(np.zeros((2, 2, 2, 2)), "relu"))
    assert isinstance(e, convpool.UsageError)
    # OutputError is the class of exit 4 (no call of the module writes a file).
    assert issubclass(convpool.OutputError, OSError) and convpool.OutputError.exit_code == 4
    assert issubclass(convpool.Error, Exception) and not issubclass(convpool.Error, OSError)


def test_sheet_and_repr_png(tmp_path):
    pixels = rng_image((40, 50, 3), 6)
    r = convpool.run(pixels, PIPE)
    sheet = r.sheet()
    assert sheet.dtype == np.uint8 and sheet.ndim == 3 and sheet.shape[2] == 3
    png = r._repr_png_()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", png[16:24])
    assert (height, width) == sheet.shape[:2]
    # The same sheet as the CLI's sheet.png.
    path = tmp_path / "s.png"
    path.write_bytes(png_bytes(pixels))
    cli_stages(tmp_path, path, PIPE)
    from PIL import Image as image
    with image.open(tmp_path / "out" / "s" / "sheet.png") as im:
        assert np.array_equal(np.asarray(im.convert("RGB")), sheet)


def test_values_are_views():
    r = convpool.run(rng_image((12, 12), 7), "relu | pool:max,k=2")
    v = r.stages[2].values
    assert v.base is not None and not v.flags.owndata
    assert np.shares_memory(v, r.stages[2].values)  # two views of one buffer: no copy made
    assert r.stages[2].name == "pool:max" and r.stages[2].params["k"] == "2"
    assert r.stages[0].name == "input" and r.stages[0].params == {}
    del r
    assert v.sum() >= 0  # the view keeps its stage alive


def test_gil_released_while_running():
    """A second thread runs Python while run() is busy. The main thread never hands the GIL over
    by itself (a switch interval of 100 s), so the counter can only move during run() when run()
    releases the GIL."""
    image = rng_image((1024, 1024), 8)
    pipe = " | ".join(["conv:gaussian,k=9"] * 6)
    counter = [0]
    stop = threading.Event()
    started = threading.Event()

    def count():
        while not stop.is_set():
            counter[0] += 1
            started.set()
            stop.wait(0.0005)

    interval = sys.getswitchinterval()
    thread = threading.Thread(target=count)
    thread.start()
    try:
        started.wait()
        sys.setswitchinterval(100)
        before = counter[0]
        convpool.run(image, pipe, stats="none")
        during = counter[0] - before
    finally:
        sys.setswitchinterval(interval)
        stop.set()
        thread.join()
    assert during > 0


def test_version():
    code, out, _ = cli("--version")
    assert code == 0 and convpool.__version__ in out
