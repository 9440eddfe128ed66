#!/usr/bin/env bash
# packaging.rootfs: a minimal Debian 12 root made by mmdebstrap (apt and what it needs, nothing
# else), as OUT/debian12.tar, once for packaging.chroot and the container's base image. It comes
# from the Debian mirror (CONVPOOL_DEBIAN_MIRROR, CONVPOOL_DEBIAN_SECURITY to use another).
# Usage: make_rootfs.sh OUT_DIR
set -euo pipefail
name=packaging.rootfs
source "$(dirname "$0")/common.sh"
need_root
command -v mmdebstrap >/dev/null || fail "mmdebstrap is not installed (scripts/install-deps.sh mmdebstrap)"
out=$1
mkdir -p "$out"
rm -f "$out/debian12.tar"
start=$SECONDS
mmdebstrap --quiet --mode=root --variant=apt --dpkgopt=force-unsafe-io \
  --aptopt='Acquire::Retries "3"' bookworm "$out/debian12.tar" "${sources[@]}" ||
  fail "mmdebstrap failed (is the Debian mirror reachable?)"
echo "$name: debian12.tar, $(du -m "$out/debian12.tar" | cut -f1) MiB, made in $((SECONDS - start)) s"
