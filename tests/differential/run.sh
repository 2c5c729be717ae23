#!/usr/bin/env bash
# Differential test: CORSAllowOriginMatch's engine against PHP's preg_match().
#
#   tests/differential/run.sh BUILD_DIR
#
# For every pattern of patterns.txt (written as a PHP application passes it to
# preg_match()) and every origin of origins.txt that cors::parse_origin accepts,
# the engine's verdict (BUILD_DIR/cors-pattern-tool) must equal preg_match()'s
# (php-cli, preg.php): 1 = match, 0 = no match (0, false, limit, error).
# Checks: one per (pattern, valid origin) pair; a pattern that fails to compile
# on both sides is one passed check, on one side only one failed check.
# Invalid origins (decided by the engine's tool) are skipped: the module never
# tests a pattern against them. Last line: "N passed, M failed".
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-build}
case $build in /*) ;; *) build=$root/$build ;; esac
tool=$build/cors-pattern-tool
# Other corpora (for exploring): DIFF_PATTERNS=file DIFF_ORIGINS=file run.sh BUILD_DIR
patterns=${DIFF_PATTERNS:-$here/patterns.txt}
origins=${DIFF_ORIGINS:-$here/origins.txt}

fail() { echo "differential: $*" >&2; echo "0 passed, 1 failed"; exit 1; }

if ! command -v php >/dev/null 2>&1; then
  "$root/tests/deps.sh" test >&2 || fail "cannot install php-cli"
fi
command -v php >/dev/null 2>&1 || fail "php-cli not found"
# The n modifier (PCRE2_NO_AUTO_CAPTURE) is PHP 8.2's; older PHP rejects it.
[ "$(php -n -r 'echo PHP_VERSION_ID >= 80200 ? 1 : 0;')" = 1 ] || fail "php-cli 8.2 or later needed, found $(php -n -r 'echo PHP_VERSION;')"
[ -x "$tool" ] || fail "$tool not built (make $build/cors-pattern-tool)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$tool" "$patterns" "$origins" >"$work/engine" 2>"$work/engine.err" \
  || { cat "$work/engine.err" >&2; fail "cors-pattern-tool failed"; }
# PHP's defaults, whatever php.ini says: pcre.backtrack_limit 1000000,
# pcre.recursion_limit 100000, JIT on.
php -n -d pcre.backtrack_limit=1000000 -d pcre.recursion_limit=100000 -d pcre.jit=1 \
    -d display_errors=stderr "$here/preg.php" "$patterns" "$origins" >"$work/php" 2>"$work/php.err" \
  || { cat "$work/php.err" >&2; fail "preg.php failed"; }

echo "php $(php -n -r 'echo PHP_VERSION, " (PCRE ", PCRE_VERSION, ")";'), engine $tool"

awk -F'\t' -v PATTERNS="$patterns" -v ORIGINS="$origins" '
  function show(s,   n) {
    gsub(/\t/, "\\t", s); gsub(/\r/, "\\r", s)
    n = length(s)
    return n > 140 ? substr(s, 1, 100) "...(" n " bytes)" : s
  }
  FILENAME == PATTERNS { np++; pat[np] = $0; next }
  FILENAME == ORIGINS  { no++; org[no] = $0; next }
  FILENAME ~ /engine$/ {
    if ($1 == "-" && $3 == "I") { invalid[$2] = 1; ninvalid++ }
    else if ($2 == "-" && $3 == "E") { eerr[$1] = $4 }
    else { ev[$1 SUBSEP $2] = $3; enote[$1 SUBSEP $2] = $4 }
    next
  }
  {  # php
    if ($2 == "-" && $3 == "E") perr[$1] = $4
    else { pv[$1 SUBSEP $2] = $3; pnote[$1 SUBSEP $2] = $4 }
  }
  END {
    nvalid = no - ninvalid
    printf "%d patterns, %d origins (%d valid, %d invalid skipped)\n", np, no, nvalid, ninvalid
    if (np < 30 || no < 300) {
      printf "FAIL corpus too small: %d patterns (need 30), %d origins (need 300)\n", np, no
      failed++
    }
    for (p = 1; p <= np; p++) {
      if ((p in eerr) || (p in perr)) {
        if ((p in eerr) && (p in perr)) { passed++; bothE++ }
        else {
          failed++
          printf "FAIL pattern %d %s\n  engine: %s\n  php:    %s\n", p, show(pat[p]),
            (p in eerr) ? "compile error: " eerr[p] : "compiles",
            (p in perr) ? "compile error: " perr[p] : "compiles"
          # What the side that compiles allows, where the other allows nothing.
          side = (p in eerr) ? "php" : "engine"; nm = 0; ex = ""
          for (o = 1; o <= no; o++) {
            if (o in invalid) continue
            v = (side == "php") ? pv[p SUBSEP o] : ev[p SUBSEP o]
            if (v == 1) { nm++; if (nm <= 3) ex = ex "\n    " show(org[o]) }
          }
          printf "  %s matches %d valid origin(s)%s\n", side, nm, ex
        }
        continue
      }
      for (o = 1; o <= no; o++) {
        if (o in invalid) continue
        k = p SUBSEP o
        pairs++
        if (!(k in ev) || !(k in pv) || ev[k] != pv[k]) {
          failed++
          printf "FAIL pattern %d %s\n     origin  %d %s\n  engine: %s%s\n  php:    %s%s\n", p, show(pat[p]), o, show(org[o]),
            (k in ev) ? ev[k] : "missing", enote[k] != "" ? " (" enote[k] ")" : "",
            (k in pv) ? pv[k] : "missing", pnote[k] != "" ? " (" pnote[k] ")" : ""
        } else {
          passed++; agree++
          if (ev[k] == 1) matches++
        }
      }
    }
    printf "%d (pattern, origin) pairs compared: %d agree (%d match, %d no match), %d disagree; %d patterns fail to compile on both sides\n",
      pairs, agree, matches, agree - matches, pairs - agree, bothE
    printf "%d passed, %d failed\n", passed, failed
    exit (failed > 0 ? 1 : 0)
  }
' "$patterns" "$origins" "$work/engine" "$work/php"
