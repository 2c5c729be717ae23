"""httpd in single-process mode (apache2 -X) under valgrind memcheck, running one
integration group (tests/integration/test_origins.py) and the hostile requests of this
suite, with prefork + mod_php: no memcheck error and no definite leak with a mod_cors
frame in its stack. Noise from PHP is suppressed (valgrind.supp); other errors without a
mod_cors frame are reported, not failed on."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from conftest import HERE, report
from harness import REPO_ROOT, module_path

WRAPPER = HERE / "valgrind-apache2"
OUR_FRAME = re.compile(r"mod_cors\.so|mod_cors\.cpp|cors::|\b(decision|origin|pattern|rules)\.(cpp|hpp):")
FRAME = re.compile(r"^==\d+==\s+(at|by) ")

pytestmark = pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind is not installed")

GROUPS = [
    ("integration test_origins", REPO_ROOT / "tests" / "integration" / "test_origins.py"),
    ("hardening test_hostile_requests", HERE / "test_hostile_requests.py"),
]


def error_blocks(log: str) -> list:
    """memcheck's error and leak records: lists of lines, the message first, then its frames."""
    blocks, current = [], []
    for line in log.splitlines():
        body = re.sub(r"^==\d+==", "", line)
        if not body.strip():
            if current:
                blocks.append(current)
            current = []
        elif current or re.match(r"^ (?! )", body):
            current.append(line)
    if current:
        blocks.append(current)
    return [b for b in blocks if any(FRAME.match(l) for l in b[1:])]


def ours(blocks: list) -> list:
    return [b for b in blocks if any(OUR_FRAME.search(l) for l in b if FRAME.match(l))]


def test_log_parser_finds_module_frames():
    log = """==1== Memcheck, a memory error detector
==1== 
==1== Invalid read of size 1
==1==    at 0x4C: cors::parse_origin(std::basic_string_view<char>, cors::Origin&) (origin.cpp:141)
==1==    by 0x4D: decide_request (mod_cors.cpp:480)
==1== 
==1== Conditional jump or move depends on uninitialised value(s)
==1==    at 0x54: ap_run_post_config (in /usr/sbin/apache2)
==1== 
==1== 16 bytes in 1 blocks are definitely lost in loss record 1 of 2
==1==    at 0x48: malloc (vg_replace_malloc.c:381)
==1==    by 0x49: ??? (in /usr/lib/apache2/modules/mod_cors.so)
==1== 
==1== ERROR SUMMARY: 3 errors from 3 contexts (suppressed: 0 from 0)
"""
    blocks = error_blocks(log)
    assert len(blocks) == 3
    assert [b[0].split("== ", 1)[1][:12] for b in ours(blocks)] == ["Invalid read", "16 bytes in "]


def run_group_under_valgrind(test_file: Path, log_dir: Path) -> str:
    env = dict(os.environ, APACHE2=str(WRAPPER), VALGRIND_LOG_DIR=str(log_dir),
               MOD_CORS_SO=str(module_path()),
               PYTHONPATH=os.pathsep.join([str(HERE), str(test_file.parent), str(HERE.parent / "integration"), str(HERE.parent / "lib")]))
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "valgrind_plugin",
                           "-k", "prefork", str(test_file)],
                          cwd=str(test_file.parent), env=env, capture_output=True, text=True, timeout=420)
    lines = done.stdout.strip().splitlines()
    return lines[-1] if lines else done.stderr[-500:]


def test_integration_groups_under_valgrind_have_no_module_error():
    log_dir = Path(tempfile.mkdtemp(prefix="mod_cors_valgrind_"))
    log_dir.chmod(0o777)
    summaries = []
    for name, test_file in GROUPS:
        summaries.append(f"{name} (prefork + mod_php, -X): {run_group_under_valgrind(test_file, log_dir)}")

    logs = sorted(log_dir.glob("valgrind.*.log"))
    assert logs, f"valgrind wrote no log; {summaries}"
    texts = [p.read_text(errors="replace") for p in logs]
    finished = [t for t in texts if "ERROR SUMMARY" in t]
    blocks = [b for t in texts for b in error_blocks(t)]
    module_blocks = ours(blocks)
    totals = [re.search(r"ERROR SUMMARY: (\d+) errors from \d+ contexts \(suppressed: (\d+)", t) for t in finished]
    lost = [re.search(r"definitely lost: ([\d,]+) bytes", t) for t in finished]
    report(f"valgrind: {len(logs)} httpd runs, {len(finished)} finished with a report; memcheck errors "
           f"{sum(int(m[1]) for m in totals if m)} (suppressed PHP noise {sum(int(m[2]) for m in totals if m)}); "
           f"definitely lost {'+'.join(m[1] for m in lost if m) or '?'} bytes; records with a mod_cors frame: "
           f"{len(module_blocks)}")
    for s in summaries:
        report(f"valgrind: {s}")
    for b in blocks[:5]:
        report("valgrind record: " + " | ".join(l.split("== ", 1)[-1].strip() for l in b[:6]))

    assert len(finished) == len(logs), f"a valgrind run ended without its report: {[str(p) for p in logs]}"
    assert all(re.search(r"\b\d+ passed", s) for s in summaries), summaries
    assert not module_blocks, "\n\n".join("\n".join(b) for b in module_blocks[:5])
    shutil.rmtree(log_dir, ignore_errors=True)
