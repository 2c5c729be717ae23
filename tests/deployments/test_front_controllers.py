"""Front controllers (mod_rewrite: Laravel's .htaccess with the CORS policy in the same .htaccess
under AllowOverride FileInfo, as on shared hosting; WordPress's .htaccess with the policy in
<Directory>): guards against routed paths (/api/users/7) reaching PHP unanswered or refused
after PHP ran, because the decision was made for the path and not for index.php."""
from pathlib import Path

import pytest

from conftest import PARTNER_A, STRANGER, assert_allowed_actual, refused, start_server
from harness import ServerSpec

FRONT = (Path(__file__).resolve().parent / "app" / "front.php").read_text()

LARAVEL_HTACCESS = """<IfModule mod_rewrite.c>
    RewriteEngine On

    # Handle Authorization Header
    RewriteCond %{HTTP:Authorization} .
    RewriteRule .* - [E=HTTP_AUTHORIZATION:%{HTTP:Authorization}]

    # Redirect Trailing Slashes If Not A Folder...
    RewriteCond %{REQUEST_METHOD} !=OPTIONS
    RewriteCond %{REQUEST_FILENAME} !-d
    RewriteCond %{REQUEST_URI} (.+)/$
    RewriteRule ^ %1 [L,R=301]

    # Send Requests To Front Controller...
    RewriteCond %{REQUEST_FILENAME} !-d
    RewriteCond %{REQUEST_FILENAME} !-f
    RewriteRule ^ index.php [L]
</IfModule>

CORSEngine On
CORSExportEnv On
CORSAllowOrigin https://a.partner.example
CORSAllowMethods GET POST PUT DELETE
CORSAllowHeaders Content-Type Authorization X-Requested-With
"""

WORDPRESS_HTACCESS = """# BEGIN WordPress
<IfModule mod_rewrite.c>
RewriteEngine On
RewriteRule .* - [E=HTTP_AUTHORIZATION:%{HTTP:Authorization}]
RewriteBase /wp/
RewriteRule ^index\\.php$ - [L]
RewriteCond %{REQUEST_FILENAME} !-f
RewriteCond %{REQUEST_FILENAME} !-d
RewriteRule . /wp/index.php [L]
</IfModule>
# END WordPress
"""

BODY = """
<Directory "${IT_HTDOCS}/laravel">
    Options +FollowSymLinks
    AllowOverride FileInfo
</Directory>

<Directory "${IT_HTDOCS}/wp">
    Options +FollowSymLinks
    AllowOverride FileInfo
    CORSEngine On
    CORSExportEnv On
    CORSAllowOrigin https://a.partner.example
    CORSAllowMethods GET POST PUT DELETE
    CORSAllowHeaders Content-Type Authorization X-Requested-With
</Directory>

# Symfony's public/.htaccess routes like Laravel's; the policy is on the front controller alone.
<Directory "${IT_HTDOCS}/sf">
    Options +FollowSymLinks
    AllowOverride FileInfo
    <Files "index.php">
        CORSEngine On
        CORSExportEnv On
        CORSAllowOrigin https://a.partner.example
        CORSAllowMethods GET POST PUT DELETE
        CORSAllowHeaders Content-Type Authorization X-Requested-With
    </Files>
</Directory>
"""

# A redirect in the server configuration (to the www. name) runs before mod_cors: preflights are
# exempted from it, as docs/deployment.md says.
REDIRECT = r"""
RewriteEngine On
RewriteCond %{REQUEST_METHOD} !=OPTIONS
RewriteCond %{HTTP_HOST} ^bare\.test(:[0-9]+)?$
RewriteRule "^/(.*)$" "http://www.bare.test/$1" [R=301,L]
"""

SYMFONY_HTACCESS = """<IfModule mod_rewrite.c>
    RewriteEngine On
    RewriteCond %{REQUEST_FILENAME} !-f
    RewriteRule ^ index.php [L]
</IfModule>
"""

SITES = {"laravel": "/laravel/api/users/7", "wp": "/wp/wp-json/wp/v2/users/7", "sf": "/sf/api/users/7"}


@pytest.fixture(scope="module")
def fronts(request, cors_module):
    files = {"laravel/.htaccess": LARAVEL_HTACCESS, "laravel/index.php": FRONT, "laravel/robots.txt": "ok\n",
             "wp/.htaccess": WORDPRESS_HTACCESS, "wp/index.php": FRONT, "wp/robots.txt": "ok\n",
             "sf/.htaccess": SYMFONY_HTACCESS, "sf/index.php": FRONT}
    return start_server(request, ServerSpec(app_dirs=(), files=files, modules=("rewrite",), body=BODY + REDIRECT))


@pytest.fixture(params=sorted(SITES))
def route(request):
    return SITES[request.param]


def test_routed_path_routes_to_php(fronts, route, rid):
    r = fronts.get(f"{route}?id={rid}")
    assert r.status == 200 and r.json()["routed"] == route, r
    assert r.json()["CORS_REQUEST"] == "none", r   # the policy's environment reaches index.php
    assert fronts.reached(rid) == ["GET"]


def test_preflight_answered_before_php(fronts, route, rid):
    r = fronts.preflight(f"{route}?id={rid}", PARTNER_A, "PUT", "content-type, authorization")
    assert r.status == 204, r
    assert r.all("Access-Control-Allow-Origin") == [PARTNER_A], r
    assert "PUT" in r.tokens("Access-Control-Allow-Methods"), r
    assert {"content-type", "authorization"} <= set(r.tokens_lower("Access-Control-Allow-Headers")), r
    assert fronts.reached(rid) == []


def test_refused_preflight_never_reaches_php(fronts, route, rid):
    refused(fronts.preflight(f"{route}?id={rid}", PARTNER_A, "PATCH"))
    refused(fronts.preflight(f"{route}?id={rid}", STRANGER, "PUT"))
    assert fronts.reached(rid) == []


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_partner_gets_its_headers(fronts, route, rid, method):
    r = fronts.request(method, f"{route}?id={rid}", PARTNER_A, body=b"" if method == "POST" else None)
    assert_allowed_actual(r, PARTNER_A)
    assert (r.json()["CORS_REQUEST"], r.json()["CORS_ORIGIN"]) == ("actual", PARTNER_A), r
    assert fronts.reached(rid) == [method]


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_stranger_refused_before_php(fronts, route, rid, method):
    refused(fronts.request(method, f"{route}?id={rid}", STRANGER, body=b"" if method == "POST" else None))
    assert fronts.reached(rid) == []


def test_options_without_request_method_reaches_php(fronts, route, rid):
    r = fronts.request("OPTIONS", f"{route}?id={rid}", PARTNER_A)
    assert r.status == 200, r
    assert fronts.reached(rid) == ["OPTIONS"]


@pytest.mark.parametrize("path", ["laravel", "wp"])   # the sf policy covers index.php alone
def test_real_file_is_served_with_the_policy(fronts, path):
    assert_allowed_actual(fronts.get(f"/{path}/robots.txt", PARTNER_A), PARTNER_A)
    refused(fronts.get(f"/{path}/robots.txt", STRANGER))


def test_server_redirect_spares_preflights(fronts, rid):
    host = f"bare.test:{fronts.port}"
    r = fronts.preflight(f"/laravel/api/users/7?id={rid}", PARTNER_A, "PUT", host=host)
    assert r.status == 204 and r.all("Access-Control-Allow-Origin") == [PARTNER_A], r
    moved = fronts.get(f"/laravel/api/users/7?id={rid}", PARTNER_A, host=host)
    assert moved.status == 301 and moved.get("Location").startswith("http://www.bare.test/"), moved
    assert fronts.reached(rid) == []
