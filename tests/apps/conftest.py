"""The application suite: mod_cors in front of PHP applications that nobody here wrote, from
Debian 12's own packages (WordPress, phpMyAdmin, DokuWiki, MediaWiki), each run from a
throw-away copy or with a configuration of its own in a temp folder (nothing under /etc or
/var/lib is written), on a MariaDB server the suite starts itself (tests/lib/harness.py).

Each application has a control run without mod_cors (what its own CORS code does) and runs
with the module and a partner policy. After every test, the error logs of the servers of the
module (httpd, php-fpm, mariadbd) are read: a line at warn or above that the test did not
declare with `logs.expect(pattern)` fails it.
"""
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))

from harness import (KEEP_DIRS, MariaDB, Response, assert_allowed, assert_refused,  # noqa: E402
                     http_request, unique_id)
from httpd_fixtures import start_server  # noqa: E402,F401

pytest_plugins = ["httpd_fixtures"]

HERE = Path(__file__).resolve().parent
PARTNER = "http://partner.example.test"
STRANGER = "http://evil.example.test"

# ----------------------------------------------------------------- answers


def vary_origin_once(resp: Response) -> None:
    tokens = resp.tokens_lower("Vary")
    assert tokens.count("origin") == 1, f"Vary: {resp.all('Vary')}\n{resp}"
    assert len(tokens) == len(set(tokens)), f"duplicate Vary tokens: {resp.all('Vary')}\n{resp}"


def allowed(resp: Response, origin: str = PARTNER, status: int = 200, credentials: bool = True) -> None:
    """The partner's answer: the status, exactly one ACAO (its origin), credentials, no preflight
    header on an actual answer, Vary naming Origin once."""
    assert_allowed(resp, origin, status, credentials)
    for name in ("access-control-allow-methods", "access-control-allow-headers", "access-control-max-age"):
        assert name not in dict(resp.cors_headers()), f"{name} on an actual answer (the app's own?)\n{resp}"
    vary_origin_once(resp)


def refused(resp: Response, status: int = 403) -> None:
    assert_refused(resp, status)
    assert resp.cors_headers() == [], resp
    vary_origin_once(resp)


def same_origin_untouched(resp: Response, status: int = 200) -> None:
    """A same-origin answer: what the application sent, no Access-Control-* header."""
    assert resp.status == status, resp
    assert resp.cors_headers() == [], resp


# ----------------------------------------------------------------- error logs

LEVEL = re.compile(r"\[(?:[\w.]+:)?(warn|error|crit|alert|emerg)\]|\b(WARNING|ERROR|ALERT)\b|\[(Warning|ERROR)\]")
_watched: list = []   # log files of the servers of this session (httpd, php-fpm, mariadbd)


def watch_log(path: Path) -> None:
    _watched.append(Path(path))


class Logs:
    def __init__(self):
        self.expected: list = []
        self.marks = {p: (p.stat().st_size if p.exists() else 0) for p in _watched}

    def expect(self, pattern: str) -> None:
        """A warn+ line matching `pattern` may appear during this test."""
        self.expected.append(re.compile(pattern))

    def unexpected(self) -> list:
        found = []
        for path in list(_watched):
            if not path.exists():
                continue
            with open(path, "rb") as f:
                f.seek(self.marks.get(path, 0))
                text = f.read().decode(errors="replace")
            for line in text.splitlines():
                if LEVEL.search(line) and not any(p.search(line) for p in self.expected):
                    found.append(f"{path.name}: {line}")
        return found


@pytest.fixture(autouse=True)
def logs():
    watch = Logs()
    yield watch
    extra = watch.unexpected()
    assert not extra, "unexpected lines at warn or above:\n" + "\n".join(extra[:20])


# ----------------------------------------------------------------- MariaDB and the applications


@pytest.fixture(scope="session")
def mariadb():
    db = MariaDB().start()
    watch_log(db.log)
    yield db
    db.remove()


class Cookies:
    """A minimal cookie jar (names and values, every path): what a browser would send."""

    def __init__(self):
        self.jar: dict = {}

    def take(self, resp: Response) -> None:
        for value in resp.all("Set-Cookie"):
            name, _, rest = value.partition("=")
            val = rest.split(";", 1)[0]
            if "expires=Thu, 01-Jan-1970" in value or val == "deleted":
                self.jar.pop(name.strip(), None)
            else:
                self.jar[name.strip()] = val

    def header(self) -> tuple:
        return ("Cookie", "; ".join(f"{k}={v}" for k, v in self.jar.items()))


class WordPress:
    """Debian's WordPress copied to a temp folder (the package's wp-config.php reads
    /etc/wordpress/config-<host>.php; the copy gets a wp-config.php of its own), installed on
    the suite's MariaDB, with the must-use plugin of tests/apps/wordpress. One installation,
    shared by every httpd of the session: home and siteurl follow the Host asked for."""

    def __init__(self, db: MariaDB):
        self.base = Path(tempfile.mkdtemp(prefix="mod_cors_wp_"))
        self.base.chmod(0o755)
        self.root = self.base / "wordpress"
        self.reached_log = self.base / "reached.log"
        shutil.copytree("/usr/share/wordpress", self.root, symlinks=True)
        (self.root / "wp-config.php").unlink()
        db.create_database("wordpress", "wp", "wp-db-password")
        (self.root / "wp-config.php").write_text(f"""<?php
// The suite's configuration (Debian's own wp-config.php reads /etc/wordpress/).
define('DB_NAME', 'wordpress');
define('DB_USER', 'wp');
define('DB_PASSWORD', 'wp-db-password');
define('DB_HOST', 'localhost:{db.socket}');
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
$table_prefix = 'wp_';
foreach (['AUTH_KEY', 'SECURE_AUTH_KEY', 'LOGGED_IN_KEY', 'NONCE_KEY', 'AUTH_SALT', 'SECURE_AUTH_SALT',
          'LOGGED_IN_SALT', 'NONCE_SALT'] as $k) define($k, "mod_cors tests $k " . str_repeat('x', 40));
// One installation behind several test servers: the site is where the request was sent.
$mod_cors_host = preg_replace('/[^A-Za-z0-9.:\\[\\]-]/', '', $_SERVER['HTTP_HOST'] ?? 'localhost');
define('WP_HOME', 'http://' . $mod_cors_host);
define('WP_SITEURL', 'http://' . $mod_cors_host);
define('MOD_CORS_REACHED_LOG', '{self.reached_log}');
define('DISALLOW_FILE_MODS', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('WP_HTTP_BLOCK_EXTERNAL', true);
define('DISABLE_WP_CRON', true);
define('WP_DEBUG', false);
if (!defined('ABSPATH')) define('ABSPATH', __DIR__ . '/');
require_once ABSPATH . 'wp-settings.php';
""")
        mu = self.root / "wp-content" / "mu-plugins"
        mu.mkdir()
        shutil.copy(HERE / "wordpress" / "mod-cors-tests.php", mu)
        (self.root / "wp-content" / "uploads").mkdir()
        done = subprocess.run(["php", str(HERE / "wordpress" / "install.php"), str(self.root), "localhost"],
                              capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, f"WordPress install failed:\n{done.stdout}\n{done.stderr}"
        self.reached_log.write_text("")
        self.reached_log.chmod(0o666)
        shutil.chown(self.root / "wp-content" / "uploads", "www-data", "www-data")
        for path in (self.root / "wp-content" / "uploads").rglob("*"):
            shutil.chown(path, "www-data", "www-data")
        self.htaccess = (self.root / ".htaccess").read_text()

    def reached(self, marker: str) -> list:
        """'METHOD URI ORIGIN' of the requests with `marker` in their URI that reached WordPress."""
        return [l for l in self.reached_log.read_text().splitlines() if marker in l]

    def remove(self) -> None:
        if not KEEP_DIRS:
            shutil.rmtree(self.base, ignore_errors=True)


@pytest.fixture(scope="session")
def wordpress(mariadb):
    wp = WordPress(mariadb)
    yield wp
    wp.remove()


def wp_login(srv, user: str = "admin", password: str = "admin-password-24", origin=None) -> Cookies:
    """Logs in through wp-login.php as a browser does (the test cookie first); returns the jar."""
    jar = Cookies()
    jar.jar["wordpress_test_cookie"] = "WP%20Cookie%20check"
    body = f"log={user}&pwd={password}&wp-submit=Log+In&testcookie=1&redirect_to=%2Fwp-admin%2F".encode()
    r = srv.request("POST", "/wp-login.php", origin, headers=[
        ("Content-Type", "application/x-www-form-urlencoded"), jar.header()], body=body)
    assert r.status == 302, r
    jar.take(r)
    assert any(k.startswith("wordpress_logged_in_") for k in jar.jar), r
    return jar


def rest_nonce(srv, jar: Cookies) -> str:
    r = srv.get("/wp-admin/admin-ajax.php?action=rest-nonce", headers=[jar.header()])
    assert r.status == 200 and re.fullmatch(r"[0-9a-f]{10}", r.text), r
    return r.text


@pytest.fixture
def rid():
    return unique_id()
