#!/usr/bin/env bash
# make demo: Apache + mod_cors in front of a small legacy PHP app, with a partner page and a
# stranger page that call it, and a results page showing each call and mod_cors' decision.
#   tests/demo/run.sh BUILD_DIR        (ports: DEMO_PORT=8080 -> API 8080, partner 8081, stranger 8082)
# The server is the test harness's (tests/lib/harness.py serve SPEC.json, the spec written here).
# Once the API answers a partner's CORS request it prints "demo: ready at http://127.0.0.1:PORT/"
# (PORT: the API's), then runs until Ctrl-C (SIGINT), SIGTERM, SIGHUP or until its standard
# output is closed (`| head -1`, a `| tee` that died, a terminal gone); then it stops httpd and
# the harness (each by process group) and removes its files. The cleanup writes nothing to
# standard output and ignores SIGPIPE, so a closed pipe cannot stop it halfway.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${1:-build}
case $build in /*) ;; *) build=$repo/$build ;; esac
api_port=${DEMO_PORT:-8080}
partner_port=$((api_port + 1))
stranger_port=$((api_port + 2))
PY=/usr/bin/python3
APACHE2=${APACHE2:-/usr/sbin/apache2}
MODULES=/usr/lib/apache2/modules

"$repo/tests/deps.sh" demo
module=$build/mod_cors.so
[[ -f $module ]] || make -C "$repo" --no-print-directory BUILD="$build" "$module"
ls "$MODULES"/libphp8*.so >/dev/null 2>&1 || { echo "demo: no mod_php in $MODULES (libapache2-mod-php)" >&2; exit 1; }

for port in "$api_port" "$partner_port" "$stranger_port"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "demo: port $port is already in use on 127.0.0.1 (set DEMO_PORT to use other ports)" >&2
    exit 1
  fi
done

work=$(mktemp -d /tmp/mod_cors_demo.XXXXXX)
serve_pid= httpd_pid= watch_pid=
stopping=
# Stops everything whatever happened to stdout/stderr: SIGPIPE ignored, nothing written to
# stdout, messages to stderr with their errors ignored.
cleanup() {
  local rc=$1
  [[ -z $stopping ]] || return 0
  stopping=1
  trap '' PIPE INT TERM HUP
  trap - EXIT
  set +e
  exec 1>/dev/null 4>&-
  echo "demo: stopping Apache..." >&2 2>/dev/null
  if [[ -n $serve_pid ]]; then
    kill -TERM -- "-$serve_pid" 2>/dev/null          # the harness stops httpd, then exits
    for _ in $(seq 150); do kill -0 "$serve_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$serve_pid" 2>/dev/null
    wait "$serve_pid" 2>/dev/null
  fi
  # httpd runs in a session of its own (the harness starts it so): whatever is left of it.
  [[ -n $httpd_pid ]] && kill -KILL -- "-$httpd_pid" 2>/dev/null
  # A crashed child, or an error-log line at warn or above the spec does not expect (the
  # harness prints both when it stops): said on stderr (the browser suite fails on them).
  grep -E '^harness: (crash|unexpected error-log line):' "$work/serve.log" >&2 2>/dev/null
  [[ -n $watch_pid ]] && { kill -TERM "$watch_pid" 2>/dev/null; wait "$watch_pid" 2>/dev/null; }
  rm -rf "$work"
  echo "demo: stopped" >&2 2>/dev/null
  exit "$rc"
}
trap 'cleanup 130' INT
trap 'cleanup 143' TERM
trap 'cleanup 129' HUP
trap 'cleanup 141' PIPE
trap 'cleanup $?' EXIT

# ---- the server, as a harness spec: the API (the legacy PHP app of the browser suite, mod_cors
# in front of it), the partner's page and a stranger's page (no CORS there: they are the callers).
partner="http://127.0.0.1:$partner_port"
stranger="http://localhost:$stranger_port"
api="http://127.0.0.1:$api_port"
ipv6=0
if ip -6 addr show dev lo 2>/dev/null | grep -q 'inet6 ::1/128'; then ipv6=1; fi  # browsers try ::1 first
DEMO_REPO=$repo DEMO_HERE=$here DEMO_API=$api DEMO_PARTNER=$partner DEMO_STRANGER=$stranger \
DEMO_API_PORT=$api_port DEMO_PARTNER_PORT=$partner_port DEMO_STRANGER_PORT=$stranger_port DEMO_IPV6=$ipv6 \
"$PY" - "$work/spec.json" <<'PYEOF'
import json, os, sys
from pathlib import Path
e = os.environ
repo, here = Path(e["DEMO_REPO"]), Path(e["DEMO_HERE"])
api, partner, stranger = e["DEMO_API"], e["DEMO_PARTNER"], e["DEMO_STRANGER"]
pp, sp = int(e["DEMO_PARTNER_PORT"]), int(e["DEMO_STRANGER_PORT"])
files = {f"site/{p.name}": p.read_text() for p in sorted((here / "site").iterdir()) if p.is_file()}
files["site/client.js"] = (repo / "tests/browser/app/pages/client.js").read_text()
for jq in (repo / "tests/browser/node_modules/jquery/dist/jquery.min.js",
           Path("/usr/share/javascript/jquery/jquery.min.js")):
    if jq.is_file():
        files["site/jquery.min.js"] = jq.read_text()
        break
else:
    files["site/jquery.min.js"] = "// jQuery is not installed (apt-get install libjs-jquery)\n"
files["site/config.js"] = (f"window.DEMO_API = '{api}';\nwindow.DEMO_PARTNER = '{partner}';\n"
                           f"window.DEMO_STRANGER = '{stranger}';\n")
files["api/index.html"] = f"""<!doctype html><meta charset="utf-8"><title>mod_cors demo API</title>
<style>body{{font:14px/1.4 system-ui,sans-serif;margin:18px}}</style>
<h1>The demo API: Apache + mod_cors in front of a legacy PHP app</h1>
<p>Try <a href="/api/items.php">/api/items.php</a>. The CORS calls come from the
<a href="{partner}/">partner page ({partner})</a> and the <a href="{stranger}/">stranger page ({stranger})</a>.</p>
"""
files["policy/policy.conf"] = f"""<Location "/api/">
    CORSEngine On
    # The demo app shows what PHP sees of the decision (CORS_REASON ...).
    CORSExportEnv On
    CORSAllowOrigin {partner}
    CORSAllowMethods GET POST PUT DELETE
    CORSAllowHeaders Content-Type X-Custom-Header Authorization
    CORSExposeHeaders X-Total-Count
    CORSAllowCredentials On
    CORSMaxAge 600
</Location>
"""
listen_stranger, vhost_stranger = "Listen 127.0.0.1:${IT_PORT_STRANGER}", "127.0.0.1:${IT_PORT_STRANGER}"
if e["DEMO_IPV6"] == "1":
    listen_stranger += "\nListen [::1]:${IT_PORT_STRANGER}"
    vhost_stranger += " [::1]:${IT_PORT_STRANGER}"
body = f"""php_admin_value display_errors Off
SetEnv HITS_LOG "${{IT_STATE}}/hits.log"
SetEnv PARTNER_PATTERN "@^http://127\\.0\\.0\\.1:{pp}$@"
SetEnv DEMO_ERROR_LOG "${{IT_ROOT}}/logs/error.log"
SetEnv DEMO_POLICY "${{IT_HTDOCS}}/policy/policy.conf"
<Directory "${{IT_HTDOCS}}/policy">
    Require all denied
</Directory>

# The API: the legacy PHP app, mod_cors in front of it.
<VirtualHost 127.0.0.1:${{IT_PORT}}>
    DocumentRoot "${{IT_HTDOCS}}/api"
    Include "${{IT_HTDOCS}}/policy/policy.conf"
</VirtualHost>

# The partner's page and a stranger's page (no CORS here: they are the callers).
Listen 127.0.0.1:${{IT_PORT_PARTNER}}
<VirtualHost 127.0.0.1:${{IT_PORT_PARTNER}}>
    DocumentRoot "${{IT_HTDOCS}}/site"
</VirtualHost>
{listen_stranger}
<VirtualHost {vhost_stranger}>
    DocumentRoot "${{IT_HTDOCS}}/site"
</VirtualHost>
"""
spec = {"spec": {"mpm": "prefork", "php": "mod_php", "port": int(e["DEMO_API_PORT"]),
                 "fixed_ports": {"partner": pp, "stranger": sp},
                 "app_dirs": ["api/api"], "app_source": str(repo / "tests/browser/app/api"),
                 "files": files, "body": body,
                 # The demo is plain http on loopback: the start-up warning that an http:// partner
                 # with credentials can be posed as by a network attacker is right, and expected.
                 "expect_log": [r"CORS00401: CORSAllowOrigin http://127\.0\.0\.1:\d+ allows \S+ with credentials"]}}
Path(sys.argv[1]).write_text(json.dumps(spec))
PYEOF

# ---- start it: its own session (Ctrl-C reaches this script, which stops it in order); its
# stdin is a pipe this script holds, so that if this script is killed outright the harness
# sees the end of it and stops httpd (serve --stdin).
mkfifo "$work/serve.stdin"
MOD_CORS_SO=$module APACHE2=$APACHE2 setsid "$PY" "$repo/tests/lib/harness.py" serve "$work/spec.json" --stdin \
  <"$work/serve.stdin" >"$work/serve.json" 2>"$work/serve.log" &
serve_pid=$!
exec 4>"$work/serve.stdin"
for _ in $(seq 600); do
  [[ -s $work/serve.json ]] && break
  kill -0 "$serve_pid" 2>/dev/null || break
  sleep 0.1
done
if [[ ! -s $work/serve.json ]]; then
  echo "demo: the server did not start:" >&2
  tail -n 40 "$work/serve.log" >&2
  exit 1
fi
read -r info <"$work/serve.json"
root=$("$PY" -c 'import json,sys; print(json.loads(sys.argv[1])["root"])' "$info")
httpd_pid=$("$PY" -c 'import json,sys; print(json.loads(sys.argv[1])["pid"])' "$info")

# ---- ready when the API answers a partner's CORS request with its origin allowed
ready=
for _ in $(seq 100); do
  if curl -s -m 5 -o /dev/null -D - -H "Origin: $partner" "$api/api/items.php" 2>/dev/null \
      | tr -d '\r' | grep -qiFx "access-control-allow-origin: $partner" \
     && curl -s -m 5 -o /dev/null "$partner/"; then
    ready=1
    break
  fi
  kill -0 "$serve_pid" 2>/dev/null || break
  sleep 0.1
done
if [[ -z $ready ]]; then
  echo "demo: the API does not answer a partner's CORS request on $api/api/items.php" >&2
  tail -n 40 "$work/serve.log" "$root/logs/error.log" >&2 2>/dev/null || true
  exit 1
fi

# Watches stdout: returns when it is closed (the reader of the pipe went, the terminal hung up).
env --ignore-signal=INT "$PY" -c '
import select
p = select.poll()
p.register(1, 0)
p.poll()
' </dev/null 4>&- &
watch_pid=$!

cat <<EOF

  mod_cors demo is running (Apache $("$APACHE2" -v | sed -n 's/^Server version: Apache\///p' | cut -d' ' -f1), $module)

    partner page:   $partner/      allowed by CORSAllowOrigin: the calls go through
    stranger page:  $stranger/    not a partner: every call refused before PHP runs
    API:            $api/api/items.php

  Open the two pages in a browser on this machine; each shows its calls, what the page saw,
  the decision mod_cors logged and whether the PHP app ran.
  Logs: $root/logs/error.log (LogLevel cors:debug), $root/logs/access.log

  Ctrl-C stops Apache and removes $root.

demo: ready at $api/
EOF

while kill -0 "$serve_pid" 2>/dev/null && kill -0 "$watch_pid" 2>/dev/null; do
  wait -n "$serve_pid" "$watch_pid" 2>/dev/null || true
done
if ! kill -0 "$serve_pid" 2>/dev/null; then
  echo "demo: Apache exited on its own" >&2
  tail -n 20 "$work/serve.log" >&2 2>/dev/null || true
  cleanup 1
fi
cleanup 141   # standard output was closed
