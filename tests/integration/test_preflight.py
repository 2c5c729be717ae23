"""Preflights: allowed, failed by origin, method or header; methods, headers, max-age,
private network, authentication, CORSPreflight Pass, OPTIONS that is not a preflight."""
import pytest

from harness import PREFLIGHT_VARY, WRONG_PASSWORD_LOG, assert_allowed, assert_refused, unique_id
from policies import ALLOWED, FOREIGN


def assert_preflight_ok(r, origin=ALLOWED, method=None, headers=()):
    assert r.status == 204, r
    assert r.body == b"", r
    assert r.all("Access-Control-Allow-Origin") == [origin], r
    if method:
        assert method in r.tokens("Access-Control-Allow-Methods"), r
    for name in headers:
        assert name.lower() in r.tokens_lower("Access-Control-Allow-Headers"), r
    for echoed in ("Access-Control-Allow-Methods", "Access-Control-Allow-Headers"):
        assert "*" not in r.tokens(echoed), r   # the request is echoed, never a bare *
    for token in (PREFLIGHT_VARY if origin != "*" else []):
        assert token in r.tokens_lower("Vary"), r


def assert_preflight_failed(r):
    assert_refused(r)
    for token in PREFLIGHT_VARY:
        assert token in r.tokens_lower("Vary"), r


def test_allowed_preflight_is_answered_by_module(core):
    rid = unique_id()
    r = core.preflight(f"/p/exact/record.php?id={rid}", ALLOWED, "PUT", "X-Custom-Header, Content-Type")
    assert_preflight_ok(r, method="PUT", headers=("X-Custom-Header", "Content-Type"))
    assert r.get("Access-Control-Max-Age") == "600"
    assert core.reached(rid) == []


@pytest.mark.parametrize("scope,origin,method,request_headers,allowed", [
    ("exact", ALLOWED, "DELETE", None, True),
    ("exact", ALLOWED, "put", None, False),             # method tokens are case-sensitive
    ("exact", ALLOWED, "PATCH", None, False),
    ("exact", ALLOWED, "", None, False),                # empty Access-Control-Request-Method
    ("exact", ALLOWED, "GET", "x-custom-header", True),  # header names: case-insensitive
    ("exact", ALLOWED, "GET", "X-CUSTOM-HEADER,content-type", True),
    ("exact", ALLOWED, "GET", "X-Custom-Header,,Content-Type", True),  # empty elements skipped
    ("exact", ALLOWED, "GET", "", True),                # empty Access-Control-Request-Headers
    ("exact", ALLOWED, "GET", "X-Not-Allowed", False),
    ("exact", ALLOWED, "GET", "X-Custom-Header, X-Not-Allowed", False),
    ("exact", ALLOWED, "GET", "X Custom", False),       # not a token
    ("exact", ALLOWED, "GET", "Authorization", False),
    ("exact", FOREIGN, "PUT", None, False),
    ("exact", FOREIGN, "GET", None, False),
    ("wild", "https://a.example.com", "GET", None, True),   # CORS-safelisted methods
    ("wild", "https://a.example.com", "HEAD", None, True),
    ("wild", "https://a.example.com", "POST", None, True),
    ("wild", "https://a.example.com", "PUT", None, False),  # default CORSAllowMethods
    ("wild", "https://a.example.com", "post", None, False),
    ("star", "https://any.example", "PATCH", "X-Anything, X-Other", True),
    ("star", "https://any.example", "put", None, True),
    ("star", "https://any.example", "GET", "Authorization", False),  # * does not cover it
    ("star", "https://any.example", "GET", "X-Foo, authorization", False),
    ("starauth", "https://any.example", "GET", "Authorization, X-Foo", True),
    ("auth", FOREIGN, "PUT", None, False),              # 403, not 401
    ("reject-off", FOREIGN, "GET", None, False),        # CORSReject Off: preflights still fail
    ("pass", ALLOWED, "PATCH", None, False),            # CORSPreflight Pass: failures too
    ("pass", FOREIGN, "PUT", None, False),
])
def test_preflight_decision(core, scope, origin, method, request_headers, allowed):
    rid = unique_id()
    r = core.preflight(f"/p/{scope}/record.php?id={rid}", origin, method, request_headers)
    if allowed:
        expected_origin = "*" if scope.startswith("star") else origin
        names = [h.strip() for h in (request_headers or "").split(",") if h.strip()]
        assert_preflight_ok(r, expected_origin, method, names)
    else:
        assert_preflight_failed(r)
    assert core.reached(rid) == []


def test_failed_preflight_body_and_headers(core):
    r = core.preflight("/p/exact/api.php", ALLOWED, "PATCH")
    assert r.status == 403
    assert r.cors_headers() == [], r


def test_preflight_allow_headers_never_bare_star_with_credentials(core):
    r = core.preflight("/p/cred/api.php", ALLOWED, "GET", "X-Foo, X-Bar")
    assert_preflight_ok(r, method="GET", headers=("X-Foo", "X-Bar"))
    assert "*" not in r.tokens("Access-Control-Allow-Headers"), r
    assert r.get("Access-Control-Allow-Credentials") == "true"


def test_preflight_request_headers_on_several_lines(core):
    r = core.request("OPTIONS", "/p/exact/api.php", ALLOWED, [
        ("Access-Control-Request-Method", "PUT"),
        ("Access-Control-Request-Headers", "X-Custom-Header"),
        ("Access-Control-Request-Headers", "Content-Type")])
    assert_preflight_ok(r, method="PUT", headers=("X-Custom-Header", "Content-Type"))


def test_preflight_to_missing_resource_is_answered(core):
    assert_preflight_ok(core.preflight("/p/exact/missing.html", ALLOWED, "PUT"), method="PUT")


def test_preflight_under_star_with_expose_star(core):
    r = core.preflight("/p/starauth/api.php", "https://any.example", "GET", "Authorization")
    assert_preflight_ok(r, "*", "GET", ("Authorization",))
    assert r.tokens("Access-Control-Expose-Headers") == ["*"], r


def request_header_list(total_length: int) -> str:
    names, length = [], 0
    while length < total_length:
        names.append(f"x-h{len(names):05d}")
        length = len(", ".join(names))
    return ", ".join(names)


@pytest.mark.parametrize("length,allowed", [(1000, True), (3000, False)])
def test_allow_headers_echo_is_bounded(core, length, allowed):
    r = core.preflight("/p/star/api.php", "https://any.example", "GET", request_header_list(length))
    if allowed:
        assert r.status == 204 and len(r.tokens("Access-Control-Allow-Headers")) > 50, r
    else:
        assert_preflight_failed(r)


def test_preflight_without_requested_headers_has_no_allow_headers(core):
    r = core.preflight("/p/exact/api.php", ALLOWED, "PUT")
    assert_preflight_ok(r, method="PUT")
    assert not r.has("Access-Control-Allow-Headers"), r


@pytest.mark.parametrize("scope,expected", [("exact", "600"), ("wild", "0"), ("cred", None)])
def test_max_age(core, scope, expected):
    origin = "https://a.example.com" if scope == "wild" else ALLOWED
    r = core.preflight(f"/p/{scope}/api.php", origin, "GET")
    assert r.status == 204, r
    assert r.get("Access-Control-Max-Age") == expected


def test_preflight_only_headers_absent_on_actual_requests(core):
    r = core.get("/p/exact/api.php", ALLOWED)
    assert_allowed(r, ALLOWED)
    for name in ("Access-Control-Allow-Methods", "Access-Control-Allow-Headers", "Access-Control-Max-Age"):
        assert not r.has(name), r


PRIVATE_NETWORK = [("Access-Control-Request-Private-Network", "true")]


def test_private_network_allowed(core):
    r = core.preflight("/p/pn/api.php", ALLOWED, "GET", headers=PRIVATE_NETWORK)
    assert_preflight_ok(r, method="GET")
    assert r.get("Access-Control-Allow-Private-Network") == "true"


def test_private_network_not_asked(core):
    r = core.preflight("/p/pn/api.php", ALLOWED, "GET")
    assert_preflight_ok(r, method="GET")
    assert not r.has("Access-Control-Allow-Private-Network")


def test_private_network_off_still_answers_without_the_header(core):
    r = core.preflight("/p/exact/api.php", ALLOWED, "GET", headers=PRIVATE_NETWORK)
    assert_preflight_ok(r, method="GET")
    assert not r.has("Access-Control-Allow-Private-Network")


# -- authentication: preflights carry no credentials

def test_preflight_to_protected_location_gets_204_not_401(core):
    r = core.preflight("/p/auth/api.php", ALLOWED, "PUT")
    assert_preflight_ok(r, method="PUT")


def test_preflight_to_denied_location_gets_204(core):
    assert_preflight_ok(core.preflight("/p/denied/api.php", ALLOWED, "GET"), method="GET")


def test_preflight_to_redirecting_location_gets_the_decorated_redirect(core):
    """`Redirect` in the CORS <Location> acts at translate_name, before the module decides
    (behaviour.md): the preflight gets that redirect, with the CORS headers decided late.
    Browsers refuse a redirected preflight: keep OPTIONS out of redirects."""
    r = core.preflight("/p/moved/api.php", ALLOWED, "GET")
    assert r.status == 301, r
    assert r.all("Access-Control-Allow-Origin") == [ALLOWED]
    assert "Origin" in r.tokens("Vary")
    assert r.all("Access-Control-Allow-Methods") == ["GET"]


def test_actual_request_to_protected_location_still_401(core):
    r = core.request("PUT", "/p/auth/api.php", ALLOWED, body=b"{}")
    assert_allowed(r, ALLOWED, status=401)
    assert r.has("WWW-Authenticate")


@pytest.mark.expect_log(WRONG_PASSWORD_LOG)
def test_actual_request_with_wrong_password_401(core):
    assert_allowed(core.get("/p/auth/api.php", ALLOWED, auth=("alice", "nope")), ALLOWED, status=401)


def test_actual_request_with_credentials_200(core):
    r = core.get("/p/auth/api.php", ALLOWED, auth=("alice", "wonderland"))
    assert_allowed(r, ALLOWED)
    assert r.json()["method"] == "GET"


# -- OPTIONS that is not a preflight goes to the application

def test_options_without_request_method_reaches_php(core):
    rid = unique_id()
    r = core.request("OPTIONS", f"/p/exact/record.php?id={rid}", ALLOWED)
    assert_allowed(r, ALLOWED)
    assert core.reached(rid) == ["OPTIONS"]


def test_options_without_origin_reaches_php(core):
    rid = unique_id()
    r = core.request("OPTIONS", f"/p/exact/record.php?id={rid}",
                     headers=[("Access-Control-Request-Method", "PUT")])
    assert r.status == 200 and not r.has("Access-Control-Allow-Methods"), r
    assert core.reached(rid) == ["OPTIONS"]


# -- CORSPreflight Pass

def test_pass_sends_allowed_preflight_to_php_with_cors_headers(core):
    rid = unique_id()
    r = core.preflight(f"/p/pass/record.php?id={rid}", ALLOWED, "PUT")
    assert core.reached(rid) == ["OPTIONS"]
    assert r.status == 200 and r.text.startswith("recorded"), r
    assert r.all("Access-Control-Allow-Origin") == [ALLOWED], r
    assert "PUT" in r.tokens("Access-Control-Allow-Methods"), r
    for token in PREFLIGHT_VARY:
        assert token in r.tokens_lower("Vary"), r


def test_pass_preflight_environment(core):
    env = core.preflight("/p/pass/env.php", ALLOWED, "PUT").json()
    assert (env["CORS_REQUEST"], env["CORS_ORIGIN"], env["CORS_ALLOWED"]) == ("preflight", ALLOWED, "1")
