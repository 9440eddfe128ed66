#!/usr/bin/python3
"""The peer of `convpool run`'s default job for bench/whole_run.py: what a user would write in
Python for a folder of photos, with PyTorch and matplotlib.

Per image: the stages of `gray | conv:sobel-x | relu | pool:max,k=2,s=2` with
`torch.nn.functional` (gray 0.299 R + 0.587 G + 0.114 B of values in [0, 1], sobel-x as a
cross-correlation padded to the same size by reflection, as conv:sobel-x's defaults, relu,
2x2 max pooling of stride 2), one matplotlib `imshow` figure with a colour bar per stage (the input too) saved as a PNG at dpi 100 at the size of
convpool's picture of that stage (`--sizes`, width x height per stage, as whole_run.py reads
them from convpool's own pictures), and the statistics convpool's report holds for each stage
and channel with numpy (count, min, max, mean, std, zero and negative shares, entropy of 256
bins, the 1st, 50th and 99th percentiles, a 64-bin histogram of the stage), written as one JSON
file per image. Two worker processes (`multiprocessing.Pool(2)`), one image each at a time.

Usage (Debian's interpreter: python3-torch, python3-numpy, python3-pil, python3-matplotlib):

    /usr/bin/python3 bench/torch_matplotlib.py OUT_DIR IMAGE... --sizes 1200x860,1200x860,...
"""

import argparse
import json
import os
from multiprocessing import Pool
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display: files only
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from PIL import Image  # noqa: E402

SOBEL_X = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]).view(1, 1, 3, 3)
GRAY = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
STAGES = ["input", "gray", "conv-sobel-x", "relu", "pool-max"]


def stats(values):
    """The statistics of one set of values (convpool's ChannelStats)."""
    v = values.ravel().astype(np.float64)
    finite = v[np.isfinite(v)]
    n = finite.size
    out = {"count": int(v.size), "nonfinite": int(v.size - n)}
    if n == 0:
        return out
    lo, hi = float(finite.min()), float(finite.max())
    out.update(min=lo, max=hi, mean=float(finite.mean()), std=float(finite.std()),
               zero_fraction=float(np.count_nonzero(finite == 0) / n),
               negative_fraction=float(np.count_nonzero(finite < 0) / n))
    if hi > lo:
        counts, _ = np.histogram(finite, bins=256, range=(lo, hi))
        p = counts[counts > 0] / n
        out["entropy"] = float(-(p * np.log2(p)).sum())
    else:
        out["entropy"] = 0.0
    out["p1"], out["p50"], out["p99"] = (float(x) for x in np.percentile(finite, [1, 50, 99]))
    return out


def stage_stats(t):
    """Statistics of a CxHxW stage: overall, per channel, and its 64-bin histogram."""
    a = t.numpy()
    finite = a[np.isfinite(a)]
    hist = np.histogram(finite, bins=64)[0].tolist() if finite.size else []
    return {"overall": stats(a), "channels": [stats(c) for c in a], "histogram": hist}


def figure(t, size, path, title):
    """One imshow figure with a colour bar, `size` (width, height) px at dpi 100."""
    a = t.numpy()
    fig = plt.figure(figsize=(size[0] / 100, size[1] / 100), dpi=100)
    ax = fig.add_subplot()
    if a.shape[0] == 3:
        im = ax.imshow(np.clip(a.transpose(1, 2, 0), 0, 1))
    else:
        lo, hi = float(a.min()), float(a.max())
        signed = lo < 0 < hi
        bound = max(-lo, hi)
        im = ax.imshow(a[0], cmap="bwr" if signed else "viridis",
                       vmin=-bound if signed else lo, vmax=bound if signed else hi)
    ax.set_title(title)
    ax.set_axis_off()
    fig.colorbar(im, ax=ax)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def one(job):
    """Every stage of one image, its figures and its statistics."""
    src, out_dir, sizes = job
    name = Path(src).stem
    folder = Path(out_dir) / name
    folder.mkdir(parents=True, exist_ok=True)
    rgb = torch.from_numpy(np.asarray(Image.open(src).convert("RGB"), dtype=np.float32) / 255.0)
    x = rgb.permute(2, 0, 1).unsqueeze(0).contiguous()
    with torch.no_grad():
        gray = F.conv2d(x, GRAY)
        # conv:sobel-x's defaults: pad=same, border=reflect101 (torch's "reflect").
        conv = F.conv2d(F.pad(gray, (1, 1, 1, 1), mode="reflect"), SOBEL_X)
        relu = F.relu(conv)
        pool = F.max_pool2d(relu, 2, 2)
    report = []
    for k, (stage, t) in enumerate(zip(STAGES, (x, gray, conv, relu, pool))):
        t = t[0]
        figure(t, sizes[k], folder / f"{k:02}_{stage}.png", f"{k:02} {stage} {tuple(t.shape)}")
        report.append({"stage": stage, **stage_stats(t)})
    with open(folder / "report.json", "w", encoding="utf-8") as f:
        json.dump(report, f)
    return name


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("images", nargs="+")
    ap.add_argument("--sizes", required=True,
                    help="per stage, the picture's WxH in px (comma separated, 5 stages)")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    sizes = [tuple(int(v) for v in s.split("x")) for s in args.sizes.split(",")]
    if len(sizes) != len(STAGES):
        ap.error(f"--sizes: {len(STAGES)} sizes wanted, got {len(sizes)}")
    torch.set_num_threads(1)  # one core per worker process, as convpool's -j 2 jobs share two
    os.environ["OMP_NUM_THREADS"] = "1"
    with Pool(args.workers) as pool:
        for _ in pool.imap_unordered(one, [(i, str(args.out), sizes) for i in args.images]):
            pass


if __name__ == "__main__":
    main()
