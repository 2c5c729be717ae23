"""CORSReject Off, CORSReportOnly, CORSEngine Off, scope merging (<Location>, <Directory>,
<Files>, .htaccess), the CORS_* notes and environment (CORSExportEnv) and the error log."""
import time

import pytest

from harness import PHP_FATAL_LOG, assert_allowed, assert_no_cors, assert_refused, unique_id
from policies import ALLOWED, FOREIGN


def env_of(r):
    assert r.status == 200, r
    env = r.json()
    return env["CORS_REQUEST"], env["CORS_ORIGIN"], env["CORS_ALLOWED"], env["CORS_REASON"]


def notes_line(srv, path):
    """The decision's notes logged for `path`: policies.CORE_BODY's cors.log
    ("%U|%{CORS_REQUEST}n|%{CORS_ORIGIN}n|%{CORS_ALLOWED}n|%{CORS_REASON}n")."""
    log = srv.root / "logs" / "cors.log"
    deadline = time.monotonic() + 5
    while True:
        lines = [line for line in log.read_text().splitlines() if line.startswith(path + "|")]
        if lines or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert len(lines) == 1, lines
    return lines[0][len(path) + 1:]


# -- The decision: request notes always, the environment only with CORSExportEnv On

@pytest.mark.parametrize("scope, exported", [("notes", False), ("reject-off", True)])
def test_decision_in_notes_and_environment_only_where_exported(core, scope, exported):
    path = f"/p/{scope}/{unique_id()}/env.php"
    decision = ("actual", FOREIGN, "0", "origin not allowed")
    assert env_of(core.get(path, FOREIGN)) == (decision if exported else (None, None, None, None))
    assert notes_line(core, path) == "|".join(decision)


def test_notes_of_an_allowed_request(core):
    path = f"/p/notes/{unique_id()}/env.php"
    assert env_of(core.get(path, ALLOWED)) == (None, None, None, None)
    assert notes_line(core, path) == f"actual|{ALLOWED}|1|-"


# -- CORSReject Off

def test_reject_off_lets_refused_origin_through_without_cors_headers(core):
    rid = unique_id()
    r = core.get(f"/p/reject-off/record.php?id={rid}", FOREIGN)
    assert r.status == 200 and r.cors_headers() == [], r
    assert "origin" in r.tokens_lower("Vary"), r
    assert core.reached(rid) == ["GET"]


def test_reject_off_environment(core):
    req, origin, allowed, reason = env_of(core.get("/p/reject-off/env.php", FOREIGN))
    assert (req, origin, allowed) == ("actual", FOREIGN, "0")
    assert reason.startswith("origin not allowed"), reason


def test_reject_off_allowed_origin_still_allowed(core):
    assert_allowed(core.get("/p/reject-off/api.php", ALLOWED), ALLOWED)


# -- CORSReportOnly On: decides and logs, changes nothing

@pytest.mark.parametrize("origin", [FOREIGN, ALLOWED, None])
def test_report_only_changes_no_response(core, origin):
    rid = unique_id()
    r = core.request("POST", f"/p/report/record.php?id={rid}", origin, body=b"a=1")
    assert r.status == 200, r
    assert_no_cors(r)
    assert core.reached(rid) == ["POST"]


def test_report_only_preflight_goes_to_php(core):
    rid = unique_id()
    r = core.preflight(f"/p/report/record.php?id={rid}", ALLOWED, "GET")
    assert r.status == 200
    assert_no_cors(r)
    assert core.reached(rid) == ["OPTIONS"]


def test_report_only_keeps_app_headers(core):
    r = core.get("/p/report/star.php", ALLOWED)
    assert r.all("Access-Control-Allow-Origin") == ["*"], r
    assert r.all("Access-Control-Allow-Methods") == ["GET, POST, PUT"], r


REPORT_REQUESTS = {
    "allowed": ("GET", ALLOWED, []),
    "refused": ("GET", FOREIGN, []),
    "no-origin": ("GET", None, []),
    "post-refused": ("POST", FOREIGN, []),
    "preflight": ("OPTIONS", ALLOWED, [("Access-Control-Request-Method", "PUT")]),
    "preflight-refused": ("OPTIONS", FOREIGN, [("Access-Control-Request-Method", "GET")]),
}
VOLATILE_HEADERS = {"date", "x-request-id"}


def comparable(r):
    return r.status, [(n.lower(), v) for n, v in r.headers if n.lower() not in VOLATILE_HEADERS], r.body


@pytest.mark.parametrize("page", ["api.php", "star.php", "vary.php", "fatal.php", "missing.html", "static.txt"])
@pytest.mark.parametrize("case", REPORT_REQUESTS)
def test_report_only_response_identical_to_engine_off(core, page, case, expect_log):
    if page == "fatal.php":
        expect_log(PHP_FATAL_LOG)
    method, origin, headers = REPORT_REQUESTS[case]
    body = b"a=1" if method == "POST" else None
    report = core.request(method, f"/p/report/{page}", origin, headers, body=body)
    off = core.request(method, f"/p/none/{page}", origin, headers, body=body)
    assert comparable(report) == comparable(off), (report, off)


@pytest.mark.parametrize("method,origin,acrm,acrh,expected", [
    ("GET", FOREIGN, None, None, ("actual", FOREIGN, "0", "origin not allowed")),
    ("GET", ALLOWED, None, None, ("actual", ALLOWED, "1", None)),
    ("OPTIONS", ALLOWED, "PUT", None, ("preflight", ALLOWED, "0", "method not allowed")),
    ("OPTIONS", ALLOWED, "GET", "X-Custom-Header", ("preflight", ALLOWED, "0", "header not allowed")),
    ("OPTIONS", ALLOWED, "GET", None, ("preflight", ALLOWED, "1", None)),
])
def test_report_only_environment(core, method, origin, acrm, acrh, expected):
    headers = [(n, v) for n, v in (("Access-Control-Request-Method", acrm),
                                   ("Access-Control-Request-Headers", acrh)) if v is not None]
    req, got_origin, allowed, reason = env_of(core.request(method, "/p/report/env.php", origin, headers))
    assert (req, got_origin, allowed) == expected[:3]
    if expected[3] is None:
        assert reason is None
    else:
        assert reason.startswith(expected[3]), reason


def test_report_only_reason_names_method_and_header(core):
    r = core.preflight("/p/report/env.php", ALLOWED, "PUT")
    assert r.json()["CORS_REASON"] == "method not allowed: PUT"
    r = core.preflight("/p/report/env.php", ALLOWED, "GET", "X-Custom-Header")
    reason, _, name = r.json()["CORS_REASON"].partition(": ")
    assert (reason, name.lower()) == ("header not allowed", "x-custom-header")


def test_report_only_logs_decision(core):
    mark = core.log_mark()
    origin = f"https://report-{unique_id()}.example"
    assert core.get("/p/report/api.php", origin).status == 200
    lines = core.wait_log(mark, r"\[cors:info\] .*CORS00101: ")
    assert any("origin not allowed" in l for l in lines), lines


# -- CORSEngine Off (default, and in an inner scope)

@pytest.mark.parametrize("scope", ["merge/off", "none"])
def test_engine_off_adds_nothing(core, scope):
    rid = unique_id()
    r = core.get(f"/p/{scope}/record.php?id={rid}", FOREIGN)
    assert r.status == 200
    assert_no_cors(r)
    assert not r.has("Vary"), r
    assert core.reached(rid) == ["GET"]


@pytest.mark.parametrize("scope", ["merge/off", "none"])
def test_engine_off_sets_no_environment(core, scope):
    assert env_of(core.get(f"/p/{scope}/env.php", FOREIGN)) == (None, None, None, None)


@pytest.mark.parametrize("scope", ["merge/off", "none"])
def test_engine_off_preflight_and_app_headers_untouched(core, scope):
    rid = unique_id()
    r = core.preflight(f"/p/{scope}/record.php?id={rid}", FOREIGN, "PUT")
    assert r.status == 200 and core.reached(rid) == ["OPTIONS"], r
    assert core.get(f"/p/{scope}/star.php", ALLOWED).all("Access-Control-Allow-Origin") == ["*"]


# -- merging of nested scopes

@pytest.mark.parametrize("path,origin,allowed", [
    ("/p/merge/api.php", "https://outer.example", True),
    ("/p/merge/inner/api.php", "https://inner.example", True),    # inner replaces the list
    ("/p/merge/inner/api.php", "https://outer.example", False),
    ("/p/merge/pattern/api.php", "https://pattern.example", True),  # patterns merge on their own
    ("/p/merge/pattern/api.php", "https://outer.example", True),
    ("/p/merge/pattern/api.php", FOREIGN, False),
    ("/dirscope/env.php", "https://loc.example", True),            # <Location> over <Directory>
    ("/dirscope/env.php", "https://dir.example", False),
    ("/filescope/vary.php", "https://files.example", True),        # <Files> over <Directory>
    ("/filescope/vary.php", "https://dir.example", False),
    ("/filescope/env.php", "https://dir.example", True),
])
def test_scope_merging_of_origins(core, path, origin, allowed):
    r = core.get(path, origin)
    if allowed:
        assert_allowed(r, origin)
    else:
        assert_refused(r)


def test_inner_scope_inherits_unset_and_replaces_set(core):
    r = core.preflight("/p/merge/inner/api.php", "https://inner.example", "PUT", "X-A, X-B")
    assert r.status == 204, r
    assert "PUT" in r.tokens("Access-Control-Allow-Methods")
    assert r.get("Access-Control-Max-Age") == "200"
    actual = core.get("/p/merge/inner/api.php", "https://inner.example")
    assert actual.tokens("Access-Control-Expose-Headers") == ["X-Outer"], actual


def test_list_directive_repeated_in_one_scope_adds(core):
    r = core.preflight("/p/merge/api.php", "https://outer.example", "PUT", "X-A, X-B")
    assert r.status == 204, r
    assert sorted(r.tokens_lower("Access-Control-Allow-Headers")) == ["x-a", "x-b"]
    assert r.get("Access-Control-Max-Age") == "100"


# -- .htaccess

def test_htaccess_with_allowoverride_fileinfo(core):
    assert_allowed(core.get("/ht-fileinfo/env.php", "https://htaccess.example"), "https://htaccess.example")
    assert_refused(core.get("/ht-fileinfo/env.php", FOREIGN))
    r = core.preflight("/ht-fileinfo/env.php", "https://htaccess.example", "PUT")
    assert r.status == 204 and "PUT" in r.tokens("Access-Control-Allow-Methods"), r


def test_htaccess_ignored_with_allowoverride_none(core):
    r = core.get("/ht-none/env.php", FOREIGN)
    assert r.status == 200
    assert_no_cors(r)


@pytest.mark.expect_log(r"\[core:alert\] .*/ht-authconfig/\.htaccess: CORSEngine not allowed here")
def test_htaccess_without_fileinfo_is_a_500(core):
    mark = core.log_mark()
    assert core.get("/ht-authconfig/env.php", FOREIGN).status == 500
    assert core.wait_log(mark, r"CORSEngine not allowed here")


@pytest.mark.expect_log(r"\[core:alert\] .*/ht-bad/\.htaccess: CORSMaxAge: ")
def test_htaccess_with_bad_value_is_a_500_naming_directive(core):
    mark = core.log_mark()
    assert core.get("/ht-bad/env.php", ALLOWED).status == 500
    assert core.wait_log(mark, r"CORSMaxAge")


# -- environment for the application

@pytest.mark.parametrize("origin,expected", [
    (None, ("none", None, "1", None)),
    (ALLOWED, ("actual", ALLOWED, "1", None)),
    ("HTTPS://APP.EXAMPLE.COM", ("actual", "HTTPS://APP.EXAMPLE.COM", "1", None)),
])
def test_environment(core, origin, expected):
    assert env_of(core.get("/p/exact/env.php", origin)) == expected


# -- error log

def test_debug_decision_line_logged(core):
    mark = core.log_mark()
    assert_allowed(core.get("/p/exact/api.php", ALLOWED), ALLOWED)
    assert core.wait_log(mark, r"\[cors:debug\] .*CORS00101: GET /p/exact/api.php: actual request")


@pytest.mark.parametrize("kind,reason", [("origin", "origin not allowed"),
                                         ("method", "method not allowed"),
                                         ("header", "header not allowed"),
                                         ("invalid", "invalid origin")])
def test_refusal_reason_logged_at_info(core, kind, reason):
    mark = core.log_mark()
    if kind == "origin":
        r = core.get("/p/exact/api.php", f"https://refused-{unique_id()}.example")
    elif kind == "method":
        r = core.preflight("/p/exact/api.php", ALLOWED, "PATCH")
    elif kind == "header":
        r = core.preflight("/p/exact/api.php", ALLOWED, "GET", "X-Not-Allowed")
    else:
        r = core.get("/p/exact/api.php", "https://app.example.com/")
    assert r.status == 403
    assert core.wait_log(mark, r"\[cors:info\] .*CORS00101: .*" + reason), core.log_since(mark)
