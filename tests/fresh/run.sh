#!/usr/bin/env bash
# make fresh-check: the README's first command works the first time on a fresh Debian 12.
#   tests/fresh/run.sh BUILD_DIR          (root; Debian's debootstrap, installed by deps.sh fresh)
#
#  1. the demo's own stop checks (tests/demo/test.sh BUILD_DIR, on this machine, free ports);
#  2. a minimal Debian 12 root (debootstrap --variant=minbase bookworm), cached as a tarball
#     ($FRESH_CACHE/bookworm-minbase.tar, made once, reused), unpacked under /var/tmp, with this
#     machine's apt sources (and the apt settings it needs to reach its mirror) and resolver;
#  3. /proc, /dev, /dev/pts and /sys mounted in it (unmounted on every exit path);
#  4. a clone of the repository's committed HEAD in /root/mod_cors there
#     (FRESH_REPO=DIR clones another repository, FRESH_REF=COMMIT another commit;
#     FRESH_SOURCE=worktree copies the working tree instead: the files git knows, uncommitted
#     changes included);
#  5. `./bootstrap demo` run there as root with a clean environment and DEMO_PORT=<free port>
#     (the chroot shares this machine's loopback) until the API answers a partner's CORS request
#     with the partner's Access-Control-Allow-Origin (at most FRESH_TIMEOUT seconds, 600);
#  6. stopped with SIGINT to its process group (Ctrl-C); then no process may be left whose root
#     is the chroot, and nothing may listen on its ports.
# The work folder is removed at the end (the tarball is kept). When the demo does not come up,
# the last 40 lines of its output are printed. The last line is "N passed, M failed".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${1:-build}
case $build in /*) ;; *) build=$repo/$build ;; esac
FRESH_REPO=${FRESH_REPO:-$repo}
FRESH_REF=${FRESH_REF:-HEAD}
FRESH_SOURCE=${FRESH_SOURCE:-clone}
FRESH_CACHE=${FRESH_CACHE:-/var/cache/mod_cors-fresh}
FRESH_TIMEOUT=${FRESH_TIMEOUT:-600}
FRESH_SUITE=bookworm
PY=/usr/bin/python3
tarball=$FRESH_CACHE/$FRESH_SUITE-minbase.tar

passed=0 failed=0
pass() { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; shift; (($#)) && printf '     %s\n' "$@"; return 0; }
finish() { echo "$passed passed, $failed failed"; ((failed == 0)); exit; }
t0=$SECONDS
took() { echo "     ($(($SECONDS - $1)) s)"; }

if [[ $(id -u) -ne 0 ]] && command -v sudo >/dev/null 2>&1; then
  # a user with sudo: the same check, as root, with the same settings
  exec sudo -- env FRESH_REPO="$FRESH_REPO" FRESH_REF="$FRESH_REF" FRESH_SOURCE="$FRESH_SOURCE" \
    FRESH_CACHE="$FRESH_CACHE" FRESH_TIMEOUT="$FRESH_TIMEOUT" ${FRESH_MIRROR:+FRESH_MIRROR="$FRESH_MIRROR"} \
    "$0" "$build"
fi
if [[ $(id -u) -ne 0 ]]; then
  fail "runs as root" "a chroot with mounts needs root: run make fresh-check as root (or with sudo)"
  finish
fi
if ! "$repo/tests/deps.sh" fresh >/dev/null || ! command -v debootstrap >/dev/null; then
  fail "Debian's debootstrap is installed" "tests/deps.sh fresh could not install debootstrap"
  finish
fi

# ---- 1. the demo's stop checks, on this machine
echo "--- the demo stops everything it started (tests/demo/test.sh)"
start=$SECONDS
demo_out=$("$repo/tests/demo/test.sh" "$build" 2>&1)
demo_summary=$(tail -n 1 <<<"$demo_out")
sed '$d' <<<"$demo_out"
if [[ $demo_summary =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
  passed=$((passed + BASH_REMATCH[1])); failed=$((failed + BASH_REMATCH[2]))
else
  fail "tests/demo/test.sh printed its summary" "$demo_summary"
fi
took "$start"

# ---- 2. the root
echo "--- a fresh Debian 12 root"
work=$(mktemp -d /var/tmp/mod_cors-fresh.XXXXXX)
root=$work/root
demo_pid=
mounted=()
umount_all() {
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    umount "${mounted[i]}" 2>/dev/null || umount -l "${mounted[i]}" 2>/dev/null
  done
  mounted=()
}
in_root() {  # the pids of the processes whose root is the chroot
  local p
  for p in /proc/[0-9]*; do
    [[ $(readlink "$p/root" 2>/dev/null) == "$root" ]] && echo "${p#/proc/}"
  done
}
cleanup() {
  trap '' INT TERM HUP PIPE
  [[ -n $demo_pid ]] && kill -KILL -- "-$demo_pid" 2>/dev/null
  local p
  for p in $(in_root); do kill -KILL "$p" 2>/dev/null; done
  sleep 0.2
  umount_all
  # never delete through a mount that is still there
  if ! grep -qF " $root/" /proc/mounts; then rm -rf --one-file-system "$work"; fi
}
trap 'cleanup; echo "fresh-check: interrupted"; echo "$passed passed, $((failed + 1)) failed"; exit 130' INT TERM HUP
trap cleanup EXIT

start=$SECONDS
mirror=$(sed -nE 's/^URIs:[[:space:]]*(http[^[:space:]]*\/debian)\/?([[:space:]].*)?$/\1/p' \
           /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)
[[ -n $mirror ]] || mirror=$(sed -nE 's/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?(http[^[:space:]]*\/debian)\/?[[:space:]]+'"$FRESH_SUITE"'[[:space:]].*/\2/p' \
           /etc/apt/sources.list 2>/dev/null | head -n 1)
mirror=${FRESH_MIRROR:-${mirror:-http://deb.debian.org/debian}}
if [[ -f $tarball ]]; then
  mkdir -p "$root" && tar -xpf "$tarball" --numeric-owner -C "$root"
  rc=$?
  ((rc == 0)) && pass "the cached $FRESH_SUITE minbase root unpacked ($tarball)" \
              || fail "the cached root unpacked ($tarball)" "tar exit $rc"
else
  if debootstrap --variant=minbase "$FRESH_SUITE" "$root" "$mirror" >"$work/debootstrap.log" 2>&1; then
    mkdir -p "$FRESH_CACHE"
    tar -cpf "$tarball.tmp" --numeric-owner -C "$root" . && mv "$tarball.tmp" "$tarball"
    pass "debootstrap --variant=minbase $FRESH_SUITE from $mirror (cached as $tarball)"
  else
    fail "debootstrap --variant=minbase $FRESH_SUITE from $mirror" "$(tail -n 20 "$work/debootstrap.log")"
  fi
fi
took "$start"
[[ -x $root/bin/bash ]] || finish

# This machine's apt sources, the apt settings it needs to reach its mirror (proxies, snapshot
# dates), the keyrings the sources name, and its resolver.
rm -f "$root/etc/apt/sources.list"
[[ -f /etc/apt/sources.list ]] && cp /etc/apt/sources.list "$root/etc/apt/sources.list"
mkdir -p "$root/etc/apt/sources.list.d" "$root/etc/apt/apt.conf.d"
for f in /etc/apt/sources.list.d/*; do [[ -f $f ]] && cp "$f" "$root/etc/apt/sources.list.d/"; done
for f in $(grep -lE 'Acquire::(https?::|ftp::)?Proxy|Acquire::Check-(Valid-Until|Date)|Acquire::https?::' \
             /etc/apt/apt.conf.d/* 2>/dev/null); do
  cp "$f" "$root/etc/apt/apt.conf.d/"
done
for key in $(grep -hoE '(Signed-By:|signed-by=)[[:space:]]*/[^][:space:]]+' /etc/apt/sources.list \
               /etc/apt/sources.list.d/* 2>/dev/null | sed -E 's/^(Signed-By:|signed-by=)[[:space:]]*//'); do
  [[ -f $key && ! -e $root$key ]] && mkdir -p "$root$(dirname "$key")" && cp "$key" "$root$key"
done
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null
cp /etc/hosts "$root/etc/hosts" 2>/dev/null

# ---- 3. the mounts
for m in proc:proc dev:bind dev/pts:bind sys:sysfs; do
  dir=${m%%:*} kind=${m#*:}
  mkdir -p "$root/$dir"
  case $kind in
    bind) mount --bind "/$dir" "$root/$dir" ;;
    *)    mount -t "$kind" "$kind" "$root/$dir" ;;
  esac && mounted+=("$root/$dir") || { fail "mount /$dir in the chroot"; finish; }
done

# ---- 4. the source
if [[ $FRESH_SOURCE == worktree ]]; then
  what="the working tree of $FRESH_REPO"
  mkdir -p "$root/root/mod_cors"
  (cd "$FRESH_REPO" && git -c safe.directory='*' ls-files -z --cached --others --exclude-standard \
     | while IFS= read -r -d '' f; do [[ -f $f && $f != build/* ]] && printf '%s\0' "$f"; done \
     | xargs -0 cp --parents -t "$root/root/mod_cors")
  rc=$?
else
  commit=$(git -c safe.directory='*' -C "$FRESH_REPO" rev-parse --verify "$FRESH_REF^{commit}" 2>/dev/null)
  what="$FRESH_REPO at ${commit:0:12} ($FRESH_REF)"
  git -c safe.directory='*' clone -q "$FRESH_REPO" "$root/root/mod_cors"   # (a repository of another user, under sudo)
  rc=$?
  if ((rc == 0)) && [[ $(git -C "$root/root/mod_cors" rev-parse HEAD) != "$commit" ]]; then
    git -C "$root/root/mod_cors" -c advice.detachedHead=false switch -q --detach "$commit"
    rc=$?
  fi
fi
((rc == 0)) && pass "copied $what into the chroot" || { fail "copy $what into the chroot"; finish; }

# ---- 5. ./bootstrap demo there
echo "--- ./bootstrap demo in the chroot (installs what it needs; about 60 packages the first time)"
port=$("$PY" "$repo/tests/lib/harness.py" free-ports 3)
partner="http://127.0.0.1:$((port + 1))"
log=$work/demo.log
start=$SECONDS
# Its own session, SIGINT at its default (a background job of a script starts with it ignored),
# the environment of a root login rather than this one's.
setsid env --default-signal=INT,QUIT chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin DEMO_PORT="$port" \
  /bin/bash -c 'cd /root/mod_cors && exec ./bootstrap demo' </dev/null >"$log" 2>&1 &
demo_pid=$!
up=0
ready_line="demo: ready at http://127.0.0.1:$port/"
while ((SECONDS - start < FRESH_TIMEOUT)); do
  if grep -qxF "$ready_line" "$log" \
     && curl -s -m 5 -o /dev/null -D - -H "Origin: $partner" "http://127.0.0.1:$port/api/items.php" 2>/dev/null \
       | tr -d '\r' | grep -qiFx "access-control-allow-origin: $partner"; then
    up=1
    break
  fi
  kill -0 "$demo_pid" 2>/dev/null || break
  sleep 1
done
if ((up)); then
  pass "./bootstrap demo printed '$ready_line' and answers a partner's CORS request ($((SECONDS - start)) s from a bare root)"
  status=$(curl -s -m 5 -o /dev/null -w '%{http_code}' -H "Origin: http://stranger.example" \
             "http://127.0.0.1:$port/api/items.php")
  [[ $status == 403 ]] && pass "and refuses a stranger's request (403)" \
                       || fail "and refuses a stranger's request (403)" "got $status"
else
  if kill -0 "$demo_pid" 2>/dev/null; then why="no answer after $FRESH_TIMEOUT s"; else why="./bootstrap demo exited"; fi
  fail "./bootstrap demo printed '$ready_line' and answers a partner's CORS request ($why)" \
       "--- the last 40 lines of its output:" "$(tail -n 40 "$log")"
fi

# ---- 6. Ctrl-C, then nothing of it is left
kill -INT -- "-$demo_pid" 2>/dev/null
ended=0
for _ in $(seq 300); do kill -0 "$demo_pid" 2>/dev/null || { ended=1; break; }; sleep 0.1; done
for _ in $(seq 100); do [[ -z $(in_root) ]] && break; sleep 0.1; done
left=$(in_root)
busy=()
for p in "$port" $((port + 1)) $((port + 2)); do (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && busy+=("$p"); done
if ((ended)) && [[ -z $left ]] && ((${#busy[@]} == 0)); then
  pass "after Ctrl-C (SIGINT to its process group) no process is left in the chroot, nothing listens"
else
  fail "after Ctrl-C no process is left in the chroot, nothing listens" \
       "ended: $ended; left: $(for p in $left; do printf '%s ' "$p:$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | cut -c1-60)"; done); listening: ${busy[*]:-none}" \
       "--- the last 10 lines of its output:" "$(tail -n 10 "$log")"
fi
demo_pid=
echo "     (demo in the chroot: $((SECONDS - start)) s; fresh-check: $((SECONDS - t0)) s)"
cleanup
trap - EXIT
if grep -qF " $root/" /proc/mounts || [[ -e $work ]]; then
  fail "the chroot is unmounted and its work folder removed ($work)"
fi
finish
