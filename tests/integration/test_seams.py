"""Issue 20's seams between the module and httpd's request machinery, each as a client meets it.

3. A preflight is decided in the scope of the resource finally served: DirectoryIndex (one
   candidate or several), a front controller in <Directory> or .htaccess (Laravel's,
   WordPress's), an Alias, mod_dir's trailing-slash redirect; still before authentication:
   under `Require valid-user` a preflight gets its 204 or 403, never a 401.
4. An ErrorDocument page takes the decision of the request that failed, the last of an
   internal redirect chain (/on/x/missing rewritten to /off/missing, CORSEngine Off there).
5. A redirect target without CORS configuration of its own keeps the decision it was given:
   a <Location /wp/wp-json/> policy behind WordPress's .htaccess front controller.

Every layout exists twice: as it is, and under /auth/ with `Require valid-user` around it.
What the module does not answer itself (the final scope has the engine off, `CORSPreflight
Pass`, report-only, an OPTIONS that is not a preflight) gets exactly the authentication and
authorisation it gets without the module: each such request is sent to a twin server built
from the same configuration with every CORS directive removed and mod_cors not loaded.
"""
import re

import pytest

from conftest import MPMS, MPM_IDS, start_server
from harness import PREFLIGHT_VARY, ServerSpec, assert_allowed, assert_no_cors, assert_refused, unique_id
from policies import PHP_FOR_MPM

A = "https://a.example"              # allowed everywhere a policy is
B = "https://b.example"              # allowed by the outer scopes only
PARTNER = "https://a.partner.example"
STRANGER = "https://evil.example"
USER = ("alice", "wonderland")       # ServerSpec's default user

RECORD = """<?php
// Records that the request reached PHP, then answers like record.php.
file_put_contents($_SERVER['CORS_TEST_STATE'], $_SERVER['REQUEST_METHOD'] . ' ' . ($_GET['id'] ?? '-') . "\\n",
                  FILE_APPEND | LOCK_EX);
header('Content-Type: text/plain');
echo "reached\\n";
"""

# What WordPress's REST API sends itself (rest_send_cors_headers and WP_REST_Server::serve_request):
# the request's Origin with credentials, its methods and headers on every answer.
WORDPRESS_INDEX = """<?php
file_put_contents($_SERVER['CORS_TEST_STATE'], $_SERVER['REQUEST_METHOD'] . ' ' . ($_GET['id'] ?? '-') . "\\n",
                  FILE_APPEND | LOCK_EX);
if (!empty($_SERVER['HTTP_ORIGIN'])) {
    header('Access-Control-Allow-Origin: ' . $_SERVER['HTTP_ORIGIN']);
    header('Access-Control-Allow-Methods: OPTIONS, GET, POST, PUT, PATCH, DELETE');
    header('Access-Control-Allow-Credentials: true');
    header('Vary: Origin', false);
}
header('Access-Control-Expose-Headers: X-WP-Total, X-WP-TotalPages');
header('Access-Control-Allow-Headers: Authorization, X-WP-Nonce, Content-Disposition, Content-MD5, Content-Type');
header('X-WP-Total: 2');
header('X-WP-TotalPages: 1');
header('Content-Type: application/json');
echo json_encode(['route' => $_SERVER['REQUEST_URI'], 'CORS_REQUEST' => $_SERVER['CORS_REQUEST'] ?? null,
                  'CORS_ORIGIN' => $_SERVER['CORS_ORIGIN'] ?? null]);
"""

# Laravel's public/.htaccess (laravel/laravel 11), then the policy, narrowed on the front controller.
LARAVEL_HTACCESS = f"""<IfModule mod_rewrite.c>
    <IfModule mod_negotiation.c>
        Options -MultiViews -Indexes
    </IfModule>

    RewriteEngine On

    # Handle Authorization Header
    RewriteCond %{{HTTP:Authorization}} .
    RewriteRule .* - [E=HTTP_AUTHORIZATION:%{{HTTP:Authorization}}]

    # Handle X-XSRF-Token Header
    RewriteCond %{{HTTP:x-xsrf-token}} .
    RewriteRule .* - [E=HTTP_X_XSRF_TOKEN:%{{HTTP:X-XSRF-Token}}]

    # Redirect Trailing Slashes If Not A Folder...
    RewriteCond %{{REQUEST_FILENAME}} !-d
    RewriteCond %{{REQUEST_URI}} (.+)/$
    RewriteRule ^ %1 [L,R=301]

    # Send Requests To Front Controller...
    RewriteCond %{{REQUEST_FILENAME}} !-d
    RewriteCond %{{REQUEST_FILENAME}} !-f
    RewriteRule ^ index.php [L]
</IfModule>

CORSEngine On
CORSAllowOrigin {A} {B}
CORSAllowMethods GET POST PUT DELETE
<Files "index.php">
    CORSAllowOrigin {A}
</Files>
"""


def wordpress_htaccess(prefix: str) -> str:
    """WordPress's own .htaccess for a site installed at /{prefix}wp/."""
    return f"""# BEGIN WordPress
<IfModule mod_rewrite.c>
RewriteEngine On
RewriteRule .* - [E=HTTP_AUTHORIZATION:%{{HTTP:Authorization}}]
RewriteBase /{prefix}wp/
RewriteRule ^index\\.php$ - [L]
RewriteCond %{{REQUEST_FILENAME}} !-f
RewriteCond %{{REQUEST_FILENAME}} !-d
RewriteRule . /{prefix}wp/index.php [L]
</IfModule>
# END WordPress
"""


def layouts(prefix: str) -> str:
    """Every layout of the suite under /{prefix}: "" or "auth/"."""
    d = "${IT_HTDOCS}/" + prefix
    return f"""
# 3. the issue's layout: a policy narrowed on the index file
<Directory "{d}di">
    CORSEngine On
    CORSAllowOrigin {A} {B}
    <Files "index.html">
        CORSAllowOrigin {A}
    </Files>
</Directory>

# 3. the same behind a front controller
<Directory "{d}fc">
    Options +FollowSymLinks
    CORSEngine On
    CORSAllowOrigin {A} {B}
    RewriteEngine On
    RewriteCond %{{REQUEST_FILENAME}} !-f
    RewriteRule ^ index.html [L]
    <Files "index.html">
        CORSAllowOrigin {A}
    </Files>
</Directory>

# 3. '*' outside, credentials on the index file
<Directory "{d}dicred">
    CORSEngine On
    CORSAllowOrigin *
    <Files "index.html">
        CORSAllowOrigin {A}
        CORSAllowCredentials On
    </Files>
</Directory>

# several DirectoryIndex candidates, the first missing; the policy on the second
<Directory "{d}multi">
    DirectoryIndex missing.html index.php
    CORSEngine On
    CORSAllowOrigin {A} {B}
    <Files "index.php">
        CORSAllowOrigin {A}
    </Files>
</Directory>

# the index file allows more than its directory
<Directory "{d}wider">
    CORSEngine On
    CORSAllowOrigin {A}
    <Files "index.php">
        CORSAllowOrigin {A} {B}
    </Files>
</Directory>

# the index file switches the engine off
<Directory "{d}dioff">
    CORSEngine On
    CORSAllowOrigin {A}
    <Files "index.php">
        CORSEngine Off
    </Files>
</Directory>

# the index file passes preflights on
<Directory "{d}dipass">
    CORSEngine On
    CORSAllowOrigin {A}
    <Files "index.php">
        CORSPreflight Pass
    </Files>
</Directory>

# report-only behind DirectoryIndex
<Directory "{d}direport">
    CORSEngine On
    CORSAllowOrigin {A}
    CORSReportOnly On
</Directory>

# .htaccess front controllers
<Directory "{d}laravel">
    Options +FollowSymLinks
    AllowOverride All
</Directory>
<Directory "{d}wp">
    Options +FollowSymLinks
    AllowOverride All
</Directory>

# 5. WordPress's REST API given a policy the natural way
<Location "/{prefix}wp/wp-json/">
    CORSEngine On
    CORSAllowOrigin {PARTNER}
    CORSAllowCredentials On
    CORSAllowMethods GET POST PUT DELETE
    CORSAllowHeaders Content-Type Authorization X-WP-Nonce
    CORSExposeHeaders X-WP-Total X-WP-TotalPages Link
    CORSExportEnv On
</Location>

# 4. a per-directory RewriteRule from an enabled scope into a disabled one
<Directory "{d}on">
    Options +FollowSymLinks
    CORSEngine On
    CORSAllowOrigin {A}
    ErrorDocument 404 /errdocs/404.html
    RewriteEngine On
    RewriteRule ^x/(.*)$ /{prefix}off/$1
    RewriteRule ^y/(.*)$ /{prefix}off-plain/$1
    RewriteRule ^z/(.*)$ /{prefix}plain/$1
</Directory>
<Directory "{d}off">
    CORSEngine Off
    ErrorDocument 404 /errdocs/404.html
</Directory>
<Directory "{d}off-plain">
    CORSEngine Off
</Directory>
# a scope without any CORS directive (no ErrorDocument of its own)
<Directory "{d}plain">
    Options +FollowSymLinks
</Directory>
# ... and the reverse: from a disabled scope into an enabled one
<Directory "{d}offon">
    Options +FollowSymLinks
    CORSEngine Off
    RewriteEngine On
    RewriteRule ^x/(.*)$ /{prefix}on/$1
</Directory>
"""


def layout_files(prefix: str) -> dict:
    p = prefix
    return {
        f"{p}di/index.html": "di\n", f"{p}fc/index.html": "fc\n", f"{p}dicred/index.html": "dicred\n",
        f"{p}multi/index.php": RECORD, f"{p}wider/index.php": RECORD, f"{p}dioff/index.php": RECORD,
        f"{p}dipass/index.php": RECORD, f"{p}direport/index.php": RECORD,
        f"{p}laravel/.htaccess": LARAVEL_HTACCESS, f"{p}laravel/index.php": RECORD, f"{p}laravel/robots.txt": "ok\n",
        f"{p}wp/.htaccess": wordpress_htaccess(prefix), f"{p}wp/index.php": WORDPRESS_INDEX,
        f"{p}on/here.txt": "on\n", f"{p}off/here.txt": "off\n", f"{p}off-plain/here.txt": "off\n",
        f"{p}plain/here.txt": "plain\n", f"{p}plain/index.php": RECORD, f"{p}offon/here.txt": "offon\n",
    }


AUTH = """
<Directory "${IT_HTDOCS}/auth">
    AuthType Basic
    AuthName "seams"
    AuthUserFile "${IT_CONF}/htpasswd"
    Require valid-user
</Directory>
Alias "/aliased" "${IT_HTDOCS}/di"
Alias "/auth-aliased" "${IT_HTDOCS}/auth/di"
"""
BODY = layouts("") + layouts("auth/") + AUTH
FILES = {**layout_files(""), **layout_files("auth/"), "errdocs/404.html": "custom 404 page\n"}

CORS_LINE = re.compile(r"^\s*CORS\w+.*$\n?", re.MULTILINE)
CORS_BLOCK = re.compile(r"^\s*<(Files|Location) [^>]*>\s*</\1>\s*$\n?", re.MULTILINE)


def without_cors(text: str) -> str:
    """The same configuration with every CORS directive (and the blocks left empty) removed."""
    return CORS_BLOCK.sub("", CORS_LINE.sub("", text))


def spec(mpm: str, cors: bool = True) -> ServerSpec:
    files = FILES if cors else {k: without_cors(v) for k, v in FILES.items()}
    return ServerSpec(mpm=mpm, php=PHP_FOR_MPM[mpm], body=BODY if cors else without_cors(BODY),
                      modules=("rewrite",), app_dirs=(), files=files, load_cors=cors)


@pytest.fixture(scope="module", params=MPMS, ids=MPM_IDS.get)
def seams(request, cors_module):
    return start_server(request, spec(request.param))


@pytest.fixture(scope="module")
def control(request, seams):
    """The same server without mod_cors and without any CORS directive."""
    return start_server(request, spec(seams.spec.mpm, cors=False))


PREFIXES = ["", "auth/"]


@pytest.fixture(params=PREFIXES, ids=["open", "require-valid-user"])
def prefix(request):
    return request.param


def preflight_allowed(r, origin, credentials=False):
    assert_allowed(r, origin, status=204, credentials=credentials)
    assert all(v in r.tokens_lower("Vary") for v in PREFLIGHT_VARY), r
    assert r.body == b"", r


def preflight_refused(r):
    assert_refused(r)
    assert r.status != 401, r


# ---------------------------------------------------------------- 3. preflights in the target's scope

# layout -> the path a client asks for (the target narrows the origins to A)
NARROWED = {
    "directoryindex": "di/",
    "front-controller": "fc/users/42",
    "several-candidates": "multi/",
    "laravel-htaccess": "laravel/api/users/7",
}


@pytest.mark.parametrize("layout", list(NARROWED))
def test_preflight_refused_by_the_target(seams, prefix, layout):
    """The issue's reproduction 3: B is allowed by the directory, not by the file served."""
    rid = unique_id()
    preflight_refused(seams.preflight(f"/{prefix}{NARROWED[layout]}?id={rid}", B, "POST"))
    preflight_allowed(seams.preflight(f"/{prefix}{NARROWED[layout]}?id={rid}", A, "POST"), A)
    assert seams.reached(rid) == []


@pytest.mark.parametrize("layout", list(NARROWED))
def test_actual_request_refused_by_the_target(seams, layout):
    rid = unique_id()
    assert_refused(seams.get(f"/{NARROWED[layout]}?id={rid}", B))
    assert_allowed(seams.get(f"/{NARROWED[layout]}?id={rid}", A), A)
    assert seams.reached(rid) == (["GET"] if layout in ("several-candidates", "laravel-htaccess") else [])


def test_credentials_of_the_target_answer_the_preflight(seams, prefix):
    """'*' outside, credentials on the index file: the partner's preflight gets its own origin
    and Allow-Credentials, not '*' (which a credentialed request fails on)."""
    r = seams.preflight(f"/{prefix}dicred/", A, "POST")
    preflight_allowed(r, A, credentials=True)
    preflight_refused(seams.preflight(f"/{prefix}dicred/", B, "POST"))


def test_target_allowing_more_than_its_directory(seams, prefix):
    """The file served allows B although its directory does not: B is not refused early."""
    rid = unique_id()
    preflight_allowed(seams.preflight(f"/{prefix}wider/?id={rid}", B, "POST"), B)
    if not prefix:
        assert_allowed(seams.get(f"/wider/?id={rid}", B), B)
        assert seams.reached(rid) == ["GET"]
    else:
        assert seams.get(f"/{prefix}wider/?id={rid}", B).status == 401
        assert_allowed(seams.get(f"/{prefix}wider/?id={rid}", B, auth=USER), B)
        assert seams.reached(rid) == ["GET"]


@pytest.mark.parametrize("path", ["aliased/", "auth-aliased/"])
def test_alias_to_a_directory_index(seams, path):
    preflight_refused(seams.preflight(f"/{path}", B, "POST"))
    preflight_allowed(seams.preflight(f"/{path}", A, "POST"), A)


def test_mod_dir_trailing_slash_redirect(seams, prefix):
    """/di has no slash: mod_dir redirects it. The preflight is answered where the redirect is
    made (the directory's scope, which allows A and B); the actual GET gets the 301 with CORS
    headers."""
    preflight_allowed(seams.preflight(f"/{prefix}di", B, "POST"), B)
    preflight_refused(seams.preflight(f"/{prefix}di", STRANGER, "POST"))
    moved = seams.get(f"/{prefix}di", A, auth=USER if prefix else None)
    assert moved.status == 301 and moved.get("Location").endswith(f"/{prefix}di/"), moved
    assert moved.all("Access-Control-Allow-Origin") == [A], moved


def test_redirect_rule_is_not_followed_by_the_look_up(seams, prefix):
    """Laravel's trailing-slash rule ([R=301]) for a path that is no folder: mod_rewrite applies
    no [R] rule in a subrequest, so the look-up goes on to the front controller, whose scope
    (A only) decides; the actual request still gets its 301."""
    rid = unique_id()
    preflight_refused(seams.preflight(f"/{prefix}laravel/api/users/?id={rid}", B, "POST"))
    preflight_allowed(seams.preflight(f"/{prefix}laravel/api/users/?id={rid}", A, "POST"), A)
    moved = seams.get(f"/{prefix}laravel/api/users/?id={rid}", A, auth=USER if prefix else None)
    assert moved.status == 301, moved
    assert seams.reached(rid) == []


# ---------------------------------------------------------------- 5. <Location> policy behind WordPress

def test_wordpress_rest_api_gets_the_location_policy(seams, prefix):
    """The issue's reproduction 5: the partner's answer comes from index.php (outside the
    <Location>), with the policy's headers and none of WordPress's own."""
    rid = unique_id()
    r = seams.get(f"/{prefix}wp/wp-json/wp/v2/posts?id={rid}", PARTNER, auth=USER if prefix else None)
    assert_allowed(r, PARTNER, credentials=True)
    assert r.all("Access-Control-Expose-Headers") == ["X-WP-Total, X-WP-TotalPages, Link"], r
    assert not r.has("Access-Control-Allow-Methods") and not r.has("Access-Control-Allow-Headers"), r
    assert r.tokens_lower("Vary").count("origin") == 1, r
    assert (r.json()["CORS_REQUEST"], r.json()["CORS_ORIGIN"]) == ("actual", PARTNER), r
    assert seams.reached(rid) == ["GET"]


def test_wordpress_rest_api_refuses_and_answers_before_php(seams, prefix):
    rid = unique_id()
    assert_refused(seams.get(f"/{prefix}wp/wp-json/wp/v2/posts?id={rid}", STRANGER))
    r = seams.preflight(f"/{prefix}wp/wp-json/wp/v2/posts/1?id={rid}", PARTNER, "PUT", "content-type, x-wp-nonce")
    preflight_allowed(r, PARTNER, credentials=True)
    assert r.tokens("Access-Control-Allow-Methods") == ["PUT"], r
    preflight_refused(seams.preflight(f"/{prefix}wp/wp-json/wp/v2/posts/1?id={rid}", PARTNER, "PATCH"))
    assert seams.reached(rid) == []


def test_wordpress_outside_the_location_is_untouched(seams):
    """A page of the site (no policy anywhere on its way) keeps WordPress's own headers."""
    rid = unique_id()
    r = seams.get(f"/wp/2024/01/hello-world/?id={rid}", PARTNER)
    assert r.status == 200 and r.all("Access-Control-Allow-Methods"), r
    assert "CORS_REQUEST" in r.json() and r.json()["CORS_REQUEST"] is None, r


def test_redirect_target_without_policy_keeps_the_decision(seams):
    """/on/z/here.txt is rewritten to /plain/here.txt, a scope without CORS directive."""
    r = seams.get("/on/z/here.txt", A)
    assert_allowed(r, A)
    assert r.text == "plain\n", r
    assert_refused(seams.get("/on/z/here.txt", STRANGER))


def test_redirect_target_with_engine_off_decides(seams):
    r = seams.get("/on/x/here.txt", A)
    assert r.status == 200 and r.text == "off\n", r
    assert_no_cors(r)


def test_redirect_from_a_disabled_scope_into_an_enabled_one(seams):
    assert_allowed(seams.get("/offon/x/here.txt", A), A)
    assert_refused(seams.get("/offon/x/here.txt", STRANGER))


# ---------------------------------------------------------------- 4. ErrorDocument after RewriteRule

def test_error_document_takes_the_decision_of_the_failed_request(seams):
    """The issue's reproduction 4: /on/x/missing fails as /off/missing (engine off)."""
    r = seams.get("/on/x/missing", A)
    assert r.status == 404 and r.text == "custom 404 page\n", r
    assert_no_cors(r)


def test_builtin_error_page_after_rewrite_into_a_disabled_scope(seams):
    """The same without an ErrorDocument: httpd's own 404 page of /off-plain/missing."""
    r = seams.get("/on/y/missing", A)
    assert r.status == 404, r
    assert_no_cors(r)


@pytest.mark.parametrize("path", ["/off/missing", "/off-plain/missing"])
def test_error_in_a_disabled_scope(seams, path):
    r = seams.get(path, A)
    assert r.status == 404, r
    assert_no_cors(r)


def test_error_document_of_an_enabled_scope(seams):
    r = seams.get("/on/missing", A)
    assert r.status == 404 and r.text == "custom 404 page\n", r
    assert_allowed(r, A, status=404)


def test_error_document_after_rewrite_into_an_enabled_scope(seams):
    assert_allowed(seams.get("/offon/x/missing", A), A, status=404)


def test_error_after_rewrite_into_a_scope_without_policy(seams):
    """/plain has no CORS directive: its 404 keeps the decision of /on."""
    assert_allowed(seams.get("/on/z/missing", A), A, status=404)


# ---------------------------------------------------------------- before authentication

# Preflights the module answers itself under Require valid-user: never a 401.
ANSWERED = {
    "directoryindex": ("di/", A, 204), "directoryindex-refused": ("di/", B, 403),
    "front-controller": ("fc/users/42", A, 204), "front-controller-refused": ("fc/users/42", B, 403),
    "several-candidates": ("multi/", A, 204), "several-candidates-refused": ("multi/", B, 403),
    "laravel": ("laravel/api/users/7", A, 204), "laravel-refused": ("laravel/api/users/7", B, 403),
    "wordpress-location": ("wp/wp-json/wp/v2/posts", PARTNER, 204),
    "wordpress-location-refused": ("wp/wp-json/wp/v2/posts", STRANGER, 403),
    "rewrite-to-plain": ("on/z/here.txt", A, 204), "rewrite-to-plain-refused": ("on/z/here.txt", STRANGER, 403),
    "rewrite-from-off-to-on": ("offon/x/here.txt", A, 204),
    "rewrite-from-off-to-on-refused": ("offon/x/here.txt", STRANGER, 403),
}


@pytest.mark.parametrize("case", list(ANSWERED))
def test_preflight_under_require_valid_user_is_answered(seams, case):
    path, origin, status = ANSWERED[case]
    rid = unique_id()
    r = seams.preflight(f"/auth/{path}?id={rid}", origin, "POST")
    if status == 204:
        preflight_allowed(r, origin, credentials=origin == PARTNER)
    else:
        preflight_refused(r)
    assert seams.reached(rid) == []


# What the module does not answer: (path, request headers). Each gets what the control server
# without the module gives, without and with credentials.
PASSED_ON = {
    "target-engine-off": ("dioff/", [("Origin", A), ("Access-Control-Request-Method", "POST")]),
    "rewrite-into-engine-off": ("on/x/here.txt", [("Origin", A), ("Access-Control-Request-Method", "POST")]),
    "target-preflight-pass": ("dipass/", [("Origin", A), ("Access-Control-Request-Method", "POST")]),
    "report-only": ("direport/", [("Origin", A), ("Access-Control-Request-Method", "POST")]),
    "report-only-stranger": ("direport/", [("Origin", STRANGER), ("Access-Control-Request-Method", "POST")]),
    "options-without-request-method": ("multi/", [("Origin", A)]),
    "options-without-origin": ("multi/", [("Access-Control-Request-Method", "POST")]),
    "same-origin-options": ("multi/", [("Origin", "{self}"), ("Access-Control-Request-Method", "POST")]),
    "no-policy-anywhere": ("plain/", [("Origin", A), ("Access-Control-Request-Method", "POST")]),
    "wordpress-outside-location": ("wp/2024/01/hello/", [("Origin", PARTNER), ("Access-Control-Request-Method", "PUT")]),
}


@pytest.mark.parametrize("case", list(PASSED_ON))
@pytest.mark.parametrize("credentials", [False, True], ids=["anonymous", "alice"])
def test_options_not_answered_gets_the_same_authentication(seams, control, case, credentials):
    path, headers = PASSED_ON[case]
    answers = []
    for srv in (seams, control):
        rid = unique_id()
        lines = [(n, v.format(self=f"http://127.0.0.1:{srv.port}")) for n, v in headers]
        r = srv.request("OPTIONS", f"/auth/{path}?id={rid}", headers=lines, auth=USER if credentials else None)
        answers.append((r.status, srv.reached(rid)))
    assert answers[0] == answers[1], f"with mod_cors {answers[0]}, without {answers[1]}"
    assert answers[0][0] == (200 if credentials else 401), answers


@pytest.mark.parametrize("path", ["dipass/", "direport/"])
def test_preflight_not_answered_by_the_module_reaches_php_once_authenticated(seams, path):
    rid = unique_id()
    r = seams.preflight(f"/auth/{path}?id={rid}", A, "POST", auth=USER)
    assert r.status == 200 and r.text == "reached\n", r
    assert seams.reached(rid) == ["OPTIONS"]
    if path == "dipass/":
        assert r.all("Access-Control-Allow-Origin") == [A] and r.tokens("Access-Control-Allow-Methods") == ["POST"], r


@pytest.mark.parametrize("path, origin", [("di/", A), ("multi/", A), ("fc/users/42", A), ("wider/", B),
                                          ("wp/wp-json/wp/v2/posts", PARTNER)])
def test_actual_requests_still_need_credentials(seams, control, path, origin):
    """Allowed actual requests are not answered by the module: httpd's 401 as without it."""
    for origin in (origin, None):
        got = seams.get(f"/auth/{path}", origin).status
        want = control.get(f"/auth/{path}", origin).status
        assert got == want == 401, (origin, got, want)
