"""Which origins each matcher kind allows (contract: CORSAllowOrigin, CORSAllowOriginMatch)."""
import pytest

from harness import assert_allowed, assert_refused, raw_request, unique_id
from policies import ALLOWED

# (scope, Origin, allowed?)  An allowed origin is echoed byte for byte.
ORIGIN_CASES = [
    # exact, case-insensitive scheme and host, default port
    ("exact", "https://app.example.com", True),
    ("exact", "HTTPS://APP.EXAMPLE.COM", True),
    ("exact", "https://App.Example.Com", True),
    ("exact", "https://app.example.com:443", True),
    ("exact", "https://default.example", True),        # rule written HTTPS://Default.Example:443
    ("exact", "http://localhost:3000", True),
    ("exact", "http://localhost:3001", False),
    ("exact", "http://localhost", False),
    ("exact", "https://app.example.com:8443", False),
    ("exact", "http://app.example.com", False),
    ("exact", "https://app.example.com.evil.net", False),
    ("exact", "https://evilapp.example.com", False),
    ("exact", "https://sub.app.example.com", False),
    ("exact", "https://app.example.co", False),
    ("exact", "https://app.example.com.", False),       # a trailing dot is another origin
    ("exact", "http://[::1]:8080", True),
    ("exact", "http://[::1]:8081", False),
    ("exact", "chrome-extension://abcdefghijklmnop", True),
    ("exact", "chrome-extension://abcdefghijklmnoq", False),
    # subdomain wildcard, any depth, never the apex; port wildcard
    ("wild", "https://a.example.com", True),
    ("wild", "https://a.b.c.example.com", True),
    ("wild", "https://A.EXAMPLE.COM", True),
    ("wild", "https://a.example.com:443", True),
    ("wild", "https://example.com", False),
    ("wild", "https://a.example.com:8443", False),
    ("wild", "http://a.example.com", False),
    ("wild", "https://evil-example.com", False),
    ("wild", "https://a.example.com.evil.net", False),
    ("wild", "https://a.example.com.", False),
    ("wild", "http://dev.example:8080", True),
    ("wild", "http://dev.example", True),
    ("wild", "http://dev.example:80", True),
    ("wild", "https://dev.example:8080", False),
    ("wild", "http://a.dev.example:8080", False),
    ("wild", "https://a.ported.example:8443", True),    # subdomain wildcard on a port
    ("wild", "https://a.b.ported.example:8443", True),
    ("wild", "https://a.ported.example", False),
    ("wild", "https://ported.example:8443", False),
    # null
    ("null", "null", True),
    ("exact", "null", False),
    ("star", "null", False),
    ("php", "null", False),                             # even /^null$/ never sees null
    # PHP-style patterns copied from PHP code, and a plain PCRE2 pattern
    ("php", "https://x.partner.domain.com", True),
    ("php", "http://x.partner.domain.com", True),
    ("php", "https://a.b.partner.domain.com", True),
    ("php", "https://partner.domain.com", False),
    ("php", "https://x.partner.domain.com.evil.net", False),
    ("php", "https://x.partner.domain.comm", False),
    ("php", "https://www.partner.example", True),
    ("php", "https://API.PARTNER.EXAMPLE", True),      # modifier i
    ("php", "https://web.partner.example", False),
    ("php", "http://www.partner.example", False),
    ("php", "https://www.partner.example:8443", False),
    ("php", "https://tools.example.org", True),        # modifier x, delimiter ~
    ("php", "https://toolsXexample.org", False),
    ("php", "https://brace.example", True),            # bracket delimiters {}
    ("php", "https://a-1.plain.example", True),
    ("php", "https://a.b.plain.example", False),
    ("php", "https://A.plain.example", False),          # plain pattern: case-sensitive
    ("php", "https://evil.example/.partner.domain.com", False),  # invalid: path
]


@pytest.mark.parametrize("scope,origin,allowed", ORIGIN_CASES,
                         ids=[f"{s}:{o}:{'allow' if a else 'refuse'}" for s, o, a in ORIGIN_CASES])
def test_origin_matching(core, scope, origin, allowed):
    r = core.get(f"/p/{scope}/api.php", origin)
    if allowed:
        assert_allowed(r, origin)
    else:
        assert_refused(r)


def test_star_answers_any_origin_with_literal_star(core):
    r = core.get("/p/star/api.php", "https://anything.example:8443")
    assert_allowed(r, "*")
    assert "origin" not in r.tokens_lower("Vary"), r


@pytest.mark.parametrize("origin", ["https://[::1]:8443", "http://127.0.0.1:1", "https://a_b.example",
                                    "https://partner.example.", "custom+scheme-1.x://host.example"])
def test_star_accepts_unusual_valid_origins(core, origin):
    assert_allowed(core.get("/p/star/api.php", origin), "*")


INVALID_ORIGINS = [
    "",
    "https://app.example.com/",
    "https://app.example.com/path",
    "https://app.example.com?q=1",
    "https://app.example.com#frag",
    "https://user@app.example.com",
    "https://user:pw@app.example.com",
    "https://app.example.com:99999",
    "https://app.example.com:0",
    "https://app.example.com:0443",
    "https://app.example.com:",
    "https://app.example.com:abc",
    "app.example.com",
    "//app.example.com",
    "https:app.example.com",
    "1https://app.example.com",
    "https://",
    "https://app..example.com",
    "https://app%2eexample.com",
    "https://" + "a" * 520 + ".example",
    "Null",
    "*",
]


@pytest.mark.parametrize("scope", ["star", "exact"])
@pytest.mark.parametrize("origin", INVALID_ORIGINS)
def test_invalid_origin_is_refused_even_under_star(core, scope, origin):
    assert_refused(core.get(f"/p/{scope}/api.php", origin))


def dns_name(length: int) -> str:
    """A host name of exactly `length` bytes, in labels of at most 49 bytes."""
    labels, left = [], length
    while left > 0:
        size = min(49, left)
        labels.append("a" * size)
        left -= size + 1
    return ".".join(labels)[:length].rstrip(".").ljust(length, "b")


@pytest.mark.parametrize("length,allowed", [(253, True), (254, False)])
def test_host_length_limit(core, length, allowed):
    origin = "https://" + dns_name(length)
    r = core.get("/p/star/api.php", origin)
    if allowed:
        assert_allowed(r, "*")
    else:
        assert_refused(r)


def test_several_origin_lines_are_refused(core):
    assert_refused(core.get("/p/exact/api.php", [ALLOWED, ALLOWED]))
    assert_refused(core.get("/p/star/api.php", [ALLOWED, "https://other.example"]))


def test_non_ascii_origin_is_refused(core):
    raw = (b"GET /p/star/api.php HTTP/1.1\r\nHost: 127.0.0.1\r\n"
           b"Origin: https://caf\xc3\xa9.example\r\nConnection: close\r\n\r\n")
    assert_refused(raw_request(core.port, raw))


@pytest.mark.parametrize("origin", ["https://app.example.com/", "https://user@app.example.com",
                                    "https://app.example.com:99999"])
def test_invalid_origin_reason(core, origin):
    env = core.get("/p/reject-off/env.php", origin).json()
    assert env["CORS_ALLOWED"] == "0"
    assert env["CORS_REASON"].startswith("invalid origin"), env


def test_pattern_match_limit_counts_as_no_match(core):
    origin = "https://" + "a" * 30 + ".example"   # (a|a)* backtracks 2^30 ways
    r = core.get("/p/redos/env.php", origin)
    assert r.status == 200 and not r.has("Access-Control-Allow-Origin"), r
    env = r.json()
    assert env["CORS_ALLOWED"] == "0"
    assert env["CORS_REASON"].startswith("pattern match limit exceeded"), env


# -- same-origin: Origin equal to the scheme, Host and port the request was sent to

def test_same_origin_post_is_never_rejected(core):
    rid = unique_id()
    r = core.request("POST", f"/p/exact/record.php?id={rid}", f"http://127.0.0.1:{core.port}", body=b"a=1")
    assert r.status == 200 and not r.has("Access-Control-Allow-Origin"), r
    assert "origin" in r.tokens_lower("Vary")
    assert core.reached(rid) == ["POST"]


@pytest.mark.parametrize("origin_host,host", [
    ("127.0.0.1:{port}", "127.0.0.1:{port}"),
    ("localhost:{port}", "localhost:{port}"),
    ("LOCALHOST:{port}", "localhost:{port}"),
    ("127.0.0.1", "127.0.0.1"),
    ("127.0.0.1:80", "127.0.0.1"),
    ("127.0.0.1", "127.0.0.1:80"),
])
def test_same_origin_classification(core, origin_host, host):
    origin = "http://" + origin_host.format(port=core.port)
    r = core.request("POST", "/p/exact/env.php", origin, host=host.format(port=core.port), body=b"")
    assert r.status == 200, r
    env = r.json()
    assert (env["CORS_REQUEST"], env["CORS_ALLOWED"]) == ("same-origin", "1"), env
    assert env["CORS_REASON"] is None


@pytest.mark.parametrize("origin", ["http://127.0.0.1:{other}", "https://127.0.0.1:{port}",
                                    "http://localhost:{port}", "http://127.0.0.1"])
def test_other_origin_of_same_host_is_cross_origin(core, origin):
    origin = origin.format(port=core.port, other=core.port + 1 if core.port < 65535 else 1)
    assert_refused(core.request("POST", "/p/exact/env.php", origin, body=b""))


def test_same_origin_under_star_gets_the_static_star(core):
    r = core.request("POST", "/p/star/api.php", f"http://127.0.0.1:{core.port}", body=b"")
    assert_allowed(r, "*")


def test_same_origin_options_is_not_a_preflight(core):
    rid = unique_id()
    r = core.preflight(f"/p/exact/record.php?id={rid}", f"http://127.0.0.1:{core.port}", "PATCH")
    assert r.status == 200 and not r.has("Access-Control-Allow-Methods"), r
    assert core.reached(rid) == ["OPTIONS"]
