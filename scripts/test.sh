#!/usr/bin/env bash
# Quick start, part 2: install dependencies, check formatting, build, and run every test: the
# libFuzzer targets (corpus replay and a reproducible fuzzing run each: fixed seed, FUZZ_RUNS inputs;
# FUZZ_SECONDS=N fuzzes N seconds from a random seed instead) and the whole suite under
# AddressSanitizer + UBSan, then the suite again in the optimised build with warnings as errors
# and clang-tidy, then the Debian package and the container image (as root, with the Debian
# mirror reachable).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh clang clang-format clang-tidy libclang-rt-14-dev parallel chromium \
  groff-base mandoc bash-completion zsh fish dpkg-dev file lintian mmdebstrap podman runc \
  libonnx-testdata python3-onnx python3-pytest python3-torch python3-pil slurm-wlm munge \
  poppler-utils
# poppler-utils: pdfinfo and pdftotext check explain.pdf and sheet.pdf (a valid PDF whose text
# holds the figure's numbers) in tests/cli/test_figure_text.py.
# Each stage prints what it cost, so that the budget of the whole run can be watched.
stage_start=$SECONDS
stage() {
  if [[ -n "${stage_name:-}" ]]; then
    echo "== $stage_name took $((SECONDS - stage_start)) s ==" >&2
  fi
  stage_name=$1
  stage_start=$SECONDS
  [[ -n "$stage_name" ]] && echo "== $stage_name ==" >&2
  return 0
}
stage format
# .clang-format is the truth (clang-format 14); reformat with: clang-format -i <files>
git ls-files 'include/*.hpp' 'src/*.cpp' 'src/*.hpp' 'tests/*.cpp' 'tests/*.hpp' |
  xargs clang-format --dry-run --Werror
# One clang tree holds the sanitized tests and the libFuzzer targets (ASan + UBSan at -O1):
# the fuzzers replay their corpora and fuzz from a fixed seed, then the suite runs in it.
stage "asan build"
cmake --preset asan >/dev/null
cmake --build --preset asan
stage "fuzz run"
tests/fuzz/run_fuzzers.sh build/asan ${FUZZ_SECONDS:+"$FUZZ_SECONDS"}
stage "asan tests"
ctest --preset asan
# The optimised GCC build with warnings as errors and clang-tidy on every source.
stage "ci build"
cmake --preset ci >/dev/null
cmake --build --preset ci
stage "ci tests"
ctest --preset ci
# The .deb (CPack, from the ci build), lintian, apt-get install in a fresh Debian 12 root made
# by mmdebstrap, and the container (podman): ctest label `packaging`, which the other test
# presets leave out.
stage packaging
ctest --preset packaging
stage ""
echo "== the whole script took $SECONDS s (package installation included) ==" >&2
