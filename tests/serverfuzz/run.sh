#!/usr/bin/env bash
# Whole-server request fuzzer: tests/serverfuzz/run.sh BUILD_DIR [pytest arguments]
# Raw HTTP/1.x bytes and h2c frames from a Hypothesis grammar into httpd (prefork + mod_php,
# event + php-fpm) with the engine on at every kind of scope, against BUILD_DIR/mod_cors.so.
# Prints the figures of each configuration, then "N passed, M failed" as its last line.
#   FUZZ_SECONDS=300 tests/serverfuzz/run.sh build    # a long run (default 4 s per configuration)
#   FUZZ_SEED=1234 ...                                 # the same cases again
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${1:-build}
[[ $build = /* ]] || build=$repo/$build

"$repo/tests/deps.sh" integration serverfuzz || { echo "serverfuzz: could not install dependencies"; echo "0 passed, 1 failed"; exit 1; }

export FUZZ_SECONDS=${FUZZ_SECONDS:-4}
mkdir -p "$build/serverfuzz"
export SERVERFUZZ_REPORT="$build/serverfuzz/report.txt" SUITE_FIGURES="$build/serverfuzz/report.txt"
: >"$SERVERFUZZ_REPORT"
# Three configurations (prefork http/1.x, event http/1.x, event h2c), each FUZZ_SECONDS plus
# start-up, the reference replays and the bounded reads of the last cases.
exec "$repo/tests/lib/pytest-suite" "$here" $((240 + 4 * ${FUZZ_SECONDS%.*})) "$build" "${@:2}"
