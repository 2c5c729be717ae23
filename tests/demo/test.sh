#!/usr/bin/env bash
# The demo stops everything it started however it is stopped (issue 12):
#   tests/demo/test.sh BUILD_DIR      (DEMO_RUN=path/to/run.sh to try another demo script)
# Each case starts tests/demo/run.sh on free ports in a session of its own, with its output going
# through a pipe or to a file, waits until the API answers, stops it the way the case says (the
# reader of the pipe goes away, Ctrl-C to the terminal's process group, SIGHUP, SIGTERM), waits
# (bounded) for it to end, and checks that no process it started is left (every process carries
# a marker in its environment) and that nothing listens on its three ports.
# Prints "ok"/"FAIL" per case, then "N passed, M failed" as the last line.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${1:-build}
case $build in /*) ;; *) build=$repo/$build ;; esac
run=${DEMO_RUN:-$here/run.sh}
PY=/usr/bin/python3
UP_TIMEOUT=${DEMO_UP_TIMEOUT:-180}   # the first run may install packages and build the module
tmp=$(mktemp -d /tmp/mod_cors_demo_test.XXXXXX)
passed=0 failed=0
pass() { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; shift; printf '     %s\n' "$@"; }

# Three consecutive free loopback ports (API, partner, stranger).
free_ports() { "$PY" "$repo/tests/lib/harness.py" free-ports 3; }
# The processes whose environment carries the marker (the demo and all it started).
marked() {
  grep -lzxF "DEMO_TEST_MARK=$1" /proc/[0-9]*/environ 2>/dev/null | sed -E 's|^/proc/([0-9]+)/environ$|\1|' \
    | grep -vxE "$$|$BASHPID" || true
}
listening() {  # port: true when something accepts on 127.0.0.1:port
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}
describe() { local p; for p in "$@"; do echo "$p $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | cut -c1-120)"; done; }

# case_ ID NAME HOW SHELL-COMMAND: HOW is none (the command ends by itself), tee (kill the tee),
# int|hup (that signal to the whole session, as a terminal does), term (SIGTERM to run.sh only).
case_() {
  local id=$1 name=$2 how=$3 cmd=$4 port mark out err sid up=0 ended=0 left ports_busy=()
  port=$(free_ports)
  mark=$(cat /proc/sys/kernel/random/uuid)
  out=$tmp/$id.out err=$tmp/$id.err
  # A background job of a script starts with SIGINT ignored (and bash cannot trap a signal
  # ignored on entry): env gives it back its default, as a terminal's foreground job has.
  DEMO_PORT=$port DEMO_TEST_MARK=$mark RUN=$run BUILD=$build OUT=$out \
    setsid env --default-signal=INT,QUIT bash -c "$cmd" </dev/null >"$out" 2>"$err" &
  sid=$!
  for _ in $(seq $((UP_TIMEOUT * 5))); do
    if curl -s -m 2 -o /dev/null "http://127.0.0.1:$port/"; then up=1; break; fi
    kill -0 "$sid" 2>/dev/null || break
    sleep 0.2
  done
  if ((up)); then
    sleep 0.5   # past the readiness check: the demo is in its main wait
    case $how in
      tee)  pkill -TERM -s "$sid" -x tee ;;
      int)  kill -INT -- "-$sid" ;;
      hup)  kill -HUP -- "-$sid" ;;
      term) kill -TERM "$sid" ;;   # the command execs run.sh: it is the session leader
    esac
  fi
  for _ in $(seq 300); do kill -0 "$sid" 2>/dev/null || { ended=1; break; }; sleep 0.1; done
  # '| head -1' ends the demo as soon as its banner is out, which it prints once the API
  # answered a partner: the demo may be gone before a poll above saw it up. Then its stderr
  # tells: it stopped Apache, and no start-up error came first.
  if ((!up)) && [[ $how == none ]] && grep -q '^demo: stopped' "$err" &&
     ! grep -qE 'did not start|does not answer|already in use|exited on its own' "$err"; then
    up=1
  fi
  for _ in $(seq 100); do [[ -z $(marked "$mark") ]] && break; sleep 0.1; done
  left=$(marked "$mark")
  for p in "$port" $((port + 1)) $((port + 2)); do listening "$p" && ports_busy+=("$p"); done
  if ((up && ended)) && [[ -z $left ]] && ((${#ports_busy[@]} == 0)); then
    pass "$name"
  else
    fail "$name" "came up: $up, ended: $ended, left running: $(echo $left), listening: ${ports_busy[*]:-none}" \
      "$(describe $left)" "--- its stderr:" "$(tail -n 8 "$err" 2>/dev/null)"
  fi
  # Leave nothing behind whatever the result: the case's session, then every marked process.
  kill -KILL -- "-$sid" 2>/dev/null
  for p in $(marked "$mark"); do kill -KILL -- "-$p" 2>/dev/null; kill -KILL "$p" 2>/dev/null; done
  wait "$sid" 2>/dev/null
}

case_ 1 "stdout through '| head -1': the demo stops when head has gone" none \
  '"$RUN" "$BUILD" | head -n 1 >/dev/null'
case_ 2 "stdout through '| tee': the tee is killed, the demo stops" tee \
  '"$RUN" "$BUILD" | tee "$OUT.tee" >/dev/null'
case_ 3 "Ctrl-C (SIGINT to the group) with '| tee' dying too: the cleanup still stops Apache" int \
  '"$RUN" "$BUILD" | tee "$OUT.tee" >/dev/null'
case_ 4 "Ctrl-C (SIGINT to the group), output to a file" int \
  'exec "$RUN" "$BUILD"'
case_ 5 "SIGHUP to the group (the terminal went away)" hup \
  'exec "$RUN" "$BUILD"'
case_ 6 "SIGTERM to run.sh alone" term \
  'exec "$RUN" "$BUILD"'
# The ready line the browser suite waits for, printed once the API answered (case 4's output).
ready_out=$tmp/4.out
if grep -qE '^demo: ready at http://127\.0\.0\.1:[0-9]+/$' "$ready_out" 2>/dev/null; then
  pass "the demo printed 'demo: ready at http://127.0.0.1:PORT/'"
else
  fail "the demo printed 'demo: ready at http://127.0.0.1:PORT/'" "$(tail -n 5 "$ready_out" 2>/dev/null)"
fi

rm -rf "$tmp"
echo "$passed passed, $failed failed"
((failed == 0))
