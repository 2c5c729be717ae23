// The demo page: the same calls from the partner origin and from the stranger origin, each shown
// with what the page observed, the decision mod_cors logged, and whether the PHP app ran.
(async function () {
  'use strict';
  const cfg = await (await fetch('/status.php?config=1')).json();
  const API = window.DEMO_API;
  const role = location.origin === window.DEMO_PARTNER ? 'partner' : 'stranger';
  const roleEl = document.getElementById('role');
  roleEl.textContent = role === 'partner' ? 'partner page ' + location.origin : 'stranger page ' + location.origin;
  roleEl.className = 'role ' + role;
  document.getElementById('intro').innerHTML =
    `This page calls the legacy PHP API at <code>${API}</code> (Apache + mod_cors). ` +
    (role === 'partner'
      ? `Its origin <code>${location.origin}</code> is the partner in <code>CORSAllowOrigin</code>: the allowed calls go through, the ones the policy does not cover are refused.`
      : `Its origin <code>${location.origin}</code> is not in the policy: every call is refused by mod_cors before PHP runs, and the browser keeps the answer from the page.`);
  document.getElementById('policy').textContent = cfg.policy.trim() + '\n\n# error log at start-up:\n' + (cfg.startup || []).join('\n');
  document.getElementById('links').innerHTML =
    `Partner page: <a href="${window.DEMO_PARTNER}/">${window.DEMO_PARTNER}/</a> &middot; ` +
    `stranger page: <a href="${window.DEMO_STRANGER}/">${window.DEMO_STRANGER}/</a> &middot; API: <a href="${API}/">${API}/</a>`;

  const json = { 'Content-Type': 'application/json' };
  const CALLS = [
    { title: 'jQuery.getJSON GET /api/items.php', note: 'the legacy partner page', path: '/api/items.php',
      run: (u) => cors.getJSON(u) },
    { title: 'fetch GET, read X-Total-Count', note: 'exposed by CORSExposeHeaders', path: '/api/items.php',
      run: (u) => cors.fetch(u, {}, ['x-total-count', 'x-request-id']) },
    { title: 'fetch POST JSON + X-Custom-Header', note: 'preflighted', path: '/api/items.php',
      run: (u) => cors.fetch(u, { method: 'POST', headers: { ...json, 'X-Custom-Header': 'hello' }, body: '{"name":"widget"}' }) },
    { title: 'fetch PUT JSON', note: 'preflighted', path: '/api/items.php',
      run: (u) => cors.fetch(u, { method: 'PUT', headers: json, body: '{"id":1,"name":"renamed"}' }) },
    { title: 'fetch DELETE', note: 'preflighted', path: '/api/items.php',
      run: (u) => cors.fetch(u, { method: 'DELETE' }) },
    { title: 'fetch PATCH', note: 'not in CORSAllowMethods', path: '/api/items.php',
      run: (u) => cors.fetch(u, { method: 'PATCH', headers: json, body: '{}' }) },
    { title: 'fetch with X-Unlisted-Header', note: 'not in CORSAllowHeaders', path: '/api/items.php',
      run: (u) => cors.fetch(u, { headers: { 'X-Unlisted-Header': '1' } }) },
    { title: 'fetch with Authorization: Bearer', note: 'named in CORSAllowHeaders; protected endpoint', path: '/api/secure.php',
      run: (u) => cors.fetch(u, { headers: { Authorization: 'Bearer partner-token' } }) },
    { title: "fetch credentials: 'include', sets a cookie", note: 'Set-Cookie from the API', path: '/api/cookie.php', query: '&set=demo-session',
      run: (u) => cors.fetch(u, { credentials: 'include' }) },
    { title: "fetch credentials: 'include', sends it back", note: 'CORSAllowCredentials On', path: '/api/items.php',
      run: (u) => cors.fetch(u, { credentials: 'include' }) },
    { title: 'fetch GET that fails with 500', note: 'the page can read the error body', path: '/api/items.php', query: '&fail=1',
      run: (u) => cors.fetch(u) },
    { title: 'fetch GET legacy.php', note: 'the PHP sets its own Access-Control-Allow-Origin', path: '/api/legacy.php',
      run: (u) => cors.fetch(u) },
  ];

  const tbody = document.querySelector('#calls tbody');
  function esc(s) { return String(s == null ? '' : s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c])); }
  function saw(o) {
    if (o.outcome === 'rejected') return `<span class="verdict">refused</span> <span class="code">${esc(o.error)}</span>`;
    let body = o.json ? JSON.stringify(o.json) : (o.text || '');
    if (body.length > 110) body = body.slice(0, 107) + '...';
    const hdrs = o.headers ? Object.entries(o.headers).map(([k, v]) => `${k}: ${v === null ? '(not readable)' : v}`).join(', ') : '';
    return `<span class="verdict">${o.status}</span> <span class="code">${esc(body)}</span>` + (hdrs ? `<div class="code muted">${esc(hdrs)}</div>` : '');
  }

  async function runAll() {
    tbody.innerHTML = '';
    const run = Date.now().toString(36);
    let allowed = 0, refused = 0;
    for (const [i, call] of CALLS.entries()) {
      const marker = `demo-${run}-${i + 1}`;
      const url = `${API}${call.path}/${marker}?id=${marker}${call.query || ''}`;
      const tr = document.createElement('tr');
      tr.className = 'pending';
      tr.innerHTML = `<td>${i + 1}</td><td>${esc(call.title)}<div class="muted">${esc(call.note)}</div></td>` +
                     `<td class="saw">running...</td><td class="code log"></td><td class="code php"></td>`;
      tbody.appendChild(tr);
      const o = call.run ? await call.run(url) : { outcome: 'rejected', error: 'not run' };
      const ok = o.outcome === 'resolved' && o.status !== 0;
      if (ok) allowed++; else refused++;
      tr.className = ok ? 'allowed' : 'refused';
      tr.querySelector('.saw').innerHTML = saw(o);
      const st = await (await fetch(`/status.php?marker=${marker}`)).json();
      tr.querySelector('.log').innerHTML = st.decisions.length
        ? st.decisions.map((d) => `<div class="log-${d.level}">[cors:${d.level}] ${esc(d.text.replace(`/${marker}`, ''))}</div>`).join('')
        : '<span class="muted">(nothing logged)</span>';
      tr.querySelector('.php').innerHTML = st.hits.length
        ? st.hits.map((h) => `${esc(h.method)}` + (h.cookie ? ` (cookie ${esc(h.cookie)})` : '') +
                             (h.cors_reason ? ` (CORS_REASON ${esc(h.cors_reason)})` : '')).join('<br>')
        : '<span class="muted">never reached</span>';
    }
    document.getElementById('summary').textContent = `${allowed} answered, ${refused} refused`;
    document.body.dataset.done = '1';
  }
  if (!window.jQuery) CALLS[0].run = async () => ({ outcome: 'rejected', error: 'jQuery not available on this machine' });
  document.getElementById('rerun').addEventListener('click', () => { document.body.dataset.done = ''; runAll(); });
  runAll();
})();
