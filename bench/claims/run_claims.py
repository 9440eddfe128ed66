#!/usr/bin/env python3
"""Regenerates the measured part of docs/claims.md: `convpool probe` over every image of samples/
for max, avg, blur, maxblur, soft and gem pooling (k=2, s=2; blur and maxblur with their
defaults, filter=4), after two pipelines, with the means and spreads over the images.

Usage (from the repository root):
    /usr/bin/python3 bench/claims/make_gabor.py            # only if gabor8.npy is to be remade
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
CHARTS = ["shift-correlation.png", "equivariance-correlation.png", "consistency.png"]
MODES = "max,avg,blur,maxblur,soft,gem"
# name, pipeline, title, options of that run (the seed fixes the noise fields and the crop
# pairs). The Gabor bank's maps are 8 times larger: fewer shifts and pairs keep its run near ten
# minutes on a busy 2-core machine.
COMMON = ["-k", "2", "--cos-tolerance", "0.99", "--seed", "0"]
PIPELINES = [
    ("sobel", "gray | conv:sobel-x | relu", "edges: `gray | conv:sobel-x | relu` (1 channel)",
     COMMON + ["--shifts", "4", "--pairs", "3", "--noise", "0.05", "--salt-pepper", "0.02"]),
    ("gabor", "gray | conv:weights=@bench/claims/gabor8.npy,pad=3 | relu",
     "a small convolution layer: `gray | conv:weights=@bench/claims/gabor8.npy,pad=3 | relu` "
     "(8 Gabor filters, 7x7, weights committed)",
     COMMON + ["--shifts", "2", "--pairs", "1", "--noise", "0.05", "--salt-pepper", "0"]),
]
# (section, metric, kind, level, what the table calls it, digits)
MEASURES = [
    ("shift", "correlation", "", "1", "shift invariance: correlation, 1 px", 3),
    ("shift", "correlation", "", "2", "shift invariance: correlation, 2 px", 3),
    ("shift", "identical", "", "1", "shift invariance: identical share, 1 px", 3),
    ("equivariance", "correlation", "", "2", "equivariance: correlation, 2 px shifted back", 4),
    ("consistency", "consistent", "", "all", "consistency: share of pairs with cosine >= 0.99", 3),
    ("consistency", "mean_cosine", "", "all", "consistency: 1 - mean cosine (x 1e-4)", None),
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


def table(summary):
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
        pre = "-"
        for m in modes:
            r = rows.get((m, section, metric, kind, level))
            if r is None and metric == "discarded_fraction":  # kind: not-picked or not-read
                r = next((v for k, v in rows.items() if k[0] == m and k[2] == metric), None)
            if r is None or r["mean"] is None:
                cells.append("-")
            elif section == "compression":  # the pre-pool count is pre_mean
                cells.append(f"{r['mean'] / r['pre_mean']:.3f}")
                pre = "1"
            else:
                sd = "" if r["sd"] is None else f" ± {sd_of(r['sd']):.{digits}f}"
                cells.append(f"{mean_of(r['mean']):.{digits}f}{sd}")
                if r.get("pre_mean") is not None and section != "compression":
                    pre = f"{mean_of(r['pre_mean']):.{digits}f}"
        out.append(f"| {label} | {pre} | " + " | ".join(cells) + " |")
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
                f"[summary.csv](claims-data/{name}/summary.csv).", "", table(summary), ""]
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
