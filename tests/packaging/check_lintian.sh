#!/usr/bin/env bash
# packaging.lintian: lintian finds no error in the package (its warnings are printed; the ones
# accepted are listed, with why, in docs/install.md).
# Usage: check_lintian.sh DEB_DIR
set -euo pipefail
name=packaging.lintian
source "$(dirname "$0")/common.sh"
command -v lintian >/dev/null || fail "lintian is not installed (scripts/install-deps.sh lintian)"
deb=$(the_deb "$1")
set +e
# As nobody where it can (lintian warns against running as root), reading a copy nobody can read.
copy=$(mktemp -d)
trap 'rm -rf "$copy"' EXIT
cp "$deb" "$copy/"
chmod 755 "$copy"
as_nobody=()
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
  as_nobody=(setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME="$copy")
fi
report=$(cd "$copy" && "${as_nobody[@]}" lintian --fail-on error --tag-display-limit 0 \
  "$copy/$(basename "$deb")" 2>&1)
rc=$?
set -e
[ -z "$report" ] || echo "$report"
[ $rc = 0 ] || fail "lintian found errors (exit $rc)"
echo "$name: no errors; $(grep -c '^W:' <<<"$report" || true) warnings"
