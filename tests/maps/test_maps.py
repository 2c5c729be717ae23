"""Origin maps (contract.md "Origin maps", issue 16): CORSOriginMap txt:, dbm: and dbd:,
CORSOriginMapCache and CORSAllowOriginMap against real httpd servers, with a real SQLite
file and a real PostgreSQL cluster of the test's own."""
import contextlib
import os
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import pytest

from harness import PG_BIN, PostgresCluster, ServerSpec, assert_allowed, assert_refused, child_rss_kib

STATIC = "https://static.example"
CACHE = 1          # CORSOriginMapCache of the tests: a change shows within about a second
SETTLE = CACHE + 4  # the longest a test waits for a change (never part of an assertion on time)


def scope(maps: str, extra: str = "") -> str:
    return f"""<Location "/">
    CORSEngine On
    CORSAllowOrigin {STATIC}
    CORSAllowOriginMap {maps}
    CORSDebugHeader On
    {extra}
</Location>"""


def spec(body: str, mpm: str = "prefork", modules: tuple = ()) -> ServerSpec:
    return ServerSpec(mpm=mpm, php=None, body=body, modules=modules,
                      files={"hello.txt": "hello\n"}, log_level="warn cors:info")


def allowed(srv, origin: str) -> bool:
    resp = srv.get("/hello.txt", origin)
    if resp.status == 200 and resp.all("Access-Control-Allow-Origin") == [origin]:
        return True
    assert_refused(resp)
    return False


def wait_until(predicate, timeout: float = SETTLE) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def replace_file(path: Path, text: str) -> None:
    """As an administrator should: write aside, then rename over the old file."""
    tmp = path.with_name(path.name + ".new")
    tmp.write_text(text)
    tmp.chmod(0o644)
    os.replace(tmp, path)


def txt_server(make_server, lines: str, mpm: str = "prefork", start: bool = True):
    srv = make_server(spec(f'CORSOriginMap partners "txt:${{IT_STATE}}/partners.txt"\n'
                           f"CORSOriginMapCache {CACHE}\n" + scope("partners"), mpm), start=False)
    replace_file(srv.state / "partners.txt", lines)
    return srv.start() if start else srv


# ---------------------------------------------------------------- txt:

PARTNERS = """# partners of the app, one origin per line
https://a.example
HTTPS://Upper.Example
https://port.example:443
http://plain.example:8080   # a comment after the origin
https://bad.example/
not-an-origin
*
https://b.example 1
"""


@pytest.mark.expect_log("CORS00201")  # the invalid lines of PARTNERS, skipped
def test_txt_allows_listed_origins_and_refuses_the_rest(make_server):
    srv = txt_server(make_server, PARTNERS)
    for origin in ("https://a.example", "https://upper.example", "https://UPPER.example:443",
                   "https://port.example", "http://plain.example:8080", "https://b.example", STATIC):
        assert_allowed(srv.get("/hello.txt", origin), origin)
    for origin in ("https://c.example", "http://a.example", "https://a.example:8443",
                   "http://plain.example", "https://bad.example"):
        resp = srv.get("/hello.txt", origin)
        assert_refused(resp)
        assert resp.get("CORS-Reason") == "origin not allowed", resp
    # An invalid Origin never reaches the map (and is refused as invalid).
    resp = srv.get("/hello.txt", "https://a.example/")
    assert_refused(resp)
    assert resp.get("CORS-Reason").startswith("invalid origin"), resp


def test_txt_invalid_lines_are_warned_about_with_file_and_line(make_server):
    srv = txt_server(make_server, PARTNERS, start=False)
    out = srv.config_test()
    assert out.returncode == 0, out.output
    path = srv.state / "partners.txt"
    for line in (6, 7, 8):
        assert f"{path} line {line}:" in out.output, out.output
    assert f"{path} line 9:" not in out.output


def test_txt_change_takes_effect_under_load_without_wrong_answers(make_server):
    srv = txt_server(make_server, "https://a.example\n", mpm="event")
    assert allowed(srv, "https://a.example") and not allowed(srv, "https://new.example")
    wrong, done = [], threading.Event()
    counts = {"n": 0}

    def load():
        for _ in range(400):  # bounded in count and, through done, in time
            if done.is_set():
                return
            try:
                if not allowed(srv, "https://a.example"):
                    wrong.append("a refused")
                if allowed(srv, "https://never.example"):
                    wrong.append("never allowed")
                counts["n"] += 2
            except AssertionError as exc:
                wrong.append(str(exc)[:200])

    threads = [threading.Thread(target=load) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        time.sleep(0.3)
        replace_file(srv.state / "partners.txt", "https://a.example\nhttps://new.example\n")
        assert wait_until(lambda: all(allowed(srv, "https://new.example") for _ in range(6))), \
            "the new origin was not allowed without a restart"
    finally:
        done.set()
        for t in threads:
            t.join(timeout=60)
    assert not wrong, wrong[:10]
    assert counts["n"] > 0


@pytest.mark.expect_log("CORS00203")  # a directory: keeping the list read before
def test_txt_unreadable_file_keeps_the_last_list(make_server):
    srv = txt_server(make_server, "https://a.example\n")
    assert allowed(srv, "https://a.example")
    path = srv.state / "partners.txt"
    path.unlink()
    path.mkdir()  # not a file any more: it cannot be read
    time.sleep(CACHE + 0.5)
    for _ in range(6):
        assert allowed(srv, "https://a.example")
    assert wait_until(lambda: "keeping the list read before" in srv.error_log()), srv.error_log()[-2000:]
    path.rmdir()
    replace_file(path, "https://b.example\n")
    assert wait_until(lambda: all(allowed(srv, "https://b.example") for _ in range(4)))
    assert wait_until(lambda: not any(allowed(srv, "https://a.example") for _ in range(4)))


def test_missing_file_fails_config_test(make_server):
    srv = make_server(spec('CORSOriginMap partners "txt:${IT_STATE}/missing.txt"\n' + scope("partners")),
                      start=False)
    out = srv.config_test()
    assert out.returncode != 0, out.output
    assert "CORSOriginMap" in out.output and "missing.txt" in out.output, out.output


@pytest.mark.parametrize("body, words", [
    ('CORSOriginMap partners "csv:/etc/hosts"\n' + scope("partners"), ["unknown type", "csv"]),
    ('CORSOriginMap partners "dbm=nosuch:/etc/hosts"\n' + scope("partners"), ["unknown DBM type"]),
    (scope("nosuchmap"), ["CORSAllowOriginMap", "nosuchmap"]),
    ('CORSOriginMap t "dbd:SELECT 1 FROM t WHERE o = %s"\n' + scope("t"), ["mod_dbd"]),
    ('CORSOriginMapCache soon\n', ["CORSOriginMapCache", "soon"]),
    ("<Location /x>\nCORSOriginMap p txt:/etc/hosts\n</Location>\n", ["CORSOriginMap", "not allowed"]),
], ids=["unknown-type", "unknown-dbm-type", "undefined-map", "dbd-without-mod_dbd", "bad-cache",
        "map-in-location"])
def test_configuration_errors_fail_config_test(make_server, body, words):
    out = make_server(spec(body), start=False).config_test()
    assert out.returncode != 0, out.output
    for w in words:
        assert w in out.output, out.output


def test_dbd_query_needs_exactly_one_placeholder(make_server):
    for query in ("SELECT 1 FROM t", "SELECT 1 FROM t WHERE a = %s OR b = %s"):
        body = (f'DBDriver sqlite3\nDBDParams "/nonexistent.db"\n'
                f'CORSOriginMap t "dbd:{query}"\n' + scope("t"))
        out = make_server(spec(body, modules=("dbd",)), start=False).config_test()
        assert out.returncode != 0 and "exactly one %s" in out.output, out.output


# ---------------------------------------------------------------- dbm:

def httxt2dbm(src: Path, out: Path, fmt: str) -> None:
    subprocess.run(["httxt2dbm", "-f", fmt, "-i", str(src), "-o", str(out)], check=True,
                   capture_output=True, timeout=30)


@pytest.mark.expect_log("CORS00201")  # the invalid key, skipped
@pytest.mark.parametrize("fmt, type_", [("SDBM", "sdbm"), ("DB", "db")])
def test_dbm_built_with_httxt2dbm(make_server, fmt, type_):
    srv = make_server(spec(f'CORSOriginMap partners "dbm={type_}:${{IT_STATE}}/partners.map"\n'
                           f"CORSOriginMapCache {CACHE}\n" + scope("partners")), start=False)
    src = srv.state / "partners.txt"
    src.write_text("https://a.example 1\nHTTPS://Upper.Example:443 2\nhttps://bad.example/ 3\n")
    httxt2dbm(src, srv.state / "partners.map", fmt)
    for p in srv.state.iterdir():
        p.chmod(0o644)
    srv.start()
    assert allowed(srv, "https://a.example")
    assert allowed(srv, "https://upper.example")
    assert allowed(srv, "https://UPPER.EXAMPLE")
    assert not allowed(srv, "https://c.example")
    assert "skipped" in srv.error_log()
    # Rebuilt aside and renamed over, as a deploy does: the change shows without a restart.
    src.write_text("https://c.example 1\n")
    work = srv.state / "work"
    work.mkdir()
    httxt2dbm(src, work / "partners.map", fmt)
    for p in work.iterdir():
        p.chmod(0o644)
        os.replace(p, srv.state / p.name)
    assert wait_until(lambda: all(allowed(srv, "https://c.example") for _ in range(4)))
    assert wait_until(lambda: not any(allowed(srv, "https://a.example") for _ in range(4)))


# ---------------------------------------------------------------- dbd: SQLite

def sqlite_server(make_server, mpm: str = "prefork"):
    body = ('DBDriver sqlite3\nDBDParams "${IT_STATE}/tenants.db"\n'
            'CORSOriginMap tenants "dbd:SELECT 1 FROM tenants WHERE origin = %s"\n'
            f"CORSOriginMapCache {CACHE}\n" + scope("tenants"))
    srv = make_server(spec(body, mpm, modules=("dbd",)), start=False)
    db = srv.state / "tenants.db"
    with sqlite3.connect(db) as c:
        c.execute("CREATE TABLE tenants (origin TEXT PRIMARY KEY)")
        c.execute("INSERT INTO tenants VALUES ('https://t1.example')")
    db.chmod(0o644)
    return srv.start(), db


# A prefork child started while the INSERT holds SQLite's write lock cannot prepare mod_dbd's
# statements ("database is locked": mod_dbd's child init fails and it connects at a request).
@pytest.mark.expect_log("AH00632", "AH00633", "AH00636")
@pytest.mark.parametrize("mpm", ["prefork", "event"])
def test_dbd_sqlite_rows_inserted_and_deleted(make_server, mpm):
    srv, db = sqlite_server(make_server, mpm)
    assert allowed(srv, "https://t1.example")
    assert allowed(srv, "HTTPS://T1.example:443")       # normalised before the query
    assert not allowed(srv, "https://t2.example")
    with sqlite3.connect(db) as c:
        c.execute("INSERT INTO tenants VALUES ('https://t2.example')")
        c.execute("DELETE FROM tenants WHERE origin = 'https://t1.example'")
    assert wait_until(lambda: all(allowed(srv, "https://t2.example") for _ in range(4)))
    assert wait_until(lambda: not any(allowed(srv, "https://t1.example") for _ in range(4)))


@pytest.mark.expect_log("CORS00207", "AH00632", "AH00633", "AH00636")  # query failed; a child started without the table
def test_dbd_sqlite_broken_database_refuses_as_unavailable(make_server):
    srv, db = sqlite_server(make_server, "event")  # one child: one cache
    assert allowed(srv, "https://t1.example")
    with sqlite3.connect(db) as c:
        c.execute("DROP TABLE tenants")
    assert allowed(srv, "https://t1.example")  # the answer cached a moment ago
    resp = srv.get("/hello.txt", "https://t3.example")
    assert_refused(resp)
    assert resp.get("CORS-Reason") == "origin map unavailable: tenants", resp
    time.sleep(CACHE + 0.5)
    resp = srv.get("/hello.txt", "https://t1.example")
    assert_refused(resp)
    assert resp.get("CORS-Reason") == "origin map unavailable: tenants", resp
    assert allowed(srv, STATIC)  # static rules still answer


# ---------------------------------------------------------------- dbd: PostgreSQL

@contextlib.contextmanager
def started_postgres():
    """A throw-away PostgreSQL cluster, started; removed when the block ends however it ends."""
    if not (PG_BIN / "initdb").exists():
        pytest.fail("PostgreSQL 15 is not installed (tests/deps.sh maps)")
    cluster = PostgresCluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.remove()


@pytest.fixture
def postgres():
    with started_postgres() as cluster:
        cluster.sql("CREATE DATABASE cors", db="postgres")
        cluster.sql("CREATE TABLE tenants (origin text PRIMARY KEY)")
        cluster.sql("INSERT INTO tenants VALUES ('https://t1.example')")
        yield cluster


@pytest.mark.expect_log("CORS00205", "CORS00207", "AH00639")  # the cluster stopped: no connection, query failed
def test_dbd_postgres_shared_by_a_fleet_of_two(make_server, postgres):
    body = (f'DBDriver pgsql\nDBDParams "host={postgres.socket_dir} dbname=cors user=postgres '
            'connect_timeout=3"\n'
            'CORSOriginMap tenants "dbd:SELECT 1 FROM tenants WHERE origin = %s"\n'
            f"CORSOriginMapCache {CACHE}\n" + scope("tenants"))
    fleet = [make_server(spec(body, mpm, modules=("dbd",))) for mpm in ("prefork", "event")]

    def everywhere(origin):
        return all(allowed(srv, origin) for srv in fleet for _ in range(3))

    def nowhere(origin):
        return not any(allowed(srv, origin) for srv in fleet for _ in range(3))

    assert everywhere("https://t1.example") and nowhere("https://t2.example")
    postgres.sql("INSERT INTO tenants VALUES ('https://t2.example')")
    assert wait_until(lambda: everywhere("https://t2.example")), "an inserted row was not allowed by both"
    postgres.sql("DELETE FROM tenants WHERE origin = 'https://t1.example'")
    assert wait_until(lambda: nowhere("https://t1.example")), "a deleted row was still allowed"

    # The database goes away: answers cached still hold until they expire, new origins
    # are refused as unavailable, nothing crashes or hangs.
    assert everywhere("https://t2.example")
    postgres.stop()
    for srv in fleet:
        resp = srv.get("/hello.txt", "https://t9.example")
        assert_refused(resp)
        assert resp.get("CORS-Reason") == "origin map unavailable: tenants", resp
        assert allowed(srv, STATIC)
    time.sleep(CACHE + 0.5)
    for srv in fleet:
        resp = srv.get("/hello.txt", "https://t2.example")
        assert_refused(resp)
        assert resp.get("CORS-Reason") == "origin map unavailable: tenants", resp
    assert any("CORSOriginMap tenants" in srv.error_log() for srv in fleet)

    # Back: the fleet recovers without a restart.
    postgres.start()
    assert wait_until(lambda: everywhere("https://t2.example"), timeout=20), \
        "did not recover:\n" + "\n".join(f"{srv.spec.mpm}: {srv.error_log()[-3000:]}" for srv in fleet)
    assert nowhere("https://t1.example")


# ---------------------------------------------------------------- .htaccess

@pytest.mark.expect_log(r"\.htaccess: CORSAllowOriginMap: no CORSOriginMap named 'partnrs'")
def test_htaccess_lists_a_map_and_a_typo_is_a_500(make_server):
    body = (f'CORSOriginMap partners "txt:${{IT_STATE}}/partners.txt"\nCORSOriginMapCache {CACHE}\n'
            '<Directory "${IT_HTDOCS}/ht">\n    AllowOverride FileInfo\n</Directory>\n')
    srv = make_server(ServerSpec(php=None, body=body, log_level="warn cors:info", files={
        "ht/ok/.htaccess": "CORSEngine On\nCORSAllowOriginMap partners\n",
        "ht/ok/hello.txt": "hello\n",
        "ht/typo/.htaccess": "CORSEngine On\nCORSAllowOriginMap partnrs\n",
        "ht/typo/hello.txt": "hello\n",
    }), start=False)
    replace_file(srv.state / "partners.txt", "https://a.example\n")
    srv.start()
    assert_allowed(srv.get("/ht/ok/hello.txt", "https://a.example"), "https://a.example")
    assert_refused(srv.get("/ht/ok/hello.txt", "https://b.example"))
    resp = srv.get("/ht/typo/hello.txt", "https://a.example")
    assert resp.status == 500, resp
    assert "no CORSOriginMap named 'partnrs'" in srv.error_log()


# ---------------------------------------------------------------- memory

def ask_distinct_origins(port: int, first: int, count: int, deadline: float) -> None:
    """`count` GETs with origins no map lists, each a new one (every answer a cache miss
    that the cache then keeps), on one keep-alive connection."""
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        for i in range(first, first + count):
            assert time.monotonic() < deadline, "the requests took too long"
            conn.request("GET", "/hello.txt", headers={"Origin": f"https://o{i}.example"})
            resp = conn.getresponse()
            resp.read()
            assert resp.status == 403, resp.status
    finally:
        conn.close()


def child_rss_after(srv, first: int, then: int, deadline: float) -> tuple:
    """The children's VmRSS (KiB) after `first` distinct origins asked, then after `then` more."""
    ask_distinct_origins(srv.port, 0, first, deadline)
    before = child_rss_kib(srv.proc.pid)
    ask_distinct_origins(srv.port, first, then, deadline)
    return before, child_rss_kib(srv.proc.pid)


@pytest.mark.expect_log("AH00161")  # one child on purpose: MaxRequestWorkers reached
def test_dbd_answer_cache_keeps_memory_flat_under_a_steady_load(make_server):
    """One child answers 5,000 new origins (the answer cache fills to its bound), then
    15,000 more: its memory stays where it was. Unbounded, the 15,000 answers would add
    about 3 MiB."""
    one_child = "StartServers 1\nMinSpareServers 1\nMaxSpareServers 1\nServerLimit 1\nMaxRequestWorkers 1\n"
    body = ('DBDriver sqlite3\nDBDParams "${IT_STATE}/tenants.db"\n'
            'CORSOriginMap tenants "dbd:SELECT 1 FROM tenants WHERE origin = %s"\n'
            "CORSOriginMapCache 600\n" + one_child + scope("tenants").replace("CORSDebugHeader On", ""))
    srv = make_server(spec(body, "prefork", modules=("dbd",)), start=False)
    db = srv.state / "tenants.db"
    with sqlite3.connect(db) as c:
        c.execute("CREATE TABLE tenants (origin TEXT PRIMARY KEY)")
    db.chmod(0o644)
    srv.start()
    deadline = time.monotonic() + 120
    filled, after = child_rss_after(srv, 5000, 15000, deadline)
    assert filled > 0
    assert after - filled < 1024, f"the child grew from {filled} KiB to {after} KiB"
