"""Fixtures of the hardening suite: the shared ones (tests/lib/httpd_fixtures.py, with the
crash check after every test) and the suite's report file."""
import os
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "lib"))

from harness import CRASH_SIGNS, Httpd  # noqa: E402
from httpd_fixtures import start_server  # noqa: E402,F401

pytest_plugins = ["httpd_fixtures"]

# Under prefork PHP runs as mod_php; under the threaded event MPM through php-fpm.
PHP_FOR_MPM = {"prefork": "mod_php", "event": "fpm"}
MPMS = ["prefork", "event"]
MPM_IDS = {"prefork": "prefork-mod_php", "event": "event-php_fpm"}

# Figures the suite reports (times, soak counts, valgrind): appended to this file,
# which run.sh prints before its summary line.
REPORT = Path(os.environ.get("HARDENING_REPORT", "/tmp/mod_cors_hardening_report.txt"))


def report(line: str) -> None:
    with open(REPORT, "a") as f:
        f.write(line.rstrip("\n") + "\n")


def assert_no_crash(srv: Httpd) -> None:
    """No child crashed and the module never caught an exception."""
    log = srv.error_log()
    for sign in CRASH_SIGNS:
        assert sign not in log, f"{sign!r} in the error log:\n{log[-3000:]}"
