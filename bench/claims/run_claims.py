#!/usr/bin/env python3
"""Regenerates the measured part of docs/claims.md: `convpool probe` over every image of samples/
for max, avg, blur, maxblur, soft and gem pooling (k=2, s=2; blur and maxblur with their
defaults, filter=4), after three pipelines, with the means and spreads over the images: an edge
map, one convolution layer (8 Gabor filters), and a stack of three layers where every pool is the
mode under test (`probe --replace-pools`).

Usage (from the repository root):
    /usr/bin/python3 bench/claims/make_gabor.py            # only if gabor8.npy is to be remade
    /usr/bin/python3 bench/claims/make_stack.py            # only if he16x8/he16x16.npy are to be remade
    /usr/bin/python3 bench/claims/run_claims.py --convpool build/release/convpool [--jobs 2]

It writes docs/claims-data/<pipeline>/summary.json and .csv (convpool's own batch summary), copies
the summary charts to docs/images/claims-<pipeline>-*.png and rewrites the part of
docs/claims.md between the markers `<!-- claims:begin -->` and `<!-- claims:end -->`. The prose
around the tables is written by hand from these numbers: rerun, then reread it.
Standard library only.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
# noise-psnr.png is left out: with one sigma its points are only moved sideways (dodged) around it.
CHARTS = ["shift-correlation.png", "equivariance-correlation.png", "consistency.png",
          "consistency-cosine.png"]
MODES = "max,avg,blur,maxblur,soft,gem"
GABOR = "conv:weights=@bench/claims/gabor8.npy,pad=3 | relu"
# The stack: the Gabor layer, then two 3x3 layers of He-initialised random weights
# (make_stack.py), each followed by a pool; with --replace-pools every `pool:max` below becomes
# the mode under test, and the last pool is the one measured.
STACK = (f"gray | {GABOR} | pool:max | conv:weights=@bench/claims/he16x8.npy,pad=1 | relu | pool:max"
         " | conv:weights=@bench/claims/he16x16.npy,pad=1 | relu | pool:max")
# name, pipeline, title, options of that run (the seed fixes the noise fields and the crop
# pairs).
COMMON = ["-k", "2", "--seed", "0", "--shifts", "4", "--pairs", "4", "--noise", "0.05",
          "--salt-pepper", "0.02"]
PIPELINES = [
    ("sobel", "gray | conv:sobel-x | relu", "edges: `gray | conv:sobel-x | relu` (1 channel)",
     COMMON + ["--cos-tolerance", "0.99"]),
    # The same options as the edge map's; its maps are 8 times larger, so this run takes longest.
    ("gabor", f"gray | {GABOR}",
     f"a small convolution layer: `gray | {GABOR}` (8 Gabor filters, 7x7, weights committed)",
     COMMON + ["--cos-tolerance", "0.99"]),
    ("stack", STACK,
     f"three layers, every pool the mode: `{STACK}` (8 Gabor filters, then 16 and 16 3x3 filters "
     "of seeded He-initialised random weights; total stride 8)",
     ["-k", "2", "--seed", "0", "--shifts", "2", "--pairs", "4", "--noise", "0.05", "--salt-pepper",
      "0.02", "--cos-tolerance", "0.99999", "--replace-pools"]),
]
# (section, metric, kind, level, what the table calls it, digits)
MEASURES = [
    ("shift", "correlation", "", "1", "shift invariance: correlation, 1 px", 3),
    ("shift", "correlation", "", "2", "shift invariance: correlation, 2 px", 3),
    ("shift", "identical", "", "1", "shift invariance: identical share, 1 px", 3),
    ("equivariance", "correlation", "", "*", "equivariance: correlation, shifted back by one stride", 4),
    ("consistency", "consistent", "", "all", "consistency: share of pairs with cosine >= {tol}", 3),
    ("consistency", "mean_cosine", "", "all", "consistency: 1 - mean cosine (x 1e-4)", None),
    ("consistency", "same_argmax", "", "all", "consistency: share of pairs with the same argmax channel", 3),
    ("noise", "psnr_db", "gaussian", "0.05", "noise: PSNR (dB), Gaussian sigma 0.05", 2),
    ("noise", "ssim", "gaussian", "0.05", "noise: SSIM, Gaussian sigma 0.05", 3),
    ("noise", "psnr_db", "salt-pepper", "0.02", "noise: PSNR (dB), salt-and-pepper 2 %", 2),
    ("loss", "nearest_psnr_db", "", "", "lost detail: PSNR (dB) of the map rebuilt by nearest upsampling", 2),
    ("loss", "discarded_fraction", "", "", "lost detail: share of values that reach no output", 3),
    ("compression", "elements", "", "", "compression: elements after / before (ratio of the means)", 3),
]


def probe(convpool, pipeline, options, out, jobs):
    cmd = [convpool, "probe", str(ROOT / "samples"), "-p", pipeline, "--modes", MODES, *options,
           "-j", str(jobs), "-o", out, "-q", "--report", "none"]
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT)
    with open(os.path.join(out, "summary.json"), encoding="utf-8") as f:
        return json.load(f)


def without_paths(path, tmp):
    """Rewrites summary.json with the inputs relative to the repository and the per-image output
    folders relative to the (temporary) output folder: no path of the machine that ran it."""
    doc = json.loads(Path(path).read_text(encoding="utf-8"))
    for image in doc["images"]:
        image["input"] = os.path.relpath(image["input"], ROOT)
        if "output_dir" in image:
            image["output_dir"] = os.path.relpath(image["output_dir"], tmp)
    Path(path).write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def find(rows, mode, section, metric, kind, level):
    """The summary row of one measurement; level "*" is the first level there is (the smallest
    shift that is a multiple of the stride, for equivariance)."""
    if level == "*":
        return next((v for k, v in rows.items() if k[:4] == (mode, section, metric, kind)), None)
    r = rows.get((mode, section, metric, kind, level))
    if r is None and metric == "discarded_fraction":  # kind: not-picked or not-read
        r = next((v for k, v in rows.items() if k[0] == mode and k[2] == metric), None)
    return r


def table(summary, tolerance):
    rows = {(r["pool"], r["section"], r["metric"], r["kind"], r["level"]): r for r in summary["summary"]}
    modes = MODES.split(",")
    out = ["| measure (mean ± sd over the images) | pre-pool | " + " | ".join(modes) + " |",
           "| --- | --- | " + " | ".join("---" for _ in modes) + " |"]
    for section, metric, kind, level, label, digits in MEASURES:
        # 1 - cosine, in units of 1e-4: the mean moves, the spread only scales.
        scaled = digits is None
        digits = 2 if scaled else digits
        mean_of = (lambda v: (1 - v) * 1e4) if scaled else (lambda v: v)  # noqa: E731
        sd_of = (lambda v: v * 1e4) if scaled else (lambda v: v)  # noqa: E731
        cells = []
        pres = set()
        for m in modes:
            r = find(rows, m, section, metric, kind, level)
            if r is None or r["mean"] is None:
                cells.append("-")
            elif section == "compression":  # the pre-pool count is pre_mean
                cells.append(f"{r['mean'] / r['pre_mean']:.3f}")
                pres.add("1")
            else:
                sd = "" if r["sd"] is None else f" ± {sd_of(r['sd']):.{digits}f}"
                cells.append(f"{mean_of(r['mean']):.{digits}f}{sd}")
                if r.get("pre_mean") is not None:
                    pres.add(f"{mean_of(r['pre_mean']):.{digits}f}")
        # With --replace-pools each mode has its own pre-pool map: no single number.
        pre = pres.pop() if len(pres) == 1 else ("-" if not pres else "per mode")
        out.append(f"| {label.format(tol=tolerance)} | {pre} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def offset_table(summary):
    """1 - mean cosine (x 1e-4) of the pooled maps, per offset between the two crops."""
    rows = {(r["pool"], r["section"], r["metric"], r["kind"], r["level"]): r for r in summary["summary"]}
    modes = MODES.split(",")
    out = ["| offset (px) | " + " | ".join(modes) + " |", "| --- | " + " | ".join("---" for _ in modes) + " |"]
    for d in range(1, 9):
        cells = []
        for m in modes:
            r = rows.get((m, "consistency", "mean_cosine", "", str(d)))
            cells.append("-" if r is None or r["mean"] is None else f"{(1 - r['mean']) * 1e4:.2f}")
        out.append(f"| {d} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--convpool", default=str(ROOT / "build" / "release" / "convpool"))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--only", help="comma-separated pipeline names to rerun; the others' data are kept")
    args = ap.parse_args()
    convpool = os.path.abspath(args.convpool)
    sections = []
    data_root = ROOT / "docs" / "claims-data"
    for name, pipeline, title, options in PIPELINES:
        target = data_root / name
        charts = [f"claims-{name}-{c}" for c in CHARTS]
        if args.only and name not in args.only.split(","):
            with open(target / "summary.json", encoding="utf-8") as f:  # kept from a former run
                summary = json.load(f)
        else:
            with tempfile.TemporaryDirectory() as tmp:
                summary = probe(convpool, pipeline, options, tmp, args.jobs)
                target.mkdir(parents=True, exist_ok=True)
                for f in ("summary.json", "summary.csv"):
                    shutil.copy(os.path.join(tmp, f), target / f)
                without_paths(target / "summary.json", tmp)
                for c in CHARTS:
                    if os.path.exists(os.path.join(tmp, "summary-" + c)):
                        shutil.copy(os.path.join(tmp, "summary-" + c), ROOT / "docs" / "images" / f"claims-{name}-{c}")
        charts = [c for c in charts if (ROOT / "docs" / "images" / c).exists()]
        title += f"; options `{' '.join(options)}`"
        counts = summary["counts"]
        text = [f"### After {title}", "",
                f"{counts['measured']} images measured ({counts['failed']} failed); "
                f"data: [summary.json](claims-data/{name}/summary.json), "
                f"[summary.csv](claims-data/{name}/summary.csv).", "",
                table(summary, options[options.index("--cos-tolerance") + 1]), ""]
        if "--replace-pools" in options:  # where the mean cosine separates the modes
            text += ["1 - mean cosine (x 1e-4) of the pooled maps' global-average vectors, by the "
                     "offset between the two crops (mean over the images):", "", offset_table(summary), ""]
        for c in charts:
            text += [f"![{c[len('claims-'):-4].replace('-', ' ')}](images/{c})", ""]
        sections.append("\n".join(text))
    doc_path = ROOT / "docs" / "claims.md"
    doc = doc_path.read_text(encoding="utf-8")
    begin, end = "<!-- claims:begin -->", "<!-- claims:end -->"
    head, rest = doc.split(begin, 1)
    _, tail = rest.split(end, 1)
    generated = f"{begin}\n<!-- written by bench/claims/run_claims.py -->\n\n" + "\n".join(sections) + end
    doc_path.write_text(head + generated + tail, encoding="utf-8")
    print(f"wrote {doc_path}")


if __name__ == "__main__":
    sys.exit(main())
