#!/usr/bin/env bash
# Runs the engine unit tests: tests/unit/run.sh BUILD_DIR
# Last line: "N passed, M failed" (test cases). Exit 1 when any failed,
# or when the binary is missing or did not finish.
set -u
build="${1:-build}"
bin="$build/unit_tests"
if [[ ! -x "$bin" ]]; then
    echo "run.sh: $bin not found (make $bin)" >&2
    echo "0 passed, 1 failed"
    exit 1
fi
report=$(mktemp)
trap 'rm -f "$report"' EXIT
timeout 600 "$bin" --log_level=error --report_format=XML --report_level=detailed \
    --report_sink="$report" --color_output=no
rc=$?
counts=$(python3 - "$report" <<'PY'
import sys, xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
except Exception:
    print("none"); sys.exit(0)
passed = failed = 0
for tc in root.iter("TestCase"):
    r = tc.get("result")
    if r == "passed": passed += 1
    elif r in ("failed", "aborted"): failed += 1
print(passed, failed)
PY
)
if [[ "$counts" == none || -z "$counts" ]]; then
    # Crashed before writing its report: count every test case as failed.
    total=$("$bin" --list_content 2>&1 | grep -c '\*$' || true)
    echo "run.sh: $bin exited with status $rc and no report" >&2
    echo "0 passed, $(( total > 0 ? total : 1 )) failed"
    exit 1
fi
read -r passed failed <<<"$counts"
if (( rc != 0 && failed == 0 )); then
    echo "run.sh: $bin exited with status $rc" >&2
    failed=1
fi
echo "$passed passed, $failed failed"
(( failed == 0 && rc == 0 ))
