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

from harness import KEEP_DIRS, MariaDB, Response, ServerSpec, assert_allowed, assert_refused, unique_id  # noqa: E402
from httpd_fixtures import start_server  # noqa: E402,F401

pytest_plugins = ["httpd_fixtures"]

# Error-log lines at warn or above these applications and their policies log on purpose (the
# error-log oracle of tests/lib/httpd_fixtures.py fails a test on any other): the start-up
# warning of a policy allowing http:// origins with credentials (the test world is plain http),
# DokuWiki's own PHP warning in its remote API. Tests that provoke an error declare it themselves.
APPS_EXPECTED_LOG = (r"\[cors:warn\] .*CORS00401: CORSAllowOrigin http://\S+ allows http://\S+ with credentials",
                     r"PHP Warning: .*dokuwiki/inc/Remote/Api\.php")
WP_FATAL_LOG = r"PHP Fatal error: .*mod_cors_tests_undefined_function"   # the suite's mu-plugin


def pytest_collection_modifyitems(items):
    for item in items:
        item.add_marker(pytest.mark.expect_log(*APPS_EXPECTED_LOG))

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
    if Path(path) not in _watched:
        _watched.append(Path(path))


def app_server(request, body: str, policy: bool, **spec):
    """httpd serving one application's `body` (mod_cors loaded when `policy`, none of the
    harness's own app folders), its error log watched. `spec`: more ServerSpec fields."""
    srv = start_server(request, ServerSpec(app_dirs=(), load_cors=policy, body=body, **spec))
    watch_log(srv.error_log_path)
    return srv


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


def copy_app(source: str, dest: Path) -> None:
    """A copy of an application folder. Symbolic links into Debian's read-only files are kept
    (those with a relative target, like ../../../javascript/..., made absolute so that they
    still reach them from the copy); links into /etc or /var (WordPress's .htaccess is a link
    to /etc/wordpress/htaccess, which WordPress rewrites when it saves its permalinks) are
    replaced by copies of what they point at, so that nothing the application writes goes
    through to the system's files."""
    shutil.copytree(source, dest, symlinks=True)
    for link in [p for p in dest.rglob("*") if p.is_symlink()]:
        original = Path(source) / link.relative_to(dest)
        target = (original.parent / link.readlink()).resolve()
        link.unlink()
        if target.parts[1:2] in (("etc",), ("var",)):
            if target.is_dir():
                shutil.copytree(target, link, symlinks=False)
            elif target.exists():
                shutil.copy(target, link)
        else:
            link.symlink_to(target)


# What the suite must never write: the applications' files in /etc and /var/lib (read at most).
SYSTEM_FILES = ("/etc/wordpress", "/etc/dokuwiki", "/etc/phpmyadmin", "/etc/mediawiki", "/var/lib/wordpress",
                "/var/lib/dokuwiki", "/var/lib/phpmyadmin", "/var/lib/mediawiki", "/usr/share/wordpress",
                "/usr/share/dokuwiki", "/usr/share/phpmyadmin", "/usr/share/mediawiki")


def system_files() -> dict:
    """(size, mtime) of every file under SYSTEM_FILES (links not followed)."""
    found = {}
    for top in SYSTEM_FILES:
        for path in Path(top).rglob("*") if Path(top).is_dir() else []:
            try:
                st = path.lstat()
            except OSError:
                continue
            found[str(path)] = (st.st_size, st.st_mtime_ns)
    return found


SYSTEM_FILES_AT_START = system_files()


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


class AppFolder:
    """The temp folder of one application of the suite, with the `reached.log` that the
    application's own start-up code writes one line per request to."""

    def __init__(self, prefix: str):
        self.base = Path(tempfile.mkdtemp(prefix=prefix))
        self.base.chmod(0o755)
        self.reached_log = self.base / "reached.log"

    def clear_reached(self) -> None:
        """An empty `reached.log` that PHP (www-data) may write to."""
        self.reached_log.write_text("")
        self.reached_log.chmod(0o666)

    def reached(self, marker: str) -> list:
        """'METHOD URI ORIGIN' of the requests with `marker` in their URI that reached the application."""
        return [l for l in self.reached_log.read_text().splitlines() if marker in l]

    def remove(self) -> None:
        if not KEEP_DIRS:
            shutil.rmtree(self.base, ignore_errors=True)


class WordPress(AppFolder):
    """Debian's WordPress copied to a temp folder (the package's wp-config.php reads
    /etc/wordpress/config-<host>.php; the copy gets a wp-config.php of its own), installed on
    the suite's MariaDB, with the must-use plugin of tests/apps/wordpress. One installation,
    shared by every httpd of the session: home and siteurl follow the Host asked for."""

    def __init__(self, db: MariaDB):
        super().__init__("mod_cors_wp_")
        self.root = self.base / "wordpress"
        copy_app("/usr/share/wordpress", self.root)
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
        self.clear_reached()
        shutil.chown(self.root / "wp-content" / "uploads", "www-data", "www-data")
        for path in (self.root / "wp-content" / "uploads").rglob("*"):
            shutil.chown(path, "www-data", "www-data")
        self.htaccess = (self.root / ".htaccess").read_text()


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


def php_string(value) -> str:
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


REACHED_PHP = """file_put_contents({log}, sprintf("%s %s %s\\n", $_SERVER['REQUEST_METHOD'] ?? 'CLI',
    $_SERVER['REQUEST_URI'] ?? '-', $_SERVER['HTTP_ORIGIN'] ?? '-'), FILE_APPEND | LOCK_EX);
"""


class AppCopy(AppFolder):
    """A throw-away copy of an application Debian installs under /usr/share (symbolic links
    kept as they are: they point at Debian's read-only files), with a `reached.log` that the
    application's own start-up code writes one line per request to."""

    def __init__(self, source: str, name: str):
        super().__init__(f"mod_cors_{name}_")
        self.root = self.base / name
        copy_app(source, self.root)
        self.clear_reached()

    def writable(self, path: Path) -> Path:
        path.mkdir(parents=True, exist_ok=True)
        for p in [path, *path.rglob("*")]:
            shutil.chown(p, "www-data", "www-data")
        return path


class DokuWiki(AppCopy):
    """Debian's DokuWiki (2022-07-31 "Igor") copied, with its configuration (Debian keeps it in
    /etc/dokuwiki, read here, never written) and its data (/var/lib/dokuwiki/data) copied next
    to it. inc/preload.php, the file Debian itself uses to move the configuration out, points
    DokuWiki at the copy and writes the reached line. The remote API (XML-RPC) is on, for the
    `admin` group, with DokuWiki's own CORS setting `remotecors` = '*'."""

    USERS = {"admin": "admin-password-24", "editor": "editor-password-24"}

    def __init__(self):
        super().__init__("/usr/share/dokuwiki", "dokuwiki")
        conf, data = self.base / "conf", self.base / "data"
        conf.mkdir()
        for item in Path("/etc/dokuwiki").iterdir():
            if item.is_file() and not item.is_symlink() and item.suffix in (".php", ".conf", ".css", ".json"):
                shutil.copy(item, conf / item.name)
        shutil.copytree("/var/lib/dokuwiki/data", data, symlinks=True)
        (conf / "local.php").write_text(f"""<?php
$conf['title'] = 'mod_cors wiki';
$conf['savedir'] = {php_string(data)};
$conf['useacl'] = 1;
$conf['superuser'] = '@admin';
$conf['remote'] = 1;
$conf['remoteuser'] = '@admin';
$conf['remotecors'] = '*';
$conf['updatecheck'] = 0;
$conf['dnslookups'] = 0;
$conf['userewrite'] = 0;
""")
        (conf / "acl.auth.php").write_text("# acl\n*\t@ALL\t1\n*\t@user\t8\n")
        hashes = subprocess.run(["php", "-r", "foreach (array_slice($argv, 1) as $p) echo password_hash($p, PASSWORD_BCRYPT), \"\\n\";",
                                 *self.USERS.values()], capture_output=True, text=True, check=True).stdout.split()
        (conf / "users.auth.php").write_text("".join(
            f"{u}:{h}:{u.title()}:{u}@example.invalid:{'admin,user' if u == 'admin' else 'user'}\n"
            for u, h in zip(self.USERS, hashes)))
        self.writable(conf)
        self.writable(data)
        (self.root / ".htaccess").unlink(missing_ok=True)
        preload = self.root / "inc" / "preload.php"
        preload.unlink()
        preload.write_text(f"""<?php
// The suite's preload (Debian's reads /etc/dokuwiki/): the configuration of the copy, and one
// line per request that reaches DokuWiki.
if (!defined('DOKU_CONF')) define('DOKU_CONF', {php_string(str(conf) + '/')});
if (!defined('DOKU_FARM')) define('DOKU_FARM', false);
ini_set('session.save_path', {php_string(self.writable(self.base / "sessions"))});
if (!defined('MOD_CORS_REACHED')) {{
    define('MOD_CORS_REACHED', 1);
    {REACHED_PHP.format(log=php_string(self.reached_log))}}}
""")


@pytest.fixture(scope="session")
def dokuwiki():
    wiki = DokuWiki()
    yield wiki
    wiki.remove()


def xmlrpc(method: str, *params: str) -> bytes:
    args = "".join(f"<param><value><string>{p}</string></value></param>" for p in params)
    return (f"<?xml version=\"1.0\"?><methodCall><methodName>{method}</methodName>"
            f"<params>{args}</params></methodCall>").encode()


class PhpMyAdmin(AppCopy):
    """Debian's phpMyAdmin 5.2 copied; libraries/vendor_config.php (where Debian points it at
    /etc/phpmyadmin and /var/lib/phpmyadmin) replaced by one pointing at the copy's own
    config.inc.php and temp folder. Cookie login on the suite's MariaDB, user `pma`.
    config.inc.php, read on every request, writes the reached line."""

    USER, PASSWORD = "pma", "pma-db-password"

    def __init__(self, db: MariaDB):
        super().__init__("/usr/share/phpmyadmin", "phpmyadmin")
        tmp = self.writable(self.base / "tmp")
        self.sessions = self.writable(self.base / "sessions")
        config = self.base / "config.inc.php"
        vendor = self.root / "libraries" / "vendor_config.php"
        text = vendor.read_text()
        text = text.replace("'/var/lib/phpmyadmin/tmp/'", php_string(str(tmp) + "/"))
        text = text.replace("'/etc/phpmyadmin/config.inc.php'", php_string(config))
        assert str(config) in text and str(tmp) in text, "vendor_config.php changed shape"
        vendor.unlink()
        vendor.write_text(text)
        config.write_text(f"""<?php
{REACHED_PHP.format(log=php_string(self.reached_log))}
$cfg['blowfish_secret'] = 'mod_cors tests: 32 bytes or more of secret';
$cfg['Servers'][1]['auth_type'] = 'cookie';
$cfg['Servers'][1]['host'] = 'localhost';
$cfg['Servers'][1]['connect_type'] = 'socket';
$cfg['Servers'][1]['socket'] = {php_string(db.socket)};
$cfg['Servers'][1]['AllowNoPassword'] = false;
$cfg['TempDir'] = {php_string(tmp)};
$cfg['VersionCheck'] = false;
$cfg['SendErrorReports'] = 'never';
$cfg['ShowGitRevision'] = false;
""")
        config.chmod(0o644)
        db.sql(f"CREATE USER '{self.USER}'@'localhost' IDENTIFIED BY '{self.PASSWORD}'; "
               f"GRANT SELECT, SHOW DATABASES ON *.* TO '{self.USER}'@'localhost';")


@pytest.fixture(scope="session")
def phpmyadmin(mariadb):
    pma = PhpMyAdmin(mariadb)
    yield pma
    pma.remove()


class MediaWiki(AppFolder):
    """Debian's MediaWiki 1.39 run in place from /usr/share/mediawiki (read only), installed
    with its own maintenance/install.php on SQLite into a temp folder; MW_CONFIG_FILE (set by
    a php auto_prepend_file) points it at that folder's LocalSettings.php instead of Debian's
    /var/lib/mediawiki one. MediaWiki's own CORS setting: $wgCrossSiteAJAXdomains, here
    '*.example.test' as a site would allow its own subdomains."""

    SOURCE = Path("/usr/share/mediawiki")
    ADMIN, PASSWORD = "Admin", "admin-password-24"

    def __init__(self):
        super().__init__("mod_cors_mediawiki_")
        conf, data, cache = self.base / "conf", self.base / "data", self.base / "cache"
        for d in (conf, data, cache):
            d.mkdir()
        self.clear_reached()
        done = subprocess.run(["php", str(self.SOURCE / "maintenance" / "install.php"), "--dbtype", "sqlite",
                               "--dbpath", str(data), "--dbname", "wiki", "--server", "http://127.0.0.1",
                               "--scriptpath", "/w", "--pass", self.PASSWORD, "--confpath", str(conf),
                               "--lang", "en", "mod_cors wiki", self.ADMIN],
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"MediaWiki install failed:\n{done.stdout}\n{done.stderr}"
        self.settings = conf / "LocalSettings.php"
        with open(self.settings, "a") as f:
            f.write(f"""
# The suite's additions: the site is where the request was sent; no uploads, no outside calls.
$wgServer = 'http://' . preg_replace('/[^A-Za-z0-9.:\\[\\]-]/', '', $_SERVER['HTTP_HOST'] ?? '127.0.0.1');
$wgCacheDirectory = {php_string(cache)};
$wgEnableUploads = false;
$wgMainCacheType = CACHE_NONE;
$wgPingback = false;
$wgCrossSiteAJAXdomains = ['*.example.test'];
{REACHED_PHP.format(log=php_string(self.reached_log))}""")
        for p in [data, cache, *data.rglob("*")]:
            shutil.chown(p, "www-data", "www-data")
        self.prepend = self.base / "prepend.php"
        self.prepend.write_text(f"<?php\ndefine('MW_CONFIG_FILE', {php_string(self.settings)});\n")


@pytest.fixture(scope="session")
def mediawiki():
    wiki = MediaWiki()
    yield wiki
    wiki.remove()
