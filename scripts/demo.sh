#!/usr/bin/env bash
# Quick start, part 1: install dependencies, build convpool, and run the main job on samples/.
# Writes pictures, contact sheets and reports to convpool-out/ and prints where they are.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release
pipeline="conv:sobel-x | relu | pool:max,k=2,s=2 | pool:avg,k=2"
echo "convpool run samples/ -p \"$pipeline\" -o convpool-out --force --html --range p1" >&2
build/release/convpool run samples/ -p "$pipeline" -o convpool-out --force --html --range p1
echo "Report page: convpool-out/index.html; contact sheets: $(ls convpool-out/*/sheet.png | tr '\n' ' ')" >&2
