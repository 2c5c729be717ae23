#!/usr/bin/env bash
# Origin-map suite: tests/maps/run.sh BUILD_DIR
# txt:, dbm: (httxt2dbm) and dbd: (SQLite, and a PostgreSQL cluster of its own) against
# real httpd servers; the last line is "N passed, M failed".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${1:-build}
case $build in /*) ;; *) build="$repo/$build" ;; esac

"$repo/tests/deps.sh" maps || { echo "0 passed, 1 failed"; exit 1; }

export MOD_CORS_SO="$build/mod_cors.so" PYTHONDONTWRITEBYTECODE=1
report=$(mktemp /tmp/mod_cors_maps_report.XXXXXX.xml)
trap 'rm -f "$report"' EXIT
cd "$here"
timeout --kill-after=10 400 /usr/bin/python3 -m pytest -q -p no:cacheprovider \
    --junitxml="$report" -o junit_family=xunit2 "${@:2}" .
rc=$?

summary=$(/usr/bin/python3 "$repo/tests/junit-summary" "$report")
[[ $rc -eq 124 || $rc -eq 137 ]] && echo "maps: pytest timed out" >&2
echo "$summary"
[[ $rc -eq 0 && $summary == *", 0 failed" ]]
