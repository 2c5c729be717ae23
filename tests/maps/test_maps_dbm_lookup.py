"""A dbm: map of more than 100,000 keys is looked up in the file per origin (as RewriteMap
does), not read into every child's memory (issue 22, docs/origin-maps.md "Sizes"):
the answers are those of the same keys read whole (keys written in any case or with the
default port included), a child holds next to nothing for it, a change shows within the
cache time, requests under load (every one asking the file) are answered right, and a
FIFO swapped in for the file keeps the file read before."""
import os
import time
from pathlib import Path

import pytest

from harness import ONE_CHILD_EVENT, ServerSpec, child_rss_kib
from test_maps import CACHE, allowed, httxt2dbm, scope, wait_until
from test_maps_scale import FifoSwap, Load

LOOKUP_ABOVE = 100_000  # origin_maps.cpp kDbmLookupAbove
LOOKED_UP = "looked up in the file"


def keys(count: int, tag: str = "k") -> list[str]:
    return [f"https://{tag}{i}.example" for i in range(count)]


def build_dbm(folder: Path, origins: list[str], fmt: str, name: str = "partners.map") -> None:
    """httxt2dbm's file of `origins` built aside and renamed into `folder` (both SDBM files)."""
    work = folder / "build"
    work.mkdir(exist_ok=True)
    src = work / "partners.kv"
    src.write_text("".join(f"{o} 1\n" for o in origins))
    httxt2dbm(src, work / name, fmt)
    src.unlink()
    for p in work.iterdir():
        p.chmod(0o644)
        os.replace(p, folder / p.name)


def dbm_server(make_server, origins: list[str], fmt: str = "DB", type_: str = "db", cache: int = CACHE):
    body = (f'CORSOriginMap partners "dbm={type_}:${{IT_STATE}}/partners.map"\nCORSOriginMapCache {cache}\n'
            + ONE_CHILD_EVENT + scope("partners"))
    srv = make_server(ServerSpec(mpm="event", php=None, body=body, files={"hello.txt": "hello\n"},
                                 log_level="warn cors:info", start_timeout=90), start=False)
    build_dbm(srv.state, origins, fmt)
    return srv.start()


ODD = ["HTTPS://Upper.Example:443", "https://Port.Example:8443", "https://bad.example/"]


@pytest.mark.expect_log("CORS00201")  # the invalid key, skipped
@pytest.mark.parametrize("fmt, type_", [("SDBM", "sdbm"), ("DB", "db")])
def test_a_large_dbm_is_looked_up_with_the_answers_of_the_whole_list(make_server, fmt, type_):
    srv = dbm_server(make_server, keys(LOOKUP_ABOVE + 50_000) + ODD, fmt, type_)
    log = srv.error_log()
    assert LOOKED_UP in log and "2 not written normalised" in log, log[-2000:]
    assert "https://bad.example/" in log and "skipped" in log
    for origin in ("https://k0.example", "https://k149999.example", "https://upper.example",
                   "https://UPPER.example:443", "https://port.example:8443"):
        assert allowed(srv, origin), origin
    for origin in ("https://k150000.example", "https://bad.example", "https://port.example",
                   "http://k0.example", "https://k0.example:444"):
        assert not allowed(srv, origin), origin


def test_a_looked_up_dbm_costs_a_child_next_to_nothing(make_server):
    """300,000 origins: a child holds about 13 MB more when it reads them into a set (43
    bytes per origin); looked up in the file, less than 4 MiB more than with a map of 10."""
    small = dbm_server(make_server, keys(10))
    assert allowed(small, "https://k1.example")
    base = child_rss_kib(small.proc.pid)
    big = dbm_server(make_server, keys(300_000))
    for i in range(0, 300_000, 30_000):
        assert allowed(big, f"https://k{i}.example")
    grown = child_rss_kib(big.proc.pid) - base
    assert grown < 4096, f"the child holds {grown} KiB more with 300,000 origins than with 10"
    assert LOOKED_UP in big.error_log()


def test_a_change_to_a_looked_up_dbm_shows_within_the_cache_time(make_server):
    """Rebuilt aside and renamed over (what a deploy does): a partner removed goes and one
    added comes within the cache time, answers cached before the change included; a list
    that shrinks to 10 keys is read whole, and grows back to be looked up again."""
    srv = dbm_server(make_server, keys(LOOKUP_ABOVE + 10) + ["https://gone.example"])
    assert LOOKED_UP in srv.error_log()
    assert allowed(srv, "https://gone.example") and not allowed(srv, "https://new.example")
    build_dbm(srv.state, keys(LOOKUP_ABOVE + 10) + ["https://new.example"], "DB")
    assert wait_until(lambda: allowed(srv, "https://new.example")), "the added partner never came"
    assert not allowed(srv, "https://gone.example")
    build_dbm(srv.state, keys(10, tag="small"), "DB")
    assert wait_until(lambda: allowed(srv, "https://small3.example")), "the small list never came"
    assert not allowed(srv, "https://new.example") and not allowed(srv, "https://k5.example")
    build_dbm(srv.state, keys(LOOKUP_ABOVE + 10, tag="again"), "DB")
    assert wait_until(lambda: allowed(srv, "https://again7.example")), "the large list never came back"
    assert not allowed(srv, "https://small3.example")
    assert srv.error_log().count(LOOKED_UP) >= 2


def test_every_request_asking_the_file_under_load_is_answered_right(make_server):
    """CORSOriginMapCache 0: each of the 25 threads' requests looks its origin up in the file
    (one handle per child, shared under a lock): 8 clients, listed and unlisted origins."""
    srv = dbm_server(make_server, keys(LOOKUP_ABOVE + 10), cache=0)
    assert LOOKED_UP in srv.error_log()
    origins = {f"https://k{i * 997}.example": True for i in range(40)}
    origins.update({f"https://z{i}.example": False for i in range(40)})
    with Load(srv, origins, threads=8, timeout=10) as load:
        time.sleep(4)
    assert not load.wrong, load.wrong[:10]
    assert len(load.times) > 200


@pytest.mark.expect_log("CORS00203")  # the FIFO: "is not a regular file; keeping the list read before"
@pytest.mark.parametrize("count", [10, LOOKUP_ABOVE + 10], ids=["read-whole", "looked-up"])
def test_a_fifo_swapped_in_for_a_dbm_keeps_the_file_read_before(make_server, count):
    """The path switched between the file and a FIFO as fast as it goes while clients ask:
    apr_dbm, which opens files by name, is never handed the FIFO (its open would block the
    reloading thread for good: today's main, now and then), every request is answered, and
    the file back is read again."""
    srv = dbm_server(make_server, keys(count) + ["https://a.example"])
    assert (LOOKED_UP in srv.error_log()) == (count > LOOKUP_ABOVE)
    real = srv.state / "real.map"
    os.replace(srv.state / "partners.map", real)
    with FifoSwap(srv.state / "partners.map", real) as swap:
        with Load(srv, {"https://a.example": True, "https://b.example": False}, threads=4, timeout=5) as load:
            swap.swapping(3 * CACHE + 1.5)
            time.sleep(CACHE + 1)
        assert not load.wrong, load.wrong[:10]
        assert wait_until(lambda: "is not a regular file" in srv.error_log()), srv.error_log()[-2000:]
        build_dbm(srv.state, keys(count) + ["https://b.example"], "DB", name="real.map")
        swap.point(real)
        assert wait_until(lambda: allowed(srv, "https://b.example")), "the file back was not read again"
