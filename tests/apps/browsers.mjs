// A partner page and a stranger page calling WordPress's REST API in every browser engine of
// tests/browser/lib/engines.mjs (Chromium, Firefox, and whatever else it offers), run by
// test_browsers.py:
//
//   node browsers.mjs '{"engine": "chromium", "blog": "http://blog.example.test:P", "partner": ..., "stranger": ...,
//                       "user": "admin", "password": "...", "marker": "..."}'
//
// The browser logs in to WordPress on its own pages (wp-login.php), takes the REST nonce from
// admin-ajax.php?action=rest-nonce there, then opens the partner page, which calls the REST API
// with credentials: 'include' and the nonce: a post list and X-WP-Total, users/me, a new draft.
// The stranger page (a sibling subdomain: the login cookie rides along) makes the same calls.
// Prints one JSON line with what each page saw.
import * as engines from '../browser/lib/engines.mjs';

const args = JSON.parse(process.argv[2]);
const HOSTS = ['blog.example.test', 'partner.example.test', 'evil.example.test'];

// The calls a partner integration makes, run inside a page.
async function calls({ blog, nonce, marker }) {
  const out = {};
  const api = `${blog}/wp-json/wp/v2`;
  const attempt = async (name, fn) => {
    try { out[name] = await fn(); } catch (e) { out[name] = { error: String(e) }; }
  };
  await attempt('list', async () => {
    const r = await fetch(`${api}/posts?rid=${marker}`, { credentials: 'include', headers: { 'X-WP-Nonce': nonce } });
    return { status: r.status, total: r.headers.get('X-WP-Total'), pages: r.headers.get('X-WP-TotalPages'),
             titles: (await r.json()).map((p) => p.title.rendered) };
  });
  await attempt('me', async () => {
    const r = await fetch(`${api}/users/me?rid=${marker}`, { credentials: 'include', headers: { 'X-WP-Nonce': nonce } });
    return { status: r.status, slug: (await r.json()).slug };
  });
  await attempt('draft', async () => {
    const r = await fetch(`${api}/posts?rid=${marker}`, {
      method: 'POST', credentials: 'include',
      headers: { 'X-WP-Nonce': nonce, 'Content-Type': 'application/json' },
      body: JSON.stringify({ title: `draft from ${location.host} ${marker}`, status: 'draft' }),
    });
    const body = await r.json();
    return { status: r.status, id: body.id, state: body.status };
  });
  return out;
}

async function main() {
  const engine = await engines.launch(args.engine, { hosts: HOSTS });
  const result = { engine: engine.name, version: engine.version };
  try {
    const own = await engine.open(`${args.blog}/wp-login.php`);
    result.nonce = await own.evaluate(async ({ user, password }) => {
      const form = new URLSearchParams({ log: user, pwd: password, 'wp-submit': 'Log In', testcookie: '1',
                                         redirect_to: '/wp-admin/' });
      const login = await fetch('/wp-login.php', { method: 'POST', body: form, credentials: 'same-origin' });
      if (!login.url.includes('/wp-admin/')) return `login failed: ${login.status} ${login.url}`;
      return (await fetch('/wp-admin/admin-ajax.php?action=rest-nonce')).text();
    }, { user: args.user, password: args.password });
    result.cookies = (await engine.cookies()).map((c) => c.name);
    for (const who of ['partner', 'stranger']) {
      const page = await engine.open(args[who]);
      result[who] = await page.evaluate(calls, { blog: args.blog, nonce: result.nonce, marker: `${args.marker}-${who}` });
      result[who].messages = page.messages;
      await page.close();
    }
    result.fetchError = engine.fetchError;
  } finally {
    await engine.close();
  }
  console.log(JSON.stringify(result));
}

const timer = setTimeout(() => { console.error('browsers.mjs: timed out'); process.exit(3); }, 150000);
main().then(() => { clearTimeout(timer); process.exit(0); }, (e) => { console.error(e); process.exit(1); });
