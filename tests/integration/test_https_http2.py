"""An HTTPS virtual host: same-origin detection uses the https scheme and the port; over
HTTP/2 (event MPM) the answers are the same as over HTTP/1.1."""
import pytest

from conftest import MPMS, MPM_IDS, start_server
from harness import PHP_FATAL_LOG, PREFLIGHT_VARY, assert_allowed, assert_refused, curl_request
import policies
from policies import ALLOWED, FOREIGN


@pytest.fixture(scope="module", params=MPMS, ids=MPM_IDS.get)
def tls(request, backend, cors_module):
    return start_server(request, policies.core_spec(request.param, tls=True), backend)


@pytest.fixture(scope="module")
def h2(backend, cors_module, request):
    return start_server(request, policies.core_spec("event", tls=True), backend)


@pytest.mark.parametrize("origin,host", [
    ("https://127.0.0.1:{tls}", "127.0.0.1:{tls}"),
    ("https://localhost:{tls}", "localhost:{tls}"),
])
def test_https_same_origin(tls, origin, host):
    r = tls.request("POST", "/p/exact/env.php", origin.format(tls=tls.tls_port),
                    host=host.format(tls=tls.tls_port), body=b"", tls=True)
    assert r.status == 200 and not r.has("Access-Control-Allow-Origin"), r
    assert r.json()["CORS_REQUEST"] == "same-origin"


@pytest.mark.parametrize("origin", ["http://127.0.0.1:{tls}", "https://127.0.0.1",
                                    "https://127.0.0.1:{plain}", "https://localhost:{tls}"])
def test_https_other_origins_are_cross_origin(tls, origin):
    origin = origin.format(tls=tls.tls_port, plain=tls.port)
    assert_refused(tls.request("POST", "/p/exact/env.php", origin, body=b"", tls=True))


def test_https_allowed_origin(tls):
    assert_allowed(tls.get("/p/exact/api.php", ALLOWED, tls=True), ALLOWED)


# -- HTTP/2 gives the same answers as HTTP/1.1

H2_CASES = {
    "allowed": ("GET", "/p/exact/api.php", [("Origin", ALLOWED)]),
    "refused": ("GET", "/p/exact/api.php", [("Origin", FOREIGN)]),
    "no-origin": ("GET", "/p/exact/api.php", []),
    "several-origins": ("GET", "/p/exact/api.php", [("Origin", ALLOWED), ("Origin", ALLOWED)]),
    "credentials": ("GET", "/p/cred/api.php", [("Origin", ALLOWED)]),
    "star": ("GET", "/p/star/api.php", [("Origin", "https://any.example")]),
    "app-star-replaced": ("GET", "/p/exact/star.php", [("Origin", ALLOWED)]),
    "vary-merged": ("GET", "/p/exact/vary.php", [("Origin", ALLOWED)]),
    "preflight": ("OPTIONS", "/p/exact/api.php", [("Origin", ALLOWED), ("Access-Control-Request-Method", "PUT"),
                                                  ("Access-Control-Request-Headers", "X-Custom-Header")]),
    "preflight-bad-method": ("OPTIONS", "/p/exact/api.php", [("Origin", ALLOWED),
                                                             ("Access-Control-Request-Method", "put")]),
    "preflight-auth": ("OPTIONS", "/p/auth/api.php", [("Origin", ALLOWED), ("Access-Control-Request-Method", "PUT")]),
    "401": ("GET", "/p/auth/api.php", [("Origin", ALLOWED)]),
    "404": ("GET", "/p/exact/missing.html", [("Origin", ALLOWED)]),
    "500": ("GET", "/p/exact/fatal.php", [("Origin", ALLOWED)]),
    "errdoc": ("GET", "/p/errdoc/api.php", [("Origin", FOREIGN)]),
    "proxy": ("GET", "/proxy/h2", [("Origin", ALLOWED)]),
}


def cors_view(r):
    """What must not differ between protocols: status, Access-Control-* headers, Vary tokens."""
    return r.status, sorted(r.cors_headers()), sorted(r.tokens_lower("Vary"))


@pytest.mark.parametrize("case", H2_CASES)
def test_http2_same_answer_as_http1(h2, case, expect_log):
    if case == "500":
        expect_log(PHP_FATAL_LOG)
    method, path, headers = H2_CASES[case]
    one = curl_request(h2.url(path, tls=True), method, headers, http2=False)
    two = curl_request(h2.url(path, tls=True), method, headers, http2=True)
    assert one.version == "HTTP/1.1" and two.version == "HTTP/2", (one, two)
    assert cors_view(two) == cors_view(one), (one, two)
    assert len(two.all("Access-Control-Allow-Origin")) <= 1, two


def test_http2_preflight_answer(h2):
    method, path, headers = H2_CASES["preflight"]
    r = curl_request(h2.url(path, tls=True), method, headers)
    assert r.status == 204 and r.get("access-control-allow-origin") == ALLOWED, r
    assert "x-custom-header" in r.tokens_lower("access-control-allow-headers"), r
    assert all(t in r.tokens_lower("vary") for t in PREFLIGHT_VARY), r


def test_http2_errdoc_body(h2):
    r = curl_request(h2.url("/p/errdoc/api.php", tls=True), "GET", [("Origin", FOREIGN)])
    assert r.status == 403 and "custom refusal text" in r.text, r


def test_http2_same_origin(h2):
    r = curl_request(h2.url("/p/exact/env.php", tls=True), "POST",
                     [("Origin", f"https://127.0.0.1:{h2.tls_port}")], body=b"a=1")
    assert r.status == 200 and r.json()["CORS_REQUEST"] == "same-origin", r


def test_http2_cross_origin_on_same_host_other_scheme(h2):
    # No request body: when httpd answers (any 403) while curl still sends one, curl may
    # report "Stream error in the HTTP/2 framing layer", with or without mod_cors.
    r = curl_request(h2.url("/p/exact/env.php", tls=True), "POST",
                     [("Origin", f"http://127.0.0.1:{h2.tls_port}")])
    assert_refused(r)
