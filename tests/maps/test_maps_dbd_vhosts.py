"""dbd: maps and virtual hosts (issue 20): an answer is reused only where the query would run
on the same database, and a broken database costs no memory beyond the request.

- a map defined in the main server, used by two virtual hosts with DBDParams of their own
  (SQLite files, and two databases of one PostgreSQL cluster): each host answers from its
  own database, in either order;
- a map of the same name defined inside each virtual host;
- the same origin asked three times within the cache time while the database is broken:
  every answer refused as "origin map unavailable" (a failed query never caches an answer);
- a child's memory flat over a bounded run with the database broken;
- a prefork child stopped while it sends an answer the map allowed exits without a crash.
"""
import socket
import sqlite3
import time

import pytest

from harness import ServerSpec, assert_allowed, assert_refused
from test_maps import STATIC, child_rss_after, started_postgres

ONLY_A, ONLY_B, BOTH = "https://only-a.example", "https://only-b.example", "https://both.example"
QUERY = "dbd:SELECT 1 FROM tenants WHERE origin = %s"


def policy() -> str:
    return f"""<Location "/">
        CORSEngine On
        CORSAllowOrigin {STATIC}
        CORSAllowOriginMap tenants
        CORSDebugHeader On
    </Location>"""


def vhost(name: str, params: str, own_map: bool = False) -> str:
    own = f'    CORSOriginMap tenants "{QUERY}"\n' if own_map else ""
    return f"""<VirtualHost 127.0.0.1:${{IT_PORT}}>
    ServerName {name}
    DBDParams "{params}"
{own}    {policy()}
</VirtualHost>
"""


def sqlite_db(path, origins) -> None:
    with sqlite3.connect(path) as c:
        c.execute("CREATE TABLE tenants (origin TEXT PRIMARY KEY)")
        c.executemany("INSERT INTO tenants VALUES (?)", [(o,) for o in origins])
    path.chmod(0o644)


def ask(srv, host: str, origin: str) -> bool:
    resp = srv.get("/hello.txt", origin, host=host)
    if resp.status == 200 and resp.all("Access-Control-Allow-Origin") == [origin]:
        return True
    assert_refused(resp)
    return False


def two_hosts(make_server, driver: str, params_a: str, params_b: str, map_in_main: bool, mpm: str = "event",
              make_dbs=None):
    main_map = f'CORSOriginMap tenants "{QUERY}"\n' if map_in_main else ""
    body = (f'DBDriver {driver}\nDBDParams "{params_a}"\n' + main_map + "CORSOriginMapCache 60\n"
            + vhost("a.test", params_a, not map_in_main) + vhost("b.test", params_b, not map_in_main))
    srv = make_server(ServerSpec(mpm=mpm, php=None, body=body, modules=("dbd",), files={"hello.txt": "hello\n"},
                                 log_level="warn cors:info"), start=False)
    if make_dbs:
        make_dbs(srv)
    return srv.start()


def check_no_crossing(srv) -> None:
    # a's partner on a, then on b; b's partner on b, then on a: each host its own answer
    assert ask(srv, "a.test", ONLY_A)
    assert not ask(srv, "b.test", ONLY_A), "a.test's answer was served on b.test"
    assert ask(srv, "b.test", ONLY_B)
    assert not ask(srv, "a.test", ONLY_B), "b.test's answer was served on a.test"
    for _ in range(3):  # cached answers, asked again in both orders
        assert ask(srv, "a.test", ONLY_A) and not ask(srv, "b.test", ONLY_A)
        assert not ask(srv, "a.test", ONLY_B) and ask(srv, "b.test", ONLY_B)
        assert ask(srv, "a.test", BOTH) and ask(srv, "b.test", BOTH)


def sqlite_dbs(srv) -> None:
    sqlite_db(srv.state / "a.db", [ONLY_A, BOTH])
    sqlite_db(srv.state / "b.db", [ONLY_B, BOTH])


@pytest.mark.parametrize("map_in_main", [True, False], ids=["map-in-main-server", "map-in-each-vhost"])
@pytest.mark.parametrize("mpm", ["prefork", "event"])
def test_sqlite_answers_never_cross_virtual_hosts(make_server, map_in_main, mpm):
    srv = two_hosts(make_server, "sqlite3", "${IT_STATE}/a.db", "${IT_STATE}/b.db", map_in_main, mpm,
                    make_dbs=sqlite_dbs)
    check_no_crossing(srv)


@pytest.fixture
def postgres_two_dbs():
    with started_postgres() as cluster:
        for db, origins in (("brand_a", [ONLY_A, BOTH]), ("brand_b", [ONLY_B, BOTH])):
            cluster.sql(f"CREATE DATABASE {db}", db="postgres")
            cluster.sql("CREATE TABLE tenants (origin text PRIMARY KEY)", db=db)
            for o in origins:
                cluster.sql(f"INSERT INTO tenants VALUES ('{o}')", db=db)
        yield cluster


@pytest.mark.parametrize("map_in_main", [True, False], ids=["map-in-main-server", "map-in-each-vhost"])
def test_postgres_per_vhost_dbdparams_answers_never_cross(make_server, postgres_two_dbs, map_in_main):
    pg = postgres_two_dbs

    def params(db):
        return f"host={pg.socket_dir} dbname={db} user=postgres connect_timeout=3"

    srv = two_hosts(make_server, "pgsql", params("brand_a"), params("brand_b"), map_in_main)
    check_no_crossing(srv)


def broken_server(make_server, cache: int = 60, extra: str = "", mpm: str = "prefork"):
    body = ('DBDriver sqlite3\nDBDParams "${IT_STATE}/tenants.db"\n'
            f'CORSOriginMap tenants "{QUERY}"\nCORSOriginMapCache {cache}\n' + extra + policy())
    srv = make_server(ServerSpec(mpm=mpm, php=None, body=body, modules=("dbd",),
                                 files={"hello.txt": "hello\n"}, log_level="warn cors:info"), start=False)
    sqlite_db(srv.state / "tenants.db", [ONLY_A])
    return srv.start(), srv.state / "tenants.db"


# query failed; a prefork child started while the table is gone: mod_dbd cannot prepare its statements
# (child init fails, AH00632/AH00633/AH00636, and again at each request until the table is back)
@pytest.mark.expect_log("CORS00205", "CORS00207", "AH00632", "AH00633", "AH00636", "AH02655")
def test_a_failed_query_never_caches_an_answer(make_server):
    """Asked three times within the cache time while the table is gone: every answer is a
    403 naming the map as unavailable (a failure that cached "allowed" or "not listed"
    would show on the second question). Prefork, with children started while the table
    is gone (mod_dbd's child init fails in them, and it is retried at each request), then
    the table back: answers as before, and no child crashes when the server stops (the
    module held the connection until the end of the request, and a child stopped while it
    sent an answer aborted at exit in apr_reslist's cleanup: issue 22)."""
    more_children = "StartServers 1\nMinSpareServers 3\nMaxSpareServers 4\n"
    srv, db = broken_server(make_server, extra=more_children)
    with sqlite3.connect(db) as c:
        c.execute("DROP TABLE tenants")
    deadline = time.monotonic() + 10  # prefork starts 1, then 2 a second later
    while srv.error_log().count("AH00636") < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert srv.error_log().count("AH00636") >= 3, "prefork did not start 3 children while the table was gone"
    for origin in (ONLY_A, "https://never-listed.example"):
        for _ in range(3):
            resp = srv.get("/hello.txt", origin)
            assert_refused(resp)
            assert resp.get("CORS-Reason") == "origin map unavailable: tenants", resp
    # the table back: answers as before, nothing remembered from the failures
    with sqlite3.connect(db) as c:
        c.execute("CREATE TABLE tenants (origin TEXT PRIMARY KEY)")
        c.execute(f"INSERT INTO tenants VALUES ('{ONLY_A}')")
    for _ in range(2):  # on more than one child
        assert_allowed(srv.get("/hello.txt", ONLY_A), ONLY_A)
        resp = srv.get("/hello.txt", "https://never-listed.example")
        assert_refused(resp)
        assert resp.get("CORS-Reason") == "origin not allowed", resp


def test_a_child_stopped_while_it_answers_exits_cleanly(make_server):
    """A prefork child is stopped (SIGTERM) while it sends a large file to a client that
    does not read, after the dbd: map answered for the request's origin: it exits without a
    crash. The module held its mod_dbd connection until the request's end, and prefork ends
    a child from the signal handler, destroying mod_dbd's connection pool before the
    request: apr_reslist's assertion aborted the child, every time (issue 22)."""
    srv, _ = broken_server(make_server, cache=0)
    big = srv.htdocs / "big.bin"
    big.write_bytes(b"x" * (16 << 20))  # more than the sockets hold: the child blocks in its write
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.sendall(f"GET /big.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: {ONLY_A}\r\n\r\n".encode())
        head = s.recv(4096)
        assert head.startswith(b"HTTP/1.1 200") and f"Access-Control-Allow-Origin: {ONLY_A}".encode() in head, head
        time.sleep(0.3)  # the child is in its write now, the request (and formerly the connection) still out
        srv.stop(remove=False)  # the crash check reads the error log (AH00052 ... exit signal)


@pytest.mark.expect_log("CORS00207", "AH00161", "AH00632", "AH00633", "AH00636")  # as above; one child on purpose
def test_memory_stays_flat_while_the_database_is_broken(make_server):
    """One prefork child, the table dropped, then 2 x 12,000 requests from origins no static
    rule allows (each one a failing query): the child's memory after the second batch is
    within 256 KiB of after the first. Today's main re-prepared the statement into the
    connection's pool on every request: about 60 KiB per 1,000 requests."""
    one_child = "StartServers 1\nMinSpareServers 1\nMaxSpareServers 1\nServerLimit 1\nMaxRequestWorkers 1\n"
    srv, db = broken_server(make_server, extra=one_child)
    with sqlite3.connect(db) as c:
        c.execute("DROP TABLE tenants")
    deadline = time.monotonic() + 150
    first, second = child_rss_after(srv, 12000, 12000, deadline)
    assert first > 0
    assert second - first < 256, f"the child grew from {first} KiB to {second} KiB with the database broken"
