"""The deployment suite: mod_cors inside the setups administrators run, with the real parts
(mod_cache, Varnish, nginx, php-fpm, mod_deflate/mod_brotli, mod_rewrite front controllers,
mod_http2, mod_proxy_http), every process started and stopped by tests/lib/harness.py, every
answer checked from the outside, as a browser and a cache see it.

SCENARIOS below says, one line each, which real component each file stands for and which
failure it guards against (test_scenarios.py keeps the table and the files in step).
"""
import os
import time
from pathlib import Path

import pytest

from harness import APP_DIR, Backend, Response, assert_allowed, assert_refused, unique_id  # noqa: E402
from httpd_fixtures import start_server  # noqa: E402,F401

pytest_plugins = ["httpd_fixtures"]

SCENARIOS = {
    "test_mod_cache.py": "mod_cache, disk and socache (shmcb), CacheQuickHandler On/Off, PHP and static: a stored answer served to another origin, or without the module's headers",
    "test_varnish.py": "Varnish (varnishd, built-in VCL) in front: a shared HTTP cache handing one origin's answer to another or to a stranger",
    "test_tls_proxy.py": "nginx terminating TLS, ServerName https://host:port in httpd: the site's own https pages refused as cross-origin",
    "test_front_controllers.py": "mod_rewrite front controllers (Laravel .htaccess, WordPress, Symfony <Files index.php>): routed paths decided for the wrong scope, PHP reached first",
    "test_fpm_compression.py": "php-fpm via mod_proxy_fcgi, event MPM, mod_deflate + mod_brotli: doubled or split Vary, PHP's ACAO * next to the module's",
    "test_conditional.py": "httpd's 304 (If-None-Match, If-Modified-Since) on a static file: a 304 without the 200's CORS headers, a stranger revalidating",
    "test_vhosts.py": "name-based virtual hosts on one port: one host's partners or same-origin leaking into the other's",
    "test_legacy_recipe.py": "a mod_headers 'Header always set Access-Control-*' recipe left in place: two ACAO, preflight headers on actual answers, out-of-scope answers touched",
    "test_http2.py": "mod_http2 over TLS (event, php-fpm) with mod_cache: h2 answers differing from HTTP/1.1, a cached answer served to another origin",
    "test_reverse_proxy.py": "mod_proxy_http to an application server with its own CORS headers, mod_cache in front: the backend's ACAO */credentials going out or being cached",
}

# The integration suite's test application, with this suite's own files added (a cacheable
# answer, an application setting CORS itself, a front controller, a compressible file).
APP = (str(APP_DIR), str(Path(__file__).resolve().parent / "app"))
PARTNER_A = "https://a.partner.example"
PARTNER_B = "https://b.partner.example"
STRANGER = "https://evil.example"

# The policy most scenarios put in front of the application.
POLICY = f"""    CORSEngine On
    CORSAllowOrigin {PARTNER_A} {PARTNER_B}
    CORSAllowMethods GET POST PUT DELETE
    CORSAllowHeaders Content-Type X-Requested-With
    CORSExposeHeaders X-Request-Id
    CORSMaxAge 600"""
# ... on the application's folder.
APP_POLICY = f"""<Location "/app/">
{POLICY}
</Location>"""


def vary_origin_once(resp: Response) -> None:
    """Vary names Origin exactly once, and no token twice."""
    tokens = resp.tokens_lower("Vary")
    assert tokens.count("origin") == 1, f"Vary: {resp.all('Vary')}\n{resp}"
    assert len(tokens) == len(set(tokens)), f"duplicate Vary tokens: {resp.all('Vary')}\n{resp}"


def assert_allowed_actual(resp: Response, origin: str, status: int = 200) -> None:
    """What a browser needs: the status, exactly one ACAO (this origin), no preflight header
    on an actual answer, Vary: Origin once."""
    assert_allowed(resp, origin, status)
    for name in ("access-control-allow-methods", "access-control-allow-headers", "access-control-max-age"):
        assert name not in dict(resp.cors_headers()), f"{name} on an actual answer\n{resp}"
    vary_origin_once(resp)


def refused(resp: Response, status: int = 403) -> None:
    assert_refused(resp, status)
    vary_origin_once(resp)


def no_origin(resp: Response, status: int = 200) -> None:
    """A request without Origin in an enabled scope: no ACAO, but Vary: Origin for caches."""
    assert resp.status == status, resp
    assert resp.all("Access-Control-Allow-Origin") == [], resp
    vary_origin_once(resp)


def cache_sequence(fetch, is_hit, reached=None) -> None:
    """The sequence every cache in front of mod_cors goes through. fetch(origin or None) makes
    the request (always the same URL), is_hit(resp) says whether the cache served it,
    reached() (optional) lists the requests that reached the application.

    Partner A twice (the second a hit), partner B after A, a stranger after both, a request
    without Origin after both, A once more: every answer carries the ACAO of its own origin
    (or none), the stranger is refused, Vary holds Origin once."""
    first = fetch(PARTNER_A)
    assert_allowed_actual(first, PARTNER_A)
    second = fetch(PARTNER_A)
    assert_allowed_actual(second, PARTNER_A)
    assert is_hit(second), f"the second request of partner A was not a cache hit\n{second}"
    assert_allowed_actual(fetch(PARTNER_B), PARTNER_B)
    before = len(reached()) if reached else 0
    refused(fetch(STRANGER))
    if reached:
        assert len(reached()) == before, f"the stranger's request reached the application: {reached()}"
    no_origin(fetch(None))
    assert_allowed_actual(fetch(PARTNER_A), PARTNER_A)
    refused(fetch(STRANGER))


class CachingBackend(Backend):
    """An application server behind mod_proxy_http that sets its own CORS headers (ACAO *,
    credentials, methods) and lets shared caches store its answers."""
    APP_HEADERS = Backend.APP_HEADERS + [("Cache-Control", "public, max-age=300")]


@pytest.fixture(scope="session")
def caching_backend():
    server = CachingBackend().start()
    yield server
    server.stop()


def static_file(srv, rid: str, folder: str = "app", age: int = 3600) -> str:
    """A static file of its own for one test (a query string would keep mod_cache from storing
    a file without an explicit expiry), modified `age` seconds ago: an hour ago, it stays
    fresh a while by the Last-Modified heuristic; 0, every hit is revalidated. Returns its
    URL path."""
    path = srv.htdocs / folder / f"static-{rid}.txt"
    path.write_text("static file served by httpd, not by PHP\n" * 40)
    path.chmod(0o644)
    modified = time.time() - age
    os.utime(path, (modified, modified))
    return f"/{folder}/static-{rid}.txt"


@pytest.fixture
def rid():
    """A request id of its own for each test (a fresh cache key, a record of its own)."""
    return unique_id()
