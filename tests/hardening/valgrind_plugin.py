"""pytest plugin (-p valgrind_plugin) for running integration tests with httpd under
valgrind: longer start and stop timeouts for the harness, so that valgrind has the time
to start httpd and to write its leak report at exit."""
import signal

import harness

harness.START_TIMEOUT = 180
_stop_process = harness.stop_process


def _patient_stop(proc, sig=signal.SIGTERM, timeout=None):
    return _stop_process(proc, sig, 180)


harness.stop_process = _patient_stop
