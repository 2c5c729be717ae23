#!/usr/bin/env bash
# Builds the Debian package, installs it, enables it with a2enmod, checks
# Debian's configuration with apachectl, then disables and purges it, leaving
# the machine as it was (mod_cors files that no package owns are put back).
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
set_aside() {
    if installed; then
        echo "note: $package was installed; purging it first" >&2
        "${apt_get[@]}" purge "$package" >/dev/null 2>&1
    fi
    for path in "${own_paths[@]}"; do
        [[ -e $path || -L $path ]] && mkdir -p "$saved$(dirname "$path")" && mv "$path" "$saved$path"
    done
}
restore() {
    installed && "${apt_get[@]}" purge "$package" >/dev/null 2>&1
    for path in "${own_paths[@]}"; do
        [[ -e $saved$path || -L $saved$path ]] && mv "$saved$path" "$path"
    done
    rm -rf "$saved"
    service apache2 stop >/dev/null 2>&1 || true
}
trap restore EXIT

if [[ $(id -u) -ne 0 ]]; then
    fail "runs as root" "installing a package needs root"
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

echo "$passed passed, $failed failed"
((failed == 0))
