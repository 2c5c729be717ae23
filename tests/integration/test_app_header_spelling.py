"""The application's own Access-Control-* headers, in any spelling, in either header table.

Header names are case-insensitive (RFC 9110, 5.1): `header('access-control-allow-origin: *')`
in PHP (mod_php and php-fpm alike), a `Header always set` line of mod_headers in lower case
(err_headers_out) or in odd case (headers_out) are the application's headers as much as the
canonical spelling, and are removed under CORSOverrideAppHeaders On; with it Off they are kept
and the module adds no second header of the same name. Guards the mutation of issue 20 that
compared the names case-sensitively (every other test writes them in canonical case).
"""
from urllib.parse import urlencode

import pytest

from harness import assert_allowed, assert_refused

ALLOWED = "https://app.example.com"
FOREIGN = "https://evil.example"

SPELLINGS = {
    "lower-allow-origin": "access-control-allow-origin: *",
    "upper-allow-credentials": "ACCESS-CONTROL-ALLOW-CREDENTIALS: true",
    "mixed-expose-headers": "Access-control-Expose-Headers: X-Secret",
    "odd-allow-methods": "aCCESS-cONTROL-aLLOW-mETHODS: PUT, DELETE",
    "lower-allow-headers": "access-control-allow-headers: x-anything",
    "lower-max-age": "access-control-max-age: 86400",
    "lower-private-network": "access-control-allow-private-network: true",
}


def spelled(scope: str, *lines: str, status: int = 200) -> str:
    return f"/p/{scope}/spelled.php?" + urlencode([("h[]", line) for line in lines] + [("status", status)])


def app_values(resp, line):
    name, _, value = line.partition(": ")
    return [v for n, v in resp.headers if n.lower() == name.lower() and v == value]


@pytest.mark.parametrize("name", list(SPELLINGS))
def test_app_header_in_any_case_is_removed(core, name):
    line = SPELLINGS[name]
    r = core.get(spelled("exact", line), ALLOWED)
    assert_allowed(r, ALLOWED)
    assert app_values(r, line) == [], r
    assert r.all("Access-Control-Expose-Headers") == ["X-Total-Count, X-Request-Id"], r
    names = [n.lower() for n, _ in r.cors_headers()]
    assert len(names) == len(set(names)), f"a CORS header twice: {r}"


def test_every_spelling_at_once_leaves_the_modules_answer_only(core):
    r = core.get(spelled("exact", *SPELLINGS.values()), ALLOWED)
    assert sorted(r.cors_headers()) == [("access-control-allow-origin", ALLOWED),
                                        ("access-control-expose-headers", "X-Total-Count, X-Request-Id")], r


@pytest.mark.parametrize("origin", [None, FOREIGN], ids=["no-origin", "refused-origin-report"])
def test_app_header_in_any_case_is_removed_without_an_allowed_origin(core, origin):
    scope = "exact" if origin is None else "reject-off"
    r = core.get(spelled(scope, *SPELLINGS.values()), origin)
    assert r.status == 200 and r.cors_headers() == [], r


@pytest.mark.parametrize("status", [404, 500])
def test_app_header_in_any_case_is_removed_on_an_error_status(core, status):
    r = core.get(spelled("exact", SPELLINGS["lower-allow-origin"], status=status), ALLOWED)
    assert_allowed(r, ALLOWED, status=status)


def test_app_vary_in_any_case_is_merged(core):
    r = core.get(spelled("exact", "vary: ORIGIN, accept-encoding"), ALLOWED)
    assert_allowed(r, ALLOWED)
    assert sorted(r.tokens_lower("Vary")) == ["accept-encoding", "origin"], r


def test_app_header_in_any_case_kept_with_override_off(core):
    """CORSOverrideAppHeaders Off: the application's lower-case ACAO stays, and is the only one."""
    r = core.get(spelled("override-off", SPELLINGS["lower-allow-origin"]), ALLOWED)
    assert r.status == 200, r
    assert r.all("Access-Control-Allow-Origin") == ["*"], r


def test_mod_headers_lines_in_any_case_are_replaced(core):
    """`Header always set access-control-allow-origin` (err_headers_out, lower case) and
    `Header set aCCESS-cONTROL-aLLOW-mETHODS` (headers_out)."""
    r = core.get("/p/headers-case/api.php", ALLOWED)
    assert_allowed(r, ALLOWED)
    assert r.cors_headers() == [("access-control-allow-origin", ALLOWED)], r
    assert r.tokens_lower("Vary") == ["origin"], r


def test_mod_headers_lines_in_any_case_removed_on_refusal(core):
    r = core.get("/p/headers-case/api.php", FOREIGN)
    assert_refused(r)
    assert r.cors_headers() == [], r
