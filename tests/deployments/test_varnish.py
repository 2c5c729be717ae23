"""Varnish in front (Debian's varnishd, built-in VCL) of httpd + mod_php: guards against a
shared HTTP cache handing one origin's stored answer to another origin or to a stranger."""
import pytest

from conftest import APP, APP_POLICY, cache_sequence, start_server, static_file
from harness import ServerSpec, Varnish, http_request


@pytest.fixture(scope="module")
def origin_server(request, cors_module):
    return start_server(request, ServerSpec(app_source=APP, body=f"""
{APP_POLICY}
"""))


@pytest.fixture(scope="module")
def varnish(origin_server):
    cache = Varnish(origin_server.port).start()
    yield cache
    cache.stop()


def through(varnish, path):
    def fetch(origin):
        return http_request(varnish.port, "GET", path, [("Origin", origin)] if origin else [])
    return fetch


def is_hit(resp) -> bool:
    """Varnish names two transactions in X-Varnish on a hit (this one, the one that stored it)."""
    return len((resp.get("X-Varnish") or "").split()) == 2


def test_php_public_answer(origin_server, varnish, rid):
    cache_sequence(through(varnish, f"/app/cached.php?id={rid}"), is_hit, lambda: origin_server.reached(rid))


def test_static_file(origin_server, varnish, rid):
    cache_sequence(through(varnish, static_file(origin_server, rid)), is_hit)
