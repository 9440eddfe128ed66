#!/usr/bin/env bash
# packaging.chroot: the .deb on a fresh Debian 12. In a root unpacked from packaging.rootfs's
# tarball, `apt-get install ./convpool_*.deb` fetches what Depends names from the mirror (a
# missing Depends fails here: the TIFF input needs OpenCV's imgcodecs, loaded with dlopen); then
# the installed /usr/bin/convpool runs in the chroot (--version; a PNG and a TIFF, in the
# decoding child and in process, reporting what the build tree's convpool reports), the man
# pages and the bash completion are where man and bash look, `import convpool` works in python3
# (with the Recommends installed), and `apt-get remove` removes every file the package installed.
# Usage: check_chroot.sh SOURCE_DIR BUILD_DIR PACKAGING_DIR
set -euo pipefail
name=packaging.chroot
source "$(dirname "$0")/common.sh"
need_root
take_dirs "$@"
work=$dir/chroot
root=$work/root
rm -rf "$work"
mkdir -p "$root"
trap 'rm -rf "$work"' EXIT
start=$SECONDS
tar -C "$root" -xf "$dir/debian12.tar"
cp /etc/resolv.conf "$root/etc/resolv.conf"
cp "$deb" "$root/tmp/"
# Each command in the root with /proc mounted, as on a running system (convpool starts its
# decoding child from /proc/self/exe), in a mount and PID namespace of its own, so that nothing
# stays mounted when it ends.
in_root() {
  unshare --mount --pid --fork --mount-proc="$root/proc" chroot "$root" \
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 \
    DEBIAN_FRONTEND=noninteractive "$@"
}
[ ! -e "$root/usr/bin/convpool" ] || fail "the fresh root already has /usr/bin/convpool"
in_root apt-get update -q >"$work/apt.log" 2>&1 || { cat "$work/apt.log" >&2; fail "apt-get update"; }
in_root "${apt_install[@]}" "/tmp/$(basename "$deb")" >>"$work/apt.log" 2>&1 ||
  { cat "$work/apt.log" >&2; fail "apt-get install ./$(basename "$deb") failed"; }
installed=$SECONDS
echo "$name: installed with $(grep -c '^Setting up' "$work/apt.log") packages in $((installed - start)) s"

version=$(in_root /usr/bin/convpool --version | sed -n 1p)
[ "$version" = "$("$build/convpool" --version | sed -n 1p)" ] || fail "--version: '$version'"
prepare_inputs "$src" "$build/convpool" "$work"
cp -r "$work/in" "$root/tmp/in"
for mode in "" --decode-in-process; do
  in_root sh -c 'cd /tmp/in && /usr/bin/convpool run camera.png gradient.tif -p "$1" -o /tmp/out \
    --force -q --report csv $2 >/tmp/report.csv' sh "$pipeline" "$mode" ||
    fail "convpool run on a PNG and a TIFF failed ${mode:-(decoding child)}"
  python3 "$src/tests/packaging/same_report.py" "$work/expected.csv" "$root/tmp/report.csv" ||
    fail "the installed convpool's report differs from the build tree's ${mode:-(decoding child)}"
done
[ -f "$root/tmp/out/gradient/sheet.png" ] || fail "no sheet for the TIFF"
# The model stage loads the package's plugin (OpenCV dnn, whose package Depends must name): the
# ONNX fixture's output, bit for bit the build tree's.
model=(run image.npy --npy-layout chw -p model:small.onnx --emit final --format npy -q --report none)
mkdir -p "$work/model" "$root/tmp/model"
cp "$src/tests/fixtures/onnx/small.onnx" "$src/tests/fixtures/onnx/image.npy" "$root/tmp/model/"
cp "$src/tests/fixtures/onnx/small.onnx" "$src/tests/fixtures/onnx/image.npy" "$work/model/"
(cd "$work/model" && "$build/convpool" "${model[@]}" -o out) || fail "the build tree's model run failed"
in_root sh -c 'cd /tmp/model && /usr/bin/convpool "$@" -o out' sh "${model[@]}" ||
  fail "the installed convpool could not run a model stage"
cmp "$work/model/out/image.npy" "$root/tmp/model/out/image.npy" ||
  fail "the installed model stage's output differs from the build tree's"
# A conv:weights layer loads the package's convolution plugin (oneDNN, libdnnl2 in Depends): the
# ResNet-18 stem of bench/stem/ on the ONNX fixture's image, bit for bit the build tree's (the
# same library on the same machine), and the plugin really loaded (glibc's LD_DEBUG).
stem=(run image.npy --npy-layout chw -p "conv:weights=@conv1_weight.npy,stride=2,pad=3 | relu"
      --emit final --stats none --format npy -q --report none)
mkdir -p "$work/stem" "$root/tmp/stem"
for d in "$work/stem" "$root/tmp/stem"; do
  cp "$src/bench/stem/conv1_weight.npy" "$src/tests/fixtures/onnx/image.npy" "$d/"
done
(cd "$work/stem" && "$build/convpool" "${stem[@]}" -o out) || fail "the build tree's stem run failed"
in_root sh -c 'cd /tmp/stem && LD_DEBUG=files /usr/bin/convpool "$@" -o out 2>/tmp/stem/ld.log' \
  sh "${stem[@]}" || fail "the installed convpool could not run a conv:weights stage"
grep -q /usr/lib/convpool/convpool-dnnl.so "$root/tmp/stem/ld.log" ||
  fail "the installed convpool did not load its convolution plugin"
cmp "$work/stem/out/image.npy" "$root/tmp/stem/out/image.npy" ||
  fail "the installed conv:weights output differs from the build tree's"

# man finds its pages in /usr/share/man (man-db is not in a minimal root: the files are checked).
for page in man1/convpool.1.gz man1/convpool-run.1.gz man7/convpool-ops.7.gz; do
  gzip -dc "$root/usr/share/man/$page" | grep -q '^\.TH ' || fail "no man page $page"
done
completion=/usr/share/bash-completion/completions/convpool
in_root bash -c 'source "$1" && complete -p convpool' bash "$completion" | grep -q _convpool ||
  fail "$completion does not define the completion of convpool"

# The Python module (docs/python.md): the package Recommends python3 and python3-numpy (left out
# above by --no-install-recommends, as in the container); with them, `import convpool` finds it
# in /usr/lib/python3/dist-packages and runs a pipeline.
in_root "${apt_install[@]}" python3 python3-numpy >>"$work/apt.log" 2>&1 ||
  { cat "$work/apt.log" >&2; fail "apt-get install python3 python3-numpy failed"; }
in_root python3 -c 'import convpool, numpy as np
r = convpool.run(np.arange(64, dtype=np.uint8).reshape(8, 8), "pool:max,k=2")
assert r.stages[1].shape == (1, 4, 4), r.stages[1].shape
assert convpool.__file__.startswith("/usr/lib/python3/dist-packages/convpool/"), convpool.__file__
print("import convpool:", convpool.__version__, convpool.__file__)' ||
  fail "import convpool failed in the installed package"

files=$(in_root dpkg-query -L convpool)
in_root apt-get remove -y -q convpool >>"$work/apt.log" 2>&1 || fail "apt-get remove failed"
[ ! -e "$root/usr/bin/convpool" ] || fail "/usr/bin/convpool is still there after apt-get remove"
status=$(in_root dpkg-query -W -f='${Status}' convpool 2>/dev/null || true)
# CPack gives the package ldconfig maintainer scripts (the model plugin is a shared object under
# /usr/lib), so dpkg keeps its postrm until a purge: "config-files" after remove, nothing after
# purge. No file of the package may remain either way (checked below).
case "$status" in
  "" | *" not-installed") ;;
  "deinstall ok config-files")
    in_root apt-get purge -y -q convpool >>"$work/apt.log" 2>&1 || fail "apt-get purge failed"
    status=$(in_root dpkg-query -W -f='${Status}' convpool 2>/dev/null || true)
    case "$status" in "" | *" not-installed") ;; *) fail "dpkg's status after purge: $status" ;; esac
    ;;
  *) fail "dpkg's status of convpool after removal: $status" ;;
esac
while read -r f; do
  [ -d "$root$f" ] || [ ! -e "$root$f" ] || fail "$f is left after apt-get remove"
done <<<"$files"
echo "$name: ran, compared and removed in $((SECONDS - installed)) s more"
