"""Fixtures of the whole-server fuzzer: the shared ones (tests/lib/httpd_fixtures.py: a crashed
child in any error log fails the test that ran), and per MPM a server with the engine on at
every kind of scope, beside a reference server with the same configuration and no mod_cors."""
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
from harness import MPM_IDS, PHP_FOR_MPM, Httpd, ServerSpec, figures_report  # noqa: E402
from httpd_fixtures import new_server  # noqa: E402

pytest_plugins = ["httpd_fixtures"]

report = figures_report("SERVERFUZZ_REPORT", "/tmp/mod_cors_serverfuzz_report.txt")


# Every CORS directive sits in <IfModule cors_module>, so that the reference server (the
# same configuration without the module) starts from the same text. Each listener decides
# in a different kind of scope:
#   main port   CORSEngine On at server level (the crash);
#   vhost port  CORSEngine On in a <VirtualHost> (credentials on);
#   scoped port the engine off for the virtual host, on in <Location /loc/>, <Directory dir>,
#               <FilesMatch>/<Files> in files/, a front controller's <FilesMatch> in fc/ and
#               a .htaccess (front controller and <FilesMatch>) in ht/.
POLICY = """CORSEngine On
    CORSAllowOrigin https://app.partner.example https://*.partner.example null
    CORSAllowMethods GET POST PUT DELETE PATCH
    CORSAllowHeaders X-Requested-With Content-Type Authorization
    CORSExposeHeaders X-Total-Count
    CORSMaxAge 600"""
FRONT_CONTROLLER = """RewriteEngine On
RewriteCond %{REQUEST_FILENAME} !-f
RewriteRule ^ index.php [L]"""
BODY = f"""
Timeout 3
KeepAliveTimeout 1
LimitRequestFieldSize 4000
LimitRequestFields 50
LimitRequestBody 100000
Listen 127.0.0.1:${{IT_PORT_VHOST}}
Listen 127.0.0.1:${{IT_PORT_SCOPED}}
Alias /loc/ "${{IT_HTDOCS}}/app/"
ErrorDocument 404 /files/api.php
<IfModule http2_module>
    Protocols h2c http/1.1
    H2Direct on
</IfModule>
<IfModule cors_module>
    {POLICY}
</IfModule>

<VirtualHost 127.0.0.1:${{IT_PORT_VHOST}}>
    ServerName vhost.test
    DocumentRoot "${{IT_HTDOCS}}"
    <IfModule cors_module>
        CORSEngine On
        CORSAllowOrigin https://app.partner.example
        CORSAllowCredentials On
    </IfModule>
</VirtualHost>

<VirtualHost 127.0.0.1:${{IT_PORT_SCOPED}}>
    ServerName scoped.test
    DocumentRoot "${{IT_HTDOCS}}"
    <IfModule cors_module>
        CORSEngine Off
    </IfModule>
    <Location "/loc/">
        <IfModule cors_module>
            CORSEngine On
            CORSAllowOrigin *
        </IfModule>
    </Location>
</VirtualHost>

<Directory "${{IT_HTDOCS}}/dir">
    <IfModule cors_module>
    {POLICY}
    </IfModule>
</Directory>
<Directory "${{IT_HTDOCS}}/files">
    <FilesMatch "\\.php$">
        <IfModule cors_module>
        {POLICY}
        </IfModule>
    </FilesMatch>
    <Files "static.txt">
        <IfModule cors_module>
        CORSEngine On
        CORSAllowOrigin *
        </IfModule>
    </Files>
</Directory>
<Directory "${{IT_HTDOCS}}/fc">
    Options +FollowSymLinks
    {FRONT_CONTROLLER}
    <FilesMatch "\\.php$">
        <IfModule cors_module>
        {POLICY}
        </IfModule>
    </FilesMatch>
</Directory>
<Directory "${{IT_HTDOCS}}/ht">
    Options +FollowSymLinks
    AllowOverride FileInfo
</Directory>
"""
HTACCESS = f"""{FRONT_CONTROLLER}
<IfModule cors_module>
<FilesMatch "\\.php$">
    CORSEngine On
    CORSAllowOrigin https://app.partner.example
    CORSAllowCredentials On
</FilesMatch>
</IfModule>
"""


# What the error log may say while hostile bytes arrive: whatever httpd and PHP say of them
# (AH00135 invalid method, AH01095 a body php-fpm could not be sent, app/fatal.php, ...), and the
# start-up warnings of the policies (null allowed on purpose). A line of the module at warn or
# above otherwise fails the run, as a crashed child does.
FUZZ_EXPECTED_LOG = (r"^\[[^\]]*\] \[(?!cors:)", r"\[cors:warn\] .*CORSAllowOrigin null allows")


def fuzz_spec(mpm: str, load_cors: bool) -> ServerSpec:
    return ServerSpec(mpm=mpm, php=PHP_FOR_MPM[mpm], body=BODY, load_cors=load_cors,
                      modules=("rewrite",) + (("http2",) if mpm == "event" else ()),
                      app_dirs=("app", "dir", "files", "fc", "ht"), extra_ports=("vhost", "scoped"),
                      files={"ht/.htaccess": HTACCESS}, log_level="warn", expect_log=FUZZ_EXPECTED_LOG)


class Pair:
    """The server under test and its reference (same configuration, no mod_cors)."""

    def __init__(self, mpm: str, srv: Httpd, ref: Httpd):
        self.mpm, self.srv, self.ref = mpm, srv, ref

    @staticmethod
    def ports(server: Httpd) -> dict:
        return {"main": server.port, **server.ports}


@pytest.fixture(scope="module", params=["prefork", "event"], ids=MPM_IDS.get)
def pair(request, cors_module):
    mpm = request.param
    srv = new_server(request, fuzz_spec(mpm, True)).start()
    ref = new_server(request, fuzz_spec(mpm, False)).start()
    return Pair(mpm, srv, ref)
