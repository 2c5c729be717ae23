#!/usr/bin/env bash
# make demo: Apache + mod_cors in front of a small legacy PHP app, with a partner page and a
# stranger page that call it, and a results page showing each call and mod_cors' decision.
#   tests/demo/run.sh BUILD_DIR        (ports: DEMO_PORT=8080 -> API 8080, partner 8081, stranger 8082)
# Runs in the foreground until Ctrl-C (SIGINT) or SIGTERM, then stops httpd and removes its files.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${1:-build}
case $build in /*) ;; *) build=$repo/$build ;; esac
api_port=${DEMO_PORT:-8080}
partner_port=$((api_port + 1))
stranger_port=$((api_port + 2))
APACHE2=${APACHE2:-/usr/sbin/apache2}
MODULES=/usr/lib/apache2/modules

"$repo/tests/deps.sh" demo
module=$build/mod_cors.so
[[ -f $module ]] || make -C "$repo" --no-print-directory BUILD="$build" "$module"
php_so=$(ls "$MODULES"/libphp8*.so 2>/dev/null | head -n 1)
[[ -n $php_so ]] || { echo "demo: no mod_php in $MODULES (libapache2-mod-php)" >&2; exit 1; }

for port in "$api_port" "$partner_port" "$stranger_port"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "demo: port $port is already in use on 127.0.0.1 (set DEMO_PORT to use other ports)" >&2
    exit 1
  fi
done

root=$(mktemp -d /tmp/mod_cors_demo.XXXXXX)
httpd_pid=
cleanup() {
  trap - INT TERM EXIT
  echo
  echo "demo: stopping Apache..."
  if [[ -n $httpd_pid ]] && kill -0 "$httpd_pid" 2>/dev/null; then
    kill -TERM "$httpd_pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$httpd_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$httpd_pid" 2>/dev/null || true   # its process group (setsid), if anything is left
  fi
  rm -rf "$root"
  echo "demo: stopped; removed $root"
}
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM
trap 'cleanup' EXIT

# ---- files: the API (the legacy PHP app of the browser suite) and the two pages
chmod 755 "$root"
mkdir -p "$root"/{conf,logs,run,api,site,state}
chmod 777 "$root/state"
touch "$root/state/hits.log"; chmod 666 "$root/state/hits.log"
cp -r "$repo/tests/browser/app/api" "$root/api/api"
cp "$here/site/"* "$root/site/"
cp "$repo/tests/browser/app/pages/client.js" "$root/site/"
for jq in "$repo/tests/browser/node_modules/jquery/dist/jquery.min.js" /usr/share/javascript/jquery/jquery.min.js; do
  [[ -f $jq ]] && { cp "$jq" "$root/site/jquery.min.js"; break; }
done
[[ -f $root/site/jquery.min.js ]] || echo "// jQuery is not installed (npm ci in tests/browser, or apt-get install libjs-jquery)" > "$root/site/jquery.min.js"
partner="http://127.0.0.1:$partner_port"
stranger="http://localhost:$stranger_port"
api="http://127.0.0.1:$api_port"
cat > "$root/site/config.js" <<EOF
window.DEMO_API = '$api';
window.DEMO_PARTNER = '$partner';
window.DEMO_STRANGER = '$stranger';
EOF
cat > "$root/api/index.html" <<EOF
<!doctype html><meta charset="utf-8"><title>mod_cors demo API</title>
<style>body{font:14px/1.4 system-ui,sans-serif;margin:18px}</style>
<h1>The demo API: Apache + mod_cors in front of a legacy PHP app</h1>
<p>Try <a href="/api/items.php">/api/items.php</a>. The CORS calls come from the
<a href="$partner/">partner page ($partner)</a> and the <a href="$stranger/">stranger page ($stranger)</a>.</p>
EOF
find "$root/api" "$root/site" -type d -exec chmod 755 {} + ; find "$root/api" "$root/site" -type f -exec chmod 644 {} +

# ---- configuration
cat > "$root/conf/policy.conf" <<EOF
<Location "/api/">
    CORSEngine On
    CORSAllowOrigin $partner
    CORSAllowMethods GET POST PUT DELETE
    CORSAllowHeaders Content-Type X-Custom-Header Authorization
    CORSExposeHeaders X-Total-Count
    CORSAllowCredentials On
    CORSMaxAge 600
</Location>
EOF
listen_stranger="Listen 127.0.0.1:$stranger_port"
vhost_stranger="127.0.0.1:$stranger_port"
if ip -6 addr show dev lo 2>/dev/null | grep -q 'inet6 ::1/128'; then  # browsers try ::1 first for localhost
  listen_stranger+=$'\n'"Listen [::1]:$stranger_port"
  vhost_stranger+=" [::1]:$stranger_port"
fi
mods=""
for m in mpm_prefork authz_core mime dir alias env headers setenvif; do
  mods+="LoadModule ${m}_module $MODULES/mod_$m.so"$'\n'
done
cat > "$root/conf/httpd.conf" <<EOF
$mods
LoadModule php_module $php_so
LoadModule cors_module $module
ServerRoot "$root"
ServerName 127.0.0.1
User www-data
Group www-data
PidFile "$root/run/httpd.pid"
DefaultRuntimeDir "$root/run"
Mutex file:$root/run default
ErrorLog "$root/logs/error.log"
LogLevel warn cors:debug
LogFormat "%h \"%r\" %>s \"%{Origin}i\"" demo
CustomLog "$root/logs/access.log" demo
TypesConfig /etc/mime.types
DirectoryIndex index.html index.php
StartServers 2
MinSpareServers 2
MaxSpareServers 4
MaxRequestWorkers 10
<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Directory "$root/api">
    Require all granted
</Directory>
<Directory "$root/site">
    Require all granted
</Directory>
<FilesMatch "\.php$">
    SetHandler application/x-httpd-php
</FilesMatch>
php_admin_value display_errors Off
SetEnv HITS_LOG "$root/state/hits.log"
SetEnv PARTNER_PATTERN "@^http://127\\.0\\.0\\.1:$partner_port\$@"
SetEnv DEMO_ERROR_LOG "$root/logs/error.log"
SetEnv DEMO_POLICY "$root/conf/policy.conf"

# The API: the legacy PHP app, mod_cors in front of it.
Listen 127.0.0.1:$api_port
<VirtualHost 127.0.0.1:$api_port>
    DocumentRoot "$root/api"
    Include "$root/conf/policy.conf"
</VirtualHost>

# The partner's page and a stranger's page (no CORS here: they are the callers).
Listen 127.0.0.1:$partner_port
<VirtualHost 127.0.0.1:$partner_port>
    DocumentRoot "$root/site"
</VirtualHost>
$listen_stranger
<VirtualHost $vhost_stranger>
    DocumentRoot "$root/site"
</VirtualHost>
EOF

"$APACHE2" -t -d "$root" -f "$root/conf/httpd.conf" >/dev/null 2>"$root/logs/configtest.log" \
  || { cat "$root/logs/configtest.log" >&2; exit 1; }
# Its own session: Ctrl-C reaches this script, which then stops Apache in order.
setsid "$APACHE2" -d "$root" -f "$root/conf/httpd.conf" -DFOREGROUND >"$root/logs/startup.log" 2>&1 &
httpd_pid=$!
for _ in $(seq 200); do
  if curl -s -o /dev/null "http://127.0.0.1:$api_port/" && curl -s -o /dev/null "http://127.0.0.1:$partner_port/"; then
    break
  fi
  kill -0 "$httpd_pid" 2>/dev/null || { cat "$root/logs/startup.log" "$root/logs/error.log" >&2; exit 1; }
  sleep 0.1
done

cat <<EOF

  mod_cors demo is running (Apache $("$APACHE2" -v | sed -n 's/^Server version: Apache\///p' | cut -d' ' -f1), $module)

    partner page:   $partner/      allowed by CORSAllowOrigin: the calls go through
    stranger page:  $stranger/    not a partner: every call refused before PHP runs
    API:            $api/api/items.php

  Open the two pages in a browser on this machine; each shows its calls, what the page saw,
  the decision mod_cors logged and whether the PHP app ran.
  Logs: $root/logs/error.log (LogLevel cors:debug), $root/logs/access.log

  Ctrl-C stops Apache and removes $root.
EOF

while kill -0 "$httpd_pid" 2>/dev/null; do
  wait "$httpd_pid" 2>/dev/null || true
done
echo "demo: Apache exited on its own; see $root/logs/error.log" >&2
tail -n 20 "$root/logs/error.log" >&2 || true
