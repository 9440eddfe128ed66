#!/usr/bin/env bash
# Replays the committed corpora, then fuzzes each target on a scratch copy of its corpus.
# Usage: tests/fuzz/run_fuzzers.sh BUILD_DIR [SECONDS]
# Without SECONDS the run is reproducible: a fixed seed and a fixed number of inputs (FUZZ_RUNS,
# default 300000), so CI fails only on a change to the code, never on the fuzzer's luck. With
# SECONDS it fuzzes that long from a random seed, for exploring locally.
# The decoder silences stderr while OpenCV runs, so sanitizer reports go to files, printed here on
# failure with the crashing input in base64. Minimise a crash with
# `BUILD_DIR/fuzz_X -minimize_crash=1 crash-...` and add the result to tests/fuzz/corpus/X/.
set -euo pipefail
build=$(cd "$1" && pwd)
seconds=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export ASAN_OPTIONS="log_path=$scratch/sanitizer${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="log_path=$scratch/sanitizer${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
# fuzz_merge parses whole reports per input (about 20x slower per run than the others): it gets
# a tenth of the runs, so that it does not set the length of the stage.
declare -A share=([merge]=10)
budget_of() {
  if [[ -n "$seconds" ]]; then
    echo "-max_total_time=$seconds"
  else
    echo "-seed=20261122 -runs=$(( ${FUZZ_RUNS:-300000} / ${share[$1]:-1} ))"
  fi
}
# One target: replay, then fuzz; prints what it did to $scratch/$target.out and returns the
# fuzzer's exit status. The targets run at the same time (each fuzzer is one thread; the
# machine running CI has two cores), and their outputs are printed one after the other.
fuzz_one() {
  local target=$1 bin="$build/fuzz_$1" log="$scratch/$1.log" status=0
  echo "== fuzz_$target: replaying $(ls "$here/corpus/$target" | wc -l) corpus files"
  mkdir -p "$scratch/$target" "$scratch/$target-work"
  "$bin" -runs=0 "$here/corpus/$target" >"$log" 2>&1 || status=$?
  tail -n 2 "$log"
  if [[ $status -eq 0 ]]; then
    cp "$here/corpus/$target"/* "$scratch/$target/"
    local budget
    read -r -a budget <<<"$(budget_of "$target")"
    echo "== fuzz_$target: fuzzing (${budget[*]})"
    (cd "$scratch/$target-work" && "$bin" "${budget[@]}" -timeout=10 -rss_limit_mb=2048 \
        -max_len=65536 "$scratch/$target" >"$log" 2>&1) || status=$?
    tail -n 3 "$log"
  fi
  return "$status"
}
targets=(pipeline load npy npz merge onnx)
pids=()
for target in "${targets[@]}"; do
  fuzz_one "$target" >"$scratch/$target.out" 2>&1 &
  pids+=($!)
done
failed=0
for i in "${!targets[@]}"; do
  target=${targets[$i]}
  status=0
  wait "${pids[$i]}" || status=$?
  cat "$scratch/$target.out" >&2
  if [[ $status -ne 0 ]]; then
    failed=$status
    echo "== fuzz_$target failed (exit $status); the fuzzer said:" >&2
    grep -v -E '^#[0-9]+' "$scratch/$target.log" | tail -n 40 >&2 || true
    for input in "$scratch/$target-work"/{crash,oom,timeout,leak}-*; do
      [[ -e "$input" ]] || continue
      echo "== $(basename "$input") (base64):" >&2
      base64 -w 76 "$input" | head -n 200 >&2
    done
  fi
done
if [[ $failed -ne 0 ]]; then
  for report in "$scratch"/sanitizer*; do
    [[ -e "$report" ]] && head -n 40 "$report" >&2
  done
  exit "$failed"
fi
