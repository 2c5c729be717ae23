"""Fixtures of the hardening suite: the shared ones (tests/lib/httpd_fixtures.py, with the
crash check after every test) and the suite's report file."""
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
from harness import CRASH_SIGNS, MPM_IDS, PHP_FOR_MPM, Httpd, figures_report  # noqa: E402,F401
from httpd_fixtures import start_server  # noqa: E402,F401

pytest_plugins = ["httpd_fixtures"]

MPMS = ["prefork", "event"]

# Figures the suite reports (times, soak counts, valgrind), which run.sh prints before its
# summary line.
report = figures_report("HARDENING_REPORT", "/tmp/mod_cors_hardening_report.txt")


def assert_no_crash(srv: Httpd) -> None:
    """No child crashed and the module never caught an exception."""
    log = srv.error_log()
    for sign in CRASH_SIGNS:
        assert sign not in log, f"{sign!r} in the error log:\n{log[-3000:]}"
