"""MediaWiki 1.39 (Debian's `mediawiki`) under prefork + mod_php, on SQLite; the policy on its
Action API alone (<Files "api.php">).

Chosen as the fourth application because it has the most elaborate CORS code of the Debian
archive's PHP applications: ApiMain::handleCORS() answers CORS only when the request carries
an `origin=` query parameter equal to its Origin header (otherwise its own 403), matches the
origin against $wgCrossSiteAJAXdomains (wildcards; a site that allows '*.example.test' allows
a stranger on a sibling subdomain), echoes it with credentials, answers preflights itself
(OPTIONS never runs the action), sends Timing-Allow-Origin and its own Expose-Headers
(MediaWiki-API-Error, Retry-After, X-Database-Lag, MediaWiki-Login-Suppressed) — and on an
origin it does not allow it still runs the request, adding only `MediaWiki-CORS-Rejection`.
"""
from urllib.parse import quote

import pytest

from conftest import (PARTNER, STRANGER, Cookies, MediaWiki, allowed, refused, same_origin_untouched,
                      app_server)

EXPOSED = ["MediaWiki-API-Error", "Retry-After", "X-Database-Lag", "MediaWiki-Login-Suppressed"]
POLICY = f"""        CORSEngine On
        CORSAllowOrigin {PARTNER}
        CORSAllowMethods GET POST HEAD
        CORSAllowHeaders Content-Type Api-User-Agent
        CORSExposeHeaders {" ".join(EXPOSED)}
        CORSAllowCredentials On
        CORSMaxAge 600"""


def mw_body(mw, policy: bool) -> str:
    files = f'    <Files "api.php">\n{POLICY}\n    </Files>' if policy else ""
    return f"""Alias /w "{mw.SOURCE}"
<Directory "{mw.SOURCE}">
    Options FollowSymLinks
    AllowOverride None
    Require all granted
    DirectoryIndex index.php
    php_admin_value auto_prepend_file "{mw.prepend}"
{files}
</Directory>
"""


def make(request, mw, policy):
    srv = app_server(request, mw_body(mw, policy), policy)
    srv.mw = mw
    return srv


@pytest.fixture(scope="module")
def wiki(request, mediawiki, cors_module):
    return make(request, mediawiki, True)


@pytest.fixture(scope="module")
def control(request, mediawiki):
    return make(request, mediawiki, False)


def api(query: str, rid: str) -> str:
    return f"/w/api.php?{query}&format=json&rid={rid}"


SITEINFO = "action=query&meta=siteinfo"


def login(srv, origin=PARTNER):
    """action=login with a login token, as a bot or a partner's script does."""
    jar = Cookies()
    r = srv.get(api("action=query&meta=tokens&type=login", "login"), origin)
    jar.take(r)
    token = r.json()["query"]["tokens"]["logintoken"]
    body = f"action=login&format=json&lgname={MediaWiki.ADMIN}&lgpassword={MediaWiki.PASSWORD}&lgtoken={quote(token)}"
    r = srv.request("POST", "/w/api.php", origin, body=body.encode(),
                    headers=[("Content-Type", "application/x-www-form-urlencoded"), jar.header()])
    jar.take(r)
    assert r.json()["login"]["result"] == "Success", r
    return jar, r


# ----------------------------------------------------------------- control run


def test_control_wildcard_allows_a_sibling_stranger(control, rid):
    r = control.get(api(f"{SITEINFO}&origin={STRANGER}", rid), STRANGER)
    assert r.status == 200, r
    assert r.all("Access-Control-Allow-Origin") == [STRANGER], r
    assert r.all("Access-Control-Allow-Credentials") == ["true"], r
    assert r.tokens("Access-Control-Expose-Headers") == EXPOSED, r
    assert r.all("Timing-Allow-Origin") == [STRANGER], r
    assert len(control.mw.reached(rid)) == 1


def test_control_an_origin_it_refuses_still_runs(control, rid):
    r = control.get(api(f"{SITEINFO}&origin=http://evil.invalid", rid), "http://evil.invalid")
    assert r.status == 200 and r.get("MediaWiki-CORS-Rejection") == "Origin mismatch", r
    assert r.cors_headers() == [], r
    r = control.get(api(SITEINFO, rid), "http://evil.invalid")        # no origin= parameter: no CORS at all
    assert r.status == 200 and r.cors_headers() == [], r
    assert len(control.mw.reached(rid)) == 2                           # both ran


def test_control_origin_parameter_mismatch_is_its_own_403(control, rid):
    r = control.get(api(f"{SITEINFO}&origin={PARTNER}", rid), STRANGER)
    assert r.status == 403 and "does not match" in r.text, r


def test_control_answers_preflights_itself(control, rid):
    r = control.preflight(api(f"{SITEINFO}&origin={PARTNER}", rid), PARTNER, "POST", "api-user-agent")
    assert r.status == 200, r
    assert r.all("Access-Control-Allow-Origin") == [PARTNER], r
    assert r.tokens("Access-Control-Allow-Methods") == ["POST", "GET", "HEAD"], r
    assert len(control.mw.reached(rid)) == 1


# ----------------------------------------------------------------- with mod_cors


@pytest.mark.parametrize("query", [SITEINFO, f"{SITEINFO}&origin={STRANGER}", f"{SITEINFO}&origin=*"])
def test_stranger_refused_before_mediawiki(wiki, rid, query):
    refused(wiki.get(api(query, rid), STRANGER))
    refused(wiki.preflight(api(query, rid), STRANGER, "POST", "api-user-agent"))
    assert wiki.mw.reached(rid) == []


def test_stranger_with_a_login_cookie_refused(wiki, rid):
    jar, _ = login(wiki)
    refused(wiki.get(api("action=query&meta=userinfo", rid), STRANGER, headers=[jar.header()]))
    refused(wiki.request("POST", api("action=edit", rid), STRANGER, body=b"title=X&text=Y",
                         headers=[jar.header(), ("Content-Type", "application/x-www-form-urlencoded")]))
    for origin in ("null", "https://partner.example.test", "http://partner.example.test:8080"):
        refused(wiki.get(api(f"action=query&meta=userinfo&origin={origin}", rid), origin, headers=[jar.header()]))
    assert wiki.mw.reached(rid) == []


@pytest.mark.parametrize("query", [SITEINFO, f"{SITEINFO}&origin={PARTNER}"])
def test_partner_answered_once(wiki, rid, query):
    r = wiki.get(api(query, rid), PARTNER)
    allowed(r)
    assert r.tokens("Access-Control-Expose-Headers") == EXPOSED, r
    assert r.json()["query"]["general"]["sitename"] == "mod_cors wiki", r
    assert len(wiki.mw.reached(rid)) == 1


def test_partner_preflight_answered_by_the_module(wiki, rid):
    r = wiki.preflight(api(f"{SITEINFO}&origin={PARTNER}", rid), PARTNER, "POST", "api-user-agent, content-type")
    assert r.status == 204, r
    assert r.all("Access-Control-Allow-Origin") == [PARTNER], r
    assert {"api-user-agent", "content-type"} <= set(r.tokens_lower("Access-Control-Allow-Headers")), r
    assert wiki.mw.reached(rid) == []


def test_partner_logs_in_and_reads_its_user(wiki, rid):
    jar, r = login(wiki)
    allowed(r)
    r = wiki.get(api("action=query&meta=userinfo", rid), PARTNER, headers=[jar.header()])
    allowed(r)
    assert r.json()["query"]["userinfo"]["name"] == MediaWiki.ADMIN, r


def test_api_errors_carry_the_partner_headers(wiki, rid):
    r = wiki.get(api("action=no-such-action", rid), PARTNER)
    allowed(r)
    assert r.get("MediaWiki-API-Error") == "badvalue", r        # readable: CORSExposeHeaders names it
    r = wiki.get(api(f"{SITEINFO}&origin=http://other.example.test", rid), PARTNER)
    allowed(r, status=403)                                       # MediaWiki's own 403
    r = wiki.request("POST", api("action=edit&title=X", rid), PARTNER, body=b"text=Y",
                     headers=[("Content-Type", "application/x-www-form-urlencoded")])
    allowed(r)
    assert r.get("MediaWiki-API-Error") in ("missingparam", "mustbeposted", "notoken", "badtoken"), r


def test_own_pages_untouched(wiki, rid):
    own = f"http://127.0.0.1:{wiki.port}"
    r = wiki.get(f"/w/index.php?title=Main_Page&rid={rid}", own)
    same_origin_untouched(r)
    assert "MediaWiki has been installed" in r.text, r
    r = wiki.get(f"/w/index.php?title=No_such_page_{rid}", PARTNER)   # outside <Files api.php>
    same_origin_untouched(r, 404)
    r = wiki.get(api(SITEINFO, rid), own)
    same_origin_untouched(r)
    jar, r = login(wiki, own)
    same_origin_untouched(r)
