"""The whole-server request fuzzer: raw HTTP/1.x bytes (and HTTP/2 frames over h2c) into a real
httpd with the engine on at every kind of scope, under prefork + mod_php and event + php-fpm.

Property, per connection: the server under test answers wherever httpd answers. A case the
server under test does not answer (empty reply, reset, no answer before the deadline) is
sent again to the reference server (same configuration, no mod_cors): httpd closes some
connections silently by design (nothing or only blank lines before EOF, EOF or a timeout in
the request line, a TLS ClientHello on a cleartext port); only a case the reference answers
is a failure. Crashed children fail the test through the shared fixture's error-log check
(and are counted in the figures).

Each configuration runs FUZZ_SECONDS (default 4) in batches of Hypothesis examples; every
loop is bounded by a deadline and a count, every socket by a timeout.
"""
from __future__ import annotations

import os
import queue
import random
import socket
import threading
import time
from collections import Counter

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

import grammar
from conftest import Pair, report
from harness import crash_lines

FUZZ_SECONDS = float(os.environ.get("FUZZ_SECONDS", "4"))
FUZZ_SEED = int(os.environ.get("FUZZ_SEED", str(random.SystemRandom().randrange(1 << 30))))
SENDERS = 3                      # connections in flight at once
BATCH = 100                      # examples per Hypothesis run; runs repeat until the deadline
                                 # (past it, the rest of a run is drawn and dropped: < 2 s)
MAX_RUNS = 100_000               # a bound on the loop whatever the clock says
READ_TIMEOUT = 10                # httpd's Timeout is 3 s in these servers
H2_READ_TIMEOUT = 4
KEPT_FAILURES = 10

# Requests every run sends first, whatever Hypothesis draws: the crashes and the
# early errors httpd answers while still reading the request.
SEEDS = [
    b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    b"\x00\r\n\r\n",
    b"GET /app/static.txt\r HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    b"GET /app/api.php HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: https://app.partner.example\r\nX: " + b"a" * 5000 + b"\r\n\r\n",
    b"GET /app/api.php HTTP/1.1\r\nOrigin: https://app.partner.example\r\n\r\n",
    b"POST /app/api.php HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"POST /app/static.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\nContent-Length: 99999999999\r\n\r\n",
    b"CONNECT 127.0.0.1:443 HTTP/1.1\r\nHost: 127.0.0.1:443\r\n\r\n",
    b"OPTIONS * HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: https://app.partner.example\r\nAccess-Control-Request-Method: PUT\r\n\r\n",
    b"GET http://evil.example/fc/users/42 HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: null\r\n\r\n",
    b"", b"\r\n\r\n", b"\x16\x03\x01\x00\x05hello",
]


class Figures:
    """What one configuration's run sent and got; updated by the sender threads under a lock."""

    def __init__(self, name: str, server):
        self.log_mark = server.log_mark()          # crashes are counted from here
        self.name, self.sent, self.classes, self.codes, self.silent = name, 0, Counter(), Counter(), 0
        self.failures: list = []
        self.errors: list = []
        self.lock = threading.Lock()
        self.started = time.monotonic()

    def record(self, role: str, data: bytes, got: str, answered, replay) -> None:
        """One connection's outcome; replay() asks the reference server when got is no answer."""
        if answered(got):
            with self.lock:
                self.sent += 1
                self.codes[got] += 1
                self.classes[got[:-2] + "xx" if got[-3:].isdigit() else got] += 1
            return
        reference = replay()
        with self.lock:
            self.sent += 1
            if answered(reference):
                self.failures.append((role, data, got, reference))
            else:
                self.silent += 1
                self.classes[got] += 1

    def line(self, crashed: int) -> str:
        answers = ", ".join(f"{k} {v}" for k, v in sorted(self.classes.items()))
        codes = " ".join(f"{k}:{v}" for k, v in sorted(self.codes.items()))
        return (f"serverfuzz {self.name}: {self.sent} connections in {time.monotonic() - self.started:.1f} s; "
                f"outcomes: {answers or 'none'}; of them closed without an answer as httpd does "
                f"without the module: {self.silent}; not answered where httpd answers: "
                f"{len(self.failures)}; crashed children: {crashed} (FUZZ_SEED={FUZZ_SEED})\n"
                f"    statuses: {codes}")


# ---------------------------------------------------------------- HTTP/1.x

def send_http1(port: int, data: bytes) -> str:
    """Sends data, closes our side, reads to EOF: the status ('200', '400'...), 'http/0.9'
    (bytes without a status line), or 'closed', 'reset', 'timeout', 'refused' when nothing
    came back."""
    out = b""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=READ_TIMEOUT) as sock:
            try:
                sock.sendall(data)
                sock.shutdown(socket.SHUT_WR)
            except (BrokenPipeError, ConnectionResetError):
                pass                      # httpd answered and closed before reading it all
            deadline = time.monotonic() + READ_TIMEOUT
            while time.monotonic() < deadline and len(out) < (1 << 22):
                try:
                    chunk = sock.recv(65536)
                except ConnectionResetError:
                    if not out:
                        return "reset"
                    break
                if not chunk:
                    break
                out += chunk
            else:
                if not out:
                    return "timeout"
    except socket.timeout:
        if not out:
            return "timeout"
    except OSError:                       # refused: nothing listens any more
        if not out:
            return "refused"
    if not out:
        return "closed"
    while out.startswith(b"HTTP/1.1 100 ") and b"\r\n\r\n" in out:
        rest = out.partition(b"\r\n\r\n")[2]
        if not rest:
            break
        out = rest
    if out[:5] == b"HTTP/" and out[9:12].isdigit():
        return out[9:12].decode()
    return "http/0.9"


def answered_http1(got: str) -> bool:
    return got.isdigit() or got == "http/0.9"


def check_http1(pair: Pair, fig: Figures, case) -> None:
    data, role = case
    got = send_http1(Pair.ports(pair.srv)[role], data)
    fig.record(role, data, got, answered_http1, lambda: send_http1(Pair.ports(pair.ref)[role], data))


def fuzz(pair: Pair, fig: Figures, check, cases_strategy, first=()) -> None:
    """Hypothesis draws cases (in this thread) until the deadline; SENDERS threads send them,
    so that generation and the servers' work overlap. `first` cases go before any drawn one."""
    deadline = time.monotonic() + FUZZ_SECONDS
    todo: queue.Queue = queue.Queue(maxsize=2 * SENDERS)

    def sender():
        while True:
            case = todo.get()
            if case is None:
                return
            try:
                check(pair, fig, case)
            except Exception as exc:      # a bug of the fuzzer itself: reported, not hidden
                with fig.lock:
                    fig.errors.append(f"{exc!r} for {case!r:.300}")

    threads = [threading.Thread(target=sender, daemon=True) for _ in range(SENDERS)]
    for t in threads:
        t.start()
    for case in first:
        todo.put(case, timeout=60)

    @settings(max_examples=BATCH, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck), print_blob=False)
    @given(case=cases_strategy)
    def run(case):
        if time.monotonic() < deadline:
            todo.put(case, timeout=60)

    for n in range(MAX_RUNS):
        if time.monotonic() >= deadline:
            break
        seed(FUZZ_SEED + n)(run)()
    for _ in threads:
        todo.put(None, timeout=60)
    for t in threads:
        t.join(60)


def finish(pair: Pair, fig: Figures) -> None:
    time.sleep(1.2)              # the parent logs a dead child when it reaps it
    crashes = crash_lines(pair.srv.log_since(fig.log_mark))
    crashed = len(crashes)
    report(fig.line(crashed))
    shown = "\n".join(f"  port {role}: {data[:300]!r} -> {got}, without mod_cors: {ref}"
                      for role, data, got, ref in fig.failures[:KEPT_FAILURES])
    assert not fig.errors, "the fuzzer failed:\n" + "\n".join(fig.errors[:5])
    assert not fig.failures, (f"{len(fig.failures)} connections not answered where httpd answers "
                              f"(FUZZ_SEED={FUZZ_SEED}):\n{shown}")
    assert crashed == 0, "\n".join(crashes[:10])


def test_fuzz_http1(pair):
    """The seed requests, then grammar requests and their mutations on the three listeners."""
    fig = Figures(f"{pair.mpm} http/1.x", pair.srv)
    roles = list(Pair.ports(pair.srv))
    fuzz(pair, fig, check_http1, st.tuples(grammar.HTTP1_CASE, st.sampled_from(roles)),
         first=[(data, role) for data in SEEDS for role in roles])
    finish(pair, fig)


# ---------------------------------------------------------------- HTTP/2 (h2c, prior knowledge)

def h2_bytes(req: dict) -> tuple:
    """The client preface, SETTINGS and the request's frames, built by the h2 library with
    its header validation off (pseudo-headers missing, doubled or out of order are sent)."""
    config = h2.config.H2Configuration(client_side=True, header_encoding=None,
                                       validate_outbound_headers=False, normalize_outbound_headers=False,
                                       validate_inbound_headers=False)
    conn = h2.connection.H2Connection(config=config)
    conn.initiate_connection()
    try:
        conn.send_headers(1, req["headers"], end_stream=not req["body"])
        if req["body"]:
            body = req["body"]
            sent = 0
            while sent < len(body) and conn.local_flow_control_window(1) > 0:
                size = min(len(body) - sent, conn.max_outbound_frame_size, conn.local_flow_control_window(1))
                conn.send_data(1, body[sent:sent + size], end_stream=sent + size == len(body))
                sent += size
        if req["second_stream"]:
            conn.send_headers(3, [(b":method", b"GET"), (b":path", b"/app/api.php"), (b":scheme", b"http"),
                                  (b":authority", b"127.0.0.1"), (b"origin", grammar.PARTNER.encode())],
                              end_stream=True)
    except (h2.exceptions.ProtocolError, ValueError, TypeError):
        pass
    return conn.data_to_send(), conn


def mutate(data: bytes, count: int, rnd: random.Random) -> bytes:
    buf = bytearray(data)
    for _ in range(count):
        if len(buf) <= 24:
            break
        pos = rnd.randrange(24, len(buf))        # the connection preface stays intact
        kind = rnd.randrange(4)
        if kind == 0:
            buf[pos] ^= 1 << rnd.randrange(8)
        elif kind == 1:
            buf[pos] = rnd.choice([0x00, 0xff, 0x7f, 0x80, 0x01])
        elif kind == 2:
            del buf[pos:pos + rnd.randrange(1, 9)]
        else:
            buf[pos:pos] = bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 9)))
    return bytes(buf)


def send_h2(port: int, data: bytes, reader: h2.connection.H2Connection) -> str:
    """'h2-200'... (a response on a stream), 'h2-rst' (RST_STREAM), 'h2-goaway',
    'h2-unparsed' (frames the client side cannot follow after a mutation) or, when no stream
    got an answer, 'h2-settings-only' / 'closed' / 'reset' / 'timeout'. `reader` is the
    client connection that built `data` (it knows the streams opened)."""
    got_bytes = False
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=H2_READ_TIMEOUT) as sock:
            try:
                sock.sendall(data)
            except (BrokenPipeError, ConnectionResetError):
                pass
            deadline = time.monotonic() + H2_READ_TIMEOUT
            while time.monotonic() < deadline:
                try:
                    chunk = sock.recv(65536)
                except ConnectionResetError:
                    return "h2-settings-only" if got_bytes else "reset"
                except socket.timeout:
                    break
                if not chunk:
                    return "h2-settings-only" if got_bytes else "closed"
                got_bytes = True
                try:
                    events = reader.receive_data(chunk)
                except (h2.exceptions.ProtocolError, ValueError, KeyError, IndexError):
                    return "h2-unparsed"          # an answer the client side cannot follow
                for ev in events:
                    if isinstance(ev, h2.events.ResponseReceived):
                        status = dict(ev.headers).get(b":status", b"0")
                        return f"h2-{status.decode(errors='replace')}"
                    if isinstance(ev, h2.events.StreamReset):
                        return "h2-rst"
                    if isinstance(ev, h2.events.ConnectionTerminated):
                        return "h2-goaway"
                try:
                    out = reader.data_to_send()
                    if out:
                        sock.sendall(out)
                except OSError:
                    pass
    except socket.timeout:
        pass
    except OSError:
        return "h2-settings-only" if got_bytes else "refused"
    return "h2-settings-only" if got_bytes else "timeout"


def answered_h2(got: str) -> bool:
    return got[3:].isdigit() or got in ("h2-rst", "h2-goaway", "h2-unparsed")


def check_h2(pair: Pair, fig: Figures, case) -> None:
    (req, mutations, mutation_seed), role = case
    frames, _ = h2_bytes(req)
    data = mutate(frames, mutations, random.Random(mutation_seed))
    got = send_h2(Pair.ports(pair.srv)[role], data, h2_bytes(req)[1])
    fig.record(role, data, got, answered_h2, lambda: send_h2(Pair.ports(pair.ref)[role], data, h2_bytes(req)[1]))


@pytest.mark.parametrize("pair", ["event"], indirect=True, ids=["event-php_fpm"])
def test_fuzz_h2c(pair):
    """HTTP/2 streams (prior knowledge on the cleartext listeners) from the grammar, their
    frames mutated after the preface; event MPM (mod_http2 needs a threaded MPM)."""
    fig = Figures("event h2c", pair.srv)
    fuzz(pair, fig, check_h2, st.tuples(grammar.H2_CASE, st.sampled_from(list(Pair.ports(pair.srv)))))
    finish(pair, fig)
