"""Fixtures of the status suite: httpd with mod_status and a few CORS scopes, under prefork
(several children) and event (several threads), and helpers to read server-status."""
import re
import time
import uuid

from harness import ServerSpec  # noqa: E402

pytest_plugins = ["httpd_fixtures"]

PARTNER = "https://partner.example"
STRANGER = "https://stranger.example"

# Several children under prefork, several threads (and two children) under event.
MPM_EXTRA = {
    "prefork": "StartServers 3\nMinSpareServers 3\nMaxSpareServers 6",
    "event": "StartServers 2\nMinSpareThreads 8",
}

STATUS_CONF = """
ExtendedStatus On
<Location /server-status>
    SetHandler server-status
</Location>
"""

POLICY = """
LogFormat "%P %{tid}P \\"%r\\" %>s %{X-Batch}i" pids
CustomLog "${IT_ROOT}/logs/pids.log" pids

<Directory "${IT_HTDOCS}/app">
    Options +Includes
    AddOutputFilter INCLUDES .shtml
    DirectoryIndex index.html
    CORSEngine On
    CORSAllowOrigin https://partner.example
    CORSAllowMethods GET POST PUT
    CORSAllowHeaders X-Allowed
    ErrorDocument 403 /app/errors/forbidden.html
    ErrorDocument 404 /app/errors/missing.html
</Directory>
<Directory "${IT_HTDOCS}/ro">
    CORSEngine On
    CORSReportOnly On
    CORSAllowOrigin https://partner.example
</Directory>
"""

DEBUG_POLICY = """
<Directory "${IT_HTDOCS}/debug">
    CORSEngine On
    CORSDebugHeader On
    CORSAllowOrigin https://partner.example
    CORSAllowMethods GET POST PUT
    CORSAllowHeaders X-Allowed
</Directory>
<Directory "${IT_HTDOCS}/debug/ro">
    CORSReportOnly On
</Directory>
<Directory "${IT_HTDOCS}/debug/passed">
    CORSReject Off
</Directory>
"""

FILES = {
    "app/hello.txt": "hello\n",
    "app/dir/index.html": "<p>index</p>\n",
    "app/page.shtml": 'page <!--#include virtual="/app/hello.txt" --> end\n',
    "app/errors/forbidden.html": "<p>forbidden</p>\n",
    "app/errors/missing.html": "<p>missing</p>\n",
    "ro/hello.txt": "hello\n",
    "debug/hello.txt": "hello\n",
    "debug/ro/hello.txt": "hello\n",
    "debug/passed/hello.txt": "hello\n",
    "index.html": "root\n",
}


def status_spec(mpm: str, with_status: bool = True, debug: bool = False, log_format: str = "") -> ServerSpec:
    """httpd with the scopes above; `debug` adds the CORSDebugHeader scopes under /debug."""
    modules = ("include",) + (("status",) if with_status else ())
    body = (MPM_EXTRA[mpm] + "\n" + (STATUS_CONF if with_status else "") + POLICY
            + (DEBUG_POLICY if debug else "") + log_format)
    return ServerSpec(mpm=mpm, php=None, body=body, modules=modules, app_dirs=(), files=dict(FILES),
                      log_level="warn cors:info")


COUNTERS = ("CORSAllowed", "CORSRefused", "CORSPreflights", "CORSSameOrigin")


def auto_counts(srv) -> dict:
    """The CORS lines of server-status?auto, as {name: int}; every CORS* line."""
    resp = srv.get("/server-status?auto")
    assert resp.status == 200, resp
    found = {}
    for line in resp.text.splitlines():
        m = re.match(r"^(CORS\w*): (\d+)$", line)
        if m:
            found[m.group(1)] = int(m.group(2))
    return found


def status_html(srv) -> str:
    resp = srv.get("/server-status")
    assert resp.status == 200, resp
    return resp.text


def refusal_rows(html: str) -> list:
    return re.findall(r'<tr class="cors-refusal">(.*?)</tr>', html)


# mod_cors counts a request when httpd logs it, just before mod_log_config writes its line,
# which may be a moment after the client has the answer. A test tags its requests with an
# X-Batch header and waits for their lines in pids.log before it reads the counters.
LOG_WAIT = 15  # seconds at most; never reached unless a request was not logged


def new_batch() -> list:
    return [("X-Batch", uuid.uuid4().hex)]


def wait_logged(srv, batch: list, n: int) -> None:
    """Returns once httpd logged the `n` requests tagged with `batch`."""
    tag = batch[0][1]
    deadline = time.monotonic() + LOG_WAIT
    while True:
        lines = [l for l in (srv.logs / "pids.log").read_text().splitlines() if l.endswith(" " + tag)]
        if len(lines) >= n or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    assert len(lines) == n, f"{len(lines)} of {n} requests logged"


def settled(srv, send):
    """send(headers) -> Response, tagged; returns the response once httpd logged it."""
    batch = new_batch()
    resp = send(batch)
    wait_logged(srv, batch, 1)
    return resp
