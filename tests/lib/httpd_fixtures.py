"""The pytest fixtures every server suite shares (loaded with `-p httpd_fixtures`).

- cors_module: the mod_cors.so under test; php_fpm and backend: one per session;
- make_server(spec, start=True): an Httpd stopped and removed after the test;
- after every test, the error logs of every server the suite started are read for a
  crashed child or an exception the module caught: one such line fails the test.
"""
import pytest

from harness import Backend, Httpd, PhpFpm, ServerSpec, module_path, take_crash_reports


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
