"""mod_proxy_http to an application server that sets its own CORS headers (ACAO *, credentials,
methods), with mod_cache in front (disk, quick handler On and Off): guards against the backend's
headers going out next to (or instead of) the module's, and a cached backend answer served to
another origin or to a stranger."""
import pytest

from conftest import PARTNER_A, POLICY, STRANGER, assert_allowed_actual, cache_sequence, refused, start_server
from harness import ServerSpec


def proxy_spec(quick: str) -> ServerSpec:
    return ServerSpec(php=None, app_dirs=(), modules=("cache", "cache_disk"), body=f"""
CacheEnable disk /
CacheRoot "${{IT_STATE}}"
CacheQuickHandler {quick}
CacheHeader on

<Location "/api/">
    ProxyPass "http://127.0.0.1:${{IT_BACKEND_PORT}}/api/"
{POLICY}
</Location>
""")


@pytest.fixture(scope="module", params=["On", "Off"], ids=lambda q: f"quick{q}")
def proxied(request, caching_backend, cors_module):
    return start_server(request, proxy_spec(request.param), caching_backend)


def test_cached_backend_answer(proxied, caching_backend, rid):
    path = f"/api/items?id={rid}"
    cache_sequence(lambda origin: proxied.get(path, origin), lambda r: "hit" in (r.get("X-Cache") or "").lower(),
                   lambda: caching_backend.reached(rid))


def test_backend_headers_replaced(proxied, rid):
    r = proxied.get(f"/api/other?id={rid}", PARTNER_A)
    assert_allowed_actual(r, PARTNER_A)
    assert r.get("X-Backend") == "python", r
    assert r.tokens_lower("Vary").count("accept-encoding") == 1, r


def test_stranger_never_reaches_the_backend(proxied, caching_backend, rid):
    refused(proxied.request("POST", f"/api/items?id={rid}", STRANGER, body=b"{}"))
    assert caching_backend.reached(rid) == []


def test_preflight_answered_by_httpd(proxied, caching_backend, rid):
    r = proxied.preflight(f"/api/items?id={rid}", PARTNER_A, "DELETE")
    assert r.status == 204 and r.all("Access-Control-Allow-Origin") == [PARTNER_A], r
    assert caching_backend.reached(rid) == []
