#!/usr/bin/env bash
# Quick start, part 2: install dependencies, check formatting, build, and run every test: the
# libFuzzer targets (corpus replay and a reproducible fuzzing run each: fixed seed, FUZZ_RUNS inputs;
# FUZZ_SECONDS=N fuzzes N seconds from a random seed instead), the optimised build with warnings
# as errors and clang-tidy, then the whole suite again under AddressSanitizer + UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh clang clang-format clang-tidy libclang-rt-14-dev parallel chromium \
  groff-base mandoc bash-completion zsh fish
echo "== format ==" >&2
# .clang-format is the truth (clang-format 14); reformat with: clang-format -i <files>
git ls-files 'include/*.hpp' 'src/*.cpp' 'src/*.hpp' 'tests/*.cpp' 'tests/*.hpp' |
  xargs clang-format --dry-run --Werror
echo "== fuzz ==" >&2
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz
tests/fuzz/run_fuzzers.sh build/fuzz ${FUZZ_SECONDS:+"$FUZZ_SECONDS"}
for preset in ci asan; do
  echo "== $preset ==" >&2
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset"
  ctest --preset "$preset"
done
