#!/usr/bin/env bash
# Every man page in DIR renders without a warning: groff -man -ww and mandoc -Tlint print
# nothing. Both are required (Debian's groff-base and mandoc, scripts/install-deps.sh): a
# missing one fails the test. Usage: check_man_lint.sh DIR
set -euo pipefail
dir=$1
for tool in groff mandoc; do
  command -v "$tool" >/dev/null || { echo "check_man_lint: $tool is not installed" >&2; exit 1; }
done
pages=("$dir"/*.[17])
[ -e "${pages[0]}" ] || { echo "check_man_lint: no pages in $dir" >&2; exit 1; }
status=0
for page in "${pages[@]}"; do
  out=$(groff -man -ww -z "$page" 2>&1; mandoc -Tlint -W all "$page" 2>&1 || true)
  if [ -n "$out" ]; then
    echo "$out"
    status=1
  fi
done
[ $status -eq 0 ] && echo "check_man_lint: ${#pages[@]} pages, no warnings"
exit $status
