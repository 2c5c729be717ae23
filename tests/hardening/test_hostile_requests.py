"""Hostile request headers against a running server, under prefork + mod_php and under
the event MPM + php-fpm: every answer is the right one, quickly, and the server stays up."""
import time

import pytest

from conftest import MPMS, MPM_IDS, PHP_FOR_MPM, assert_no_crash, start_server
from harness import ServerSpec, assert_allowed, assert_refused, raw_request
from hostile_policy import BODY, EXPECTED_LOG, IDN, PARTNER

HANG_GUARD = 5.0  # seconds: a guard against a hang, not a performance bound


@pytest.fixture(scope="module", params=MPMS, ids=MPM_IDS.get)
def srv(request, cors_module):
    return start_server(request, ServerSpec(mpm=request.param, php=PHP_FOR_MPM[request.param], body=BODY,
                                            expect_log=EXPECTED_LOG))


def assert_up(srv):
    """The server still answers, and still allows the partner."""
    assert_allowed(srv.get("/h/exact/static.txt", PARTNER), PARTNER, credentials=True)


def assert_log_lines_bounded(srv, mark, limit=1500):
    long_lines = [l[:120] + "..." for l in srv.log_since(mark).splitlines() if len(l) > limit]
    assert not long_lines, f"error-log lines over {limit} bytes: {long_lines}"


# -- sizes

def test_origin_of_8000_bytes_refused(srv):
    origin = "https://" + "a" * 7990 + ".example"
    mark = srv.log_mark()
    for scope in ("exact", "star", "php", "redos"):
        assert_refused(srv.get(f"/h/{scope}/static.txt", origin))
    assert srv.wait_log(mark, r"invalid origin: too long"), srv.log_since(mark)
    assert_log_lines_bounded(srv, mark)
    assert_up(srv)


def test_origin_over_httpd_field_limit_is_not_a_5xx(srv):
    # Longer than LimitRequestFieldSize (8190): httpd itself answers 400 before any module.
    r = srv.get("/h/star/static.txt", "https://" + "a" * 9000 + ".example")
    assert r.status == 400 and not r.cors_headers(), r
    assert_up(srv)


def test_request_headers_of_thousands_of_commas(srv):
    for scope in ("star", "exact"):
        r = srv.preflight(f"/h/{scope}/static.txt", PARTNER, "GET", "," * 8000)
        assert r.status == 204, r
        assert not r.has("Access-Control-Allow-Headers"), r
    r = srv.preflight("/h/star/static.txt", PARTNER, "GET", " , \t," * 1000 + "X-A" + ", ," * 500)
    assert r.status == 204 and r.all("Access-Control-Allow-Headers") == ["x-a"], r
    assert_up(srv)


def test_request_headers_of_thousands_of_names_refused(srv):
    names = ",".join(f"h{i}" for i in range(1500))          # one line of ~7 KB
    mark = srv.log_mark()
    r = srv.preflight("/h/star/static.txt", PARTNER, "GET", names)
    assert_refused(r)
    assert srv.wait_log(mark, r"Access-Control-Request-Headers too long"), srv.log_since(mark)
    r = srv.preflight("/h/exact/static.txt", PARTNER, "GET", names)
    assert_refused(r)
    assert_log_lines_bounded(srv, mark)
    assert_up(srv)


def test_request_headers_over_many_lines_refused(srv):
    # httpd joins the lines (and refuses with 400 when the joined value passes 8190 bytes).
    lines = [("Access-Control-Request-Headers", ", ".join(f"x-h{l}-{i}" for i in range(80))) for l in range(8)]
    r = srv.request("OPTIONS", "/h/star/static.txt", PARTNER,
                    headers=[("Access-Control-Request-Method", "PUT")] + lines)
    assert_refused(r)
    assert_up(srv)


def test_request_headers_just_under_the_echo_limit(srv):
    names = [f"X-H{i:03d}" for i in range(256)]               # echoed: 256 * 8 - 2 = 2046 bytes
    r = srv.preflight("/h/star/static.txt", PARTNER, "PUT", ",".join(names))
    assert r.status == 204, r
    assert r.tokens("Access-Control-Allow-Headers") == [n.lower() for n in names], r
    assert len(r.get("Access-Control-Allow-Headers")) == 2046
    names.append("X-H256")                                     # 2054 bytes: over the limit
    assert_refused(srv.preflight("/h/star/static.txt", PARTNER, "PUT", ",".join(names)))


@pytest.mark.parametrize("length,allowed", [(2046, True), (2047, True), (2048, True), (2049, False)])
def test_echo_limit_is_2048_bytes(srv, length, allowed):
    # behaviour.md: "The echoed list is bounded (2048 bytes); a longer one fails the preflight."
    name = "x" * length
    r = srv.preflight("/h/star/static.txt", PARTNER, "PUT", name)
    if allowed:
        assert r.status == 204 and r.get("Access-Control-Allow-Headers") == name, \
            f"an echo of {length} bytes is refused: {r.status}"
    else:
        assert_refused(r)


def test_long_request_method_refused_and_logged_bounded(srv):
    mark = srv.log_mark()
    assert_refused(srv.preflight("/h/exact/static.txt", PARTNER, "X" * 6000))
    assert_refused(srv.preflight("/h/exact/static.txt", PARTNER, ""))
    assert_refused(srv.preflight("/h/exact/static.txt", PARTNER, "P@T"))
    assert_log_lines_bounded(srv, mark)
    assert_up(srv)


def test_no_bare_star_echoed_with_credentials(srv):
    # Contract: Access-Control-Allow-Headers is "never a bare `*` where credentials are on";
    # the same holds for -Allow-Methods. A preflight asking for a header or method literally
    # named "*" must be refused or answered without a "*" element.
    for method, headers in (("PUT", "*"), ("PUT", "X-A, *"), ("*", None)):
        r = srv.preflight("/h/credstar/static.txt", PARTNER, method, headers)
        if r.status == 204:
            assert "*" not in r.tokens("Access-Control-Allow-Headers"), r
            assert "*" not in r.tokens("Access-Control-Allow-Methods"), r
            assert r.all("Access-Control-Allow-Origin") == [PARTNER], r
        else:
            assert_refused(r)
    r = srv.preflight("/h/credstar/static.txt", PARTNER, "PATCH", "X-A, Content-Type")
    assert r.status == 204 and r.tokens("Access-Control-Allow-Headers") == ["x-a", "content-type"], r


# -- shapes of Origin

def test_several_origin_lines_refused(srv):
    for origins in ([PARTNER, PARTNER], [PARTNER, "https://evil.test"], ["https://evil.test", PARTNER]):
        assert_refused(srv.get("/h/exact/static.txt", origins))
        assert_refused(srv.get("/h/star/static.txt", origins))
    assert_up(srv)


@pytest.mark.parametrize("origin", [
    b"https://b\xc3\xbccher.example",          # raw UTF-8
    b"https://partner.example\xc2\xa0",         # trailing no-break space
    b"https://\xff\xfe.example",                # not UTF-8 at all
    b"https://b%C3%BCcher.example",             # percent-encoded
    b"https://partner%2eexample",
    b"https://partner.example%00",
], ids=["utf8", "nbsp", "latin1", "pct-idn", "pct-dot", "pct-nul"])
def test_non_ascii_and_percent_encoded_hosts_refused(srv, origin):
    for scope in ("exact", "star", "php", "wild"):
        assert_refused(srv.get(f"/h/{scope}/static.txt", headers=[("Origin", origin)]))
    assert_up(srv)


def test_idn_punycode_allowed_by_exact_rule(srv):
    assert_allowed(srv.get("/h/exact/static.txt", IDN), IDN, credentials=True)
    assert_allowed(srv.get("/h/exact/static.txt", "https://XN--BCHER-KVA.example"),
                   "https://XN--BCHER-KVA.example", credentials=True)
    assert_refused(srv.get("/h/exact/static.txt", "https://xn--bcher-kvb.example"))


def test_upper_case_scheme_and_host_allowed_and_echoed_as_sent(srv):
    for origin in ("HTTPS://PARTNER.EXAMPLE", "Https://Partner.Example", "HTTPS://partner.example:443"):
        assert_allowed(srv.get("/h/exact/static.txt", origin), origin, credentials=True)


def test_trailing_dot_is_another_origin(srv):
    assert_refused(srv.get("/h/exact/static.txt", "https://partner.example."))
    assert_refused(srv.get("/h/php/static.txt", "https://partner.example."))
    assert_refused(srv.get("/h/exact/static.txt", "https://partner.example.."))


def test_explicit_default_port_equals_none(srv):
    assert_allowed(srv.get("/h/exact/static.txt", "https://partner.example:443"),
                   "https://partner.example:443", credentials=True)
    for origin in ("https://partner.example:8443", "https://partner.example:0443", "https://partner.example:",
                   "http://partner.example:443", "https://partner.example:65979"):
        assert_refused(srv.get("/h/exact/static.txt", origin))


def test_null_only_where_listed(srv):
    for scope in ("exact", "star", "php", "wild", "redos"):
        assert_refused(srv.get(f"/h/{scope}/static.txt", "null"))
    r = srv.get("/h/null/static.txt", "null")
    assert_allowed(r, "null")
    for origin in ("NULL", "Null", "nul", "null.", "null null", "https://null"):
        assert_refused(srv.get("/h/null/static.txt", origin))


def test_obs_fold_and_control_bytes_never_allowed(srv):
    cases = [
        b"Origin: https://partner.example\r\n .evil.test\r\n",      # obs-fold continuation
        b"Origin: https://partner.example\x01\r\n",
        b"Origin: https://partner.example\x00.evil.test\r\n",
        b"Origin: https://partner.example\r.evil.test\r\n",
        b"Origin:\thttps://partner.example\t\r\n",                # tabs around the value: OWS
    ]
    for line in cases:
        data = (b"GET /h/exact/static.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n" + line +
                b"Connection: close\r\n\r\n")
        r = raw_request(srv.port, data)
        assert r.status < 500, (line, str(r))
        if line.startswith(b"Origin:\t"):
            assert_allowed(r, PARTNER, credentials=True)       # httpd strips OWS: the plain origin
        else:
            assert not r.has("Access-Control-Allow-Origin"), (line, str(r))
    assert_up(srv)


# -- a pattern that backtracks catastrophically

CRAFTED = [
    "https://" + "a" * 60 + "!",                     # invalid origin: the pattern never runs
    "https://" + "a" * 60 + "-.partner.example",     # valid: the pattern backtracks
    "https://" + "a" * 40 + ".partner.example.evil",
]


@pytest.mark.parametrize("origin", CRAFTED, ids=["invalid-bang", "hyphen", "suffix"])
def test_catastrophic_pattern_answered_quickly(srv, origin):
    start = time.monotonic()
    r = srv.get("/h/redos/static.txt", origin)
    elapsed = time.monotonic() - start
    assert elapsed < HANG_GUARD, f"{elapsed:.1f}s"
    assert_refused(r)
    assert_allowed(srv.get("/h/redos/static.txt", "https://aaa.partner.example"), "https://aaa.partner.example")


def test_catastrophic_pattern_reports_the_match_limit(srv):
    r = srv.get("/h/redos-pass/env.php", CRAFTED[1])
    assert r.status == 200, r
    env = r.json()
    assert (env["CORS_ALLOWED"], env["CORS_REASON"]) == ("0", "pattern match limit exceeded"), env
    assert not r.has("Access-Control-Allow-Origin"), r


def test_catastrophic_pattern_repeated(srv):
    start = time.monotonic()
    for _ in range(30):
        assert srv.get("/h/redos/static.txt", CRAFTED[1]).status == 403
    elapsed = time.monotonic() - start
    assert elapsed < 6 * HANG_GUARD, f"30 requests took {elapsed:.1f}s"
    assert_up(srv)


def test_pattern_matches_without_jit(srv):
    # Where PCRE2's JIT is not used (a platform without JIT, execmem denied by SELinux or
    # systemd's MemoryDenyWriteExecute, or the pattern's own (*NO_JIT)), the interpreter
    # must still match: PHP's preg_match() matches this pattern.
    assert_allowed(srv.get("/h/nojit/static.txt", PARTNER), PARTNER)
    assert_refused(srv.get("/h/nojit/static.txt", "https://evil.test"))


# -- the bypass shapes of the CORS misconfiguration research

BYPASSES = [
    "https://partner.example.evil.test",
    "https://evilpartner.example",
    "https://partner.example%60.evil.test",
    "https://partner.example_.evil.test",
    "https://partner.example@evil.test",
    "https://evil.test@partner.example",
    "https://evil.test/partner.example",
    "https://evil.test/.partner.example",
    "https://evil.test?.partner.example",
    "https://evil.test#.partner.example",
    "https://evil.test\\.partner.example",
    "https://partner.example.",
    "https://partner.examplee",
    "https://partner.exampl",
    "https://evil-partner.example",
    "http://partner.example",
    "https://partner.example:444",
    "https:/partner.example",
    "https//partner.example",
    "partner.example",
    "https://partner.example/",
    "https://partner.example.evil.test/.partner.example",
    "https://partner.example%2eevil.test",
    "null",
]


@pytest.mark.parametrize("scope", ["exact", "wild", "php"])
def test_bypass_shapes_refused(srv, scope):
    legit = "https://www.partner.example" if scope == "wild" else PARTNER
    for origin in BYPASSES + (["https://partner.example"] if scope == "wild" else []):
        r = srv.get(f"/h/{scope}/static.txt", origin)
        assert r.status == 403, (origin, str(r))
        assert_refused(r)
        # the preflight shape too
        p = srv.preflight(f"/h/{scope}/static.txt", origin, "POST")
        assert p.status == 403 and not [n for n, _ in p.cors_headers() if n.startswith("access-control-allow")], \
            (origin, str(p))
    assert_allowed(srv.get(f"/h/{scope}/static.txt", legit), legit, credentials=scope == "exact")
    assert_up(srv)


def test_no_crash_logged(srv):
    assert_up(srv)
    assert_no_crash(srv)
