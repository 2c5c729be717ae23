"""Runs last: the applications' files that Debian installed under /etc, /var/lib and
/usr/share are as they were before the suite (the suite reads them, runs copies, and writes
only to its temp folders)."""
from conftest import SYSTEM_FILES_AT_START, system_files


def test_debian_files_of_the_applications_untouched():
    now = system_files()
    changed = sorted(p for p in set(now) | set(SYSTEM_FILES_AT_START) if now.get(p) != SYSTEM_FILES_AT_START.get(p))
    assert not changed, f"changed, added or removed by the suite: {changed[:20]}"
