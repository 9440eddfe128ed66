"""convpool: see and measure what convolution and pooling do to images, from Python.

    >>> import convpool, numpy as np
    >>> r = convpool.run(np.zeros((32, 32), np.uint8), "conv:sobel-x | relu | pool:max,k=2")
    >>> [s.shape for s in r.stages]
    [(1, 32, 32), (1, 32, 32), (1, 32, 32), (1, 16, 16)]

run() runs a pipeline on an image (a path, a NumPy array or a PIL image) as `convpool run`
does and returns every stage's values, the report (report.json's) and the contact sheet;
shape() plans a pipeline for an input size as `convpool shape --json` does; ops() lists the
stages and their parameters, as `convpool ops` does. Errors raise convpool.Error subclasses
with the CLI's message and its exit status as .exit_code. See docs/python.md.
"""

import io as _io
import json as _json
import os as _os

from . import _convpool
from ._convpool import Error, InputError, OutputError, ShapeError, Stage, UsageError

__all__ = ["run", "shape", "ops", "Result", "Stage", "Error", "UsageError", "InputError",
           "ShapeError", "OutputError", "__version__"]
__version__ = _convpool.version

_LAYOUTS = ("hw", "hwc", "chw")


class Result:
    """What run() gives: the stages, the report and the contact sheet.

    stages   -- one Stage per stage, the input first (index 0): name, description, params,
                shape (C, H, W) and values (float32 C x H x W, a view without a copy).
    report   -- the dict report.json holds for this one image.
    sheet()  -- the contact sheet (sheet.png) as an H x W x 3 uint8 RGB array.
    A Jupyter cell showing a Result shows its sheet (_repr_png_).
    """

    def __init__(self, native):
        self._native = native
        self.stages = tuple(native.stages)
        self.report = _json.loads(native.report_json)

    def sheet(self):
        """The contact sheet as an H x W x 3 uint8 RGB array."""
        return self._native.sheet_rgb()

    def _repr_png_(self):
        return self._native.sheet_png()

    def __repr__(self):
        shapes = " -> ".join("x".join(map(str, s.shape)) for s in self.stages)
        return f"<convpool.Result {self.report['pipeline']!r}: {shapes}>"


def _layout_of(array, layout):
    if layout is None:
        layout = {2: "hw", 3: "hwc"}.get(array.ndim)
        if layout is None:
            raise UsageError(f"an image array is H x W or H x W x C (layout='chw' for C x H x W), "
                             f"got {array.ndim} dimensions")
    if layout not in _LAYOUTS:
        raise UsageError(f"layout: expected hw, hwc or chw, got '{layout}'")
    if array.ndim != len(layout):
        raise UsageError(f"layout '{layout}' needs a {len(layout)}-D array, got "
                         f"{array.ndim} dimensions")
    return layout


def _run_array(image, pipeline, layout, semantics, stats):
    import numpy as np

    array = np.asarray(image)
    layout = _layout_of(array, layout)
    name = f"<array {'x'.join(map(str, array.shape))} {array.dtype}>"
    pixels = array.dtype in (np.uint8, np.uint16) and layout != "chw"
    if pixels and layout == "hw":
        array = array[:, :, None]
    if pixels and 1 <= array.shape[2] <= 4:
        native = _convpool.run_u8 if array.dtype == np.uint8 else _convpool.run_u16
        return native(np.ascontiguousarray(array), pipeline, semantics, stats, name)
    # Anything else as the same .npy file would be read.
    buf = _io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return _convpool.run_npy(buf.getvalue(), layout, pipeline, semantics, stats, name)


def run(image, pipeline, layout=None, *, semantics="torch", stats="full"):
    """Runs `pipeline` on `image` and returns a Result.

    image     -- a path (str or os.PathLike: any image convpool run reads, .npy included), or
                 an array: a NumPy array or anything np.asarray takes (a PIL image).
    pipeline  -- pipeline text, e.g. "conv:sobel-x | relu | pool:max,k=2", or "@FILE".
    layout    -- the array's axes: "hw", "hwc" or "chw" (convpool's own). Default: "hw" for a
                 2-D array, "hwc" for a 3-D one. For a path, the layout of a 3-D or 4-D .npy
                 (as --npy-layout; default: auto).
    semantics -- whose pooling conventions fill in defaults: torch, tf, caffe or onnx.
    stats     -- the report's statistics: full, basic or none.

    Values: a uint8 or uint16 H x W (x C, C = 1 to 4) array is taken as the same PNG would be
    decoded: v / 255 or v / 65535, alpha dropped. Any other array is taken as the same .npy
    would be: integers scaled by their type's maximum, floats as they are, all channels kept.
    The GIL is released while the image is run.

    Pipeline stages (`convpool ops`):

    """
    if isinstance(image, (str, bytes, _os.PathLike)):
        path = _os.fsdecode(image)
        if layout is not None and layout not in _LAYOUTS:
            raise UsageError(f"layout: expected hw, hwc or chw, got '{layout}'")
        native = _convpool.run_path(path, pipeline, semantics, stats, layout or "")
    else:
        native = _run_array(image, pipeline, layout, semantics, stats)
    return Result(native)


def shape(pipeline, size, *, semantics="torch"):
    """Every stage's output shape for an input of `size`, as `convpool shape --json` gives it.

    size -- N (1 x N x N), (H, W) or "HxW" (one channel), or (C, H, W) or "CxHxW".
    """
    if isinstance(size, int):
        size = str(size)
    elif not isinstance(size, str):
        size = "x".join(str(int(v)) for v in size)
    return _json.loads(_convpool.shape_json(pipeline, size, semantics))


def ops():
    """Every stage as data: name, summary, details, example and params (name, type, default,
    help, range, choices, aliases), from the declarations `convpool ops` and the parser use."""
    return _convpool.ops()


# help(convpool.run) lists the stages from the same declarations as `convpool ops`.
run.__doc__ += "\n".join("    " + line for line in _convpool.ops_text("").splitlines()) + "\n"
