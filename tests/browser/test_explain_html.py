#!/usr/bin/env python3
"""Browser test of explain.html: convpool explain, then headless Chromium (--dump-dom).

Usage: test_explain_html.py PATH/TO/convpool REPO_ROOT [--no-browser]

A test-only copy of the page gets one more inline script that, after the load event, hovers the
first output cell, steps right and down with the arrow keys, and asks for an image from the
network; it writes what the page highlighted and showed into the DOM. Checked against
explain.json: the highlighted input cells are exactly the window's cells and padding taps, the
ringed one is the winner, the text shown is the cell's arithmetic, the keys moved the focus, the
network request was refused by the page's Content-Security-Policy, and no console errors. A
control copy without the page's own script must fail the same checks, so the test cannot pass by
not looking. Without Chromium it prints 'SKIPPED: ...' and exits 77 (ctest: skip).
Standard library only.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

SKIP = 77

PROBE = """<script>
window.addEventListener('load', function () {
  var violations = 0;
  document.addEventListener('securitypolicyviolation', function () { violations++; });
  function state() {
    function ids(cls) {
      return Array.prototype.map.call(document.querySelectorAll('.' + cls),
                                      function (e) { return e.id; }).sort();
    }
    var active = document.activeElement;
    return {hl: ids('hl'), win: ids('win'), info: document.getElementById('info').textContent,
            focus: active && active.id ? active.id : ''};
  }
  function key(name) {
    var el = document.activeElement;
    if (el) { el.dispatchEvent(new KeyboardEvent('keydown', {key: name, bubbles: true})); }
  }
  var steps = [];
  var first = document.getElementById('p0s1c0y0x0');
  first.dispatchEvent(new MouseEvent('mouseenter'));
  steps.push(state());
  first.focus();
  key('ArrowRight');
  steps.push(state());
  key('ArrowDown');
  steps.push(state());
  var img = new Image();
  img.src = 'http://127.0.0.1:9/probe.png';
  setTimeout(function () {
    var pre = document.createElement('pre');
    pre.id = 'probe-result';
    pre.textContent = JSON.stringify({steps: steps, violations: violations});
    document.body.appendChild(pre);
  }, 300);
});
</script>"""


def chromium_binary():
    for name in (os.environ.get("CONVPOOL_CHROMIUM", ""), "chromium", "chromium-browser"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def probe(binary, page_path, tmp):
    profile = tempfile.mkdtemp(dir=tmp)
    cmd = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--disable-extensions", "--enable-logging=stderr", "--v=0",
           f"--user-data-dir={profile}", "--virtual-time-budget=5000", "--dump-dom",
           "file://" + page_path]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=90)
    m = re.search(r'<pre id="probe-result">(.*?)</pre>', p.stdout, re.S)
    result = json.loads(m.group(1).replace("&quot;", '"').replace("&amp;", "&")
                        .replace("&lt;", "<").replace("&gt;", ">")) if m else None
    errors = [line for line in p.stderr.splitlines()
              if "CONSOLE" in line and re.search(r"Uncaught|Error", line)]
    return result, errors


FIT = """<script>
window.addEventListener('load', function () {
  var box = document.querySelector('#figure svg').getBoundingClientRect();
  var pre = document.createElement('pre');
  pre.id = 'fit-result';
  pre.textContent = JSON.stringify({right: box.right, view: document.documentElement.clientWidth,
                                    scroll: document.documentElement.scrollWidth});
  document.body.appendChild(pre);
});
</script>"""


def fit(binary, page_path, tmp):
    """Where the figure's right edge falls in a 1000 px wide window, and the page's width."""
    profile = tempfile.mkdtemp(dir=tmp)
    cmd = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--disable-extensions", f"--user-data-dir={profile}", "--window-size=1000,800",
           "--virtual-time-budget=3000", "--dump-dom", "file://" + page_path]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=90)
    m = re.search(r'<pre id="fit-result">(.*?)</pre>', p.stdout, re.S)
    return json.loads(m.group(1).replace("&quot;", '"')) if m else None


def wide_figure_problems(binary_path, binary, tmp):
    """A figure wider than the window (8x8 through three stages, two modes) is scaled to fit: its
    right edge inside the window and nothing to scroll sideways; the same page without its
    scaling rule overflows (the control)."""
    out = os.path.join(tmp, "wide")
    p = subprocess.run([binary_path, "explain", "-p", "conv:sobel-x | relu | pool:max,k=2,s=2",
                        "--modes", "max,avg", "--size", "8x8", "-o", out, "-q"],
                       capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        return [f"explain of the wide figure failed: {p.stderr}"]
    with open(os.path.join(out, "explain.html"), encoding="utf-8") as f:
        page = f.read()
    found = []
    for name, text, should_fit in (("_fit.html", page, True),
                                   ("_fit_control.html",
                                    page.replace(".explain-figure svg {", "#unused {"), False)):
        path = os.path.join(out, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text.replace("</body>", FIT + "</body>"))
        r = fit(binary, path, tmp)
        if r is None:
            found.append(f"{name}: no result")
            continue
        fits = r["right"] <= r["view"] + 0.5 and r["scroll"] <= r["view"]
        if fits != should_fit:
            found.append(f"{name}: figure right edge {r['right']}, page {r['scroll']} px wide, "
                         f"window {r['view']} px: {'overflows' if should_fit else 'fits'}")
    return found


def expected(model, y, x):
    stage = model["panels"][0]["stages"][1]
    w = stage["windows"][y * stage["shape"][2] + x]
    ids = sorted(f"p0s0c0y{g[0]}x{g[1]}" for g in w["cells"] + w["padding"])
    win = [f"p0s0c0y{w['winners'][0][0]}x{w['winners'][0][1]}"]
    info = (f"{stage['text']} ({y}, {x}): {w['arithmetic'][0]}; winner: input cell "
            f"({w['winners'][0][0]}, {w['winners'][0][1]})")
    return {"hl": ids, "win": win, "info": info, "focus": f"p0s1c0y{y}x{x}"}


def problems(result, errors, model):
    found = []
    if result is None:
        return ["the probe wrote no result"]
    for step, (y, x) in zip(result["steps"], [(0, 0), (0, 1), (1, 1)]):
        want = expected(model, y, x)
        for key in ("hl", "win", "info"):
            if step[key] != want[key]:
                found.append(f"cell ({y}, {x}) {key}: got {step[key]!r}, want {want[key]!r}")
        if (y, x) != (0, 0) and step["focus"] != want["focus"]:
            found.append(f"focus after a key: got {step['focus']!r}, want {want['focus']!r}")
    if result["violations"] < 1:
        found.append("the request to the network was not refused by the page's policy")
    found += [f"console: {e}" for e in errors]
    return found


def main():
    binary_path, root = sys.argv[1], sys.argv[2]
    del root
    tmp = tempfile.mkdtemp(prefix="convpool-explain-html-")
    try:
        out = os.path.join(tmp, "out")
        # Padding before the input, two windows with a winner each, a third reached by keys.
        p = subprocess.run([binary_path, "explain", "-p", "pool:max,k=2,s=2,pad=1", "--values",
                            "[1 3 2; 5 6 7; 0 2 4]", "-o", out, "-q"],
                           capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            print(p.stderr)
            return 1
        with open(os.path.join(out, "explain.json"), encoding="utf-8") as f:
            model = json.load(f)
        if "--no-browser" in sys.argv:
            print("explain.html written; browser checks skipped (--no-browser)")
            return 0
        binary = chromium_binary()
        if binary is None:
            print("SKIPPED: no chromium")
            return SKIP
        with open(os.path.join(out, "explain.html"), encoding="utf-8") as f:
            page = f.read()
        test_page = os.path.join(out, "_probe.html")
        with open(test_page, "w", encoding="utf-8") as f:
            f.write(page.replace("</body>", PROBE + "</body>"))
        found = problems(*probe(binary, test_page, tmp), model)
        # The control: the same page without its own script highlights nothing.
        control_page = os.path.join(out, "_control.html")
        own = re.search(r"<script>\s*\(function \(\) \{.*?</script>", page, re.S)
        assert own, "the page's script was not found"
        with open(control_page, "w", encoding="utf-8") as f:
            f.write(page.replace(own.group(0), "").replace("</body>", PROBE + "</body>"))
        control = problems(*probe(binary, control_page, tmp), model)
        if not control:
            found.append("the control page without the page's script passed: the test sees nothing")
        found += wide_figure_problems(binary_path, binary, tmp)
        for line in found:
            print("FAIL:", line)
        if not found:
            print("explain.html: windows, winners, arithmetic, keys and the policy as expected")
        return 1 if found else 0
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    sys.exit(main())
