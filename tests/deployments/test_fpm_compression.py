"""php-fpm behind mod_proxy_fcgi under the event MPM, with mod_deflate and mod_brotli compressing
the answers: guards against doubled or split Vary lines (Origin and Accept-Encoding) and against
PHP's own Access-Control-Allow-Origin: * going out next to the module's."""
import gzip

import pytest

from conftest import APP, PARTNER_A, PARTNER_B, POLICY, STRANGER, assert_allowed_actual, refused, start_server
from harness import ServerSpec

BODY = f"""
<Location "/app/">
{POLICY}
    SetOutputFilter BROTLI_COMPRESS;DEFLATE
</Location>
"""


@pytest.fixture(scope="module")
def fpm_site(request, cors_module):
    return start_server(request, ServerSpec(mpm="event", php="fpm", app_source=APP,
                                            modules=("deflate", "brotli"), body=BODY))


def one_vary_line(r, *tokens):
    assert len(r.all("Vary")) == 1, f"Vary lines: {r.all('Vary')}\n{r}"
    got = r.tokens_lower("Vary")
    for token in tokens:
        assert got.count(token) == 1, f"{token} in Vary {got.count(token)} times: {r.all('Vary')}"
    assert len(got) == len(set(got)), r.all("Vary")


@pytest.mark.parametrize("encoding", ["br", "gzip", None])
@pytest.mark.parametrize("path", ["/app/appcors.php", "/app/api.php", "/app/static.txt"])
def test_one_vary_line_and_the_partners_acao(fpm_site, path, encoding):
    for origin in (PARTNER_A, PARTNER_B):
        r = fpm_site.get(path, origin, headers=[("Accept-Encoding", encoding)] if encoding else [])
        assert_allowed_actual(r, origin)
        one_vary_line(r, "origin", "accept-encoding")
        assert r.get("Content-Encoding") == encoding, r
        if encoding == "gzip":
            gzip.decompress(r.body)


@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_stranger_refused_with_one_vary_line(fpm_site, encoding):
    r = fpm_site.get("/app/appcors.php", STRANGER, headers=[("Accept-Encoding", encoding)])
    refused(r)
    assert len(r.all("Vary")) == 1, r


def test_php_star_replaced(fpm_site):
    r = fpm_site.get("/app/appcors.php", PARTNER_A, headers=[("Accept-Encoding", "br")])
    assert r.all("Access-Control-Allow-Origin") == [PARTNER_A], r
    assert not r.has("Access-Control-Allow-Methods"), r


def test_no_origin_keeps_one_vary_line(fpm_site):
    r = fpm_site.get("/app/api.php", headers=[("Accept-Encoding", "gzip")])
    assert r.status == 200 and not r.has("Access-Control-Allow-Origin"), r
    one_vary_line(r, "origin", "accept-encoding")
