#!/usr/bin/env bash
# Replays the committed corpora, then fuzzes each target for SECONDS (default 20) on a scratch
# copy of its corpus. Usage: tests/fuzz/run_fuzzers.sh BUILD_DIR [SECONDS]
# A crash leaves crash-* files in the scratch directory and fails the run: minimise it with
# `BUILD_DIR/fuzz_X -minimize_crash=1 crash-...` and add the result to tests/fuzz/corpus/X/.
set -euo pipefail
build=$(cd "$1" && pwd)
seconds=${2:-20}
here=$(cd "$(dirname "$0")" && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for target in pipeline load; do
  bin="$build/fuzz_$target"
  echo "== fuzz_$target: replaying $(ls "$here/corpus/$target" | wc -l) corpus files" >&2
  "$bin" -runs=0 "$here/corpus/$target" 2>&1 | tail -n 2
  mkdir -p "$scratch/$target"
  cp "$here/corpus/$target"/* "$scratch/$target/"
  echo "== fuzz_$target: fuzzing for ${seconds}s" >&2
  (cd "$scratch" && "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -max_len=65536 "$scratch/$target" 2>&1 | tail -n 3)
done
