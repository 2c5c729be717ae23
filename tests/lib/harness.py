"""The one test harness of mod_cors: throw-away httpd (and php-fpm, backend) instances.

Every suite starts its servers through this file: the pytest suites import it (with the
fixtures of tests/lib/httpd_fixtures.py), the shell and node suites run
`harness.py serve` (see main() at the end). Everything binds to 127.0.0.1 on free ports,
every wait is bounded, every process is started in a session of its own and killed with
its group at the end, and every error log is checked for crashed children.
"""
from __future__ import annotations

import atexit
import base64
import hashlib
import http.client
import http.server
import json
import os
import re
import shutil
import signal
import socket
import sys
import ssl
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional, Sequence, Union

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent
APP_DIR = REPO_ROOT / "tests" / "integration" / "app"
APACHE2 = os.environ.get("APACHE2", "/usr/sbin/apache2")


def _apxs_libexecdir() -> Path:
    try:
        out = subprocess.run(["apxs", "-q", "LIBEXECDIR"], capture_output=True, text=True, timeout=10)
        if out.returncode == 0 and out.stdout.strip():
            return Path(out.stdout.strip())
    except (OSError, subprocess.SubprocessError):
        pass
    return Path("/usr/lib/apache2/modules")


def _first(pattern: str, default: str) -> str:
    """The newest installed file matching a glob (php-fpm8.2, libphp8.2.so, ...)."""
    import glob
    found = sorted(glob.glob(pattern))
    return found[-1] if found else default


MODULES_DIR = _apxs_libexecdir()
PHP_FPM = os.environ.get("PHP_FPM") or _first("/usr/sbin/php-fpm*", "/usr/sbin/php-fpm")
PHP_MODULE = Path(_first(str(MODULES_DIR / "libphp*.so"), str(MODULES_DIR / "libphp.so"))).name
RUN_USER = "www-data"
REQUEST_TIMEOUT = 10
START_TIMEOUT = 20
STOP_TIMEOUT = 10
KEEP_DIRS = os.environ.get("MOD_CORS_IT_KEEP") == "1"


def module_path() -> Path:
    """mod_cors.so under test: $MOD_CORS_SO (relative to the repo root) or build/."""
    path = Path(os.environ.get("MOD_CORS_SO", "build/mod_cors.so"))
    return path if path.is_absolute() else REPO_ROOT / path


# ---------------------------------------------------------------- processes

_live: set = set()  # every Popen still running, killed at exit whatever happens


def _kill_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _wait_unreaped(proc: subprocess.Popen, timeout: float) -> bool:
    """Waits for proc to exit without reaping it: its zombie keeps the group id ours."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT):
                return True
        except ChildProcessError:
            return True
        time.sleep(0.02)
    return False


def stop_process(proc: Optional[subprocess.Popen], sig: int = signal.SIGTERM,
                 timeout: float = STOP_TIMEOUT) -> None:
    """Stops a process started with start_new_session, and whatever is left of its group."""
    if proc is None:
        return
    if proc.returncode is None:
        _kill_group(proc, sig)
        if not _wait_unreaped(proc, timeout):
            _kill_group(proc, signal.SIGKILL)
            _wait_unreaped(proc, timeout)
        _kill_group(proc, signal.SIGKILL)  # children that outlived their parent
        proc.wait(timeout)
    _live.discard(proc)


@atexit.register
def _stop_all() -> None:
    for proc in list(_live):
        stop_process(proc, signal.SIGKILL)


def spawn(argv: Sequence[str], log: Path) -> subprocess.Popen:
    with open(log, "ab") as out:
        proc = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    _live.add(proc)
    return proc


_handed_out: set = set()


def free_port() -> int:
    """A loopback TCP port that nothing listens on and that this process has not handed out."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _handed_out:
            _handed_out.add(port)
            return port
    raise RuntimeError("no free port")


def free_port_run(count: int) -> int:
    """The first of `count` consecutive loopback TCP ports that nothing listens on (the
    demo's API, partner and stranger pages)."""
    for _ in range(200):
        socks = []
        try:
            first = socket.socket()
            socks.append(first)
            first.bind(("127.0.0.1", 0))
            base = first.getsockname()[1]
            if base + count > 65535:
                continue
            for port in range(base + 1, base + count):
                other = socket.socket()
                socks.append(other)
                other.bind(("127.0.0.1", port))
            return base
        except OSError:
            pass
        finally:
            for sock in socks:
                sock.close()
    raise RuntimeError(f"no {count} consecutive free ports")


def wait_for_port(port: int, timeout: float, alive=lambda: True) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError(f"process died before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def unique_id() -> str:
    return uuid.uuid4().hex[:12]


def child_rss_kib(parent_pid: int) -> int:
    """VmRSS of the children of httpd's parent process, added up."""
    total = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(parent_pid) and "VmRSS" in fields:
            total += int(fields["VmRSS"].split()[0])
    return total


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# ---------------------------------------------------------------- HTTP responses

@dataclass
class Response:
    status: int
    headers: list  # (name, value) in received order, duplicates kept
    body: bytes = b""
    version: str = "HTTP/1.1"

    def all(self, name: str) -> list:
        """Every value of header `name` (case-insensitive), one per header line."""
        return [v for n, v in self.headers if n.lower() == name.lower()]

    def get(self, name: str) -> Optional[str]:
        """The value of a header that must appear at most once."""
        values = self.all(name)
        assert len(values) <= 1, f"{name} appears {len(values)} times: {values}"
        return values[0] if values else None

    def has(self, name: str) -> bool:
        return bool(self.all(name))

    def tokens(self, name: str) -> list:
        """Comma-separated tokens over every line of header `name`, in order."""
        return [t.strip() for v in self.all(name) for t in v.split(",") if t.strip()]

    def tokens_lower(self, name: str) -> list:
        return [t.lower() for t in self.tokens(name)]

    def cors_headers(self) -> list:
        """Every Access-Control-* header, names lower-cased (HTTP/2 sends them so)."""
        return [(n.lower(), v) for n, v in self.headers if n.lower().startswith("access-control-")]

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.body)

    def __str__(self) -> str:
        head = "\n".join(f"{n}: {v}" for n, v in self.headers)
        return f"{self.version} {self.status}\n{head}\n\n{self.text[:300]}"


Headers = Union[None, dict, Iterable]


def _header_list(headers: Headers) -> list:
    if headers is None:
        return []
    if isinstance(headers, dict):
        return list(headers.items())
    return list(headers)


def http_request(port: int, method: str, path: str, headers: Headers = None,
                 body: Optional[bytes] = None, tls: bool = False,
                 host: Union[str, None, bool] = True, timeout: float = REQUEST_TIMEOUT) -> Response:
    """One HTTP/1.1 request on a new connection. Header lines are sent exactly as given
    (a list may name a header several times). host=True sends Host: 127.0.0.1:port,
    a string sends that Host, None sends none."""
    if tls:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=timeout, context=ctx)
    else:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        if host is True:
            host = f"127.0.0.1:{port}"
        if host:
            conn.putheader("Host", host)
        for name, value in _header_list(headers):
            conn.putheader(name, value)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.putheader("Connection", "close")
        conn.endheaders(body)
        resp = conn.getresponse()
        data = resp.read()
        return Response(resp.status, list(resp.getheaders()), data)
    finally:
        conn.close()


def raw_request(port: int, data: bytes, timeout: float = REQUEST_TIMEOUT) -> Response:
    """Sends bytes as they are (malformed input) and parses the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        resp = http.client.HTTPResponse(sock, method=data.split(b" ", 1)[0].decode())
        resp.begin()
        return Response(resp.status, list(resp.getheaders()), resp.read())


def keepalive_requests(port: int, method: str, path: str, headers: Headers = None, count: int = 1,
                       timeout: float = REQUEST_TIMEOUT) -> Response:
    """`count` identical HTTP/1.1 requests, one after the other on one keep-alive connection
    (Host: 127.0.0.1:port, then the header lines as given); returns the last response."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        resp = None
        for _ in range(count):
            conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            conn.putheader("Host", f"127.0.0.1:{port}")
            for name, value in _header_list(headers):
                conn.putheader(name, value)
            conn.endheaders()
            r = conn.getresponse()
            resp = Response(r.status, list(r.getheaders()), r.read())
            if r.will_close:
                raise ConnectionError(f"the server closed the connection after a {r.status}")
        return resp
    finally:
        conn.close()


def curl_request(url: str, method: str = "GET", headers: Headers = None,
                 body: Optional[bytes] = None, http2: bool = True,
                 timeout: float = REQUEST_TIMEOUT) -> Response:
    """A request made by curl (HTTP/2 over TLS with --http2, certificates not checked)."""
    argv = ["curl", "-sS", "-k", "--http2" if http2 else "--http1.1", "--max-time", str(timeout),
            "-D", "-", "-o", "-", "-w", "\n@@CURL-END@@%{size_download}", "-X", method]
    for name, value in _header_list(headers):
        argv += ["-H", f"{name}: {value}" if value != "" else f"{name};"]
    if body is not None:
        argv += ["--data-binary", "@-"]
    argv.append(url)
    done = subprocess.run(argv, input=body or b"", capture_output=True, timeout=timeout + 5)
    if done.returncode != 0:
        raise RuntimeError(f"curl failed ({done.returncode}): {done.stderr.decode(errors='replace')}")
    out, _, size = done.stdout.rpartition(b"\n@@CURL-END@@")
    size = int(size or 0)
    head, body_bytes = out[:len(out) - size], out[len(out) - size:]
    blocks = [b for b in re.split(r"\r?\n\r?\n", head.decode("latin-1")) if b.startswith("HTTP/")]
    lines = blocks[-1].splitlines()
    version, status = lines[0].split()[:2]
    parsed = [tuple(part.strip() for part in line.split(":", 1)) for line in lines[1:] if ":" in line]
    return Response(int(status), parsed, body_bytes, version)


def basic_auth(user: str, password: str) -> tuple:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return ("Authorization", f"Basic {token}")


# ---------------------------------------------------------------- files made for a server

def write_htpasswd(path: Path, users: dict) -> None:
    """An AuthUserFile in the {SHA} format mod_authn_file reads (no external tool)."""
    lines = [f"{u}:{{SHA}}{base64.b64encode(hashlib.sha1(p.encode()).digest()).decode()}"
             for u, p in users.items()]
    path.write_text("\n".join(lines) + "\n")


_cert_dir: Optional[Path] = None


def self_signed_cert() -> tuple:
    """(cert, key) for CN=localhost, made once per process with openssl and removed at exit."""
    global _cert_dir
    if _cert_dir is None:
        directory = Path(tempfile.mkdtemp(prefix="mod_cors_cert_"))
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
                        "-addext", "basicConstraints=critical,CA:FALSE", "-addext", "subjectAltName=DNS:localhost",
                        "-days", "2", "-keyout", str(directory / "key.pem"), "-out", str(directory / "cert.pem")],
                       check=True, capture_output=True, timeout=60)
        atexit.register(shutil.rmtree, directory, True)
        _cert_dir = directory
    return _cert_dir / "cert.pem", _cert_dir / "key.pem"


# ---------------------------------------------------------------- php-fpm

class Daemon:
    """A server process of the tests (php-fpm, varnishd, nginx) in the foreground, with its
    files in a temp directory `root`, listening on 127.0.0.1:`port`: started in a session
    of its own with a bounded wait, stopped with its process group."""
    what = "daemon"
    stop_signal = signal.SIGTERM

    def _launch(self, argv: Sequence[str], output: Path, *logs: Path) -> "Daemon":
        self.proc = spawn(argv, output)
        try:
            wait_for_port(self.port, START_TIMEOUT, lambda: self.proc.poll() is None)
        except Exception as exc:
            self.stop()
            raise RuntimeError(f"{self.what} did not start: {exc}\n"
                               + "\n".join(tail(log) for log in (output, *logs))) from exc
        return self

    def stop(self) -> None:
        stop_process(self.proc, self.stop_signal)
        self.proc = None
        if not KEEP_DIRS:
            shutil.rmtree(self.root, ignore_errors=True)


class PhpFpm(Daemon):
    """A php-fpm pool on 127.0.0.1:port, running as www-data, in the foreground."""
    what = "php-fpm"

    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="mod_cors_fpm_"))
        self.port = free_port()
        self.proc: Optional[subprocess.Popen] = None
        self.log = self.root / "php-fpm.log"

    def start(self) -> "PhpFpm":
        conf = self.root / "php-fpm.conf"
        conf.write_text(f"""[global]
pid = {self.root}/php-fpm.pid
error_log = {self.log}
daemonize = no

[mod_cors_tests]
user = {RUN_USER}
group = {RUN_USER}
listen = 127.0.0.1:{self.port}
pm = static
pm.max_children = 4
clear_env = no
catch_workers_output = yes
php_admin_value[display_errors] = Off
php_admin_value[log_errors] = On
""")
        return self._launch([PHP_FPM, "-F", "-y", str(conf)], self.root / "stdout.log", self.log)


# ---------------------------------------------------------------- HTTP backend

class Backend:
    """A plain HTTP backend (for mod_proxy) that sets its own CORS headers and records
    every request that reaches it as (method, path)."""

    APP_HEADERS = [
        ("Access-Control-Allow-Origin", "*"),
        ("Access-Control-Allow-Credentials", "true"),
        ("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE"),
        ("Vary", "Accept-Encoding"),
        ("X-Backend", "python"),
    ]

    def __init__(self):
        self.port = free_port()
        self.requests: list = []
        backend = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def handle_any(self):
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                backend.requests.append((self.command, self.path))
                status = 404 if self.path.startswith("/missing") else 200
                body = json.dumps({"backend": True, "method": self.command}).encode()
                self.send_response(status)
                for name, value in backend.APP_HEADERS:
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = do_OPTIONS = do_HEAD = handle_any

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> "Backend":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(STOP_TIMEOUT)

    def reached(self, path_part: str) -> list:
        return [m for m, p in self.requests if path_part in p]


# ---------------------------------------------------------------- proxies in front of httpd

VARNISHD = os.environ.get("VARNISHD", "/usr/sbin/varnishd")
NGINX = os.environ.get("NGINX", "/usr/sbin/nginx")


class Varnish(Daemon):
    """Debian's varnishd in the foreground on 127.0.0.1:port, in front of 127.0.0.1:backend_port,
    with its working directory (-n) in a temp directory. vcl=None: the built-in VCL (-b)."""
    what = "varnishd"

    def __init__(self, backend_port: int, vcl: Optional[str] = None):
        self.root = Path(tempfile.mkdtemp(prefix="mod_cors_varnish_"))
        self.root.chmod(0o755)
        self.port, self.backend_port, self.vcl = free_port(), backend_port, vcl
        self.proc: Optional[subprocess.Popen] = None
        self.log = self.root / "varnishd.log"

    def start(self) -> "Varnish":
        argv = [VARNISHD, "-F", "-n", str(self.root / "work"), "-a", f"127.0.0.1:{self.port}",
                "-s", "malloc,16m", "-p", "default_ttl=120"]
        if self.vcl is None:
            argv += ["-b", f"127.0.0.1:{self.backend_port}"]
        else:
            (self.root / "default.vcl").write_text(self.vcl)
            argv += ["-f", str(self.root / "default.vcl")]
        return self._launch(argv, self.log)


class Nginx(Daemon):
    """Debian's nginx in the foreground, terminating TLS on 127.0.0.1:port (a certificate from
    self_signed_cert()) and passing every request to http://127.0.0.1:upstream_port, with
    its configuration, logs, pid and temp files in a temp directory. host_header is what
    nginx sends upstream as Host ($host: the name alone, as most guides write it;
    $http_host: what the browser sent, port included)."""
    what = "nginx"
    stop_signal = signal.SIGQUIT  # a graceful stop: nginx ends its workers

    def __init__(self, upstream_port: int, host_header: str = "$host", port: Optional[int] = None):
        self.root = Path(tempfile.mkdtemp(prefix="mod_cors_nginx_"))
        self.root.chmod(0o755)
        self.port = port or free_port()
        self.upstream_port, self.host_header = upstream_port, host_header
        self.proc: Optional[subprocess.Popen] = None
        self.error_log = self.root / "error.log"

    def render(self) -> str:
        cert, key = self_signed_cert()
        temp = "\n".join(f"    {kind}_temp_path {self.root}/tmp/{kind};"
                         for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        return f"""worker_processes 1;
pid {self.root}/nginx.pid;
error_log {self.error_log} warn;
events {{ worker_connections 64; }}
http {{
    access_log {self.root}/access.log;
{temp}
    server {{
        listen 127.0.0.1:{self.port} ssl;
        server_name localhost;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        location / {{
            proxy_pass http://127.0.0.1:{self.upstream_port};
            proxy_set_header Host {self.host_header};
            proxy_set_header X-Forwarded-Proto https;
            proxy_set_header X-Forwarded-For $remote_addr;
        }}
    }}
}}
"""

    def start(self) -> "Nginx":
        (self.root / "tmp").mkdir(mode=0o777)
        (self.root / "tmp").chmod(0o777)
        conf = self.root / "nginx.conf"
        conf.write_text(self.render())
        return self._launch([NGINX, "-p", str(self.root), "-e", str(self.error_log), "-c", str(conf),
                             "-g", "daemon off;"], self.root / "stdout.log", self.error_log)


# ---------------------------------------------------------------- httpd

BASE_MODULES = ("authz_core", "authn_core", "auth_basic", "authn_file", "authz_user", "mime",
                "dir", "alias", "env", "headers", "setenvif", "proxy", "proxy_http")
MODULE_FILES = {"php": PHP_MODULE}


def load_module_line(name: str) -> str:
    file = MODULE_FILES.get(name, f"mod_{name}.so")
    return f"LoadModule {name}_module {MODULES_DIR / file}"


MPM_TUNING = {
    "prefork": """StartServers 2
MinSpareServers 1
MaxSpareServers 4
MaxRequestWorkers 32""",
    "event": """StartServers 1
ServerLimit 4
ThreadLimit 16
ThreadsPerChild 16
MaxRequestWorkers 32
MinSpareThreads 4
MaxSpareThreads 32""",
}
MPM_TUNING["worker"] = MPM_TUNING["event"]
# The event MPM held to one child of 25 threads (a child's memory, measured, is the whole of it).
ONE_CHILD_EVENT = """StartServers 1
ServerLimit 1
ThreadLimit 25
ThreadsPerChild 25
MaxRequestWorkers 25
MinSpareThreads 1
MaxSpareThreads 25
"""


@dataclass
class ServerSpec:
    """What an httpd instance runs. `body` is appended to the common configuration and may
    use ${IT_ROOT}, ${IT_HTDOCS}, ${IT_CONF}, ${IT_STATE}, ${IT_PORT}, ${IT_TLS_PORT},
    ${IT_FPM_PORT}, ${IT_BACKEND_PORT} (httpd Define variables)."""
    mpm: str = "prefork"                 # prefork | event | worker
    php: Optional[str] = "mod_php"       # mod_php (prefork) | fpm | None
    body: str = ""
    modules: tuple = ()                  # extra module names, e.g. ("rewrite",)
    load_cors: bool = True
    tls: bool = False                    # an HTTPS virtual host (HTTP/2 too unless prefork)
    log_level: str = "warn cors:debug"
    app_dirs: tuple = ("app",)           # htdocs folders that get a copy of app_source
    app_source: Union[None, str, tuple] = None  # the folder(s) copied there, in order, a later one's
                                                # files replacing an earlier one's (default tests/integration/app)
    extra_ports: tuple = ()              # names N: a free port each, as ${IT_PORT_N} (no Listen)
    port: Optional[int] = None           # a fixed ${IT_PORT} (the demo's 8080) instead of a free one
    fixed_ports: dict = field(default_factory=dict)  # name N -> a fixed port, as ${IT_PORT_N} (no Listen)
    files: dict = field(default_factory=dict)  # htdocs-relative path -> content (text or bytes)
    users: dict = field(default_factory=lambda: {"alice": "wonderland"})
    # For measurements (tests/bench): fewer modules, no access log, one process, a launcher.
    base_modules: Optional[tuple] = None  # None: BASE_MODULES (then mod_dir, mod_env as needed)
    access_log: bool = True               # CustomLog logs/access.log
    command_prefix: tuple = ()            # put before apache2, e.g. ("valgrind", "--tool=callgrind")
    single_process: bool = False          # apache2 -X (one process, no children), not -DFOREGROUND
    start_timeout: float = START_TIMEOUT  # seconds to wait for the first answer
    stop_timeout: float = STOP_TIMEOUT    # seconds SIGTERM is given before SIGKILL
    # Error-log lines at warn or above this server may log at any time (its configuration's
    # start-up warnings, say): log ids (CORS00123, AH01071) or regular expressions (see
    # unexpected_log_lines). Whatever else it logs at warn or above fails the test that ran.
    expect_log: tuple = ()


# The PHP each MPM runs: mod_php under prefork, php-fpm under the threaded MPMs; the ids the
# suites give their servers say both.
PHP_FOR_MPM = {"prefork": "mod_php", "event": "fpm", "worker": "fpm"}
MPM_IDS = {mpm: f"{mpm}-{'mod_php' if php == 'mod_php' else 'php_fpm'}" for mpm, php in PHP_FOR_MPM.items()}


def figures_report(variable: str, default: str):
    """A suite's figures file ($variable, else `default`; its run.sh prints it) and the
    function that appends one line to it."""
    path = Path(os.environ.get(variable, default))

    def report(line: str) -> None:
        with open(path, "a") as f:
            f.write(line.rstrip("\n") + "\n")
    return report


# What a crashed child, or an exception the module caught, leaves in an error log (the
# module's CORS00103/00104 "CORS decision failed", CORS00105 "could not decide on the CORS
# headers", CORS00120 "could not set the CORS headers").
CRASH_SIGNS = ("Segmentation fault", "exit signal", "AH00052", "double free", "AddressSanitizer",
               "CORS decision failed", "could not set the CORS headers", "could not decide on the CORS headers",
               "CORS00103", "CORS00104", "CORS00105", "CORS00120", "terminate called")

_running: set = set()        # every Httpd started and not stopped yet
_crash_reports: list = []    # crash lines of servers stopped since the last take_crash_reports()
_log_reports: list = []      # (server, line): warn+ lines of servers stopped since take_log_reports()
_vanished_reports: list = []  # servers whose folder was removed while they ran (vanished_servers)


def crash_lines(text: str) -> list:
    return [line for line in text.splitlines() if any(sign in line for sign in CRASH_SIGNS)]


def take_crash_reports() -> list:
    """Crash lines logged since the last call, by every server this process started
    (running or stopped since). The fixtures call it after every test."""
    for srv in list(_running):
        srv.collect_crashes()
    found, _crash_reports[:] = list(_crash_reports), []
    return found


def check_folder(srv: "Httpd") -> None:
    """Reports (once) a server whose folder was removed while it ran; see vanished_servers()."""
    if not srv._vanished and not (srv.htdocs.is_dir() and srv.conf.is_file()):
        srv._vanished = True
        _vanished_reports.append(f"{srv.root}: its folder was removed while the server ran (by another "
                                 f"process); every file it serves then gets 403")


def vanished_servers() -> list:
    """Every server of this process (running, or stopped since the last call) whose folder
    (its DocumentRoot, its configuration) was removed under it while it ran, reported once.
    Such a server still answers, with 403 for every file (its <Directory /> denies all), which
    looks like a refusal of the module; the fixtures name the cause instead after every test.
    Only a process outside the test run removes these folders (Httpd.stop removes a stopped
    server's, after this check)."""
    for srv in list(_running):
        check_folder(srv)
    found, _vanished_reports[:] = list(_vanished_reports), []
    return found


# ---------------------------------------------------------------- the error log as an oracle

# Lines the test applications provoke on purpose, for expect_log: app/fatal.php's fatal error
# (mod_php: "[php:error] PHP Fatal error: ..."; php-fpm: "AH01071: Got error 'PHP message: PHP
# Fatal error: ..."), a PHP script that does not exist, a refused login, `Require all denied`.
PHP_FATAL_LOG = r"PHP Fatal error: .*undefined_function_for_mod_cors_tests"
PHP_MISSING_LOG = r"script '.*' not found or unable to stat|AH01071: Got error 'Primary script unknown'"
WRONG_PASSWORD_LOG = "AH01617"
DENIED_LOG = "AH01630"
# What every HTTPS server of the harness logs at start-up: Debian's mod_ssl built against a newer
# OpenSSL than the one loaded (AH01882, this machine's packages), no SSLSessionCache (AH01873).
TLS_START_LOG = ("AH01882", "AH01873")

# httpd's error-log line: [time] [module:level] [pid ...] ... The levels an oracle looks at,
# as pyhttpd does: warn and above.
LOG_LINE = re.compile(r"^\[[^\]]*\] \[(?P<module>[^:\]\s]*):(?P<level>[a-z]+[0-9]*)\] ")
ORACLE_LEVELS = ("emerg", "alert", "crit", "error", "warn")
LOG_ID = re.compile(r"^(?:CORS|AH)[0-9]{5}$")


def log_level_of(line: str) -> Optional[str]:
    m = LOG_LINE.match(line)
    return m.group("level") if m else None


def log_matcher(patterns: Iterable[str]):
    """A test for lines: each pattern is a log id (CORS00123, AH01071: matched as "ID: "
    or "ID:" in the line) or a regular expression searched in the line."""
    compiled = [re.compile(re.escape(p) + ":") if LOG_ID.match(p) else re.compile(p) for p in patterns]
    return lambda line: any(c.search(line) for c in compiled)


def unexpected_log_lines(text: str, expected: Iterable[str] = ()) -> list:
    """The lines of `text` at warn or above that no pattern of `expected` matches."""
    matches = log_matcher(expected)
    return [line for line in text.splitlines()
            if log_level_of(line) in ORACLE_LEVELS and not matches(line)]


def take_log_reports() -> list:
    """(server, line) for every warn+ line logged since the last call by a server this process
    started (running or stopped since) that the server's spec does not expect. The fixtures
    call it after every test and fail the test on the lines it did not declare."""
    for srv in list(_running):
        srv.collect_log_lines()
    found, _log_reports[:] = list(_log_reports), []
    return found


class Httpd:
    """One httpd built from a ServerSpec in a temp directory under /tmp."""

    def __init__(self, spec: ServerSpec, fpm: Optional[PhpFpm] = None,
                 backend: Optional[Backend] = None):
        if spec.php == "fpm" and fpm is None:
            raise ValueError("spec.php == 'fpm' needs a running PhpFpm")
        self.spec, self.fpm, self.backend = spec, fpm, backend
        self.root = Path(tempfile.mkdtemp(prefix="mod_cors_it_"))
        self.htdocs, self.conf_dir = self.root / "htdocs", self.root / "conf"
        self.logs, self.state, self.run_dir = self.root / "logs", self.root / "state", self.root / "run"
        self.port = spec.port or free_port()
        self.tls_port = free_port() if spec.tls else None
        self.ports = {name: free_port() for name in spec.extra_ports}
        self.ports.update({name: int(port) for name, port in spec.fixed_ports.items()})
        self.proc: Optional[subprocess.Popen] = None
        self._crash_checked = 0  # error-log bytes already read by collect_crashes()
        self._oracle_checked = 0  # error-log bytes already read by collect_log_lines()
        self._vanished = False    # its folder found removed while it ran (vanished_servers)
        self._make_tree()
        self.conf = self.conf_dir / "httpd.conf"
        self.conf.write_text(self.render())

    # -- layout and configuration

    def _make_tree(self) -> None:
        self.root.chmod(0o755)
        for d in (self.htdocs, self.conf_dir, self.logs, self.run_dir):
            d.mkdir(mode=0o755)
        self.state.mkdir()
        self.state.chmod(0o777)
        sources = self.spec.app_source or APP_DIR
        for name in self.spec.app_dirs:
            for source in ((sources,) if isinstance(sources, (str, Path)) else sources):
                shutil.copytree(source, self.htdocs / name, dirs_exist_ok=True)
        for rel, content in self.spec.files.items():
            path = self.htdocs / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content)
        for path in self.htdocs.rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)
        self.reached_log.touch()
        self.reached_log.chmod(0o666)
        write_htpasswd(self.conf_dir / "htpasswd", self.spec.users)
        if self.spec.tls:
            self.cert, self.key = self_signed_cert()

    @property
    def log_level(self) -> str:
        """spec.log_level, without the cors: part when mod_cors is not loaded."""
        if self.spec.load_cors:
            return self.spec.log_level
        return re.sub(r"\s*cors:\S+", "", self.spec.log_level) or "warn"

    @property
    def reached_log(self) -> Path:
        return self.state / "reached.log"

    def render(self) -> str:
        spec = self.spec
        modules = [f"mpm_{spec.mpm}", *(BASE_MODULES if spec.base_modules is None else spec.base_modules),
                   *spec.modules]
        if spec.php == "mod_php":
            modules.append("php")
        if spec.php == "fpm":
            modules.append("proxy_fcgi")
        if spec.tls:
            modules += ["ssl"] if spec.mpm == "prefork" else ["ssl", "http2"]
        loads = [load_module_line(m) for m in dict.fromkeys(modules)]
        if spec.load_cors:
            loads.append(f"LoadModule cors_module {module_path()}")
        defines = {
            "IT_ROOT": self.root, "IT_HTDOCS": self.htdocs, "IT_CONF": self.conf_dir,
            "IT_STATE": self.state, "IT_PORT": self.port, "IT_TLS_PORT": self.tls_port or 0,
            "IT_FPM_PORT": self.fpm.port if self.fpm else 0,
            "IT_BACKEND_PORT": self.backend.port if self.backend else 0,
            **{f"IT_PORT_{name.upper()}": port for name, port in self.ports.items()},
        }
        php_handler = {
            "mod_php": "SetHandler application/x-httpd-php",
            "fpm": 'SetHandler "proxy:fcgi://127.0.0.1:${IT_FPM_PORT}"',
        }.get(spec.php)
        parts = [
            "\n".join(f'Define {k} "{v}"' for k, v in defines.items()),
            "\n".join(loads),
            f"""ServerRoot "{self.root}"
ServerName 127.0.0.1
Listen 127.0.0.1:{self.port}
User {RUN_USER}
Group {RUN_USER}
PidFile "{self.run_dir}/httpd.pid"
DefaultRuntimeDir "{self.run_dir}"
ErrorLog "{self.logs}/error.log"
LogLevel {self.log_level}
LogFormat "%h %l %u %t \\"%r\\" %>s %b \\"%{{Origin}}i\\"" it
{f'CustomLog "{self.logs}/access.log" it' if spec.access_log else "# no access log"}
TypesConfig /etc/mime.types
DocumentRoot "{self.htdocs}"
{"DirectoryIndex index.html index.php" if "dir" in modules else "# no mod_dir"}
KeepAlive Off
Timeout 20
{MPM_TUNING[spec.mpm]}
{f'SetEnv CORS_TEST_STATE "{self.reached_log}"' if "env" in modules else "# no mod_env"}
<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Directory "{self.htdocs}">
    Options None
    AllowOverride None
    Require all granted
</Directory>""",
        ]
        if php_handler:
            parts.append(f'<FilesMatch "\\.php$">\n    {php_handler}\n</FilesMatch>')
        if spec.tls:
            parts.append(f"""Listen 127.0.0.1:{self.tls_port}
<VirtualHost 127.0.0.1:{self.tls_port}>
    ServerName localhost
    SSLEngine on
    SSLCertificateFile "{self.cert}"
    SSLCertificateKeyFile "{self.key}"
    {"" if spec.mpm == "prefork" else "Protocols h2 http/1.1"}
</VirtualHost>""")
        parts.append(spec.body)
        return "\n\n".join(parts) + "\n"

    # -- lifecycle

    def config_test(self) -> subprocess.CompletedProcess:
        """`apache2 -t` on this configuration; stdout and stderr merged into .output."""
        done = subprocess.run([APACHE2, "-t", "-d", str(self.root), "-f", str(self.conf)],
                              stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=START_TIMEOUT)
        done.output = done.stdout + done.stderr
        return done

    def start(self) -> "Httpd":
        self.proc = spawn([*self.spec.command_prefix, APACHE2, "-d", str(self.root), "-f", str(self.conf),
                           "-X" if self.spec.single_process else "-DFOREGROUND"], self.startup_log)
        _running.add(self)
        try:
            self.wait_ready(self.spec.start_timeout)
        except Exception as exc:
            self.stop(remove=False)
            raise RuntimeError(f"httpd did not start ({exc}); kept {self.root}\n"
                               f"{tail(self.startup_log)}\n{tail(self.error_log_path)}") from exc
        return self

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        for port, tls in ((self.port, False), (self.tls_port, True)):
            if port is None:
                continue
            while True:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"apache2 exited with {self.proc.returncode}")
                try:
                    http_request(port, "GET", "/", tls=tls, timeout=2)
                    break
                except (OSError, http.client.HTTPException):
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"no answer on port {port} after {timeout}s")
                    time.sleep(0.05)

    def stop(self, remove: bool = True) -> None:
        stop_process(self.proc, signal.SIGTERM, self.spec.stop_timeout)
        self.proc = None
        if self in _running:
            check_folder(self)
            self.collect_crashes()
            self.collect_log_lines()
            _running.discard(self)
        if remove and not KEEP_DIRS:
            shutil.rmtree(self.root, ignore_errors=True)

    def graceful(self, timeout: float = START_TIMEOUT) -> None:
        """Graceful restart (SIGUSR1 to the parent): modules are unloaded and loaded again."""
        before = self.error_log().count("resuming normal operations")
        os.kill(self.proc.pid, signal.SIGUSR1)
        deadline = time.monotonic() + timeout
        while self.error_log().count("resuming normal operations") <= before:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"graceful restart failed\n{tail(self.error_log_path)}")
            time.sleep(0.05)
        self.wait_ready(timeout)

    def __enter__(self) -> "Httpd":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- logs

    @property
    def error_log_path(self) -> Path:
        return self.logs / "error.log"

    @property
    def startup_log(self) -> Path:
        """stdout and stderr of apache2 (messages logged before the error log opens)."""
        return self.logs / "startup.log"

    def error_log(self) -> str:
        try:
            return self.error_log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def startup_output(self) -> str:
        """Everything httpd said at start-up: its stderr and the error log."""
        return tail(self.startup_log, 10_000) + "\n" + self.error_log()

    def collect_crashes(self) -> None:
        """Adds the crash lines logged since the last look to the reports."""
        try:
            with open(self.error_log_path, "rb") as f:
                f.seek(self._crash_checked)
                text = f.read().decode(errors="replace")
        except FileNotFoundError:
            return
        self._crash_checked += len(text.encode(errors="replace"))
        _crash_reports.extend(f"{self.root}: {line}" for line in crash_lines(text))

    def collect_log_lines(self) -> None:
        """Adds the warn+ lines logged since the last look that the spec does not expect."""
        try:
            with open(self.error_log_path, "rb") as f:
                f.seek(self._oracle_checked)
                data = f.read()
        except FileNotFoundError:
            return
        complete = data[:data.rfind(b"\n") + 1]   # a line still being written waits for the next look
        self._oracle_checked += len(complete)
        text = complete.decode(errors="replace")
        expected = (*self.spec.expect_log, *(TLS_START_LOG if self.spec.tls else ()))
        _log_reports.extend((self, line) for line in unexpected_log_lines(text, expected))

    def log_mark(self) -> int:
        try:
            return self.error_log_path.stat().st_size
        except FileNotFoundError:
            return 0

    def log_since(self, mark: int) -> str:
        with open(self.error_log_path, "rb") as f:
            f.seek(mark)
            return f.read().decode(errors="replace")

    def wait_log(self, mark: int, pattern: str, timeout: float = 3) -> list:
        """Error-log lines written after `mark` that match `pattern` (waits up to timeout)."""
        deadline = time.monotonic() + timeout
        while True:
            lines = [l for l in self.log_since(mark).splitlines() if re.search(pattern, l)]
            if lines or time.monotonic() > deadline:
                return lines
            time.sleep(0.05)

    # -- requests

    def request(self, method: str, path: str, origin: Union[None, str, list] = None,
                headers: Headers = None, body: Optional[bytes] = None, tls: bool = False,
                host: Union[str, None, bool] = True, auth: Optional[tuple] = None) -> Response:
        """A request to this server; `origin` may be a list to send several Origin lines."""
        lines = []
        if origin is not None:
            lines += [("Origin", o) for o in ([origin] if isinstance(origin, str) else origin)]
        if auth:
            lines.append(basic_auth(*auth))
        lines += _header_list(headers)
        port = self.tls_port if tls else self.port
        return http_request(port, method, path, lines, body, tls=tls, host=host)

    def get(self, path: str, origin=None, **kw) -> Response:
        return self.request("GET", path, origin, **kw)

    def preflight(self, path: str, origin, method: str, request_headers: Optional[str] = None,
                  headers: Headers = None, **kw) -> Response:
        lines = [("Access-Control-Request-Method", method)]
        if request_headers is not None:
            lines.append(("Access-Control-Request-Headers", request_headers))
        return self.request("OPTIONS", path, origin, headers=lines + _header_list(headers), **kw)

    def url(self, path: str, tls: bool = False) -> str:
        return f"https://127.0.0.1:{self.tls_port}{path}" if tls else f"http://127.0.0.1:{self.port}{path}"

    def reached(self, request_id: str) -> list:
        """Methods of the requests with ?id=request_id that reached record.php."""
        found = []
        for line in self.reached_log.read_text().splitlines():
            method, _, rid = line.partition(" ")
            if rid == request_id:
                found.append(method)
        return found


# ---------------------------------------------------------------- assertions

def assert_allowed(resp: Response, origin: str, status: int = 200, credentials: bool = False) -> None:
    """An allowed answer: exactly one Access-Control-Allow-Origin echoing `origin`."""
    assert resp.status == status, resp
    assert resp.all("Access-Control-Allow-Origin") == [origin], resp
    assert resp.all("Access-Control-Allow-Credentials") == (["true"] if credentials else []), resp
    if origin != "*":
        assert "origin" in resp.tokens_lower("Vary"), resp
    assert_vary_unique(resp)


def assert_refused(resp: Response, status: int = 403) -> None:
    """A refusal: no Access-Control-Allow-* header at all, and Vary: Origin."""
    assert resp.status == status, resp
    assert not [n for n, _ in resp.cors_headers() if n.startswith("access-control-allow-")], resp
    assert "origin" in resp.tokens_lower("Vary"), resp


def assert_no_cors(resp: Response) -> None:
    """Untouched by mod_cors: no Access-Control-* header and no Vary: Origin."""
    assert resp.cors_headers() == [], resp
    assert "origin" not in resp.tokens_lower("Vary"), resp


def assert_vary_unique(resp: Response) -> None:
    tokens = resp.tokens_lower("Vary")
    assert len(tokens) == len(set(tokens)), f"duplicate Vary tokens: {resp}"


PREFLIGHT_VARY = ["origin", "access-control-request-method", "access-control-request-headers"]


# ---------------------------------------------------------------- PostgreSQL

def _postgres_bin() -> Path:
    """Debian's PostgreSQL programs, the newest installed version."""
    import glob
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else Path("/usr/lib/postgresql/15/bin")


PG_BIN = _postgres_bin()


class PostgresCluster:
    """A throw-away PostgreSQL cluster: initdb in a temp folder, a Unix socket only
    (listen_addresses=''), run as the postgres user; stop() whatever happened."""

    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="mod_cors_pg_"))
        self.data, self.socket_dir, self.log = self.root / "data", self.root / "sock", self.root / "pg.log"
        self.socket_dir.mkdir()
        self.root.chmod(0o755)
        shutil.chown(self.root, "postgres")
        shutil.chown(self.socket_dir, "postgres")
        self.socket_dir.chmod(0o755)
        self._as_postgres([str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
                           "--no-sync"], timeout=120)

    def _as_postgres(self, argv, timeout=60, check=True, input=None):
        cmd = argv if os.geteuid() != 0 else ["runuser", "-u", "postgres", "--", *argv]
        return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=timeout, input=input)

    def start(self) -> "PostgresCluster":
        opts = f"-c listen_addresses='' -c unix_socket_directories='{self.socket_dir}' -c fsync=off"
        self._as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", opts,
                           "-w", "-t", "60", "start"], timeout=90)
        return self

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "-t", "60",
                               "stop"], timeout=90, check=False)

    def sql(self, statement: str, db: str = "cors") -> str:
        return self._as_postgres(["psql", "-h", str(self.socket_dir), "-U", "postgres", "-d", db, "-v",
                                  "ON_ERROR_STOP=1", "-qAt", "-c", statement]).stdout

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


# ---------------------------------------------------------------- MariaDB

class MariaDB:
    """A throw-away MariaDB server: mariadb-install-db into a temp folder, mariadbd on a Unix
    socket only (--skip-networking), run as the mysql user, no option file read (--no-defaults);
    stop() and start() again keep the data (a database that goes away mid-run), remove() ends
    it whatever happened."""

    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="mod_cors_mariadb_"))
        self.data, self.socket = self.root / "data", self.root / "mysqld.sock"
        self.log, self.output = self.root / "mariadbd.err", self.root / "mariadbd.out"
        self.proc: Optional[subprocess.Popen] = None
        self.root.chmod(0o755)
        shutil.chown(self.root, "mysql", "mysql")
        subprocess.run(["mariadb-install-db", "--no-defaults", f"--datadir={self.data}", "--user=mysql",
                        "--auth-root-authentication-method=normal", "--skip-test-db",
                        ], check=True, capture_output=True, timeout=180)

    def start(self) -> "MariaDB":
        self.proc = spawn(["mariadbd", "--no-defaults", f"--datadir={self.data}", f"--socket={self.socket}",
                           "--skip-networking", "--user=mysql", f"--log-error={self.log}",
                           f"--pid-file={self.root / 'mariadbd.pid'}", "--innodb-buffer-pool-size=32M",
                           "--innodb-log-file-size=16M", "--innodb-flush-log-at-trx-commit=0",
                           "--max-connections=60"], self.output)
        deadline = time.monotonic() + 60
        while not self._ping():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"mariadbd did not start\n{tail(self.log)}\n{tail(self.output)}")
            time.sleep(0.1)
        return self

    def _ping(self) -> bool:
        done = subprocess.run(["mariadb-admin", "--no-defaults", f"--socket={self.socket}", "-uroot",
                               "--connect-timeout=2", "ping"], capture_output=True, timeout=10)
        return done.returncode == 0

    def sql(self, statement: str, db: str = "") -> str:
        argv = ["mariadb", "--no-defaults", f"--socket={self.socket}", "-uroot", "-N", "-B", "-e", statement]
        return subprocess.run(argv + ([db] if db else []), check=True, capture_output=True, text=True,
                              timeout=60).stdout

    def create_database(self, name: str, user: str, password: str) -> None:
        self.sql(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4; "
                 f"CREATE USER '{user}'@'localhost' IDENTIFIED BY '{password}'; "
                 f"GRANT ALL ON `{name}`.* TO '{user}'@'localhost';")

    def stop(self) -> None:
        stop_process(self.proc, signal.SIGTERM, 60)
        self.proc = None

    def remove(self) -> None:
        self.stop()
        if not KEEP_DIRS:
            shutil.rmtree(self.root, ignore_errors=True)


# ---------------------------------------------------------------- command line

def serve(spec_file: Path, until_stdin_closes: bool = False) -> None:
    """Starts the servers a JSON spec describes, prints one JSON line with their ports and
    paths, and keeps them until SIGTERM, SIGINT or SIGHUP (or, with --stdin, the end of
    standard input: a parent that dies takes its servers along); then stops every process
    with its group. For suites that are not written in Python (browser,
    demo):

        {"spec": {ServerSpec fields}, "fpm": false}

    When it stops, it prints "harness: crash: LINE" for each crash line and "harness:
    unexpected error-log line: LINE" for each line at warn or above that the spec's
    expect_log does not match: the caller fails on either.
    """
    wanted = json.loads(spec_file.read_text())
    spec_fields = dict(wanted["spec"])
    for key in ("modules", "app_dirs", "extra_ports", "expect_log"):
        if key in spec_fields:
            spec_fields[key] = tuple(spec_fields[key])
    spec = ServerSpec(**spec_fields)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda *_: stop.set())
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    fpm = PhpFpm().start() if spec.php == "fpm" else None
    srv = None
    try:
        srv = Httpd(spec, fpm=fpm).start()
        info = {"port": srv.port, "tls_port": srv.tls_port, "ports": srv.ports, "root": str(srv.root),
                "htdocs": str(srv.htdocs), "error_log": str(srv.error_log_path), "pid": srv.proc.pid}
        print(json.dumps(info), flush=True)

        def watch_stdin():
            try:
                while os.read(0, 4096):
                    pass
            except OSError:
                pass
            stop.set()
        if until_stdin_closes:
            threading.Thread(target=watch_stdin, daemon=True).start()
        while not stop.wait(0.2):
            if srv.proc.poll() is not None:
                print(f"harness: httpd exited\n{tail(srv.error_log_path)}", file=sys.stderr)
                break
    finally:
        crashes = [] if srv is None else (srv.collect_crashes() or take_crash_reports())
        if srv is not None:
            srv.stop()
        if fpm is not None:
            fpm.stop()
        for line in crashes:
            print(f"harness: crash: {line}", file=sys.stderr)
        for _, line in take_log_reports():
            print(f"harness: unexpected error-log line: {line}", file=sys.stderr)


def main(argv: Sequence[str]) -> int:
    if len(argv) == 2 and argv[0] == "free-ports":
        print(free_port_run(int(argv[1])))
        return 0
    if len(argv) in (2, 3) and argv[0] == "serve" and argv[2:] in ([], ["--stdin"]):
        try:
            serve(Path(argv[1]), until_stdin_closes=argv[2:] == ["--stdin"])
        except Exception as exc:  # the caller reads stderr and the exit status
            print(f"harness: {exc}", file=sys.stderr)
            return 1
        return 0
    print("usage: harness.py serve SPEC.json [--stdin] | harness.py free-ports COUNT", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
