#!/usr/bin/env bash
# packaging.container: packaging/Containerfile built with podman on the Debian 12 root of
# packaging.rootfs (imported with `podman import`; no registry but Debian's is reachable) with
# the .deb of packaging.deb, then run on a bind-mounted folder of images (a PNG and a TIFF) as
# its user without privileges and without a network: it reports what the build tree's convpool
# reports. Podman keeps its images under PACKAGING_DIR, not in the system's storage.
#
# What podman needs here (found on the CI machine: a VM, root, cgroups v1 with a cgroup2
# "unified" hierarchy beside it, no CAP_SYS_RESOURCE): runc, as crun refuses that hybrid
# layout ("cgroups in hybrid mode not supported"); and resource limits no higher than the
# caller's hard limits, as podman's defaults (nofile 1048576, nproc) cannot be set without
# CAP_SYS_RESOURCE. CONVPOOL_PODMAN_RUNTIME picks another runtime.
# Usage: check_container.sh SOURCE_DIR BUILD_DIR PACKAGING_DIR
set -euo pipefail
name=packaging.container
source "$(dirname "$0")/common.sh"
need_root
command -v podman >/dev/null || fail "podman is not installed (scripts/install-deps.sh podman runc)"
take_dirs "$@"
work=$dir/container
podman=(podman --root "$work/storage" --runroot "$work/run")
clean() {  # not `podman system reset`: it would remove the machine's podman networks too
  if [ -d "$work/storage" ]; then
    "${podman[@]}" rm --all --force >/dev/null 2>&1 || true
    "${podman[@]}" rmi --all --force >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
clean
mkdir -p "$work/context"
trap clean EXIT
runtime=${CONVPOOL_PODMAN_RUNTIME:-}
if [ -z "$runtime" ] && command -v runc >/dev/null; then
  runtime=runc
fi
nofile=$(ulimit -Hn)
[ "$nofile" = unlimited ] || [ "$nofile" -gt 65536 ] && nofile=65536
nproc=$(ulimit -Hu)
if [ "$nproc" = unlimited ] || [ "$nproc" -gt 8192 ]; then nproc=4096; else nproc=$((nproc / 2)); fi
limits=(--ulimit "nofile=$nofile:$nofile" --ulimit "nproc=$nproc:$nproc" ${runtime:+--runtime "$runtime"})
start=$SECONDS

"${podman[@]}" import "$dir/debian12.tar" localhost/convpool-base:debian12 >"$work/podman.log" 2>&1 ||
  { cat "$work/podman.log" >&2; fail "podman import failed"; }
# A container that cannot start at all (no usable runtime, cgroups, storage) is this machine's
# limit, not the image's: say so in one line and skip.
if ! "${podman[@]}" run --rm --network none "${limits[@]}" localhost/convpool-base:debian12 \
     true >"$work/podman.log" 2>&1; then
  skip "podman cannot start a container here: $(tail -1 "$work/podman.log")"
fi
cp "$deb" "$src/packaging/Containerfile" "$work/context/"
"${podman[@]}" build --pull=never --network host "${limits[@]}" \
  --build-arg BASE=localhost/convpool-base:debian12 -t localhost/convpool:test \
  -f "$work/context/Containerfile" "$work/context" >"$work/podman.log" 2>&1 ||
  { cat "$work/podman.log" >&2; fail "podman build failed"; }
built=$SECONDS
echo "$name: imported and built in $((built - start)) s"

run() { "${podman[@]}" run --rm --network none "${limits[@]}" "$@"; }
[ "$(run localhost/convpool:test --version | sed -n 1p)" = "$("$build/convpool" --version | sed -n 1p)" ] ||
  fail "the image's convpool --version differs from the build's"
uid=$(run --entrypoint id localhost/convpool:test -u)
[ "$uid" != 0 ] || fail "the image runs as root"
prepare_inputs "$src" "$build/convpool" "$work"
mkdir "$work/out"
chown "$uid" "$work/out"
run -v "$work/in:/data:ro" -v "$work/out:/out" -w /data localhost/convpool:test \
  run camera.png gradient.tif -p "$pipeline" -o /out -q --report csv >"$work/report.csv" ||
  fail "convpool run in the container failed"
python3 "$src/tests/packaging/same_report.py" "$work/expected.csv" "$work/report.csv" ||
  fail "the container's report differs from the build tree's"
for f in report.json camera/sheet.png gradient/sheet.png; do
  [ -f "$work/out/$f" ] || fail "the container wrote no $f"
done
echo "$name: ran as uid $uid on a bind mount in $((SECONDS - built)) s more" \
  "(image $("${podman[@]}" image inspect --format '{{.Size}}' localhost/convpool:test) bytes)"
