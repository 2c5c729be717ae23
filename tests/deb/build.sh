#!/usr/bin/env bash
# Builds libapache2-mod-cors_<VERSION>_<arch>.deb into BUILD_DIR (make deb):
# copies the source into BUILD_DIR/deb/src, puts conf/debian at debian/ and
# runs dpkg-buildpackage there. The full build log is BUILD_DIR/deb/build.log.
#   tests/deb/build.sh BUILD_DIR
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
build=${1:-build}
[[ $build == /* ]] || build=$repo/$build
version=$(cat VERSION)
deb=libapache2-mod-cors_${version}_$(dpkg --print-architecture).deb
stage=$build/deb

tests/deps.sh deb

# The source: the files git knows (tracked, or new and not ignored), else all;
# never the build directory.
source_files() {
    if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        git ls-files -z --cached --others --exclude-standard
    else
        find . -type f -not -path './.git/*' -printf '%P\0'
    fi
}
build_prefix=${build#"$repo"/}/
rm -rf "$stage"
mkdir -p "$stage/src"
source_files | while IFS= read -r -d '' file; do
    [[ -f $file && $file != "$build_prefix"* ]] && printf '%s\0' "$file"
done | xargs -0 cp --parents -t "$stage/src"
cp -r conf/debian "$stage/src/debian"
# VERSION is the one place the version is written.
sed -i "1s/^libapache2-mod-cors ([^)]*)/libapache2-mod-cors ($version)/" "$stage/src/debian/changelog"

if ! (cd "$stage/src" && dpkg-buildpackage -us -uc -b) >"$stage/build.log" 2>&1; then
    tail -n 40 "$stage/build.log" >&2
    echo "build.sh: dpkg-buildpackage failed; see $stage/build.log" >&2
    exit 1
fi
mv "$stage/$deb" "$build/$deb"
echo "$build/$deb"
