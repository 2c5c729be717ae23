// mod_cors end-to-end in three real browser engines: Debian's chromium (playwright-core) and
// Debian's firefox-esr (puppeteer-core over WebDriver BiDi), both headless, and Debian's WebKitGTK
// (MiniBrowser through WebKitWebDriver on Xvfb, lib/webdriver.mjs).
//
//   node run.mjs --module build/mod_cors.so --out build/browser
//
// Asks the harness for the servers (lib/servers.mjs), starts `make demo` (lib/demo.mjs), runs
// every scenario (scenarios.mjs) in each engine (lib/engines.mjs) against mod_cors and the
// control group against the mod_headers recipe, opens the demo's partner and stranger pages in
// each engine, and writes into --out: results.json, results.html, results-ENGINE.png and
// demo-{partner,stranger}-ENGINE.png. Also measures each engine's preflight-cache cap for
// CORSMaxAge 86400 (libfaketime) and reads WebKit's console for the refusals. Prints
// "ENGINE: N passed, M failed" per engine, the time per engine, then, as its last line, the
// total "N passed, M failed".
//
// BROWSER_ENGINES=chromium,firefox,webkit (default all three), BROWSER_ONLY=regex (scenario ids),
// BROWSER_DEMO=0 (skip the demo pages), BROWSER_KEEP=1 (keep the servers' directories).
import fs from 'node:fs';
import path from 'node:path';
import { startServers, hits, killAll } from './lib/servers.mjs';
import { launch, FETCH_ERROR } from './lib/engines.mjs';
import { webKitConsole } from './lib/webdriver.mjs';
import { startDemo, killDemo } from './lib/demo.mjs';
import { SCENARIOS } from './scenarios.mjs';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]]);
  return acc;
}, []));
const MODULE = path.resolve(args.module || 'build/mod_cors.so');
const OUT = path.resolve(args.out || 'build/browser');
const ENGINES = (process.env.BROWSER_ENGINES || 'chromium,firefox,webkit').split(',').map((s) => s.trim()).filter(Boolean);
const ONLY = process.env.BROWSER_ONLY ? new RegExp(process.env.BROWSER_ONLY) : null;
const WITH_DEMO = process.env.BROWSER_DEMO !== '0' && !ONLY;
const KEEP = process.env.BROWSER_KEEP === '1';
const SCENARIO_TIMEOUT = 20000;
const START = Date.now();
// The host names of the test world; every one resolves to 127.0.0.1 in every engine.
const HOSTS = ['*.partner.test', '*.evil.test', 'api.test'];

const results = [];
const seconds = {};   // per engine: launch, scenarios, measurements, demo pages, close
const counts = Object.fromEntries([...ENGINES, 'suite'].map((e) => [e, { passed: 0, failed: 0 }]));
let number = 0;
function report(engine, name, problems, extra = {}) {
  number += 1;
  const ok = problems.length === 0;
  counts[engine][ok ? 'passed' : 'failed'] += 1;
  console.log(`${ok ? 'ok' : 'not ok'} ${number} - ${engine}: ${name}`);
  for (const p of problems) console.log(`  # ${p}`);
  results.push({ engine, name, ok, problems, ...extra });
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

function totals() {
  for (const e of ENGINES) console.log(`${e}: ${counts[e].passed} passed, ${counts[e].failed} failed`);
  console.log(`# time per engine: ${ENGINES.map((e) => `${e} ${(seconds[e] || 0).toFixed(1)} s`).join(', ')}`);
  const all = Object.values(counts).reduce((a, c) => ({ passed: a.passed + c.passed, failed: a.failed + c.failed }), { passed: 0, failed: 0 });
  if (counts.suite.passed + counts.suite.failed) console.log(`# suite checks: ${counts.suite.passed} passed, ${counts.suite.failed} failed`);
  console.log(`# ${((Date.now() - START) / 1000).toFixed(1)} s`);
  console.log(`${all.passed} passed, ${all.failed} failed`);
  return all;
}

if (!fs.existsSync(MODULE)) {
  console.log(`not ok - mod_cors.so not found: ${MODULE} (run make first)`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
fs.mkdirSync(OUT, { recursive: true });

let servers = null, demo = null;
const engines = [];
let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    if (stopping) return;
    stopping = true;
    console.log(`# ${sig}: stopping`);
    for (const e of engines) e.kill();
    killAll();
    killDemo();
    setTimeout(() => process.exit(130), 500);
  });
}
process.on('exit', () => { killAll(); killDemo(); });  // last resort: no server outlives the suite

// ------------------------------------------------------------------ one engine

async function runEngine(name) {
  const engine = await launch(name, { hosts: HOSTS });
  engines.push(engine);
  console.log(`# ${name}: ${engine.version}`);
  const { ports } = servers;
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
  const cookies = { samesite: `sid-same-site-${name}-${process.pid}`, tls: `sid-cross-site-${name}-${process.pid}` };
  {
    const setter = await engine.open();
    await setter.goto(`${base('cors', 'samesite')}/api/cookie.php?set=${cookies.samesite}&id=${name}-setup`);
    await setter.goto(`${base('cors', 'tls')}/api/cookie.php?set=${cookies.tls}&id=${name}-setup`);
    await setter.close();
    const jar = await engine.cookies();
    console.log(`# ${name} cookies: ${jar.map((c) => `${c.name}@${c.domain} secure=${c.secure} sameSite=${c.sameSite}`).join(', ')}`);
  }

  const pages = {};
  async function pageFor(group, from) {
    const key = from === 'same' ? `same-${group}` : from;
    if (!pages[key]) {
      const url = from === 'same' ? `${base(group, 'plain')}/client.html` : `${pagesOrigin[from]}/client.html`;
      const page = await engine.open(url);
      await page.waitFor(() => window.cors && window.jQuery, undefined, 10000);
      pages[key] = page;
    }
    return pages[key];
  }

  // The preflight cache's cap (CORSMaxAge 86400): an engine that runs under libfaketime is
  // measured at the end in a browser of its own; the others get a bounded real-time measure,
  // first call now, second after this engine's scenarios.
  const wantCap = !ONLY || ONLY.test('max-age-cap');
  let capPrime = null;
  if (wantCap && !FAKE_CLOCK[name]) {
    try {
      const page = await pageFor('cors', 'partner');
      capPrime = { t0: Date.now(), first: await capPut(page, `${base('cors', 'plain')}${CAP_PATH}?id=${name}-cors-max-age-cap`) };
    } catch (e) { capPrime = { error: e.message.split('\n')[0] }; }
  }

  const mine = [];
  const groups = [
    { group: 'cors', server: servers.cors },
    { group: 'control', server: servers.control },
  ];
  for (const { group, server } of groups) {
    for (const sc of SCENARIOS) {
      if (group === 'control' && sc.control === null) continue;
      if (ONLY && !ONLY.test(sc.id)) continue;
      if (stopping) return engine;
      const id = `${name}-${group}-${sc.id}`;
      const expectFail = group === 'control' && sc.control === 'fail';
      const label = group === 'cors' ? `mod_cors: ${sc.title}`
        : `control: ${sc.title} -> must ${expectFail ? 'FAIL' : 'pass'} under the mod_headers recipe`;
      let obs = null, problems;
      try {
        const page = await pageFor(group, sc.from);
        const ctx = {
          engine, group, page, cookies,
          url: (p, extra = '', host = 'plain') => `${base(group, host)}${p}?id=${id}${extra}`,
          hits: () => hits(servers.hitsFile[group], id),
          access: (p) => server.accessEntries().filter((e) => e.path === p && e.id === id),
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
        report(name, label, scenarioOk === want ? [] : [
          want ? `expected to pass under the recipe, failed: ${problems.join('; ')}`
               : `expected to FAIL under the recipe, but it passed (${summary(obs)})`], { ...extra, expected: sc.control });
      } else {
        report(name, label, problems, { ...extra, expected: 'pass' });
      }
      mine.push(results[results.length - 1]);
    }
  }
  if (wantCap) {
    if (FAKE_CLOCK[name]) await measureCapFakeClock(name, base);
    else await measureCapRealTime(name, pages.partner, base, capPrime);
  }

  if (name === 'webkit' && (!ONLY || ONLY.test('console'))) await webkitConsole(base);

  // What the console said about each scenario's calls: the messages that name its URL (id=...).
  // Firefox reports a refusal's reason as a page error a moment after the call failed, often
  // while the next scenario runs, so the messages are matched by URL, not by time.
  const said = Object.values(pages).flatMap((p) => p.messages);
  for (const r of mine) {
    const re = new RegExp(`[?&]id=${name}-${r.group}-${r.scenario}(?![\\w-])`);
    r.messages = said.filter((m) => re.test(m));
  }
  for (const p of Object.values(pages)) await p.close().catch(() => {});

  // The control group must fail at least 3 scenarios that mod_cors passes.
  if (!ONLY) {
    const corsPassed = new Set(mine.filter((r) => r.group === 'cors' && r.scenarioOk).map((r) => r.scenario));
    const shown = mine.filter((r) => r.group === 'control' && !r.scenarioOk && corsPassed.has(r.scenario)).map((r) => r.scenario);
    report(name, `control group fails at least 3 scenarios that mod_cors passes (${shown.length}: ${shown.join(', ')})`,
           shown.length >= 3 ? [] : [`only ${shown.length}`], { group: 'meta' });
  }

  if (demo) await demoPages(engine);
  else if (WITH_DEMO) report(name, 'demo pages', ['the demo did not start (see above)'], { group: 'demo' });
  return engine;
}

// ------------------------------------------------------------------ the preflight cache's cap

// CORSMaxAge 86400 (/api-day/): how long does each engine really keep the preflight answer?
// The browser's clock is moved forward with libfaketime (Debian's faketime; the file it reads
// holds the offset, "+N" seconds) in a browser started for this alone; each probe is a fresh
// URL: a PUT (OPTIONS + PUT in Apache's access log), the clock moved on by d seconds, the same
// PUT again: "PUT" alone = served from the cache, "OPTIONS PUT" = expired; the next probe starts
// at the clock the last one left. The probes stop at the
// first expiry: the cap lies between the last cached d and that one. Apache's clock is not moved.
const CAP_PATH = '/api-day/items.php';
const CAP_PROBES = [595, 605, 7195, 7205, 86395, 86405];
const FAKETIME_DIR = '/usr/lib/x86_64-linux-gnu/faketime';
// Per engine: the libfaketime variant it starts with, and how long a new offset takes to be seen.
// Firefox 153 does not start under libfaketime (seen: no BiDi endpoint within 60 s, either
// variant), so it gets the bounded real-time measure instead.
const FAKE_CLOCK = {
  // WebKitGTK: the multi-threaded variant, the offset file read at every clock call.
  webkit: { env: { LD_PRELOAD: `${FAKETIME_DIR}/libfaketimeMT.so.1`, FAKETIME_NO_CACHE: '1' }, settle: 150 },
  // Chromium: hangs at start with FAKETIME_NO_CACHE or the MT variant; the offset file is re-read once a second.
  chromium: { env: { LD_PRELOAD: `${FAKETIME_DIR}/libfaketime.so.1`, FAKETIME_CACHE_DURATION: '1' }, settle: 2200 },
};
// What each engine's cap was measured to be (seconds, lower exclusive, upper inclusive), one line each.
const CAP_EXPECTED = {
  webkit: [595, 605],      // WebKitGTK 2.50: 600 s, whatever CORSMaxAge says above it (seen: cached after 595 s, preflight again after 605 s)
  chromium: [7195, 7205],  // Chromium 156: 7200 s (seen: cached after 7195 s, preflight again after 7205 s)
};

function capPut(page, url) {
  return page.evaluate((u) => cors.fetch(u, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: '{"cap":1}' }), url);
}

async function capSequence(id, puts) {
  const deadline = Date.now() + 3000;
  let entries = [];
  while (Date.now() < deadline) {
    entries = servers.cors.accessEntries().filter((e) => e.path === CAP_PATH && e.id === id);
    if (entries.filter((e) => e.method === 'PUT').length >= puts) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return entries.map((e) => (e.method === 'OPTIONS' ? 'O' : e.method === 'PUT' ? 'P' : '?')).join('');
}

async function measureCapFakeClock(name, base) {
  const clock = FAKE_CLOCK[name];
  const dir = fs.mkdtempSync(path.join(path.dirname(OUT), 'browser-clock-'));
  const offsetFile = path.join(dir, 'offset');
  const setOffset = async (sec) => { fs.writeFileSync(offsetFile, `+${sec}\n`); await new Promise((r) => setTimeout(r, clock.settle)); };
  fs.writeFileSync(offsetFile, '+0\n');
  const problems = [], probes = [];
  let measured = 'not measured', engine = null;
  try {
    if (!fs.existsSync(clock.env.LD_PRELOAD)) throw new Error(`${clock.env.LD_PRELOAD} missing (tests/deps.sh browser installs faketime)`);
    engine = await launch(name, { hosts: HOSTS, env: { ...clock.env, FAKETIME_TIMESTAMP_FILE: offsetFile } });
    engines.push(engine);
    const page = await engine.open(`http://app.partner.test:${servers.ports.pages}/client.html`);
    await page.waitFor(() => window.cors, undefined, 10000);
    let offset = 0, lastCached = null;
    for (const d of CAP_PROBES) {
      const id = `${name}-cors-max-age-cap-${d}`;
      const url = `${base('cors', 'plain')}${CAP_PATH}?id=${id}`;
      // One clock change per probe, before its second call: a change not yet seen there would
      // only make the gap look shorter than d.
      const a = await capPut(page, url);
      offset += d;
      await setOffset(offset);
      const b = await capPut(page, url);
      for (const o of [a, b]) if (o.outcome !== 'resolved' || o.status !== 200) problems.push(`probe ${d} s: the PUT ${o.outcome === 'resolved' ? 'answered ' + o.status : o.error}`);
      const seq = await capSequence(id, 2);
      probes.push(`${d}s:${seq}`);
      if (seq === 'OPP') { lastCached = d; continue; }
      if (seq !== 'OPOP') { problems.push(`probe ${d} s: access log ${seq}, expected OPP or OPOP`); break; }
      measured = lastCached === null ? `expired after ${d} s already` : `between ${lastCached} s and ${d} s`;
      const want = CAP_EXPECTED[name];
      if (want && !(lastCached === want[0] && d === want[1])) problems.push(`expected the cap between ${want[0]} s and ${want[1]} s, measured ${measured}`);
      break;
    }
    if (measured === 'not measured' && !problems.length) {
      measured = `at least ${CAP_PROBES[CAP_PROBES.length - 1]} s`;
      if (CAP_EXPECTED[name]) problems.push(`expected the cap between ${CAP_EXPECTED[name][0]} s and ${CAP_EXPECTED[name][1]} s, measured ${measured}`);
    }
  } catch (e) {
    problems.push(`error: ${e.message.split('\n')[0]}`);
  } finally {
    if (engine) { await engine.close(); engines.splice(engines.indexOf(engine), 1); }
    fs.rmSync(dir, { recursive: true, force: true });
  }
  report(name, `preflight cache cap for CORSMaxAge 86400 (browser clock moved by libfaketime): ${measured} [${probes.join(' ')}]`,
         problems, { group: 'measure', scenario: 'max-age-cap', measured, probes });
}

// Without a fake clock: the first PUT was made before this engine's scenarios, the second now.
// Cached: the cap is at least the time between them. Not cached: the entry was not used (as
// Firefox does in some runs, see max-age-cached), which says nothing about the cap.
async function measureCapRealTime(name, page, base, prime) {
  const problems = [];
  let measured = 'not measured', seq = '';
  try {
    if (!prime || prime.error) throw new Error(`no first call: ${prime && prime.error}`);
    const id = `${name}-cors-max-age-cap`;
    const second = await capPut(page, `${base('cors', 'plain')}${CAP_PATH}?id=${id}`);
    const waited = Math.floor((Date.now() - prime.t0) / 1000);
    for (const o of [prime.first, second]) if (o.outcome !== 'resolved' || o.status !== 200) problems.push(`the PUT ${o.outcome === 'resolved' ? 'answered ' + o.status : o.error}`);
    seq = await capSequence(id, 2);
    if (seq === 'OPP') measured = `at least ${waited} s (real time; the clock not moved)`;
    else if (seq === 'OPOP') measured = `not used after ${waited} s (the entry was not reused, as in some runs of max-age-cached)`;
    else problems.push(`access log ${seq}, expected OPP or OPOP`);
  } catch (e) {
    problems.push(`error: ${e.message.split('\n')[0]}`);
  }
  report(name, `preflight cache cap for CORSMaxAge 86400 (real time): ${measured} [${seq}]`, problems,
         { group: 'measure', scenario: 'max-age-cap', measured, probes: [seq] });
}

// ------------------------------------------------------------------ WebKit's console

// WebKit's console cannot be read over its WebDriver (lib/webdriver.mjs): the same refusals as
// the scenarios (a stranger's GET, a PATCH not in CORSAllowMethods, credentials where
// CORSAllowCredentials is Off, the recipe's two Access-Control-Allow-Origin on legacy.php) made
// by app/pages/refusals.html in a MiniBrowser without automation, its console read from stdout.
async function webkitConsole(base) {
  const id = (what) => `webkit-cors-console-${what}`;
  const partner = `http://app.partner.test:${servers.ports.pages}`, stranger = `http://shop.evil.test:${servers.ports.pages}`;
  const calls = {
    stranger: [`${base('cors', 'plain')}/api/items.php?id=${id('stranger')}`, {}],
    patch: [`${base('cors', 'plain')}/api/items.php?id=${id('patch')}`, { method: 'PATCH', body: '{}' }],
    nocreds: [`${base('cors', 'samesite')}/api-nocreds/items.php?id=${id('nocreds')}`, { credentials: 'include' }],
    two: [`${base('control', 'plain')}/api/legacy.php?id=${id('two')}`, {}],
  };
  // WebKitGTK 2.50's words for each refusal (seen), then "Fetch API cannot load URL due to access control checks."
  const said = {
    stranger: `Origin ${stranger} is not allowed by Access-Control-Allow-Origin. Status code: 403`,
    patch: 'Preflight response is not successful. Status code: 403',
    nocreds: 'Credentials flag is true, but Access-Control-Allow-Credentials is not "true".',
    two: 'Access-Control-Allow-Origin cannot contain more than one origin.',
  };
  const page = (origin, keys) => `${origin}/refusals.html#${encodeURIComponent(JSON.stringify(keys.map((k) => calls[k])))}`;
  const problems = [];
  let lines = [];
  try {
    lines = await webKitConsole([page(stranger, ['stranger']), page(partner, ['patch', 'nocreds', 'two'])], { doneMarker: 'refusals: done' });
    for (const [k, [url]] of Object.entries(calls)) {
      if (!lines.some((l) => l.includes(`page saw ${FETCH_ERROR.webkit} for ${url}`))) problems.push(`${k}: the page did not see "${FETCH_ERROR.webkit}"`);
      if (!lines.some((l) => l.includes(`Fetch API cannot load ${url} due to access control checks.`))) problems.push(`${k}: no "Fetch API cannot load ... due to access control checks." for ${url}`);
      if (!lines.some((l) => l.includes(said[k]))) problems.push(`${k}: the console did not say "${said[k]}"`);
    }
    if (hits(servers.hitsFile.cors, id('stranger')).length || hits(servers.hitsFile.cors, id('patch')).length) problems.push('a refused call reached PHP');
  } catch (e) {
    problems.push(`error: ${e.message.split('\n')[0]}`);
  }
  const messages = lines.filter((l) => /CONSOLE (SECURITY|JS) ERROR/.test(l));
  for (const m of messages) console.log(`  # webkit console: ${m}`);
  report('webkit', `console messages of refused calls (MiniBrowser without WebDriver, console on stdout): ${messages.length} lines`, problems,
         { group: 'measure', scenario: 'console', messages });
}

// ------------------------------------------------------------------ the demo's pages

// What `make demo` intends: on the partner page every call is answered except the ones its
// policy does not cover (a method not in CORSAllowMethods, a header not in CORSAllowHeaders),
// which never reach PHP; on the stranger page every call is refused and none reaches PHP.
async function demoPages(engine) {
  for (const role of ['partner', 'stranger']) {
    const problems = [];
    let page = null, rows = [], summaryText = '';
    try {
      page = await engine.open(`${demo[role]}/`);
      await page.waitFor(() => document.body && document.body.dataset.done === '1', undefined, 60000);
      ({ rows, summaryText } = await page.evaluate(() => ({
        summaryText: (document.getElementById('summary') || {}).textContent || '',
        rows: [...document.querySelectorAll('#calls tbody tr')].map((tr) => ({
          state: tr.className, call: tr.cells[1].textContent, saw: tr.cells[2].textContent, php: tr.cells[4].textContent,
        })),
      })));
      if (rows.length < 5) problems.push(`only ${rows.length} calls on the page`);
      for (const r of rows) {
        const uncovered = /not in CORSAllow/.test(r.call);
        const want = role === 'partner' && !uncovered ? 'allowed' : 'refused';
        if (r.state !== want) problems.push(`"${r.call}": ${r.state}, expected ${want} (page saw: ${r.saw.slice(0, 80)})`);
        if (want === 'refused' && !/never reached/.test(r.php)) problems.push(`"${r.call}" refused but reached PHP: ${r.php}`);
        if (want === 'refused' && !r.saw.includes(engine.fetchError) && !/jQuery error/.test(r.saw)) {
          problems.push(`"${r.call}": expected "${engine.fetchError}", page saw ${r.saw.slice(0, 80)}`);
        }
      }
      await page.screenshot(path.join(OUT, `demo-${role}-${engine.name}.png`));
    } catch (e) {
      problems.push(`error: ${e.message.split('\n')[0]}`);
    }
    if (page) await page.close().catch(() => {});
    report(engine.name, `demo: the ${role} page ${demo[role]}/ (${summaryText || 'no summary'}), screenshot demo-${role}-${engine.name}.png`,
           problems, { group: 'demo', scenario: `demo-${role}`, rows });
  }
}

// ------------------------------------------------------------------ the suite

try {
  servers = await startServers({ module: MODULE, keep: KEEP });
  const { ports } = servers;
  console.log(`# servers (tests/lib/harness.py serve): pages ${ports.pages}, mod_cors api ${ports.api} (https ${ports.tls}), ` +
              `control api ${ports.ctl} (https ${ports.ctlTls}); ${servers.cors.info.root}, ${servers.control.info.root}`);
  if (WITH_DEMO) {
    try {
      demo = await startDemo({ build: path.dirname(MODULE) });
      console.log(`# demo (tests/demo/run.sh): api ${demo.api}, partner ${demo.partner}/, stranger ${demo.stranger}/`);
    } catch (e) {
      console.log(`# demo: ${e.message}`);
    }
  }
  // One engine after the other: two browsers at once on 2 shared cores make both slower and
  // the sum no shorter.
  for (const name of ENGINES) {
    const t0 = Date.now();
    try {
      await runEngine(name);
    } catch (e) {
      report(name, `engine error: ${e.stack || e}`, ['the engine could not run']);
    }
    seconds[name] = (Date.now() - t0) / 1000;
    console.log(`# ${name}: ${seconds[name].toFixed(1)} s`);
  }

  const html = resultsPage(results, { ports, elapsed: (Date.now() - START) / 1000 });
  fs.writeFileSync(path.join(OUT, 'results.html'), html);
  fs.writeFileSync(path.join(OUT, 'results.json'), JSON.stringify(results, null, 2));
  for (const engine of engines) {
    try {
      const shot = await engine.open();
      await shot.setViewport({ width: 1500, height: 900 });
      await shot.setContent(html);
      await shot.screenshot(path.join(OUT, `results-${engine.name}.png`));
      await shot.close();
    } catch (e) {
      console.log(`# ${engine.name}: no screenshot of the results page: ${e.message.split('\n')[0]}`);
    }
  }
  console.log(`# results: ${path.join(OUT, 'results.html')}, results.json; screenshots in ${OUT}`);
} catch (e) {
  report('suite', `suite error: ${e.stack || e}`, ['the suite stopped']);
} finally {
  for (const e of engines) await e.close();
  if (demo) {
    const lines = await demo.stop();
    report('suite', `the demo's httpd: no crashed child, no unexpected error-log line (${lines.length})`, lines);
  }
  if (servers) {
    const crashes = await servers.stop();
    report('suite', `no httpd child crashed, no unexpected error-log line (lines the harness printed: ${crashes.length})`, crashes);
  }
}
const all = totals();
process.exit(all.failed ? 1 : 0);

function esc(s) {
  return String(s ?? '').replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]));
}

function resultsPage(rows, { ports, elapsed }) {
  const bySc = new Map();
  for (const r of rows.filter((x) => x.group === 'cors' || x.group === 'control')) {
    if (!bySc.has(r.scenario)) bySc.set(r.scenario, { title: r.title, from: r.from });
    bySc.get(r.scenario)[`${r.engine}-${r.group}`] = r;
  }
  const cell = (r) => {
    if (!r) return '<td class="na">not run</td>';
    const verdict = r.scenarioOk ? 'passes' : 'fails';
    const cls = r.ok ? (r.scenarioOk ? 'good' : 'expected-fail') : 'bad';
    const detail = r.scenarioOk ? '' : `<div class="why">${esc(r.detail.join('; '))}</div>`;
    return `<td class="${cls}"><b>${r.ok ? '&#10003;' : '&#10007;'} ${verdict}</b>${r.group === 'control' ? ` (expected: ${esc(r.expected)})` : ''}` +
           `<div class="obs">${esc(r.observed)}</div>${detail}</td>`;
  };
  const other = rows.filter((x) => x.group === 'meta' || x.group === 'demo' || x.engine === 'suite');
  const nPass = rows.filter((r) => r.ok).length, nFail = rows.length - nPass;
  const cols = ENGINES.flatMap((e) => [`${e}-cors`, `${e}-control`]);
  return `<!doctype html><html><head><meta charset="utf-8"><title>mod_cors browser results</title>
<style>
body{font:12px/1.3 system-ui,sans-serif;margin:14px;color:#222}
h1{font-size:20px;margin:0 0 4px} .sub{color:#555;margin-bottom:10px}
table{border-collapse:collapse;width:100%} th,td{border:1px solid #ccc;padding:3px 5px;vertical-align:top;text-align:left}
th{background:#eee} td.good{background:#e6f6e6} td.expected-fail{background:#fff1d6} td.bad{background:#f9d4d4} td.na{color:#888;background:#f4f4f4}
.obs{font-family:monospace;font-size:10px;color:#333;word-break:break-all} .why{font-size:10px;color:#8a4b00}
.from{font-family:monospace;font-size:10px;color:#555} .total{font-size:15px;font-weight:bold;margin:8px 0}
</style></head><body>
<h1>mod_cors in ${esc(ENGINES.join(', '))}</h1>
<div class="sub">Pages on http://app.partner.test:${ports.pages} (partner), http://shop.evil.test:${ports.pages} (stranger),
http://app.partner.test.evil.test:${ports.pages} (look-alike); API: Apache + mod_cors on api.test:${ports.api} / https :${ports.tls},
control: the same PHP app behind SetEnvIf + mod_headers on api.test:${ports.ctl} / https :${ports.ctlTls}.
Green: passes; amber: fails under the recipe, as the control group must; red: a test failure.</div>
<div class="total">${ENGINES.map((e) => `${esc(e)}: ${counts[e].passed} passed, ${counts[e].failed} failed`).join(' &middot; ')} &middot; ${nPass} passed, ${nFail} failed &middot; ${elapsed.toFixed(1)} s</div>
<table><tr><th>#</th><th>scenario</th>${cols.map((c) => `<th>${esc(c.replace('-cors', ': mod_cors').replace('-control', ': control (mod_headers)'))}</th>`).join('')}</tr>
${[...bySc.entries()].map(([id, s], i) => `<tr><td>${i + 1}</td><td>${esc(s.title)}<div class="from">${esc(id)} &middot; page: ${esc(s.from)}</div></td>${cols.map((c) => cell(s[c])).join('')}</tr>`).join('\n')}
</table>
${other.map((m) => `<p class="total">${m.ok ? '&#10003;' : '&#10007;'} ${esc(m.engine)}: ${esc(m.name)}</p>`).join('')}
</body></html>`;
}
