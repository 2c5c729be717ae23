"""Headers on actual responses: credentials, *, expose headers, Vary, headers the application
or a proxied backend set, error statuses, ErrorDocument, requests that never reach PHP."""
import pytest

from harness import DENIED_LOG, PHP_FATAL_LOG, PHP_MISSING_LOG, assert_allowed, assert_refused, unique_id
from policies import ALLOWED, FOREIGN


# -- credentials and *

def test_credentials_echo_origin_and_allow_credentials(core):
    r = core.get("/p/cred/api.php", ALLOWED)
    assert_allowed(r, ALLOWED, credentials=True)
    assert r.tokens("Access-Control-Expose-Headers") == ["X-Total-Count"]


def test_credentials_refused_origin_gets_nothing(core):
    assert_refused(core.get("/p/cred/api.php", FOREIGN))


def test_star_meeting_credentials_through_merge_matches_nothing(core):
    # in the main configuration apache2 -t refuses it (test_policy_view.py); an .htaccess file
    # is read per request
    mark = core.log_mark()
    assert_refused(core.get("/ht-credstar/api.php", "https://any.example"))
    assert_refused(core.get("/ht-credstar/api.php", ALLOWED))
    assert core.wait_log(mark, r"cors:info.*CORS00101: .*not allowed with credentials")


def test_star_without_origin_still_sends_star_and_no_vary(core):
    r = core.get("/p/star/api.php")
    assert r.status == 200
    assert r.all("Access-Control-Allow-Origin") == ["*"], r
    assert "origin" not in r.tokens_lower("Vary"), r


# -- expose headers

def test_expose_headers_on_allowed_actual(core):
    r = core.get("/p/exact/api.php", ALLOWED)
    assert_allowed(r, ALLOWED)
    assert r.tokens("Access-Control-Expose-Headers") == ["X-Total-Count", "X-Request-Id"], r


@pytest.mark.parametrize("origin", [None, FOREIGN])
def test_no_expose_headers_without_allowed_origin(core, origin):
    assert not core.get("/p/exact/api.php", origin).has("Access-Control-Expose-Headers")


# -- Vary

@pytest.mark.parametrize("path,origin,status", [
    ("/p/exact/api.php", None, 200),
    ("/p/exact/api.php", ALLOWED, 200),
    ("/p/exact/api.php", FOREIGN, 403),
    ("/p/exact/static.txt", None, 200),
    ("/p/exact/missing.html", None, 404),
    ("/p/exact/env.php", "https://bad.example/", 403),
    ("/p/star/api.php", "null", 403),
    ("/p/reject-off/api.php", FOREIGN, 200),
])
def test_vary_origin_on_every_response_of_enabled_scope(core, path, origin, status):
    r = core.get(path, origin)
    assert r.status == status, r
    assert "origin" in r.tokens_lower("Vary"), r


@pytest.mark.parametrize("query,origin", [("", ALLOWED), ("", None), ("", FOREIGN),
                                          ("?origin=1", ALLOWED), ("?origin=1", None)])
def test_vary_merged_with_php_vary_without_duplicates(core, query, origin):
    r = core.get(f"/p/exact/vary.php{query}", origin)
    tokens = r.tokens_lower("Vary")
    assert "origin" in tokens, r
    if r.status == 200:
        assert sorted(tokens) == ["accept-encoding", "origin"], r
        assert len(r.all("Vary")) == 1, r


def test_vary_star_stays_star(core):
    r = core.get("/p/exact/vary.php?star=1", ALLOWED)
    assert r.all("Access-Control-Allow-Origin") == [ALLOWED], r
    assert r.tokens("Vary") == ["*"], r


def test_rejection_carries_vary_origin_only(core):
    r = core.get("/p/exact/api.php", FOREIGN)
    assert_refused(r)
    assert r.tokens_lower("Vary") == ["origin"], r


# -- headers the application sets

def test_app_cors_header_replaced_exactly_one_allow_origin(core):
    r = core.get("/p/exact/star.php", ALLOWED)
    assert_allowed(r, ALLOWED)
    assert not r.has("Access-Control-Allow-Methods"), r


def test_app_cors_header_removed_without_origin(core):
    r = core.get("/p/exact/star.php")
    assert r.status == 200 and r.cors_headers() == [], r


def test_app_cors_header_kept_with_override_off(core):
    r = core.get("/p/override-off/star.php", ALLOWED)
    assert r.status == 200
    assert r.all("Access-Control-Allow-Origin") == ["*"], r
    assert r.all("Access-Control-Allow-Methods") == ["GET, POST, PUT"], r
    assert "origin" in r.tokens_lower("Vary"), r


def test_override_off_module_header_when_app_sets_none(core):
    assert_allowed(core.get("/p/override-off/api.php", ALLOWED), ALLOWED)


def test_admin_headers_always_replaced_and_vary_merged(core):
    """mod_headers `Header always` writes err_headers_out, the second header table."""
    r = core.get("/p/headers-always/api.php", ALLOWED)
    assert_allowed(r, ALLOWED)
    assert sorted(r.tokens_lower("Vary")) == ["accept-language", "origin"], r
    assert r.cors_headers() == [("access-control-allow-origin", ALLOWED)], r


def test_admin_headers_always_removed_without_origin(core):
    r = core.get("/p/headers-always/api.php")
    assert r.status == 200 and r.cors_headers() == [], r


# -- every status

@pytest.mark.parametrize("path,status", [
    ("/p/exact/api.php", 200),
    ("/p/exact/missing.html", 404),
    pytest.param("/p/exact/missing.php", 404, marks=pytest.mark.expect_log(PHP_MISSING_LOG)),
    pytest.param("/p/exact/fatal.php", 500, marks=pytest.mark.expect_log(PHP_FATAL_LOG)),
    ("/p/auth/api.php", 401),
    pytest.param("/p/cred/fatal.php", 500, marks=pytest.mark.expect_log(PHP_FATAL_LOG)),
    pytest.param("/p/denied/api.php", 403, marks=pytest.mark.expect_log(DENIED_LOG)),  # not a CORS refusal
    ("/p/exact/old-api.php", 302),         # RewriteRule [R] in <Directory>
    ("/p/moved/api.php", 301),             # Redirect in the CORS <Location>
])
def test_cors_headers_on_every_status(core, path, status):
    r = core.get(path, ALLOWED)
    assert_allowed(r, ALLOWED, status=status, credentials=path.startswith("/p/cred/"))


def test_not_modified_keeps_cors_headers(core):
    first = core.get("/p/exact/static.txt", ALLOWED)
    r = core.get("/p/exact/static.txt", ALLOWED, headers=[("If-None-Match", first.get("ETag"))])
    assert_allowed(r, ALLOWED, status=304)


def test_head_request(core):
    r = core.request("HEAD", "/p/exact/api.php", ALLOWED)
    assert_allowed(r, ALLOWED)
    assert r.body == b""


def test_streamed_php_output_keeps_headers(core):
    r = core.get("/p/exact/stream.php", ALLOWED)
    assert_allowed(r, ALLOWED)
    assert r.text == "first\nsecond\n"


def test_actual_request_method_is_not_checked(core):
    r = core.request("PATCH", "/p/wild/api.php", "https://a.example.com", body=b"{}")
    assert_allowed(r, "https://a.example.com")
    assert r.json()["method"] == "PATCH"


@pytest.mark.parametrize("path,status", [("/p/exact/", 200), ("/p/errdoc404/missing.html", 404)])
def test_internal_redirect_keeps_one_decision(core, path, status):
    """DirectoryIndex and a PHP ErrorDocument: one set of headers, the original request's env."""
    r = core.get(path, ALLOWED)
    assert_allowed(r, ALLOWED, status=status)
    env = r.json()
    assert (env["CORS_REQUEST"], env["CORS_ALLOWED"]) == ("actual", "1"), env


# -- refusals

@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE", "OPTIONS"])
def test_rejected_request_never_reaches_php(core, method):
    rid = unique_id()
    body = b"a=1" if method in ("POST", "PUT") else None
    assert_refused(core.request(method, f"/p/exact/record.php?id={rid}", FOREIGN, body=body))
    assert core.reached(rid) == []


def test_allowed_request_reaches_php(core):
    rid = unique_id()
    assert_allowed(core.request("POST", f"/p/exact/record.php?id={rid}", ALLOWED, body=b"a=1"), ALLOWED)
    assert core.reached(rid) == ["POST"]


@pytest.mark.parametrize("scope,text", [("errdoc", "custom refusal text"),
                                        ("errdoc-local", "local refusal page"),
                                        ("exact", "Forbidden")])
def test_error_document_on_rejection(core, scope, text):
    r = core.get(f"/p/{scope}/api.php", FOREIGN)
    assert_refused(r)
    assert text in r.text, r


# -- a plain HTTP backend behind mod_proxy that sets its own CORS headers

def test_proxy_backend_headers_replaced(core, backend):
    rid = unique_id()
    r = core.get(f"/proxy/{rid}", ALLOWED)
    assert_allowed(r, ALLOWED)
    assert r.get("X-Backend") == "python"
    assert not r.has("Access-Control-Allow-Methods"), r
    assert sorted(r.tokens_lower("Vary")) == ["accept-encoding", "origin"], r
    assert backend.reached(rid) == ["GET"]


def test_proxy_backend_headers_removed_without_origin(core):
    r = core.get(f"/proxy/{unique_id()}")
    assert r.status == 200 and r.cors_headers() == [], r
    assert "origin" in r.tokens_lower("Vary"), r


def test_proxy_backend_404_gets_cors_headers(core):
    assert_allowed(core.get(f"/proxy/missing-{unique_id()}", ALLOWED), ALLOWED, status=404)


def test_proxy_rejected_and_preflight_never_reach_backend(core, backend):
    rid = unique_id()
    assert_refused(core.request("POST", f"/proxy/{rid}", FOREIGN, body=b"x"))
    r = core.preflight(f"/proxy/{rid}", ALLOWED, "PUT")
    assert r.status == 204 and r.all("Access-Control-Allow-Origin") == [ALLOWED], r
    assert backend.reached(rid) == []


def test_proxy_backend_headers_kept_with_override_off(core):
    r = core.get(f"/proxy-keep/{unique_id()}", ALLOWED)
    assert r.status == 200
    assert r.all("Access-Control-Allow-Origin") == ["*"], r
    assert r.all("Access-Control-Allow-Credentials") == ["true"], r
