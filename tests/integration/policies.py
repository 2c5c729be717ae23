"""The CORS policies the integration suite runs against, and a short check sequence.

Every URL /p/<scope>/[...]/<file> maps (AliasMatch) to app/<file>, so each <Location>
below is one policy in front of the same PHP application.
"""
from harness import PHP_FOR_MPM, ServerSpec, Httpd

ALLOWED = "https://app.example.com"   # allowed by most scopes
FOREIGN = "https://evil.example"       # allowed by none

CORE_BODY = r'''
AliasMatch "^/p/.*/([^/]*)$" "${IT_HTDOCS}/app/$1"

# app/env.php prints the CORS_* environment variables it sees: the scopes whose tests read
# them turn CORSExportEnv On; /p/notes/ keeps it Off (the default) and the decision reaches
# only the request notes, in cors.log.
LogFormat "%U|%{CORS_REQUEST}n|%{CORS_ORIGIN}n|%{CORS_ALLOWED}n|%{CORS_REASON}n" corsnotes
CustomLog "${IT_ROOT}/logs/cors.log" corsnotes

<Location "/p/notes/">
    CORSEngine On
    CORSAllowOrigin https://app.example.com
    CORSReject Off
    CORSExportEnv Off
</Location>

<Directory "${IT_HTDOCS}/app">
    Options +FollowSymLinks
    RewriteEngine On
    RewriteRule "^old-(.*)$" "/p/exact/$1" [R=302,L]
</Directory>

<Location "/p/exact/">
    CORSEngine On
    CORSExportEnv On
    CORSAllowOrigin https://app.example.com http://localhost:3000
    CORSAllowOrigin HTTPS://Default.Example:443 http://[::1]:8080 chrome-extension://abcdefghijklmnop
    CORSAllowMethods GET POST PUT DELETE
    CORSAllowHeaders X-Custom-Header Content-Type
    CORSExposeHeaders X-Total-Count X-Request-Id
    CORSMaxAge 600
</Location>

<Location "/p/wild/">
    CORSEngine On
    CORSAllowOrigin https://*.example.com http://dev.example:* https://*.ported.example:8443
    CORSMaxAge 0
</Location>

<Location "/p/star/">
    CORSEngine On
    CORSAllowOrigin *
    CORSAllowMethods *
    CORSAllowHeaders *
</Location>

<Location "/p/starauth/">
    CORSEngine On
    CORSAllowOrigin *
    CORSAllowHeaders * Authorization
    CORSExposeHeaders *
</Location>

<Location "/p/null/">
    CORSEngine On
    CORSAllowOrigin null https://app.example.com
</Location>

<Location "/p/cred/">
    CORSEngine On
    CORSAllowOrigin https://app.example.com
    CORSAllowCredentials On
    CORSAllowHeaders *
    CORSExposeHeaders X-Total-Count
</Location>

<Location "/p/php/">
    CORSEngine On
    CORSAllowOriginMatch "@\.partner\.domain\.com$@"
    CORSAllowOriginMatch "#^https://(www|api)\.partner\.example$#i"
    CORSAllowOriginMatch "~^https://tools \. example \. org$~x"
    CORSAllowOriginMatch "{^https://brace\.example$}"
    CORSAllowOriginMatch "^https://[a-z0-9-]+\.plain\.example$"
    CORSAllowOriginMatch "/^null$/"
</Location>

<Location "/p/pn/">
    CORSEngine On
    CORSAllowOrigin https://app.example.com
    CORSAllowPrivateNetwork On
</Location>

<Location "/p/reject-off/">
    CORSEngine On
    CORSExportEnv On
    CORSAllowOrigin https://app.example.com
    CORSReject Off
</Location>

<Location "/p/pass/">
    CORSEngine On
    CORSExportEnv On
    CORSAllowOrigin https://app.example.com
    CORSAllowMethods PUT
    CORSPreflight Pass
</Location>

<Location "/p/report/">
    CORSEngine On
    CORSExportEnv On
    CORSAllowOrigin https://app.example.com
    CORSReportOnly On
</Location>

<Location "/p/override-off/">
    CORSEngine On
    CORSAllowOrigin https://app.example.com
    CORSOverrideAppHeaders Off
</Location>

<Location "/p/auth/">
    CORSEngine On
    CORSAllowOrigin https://app.example.com
    CORSAllowMethods PUT
    AuthType Basic
    AuthName "mod_cors tests"
    AuthUserFile "${IT_CONF}/htpasswd"
    Require valid-user
</Location>

<Location "/p/errdoc/">
    CORSEngine On
    CORSAllowOrigin https://app.example.com
    ErrorDocument 403 "custom refusal text"
</Location>

<Location "/p/errdoc-local/">
    CORSEngine On
    CORSAllowOrigin https://app.example.com
    ErrorDocument 403 /errors/403.html
</Location>

<Location "/p/errdoc404/">
    CORSEngine On
    CORSExportEnv On
    CORSAllowOrigin https://app.example.com
    ErrorDocument 404 /p/errdoc404/env.php
</Location>

<Location "/p/headers-always/">
    CORSEngine On
    CORSAllowOrigin https://app.example.com
    Header always set Access-Control-Allow-Origin "https://stale.example"
    Header always set Access-Control-Allow-Credentials "true"
    Header always merge Vary "Accept-Language"
</Location>

<Location "/p/headers-case/">
    CORSEngine On
    CORSAllowOrigin https://app.example.com
    Header always set access-control-allow-origin "https://stale.example"
    Header always set ACCESS-CONTROL-ALLOW-CREDENTIALS "true"
    Header set aCCESS-cONTROL-aLLOW-mETHODS "*"
    Header always merge vary "ORIGIN"
</Location>

<Location "/p/redos/">
    CORSEngine On
    CORSExportEnv On
    CORSReject Off
    CORSAllowOriginMatch "#^https://(a|a)*b\.example$#"
</Location>

<Location "/p/denied/">
    CORSEngine On
    CORSAllowOrigin https://app.example.com
    Require all denied
</Location>

<Location "/p/moved/">
    CORSEngine On
    CORSAllowOrigin https://app.example.com
    Redirect 301 "/p/exact/api.php"
</Location>

<Location "/p/merge/">
    CORSEngine On
    CORSAllowOrigin https://outer.example
    CORSAllowMethods PUT
    CORSAllowHeaders X-A
    CORSAllowHeaders X-B
    CORSExposeHeaders X-Outer
    CORSMaxAge 100
</Location>

<Location "/p/merge/inner/">
    CORSAllowOrigin https://inner.example
    CORSMaxAge 200
</Location>

<Location "/p/merge/pattern/">
    CORSAllowOriginMatch "#^https://pattern\.example$#"
</Location>

<Location "/p/merge/off/">
    CORSEngine Off
</Location>

<Directory "${IT_HTDOCS}/dirscope">
    CORSEngine On
    CORSAllowOrigin https://dir.example
</Directory>

<Location "/dirscope/">
    CORSAllowOrigin https://loc.example
</Location>

<Directory "${IT_HTDOCS}/filescope">
    CORSEngine On
    CORSAllowOrigin https://dir.example
    <Files "vary.php">
        CORSAllowOrigin https://files.example
    </Files>
</Directory>

<Directory "${IT_HTDOCS}/ht-fileinfo">
    AllowOverride FileInfo
</Directory>

<Directory "${IT_HTDOCS}/ht-credstar">
    AllowOverride FileInfo
    CORSEngine On
    CORSAllowOrigin https://app.example.com
    CORSAllowCredentials On
</Directory>

<Directory "${IT_HTDOCS}/ht-bad">
    AllowOverride FileInfo
</Directory>

<Directory "${IT_HTDOCS}/ht-authconfig">
    AllowOverride AuthConfig
</Directory>

<Directory "${IT_HTDOCS}/ht-none">
    AllowOverride None
</Directory>

<Location "/proxy/">
    ProxyPass "http://127.0.0.1:${IT_BACKEND_PORT}/"
    CORSEngine On
    CORSAllowOrigin https://app.example.com
    CORSAllowMethods PUT
</Location>

<Location "/proxy-keep/">
    ProxyPass "http://127.0.0.1:${IT_BACKEND_PORT}/"
    CORSEngine On
    CORSAllowOrigin https://app.example.com
    CORSOverrideAppHeaders Off
</Location>
'''

HTACCESS = """CORSEngine On
CORSAllowOrigin https://htaccess.example
CORSAllowMethods PUT
"""

CORE_FILES = {
    "errors/403.html": "local refusal page\n",
    "ht-fileinfo/.htaccess": HTACCESS,
    "ht-none/.htaccess": HTACCESS,
    "ht-authconfig/.htaccess": HTACCESS,
    "ht-bad/.htaccess": "CORSEngine On\nCORSMaxAge 86401\n",
    # "*" meeting credentials through the merge: a start-up error in the main configuration
    # (test_policy_view.py), found per request in an .htaccess file
    "ht-credstar/.htaccess": "CORSAllowOrigin *\n",
}

CORE_APP_DIRS = ("app", "dirscope", "filescope", "ht-fileinfo", "ht-none", "ht-authconfig", "ht-bad", "ht-credstar")

# The PHP flavour of each MPM: mod_php needs prefork, threaded MPMs use php-fpm.


# The start-up warning of the core configuration: /p/null/ allows null on purpose.
NULL_WARNING = r"\[cors:warn\] .*CORSAllowOrigin null allows"
# /p/php/ keeps the PHP application's patterns as written, warnings and all.
PHP_PATTERN_WARNINGS = (r"\[cors:warn\] .*CORSAllowOriginMatch \"@\S*partner\S*domain\S*\" allows http://",
                        r"\[cors:warn\] .*CORSAllowOriginMatch \"/\^null\$/\" allows null")


def core_spec(mpm: str, tls: bool = False) -> ServerSpec:
    return ServerSpec(mpm=mpm, php=PHP_FOR_MPM[mpm], body=CORE_BODY, tls=tls, modules=("rewrite",),
                      files=dict(CORE_FILES), app_dirs=CORE_APP_DIRS, expect_log=(NULL_WARNING, *PHP_PATTERN_WARNINGS))


def smoke_checks(srv: Httpd) -> None:
    """The main behaviours of the core policy, in one pass (used around restarts). It runs
    app/fatal.php: a test calling it declares PHP_FATAL_LOG (harness)."""
    from harness import unique_id

    ok = srv.get("/p/exact/api.php", ALLOWED)
    assert ok.status == 200 and ok.all("Access-Control-Allow-Origin") == [ALLOWED], ok
    assert "origin" in ok.tokens_lower("Vary"), ok

    rid = unique_id()
    refused = srv.request("POST", f"/p/exact/record.php?id={rid}", FOREIGN, body=b"x=1")
    assert refused.status == 403 and not refused.has("Access-Control-Allow-Origin"), refused
    assert srv.reached(rid) == []

    pre = srv.preflight(f"/p/exact/record.php?id={rid}", ALLOWED, "PUT", "X-Custom-Header")
    assert pre.status == 204 and "PUT" in pre.tokens("Access-Control-Allow-Methods"), pre
    assert srv.preflight("/p/exact/api.php", ALLOWED, "PATCH").status == 403
    assert srv.reached(rid) == []

    env = srv.get("/p/exact/env.php", ALLOWED).json()
    assert (env["CORS_REQUEST"], env["CORS_ORIGIN"], env["CORS_ALLOWED"]) == ("actual", ALLOWED, "1")

    star = srv.get("/p/exact/star.php", ALLOWED)
    assert star.all("Access-Control-Allow-Origin") == [ALLOWED], star

    for path, status in (("/p/exact/missing.html", 404), ("/p/exact/fatal.php", 500)):
        r = srv.get(path, ALLOWED)
        assert r.status == status and r.all("Access-Control-Allow-Origin") == [ALLOWED], r

    same = srv.request("POST", "/p/exact/env.php", f"http://127.0.0.1:{srv.port}", body=b"")
    assert same.status == 200 and same.json()["CORS_REQUEST"] == "same-origin", same
