#!/usr/bin/python3
"""The ResNet-18 stem benchmark (issue 14): conv 3->64 7x7 stride 2 pad 3, bn, relu,
pool:max k=3 s=2 pad=1 on 224x224 and 1024x1024 RGB inputs, 2 threads, side by side in one run:

- convpool bench: every stage's median (through oneDNN, convpool-dnnl.so) and their sum, and
  --fused (the plan as `run --emit final --stats none` executes it: bn folded, relu and the max
  pool fused into the convolution);
- the same with CONVPOOL_CONV=loops (the hand-written loops, the reference and fallback);
- PyTorch CPU (torch.set_num_threads(2)): F.conv2d, F.batch_norm, F.relu, F.max_pool2d one by
  one, each's median, and their sum;
- the whole process: `convpool run IMAGE.png -p STEM --emit final --stats none` against a Python
  process that imports torch, reads the PNG with OpenCV and runs the four operations;
- the `model` stage's cost over OpenCV dnn alone, on bench/stem/stem.onnx (the same four layers
  exported by torch.onnx.export).

Weights: bench/stem/*.npy, made by bench/stem/make_stem.py (fixed seed). Writes the section
between the `stem` markers of docs/BENCHMARKS.md (or --out FILE), with the load average.
Usage: /usr/bin/python3 bench/stem.py [--convpool BINARY] [--repeat N] [--out F]"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
STEM_DIR = ROOT / "bench" / "stem"
BEGIN, END = "<!-- stem:begin -->", "<!-- stem:end -->"
STEM = ("conv:weights=@conv1_weight.npy,stride=2,pad=3 | "
        "bn:mean=@bn1_mean.npy,var=@bn1_var.npy,weight=@bn1_weight.npy,bias=@bn1_bias.npy | "
        "relu | pool:max,k=3,s=2,pad=1")
SIZES = (224, 1024)


def load():
    return " / ".join(f"{v:.2f}" for v in os.getloadavg())


def med(f, n):
    f()
    f()
    t = []
    for _ in range(n):
        s = time.perf_counter()
        f()
        t.append((time.perf_counter() - s) * 1e3)
    return statistics.median(t)


def convpool_bench(exe, size, repeat, env=None):
    out = subprocess.run([exe, "bench", "-p", STEM, "--size", f"3x{size}x{size}", "--threads",
                          "2", "--repeat", str(repeat), "--fused", "--json"], cwd=STEM_DIR,
                         env=env, check=True, capture_output=True, text=True).stdout
    j = json.loads(out)
    return {"stages": [s["median_ms"] for s in j["stages"]], "sum": j["stages_median_ms"],
            "fused": j["fused"]["median_ms"]}


def torch_stem(size, repeat):
    import torch
    import torch.nn.functional as F
    torch.set_num_threads(2)
    w = torch.from_numpy(np.load(STEM_DIR / "conv1_weight.npy"))
    m, v, g, b = (torch.from_numpy(np.load(STEM_DIR / f"bn1_{n}.npy"))
                  for n in ("mean", "var", "weight", "bias"))
    x = torch.rand(1, 3, size, size, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        y = F.conv2d(x, w, None, 2, 3)
        z = F.batch_norm(y, m, v, g, b, False, 0.0, 1e-5)
        r = F.relu(z)
        times = [med(lambda: F.conv2d(x, w, None, 2, 3), repeat),
                 med(lambda: F.batch_norm(y, m, v, g, b, False, 0.0, 1e-5), repeat),
                 med(lambda: F.relu(z), repeat),
                 med(lambda: F.max_pool2d(r, 3, 2, 1), repeat)]
    return {"stages": times, "sum": sum(times)}


def torch_passive(size, repeat):
    """torch_stem in a process whose OpenMP workers sleep at once (OMP_WAIT_POLICY=PASSIVE, as
    convpool sets for its oneDNN plugin): libgomp reads the variable when torch loads it."""
    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE")
    out = subprocess.run([sys.executable, __file__, "--torch-only", str(size), str(repeat)],
                         env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def model_cost(exe, size, repeat):
    """convpool's model stage (bench median) against OpenCV dnn's forward on the same net."""
    import cv2
    cv2.setNumThreads(2)
    out = subprocess.run([exe, "bench", "-p", "model:stem.onnx", "--size", f"3x{size}x{size}",
                          "--threads", "2", "--repeat", str(repeat), "--json"], cwd=STEM_DIR,
                         check=True, capture_output=True, text=True).stdout
    stage = json.loads(out)["stages"][0]["median_ms"]
    net = cv2.dnn.readNetFromONNX(str(STEM_DIR / "stem.onnx"))
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    blob = np.random.default_rng(1).random((1, 3, size, size), dtype=np.float32)

    def forward():
        net.setInput(blob)
        return net.forward()
    return {"convpool": stage, "opencv": med(forward, repeat)}


def opencv_conv(size, repeat, tmp):
    """OpenCV dnn's convolution alone (a one-layer net: conv1 exported by torch.onnx.export),
    the other library candidate for conv:weights."""
    import cv2
    import torch
    cv2.setNumThreads(2)
    conv = torch.nn.Conv2d(3, 64, 7, 2, 3, bias=False)
    with torch.no_grad():
        conv.weight.copy_(torch.from_numpy(np.load(STEM_DIR / "conv1_weight.npy")))
    path = Path(tmp) / "conv1.onnx"
    if not path.exists():
        torch.onnx.export(conv.eval(), torch.zeros(1, 3, 224, 224), str(path),
                          input_names=["input"], dynamic_axes={"input": {2: "h", 3: "w"}})
    net = cv2.dnn.readNetFromONNX(str(path))
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    blob = np.random.default_rng(1).random((1, 3, size, size), dtype=np.float32)

    def forward():
        net.setInput(blob)
        return net.forward()
    return med(forward, repeat)


TORCH_PROCESS = r"""
import sys, cv2, numpy as np, torch, torch.nn.functional as F
torch.set_num_threads(2)
d = sys.argv[1]
w = torch.from_numpy(np.load(d + '/conv1_weight.npy'))
m, v, g, b = (torch.from_numpy(np.load(d + f'/bn1_{n}.npy')) for n in ('mean', 'var', 'weight', 'bias'))
img = cv2.imread(sys.argv[2])[:, :, ::-1].astype(np.float32) / 255
x = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))[None]
with torch.no_grad():
    y = F.max_pool2d(F.relu(F.batch_norm(F.conv2d(x, w, None, 2, 3), m, v, g, b, False, 0.0, 1e-5)), 3, 2, 1)
np.save(sys.argv[3], y[0].numpy())
"""


def whole_process(exe, size, runs, tmp):
    import cv2
    src = cv2.imread(str(ROOT / "samples" / "astronaut.jpg"))
    image = Path(tmp) / f"photo{size}.png"
    cv2.imwrite(str(image), cv2.resize(src, (size, size), interpolation=cv2.INTER_AREA))
    script = Path(tmp) / "stem_torch.py"
    script.write_text(TORCH_PROCESS)
    ours = [exe, "run", str(image), "-p", STEM, "--emit", "final", "--stats", "none",
            "--report", "none", "-q", "--threads", "2", "--force", "--format", "npy",
            "-o", str(Path(tmp) / "out")]
    theirs = ["/usr/bin/python3", str(script), str(STEM_DIR), str(image),
              str(Path(tmp) / "torch.npy")]
    a, b = [], []
    for _ in range(runs):  # alternating, so both see the same machine
        for cmd, acc in ((ours, a), (theirs, b)):
            s = time.perf_counter()
            subprocess.run(cmd, cwd=STEM_DIR, check=True, capture_output=True)
            acc.append((time.perf_counter() - s) * 1e3)
    return {"convpool": statistics.median(a), "torch": statistics.median(b), "ours": ours}


def binary_name(exe):
    """The binary as the report names it: relative to the repository, or just its name when it
    lies outside (a path of the machine that ran it means nothing to a reader)."""
    rel = os.path.relpath(exe, ROOT)
    return rel if not rel.startswith("..") else os.path.basename(exe)


def load_caveat(load_before):
    """What the load means for the times: nothing on a quiet machine (1-minute load under 1)."""
    if float(str(load_before).split("/")[0]) < 1.0:
        return "The machine was otherwise quiet."
    return ("**The machine was busy**: every time is inflated by that load, OpenMP-threaded peers "
            "(PyTorch, oneDNN) most, since their threads wait for each other at every barrier; the "
            "ratios, taken in the same run, are the figures to read. Rerun on a quiet machine "
            "before quoting a time.")


def section(r):
    L = [BEGIN, "## ResNet-18 stem (issue 14)", "",
         f"Generated by `/usr/bin/python3 bench/stem.py` on {r['when']} (commit {r['commit']}, "
         f"`{r['binary']}`), "
         f"2 threads, {r['repeat']} repeats (7 at 1024). Load average (1/5/15 min) before: "
         f"{r['load_before']}; after: {r['load_after']}. " + load_caveat(r['load_before']),
         "",
         "`STEM` = `" + STEM + "` (weights from `bench/stem/make_stem.py`, seed 18).", "",
         "| input | PyTorch conv / bn / relu / pool ms | PyTorch sum | convpool stages (oneDNN) "
         "| sum (x PyTorch) | `--fused` (x PyTorch) | hand loops: sum / fused |",
         "| --- | --- | ---: | --- | ---: | ---: | ---: |"]
    for size in SIZES:
        t, c, h = r["torch"][str(size)], r["convpool"][str(size)], r["loops"][str(size)]
        L.append(f"| 3x{size}x{size} | {' / '.join(f'{v:.2f}' for v in t['stages'])} | "
                 f"{t['sum']:.2f} | {' / '.join(f'{v:.2f}' for v in c['stages'])} | "
                 f"{c['sum']:.2f} ({c['sum'] / t['sum']:.2f}) | "
                 f"{c['fused']:.2f} ({c['fused'] / t['sum']:.2f}) | "
                 f"{h['sum']:.2f} / {h['fused']:.2f} |")
    L += ["", "PyTorch's OpenMP workers spin after each operation by default, and on a loaded "
          "machine that costs it a time slice per barrier; convpool sets OMP_WAIT_POLICY=PASSIVE "
          "for its oneDNN plugin (io/conv_plugin.cpp). The same PyTorch run in a process with "
          "OMP_WAIT_POLICY=PASSIVE, for a fairer peer:", ""]
    for size in SIZES:
        t, c = r["torch_passive"][str(size)], r["convpool"][str(size)]
        L.append(f"- 3x{size}x{size}: PyTorch (passive) conv / bn / relu / pool "
                 f"{' / '.join(f'{v:.2f}' for v in t['stages'])} ms, sum {t['sum']:.2f} ms; "
                 f"convpool's sum {c['sum'] / t['sum']:.2f}x it, `--fused` "
                 f"{c['fused'] / t['sum']:.2f}x it")
    L += ["", "The convolution alone, by each candidate (ms; the choice of oneDNN for "
          "`conv:weights` rests on this row): ", ""]
    L.append("| input | oneDNN (convpool's conv stage) | OpenCV dnn (one-layer net) | "
             "hand loops (`CONVPOOL_CONV=loops`) | PyTorch F.conv2d |")
    L.append("| --- | ---: | ---: | ---: | ---: |")
    for size in SIZES:
        k = str(size)
        L.append(f"| 3x{size}x{size} | {r['convpool'][k]['stages'][0]:.2f} | "
                 f"{r['opencv_conv'][k]:.2f} | {r['loops'][k]['stages'][0]:.2f} | "
                 f"{r['torch'][k]['stages'][0]:.2f} |")
    L += ["", "Targets: convpool's sum of stage medians at most PyTorch's (ratio ≤ 1); stretch, "
          "`--fused` at most 0.7x PyTorch's.", "",
          "Whole process (decode the PNG, the four stages, write the result as .npy; medians of "
          f"{r['runs']} alternating runs; the Python process includes importing torch):", ""]
    for size in SIZES:
        w = r["whole"][str(size)]
        L.append(f"- {size}x{size}: convpool {w['convpool']:.0f} ms, Python + PyTorch "
                 f"{w['torch']:.0f} ms (ratio {w['convpool'] / w['torch']:.2f})")
    L += ["", "The `model` stage's cost over OpenCV dnn alone (`model:stem.onnx`, the same four "
          "layers exported by torch.onnx.export, bn folded by the exporter; convpool bench's "
          "median against `net.forward()` on the same input size; target ≤ 1.10):", ""]
    for size in SIZES:
        m = r["model"][str(size)]
        L.append(f"- {size}x{size}: convpool model stage {m['convpool']:.2f} ms, OpenCV dnn "
                 f"{m['opencv']:.2f} ms, ratio {m['convpool'] / m['opencv']:.2f}")
    cmd = r["whole"]["224"]["ours"]
    shown = ["convpool"] + [f"'{a}'" if " " in a else a for a in cmd[1:]]
    L += ["", "```", " ".join(shown).replace(r["tmp"], "TMP"), "```", END]
    return "\n".join(L) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--convpool", help="the binary (default: build/cinotidy/convpool, else "
                    "build/ci/convpool: optimised builds; the dev preset is a Debug build)")
    ap.add_argument("--repeat", type=int, default=21)
    ap.add_argument("--runs", type=int, default=5, help="whole-process runs")
    ap.add_argument("--out", default=str(ROOT / "docs" / "BENCHMARKS.md"))
    ap.add_argument("--torch-only", nargs=2, type=int, metavar=("SIZE", "REPEAT"),
                    help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.torch_only:
        print(json.dumps(torch_stem(*args.torch_only)))
        return
    exe = args.convpool or next((str(p) for p in (ROOT / "build" / "cinotidy" / "convpool",
                                                  ROOT / "build" / "ci" / "convpool")
                                 if p.exists()), None)
    if exe is None:
        sys.exit("no optimised build: give --convpool (build with the ci preset)")
    exe = os.path.abspath(exe)
    r = {"load_before": load(), "repeat": args.repeat, "runs": args.runs,
         "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
         "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                                  capture_output=True, text=True).stdout.strip(),
         "torch": {}, "convpool": {}, "loops": {}, "whole": {}, "model": {}, "opencv_conv": {}, "torch_passive": {},
         "binary": binary_name(exe)}
    loops_env = dict(os.environ, CONVPOOL_CONV="loops")
    with tempfile.TemporaryDirectory() as tmp:
        r["tmp"] = tmp
        for size in SIZES:
            n = args.repeat if size < 1000 else 7
            r["convpool"][str(size)] = convpool_bench(exe, size, n)
            r["torch"][str(size)] = torch_stem(size, n)
            r["torch_passive"][str(size)] = torch_passive(size, n)
            r["loops"][str(size)] = convpool_bench(exe, size, max(3, n // 3), loops_env)
            r["model"][str(size)] = model_cost(exe, size, n)
            r["opencv_conv"][str(size)] = opencv_conv(size, n, tmp)
            r["whole"][str(size)] = whole_process(exe, size, args.runs, tmp)
            print(size, json.dumps({k: r[k][str(size)] for k in
                                    ("torch", "convpool", "loops", "model")}), file=sys.stderr)
        r["load_after"] = load()
        text = section(r)
    out = Path(args.out)
    old = out.read_text() if out.exists() else ""
    if BEGIN in old:
        new = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END) + "\n", lambda _: text, old,
                     flags=re.S)
    else:
        new = old + ("\n" if old and not old.endswith("\n\n") else "") + text
    out.write_text(new)


if __name__ == "__main__":
    main()
