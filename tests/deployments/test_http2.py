"""HTTP/2 over TLS (mod_http2, event MPM, php-fpm) with mod_cache (disk, quick handler on):
guards against answers that differ from HTTP/1.1's on h2 (lower-case header names, the
h2 stream's own filters) and against a cached answer served over h2 to another origin."""
import pytest

from conftest import APP, APP_POLICY, PARTNER_A, STRANGER, assert_allowed_actual, cache_sequence, no_origin, refused, start_server
from harness import ServerSpec, curl_request

BODY = f"""
CacheEnable disk /
CacheRoot "${{IT_STATE}}"
CacheQuickHandler On
CacheHeader on

{APP_POLICY}
"""


@pytest.fixture(scope="module")
def h2(request, cors_module):
    return start_server(request, ServerSpec(mpm="event", php="fpm", tls=True, app_source=APP,
                                            modules=("cache", "cache_disk"), body=BODY))


def h2_get(h2, path, origin=None, headers=(), method="GET", body=None):
    lines = ([("Origin", origin)] if origin else []) + list(headers)
    r = curl_request(h2.url(path, tls=True), method, lines, body)
    assert r.version == "HTTP/2", r
    return r


@pytest.mark.parametrize("http2", [True, False], ids=["h2", "http1.1"])
def test_same_answers_as_http1(h2, http2):
    url = h2.url("/app/api.php", tls=True)
    assert_allowed_actual(curl_request(url, headers=[("Origin", PARTNER_A)], http2=http2), PARTNER_A)
    refused(curl_request(url, headers=[("Origin", STRANGER)], http2=http2))
    no_origin(curl_request(url, http2=http2))


def test_cached_answer_over_h2(h2, rid):
    cache_sequence(lambda origin: h2_get(h2, f"/app/cached.php?id={rid}", origin),
                   lambda r: "hit" in (r.get("X-Cache") or "").lower(), lambda: h2.reached(rid))


def test_preflight_over_h2(h2, rid):
    r = h2_get(h2, f"/app/record.php?id={rid}", PARTNER_A, method="OPTIONS",
               headers=[("Access-Control-Request-Method", "PUT"), ("Access-Control-Request-Headers", "content-type")])
    assert r.status == 204 and r.all("Access-Control-Allow-Origin") == [PARTNER_A], r
    assert "PUT" in r.tokens("Access-Control-Allow-Methods"), r
    assert h2.reached(rid) == []


def test_same_origin_post_over_h2(h2, rid):
    r = h2_get(h2, f"/app/record.php?id={rid}", f"https://localhost:{h2.tls_port}", method="POST", body=b"a=1",
               headers=[("Host", f"localhost:{h2.tls_port}")])
    assert r.status == 200 and not r.has("Access-Control-Allow-Origin"), r
    assert h2.reached(rid) == ["POST"]


def test_php_star_replaced_over_h2(h2):
    r = h2_get(h2, "/app/appcors.php", PARTNER_A)
    assert_allowed_actual(r, PARTNER_A)
