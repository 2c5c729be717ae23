#!/usr/bin/env bash
# Builds the Debian package, installs it, enables it with a2enmod, checks
# Debian's configuration with apachectl, then disables and purges it, runs lintian
# and the package's autopkgtest (conf/debian/tests, the null server), leaving
# the machine as it was: mod_cors files that no package owns are put back, the
# packages the install brought along (dependencies) are purged again, and the
# apache2 service is left running if it was running and stopped if it was not.
# When libapache2-mod-cors is installed already, it is left alone and the suite
# fails without touching it (it could not be put back).
#   tests/deb/run.sh BUILD_DIR        (make deb-test; needs root)
# Prints "ok"/"FAIL" per check, then "N passed, M failed" as the last line.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
build=${1:-build}
[[ $build == /* ]] || build=$PWD/$build
package=libapache2-mod-cors
deb=$build/${package}_$(cat VERSION)_$(dpkg --print-architecture).deb
module=/usr/lib/apache2/modules/mod_cors.so
apt_get=(apt-get -y -q -o DPkg::Lock::Timeout=300)
export DEBIAN_FRONTEND=noninteractive

passed=0 failed=0
pass() { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; shift; printf '     %s\n' "$@"; }
check() {  # name command...: passes when the command succeeds
    local name=$1 out
    shift
    if out=$("$@" 2>&1); then pass "$name"; else fail "$name" "$out"; fi
}
installed() { dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; }

# Files the package installs or a2enmod makes, set aside when no package owns
# them (a "make install", a hand-made cors.load) and put back at the end.
own_paths=("$module" /etc/apache2/mods-available/cors.{load,conf} /etc/apache2/mods-enabled/cors.{load,conf})
saved=$(mktemp -d /tmp/mod_cors-deb.XXXXXX)
apache_running() { service apache2 status >/dev/null 2>&1; }
package_list() { dpkg-query -W -f='${db:Status-Abbrev} ${binary:Package}\n' 2>/dev/null | awk '$1 ~ /^.i/ {print $2}' | sort; }
was_running=unknown
before_packages=
set_aside() {
    if apache_running; then was_running=yes; else was_running=no; fi
    before_packages=$(package_list)
    for path in "${own_paths[@]}"; do
        [[ -e $path || -L $path ]] && mkdir -p "$saved$(dirname "$path")" && mv "$path" "$saved$path"
    done
}
restore() {
    [[ $was_running == unknown ]] && { rm -rf "$saved"; return; }   # nothing was changed
    installed && "${apt_get[@]}" purge "$package" >/dev/null 2>&1
    # what the install brought along (its dependencies), purged again
    local added
    added=$(comm -13 <(printf '%s\n' "$before_packages") <(package_list) | grep -v '^$')
    [[ -n $added ]] && "${apt_get[@]}" purge $added >/dev/null 2>&1
    for path in "${own_paths[@]}"; do
        [[ -e $saved$path || -L $saved$path ]] && mv "$saved$path" "$path"
    done
    rm -rf "$saved"
    # the service as it was
    if [[ $was_running == yes ]] && ! apache_running; then service apache2 start >/dev/null 2>&1 || true; fi
    if [[ $was_running == no ]] && apache_running; then service apache2 stop >/dev/null 2>&1 || true; fi
}
trap restore EXIT

if [[ $(id -u) -ne 0 ]] && command -v sudo >/dev/null 2>&1; then
    rmdir "$saved"; trap - EXIT
    exec sudo -- "$0" "$build"   # a user with sudo: the same suite, as root
fi
if [[ $(id -u) -ne 0 ]]; then
    fail "runs as root" "installing a package needs root (or sudo)"
    echo "$passed passed, $failed failed"
    exit 1
fi

check "the package builds ($(basename "$deb"))" tests/deb/build.sh "$build"
if [[ ! -f $deb ]]; then
    echo "$passed passed, $failed failed"
    exit 1
fi
contents=$(dpkg-deb -c "$deb")
for path in "$module" /etc/apache2/mods-available/cors.load /etc/apache2/mods-available/cors.conf; do
    check "the package holds $path" grep -q " \.$path\$" <<<"$contents"
done
check "dh_apache2 made it depend on the httpd module API" grep -q 'apache2-api-' <<<"$(dpkg-deb -f "$deb" Depends)"

if installed; then
    fail "$package is not installed on this machine already" \
        "it is ($(dpkg-query -W -f='${Version}' "$package")); the test would purge it and could not put it back:" \
        "apt-get purge $package first, or run make deb-test in a container"
    echo "$passed passed, $failed failed"
    exit 1
fi
set_aside
check "apt-get install ./$(basename "$deb")" "${apt_get[@]}" install "$deb"
check "the package is installed" installed
check "the package enabled the module on install" test -L /etc/apache2/mods-enabled/cors.load
check "a2dismod cors" a2dismod -q cors
check "a2enmod cors" a2enmod -q cors
check "mods-enabled/cors.load and cors.conf exist" test -e /etc/apache2/mods-enabled/cors.load -a -e /etc/apache2/mods-enabled/cors.conf
check "$module exists" test -f "$module"
check "apachectl -t accepts Debian's configuration with cors enabled" apachectl -t
check "apachectl -M lists cors_module" grep -q 'cors_module' <<<"$(apachectl -M 2>/dev/null)"
check "a2dismod cors" a2dismod -q cors
check "mods-enabled/cors.load is gone" test ! -e /etc/apache2/mods-enabled/cors.load
check "apt-get purge $package" "${apt_get[@]}" purge "$package"
check "$module is gone" test ! -e "$module"
check "mods-available/cors.load is gone" test ! -e /etc/apache2/mods-available/cors.load

# lintian on the built package, then the package's own autopkgtest (conf/debian/tests) with
# Debian's autopkgtest on this machine (the null virtualisation server): it installs the .deb,
# a2enmod cors, starts an Apache of its own with a partner policy and checks a partner's and a
# stranger's requests with curl; restore() purges the package and what it brought along.
check "lintian finds no error or warning in $(basename "$deb")" lintian --fail-on error,warning "$deb"
autopkgtest_log=$build/deb/autopkgtest.log
if timeout 900 autopkgtest "$deb" "$build/deb/src/" -- null >"$autopkgtest_log" 2>&1 &&
    grep -q '^partner-policy *PASS' "$autopkgtest_log"; then
    pass "autopkgtest (null): partner-policy PASS"
else
    fail "autopkgtest (null): partner-policy PASS" "$(tail -n 30 "$autopkgtest_log")"
fi

echo "$passed passed, $failed failed"
((failed == 0))
