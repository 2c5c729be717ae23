#!/usr/bin/env bash
# Checks that the manual and the configuration examples agree with the module.
#   tests/docs/run.sh BUILD_DIR        (make docs-check)
# - every conf/examples file passes "apache2 -t" with BUILD_DIR/mod_cors.so and
#   starts without a mod_cors warning; the .htaccess example works in a live httpd;
# - conf/cors.load and conf/cors.conf (its commented example too) pass "apache2 -t";
# - every ```apache block of docs/deployment.md passes "apache2 -t";
# - each directive of the command table (as `apache2 -L` lists it) has its section
#   in docs/mod_cors.md, with the override class and the default the module gives
#   it, and is used in a conf example, and every documented directive is in the table;
# - the README's first lines name ./bootstrap demo and ./bootstrap test;
# - relative links in README.md and docs/*.md lead to existing files and headings.
# Prints "ok"/"FAIL" per check, then "N passed, M failed" as the last line.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
repo=$PWD
build=${1:-build}
[[ $build == /* ]] || build=$repo/$build
module=$build/mod_cors.so
apache2=$(command -v apache2 || echo /usr/sbin/apache2)
modules_dir=$(apxs -q LIBEXECDIR 2>/dev/null || echo /usr/lib/apache2/modules)
examples=(conf/examples/*)
manual=docs/mod_cors.md
directive_rows=(Description Syntax Default Context Override Status Module)

passed=0 failed=0
pass() { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; shift; printf '     %s\n' "$@"; }
# record NAME STATUS DETAIL...: passes when STATUS is 0, else fails with the details.
record() {
    local name=$1 status=$2
    shift 2
    if ((status == 0)); then pass "$name"; else fail "$name" "$@"; fi
}

work=$(mktemp -d /tmp/mod_cors-docs.XXXXXX)
chmod 755 "$work"   # the children run as nobody when started as root
mkdir -p "$work/htdocs/api"
echo '{"ok":true}' >"$work/htdocs/api/data.json"
cleanup() { stop_httpd; rm -rf "$work"; }
trap cleanup EXIT

free_port() {
    local port
    for _ in {1..50}; do
        port=$((20000 + RANDOM % 20000))
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
    done
    echo 28471
}
port=$(free_port)

# Writes to $1 a minimal httpd configuration that ends with the text $2.
write_config() {
    local file=$1 body=$2
    {
        echo "ServerRoot /etc/apache2"
        echo "ServerName localhost"
        echo "Listen 127.0.0.1:$port"
        echo "PidFile $work/httpd.pid"
        echo "ErrorLog $work/error.log"
        echo "LogLevel warn cors:info"
        echo "LoadModule mpm_prefork_module $modules_dir/mod_mpm_prefork.so"
        echo "LoadModule authz_core_module $modules_dir/mod_authz_core.so"
        echo "LoadModule cors_module $module"
        [[ $(id -u) -eq 0 ]] && printf 'User nobody\nGroup nogroup\n'
        printf 'StartServers 1\nMinSpareServers 1\nMaxSpareServers 2\n'
        echo "DocumentRoot $work/htdocs"
        echo "<Directory $work/htdocs>"
        echo "    Require all granted"
        echo "</Directory>"
        echo "$body"
    } >"$file"
}

syntax_check() {  # name config
    local out
    if out=$("$apache2" -t -f "$2" 2>&1) && grep -q 'Syntax OK' <<<"$out"; then
        pass "$1 passes apache2 -t"
    else
        fail "$1 passes apache2 -t" "${out:-no output}"
    fi
}

# Starts httpd through the one test harness (tests/lib/harness.py serve) with configuration
# text $1 ($work/htdocs in it standing for the harness's document root) and, with $2, that
# file as htdocs/api/.htaccess; returns non-zero when it does not come up. stop_httpd stops
# it and leaves its error log in $work/error.log.
harness_pid=
start_httpd() {
    local spec=$work/spec.json out=$work/serve.out
    : >"$work/error.log"
    : >"$out"
    BODY=${1//$work\/htdocs/\$\{IT_HTDOCS\}} HTACCESS=${2:-} /usr/bin/python3 -c '
import json, os, sys
files = {"api/data.json": "{\"ok\":true}\n"}
if os.environ["HTACCESS"]:
    files["api/.htaccess"] = open(os.environ["HTACCESS"]).read()
spec = {"php": None, "body": os.environ["BODY"], "log_level": "warn cors:info", "app_dirs": [], "files": files}
json.dump({"spec": spec}, open(sys.argv[1], "w"))' "$spec"
    /usr/bin/python3 "$repo/tests/lib/harness.py" serve "$spec" >"$out" 2>"$work/serve.err" &
    harness_pid=$!
    for _ in {1..300}; do  # bounded: 30 s
        if [[ -s $out ]]; then
            read -r port error_log < <(/usr/bin/python3 -c \
                'import json, sys; d = json.load(open(sys.argv[1])); print(d["port"], d["error_log"])' "$out")
            return 0
        fi
        if ! kill -0 "$harness_pid" 2>/dev/null; then
            cat "$work/serve.err" >>"$work/error.log"
            harness_pid=
            return 1
        fi
        sleep 0.1
    done
    return 1
}

stop_httpd() {
    [[ -n $harness_pid ]] || return 0
    [[ -n ${error_log:-} && -f $error_log ]] && cp "$error_log" "$work/error.log"
    kill -TERM "$harness_pid" 2>/dev/null
    wait "$harness_pid" 2>/dev/null
    harness_pid= error_log=
}

# The configuration text that brings example $1 in: an Include, or for the
# .htaccess example its lines in a <Directory> block (apache2 -t reads no .htaccess).
example_body() {
    if [[ $1 == */htaccess ]]; then
        printf '<Directory %s/htdocs/api>\n%s\n</Directory>\n' "$work" "$(cat "$1")"
    else
        echo "Include $repo/$1"
    fi
}

# ------------------------------------------------------------ the examples

if [[ ! -f $module ]]; then
    fail "the module is built" "$module not found (run make)"
else
    for example in "${examples[@]}"; do
        config=$work/$(basename "$example").conf
        write_config "$config" "$(example_body "$example")"
        syntax_check "$example" "$config"
        if start_httpd "$(example_body "$example")"; then
            stop_httpd
            if grep -E '\[cors:(warn|error|crit|alert|emerg)\]' "$work/error.log" >/dev/null; then
                fail "$example starts without a mod_cors warning" "$(grep '\[cors:' "$work/error.log")"
            elif ! grep -q '\[cors:info\]' "$work/error.log"; then
                fail "$example starts without a mod_cors warning" "no [cors:info] summary: the example enables nothing"
            else
                pass "$example starts without a mod_cors warning"
            fi
        else
            fail "$example starts without a mod_cors warning" "httpd did not start: $(cat "$work/error.log")"
            stop_httpd
        fi
    done

    # The .htaccess example, read by httpd as an .htaccess file.
    if start_httpd "<Directory $work/htdocs/api>
    AllowOverride FileInfo
</Directory>" conf/examples/htaccess; then
        url=http://127.0.0.1:$port/api/data.json
        status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$url")
        [[ $status == 200 ]]
        record "htaccess: request without Origin answered 200" $? "got $status" "$(cat "$work/error.log")"
        headers=$(curl -s -D - -o /dev/null --max-time 5 -H 'Origin: https://api.partner.example' "$url")
        grep -qi '^Access-Control-Allow-Origin: https://api.partner.example' <<<"$headers"
        record "htaccess: partner origin echoed" $? "$headers"
        status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H 'Origin: https://evil.example' "$url")
        [[ $status == 403 ]]
        record "htaccess: stranger refused with 403" $? "got $status"
        stop_httpd
    else
        fail "htaccess: httpd starts" "$(cat "$work/error.log")"
        stop_httpd
    fi
fi

# ---------------------------------------------------- conf/cors.load, cors.conf

if grep -qx 'LoadModule cors_module /usr/lib/apache2/modules/mod_cors.so' conf/cors.load; then
    pass "conf/cors.load loads cors_module from /usr/lib/apache2/modules"
else
    fail "conf/cors.load loads cors_module from /usr/lib/apache2/modules" "$(cat conf/cors.load)"
fi
if active=$(grep -vE '^[[:space:]]*(#|$)' conf/cors.conf); then
    fail "conf/cors.conf sets nothing (comments only)" "$active"
else
    pass "conf/cors.conf sets nothing (comments only)"
fi
# Its example is the lines that start with "#<" or "#<tab>".
config=$work/cors-conf-example.conf
write_config "$config" "$(sed -E 's/^#(<|\t)/\1/' conf/cors.conf)"
syntax_check "conf/cors.conf (its example uncommented)" "$config"

# ------------------------------------------------- docs/deployment.md's blocks

# Every ```apache block of the deployment guide passes "apache2 -t" with the modules the
# guide's setups use loaded; a block whose first line starts with "# .htaccess" is read
# inside a <Directory> (apache2 -t reads no .htaccess), and the certificate files a block
# names are replaced by one made here (mod_ssl opens them while reading the configuration).
guide=docs/deployment.md
guide_modules=(mime dir alias env setenvif headers rewrite filter deflate brotli cache cache_disk
               cache_socache socache_shmcb proxy proxy_http proxy_fcgi ssl http2)
guide_loads=$(for m in "${guide_modules[@]}"; do
    [[ -f $modules_dir/mod_$m.so ]] && echo "LoadModule ${m}_module $modules_dir/mod_$m.so"; done)
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 2 \
    -keyout "$work/guide.key" -out "$work/guide.pem" >/dev/null 2>&1
mkdir -p "$work/guide-blocks"
awk -v dir="$work/guide-blocks" '
    /^[[:space:]]*```apache[[:space:]]*$/ { n++; file = sprintf("%s/%02d-line-%d", dir, n, NR + 1); on = 1; next }
    on && /^[[:space:]]*```[[:space:]]*$/ { on = 0; close(file); next }
    on { print > file }' "$guide" 2>/dev/null
mapfile -t guide_blocks < <(ls "$work/guide-blocks" 2>/dev/null | sort)
if ((${#guide_blocks[@]})); then
    pass "$guide has configuration blocks (${#guide_blocks[@]})"
else
    fail "$guide has configuration blocks" "no \`\`\`apache block in $guide"
fi
for block in "${guide_blocks[@]}"; do
    text=$(sed -E "s#(SSLCertificateFile)[[:space:]]+[^[:space:]]+#\1 $work/guide.pem#;
                   s#(SSLCertificateKeyFile)[[:space:]]+[^[:space:]]+#\1 $work/guide.key#" \
               "$work/guide-blocks/$block")
    if [[ $(sed -n '1s/^[[:space:]]*//p' "$work/guide-blocks/$block") == "# .htaccess"* ]]; then
        text=$(printf '<Directory %s/htdocs>\n%s\n</Directory>' "$work" "$text")
    fi
    config=$work/guide-$block.conf
    write_config "$config" "$guide_loads
$text"
    syntax_check "$guide block at ${block#*-}" "$config"
done

# ------------------------------------------------------------ the directives

# The command table as httpd sees it: `apache2 -L` with the module loaded lists each
# directive, its help text (which ends with "(default X)" where there is a default: the
# module's one table of defaults) and where it is allowed.
listing_conf=$work/listing.conf
write_config "$listing_conf" ""
listing=$("$apache2" -f "$listing_conf" -L 2>&1)
mapfile -t table < <(grep -oE '^CORS[A-Za-z]+ \(mod_cors' <<<"$listing" | awk '{print $1}')
mapfile -t documented < <(grep -E '^## [A-Za-z]+ Directive$' "$manual" | awk '{print $2}')
if ((${#table[@]})); then
    pass "command table listed by apache2 -L (${#table[@]} directives)"
else
    fail "command table listed by apache2 -L" "${listing:-no output}"
fi

# The lines apache2 -L prints for directive $1: its help, then where it is allowed.
listing_of() {
    awk -v head="$1 (mod_cors.cpp)" '$0 == head { on = 1; next } on && /^[^\t]/ { exit } on' <<<"$listing"
}

# What the "## NAME Directive" section of the manual lacks, one item a line:
# a row of the summary table, the override class $2, an example.
section_gaps() {
    awk -v head="## $1 Directive" -v override="$2" -v rows="${directive_rows[*]}" '
        $0 == head { found = 1; on = 1; next }
        on && /^## / { on = 0 }
        !on { next }
        /^```apache/ { example = 1 }
        match($0, /^\| *\**[A-Za-z]+:?\** *\|/) {
            cell = substr($0, RSTART, RLENGTH); gsub(/[|*: ]/, "", cell); seen[cell] = 1
            if (cell == "Override" && index($0, override)) override_ok = 1
        }
        END {
            if (!found) { print "no section \"" head "\""; exit }
            n = split(rows, want, " ")
            for (i = 1; i <= n; i++) if (!(want[i] in seen)) print "no " want[i] " row"
            if (!override_ok) print "the Override row does not say " override
            if (!example) print "no example (an ```apache block)"
        }' "$manual"
}

# The override class the manual must show, from what apache2 -L says of the directive.
override_of() {
    local where
    where=$(listing_of "$1")
    if [[ $where =~ AllowOverride\ includes\ ([A-Za-z]+) ]]; then echo "${BASH_REMATCH[1]}"
    else echo "Not applicable"; fi
}

# The default in the help text, "(default X)", must stand in the manual's Default row.
default_gap() {
    local help default row
    help=$(listing_of "$1" | head -n 1)
    [[ $help =~ \(default\ ([^\)]+)\) ]] || return 0
    default=${BASH_REMATCH[1]}
    default=${default%%:*}
    row=$(awk -v head="## $1 Directive" '$0 == head { on = 1; next } on && /^## / { exit }
                                         on && /^\| \*\*Default:\*\*/ { print; exit }' "$manual")
    [[ ${row,,} == *"${default,,}"* ]] || echo "the Default row '${row}' does not say '${default}' (the module's default)"
}

example_text=$(cat "${examples[@]}")
for name in "${table[@]}"; do
    mapfile -t gaps < <(section_gaps "$name" "$(override_of "$name")"; default_gap "$name")
    ((${#gaps[@]} == 0))
    record "$name documented in $manual" $? "${gaps[@]}"
    if [[ $example_text =~ (^|$'\n')[[:space:]]*$name([[:space:]]|$) ]]; then
        pass "$name used in a conf example"
    else
        fail "$name used in a conf example" "no uncommented '$name' line in ${examples[*]}"
    fi
done

unknown=()
for name in "${documented[@]}"; do
    [[ " ${table[*]} " == *" $name "* ]] || unknown+=("$name")
done
((${#unknown[@]} == 0))
record "every directive in $manual is in the command table" $? "not in the table: ${unknown[*]}"

# ---------------------------------------------------------------- the README

mapfile -t opening < <(grep -vE '^[[:space:]]*$|^# ' README.md | head -n 2)
if [[ ${opening[0]:-} == *'./bootstrap demo'* && ${opening[1]:-} == *'./bootstrap test'* ]]; then
    pass "README opens with ./bootstrap demo and ./bootstrap test"
else
    fail "README opens with ./bootstrap demo and ./bootstrap test" "${opening[@]:-empty}"
fi

# ------------------------------------------------------------------- the links

# The anchors of a Markdown page's headings, as GitHub makes them.
anchors_of() { sed -nE 's/^#+ +//p' "$1" | tr '[:upper:]' '[:lower:]' | sed -E 's/[^a-z0-9 _-]//g; s/ /-/g'; }

broken=()
for page in README.md docs/*.md; do
    while read -r link; do
        [[ $link == *://* || $link == mailto:* ]] && continue
        file=${link%%#*} anchor=
        [[ $link == *#* ]] && anchor=${link#*#}
        target=$(dirname "$page")/$file
        [[ -z $file ]] && target=$page
        if [[ ! -e $target ]]; then
            broken+=("$page -> $link (no such file)")
        elif [[ -n $anchor && $target == *.md ]] && ! anchors_of "$target" | grep -qxF "$anchor"; then
            broken+=("$page -> $link (no such heading)")
        fi
    done < <(grep -oE '\]\([^)]+\)' "$page" | sed -E 's/^\]\(//; s/\)$//')
done
((${#broken[@]} == 0))
record "relative links lead to existing files and headings" $? "${broken[@]}"

echo "$passed passed, $failed failed"
((failed == 0))
