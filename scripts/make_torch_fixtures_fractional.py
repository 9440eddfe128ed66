#!/usr/bin/env python3
"""Generate tests/fixtures/torch_fractional.json: PyTorch reference outputs for convpool's
pool:fractional (variant=torch), pool:max switches and unpool.

Run it from anywhere as

    /usr/bin/python3 scripts/make_torch_fixtures_fractional.py

with Debian's python3-torch. Deterministic: the same torch/numpy versions give the same file.

    family      convpool stage                                  torch
    fractional  pool:fractional,variant=torch,k=K,out=HxW,u=UHxUW  F.fractional_max_pool2d(x, K,
                                                                  output_size=(H, W),
                                                                  _random_samples=S), with
                                                                  S[0, c] = [UW, UH] for every c
    unpool      pool:max,k=..,s=..,pad=..,switches | unpool      F.max_unpool2d(*F.max_pool2d(x,
                                                                  ..., return_indices=True), ...)

torch keeps the width sample first: S[..., 0] drives the column sequence and S[..., 1] the rows,
so convpool's u (rows x cols) is written S[..., 1] x S[..., 0]. Each unpool case also stores
torch's indices ("indices", flat y*W+x per pooled value) to check the switches themselves.
Inputs are multiples of 1/32 in [-4, 4] (exact in float32 and decimal text), all distinct
within a case for the fractional family so that ties cannot hide a wrong window.
"""

import json
import pathlib

import numpy as np
import torch
import torch.nn.functional as F

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "tests" / "fixtures" / "torch_fractional.json"
SEED = 20250301
STEP = 1.0 / 32.0
RNG = np.random.default_rng(SEED)
CASES = []


def distinct_input(shape):
    """float32 (C, H, W) of distinct multiples of 1/32 in [-4, 4]."""
    n = int(np.prod(shape))
    steps = RNG.permutation(np.arange(-128, 129))[:n] if n <= 257 else RNG.integers(-128, 129, n)
    return (np.asarray(steps) * STEP).astype(np.float32).reshape(shape)


def tied_input(shape):
    """float32 (C, H, W) of small whole numbers: many ties."""
    return RNG.integers(0, 4, size=shape).astype(np.float32)


def size_text(h, w):
    return str(h) if h == w else f"{h}x{w}"


def num_text(v):
    return repr(float(v))


def encode(v):
    f = float(np.float32(v))
    if f == int(f):
        return int(f)
    return f


def add(family, name, stage, x, y, indices=None):
    y = y.squeeze(0).to(torch.float32).numpy()
    case = {"name": name, "family": family, "stage": stage,
            "input_shape": list(x.shape), "input": [encode(v) for v in x.ravel()],
            "output_shape": list(y.shape), "output": [encode(v) for v in y.ravel()]}
    if indices is not None:
        case["indices"] = [int(i) for i in indices.squeeze(0).ravel()]
    assert all(c["name"] != name for c in CASES), name
    CASES.append(case)


def fractional_case(shape, k, out, u_rows, u_cols, ties=False):
    kh, kw = (k, k) if isinstance(k, int) else k
    oh, ow = (out, out) if isinstance(out, int) else out
    x = tied_input(shape) if ties else distinct_input(shape)
    c = shape[0]
    samples = torch.tensor([[[u_cols, u_rows]] * c], dtype=torch.float32)
    y = F.fractional_max_pool2d(torch.from_numpy(x).unsqueeze(0), (kh, kw), output_size=(oh, ow),
                                _random_samples=samples)
    # torch rounds the sample to float32; convpool parses u as a double and rounds it to float
    # the same way, so the short decimal is enough.
    ur = num_text(u_rows)
    uc = num_text(u_cols)
    u = ur if ur == uc else f"{ur}x{uc}"
    stage = f"pool:fractional,variant=torch,k={size_text(kh, kw)},out={size_text(oh, ow)},u={u}"
    name = f"fractional_{'x'.join(map(str, shape))}_k{kh}x{kw}_o{oh}x{ow}_u{u}" + ("_ties" if ties else "")
    add("fractional", name, stage, x, y)


def unpool_case(shape, k, s, pad=0, ceil=False, ties=False):
    kh, kw = (k, k) if isinstance(k, int) else k
    sh, sw = (s, s) if isinstance(s, int) else s
    ph, pw = (pad, pad) if isinstance(pad, int) else pad
    x = tied_input(shape) if ties else distinct_input(shape)
    t = torch.from_numpy(x).unsqueeze(0)
    pooled, idx = F.max_pool2d(t, (kh, kw), (sh, sw), (ph, pw), ceil_mode=ceil, return_indices=True)
    y = F.max_unpool2d(pooled, idx, (kh, kw), (sh, sw), (ph, pw), output_size=t.shape[-2:])
    stage = f"pool:max,k={size_text(kh, kw)},s={size_text(sh, sw)}"
    if (ph, pw) != (0, 0):
        stage += f",pad={size_text(ph, pw)}"
    if ceil:
        stage += ",ceil"
    stage += ",switches | unpool"
    name = (f"unpool_{'x'.join(map(str, shape))}_k{kh}x{kw}_s{sh}x{sw}_p{ph}x{pw}"
            + ("_ceil" if ceil else "") + ("_ties" if ties else ""))
    add("unpool", name, stage, x, y, idx)


def main():
    for shape, k, out, ur, uc in [
        ((1, 5, 5), 2, 3, 0.3, 0.3),
        ((1, 7, 7), 2, 5, 0.3, 0.7),
        ((1, 7, 9), 2, (5, 6), 0.5, 0.25),
        ((2, 10, 10), 2, 7, 0.9, 0.1),
        ((1, 10, 13), 3, (6, 8), 0.37, 0.81),
        ((1, 9, 9), 3, 4, 0.0, 0.999),
        ((3, 8, 8), 2, 4, 0.42, 0.42),
        ((1, 6, 6), 2, 5, 0.6, 0.2),
        ((1, 12, 8), (3, 2), (5, 6), 0.15, 0.55),
        ((1, 5, 5), 2, 1, 0.3, 0.3),
        ((1, 5, 5), 5, 1, 0.5, 0.5),
        ((1, 16, 16), 2, 11, 0.123, 0.877),
        ((2, 11, 7), 2, (8, 4), 0.73, 0.31),
        ((1, 20, 20), 2, 14, 0.5, 0.5),
        ((1, 25, 25), 3, 12, 0.61, 0.29),
    ]:
        fractional_case(shape, k, out, ur, uc)
    fractional_case((1, 7, 7), 2, 5, 0.3, 0.7, ties=True)
    fractional_case((2, 9, 9), 3, 6, 0.45, 0.65, ties=True)

    for shape, k, s, pad, ceil in [
        ((1, 4, 4), 2, 2, 0, False),
        ((1, 5, 5), 2, 2, 0, False),
        ((2, 6, 6), 3, 2, 1, False),
        ((1, 7, 5), (3, 2), (2, 1), (1, 0), False),
        ((1, 5, 5), 2, 2, 0, True),
        ((1, 6, 7), 3, 2, 1, True),
        ((3, 8, 8), 2, 2, 0, False),
        ((1, 9, 9), 3, 3, 0, False),
    ]:
        unpool_case(shape, k, s, pad, ceil)
    unpool_case((1, 6, 6), 2, 2, 0, False, ties=True)
    unpool_case((1, 6, 6), 3, 3, 1, False, ties=True)

    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    doc = {"generator": "scripts/make_torch_fixtures_fractional.py", "torch": torch.__version__,
           "seed": SEED, "cases": CASES}
    # One case per line: readable diffs without one number per line.
    lines = ",\n".join("  " + json.dumps(c) for c in CASES)
    head = json.dumps({k: v for k, v in doc.items() if k != "cases"})[:-1]
    OUTPUT.write_text(head + ', "cases": [\n' + lines + "\n]}\n")
    print(f"wrote {len(CASES)} cases to {OUTPUT}")


if __name__ == "__main__":
    main()
