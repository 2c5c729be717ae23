// WebKit in the browser suite: Debian's WebKitGTK (MiniBrowser) driven by its WebKitWebDriver
// over the W3C WebDriver HTTP API, on an Xvfb display of its own. The same small API as the
// other two engines (lib/engines.mjs).
//
//   Xvfb -displayfd    picks a free display and tells which;
//   WebKitWebDriver    on a free loopback port, DISPLAY set to that display;
//   a session          {"browserName": "MiniBrowser", "webkitgtk:browserOptions": {"binary":
//                      MiniBrowser, "args": ["--automation"]}}, acceptInsecureCerts (the
//                      harness' self-signed certificate), and MiniBrowser's --proxy to a
//                      loopback proxy (lib/proxy.mjs) that sends every host name to 127.0.0.1:
//                      WebKitGTK has no host-resolver override of its own. (The W3C `proxy`
//                      capability works for http, but its sslProxy speaks TLS to the proxy, so
//                      https calls fail with "An unexpected TLS packet was received".)
//
// Xvfb and WebKitWebDriver each run in a process group of their own (MiniBrowser and its web and
// network processes are WebKitWebDriver's children, in its group); close() ends the session,
// then SIGTERM to both groups, SIGKILL after 5 s. Every WebDriver request has a time limit.
//
// What classic WebDriver does not give: the console. WebKitGTK 2.50's driver has no WebDriver
// BiDi (a session asking for webSocketUrl is refused), and MiniBrowser does not write the console
// of a page it shows under automation to stdout (--enable-write-console-messages-to-stdout is
// ignored there), so page.messages stays empty in WebKit; webKitConsole() reads it from a
// MiniBrowser started without automation instead.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { startProxy } from './proxy.mjs';

export const WEBKIT_EXECUTABLES = {
  driver: process.env.WEBKIT_WEBDRIVER || '/usr/bin/WebKitWebDriver',
  browser: process.env.WEBKIT_MINIBROWSER || '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser',
  xvfb: process.env.XVFB || '/usr/bin/Xvfb',
};
const START_TIMEOUT = 30000;   // Xvfb, the driver, a new session
const COMMAND_TIMEOUT = 30000; // one WebDriver request (a navigation included)
const SCRIPT_TIMEOUT = 25000;  // one asynchronous script (the scenarios allow 20 s)

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function killGroup(proc, signal) {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  try { process.kill(-proc.pid, signal); } catch { /* gone */ }
}

export async function stopGroup(proc, exited) {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  killGroup(proc, 'SIGTERM');
  const timer = setTimeout(() => killGroup(proc, 'SIGKILL'), 5000);
  await Promise.race([exited, sleep(8000)]);
  clearTimeout(timer);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
  });
}

// Xvfb on a display it picks itself (-displayfd): no guessing, no clash with another suite's.
export async function startXvfb() {
  const proc = spawn(WEBKIT_EXECUTABLES.xvfb, ['-displayfd', '3', '-screen', '0', '1600x1200x24', '-nolisten', 'tcp'], {
    detached: true, stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  let err = '', out = '';
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (d) => { err += d; });
  proc.stdio[3].setEncoding('utf8');
  const display = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Xvfb did not name its display in ${START_TIMEOUT} ms: ${err.slice(-500)}`)), START_TIMEOUT);
    proc.stdio[3].on('data', (d) => {
      out += d;
      if (out.includes('\n')) { clearTimeout(timer); resolve(`:${out.trim()}`); }
    });
    exited.then((code) => { clearTimeout(timer); reject(new Error(`Xvfb exited (${code}): ${err.slice(-500)}`)); });
  }).catch(async (e) => { await stopGroup(proc, exited); throw e; });
  return { proc, exited, display };
}

async function request(base, method, path, body, ms = COMMAND_TIMEOUT) {
  const r = await fetch(`${base}${path}`, {
    method, headers: body === undefined ? {} : { 'Content-Type': 'application/json; charset=utf-8' },
    body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(ms),
  });
  const text = await r.text();
  let json;
  try { json = JSON.parse(text); } catch { throw new Error(`WebDriver ${method} ${path}: HTTP ${r.status}, ${text.slice(0, 200)}`); }
  if (json.value && json.value.error) throw new Error(`WebDriver ${method} ${path}: ${json.value.error}: ${json.value.message}`);
  return json.value;
}

async function startDriver(display, env = {}) {
  let lastError = null;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const proc = spawn(WEBKIT_EXECUTABLES.driver, [`--port=${port}`], {
      detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env, DISPLAY: display },
    });
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    let out = '';
    proc.stdout.setEncoding('utf8');
    proc.stderr.setEncoding('utf8');
    proc.stdout.on('data', (d) => { out = (out + d).slice(-4000); });
    proc.stderr.on('data', (d) => { out = (out + d).slice(-4000); });
    const base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + START_TIMEOUT;
    while (Date.now() < deadline && proc.exitCode === null) {
      try {
        const status = await request(base, 'GET', '/status', undefined, 2000);
        if (status && status.ready !== false) return { proc, exited, base, output: () => out };
      } catch { /* not listening yet */ }
      await sleep(100);
    }
    lastError = new Error(`WebKitWebDriver on port ${port} did not answer /status: ${out.slice(-500)}`);
    await stopGroup(proc, exited);
  }
  throw lastError;
}

export async function launchWebKit({ viewport, fetchError, env }) {
  for (const f of [WEBKIT_EXECUTABLES.driver, WEBKIT_EXECUTABLES.browser, WEBKIT_EXECUTABLES.xvfb]) {
    if (!fs.existsSync(f)) throw new Error(`${f} not found (tests/deps.sh browser installs webkit2gtk-driver and xvfb)`);
  }
  const xvfb = await startXvfb();
  let driver = null, proxy = null, session = null;
  const stopAll = async () => {
    if (session && driver) { try { await request(driver.base, 'DELETE', `/session/${session}`, undefined, 10000); } catch { /* killed below */ } }
    session = null;
    if (driver) await stopGroup(driver.proc, driver.exited);
    await stopGroup(xvfb.proc, xvfb.exited);
    if (proxy) await proxy.close();
    proxy = null;
  };
  let caps;
  try {
    proxy = await startProxy();
    driver = await startDriver(xvfb.display, env);
    const created = await request(driver.base, 'POST', '/session', {
      capabilities: {
        alwaysMatch: {
          browserName: 'MiniBrowser',
          acceptInsecureCerts: true,
          'webkitgtk:browserOptions': { binary: WEBKIT_EXECUTABLES.browser, args: ['--automation', `--proxy=http://127.0.0.1:${proxy.port}`] },
        },
      },
    }, START_TIMEOUT);
    session = created.sessionId;
    caps = created.capabilities;
  } catch (e) {
    await stopAll();
    throw e;
  }
  const wd = (method, path, body, ms) => request(driver.base, method, `/session/${session}${path}`, body, ms);
  await wd('POST', '/timeouts', { script: SCRIPT_TIMEOUT, pageLoad: COMMAND_TIMEOUT - 2000, implicit: 0 });
  const home = await wd('GET', '/window');   // the first window stays open (closing the last one ends the session)
  await wd('POST', '/window/rect', { width: viewport.width, height: viewport.height });
  let current = home;
  // Commands go to one window at a time: switch when another page's turn comes. The pages are
  // used one after the other (never concurrently), as in the other two engines.
  let queue = Promise.resolve();
  const serial = (fn) => { const p = queue.then(fn, fn); queue = p.catch(() => {}); return p; };
  const focus = async (handle) => { if (current !== handle) { await wd('POST', '/window', { handle }); current = handle; } };
  // WebDriver reads the cookies of the current document only (httpOnly ones included): the jar
  // is what was read after each navigation, then again in every open window when asked, since a
  // page's own fetch (a login form POSTed by script, say) sets cookies without a navigation.
  const seenCookies = new Map();
  const noteCookies = async () => {
    for (const c of await wd('GET', '/cookie')) seenCookies.set(`${c.name}@${c.domain}`, c);
  };
  const openPages = new Set();

  const evaluateIn = (handle, fn, arg, truthy = false) => serial(async () => {
    await focus(handle);
    const script = `const [src, arg, truthy, done] = arguments;
      Promise.resolve().then(() => (0, eval)('(' + src + ')')(arg))
        .then((v) => done(JSON.stringify({ ok: truthy ? !!v : v === undefined ? null : v })), (e) => done(JSON.stringify({ err: String(e && e.stack || e) })));`;
    // The result goes back as JSON text: WebKit's own serialisation of a script's result refuses
    // some plain objects ("cannot serialize cyclic structures").
    const r = JSON.parse(await wd('POST', '/execute/async', { script, args: [fn.toString(), arg === undefined ? null : arg, truthy] }, SCRIPT_TIMEOUT + 5000));
    if (r.err) throw new Error(`evaluate: ${r.err}`);
    return r.ok;
  });

  const pageOf = (handle) => {
    const page = {
      messages: [],
      goto: (url) => serial(async () => { await focus(handle); await wd('POST', '/url', { url }); await noteCookies(); }),
      evaluate: (fn, arg) => evaluateIn(handle, fn, arg),
      async waitFor(fn, arg, ms) {
        const deadline = Date.now() + ms;
        for (;;) {
          if (await evaluateIn(handle, fn, arg, true)) return true;
          if (Date.now() > deadline) throw new Error(`waitFor: not true within ${ms} ms`);
          await sleep(100);
        }
      },
      // Full page: the window made as tall as the document (at most 8000 px), then the viewport.
      screenshot: (file, fullPage = true) => serial(async () => {
        await focus(handle);
        let rect = null;
        if (fullPage) {
          rect = await wd('GET', '/window/rect');
          const size = await wd('POST', '/execute/sync', {
            script: 'return [document.documentElement.scrollWidth, Math.max(document.documentElement.scrollHeight, document.body ? document.body.scrollHeight : 0), window.outerHeight - window.innerHeight];', args: [],
          });
          await wd('POST', '/window/rect', { width: rect.width, height: Math.min(8000, size[1] + size[2]) });
          await sleep(300);
        }
        const png = await wd('GET', '/screenshot');
        if (rect) await wd('POST', '/window/rect', { width: rect.width, height: rect.height });
        fs.writeFileSync(file, Buffer.from(png, 'base64'));
      }),
      setContent: (html) => evaluateIn(handle, (h) => { document.open(); document.write(h); document.close(); return true; }, html),
      setViewport: (v) => serial(async () => { await focus(handle); await wd('POST', '/window/rect', { width: v.width, height: v.height }); }),
      close: () => serial(async () => {
        await focus(handle);
        try { await noteCookies(); } catch { /* a window without a document of its own */ }
        await wd('DELETE', '/window');
        openPages.delete(handle);
        await wd('POST', '/window', { handle: home });
        current = home;
      }),
    };
    return page;
  };

  return {
    name: 'webkit',
    version: `WebKitGTK ${caps.browserVersion || '?'} (MiniBrowser)`,
    fetchError,
    async open(url) {
      // A window, not a tab: MiniBrowser never paints a tab in the background, and a screenshot
      // of one waits for a paint that does not come.
      const handle = await serial(async () => {
        const h = (await wd('POST', '/window/new', { type: 'window' })).handle;
        await focus(h);
        await wd('POST', '/window/rect', { width: viewport.width, height: viewport.height });
        return h;
      });
      openPages.add(handle);
      const page = pageOf(handle);
      if (url) await page.goto(url);
      return page;
    },
    // The cookies read after each navigation and on closing a window, read again now in every
    // open window (a cookie read later replaces the earlier one).
    async cookies() {
      await serial(async () => { for (const h of openPages) { await focus(h); await noteCookies(); } });
      return [...seenCookies.values()].map((c) => ({ name: c.name, domain: c.domain, secure: c.secure, sameSite: c.sameSite }));
    },
    close: stopAll,
    kill() {
      killGroup(driver && driver.proc, 'SIGKILL');
      killGroup(xvfb.proc, 'SIGKILL');
      if (proxy) proxy.close();
    },
  };
}

// The console of a MiniBrowser started without WebDriver (--enable-write-console-messages-to-
// stdout): the page's console.log lines on stdout, the engine's security messages on stderr.
// Opens each URL in turn (a window each), waits until the output shows `doneMarker` once per URL
// (at most `ms`), stops MiniBrowser's and Xvfb's process groups. Returns the lines.
export async function webKitConsole(urls, { doneMarker, ms = 20000 } = {}) {
  const xvfb = await startXvfb();
  const proxy = await startProxy();
  const lines = [];
  let mb = null, exited = null;
  try {
    for (const url of urls) {
      mb = spawn(WEBKIT_EXECUTABLES.browser, ['--enable-write-console-messages-to-stdout=true', `--proxy=http://127.0.0.1:${proxy.port}`, url], {
        detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DISPLAY: xvfb.display },
      });
      exited = new Promise((resolve) => mb.once('exit', resolve));
      let buf = '';
      const take = (d) => { buf += d; };
      mb.stdout.setEncoding('utf8'); mb.stderr.setEncoding('utf8');
      mb.stdout.on('data', take); mb.stderr.on('data', take);
      const deadline = Date.now() + ms;
      while (!buf.includes(doneMarker) && Date.now() < deadline && mb.exitCode === null) await sleep(100);
      await sleep(300);   // the last security message follows the page's line closely
      await stopGroup(mb, exited);
      lines.push(...buf.split('\n').filter(Boolean));
      if (!buf.includes(doneMarker)) lines.push(`webKitConsole: no "${doneMarker}" within ${ms} ms for ${url}`);
    }
  } finally {
    if (mb) await stopGroup(mb, exited);
    await stopGroup(xvfb.proc, xvfb.exited);
    await proxy.close();
  }
  return lines;
}
