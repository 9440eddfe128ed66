#!/usr/bin/env bash
# Installs the Debian 12 packages convpool needs to build and test (as root; skips apt when
# everything is already there). Usage: scripts/install-deps.sh [extra packages...]
set -euo pipefail
packages=(cmake ninja-build g++ pkg-config libopencv-dev libcli11-dev libfmt-dev doctest-dev
          nlohmann-json3-dev zlib1g-dev libjpeg62-turbo-dev libpng-dev libgif-dev python3
          python3-dev pybind11-dev python3-numpy libdnnl-dev
          libcairo2-dev fonts-dejavu-core libdeflate-dev
          "$@")
# libcairo2-dev and fonts-dejavu-core: the figure plugin convpool-cairo.so draws every figure's
# text anti-aliased in DejaVu Sans and writes explain.pdf and sheet.pdf (PNG and PDF from the
# same drawing code); without them the figures fall back to OpenCV's Hershey font and no PDF.
# libdeflate-dev: the PNG writer's deflate for display-sized pictures (faster than zlib at
# level 1 and smaller files; docs/performance.md).
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
