"""nginx terminating TLS in front of httpd over plain HTTP, ServerName https://host:port in
httpd: guards against the site's own https pages being refused as cross-origin (the scheme and
port of the connection are http and httpd's), and against trusting X-Forwarded-Proto."""
import pytest

from conftest import APP, PARTNER_A, STRANGER, assert_allowed_actual, refused, start_server
from harness import Httpd, Nginx, ServerSpec, http_request, unique_id

BODY = """
<VirtualHost 127.0.0.1:${IT_PORT}>
    ServerName https://localhost:${IT_PORT_NGINX}
    <Location "/app/">
        CORSEngine On
        CORSExportEnv On
        CORSAllowOrigin https://a.partner.example
        CORSAllowMethods GET POST PUT
        CORSAllowHeaders Content-Type
    </Location>
</VirtualHost>
"""


@pytest.fixture(scope="module")
def site(request, cors_module):
    return start_server(request, ServerSpec(app_source=APP, extra_ports=("nginx",), body=BODY))


# $host: the name alone (what most guides write), $http_host: name and port as the browser sent them.
@pytest.fixture(scope="module", params=["$host", "$http_host"])
def proxy(request, site: Httpd):
    front = Nginx(site.port, host_header=request.param, port=site.ports["nginx"]).start()
    yield front
    front.stop()


def via(proxy, method, path, origin=None, headers=(), body=None):
    lines = ([("Origin", origin)] if origin else []) + list(headers)
    return http_request(proxy.port, method, path, lines, body, tls=True, host=f"localhost:{proxy.port}")


def test_own_pages_post_reaches_php(site, proxy, rid):
    own = f"https://localhost:{proxy.port}"
    r = via(proxy, "POST", f"/app/record.php?id={rid}", own, body=b"a=1")
    assert r.status == 200 and not r.has("Access-Control-Allow-Origin"), r
    assert site.reached(rid) == ["POST"]
    env = via(proxy, "POST", "/app/env.php", own, body=b"")
    assert env.status == 200 and env.json()["CORS_REQUEST"] == "same-origin", env


def test_partner_allowed(proxy):
    assert_allowed_actual(via(proxy, "GET", "/app/env.php", PARTNER_A), PARTNER_A)


def test_stranger_refused(site, proxy, rid):
    refused(via(proxy, "POST", f"/app/record.php?id={rid}", STRANGER, body=b""))
    assert site.reached(rid) == []


def test_http_origin_of_the_same_host_is_cross_origin(site, proxy, rid):
    r = via(proxy, "POST", f"/app/record.php?id={rid}", f"http://localhost:{proxy.port}", body=b"")
    refused(r)
    assert site.reached(rid) == []


def test_forwarded_proto_is_not_trusted(site):
    """Sent straight to httpd, an X-Forwarded-Proto does not make an http origin same-origin."""
    rid = unique_id()
    r = http_request(site.port, "POST", f"/app/record.php?id={rid}",
                     [("Origin", f"http://localhost:{site.port}"), ("X-Forwarded-Proto", "http")],
                     b"", host=f"localhost:{site.port}")
    refused(r)


def test_preflight_through_the_proxy(site, proxy, rid):
    r = via(proxy, "OPTIONS", f"/app/record.php?id={rid}", PARTNER_A,
            [("Access-Control-Request-Method", "PUT"), ("Access-Control-Request-Headers", "content-type")])
    assert r.status == 204, r
    assert r.all("Access-Control-Allow-Origin") == [PARTNER_A], r
    assert "PUT" in r.tokens("Access-Control-Allow-Methods"), r
    assert "content-type" in r.tokens_lower("Access-Control-Allow-Headers"), r
    assert site.reached(rid) == []
