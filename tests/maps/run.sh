#!/usr/bin/env bash
# Origin-map suite: tests/maps/run.sh BUILD_DIR [pytest arguments]
# txt:, dbm: (httxt2dbm) and dbd: (SQLite, and a PostgreSQL cluster of its own) against
# real httpd servers; the last line is "N passed, M failed".
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
"$repo/tests/deps.sh" maps || { echo "0 passed, 1 failed"; exit 1; }
exec "$repo/tests/lib/pytest-suite" "$repo/tests/maps" 400 "${1:-build}" "${@:2}"
