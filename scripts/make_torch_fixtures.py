#!/usr/bin/env python3
"""Generate tests/fixtures/torch_pool.json: PyTorch reference outputs for convpool's pools and conv.

Run it from anywhere as

    /usr/bin/python3 scripts/make_torch_fixtures.py

with Debian's python3-torch (the `python3` first on PATH may be an interpreter without torch).
The output path is derived from this file's location, so the script writes into the repository
it lives in. It is deterministic: the same torch/numpy versions give a byte-identical file.

Every case is one convpool stage applied to one small C x H x W input, with the output that the
matching torch.nn.functional call produces:

    family        convpool stage                  torch
    max           pool:max,...                    F.max_pool2d (float32)
    min           pool:min,...                    -F.max_pool2d(-x) (float32)
    avg           pool:avg,...                    F.avg_pool2d (float64)
    lp            pool:lp,norm=P,...              F.lp_pool2d, non-negative input, no pad/ceil
    adaptive-max  pool:adaptive-max, global-max   F.adaptive_max_pool2d (float32)
    adaptive-avg  pool:adaptive-avg, global-avg   F.adaptive_avg_pool2d (float64)
    conv          conv:kernel=[...],...           F.conv2d with groups=C (depthwise), zero
                                                  padding, or F.pad(reflect/replicate/circular)

Exact families (max, min, adaptive-max) run torch in float32, the arithmetic of convpool. The
others run torch in float64 and round the result to float32 once, so the fixture holds the
correctly rounded answer and the C++ tolerance measures convpool alone.

Inputs are multiples of 1/32 in [-4, 4] (exact in float32, double and decimal text); outputs are
stored as the exact decimal of their float32 value. JSON has no NaN or infinity, so those values
are written as the strings "nan", "inf" and "-inf".
"""

import json
import pathlib

import numpy as np
import torch
import torch.nn.functional as F

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "tests" / "fixtures" / "torch_pool.json"
SEED = 20240917
STEP = 1.0 / 32.0

torch.manual_seed(SEED)
RNG = np.random.default_rng(SEED)

CASES = []


# --------------------------------------------------------------------------------------------
# helpers


def random_input(shape, lo=-4.0, hi=4.0):
    """float32 array of `shape` (C, H, W) with multiples of 1/32 in [lo, hi]."""
    steps = RNG.integers(int(round(lo / STEP)), int(round(hi / STEP)) + 1, size=shape)
    return (steps * STEP).astype(np.float32)


def integer_input(shape, lo, hi):
    """float32 array of whole numbers in [lo, hi]: many equal values (ties)."""
    return RNG.integers(lo, hi + 1, size=shape).astype(np.float32)


def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def size_text(v):
    h, w = pair(v)
    return str(h) if h == w else f"{h}x{w}"


def shape_tag(shape):
    return "x".join(str(n) for n in shape)


def encode(v):
    """A float32 value as JSON: the exact decimal of the float32, or a string for non-finite."""
    f = float(np.float32(v))
    if np.isnan(f):
        return "nan"
    if np.isinf(f):
        return "inf" if f > 0 else "-inf"
    if f == int(f) and abs(f) < 2**53:
        return int(f)
    return f


def batch(x, dtype):
    return torch.from_numpy(np.ascontiguousarray(x)).to(dtype).unsqueeze(0)


def add_case(family, name, stage, x, y):
    """Records one case; `x` is the float32 (C, H, W) input, `y` torch's (1, C, H', W') output."""
    y = y.squeeze(0).to(torch.float32).numpy()
    assert x.dtype == np.float32 and x.ndim == 3 and y.ndim == 3, name
    assert y.shape[0] == x.shape[0] and y.size > 0, name
    assert all(c["name"] != name for c in CASES), f"duplicate case name {name}"
    CASES.append({
        "name": name,
        "family": family,
        "stage": stage,
        "input_shape": list(x.shape),
        "input": [encode(v) for v in x.ravel()],
        "output_shape": list(y.shape),
        "output": [encode(v) for v in y.ravel()],
    })


def pool_stage(op, k, s, pad, dilation, ceil, extra=""):
    parts = [f"pool:{op}", f"k={size_text(k)}", f"s={size_text(s)}"]
    if pair(pad) != (0, 0):
        parts.append(f"pad={size_text(pad)}")
    if pair(dilation) != (1, 1):
        parts.append(f"dilation={size_text(dilation)}")
    if ceil:
        parts.append("ceil")
    if extra:
        parts.append(extra)
    return ",".join(parts)


def pool_name(op, shape, k, s, pad, dilation, ceil, tag=""):
    name = f"{op}_{shape_tag(shape)}_k{size_text(k)}_s{size_text(s)}"
    if pair(pad) != (0, 0):
        name += f"_p{size_text(pad)}"
    if pair(dilation) != (1, 1):
        name += f"_d{size_text(dilation)}"
    if ceil:
        name += "_ceil"
    if tag:
        name += f"_{tag}"
    return name


def valid_pool(shape, k, s, pad, dilation):
    """True when torch accepts the geometry: pad <= k/2 and at least one output position."""
    _, h, w = shape
    for n, kk, pp, dd in zip((h, w), pair(k), pair(pad), pair(dilation)):
        if pp > kk // 2 or n + 2 * pp - dd * (kk - 1) - 1 < 0:
            return False
    return True


# --------------------------------------------------------------------------------------------
# max and min


def max_case(shape, k, s, pad=0, dilation=1, ceil=False, x=None, tag=""):
    x = random_input(shape) if x is None else x
    y = F.max_pool2d(batch(x, torch.float32), pair(k), pair(s), pair(pad), pair(dilation),
                     ceil_mode=ceil)
    add_case("max", pool_name("max", shape, k, s, pad, dilation, ceil, tag),
             pool_stage("max", k, s, pad, dilation, ceil), x, y)
    return y


def min_case(shape, k, s, pad=0, dilation=1, ceil=False, x=None, tag=""):
    x = random_input(shape) if x is None else x
    y = -F.max_pool2d(-batch(x, torch.float32), pair(k), pair(s), pair(pad), pair(dilation),
                      ceil_mode=ceil)
    add_case("min", pool_name("min", shape, k, s, pad, dilation, ceil, tag),
             pool_stage("min", k, s, pad, dilation, ceil), x, y)


POOL_GEOMETRIES = [
    # shape, k, s, pad, dilation, ceil
    ((1, 4, 4), 2, 2, 0, 1, False),
    ((3, 7, 7), 3, 2, 1, 1, False),
    ((3, 7, 7), 3, 2, 1, 1, True),
    ((2, 9, 8), (3, 2), (2, 1), (1, 0), 2, True),
    ((1, 10, 11), 3, 2, 1, 2, False),
    ((2, 8, 13), 2, 3, 0, 1, False),
    ((2, 8, 13), 2, 3, 1, 1, True),
    ((1, 5, 6), 1, 2, 0, 1, False),
    ((1, 6, 6), 5, 1, 2, 1, False),
    ((2, 11, 9), 4, 3, 2, 1, True),
    ((1, 7, 13), (2, 4), (1, 3), (1, 2), (1, 2), True),
    ((1, 13, 13), 13, 1, 0, 1, False),
    ((1, 1, 9), (1, 3), (1, 2), 0, 1, True),
    ((3, 5, 5), 3, 1, 1, 1, False),
    ((1, 12, 10), (3, 5), (3, 2), (1, 2), (2, 1), False),
    ((2, 6, 9), 3, 3, 1, 1, True),
]


def max_and_min_cases():
    for shape, k, s, pad, dilation, ceil in POOL_GEOMETRIES:
        max_case(shape, k, s, pad, dilation, ceil)

    # The ceil rule drops a last window that would start in the end padding: in=5, k=2, s=2,
    # pad=1 gives ceil(5/2)+1 = 4 positions before the rule and 3 after it.
    y = max_case((1, 5, 5), 2, 2, 1, 1, True, tag="drop")
    assert tuple(y.shape[-2:]) == (3, 3), y.shape
    y = max_case((2, 5, 7), (2, 3), 2, 1, 1, True, tag="drop")
    assert y.shape[-2] == 3, y.shape

    # Random geometries that torch accepts.
    added = 0
    while added < 8:
        shape = (int(RNG.integers(1, 4)), int(RNG.integers(1, 14)), int(RNG.integers(1, 14)))
        k = (int(RNG.integers(1, 6)), int(RNG.integers(1, 6)))
        s = (int(RNG.integers(1, 4)), int(RNG.integers(1, 4)))
        pad = (int(RNG.integers(0, k[0] // 2 + 1)), int(RNG.integers(0, k[1] // 2 + 1)))
        dilation = (int(RNG.integers(1, 3)), int(RNG.integers(1, 3)))
        ceil = bool(RNG.integers(0, 2))
        if not valid_pool(shape, k, s, pad, dilation):
            continue
        max_case(shape, k, s, pad, dilation, ceil, tag=f"random{added}")
        added += 1

    # Ties: whole numbers, many equal maxima in a window.
    max_case((2, 6, 6), 3, 2, 1, 1, True, x=integer_input((2, 6, 6), -1, 2), tag="ties")
    max_case((1, 8, 8), 2, 2, 0, 1, False, x=integer_input((1, 8, 8), 0, 1), tag="ties")
    max_case((1, 4, 5), 3, 1, 1, 1, False, x=np.full((1, 4, 5), -2.0, np.float32),
             tag="constant")

    # NaN propagates: any window holding a NaN is NaN.
    x = random_input((2, 6, 7))
    x[0, 0, 0] = x[0, 3, 4] = x[1, 5, 6] = x[1, 2, 2] = np.nan
    max_case((2, 6, 7), 3, 2, 1, 1, False, x=x.copy(), tag="nan")
    max_case((2, 6, 7), 2, 2, 0, 1, True, x=x.copy(), tag="nan")
    max_case((2, 6, 7), 2, 1, 1, 2, False, x=x.copy(), tag="nan")

    # -inf and +inf: a window of only -inf (and padding) gives -inf; +inf wins.
    x = random_input((1, 6, 6))
    x[0, 0:2, 0:2] = -np.inf
    x[0, 4:6, 4:6] = -np.inf
    x[0, 2, 4] = np.inf
    max_case((1, 6, 6), 2, 2, 0, 1, False, x=x.copy(), tag="inf")
    max_case((1, 6, 6), 2, 2, 1, 1, True, x=x.copy(), tag="inf")
    max_case((1, 4, 4), 2, 2, 1, 1, False, x=np.full((1, 4, 4), -np.inf, np.float32),
             tag="all_neg_inf")

    # min: a selection of the same geometries, plus ties, NaN and infinities.
    for shape, k, s, pad, dilation, ceil in POOL_GEOMETRIES[:10]:
        min_case(shape, k, s, pad, dilation, ceil)
    min_case((1, 5, 5), 2, 2, 1, 1, True, tag="drop")
    min_case((2, 6, 6), 3, 2, 1, 1, True, x=integer_input((2, 6, 6), -1, 2), tag="ties")
    x = random_input((2, 6, 7))
    x[0, 1, 1] = x[1, 4, 6] = np.nan
    min_case((2, 6, 7), 3, 2, 1, 1, True, x=x, tag="nan")
    x = random_input((1, 6, 6))
    x[0, 0:2, 0:2] = np.inf
    x[0, 3, 3] = -np.inf
    min_case((1, 6, 6), 2, 2, 1, 1, True, x=x, tag="inf")


# --------------------------------------------------------------------------------------------
# avg


def avg_case(shape, k, s, pad=0, ceil=False, count_pad=True, divisor=None, x=None, tag=""):
    x = random_input(shape) if x is None else x
    y = F.avg_pool2d(batch(x, torch.float64), pair(k), pair(s), pair(pad), ceil_mode=ceil,
                     count_include_pad=count_pad, divisor_override=divisor)
    extra = []
    name_tag = []
    if not count_pad:
        extra.append("count-pad=false")
        name_tag.append("nocountpad")
    if divisor is not None:
        extra.append(f"divisor={divisor}")
        name_tag.append(f"div{divisor}")
    if tag:
        name_tag.append(tag)
    add_case("avg", pool_name("avg", shape, k, s, pad, 1, ceil, "_".join(name_tag)),
             pool_stage("avg", k, s, pad, 1, ceil, ",".join(extra)), x, y)
    return y


def avg_cases():
    geometries = [
        ((1, 4, 4), 2, 2, 0, False),
        ((3, 7, 7), 3, 2, 1, False),
        ((3, 7, 7), 3, 2, 1, True),
        ((1, 6, 6), 3, 2, 1, True),  # the last window has one real row, one padding row
        ((2, 9, 8), (3, 2), (2, 1), (1, 0), True),
        ((2, 11, 9), 4, 3, 2, True),
        ((1, 8, 13), (2, 5), (1, 3), (1, 2), True),
        ((2, 10, 10), 5, 2, 2, False),
    ]
    for shape, k, s, pad, ceil in geometries:
        x = random_input(shape)
        avg_case(shape, k, s, pad, ceil, True, x=x)
        if pair(pad) != (0, 0):
            avg_case(shape, k, s, pad, ceil, False, x=x)
    y = avg_case((1, 5, 5), 2, 2, 1, True, False, tag="drop")
    assert tuple(y.shape[-2:]) == (3, 3), y.shape
    avg_case((1, 13, 12), 3, 3, 0, True, tag="overhang")  # partial windows, no padding
    avg_case((2, 7, 7), 3, 2, 1, True, True, divisor=5)
    avg_case((2, 7, 7), 3, 2, 1, True, False, divisor=2)
    avg_case((1, 6, 9), (2, 3), (2, 3), 0, False, True, divisor=7)


# --------------------------------------------------------------------------------------------
# lp


def lp_case(shape, norm, k, s, x=None, tag=""):
    x = random_input(shape, 0.0, 4.0) if x is None else x
    assert (x >= 0).all()
    y = F.lp_pool2d(batch(x, torch.float64), float(norm), pair(k), pair(s), ceil_mode=False)
    norm_text = str(norm)
    name = pool_name(f"lp{norm_text.replace('.', '_')}", shape, k, s, 0, 1, False, tag)
    stage = pool_stage("lp", k, s, 0, 1, False).replace("pool:lp,", f"pool:lp,norm={norm_text},")
    add_case("lp", name, stage, x, y)


def lp_cases():
    geometries = [
        ((1, 6, 6), 2, 2),
        ((2, 7, 8), 3, 1),
        ((3, 9, 7), (3, 2), (2, 1)),
        ((1, 11, 13), 2, 3),
    ]
    for norm in (1, 2, 3):
        for shape, k, s in geometries:
            lp_case(shape, norm, k, s)
    lp_case((2, 8, 8), 1.5, 3, 2)
    x = random_input((1, 6, 6), 0.0, 4.0)
    x[0, 0:3, 0:3] = 0.0  # a window of zeros: norm 0
    lp_case((1, 6, 6), 2, 3, 3, x=x.copy(), tag="zeros")
    lp_case((1, 6, 6), 3, 3, 3, x=x.copy(), tag="zeros")


# --------------------------------------------------------------------------------------------
# adaptive and global


def adaptive_case(kind, shape, out, x=None, tag="", global_op=False):
    x = random_input(shape) if x is None else x
    if kind == "max":
        y = F.adaptive_max_pool2d(batch(x, torch.float32), pair(out))
    else:
        y = F.adaptive_avg_pool2d(batch(x, torch.float64), pair(out))
    if global_op:
        assert pair(out) == (1, 1)
        stage = f"pool:global-{kind}"
        name = f"global_{kind}_{shape_tag(shape)}"
    else:
        stage = f"pool:adaptive-{kind},out={size_text(out)}"
        name = f"adaptive_{kind}_{shape_tag(shape)}_out{size_text(out)}"
    if tag:
        name += f"_{tag}"
    add_case(f"adaptive-{kind}", name, stage, x, y)


def adaptive_cases():
    geometries = [
        ((1, 5, 5), 2),
        ((2, 8, 8), 4),         # divides: plain tiling
        ((2, 7, 9), (3, 4)),    # does not divide, windows overlap
        ((3, 10, 7), (3, 5)),
        ((1, 3, 4), (5, 7)),    # out larger than in: windows repeat cells
        ((1, 13, 2), (4, 3)),
        ((2, 6, 6), 6),         # out == in: identity
        ((1, 9, 11), 1),        # adaptive to 1x1
        ((1, 1, 1), (2, 3)),
    ]
    for kind in ("max", "avg"):
        for shape, out in geometries:
            adaptive_case(kind, shape, out)
        for shape in ((1, 7, 7), (3, 5, 12)):
            adaptive_case(kind, shape, 1, global_op=True)

    x = random_input((2, 7, 9))
    x[0, 0, 0] = x[1, 6, 8] = x[1, 3, 4] = np.nan
    adaptive_case("max", (2, 7, 9), (3, 4), x=x.copy(), tag="nan")
    adaptive_case("max", (2, 7, 9), 1, x=x.copy(), tag="nan", global_op=True)
    adaptive_case("max", (2, 6, 6), 3, x=integer_input((2, 6, 6), -1, 1), tag="ties")
    x = random_input((1, 6, 6))
    x[0, 0:3, 0:3] = -np.inf
    x[0, 5, 5] = np.inf
    adaptive_case("max", (1, 6, 6), 2, x=x, tag="inf")


# --------------------------------------------------------------------------------------------
# conv


def number_text(v):
    text = repr(float(v))
    return text[:-2] if text.endswith(".0") else text


def kernel_text(kernel):
    return "[" + "; ".join(" ".join(number_text(v) for v in row) for row in kernel) + "]"


def conv_case(shape, kernel, pad=0, stride=1, dilation=1, border="zero", x=None, tag=""):
    x = random_input(shape) if x is None else x
    k32 = np.array(kernel, dtype=np.float32)  # convpool stores the kernel as float32
    c = shape[0]
    weight = torch.from_numpy(k32).to(torch.float64).expand(c, 1, *k32.shape).contiguous()
    xt = batch(x, torch.float64)
    ph, pw = pair(pad)
    if border == "zero":
        y = F.conv2d(xt, weight, None, pair(stride), (ph, pw), pair(dilation), groups=c)
    else:
        mode = {"reflect101": "reflect", "replicate": "replicate", "wrap": "circular"}[border]
        xt = F.pad(xt, (pw, pw, ph, ph), mode=mode)
        y = F.conv2d(xt, weight, None, pair(stride), 0, pair(dilation), groups=c)
    parts = [f"conv:kernel={kernel_text(kernel)}", f"pad={size_text(pad)}"]
    if pair(stride) != (1, 1):
        parts.append(f"stride={size_text(stride)}")
    if pair(dilation) != (1, 1):
        parts.append(f"dilation={size_text(dilation)}")
    parts.append(f"border={border}")
    name = f"conv_{shape_tag(shape)}_k{k32.shape[0]}x{k32.shape[1]}_p{size_text(pad)}"
    if pair(stride) != (1, 1):
        name += f"_s{size_text(stride)}"
    if pair(dilation) != (1, 1):
        name += f"_d{size_text(dilation)}"
    name += f"_{border}"
    if tag:
        name += f"_{tag}"
    add_case("conv", name, ",".join(parts), x, y)


def random_kernel(h, w):
    return (RNG.integers(-16, 17, size=(h, w)) / 8.0).tolist()


def conv_cases():
    sobel = [[1, 0, -1], [2, 0, -2], [1, 0, -1]]
    k23 = [[0.5, -1, 0.25], [2, 0, -0.75]]
    k55 = random_kernel(5, 5)
    decimals = [[0.1, 0.2, 0.1], [0.2, -0.35, 0.2], [0.1, 0.2, 0.1]]
    conv_case((3, 7, 8), sobel, pad=1, tag="sobel")
    conv_case((1, 9, 9), sobel, pad=0, stride=2, tag="sobel")
    conv_case((2, 6, 7), k23, pad=(1, 0))
    conv_case((2, 6, 7), k23, pad=(0, 1), stride=(1, 2))
    conv_case((1, 9, 9), k55, pad=2)
    conv_case((2, 12, 11), k55, pad=1, stride=3)
    conv_case((2, 11, 10), random_kernel(3, 3), pad=2, dilation=2)
    conv_case((1, 13, 12), random_kernel(3, 3), pad=(1, 2), stride=(2, 1), dilation=(1, 2))
    conv_case((3, 5, 6), [[1.5]], pad=0, tag="1x1")
    conv_case((1, 8, 9), decimals, pad=1, tag="decimals")
    conv_case((1, 3, 3), k55, pad=2, tag="kernel_larger")
    conv_case((1, 2, 5), [[1, -2, 1]], pad=(0, 3), stride=(1, 2), tag="row")
    # Padding filled from the input: torch pads with F.pad, then correlates without padding.
    conv_case((2, 7, 8), sobel, pad=1, border="reflect101")
    conv_case((1, 6, 9), k55, pad=2, border="reflect101")
    conv_case((2, 7, 8), sobel, pad=1, border="replicate")
    conv_case((1, 8, 7), k23, pad=(2, 1), stride=2, border="replicate")
    conv_case((2, 7, 8), sobel, pad=1, border="wrap")
    conv_case((1, 6, 9), k55, pad=(2, 3), dilation=(1, 2), border="wrap")


# --------------------------------------------------------------------------------------------


def write_fixture(output, generator, seed, cases):
    """Writes `cases` to `output` as the fixture files are laid out: one case per line."""
    header = {
        "generator": generator,
        "torch": torch.__version__.split("+")[0],
        "seed": seed,
    }
    lines = ["{"]
    for key, value in header.items():
        lines.append(f"  {json.dumps(key)}: {json.dumps(value)},")
    lines.append('  "cases": [')
    for i, case in enumerate(cases):
        sep = "," if i + 1 < len(cases) else ""
        lines.append("    " + json.dumps(case, allow_nan=False, separators=(",", ":")) + sep)
    lines.append("  ]")
    lines.append("}")
    text = "\n".join(lines) + "\n"
    json.loads(text)  # well-formed
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    counts = {}
    for case in cases:
        counts[case["family"]] = counts.get(case["family"], 0) + 1
    summary = ", ".join(f"{family} {n}" for family, n in counts.items())
    print(f"wrote {len(cases)} cases ({summary}) to {output.relative_to(ROOT)}, "
          f"{len(text)} bytes")


def main():
    max_and_min_cases()
    avg_cases()
    lp_cases()
    adaptive_cases()
    conv_cases()
    write_fixture(OUTPUT, "scripts/make_torch_fixtures.py", SEED, CASES)


if __name__ == "__main__":
    main()
