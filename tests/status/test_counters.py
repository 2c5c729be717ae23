"""The counters in server-status?auto: exact totals over every child and thread.

A known mix of requests (allowed, refused, preflights allowed and refused, same-origin,
report-only, no Origin, ErrorDocument, DirectoryIndex and SSI subrequests) is sent
concurrently, several rounds; the deltas of the four ?auto lines must be exact."""
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import COUNTERS, PARTNER, STRANGER, auto_counts, new_batch, status_spec, wait_logged
from httpd_fixtures import start_server

ROUNDS = 12
WORKERS = 8


def same_origin(srv):
    return f"http://127.0.0.1:{srv.port}"


# (name, request(srv, headers) -> Response, expected status, delta {counter: n})
MIX = [
    ("allowed actual", lambda s, h: s.get("/app/hello.txt", PARTNER, headers=h), 200, {"CORSAllowed": 1}),
    ("refused actual, ErrorDocument 403", lambda s, h: s.get("/app/hello.txt", STRANGER, headers=h), 403,
     {"CORSRefused": 1}),
    ("allowed preflight", lambda s, h: s.preflight("/app/hello.txt", PARTNER, "PUT", "X-Allowed", headers=h), 204,
     {"CORSAllowed": 1, "CORSPreflights": 1}),
    ("preflight, method refused", lambda s, h: s.preflight("/app/hello.txt", PARTNER, "DELETE", headers=h), 403,
     {"CORSRefused": 1, "CORSPreflights": 1}),
    ("preflight, header refused", lambda s, h: s.preflight("/app/hello.txt", PARTNER, "PUT", "X-Other", headers=h), 403,
     {"CORSRefused": 1, "CORSPreflights": 1}),
    ("preflight, origin refused", lambda s, h: s.preflight("/app/hello.txt", STRANGER, "GET", headers=h), 403,
     {"CORSRefused": 1, "CORSPreflights": 1}),
    ("same-origin", lambda s, h: s.get("/app/hello.txt", same_origin(s), headers=h), 200, {"CORSSameOrigin": 1}),
    ("same-origin POST", lambda s, h: s.request("POST", "/app/page.shtml", same_origin(s), body=b"x", headers=h), 200,
     {"CORSSameOrigin": 1}),
    ("report-only, would refuse", lambda s, h: s.get("/ro/hello.txt", STRANGER, headers=h), 200, {"CORSRefused": 1}),
    ("report-only, allowed", lambda s, h: s.get("/ro/hello.txt", PARTNER, headers=h), 200, {"CORSAllowed": 1}),
    ("report-only preflight, would refuse", lambda s, h: s.preflight("/ro/hello.txt", STRANGER, "GET", headers=h), 200,
     {"CORSRefused": 1, "CORSPreflights": 1}),
    ("no Origin", lambda s, h: s.get("/app/hello.txt", headers=h), 200, {}),
    ("no Origin, OPTIONS", lambda s, h: s.request("OPTIONS", "/app/hello.txt", headers=h), 200, {}),
    ("invalid origin", lambda s, h: s.get("/app/hello.txt", PARTNER + "/", headers=h), 403, {"CORSRefused": 1}),
    ("allowed, ErrorDocument 404", lambda s, h: s.get("/app/nope.txt", PARTNER, headers=h), 404, {"CORSAllowed": 1}),
    ("allowed, DirectoryIndex", lambda s, h: s.get("/app/dir/", PARTNER, headers=h), 200, {"CORSAllowed": 1}),
    ("allowed, SSI subrequest", lambda s, h: s.get("/app/page.shtml", PARTNER, headers=h), 200, {"CORSAllowed": 1}),
    ("engine off", lambda s, h: s.get("/index.html", STRANGER, headers=h), 200, {}),
]


@pytest.fixture(scope="module", params=["prefork", "event"])
def server(request, cors_module):
    return start_server(request, status_spec(request.param))


def expected(rounds: int) -> dict:
    total = dict.fromkeys(COUNTERS, 0)
    for _, _, _, delta in MIX:
        for name, n in delta.items():
            total[name] += n * rounds
    return total


def test_auto_has_exactly_the_four_lines(server):
    assert set(auto_counts(server)) == set(COUNTERS)


@pytest.mark.parametrize("name,send,status,delta", MIX, ids=[m[0] for m in MIX])
def test_each_request_counts_once(server, name, send, status, delta):
    before = auto_counts(server)
    batch = new_batch()
    resp = send(server, batch)
    assert resp.status == status, resp
    wait_logged(server, batch, 1)
    after = auto_counts(server)
    assert {k: after[k] - before[k] for k in COUNTERS} == {k: delta.get(k, 0) for k in COUNTERS}


def test_concurrent_mix_is_counted_exactly(server):
    before = auto_counts(server)
    jobs = [m for _ in range(ROUNDS) for m in MIX]
    batch = new_batch()
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        results = list(pool.map(lambda m: (m, m[1](server, batch)), jobs, timeout=120))
    wrong = [(m[0], r.status) for m, r in results if r.status != m[2]]
    assert not wrong, wrong
    wait_logged(server, batch, len(jobs))
    after = auto_counts(server)
    assert {k: after[k] - before[k] for k in COUNTERS} == expected(ROUNDS)
    # The mix was really spread: several children (prefork) or threads (event) served it.
    lines = [l for l in (server.logs / "pids.log").read_text().splitlines() if l.endswith(batch[0][1])]
    servers = {tuple(line.split()[:2]) if server.spec.mpm == "event" else line.split()[0] for line in lines}
    assert len(servers) >= 2, lines[-5:]
