"""Origin maps at SaaS scale (issue 22): the four reproductions against real servers.

1. a reload never runs inside a request (a map of 1,000,000 origins replaced under load:
   no request waits for the parse; the deadline is generous, 1 s, where today's main made
   one request wait for the whole parse, 1-6 s);
2. a child's memory stays flat over reloads (the old set is given back);
3. a copy that keeps inode, size and mtime (`cp -p`) is noticed within the cache time;
4. a FIFO swapped in for the file under load: every request answered, the last list kept.
"""
import os
import subprocess
import threading
import time
from pathlib import Path

import pytest

from harness import ONE_CHILD_EVENT, ServerSpec, child_rss_kib, http_request
from test_maps import CACHE, allowed, replace_file, scope, wait_until


def big_map(count: int, extra: str = "", tag: str = "o") -> str:
    return "".join(f"https://{tag}{i}.example\n" for i in range(count)) + extra


def map_server(make_server, text: str, mpm: str = "event", tuning: str = ONE_CHILD_EVENT):
    body = (f'CORSOriginMap partners "txt:${{IT_STATE}}/partners.txt"\nCORSOriginMapCache {CACHE}\n'
            + tuning + scope("partners"))
    srv = make_server(ServerSpec(mpm=mpm, php=None, body=body, files={"hello.txt": "hello\n"},
                                 log_level="warn cors:info", start_timeout=90), start=False)
    replace_file(srv.state / "partners.txt", text)
    return srv.start()


class Load:
    """`threads` clients asking about `origins` (origin -> expected answer, None: either)
    until stopped; each request's time and every wrong or missing answer recorded."""

    def __init__(self, srv, origins: dict, threads: int = 4, timeout: float = 10):
        self.srv, self.origins, self.timeout = srv, origins, timeout
        self.times, self.wrong, self.stop = [], [], threading.Event()
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(threads)]

    def run(self):
        for n in range(100000):  # bounded; stopped long before
            if self.stop.is_set():
                return
            origin, expected = list(self.origins.items())[n % len(self.origins)]
            t0 = time.monotonic()
            try:
                resp = http_request(self.srv.port, "GET", "/hello.txt", [("Origin", origin)], timeout=self.timeout)
            except Exception as exc:  # no answer within the timeout
                self.wrong.append(f"{origin}: no answer ({exc!r})")
                continue
            self.times.append(time.monotonic() - t0)
            got = resp.status == 200 and resp.all("Access-Control-Allow-Origin") == [origin]
            if expected is not None and got != expected:
                self.wrong.append(f"{origin}: {'allowed' if got else 'refused'} ({resp.status})")

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=self.timeout + 5)


def test_a_reload_of_a_million_origins_never_waits_in_a_request(make_server):
    srv = map_server(make_server, big_map(1_000_000, "https://a.example\n"))
    assert allowed(srv, "https://a.example")
    with Load(srv, {"https://a.example": True, "https://o999.example": True,
                    "https://stranger.example": False, "https://new.example": None}) as load:
        time.sleep(0.5)
        replace_file(srv.state / "partners.txt", big_map(1_000_000, "https://a.example\nhttps://new.example\n"))
        assert wait_until(lambda: allowed(srv, "https://new.example"), timeout=60), "the new list never showed"
        time.sleep(0.5)
    assert not load.wrong, load.wrong[:10]
    assert len(load.times) > 50
    slowest = max(load.times)
    # A generous deadline, 1 s (the target, p99.9 <= 50 ms, is measured in make bench):
    # today's main makes one request wait for the whole parse, 1-6 s.
    assert slowest < 1.0, f"a request waited {slowest:.3f} s while the map was reloaded"


def test_memory_stays_flat_over_reloads(make_server):
    """20 reloads of a 200,000-origin map under the event MPM with 25 threads, while
    clients ask: the child's memory after the last is within 5 % (+ 2 MiB) of after the
    second. Building each new set on another thread's malloc arena, or keeping the old
    set, grows it by the size of a set per reload."""
    srv = map_server(make_server, big_map(200_000, "https://v0.example\n"))
    rss = []
    with Load(srv, {"https://o1.example": True, "https://stranger.example": False}, threads=6):
        for i in range(1, 21):
            replace_file(srv.state / "partners.txt", big_map(200_000, f"https://v{i}.example\n", tag=f"r{i}x"))
            assert wait_until(lambda: allowed(srv, f"https://v{i}.example"), timeout=30), f"reload {i} not seen"
            rss.append(child_rss_kib(srv.proc.pid))
    base, last = rss[1], rss[-1]
    assert last <= base * 1.05 + 2048, f"the child grew from {base} KiB to {last} KiB over 20 reloads: {rss}"


def test_a_copy_keeping_inode_size_and_mtime_is_noticed(make_server):
    """`cp -p` of a same-size file with the same mtime over the map: the removed partner
    goes within the cache time."""
    srv = map_server(make_server, "https://x1.example\n")
    path = srv.state / "partners.txt"
    assert allowed(srv, "https://x1.example") and not allowed(srv, "https://y1.example")
    time.sleep(CACHE + 3.5)  # the file is old enough that nothing reads it again unasked
    other = srv.state / "other.txt"
    other.write_text("https://y1.example\n")  # the same size
    st = path.stat()
    os.utime(other, ns=(st.st_atime_ns, st.st_mtime_ns))
    inode = st.st_ino
    subprocess.run(["cp", "-p", str(other), str(path)], check=True, timeout=10)
    after = path.stat()
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (inode, st.st_size, st.st_mtime_ns)
    assert wait_until(lambda: allowed(srv, "https://y1.example"), timeout=CACHE + 2), \
        "a copy with the same inode, size and mtime was not noticed"
    assert not allowed(srv, "https://x1.example")


class FifoSwap:
    """The map's path `link` made a symbolic link, switched (a new link renamed over it, as
    `ln -sfn` does) between `regular` and a FIFO as fast as it goes while `swapping()` runs,
    then left on the FIFO. Used as a context manager: at the end a writer opens the FIFO, which
    lets go a reader blocked in its open (today's main, now and then)."""

    def __init__(self, link: Path, regular: Path):
        self.link, self.regular = link, regular
        self.fifo = link.with_name(link.name + ".fifo")
        self.tmp_link = link.with_name(link.name + ".tmp")
        os.mkfifo(self.fifo, 0o644)
        self.stop = threading.Event()
        self.point(regular)

    def point(self, target: Path):
        if self.tmp_link.is_symlink():
            self.tmp_link.unlink()
        self.tmp_link.symlink_to(target)
        os.replace(self.tmp_link, self.link)

    def swapping(self, seconds: float):
        def swapper():
            for n in range(2_000_000):  # bounded; stopped long before
                if self.stop.is_set():
                    return
                self.point(self.fifo if n % 2 else self.regular)

        thread = threading.Thread(target=swapper, daemon=True)
        thread.start()
        time.sleep(seconds)
        self.stop.set()
        thread.join(timeout=10)
        self.point(self.fifo)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop.set()
        try:
            fd = os.open(self.fifo, os.O_WRONLY | os.O_NONBLOCK)
            os.close(fd)
        except OSError:
            pass


@pytest.mark.expect_log("CORS00203")  # the FIFO: "is not a regular file; keeping the list read before"
def test_a_fifo_swapped_in_under_load_keeps_the_last_list(make_server):
    """The map's path switched between a regular file and a FIFO as fast as it goes while
    clients ask: every request is answered, the list read before stays, the error is logged;
    the file back, it is read again."""
    srv = map_server(make_server, "https://a.example\n")
    regular = srv.state / "list.txt"
    regular.write_text("https://a.example\n")
    with FifoSwap(srv.state / "partners.txt", regular) as swap:
        with Load(srv, {"https://a.example": True, "https://b.example": False}, threads=4, timeout=5) as load:
            swap.swapping(3 * CACHE + 1.5)
            time.sleep(CACHE + 1)
        assert not load.wrong, load.wrong[:10]
        assert len(load.times) > 20
        assert wait_until(lambda: "is not a regular file" in srv.error_log()), srv.error_log()[-2000:]
        regular.write_text("https://b.example\n")
        swap.point(regular)
        assert wait_until(lambda: allowed(srv, "https://b.example")), "the file back was not read again"
