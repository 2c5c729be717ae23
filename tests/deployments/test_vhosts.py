"""Name-based virtual hosts on one port, each with partners of its own: guards against one
host's policy (or its same-origin) leaking into the other's answers."""
import pytest

from conftest import APP, PARTNER_A, PARTNER_B, assert_allowed_actual, refused, start_server
from harness import ServerSpec

BODY = """
<VirtualHost 127.0.0.1:${IT_PORT}>
    ServerName shop.test
    <Location "/app/">
        CORSEngine On
        CORSExportEnv On
        CORSAllowOrigin https://a.partner.example
    </Location>
</VirtualHost>
<VirtualHost 127.0.0.1:${IT_PORT}>
    ServerName blog.test
    ServerAlias www.blog.test
    <Location "/app/">
        CORSEngine On
        CORSExportEnv On
        CORSAllowOrigin https://b.partner.example
    </Location>
</VirtualHost>
"""

HOSTS = {"shop.test": (PARTNER_A, PARTNER_B), "blog.test": (PARTNER_B, PARTNER_A),
         "www.blog.test": (PARTNER_B, PARTNER_A)}


@pytest.fixture(scope="module")
def vhosts(request, cors_module):
    return start_server(request, ServerSpec(app_source=APP, body=BODY))


@pytest.mark.parametrize("name", sorted(HOSTS))
def test_each_host_its_partners(vhosts, name, rid):
    host = f"{name}:{vhosts.port}"
    partner, other = HOSTS[name]
    assert_allowed_actual(vhosts.get("/app/api.php", partner, host=host), partner)
    refused(vhosts.request("POST", f"/app/record.php?id={rid}", other, host=host, body=b""))
    assert vhosts.reached(rid) == []


@pytest.mark.parametrize("name", sorted(HOSTS))
def test_same_origin_per_host(vhosts, name, rid):
    host = f"{name}:{vhosts.port}"
    r = vhosts.request("POST", f"/app/record.php?id={rid}", f"http://{host}", host=host, body=b"")
    assert r.status == 200 and not r.has("Access-Control-Allow-Origin"), r
    assert vhosts.reached(rid) == ["POST"]
    env = vhosts.request("POST", "/app/env.php", f"http://{host}", host=host, body=b"")
    assert env.json()["CORS_REQUEST"] == "same-origin", env


def test_other_host_of_the_same_server_is_cross_origin(vhosts, rid):
    r = vhosts.request("POST", f"/app/record.php?id={rid}", f"http://blog.test:{vhosts.port}",
                       host=f"shop.test:{vhosts.port}", body=b"")
    refused(r)
    assert vhosts.reached(rid) == []
