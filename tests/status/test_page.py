"""The CORS section of the server-status HTML page: counts, refusals by reason, the latest
refusals (escaped, bounded); a graceful restart starts afresh; without mod_status the
module works as before."""
import html
import re

import pytest

from conftest import COUNTERS, PARTNER, STRANGER, auto_counts, refusal_rows, settled, status_html, status_spec
from harness import assert_allowed, assert_refused
from httpd_fixtures import start_server

RING = 32  # the bound of the latest refusals, as the page says


@pytest.fixture(scope="module", params=["prefork", "event"])
def server(request, cors_module):
    return start_server(request, status_spec(request.param))


def cells(row: str) -> list:
    return [html.unescape(c) for c in re.findall(r"<td>(.*?)</td>", row)]


def test_page_shows_counts_reasons_and_latest_refusals(server):
    settled(server, lambda h: server.get("/app/hello.txt", STRANGER, headers=h))
    settled(server, lambda h: server.preflight("/app/hello.txt", PARTNER, "DELETE", headers=h))
    settled(server, lambda h: server.get("/ro/hello.txt", "https://would-be.example", headers=h))
    page = status_html(server)
    assert '<h2><a name="cors">CORS</a></h2>' in page
    assert re.search(r"Refused cross-origin requests</th><td[^>]*>\d+<", page)
    assert re.search(r"<td>origin not allowed</td><td[^>]*>\d+<", page)
    assert re.search(r"<td>method not allowed</td><td[^>]*>\d+<", page)
    rows = [cells(r) for r in refusal_rows(page)]
    # newest first: time, request kind, method, origin, URI, reason, mode
    assert rows[0][1:] == ["actual", "GET", "https://would-be.example", "/ro/hello.txt", "origin not allowed",
                           "report only"]
    assert rows[1][1:] == ["preflight", "OPTIONS", PARTNER, "/app/hello.txt", "method not allowed: DELETE",
                           "enforced"]
    assert rows[2][1:] == ["actual", "GET", STRANGER, "/app/hello.txt", "origin not allowed", "enforced"]


def test_origin_with_markup_is_escaped(server):
    evil = 'https://x.example/<script>alert("cors")</script>'
    assert_refused(settled(server, lambda h: server.get("/app/<b>bold</b>.txt", evil, headers=h)))
    page = status_html(server)
    assert "<script>alert" not in page and "<b>bold" not in page
    assert "https://x.example/&lt;script&gt;alert(&quot;cors&quot;)&lt;/script&gt;" in page
    row = cells(refusal_rows(page)[0])
    assert row[3] == evil and row[4] == "/app/<b>bold</b>.txt" and row[5] == "invalid origin: path or trailing slash"


def test_long_values_are_cut(server):
    long_origin = "https://" + "a" * 500 + ".example"
    settled(server, lambda h: server.get("/app/hello.txt", long_origin, headers=h))
    row = cells(refusal_rows(status_html(server))[0])
    assert row[3].startswith("https://aaaa") and row[3].endswith("...") and len(row[3]) < 200


def test_ring_keeps_only_its_bound(server):
    extra = 9
    for i in range(RING + extra):
        origin = f"https://ring-{i:03d}.example"
        assert_refused(settled(server, lambda h: server.get("/app/hello.txt", origin, headers=h)))
    rows = [cells(r) for r in refusal_rows(status_html(server))]
    assert len(rows) == RING
    assert [r[3] for r in rows] == [f"https://ring-{i:03d}.example" for i in reversed(range(extra, RING + extra))]


def test_graceful_restart_starts_afresh(server):
    settled(server, lambda h: server.get("/app/hello.txt", PARTNER, headers=h))
    settled(server, lambda h: server.get("/app/hello.txt", STRANGER, headers=h))
    counts = auto_counts(server)
    assert counts["CORSAllowed"] > 0 and counts["CORSRefused"] > 0
    for _ in range(2):
        server.graceful()
        assert auto_counts(server) == dict.fromkeys(COUNTERS, 0)
        assert refusal_rows(status_html(server)) == []
        after = "https://after-restart.example"
        assert_refused(settled(server, lambda h: server.get("/app/hello.txt", after, headers=h)))
        assert_allowed(settled(server, lambda h: server.get("/app/hello.txt", PARTNER, headers=h)), PARTNER)
        assert auto_counts(server) == {"CORSAllowed": 1, "CORSRefused": 1, "CORSPreflights": 0,
                                       "CORSSameOrigin": 0}
        rows = [cells(r) for r in refusal_rows(status_html(server))]
        assert [r[3] for r in rows] == ["https://after-restart.example"]
    assert "exit signal" not in server.error_log()


@pytest.mark.parametrize("mpm", ["prefork", "event"])
def test_without_mod_status_the_module_works_as_before(make_server, mpm):
    srv = make_server(status_spec(mpm, with_status=False))
    assert_allowed(srv.get("/app/hello.txt", PARTNER), PARTNER)
    assert_refused(srv.get("/app/hello.txt", STRANGER))
    assert srv.preflight("/app/hello.txt", PARTNER, "PUT").status == 204
    assert srv.get("/server-status?auto").status == 404
    srv.graceful()
    assert_allowed(srv.get("/app/hello.txt", PARTNER), PARTNER)
    assert "CORS counters" not in srv.error_log()


def shared_mappings(srv) -> int:
    """Shared anonymous mappings of httpd's parent (the scoreboard, and the counters)."""
    with open(f"/proc/{srv.proc.pid}/maps") as f:
        return sum(1 for line in f if line.split()[1].endswith("s") and "/dev/zero" in line)


def test_shared_memory_only_with_mod_status(make_server):
    with_status = make_server(status_spec("prefork"))
    without = make_server(status_spec("prefork", with_status=False))
    assert shared_mappings(with_status) == shared_mappings(without) + 1
