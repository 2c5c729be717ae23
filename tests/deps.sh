#!/usr/bin/env bash
# Installs the Debian packages a profile needs, only when some are missing (as root, or
# through sudo otherwise).
#   tests/deps.sh build|test|integration|browser|fuzz|bench|deb|demo|deployments|status|maps|fresh|apps ...
# Services that come with a package it installs (apache2, php-fpm) are stopped again, so that
# nothing it installed is left listening, and a web-server configuration a package enabled for
# itself (mediawiki) is disabled again; what was there before is left as it was.
set -euo pipefail
declare -A PKGS=(
  [build]="g++ make apache2 apache2-dev libpcre2-dev libpsl-dev publicsuffix libboost-test-dev"
  [test]="php-cli curl python3 python3-pytest"
  [integration]="apache2 libapache2-mod-php php-fpm php-cli curl python3 python3-pytest openssl"
  [browser]="chromium firefox-esr webkit2gtk-driver xvfb faketime openssl python3"
  [fuzz]="clang libclang-rt-14-dev"
  [serverfuzz]="python3-hypothesis python3-h2"
  [bench]="libbenchmark-dev valgrind wrk"
  [deb]="debhelper dpkg-dev fakeroot autopkgtest lintian curl"
  [demo]="apache2 libapache2-mod-php php-cli python3 curl libjs-jquery"
  [fresh]="debootstrap git curl python3"
  [status]="apache2 python3 python3-pytest"
  [maps]="apache2 apache2-utils libaprutil1-dbd-sqlite3 libaprutil1-dbd-pgsql postgresql sqlite3 python3 python3-pytest"
  [deployments]="apache2 libapache2-mod-php php-fpm php-cli curl python3 python3-pytest openssl varnish nginx-light"
  [apps]="apache2 libapache2-mod-php php-fpm php-cli curl python3 python3-pytest mariadb-server mariadb-client php-mysql php-sqlite3 php-intl php-mbstring php-xml wordpress wordpress-theme-twentytwentythree phpmyadmin dokuwiki mediawiki"
)
# Debconf answers given before installing a profile: the apps profile's packages create no
# database in the system's server and configure no web server (the suite runs them from
# throw-away folders with configurations of its own).
declare -A PRESEED=(
  [apps]="phpmyadmin phpmyadmin/dbconfig-install boolean false
phpmyadmin phpmyadmin/reconfigure-webserver multiselect
dokuwiki dokuwiki/system/configure-webserver multiselect
dokuwiki dokuwiki/system/restart-webserver boolean false"
)
want=()
preseed=""
for profile in "$@"; do
  [[ -n "${PKGS[$profile]+x}" ]] || { echo "deps.sh: unknown profile '$profile'" >&2; exit 2; }
  want+=(${PKGS[$profile]})
  [[ -n "${PRESEED[$profile]+x}" ]] && preseed+="${PRESEED[$profile]}"$'\n'
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
for s in /etc/init.d/apache2 /etc/init.d/php*-fpm /etc/init.d/varnish /etc/init.d/nginx /etc/init.d/postgresql /etc/init.d/mariadb; do [[ -e $s ]] && had_service+=("$s"); done
# Web-server configurations the packages of this install name after themselves (mediawiki's
# postinst runs a2enconf mediawiki, whatever debconf says): one enabled by this install is
# disabled again below, like the services; one that was enabled before is left alone.
had_conf=()
for p in "${missing[@]}"; do [[ -e /etc/apache2/conf-enabled/$p.conf ]] && had_conf+=("$p"); done
[[ -z $preseed ]] || printf '%s' "$preseed" | "${SUDO[@]}" debconf-set-selections
# Another apt (an unattended upgrade, a second suite's install) may hold dpkg's lock: wait for it.
apt=("${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600)
"${apt[@]}" update -q >&2
"${apt[@]}" install -y -q --no-install-recommends "${missing[@]}" >&2
# Debian starts the services it installs where it can; the tests start their own servers, so a
# service this install brought is stopped again (one that was there before is left alone).
for s in /etc/init.d/apache2 /etc/init.d/php*-fpm /etc/init.d/varnish /etc/init.d/nginx /etc/init.d/postgresql /etc/init.d/mariadb; do
  [[ -x $s ]] || continue
  [[ " ${had_service[*]} " == *" $s "* ]] && continue
  "${SUDO[@]}" "$s" stop >/dev/null 2>&1 || true
done
for p in "${missing[@]}"; do
  [[ -e /etc/apache2/conf-enabled/$p.conf ]] || continue
  [[ " ${had_conf[*]} " == *" $p "* ]] && continue
  "${SUDO[@]}" a2disconf -q "$p" >/dev/null 2>&1 || true
done
exit 0
