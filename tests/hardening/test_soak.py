"""Load: a bounded mixed CORS load from wrk under the event MPM (allowed, refused,
preflight, no Origin, hostile), with zero unexpected statuses, no 5xx, no socket error,
and worker memory that does not grow; then graceful restarts in the middle of the load
with zero failed requests.

SOAK_SECONDS (default 20) sets the length of the soak; RESTART_SECONDS (default 10) the
length of the load around the restarts."""
import os
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

from conftest import HERE, assert_no_crash, report, start_server
from harness import ServerSpec, assert_allowed

SOAK_SECONDS = int(os.environ.get("SOAK_SECONDS", "20"))
RESTART_SECONDS = int(os.environ.get("RESTART_SECONDS", "10"))
WARMUP_SECONDS = 3
RSS_GROWTH_LIMIT_KIB = 20 * 1024       # +20 MiB over the soak, after the warm-up
LUA = HERE / "mixed.lua"

POLICY = r'''
Header always set X-Req "expr=%{req:X-Req}" early
AliasMatch "^/s/[^/]+/([^/]*)$" "${IT_HTDOCS}/app/$1"

<Location "/s/partner/">
    CORSEngine On
    CORSAllowOrigin https://partner.example
    CORSAllowMethods GET POST PUT
    CORSAllowHeaders X-Custom-Header Content-Type
    CORSAllowCredentials On
</Location>

<Location "/s/star/">
    CORSEngine On
    CORSAllowOrigin *
    CORSAllowHeaders *
</Location>

<Location "/s/redos/">
    CORSEngine On
    CORSAllowOriginMatch "/^(https?:\/\/)?(a+)+\.partner\.example$/"
</Location>
'''

# A fixed set of worker processes (no spawning nor reaping while measuring memory).
FIXED_WORKERS = """
ServerLimit 2
StartServers 2
ThreadsPerChild 16
MaxRequestWorkers 32
MinSpareThreads 1
MaxSpareThreads 64
MaxConnectionsPerChild 0
"""

pytestmark = pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (tests/deps.sh bench)")


def spec(keepalive: bool) -> ServerSpec:
    head = ("KeepAlive On\nMaxKeepAliveRequests 1000\n" if keepalive else "KeepAlive Off\n") + FIXED_WORKERS
    return ServerSpec(mpm="event", php=None, body=head + POLICY, log_level="warn")


def run_wrk(port: int, seconds: int, threads: int = 2, connections: int = 8) -> dict:
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(LUA),
            f"http://127.0.0.1:{port}/"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    assert done.returncode == 0, done.stdout + done.stderr
    result = {"classes": {}, "output": done.stdout}
    for line in done.stdout.splitlines():
        m = re.match(r"SOAK class=(\S+) status=(\d+) count=(\d+) expected=(\d+)", line)
        if m:
            result["classes"][(m[1], int(m[2]), int(m[4]))] = int(m[3])
        m = re.match(r"SOAK errors (.*)", line)
        if m:
            result.update({k: int(v) for k, v in (kv.split("=") for kv in m[1].split())})
    assert "requests" in result, done.stdout + done.stderr
    return result


def check_load(result: dict) -> None:
    """Every response had the status its request expects; no 5xx; no socket error."""
    unexpected = {k: n for k, n in result["classes"].items() if k[1] != k[2]}
    server_errors = {k: n for k, n in result["classes"].items() if k[1] >= 500}
    errors = {k: result[k] for k in ("connect", "read", "write", "timeout", "unpaired") if result[k]}
    assert not unexpected and not server_errors and not errors, \
        f"unexpected: {unexpected}; 5xx: {server_errors}; socket errors: {errors}\n{result['output']}"
    answered = sum(result["classes"].values())
    assert answered > 0 and {k[0] for k in result["classes"]} == {"allowed", "refused", "preflight", "none",
                                                                   "hostile"}, result["output"]


def describe(result: dict) -> str:
    per_class = {}
    for (cls, status, _), n in sorted(result["classes"].items()):
        per_class.setdefault(cls, []).append(f"{status}x{n}")
    classes = "; ".join(f"{c}: {' '.join(v)}" for c, v in per_class.items())
    errors = " ".join(f"{k}={result[k]}" for k in ("connect", "read", "write", "timeout"))
    return f"{result['requests']} requests ({classes}); socket errors {errors}"


def workers(parent: int) -> dict:
    """pid -> VmRSS (KiB) of the children of httpd's parent process."""
    found = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        ppid = re.search(r"^PPid:\s+(\d+)", text, re.M)
        rss = re.search(r"^VmRSS:\s+(\d+) kB", text, re.M)
        if ppid and int(ppid[1]) == parent and rss:
            found[int(status.parent.name)] = int(rss[1])
    return found


def test_soak_mixed_load_event_mpm(make_server):
    srv = make_server(spec(keepalive=True))
    assert_allowed(srv.get("/s/partner/static.txt", "https://partner.example"), "https://partner.example",
                   credentials=True)
    check_load(run_wrk(srv.port, WARMUP_SECONDS))
    before = workers(srv.proc.pid)
    assert len(before) == 2, before

    result = run_wrk(srv.port, SOAK_SECONDS)
    after = workers(srv.proc.pid)
    report(f"soak ({SOAK_SECONDS}s, event MPM, wrk -t2 -c8, keep-alive): {describe(result)}")
    report(f"soak worker RSS: before {sum(before.values())} KiB {sorted(before.values())}, "
           f"after {sum(after.values())} KiB {sorted(after.values())}, "
           f"growth {sum(after.values()) - sum(before.values())} KiB")
    check_load(result)
    assert set(after) == set(before), f"worker processes changed (a crash?): {before} -> {after}"
    growth = sum(after.values()) - sum(before.values())
    assert growth < RSS_GROWTH_LIMIT_KIB, f"worker RSS grew by {growth} KiB: {before} -> {after}"
    assert_no_crash(srv)


def test_graceful_restarts_under_load_lose_nothing(make_server):
    srv = make_server(spec(keepalive=False))
    restarts, failures = [], []

    def restart_twice():
        try:
            for at in (RESTART_SECONDS * 0.3, RESTART_SECONDS * 0.6):
                time.sleep(max(0.0, at - (time.monotonic() - started)))
                srv.graceful()
                restarts.append(round(time.monotonic() - started, 1))
        except Exception as exc:  # reported by the main thread
            failures.append(exc)

    started = time.monotonic()
    restarter = threading.Thread(target=restart_twice)
    restarter.start()
    result = run_wrk(srv.port, RESTART_SECONDS)
    restarter.join(60)
    report(f"graceful restarts at {restarts}s under load ({RESTART_SECONDS}s, no keep-alive): {describe(result)}")
    assert not failures, failures
    assert len(restarts) == 2, restarts
    check_load(result)
    assert_allowed(srv.get("/s/partner/static.txt", "https://partner.example"), "https://partner.example",
                   credentials=True)
    assert_no_crash(srv)


HTACCESS = ("CORSEngine On\n"
            "CORSAllowOrigin " + " ".join(f"https://o{i}.example.com" for i in range(50)) + "\n"
            "CORSAllowOrigin https://*.w.example.net\n"
            'CORSAllowOriginMatch "#^https://(www|api)\\.partner\\.example$#i"\n'
            'CORSAllowOriginMatch "/^(https?:\\/\\/)?(a+)+\\.partner\\.example$/"\n')


def test_htaccess_policy_read_per_request_does_not_grow(make_server):
    # An .htaccess policy is parsed, its patterns compiled (JIT included) and freed on every
    # request: under load the workers' memory must stay flat.
    body = ("KeepAlive On\nMaxKeepAliveRequests 0\n" + FIXED_WORKERS +
            '<Directory "${IT_HTDOCS}/ht">\n    AllowOverride FileInfo\n</Directory>\n')
    srv = make_server(ServerSpec(mpm="event", php=None, body=body, log_level="warn",
                                 files={"ht/.htaccess": HTACCESS, "ht/s.txt": "x\n"}))
    origin = "https://api.partner.example"
    assert_allowed(srv.get("/ht/s.txt", origin), origin)
    argv = ["wrk", "-t2", "-c8", "--timeout", "10s", "-H", f"Origin: {origin}", f"http://127.0.0.1:{srv.port}/ht/s.txt"]
    subprocess.run(argv + [f"-d{2 * WARMUP_SECONDS}s"], capture_output=True, timeout=60, check=True)
    before = workers(srv.proc.pid)
    seconds = min(SOAK_SECONDS, 10)
    out = subprocess.run(argv + [f"-d{seconds}s"], capture_output=True, text=True, timeout=seconds + 60).stdout
    after = workers(srv.proc.pid)
    requests = re.search(r"(\d+) requests in", out)
    growth = sum(after.values()) - sum(before.values())
    report(f".htaccess policy under load ({seconds}s): {requests[1] if requests else '?'} requests, worker RSS "
           f"{sum(before.values())} -> {sum(after.values())} KiB (growth {growth} KiB)")
    assert requests and "Non-2xx" not in out and "Socket errors" not in out, out
    assert set(after) == set(before), f"worker processes changed (a crash?): {before} -> {after}"
    assert growth < RSS_GROWTH_LIMIT_KIB, f"worker RSS grew by {growth} KiB: {before} -> {after}"
    assert_no_crash(srv)
