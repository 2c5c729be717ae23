"""Fixtures shared by the integration tests: php-fpm, the proxy backend, the core servers."""
import pytest

from harness import Backend, Httpd, PhpFpm, ServerSpec, module_path
import policies

MPMS = ["prefork", "event"]              # the core policy checks run under both
MPM_IDS = {"prefork": "prefork-mod_php", "event": "event-php_fpm", "worker": "worker-php_fpm"}


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


@pytest.fixture(scope="session")
def cors_module():
    path = module_path()
    assert path.is_file(), f"mod_cors.so not built: {path} (set MOD_CORS_SO or run make)"
    return path


def start_server(request, spec: ServerSpec, backend=None) -> Httpd:
    """Starts httpd for `spec` (php-fpm too when the spec needs it); stopped at teardown."""
    fpm = request.getfixturevalue("php_fpm") if spec.php == "fpm" else None
    srv = Httpd(spec, fpm=fpm, backend=backend)
    request.addfinalizer(srv.stop)
    return srv.start()


@pytest.fixture(scope="session", params=MPMS, ids=MPM_IDS.get)
def core(request, backend, cors_module):
    """httpd with the core policies, under prefork + mod_php and under event + php-fpm."""
    return start_server(request, policies.core_spec(request.param), backend)


@pytest.fixture
def make_server(request, cors_module):
    """Factory: make_server(spec, start=True) -> Httpd, stopped and removed after the test."""
    def make(spec: ServerSpec, start: bool = True) -> Httpd:
        if start:
            return start_server(request, spec)
        srv = Httpd(spec)
        request.addfinalizer(srv.stop)
        return srv
    return make
