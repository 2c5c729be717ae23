#!/usr/bin/env bash
# Deployment suite: tests/deployments/run.sh BUILD_DIR [pytest arguments]
# mod_cors inside real setups (mod_cache, Varnish, nginx, php-fpm, front controllers, HTTP/2,
# mod_proxy_http), against BUILD_DIR/mod_cors.so; the last line is "N passed, M failed".
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
"$repo/tests/deps.sh" deployments || { echo "0 passed, 1 failed"; exit 1; }
exec "$repo/tests/lib/pytest-suite" "$repo/tests/deployments" 170 "${1:-build}" "${@:2}"
