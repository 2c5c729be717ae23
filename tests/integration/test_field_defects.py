"""The three field defects of issue 11, each reproduced as a client sends it.

1. Requests httpd answers while still reading them (r->method, r->uri... NULL) with
   `CORSEngine On` at server or virtual-host level: httpd's own 400/408/413/414 answer, the
   module's Vary: Origin, and no crashed child (another connection is not cut either).
2. A policy in <Files>/<FilesMatch> behind DirectoryIndex, a per-directory front controller
   and a .htaccess front controller: decided in the scope of the resource finally served,
   before PHP runs; an ErrorDocument page keeps the decision of the request that failed.
3. mod_cache (CacheQuickHandler On and Off, disk and socache): what is stored carries the
   module's headers and Vary, so a hit never answers for another origin.

The crash check after every test is the shared fixture's (tests/lib/httpd_fixtures.py).
"""
import re
import socket
import time

import pytest

from conftest import MPMS, MPM_IDS, start_server
from harness import (PREFLIGHT_VARY, Response, ServerSpec, assert_allowed, assert_no_cors,
                     assert_refused, assert_vary_unique, unique_id)
from policies import PHP_FOR_MPM

PARTNER = "https://app.partner.example"
PARTNER_B = "https://b.partner.example"
STRANGER = "https://evil.example"
OTHER = "https://other.example"       # allowed only by the ErrorDocument page's own scope


# ---------------------------------------------------------------- raw exchanges

def exchange(port: int, data: bytes, half_close: bool = True, timeout: float = 10) -> bytes:
    """Sends `data` on a new connection (then closes our side unless told not to) and
    returns every byte the server sent before it closed. A reset is an AssertionError."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        out = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                raise AssertionError(f"connection reset after {len(out)} bytes: {out[:200]!r}")
            if not chunk:
                break
            out += chunk
        return out


def parse(raw: bytes) -> Response:
    """The answer in `raw`; an empty reply (the connection closed without an answer) fails."""
    assert raw, "empty reply: the connection was closed without an answer"
    while re.match(rb"HTTP/1\.[01] 1\d\d ", raw):     # interim answers (100 Continue)
        raw = raw.partition(b"\r\n\r\n")[2]
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    version, status = lines[0].split(" ")[:2]
    assert version.startswith("HTTP/1."), raw[:200]
    headers = [tuple(p.strip() for p in line.split(":", 1)) for line in lines[1:] if ":" in line]
    return Response(int(status), headers, body, version)


def vary_origin_once(resp: Response) -> None:
    assert resp.tokens_lower("Vary").count("origin") == 1, resp
    assert_vary_unique(resp)


# ---------------------------------------------------------------- 1. early errors

EARLY_LIMITS = """Timeout 2
LimitRequestBody 1000
LimitRequestFieldSize 2000
LimitRequestFields 40
"""
POLICY = f"""    CORSEngine On
    CORSAllowOrigin {PARTNER}
"""
SCOPES = {
    "server": POLICY,
    "vhost": f"""<VirtualHost 127.0.0.1:${{IT_PORT}}>
    ServerName 127.0.0.1
    DocumentRoot "${{IT_HTDOCS}}"
{POLICY}</VirtualHost>
""",
}
BIG_SIZE = 16 * 1024 * 1024


@pytest.fixture(scope="module", params=[(m, s) for m in MPMS for s in SCOPES],
                ids=lambda p: f"{MPM_IDS[p[0]]}-{p[1]}")
def early(request, cors_module):
    mpm, scope = request.param
    spec = ServerSpec(mpm=mpm, php=PHP_FOR_MPM[mpm], body=EARLY_LIMITS + SCOPES[scope],
                      files={"big/big.bin": "x" * BIG_SIZE})
    return start_server(request, spec)


def o(origin=PARTNER) -> bytes:
    return f"Origin: {origin}\r\n".encode()


H = b"Host: 127.0.0.1\r\n"
# name -> (request bytes, httpd's status, was Origin read?)
#   True: every header was read: the module decides, an allowed origin gets its ACAO;
#   False: nothing after the request line was read: Vary: Origin, no Access-Control-Allow-*;
#   None: httpd stopped in the header block: Vary: Origin, and an ACAO, if any, is PARTNER.
# httpd 2.4 answers a header field over LimitRequestFieldSize and one field more than
# LimitRequestFields with 400 (trunk's 431 is not in 2.4). The 413s POST to a static file:
# its handler reads the body through httpd's limit (mod_proxy_fcgi streams it to php-fpm).
EARLY = {
    "414-long-target": (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n" + H + o() + b"\r\n", 414, False),
    "400-nul-request": (b"\x00\r\n\r\n", 400, False),
    "400-nul-in-target": (b"GET /app/\x00static.txt HTTP/1.1\r\n" + H + o() + b"\r\n", 400, False),
    "400-bare-cr-request-line": (b"GET /app/static.txt\r HTTP/1.1\r\n" + H + o() + b"\r\n", 400, False),
    "400-h2-preface-on-http1": (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400, False),
    "400-bare-cr-header": (b"GET /app/static.txt HTTP/1.1\r\n" + H + o() + b"X-A: a\rb\r\n\r\n", 400, None),
    "400-nul-header": (b"GET /app/static.txt HTTP/1.1\r\n" + H + o() + b"X-A: a\x00b\r\n\r\n", 400, None),
    "400-field-too-long": (b"GET /app/static.txt HTTP/1.1\r\n" + H + o() + b"X-A: " + b"a" * 3000 + b"\r\n\r\n",
                           400, None),
    "400-too-many-fields": (b"GET /app/static.txt HTTP/1.1\r\n" + H + o()
                            + b"".join(b"X-%d: a\r\n" % i for i in range(60)) + b"\r\n", 400, None),
    "400-eof-in-headers": (b"GET /app/static.txt HTTP/1.1\r\n" + H + o(), 400, None),
    "400-missing-host-http11": (b"GET /app/static.txt HTTP/1.1\r\n" + o() + b"\r\n", 400, True),
    "400-two-content-lengths": (b"POST /app/api.php HTTP/1.1\r\n" + H + o()
                                + b"Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400, True),
    "400-bad-chunk-size": (b"POST /app/api.php HTTP/1.1\r\n" + H + o()
                           + b"Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", 400, True),
    "413-limit-request-body": (b"POST /app/static.txt HTTP/1.1\r\n" + H + o()
                               + b"Content-Length: 5000\r\n\r\n" + b"a" * 5000, 413, True),
    "413-expect-huge-body": (b"POST /app/static.txt HTTP/1.1\r\n" + H + o()
                             + b"Expect: 100-continue\r\nContent-Length: 99999999999\r\n\r\n", 413, True),
    "200-absolute-form": (b"GET http://127.0.0.1/app/static.txt HTTP/1.1\r\n" + H + o() + b"\r\n", 200, True),
    "405-connect": (b"CONNECT 127.0.0.1:443 HTTP/1.1\r\nHost: 127.0.0.1:443\r\n" + o() + b"\r\n", 405, True),
}


def check_early(resp: Response, status: int, origin_read) -> None:
    assert resp.status == status, resp
    vary_origin_once(resp)
    acao = resp.all("Access-Control-Allow-Origin")
    if origin_read is True:
        assert acao == [PARTNER], resp
    elif origin_read is False:
        assert not [n for n, _ in resp.cors_headers() if n.startswith("access-control-allow-")], resp
    else:
        assert acao in ([], [PARTNER]), resp


@pytest.mark.parametrize("name", list(EARLY))
def test_early_error_answered_by_httpd(early, name, expect_log):
    if name == "400-bad-chunk-size":
        # mod_proxy reads the body ahead for php-fpm and fails on the bad chunk before httpd's 400
        expect_log(r"AH01095: prefetch request body failed")
    data, status, origin_read = EARLY[name]
    check_early(parse(exchange(early.port, data)), status, origin_read)


def test_408_request_timeout(early):
    """Headers begun and never finished: httpd's 408 after Timeout (2 s here)."""
    raw = exchange(early.port, b"GET /app/static.txt HTTP/1.1\r\n" + H + o(), half_close=False)
    check_early(parse(raw), 408, None)


def test_crash_requests_of_the_issue_do_not_cut_another_connection(early):
    """The issue's two requests, three times each, while a 16 MB download runs on another
    connection: each gets httpd's 414/400, the download arrives whole, no child died."""
    mark = early.log_mark()
    with socket.create_connection(("127.0.0.1", early.port), timeout=10) as dl:
        dl.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
        dl.sendall(b"GET /big/big.bin HTTP/1.1\r\n" + H + b"Connection: close\r\n\r\n")
        got = dl.recv(16384)
        assert got.startswith(b"HTTP/1.1 200"), got[:200]
        for _ in range(3):
            long_target = b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n" + H + b"\r\n"
            assert parse(exchange(early.port, long_target)).status == 414
            assert parse(exchange(early.port, b"\x00\r\n\r\n")).status == 400
        while True:
            try:
                chunk = dl.recv(1 << 20)
            except ConnectionResetError:
                break
            if not chunk:
                break
            got += chunk
    body = got.partition(b"\r\n\r\n")[2]
    assert len(body) == BIG_SIZE, f"download cut at {len(body)} of {BIG_SIZE} bytes"
    assert early.wait_log(mark, r"AH00052|Segmentation fault|exit signal", timeout=1.5) == []


def test_ordinary_request_still_decided(early):
    """The server these tests run against does decide ordinary requests."""
    assert_allowed(early.get("/app/api.php", PARTNER), PARTNER)
    assert_refused(early.get("/app/api.php", STRANGER))


# ---------------------------------------------------------------- 2. policies behind redirects

RECORD = "<?php require __DIR__ . '/record.php';\n"
FRONT_CONTROLLER = """RewriteEngine On
RewriteCond %{REQUEST_FILENAME} !-f
RewriteRule ^ index.php [L]
"""
FILES_POLICY = f"""CORSEngine On
    CORSAllowOrigin {PARTNER}
"""
REDIRECTS_BODY = f"""
<Directory "${{IT_HTDOCS}}/di">
    <Files "index.php">
        {FILES_POLICY}    </Files>
</Directory>

<Directory "${{IT_HTDOCS}}/fc">
    Options +FollowSymLinks
    {FRONT_CONTROLLER.replace(chr(10), chr(10) + '    ')}<FilesMatch "\\.php$">
        {FILES_POLICY}    </FilesMatch>
</Directory>

<Directory "${{IT_HTDOCS}}/ht">
    Options +FollowSymLinks
    AllowOverride FileInfo
</Directory>

<Directory "${{IT_HTDOCS}}/err">
    ErrorDocument 404 /errdocs/404.php
    {FILES_POLICY}</Directory>

<Directory "${{IT_HTDOCS}}/plain">
    ErrorDocument 404 /errdocs/404.php
</Directory>

<Directory "${{IT_HTDOCS}}/errdocs">
    <FilesMatch "\\.php$">
        CORSEngine On
        CORSAllowOrigin {OTHER}
    </FilesMatch>
</Directory>
"""
HTACCESS = FRONT_CONTROLLER + f"""<FilesMatch "\\.php$">
    CORSEngine On
    CORSAllowOrigin {PARTNER}
</FilesMatch>
"""
REDIRECT_FILES = {
    "di/index.php": RECORD,
    "fc/index.php": RECORD,
    "ht/index.php": RECORD,
    "ht/.htaccess": HTACCESS,
    "plain/readme.txt": "plain\n",
    "errdocs/404.php": "<?php header('Content-Type: text/plain'); echo \"not found\\n\";\n",
}
# The request a client sends -> what serves it.
LAYOUTS = {
    "directoryindex-files": "/di/",
    "directory-front-controller-filesmatch": "/fc/users/42",
    "htaccess-front-controller-filesmatch": "/ht/users/42",
}


@pytest.fixture(scope="module", params=MPMS, ids=MPM_IDS.get)
def redirects(request, cors_module):
    spec = ServerSpec(mpm=request.param, php=PHP_FOR_MPM[request.param], body=REDIRECTS_BODY,
                      modules=("rewrite",), app_dirs=("app", "di", "fc", "ht", "err"),
                      files=REDIRECT_FILES)
    return start_server(request, spec)


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_partner_gets_its_origin(redirects, layout):
    rid = unique_id()
    r = redirects.get(f"{LAYOUTS[layout]}?id={rid}", PARTNER)
    assert_allowed(r, PARTNER)
    assert redirects.reached(rid) == ["GET"]


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_stranger_post_refused_before_php(redirects, layout):
    rid = unique_id()
    r = redirects.request("POST", f"{LAYOUTS[layout]}?id={rid}", STRANGER, body=b"a=1",
                          headers=[("Content-Type", "application/x-www-form-urlencoded")])
    assert_refused(r)
    assert redirects.reached(rid) == []


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_preflight_answered_before_php(redirects, layout):
    rid = unique_id()
    r = redirects.preflight(f"{LAYOUTS[layout]}?id={rid}", PARTNER, "POST")
    assert_allowed(r, PARTNER, status=204)
    assert all(v in r.tokens_lower("Vary") for v in PREFLIGHT_VARY), r
    refused = redirects.preflight(f"{LAYOUTS[layout]}?id={rid}", STRANGER, "POST")
    assert_refused(refused)
    assert redirects.reached(rid) == []


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_options_without_request_method_reaches_php(redirects, layout):
    rid = unique_id()
    r = redirects.request("OPTIONS", f"{LAYOUTS[layout]}?id={rid}", PARTNER)
    assert_allowed(r, PARTNER)
    assert redirects.reached(rid) == ["OPTIONS"]


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_direct_request_to_the_target(redirects, layout):
    """The target itself (/x/index.php) was already decided before the fix."""
    target = LAYOUTS[layout].split("/")[1]
    rid = unique_id()
    assert_allowed(redirects.get(f"/{target}/index.php?id={rid}", PARTNER), PARTNER)
    assert_refused(redirects.request("POST", f"/{target}/index.php?id={rid}", STRANGER, body=b""))
    assert redirects.reached(rid) == ["GET"]


def test_error_document_keeps_the_decision_of_the_failed_request(redirects):
    """/err/missing.txt (policy: PARTNER) fails with 404; its ErrorDocument page lives in a
    scope that allows OTHER only. The page answers for the request that failed."""
    r = redirects.get("/err/missing.txt", PARTNER)
    assert_allowed(r, PARTNER, status=404)
    assert r.text == "not found\n", r
    assert_refused(redirects.get("/err/missing.txt", OTHER))


def test_error_document_of_a_disabled_scope_stays_without_cors(redirects):
    """/plain/ has the engine off: its 404 page gets no CORS header, although the page's own
    scope would allow OTHER."""
    r = redirects.get("/plain/missing.txt", OTHER)
    assert r.status == 404 and r.text == "not found\n", r
    assert_no_cors(r)


# ---------------------------------------------------------------- 3. mod_cache

CACHE_PROVIDERS = {
    "disk": ("cache_disk", 'CacheEnable disk /cached/\nCacheRoot "${IT_STATE}"\n'
                           "CacheDirLevels 1\nCacheDirLength 1\n"),
    "socache": ("cache_socache", 'CacheEnable socache /cached/\nCacheSocache "shmcb:${IT_STATE}/cache.shm(512000)"\n'),
}


def cache_body(provider: str, quick: str) -> str:
    return CACHE_PROVIDERS[provider][1] + f"""CacheQuickHandler {quick}
CacheHeader On
CacheDetailHeader On
CacheIgnoreNoLastMod On
<Directory "${{IT_HTDOCS}}/cached">
    CORSEngine On
    CORSAllowOrigin {PARTNER} {PARTNER_B}
    <FilesMatch "\\.txt$">
        Header set Cache-Control "public, max-age=300"
    </FilesMatch>
    <Files "star.txt">
        Header set Access-Control-Allow-Origin "*"
    </Files>
</Directory>
"""


# What the cache stores: PHP answers (Cache-Control from the script; ?star=1 adds the
# application's own ACAO: *) and static files (Cache-Control and, for star.txt, ACAO: * set
# by mod_headers). mod_cache_socache stores no answer of unknown length, and php-fpm's
# answers through mod_proxy_fcgi have none: event + socache runs the static targets only.
CACHE_TARGETS = {
    "php": "/cached/cacheable.php?n={n}",
    "php-app-star": "/cached/cacheable.php?n={n}&star=1",
    "static": "/cached/static.txt?n={n}",
    "static-headers-star": "/cached/star.txt?n={n}",
}
STAR_TARGETS = {"php-app-star", "static-headers-star"}


CACHE_PARAMS = [(m, p, q) for m in MPMS for p in CACHE_PROVIDERS for q in ("On", "Off")]


@pytest.fixture(scope="module", params=CACHE_PARAMS,
                ids=lambda p: f"{MPM_IDS[p[0]]}-{p[1]}-quick{p[2]}")
def cached(request, cors_module):
    mpm, provider, quick = request.param
    modules = ("cache", CACHE_PROVIDERS[provider][0]) + (("socache_shmcb",) if provider == "socache" else ())
    spec = ServerSpec(mpm=mpm, php=PHP_FOR_MPM[mpm], body=cache_body(provider, quick),
                      modules=modules, app_dirs=("app", "cached"), files={"cached/star.txt": "star\n"})
    return start_server(request, spec)


def x_cache(resp: Response) -> str:
    return (resp.get("X-Cache") or "").split(" ")[0]


@pytest.mark.parametrize("target", list(CACHE_TARGETS))
def test_cache_never_answers_for_another_origin(cached, target):
    if target.startswith("php") and cached.spec.mpm == "event" and "socache" in cached.spec.body:
        pytest.skip("mod_cache_socache stores no answer of unknown length (php-fpm's, see CACHE_TARGETS)")
    star = target in STAR_TARGETS
    path = CACHE_TARGETS[target].format(n=unique_id())

    first = cached.get(path, PARTNER)
    assert_allowed(first, PARTNER)
    vary_origin_once(first)
    assert x_cache(first) == "MISS", first

    second = cached.get(path, PARTNER)
    assert x_cache(second) == "HIT", f"the second request of the same origin is not a hit:\n{second}"
    assert_allowed(second, PARTNER)
    vary_origin_once(second)

    other = cached.get(path, PARTNER_B)
    assert_allowed(other, PARTNER_B)
    vary_origin_once(other)

    stranger = cached.get(path, STRANGER)
    assert_refused(stranger)
    assert x_cache(stranger) != "HIT", stranger
    vary_origin_once(stranger)

    plain = cached.get(path)
    assert plain.status == 200, plain
    assert plain.all("Access-Control-Allow-Origin") in ([], ["*"] if star else []), plain
    vary_origin_once(plain)

    again = cached.get(path, PARTNER)
    assert_allowed(again, PARTNER)
    vary_origin_once(again)


def test_cache_stranger_first_then_partner(cached):
    """A refusal is never stored, and the partner's answer is not the stranger's."""
    path = CACHE_TARGETS["static"].format(n=unique_id())
    assert_refused(cached.get(path, STRANGER))
    assert_refused(cached.get(path, STRANGER))
    assert_allowed(cached.get(path, PARTNER), PARTNER)
    assert_allowed(cached.get(path, PARTNER), PARTNER)
    assert_refused(cached.get(path, STRANGER))
