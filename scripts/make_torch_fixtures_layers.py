#!/usr/bin/env python3
"""Generate PyTorch reference outputs for convpool's network layers:

- tests/fixtures/torch_layers.json, read by tests/ops/test_<op>.cpp through
  tests/torch_fixtures.hpp: one stage on one small C x H x W input, the weights files the stage
  names (`@w.npy`, `@b.npy`) stored beside it as arrays, and torch's output;
- tests/fixtures/layers/*.npy, read by tests/cli/test_layers.py: an input image, a conv layer's
  weights and bias, and torch's output of `conv | relu | max_pool2d` on it.

Run it from anywhere as

    /usr/bin/python3 scripts/make_torch_fixtures_layers.py

with Debian's python3-torch. Deterministic: the same torch/numpy versions give the same files.
Helpers and the JSON layout are those of make_torch_fixtures.py (imported from beside this file).
Torch runs in float64 on the float32 values convpool reads, and the result is rounded to float32
once; the C++ test compares within |convpool - torch| <= 1e-4 * max|torch| + 1e-6 over the
case's output (outputs cross zero, so a relative tolerance per value would be meaningless).

    family  convpool stage                           torch
    conv    conv:weights=@w.npy,bias=@b.npy,groups,  F.conv2d(x, w, b, stride, pad, dilation,
            stride,pad,dilation,border               groups) after F.pad(mode=reflect |
                                                     replicate | circular) for the borders
                                                     reflect101, replicate and wrap
    bn      bn:mean=..,var=..,weight=..,bias=..,eps  F.batch_norm(x, mean, var, weight, bias,
                                                     training=False, eps=eps)
    nearest upsample:scale=R|size=HxW                F.interpolate(mode='nearest') in float32
                                                     (exact: it only picks values)
    bilinear upsample:...,mode=bilinear[,align-corners]  F.interpolate(mode='bilinear',
                                                     align_corners=...) in float32, torch's own
                                                     arithmetic for float tensors
"""

import pathlib
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import make_torch_fixtures as base  # noqa: E402  (beside this file)

OUTPUT = base.ROOT / "tests" / "fixtures" / "torch_layers.json"
NPY_DIR = base.ROOT / "tests" / "fixtures" / "layers"
SEED = 20261207

RNG = np.random.default_rng(SEED)
CASES = []

TORCH_MODE = {"reflect101": "reflect", "replicate": "replicate", "wrap": "circular"}


def random_array(shape, scale=1.0):
    """float32 values of a normal distribution times `scale`."""
    return (RNG.standard_normal(size=shape) * scale).astype(np.float32)


def array_entry(a):
    return {"shape": list(a.shape), "values": [base.encode(v) for v in a.ravel()]}


def add_case(family, name, stage, x, y, arrays):
    """One case: `x` the float32 (C, H, W) input, `y` torch's (1, C', H', W') output, `arrays`
    the weights files the stage names, by the name it uses."""
    y = y.squeeze(0).to(torch.float32).numpy()
    assert x.dtype == np.float32 and x.ndim == 3 and y.ndim == 3 and y.size > 0, name
    assert all(c["name"] != name for c in CASES), f"duplicate case name {name}"
    CASES.append({
        "name": name,
        "family": family,
        "stage": stage,
        "input_shape": list(x.shape),
        "input": [base.encode(v) for v in x.ravel()],
        "output_shape": list(y.shape),
        "output": [base.encode(v) for v in y.ravel()],
        "arrays": {key: array_entry(a) for key, a in arrays.items()},
    })


def torch_conv(x, w, b, stride, pad, dilation, groups, border):
    """F.conv2d in float64 on float32 values; pad (ph, pw); border as convpool names it."""
    xt = base.batch(x, torch.float64)
    wt = torch.from_numpy(w).to(torch.float64)
    bt = None if b is None else torch.from_numpy(np.asarray(b, dtype=np.float32)).to(torch.float64)
    ph, pw = pad
    if border == "zero":
        return F.conv2d(xt, wt, bt, stride, (ph, pw), dilation, groups)
    xt = F.pad(xt, (pw, pw, ph, ph), mode=TORCH_MODE[border])
    return F.conv2d(xt, wt, bt, stride, 0, dilation, groups)


def conv_case(c_in, c_out, hw, k, groups=1, stride=1, pad=0, dilation=1, border="zero",
              bias="file", tag=""):
    """conv:weights on a random input; bias "file" (@b.npy), "none", or a number."""
    k = base.pair(k)
    stride, pad, dilation = base.pair(stride), base.pair(pad), base.pair(dilation)
    x = random_array((c_in, *hw))
    w = random_array((c_out, c_in // groups, *k), scale=0.5)
    arrays = {"w.npy": w}
    parts = ["conv:weights=@w.npy"]
    b = None
    if bias == "file":
        b = random_array((c_out,), scale=0.5)
        arrays["b.npy"] = b
        parts.append("bias=@b.npy")
    elif bias != "none":
        b = np.full((c_out,), bias, dtype=np.float32)
        parts.append(f"bias={bias}")
    if groups != 1:
        parts.append(f"groups={groups}")
    if stride != (1, 1):
        parts.append(f"stride={base.size_text(stride)}")
    if pad != (0, 0):
        parts.append(f"pad={base.size_text(pad)}")
    if dilation != (1, 1):
        parts.append(f"dilation={base.size_text(dilation)}")
    if border != "zero":
        parts.append(f"border={border}")
    y = torch_conv(x, w, b, stride, pad, dilation, groups, border)
    name = (f"conv_{c_in}to{c_out}_g{groups}_{base.shape_tag(hw)}_k{base.size_text(k)}"
            f"_s{base.size_text(stride)}_p{base.size_text(pad)}_d{base.size_text(dilation)}"
            f"_{border}_{bias if bias in ('file', 'none') else 'number'}")
    if tag:
        name += f"_{tag}"
    add_case("conv", name, ",".join(parts), x, y, arrays)


def conv_cases():
    # Every kernel size 1 to 7, square and not, groups 1.
    for k in range(1, 8):
        conv_case(3, 4, (9, 10), k, pad=k // 2)
    conv_case(2, 3, (8, 11), (1, 5), pad=(0, 2))
    conv_case(2, 3, (10, 7), (4, 2), pad=(1, 1))
    # Groups: 2, depthwise (groups = C_in = C_out), depthwise with a multiplier.
    conv_case(4, 6, (9, 9), 3, groups=2, pad=1)
    conv_case(6, 4, (7, 8), 5, groups=2, pad=2, stride=2)
    conv_case(3, 3, (9, 10), 3, groups=3, pad=1)
    conv_case(4, 8, (8, 8), 3, groups=4, pad=0)
    # Bias: none, a number.
    conv_case(3, 5, (7, 7), 3, pad=1, bias="none")
    conv_case(3, 5, (7, 7), 3, pad=1, bias="0.25")
    # Stride, padding, dilation.
    conv_case(3, 4, (11, 13), 3, stride=2, pad=1)
    conv_case(3, 4, (12, 12), 7, stride=2, pad=3, tag="stem")
    conv_case(2, 3, (13, 11), 3, stride=(2, 3), pad=(1, 2))
    conv_case(2, 3, (12, 12), 3, dilation=2, pad=2)
    conv_case(2, 3, (13, 12), 3, dilation=(2, 3), stride=(1, 2), pad=(2, 1))
    conv_case(1, 2, (6, 6), 3, pad=0)
    # Every border torch has (zeros, reflect, replicate, circular).
    for border in ("reflect101", "replicate", "wrap"):
        conv_case(3, 4, (8, 9), 3, pad=1, border=border)
        conv_case(2, 4, (9, 8), 5, groups=2, pad=2, stride=2, border=border)
        conv_case(2, 3, (10, 9), 3, pad=(2, 1), dilation=2, border=border)


def list_text(values):
    return "[" + " ".join(base.number_text(v) for v in values) + "]"


def bn_case(c, hw, form, eps=None, tag=""):
    """batch_norm on a random input; `form` "file" (@m.npy ...), "list" ([a b ...]) or
    "number" (one value for every channel, weight and bias left at 1 and 0)."""
    x = random_array((c, *hw), scale=2.0)
    n = 1 if form == "number" else c
    mean = random_array((n,))
    var = (RNG.random(size=(n,)) * 2.0 + 0.05).astype(np.float32)
    weight = random_array((n,)) if form != "number" else np.ones((1,), np.float32)
    bias = random_array((n,)) if form != "number" else np.zeros((1,), np.float32)
    arrays = {}
    if form == "file":
        arrays = {"m.npy": mean, "v.npy": var, "g.npy": weight, "b.npy": bias}
        parts = ["bn:mean=@m.npy", "var=@v.npy", "weight=@g.npy", "bias=@b.npy"]
    elif form == "list":
        parts = [f"bn:mean={list_text(mean)}", f"var={list_text(var)}",
                 f"weight={list_text(weight)}", f"bias={list_text(bias)}"]
    else:
        parts = [f"bn:mean={base.number_text(mean[0])}", f"var={base.number_text(var[0])}"]
    if eps is not None:
        parts.append(f"eps={eps}")

    def t(a):
        return torch.from_numpy(np.broadcast_to(a, (c,)).copy()).to(torch.float64)

    y = F.batch_norm(base.batch(x, torch.float64), t(mean), t(var), t(weight), t(bias),
                     training=False, eps=1e-5 if eps is None else eps)
    name = f"bn_{c}_{base.shape_tag(hw)}_{form}" + (f"_eps{eps}" if eps is not None else "")
    if tag:
        name += f"_{tag}"
    add_case("bn", name, ",".join(parts), x, y, arrays)


def bn_cases():
    bn_case(3, (5, 6), "file")
    bn_case(8, (4, 4), "file", eps=1e-3)
    bn_case(4, (3, 7), "list")
    bn_case(2, (6, 5), "number")
    bn_case(1, (7, 7), "list", eps=0.1)


def upsample_case(c, hw, mode, scale=None, size=None, align_corners=False):
    """F.interpolate by a scale factor (recompute_scale_factor unset) or to a size."""
    x = random_array((c, *hw), scale=2.0)
    parts = ["upsample:"]
    xt = base.batch(x, torch.float32)
    kwargs = {"mode": mode}
    if mode == "bilinear":
        kwargs["align_corners"] = align_corners
    if scale is not None:
        sh, sw = scale if isinstance(scale, tuple) else (scale, scale)
        parts[0] += "scale=" + (base.number_text(sh) if sh == sw else
                                f"{base.number_text(sh)}x{base.number_text(sw)}")
        y = F.interpolate(xt, scale_factor=(sh, sw), **kwargs)
        what = f"scale{sh}x{sw}"
    else:
        parts[0] += f"size={base.size_text(size)}"
        y = F.interpolate(xt, size=base.pair(size), **kwargs)
        what = f"size{base.size_text(size)}"
    if mode == "bilinear":
        parts.append("mode=bilinear")
    if align_corners:
        parts.append("align-corners")
    name = f"upsample_{mode}_{c}_{base.shape_tag(hw)}_{what}" + ("_ac" if align_corners else "")
    add_case(mode, name, ",".join(parts), x, y, {})


def upsample_cases():
    for mode in ("nearest", "bilinear"):
        corners = (False, True) if mode == "bilinear" else (False,)
        for ac in corners:
            upsample_case(2, (4, 5), mode, scale=2, align_corners=ac)
            upsample_case(1, (5, 5), mode, scale=1.5, align_corners=ac)
            upsample_case(1, (5, 5), mode, size=7, align_corners=ac)  # the same size, other reads
            upsample_case(2, (3, 4), mode, scale=(3, 2.5), align_corners=ac)
            upsample_case(1, (6, 7), mode, scale=1.7, align_corners=ac)
            upsample_case(1, (7, 9), mode, size=(3, 4), align_corners=ac)  # downsampling
            upsample_case(3, (4, 4), mode, size=(9, 13), align_corners=ac)
            upsample_case(1, (1, 3), mode, size=(4, 1), align_corners=ac)
            upsample_case(1, (6, 6), mode, scale=0.5, align_corners=ac)


def npy_fixtures():
    """The CLI test's files: a 3 x 20 x 24 image in [0, 1], weights 6 x 3 x 5 x 5, bias 6,
    and torch's maxpool2d(relu(conv2d(x, w, b, padding=0)), 2)."""
    NPY_DIR.mkdir(parents=True, exist_ok=True)
    x = RNG.random(size=(3, 20, 24)).astype(np.float32)
    w = random_array((6, 3, 5, 5), scale=0.5)
    b = random_array((6,), scale=0.5)
    y = torch_conv(x, w, b, (1, 1), (0, 0), (1, 1), 1, "zero")
    y = F.max_pool2d(F.relu(y), 2).squeeze(0).to(torch.float32).numpy()
    # float16 and float64 copies of the weights: convpool reads every float width.
    np.save(NPY_DIR / "image.npy", x)
    np.save(NPY_DIR / "w.npy", w)
    np.save(NPY_DIR / "w_f64.npy", w.astype(np.float64))
    np.save(NPY_DIR / "b.npy", b)
    np.save(NPY_DIR / "conv_relu_pool.npy", y)
    print(f"wrote {NPY_DIR.relative_to(base.ROOT)}: image, w, w_f64, b, conv_relu_pool")


def main():
    conv_cases()
    bn_cases()
    upsample_cases()
    base.write_fixture(OUTPUT, "scripts/make_torch_fixtures_layers.py", SEED, CASES)
    npy_fixtures()


if __name__ == "__main__":
    main()
