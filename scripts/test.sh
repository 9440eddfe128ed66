#!/usr/bin/env bash
# Quick start, part 2: install dependencies, build, and run every test: the optimised build with
# warnings as errors, then the whole suite again under AddressSanitizer + UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
for preset in ci asan; do
  echo "== $preset ==" >&2
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset"
  ctest --preset "$preset"
done
