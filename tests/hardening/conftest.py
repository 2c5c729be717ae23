"""Fixtures of the hardening suite. It reuses the integration harness (throw-away httpd,
php-fpm and backend instances on 127.0.0.1) by importing it from tests/integration."""
import os
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(1, str(HERE.parent / "integration"))

from harness import Httpd, PhpFpm, ServerSpec, module_path  # noqa: E402

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


@pytest.fixture(scope="session")
def cors_module():
    path = module_path()
    assert path.is_file(), f"mod_cors.so not built: {path} (set MOD_CORS_SO or run make)"
    return path


@pytest.fixture(scope="session")
def php_fpm():
    fpm = PhpFpm().start()
    yield fpm
    fpm.stop()


def start_server(request, spec: ServerSpec, backend=None) -> Httpd:
    """Starts httpd for `spec` (with the session's php-fpm when needed); stopped at teardown."""
    fpm = request.getfixturevalue("php_fpm") if spec.php == "fpm" else None
    srv = Httpd(spec, fpm=fpm, backend=backend)
    request.addfinalizer(srv.stop)
    return srv.start()


@pytest.fixture
def make_server(request, cors_module):
    """Factory: make_server(spec, start=True) -> Httpd, stopped and removed after the test."""
    def make(spec: ServerSpec, start: bool = True) -> Httpd:
        if start:
            return start_server(request, spec)
        fpm = request.getfixturevalue("php_fpm") if spec.php == "fpm" else None
        srv = Httpd(spec, fpm=fpm)
        request.addfinalizer(srv.stop)
        return srv
    return make


CRASH_SIGNS = ("Segmentation fault", "exit signal", "AH00052", "double free", "AddressSanitizer",
               "CORS decision failed", "could not set the CORS headers", "terminate called")


def assert_no_crash(srv: Httpd) -> None:
    """No child crashed and the module never caught an exception."""
    log = srv.error_log()
    for sign in CRASH_SIGNS:
        assert sign not in log, f"{sign!r} in the error log:\n{log[-3000:]}"
