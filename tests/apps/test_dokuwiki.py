"""DokuWiki (Debian's `dokuwiki`, 2022-07-31) under event + php-fpm, no database.

DokuWiki's own CORS code is one setting, `remotecors`, for its remote API (XML-RPC,
lib/exe/xmlrpc.php): XmlRpcServer::serve() sends `Access-Control-Allow-Origin: <remotecors>`
(here '*', what its documentation suggests to allow every origin) and nothing else: no
credentials, no Vary, no preflight answer (the XML-RPC server refuses every method but POST,
and a text/xml POST is preflighted). So a partner page can neither log in with a cookie nor
even send its XML. The module answers the preflight, echoes the partner with credentials, and
replaces the '*'.
"""
import re

import pytest

from conftest import (PARTNER, STRANGER, Cookies, DokuWiki, allowed, refused, same_origin_untouched,
                      app_server, watch_log, xmlrpc)
from harness import PHP_MISSING_LOG

POLICY = f"""    CORSEngine On
    CORSAllowOrigin {PARTNER}
    CORSAllowMethods GET POST
    CORSAllowHeaders Content-Type
    CORSAllowCredentials On
    CORSMaxAge 600"""
XML = ("Content-Type", "text/xml")
# DokuWiki 2022-07-31 on PHP 8.2, an XML-RPC call it refuses for want of a login (its own bug,
# logged by php-fpm and mod_proxy_fcgi): expected where a test makes that call.
API_WARNING = r"Trying to access array offset on value of type null in \S+/inc/Remote/Api\.php"


def wiki_body(wiki, policy: bool) -> str:
    return f"""Alias /wiki "{wiki.root}"
<Directory "{wiki.root}">
    Options FollowSymLinks
    AllowOverride None
    Require all granted
    DirectoryIndex doku.php
{POLICY if policy else ""}
</Directory>
"""


def make(request, wiki, policy):
    srv = app_server(request, wiki_body(wiki, policy), policy, mpm="event", php="fpm")
    watch_log(request.getfixturevalue("php_fpm").log)
    srv.wiki = wiki
    return srv


@pytest.fixture(scope="module")
def wiki(request, dokuwiki, cors_module):
    return make(request, dokuwiki, True)


@pytest.fixture(scope="module")
def control(request, dokuwiki):
    return make(request, dokuwiki, False)


def login(srv, origin=PARTNER, user="admin"):
    """dokuwiki.login over XML-RPC: (the cookie jar, the answer)."""
    jar = Cookies()
    r = srv.request("POST", "/wiki/lib/exe/xmlrpc.php", origin, headers=[XML],
                    body=xmlrpc("dokuwiki.login", user, DokuWiki.USERS[user]))
    assert r.status == 200 and "<boolean>1</boolean>" in r.text, r
    jar.take(r)
    assert jar.jar, r
    return jar, r


# ----------------------------------------------------------------- control run


def test_control_remotecors_star_on_xmlrpc(control, rid, logs):
    logs.expect(API_WARNING)
    r = control.request("POST", f"/wiki/lib/exe/xmlrpc.php?rid={rid}", STRANGER, headers=[XML],
                        body=xmlrpc("dokuwiki.getVersion"))
    assert r.status == 401, r                     # remoteuser = @admin
    assert r.all("Access-Control-Allow-Origin") == ["*"], r
    assert r.all("Access-Control-Allow-Credentials") == [], r
    assert "origin" not in r.tokens_lower("Vary"), r
    assert len(control.wiki.reached(rid)) == 1


def test_control_preflight_reaches_dokuwiki_and_fails(control, rid):
    r = control.preflight(f"/wiki/lib/exe/xmlrpc.php?rid={rid}", PARTNER, "POST", "content-type")
    assert r.status >= 400 or "POST requests only" in r.text, r
    assert "POST requests only" in r.text, r
    assert r.all("Access-Control-Allow-Headers") == [] and r.all("Access-Control-Allow-Methods") == [], r
    assert len(control.wiki.reached(rid)) == 1


def test_control_login_answer_is_star_without_credentials(control):
    jar, r = login(control, STRANGER)
    assert r.all("Access-Control-Allow-Origin") == ["*"], r   # a browser drops it for a credentialed call


# ----------------------------------------------------------------- with mod_cors


def test_stranger_refused_before_dokuwiki(wiki, rid):
    refused(wiki.request("POST", f"/wiki/lib/exe/xmlrpc.php?rid={rid}", STRANGER, headers=[XML],
                         body=xmlrpc("dokuwiki.getVersion")))
    refused(wiki.get(f"/wiki/doku.php?id=start&rid={rid}", STRANGER))
    refused(wiki.preflight(f"/wiki/lib/exe/xmlrpc.php?rid={rid}", STRANGER, "POST", "content-type"))
    assert wiki.wiki.reached(rid) == []


def test_stranger_with_a_login_cookie_refused(wiki, rid):
    jar, _ = login(wiki)
    refused(wiki.request("POST", f"/wiki/lib/exe/xmlrpc.php?rid={rid}", STRANGER, headers=[XML, jar.header()],
                         body=xmlrpc("wiki.getPage", "start")))
    assert wiki.wiki.reached(rid) == []


@pytest.mark.parametrize("origin", ["null", "https://partner.example.test", "http://partner.example.test:81"])
def test_near_miss_origins_refused(wiki, rid, origin):
    refused(wiki.request("POST", f"/wiki/lib/exe/xmlrpc.php?rid={rid}", origin, headers=[XML],
                         body=xmlrpc("dokuwiki.getVersion")))
    assert wiki.wiki.reached(rid) == []


def test_partner_preflight_answered_by_the_module(wiki, rid):
    r = wiki.preflight(f"/wiki/lib/exe/xmlrpc.php?rid={rid}", PARTNER, "POST", "content-type")
    assert r.status == 204, r
    assert r.all("Access-Control-Allow-Origin") == [PARTNER], r
    assert "content-type" in r.tokens_lower("Access-Control-Allow-Headers"), r
    assert wiki.wiki.reached(rid) == []


def test_partner_logs_in_and_edits_a_page(wiki, rid):
    jar, r = login(wiki)
    allowed(r)                                     # DokuWiki's '*' replaced by the partner's origin
    page = f"partner:{rid}"
    r = wiki.request("POST", f"/wiki/lib/exe/xmlrpc.php?rid={rid}", PARTNER, headers=[XML, jar.header()],
                     body=xmlrpc("wiki.putPage", page, "Written by a partner page."))
    allowed(r)
    assert "<boolean>1</boolean>" in r.text, r
    r = wiki.request("POST", f"/wiki/lib/exe/xmlrpc.php?rid={rid}", PARTNER, headers=[XML, jar.header()],
                     body=xmlrpc("wiki.getPage", page))
    allowed(r)
    assert "Written by a partner page." in r.text, r
    assert len(wiki.wiki.reached(rid)) == 2


@pytest.mark.expect_log(PHP_MISSING_LOG)
def test_dokuwiki_errors_carry_the_partner_headers(wiki, rid, logs):
    logs.expect(API_WARNING)
    r = wiki.request("POST", f"/wiki/lib/exe/xmlrpc.php?rid={rid}", PARTNER, headers=[XML],
                     body=xmlrpc("dokuwiki.getVersion"))
    allowed(r, status=401)                         # not logged in: DokuWiki's 401
    r = wiki.get(f"/wiki/doku.php?id=no:such:page&rid={rid}", PARTNER)
    allowed(r)                                     # DokuWiki answers a missing page with 200
    r = wiki.get(f"/wiki/lib/exe/fetch.php?media=no:such:file.png&rid={rid}", PARTNER)
    allowed(r, status=404)                         # ... and a missing medium with its own 404
    r = wiki.get(f"/wiki/lib/exe/xmlrpc.php?rid={rid}", PARTNER)   # GET: the XML-RPC server refuses
    allowed(r, status=r.status)
    assert r.status >= 400 or "POST requests only" in r.text, r
    logs.expect(r"AH01071: Got error 'Primary script unknown'")
    r = wiki.get(f"/wiki/no-such-file-{rid}.php", PARTNER)          # php-fpm's 404
    allowed(r, status=404)


def test_own_pages_and_login_untouched(wiki, rid):
    own = f"http://127.0.0.1:{wiki.port}"
    r = wiki.get(f"/wiki/doku.php?id=start&rid={rid}")
    same_origin_untouched(r, r.status)
    assert r.status in (200, 404) and "mod_cors wiki" in r.text, r
    # The login form of DokuWiki itself, a same-origin POST with Origin.
    form = wiki.get(f"/wiki/doku.php?id=start&do=login&rid={rid}")
    sectok = re.search(r'name="sectok" value="([0-9a-f]*)"', form.text).group(1)
    jar = Cookies()
    jar.take(form)
    r = wiki.request("POST", f"/wiki/doku.php?id=start&rid={rid}", own,
                     headers=[("Content-Type", "application/x-www-form-urlencoded"), jar.header()],
                     body=f"sectok={sectok}&id=start&do=login&u=admin&p=admin-password-24".encode())
    same_origin_untouched(r, r.status)
    assert r.status in (200, 302, 303), r
    jar.take(r)
    assert any(k.startswith("DW") for k in jar.jar), r
