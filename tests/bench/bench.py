#!/usr/bin/env python3
"""mod_cors benchmarks: the helpers of tests/bench/run.sh.

    bench.py engine-ir ENGINE_BENCH OUT.json    part 1: instructions per decision (callgrind)
    bench.py callgrind BUILD_DIR OUT.json       part 2: httpd instructions per request
    bench.py wrk BUILD_DIR OUT.json             part 3: requests/s and latency
    bench.py report BUILD_DIR                   the table, from BUILD_DIR/bench/*.json

Part 1's timings come from Google Benchmark (engine_bench.cpp) directly.

Every httpd is started through the one test harness (tests/lib/harness.py: ServerSpec,
Httpd): the system's apache2 with the prefork MPM, run as www-data from a throw-away
directory, on a free 127.0.0.1 port, in a process group of its own that is stopped
before we return, its error log checked for crashed children. Configurations (CONFIGS;
one entry each, the tables read it):

  (a) none     no CORS at all
  (e) headers  mod_headers writing the same three headers as constants, no decision
  (b) recipe   the usual mod_setenvif + mod_headers + mod_rewrite recipe, same policy
  (c) cors     mod_cors, same policy
  (d)          the application answers CORS itself (app_cors.php, the seed's code):
               served by the `none` server, only the URL differs

The policy everywhere: origin https://app.partner.example; methods GET POST PUT
DELETE; headers Content-Type X-Requested-With Authorization; exposed X-Request-Id;
max-age 600.
"""
from __future__ import annotations

import argparse
import functools
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(REPO / "tests" / "lib"))
import harness  # noqa: E402  (the one test harness)

APP = HERE / "app"
APACHE2 = harness.APACHE2
RUN_USER = harness.RUN_USER
PARTNER = "https://app.partner.example"
EXPOSED = "X-Request-Id"
KEEP = os.environ.get("BENCH_KEEP") == "1"

START_TIMEOUT = 30
CALLGRIND_START_TIMEOUT = 180
CALLGRIND_STOP_TIMEOUT = 120

# What a browser sends with a cross-origin fetch(), minus cookies.
BROWSER_HEADERS = [
    ("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"),
    ("Accept", "*/*"),
    ("Accept-Language", "en-GB,en;q=0.5"),
    ("Accept-Encoding", "gzip, deflate, br"),
    ("Referer", PARTNER + "/dashboard"),
    ("Origin", PARTNER),
    ("Sec-Fetch-Dest", "empty"),
    ("Sec-Fetch-Mode", "cors"),
    ("Sec-Fetch-Site", "cross-site"),
]
PREFLIGHT_HEADERS = [
    ("Access-Control-Request-Method", "PUT"),
    ("Access-Control-Request-Headers", "content-type,x-requested-with,authorization"),
]

# Workloads: method, path, extra headers, and what each configuration must answer.
WORKLOADS = {
    "static": dict(method="GET", path="/static.txt", headers=[], status=200),
    "php": dict(method="GET", path="/app.php", headers=[], status=200),
    "preflight": dict(method="OPTIONS", path="/app.php", headers=PREFLIGHT_HEADERS, status=204),
}

# ------------------------------------------------------------------ configuration

POLICY_CORS = """
CORSEngine On
CORSAllowOrigin https://app.partner.example
CORSAllowMethods GET POST PUT DELETE
CORSAllowHeaders Content-Type X-Requested-With Authorization
CORSExposeHeaders X-Request-Id
CORSMaxAge 600
"""

# What httpd costs writing the headers of an allowed actual request as constants:
# no decision at all (every response gets them, whatever its Origin).
POLICY_HEADERS = """
Header always set Access-Control-Allow-Origin "https://app.partner.example"
Header always set Access-Control-Expose-Headers "X-Request-Id"
Header always merge Vary Origin
"""

# The recipe found in most answers, for the same policy. SetEnvIf in the server
# context runs once per request (post_read_request), before mod_rewrite's
# server-context rules (translate_name), which answer the preflight with 204.
POLICY_RECIPE = r"""
SetEnvIf Origin "^(https://app\.partner\.example)$" CORS_ORIGIN=$1
SetEnvIfExpr "%{REQUEST_METHOD} == 'OPTIONS' && -n reqenv('CORS_ORIGIN')" CORS_PREFLIGHT=1
Header always set Access-Control-Allow-Origin "%{CORS_ORIGIN}e" env=CORS_ORIGIN
Header always set Access-Control-Expose-Headers "X-Request-Id" env=CORS_ORIGIN
Header always merge Vary Origin
Header always set Access-Control-Allow-Methods "GET, POST, PUT, DELETE" env=CORS_PREFLIGHT
Header always set Access-Control-Allow-Headers "Content-Type, X-Requested-With, Authorization" env=CORS_PREFLIGHT
Header always set Access-Control-Max-Age "600" env=CORS_PREFLIGHT
RewriteEngine On
RewriteCond %{REQUEST_METHOD} =OPTIONS
RewriteCond %{ENV:CORS_PREFLIGHT} =1
RewriteRule ^ - [R=204,L]
"""


# The same policy with the partner in an origin map instead (issue 16): a txt: file of N
# origins, or a dbd: query on SQLite answered from the per-process cache after a warm-up.
# The static list names another origin, so the map is asked.
POLICY_MAPPED = POLICY_CORS.replace("CORSAllowOrigin https://app.partner.example",
                                    "CORSAllowOrigin https://static.partner.example\nCORSAllowOriginMap partners")


def txt_map(count: int) -> str:
    """A partners file of `count` origins, the bench's partner among them."""
    lines = [f"https://t{i}.partner.example" for i in range(count - 1)] + ["https://app.partner.example"]
    return "\n".join(lines) + "\n"


TXT_MAP_BODY = 'CORSOriginMap partners "txt:${IT_HTDOCS}/partners-%d.txt"\nCORSOriginMapCache 3600\n'
# A dbm: file of more than 100,000 keys is looked up in the file (origin_maps.cpp kDbmLookupAbove).
DBM_MAP_BODY = 'CORSOriginMap partners "dbm=db:${IT_HTDOCS}/partners-%d.map"\nCORSOriginMapCache %d\n'
DBM_LOOKED_UP = 200000


@functools.lru_cache(maxsize=2)
def dbm_map(count: int) -> bytes:
    """A Berkeley DB file of `count` origins built by httxt2dbm, the bench's partner among them
    (built once per size: every server start of a configuration writes the same file)."""
    with tempfile.TemporaryDirectory() as d:
        src, out = Path(d) / "partners.kv", Path(d) / "partners.map"
        src.write_text("".join(f"{o} 1\n" for o in txt_map(count).split()))
        subprocess.run(["httxt2dbm", "-f", "DB", "-i", str(src), "-o", str(out)], check=True,
                       capture_output=True, timeout=300)
        return out.read_bytes()


DBD_MAP_BODY = """DBDriver sqlite3
DBDParams "${IT_HTDOCS}/tenants.db"
CORSOriginMap partners "dbd:SELECT 1 FROM tenants WHERE origin = %s"
CORSOriginMapCache 3600
"""
# mod_status loaded (issue 17): the counters are kept; extended status off, as by default
# without mod_status, so that only the counters differ.
STATUS_BODY = """ExtendedStatus Off
<Location /server-status>
    SetHandler server-status
</Location>
"""


def tenants_db() -> bytes:
    """An SQLite database with one table tenants(origin) listing the partner."""
    import sqlite3
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "tenants.db"
        con = sqlite3.connect(path)
        con.execute("CREATE TABLE tenants (origin TEXT PRIMARY KEY)")
        con.execute("INSERT INTO tenants VALUES (?)", (PARTNER,))
        con.commit()
        con.close()
        return path.read_bytes()


@dataclass(frozen=True)
class Config:
    """One configuration measured: its label in the tables, the modules it adds, the
    configuration text it adds, the module files whose hooks are counted as its own,
    and whether it answers a preflight (else its preflight answer is not checked)."""
    letter: str
    label: str
    modules: tuple = ()
    body: str = ""
    load_cors: bool = False
    cost_modules: tuple = ()
    preflights: bool = True
    files: tuple = ()  # (htdocs-relative name, a function giving its text or bytes)


# Add a configuration here (and to CALLGRIND_CASES / WRK_CASES): the tables follow.
CONFIGS = {
    "none": Config("a", "(a) no CORS", preflights=False),
    "headers": Config("e", "(e) mod_headers, constants", ("headers",), POLICY_HEADERS,
                      cost_modules=("mod_headers.so",), preflights=False),
    "recipe": Config("b", "(b) recipe", ("setenvif", "headers", "rewrite"), POLICY_RECIPE,
                     cost_modules=("mod_setenvif.so", "mod_headers.so", "mod_rewrite.so")),
    "cors": Config("c", "(c) mod_cors", (), POLICY_CORS, load_cors=True, cost_modules=("mod_cors.so",)),
    # variants of (c), for the origin maps and the counters (the "variants" table)
    "map10": Config("m", "(m) mod_cors, txt: map of 10", (), TXT_MAP_BODY % 10 + POLICY_MAPPED,
                    load_cors=True, cost_modules=("mod_cors.so",), files=(("partners-10.txt", lambda: txt_map(10)),)),
    "map100k": Config("n", "(n) mod_cors, txt: map of 100,000", (), TXT_MAP_BODY % 100000 + POLICY_MAPPED,
                      load_cors=True, cost_modules=("mod_cors.so",),
                      files=(("partners-100000.txt", lambda: txt_map(100000)),)),
    "map1m": Config("r", "(r) mod_cors, txt: map of 1,000,000", (), TXT_MAP_BODY % 1000000 + POLICY_MAPPED,
                    load_cors=True, cost_modules=("mod_cors.so",),
                    files=(("partners-1000000.txt", lambda: txt_map(1000000)),)),
    "mapdbd": Config("q", "(q) mod_cors, dbd: map on SQLite, cached", ("dbd",), DBD_MAP_BODY + POLICY_MAPPED,
                     load_cors=True, cost_modules=("mod_cors.so",), files=(("tenants.db", tenants_db),)),
    "mapdbm": Config("k", "(k) mod_cors, dbm: map of 200,000 looked up in the file, cached", (),
                     DBM_MAP_BODY % (DBM_LOOKED_UP, 3600) + POLICY_MAPPED, load_cors=True, cost_modules=("mod_cors.so",),
                     files=((f"partners-{DBM_LOOKED_UP}.map", lambda: dbm_map(DBM_LOOKED_UP)),)),
    "mapdbm0": Config("u", "(u) mod_cors, the same dbm: map asked every time (CORSOriginMapCache 0)", (),
                      DBM_MAP_BODY % (DBM_LOOKED_UP, 0) + POLICY_MAPPED, load_cors=True,
                      cost_modules=("mod_cors.so",),
                      files=((f"partners-{DBM_LOOKED_UP}.map", lambda: dbm_map(DBM_LOOKED_UP)),)),
    "status": Config("s", "(s) mod_cors, mod_status loaded", ("status",), STATUS_BODY + POLICY_CORS,
                     load_cors=True, cost_modules=("mod_cors.so",)),
    # (c) with the decision exported as environment variables too (PHP copies them into $_SERVER)
    "exportenv": Config("v", "(v) mod_cors, CORSExportEnv On", (), POLICY_CORS + "CORSExportEnv On\n",
                        load_cors=True, cost_modules=("mod_cors.so",)),
}
BY_LETTER = {c.letter: name for name, c in CONFIGS.items()}

# Modules of every configuration: as few as serve a static file and a PHP script.
BENCH_BASE_MODULES = ("authz_core", "mime")


def keepalive_body(procs: int) -> str:
    return f"""KeepAlive On
MaxKeepAliveRequests 0
KeepAliveTimeout 60
Timeout 120
StartServers {procs}
MinSpareServers {procs}
MaxSpareServers {procs}
ServerLimit {procs}
MaxRequestWorkers {procs}
MaxConnectionsPerChild 0"""


def server_spec(mode: str | Config, php: bool, procs: int = 1, command_prefix: tuple = (),
                single_process: bool = False) -> harness.ServerSpec:
    """The harness's ServerSpec of a configuration (a CONFIGS name, or a Config): the test
    app of tests/bench/app at the document root, mod_php or not, no access log, LogLevel warn."""
    cfg = CONFIGS[mode] if isinstance(mode, str) else mode
    return harness.ServerSpec(
        mpm="prefork", php="mod_php" if php else None, base_modules=BENCH_BASE_MODULES,
        modules=cfg.modules, load_cors=cfg.load_cors, log_level="warn", access_log=False,
        app_dirs=(), files={**{f.name: f.read_text() for f in sorted(APP.iterdir())},
                            **{name: make() for name, make in cfg.files}}, users={},
        body=f"# mod_cors benchmark: {cfg.label}\n" + keepalive_body(procs) + "\n" + cfg.body,
        command_prefix=command_prefix, single_process=single_process,
        start_timeout=CALLGRIND_START_TIMEOUT if command_prefix else START_TIMEOUT,
        stop_timeout=CALLGRIND_STOP_TIMEOUT if command_prefix else harness.STOP_TIMEOUT)


def started(spec: harness.ServerSpec) -> harness.Httpd:
    """An Httpd for `spec`, its configuration checked (`apache2 -t`), running."""
    srv = harness.Httpd(spec)
    done = srv.config_test()
    if done.returncode != 0:
        srv.stop()
        raise RuntimeError(f"apache2 -t failed for {srv.conf}:\n{done.output}")
    return srv.start()


def stopped(srv: harness.Httpd) -> None:
    """Stops `srv` (with its process group); fails the part when its error log shows a crash."""
    srv.stop(remove=not KEEP)
    crashes = harness.take_crash_reports()
    if crashes:
        raise RuntimeError("httpd crashed:\n" + "\n".join(crashes))


def request(workload: str, port: int, path: str | None = None, count: int = 1,
            timeout: float = 30) -> harness.Response:
    """`count` requests of a workload on one keep-alive connection; the last response."""
    w = WORKLOADS[workload]
    return harness.keepalive_requests(port, w["method"], path or w["path"], BROWSER_HEADERS + w["headers"],
                                      count, timeout)


def check_answer(mode: str, workload: str, answer: harness.Response, php_app: bool = False) -> None:
    """The configuration does what it claims: a benchmark of a wrong answer is worthless."""
    cfg = CONFIGS[mode]
    cors_on = cfg.load_cors or bool(cfg.body) or php_app
    answers_preflight = cfg.preflights or php_app
    want = WORKLOADS[workload]["status"]
    if workload == "preflight" and not answers_preflight:
        want = None  # core answers OPTIONS (200 + Allow); not a preflight answer
    problems = []
    if want is not None and answer.status != want:
        problems.append(f"status {answer.status}, expected {want}")
    acao = answer.all("Access-Control-Allow-Origin")
    if cors_on and acao != [PARTNER]:
        problems.append(f"Access-Control-Allow-Origin {acao}, expected ['{PARTNER}']")
    if not cors_on and acao:
        problems.append(f"unexpected Access-Control-Allow-Origin {acao}")
    if cors_on and workload != "preflight" and not php_app and answer.all("Access-Control-Expose-Headers") != [EXPOSED]:
        problems.append(f"Access-Control-Expose-Headers {answer.all('Access-Control-Expose-Headers')}, "
                        f"expected ['{EXPOSED}']")
    if cors_on and workload == "preflight" and answers_preflight and not answer.has("Access-Control-Allow-Methods"):
        problems.append("no Access-Control-Allow-Methods on the preflight answer")
    if problems:
        raise RuntimeError(f"{mode}/{workload}{' (PHP answers CORS)' if php_app else ''}: " + "; ".join(problems)
                           + f"\n{answer}")


def make_outdir() -> Path:
    """A directory www-data may write to (callgrind writes its profile after httpd drops root)."""
    out = Path(tempfile.mkdtemp(prefix="mod_cors_bench."))
    out.chmod(0o1777)
    return out


# ------------------------------------------------------------------ part 2: callgrind

_RECURSION = re.compile(r"'\d+$")  # callgrind's "fn'2" for a recursion level


def parse_callgrind(path: Path) -> dict:
    """Total Ir, self Ir per (object, function) and call edges with inclusive Ir.

    Needs --compress-strings=no --compress-pos=no."""
    total = None
    self_cost: dict[tuple[str, str], int] = defaultdict(int)
    edges: dict[tuple[str, str, str, str], int] = defaultdict(int)
    counts: dict[tuple[str, str, str, str], int] = defaultdict(int)  # calls per edge
    ob = fn = ""
    ncalls = 0
    cob = cfn = None
    in_call = False
    with open(path, errors="replace") as f:
        for line in f:
            c = line[:1]
            if c.isdigit() or c in "+-*":
                parts = line.split()
                cost = int(parts[1]) if len(parts) > 1 else 0
                if in_call:
                    edges[(ob, fn, cob or ob, cfn or "")] += cost
                    counts[(ob, fn, cob or ob, cfn or "")] += ncalls
                    in_call = False
                    cob = cfn = None
                else:
                    self_cost[(ob, fn)] += cost
            elif line.startswith("ob="):
                ob = line[3:].strip()
            elif line.startswith("fn="):
                fn = _RECURSION.sub("", line[3:].strip())
            elif line.startswith("cob="):
                cob = line[4:].strip()
            elif line.startswith("cfn="):
                cfn = _RECURSION.sub("", line[4:].strip())
            elif line.startswith("calls="):
                in_call = True
                ncalls = int(line[6:].split()[0])
            elif line.startswith(("summary:", "totals:")):
                total = int(line.split()[1])
    if total is None:
        total = sum(self_cost.values())
    return {"total": total, "self": self_cost, "edges": edges, "counts": counts}


def module_cost(data: dict, module_name: str = "mod_cors.so") -> int:
    """Ir spent on behalf of a module: its hooks and filters as httpd calls them, all
    they call included, except the rest of the filter chain they pass the response to.

    A call into the module made by a function the module itself called (a hook runner
    such as ap_run_insert_filter, an apr_table_do callback) is already inside that
    outer call: such calls are left out, in proportion to the share of calls to
    that function that come from the module. The output filter chain is the
    exception: the module's filter is entered from ap_pass_brigade and passes on
    with ap_pass_brigade, whose cost (the rest of the chain) is taken out instead."""
    def ours(obj: str) -> bool:
        return obj.endswith("/" + module_name)
    calls_into: dict[tuple[str, str], int] = defaultdict(int)
    calls_from_module: dict[tuple[str, str], int] = defaultdict(int)
    for (ob, fn, cob, cfn), n in data["counts"].items():
        calls_into[(cob, cfn)] += n
        if ours(ob) and not ours(cob):
            calls_from_module[(cob, cfn)] += n
    cost = 0.0
    for (ob, fn, cob, cfn), ir in data["edges"].items():
        if ours(cob) and not ours(ob):
            nested = 0.0
            if fn != "ap_pass_brigade" and calls_into.get((ob, fn)):  # the filter chain: see below
                nested = calls_from_module.get((ob, fn), 0) / calls_into[(ob, fn)]
            cost += ir * (1 - nested)
        elif ours(ob) and not ours(cob) and cfn == "ap_pass_brigade":
            cost -= ir
    return round(cost)


def module_profile(d1: dict, d2: dict, dn: int, module_name: str = "mod_cors.so") -> dict:
    """Per request: self Ir of the module's functions and Ir of its calls out of the module."""
    funcs = {}
    for key, ir2 in d2["self"].items():
        if key[0].endswith("/" + module_name):
            per = (ir2 - d1["self"].get(key, 0)) / dn
            if per > 0.5:
                funcs[key[1]] = per
    calls: dict[str, float] = defaultdict(float)
    for key, ir2 in d2["edges"].items():
        ob, fn, cob, cfn = key
        if ob.endswith("/" + module_name) and not cob.endswith("/" + module_name):
            per = (ir2 - d1["edges"].get(key, 0)) / dn
            if per > 0.5:
                calls[f"{cfn} [{Path(cob).name}] from {fn}"] += per
    return {"self": dict(sorted(funcs.items(), key=lambda kv: -kv[1])),
            "calls_out": dict(sorted(calls.items(), key=lambda kv: -kv[1]))}


def inclusive_profile(d1: dict, d2: dict, dn: int, module_name: str = "mod_cors.so") -> dict:
    """Per request: inclusive Ir of each of the module's functions (self + all it calls, as
    callgrind_annotate --inclusive=yes counts), and the same without the rest of the output
    filter chain (ap_pass_brigade), which the headers filter only passes the response to."""
    def incl(d: dict) -> dict:
        total: dict[str, list] = defaultdict(lambda: [0, 0])
        for (ob, fn), ir in d["self"].items():
            if ob.endswith("/" + module_name):
                total[fn][0] += ir
                total[fn][1] += ir
        for (ob, fn, cob, cfn), ir in d["edges"].items():
            if ob.endswith("/" + module_name) and not (ob == cob and fn == cfn):
                total[fn][0] += ir
                if cfn != "ap_pass_brigade":
                    total[fn][1] += ir
        return total
    i1, i2 = incl(d1), incl(d2)
    rows = {fn: [(v[0] - i1.get(fn, [0, 0])[0]) / dn, (v[1] - i1.get(fn, [0, 0])[1]) / dn] for fn, v in i2.items()}
    return dict(sorted(((k, v) for k, v in rows.items() if v[0] > 0.5), key=lambda kv: -kv[1][1]))


def callgrind_once(outdir: Path, mode: str, php: bool, workload: str, path: str, n: int, tag: str) -> Path:
    """One apache2 -X under callgrind, n requests on one keep-alive connection; the profile."""
    out = outdir / f"callgrind.{tag}.{n}"
    # httpd drops to www-data before callgrind writes: the file must be theirs already
    out.touch()
    shutil.chown(out, RUN_USER, RUN_USER)
    prefix = ("valgrind", "--tool=callgrind", "--vgdb=no", f"--callgrind-out-file={out}", "--compress-strings=no",
              "--compress-pos=no")
    srv = started(server_spec(mode, php, command_prefix=prefix, single_process=True))
    try:
        request(workload, srv.port, path, n, timeout=300)
    finally:
        log = harness.tail(srv.startup_log)
        stopped(srv)
    if not out.exists() or out.stat().st_size == 0:
        raise RuntimeError(f"callgrind wrote no profile for {tag}/{n}:\n{log}")
    return out


# (key, configuration, mod_php loaded, workload, URL path, checked answer?); the key is
# "<row>/<letter>" of the tables. Without PHP: the static file, and preflights answered by
# core (a, e), the recipe (b), mod_cors (c). With mod_php loaded (as in part 3): the PHP
# GET, and the preflight for the PHP application answered by the recipe, mod_cors, or
# the application (d: app_cors.php).
CALLGRIND_CASES = [
    ("static/a", "none", False, "static", "/static.txt", True),
    ("static/e", "headers", False, "static", "/static.txt", True),
    ("static/b", "recipe", False, "static", "/static.txt", True),
    ("static/c", "cors", False, "static", "/static.txt", True),
    ("preflight/a", "none", False, "preflight", "/static.txt", True),  # core answers OPTIONS: 200 + Allow
    ("preflight/e", "headers", False, "preflight", "/static.txt", True),  # the same, with the constants
    ("preflight/b", "recipe", False, "preflight", "/static.txt", True),
    ("preflight/c", "cors", False, "preflight", "/static.txt", True),
    ("php/a", "none", True, "php", "/app.php", True),
    ("php/e", "headers", True, "php", "/app.php", True),
    ("php/b", "recipe", True, "php", "/app.php", True),
    ("php/c", "cors", True, "php", "/app.php", True),
    ("php/v", "exportenv", True, "php", "/app.php", True),
    ("php-preflight/b", "recipe", True, "preflight", "/app.php", True),
    ("php-preflight/c", "cors", True, "preflight", "/app.php", True),
    ("php-preflight/d", "none", True, "preflight", "/app_cors.php", True),
    ("static/m", "map10", False, "static", "/static.txt", True),
    ("static/n", "map100k", False, "static", "/static.txt", True),
    ("static/r", "map1m", False, "static", "/static.txt", True),
    ("static/q", "mapdbd", False, "static", "/static.txt", True),
    ("static/k", "mapdbm", False, "static", "/static.txt", True),
    ("static/u", "mapdbm0", False, "static", "/static.txt", True),
    ("static/s", "status", False, "static", "/static.txt", True),
]


def part_callgrind(build: Path, result_path: Path) -> None:
    n1, n2 = int(os.environ.get("BENCH_CG_N1", "200")), int(os.environ.get("BENCH_CG_N2", "1200"))
    # a PHP request is ~10 times the instructions of a static one: fewer requests
    p1, p2 = int(os.environ.get("BENCH_CG_PHP_N1", "50")), int(os.environ.get("BENCH_CG_PHP_N2", "250"))
    only = os.environ.get("BENCH_CG_CASES", "").split()  # e.g. "static/a static/c": a subset while developing
    os.environ["MOD_CORS_SO"] = str((build / "mod_cors.so").resolve())  # what the harness loads
    outdir = make_outdir()
    results: dict = {"n1": n1, "n2": n2, "php_n1": p1, "php_n2": p2, "runs": {}, "profile": {}, "delta": {},
                     "configs": {c.letter: c.label for c in CONFIGS.values()}}
    per_fn: dict[str, dict] = {}  # case -> self Ir per request and function
    keep_dir = result_path.parent / "callgrind"
    keep_dir.mkdir(parents=True, exist_ok=True)
    try:
        for key, mode, php, workload, path, checked in CALLGRIND_CASES:
            if only and key not in only:
                continue
            if checked:  # the answer is right before anything is counted (one plain run)
                srv = started(server_spec(mode, php, single_process=True))
                try:
                    answer = request(workload, srv.port, path, 2)
                finally:
                    stopped(srv)
                check_answer(mode, workload, answer, php_app=path == "/app_cors.php")
            a, b = (p1, p2) if php else (n1, n2)
            t0 = time.monotonic()
            tag = key.replace("/", "-")
            f1 = callgrind_once(outdir, mode, php, workload, path, a, tag)
            f2 = callgrind_once(outdir, mode, php, workload, path, b, tag)
            d1, d2 = parse_callgrind(f1), parse_callgrind(f2)
            dn = b - a
            run = {"ir_per_request": (d2["total"] - d1["total"]) / dn, "n1": a, "n2": b,
                   "seconds": round(time.monotonic() - t0, 1), "mode": mode, "php": php, "path": path}
            cost_modules = CONFIGS[mode].cost_modules
            if cost_modules:
                run["module_ir_per_request"] = sum(module_cost(d2, m) - module_cost(d1, m)
                                                   for m in cost_modules) / dn
            if CONFIGS[mode].load_cors:  # mod_cors, in any configuration of it
                results["profile"][key] = module_profile(d1, d2, dn)
                results["profile"][key]["inclusive"] = inclusive_profile(d1, d2, dn)
                if not php:
                    shutil.copy(f2, keep_dir / f"callgrind.{tag}.{b}")
            per_fn[key] = {f"{fn} [{Path(ob).name}]": (ir - d1["self"].get((ob, fn), 0)) / dn
                           for (ob, fn), ir in d2["self"].items()}
            results["runs"][key] = run
            for f in (f1, f2):
                f.unlink()
            print(f"  callgrind {key:16s} {mode:7s} {path:14s} {run['ir_per_request']:10.0f} Ir/request"
                  + (f" (in the configuration's modules: {run['module_ir_per_request']:.0f})"
                     if cost_modules else "")
                  + f"  [{run['seconds']}s]", flush=True)
        # Where the instructions mod_cors adds go, function by function (self Ir).
        for workload in ("static", "preflight", "php"):
            for other in ("a", "e"):  # what mod_cors adds to no CORS, and to the constant headers
                a, b = per_fn.get(f"{workload}/{other}"), per_fn.get(f"{workload}/c")
                if a is None or b is None:
                    continue
                diff = {k: b.get(k, 0) - a.get(k, 0) for k in set(a) | set(b)}
                top = sorted(((k, v) for k, v in diff.items() if abs(v) >= 20), key=lambda kv: -abs(kv[1]))
                results["delta"][f"cors/{workload}" + ("" if other == "a" else "/vs-e")] = top[:25]
    finally:
        if not KEEP:
            shutil.rmtree(outdir, ignore_errors=True)
    result_path.write_text(json.dumps(results, indent=1))


# ------------------------------------------------------------------ part 3: wrk

WRK_LUA = """
wrk.method = "{method}"
{headers}
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK_RESULT {{\\"requests\\": %d, \\"duration_us\\": %d, \\"socket_errors\\": %d, "
    .. "\\"status_errors\\": %d, \\"p50_us\\": %d, \\"p99_us\\": %d}}\\n",
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(99)))
end
"""


def wrk_script(workdir: Path, workload: str) -> Path:
    w = WORKLOADS[workload]
    headers = "\n".join(f'wrk.headers["{k}"] = "{v}"' for k, v in BROWSER_HEADERS + w["headers"])
    path = workdir / f"{workload}.lua"
    path.write_text(WRK_LUA.format(method=w["method"], headers=headers))
    return path


_CLK_TCK = os.sysconf("SC_CLK_TCK")


def server_cpu(parent: int) -> float:
    """CPU seconds (user + system) used so far by an httpd parent and its children."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # after "(comm)": state ppid ... utime is field 14 of the line, index 11 here
        if int(entry) == parent or int(fields[1]) == parent:
            total += int(fields[11]) + int(fields[12])
    return total / _CLK_TCK


def run_wrk(port: int, path: str, script: Path, seconds: int, connections: int, threads: int,
            server_pid: int | None = None) -> dict:
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s",
           "-s", str(script), f"http://127.0.0.1:{port}{path}"]
    cpu0 = server_cpu(server_pid) if server_pid else None
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    cpu1 = server_cpu(server_pid) if server_pid else None
    m = re.search(r"WRK_RESULT (\{.*\})", r.stdout)
    if r.returncode != 0 or not m:
        raise RuntimeError(f"wrk failed ({r.returncode}): {r.stdout}{r.stderr}")
    res = json.loads(m.group(1))
    res["rps"] = res["requests"] / (res["duration_us"] / 1e6)
    if cpu0 is not None and res["requests"]:
        res["cpu_us_per_request"] = (cpu1 - cpu0) * 1e6 / res["requests"]
    if res["socket_errors"] or res["status_errors"]:
        raise RuntimeError(f"wrk saw errors on {path}: {res}\n{r.stdout}")
    return res


# (configuration label, server, URL path) per workload
WRK_CASES = {
    "static": [("a", "none", "/static.txt"), ("b", "recipe", "/static.txt"), ("c", "cors", "/static.txt")],
    "php": [("a", "none", "/app.php"), ("b", "recipe", "/app.php"), ("c", "cors", "/app.php"),
            ("d", "none", "/app_cors.php")],
    "preflight": [("b", "recipe", "/app.php"), ("c", "cors", "/app.php"), ("d", "none", "/app_cors.php")],
}


MAP_MISS_REQUESTS = int(os.environ.get("BENCH_MAP_REQUESTS", "400"))
MAP_MISS_ROUNDS = int(os.environ.get("BENCH_MAP_ROUNDS", "5"))


def part_maps(build: Path, result_path: Path) -> None:
    """What a dbd: map, and a dbm: map looked up in the file, cost when the answer is not
    cached: one prefork process, the same allowed static GET on one keep-alive connection
    with CORSOriginMapCache 3600 (asked once, then cached) and 0 (asked every time), on
    SQLite, on PostgreSQL over a Unix socket (a cluster of the bench's own) and in a Berkeley
    DB file of SCALE_ORIGINS keys. Figures only: wall time per request, the difference being
    the database's round trip or the file's lookup; and the child's VmRSS (the last server)."""
    os.environ["MOD_CORS_SO"] = str((build / "mod_cors.so").resolve())
    pg = harness.PostgresCluster()
    results: dict = {"requests": MAP_MISS_REQUESTS, "rounds": MAP_MISS_ROUNDS, "databases": {}}
    try:
        pg.start()
        pg.sql("CREATE DATABASE cors", db="postgres")
        pg.sql("CREATE TABLE tenants (origin text PRIMARY KEY)")
        pg.sql(f"INSERT INTO tenants VALUES ('{PARTNER}')")
        dbd_map = 'CORSOriginMap partners "dbd:SELECT 1 FROM tenants WHERE origin = %s"\n'
        sources = {  # name: (configuration before CORSOriginMapCache, modules, files)
            "dbd: SQLite": ('DBDriver sqlite3\nDBDParams "${IT_HTDOCS}/tenants.db"\n' + dbd_map, ("dbd",),
                            (("tenants.db", tenants_db),)),
            "dbd: PostgreSQL": (f'DBDriver pgsql\nDBDParams "host={pg.socket_dir} dbname=cors user=postgres"\n'
                                + dbd_map, ("dbd",), ()),
            f"dbm: Berkeley DB of {SCALE_ORIGINS:,} keys, looked up in the file":
                ('CORSOriginMap partners "dbm=db:${IT_HTDOCS}/partners.map"\n', (),
                 (("partners.map", lambda: dbm_map(SCALE_ORIGINS)),)),
        }
        for name, (source, modules, files) in sources.items():
            servers = {}
            try:
                for cache in (3600, 0):
                    body = source + f"CORSOriginMapCache {cache}\n" + POLICY_MAPPED
                    cfg = Config("x", f"{name}, CORSOriginMapCache {cache}", modules, body,
                                 load_cors=True, files=files)
                    servers[cache] = started(server_spec(cfg, False))
                    answer = request("static", servers[cache].port, count=20)  # warm-up: connection, statement, cache
                    check_answer("cors", "static", answer)
                # A file changed within 3 s is read again at each check (origin_maps.cpp kRacyNs):
                # the measurement starts once none is, so that no reload runs beside it.
                time.sleep(3.5)
                # the two alternated, MAP_MISS_ROUNDS times: the medians
                times = {cache: [] for cache in servers}
                for _ in range(MAP_MISS_ROUNDS):
                    for cache, srv in servers.items():
                        t0 = time.perf_counter()
                        request("static", srv.port, count=MAP_MISS_REQUESTS)
                        times[cache].append((time.perf_counter() - t0) / MAP_MISS_REQUESTS * 1e6)
                rss_kib = harness.child_rss_kib(servers[0].proc.pid)
            finally:
                for srv in servers.values():
                    stopped(srv)
            per_request = {cache: statistics.median(t) for cache, t in times.items()}
            results["databases"][name] = {"cached_us": per_request[3600], "uncached_us": per_request[0],
                                          "miss_us": per_request[0] - per_request[3600], "child_kib": rss_kib}
            print(f"  maps {name[:24]:24s} cached {per_request[3600]:8.1f} us/request, every request asks "
                  f"{per_request[0]:8.1f} us/request: a miss costs {per_request[0] - per_request[3600]:.1f} us")
    finally:
        pg.remove()
    result_path.write_text(json.dumps(results, indent=1))


SCALE_ORIGINS = int(os.environ.get("BENCH_SCALE_ORIGINS", "1000000"))
SCALE_RELOADS = int(os.environ.get("BENCH_SCALE_RELOADS", "20"))
SCALE_CLIENTS = int(os.environ.get("BENCH_SCALE_CLIENTS", "6"))
SCALE_BODY = ('CORSOriginMap partners "txt:${IT_STATE}/partners.txt"\nCORSOriginMapCache 1\n' + harness.ONE_CHILD_EVENT
              + POLICY_MAPPED)


def scale_list(count: int, marker: str) -> str:
    """`count` origins (each reload's all new, as a rebuilt list is), the partner and `marker`."""
    return "".join(f"https://{marker}-{i}.tenant.example\n" for i in range(count - 2)) + f"{PARTNER}\nhttps://{marker}.example\n"


def part_maps_scale(build: Path, result_path: Path) -> None:
    """A txt: map of SCALE_ORIGINS origins under the event MPM (one child, 25 threads), replaced
    SCALE_RELOADS times while SCALE_CLIENTS clients ask (a bounded load: each client waits for
    its answer): every request's time and answer, the child's memory after each reload, and
    the same server with a map of 10 for the memory without the map."""
    os.environ["MOD_CORS_SO"] = str((build / "mod_cors.so").resolve())
    import threading
    results: dict = {"origins": SCALE_ORIGINS, "reloads": SCALE_RELOADS, "clients": SCALE_CLIENTS}
    rss_small = None
    for count in (10, SCALE_ORIGINS):
        cfg = Config("x", f"txt: map of {count}", (), SCALE_BODY, load_cors=True)
        spec = server_spec(cfg, False)
        spec.mpm, spec.start_timeout, spec.body = "event", 120, spec.body.replace(keepalive_body(1), "")
        srv = harness.Httpd(spec)
        (srv.state / "partners.txt").write_text(scale_list(count, "v0"))
        (srv.state / "partners.txt").chmod(0o644)
        srv.start()
        try:
            first = harness.http_request(srv.port, "GET", "/static.txt", [("Origin", PARTNER)], timeout=30)
            if first.all("Access-Control-Allow-Origin") != [PARTNER]:
                raise RuntimeError(f"the map's partner was not allowed: {first}")
            if count == 10:
                (srv.state / "partners.txt.new").write_text(scale_list(count, "v1"))
                os.replace(srv.state / "partners.txt.new", srv.state / "partners.txt")
                time.sleep(2.5)
                rss_small = harness.child_rss_kib(srv.proc.pid)
                continue
            stop = threading.Event()
            samples: list = []  # (start, seconds, right)
            origins = [(PARTNER, True), ("https://stranger.example", False)]

            def client(k: int) -> None:
                for n in range(10_000_000):
                    if stop.is_set():
                        return
                    origin, expected = origins[(n + k) % 2]
                    t0 = time.monotonic()
                    try:
                        resp = harness.http_request(srv.port, "GET", "/static.txt", [("Origin", origin)], timeout=30)
                        right = (resp.status == 200 and resp.all("Access-Control-Allow-Origin") == [origin]) == expected
                    except Exception:  # noqa: BLE001 - no answer: wrong
                        right = False
                    samples.append((t0, time.monotonic() - t0, right))

            def allows(origin: str) -> bool:
                resp = harness.http_request(srv.port, "GET", "/static.txt", [("Origin", origin)], timeout=30)
                return resp.status == 200 and resp.all("Access-Control-Allow-Origin") == [origin]

            threads = [threading.Thread(target=client, args=(k,), daemon=True) for k in range(SCALE_CLIENTS)]
            for t in threads:
                t.start()
            windows, rss, reload_s = [], [], []
            try:
                for i in range(1, SCALE_RELOADS + 1):
                    text = scale_list(count, f"v{i}")
                    (srv.state / "partners.txt.new").write_text(text)
                    (srv.state / "partners.txt.new").chmod(0o644)
                    t0 = time.monotonic()
                    os.replace(srv.state / "partners.txt.new", srv.state / "partners.txt")
                    deadline = t0 + 120
                    while not allows(f"https://v{i}.example"):
                        if time.monotonic() > deadline:
                            raise RuntimeError(f"reload {i} was not seen within 120 s")
                        time.sleep(0.05)
                    t1 = time.monotonic()
                    windows.append((t0, t1))
                    reload_s.append(t1 - t0)
                    rss.append(harness.child_rss_kib(srv.proc.pid))
                    print(f"  reload {i:2d}: seen after {t1 - t0:5.2f} s, child {rss[-1] / 1024:7.1f} MiB", flush=True)
            finally:
                stop.set()
                for t in threads:
                    t.join(timeout=60)
            during = sorted(s for t0, s, _ in samples if any(a <= t0 <= b for a, b in windows))
            outside = sorted(s for t0, s, _ in samples if not any(a <= t0 <= b for a, b in windows))

            def pct(values, p):
                return values[min(len(values) - 1, int(p / 100 * len(values)))] * 1000 if values else None

            results.update({
                "requests": len(samples), "requests_during_reloads": len(during),
                "wrong": sum(1 for *_, right in samples if not right),
                "p50_ms": pct(during, 50), "p99_ms": pct(during, 99), "p999_ms": pct(during, 99.9),
                "max_ms": during[-1] * 1000 if during else None, "p999_outside_ms": pct(outside, 99.9),
                "p50_outside_ms": pct(outside, 50), "load_average": open("/proc/loadavg").read().split()[:3],
                "reload_seconds": reload_s, "rss_kib": rss, "rss_small_kib": rss_small,
                "bytes_per_origin": (rss[0] - rss_small) * 1024 / count if rss and rss_small else None,
                "growth": (rss[-1] / rss[1] - 1) if len(rss) > 1 else None,
            })
        finally:
            stopped(srv)
    print(f"  {results['requests']} requests, {results['requests_during_reloads']} during reloads: p99.9 "
          f"{_fmt(results['p999_ms'], 1)} ms, max {_fmt(results['max_ms'], 1)} ms, wrong {results['wrong']}; "
          f"{_fmt(results['bytes_per_origin'], 1)} bytes per origin; growth over the reloads "
          f"{_fmt(100 * results['growth'], 1)} %")
    result_path.write_text(json.dumps(results, indent=1))


def maps_scale_table(ms, targets: list) -> list[str]:
    out = ["## 5. A txt: origin map of a million origins, reloaded under load", ""]
    goals = ["a 1,000,000-origin txt: map reloaded under load: p99.9 <= 50 ms during the reloads, zero wrong answers",
             "memory per origin in the child <= 64 bytes (1,000,000 origins, event MPM, 25 threads)",
             "the child's memory flat over the reloads (<= +5 % from the second to the last)"]
    if ms is None or "p999_ms" not in ms:
        for g in goals:
            targets.append((g, "part 5 did not run", None))
        return out + ["Part 5 did not run.", ""]
    rss = ms["rss_kib"]
    out += [f"The event MPM, one child of 25 threads, a `txt:` map of {ms['origins']:,} origins and "
            f"`CORSOriginMapCache 1`, replaced {ms['reloads']} times (a rename over it, every origin new) while "
            f"{ms['clients']} clients ask (each waits for its answer: a bounded load). A reload counts from the "
            "rename to the first request that sees the new list. Memory is the child's VmRSS after each reload, "
            "less the same server's with a map of 10.", "",
            "| figure | value |", "| --- | ---: |",
            f"| requests (during the reloads) | {ms['requests']:,} ({ms['requests_during_reloads']:,}) |",
            f"| wrong or missing answers | {ms['wrong']} |",
            f"| p50 / p99 / p99.9 / max during the reloads, ms | {_fmt(ms['p50_ms'], 1)} / {_fmt(ms['p99_ms'], 1)} / "
            f"{_fmt(ms['p999_ms'], 1)} / {_fmt(ms['max_ms'], 1)} |",
            f"| the same outside the reloads: p50 / p99.9, ms | {_fmt(ms['p50_outside_ms'], 1)} / "
            f"{_fmt(ms['p999_outside_ms'], 1)} |",
            f"| load average at the end | {' '.join(ms['load_average'])} |",
            f"| a reload seen after, s (min / median / max) | {_fmt(min(ms['reload_seconds']), 2)} / "
            f"{_fmt(sorted(ms['reload_seconds'])[len(ms['reload_seconds']) // 2], 2)} / "
            f"{_fmt(max(ms['reload_seconds']), 2)} |",
            f"| child VmRSS with a map of 10, MiB | {_fmt(ms['rss_small_kib'] / 1024, 1)} |",
            f"| child VmRSS after reload 1 / 2 / {len(rss)}, MiB | {_fmt(rss[0] / 1024, 1)} / "
            f"{_fmt(rss[1] / 1024, 1)} / {_fmt(rss[-1] / 1024, 1)} |",
            f"| bytes per origin in the child | {_fmt(ms['bytes_per_origin'], 1)} |", ""]
    ok = ms["p999_ms"] is not None and ms["p999_ms"] <= 50 and ms["wrong"] == 0
    targets.append((goals[0], f"p99.9 {_fmt(ms['p999_ms'], 1)} ms (outside the reloads {_fmt(ms['p999_outside_ms'], 1)} "
                              f"ms), {ms['wrong']} wrong", ok))
    targets.append((goals[1], f"{_fmt(ms['bytes_per_origin'], 1)} bytes",
                    None if ms["bytes_per_origin"] is None else ms["bytes_per_origin"] <= 64))
    targets.append((goals[2], f"{_fmt(100 * ms['growth'], 1)} %", None if ms["growth"] is None else ms["growth"] <= 0.05))
    return out


def maps_table(mp) -> list[str]:
    out = ["## 4. A cache miss of a dbd: origin map, and of a dbm: map looked up in the file", ""]
    if mp is None:
        return out + ["Part 4 did not run.", ""]
    out += [f"One prefork process, {mp['requests']} allowed static GETs on one keep-alive connection after a "
            f"warm-up, {mp.get('rounds', 1)} rounds alternating the two servers of a map (the median of each); "
            "the partner is listed only in the map; wall time per request with "
            "`CORSOriginMapCache 3600` (the answer cached) and `0` (the database or the file asked every time). Figures "
            "only, taken while the machine does whatever else it does.", "",
            "| map | cached, us/request | asked every time, us/request | a miss costs, us | child VmRSS, MiB |",
            "| --- | ---: | ---: | ---: | ---: |"]
    for name, d in mp["databases"].items():
        rss = d.get("child_kib")
        out.append(f"| {name} | {_fmt(d['cached_us'], 1)} | {_fmt(d['uncached_us'], 1)} | {_fmt(d['miss_us'], 1)} "
                   f"| {_fmt(rss / 1024 if rss else None, 1)} |")
    return out + [""]


def part_wrk(build: Path, result_path: Path) -> None:
    rounds = int(os.environ.get("BENCH_WRK_ROUNDS", "10"))
    seconds = max(1, int(os.environ.get("BENCH_WRK_SECONDS", "2")))
    warmup = max(1, int(os.environ.get("BENCH_WRK_WARMUP", "1")))
    connections = int(os.environ.get("BENCH_WRK_CONNECTIONS", "8"))
    threads = int(os.environ.get("BENCH_WRK_THREADS", "1"))
    procs = int(os.environ.get("BENCH_HTTPD_PROCS", "10"))
    os.environ["MOD_CORS_SO"] = str((build / "mod_cors.so").resolve())  # what the harness loads
    workdir = Path(tempfile.mkdtemp(prefix="mod_cors_bench_wrk."))
    servers: dict[str, harness.Httpd] = {}
    results: dict = {"mpm": "prefork", "php": harness.PHP_MODULE, "rounds": rounds, "seconds": seconds,
                     "connections": connections, "threads": threads, "httpd_processes": procs,
                     "runs": defaultdict(list)}
    try:
        for mode in dict.fromkeys(mode for cases in WRK_CASES.values() for _, mode, _ in cases):
            servers[mode] = started(server_spec(mode, php=True, procs=procs))
        scripts = {w: wrk_script(workdir, w) for w in WRK_CASES}
        for workload, cases in WRK_CASES.items():
            for label, mode, path in cases:
                port = servers[mode].port
                check_answer(mode, workload, request(workload, port, path), php_app=(label == "d"))
                run_wrk(port, path, scripts[workload], warmup, connections, threads)  # warm-up, not kept
        for rnd in range(rounds):
            for workload, cases in WRK_CASES.items():
                # alternate the order from round to round: no configuration always goes first
                ordered = cases if rnd % 2 == 0 else list(reversed(cases))
                for label, mode, path in ordered:
                    srv = servers[mode]
                    res = run_wrk(srv.port, path, scripts[workload], seconds, connections, threads, srv.proc.pid)
                    results["runs"][f"{workload}/{label}"].append(res)
                    print(f"  wrk round {rnd + 1}/{rounds} {workload:9s} ({label}) {mode:6s} {path:14s}"
                          f" {res['rps']:9.0f} req/s  p50 {res['p50_us']}us  p99 {res['p99_us']}us"
                          f"  httpd CPU {res.get('cpu_us_per_request', 0):.0f}us/req", flush=True)
    finally:
        for srv in servers.values():
            stopped(srv)
        shutil.rmtree(workdir, ignore_errors=True)
    results["runs"] = dict(results["runs"])
    result_path.write_text(json.dumps(results, indent=1))


# ------------------------------------------------------------------ report

ENGINE_ROWS = [
    ("actual_allowed/origins:1", "allowed actual request, 1 exact origin"),
    ("actual_allowed/origins:100", "allowed actual request, 100 exact origins"),
    ("actual_allowed/origins:10000", "allowed actual request, 10,000 exact origins"),
    ("actual_rejected/origins:1", "rejected actual request, 1 exact origin"),
    ("actual_rejected/origins:10000", "rejected actual request, 10,000 exact origins"),
    ("preflight_allowed/headers:3", "allowed preflight, 3 requested headers"),
    ("subdomain_wildcard", "subdomain wildcard (https://*.partner.example)"),
    ("php_pattern_jit", "PHP-style pattern @\\.partner\\.example$@ (JIT)"),
    ("patterns/n:1", "1 pattern (the last matches)"),
    ("patterns/n:10", "10 patterns (the last matches)"),
    ("patterns/n:100", "100 patterns (the last matches)"),
]


def machine() -> dict:
    info = {"cpu": "?", "cores": os.cpu_count(), "httpd": "?", "php": "?"}
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        v = subprocess.run([APACHE2, "-v"], capture_output=True, text=True, timeout=30).stdout
        info["httpd"] = re.search(r"Server version:\s*(.*)", v).group(1).strip()
    except Exception:  # noqa: BLE001
        pass
    try:
        info["php"] = harness.PHP_MODULE
    except Exception:  # noqa: BLE001
        pass
    try:
        info["load_end"] = open("/proc/loadavg").read().split()[:3]
    except OSError:
        pass
    if os.environ.get("BENCH_SOURCE"):  # set by run.sh when the run started
        info["source"] = os.environ["BENCH_SOURCE"]
        return info
    try:  # read-only: which sources were measured
        head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, timeout=30).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "mod_cors"],
                               capture_output=True, text=True, timeout=30).stdout.strip()
        info["source"] = f"commit {head}" + (" with uncommitted changes in mod_cors/" if dirty else "") if head else "?"
    except Exception:  # noqa: BLE001
        info["source"] = "?"
    return info


def _load(path: Path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


_SHORT_NAMES = [
    ("std::basic_string_view<char, std::char_traits<char> >", "string_view"),
    ("std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >", "string"),
    ("(anonymous namespace)::", ""),
]


def short(name: str, width: int = 110) -> str:
    """A C++ name short enough for a table line."""
    for long_, short_ in _SHORT_NAMES:
        name = name.replace(long_, short_)
    return name if len(name) <= width else name[:width - 3] + "..."


def _fmt(v, digits=0, unit=""):
    if v is None:
        return "n/a"
    return f"{v:,.{digits}f}{unit}"


def _verdict(ok) -> str:
    return "n/a" if ok is None else ("met" if ok else "**missed**")


def engine_table(bench_json, ir_json, targets: list) -> list[str]:
    out = ["## 1. Engine: `cors::decide()` per decision (classification included)", ""]
    if bench_json is None:
        out += ["Part 1 did not run.", ""]
        for t in ("allowed actual <= 100 ns", "allowed preflight <= 300 ns", "zero heap allocations per decision",
                  "10,000 exact origins <= 1.5 x one origin", "100 patterns <= 2 us"):
            targets.append((t, "n/a", None))
        return out
    runs: dict[str, list[float]] = defaultdict(list)
    allocs: dict[str, float] = {}
    news: dict[str, float] = {}
    first: dict[str, float] = {}
    for b in bench_json.get("benchmarks", []):
        if b.get("run_type") != "iteration":
            continue
        name = b["run_name"]
        scale = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[b.get("time_unit", "ns")]
        runs[name].append(b["cpu_time"] * scale)
        allocs[name] = max(allocs.get(name, 0), b.get("allocs_per_op", 0))
        news[name] = max(news.get(name, 0), b.get("news_per_op", 0))
        first[name] = max(first.get(name, 0), b.get("first_call_allocs", 0))
    ctx = bench_json.get("context", {})
    reps = max((len(v) for v in runs.values()), default=0)
    out += [f"Google Benchmark, {reps} repetitions of each; CPU time per decision (median and best of the "
            f"repetitions); Ir = instructions per decision counted by callgrind (exact, whatever the load); "
            f"heap allocations counted by an interposed malloc/operator new (PCRE2's mallocs included). "
            f"Built {ctx.get('library_build_type', '?')} benchmark library, engine -O2.", "",
            "| scenario | ns/op median | ns/op best | Ir/op | heap allocs/op | allocs, first call |",
            "| --- | ---: | ---: | ---: | ---: | ---: |"]
    med = {k: statistics.median(v) for k, v in runs.items()}
    best = {k: min(v) for k, v in runs.items()}
    ir = {k: v["ir"] for k, v in (ir_json or {}).items()}
    for key, label in ENGINE_ROWS:
        out.append(f"| {label} | {_fmt(med.get(key), 1)} | {_fmt(best.get(key), 1)} | {_fmt(ir.get(key))} | "
                   f"{_fmt(allocs.get(key), 3)} | {_fmt(first.get(key))} |")
    out.append("")

    def ratio(a, b, d):
        return d[a] / d[b] if a in d and b in d and d[b] else None
    r_t = ratio("actual_allowed/origins:10000", "actual_allowed/origins:1", med)
    r_tb = ratio("actual_allowed/origins:10000", "actual_allowed/origins:1", best)
    r_i = ratio("actual_allowed/origins:10000", "actual_allowed/origins:1", ir)
    r_rej = ratio("actual_rejected/origins:10000", "actual_rejected/origins:1", med)
    out += [f"Ratios: 10,000 / 1 exact origins (allowed): time {_fmt(r_t, 2)} (best {_fmt(r_tb, 2)}), "
            f"instructions {_fmt(r_i, 2)}; rejected: time {_fmt(r_rej, 2)}. "
            f"100 / 1 patterns: time {_fmt(ratio('patterns/n:100', 'patterns/n:1', med), 1)}, "
            f"instructions {_fmt(ratio('patterns/n:100', 'patterns/n:1', ir), 1)}.", ""]
    for key, label in ENGINE_ROWS:
        if key not in ("actual_allowed/origins:1", "preflight_allowed/headers:3", "patterns/n:100"):
            continue
        prof = (ir_json or {}).get(key)
        if not prof:
            continue
        out += [f"Where the instructions go, {label} ({prof['ir']:,.0f} Ir per decision; self Ir per "
                f"decision by function, callgrind):", "", "```"]
        out += [f"{v:8.0f}  {short(k)}" for k, v in prof["self"][:10]]
        out += ["```", ""]
    a = med.get("actual_allowed/origins:1")
    targets.append(("allowed actual <= 100 ns", f"{_fmt(a, 1)} ns (best {_fmt(best.get('actual_allowed/origins:1'), 1)})",
                    None if a is None else a <= 100))
    p = med.get("preflight_allowed/headers:3")
    targets.append(("allowed preflight <= 300 ns", f"{_fmt(p, 1)} ns (best {_fmt(best.get('preflight_allowed/headers:3'), 1)})",
                    None if p is None else p <= 300))
    worst = max(allocs.values(), default=None)
    targets.append(("zero heap allocations per decision", f"max {_fmt(worst, 3)} over all scenarios",
                    None if worst is None else worst == 0))
    targets.append(("10,000 exact origins <= 1.5 x one origin", f"{_fmt(r_t, 2)} x (instructions {_fmt(r_i, 2)} x)",
                    None if r_t is None else r_t <= 1.5))
    p100 = med.get("patterns/n:100")
    targets.append(("100 patterns <= 2 us", f"{_fmt(p100 / 1000 if p100 else None, 2)} us",
                    None if p100 is None else p100 <= 2000))
    return out


def cg_ratio(cg, workload: str, x: str, y: str):
    """Throughput-equivalent ratio x/y from instructions per request: Ir(y) / Ir(x)."""
    if not cg:
        return None
    key = "php-preflight" if workload == "preflight" else workload  # mod_php loaded, as in part 3
    rx = cg["runs"].get(f"{key}/{x}", {}).get("ir_per_request")
    ry = cg["runs"].get(f"{key}/{y}", {}).get("ir_per_request")
    return ry / rx if rx and ry else None


CG_ROWS = [("static", "static GET, allowed Origin"),
           ("preflight", "preflight, no PHP ((a), (e): core answers OPTIONS)"),
           ("php", "PHP GET, allowed Origin"),
           ("php-preflight", "preflight for the PHP application")]
CG_COLUMNS = "aebcd"  # the order of the configurations in the table (a new CONFIGS letter goes here)
CG_LABELS = {**{c.letter: c.label for c in CONFIGS.values()}, "d": "(d) PHP answers"}


# Variants of (c) on the allowed static GET: the partner in an origin map, mod_status loaded.
VARIANTS = [("c", "exact origin (CORSAllowOrigin)"), ("m", "txt: map of 10"), ("n", "txt: map of 100,000"),
            ("r", "txt: map of 1,000,000"),
            ("q", "dbd: map on SQLite, cached answer"), ("k", "dbm: map of 200,000 looked up in the file, cached answer"),
            ("u", "the same dbm: map, the file asked for every request"), ("s", "exact origin, mod_status loaded (counters kept)")]


def counting_ir(cg, case: str) -> float | None:
    """Inclusive Ir per request of mod_cors's log_transaction hook, where it counts."""
    incl = cg.get("profile", {}).get(case, {}).get("inclusive", {})
    return incl["log_transaction"][0] if "log_transaction" in incl else None


def variants_table(cg, targets: list) -> list[str]:
    runs = cg["runs"]
    ir = {c: runs.get(f"static/{c}", {}).get("ir_per_request") for c, _ in VARIANTS}
    mod = {c: runs.get(f"static/{c}", {}).get("module_ir_per_request") for c, _ in VARIANTS}
    base = runs.get("static/a", {}).get("ir_per_request")

    def ratio(x, y):
        return x / y if x is not None and y else None

    out = ["", "Variants of (c) on the allowed static GET, side by side in the same run: the partner allowed "
           "by an origin map instead of `CORSAllowOrigin` (the static list names another origin, so the map "
           "is asked), and mod_status loaded so that the counters are kept. \"in mod_cors.so\" is the "
           "module's own share, as above.", "",
           "| variant | Ir/request | added to (a) | in mod_cors.so | in mod_cors.so / exact |",
           "| --- | ---: | ---: | ---: | ---: |"]
    for c, label in VARIANTS:
        added = ir[c] - base if ir[c] is not None and base else None
        out.append(f"| {label} | {_fmt(ir[c])} | {_fmt(added)} | {_fmt(mod[c])} | {_fmt(ratio(mod[c], mod['c']), 3)} |")
    for c, what in (("m", "txt:"), ("q", "cached dbd:"), ("k", "cached, looked-up dbm:")):
        r = ratio(mod[c], mod["c"])
        targets.append((f"allowed by a {what} map answer <= 1.2 x an exact origin (mod_cors.so's Ir)",
                        f"{_fmt(mod[c])} vs {_fmt(mod['c'])} Ir = {_fmt(r, 2)} x", None if r is None else r <= 1.2))
    lookup = mod["u"] - mod["k"] if mod["u"] is not None and mod["k"] is not None else None
    out += ["", f"A lookup in a dbm: file (Berkeley DB, {DBM_LOOKED_UP:,} keys) costs {_fmt(lookup)} Ir in mod_cors.so "
            "and below it (the map's lock, apr_dbm_exists, storing the answer): (u) less (k). Its wall time is in part 4."]
    r = ratio(ir["n"], ir["m"])
    targets.append(("a txt: map of 100,000 decides in the instructions of one of 10 (whole request, within 1 %)",
                    f"{_fmt(ir['n'])} vs {_fmt(ir['m'])} Ir = {_fmt(r, 3)} x",
                    None if r is None else abs(r - 1) <= 0.01))
    r = ratio(ir["r"], ir["m"])
    targets.append(("a txt: map of 1,000,000 decides in the instructions of one of 10 (whole request, within 1 %)",
                    f"{_fmt(ir['r'])} vs {_fmt(ir['m'])} Ir = {_fmt(r, 3)} x",
                    None if r is None else abs(r - 1) <= 0.01))
    # The counters' cost: the counting hook with mod_status loaded, less the same hook
    # without (a null check). The whole module share moves more than that: mod_status
    # changes how the request pool fills, and ap_add_output_filter_handle's allocation
    # then takes a new pool block more often (see the profile rows above).
    with_status, without = counting_ir(cg, "static/s"), counting_ir(cg, "static/c")
    counters = with_status - without if with_status is not None and without is not None else None
    share = 100 * counters / mod["c"] if counters is not None and mod["c"] else None
    out += ["", f"The counting hook (log_transaction, inclusive): {_fmt(with_status)} Ir with mod_status loaded, "
            f"{_fmt(without)} without; the whole module share with mod_status loaded: {_fmt(mod['s'])} Ir "
            f"against {_fmt(mod['c'])} (the difference beyond the counters is the request pool's allocation "
            f"pattern under mod_status, in ap_add_output_filter_handle)."]
    targets.append(("the counters add <= 2 % to mod_cors's own share (counting hook, mod_status loaded vs not)",
                    f"{_fmt(counters)} Ir = {_fmt(share, 1, ' %')} of {_fmt(mod['c'])}",
                    None if share is None else share <= 2.0))
    return out


def callgrind_table(cg, targets: list) -> list[str]:
    out = ["## 2. httpd instructions per request (callgrind)", ""]
    t_headers = "mod_cors adds fewer instructions than mod_headers writing the headers as constants (static GET)"
    if cg is None:
        out += ["Part 2 did not run.", ""]
        for t in ("mod_cors adds <= 2 % to a static request (~870 Ir)",
                  "mod_cors adds < 1/10 of what the recipe adds (static)", t_headers):
            targets.append((t, "n/a", None))
        return out
    runs = cg["runs"]
    out += [f"One `apache2 -X` (prefork, one process) under `valgrind --tool=callgrind` per configuration, "
            f"workload and count, started by the test harness (tests/lib/harness.py); N identical requests on "
            f"one keep-alive connection; Ir/request = (Ir(N2) - Ir(N1)) / (N2 - N1), N = {cg['n1']} and "
            f"{cg['n2']} ({cg['php_n1']} and {cg['php_n2']} with PHP). Modules: mpm_prefork, authz_core, mime; "
            f"+ headers for (e); + setenvif, headers, rewrite for the recipe; + mod_cors; + mod_php in the PHP "
            f"rows. No access log. Browser-like request headers (10) with `Origin: {PARTNER}`; the preflight asks "
            f"for PUT and three headers. (e) writes Access-Control-Allow-Origin and -Expose-Headers as constants "
            f"and merges `Vary: Origin`, with no decision at all: what httpd costs writing the headers of an "
            f"allowed request.", "",
            "| workload | " + " | ".join(CG_LABELS[c] for c in CG_COLUMNS)
            + " | (e) adds | recipe adds | mod_cors adds | mod_cors adds, % of (a) | mod_cors / (e) (added) "
              "| mod_cors / recipe (added) | in (e)'s module | in the recipe's modules | in mod_cors.so |",
            "| --- |" + " ---: |" * (len(CG_COLUMNS) + 9)]
    for key, label in CG_ROWS:
        ir = {c: runs.get(f"{key}/{c}", {}).get("ir_per_request") for c in CG_COLUMNS}
        mod = {c: runs.get(f"{key}/{c}", {}).get("module_ir_per_request") for c in "ebc"}
        added = {c: ir[c] - ir["a"] if ir["a"] and ir[c] else None for c in "ebc"}
        cor_add = added["c"]
        pct = 100 * cor_add / ir["a"] if cor_add is not None else None
        rel_e = cor_add / added["e"] if cor_add is not None and added["e"] else None
        rel_b = cor_add / added["b"] if cor_add is not None and added["b"] else None
        out.append(f"| {label} | " + " | ".join(_fmt(ir[c]) for c in CG_COLUMNS) + " | "
                   + " | ".join(_fmt(added[c]) for c in "ebc")
                   + f" | {_fmt(pct, 1, ' %')} | {_fmt(rel_e, 2)} | {_fmt(rel_b, 2)} | "
                   + " | ".join(_fmt(mod[c]) for c in "ebc") + " |")
        if key == "static":
            targets.append(("mod_cors adds <= 2 % to a static request (~870 Ir)",
                            f"{_fmt(cor_add)} Ir = {_fmt(pct, 1, ' %')} of {_fmt(ir['a'])}",
                            None if pct is None else pct <= 2.0))
            targets.append(("mod_cors adds < 1/10 of what the recipe adds (static)",
                            f"{_fmt(cor_add)} vs {_fmt(added['b'])} Ir = {_fmt(rel_b, 2)}",
                            None if rel_b is None else rel_b < 0.1))
            targets.append((t_headers, f"{_fmt(cor_add)} vs {_fmt(added['e'])} Ir = {_fmt(rel_e, 2)}",
                            None if rel_e is None else rel_e < 1.0))
            targets.append(("next: mod_cors adds <= 0.8 x what the constant headers add (static GET)",
                            f"{_fmt(cor_add)} vs {_fmt(added['e'])} Ir = {_fmt(rel_e, 2)}",
                            None if rel_e is None else rel_e <= 0.8))
        if key == "php":
            targets.append(("mod_cors adds <= 1.0 x what the constant headers add (PHP GET)",
                            f"{_fmt(cor_add)} vs {_fmt(added['e'])} Ir = {_fmt(rel_e, 2)}",
                            None if rel_e is None else rel_e <= 1.0))
    exported = runs.get("php/v", {}).get("ir_per_request")
    php_c, php_a = runs.get("php/c", {}).get("ir_per_request"), runs.get("php/a", {}).get("ir_per_request")
    if exported is not None and php_c and php_a:
        cost = exported - php_c
        out += ["", f"The PHP GET with `CORSExportEnv On` (v): {_fmt(exported)} Ir/request, {_fmt(exported - php_a)} "
                f"added to (a); the export costs {_fmt(cost)} Ir/request beyond the notes alone (c), "
                f"{_fmt(cost / (php_c - php_a) if php_c != php_a else None, 2)} x what mod_cors adds without it "
                f"(PHP copies the four variables into $_SERVER)."]
        targets.append(("CORSExportEnv On: what the export costs on a PHP GET (figure only)",
                        f"{_fmt(cost)} Ir/request (v - c)", None))
    out += variants_table(cg, targets)
    out += ["", "Instruction ratios, the user-space counterpart of part 3's throughput ratios "
            "(Ir of the other configuration / Ir of mod_cors; kernel time, large for static files, is not in them):",
            "", "| workload | c/a | c/e | c/b | c/d |", "| --- | ---: | ---: | ---: | ---: |"]
    for w, label in (("static", "static GET"), ("php", "PHP GET"), ("preflight", "preflight (PHP loaded)")):
        out.append(f"| {label} | " + " | ".join(_fmt(cg_ratio(cg, w, "c", y), 3) for y in "aebd") + " |")
    out += ["", "\"in (e)'s module\" / \"in the recipe's modules\" / \"in mod_cors.so\": instructions of the "
            "modules' hooks and filters as httpd calls them, callees included, except the rest of the output filter "
            "chain; the rest of what a configuration adds is httpd's own work for it (more response headers to "
            "check and write, one more filter to pass, hooks that decline, PHP's $_SERVER entries for the "
            "environment variables).", ""]
    for key, p in cg.get("profile", {}).items():
        incl = p.get("inclusive", {})
        if incl:
            out += [f"Where mod_cors's instructions go, {key}: inclusive Ir per request of mod_cors.so's functions "
                    f"(as `callgrind_annotate --inclusive=yes`; the second figure leaves out the rest of the output "
                    f"filter chain, which `headers_filter` passes the response to):", "", "```"]
            out += [f"{v[0]:8.0f} {v[1]:8.0f}  {short(k)}" for k, v in list(incl.items())[:16]]
            out += ["```", ""]
        out += [f"Self and calls out, {key} (Ir per request; self = in mod_cors.so's own code, calls = into "
                f"httpd/APR/libc from mod_cors.so, callees included):", "", "```"]
        for k, v in list(p["self"].items())[:14]:
            out.append(f"{v:8.0f}  self   {short(k)}")
        for k, v in list(p["calls_out"].items())[:14]:
            out.append(f"{v:8.0f}  calls  {short(k)}")
        out += ["```", ""]
    for key, rows in cg.get("delta", {}).items():
        if not key.startswith("cors/"):
            continue
        parts = key.split("/")
        than = "the constant headers (e)" if parts[-1] == "vs-e" else "no CORS (a)"
        out += [f"What mod_cors adds to {than}, {parts[1]}, function by function (self Ir per request; "
                f"outside mod_cors.so too):", "", "```"]
        out += [f"{v:+8.0f}  {short(k)}" for k, v in rows[:20]]
        out += ["```", ""]
    return out


def wrk_table(wk, targets: list, cg=None) -> list[str]:
    out = ["## 3. Throughput (wrk, loopback)", ""]
    if wk is None:
        out += ["Part 3 did not run.", ""]
        for t in ("c/a >= 0.98, static GET", "c/a >= 0.98, PHP GET", "c/b >= 1.0 on every workload",
                  "preflight: mod_cors >= the recipe", "preflight: mod_cors >= 1.8 x PHP"):
            targets.append((t, "n/a", None))
        return out
    out += [f"Same apache2 binary, MPM {wk['mpm']} with {wk['php']} loaded in every configuration, "
            f"{wk['httpd_processes']} httpd processes each; wrk -t{wk['threads']} -c{wk['connections']}, "
            f"{wk['rounds']} rounds x {wk['seconds']:g} s per case, the configurations of a workload run one after "
            f"the other in each round (order reversed every other round); medians over the rounds. "
            f"(a) no CORS, (b) the SetEnvIf + Header + RewriteRule recipe, (c) mod_cors, (d) the application "
            f"answers CORS itself (the seed's PHP code, app_cors.php). httpd CPU/request = user + system CPU "
            f"time of the server's processes during the run / requests: much less sensitive than req/s to "
            f"other work on the machine.", "",
            "| workload | config | req/s | p50 latency | p99 latency | httpd CPU per request | req/s range |",
            "| --- | --- | ---: | ---: | ---: | ---: | --- |"]
    names = {"a": "(a) no CORS", "b": "(b) recipe", "c": "(c) mod_cors", "d": "(d) PHP answers CORS"}
    wl = {"static": "static GET", "php": "PHP GET", "preflight": "preflight"}
    rounds: dict[tuple[str, str], list[dict]] = {}
    for w in ("static", "php", "preflight"):
        for label in "abcd":
            rs = wk["runs"].get(f"{w}/{label}")
            if not rs:
                continue
            rounds[(w, label)] = rs
            rps = [r["rps"] for r in rs]
            cpu = [r["cpu_us_per_request"] for r in rs if "cpu_us_per_request" in r]
            out.append(f"| {wl[w]} | {names[label]} | {_fmt(statistics.median(rps))} | "
                       f"{_fmt(statistics.median(r['p50_us'] for r in rs) / 1000, 2, ' ms')} | "
                       f"{_fmt(statistics.median(r['p99_us'] for r in rs) / 1000, 2, ' ms')} | "
                       f"{_fmt(statistics.median(cpu) if cpu else None, 0, ' us')} | "
                       f"{min(rps):,.0f} - {max(rps):,.0f} |")

    def paired(w, x, y, by_cpu=False) -> list[float]:
        """Round-by-round ratios x/y: the two ran seconds apart, under the same load.
        By CPU the ratio is y's CPU per request over x's (higher is better, as for req/s)."""
        if (w, x) not in rounds or (w, y) not in rounds:
            return []
        out_ = []
        for rx, ry in zip(rounds[(w, x)], rounds[(w, y)]):
            if by_cpu:
                if rx.get("cpu_us_per_request") and ry.get("cpu_us_per_request"):
                    out_.append(ry["cpu_us_per_request"] / rx["cpu_us_per_request"])
            elif ry["rps"]:
                out_.append(rx["rps"] / ry["rps"])
        return out_

    def ratio(w, x, y, by_cpu=False):
        rs = paired(w, x, y, by_cpu)
        return statistics.median(rs) if rs else None

    def cell(w, y, by_cpu=False):
        rs = paired(w, "c", y, by_cpu)
        return f"{statistics.median(rs):.3f} ({min(rs):.2f}-{max(rs):.2f})" if rs else ""
    out += ["", "| workload | c/a req/s | c/b req/s | c/d req/s | c/a by CPU | c/b by CPU | c/d by CPU |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for w in ("static", "php", "preflight"):
        out.append(f"| {wl[w]} | " + " | ".join(cell(w, y) for y in "abd") + " | "
                   + " | ".join(cell(w, y, True) for y in "abd") + " |")
    out += ["", "Each ratio is the median of the round-by-round ratios, with their range in brackets. "
            "\"By CPU\": the other configuration's httpd CPU per request over mod_cors's, the throughput ratio "
            "the same server would reach when CPU-bound on cores of its own.", ""]

    def measured(w, x, y):
        return (f"{_fmt(ratio(w, x, y), 3)} (by CPU {_fmt(ratio(w, x, y, True), 3)}, "
                f"by instructions {_fmt(cg_ratio(cg, w, x, y), 3)})")
    for w in ("static", "php"):
        r = ratio(w, "c", "a")
        targets.append((f"c/a >= 0.98, {wl[w]}", measured(w, "c", "a"), None if r is None else r >= 0.98))
    cb = {w: ratio(w, "c", "b") for w in ("static", "php", "preflight")}
    ok = None if None in cb.values() else all(v >= 1.0 for v in cb.values())
    targets.append(("c/b >= 1.0 on every workload",
                    ", ".join(f"{wl[w]} {measured(w, 'c', 'b')}" for w in cb), ok))
    r = ratio("preflight", "c", "b")
    targets.append(("preflight: mod_cors >= the recipe", measured("preflight", "c", "b"),
                    None if r is None else r >= 1.0))
    r = ratio("preflight", "c", "d")
    targets.append(("preflight: mod_cors >= 1.8 x PHP", measured("preflight", "c", "d"),
                    None if r is None else r >= 1.8))
    return out


def report(build: Path) -> int:
    out_dir = build / "bench"
    m = machine()
    started = os.environ.get("BENCH_STARTED", "")
    lines = ["# mod_cors benchmark report", "",
             f"`make bench` (tests/bench/run.sh {build}), {time.strftime('%Y-%m-%d %H:%M %Z')}, "
             f"mod_cors at {m['source']}. "
             f"Machine: {m['cpu']}, {m['cores']} cores; {m['httpd']}, MPM prefork; {m['php']}. "
             f"{started} Load average at the end: {' '.join(m.get('load_end', []))}. "
             "Timings are noisy when other work shares the cores; instruction counts (Ir) are not.", ""]
    targets: list = []
    lines += engine_table(_load(out_dir / "engine.json"), _load(out_dir / "engine_ir.json"), targets)
    lines += callgrind_table(_load(out_dir / "callgrind.json"), targets)
    lines += wrk_table(_load(out_dir / "wrk.json"), targets, _load(out_dir / "callgrind.json"))
    lines += maps_table(_load(out_dir / "maps.json"))
    lines += maps_scale_table(_load(out_dir / "maps_scale.json"), targets)
    lines += ["## Targets", "", "| target | measured | |", "| --- | --- | --- |"]
    lines += [f"| {t} | {v} | {_verdict(ok)} |" for t, v, ok in targets]
    met = sum(1 for *_, ok in targets if ok)
    missed = sum(1 for *_, ok in targets if ok is False)
    lines += ["", f"{met} targets met, {missed} missed, {len(targets) - met - missed} not measured "
              "(targets are reported, never enforced: the exit status only says whether every part ran).", ""]
    text = "\n".join(lines)
    (out_dir / "report.md").write_text(text)
    print(text)
    return 0


# ------------------------------------------------------------------ part 1: Ir per decision

def part_engine_ir(binary: Path, result_path: Path) -> None:
    """Instructions per cors::decide() call, counted by callgrind (deterministic, unlike
    the timings on a shared machine), with the functions they are spent in."""
    n = 2000  # decisions; the scenario's check adds one: every call is counted, all alike
    names = subprocess.run([str(binary), "--list"], capture_output=True, text=True, check=True).stdout.split()
    workdir = Path(tempfile.mkdtemp(prefix="mod_cors_bench_ir."))
    results = {}
    try:
        for name in names:
            out = workdir / "cg.out"
            r = subprocess.run(["valgrind", "--tool=callgrind", "--vgdb=no", "--toggle-collect=cors::decide(*",
                                "--compress-strings=no", "--compress-pos=no", f"--callgrind-out-file={out}",
                                str(binary), "--profile", name, str(n)],
                               capture_output=True, text=True, timeout=600)
            if r.returncode != 0:
                raise RuntimeError(f"engine_bench --profile {name} under callgrind failed:\n{r.stderr[-2000:]}")
            data = parse_callgrind(out)
            calls = n + 1
            per_fn: dict[str, float] = defaultdict(float)
            for key, ir in data["self"].items():
                per_fn[f"{key[1]} [{Path(key[0]).name}]"] += ir / calls
            top = sorted(((k, v) for k, v in per_fn.items() if v >= 1), key=lambda kv: -kv[1])[:12]
            results[name] = {"ir": data["total"] / calls, "self": top}
            print(f"  {name:32s} {results[name]['ir']:8.0f} Ir/decision", flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    result_path.write_text(json.dumps(results, indent=1))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("part", choices=["engine-ir", "callgrind", "wrk", "maps", "maps-scale", "report"])
    ap.add_argument("arg1")
    ap.add_argument("out", nargs="?")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        if args.part == "report":
            return report(Path(args.arg1))
        if not args.out:
            ap.error("OUT.json is needed")
        parts = {"engine-ir": part_engine_ir, "callgrind": part_callgrind, "wrk": part_wrk, "maps": part_maps,
                 "maps-scale": part_maps_scale}
        parts[args.part](Path(args.arg1), Path(args.out))
    except Exception as e:  # noqa: BLE001 - reported, and the part counts as failed
        print(f"bench.py {args.part}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
