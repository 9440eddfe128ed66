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
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from images import read_png  # noqa: E402

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
  document.title = 'PROBE wide=' + wide.length + ' ' + wide.join(',') + ' images=' + imgs.length +
      ' bad=' + bad.length + ' ' + bad.join(' ');
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


def static_checks(out, html):
    """Problems with the page as a file: scripts, network references, missing pictures."""
    problems = []
    if re.search(r"<script", html, re.I):
        problems.append("the page has a <script>")
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
    if re.search(r"<link[^>]*stylesheet|@import|url\(", html, re.I):
        problems.append("the page loads a style sheet or url() resource")
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)"', html)
    if not csp or "default-src 'none'" not in csp.group(1) or "http" in csp.group(1):
        problems.append("no Content-Security-Policy forbidding requests off the page")
    for tag in re.findall(r"<img[^>]*>", html):
        alt = re.search(r'\balt="([^"]*)"', tag)
        if not alt or len(alt.group(1).strip()) < 8 or re.fullmatch(r"[\w.-]+\.png", alt.group(1)):
            problems.append(f"an <img> without real alternative text: {tag[:120]}")
    return problems, len(srcs)


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
        errors = console_errors(stderr)
        failures += [f"console: {e}" for e in errors]
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
