"""Fixtures of the integration suite: the shared ones (tests/lib/httpd_fixtures.py), and
the core servers."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))

from httpd_fixtures import start_server  # noqa: E402
import policies  # noqa: E402

pytest_plugins = ["httpd_fixtures"]

MPMS = ["prefork", "event"]              # the core policy checks run under both
MPM_IDS = {"prefork": "prefork-mod_php", "event": "event-php_fpm", "worker": "worker-php_fpm"}


@pytest.fixture(scope="session", params=MPMS, ids=MPM_IDS.get)
def core(request, backend, cors_module):
    """httpd with the core policies, under prefork + mod_php and under event + php-fpm."""
    return start_server(request, policies.core_spec(request.param), backend)
