// Browser scenarios. Each one runs in a page of a given origin, against the API of a group:
//   cors:    Apache + mod_cors (tests/browser/lib/servers.mjs, corsPolicy)
//   control: the same PHP app behind the usual mod_headers + SetEnvIf recipe (controlPolicy)
// and checks what the page observed, what reached PHP (the app's hit log) and, where it matters,
// what Apache's access log recorded.
//
// A scenario is { id, title, from, run(ctx) -> observation, check(obs, ctx) -> [problems],
//                 control: 'pass' | 'fail' | null }
// `check` is the same for both groups; `control` says what the control group is expected to do
// with it ('fail': the scenario must fail there; null: not run there, the scenario exercises a
// mod_cors policy variant that the recipe has no equivalent of).
//
// Every scenario runs in each engine (lib/engines.mjs: Chromium, Firefox, WebKit). The assertions
// are the same in all three; ctx.engine.fetchError is the engine's wording of a refused fetch,
// and ctx.engine.name is read only where the engines really differ, with the behaviour seen in a
// comment (two places, both Firefox's preflight cache: max-age-cached and
// preflight-cache-credentials). The measured caps and WebKit's console are in run.mjs.
//
// Observations come from tests/browser/app/pages/client.js:
//   { outcome: 'resolved', status, type, text, json, headers } | { outcome: 'rejected', error }

// ---- small check helpers: each returns a list of problems (empty = fine)
function resolved(obs, status = 200) {
  if (obs.outcome !== 'resolved') return [`expected the call to resolve with ${status}, it was rejected: ${obs.error}`];
  if (obs.status !== status) return [`expected status ${status}, got ${obs.status}`];
  return [];
}
// A refused call: the page gets a TypeError and nothing else. The wording is the engine's
// (Chromium "Failed to fetch", Firefox "NetworkError when attempting to fetch resource.", WebKit
// "Load failed"); the
// reason is only in the console (see results.json, messages).
function rejectedTypeError(obs, ctx) {
  if (obs.outcome !== 'rejected') return [`expected a TypeError, the call resolved with ${obs.status}`];
  if (obs.error !== ctx.engine.fetchError) return [`expected "${ctx.engine.fetchError}", got "${obs.error}"`];
  return [];
}
function eq(what, actual, expected) {
  const a = JSON.stringify(actual), e = JSON.stringify(expected);
  return a === e ? [] : [`${what}: expected ${e}, got ${a}`];
}
function reached(ctx, methods) {
  return eq('requests that reached PHP', ctx.hits().map((h) => h.method), methods);
}
function neverReached(ctx) {
  const h = ctx.hits();
  return h.length ? [`PHP was reached: ${h.map((x) => x.method).join(', ')}`] : [];
}
async function optionsCount(ctx, path, actualMethod, actualCount) {
  // The access-log line is written just after the response: wait for the actual requests.
  const deadline = Date.now() + 3000;
  let entries;
  for (;;) {
    entries = ctx.access(path);
    if (entries.filter((e) => e.method === actualMethod).length >= actualCount || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return entries.filter((e) => e.method === 'OPTIONS');
}

const JSON_BODY = { name: 'widget', qty: 3, tags: ['a', 'b'] };

// Three identical preflighted PUTs from the partner, one after the other; `expect(sequence,
// engine)` judges the methods in the access log, in order (O = OPTIONS, P = PUT), e.g. "OPPP".
function threePuts(id, title, path, control, expect) {
  return {
    id, title, from: 'partner', control,
    run: async (ctx) => {
      const u = ctx.url(path);
      const init = { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: '{"n":1}' };
      const calls = [];
      for (let i = 0; i < 3; i++) calls.push(await ctx.page.evaluate(([a, b]) => cors.fetch(a, b), [u, init]));
      return { ...calls[2], calls };
    },
    check: async (o, ctx) => {
      const p = [...o.calls.flatMap((c) => resolved(c)), ...reached(ctx, ['PUT', 'PUT', 'PUT'])];
      await optionsCount(ctx, path, 'PUT', 3);
      const seq = ctx.access(path).map((e) => (e.method === 'OPTIONS' ? 'O' : e.method === 'PUT' ? 'P' : '?')).join('');
      return [...p, ...expect(seq, ctx.engine.name)];
    },
  };
}

export const SCENARIOS = [
  // ------------------------------------------------------------ simple requests
  {
    id: 'getjson-partner', title: 'jQuery.getJSON GET from the partner page', from: 'partner', control: 'pass',
    run: (ctx) => ctx.page.evaluate((u) => cors.getJSON(u), ctx.url('/api/items.php')),
    check: (o, ctx) => [...resolved(o), ...eq('items', o.json && o.json.items.length, 2),
                        ...eq('X-Total-Count (exposed)', o.headers && o.headers['x-total-count'], '2'),
                        ...reached(ctx, ['GET'])],
  },
  {
    id: 'getjson-stranger', title: 'jQuery.getJSON GET from a non-partner fails and never reaches PHP', from: 'stranger', control: 'fail',
    run: (ctx) => ctx.page.evaluate((u) => cors.getJSON(u), ctx.url('/api/items.php')),
    check: (o, ctx) => [...(o.outcome === 'rejected' && o.status === 0 ? [] : [`expected jQuery error with status 0, got ${JSON.stringify(o)}`]),
                        ...neverReached(ctx)],
  },
  {
    id: 'fetch-get-stranger', title: 'fetch GET from a non-partner: TypeError, never reaches PHP', from: 'stranger', control: 'fail',
    run: (ctx) => ctx.page.evaluate((u) => cors.fetch(u), ctx.url('/api/items.php')),
    check: (o, ctx) => [...rejectedTypeError(o, ctx), ...neverReached(ctx)],
  },
  {
    id: 'expose-headers', title: 'fetch GET: response type cors, X-Total-Count readable (exposed), X-Request-Id not', from: 'partner', control: 'pass',
    run: (ctx) => ctx.page.evaluate((u) => cors.fetch(u, {}, ['x-total-count', 'x-request-id', 'content-type']), ctx.url('/api/items.php')),
    check: (o, ctx) => [...resolved(o), ...eq('type', o.type, 'cors'),
                        ...eq('X-Total-Count', o.headers && o.headers['x-total-count'], '2'),
                        ...eq('X-Request-Id (not exposed)', o.headers && o.headers['x-request-id'], null),
                        ...eq('Content-Type (safelisted)', o.headers && o.headers['content-type'], 'application/json'),
                        ...reached(ctx, ['GET'])],
  },
  {
    id: 'lookalike-origin', title: 'look-alike origin app.partner.test.evil.test: TypeError, never reaches PHP', from: 'lookalike', control: 'fail',
    run: (ctx) => ctx.page.evaluate((u) => cors.fetch(u), ctx.url('/api/items.php')),
    check: (o, ctx) => [...rejectedTypeError(o, ctx), ...neverReached(ctx)],
  },
  {
    id: 'null-origin', title: 'sandboxed iframe (Origin: null) in the partner page: TypeError, never reaches PHP', from: 'partner', control: 'fail',
    run: (ctx) => ctx.page.evaluate((u) => cors.fetchFromSandbox(u), ctx.url('/api/items.php')),
    check: (o, ctx) => [...rejectedTypeError(o, ctx), ...neverReached(ctx)],
  },
  {
    id: 'same-origin-post', title: 'same-origin POST from a page on the API origin (Origin sent) is never refused', from: 'same', control: 'pass',
    run: (ctx) => ctx.page.evaluate(([u, b]) => cors.fetch(u, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(b) }),
                                    [ctx.url('/api/items.php'), JSON_BODY]),
    check: (o, ctx) => [...resolved(o), ...eq('received', o.json && o.json.received, JSON_BODY),
                        ...reached(ctx, ['POST']),
                        ...(ctx.group === 'cors' ? eq('CORS_REQUEST seen by PHP', ctx.hits().map((h) => h.cors_request), ['same-origin']) : [])],
  },
  {
    id: 'redirect', title: 'fetch follows a 302 from the API to the API (CORS headers on the 3xx)', from: 'partner', control: 'pass',
    run: (ctx) => ctx.page.evaluate((u) => cors.fetch(u), ctx.url('/api/redirect.php')),
    check: (o, ctx) => [...resolved(o), ...eq('redirected', o.redirected, true), ...eq('items', o.json && o.json.items.length, 2),
                        ...reached(ctx, ['GET', 'GET'])],
  },
  {
    id: 'redirect-moved', title: 'fetch follows a 301 made by Apache (vhost RedirectMatch of a moved endpoint)', from: 'partner', control: 'fail',
    run: (ctx) => ctx.page.evaluate((u) => cors.fetch(u), ctx.url('/api/v1/items.php')),
    check: (o, ctx) => [...resolved(o), ...eq('redirected', o.redirected, true), ...eq('items', o.json && o.json.items.length, 2),
                        ...reached(ctx, ['GET'])],
  },
  // ------------------------------------------------------------ preflighted requests
  {
    id: 'preflight-post-json', title: 'fetch POST JSON + X-Custom-Header (preflight) from the partner', from: 'partner', control: 'fail',
    run: (ctx) => ctx.page.evaluate(([u, b]) => cors.fetch(u, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Custom-Header': 'hello' }, body: JSON.stringify(b) }),
                                    [ctx.url('/api/items.php'), JSON_BODY]),
    check: async (o, ctx) => {
      const p = [...resolved(o), ...eq('received', o.json && o.json.received, JSON_BODY),
                 ...eq('X-Custom-Header seen by PHP', o.json && o.json.custom_header, 'hello'),
                 ...reached(ctx, ['POST'])];
      const opts = await optionsCount(ctx, '/api/items.php', 'POST', 1);
      return [...p, ...eq('preflights in the access log (status)', opts.map((e) => e.status), [204])];
    },
  },
  {
    id: 'preflight-post-stranger', title: 'fetch POST JSON + X-Custom-Header from a non-partner: TypeError, neither OPTIONS nor POST reach PHP', from: 'stranger', control: 'fail',
    run: (ctx) => ctx.page.evaluate(([u, b]) => cors.fetch(u, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Custom-Header': 'hello' }, body: JSON.stringify(b) }),
                                    [ctx.url('/api/items.php'), JSON_BODY]),
    check: (o, ctx) => [...rejectedTypeError(o, ctx), ...neverReached(ctx)],
  },
  {
    id: 'put-partner', title: 'fetch PUT JSON (preflight) from the partner', from: 'partner', control: 'fail',
    run: (ctx) => ctx.page.evaluate(([u, b]) => cors.fetch(u, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(b) }),
                                    [ctx.url('/api/items.php'), JSON_BODY]),
    check: (o, ctx) => [...resolved(o), ...eq('method', o.json && o.json.method, 'PUT'),
                        ...eq('received', o.json && o.json.received, JSON_BODY), ...reached(ctx, ['PUT'])],
  },
  {
    id: 'delete-partner', title: 'fetch DELETE (preflight) from the partner', from: 'partner', control: 'fail',
    run: (ctx) => ctx.page.evaluate((u) => cors.fetch(u, { method: 'DELETE' }), ctx.url('/api/items.php')),
    check: (o, ctx) => [...resolved(o), ...eq('method', o.json && o.json.method, 'DELETE'), ...reached(ctx, ['DELETE'])],
  },
  {
    id: 'patch-refused', title: 'fetch PATCH (not in CORSAllowMethods) from the partner: TypeError, never reaches PHP', from: 'partner', control: 'fail',
    run: (ctx) => ctx.page.evaluate((u) => cors.fetch(u, { method: 'PATCH', body: '{}' }), ctx.url('/api/items.php')),
    check: (o, ctx) => [...rejectedTypeError(o, ctx), ...neverReached(ctx)],
  },
  {
    id: 'header-refused', title: 'fetch with X-Unlisted-Header (not in CORSAllowHeaders): TypeError, never reaches PHP', from: 'partner', control: 'fail',
    run: (ctx) => ctx.page.evaluate((u) => cors.fetch(u, { headers: { 'X-Unlisted-Header': '1' } }), ctx.url('/api/items.php')),
    check: (o, ctx) => [...rejectedTypeError(o, ctx), ...neverReached(ctx)],
  },
  {
    id: 'authorization-listed', title: 'fetch with Authorization (listed in CORSAllowHeaders) to a protected endpoint', from: 'partner', control: 'fail',
    run: (ctx) => ctx.page.evaluate((u) => cors.fetch(u, { headers: { Authorization: 'Bearer partner-token' } }), ctx.url('/api/secure.php')),
    check: (o, ctx) => [...resolved(o), ...eq('user', o.json && o.json.user, 'partner'),
                        ...reached(ctx, ['GET']),
                        ...eq('Authorization seen by PHP', ctx.hits().map((h) => h.authorization), ['Bearer partner-token'])],
  },
  {
    id: 'authorization-star', title: 'fetch with Authorization under CORSAllowHeaders * (not named): TypeError, never reaches PHP', from: 'partner', control: null,
    run: (ctx) => ctx.page.evaluate((u) => cors.fetch(u, { headers: { Authorization: 'Bearer partner-token' } }), ctx.url('/api-star/secure.php')),
    check: (o, ctx) => [...rejectedTypeError(o, ctx), ...neverReached(ctx)],
  },
  {
    id: 'star-custom-headers', title: 'fetch POST with two custom headers under CORSAllowHeaders *', from: 'partner', control: null,
    run: (ctx) => ctx.page.evaluate((u) => cors.fetch(u, { method: 'POST', headers: { 'X-Custom-Header': 'one', 'X-Trace-Id': 't-1', 'Content-Type': 'application/json' }, body: '{"a":1}' }),
                                    ctx.url('/api-star/items.php')),
    check: (o, ctx) => [...resolved(o), ...eq('X-Custom-Header seen by PHP', o.json && o.json.custom_header, 'one'), ...reached(ctx, ['POST'])],
  },
  // ------------------------------------------------------------ what the engines do with a bare `*`
  // mod_cors never answers a bare `*` for Authorization (the scenario above). These two show the
  // browser's side, on an endpoint where mod_cors is off and PHP answers the preflight itself with
  // `Access-Control-Allow-Headers: *` (app/api/star.php).
  {
    id: 'authorization-bare-star', title: 'a PHP answer with a bare Access-Control-Allow-Headers: * (mod_cors off there): the browser lets Authorization through (no credentials)',
    from: 'partner', control: null,
    run: (ctx) => ctx.page.evaluate((u) => cors.fetch(u, { headers: { Authorization: 'Bearer partner-token' } }), ctx.url('/app-star/star.php')),
    check: (o, ctx) => [...resolved(o), ...eq('Authorization echoed by PHP', o.json && o.json.authorization, 'Bearer partner-token'),
                        ...reached(ctx, ['OPTIONS', 'GET'])],
  },
  {
    id: 'bare-star-with-credentials', title: "the same bare * with credentials: 'include' is the header name \"*\": X-Custom-Header refused, the GET never sent",
    from: 'partner', control: null,
    run: (ctx) => ctx.page.evaluate((u) => cors.fetch(u, { credentials: 'include', headers: { 'X-Custom-Header': 'one' } }), ctx.url('/app-star/star.php', '&creds=1')),
    check: (o, ctx) => [...rejectedTypeError(o, ctx), ...reached(ctx, ['OPTIONS'])],
  },
  // ------------------------------------------------------------ the preflight cache
  {
    id: 'preflight-cache-credentials', title: "preflight cache and credentials mode: PUTs with credentials 'omit', 'include', 'omit', 'include' within CORSMaxAge 600",
    from: 'partner', control: null,
    run: async (ctx) => {
      const u = ctx.url('/api/items.php');
      const calls = [];
      for (const credentials of ['omit', 'include', 'omit', 'include']) {
        const init = { method: 'PUT', credentials, headers: { 'Content-Type': 'application/json' }, body: '{"n":1}' };
        calls.push(await ctx.page.evaluate(([a, b]) => cors.fetch(a, b), [u, init]));
      }
      return { ...calls[3], calls };
    },
    check: async (o, ctx) => {
      const p = [...o.calls.flatMap((c) => resolved(c)), ...reached(ctx, ['PUT', 'PUT', 'PUT', 'PUT'])];
      await optionsCount(ctx, '/api/items.php', 'PUT', 4);
      const seq = ctx.access('/api/items.php').map((e) => (e.method === 'OPTIONS' ? 'O' : e.method === 'PUT' ? 'P' : '?')).join('');
      o.sequence = seq;
      // The Fetch Standard: an entry made for a call without credentials does not serve a call
      // with credentials (a new preflight), an entry made with credentials serves both: OPOPPP.
      // Firefox 153: the credentialed call is preflighted again too, the last two from its cache or not (seen: OPOOPPOP).
      if (ctx.engine.name === 'firefox') return [...p, ...(/^(O+P){2}(O*P){2}$/.test(seq) ? [] : [`access log: expected (O+P){2}(O*P){2}, got ${seq}`])];
      return [...p, ...eq('access log (O = OPTIONS, P = PUT)', seq, 'OPOPPP')];
    },
  },
  threePuts('max-age-cached', 'three PUTs within Access-Control-Max-Age: the preflight is cached (Chromium: one OPTIONS; Firefox: its cache is used in some runs only)',
    '/api/items.php', 'fail', (seq, engine) => {
      if (engine === 'firefox') {
        // Firefox 153 uses its preflight cache in some runs and not in others, with the same
        // answers byte for byte (mod_cors of this turn and of the turn before alike): "OPPP",
        // "OPOPP" and "OPOPOP" were all seen, a second apart or back to back. What holds in
        // every run: each PUT has its preflight answered or cached, none goes out without.
        return /^OP(OP|P)(OP|P)$/.test(seq) ? [] : [`access log: expected OPPP, OPOPP, OPPOP or OPOPOP, got ${seq}`];
      }
      return eq('access log (O = OPTIONS, P = PUT)', seq, 'OPPP');
    }),
  threePuts('max-age-zero', 'CORSMaxAge 0: every PUT is preflighted again (three OPTIONS)',
    '/api-nocache/items.php', null, (seq) => eq('access log (O = OPTIONS, P = PUT)', seq, 'OPOPOP')),
  // ------------------------------------------------------------ error responses
  {
    id: 'error-500-php', title: 'PHP answers 500 with a JSON body: the page reads status, body and X-Total-Count', from: 'partner', control: 'pass',
    run: (ctx) => ctx.page.evaluate((u) => cors.fetch(u, {}, ['x-total-count']), ctx.url('/api/items.php', '&fail=1')),
    check: (o, ctx) => [...resolved(o, 500), ...eq('error', o.json && o.json.error, 'database unavailable'),
                        ...eq('X-Total-Count', o.headers && o.headers['x-total-count'], '2'), ...reached(ctx, ['GET'])],
  },
  {
    id: 'error-500-fatal', title: 'PHP fatal error (500): the page sees the status instead of a TypeError', from: 'partner', control: 'pass',
    run: (ctx) => ctx.page.evaluate((u) => cors.fetch(u), ctx.url('/api/fatal.php')),
    check: (o, ctx) => [...resolved(o, 500), ...reached(ctx, ['GET'])],
  },
  {
    id: 'error-404-apache', title: "Apache's own 404 page: the page sees 404 and its body", from: 'partner', control: 'fail',
    run: (ctx) => ctx.page.evaluate((u) => cors.fetch(u), ctx.url('/api/no-such-endpoint.php')),
    check: (o) => [...resolved(o, 404), ...(o.text && o.text.includes('Not Found') ? [] : ['404 body not readable'])],
  },
  {
    id: 'error-503-errordocument', title: 'maintenance 503 made by Apache (RedirectMatch 503 + JSON ErrorDocument): body readable', from: 'partner', control: 'fail',
    run: (ctx) => ctx.page.evaluate((u) => cors.fetch(u), ctx.url('/api/maintenance.php')),
    check: (o) => [...resolved(o, 503), ...eq('error', o.json && o.json.error, 'maintenance')],
  },
  // ------------------------------------------------------------ legacy endpoint that answers CORS itself
  {
    id: 'legacy-partner', title: 'legacy.php sets its own Access-Control-Allow-Origin: the browser still gets one answer', from: 'partner', control: 'fail',
    run: (ctx) => ctx.page.evaluate((u) => cors.fetch(u), ctx.url('/api/legacy.php')),
    check: (o, ctx) => [...resolved(o), ...eq('legacy', o.json && o.json.legacy, true), ...reached(ctx, ['GET'])],
  },
  {
    id: 'legacy-stranger', title: "legacy.php from a non-partner: TypeError, the PHP filter's die() never runs", from: 'stranger', control: 'fail',
    run: (ctx) => ctx.page.evaluate((u) => cors.fetch(u), ctx.url('/api/legacy.php')),
    check: (o, ctx) => [...rejectedTypeError(o, ctx), ...neverReached(ctx)],
  },
  // ------------------------------------------------------------ credentials
  {
    id: 'credentials-same-site', title: "credentials: 'include', cookie of api.partner.test (same site, cross origin) arrives; ACAC: true",
    from: 'partner', control: 'pass',
    run: (ctx) => ctx.page.evaluate((u) => cors.fetch(u, { credentials: 'include' }), ctx.url('/api/items.php', '', 'samesite')),
    check: (o, ctx) => [...resolved(o), ...eq('cookie echoed by PHP', o.json && o.json.cookie, ctx.cookies.samesite),
                        ...eq('cookie seen by PHP', ctx.hits().map((h) => h.cookie), [ctx.cookies.samesite])],
  },
  {
    id: 'credentials-cross-site-https', title: "credentials: 'include' to https://api.test (cross site), SameSite=None; Secure cookie arrives",
    from: 'partner', control: 'pass',
    run: (ctx) => ctx.page.evaluate((u) => cors.fetch(u, { credentials: 'include' }), ctx.url('/api/items.php', '', 'tls')),
    check: (o, ctx) => [...resolved(o), ...eq('cookie echoed by PHP', o.json && o.json.cookie, ctx.cookies.tls),
                        ...eq('cookie seen by PHP', ctx.hits().map((h) => h.cookie), [ctx.cookies.tls])],
  },
  {
    id: 'credentials-preflight-put', title: "credentials: 'include' PUT (preflight, then the cookie with the PUT) over https", from: 'partner', control: 'fail',
    run: (ctx) => ctx.page.evaluate((u) => cors.fetch(u, { method: 'PUT', credentials: 'include', headers: { 'Content-Type': 'application/json' }, body: '{"x":1}' }),
                                    ctx.url('/api/items.php', '', 'tls')),
    check: (o, ctx) => [...resolved(o), ...eq('cookie echoed by PHP', o.json && o.json.cookie, ctx.cookies.tls), ...reached(ctx, ['PUT'])],
  },
  {
    id: 'credentials-xhr', title: 'XMLHttpRequest withCredentials POST text/plain (no preflight), cookie arrives', from: 'partner', control: 'pass',
    run: (ctx) => ctx.page.evaluate((u) => cors.xhr('POST', u, { withCredentials: true, headers: { 'Content-Type': 'text/plain' }, body: '{"via":"xhr"}' }),
                                    ctx.url('/api/items.php', '', 'samesite')),
    check: async (o, ctx) => {
      const p = [...resolved(o), ...eq('cookie echoed by PHP', o.json && o.json.cookie, ctx.cookies.samesite),
                 ...eq('received', o.json && o.json.received, { via: 'xhr' }), ...reached(ctx, ['POST'])];
      const opts = await optionsCount(ctx, '/api/items.php', 'POST', 1);
      return [...p, ...eq('OPTIONS requests (a simple request needs none)', opts.length, 0)];
    },
  },
  {
    id: 'credentials-without-acac', title: "credentials: 'include' where CORSAllowCredentials Off: TypeError (no ACAC), though the origin is allowed",
    from: 'partner', control: null,
    run: (ctx) => ctx.page.evaluate((u) => cors.fetch(u, { credentials: 'include' }), ctx.url('/api-nocreds/items.php', '', 'samesite')),
    check: (o, ctx) => [...rejectedTypeError(o, ctx), ...reached(ctx, ['GET'])],
  },
  {
    id: 'nocreds-without-credentials', title: 'the same call without credentials where CORSAllowCredentials Off resolves', from: 'partner', control: null,
    run: (ctx) => ctx.page.evaluate((u) => cors.fetch(u), ctx.url('/api-nocreds/items.php', '', 'samesite')),
    check: (o, ctx) => [...resolved(o), ...eq('items', o.json && o.json.items.length, 2), ...reached(ctx, ['GET'])],
  },
  // ------------------------------------------------------------ CORSReject Off
  {
    id: 'reject-off-stranger', title: 'CORSReject Off: a non-partner GET reaches PHP (CORS_ALLOWED=0) but the browser keeps it from the page',
    from: 'stranger', control: null,
    run: (ctx) => ctx.page.evaluate((u) => cors.fetch(u), ctx.url('/api-lax/items.php')),
    check: (o, ctx) => [...rejectedTypeError(o, ctx), ...reached(ctx, ['GET']),
                        ...eq('CORS_ALLOWED seen by PHP', ctx.hits().map((h) => h.cors_allowed), ['0'])],
  },
];
