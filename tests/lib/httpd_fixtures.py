"""The pytest fixtures every server suite shares (loaded with `-p httpd_fixtures`).

- cors_module: the mod_cors.so under test; php_fpm and backend: one per session;
- make_server(spec, start=True): an Httpd stopped and removed after the test;
- after every test, the error logs of every server the suite started are read for a
  crashed child or an exception the module caught: one such line fails the test;
- the error log as an oracle (as httpd's pyhttpd does): after every test, every line a
  server of the suite logged at warn or above since the last test fails it, unless it was
  declared expected: for the whole life of a server in its spec (ServerSpec.expect_log), or
  by the test, with the marker

      @pytest.mark.expect_log("CORS00123", r"AH01071: Got error 'PHP message: PHP Fatal")

  or, from inside the test (a parametrised case, say), with the `expect_log` fixture:
  expect_log("CORS00123"). A pattern is a log id (the module's CORS_LOGNO ids, httpd's
  AHnnnnn), matched as "ID:", or a regular expression searched in the line.
"""
import pytest

from harness import (Backend, Httpd, PhpFpm, ServerSpec, log_matcher, module_path, take_crash_reports,
                     take_log_reports, vanished_servers)


def pytest_configure(config):
    config.addinivalue_line("markers", "expect_log(*patterns): error-log lines at warn or above the test "
                                       "provokes on purpose (log ids or regular expressions)")


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


@pytest.fixture(scope="session")
def backend():
    server = Backend().start()
    yield server
    server.stop()


def start_server(request, spec: ServerSpec, backend=None) -> Httpd:
    """Starts httpd for `spec` (with the session's php-fpm when needed); stopped at teardown."""
    srv = new_server(request, spec, backend)
    return srv.start()


def new_server(request, spec: ServerSpec, backend=None) -> Httpd:
    fpm = request.getfixturevalue("php_fpm") if spec.php == "fpm" else None
    srv = Httpd(spec, fpm=fpm, backend=backend)
    request.addfinalizer(srv.stop)
    return srv


@pytest.fixture
def make_server(request, cors_module):
    """Factory: make_server(spec, start=True, backend=None) -> Httpd, removed after the test."""
    def make(spec: ServerSpec, start: bool = True, backend=None) -> Httpd:
        srv = new_server(request, spec, backend)
        return srv.start() if start else srv
    return make


@pytest.fixture(autouse=True)
def no_crashed_child():
    """Every test: no server of the suite logged a crashed child while it ran."""
    take_crash_reports()
    yield
    crashes = take_crash_reports()
    assert not crashes, "a child crashed or the module caught an exception:\n" + "\n".join(crashes[:20])


@pytest.fixture(autouse=True)
def no_vanished_server():
    """Every test: no running server of the suite lost its folder (another process removed
    it) while it ran: its 403s are then no answer of the module."""
    yield
    gone = vanished_servers()
    assert not gone, "\n".join(gone)


@pytest.fixture
def expect_log(request):
    """expect_log(*patterns): declares lines at warn or above the running test provokes."""
    declared = request.node.__dict__.setdefault("expected_log_lines", [])
    return lambda *patterns: declared.extend(patterns)


@pytest.fixture(autouse=True)
def error_log_oracle(request):
    """Every test: no server of the suite logged a line at warn or above it did not declare.
    Lines logged while the test's servers started count for it (their start-up warnings)."""
    yield
    declared = [p for marker in request.node.iter_markers("expect_log") for p in marker.args]
    declared += request.node.__dict__.get("expected_log_lines", [])
    matches = log_matcher(declared)
    lines = [f"{srv.root.name}: {line}" for srv, line in take_log_reports() if not matches(line)]
    assert not lines, ("error-log lines at warn or above that the test did not declare "
                       "(pytest.mark.expect_log, the expect_log fixture, ServerSpec.expect_log):\n"
                       + "\n".join(lines[:20]))


def pytest_sessionfinish(session, exitstatus):
    """Servers stopped after the last test (session and module fixtures) are read here: an
    undeclared line fails the run (its exit status; the JUnit report names no test)."""
    lines = [f"{srv.root.name}: {line}" for srv, line in take_log_reports()]
    if lines:
        print("\nerror-log lines at warn or above logged after the last test:\n" + "\n".join(lines[:20]))
        session.exitstatus = 1
