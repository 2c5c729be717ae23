// Throw-away httpd instances for the browser suite.
//
//   cors:    Apache + mod_cors in front of the legacy PHP app (http API, https API), and the
//            pages vhost that serves the partner / stranger pages (CORSEngine not enabled there).
//   control: the same PHP app behind the usual mod_headers + SetEnvIf recipe, mod_cors not loaded.
//
// Everything listens on 127.0.0.1 on free ports; Chromium reaches it through host names mapped
// with --host-resolver-rules. Each httpd runs in the foreground, in a process group of its own,
// and is killed with its group when the suite ends, whatever happens.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const SUITE_DIR = path.dirname(HERE);
export const REPO_ROOT = path.resolve(SUITE_DIR, '..', '..');
const APACHE2 = process.env.APACHE2 || '/usr/sbin/apache2';
const MODULES = '/usr/lib/apache2/modules';
const RUN_USER = 'www-data';

// Every httpd started and every directory made, until stopped / removed: killAll() is safe
// to call from a signal handler at any moment, even halfway through startServers().
const live = new Set();
const roots = new Set();
export function killAll({ keep = false } = {}) {
  for (const h of live) h.killNow();
  if (!keep) for (const r of roots) fs.rmSync(r, { recursive: true, force: true, maxRetries: 3, retryDelay: 50 });
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function waitForPort(port, timeoutMs, alive) {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (!alive()) return reject(new Error(`httpd exited before listening on ${port}`));
      const sock = net.connect({ host: '127.0.0.1', port }, () => { sock.destroy(); resolve(); });
      sock.on('error', () => {
        sock.destroy();
        if (Date.now() > deadline) reject(new Error(`nothing listens on 127.0.0.1:${port}`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

function copyDir(from, to) {
  fs.mkdirSync(to, { recursive: true });
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, entry.name), dst = path.join(to, entry.name);
    if (entry.isDirectory()) copyDir(src, dst);
    else fs.copyFileSync(src, dst);
  }
}

function chmodTree(dir) {
  fs.chmodSync(dir, 0o755);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) chmodTree(p); else fs.chmodSync(p, 0o644);
  }
}

// ------------------------------------------------------------------ policies

// The partner filter of the legacy PHP app (legacy.php), and the string mod_cors is given:
// the PHP preg_match() pattern, moved verbatim into CORSAllowOriginMatch.
export function partnerPattern(pagesPort) {
  return `@\\.partner\\.test:${pagesPort}$@`;
}

// URL prefixes of the API; each maps onto the same PHP app (api/) with its own CORS policy.
export const PREFIXES = {
  main: '/api/',            // credentials, max-age 600, explicit header list
  star: '/api-star/',       // CORSAllowHeaders *
  nocreds: '/api-nocreds/', // CORSAllowCredentials Off
  nocache: '/api-nocache/', // CORSMaxAge 0
  lax: '/api-lax/',         // CORSReject Off
};

function corsPolicy(pagesPort) {
  const base = {
    CORSEngine: 'On',
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
  };
  return Object.entries(variants).map(([name, over]) => {
    const lines = Object.entries({ ...base, ...over }).map(([k, v]) => `    ${k} ${v}`).join('\n');
    return `<Location "${PREFIXES[name]}">\n${lines}\n</Location>`;
  }).join('\n');
}

// The recipe found in countless answers: SetEnvIf + mod_headers. No preflight handling (OPTIONS
// goes to the app), `Header set` (not `always`), and the app's own headers left alone.
function controlPolicy(pagesPort, apiDir) {
  return `<Directory "${apiDir}">
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

// ------------------------------------------------------------------ httpd

export class Httpd {
  constructor(name, root, opts) {
    this.name = name;
    this.root = root;
    this.opts = opts;           // { module: path|null, ports: {...}, policy: string, tls: bool }
    this.logs = path.join(root, 'logs');
    this.proc = null;
  }

  get errorLog() { return path.join(this.logs, `${this.name}-error.log`); }
  get accessLog() { return path.join(this.logs, `${this.name}-access.log`); }

  render(tree) {
    const { module, ports, policy } = this.opts;
    const mods = ['mpm_prefork', 'authz_core', 'mime', 'dir', 'alias', 'env', 'headers', 'setenvif',
                  'socache_shmcb', 'ssl', 'rewrite'];
    const loads = mods.map((m) => `LoadModule ${m}_module ${MODULES}/mod_${m}.so`);
    loads.push(`LoadModule php_module ${MODULES}/libphp8.2.so`);
    if (module) loads.push(`LoadModule cors_module ${module}`);
    const aliases = Object.values(PREFIXES).filter((p) => p !== '/api/')
      .map((p) => `Alias "${p}" "${tree.apiDir}/"`).join('\n');
    const apiBody = `    DocumentRoot "${tree.apiRoot}"
    SetEnv HITS_LOG "${tree.hits}"
    SetEnv PARTNER_PATTERN "${partnerPattern(tree.pagesPort)}"
    # Maintenance mode: Apache itself answers 503, with a JSON ErrorDocument.
    RewriteEngine On
    RewriteRule "^/api[^/]*/maintenance\\.php$" - [R=503]
    ErrorDocument 503 /errors/503.json
    # An endpoint that moved: mod_alias answers the redirect itself.
    RedirectMatch 301 "^/api/v1/(.*)$" "/api/$1"
${aliases.split('\n').map((l) => '    ' + l).join('\n')}`;
    const vhosts = [];
    if (ports.pages) {
      vhosts.push(`Listen 127.0.0.1:${ports.pages}
<VirtualHost 127.0.0.1:${ports.pages}>
    DocumentRoot "${tree.pagesRoot}"
</VirtualHost>`);
    }
    vhosts.push(`Listen 127.0.0.1:${ports.api}
<VirtualHost 127.0.0.1:${ports.api}>
${apiBody}
</VirtualHost>`);
    if (ports.tls) {
      vhosts.push(`Listen 127.0.0.1:${ports.tls}
<VirtualHost 127.0.0.1:${ports.tls}>
    SSLEngine on
    SSLCertificateFile "${tree.cert}"
    SSLCertificateKeyFile "${tree.key}"
${apiBody}
</VirtualHost>`);
    }
    return `${loads.join('\n')}
ServerRoot "${this.root}"
ServerName api.test
User ${RUN_USER}
Group ${RUN_USER}
PidFile "${this.root}/run/${this.name}.pid"
DefaultRuntimeDir "${this.root}/run"
Mutex file:${this.root}/run default
ErrorLog "${this.errorLog}"
LogLevel ${module ? 'warn cors:debug' : 'warn'}
LogFormat "%{%s}t %p \\"%r\\" %>s \\"%{Origin}i\\"" browser
CustomLog "${this.accessLog}" browser
TypesConfig /etc/mime.types
DirectoryIndex index.html index.php
KeepAlive On
Timeout 20
StartServers 2
MinSpareServers 2
MaxSpareServers 4
MaxRequestWorkers 16
SSLSessionCache "shmcb:${this.root}/run/${this.name}-ssl(51200)"
<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Directory "${this.root}/htdocs">
    Options None
    AllowOverride None
    Require all granted
</Directory>
<FilesMatch "\\.php$">
    SetHandler application/x-httpd-php
</FilesMatch>
php_admin_value display_errors Off
php_admin_value log_errors On
php_admin_value error_log "${this.logs}/${this.name}-php.log"
${vhosts.join('\n')}
${policy}
`;
  }

  async start(tree) {
    const conf = path.join(this.root, 'conf', `${this.name}.conf`);
    fs.writeFileSync(conf, this.render(tree));
    const test = spawnSyncSafe(APACHE2, ['-t', '-d', this.root, '-f', conf]);
    if (test.status !== 0) throw new Error(`${this.name}: apache2 -t failed:\n${test.output}`);
    const out = fs.openSync(path.join(this.logs, `${this.name}-startup.log`), 'a');
    this.proc = spawn(APACHE2, ['-d', this.root, '-f', conf, '-DFOREGROUND'],
                      { stdio: ['ignore', out, out], detached: true });
    live.add(this);
    fs.closeSync(out);
    let exited = false;
    this.proc.on('exit', () => { exited = true; });
    for (const port of Object.values(this.opts.ports).filter(Boolean)) {
      try {
        await waitForPort(port, 20000, () => !exited);
      } catch (e) {
        throw new Error(`${this.name}: ${e.message}\n${tailFile(path.join(this.logs, `${this.name}-startup.log`))}\n${tailFile(this.errorLog)}`);
      }
    }
    return this;
  }

  async stop() {
    if (!this.proc || this.proc.exitCode !== null) return;
    const proc = this.proc;
    const gone = new Promise((resolve) => proc.once('exit', resolve));
    try { process.kill(-proc.pid, 'SIGTERM'); } catch { /* already gone */ }
    const timer = setTimeout(() => { try { process.kill(-proc.pid, 'SIGKILL'); } catch { /* gone */ } }, 8000);
    await gone;
    clearTimeout(timer);
    try { process.kill(-proc.pid, 'SIGKILL'); } catch { /* no child left */ }
    live.delete(this);
  }

  killNow() {
    if (this.proc && this.proc.exitCode === null) {
      try { process.kill(-this.proc.pid, 'SIGKILL'); } catch { /* gone */ }
    }
  }

  // Access-log lines ({time, port, method, target, status, origin}), httpd's own
  // "OPTIONS *" wake-up requests left out.
  accessEntries() {
    let text = '';
    try { text = fs.readFileSync(this.accessLog, 'utf8'); } catch { return []; }
    const re = /^(\d+) (\d+) "(\S+) (\S+) [^"]*" (\d+) "([^"]*)"$/;
    return text.split('\n').map((l) => re.exec(l)).filter(Boolean)
      .map((m) => ({ time: +m[1], port: +m[2], method: m[3], target: m[4], status: +m[5], origin: m[6] }))
      .filter((e) => !(e.method === 'OPTIONS' && e.target === '*'));
  }

  errorLogText() {
    try { return fs.readFileSync(this.errorLog, 'utf8'); } catch { return ''; }
  }
}

function spawnSyncSafe(cmd, args) {
  try {
    const out = execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20000 });
    return { status: 0, output: out };
  } catch (e) {
    return { status: e.status ?? 1, output: `${e.stdout || ''}${e.stderr || ''}` };
  }
}

function tailFile(file, n = 30) {
  try { return fs.readFileSync(file, 'utf8').split('\n').slice(-n).join('\n'); } catch { return ''; }
}

function makeCert(dir) {
  const cert = path.join(dir, 'cert.pem'), key = path.join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
    '-subj', '/CN=api.test', '-addext', 'subjectAltName=DNS:api.test,DNS:api.partner.test',
    '-keyout', key, '-out', cert], { stdio: 'ignore', timeout: 60000 });
  return { cert, key };
}

// Lays out the document roots and starts both httpd instances.
export async function startServers({ module, keep = false }) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mod_cors_browser_'));
  roots.add(root);
  for (const d of ['conf', 'logs', 'run', 'htdocs']) fs.mkdirSync(path.join(root, d));
  const pagesRoot = path.join(root, 'htdocs', 'pages');
  const apiRoot = path.join(root, 'htdocs', 'apiroot');
  const apiDir = path.join(apiRoot, 'api');
  copyDir(path.join(SUITE_DIR, 'app', 'pages'), pagesRoot);
  fs.copyFileSync(path.join(SUITE_DIR, 'node_modules', 'jquery', 'dist', 'jquery.min.js'),
                  path.join(pagesRoot, 'jquery.min.js'));
  copyDir(path.join(SUITE_DIR, 'app', 'api'), apiDir);
  fs.mkdirSync(path.join(apiRoot, 'errors'));
  fs.writeFileSync(path.join(apiRoot, 'errors', '503.json'),
                   JSON.stringify({ error: 'maintenance', retry_after: 120 }) + '\n');
  // The same client page on the API origin, for same-origin calls.
  for (const f of ['client.html', 'client.js', 'jquery.min.js']) {
    fs.copyFileSync(path.join(pagesRoot, f), path.join(apiRoot, f));
  }
  chmodTree(path.join(root, 'htdocs'));
  fs.chmodSync(root, 0o755);
  const state = path.join(root, 'state');
  fs.mkdirSync(state, { mode: 0o777 });
  fs.chmodSync(state, 0o777);
  const { cert, key } = makeCert(path.join(root, 'conf'));

  const ports = {
    pages: await freePort(), api: await freePort(), tls: await freePort(),
    ctl: await freePort(), ctlTls: await freePort(),
  };
  const mkTree = (hits) => {
    fs.writeFileSync(hits, '');
    fs.chmodSync(hits, 0o666);
    return { pagesRoot, apiRoot, apiDir, hits, cert, key, pagesPort: ports.pages };
  };
  const corsTree = mkTree(path.join(state, 'cors-hits.log'));
  const ctlTree = mkTree(path.join(state, 'control-hits.log'));
  const cors = new Httpd('cors', root, {
    module, ports: { pages: ports.pages, api: ports.api, tls: ports.tls },
    policy: corsPolicy(ports.pages),
  });
  const control = new Httpd('control', root, {
    module: null, ports: { api: ports.ctl, tls: ports.ctlTls },
    policy: controlPolicy(ports.pages, apiDir),
  });
  const servers = {
    root, ports, cors, control,
    hitsFile: { cors: corsTree.hits, control: ctlTree.hits },
    async stop() {
      await Promise.all([cors.stop(), control.stop()]);
      if (!keep) fs.rmSync(root, { recursive: true, force: true });
      roots.delete(root);
    },
    killNow() { cors.killNow(); control.killNow(); },
  };
  try {
    await cors.start(corsTree);
    await control.start(ctlTree);
  } catch (e) {
    servers.killNow();
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
