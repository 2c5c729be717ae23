"""The harness and the PHP application without mod_cors: the baseline the other tests build on."""
import shutil

import pytest

from conftest import MPMS, MPM_IDS, start_server
from harness import (PHP_FATAL_LOG, ServerSpec, curl_request, take_log_reports, unexpected_log_lines,
                     unique_id, vanished_servers)
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


# -- the error log as an oracle (tests/lib/httpd_fixtures.py)

LOG_SAMPLE = """[Sun Dec 06 23:58:01.188386 2026] [cors:warn] [pid 1:tid 1] CORS00201: CORSOriginMap p: line 6 skipped
[Sun Dec 06 23:58:01.188420 2026] [core:notice] [pid 1:tid 1] AH00094: Command line: 'apache2'
[Sun Dec 06 23:58:02.000001 2026] [php:error] [pid 2:tid 2] [client 127.0.0.1:1] PHP Fatal error:  Uncaught Error: Call to undefined function undefined_function_for_mod_cors_tests()
[Sun Dec 06 23:58:02.000002 2026] [cors:info] [pid 2:tid 2] [client 127.0.0.1:1] CORS00101: GET /x: actual request from origin 'https://e.example' refused with 403: origin not allowed
[Sun Dec 06 23:58:02.000003 2026] [rewrite:trace3] [pid 2:tid 2] mod_rewrite.c(4407): applying pattern
[Sun Dec 06 23:58:02.000004 2026] [ssl:emerg] [pid 2:tid 2] AH02572: Failed to configure at least one certificate and key
a line some child wrote to stderr"""


def test_oracle_takes_warn_and_above_only():
    lines = LOG_SAMPLE.splitlines()
    assert unexpected_log_lines(LOG_SAMPLE) == [lines[0], lines[2], lines[5]]


def test_oracle_matches_ids_and_expressions():
    assert unexpected_log_lines(LOG_SAMPLE, ["CORS00201", PHP_FATAL_LOG, "AH02572"]) == []
    assert len(unexpected_log_lines(LOG_SAMPLE, ["CORS00202", "AH00094"])) == 3   # other ids
    assert unexpected_log_lines(LOG_SAMPLE, [r"\[cors:warn\]", r"\[(php|ssl):"]) == []


def test_oracle_reports_a_line_the_test_did_not_declare(make_server):
    """An .htaccess httpd cannot read: its [core:alert] line is reported once (here taken by
    the test itself, so the after-test check finds nothing left)."""
    srv = make_server(ServerSpec(php=None, load_cors=False, files={"bad/.htaccess": "NoSuchDirective on\n"},
                                 body='<Directory "${IT_HTDOCS}/bad">\n    AllowOverride All\n</Directory>'))
    mark = srv.log_mark()
    assert srv.get("/bad/").status == 500
    assert srv.wait_log(mark, r"NoSuchDirective")
    reports = [line for server, line in take_log_reports() if server is srv]
    assert len(reports) == 1 and "[core:alert]" in reports[0] and "NoSuchDirective" in reports[0], reports
    assert take_log_reports() == []


def test_a_server_whose_folder_is_removed_is_named(make_server):
    """A server whose folder another process removes while it runs answers 403 to every file
    (as a refusal would look): the after-test check names the removed folder instead, once."""
    srv = make_server(ServerSpec(php=None, files={"s/f.txt": "x"}))
    assert srv.get("/s/f.txt").status == 200
    assert vanished_servers() == []
    shutil.rmtree(srv.htdocs)
    assert srv.get("/s/f.txt").status == 403
    gone = vanished_servers()
    assert len(gone) == 1 and str(srv.root) in gone[0], gone
    assert vanished_servers() == []
    take_log_reports()  # the 403's "search permissions are missing" line is this test's own
