"""Fixtures of the integration suite: the shared ones (tests/lib/httpd_fixtures.py), and
the core servers."""

import pytest

from harness import MPM_IDS  # noqa: E402,F401
from httpd_fixtures import start_server  # noqa: E402
import policies  # noqa: E402

pytest_plugins = ["httpd_fixtures"]

MPMS = ["prefork", "event"]              # the core policy checks run under both


@pytest.fixture(scope="session", params=MPMS, ids=MPM_IDS.get)
def core(request, backend, cors_module):
    """httpd with the core policies, under prefork + mod_php and under event + php-fpm."""
    return start_server(request, policies.core_spec(request.param), backend)
