// The servers of the browser suite, asked of the one test harness (tests/lib/harness.py serve):
//
//   cors:    Apache + mod_cors in front of the legacy PHP app (http API on `port`, https API on
//            `tls_port`), and the pages vhost (extra port "pages") that serves the partner and
//            stranger pages (no CORS policy there: they are the callers).
//   control: the same PHP app behind the usual mod_headers + SetEnvIf recipe, mod_cors not loaded.
//
// Each is one `harness.py serve SPEC.json --stdin` child: its stdin is a pipe from node, so the
// servers stop when node goes away, whatever happens; stop() sends SIGTERM and collects the
// "harness: crash: ..." lines the harness prints on stderr when it stops.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const SUITE_DIR = path.dirname(HERE);
export const REPO_ROOT = path.resolve(SUITE_DIR, '..', '..');
const PYTHON = '/usr/bin/python3';
const HARNESS = path.join(REPO_ROOT, 'tests', 'lib', 'harness.py');
const START_TIMEOUT = 45000;
const STOP_TIMEOUT = 15000;

// Every harness child still running: killAll() is safe from a signal handler at any moment.
const live = new Set();
const specDirs = new Set();
export function killAll() {
  for (const h of live) h.killNow();
  for (const d of specDirs) fs.rmSync(d, { recursive: true, force: true });
}

// ------------------------------------------------------------------ policies

// The partner filter of the legacy PHP app (legacy.php), and the string mod_cors is given:
// the PHP preg_match() pattern, moved verbatim into CORSAllowOriginMatch.
export function partnerPattern(pagesPort) {
  return `@\\.partner\\.test:${pagesPort}$@`;
}

// URL prefixes of the API; each maps onto the same PHP app (app/api/) with its own CORS policy.
export const PREFIXES = {
  main: '/api/',            // credentials, max-age 600, explicit header list
  star: '/api-star/',       // CORSAllowHeaders *
  nocreds: '/api-nocreds/', // CORSAllowCredentials Off
  nocache: '/api-nocache/', // CORSMaxAge 0
  lax: '/api-lax/',         // CORSReject Off
  day: '/api-day/',         // CORSMaxAge 86400: the engines' own cap on the preflight cache
  appstar: '/app-star/',    // CORSEngine Off: the PHP app answers CORS itself (star.php)
};

function corsPolicy(pagesPort) {
  const base = {
    CORSEngine: 'On',
    CORSExportEnv: 'On',  // the API's PHP reports the CORS_* it sees
    CORSAllowOriginMatch: `"${partnerPattern(pagesPort)}"`,
    CORSAllowMethods: 'GET POST PUT DELETE',
    CORSAllowHeaders: 'Content-Type X-Custom-Header Authorization',
    CORSExposeHeaders: 'X-Total-Count',
    CORSAllowCredentials: 'On',
    CORSMaxAge: '600',
  };
  const variants = {
    main: {},
    star: { CORSAllowHeaders: '*' },
    nocreds: { CORSAllowCredentials: 'Off' },
    nocache: { CORSMaxAge: '0' },
    lax: { CORSReject: 'Off' },
    day: { CORSMaxAge: '86400' },
    appstar: null,
  };
  return Object.entries(variants).map(([name, over]) => {
    if (over === null) return `<Location "${PREFIXES[name]}">\n    CORSEngine Off\n</Location>`;
    const lines = Object.entries({ ...base, ...over }).map(([k, v]) => `    ${k} ${v}`).join('\n');
    return `<Location "${PREFIXES[name]}">\n${lines}\n</Location>`;
  }).join('\n');
}

// The recipe found in countless answers: SetEnvIf + mod_headers. No preflight handling (OPTIONS
// goes to the app), `Header set` (not `always`), and the app's own headers left alone.
function controlPolicy(pagesPort) {
  return `<Directory "\${IT_HTDOCS}/app/api">
    SetEnvIf Origin "^http://app\\.partner\\.test:${pagesPort}$" ORIGIN_OK=$0
    Header set Access-Control-Allow-Origin "%{ORIGIN_OK}e" env=ORIGIN_OK
    Header set Access-Control-Allow-Credentials "true" env=ORIGIN_OK
    Header set Access-Control-Allow-Methods "GET, POST, PUT, DELETE" env=ORIGIN_OK
    Header set Access-Control-Allow-Headers "Content-Type, X-Custom-Header, Authorization" env=ORIGIN_OK
    Header set Access-Control-Expose-Headers "X-Total-Count" env=ORIGIN_OK
    Header set Access-Control-Max-Age "600" env=ORIGIN_OK
    Header merge Vary "Origin"
</Directory>
<Files "legacy.php">
    # The legacy endpoint answers CORS itself; the admin's recipe adds its own answer too,
    # with "always" so that it is on error responses as well.
    Header always set Access-Control-Allow-Origin "%{ORIGIN_OK}e" env=ORIGIN_OK
</Files>`;
}

// What both API servers share, on top of the harness' common configuration (whose DocumentRoot
// is ${IT_HTDOCS}; the suite's app/ is copied to ${IT_HTDOCS}/app). Main-server settings, so
// that the harness' https vhost inherits them.
function apiBody(pagesPort) {
  const aliases = Object.values(PREFIXES).map((p) => `Alias "${p}" "\${IT_HTDOCS}/app/api/"`).join('\n');
  return `# The suite's access log: time, port, request line, status, Origin (accessEntries()).
LogFormat "%{%s}t %{local}p \\"%r\\" %>s \\"%{Origin}i\\"" browser
CustomLog "\${IT_ROOT}/logs/browser-access.log" browser
SetEnv HITS_LOG "\${IT_STATE}/hits.log"
SetEnv PARTNER_PATTERN "${partnerPattern(pagesPort)}"
php_admin_value display_errors Off
${aliases}
# The client page on the API origin too, for same-origin calls.
AliasMatch "^/(client\\.html|client\\.js|jquery\\.min\\.js)$" "\${IT_HTDOCS}/app/pages/$1"
# Maintenance mode: Apache itself answers 503 (mod_alias, in translate_name, as a server-wide
# RewriteRule [R=503] would; mod_alias is inherited by the https vhost), with a JSON ErrorDocument.
RedirectMatch 503 "^/api[^/]*/maintenance\\.php$"
ErrorDocument 503 /errors/503.json
# An endpoint that moved: mod_alias answers the redirect itself.
RedirectMatch 301 "^/api/v1/(.*)$" "/api/$1"
KeepAlive On`;
}

function spec({ cors, pagesPort, jquery }) {
  const body = cors
    ? `${apiBody('${IT_PORT_PAGES}')}
Listen 127.0.0.1:\${IT_PORT_PAGES}
<VirtualHost 127.0.0.1:\${IT_PORT_PAGES}>
    DocumentRoot "\${IT_HTDOCS}/app/pages"
</VirtualHost>
${corsPolicy('${IT_PORT_PAGES}')}`
    : `${apiBody(pagesPort)}\n${controlPolicy(pagesPort)}`;
  return {
    spec: {
      mpm: 'prefork', php: 'mod_php', load_cors: cors, tls: true, modules: [],
      app_dirs: ['app'], app_source: path.join(SUITE_DIR, 'app'),
      extra_ports: cors ? ['pages'] : [],
      files: {
        'app/pages/jquery.min.js': jquery,
        'errors/503.json': JSON.stringify({ error: 'maintenance', retry_after: 120 }) + '\n',
      },
      body,
      // What the scenarios provoke on purpose (api/fatal.php, the 404 scenario's missing
      // script) and the start-up warning the legacy filter deserves (it allows http://
      // partners: docs/security.md); any other error-log line at warn or above is reported by
      // the harness when it stops (see crashes()).
      expect_log: ['PHP Fatal error: .*call_to_an_undefined_function',
                   "script '[^']*no-such-endpoint\\.php' not found",
                   'CORS00401: CORSAllowOriginMatch \\S*partner\\S*test:'],
    },
    fpm: false,
  };
}

// ------------------------------------------------------------------ one harness child

export class HarnessServer {
  constructor(name, dir) {
    this.name = name;
    this.dir = dir;
    this.proc = null;
    this.info = null;
    this.stderr = '';
  }

  async start(wanted, env = {}) {
    const file = path.join(this.dir, `${this.name}.json`);
    fs.writeFileSync(file, JSON.stringify(wanted, null, 1));
    this.proc = spawn(PYTHON, [HARNESS, 'serve', file, '--stdin'], {
      stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env },
    });
    live.add(this);
    this.proc.stderr.setEncoding('utf8');
    this.proc.stderr.on('data', (d) => { this.stderr += d; });
    this.exited = new Promise((resolve) => this.proc.once('exit', (code, sig) => { live.delete(this); resolve({ code, sig }); }));
    this.proc.stdout.setEncoding('utf8');
    let out = '';
    this.info = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name}: no answer from the harness in ${START_TIMEOUT} ms\n${this.stderr}`)), START_TIMEOUT);
      this.proc.stdout.on('data', (d) => {
        out += d;
        const nl = out.indexOf('\n');
        if (nl < 0) return;
        clearTimeout(timer);
        try { resolve(JSON.parse(out.slice(0, nl))); } catch (e) { reject(new Error(`${this.name}: harness said ${out}`)); }
      });
      this.exited.then(({ code }) => { clearTimeout(timer); reject(new Error(`${this.name}: the harness exited (${code}) before serving:\n${this.stderr}`)); });
    });
    this.accessLog = path.join(this.info.root, 'logs', 'browser-access.log');
    this.hitsFile = path.join(this.info.root, 'state', 'hits.log');
    return this;
  }

  // SIGTERM; the harness stops httpd and prints the crash lines and the unexpected error-log
  // lines (warn or above, not in the spec's expect_log) it found. Returns them.
  async stop() {
    if (!this.proc) return [];
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      try { this.proc.kill('SIGTERM'); } catch { /* gone */ }
      const timer = setTimeout(() => this.killNow(), STOP_TIMEOUT);
      await this.exited;
      clearTimeout(timer);
    }
    return this.crashes();
  }

  crashes() {
    return this.stderr.split('\n')
      .filter((l) => l.startsWith('harness: crash:') || l.startsWith('harness: unexpected error-log line:'));
  }

  killNow() {
    if (this.proc && this.proc.exitCode === null) {
      try { this.proc.stdin.end(); } catch { /* closed */ }   // EOF: the harness stops its servers
      try { this.proc.kill('SIGTERM'); } catch { /* gone */ }
    }
  }

  // Access-log lines ({time, port, method, target, id, status, origin}), httpd's own
  // "OPTIONS *" wake-up requests left out.
  accessEntries() {
    let text = '';
    try { text = fs.readFileSync(this.accessLog, 'utf8'); } catch { return []; }
    const re = /^(\d+) (\d+) "(\S+) (\S+) [^"]*" (\d+) "([^"]*)"$/;
    return text.split('\n').map((l) => re.exec(l)).filter(Boolean)
      .map((m) => ({ time: +m[1], port: +m[2], method: m[3], target: m[4], status: +m[5], origin: m[6],
                     path: m[4].split('?')[0], id: new URLSearchParams(m[4].split('?')[1] || '').get('id') }))
      .filter((e) => !(e.method === 'OPTIONS' && e.target === '*'));
  }

  errorLogText() {
    try { return fs.readFileSync(this.info.error_log, 'utf8'); } catch { return ''; }
  }
}

// Starts both servers: mod_cors (with the pages) first, then the control group, which needs
// the pages' port for its SetEnvIf pattern.
export async function startServers({ module, keep = false }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mod_cors_browser_'));
  if (!keep) specDirs.add(dir);
  const jquery = fs.readFileSync(path.join(SUITE_DIR, 'node_modules', 'jquery', 'dist', 'jquery.min.js'), 'utf8');
  const env = { MOD_CORS_SO: module, ...(keep ? { MOD_CORS_IT_KEEP: '1' } : {}) };
  const cors = new HarnessServer('cors', dir);
  const control = new HarnessServer('control', dir);
  const servers = {
    dir, cors, control,
    async stop() {
      const crashes = [...await cors.stop(), ...await control.stop()];
      if (!keep) fs.rmSync(dir, { recursive: true, force: true });
      specDirs.delete(dir);
      return crashes;
    },
  };
  try {
    await cors.start(spec({ cors: true, jquery }), env);
    const pages = cors.info.ports.pages;
    await control.start(spec({ cors: false, pagesPort: pages, jquery }), env);
    servers.ports = {
      pages, api: cors.info.port, tls: cors.info.tls_port,
      ctl: control.info.port, ctlTls: control.info.tls_port,
    };
    servers.hitsFile = { cors: cors.hitsFile, control: control.hitsFile };
  } catch (e) {
    await servers.stop();
    throw e;
  }
  return servers;
}

// Requests that reached PHP, from the app's hit log: [{method, uri, id, origin, cookie, ...}].
export function hits(file, id) {
  let text = '';
  try { text = fs.readFileSync(file, 'utf8'); } catch { return []; }
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((h) => id === undefined || h.id === id);
}
