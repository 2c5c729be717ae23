"""phpMyAdmin 5.2 (Debian's `phpmyadmin`) under prefork + mod_php, cookie login on the suite's
MariaDB.

phpMyAdmin has no CORS code of its own: no Access-Control-* header on any answer (the control
run), so a partner page reads nothing, and a stranger's cross-origin form POST reaches it (its
own token check is the only defence). What it has that the module must leave alone: its
session and login cookies (SameSite=Strict), its own security headers, its token-protected
login form. With the module, strangers (a login cookie riding along or not) are refused before
phpMyAdmin runs; the partner, logged in, reads the server's database list.
"""
import re

import pytest

from conftest import (PARTNER, STRANGER, Cookies, PhpMyAdmin, allowed, refused, same_origin_untouched,
                      app_server)
from harness import PHP_MISSING_LOG

POLICY = f"""    CORSEngine On
    CORSAllowOrigin {PARTNER}
    CORSAllowMethods GET POST
    CORSAllowHeaders Content-Type X-Requested-With
    CORSAllowCredentials On"""


def pma_body(pma, policy: bool) -> str:
    return f"""Alias /pma "{pma.root}"
<Directory "{pma.root}">
    Options FollowSymLinks
    AllowOverride None
    Require all granted
    DirectoryIndex index.php
    php_admin_value session.save_path "{pma.sessions}"
    php_admin_value upload_tmp_dir "{pma.base}/tmp"
{POLICY if policy else ""}
</Directory>
"""


def make(request, pma, policy):
    srv = app_server(request, pma_body(pma, policy), policy)
    srv.pma = pma
    return srv


@pytest.fixture(scope="module")
def pma(request, phpmyadmin, cors_module):
    return make(request, phpmyadmin, True)


@pytest.fixture(scope="module")
def control(request, phpmyadmin):
    return make(request, phpmyadmin, False)


def login(srv, origin="self", password=PhpMyAdmin.PASSWORD):
    """phpMyAdmin's login form, as the browser sends it from phpMyAdmin's own page."""
    own = f"http://127.0.0.1:{srv.port}"
    jar = Cookies()
    form = srv.get("/pma/index.php")
    assert form.status == 200, form
    jar.take(form)
    token = re.search(r'name="token" value="([^"]+)"', form.text).group(1)
    body = (f"set_session={jar.jar.get('phpMyAdmin', '')}&pma_username={PhpMyAdmin.USER}"
            f"&pma_password={password}&server=1&route=%2F&token={token}").encode()
    r = srv.request("POST", "/pma/index.php?route=/", own if origin == "self" else origin, body=body,
                    headers=[("Content-Type", "application/x-www-form-urlencoded"), jar.header()])
    jar.take(r)
    return jar, r


def logged_in(srv):
    jar, r = login(srv)
    assert r.status == 302, r
    assert any(k.startswith("pmaAuth-1") for k in jar.jar), r
    return jar


# ----------------------------------------------------------------- control run


def test_control_phpmyadmin_sends_no_cors_headers(control, rid):
    jar = logged_in(control)
    for origin in (STRANGER, PARTNER):
        r = control.get(f"/pma/index.php?route=/server/databases&rid={rid}", origin, headers=[jar.header()])
        assert r.status == 200 and "information_schema" in r.text, r
        assert r.cors_headers() == [] and "origin" not in r.tokens_lower("Vary"), r
    r = control.preflight(f"/pma/index.php?route=/&rid={rid}", PARTNER, "POST", "x-requested-with")
    assert r.cors_headers() == [], r                  # the preflight reaches phpMyAdmin: no answer for it
    assert len(control.pma.reached(rid)) == 3


def test_control_a_strangers_form_post_reaches_phpmyadmin(control, rid):
    jar, r = login(control, STRANGER)
    assert len(control.pma.reached("route=/ ")) >= 1
    assert r.cors_headers() == [], r


# ----------------------------------------------------------------- with mod_cors


def test_own_login_and_screens_untouched(pma, rid):
    jar = logged_in(pma)
    own = f"http://127.0.0.1:{pma.port}"
    r = pma.get(f"/pma/index.php?route=/&rid={rid}", None, headers=[jar.header()])
    same_origin_untouched(r)
    assert "information_schema" in r.text or "Database server" in r.text, r
    r = pma.request("POST", f"/pma/index.php?route=/server/databases&rid={rid}", own,
                    headers=[jar.header(), ("Content-Type", "application/x-www-form-urlencoded"),
                             ("X-Requested-With", "XMLHttpRequest")], body=b"ajax_request=true")
    same_origin_untouched(r, r.status)
    assert len(pma.pma.reached(rid)) == 2


def test_stranger_refused_before_phpmyadmin(pma, rid):
    jar = logged_in(pma)
    refused(pma.get(f"/pma/index.php?rid={rid}", STRANGER))
    refused(pma.get(f"/pma/index.php?route=/server/databases&rid={rid}", STRANGER, headers=[jar.header()]))
    refused(pma.request("POST", f"/pma/index.php?route=/sql&rid={rid}", STRANGER, headers=[
        jar.header(), ("Content-Type", "application/x-www-form-urlencoded")], body=b"sql_query=SELECT+1"))
    refused(pma.preflight(f"/pma/index.php?rid={rid}", STRANGER, "POST", "x-requested-with"))
    for origin in ("null", "https://partner.example.test", "http://partner.example.test:8080"):
        refused(pma.get(f"/pma/index.php?rid={rid}", origin, headers=[jar.header()]))
    assert pma.pma.reached(rid) == []


def test_partner_logged_in_reads_the_databases(pma, rid):
    jar = logged_in(pma)
    r = pma.preflight(f"/pma/index.php?route=/server/databases&rid={rid}", PARTNER, "GET", "x-requested-with")
    assert r.status == 204 and r.all("Access-Control-Allow-Origin") == [PARTNER], r
    r = pma.get(f"/pma/index.php?route=/server/databases&rid={rid}", PARTNER, headers=[jar.header()])
    allowed(r)
    assert "information_schema" in r.text and "performance_schema" in r.text, r
    assert len(pma.pma.reached(rid)) == 1


@pytest.mark.expect_log(PHP_MISSING_LOG)
def test_errors_carry_the_partner_headers(pma, rid, logs):
    logs.expect(r"Access denied for user 'pma'@'localhost'")            # the wrong password, mariadbd
    logs.expect(r"script '\S+/no-such-file-\w+\.php' not found")      # mod_php's 404
    jar = logged_in(pma)
    r = pma.get(f"/pma/index.php?route=/no-such-route&rid={rid}", PARTNER, headers=[jar.header()])
    allowed(r, status=r.status)
    assert r.status == 404, r
    r = pma.get(f"/pma/no-such-file-{rid}.php", PARTNER)
    allowed(r, status=404)
    jar2, r = login(pma, PARTNER, password="wrong")
    allowed(r, status=r.status)


def test_database_stopped(pma, mariadb, rid, logs):
    logs.expect(r"mysqli::real_connect\(\)|Connection refused|No such file or directory")
    mariadb.stop()
    try:
        jar, r = login(pma, PARTNER)
        allowed(r, status=r.status)
        r = pma.get(f"/pma/index.php?rid={rid}", PARTNER, headers=[jar.header()])
        allowed(r, status=r.status)
        refused(pma.get(f"/pma/index.php?rid={rid}", STRANGER, headers=[jar.header()]))
        assert len(pma.pma.reached(rid)) == 1
    finally:
        mariadb.start()
