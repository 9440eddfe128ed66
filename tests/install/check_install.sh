#!/usr/bin/env bash
# `cmake --install BUILD --prefix P` into a scratch prefix: the binary, the man pages and the docs
# land in the GNU directories, the installed binary runs from there (a BMP needs OpenCV's
# imgcodecs, which it loads with dlopen), the Python module imports from there,
# install_manifest.txt lists every file, and removing
# what it lists (docs/install.md) leaves nothing behind.
# Usage: check_install.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
fail() { echo "check_install: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$prefix" >/dev/null
for f in bin/convpool share/man/man1/convpool.1.gz share/man/man1/convpool-run.1.gz \
         share/man/man7/convpool-ops.7.gz share/doc/convpool/copyright \
         share/doc/convpool/changelog.gz share/doc/convpool/README.md \
         share/doc/convpool/docs/cli.md share/doc/convpool/docs/install.md \
         share/bash-completion/completions/convpool share/zsh/site-functions/_convpool \
         share/fish/vendor_completions.d/convpool.fish; do
  [ -f "$prefix/$f" ] || fail "missing $f"
done
[ -x "$prefix/bin/convpool" ] || fail "bin/convpool is not executable"
# The man pages are gzipped (as Debian wants them) and unpack to the page.
gzip -dc "$prefix/share/man/man1/convpool-run.1.gz" | grep -q '^\.TH CONVPOOL\\-RUN 1 ' ||
  fail "share/man/man1/convpool-run.1.gz is not the page"

# The installed binary, run from elsewhere, with no build tree on any path.
work="$prefix/work"
mkdir "$work"
cd "$work"
"$prefix/bin/convpool" --version | head -1 | grep -Eq '^convpool [0-9]+\.[0-9]+\.[0-9]+$' ||
  fail "--version"
# A 2x2 24-bit BMP (decoded by OpenCV's imgcodecs, loaded on demand).
python3 - <<'PY'
import struct
rows = b"".join(bytes([0, 0, 255, 255, 255, 255]) + b"\0\0" for _ in range(2))  # BGR, padded to 4
info = struct.pack("<IiiHHIIiiII", 40, 2, 2, 1, 24, 0, len(rows), 2835, 2835, 0, 0)
open("tiny.bmp", "wb").write(b"BM" + struct.pack("<IHHI", 14 + 40 + len(rows), 0, 0, 54) + info + rows)
PY
for mode in "" --decode-in-process; do
  "$prefix/bin/convpool" run tiny.bmp -p "gray|pool:max,k=2" -o out $mode --force -q \
    --report csv >report.csv || fail "run on a BMP ${mode:-(decoding child)} failed"
  grep -q "pool:max" report.csv || fail "no pool:max in the report"
done

# The Python module, when the build has it: in <prefix>/CONVPOOL_PYTHON_INSTALL_DIR/convpool,
# imported from there with PYTHONPATH (docs/python.md), away from the build tree.
cache_value() { sed -n "s/^$1:[A-Z]*=//p" "$build/CMakeCache.txt"; }
if [ -d "$build/python/convpool" ]; then
  pydir=$prefix/$(cache_value CONVPOOL_PYTHON_INSTALL_DIR)
  [ -f "$pydir/convpool/__init__.py" ] || fail "no convpool/__init__.py in $pydir"
  PYTHONDONTWRITEBYTECODE=1 PYTHONPATH=$pydir "$(cache_value CONVPOOL_PYTHON_EXECUTABLE)" -c '
import sys, convpool
assert convpool.__file__.startswith(sys.argv[1]), convpool.__file__
assert convpool.run("tiny.bmp", "gray|pool:max,k=2").stages[-1].shape == (1, 1, 1)' "$pydir" ||
    fail "import convpool from $pydir failed"
fi

# The installed bash completion, with the installed binary first on PATH.
got=$(PATH="$prefix/bin:$PATH" bash -c 'source /usr/share/bash-completion/bash_completion
  source "$1"; COMP_LINE="convpool sh"; COMP_POINT=11; COMP_WORDS=(convpool sh); COMP_CWORD=1
  _convpool; echo "${COMPREPLY[*]}"' _ "$prefix/share/bash-completion/completions/convpool")
[ "$got" = shape ] || fail "installed bash completion of 'convpool sh': '$got'"

manifest="$build/install_manifest.txt"
[ -f "$manifest" ] || fail "no install_manifest.txt"
grep -qx "$prefix/bin/convpool" "$manifest" || fail "install_manifest.txt lacks bin/convpool"
# Uninstall as docs/install.md says; then only the folders are left.
xargs rm -f <"$manifest"
rm -rf "$work"
left=$(find "$prefix" -type f)
[ -z "$left" ] || fail "left after uninstall: $left"
echo "check_install: installed $(wc -l <"$manifest") files, ran, uninstalled"
