"""What the policy really allows (issue 23): `apache2 -t` on configurations with unsafe
patterns prints each warning with the directive, the file and line, a concrete origin and the
fix, and fails under CORSStrict On; checks on the merged policy name both places; silent no-ops
are warned about; `apache2 -t -D DUMP_CORS` shows every scope."""
import re
import subprocess

import pytest

from harness import APACHE2, ServerSpec

SCOPE = """<Location "/c/">
    CORSEngine On
{lines}
</Location>
"""

# (id, directive lines, what the warning must say: directive, pattern as written, origin, fix)
UNSAFE = [
    ("seed-filter-allows-http", ['CORSAllowOriginMatch "@\\.partner\\.domain\\.com$@"'],
     r'CORSAllowOriginMatch "@\\\.partner\\\.domain\\\.com\$@" allows http://x\.partner\.domain\.com .*anchor the scheme'),
    ("unescaped-dot", ['CORSAllowOriginMatch "@^https://api.partner.com$@"'],
     r'CORSAllowOriginMatch "@\^https://api\.partner\.com\$@" allows https://apixpartner\.com .*escape the dot'),
    ("no-start-boundary", ['CORSAllowOriginMatch "^https://.*partner\\.com$"'],
     r"allows https://evilpartner\.com .*whole labels"),
    ("no-end-anchor", ['CORSAllowOriginMatch "^https://partner\\.com"'],
     r"allows https://partner\.com\.evil\.example .*anchor the end"),
    ("any-origin", ['CORSAllowOriginMatch ".*"'], r"allows https://evil\.example"),
    ("null-in-pattern", ['CORSAllowOriginMatch "^(https://partner\\.com|null)$"'], r"allows null"),
    ("null-listed", ["CORSAllowOrigin null"], r"CORSAllowOrigin null allows null"),
    ("http-with-credentials", ["CORSAllowOrigin http://partner.example", "CORSAllowCredentials On"],
     r"CORSAllowOrigin http://partner\.example allows http://partner\.example with credentials"),
    ("glob-as-pattern", ['CORSAllowOriginMatch "^https://*.partner.domain.com$"'], r"glob written as a pattern"),
    ("lower-case-method", ["CORSAllowOrigin https://a.example", "CORSAllowMethods GET put"],
     r"CORSAllowMethods put .*write PUT"),
    ("unknown-scheme", ["CORSAllowOrigin htps://a.example"], r"'htps' is not a scheme.*https\?"),
]


def config_test(srv, *defines):
    args = [APACHE2, "-t", "-d", str(srv.root), "-f", str(srv.conf)]
    for d in defines:
        args += ["-D", d]
    done = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    done.output = done.stdout + done.stderr
    return done


def line_of(conf_text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(conf_text.splitlines(), 1) if line.strip() == fragment)


@pytest.mark.parametrize("lines,message", [u[1:] for u in UNSAFE], ids=[u[0] for u in UNSAFE])
def test_unsafe_pattern_warns_with_origin_and_line_and_fails_when_strict(make_server, lines, message):
    srv = make_server(ServerSpec(php=None, body=SCOPE.format(lines="\n".join(lines))), start=False)
    done = config_test(srv)
    assert done.returncode == 0 and "Syntax OK" in done.output, done.output
    warnings = [l for l in done.output.splitlines() if "[cors:warn] CORS004" in l]
    hits = [l for l in warnings if re.search(message, l)]
    assert hits, done.output
    # the file and the line of the directive concerned (or of its scope)
    conf_text = srv.conf.read_text()
    numbers = [line_of(conf_text, l) for l in lines] + [line_of(conf_text, '<Location "/c/">')]
    assert any(f"{srv.conf}:{n}" in hits[0] for n in numbers), hits[0]
    # CORSStrict On: the same warning is an error and -t fails
    strict = make_server(ServerSpec(php=None, body="CORSStrict On\n" + SCOPE.format(lines="\n".join(lines))),
                         start=False)
    done = config_test(strict)
    assert done.returncode != 0, done.output
    assert any(re.search(message, l) for l in done.output.splitlines() if "[cors:error]" in l), done.output


def test_seed_filter_gets_exactly_one_warning(make_server):
    srv = make_server(ServerSpec(php=None, body=SCOPE.format(
        lines='CORSAllowOriginMatch "@\\.partner\\.domain\\.com$@"\nCORSAllowCredentials On')), start=False)
    done = config_test(srv)
    warnings = [l for l in done.output.splitlines() if "[cors:" in l]
    assert len(warnings) == 1 and "http://x.partner.domain.com" in warnings[0], done.output


def test_safe_forms_give_no_warning_even_when_strict(make_server):
    lines = ['CORSAllowOriginMatch "#^https://(www|api)\\.partner\\.example$#i"',
             'CORSAllowOriginMatch "@^https://[a-z0-9-]+\\.partner\\.domain\\.com$@"',
             "CORSAllowOrigin https://a.example https://*.b.example", "CORSAllowCredentials On",
             "CORSAllowMethods GET POST PUT patch"]
    srv = make_server(ServerSpec(php=None, body="CORSStrict On\n" + SCOPE.format(lines="\n".join(lines))),
                      start=False)
    done = config_test(srv)
    assert done.returncode == 0 and "[cors:" not in done.output, done.output


def test_patterns_are_quoted_as_httpd_read_them(make_server):
    srv = make_server(ServerSpec(php=None, body=SCOPE.format(lines='CORSAllowOriginMatch "@^https://a\\.example@"')),
                      start=False)
    done = config_test(srv)
    assert '"@^https://a\\.example@"' in done.output, done.output   # one backslash, as written
    assert "\\\\." not in done.output, done.output


MERGED = """<Location "/m/">
    CORSEngine On
    CORSAllowOrigin *
</Location>
<Location "/m/api/">
    CORSAllowCredentials On
</Location>
"""


def test_inherited_star_with_inner_credentials_fails_naming_both_places(make_server):
    srv = make_server(ServerSpec(php=None, body=MERGED), start=False)
    done = config_test(srv)
    assert done.returncode != 0, done.output
    conf_text = srv.conf.read_text()
    star = line_of(conf_text, "CORSAllowOrigin *")
    credentials = line_of(conf_text, "CORSAllowCredentials On")
    errors = [l for l in done.output.splitlines() if "[cors:error] CORS00402" in l]
    assert errors and f"{srv.conf}:{star}" in errors[0] and f"{srv.conf}:{credentials}" in errors[0], done.output


NO_OPS = [
    ("no-engine-anywhere", '<Directory "${IT_HTDOCS}/off">\n    CORSAllowOrigin https://a.example\n</Directory>',
     r"neither it nor a scope around it turns CORSEngine On"),
    ("engine-without-origins", '<Location "/empty/">\n    CORSEngine On\n</Location>',
     r"turns CORSEngine On with no CORSAllowOrigin"),
]


@pytest.mark.parametrize("body,message", [n[1:] for n in NO_OPS], ids=[n[0] for n in NO_OPS])
def test_silent_no_ops_are_warned_about(make_server, body, message):
    srv = make_server(ServerSpec(php=None, body=body), start=False)
    done = config_test(srv)
    assert done.returncode == 0, done.output
    hits = [l for l in done.output.splitlines() if "[cors:warn]" in l and re.search(message, l)]
    assert hits and re.search(rf"{re.escape(str(srv.conf))}:\d+", hits[0]), done.output
    strict = make_server(ServerSpec(php=None, body="CORSStrict On\n" + body), start=False)
    assert config_test(strict).returncode != 0


def test_engine_on_outside_with_origins_inside_is_not_a_no_op(make_server):
    body = ('<Directory "${IT_HTDOCS}/p">\n    CORSEngine On\n</Directory>\n'
            '<Directory "${IT_HTDOCS}/p/api">\n    CORSAllowOrigin https://a.example\n</Directory>\n')
    srv = make_server(ServerSpec(php=None, body="CORSStrict On\n" + body), start=False)
    done = config_test(srv)
    assert done.returncode == 0 and "[cors:" not in done.output, done.output


def test_startup_summary_names_the_maps(make_server, tmp_path):
    partners = tmp_path / "partners.txt"
    partners.write_text("https://p.example\n")
    partners.chmod(0o644)
    tmp_path.chmod(0o755)
    body = (f"CORSOriginMap partners txt:{partners}\n"
            '<Location "/mapped/">\n    CORSEngine On\n    CORSAllowOriginMap partners\n</Location>\n')
    srv = make_server(ServerSpec(php=None, body=body, log_level="info"))
    assert re.search(r"CORS00404: CORS enabled at .*maps: partners", srv.startup_output()), srv.startup_output()


DUMP = """CORSOriginMap partners txt:{partners}
CORSEngine On
CORSAllowOrigin https://main.example
<Directory "${{IT_HTDOCS}}/api">
    CORSAllowMethods GET POST PUT
    <Files "admin.php">
        CORSAllowCredentials On
    </Files>
</Directory>
<Directory "${{IT_HTDOCS}}/api/v2">
    CORSAllowOriginMap partners
</Directory>
<Location "/status/">
    CORSEngine Off
</Location>
<VirtualHost 127.0.0.1:${{IT_PORT}}>
    ServerName other.example
    CORSAllowOriginMatch "#^https://(www|api)\\.partner\\.example$#"
    <Location "/v/">
        CORSMaxAge 600
    </Location>
</VirtualHost>
"""


def test_dump_cors_shows_every_scope_grouped_by_virtual_host(make_server, tmp_path):
    partners = tmp_path / "partners.txt"
    partners.write_text("https://p.example\n")
    tmp_path.chmod(0o755)
    partners.chmod(0o644)
    srv = make_server(ServerSpec(php=None, body=DUMP.format(partners=partners)), start=False)
    done = config_test(srv, "DUMP_CORS")
    assert done.returncode == 0, done.output
    out = done.stdout
    conf = str(srv.conf)
    text = srv.conf.read_text()
    assert ".htaccess files are read per request and are not included" in out
    main_at = out.index("Main server")
    vhost_at = out.index("<VirtualHost 127.0.0.1:")
    assert main_at < vhost_at
    for section in ('<Directory ', '<Files admin.php>', '<Location /status/>'):
        assert main_at < out.index(section) < vhost_at, out
    assert vhost_at < out.index("<Location /v/>"), out
    # what a scope sets and what it inherits, with the place it comes from
    files = out[out.index("<Files admin.php>"):]
    files = files[:files.index("\n  <")] if "\n  <" in files else files
    assert re.search(r"sets\s+CORSAllowCredentials On\s+" + re.escape(conf) + ":" +
                     str(line_of(text, "CORSAllowCredentials On")), files), out
    assert re.search(r"CORSAllowMethods GET POST PUT\s+" + re.escape(conf) + r":\d+\s+<Directory ", files), out
    assert re.search(r"CORSEngine On\s+" + re.escape(conf) + r":\d+\s+main server config", files), out
    # the maps a scope uses, with their sources
    v2 = out[out.index("/api/v2>"):]
    assert re.search(r"maps\s+partners = txt:" + re.escape(str(partners)), v2), out
    # the virtual host's scope inherits the vhost's pattern and the main server's engine
    v = out[out.index("<Location /v/>"):]
    assert "CORSAllowOriginMatch" in v and "<VirtualHost" in v, out
    # stable: the same configuration gives the same dump
    assert config_test(srv, "DUMP_CORS").stdout == out
    # without -D DUMP_CORS nothing of it is printed
    assert ".htaccess files are read" not in config_test(srv).output
