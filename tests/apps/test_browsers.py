"""WordPress in headless browsers: every engine tests/browser/lib/engines.mjs offers (Debian's
chromium and firefox-esr today). A partner page (http://partner.example.test:PORT), whose
browser is logged in to WordPress (http://blog.example.test:PORT, a sibling subdomain: the
login cookie is sent along), calls the REST API with credentials: 'include' and the nonce:
reads the post list and X-WP-Total, its user, creates a draft. A stranger page
(http://evil.example.test:PORT, the cookie sent along too) gets nothing: every fetch fails in
the page, and none of its requests reached WordPress.
"""
import json
import subprocess
from pathlib import Path

import pytest

from conftest import start_server, watch_log
from harness import ServerSpec, free_port, unique_id
from test_wordpress import wp_body

HERE = Path(__file__).resolve().parent
BROWSER_DIR = HERE.parent / "browser"


def engine_names() -> list:
    """The engines engines.mjs offers (its ENGINES list if it has one, else EXECUTABLES' keys)."""
    done = subprocess.run(["node", "--input-type=module", "-e",
                           "import * as e from './lib/engines.mjs';"
                           "console.log(JSON.stringify(e.ENGINES ?? Object.keys(e.EXECUTABLES)))"],
                          cwd=BROWSER_DIR, capture_output=True, text=True, timeout=60)
    return json.loads(done.stdout) if done.returncode == 0 else ["engines.mjs-unreadable"]


@pytest.fixture(scope="module")
def blog(request, wordpress, cors_module):
    pages = wordpress.base / "pages"
    pages.mkdir(exist_ok=True)
    (pages / "index.html").write_text("<!doctype html><title>a page calling WordPress</title><p>calls from here\n")
    for p in (pages, pages / "index.html"):
        p.chmod(0o755 if p.is_dir() else 0o644)
    # The pages' port is part of the partner's origin, so it is chosen before the configuration.
    pages_port = free_port()
    partner = f"http://partner.example.test:{pages_port}"
    body = wp_body(wordpress.root, "directory").replace("CORSAllowOrigin http://partner.example.test",
                                                         f"CORSAllowOrigin {partner}")
    assert partner in body
    body += f"""
Listen 127.0.0.1:{pages_port}
<VirtualHost 127.0.0.1:{pages_port}>
    DocumentRoot "{pages}"
    <Directory "{pages}">
        Require all granted
    </Directory>
</VirtualHost>
"""
    srv = start_server(request, ServerSpec(app_dirs=(), modules=("rewrite",), body=body))
    watch_log(srv.error_log_path)
    srv.pages_port = pages_port
    srv.wp = wordpress
    return srv


@pytest.mark.parametrize("engine", engine_names())
def test_partner_page_uses_the_rest_api_and_a_stranger_gets_nothing(blog, engine, logs):
    marker = unique_id()
    args = {"engine": engine, "blog": f"http://blog.example.test:{blog.port}",
            "partner": f"http://partner.example.test:{blog.pages_port}/",
            "stranger": f"http://evil.example.test:{blog.pages_port}/",
            "user": "admin", "password": "admin-password-24", "marker": marker}
    done = subprocess.run(["node", str(HERE / "browsers.mjs"), json.dumps(args)], capture_output=True,
                          text=True, timeout=200)
    assert done.returncode == 0, f"browsers.mjs failed ({done.returncode}):\n{done.stdout}\n{done.stderr[-3000:]}"
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(seen["nonce"]) == 10, seen
    assert any(c.startswith("wordpress_logged_in_") for c in seen["cookies"]), seen

    partner = seen["partner"]
    assert partner["list"]["status"] == 200 and partner["list"]["total"] == "3", seen
    assert partner["list"]["pages"] == "1" and "Partner news" in partner["list"]["titles"], seen
    assert partner["me"] == {"status": 200, "slug": "admin"}, seen
    assert partner["draft"]["status"] == 201 and partner["draft"]["state"] == "draft", seen

    stranger = seen["stranger"]
    for call in ("list", "me", "draft"):
        assert stranger[call] == {"error": seen["fetchError"]}, seen
    # The stranger's requests never ran in WordPress (preflights answered 403 by the module).
    reached = blog.wp.reached(marker)
    assert not [l for l in reached if "evil.example.test" in l], reached
    assert [l.split()[0] for l in reached if "partner.example.test" in l] == ["GET", "GET", "POST"], reached
