"""Fixtures of the origin-map suite: the shared ones (tests/lib/httpd_fixtures.py)."""

pytest_plugins = ["httpd_fixtures"]
