#!/usr/bin/env python3
"""Generate tests/fixtures/torch_modern.json: PyTorch reference outputs for convpool's newer
pools (BlurPool, MaxBlurPool, SoftPool, GeM, mixed, median and spatial pyramid pooling).

Run it from anywhere as

    /usr/bin/python3 scripts/make_torch_fixtures_modern.py

with Debian's python3-torch. Deterministic: the same torch/numpy versions give the same file.
Helpers and the file layout are those of make_torch_fixtures.py (imported from beside this file).
Every case runs in float64 and is rounded to float32 once; the C++ test compares within
|convpool - torch| <= 1e-5 * max|torch| + 1e-7 over the case's output.

    family   convpool stage                       torch
    blur     pool:blur,s=S,filter=F,border=B      antialiased-cnns' BlurPool: F.pad(x, [(F-1)//2,
                                                  ceil((F-1)/2)] per axis, mode='reflect' |
                                                  'replicate' | 'constant'), then F.conv2d with
                                                  outer(a, a)/sum, stride S, groups=C
    maxblur  pool:maxblur,k=K,s=S,filter=F        F.max_pool2d(x, K, stride=1), then the blur
    soft     pool:soft,k,s,pad,ceil               per channel avg_pool2d(x*exp(x)) /
                                                  avg_pool2d(exp(x)) (SoftPool, eq. 1-2 of the
                                                  paper; padding adds 0 to both sums)
    gem      pool:gem,...,p=P / pool:global-gem   avg_pool2d(x.clamp(min=eps)^p,
                                                  count_include_pad=False)^(1/p); adaptive to 1x1
    mixed    pool:mixed,...,a=A,count-pad=B      a*max_pool2d + (1-a)*avg_pool2d(count_include_pad=B)
    median   pool:median,k,s,pad,ceil             pad with NaN (and past the end for ceil mode),
                                                  F.unfold, torch.nanmedian (the lower median)
    spp      pool:spp,levels=[..],mode=M,bins=B   per level L: adaptive_max_pool2d(x, L) (or avg)
                                                  flattened, concatenated; bins=paper:
                                                  max_pool2d(x, ceil(a/L), stride floor(a/L)),
                                                  its first L x L windows
"""

import math
import pathlib
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import make_torch_fixtures as base  # noqa: E402  (beside this file)

OUTPUT = base.ROOT / "tests" / "fixtures" / "torch_modern.json"
SEED = base.SEED

CASES = []


def add_case(family, name, stage, x, y):
    """base.add_case into this file's list."""
    saved = base.CASES
    base.CASES = CASES
    try:
        base.add_case(family, name, stage, x, y)
    finally:
        base.CASES = saved


def binomial(filt_size):
    """antialiased-cnns' get_filter: the binomial row of filt_size taps."""
    rows = {1: [1.], 2: [1., 1.], 3: [1., 2., 1.], 4: [1., 3., 3., 1.], 5: [1., 4., 6., 4., 1.],
            6: [1., 5., 10., 10., 5., 1.], 7: [1., 6., 15., 20., 15., 6., 1.]}
    a = torch.tensor(rows[filt_size], dtype=torch.float64)
    filt = a[:, None] * a[None, :]
    return filt / torch.sum(filt)


def blur_torch(x, filt_size, stride, pad_type):
    """BlurPool(channels, pad_type, filt_size, stride).forward, in float64."""
    before = (filt_size - 1) // 2
    after = int(math.ceil((filt_size - 1) / 2.0))
    channels = x.shape[1]
    filt = binomial(filt_size)[None, None, :, :].repeat(channels, 1, 1, 1)
    mode = {"reflect101": "reflect", "replicate": "replicate", "zero": "constant"}[pad_type]
    padded = F.pad(x, [before, after, before, after], mode=mode)
    if filt_size == 1:
        return padded[:, :, ::stride[0], ::stride[1]]
    return F.conv2d(padded, filt, stride=stride, groups=channels)


def blur_stage(filt_size, stride, border):
    stage = f"pool:blur,s={base.size_text(stride)},filter={filt_size}"
    return stage if border == "reflect101" else f"{stage},border={border}"


def blur_cases():
    geometries = [
        # shape, filter, stride, border
        ((1, 8, 8), 4, 2, "reflect101"),
        ((3, 9, 7), 4, 2, "reflect101"),
        ((2, 7, 11), 3, 2, "reflect101"),
        ((1, 10, 9), 5, 2, "reflect101"),
        ((2, 9, 9), 7, 3, "reflect101"),
        ((1, 8, 13), 6, (2, 3), "reflect101"),
        ((2, 5, 6), 2, 1, "reflect101"),
        ((1, 7, 9), 1, 2, "reflect101"),
        ((1, 3, 3), 4, 2, "reflect101"),  # the smallest input that filter 4 may reflect
        ((2, 9, 8), 4, 2, "replicate"),
        ((1, 2, 5), 7, 2, "replicate"),  # smaller than the padding: replicate accepts it
        ((2, 9, 8), 5, 3, "zero"),
        ((1, 6, 7), 4, 1, "zero"),
    ]
    for shape, filt_size, stride, border in geometries:
        x = base.random_input(shape)
        stride = base.pair(stride)
        y = blur_torch(base.batch(x, torch.float64), filt_size, stride, border)
        name = f"blur_{base.shape_tag(shape)}_f{filt_size}_s{base.size_text(stride)}_{border}"
        add_case("blur", name, blur_stage(filt_size, stride, border), x, y)


def maxblur_cases():
    geometries = [
        # shape, k, filter, stride, border
        ((1, 8, 8), 2, 4, 2, "reflect101"),
        ((3, 9, 7), 2, 4, 2, "reflect101"),
        ((2, 11, 10), 3, 3, 2, "reflect101"),
        ((1, 9, 12), (2, 3), 5, (2, 3), "replicate"),
        ((2, 7, 7), 2, 1, 2, "reflect101"),
        ((1, 10, 9), 3, 4, 1, "zero"),
    ]
    for shape, k, filt_size, stride, border in geometries:
        x = base.random_input(shape)
        stride = base.pair(stride)
        pooled = F.max_pool2d(base.batch(x, torch.float64), base.pair(k), stride=1)
        y = blur_torch(pooled, filt_size, stride, border)
        stage = blur_stage(filt_size, stride, border).replace(
            "pool:blur,", f"pool:maxblur,k={base.size_text(k)},")
        name = (f"maxblur_{base.shape_tag(shape)}_k{base.size_text(k)}_f{filt_size}"
                f"_s{base.size_text(stride)}_{border}")
        add_case("maxblur", name, stage, x, y)


SLIDING = [
    # shape, k, s, pad, ceil
    ((1, 4, 4), 2, 2, 0, False),
    ((3, 7, 7), 3, 2, 1, False),
    ((3, 7, 7), 3, 2, 1, True),
    ((2, 9, 8), (3, 2), (2, 1), (1, 0), True),
    ((2, 11, 9), 4, 3, 2, True),
    ((1, 8, 13), (2, 5), (1, 3), (1, 2), True),
    ((1, 5, 5), 2, 2, 1, True),  # the ceil rule drops a window that would start in the padding
    ((2, 6, 6), 3, 1, 1, False),
]


def sliding_args(k, s, pad, ceil):
    return dict(kernel_size=base.pair(k), stride=base.pair(s), padding=base.pair(pad),
                ceil_mode=ceil)


def soft_cases():
    for shape, k, s, pad, ceil in SLIDING:
        x = base.random_input(shape)
        t = base.batch(x, torch.float64)
        args = sliding_args(k, s, pad, ceil)
        y = F.avg_pool2d(t * torch.exp(t), **args) / F.avg_pool2d(torch.exp(t), **args)
        add_case("soft", base.pool_name("soft", shape, k, s, pad, 1, ceil),
                 base.pool_stage("soft", k, s, pad, 1, ceil), x, y)
    # Large values: exp(x) overflows float32 (not float64); the softmax is shift-invariant.
    x = base.random_input((1, 6, 6)) + np.float32(60.0)
    t = base.batch(x, torch.float64)
    y = F.avg_pool2d(t * torch.exp(t), 3, 2, 1) / F.avg_pool2d(torch.exp(t), 3, 2, 1)
    add_case("soft", "soft_1x6x6_k3_s2_p1_large", "pool:soft,k=3,s=2,pad=1", x, y)


def gem_torch(t, p, eps, **args):
    return F.avg_pool2d(t.clamp(min=eps).pow(p), count_include_pad=False, **args).pow(1.0 / p)


def gem_cases():
    for i, (shape, k, s, pad, ceil) in enumerate(SLIDING):
        p = (3.0, 1.0, 2.5, 6.0)[i % 4]
        x = base.random_input(shape)
        y = gem_torch(base.batch(x, torch.float64), p, 1e-6, **sliding_args(k, s, pad, ceil))
        p_text = f"{p:g}"
        add_case("gem", base.pool_name(f"gem{p_text.replace('.', '_')}", shape, k, s, pad, 1, ceil),
                 base.pool_stage("gem", k, s, pad, 1, ceil, f"p={p_text}"), x, y)
    # eps bites: most values below 0.5 clamp to it.
    x = base.random_input((2, 6, 7), -1.0, 1.0)
    y = gem_torch(base.batch(x, torch.float64), 2.0, 0.5, kernel_size=2, stride=2)
    add_case("gem", "gem2_2x6x7_k2_s2_eps0_5", "pool:gem,k=2,s=2,p=2,eps=0.5", x, y)
    for shape, p in (((3, 7, 9), 3.0), ((2, 5, 4), 1.5), ((1, 12, 10), 8.0)):
        x = base.random_input(shape)
        t = base.batch(x, torch.float64)
        y = F.adaptive_avg_pool2d(t.clamp(min=1e-6).pow(p), 1).pow(1.0 / p)
        p_text = f"{p:g}"
        add_case("gem", f"global_gem{p_text.replace('.', '_')}_{base.shape_tag(shape)}",
                 f"pool:global-gem,p={p_text}", x, y)


def mixed_cases():
    for i, (shape, k, s, pad, ceil) in enumerate(SLIDING):
        a = (0.5, 0.25, 0.9, 0.0, 1.0)[i % 5]
        count_pad = i % 3 != 1
        x = base.random_input(shape)
        t = base.batch(x, torch.float64)
        args = sliding_args(k, s, pad, ceil)
        y = a * F.max_pool2d(t, **args) + (1.0 - a) * F.avg_pool2d(
            t, count_include_pad=count_pad, **args)
        extra = f"a={a:g}" + ("" if count_pad else ",count-pad=false")
        tag = f"a{a:g}".replace(".", "_") + ("" if count_pad else "_nocountpad")
        add_case("mixed", base.pool_name("mixed", shape, k, s, pad, 1, ceil, tag),
                 base.pool_stage("mixed", k, s, pad, 1, ceil, extra), x, y)


def median_torch(t, k, s, pad, dilation, ceil):
    """Lower median of the real cells: NaN padding (and NaN past the end for ceil mode)."""
    kh, kw = base.pair(k)
    sh, sw = base.pair(s)
    ph, pw = base.pair(pad)
    dh, dw = base.pair(dilation)
    ref = F.max_pool2d(t, (kh, kw), (sh, sw), (ph, pw), (dh, dw), ceil_mode=ceil)
    oh, ow = ref.shape[-2:]
    h, w = t.shape[-2:]
    extra_h = max((oh - 1) * sh + dh * (kh - 1) + 1 - (h + 2 * ph), 0)
    extra_w = max((ow - 1) * sw + dw * (kw - 1) + 1 - (w + 2 * pw), 0)
    padded = F.pad(t, [pw, pw + extra_w, ph, ph + extra_h], value=float("nan"))
    cols = F.unfold(padded, (kh, kw), dilation=(dh, dw), stride=(sh, sw))
    n, c = t.shape[:2]
    cols = cols.view(n, c, kh * kw, -1)
    med = torch.nanmedian(cols, dim=2).values
    return med.view(n, c, oh, ow)


def median_cases():
    for shape, k, s, pad, ceil in SLIDING:
        x = base.random_input(shape)
        y = median_torch(base.batch(x, torch.float64), k, s, pad, 1, ceil)
        add_case("median", base.pool_name("median", shape, k, s, pad, 1, ceil),
                 base.pool_stage("median", k, s, pad, 1, ceil), x, y)
    # Ties (whole numbers) and even windows, where the lower middle value is taken.
    x = base.integer_input((2, 6, 8), -2, 2)
    y = median_torch(base.batch(x, torch.float64), 2, 2, 0, 1, False)
    add_case("median", "median_2x6x8_k2_s2_ties", "pool:median,k=2,s=2", x, y)
    x = base.random_input((1, 9, 10))
    y = median_torch(base.batch(x, torch.float64), (3, 2), (2, 1), (1, 1), 2, True)
    add_case("median", "median_1x9x10_k3x2_s2x1_p1_d2_ceil",
             "pool:median,k=3x2,s=2x1,pad=1,dilation=2,ceil", x, y)


def spp_torch(t, levels, mode, bins):
    """SPP: per level the LxL bins of each channel, flattened and concatenated: (1, C, 1, N)."""
    parts = []
    h, w = t.shape[-2:]
    for level in levels:
        if bins == "adaptive":
            pool = F.adaptive_max_pool2d if mode == "max" else F.adaptive_avg_pool2d
            y = pool(t, level)
        else:
            kernel = (math.ceil(h / level), math.ceil(w / level))
            stride = (h // level, w // level)
            pool = F.max_pool2d if mode == "max" else F.avg_pool2d
            y = pool(t, kernel, stride)[:, :, :level, :level]
        parts.append(y.flatten(2))
    return torch.cat(parts, dim=2).unsqueeze(2)


def spp_cases():
    for shape, levels, mode, bins in (((3, 13, 11), (1, 2, 4), "max", "adaptive"),
                                      ((2, 10, 10), (1, 2, 4), "avg", "adaptive"),
                                      ((1, 5, 7), (1, 2, 3, 6), "max", "adaptive"),
                                      ((2, 3, 9), (1, 2, 4), "avg", "adaptive"),
                                      ((3, 10, 13), (1, 2, 4), "max", "paper"),
                                      ((2, 10, 10), (4,), "avg", "paper"),
                                      ((1, 17, 12), (1, 3, 5), "max", "paper"),
                                      ((2, 8, 9), (2, 1), "avg", "paper")):
        x = base.random_input(shape)
        y = spp_torch(base.batch(x, torch.float64), levels, mode, bins)
        text = " ".join(str(level) for level in levels)
        tag = "_".join(str(level) for level in levels)
        add_case("spp", f"spp_{base.shape_tag(shape)}_l{tag}_{mode}_{bins}",
                 f"pool:spp,levels=[{text}],mode={mode},bins={bins}", x, y)


def main():
    blur_cases()
    maxblur_cases()
    soft_cases()
    gem_cases()
    mixed_cases()
    median_cases()
    spp_cases()
    base.write_fixture(OUTPUT, "scripts/make_torch_fixtures_modern.py", SEED, CASES)


if __name__ == "__main__":
    main()
