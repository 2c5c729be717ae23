// mod_cors end-to-end in a real browser: Debian's chromium, headless, driven by playwright-core.
//
//   node run.mjs --module build/mod_cors.so --out build/browser
//
// Starts the servers (lib/servers.mjs), runs every scenario (scenarios.mjs) against mod_cors and
// the control group against the mod_headers recipe, writes results.json, results.html and a
// screenshot of the results page (results.png) into --out, and prints as its last line
// "N passed, M failed".
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startServers, hits, killAll } from './lib/servers.mjs';
import { SCENARIOS } from './scenarios.mjs';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]]);
  return acc;
}, []));
const MODULE = path.resolve(args.module || 'build/mod_cors.so');
const OUT = path.resolve(args.out || 'build/browser');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ONLY = process.env.BROWSER_ONLY ? new RegExp(process.env.BROWSER_ONLY) : null;
const SCENARIO_TIMEOUT = 20000;
const START = Date.now();

let passed = 0, failed = 0, number = 0;
const results = [];
function report(name, problems, extra) {
  number += 1;
  const ok = problems.length === 0;
  if (ok) passed += 1; else failed += 1;
  console.log(`${ok ? 'ok' : 'not ok'} ${number} - ${name}`);
  for (const p of problems) console.log(`  # ${p}`);
  results.push({ name, ok, problems, ...extra });
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms); }),
  ]);
}

function summary(o) {
  if (!o) return '';
  if (o.outcome === 'rejected') return `rejected: ${o.error}`;
  let body = o.json ? JSON.stringify(o.json) : (o.text || '').replace(/\s+/g, ' ');
  if (body.length > 70) body = body.slice(0, 67) + '...';
  return `resolved ${o.status}${o.type ? ' (' + o.type + ')' : ''}: ${body}`;
}

function fail(msg) {
  console.log(`not ok - ${msg}`);
  console.log(`${passed} passed, ${failed + 1} failed`);
  process.exit(1);
}

if (!fs.existsSync(MODULE)) fail(`mod_cors.so not found: ${MODULE} (run make first)`);
if (!fs.existsSync(CHROMIUM)) fail(`${CHROMIUM} not found (tests/browser/run.sh installs Debian's chromium)`);
fs.mkdirSync(OUT, { recursive: true });

let servers = null, browser = null, userDataDir = null;
async function cleanup() {
  try { if (browser) await withTimeout(browser.close(), 10000, 'closing chromium'); } catch { /* killed below */ }
  if (servers) await servers.stop();
  if (userDataDir) removeDir(userDataDir);
}
process.on('exit', () => killAll({ keep: true }));  // last resort: no httpd outlives the suite
function removeDir(dir) {
  try { fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 }); } catch { /* best effort */ }
}
let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, async () => {
    if (stopping) return;
    stopping = true;
    console.log(`# ${sig}: stopping`);
    killAll({ keep: process.env.BROWSER_KEEP === '1' });
    try { if (browser) await withTimeout(browser.close(), 5000, 'closing chromium'); } catch { /* killed at exit */ }
    if (userDataDir) removeDir(userDataDir);
    process.exit(130);
  });
}

try {
  servers = await startServers({ module: MODULE, keep: process.env.BROWSER_KEEP === '1' });
  const { ports } = servers;
  console.log(`# servers in ${servers.root}: pages ${ports.pages}, mod_cors api ${ports.api} (https ${ports.tls}), ` +
              `control api ${ports.ctl} (https ${ports.ctlTls})`);

  // A fresh profile; the host names of the test world all go to 127.0.0.1.
  userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mod_cors_chromium_'));
  // Chromium 156 blocks third-party cookies by default; the cross-site credentials scenarios
  // need a profile that allows them, as partner integrations do (cookie_controls_mode 0 = allow).
  fs.mkdirSync(path.join(userDataDir, 'Default'));
  fs.writeFileSync(path.join(userDataDir, 'Default', 'Preferences'),
                   JSON.stringify({ profile: { cookie_controls_mode: 0 } }));
  browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    ignoreHTTPSErrors: true,
    viewport: { width: 1280, height: 900 },
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run',
      '--host-resolver-rules=MAP *.partner.test 127.0.0.1, MAP *.evil.test 127.0.0.1, MAP api.test 127.0.0.1',
      '--ignore-certificate-errors',
    ],
    timeout: 60000,
  });
  console.log(`# ${CHROMIUM}: ${browser.browser() ? browser.browser().version() : 'chromium'}`);

  const pagesOrigin = {
    partner: `http://app.partner.test:${ports.pages}`,
    stranger: `http://shop.evil.test:${ports.pages}`,
    lookalike: `http://app.partner.test.evil.test:${ports.pages}`,
  };
  const apiPorts = { cors: { plain: ports.api, tls: ports.tls }, control: { plain: ports.ctl, tls: ports.ctlTls } };
  const base = (group, host) => host === 'tls' ? `https://api.test:${apiPorts[group].tls}`
    : host === 'samesite' ? `http://api.partner.test:${apiPorts[group].plain}`
    : `http://api.test:${apiPorts[group].plain}`;

  // The session cookies, set by visiting the API hosts first (top-level navigations).
  const cookies = { samesite: 'sid-same-site-' + process.pid, tls: 'sid-cross-site-' + process.pid };
  {
    const setter = await browser.newPage();
    await setter.goto(`${base('cors', 'samesite')}/api/cookie.php?set=${cookies.samesite}&id=setup`);
    await setter.goto(`${base('cors', 'tls')}/api/cookie.php?set=${cookies.tls}&id=setup`);
    await setter.close();
    const jar = await browser.cookies();
    console.log(`# cookies: ${jar.map((c) => `${c.name}@${c.domain} secure=${c.secure} sameSite=${c.sameSite}`).join(', ')}`);
  }

  const pages = {};
  async function pageFor(group, from) {
    const key = from === 'same' ? `same-${group}` : from;
    if (!pages[key]) {
      const page = await browser.newPage();
      const url = from === 'same' ? `${base(group, 'plain')}/client.html` : `${pagesOrigin[from]}/client.html`;
      await page.goto(url);
      await page.waitForFunction(() => window.cors && window.jQuery);
      pages[key] = page;
    }
    return pages[key];
  }

  const groups = [
    { group: 'cors', label: 'mod_cors', server: servers.cors },
    { group: 'control', label: 'control (mod_headers recipe)', server: servers.control },
  ];
  for (const { group, label, server } of groups) {
    for (const sc of SCENARIOS) {
      if (group === 'control' && sc.control === null) continue;
      if (ONLY && !ONLY.test(sc.id)) continue;
      const id = `${group}-${sc.id}`;
      const expectFail = group === 'control' && sc.control === 'fail';
      const name = group === 'cors' ? `mod_cors: ${sc.title}`
        : `control: ${sc.title} -> must ${expectFail ? 'FAIL' : 'pass'} under the mod_headers recipe`;
      let obs = null, problems;
      try {
        const page = await pageFor(group, sc.from);
        const ctx = {
          group, page, cookies,
          url: (p, extra = '', host = 'plain') => `${base(group, host)}${p}?id=${id}${extra}`,
          hits: () => hits(servers.hitsFile[group], id),
          access: (p) => server.accessEntries().filter((e) => e.target.startsWith(`${p}?id=${id}`)),
        };
        obs = await withTimeout(sc.run(ctx), SCENARIO_TIMEOUT, sc.id);
        problems = await sc.check(obs, ctx);
      } catch (e) {
        problems = [`error: ${e.message.split('\n')[0]}`];
      }
      const scenarioOk = problems.length === 0;
      const extra = { group, scenario: sc.id, title: sc.title, from: sc.from, observed: summary(obs), scenarioOk, detail: problems };
      if (group === 'control') {
        const want = sc.control === 'pass';
        report(name, scenarioOk === want ? [] : [
          want ? `expected to pass under the recipe, failed: ${problems.join('; ')}`
               : `expected to FAIL under the recipe, but it passed (${summary(obs)})`], { ...extra, expected: sc.control });
      } else {
        report(name, problems, { ...extra, expected: 'pass' });
      }
    }
  }

  // The control group must fail at least 3 scenarios that mod_cors passes.
  const corsPassed = new Set(results.filter((r) => r.group === 'cors' && r.scenarioOk).map((r) => r.scenario));
  const shown = results.filter((r) => r.group === 'control' && !r.scenarioOk && corsPassed.has(r.scenario)).map((r) => r.scenario);
  if (!ONLY) {
    report(`control group fails at least 3 scenarios that mod_cors passes (${shown.length}: ${shown.join(', ')})`,
           shown.length >= 3 ? [] : [`only ${shown.length}`], { group: 'meta' });
  }

  // Results page, and its screenshot.
  const html = resultsPage(results, { ports, elapsed: (Date.now() - START) / 1000 });
  fs.writeFileSync(path.join(OUT, 'results.html'), html);
  fs.writeFileSync(path.join(OUT, 'results.json'), JSON.stringify(results, null, 2));
  const shot = await browser.newPage();
  await shot.setViewportSize({ width: 1400, height: 900 });
  await shot.setContent(html);
  await shot.screenshot({ path: path.join(OUT, 'results.png'), fullPage: true });
  console.log(`# results page: ${path.join(OUT, 'results.html')}, screenshot: ${path.join(OUT, 'results.png')}`);
} catch (e) {
  console.log(`not ok - suite error: ${e.stack || e}`);
  failed += 1;
} finally {
  await cleanup();
}
console.log(`# ${((Date.now() - START) / 1000).toFixed(1)} s`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);

function esc(s) {
  return String(s ?? '').replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]));
}

function resultsPage(rows, { ports, elapsed }) {
  const bySc = new Map();
  for (const r of rows.filter((x) => x.group === 'cors' || x.group === 'control')) {
    if (!bySc.has(r.scenario)) bySc.set(r.scenario, { title: r.title, from: r.from });
    bySc.get(r.scenario)[r.group] = r;
  }
  const cell = (r) => {
    if (!r) return '<td class="na">not run (policy variant)</td>';
    const verdict = r.scenarioOk ? 'scenario passes' : 'scenario fails';
    const cls = r.ok ? (r.scenarioOk ? 'good' : 'expected-fail') : 'bad';
    const detail = r.scenarioOk ? '' : `<div class="why">${esc(r.detail.join('; '))}</div>`;
    return `<td class="${cls}"><b>${r.ok ? '&#10003;' : '&#10007;'} ${verdict}</b>${r.group === 'control' ? ` (expected: ${esc(r.expected)})` : ''}` +
           `<div class="obs">${esc(r.observed)}</div>${detail}</td>`;
  };
  const meta = rows.filter((x) => x.group === 'meta');
  const nPass = rows.filter((r) => r.ok).length, nFail = rows.length - nPass;
  return `<!doctype html><html><head><meta charset="utf-8"><title>mod_cors browser results</title>
<style>
body{font:13px/1.35 system-ui,sans-serif;margin:16px;color:#222}
h1{font-size:20px;margin:0 0 4px} .sub{color:#555;margin-bottom:10px}
table{border-collapse:collapse;width:100%} th,td{border:1px solid #ccc;padding:4px 6px;vertical-align:top;text-align:left}
th{background:#eee} td.good{background:#e6f6e6} td.expected-fail{background:#fff1d6} td.bad{background:#f9d4d4} td.na{color:#888;background:#f4f4f4}
.obs{font-family:monospace;font-size:11px;color:#333;word-break:break-all} .why{font-size:11px;color:#8a4b00}
.from{font-family:monospace;font-size:11px;color:#555} .total{font-size:16px;font-weight:bold;margin:8px 0}
</style></head><body>
<h1>mod_cors in headless Chromium</h1>
<div class="sub">Pages on http://app.partner.test:${ports.pages} (partner), http://shop.evil.test:${ports.pages} (stranger),
http://app.partner.test.evil.test:${ports.pages} (look-alike); API: Apache + mod_cors on api.test:${ports.api} / https :${ports.tls},
control: the same PHP app behind SetEnvIf + mod_headers on api.test:${ports.ctl} / https :${ports.ctlTls}.
Green: passes; amber: fails under the recipe, as the control group must; red: a test failure.</div>
<div class="total">${nPass} passed, ${nFail} failed &middot; ${elapsed.toFixed(1)} s</div>
<table><tr><th>#</th><th>scenario</th><th>mod_cors</th><th>control: mod_headers + SetEnvIf</th></tr>
${[...bySc.entries()].map(([id, s], i) => `<tr><td>${i + 1}</td><td>${esc(s.title)}<div class="from">${esc(id)} &middot; page: ${esc(s.from)}</div></td>${cell(s.cors)}${cell(s.control)}</tr>`).join('\n')}
</table>
${meta.map((m) => `<p class="total">${m.ok ? '&#10003;' : '&#10007;'} ${esc(m.name)}</p>`).join('')}
</body></html>`;
}
