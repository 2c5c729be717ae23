#!/usr/bin/env bash
# Installs the Debian packages a profile needs, only when some are missing.
#   tests/deps.sh build|test|integration|browser|fuzz|bench|deb|demo ...
set -euo pipefail
declare -A PKGS=(
  [build]="g++ make apache2 apache2-dev libpcre2-dev libpsl-dev publicsuffix libboost-test-dev"
  [test]="php-cli curl python3 python3-pytest"
  [integration]="apache2 libapache2-mod-php php-fpm php-cli curl python3 python3-pytest openssl"
  [browser]="chromium"
  [fuzz]="clang libclang-rt-14-dev"
  [bench]="libbenchmark-dev valgrind wrk"
  [deb]="debhelper dpkg-dev fakeroot"
  [demo]="apache2 libapache2-mod-php php-cli"
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
if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; else SUDO=; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >&2
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
# Debian starts the services it installs where it can; the tests start their own.
if command -v service >/dev/null 2>&1; then
  $SUDO service apache2 stop >/dev/null 2>&1 || true
  for s in /etc/init.d/php*-fpm; do [ -x "$s" ] && $SUDO "$s" stop >/dev/null 2>&1 || true; done
fi
exit 0
