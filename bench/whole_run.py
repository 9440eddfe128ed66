#!/usr/bin/python3
"""The whole-run targets of issue 17, measured side by side in one run: `convpool run` with its
defaults (every stage picture, the sheet, full statistics, reports) on photos from
bench/make_photos.py, and prints a markdown table.

- 12 MP: the default run against the same job with `--emit final --stats none` (alternating;
  the median of the per-pair ratios; target at most 2.0).
- 48 MP: the default run's wall time, peak resident memory (of convpool and its decoding child,
  from wait4) and bytes written (targets 4 s, 2 GB, 40 MB).
- 200 photos of about 1 MP, the default run with `-j 2`, against bench/torch_matplotlib.py
  (PyTorch, one matplotlib figure per stage, numpy statistics, multiprocessing.Pool(2)); target:
  convpool at least 10x faster. A smaller batch: `--batch 40`.

Every job runs on `gray | conv:sobel-x | relu | pool:max,k=2,s=2` with `--threads 2`, writing to
a fresh folder each time (its removal is not timed). Usage, from the repository root:

    /usr/bin/python3 bench/whole_run.py --convpool build/cinotidy/convpool [--repeat 5]
        [--photos DIR] [--only 12mp,48mp,batch] [--batch 200] [--json FILE]
"""

import argparse
import json
import os
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PIPELINE = "gray | conv:sobel-x | relu | pool:max,k=2,s=2"


def timed(cmd, out_dir):
    """Runs `cmd` (which writes below `out_dir`, removed first); wall s, peak RSS MiB, bytes."""
    shutil.rmtree(out_dir, ignore_errors=True)
    with tempfile.TemporaryFile() as stderr:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=stderr)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        stderr.seek(0)
        err = stderr.read().decode(errors="replace")
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({proc.returncode}): {err.strip()}")
    written = sum(p.stat().st_size for p in Path(out_dir).rglob("*") if p.is_file())
    # Linux: ru_maxrss in KiB, the largest of the child and the descendants it waited for.
    return wall, usage.ru_maxrss / 1024, written, err


def convpool_cmd(binary, inputs, out_dir, *extra):
    return [binary, "run", *map(str, inputs), "-p", PIPELINE, "-o", str(out_dir), "--report",
            "none", "--threads", "2", *extra]


def photos(folder, sizes, count=1):
    """The photos of bench/make_photos.py (made when missing)."""
    names = ([f"photo-{s}.jpg" for s in sizes] if count == 1 else
             [f"photo-{s}-{i + 1:03}.jpg" for s in sizes for i in range(count)])
    if not all((folder / n).exists() for n in names):
        subprocess.run([sys.executable, str(ROOT / "bench" / "make_photos.py"), str(folder),
                        "--sizes", ",".join(sizes), "--count", str(count)], check=True,
                       stdout=subprocess.DEVNULL)
    return [folder / n for n in names]


def png_size(path):
    """Width and height of a PNG (its IHDR)."""
    with open(path, "rb") as f:
        head = f.read(24)
    return struct.unpack(">II", head[16:24])


def job_12mp(binary, folder, work, repeat):
    (jpeg,) = photos(folder, ["12mp"])
    default = convpool_cmd(binary, [jpeg], work / "default")
    final = convpool_cmd(binary, [jpeg], work / "final", "--emit", "final", "--stats", "none")
    runs = {"default": [], "final": []}
    for _ in range(repeat):  # alternating, so both see the same machine state
        runs["default"].append(timed(default, work / "default"))
        runs["final"].append(timed(final, work / "final"))
    med = {k: statistics.median(r[0] for r in v) for k, v in runs.items()}
    return {"default_s": med["default"], "final_s": med["final"],
            "ratio": statistics.median(d[0] / f[0] for d, f in zip(runs["default"],
                                                                   runs["final"])),
            "default_s_all": [r[0] for r in runs["default"]],
            "final_s_all": [r[0] for r in runs["final"]],
            "default_peak_mib": max(r[1] for r in runs["default"]),
            "final_peak_mib": max(r[1] for r in runs["final"]),
            "default_written_mb": runs["default"][-1][2] / 1e6}


def job_48mp(binary, folder, work, repeat):
    (jpeg,) = photos(folder, ["48mp"])
    cmd = convpool_cmd(binary, [jpeg], work / "big")
    runs = [timed(cmd, work / "big") for _ in range(repeat)]
    return {"wall_s": statistics.median(r[0] for r in runs), "wall_s_all": [r[0] for r in runs],
            "peak_mib": max(r[1] for r in runs), "written_mb": runs[-1][2] / 1e6}


def job_batch(binary, folder, work, repeat, count):
    jpegs = photos(folder, ["1mp"], count)
    cmd = convpool_cmd(binary, jpegs, work / "batch", "-j", "2")
    conv = [timed(cmd, work / "batch") for _ in range(repeat)]
    # The peer draws each stage at the size of convpool's picture of it.
    first = work / "batch" / jpegs[0].stem
    pictures = sorted(p for p in first.glob("0[0-9]_*.png") if "_zoom" not in p.name)
    sizes = ",".join("{}x{}".format(*png_size(p)) for p in pictures)
    peer_cmd = ["/usr/bin/python3", str(ROOT / "bench" / "torch_matplotlib.py"),
                str(work / "peer"), *map(str, jpegs), "--sizes", sizes]
    peer = [timed(peer_cmd, work / "peer") for _ in range(max(1, repeat // 2))]
    c = statistics.median(r[0] for r in conv)
    p = statistics.median(r[0] for r in peer)
    return {"images": count, "convpool_s": c, "convpool_s_all": [r[0] for r in conv],
            "convpool_images_per_s": count / c, "convpool_peak_mib": max(r[1] for r in conv),
            "peer_s": p, "peer_s_all": [r[0] for r in peer], "peer_images_per_s": count / p,
            "speedup": p / c, "picture_sizes": sizes, "summary_line": conv[-1][3].strip()}


def table(res):
    rows = ["| job | measured | target | met |", "| --- | --- | --- | --- |"]
    if "12mp" in res:
        r = res["12mp"]
        rows.append(f"| 12 MP default vs `--emit final --stats none` | {r['default_s']:.2f} s vs "
                    f"{r['final_s']:.2f} s: {r['ratio']:.2f}x (peak {r['default_peak_mib']:.0f} "
                    f"MiB, {r['default_written_mb']:.1f} MB written) | <= 2.0x | "
                    f"{'yes' if r['ratio'] <= 2.0 else 'no'} |")
    if "48mp" in res:
        r = res["48mp"]
        met = r["wall_s"] <= 4 and r["peak_mib"] <= 2048 and r["written_mb"] <= 40
        rows.append(f"| 48 MP default | {r['wall_s']:.2f} s, peak {r['peak_mib']:.0f} MiB, "
                    f"{r['written_mb']:.1f} MB written | 4 s, 2 GB, 40 MB | "
                    f"{'yes' if met else 'no'} |")
    if "batch" in res:
        r = res["batch"]
        rows.append(f"| {r['images']} x 1 MP default, `-j 2` | convpool {r['convpool_s']:.2f} s "
                    f"({r['convpool_images_per_s']:.1f} images/s), PyTorch + matplotlib "
                    f"{r['peer_s']:.2f} s ({r['peer_images_per_s']:.1f} images/s): "
                    f"{r['speedup']:.1f}x | >= 10x | {'yes' if r['speedup'] >= 10 else 'no'} |")
    return "\n".join(rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--convpool", required=True)
    ap.add_argument("--photos", type=Path, help="folder of make_photos.py's photos "
                    "(made when missing; default: a temporary folder)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--only", default="12mp,48mp,batch")
    ap.add_argument("--batch", type=int, default=200, help="photos of about 1 MP in the batch")
    ap.add_argument("--json", type=Path, help="also write the raw figures here")
    args = ap.parse_args()
    binary = str(Path(args.convpool).resolve())
    only = args.only.split(",")
    res = {"load_average_before": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="whole_run.") as tmp:
        work = Path(tmp)
        folder = args.photos or work / "photos"
        folder.mkdir(parents=True, exist_ok=True)
        if "12mp" in only:
            res["12mp"] = job_12mp(binary, folder, work, args.repeat)
        if "48mp" in only:
            res["48mp"] = job_48mp(binary, folder, work, args.repeat)
        if "batch" in only:
            res["batch"] = job_batch(binary, folder, work, args.repeat, args.batch)
    res["load_average_after"] = os.getloadavg()
    if args.json:
        args.json.write_text(json.dumps(res, indent=2) + "\n")
    print(table(res))
    print(f"\nload average before {res['load_average_before'][0]:.1f}, after "
          f"{res['load_average_after'][0]:.1f}; medians of {args.repeat} runs")


if __name__ == "__main__":
    main()
