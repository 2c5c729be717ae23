"""CORSDebugHeader On: refused answers say why in CORS-Reason; allowed answers, report-only
scopes and scopes without the directive never carry it."""
import pytest

from conftest import PARTNER, STRANGER, status_spec
from harness import ServerSpec, assert_allowed, assert_no_cors, assert_refused
from httpd_fixtures import start_server


@pytest.fixture(scope="module")
def server(request, cors_module):
    return start_server(request, status_spec("event", debug=True))


def test_refused_origin_says_why(server):
    resp = server.get("/debug/hello.txt", STRANGER)
    assert_refused(resp)
    assert resp.get("CORS-Reason") == "origin not allowed"


def test_invalid_origin_says_why(server):
    resp = server.get("/debug/hello.txt", PARTNER + "/path")
    assert_refused(resp)
    assert resp.get("CORS-Reason") == "invalid origin: path or trailing slash"


def test_refused_preflight_names_the_method(server):
    resp = server.preflight("/debug/hello.txt", PARTNER, "DELETE")
    assert_refused(resp)
    assert resp.get("CORS-Reason") == "method not allowed: DELETE"


def test_refused_preflight_names_the_header(server):
    resp = server.preflight("/debug/hello.txt", PARTNER, "PUT", "X-Allowed, X-Secret-Thing")
    assert_refused(resp)
    assert resp.get("CORS-Reason").lower() == "header not allowed: x-secret-thing"


def test_refused_preflight_origin_says_why(server):
    resp = server.preflight("/debug/hello.txt", STRANGER, "GET")
    assert_refused(resp)
    assert resp.get("CORS-Reason") == "origin not allowed"


def test_not_rejected_but_not_allowed_says_why(server):
    # CORSReject Off: the request goes on, without CORS headers, and the reason is told.
    resp = server.get("/debug/passed/hello.txt", STRANGER)
    assert resp.status == 200 and not resp.cors_headers(), resp
    assert resp.get("CORS-Reason") == "origin not allowed"


def test_allowed_answers_carry_no_reason(server):
    resp = server.get("/debug/hello.txt", PARTNER)
    assert_allowed(resp, PARTNER)
    assert not resp.has("CORS-Reason")
    resp = server.preflight("/debug/hello.txt", PARTNER, "PUT", "X-Allowed")
    assert resp.status == 204 and not resp.has("CORS-Reason"), resp
    resp = server.get("/debug/hello.txt", f"http://127.0.0.1:{server.port}")
    assert resp.status == 200 and not resp.has("CORS-Reason"), resp
    resp = server.get("/debug/hello.txt")
    assert resp.status == 200 and not resp.has("CORS-Reason"), resp


def test_off_by_default(server):
    resp = server.get("/app/hello.txt", STRANGER)
    assert_refused(resp)
    assert not resp.has("CORS-Reason")
    resp = server.preflight("/app/hello.txt", PARTNER, "DELETE")
    assert_refused(resp)
    assert not resp.has("CORS-Reason")


def test_never_in_report_only_mode(server):
    resp = server.get("/debug/ro/hello.txt", STRANGER)
    assert resp.status == 200, resp
    assert_no_cors(resp)
    assert not resp.has("CORS-Reason")
    resp = server.preflight("/debug/ro/hello.txt", PARTNER, "DELETE")
    assert not resp.has("CORS-Reason"), resp


@pytest.mark.parametrize("value,ok", [("On", True), ("off", True), ("maybe", False)])
def test_directive_is_checked(make_server, value, ok):
    srv = make_server(ServerSpec(php=None, app_dirs=(), body=f"<Location /x>\nCORSDebugHeader {value}\n</Location>"),
                      start=False)
    done = srv.config_test()
    assert (done.returncode == 0) == ok, done.output
    if not ok:
        assert "CORSDebugHeader" in done.output and "On or Off" in done.output


def test_reason_is_plain_ascii(server):
    # The detail of "invalid Access-Control-Request-Method" is the request's own bytes.
    resp = server.request("OPTIONS", "/debug/hello.txt", PARTNER,
                          headers=[("Access-Control-Request-Method", "G\xc3\x89T".encode("latin-1"))])
    assert_refused(resp)
    assert resp.get("CORS-Reason") == "invalid Access-Control-Request-Method: G??T"
