#!/usr/bin/env bash
# packaging.deb: builds convpool_<version>_<arch>.deb from this build tree with CPack
# (cmake/package.cmake) into OUT, once for the other packaging tests, and checks what it holds:
# its name and version; a Depends naming the package of every library the binary links (what
# dpkg-shlibdeps computes) and the model plugin links (OpenCV dnn), and of OpenCV's imgcodecs
# (loaded with dlopen, which it cannot see), and of the figure plugin (cairo) and its font; the
# program, its plugins, gzipped man pages, completions, copyright and changelog under /usr.
# Usage: build_deb.sh BUILD_DIR OUT_DIR
set -euo pipefail
name=packaging.deb
source "$(dirname "$0")/common.sh"
build=$(cd "$1" && pwd)
out=$2
mkdir -p "$out"
rm -rf "$out"/convpool_*.deb "$out/_CPack_Packages"
start=$SECONDS
cpack --config "$build/CPackConfig.cmake" -B "$out" >"$out/cpack.log" 2>&1 ||
  { cat "$out/cpack.log" >&2; fail "cpack failed"; }
rm -rf "$out/_CPack_Packages"
version=$("$build/convpool" --version | sed -n 1p | cut -d' ' -f2)
deb=$out/convpool_${version}_$(dpkg --print-architecture).deb
[ -f "$deb" ] || fail "no $(basename "$deb"): $(ls "$out")"
field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = convpool ] || fail "Package: $(field Package)"
[ "$(field Version)" = "$version" ] || fail "Version: $(field Version), convpool --version: $version"
depends=$(field Depends)
# The names alone, one a line ("a (>= 1), b | c" gives a, b, c).
depends_names=$(sed -e 's/ *([^)]*)//g' -e 's/ *[,|] */\n/g' <<<"$depends")

# Every library the binary links comes from a package that Depends names, and so does imgcodecs.
package_of() {  # dpkg knows a library by the path its package ships (/lib or /usr/lib: usrmerge)
  local real
  real=$(readlink -f "$1")
  for path in "$1" "$real" "${real#/usr}" "/usr$real"; do
    dpkg-query -S "$path" 2>/dev/null | sed -n 1p | cut -d: -f1 && return
  done
  return 0
}
# Where the loader finds each NEEDED library of FILE: ldd's "name => /path (addr)" lines, and
# "/path (addr)" for the dynamic loader itself (ld-linux-x86-64.so.2, NEEDED by some links).
resolve() {  # resolve FILE NEEDED
  ldd "$1" | awk -v needed="$(tr '\n' ' ' <<<"$2")" '
    BEGIN {split(needed, n, " "); for (i in n) want[n[i]] = 1}
    $1 in want && $3 ~ /^\// {print $3; next}
    $1 ~ /^\// {name = $1; sub(/.*\//, "", name); if (name in want) print $1}'
}
# The libraries it links directly (NEEDED), where the loader finds them.
needed=$(objdump -p "$build/convpool" | awk '$1 == "NEEDED" {print $2}')
libraries=$(resolve "$build/convpool" "$needed")
[ "$(wc -l <<<"$libraries")" = "$(wc -l <<<"$needed")" ] || fail "ldd does not find every NEEDED library"
# And those of each plugin, which the binary loads with dlopen: FILE must exist and link LIBRARY.
plugin_libraries() {  # plugin_libraries FILE LIBRARY WHAT
  [ -f "$build/$1" ] || fail "no $3 plugin $build/$1 in the build tree"
  local found
  found=$(resolve "$build/$1" "$(objdump -p "$build/$1" | awk '$1 == "NEEDED" {print $2}')")
  grep -q "$2" <<<"$found" || fail "the $3 plugin does not link $2"
  printf '%s\n' "$found"
}
# The model plugin (OpenCV dnn), the convolution plugin (oneDNN, for conv:weights) and the
# figure plugin (cairo, when a figure draws text), and the package of the figures' font (DejaVu
# Sans, which no library links).
libraries="$libraries"$'\n'"$(plugin_libraries convpool-onnx.so libopencv_dnn model)"
libraries="$libraries"$'\n'"$(plugin_libraries convpool-dnnl.so libdnnl convolution)"
libraries="$libraries"$'\n'"$(plugin_libraries convpool-cairo.so libcairo figure)"
grep -qxF fonts-dejavu-core <<<"$depends_names" || fail "Depends lacks fonts-dejavu-core: $depends"
imgcodecs=$(ldconfig -p | awk '/libopencv_imgcodecs\.so\.[0-9]/ && !found {print $NF; found = 1}')
[ -n "$imgcodecs" ] || fail "ldconfig knows no libopencv_imgcodecs.so.N"
for lib in $libraries $imgcodecs; do
  package=$(package_of "$lib")
  [ -n "$package" ] || fail "no Debian package holds $lib"
  grep -qxF "$package" <<<"$depends_names" ||
    fail "Depends lacks $package (for $(basename "$lib")): $depends"
done

contents=$(dpkg-deb -c "$deb" | awk '{print $6}')
for f in ./usr/bin/convpool ./usr/lib/convpool/convpool-onnx.so ./usr/lib/convpool/convpool-dnnl.so \
         ./usr/lib/convpool/convpool-cairo.so \
         ./usr/share/man/man1/convpool.1.gz \
         ./usr/share/man/man1/convpool-run.1.gz \
         ./usr/share/man/man7/convpool-ops.7.gz ./usr/share/doc/convpool/copyright \
         ./usr/share/doc/convpool/changelog.gz ./usr/share/bash-completion/completions/convpool \
         ./usr/share/zsh/site-functions/_convpool ./usr/share/fish/vendor_completions.d/convpool.fish; do
  grep -qx -- "$f" <<<"$contents" || fail "the package lacks $f"
done
! grep -Ev '^\./usr/' <<<"$contents" | grep -qv '^\./$' || fail "files outside /usr: $contents"
echo "$name: $(basename "$deb"), $(du -k "$deb" | cut -f1) KiB, built in $((SECONDS - start)) s"
echo "$name: Depends: $depends"
