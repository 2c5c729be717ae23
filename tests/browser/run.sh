#!/usr/bin/env bash
# make browser: mod_cors end-to-end in three browser engines, Debian's chromium (through
# playwright-core), Debian's firefox-esr (through puppeteer-core over WebDriver BiDi) and Debian's
# WebKitGTK (MiniBrowser through WebKitWebDriver, on Xvfb).
#   tests/browser/run.sh BUILD_DIR
# Installs what is missing (tests/deps.sh browser: chromium, firefox-esr, webkit2gtk-driver, xvfb,
# faketime, openssl, python3;
# tests/deps.sh demo: apache2, mod_php; Debian's nodejs/npm only when there is no node/npm;
# the npm packages of package-lock.json, no browser download), runs run.mjs, leaves
# BUILD_DIR/browser/{results.html,results.json,results-*.png,demo-*.png,browser.log}, and prints
# "chromium: N passed, M failed", "firefox: ...", "webkit: ..." and, as its last line, the total
# "N passed, M failed".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${1:-build}
case $build in /*) ;; *) build=$repo/$build ;; esac
out=$build/browser
mkdir -p "$out"

die() { echo "browser: $*" >&2; echo "0 passed, 1 failed"; exit 1; }

# Debian packages. Debian's nodejs and npm conflict with a node that is already there from
# another source (its nodejs package provides and conflicts with npm), so they come from
# Debian only when missing.
"$repo/tests/deps.sh" browser demo >&2 || die "could not install chromium, firefox-esr, webkit2gtk-driver, xvfb, faketime, apache2, mod_php"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "browser: installing nodejs npm" >&2
  if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; else SUDO=; fi
  { $SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends nodejs npm; } >&2 \
    || die "could not install nodejs npm"
fi
[[ -x /usr/bin/chromium ]] || die "/usr/bin/chromium is missing"
[[ -x /usr/bin/firefox-esr ]] || die "/usr/bin/firefox-esr is missing"
[[ -x /usr/bin/WebKitWebDriver ]] || die "/usr/bin/WebKitWebDriver is missing (webkit2gtk-driver)"
[[ -x /usr/bin/Xvfb ]] || die "/usr/bin/Xvfb is missing (xvfb)"
node -e 'process.exit(+process.versions.node.split(".")[0] >= 18 ? 0 : 1)' \
  || die "node $(node --version) is too old: playwright-core and puppeteer-core need node >= 18"

# npm packages, exactly as locked; no browser download (neither package is asked to fetch one).
if ! cmp -s "$here/package-lock.json" "$here/node_modules/.package-lock.json.installed" 2>/dev/null; then
  (cd "$here" && PUPPETEER_SKIP_DOWNLOAD=1 PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
     npm ci --no-audit --no-fund --loglevel=error --prefer-offline) >&2 \
    || die "npm ci failed"
  cp "$here/package-lock.json" "$here/node_modules/.package-lock.json.installed"
fi

module=$build/mod_cors.so
[[ -f $module ]] || die "$module not built (run make)"

# The suite itself: at most 8 minutes, whatever happens (it takes about 2 to 3 minutes).
log=$out/browser.log
timeout -k 10 480 node "$here/run.mjs" --module "$module" --out "$out" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
last=$(tail -n 1 "$log")
if ! [[ $last =~ ^[0-9]+\ passed,\ [0-9]+\ failed$ ]]; then
  echo "browser: the suite stopped early (exit $rc)"
  echo "0 passed, 1 failed"
  exit 1
fi
[[ $rc -eq 0 ]]
