"""A graceful restart unloads and reloads mod_cors (and mod_php): the same checks pass
before and after, twice, and no child crashed."""
import pytest

from conftest import MPM_IDS, start_server
from harness import PHP_FATAL_LOG
import policies


@pytest.fixture(scope="module", params=["prefork", "event", "worker"], ids=MPM_IDS.get)
def restartable(request, backend, cors_module):
    return start_server(request, policies.core_spec(request.param), backend)


@pytest.mark.expect_log(PHP_FATAL_LOG)
def test_checks_before_restart(restartable):
    policies.smoke_checks(restartable)


@pytest.mark.expect_log(PHP_FATAL_LOG)
@pytest.mark.parametrize("round_", [1, 2])
def test_checks_after_graceful_restart(restartable, round_):
    restartable.graceful()
    policies.smoke_checks(restartable)


def test_no_crash_logged(restartable):
    log = restartable.error_log()
    for sign in ("Segmentation fault", "exit signal", "AH00052", "double free", "AddressSanitizer"):
        assert sign not in log, log[-3000:]
