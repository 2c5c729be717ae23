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

export MOD_CORS_SO="$build/mod_cors.so" PYTHONDONTWRITEBYTECODE=1
export FUZZ_SECONDS=${FUZZ_SECONDS:-4}
mkdir -p "$build/serverfuzz"
export SERVERFUZZ_REPORT="$build/serverfuzz/report.txt"
: >"$SERVERFUZZ_REPORT"
xml=$(mktemp /tmp/mod_cors_serverfuzz.XXXXXX.xml)
trap 'rm -f "$xml"' EXIT

# Three configurations (prefork http/1.x, event http/1.x, event h2c), each FUZZ_SECONDS plus
# start-up, the reference replays and the bounded reads of the last cases.
cd "$here"
timeout --kill-after=10 $((240 + 4 * ${FUZZ_SECONDS%.*})) \
    /usr/bin/python3 -m pytest -q -p no:cacheprovider -rf --junitxml="$xml" -o junit_family=xunit2 "${@:2}" .
rc=$?
[[ $rc -eq 124 || $rc -eq 137 ]] && echo "serverfuzz: pytest timed out" >&2

echo "--- figures ($SERVERFUZZ_REPORT)"
cat "$SERVERFUZZ_REPORT"
summary=$(/usr/bin/python3 "$repo/tests/junit-summary" "$xml")
echo "$summary"
[[ $rc -eq 0 && $summary == *", 0 failed" ]]
