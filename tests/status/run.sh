#!/usr/bin/env bash
# Status suite: tests/status/run.sh BUILD_DIR [pytest arguments]
# The counters in server-status, CORSDebugHeader and tools/cors-log-summary, against
# BUILD_DIR/mod_cors.so in real httpd; the last line is "N passed, M failed".
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
"$repo/tests/deps.sh" status || { echo "0 passed, 1 failed"; exit 1; }
exec "$repo/tests/lib/pytest-suite" "$repo/tests/status" 290 "${1:-build}" "${@:2}"
