"""mod_cache (disk and socache/shmcb providers, CacheQuickHandler On and Off) in front of PHP
and static files: guards against a cache storing an answer without the module's headers (or
with another origin's) and serving it to the next origin."""
import pytest

from conftest import APP, APP_POLICY, cache_sequence, start_server, static_file
from harness import ServerSpec

PROVIDERS = {
    "disk": ("cache_disk", 'CacheEnable disk /\nCacheRoot "${IT_STATE}"\nCacheDirLevels 2\nCacheDirLength 1'),
    "socache": ("cache_socache", "CacheEnable socache /\nCacheSocache shmcb"),
}


def cache_spec(provider: str, quick: str) -> ServerSpec:
    module, enable = PROVIDERS[provider]
    return ServerSpec(app_source=APP, modules=("cache", module, "socache_shmcb"), body=f"""
{enable}
CacheQuickHandler {quick}
CacheHeader on
CacheDetailHeader on
CacheIgnoreNoLastMod On
CacheDefaultExpire 300
CacheLastModifiedFactor 0.5

{APP_POLICY}
""")


@pytest.fixture(scope="module", params=[(p, q) for p in PROVIDERS for q in ("On", "Off")],
                ids=lambda pq: f"{pq[0]}-quick{pq[1]}")
def cached(request, cors_module):
    return start_server(request, cache_spec(*request.param))


def is_hit(resp) -> bool:
    return "hit" in (resp.get("X-Cache") or "").lower()


def test_php_public_answer(cached, rid):
    path = f"/app/cached.php?id={rid}"
    cache_sequence(lambda origin: cached.get(path, origin), is_hit, lambda: cached.reached(rid))


def test_static_file(cached, rid):
    path = static_file(cached, rid)
    cache_sequence(lambda origin: cached.get(path, origin), is_hit)


def test_revalidated_static_file(cached, rid):
    """A file modified just now is stale at once: each later request is revalidated by a
    conditional request to the handler (X-Cache: REVALIDATE), and its 304 updates the
    stored headers."""
    path = static_file(cached, rid, age=0)
    cache_sequence(lambda origin: cached.get(path, origin),
                   lambda r: any(w in (r.get("X-Cache") or "").lower() for w in ("hit", "revalidate")))
