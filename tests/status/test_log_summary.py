"""tools/cors-log-summary against a real access log written with the documented LogFormat."""
import subprocess
import time
from pathlib import Path

import pytest

from conftest import PARTNER, STRANGER, settled, status_spec

TOOL = Path(__file__).resolve().parents[2] / "tools" / "cors-log-summary"

# The LogFormat of docs/rollout.md.
CORS_LOG = r'''
LogFormat "%h %t \"%r\" %>s \"%{CORS_ORIGIN}n\" %{CORS_ALLOWED}n \"%{CORS_REASON}n\" %{CORS_REQUEST}n" cors
CustomLog "${IT_ROOT}/logs/cors.log" cors
'''
QUOTED = 'https://quote"d.example'


@pytest.fixture(scope="module")
def cors_log(request, cors_module):
    from httpd_fixtures import start_server
    srv = start_server(request, status_spec("event", log_format=CORS_LOG))
    sends = [
        lambda h: srv.get("/app/hello.txt", PARTNER, headers=h),
        lambda h: srv.get("/app/dir/", PARTNER, headers=h),
        lambda h: srv.preflight("/app/hello.txt", PARTNER, "PUT", headers=h),
        lambda h: srv.preflight("/app/hello.txt", PARTNER, "DELETE", headers=h),
        lambda h: srv.get("/app/hello.txt", STRANGER, headers=h),
        lambda h: srv.get("/app/nope.txt", STRANGER, headers=h),
        lambda h: srv.get("/ro/hello.txt", "https://ro.example", headers=h),
        lambda h: srv.get("/app/hello.txt", QUOTED, headers=h),
        lambda h: srv.get("/app/hello.txt", f"http://127.0.0.1:{srv.port}", headers=h),
        lambda h: srv.get("/app/hello.txt", headers=h),
        lambda h: srv.get("/index.html", STRANGER, headers=h),
    ]
    for send in sends:
        settled(srv, send)
    path, pids = srv.logs / "cors.log", srv.logs / "pids.log"
    deadline = time.monotonic() + 10  # both logs are written by the same hook call
    while len(path.read_text().splitlines()) < len(pids.read_text().splitlines()) and time.monotonic() < deadline:
        time.sleep(0.01)
    return path, srv.port


def run(*args):
    done = subprocess.run(["/usr/bin/python3", str(TOOL), *map(str, args)], capture_output=True, text=True,
                          timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_tsv_table_of_origins(cors_log):
    cors_log, port = cors_log
    rows = [line.split("\t") for line in run("--tsv", cors_log).splitlines()]
    assert rows[0] == ["origin", "requests", "allowed", "refused", "reasons"]
    table = {r[0]: r[1:] for r in rows[1:]}
    assert table.pop(PARTNER) == ["4", "3", "1", "method not allowed: DELETE (1)"]
    assert table.pop(STRANGER) == ["2", "0", "2", "origin not allowed (2)"]
    assert table.pop("https://ro.example") == ["1", "0", "1", "origin not allowed (1)"]
    quoted = table.pop('https://quote\\"d.example')
    assert quoted[:3] == ["1", "0", "1"] and quoted[3].startswith("invalid origin"), quoted
    assert table == {}  # the same-origin request is counted apart, as server-status does
    assert [r[0] for r in rows[1:3]] == [PARTNER, STRANGER]  # most requests first


def test_refused_only_and_text_table(cors_log):
    cors_log, port = cors_log
    out = run("--refused", "--sort", "origin", cors_log)
    lines = out.splitlines()
    assert lines[0].split() == ["origin", "requests", "allowed", "refused", "reasons"]
    origins = [line.split()[0] for line in lines[1:] if line.startswith("http")]
    assert origins == sorted([PARTNER, STRANGER, "https://ro.example", 'https://quote\\"d.example'])
    assert "8 requests with an Origin, from 4 origins; 5 refused" in out
    assert "1 same-origin requests (CORSSameOrigin in server-status)" in out
    assert "1 requests without Origin" in out
    assert f"http://127.0.0.1:{port}" not in out  # allowed only: not listed with --refused
    assert "requests outside CORSEngine On scopes" in out


def test_reads_standard_input(cors_log):
    cors_log, port = cors_log
    done = subprocess.run(["/usr/bin/python3", str(TOOL), "--tsv"], input=cors_log.read_text(),
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0 and PARTNER in done.stdout
