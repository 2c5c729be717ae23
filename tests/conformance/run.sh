#!/usr/bin/env bash
# Conformance suite: tests/conformance/run.sh BUILD_DIR [conformance.py options]
# Runs the peers' CORS vectors (tests/conformance/vectors, carried in the repository) against
# BUILD_DIR/mod_cors.so; the last line is "N passed, M failed".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${1:-build}
case $build in /*) ;; *) build="$repo/$build" ;; esac

"$repo/tests/deps.sh" integration || { echo "0 passed, 1 failed"; exit 1; }

timeout --kill-after=10 170 /usr/bin/python3 "$here/conformance.py" --build "$build" "${@:2}"
rc=$?
if [[ $rc -ge 124 ]]; then
  echo "conformance: timed out or killed (exit $rc)"
  echo "0 passed, 1 failed"
fi
exit $rc
