#!/usr/bin/env bash
# Integration suite: tests/integration/run.sh BUILD_DIR [pytest arguments]
# The pytest suite against BUILD_DIR/mod_cors.so; the last line is "N passed, M failed".
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
"$repo/tests/deps.sh" integration || { echo "0 passed, 1 failed"; exit 1; }
exec "$repo/tests/lib/pytest-suite" "$repo/tests/integration" 290 "${1:-build}" "${@:2}"
