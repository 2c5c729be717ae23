"""Fixtures of the origin-map suite: the shared ones (tests/lib/httpd_fixtures.py)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))

pytest_plugins = ["httpd_fixtures"]
