#!/usr/bin/env bash
# make browser: mod_cors end-to-end in headless Chromium (Debian's chromium + playwright-core).
#   tests/browser/run.sh BUILD_DIR
# Installs what is missing (Debian's chromium; nodejs/npm only when there is no node/npm;
# apache2, mod_php, openssl; the npm packages of package-lock.json), runs run.mjs, leaves
# BUILD_DIR/browser/{results.html,results.json,results.png,browser.log}, and prints as its
# last line "N passed, M failed".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${1:-build}
case $build in /*) ;; *) build=$repo/$build ;; esac
out=$build/browser
mkdir -p "$out"

die() { echo "browser: $*" >&2; echo "0 passed, 1 failed"; exit 1; }

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

# Debian packages. tests/deps.sh browser would also ask apt for Debian's nodejs and npm,
# which conflict with a node that is already there from another source (its nodejs package
# provides and conflicts with npm), so node and npm come from Debian only when missing.
"$repo/tests/deps.sh" demo >&2 || die "could not install apache2 / mod_php"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  "$repo/tests/deps.sh" browser >&2 || die "could not install chromium, nodejs, npm"
fi
want=()
installed chromium || want+=(chromium)
command -v openssl >/dev/null || want+=(openssl)
if ((${#want[@]})); then
  echo "browser: installing ${want[*]}" >&2
  if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; else SUDO=; fi
  { $SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${want[@]}"; } >&2 \
    || die "could not install ${want[*]}"
fi
[[ -x /usr/bin/chromium ]] || die "/usr/bin/chromium is missing"
node -e 'process.exit(+process.versions.node.split(".")[0] >= 18 ? 0 : 1)' \
  || die "node $(node --version) is too old: playwright-core needs node >= 18"

# npm packages, exactly as locked; no browser download (playwright-core has no install step).
if ! cmp -s "$here/package-lock.json" "$here/node_modules/.package-lock.json.installed" 2>/dev/null; then
  (cd "$here" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error --prefer-offline) >&2 \
    || die "npm ci failed"
  cp "$here/package-lock.json" "$here/node_modules/.package-lock.json.installed"
fi

module=$build/mod_cors.so
[[ -f $module ]] || die "$module not built (run make)"

# The suite itself: at most 4 minutes, whatever happens.
log=$out/browser.log
timeout -k 10 240 node "$here/run.mjs" --module "$module" --out "$out" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
last=$(tail -n 1 "$log")
if ! [[ $last =~ ^[0-9]+\ passed,\ [0-9]+\ failed$ ]]; then
  echo "browser: the suite stopped early (exit $rc)"
  echo "0 passed, 1 failed"
  exit 1
fi
[[ $rc -eq 0 ]]
