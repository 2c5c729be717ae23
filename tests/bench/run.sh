#!/usr/bin/env bash
# make bench: tests/bench/run.sh BUILD_DIR
#
#   1. engine micro-benchmarks (Google Benchmark; callgrind for instructions per decision)
#   2. httpd instructions per request (callgrind): no CORS, mod_headers writing the headers
#      as constants, the recipe, mod_cors (CONFIGS in bench.py), httpd started by tests/lib/harness.py;
#      variants of mod_cors: origin maps (txt: of 10 and 100,000, a cached dbd: answer), mod_status
#   3. throughput (wrk on loopback), prefork + mod_php, configurations alternated
#   4. the cost of an origin map's cache miss: dbd: on SQLite and PostgreSQL, dbm: of 1,000,000
#      keys looked up in the file (figures only)
#   5. a txt: map of 1,000,000 origins reloaded 20 times under load (event MPM, 25 threads):
#      request times during the reloads, wrong answers, memory per origin and over the reloads
#
# Prints one table with every figure, ratio and target, and writes it to
# BUILD_DIR/bench/report.md. Timings never fail the run: the exit status is non-zero
# only when a part could not run. The last line is "N passed, M failed" (parts).
#
# Knobs (environment): BENCH_PARTS="engine callgrind wrk maps scale", BENCH_SCALE_ORIGINS (1000000),
# BENCH_SCALE_RELOADS (20), BENCH_SCALE_CLIENTS (6), BENCH_MAP_REQUESTS (400), BENCH_MAP_ROUNDS (5), BENCH_REPETITIONS (5),
# BENCH_MIN_TIME (0.1 s per repetition), BENCH_CG_N1/N2 (200/1200 requests), BENCH_CG_CASES
# ("static/a static/c": a subset of part 2),
# BENCH_WRK_ROUNDS (10), BENCH_WRK_SECONDS (2), BENCH_WRK_CONNECTIONS (8),
# BENCH_WRK_THREADS (1), BENCH_HTTPD_PROCS (10), BENCH_KEEP=1 keeps the temp dirs.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${1:-build}
cd "$repo" || exit 1
[[ $build = /* ]] || build="$repo/$build"
out="$build/bench"
parts=(${BENCH_PARTS:-engine callgrind wrk maps scale})
py=${PYTHON:-/usr/bin/python3}  # Debian's (tests/lib/harness.py is imported)
start_all=$SECONDS

echo "=== bench: dependencies"
if ! tests/deps.sh bench demo maps; then
  echo "bench: could not install libbenchmark-dev valgrind wrk apache2 libapache2-mod-php"
  echo "0 passed, ${#parts[@]} failed"
  exit 1
fi
for f in "$build/libcorsengine.a" "$build/mod_cors.so"; do
  if [[ ! -f $f ]]; then
    echo "bench: $f is missing (run make first, or make bench)"
    echo "0 passed, ${#parts[@]} failed"
    exit 1
  fi
done

mkdir -p "$out"
rm -f "$out"/engine.json "$out"/engine_ir.json "$out"/callgrind.json "$out"/wrk.json "$out"/maps.json "$out"/maps_scale.json "$out"/report.md
rm -rf "$out/callgrind"
# which sources are measured (read-only git queries)
src=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo "?")
[[ -z $(git -C "$repo" status --porcelain -- mod_cors 2>/dev/null) ]] || src+=" with uncommitted changes in mod_cors/"
export BENCH_SOURCE="commit $src"
export BENCH_STARTED="Started $(date -u '+%H:%M UTC') with load average $(cut -d' ' -f1-3 /proc/loadavg)."

passed=0 failed=0
run_part() {  # name command...
  local name=$1 t0=$SECONDS
  shift
  echo "=== bench part: $name"
  if "$@"; then
    passed=$((passed + 1))
    echo "--- $name: done in $((SECONDS - t0)) s"
  else
    failed=$((failed + 1))
    echo "--- $name: FAILED to run (after $((SECONDS - t0)) s)"
  fi
}

part_engine() {
  local cxx=${CXX:-g++}
  "$cxx" -std=c++17 -O2 -g -Wall -Wextra -Wno-mismatched-new-delete -I"$repo/mod_cors/engine" \
    -o "$out/engine_bench" "$here/engine_bench.cpp" "$build/libcorsengine.a" \
    -lpcre2-8 -lpsl -lbenchmark -lpthread -rdynamic || return 1
  # repetitions interleaved at random across scenarios: a load change hits them all alike
  "$out/engine_bench" --benchmark_repetitions="${BENCH_REPETITIONS:-5}" \
    --benchmark_min_time="${BENCH_MIN_TIME:-0.1}" --benchmark_enable_random_interleaving=true \
    --benchmark_report_aggregates_only=false --benchmark_display_aggregates_only=true \
    --benchmark_out="$out/engine.json" --benchmark_out_format=json | grep -vE '_(mean|stddev|cv) '
  [[ ${PIPESTATUS[0]} -eq 0 ]] || return 1
  "$py" "$here/bench.py" engine-ir "$out/engine_bench" "$out/engine_ir.json"
}

for part in "${parts[@]}"; do
  case $part in
    engine) run_part "1. engine micro-benchmarks" part_engine ;;
    callgrind) run_part "2. httpd instructions per request (callgrind)" \
                 "$py" "$here/bench.py" callgrind "$build" "$out/callgrind.json" ;;
    wrk) run_part "3. throughput (wrk)" "$py" "$here/bench.py" wrk "$build" "$out/wrk.json" ;;
    maps) run_part "4. a cache miss of an origin map (dbd:, dbm: looked up)" "$py" "$here/bench.py" maps "$build" "$out/maps.json" ;;
    scale) run_part "5. a txt: map of a million origins reloaded under load" \
             "$py" "$here/bench.py" maps-scale "$build" "$out/maps_scale.json" ;;
    *) echo "bench: unknown part '$part'"; failed=$((failed + 1)) ;;
  esac
done

echo "=== bench: report ($out/report.md)"
echo
"$py" "$here/bench.py" report "$build" || failed=$((failed + 1))
echo
echo "bench: $((SECONDS - start_all)) s in all"
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
