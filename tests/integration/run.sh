#!/usr/bin/env bash
# Integration suite: tests/integration/run.sh BUILD_DIR
# Runs the pytest suite against BUILD_DIR/mod_cors.so; the last line is "N passed, M failed".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${1:-build}
case $build in /*) ;; *) build="$repo/$build" ;; esac

"$repo/tests/deps.sh" integration || { echo "0 passed, 1 failed"; exit 1; }

export MOD_CORS_SO="$build/mod_cors.so" PYTHONDONTWRITEBYTECODE=1
report=$(mktemp /tmp/mod_cors_it_report.XXXXXX.xml)
trap 'rm -f "$report"' EXIT
cd "$here"
timeout --kill-after=10 290 /usr/bin/python3 -m pytest -q -p no:cacheprovider \
    --junitxml="$report" -o junit_family=xunit2 "${@:2}" .
rc=$?

summary=$(/usr/bin/python3 - "$report" <<'PY'
import sys, xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
except Exception:
    print("0 passed, 1 failed"); sys.exit()
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
total = sum(int(s.get("tests", 0)) for s in suites)
failed = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
skipped = sum(int(s.get("skipped", 0)) for s in suites)
print(f"{total - failed - skipped} passed, {failed} failed")
PY
)
[[ $rc -eq 124 || $rc -eq 137 ]] && echo "integration: pytest timed out" >&2
echo "$summary"
[[ $rc -eq 0 && $summary == *", 0 failed" ]]
