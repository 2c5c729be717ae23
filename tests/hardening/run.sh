#!/usr/bin/env bash
# Hardening suite: tests/hardening/run.sh BUILD_DIR [pytest arguments]
# Hostile requests and configurations, a soak under load with graceful restarts (wrk), and
# an integration group under valgrind, against BUILD_DIR/mod_cors.so. Prints the figures
# measured (times, load counts, memory, valgrind), then "N passed, M failed" as its last line.
#   SOAK_SECONDS=120 tests/hardening/run.sh build      # a longer soak (default 20 s)
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${1:-build}
[[ $build = /* ]] || build=$repo/$build

"$repo/tests/deps.sh" integration bench || { echo "hardening: could not install dependencies"; echo "0 passed, 1 failed"; exit 1; }

export SOAK_SECONDS=${SOAK_SECONDS:-20}
export RESTART_SECONDS=${RESTART_SECONDS:-10}
mkdir -p "$build/hardening"
export HARDENING_REPORT="$build/hardening/report.txt" SUITE_FIGURES="$build/hardening/report.txt"
: >"$HARDENING_REPORT"
exec "$repo/tests/lib/pytest-suite" "$here" $((300 + 2 * SOAK_SECONDS + 2 * RESTART_SECONDS)) "$build" "${@:2}"
