#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan, engine sources compiled with clang
# too) into BUILD_DIR/fuzz/ and runs each for FUZZ_SECONDS on a temporary copy of its
# seed corpus. One check per target: it fails on any crash, property violation, leak,
# timeout or out-of-memory. The last line printed is "N passed, M failed".
#
#   tests/fuzz/run.sh [BUILD_DIR]
#   FUZZ_SECONDS=600 FUZZ_JOBS=2 FUZZ_TARGETS="fuzz_origin fuzz_decision" tests/fuzz/run.sh build
#
# FUZZ_SECONDS (default 20; 0 runs the seed corpus once), FUZZ_JOBS (targets run at the
# same time, default 1), FUZZ_TARGETS (default all four), FUZZ_KEEP_CORPUS=1 keeps the
# grown corpus in BUILD_DIR/fuzz/corpus/<target> instead of deleting it.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-build}
[[ $build = /* ]] || build=$root/$build
out=$build/fuzz
seconds=${FUZZ_SECONDS:-20}
jobs=${FUZZ_JOBS:-1}
targets=(${FUZZ_TARGETS:-fuzz_origin fuzz_php_regex fuzz_request_headers fuzz_decision})
declare -A MAX_LEN=([fuzz_origin]=1200 [fuzz_php_regex]=2048 [fuzz_request_headers]=8192 [fuzz_decision]=8192)
# Seconds one input may take before libFuzzer calls it a hang. fuzz_php_regex matches every
# pattern against 14 subjects, with JIT and without: a pattern that runs into PHP's
# backtrack limit (1,000,000) on each, under ASan, takes seconds (one seen in CI: 14 s,
# `/(||(?1)||...|||=4)$/`, as slow on the code before this turn). Bounded, not a hang.
declare -A TIMEOUT=([fuzz_php_regex]=60)

"$root/tests/deps.sh" fuzz >&2 || { echo "fuzz: could not install clang"; echo "0 passed, ${#targets[@]} failed"; exit 1; }
[[ -e /usr/include/pcre2.h && -e /usr/include/libpsl.h ]] || "$root/tests/deps.sh" build >&2

CXX=${FUZZ_CXX:-clang++}
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
CXXFLAGS="-std=c++17 -O1 -g -Wall -Wextra -Wno-unused-parameter $SAN"
mkdir -p "$out/engine" "$out/artifacts" "$out/logs"

build_failed=0
newer() {  # newer TARGET SOURCES...: true when TARGET is missing or older than a source
  local t=$1; shift
  [[ -e $t ]] || return 0
  local s; for s in "$@"; do [[ $s -nt $t ]] && return 0; done
  return 1
}
engine_hdr=("$root"/mod_cors/engine/*.hpp)
objs=()
for src in "$root"/mod_cors/engine/*.cpp; do
  obj=$out/engine/$(basename "${src%.cpp}").o
  objs+=("$obj")
  if newer "$obj" "$src" "${engine_hdr[@]}" "$0"; then
    echo "fuzz: compiling $(basename "$src")" >&2
    $CXX $CXXFLAGS -fsanitize=fuzzer-no-link -I"$root/mod_cors/engine" -c "$src" -o "$obj" || build_failed=1
  fi
done
for t in "${targets[@]}"; do
  if newer "$out/$t" "$here/$t.cpp" "$here/fuzz_check.hpp" "${objs[@]}"; then
    echo "fuzz: building $t" >&2
    $CXX $CXXFLAGS -fsanitize=fuzzer -I"$root/mod_cors/engine" "$here/$t.cpp" "${objs[@]}" \
        -lpcre2-8 -lpsl -o "$out/$t" || build_failed=1
  fi
done
if ((build_failed)); then
  echo "fuzz: build failed"
  echo "0 passed, ${#targets[@]} failed"
  exit 1
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
work=$(mktemp -d /tmp/mod_cors_fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT

run_target() {  # run_target NAME: runs one target, writes $work/NAME.rc
  local t=$1 corpus=$work/corpus/$t art=$out/artifacts/$t log=$out/logs/$t.log
  mkdir -p "$corpus" "$art"
  cp -r "$here/corpus/$t/." "$corpus/" 2>/dev/null
  local args=(-timeout="${TIMEOUT[$t]:-5}" -rss_limit_mb=2048 -max_len="${MAX_LEN[$t]:-4096}" -print_final_stats=1
              -artifact_prefix="$art/")
  [[ -f $here/dict/$t.dict ]] && args+=(-dict="$here/dict/$t.dict")
  if ((seconds > 0)); then args+=(-max_total_time="$seconds"); else args+=(-runs=0); fi
  find "$art" -type f -delete
  "$out/$t" "${args[@]}" "$corpus" >"$log" 2>&1
  echo $? >"$work/$t.rc"
  ls "$corpus" | wc -l >"$work/$t.units"
  if [[ ${FUZZ_KEEP_CORPUS:-0} = 1 ]]; then
    rm -rf "$out/corpus/$t"; mkdir -p "$out/corpus"; cp -r "$corpus" "$out/corpus/$t"
  fi
}

running=0
for t in "${targets[@]}"; do
  echo "fuzz: running $t for ${seconds}s" >&2
  run_target "$t" &
  running=$((running + 1))
  if ((running >= jobs)); then wait -n; running=$((running - 1)); fi
done
wait

pass=0 fail=0
for t in "${targets[@]}"; do
  log=$out/logs/$t.log
  rc=$(cat "$work/$t.rc" 2>/dev/null || echo 99)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -n 1)
  seeds=$(ls "$here/corpus/$t" 2>/dev/null | wc -l)
  units=$(cat "$work/$t.units" 2>/dev/null || echo "?")
  findings=$(find "$out/artifacts/$t" -type f | wc -l)
  summary="${execs:-?} execs (${rate:-?}/s), ${cov:-cov: ?}, corpus $seeds -> $units files, $findings findings"
  if [[ $rc = 0 && $findings = 0 ]]; then
    pass=$((pass + 1)); echo "PASS $t: $summary"
  else
    fail=$((fail + 1)); echo "FAIL $t (exit $rc): $summary"
    find "$out/artifacts/$t" -type f -printf '  reproducer: %p\n'
    grep -nE 'ERROR: |PROPERTY VIOLATED|runtime error|SUMMARY' "$log" | head -n 5 | sed 's/^/  /'
    echo "  full log: $log"
  fi
done
echo "$pass passed, $fail failed"
((fail == 0))
