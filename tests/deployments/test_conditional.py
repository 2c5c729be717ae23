"""Conditional requests (If-None-Match, If-Modified-Since) on a static file, answered 304 by
httpd's core: guards against a 304 that drops or changes the CORS headers of the 200 it
revalidates (a browser then fails the cached answer) and against a stranger's revalidation."""
import pytest

from conftest import APP, APP_POLICY, PARTNER_A, PARTNER_B, STRANGER, refused, start_server, static_file
from harness import ServerSpec


@pytest.fixture(scope="module")
def site(request, cors_module):
    return start_server(request, ServerSpec(app_source=APP, body=f"""
{APP_POLICY}
"""))


def cors_view(r):
    """What a browser reads of an answer's CORS: the Access-Control-* headers and Vary's tokens."""
    return sorted(r.cors_headers()), sorted(r.tokens_lower("Vary"))


@pytest.mark.parametrize("validator", ["If-None-Match", "If-Modified-Since"])
@pytest.mark.parametrize("origin", [PARTNER_A, PARTNER_B])
def test_304_carries_the_headers_of_the_200(site, rid, origin, validator):
    path = static_file(site, rid)
    full = site.get(path, origin)
    assert full.status == 200 and full.all("Access-Control-Allow-Origin") == [origin], full
    value = full.get("ETag") if validator == "If-None-Match" else full.get("Last-Modified")
    assert value, full
    again = site.get(path, origin, headers=[(validator, value)])
    assert again.status == 304, again
    assert cors_view(again) == cors_view(full), f"200:\n{full}\n\n304:\n{again}"


def test_stranger_revalidation_refused(site, rid):
    path = static_file(site, rid)
    etag = site.get(path, PARTNER_A).get("ETag")
    refused(site.get(path, STRANGER, headers=[("If-None-Match", etag)]))
    last_modified = site.get(path).get("Last-Modified")
    refused(site.get(path, STRANGER, headers=[("If-Modified-Since", last_modified)]))


def test_304_without_origin(site, rid):
    path = static_file(site, rid)
    etag = site.get(path).get("ETag")
    r = site.get(path, headers=[("If-None-Match", etag)])
    assert r.status == 304 and not r.has("Access-Control-Allow-Origin"), r
    assert "origin" in r.tokens_lower("Vary"), r
