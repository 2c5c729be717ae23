#!/usr/bin/env bash
# Installs the Debian packages a profile needs, only when some are missing (as root, or
# through sudo otherwise).
#   tests/deps.sh build|test|integration|browser|fuzz|bench|deb|demo|deployments|status|maps|fresh ...
# Services that come with a package it installs (apache2, php-fpm) are stopped again, so that
# nothing it installed is left listening; a service that was installed before is left as it was.
set -euo pipefail
declare -A PKGS=(
  [build]="g++ make apache2 apache2-dev libpcre2-dev libpsl-dev publicsuffix libboost-test-dev"
  [test]="php-cli curl python3 python3-pytest"
  [integration]="apache2 libapache2-mod-php php-fpm php-cli curl python3 python3-pytest openssl"
  [browser]="chromium firefox-esr webkit2gtk-driver xvfb faketime openssl python3"
  [fuzz]="clang libclang-rt-14-dev"
  [serverfuzz]="python3-hypothesis python3-h2"
  [bench]="libbenchmark-dev valgrind wrk"
  [deb]="debhelper dpkg-dev fakeroot"
  [demo]="apache2 libapache2-mod-php php-cli python3 curl libjs-jquery"
  [fresh]="debootstrap git curl python3"
  [status]="apache2 python3 python3-pytest"
  [maps]="apache2 apache2-utils libaprutil1-dbd-sqlite3 libaprutil1-dbd-pgsql postgresql sqlite3 python3 python3-pytest"
  [deployments]="apache2 libapache2-mod-php php-fpm php-cli curl python3 python3-pytest openssl varnish nginx-light"
)
want=()
for profile in "$@"; do
  [[ -n "${PKGS[$profile]+x}" ]] || { echo "deps.sh: unknown profile '$profile'" >&2; exit 2; }
  want+=(${PKGS[$profile]})
done
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
((${#missing[@]})) || exit 0
echo "deps.sh: installing ${missing[*]}" >&2
SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null 2>&1 || {
    echo "deps.sh: installing needs root: run as root, or install sudo (missing: ${missing[*]})" >&2
    exit 1
  }
  SUDO=(sudo)
fi
# The init scripts present before: a service whose script is new came with this install.
had_service=()
for s in /etc/init.d/apache2 /etc/init.d/php*-fpm /etc/init.d/varnish /etc/init.d/nginx /etc/init.d/postgresql; do [[ -e $s ]] && had_service+=("$s"); done
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
# Debian starts the services it installs where it can; the tests start their own servers, so a
# service this install brought is stopped again (one that was there before is left alone).
for s in /etc/init.d/apache2 /etc/init.d/php*-fpm /etc/init.d/varnish /etc/init.d/nginx /etc/init.d/postgresql; do
  [[ -x $s ]] || continue
  [[ " ${had_service[*]} " == *" $s "* ]] && continue
  "${SUDO[@]}" "$s" stop >/dev/null 2>&1 || true
done
exit 0
