#!/usr/bin/env python3
"""Browser test of the HTML report: convpool run --html, then headless Chromium.

Usage: test_html.py PATH/TO/convpool REPO_ROOT [--save-screenshot PNG] [--no-browser]

Checks, on a run over two samples:
  * the page is self-contained: no <script>, nothing loaded from http(s), every <img> file exists,
    a Content-Security-Policy that forbids every request off the page;
  * every <img> has real alternative text (not empty, not a file name);
  * with --sheet-format svg the sheet is an <img> of sheet.svg that decodes; with pdf, a link
    to sheet.pdf and no <img> of it;
  * at 1280 px nothing scrolls sideways: not the page and not a table in it (long stage texts
    wrap), checked in Chromium on a pipeline with long stages;
  * in Chromium (--dump-dom on a test-only copy with one inline script): the load event fired and
    every <img> decoded (complete, naturalWidth > 0);
  * no console errors (Chromium's log on stderr: "Uncaught", "Failed to load resource", ...);
  * the screenshot is a real picture: many distinct colours, not one blank colour.
A control page with a broken image and a throwing script, and a control copy of the report with
one over-wide element, must fail the same checks, so the test cannot pass by not looking. Without Chromium it prints 'SKIPPED: ...' and exits 77 (ctest: skip).
--save-screenshot writes a half-size crop of the screenshot (the README's picture).
--no-browser runs convpool and the checks of the page as a file only (the sanitizer builds).
Standard library only.
"""
import html as html_lib
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from arrays import npy_f32  # noqa: E402
from images import read_png  # noqa: E402
from runner import run_binary  # noqa: E402

SKIP = 77


def chromium_binary():
    for name in (os.environ.get("CONVPOOL_CHROMIUM", ""), "chromium", "chromium-browser",
                 "google-chrome"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def chromium(binary, profile, *args, timeout=90):
    """Runs headless Chromium with a fresh profile and no network services; returns the process."""
    cmd = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
           "--no-first-run", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", "--disable-extensions", "--hide-scrollbars",
           "--enable-logging=stderr", "--v=0", f"--user-data-dir={profile}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


CONSOLE_ERROR = re.compile(r"Uncaught|ERROR:CONSOLE|Failed to load resource|net::ERR_", re.I)


def console_errors(stderr):
    return [line for line in stderr.splitlines()
            if "CONSOLE" in line and CONSOLE_ERROR.search(line)
            or "Failed to load resource" in line]


# An inline script added to a test-only copy of the page: after `load`, the title says whether
# every image decoded. Chromium's --dump-dom prints the DOM after the load event.
PROBE = """<script>
window.addEventListener('load', function () {
  var bad = [], imgs = document.images;
  for (var i = 0; i < imgs.length; ++i) {
    if (!imgs[i].complete || imgs[i].naturalWidth === 0) bad.push(imgs[i].getAttribute('src'));
  }
  // Sideways scrolling at this window width: the page's, and any element's own.
  var wide = [], all = document.querySelectorAll('body *');
  for (var j = 0; j < all.length; ++j) {
    var e = all[j], style = getComputedStyle(e);
    if ((style.overflowX === 'auto' || style.overflowX === 'scroll') &&
        e.scrollWidth > e.clientWidth + 1) wide.push(e.tagName + '.' + e.className);
  }
  if (document.documentElement.scrollWidth > window.innerWidth + 1) wide.push('page');
  // The index's thumbnails: shown at least 72 px on their shorter side, their aspect kept unless
  // cropped at the longest box (400x300), decoded, with alternative text.
  var thumbs = document.querySelectorAll('nav .index img'), small = 0, distorted = 0;
  for (var k = 0; k < thumbs.length; ++k) {
    var t = thumbs[k], r = t.getBoundingClientRect();
    if (Math.min(r.width, r.height) < 71.5 || !t.complete || t.naturalWidth === 0 ||
        (t.getAttribute('alt') || '').length < 8) small++;
    var cropped = r.width > 399 || r.height > 299;
    if (!cropped && t.naturalHeight > 0 && Math.abs(r.width / r.height /
        (t.naturalWidth / t.naturalHeight) - 1) > 0.03) distorted++;
  }
  document.title = 'PROBE wide=' + wide.length + ' ' + wide.join(',') + ' images=' + imgs.length +
      ' bad=' + bad.length + ' ' + bad.join(' ') + ' thumbs=' + thumbs.length + ' small=' + small +
      ' distorted=' + distorted;
});
</script>"""


def probe_page(binary, profile, html_path, extra=""):
    """(title written by PROBE, chromium stderr) for a copy of html_path with the probe added (and
    `extra` HTML at the start of the body), in a 1280 px wide window."""
    with open(html_path, encoding="utf-8") as f:
        page = f.read()
    if extra:
        page = page.replace("<body>", "<body>" + extra, 1)
    # Every image is checked, including those the page loads lazily.
    page = page.replace(' loading="lazy"', "").replace("</body>", PROBE + "</body>")
    probe_path = os.path.join(os.path.dirname(html_path), "_probe.html")
    with open(probe_path, "w", encoding="utf-8") as f:
        f.write(page)
    p = chromium(binary, profile, "--virtual-time-budget=10000", "--window-size=1280,900",
                 "--dump-dom",
                 "file://" + probe_path)
    os.remove(probe_path)
    m = re.search(r"<title>(PROBE[^<]*)</title>", p.stdout)
    return (m.group(1) if m else None), p.stderr


def thumbnail_problems(title, want):
    """Problems with the index thumbnails as PROBE counted them: `want` of them, none shown smaller
    than 72 px on its shorter side (or undecoded, or without alternative text), none distorted."""
    m = re.search(r" thumbs=(\d+) small=(\d+) distorted=(\d+)", title or "")
    if not m:
        return [f"the probe counted no thumbnails: {title}"]
    thumbs, small, distorted = map(int, m.groups())
    found = []
    if thumbs != want:
        found.append(f"{thumbs} index thumbnails, want {want} (input and last stage per image)")
    if small or distorted:
        found.append(f"index thumbnails: {small} under 72 px, undecoded or without alt text, "
                     f"{distorted} distorted")
    return found


def write_png(path, rows):
    """Writes RGB rows as an 8-bit PNG: per row the smaller of filters None, Sub and Up (by the
    usual sum-of-magnitudes rule), zlib level 9."""
    height, width = len(rows), len(rows[0])
    lines, prev = [], bytes(width * 3)
    for row in rows:
        line = bytes(v for px in row for v in px)
        sub = bytes((line[i] - (line[i - 3] if i >= 3 else 0)) & 255 for i in range(len(line)))
        up = bytes((a - b) & 255 for a, b in zip(line, prev))
        cost = lambda f: sum(v if v < 128 else 256 - v for v in f)  # noqa: E731
        ftype, data = min(((0, line), (1, sub), (2, up)), key=lambda c: cost(c[1]))
        lines.append(bytes([ftype]) + data)
        prev = line
    raw = b"".join(lines)

    def chunk(kind, body):
        return (struct.pack(">I", len(body)) + kind + body +
                struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" +
                chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) +
                chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def half_size_crop(rows, height):
    """The top `height` rows, halved in both directions (2x2 box average)."""
    out = []
    for y in range(0, min(height, len(rows)) - 1, 2):
        r0, r1 = rows[y], rows[y + 1]
        out.append([tuple((r0[x][k] + r0[x + 1][k] + r1[x][k] + r1[x + 1][k] + 2) // 4
                          for k in range(3)) for x in range(0, len(r0) - 1, 2)])
    return out


def csp_directives(html):
    """The page's Content-Security-Policy as {directive: [sources]}, or None without one."""
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)"', html)
    if not csp:
        return None
    parts = [d.split() for d in csp.group(1).split(";") if d.strip()]
    return {d[0]: d[1:] for d in parts}


def static_checks(out, html):
    """Problems with the page as a file: scripts without the policy, network references, missing
    pictures."""
    problems = []
    policy = csp_directives(html)
    if (policy is None or policy.get("default-src") != ["'none'"]
            or any(re.search(r"http|\*|'self'|data:", src) for d, srcs in policy.items()
                   if d not in ("img-src",) for src in srcs)
            or any(re.search(r"http|\*", src) for src in policy.get("img-src", []))):
        problems.append(f"no Content-Security-Policy forbidding requests off the page: {policy}")
    # Script only inline, and only under that policy with inline script its one source.
    for attrs in re.findall(r"<script\b([^>]*)>", html, re.I):
        if re.search(r"\bsrc\s*=", attrs, re.I):
            problems.append(f"a <script> loaded from a file: <script{attrs}>")
        elif policy is None or policy.get("script-src") != ["'unsafe-inline'"]:
            problems.append("a <script> without a policy that allows only inline script")
    for attr, url in re.findall(r'\b(src|href)="([^"]*)"', html):
        if re.match(r"(https?:)?//", url):
            problems.append(f"{attr} from the network: {url}")
    srcs = re.findall(r'<img[^>]*\bsrc="([^"]*)"', html)
    for src in srcs:
        if src.startswith("data:"):
            continue
        path = os.path.join(out, re.sub(r"%([0-9A-F]{2})", lambda m: chr(int(m.group(1), 16)), src))
        if not os.path.isfile(path):
            problems.append(f"<img src> names a missing file: {src}")
    # url(#id) is a reference inside the page (the explain view's hatching), nothing loaded.
    if re.search(r"<link[^>]*stylesheet|@import|url\((?!#)", html, re.I):
        problems.append("the page loads a style sheet or url() resource")
    for tag in re.findall(r"<img[^>]*>", html):
        alt = re.search(r'\balt="([^"]*)"', tag)
        if not alt or len(alt.group(1).strip()) < 8 or re.fullmatch(r"[\w.-]+\.png", alt.group(1)):
            problems.append(f"an <img> without real alternative text: {tag[:120]}")
    return problems, len(srcs)


# The explain views of a page with two small inputs: after `load`, hover, click and arrow keys on
# output cells of both views; what each view highlighted and showed is written into the DOM.
VIEW_PROBE = """<script>
window.addEventListener('load', function () {
  var violations = 0;
  document.addEventListener('securitypolicyviolation', function () { violations++; });
  function ids(cls) {
    return Array.prototype.map.call(document.querySelectorAll('rect.' + cls),
                                    function (e) { return e.id; }).sort();
  }
  function state() {
    var a = document.activeElement;
    return {hl: ids('hl'), win: ids('win'), sel: ids('sel'),
            info0: document.getElementById('v0-info').textContent,
            info1: document.getElementById('v1-info').textContent,
            focus: a && a.id ? a.id : ''};
  }
  function key(name) {
    var el = document.activeElement;
    if (el) { el.dispatchEvent(new KeyboardEvent('keydown', {key: name, bubbles: true})); }
  }
  var seen = {}, dup = [];
  document.querySelectorAll('[id]').forEach(function (e) {
    if (seen[e.id]) { dup.push(e.id); }
    seen[e.id] = true;
  });
  var steps = [];
  document.getElementById('v0-p0s1c0y0x0').dispatchEvent(new MouseEvent('mouseenter'));
  steps.push(state());
  var cell = document.getElementById('v1-p0s1c0y1x2');
  cell.dispatchEvent(new MouseEvent('mouseenter'));
  steps.push(state());
  cell.focus();
  key('ArrowRight');
  steps.push(state());
  key('ArrowDown');
  steps.push(state());
  document.getElementById('v1-p0s2c0y0x1').dispatchEvent(new MouseEvent('click'));
  steps.push(state());
  var img = new Image();
  img.src = 'http://127.0.0.1:9/probe.png';
  setTimeout(function () {
    var pre = document.createElement('pre');
    pre.id = 'probe-result';
    pre.textContent = JSON.stringify({steps: steps, violations: violations, dup: dup});
    document.body.appendChild(pre);
  }, 300);
});
</script>"""

# Two small inputs (integers: every number prints exactly) and the pipeline of the view test.
VIEW_INPUTS = {"a.npy": (8, 8, [(7 * i + 3) % 10 for i in range(64)]),
               "b.npy": (6, 8, [(5 * i + 1) % 9 for i in range(48)])}
VIEW_PIPELINE = "pool:max,k=2,s=2 | pool:avg,k=2,s=2"


def view_expected(scope, grid, y, x):
    """(highlighted ids, winner ids, text) of output cell (y, x) of stage 1 (max, k=2, s=2) on
    `grid`, worked out here: the window is rows 2y..2y+1 and columns 2x..2x+1, the winner the
    first largest value in row-major order."""
    cells = [(2 * y + i, 2 * x + j) for i in range(2) for j in range(2)]
    values = [grid[r][c] for r, c in cells]
    wy, wx = cells[values.index(max(values))]
    text = (f"pool:max,k=2,s=2 ({y}, {x}): max({', '.join(map(str, values))}) = {max(values)}; "
            f"winner: input cell ({wy}, {wx})")
    return ({f"{scope}p0s0c0y{r}x{c}" for r, c in cells}, {f"{scope}p0s0c0y{wy}x{wx}"}, text)


def view_checks(result, grids):
    """Problems in what VIEW_PROBE saw, against view_expected() and the average worked out."""
    if result is None:
        return ["the view probe wrote no result"]
    found = [f"duplicate id in the page: {d}" for d in result["dup"]]
    a, b = grids["a.npy"], grids["b.npy"]
    hl0, win0, text0 = view_expected("v0-", a, 0, 0)
    want = []
    for y, x in [(1, 2), (1, 3), (2, 3)]:
        hl, win, text = view_expected("v1-", b, y, x)
        want.append((hl0 | hl, win0 | win, text, f"v1-p0s1c0y{y}x{x}"))
    # Stage 2 (avg over the maxima): output (0, 1) reads stage 1's rows 0..1, columns 2..3.
    maxima = [max(b[2 * r + i][2 * c + j] for i in range(2) for j in range(2))
              for r in range(2) for c in (2, 3)]
    avg_text = (f"pool:avg,k=2,s=2 (0, 1): ({' + '.join(map(str, maxima))}) / 4 = "
                f"{sum(maxima) / 4:g}")
    want.append((hl0 | {f"v1-p0s1c0y{r}x{c}" for r in range(2) for c in (2, 3)}, win0, avg_text,
                 "v1-p0s2c0y0x1"))
    steps = result["steps"]
    if len(steps) != 5:
        return found + [f"the probe took {len(steps)} steps, not 5"]
    if steps[0]["info0"] != text0 or set(steps[0]["hl"]) != hl0 or set(steps[0]["win"]) != win0:
        found.append(f"view 0, cell (0, 0): {steps[0]}, want {sorted(hl0)} {text0!r}")
    for n, (step, (hl, win, text, cell)) in enumerate(zip(steps[1:], want), 1):
        got = (set(step["hl"]), set(step["win"]), step["info1"], step["sel"])
        if got != (hl, win, text, sorted(["v0-p0s1c0y0x0", cell])):
            found.append(f"step {n}: got {got}, want {(sorted(hl), sorted(win), text, cell)}")
        if step["info0"] != text0:
            found.append(f"step {n}: view 1 changed view 0's text to {step['info0']!r}")
        if n in (2, 3) and step["focus"] != cell:
            found.append(f"step {n}: the arrow key left the focus on {step['focus']!r}, not {cell}")
    if result["violations"] < 1:
        found.append("the request to the network was not refused by the page's policy")
    return found


def view_run(binary_convpool, root, tmp):
    """Runs the two small inputs, a strip and camera.png with --html; (page path, grids,
    problems)."""
    grids, inputs = {}, []
    for name, (h, w, flat) in VIEW_INPUTS.items():
        path = os.path.join(tmp, name)
        with open(path, "wb") as f:
            f.write(npy_f32((h, w), flat))
        grids[name] = [flat[r * w:(r + 1) * w] for r in range(h)]
        inputs.append(path)
    # A strip (4x90: wider than a view takes): its thumbnails must still be readable.
    strip = os.path.join(tmp, "strip.npy")
    with open(strip, "wb") as f:
        f.write(npy_f32((4, 90), [float(i % 17) for i in range(360)]))
    out = os.path.join(tmp, "out views")
    code, _, err = run_binary(binary_convpool, "run", *inputs, strip,
                              os.path.join(root, "samples", "camera.png"), "-p", VIEW_PIPELINE,
                              "-o", out, "--html", "--report", "none", "-q")
    if code != 0:
        return None, grids, [f"run --html of the small inputs exited {code}: {err}"]
    page_path = os.path.join(out, "index.html")
    with open(page_path, encoding="utf-8") as f:
        html = f.read()
    problems, _ = static_checks(out, html)
    views = re.findall(r'<div class="explain-view" data-prefix="([^"]*)"', html)
    if views != ["v0-", "v1-"]:
        problems.append(f"want an explain view for each small input, none for the strip and "
                        f"camera.png: "
                        f"{views}")
    return page_path, grids, problems


def dump_result(binary, profile, page_path, probe, result_id, edit=lambda page: page):
    """(JSON in <pre id=result_id>, console errors) of a copy of the page, changed by `edit`,
    with the script `probe` added, after its load in a 1280 px wide window."""
    with open(page_path, encoding="utf-8") as f:
        page = edit(f.read())
    path = os.path.join(os.path.dirname(page_path), "_dump_probe.html")
    with open(path, "w", encoding="utf-8") as f:
        f.write(page.replace("</body>", probe + "</body>"))
    p = chromium(binary, profile, "--virtual-time-budget=5000", "--window-size=1280,900",
                 "--dump-dom", "file://" + path)
    os.remove(path)
    m = re.search(rf'<pre id="{result_id}">(.*?)</pre>', p.stdout, re.S)
    return (json.loads(html_lib.unescape(m.group(1))) if m else None), console_errors(p.stderr)


def view_probe(binary, profile, page_path, strip_scripts=False):
    """VIEW_PROBE's result on a copy of the page (without the views' own scripts: the control),
    and the console errors."""
    strip = (lambda page: re.sub(r"<script>\s*\(function \(\) \{.*?</script>", "", page,
                                 flags=re.S)) if strip_scripts else (lambda page: page)
    return dump_result(binary, profile, page_path, VIEW_PROBE, "probe-result", strip)


def view_browser_checks(binary, profile, page_path, grids):
    """The views in Chromium: hover, click and keys on both, the page's images and width, no
    console errors; the control page without the views' scripts must fail."""
    result, errors = view_probe(binary, profile, page_path)
    found = view_checks(result, grids) + [f"console (views): {e}" for e in errors]
    control, _ = view_probe(binary, profile, page_path, strip_scripts=True)
    if not view_checks(control, grids):
        found.append("the control page without the views' scripts passed: the test sees nothing")
    title, stderr = probe_page(binary, profile, page_path)
    if title is None or not re.match(r"PROBE wide=0  images=\d+ bad=0 ", title + " "):
        found.append(f"page with views: images not decoded or sideways scroll: {title}")
    found += thumbnail_problems(title, 8)
    found += [f"console (views page): {e}" for e in console_errors(stderr)]
    print(f"browser, explain views: {title}; {len(found)} problems")
    return found


WIDTH_PROBE = """<script>
window.addEventListener('load', function () {
  var out = {};
  document.querySelectorAll('section.image img').forEach(function (img) {
    out[img.getAttribute('src')] = [img.getBoundingClientRect().width, img.naturalWidth];
  });
  var pre = document.createElement('pre');
  pre.id = 'width-result';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>"""


def rendered_widths(binary, profile, page_path):
    """{src: [rendered width, natural width]} of every picture in the images' sections of the
    page, in a 1280 px wide window."""
    return dump_result(binary, profile, page_path, WIDTH_PROBE, "width-result",
                       lambda page: page.replace(' loading="lazy"', ""))[0]


def png_width(path):
    """The width in a PNG file's header."""
    with open(path, "rb") as f:
        return struct.unpack(">I", f.read(24)[16:20])[0]


def png_scale_runs(binary_convpool, root, tmp):
    """The same run at --png-scale 1 and 2 (stage pictures, window close-ups, a weights grid, the
    sheet); {scale: page path}, problems."""
    pages, found = {}, []
    for scale in (1, 2):
        out = os.path.join(tmp, f"out scale {scale}")
        code, _, err = run_binary(binary_convpool, "run", os.path.join(root, "samples", "camera.png"),
                                  "-p", "bank:sobel-x,sobel-y | relu | pool:max,k=2,s=2", "-o", out,
                                  "--html", "--grid-overlay", "--png-scale", str(scale),
                                  "--report", "none", "-q")
        if code != 0:
            found.append(f"run --png-scale {scale} --html exited {code}: {err}")
            continue
        pages[scale] = os.path.join(out, "index.html")
        with open(pages[scale], encoding="utf-8") as f:
            srcsets = re.findall(r'<img[^>]*\bsrcset="([^"]*) (\d+)w" sizes="(\d+)px"', f.read())
        # At 2 every picture (the weights grid too) names its width and half of it; at 1 none.
        halves = [int(w) == 2 * int(px) or int(w) == 2 * int(px) - 1 for _, w, px in srcsets]
        if (len(srcsets), all(halves)) != ((7 if scale == 2 else 0), True):
            found.append(f"--png-scale {scale}: srcset and sizes of {len(srcsets)} pictures: "
                         f"{srcsets}")
    return pages, found


def png_scale_checks(binary, profile, pages):
    """At --png-scale 2 every picture shows at the width it has at 1 (within a pixel), and the
    pictures drawn at scale 2 really have twice the pixels (the page is sharp on HiDPI)."""
    one, two = (rendered_widths(binary, profile, pages[s]) for s in (1, 2))
    if not one or not two or set(one) != set(two):
        return [f"--png-scale pages: different pictures: {sorted(one or {})} and "
                f"{sorted(two or {})}"]
    found, doubled = [], 0
    for src, (width, _) in one.items():
        width2, _ = two[src]
        if abs(width - width2) > 1:
            found.append(f"--png-scale 2: {src} shows {width2:.0f} px wide, {width:.0f} at 1")
        # The files' own widths (a srcset's picture reports its width at its density).
        files = [os.path.join(os.path.dirname(pages[s]), src) for s in (1, 2)]
        doubled += png_width(files[1]) == 2 * png_width(files[0])
    if doubled < len(one) - 1:  # all but at most one (the weights grid is drawn at 2 too)
        found.append(f"--png-scale 2: only {doubled} of {len(one)} pictures have twice the pixels")
    print(f"browser, --png-scale 1 and 2: {len(one)} pictures, {doubled} of them doubled, "
          f"{len(found)} shown at another width")
    # Control: the 2x page without its srcset and sizes shows the doubled pictures wider.
    with open(pages[2], encoding="utf-8") as f:
        plain = re.sub(r' srcset="[^"]*" sizes="[^"]*"', "", f.read())
    control = os.path.join(os.path.dirname(pages[2]), "_plain.html")
    with open(control, "w", encoding="utf-8") as f:
        f.write(plain)
    wider = rendered_widths(binary, profile, control) or {}
    if sum(1 for src, (w, _) in wider.items() if w > one[src][0] + 1) < 2:
        found.append("control: the 2x page without srcset shows no picture wider; the test "
                     "sees nothing")
    else:
        print("control: the 2x page without srcset shows its pictures wider")
    return found


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    binary_convpool, root = sys.argv[1], sys.argv[2]
    save = sys.argv[sys.argv.index("--save-screenshot") + 1] if "--save-screenshot" in sys.argv else None
    failures = []
    with tempfile.TemporaryDirectory(prefix="convpool-html-") as tmp:
        out = os.path.join(tmp, "out dir")  # a space: URLs must be encoded
        p = subprocess.run([binary_convpool, "run", os.path.join(root, "samples", "chelsea.png"),
                            os.path.join(root, "samples", "camera.png"),
                            "-p", "conv:sobel-x,pad=same,border=reflect101 | relu | pool:max,k=2,s=2 | "
                            "pool:avg,k=3,s=2,pad=1,ceil | bank:sobel-x,sobel-y,gaussian(k=7,sigma=2)",
                            "-o", out, "--html", "--grid-overlay", "--report", "none", "-q"],
                           capture_output=True, text=True, timeout=120)
        if p.returncode != 0:
            print(f"FAIL: convpool run --html exited {p.returncode}: {p.stderr}")
            return 1
        html_path = os.path.join(out, "index.html")
        with open(html_path, encoding="utf-8") as f:
            html = f.read()
        problems, n_img = static_checks(out, html)
        failures += problems
        if "<script" in html:
            failures.append("a page without explain views (no input is 32x32 or smaller) has a "
                            "<script>")
        for needed in ("<svg", "&rarr;", "chelsea", "camera", 'href="#img', "_windows.png"):
            if needed not in html:
                failures.append(f"the page lacks {needed!r}")
        print(f"static: {n_img} <img> elements, {len(problems)} problems")

        # --sheet-format svg: the sheet is an <img> of sheet.svg; pdf: a link to sheet.pdf (no
        # page can show a PDF as an image).
        vector_pages = {}
        for fmt in ("svg", "pdf"):
            vout = os.path.join(tmp, "out " + fmt)
            p = subprocess.run([binary_convpool, "run", os.path.join(root, "samples", "camera.png"),
                                "-p", "conv:sobel-x | relu | pool:max,k=2", "-o", vout, "--html",
                                "--sheet-format", fmt, "--report", "none", "-q"],
                               capture_output=True, text=True, timeout=120)
            if p.returncode != 0:
                failures.append(f"run --sheet-format {fmt} --html exited {p.returncode}: {p.stderr}")
                continue
            vpath = os.path.join(vout, "index.html")
            with open(vpath, encoding="utf-8") as f:
                vhtml = f.read()
            vproblems, vn = static_checks(vout, vhtml)
            failures += [f"--sheet-format {fmt}: {x}" for x in vproblems]
            sheet_imgs = re.findall(r'<img[^>]*\bsrc="([^"]*sheet\.(?:svg|pdf|png))"', vhtml)
            links = re.findall(r'<a[^>]*\bhref="([^"]*sheet\.pdf)"', vhtml)
            if fmt == "svg" and sheet_imgs != ["camera/sheet.svg"]:
                failures.append(f"--sheet-format svg: the sheet is not an <img> of sheet.svg: {sheet_imgs}")
            if fmt == "pdf" and (sheet_imgs or links != ["camera/sheet.pdf"]
                                 or not os.path.isfile(os.path.join(vout, "camera", "sheet.pdf"))):
                failures.append(f"--sheet-format pdf: want one link to sheet.pdf and no <img> of "
                                f"it: images {sheet_imgs}, links {links}")
            vector_pages[fmt] = (vpath, vn)
        view_page, grids, view_found = view_run(binary_convpool, root, tmp)
        failures += view_found
        scale_pages, scale_found = png_scale_runs(binary_convpool, root, tmp)
        failures += scale_found
        print(f"static: --sheet-format svg and pdf pages checked ({len(vector_pages)})")

        if "--no-browser" in sys.argv:
            for f in failures:
                print("FAIL:", f)
            print("browser checks not run (--no-browser); " + ("OK" if not failures else "FAILED"))
            return 1 if failures else 0
        binary = chromium_binary()
        if binary is None:
            for f in failures:
                print("FAIL:", f)
            print("SKIPPED: chromium is not installed (apt-get install chromium); "
                  "only the static checks ran")
            return 1 if failures else SKIP

        profile = os.path.join(tmp, "profile")
        title, stderr = probe_page(binary, profile, html_path)
        print(f"browser: {title}")
        if title is None:
            failures.append("the probe did not run (no load event?)")
        elif not re.match(rf"PROBE wide=0  images={n_img} bad=0 ", title + " "):
            failures.append(f"images not decoded, or something scrolls sideways at 1280 px: {title}")
        failures += thumbnail_problems(title, 4)
        errors = console_errors(stderr)
        failures += [f"console: {e}" for e in errors]
        # Control: thumbnails squeezed to 40x12 px must be caught.
        title, _ = probe_page(binary, profile, html_path,
                              "<style>.index img { width: 40px !important; height: 12px "
                              "!important; }</style>")
        if thumbnail_problems(title, 4) != ["index thumbnails: 4 under 72 px, undecoded or "
                                            "without alt text, 4 distorted"]:
            failures.append(f"the squeezed thumbnails were not caught (title {title!r})")
        else:
            print("control: squeezed thumbnails detected")
        for fmt, (vpath, vn) in vector_pages.items():
            vtitle, vstderr = probe_page(binary, profile, vpath)
            print(f"browser, --sheet-format {fmt}: {vtitle}")
            if vtitle is None or not re.match(rf"PROBE wide=0  images={vn} bad=0 ", vtitle + " "):
                failures.append(f"--sheet-format {fmt}: images not decoded or sideways scroll: "
                                f"{vtitle}")
            failures += [f"console ({fmt}): {e}" for e in console_errors(vstderr)]

        shot = os.path.join(tmp, "shot.png")
        s = chromium(binary, profile, f"--screenshot={shot}", "--window-size=1280,2000",
                     "--virtual-time-budget=10000", "file://" + html_path)
        failures += [f"console: {e}" for e in console_errors(s.stderr)]
        if not os.path.isfile(shot):
            failures.append(f"no screenshot: {s.stderr[-2000:]}")
        else:
            width, height, rows = read_png(shot, max_rows=1200)
            colours = {px for row in rows[::4] for px in row[::4]}
            background = max(colours, key=lambda c: sum(1 for row in rows[::4] for px in row[::4] if px == c))
            share = sum(1 for row in rows[::4] for px in row[::4] if px == background) / \
                (len(rows[::4]) * len(rows[0][::4]))
            print(f"screenshot: {width}x{height}, {len(colours)} colours (sampled), "
                  f"background share {share:.2f}")
            if len(colours) < 200 or share > 0.95:
                failures.append(f"the screenshot looks blank ({len(colours)} colours, "
                                f"{share:.2f} one colour)")
            if save:
                write_png(save, half_size_crop(rows, 1200))
                print(f"saved {save}")

        # Control: the same report with an over-wide table in a scrolling box and an over-wide
        # element outside one must be caught, both.
        title, _ = probe_page(binary, profile, html_path,
                              '<div class="scroll"><table><tr><td style="min-width:1500px">x'
                              '</td></tr></table></div><div style="width:1500px">y</div>')
        if title is None or not title.startswith("PROBE wide=2 DIV.scroll,page "):
            failures.append(f"the over-wide control page was not caught (title {title!r})")
        else:
            print("control: an over-wide table and an over-wide page detected")

        if view_page is not None:
            failures += view_browser_checks(binary, profile, view_page, grids)
        if len(scale_pages) == 2:
            failures += png_scale_checks(binary, profile, scale_pages)

        # Control: a broken page must trip the same checks.
        bad = os.path.join(out, "bad.html")
        with open(bad, "w", encoding="utf-8") as f:
            f.write("<!DOCTYPE html><html><head><title>x</title></head><body>"
                    "<img src=\"missing.png\"><script>undefined_function();</script></body></html>")
        title, stderr = probe_page(binary, profile, bad)
        if title is None or "bad=1" not in title or not console_errors(stderr):
            failures.append(f"the control page was not caught (title {title!r}, "
                            f"console {console_errors(stderr)!r})")
        else:
            print("control: broken image and script error detected")

    for f in failures:
        print("FAIL:", f)
    print("OK" if not failures else f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
