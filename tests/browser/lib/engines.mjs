// The three browser engines behind one small API, so that the scenarios are written once:
//
//   const engine = await launch('chromium' | 'firefox' | 'webkit', { hosts, env })
//                                              // env: extra environment of the browser's processes
//   engine.name, engine.version, engine.fetchError (the message of a refused fetch)
//   const page = await engine.open(url)        // a new tab, loaded
//   await page.evaluate(fn, arg)               // fn(arg) in the page, its result back
//   await page.waitFor(fn, arg, ms)            // until fn(arg) is truthy in the page
//   page.messages                              // console errors/warnings and page errors, in order
//   await page.screenshot(file), page.setContent(html), page.close()
//   await engine.cookies()                     // [{name, domain, secure, sameSite}]
//   await engine.close()
//
// Chromium: Debian's chromium through playwright-core (CDP). Firefox: Debian's firefox-esr through
// puppeteer-core over WebDriver BiDi (playwright-core needs its own patched Firefox build, and
// Debian has no geckodriver). WebKit: Debian's WebKitGTK (MiniBrowser) through its
// WebKitWebDriver, over the W3C WebDriver HTTP API (lib/webdriver.mjs), on an Xvfb display.
// No library downloads a browser.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launchWebKit, WEBKIT_EXECUTABLES } from './webdriver.mjs';

export const EXECUTABLES = {
  chromium: process.env.CHROMIUM || '/usr/bin/chromium',
  firefox: process.env.FIREFOX || '/usr/bin/firefox-esr',
  webkit: WEBKIT_EXECUTABLES.driver,
};

// What a page sees when the browser refuses a cross-origin answer: a TypeError, worded by the engine.
export const FETCH_ERROR = {
  chromium: 'TypeError: Failed to fetch',
  firefox: 'TypeError: NetworkError when attempting to fetch resource.',
  webkit: 'TypeError: Load failed',
};

const VIEWPORT = { width: 1280, height: 900 };

function removeDir(dir) {
  try { fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 }); } catch { /* best effort */ }
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms); }),
  ]);
}

// ------------------------------------------------------------------ Chromium (playwright-core)

async function launchChromium({ hosts, env }) {
  const { chromium } = await import('playwright-core');
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mod_cors_chromium_'));
  // Chromium 156 blocks third-party cookies by default; the cross-site credentials scenarios
  // need a profile that allows them, as partner integrations do (cookie_controls_mode 0 = allow).
  fs.mkdirSync(path.join(userDataDir, 'Default'));
  fs.writeFileSync(path.join(userDataDir, 'Default', 'Preferences'),
                   JSON.stringify({ profile: { cookie_controls_mode: 0 } }));
  let context;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: EXECUTABLES.chromium,
      headless: true,
      ignoreHTTPSErrors: true,
      viewport: VIEWPORT,
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
        `--host-resolver-rules=${hosts.map((h) => `MAP ${h} 127.0.0.1`).join(', ')}`,
        '--ignore-certificate-errors',
      ],
      timeout: 60000,
      ...(env ? { env: { ...process.env, ...env } } : {}),
    });
  } catch (e) {
    removeDir(userDataDir);
    throw e;
  }
  const wrap = (page) => {
    const messages = [];
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') messages.push(`console.${m.type()}: ${m.text()}`); });
    page.on('pageerror', (e) => messages.push(`pageerror: ${e.message}`));
    return {
      messages,
      goto: (url) => page.goto(url),
      evaluate: (fn, arg) => page.evaluate(fn, arg),
      waitFor: (fn, arg, ms) => page.waitForFunction(fn, arg, { timeout: ms }),
      screenshot: (file, fullPage = true) => page.screenshot({ path: file, fullPage }),
      setContent: (html) => page.setContent(html),
      setViewport: (v) => page.setViewportSize(v),
      close: () => page.close(),
    };
  };
  const browser = context.browser();
  return {
    name: 'chromium',
    version: `Chromium ${browser ? browser.version() : '?'}`,
    fetchError: FETCH_ERROR.chromium,
    async open(url) {
      const page = wrap(await context.newPage());
      if (url) await page.goto(url);
      return page;
    },
    async cookies() {
      return (await context.cookies()).map((c) => ({ name: c.name, domain: c.domain, secure: c.secure, sameSite: c.sameSite }));
    },
    async close() {
      try { await withTimeout(context.close(), 10000, 'closing chromium'); } catch { /* the process is killed below */ }
      removeDir(userDataDir);
    },
    kill() {
      try { context.close(); } catch { /* gone */ }
      removeDir(userDataDir);
    },
  };
}

// ------------------------------------------------------------------ Firefox (puppeteer-core, BiDi)

// Prefs on top of puppeteer's defaults (which already turn off updates, safe browsing, remote
// settings, search updates and the data-reporting upload): only loopback is reachable here, and
// network.dns.forceResolve sends every host name there, so whatever Firefox does in the
// background would knock on 127.0.0.1.
const FIREFOX_PREFS = {
  // Every host name resolves to 127.0.0.1 (Chromium: --host-resolver-rules).
  'network.dns.forceResolve': '127.0.0.1',
  // Cookies of other sites are sent and stored (no Total Cookie Protection partitioning): the
  // credentialed cross-site scenarios need them, as partner integrations do.
  'network.cookie.cookieBehavior': 0,
  // Plain http stays plain http (no HTTPS-First upgrade attempts on the http ports).
  'dom.security.https_first': false,
  'dom.security.https_first_pbm': false,
  'dom.security.https_only_mode': false,
  // Background traffic off.
  'app.update.enabled': false,
  'app.update.auto': false,
  'app.normandy.enabled': false,
  'app.shield.optoutstudies.enabled': false,
  'toolkit.telemetry.enabled': false,
  'toolkit.telemetry.unified': false,
  'toolkit.telemetry.archive.enabled': false,
  'toolkit.telemetry.server': '',
  'browser.ping-centre.telemetry': false,
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
  'network.trr.mode': 5,
  'network.dns.disablePrefetch': true,
  'network.prefetch-next': false,
  'network.predictor.enabled': false,
  'security.OCSP.enabled': 0,
  'security.remote_settings.crlite_filters.enabled': false,
  'security.remote_settings.intermediates.enabled': false,
  'browser.safebrowsing.provider.google4.updateURL': '',
  'browser.safebrowsing.provider.mozilla.updateURL': '',
  'services.settings.poll_interval': 86400 * 365,
  'browser.region.network.url': '',
  'browser.region.update.enabled': false,
  'dom.push.connection.enabled': false,
  'messaging-system.rsexperimentloader.enabled': false,
  'extensions.blocklist.enabled': false,
  'browser.discovery.enabled': false,
};

async function launchFirefox({ env } = {}) {
  const { default: puppeteer } = await import('puppeteer-core');
  const browser = await puppeteer.launch({
    browser: 'firefox',
    protocol: 'webDriverBiDi',
    executablePath: EXECUTABLES.firefox,
    headless: true,
    acceptInsecureCerts: true,
    defaultViewport: VIEWPORT,
    extraPrefsFirefox: FIREFOX_PREFS,
    timeout: 60000,
    protocolTimeout: 60000,
    ...(env ? { env: { ...process.env, ...env } } : {}),
  });
  const wrap = (page) => {
    const messages = [];
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warn' || m.type() === 'warning') messages.push(`console.${m.type()}: ${m.text()}`); });
    page.on('pageerror', (e) => messages.push(`pageerror: ${e.message || e}`));
    return {
      messages,
      goto: (url) => page.goto(url),
      evaluate: (fn, arg) => page.evaluate(fn, arg),
      waitFor: (fn, arg, ms) => page.waitForFunction(fn, { timeout: ms }, arg),
      screenshot: (file, fullPage = true) => page.screenshot({ path: file, fullPage }),
      setContent: (html) => page.setContent(html),
      setViewport: (v) => page.setViewport(v),
      close: () => page.close(),
    };
  };
  return {
    name: 'firefox',
    version: (await browser.version()).replace(/^firefox\//, 'Firefox '),
    fetchError: FETCH_ERROR.firefox,
    async open(url) {
      const page = wrap(await browser.newPage());
      if (url) await page.goto(url);
      return page;
    },
    async cookies() {
      return (await browser.cookies()).map((c) => ({ name: c.name, domain: c.domain, secure: c.secure, sameSite: c.sameSite }));
    },
    async close() {
      try { await withTimeout(browser.close(), 10000, 'closing firefox'); } catch {
        const proc = browser.process();
        if (proc) try { proc.kill('SIGKILL'); } catch { /* gone */ }
      }
    },
    kill() {
      const proc = browser.process();
      if (proc) try { proc.kill('SIGKILL'); } catch { /* gone */ }
    },
  };
}

export async function launch(name, opts) {
  if (!fs.existsSync(EXECUTABLES[name])) throw new Error(`${EXECUTABLES[name]} not found (tests/deps.sh browser installs it)`);
  if (name === 'chromium') return launchChromium(opts);
  if (name === 'firefox') return launchFirefox(opts);
  if (name === 'webkit') return launchWebKit({ ...opts, viewport: VIEWPORT, fetchError: FETCH_ERROR.webkit });
  throw new Error(`unknown engine ${name}`);
}
