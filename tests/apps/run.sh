#!/usr/bin/env bash
# Application suite: tests/apps/run.sh BUILD_DIR [pytest arguments]
# mod_cors in front of real PHP applications installed from Debian 12's packages (WordPress on
# a MariaDB of its own under prefork + mod_php and event + php-fpm, phpMyAdmin, DokuWiki,
# MediaWiki), each run from a throw-away folder with its own configuration, with a control run
# without the module; a partner page in every headless browser of tests/browser/lib/engines.mjs.
# The last line is "N passed, M failed".
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
"$repo/tests/deps.sh" apps browser || { echo "0 passed, 1 failed"; exit 1; }
# The browser engines' drivers: tests/browser's npm packages, exactly as locked, as make browser
# installs them (no browser download).
browser=$repo/tests/browser
if ! cmp -s "$browser/package-lock.json" "$browser/node_modules/.package-lock.json.installed" 2>/dev/null; then
  command -v npm >/dev/null || { echo "apps: npm is missing (make browser installs it)" >&2; echo "0 passed, 1 failed"; exit 1; }
  (cd "$browser" && PUPPETEER_SKIP_DOWNLOAD=1 PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
     npm ci --no-audit --no-fund --loglevel=error --prefer-offline) >&2 || { echo "0 passed, 1 failed"; exit 1; }
  cp "$browser/package-lock.json" "$browser/node_modules/.package-lock.json.installed"
fi
exec "$repo/tests/lib/pytest-suite" "$repo/tests/apps" 600 "${1:-build}" "${@:2}"
