"""A legacy mod_headers recipe left in the server configuration (Header always set
Access-Control-Allow-Origin "*", ...-Allow-Methods, Header always merge Vary Origin): guards
against two Access-Control-Allow-Origin answers (browsers refuse both), preflight headers on
actual answers, a doubled Vary, and against the module touching scopes it is not enabled in."""
import pytest

from conftest import APP, APP_POLICY, PARTNER_A, STRANGER, assert_allowed_actual, refused, start_server
from harness import ServerSpec

BODY = f"""
Header always set Access-Control-Allow-Origin "*"
Header always set Access-Control-Allow-Methods "GET, POST, OPTIONS"
Header always set Access-Control-Allow-Headers "Content-Type, Authorization"
Header always merge Vary Origin

Alias "/old/" "${{IT_HTDOCS}}/app/"

{APP_POLICY}
"""


@pytest.fixture(scope="module")
def legacy(request, cors_module):
    return start_server(request, ServerSpec(app_source=APP, body=BODY))


@pytest.mark.parametrize("path", ["/app/api.php", "/app/static.txt", "/app/star.php", "/app/missing.html"])
def test_inside_the_scope_one_answer(legacy, path):
    r = legacy.get(path, PARTNER_A)
    assert_allowed_actual(r, PARTNER_A, 404 if "missing" in path else 200)
    assert len(r.all("Vary")) == 1, r


def test_inside_the_scope_stranger_gets_no_star(legacy, rid):
    r = legacy.request("POST", f"/app/record.php?id={rid}", STRANGER, body=b"")
    refused(r)
    assert legacy.reached(rid) == []


def test_inside_the_scope_preflight(legacy):
    r = legacy.preflight("/app/api.php", PARTNER_A, "PUT", "content-type")
    assert r.status == 204, r
    assert r.all("Access-Control-Allow-Origin") == [PARTNER_A], r
    assert len(r.all("Access-Control-Allow-Methods")) == 1 and "PUT" in r.tokens("Access-Control-Allow-Methods"), r
    assert len(r.all("Access-Control-Allow-Headers")) == 1, r


def test_outside_the_scope_the_recipe_is_untouched(legacy):
    r = legacy.get("/old/api.php", PARTNER_A)
    assert r.status == 200, r
    assert r.all("Access-Control-Allow-Origin") == ["*"], r
    assert r.all("Access-Control-Allow-Methods") == ["GET, POST, OPTIONS"], r
    assert r.all("Access-Control-Allow-Headers") == ["Content-Type, Authorization"], r
    assert r.tokens_lower("Vary") == ["origin"], r
    assert legacy.get("/old/api.php", STRANGER).all("Access-Control-Allow-Origin") == ["*"]
