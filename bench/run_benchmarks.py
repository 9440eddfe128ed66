#!/usr/bin/python3
"""Runs the performance workloads and writes docs/BENCHMARKS.md.

Usage (from the repository root, with Debian's interpreter so that python3-torch,
python3-opencv and python3-numpy are found when installed):

    /usr/bin/python3 bench/run_benchmarks.py --convpool build/release/convpool [--repeat 15]
    /usr/bin/python3 bench/run_benchmarks.py --only W5 --out w5.md   # some workloads only

For every workload it runs `convpool bench --json` (which times the stage and, in the same run,
the floor: a streaming copy of the stage's input and output bytes with the same threads), then
times the same operation in PyTorch, OpenCV and numpy where they import, in this process, with
the same thread count, and compares their medians with convpool's floor and median. It also
times the whole-process job (decode a 4000x3000 JPEG, gray | sobel-x | relu | 2x2 max pool,
write an 8-bit PNG) against a plain C++ OpenCV program when `convpool run` can write the final
stage alone and `g++` and `pkg-config opencv4` are there. Nothing here tunes the floor: it is
whatever `convpool bench` measured in the same run as the stage.
"""

import argparse
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DENSE_3X3 = [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6], [0.7, 0.8, 0.9]]

# id, what, convpool pipeline, size (CxHxW), element type (`convpool bench --type`), target
# ratio to the floor
WORKLOADS = [
    ("W1", "max pool k=2 s=2, 4096x4096 f32", "pool:max,k=2,s=2", (1, 4096, 4096), "f32", 1.3),
    ("W2", "max pool k=3 s=1 pad=1, 4096x4096 f32", "pool:max,k=3,s=1,pad=1", (1, 4096, 4096),
     "f32", 2.0),
    ("W3", "avg pool k=2 s=2, 4096x4096 f32", "pool:avg,k=2,s=2", (1, 4096, 4096), "f32", 1.5),
    ("W4a", "max pool k=15 s=1 pad=7, 2048x2048 f32", "pool:max,k=15,s=1,pad=7", (1, 2048, 2048),
     "f32", 3.5),
    ("W4b", "max pool k=63 s=1 pad=31, 2048x2048 f32", "pool:max,k=63,s=1,pad=31",
     (1, 2048, 2048), "f32", None),
    ("W5", "max pool k=2 s=2, 3x3000x4000 u8 interleaved (HWC)", "pool:max,k=2,s=2",
     (3, 3000, 4000), "u8", 2.0),
    ("W6", "3x3 dense correlation, 4096x4096 f32",
     "conv:kernel=[" + "; ".join(" ".join(str(v) for v in row) for row in DENSE_3X3) + "]",
     (1, 4096, 4096), "f32", 2.0),
    ("W7", "BlurPool filter=3 s=2 (reflect), 4096x4096 f32", "pool:blur,s=2,filter=3",
     (1, 4096, 4096), "f32", 2.0),
    ("W8", "MaxBlurPool k=2 filter=4 s=2, 4096x4096 f32", "pool:maxblur", (1, 4096, 4096), "f32",
     2.5),
    ("W9", "SoftPool k=2 s=2, 4096x4096 f32", "pool:soft,k=2,s=2", (1, 4096, 4096), "f32", 3.0),
    ("W10", "GeM k=2 s=2 p=3, 4096x4096 f32", "pool:gem,k=2,s=2", (1, 4096, 4096), "f32", 3.0),
    ("W11", "mixed max-avg k=2 s=2 a=0.5, 4096x4096 f32", "pool:mixed,k=2,s=2", (1, 4096, 4096),
     "f32", 3.0),
    # W12b's target is a ratio to W12a's time in the same run (see MEDIAN_TARGET), not the floor.
    ("W12a", "max pool k=3 s=1 (no padding), 4096x4096 f32", "pool:max,k=3,s=1", (1, 4096, 4096),
     "f32", None),
    ("W12b", "median pool k=3 s=1 (no padding), 4096x4096 f32", "pool:median,k=3,s=1",
     (1, 4096, 4096), "f32", None),
    ("W13", "SPP levels [1 2 4] (max, adaptive bins), 64x256x256 f32", "pool:spp,levels=[1 2 4]",
     (64, 256, 256), "f32", None),
]
# W12b (median k=3 s=1) may take at most this many times W12a (max k=3 s=1) in the same run.
MEDIAN_TARGET = 3.0


def median_ms(fn, repeat, warmup=1):
    start = time.perf_counter()
    for _ in range(warmup):
        fn()
    if time.perf_counter() - start > 2.0:
        repeat = 1  # a peer that takes seconds per call: one timed run is enough to compare
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def run_convpool_bench(binary, pipeline, size, dtype, threads, repeat):
    cmd = [binary, "bench", "-p", pipeline, "--size", "x".join(str(v) for v in size),
           "--type", dtype, "--threads", str(threads), "--repeat", str(repeat), "--json"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return cmd, json.loads(out)["stages"][0]


def peer_functions(wid, size, threads):
    """{peer name: (callable, note)} for the workloads each peer can run."""
    peers = {}
    c, h, w = size
    try:
        import numpy as np
    except ImportError:
        return peers
    rng = np.random.default_rng(1)
    x = rng.random((h, w), dtype=np.float32) if c == 1 else None
    img_u8 = rng.integers(0, 256, (h, w, 3), dtype=np.uint8) if c == 3 else None
    planes = rng.random((c, h, w), dtype=np.float32) if c > 3 else None
    kernel = np.array(DENSE_3X3, dtype=np.float32)

    def np_max_sliding(a, k):
        pad = k // 2
        p = np.pad(a, pad, constant_values=-np.inf)
        rows = np.lib.stride_tricks.sliding_window_view(p, k, axis=0).max(axis=-1)
        return np.lib.stride_tricks.sliding_window_view(rows, k, axis=1).max(axis=-1)

    def np_conv3(a):
        p = np.pad(a, 1, mode="reflect")  # numpy's reflect is OpenCV's reflect101
        out = np.zeros_like(a)
        for ky in range(3):
            for kx in range(3):
                out += kernel[ky, kx] * p[ky:ky + h, kx:kx + w]
        return out

    def np_blur(a, taps, stride=2):
        # Zhang's BlurPool: reflect padding (numpy's reflect is torch's ReflectionPad2d),
        # separable binomial taps normalised to sum 1, then every `stride`-th output.
        f = np.array(taps, dtype=np.float32) / sum(taps)
        before, after = (len(taps) - 1) // 2, len(taps) // 2
        p = np.pad(a, ((before, after), (before, after)), mode="reflect")
        n = len(taps)
        rows = sum(f[i] * p[i:i + p.shape[0] - n + 1:stride] for i in range(n))
        return sum(f[i] * rows[:, i:i + rows.shape[1] - n + 1:stride] for i in range(n))

    def np_maxblur(a):
        m = np.maximum(np.maximum(a[:-1, :-1], a[1:, :-1]), np.maximum(a[:-1, 1:], a[1:, 1:]))
        return np_blur(m, [1, 3, 3, 1])

    numpy_fns = {
        "W1": lambda: x.reshape(h // 2, 2, w // 2, 2).max(axis=(1, 3)),
        "W2": lambda: np_max_sliding(x, 3),
        "W3": lambda: x.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3)),
        "W4a": lambda: np_max_sliding(x, 15),
        "W4b": lambda: np_max_sliding(x, 63),
        "W5": lambda: img_u8.reshape(h // 2, 2, w // 2, 2, 3).max(axis=(1, 3)),
        "W6": lambda: np_conv3(x),
        "W7": lambda: np_blur(x, [1, 2, 1]),
        "W8": lambda: np_maxblur(x),
    }
    if wid in numpy_fns:
        peers["numpy"] = (numpy_fns[wid], "u8 HWC" if wid == "W5" else "f32")

    try:
        import cv2
        cv2.setNumThreads(threads)
        cv_fns = {
            "W1": lambda: cv2.dilate(x, np.ones((2, 2), np.uint8))[1::2, 1::2].copy(),
            "W2": lambda: cv2.dilate(x, np.ones((3, 3), np.uint8)),
            "W3": lambda: cv2.resize(x, (w // 2, h // 2), interpolation=cv2.INTER_AREA),
            "W4a": lambda: cv2.dilate(x, np.ones((15, 15), np.uint8)),
            "W4b": lambda: cv2.dilate(x, np.ones((63, 63), np.uint8)),
            "W5": lambda: cv2.dilate(img_u8, np.ones((2, 2), np.uint8))[1::2, 1::2].copy(),
            "W6": lambda: cv2.filter2D(x, -1, kernel),
        }
        if wid in cv_fns:
            peers["opencv"] = (cv_fns[wid], "u8 HWC" if wid == "W5" else "f32")
    except ImportError:
        pass

    try:
        import torch
        import torch.nn.functional as F
        torch.set_num_threads(threads)
        t = torch.from_numpy(x)[None, None] if x is not None else None
        tk = torch.from_numpy(kernel)[None, None]
        t_u8 = torch.from_numpy(img_u8).permute(2, 0, 1)[None] if img_u8 is not None else None
        a3 = torch.tensor([1.0, 2.0, 1.0])
        a4 = torch.tensor([1.0, 3.0, 3.0, 1.0])
        blur3 = (torch.outer(a3, a3) / a3.sum() ** 2)[None, None]
        blur4 = (torch.outer(a4, a4) / a4.sum() ** 2)[None, None]

        tp = torch.from_numpy(planes)[None] if planes is not None else None

        def torch_median3(band=1024):
            # torch.median over unfolded 3x3 windows (the lower median, as pool:median), in bands
            # of output rows so that the 9 copies of each value stay near 150 MB.
            out = torch.empty(h - 2, w - 2)
            for y in range(0, h - 2, band):
                rows = t[0, 0, y:min(h, y + band + 2)]
                win = rows.unfold(0, 3, 1).unfold(1, 3, 1).reshape(rows.shape[0] - 2, w - 2, 9)
                out[y:y + win.shape[0]] = win.median(-1).values
            return out

        def torch_u8_max():
            # max_pool2d has no uint8 kernel on the CPU in 1.13: convert, as a user would.
            return F.max_pool2d(t_u8.float(), 2, 2)

        with torch.no_grad():
            torch_fns = {
                "W1": lambda: F.max_pool2d(t, 2, 2),
                "W2": lambda: F.max_pool2d(t, 3, 1, 1),
                "W3": lambda: F.avg_pool2d(t, 2, 2),
                "W4a": lambda: F.max_pool2d(t, 15, 1, 7),
                "W4b": lambda: F.max_pool2d(t, 63, 1, 31),
                "W5": torch_u8_max,
                "W6": lambda: F.conv2d(t, tk, padding=1),
                # antialiased-cnns' BlurPool: ReflectionPad2d, then a depthwise strided conv.
                "W7": lambda: F.conv2d(F.pad(t, (1, 1, 1, 1), mode="reflect"), blur3, stride=2),
                "W8": lambda: F.conv2d(F.pad(F.max_pool2d(t, 2, 1), (1, 2, 1, 2), mode="reflect"),
                                       blur4, stride=2),
                # SoftPool, GeM and mixed written with torch ops as the fixtures are
                # (scripts/make_torch_fixtures_modern.py).
                "W9": lambda: F.avg_pool2d(t * torch.exp(t), 2, 2) / F.avg_pool2d(torch.exp(t), 2, 2),
                "W10": lambda: F.avg_pool2d(t.clamp(min=1e-6).pow(3), 2, 2).pow(1.0 / 3),
                "W11": lambda: 0.5 * F.max_pool2d(t, 2, 2) + 0.5 * F.avg_pool2d(t, 2, 2),
                "W12a": lambda: F.max_pool2d(t, 3, 1),
                "W12b": torch_median3,
                "W13": lambda: torch.cat([F.adaptive_max_pool2d(tp, n).flatten(2)
                                          for n in (1, 2, 4)], 2),
            }
        peers["pytorch"] = (torch_fns[wid], "u8 HWC view, converted to f32" if wid == "W5" else "f32")
    except ImportError:
        pass
    return peers


def machine():
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return {"cpu": model, "cores": os.cpu_count(), "memory": mem,
            "kernel": platform.release(), "python": sys.version.split()[0]}


def whole_process(binary, threads, repeat, workdir):
    """Times convpool and a plain OpenCV C++ program on the same JPEG, side by side."""
    help_text = subprocess.run([binary, "run", "--help"], capture_output=True, text=True).stdout
    if "--emit" not in help_text:
        return {"skipped": "convpool run cannot write the final stage alone yet (no --emit)"}
    if not shutil.which("g++") or subprocess.run(["pkg-config", "--exists", "opencv4"]).returncode:
        return {"skipped": "g++ or pkg-config opencv4 missing"}
    import numpy as np
    import cv2
    jpeg = workdir / "photo.jpg"
    yy, xx = np.mgrid[0:3000, 0:4000].astype(np.float32)
    rng = np.random.default_rng(3)
    img = np.stack([(np.sin(xx / 97.0) + np.cos(yy / 53.0)) * 60 + 128,
                    (xx / 4000.0) * 255, (yy / 3000.0) * 255], axis=-1)
    img = np.clip(img + rng.normal(0, 12, img.shape), 0, 255).astype(np.uint8)
    cv2.imwrite(str(jpeg), img, [cv2.IMWRITE_JPEG_QUALITY, 90])
    exe = workdir / "opencv_baseline"
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "opencv4"], capture_output=True,
                           text=True, check=True).stdout.split()
    subprocess.run(["g++", "-O2", "-std=c++17", str(ROOT / "bench" / "opencv_baseline.cpp"), "-o",
                    str(exe)] + flags, check=True)
    out_dir = workdir / "out"
    convpool_cmd = [binary, "run", str(jpeg), "-p", "gray | conv:sobel-x | relu | pool:max,k=2,s=2",
                    "--emit", "final", "-o", str(out_dir), "--report", "none", "-q",
                    "--threads", str(threads)]
    if "--decode-in-process" in help_text:
        convpool_cmd.append("--decode-in-process")  # as the OpenCV program decodes in-process
    if "--force" in help_text:
        convpool_cmd.append("--force")  # every repeat writes the same output again
    if "--stats" in help_text:
        convpool_cmd += ["--stats", "none"]  # the OpenCV program computes no statistics either
    opencv_cmd = [str(exe), str(jpeg), str(workdir / "opencv.png"), str(threads)]

    def timed(cmd):
        start = time.perf_counter()
        proc = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, capture_output=True, text=True)
        elapsed = (time.perf_counter() - start) * 1e3
        if proc.returncode != 0:
            raise RuntimeError(f"{cmd[0]} failed: {proc.stderr.strip()}")
        return elapsed, int(proc.stderr.strip().splitlines()[-1])

    runs = {"convpool": [], "opencv": []}
    rss = {"convpool": 0, "opencv": 0}
    for _ in range(repeat):  # alternate, so both see the same machine state
        for name, cmd in (("convpool", convpool_cmd), ("opencv", opencv_cmd)):
            ms, kb = timed(cmd)
            runs[name].append(ms)
            rss[name] = max(rss[name], kb)
    return {"runs": repeat,
            "paired_ratio": statistics.median(c / o for c, o in zip(runs["convpool"],
                                                                     runs["opencv"])),
            "convpool_ms": statistics.median(runs["convpool"]),
            "opencv_ms": statistics.median(runs["opencv"]),
            "convpool_peak_mib": rss["convpool"] / 1024, "opencv_peak_mib": rss["opencv"] / 1024,
            "decoded_float_mib": 4000 * 3000 * 3 * 4 / 2**20,
            "commands": [shlex.join(["convpool"] + convpool_cmd[1:]).replace(str(workdir), "TMP"),
                         shlex.join(opencv_cmd).replace(str(workdir), "TMP")]}


STEM_BEGIN, STEM_END = "<!-- stem:begin -->", "<!-- stem:end -->"


def write_report(path, text):
    """Writes the report to `path`, keeping the section bench/stem.py wrote between its markers
    (heading included) when the file already has one."""
    if path.exists():
        old = path.read_text(encoding="utf-8")
        if STEM_BEGIN in old and STEM_END in old:
            kept = old[old.index(STEM_BEGIN):old.index(STEM_END) + len(STEM_END)]
            text = text.rstrip("\n") + "\n\n" + kept + "\n"
    path.write_text(text, encoding="utf-8")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--convpool", default=str(ROOT / "build" / "release" / "convpool"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--out", help="report to write (default: docs/BENCHMARKS.md; needed with "
                    "--only)")
    ap.add_argument("--no-peers", action="store_true")
    ap.add_argument("--only", help="comma-separated workload ids (W1, ..., W13, whole for the "
                    "whole-process job) to run instead of all; needs --out, as the report is partial")
    ap.add_argument("--commit", help="commit the convpool binary was built from (default: HEAD)")
    ap.add_argument("--render", metavar="RAW.json",
                    help="measure nothing: write the report of a run from its raw record (the "
                    ".json written beside the report) to --out, e.g. after editing its text")
    args = ap.parse_args()
    if args.render:
        out = args.out or str(ROOT / "docs" / "BENCHMARKS.md")
        write_report(Path(out), report(json.loads(Path(args.render).read_text())))
        print(f"wrote {out}", file=sys.stderr)
        return
    ids = [w[0] for w in WORKLOADS] + ["whole"]
    only = set(args.only.split(",")) if args.only else set(ids)
    if not only <= set(ids):
        ap.error(f"--only: unknown workloads {sorted(only - set(ids))} (known: {', '.join(ids)})")
    if args.only and not args.out:
        ap.error("--only writes a partial report: give --out")
    args.out = args.out or str(ROOT / "docs" / "BENCHMARKS.md")

    load_before = os.getloadavg()
    rows = []
    # Every convpool run first, then every peer: the worker threads of PyTorch and OpenCV keep
    # spinning for a while after an operation, and on 2 cores a spinning thread took a core from
    # the convpool run that followed a peer (W3 measured 1.55 right after W2's peers, 1.05 alone).
    for wid, what, pipeline, size, dtype, target in WORKLOADS:
        if wid not in only:
            continue
        cmd, stage = run_convpool_bench(args.convpool, pipeline, size, dtype, args.threads,
                                        args.repeat)
        rows.append({"id": wid, "what": what, "target": target, "size": size,
                     "command": shlex.join(["convpool"] + cmd[1:]), "stage": stage, "peers": {}})
        print(f"{wid}: {stage['median_ms']:.2f} ms, floor {stage['floor_median_ms']:.2f} ms, "
              f"x{stage['ratio_median']:.2f}", file=sys.stderr)
    for row in rows if not args.no_peers else []:
        for name, (fn, note) in peer_functions(row["id"], row["size"], args.threads).items():
            row["peers"][name] = {"median_ms": median_ms(fn, max(3, args.repeat // 3)),
                                  "note": note}
    time.sleep(1.0)  # let the peers' worker threads stop spinning (see above)
    with tempfile.TemporaryDirectory() as tmp:
        try:
            whole = (whole_process(args.convpool, args.threads, 11, Path(tmp)) if "whole" in only
                     else {"skipped": "not asked for (--only)"})
        except (RuntimeError, subprocess.CalledProcessError, ImportError) as e:
            whole = {"skipped": str(e)}
    load_after = os.getloadavg()
    commit = args.commit or subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                                           capture_output=True, text=True).stdout.strip()
    raw = {"rows": rows, "whole": whole, "threads": args.threads, "repeat": args.repeat,
           "commit": commit, "load_before": load_before, "load_after": load_after,
           "niceness": os.nice(0), "machine": machine(),
           "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    raw_path = Path(args.out).with_suffix(".json")
    raw_path.write_text(json.dumps(raw, indent=1) + "\n")
    write_report(Path(args.out), report(raw))
    print(f"wrote {args.out} and {raw_path}", file=sys.stderr)


def report(raw):
    """The Markdown report of a run, from its raw record (what main writes next to it)."""
    rows, whole, m = raw["rows"], raw["whole"], raw["machine"]
    load_before, load_after = raw["load_before"], raw["load_after"]
    peers = sorted({p for r in rows for p in r["peers"]})
    out = ["# convpool benchmarks", "",
           "Generated by `/usr/bin/python3 bench/run_benchmarks.py` "
           f"(`--threads {raw['threads']} --repeat {raw['repeat']}`); do not edit by hand.", "",
           f"- machine: {m['cpu']}, {m['cores']} cores, {m['memory']}, Linux {m['kernel']}",
           f"- commit: {raw['commit']}; {raw['date']}",
           f"- load average (1/5/15 min) before: {load_before[0]:.2f} / {load_before[1]:.2f} / "
           f"{load_before[2]:.2f}; after: {load_after[0]:.2f} / {load_after[1]:.2f} / "
           f"{load_after[2]:.2f}; niceness of the run: {raw['niceness']}", "",
           "**The floor** is measured by `convpool bench` in the same run as each stage, "
           "alternating with it: the fastest code found on this machine that reads the stage's "
           "input bytes once and writes its output bytes once with the same threads "
           "(`src/commands/bench_floor.cpp`): 32-byte loads, non-temporal 32-byte stores (no "
           "read for ownership of the destination), input and output walked together in "
           "proportional 128-byte steps as a pool walks its rows, each thread a contiguous share "
           "walked as two interleaved streams; the destination is allocated as the stage's "
           "output is (huge pages when large) and written once before timing, so the floor pays "
           "no page faults. It computes nothing: what it stores is an or of what it read. The "
           "stage's time includes allocating its output, as in `convpool run`. *ratio* is the "
           "stage's median over the floor's median (what the targets are about); *paired ratio* "
           "the median over the repeats of each run's time over the floor run right after it; "
           "*min / min* the fastest stage run over the fastest floor run; *floor GB/s* the "
           "stage's input and output bytes over the floor's median (the machine's measured "
           "streaming bandwidth for that mix of reads and writes); *fastest peer* the peer with "
           "the lowest median in the same run and its time over convpool's (above 1: convpool is "
           "faster).", "",
           "## convpool against the floor", "",
           "| workload | convpool median ms | floor median ms | ratio (target) | paired ratio | "
           "min / min | floor GB/s | fastest peer (its time / convpool's) |",
           "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for r in rows:
        s = r["stage"]
        target = f"≤ {r['target']}" if r["target"] else "—"
        met = "" if not r["target"] else (" ✓" if s["ratio_median"] <= r["target"] else " ✗")
        gbs = (s["in_bytes"] + s["out_bytes"]) / s["floor_median_ms"] / 1e6
        fastest = "—"
        if r["peers"]:
            name, peer = min(r["peers"].items(), key=lambda kv: kv[1]["median_ms"])
            fastest = f"{name} {peer['median_ms'] / s['median_ms']:.2f}"
        out.append(f"| {r['id']} {r['what']} | {s['median_ms']:.2f} | {s['floor_median_ms']:.2f} | "
                   f"{s['ratio_median']:.2f} ({target}){met} | {s['ratio_paired_median']:.2f} | "
                   f"{s['ratio_min']:.2f} | {gbs:.1f} | {fastest} |")
    w4 = {r["id"]: r["stage"]["median_ms"] for r in rows}
    if "W4a" in w4 and "W4b" in w4:
        out += ["", f"W4: k=63 takes {w4['W4b'] / w4['W4a']:.2f}x the k=15 time (target ≤ 2)."]
    if "W12a" in w4 and "W12b" in w4:
        ratio = w4["W12b"] / w4["W12a"]
        met = "✓" if ratio <= MEDIAN_TARGET else "✗"
        out += ["", f"W12: the median k=3 s=1 takes {ratio:.2f}x the time of max k=3 s=1 in the "
                f"same run (target ≤ {MEDIAN_TARGET}) {met}."]
    if peers:
        out += ["", "## Peers in the same run", "",
                "Each peer's median over the repeats, its ratio to the floor convpool measured for "
                "the same workload, and how many times convpool's median it takes (> 1: convpool is "
                "faster). Same thread count (`torch.set_num_threads`, `cv2.setNumThreads`; numpy "
                "is single-threaded).", "",
                "| workload | " + " | ".join(f"{p} ms (x floor, x convpool)" for p in peers) + " |",
                "| --- |" + " ---: |" * len(peers)]
        for r in rows:
            cells = []
            for p in peers:
                if p not in r["peers"]:
                    cells.append("—")
                    continue
                ms = r["peers"][p]["median_ms"]
                cells.append(f"{ms:.1f} ({ms / r['stage']['floor_median_ms']:.1f}, "
                             f"{ms / r['stage']['median_ms']:.1f})")
            out.append(f"| {r['id']} | " + " | ".join(cells) + " |")
        out += ["", "Peer recipes: PyTorch `F.max_pool2d` / `F.avg_pool2d` / `F.conv2d` (W5: the "
                "uint8 image converted to float, as max_pool2d has no uint8 CPU kernel in 1.13); "
                "OpenCV `cv2.dilate` + subsampling, `cv2.resize(INTER_AREA)`, `cv2.filter2D`; numpy "
                "reshape-max/mean, sliding_window_view maxima, shifted sums. W7/W8: PyTorch as "
                "antialiased-cnns' BlurPool, `F.pad(mode=\"reflect\")` then a depthwise strided "
                "`F.conv2d` (W8: `F.max_pool2d(k=2, s=1)` first). W9-W11 in torch ops as the "
                "fixtures: `avg_pool2d(x*exp(x)) / avg_pool2d(exp(x))`, "
                "`avg_pool2d(x.clamp(1e-6)^3)^(1/3)`, `0.5*max_pool2d + 0.5*avg_pool2d`; W12b "
                "`unfold` 3x3 then `median` (in bands of 1024 output rows); W13 "
                "`adaptive_max_pool2d` per level, flattened and concatenated."]
    out += ["", "## Whole process", ""]
    if "skipped" in whole:
        out.append(f"Not measured: {whole['skipped']}.")
    else:
        ratio = whole["convpool_ms"] / whole["opencv_ms"]
        out += [f"Decode a 4000x3000 JPEG, `gray | conv:sobel-x | relu | pool:max,k=2,s=2`, write "
                f"the final stage as an 8-bit PNG; medians of {whole['runs']} alternating runs:", "",
                f"- convpool: {whole['convpool_ms']:.0f} ms, peak RSS {whole['convpool_peak_mib']:.0f} MiB",
                f"- plain OpenCV program (bench/opencv_baseline.cpp): {whole['opencv_ms']:.0f} ms, "
                f"peak RSS {whole['opencv_peak_mib']:.0f} MiB",
                f"- ratio {ratio:.2f} (target ≤ 0.75; the median of each run's ratio to the "
                f"OpenCV run beside it: {whole['paired_ratio']:.2f}); peak memory "
                f"{whole['convpool_peak_mib'] / whole['decoded_float_mib']:.2f}x the decoded float "
                f"image (target < 3)", "", "```"] + whole["commands"] + ["```"]
    out += ["", "## Commands", "", "```"] + [r["command"] for r in rows] + ["```", ""]
    busy = load_before[0] >= 1.0 or load_after[0] >= 1.5
    out += ["## How the numbers were taken", "",
            ("**The machine was busy** (see the load averages above): other jobs (compilers, test "
             "suites) ran at the same time. A negative niceness (`nice -n -10 /usr/bin/python3 "
             "bench/run_benchmarks.py ...`) lets the benchmark preempt them, but not their use of "
             "memory bandwidth. " if busy else
             "Nothing else ran on the 2-core VM during the run (the load averages above are "
             "this run's own and what decayed from before it). ") +
            "The floor and the stage alternate run by run, so both see the same disturbance, but "
            "single ratios still move between runs: on this VM W1-W3 have moved by about 0.1-0.4 "
            "between runs minutes apart, and the floor of a 2048x2048 map (16 MB in, 16 MB out) "
            "runs partly from the last-level cache, so W4's ratios move most. Peers run after "
            "all of convpool's runs (their worker threads keep spinning for a while after an "
            "operation, which took a core from whatever ran next), so their ratio to the floor "
            "is taken minutes apart and is only indicative.", "",
            "## What is missing", "",
            "- **uint8 in `convpool run`.** A leading run of max/min pools on an 8-bit image "
            "stays in 8 bits with `--emit final` (the image becomes float after the last of "
            "them; `--float-only` turns this off). A leading `gray` has no 8-bit kernel, so the "
            "whole-process job (which starts with `gray`) is all float after decoding the "
            "JPEG's luminance.",
            "- **Fusion.** Only a `conv` followed by `relu`, `abs` or `leaky-relu` is fused (with "
            "`--emit final --stats none`), and a `conv:weights` followed by `bn`, an activation "
            "and `pool:max` (the ResNet stem, `bench/stem.py`); chains of element-wise stages, "
            "and `bank` followed by one, run stage by stage.",
            "- **Noise.** Two causes of noise are gone: every stage's output was fresh memory, "
            "and on this VM a page fault on fresh memory is also a fault on the host (freed "
            "tensor blocks are now reused); and the peers' worker threads spun after each "
            "operation and took a core from the convpool run after them (peers now run last).",
            "- **Whole process.** It relies on `--stats none` (the full statistics of the four "
            "12-megapixel stages take about 0.5 s, more than everything else together) and "
            "`--decode-in-process` (the default decoding child adds about 30 ms: its start and a "
            "copy of the decoded image). Part of the lead is start-up: convpool starts in about "
            "5 ms because it decodes JPEG and PNG with libjpeg-turbo and libpng itself, while a "
            "program linked with OpenCV's imgcodecs spends about 65 ms loading its 139 libraries "
            "before `main`.",
            "- **Fast paths not taken:** pooling with `switches` (pool:max records them with its "
            "own loop) and lp/adaptive/fractional/stochastic pools use the plain loops. "
            "Correlation always takes its fast path; only 3x3 kernels with stride and dilation 1 "
            "run in row bands on AVX-512/AVX2, others (strides, dilations, other sizes) run the "
            "vectorised row kernel.", ""]
    return "\n".join(out)


if __name__ == "__main__":
    main()
