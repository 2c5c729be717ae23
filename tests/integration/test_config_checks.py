"""Configuration checks: `apache2 -t` fails naming the directive, the file and the line;
warnings are logged at start-up and the server still starts; every context accepts
every directive."""
import re

import pytest

from harness import ServerSpec

SCOPE = """<Location "/c/">
    CORSEngine On
{lines}
</Location>
"""

# (id, directive lines, what the message must say: the directive, then the cause; every
# error names its directive, so the cause is what tells one row from another)
INVALID_ORIGIN = r"CORSAllowOrigin: '{}' is not a valid origin \(scheme://host\[:port\]\): {}"
STAR_WITH_CREDENTIALS = r"CORSAllowOrigin \* cannot be combined with CORSAllowCredentials On"
NOT_A_TOKEN = r"{}: '{}' is not a valid {} \(an HTTP token\)"
NOT_SECONDS = r"CORSMaxAge: '{}' is not a number of seconds from 0 to 86400"
CONFIG_ERRORS = [
    ("pattern-does-not-compile", ['CORSAllowOriginMatch "^https://(unclosed\\.example$"'],
     r"CORSAllowOriginMatch: Compilation failed: missing closing parenthesis at offset \d+"),
    ("php-pattern-does-not-compile", ['CORSAllowOriginMatch "#^https://[a-#"'],
     r"CORSAllowOriginMatch: Compilation failed: missing terminating \] for character class at offset \d+"),
    ("unknown-php-modifier", ['CORSAllowOriginMatch "#^https://a\\.example$#q"'],
     r"CORSAllowOriginMatch: Unknown modifier 'q'"),
    ("no-ending-delimiter", ['CORSAllowOriginMatch "@\\.partner\\.example$"'],
     r"CORSAllowOriginMatch: No ending delimiter '@' found"),
    ("origin-with-path", ["CORSAllowOrigin https://a.example/path"],
     INVALID_ORIGIN.format("https://a.example/path", "path or trailing slash")),
    ("origin-with-trailing-slash", ["CORSAllowOrigin https://a.example/"],
     INVALID_ORIGIN.format("https://a.example/", "path or trailing slash")),
    ("origin-with-query", ["CORSAllowOrigin https://a.example?x=1"],
     INVALID_ORIGIN.format(r"https://a.example\?x=1", "query")),
    ("origin-with-user-info", ["CORSAllowOrigin https://user@a.example"],
     INVALID_ORIGIN.format("https://user@a.example", "user info")),
    ("origin-missing-scheme", ["CORSAllowOrigin a.example"],
     INVALID_ORIGIN.format("a.example", 'no "://" after the scheme')),
    ("origin-bad-port", ["CORSAllowOrigin https://a.example:99999"],
     INVALID_ORIGIN.format("https://a.example:99999", "bad port")),
    ("origin-non-numeric-port", ["CORSAllowOrigin https://a.example:https"],
     INVALID_ORIGIN.format("https://a.example:https", "bad port")),
    ("wildcard-on-com", ["CORSAllowOrigin https://*.com"],
     r'CORSAllowOrigin: .*"\*\.com" would allow every site under a public suffix'),
    ("wildcard-on-co-uk", ["CORSAllowOrigin https://*.co.uk"],
     r'CORSAllowOrigin: .*"\*\.co\.uk" would allow every site under a public suffix'),
    ("star-with-credentials", ["CORSAllowOrigin *", "CORSAllowCredentials On"],
     "CORSAllowCredentials: " + STAR_WITH_CREDENTIALS),
    ("credentials-with-star", ["CORSAllowCredentials On", "CORSAllowOrigin *"],
     "CORSAllowOrigin: " + STAR_WITH_CREDENTIALS),
    ("invalid-method-token", ["CORSAllowMethods GET PO@ST"], NOT_A_TOKEN.format("CORSAllowMethods", "PO@ST", "method")),
    ("method-with-comma", ["CORSAllowMethods GET, POST"], NOT_A_TOKEN.format("CORSAllowMethods", "GET,", "method")),
    ("invalid-header-name", ["CORSAllowHeaders X-Good X-Bad:"],
     NOT_A_TOKEN.format("CORSAllowHeaders", "X-Bad:", "header name")),
    ("invalid-expose-header", ['CORSExposeHeaders "X Bad"'],
     NOT_A_TOKEN.format("CORSExposeHeaders", "X Bad", "header name")),
    ("max-age-negative", ["CORSMaxAge -1"], NOT_SECONDS.format("-1")),
    ("max-age-non-numeric", ["CORSMaxAge ten"], NOT_SECONDS.format("ten")),
    ("max-age-too-large", ["CORSMaxAge 86401"], NOT_SECONDS.format("86401")),
    ("engine-not-a-flag", ["CORSEngine Maybe"], "CORSEngine must be On or Off"),
    ("export-env-not-a-flag", ["CORSExportEnv Sometimes"], "CORSExportEnv must be On or Off"),
    ("preflight-bad-value", ["CORSPreflight Forward"], "CORSPreflight: 'Forward' is neither Handle nor Pass"),
]


def line_numbers(conf_text: str, fragment: str) -> list:
    return [i for i, line in enumerate(conf_text.splitlines(), 1) if line.strip() == fragment]


@pytest.mark.parametrize("lines,message", [c[1:] for c in CONFIG_ERRORS], ids=[c[0] for c in CONFIG_ERRORS])
def test_config_error_fails_config_test(make_server, lines, message):
    srv = make_server(ServerSpec(php=None, body=SCOPE.format(lines="\n".join(lines))), start=False)
    done = srv.config_test()
    assert done.returncode != 0, done.output
    assert re.search(message, done.output), done.output
    assert str(srv.conf) in done.output, done.output
    conf_text = srv.conf.read_text()
    numbers = [n for line in lines for n in line_numbers(conf_text, line)]
    assert any(re.search(rf"\bline {n}\b", done.output) for n in numbers), done.output


VALID_LINES = [
    "CORSAllowOrigin https://a.example https://*.example.co.uk http://localhost:* https://[::1]:8443",
    "CORSAllowOrigin null",
    'CORSAllowOriginMatch "/^https:\\/\\/a\\.example$/imsxuDUAn"',
    'CORSAllowOriginMatch "(^https://b\\.example$)"',
    'CORSAllowOriginMatch "^https://c\\.example$"',
    "CORSAllowMethods GET PUT PATCH X-CUSTOM",
    "CORSAllowHeaders * Authorization",
    "CORSExposeHeaders *",
    "CORSAllowCredentials Off",
    "CORSMaxAge 0",
    "CORSMaxAge 86400",
    "CORSAllowPrivateNetwork On",
    "CORSPreflight Pass",
    "CORSReject Off",
    "CORSReportOnly On",
    "CORSOverrideAppHeaders Off",
]


def test_valid_edge_values_pass_config_test(make_server):
    srv = make_server(ServerSpec(php=None, body=SCOPE.format(lines="\n".join(VALID_LINES))), start=False)
    done = srv.config_test()
    assert done.returncode == 0 and "Syntax OK" in done.output, done.output


ALL_DIRECTIVES = """CORSEngine On
CORSAllowOrigin https://a.example
CORSAllowOriginMatch "#^https://b\\.example$#"
CORSAllowMethods GET PUT
CORSAllowHeaders X-A
CORSExposeHeaders X-B
CORSAllowCredentials On
CORSMaxAge 60
CORSAllowPrivateNetwork On
CORSPreflight Handle
CORSReject On
CORSReportOnly Off
CORSOverrideAppHeaders On"""

CONTEXTS = {
    "server": "{d}",
    "virtualhost": "<VirtualHost 127.0.0.1:${{IT_PORT}}>\n{d}\n</VirtualHost>",
    "directory": '<Directory "${{IT_HTDOCS}}/x">\n{d}\n</Directory>',
    "directorymatch": '<DirectoryMatch "^${{IT_HTDOCS}}/y">\n{d}\n</DirectoryMatch>',
    "location": '<Location "/x/">\n{d}\n</Location>',
    "locationmatch": '<LocationMatch "^/y/">\n{d}\n</LocationMatch>',
    "files": '<Files "x.php">\n{d}\n</Files>',
    "filesmatch": '<FilesMatch "^y">\n{d}\n</FilesMatch>',
}


@pytest.mark.parametrize("context", CONTEXTS)
def test_every_directive_accepted_in_context(make_server, context):
    body = CONTEXTS[context].format(d=ALL_DIRECTIVES)
    srv = make_server(ServerSpec(php=None, body=body), start=False)
    done = srv.config_test()
    assert done.returncode == 0 and "Syntax OK" in done.output, done.output


# -- warnings: logged at start-up, and the server starts

WARNINGS = [
    ("unanchored-plain-pattern", ['CORSAllowOriginMatch "^https://.+\\.unanchored\\.example"'], "CORSAllowOriginMatch"),
    ("unanchored-php-pattern", ['CORSAllowOriginMatch "@\\.partner\\.domain\\.com@"'], "CORSAllowOriginMatch"),
    ("http-origin-with-credentials", ["CORSAllowOrigin http://insecure.example", "CORSAllowCredentials On"],
     "CORSAllow(Origin|Credentials)"),
    ("null-allowed", ["CORSAllowOrigin null"], "CORSAllowOrigin"),
]


def cors_warnings(text: str) -> list:
    """Warning lines from mod_cors: tagged cors:warn, or a warning naming a CORS directive."""
    return [l for l in text.splitlines()
            if "[cors:warn" in l or (re.search(r"warn", l, re.I) and re.search(r"\bCORS[A-Z]\w+", l))]


@pytest.mark.parametrize("lines,directive", [w[1:] for w in WARNINGS], ids=[w[0] for w in WARNINGS])
def test_warning_logged_and_server_starts(make_server, lines, directive, expect_log):
    expect_log(r"\[cors:warn\] .*" + directive)
    srv = make_server(ServerSpec(php=None, body=SCOPE.format(lines="\n".join(lines))))
    assert srv.get("/").status in (200, 403, 404)
    warnings = cors_warnings(srv.startup_output())
    assert any(re.search(directive, l) for l in warnings), srv.startup_output()


def test_no_warning_for_anchored_https_policy(make_server):
    # (the seed's own filter allows http:// too: test_policy_view.py)
    lines = ['CORSAllowOriginMatch "@^https://[a-z0-9-]+\\.partner\\.domain\\.com$@"',
             'CORSAllowOriginMatch "#^https://(www|api)\\.partner\\.example$#i"',
             "CORSAllowOrigin https://a.example", "CORSAllowCredentials On"]
    srv = make_server(ServerSpec(php=None, body=SCOPE.format(lines="\n".join(lines))))
    assert cors_warnings(srv.startup_output()) == [], srv.startup_output()
