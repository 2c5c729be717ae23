"""The harness and the PHP application without mod_cors: the baseline the other tests build on."""
import pytest

from conftest import MPMS, MPM_IDS, start_server
from harness import PHP_FATAL_LOG, ServerSpec, curl_request, unique_id
from policies import PHP_FOR_MPM

BODY = r'''
AliasMatch "^/p/.*/([^/]*)$" "${IT_HTDOCS}/app/$1"
<Location "/proxy/">
    ProxyPass "http://127.0.0.1:${IT_BACKEND_PORT}/"
</Location>
'''


@pytest.fixture(scope="module", params=MPMS, ids=MPM_IDS.get)
def plain(request, backend):
    spec = ServerSpec(mpm=request.param, php=PHP_FOR_MPM[request.param], body=BODY,
                      load_cors=False, tls=True)
    return start_server(request, spec, backend)


def test_json_api_answers(plain):
    r = plain.get("/p/x/api.php", "https://app.example.com")
    assert r.status == 200 and r.json()["method"] == "GET"
    assert r.get("X-Total-Count") == "2"


def test_app_sets_its_own_cors_header(plain):
    r = plain.get("/p/x/star.php", "https://app.example.com")
    assert r.all("Access-Control-Allow-Origin") == ["*"]


def test_app_sets_vary(plain):
    r = plain.get("/p/x/vary.php")
    assert r.tokens("Vary") == ["Accept-Encoding"]


@pytest.mark.expect_log(PHP_FATAL_LOG)
def test_fatal_error_is_500(plain):
    assert plain.get("/p/x/fatal.php").status == 500


def test_no_cors_environment_without_module(plain):
    env = plain.get("/p/x/env.php", "https://app.example.com").json()
    assert env["CORS_REQUEST"] is None and env["REQUEST_METHOD"] == "GET"


def test_record_page_records_method(plain):
    rid = unique_id()
    assert plain.request("OPTIONS", f"/p/x/record.php?id={rid}").status == 200
    assert plain.reached(rid) == ["OPTIONS"]


def test_proxy_backend_answers(plain, backend):
    rid = unique_id()
    r = plain.get(f"/proxy/{rid}")
    assert r.status == 200 and r.get("X-Backend") == "python"
    assert backend.reached(rid) == ["GET"]


def test_https_answers(plain):
    assert plain.get("/p/x/api.php", tls=True).status == 200


def test_http2_when_event(plain):
    r = curl_request(plain.url("/p/x/api.php", tls=True), http2=True)
    assert r.status == 200
    assert r.version == ("HTTP/2" if plain.spec.mpm == "event" else "HTTP/1.1")
