#!/usr/bin/python3
"""Conformance with peers' test suites (issue 8).

Runs the third-party CORS vectors of tests/conformance/vectors (rs/cors, jub0bs/cors and its origin-pattern
tree, django-cors-headers) against a real httpd with mod_cors:

  1. every vector's neutral `policy` is translated into mod_cors directives, or classified as
     not expressible (with the reason); vectors tagged library-specific or debug-mode are skipped;
  2. one httpd is started with one name-based virtual host per distinct (policy, backend), so the
     request path of each vector is sent exactly as written; the application behind every policy
     is backend.php, configured per virtual host to behave as the vector's handler;
  3. each response is compared with the vector's expectation by tests/conformance/vectors/check.py, after the
     named normalisation rules below (RULES), each tied to a line of docs/behaviour.md or of the
     contract, have replaced the parts of the expectation where our contract deliberately differs
     from that library. Every rule application is recorded and printed.

The sources pass refused actual requests on to the handler (none refuses server-side), so the
faithful translation carries `CORSReject Off`. Every vector whose origin is refused on an actual
request is run a second time under the default `CORSReject On` (a "reject variant"), where rule
reject-actual-403 applies.

Usage: conformance.py [--build DIR] [--vectors DIR] [--mpm prefork|event] [-v] [-k SUBSTRING]
                      [--show-config] [--markdown] [--skipped-too]
The vectors are looked for in --vectors, else $CORS_VECTORS_DIR, else tests/conformance/vectors
(carried in the repository; README.md there gives each file's source and licence).
The last line printed is "N passed, M failed"; the exit status is non-zero when M > 0.
"""
from __future__ import annotations

import argparse
import copy
import importlib.util
import json
import os
import re
import sys
import time
from collections import Counter, OrderedDict, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(REPO / "tests" / "lib"))

SOURCES = OrderedDict([  # file stem -> label (file stem is also check.py's file_model)
    ("rs_cors", "rs/cors"),
    ("jub0bs_cors", "jub0bs/cors"),
    ("jub0bs_cors_origin_patterns", "jub0bs/cors origin patterns (derived)"),
    ("django_cors_headers", "django-cors-headers"),
])
SKIP_TAGS = ("debug-mode", "library-specific")  # counted under the first that applies
VHOST_SUFFIX = ".conformance.test"
BACKEND_MARK = "X-Conformance-Backend"
CORS_HEADERS = ["Access-Control-Allow-Origin", "Access-Control-Allow-Credentials",
                "Access-Control-Allow-Methods", "Access-Control-Allow-Headers",
                "Access-Control-Max-Age", "Access-Control-Expose-Headers",
                "Access-Control-Allow-Private-Network"]
PREFLIGHT_VARY = ["Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers"]
SAFELISTED_METHODS = ("GET", "HEAD", "POST")


# ------------------------------------------------------------------ locating the inputs

def find_vectors_dir(explicit: Optional[str]) -> Path:
    """The vectors: --vectors, $CORS_VECTORS_DIR, or tests/conformance/vectors (in the repository,
    so a plain clone runs the suite with nothing beside it)."""
    override = explicit or os.environ.get("CORS_VECTORS_DIR")
    candidates = [override] if override else [str(HERE / "vectors")]
    for c in candidates:
        if c and (Path(c) / "check.py").is_file():
            return Path(c).resolve()
    tried = ", ".join(str(c) for c in candidates if c)
    print(f"conformance: the vectors were not found (tried {tried}); they are carried in "
          f"the repository at {HERE / 'vectors'}")
    print("0 passed, 1 failed")
    raise SystemExit(1)


def load_check(vectors_dir: Path):
    spec = importlib.util.spec_from_file_location("cors_vectors_check", vectors_dir / "check.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ------------------------------------------------------------------ translation

class NotExpressible(Exception):
    """The vector's policy has no faithful mod_cors equivalent; the message is the reason."""


# Regex constructs whose meaning is the same in Go RE2, Python re and PCRE2 over the ASCII
# strings a valid Origin can be (mod_cors only tests patterns against valid origins).
_REGEX_TOKEN = re.compile(r"\\[.\-/wd]|[A-Za-z0-9:/_\-]|[\^$+*?()|]")


def _portable_regex(pattern: str) -> bool:
    pos = 0
    while pos < len(pattern):
        m = _REGEX_TOKEN.match(pattern, pos)
        if not m:
            return False
        pos = m.end()
    return True


def _php_pattern(body: str, modifiers: str = "") -> str:
    """The pattern in PHP preg form with a delimiter it does not contain."""
    for delim in "~#!%@,+":
        if delim not in body:
            return f"{delim}{body}{delim}{modifiers}"
    raise NotExpressible(f"no free PHP delimiter for regex {body!r}")


def _regex_directive(source: str, pattern: str) -> str:
    if not _portable_regex(pattern):
        raise NotExpressible(f"origin regex {pattern!r} uses constructs not checked to mean the same in PCRE2")
    if source == "rs_cors":
        # Go regexp.MatchString: unanchored; `$` is end of text only (PCRE2 modifier D).
        return f"CORSAllowOriginMatch {_php_pattern(pattern, 'D')}"
    if source == "django_cors_headers":
        # Python re.match: anchored at the start; `$` = end or before a final newline, as in PCRE2.
        body = pattern if pattern.startswith("^") else rf"\A(?:{pattern})"
        return f"CORSAllowOriginMatch {_php_pattern(body)}"
    raise NotExpressible(f"origin regexes from {source} are not translated")


def _rs_wildcard(pattern: str) -> str:
    """rs/cors: one `*` = any substring (prefix/suffix test on the lower-cased origin), exactly
    the regex ^prefix.*suffix\\z, case-insensitive."""
    if pattern.count("*") != 1:
        raise NotExpressible(f"rs/cors wildcard {pattern!r} with {pattern.count('*')} '*'")
    prefix, suffix = pattern.split("*")
    return "CORSAllowOriginMatch " + _php_pattern(rf"^{re.escape(prefix)}.*{re.escape(suffix)}\z", "is")


_JUB0BS_WILDCARD = re.compile(r"^[a-z][a-z0-9+.\-]*://(\*\.)?[^*/]+(:\*)?$")


def _jub0bs_wildcard(pattern: str) -> str:
    """jub0bs/cors: a leading `*.` = one or more labels (never the apex), `:*` = any port:
    the very meaning of CORSAllowOrigin's scheme://*.domain and scheme://host:* forms."""
    if not _JUB0BS_WILDCARD.match(pattern):
        raise NotExpressible(f"jub0bs/cors origin pattern {pattern!r} has no CORSAllowOrigin form")
    return pattern


@dataclass
class Translation:
    directives: list            # lines inside the virtual host
    location_regex: Optional[str]  # cors_path_regex -> <LocationMatch>
    static_star: bool           # CORSAllowOrigin * without credentials
    expose: list                # CORSExposeHeaders names as configured
    notes: list                 # how inert policy keys were judged


HANDLED_KEYS = {
    "cors_enabled", "allow_any_origin", "acao_value", "allowed_origins", "allowed_origin_wildcards",
    "wildcard_semantics", "allowed_origin_regexes", "regex_semantics", "origin_predicate",
    "allowed_methods", "allow_any_method", "safelisted_methods_implicitly_allowed", "allowed_headers",
    "allow_any_header", "any_header_excludes_authorization", "exposed_headers", "expose_any_header",
    "allow_credentials", "max_age", "allow_private_network", "preflight_success_status",
    "preflight_failure_status", "options_passthrough", "debug_mode", "cors_path_regex",
    "tolerate_insecure_origins", "origin_match_case_insensitive", "checks_actual_request_method",
    "preflight_checks_method_and_headers", "preflight_acam_acah",
}

# Whether `*` in the allowed request headers covers Authorization, when the policy does not say.
ANY_HEADER_COVERS_AUTHORIZATION = {"rs_cors": True, "jub0bs_cors": False,
                                   "jub0bs_cors_origin_patterns": False, "django_cors_headers": False}


def request_lines(vec) -> list:
    lines = []
    for name, value in vec["request"]["headers"].items():
        for v in ([value] if isinstance(value, str) else value):
            lines.append((name, v))
    return lines


def header_values(vec, name) -> list:
    return [v for n, v in request_lines(vec) if n.lower() == name.lower()]


def translate(source: str, vec) -> Translation:
    p = vec["policy"]
    notes = []
    unknown = sorted(set(p) - HANDLED_KEYS)
    if unknown:
        raise NotExpressible(f"policy keys not translated: {', '.join(unknown)}")
    if p.get("debug_mode"):
        raise NotExpressible("debug_mode (library diagnostics) has no mod_cors equivalent")
    if p.get("cors_enabled") is False:
        return Translation(["CORSEngine Off"], None, False, [], notes)
    if "origin_predicate" in p:
        raise NotExpressible("origin_predicate: a custom origin function (code, not configuration)")

    d = ["CORSEngine On"]
    credentials = bool(p.get("allow_credentials"))
    static_star = False
    if p.get("allow_any_origin"):
        if credentials:
            raise NotExpressible("any origin with credentials: CORSAllowOrigin * with CORSAllowCredentials On "
                                 "is a configuration error (contract), an arbitrary origin is never echoed "
                                 "with credentials")
        if p.get("acao_value", "*") != "*":
            raise NotExpressible("any origin answered by reflecting it: CORSAllowOrigin * always sends '*'")
        d.append("CORSAllowOrigin *")
        static_star = True
    if p.get("allowed_origins"):
        d.append("CORSAllowOrigin " + " ".join(p["allowed_origins"]))
    for w in p.get("allowed_origin_wildcards", []):
        sem = p.get("wildcard_semantics", "")
        if sem.startswith("rs/cors"):
            d.append(_rs_wildcard(w))
        elif sem.startswith("jub0bs/cors"):
            d.append("CORSAllowOrigin " + _jub0bs_wildcard(w))
        else:
            raise NotExpressible(f"wildcard semantics not known: {sem!r}")
    for rx in p.get("allowed_origin_regexes", []):
        d.append(_regex_directive(source, rx))

    if p.get("allow_any_method"):
        d.append("CORSAllowMethods *")
    elif p.get("allowed_methods"):
        d.append("CORSAllowMethods " + " ".join(p["allowed_methods"]))
    if p.get("safelisted_methods_implicitly_allowed") is False:
        raise NotExpressible("safelisted methods not implicitly allowed (mod_cors always allows them)")

    headers = list(p.get("allowed_headers", []))
    if p.get("allow_any_header"):
        covers_auth = not p.get("any_header_excludes_authorization",
                                not ANY_HEADER_COVERS_AUTHORIZATION[source])
        if covers_auth and not any(h.lower() == "authorization" for h in headers):
            headers.append("Authorization")
        headers = ["*"] + headers
    if headers:
        d.append("CORSAllowHeaders " + " ".join(headers))

    expose = ["*"] if p.get("expose_any_header") else list(p.get("exposed_headers", []))
    if expose:
        d.append("CORSExposeHeaders " + " ".join(expose))
    if credentials:
        d.append("CORSAllowCredentials On")
    max_age = p.get("max_age")
    if max_age is not None:
        if not 0 <= max_age <= 86400:
            raise NotExpressible(f"max_age {max_age} outside CORSMaxAge's 0..86400")
        d.append(f"CORSMaxAge {max_age}")
    if p.get("allow_private_network"):
        d.append("CORSAllowPrivateNetwork On")
    if p.get("options_passthrough"):
        d.append("CORSPreflight Pass")
    for key, ok in (("preflight_success_status", lambda s: 200 <= s <= 299),
                    ("preflight_failure_status", lambda s: s == 403)):
        if key in p and not ok(p[key]):
            raise NotExpressible(f"{key} {p[key]}")
    if p.get("tolerate_insecure_origins"):
        notes.append("tolerate_insecure_origins: mod_cors needs no switch to allow such origins "
                     "(it only warns about http:// with credentials)")

    # Policy keys that mod_cors cannot express, but that do not influence this very request.
    method = vec["request"]["method"]
    has_origin = bool(header_values(vec, "Origin"))
    acrm = header_values(vec, "Access-Control-Request-Method")
    if p.get("checks_actual_request_method") and has_origin and not (method == "OPTIONS"):
        allowed = p.get("allowed_methods", [])
        if method not in allowed and not p.get("allow_any_method"):
            raise NotExpressible(f"rs/cors checks the actual request's method ({method} not in "
                                 f"{allowed}); mod_cors does not (the preflight did)")
        notes.append("checks_actual_request_method: inert, the method is allowed")
    if p.get("preflight_checks_method_and_headers") is False and method == "OPTIONS" and acrm:
        names = [n.strip().lower() for v in header_values(vec, "Access-Control-Request-Headers")
                 for n in v.split(",") if n.strip()]
        allowed_h = [h.lower() for h in p.get("allowed_headers", [])]
        if (acrm[0] not in p.get("allowed_methods", []) and acrm[0] not in SAFELISTED_METHODS) or \
                any(n not in allowed_h for n in names):
            raise NotExpressible("django-cors-headers does not check the preflight's method and "
                                 "headers; mod_cors refuses what is not allowed")
        notes.append("preflight_checks_method_and_headers false: inert, method and headers are allowed")

    location = None
    if p.get("cors_path_regex"):
        rx = p["cors_path_regex"]
        if not _portable_regex(rx):
            raise NotExpressible(f"cors_path_regex {rx!r} not checked to mean the same in PCRE2")
        location = rx if rx.startswith("^") else rf"^(?:{rx})"  # Python re.match is anchored
    return Translation(d, location, static_star, expose, notes)


def backend_env(source: str, vec) -> list:
    """SetEnv lines that make backend.php behave as the vector's handler."""
    if source == "django_cors_headers":
        return [("CONFORMANCE_BACKEND", "django")]
    if source == "jub0bs_cors":
        b = vec.get("backend") or {"status": 200, "headers": {}, "body": "bar"}
    else:  # rs/cors handler and the derived origin-pattern vectors: 200 "bar", no header
        b = {"status": 200, "headers": {}, "body": "bar"}
    lines = [f"{k}: {v}" for k, vs in b.get("headers", {}).items() for v in ([vs] if isinstance(vs, str) else vs)]
    if any("|" in l or '"' in l for l in lines) or '"' in b.get("body", ""):
        raise NotExpressible("backend headers or body not expressible through SetEnv")
    return [("CONFORMANCE_BACKEND", "static"), ("CONFORMANCE_STATUS", str(b.get("status", 200))),
            ("CONFORMANCE_HEADERS", "|".join(lines)), ("CONFORMANCE_BODY", b.get("body", ""))]


def outer_headers(vec) -> list:
    """pre_existing_response_headers: a layer outside the CORS one that sets headers on every
    response; emulated with mod_headers (`always`, so error responses get them too)."""
    out = []
    for name, value in (vec.get("pre_existing_response_headers") or {}).items():
        if name.lower() != "vary":
            raise NotExpressible(f"pre-existing response header {name} not emulated")
        out.append(f'Header always merge Vary "{value}"')
    return out


# ------------------------------------------------------------------ the vector's context

@dataclass
class Case:
    source: str
    vec: dict
    variant: str = ""            # "" or "reject" (run under the default CORSReject On)
    informational: bool = False  # a skipped (library-specific) vector run with --skipped-too
    translation: Optional[Translation] = None
    vhost: str = ""
    rules: list = field(default_factory=list)
    failures: list = field(default_factory=list)
    response: object = None
    expect: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.vec["name"] + (" [CORSReject On]" if self.variant else "")

    @property
    def method(self) -> str:
        return self.vec["request"]["method"]

    @property
    def has_origin(self) -> bool:
        return bool(header_values(self.vec, "Origin"))

    @property
    def preflight(self) -> bool:
        """A preflight as mod_cors classifies it: OPTIONS + Origin + Access-Control-Request-Method."""
        return self.method == "OPTIONS" and self.has_origin and bool(
            [n for n, _ in request_lines(self.vec) if n.lower() == "access-control-request-method"])

    @property
    def enabled(self) -> bool:
        """mod_cors is on for this request's path."""
        p = self.vec["policy"]
        if p.get("cors_enabled") is False:
            return False
        rx = self.translation.location_regex if self.translation else None
        return rx is None or re.search(rx, self.vec["request"]["path"]) is not None

    @property
    def library_allows(self) -> bool:
        """The library's answer grants the request: it expects Access-Control-Allow-Origin, or
        (sources that assert only some headers) another Access-Control-Allow-* header present
        while Access-Control-Allow-Origin is not asserted absent."""
        e = self.vec["expect"]
        present = {k.lower() for k in e.get("headers_present", {})}
        if "access-control-allow-origin" in present:
            return True
        if self.library_refuses:
            return False
        return any(h.lower() in present for h in CORS_HEADERS)

    @property
    def library_refuses(self) -> bool:
        """The library's answer asserts that Access-Control-Allow-Origin is absent."""
        return "access-control-allow-origin" in {h.lower() for h in self.vec["expect"].get("headers_absent", [])}

    @property
    def origin_refused_on_actual(self) -> bool:
        """An actual cross-origin request whose origin the library refuses (no ACAO)."""
        return self.enabled and self.has_origin and not self.preflight and self.library_refuses


# ------------------------------------------------------------------ normalisation rules

@dataclass
class Rule:
    name: str
    basis: str       # the contract / behaviour.md text it rests on
    fetch: str       # the Fetch Standard text that supports it
    apply: object    # function(case, expect, check) -> Optional[str] (what changed)


def _passes(check, case, expect_part: dict, headers: list) -> bool:
    """Would the library's expectation `expect_part` accept these response headers?"""
    vec = {"expect": expect_part}
    return not check.check(vec, 200, headers, None, case.source)


def _only(expect: dict, name: str) -> dict:
    part = {"headers_present": {}, "headers_absent": []}
    for k, v in expect.get("headers_present", {}).items():
        if k.lower() == name.lower():
            part["headers_present"][k] = v
    part["headers_absent"] = [h for h in expect.get("headers_absent", []) if h.lower() == name.lower()]
    return part


def _set_header(expect: dict, name: str, value: Optional[str]) -> None:
    """Expect header `name` with `value`, or absent when value is None."""
    present = expect.setdefault("headers_present", {})
    absent = expect.setdefault("headers_absent", [])
    for k in [k for k in present if k.lower() == name.lower()]:
        del present[k]
    absent[:] = [h for h in absent if h.lower() != name.lower()]
    if value is None:
        absent.append(name)
    else:
        present[name] = value


def _expected_vary_tokens(case, expect) -> Optional[list]:
    if "vary_tokens_exact" in expect:
        return list(expect["vary_tokens_exact"])
    want = expect.get("headers_present", {}).get("Vary")
    if want is None:
        return None
    return [t.strip() for line in ([want] if isinstance(want, str) else want) for t in line.split(",")]


def _outer_vary_tokens(case) -> list:
    v = (case.vec.get("pre_existing_response_headers") or {}).get("Vary")
    return [t.strip() for t in v.split(",")] if v else []


def _set_vary(case, expect, tokens: list) -> None:
    """Expect exactly these Vary tokens (no Vary at all when empty)."""
    present = expect.setdefault("headers_present", {})
    present.pop("Vary", None)
    absent = expect.setdefault("headers_absent", [])
    absent[:] = [h for h in absent if h.lower() != "vary"]
    if case.source == "jub0bs_cors":
        expect["vary_tokens_exact"] = sorted(set(tokens))
    elif tokens:
        present["Vary"] = ", ".join(tokens)
    else:
        absent.append("Vary")


def rule_preflight_status(case, expect, check):
    if not (case.enabled and case.preflight and case.library_allows and not case.vec["policy"].get("options_passthrough")):
        return None
    status = expect.get("status")
    if status is None or status == 204 or not 200 <= status <= 299:
        return None
    expect["status"] = 204
    return f"status {status} -> 204"


def rule_preflight_vary(case, expect, check):
    if not (case.enabled and case.preflight):
        return None
    ours = PREFLIGHT_VARY + [t for t in _outer_vary_tokens(case) if t.lower() not in (x.lower() for x in PREFLIGHT_VARY)]
    line = [("Vary", ", ".join(ours))]
    part = {k: v for k, v in expect.items() if k in ("vary_tokens_exact",)}
    part.update(_only(expect, "Vary"))
    if _passes(check, case, part, line):
        return None
    before = _expected_vary_tokens(case, expect)
    _set_vary(case, expect, ours)
    return f"Vary {before} -> {ours}"


def rule_vary_origin_always(case, expect, check):
    if not case.enabled or case.preflight or (case.translation.static_star and not case.library_refuses):
        return None
    if case.variant:  # reject-actual-403 sets the whole Vary expectation
        return None
    tokens = _expected_vary_tokens(case, expect)
    if tokens is None or any(t.lower() == "origin" for t in tokens):
        return None
    if "vary_tokens_exact" not in expect:
        return None
    new = tokens + ["Origin"]
    _set_vary(case, expect, new)
    return f"Vary {tokens} -> {sorted(new)}"


def rule_static_star(case, expect, check):
    if not (case.enabled and case.translation.static_star and not case.preflight):
        return None
    origin = header_values(case.vec, "Origin")
    if origin and (case.library_refuses or origin[0] == "null"):
        return None  # refused requests still get Vary: Origin
    changes = []
    tokens = _expected_vary_tokens(case, expect)
    if tokens is not None and any(t.lower() == "origin" for t in tokens):
        new = [t for t in tokens if t.lower() != "origin"]
        _set_vary(case, expect, new)
        changes.append(f"Vary {tokens} -> {new}")
    if not origin and "Access-Control-Allow-Origin" in expect.get("headers_absent", []):
        _set_header(expect, "Access-Control-Allow-Origin", "*")
        changes.append("ACAO absent -> '*' on a request without Origin")
    return "; ".join(changes) or None


def rule_acam_echo(case, expect, check):
    if not (case.enabled and case.preflight and case.library_allows):
        return None
    acrm = header_values(case.vec, "Access-Control-Request-Method")[0]
    name = "Access-Control-Allow-Methods"
    part = _only(expect, name)
    if _passes(check, case, part, [(name, acrm)]):
        return None
    before = repr(part["headers_present"][name]) if name in part["headers_present"] else "absent"
    _set_header(expect, name, acrm)
    return f"ACAM {before} -> {acrm!r}"


def rule_acah_echo(case, expect, check):
    if not (case.enabled and case.preflight and case.library_allows):
        return None
    names = [e.strip(" \t").lower() for v in header_values(case.vec, "Access-Control-Request-Headers")
             for e in v.split(",") if e.strip(" \t")]
    name = "Access-Control-Allow-Headers"
    ours = ", ".join(names) if names else None
    part = _only(expect, name)
    if _passes(check, case, part, [(name, ours)] if ours else []):
        return None
    before = repr(part["headers_present"][name]) if name in part["headers_present"] else "absent"
    _set_header(expect, name, ours)
    return f"ACAH {before} -> {repr(ours) if ours else 'absent'}"


def rule_aceh_as_configured(case, expect, check):
    if not (case.enabled and case.library_allows and case.translation.expose):
        return None
    name = "Access-Control-Expose-Headers"
    ours = ", ".join(case.translation.expose)
    part = _only(expect, name)
    want = part["headers_present"].get(name)
    if want is None or _passes(check, case, part, [(name, ours)]):
        return None
    got = {e.strip(" \t").lower() for line in ([want] if isinstance(want, str) else want) for e in line.split(",")}
    if got != {e.lower() for e in case.translation.expose}:
        return None  # not a casing difference: let it fail
    _set_header(expect, name, ours)
    return f"ACEH {want!r} -> {ours!r}"


def rule_aceh_on_preflight(case, expect, check):
    if not (case.enabled and case.preflight and case.library_allows and case.translation.expose):
        return None
    name = "Access-Control-Expose-Headers"
    if name not in expect.get("headers_absent", []):
        return None
    ours = ", ".join(case.translation.expose)
    _set_header(expect, name, ours)
    return f"ACEH absent -> {ours!r}"


def rule_failed_preflight_body(case, expect, check):
    if not (case.enabled and case.preflight and case.library_refuses):
        return None
    if expect.get("status") != 403 or "body" not in expect:
        return None
    body = expect.pop("body")
    return f"body {body!r} -> httpd's 403 page (not compared)"


def rule_reject_actual_403(case, expect, check):
    if case.variant != "reject":
        return None
    before = (expect.get("status"), expect.get("body"), expect.get("backend_must_be_called"))
    expect["status"] = 403
    expect.pop("body", None)
    expect["backend_must_be_called"] = False
    for h in CORS_HEADERS:
        if h not in expect.setdefault("headers_absent", []):
            expect["headers_absent"].append(h)
    _set_vary(case, expect, ["Origin"] + _outer_vary_tokens(case))
    if case.source != "jub0bs_cors":  # the other models: no Vary token beyond those
        expect["vary_tokens_exact"] = sorted(set(["Origin"] + _outer_vary_tokens(case)))
    return f"status/body/backend {before} -> 403, ErrorDocument page, application not run, Vary: Origin"


RULES = [
    Rule("reject-actual-403",
         "contract, CORSReject: \"On: a cross-origin request from an origin that is not allowed is refused "
         "with 403 before the application runs\"; behaviour.md: \"Rejected actual request (CORSReject On): "
         "403 through ErrorDocument 403, with Vary: Origin only\"",
         "\"If server developers wish to denote this explicitly, the 403 status can be used, coupled with "
         "omitting the relevant headers.\" (Fetch, CORS protocol, HTTP responses)",
         rule_reject_actual_403),
    Rule("preflight-status-204",
         "contract: \"An allowed preflight ... is answered 204 No Content\"",
         "\"A successful HTTP response to a CORS-preflight request is similar, except it is restricted to "
         "an ok status, e.g., 200 or 204.\" (Fetch, CORS protocol, HTTP responses)",
         rule_preflight_status),
    Rule("preflight-vary",
         "contract: allowed preflight answered with \"Vary: Origin, Access-Control-Request-Method, "
         "Access-Control-Request-Headers\"; behaviour.md: failed preflight: \"Vary with the three preflight tokens\"",
         "Fetch (CORS protocol and HTTP caches): \"If CORS protocol requirements are more complicated than "
         "setting Access-Control-Allow-Origin to * or a static origin, Vary is to be used.\"; RFC 9110 9.3.7: "
         "\"Responses to the OPTIONS method are not cacheable.\"",
         rule_preflight_vary),
    Rule("vary-origin-on-every-response",
         "contract: \"in an enabled scope every response carries Vary: Origin (requests without Origin and "
         "rejections included), except where the policy is CORSAllowOrigin * without credentials\"",
         "Fetch (CORS protocol and HTTP caches): \"If CORS protocol requirements are more complicated than "
         "setting Access-Control-Allow-Origin to * or a static origin, Vary is to be used.\"",
         rule_vary_origin_always),
    Rule("static-star-without-vary",
         "behaviour.md: \"CORSAllowOrigin * without credentials: Access-Control-Allow-Origin: * (and "
         "Access-Control-Expose-Headers) go on every response of the scope that is not refused, requests "
         "without Origin included, and no Vary: Origin is added\"",
         "Fetch (CORS protocol and HTTP caches): \"if Access-Control-Allow-Origin is set to * or a static "
         "origin for a particular resource, then configure the server to always send "
         "Access-Control-Allow-Origin in responses for the resource — for non-CORS requests as well as "
         "CORS requests — and do not use Vary.\"",
         rule_static_star),
    Rule("acam-echo",
         "behaviour.md: allowed preflight: \"Access-Control-Allow-Methods = the requested method\"",
         "CORS-preflight fetch: \"If request's method is not in methods, request's method is not a "
         "CORS-safelisted method, and request's credentials mode is \"include\" or methods does not contain "
         "`*`, then return a network error.\" (the requested method is in methods; a safelisted one needs none)",
         rule_acam_echo),
    Rule("acah-echo",
         "behaviour.md: \"Access-Control-Allow-Headers = the requested header names, lower-cased and joined "
         "by \", \" (absent when none were requested)\"; \"Empty list elements are skipped\"",
         "CORS-preflight fetch: \"For each unsafeName in the CORS-unsafe request-header names with "
         "request's header list, if unsafeName is not a byte-case-insensitive match for an item in "
         "headerNames ... return a network error.\" (names compare case-insensitively; only the requested "
         "ones are looked up)",
         rule_acah_echo),
    Rule("aceh-as-configured",
         "behaviour.md: \"Access-Control-Expose-Headers when set (names as configured, joined by \", \")\"",
         "Header names are compared byte-case-insensitively: a CORS-safelisted response-header name, given "
         "a list of header names list, is a header name that is a byte-case-insensitive match for ... any "
         "item in list",
         rule_aceh_as_configured),
    Rule("aceh-on-preflight",
         "behaviour.md: \"Allowed preflight: 204 No Content, no body, with Access-Control-Allow-Origin, "
         "-Credentials, -Expose-Headers as above\"",
         "Fetch (CORS protocol, HTTP responses) lists Access-Control-Expose-Headers for \"An HTTP response to a CORS request that is "
         "not a CORS-preflight request\"; the CORS-preflight fetch reads only -Allow-Methods, -Allow-Headers "
         "and -Max-Age (and the CORS check), so the header is ignored on a preflight answer",
         rule_aceh_on_preflight),
    Rule("failed-preflight-error-body",
         "contract: \"A failed preflight ... is answered 403 without any Access-Control-Allow-* header and "
         "never reaches the application\" (httpd's 403 error document is the body)",
         "\"Any other kind of HTTP response is not successful and will either end up not being shared or "
         "fail the CORS-preflight request.\" (Fetch, CORS protocol, HTTP responses; the body of a failed "
         "preflight is never exposed)",
         rule_failed_preflight_body),
]


def normalise(case, check) -> dict:
    expect = copy.deepcopy(case.vec["expect"])
    expect.pop("status_informative", None)
    for rule in RULES:
        change = rule.apply(case, expect, check)
        if change:
            case.rules.append((rule.name, change))
    return expect


# ------------------------------------------------------------------ httpd

def render_vhosts(groups: "OrderedDict[str, dict]") -> str:
    parts = [f"""<VirtualHost 127.0.0.1:${{IT_PORT}}>
    ServerName default{VHOST_SUFFIX}
</VirtualHost>"""]
    for vhost, g in groups.items():
        tr: Translation = g["translation"]
        lines = [f"# {g['comment']}"]
        lines.append(f'AliasMatch "^/" "${{IT_HTDOCS}}/conformance/backend.php"')
        for k, v in g["env"]:
            lines.append(f'SetEnv {k} "{v}"')
        lines += g["outer"]
        cors = list(tr.directives)
        if g["variant"] != "reject" and tr.directives != ["CORSEngine Off"]:
            cors.append("CORSReject Off")
        if tr.location_regex:
            lines.append(f'<LocationMatch "{tr.location_regex}">')
            lines += ["    " + l for l in cors]
            lines.append("</LocationMatch>")
        else:
            lines += cors
        body = "\n".join("    " + l for l in lines)
        parts.append(f"# vhost {vhost}\n<VirtualHost 127.0.0.1:${{IT_PORT}}>\n"
                     f"    ServerName {vhost}\n{body}\n</VirtualHost>\n# end {vhost}")
    return "\n".join(parts) + "\n"


CONTRACT_REFUSALS = [  # configuration refusals the contract mandates: the policy is not expressible
    (re.compile(r"public suffix", re.I), "wildcard on a public suffix is a configuration error (contract)"),
]


# The start-up warnings of the policies the vectors ask for (null allowed, http:// origins with
# credentials, unanchored patterns): expected. Any other error-log line at warn or above is
# not (tests/lib/httpd_fixtures.py's oracle, here per vector).
STARTUP_WARNINGS = r"\[cors:warn\] .*CORS00401: "  # the start-up checks: the vectors configure what they warn about


def start_server(harness, groups, mpm: str, log):
    """Starts httpd with every group; a group whose configuration httpd refuses is dropped
    (returned in `refused` with httpd's message) and the rest started again."""
    refused = {}
    backend = (HERE / "backend.php").read_text()
    while True:
        if not groups:
            return None, refused
        spec = harness.ServerSpec(mpm=mpm, php="mod_php" if mpm == "prefork" else "fpm",
                                  body=render_vhosts(groups), app_dirs=(),
                                  files={"conformance/backend.php": backend}, log_level="warn",
                                  expect_log=(STARTUP_WARNINGS,))
        fpm = None
        if spec.php == "fpm":
            fpm = harness.PhpFpm().start()
        srv = harness.Httpd(spec, fpm=fpm)
        srv._conformance_fpm = fpm
        test = srv.config_test()
        if test.returncode == 0:
            return srv.start(), refused
        conf = srv.conf.read_text().splitlines()
        m = re.search(r"line (\d+) of (\S+?):?\s*\n?(.*)", test.output)
        srv.stop()
        if fpm:
            fpm.stop()
        if not m:
            raise RuntimeError(f"httpd refuses the configuration:\n{test.output}")
        line = int(m.group(1))
        vhost = None
        for i in range(line - 1, -1, -1):
            if conf[i].startswith("# vhost "):
                vhost = conf[i][len("# vhost "):].strip()
                break
        if vhost is None or vhost not in groups:
            raise RuntimeError(f"httpd refuses the configuration:\n{test.output}")
        message = " ".join(test.output.split())
        message = re.sub(r"^.*?Syntax error on line \d+ of \S+ ", "", message)
        refused[vhost] = (groups.pop(vhost), message)
        log(f"httpd refuses the configuration of {vhost}: {message}")


# ------------------------------------------------------------------ running

def run_case(harness, srv, case, check) -> None:
    expect = normalise(case, check)
    case.expect = expect
    try:
        resp = harness.http_request(srv.port, case.method, case.vec["request"]["path"],
                                    request_lines(case.vec), host=case.vhost)
    except Exception as exc:  # noqa: BLE001 - reported as a failure
        case.failures.append(f"request failed: {exc!r}")
        return
    case.response = resp
    srv.collect_log_lines()
    case.failures += [f"error log: {line}" for _, line in harness.take_log_reports()]
    body = resp.body.decode("utf-8", "replace")
    headers = [(n, v) for n, v in resp.headers]
    vec = dict(case.vec, expect=expect)
    case.failures += check.check(vec, resp.status, headers, body, case.source)
    if "backend_must_be_called" in expect:
        called = any(n.lower() == BACKEND_MARK.lower() for n, _ in headers)
        if called != expect["backend_must_be_called"]:
            case.failures.append(f"application {'ran' if called else 'did not run'}, expected "
                                 f"{'it to run' if expect['backend_must_be_called'] else 'it not to run'}")


def describe_failure(case) -> str:
    out = [f"FAIL [{case.source}] {case.name}"]
    req = case.vec["request"]
    out.append(f"    request : {req['method']} {req['path']} Host: {case.vhost}  " +
               "  ".join(f"{n}: {v!r}" for n, v in request_lines(case.vec)))
    if case.translation:
        out.append("    config  : " + " | ".join(case.translation.directives) +
                   (f"  (in <LocationMatch {case.translation.location_regex}>)" if case.translation.location_regex else ""))
        for note in case.translation.notes:
            out.append(f"    note    : {note}")
    for name, change in case.rules:
        out.append(f"    rule    : {name}: {change}")
    e = {k: v for k, v in case.expect.items() if k != "status_informative"}
    out.append(f"    expected: {json.dumps(e)}")
    if case.response is not None:
        r = case.response
        hs = [(n, v) for n, v in r.headers if n.lower() not in ("date", "server", "connection", "content-length")]
        out.append(f"    actual  : {r.status} {hs} body={r.body[:60]!r}")
    for f in case.failures:
        out.append(f"    failure : {f}")
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.environ.get("BUILD", "build"))
    ap.add_argument("--vectors")
    ap.add_argument("--mpm", default=os.environ.get("CONFORMANCE_MPM", "prefork"), choices=("prefork", "event"))
    ap.add_argument("-v", "--verbose", action="store_true", help="print every vector and rule application")
    ap.add_argument("-k", dest="only", help="run only vectors whose name contains this")
    ap.add_argument("--show-config", action="store_true", help="print the generated virtual hosts")
    ap.add_argument("--markdown", action="store_true",
                    help="also print every rule application as a Markdown table (for docs/conformance.md)")
    ap.add_argument("--skipped-too", action="store_true",
                    help="also run the library-specific vectors, for information only (not counted)")
    args = ap.parse_args(argv)

    started = time.monotonic()
    build = Path(args.build)
    if not build.is_absolute():
        build = REPO / build
    os.environ["MOD_CORS_SO"] = str(build / "mod_cors.so")
    if not (build / "mod_cors.so").is_file():
        print(f"conformance: {build / 'mod_cors.so'} not built")
        print("0 passed, 1 failed")
        return 1
    vectors_dir = find_vectors_dir(args.vectors)
    check = load_check(vectors_dir)
    import harness  # tests/lib/harness.py

    print(f"conformance: vectors {vectors_dir}, module {build / 'mod_cors.so'}, {args.mpm} MPM")
    stats = {s: Counter() for s in SOURCES}
    not_expressible = defaultdict(Counter)   # source -> reason -> count
    cases, groups, group_of = [], OrderedDict(), {}

    for source in SOURCES:
        data = json.loads((vectors_dir / f"{source}.json").read_text())
        for vec in data["vectors"]:
            if args.only and args.only not in vec["name"]:
                continue
            stats[source]["total"] += 1
            tag = next((t for t in SKIP_TAGS if t in vec.get("tags", [])), None)
            if tag:
                stats[source][tag] += 1
                if not args.skipped_too:
                    continue
            try:
                tr = translate(source, vec)
                env = backend_env(source, vec)
                outer = outer_headers(vec)
            except NotExpressible as exc:
                if not tag:
                    stats[source]["not expressible"] += 1
                    not_expressible[source][str(exc)] += 1
                continue
            variants = [""]
            probe = Case(source, vec, translation=tr)
            if probe.origin_refused_on_actual and tr.directives != ["CORSEngine Off"]:
                variants.append("reject")
            for variant in variants:
                key = json.dumps([source, tr.directives,
                                  tr.location_regex, env, outer, variant])
                if key not in group_of:
                    vhost = f"p{len(group_of) + 1:02d}{'r' if variant else ''}{VHOST_SUFFIX}"
                    group_of[key] = vhost
                    groups[vhost] = {"translation": tr, "env": env, "outer": outer, "variant": variant,
                                     "comment": f"{SOURCES[source]}: {vec['source']}", "cases": []}
                case = Case(source, vec, variant=variant, translation=tr, vhost=group_of[key],
                            informational=bool(tag))
                groups[case.vhost]["cases"].append(case)
                cases.append(case)

    if args.show_config:
        print(render_vhosts(groups))
    srv, refused = start_server(harness, groups, args.mpm, print)
    for vhost, (g, message) in refused.items():
        reason = next((why for rx, why in CONTRACT_REFUSALS if rx.search(message)), None)
        for case in g["cases"]:
            if reason and not case.variant and not case.informational:
                stats[case.source]["not expressible"] += 1
                not_expressible[case.source][f"{reason}: {message}"] += 1
            if reason:
                cases.remove(case)
            else:
                case.failures.append(f"httpd refused the configuration: {message}")
    log_problems = [f"start-up: {line}" for _, line in harness.take_log_reports()]
    try:
        for case in cases:
            if srv is not None and not case.failures:
                run_case(harness, srv, case, check)
    finally:
        if srv is not None:
            fpm = getattr(srv, "_conformance_fpm", None)
            srv.stop()
            if fpm:
                fpm.stop()
        log_problems += [f"at stop: {line}" for _, line in harness.take_log_reports()]

    # ---------------------------------------------------------------- report
    rule_use = defaultdict(list)
    for case in [c for c in cases if c.informational]:
        print(("info FAIL " if case.failures else "info ok   ") + describe_failure(case).split(" ", 1)[1])
    cases = [c for c in cases if not c.informational]
    for case in cases:
        key = "variants" if case.variant else "ran"
        stats[case.source][key] += 1
        stats[case.source][("variant " if case.variant else "") + ("failed" if case.failures else "passed")] += 1
        for name, _ in case.rules:
            rule_use[name].append(case)
        if case.failures:
            print(describe_failure(case))
        elif args.verbose:
            print(f"ok   [{case.source}] {case.name}" +
                  "".join(f"\n    note: {n}" for n in case.translation.notes) +
                  "".join(f"\n    rule: {n}: {c}" for n, c in case.rules))

    print()
    print(f"{'source':40} {'total':>5} {'ran':>4} {'pass':>4} {'fail':>4} {'lib-spec':>8} {'debug':>5} "
          f"{'not-expr':>8} | {'reject variants (pass/fail)':>27}")
    for source, label in SOURCES.items():
        s = stats[source]
        print(f"{label:40} {s['total']:5} {s['ran']:4} {s['passed']:4} {s['failed']:4} "
              f"{s['library-specific']:8} {s['debug-mode']:5} {s['not expressible']:8} | "
              f"{s['variants']:13} ({s['variant passed']}/{s['variant failed']})")
    print("\nnot expressible:")
    for source, reasons in not_expressible.items():
        for reason, n in reasons.items():
            print(f"  {SOURCES[source]}: {n} x {reason}")
    print("\ndeliberate divergences (normalisation rules applied):")
    for rule in RULES:
        used = rule_use.get(rule.name, [])
        by_source = Counter(SOURCES[c.source] for c in used)
        print(f"  {rule.name:30} {len(used):3} vectors  " +
              ", ".join(f"{k}: {v}" for k, v in by_source.items()))
        if args.verbose:
            print(f"      basis: {rule.basis}\n      Fetch: {rule.fetch}")
    if args.markdown:
        print("\n| rule | source | vector | what differs (library -> mod_cors) |\n| --- | --- | --- | --- |")
        for rule in RULES:
            for c in rule_use.get(rule.name, []):
                change = next(ch for n, ch in c.rules if n == rule.name).replace("|", "\\|")
                print(f"| {rule.name} | {SOURCES[c.source]} | {c.name.split(' ', 1)[1]} | {change} |")
    passed = sum(1 for c in cases if not c.failures)
    failed = sum(1 for c in cases if c.failures)
    if log_problems:   # error-log lines no vector is to blame for: one more failure
        print("\nerror-log lines at warn or above outside any vector:\n  " + "\n  ".join(log_problems[:20]))
        failed += 1
    print(f"\n({len(cases) - sum(1 for c in cases if c.variant)} vectors + "
          f"{sum(1 for c in cases if c.variant)} CORSReject On variants, {time.monotonic() - started:.1f}s)")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


def guarded_main() -> int:
    """main(), with any unexpected error reported as one failure on the summary line."""
    try:
        return main()
    except SystemExit:
        raise
    except BaseException as exc:  # noqa: BLE001 - the suite must always end with its summary line
        import traceback
        traceback.print_exc(file=sys.stdout)
        print(f"conformance: aborted: {exc!r}")
        print("0 passed, 1 failed")
        return 1


if __name__ == "__main__":
    sys.exit(guarded_main())
