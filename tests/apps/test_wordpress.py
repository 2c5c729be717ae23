"""WordPress 6.1 (Debian's `wordpress`) on the suite's MariaDB, pretty permalinks through the
.htaccess WordPress writes itself, under prefork + mod_php and event + php-fpm.

WordPress's REST API sends CORS headers of its own (rest_send_cors_headers, hooked on
rest_pre_serve_request): it echoes ANY Origin, `null` included, with
Access-Control-Allow-Credentials: true, adds Access-Control-Allow-Methods and -Allow-Headers
to actual answers, Access-Control-Expose-Headers: X-WP-Total, X-WP-TotalPages, Link, and
answers OPTIONS itself. The control run records that; the runs with mod_cors check that the
module's answer replaces it: strangers refused before WordPress runs (the must-use plugin
writes no line), the partner answered once, preflights never reaching WordPress.

The policy is put in front of WordPress in two ways:
- `directory`: in <Directory> on the WordPress folder (the rewritten /index.php is in it);
- `location`: in <Location /wp-json/>, the REST API alone. WordPress's front controller
  rewrites /wp-json/... to /index.php, a scope without CORS directives: by the contract that
  request keeps the decision of the /wp-json/ request it came from.
"""
import json

import pytest

from conftest import (PARTNER, STRANGER, WP_FATAL_LOG, allowed, refused, rest_nonce, same_origin_untouched,
                      start_server, watch_log, wp_login)
from harness import ServerSpec

POLICY = f"""    CORSEngine On
    CORSAllowOrigin {PARTNER}
    CORSAllowMethods GET POST PUT PATCH DELETE
    CORSAllowHeaders Content-Type X-WP-Nonce
    CORSExposeHeaders X-WP-Total X-WP-TotalPages Link
    CORSAllowCredentials On
    CORSMaxAge 600"""
EXPOSED = ["X-WP-Total", "X-WP-TotalPages", "Link"]
# The rest of a PHP fatal error as php-fpm logs it, one line each.
PHP_STACK_TRACE = r'said into stderr: "(Stack trace:|#\d+ |  thrown in)'


def wp_body(root, scope: str) -> str:
    """The configuration docs/deployment.md shows: WordPress's folder with its .htaccess
    (AllowOverride FileInfo for mod_rewrite) and the policy in <Directory> or <Location>."""
    inner = POLICY if scope == "directory" else ""
    outer = f'<Location "/wp-json/">\n{POLICY}\n</Location>' if scope == "location" else ""
    return f"""DocumentRoot "{root}"
<Directory "{root}">
    Options FollowSymLinks
    AllowOverride FileInfo
    Require all granted
{inner}
</Directory>
{outer}
"""


# `location` checks the contract's rule for a front controller's rewrite (the /index.php
# request keeps the decision of the /wp-json/ request); until the module keeps it (issue
# 20.5), the partner's actual answers there carry WordPress's own headers and those tests fail.
VARIANTS = {
    "prefork-mod_php-directory": ("prefork", "mod_php", "directory"),
    "event-fpm-directory": ("event", "fpm", "directory"),
    "prefork-mod_php-location": ("prefork", "mod_php", "location"),
}


@pytest.fixture(scope="module", params=list(VARIANTS))
def site(request, wordpress, cors_module):
    mpm, php, scope = VARIANTS[request.param]
    srv = start_server(request, ServerSpec(mpm=mpm, php=php, app_dirs=(), modules=("rewrite",),
                                           body=wp_body(wordpress.root, scope)))
    watch_log(srv.error_log_path)
    if php == "fpm":
        watch_log(request.getfixturevalue("php_fpm").log)
    srv.scope = scope
    srv.wp = wordpress
    return srv


@pytest.fixture(scope="module")
def control(request, wordpress):
    """WordPress on its own: mod_cors not loaded."""
    srv = start_server(request, ServerSpec(load_cors=False, app_dirs=(), modules=("rewrite",),
                                           body=wp_body(wordpress.root, "none")))
    watch_log(srv.error_log_path)
    srv.wp = wordpress
    return srv


@pytest.fixture(scope="module")
def admin(site):
    jar = wp_login(site)
    return jar, rest_nonce(site, jar)


def self_origin(srv) -> str:
    return f"http://127.0.0.1:{srv.port}"


# ----------------------------------------------------------------- the control run


def test_control_wordpress_echoes_any_origin_with_credentials(control, rid):
    for origin in (STRANGER, "null", "https://anything.invalid:8443"):
        r = control.get(f"/wp-json/wp/v2/posts?rid={rid}", origin)
        assert r.status == 200, r
        assert r.all("Access-Control-Allow-Origin") == [origin], r
        assert r.all("Access-Control-Allow-Credentials") == ["true"], r
        assert r.tokens("Access-Control-Expose-Headers") == EXPOSED, r
        # Preflight headers on an actual answer, and X-WP-Nonce among them.
        assert "X-WP-Nonce" in r.tokens("Access-Control-Allow-Headers"), r
        assert "DELETE" in r.tokens("Access-Control-Allow-Methods"), r
        assert "origin" in r.tokens_lower("Vary"), r
        assert r.get("X-WP-Total") == "3", r
    assert len(control.wp.reached(rid)) == 3


def test_control_wordpress_answers_preflights_itself(control, rid):
    r = control.preflight(f"/wp-json/wp/v2/posts?rid={rid}", STRANGER, "POST", "content-type,x-wp-nonce")
    assert r.status == 200, r
    assert r.all("Access-Control-Allow-Origin") == [STRANGER], r
    assert r.all("Access-Control-Allow-Credentials") == ["true"], r
    assert control.wp.reached(rid) == [f"OPTIONS /wp-json/wp/v2/posts?rid={rid} {STRANGER}"]


def test_control_a_stranger_with_the_login_cookie(control, rid):
    """WordPress's own defence: a cookie without the nonce is not a login for the REST API,
    but the answer is still readable by the stranger (ACAO echoed, credentials true)."""
    jar = wp_login(control)
    r = control.get(f"/wp-json/wp/v2/users/me?rid={rid}", STRANGER, headers=[jar.header()])
    assert r.status == 401 and r.json()["code"] == "rest_not_logged_in", r
    assert r.all("Access-Control-Allow-Origin") == [STRANGER], r
    assert r.all("Access-Control-Allow-Credentials") == ["true"], r


def test_control_pages_carry_no_cors_headers(control):
    r = control.get("/", STRANGER)
    assert r.status == 200 and r.cors_headers() == [], r
    assert "origin" not in r.tokens_lower("Vary"), r


@pytest.mark.expect_log(WP_FATAL_LOG)
def test_control_fatal_error_has_no_cors_headers(control, rid, logs):
    """A PHP fatal error in a REST callback: WordPress's critical-error answer carries the
    Expose-Headers and Allow-Headers it sends before dispatching, but no Allow-Origin
    (rest_pre_serve_request never runs), so a partner cannot even read the 500."""
    logs.expect(r"mod_cors_tests_undefined_function")
    logs.expect(PHP_STACK_TRACE)
    r = control.get(f"/wp-json/modcors/v1/fatal?rid={rid}", PARTNER)
    assert r.status == 500, r
    assert r.all("Access-Control-Allow-Origin") == [], r
    assert r.tokens("Access-Control-Expose-Headers") == EXPOSED, r


# ----------------------------------------------------------------- strangers


def test_stranger_refused_before_wordpress(site, rid):
    refused(site.get(f"/wp-json/wp/v2/posts?rid={rid}", STRANGER))
    refused(site.request("POST", f"/wp-json/wp/v2/posts?rid={rid}", STRANGER, body=b"title=x"))
    assert site.wp.reached(rid) == []


def test_stranger_with_a_valid_login_cookie_refused(site, admin, rid):
    jar, nonce = admin
    for path in (f"/wp-json/wp/v2/users/me?rid={rid}", f"/wp-json/wp/v2/posts?rid={rid}&status=draft"):
        refused(site.get(path, STRANGER, headers=[jar.header(), ("X-WP-Nonce", nonce)]))
    body = json.dumps({"title": "stranger", "status": "publish"}).encode()
    refused(site.request("POST", f"/wp-json/wp/v2/posts?rid={rid}", STRANGER, body=body,
                         headers=[jar.header(), ("X-WP-Nonce", nonce), ("Content-Type", "application/json")]))
    assert site.wp.reached(rid) == []


def test_stranger_preflight_for_x_wp_nonce(site, rid):
    refused(site.preflight(f"/wp-json/wp/v2/posts?rid={rid}", STRANGER, "POST", "x-wp-nonce, content-type"))
    assert site.wp.reached(rid) == []


@pytest.mark.parametrize("origin", [
    "null",                                   # sandboxed iframes, file: pages (WordPress echoes it)
    "https://partner.example.test",           # the partner's host on another scheme
    "http://partner.example.test:8080",       # ... on another port
    "http://partner.example.test.evil.test",  # a suffix
    "http://partner.example.test/",           # not a serialised origin
])
def test_near_miss_origins_refused(site, rid, origin):
    refused(site.get(f"/wp-json/wp/v2/posts?rid={rid}", origin))
    refused(site.preflight(f"/wp-json/wp/v2/posts?rid={rid}", origin, "POST", "x-wp-nonce"))
    assert site.wp.reached(rid) == []


# ----------------------------------------------------------------- the partner


def test_partner_reads_posts_and_x_wp_total(site, rid):
    r = site.get(f"/wp-json/wp/v2/posts?rid={rid}", PARTNER)
    allowed(r)
    # WordPress's own Expose-Headers are gone; what the browser lets the partner read is what
    # CORSExposeHeaders lists, so X-WP-Total is there only because the policy names it.
    assert r.tokens("Access-Control-Expose-Headers") == EXPOSED, r
    assert r.get("X-WP-Total") == "3" and r.get("X-WP-TotalPages") == "1", r
    assert [p["title"]["rendered"] for p in r.json()][:1] == ["Second partner post"], r
    assert site.wp.reached(rid) == [f"GET /wp-json/wp/v2/posts?rid={rid} {PARTNER}"]


def test_partner_preflight_answered_by_the_module(site, rid):
    r = site.preflight(f"/wp-json/wp/v2/posts?rid={rid}", PARTNER, "POST", "content-type,x-wp-nonce")
    assert r.status == 204 and r.body == b"", r
    assert r.all("Access-Control-Allow-Origin") == [PARTNER], r
    assert r.all("Access-Control-Allow-Credentials") == ["true"], r
    assert "POST" in r.tokens("Access-Control-Allow-Methods"), r
    assert {"content-type", "x-wp-nonce"} <= set(r.tokens_lower("Access-Control-Allow-Headers")), r
    assert r.all("Access-Control-Max-Age") == ["600"], r
    assert site.wp.reached(rid) == []


def test_partner_logged_in_creates_a_draft(site, admin, rid):
    jar, nonce = admin
    auth = [jar.header(), ("X-WP-Nonce", nonce)]
    me = site.get(f"/wp-json/wp/v2/users/me?rid={rid}", PARTNER, headers=auth)
    allowed(me)
    assert me.json()["slug"] == "admin", me
    body = json.dumps({"title": f"draft {rid}", "status": "draft"}).encode()
    made = site.request("POST", f"/wp-json/wp/v2/posts?rid={rid}", PARTNER, body=body,
                        headers=auth + [("Content-Type", "application/json")])
    allowed(made, status=201)
    assert made.json()["status"] == "draft", made
    drafts = site.get(f"/wp-json/wp/v2/posts?status=draft&search={rid}&rid={rid}", PARTNER, headers=auth)
    allowed(drafts)
    assert [p["id"] for p in drafts.json()] == [made.json()["id"]], drafts
    gone = site.request("DELETE", f"/wp-json/wp/v2/posts/{made.json()['id']}?force=true&rid={rid}", PARTNER,
                        headers=auth)
    allowed(gone)


def test_partner_without_nonce_gets_wordpress_401(site, admin, rid):
    jar, _ = admin
    r = site.get(f"/wp-json/wp/v2/users/me?rid={rid}", PARTNER, headers=[jar.header()])
    allowed(r, status=401)
    assert r.json()["code"] == "rest_not_logged_in", r


@pytest.mark.parametrize("path,status,code", [
    ("/wp-json/wp/v2/posts/999999", 404, "rest_post_invalid_id"),
    ("/wp-json/wp/v2/no-such-route", 404, "rest_no_route"),
    ("/wp-json/wp/v2/posts?per_page=1000", 400, "rest_invalid_param"),
])
def test_rest_errors_carry_the_partner_headers(site, rid, path, status, code):
    r = site.get(f"{path}{'&' if '?' in path else '?'}rid={rid}", PARTNER)
    allowed(r, status=status)
    assert r.json()["code"] == code, r


@pytest.mark.expect_log(WP_FATAL_LOG)
def test_php_fatal_error_carries_the_partner_headers(site, rid, logs):
    logs.expect(r"mod_cors_tests_undefined_function")
    logs.expect(PHP_STACK_TRACE)
    r = site.get(f"/wp-json/modcors/v1/fatal?rid={rid}", PARTNER)
    allowed(r, status=500)
    assert "critical error" in r.text, r
    refused(site.get(f"/wp-json/modcors/v1/fatal?rid={rid}", STRANGER))
    assert len(site.wp.reached(rid)) == 1


def test_wordpress_404_page(site, rid):
    r = site.get(f"/no-such-page-{rid}/", PARTNER)
    if site.scope == "directory":
        allowed(r, status=404)
        refused(site.get(f"/no-such-page-{rid}/", STRANGER))
        assert len(site.wp.reached(rid)) == 1
    else:   # outside <Location /wp-json/>: WordPress's own answer, untouched
        same_origin_untouched(r, 404)


# ----------------------------------------------------------------- same-origin


def test_own_pages_untouched(site, rid):
    own = self_origin(site)
    for origin in (None, own):
        r = site.get(f"/?rid={rid}", origin)
        same_origin_untouched(r)
        assert "mod_cors apps" in r.text, r
        r = site.get(f"/partner-news/?rid={rid}", origin)
        same_origin_untouched(r)
        r = site.get(f"/wp-json/wp/v2/posts?rid={rid}", origin)
        same_origin_untouched(r)
        assert r.get("X-WP-Total") == "3", r
    assert len(site.wp.reached(rid)) == 6


def test_login_and_admin_screens_same_origin(site, rid):
    own = self_origin(site)
    jar = wp_login(site, origin=own)           # browsers send Origin on a same-origin POST
    r = site.get(f"/wp-admin/?rid={rid}", own, headers=[jar.header()])
    same_origin_untouched(r)
    assert "Dashboard" in r.text, r
    r = site.get(f"/wp-admin/edit.php?rid={rid}", None, headers=[jar.header()])
    same_origin_untouched(r)
    # An admin-ajax POST from the site's own admin screen.
    r = site.request("POST", f"/wp-admin/admin-ajax.php?rid={rid}", own, body=b"action=heartbeat&_nonce=x",
                     headers=[jar.header(), ("Content-Type", "application/x-www-form-urlencoded")])
    assert r.status in (200, 400, 403) and r.cors_headers() == [], r
    assert len(site.wp.reached(rid)) == 3


def test_author_login_works_for_the_partner(site, rid):
    jar = wp_login(site, "author", "author-password-24")
    nonce = rest_nonce(site, jar)
    r = site.get(f"/wp-json/wp/v2/users/me?context=edit&rid={rid}", PARTNER,
                 headers=[jar.header(), ("X-WP-Nonce", nonce)])
    allowed(r)
    assert r.json()["roles"] == ["author"], r


# ----------------------------------------------------------------- the database goes away


def test_database_stopped(site, mariadb, rid):
    mariadb.stop()
    try:
        r = site.get(f"/wp-json/wp/v2/posts?rid={rid}", PARTNER)
        allowed(r, status=500)
        assert "Error establishing a database connection" in r.text, r
        refused(site.get(f"/wp-json/wp/v2/posts?rid={rid}", STRANGER))
        same_origin_untouched(site.get(f"/?rid={rid}"), 500)
        assert len(site.wp.reached(rid)) == 0   # the plugin never loads without the database
    finally:
        mariadb.start()
    allowed(site.get(f"/wp-json/wp/v2/posts?rid={rid}", PARTNER))


@pytest.fixture(scope="module")
def no_expose(request, wordpress, cors_module):
    """The policy without CORSExposeHeaders."""
    body = wp_body(wordpress.root, "directory").replace("    CORSExposeHeaders X-WP-Total X-WP-TotalPages Link\n", "")
    assert "CORSExposeHeaders" not in body
    srv = start_server(request, ServerSpec(app_dirs=(), modules=("rewrite",), body=body))
    watch_log(srv.error_log_path)
    return srv


def test_without_cors_expose_headers_x_wp_total_is_hidden(no_expose, rid):
    """WordPress's own Access-Control-Expose-Headers is removed with its other CORS headers:
    without CORSExposeHeaders the header is sent but a browser keeps it from the partner's
    script (X-WP-Total reads null, pagination breaks)."""
    r = no_expose.get(f"/wp-json/wp/v2/posts?rid={rid}", PARTNER)
    allowed(r)
    assert r.get("X-WP-Total") == "3", r
    assert r.all("Access-Control-Expose-Headers") == [], r


# ----------------------------------------------------------------- the roll-out


@pytest.fixture(scope="module")
def report_only(request, wordpress, cors_module):
    """The policy with CORSReportOnly On, as docs/deployment.md rolls it out."""
    body = wp_body(wordpress.root, "directory").replace("    CORSMaxAge 600", "    CORSMaxAge 600\n    CORSReportOnly On")
    assert "CORSReportOnly On" in body
    srv = start_server(request, ServerSpec(app_dirs=(), modules=("rewrite",), body=body))
    watch_log(srv.error_log_path)
    srv.wp = wordpress
    return srv


def test_report_only_leaves_wordpress_as_it_was(report_only, rid):
    mark = report_only.log_mark()
    r = report_only.get(f"/wp-json/wp/v2/posts?rid={rid}", STRANGER)
    assert r.status == 200 and r.all("Access-Control-Allow-Origin") == [STRANGER], r   # WordPress's own echo
    assert r.all("Access-Control-Allow-Credentials") == ["true"], r
    r = report_only.preflight(f"/wp-json/wp/v2/posts?rid={rid}", PARTNER, "POST", "x-wp-nonce")
    assert r.status == 200 and r.all("Access-Control-Allow-Origin") == [PARTNER], r  # WordPress answers it
    assert len(report_only.wp.reached(rid)) == 2
    lines = report_only.wait_log(mark, r"would refuse \(report only\)")
    assert any(STRANGER in line for line in lines), report_only.log_since(mark)
